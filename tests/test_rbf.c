/* test_rbf.c — the Gaussian kernel matrix against scipy (tests/fixtures/rbf, made by
 * make_rbf_fixtures.py), the fast path against the exact one, and the promises of blur.h:
 * symmetry bit for bit, a diagonal of exactly 1, K <= 1, rows alone equal to the whole. */
#include "testutil.h"

#include <math.h>

/* Relative difference where the reference is a normal number; absolute near underflow, where
 * relative error means nothing. */
static double rel_diff(double got, double want)
{
    double diff = fabs(got - want);
    return fabs(want) > 1e-300 ? diff / fabs(want) : diff;
}

static double max_rel_diff(const double *got, const double *want, size_t count)
{
    double worst = 0.0;
    for (size_t i = 0; i < count; i++) {
        double r = rel_diff(got[i], want[i]);
        if (!(r <= worst)) worst = r; /* a NaN wins */
    }
    return worst;
}

static void load(const char *name, blur_matrix *m)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURES "rbf/%s", name);
    blur_error err = blur_matrix_read(path, m, NULL);
    if (err) fail_msg("%s: %s", path, blur_strerror(err));
}

/* Computes K for x (and y) with opt into a new buffer. */
static double *kernel(const blur_matrix *x, const blur_matrix *y, const blur_rbf_options *opt)
{
    size_t cells = x->rows * (y ? y->rows : x->rows);
    double *k = malloc(cells * sizeof(double));
    assert_non_null(k);
    assert_int_equal(blur_rbf(x, y, opt, k, cells), BLUR_OK);
    return k;
}

static void test_issue_example(void **state)
{
    (void)state;
    double data[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    blur_matrix x = {3, 4, data};
    /* The issue prints 9 significant digits; the values are exp(-32) and exp(-128). Check
     * both: 1e-9 relative of the full values, and the printed digits exactly. */
    static const double want[9] = {
        1, 1.2664165549094176e-14, 2.5722093726424148e-56,
        1.2664165549094176e-14, 1, 1.2664165549094176e-14,
        2.5722093726424148e-56, 1.2664165549094176e-14, 1,
    };
    static const char *const printed[9] = {
        "1.00000000e+00", "1.26641655e-14", "2.57220937e-56",
        "1.26641655e-14", "1.00000000e+00", "1.26641655e-14",
        "2.57220937e-56", "1.26641655e-14", "1.00000000e+00",
    };
    for (int method = 0; method < 2; method++) {
        blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
        opt.sigma = 1.0;
        opt.method = (blur_rbf_method)method;
        double k[9];
        assert_int_equal(blur_rbf(&x, NULL, &opt, k, 9), BLUR_OK);
        for (int i = 0; i < 9; i++) {
            if (rel_diff(k[i], want[i]) > 1e-9)
                fail_msg("method %d K[%d] = %.10g, want %.10g", method, i, k[i], want[i]);
            char text[32];
            snprintf(text, sizeof text, "%.8e", k[i]);
            assert_string_equal(text, printed[i]);
        }
        /* the same through gamma = 1/(2 sigma^2) */
        opt.sigma = 0.0;
        opt.gamma = 0.5;
        double k2[9];
        assert_int_equal(blur_rbf(&x, NULL, &opt, k2, 9), BLUR_OK);
        assert_memory_equal(k, k2, sizeof k);
    }
}

/* Every case of cases.txt, both methods, both micro-kernels, several thread counts. */
static void test_scipy_fixtures(void **state)
{
    (void)state;
    FILE *fp = fopen(FIXTURES "rbf/cases.txt", "r");
    assert_non_null(fp);
    char line[512];
    int cases = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        char name[64], xname[96], yname[96];
        double gamma;
        if (sscanf(line, "%63s %95s %95s %lf", name, xname, yname, &gamma) != 4) continue;
        blur_matrix x, y = {0}, want;
        load(xname, &x);
        bool cross = strcmp(yname, "-") != 0;
        if (cross) load(yname, &y);
        char kname[128];
        snprintf(kname, sizeof kname, "%s_k.npy", name);
        load(kname, &want);
        size_t m = cross ? y.rows : x.rows, cells = x.rows * m;
        assert_int_equal(want.rows, x.rows);
        assert_int_equal(want.cols, m);
        bool offset = strcmp(name, "offset") == 0;
        double *k = malloc(cells * sizeof(double));
        assert_non_null(k);
        for (int variant = 0; variant < 6; variant++) {
            blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
            opt.gamma = gamma;
            opt.method = variant < 2 ? BLUR_RBF_EXACT : BLUR_RBF_FAST;
            opt.threads = (unsigned)(variant % 3) + 1;
            bool generic = variant == 5;
            assert_int_equal(blur__rbf_compute(&x, cross ? &y : NULL, &opt, 0, x.rows, !cross,
                                               generic, k, cells),
                             BLUR_OK);
            for (size_t i = 0; i < cells; i++)
                if (!(k[i] >= 0.0 && k[i] <= 1.0)) fail_msg("%s: K[%zu] = %g", name, i, k[i]);
            /* A large offset against the spread defeats |x|^2 + |y|^2 - 2x.y (documented);
             * the exact path must still hold. */
            if (offset && opt.method == BLUR_RBF_FAST) continue;
            double worst = max_rel_diff(k, want.data, cells);
            if (worst > 1e-12)
                fail_msg("%s, variant %d: max relative difference %.3g from scipy", name,
                         variant, worst);
        }
        free(k);
        blur_matrix_free(&x);
        blur_matrix_free(&y);
        blur_matrix_free(&want);
        cases++;
    }
    fclose(fp);
    assert_true(cases >= 9);
}

