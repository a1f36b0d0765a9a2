/* test_kernel.c — every mask method against the numpy/scipy references in
 * tests/fixtures/kernel/ (made by tests/fixtures/make_kernel_fixtures.py), normalizations,
 * the report, the filter's use of the methods, and every error. */
#include "testutil.h"

#include <math.h>

#define KFIX FIXTURES "kernel/"

/* |a - b| <= eps, with both values in the message (this cmocka has no assert_double_equal). */
#define assert_near(a, b, eps) check_near((a), (b), (eps), #a, __FILE__, __LINE__)
static void check_near(double a, double b, double eps, const char *what, const char *file,
                       int line)
{
    if (!(fabs(a - b) <= eps))
        fail_msg("%s:%d: %s = %.17g, expected %.17g (within %g)", file, line, what, a, b, eps);
}

static blur_kernel_spec spec_of(const char *method, size_t rows, size_t cols, double sy,
                                double sx, blur_normalize how)
{
    blur_kernel_spec spec = BLUR_KERNEL_SPEC_INIT;
    spec.method = method;
    spec.rows = rows;
    spec.cols = cols;
    spec.sigma_y = sy;
    spec.sigma_x = sx;
    spec.normalize = how;
    return spec;
}

/* The 2D mask of a spec in a new matrix (blur_matrix_free). */
static blur_matrix make_2d(const blur_kernel_spec *spec)
{
    blur_matrix m = {0, 0, NULL};
    assert_int_equal(blur_kernel_shape(spec, &m.rows, &m.cols), BLUR_OK);
    m.data = malloc(m.rows * m.cols * sizeof *m.data);
    assert_non_null(m.data);
    assert_int_equal(blur_kernel_2d(spec, m.data, m.rows * m.cols), BLUR_OK);
    return m;
}

static blur_matrix read_fixture(const char *name)
{
    char path[256];
    blur_matrix m = {0, 0, NULL};
    snprintf(path, sizeof path, KFIX "%s", name);
    blur_error err = blur_matrix_read(path, &m, NULL);
    if (err) fail_msg("%s: %s", path, blur_strerror(err));
    return m;
}

static double max_abs_diff(const blur_matrix *a, const blur_matrix *b)
{
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->cols, b->cols);
    double worst = 0.0;
    for (size_t i = 0; i < a->rows * a->cols; i++) {
        double d = fabs(a->data[i] - b->data[i]);
        if (!(d <= worst)) worst = d; /* NaN propagates as a failure */
    }
    return worst;
}

static void test_method_table(void **state)
{
    (void)state;
    static const char *const expected[] = {"sampled", "sampled-floor", "integrated",
                                           "legacy-sqrt", "dirac", "window", "stretched"};
    size_t count = blur_kernel_method_count();
    assert_int_equal(count, sizeof expected / sizeof expected[0]);
    assert_null(blur_kernel_method_at(count));
    for (size_t i = 0; i < count; i++) {
        const blur_kernel_method *m = blur_kernel_method_at(i);
        assert_non_null(m);
        assert_string_equal(m->name, expected[i]);
        assert_true(strlen(m->summary) > 10 && strlen(m->summary) < 80);
        assert_int_equal(m->flawed != 0, strcmp(m->name, "legacy-sqrt") == 0);
    }
}

/* Every method on every case of cases.csv, normalized to sum 1 and as computed. */
static void test_methods_match_fixtures(void **state)
{
    (void)state;
    blur_matrix cases = read_fixture("cases.csv");
    assert_int_equal(cases.cols, 5);
    assert_true(cases.rows >= 9);
    for (size_t m = 0; m < blur_kernel_method_count(); m++) {
        const char *method = blur_kernel_method_at(m)->name;
        for (size_t c = 0; c < cases.rows; c++) {
            const double *row = cases.data + c * 5;
            for (int none = 0; none <= 1; none++) {
                blur_kernel_spec spec =
                    spec_of(method, (size_t)row[1], (size_t)row[2], row[3], row[4],
                            none ? BLUR_NORMALIZE_NONE : BLUR_NORMALIZE_SUM);
                char name[64];
                snprintf(name, sizeof name, "%s-%d%s.npy", method, (int)row[0],
                         none ? "-none" : "");
                blur_matrix want = read_fixture(name);
                blur_matrix got = make_2d(&spec);
                double diff = max_abs_diff(&got, &want);
                if (!(diff <= 1e-12)) fail_msg("%s: max difference %g", name, diff);
                blur_matrix_free(&got);
                blur_matrix_free(&want);
            }
        }
    }
    blur_matrix_free(&cases);
}

