/* test_render.c — colour maps, heatmaps (pixel colours at known cells, layout), text, image
 * panels, the SVG plot (well-formed XML, checked by a small parser here) and the raster plot;
 * and the contact sheet of `blur compare` (run from the build next to this test), panel by
 * panel. */
#include "testutil.h"

#include <ctype.h>
#include <libgen.h>
#include <math.h>
#include <sys/wait.h>

static const unsigned char WHITE[3] = {255, 255, 255};
static const unsigned char BLACK[3] = {0, 0, 0};
static const unsigned char NEUTRAL[3] = {247, 247, 247};

static const unsigned char *px(const blur_image *img, size_t x, size_t y)
{
    return (const unsigned char *)img->data + y * img->stride + 3 * x;
}

static void assert_rgb(const unsigned char *p, const unsigned char *want)
{
    if (memcmp(p, want, 3) != 0)
        fail_msg("pixel (%d,%d,%d), expected (%d,%d,%d)", p[0], p[1], p[2], want[0], want[1],
                 want[2]);
}

static blur_image canvas(size_t w, size_t h)
{
    blur_image img;
    assert_int_equal(blur_image_alloc(&img, w, h, 3, BLUR_U8), BLUR_OK);
    blur_render_fill(&img, 0, 0, (long)w, (long)h, WHITE);
    return img;
}

/* ---- colour maps ---- */

static void test_colormaps(void **state)
{
    (void)state;
    unsigned char rgb[3];
    blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, 0.0, rgb);
    assert_rgb(rgb, (const unsigned char[3]){68, 1, 84});
    blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, 1.0, rgb);
    assert_rgb(rgb, (const unsigned char[3]){253, 231, 37});
    blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, 7.0, rgb); /* clamped */
    assert_rgb(rgb, (const unsigned char[3]){253, 231, 37});
    blur_colormap_rgb(BLUR_COLORMAP_DIVERGING, 0.5, rgb);
    assert_rgb(rgb, NEUTRAL);
    blur_colormap_rgb(BLUR_COLORMAP_DIVERGING, 0.0, rgb);
    assert_rgb(rgb, (const unsigned char[3]){5, 48, 97});
    blur_colormap_rgb(BLUR_COLORMAP_DIVERGING, NAN, rgb);
    assert_rgb(rgb, (const unsigned char[3]){128, 128, 128});
    /* Viridis gets lighter all the way (green channel rises). */
    unsigned char prev[3];
    blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, 0.0, prev);
    for (int i = 1; i <= 100; i++) {
        blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, i / 100.0, rgb);
        assert_true(rgb[1] >= prev[1]);
        memcpy(prev, rgb, 3);
    }
}

/* ---- heatmaps ---- */

