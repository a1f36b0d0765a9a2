/* decim.c — the O(1)-per-pixel Gaussian for large sigma (BLUR_ENGINE_AUTO, 8-bit, sigma at or
 * above BLUR__DECIM_MIN_SIGMA on both axes), by decimation: a wide Gaussian is smooth, so it
 * can be computed on a grid s times coarser along each axis and interpolated back.
 *
 * Per axis, with step s (sigma / 2.4) and a small Gaussian g_a of sigma 0.8 s:
 *     down:   Z(c) = sum_k g_a(k) x(c s + k)          (anti-alias, at every s-th position)
 *     coarse: V(c) = sum_j K(j) Z(c - j)               (on the coarse grid)
 *     up:     y(n) = sum_c g_a(n - c s) V(c)           (interpolate; weights normalized per phase)
 * The whole chain is a kernel sum_j K(j) (g_a * g_a)(k - j s) up to an alias term of about
 * exp(-2 pi^2 (0.8)^2) ~ 3e-6 of the peak. K is fitted once per plan by least squares so that
 * this kernel matches scipy's: the sampled Gaussian cut at R = int(truncate sigma + 0.5) and
 * normalized again (the cut is what separates scipy's result from the uncut Gaussian's on
 * ~0.2 % of 8-bit pixels at sigma 30). On the photos tried, 99.93-99.99 % of pixels are exact
 * against scipy's float64 result from sigma 10 to 150, max error 1 level (tests/fit_decim.py,
 * make bench).
 *
 * Cost per sample: the full-resolution work is the two vertical passes (down over the input
 * rows, up into the output rows), ~7 and 8 multiply-adds per sample whatever sigma is, on
 * contiguous rows; everything else runs on data s times smaller (along one axis) or s^2 times
 * smaller (both). Order: the vertical down pass (A) reads the 8-bit rows and writes its
 * result by column (a line of coarse rows per image column), band by band of coarse rows; the
 * horizontal down pass (B), the coarse filter (C) and the horizontal up pass (D) then run along
 * such lines as contiguous vectors, and D writes a tile of rows for the vertical up pass.
 * 6000x4000 RGB at sigma 30 on one thread of a 2-core Zen 4: ~70 ms (the recursive filter this
 * replaced took ~170), of which A ~45 %, D ~40 %.
 *
 * Borders: the coarse grid covers the image plus the reach of the whole chain; positions
 * outside the image are mapped by the border rule (or read as cval), so every mode is exact
 * in the same sense as inside. Every stage computes each value on its own, in a fixed order,
 * so threads (which split each stage) do not change the result. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

double blur__decim_min_sigma = BLUR__DECIM_MIN_SIGMA;

bool blur__decim_takes_sigma(double sigma)
{
    return sigma >= blur__decim_min_sigma && sigma >= BLUR__DECIM_LOWEST_SIGMA &&
           sigma <= BLUR__DECIM_MAX_SIGMA;
}

/* The stages' loops are written with 16-lane vectors and compiled for AVX-512, AVX2 and the
 * baseline, picked at run time (pick_kernel). Their multiply-adds may fuse in the FMA clones:
 * the result moves by a rounding, and the tests hold every clone to the exact filter. */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define X86_KERNELS 1
#define TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif

enum { LANES = 16 };
typedef float vf __attribute__((vector_size(64)));
typedef float vf_u __attribute__((vector_size(64), aligned(4), may_alias));
typedef uint8_t vb_u __attribute__((vector_size(16), aligned(1), may_alias));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint8_t vb __attribute__((vector_size(16)));

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The step s = floor(sigma / SIGMA_PER_STEP) within [MIN_STEP, MAX_STEP]; the anti-alias
 * Gaussian has sigma STEP_SIGMA * s and is cut at REACH_SIGMAS of its sigmas. Chosen with
 * tests/fit_decim.py (the same chain in numpy, against scipy on the sample photos at sigma
 * 12-60) and make bench: STEP_SIGMA 0.8 with REACH_SIGMAS 4.5 keeps 99.98 % of pixels exact
 * where 0.75 lost up to 0.03 %, and each 0.1 more costs ~12 % more work. A larger step is
 * cheaper (fewer cells: sigma 30 with s = 10, 12, 15 took 108, 97, 88 ms on one thread) but
 * fits scipy's cut less well (99.96, 99.96, 99.93 % exact on the bench photo): 2.4 keeps
 * 99.95 % or more from sigma 12 to 50, and 99.975 % or more at sigma 6 to 9 (step 3). */
#define SIGMA_PER_STEP 2.4
#define MIN_STEP 3
#define MAX_STEP 64
#define STEP_SIGMA 0.8
#define REACH_SIGMAS 4.5
/* The most taps of the anti-alias Gaussian (4.5 * 0.8 * 64 = 231 each side), for the tap
 * tables on the stack. */
enum { MAX_TAPS = 2 * 231 + 1 };
/* Cells an output reads, |p - (c - q) s| <= reach: 8 for every step from 3 to 64. */
enum { UP_TAPS = 8 };

