/* render.c — pictures for people: colour maps, heatmaps with colour bars, text in
 * stb_easy_font's quads, images drawn at integer zoom or shrink, and line plots written as SVG
 * or drawn into an image from the same layout. Everything draws onto a caller-owned 8-bit RGB
 * canvas and clips, so callers can lay out freely without bounds checks of their own. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* ---- colour maps ---- */

/* Anchors sampled from the maps they imitate, linearly interpolated between. Viridis: its
 * colours at t = 0, 1/8, ..., 1. Diverging: ColorBrewer RdBu reversed, with an odd number of
 * anchors so that 0.5 lands exactly on the neutral one. */
static const unsigned char viridis[][3] = {
    {68, 1, 84},    {72, 40, 120},  {62, 73, 137},  {49, 104, 142}, {38, 130, 142},
    {31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {253, 231, 37},
};
static const unsigned char diverging[][3] = {
    {5, 48, 97}, {67, 147, 195}, {247, 247, 247}, {214, 96, 77}, {103, 0, 31},
};

static const struct {
    const unsigned char (*anchors)[3];
    size_t count;
} colormaps[] = {
    [BLUR_COLORMAP_VIRIDIS] = {viridis, sizeof viridis / sizeof viridis[0]},
    [BLUR_COLORMAP_DIVERGING] = {diverging, sizeof diverging / sizeof diverging[0]},
};

static unsigned char to_byte(double v)
{
    if (!(v > 0.0)) return 0;
    if (v >= 255.0) return 255;
    return (unsigned char)(v + 0.5);
}

void blur_colormap_rgb(blur_colormap map, double t, unsigned char rgb[3])
{
    if ((unsigned)map >= sizeof colormaps / sizeof colormaps[0]) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return;
    }
    if (isnan(t)) {
        rgb[0] = rgb[1] = rgb[2] = 128;
        return;
    }
    if (t < 0.0) t = 0.0;
    if (t > 1.0) t = 1.0;
    double pos = t * (double)(colormaps[map].count - 1);
    size_t i = (size_t)pos;
    if (i >= colormaps[map].count - 1) i = colormaps[map].count - 2;
    double f = pos - (double)i;
    const unsigned char *a = colormaps[map].anchors[i], *b = colormaps[map].anchors[i + 1];
    for (int c = 0; c < 3; c++) rgb[c] = to_byte(a[c] + f * (b[c] - a[c]));
}

/* ---- primitives ---- */

static bool is_canvas(const blur_image *canvas)
{
    return canvas && blur_image_check(canvas) == BLUR_OK && canvas->channels == 3 &&
           canvas->depth == BLUR_U8;
}

static unsigned char *pixel_at(blur_image *canvas, size_t x, size_t y)
{
    return (unsigned char *)canvas->data + y * canvas->stride + 3 * x;
}

/* Clips [a, a+len) to [0, limit); false when nothing is left. */
static bool clip_span(long a, long len, size_t limit, size_t *from, size_t *to)
{
    if (len <= 0) return false;
    double lo = (double)a, hi = (double)a + (double)len;
    if (lo < 0.0) lo = 0.0;
    if (hi > (double)limit) hi = (double)limit;
    if (hi <= lo) return false;
    *from = (size_t)lo;
    *to = (size_t)hi;
    return true;
}

void blur_render_fill(blur_image *canvas, long x, long y, long w, long h,
                      const unsigned char rgb[3])
{
    size_t x0, x1, y0, y1;
    if (!is_canvas(canvas) || !rgb || !clip_span(x, w, canvas->width, &x0, &x1) ||
        !clip_span(y, h, canvas->height, &y0, &y1))
        return;
    for (size_t j = y0; j < y1; j++) {
        unsigned char *p = pixel_at(canvas, x0, j);
        for (size_t i = x0; i < x1; i++, p += 3) memcpy(p, rgb, 3);
    }
}

/* Blends rgb over one pixel with coverage a in [0, 1]; outside the canvas does nothing. */
static void blend(blur_image *canvas, long x, long y, const unsigned char rgb[3], double a)
{
    if (x < 0 || y < 0 || (size_t)x >= canvas->width || (size_t)y >= canvas->height || !(a > 0))
        return;
    if (a > 1.0) a = 1.0;
    unsigned char *p = pixel_at(canvas, (size_t)x, (size_t)y);
    for (int c = 0; c < 3; c++) p[c] = to_byte(p[c] + a * (rgb[c] - p[c]));
}

/* Fills a rectangle with fractional corners: each pixel blended by the area it covers, so a
 * rectangle on whole pixels is drawn exactly and a fractional one gets soft edges. */
