# cli_batch.sh — batch mode: blur --sigma S -o OUTDIR IN... Relative output paths, skipping and
# --force, failures that do not stop the others, --jobs, --files-from, SIGINT and the rerun, the
# progress bar under a pseudo-terminal.
. tests/clilib.sh
IMG=assets/coffee.png

# ppm W H FILE: a W×H RGB image of random pixels (pgm for gray).
ppm() { { printf 'P6\n%d %d\n255\n' "$1" "$2"; head -c $(($1 * $2 * 3)) /dev/urandom; } >"$3"; }
pgm() { { printf 'P5\n%d %d\n255\n' "$1" "$2"; head -c $(($1 * $2)) /dev/urandom; } >"$3"; }
# no_temp_anywhere DIR: no temporary file of ours in the whole tree.
no_temp_anywhere() { [ -z "$(find "$1" -name '.*.tmp')" ]; }
# same_tree A B: the same files with the same bytes.
same_tree() { diff -r "$1" "$2" >/dev/null; }
# decodes FILE...: every file reads back as a complete image.
decodes() { for f in "$@"; do "$BLUR" "$f" /dev/null --sigma 0 2>/dev/null || return 1; done; }

# The tree: several sizes and formats, made with blur itself, and a few corrupt files. Small, to
# keep the test fast; the photo (assets/coffee.png) is used for the SIGINT test, where slow is
# good.
IN=$T/in
mkdir -p "$IN/sub/deep" "$IN/other"
ppm 40 30 "$T/s1.ppm"
ppm 17 61 "$T/s2.ppm"
ppm 90 7 "$T/s3.ppm"
pgm 33 33 "$T/g1.pgm"
ppm 120 80 "$T/s4.ppm"
"$BLUR" "$T/s4.ppm" "$IN/photo.png" --sigma 0
"$BLUR" "$T/s1.ppm" "$IN/small.png" --sigma 0
"$BLUR" "$T/s2.ppm" "$IN/sub/tall.hdr" --sigma 0
"$BLUR" "$T/s3.ppm" "$IN/sub/wide.bmp" --sigma 0
"$BLUR" "$T/g1.pgm" "$IN/sub/deep/gray.tga" --sigma 0
"$BLUR" "$T/s1.ppm" "$IN/sub/deep/UPPER.PNG" --sigma 0
"$BLUR" "$T/s2.ppm" "$IN/other/o.png" --sigma 0
printf 'meow' >"$IN/sub/cat.png"
head -c 300 "$IMG" >"$IN/sub/deep/trunc.png"
: >"$IN/other/empty.jpg"
echo "not an image" >"$IN/notes.txt"
cp "$IN/small.png" "$IN/.hidden.png"
GOOD="photo.png small.png sub/tall.hdr sub/wide.bmp sub/deep/gray.tga sub/deep/UPPER.PNG other/o.png"

# --- a whole tree ---
run "$BLUR" --sigma 2 -o "$T/out" -r "$IN"
expect_status "a tree with corrupt files exits 1" 1
missing=""
for f in $GOOD; do [ -s "$T/out/$f" ] || missing="$missing $f"; done
expect_true "every good image is written at its relative path${missing:+ (missing:$missing)}" test -z "$missing"
expect_true "no output for the corrupt files" test ! -e "$T/out/sub/cat.png" -a ! -e "$T/out/sub/deep/trunc.png" -a ! -e "$T/out/other/empty.jpg"
expect_true "non-images and hidden files are left alone" test ! -e "$T/out/notes.txt" -a ! -e "$T/out/.hidden.png"
expect_true "the unknown format is named with its reason" grep -q "^blur: $IN/sub/cat.png: not an image (unknown format)$" "$T/stderr"
expect_true "the truncated file is named with its reason" grep -q "^blur: $IN/sub/deep/trunc.png: truncated file$" "$T/stderr"
expect_true "the empty file is named with its reason" grep -q "^blur: $IN/other/empty.jpg: empty file$" "$T/stderr"
expect_true "summary: 7 succeeded, 3 failed, 0 skipped" grep -q "^blur: 7 succeeded, 3 failed, 0 skipped in " "$T/stderr"
expect_true "not a terminal: one line per image" test "$(grep -c '^blur: \[[0-9]*/10\] .* -> ' "$T/stderr")" -eq 7
expect_true "not a terminal: no bar" sh -c "! grep -q \"$(printf '\r')\" '$T/stderr'"
expect_true "no temporary files" no_temp_anywhere "$T/out"
"$BLUR" "$IN/sub/tall.hdr" "$T/single.hdr" --sigma 2
expect_true "batch output = the single-file form's" cmp -s "$T/single.hdr" "$T/out/sub/tall.hdr"
"$BLUR" "$IN/photo.png" "$T/single.png" --sigma 2
expect_true "batch output = the single-file form's (PNG)" cmp -s "$T/single.png" "$T/out/photo.png"

