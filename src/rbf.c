/* rbf.c — the Gaussian (RBF) kernel matrix of data points, K[i][j] = exp(-gamma |x_i - y_j|^2).
 *
 * The fast path is a small matrix product: |x - y|^2 = |x|^2 + |y|^2 - 2 x.y, with the dot
 * products computed MR × NR at a time by a register-blocked micro-kernel over packed panels
 * (AVX2+FMA when the CPU has it, portable C otherwise), and the exponential taken while the
 * tile is still in registers (vectorised in the AVX2 kernel), so no n × m matrix of distances
 * is ever stored. The symmetric case computes j >= i and copies each block of columns to the
 * lower half while it is still in cache. No BLAS: the dot products are ~10 % of the time
 * (perf, n = 10000, d = 64); the rest is the exponential and writing 8 n^2 bytes, which a
 * dgemm-then-exp route would only add a pass over. Work is split
 * into bands of rows handed out to threads from an atomic counter (the bands of a symmetric
 * matrix shrink towards the bottom, so static bands would leave a thread idle).
 *
 * Every element is computed by the same sequence of operations whatever band, tile, thread or
 * row block it falls in, and x.y == y.x and |x|^2 + |y|^2 == |y|^2 + |x|^2 in floating point:
 * that is why the mirrored half of a symmetric matrix, and a block of rows computed alone,
 * equal the directly computed values bit for bit.
 *
 * The exact path sums (x_k - y_k)^2 directly: the reference the tests hold the fast path to,
 * and the right choice for data far from the origin. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

enum {
    MR = 4,           /* rows of X per micro-kernel call */
    NR = 8,           /* columns (rows of Y) per micro-kernel call */
    MB = 64,          /* rows per band, the unit of work of a thread */
    PANEL_BYTES = 256 * 1024, /* packed Y columns kept hot in L2 while a band sweeps them */
    MAX_THREADS = 256,
};

/* One tile of K: k[r*NR + c] = exp(-gamma * max(0, nx[r] + ny[c] - 2 dot)), where dot is the
 * sum over k = 0, 1, ... of xp[k*MR + r] * yp[k*NR + c], accumulated in that order. */
typedef void micro_fn(size_t d, const double *restrict xp, const double *restrict yp,
                      const double *restrict nx, const double *restrict ny, double gamma,
                      double *restrict k);

static void micro_generic(size_t d, const double *restrict xp, const double *restrict yp,
                          const double *restrict nx, const double *restrict ny, double gamma,
                          double *restrict k)
{
    double a[MR * NR] = {0};
    for (size_t t = 0; t < d; t++)
        for (size_t r = 0; r < MR; r++)
            for (size_t c = 0; c < NR; c++) a[r * NR + c] += xp[t * MR + r] * yp[t * NR + c];
    for (size_t r = 0; r < MR; r++)
        for (size_t c = 0; c < NR; c++) {
            double d2 = (nx[r] + ny[c]) - 2.0 * a[r * NR + c];
            if (d2 < 0.0) d2 = 0.0; /* cancellation: never let K exceed 1 */
            k[r * NR + c] = exp(-gamma * d2);
        }
}

#if HAVE_X86
/* exp(t) for t in [-708, 0] (normal results), 4 at a time: t = k ln2 + r with |r| <= ln2/2,
 * e^r by its Taylor series to r^13 (truncation below 1e-17 relative), times 2^k built in the
 * exponent bits. Within 2 ulp of the correctly rounded value, and never above 1 for t <= 0
 * (1 + r q with r q < 0 rounds to at most 1). Lanes below -708 are left to the caller. */
__attribute__((target("avx2,fma"))) static inline __m256d exp_avx2(__m256d t)
{
    const __m256d log2e = _mm256_set1_pd(0x1.71547652b82fep+0);
    const __m256d ln2_hi = _mm256_set1_pd(0x1.62e42fefa39efp-1);
    const __m256d ln2_lo = _mm256_set1_pd(0x1.abc9e3b39803fp-56);
    __m256d kf = _mm256_round_pd(_mm256_mul_pd(t, log2e),
                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(kf, ln2_hi, t);
    r = _mm256_fnmadd_pd(kf, ln2_lo, r);
    static const double inv_fact[14] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
        1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0,
    };
    __m256d p = _mm256_set1_pd(inv_fact[13]);
    for (int i = 12; i >= 0; i--) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(inv_fact[i]));
    __m256i ki = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(kf));
    __m256i bits = _mm256_slli_epi64(_mm256_add_epi64(ki, _mm256_set1_epi64x(1023)), 52);
    return _mm256_mul_pd(p, _mm256_castsi256_pd(bits));
}

