/* test_stream.c — file to file: the streamed PNG path gives exactly what the in-memory path
 * gives, for every border mode, radii beyond the image, odd strip boundaries, every layout,
 * images with alpha (held whole where the decimated path may take them);
 * damaged inputs leave nothing behind. */
#include "testutil.h"

#include <sys/stat.h>

static char *tmp_path(const char *name)
{
    static char path[2][256];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", test_tmpdir(), name);
    return path[which];
}

static void random_image(blur_image *img, size_t w, size_t h, int channels, blur_depth depth,
                         uint64_t seed)
{
    assert_int_equal(blur_image_alloc(img, w, h, channels, depth), BLUR_OK);
    unsigned char *p = img->data;
    for (size_t i = 0; i < img->stride * h; i++) p[i] = (unsigned char)test_rand(&seed);
}

/* Streams in.png → out.png and checks it against blur_plan_run on the same pixels. */
static void check_stream_matches_memory(const blur_image *img, const blur_options *opt)
{
    const char *in = tmp_path("in.png");
    const char *out = tmp_path("out.png");
    assert_int_equal(blur_image_write(in, img, NULL), BLUR_OK);
    blur_plan *plan;
    assert_int_equal(blur_plan_create(opt, &plan), BLUR_OK);
    const char *failed = NULL;
    assert_int_equal(blur_file(plan, in, out, NULL, NULL, &failed), BLUR_OK);
    blur_image expect, got;
    assert_int_equal(blur_image_alloc(&expect, img->width, img->height, img->channels, img->depth),
                     BLUR_OK);
    assert_int_equal(blur_plan_run(plan, img, &expect), BLUR_OK);
    assert_int_equal(blur_image_read(out, NULL, &got, NULL), BLUR_OK);
    assert_int_equal(got.depth, img->depth);
    assert_memory_equal(got.data, expect.data, expect.stride * expect.height);
    blur_image_free(&expect);
    blur_image_free(&got);
    blur_plan_free(plan);
}

static void test_stream_equals_memory_every_mode(void **state)
{
    (void)state;
    /* Heights around the strip size (32) and below the radius; all five borders. */
    const size_t heights[] = {1, 5, 31, 33, 70};
    const double sigmas[] = {0.7, 3.0, 9.0};
    uint64_t seed = 7;
    for (int border = 0; border < BLUR_BORDER_COUNT_; border++)
        for (size_t h = 0; h < sizeof heights / sizeof heights[0]; h++)
            for (size_t s = 0; s < sizeof sigmas / sizeof sigmas[0]; s++) {
                blur_image img;
                random_image(&img, 9, heights[h], 3, BLUR_U8, seed++);
                blur_options opt = BLUR_OPTIONS_INIT;
                opt.sigma_x = opt.sigma_y = sigmas[s];
                opt.border = (blur_border)border;
                opt.cval = 40;
                check_stream_matches_memory(&img, &opt);
                blur_image_free(&img);
            }
}

/* Every layout, on 1 to 3 threads (a streamed strip is cut into a band a thread). */
static void test_stream_every_layout(void **state)
{
    (void)state;
    for (int channels = 1; channels <= 4; channels++)
        for (int depth = 1; depth <= 2; depth++) {
            blur_image img;
            random_image(&img, 17, 145, channels, (blur_depth)depth, (uint64_t)(channels * depth));
            blur_options opt = BLUR_OPTIONS_INIT;
            opt.sigma_x = 1.5;
            opt.sigma_y = 2.5;
            opt.threads = 1 + (unsigned)(channels + depth) % 3;
            check_stream_matches_memory(&img, &opt);
            blur_image_free(&img);
        }
}

/* An image with alpha at a sigma the decimated path takes is read whole (filter.c's
 * blur__plan_wants_whole), as only the whole image tells whether its alpha is opaque: the file
 * then gives the in-memory result, the decimated path's when the alpha is opaque everywhere,
 * the premultiplied FIR's when one pixel is not or a constant border brings alpha 0. */
