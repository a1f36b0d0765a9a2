/* pixel.c — sample conversion between the image's depth and the double working precision,
 * and the transforms around the filter: sRGB <-> linear light, premultiplied alpha. */
#include "internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

double blur__depth_max(blur_depth depth)
{
    switch (depth) {
    case BLUR_U8: return 255.0;
    case BLUR_U16: return 65535.0;
    case BLUR_F32: return 1.0;
    }
    return 1.0;
}

void blur__load_samples(const void *src, blur_depth depth, size_t count, double *dst)
{
    switch (depth) {
    case BLUR_U8: {
        const uint8_t *s = src;
        for (size_t i = 0; i < count; i++) dst[i] = s[i];
        break;
    }
    case BLUR_U16: {
        const uint16_t *s = src;
        for (size_t i = 0; i < count; i++) dst[i] = s[i];
        break;
    }
    case BLUR_F32: {
        const float *s = src;
        for (size_t i = 0; i < count; i++) dst[i] = s[i];
        break;
    }
    }
}

/* Round to nearest and clamp; NaN becomes 0 rather than undefined behaviour. */
static inline double round_clamp(double v, double max)
{
    if (!(v > 0.0)) return 0.0;
    v = floor(v + 0.5);
    return v > max ? max : v;
}

void blur__store_samples(const double *src, size_t count, blur_depth depth, void *dst)
{
    switch (depth) {
    case BLUR_U8: {
        uint8_t *d = dst;
        for (size_t i = 0; i < count; i++) d[i] = (uint8_t)round_clamp(src[i], 255.0);
        break;
    }
    case BLUR_U16: {
        uint16_t *d = dst;
        for (size_t i = 0; i < count; i++) d[i] = (uint16_t)round_clamp(src[i], 65535.0);
        break;
    }
    case BLUR_F32: {
        float *d = dst;
        for (size_t i = 0; i < count; i++) d[i] = (float)src[i];
        break;
    }
    }
}

/* ---- transforms around the filter: sRGB and premultiplied alpha ---- */

double blur__srgb_to_linear(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

double blur__linear_to_srgb(double v)
{
    return v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1.0 / 2.4) - 0.055;
}

static bool has_alpha(int channels) { return channels == 2 || channels == 4; }

/* Float images hold linear light already (HDR), so only integer samples are decoded. */
static bool decodes(blur_depth depth, unsigned flags)
{
    return (flags & BLUR__PX_LINEAR) && depth != BLUR_F32;
}

void blur__pixels_to_working(double *row, size_t pixels, int channels, blur_depth depth,
                             unsigned flags)
{
    const size_t ch = (size_t)channels;
    const size_t colours = has_alpha(channels) ? ch - 1 : ch;
    const double max = blur__depth_max(depth);
    if (decodes(depth, flags))
        for (size_t p = 0; p < pixels; p++)
            for (size_t c = 0; c < colours; c++)
                row[p * ch + c] = max * blur__srgb_to_linear(row[p * ch + c] / max);
    if (blur__premultiplies(flags, ch))
        for (size_t p = 0; p < pixels; p++) {
            double a = row[p * ch + colours] / max;
            for (size_t c = 0; c < colours; c++) row[p * ch + c] *= a;
        }
}

void blur__pixels_from_working(double *row, size_t pixels, int channels, blur_depth depth,
                               unsigned flags, double scale)
{
    const size_t ch = (size_t)channels;
    const size_t colours = has_alpha(channels) ? ch - 1 : ch;
    const double max = blur__depth_max(depth);
    if (blur__premultiplies(flags, ch))
        for (size_t p = 0; p < pixels; p++) {
            double a = row[p * ch + colours] / max;
            /* Where no opaque pixel reached, there is no colour to recover. */
            for (size_t c = 0; c < colours; c++)
                row[p * ch + c] = a > 0.0 ? row[p * ch + c] / a : 0.0;
        }
    if (decodes(depth, flags))
        for (size_t p = 0; p < pixels; p++)
            for (size_t c = 0; c < colours; c++)
                row[p * ch + c] = max * blur__linear_to_srgb(row[p * ch + c] / max);
    if ((flags & BLUR__PX_SIGNED) && depth != BLUR_F32) {
        /* Signed results around the middle of the range, so neither sign wraps or is lost. */
        const double mid = (max + 1.0) / 2.0;
        for (size_t i = 0; i < pixels * ch; i++) row[i] = mid + row[i] * scale;
    }
}
