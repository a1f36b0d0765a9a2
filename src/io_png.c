/* io_png.c — PNG through libpng: every colour type and depth in, 8/16-bit out, metadata kept.
 * libpng reports errors by longjmp; all state that must survive one lives in a context struct,
 * never in locals changed after setjmp. */
#include "internal.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* A PNG chunk we keep in memory (iCCP, text) may not exceed this; hostile files declare
 * gigabytes. */
#define PNG_CHUNK_MALLOC_MAX (16u << 20)
/* Ancillary chunks cached per file (libpng's own default guards against the 2^31 case). */
#define PNG_CHUNK_CACHE_MAX 1000u

bool blur__is_png(const unsigned char *bytes, size_t size)
{
    return size >= 8 && png_sig_cmp(bytes, 0, 8) == 0;
}

typedef struct png_context {
    blur__source *src;
    FILE *out;
    blur_error err; /* set by the I/O callbacks before they raise a libpng error */
    png_bytep *rows;
} png_context;

static void on_error(png_structp png, png_const_charp message)
{
    (void)message; /* the code in the context says it; the library never prints */
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

static void read_bytes(png_structp png, png_bytep data, size_t length)
{
    png_context *ctx = png_get_io_ptr(png);
    blur__source *src = ctx->src;
    size_t got;
    if (src->fp) {
        got = fread(data, 1, length, src->fp);
        if (got < length && ferror(src->fp)) ctx->err = BLUR_ERR_READ;
    } else {
        size_t left = src->mem_size - src->mem_pos;
        got = length < left ? length : left;
        memcpy(data, src->mem + src->mem_pos, got);
        src->mem_pos += got;
    }
    if (got < length) {
        if (!ctx->err) ctx->err = BLUR_ERR_TRUNCATED;
        png_error(png, "short read");
    }
}

static void read_meta(png_structp png, png_infop info, blur_image_meta *meta)
{
    double gamma;
    int intent;
    if (png_get_gAMA(png, info, &gamma)) meta->gamma = gamma;
    if (png_get_sRGB(png, info, &intent)) meta->srgb_intent = intent + 1;
    png_charp name;
    png_bytep profile;
    png_uint_32 size;
    int compression;
    if (png_get_iCCP(png, info, &name, &compression, &profile, &size) && size &&
        (meta->icc = malloc(size))) {
        memcpy(meta->icc, profile, size);
        meta->icc_size = size;
        snprintf(meta->icc_name, sizeof meta->icc_name, "%s", name);
    }
    png_uint_32 px, py;
    int unit;
    if (png_get_pHYs(png, info, &px, &py, &unit)) {
        meta->phys_x = px;
        meta->phys_y = py;
        meta->phys_unit = unit;
    }
}

blur_error blur__png_decode(blur__source *src, const blur_read_options *opt, blur_image *img,
                            blur_image_meta *meta)
{
    png_context ctx = {.src = src};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    if (!png) return BLUR_ERR_NOMEM;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return BLUR_ERR_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(ctx.rows);
        /* A libpng error with no I/O cause is damage in the data itself. */
        return ctx.err ? ctx.err : BLUR_ERR_CORRUPT;
    }
    png_set_read_fn(png, &ctx, read_bytes);
    png_set_sig_bytes(png, 8);
    if (src->fp == NULL) src->mem_pos = 8;
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
    /* A bad CRC is damage, in an ancillary chunk too (libpng would drop the chunk and go on):
     * refuse the file rather than blur something that may be wrong elsewhere. */
    png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    /* Chunks we never use whose libpng handlers allocate, and zero, the full declared length
     * before reading a byte of it: a 1 kB file declaring a 1.5 GB iTXt had libpng clear 1.5 GB
     * (tests/crashers/png-itxt-1.5gb-length.png). As unknown chunks they are skipped in small
     * reads instead. */
    static const png_byte unused_chunks[] = "tEXt\0zTXt\0iTXt\0sPLT\0pCAL\0sCAL\0eXIf\0";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, unused_chunks, 7);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if (opt->max_pixels && (uint64_t)width * height > opt->max_pixels) {
        ctx.err = BLUR_ERR_TOO_LARGE;
        png_error(png, "too large");
    }
    int color = png_get_color_type(png, info);
    int bits = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && bits < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bits == 16) png_set_swap(png); /* PNG is big-endian; our u16 samples are native */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    blur_depth depth = png_get_bit_depth(png, info) == 16 ? BLUR_U16 : BLUR_U8;
    if (meta) read_meta(png, info, meta);
    blur_error err = blur_image_alloc(img, width, height, channels, depth);
    if (err) {
        ctx.err = err;
        png_error(png, "alloc");
    }
    if (img->stride != png_get_rowbytes(png, info)) {
        ctx.err = BLUR_ERR_UNSUPPORTED;
        png_error(png, "row size");
    }
    ctx.rows = blur__alloc_array(height, sizeof *ctx.rows);
    if (!ctx.rows) {
        ctx.err = BLUR_ERR_NOMEM;
        png_error(png, "alloc");
    }
    for (png_uint_32 y = 0; y < height; y++)
        ctx.rows[y] = (png_bytep)img->data + (size_t)y * img->stride;
    png_read_image(png, ctx.rows);
    /* Reads to IEND, so damage after the last row (a bad CRC, a cut-off end) is caught too. */
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(ctx.rows);
    return BLUR_OK;
}