static void fill_area(blur_image *canvas, double x0, double y0, double x1, double y1,
                      const unsigned char rgb[3])
{
    if (!(x1 > x0) || !(y1 > y0)) return;
    double cx0 = fmax(x0, 0.0), cy0 = fmax(y0, 0.0);
    double cx1 = fmin(x1, (double)canvas->width), cy1 = fmin(y1, (double)canvas->height);
    if (!(cx1 > cx0) || !(cy1 > cy0)) return;
    for (long j = (long)floor(cy0); (double)j < cy1; j++) {
        double cov_y = fmin(cy1, (double)j + 1.0) - fmax(cy0, (double)j);
        for (long i = (long)floor(cx0); (double)i < cx1; i++) {
            double cov_x = fmin(cx1, (double)i + 1.0) - fmax(cx0, (double)i);
            blend(canvas, i, j, rgb, cov_x * cov_y);
        }
    }
}

/* ---- text ---- */

/* stb_easy_font indexes its tables by (char - 32) and reads the next entry too, so only
 * ' '..'~' are safe to hand it. */
static char printable(char c)
{
    return c >= 32 && c <= 126 ? c : '?';
}

/* The advance of one character, in font units (stb's own rule). */
static double char_advance(char c)
{
    char one[2] = {printable(c), '\0'};
    return (double)stb_easy_font_width(one);
}

size_t blur_text_width(const char *text, double scale)
{
    if (!text || !(scale > 0)) return 0;
    double line = 0.0, widest = 0.0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') line = 0.0;
        else line += char_advance(*p);
        if (line > widest) widest = line;
    }
    return (size_t)ceil(widest * scale);
}

size_t blur_text_height(const char *text, double scale)
{
    if (!text || !*text || !(scale > 0)) return 0;
    size_t lines = 1;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    return (size_t)ceil((double)lines * BLUR_TEXT_LINE_HEIGHT * scale);
}

blur_error blur_render_text(blur_image *canvas, long x, long y, const char *text, double scale,
                            const unsigned char rgb[3])
{
    if (!is_canvas(canvas) || !text || !rgb || !(scale > 0) || scale > 64.0)
        return BLUR_ERR_INVALID;
    /* One character at a time, so the quad buffer is a small fixed one: the busiest glyph has
     * well under 32 quads of 64 bytes. A float array keeps stb's float stores aligned. */
    float quads[32 * 16];
    double pen_x = 0.0, pen_y = 0.0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            pen_x = 0.0;
            pen_y += BLUR_TEXT_LINE_HEIGHT;
            continue;
        }
        char one[2] = {printable(*p), '\0'};
        int n = stb_easy_font_print(0.0f, 0.0f, one, NULL, quads, (int)sizeof quads);
        for (int q = 0; q < n; q++) {
            const float *v = quads + 16 * q; /* 4 vertices of x, y, z, colour */
            double qx0 = v[0], qy0 = v[1], qx1 = v[8], qy1 = v[9];
            fill_area(canvas, (double)x + (pen_x + qx0) * scale,
                      (double)y + (pen_y + qy0) * scale, (double)x + (pen_x + qx1) * scale,
                      (double)y + (pen_y + qy1) * scale, rgb);
        }
        pen_x += char_advance(*p);
    }
    return BLUR_OK;
}

/* ---- heatmaps ---- */

enum { BAR_GAP = 10, BAR_WIDTH = 14, TICK = 4, LABEL_GAP = 3, BAR_MIN_HEIGHT = 100,
       BAR_TICKS = 5 };

static double text_scale_of(const blur_heatmap_options *opt)
{
    return opt->text_scale > 0 ? opt->text_scale : 1.0;
}

/* The value range the colours span, from the options or the data. */
static void heatmap_range(const blur_matrix *m, const blur_heatmap_options *opt, double *lo,
                          double *hi)
{
    *lo = opt->lo;
    *hi = opt->hi;
    if (*lo != *hi && isfinite(*lo) && isfinite(*hi)) return;
    double mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < m->rows * m->cols; i++) {
        double v = m->data[i];
        if (!isfinite(v)) continue;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
    }
    if (!(mn <= mx)) mn = mx = 0.0;
    if (opt->colormap == BLUR_COLORMAP_DIVERGING) {
        double a = fmax(fabs(mn), fabs(mx));
        mn = -a;
        mx = a;
    }
    if (mn == mx) { /* a constant matrix: centre it in the map */
        double pad = mn == 0.0 ? 1.0 : fabs(mn) * 0.5;
        mn -= pad;
        mx += pad;
    }
    *lo = mn;
    *hi = mx;
}

/* A tick label with 3 significant digits of the larger end of the range, fixed-point, so that
 * the ticks line up in precision and a symmetric range gets symmetric labels. */
