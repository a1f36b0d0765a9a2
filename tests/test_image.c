/* test_image.c — images in and out: PNG round trips for every colour type and depth, libpng's
 * low bit depths, palettes, tRNS and interlacing, metadata, the stb formats, errors. */
#include "testutil.h"

#include <png.h>

static void fill_random(blur_image *img, uint64_t seed)
{
    uint64_t state = seed;
    unsigned char *bytes = img->data;
    for (size_t i = 0; i < img->stride * img->height; i++) bytes[i] = (unsigned char)test_rand(&state);
}

static char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    return path;
}

/* Reads the IHDR bit depth and colour type a file was written with. */
static void png_header(const char *path, int *bits, int *color)
{
    unsigned char head[26];
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(head, 1, sizeof head, fp), sizeof head);
    fclose(fp);
    *bits = head[24];
    *color = head[25];
}

static void test_png_round_trip_every_layout(void **state)
{
    (void)state;
    static const int color_of[5] = {0, 0, 4, 2, 6};
    const blur_depth depths[2] = {BLUR_U8, BLUR_U16};
    for (int channels = 1; channels <= 4; channels++) {
        for (int d = 0; d < 2; d++) {
            blur_image img, back;
            assert_int_equal(blur_image_alloc(&img, 13, 7, channels, depths[d]), BLUR_OK);
            fill_random(&img, (uint64_t)(channels * 10 + d + 1));
            const char *path = tmp_path("round.png");
            assert_int_equal(blur_image_write(path, &img, NULL), BLUR_OK);
            int bits, color;
            png_header(path, &bits, &color);
            assert_int_equal(bits, depths[d] == BLUR_U16 ? 16 : 8);
            assert_int_equal(color, color_of[channels]);
            assert_int_equal(blur_image_read(path, NULL, &back, NULL), BLUR_OK);
            assert_same_pixels(&img, &back);
            blur_image_free(&img);
            blur_image_free(&back);
        }
    }
}

/* Every row filter, 8 and 16-bit, and an image large enough to be compressed on several
 * threads in many blocks: all decode (through libpng) to exactly what was written. */
static void test_png_filters_and_threads_round_trip(void **state)
{
    (void)state;
    const struct {
        size_t w, h;
        int channels;
        blur_depth depth;
    } shapes[] = {{1, 1, 1, BLUR_U8}, {5, 3, 3, BLUR_U16}, {700, 530, 4, BLUR_U8}};
    for (size_t s = 0; s < 3; s++) {
        blur_image img, back;
        assert_int_equal(blur_image_alloc(&img, shapes[s].w, shapes[s].h, shapes[s].channels,
                                          shapes[s].depth),
                         BLUR_OK);
        /* Half smooth, half noise: every filter gets picked by the adaptive heuristic. */
        fill_random(&img, 5 + s);
        unsigned char *p = img.data;
        for (size_t i = 0; i < img.stride * img.height / 2; i++) p[i] = (unsigned char)(i / 7);
        for (int f = 0; f < BLUR_PNG_FILTER_COUNT_; f++) {
            for (unsigned threads = 1; threads <= 3; threads += 2) {
                blur_write_options wo = BLUR_WRITE_OPTIONS_INIT;
                wo.png_filter = (blur_png_filter)f;
                wo.threads = threads;
                wo.compression = f == BLUR_PNG_FILTER_NONE ? 0 : -1;
                const char *path = tmp_path("filters.png");
                assert_int_equal(blur_image_write(path, &img, &wo), BLUR_OK);
                assert_int_equal(blur_image_read(path, NULL, &back, NULL), BLUR_OK);
                assert_same_pixels(&img, &back);
                blur_image_free(&back);
            }
        }
        blur_image_free(&img);
    }
}

/* Writes a PNG with libpng directly, for the layouts our own writer never makes. */
static void write_raw_png(const char *path, png_uint_32 w, png_uint_32 h, int bits, int color,
                          int interlace, png_bytep *rows, png_colorp palette, int npalette,
                          png_bytep trans, int ntrans, png_color_16p trans_color)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) fail_msg("libpng failed writing %s", path);
    png_init_io(png, fp);
    png_set_IHDR(png, info, w, h, bits, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette) png_set_PLTE(png, info, palette, npalette);
    if (trans || trans_color) png_set_tRNS(png, info, trans, ntrans, trans_color);
    png_set_gAMA(png, info, 0.45455);
    png_set_pHYs(png, info, 2835, 2835, PNG_RESOLUTION_METER);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(fp);
}