# --- the rerun skips what exists; --force redoes it ---
cp -r "$T/out" "$T/out.first"
run "$BLUR" --sigma 5 -o "$T/out" -r "$IN"
expect_status "rerun still fails for the corrupt files" 1
expect_true "rerun: 0 succeeded, 3 failed, 7 skipped" grep -q "^blur: 0 succeeded, 3 failed, 7 skipped in " "$T/stderr"
expect_true "rerun leaves existing outputs alone" same_tree "$T/out" "$T/out.first"
run "$BLUR" --sigma 2 -o "$T/out" -r "$IN" --force --quiet
expect_true "--force redoes them" sh -c "head -n 20 '$T/stderr' | grep -q '^blur: 7 succeeded, 3 failed, 0 skipped'"
expect_true "--quiet: only the errors and the summary" test "$(wc -l <"$T/stderr")" -eq 4
expect_true "--force gives the same files" same_tree "$T/out" "$T/out.first"

# --- --jobs 1 and --jobs 2 give the same files ---
rm -f "$IN/sub/cat.png" "$IN/sub/deep/trunc.png" "$IN/other/empty.jpg"
run "$BLUR" --sigma 1.5 -o "$T/j1" -r "$IN" --jobs 1
expect_status "--jobs 1 on good images exits 0" 0
run "$BLUR" --sigma 1.5 -o "$T/j2" -r "$IN" --jobs 2 --threads 1 --verbose
expect_status "--jobs 2 exits 0" 0
expect_true "--jobs 1 and --jobs 2 give identical files" same_tree "$T/j1" "$T/j2"
expect_true "--verbose says how the threads are split" grep -q "2 jobs x 1 filter threads" "$T/stderr"
run "$BLUR" --sigma 1.5 -o "$T/j2" -r "$IN" --verbose
expect_true "--verbose names the skipped files" grep -q "^blur: $IN/small.png: skipped, $T/j2/small.png exists" "$T/stderr"
expect_true "with nothing to do the summary still counts" grep -q "^blur: 0 succeeded, 0 failed, 7 skipped" "$T/stderr"
expect_status "nothing to do exits 0" 0

# --- --suffix and --format ---
run "$BLUR" --sigma 1 -o "$T/conv" -r "$IN" --suffix _blur --format bmp
expect_status "--suffix --format" 0
expect_true "renamed and converted" test -s "$T/conv/sub/deep/gray_blur.bmp" -a -s "$T/conv/photo_blur.bmp" -a -s "$T/conv/sub/deep/UPPER_blur.bmp"
expect_true "converted outputs are BMP" sh -c "head -c 2 '$T/conv/small_blur.bmp' | grep -q BM"
cp "$T/g1.pgm" "$T/g1copy.pgm"
run "$BLUR" --sigma 1 -o "$T/pnm" "$T/g1copy.pgm" "$IN/small.png"
expect_status "an input format we cannot write, without --format, fails" 1
expect_true "... saying so" grep -q "^blur: $T/g1copy.pgm: cannot write .pgm files; use --format png" "$T/stderr"
expect_true "... and the others go on" test -s "$T/pnm/small.png"
run "$BLUR" --sigma 1 -o "$T/pnm" "$T/g1copy.pgm" --format png
expect_status "... with --format png it works" 0
expect_true "... into g1copy.png" test -s "$T/pnm/g1copy.png"

