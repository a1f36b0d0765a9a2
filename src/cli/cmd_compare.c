/* cmd_compare.c — blur compare IN OUT.png --sigma S: one PNG contact sheet with a row per mask
 * method: the mask as a heatmap, the image blurred with it, and its difference from the
 * `integrated` method, amplified, on a diverging colour map. The blurs run in float so that
 * differences far below one 8-bit level still show. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The method every row is compared against. */
#define REFERENCE "integrated"

/* Layout, in pixels: readable at 100 % zoom. */
enum {
    MARGIN = 16,
    COLUMN_GAP = 28,
    ROW_GAP = 22,
    PANEL_MAX = 640,  /* larger images are shrunk by a whole factor to fit */
    PANEL_MIN = 256,  /* smaller ones are zoomed by a whole factor to reach it */
    PANEL_THIN = 64,  /* the least a strip's short side is shown at */
    MASK_SIDE = 192,  /* the mask heatmap's longest side */
    MASK_MAX_CELLS = 201, /* larger masks show their centre */
};
static const double LABEL_SCALE = 2.0, TITLE_SCALE = 1.5, TICK_SCALE = 1.25;

static void usage(FILE *to)
{
    fputs("Usage: blur compare IN OUT.png --sigma S [options]\n"
          "\n"
          "Writes a PNG contact sheet comparing Gaussian mask methods on an image: one row\n"
          "per method with (a) its mask as a heatmap (one colour scale for all rows), (b) IN\n"
          "blurred with it, (c) its difference from the integrated method, amplified, blue\n"
          "negative, red positive, light gray exactly zero; and its effective sigma and\n"
          "largest difference. The blurs are computed in float, reflect borders.\n"
          "\n"
          "Options:\n"
          "  -s, --sigma S        standard deviation in pixels (> 0; required)\n"
          "  -n, --size N         mask size, odd, 3 or more (default 2*int(4*sigma + 0.5) + 1,\n"
          "                       scipy's rule)\n"
          "  -m, --methods LIST   all (the default) or names separated by commas\n"
          "      --crop X,Y,W,H   show only this part of the result (blurred as part of the\n"
          "                       whole image)\n"
          "  -a, --amplify K      multiply differences by K in every row (default: per row,\n"
          "                       the 1, 2 or 5 times a power of ten that makes the row's\n"
          "                       largest difference nearly full colour, at most 10000)\n"
          "  -h, --help           this help\n"
          "\n"
          "Images over 640 pixels are shown shrunk by a whole factor, and under 256 zoomed,\n"
          "as each column title says; a strip too thin for that is zoomed and its centre\n"
          "part shown, as the header says.\n"
          "\n"
          "Exit status: 0 success, 1 a file could not be read or written, 2 bad usage.\n",
          to);
}

/* ---- --methods, shared with blur kernel --plot ---- */

bool cli_parse_methods(const char *option, const char *arg, size_t *indices, size_t *count)
{
    size_t n = blur_kernel_method_count();
    *count = 0;
    if (strcmp(arg, "all") == 0) {
        for (size_t i = 0; i < n; i++) indices[i] = i;
        *count = n;
        return true;
    }
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        size_t i = 0;
        while (i < n && !(strlen(blur_kernel_method_at(i)->name) == len &&
                          strncmp(blur_kernel_method_at(i)->name, p, len) == 0))
            i++;
        if (i == n) {
            cli_error("%s: unknown method '%.*s' (expected all or names from 'blur kernel "
                      "--help', separated by commas)",
                      option, (int)len, p);
            return false;
        }
        bool seen = false;
        for (size_t k = 0; k < *count; k++) seen |= indices[k] == i;
        if (!seen) indices[(*count)++] = i;
        if (!p[len]) break;
        p += len + 1;
    }
    return true;
}

/* ---- arguments ---- */

typedef struct compare_args {
    double sigma;
    long size;   /* 0 = from sigma */
    const char *methods;
    bool crop_given;
    size_t crop[4]; /* x, y, w, h */
    double amplify; /* 0 = automatic */
    const char *in, *out;
} compare_args;