static void test_alpha_held_whole(void **state)
{
    (void)state;
    for (int channels = 2; channels <= 4; channels += 2)
        for (int variant = 0; variant < 3; variant++) {
            blur_image img;
            random_image(&img, 37, 29, channels, BLUR_U8, (uint64_t)(11 + variant));
            unsigned char *p = img.data;
            const size_t ch = (size_t)channels;
            for (size_t i = ch - 1; i < img.stride * img.height; i += ch) p[i] = 255;
            if (variant == 1) p[5 * img.stride + 7 * ch + ch - 1] = 9;
            blur_options opt = BLUR_OPTIONS_INIT;
            opt.sigma_x = opt.sigma_y = 12.0;
            if (variant == 2) opt.border = BLUR_BORDER_CONSTANT; /* alpha 0 beyond the edges */
            blur_plan *plan;
            assert_int_equal(blur_plan_create(&opt, &plan), BLUR_OK);
            assert_int_equal(blur__plan_wants_whole(plan, &img), variant != 2);
            blur_plan_free(plan);
            check_stream_matches_memory(&img, &opt);
            blur_image_free(&img);
        }
}

/* A stream premultiplies (its alpha is not known ahead) except in the output rows whose input
 * rows are all opaque, which take the fixed-point path (fir.c's choose_plain_rows): decided
 * row by row, so the stream, in one band, gives the bits of the image in memory on every
 * core. Opaque but for a band of transparent rows; and opaque everywhere. */
static void test_stream_opaque_rows(void **state)
{
    (void)state;
    /* sigma 0.5: rows without alpha take the float passes (fir.c's u8_in_float), and opaque
     * ones of a stream the same, not premultiplied */
    for (int transparent = 0; transparent < 4; transparent++) {
        blur_image img; /* larger at sigma 0.5: premultiplying moved 1 in 1e5 samples */
        random_image(&img, transparent < 2 ? 41 : 600, 150, 4, BLUR_U8, 99);
        unsigned char *p = img.data;
        for (size_t y = 0; y < img.height; y++)
            for (size_t x = 0; x < img.width; x++)
                p[y * img.stride + 4 * x + 3] = transparent % 2 && y >= 70 && y < 74 ? 30 : 255;
        blur_options opt = BLUR_OPTIONS_INIT;
        opt.sigma_x = opt.sigma_y = transparent < 2 ? 3.0 : 0.5;
        check_stream_matches_memory(&img, &opt);
        blur_image_free(&img);
    }
}

static void test_damaged_input_leaves_nothing(void **state)
{
    (void)state;
    blur_image img;
    random_image(&img, 64, 300, 3, BLUR_U8, 3);
    const char *in = tmp_path("whole.png");
    assert_int_equal(blur_image_write(in, &img, NULL), BLUR_OK);
    blur_image_free(&img);
    struct stat st;
    assert_int_equal(stat(in, &st), 0);
    /* Cut at several places: in the middle of the pixel data, just before IEND, inside it. */
    const long cuts[] = {st.st_size / 2, st.st_size - 13, st.st_size - 1};
    FILE *src = fopen(in, "rb");
    char *bytes = malloc((size_t)st.st_size);
    assert_int_equal(fread(bytes, 1, (size_t)st.st_size, src), (size_t)st.st_size);
    fclose(src);
    blur_options opt = BLUR_OPTIONS_INIT;
    opt.sigma_x = opt.sigma_y = 2;
    blur_plan *plan;
    assert_int_equal(blur_plan_create(&opt, &plan), BLUR_OK);
    for (size_t i = 0; i < 3; i++) {
        const char *cut = tmp_path("cut.png");
        FILE *fp = fopen(cut, "wb");
        fwrite(bytes, 1, (size_t)cuts[i], fp);
        fclose(fp);
        const char *out = tmp_path("never.png");
        const char *failed = NULL;
        assert_int_equal(blur_file(plan, cut, out, NULL, NULL, &failed), BLUR_ERR_TRUNCATED);
        assert_ptr_equal(failed, cut);
        assert_int_not_equal(stat(out, &st), 0);
    }
    free(bytes);
    blur_plan_free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_equals_memory_every_mode),
        cmocka_unit_test(test_stream_every_layout),
        cmocka_unit_test(test_alpha_held_whole),
        cmocka_unit_test(test_stream_opaque_rows),
        cmocka_unit_test(test_damaged_input_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