typedef struct decim_axis {
    int step;          /* s: positions per coarse cell */
    int reach;         /* the anti-alias Gaussian's radius, in positions */
    float *down;       /* its 2 reach + 1 weights, summing to 1 */
    int up_first;      /* output n = q s + p reads cells q + up_first .. + UP_TAPS - 1 */
    float *up;         /* s rows of UP_TAPS weights (row p), each summing to 1 */
    int coarse_radius; /* J: the coarse kernel's radius, in cells */
    float *coarse;     /* its 2 J + 1 weights, summing to 1 */
} decim_axis;

struct blur__decim {
    decim_axis axis[2]; /* [0] vertical, [1] horizontal */
    blur_border border;
    double cval;
    /* The workspace of the last run, kept for the next (its fresh pages cost ~10 % of a run
     * at sigma 30, a third at sigma 10). */
    pthread_mutex_t lock;
    float *cache;
    size_t cache_floats;
};

/* Zeroed floats from a cache line on: every vector of a line or tile row then sits within
 * one line (a load across two costs two). calloc, so that fresh pages are not zeroed twice;
 * the byte before the block holds its distance from what calloc gave. NULL on overflow or
 * exhaustion; free_floats frees it. */
static float *alloc_floats(size_t count)
{
    size_t bytes;
    if (!blur__mul(count, sizeof(float), &bytes) || bytes > SIZE_MAX - 64) return NULL;
    unsigned char *raw = calloc(bytes + 64, 1);
    if (!raw) return NULL;
    unsigned char *p = raw + (64 - ((uintptr_t)raw & 63)); /* 1 to 64 bytes on */
    p[-1] = (unsigned char)(p - raw);
    return (float *)(void *)p;
}

static void free_floats(float *p)
{
    if (p) free((unsigned char *)p - ((unsigned char *)p)[-1]);
}

/* ---- the plan: weights per axis ---- */

/* Solves the symmetric positive definite n x n system m x = b in place (b becomes x) by
 * Cholesky; false when m is not positive definite (numerically). */
static bool cholesky_solve(double *m, double *b, int n)
{
    for (int j = 0; j < n; j++) {
        double d = m[j * n + j];
        for (int k = 0; k < j; k++) d -= m[j * n + k] * m[j * n + k];
        if (!(d > 0.0)) return false;
        d = sqrt(d);
        m[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double v = m[i * n + j];
            for (int k = 0; k < j; k++) v -= m[i * n + k] * m[j * n + k];
            m[i * n + j] = v / d;
        }
    }
    for (int i = 0; i < n; i++) { /* L y = b */
        double v = b[i];
        for (int k = 0; k < i; k++) v -= m[i * n + k] * b[k];
        b[i] = v / m[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
        double v = b[i];
        for (int k = i + 1; k < n; k++) v -= m[k * n + i] * b[k];
        b[i] = v / m[i * n + i];
    }
    return true;
}

/* The coarse kernel K(-J..J), symmetric: least squares over every position k of
 *     sum_j K(j) G2(k - j s)  ~  exp(-k^2 / 2 sigma^2) for |k| <= cut, 0 beyond,
 * where G2 is the down and up Gaussians together (sigma sqrt(2) * 0.8 s). Unknowns K(0..J)
 * (a column per pair +j, -j); normal equations, Cholesky (condition ~1e8 at most, fine in
 * double). Then scaled to sum 1. */
static bool fit_coarse(decim_axis *a, double sigma, long cut, double *work)
{
    const int n = a->coarse_radius + 1, s = a->step;
    const double s2 = 2.0 * (STEP_SIGMA * s) * (STEP_SIGMA * s);
    const long reach = cut + 2L * a->reach + (long)s * a->coarse_radius;
    double *m = work, *b = work + n * n, *col = b + n;
    memset(m, 0, sizeof(double) * (size_t)(n * n + n));
    for (long k = -reach; k <= reach; k++) {
        for (int j = 0; j < n; j++) {
            double dm = (double)(k - (long)j * s), dp = (double)(k + (long)j * s);
            col[j] = exp(-dm * dm / (2.0 * s2));
            if (j) col[j] += exp(-dp * dp / (2.0 * s2));
        }
        double target = labs(k) <= cut ? exp(-(double)k * (double)k / (2.0 * sigma * sigma)) : 0;
        for (int i = 0; i < n; i++) {
            b[i] += col[i] * target;
            for (int j = 0; j <= i; j++) m[i * n + j] += col[i] * col[j];
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) m[i * n + j] = m[j * n + i];
    if (!cholesky_solve(m, b, n)) return false;
    double sum = b[0];
    for (int j = 1; j < n; j++) sum += 2.0 * b[j];
    for (int j = 0; j < n; j++)
        a->coarse[a->coarse_radius + j] = a->coarse[a->coarse_radius - j] = (float)(b[j] / sum);
    return true;
}

static blur_error axis_init(double sigma, long cut, decim_axis *a)
{
    int s = (int)floor(sigma / SIGMA_PER_STEP);
    a->step = s < MIN_STEP ? MIN_STEP : s > MAX_STEP ? MAX_STEP : s;
    const double sa = STEP_SIGMA * a->step;
    a->reach = (int)ceil(REACH_SIGMAS * sa);
    a->coarse_radius = (int)((cut + 2L * a->step + a->step - 1) / a->step);
    /* output n = q s + p reads the cells c with |p - (c - q) s| <= reach */
    a->up_first = -(a->reach / a->step);
    if ((a->step - 1 + a->reach) / a->step - a->up_first + 1 != UP_TAPS) return BLUR_ERR_INVALID;

    const int nj = a->coarse_radius + 1;
    a->down = malloc(sizeof(float) * (size_t)(2 * a->reach + 1));
    /* rows up to a multiple of 4 (up_tiles computes four at a time), the extra ones zero */
    a->up = calloc((size_t)((a->step + 3) / 4 * 4 * UP_TAPS), sizeof(float));
    a->coarse = malloc(sizeof(float) * (size_t)(2 * a->coarse_radius + 1));
    double *work = malloc(sizeof(double) * (size_t)(nj * nj + 2 * nj));
    blur_error err = BLUR_ERR_NOMEM;
    if (a->down && a->up && a->coarse && work) {
        double sum = 0;
        for (int k = -a->reach; k <= a->reach; k++) sum += exp(-k * k / (2.0 * sa * sa));
        for (int k = -a->reach; k <= a->reach; k++)
            a->down[k + a->reach] = (float)(exp(-k * k / (2.0 * sa * sa)) / sum);
        for (int p = 0; p < a->step; p++) {
            double w[UP_TAPS], total = 0;
            for (int d = 0; d < UP_TAPS; d++) {
                int dist = p - (a->up_first + d) * a->step;
                w[d] = abs(dist) <= a->reach ? exp(-dist * dist / (2.0 * sa * sa)) : 0.0;
                total += w[d];
            }
            for (int d = 0; d < UP_TAPS; d++) a->up[p * UP_TAPS + d] = (float)(w[d] / total);
        }
        err = fit_coarse(a, sigma, cut, work) ? BLUR_OK : BLUR_ERR_INVALID;
    }
    free(work);
    return err;
}

static void axis_free(decim_axis *a)
{
    free(a->down);
    free(a->up);
    free(a->coarse);
}

blur_error blur__decim_create(double sigma_x, double sigma_y, long radius_x, long radius_y,
                              blur_border border, double cval, blur__decim **out)
{
    *out = NULL;
    blur__decim *f = calloc(1, sizeof *f);
    if (!f) return BLUR_ERR_NOMEM;
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f);
        return BLUR_ERR_NOMEM;
    }
    blur_error err = axis_init(sigma_y, radius_y, &f->axis[0]);
    if (!err) err = axis_init(sigma_x, radius_x, &f->axis[1]);
    if (err) {
        blur__decim_free(f);
        return err;
    }
    f->border = border;
    f->cval = cval;
    *out = f;
    return BLUR_OK;
}