/* Eight independent 4-wide accumulators: enough to cover the FMA latency on two ports. The
 * exponential is taken in registers too (libm's scalar exp would cost more than the dots). */
__attribute__((target("avx2,fma"))) static void
micro_avx2(size_t d, const double *restrict xp, const double *restrict yp,
           const double *restrict nx, const double *restrict ny, double gamma, double *restrict k)
{
    __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00;
    __m256d c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (size_t t = 0; t < d; t++) {
        __m256d y0 = _mm256_loadu_pd(yp + t * NR), y1 = _mm256_loadu_pd(yp + t * NR + 4);
        __m256d x0 = _mm256_broadcast_sd(xp + t * MR + 0);
        __m256d x1 = _mm256_broadcast_sd(xp + t * MR + 1);
        c00 = _mm256_fmadd_pd(x0, y0, c00);
        c01 = _mm256_fmadd_pd(x0, y1, c01);
        c10 = _mm256_fmadd_pd(x1, y0, c10);
        c11 = _mm256_fmadd_pd(x1, y1, c11);
        __m256d x2 = _mm256_broadcast_sd(xp + t * MR + 2);
        __m256d x3 = _mm256_broadcast_sd(xp + t * MR + 3);
        c20 = _mm256_fmadd_pd(x2, y0, c20);
        c21 = _mm256_fmadd_pd(x2, y1, c21);
        c30 = _mm256_fmadd_pd(x3, y0, c30);
        c31 = _mm256_fmadd_pd(x3, y1, c31);
    }
    __m256d acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    const __m256d zero = _mm256_setzero_pd(), two = _mm256_set1_pd(2.0);
    const __m256d neg_gamma = _mm256_set1_pd(-gamma), low = _mm256_set1_pd(-708.0);
    for (int r = 0; r < MR; r++) {
        __m256d ni = _mm256_broadcast_sd(nx + r);
        for (int h = 0; h < 2; h++) {
            __m256d d2 = _mm256_sub_pd(_mm256_add_pd(ni, _mm256_loadu_pd(ny + 4 * h)),
                                       _mm256_mul_pd(two, acc[r][h]));
            d2 = _mm256_max_pd(zero, d2); /* clamp at 0; a NaN stays NaN */
            __m256d t = _mm256_mul_pd(neg_gamma, d2);
            double *dst = k + r * NR + 4 * h;
            _mm256_storeu_pd(dst, exp_avx2(t));
            if (_mm256_movemask_pd(_mm256_cmp_pd(t, low, _CMP_LT_OQ))) {
                double tt[4]; /* underflow to subnormal or 0: rare, left to libm */
                _mm256_storeu_pd(tt, t);
                for (int c = 0; c < 4; c++)
                    if (tt[c] < -708.0) dst[c] = exp(tt[c]);
            }
        }
    }
}
#endif

/* The micro-kernel for this CPU. One choice per process, so results never mix kernels. */
static micro_fn *best_micro(void)
{
#if HAVE_X86
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return micro_avx2;
#endif
    return micro_generic;
}

double blur_rbf_gamma(const blur_rbf_options *opt)
{
    if (!opt) return 0.0;
    bool has_sigma = opt->sigma != 0.0, has_gamma = opt->gamma != 0.0;
    if (has_sigma == has_gamma) return 0.0;
    if (has_sigma) {
        if (!(opt->sigma > 0.0) || !isfinite(opt->sigma)) return 0.0;
        double g = 1.0 / (2.0 * opt->sigma * opt->sigma);
        return isfinite(g) && g > 0.0 ? g : 0.0;
    }
    return opt->gamma > 0.0 && isfinite(opt->gamma) ? opt->gamma : 0.0;
}