static void tick_label(double value, double lo, double hi, const blur_heatmap_options *opt,
                       char *buf, size_t size)
{
    double scale = opt->label_scale != 0.0 ? opt->label_scale : 1.0;
    double v = value * scale, top = fmax(fabs(lo), fabs(hi)) * fabs(scale);
    int decimals = top > 0 && isfinite(top) ? 2 - (int)floor(log10(top)) : 0;
    if (decimals < 0 || decimals > 12) {
        snprintf(buf, size, "%.3g", v);
        return;
    }
    snprintf(buf, size, "%.*f", decimals, v);
    if (strtod(buf, NULL) == 0.0) snprintf(buf, size, "0"); /* no "-0.00" */
}

/* The bar's extra width: the bar, ticks and the widest label. */
static size_t colorbar_width(const blur_matrix *m, const blur_heatmap_options *opt)
{
    double lo, hi;
    heatmap_range(m, opt, &lo, &hi);
    size_t widest = 0;
    char label[32];
    for (int k = 0; k < BAR_TICKS; k++) {
        tick_label(lo + (hi - lo) * k / (BAR_TICKS - 1), lo, hi, opt, label, sizeof label);
        size_t w = blur_text_width(label, text_scale_of(opt));
        if (w > widest) widest = w;
    }
    return BAR_GAP + BAR_WIDTH + TICK + LABEL_GAP + widest;
}

blur_error blur_heatmap_layout(const blur_matrix *m, const blur_heatmap_options *opt,
                               size_t *width, size_t *height, size_t *cell_out)
{
    if (!m || !opt || !m->data || !m->rows || !m->cols) return BLUR_ERR_INVALID;
    size_t cell = opt->cell;
    if (!cell) {
        size_t side = opt->max_side ? opt->max_side : 320;
        size_t longest = m->rows > m->cols ? m->rows : m->cols;
        cell = side / longest;
        if (!cell) cell = 1;
    }
    size_t w, h;
    /* Drawing positions are longs: keep every size well inside them. */
    if (!blur__mul(m->cols, cell, &w) || !blur__mul(m->rows, cell, &h) ||
        w > (size_t)LONG_MAX / 4 || h > (size_t)LONG_MAX / 4)
        return BLUR_ERR_OVERFLOW;
    if (opt->colorbar) {
        size_t pad = (size_t)ceil(BLUR_TEXT_LINE_HEIGHT * text_scale_of(opt) / 2.0);
        size_t bar_h = h > BAR_MIN_HEIGHT ? h : BAR_MIN_HEIGHT;
        if (bar_h + 2 * pad > h) h = bar_h + 2 * pad;
        size_t extra = colorbar_width(m, opt);
        if (w > SIZE_MAX - extra) return BLUR_ERR_OVERFLOW;
        w += extra;
    }
    if (width) *width = w;
    if (height) *height = h;
    if (cell_out) *cell_out = cell;
    return BLUR_OK;
}

static const unsigned char black[3] = {0, 0, 0};
static const unsigned char white[3] = {255, 255, 255};

blur_error blur_render_heatmap(blur_image *canvas, long x, long y, const blur_matrix *m,
                               const blur_heatmap_options *opt)
{
    size_t cell, total_w, total_h;
    blur_error err = blur_heatmap_layout(m, opt, &total_w, &total_h, &cell);
    if (err) return err;
    if (!is_canvas(canvas)) return BLUR_ERR_INVALID;
    double lo, hi;
    heatmap_range(m, opt, &lo, &hi);
    long c = (long)cell;
    unsigned char rgb[3];
    for (size_t r = 0; r < m->rows; r++) {
        long cy = y + (long)r * c;
        if (cy >= (long)canvas->height) break;
        if (cy + c <= 0) continue;
        for (size_t k = 0; k < m->cols; k++) {
            long cx = x + (long)k * c;
            if (cx >= (long)canvas->width) break;
            double v = m->data[r * m->cols + k];
            blur_colormap_rgb(opt->colormap, isfinite(v) ? (v - lo) / (hi - lo) : NAN, rgb);
            blur_render_fill(canvas, cx, cy, c, c, rgb);
        }
    }
    if (!opt->colorbar) return BLUR_OK;

    /* The bar: top is hi, bottom lo, one row of pixels per colour step, framed in black. */
    double ts = text_scale_of(opt);
    long pad = (long)ceil(BLUR_TEXT_LINE_HEIGHT * ts / 2.0);
    long map_h = (long)(m->rows * cell);
    long bar_h = map_h > BAR_MIN_HEIGHT ? map_h : BAR_MIN_HEIGHT;
    long bx = x + (long)(m->cols * cell) + BAR_GAP;
    long by = y + pad; /* room above for the top label */
    for (long j = 0; j < bar_h; j++) {
        double t = bar_h > 1 ? 1.0 - (double)j / (double)(bar_h - 1) : 0.5;
        blur_colormap_rgb(opt->colormap, t, rgb);
        blur_render_fill(canvas, bx, by + j, BAR_WIDTH, 1, rgb);
    }
    blur_render_fill(canvas, bx - 1, by - 1, BAR_WIDTH + 2, 1, black);
    blur_render_fill(canvas, bx - 1, by + bar_h, BAR_WIDTH + 2, 1, black);
    blur_render_fill(canvas, bx - 1, by - 1, 1, bar_h + 2, black);
    blur_render_fill(canvas, bx + BAR_WIDTH, by - 1, 1, bar_h + 2, black);
    char label[32];
    long text_h = (long)blur_text_height("0", ts);
    for (int k = 0; k < BAR_TICKS; k++) {
        long ty = by + (long)lround((double)(bar_h - 1) * (1.0 - (double)k / (BAR_TICKS - 1)));
        blur_render_fill(canvas, bx + BAR_WIDTH, ty, TICK + 1, 1, black);
        tick_label(lo + (hi - lo) * k / (BAR_TICKS - 1), lo, hi, opt, label, sizeof label);
        /* stb's glyphs sit in the upper ~3/4 of the line: centre on that. */
        err = blur_render_text(canvas, bx + BAR_WIDTH + TICK + LABEL_GAP, ty - text_h * 3 / 8,
                               label, ts, black);
        if (err) return err;
    }
    return BLUR_OK;
}

