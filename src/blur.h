/*
 * blur.h — Gaussian smoothing of images, Gaussian masks, and Gaussian kernel matrices.
 *
 * This header is the manual. Every function says what it does, how it fails and who owns
 * what. Conventions:
 *   - Every fallible function returns a blur_error; 0 (BLUR_OK) is success. The library never
 *     prints and never exits. blur_strerror() turns a code into a short English phrase.
 *   - The caller owns its buffers. Where the library allocates (decoded images, matrices), the
 *     function says which blur_*_free releases it; every blur_*_free(NULL) does nothing.
 *   - Option structs are plain values: start from the *_INIT macro and change what you need.
 *   - Thread safety: functions share no mutable global state unless they say so; distinct
 *     objects may be used from distinct threads at once.
 */
#ifndef BLUR_H
#define BLUR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BLUR_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------------------------------- */
/* Errors                                                                                    */
/* ---------------------------------------------------------------------------------------- */

typedef enum blur_error {
    BLUR_OK = 0,
    BLUR_ERR_NOMEM,          /* an allocation failed */
    BLUR_ERR_INVALID,        /* an argument is out of its documented range */
    BLUR_ERR_OVERFLOW,       /* a size computation would overflow size_t */
    BLUR_ERR_OPEN,           /* the file could not be opened; errno says why */
    BLUR_ERR_READ,           /* reading failed; errno says why */
    BLUR_ERR_WRITE,          /* writing failed (disk full, I/O error); errno says why */
    BLUR_ERR_UNKNOWN_FORMAT, /* the bytes are not an image format we read */
    BLUR_ERR_CORRUPT,        /* the file is damaged or inconsistent */
    BLUR_ERR_TRUNCATED,      /* the file ends before the image does */
    BLUR_ERR_EMPTY,          /* the file holds no bytes at all */
    BLUR_ERR_TOO_LARGE,      /* over the pixel limit or another documented limit */
    BLUR_ERR_UNSUPPORTED,    /* a valid request this build or format cannot do */
    BLUR_ERR_EXTENSION,      /* the output name's extension is not a format we write */
    BLUR_ERR_NOT_SEPARABLE,  /* a separable engine was forced on a mask that is not rank 1 */
    BLUR_ERR_PARSE,          /* a text or matrix file is malformed */
    BLUR_ERR_UNKNOWN_NAME,   /* a method, mode or format name not in its table */
    BLUR_ERR_INTERRUPTED,    /* the operation was cancelled */
    BLUR_ERR_COUNT_
} blur_error;

/* A short English phrase for the code, e.g. "not an image (unknown format)". Never NULL;
 * unknown codes give "unknown error". Static storage, thread-safe. */
const char *blur_strerror(blur_error err);

/* ---------------------------------------------------------------------------------------- */
/* Images                                                                                    */
/* ---------------------------------------------------------------------------------------- */

/* Sample types. Integer samples use their full range (0..255, 0..65535); float samples use
 * 0..1 for black..white and may exceed it (HDR, derivatives). */
typedef enum blur_depth { BLUR_U8 = 1, BLUR_U16 = 2, BLUR_F32 = 4 } blur_depth;

/* An image: width × height pixels of `channels` interleaved samples each (1 gray, 2 gray+alpha,
 * 3 RGB, 4 RGBA; alpha is always last). Row y starts at data + y*stride bytes. The struct does
 * not say who owns `data`; the function that filled it does. */
typedef struct blur_image {
    size_t width, height;
    int channels;
    blur_depth depth;
    size_t stride;
    void *data;
} blur_image;

/* Default pixel limit for decoding: 100 megapixels (400 MB as RGBA 8-bit, 1.6 GB as the float
 * working copy some paths need). Larger photos exist but are rare; raise it explicitly. */
#define BLUR_DEFAULT_MAX_PIXELS ((uint64_t)100 * 1000 * 1000)

