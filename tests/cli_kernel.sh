# cli_kernel.sh — blur kernel: every method through the command line against the scipy/numpy
# masks in tests/fixtures/kernel/ (compared as numbers, no Python), the formats, the size
# rules, --report, --help, every usage error; and blur IN OUT --method M.
. tests/clilib.sh
FIX=tests/fixtures/kernel

# npy_values FILE: the float64 values of a .npy file, one per line (the header length is in
# bytes 8-9, little-endian).
npy_values() {
    hlen=$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')
    od -An -v -tf8 -w8 -j$((10 + hlen)) "$1" | tr -d ' '
}
# text_values FILE: the numbers of a CSV or table, one per line, '#' lines skipped.
text_values() {
    grep -v '^#' "$1" | tr ', ' '\n\n' | grep -v '^$'
}
# close A B TOL: two lists of numbers, one per line, of the same length, agree within TOL.
close() {
    paste -d' ' "$1" "$2" | awk -v tol="$3" '
        { d = $1 - $2; if (d < 0) d = -d; if (NF != 2 || d > tol) bad = 1; n++ }
        END { exit bad || n == 0 }'
}

# The issue's example: the table.
run "$BLUR" kernel --method integrated --size 5 --nsig 2.5
expect_status "table: exits 0" 0
expect_true "table: header names method, shape, sigmas" \
    grep -q '^# integrated 5x5 (rows x cols), sigma_y 1, sigma_x 1, normalize sum$' "$T/stdout"
expect_true "table: 5 rows of 5 aligned columns" sh -c "grep -v '^#' '$T/stdout' | awk '
    { if (NF != 5) bad = 1; if (NR > 1 && length(\$0) != len) bad = 1; len = length(\$0) }
    END { exit bad || NR != 5 }'"
expect_true "table: centre cell" sh -c "grep -v '^#' '$T/stdout' | sed -n 3p | grep -q ' 0.15034262 '"
text_values "$T/stdout" >"$T/table.txt"
npy_values "$FIX/integrated-0.npy" >"$T/want.txt"
expect_true "table: values to 8 digits" close "$T/table.txt" "$T/want.txt" 5e-9

# Every method, as .npy and CSV, on a rectangle with sigma_x != sigma_y (case 1: 7x9,
# sigma_y 1.3, sigma_x 2.1) and an even one (case 2: 6x8, sigma_y 0.9, sigma_x 1.7).
for m in sampled sampled-floor integrated legacy-sqrt dirac window stretched; do
    run "$BLUR" kernel --method "$m" --size 7x9 --sigma-y 1.3 --sigma-x 2.1 -o "$T/$m.npy"
    expect_status "$m: writes .npy" 0
    expect_true "$m: .npy header is float64 (7, 9)" \
        grep -q "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 9), }" "$T/$m.npy"
    npy_values "$T/$m.npy" >"$T/got.txt"
    npy_values "$FIX/$m-1.npy" >"$T/want.txt"
    expect_true "$m: .npy matches scipy/numpy" close "$T/got.txt" "$T/want.txt" 1e-12

    run "$BLUR" kernel -m "$m" -n 6x8 --sigma-y 0.9 --sigma-x 1.7 --format csv
    expect_status "$m: CSV to standard output" 0
    text_values "$T/stdout" >"$T/got.txt"
    npy_values "$FIX/$m-2.npy" >"$T/want.txt"
    expect_true "$m: even-size CSV matches scipy/numpy" close "$T/got.txt" "$T/want.txt" 1e-12

    run "$BLUR" kernel -m "$m" -n 6x8 --sigma-y 0.9 --sigma-x 1.7 --normalize none -o "$T/$m.csv"
    text_values "$T/$m.csv" >"$T/got.txt"
    npy_values "$FIX/$m-2-none.npy" >"$T/want.txt"
    expect_true "$m: -o x.csv, --normalize none, matches" close "$T/got.txt" "$T/want.txt" 1e-12
done

# dirac with tails folded back (the issue's n = 21, sigma = 3).
run "$BLUR" kernel --method dirac --size 21 --sigma 3 --format csv
text_values "$T/stdout" >"$T/got.txt"
npy_values "$FIX/dirac-3.npy" >"$T/want.txt"
expect_true "dirac 21, sigma 3 matches gaussian_filter" close "$T/got.txt" "$T/want.txt" 1e-12

run "$BLUR" kernel --sigma 1 --normalize peak
expect_true "--normalize peak: centre is 1" grep -q '^ *[0-9.e-]*  *[0-9.e-]*  *[0-9.e-]*  *[0-9.e-]*  *1  ' "$T/stdout"

