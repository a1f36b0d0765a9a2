# cli_rbf.sh — blur rbf: results against scipy's (tests/fixtures/rbf, CSV references compared
# with a relative tolerance), .npy output, row-block streaming, and one-line errors naming the
# file and the line.
. tests/clilib.sh
F=tests/fixtures/rbf
M=tests/fixtures/matrix

# close A.csv B.csv TOL: same shape, every value within TOL relative (absolute below 1e-300).
close() {
    awk -F, -v tol="$3" '
        function abs(v) { return v < 0 ? -v : v }
        NR == FNR { for (i = 1; i <= NF; i++) want[FNR, i] = $i; cols[FNR] = NF; rows = FNR; next }
        {
            if (NF != cols[FNR]) { print "row " FNR ": " NF " values, expected " cols[FNR]; bad = 1; exit }
            for (i = 1; i <= NF; i++) {
                w = want[FNR, i] + 0; g = $i + 0; d = abs(g - w)
                if (abs(w) > 1e-300) d /= abs(w)
                if (d > tol) { print "row " FNR " col " i ": " g " vs " w; bad = 1; exit }
            }
            seen = FNR
        }
        END { if (!bad && seen != rows) { print seen " rows, expected " rows; bad = 1 } exit bad }
    ' "$1" "$2" >"$T/close.log"
}

run "$BLUR" rbf "$F/issue_x.csv" --sigma 1 -o "$T/issue.csv"
expect_status "issue example, CSV in and out" 0
expect_true "issue example matches scipy" close "$F/issue_k.csv" "$T/issue.csv" 1e-12
expect_true "issue example prints the issue's digits" grep -q "^1,1.26641655[0-9]*e-14,2.57220937[0-9]*e-56$" "$T/issue.csv"
run "$BLUR" rbf "$F/issue_x.npy" --gamma 0.5 -o "$T/issue_g.csv" --exact
expect_status "--gamma and --exact from .npy" 0
expect_true "--gamma 0.5 equals --sigma 1" close "$F/issue_k.csv" "$T/issue_g.csv" 1e-15

run "$BLUR" rbf "$F/small_x.csv" --with "$F/small_y.csv" --gamma 0.7 -o "$T/small.csv"
expect_status "cross matrix" 0
expect_true "cross matrix matches scipy" close "$F/small_k.csv" "$T/small.csv" 1e-12
run "$BLUR" rbf "$F/small_x.npy" --with "$F/small_y.npy" --gamma 0.7 -o "$T/small.npy" -j 2
expect_status "cross matrix to .npy" 0
expect_true ".npy header says float64 (12, 7)" grep -q "'descr': '<f8', 'fortran_order': False, 'shape': (12, 7)" "$T/small.npy"
expect_true ".npy size is header + 84 doubles" test "$(wc -c <"$T/small.npy")" -eq $((128 + 84 * 8))
run "$BLUR" rbf "$F/small_x.npy" --with "$F/small_y.csv" --gamma 0.7 -o - --threads 1
expect_status "'-' writes CSV to standard output" 0
expect_true "standard output matches scipy" close "$F/small_k.csv" "$T/stdout" 1e-12

# Row blocks: a limit far below the result gives the same bytes.
run "$BLUR" rbf "$F/sym_x.npy" --sigma 1.3 -o "$T/whole.npy"
expect_status "symmetric 70 x 70" 0
run "$BLUR" rbf "$F/sym_x.csv" --sigma 1.3 -o "$T/blocks.npy" --max-memory 3000
expect_status "written in row blocks (--max-memory 3000)" 0
expect_true "row blocks give the same bytes" cmp -s "$T/whole.npy" "$T/blocks.npy"
run "$BLUR" rbf "$F/sym_x.npy" --sigma 1.3 -o "$T/one.npy" --max-memory 1
expect_status "one row at a time" 0
expect_true "one row at a time gives the same bytes" cmp -s "$T/whole.npy" "$T/one.npy"
run "$BLUR" rbf "$F/sym_x.npy" --sigma 1.3 -o "$T/big.npy" --max-memory 2G
expect_true "--max-memory accepts a G suffix" cmp -s "$T/whole.npy" "$T/big.npy"
expect_true "no temporary file left" no_temp_files "$T"

run "$BLUR" rbf --help
expect_status "--help exits 0" 0
expect_true "--help prints usage" grep -q "^Usage: blur rbf X.npy|X.csv" "$T/stdout"

