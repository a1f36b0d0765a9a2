/* io.c — reading: sniff the format from the bytes and dispatch (PNG streams from the file
 * through libpng; everything else is read into memory for libjpeg, our PSD reader or
 * stb_image); writing: pick the format from the name and write through an atomic output. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Non-PNG files are decoded from memory; this caps what we read of one (a 100-megapixel
 * uncompressed BMP is 400 MB). */
#define MAX_FILE_BYTES ((size_t)1 << 30)
/* The first read of a non-PNG stream, enough to sniff any of stb's formats. */
#define FIRST_BLOCK ((size_t)1 << 16)

static blur_error encode_png(FILE *fp, blur_format format, const blur_image *img,
                             const blur_write_options *opt)
{
    (void)format;
    return blur__png_encode(fp, img, opt);
}

static blur_error encode_jpeg(FILE *fp, blur_format format, const blur_image *img,
                              const blur_write_options *opt)
{
    (void)format;
    return blur__jpeg_encode(fp, img, opt);
}

/* One row per output format: its names (the first is the canonical extension), its writer. */
static const struct {
    blur_format format;
    const char *names[3];
    blur_error (*encode)(FILE *fp, blur_format format, const blur_image *img,
                         const blur_write_options *opt);
} formats[] = {
    {BLUR_FORMAT_PNG, {"png", NULL, NULL}, encode_png},
    {BLUR_FORMAT_JPEG, {"jpg", "jpeg", NULL}, encode_jpeg},
    {BLUR_FORMAT_BMP, {"bmp", NULL, NULL}, blur__stb_encode},
    {BLUR_FORMAT_TGA, {"tga", NULL, NULL}, blur__stb_encode},
    {BLUR_FORMAT_HDR, {"hdr", NULL, NULL}, blur__stb_encode},
};
enum { FORMAT_ROWS = sizeof formats / sizeof formats[0] };

blur_error blur_format_from_name(const char *name, blur_format *format)
{
    if (!name || !format) return BLUR_ERR_INVALID;
    for (size_t i = 0; i < FORMAT_ROWS; i++)
        for (size_t j = 0; j < 3 && formats[i].names[j]; j++)
            if (strcasecmp(name, formats[i].names[j]) == 0) {
                *format = formats[i].format;
                return BLUR_OK;
            }
    return BLUR_ERR_UNKNOWN_NAME;
}

blur_error blur_format_from_path(const char *path, blur_format *format)
{
    if (!path || !format) return BLUR_ERR_INVALID;
    if (strcmp(path, "-") == 0) {
        *format = BLUR_FORMAT_PNG;
        return BLUR_OK;
    }
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (dot && blur_format_from_name(dot + 1, format) == BLUR_OK) return BLUR_OK;
    /* A device or FIFO (/dev/null, /dev/stdout, a pipe) has no extension to go by: PNG, as for
     * standard output. */
    struct stat st;
    if (stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        *format = BLUR_FORMAT_PNG;
        return BLUR_OK;
    }
    return BLUR_ERR_EXTENSION;
}

const char *blur_format_extension(blur_format format)
{
    for (size_t i = 0; i < FORMAT_ROWS; i++)
        if (formats[i].format == format) return formats[i].names[0];
    return NULL;
}

/* ---- reading ---- */

/* The formats decoded from memory, in the order their first bytes are tried. meta (may be
 * NULL) is zeroed by the caller; a decoder fills what its format carries. */
static const struct {
    bool (*sniff)(const unsigned char *bytes, size_t size);
    blur_error (*decode)(const unsigned char *bytes, size_t size, const blur_read_options *opt,
                         blur_image *img, blur_image_meta *meta);
} memory_decoders[] = {
    {blur__jpeg_sniff, blur__jpeg_decode},
    {blur__psd_sniff, blur__psd_decode},
    {blur__stb_sniff, blur__stb_decode},
};
enum { MEMORY_DECODERS = sizeof memory_decoders / sizeof memory_decoders[0] };

static size_t memory_decoder_for(const unsigned char *bytes, size_t size)
{
    size_t i = 0;
    while (i < MEMORY_DECODERS && !memory_decoders[i].sniff(bytes, size)) i++;
    return i;
}

static blur_error decode_memory(const unsigned char *bytes, size_t size,
                                const blur_read_options *opt, blur_image *img,
                                blur_image_meta *meta)
{
    size_t i = memory_decoder_for(bytes, size);
    if (i == MEMORY_DECODERS) return BLUR_ERR_UNKNOWN_FORMAT;
    return memory_decoders[i].decode(bytes, size, opt, img, meta);
}

