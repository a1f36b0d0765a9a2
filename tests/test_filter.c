/* test_filter.c — the engine held to scipy.ndimage (fixtures made by
 * tests/fixtures/make_filter_fixtures.py, listed in tests/fixtures/filter/cases.txt) and to a
 * plain reference written here on random sizes: every border mode, derivative order, per-axis
 * sigma, big radius, rotated and caller's 2D masks, alpha, linear light, u8/u16/f32 and thread
 * counts. */
#include "testutil.h"

#include <math.h>

#define FDIR FIXTURES "filter/"

typedef struct fixture_case {
    char name[64], input[32], mode[16], kernel[32], alpha[4];
    double sx, sy, cval, truncate, angle;
    int ox, oy, correlate, linear;
    long radius;
} fixture_case;

static bool next_case(FILE *fp, fixture_case *c)
{
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        int n = sscanf(line, "%63s %31s %lf %lf %d %d %15s %lf %lf %ld %lf %31s %d %3s %d",
                       c->name, c->input, &c->sx, &c->sy, &c->ox, &c->oy, c->mode, &c->cval,
                       &c->truncate, &c->radius, &c->angle, c->kernel, &c->correlate,
                       c->alpha, &c->linear);
        if (n != 15) fail_msg("bad line in cases.txt: %s", line);
        return true;
    }
    return false;
}

static void read_image(const char *name, blur_image *img)
{
    char path[256];
    blur_read_options ro = BLUR_READ_OPTIONS_INIT;
    snprintf(path, sizeof path, FDIR "%s.png", name);
    assert_int_equal(blur_image_read(path, &ro, img, NULL), BLUR_OK);
}

static void read_matrix(const char *name, blur_matrix *m)
{
    char path[256];
    snprintf(path, sizeof path, FDIR "%s.npy", name);
    assert_int_equal(blur_matrix_read(path, m, NULL), BLUR_OK);
}

/* The image converted to another depth with the sample values kept (not rescaled): float
 * images hold 0..255 or 0..65535 exactly, so scipy's float64 result applies unchanged. */
static void to_depth_same_values(const blur_image *src, blur_depth depth, blur_image *dst)
{
    assert_int_equal(blur_image_alloc(dst, src->width, src->height, src->channels, depth),
                     BLUR_OK);
    size_t n = src->width * (size_t)src->channels;
    double *row = malloc(n * sizeof *row);
    assert_non_null(row);
    for (size_t y = 0; y < src->height; y++) {
        blur__load_samples((const char *)src->data + y * src->stride, src->depth, n, row);
        blur__store_samples(row, n, depth, (char *)dst->data + y * dst->stride);
    }
    free(row);
}

static double sample(const blur_image *img, size_t i)
{
    size_t per_row = img->width * (size_t)img->channels;
    const char *row = (const char *)img->data + (i / per_row) * img->stride;
    double v;
    blur__load_samples(row + (i % per_row) * blur_depth_size(img->depth), img->depth, 1, &v);
    return v;
}

static void options_for(const fixture_case *c, blur_options *o, blur_matrix *kernel)
{
    *o = (blur_options)BLUR_OPTIONS_INIT;
    o->sigma_x = c->sx;
    o->sigma_y = c->sy;
    o->order_x = c->ox;
    o->order_y = c->oy;
    o->truncate = c->truncate;
    o->radius_x = o->radius_y = c->radius;
    assert_int_equal(blur_border_from_name(c->mode, &o->border), BLUR_OK);
    o->cval = c->cval;
    o->angle = c->angle;
    o->alpha = c->alpha[0] == 'p' ? BLUR_ALPHA_PREMULTIPLY : BLUR_ALPHA_SEPARATE;
    o->linear = c->linear;
    o->threads = 1;
    if (strcmp(c->kernel, "-") != 0 && c->angle == 0.0) {
        read_matrix(c->kernel, kernel);
        o->kernel = kernel;
        o->correlate = c->correlate;
    }
}

/* Float: each value within 1e-6 relative of scipy's (an absolute floor of 1e-12 of the input's
 * full scale covers values that are zero up to the summation order). */
