# cli_engine.sh — the engine's options: derivatives, rotated and caller's masks, engines, alpha,
# linear light; their errors (one line, exit 2, no output) and their agreements.
. tests/clilib.sh
F=tests/fixtures/filter
GRAY=$F/gray.png
RGBA=$F/rgba.png

run "$BLUR" --help
expect_true "--help lists --engine" grep -q -- "--engine E" "$T/stdout"
expect_true "--help lists --kernel" grep -q -- "--kernel FILE" "$T/stdout"

# Each option runs.
for opts in "--sigma 2 --order-x 1" "--sigma 2 --order-y 2 --scale 0.5" "--sigma 2 --order 1" \
    "--sigma-x 3 --sigma-y 1 --angle 30" "--kernel $F/k3x5.npy" "--kernel $F/k4x2.csv --correlate" \
    "--sigma 2 --engine 2d" "--sigma 2 --engine separable" "--sigma 2 --exact" \
    "--sigma 2 --linear" "--sigma 2 --no-premultiply" "--sigma 2 --mode constant --cval 200" \
    "--sigma-x 2 --sigma-y 0 --mode BORDER_REFLECT_101" "--sigma 40 --mode wrap"; do
    # shellcheck disable=SC2086
    run "$BLUR" "$RGBA" "$T/ok.png" $opts
    expect_status "runs with $opts" 0
done

# Agreements between ways of asking for the same thing.
run "$BLUR" "$GRAY" "$T/rot.png" --sigma-x 3 --sigma-y 1 --angle 30 --exact
run "$BLUR" "$GRAY" "$T/rotk.png" --kernel $F/rotmask0.npy --exact
expect_true "--angle equals --kernel with the documented mask" cmp -s "$T/rot.png" "$T/rotk.png"
run "$BLUR" "$GRAY" "$T/rot7.png" --sigma-x 3 --sigma-y 1 --angle 30 --threads 7
run "$BLUR" "$GRAY" "$T/rot1.png" --sigma-x 3 --sigma-y 1 --angle 30 --threads 1
expect_true "2D engine: 7 threads equal 1" cmp -s "$T/rot7.png" "$T/rot1.png"
run "$BLUR" "$RGBA" "$T/s7.png" --sigma-x 2.5 --sigma-y 1.5 --order-x 1 --threads 7
run "$BLUR" "$RGBA" "$T/s1.png" --sigma-x 2.5 --sigma-y 1.5 --order-x 1 --threads 1
expect_true "separable: 7 threads equal 1" cmp -s "$T/s7.png" "$T/s1.png"
run "$BLUR" "$GRAY" "$T/kn.png" --kernel $F/k4x2.npy
run "$BLUR" "$GRAY" "$T/kc.png" --kernel $F/k4x2.csv
expect_true "a CSV mask equals the same .npy mask" cmp -s "$T/kn.png" "$T/kc.png"
run "$BLUR" "$GRAY" "$T/kcorr.png" --kernel $F/k4x2.csv --correlate
expect_true "--correlate differs from convolve on an asymmetric mask" test -n "$(cmp "$T/kn.png" "$T/kcorr.png")"
run "$BLUR" "$GRAY" "$T/ex.png" --sigma 2 --exact
run "$BLUR" "$GRAY" "$T/au.png" --sigma 2
expect_true "--exact equals the default on a plain blur" cmp -s "$T/ex.png" "$T/au.png"
run "$BLUR" "$GRAY" "$T/q.png" --sigma-x 3 --sigma-y 1 --angle 90 --exact
run "$BLUR" "$GRAY" "$T/q2.png" --sigma-x 1 --sigma-y 3 --exact
expect_true "a quarter turn swaps the sigmas" cmp -s "$T/q.png" "$T/q2.png"
run "$BLUR" "$RGBA" "$T/pm.png" --sigma 2
run "$BLUR" "$RGBA" "$T/raw.png" --sigma 2 --no-premultiply
expect_true "--no-premultiply changes an image with transparency" test -n "$(cmp "$T/pm.png" "$T/raw.png")"
run "$BLUR" "$GRAY" "$T/sep.png" --kernel $F/sobel.npy --engine separable
expect_status "Sobel is separable" 0

# Usage errors: one line, exit 2, no output file.
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 2 --order-x 3
expect_error "order out of range" 2 "^blur: --order-x: expected a whole number from 0 to 2, got '3'$"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma-x 2 --order-y 1
expect_error "order on an axis without sigma" 2 "^blur: --order-y: needs a sigma above 0 on that axis$"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 2 --engine fast
expect_error "unknown engine" 2 "^blur: --engine: expected auto, exact, separable or 2d, got 'fast'$"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma-x 3 --sigma-y 1 --angle 30 --engine separable
expect_error "separable forced on a rotated mask" 2 "^blur: --engine separable: the mask is not separable"
run "$BLUR" "$GRAY" "$T/bad.png" --kernel $F/k3x5.npy --engine separable
expect_error "separable forced on a rank-3 mask" 2 "^blur: --engine separable: the mask is not separable"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma-x 3 --angle 30
expect_error "angle with one sigma" 2 "^blur: --angle: needs both sigmas above 0$"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 3 --angle 30 --order-x 1
expect_error "angle with an order" 2 "^blur: --angle: cannot be combined with --order$"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 3 --kernel $F/k3x5.npy
expect_error "kernel with sigma" 2 "^blur: --kernel: cannot be combined with --sigma"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 3 --correlate
expect_error "correlate without kernel" 2 "^blur: --correlate: only applies to --kernel$"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 3 --order 1 --linear
expect_error "linear with a derivative" 2 "^blur: --linear: cannot be combined with derivatives"
run "$BLUR" "$GRAY" "$T/bad.png" --kernel $F/sobel.npy --linear
expect_error "linear with a zero-sum mask" 2 "^blur: --linear: a signed result"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 3 --angle abc
expect_error "angle not a number" 2 "^blur: --angle: expected a number"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 3 --scale inf
expect_error "scale not finite" 2 "^blur: --scale: expected a number"
run "$BLUR" "$GRAY" "$T/bad.png" --sigma 3 --engine
expect_error "engine without value" 2 "^blur: --engine: needs a value$"

# Mask files that cannot be used: exit 1, as for any unreadable input.
run "$BLUR" "$GRAY" "$T/bad.png" --kernel "$T/missing.csv"
expect_error "missing mask file" 1 "^blur: $T/missing.csv: cannot open: No such file or directory$"
printf '1,2,3\n4,5\n' >"$T/ragged.csv"
run "$BLUR" "$GRAY" "$T/bad.png" --kernel "$T/ragged.csv"
expect_error "ragged mask file" 1 "^blur: $T/ragged.csv: .* at line 2$"
printf '1,nan\n' >"$T/nan.csv"
run "$BLUR" "$GRAY" "$T/bad.png" --kernel "$T/nan.csv"
expect_error "NaN in a mask file" 1 "^blur: $T/nan.csv: "
expect_true "no output after errors" test ! -e "$T/bad.png"
expect_true "no temporary files after errors" no_temp_files "$T"

finish
