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

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* An alpha sample is at its maximum when all its bytes are 0xff. The row's bytes are and-ed 64
 * at a time into 8 words, with no branch, and the words together: when 8 is a multiple of the
 * pixel's size, byte j of the result holds place j % pixel of the pixels, and the alpha places
 * (`alpha`, a mask of them) are looked at every 1 kB, so a row with some transparency is
 * usually left early. A row of 6000 opaque RGBA pixels in ~0.5 us, where a loop over its alpha
 * samples alone took ~2.5. */
bool blur__alpha_row_opaque(const void *row, size_t pixels, size_t channels, blur_depth depth)
{
    if (depth != BLUR_U8 && depth != BLUR_U16) return false;
    const size_t size = blur_depth_size(depth), pixel = channels * size, n = pixels * pixel;
    const size_t alpha_at = (channels - 1) * size; /* the alpha's first byte in a pixel */
    const unsigned char *bytes = row;
    unsigned char places[8];
    for (size_t j = 0; j < sizeof places; j++) places[j] = j % pixel < alpha_at ? 0 : 0xff;
    uint64_t alpha;
    memcpy(&alpha, places, sizeof alpha);
    bool opaque = true;
    size_t i = 0;
    while (8 % pixel == 0 && opaque && i + 64 <= n) {
        const size_t end = i + (n - i < 1024 ? (n - i) / 64 * 64 : 1024);
        /* eight words in eight variables: gcc kept an array of them in memory */
        uint64_t w0 = ~UINT64_C(0), w1 = w0, w2 = w0, w3 = w0, w4 = w0, w5 = w0, w6 = w0, w7 = w0;
        for (; i < end; i += 64) {
            const unsigned char *at = bytes + i;
            w0 &= load64(at), w1 &= load64(at + 8), w2 &= load64(at + 16);
            w3 &= load64(at + 24), w4 &= load64(at + 32), w5 &= load64(at + 40);
            w6 &= load64(at + 48), w7 &= load64(at + 56);
        }
        opaque = (w0 & w1 & w2 & w3 & w4 & w5 & w6 & w7 & alpha) == alpha;
    }
    for (size_t at = i % pixel; opaque && i < n; i++, at = at + 1 == pixel ? 0 : at + 1)
        opaque = at < alpha_at || bytes[i] == 0xff;
    return opaque;
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