static void check_float(const fixture_case *c, const blur_image *out, const blur_matrix *ref,
                        double unit, const char *what)
{
    size_t n = ref->rows * ref->cols;
    double peak = c->input[strlen(c->input) - 1] == '6' ? 65535.0 : 255.0;
    for (size_t i = 0; i < n; i++) peak = fmax(peak, fabs(ref->data[i]));
    for (size_t i = 0; i < n; i++) {
        double got = sample(out, i) * unit, want = ref->data[i];
        if (fabs(got - want) > 1e-6 * fabs(want) + 1e-12 * peak + 1e-6 * (unit - 1.0))
            fail_msg("%s (%s): sample %zu: got %.10g, scipy %.10g", c->name, what, i, got, want);
    }
}

/* Integers: within 1 of round(exact), where a signed exact value is stored as mid + value. */
static void check_int(const fixture_case *c, const blur_image *out, const blur_matrix *ref,
                      bool is_signed)
{
    double max = out->depth == BLUR_U8 ? 255.0 : 65535.0;
    for (size_t i = 0; i < ref->rows * ref->cols; i++) {
        double want = ref->data[i] + (is_signed ? (max + 1.0) / 2.0 : 0.0);
        want = fmin(fmax(floor(want + 0.5), 0.0), max);
        double got = sample(out, i);
        if (fabs(got - want) > 1.0)
            fail_msg("%s (integer): sample %zu: got %g, round(exact) %g", c->name, i, got, want);
    }
}

static void run(const blur_options *o, const blur_image *src, blur_image *dst)
{
    assert_int_equal(blur_image_alloc(dst, src->width, src->height, src->channels, src->depth),
                     BLUR_OK);
    blur_error err = blur_gaussian(src, dst, o);
    if (err) fail_msg("blur_gaussian: %s", blur_strerror(err));
}

static bool same_pixels(const blur_image *a, const blur_image *b)
{
    size_t row = a->width * (size_t)a->channels * blur_depth_size(a->depth);
    for (size_t y = 0; y < a->height; y++)
        if (memcmp((const char *)a->data + y * a->stride, (const char *)b->data + y * b->stride,
                   row))
            return false;
    return true;
}