static void test_heatmap_cells(void **state)
{
    (void)state;
    double data[6] = {0.0, 1.0, 2.0, 3.0, 4.0, 8.0}; /* 2 x 3 */
    blur_matrix m = {2, 3, data};
    blur_heatmap_options opt = BLUR_HEATMAP_OPTIONS_INIT;
    opt.colorbar = 0;
    opt.cell = 20;
    size_t w, h, cell;
    assert_int_equal(blur_heatmap_layout(&m, &opt, &w, &h, &cell), BLUR_OK);
    assert_int_equal(cell, 20);
    assert_int_equal(w, 60);
    assert_int_equal(h, 40);
    blur_image img = canvas(100, 60);
    assert_int_equal(blur_render_heatmap(&img, 10, 5, &m, &opt), BLUR_OK);
    unsigned char want[3];
    /* lo..hi from the data: 0..8. Every pixel of a cell has its colour, edges included. */
    for (size_t r = 0; r < 2; r++)
        for (size_t c = 0; c < 3; c++) {
            blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, data[r * 3 + c] / 8.0, want);
            assert_rgb(px(&img, 10 + c * 20, 5 + r * 20), want);
            assert_rgb(px(&img, 10 + c * 20 + 19, 5 + r * 20 + 19), want);
            assert_rgb(px(&img, 10 + c * 20 + 10, 5 + r * 20 + 7), want);
        }
    assert_rgb(px(&img, 9, 5), WHITE); /* nothing outside */
    assert_rgb(px(&img, 70, 5), WHITE);
    assert_rgb(px(&img, 10, 45), WHITE);

    /* Automatic cell size: the longest side within max_side. */
    opt.cell = 0;
    opt.max_side = 100;
    assert_int_equal(blur_heatmap_layout(&m, &opt, &w, &h, &cell), BLUR_OK);
    assert_int_equal(cell, 33);
    /* Diverging, symmetric range from the data: 0 is the neutral colour. */
    double signed_data[4] = {-2.0, 0.0, 1.0, 0.5};
    blur_matrix d = {2, 2, signed_data};
    blur_heatmap_options dopt = BLUR_HEATMAP_OPTIONS_INIT;
    dopt.colormap = BLUR_COLORMAP_DIVERGING;
    dopt.colorbar = 0;
    dopt.cell = 4;
    assert_int_equal(blur_render_heatmap(&img, 0, 0, &d, &dopt), BLUR_OK);
    assert_rgb(px(&img, 5, 1), NEUTRAL);
    assert_rgb(px(&img, 1, 1), (const unsigned char[3]){5, 48, 97});
    /* Drawing mostly outside the canvas is clipped, not an error. */
    assert_int_equal(blur_render_heatmap(&img, -50, 55, &m, &opt), BLUR_OK);
    assert_int_equal(blur_render_heatmap(&img, 1000, 1000, &m, &opt), BLUR_OK);
    blur_image_free(&img);

    blur_matrix empty = {0, 3, data};
    assert_int_equal(blur_heatmap_layout(&empty, &opt, &w, &h, NULL), BLUR_ERR_INVALID);
    blur_image gray;
    assert_int_equal(blur_image_alloc(&gray, 10, 10, 1, BLUR_U8), BLUR_OK);
    assert_int_equal(blur_render_heatmap(&gray, 0, 0, &m, &opt), BLUR_ERR_INVALID);
    blur_image_free(&gray);
}

/* The kernel heatmap as `blur kernel --format png` makes it: a 5 x 5 mask with a colour bar. */
static void test_heatmap_image_colorbar(void **state)
{
    (void)state;
    double mask[25];
    blur_kernel_spec spec = BLUR_KERNEL_SPEC_INIT;
    spec.method = "integrated";
    spec.rows = spec.cols = 5;
    spec.sigma_x = spec.sigma_y = 1.0;
    assert_int_equal(blur_kernel_2d(&spec, mask, 25), BLUR_OK);
    blur_matrix m = {5, 5, mask};
    blur_heatmap_options opt = BLUR_HEATMAP_OPTIONS_INIT;
    opt.max_side = 400;
    opt.colorbar = 1;
    blur_image img;
    assert_int_equal(blur_heatmap_image(&m, &opt, &img), BLUR_OK);
    size_t w, h;
    assert_int_equal(blur_heatmap_layout(&m, &opt, &w, &h, NULL), BLUR_OK);
    assert_int_equal(img.width, w + 16);
    assert_int_equal(img.height, h + 16);
    assert_true(w > 400 + 24); /* the bar and its labels beside the 400-pixel map */
    /* Cell (2, 2) is the peak: the top of the map; (0, 0) the smallest: the bottom. */
    unsigned char want[3];
    assert_rgb(px(&img, 8 + 2 * 80 + 40, 8 + 2 * 80 + 40), (const unsigned char[3]){253, 231, 37});
    assert_rgb(px(&img, 8 + 40, 8 + 40), (const unsigned char[3]){68, 1, 84});
    double lo = mask[0], hi = mask[12];
    blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, (mask[7] - lo) / (hi - lo), want);
    assert_rgb(px(&img, 8 + 2 * 80 + 3, 8 + 1 * 80 + 77), want);
    /* The bar: top row yellow, bottom row purple, framed in black. */
    size_t bx = 8 + 400 + 10 + 7, pad = 6, bar_h = 400;
    assert_rgb(px(&img, bx, 8 + pad), (const unsigned char[3]){253, 231, 37});
    assert_rgb(px(&img, bx, 8 + pad + bar_h - 1), (const unsigned char[3]){68, 1, 84});
    assert_rgb(px(&img, bx, 8 + pad - 1), BLACK);
    /* Tick labels: dark pixels right of the bar. */
    size_t dark = 0;
    for (size_t y = 0; y < img.height; y++)
        for (size_t x = bx + 14; x < img.width; x++) dark += px(&img, x, y)[0] < 100;
    assert_true(dark > 50);
    blur_image_free(&img);
}

