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

/* The number of threads to use for a request of `wanted` (0 = one per online core), at most
 * 256. */
unsigned blur__worker_threads(unsigned wanted);

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

/* ---- filter.c: what the streaming driver needs of a plan ---- */

/* Returns input row m (0 <= m < height) of the image being filtered. */
typedef const void *blur__row_fn(void *rows, size_t m);

/* Filters output rows [y0, y1) of an image shaped like `shape` (data unused), reading input
 * rows through row_at, into out (row y0 first, out_stride bytes apart). One thread. */
blur_error blur__plan_run_rows(const blur_plan *plan, const blur_image *shape,
                               blur__row_fn *row_at, void *rows, size_t y0, size_t y1, void *out,
                               size_t out_stride);
/* How many input rows above and below an output row its value depends on. */
long blur__plan_rows_above(const blur_plan *plan);
long blur__plan_rows_below(const blur_plan *plan);
blur_border blur__plan_border(const blur_plan *plan);
/* Whether the plan can filter rows as they arrive (false: the whole image is needed). */
bool blur__plan_streams(const blur_plan *plan);

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

/* ---- deflate.c ---- */

/* One zlib stream (header, data, Adler-32) compressed in 256 KiB blocks on `threads` worker
 * threads (0: on the caller's), handed to the sink in order, on the caller's thread, in pieces
 * whose concatenation is the stream. */
typedef blur_error blur__zsink(void *ctx, const unsigned char *bytes, size_t len);
typedef struct blur__zstream blur__zstream;
blur_error blur__zstream_open(int level, unsigned threads, blur__zsink *sink, void *sink_ctx,
                              blur__zstream **z);
blur_error blur__zstream_write(blur__zstream *z, const void *bytes, size_t len);
/* Compresses what is left, emits everything, and ends the stream. */
blur_error blur__zstream_finish(blur__zstream *z);
void blur__zstream_free(blur__zstream *z);

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

/* PNG a few rows at a time, for streaming. A reader opened on a source has read the header:
 * its shape says the decoded layout (data NULL). Rows come in order; interlaced files can
 * only be read whole (blur__png_decode). finish reads to IEND; free releases (NULL is fine). */
typedef struct blur__png_reader blur__png_reader;
blur_error blur__png_reader_open(blur__source *src, const blur_read_options *opt,
                                 blur__png_reader **reader, blur_image_meta *meta);
const blur_image *blur__png_reader_shape(const blur__png_reader *r);
bool blur__png_reader_interlaced(const blur__png_reader *r);
blur_error blur__png_reader_rows(blur__png_reader *r, void *first, size_t count, size_t stride);
blur_error blur__png_reader_finish(blur__png_reader *r);
void blur__png_reader_free(blur__png_reader *r);

/* The writer takes rows of shape's depth (float becomes 16-bit) in order. */
typedef struct blur__png_writer blur__png_writer;
blur_error blur__png_writer_open(FILE *fp, const blur_image *shape,
                                 const blur_write_options *opt, blur__png_writer **writer);
blur_error blur__png_writer_rows(blur__png_writer *w, const void *first, size_t count,
                                 size_t stride);
blur_error blur__png_writer_finish(blur__png_writer *w);
void blur__png_writer_free(blur__png_writer *w);
blur_error blur__stb_decode(const unsigned char *bytes, size_t size,
                            const blur_read_options *opt, blur_image *img);
blur_error blur__stb_encode(FILE *fp, blur_format format, const blur_image *img,
                            const blur_write_options *opt);

/* ---- io.c ---- */

/* Decodes what remains of a source whose prefix was sniffed and is not PNG (stb formats). */
blur_error blur__decode_rest(blur__source *src, const blur_read_options *opt, blur_image *img);
/* Reads all rows of a PNG reader into img (shaped as the reader says), then to IEND. */
blur_error blur__png_read_whole(blur__png_reader *r, blur_image *img);

/* Converts an image to another depth into a new image (blur_image_free). */
blur_error blur__image_convert(const blur_image *src, blur_depth depth, blur_image *dst);

#endif