static void random_points(blur_matrix *x, size_t rows, size_t cols, double offset,
                          uint64_t seed)
{
    x->rows = rows;
    x->cols = cols;
    x->data = malloc(rows * cols * sizeof(double));
    assert_non_null(x->data);
    uint64_t s = seed;
    for (size_t i = 0; i < rows * cols; i++)
        x->data[i] = offset + (double)(test_rand(&s) >> 11) * 0x1p-53 * 4.0 - 2.0;
}

/* The symmetric matrix: mirrored bit for bit, diagonal exactly 1, and every block of rows
 * computed alone equal to the whole; the thread count changes nothing. */
static void test_symmetric_and_rows(void **state)
{
    (void)state;
    blur_matrix x;
    random_points(&x, 203, 19, 0.0, 42);
    size_t n = x.rows;
    for (int method = 0; method < 2; method++) {
        blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
        opt.sigma = 2.5;
        opt.method = (blur_rbf_method)method;
        opt.threads = 1;
        double *k = kernel(&x, NULL, &opt);
        for (size_t i = 0; i < n; i++) {
            assert_true(k[i * n + i] == 1.0);
            for (size_t j = 0; j < n; j++) {
                assert_memory_equal(&k[i * n + j], &k[j * n + i], sizeof(double));
                assert_true(k[i * n + j] <= 1.0 && k[i * n + j] > 0.0);
            }
        }
        opt.threads = 3;
        double *k3 = kernel(&x, &x, &opt); /* y == x is the symmetric case too */
        assert_memory_equal(k, k3, n * n * sizeof(double));
        /* Rows in odd blocks, crossing the bands. */
        double *rows = malloc(n * n * sizeof(double));
        assert_non_null(rows);
        static const size_t blocks[] = {1, 7, 64, 65, 100};
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            memset(rows, 0, n * n * sizeof(double));
            for (size_t r = 0; r < n; r += blocks[b]) {
                size_t count = n - r < blocks[b] ? n - r : blocks[b];
                assert_int_equal(blur_rbf_rows(&x, NULL, &opt, r, count, rows + r * n,
                                               count * n),
                                 BLUR_OK);
            }
            assert_memory_equal(k, rows, n * n * sizeof(double));
        }
        free(rows);
        free(k);
        free(k3);
    }
    free(x.data);
}