static void write_bytes(png_structp png, png_bytep data, size_t length)
{
    png_context *ctx = png_get_io_ptr(png);
    if (fwrite(data, 1, length, ctx->out) != length) {
        ctx->err = BLUR_ERR_WRITE;
        png_error(png, "write");
    }
}

static void flush_bytes(png_structp png) { (void)png; }

static void write_meta(png_structp png, png_infop info, const blur_image_meta *meta)
{
    if (meta->srgb_intent) png_set_sRGB(png, info, meta->srgb_intent - 1);
    if (meta->gamma > 0.0) png_set_gAMA(png, info, meta->gamma);
    if (meta->icc && meta->icc_size && !meta->srgb_intent)
        png_set_iCCP(png, info, meta->icc_name[0] ? meta->icc_name : "ICC", 0, meta->icc,
                     (png_uint_32)meta->icc_size);
    if (meta->phys_x) png_set_pHYs(png, info, meta->phys_x, meta->phys_y, meta->phys_unit);
}

static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                   PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};

typedef struct png_writer {
    png_context ctx;
    const blur_image *pixels;
    blur_image converted;
} png_writer;

/* The libpng part of encoding; everything it changes lives in *w, safe across longjmp. */
static blur_error png_write_pixels(png_writer *w, const blur_write_options *opt)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return BLUR_ERR_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return w->ctx.err ? w->ctx.err : BLUR_ERR_WRITE;
    }
    png_set_write_fn(png, &w->ctx, write_bytes, flush_bytes);
    int bits = w->pixels->depth == BLUR_U16 ? 16 : 8;
    png_set_IHDR(png, info, (png_uint_32)w->pixels->width, (png_uint_32)w->pixels->height, bits,
                 color_types[w->pixels->channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, opt->compression < 0 ? 6 : opt->compression);
    if (opt->meta) write_meta(png, info, opt->meta);
    png_write_info(png, info);
    if (bits == 16) png_set_swap(png);
    for (size_t y = 0; y < w->pixels->height; y++)
        png_write_row(png, (png_const_bytep)w->pixels->data + y * w->pixels->stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return BLUR_OK;
}

blur_error blur__png_encode(FILE *fp, const blur_image *img, const blur_write_options *opt)
{
    if (img->width > 0x7fffffff || img->height > 0x7fffffff) return BLUR_ERR_TOO_LARGE;
    png_writer w = {.ctx = {.out = fp}, .pixels = img};
    if (img->depth == BLUR_F32) {
        blur_error err = blur__image_convert(img, BLUR_U16, &w.converted);
        if (err) return err;
        w.pixels = &w.converted;
    }
    blur_error err = png_write_pixels(&w, opt);
    blur_image_free(&w.converted);
    return err;
}
