# cli_docs.sh — the man page and --help agree: every option one names for a command, the other
# names too; the man page renders without warnings; the bash completion knows every command.
. tests/clilib.sh
MAN=src/cli/blur.1
COMP=src/cli/blur.bash-completion

# The man page as text: font escapes removed, \- as -.
sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' "$MAN" >"$T/man.txt"

# section NAME: the man page's text of one .SH section (for the default command: OPTIONS and
# BATCH MODE).
section() {
    awk -v want="$1" '/^\.SH /{sub(/^\.SH "?/, ""); sub(/"$/, ""); on = (index(want, "|" $0 "|") > 0); next} on' "$T/man.txt"
}
options_of() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }

check() { # NAME, the command's help, the man sections
    name=$1
    "$BLUR" $2 --help 2>&1 | options_of >"$T/help.opts"
    section "$3" | options_of >"$T/man.opts"
    missing_man=$(comm -23 "$T/help.opts" "$T/man.opts" | tr '\n' ' ')
    missing_help=$(comm -13 "$T/help.opts" "$T/man.opts" | tr '\n' ' ')
    if [ -z "$missing_man" ]; then ok "$name: the man page has every option of --help"
    else bad "$name: the man page lacks" "$missing_man"; fi
    if [ -z "$missing_help" ]; then ok "$name: --help has every option of the man page"
    else bad "$name: --help lacks" "$missing_help"; fi
    expect_true "$name: at least 5 options documented" test "$(wc -l <"$T/help.opts")" -ge 5
}

check "blur" "" "|OPTIONS|BATCH MODE|"
check "blur kernel" "kernel" "|BLUR KERNEL|"
check "blur compare" "compare" "|BLUR COMPARE|"
check "blur rbf" "rbf" "|BLUR RBF|"

# Every kernel method appears in the man page and in the completion.
for m in $("$BLUR" kernel --help | awk '/^Methods/{on=1; next} /^$/{on=0} on {print $1}'); do
    expect_true "man page explains method $m" grep -q "^\\.B $m\$" "$T/man.txt"
    expect_true "completion offers method $m" grep -q -- "$m" "$COMP"
done

if command -v groff >/dev/null 2>&1; then
    run sh -c "groff -man -Tutf8 -ww '$MAN' >/dev/null"
    expect_true "the man page renders without warnings" test ! -s "$T/stderr"
fi

# The completion script: loads in bash, and completes subcommands and options.
if command -v bash >/dev/null 2>&1; then
    cat >"$T/comp.bash" <<'BASH'
. "$1"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _blur; printf '%s\n' "${COMPREPLY[@]}"; }
BASH
    run bash -c ". '$T/comp.bash' '$COMP'; complete_words blur k"
    expect_true "completes the subcommand kernel" grep -qx kernel "$T/stdout"
    run bash -c ". '$T/comp.bash' '$COMP'; complete_words blur kernel --me"
    expect_true "completes kernel's --method" grep -qx -- --method "$T/stdout"
    run bash -c ". '$T/comp.bash' '$COMP'; complete_words blur in.png out.png --mode m"
    expect_true "completes border modes" grep -qx mirror "$T/stdout"
    run bash -c ". '$T/comp.bash' '$COMP'; complete_words blur kernel --method int"
    expect_true "completes method names" grep -qx integrated "$T/stdout"
    run bash -c ". '$T/comp.bash' '$COMP'; complete_words blur rbf --ga"
    expect_true "completes rbf's --gamma" grep -qx -- --gamma "$T/stdout"
fi

# --help (and --version) into a full device: a write error, not a silent success.
for c in "" kernel compare rbf; do
    [ -c /dev/full ] || continue
    "$BLUR" $c --help >/dev/full 2>"$T/stderr"
    STATUS=$?
    expect_error "blur $c --help >/dev/full" 1 "write error"
done
finish