void blur__decim_free(blur__decim *f)
{
    if (!f) return;
    axis_free(&f->axis[0]);
    axis_free(&f->axis[1]);
    pthread_mutex_destroy(&f->lock);
    free_floats(f->cache);
    free(f);
}

bool blur__decim_accepts(const blur__decim *f, const blur_image *src)
{
    if (!f || src->depth != BLUR_U8 || src->channels > 4) return false;
    if (f->border == BLUR_BORDER_CONSTANT && !(f->cval >= 0.0 && f->cval <= 255.0)) return false;
    return true;
}

/* ---- one run ---- */

enum isa { ISA_BASE, ISA_AVX2, ISA_AVX512 }; /* which kernel: a constant in each */

/* 16 bytes to 16 floats, and 16 floats rounded (half up) and saturated to 16 bytes. Generic
 * vectors would do, but gcc 12 takes those conversions apart lane by lane. Results go
 * through pointers: a 64-byte vector may not cross a call into code without AVX-512. */
#ifdef X86_KERNELS
#include <immintrin.h>
TARGET_AVX512 static inline void widen_avx512(const unsigned char *p, vf *out)
{
    *out = (vf)_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)));
}

TARGET_AVX2 static inline void widen_avx2(const unsigned char *p, vf *out)
{
    __m128i b = _mm_loadu_si128((const __m128i *)p);
    __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
    __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(b, b)));
    memcpy(out, &lo, sizeof lo);
    memcpy((char *)out + sizeof lo, &hi, sizeof hi);
}

TARGET_AVX512 static inline void narrow_avx512(const vf *v, unsigned char *out)
{
    __m512i level = _mm512_cvttps_epi32(_mm512_add_ps((__m512)*v, _mm512_set1_ps(0.5f)));
    level = _mm512_max_epi32(level, _mm512_setzero_si512());
    _mm_storeu_si128((__m128i *)out, _mm512_cvtusepi32_epi8(level));
}

/* rows[0..15] (16 floats each) transposed in place: 64 shuffles, where writing the 256
 * values one by one to their 16 lines took four times the instructions. */
