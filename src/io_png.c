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
    png_bytep *rows; /* row pointers for png_read_image (interlaced files) */
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

struct blur__png_reader {
    png_structp png;
    png_infop info;
    png_context ctx;
    blur_image shape; /* width, height, channels, depth, stride; no data */
    bool interlaced;
    int orientation; /* from an eXIf chunk before the image data; 1 without one */
};

/* Every function that calls into libpng sets its own landing point: libpng longjmps to the
 * latest one. A libpng error with no I/O cause recorded is damage in the data itself. */
#define PNG_TRY(r) if (setjmp(png_jmpbuf((r)->png))) return (r)->ctx.err ? (r)->ctx.err : BLUR_ERR_CORRUPT

static blur_error reader_start(blur__png_reader *r, const blur_read_options *opt,
                               blur_image_meta *meta)
{
    PNG_TRY(r);
    png_set_read_fn(r->png, &r->ctx, read_bytes);
    png_set_sig_bytes(r->png, 8);
    if (r->ctx.src->fp == NULL) r->ctx.src->mem_pos = 8;
    png_set_user_limits(r->png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(r->png, PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(r->png, PNG_CHUNK_CACHE_MAX);
    /* A bad CRC is damage, in an ancillary chunk too (libpng would drop the chunk and go on):
     * refuse the file rather than blur something that may be wrong elsewhere. */
    png_set_crc_action(r->png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    /* Chunks we never use whose libpng handlers allocate, and zero, the full declared length
     * before reading a byte of it: a 1 kB file declaring a 1.5 GB iTXt had libpng clear 1.5 GB
     * (tests/crashers/png-itxt-1.5gb-length.png). As unknown chunks they are skipped in small
     * reads instead. */
    static const png_byte unused_chunks[] = "tEXt\0zTXt\0iTXt\0sPLT\0pCAL\0sCAL\0";
    png_set_keep_unknown_chunks(r->png, PNG_HANDLE_CHUNK_NEVER, unused_chunks, 6);
    png_read_info(r->png, r->info);
    /* eXIf is read (at most PNG_CHUNK_MALLOC_MAX, as every chunk) for its orientation, as
     * OpenCV's imread and browsers turn the image by it; one after the image data is too late
     * for them and for us. */
    png_bytep exif;
    png_uint_32 exif_size;
    r->orientation = png_get_eXIf_1(r->png, r->info, &exif_size, &exif)
                         ? blur__exif_orientation(exif, exif_size)
                         : 1;

    png_uint_32 width = png_get_image_width(r->png, r->info);
    png_uint_32 height = png_get_image_height(r->png, r->info);
    if (opt->max_pixels && (uint64_t)width * height > opt->max_pixels) return BLUR_ERR_TOO_LARGE;
    int color = png_get_color_type(r->png, r->info);
    int bits = png_get_bit_depth(r->png, r->info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
    if (color == PNG_COLOR_TYPE_GRAY && bits < 8) png_set_expand_gray_1_2_4_to_8(r->png);
    if (png_get_valid(r->png, r->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r->png);
    if (bits == 16) png_set_swap(r->png); /* PNG is big-endian; our u16 samples are native */
    r->interlaced = png_set_interlace_handling(r->png) > 1;
    png_read_update_info(r->png, r->info);

    int channels = png_get_channels(r->png, r->info);
    blur_depth depth = png_get_bit_depth(r->png, r->info) == 16 ? BLUR_U16 : BLUR_U8;
    size_t stride;
    if (!blur__mul3(width, (size_t)channels, blur_depth_size(depth), &stride))
        return BLUR_ERR_OVERFLOW;
    if (stride != png_get_rowbytes(r->png, r->info)) return BLUR_ERR_UNSUPPORTED;
    r->shape = (blur_image){width, height, channels, depth, stride, NULL};
    if (meta) {
        read_meta(r->png, r->info, meta);
        if (blur__orientation_transposes(r->orientation)) { /* meta describes the turned image */
            uint32_t phys_x = meta->phys_x;
            meta->phys_x = meta->phys_y;
            meta->phys_y = phys_x;
        }
    }
    return BLUR_OK;
}

blur_error blur__png_reader_open(blur__source *src, const blur_read_options *opt,
                                 blur__png_reader **reader, blur_image_meta *meta)
{
    *reader = NULL;
    blur__png_reader *r = calloc(1, sizeof *r);
    if (!r) return BLUR_ERR_NOMEM;
    r->ctx.src = src;
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    r->info = r->png ? png_create_info_struct(r->png) : NULL;
    blur_error err = r->info ? reader_start(r, opt, meta) : BLUR_ERR_NOMEM;
    if (err) {
        blur__png_reader_free(r);
        return err;
    }
    *reader = r;
    return BLUR_OK;
}

const blur_image *blur__png_reader_shape(const blur__png_reader *r) { return &r->shape; }

bool blur__png_reader_interlaced(const blur__png_reader *r) { return r->interlaced; }

int blur__png_reader_orientation(const blur__png_reader *r) { return r->orientation; }

blur_error blur__png_reader_rows(blur__png_reader *r, void *first, size_t count, size_t stride)
{
    PNG_TRY(r);
    for (size_t i = 0; i < count; i++)
        png_read_row(r->png, (png_bytep)first + i * stride, NULL);
    return BLUR_OK;
}

blur_error blur__png_reader_finish(blur__png_reader *r)
{
    PNG_TRY(r);
    /* Reads to IEND, so damage after the last row (a bad CRC, a cut-off end) is caught too. */
    png_read_end(r->png, NULL);
    return BLUR_OK;
}

void blur__png_reader_free(blur__png_reader *r)
{
    if (!r) return;
    png_destroy_read_struct(&r->png, &r->info, NULL);
    free(r->ctx.rows);
    free(r);
}

/* The whole image: through png_read_image for interlaced files (all passes at once), by rows
 * otherwise. */
static blur_error reader_image(blur__png_reader *r, blur_image *img)
{
    if (!r->interlaced) return blur__png_reader_rows(r, img->data, img->height, img->stride);
    r->ctx.rows = blur__alloc_array(img->height, sizeof *r->ctx.rows);
    if (!r->ctx.rows) return BLUR_ERR_NOMEM;
    for (size_t y = 0; y < img->height; y++)
        r->ctx.rows[y] = (png_bytep)img->data + y * img->stride;
    PNG_TRY(r);
    png_read_image(r->png, r->ctx.rows);
    return BLUR_OK;
}

blur_error blur__png_decode(blur__source *src, const blur_read_options *opt, blur_image *img,
                            blur_image_meta *meta)
{
    blur__png_reader *r;
    blur_error err = blur__png_reader_open(src, opt, &r, meta);
    if (err) return err;
    const blur_image *shape = blur__png_reader_shape(r);
    err = blur_image_alloc(img, shape->width, shape->height, shape->channels, shape->depth);
    if (!err) err = blur__png_read_whole(r, img);
    blur__png_reader_free(r);
    return err;
}

blur_error blur__png_read_whole(blur__png_reader *r, blur_image *img)
{
    blur_error err = reader_image(r, img);
    if (!err) err = blur__png_reader_finish(r);
    return err ? err : blur__image_orient(img, r->orientation);
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

/* PNG row filters by name. The default (with zlib level 2, below) was measured on blurred
 * 24-megapixel photos against OpenCV's default (sub filter, level 1, RLE): on a detailed photo
 * "up" at level 2 writes 7.3 MB where OpenCV writes 26.9 MB, in 0.45 s; on a very smooth one
 * 16.9 MB against OpenCV's 17.5 MB. libpng's adaptive choice among all five filters costs
 * twice the time for about the same size. */
static const struct {
    const char *name;
    int mask;
} png_filters[BLUR_PNG_FILTER_COUNT_] = {
    [BLUR_PNG_FILTER_DEFAULT] = {"default", PNG_FILTER_UP},
    [BLUR_PNG_FILTER_NONE] = {"none", PNG_FILTER_NONE},
    [BLUR_PNG_FILTER_SUB] = {"sub", PNG_FILTER_SUB},
    [BLUR_PNG_FILTER_UP] = {"up", PNG_FILTER_UP},
    [BLUR_PNG_FILTER_AVG] = {"avg", PNG_FILTER_AVG},
    [BLUR_PNG_FILTER_PAETH] = {"paeth", PNG_FILTER_PAETH},
    [BLUR_PNG_FILTER_ALL] = {"all", PNG_ALL_FILTERS},
};

blur_error blur_png_filter_from_name(const char *name, blur_png_filter *filter)
{
    for (int i = 0; name && i < BLUR_PNG_FILTER_COUNT_; i++)
        if (strcmp(name, png_filters[i].name) == 0) {
            *filter = (blur_png_filter)i;
            return BLUR_OK;
        }
    return BLUR_ERR_UNKNOWN_NAME;
}

/* The writer hands libpng the header and metadata chunks, but filters rows and deflates the
 * image data itself: libpng compresses on one thread, and PNG encoding is most of the time of
 * a blur from PNG to PNG. Rows are filtered here (PNG filter types 0-4, or the adaptive
 * minimum-sum heuristic libpng uses) and fed to a multithreaded zlib stream whose pieces
 * become IDAT chunks. */
struct blur__png_writer {
    png_structp png;
    png_infop info;
    png_context ctx;
    blur_image shape;
    int filter_mask;         /* PNG_FILTER_* bits allowed */
    size_t row_bytes, bpp;   /* bytes per row and per pixel in PNG's big-endian layout */
    unsigned char *raw, *prev; /* this row and the one above, big-endian samples */
    unsigned char *filtered; /* 5 candidates of 1 + row_bytes bytes (type byte first) */
    double *convert_row;     /* float rows become 16-bit through this */
    blur__zstream *z;
};

static blur_error emit_idat(void *ctx, const unsigned char *bytes, size_t len)
{
    blur__png_writer *w = ctx;
    PNG_TRY(w);
    png_write_chunk(w->png, (png_const_bytep) "IDAT", bytes, len);
    return BLUR_OK;
}

static blur_error writer_start(blur__png_writer *w, const blur_write_options *opt)
{
    PNG_TRY(w);
    png_set_write_fn(w->png, &w->ctx, write_bytes, flush_bytes);
    int bits = w->shape.depth == BLUR_U8 ? 8 : 16;
    png_set_IHDR(w->png, w->info, (png_uint_32)w->shape.width, (png_uint_32)w->shape.height,
                 bits, color_types[w->shape.channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (opt->meta) write_meta(w->png, w->info, opt->meta);
    png_write_info(w->png, w->info);
    return BLUR_OK;
}

blur_error blur__png_writer_open(FILE *fp, const blur_image *shape,
                                 const blur_write_options *opt, blur__png_writer **writer)
{
    *writer = NULL;
    if (shape->width > 0x7fffffff || shape->height > 0x7fffffff) return BLUR_ERR_TOO_LARGE;
    if ((unsigned)opt->png_filter >= BLUR_PNG_FILTER_COUNT_) return BLUR_ERR_INVALID;
    blur__png_writer *w = calloc(1, sizeof *w);
    if (!w) return BLUR_ERR_NOMEM;
    w->ctx.out = fp;
    w->shape = *shape;
    w->filter_mask = png_filters[opt->png_filter].mask;
    w->bpp = (size_t)shape->channels * (shape->depth == BLUR_U8 ? 1 : 2);
    blur_error err = BLUR_OK;
    size_t filtered_bytes;
    if (!blur__mul(shape->width, w->bpp, &w->row_bytes) ||
        !blur__mul(w->row_bytes + 1, 5, &filtered_bytes))
        err = BLUR_ERR_OVERFLOW;
    if (!err) {
        w->raw = calloc(1, w->row_bytes);
        w->prev = calloc(1, w->row_bytes); /* the row above the first is all zero */
        w->filtered = malloc(filtered_bytes);
        if (shape->depth == BLUR_F32)
            w->convert_row = blur__alloc_array(shape->width * (size_t)shape->channels,
                                               sizeof *w->convert_row);
        if (!w->raw || !w->prev || !w->filtered || (shape->depth == BLUR_F32 && !w->convert_row))
            err = BLUR_ERR_NOMEM;
    }
    if (!err) {
        /* Small images are not worth a thread. */
        size_t total = w->row_bytes * shape->height;
        unsigned threads = total < ((size_t)1 << 20) ? 0 : blur__worker_threads(opt->threads);
        err = blur__zstream_open(opt->compression < 0 ? 2 : opt->compression, threads, emit_idat,
                                 w, &w->z);
    }
    w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    /* Metadata libpng finds broken (an ICC profile from a JPEG may be anything) is left out
     * with a warning instead of refusing the whole image. */
    if (w->png) png_set_benign_errors(w->png, 1);
    w->info = w->png ? png_create_info_struct(w->png) : NULL;
    if (!err) err = w->info ? writer_start(w, opt) : BLUR_ERR_NOMEM;
    if (err) {
        blur__png_writer_free(w);
        return err;
    }
    *writer = w;
    return BLUR_OK;
}

/* The row in PNG's layout: 8-bit as is, 16-bit big-endian, float as 16-bit. */
static void to_png_layout(blur__png_writer *w, const void *row)
{
    size_t samples = w->shape.width * (size_t)w->shape.channels;
    if (w->shape.depth == BLUR_U8) {
        memcpy(w->raw, row, w->row_bytes);
        return;
    }
    const uint16_t *src = row;
    uint16_t converted;
    for (size_t i = 0; i < samples; i++) {
        if (w->shape.depth == BLUR_F32) {
            double v = (double)((const float *)row)[i] * 65535.0;
            blur__store_samples(&v, 1, BLUR_U16, &converted);
        } else {
            converted = src[i];
        }
        w->raw[2 * i] = (unsigned char)(converted >> 8);
        w->raw[2 * i + 1] = (unsigned char)converted;
    }
}

static unsigned char paeth(unsigned char a, unsigned char b, unsigned char c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Filters the current row with PNG filter `type` into out (type byte first). */
static void filter_row(const blur__png_writer *w, int type, unsigned char *out)
{
    const unsigned char *x = w->raw, *up = w->prev;
    size_t n = w->row_bytes, bpp = w->bpp;
    out[0] = (unsigned char)type;
    out++;
    switch (type) {
    case 0: memcpy(out, x, n); break;
    case 1:
        for (size_t i = 0; i < n; i++) out[i] = (unsigned char)(x[i] - (i >= bpp ? x[i - bpp] : 0));
        break;
    case 2:
        for (size_t i = 0; i < n; i++) out[i] = (unsigned char)(x[i] - up[i]);
        break;
    case 3:
        for (size_t i = 0; i < n; i++)
            out[i] = (unsigned char)(x[i] - (((i >= bpp ? x[i - bpp] : 0) + up[i]) >> 1));
        break;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = (unsigned char)(x[i] - paeth(i >= bpp ? x[i - bpp] : 0, up[i],
                                                  i >= bpp ? up[i - bpp] : 0));
        break;
    }
}

/* libpng's heuristic when several filters are allowed: the candidate whose bytes, read as
 * signed, have the smallest sum of magnitudes. */
static const unsigned char *choose_filter(blur__png_writer *w)
{
    static const int bits[5] = {PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG,
                                PNG_FILTER_PAETH};
    const unsigned char *best = NULL;
    uint64_t best_sum = UINT64_MAX;
    for (int type = 0; type < 5; type++) {
        if (!(w->filter_mask & bits[type])) continue;
        unsigned char *out = w->filtered + (size_t)type * (w->row_bytes + 1);
        filter_row(w, type, out);
        if (w->filter_mask == bits[type]) return out;
        uint64_t sum = 0;
        for (size_t i = 1; i <= w->row_bytes; i++) sum += out[i] < 128 ? out[i] : 256u - out[i];
        if (sum < best_sum) {
            best_sum = sum;
            best = out;
        }
    }
    return best;
}

blur_error blur__png_writer_rows(blur__png_writer *w, const void *first, size_t count,
                                 size_t stride)
{
    for (size_t i = 0; i < count; i++) {
        to_png_layout(w, (const char *)first + i * stride);
        blur_error err = blur__zstream_write(w->z, choose_filter(w), w->row_bytes + 1);
        if (err) return err;
        unsigned char *t = w->prev;
        w->prev = w->raw;
        w->raw = t;
    }
    return BLUR_OK;
}

blur_error blur__png_writer_finish(blur__png_writer *w)
{
    blur_error err = blur__zstream_finish(w->z);
    if (err) return err;
    PNG_TRY(w);
    png_write_chunk(w->png, (png_const_bytep) "IEND", NULL, 0);
    return BLUR_OK;
}

void blur__png_writer_free(blur__png_writer *w)
{
    if (!w) return;
    blur__zstream_free(w->z);
    png_destroy_write_struct(&w->png, &w->info);
    free(w->raw);
    free(w->prev);
    free(w->filtered);
    free(w->convert_row);
    free(w);
}

blur_error blur__png_encode(FILE *fp, const blur_image *img, const blur_write_options *opt)
{
    blur__png_writer *w;
    blur_error err = blur__png_writer_open(fp, img, opt, &w);
    if (!err) err = blur__png_writer_rows(w, img->data, img->height, img->stride);
    if (!err) err = blur__png_writer_finish(w);
    blur__png_writer_free(w);
    return err;
}