static void check_case(const fixture_case *c)
{
    blur_image src, f, out;
    blur_matrix ref, kernel = {0, 0, NULL};
    blur_options o;
    read_image(c->input, &src);
    read_matrix(c->name, &ref);
    assert_int_equal(ref.rows, src.height);
    assert_int_equal(ref.cols, src.width * (size_t)src.channels);
    options_for(c, &o, &kernel);

    blur_plan *plan;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_OK);
    bool is_signed = blur_plan_is_signed(plan);
    if (c->angle != 0.0) {
        /* The rotated mask is the documented one, and needs the 2D engine. */
        blur_matrix mine, theirs;
        assert_int_equal(blur_plan_mask(plan, &mine), BLUR_OK);
        read_matrix(c->kernel, &theirs);
        assert_int_equal(mine.rows, theirs.rows);
        assert_int_equal(mine.cols, theirs.cols);
        for (size_t i = 0; i < mine.rows * mine.cols; i++)
            assert_true(fabs(mine.data[i] - theirs.data[i]) <= 1e-14);
        assert_true(blur_plan_is_2d(plan));
        blur_matrix_free(&mine);
        blur_matrix_free(&theirs);
    }
    blur_plan_free(plan);

    /* Float, in sample units: every engine. Premultiplied alpha needs the 0..1 scale (alpha's
     * full scale is 1 in float images) and float images are linear already, so those cases
     * are checked at integer depths only, and in 0..1 floats for alpha. */
    static const blur_engine engines[] = {BLUR_ENGINE_AUTO, BLUR_ENGINE_EXACT, BLUR_ENGINE_2D};
    if (!c->linear) {
        bool unit_scale = o.alpha == BLUR_ALPHA_PREMULTIPLY && (src.channels % 2 == 0);
        double max = src.depth == BLUR_U8 ? 255.0 : 65535.0;
        if (unit_scale) assert_int_equal(blur__image_convert(&src, BLUR_F32, &f), BLUR_OK);
        else to_depth_same_values(&src, BLUR_F32, &f);
        blur_options fo = o;
        if (unit_scale) fo.cval /= max;
        for (size_t e = 0; e < 3; e++) {
            fo.engine = engines[e];
            fo.threads = (unsigned)(1 + 2 * e);
            run(&fo, &f, &out);
            check_float(c, &out, &ref, unit_scale ? max : 1.0,
                        e == 0 ? "auto" : e == 1 ? "exact" : "2d");
            blur_image_free(&out);
        }
        blur_image_free(&f);
    }

    /* Integers, at the input's depth: within 1, and the same bytes for 1, 2 and 7 threads. */
    blur_image first;
    o.threads = 1;
    run(&o, &src, &first);
    check_int(c, &first, &ref, is_signed);
    for (unsigned t = 2; t <= 7; t += 5) {
        o.threads = t;
        run(&o, &src, &out);
        if (!same_pixels(&first, &out)) fail_msg("%s: %u threads differ from 1", c->name, t);
        blur_image_free(&out);
    }
    blur_image_free(&first);

    if (c->linear && src.depth == BLUR_U8) {
        /* 16-bit keeps the intermediate precision visible: within 1/257 of an 8-bit level. */
        blur_image s16, o16;
        assert_int_equal(blur__image_convert(&src, BLUR_U16, &s16), BLUR_OK);
        o.threads = 2;
        run(&o, &s16, &o16);
        for (size_t i = 0; i < ref.rows * ref.cols; i++)
            assert_true(fabs(sample(&o16, i) - ref.data[i] * 257.0) <= 1.0);
        blur_image_free(&s16);
        blur_image_free(&o16);
    }
    blur_image_free(&src);
    blur_matrix_free(&ref);
    blur_matrix_free(&kernel);
}

static void test_scipy_fixtures(void **state)
{
    (void)state;
    FILE *fp = fopen(FDIR "cases.txt", "r");
    assert_non_null(fp);
    fixture_case c;
    int count = 0;
    while (next_case(fp, &c)) {
        check_case(&c);
        count++;
    }
    fclose(fp);
    assert_true(count >= 100);
}

/* ---- a plain reference, written from scipy's documentation, on random sizes ---- */

/* gaussian_filter1d's weights as applied by correlation: the reversed derivative mask. */
static void ref_weights(double sigma, int order, long r, double *w)
{
    double sum = 0.0;
    for (long k = -r; k <= r; k++) sum += exp(-(double)(k * k) / (2.0 * sigma * sigma));
    for (long k = -r; k <= r; k++) {
        double x = (double)k, phi = exp(-x * x / (2.0 * sigma * sigma)) / sum, s2 = sigma * sigma;
        double q = order == 0 ? 1.0 : order == 1 ? -x / s2 : (x * x / s2 - 1.0) / s2;
        w[r - k] = q * phi; /* reversed */
    }
}

/* out(y, x, ch) = sum_{r,c} k(r, c) in(y + r - br, x + c - bc, ch), for correlation masks. */
static void ref_correlate(const double *in, size_t w, size_t h, size_t ch, const double *k,
                          size_t kr, size_t kc, long br, long bc, blur_border mode, double cval,
                          double *out)
{
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            for (size_t c = 0; c < ch; c++) {
                double sum = 0.0;
                for (size_t r = 0; r < kr; r++) {
                    long yy = blur__border_index(mode, (long)y + (long)r - br, (long)h);
                    for (size_t s = 0; s < kc; s++) {
                        long xx = blur__border_index(mode, (long)x + (long)s - bc, (long)w);
                        double v = yy < 0 || xx < 0 ? cval
                                                    : in[((size_t)yy * w + (size_t)xx) * ch + c];
                        sum += k[r * kc + s] * v;
                    }
                }
                out[(y * w + x) * ch + c] = sum;
            }
}