/* Fast (both micro-kernels) within 1e-12 relative of exact on centred data, symmetric and
 * cross, with a width that spreads K over many orders of magnitude. */
static void test_fast_matches_exact(void **state)
{
    (void)state;
    blur_matrix x, y;
    random_points(&x, 150, 33, 0.0, 7);
    random_points(&y, 77, 33, 0.5, 8);
    for (int cross = 0; cross < 2; cross++) {
        const blur_matrix *yy = cross ? &y : NULL;
        size_t m = cross ? y.rows : x.rows, cells = x.rows * m;
        blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
        opt.sigma = 0.8;
        opt.method = BLUR_RBF_EXACT;
        double *exact = kernel(&x, yy, &opt);
        opt.method = BLUR_RBF_FAST;
        double *fast = kernel(&x, yy, &opt);
        double *generic = malloc(cells * sizeof(double));
        assert_non_null(generic);
        assert_int_equal(blur__rbf_compute(&x, yy, &opt, 0, x.rows, !cross, true, generic,
                                           cells),
                         BLUR_OK);
        assert_true(max_rel_diff(fast, exact, cells) <= 1e-12);
        assert_true(max_rel_diff(generic, exact, cells) <= 1e-12);
        free(exact);
        free(fast);
        free(generic);
    }
    free(x.data);
    free(y.data);
}

/* Cancellation must never push K over 1: points far from the origin, duplicated across X and
 * Y, where |x|^2 + |y|^2 - 2x.y rounds below 0. */
static void test_clamped(void **state)
{
    (void)state;
    blur_matrix x;
    random_points(&x, 40, 5, 3e7, 99);
    blur_matrix y2 = {x.rows, x.cols, malloc(x.rows * x.cols * sizeof(double))};
    assert_non_null(y2.data);
    memcpy(y2.data, x.data, x.rows * x.cols * sizeof(double));
    blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
    opt.gamma = 1.0;
    double *k = kernel(&x, &y2, &opt);
    for (size_t i = 0; i < x.rows * x.rows; i++) assert_true(k[i] >= 0.0 && k[i] <= 1.0);
    free(k);
    free(x.data);
    free(y2.data);
    /* |x|^2 overflows: FAST takes the exact path (its |x|^2 + |y|^2 - 2 x.y was inf - inf) */
    double far[4] = {1e155, 0.0, 1e155, 1.0}, got[4];
    blur_matrix f = {2, 2, far};
    opt.gamma = 0.5;
    assert_int_equal(blur_rbf(&f, NULL, &opt, got, 4), BLUR_OK);
    assert_true(got[0] == 1.0 && got[3] == 1.0);
    assert_true(fabs(got[1] - exp(-0.5)) <= 1e-15);
    assert_true(got[1] == got[2]);
}

/* The exponential of the fast path over its whole range, alone: points on a line against the
 * origin, so |x - y|^2 = x^2 exactly on both paths and only exp differs. Within 2e-15
 * relative of libm's down to the smallest normal result; subnormal results from libm itself. */
static void test_fast_exponential(void **state)
{
    (void)state;
    enum { N = 20011 };
    blur_matrix x = {N, 1, malloc(N * sizeof(double))}, origin = {1, 1, (double[]){0.0}};
    assert_non_null(x.data);
    for (size_t i = 0; i < N; i++) x.data[i] = (double)i * 0x1p-9; /* x^2 exact */
    blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
    opt.gamma = 745.5 / (x.data[N - 1] * x.data[N - 1]); /* t from 0 to -745.5 */
    double *fast = kernel(&x, &origin, &opt);
    opt.method = BLUR_RBF_EXACT;
    double *exact = kernel(&x, &origin, &opt);
    for (size_t i = 0; i < N; i++) {
        double t = -opt.gamma * (x.data[i] * x.data[i]);
        assert_true(exact[i] == exp(t));
        assert_true(fast[i] <= 1.0);
        if (exact[i] >= 0x1p-1022) {
            if (rel_diff(fast[i], exact[i]) > 2e-15)
                fail_msg("exp(%.17g): fast %.17g, libm %.17g", t, fast[i], exact[i]);
        } else {
            assert_true(fast[i] == exact[i]);
        }
    }
    assert_true(fast[0] == 1.0 && fast[N - 1] == 0.0);
    free(fast);
    free(exact);
    free(x.data);
}

