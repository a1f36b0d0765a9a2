/* test_matrix.c — .npy and CSV matrices: numpy-written fixtures of many dtypes, byte orders,
 * layouts and shapes (tests/fixtures/matrix, made by make_rbf_fixtures.py), malformed input
 * with the line it is reported at, and the writers (whole and by blocks of rows). */
#include "testutil.h"

#include <math.h>
#include <sys/stat.h>

/* The fixtures' values: v[i][j] = 10 i + j - 3, 4 × 3; unsigned ones are shifted by 3. */
static void expect_v(const blur_matrix *m, double shift)
{
    assert_int_equal(m->rows, 4);
    assert_int_equal(m->cols, 3);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 3; j++)
            assert_true(m->data[i * 3 + j] == 10.0 * (double)i + (double)j - 3.0 + shift);
}

static blur_error read_fixture(const char *name, blur_matrix *m, blur_matrix_info *info)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURES "matrix/%s", name);
    return blur_matrix_read_info(path, m, info);
}

static void test_dtypes_and_orders(void **state)
{
    (void)state;
    static const char *const dtypes[] = {"le_f8", "be_f8", "le_f4", "be_f4", "i1", "le_i2",
                                         "be_i4", "le_i8", "u1", "le_u2", "le_u4", "be_u8"};
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        for (int fortran = 0; fortran < 2; fortran++) {
            char name[64];
            snprintf(name, sizeof name, "v_%s%s.npy", dtypes[i], fortran ? "_fortran" : "");
            blur_matrix m;
            blur_matrix_info info;
            blur_error err = read_fixture(name, &m, &info);
            if (err) fail_msg("%s: %s (%s)", name, blur_strerror(err), info.reason);
            assert_int_equal(info.ndim, 2);
            assert_true(info.is_npy);
            expect_v(&m, dtypes[i][strlen(dtypes[i]) - 2] == 'u' ? 3.0 : 0.0);
            blur_matrix_free(&m);
        }
    blur_matrix m;
    blur_matrix_info info;
    assert_int_equal(read_fixture("v.csv", &m, &info), BLUR_OK);
    assert_int_equal(info.ndim, 2);
    assert_false(info.is_npy);
    expect_v(&m, 0.0);
    blur_matrix_free(&m);
}

static void test_shapes(void **state)
{
    (void)state;
    blur_matrix m;
    blur_matrix_info info;
    assert_int_equal(read_fixture("shape_1d.npy", &m, &info), BLUR_OK);
    assert_int_equal(info.ndim, 1);
    assert_int_equal(m.rows, 1);
    assert_int_equal(m.cols, 5);
    assert_true(m.data[4] == 4.0);
    blur_matrix_free(&m);
    assert_int_equal(read_fixture("shape_0d.npy", &m, &info), BLUR_OK);
    assert_int_equal(info.ndim, 0);
    assert_int_equal(m.rows * m.cols, 1);
    assert_true(m.data[0] == 7.5);
    blur_matrix_free(&m);
    assert_int_equal(read_fixture("shape_3d.npy", &m, &info), BLUR_OK);
    assert_int_equal(info.ndim, 3);
    assert_int_equal(m.rows, 2);
    assert_int_equal(m.cols, 12);
    assert_true(m.data[13] == 13.0);
    blur_matrix_free(&m);
    assert_int_equal(read_fixture("shape_col.npy", &m, &info), BLUR_OK);
    assert_int_equal(m.rows, 6);
    assert_int_equal(m.cols, 1);
    blur_matrix_free(&m);
}

/* A refused input: the error, the 1-based line or row, and a reason naming the problem. */
static void expect_refusal(const char *name, blur_error got, const blur_matrix_info *info,
                           blur_error want, size_t where, const char *reason)
{
    if (got != want)
        fail_msg("%s: got '%s', want '%s'", name, blur_strerror(got), blur_strerror(want));
    assert_int_equal(info->where, where);
    if (!strstr(info->reason, reason))
        fail_msg("%s: reason '%s' lacks '%s'", name, info->reason, reason);
}

static void test_malformed_npy(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        blur_error err;
        size_t where;
        const char *reason; /* a substring */
    } cases[] = {
        {"nan.npy", BLUR_ERR_PARSE, 3, "NaN in column 2"},
        {"inf_f32.npy", BLUR_ERR_PARSE, 4, "infinity in column 1"},
        {"float16.npy", BLUR_ERR_UNSUPPORTED, 0, "dtype '<f2'"},
        {"complex.npy", BLUR_ERR_UNSUPPORTED, 0, "dtype '<c16'"},
        {"truncated.npy", BLUR_ERR_TRUNCATED, 0, "the data ends after"},
        {"truncated_header.npy", BLUR_ERR_TRUNCATED, 0, "header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        blur_matrix m;
        blur_matrix_info info;
        blur_error err = read_fixture(cases[i].name, &m, &info);
        expect_refusal(cases[i].name, err, &info, cases[i].err, cases[i].where, cases[i].reason);
        assert_null(m.data);
    }
}

