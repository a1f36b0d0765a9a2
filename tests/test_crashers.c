/* test_crashers.c — every input that ever crashed a fuzz target (tests/crashers/, named after
 * the flaw; README there says which fix each one checks) goes through the decoder it crashed,
 * from memory and from a file, and what decodes is encoded again, as the fuzzer did. Under
 * `make test SANITIZE=1` a regression is an ASan/UBSan report. */
#include "testutil.h"

#include <dirent.h>
#include <sys/resource.h>

#define CRASHERS "tests/crashers/"

static void run_one(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, CRASHERS "%s", name);
    size_t size;
    unsigned char *bytes = test_read_file(path, &size);
    if (strncmp(name, "matrix-", 7) == 0) {
        blur_matrix m;
        size_t where;
        blur_error err = blur_matrix_parse(bytes, size, &m, &where);
        if (err) assert_null(m.data);
        blur_matrix_free(&m);
        err = blur_matrix_read(path, &m, &where);
        blur_matrix_free(&m);
    } else {
        blur_read_options opt = BLUR_READ_OPTIONS_INIT;
        blur_image img;
        blur_image_meta meta;
        blur_error err = blur_image_decode(bytes, size, &opt, &img, &meta);
        if (err == BLUR_OK) {
            FILE *sink = fopen("/dev/null", "wb");
            assert_non_null(sink);
            blur_write_options wo = BLUR_WRITE_OPTIONS_INIT;
            assert_int_equal(blur__png_encode(sink, &img, &wo), BLUR_OK);
            assert_int_equal(blur__jpeg_encode(sink, &img, &wo), BLUR_OK);
            fclose(sink);
        } else {
            assert_null(img.data);
        }
        blur_image_free(&img);
        blur_image_meta_free(&meta);
        err = blur_image_read(path, &opt, &img, NULL);
        blur_image_free(&img);
    }
    free(bytes);
}

static void test_crashers_do_not_crash(void **state)
{
    (void)state;
    DIR *dir = opendir(CRASHERS);
    assert_non_null(dir);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README") == 0) continue;
        run_one(e->d_name);
        count++;
    }
    closedir(dir);
    assert_true(count >= 1);
}

/* The ones whose fix makes them errors, with the error the fix gives. */
static void test_crashers_refused(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        blur_error err;
    } cases[] = {
        {"stbi-jpeg-dht-over-256.jpg", BLUR_ERR_CORRUPT},
        {"stbi-jpeg-dht-over-256-in-info.jpg", BLUR_ERR_CORRUPT},
        /* fill bytes before SOI: libjpeg (as OpenCV) reads no JPEG there */
        {"stbi-jpeg-dht-over-256-after-fill.jpg", BLUR_ERR_UNKNOWN_FORMAT},
        {"stbi-jpeg-dht-over-256-in-sniff.jpg", BLUR_ERR_UNKNOWN_FORMAT},
        {"stbi-pnm-integer-overflow.pgm", BLUR_ERR_CORRUPT},
        {"png-itxt-1.5gb-length.png", BLUR_ERR_TRUNCATED},
        {"stbi-hdr-rle-truncated-hang.hdr", BLUR_ERR_TRUNCATED},
        {"stbi-hdr-nul-header-line-hang.hdr", BLUR_ERR_TRUNCATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, CRASHERS "%s", cases[i].name);
        blur_image img;
        assert_int_equal(blur_image_read(path, NULL, &img, NULL), cases[i].err);
    }
    /* Refused without the allocation: the peak resident size grows by well under the 1.5 GB
     * the chunk declares (libpng used to allocate and zero all of it). */
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    blur_image img;
    assert_int_equal(blur_image_read(CRASHERS "png-itxt-1.5gb-length.png", NULL, &img, NULL),
                     BLUR_ERR_TRUNCATED);
    getrusage(RUSAGE_SELF, &after);
    assert_true(after.ru_maxrss - before.ru_maxrss < 200 * 1024); /* kB */
    blur_matrix m;
    assert_int_equal(blur_matrix_read(CRASHERS "matrix-npy-zero-shape.npy", &m, NULL),
                     BLUR_ERR_EMPTY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crashers_do_not_crash),
        cmocka_unit_test(test_crashers_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