blur_error blur_heatmap_image(const blur_matrix *m, const blur_heatmap_options *opt,
                              blur_image *img)
{
    if (!img) return BLUR_ERR_INVALID;
    memset(img, 0, sizeof *img);
    size_t w, h;
    blur_error err = blur_heatmap_layout(m, opt, &w, &h, NULL);
    if (err) return err;
    if (w > SIZE_MAX - 16 || h > SIZE_MAX - 16) return BLUR_ERR_OVERFLOW;
    err = blur_image_alloc(img, w + 16, h + 16, 3, BLUR_U8);
    if (err) return err;
    blur_render_fill(img, 0, 0, (long)img->width, (long)img->height, white);
    err = blur_render_heatmap(img, 8, 8, m, opt);
    if (err) blur_image_free(img);
    return err;
}

/* ---- images ---- */

/* Sample c of pixel (x, y) in 0..1. */
static double sample(const blur_image *img, size_t x, size_t y, int c)
{
    const unsigned char *row = (const unsigned char *)img->data + y * img->stride;
    size_t i = x * (size_t)img->channels + (size_t)c;
    switch (img->depth) {
    case BLUR_U8: return row[i] / 255.0;
    case BLUR_U16: {
        uint16_t v;
        memcpy(&v, row + 2 * i, 2);
        return v / 65535.0;
    }
    case BLUR_F32: {
        float v;
        memcpy(&v, row + 4 * i, 4);
        double d = v;
        return isfinite(d) ? fmin(fmax(d, 0.0), 1.0) : 0.0;
    }
    }
    return 0.0;
}

blur_error blur_render_image(blur_image *canvas, long x, long y, const blur_image *src,
                             size_t zoom, size_t shrink)
{
    if (!is_canvas(canvas) || !src || blur_image_check(src) != BLUR_OK || !zoom || !shrink ||
        (zoom > 1 && shrink > 1) || zoom > 4096)
        return BLUR_ERR_INVALID;
    size_t out_w = (src->width + shrink - 1) / shrink, out_h = (src->height + shrink - 1) / shrink;
    size_t span_w, span_h; /* drawing positions are longs */
    if (!blur__mul(out_w, zoom, &span_w) || !blur__mul(out_h, zoom, &span_h) ||
        span_w > (size_t)LONG_MAX / 4 || span_h > (size_t)LONG_MAX / 4)
        return BLUR_ERR_INVALID;
    int colour = src->channels >= 3 ? 3 : 1;
    bool alpha = src->channels == 2 || src->channels == 4;
    for (size_t oy = 0; oy < out_h; oy++) {
        long py = y + (long)(oy * zoom);
        if (py >= (long)canvas->height) break;
        if (py + (long)zoom <= 0) continue;
        for (size_t ox = 0; ox < out_w; ox++) {
            long px = x + (long)(ox * zoom);
            if (px >= (long)canvas->width) break;
            if (px + (long)zoom <= 0) continue;
            double acc[4] = {0, 0, 0, 0};
            size_t n = 0;
            for (size_t sy = oy * shrink; sy < (oy + 1) * shrink && sy < src->height; sy++)
                for (size_t sx = ox * shrink; sx < (ox + 1) * shrink && sx < src->width; sx++) {
                    /* Average premultiplied, so transparent pixels add no colour. */
                    double a = alpha ? sample(src, sx, sy, src->channels - 1) : 1.0;
                    for (int c = 0; c < colour; c++) acc[c] += a * sample(src, sx, sy, c);
                    acc[3] += a;
                    n++;
                }
            double a = acc[3] / (double)n;
            /* Over a checkerboard of 8-pixel squares, in canvas coordinates. */
            for (size_t j = 0; j < zoom; j++)
                for (size_t i = 0; i < zoom; i++) {
                    long cx = px + (long)i, cy = py + (long)j;
                    if (cx < 0 || cy < 0 || (size_t)cx >= canvas->width ||
                        (size_t)cy >= canvas->height)
                        continue;
                    double bg = (((size_t)cx / 8 + (size_t)cy / 8) & 1) ? 0.6 : 0.4;
                    unsigned char *p = pixel_at(canvas, (size_t)cx, (size_t)cy);
                    for (int c = 0; c < 3; c++) {
                        double premul = acc[colour == 3 ? c : 0] / (double)n;
                        p[c] = to_byte(255.0 * (premul + (1.0 - a) * bg));
                    }
                }
        }
    }
    return BLUR_OK;
}