/* Bytes per sample of a depth (1, 2 or 4). */
size_t blur_depth_size(blur_depth depth);

/* Fills *img with a new zeroed image with a tight stride. Errors: BLUR_ERR_INVALID (zero size,
 * channels outside 1..4, unknown depth), BLUR_ERR_OVERFLOW, BLUR_ERR_NOMEM. Release with
 * blur_image_free. */
blur_error blur_image_alloc(blur_image *img, size_t width, size_t height, int channels,
                            blur_depth depth);

/* Frees the pixels of an image filled by blur_image_alloc or blur_image_read/decode, and zeroes
 * the struct. NULL or an empty image does nothing. */
void blur_image_free(blur_image *img);

/* Checks that an image description is usable: sizes non-zero, channels 1..4, known depth,
 * stride large enough, data non-NULL. */
blur_error blur_image_check(const blur_image *img);

/* Metadata carried from a decoded PNG to an encoded one; zero means absent. */
typedef struct blur_image_meta {
    double gamma;            /* gAMA, as the file gamma (e.g. 0.45455); 0 = absent */
    int srgb_intent;         /* sRGB chunk rendering intent + 1; 0 = absent */
    unsigned char *icc;      /* iCCP profile bytes (malloc'd, freed by blur_image_meta_free) */
    size_t icc_size;
    char icc_name[80];
    uint32_t phys_x, phys_y; /* pHYs pixels per unit */
    int phys_unit;           /* pHYs unit (1 = metre); phys_x == 0 = absent */
} blur_image_meta;

/* Frees what a meta holds and zeroes it; NULL does nothing. */
void blur_image_meta_free(blur_image_meta *meta);

/* ---------------------------------------------------------------------------------------- */
/* Reading and writing image files                                                          */
/* ---------------------------------------------------------------------------------------- */

typedef struct blur_read_options {
    uint64_t max_pixels; /* refuse larger images from their header alone; 0 = no limit */
} blur_read_options;
#define BLUR_READ_OPTIONS_INIT {BLUR_DEFAULT_MAX_PIXELS}

/* Reads an image file; the format comes from its bytes, never its name: PNG through libpng
 * (every colour type and bit depth, interlaced; palettes and tRNS become alpha; 1/2/4-bit
 * become 8-bit; 16-bit stays 16-bit), JPEG, BMP, TGA, GIF (first frame), PSD (composite), PNM
 * (8 or 16-bit) through stb_image, HDR as float. path "-" reads standard input.
 * On success *img owns new pixels (blur_image_free); meta may be NULL, else it is filled
 * (blur_image_meta_free). On failure *img and *meta are left empty.
 * Errors: BLUR_ERR_OPEN/READ (errno set), EMPTY, UNKNOWN_FORMAT, CORRUPT, TRUNCATED, TOO_LARGE,
 * NOMEM. Thread-safe. */
blur_error blur_image_read(const char *path, const blur_read_options *opt, blur_image *img,
                           blur_image_meta *meta);

/* The same as blur_image_read, from `size` bytes in memory. */
blur_error blur_image_decode(const void *bytes, size_t size, const blur_read_options *opt,
                             blur_image *img, blur_image_meta *meta);

typedef enum blur_format {
    BLUR_FORMAT_PNG,
    BLUR_FORMAT_JPEG,
    BLUR_FORMAT_BMP,
    BLUR_FORMAT_TGA,
    BLUR_FORMAT_HDR,
    BLUR_FORMAT_COUNT_
} blur_format;

/* The output format for a file name, from its extension (case-insensitive): .png, .jpg/.jpeg,
 * .bmp, .tga, .hdr. "-", and a device or FIFO without one of these, mean PNG.
 * Errors: BLUR_ERR_EXTENSION. */
blur_error blur_format_from_path(const char *path, blur_format *format);

/* Looks a format up by its name ("png", "jpg", "jpeg", "bmp", "tga", "hdr").
 * Errors: BLUR_ERR_UNKNOWN_NAME. */
