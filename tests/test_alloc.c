/* test_alloc.c — allocation failures injected. The test is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc, so every allocation made by libblur (and by
 * stb, compiled into it) goes through the wrappers below; libpng and zlib allocate in their own
 * shared libraries and are not affected. Each operation is run again and again with the Nth
 * allocation failing, N = 1, 2, ... until it succeeds: every failure must come back as an
 * error (never a crash), leave no output file, and leak nothing (LeakSanitizer in
 * `make test SANITIZE=1`). */
#include "testutil.h"

#include <errno.h>
#include <sys/stat.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void *__wrap_realloc(void *ptr, size_t size);

static _Atomic long allocations; /* counted while armed */
static _Atomic long fail_at;     /* the allocation to fail; 0 = none */
static _Atomic int armed;

static int should_fail(void)
{
    if (!armed) return 0;
    long n = ++allocations;
    return n == fail_at;
}

void *__wrap_malloc(size_t size) { return should_fail() ? NULL : __real_malloc(size); }
void *__wrap_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : __real_calloc(count, size);
}
void *__wrap_realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : __real_realloc(ptr, size);
}

typedef blur_error operation(void *ctx);

/* Runs op with each allocation failing in turn; returns how many failures were tried. */
static long exhaust(operation *op, void *ctx, const char *must_not_exist)
{
    for (long n = 1;; n++) {
        allocations = 0;
        fail_at = n;
        armed = 1;
        blur_error err = op(ctx);
        armed = 0;
        long made = allocations;
        if (made < n) {
            if (err) fail_msg("nothing failed, yet %s (%s)", blur_strerror(err), strerror(errno));
            return n - 1;
        }
        if (err == BLUR_OK) continue; /* the failed allocation was optional (a fallback) */
        if (must_not_exist) {
            struct stat st;
            assert_int_not_equal(stat(must_not_exist, &st), 0);
        }
    }
}

/* A new path in the test's directory; kept reachable in made[] so LeakSanitizer is quiet. */
static char *tmp_path(const char *name)
{
    static char *made[16];
    static int count;
    char *path = __real_malloc(256);
    snprintf(path, 256, "%s/%s", test_tmpdir(), name);
    if (count < 16) made[count++] = path;
    return path;
}

static blur_image sample;
static const char *sample_png, *sample_bmp;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(blur_image_alloc(&sample, 40, 30, 4, BLUR_U8), BLUR_OK);
    uint64_t seed = 1;
    unsigned char *p = sample.data;
    for (size_t i = 0; i < sample.stride * sample.height; i++) p[i] = (unsigned char)test_rand(&seed);
    sample_png = tmp_path("sample.png");
    sample_bmp = tmp_path("sample.bmp");
    assert_int_equal(blur_image_write(sample_png, &sample, NULL), BLUR_OK);
    assert_int_equal(blur_image_write(sample_bmp, &sample, NULL), BLUR_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    blur_image_free(&sample);
    return 0;
}

static blur_error op_read(void *path)
{
    blur_image img;
    blur_image_meta meta;
    blur_error err = blur_image_read(path, NULL, &img, &meta);
    blur_image_free(&img);
    blur_image_meta_free(&meta);
    return err;
}

static blur_error op_write(void *path)
{
    return blur_image_write(path, &sample, NULL);
}

static blur_error op_blur_file(void *out)
{
    blur_options opt = BLUR_OPTIONS_INIT;
    opt.sigma_x = opt.sigma_y = 2.0;
    blur_plan *plan;
    blur_error err = blur_plan_create(&opt, &plan);
    if (err) return err;
    err = blur_file(plan, sample_png, out, NULL, NULL, NULL);
    blur_plan_free(plan);
    return err;
}

static blur_error op_plan_run(void *ctx)
{
    (void)ctx;
    blur_options opt = BLUR_OPTIONS_INIT;
    opt.sigma_x = 1.5;
    opt.sigma_y = 3.0;
    opt.threads = 3;
    blur_image dst;
    blur_error err = blur_image_alloc(&dst, sample.width, sample.height, sample.channels,
                                      sample.depth);
    if (!err) err = blur_gaussian(&sample, &dst, &opt);
    blur_image_free(&dst);
    return err;
}

static blur_error op_matrix(void *path)
{
    blur_matrix m;
    blur_error err = blur_matrix_read(path, &m, NULL);
    if (!err) err = blur_matrix_write(tmp_path("m-out.csv"), &m);
    blur_matrix_free(&m);
    return err;
}

static void test_read_png(void **state)
{
    (void)state;
    assert_true(exhaust(op_read, (void *)sample_png, NULL) > 0);
}

static void test_read_stb(void **state)
{
    (void)state;
    assert_true(exhaust(op_read, (void *)sample_bmp, NULL) > 0);
}

static void test_write_png_and_stb(void **state)
{
    (void)state;
    const char *png = tmp_path("w.png"), *tga = tmp_path("w.tga");
    assert_true(exhaust(op_write, (void *)png, png) > 0);
    assert_true(exhaust(op_write, (void *)tga, tga) > 0);
}

static void test_blur_file(void **state)
{
    (void)state;
    const char *out = tmp_path("streamed.png");
    assert_true(exhaust(op_blur_file, (void *)out, out) > 0);
}

static void test_plan_run(void **state)
{
    (void)state;
    assert_true(exhaust(op_plan_run, NULL, NULL) > 0);
}

static void test_matrix(void **state)
{
    (void)state;
    const char *csv = tmp_path("m.csv");
    FILE *fp = fopen(csv, "w");
    fputs("1,2,3\n4,5,6\n", fp);
    fclose(fp);
    assert_true(exhaust(op_matrix, (void *)csv, NULL) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_png),      cmocka_unit_test(test_read_stb),
        cmocka_unit_test(test_write_png_and_stb), cmocka_unit_test(test_blur_file),
        cmocka_unit_test(test_plan_run),      cmocka_unit_test(test_matrix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
