/* fuzz_image.c — libFuzzer target: any bytes through blur_image_decode, the library's own entry
 * point, with a pixel limit on, the way the CLI reads a file. Built twice (see the Makefile):
 * as is, the format is sniffed from the bytes (stb_image's formats and PNG); with
 * FUZZ_PNG_SIGNATURE the input is the PNG stream after its signature, so every mutation reaches
 * libpng. What decodes is also blurred and encoded, so odd shapes (1×N, 16-bit gray+alpha, HDR
 * floats) go through the filter and the writers too. */
#include "blur.h"
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Small enough that the fuzzer never runs into its own memory limit, large enough that the
 * limit path is reached by mutated headers. */
#define FUZZ_MAX_PIXELS ((uint64_t)4 << 20)
/* Blur and encode only small images: the aim is shapes, not throughput. */
#define FUZZ_MAX_FILTER_PIXELS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *bytes = data;
#ifdef FUZZ_PNG_SIGNATURE
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t *whole = malloc(size + 8);
    if (!whole) return 0;
    memcpy(whole, signature, 8);
    if (size) memcpy(whole + 8, data, size);
    bytes = whole;
    size += 8;
#endif
    blur_read_options opt = BLUR_READ_OPTIONS_INIT;
    opt.max_pixels = FUZZ_MAX_PIXELS;
    blur_image img;
    blur_image_meta meta;
    blur_error err = blur_image_decode(bytes, size, &opt, &img, &meta);
    if (err == BLUR_OK) {
        if (blur_image_check(&img) != BLUR_OK) abort();
        if ((uint64_t)img.width * img.height > FUZZ_MAX_PIXELS) abort();
        if (img.width * img.height <= FUZZ_MAX_FILTER_PIXELS) {
            blur_image dst;
            blur_options bo = BLUR_OPTIONS_INIT;
            bo.sigma_x = bo.sigma_y = 1.5;
            bo.threads = 1;
            if (blur_image_alloc(&dst, img.width, img.height, img.channels, img.depth) ==
                BLUR_OK) {
                if (blur_gaussian(&img, &dst, &bo) != BLUR_OK) abort();
                FILE *sink = fopen("/dev/null", "wb");
                if (sink) {
                    blur_write_options wo = BLUR_WRITE_OPTIONS_INIT;
                    wo.meta = &meta;
                    (void)blur__png_encode(sink, &dst, &wo);
                    (void)blur__jpeg_encode(sink, &dst, &wo);
                    fclose(sink);
                }
                blur_image_free(&dst);
            }
        }
    } else if (img.data || meta.icc) {
        abort(); /* a failed decode must leave nothing behind */
    }
    blur_image_free(&img);
    blur_image_meta_free(&meta);
#ifdef FUZZ_PNG_SIGNATURE
    free(whole);
#endif
    return 0;
}
