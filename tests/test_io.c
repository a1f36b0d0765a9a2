/* test_io.c — PngSuite through our PNG decoder, pixel for pixel against OpenCV
 * (tests/fixtures/pngsuite_refs.txt, made by tests/fixtures/make_pngsuite_refs.py): every colour
 * type, bit depth and interlacing, backgrounds and alpha, tRNS. And PngSuite's corrupt x*.png
 * must all be refused. Photoshop files written by ImageMagick (tests/fixtures/psd/, made by
 * tests/fixtures/make_psd_fixtures.py) decode to the PNG of their pixels. JPEGs decode to
 * OpenCV's pixels (tests/fixtures/jpeg/, make_jpeg_fixtures.py); JPEGs and PNGs with EXIF
 * orientations 1-8 come out turned as OpenCV's imread shows them (tests/fixtures/exif/). */
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

#define PSD FIXTURES "psd/"

/* Gray and RGB, 8 and 16 bits, raw and run-length, with and without alpha; ImageMagick stores
 * colour straight (a flat light colour too, which could pass for blended), the `white` files
 * are blended with white and marked so (Mtrn) as Photoshop stores them; extra channels that
 * are not alpha (no layer information and two of them, or a positive layer count) are left
 * out. */
static void test_psd_matches_its_pixels(void **state)
{
    (void)state;
    static const struct {
        const char *psd, *png;
    } cases[] = {
        {"rgb8_raw.psd", "rgb8.png"},         {"rgb8_rle.psd", "rgb8.png"},
        {"rgba8_rle.psd", "rgba8.png"},       {"gray8_rle.psd", "gray8.png"},
        {"graya8_raw.psd", "graya8.png"},     {"rgb16_raw.psd", "rgb16.png"},
        {"rgba16_rle.psd", "rgba16.png"},     {"rgba8_white.psd", "rgba8_white.png"},
        {"rgba16_white.psd", "rgba16_white.png"},
        {"light8_rle.psd", "light8.png"},     {"rgb8_two_extra.psd", "rgb8.png"},
        {"rgb8_selection.psd", "rgb8.png"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char psd_path[256], png_path[256];
        snprintf(psd_path, sizeof psd_path, PSD "%s", cases[i].psd);
        snprintf(png_path, sizeof png_path, PSD "%s", cases[i].png);
        blur_image psd, png;
        assert_int_equal(blur_image_read(psd_path, NULL, &psd, NULL), BLUR_OK);
        assert_int_equal(blur_image_read(png_path, NULL, &png, NULL), BLUR_OK);
        assert_same_pixels(&psd, &png);
        blur_image_free(&psd);
        blur_image_free(&png);
    }
}

/* What is not read is refused with its reason; a file cut anywhere is refused, never padded. */
static void test_psd_refused(void **state)
{
    (void)state;
    blur_image img;
    assert_int_equal(blur_image_read(PSD "cmyk8.psd", NULL, &img, NULL), BLUR_ERR_UNSUPPORTED);
    assert_null(img.data);
    size_t size;
    unsigned char *bytes = test_read_file(PSD "rgba8_rle.psd", &size);
    unsigned char *copy = malloc(size);
    assert_non_null(copy);
    /* header fields: version at 4, channels at 12, depth at 22, mode at 24 */
    static const struct {
        size_t at;
        unsigned char value;
        blur_error err;
    } edits[] = {
        {5, 2, BLUR_ERR_UNSUPPORTED},  /* PSB */
        {5, 3, BLUR_ERR_CORRUPT},      /* no such version */
        {23, 32, BLUR_ERR_UNSUPPORTED}, /* 32-bit float */
        {25, 2, BLUR_ERR_UNSUPPORTED}, /* indexed colour */
        {13, 0, BLUR_ERR_CORRUPT},     /* no channels */
        {13, 2, BLUR_ERR_CORRUPT},     /* RGB in two channels */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(copy, bytes, size);
        copy[edits[i].at] = edits[i].value;
        assert_int_equal(blur_image_decode(copy, size, NULL, &img, NULL), edits[i].err);
        assert_null(img.data);
    }
    /* Every cut of the file past its magic number is refused: the header and its sections as
     * truncated, run-length rows as truncated or corrupt (a row's data ends early). */
    for (size_t cut = 4; cut < size; cut++) {
        blur_error err = blur_image_decode(bytes, cut, NULL, &img, NULL);
        if (err != BLUR_ERR_TRUNCATED && err != BLUR_ERR_CORRUPT && err != BLUR_ERR_EMPTY)
            fail_msg("cut at %zu of %zu: %s", cut, size, blur_strerror(err));
        assert_null(img.data);
    }
    free(bytes);
    /* raw 16-bit, and a file whose last two channels are not read: cut there too, refused */
    static const char *raw_files[] = {PSD "rgb16_raw.psd", PSD "rgb8_two_extra.psd"};
    for (size_t f = 0; f < 2; f++) {
        bytes = test_read_file(raw_files[f], &size);
        for (size_t cut = 4; cut < size; cut++)
            assert_int_not_equal(blur_image_decode(bytes, cut, NULL, &img, NULL), BLUR_OK);
        free(bytes);
    }
    free(copy);
}

/* The same library as OpenCV's, so the same pixels: baseline, progressive, restart markers,
 * optimized tables, gray, 4:4:4 and 4:2:2 chroma; CMYK within 2 levels (OpenCV's conversion
 * truncates, ours rounds). Every cut of a file is refused, never filled in. */
static void test_jpeg_matches_opencv(void **state)
{
    (void)state;
    FILE *list = fopen(FIXTURES "jpeg/cases.txt", "r");
    assert_non_null(list);
    char name[64];
    int files = 0;
    while (fscanf(list, "%59s", name) == 1) {
        char jpg[256], png[256];
        snprintf(jpg, sizeof jpg, FIXTURES "jpeg/%s", name);
        snprintf(png, sizeof png, FIXTURES "jpeg/%.*s.png", (int)strlen(name) - 4, name);
        blur_image ours, theirs;
        assert_int_equal(blur_image_read(jpg, NULL, &ours, NULL), BLUR_OK);
        assert_int_equal(blur_image_read(png, NULL, &theirs, NULL), BLUR_OK);
        if (strcmp(name, "cmyk.jpg") != 0) {
            assert_same_pixels(&ours, &theirs);
        } else {
            assert_int_equal(ours.channels, 3);
            assert_int_equal(ours.width * ours.height, theirs.width * theirs.height);
            const uint8_t *a = ours.data, *b = theirs.data;
            for (size_t i = 0; i < ours.width * ours.height * 3; i++)
                assert_true(abs(a[i] - b[i]) <= 2);
        }
        blur_image_free(&ours);
        blur_image_free(&theirs);
        files++;
    }
    fclose(list);
    assert_int_equal(files, 8);
    /* 12-bit samples (SOF1, precision 12) and lossless (SOF3) are valid JPEG libjpeg-turbo 2.1
     * does not read: unsupported, not corrupt. */
    size_t size;
    unsigned char *bytes = test_read_file(FIXTURES "jpeg/baseline420.jpg", &size);
    size_t sof = 2;
    while (sof + 4 < size && !(bytes[sof] == 0xff && bytes[sof + 1] == 0xc0)) sof++;
    assert_true(sof + 4 < size && bytes[sof + 4] == 8);
    blur_image img;
    bytes[sof + 1] = 0xc1, bytes[sof + 4] = 12;
    assert_int_equal(blur_image_decode(bytes, size, NULL, &img, NULL), BLUR_ERR_UNSUPPORTED);
    bytes[sof + 1] = 0xc3, bytes[sof + 4] = 8;
    assert_int_equal(blur_image_decode(bytes, size, NULL, &img, NULL), BLUR_ERR_UNSUPPORTED);
    free(bytes);
    static const char *cut_files[] = {"baseline420.jpg", "progressive.jpg"};
    for (size_t f = 0; f < 2; f++) {
        char path[256];
        snprintf(path, sizeof path, FIXTURES "jpeg/%s", cut_files[f]);
        bytes = test_read_file(path, &size);
        for (size_t cut = 3; cut < size; cut++) {
            blur_error err = blur_image_decode(bytes, cut, NULL, &img, NULL);
            if (err != BLUR_ERR_TRUNCATED && err != BLUR_ERR_CORRUPT)
                fail_msg("%s cut at %zu of %zu: %s", cut_files[f], cut, size, blur_strerror(err));
            assert_null(img.data);
        }
        free(bytes);
    }
}

/* A JPEG's ICC profile (one APP2 segment, and 70000 bytes in two) is read whole, and written
 * again into a PNG (iCCP) and a JPEG made from it; a JPEG without one has none; one libpng
 * finds broken is left out of a PNG, which is still written. */
static void test_jpeg_icc_profile(void **state)
{
    (void)state;
    static const char *names[] = {"icc", "icc-large"};
    for (size_t n = 0; n < 2; n++) {
        char path[256];
        snprintf(path, sizeof path, FIXTURES "jpeg/%s.icc", names[n]);
        size_t size;
        unsigned char *profile = test_read_file(path, &size);
        snprintf(path, sizeof path, FIXTURES "jpeg/%s.jpg", names[n]);
        blur_image img;
        blur_image_meta meta;
        assert_int_equal(blur_image_read(path, NULL, &img, &meta), BLUR_OK);
        assert_int_equal(meta.icc_size, size);
        assert_memory_equal(meta.icc, profile, size);
        static const char *outputs[] = {"icc-out.png", "icc-out.jpg"};
        for (size_t o = 0; o < 2; o++) {
            char out[256];
            snprintf(out, sizeof out, "%s/%s", test_tmpdir(), outputs[o]);
            blur_write_options wo = BLUR_WRITE_OPTIONS_INIT;
            wo.meta = &meta;
            assert_int_equal(blur_image_write(out, &img, &wo), BLUR_OK);
            blur_image back;
            blur_image_meta back_meta;
            assert_int_equal(blur_image_read(out, NULL, &back, &back_meta), BLUR_OK);
            assert_int_equal(back_meta.icc_size, size);
            assert_memory_equal(back_meta.icc, profile, size);
            blur_image_free(&back);
            blur_image_meta_free(&back_meta);
        }
        blur_image_free(&img);
        blur_image_meta_free(&meta);
        free(profile);
    }
    blur_image img;
    blur_image_meta meta;
    assert_int_equal(blur_image_read(FIXTURES "jpeg/baseline420.jpg", NULL, &img, &meta),
                     BLUR_OK);
    assert_null(meta.icc);
    blur_image_free(&img);
    /* a profile libpng cannot take: the PNG is written without it */
    assert_int_equal(blur_image_read(FIXTURES "jpeg/icc-broken.jpg", NULL, &img, &meta),
                     BLUR_OK);
    assert_int_equal(meta.icc_size, 200);
    char out[256];
    snprintf(out, sizeof out, "%s/icc-broken.png", test_tmpdir());
    blur_write_options wo = BLUR_WRITE_OPTIONS_INIT;
    wo.meta = &meta;
    assert_int_equal(blur_image_write(out, &img, &wo), BLUR_OK);
    blur_image back;
    blur_image_meta back_meta;
    assert_int_equal(blur_image_read(out, NULL, &back, &back_meta), BLUR_OK);
    assert_null(back_meta.icc);
    blur_image_free(&back);
    blur_image_free(&img);
    blur_image_meta_free(&meta);
}

/* Each orientation's file is the orientation-1 file of its kind (JPEG, PNG) moved as
 * orientations.txt (what OpenCV does) says: displayed (x, y) is stored (y, x) if transposed,
 * then mirrored. */
static void test_exif_orientation(void **state)
{
    (void)state;
    FILE *list = fopen(FIXTURES "exif/orientations.txt", "r");
    assert_non_null(list);
    char name[64];
    int transpose, mirror_x, mirror_y, files = 0;
    while (fscanf(list, "%63s %d %d %d", name, &transpose, &mirror_x, &mirror_y) == 4) {
        char path[256], stored_path[256];
        snprintf(path, sizeof path, FIXTURES "exif/%s", name);
        snprintf(stored_path, sizeof stored_path, FIXTURES "exif/orientation1%s",
                 strrchr(name, '.'));
        blur_image shown, stored;
        assert_int_equal(blur_image_read(stored_path, NULL, &stored, NULL), BLUR_OK);
        assert_int_equal(stored.width, 24);
        assert_int_equal(stored.height, 16);
        assert_int_equal(blur_image_read(path, NULL, &shown, NULL), BLUR_OK);
        assert_int_equal(shown.width, transpose ? stored.height : stored.width);
        assert_int_equal(shown.height, transpose ? stored.width : stored.height);
        for (size_t y = 0; y < shown.height; y++)
            for (size_t x = 0; x < shown.width; x++) {
                size_t sx = transpose ? y : x, sy = transpose ? x : y;
                if (mirror_x) sx = stored.width - 1 - sx;
                if (mirror_y) sy = stored.height - 1 - sy;
                assert_memory_equal((const char *)shown.data + y * shown.stride + x * 3,
                                    (const char *)stored.data + sy * stored.stride + sx * 3, 3);
            }
        blur_image_free(&shown);
        blur_image_free(&stored);
        files++;
    }
    fclose(list);
    assert_int_equal(files, 18);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pngsuite_matches_opencv),
        cmocka_unit_test(test_pngsuite_corrupt_refused),
        cmocka_unit_test(test_psd_matches_its_pixels),
        cmocka_unit_test(test_psd_refused),
        cmocka_unit_test(test_jpeg_matches_opencv),
        cmocka_unit_test(test_jpeg_icc_profile),
        cmocka_unit_test(test_exif_orientation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