static void test_malformed_csv(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        blur_error err;
        size_t where;
        const char *reason;
    } cases[] = {
        {"1,2,3\n4,5\n", BLUR_ERR_PARSE, 2, "2 values where the rows above have 3"},
        {"# header\n\n1 2\n3 4 5\n", BLUR_ERR_PARSE, 4, "3 values where the rows above have 2"},
        {"1,2\n3,nan\n", BLUR_ERR_PARSE, 2, "NaN in column 2"},
        {"1,2\n3,-inf\n", BLUR_ERR_PARSE, 2, "infinity in column 2"},
        {"1,2\n3,abc\n", BLUR_ERR_PARSE, 2, "not a number: 'abc'"},
        {"1,2\n3,1e999\n", BLUR_ERR_PARSE, 2, "infinity"},
        {"# only a comment\n\n", BLUR_ERR_EMPTY, 0, "no numbers"},
        {"", BLUR_ERR_EMPTY, 0, ""},
        {"1,2\0,3\n", BLUR_ERR_PARSE, 0, "binary"},
        /* empty fields (read as one separator, 1,,3 had been the two values 1 and 3) */
        {"1,,3\n4,,6\n", BLUR_ERR_PARSE, 1, "empty field in column 2"},
        {"1,2\n3,4,\n", BLUR_ERR_PARSE, 2, "empty field in column 3"},
        {" ; 1;2\n", BLUR_ERR_PARSE, 1, "empty field in column 1"},
        {"1,5;2,5\n", BLUR_ERR_PARSE, 1, "both ',' and ';' separate values"},
        {"1,0x10\n", BLUR_ERR_PARSE, 1, "not a number: '0x10'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        blur_matrix m;
        blur_matrix_info info;
        size_t len = strlen(cases[i].text);
        if (i == 8) len = 7; /* with its NUL */
        blur_error err = blur_matrix_parse_info(cases[i].text, len, &m, &info);
        char name[32];
        snprintf(name, sizeof name, "case %zu", i);
        expect_refusal(name, err, &info, cases[i].err, cases[i].where, cases[i].reason);
        size_t where = 99;
        assert_int_equal(blur_matrix_parse(cases[i].text, len, &m, &where), cases[i].err);
        assert_int_equal(where, cases[i].where);
    }
    /* Blanks, tabs, semicolons, CRLF, comments between rows. */
    blur_matrix m;
    const char *text = "1.5\t-2e3 ; 3\r\n# skip\n  4,5,6\r\n";
    assert_int_equal(blur_matrix_parse(text, strlen(text), &m, NULL), BLUR_OK);
    assert_int_equal(m.rows, 2);
    assert_int_equal(m.cols, 3);
    assert_true(m.data[1] == -2000.0 && m.data[5] == 6.0);
    blur_matrix_free(&m);
}

/* Whole and by blocks of rows, .npy and CSV: the same bytes, read back exactly. */
static void test_writers(void **state)
{
    (void)state;
    enum { R = 37, C = 5 };
    double data[R * C];
    uint64_t s = 3;
    for (size_t i = 0; i < R * C; i++)
        data[i] = ((double)(test_rand(&s) >> 11) - 0x1p52) * 0x1p-40;
    blur_matrix m = {R, C, data};
    static const char *const ext[] = {"npy", "csv"};
    for (int e = 0; e < 2; e++) {
        char whole[256], blocks[256];
        snprintf(whole, sizeof whole, "%s/whole.%s", test_tmpdir(), ext[e]);
        snprintf(blocks, sizeof blocks, "%s/blocks.%s", test_tmpdir(), ext[e]);
        assert_int_equal(blur_matrix_write(whole, &m), BLUR_OK);
        blur_matrix_writer *w;
        assert_int_equal(blur_matrix_writer_open(blocks, R, C, &w), BLUR_OK);
        for (size_t r = 0; r < R; r += 10) {
            size_t count = R - r < 10 ? R - r : 10;
            assert_int_equal(blur_matrix_writer_rows(w, data + r * C, count), BLUR_OK);
        }
        assert_int_equal(blur_matrix_writer_rows(w, data, 1), BLUR_ERR_INVALID); /* too many */
        assert_int_equal(blur_matrix_writer_close(w), BLUR_OK);
        blur_matrix a, b;
        blur_matrix_info info;
        assert_int_equal(blur_matrix_read_info(whole, &a, &info), BLUR_OK);
        assert_int_equal(info.is_npy, e == 0);
        assert_int_equal(blur_matrix_read(blocks, &b, NULL), BLUR_OK);
        assert_int_equal(a.rows, R);
        assert_int_equal(a.cols, C);
        assert_memory_equal(a.data, data, sizeof data);
        assert_memory_equal(b.data, data, sizeof data);
        blur_matrix_free(&a);
        blur_matrix_free(&b);
        /* The .npy header is 64-byte aligned as numpy writes it. */
        if (e == 0) {
            struct stat st;
            assert_int_equal(stat(whole, &st), 0);
            assert_int_equal((size_t)st.st_size, 128 + sizeof data);
        }
    }
    /* A writer closed early leaves nothing behind. */
    char partial[256];
    snprintf(partial, sizeof partial, "%s/partial.npy", test_tmpdir());
    blur_matrix_writer *w;
    assert_int_equal(blur_matrix_writer_open(partial, R, C, &w), BLUR_OK);
    assert_int_equal(blur_matrix_writer_rows(w, data, 3), BLUR_OK);
    assert_int_equal(blur_matrix_writer_close(w), BLUR_ERR_INVALID);
    struct stat st;
    assert_int_equal(stat(partial, &st), -1);
    assert_int_equal(blur_matrix_writer_open(partial, R, C, &w), BLUR_OK);
    blur_matrix_writer_abort(w);
    assert_int_equal(stat(partial, &st), -1);
    blur_matrix_writer_abort(NULL);
    assert_int_equal(blur_matrix_writer_open(partial, 0, C, &w), BLUR_ERR_INVALID);
    assert_null(w);
    assert_int_equal(blur_matrix_writer_open(partial, SIZE_MAX, 2, &w), BLUR_ERR_OVERFLOW);
    char nodir[256];
    snprintf(nodir, sizeof nodir, "%s/missing/k.npy", test_tmpdir());
    assert_int_equal(blur_matrix_writer_open(nodir, 2, 2, &w), BLUR_ERR_OPEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtypes_and_orders),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_malformed_npy),
        cmocka_unit_test(test_malformed_csv),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
