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

/* Metadata carried from a decoded image to an encoded one: a PNG's gAMA, sRGB, iCCP and pHYs,
 * a JPEG's ICC profile; written into a PNG, and the ICC profile into a JPEG. Zero means
 * absent. */
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
 * become 8-bit; 16-bit stays 16-bit); JPEG through libjpeg (gray or RGB, CMYK becomes RGB);
 * BMP, TGA, GIF (first frame), PNM (8 or 16-bit) and HDR (as float) through stb_image; PSD's
 * composite image (gray or RGB, 8 or 16-bit, raw or run-length; colour blended with white, as
 * Photoshop stores and marks it, is un-blended) by our own reader. A JPEG or PNG is turned as
 * its EXIF orientation says, as viewers show it. path "-" reads standard input.
 * On success *img owns new pixels (blur_image_free); meta may be NULL, else it is filled
 * (blur_image_meta_free). On failure *img and *meta are left empty.
 * Errors: BLUR_ERR_OPEN/READ (errno set), EMPTY, UNKNOWN_FORMAT, CORRUPT, TRUNCATED, TOO_LARGE,
 * UNSUPPORTED (a PSD of another colour mode or depth, or PSB; a 12-bit or lossless JPEG),
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

/* PNG row filters (the PNG specification's five, or libpng's adaptive choice among them). */
typedef enum blur_png_filter {
    BLUR_PNG_FILTER_DEFAULT = 0, /* the measured default: up */
    BLUR_PNG_FILTER_NONE,
    BLUR_PNG_FILTER_SUB,
    BLUR_PNG_FILTER_UP,
    BLUR_PNG_FILTER_AVG,
    BLUR_PNG_FILTER_PAETH,
    BLUR_PNG_FILTER_ALL, /* adaptive, per row: smallest files, slowest */
    BLUR_PNG_FILTER_COUNT_
} blur_png_filter;

/* Looks a filter up by name: "default", "none", "sub", "up", "avg", "paeth", "all".
 * Errors: BLUR_ERR_UNKNOWN_NAME. */
blur_error blur_png_filter_from_name(const char *name, blur_png_filter *filter);

typedef struct blur_write_options {
    int quality;     /* JPEG quality 1..100 */
    int compression; /* PNG zlib level 0..9; -1 = the measured default, 2: with the "up"
                        filter, smaller files than OpenCV's default in about its time */
    blur_png_filter png_filter;
    const blur_image_meta *meta; /* PNG metadata to write; NULL = none */
    unsigned threads; /* PNG compression threads; 0 = one per core. Output is the same. */
} blur_write_options;
#define BLUR_WRITE_OPTIONS_INIT {90, -1, BLUR_PNG_FILTER_DEFAULT, NULL, 0}

/* Writes an image to `path` in the format its extension names (see blur_format_from_path).
 * PNG keeps the channel layout and 8/16-bit depth (float becomes 16-bit); JPEG, BMP and TGA
 * are 8-bit (JPEG drops alpha; BMP writes gray with alpha as RGBA); HDR is float RGB (it has
 * no alpha to keep). A regular file is written to a temporary
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

/* What a reader learned about a file, for messages and for callers that care how the data
 * was shaped. */
typedef struct blur_matrix_info {
    size_t ndim;      /* dimensions of the .npy array (0 for a scalar, 1 for a vector); 2 for CSV */
    size_t where;     /* 1-based line (CSV) or row (.npy) of a parse error; 0 = none or n/a */
    int is_npy;       /* non-zero when the bytes were .npy */
    char reason[112]; /* what is wrong, e.g. "3 values where the rows above have 4",
                       * "not a number: 'abc'", "NaN in column 2"; "" when nothing to add */
} blur_matrix_info;

/* blur_matrix_read and blur_matrix_parse, telling more: on return (success or failure) *info
 * (may be NULL) is filled as described above. Same errors, same ownership. Thread-safe. */
