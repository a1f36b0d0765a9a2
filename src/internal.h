/* internal.h — what the library's files share with each other and with the tests, never with
 * users. Everything here is prefixed blur__. */
#ifndef BLUR_INTERNAL_H
#define BLUR_INTERNAL_H

#include "blur.h"

#include <stdatomic.h>
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

/* Runs work on `count` (at most 256) jobs of job_size bytes each, laid out from `jobs`: job 0
 * on the calling thread, the others on threads of their own, or here when a thread cannot
 * start (same result, less parallel). Returns when all are done; each job reports its own
 * error. */
void blur__run_parallel(void *(*work)(void *), void *jobs, size_t job_size, unsigned count);

/* Work handed out in chunks: the threads of blur__run_parallel each take the next chunk of
 * [0, units) when they are done with one, so a core slowed by another process leaves its
 * share to the others instead of holding them all up. Results never depend on who does what:
 * every user computes each unit the same way whatever the chunk. */
typedef struct blur__chunks {
    atomic_size_t next; /* the next chunk to hand out */
    size_t units, size; /* [0, units), size units a chunk (the last may be shorter) */
} blur__chunks;

/* per_thread chunks for each of `threads` (one chunk for one thread), each at least `least`
 * units and a multiple of grain (at least one grain). */
void blur__chunks_init(blur__chunks *chunks, size_t units, unsigned threads, size_t per_thread,
                       size_t least, size_t grain);
/* The next chunk [*first, *last), or false when none is left. */
bool blur__chunks_take(blur__chunks *chunks, size_t *first, size_t *last);

/* malloc(a*b) with the product checked; NULL on overflow or exhaustion. */
void *blur__alloc_array(size_t count, size_t size);

/* ---- cpu.c ---- */

/* Whether this CPU has every feature named in features[0..count) (a NULL ends the list
 * early): "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512vnni"; an
 * unknown name is false. Off x86-64 only the empty list holds. */
bool blur__cpu_has(const char *const *features, size_t count);

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
 * rows through row_at, into out (row y0 first, out_stride bytes apart), on the plan's
 * threads (row_at is called from all of them). */
blur_error blur__plan_run_rows(const blur_plan *plan, const blur_image *shape,
                               blur__row_fn *row_at, void *rows, size_t y0, size_t y1, void *out,
                               size_t out_stride);
/* How many input rows above and below an output row its value depends on. */
long blur__plan_rows_above(const blur_plan *plan);
long blur__plan_rows_below(const blur_plan *plan);
blur_border blur__plan_border(const blur_plan *plan);
/* Whether the plan filters images shaped like `shape` fastest whole (the decimated path for
 * large sigma, while the image fits BLUR_MAX_FILTER_MEMORY), rather than a strip of rows at a
 * time. */
bool blur__plan_wants_whole(const blur_plan *plan, const blur_image *shape);

/* ---- pixel.c ---- */

/* The transforms between an image's samples and the filter's working values (doubles in the
 * depth's own scale). BLUR__PX_LINEAR: sRGB decode (colour channels of integer images);
 * BLUR__PX_PREMULTIPLY: colour times alpha/max (images with alpha); BLUR__PX_SIGNED: on the
 * way back, integer samples store mid + value * scale. */
enum { BLUR__PX_LINEAR = 1, BLUR__PX_PREMULTIPLY = 2, BLUR__PX_SIGNED = 4 };
/* Whether these transforms premultiply alpha on an image of this many channels. */
static inline bool blur__premultiplies(unsigned flags, size_t channels)
{
    return (flags & BLUR__PX_PREMULTIPLY) && (channels == 2 || channels == 4);
}

/* sRGB transfer functions on 0..1 (IEC 61966-2-1); values beyond 0..1 continue the curve. */
double blur__srgb_to_linear(double v);
double blur__linear_to_srgb(double v);

/* In place, `pixels` pixels of `channels` interleaved samples: into working form (decode,
 * premultiply) and back (unpremultiply, encode, signed mapping), as `flags` says. */
void blur__pixels_to_working(double *row, size_t pixels, int channels, blur_depth depth,
                             unsigned flags);
void blur__pixels_from_working(double *row, size_t pixels, int channels, blur_depth depth,
                               unsigned flags, double scale);

/* Full-scale value of a depth: 255, 65535 or 1. */
double blur__depth_max(blur_depth depth);