/* ---- plots ---- */

/* The plot is laid out once and drawn through a painter, so the SVG and the raster picture
 * agree. Text positions are the top-left of the text box (anchor: -1 left, 0 centre, 1 right);
 * sizes are in stb_easy_font units (12 per line). */
typedef struct painter painter;
struct painter {
    void (*polyline)(painter *p, const double *xs, const double *ys, size_t n,
                     const unsigned char rgb[3], double width, int dashed);
    void (*text)(painter *p, double x, double y, const char *s, int anchor, double scale,
                 const unsigned char rgb[3]);
    void (*rect)(painter *p, double x, double y, double w, double h, const unsigned char *fill,
                 const unsigned char *stroke);
    void (*dot)(painter *p, double x, double y, double r, const unsigned char rgb[3]);
    FILE *fp;          /* SVG */
    blur_image *image; /* raster */
};

static const unsigned char palette[][3] = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
    {140, 86, 75},  {227, 119, 194}, {188, 189, 34}, {23, 190, 207}, {127, 127, 127},
};
static const unsigned char reference_gray[3] = {40, 40, 40};
static const unsigned char grid_gray[3] = {225, 225, 225};

/* A step of 1, 2 or 5 times a power of ten near range/target. */
static double nice_step(double range, double target)
{
    double raw = range / target;
    double p = pow(10.0, floor(log10(raw)));
    double f = raw / p;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * p;
}

static void format_tick(double v, double step, char *buf, size_t size)
{
    int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (decimals > 12) decimals = 12;
    if (fabs(v) < step * 1e-9) v = 0.0;
    snprintf(buf, size, "%.*f", decimals, v);
}

typedef struct plot_layout {
    double left, right, top, bottom; /* the data area, pixels */
    double x0, x1, y0, y1;           /* data range (tick-aligned) */
    double xstep, ystep;
} plot_layout;

static double map_x(const plot_layout *L, double v)
{
    return L->left + (v - L->x0) / (L->x1 - L->x0) * (L->right - L->left);
}
static double map_y(const plot_layout *L, double v)
{
    return L->bottom - (v - L->y0) / (L->y1 - L->y0) * (L->bottom - L->top);
}

static blur_error plot_check(const blur_plot *plot, size_t *w, size_t *h)
{
    if (!plot || !plot->series || !plot->count) return BLUR_ERR_INVALID;
    *w = plot->width ? plot->width : 760;
    *h = plot->height ? plot->height : 480;
    if (*w < 200 || *h < 200 || *w > 8000 || *h > 8000) return BLUR_ERR_INVALID;
    bool any = false;
    for (size_t s = 0; s < plot->count; s++) {
        const blur_plot_series *ser = &plot->series[s];
        if (ser->count && (!ser->x || !ser->y)) return BLUR_ERR_INVALID;
        for (size_t i = 0; i < ser->count; i++)
            any |= isfinite(ser->x[i]) && isfinite(ser->y[i]);
    }
    return any ? BLUR_OK : BLUR_ERR_INVALID;
}

