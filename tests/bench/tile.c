/* tile.c — makes a large test image by tiling a photo with mirrored copies (no seams) plus a
 * little deterministic noise, as a camera's sensor adds: without it the tiles repeat exactly
 * within deflate's window and the PNG compresses far better than a real photo would (9 MB
 * instead of ~40 MB for 24 megapixels). Written as common PNG writers do (zlib level 6,
 * adaptive filters). tile IN OUT WIDTH HEIGHT [opaque|stripes]: the last adds an alpha
 * channel to an RGB photo, 255 everywhere, or with a transparent stripe (alpha 0 to 255 across
 * it) 100 pixels wide every 1000, down and across, so that every row meets some transparency.
 * For the end-to-end benchmark. */
#include "blur.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *alpha = argc == 6 ? argv[5] : NULL;
    const bool stripes = alpha && strcmp(alpha, "stripes") == 0;
    if ((argc != 5 && argc != 6) ||
        (alpha && strcmp(alpha, "opaque") != 0 && strcmp(alpha, "stripes") != 0)) {
        fprintf(stderr, "usage: tile IN OUT WIDTH HEIGHT [opaque|stripes]\n");
        return 2;
    }
    blur_image src, dst;
    size_t width = strtoul(argv[3], NULL, 10), height = strtoul(argv[4], NULL, 10);
    blur_error err = blur_image_read(argv[1], NULL, &src, NULL);
    if (!err && alpha && (src.channels != 3 || src.depth != BLUR_U8)) err = BLUR_ERR_INVALID;
    if (!err) err = blur_image_alloc(&dst, width, height, alpha ? 4 : src.channels, src.depth);
    if (err) {
        fprintf(stderr, "tile: %s: %s\n", argv[1], blur_strerror(err));
        return 1;
    }
    size_t pixel = (size_t)src.channels * blur_depth_size(src.depth);
    size_t out_pixel = (size_t)dst.channels * blur_depth_size(dst.depth);
    for (size_t y = 0; y < height; y++) {
        size_t ty = y / src.height, sy = y % src.height;
        if (ty % 2) sy = src.height - 1 - sy;
        for (size_t x = 0; x < width; x++) {
            size_t tx = x / src.width, sx = x % src.width;
            if (tx % 2) sx = src.width - 1 - sx;
            memcpy((char *)dst.data + y * dst.stride + x * out_pixel,
                   (char *)src.data + sy * src.stride + sx * pixel, pixel);
        }
    }
    if (src.depth == BLUR_U8) {
        uint64_t state = 88172645463325252ULL;
        unsigned char *p = dst.data;
        for (size_t i = 0; i < dst.stride * dst.height; i++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            int v = p[i] + (int)(state % 7) - 3;
            p[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    for (size_t y = 0; alpha && y < height; y++)
        for (size_t x = 0; x < width; x++) {
            unsigned a = 255;
            if (stripes && y % 1000 < 100) a = (unsigned)(y % 1000) * 255 / 99;
            if (stripes && x % 1000 < 100) a = (unsigned)(x % 1000) * 255 / 99;
            ((unsigned char *)dst.data)[y * dst.stride + x * 4 + 3] = (unsigned char)a;
        }
    blur_write_options opt = BLUR_WRITE_OPTIONS_INIT;
    opt.compression = 6;
    opt.png_filter = BLUR_PNG_FILTER_ALL;
    err = blur_image_write(argv[2], &dst, &opt);
    if (err) fprintf(stderr, "tile: %s: %s\n", argv[2], blur_strerror(err));
    blur_image_free(&src);
    blur_image_free(&dst);
    return err ? 1 : 0;
}