# Sizes from sigma.
size_of() { sed -n '1s/^# [a-z-]* \([0-9]*x[0-9]*\) .*/\1/p' "$T/stdout"; }
run "$BLUR" kernel --sigma 1
expect_true "default size: scipy's truncate 4 (9x9)" test "$(size_of)" = 9x9
run "$BLUR" kernel --sigma-y 1 --sigma-x 2 --truncate 2
expect_true "--truncate 2: 5x9" test "$(size_of)" = 5x9
run "$BLUR" kernel --sigma 1 --radius 3
expect_true "--radius 3: 7x7" test "$(size_of)" = 7x7
run "$BLUR" kernel --sigma-y 0.75 --sigma-x 1.2 --opencv-size
expect_true "--opencv-size: cvRound(6s+1)|1 (7x9)" test "$(size_of)" = 7x9
run "$BLUR" kernel --size 8x4 --nsig 2 --format csv
expect_true "--nsig: sigma = size / (2 nsig) per axis" \
    sh -c "'$BLUR' kernel --size 8x4 --sigma-y 2 --sigma-x 1 --format csv | cmp -s - '$T/stdout'"

# --report
run "$BLUR" kernel --report --size 21 --sigma 3
expect_status "--report exits 0" 0
expect_true "--report: a row per method" test "$(grep -c -E '^(sampled|sampled-floor|integrated|legacy-sqrt|dirac|window|stretched) ' "$T/stdout")" -eq 7
expect_true "--report: legacy-sqrt marked incorrect" grep -q '^legacy-sqrt (incorrect) ' "$T/stdout"
run "$BLUR" kernel --report --size 6x8 --sigma-y 0.9 --sigma-x 1.7 --format csv
expect_true "--report csv: header and 7 rows" test "$(wc -l <"$T/stdout")" -eq 8
expect_true "--report csv: integrated differs from itself by 0" grep -q '^integrated,0,.*,0$' "$T/stdout"
run "$BLUR" kernel --report --size 4 --sigma 30000
expect_status "--report with a method out of range still exits 0" 0
expect_true "--report: says which row was not computed" grep -q '^dirac .*not computed' "$T/stdout"

# --help
run "$BLUR" kernel --help
expect_status "--help exits 0" 0
for m in sampled sampled-floor integrated legacy-sqrt dirac window stretched; do
    expect_true "--help lists $m" grep -q "^  $m " "$T/stdout"
done
expect_true "--help marks legacy-sqrt incorrect" grep -q '^  legacy-sqrt *INCORRECT' "$T/stdout"
expect_true "--help lists the formats" grep -q '^  npy ' "$T/stdout"