static void compare_random(const blur_options *o, const blur_image *src, const double *want,
                           const char *what)
{
    blur_image out;
    run(o, src, &out);
    size_t n = src->width * src->height * (size_t)src->channels;
    double peak = 1.0; /* the inputs' full scale */
    for (size_t i = 0; i < n; i++) peak = fmax(peak, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double got = ((const float *)out.data)[i];
        if (fabs(got - want[i]) > 1e-6 * fabs(want[i]) + 1e-12 * peak)
            fail_msg("%s %zux%zux%d sample %zu: got %.9g, reference %.9g", what, src->width,
                     src->height, src->channels, i, got, want[i]);
    }
    blur_image_free(&out);
}

static void test_random_reference(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int iter = 0; iter < 150; iter++) {
        size_t w = 1 + test_rand(&seed) % 23, h = 1 + test_rand(&seed) % 19;
        int ch = 1 + (int)(test_rand(&seed) % 4);
        blur_image src;
        assert_int_equal(blur_image_alloc(&src, w, h, ch, BLUR_F32), BLUR_OK);
        float *fin = src.data;
        size_t n = w * h * (size_t)ch;
        double *in = malloc(n * sizeof *in), *tmp = malloc(n * sizeof *tmp);
        assert_true(in && tmp);
        for (size_t i = 0; i < n; i++) {
            fin[i] = (float)(test_rand(&seed) % 10000) / 9999.0f;
            in[i] = fin[i];
        }
        blur_options o = BLUR_OPTIONS_INIT;
        o.border = (blur_border)(test_rand(&seed) % 5);
        o.cval = (double)(test_rand(&seed) % 100) / 50.0 - 0.5;
        o.alpha = BLUR_ALPHA_SEPARATE;
        o.threads = 1 + (unsigned)(test_rand(&seed) % 4);
        double *want = malloc(n * sizeof *want);
        assert_non_null(want);
        if (iter % 3 == 2) {
            /* A caller's mask of any shape, convolved or correlated. */
            size_t kr = 1 + test_rand(&seed) % 6, kc = 1 + test_rand(&seed) % 6;
            blur_matrix k = {kr, kc, malloc(kr * kc * sizeof(double))};
            double *flip = malloc(kr * kc * sizeof(double));
            assert_true(k.data && flip);
            for (size_t i = 0; i < kr * kc; i++)
                k.data[i] = (double)(test_rand(&seed) % 2001) / 1000.0 - 0.7;
            o.kernel = &k;
            o.correlate = (int)(test_rand(&seed) % 2);
            if (o.correlate) {
                ref_correlate(in, w, h, (size_t)ch, k.data, kr, kc, (long)(kr / 2),
                              (long)(kc / 2), o.border, o.cval, want);
            } else {
                /* convolve: out[i] = sum_j k[j] in[i + n/2 - j] = correlation with the flipped
                 * mask whose origin is n - 1 - n/2. */
                for (size_t i = 0; i < kr * kc; i++) flip[i] = k.data[kr * kc - 1 - i];
                ref_correlate(in, w, h, (size_t)ch, flip, kr, kc, (long)(kr - 1 - kr / 2),
                              (long)(kc - 1 - kc / 2), o.border, o.cval, want);
            }
            compare_random(&o, &src, want, "kernel auto");
            o.engine = BLUR_ENGINE_2D;
            compare_random(&o, &src, want, "kernel 2d");
            free(k.data);
            free(flip);
        } else {
            double sig[2];
            int order[2];
            long rad[2];
            for (int a = 0; a < 2; a++) {
                sig[a] = test_rand(&seed) % 5 == 0
                             ? 0.0
                             : 0.3 + (double)(test_rand(&seed) % 400) / 100.0;
                order[a] = sig[a] > 0.0 ? (int)(test_rand(&seed) % 3) : 0;
                rad[a] = sig[a] > 0.0 ? (long)(4.0 * sig[a] + 0.5) : 0;
            }
            o.sigma_y = sig[0];
            o.sigma_x = sig[1];
            o.order_y = order[0];
            o.order_x = order[1];
            double *wy = malloc((2 * (size_t)rad[0] + 1) * sizeof *wy);
            double *wx = malloc((2 * (size_t)rad[1] + 1) * sizeof *wx);
            size_t kr = 2 * (size_t)rad[0] + 1, kc = 2 * (size_t)rad[1] + 1;
            assert_true(wy && wx);
            if (rad[0]) ref_weights(sig[0], order[0], rad[0], wy);
            else wy[0] = 1.0;
            if (rad[1]) ref_weights(sig[1], order[1], rad[1], wx);
            else wx[0] = 1.0;
            /* gaussian_filter: one pass per axis, each padding with cval. */
            ref_correlate(in, w, h, (size_t)ch, wy, kr, 1, rad[0], 0, o.border, o.cval, tmp);
            ref_correlate(tmp, w, h, (size_t)ch, wx, 1, kc, 0, rad[1], o.border, o.cval,
                          want);
            compare_random(&o, &src, want, "gaussian exact");
            o.engine = BLUR_ENGINE_2D;
            compare_random(&o, &src, want, "gaussian 2d");
            free(wy);
            free(wx);
        }
        free(in);
        free(tmp);
        free(want);
        blur_image_free(&src);
    }
}

