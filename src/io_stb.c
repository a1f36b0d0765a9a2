/* io_stb.c — BMP, TGA, GIF, HDR and PNM, through stb_image and stb_image_write from Debian's
 * libstb-dev (PNG, JPEG and PSD have readers of their own). stb is compiled here, static, with only the decoders we use; it is not
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
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
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

/* ---- checks for what stb_image 2.27 (Debian 12's libstb-dev) trusts ----
 * Each guards one flaw found by fuzzing (tests/crashers/ keeps the input). They refuse a file
 * stb would mis-read; they never accept one stb would refuse. */

/* A binary PNM (P5, P6) header number of ten or more digits overflows stb's int parser
 * (stbi__pnm_getinteger; fixed upstream in 2.28). Reads the three header numbers as stb does,
 * '#' comments included, and refuses one that long: no real size or maximum needs it. */
static bool pnm_header_ok(const unsigned char *b, size_t n)
{
    if (n < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return true; /* not a PNM */
    size_t p = 2;
    for (int field = 0; field < 3; field++) {
        for (;;) {
            while (p < n && (b[p] == ' ' || (b[p] >= '\t' && b[p] <= '\r'))) p++;
            if (p >= n || b[p] != '#') break;
            while (p < n && b[p] != '\n' && b[p] != '\r') p++;
        }
        size_t digits = 0;
        while (p < n && b[p] >= '0' && b[p] <= '9') p++, digits++;
        if (digits > 9) return false;
    }
    return true;
}

bool blur__stb_sniff(const unsigned char *b, size_t n)
{
    static const struct {
        const char *magic;
        size_t size;
    } magics[] = {
        {"BM", 2}, {"GIF8", 4}, {"#?", 2}, {"P5", 2}, {"P6", 2},
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (n >= magics[i].size && memcmp(b, magics[i].magic, magics[i].size) == 0) return true;
    /* TGA has no magic; its 18-byte header is enough for stbi_info to judge. Data that fails
     * a guard is one of stb's formats, broken: blur__stb_decode says so. */
    if (!pnm_header_ok(b, n)) return true;
    int w, h, c;
    return n <= 0x7fffffff && stbi_info_from_memory(b, (int)n, &w, &h, &c);
}

/* A Radiance HDR whose run-length data ends early hangs stb forever: past the end stb reads
 * zeros, and a zero-length "dump" never advances (stbi__hdr_load; the hang CVE-2021-42715).
 * Walks the header lines and the RLE scanlines as stb does and refuses data that runs out
 * while a scanline still needs counts. Flat (non-RLE) data cannot hang and is left to stb. */
static bool hdr_rle_ends_ok(const unsigned char *b, size_t n, long width, long height)
{
    if (n < 2 || b[0] != '#' || b[1] != '?') return true; /* not an HDR */
    size_t p = 0;
    /* The signature line, the header lines up to an empty one, the resolution line. stb ends
     * the header at a line whose token is empty: one that starts with '\n' or with a NUL. */
    for (int line = 0, header_done = 0; p < n && line < 1 << 20; line++) {
        bool empty = b[p] == '\n' || b[p] == '\0';
        while (p < n && b[p] != '\n') p++;
        p++;
        if (header_done) break;
        if (empty && line > 0) header_done = 1;
    }
    if (width < 8 || width >= 32768) return true; /* stb reads these flat */
    for (long j = 0; j < height; j++) {
        if (p + 4 > n) return true; /* stb reads zeros: not RLE, so flat, bounded */
        if (b[p] != 2 || b[p + 1] != 2 || (b[p + 2] & 0x80)) return true; /* flat from here */
        if (((long)b[p + 2] << 8 | b[p + 3]) != width) return true; /* stb refuses it */
        p += 4;
        for (int k = 0; k < 4; k++) {
            for (long i = 0; i < width;) {
                if (p >= n) return false; /* every count from here is 0: stb never ends */
                long count = b[p++];
                if (count > 128) {
                    count -= 128;
                    p++;
                } else {
                    p += (size_t)count;
                }
                if (count > width - i) return true; /* stb refuses it */
                i += count;
            }
        }
    }
    return true;
}

/* stb decodes from memory as if zeros followed the data: a BMP, TGA, GIF, PNM or flat HDR cut
 * short came back whole, its missing part black (or, for PNM, memory never written). So stb
 * reads through these callbacks, which note when it asks for bytes past the end. stb asks in
 * two ways: refilling its buffer (always the same size, the first request's), where a short
 * answer is the normal end of the data and only a request with nothing left is a need past
 * it; and for an exact count (stbi__getn), where any short answer is one. */
typedef struct stb_source {
    const unsigned char *bytes;
    size_t size, at;
    int refill_size; /* 0 until the first request, which is a refill */
    bool past_end;
} stb_source;

static int source_read(void *context, char *data, int size)
{
    stb_source *s = context;
    if (size <= 0) return 0;
    if (!s->refill_size) s->refill_size = size;
    size_t left = s->size - s->at, n = (size_t)size < left ? (size_t)size : left;
    if (n == 0 || (n < (size_t)size && size != s->refill_size)) s->past_end = true;
    memcpy(data, s->bytes + s->at, n);
    s->at += n;
    return (int)n;
}

static void source_skip(void *context, int n)
{
    stb_source *s = context;
    size_t left = s->size - s->at;
    if (n < 0) s->at = (size_t)-n > s->at ? 0 : s->at - (size_t)-n;
    else s->at += (size_t)n < left ? (size_t)n : left;
}

static int source_eof(void *context)
{
    const stb_source *s = context;
    return s->at >= s->size;
}

blur_error blur__stb_decode(const unsigned char *bytes, size_t size,
                            const blur_read_options *opt, blur_image *img,
                            blur_image_meta *meta)
{
    (void)meta; /* none of these formats carries what meta holds */
    if (size > 0x7fffffff) return BLUR_ERR_TOO_LARGE; /* stb takes an int length */
    int len = (int)size, width, height, channels;
    /* Before stbi_info, which reads the header numbers too. */
    if (!pnm_header_ok(bytes, size)) return BLUR_ERR_CORRUPT;
    if (!stbi_info_from_memory(bytes, len, &width, &height, &channels))
        return BLUR_ERR_UNKNOWN_FORMAT;
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4) return BLUR_ERR_CORRUPT;
    if (opt->max_pixels && (uint64_t)width * (uint64_t)height > opt->max_pixels)
        return BLUR_ERR_TOO_LARGE;

    if (!hdr_rle_ends_ok(bytes, size, width, height)) return BLUR_ERR_TRUNCATED;

    blur_depth depth = BLUR_U8;
    void *pixels;
    int got_channels;
    stb_source source = {.bytes = bytes, .size = size};
    const stbi_io_callbacks io = {source_read, source_skip, source_eof};
    if (stbi_is_hdr_from_memory(bytes, len)) {
        depth = BLUR_F32;
        pixels = stbi_loadf_from_callbacks(&io, &source, &width, &height, &got_channels, 0);
    } else if (stbi_is_16_bit_from_memory(bytes, len)) {
        depth = BLUR_U16;
        pixels = stbi_load_16_from_callbacks(&io, &source, &width, &height, &got_channels, 0);
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, probe_pnm16);
        if (pixels && pnm16_needs_swap && is_pnm(bytes, size)) {
            uint16_t *v = pixels;
            for (size_t i = 0; i < (size_t)width * (size_t)height * (size_t)got_channels; i++)
                v[i] = (uint16_t)(v[i] << 8 | v[i] >> 8);
        }
    } else {
        pixels = stbi_load_from_callbacks(&io, &source, &width, &height, &got_channels, 0);
    }
    if (pixels && source.past_end) {
        stbi_image_free(pixels);
        return BLUR_ERR_TRUNCATED;
    }
    if (!pixels) {
        const char *why = stbi_failure_reason();
        return why && strcmp(why, "outofmem") == 0 ? BLUR_ERR_NOMEM : BLUR_ERR_CORRUPT;
    }
    /* stb re-reads the header while decoding; hold what it decoded to the same limit, so an
     * info/load disagreement can never let a larger image through. */
    if (width <= 0 || height <= 0 ||
        (opt->max_pixels && (uint64_t)width * (uint64_t)height > opt->max_pixels)) {
        stbi_image_free(pixels);
        return width <= 0 || height <= 0 ? BLUR_ERR_CORRUPT : BLUR_ERR_TOO_LARGE;
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
    (void)opt; /* no option applies to these formats */
    if (img->width > 0xffff && format != BLUR_FORMAT_HDR) return BLUR_ERR_TOO_LARGE;
    if (img->width > 0x7fffffff || img->height > 0x7fffffff) return BLUR_ERR_TOO_LARGE;
    blur_depth depth = format == BLUR_FORMAT_HDR ? BLUR_F32 : BLUR_U8;
    blur_image tight = {0};
    /* stb wants tight rows of the format's sample type; convert (which also tightens). */
    blur_error err = blur__image_convert(img, depth, &tight);
    if (err) return err;
    if (format == BLUR_FORMAT_BMP && tight.channels == 2) {
        /* stb writes a BMP with alpha only from 4 channels; from 2 it drops the alpha */
        blur_image rgba;
        err = blur_image_alloc(&rgba, tight.width, tight.height, 4, BLUR_U8);
        if (err) {
            blur_image_free(&tight);
            return err;
        }
        const uint8_t *ga = tight.data;
        uint8_t *out = rgba.data;
        for (size_t i = 0; i < tight.width * tight.height; i++, ga += 2, out += 4) {
            out[0] = out[1] = out[2] = ga[0];
            out[3] = ga[1];
        }
        blur_image_free(&tight);
        tight = rgba;
    }
    stb_sink sink = {fp, false};
    int w = (int)tight.width, h = (int)tight.height, c = tight.channels, ok = 0;
    switch (format) {
    case BLUR_FORMAT_BMP: ok = stbi_write_bmp_to_func(sink_write, &sink, w, h, c, tight.data); break;
    case BLUR_FORMAT_TGA: ok = stbi_write_tga_to_func(sink_write, &sink, w, h, c, tight.data); break;
    case BLUR_FORMAT_HDR: ok = stbi_write_hdr_to_func(sink_write, &sink, w, h, c, tight.data); break;
    default: break;
    }
    blur_image_free(&tight);
    if (sink.failed) return BLUR_ERR_WRITE;
    return ok ? BLUR_OK : BLUR_ERR_UNSUPPORTED;
}