TARGET_AVX512 static inline void transpose16_avx512(vf *rows)
{
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) { /* pairs of rows: a0 b0 a1 b1 | a4 b4 a5 b5 | ... */
        t[i] = _mm512_unpacklo_ps((__m512)rows[i], (__m512)rows[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps((__m512)rows[i], (__m512)rows[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) { /* u[i + j]: rows i..i+3 of columns j, j+4, j+8, j+12 */
        u[i] = (__m512)_mm512_unpacklo_pd((__m512d)t[i], (__m512d)t[i + 2]);
        u[i + 1] = (__m512)_mm512_unpackhi_pd((__m512d)t[i], (__m512d)t[i + 2]);
        u[i + 2] = (__m512)_mm512_unpacklo_pd((__m512d)t[i + 1], (__m512d)t[i + 3]);
        u[i + 3] = (__m512)_mm512_unpackhi_pd((__m512d)t[i + 1], (__m512d)t[i + 3]);
    }
    for (int j = 0; j < 4; j++) { /* gather each column's four 128-bit pieces */
        __m512 x0 = _mm512_shuffle_f32x4(u[j], u[4 + j], _MM_SHUFFLE(2, 0, 2, 0));
        __m512 x1 = _mm512_shuffle_f32x4(u[j], u[4 + j], _MM_SHUFFLE(3, 1, 3, 1));
        __m512 y0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], _MM_SHUFFLE(2, 0, 2, 0));
        __m512 y1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], _MM_SHUFFLE(3, 1, 3, 1));
        rows[j] = (vf)_mm512_shuffle_f32x4(x0, y0, _MM_SHUFFLE(2, 0, 2, 0));
        rows[j + 8] = (vf)_mm512_shuffle_f32x4(x0, y0, _MM_SHUFFLE(3, 1, 3, 1));
        rows[j + 4] = (vf)_mm512_shuffle_f32x4(x1, y1, _MM_SHUFFLE(2, 0, 2, 0));
        rows[j + 12] = (vf)_mm512_shuffle_f32x4(x1, y1, _MM_SHUFFLE(3, 1, 3, 1));
    }
}
#endif

/* Writes vectors 0..vectors-1 of `block` transposed: value l of vector k to
 * out[l * stride + k], for l < lanes. A whole 16 x 16 block, with AVX-512, is transposed in
 * registers and stored a vector at a time; otherwise value by value. */
ALWAYS_INLINE void store_transposed(vf *block, float *out, size_t stride, size_t vectors,
                                    size_t lanes, const int isa)
{
#ifdef X86_KERNELS
    if (isa == ISA_AVX512 && vectors == LANES && lanes == LANES) {
        transpose16_avx512(block);
        for (size_t l = 0; l < LANES; l++) *(vf_u *)(out + l * stride) = block[l];
        return;
    }
#endif
    (void)isa;
    for (size_t k = 0; k < vectors; k++)
        for (size_t l = 0; l < lanes; l++) out[l * stride + k] = block[k][l];
}

ALWAYS_INLINE void widen(const unsigned char *p, vf *out, const int isa)
{
#ifdef X86_KERNELS
    if (isa == ISA_AVX512) {
        widen_avx512(p, out);
        return;
    }
    if (isa == ISA_AVX2) {
        widen_avx2(p, out);
        return;
    }
#endif
    (void)isa;
    *out = __builtin_convertvector(__builtin_convertvector(*(const vb_u *)p, vi), vf);
}

ALWAYS_INLINE void narrow(const vf *v, unsigned char *out, const int isa)
{
#ifdef X86_KERNELS
    if (isa == ISA_AVX512) {
        narrow_avx512(v, out);
        return;
    }
#endif
    (void)isa;
    vi level = __builtin_convertvector(*v + 0.5f, vi); /* from -0.5 up it truncates to 0 */
    level &= ~(level < 0);
    const vi top = (vi){0} + 255;
    const vi over = level > top;
    level = (level & ~over) | (top & over);
    *(vb_u *)out = __builtin_convertvector(level, vb);
}

/* The cells of an axis of n positions: outputs read cells [first_out, first_out + out);
 * the coarse filter reads [first_out - J, first_out + out + J) (in = out + 2 J). */
typedef struct cells {
    long first_out;
    size_t out, in;
} cells;

static cells axis_cells(const decim_axis *a, size_t n)
{
    cells c;
    c.first_out = a->up_first;
    c.out = (n - 1) / (size_t)a->step + UP_TAPS;
    c.in = c.out + 2 * (size_t)a->coarse_radius;
    return c;
}

typedef struct run_ctx {
    const blur__decim *f;
    const blur_image *src;
    blur_image *dst;
    size_t ch, samples; /* channels, samples per row */
    cells ycell, xcell;
    size_t line;        /* floats per column line: ycell.in rounded up to LANES */
    const unsigned char **row; /* input row of extended position (cell * s + k), NULL: cval */
    long rows;                 /* entries of row */
    long row_first;            /* the position of row[0] */
    size_t band0, band; /* the cells (ycell.in's) stages A and B do now */
    float *zv;  /* the vertical down pass of the band: a line of BAND per image sample column */
    float *cval_line; /* BAND times cval: zv's line for positions outside the image */
    float *zh;  /* the horizontal down pass: a line per (cell, channel) */
    float *tmp; /* the coarse filter's vertical half, same lines */
    float *v;   /* the coarse result: a line per output (cell, channel) */
} run_ctx;

/* Stage A: vertical down pass over image columns [x0, x1): zv line x, entry i = cell
 * ycell.first_out - J + i. By tiles of TILE_A columns, all cells of a tile before the next.
 * Each input row is widened to float once, into a ring of at least the 2 reach + 1 rows the
 * current cell reads (row j in slot j mod a power of two: no division; the next cell, s rows
 * further, replaces the s oldest); the sum then pairs the taps at equal distances (the
 * weights are symmetric): one add and one multiply-add per two taps. The ring (23 KB at
 * sigma 30) stays in L1: wider tiles, whose ring sits in L2, ran at half the speed. */