# Usage errors: exit 2, one line, no output.
X="$F/issue_x.csv"
run "$BLUR" rbf "$X" -o "$T/bad.npy"
expect_error "neither sigma nor gamma" 2 "^blur: give one of --sigma or --gamma$"
run "$BLUR" rbf "$X" --sigma 1 --gamma 1 -o "$T/bad.npy"
expect_error "both sigma and gamma" 2 "^blur: give one of --sigma or --gamma$"
run "$BLUR" rbf "$X" --sigma 0 -o "$T/bad.npy"
expect_error "zero sigma" 2 "^blur: --sigma: expected a positive number, got '0'$"
run "$BLUR" rbf "$X" --sigma 1e-200 -o "$T/bad.npy"
expect_error "sigma too small for gamma" 2 "^blur: --sigma 1e-200: gamma = 1/(2 sigma^2) is too large for a double$"
run "$BLUR" rbf "$X" --gamma abc -o "$T/bad.npy"
expect_error "non-numeric gamma" 2 "^blur: --gamma: expected a non-negative number, got 'abc'$"
run "$BLUR" rbf "$X" --sigma 1
expect_error "missing -o" 2 "^blur: -o K.npy|K.csv is required$"
run "$BLUR" rbf "$X" --sigma 1 -o "$T/bad.png"
expect_error "unknown output extension" 2 "^blur: $T/bad.png: unknown output format; use .npy or .csv$"
run "$BLUR" rbf --sigma 1 -o "$T/bad.npy"
expect_error "missing X" 2 "^blur: expected one input X"
run "$BLUR" rbf "$X" "$X" --sigma 1 -o "$T/bad.npy"
expect_error "two inputs" 2 "^blur: expected one input X"
run "$BLUR" rbf "$X" --sigma 1 -o "$T/bad.npy" --threads 0
expect_error "bad --threads" 2 "^blur: --threads: expected a whole number from 1 to 256, got '0'$"
run "$BLUR" rbf "$X" --sigma 1 -o "$T/bad.npy" --max-memory lots
expect_error "bad --max-memory" 2 "^blur: --max-memory: expected a size in bytes"
run "$BLUR" rbf "$X" --sigma 1 -o "$T/bad.npy" --bogus
expect_error "unknown option" 2 "^blur: unknown option '--bogus'"
run "$BLUR" rbf "$X" -o "$T/bad.npy" --sigma
expect_error "option without value" 2 "^blur: --sigma: needs a value$"

# Bad input: exit 1, one line naming the file and the line (CSV) or row (.npy).
printf '1,2,3\n4,5,6\n7,8\n' >"$T/ragged.csv"
run "$BLUR" rbf "$T/ragged.csv" --sigma 1 -o "$T/bad.npy"
expect_error "ragged CSV" 1 "^blur: $T/ragged.csv: line 3: 2 values where the rows above have 3$"
printf '# points\n1,2\n3,NaN\n' >"$T/nan.csv"
run "$BLUR" rbf "$T/nan.csv" --sigma 1 -o "$T/bad.npy"
expect_error "NaN in CSV" 1 "^blur: $T/nan.csv: line 3: NaN in column 2$"
printf '1,2\n3,x4\n' >"$T/word.csv"
run "$BLUR" rbf "$T/word.csv" --sigma 1 -o "$T/bad.npy"
expect_error "word in CSV" 1 "^blur: $T/word.csv: line 2: not a number: 'x4'$"
run "$BLUR" rbf "$M/nan.npy" --sigma 1 -o "$T/bad.npy"
expect_error "NaN in .npy" 1 "^blur: $M/nan.npy: row 3: NaN in column 2$"
run "$BLUR" rbf "$M/float16.npy" --sigma 1 -o "$T/bad.npy"
expect_error "float16 .npy" 1 "^blur: $M/float16.npy: not supported: dtype '<f2'"
run "$BLUR" rbf "$M/truncated.npy" --sigma 1 -o "$T/bad.npy"
expect_error "truncated .npy" 1 "^blur: $M/truncated.npy: truncated file: the data ends after"
run "$BLUR" rbf "$M/shape_1d.npy" --sigma 1 -o "$T/bad.npy"
expect_error "1-D array" 1 "^blur: $M/shape_1d.npy: a 1-D array is ambiguous as points; .*reshape(-1, 1)"
run "$BLUR" rbf "$M/shape_0d.npy" --sigma 1 -o "$T/bad.npy"
expect_error "0-D array" 1 "^blur: $M/shape_0d.npy: a 0-D array is ambiguous"
: >"$T/empty.csv"
run "$BLUR" rbf "$T/empty.csv" --sigma 1 -o "$T/bad.npy"
expect_error "empty file" 1 "^blur: $T/empty.csv: empty file$"
printf '# nothing\n\n' >"$T/comments.csv"
run "$BLUR" rbf "$T/comments.csv" --sigma 1 -o "$T/bad.npy"
expect_error "only comments" 1 "^blur: $T/comments.csv: empty file: no numbers"
run "$BLUR" rbf "$T/missing.csv" --sigma 1 -o "$T/bad.npy"
expect_error "missing input" 1 "^blur: $T/missing.csv: cannot open: No such file or directory$"
run "$BLUR" rbf "$F/issue_x.csv" --with "$F/small_y.csv" --sigma 1 -o "$T/bad.npy"
expect_error "mismatched d" 1 "^blur: $F/small_y.csv: points of dimension 3, but $F/issue_x.csv has dimension 4$"
run "$BLUR" rbf "$F/issue_x.csv" --with "$T/ragged.csv" --sigma 1 -o "$T/bad.npy"
expect_error "bad Y is named" 1 "^blur: $T/ragged.csv: line 3: "
expect_true "no output after errors" test ! -e "$T/bad.npy"

run "$BLUR" rbf "$X" --sigma 1 -o "$T/nodir/k.npy"
expect_error "missing output directory" 1 "^blur: $T/nodir/k.npy: cannot open: No such file or directory$"
run "$BLUR" rbf "$X" --sigma 1 -o /dev/full
expect_error "/dev/full" 1 "^blur: /dev/full: write error: No space left on device$"
expect_true "no temporary files after errors" no_temp_files "$T"

# A failed run keeps an existing output.
cp "$T/whole.npy" "$T/keep.npy"
run "$BLUR" rbf "$T/ragged.csv" --sigma 1 -o "$T/keep.npy"
expect_true "failed run keeps the old output" cmp -s "$T/whole.npy" "$T/keep.npy"

finish
