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
 * The stages are in decim_simd.h, compiled per instruction set; this file makes the plan and
 * runs them. 6000x4000 RGB at sigma 30 on one thread of a 2-core Zen 4: ~44 ms with AVX-512,
 * ~75 with AVX2 (the recursive filter this replaced took ~170), of which A ~40 %, D ~45 %.
 *
 * Borders: the coarse grid covers the image plus the reach of the whole chain; positions
 * outside the image are mapped by the border rule (or read as cval), so every mode is exact
 * in the same sense as inside. Every stage computes each value on its own, in a fixed order,
 * so threads (which split each stage) do not change the result. */
#include "decim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double blur__decim_min_sigma = BLUR__DECIM_MIN_SIGMA;

bool blur__decim_takes_sigma(double sigma)
{
    return sigma >= blur__decim_min_sigma && sigma >= BLUR__DECIM_LOWEST_SIGMA;
}

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

/* down_pair and down_unit from down: the weights times 2^S, S as large as lets the biggest
 * fit in 16 bits (with room for the adjustment) and 255 * 2^S in 31 bits, rounded, the centre
 * one adjusted so they sum to 2^S exactly (a flat image stays flat). */
static void fixed_down(decim_axis *a)
{
    const int reach = a->reach;
    int shift = 23;
    while (shift > 0 && ldexp(a->down[reach], shift) > 32767.0 - 2.0 * (2 * reach + 1)) shift--;
    int32_t w[MAX_TAPS / 2 + 2] = {0}, total = 0;
    for (int t = 1; t <= reach; t++) {
        w[t] = (int32_t)lrint(ldexp(a->down[reach + t], shift));
        total += 2 * w[t];
    }
    w[0] = (INT32_C(1) << shift) - total;
    for (int p = 0; 2 * p <= reach; p++)
        a->down_pair[p] = (int32_t)((uint32_t)(uint16_t)w[2 * p] | (uint32_t)w[2 * p + 1] << 16);
    a->down_unit = (float)ldexp(1.0, -shift);
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
    if ((a->step - 1 + a->reach) / a->step - a->up_first + 1 != UP_TAPS)
        return BLUR_ERR_UNSUPPORTED;

    const int nj = a->coarse_radius + 1;
    a->down = malloc(sizeof(float) * (size_t)(2 * a->reach + 1));
    a->down_pair = calloc((size_t)(a->reach / 2 + 1), sizeof(int32_t));
    /* rows up to a multiple of 4 (up_tiles computes four at a time), the extra ones zero */
    a->up = calloc((size_t)((a->step + 3) / 4 * 4 * UP_TAPS), sizeof(float));
    a->coarse = malloc(sizeof(float) * (size_t)(2 * a->coarse_radius + 1));
    double *work = malloc(sizeof(double) * (size_t)(nj * nj + 2 * nj));
    blur_error err = BLUR_ERR_NOMEM;
    if (a->down && a->down_pair && a->up && a->coarse && work) {
        double sum = 0;
        for (int k = -a->reach; k <= a->reach; k++) sum += exp(-k * k / (2.0 * sa * sa));
        for (int k = -a->reach; k <= a->reach; k++)
            a->down[k + a->reach] = (float)(exp(-k * k / (2.0 * sa * sa)) / sum);
        fixed_down(a);
        for (int p = 0; p < a->step; p++) {
            double w[UP_TAPS], total = 0;
            for (int d = 0; d < UP_TAPS; d++) {
                int dist = p - (a->up_first + d) * a->step;
                w[d] = abs(dist) <= a->reach ? exp(-dist * dist / (2.0 * sa * sa)) : 0.0;
                total += w[d];
            }
            for (int d = 0; d < UP_TAPS; d++) a->up[p * UP_TAPS + d] = (float)(w[d] / total);
        }
        err = fit_coarse(a, sigma, cut, work) ? BLUR_OK : BLUR_ERR_UNSUPPORTED;
    }
    free(work);
    return err;
}