blur_error blur_format_from_name(const char *name, blur_format *format);

/* The canonical file extension of a format, without the dot ("png", "jpg", ...). */
const char *blur_format_extension(blur_format format);

typedef struct blur_write_options {
    int quality;     /* JPEG quality 1..100 */
    int compression; /* PNG zlib level 0..9; -1 = our measured default */
    const blur_image_meta *meta; /* PNG metadata to write; NULL = none */
} blur_write_options;
#define BLUR_WRITE_OPTIONS_INIT {90, -1, NULL}

/* Writes an image to `path` in the format its extension names (see blur_format_from_path).
 * PNG keeps the channel layout and 8/16-bit depth (float becomes 16-bit); JPEG, BMP and TGA
 * are 8-bit (JPEG drops alpha); HDR is float RGB(A). A regular file is written to a temporary
 * file in the same directory and renamed into place, so a failure leaves no new file and an
 * existing one is replaced only by a complete one; devices, FIFOs and "-" (standard output)
 * are written directly. Errors: BLUR_ERR_EXTENSION, OPEN, WRITE (errno set), INVALID, NOMEM.
 * Thread-safe. */
blur_error blur_image_write(const char *path, const blur_image *img,
                            const blur_write_options *opt);

/* The same, with the format given instead of taken from the name. */
blur_error blur_image_write_as(const char *path, blur_format format, const blur_image *img,
                               const blur_write_options *opt);

/* Removes the temporary files of writes in progress. Async-signal-safe: meant for a SIGINT or
 * SIGTERM handler, after which the process should exit. */
void blur_remove_temporary_files(void);

/* ---------------------------------------------------------------------------------------- */
/* Matrices: masks, data points, kernel matrices, as NumPy .npy or CSV files                 */
/* ---------------------------------------------------------------------------------------- */

/* A dense matrix of doubles in row-major order. A 1D array of n values is 1 × n; an array of
 * more dimensions is shape[0] × (the product of the others). */
typedef struct blur_matrix {
    size_t rows, cols;
    double *data;
} blur_matrix;

/* Largest matrix the readers accept, in cells (8 GB of doubles). */
#define BLUR_MATRIX_MAX_CELLS ((size_t)1 << 30)

/* Reads a matrix: NumPy .npy when the file starts with the .npy magic (float64, float32, and
 * signed/unsigned 8..64-bit integers, little- or big-endian, C or Fortran order), otherwise
 * CSV (numbers separated by commas and/or blanks, one row per line; blank lines and lines
 * starting with '#' are skipped). Every value must be finite. On success *m owns new data
 * (blur_matrix_free). *where (may be NULL) receives the 1-based line (CSV) or row (.npy) of a
 * parse error, else 0. Errors: BLUR_ERR_OPEN/READ (errno), EMPTY, PARSE (ragged rows, not a
 * number, NaN or infinity, a malformed .npy header), UNSUPPORTED (a .npy dtype we do not read),
 * TOO_LARGE, NOMEM. */
blur_error blur_matrix_read(const char *path, blur_matrix *m, size_t *where);

/* The same, from bytes in memory. */
blur_error blur_matrix_parse(const void *bytes, size_t size, blur_matrix *m, size_t *where);

/* Writes a matrix as .npy (float64, C order, shape (rows, cols)) when the name ends in .npy,
 * else as CSV with 17 significant digits (values read back exactly). Atomic, as
 * blur_image_write. Errors: BLUR_ERR_OPEN, WRITE (errno), INVALID, NOMEM. */
blur_error blur_matrix_write(const char *path, const blur_matrix *m);

/* Frees a matrix's data and zeroes it; NULL does nothing. */
void blur_matrix_free(blur_matrix *m);

/* ---------------------------------------------------------------------------------------- */
/* Gaussian masks                                                                            */
/* ---------------------------------------------------------------------------------------- */