# --- files as arguments, failures of single files ---
run "$BLUR" --sigma 1 -o "$T/files" "$IN/small.png" "$T/missing.png" "$IN/sub/tall.hdr"
expect_status "a missing file fails the batch" 1
expect_true "... named, with the system's reason" grep -q "^blur: $T/missing.png: cannot open: No such file or directory$" "$T/stderr"
expect_true "file arguments keep their name only" test -s "$T/files/small.png" -a -s "$T/files/tall.hdr"
run "$BLUR" --sigma 1 -o "$T/dup" "$IN/small.png" "$IN/sub/deep/../../small.png" "$IN/other/o.png" "$IN/o.png"
expect_true "two inputs for one output: the second fails" grep -q "same output $T/dup/small.png as $IN/small.png" "$T/stderr"
mkdir -p "$T/bad/small.png"
mkdir -p "$IN/sub2" && cp "$IN/small.png" "$IN/sub2/x.png"
run "$BLUR" --sigma 1 -o "$T/bad" -r "$IN/small.png" "$IN/sub2"
expect_status "unwritable outputs fail" 1
expect_true "... an output that is a directory" grep -q "^blur: $T/bad/small.png: cannot open: Is a directory$" "$T/stderr"
expect_true "... and the others go on" test -s "$T/bad/x.png"
rm -rf "$IN/sub2"
cp "$IN/small.png" "$T/bad/in.png"
mkdir -p "$T/bad2" && : >"$T/bad2/notadir"
printf 'in.png\n' | (cd "$T/bad" && "$BLUR" --sigma 1 -o "$T/bad2/notadir/x" --files-from - >"$T/stdout" 2>"$T/stderr")
STATUS=$?
expect_status "an output directory that cannot be made fails" 1
expect_true "... naming it, with the reason" grep -q "^blur: $T/bad2/notadir/x: cannot create directory: Not a directory$" "$T/stderr"

# --- usage errors ---
run "$BLUR" --sigma 1 -o "$T/u" "$IN"
expect_error "a directory without -r" 2 "^blur: $IN: is a directory (use -r to blur the images in it)$"
run "$BLUR" --sigma 1 -o "$T/u"
expect_error "no inputs" 2 "^blur: expected IN files or directories"
run "$BLUR" -o "$T/u" "$IN/small.png"
expect_error "batch without --sigma" 2 "^blur: --sigma is required"
run "$BLUR" --sigma 1 -o "$IN/other" -r "$IN/other"
expect_error "an input directory that is OUTDIR" 2 "^blur: $IN/other: is the output directory too"
run "$BLUR" --sigma 1 -o "$T/u" "$IN/small.png" --format gif
expect_error "unknown --format" 2 "^blur: --format: expected png"
# Batch mode's options do nothing for one file: refused rather than ignored.
run "$BLUR" "$IMG" "$T/refused.png" --sigma 1 --format bmp
expect_error "--format without -o" 2 "^blur: --format: only in batch mode (-o OUTDIR)$"
run "$BLUR" "$IMG" "$T/refused.png" -r --force --sigma 1
expect_error "-r without -o" 2 "^blur: --recursive: only in batch mode (-o OUTDIR)$"
expect_true "no output for a refused option" test ! -e "$T/refused.png"
run "$BLUR" --sigma 1 -o "$T/u" "$IN/small.png" --jobs 0
expect_error "--jobs 0" 2 "^blur: --jobs: expected a whole number"
run "$BLUR" --sigma 1 -o "$IN/small.png" "$IN/small.png"
expect_error "-o names a file" 2 "not a directory"
run "$BLUR" --sigma 1 -o "$T/u" - 
expect_error "standard input as an input" 2 "^blur: -: standard input cannot be"
run "$BLUR" --sigma 1 -o "$T/u" --files-from "$T/nolist"
expect_error "missing --files-from list" 2 "^blur: --files-from: $T/nolist: No such file or directory$"
expect_true "no output directory after usage errors" test ! -e "$T/u"

# --- --files-from: the output keeps the path as listed ---
(cd "$T" && printf 'in/small.png\n./in/sub/tall.hdr\n\nin/other\n' |
    "$BLUR" --sigma 1 -o "$T/list" -r --files-from - >"$T/stdout" 2>"$T/stderr")