/* The check: gkern(5, nsig=2.5) * 273, i.e. sigma = 5 / (2 * 2.5) = 1. */
static void test_integrated_273(void **state)
{
    (void)state;
    static const double quarter[3][3] = {{1.0278445, 4.10018648, 6.49510362},
                                         {4.10018648, 16.35610171, 25.90969361},
                                         {6.49510362, 25.90969361, 41.0435344}};
    blur_kernel_spec spec = spec_of("integrated", 5, 5, 5.0 / (2 * 2.5), 5.0 / (2 * 2.5),
                                    BLUR_NORMALIZE_SUM);
    blur_matrix k = make_2d(&spec);
    for (size_t r = 0; r < 5; r++)
        for (size_t c = 0; c < 5; c++) {
            size_t qr = r < 3 ? r : 4 - r, qc = c < 3 ? c : 4 - c;
            assert_near(k.data[r * 5 + c] * 273, quarter[qr][qc], 1e-7);
        }
    blur_matrix_free(&k);
}

/* Peak normalization: the largest cell is 1 and the mask is proportional to the raw one. */
static void test_normalize_peak(void **state)
{
    (void)state;
    for (size_t m = 0; m < blur_kernel_method_count(); m++) {
        const char *method = blur_kernel_method_at(m)->name;
        blur_kernel_spec spec = spec_of(method, 6, 9, 1.4, 2.2, BLUR_NORMALIZE_PEAK);
        blur_matrix peak = make_2d(&spec);
        spec.normalize = BLUR_NORMALIZE_NONE;
        blur_matrix raw = make_2d(&spec);
        double top = 0.0, raw_top = 0.0;
        for (size_t i = 0; i < peak.rows * peak.cols; i++) {
            if (peak.data[i] > top) top = peak.data[i];
            if (raw.data[i] > raw_top) raw_top = raw.data[i];
        }
        assert_near(top, 1.0, 1e-15);
        for (size_t i = 0; i < peak.rows * peak.cols; i++)
            assert_near(peak.data[i], raw.data[i] / raw_top, 1e-15);
        blur_matrix_free(&peak);
        blur_matrix_free(&raw);
    }
}

/* What the methods have in common, and where they part. */
static void test_method_relations(void **state)
{
    (void)state;
    /* dirac is scipy's own mask when the mask is scipy's size (radius int(4*2 + 0.5) = 8,
     * 17 cells), and is not when 4 sigma does not fit (n = 21, sigma = 3: radius 12 > 10). */
    blur_kernel_spec a = spec_of("dirac", 17, 17, 2.0, 2.0, BLUR_NORMALIZE_SUM);
    blur_kernel_spec b = spec_of("sampled", 17, 17, 2.0, 2.0, BLUR_NORMALIZE_SUM);
    blur_matrix ma = make_2d(&a), mb = make_2d(&b);
    assert_true(max_abs_diff(&ma, &mb) < 1e-15);
    blur_matrix_free(&ma);
    blur_matrix_free(&mb);
    a = spec_of("dirac", 21, 21, 3.0, 3.0, BLUR_NORMALIZE_NONE);
    b = spec_of("sampled", 21, 21, 3.0, 3.0, BLUR_NORMALIZE_SUM);
    ma = make_2d(&a);
    mb = make_2d(&b);
    assert_true(max_abs_diff(&ma, &mb) > 1e-5); /* scipy: 2.1e-5 */
    /* Reflection keeps all the mass: the raw dirac mask already sums to 1. */
    double sum = 0.0;
    for (size_t i = 0; i < 21 * 21; i++) sum += ma.data[i];
    assert_near(sum, 1.0, 1e-14);
    blur_matrix_free(&ma);
    blur_matrix_free(&mb);

    /* window is sampled; sampled-floor is sampled for odd sizes only. */
    double w[10], s[10], f[10];
    for (size_t n = 1; n <= 10; n++) {
        blur_kernel_spec ws = spec_of("window", n, n, 1.7, 1.7, BLUR_NORMALIZE_SUM);
        blur_kernel_spec ss = spec_of("sampled", n, n, 1.7, 1.7, BLUR_NORMALIZE_SUM);
        blur_kernel_spec fs = spec_of("sampled-floor", n, n, 1.7, 1.7, BLUR_NORMALIZE_SUM);
        assert_int_equal(blur_kernel_1d(&ws, 1, w, n), BLUR_OK);
        assert_int_equal(blur_kernel_1d(&ss, 1, s, n), BLUR_OK);
        assert_int_equal(blur_kernel_1d(&fs, 1, f, n), BLUR_OK);
        for (size_t i = 0; i < n; i++) {
            assert_near(w[i], s[i], 1e-16);
            if (n % 2) assert_near(f[i], s[i], 1e-16);
        }
        /* Even: the floor mask peaks at n/2, one cell right of the middle pair's left. */
        if (n % 2 == 0 && n > 1) {
            assert_true(f[n / 2] > f[n / 2 - 1]);
            assert_near(s[n / 2], s[n / 2 - 1], 1e-16);
        }
    }
}