/* What every thread of one call shares. */
typedef struct rbf_job {
    const double *x, *y;  /* n × d and m × d */
    size_t n, m, d;
    const double *nx, *ny; /* squared norms (fast path); ny padded to whole panels */
    const double *yp;      /* Y packed in panels of NR columns (fast path) */
    double gamma;
    bool sym;              /* Y is X: the diagonal is exactly 1 */
    bool mirror;           /* compute j >= i only and mirror (whole symmetric matrix) */
    size_t row0, count;    /* the rows of K wanted; out is count × m */
    double *out;
    micro_fn *micro;       /* NULL: exact path */
    size_t panels_per_block;
    _Atomic size_t next_band;
    size_t bands;
} rbf_job;

typedef struct rbf_worker {
    rbf_job *job;
    double *xp; /* MB × d, packed in groups of MR rows */
} rbf_worker;

static inline double kernel_value(const rbf_job *job, size_t i, size_t j, double d2)
{
    if (job->sym && i == j) return 1.0;
    if (d2 < 0.0) d2 = 0.0; /* cancellation: never let K exceed 1 */
    return exp(-job->gamma * d2);
}

static inline void store(const rbf_job *job, size_t i, size_t j, double v)
{
    job->out[(i - job->row0) * job->m + j] = v;
}

/* A store that bypasses the cache where the CPU can (x86-64: movnti): the mirrored rows are
 * written whole and not read again, so fetching their lines first would only double the memory
 * traffic. Callers end with stream_fence() before their results are read by another thread. */
static inline void store_stream(double *dst, double v)
{
#if defined(__x86_64__)
    long long bits;
    memcpy(&bits, &v, sizeof bits);
    _mm_stream_si64((long long *)(void *)dst, bits);
#else
    *dst = v;
#endif
}

static inline void stream_fence(void)
{
#if defined(__x86_64__)
    _mm_sfence();
#endif
}

/* Copies the band's upper part (rows i0..i1-1, columns j > i, j_lo <= j < j_hi) to the lower
 * half, in tiles of TB columns so that the column reads and row writes both stay in cache; the
 * fast path calls it for each block of columns while the block is still in L2. Mirroring each value
 * as it is computed scatters the writes over thousands of rows (and pages) instead. Only this
 * band's thread writes these cells (below the diagonal, in columns i0..i1-1). */
static void mirror_band(const rbf_job *job, size_t i0, size_t i1, size_t j_lo, size_t j_hi)
{
    enum { TB = 64 };
    size_t m = job->m;
    double *out = job->out;
    if (j_lo < i0) j_lo = i0;
    for (size_t jb = j_lo; jb < j_hi; jb += TB) {
        size_t je = jb + TB < j_hi ? jb + TB : j_hi;
        for (size_t j = jb; j < je; j++) {
            size_t ie = j < i1 ? j : i1;
            for (size_t i = i0; i < ie; i++) store_stream(&out[j * m + i], out[i * m + j]);
        }
    }
}

static void fast_band(rbf_job *job, double *xp, size_t i0, size_t i1)
{
    size_t d = job->d, groups = (i1 - i0 + MR - 1) / MR;
    for (size_t g = 0; g < groups; g++)
        for (size_t k = 0; k < d; k++)
            for (size_t r = 0; r < MR; r++) {
                size_t i = i0 + g * MR + r;
                xp[(g * d + k) * MR + r] = i < i1 ? job->x[i * d + k] : 0.0;
            }
    size_t panels = (job->m + NR - 1) / NR;
    size_t first = job->mirror ? i0 / NR : 0;
    double tile[MR * NR], ni[MR];
    for (size_t pb = first; pb < panels; pb += job->panels_per_block) {
        size_t pe = pb + job->panels_per_block < panels ? pb + job->panels_per_block : panels;
        for (size_t g = 0; g < groups; g++) {
            size_t ig = i0 + g * MR;
            size_t rows = i1 - ig < MR ? i1 - ig : MR;
            for (size_t r = 0; r < MR; r++) ni[r] = r < rows ? job->nx[ig + r] : 0.0;
            for (size_t p = pb; p < pe; p++) {
                job->micro(d, xp + g * d * MR, job->yp + p * d * NR, ni, job->ny + p * NR,
                           job->gamma, tile);
                size_t j0 = p * NR, cols = job->m - j0 < NR ? job->m - j0 : NR;
                for (size_t r = 0; r < rows; r++) {
                    size_t i = ig + r;
                    /* mirroring: only j >= i here; the rest is copied by mirror_band */
                    size_t c0 = job->mirror && i > j0 ? i - j0 : 0;
                    for (size_t c = c0; c < cols; c++) {
                        size_t j = j0 + c;
                        store(job, i, j, job->sym && i == j ? 1.0 : tile[r * NR + c]);
                    }
                }
            }
        }
        if (job->mirror) {
            size_t j_hi = pe * NR < job->m ? pe * NR : job->m;
            mirror_band(job, i0, i1, pb * NR, j_hi);
        }
    }
}