/* Masks that factor into two 1D ones (a caller's separable mask, a Gaussian rotated by 90
 * degrees, an isotropic one by any angle) on 8-bit images: AUTO within 1 level of EXACT. The
 * factors came scaled by their largest value, and the fast path made each sum to its integer
 * scale anyway (off by up to 255 levels); the decimated path took sigma_x and sigma_y for the
 * axes of a rotated mask. */
static void test_factored_masks_u8(void **state)
{
    (void)state;
    uint64_t seed = 0xfac7;
    blur_image src, exact, fast;
    assert_int_equal(blur_image_alloc(&src, 61, 47, 3, BLUR_U8), BLUR_OK);
    for (size_t i = 0; i < 61 * 47 * 3; i++)
        ((uint8_t *)src.data)[i] = (uint8_t)(test_rand(&seed) >> 24);
    double binomial[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1}, sum16[9];
    for (int i = 0; i < 9; i++) {
        sum16[i] = binomial[i];
        binomial[i] /= 16.0;
    }
    blur_matrix normalized = {3, 3, binomial}, unnormalized = {3, 3, sum16};
    static const struct {
        double sx, sy, angle;
    } rotated[] = {{4, 1.5, 90}, {4, 1.5, 180}, {3, 3, 20}, {30, 12, 90}, {12, 12, 33}};
    for (size_t c = 0; c < 2 + sizeof rotated / sizeof rotated[0]; c++) {
        blur_options o = BLUR_OPTIONS_INIT;
        if (c < 2) {
            o.kernel = c == 0 ? &normalized : &unnormalized;
        } else {
            o.sigma_x = rotated[c - 2].sx;
            o.sigma_y = rotated[c - 2].sy;
            o.angle = rotated[c - 2].angle;
        }
        o.engine = BLUR_ENGINE_EXACT;
        run(&o, &src, &exact);
        o.engine = BLUR_ENGINE_AUTO;
        run(&o, &src, &fast);
        unsigned worst = 0;
        for (size_t i = 0; i < 61 * 47 * 3; i++) {
            int d = ((uint8_t *)exact.data)[i] - ((uint8_t *)fast.data)[i];
            worst = (unsigned)abs(d) > worst ? (unsigned)abs(d) : worst;
        }
        if (worst > 1) fail_msg("case %zu: AUTO is %u levels from EXACT", c, worst);
        blur_image_free(&exact);
        blur_image_free(&fast);
    }
    blur_image_free(&src);
}

/* ---- alpha, flat images, copies, errors ---- */

/* Opaque red beside transparent black: premultiplied, every pixel that has any alpha stays
 * pure red (no dark fringe); per channel, the edge darkens, as scipy's would. */