/* Far from the 5-cell mask's scale, sigma tends to a flat mask (huge sigma) or one cell
 * (tiny sigma, odd size); integrated must not cancel to a single cell at huge sigma, where
 * every cell's mass is a difference of nearly equal erf values. */
static void test_extreme_sigmas(void **state)
{
    (void)state;
    for (size_t m = 0; m < blur_kernel_method_count(); m++) {
        const char *method = blur_kernel_method_at(m)->name;
        double w[5];
        blur_kernel_spec spec = spec_of(method, 5, 5, 1e300, 1e300, BLUR_NORMALIZE_SUM);
        if (strcmp(method, "dirac") == 0) spec.sigma_x = spec.sigma_y = 1e3;
        assert_int_equal(blur_kernel_1d(&spec, 1, w, 5), BLUR_OK);
        /* legacy-sqrt adds interval/2 = (2 nsig + 1)/(2n) sigmas each side, which stays
         * 0.1 sigma at n = 5 however large sigma is: not quite flat */
        double tol = strcmp(method, "legacy-sqrt") == 0 ? 1e-3 : 1e-12;
        /* dirac folds a Gaussian cut at 4 sigma: the cut ends fall unevenly on the cells, as
         * scipy gives too (0.2 + 1.07e-7 at the centre at sigma 1e3; its radius is capped at
         * BLUR_MAX_RADIUS, so sigma stays at 1e3 here) */
        if (strcmp(method, "dirac") == 0) tol = 2e-7;
        for (size_t i = 0; i < 5; i++) assert_near(w[i], 0.2, tol);
        spec.sigma_x = spec.sigma_y = 1e-3;
        assert_int_equal(blur_kernel_1d(&spec, 1, w, 5), BLUR_OK);
        for (size_t i = 0; i < 5; i++) assert_near(w[i], i == 2 ? 1.0 : 0.0, 1e-300);
        /* sigma^2 underflows to 0: the same cell, not 0/0 (NaN) */
        spec.sigma_x = spec.sigma_y = 1e-200;
        spec.normalize = BLUR_NORMALIZE_NONE;
        assert_int_equal(blur_kernel_1d(&spec, 1, w, 5), BLUR_OK);
        for (size_t i = 0; i < 5; i++) assert_true(w[i] == (i == 2 ? 1.0 : 0.0));
    }
}