static void test_png_low_bit_gray(void **state)
{
    (void)state;
    /* 2-bit gray, 4 pixels per byte: values 0,1,2,3 must become 0,85,170,255. */
    png_byte row0[1] = {0x1b}; /* 00 01 10 11 */
    png_bytep rows[1] = {row0};
    const char *path = tmp_path("gray2.png");
    write_raw_png(path, 4, 1, 2, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, rows, NULL, 0, NULL, 0,
                  NULL);
    blur_image img;
    blur_image_meta meta;
    assert_int_equal(blur_image_read(path, NULL, &img, &meta), BLUR_OK);
    assert_int_equal(img.channels, 1);
    assert_int_equal(img.depth, BLUR_U8);
    const unsigned char *p = img.data;
    assert_int_equal(p[0], 0);
    assert_int_equal(p[1], 85);
    assert_int_equal(p[2], 170);
    assert_int_equal(p[3], 255);
    /* Metadata comes along. */
    assert_true(meta.gamma > 0.4545 && meta.gamma < 0.4546);
    assert_int_equal(meta.phys_x, 2835);
    assert_int_equal(meta.phys_unit, 1);
    blur_image_free(&img);
    blur_image_meta_free(&meta);
}

static void test_png_palette_with_transparency(void **state)
{
    (void)state;
    png_color palette[2] = {{255, 0, 0}, {0, 0, 255}};
    png_byte alpha[2] = {255, 0};
    png_byte row0[1] = {0x40}; /* 1-bit indices 0,1 */
    png_bytep rows[1] = {row0};
    const char *path = tmp_path("pal.png");
    write_raw_png(path, 2, 1, 1, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, rows, palette, 2,
                  alpha, 2, NULL);
    blur_image img;
    assert_int_equal(blur_image_read(path, NULL, &img, NULL), BLUR_OK);
    assert_int_equal(img.channels, 4);
    const unsigned char *p = img.data;
    const unsigned char expect[8] = {255, 0, 0, 255, 0, 0, 255, 0};
    assert_memory_equal(p, expect, 8);
    blur_image_free(&img);
}

static void test_png_gray_trns_becomes_alpha(void **state)
{
    (void)state;
    png_color_16 key = {.gray = 7};
    png_byte row0[2] = {7, 9};
    png_bytep rows[1] = {row0};
    const char *path = tmp_path("graytrns.png");
    write_raw_png(path, 2, 1, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, rows, NULL, 0, NULL, 0,
                  &key);
    blur_image img;
    assert_int_equal(blur_image_read(path, NULL, &img, NULL), BLUR_OK);
    assert_int_equal(img.channels, 2);
    const unsigned char expect[4] = {7, 0, 9, 255};
    assert_memory_equal(img.data, expect, 4);
    blur_image_free(&img);
}

static void test_png_interlaced_16bit(void **state)
{
    (void)state;
    enum { W = 11, H = 9 };
    png_byte data[H][W * 6];
    png_bytep rows[H];
    uint64_t s = 99;
    for (int y = 0; y < H; y++) {
        for (int i = 0; i < W * 6; i++) data[y][i] = (png_byte)test_rand(&s);
        rows[y] = data[y];
    }
    const char *path = tmp_path("adam7.png");
    write_raw_png(path, W, H, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, rows, NULL, 0, NULL, 0,
                  NULL);
    blur_image img;
    assert_int_equal(blur_image_read(path, NULL, &img, NULL), BLUR_OK);
    assert_int_equal(img.depth, BLUR_U16);
    assert_int_equal(img.channels, 3);
    for (int y = 0; y < H; y++) {
        const uint16_t *p = (const uint16_t *)((const char *)img.data + (size_t)y * img.stride);
        for (int i = 0; i < W * 3; i++)
            assert_int_equal(p[i], data[y][2 * i] << 8 | data[y][2 * i + 1]);
    }
    blur_image_free(&img);
}