/* ---- text ---- */

static void test_text(void **state)
{
    (void)state;
    assert_int_equal(blur_text_width("", 1.0), 0);
    assert_int_equal(blur_text_height("", 1.0), 0);
    assert_int_equal(blur_text_height("a\nb", 2.0), 48);
    size_t w1 = blur_text_width("sampled", 1.0), w2 = blur_text_width("sampled", 2.0);
    assert_true(w1 > 20 && w1 < 60);
    assert_int_equal(w2, 2 * w1);
    assert_int_equal(blur_text_width("ab\nabcd", 1.0), blur_text_width("abcd", 1.0));

    blur_image img = canvas(200, 40);
    const unsigned char red[3] = {200, 0, 0};
    assert_int_equal(blur_render_text(&img, 10, 5, "Hello 123", 2.0, red), BLUR_OK);
    /* Pixels drawn, all within the text's box, in the colour asked for at scale 2. */
    size_t drawn = 0, outside = 0, exact = 0;
    size_t tw = blur_text_width("Hello 123", 2.0), th = blur_text_height("Hello 123", 2.0);
    for (size_t y = 0; y < 40; y++)
        for (size_t x = 0; x < 200; x++) {
            const unsigned char *p = px(&img, x, y);
            if (memcmp(p, WHITE, 3) == 0) continue;
            drawn++;
            exact += memcmp(p, red, 3) == 0;
            if (x < 10 || x >= 10 + tw || y < 5 || y >= 5 + th) outside++;
        }
    assert_true(drawn > 100);
    assert_int_equal(outside, 0);
    assert_int_equal(exact, drawn); /* whole-pixel quads at a whole scale: no blending */
    /* Different text, different pixels; fractional scale and bytes outside ASCII work. */
    blur_image other = canvas(200, 40);
    assert_int_equal(blur_render_text(&other, 10, 5, "Hello 124", 2.0, red), BLUR_OK);
    assert_true(memcmp(img.data, other.data, 200 * 40 * 3) != 0);
    assert_int_equal(blur_render_text(&other, -5, -3, "\x01\xff\x7f~ sigma", 1.3, red), BLUR_OK);
    assert_int_equal(blur_render_text(&other, 0, 0, "x", 0.0, red), BLUR_ERR_INVALID);
    assert_int_equal(blur_render_text(&other, 0, 0, NULL, 1.0, red), BLUR_ERR_INVALID);
    blur_image_free(&img);
    blur_image_free(&other);
}

/* ---- image panels ---- */

static void test_render_image(void **state)
{
    (void)state;
    blur_image src;
    assert_int_equal(blur_image_alloc(&src, 4, 2, 1, BLUR_U8), BLUR_OK);
    unsigned char *s = src.data;
    const unsigned char values[8] = {0, 100, 200, 255, 10, 20, 30, 40};
    memcpy(s, values, 8);
    blur_image img = canvas(20, 20);
    assert_int_equal(blur_render_image(&img, 1, 1, &src, 3, 1), BLUR_OK);
    assert_int_equal(px(&img, 1 + 3 * 1 + 2, 1)[0], 100);
    assert_int_equal(px(&img, 1 + 3 * 3, 1 + 3 + 2)[1], 40);
    assert_rgb(px(&img, 0, 0), WHITE);
    assert_rgb(px(&img, 13, 1), WHITE);
    /* Shrunk by 2: block averages. */
    assert_int_equal(blur_render_image(&img, 0, 10, &src, 1, 2), BLUR_OK);
    assert_int_equal(px(&img, 0, 10)[0], 33);  /* (0+100+10+20)/4 = 32.5 */
    assert_int_equal(px(&img, 1, 10)[0], 131); /* (200+255+30+40)/4 = 131.25 */
    assert_int_equal(blur_render_image(&img, 0, 0, &src, 2, 2), BLUR_ERR_INVALID);
    blur_image_free(&src);

    /* Transparent pixels show the checkerboard, opaque ones their colour. */
    assert_int_equal(blur_image_alloc(&src, 2, 1, 4, BLUR_U8), BLUR_OK);
    const unsigned char rgba[8] = {255, 0, 0, 0, 0, 0, 255, 255};
    memcpy(src.data, rgba, 8);
    assert_int_equal(blur_render_image(&img, 0, 0, &src, 1, 1), BLUR_OK);
    assert_int_equal(px(&img, 0, 0)[0], 102); /* 0.4 gray, square (0, 0) */
    assert_rgb(px(&img, 1, 0), (const unsigned char[3]){0, 0, 255});
    blur_image_free(&src);
    blur_image_free(&img);
}