enum { TILE_A = 4 * LANES, PREFETCH_CELLS = 2 };
/* Cells per band: stages A and B run band by band, so that A's result (BAND floats per image
 * column, 2.3 MB for 6000 RGB pixels) is still in cache when B reads it. */
enum { BAND = 128 };

/* Slots in the ring: a power of two, at least 2 reach + 1. */
static size_t ring_slots(const decim_axis *a)
{
    size_t slots = 1;
    while (slots < (size_t)(2 * a->reach + 1)) slots *= 2;
    return slots;
}

static size_t down_ring_floats(const run_ctx *r)
{
    return ring_slots(&r->f->axis[0]) * TILE_A;
}

ALWAYS_INLINE void down_rows(const run_ctx *r, size_t x0, size_t x1, float *ring,
                             const int isa)
{
    const decim_axis *a = &r->f->axis[0];
    const long taps = 2L * a->reach + 1;
    const int reach = a->reach;
    const float cval = (float)r->f->cval;
    /* the sums of 16 cells, written out transposed when the 16th is done (or the band) */
    vf block[TILE_A / LANES][LANES] = {{{0}}};
    for (size_t t0 = x0; t0 < x1; t0 += TILE_A) {
        const size_t n = x1 - t0 < TILE_A ? x1 - t0 : TILE_A;
        long next = (long)r->band0 * a->step; /* rows in the ring so far, from r->row[0] */
        const size_t mask = ring_slots(a) - 1;
        for (size_t i = r->band0; i < r->band0 + r->band; i++) {
            const long first = (long)i * a->step; /* the cell's first row, in r->row */
            for (; next < first + taps; next++) {
                float *to = ring + ((size_t)next & mask) * TILE_A;
                const unsigned char *from = r->row[next];
                /* the row this one's slot takes PREFETCH_CELLS cells on: far apart in
                 * memory, the rows are not prefetched by the hardware */
                const long ahead = next + PREFETCH_CELLS * a->step;
                if (ahead < r->rows && r->row[ahead]) {
                    __builtin_prefetch(r->row[ahead] + t0);
                    __builtin_prefetch(r->row[ahead] + t0 + n - 1);
                }
                if (from && n == TILE_A) {
                    for (size_t v = 0; v < TILE_A; v += LANES) {
                        vf wide;
                        widen(from + t0 + v, &wide, isa);
                        *(vf_u *)(to + v) = wide;
                    }
                } else {
                    for (size_t l = 0; l < TILE_A; l++)
                        to[l] = !from ? cval : l < n ? (float)from[t0 + l] : 0.0f;
                }
            }
            const size_t center = (size_t)(first + reach); /* the cell's middle row */
            for (size_t g = 0; g < n; g += 4 * LANES) { /* four vectors at a time */
                const float wc = a->down[reach];
                const float *mid = ring + (center & mask) * TILE_A + g;
                vf acc0 = wc * *(const vf_u *)mid, acc1 = wc * *(const vf_u *)(mid + LANES),
                   acc2 = wc * *(const vf_u *)(mid + 2 * LANES),
                   acc3 = wc * *(const vf_u *)(mid + 3 * LANES);
                for (size_t k = 1; k <= (size_t)reach; k++) {
                    const float w = a->down[(size_t)reach + k];
                    const float *lo = ring + ((center - k) & mask) * TILE_A + g,
                                *hi = ring + ((center + k) & mask) * TILE_A + g;
                    acc0 += w * (*(const vf_u *)lo + *(const vf_u *)hi);
                    acc1 += w * (*(const vf_u *)(lo + LANES) + *(const vf_u *)(hi + LANES));
                    acc2 += w * (*(const vf_u *)(lo + 2 * LANES) +
                                 *(const vf_u *)(hi + 2 * LANES));
                    acc3 += w * (*(const vf_u *)(lo + 3 * LANES) +
                                 *(const vf_u *)(hi + 3 * LANES));
                }
                const size_t k = (i - r->band0) % LANES;
                block[0][k] = acc0, block[1][k] = acc1, block[2][k] = acc2, block[3][k] = acc3;
            }
            const size_t k = (i - r->band0) % LANES;
            if (k == LANES - 1 || i + 1 == r->band0 + r->band) {
                /* cells i - k .. i; a partial block's stale rows land in the line's padding */
                float *out = r->zv + t0 * BAND + (i - k - r->band0);
                for (size_t g = 0; g < n; g += LANES)
                    store_transposed(block[g / LANES], out + g * BAND, BAND, LANES,
                                     n - g < LANES ? n - g : LANES, isa);
            }
        }
    }
}

/* Stage B: horizontal down pass, zh lines [l0, l1) (line = cell index * channels + channel),
 * entries band0 .. band0 + band: the anti-alias sum across zv's lines, the taps at equal
 * distances paired (lines outside the image are the line of cval). */