blur_error blur_matrix_read_info(const char *path, blur_matrix *m, blur_matrix_info *info);
blur_error blur_matrix_parse_info(const void *bytes, size_t size, blur_matrix *m,
                                  blur_matrix_info *info);

/* A matrix file written a block of rows at a time, for results larger than memory: the same
 * bytes blur_matrix_write would write (.npy float64 C order when the name ends in .npy, else
 * CSV with 17 significant digits), atomic in the same way. Opaque; one writer is used by one
 * thread at a time. */
typedef struct blur_matrix_writer blur_matrix_writer;

/* Starts writing a rows × cols matrix to path. Errors: BLUR_ERR_INVALID (zero size),
 * OVERFLOW, OPEN, WRITE (errno), NOMEM. On failure *writer is NULL and no file is left. */
blur_error blur_matrix_writer_open(const char *path, size_t rows, size_t cols,
                                   blur_matrix_writer **writer);

/* Appends `count` rows of cols doubles each (row-major) from data. Errors: BLUR_ERR_INVALID
 * (more rows than announced), WRITE (errno). After an error, call blur_matrix_writer_abort. */
blur_error blur_matrix_writer_rows(blur_matrix_writer *writer, const double *data,
                                   size_t count);

/* Finishes: the file appears complete under its name. Frees the writer in every case.
 * Errors: BLUR_ERR_INVALID (fewer rows written than announced; nothing is left), WRITE. */
blur_error blur_matrix_writer_close(blur_matrix_writer *writer);

/* Gives up: removes the partial file and frees the writer. NULL does nothing. */
void blur_matrix_writer_abort(blur_matrix_writer *writer);

/* ---------------------------------------------------------------------------------------- */
/* Gaussian kernel matrices                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* The Gaussian (RBF) kernel matrix of data points: K[i][j] = exp(-gamma * |x_i - y_j|^2) with
 * gamma = 1 / (2 sigma^2), for the rows x_i of X (n × d) and y_j of Y (m × d); with Y absent,
 * Y = X and K is n × n, symmetric, computed once and mirrored, with a diagonal of exactly 1.
 *
 * Two methods:
 *   BLUR_RBF_FAST  |x|^2 + |y|^2 - 2 x.y, with a blocked, vectorised (AVX2+FMA when the CPU
 *                  has it, chosen at run time, with the exponential vectorised too, within
 *                  2 ulp of libm's), threaded inner product. Distances below 0 (rounding)
 *                  become 0, so K never exceeds 1. Rounding error in |x - y|^2 is
 *                  about 1e-16 * (|x|^2 + |y|^2): within 1e-12 relative of BLUR_RBF_EXACT while
 *                  gamma * |x|^2 stays below about 1000, i.e. for data whose offset from the
 *                  origin is small against its spread (center it first, or use EXACT).
 *   BLUR_RBF_EXACT each |x - y|^2 summed directly from the differences: no cancellation
 *                  whatever the offset; several times slower for large d.
 * Results do not depend on the thread count, nor on whether a row is computed alone
 * (blur_rbf_rows) or with the whole matrix; FAST results may differ in the last bits between
 * CPUs with and without AVX2. Where some |x|^2 overflows (|x| > 1e154), FAST takes EXACT's path
 * (it would give NaN). */
typedef enum blur_rbf_method { BLUR_RBF_FAST = 0, BLUR_RBF_EXACT } blur_rbf_method;

typedef struct blur_rbf_options {
    double sigma;           /* > 0: gamma = 1/(2 sigma^2); 0 = use gamma */
    double gamma;           /* > 0 when sigma is 0; exactly one of the two must be set */
    blur_rbf_method method;
    unsigned threads;       /* 0 = one per core */
} blur_rbf_options;
#define BLUR_RBF_OPTIONS_INIT {0.0, 0.0, BLUR_RBF_FAST, 0}