/* Reads the rest of a stream after the sniffed prefix into one buffer. */
static blur_error slurp(FILE *fp, const unsigned char *prefix, size_t prefix_size,
                        unsigned char **bytes, size_t *size)
{
    size_t cap = FIRST_BLOCK, len = prefix_size;
    unsigned char *buf = malloc(cap);
    if (!buf) return BLUR_ERR_NOMEM;
    memcpy(buf, prefix, prefix_size);
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_BYTES) {
                free(buf);
                return BLUR_ERR_TOO_LARGE;
            }
            unsigned char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return BLUR_ERR_NOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) break;
        /* Once the first block is in, a stream that is no format we read is refused without
         * reading on: /dev/zero or a pipe of text must not fill a gigabyte first. */
        if (len == cap && cap == FIRST_BLOCK && memory_decoder_for(buf, len) == MEMORY_DECODERS) {
            free(buf);
            return BLUR_ERR_UNKNOWN_FORMAT;
        }
    }
    if (ferror(fp)) {
        int saved = errno;
        free(buf);
        errno = saved;
        return BLUR_ERR_READ;
    }
    *bytes = buf;
    *size = len;
    return BLUR_OK;
}

static blur_error decode_source(blur__source *src, const blur_read_options *opt,
                                blur_image *img, blur_image_meta *meta)
{
    if (blur__is_png(src->prefix, src->prefix_size))
        return blur__png_decode(src, opt, img, meta);
    return blur__decode_rest(src, opt, img, meta);
}

blur_error blur__decode_rest(blur__source *src, const blur_read_options *opt, blur_image *img,
                             blur_image_meta *meta)
{
    if (!src->fp) return decode_memory(src->mem, src->mem_size, opt, img, meta);
    unsigned char *bytes;
    size_t size;
    blur_error err = slurp(src->fp, src->prefix, src->prefix_size, &bytes, &size);
    if (err) return err;
    err = decode_memory(bytes, size, opt, img, meta);
    free(bytes);
    return err;
}

static blur_error decode_checked(blur__source *src, const blur_read_options *opt,
                                 blur_image *img, blur_image_meta *meta)
{
    blur_read_options defaults = BLUR_READ_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    if (meta) memset(meta, 0, sizeof *meta);
    memset(img, 0, sizeof *img);
    if (src->prefix_size == 0) return BLUR_ERR_EMPTY;
    blur_error err = decode_source(src, opt, img, meta);
    if (err) {
        blur_image_free(img);
        blur_image_meta_free(meta);
    }
    return err;
}

blur_error blur_image_decode(const void *bytes, size_t size, const blur_read_options *opt,
                             blur_image *img, blur_image_meta *meta)
{
    if (!img || (!bytes && size)) return BLUR_ERR_INVALID;
    blur__source src = {.mem = bytes, .mem_size = size};
    src.prefix_size = size < sizeof src.prefix ? size : sizeof src.prefix;
    if (src.prefix_size) memcpy(src.prefix, bytes, src.prefix_size);
    src.mem_pos = src.prefix_size;
    return decode_checked(&src, opt, img, meta);
}

blur_error blur_image_read(const char *path, const blur_read_options *opt, blur_image *img,
                           blur_image_meta *meta)
{
    if (!path || !img) return BLUR_ERR_INVALID;
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) return BLUR_ERR_OPEN;
    blur__source src = {.fp = fp};
    src.prefix_size = fread(src.prefix, 1, sizeof src.prefix, fp);
    blur_error err;
    if (ferror(fp)) err = BLUR_ERR_READ;
    else err = decode_checked(&src, opt, img, meta);
    int saved = errno;
    if (!is_stdin) fclose(fp);
    errno = saved;
    return err;
}

/* ---- writing ---- */

blur_error blur_image_write_as(const char *path, blur_format format, const blur_image *img,
                               const blur_write_options *opt)
{
    blur_write_options defaults = BLUR_WRITE_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    blur_error err = blur_image_check(img);
    if (err) return err;
    if ((unsigned)format >= BLUR_FORMAT_COUNT_ || opt->quality < 1 || opt->quality > 100 ||
        opt->compression < -1 || opt->compression > 9)
        return BLUR_ERR_INVALID;
    blur__output *out;
    err = blur__output_open(path, &out);
    if (err) return err;
    FILE *fp = blur__output_stream(out);
    size_t row = 0;
    while (formats[row].format != format) row++; /* every format has a row */
    err = formats[row].encode(fp, format, img, opt);
    if (err) {
        blur__output_abort(out);
        return err;
    }
    return blur__output_commit(out);
}

blur_error blur_image_write(const char *path, const blur_image *img,
                            const blur_write_options *opt)
{
    blur_format format;
    blur_error err = blur_format_from_path(path, &format);
    if (err) return err;
    return blur_image_write_as(path, format, img, opt);
}
