#!/bin/sh
# Runs every test program and CLI test script, adds up their results and ends with one line:
# "N passed, N failed". A program that dies without a summary (a sanitizer report, a crash)
# counts as one failure.
BUILD=${BUILD:-build}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # $1 = name, $2 = exit status; reads the program's output from $log
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "FAILED: $1 exited with status $2 and no test summary"
        tail -n 30 "$log"
    elif [ "$f" -ne 0 ]; then
        grep -E '^\[  (FAILED|ERROR)  \]|error:|Failure' "$log" | head -n 40
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-40s %4d passed, %d failed\n' "$1" "$p" "$f"
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    "$t" >"$log" 2>&1
    count "$(basename "$t")" $?
done

# CLI scripts print cmocka-style summary lines too, so they are counted the same way.
for s in tests/cli_*.sh; do
    [ -f "$s" ] || continue
    BLUR="$BUILD/blur" sh "$s" >"$log" 2>&1
    count "$(basename "$s")" $?
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