ALWAYS_INLINE void down_columns(const run_ctx *r, size_t l0, size_t l1)
{
    const decim_axis *a = &r->f->axis[1];
    const int taps = 2 * a->reach + 1, reach = a->reach;
    const float *in[MAX_TAPS];
    const long width = (long)r->src->width;
    /* two vectors at a time: within the line (BAND and its rounding up to LANES, + LANES, are
     * multiples of 2 LANES) */
    const size_t length = (r->band + 2 * LANES - 1) / (2 * LANES) * (2 * LANES);
    for (size_t l = l0; l < l1; l++) {
        long cell = (long)(l / r->ch) + r->xcell.first_out - a->coarse_radius;
        size_t c = l % r->ch;
        for (int k = 0; k < taps; k++) {
            long m = blur__border_index(r->f->border, cell * a->step - reach + k, width);
            in[k] = m < 0 ? r->cval_line : r->zv + ((size_t)m * r->ch + c) * BAND;
        }
        float *out = r->zh + l * r->line + r->band0;
        for (size_t i = 0; i < length; i += 2 * LANES) {
            vf acc0 = a->down[reach] * *(const vf_u *)(in[reach] + i),
               acc1 = a->down[reach] * *(const vf_u *)(in[reach] + i + LANES);
            for (int k = 1; k <= reach; k++) {
                const float *lo = in[reach - k] + i, *hi = in[reach + k] + i;
                acc0 += a->down[reach + k] * (*(const vf_u *)lo + *(const vf_u *)hi);
                acc1 += a->down[reach + k] *
                        (*(const vf_u *)(lo + LANES) + *(const vf_u *)(hi + LANES));
            }
            *(vf_u *)(out + i) = acc0;
            *(vf_u *)(out + i + LANES) = acc1;
        }
    }
}

/* Stage C1: the coarse filter down each zh line (vertical), lines [l0, l1): tmp entry i =
 * output cell ycell.first_out + i. */
ALWAYS_INLINE void coarse_vertical(const run_ctx *r, size_t l0, size_t l1)
{
    const decim_axis *a = &r->f->axis[0];
    const int taps = 2 * a->coarse_radius + 1;
    for (size_t l = l0; l < l1; l++) {
        const float *in = r->zh + l * r->line;
        float *out = r->tmp + l * r->line;
        for (size_t i = 0; i < r->ycell.out; i += LANES) {
            vf acc = {0};
            for (int j = 0; j < taps; j++) acc += a->coarse[j] * *(const vf_u *)(in + i + j);
            *(vf_u *)(out + i) = acc;
        }
    }
}

/* Stage C2: the coarse filter across lines (horizontal), v lines [l0, l1) (output cells). */
ALWAYS_INLINE void coarse_horizontal(const run_ctx *r, size_t l0, size_t l1)
{
    const decim_axis *a = &r->f->axis[1];
    const int taps = 2 * a->coarse_radius + 1;
    const size_t apart = r->ch * r->line; /* from one cell's line to the next one's */
    for (size_t l = l0; l < l1; l++) {
        const float *in = r->tmp + l * r->line;
        float *out = r->v + l * r->line;
        for (size_t i = 0; i < r->line; i += LANES) {
            vf acc = {0};
            for (int j = 0; j < taps; j++)
                acc += a->coarse[j] * *(const vf_u *)(in + (size_t)j * apart + i);
            *(vf_u *)(out + i) = acc;
        }
    }
}

/* Stage D: the up passes, by tiles of UP_TILE image columns (pixels): first the horizontal
 * one from v into the tile's rows (one per output cell, in `tile`), then the vertical one from
 * those rows into the image's rows. The s output rows between two cells read the same
 * up_taps tile rows: each vector of them is loaded once for all s. */
enum { UP_TILE = 64 };

/* Floats of a thread's tile: a row of UP_TILE pixels per output cell, up to a multiple of
 * LANES cells, plus a vector. */
static size_t up_tile_floats(const run_ctx *r)
{
    return ((r->ycell.out + LANES - 1) / LANES * LANES + 1) * UP_TILE * r->ch + LANES;
}