/* Computes K(X, Y) into out, rows × cols = x->rows × (y ? y->rows : x->rows), row-major;
 * out_cells must be at least that product. y may be NULL (or equal to x) for the symmetric
 * K(X, X). X and Y must have the same number of columns d >= 1 and finite values. out is the
 * caller's and must not overlap X or Y. Errors: BLUR_ERR_INVALID (NULL or empty matrices, d
 * mismatch, a value of X or Y that is not finite, out overlapping X or Y, sigma and gamma both
 * or neither set, non-positive or non-finite, unknown method, out too small), OVERFLOW, NOMEM.
 * On error out is unspecified. Thread-safe: distinct calls may run at once. */
blur_error blur_rbf(const blur_matrix *x, const blur_matrix *y, const blur_rbf_options *opt,
                    double *out, size_t out_cells);

/* Rows row0 .. row0 + count - 1 of the same K, into out[count × cols], for writing a matrix
 * larger than memory a block at a time (blur_matrix_writer). Every value equals the one
 * blur_rbf gives, bit for bit. Errors as blur_rbf, and BLUR_ERR_INVALID when the rows run past
 * x->rows. */
blur_error blur_rbf_rows(const blur_matrix *x, const blur_matrix *y, const blur_rbf_options *opt,
                         size_t row0, size_t count, double *out, size_t out_cells);

/* The gamma an options struct means (1/(2 sigma^2), or gamma), or 0 when it is invalid. */
double blur_rbf_gamma(const blur_rbf_options *opt);

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

/* The mask shape a spec yields. Errors: BLUR_ERR_INVALID (NULL arguments, sigma <= 0 or not
 * finite, truncate <= 0 or not finite when a size is 0, size over BLUR_KERNEL_MAX_SIZE, an
 * unknown normalize), BLUR_ERR_UNKNOWN_NAME (method). Thread-safe. */
#define BLUR_KERNEL_MAX_SIZE 10001
blur_error blur_kernel_shape(const blur_kernel_spec *spec, size_t *rows, size_t *cols);

/* The 1D mask along one axis (axis 0: the column mask of `rows` cells, with sigma_y; axis 1:
 * the row mask of `cols` cells, with sigma_x), normalized on its own as spec says, into
 * out[n]; n must equal the shape on that axis. Any n from 1 to BLUR_KERNEL_MAX_SIZE, odd or
 * even. The methods (one row each in kernel.c's table; n cells, σ in pixels):
 *   sampled        exp(-x²/2σ²) at x = i - (n-1)/2 (scipy.ndimage.gaussian_filter's mask)
 *   sampled-floor  the same at x = i - floor(n/2): even n is shifted by half a cell
 *   integrated     Φ((i+1-n/2)/σ) - Φ((i-n/2)/σ), each cell's normal mass; the
 *                  gkern(kernlen, nsig) answer with nsig = n/(2σ)
 *   legacy-sqrt    sqrt of the CDF differences over linspace(-nsig-d/2, nsig+d/2, n+1),
 *                  d = (2nsig+1)/n, nsig = n/(2σ): the old accepted answer, too wide (flawed)
 *   dirac          scipy.ndimage.gaussian_filter1d(impulse at n//2, σ, mode reflect,
 *                  truncate 4.0): sampled when 4σ fits, tails folded back in when not
 *   window         scipy.signal.windows.gaussian(n, std=σ): numerically the sampled mask
 *   stretched      exp(-x²/2σ²) at x = linspace(0, n, n) - n/2 (generate_gaussian_mask)
 * Errors as blur_kernel_shape, and BLUR_ERR_INVALID when n does not match or out is NULL;
 * BLUR_ERR_TOO_LARGE (dirac only) when int(4σ + 0.5) exceeds BLUR_MAX_RADIUS;
 * BLUR_ERR_UNSUPPORTED when normalizing by sum or peak but every cell underflowed to 0 (σ far
 * below a cell with an even n; BLUR_NORMALIZE_NONE then gives the zeros). Thread-safe. */
blur_error blur_kernel_1d(const blur_kernel_spec *spec, int axis, double *out, size_t n);