static void test_alpha_no_fringe(void **state)
{
    (void)state;
    for (int ch = 2; ch <= 4; ch += 2) {
        blur_image src, dst;
        assert_int_equal(blur_image_alloc(&src, 16, 5, ch, BLUR_U8), BLUR_OK);
        uint8_t *p = src.data;
        for (size_t i = 0; i < 16 * 5; i++) {
            bool opaque = i % 16 < 8;
            p[i * (size_t)ch] = opaque ? 255 : 0;
            p[i * (size_t)ch + (size_t)ch - 1] = opaque ? 255 : 0;
        }
        blur_options o = BLUR_OPTIONS_INIT;
        o.sigma_x = o.sigma_y = 2.0;
        run(&o, &src, &dst);
        uint8_t *q = dst.data;
        for (size_t i = 0; i < 16 * 5; i++) {
            uint8_t a = q[i * (size_t)ch + (size_t)ch - 1];
            if (a) assert_int_equal(q[i * (size_t)ch], 255);
        }
        blur_image_free(&dst);
        o.alpha = BLUR_ALPHA_SEPARATE;
        run(&o, &src, &dst);
        q = dst.data;
        assert_true(q[8 * (size_t)ch] < 200); /* the fringe scipy makes */
        blur_image_free(&dst);
        blur_image_free(&src);
    }
}

static void test_flat_stays_flat(void **state)
{
    (void)state;
    for (int mode = 0; mode < 5; mode++) {
        blur_image src, dst;
        assert_int_equal(blur_image_alloc(&src, 9, 7, 4, BLUR_U16), BLUR_OK);
        uint16_t *p = src.data;
        for (size_t i = 0; i < 9 * 7 * 4; i++) p[i] = (uint16_t)(i % 4 == 3 ? 40000 : 12345);
        blur_options o = BLUR_OPTIONS_INIT;
        o.sigma_x = 7.0;
        o.sigma_y = 2.0;
        o.border = (blur_border)mode;
        o.cval = mode == BLUR_BORDER_CONSTANT ? 12345 : 0;
        o.linear = 1;
        if (mode == BLUR_BORDER_CONSTANT) o.alpha = BLUR_ALPHA_SEPARATE;
        run(&o, &src, &dst);
        uint16_t *q = dst.data;
        for (size_t i = 0; i < 9 * 7 * 4; i++)
            if (mode != BLUR_BORDER_CONSTANT || i % 4 != 3)
                assert_int_equal(q[i], i % 4 == 3 ? 40000 : 12345);
        blur_image_free(&src);
        blur_image_free(&dst);
    }
}

/* Gray+alpha: each colour channel's result depends only on itself and alpha, so channels R
 * and A of the RGBA fixtures are scipy's answer for the gray+alpha image (R, A). */
static void test_gray_alpha_from_rgba(void **state)
{
    (void)state;
    static const char *const names[] = {"rgba_premultiplied", "rgba_separate"};
    blur_image rgba, ga, out;
    read_image("rgba", &rgba);
    assert_int_equal(blur_image_alloc(&ga, rgba.width, rgba.height, 2, BLUR_U8), BLUR_OK);
    size_t pixels = rgba.width * rgba.height;
    for (size_t i = 0; i < pixels; i++) {
        ((uint8_t *)ga.data)[2 * i] = ((const uint8_t *)rgba.data)[4 * i];
        ((uint8_t *)ga.data)[2 * i + 1] = ((const uint8_t *)rgba.data)[4 * i + 3];
    }
    for (size_t k = 0; k < 2; k++) {
        blur_matrix ref;
        read_matrix(names[k], &ref);
        blur_options o = BLUR_OPTIONS_INIT;
        o.sigma_x = o.sigma_y = 2.0;
        o.alpha = k == 0 ? BLUR_ALPHA_PREMULTIPLY : BLUR_ALPHA_SEPARATE;
        o.threads = 3;
        run(&o, &ga, &out);
        for (size_t i = 0; i < pixels; i++)
            for (size_t c = 0; c < 2; c++) {
                double want = floor(ref.data[4 * i + (c ? 3 : 0)] + 0.5);
                double got = ((const uint8_t *)out.data)[2 * i + c];
                if (fabs(got - want) > 1.0)
                    fail_msg("%s gray+alpha pixel %zu channel %zu: got %g, want %g", names[k],
                             i, c, got, want);
            }
        blur_image_free(&out);
        blur_matrix_free(&ref);
    }
    blur_image_free(&ga);
    blur_image_free(&rgba);
}