/* A single cell is 1 by every method; the 1D masks are the 2D mask's factors. */
static void test_single_cell_and_factors(void **state)
{
    (void)state;
    for (size_t m = 0; m < blur_kernel_method_count(); m++) {
        const char *method = blur_kernel_method_at(m)->name;
        blur_kernel_spec spec = spec_of(method, 1, 1, 0.8, 3.0, BLUR_NORMALIZE_SUM);
        double one;
        assert_int_equal(blur_kernel_2d(&spec, &one, 1), BLUR_OK);
        assert_near(one, 1.0, 1e-15);

        spec = spec_of(method, 7, 4, 1.1, 0.9, BLUR_NORMALIZE_SUM);
        double col[7], row[4], full[28];
        assert_int_equal(blur_kernel_1d(&spec, 0, col, 7), BLUR_OK);
        assert_int_equal(blur_kernel_1d(&spec, 1, row, 4), BLUR_OK);
        assert_int_equal(blur_kernel_2d(&spec, full, 28), BLUR_OK);
        for (size_t r = 0; r < 7; r++)
            for (size_t c = 0; c < 4; c++)
                assert_near(full[r * 4 + c], col[r] * row[c], 1e-17);
    }
}

/* The size from sigma when the spec leaves it 0: scipy's 2*int(truncate*sigma + 0.5) + 1. */
static void test_shape_from_sigma(void **state)
{
    (void)state;
    blur_kernel_spec spec = spec_of(NULL, 0, 0, 1.0, 3.0, BLUR_NORMALIZE_SUM);
    size_t rows, cols;
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_OK);
    assert_int_equal(rows, 9);
    assert_int_equal(cols, 25);
    spec.truncate = 2.5;
    spec.cols = 4;
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_OK);
    assert_int_equal(rows, 7); /* int(2.5 + 0.5) = 3 */
    assert_int_equal(cols, 4);
    /* The largest size is accepted by every method. */
    static double big[BLUR_KERNEL_MAX_SIZE];
    for (size_t m = 0; m < blur_kernel_method_count(); m++) {
        spec = spec_of(blur_kernel_method_at(m)->name, 1, BLUR_KERNEL_MAX_SIZE, 1.0, 1000.0,
                       BLUR_NORMALIZE_SUM);
        assert_int_equal(blur_kernel_1d(&spec, 1, big, BLUR_KERNEL_MAX_SIZE), BLUR_OK);
        double sum = 0.0;
        for (size_t i = 0; i < BLUR_KERNEL_MAX_SIZE; i++) sum += big[i];
        assert_near(sum, 1.0, 1e-12);
    }
}

