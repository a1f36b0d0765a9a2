/* pixel.c — sample conversion between the image's depth and the double working precision. */
#include "internal.h"

#include <math.h>
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