static void plot_layout_make(const blur_plot *plot, size_t w, size_t h, plot_layout *L)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = 0.0, ymax = 0.0;
    for (size_t s = 0; s < plot->count; s++)
        for (size_t i = 0; i < plot->series[s].count; i++) {
            double x = plot->series[s].x[i], y = plot->series[s].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            xmin = fmin(xmin, x);
            xmax = fmax(xmax, x);
            ymin = fmin(ymin, y);
            ymax = fmax(ymax, y);
        }
    if (xmin == xmax) { xmin -= 1.0; xmax += 1.0; }
    if (ymin == ymax) ymax = ymin + 1.0;
    L->xstep = nice_step(xmax - xmin, 8.0);
    L->ystep = nice_step(ymax - ymin, 6.0);
    L->x0 = floor(xmin / L->xstep) * L->xstep;
    L->x1 = ceil(xmax / L->xstep) * L->xstep;
    L->y0 = floor(ymin / L->ystep) * L->ystep;
    L->y1 = ceil(ymax / L->ystep) * L->ystep;
    if (L->y1 - ymax < L->ystep * 0.05) L->y1 += L->ystep; /* headroom for the legend */
    /* Room for the widest y tick label. */
    size_t widest = 0;
    char buf[48];
    for (double v = L->y0; v <= L->y1 + L->ystep * 0.5; v += L->ystep) {
        format_tick(v, L->ystep, buf, sizeof buf);
        size_t tw = blur_text_width(buf, 1.25);
        if (tw > widest) widest = tw;
    }
    L->left = 20.0 + (double)widest;
    L->right = (double)w - 24.0;
    L->top = 16.0 + (plot->title ? 26.0 : 0.0) + (plot->y_label ? 20.0 : 0.0);
    L->bottom = (double)h - 28.0 - (plot->x_label ? 22.0 : 0.0);
}

/* Draws the whole plot through a painter. Errors: BLUR_ERR_NOMEM (the mapped points). */
static blur_error plot_paint(const blur_plot *plot, size_t w, size_t h, painter *p)
{
    plot_layout L;
    plot_layout_make(plot, w, h, &L);
    char buf[48];
    p->rect(p, 0, 0, (double)w, (double)h, white, NULL);
    if (plot->title) p->text(p, (double)w / 2.0, 12.0, plot->title, 0, 1.6, black);
    if (plot->y_label) p->text(p, L.left, L.top - 22.0, plot->y_label, -1, 1.25, black);
    if (plot->x_label)
        p->text(p, (L.left + L.right) / 2.0, (double)h - 24.0, plot->x_label, 0, 1.25, black);
    /* Grid and ticks. Counting steps rather than adding avoids drift. */
    long nx = lround((L.x1 - L.x0) / L.xstep), ny = lround((L.y1 - L.y0) / L.ystep);
    for (long k = 0; k <= nx; k++) {
        double v = L.x0 + (double)k * L.xstep, px = map_x(&L, v);
        double xs[2] = {px, px}, ys[2] = {L.top, L.bottom};
        p->polyline(p, xs, ys, 2, grid_gray, 1.0, 0);
        double ts[2] = {L.bottom, L.bottom + 5.0};
        p->polyline(p, xs, ts, 2, black, 1.0, 0);
        format_tick(v, L.xstep, buf, sizeof buf);
        p->text(p, px, L.bottom + 8.0, buf, 0, 1.25, black);
    }
    for (long k = 0; k <= ny; k++) {
        double v = L.y0 + (double)k * L.ystep, py = map_y(&L, v);
        double xs[2] = {L.left, L.right}, ys[2] = {py, py};
        p->polyline(p, xs, ys, 2, grid_gray, 1.0, 0);
        double ts[2] = {L.left - 5.0, L.left};
        p->polyline(p, ts, ys, 2, black, 1.0, 0);
        format_tick(v, L.ystep, buf, sizeof buf);
        p->text(p, L.left - 8.0, py - 6.0, buf, 1, 1.25, black);
    }
    p->rect(p, L.left, L.top, L.right - L.left, L.bottom - L.top, NULL, black);

    /* Series: each run of finite points is one polyline. */
    size_t colour = 0;
    double *xs = NULL, *ys = NULL;
    size_t cap = 0;
    for (size_t s = 0; s < plot->count; s++) {
        const blur_plot_series *ser = &plot->series[s];
        const unsigned char *rgb =
            ser->dashed ? reference_gray : palette[colour++ % (sizeof palette / 3)];
        if (ser->count > cap) {
            double *nx_ = realloc(xs, ser->count * sizeof *xs);
            double *ny_ = nx_ ? realloc(ys, ser->count * sizeof *ys) : NULL;
            if (nx_) xs = nx_;
            if (ny_) ys = ny_;
            if (!nx_ || !ny_) {
                free(xs);
                free(ys);
                return BLUR_ERR_NOMEM;
            }
            cap = ser->count;
        }
        size_t run = 0;
        for (size_t i = 0; i <= ser->count; i++) {
            bool ok = i < ser->count && isfinite(ser->x[i]) && isfinite(ser->y[i]);
            if (ok) {
                xs[run] = map_x(&L, ser->x[i]);
                ys[run] = map_y(&L, ser->y[i]);
                run++;
                if (ser->markers && !ser->dashed) p->dot(p, xs[run - 1], ys[run - 1], 3.0, rgb);
            } else if (run) {
                p->polyline(p, xs, ys, run, rgb, ser->dashed ? 1.5 : 2.0, ser->dashed);
                run = 0;
            }
        }
    }
    free(xs);
    free(ys);

    /* The legend, top right inside the frame. */
    size_t entries = 0, widest = 0;
    for (size_t s = 0; s < plot->count; s++)
        if (plot->series[s].label) {
            entries++;
            size_t tw = blur_text_width(plot->series[s].label, 1.25);
            if (tw > widest) widest = tw;
        }
    if (!entries) return BLUR_OK;
    double row = 18.0, bw = 48.0 + (double)widest * 1.15, bh = row * (double)entries + 10.0;
    double bx = L.right - bw - 8.0, by = L.top + 8.0;
    static const unsigned char legend_bg[3] = {255, 255, 255};
    static const unsigned char legend_edge[3] = {160, 160, 160};
    p->rect(p, bx, by, bw, bh, legend_bg, legend_edge);
    colour = 0;
    size_t k = 0;
    for (size_t s = 0; s < plot->count; s++) {
        const blur_plot_series *ser = &plot->series[s];
        const unsigned char *rgb =
            ser->dashed ? reference_gray : palette[colour++ % (sizeof palette / 3)];
        if (!ser->label) continue;
        double cy = by + 5.0 + row * ((double)k + 0.5);
        double lx[2] = {bx + 8.0, bx + 36.0}, ly[2] = {cy, cy};
        p->polyline(p, lx, ly, 2, rgb, ser->dashed ? 1.5 : 2.0, ser->dashed);
        if (ser->markers && !ser->dashed) p->dot(p, bx + 22.0, cy, 3.0, rgb);
        p->text(p, bx + 42.0, cy - 6.5, ser->label, -1, 1.25, black);
        k++;
    }
    return BLUR_OK;
}