static void test_errors(void **state)
{
    (void)state;
    double data[6] = {0, 1, 2, 3, 4, 5}, k[16];
    blur_matrix x = {3, 2, data}, y3 = {2, 3, data}, empty = {0, 2, data};
    blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
    assert_int_equal(blur_rbf(&x, NULL, &opt, k, 16), BLUR_ERR_INVALID); /* neither */
    opt.sigma = 1.0;
    opt.gamma = 1.0;
    assert_int_equal(blur_rbf(&x, NULL, &opt, k, 16), BLUR_ERR_INVALID); /* both */
    opt.gamma = 0.0;
    assert_int_equal(blur_rbf(&x, NULL, &opt, k, 16), BLUR_OK);
    assert_int_equal(blur_rbf(&x, NULL, &opt, k, 8), BLUR_ERR_INVALID); /* out too small */
    assert_int_equal(blur_rbf(&x, &y3, &opt, k, 16), BLUR_ERR_INVALID); /* d mismatch */
    assert_int_equal(blur_rbf(&empty, NULL, &opt, k, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf(NULL, NULL, &opt, k, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf(&x, NULL, NULL, k, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf(&x, NULL, &opt, NULL, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf_rows(&x, NULL, &opt, 2, 2, k, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf_rows(&x, NULL, &opt, 3, 0, k, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf_rows(&x, NULL, &opt, 2, 1, k, 3), BLUR_OK);
    static const double bad[] = {-1.0, NAN, INFINITY, 1e-200};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        blur_rbf_options o = BLUR_RBF_OPTIONS_INIT;
        o.sigma = bad[i]; /* 1e-200: gamma overflows */
        assert_int_equal(blur_rbf(&x, NULL, &o, k, 16), BLUR_ERR_INVALID);
        o.sigma = 0.0;
        o.gamma = bad[i] == 1e-200 ? -1e-200 : bad[i];
        assert_int_equal(blur_rbf(&x, NULL, &o, k, 16), BLUR_ERR_INVALID);
    }
    /* values that are not finite; out over X */
    double holes[6] = {0, 1, NAN, 3, 4, 5}, wide[6] = {0, 1, 2, 3, 4, INFINITY}, shared[16] = {0};
    blur_matrix with_nan = {3, 2, holes}, with_inf = {3, 2, wide}, inside = {2, 2, shared + 4};
    assert_int_equal(blur_rbf(&with_nan, NULL, &opt, k, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf(&x, &with_inf, &opt, k, 16), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf(&inside, NULL, &opt, shared + 2, 14), BLUR_ERR_INVALID);
    assert_int_equal(blur_rbf(&inside, NULL, &opt, shared + 8, 4), BLUR_OK); /* just after it */
    opt.method = (blur_rbf_method)7;
    assert_int_equal(blur_rbf(&x, NULL, &opt, k, 16), BLUR_ERR_INVALID);
    assert_true(blur_rbf_gamma(NULL) == 0.0);
    blur_rbf_options s2 = BLUR_RBF_OPTIONS_INIT;
    s2.sigma = 2.0;
    assert_true(blur_rbf_gamma(&s2) == 0.125);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_example),
        cmocka_unit_test(test_scipy_fixtures),
        cmocka_unit_test(test_symmetric_and_rows),
        cmocka_unit_test(test_fast_matches_exact),
        cmocka_unit_test(test_clamped),
        cmocka_unit_test(test_fast_exponential),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