# Usage errors: one line, exit 2, no file.
run "$BLUR" kernel --size 0 --sigma 1
expect_error "size 0" 2 "^blur: --size: expected N or ROWSxCOLS, whole numbers from 1 to 10001, got '0'$"
run "$BLUR" kernel --size 10002 --sigma 1
expect_error "size over 10001" 2 "^blur: --size: .*got '10002'$"
run "$BLUR" kernel --size 5x --sigma 1
expect_error "size 5x" 2 "^blur: --size: .*got '5x'$"
run "$BLUR" kernel --size -3 --sigma 1
expect_error "negative size" 2 "^blur: --size: .*got '-3'$"
run "$BLUR" kernel --size 5 --sigma 0
expect_error "sigma 0" 2 "^blur: --sigma: expected a positive number, got '0'$"
run "$BLUR" kernel --size 5 --sigma -1
expect_error "negative sigma" 2 "^blur: --sigma: expected a positive number, got '-1'$"
run "$BLUR" kernel --size 5 --sigma nan
expect_error "NaN sigma" 2 "^blur: --sigma: expected a positive number, got 'nan'$"
run "$BLUR" kernel --size 5 --sigma-x inf
expect_error "infinite sigma" 2 "^blur: --sigma-x: expected a positive number"
run "$BLUR" kernel --size 5 --nsig 0
expect_error "nsig 0" 2 "^blur: --nsig: expected a positive number"
run "$BLUR" kernel --size 5
expect_error "no sigma" 2 "^blur: --sigma is required"
run "$BLUR" kernel --size 5 --sigma-x 2
expect_error "one sigma only" 2 "^blur: --sigma-y is missing"
run "$BLUR" kernel --nsig 2
expect_error "nsig without size" 2 "^blur: --nsig needs --size"
run "$BLUR" kernel --nsig 2 --size 5 --sigma 1
expect_error "nsig with sigma" 2 "^blur: --nsig sets sigma from the size"
run "$BLUR" kernel --size 5 --radius 2 --sigma 1
expect_error "two sizes" 2 "^blur: give only one of --size, --truncate, --radius and --opencv-size$"
run "$BLUR" kernel --sigma 5000
expect_error "size from sigma over the limit" 2 "^blur: --sigma 5000 with truncate 4 gives 40001 cells, over the limit of 10001; give --size$"
run "$BLUR" kernel --sigma 2000 --opencv-size
expect_error "OpenCV size over the limit" 2 "^blur: --opencv-size: sigma 2000 gives 12001 cells"
run "$BLUR" kernel --method gaussian --sigma 1
expect_error "unknown method" 2 "^blur: --method: unknown method 'gaussian' (see blur kernel --help)$"
run "$BLUR" kernel --sigma 1 --format xlsx
expect_error "unknown format" 2 "^blur: --format: expected table, csv, npy or png, got 'xlsx'$"
run "$BLUR" kernel --sigma 1 --normalize max
expect_error "unknown normalization" 2 "^blur: --normalize: expected sum, peak or none, got 'max'$"
run "$BLUR" kernel --sigma 1 --format npy
expect_error "npy needs a file" 2 "^blur: --format npy: needs -o FILE.npy$"
run "$BLUR" kernel --sigma 1 --format npy -o "$T/bad.bin"
expect_error "npy needs a .npy name" 2 "^blur: $T/bad.bin: --format npy needs a name ending in .npy$"
run "$BLUR" kernel --sigma 1 --format csv -o "$T/bad.npy"
expect_error "csv to a .npy name" 2 "^blur: $T/bad.npy: a .npy name is for --format npy; choose another name$"
run "$BLUR" kernel --sigma 1 --format table -o "$T/bad.txt"
expect_error "table to a file" 2 "^blur: --format table prints to standard output"
run "$BLUR" kernel --sigma 1 --report -o "$T/bad.csv"
expect_error "report to a file" 2 "^blur: --report prints to standard output"
run "$BLUR" kernel --method dirac --size 5 --sigma 30000
expect_error "dirac radius over the limit" 2 "^blur: --method dirac: sigma 30000 needs a filter radius over 5000 pixels$"
run "$BLUR" kernel --size 2 --sigma 0.01
expect_error "every cell underflows" 2 "^blur: --method sampled: every cell underflows to 0"
run "$BLUR" kernel --size 2 --sigma 0.01 --normalize none
expect_status "underflow with --normalize none is allowed" 0
run "$BLUR" kernel --sigma 1 extra
expect_error "stray argument" 2 "^blur: unexpected argument 'extra'"
run "$BLUR" kernel --sigma 1 --bogus
expect_error "unknown option" 2 "^blur: unknown option '--bogus'"
run "$BLUR" kernel --sigma
expect_error "option without value" 2 "^blur: --sigma: needs a value$"
expect_true "no files after usage errors" test -z "$(ls "$T" | grep '^bad')"

# I/O errors: exit 1.
run "$BLUR" kernel --sigma 1 -o /dev/full --format csv
expect_error "CSV to /dev/full" 1 "^blur: /dev/full: write error: No space left on device$"
"$BLUR" kernel --sigma 1 >/dev/full 2>"$T/stderr"
STATUS=$?
expect_error "table to a full standard output" 1 "^blur: (standard output): write error: No space left on device$"
run "$BLUR" kernel --sigma 1 -o "$T/nodir/k.npy"
expect_error "missing directory" 1 "^blur: $T/nodir/k.npy: cannot open: No such file or directory$"
expect_true "no temporary files" no_temp_files "$T"
# A mask that does not fit in memory (800 MB under a 300 MB limit). Skipped where the program
# cannot run under the limit at all (AddressSanitizer reserves terabytes of address space).
if (ulimit -v 300000 && "$BLUR" kernel --size 3 --sigma 1 >/dev/null 2>&1); then
    (ulimit -v 300000 && exec "$BLUR" kernel --size 10001 --sigma 1000 -o "$T/big.npy") \
        >"$T/stdout" 2>"$T/stderr"
    STATUS=$?
    expect_error "mask over the memory limit" 1 "^blur: a 10001x10001 mask needs 800 MB, more memory than is available$"
fi

# The filter uses the methods (compared on the exact engine: only sampled has a fast path).
IMG=assets/coffee.png
run "$BLUR" "$IMG" "$T/sampled.png" --sigma 2 --exact
run "$BLUR" "$IMG" "$T/integrated.png" --sigma 2 --method integrated
expect_status "blur IN OUT --method integrated" 0
expect_true "integrated blurs differently from sampled" sh -c "! cmp -s '$T/sampled.png' '$T/integrated.png'"
run "$BLUR" "$IMG" "$T/dirac.png" --sigma 2 --method dirac
expect_true "dirac at scipy's size blurs as sampled" cmp -s "$T/sampled.png" "$T/dirac.png"
run "$BLUR" "$IMG" "$T/bad.png" --sigma 2 --method nonesuch
expect_error "blur with an unknown method" 2 "^blur: --method: unknown method 'nonesuch'"

finish