/* ---- SVG: a small XML well-formedness checker ---- */

typedef struct xml {
    const char *p, *end;
    char stack[64][32];
    int depth;
    int elements;
} xml;

static bool xml_name(xml *x, char *out, size_t size)
{
    size_t n = 0;
    if (x->p >= x->end || !(isalpha((unsigned char)*x->p) || *x->p == '_')) return false;
    while (x->p < x->end && (isalnum((unsigned char)*x->p) || strchr("_-.:", *x->p))) {
        if (n + 1 >= size) return false;
        out[n++] = *x->p++;
    }
    out[n] = '\0';
    return true;
}

static void xml_space(xml *x)
{
    while (x->p < x->end && isspace((unsigned char)*x->p)) x->p++;
}

/* An entity reference at x->p ('&'): one of XML's five or a character reference. */
static bool xml_entity(xml *x)
{
    static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if ((size_t)(x->end - x->p) >= strlen(names[i]) &&
            strncmp(x->p, names[i], strlen(names[i])) == 0) {
            x->p += strlen(names[i]);
            return true;
        }
    if (x->end - x->p > 3 && x->p[1] == '#') {
        const char *q = x->p + 2;
        while (q < x->end && isalnum((unsigned char)*q)) q++;
        if (q < x->end && *q == ';' && q > x->p + 2) {
            x->p = q + 1;
            return true;
        }
    }
    return false;
}

/* Text and attribute values: no raw '<', '&' only in references, printable characters. */
static bool xml_chars(xml *x, char stop)
{
    while (x->p < x->end && *x->p != stop) {
        unsigned char c = (unsigned char)*x->p;
        if (stop != '<' && c == '<') return false;
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
        if (c >= 0x80) return false; /* our writer emits ASCII only */
        if (c == '&') {
            if (!xml_entity(x)) return false;
        } else {
            x->p++;
        }
    }
    return true;
}

/* Returns NULL when well-formed, else what is wrong. */
static const char *xml_check(const char *text, size_t size)
{
    xml x = {text, text + size, {{0}}, 0, 0};
    if (size >= 5 && strncmp(text, "<?xml", 5) == 0) {
        const char *q = strstr(text, "?>");
        if (!q) return "unterminated prolog";
        x.p = q + 2;
    }
    bool root_done = false;
    while (x.p < x.end) {
        if (*x.p != '<') {
            const char *start = x.p;
            if (!xml_chars(&x, '<')) return "bad character data";
            if (x.depth == 0)
                for (const char *q = start; q < x.p; q++)
                    if (!isspace((unsigned char)*q)) return "text outside the root element";
            continue;
        }
        x.p++;
        char name[32];
        if (x.p < x.end && *x.p == '/') {
            x.p++;
            if (!xml_name(&x, name, sizeof name)) return "bad closing tag name";
            xml_space(&x);
            if (x.p >= x.end || *x.p != '>') return "closing tag not ended by '>'";
            x.p++;
            if (x.depth == 0 || strcmp(x.stack[x.depth - 1], name) != 0) return "unbalanced tag";
            if (--x.depth == 0) root_done = true;
            continue;
        }
        if (root_done) return "a second root element";
        if (!xml_name(&x, name, sizeof name)) return "bad tag name";
        x.elements++;
        char attrs[32][32];
        int nattrs = 0;
        for (;;) {
            bool spaced = x.p < x.end && isspace((unsigned char)*x.p);
            xml_space(&x);
            if (x.p >= x.end) return "unterminated tag";
            if (*x.p == '>' || *x.p == '/') break;
            if (!spaced) return "attributes not separated by space";
            char attr[32];
            if (!xml_name(&x, attr, sizeof attr)) return "bad attribute name";
            for (int i = 0; i < nattrs; i++)
                if (strcmp(attrs[i], attr) == 0) return "duplicate attribute";
            if (nattrs < 32) strcpy(attrs[nattrs++], attr);
            if (x.p >= x.end || *x.p != '=') return "attribute without '='";
            x.p++;
            if (x.p >= x.end || (*x.p != '"' && *x.p != '\'')) return "unquoted attribute";
            char quote = *x.p++;
            if (!xml_chars(&x, quote)) return "bad attribute value";
            if (x.p >= x.end) return "unterminated attribute value";
            x.p++;
        }
        if (*x.p == '/') {
            x.p++;
            if (x.p >= x.end || *x.p != '>') return "'/' not followed by '>'";
            x.p++;
            if (x.depth == 0) root_done = true;
            continue;
        }
        x.p++;
        if (x.depth == 64) return "too deep";
        strcpy(x.stack[x.depth++], name);
    }
    if (x.depth) return "unclosed element";
    if (!root_done) return "no root element";
    return NULL;
}