/* -- the SVG painter -- */

static void svg_colour(FILE *fp, const char *attr, const unsigned char *rgb)
{
    if (rgb) fprintf(fp, " %s=\"#%02x%02x%02x\"", attr, rgb[0], rgb[1], rgb[2]);
    else fprintf(fp, " %s=\"none\"", attr);
}

/* Text content escaped for XML; bytes that are not printable ASCII become '?', so the file is
 * well-formed whatever the caller's bytes were. */
static void svg_escape(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&apos;", fp); break;
        default: fputc(printable(*s), fp);
        }
    }
}

static void svg_polyline(painter *p, const double *xs, const double *ys, size_t n,
                         const unsigned char rgb[3], double width, int dashed)
{
    fputs("<polyline fill=\"none\"", p->fp);
    svg_colour(p->fp, "stroke", rgb);
    fprintf(p->fp, " stroke-width=\"%.3g\" stroke-linejoin=\"round\"%s points=\"", width,
            dashed ? " stroke-dasharray=\"7 5\"" : "");
    for (size_t i = 0; i < n; i++) fprintf(p->fp, "%s%.2f,%.2f", i ? " " : "", xs[i], ys[i]);
    fputs("\"/>\n", p->fp);
}

static void svg_text(painter *p, double x, double y, const char *s, int anchor, double scale,
                     const unsigned char rgb[3])
{
    /* A monospace face at 10 units per stb line of 12 is about as wide as stb's glyphs; SVG
     * places text by its baseline, about 0.8 of the line down. */
    fprintf(p->fp, "<text x=\"%.2f\" y=\"%.2f\" font-family=\"monospace\" font-size=\"%.3g\"", x,
            y + 9.5 * scale, 10.0 * scale);
    svg_colour(p->fp, "fill", rgb);
    fprintf(p->fp, " text-anchor=\"%s\">", anchor < 0 ? "start" : anchor > 0 ? "end" : "middle");
    svg_escape(p->fp, s);
    fputs("</text>\n", p->fp);
}

static void svg_rect(painter *p, double x, double y, double w, double h,
                     const unsigned char *fill, const unsigned char *stroke)
{
    fprintf(p->fp, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"", x, y, w, h);
    svg_colour(p->fp, "fill", fill);
    svg_colour(p->fp, "stroke", stroke);
    fputs("/>\n", p->fp);
}

static void svg_dot(painter *p, double x, double y, double r, const unsigned char rgb[3])
{
    fprintf(p->fp, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"", x, y, r);
    svg_colour(p->fp, "fill", rgb);
    fputs("/>\n", p->fp);
}

blur_error blur_plot_write_svg(const char *path, const blur_plot *plot)
{
    size_t w, h;
    if (!path) return BLUR_ERR_INVALID;
    blur_error err = plot_check(plot, &w, &h);
    if (err) return err;
    blur__output *out;
    err = blur__output_open(path, &out);
    if (err) return err;
    painter p = {svg_polyline, svg_text, svg_rect, svg_dot, blur__output_stream(out), NULL};
    fprintf(p.fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%zu\" "
            "height=\"%zu\" viewBox=\"0 0 %zu %zu\">\n",
            w, h, w, h);
    err = plot_paint(plot, w, h, &p);
    if (err) {
        blur__output_abort(out);
        return err;
    }
    fputs("</svg>\n", p.fp);
    return blur__output_commit(out);
}