ALWAYS_INLINE void up_tiles(const run_ctx *r, size_t px0, size_t px1, float *tile,
                            const int isa)
{
    const decim_axis *ax = &r->f->axis[1], *ay = &r->f->axis[0];
    const size_t height = r->src->height, sy = (size_t)ay->step;
    for (size_t t0 = px0; t0 < px1; t0 += UP_TILE) {
        const size_t t1 = px1 - t0 < UP_TILE ? px1 : t0 + UP_TILE, n = (t1 - t0) * r->ch;
        /* each sample's first v line and weights (divisions, once a tile) */
        const float *first[UP_TILE * 4], *weights[UP_TILE * 4];
        for (size_t j = 0; j < n; j++) {
            const size_t x = t0 + j / r->ch, c = j % r->ch;
            first[j] = r->v + ((x / (size_t)ax->step) * r->ch + c) * r->line;
            weights[j] = ax->up + (x % (size_t)ax->step) * UP_TAPS;
        }
        /* 16 tile rows (cells) by 16 samples at a time, written transposed; the tile has
         * rows up to a multiple of 16 */
        for (size_t i = 0; i < r->ycell.out; i += LANES) {
            for (size_t j0 = 0; j0 < n; j0 += LANES) {
                vf block[LANES];
                const size_t samples = n - j0 < LANES ? n - j0 : LANES;
                for (size_t k = 0; k < samples; k++) {
                    const float *w = weights[j0 + k], *in = first[j0 + k] + i;
                    vf acc = {0};
                    for (size_t d = 0; d < UP_TAPS; d++)
                        acc += w[d] * *(const vf_u *)(in + d * r->ch * r->line);
                    block[k] = acc;
                }
                store_transposed(block, tile + i * n + j0, n, samples, LANES, isa);
            }
        }
        unsigned char *base = (unsigned char *)r->dst->data + t0 * r->ch;
        for (size_t q = 0; q * sy < height; q++) {
            const size_t rows = height - q * sy < sy ? height - q * sy : sy;
            /* the next cell's output rows, to be written: far apart, not prefetched */
            for (size_t y = (q + 1) * sy; y < (q + 2) * sy && y < height; y++)
                for (size_t b = 0; b < n + 63; b += 64)
                    __builtin_prefetch(base + y * r->dst->stride + (b < n ? b : n - 1), 1);
            for (size_t j = 0; j < n; j += LANES) {
                /* four output rows at a time: four independent chains of multiply-adds (the
                 * weight table has rows up to a multiple of four) */
                vf u[UP_TAPS];
                for (size_t d = 0; d < UP_TAPS; d++) u[d] = *(const vf_u *)(tile + (q + d) * n + j);
                for (size_t p0 = 0; p0 < rows; p0 += 4) {
                    const float *w = ay->up + p0 * UP_TAPS;
                    vf acc[4] = {{0}, {0}, {0}, {0}};
                    for (size_t d = 0; d < UP_TAPS; d++) {
                        acc[0] += w[d] * u[d];
                        acc[1] += w[UP_TAPS + d] * u[d];
                        acc[2] += w[2 * UP_TAPS + d] * u[d];
                        acc[3] += w[3 * UP_TAPS + d] * u[d];
                    }
                    for (size_t p = p0; p < p0 + 4 && p < rows; p++) {
                        unsigned char *out = base + (q * sy + p) * r->dst->stride + j;
                        if (j + LANES <= n) {
                            narrow(&acc[p - p0], out, isa);
                        } else {
                            unsigned char last[LANES];
                            narrow(&acc[p - p0], last, isa);
                            memcpy(out, last, n - j);
                        }
                    }
                }
            }
        }
    }
}

typedef enum { STAGE_DOWN_ROWS, STAGE_DOWN_COLUMNS, STAGE_COARSE_V, STAGE_COARSE_H,
               STAGE_UP } stage;

ALWAYS_INLINE void run_stage_body(const run_ctx *r, stage st, size_t first, size_t last,
                                  float *scratch, const int isa)
{
    switch (st) {
    case STAGE_DOWN_ROWS: down_rows(r, first, last, scratch, isa); break;
    case STAGE_DOWN_COLUMNS: down_columns(r, first, last); break;
    case STAGE_COARSE_V: coarse_vertical(r, first, last); break;
    case STAGE_COARSE_H: coarse_horizontal(r, first, last); break;
    default: up_tiles(r, first, last, scratch, isa); break;
    }
}

typedef void stage_kernel(const run_ctx *r, stage st, size_t first, size_t last,
                          float *scratch);

static void stage_base(const run_ctx *r, stage st, size_t first, size_t last,
                       float *scratch)
{
    run_stage_body(r, st, first, last, scratch, ISA_BASE);
}

#ifdef X86_KERNELS
TARGET_AVX2 static void stage_avx2(const run_ctx *r, stage st, size_t first, size_t last,
                       float *scratch)
{
    run_stage_body(r, st, first, last, scratch, ISA_AVX2);
}

TARGET_AVX512 static void stage_avx512(const run_ctx *r, stage st, size_t first, size_t last,
                         float *scratch)
{
    run_stage_body(r, st, first, last, scratch, ISA_AVX512);
}

static bool has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("fma");
}

static bool has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

/* The kernels, best first (named as fir.c's variants); the first this CPU has runs. */
static const struct {
    const char *name;
    stage_kernel *run;
    bool (*supported)(void); /* NULL: always */
} kernels[] = {
#ifdef X86_KERNELS
    {"avx512", stage_avx512, has_avx512},
    {"avx2", stage_avx2, has_avx2},
#endif
    {"generic", stage_base, NULL},
};
enum { KERNEL_COUNT = sizeof kernels / sizeof kernels[0] };
static int forced_kernel = -1;

static stage_kernel *pick_kernel(void)
{
    if (forced_kernel >= 0) return kernels[forced_kernel].run;
    for (int i = 0; i < KERNEL_COUNT; i++)
        if (!kernels[i].supported || kernels[i].supported()) return kernels[i].run;
    return stage_base;
}

bool blur__decim_force_kernel(const char *name)
{
    if (!name) {
        forced_kernel = -1;
        return true;
    }
    for (int i = 0; i < KERNEL_COUNT; i++)
        if (strcmp(kernels[i].name, name) == 0 &&
            (!kernels[i].supported || kernels[i].supported())) {
            forced_kernel = i;
            return true;
        }
    return false;
}

typedef struct stage_job {
    const run_ctx *r;
    stage_kernel *kernel;
    stage st;
    size_t first, last;
    blur_error err;
} stage_job;