static const struct option long_options[] = {
    {"sigma", required_argument, NULL, 's'},   {"size", required_argument, NULL, 'n'},
    {"methods", required_argument, NULL, 'm'}, {"crop", required_argument, NULL, 'c'},
    {"amplify", required_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool parse_crop(const char *arg, size_t crop[4])
{
    const char *p = arg;
    for (int k = 0; k < 4; k++) {
        char *end;
        if (*p < '0' || *p > '9') goto bad;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v > (unsigned long long)1 << 40 || (k >= 2 && v == 0)) goto bad;
        crop[k] = (size_t)v;
        if (*end != (k < 3 ? ',' : '\0')) goto bad;
        p = end + 1;
    }
    return true;
bad:
    cli_error("--crop: expected X,Y,W,H, whole numbers with W and H at least 1, got '%s'", arg);
    return false;
}

static int parse(int argc, char **argv, compare_args *args)
{
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":s:n:m:a:h", long_options, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!cli_parse_double("--sigma", optarg, 1e-3, 1000.0, &args->sigma))
                return EXIT_USAGE;
            break;
        case 'n':
            if (!cli_parse_long("--size", optarg, 1, BLUR_KERNEL_MAX_SIZE, &args->size))
                return EXIT_USAGE;
            if (args->size % 2 == 0 || args->size < 3) {
                cli_error("--size: the filter needs an odd size of at least 3 (a centre cell "
                          "and a radius), got %ld",
                          args->size);
                return EXIT_USAGE;
            }
            break;
        case 'm': args->methods = optarg; break;
        case 'c':
            if (!parse_crop(optarg, args->crop)) return EXIT_USAGE;
            args->crop_given = true;
            break;
        case 'a':
            if (!cli_parse_double("--amplify", optarg, 1e-3, 1e9, &args->amplify))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return cli_stdout_status();
        case ':': cli_error("%s: needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("unknown option '%s' (see blur compare --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cli_error("expected IN and OUT.png (see blur compare --help)");
        return EXIT_USAGE;
    }
    args->in = argv[optind];
    args->out = argv[optind + 1];
    if (!(args->sigma > 0)) {
        cli_error("--sigma is required (see blur compare --help)");
        return EXIT_USAGE;
    }
    blur_format format;
    int checked = cli_check_output(args->out);
    if (checked != EXIT_OK) return checked;
    if (blur_format_from_path(args->out, &format) == BLUR_OK && format != BLUR_FORMAT_PNG) {
        cli_error("%s: the contact sheet is a PNG; give a name ending in .png", args->out);
        return EXIT_USAGE;
    }
    return -1;
}

/* ---- the work ---- */

/* One row of the sheet. */
typedef struct row {
    const blur_kernel_method *method;
    blur_matrix mask;        /* shown cells (the centre of a large mask) */
    blur_kernel_report report;
    blur_image blurred;      /* float, the shown region */
    blur_matrix diff;        /* signed difference per shown pixel, after shrinking */
    double max_diff;         /* largest |difference| of any sample, 0..1 */
    double amplify;          /* the factor its difference panel is drawn with */
} row;

/* Copies the part [x, x+w) × [y, y+h) of src into a new float image. */
static blur_error copy_float(const blur_image *src, size_t x, size_t y, size_t w, size_t h,
                             blur_image *dst)
{
    blur_error err = blur_image_alloc(dst, w, h, src->channels, BLUR_F32);
    if (err) return err;
    size_t ch = (size_t)src->channels;
    for (size_t j = 0; j < h; j++) {
        const unsigned char *s = (const unsigned char *)src->data + (y + j) * src->stride;
        float *d = (float *)((unsigned char *)dst->data + j * dst->stride);
        for (size_t i = 0; i < w * ch; i++) {
            size_t k = x * ch + i;
            switch (src->depth) {
            case BLUR_U8: d[i] = (float)(s[k] / 255.0); break;
            case BLUR_U16: {
                uint16_t v;
                memcpy(&v, s + 2 * k, 2);
                d[i] = (float)(v / 65535.0);
                break;
            }
            case BLUR_F32: memcpy(&d[i], s + 4 * k, 4); break;
            }
        }
    }
    return BLUR_OK;
}

static const float *float_row(const blur_image *img, size_t y)
{
    return (const float *)((const unsigned char *)img->data + y * img->stride);
}

/* The difference of two float images of one shape, reduced to one signed value per shown
 * pixel: per pixel the sample (any channel, alpha too) that differs most, per shrink × shrink
 * block the pixel that differs most, so that no difference is averaged away. */
static blur_error difference(const blur_image *a, const blur_image *b, size_t shrink,
                             blur_matrix *out, double *max_abs)
{
    out->rows = (a->height + shrink - 1) / shrink;
    out->cols = (a->width + shrink - 1) / shrink;
    out->data = calloc(out->rows * out->cols, sizeof *out->data);
    if (!out->data) return BLUR_ERR_NOMEM;
    size_t ch = (size_t)a->channels;
    *max_abs = 0.0;
    for (size_t y = 0; y < a->height; y++) {
        const float *ra = float_row(a, y), *rb = float_row(b, y);
        for (size_t x = 0; x < a->width; x++) {
            double *cell = &out->data[(y / shrink) * out->cols + x / shrink];
            for (size_t c = 0; c < ch; c++) {
                double d = (double)ra[x * ch + c] - (double)rb[x * ch + c];
                if (fabs(d) > fabs(*cell)) *cell = d;
                if (fabs(d) > *max_abs) *max_abs = fabs(d);
            }
        }
    }
    return BLUR_OK;
}

/* The mask of a method, at most MASK_MAX_CELLS on a side (its centre), and its measures. The
 * 2D mask is the outer product of the two 1D masks, so only the shown cells are computed. */
static blur_error make_mask(const char *method, double sigma, size_t n, row *r)
{
    blur_kernel_spec spec = BLUR_KERNEL_SPEC_INIT;
    spec.method = method;
    spec.rows = spec.cols = n;
    spec.sigma_x = spec.sigma_y = sigma;
    blur_error err = blur_kernel_measure(&spec, &r->report);
    if (err) return err;
    double *col = malloc(n * sizeof *col), *line = malloc(n * sizeof *line);
    size_t shown = n < MASK_MAX_CELLS ? n : MASK_MAX_CELLS, off = (n - shown) / 2;
    r->mask.data = malloc(shown * shown * sizeof *r->mask.data);
    if (!col || !line || !r->mask.data) err = BLUR_ERR_NOMEM;
    if (!err) err = blur_kernel_1d(&spec, 0, col, n);
    if (!err) err = blur_kernel_1d(&spec, 1, line, n);
    if (!err) {
        r->mask.rows = r->mask.cols = shown;
        for (size_t j = 0; j < shown; j++)
            for (size_t i = 0; i < shown; i++)
                r->mask.data[j * shown + i] = col[off + j] * line[off + i];
    }
    free(col);
    free(line);
    return err;
}

/* Blurs the region src with a method and keeps the shown part [cx, cx+cw) × [cy, cy+ch). */
static blur_error blur_with(const blur_image *src, const char *method, double sigma, long radius,
                            const size_t crop[4], blur_image *out)
{
    blur_options opt = BLUR_OPTIONS_INIT;
    opt.sigma_x = opt.sigma_y = sigma;
    opt.radius_x = opt.radius_y = radius;
    opt.method = method;
    opt.engine = BLUR_ENGINE_EXACT;
    blur_image full = {0, 0, 0, BLUR_F32, 0, NULL};
    blur_error err = blur_image_alloc(&full, src->width, src->height, src->channels, BLUR_F32);
    if (!err) err = blur_gaussian(src, &full, &opt);
    if (!err) err = copy_float(&full, crop[0], crop[1], crop[2], crop[3], out);
    blur_image_free(&full);
    return err;
}

/* How the shown region is scaled: shrunk by a whole factor to fit PANEL_MAX, zoomed by one to
 * reach PANEL_MIN. A strip so long that shrinking it would leave its short side under
 * PANEL_THIN is shown instead at a zoom that makes the short side readable, cut to the centre
 * part of its long side that fits; returns true when it cut. */
static bool panel_scale(size_t crop[4], size_t *zoom, size_t *shrink)
{
    size_t longest = crop[2] > crop[3] ? crop[2] : crop[3];
    size_t shortest = crop[2] < crop[3] ? crop[2] : crop[3];
    *zoom = longest < PANEL_MIN ? PANEL_MIN / longest : 1;
    *shrink = longest > PANEL_MAX ? (longest + PANEL_MAX - 1) / PANEL_MAX : 1;
    if (shortest * *zoom / *shrink >= PANEL_THIN) return false;
    *shrink = 1;
    *zoom = (PANEL_THIN + shortest - 1) / shortest;
    size_t keep = PANEL_MAX / *zoom;
    if (longest <= keep) return false;
    int axis = crop[2] >= crop[3] ? 0 : 1; /* x or y */
    crop[axis] += (crop[axis + 2] - keep) / 2;
    crop[axis + 2] = keep;
    return true;
}

/* 1, 2 or 5 times a power of ten, at most 1/largest: the largest difference nearly saturates.
 * At most MAX_AUTO_AMPLIFY, where full colour is 0.0255 of an 8-bit level: beyond it lies only
 * the float rounding of the blurs (about 1e-5 of a level), which must not look like a finding. */
#define MAX_AUTO_AMPLIFY 1e4
static double auto_amplify(double largest)
{
    if (!(largest > 0)) return 1.0;
    double target = 1.0 / largest;
    if (target > MAX_AUTO_AMPLIFY) return MAX_AUTO_AMPLIFY;
    double p = pow(10.0, floor(log10(target)));
    double k = target >= 5 * p ? 5 * p : target >= 2 * p ? 2 * p : p;
    return k < 1.0 ? 1.0 : k;
}

static const unsigned char ink[3] = {0, 0, 0}, flawed_ink[3] = {170, 20, 20},
                           grey_ink[3] = {90, 90, 90}, paper[3] = {255, 255, 255};

static int fail(const char *what, blur_error err)
{
    if (err == BLUR_ERR_NOMEM) {
        cli_error("out of memory (%s)", what);
        return EXIT_FAIL;
    }
    cli_error("%s: %s", what, blur_strerror(err));
    return err == BLUR_ERR_TOO_LARGE || err == BLUR_ERR_INVALID ? EXIT_USAGE : EXIT_FAIL;
}

/* A blur that failed: over the filter's memory is the sigma's doing (the exact engine keeps
 * a ring of mask-height rows), whichever method's row it was. */
static int blur_failed(double sigma, const char *what, blur_error err)
{
    if (err != BLUR_ERR_TOO_LARGE) return fail(what, err);
    cli_error("--sigma %g: this image's blur would need over the filter's %d MiB of memory",
              sigma, (int)(BLUR_MAX_FILTER_MEMORY >> 20));
    return EXIT_USAGE;
}

int cmd_compare(int argc, char **argv)
{
    compare_args args = {0.0, 0, "all", false, {0, 0, 0, 0}, 0.0, NULL, NULL};
    int status = parse(argc, argv, &args);
    if (status >= 0) return status;

    size_t nmethods_all = blur_kernel_method_count();
    size_t *chosen = calloc(nmethods_all, sizeof *chosen);
    row *rows = calloc(nmethods_all, sizeof *rows);
    blur_image img = {0, 0, 0, BLUR_U8, 0, NULL}, region = img, reference = img, sheet = img;
    size_t nrows = 0;
    status = EXIT_FAIL;
    if (!chosen || !rows) {
        cli_error("out of memory");
        goto done;
    }
    if (!cli_parse_methods("--methods", args.methods, chosen, &nrows)) {
        status = EXIT_USAGE;
        goto done;
    }

    long radius = args.size ? (args.size - 1) / 2 : blur_radius_for_sigma(args.sigma, 4.0);
    size_t n = 2 * (size_t)radius + 1;

    blur_read_options ropt = BLUR_READ_OPTIONS_INIT;
    errno = 0;
    blur_error err = blur_image_read(args.in, &ropt, &img, NULL);
    if (err) {
        cli_file_error(args.in, err);
        goto done;
    }
    size_t crop[4] = {0, 0, img.width, img.height};
    if (args.crop_given) {
        memcpy(crop, args.crop, sizeof crop);
        if (crop[0] >= img.width || crop[1] >= img.height || crop[2] > img.width - crop[0] ||
            crop[3] > img.height - crop[1]) {
            cli_error("--crop: %zu,%zu,%zu,%zu lies outside the %zux%zu image", crop[0], crop[1],
                      crop[2], crop[3], img.width, img.height);
            status = EXIT_USAGE;
            goto done;
        }
    }
    size_t zoom, shrink;
    bool auto_cropped = panel_scale(crop, &zoom, &shrink);
    /* Blur only the crop and the radius around it: the rest cannot reach the shown pixels,
     * and where the margin is cut short it is by the image's own edge. */
    size_t r = (size_t)radius;
    size_t rx0 = crop[0] > r ? crop[0] - r : 0, ry0 = crop[1] > r ? crop[1] - r : 0;
    size_t rx1 = img.width - (crop[0] + crop[2]) > r ? crop[0] + crop[2] + r : img.width;
    size_t ry1 = img.height - (crop[1] + crop[3]) > r ? crop[1] + crop[3] + r : img.height;
    err = copy_float(&img, rx0, ry0, rx1 - rx0, ry1 - ry0, &region);
    if (err) {
        status = fail("reading the image", err);
        goto done;
    }
    size_t shown[4] = {crop[0] - rx0, crop[1] - ry0, crop[2], crop[3]};

    err = blur_with(&region, REFERENCE, args.sigma, radius, shown, &reference);
    if (err) {
        status = blur_failed(args.sigma, "--methods " REFERENCE, err);
        goto done;
    }
    double peak = 0.0;
    for (size_t i = 0; i < nrows; i++) {
        row *rw = &rows[i];
        rw->method = blur_kernel_method_at(chosen[i]);
        char what[80];
        snprintf(what, sizeof what, "--methods %s", rw->method->name);
        err = make_mask(rw->method->name, args.sigma, n, rw);
        if (!err) err = blur_with(&region, rw->method->name, args.sigma, radius, shown,
                                  &rw->blurred);
        if (!err) err = difference(&rw->blurred, &reference, shrink, &rw->diff, &rw->max_diff);
        if (err) {
            status = blur_failed(args.sigma, what, err);
            goto done;
        }
        if (rw->report.peak > peak) peak = rw->report.peak;
    }
    /* Each row gets its own factor unless one is given: one flawed method would otherwise
     * wash out every other row. Labels and colour bars state the factor. */
    for (size_t i = 0; i < nrows; i++)
        rows[i].amplify = args.amplify > 0 ? args.amplify : auto_amplify(rows[i].max_diff);

    /* ---- layout ---- */
    blur_heatmap_options mask_opt = BLUR_HEATMAP_OPTIONS_INIT;
    mask_opt.lo = 0.0;
    mask_opt.hi = peak > 0 ? peak : 1.0;
    mask_opt.max_side = MASK_SIDE;
    mask_opt.text_scale = TICK_SCALE;
    blur_heatmap_options diff_opt = BLUR_HEATMAP_OPTIONS_INIT;
    diff_opt.colormap = BLUR_COLORMAP_DIVERGING;
    diff_opt.cell = zoom;
    diff_opt.label_scale = 255.0; /* ticks in 8-bit levels */
    diff_opt.text_scale = TICK_SCALE;
    size_t mask_w = 0, mask_h = 0, diff_w = 0, diff_h = 0;
    size_t img_w = (crop[2] + shrink - 1) / shrink * zoom, img_h = (crop[3] + shrink - 1) / shrink * zoom;
    for (size_t i = 0; i < nrows; i++) {
        size_t w, h;
        if ((err = blur_heatmap_layout(&rows[i].mask, &mask_opt, &w, &h, NULL))) break;
        if (w > mask_w) mask_w = w;
        if (h > mask_h) mask_h = h;
        diff_opt.lo = -1.0 / rows[i].amplify;
        diff_opt.hi = 1.0 / rows[i].amplify;
        if ((err = blur_heatmap_layout(&rows[i].diff, &diff_opt, &w, &h, NULL))) break;
        if (w > diff_w) diff_w = w;
        if (h > diff_h) diff_h = h;
    }
    if (err) {
        status = fail("layout", err);
        goto done;
    }

    const char *base = strrchr(args.in, '/') ? strrchr(args.in, '/') + 1 : args.in;
    char header[2][300], titles[3][120], crop_note[80] = "";
    if (args.crop_given || auto_cropped)
        snprintf(crop_note, sizeof crop_note, ", %s %zu,%zu %zux%zu",
                 auto_cropped ? "centre part shown:" : "crop", crop[0], crop[1], crop[2],
                 crop[3]);
    snprintf(header[0], sizeof header[0], "blur compare: %.120s, %zux%zu, %d channel%s%s",
             base, img.width, img.height, img.channels, img.channels > 1 ? "s" : "", crop_note);
    char factor[64];
    if (args.amplify > 0) snprintf(factor, sizeof factor, "x%g", args.amplify);
    else snprintf(factor, sizeof factor, "xK (K per row)");
    snprintf(header[1], sizeof header[1],
             "sigma %g, mask %zux%zu%s; difference = (method - " REFERENCE
             ") %s, in levels of 255",
             args.sigma, n, n, n > MASK_MAX_CELLS ? " (centre shown)" : "", factor);
    snprintf(titles[0], sizeof titles[0], "mask (one scale)");
    if (zoom > 1) snprintf(titles[1], sizeof titles[1], "blurred, zoom %zux", zoom);
    else if (shrink > 1) snprintf(titles[1], sizeof titles[1], "blurred, shrunk 1/%zu", shrink);
    else snprintf(titles[1], sizeof titles[1], "blurred, 1:1");
    snprintf(titles[2], sizeof titles[2], "method - " REFERENCE ", %s%s", factor,
             shrink > 1 ? " (largest per block)" : "");

    size_t label_h = blur_text_height("X", LABEL_SCALE), title_h = blur_text_height("X", TITLE_SCALE);
    size_t col_w[3] = {mask_w, img_w, diff_w};
    for (int k = 0; k < 3; k++) {
        size_t tw = blur_text_width(titles[k], TITLE_SCALE);
        if (tw > col_w[k]) col_w[k] = tw;
    }
    size_t col_x[3] = {MARGIN, MARGIN + col_w[0] + COLUMN_GAP,
                       MARGIN + col_w[0] + col_w[1] + 2 * COLUMN_GAP};
    size_t width = col_x[2] + col_w[2] + MARGIN;
    char (*labels)[200] = calloc(nrows, sizeof *labels);
    if (!labels) {
        cli_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < nrows; i++) {
        const row *rw = &rows[i];
        bool is_ref = strcmp(rw->method->name, REFERENCE) == 0;
        snprintf(labels[i], sizeof labels[i],
                 "%s%s   effective sigma %.4g x %.4g   max diff %.3g of 255, shown x%g "
                 "(mask max diff %.2e)",
                 rw->method->name, rw->method->flawed ? " (INCORRECT)" : is_ref ? " (reference)" : "",
                 rw->report.sigma_x, rw->report.sigma_y, rw->max_diff * 255.0, rw->amplify,
                 rw->report.max_diff_integrated);
        size_t tw = blur_text_width(labels[i], LABEL_SCALE) + 2 * MARGIN;
        if (tw > width) width = tw;
    }
    for (int k = 0; k < 2; k++) {
        size_t tw = blur_text_width(header[k], LABEL_SCALE) + 2 * MARGIN;
        if (tw > width) width = tw;
    }
    size_t panel_h = mask_h > img_h ? mask_h : img_h;
    if (diff_h > panel_h) panel_h = diff_h;
    size_t row_h = label_h + 8 + panel_h + ROW_GAP;
    size_t top = MARGIN + 2 * label_h + 10 + title_h + 10;
    size_t height = top + nrows * row_h + MARGIN;

    err = blur_image_alloc(&sheet, width, height, 3, BLUR_U8);
    if (err) {
        free(labels);
        status = fail("the contact sheet", err);
        goto done;
    }
    blur_render_fill(&sheet, 0, 0, (long)width, (long)height, paper);
    for (int k = 0; k < 2; k++)
        blur_render_text(&sheet, MARGIN, (long)(MARGIN + (size_t)k * label_h), header[k],
                         LABEL_SCALE, ink);
    for (int k = 0; k < 3; k++)
        blur_render_text(&sheet, (long)col_x[k], (long)(MARGIN + 2 * label_h + 10), titles[k],
                         TITLE_SCALE, grey_ink);
    for (size_t i = 0; i < nrows; i++) {
        const row *rw = &rows[i];
        long y = (long)(top + i * row_h);
        blur_render_fill(&sheet, MARGIN, y - ROW_GAP / 2, (long)(width - 2 * MARGIN), 1,
                         (const unsigned char[3]){210, 210, 210});
        blur_render_text(&sheet, MARGIN, y, labels[i], LABEL_SCALE,
                         rw->method->flawed ? flawed_ink : ink);
        long py = y + (long)label_h + 8;
        if (!err) err = blur_render_heatmap(&sheet, (long)col_x[0], py, &rw->mask, &mask_opt);
        if (!err) err = blur_render_image(&sheet, (long)col_x[1], py, &rw->blurred, zoom, shrink);
        diff_opt.lo = -1.0 / rw->amplify;
        diff_opt.hi = 1.0 / rw->amplify;
        if (!err) err = blur_render_heatmap(&sheet, (long)col_x[2], py, &rw->diff, &diff_opt);
    }
    free(labels);
    if (err) {
        status = fail("drawing the contact sheet", err);
        goto done;
    }
    errno = 0;
    err = blur_image_write(args.out, &sheet, NULL);
    if (err) {
        cli_file_error(args.out, err);
        goto done;
    }
    status = EXIT_OK;
done:
    for (size_t i = 0; rows && i < nrows; i++) {
        blur_matrix_free(&rows[i].mask);
        blur_matrix_free(&rows[i].diff);
        blur_image_free(&rows[i].blurred);
    }
    free(rows);
    free(chosen);
    blur_image_free(&img);
    blur_image_free(&region);
    blur_image_free(&reference);
    blur_image_free(&sheet);
    return status;
}