/* Whether every alpha sample (the last channel) of a row of `pixels` pixels is at its maximum;
 * 8- and 16-bit only (false for float). */
bool blur__alpha_row_opaque(const void *row, size_t pixels, size_t channels, blur_depth depth);

/* Converts `count` samples at `src` (of depth) to doubles in the depth's own scale. */
void blur__load_samples(const void *src, blur_depth depth, size_t count, double *dst);

/* Converts doubles back: rounded to nearest and clamped for integer depths; float as is. */
void blur__store_samples(const double *src, size_t count, blur_depth depth, void *dst);

/* ---- kernel.c: the masks the engine needs beyond the method table ---- */

/* scipy's _gaussian_kernel1d(sigma, order, radius): w[k] = q(x) phi(x) at x = k - radius,
 * phi the sampled Gaussian normalized to sum 1, q the derivative's polynomial (order 0..2). */
void blur__gaussian_order_1d(double sigma, int order, long radius, double *w);

/* The rotated Gaussian of blur_options (angle in degrees), (2ry+1) x (2rx+1), sum 1. */
void blur__gaussian_rotated(double sigma_x, double sigma_y, double angle, long rx, long ry,
                            double *w);

/* ---- filter.c: what the engines share ---- */

/* One image being filtered: the rows in working form and their way back. */
typedef struct blur__pipeline {
    const blur_image *src; /* the shape of input and output (data reached through row_at) */
    const blur_image *dst;
    blur__row_fn *row_at;  /* input row y is row_at(rows, y) */
    void *rows;
    unsigned char *out;    /* output row y at out + (y - out_y0) * out_stride */
    size_t out_y0, out_stride;
    blur_border border;
    unsigned flags;     /* BLUR__PX_* */
    double scale;
    size_t channels;
    double cval[4];     /* one pixel beyond the edge in constant mode, in working form */
    double hcval[4];    /* the same, for the horizontal pass of the separable engine */
} blur__pipeline;

/* A ring of input rows in working form, each extended by pad_before/pad_after pixels by the
 * border rule: row j lives in slot j mod slots and is loaded the first time it is asked for,
 * so each input row is converted about once per band. */
typedef struct blur__ring {
    const blur__pipeline *pl;
    size_t slots, len, pad_before, pad_after;
    double *data, *tmp;
    long *row;
} blur__ring;

blur_error blur__ring_init(blur__ring *ring, const blur__pipeline *pl, size_t slots,
                           size_t pad_before, size_t pad_after);
const double *blur__ring_get(blur__ring *ring, long j);
void blur__ring_free(blur__ring *ring);

/* Extends a working row of the image's width into ext (width + taps - 1 pixels): ext pixel p
 * is row pixel p - before, mapped by the border rule, or the pixel cval on the constant. */
void blur__extend_row(const blur__pipeline *pl, const double *row, long before, size_t taps,
                      const double *cval, double *ext);

/* Converts a working row back and stores it as row y of pl->dst. Clobbers row. */
void blur__store_row(const blur__pipeline *pl, double *row, size_t y);

/* ---- conv2d.c ---- */

/* A 2D mask for correlation: out(y, x) = sum w[r*cols + c] in(y + r - before_r,
 * x + c - before_c). */
typedef struct blur__mask2d {
    size_t rows, cols;
    long before_r, before_c;
    double *w;
    /* A separable Gaussian run in 2D keeps gaussian_filter's constant mode, which pads each
     * pass with cval: columns beyond the edge then add cval * wx[c] where the 2D sum adds
     * cval * wx[c] * sum(wy); constant_fix = 1 - sum(wy) and wx (cols cells) make up the
     * difference. constant_fix 0: the whole-neighbourhood semantics of ndimage.convolve. */
    double constant_fix;
    const double *wx;
} blur__mask2d;

/* The full 2D engine on output rows y0..y1 of pl->dst. Errors: BLUR_ERR_NOMEM. */
blur_error blur__conv2d_band(const blur__pipeline *pl, const blur__mask2d *mask, size_t y0,
                             size_t y1);

/* Rank test: when mask is an outer product u v^T to 1e-12 of its largest magnitude, fills
 * u[rows] and v[cols] and returns true. */
