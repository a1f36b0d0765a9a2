# cli_compare.sh — blur compare (contact sheets for gray, RGBA, 16-bit gray+alpha, tiny and
# very wide inputs, crops, errors) and the pictures of blur kernel (--format png, --plot).
. tests/clilib.sh
F=tests/fixtures/compare

is_png() {
    [ "$(od -An -c -j1 -N3 "$1" | tr -d ' ')" = "PNG" ]
}

for input in gray rgba gray-alpha16 tiny wide; do
    run "$BLUR" compare "$F/$input.png" "$T/$input.png" --sigma 3
    expect_status "compare $input input" 0
    expect_true "compare $input writes a PNG" is_png "$T/$input.png"
done
set -- $(png_size "$T/gray.png")
expect_true "a sheet has room for three panels of a 256-pixel image" test "$1" -ge 1000
expect_true "seven rows (one per method) are tall" test "$2" -ge 1800
set -- $(png_size "$T/wide.png")
expect_true "a very wide input gives a sheet of sane width" test "$1" -le 2000
expect_true "no temporary files" no_temp_files "$T"

run "$BLUR" compare "$F/gray.png" "$T/two.png" --sigma 2 --methods sampled,integrated --amplify 50
expect_status "--methods and --amplify" 0
set -- $(png_size "$T/two.png")
two_h=$2
run "$BLUR" compare "$F/gray.png" "$T/three.png" --sigma 2 --methods sampled,integrated,dirac
set -- $(png_size "$T/three.png")
expect_true "each method adds one row of the same height" test $(( $2 - two_h )) -gt 200
run "$BLUR" compare "$F/gray.png" "$T/dup.png" --sigma 2 --methods sampled,sampled,integrated
set -- $(png_size "$T/dup.png")
expect_true "a method named twice is one row" test "$2" -eq "$two_h"
run "$BLUR" compare "$F/rgba.png" "$T/crop.png" --sigma 1.5 --size 7 --crop 4,6,20,10
expect_status "--crop and --size" 0
run "$BLUR" compare assets/coffee.png "$T/coffee.png" --sigma 3 --methods integrated,legacy-sqrt
expect_status "the sample photo" 0
run "$BLUR" compare --help
expect_status "compare --help" 0
expect_true "compare --help prints usage" grep -q "Usage: blur compare IN OUT.png" "$T/stdout"

run "$BLUR" compare "$F/gray.png" "$T/bad.png"
expect_error "missing sigma" 2 "^blur: --sigma is required"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 0
expect_error "zero sigma" 2 "^blur: --sigma: expected a number from"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --size 6
expect_error "even size" 2 "^blur: --size: the filter needs an odd size"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --size 1
expect_error "size 1" 2 "^blur: --size: the filter needs an odd size of at least 3"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --methods sampled,gaussian
expect_error "unknown method" 2 "^blur: --methods: unknown method 'gaussian'"
run "$BLUR" compare assets/coffee.png "$T/huge.png" --sigma 900
expect_error "a sigma whose exact blur is over the memory limit names --sigma" 2 \
    "^blur: --sigma 900: this image's blur would need over the filter's 1024 MiB of memory"
expect_true "and writes nothing" test ! -e "$T/huge.png"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --methods sampled,
expect_error "empty method name" 2 "^blur: --methods: unknown method ''"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --crop 1,2,3
expect_error "malformed crop" 2 "^blur: --crop: expected X,Y,W,H"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --crop 0,0,0,5
expect_error "empty crop" 2 "^blur: --crop: expected X,Y,W,H"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --crop 60,0,10,10
expect_error "crop outside the image" 2 "^blur: --crop: 60,0,10,10 lies outside the 64x48 image$"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --amplify -3
expect_error "negative amplify" 2 "^blur: --amplify: "
run "$BLUR" compare "$F/gray.png" "$T/bad.jpg" --sigma 2
expect_error "sheet not named .png" 2 "^blur: $T/bad.jpg: the contact sheet is a PNG"
run "$BLUR" compare "$F/gray.png" "$T/bad.xyz" --sigma 2
expect_error "unknown extension" 2 "^blur: $T/bad.xyz: unknown output format"
run "$BLUR" compare "$F/gray.png" --sigma 2
expect_error "missing OUT" 2 "^blur: expected IN and OUT.png"
run "$BLUR" compare "$F/gray.png" "$T/bad.png" --sigma 2 --bogus
expect_error "unknown option" 2 "^blur: unknown option '--bogus'"
run "$BLUR" compare "$T/missing.png" "$T/bad.png" --sigma 2
expect_error "missing input" 1 "^blur: $T/missing.png: cannot open: No such file or directory$"
printf 'meow' >"$T/cat.png"
run "$BLUR" compare "$T/cat.png" "$T/bad.png" --sigma 2
expect_error "not an image" 1 "^blur: $T/cat.png: not an image"
run "$BLUR" compare "$F/gray.png" "$T/nodir/bad.png" --sigma 2
expect_error "missing output directory" 1 "^blur: $T/nodir/bad.png: cannot open"
expect_true "no output after errors" test ! -e "$T/bad.png"
expect_true "no temporary files after errors" no_temp_files "$T"