STATUS=$?
expect_status "--files-from -" 0
expect_true "listed paths are kept" test -s "$T/list/in/small.png" -a -s "$T/list/in/sub/tall.hdr" -a -s "$T/list/in/other/o.png"
printf '%s\0%s\0' "$IN/sub/wide.bmp" "$IN/sub/deep/gray.tga" >"$T/list0"
run "$BLUR" --sigma 1 -o "$T/list0dir" --files-from "$T/list0" --null
expect_status "--files-from FILE --null" 0
expect_true "absolute paths are kept below OUTDIR" test -s "$T/list0dir/$IN/sub/wide.bmp" -a -s "$T/list0dir/$IN/sub/deep/gray.tga"
printf '../escape.png\n' >"$T/listdd"
run "$BLUR" --sigma 1 -o "$T/listdd-out" --files-from "$T/listdd"
expect_true "a listed path with .. fails" grep -q "^blur: ../escape.png: a listed path must not contain '..'$" "$T/stderr"
# Split a list in two halves as two hosts (or two array tasks) would: the union is the whole.
find "$IN" -type f -name '*.*' ! -name '.*' ! -name '*.txt' | sort >"$T/all"
split -n l/2 "$T/all" "$T/part."
for p in "$T"/part.*; do "$BLUR" --sigma 1.5 -o "$T/split" --files-from "$p" 2>/dev/null; done
run "$BLUR" --sigma 1.5 -o "$T/whole" --files-from "$T/all"
expect_true "a list split in two parts gives the same files as one run" same_tree "$T/split" "$T/whole"

# --- SIGINT midway: no temporary or partial files, and the rerun finishes ---
mkdir "$T/many"
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do cp "$IMG" "$T/many/c$i.png"; done
"$BLUR" "$IMG" "$T/ref.png" --sigma 3
"$BLUR" --sigma 3 -o "$T/int" -r "$T/many" --jobs 1 --threads 1 >/dev/null 2>"$T/stderr" &
pid=$!
i=0
while [ ! -e "$T/int/c01.png" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT "$pid"
wait "$pid"
STATUS=$?
n=$(find "$T/int" -name '*.png' | wc -l)
if [ "$STATUS" -eq 130 ]; then
    ok "SIGINT stops the batch (status 130, $n of 12 done)"
    expect_true "... with a summary" grep -q "^blur: interrupted: .* not done (run again to finish)$" "$T/stderr"
else
    bad "SIGINT stops the batch" "status $STATUS, expected 130; stderr: $(head -c 300 "$T/stderr")"
fi
expect_true "... leaving no temporary files" no_temp_anywhere "$T/int"
expect_true "... and only complete outputs" decodes "$T"/int/*.png
run "$BLUR" --sigma 3 -o "$T/int" -r "$T/many"
expect_status "the rerun finishes" 0
expect_true "... skipping what was done" grep -q "^blur: $((12 - n)) succeeded, 0 failed, $n skipped" "$T/stderr"
same=0
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do cmp -s "$T/ref.png" "$T/int/c$i.png" && same=$((same + 1)); done
expect_true "... and every output is the right image ($same of 12)" test "$same" -eq 12

# --- the progress bar, under a pseudo-terminal ---
if command -v script >/dev/null 2>&1; then
    script -qc "'$BLUR' --sigma 1 -o '$T/tty' -r '$IN'" /dev/null >"$T/tty.log" 2>&1 </dev/null
    expect_true "terminal: a bar redrawn in place" grep -q "$(printf '\r')blur: \[=*" "$T/tty.log"
    expect_true "terminal: done/total, images/s and ETA" grep -q " 7/7 100% .* img/s  ETA 0:00" "$T/tty.log"
    expect_true "terminal: the summary below it" grep -q "^blur: 7 succeeded, 0 failed, 0 skipped" "$T/tty.log"
    expect_true "terminal: no per-image lines" sh -c "! grep -q ' -> ' '$T/tty.log'"
else
    echo "skip progress bar tests: no 'script' program"
fi

finish
