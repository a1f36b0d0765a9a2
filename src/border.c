/* border.c — what lies beyond the edge: index mapping and the table of mode names. */
#include "internal.h"

#include <strings.h>

long blur__border_index(blur_border border, long i, long n)
{
    if (i >= 0 && i < n) return i;
    long period, m;
    switch (border) {
    case BLUR_BORDER_REFLECT: /* period 2n: a b c d d c b a */
        period = 2 * n;
        m = i % period;
        if (m < 0) m += period;
        return m < n ? m : period - 1 - m;
    case BLUR_BORDER_MIRROR: /* period 2n-2: a b c d c b; a single pixel mirrors onto itself */
        if (n == 1) return 0;
        period = 2 * n - 2;
        m = i % period;
        if (m < 0) m += period;
        return m < n ? m : period - m;
    case BLUR_BORDER_NEAREST:
        return i < 0 ? 0 : n - 1;
    case BLUR_BORDER_WRAP:
        m = i % n;
        return m < 0 ? m + n : m;
    case BLUR_BORDER_CONSTANT:
    case BLUR_BORDER_COUNT_:
        break;
    }
    return -1;
}

/* One row per name either family uses; the first row of each mode is scipy's name. */
static const struct {
    const char *name;
    blur_border border;
} border_names[] = {
    {"reflect", BLUR_BORDER_REFLECT},
    {"mirror", BLUR_BORDER_MIRROR},
    {"nearest", BLUR_BORDER_NEAREST},
    {"constant", BLUR_BORDER_CONSTANT},
    {"wrap", BLUR_BORDER_WRAP},
    {"grid-mirror", BLUR_BORDER_REFLECT},
    {"symmetric", BLUR_BORDER_REFLECT},
    {"reflect101", BLUR_BORDER_MIRROR},
    {"reflect_101", BLUR_BORDER_MIRROR},
    {"default", BLUR_BORDER_MIRROR},
    {"replicate", BLUR_BORDER_NEAREST},
    {"edge", BLUR_BORDER_NEAREST},
    {"grid-constant", BLUR_BORDER_CONSTANT},
    {"grid-wrap", BLUR_BORDER_WRAP},
};

blur_error blur_border_from_name(const char *name, blur_border *border)
{
    if (!name || !border) return BLUR_ERR_INVALID;
    /* OpenCV spells them BORDER_REFLECT, BORDER_REFLECT_101, ... */
    if (strncasecmp(name, "border_", 7) == 0) name += 7;
    for (size_t i = 0; i < sizeof border_names / sizeof border_names[0]; i++) {
        if (strcasecmp(name, border_names[i].name) == 0) {
            *border = border_names[i].border;
            return BLUR_OK;
        }
    }
    return BLUR_ERR_UNKNOWN_NAME;
}

const char *blur_border_name(blur_border border)
{
    for (size_t i = 0; i < sizeof border_names / sizeof border_names[0]; i++)
        if (border_names[i].border == border) return border_names[i].name;
    return "unknown";
}