/* The 2D mask, rows × cols in row-major order, into out[rows*cols]: the outer product of the
 * two 1D masks (normalizing each factor normalizes the product). The caller allocates out
 * (check rows*cols for overflow; up to BLUR_KERNEL_MAX_SIZE² cells, 800 MB). Errors as
 * blur_kernel_1d, and BLUR_ERR_NOMEM for the two 1D masks it allocates. Thread-safe. */
blur_error blur_kernel_2d(const blur_kernel_spec *spec, double *out, size_t n);

/* What a 2D mask amounts to, for comparing methods. */
typedef struct blur_kernel_report {
    double sum;              /* the sum of all cells */
    double peak;             /* the largest cell */
    double sigma_x, sigma_y; /* effective σ in pixels: the square root of the second moment
                                about the mask's centroid, along rows (x) and columns (y); the
                                mask's own normalization does not matter; NaN if all cells are 0 */
    double max_diff_integrated; /* the largest |cell - the same cell of the "integrated" mask
                                   with the same shape, σ and normalization| */
} blur_kernel_report;

/* Measures the mask a spec yields without building it in full (memory: the 1D masks of the
 * method and of "integrated"; time: rows*cols for the difference). Errors as blur_kernel_2d.
 * Thread-safe. */
blur_error blur_kernel_measure(const blur_kernel_spec *spec, blur_kernel_report *report);

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

/* Which engine runs the filter. Every engine gives the same result within rounding; they
 * differ in speed and in what masks they take. */
typedef enum blur_engine {
    BLUR_ENGINE_AUTO = 0,  /* separable when the mask has rank 1 (the rank test below), else
                              full 2D; the fastest path within 1 level of exact */
    BLUR_ENGINE_EXACT,     /* the plain double-precision reference (scipy's result): separable
                              when the mask has rank 1, else full 2D; never a fast path */
    BLUR_ENGINE_SEPARABLE, /* separable; a mask of rank > 1 is BLUR_ERR_NOT_SEPARABLE */
    BLUR_ENGINE_2D         /* full 2D convolution with the whole mask, even a separable one */
} blur_engine;

/* What to do with alpha (the last channel of gray+alpha and RGBA images). */
typedef enum blur_alpha {
    BLUR_ALPHA_PREMULTIPLY = 0, /* colour is multiplied by alpha before the blur and divided by
                                   the blurred alpha after it, so transparent pixels lend no
                                   colour to their neighbours (no dark fringes); a pixel whose
                                   blurred alpha is 0 gets colour 0 */
    BLUR_ALPHA_SEPARATE         /* every channel on its own, alpha too: what scipy, OpenCV and
                                   vips do */
} blur_alpha;

