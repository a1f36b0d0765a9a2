# cli_malformed.sh — hostile and broken input. Every file tests/gen_malformed.c writes (PNGs
# truncated at each chunk boundary and inside IDAT, bad CRCs, bit flips, IHDR fields out of
# range, zero and huge dimensions, huge headers of every stb format, empty and non-image files,
# wrong extensions), PngSuite's corrupt x*.png, then unreadable inputs and unwritable outputs.
# Each must give exit 1, exactly one stderr line naming the file, no output file, no temporary
# file, and leave the input byte for byte as it was. Under `make test SANITIZE=1` blur runs with
# LeakSanitizer, whose report (extra lines, exit 23) fails the same checks.
. tests/clilib.sh
GEN=${GEN:-$(dirname "$BLUR")/tests/gen_malformed}
IMG=tests/pngsuite/basn2c08.png
mkdir "$T/in" "$T/out" "$T/whole"
count=$("$GEN" "$T/in" tests/pngsuite "$T/whole")
cp tests/pngsuite/x*.png "$T/in/"
expect_true "generator wrote at least 100 cases ($count)" test "$count" -ge 100

# refused FILE: blur FILE OUT fails as above; OUT defaults to a fresh name in $T/out.
refused() {
    f=$1
    o=${2:-$T/out/result.png}
    before=$(cksum 2>/dev/null <"$f")
    run "$BLUR" "$f" "$o" --sigma 1
    lines=$(wc -l <"$T/stderr")
    name=${f#"$T"/}
    if [ "$STATUS" -ne 1 ]; then bad "$name" "status $STATUS; stderr: $(head -c 300 "$T/stderr")"
    elif [ "$lines" -ne 1 ]; then bad "$name" "$lines stderr lines: $(head -c 300 "$T/stderr")"
    elif ! grep -q -F "blur: $f: " "$T/stderr"; then bad "$name" "message does not name the file: $(cat "$T/stderr")"
    elif [ -n "$(ls -A "$T/out")" ]; then bad "$name" "left files: $(ls -A "$T/out")"
    elif [ "$(cksum 2>/dev/null <"$f")" != "$before" ]; then bad "$name" "input changed"
    else ok "$name: $(sed "s|^blur: $f: ||" "$T/stderr")"; fi
    rm -f "$T/out/"* "$T/out/".*.tmp 2>/dev/null
}

# Formats blur writes, cut short: a run-length HDR used to hang stb_image forever.
"$BLUR" tests/pngsuite/basn6a16.png "$T/whole.hdr" --sigma 0 && head -c 1500 "$T/whole.hdr" >"$T/in/cut-rle.hdr"
rm -f "$T/whole.hdr"

for f in "$T/in"/*; do refused "$f"; done

# The originals of the stb files cut short above decode (so it is the cut that is refused).
for f in "$T/whole"/*; do
    run "$BLUR" "$f" "$T/out/whole.png" --sigma 1
    expect_status "uncut $(basename "$f") decodes" 0
done
rm -f "$T/out/whole.png"

# Huge headers are refused from the header alone: with the address space capped at 200 MB
# (where the sanitizers allow such a cap at all), a 3.6-gigapixel claim still fails cleanly.
if (ulimit -v 200000 && "$BLUR" --version) >/dev/null 2>&1; then
    for f in "$T/in"/huge-60000.* "$T/in/ihdr-huge-both-60000.png"; do
        (ulimit -v 200000 && exec "$BLUR" "$f" "$T/out/capped.png" --sigma 1) 2>"$T/stderr"
        STATUS=$?
        expect_error "$(basename "$f") refused within 200 MB" 1 "too large"
    done
    for f in "$T/in"/*-length-1.5gb.png; do
        (ulimit -v 200000 && exec "$BLUR" "$f" "$T/out/capped.png" --sigma 1) 2>"$T/stderr"
        STATUS=$?
        expect_error "$(basename "$f") refused within 200 MB" 1 "^blur: $f: "
    done
    rm -f "$T/out/"*
fi
run "$BLUR" "$IMG" "$T/out/limited.png" --sigma 1 --max-pixels 1000
expect_error "--max-pixels 1000 refuses 32x32" 1 "^blur: $IMG: too large"
run "$BLUR" "$IMG" "$T/out/limited.png" --sigma 1 --max-pixels 1024
expect_status "--max-pixels 1024 takes 32x32" 0
rm -f "$T/out/limited.png"
run "$BLUR" "$IMG" "$T/out/x.png" --sigma 1 --max-pixels 0
expect_error "--max-pixels 0 is a usage error" 2 "^blur: --max-pixels: "

# Inputs that cannot be read: a directory; as root (where permissions do not stop reads)
# /proc/self/mem, which opens but fails to read; a mode-000 file otherwise.
mkdir "$T/dir.png"
refused "$T/dir.png"
refused "$T/missing.png"
if [ "$(id -u)" -eq 0 ]; then
    refused /proc/self/mem
else
    cp "$IMG" "$T/secret.png" && chmod 000 "$T/secret.png"
    refused "$T/secret.png"
fi

# Endless streams that are no image are refused after one block, not read whole.
run "$BLUR" /dev/zero "$T/out/result.png" --sigma 1
expect_error "/dev/zero as input" 1 "^blur: /dev/zero: not an image (unknown format)$"
run "$BLUR" /dev/urandom "$T/out/result.png" --sigma 1
expect_error "/dev/urandom as input" 1 "^blur: /dev/urandom: not an image (unknown format)$"

# Outputs that cannot be written. The read-only directory is skipped as root (root writes
# anyway); a parent that is a file, and sysfs, refuse root too.
good() { # good NAME OUT PATTERN: a good input, an output that must fail with PATTERN
    run "$BLUR" "$IMG" "$2" --sigma 1
    expect_error "$1" 1 "$3"
}
good "output in a missing directory" "$T/nodir/out.png" "^blur: $T/nodir/out.png: cannot open: No such file"
cp "$IMG" "$T/file.png"
good "output under a regular file" "$T/file.png/out.png" "^blur: $T/file.png/out.png: cannot open: Not a directory"
good "output on sysfs" "/sys/blur-test.png" "^blur: /sys/blur-test.png: cannot open: "
good "output is a directory" "$T/dir.png" "^blur: $T/dir.png: cannot open: Is a directory"
good "output /dev/full" /dev/full "^blur: /dev/full: write error: No space left on device$"
if [ "$(id -u)" -ne 0 ]; then
    mkdir "$T/ro" && chmod 555 "$T/ro"
    good "output in a read-only directory" "$T/ro/out.png" "Permission denied"
fi
expect_true "no temporary file left beside outputs" no_temp_files "$T"

# An existing output survives every failure above unchanged.
cp "$IMG" "$T/out/keep.png"
for f in "$T/in"/trunc-basn2c08-idat-24.png "$T/in"/huge-60000.bmp "$T/in"/xcrn0g04.png; do
    run "$BLUR" "$f" "$T/out/keep.png" --sigma 1
done
expect_true "an existing output is untouched by failed runs" cmp -s "$IMG" "$T/out/keep.png"
rm -f "$T/out/keep.png"

# A wrong extension on the input does not matter (the bytes decide); on the output it does.
cp "$IMG" "$T/really-a-png.jpg"
run "$BLUR" "$T/really-a-png.jpg" "$T/good.png" --sigma 1
expect_status "a PNG named .jpg is read as PNG" 0
run "$BLUR" "$IMG" "$T/out/result.gif" --sigma 1
expect_error "an output format we do not write" 2 "^blur: $T/out/result.gif: unknown output format"
expect_true "and it leaves nothing" test -z "$(ls -A "$T/out")"

# Absurd filter settings are refused before any work, with the option named.
run "$BLUR" "$IMG" "$T/out/r.png" --sigma 1e300
expect_error "--sigma 1e300" 2 "^blur: --sigma: "
run "$BLUR" "$IMG" "$T/out/r.png" --sigma 1 --radius 100001
expect_error "--radius over the cap" 2 "^blur: --radius: "

finish
