/* io_stb.c — the formats libpng does not cover, through stb_image and stb_image_write from
 * Debian's libstb-dev. stb is compiled here, static, with only the decoders we use; it is not
 * hardened against hostile files, so its header is checked against our pixel limit before it
 * decodes anything, and its writers only ever write to our own checked stream. */
#include "internal.h"

#include <pthread.h>
#include <string.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
#define STBI_ONLY_PSD
#define STBI_ONLY_HDR
#define STBI_ONLY_PNM
#define STBI_MAX_DIMENSIONS (1 << 24)
#include <stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
/* Not STBI_WRITE_NO_STDIO: stb 1.16 hides stbi_write_hdr_to_func behind it. We never call the
 * file writers. */
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
/* stb declares static functions it does not define for this configuration; the warning comes
 * at the end of the file, so it stays off for the whole file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

/* PNM stores 16-bit samples big-endian. stb_image 2.27 (Debian 12) returns them unswapped;
 * later versions swap. Rather than guess from a version number stb does not expose, decode a
 * one-pixel PGM once and see. */
static bool pnm16_needs_swap;
static void probe_pnm16(void)
{
    static const unsigned char pgm[] = "P5 1 1 65535 \x01\x02";
    int w, h, c;
    stbi_us *v = stbi_load_16_from_memory(pgm, (int)sizeof pgm - 1, &w, &h, &c, 0);
    pnm16_needs_swap = v && v[0] == 0x0201;
    stbi_image_free(v);
}

static bool is_pnm(const unsigned char *bytes, size_t size)
{
    return size >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6');
}

blur_error blur__stb_decode(const unsigned char *bytes, size_t size,
                            const blur_read_options *opt, blur_image *img)
{
    if (size > 0x7fffffff) return BLUR_ERR_TOO_LARGE; /* stb takes an int length */
    int len = (int)size, width, height, channels;
    if (!stbi_info_from_memory(bytes, len, &width, &height, &channels))
        return BLUR_ERR_UNKNOWN_FORMAT;
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4) return BLUR_ERR_CORRUPT;
    if (opt->max_pixels && (uint64_t)width * (uint64_t)height > opt->max_pixels)
        return BLUR_ERR_TOO_LARGE;

    blur_depth depth = BLUR_U8;
    void *pixels;
    int got_channels;
    if (stbi_is_hdr_from_memory(bytes, len)) {
        depth = BLUR_F32;
        pixels = stbi_loadf_from_memory(bytes, len, &width, &height, &got_channels, 0);
    } else if (stbi_is_16_bit_from_memory(bytes, len)) {
        depth = BLUR_U16;
        pixels = stbi_load_16_from_memory(bytes, len, &width, &height, &got_channels, 0);
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, probe_pnm16);
        if (pixels && pnm16_needs_swap && is_pnm(bytes, size)) {
            uint16_t *v = pixels;
            for (size_t i = 0; i < (size_t)width * (size_t)height * (size_t)got_channels; i++)
                v[i] = (uint16_t)(v[i] << 8 | v[i] >> 8);
        }
    } else {
        pixels = stbi_load_from_memory(bytes, len, &width, &height, &got_channels, 0);
    }
    if (!pixels) {
        const char *why = stbi_failure_reason();
        return why && strcmp(why, "outofmem") == 0 ? BLUR_ERR_NOMEM : BLUR_ERR_CORRUPT;
    }
    blur_error err = blur_image_alloc(img, (size_t)width, (size_t)height, got_channels, depth);
    if (!err) memcpy(img->data, pixels, img->stride * img->height);
    stbi_image_free(pixels);
    return err;
}

typedef struct stb_sink {
    FILE *fp;
    bool failed;
} stb_sink;

static void sink_write(void *context, void *data, int size)
{
    stb_sink *sink = context;
    if (!sink->failed && fwrite(data, 1, (size_t)size, sink->fp) != (size_t)size)
        sink->failed = true;
}

blur_error blur__stb_encode(FILE *fp, blur_format format, const blur_image *img,
                            const blur_write_options *opt)
{
    if (img->width > 0xffff && format != BLUR_FORMAT_HDR) return BLUR_ERR_TOO_LARGE;
    if (img->width > 0x7fffffff || img->height > 0x7fffffff) return BLUR_ERR_TOO_LARGE;
    blur_depth depth = format == BLUR_FORMAT_HDR ? BLUR_F32 : BLUR_U8;
    blur_image tight = {0};
    /* stb wants tight rows of the format's sample type; convert (which also tightens). */
    blur_error err = blur__image_convert(img, depth, &tight);
    if (err) return err;
    stb_sink sink = {fp, false};
    int w = (int)tight.width, h = (int)tight.height, c = tight.channels, ok = 0;
    switch (format) {
    case BLUR_FORMAT_JPEG:
        ok = stbi_write_jpg_to_func(sink_write, &sink, w, h, c, tight.data, opt->quality);
        break;
    case BLUR_FORMAT_BMP: ok = stbi_write_bmp_to_func(sink_write, &sink, w, h, c, tight.data); break;
    case BLUR_FORMAT_TGA: ok = stbi_write_tga_to_func(sink_write, &sink, w, h, c, tight.data); break;
    case BLUR_FORMAT_HDR: ok = stbi_write_hdr_to_func(sink_write, &sink, w, h, c, tight.data); break;
    default: break;
    }
    blur_image_free(&tight);
    if (sink.failed) return BLUR_ERR_WRITE;
    return ok ? BLUR_OK : BLUR_ERR_UNSUPPORTED;
}