/* Sigma 0 copies exactly, colour under alpha 0 included. */
static void test_zero_sigma_copies(void **state)
{
    (void)state;
    blur_image src, dst;
    assert_int_equal(blur_image_alloc(&src, 5, 3, 4, BLUR_U8), BLUR_OK);
    uint8_t *p = src.data;
    for (size_t i = 0; i < 60; i++) p[i] = (uint8_t)(i * 37 % 256);
    p[3] = 0;
    blur_options o = BLUR_OPTIONS_INIT;
    o.linear = 1;
    run(&o, &src, &dst);
    assert_memory_equal(src.data, dst.data, 60);
    blur_image_free(&src);
    blur_image_free(&dst);
}

/* Signed results in integer images: mid + value * scale, clamped. */
static void test_signed_scale(void **state)
{
    (void)state;
    blur_image src, dst;
    assert_int_equal(blur_image_alloc(&src, 20, 1, 1, BLUR_U8), BLUR_OK);
    uint8_t *p = src.data;
    for (size_t i = 0; i < 20; i++) p[i] = i < 10 ? 0 : 255;
    blur_options o = BLUR_OPTIONS_INIT;
    o.sigma_x = 1.0;
    o.order_x = 1;
    o.border = BLUR_BORDER_NEAREST;
    run(&o, &src, &dst);
    uint8_t *q = dst.data;
    assert_int_equal(q[0], 128);
    assert_int_equal(q[19], 128);
    /* At pixel 9 the step gives 255 * sum_{x=1..4} x phi(x), phi the normalized Gaussian. */
    double sum = 0.0, d = 0.0;
    for (int x = -4; x <= 4; x++) sum += exp(-0.5 * x * x);
    for (int x = 1; x <= 4; x++) d += x * exp(-0.5 * x * x) / sum;
    assert_int_equal(q[9], (int)floor(128.0 + 255.0 * d + 0.5));
    assert_int_equal(q[10], (int)floor(128.0 + 255.0 * d + 0.5));
    blur_image_free(&dst);
    o.scale = -10.0;
    run(&o, &src, &dst);
    q = dst.data;
    assert_int_equal(q[9], 0); /* clamped, never wrapped */
    blur_image_free(&dst);
    blur_image_free(&src);
}

/* A derivative whose mask has radius 0 (sigma below 1/8) is scipy's one-tap mask, not a copy:
 * order 1 gives 0 (stored as mid 128), order 2 -x / sigma^2, in every engine. */
static void test_derivative_radius_0(void **state)
{
    (void)state;
    blur_image src, dst;
    assert_int_equal(blur_image_alloc(&src, 4, 1, 1, BLUR_U8), BLUR_OK);
    static const uint8_t in[4] = {0, 1, 2, 50};
    memcpy(src.data, in, sizeof in);
    static const uint8_t want[3][4] = {{0}, {128, 128, 128, 128}, {128, 28, 0, 0}};
    for (int order = 1; order <= 2; order++) {
        for (int e = 0; e < 3; e++) {
            blur_options o = BLUR_OPTIONS_INIT;
            o.sigma_x = 0.1; /* radius int(4 * 0.1 + 0.5) = 0 */
            o.order_x = order;
            o.engine = e == 0 ? BLUR_ENGINE_AUTO : e == 1 ? BLUR_ENGINE_EXACT : BLUR_ENGINE_2D;
            run(&o, &src, &dst);
            assert_memory_equal(dst.data, want[order], 4);
            blur_image_free(&dst);
        }
    }
    blur_image_free(&src);
}

