/* exif.c — the one EXIF field that changes what an image looks like: its orientation (tag
 * 0x0112), which says how the stored pixels are turned or mirrored for display. Cameras and
 * phones store a portrait photo as landscape pixels with orientation 6 or 8; every viewer, and
 * OpenCV's imread, turns it. The pixels we write carry no EXIF, so a reader that ignored it
 * would write the photo on its side. The EXIF block is a TIFF structure, in a JPEG's APP1
 * segment (after "Exif\0\0") or a PNG's eXIf chunk. */
#include "internal.h"

#include <string.h>

int blur__exif_orientation(const unsigned char *t, size_t n)
{
    if (n < 8) return 1;
    bool little = t[0] == 'I' && t[1] == 'I';
    if (!little && !(t[0] == 'M' && t[1] == 'M')) return 1;
#define U16(p) (little ? (uint32_t)(p)[0] | (uint32_t)(p)[1] << 8 : (uint32_t)(p)[0] << 8 | (p)[1])
#define U32(p) (little ? U16(p) | U16((p) + 2) << 16 : U16(p) << 16 | U16((p) + 2))
    if (U16(t + 2) != 42) return 1;
    size_t ifd = U32(t + 4);
    if (ifd > n - 2) return 1;
    size_t entries = U16(t + ifd);
    for (size_t e = 0; e < entries && ifd + 2 + 12 * (e + 1) <= n; e++) {
        const unsigned char *entry = t + ifd + 2 + 12 * e;
        /* Its first value, inline in the value field: SHORT (3) as the standard says, or LONG
         * (4) as some writers have it; OpenCV and Pillow take both, and a SHORT count other
         * than 1 */
        if (U16(entry) != 0x0112 || U32(entry + 4) == 0) continue;
        uint32_t type = U16(entry + 2),
                 value = type == 3 ? U16(entry + 8) : type == 4 ? U32(entry + 8) : 0;
        return value >= 1 && value <= 8 ? (int)value : 1;
    }
    return 1;
#undef U32
#undef U16
}

/* How each orientation maps the displayed pixel (x, y) to a stored one: transpose first
 * (swap x and y), then mirror along x, then along y, in the stored image's coordinates. */
static const struct {
    bool transpose, mirror_x, mirror_y;
} orientations[9] = {
    [1] = {false, false, false}, /* as stored */
    [2] = {false, true, false},  /* mirrored left to right */
    [3] = {false, true, true},   /* turned 180 degrees */
    [4] = {false, false, true},  /* mirrored top to bottom */
    [5] = {true, false, false},  /* transposed */
    [6] = {true, false, true},   /* turned 90 degrees clockwise for display */
    [7] = {true, true, true},    /* transverse */
    [8] = {true, true, false},   /* turned 90 degrees anticlockwise */
};

/* The output rows [y0, y1) of out from img, in tiles so that a transpose reads and writes a
 * few cache lines at a time; `pixel` bytes a pixel, a constant where it is inlined. */
static inline __attribute__((always_inline)) void move_pixels(const blur_image *img,
                                                              blur_image *out, bool transpose,
                                                              bool mirror_x, bool mirror_y,
                                                              const size_t pixel)
{
    enum { TILE = 64 };
    for (size_t y0 = 0; y0 < out->height; y0 += TILE)
        for (size_t x0 = 0; x0 < out->width; x0 += TILE)
            for (size_t y = y0; y < y0 + TILE && y < out->height; y++) {
                unsigned char *to = (unsigned char *)out->data + y * out->stride;
                for (size_t x = x0; x < x0 + TILE && x < out->width; x++) {
                    size_t sx = transpose ? y : x, sy = transpose ? x : y;
                    if (mirror_x) sx = img->width - 1 - sx;
                    if (mirror_y) sy = img->height - 1 - sy;
                    memcpy(to + x * pixel,
                           (const unsigned char *)img->data + sy * img->stride + sx * pixel,
                           pixel);
                }
            }
}

bool blur__orientation_transposes(int orientation)
{
    return orientation >= 1 && orientation <= 8 && orientations[orientation].transpose;
}

blur_error blur__image_orient(blur_image *img, int orientation)
{
    if (orientation <= 1 || orientation > 8) return BLUR_OK;
    const bool transpose = orientations[orientation].transpose,
               mirror_x = orientations[orientation].mirror_x,
               mirror_y = orientations[orientation].mirror_y;
    blur_image out;
    blur_error err = blur_image_alloc(&out, transpose ? img->height : img->width,
                                      transpose ? img->width : img->height, img->channels,
                                      img->depth);
    if (err) return err;
    const bool t = transpose, mx = mirror_x, my = mirror_y;
    switch ((size_t)img->channels * blur_depth_size(img->depth)) { /* bytes a pixel */
    case 1: move_pixels(img, &out, t, mx, my, 1); break;
    case 2: move_pixels(img, &out, t, mx, my, 2); break;
    case 3: move_pixels(img, &out, t, mx, my, 3); break;
    case 4: move_pixels(img, &out, t, mx, my, 4); break;
    case 6: move_pixels(img, &out, t, mx, my, 6); break;
    case 8: move_pixels(img, &out, t, mx, my, 8); break;
    case 12: move_pixels(img, &out, t, mx, my, 12); break;
    default: move_pixels(img, &out, t, mx, my, 16); break;
    }
    blur_image_free(img);
    *img = out;
    return BLUR_OK;
}