static void test_errors(void **state)
{
    (void)state;
    double out[16];
    size_t rows, cols;
    blur_kernel_spec ok = spec_of("integrated", 4, 4, 1.0, 1.0, BLUR_NORMALIZE_SUM);
    blur_kernel_spec spec;
    assert_int_equal(blur_kernel_shape(NULL, &rows, &cols), BLUR_ERR_INVALID);
    assert_int_equal(blur_kernel_shape(&ok, NULL, &cols), BLUR_ERR_INVALID);
    static const double bad_sigmas[] = {0.0, -1.0, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_sigmas / sizeof bad_sigmas[0]; i++) {
        spec = ok;
        spec.sigma_x = bad_sigmas[i];
        assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_ERR_INVALID);
        assert_int_equal(blur_kernel_2d(&spec, out, 16), BLUR_ERR_INVALID);
        spec = ok;
        spec.sigma_y = bad_sigmas[i];
        assert_int_equal(blur_kernel_1d(&spec, 0, out, 4), BLUR_ERR_INVALID);
    }
    spec = ok;
    spec.rows = BLUR_KERNEL_MAX_SIZE + 1;
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_ERR_INVALID);
    spec = ok; /* a size from sigma over the limit: 2*int(4*2000 + 0.5) + 1 = 16001 */
    spec.rows = 0;
    spec.sigma_y = 2000.0;
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_ERR_INVALID);
    spec.sigma_y = 1e300;
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_ERR_INVALID);
    spec.sigma_y = 1.0;
    spec.truncate = NAN;
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_ERR_INVALID);
    spec.truncate = 0.0;
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_ERR_INVALID);
    spec = ok;
    spec.method = "gaussian";
    assert_int_equal(blur_kernel_shape(&spec, &rows, &cols), BLUR_ERR_UNKNOWN_NAME);
    assert_int_equal(blur_kernel_2d(&spec, out, 16), BLUR_ERR_UNKNOWN_NAME);
    spec = ok;
    spec.normalize = (blur_normalize)7;
    assert_int_equal(blur_kernel_2d(&spec, out, 16), BLUR_ERR_INVALID);
    /* Buffers that do not match the shape. */
    assert_int_equal(blur_kernel_2d(&ok, out, 15), BLUR_ERR_INVALID);
    assert_int_equal(blur_kernel_2d(&ok, NULL, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_kernel_1d(&ok, 0, out, 5), BLUR_ERR_INVALID);
    assert_int_equal(blur_kernel_1d(&ok, 2, out, 4), BLUR_ERR_INVALID);
    assert_int_equal(blur_kernel_1d(&ok, 0, NULL, 4), BLUR_ERR_INVALID);
    /* dirac runs scipy's filter, whose radius has a limit. */
    spec = spec_of("dirac", 5, 5, 30000.0, 1.0, BLUR_NORMALIZE_SUM);
    assert_int_equal(blur_kernel_1d(&spec, 0, out, 5), BLUR_ERR_TOO_LARGE);
    assert_int_equal(blur_kernel_1d(&spec, 1, out, 5), BLUR_OK);
    /* Two cells half a pixel from a sigma of 0.01: exp(-1250) is 0, nothing to normalize. */
    spec = spec_of("sampled", 2, 2, 0.01, 0.01, BLUR_NORMALIZE_SUM);
    assert_int_equal(blur_kernel_2d(&spec, out, 4), BLUR_ERR_UNSUPPORTED);
    spec.normalize = BLUR_NORMALIZE_PEAK;
    assert_int_equal(blur_kernel_2d(&spec, out, 4), BLUR_ERR_UNSUPPORTED);
    spec.normalize = BLUR_NORMALIZE_NONE;
    assert_int_equal(blur_kernel_2d(&spec, out, 4), BLUR_OK);
    assert_true(out[0] == 0.0 && out[3] == 0.0);
    /* The same sigma with an odd size is fine: the centre cell is 1. */
    spec = spec_of("sampled", 3, 3, 0.01, 0.01, BLUR_NORMALIZE_SUM);
    assert_int_equal(blur_kernel_2d(&spec, out, 9), BLUR_OK);
    assert_near(out[4], 1.0, 0.0);
    blur_kernel_report report;
    assert_int_equal(blur_kernel_measure(&ok, NULL), BLUR_ERR_INVALID);
    assert_int_equal(blur_kernel_measure(NULL, &report), BLUR_ERR_INVALID);
}