/* What to blur with. The mask is one of, in this order of precedence:
 *   - `kernel` (non-NULL): the caller's mask, any shape (odd or even sides), used as given
 *     (not normalized). It is applied as scipy.ndimage.convolve(img, kernel[:, :, None],
 *     origin=0) does, or as scipy.ndimage.correlate when `correlate` is non-zero. Along an
 *     axis of n cells the mask's centre is cell n/2 (rounded down) for correlate; convolve
 *     flips the mask first, so cell (n-1)/2 (rounded down) of the flipped mask lands on the
 *     output pixel: out[i] = sum_j k[j] * in[i + n/2 - j] (integer division). sigma, order
 *     and angle must be 0.
 *   - `angle` non-zero: a rotated anisotropic Gaussian: sigma_x along the direction `angle`
 *     degrees counter-clockwise (as seen on screen, y pointing down) from the +x axis,
 *     sigma_y across it; both must be > 0 and both orders 0. Cell (r, c) of the mask, with
 *     dx = c - rx, dy = r - ry, u = dx cos a - dy sin a, v = dx sin a + dy cos a, holds
 *     exp(-u²/2sigma_x² - v²/2sigma_y²), normalized to sum 1. The radii are
 *     rx = int(truncate * sqrt(sigma_x² cos² a + sigma_y² sin² a) + 0.5) and
 *     ry = int(truncate * sqrt(sigma_x² sin² a + sigma_y² cos² a) + 0.5) (the marginal
 *     sigmas, so angle 0 gives the separable mask's radii), or radius_x / radius_y when set.
 *     blur_plan_mask returns the mask, for scipy.ndimage.convolve.
 *   - otherwise the separable Gaussian of scipy.ndimage.gaussian_filter(img, (sigma_y,
 *     sigma_x, 0), order=(order_y, order_x, 0)): an axis with sigma 0 is untouched; order 1
 *     and 2 are the first and second derivative of the Gaussian along that axis (convolved,
 *     as scipy does, so order 1 is positive where values increase to the right/down).
 * Constant mode, as scipy: the separable Gaussian pads each pass with cval, as gaussian_filter
 * does (so where a derivative's mask does not sum to 1 the corners differ from a 2D
 * convolution with the outer-product mask), while kernels and rotated masks pad the whole
 * neighbourhood with cval, as ndimage.convolve does. Every engine keeps these semantics.
 *
 * The rank test: a 2D mask (kernel or angle) is separable when it equals the outer product
 * of its pivot column and row to 1e-12 of its largest magnitude; then the separable engine
 * runs it (unless BLUR_ENGINE_2D).
 *
 * Signed results: derivatives (an order > 0) and masks that sum to 0 (to 1e-9 of the sum of
 * their magnitudes, e.g. Sobel, Laplacian) give values of either sign. Float images keep them
 * as they are. Integer images store mid + value * scale, rounded and clamped to the depth's
 * range (never wrapping around as scipy's uint8 output does), where mid is 128 for 8-bit and
 * 32768 for 16-bit and value is in sample units (0..255 or 0..65535 for the input's range).
 * Signed results filter every channel on its own (alpha too) and cannot be combined with
 * `linear`.
 *
 * Pixel transforms, around the filter: with `linear`, 8-bit and 16-bit samples of the colour
 * channels (not alpha) are decoded from sRGB to linear light before the blur and encoded
 * after it; the working precision is double throughout and results are rounded once, at the
 * end, so no banding appears. Float images are taken as linear already (as HDR files are)
 * and `linear` leaves them alone. Then alpha is premultiplied as `alpha` says. A filter that
 * changes nothing (all sigmas 0) copies the image exactly, with no transform. */
typedef struct blur_options {
    double sigma_x, sigma_y; /* pixels; 0 leaves that axis untouched */
    double truncate;         /* radius = int(truncate*sigma + 0.5), as scipy */
    long radius_x, radius_y; /* > 0 overrides truncate on that axis; 0 = from truncate */
    const char *method;      /* mask method (blur_kernel_method_at); NULL = "sampled". Only
                                "sampled" has derivatives and rotations (else UNSUPPORTED) */
    blur_border border;
    double cval;             /* the value beyond the edge for BLUR_BORDER_CONSTANT, in sample
                                units as scipy's cval: 0..255 for 8-bit, 0..65535 for 16-bit,
                                0..1 for float; every channel, alpha too, gets it (then it is
                                transformed, linear and premultiplied, like any pixel) */
    blur_engine engine;
    unsigned threads;        /* 0 = one per core; results never depend on it */
    /* -- the engine's additions (issue 4); zero is the default of each -- */
    int order_x, order_y;    /* Gaussian derivative order along rows / columns: 0, 1 or 2 */
    double angle;            /* degrees; non-zero rotates the Gaussian (see above) */
    const blur_matrix *kernel; /* the caller's mask, or NULL; the plan copies it */
    int correlate;           /* non-zero: kernel as scipy.ndimage.correlate, not convolve */
    blur_alpha alpha;
    int linear;              /* non-zero: blur in linear light (sRGB decode/encode) */
    double scale;            /* signed results in integer images: mid + value * scale */
} blur_options;
#define BLUR_OPTIONS_INIT {0.0, 0.0, 4.0, 0, 0, NULL, BLUR_BORDER_REFLECT, 0.0, \
                           BLUR_ENGINE_AUTO, 0, 0, 0, 0.0, NULL, 0, BLUR_ALPHA_PREMULTIPLY, 0, \
                           1.0}

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
 * truncate <= 0, unknown border, engine or alpha, an order outside 0..2 or on an axis with
 * sigma 0, angle without both sigmas or with an order, kernel with a sigma, order or angle, an
 * empty kernel, linear with a signed result, non-finite cval, angle or scale),
 * BLUR_ERR_NOT_SEPARABLE (BLUR_ENGINE_SEPARABLE with a mask of rank > 1),
 * BLUR_ERR_TOO_LARGE (radius over BLUR_MAX_RADIUS, a kernel side over 2*BLUR_MAX_RADIUS+1),
 * BLUR_ERR_UNKNOWN_NAME (method), BLUR_ERR_UNSUPPORTED (a derivative or rotation with a
 * method other than "sampled"), BLUR_ERR_NOMEM. On failure *plan is NULL. The plan keeps no
 * pointer into *opt: kernel and method may be freed once it is made. */