static void test_xml_checker(void **state)
{
    (void)state;
#define WF(s) xml_check(s, strlen(s))
    assert_null(WF("<?xml version=\"1.0\"?>\n<a x=\"1\" y='2'><b/>t &amp; &#38; u</a>\n"));
    assert_non_null(WF("<a><b></a></b>"));
    assert_non_null(WF("<a x=1/>"));
    assert_non_null(WF("<a>x & y</a>"));
    assert_non_null(WF("<a>x < y</a>"));
    assert_non_null(WF("<a x=\"<\"/>"));
    assert_non_null(WF("<a></a><b/>"));
    assert_non_null(WF("<a>"));
    assert_non_null(WF("<a x=\"1\"x=\"2\"/>"));
    assert_non_null(WF("<a x=\"1\" x=\"2\"/>"));
#undef WF
}

static char *slurp(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *size = (size_t)n;
    return buf;
}

static void make_plot(blur_plot *plot, blur_plot_series *series, double *xs, double *ys,
                      double *ref)
{
    for (int i = 0; i < 9; i++) {
        xs[i] = i - 4;
        ys[i] = exp(-xs[i] * xs[i] / 8.0);
        ref[i] = ys[i] * 0.9;
    }
    ys[3] = NAN; /* a gap */
    series[0] = (blur_plot_series){"a <sampled> & \"co\" 'x'\x01\xc3", xs, ys, 9, 0, 1};
    series[1] = (blur_plot_series){"reference", xs, ref, 9, 1, 0};
    series[2] = (blur_plot_series){NULL, xs, ref, 2, 0, 0};
    *plot = (blur_plot){"Title & <more>", "x label", "y >", series, 3, 400, 300};
}

static void test_svg(void **state)
{
    (void)state;
    double xs[9], ys[9], ref[9];
    blur_plot_series series[3];
    blur_plot plot;
    make_plot(&plot, series, xs, ys, ref);
    char path[256];
    snprintf(path, sizeof path, "%s/plot.svg", test_tmpdir());
    assert_int_equal(blur_plot_write_svg(path, &plot), BLUR_OK);
    size_t size;
    char *svg = slurp(path, &size);
    const char *problem = xml_check(svg, size);
    if (problem) fail_msg("SVG not well-formed: %s", problem);
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, "width=\"400\" height=\"300\""));
    assert_non_null(strstr(svg, "a &lt;sampled&gt; &amp; &quot;co&quot; &apos;x&apos;??"));
    assert_non_null(strstr(svg, "stroke-dasharray")); /* the dashed reference */
    assert_non_null(strstr(svg, ">reference</text>"));
    assert_non_null(strstr(svg, "<circle")); /* markers */
    /* The gap splits the first series: two polylines for it. */
    size_t polylines = 0;
    for (const char *q = svg; (q = strstr(q, "stroke=\"#1f77b4\"")); q++) polylines++;
    assert_int_equal(polylines, 3); /* two runs and the legend sample */
    free(svg);

    plot.count = 0;
    assert_int_equal(blur_plot_write_svg(path, &plot), BLUR_ERR_INVALID);
    plot.count = 3;
    plot.width = 50;
    assert_int_equal(blur_plot_write_svg(path, &plot), BLUR_ERR_INVALID);
    plot.width = 400;
    snprintf(path, sizeof path, "%s/missing/plot.svg", test_tmpdir());
    assert_int_equal(blur_plot_write_svg(path, &plot), BLUR_ERR_OPEN);
}