static void test_plan_errors(void **state)
{
    (void)state;
    blur_plan *plan = (blur_plan *)1;
    blur_options o = BLUR_OPTIONS_INIT;
    o.sigma_x = 1.0;
    o.order_y = 1; /* on an axis with sigma 0 */
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_INVALID);
    assert_null(plan);
    o = (blur_options)BLUR_OPTIONS_INIT;
    o.sigma_x = o.sigma_y = 1.0;
    o.order_x = 3;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_INVALID);
    o.order_x = 1;
    o.linear = 1;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_INVALID);
    o = (blur_options)BLUR_OPTIONS_INIT;
    o.sigma_x = 3.0;
    o.sigma_y = 1.0;
    o.angle = 30.0;
    o.engine = BLUR_ENGINE_SEPARABLE;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_NOT_SEPARABLE);
    o.angle = 90.0; /* a quarter turn is separable again: sigmas swapped */
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_OK);
    assert_false(blur_plan_is_2d(plan));
    blur_plan_free(plan);
    o.sigma_y = 0.0;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_INVALID);
    o = (blur_options)BLUR_OPTIONS_INIT;
    double sobel[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1}, outer[6] = {1, 2, 3, 2, 4, 6};
    blur_matrix k = {3, 3, sobel};
    o.kernel = &k;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_OK);
    assert_true(blur_plan_is_signed(plan));
    assert_false(blur_plan_is_2d(plan)); /* Sobel is an outer product */
    blur_plan_free(plan);
    o.linear = 1;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_INVALID);
    o.linear = 0;
    o.sigma_x = 2.0; /* the mask is the caller's: a sigma would be ignored */
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_INVALID);
    o.sigma_x = 0.0;
    k = (blur_matrix){2, 3, outer};
    o.engine = BLUR_ENGINE_SEPARABLE;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_OK);
    blur_plan_free(plan);
    outer[5] = 7;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_NOT_SEPARABLE);
    o.engine = BLUR_ENGINE_AUTO;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_OK);
    assert_true(blur_plan_is_2d(plan));
    blur_plan_free(plan);
    o.order_x = 1; /* a kernel takes no order */
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_ERR_INVALID);
    o = (blur_options)BLUR_OPTIONS_INIT;
    o.sigma_x = 1.0;
    o.order_x = 1;
    o.method = "integrated";
    blur_error err = blur_plan_create(&o, &plan);
    assert_true(err == BLUR_ERR_UNKNOWN_NAME || err == BLUR_ERR_UNSUPPORTED);
}

/* blur_plan_mask gives what scipy.ndimage.convolve takes, for even correlate masks too. */
static void test_plan_mask_convolve_form(void **state)
{
    (void)state;
    double cells[4] = {1, 2, 3, 4};
    blur_matrix k = {1, 4, cells}, m;
    blur_options o = BLUR_OPTIONS_INIT;
    o.kernel = &k;
    blur_plan *plan;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_OK);
    assert_int_equal(blur_plan_mask(plan, &m), BLUR_OK);
    assert_int_equal(m.cols, 4);
    assert_memory_equal(m.data, cells, sizeof cells);
    blur_matrix_free(&m);
    blur_plan_free(plan);
    o.correlate = 1;
    assert_int_equal(blur_plan_create(&o, &plan), BLUR_OK);
    assert_int_equal(blur_plan_mask(plan, &m), BLUR_OK);
    assert_int_equal(m.cols, 5);
    double want[5] = {0, 4, 3, 2, 1};
    assert_memory_equal(m.data, want, sizeof want);
    blur_matrix_free(&m);
    blur_plan_free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scipy_fixtures),
        cmocka_unit_test(test_random_reference),
        cmocka_unit_test(test_factored_masks_u8),
        cmocka_unit_test(test_alpha_no_fringe),
        cmocka_unit_test(test_gray_alpha_from_rgba),
        cmocka_unit_test(test_flat_stays_flat),
        cmocka_unit_test(test_zero_sigma_copies),
        cmocka_unit_test(test_signed_scale),
        cmocka_unit_test(test_derivative_radius_0),
        cmocka_unit_test(test_plan_errors),
        cmocka_unit_test(test_plan_mask_convolve_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
