/* internal.h — what the library's files share with each other and with the tests, never with
 * users. Everything here is prefixed blur__. */
#ifndef BLUR_INTERNAL_H
#define BLUR_INTERNAL_H

#include "blur.h"

#include <stdbool.h>
#include <stdio.h>

/* Checked size arithmetic: false when the result would not fit in size_t. */
static inline bool blur__mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool blur__mul3(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab;
    return blur__mul(a, b, &ab) && blur__mul(ab, c, out);
}

/* malloc(a*b) with the product checked; NULL on overflow or exhaustion. */
void *blur__alloc_array(size_t count, size_t size);

/* ---- border.c ---- */

/* Maps a position i (any integer) to an index in [0, n) for the border mode, or -1 when the
 * position falls on the constant. n >= 1. Exact for any distance from the image. */
long blur__border_index(blur_border border, long i, long n);

/* ---- kernel.c ---- */

/* The 1D mask of scipy.ndimage.gaussian_filter1d: w[k] for k = 0..2r, the sampled Gaussian
 * exp(-x²/2σ²) at x = k - r, normalized to sum 1. */
void blur__gaussian_sampled_1d(double sigma, long radius, double *w);

/* ---- pixel.c ---- */

/* Full-scale value of a depth: 255, 65535 or 1. */
double blur__depth_max(blur_depth depth);

/* Converts `count` samples at `src` (of depth) to doubles in the depth's own scale. */
void blur__load_samples(const void *src, blur_depth depth, size_t count, double *dst);

/* Converts doubles back: rounded to nearest and clamped for integer depths; float as is. */
void blur__store_samples(const double *src, size_t count, blur_depth depth, void *dst);

/* ---- output.c ---- */

/* A file being written: a temporary file renamed into place on commit, or the target itself
 * when it is not a regular file (device, FIFO, standard output). */
typedef struct blur__output blur__output;

/* Opens an output for path ("-" = standard output). Errors: BLUR_ERR_OPEN, BLUR_ERR_NOMEM. */
blur_error blur__output_open(const char *path, blur__output **out);
/* The stream to write to. */
FILE *blur__output_stream(blur__output *out);
/* Flushes, syncs, closes and renames into place; frees out. On failure nothing is left
 * behind. Errors: BLUR_ERR_WRITE (errno set). */
blur_error blur__output_commit(blur__output *out);
/* Closes and removes the temporary file; frees out. NULL does nothing. */
void blur__output_abort(blur__output *out);

/* ---- io_png.c, io_stb.c ---- */

/* A source of bytes being decoded: a stream, with `prefix` bytes already read from it. */
typedef struct blur__source {
    FILE *fp;                 /* NULL when decoding from memory */
    const unsigned char *mem; /* the whole input when fp is NULL */
    size_t mem_size, mem_pos;
    unsigned char prefix[8];  /* the bytes the sniffer read */
    size_t prefix_size;
} blur__source;

bool blur__is_png(const unsigned char *bytes, size_t size);
blur_error blur__png_decode(blur__source *src, const blur_read_options *opt, blur_image *img,
                            blur_image_meta *meta);
blur_error blur__png_encode(FILE *fp, const blur_image *img, const blur_write_options *opt);
blur_error blur__stb_decode(const unsigned char *bytes, size_t size,
                            const blur_read_options *opt, blur_image *img);
/* Whether the first bytes of a file (at least the first few kB) may be a format stb_image
 * reads: a magic number, or a TGA header. Lets a non-image stream be refused before it is read
 * whole. */
bool blur__stb_sniff(const unsigned char *bytes, size_t size);
blur_error blur__stb_encode(FILE *fp, blur_format format, const blur_image *img,
                            const blur_write_options *opt);

/* Converts an image to another depth into a new image (blur_image_free). */
blur_error blur__image_convert(const blur_image *src, blur_depth depth, blur_image *dst);

#endif
