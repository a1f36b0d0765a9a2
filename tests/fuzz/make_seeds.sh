#!/bin/sh
# make_seeds.sh OUT BLUR — writes the fuzzers' seed corpora into OUT/image, OUT/png, OUT/matrix
# and OUT/cli. Plain sh and the blur program under test (for the formats it writes): no Python
# at fuzz time. `make fuzz` runs it.
set -eu
out=$1
blur=$2
here=$(dirname "$0")
suite=$here/../pngsuite
rm -rf "$out"
mkdir -p "$out/image" "$out/png" "$out/matrix" "$out/cli"

# --- images: all of PngSuite (the corrupt x*.png too), each format we write, hand-made rest
for f in "$suite"/*.png; do
    n=$(basename "$f" .png)
    cp "$f" "$out/image/$n.png"
    tail -c +9 "$f" >"$out/png/$n" # the png target adds the signature itself
done
for src in basn2c08 basn6a08 basn0g08; do
    for ext in jpg bmp tga hdr; do
        "$blur" "$suite/$src.png" "$out/image/$src.$ext" --sigma 0
    done
done
"$blur" "$suite/basn6a16.png" "$out/image/basn6a16-q50.jpg" --sigma 1 --quality 50
# PSD: the fixtures (gray and RGB, 8 and 16-bit, raw and run-length, alpha straight and
# blended with white).
cp "$here"/../fixtures/psd/*.psd "$out/image/"
# JPEG with EXIF orientations, little and big-endian.
cp "$here"/../fixtures/exif/orientation[67].jpg "$out/image/"
# PNM: 8 and 16-bit, binary.
printf 'P5\n3 2\n255\n\001\002\003\004\005\006' >"$out/image/gray.pgm"
printf 'P6\n2 2\n65535\n' >"$out/image/rgb16.ppm"
head -c 24 /dev/zero | tr '\000' '\177' >>"$out/image/rgb16.ppm"
# GIF89a, 1×1, one colour.
printf 'GIF89a\001\000\001\000\200\000\000\377\377\377\000\000\000!\371\004\001\000\000\000\000,\000\000\000\000\001\000\001\000\000\002\002D\001\000;' \
    >"$out/image/dot.gif"

# Every input that ever crashed a target starts its corpus again.
for f in "$here"/../crashers/*; do
    case $(basename "$f") in
    README) ;;
    matrix-*) cp "$f" "$out/matrix/" ;;
    *) cp "$f" "$out/image/" ;;
    esac
done

# --- matrices: .npy of several dtypes and orders, and CSV
npy() { # npy FILE DESCR FORTRAN SHAPE DATA-printf-escapes
    dict="{'descr': '$2', 'fortran_order': $3, 'shape': $4, }"
    len=$((${#dict} + 1))
    printf '\223NUMPY\001\000' >"$1"
    printf "\\$(printf '%03o' $((len % 256)))\\$(printf '%03o' $((len / 256)))" >>"$1"
    printf '%s\n' "$dict" >>"$1"
    printf "$5" >>"$1"
}
npy "$out/matrix/f8.npy" '<f8' False '(2, 2)' '\000\000\000\000\000\000\360\077\000\000\000\000\000\000\000\100\000\000\000\000\000\000\010\100\000\000\000\000\000\000\020\100'
npy "$out/matrix/f4-fortran.npy" '<f4' True '(2, 2)' '\000\000\200\077\000\000\000\100\000\000\100\100\000\000\200\100'
npy "$out/matrix/i2-big.npy" '>i2' False '(3,)' '\000\001\377\376\000\003'
npy "$out/matrix/u1-3d.npy" '|u1' False '(2, 2, 2)' '\001\002\003\004\005\006\007\010'
npy "$out/matrix/scalar.npy" '<i8' False '()' '\052\000\000\000\000\000\000\000'
printf '1,2,3\n4,5,6\n' >"$out/matrix/plain.csv"
printf '# a mask\n0.25 0.5 0.25\n\n1e-3;2E+2;-0x1p3\r\n' >"$out/matrix/mixed.csv"
printf '1,2\n3\n' >"$out/matrix/ragged.csv"

# --- command lines: arguments, each ended by NUL
arg() { f=$out/cli/$1; shift; : >"$f"; for a in "$@"; do printf '%s\000' "$a" >>"$f"; done; }
arg basic in.png out.png --sigma 3
arg full in.png out.jpg -s 2.5 --truncate 3 --mode BORDER_REFLECT_101 --cval 0.5 -j 2 -q 80 \
    --compression 9 --max-pixels 1e6 --method sampled
arg axes in.png out.png --sigma-x 1 --sigma-y=0 --radius 7 --mode wrap
arg grouped -hs1 in.png out.png
arg help --help
arg version --version
arg bad in.png out.png --sigma abc --bogus
arg huge in.png out.png --sigma 1e300
arg missing --sigma