static void exact_band(rbf_job *job, size_t i0, size_t i1)
{
    size_t d = job->d;
    for (size_t i = i0; i < i1; i++) {
        const double *xi = job->x + i * d;
        for (size_t j = job->mirror ? i : 0; j < job->m; j++) {
            const double *yj = job->y + j * d;
            double d2 = 0.0;
            for (size_t k = 0; k < d; k++) {
                double t = xi[k] - yj[k];
                d2 += t * t;
            }
            store(job, i, j, kernel_value(job, i, j, d2));
        }
    }
}

static void *worker_run(void *arg)
{
    rbf_worker *w = arg;
    rbf_job *job = w->job;
    for (;;) {
        size_t b = atomic_fetch_add(&job->next_band, 1);
        if (b >= job->bands) break;
        size_t i0 = job->row0 + b * MB;
        size_t i1 = i0 + MB < job->row0 + job->count ? i0 + MB : job->row0 + job->count;
        if (job->micro) {
            fast_band(job, w->xp, i0, i1);
        } else {
            exact_band(job, i0, i1);
            if (job->mirror) mirror_band(job, i0, i1, i0, job->m);
        }
        stream_fence();
    }
    return NULL;
}

static unsigned thread_count(unsigned wanted, size_t bands)
{
    if (wanted == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        wanted = cores > 0 ? (unsigned)cores : 1;
    }
    if (wanted > MAX_THREADS) wanted = MAX_THREADS;
    if (wanted > bands) wanted = (unsigned)bands;
    return wanted ? wanted : 1;
}

static void squared_norms(const double *a, size_t rows, size_t d, double *out)
{
    for (size_t i = 0; i < rows; i++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++) s += a[i * d + k] * a[i * d + k];
        out[i] = s;
    }
}

static bool all_finite(const blur_matrix *a)
{
    for (size_t i = 0; i < a->rows * a->cols; i++)
        if (!isfinite(a->data[i])) return false;
    return true;
}

/* Whether out's cells share memory with matrix a's. */
static bool overlaps(const double *out, size_t cells, const blur_matrix *a)
{
    uintptr_t o = (uintptr_t)out, p = (uintptr_t)a->data;
    return o < p + a->rows * a->cols * sizeof(double) && p < o + cells * sizeof(double);
}

/* The work of blur_rbf and blur_rbf_rows; force_generic picks the portable micro-kernel (for
 * the tests, which hold both kernels to the exact path). */