/* The report against the scipy masks: moments computed here in 2D from the fixtures. */
static void test_measure(void **state)
{
    (void)state;
    blur_matrix cases = read_fixture("cases.csv");
    for (size_t m = 0; m < blur_kernel_method_count(); m++) {
        const char *method = blur_kernel_method_at(m)->name;
        for (size_t c = 0; c < cases.rows; c++) {
            const double *row = cases.data + c * 5;
            char name[64];
            snprintf(name, sizeof name, "%s-%d-none.npy", method, (int)row[0]);
            blur_matrix want = read_fixture(name);
            snprintf(name, sizeof name, "integrated-%d-none.npy", (int)row[0]);
            blur_matrix ref = read_fixture(name);
            double sum = 0.0, peak = 0.0, my = 0.0, mx = 0.0, vy = 0.0, vx = 0.0;
            double diff = max_abs_diff(&want, &ref);
            for (size_t r = 0; r < want.rows; r++)
                for (size_t k = 0; k < want.cols; k++) {
                    double v = want.data[r * want.cols + k];
                    sum += v;
                    if (v > peak) peak = v;
                    my += (double)r * v;
                    mx += (double)k * v;
                }
            my /= sum;
            mx /= sum;
            for (size_t r = 0; r < want.rows; r++)
                for (size_t k = 0; k < want.cols; k++) {
                    double v = want.data[r * want.cols + k];
                    vy += ((double)r - my) * ((double)r - my) * v;
                    vx += ((double)k - mx) * ((double)k - mx) * v;
                }
            blur_kernel_spec spec = spec_of(method, (size_t)row[1], (size_t)row[2], row[3],
                                            row[4], BLUR_NORMALIZE_NONE);
            blur_kernel_report rep;
            assert_int_equal(blur_kernel_measure(&spec, &rep), BLUR_OK);
            assert_near(rep.sum, sum, 1e-12);
            assert_near(rep.peak, peak, 1e-12);
            assert_near(rep.sigma_y, sqrt(vy / sum), 1e-9);
            assert_near(rep.sigma_x, sqrt(vx / sum), 1e-9);
            assert_near(rep.max_diff_integrated, diff, 1e-12);
            blur_matrix_free(&want);
            blur_matrix_free(&ref);
        }
    }
    blur_matrix_free(&cases);
    /* legacy-sqrt is about sqrt(2) too wide; integrated matches itself. */
    blur_kernel_spec spec = spec_of("legacy-sqrt", 41, 41, 3.0, 3.0, BLUR_NORMALIZE_SUM);
    blur_kernel_report rep;
    assert_int_equal(blur_kernel_measure(&spec, &rep), BLUR_OK);
    assert_true(rep.sigma_x > 3.0 * 1.35 && rep.sigma_x < 3.0 * 1.5);
    spec.method = "integrated";
    assert_int_equal(blur_kernel_measure(&spec, &rep), BLUR_OK);
    assert_near(rep.max_diff_integrated, 0.0, 0.0);
    assert_near(rep.sum, 1.0, 1e-15);
    /* The integrated mask's variance is sigma^2 + 1/12 (each cell's own spread), less the
     * little mass cut off beyond 6.8 sigma. */
    assert_near(rep.sigma_x, sqrt(9.0 + 1.0 / 12), 1e-6);
}

/* The filter builds its masks through the methods: blurring a float impulse gives back the
 * method's 2D mask (every mask here is symmetric, so correlation and convolution agree). */
static void test_filter_uses_method(void **state)
{
    (void)state;
    static const char *const methods[] = {"integrated", "legacy-sqrt", "stretched"};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        blur_image src, dst;
        assert_int_equal(blur_image_alloc(&src, 31, 25, 1, BLUR_F32), BLUR_OK);
        assert_int_equal(blur_image_alloc(&dst, 31, 25, 1, BLUR_F32), BLUR_OK);
        ((float *)src.data)[12 * 31 + 15] = 1.0f;
        blur_options opt = BLUR_OPTIONS_INIT;
        opt.sigma_x = 2.0; /* radius 8: 17 taps */
        opt.sigma_y = 1.5; /* radius 6: 13 taps */
        opt.method = methods[m];
        assert_int_equal(blur_gaussian(&src, &dst, &opt), BLUR_OK);
        blur_kernel_spec spec = spec_of(methods[m], 13, 17, 1.5, 2.0, BLUR_NORMALIZE_SUM);
        blur_matrix k = make_2d(&spec);
        const float *px = dst.data;
        for (size_t r = 0; r < 13; r++)
            for (size_t c = 0; c < 17; c++)
                assert_near(px[(6 + r) * 31 + 7 + c], k.data[r * 17 + c], 1e-7);
        blur_matrix_free(&k);
        blur_image_free(&src);
        blur_image_free(&dst);
    }
    blur_options opt = BLUR_OPTIONS_INIT;
    opt.sigma_x = opt.sigma_y = 1.0;
    opt.method = "nonesuch";
    blur_plan *plan;
    assert_int_equal(blur_plan_create(&opt, &plan), BLUR_ERR_UNKNOWN_NAME);
    assert_null(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_table),
        cmocka_unit_test(test_methods_match_fixtures),
        cmocka_unit_test(test_integrated_273),
        cmocka_unit_test(test_normalize_peak),
        cmocka_unit_test(test_method_relations),
        cmocka_unit_test(test_extreme_sigmas),
        cmocka_unit_test(test_single_cell_and_factors),
        cmocka_unit_test(test_shape_from_sigma),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_measure),
        cmocka_unit_test(test_filter_uses_method),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