static void axis_free(decim_axis *a)
{
    free(a->down);
    free(a->down_pair);
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

/* The baseline variant (SSE2 on x86-64: 4 floats a vector). */
#define DV 4
#define DECIM_STAGE blur__decim_stage_generic
#include "decim_simd.h"

/* The kernels, best first (named as fir.c's variants), with the features their -m flags use
 * (Makefile); the first this CPU has runs. */
static const struct {
    const char *name;
    const char *cpu[6];
    decim_stage_fn *run;
} kernels[] = {
#if defined(__x86_64__) && defined(BLUR_HAVE_X86_SIMD)
    {"avx512", {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"},
     blur__decim_stage_avx512},
    {"avx2", {"avx2", "fma"}, blur__decim_stage_avx2},
#endif
    {"generic", {NULL}, blur__decim_stage_generic},
};
enum { KERNEL_COUNT = sizeof kernels / sizeof kernels[0] };
static int forced_kernel = -1;

static bool kernel_supported(int i)
{
    return blur__cpu_has(kernels[i].cpu, sizeof kernels[i].cpu / sizeof kernels[i].cpu[0]);
}

static decim_stage_fn *pick_kernel(void)
{
    if (forced_kernel >= 0) return kernels[forced_kernel].run;
    for (int i = 0; i < KERNEL_COUNT; i++)
        if (kernel_supported(i)) return kernels[i].run;
    return blur__decim_stage_generic;
}

bool blur__decim_force_kernel(const char *name)
{
    if (!name) {
        forced_kernel = -1;
        return true;
    }
    for (int i = 0; i < KERNEL_COUNT; i++)
        if (strcmp(kernels[i].name, name) == 0 && kernel_supported(i)) {
            forced_kernel = i;
            return true;
        }
    return false;
}

typedef struct stage_job {
    const run_ctx *r;
    decim_stage_fn *kernel;
    stage st;
    blur__chunks *units;
    blur_error err;
} stage_job;

/* Takes chunks of the stage's units until none is left, with one scratch for all of them. */
static void *stage_thread(void *arg)
{
    stage_job *job = arg;
    const size_t floats = stage_scratch_floats(job->r, job->st);
    float *scratch = NULL;
    if (floats && !(scratch = alloc_floats(floats))) {
        job->err = BLUR_ERR_NOMEM;
        return NULL;
    }
    size_t first, last;
    while (blur__chunks_take(job->units, &first, &last))
        job->kernel(job->r, job->st, first, last, scratch);
    free_floats(scratch);
    return NULL;
}

/* Runs one stage over [0, count) on `threads` threads, in chunks of whole grains: eight a
 * thread (one chunk on one thread). */
static blur_error run_stage(const run_ctx *r, stage st, size_t count, size_t grain,
                            unsigned threads)
{
    stage_job jobs[256];
    size_t grains = (count + grain - 1) / grain;
    if (threads > grains) threads = grains ? (unsigned)grains : 1;
    if (threads > 256) threads = 256;
    blur__chunks units;
    blur__chunks_init(&units, count, threads, 8, grain, grain);
    decim_stage_fn *kernel = pick_kernel();
    for (unsigned t = 0; t < threads; t++) jobs[t] = (stage_job){r, kernel, st, &units, BLUR_OK};
    blur__run_parallel(stage_thread, jobs, sizeof jobs[0], threads);
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].err) return jobs[t].err;
    return BLUR_OK;
}

/* The floats of a part of the workspace: a whole number of cache lines. */
static bool add_part(size_t count, size_t *total)
{
    return count <= SIZE_MAX - 15 &&
           !__builtin_add_overflow(*total, (count + 15) / 16 * 16, total);
}

blur_error blur__decim_run(blur__decim *f, const blur_image *src, blur_image *dst,
                           unsigned threads)
{
    run_ctx r = {.f = f, .src = src, .dst = dst, .ch = (size_t)src->channels};
    const decim_axis *ay = &f->axis[0], *ax = &f->axis[1];
    if (!blur__mul(src->width, r.ch, &r.samples)) return BLUR_ERR_OVERFLOW;
    r.ycell = axis_cells(ay, src->height);
    r.xcell = axis_cells(ax, src->width);
    /* + MAX_LANES: room for unaligned reads, and for stage B's pairs of vectors */
    r.line = (r.ycell.in + MAX_LANES - 1) / MAX_LANES * MAX_LANES + MAX_LANES;
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