bool blur__mask_factor(const blur__mask2d *mask, double *u, double *v);

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
/* The EXIF orientation of an eXIf chunk before the image data (1 without one): the rows come
 * as stored, blur__png_read_whole turns the image, and meta is already the turned image's. */
int blur__png_reader_orientation(const blur__png_reader *r);
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
                            const blur_read_options *opt, blur_image *img,
                            blur_image_meta *meta);
/* Whether the first bytes of a file (at least the first few kB) may be a format stb_image
 * reads: a magic number, or a TGA header. Lets a non-image stream be refused before it is read
 * whole. */
bool blur__stb_sniff(const unsigned char *bytes, size_t size);
blur_error blur__stb_encode(FILE *fp, blur_format format, const blur_image *img,
                            const blur_write_options *opt);
/* io_jpeg.c: JPEG through libjpeg, turned by its EXIF orientation. */
bool blur__jpeg_sniff(const unsigned char *bytes, size_t size);
blur_error blur__jpeg_decode(const unsigned char *bytes, size_t size,
                             const blur_read_options *opt, blur_image *img,
                             blur_image_meta *meta);
/* 8-bit gray or RGB (deeper samples are scaled, alpha is dropped), opt->quality. */
blur_error blur__jpeg_encode(FILE *fp, const blur_image *img, const blur_write_options *opt);
/* io_psd.c: the composite image of a Photoshop file (grayscale or RGB, 8 or 16-bit). */
bool blur__psd_sniff(const unsigned char *bytes, size_t size);
blur_error blur__psd_decode(const unsigned char *bytes, size_t size,
                            const blur_read_options *opt, blur_image *img,
                            blur_image_meta *meta);

/* ---- io.c ---- */

/* Decodes what remains of a source whose prefix was sniffed and is not PNG (JPEG, PSD, stb's
 * formats); meta (zeroed, or NULL) gets what the format carries (a JPEG's ICC profile). */
blur_error blur__decode_rest(blur__source *src, const blur_read_options *opt, blur_image *img,
                             blur_image_meta *meta);
/* Reads all rows of a PNG reader into img (shaped as the reader says), then to IEND, then
 * turns img by the file's EXIF orientation. */
blur_error blur__png_read_whole(blur__png_reader *r, blur_image *img);

/* Converts an image to another depth into a new image (blur_image_free). */
blur_error blur__image_convert(const blur_image *src, blur_depth depth, blur_image *dst);

/* ---- exif.c ---- */

/* The orientation (1..8) in an EXIF block (a TIFF structure, either byte order); 1 when it has
 * none or the block is not one. Every offset is checked against size. */
int blur__exif_orientation(const unsigned char *tiff, size_t size);
/* Whether an orientation swaps width and height (5..8). */
bool blur__orientation_transposes(int orientation);
/* Turns and mirrors img as EXIF orientation 2..8 says, for display (1 and other values leave it
 * as it is); a transposing orientation swaps width and height. Errors: BLUR_ERR_NOMEM, img
 * unchanged. */
blur_error blur__image_orient(blur_image *img, int orientation);

/* ---- fir.c: the fast fixed-point separable path (BLUR_ENGINE_AUTO, integer depths) ---- */

typedef struct blur__fir blur__fir;

/* Prepares the fast path for the 1D masks wy (ty taps, vertical) and wx (tx taps); cval is the
 * constant border's value in sample units. *out stays NULL (and BLUR_OK is returned) when the
 * masks do not suit the path (not symmetric, negative taps). Errors: BLUR_ERR_NOMEM. */
blur_error blur__fir_create(const double *wy, size_t ty, const double *wx, size_t tx,
                            blur_border border, double cval, blur__fir **out);
void blur__fir_free(blur__fir *f);
/* Whether the path can filter src (u8 or u16; a constant border it can hold exactly), with
 * its alpha premultiplied (u8 only) or not. */
bool blur__fir_accepts(const blur__fir *f, const blur_image *src, bool premultiplied);
/* Filters output rows [y0, y1) of the pipeline (its input rows, its output strip). Rows are
 * independent. Errors: BLUR_ERR_NOMEM. */
struct blur__pipeline;
blur_error blur__fir_band(const blur__fir *f, const struct blur__pipeline *pl, size_t y0,
                          size_t y1);