# blur kernel --format png and --plot
run "$BLUR" kernel --size 5 --nsig 2.5 --method integrated --format png -o "$T/mask.png"
expect_status "kernel --format png" 0
expect_true "kernel --format png writes a PNG" is_png "$T/mask.png"
set -- $(png_size "$T/mask.png")
expect_true "a 5x5 mask is drawn large" test "$1" -ge 400 -a "$2" -ge 400
run "$BLUR" kernel --size 5 --sigma 1 -o "$T/byname.png"
expect_status "kernel -o FILE.png picks png" 0
expect_true "kernel -o FILE.png writes a PNG" is_png "$T/byname.png"
run "$BLUR" kernel --size 5 --sigma 1 --format png
expect_error "kernel png to standard output" 2 "^blur: --format png: needs -o FILE.png"
run "$BLUR" kernel --size 5 --sigma 1 --format png -o "$T/mask.csv"
expect_error "kernel png named .csv" 2 "needs a name ending in .png"
run "$BLUR" kernel --size 5 --sigma 1 --format csv -o "$T/mask2.png"
expect_error "kernel csv named .png" 2 "a .png name is for --format png"

run "$BLUR" kernel --sigma 3 --size 25 --plot "$T/profiles.svg"
expect_status "kernel --plot svg" 0
expect_true "the SVG starts with an XML declaration" grep -q '^<?xml version="1.0"' "$T/profiles.svg"
expect_true "the SVG ends its root" grep -q '^</svg>$' "$T/profiles.svg"
expect_true "every method is in the legend" test "$(grep -c '>legacy-sqrt (incorrect)</text>\|>sampled</text>\|>stretched</text>' "$T/profiles.svg")" -eq 3
expect_true "the reference is dashed" grep -q 'stroke-dasharray' "$T/profiles.svg"
expect_true "nothing on standard output" test ! -s "$T/stdout"
run "$BLUR" kernel --sigma 1.5 --size 8 --plot "$T/profiles.png" --methods sampled,sampled-floor
expect_status "kernel --plot png with --methods" 0
expect_true "kernel --plot png writes a PNG" is_png "$T/profiles.png"
run "$BLUR" kernel --sigma 2 --size 9 --plot "$T/both.svg" -o "$T/both.csv"
expect_status "kernel --plot with -o" 0
expect_true "both the plot and the mask are written" test -s "$T/both.svg" -a -s "$T/both.csv"
run "$BLUR" kernel --sigma 2 --size 9 --plot "$T/p.txt"
expect_error "kernel --plot with another extension" 2 "^blur: $T/p.txt: --plot writes .svg or .png"
run "$BLUR" kernel --sigma 2 --size 9 --methods sampled
expect_error "kernel --methods without --plot" 2 "^blur: --methods is for --plot"
run "$BLUR" kernel --sigma 2 --size 9 --plot "$T/p.svg" --methods nope
expect_error "kernel --plot unknown method" 2 "^blur: --methods: unknown method 'nope'"
run "$BLUR" kernel --sigma 2 --size 9 --plot "$T/p.svg" --report
expect_error "kernel --plot with --report" 2 "^blur: give --plot or --report, not both"
run "$BLUR" kernel --sigma 2 --size 9 --plot "$T/nodir/p.svg"
expect_error "kernel --plot into a missing directory" 1 "^blur: $T/nodir/p.svg: cannot open"
expect_true "no plot after errors" test ! -e "$T/p.svg" -a ! -e "$T/p.txt"
expect_true "no temporary files at the end" no_temp_files "$T"

finish