static void *stage_thread(void *arg)
{
    stage_job *job = arg;
    const size_t floats = job->st == STAGE_DOWN_ROWS ? down_ring_floats(job->r)
                          : job->st == STAGE_UP      ? up_tile_floats(job->r)
                                                     : 0;
    float *scratch = NULL;
    if (floats && !(scratch = alloc_floats(floats))) {
        job->err = BLUR_ERR_NOMEM;
        return NULL;
    }
    job->kernel(job->r, job->st, job->first, job->last, scratch);
    free_floats(scratch);
    return NULL;
}

/* Runs one stage over [0, count) split in `threads` ranges, each a multiple of `grain`. */
static blur_error run_stage(const run_ctx *r, stage st, size_t count, size_t grain,
                            unsigned threads)
{
    stage_job jobs[256];
    size_t units = (count + grain - 1) / grain;
    if (threads > units) threads = units ? (unsigned)units : 1;
    if (threads > 256) threads = 256;
    stage_kernel *kernel = pick_kernel();
    for (unsigned t = 0; t < threads; t++) {
        size_t a = units * t / threads * grain, b = units * (t + 1) / threads * grain;
        jobs[t] = (stage_job){r, kernel, st, a < count ? a : count, b < count ? b : count,
                              BLUR_OK};
    }
    blur__run_parallel(stage_thread, jobs, sizeof jobs[0], threads);
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].err) return jobs[t].err;
    return BLUR_OK;
}

/* The floats of a part of the workspace: a whole number of cache lines. */
static bool add_part(size_t count, size_t *total)
{
    return count <= SIZE_MAX - 15 && !__builtin_add_overflow(*total, (count + 15) / 16 * 16, total);
}

blur_error blur__decim_run(blur__decim *f, const blur_image *src, blur_image *dst,
                           unsigned threads)
{
    run_ctx r = {.f = f, .src = src, .dst = dst, .ch = (size_t)src->channels};
    const decim_axis *ay = &f->axis[0], *ax = &f->axis[1];
    if (!blur__mul(src->width, r.ch, &r.samples)) return BLUR_ERR_OVERFLOW;
    r.ycell = axis_cells(ay, src->height);
    r.xcell = axis_cells(ax, src->width);
    r.line = (r.ycell.in + LANES - 1) / LANES * LANES + LANES; /* + LANES: unaligned reads */
    const size_t xlines = r.xcell.in * r.ch, xlines_out = r.xcell.out * r.ch;
    const long rows = r.rows = (long)r.ycell.in * ay->step + 2 * ay->reach + 1;
    r.row_first = (r.ycell.first_out - ay->coarse_radius) * (long)ay->step - ay->reach;
    size_t zv_size, zh_size, v_size, total = 0;
    if (!blur__mul(r.samples, BAND, &zv_size) || !blur__mul(xlines, r.line, &zh_size) ||
        !blur__mul(xlines_out, r.line, &v_size) || !add_part(zv_size, &total) ||
        !add_part(BAND, &total) || !add_part(zh_size, &total) || !add_part(zh_size, &total) ||
        !add_part(v_size, &total))
        return BLUR_ERR_OVERFLOW;
    /* The cached workspace, when no other run holds it; else one of our own. Stale values
     * in it are finite and reach only padding lanes, which no output reads. */
    float *work = NULL;
    const bool cached = pthread_mutex_trylock(&f->lock) == 0;
    if (cached) {
        if (f->cache_floats < total) {
            free_floats(f->cache);
            f->cache = alloc_floats(total);
            f->cache_floats = f->cache ? total : 0;
        }
        work = f->cache;
    } else {
        work = alloc_floats(total);
    }
    r.row = blur__alloc_array((size_t)rows, sizeof *r.row);
    blur_error err = BLUR_ERR_NOMEM;
    if (r.row && work) {
        float *part = work;
        r.zv = part, part += (zv_size + 15) / 16 * 16;
        r.cval_line = part, part += BAND;
        r.zh = part, part += (zh_size + 15) / 16 * 16;
        r.tmp = part, part += (zh_size + 15) / 16 * 16;
        r.v = part;
        for (size_t i = 0; i < BAND; i++) r.cval_line[i] = (float)f->cval;
        for (long k = 0; k < rows; k++) {
            long m = blur__border_index(f->border, r.row_first + k, (long)src->height);
            r.row[k] = m < 0 ? NULL : (const unsigned char *)src->data + (size_t)m * src->stride;
        }
        err = BLUR_OK;
        for (r.band0 = 0; r.band0 < r.ycell.in && !err; r.band0 += BAND) {
            r.band = r.ycell.in - r.band0 < BAND ? r.ycell.in - r.band0 : BAND;
            err = run_stage(&r, STAGE_DOWN_ROWS, r.samples, TILE_A, threads);
            if (!err) err = run_stage(&r, STAGE_DOWN_COLUMNS, xlines, 1, threads);
        }
        if (!err) err = run_stage(&r, STAGE_COARSE_V, xlines, 1, threads);
        if (!err) err = run_stage(&r, STAGE_COARSE_H, xlines_out, 1, threads);
        if (!err) err = run_stage(&r, STAGE_UP, src->width, UP_TILE, threads);
    }
    free(r.row);
    if (cached) pthread_mutex_unlock(&f->lock);
    else free_floats(work);
    return err;
}