blur_error blur_plan_create(const blur_options *opt, blur_plan **plan);

/* Frees a plan; NULL does nothing. */
void blur_plan_free(blur_plan *plan);

/* Blurs src into dst, which must have the same width, height, channels and depth and must not
 * overlap it. Each channel is filtered on its own, as
 * scipy.ndimage.gaussian_filter(img, (sigma_y, sigma_x, 0)) does (with alpha premultiplied
 * and linear light when the options say so), in double precision, and integer results are
 * rounded to nearest once, at the end: every sample is within 1 of round(exact). Float
 * results match scipy's float64 result to 1e-6 relative. The image is cut into bands of rows
 * run on opt.threads threads; the result is identical for any thread count. It is identical on
 * any CPU too, except where BLUR_ENGINE_AUTO takes the decimated path (8-bit, sigma >= 9.6 on
 * both axes): there the SIMD kernels (AVX-512, AVX2, baseline) fuse multiply-adds differently,
 * and ~0.001-0.005 % of samples differ by 1 between them (each within 1 of round(exact)).
 * Errors: BLUR_ERR_INVALID (images that differ or overlap), BLUR_ERR_TOO_LARGE (the work
 * buffers would exceed BLUR_MAX_FILTER_MEMORY), BLUR_ERR_NOMEM.
 * Thread-safe: one plan may run on several threads at once with distinct dst. */
blur_error blur_plan_run(const blur_plan *plan, const blur_image *src, blur_image *dst);

/* Blurs the image file `in` into the file `out` ("-" for standard input / output), formats as
 * blur_image_read and blur_image_write, PNG metadata kept. PNG to PNG streams: rows flow from
 * the decoder (on a second thread) through the filter into the encoder, so memory stays at
 * a few dozen rows whatever the image size; other formats and interlaced PNGs are read whole.
 * The output is atomic as in blur_image_write, also when the input turns out damaged after
 * rows were written. *failed (may be NULL) is set to `in` or `out`: the file at fault.
 * Errors: those of blur_image_read, blur_image_write and blur_plan_run. */
blur_error blur_file(const blur_plan *plan, const char *in, const char *out,
                     const blur_read_options *read, const blur_write_options *write,
                     const char **failed);

/* Whether the plan runs the full 2D engine (1) or the separable one (0). */
int blur_plan_is_2d(const blur_plan *plan);

/* Whether the plan's results are signed (derivatives, zero-sum masks; see blur_options). */
int blur_plan_is_signed(const blur_plan *plan);

/* The plan's whole mask as scipy.ndimage.convolve takes it (rows along y, cols along x; the
 * outer product for a separable plan), into a new matrix *m (blur_matrix_free). The mask a
 * plan made with correlate = 1 is returned flipped, so convolve with it gives the same
 * result. Errors: BLUR_ERR_INVALID, OVERFLOW, NOMEM. */
