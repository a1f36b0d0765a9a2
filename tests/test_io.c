/* test_io.c — PngSuite through our PNG decoder, pixel for pixel against OpenCV
 * (tests/fixtures/pngsuite_refs.txt, made by tests/fixtures/make_pngsuite_refs.py): every colour
 * type, bit depth and interlacing, backgrounds and alpha, tRNS. And PngSuite's corrupt x*.png
 * must all be refused. */
#include "testutil.h"

#include <dirent.h>

#define SUITE "tests/pngsuite/"

static uint64_t fnv1a64(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static void test_pngsuite_matches_opencv(void **state)
{
    (void)state;
    FILE *refs = fopen(FIXTURES "pngsuite_refs.txt", "r");
    assert_non_null(refs);
    char name[64];
    size_t w, h, bytes;
    int c, checked = 0, wrong = 0;
    unsigned long long hash;
    while (fscanf(refs, "%63s %zu %zu %d %zu %llx", name, &w, &h, &c, &bytes, &hash) == 6) {
        char path[128];
        snprintf(path, sizeof path, SUITE "%s", name);
        blur_image img;
        blur_error err = blur_image_read(path, NULL, &img, NULL);
        if (err) fprintf(stderr, "%s: %s\n", name, blur_strerror(err));
        assert_int_equal(err, BLUR_OK);
        if (img.width != w || img.height != h || img.channels != c ||
            blur_depth_size(img.depth) != bytes)
            fprintf(stderr, "%s: %zux%zu c%d b%zu, expected %zux%zu c%d b%zu\n", name,
                    img.width, img.height, img.channels, blur_depth_size(img.depth), w, h, c,
                    bytes);
        if (img.width != w || img.height != h || img.channels != c ||
            blur_depth_size(img.depth) != bytes) {
            wrong++;
            blur_image_free(&img);
            continue;
        }
        uint64_t got = 0xcbf29ce484222325u;
        size_t row = img.width * (size_t)img.channels * bytes;
        for (size_t y = 0; y < img.height; y++)
            got = fnv1a64(got, (const unsigned char *)img.data + y * img.stride, row);
        if (got != hash) {
            fprintf(stderr, "%s: pixels differ from OpenCV's\n", name);
            wrong++;
        }
        blur_image_free(&img);
        checked++;
    }
    fclose(refs);
    assert_int_equal(wrong, 0);
    assert_true(checked >= 50);
}

/* Every PngSuite x*.png is corrupt on purpose. */
static void test_pngsuite_corrupt_refused(void **state)
{
    (void)state;
    DIR *dir = opendir(SUITE);
    assert_non_null(dir);
    int refused = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] != 'x' || !strstr(e->d_name, ".png")) continue;
        char path[512];
        snprintf(path, sizeof path, SUITE "%s", e->d_name);
        blur_image img;
        blur_error err = blur_image_read(path, NULL, &img, NULL);
        if (err == BLUR_OK) fprintf(stderr, "%s was accepted\n", e->d_name);
        assert_int_not_equal(err, BLUR_OK);
        assert_null(img.data);
        refused++;
    }
    closedir(dir);
    assert_true(refused >= 14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pngsuite_matches_opencv),
        cmocka_unit_test(test_pngsuite_corrupt_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