typedef enum blur_normalize {
    BLUR_NORMALIZE_SUM = 0, /* the mask sums to 1 */
    BLUR_NORMALIZE_PEAK,    /* the largest value is 1 */
    BLUR_NORMALIZE_NONE     /* as the method computes it */
} blur_normalize;

/* One way of building a mask. Every method is an outer product of two 1D masks. */
typedef struct blur_kernel_method {
    const char *name;    /* "sampled", "integrated", ... */
    const char *summary; /* one line for --help */
    int flawed;          /* non-zero: kept to show a wrong answer (marked in --help) */
} blur_kernel_method;

/* The number of methods, and method i (0 <= i < count; NULL beyond). Static storage. */
size_t blur_kernel_method_count(void);
const blur_kernel_method *blur_kernel_method_at(size_t i);

/* What mask to build. sigma_x runs along columns, sigma_y along rows. */
typedef struct blur_kernel_spec {
    const char *method;      /* NULL = "sampled" */
    size_t rows, cols;       /* mask shape; 0 = 2*int(truncate*sigma + 0.5) + 1 on that axis */
    double sigma_x, sigma_y; /* pixels, > 0 */
    double truncate;         /* width in sigmas used when rows/cols are 0 */
    blur_normalize normalize;
} blur_kernel_spec;
#define BLUR_KERNEL_SPEC_INIT {NULL, 0, 0, 1.0, 1.0, 4.0, BLUR_NORMALIZE_SUM}

/* The mask shape a spec yields. Errors: BLUR_ERR_INVALID (sigma <= 0 or not finite, size over
 * BLUR_KERNEL_MAX_SIZE), BLUR_ERR_UNKNOWN_NAME. */
#define BLUR_KERNEL_MAX_SIZE 10001
blur_error blur_kernel_shape(const blur_kernel_spec *spec, size_t *rows, size_t *cols);

/* The 1D mask along one axis (axis 0: the column mask of `rows` cells, with sigma_y; axis 1:
 * the row mask of `cols` cells, with sigma_x), normalized on its own as spec says, into
 * out[n]; n must equal the shape on that axis. Errors as blur_kernel_shape, and
 * BLUR_ERR_INVALID when n does not match. */
blur_error blur_kernel_1d(const blur_kernel_spec *spec, int axis, double *out, size_t n);

/* The 2D mask, rows × cols in row-major order, into out[rows*cols]. Errors as blur_kernel_1d. */
blur_error blur_kernel_2d(const blur_kernel_spec *spec, double *out, size_t n);

/* ---------------------------------------------------------------------------------------- */
/* Filtering                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/* What lies beyond the image edge. Names: see blur_border_from_name. */
typedef enum blur_border {
    BLUR_BORDER_REFLECT, /* d c b a | a b c d | d c b a   (scipy reflect, OpenCV REFLECT) */
    BLUR_BORDER_MIRROR,  /* d c b | a b c d | c b a       (scipy mirror, OpenCV REFLECT_101) */
    BLUR_BORDER_NEAREST, /* a a a | a b c d | d d d       (OpenCV REPLICATE) */
    BLUR_BORDER_CONSTANT,/* k k k | a b c d | k k k       (cval; OpenCV CONSTANT) */
    BLUR_BORDER_WRAP,    /* b c d | a b c d | a b c       (scipy grid-wrap, OpenCV WRAP) */
    BLUR_BORDER_COUNT_
} blur_border;

/* Looks a border mode up by scipy's or OpenCV's name ("reflect", "BORDER_REFLECT",
 * "reflect101", "replicate", ...), case-insensitive. Errors: BLUR_ERR_UNKNOWN_NAME. */
blur_error blur_border_from_name(const char *name, blur_border *border);

/* scipy's name of a mode ("reflect", "mirror", "nearest", "constant", "wrap"). */
const char *blur_border_name(blur_border border);