static void test_metadata_survives_write(void **state)
{
    (void)state;
    png_byte row0[1] = {0x1b};
    png_bytep rows[1] = {row0};
    const char *src = tmp_path("meta-in.png"), *dst = tmp_path("meta-out.png");
    write_raw_png(src, 4, 1, 2, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, rows, NULL, 0, NULL, 0,
                  NULL);
    blur_image img, back;
    blur_image_meta meta, meta2;
    assert_int_equal(blur_image_read(src, NULL, &img, &meta), BLUR_OK);
    blur_write_options wo = BLUR_WRITE_OPTIONS_INIT;
    wo.meta = &meta;
    assert_int_equal(blur_image_write(dst, &img, &wo), BLUR_OK);
    assert_int_equal(blur_image_read(dst, NULL, &back, &meta2), BLUR_OK);
    assert_true(meta2.gamma > 0.4545 && meta2.gamma < 0.4546);
    assert_int_equal(meta2.phys_x, 2835);
    assert_int_equal(meta2.phys_y, 2835);
    blur_image_free(&img);
    blur_image_free(&back);
    blur_image_meta_free(&meta);
    blur_image_meta_free(&meta2);
}

static void test_stb_formats_round_trip(void **state)
{
    (void)state;
    blur_image img, back;
    assert_int_equal(blur_image_alloc(&img, 16, 8, 3, BLUR_U8), BLUR_OK);
    unsigned char *p = img.data;
    for (size_t i = 0; i < img.stride * img.height; i++) p[i] = (unsigned char)(i * 7 % 251);
    /* Lossless 8-bit formats come back exactly. */
    const char *lossless[] = {"x.bmp", "x.tga"};
    for (size_t i = 0; i < 2; i++) {
        const char *path = tmp_path(lossless[i]);
        assert_int_equal(blur_image_write(path, &img, NULL), BLUR_OK);
        assert_int_equal(blur_image_read(path, NULL, &back, NULL), BLUR_OK);
        assert_same_pixels(&img, &back);
        blur_image_free(&back);
    }
    /* HDR keeps float RGB within its 8-bit mantissa. */
    const char *hdr = tmp_path("x.hdr");
    assert_int_equal(blur_image_write(hdr, &img, NULL), BLUR_OK);
    assert_int_equal(blur_image_read(hdr, NULL, &back, NULL), BLUR_OK);
    assert_int_equal(back.depth, BLUR_F32);
    const float *f = back.data;
    for (size_t i = 0; i < 16 * 8 * 3; i++) assert_true(fabsf(f[i] - p[i] / 255.0f) <= 0.01f);
    blur_image_free(&back);
    /* JPEG is lossy; quality 100 on this smooth-ish pattern stays close on average. */
    const char *jpg = tmp_path("x.jpg");
    blur_write_options wo = BLUR_WRITE_OPTIONS_INIT;
    wo.quality = 100;
    assert_int_equal(blur_image_write(jpg, &img, &wo), BLUR_OK);
    assert_int_equal(blur_image_read(jpg, NULL, &back, NULL), BLUR_OK);
    assert_int_equal(back.channels, 3);
    assert_int_equal(back.width, 16);
    blur_image_free(&back);
    blur_image_free(&img);
    /* Gray with alpha to BMP comes back as RGBA with its alpha (stb alone dropped it). */
    assert_int_equal(blur_image_alloc(&img, 5, 3, 2, BLUR_U8), BLUR_OK);
    p = img.data;
    for (size_t i = 0; i < 5 * 3; i++) {
        p[2 * i] = (unsigned char)(i * 17);
        p[2 * i + 1] = (unsigned char)(255 - i);
    }
    const char *bmp = tmp_path("ga.bmp");
    assert_int_equal(blur_image_write(bmp, &img, NULL), BLUR_OK);
    assert_int_equal(blur_image_read(bmp, NULL, &back, NULL), BLUR_OK);
    assert_int_equal(back.channels, 4);
    const unsigned char *q = back.data;
    for (size_t i = 0; i < 5 * 3; i++) {
        assert_int_equal(q[4 * i], p[2 * i]);
        assert_int_equal(q[4 * i + 2], p[2 * i]);
        assert_int_equal(q[4 * i + 3], p[2 * i + 1]);
    }
    blur_image_free(&back);
    blur_image_free(&img);
}