blur_error blur__rbf_compute(const blur_matrix *x, const blur_matrix *y,
                             const blur_rbf_options *opt, size_t row0, size_t count,
                             bool mirror, bool force_generic, double *out, size_t out_cells)
{
    if (!x || !opt || !out || !x->data || !x->rows || !x->cols) return BLUR_ERR_INVALID;
    bool sym = !y || y == x;
    if (sym) y = x;
    if (!y->data || !y->rows || y->cols != x->cols) return BLUR_ERR_INVALID;
    if (opt->method != BLUR_RBF_FAST && opt->method != BLUR_RBF_EXACT) return BLUR_ERR_INVALID;
    double gamma = blur_rbf_gamma(opt);
    if (gamma == 0.0) return BLUR_ERR_INVALID;
    size_t n = x->rows, m = y->rows, d = x->cols, cells;
    if (row0 > n || count > n - row0 || count == 0) return BLUR_ERR_INVALID;
    if (!blur__mul(count, m, &cells)) return BLUR_ERR_OVERFLOW;
    if (out_cells < cells) return BLUR_ERR_INVALID;
    if (mirror && !(sym && row0 == 0 && count == n)) return BLUR_ERR_INVALID;
    if (!all_finite(x) || (!sym && !all_finite(y))) return BLUR_ERR_INVALID;
    if (overlaps(out, cells, x) || overlaps(out, cells, y)) return BLUR_ERR_INVALID;

    rbf_job job = {.x = x->data, .y = y->data, .n = n, .m = m, .d = d, .gamma = gamma,
                   .sym = sym, .mirror = mirror, .row0 = row0, .count = count, .out = out};
    job.bands = (count + MB - 1) / MB;
    atomic_init(&job.next_band, 0);
    unsigned threads = thread_count(opt->threads, job.bands);
    rbf_worker workers[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    double *norms = NULL, *yp = NULL, *xp = NULL;
    blur_error err = BLUR_OK;

    size_t panels = (m + NR - 1) / NR;
    if (opt->method == BLUR_RBF_FAST) {
        size_t norm_cells; /* X's n, then Y's padded to whole panels */
        if (!blur__mul(panels, NR, &norm_cells) || norm_cells > SIZE_MAX - n)
            return BLUR_ERR_OVERFLOW;
        norms = blur__alloc_array(n + norm_cells, sizeof(double));
        if (!norms) return BLUR_ERR_NOMEM;
        squared_norms(x->data, n, d, norms);
        squared_norms(y->data, m, d, norms + n); /* the same values when Y is X */
        /* |x|^2 + |y|^2 - 2 x.y needs them finite (past |x| ~ 1e154 it is inf - inf): where
         * one is not, the exact path */
        for (size_t j = 0; norms && j < n + m; j++) {
            if (isfinite(norms[j])) continue;
            free(norms);
            norms = NULL;
        }
    }
    if (norms) {
        size_t yp_cells, xp_cells;
        if (!blur__mul3(panels, NR, d, &yp_cells) || !blur__mul3(threads, MB, d, &xp_cells)) {
            err = BLUR_ERR_OVERFLOW;
            goto done;
        }
        yp = blur__alloc_array(yp_cells, sizeof(double));
        xp = blur__alloc_array(xp_cells, sizeof(double));
        if (!yp || !xp) {
            err = BLUR_ERR_NOMEM;
            goto done;
        }
        for (size_t j = m; j < panels * NR; j++) norms[n + j] = 0.0;
        job.nx = norms;
        job.ny = norms + n;
        for (size_t p = 0; p < panels; p++)
            for (size_t k = 0; k < d; k++)
                for (size_t c = 0; c < NR; c++) {
                    size_t j = p * NR + c;
                    yp[(p * d + k) * NR + c] = j < m ? y->data[j * d + k] : 0.0;
                }
        job.yp = yp;
        size_t per_block = PANEL_BYTES / (d * NR * sizeof(double));
        job.panels_per_block = per_block ? per_block : 1;
        job.micro = force_generic ? micro_generic : best_micro();
    }

    for (unsigned t = 0; t < threads; t++)
        workers[t] = (rbf_worker){&job, xp ? xp + (size_t)t * MB * d : NULL};
    unsigned started = 1;
    for (unsigned t = 1; t < threads; t++, started++)
        if (pthread_create(&tids[t], NULL, worker_run, &workers[t]) != 0) break;
    /* The bands of threads that could not start are taken by the others from the counter. */
    worker_run(&workers[0]);
    for (unsigned t = 1; t < started; t++) pthread_join(tids[t], NULL);
done:
    free(norms);
    free(yp);
    free(xp);
    return err;
}

blur_error blur_rbf(const blur_matrix *x, const blur_matrix *y, const blur_rbf_options *opt,
                    double *out, size_t out_cells)
{
    if (!x) return BLUR_ERR_INVALID;
    bool sym = !y || y == x;
    return blur__rbf_compute(x, y, opt, 0, x->rows, sym, false, out, out_cells);
}

blur_error blur_rbf_rows(const blur_matrix *x, const blur_matrix *y, const blur_rbf_options *opt,
                         size_t row0, size_t count, double *out, size_t out_cells)
{
    return blur__rbf_compute(x, y, opt, row0, count, false, false, out, out_cells);
}