/* Which engine runs the filter. */
typedef enum blur_engine {
    BLUR_ENGINE_AUTO = 0,  /* the fastest path within 1 level of exact */
    BLUR_ENGINE_EXACT,     /* the double-precision separable reference (scipy's result) */
    BLUR_ENGINE_SEPARABLE, /* separable, fast when available */
    BLUR_ENGINE_2D         /* full 2D convolution with the outer-product mask */
} blur_engine;

typedef struct blur_options {
    double sigma_x, sigma_y; /* pixels; 0 leaves that axis untouched */
    double truncate;         /* radius = int(truncate*sigma + 0.5), as scipy */
    long radius_x, radius_y; /* > 0 overrides truncate on that axis; 0 = from truncate */
    const char *method;      /* mask method (blur_kernel_method_at); NULL = "sampled" */
    blur_border border;
    double cval;             /* the constant for BLUR_BORDER_CONSTANT, in 0..1 of full scale */
    blur_engine engine;
    unsigned threads;        /* 0 = one per core; results never depend on it */
} blur_options;
#define BLUR_OPTIONS_INIT {0.0, 0.0, 4.0, 0, 0, NULL, BLUR_BORDER_REFLECT, 0.0, \
                           BLUR_ENGINE_AUTO, 0}

/* The radius scipy uses for a sigma and truncate: int(truncate*sigma + 0.5). */
long blur_radius_for_sigma(double sigma, double truncate);

/* A blur prepared once for images of one shape: the masks, the border maps, the engine.
 * Opaque; create with blur_plan_create, release with blur_plan_free. A plan is read-only once
 * made, so one plan may run on several threads at once with distinct dst. */
typedef struct blur_plan blur_plan;

/* The largest mask radius: a mask of BLUR_KERNEL_MAX_SIZE taps (sigma 1250 at truncate 4).
 * Larger would only be slower, not smoother, on any image under the pixel limit. */
#define BLUR_MAX_RADIUS ((BLUR_KERNEL_MAX_SIZE - 1) / 2)

/* The most working memory blur_plan_run asks for, all threads together: 1 GiB. The exact engine
 * keeps (mask height + 3) rows as doubles per thread; past the limit it uses fewer threads, and
 * when even one thread would need more (a huge radius on a wide image) it fails with
 * BLUR_ERR_TOO_LARGE instead of asking the system for tens of gigabytes. */
#define BLUR_MAX_FILTER_MEMORY ((size_t)1 << 30)

/* Prepares a blur. Errors: BLUR_ERR_INVALID (bad options: negative or non-finite sigma,
 * truncate <= 0, unknown border), BLUR_ERR_TOO_LARGE (radius over BLUR_MAX_RADIUS),
 * BLUR_ERR_UNKNOWN_NAME (method), BLUR_ERR_NOMEM. On failure *plan is NULL. */
blur_error blur_plan_create(const blur_options *opt, blur_plan **plan);

/* Frees a plan; NULL does nothing. */
void blur_plan_free(blur_plan *plan);

/* Blurs src into dst, which must have the same width, height, channels and depth and must not
 * overlap it. Each channel is filtered on its own, as
 * scipy.ndimage.gaussian_filter(img, (sigma_y, sigma_x, 0)) does, and integer results are
 * rounded to nearest once, at the end. Errors: BLUR_ERR_INVALID (images that differ or
 * overlap), BLUR_ERR_TOO_LARGE (over BLUR_MAX_FILTER_MEMORY),
 * BLUR_ERR_NOMEM. */
blur_error blur_plan_run(const blur_plan *plan, const blur_image *src, blur_image *dst);

/* blur_plan_create + blur_plan_run + blur_plan_free, for one image. */
blur_error blur_gaussian(const blur_image *src, blur_image *dst, const blur_options *opt);

#ifdef __cplusplus
}
#endif

#endif /* BLUR_H */