static void test_plot_raster(void **state)
{
    (void)state;
    double xs[9], ys[9], ref[9];
    blur_plot_series series[3];
    blur_plot plot;
    make_plot(&plot, series, xs, ys, ref);
    blur_image img;
    assert_int_equal(blur_plot_render(&plot, &img), BLUR_OK);
    assert_int_equal(img.width, 400);
    assert_int_equal(img.height, 300);
    size_t blue = 0, dark = 0;
    for (size_t y = 0; y < img.height; y++)
        for (size_t x = 0; x < img.width; x++) {
            const unsigned char *p = px(&img, x, y);
            blue += p[0] == 31 && p[1] == 119 && p[2] == 180;
            dark += p[0] < 60 && p[1] < 60 && p[2] < 60;
        }
    assert_true(blue > 100); /* the first series, full colour inside its lines */
    assert_true(dark > 500); /* frame, ticks, text, the dashed reference */
    assert_rgb(px(&img, 2, 2), WHITE);
    blur_image_free(&img);
}

/* ---- the contact sheet of `blur compare` ---- */

static char blur_program[512];

static int run_blur(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>&1", blur_program, args);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static blur_image read_rgb(const char *path)
{
    blur_image img;
    blur_read_options ropt = BLUR_READ_OPTIONS_INIT;
    assert_int_equal(blur_image_read(path, &ropt, &img, NULL), BLUR_OK);
    assert_int_equal(img.channels, 3);
    assert_int_equal(img.depth, BLUR_U8);
    return img;
}

/* The top-left corner of the first w x h rectangle of one colour, scanning rows. */
static bool find_block(const blur_image *img, const unsigned char *rgb, size_t w, size_t h,
                       size_t *bx, size_t *by)
{
    for (size_t y = 0; y + h <= img->height; y++)
        for (size_t x = 0; x + w <= img->width; x++) {
            if (memcmp(px(img, x, y), rgb, 3) != 0) continue;
            bool all = true;
            for (size_t j = 0; j < h && all; j++)
                for (size_t i = 0; i < w && all; i++) all = memcmp(px(img, x + i, y + j), rgb, 3) == 0;
            if (all) {
                *bx = x;
                *by = y;
                return true;
            }
        }
    return false;
}

static void test_sheet(void **state)
{
    (void)state;
    const char *dir = test_tmpdir();
    char args[1024], one[256], two[256], ref[256];
    snprintf(one, sizeof one, "%s/one.png", dir);
    snprintf(two, sizeof two, "%s/two.png", dir);
    snprintf(ref, sizeof ref, "%s/ref.png", dir);
    /* gray.png is 64 x 48: zoomed 4x to 256 x 192. sigma 2: a 17 x 17 mask, 11-pixel cells. */
    snprintf(args, sizeof args,
             "compare " FIXTURES "compare/gray.png %s --sigma 2 --methods integrated", one);
    assert_int_equal(run_blur(args), 0);
    snprintf(args, sizeof args,
             "compare " FIXTURES "compare/gray.png %s --sigma 2 --methods integrated,stretched",
             two);
    assert_int_equal(run_blur(args), 0);
    snprintf(args, sizeof args, FIXTURES "compare/gray.png %s --sigma 2 --method integrated",
             ref);
    assert_int_equal(run_blur(args), 0);
    blur_image a = read_rgb(one), b = read_rgb(two);
    blur_read_options ropt = BLUR_READ_OPTIONS_INIT;
    blur_image blurred;
    assert_int_equal(blur_image_read(ref, &ropt, &blurred, NULL), BLUR_OK);

    /* One more row adds one row height: label 24 + 8, the tallest panel (the difference
     * panel's colour bar: 192 + 2 * 8), a 22-pixel gap. */
    assert_int_equal(b.height - a.height, 24 + 8 + 208 + 22);
    assert_true(a.width >= 16 + 187 + 28 + 256 + 28 + 256 + 16);
    assert_int_equal(a.width, b.width);

    /* (c) integrated against itself: a 256 x 192 block of exactly the neutral colour, and
     * nothing neutral wider or taller. */
    size_t dx, dy;
    assert_true(find_block(&a, NEUTRAL, 256, 192, &dx, &dy));
    assert_int_not_equal(memcmp(px(&a, dx + 256, dy), NEUTRAL, 3), 0);
    assert_int_not_equal(memcmp(px(&a, dx, dy + 192), NEUTRAL, 3), 0);
    assert_int_not_equal(memcmp(px(&a, dx - 1, dy), NEUTRAL, 3), 0);
    /* The stretched row's difference panel is not neutral. */
    size_t sx, sy;
    assert_true(find_block(&b, NEUTRAL, 256, 192, &sx, &sy));
    assert_int_equal(sy, dy); /* same rows above; columns may differ (the mask labels) */
    size_t coloured = 0;
    for (size_t y = sy + 262; y < sy + 262 + 192; y++)
        for (size_t x = sx; x < sx + 256; x++) coloured += memcmp(px(&b, x, y), NEUTRAL, 3) != 0;
    assert_true(coloured > 256 * 192 / 4);

    /* (b) the blurred panel, one column left: `blur --method integrated`, zoomed 4x (the sheet
     * rounds the float blur once, as blur does). */
    size_t bx = dx - 28 - 256;
    for (size_t y = 0; y < 48; y++)
        for (size_t x = 0; x < 64; x++) {
            unsigned char want = ((unsigned char *)blurred.data)[y * blurred.stride + x];
            const unsigned char *p = px(&a, bx + 4 * x + 1, dy + 4 * y + 2);
            assert_int_equal(p[0], want);
            assert_int_equal(p[1], want);
        }

    /* (a) the mask heatmap at the left margin: 17 x 17 cells of 11 pixels, the centre cell
     * the peak (yellow), a corner cell the colour of its value. */
    double mask[17 * 17];
    blur_kernel_spec spec = BLUR_KERNEL_SPEC_INIT;
    spec.method = "integrated";
    spec.rows = spec.cols = 17;
    spec.sigma_x = spec.sigma_y = 2.0;
    assert_int_equal(blur_kernel_2d(&spec, mask, 17 * 17), BLUR_OK);
    assert_rgb(px(&a, 16 + 8 * 11 + 5, dy + 8 * 11 + 5), (const unsigned char[3]){253, 231, 37});
    unsigned char want[3];
    blur_colormap_rgb(BLUR_COLORMAP_VIRIDIS, mask[3 * 17 + 5] / mask[8 * 17 + 8], want);
    assert_rgb(px(&a, 16 + 5 * 11 + 5, dy + 3 * 11 + 5), want);
    assert_rgb(px(&a, 16 + 17 * 11, dy + 5), WHITE); /* the gap before the colour bar */

    /* Labels: dark text above the panels and in the header. */
    size_t dark = 0;
    for (size_t y = 0; y < dy; y++)
        for (size_t x = 0; x < a.width; x++) dark += px(&a, x, y)[0] < 80;
    assert_true(dark > 500);

    blur_image_free(&a);
    blur_image_free(&b);
    blur_image_free(&blurred);
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[512];
    snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(blur_program, sizeof blur_program, "%s/../blur", dirname(self));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colormaps),   cmocka_unit_test(test_heatmap_cells),
        cmocka_unit_test(test_heatmap_image_colorbar), cmocka_unit_test(test_text),
        cmocka_unit_test(test_render_image), cmocka_unit_test(test_xml_checker),
        cmocka_unit_test(test_svg),          cmocka_unit_test(test_plot_raster),
        cmocka_unit_test(test_sheet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