/* -- the raster painter -- */

/* One anti-aliased segment: each pixel blended by how far its centre is from the segment. */
static void raster_segment(blur_image *img, double x0, double y0, double x1, double y1,
                           const unsigned char rgb[3], double width)
{
    double half = width / 2.0;
    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    long ix0 = (long)floor(fmin(x0, x1) - half - 1), ix1 = (long)ceil(fmax(x0, x1) + half + 1);
    long iy0 = (long)floor(fmin(y0, y1) - half - 1), iy1 = (long)ceil(fmax(y0, y1) + half + 1);
    if (ix0 < 0) ix0 = 0;
    if (iy0 < 0) iy0 = 0;
    if (ix1 > (long)img->width) ix1 = (long)img->width;
    if (iy1 > (long)img->height) iy1 = (long)img->height;
    for (long j = iy0; j < iy1; j++)
        for (long i = ix0; i < ix1; i++) {
            double px = (double)i + 0.5, py = (double)j + 0.5;
            double t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0.0;
            t = fmin(fmax(t, 0.0), 1.0);
            double ex = px - (x0 + t * dx), ey = py - (y0 + t * dy);
            double d = sqrt(ex * ex + ey * ey);
            blend(img, i, j, rgb, half + 0.5 - d);
        }
}

static void raster_polyline(painter *p, const double *xs, const double *ys, size_t n,
                            const unsigned char rgb[3], double width, int dashed)
{
    /* Dashes: 7 on, 5 off along the whole polyline, as the SVG's dasharray. */
    const double on = 7.0, period = 12.0;
    double phase = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        double x0 = xs[i], y0 = ys[i], x1 = xs[i + 1], y1 = ys[i + 1];
        double len = hypot(x1 - x0, y1 - y0);
        if (!dashed) {
            raster_segment(p->image, x0, y0, x1, y1, rgb, width);
            continue;
        }
        double s = 0.0;
        while (s < len) {
            double in_period = fmod(phase + s, period);
            double step = in_period < on ? on - in_period : period - in_period;
            double e = fmin(len, s + step);
            if (in_period < on && len > 0) {
                double a = s / len, b = e / len;
                raster_segment(p->image, x0 + a * (x1 - x0), y0 + a * (y1 - y0),
                               x0 + b * (x1 - x0), y0 + b * (y1 - y0), rgb, width);
            }
            s = e;
        }
        phase = fmod(phase + len, period);
    }
}

static void raster_text(painter *p, double x, double y, const char *s, int anchor, double scale,
                        const unsigned char rgb[3])
{
    double w = (double)blur_text_width(s, scale);
    double left = anchor < 0 ? x : anchor > 0 ? x - w : x - w / 2.0;
    (void)blur_render_text(p->image, lround(left), lround(y), s, scale, rgb);
}

static void raster_rect(painter *p, double x, double y, double w, double h,
                        const unsigned char *fill, const unsigned char *stroke)
{
    long x0 = lround(x), y0 = lround(y), x1 = lround(x + w), y1 = lround(y + h);
    if (fill) blur_render_fill(p->image, x0, y0, x1 - x0, y1 - y0, fill);
    if (stroke) {
        blur_render_fill(p->image, x0, y0, x1 - x0 + 1, 1, stroke);
        blur_render_fill(p->image, x0, y1, x1 - x0 + 1, 1, stroke);
        blur_render_fill(p->image, x0, y0, 1, y1 - y0 + 1, stroke);
        blur_render_fill(p->image, x1, y0, 1, y1 - y0 + 1, stroke);
    }
}

static void raster_dot(painter *p, double x, double y, double r, const unsigned char rgb[3])
{
    for (long j = (long)floor(y - r - 1); j <= (long)ceil(y + r + 1); j++)
        for (long i = (long)floor(x - r - 1); i <= (long)ceil(x + r + 1); i++) {
            double d = hypot((double)i + 0.5 - x, (double)j + 0.5 - y);
            blend(p->image, i, j, rgb, r + 0.5 - d);
        }
}

blur_error blur_plot_render(const blur_plot *plot, blur_image *img)
{
    size_t w, h;
    if (!img) return BLUR_ERR_INVALID;
    memset(img, 0, sizeof *img);
    blur_error err = plot_check(plot, &w, &h);
    if (err) return err;
    err = blur_image_alloc(img, w, h, 3, BLUR_U8);
    if (err) return err;
    painter p = {raster_polyline, raster_text, raster_rect, raster_dot, NULL, img};
    err = plot_paint(plot, w, h, &p);
    if (err) blur_image_free(img);
    return err;
}
