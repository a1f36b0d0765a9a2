# cli_blur.sh — the default command: exit codes, one-line errors, no output on failure,
# IN == OUT, standard input and output, devices.
. tests/clilib.sh
IMG=assets/coffee.png

run "$BLUR" "$IMG" "$T/out.png" --sigma 3
expect_status "blurs a PNG" 0
expect_true "output exists" test -s "$T/out.png"
expect_true "no temporary file left" no_temp_files "$T"

run "$BLUR" --help
expect_status "--help exits 0" 0
expect_true "--help prints usage" grep -q "Usage: blur IN OUT --sigma S" "$T/stdout"
run "$BLUR" --version
expect_status "--version exits 0" 0
expect_true "--version prints the version" grep -q "^blur [0-9]" "$T/stdout"

run "$BLUR" "$IMG" "$T/bad1.png" --sigma abc
expect_error "non-numeric sigma" 2 "^blur: --sigma: expected a non-negative number, got 'abc'$"
run "$BLUR" "$IMG" "$T/bad1.png" --sigma -1
expect_error "negative sigma" 2 "^blur: --sigma: expected a non-negative number, got '-1'$"
run "$BLUR" "$IMG" "$T/bad1.png" --sigma nan
expect_error "NaN sigma" 2 "^blur: --sigma: "
run "$BLUR" "$IMG" "$T/bad1.png"
expect_error "missing sigma" 2 "^blur: --sigma is required"
run "$BLUR" "$IMG" --sigma 1
expect_error "missing OUT" 2 "^blur: expected IN and OUT"
run "$BLUR" "$IMG" "$T/bad1.png" --sigma 1 --bogus
expect_error "unknown option" 2 "^blur: unknown option '--bogus'"
run "$BLUR" "$IMG" "$T/bad1.png" --sigma
expect_error "option without value" 2 "^blur: --sigma: needs a value"
run "$BLUR" "$IMG" "$T/bad1.png" --sigma 1 --mode sideways
expect_error "unknown mode" 2 "^blur: --mode: expected reflect"
expect_true "no output after usage errors" test ! -e "$T/bad1.png"

printf 'meow' >"$T/cat.png"
run "$BLUR" "$T/cat.png" "$T/bad2.png" --sigma 1
expect_error "text file named .png" 1 "^blur: $T/cat.png: not an image (unknown format)$"
: >"$T/empty.png"
run "$BLUR" "$T/empty.png" "$T/bad2.png" --sigma 1
expect_error "empty file" 1 "^blur: $T/empty.png: empty file$"
run "$BLUR" "$T/missing.png" "$T/bad2.png" --sigma 1
expect_error "missing input" 1 "^blur: $T/missing.png: cannot open: No such file or directory$"
head -c 20000 "$IMG" >"$T/trunc.png"
run "$BLUR" "$T/trunc.png" "$T/bad2.png" --sigma 1
expect_error "truncated PNG" 1 "^blur: $T/trunc.png: truncated file$"
run "$BLUR" "$T" "$T/bad2.png" --sigma 1
expect_error "directory as input" 1 "^blur: $T: "
run "$BLUR" "$IMG" "$T/out.xyz" --sigma 1
expect_error "unknown output extension" 2 "^blur: $T/out.xyz: unknown output format"
mkdir "$T/adir"
run "$BLUR" "$IMG" "$T/adir" --sigma 1
expect_error "a directory as output" 1 "^blur: $T/adir: cannot open: Is a directory$"
run "$BLUR" "$IMG" "$T/hex.png" --sigma 0x10
expect_error "hexadecimal sigma" 2 "^blur: --sigma: expected a non-negative number, got '0x10'$"
run "$BLUR" "$IMG" "$T/nodir/out.png" --sigma 1
expect_error "missing output directory" 1 "^blur: $T/nodir/out.png: cannot open: No such file or directory$"
expect_true "no output after input errors" test ! -e "$T/bad2.png"
expect_true "no temporary files after errors" no_temp_files "$T"

if [ "$(id -u)" -ne 0 ]; then
    mkdir "$T/ro" && chmod 555 "$T/ro"
    run "$BLUR" "$IMG" "$T/ro/out.png" --sigma 1
    expect_error "read-only directory" 1 "Permission denied"
fi

run "$BLUR" "$IMG" /dev/full --sigma 1
expect_error "/dev/full" 1 "^blur: /dev/full: write error: No space left on device$"
run "$BLUR" "$IMG" /dev/null --sigma 1
expect_status "/dev/null is written directly" 0
expect_true "/dev/null is still a device" test -c /dev/null

# An existing output is replaced only by a complete file.
cp "$T/out.png" "$T/keep.png"
run "$BLUR" "$T/cat.png" "$T/keep.png" --sigma 1
expect_true "failed run keeps the old output" cmp -s "$T/out.png" "$T/keep.png"

# Replacing a file keeps its permissions; a long name (the temporary one is longer) works.
cp "$T/out.png" "$T/private.png" && chmod 600 "$T/private.png"
run "$BLUR" "$IMG" "$T/private.png" --sigma 3
expect_true "a replaced file keeps its mode" test "$(stat -c %a "$T/private.png")" = 600
long=$(printf 'n%.0s' $(seq 251)).png
run "$BLUR" "$IMG" "$T/$long" --sigma 3
expect_true "a 255-byte output name works" cmp -s "$T/$long" "$T/out.png"

# IN == OUT
cp "$IMG" "$T/same.png"
run "$BLUR" "$T/same.png" "$T/same.png" --sigma 3
expect_status "IN == OUT works" 0
expect_true "IN == OUT gives the same result as two files" cmp -s "$T/same.png" "$T/out.png"

# Standard input and output.
"$BLUR" - - --sigma 3 <"$IMG" >"$T/stdout.png" 2>"$T/stderr"
STATUS=$?
expect_status "stdin to stdout" 0
expect_true "stdout result equals the file result" cmp -s "$T/stdout.png" "$T/out.png"
head -c 1000 "$IMG" | "$BLUR" - "$T/cut.png" --sigma 3 2>"$T/stderr"
STATUS=$?
expect_error "a cut PNG on standard input" 1 "^blur: (standard input): truncated file$"
"$BLUR" "$IMG" - --sigma 3 >/dev/full 2>"$T/stderr"
STATUS=$?
expect_error "standard output full" 1 "^blur: (standard output): write error: No space left on device$"

# sigma 0 copies the pixels.
run "$BLUR" "$IMG" "$T/copy.png" --sigma 0
run "$BLUR" "$T/copy.png" "$T/copy2.png" --sigma 0
expect_true "--sigma 0 copies" cmp -s "$T/copy.png" "$T/copy2.png"

# Other formats out and back in.
for ext in jpg bmp tga hdr; do
    run "$BLUR" "$IMG" "$T/out.$ext" --sigma 1
    expect_status "writes .$ext" 0
    run "$BLUR" "$T/out.$ext" "$T/back-$ext.png" --sigma 0
    expect_status "reads .$ext back" 0
done

# EXIF orientation 6 (stored on its side): the output is upright, 16 wide and 24 high, from a
# JPEG and from a PNG (whose rows would otherwise stream straight through).
for ext in jpg png; do
    run "$BLUR" tests/fixtures/exif/orientation6.$ext "$T/upright-$ext.png" --sigma 1
    expect_status "orientation 6 .$ext blurs" 0
    expect_true "orientation 6 .$ext comes out upright" test "$(png_size "$T/upright-$ext.png")" = "16 24"
done

finish