static void test_pnm_and_gif_from_memory(void **state)
{
    (void)state;
    blur_image img;
    /* 16-bit PGM: stays 16-bit. */
    const unsigned char pgm[] = "P5\n2 1\n65535\n\x12\x34\xab\xcd";
    assert_int_equal(blur_image_decode(pgm, sizeof pgm - 1, NULL, &img, NULL), BLUR_OK);
    assert_int_equal(img.depth, BLUR_U16);
    assert_int_equal(((uint16_t *)img.data)[0], 0x1234);
    assert_int_equal(((uint16_t *)img.data)[1], 0xabcd);
    blur_image_free(&img);
    /* A 1×1 GIF (first frame): white with the palette's transparent index. */
    const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
                                "!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00"
                                "\x00\x02\x02\x44\x01\x00;";
    assert_int_equal(blur_image_decode(gif, sizeof gif - 1, NULL, &img, NULL), BLUR_OK);
    assert_int_equal(img.width, 1);
    assert_int_equal(img.channels, 4);
    blur_image_free(&img);
}

static void test_decode_errors(void **state)
{
    (void)state;
    blur_image img;
    assert_int_equal(blur_image_decode("", 0, NULL, &img, NULL), BLUR_ERR_EMPTY);
    assert_int_equal(blur_image_decode("hello world", 11, NULL, &img, NULL),
                     BLUR_ERR_UNKNOWN_FORMAT);
    /* A PNG signature and nothing else is truncated. */
    const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_int_equal(blur_image_decode(sig, 8, NULL, &img, NULL), BLUR_ERR_TRUNCATED);
    assert_null(img.data);
    /* The pixel limit refuses from the header alone. */
    blur_image big;
    assert_int_equal(blur_image_alloc(&big, 100, 100, 1, BLUR_U8), BLUR_OK);
    const char *path = tmp_path("big.png");
    assert_int_equal(blur_image_write(path, &big, NULL), BLUR_OK);
    blur_read_options ro = {.max_pixels = 9999};
    assert_int_equal(blur_image_read(path, &ro, &img, NULL), BLUR_ERR_TOO_LARGE);
    ro.max_pixels = 10000;
    assert_int_equal(blur_image_read(path, &ro, &img, NULL), BLUR_OK);
    blur_image_free(&img);
    blur_image_free(&big);
}

static void test_format_names(void **state)
{
    (void)state;
    blur_format f;
    assert_int_equal(blur_format_from_path("a/b.JPEG", &f), BLUR_OK);
    assert_int_equal(f, BLUR_FORMAT_JPEG);
    assert_int_equal(blur_format_from_path("-", &f), BLUR_OK);
    assert_int_equal(f, BLUR_FORMAT_PNG);
    assert_int_equal(blur_format_from_path("/dev/null", &f), BLUR_OK);
    assert_int_equal(f, BLUR_FORMAT_PNG);
    assert_int_equal(blur_format_from_path("dir.png/file", &f), BLUR_ERR_EXTENSION);
    assert_int_equal(blur_format_from_path("x.gif", &f), BLUR_ERR_EXTENSION);
    assert_string_equal(blur_format_extension(BLUR_FORMAT_TGA), "tga");
    assert_string_equal(blur_strerror(BLUR_ERR_UNKNOWN_FORMAT), "not an image (unknown format)");
    assert_string_equal(blur_strerror((blur_error)999), "unknown error");
}

static void test_image_alloc_checks(void **state)
{
    (void)state;
    blur_image img;
    assert_int_equal(blur_image_alloc(&img, 0, 5, 1, BLUR_U8), BLUR_ERR_INVALID);
    assert_int_equal(blur_image_alloc(&img, 5, 5, 5, BLUR_U8), BLUR_ERR_INVALID);
    assert_int_equal(blur_image_alloc(&img, SIZE_MAX / 2, 3, 4, BLUR_F32), BLUR_ERR_OVERFLOW);
    blur_image_free(NULL);
    blur_image_meta_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_round_trip_every_layout),
        cmocka_unit_test(test_png_filters_and_threads_round_trip),
        cmocka_unit_test(test_png_low_bit_gray),
        cmocka_unit_test(test_png_palette_with_transparency),
        cmocka_unit_test(test_png_gray_trns_becomes_alpha),
        cmocka_unit_test(test_png_interlaced_16bit),
        cmocka_unit_test(test_metadata_survives_write),
        cmocka_unit_test(test_stb_formats_round_trip),
        cmocka_unit_test(test_pnm_and_gif_from_memory),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_image_alloc_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
