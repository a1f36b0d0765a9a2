# clilib.sh — sourced by the tests/cli_*.sh scripts. Each check prints one line; the script's
# `finish` prints cmocka-style totals that tests/run_tests.sh adds up.
# $BLUR is the program under test; $T is a fresh temporary directory, removed at exit.
BLUR=${BLUR:-build/blur}
case $BLUR in /*) ;; *) BLUR="$PWD/$BLUR" ;; esac
T=$(mktemp -d /tmp/blur-cli-XXXXXX)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1${2:+: $2}"; }

# run CMD...: runs it, keeping its status in $STATUS, stdout in $T/stdout, stderr in $T/stderr.
run() {
    "$@" >"$T/stdout" 2>"$T/stderr"
    STATUS=$?
}

# expect_status NAME N: the last run exited with N.
expect_status() {
    if [ "$STATUS" -eq "$2" ]; then ok "$1"; else bad "$1" "status $STATUS, expected $2; stderr: $(head -c 300 "$T/stderr")"; fi
}

# expect_error NAME N PATTERN: exit status N and exactly one stderr line matching PATTERN.
expect_error() {
    lines=$(wc -l <"$T/stderr")
    if [ "$STATUS" -ne "$2" ]; then bad "$1" "status $STATUS, expected $2; stderr: $(head -c 300 "$T/stderr")"
    elif [ "$lines" -ne 1 ]; then bad "$1" "expected one line on stderr, got $lines: $(head -c 300 "$T/stderr")"
    elif ! grep -q -- "$3" "$T/stderr"; then bad "$1" "stderr '$(cat "$T/stderr")' does not match '$3'"
    else ok "$1"; fi
}

# expect_true NAME CMD...: CMD succeeds.
expect_true() {
    name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk.
png_size() {
    od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4, $5*16777216 + $6*65536 + $7*256 + $8 }'
}

# no_temp_files DIR: no temporary file of ours is left in DIR.
no_temp_files() {
    [ -z "$(find "$1" -maxdepth 1 -name '.*.tmp' 2>/dev/null)" ]
}

finish() {
    echo "[  PASSED  ] $PASS test(s)."
    [ "$FAIL" -eq 0 ] || echo "[  FAILED  ] $FAIL test(s), listed above."
    [ "$FAIL" -eq 0 ]
}
