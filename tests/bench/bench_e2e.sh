#!/bin/sh
# bench_e2e.sh — PNG in, PNG out, then JPEG in, JPEG out (quality 90), end to end: blur against
# `vips gaussblur` and an OpenCV script (imread, GaussianBlur, imwrite), on the same
# 24-megapixel image in the same run. Wall time (median of RUNS), peak memory (max RSS) and
# output size. Peers that are not installed are skipped (Debian: libvips-tools,
# python3-opencv).
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
SIGMA=${SIGMA:-3}
dir=$(mktemp -d /tmp/blur-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
big="$dir/big.png"
"$BUILD/bench/tile" assets/coffee.png "$big" 6000 4000 || exit 1
echo "input: 6000x4000 RGB 8-bit PNG, $(($(stat -c %s "$big") / 1000000)) MB; sigma $SIGMA; median of $RUNS runs; $(nproc) cores"

# measure NAME CMD...: median wall seconds, max RSS in MB, output size in MB of $out
out=$dir/out.png
measure() {
    name=$1
    shift
    times=""
    rss=0
    i=0
    while [ $i -lt "$RUNS" ]; do
        rm -f "$out"
        /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/err" || { echo "$name: failed: $(head -c 300 "$dir/err")"; return; }
        set -- "$@"
        read -r t m <"$dir/time"
        times="$times $t"
        [ "$m" -gt "$rss" ] && rss=$m
        i=$((i + 1))
    done
    median=$(echo $times | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    size=$(stat -c %s "$out")
    printf '%-22s %6.2f s  %6d MB peak  %6.1f MB out\n' "$name" "$median" $((rss / 1024)) "$(echo "$size" | awk '{print $1/1e6}')"
    eval "time_$(echo "$name" | tr -c 'a-z0-9\n' '_')=$median"
}

# peers IN OUT VIPS_OUT CV_WRITE_ARGS SUFFIX: blur, vips and the OpenCV script on one input
peers() {
    out=$2
    measure "blur$5" "$BUILD/blur" "$1" "$2" --sigma "$SIGMA"
    if command -v vips >/dev/null 2>&1; then
        measure "vips$5" vips gaussblur "$1" "$3" "$SIGMA"
    else
        echo "vips: skipped (apt-get install libvips-tools)"
    fi
    if /usr/bin/python3 -c 'import cv2' 2>/dev/null; then
        k=$(awk -v s="$SIGMA" 'BEGIN {print 2 * int(4 * s + 0.5) + 1}')
        cat >"$dir/cv.py" <<PY
import sys, cv2
img = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED)
out = cv2.GaussianBlur(img, ($k, $k), $SIGMA, borderType=cv2.BORDER_REFLECT)
cv2.imwrite(sys.argv[2], out, $4)
PY
        measure "opencv_script$5" /usr/bin/python3 "$dir/cv.py" "$1" "$2"
    else
        echo "opencv script: skipped (apt-get install python3-opencv)"
    fi
}

peers "$big" "$dir/out.png" "$dir/out.png" "[]" ""
if [ -n "${time_vips:-}" ]; then
    awk -v a="$time_blur" -v b="$time_vips" 'BEGIN {printf "blur / vips wall time: %.2f (target <= 0.70)\n", a / b}'
fi

# JPEG to JPEG, quality 90 everywhere: the photo as a camera would store it.
"$BUILD/blur" "$big" "$dir/big.jpg" --sigma 0 --quality 90 || exit 1
echo "input: the same as a JPEG (quality 90), $(($(stat -c %s "$dir/big.jpg") / 1000000)) MB"
peers "$dir/big.jpg" "$dir/out.jpg" "$dir/out.jpg[Q=90]" "[cv2.IMWRITE_JPEG_QUALITY, 90]" " jpeg"
if [ -n "${time_vips_jpeg:-}" ]; then
    awk -v a="$time_blur_jpeg" -v b="$time_vips_jpeg" 'BEGIN {printf "blur / vips wall time, JPEG: %.2f\n", a / b}'
fi
out=$dir/out.png

# The same photo with an alpha channel, blurred premultiplied (the default): opaque everywhere
# (as many RGBA files are), and with transparent stripes that every row meets. blur alone, at
# SIGMA and at 30 (where an image the decimated path may take is read whole).
for alpha in opaque stripes; do
    "$BUILD/bench/tile" assets/coffee.png "$dir/$alpha.png" 6000 4000 "$alpha" || exit 1
    echo "input: the same with alpha, $alpha, $(($(stat -c %s "$dir/$alpha.png") / 1000000)) MB"
    for s in "$SIGMA" 30; do
        measure "blur rgba $alpha s$s" "$BUILD/blur" "$dir/$alpha.png" "$dir/out.png" --sigma "$s"
    done
done