/* The bytes one blur__fir_band allocates for an image of this shape (SIZE_MAX past size_t). */
size_t blur__fir_band_bytes(const blur__fir *f, const blur_image *shape, bool premultiplied);
/* Test and bench hook: run only the SIMD variant `name` ("avx512", "avx2", "generic"; NULL =
 * the best this CPU has). False when this build or CPU lacks it. Not thread-safe: call it
 * while no filter runs. */
bool blur__fir_force_variant(const char *name);
/* The variant that runs now. */
const char *blur__fir_variant_name(void);

/* ---- decim.c: the O(1)-per-pixel Gaussian for large sigma, by decimation (AUTO, 8-bit) ---- */

/* From this sigma the decimated filter is faster than the fixed-point FIR: where its step
 * reaches 4 (sigma / 2.4, decim.c); at step 3 (sigma 7.2 to 9.6) the two are even. make bench
 * with --decim-min-sigma 6 and 1e9, interleaved, 6000x4000, AVX-512 on a 2-core Zen 4, medians
 * of 7, three rounds, 1 thread, FIR / decimated ms: RGB sigma 8: 116-131 / 125-135, 9:
 * 113-142 / 131-138, 9.6: 118-119 / 95; gray 8: 38-39 / 38-45, 9.6: 43-44 / 27. */
#define BLUR__DECIM_MIN_SIGMA 9.6
/* Nor below this one, whatever blur__decim_min_sigma says: the chain's own blur (the anti-alias
 * Gaussian twice, 0.8 * 3 * sqrt 2 at the smallest step) must stay well below sigma for the fit
 * (at 6, 99.975 % of pixels exact or more on the photos of tests/fit_decim.py). */
#define BLUR__DECIM_LOWEST_SIGMA 6.0
/* The lower threshold plans use, BLUR__DECIM_MIN_SIGMA unless a test or the bench changes it
 * (to force one path; not thread-safe: set it while no plan is being made). */
extern double blur__decim_min_sigma;
/* Whether sigma is within the decimated filter's range: from the threshold on, up to the
 * masks' own limit (BLUR_MAX_RADIUS, sigma 1250 at truncate 4, where the plan takes 0.2 s:
 * the coarse kernel's fit grows with (sigma / 64)^3; 5 ms at sigma 250). */
bool blur__decim_takes_sigma(double sigma);

typedef struct blur__decim blur__decim;

/* Prepares the decimated filter for the Gaussian cut at radius_x, radius_y (the masks' radii,
 * at least 4 sigma, at most BLUR_MAX_RADIUS), both sigmas within blur__decim_takes_sigma;
 * cval as for blur__fir_create. Errors: BLUR_ERR_NOMEM; BLUR_ERR_UNSUPPORTED when the coarse
 * kernel cannot be fitted (not seen; the plan then keeps the FIR). */
blur_error blur__decim_create(double sigma_x, double sigma_y, long radius_x, long radius_y,
                              blur_border border, double cval, blur__decim **out);
void blur__decim_free(blur__decim *f);
/* Whether it can filter src (8-bit, 1-4 channels, a constant border within 0..255). */
bool blur__decim_accepts(const blur__decim *f, const blur_image *src);
/* Filters the whole image on `threads` threads (>= 1); src and dst do not overlap. Not const:
 * it keeps its workspace between runs (under its own lock; a concurrent run allocates its
 * own). Errors: BLUR_ERR_NOMEM, BLUR_ERR_OVERFLOW. */
blur_error blur__decim_run(blur__decim *f, const blur_image *src, blur_image *dst,
                           unsigned threads);
/* Test and bench hook, as blur__fir_force_variant: run only the kernel `name` ("avx512",
 * "avx2", "generic"; NULL = the best this CPU has). False when this build or CPU lacks it. */
bool blur__decim_force_kernel(const char *name);

/* ---- rbf.c ---- */

/* Rows row0 .. row0+count-1 of K(X, Y) into out (count × m). mirror: the whole symmetric
 * matrix (y NULL or x, row0 0, count n), upper half computed and mirrored. force_generic: the
 * portable micro-kernel instead of the one chosen for this CPU (for the tests). */
blur_error blur__rbf_compute(const blur_matrix *x, const blur_matrix *y,
                             const blur_rbf_options *opt, size_t row0, size_t count,
                             bool mirror, bool force_generic, double *out, size_t out_cells);

#endif