blur_error blur_plan_mask(const blur_plan *plan, blur_matrix *m);

/* blur_plan_create + blur_plan_run + blur_plan_free, for one image. */
blur_error blur_gaussian(const blur_image *src, blur_image *dst, const blur_options *opt);

/* ---------------------------------------------------------------------------------------- */
/* Rendering: heatmaps, text labels, pictures of images, line plots (SVG and raster)          */
/* ---------------------------------------------------------------------------------------- */

/* Drawing happens on a canvas: an 8-bit RGB blur_image (channels 3, BLUR_U8) the caller owns,
 * e.g. from blur_image_alloc. Positions are in pixels from the top-left corner; everything is
 * clipped to the canvas, so drawing partly or wholly outside it is safe. None of these
 * functions allocates unless it says so. Thread-safe on distinct canvases. */

typedef enum blur_colormap {
    BLUR_COLORMAP_VIRIDIS,  /* sequential, dark purple -> blue -> green -> yellow (matplotlib's
                               default), for masks and other non-negative values */
    BLUR_COLORMAP_DIVERGING /* blue -> neutral light gray (247,247,247) at 0.5 -> red, for
                               signed differences: 0.5 is exactly the neutral colour */
} blur_colormap;

/* The colour of t in [0, 1] (clamped) on a colour map, into rgb[3]. NaN gives mid gray.
 * Unknown maps give black. */
void blur_colormap_rgb(blur_colormap map, double t, unsigned char rgb[3]);

/* Fills the rectangle [x, x+w) × [y, y+h) of a canvas with one colour (clipped). */
void blur_render_fill(blur_image *canvas, long x, long y, long w, long h,
                      const unsigned char rgb[3]);

/* Text in the stb_easy_font bitmap font (ASCII; other bytes are drawn as '?'): one line is
 * 12 font units high, a character about 6 wide; scale is pixels per font unit (> 0, fractional
 * scales are drawn with anti-aliased edges). '\n' starts a new line. */
#define BLUR_TEXT_LINE_HEIGHT 12

/* The width and height in pixels that blur_render_text would cover for the same text and scale
 * (0 for NULL or empty text). */
size_t blur_text_width(const char *text, double scale);
size_t blur_text_height(const char *text, double scale);

/* Draws text with its top-left corner at (x, y) in colour rgb (stb_easy_font's quads, filled
 * with coverage-weighted blending). Allocates nothing. Errors: BLUR_ERR_INVALID (NULL
 * arguments, not an 8-bit RGB canvas, scale <= 0 or over 64). */
blur_error blur_render_text(blur_image *canvas, long x, long y, const char *text, double scale,
                            const unsigned char rgb[3]);

/* How a matrix is drawn as a heatmap: cell (r, c) is a cell × cell square filled with the
 * colour of (value - lo) / (hi - lo), nearest-neighbour, row 0 at the top. */
typedef struct blur_heatmap_options {
    blur_colormap colormap;
    double lo, hi;      /* the values at the ends of the map; lo == hi: from the data, min..max
                           (viridis) or -m..m with m the largest |value| (diverging) */
    size_t cell;        /* pixels per cell side; 0 = the largest whole number that keeps the
                           map within max_side (at least 1) */
    size_t max_side;    /* for cell 0: the longest side of the map, pixels; 0 = 320 */
    int colorbar;       /* non-zero (the default): a colour bar with 5 labelled ticks right of
                           the map */
    double label_scale; /* tick labels show value * label_scale; 0 = 1 */
    double text_scale;  /* tick label text scale (see blur_render_text); 0 = 1 */
} blur_heatmap_options;
#define BLUR_HEATMAP_OPTIONS_INIT {BLUR_COLORMAP_VIRIDIS, 0.0, 0.0, 0, 0, 1, 0.0, 0.0}

