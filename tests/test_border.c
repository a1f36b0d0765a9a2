/* test_border.c — border index mapping held to scipy.ndimage (tests/fixtures/filter/
 * border_index.npy, made by correlate1d of 0..n-1 with one-hot weights), and the name table. */
#include "testutil.h"

static const blur_border modes[] = {BLUR_BORDER_REFLECT, BLUR_BORDER_MIRROR,
                                    BLUR_BORDER_NEAREST, BLUR_BORDER_CONSTANT,
                                    BLUR_BORDER_WRAP};

static void test_matches_scipy(void **state)
{
    (void)state;
    blur_matrix m;
    assert_int_equal(blur_matrix_read(FIXTURES "filter/border_index.npy", &m, NULL), BLUR_OK);
    assert_int_equal(m.cols, 9);
    assert_true(m.rows >= 5 * 6 * 41);
    for (size_t r = 0; r < m.rows; r++) {
        const double *row = m.data + r * m.cols;
        blur_border mode = modes[(int)row[0]];
        long n = (long)row[1], d = (long)row[2];
        for (long i = 0; i < n; i++) {
            long want = (long)row[3 + i];
            long got = blur__border_index(mode, i + d, n);
            if (got != want)
                fail_msg("%s n=%ld at %ld: got %ld, scipy %ld", blur_border_name(mode), n,
                         i + d, got, want);
        }
    }
    blur_matrix_free(&m);
}

/* Far from the image the mapping stays in range and keeps its period. */
static void test_far_away(void **state)
{
    (void)state;
    for (size_t k = 0; k < 5; k++) {
        for (long n = 1; n < 9; n++) {
            for (long i = -1000003; i < 1000003; i += 99991) {
                long m = blur__border_index(modes[k], i, n);
                if (modes[k] == BLUR_BORDER_CONSTANT && (i < 0 || i >= n)) {
                    assert_int_equal(m, -1);
                    continue;
                }
                assert_true(m >= 0 && m < n);
                long period = modes[k] == BLUR_BORDER_REFLECT ? 2 * n
                              : modes[k] == BLUR_BORDER_MIRROR ? (n > 1 ? 2 * n - 2 : 1)
                              : modes[k] == BLUR_BORDER_WRAP   ? n
                                                               : 0;
                if (period) assert_int_equal(m, blur__border_index(modes[k], i + 7 * period, n));
            }
        }
    }
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        blur_border border;
    } names[] = {
        {"reflect", BLUR_BORDER_REFLECT},        {"BORDER_REFLECT", BLUR_BORDER_REFLECT},
        {"mirror", BLUR_BORDER_MIRROR},          {"BORDER_REFLECT_101", BLUR_BORDER_MIRROR},
        {"reflect101", BLUR_BORDER_MIRROR},      {"BORDER_DEFAULT", BLUR_BORDER_MIRROR},
        {"nearest", BLUR_BORDER_NEAREST},        {"BORDER_REPLICATE", BLUR_BORDER_NEAREST},
        {"constant", BLUR_BORDER_CONSTANT},      {"BORDER_CONSTANT", BLUR_BORDER_CONSTANT},
        {"grid-constant", BLUR_BORDER_CONSTANT}, {"wrap", BLUR_BORDER_WRAP},
        {"BORDER_WRAP", BLUR_BORDER_WRAP},       {"grid-wrap", BLUR_BORDER_WRAP},
        {"Grid-Mirror", BLUR_BORDER_REFLECT},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        blur_border b;
        assert_int_equal(blur_border_from_name(names[i].name, &b), BLUR_OK);
        assert_int_equal(b, names[i].border);
    }
    blur_border b;
    assert_int_equal(blur_border_from_name("sideways", &b), BLUR_ERR_UNKNOWN_NAME);
    assert_int_equal(blur_border_from_name("BORDER_TRANSPARENT", &b), BLUR_ERR_UNKNOWN_NAME);
    for (size_t k = 0; k < 5; k++) {
        assert_int_equal(blur_border_from_name(blur_border_name(modes[k]), &b), BLUR_OK);
        assert_int_equal(b, modes[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_scipy),
        cmocka_unit_test(test_far_away),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