/* What a heatmap of m occupies: *width × *height pixels in all (map and colour bar; may be
 * NULL), and *cell, the cell side used (may be NULL). The map itself is cols*cell × rows*cell
 * at the top-left; the bar is at least 100 pixels high, so a very short map leaves room below
 * it. Errors: BLUR_ERR_INVALID (NULL m or opt, an empty matrix, NULL data), BLUR_ERR_OVERFLOW.
 * Thread-safe. */
blur_error blur_heatmap_layout(const blur_matrix *m, const blur_heatmap_options *opt,
                               size_t *width, size_t *height, size_t *cell);

/* Draws the heatmap of m (and its colour bar) with its top-left corner at (x, y), on the
 * canvas's existing background. Non-finite values get mid gray. Errors: as
 * blur_heatmap_layout, BLUR_ERR_INVALID for a canvas that is not 8-bit RGB. Allocates
 * nothing. */
blur_error blur_render_heatmap(blur_image *canvas, long x, long y, const blur_matrix *m,
                               const blur_heatmap_options *opt);

/* The heatmap alone on a white canvas sized by blur_heatmap_layout plus an 8-pixel margin:
 * fills *img with a new 8-bit RGB image (blur_image_free). Errors as blur_render_heatmap. */
blur_error blur_heatmap_image(const blur_matrix *m, const blur_heatmap_options *opt,
                              blur_image *img);

/* Draws an image of any layout and depth (gray, gray+alpha, RGB, RGBA; 8, 16-bit or float,
 * float clamped to 0..1) with its top-left corner at (x, y), zoomed by `zoom` (nearest
 * neighbour: each pixel becomes zoom × zoom) or shrunk by `shrink` (each shrink × shrink block
 * is averaged; a partial block at the right or bottom averages what it has); one of them must
 * be 1. Alpha is composited over a gray checkerboard so transparency shows. The drawn size is
 * ceil(width/shrink)*zoom × ceil(height/shrink)*zoom. Allocates nothing. Errors:
 * BLUR_ERR_INVALID (bad images, zoom or shrink 0, both over 1, zoom over 4096, a drawn size
 * over LONG_MAX/4). */
blur_error blur_render_image(blur_image *canvas, long x, long y, const blur_image *src,
                             size_t zoom, size_t shrink);

/* A line plot: series of (x, y) points drawn as polylines on linear axes with ticks, a frame,
 * a legend (top right) and optional labels. Series take colours from a fixed palette in order;
 * a dashed series is drawn dark gray and dashed (for a reference curve). */
typedef struct blur_plot_series {
    const char *label;   /* legend text; NULL = not in the legend */
    const double *x, *y; /* count points each; non-finite points are skipped */
    size_t count;
    int dashed;          /* non-zero: dashed, dark gray, no markers */
    int markers;         /* non-zero: a dot at each point */
} blur_plot_series;

typedef struct blur_plot {
    const char *title, *x_label, *y_label; /* NULL = none */
    const blur_plot_series *series;
    size_t count;
    size_t width, height;                  /* pixels; 0 = 760 × 480; each 200..8000 */
} blur_plot;

/* Writes the plot as a standalone SVG 1.1 file (well-formed XML; text escaped), atomically as
 * blur_image_write. Axis ranges come from the data (the y axis includes 0). Errors:
 * BLUR_ERR_INVALID (NULL arguments, no series, a series with NULL points, sizes out of range,
 * no finite point at all), BLUR_ERR_OPEN, BLUR_ERR_WRITE (errno set), BLUR_ERR_NOMEM. */
blur_error blur_plot_write_svg(const char *path, const blur_plot *plot);

/* Draws the same plot, same layout, into *img: a new 8-bit RGB image of width × height
 * (blur_image_free); lines anti-aliased, text in stb_easy_font. Errors as blur_plot_write_svg
 * without the file errors. */
blur_error blur_plot_render(const blur_plot *plot, blur_image *img);

#ifdef __cplusplus
}
#endif

#endif /* BLUR_H */
