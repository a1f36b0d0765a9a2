/* iir.c — the O(1)-per-pixel Gaussian for large sigma (BLUR_ENGINE_AUTO, 8-bit, sigma at or
 * above BLUR__IIR_MIN_SIGMA on both axes): a 6th-order recursive filter, three damped cosine
 * pairs per direction, run causally and anticausally along each axis.
 *
 * The fit (tests/fit_iir.py, least squares on exp(-x^2/2), max error 8e-6 of the peak):
 *     exp(-x^2/2) ~ sum_j exp(-l_j x) (a_j cos(w_j x) + b_j sin(w_j x)),  x >= 0.
 * Sampled at x = n/sigma, each pair is Re(alpha z^n) with alpha = a + ib, z = exp(-(l+iw)/sigma):
 * a second-order recursion. The causal part takes n >= 0, the anticausal part n >= 1, and the
 * gains are scaled so the whole filter sums to 1 (flat stays flat).
 *
 * The recursion gives the *uncut* Gaussian; scipy's (and --exact's) kernel is cut at
 * R = int(truncate*sigma + 0.5) and normalized again. At sigma 30 the two differ on ~0.2 % of
 * 8-bit pixels, so each axis also runs the part beyond the cut, g(R+j) for j >= 1, as one
 * first-order recursion per direction on the input R+1 lines away (an exponential with the
 * tail's first weight and total mass: it is only ~6e-5 of the kernel at truncate 4, so a
 * rough model is plenty), subtracts it and scales by whole/cut. Against scipy's kernel that
 * took the share of exact pixels at sigma 30 from 99.76 % to 99.98 %, for ~17 % more time.
 *
 * Borders: every line is extended by the border rule 6 sigma beyond each end (the Gaussian is
 * below 2e-8 there) and each recursion starts in the steady state of the first sample it sees.
 *
 * Layout: the vertical pass runs down strips of WS samples of the input (the recursion is
 * independent per column, so a strip is WS lanes of vector arithmetic), causal pass into a
 * strip buffer, anticausal pass back up adding to it; the result is written transposed into an
 * intermediate of 16-bit samples with 8 fraction bits (one image column per intermediate row),
 * STAGE lines at a time so that each intermediate row gets a run of samples, not one.
 * The horizontal pass is then the same strip recursion down the intermediate, written back
 * transposed into the 8-bit output. The intermediate is cached in the object so repeated runs
 * do not pay its page faults. Strips are independent, so threads do not change the result. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The recursion's multiply-adds may fuse: the x86-64-v3/v4 clones have FMA (a third fewer
 * instructions); the result moves by a rounding, and the tests hold it to the exact filter. */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

#define WS 64 /* samples per strip */
#define STAGE 128 /* output lines rounded before they are written out transposed */
#define AHEAD 12 /* lines prefetched ahead: a strip's lines are pages apart, beyond the
                  * hardware prefetchers, and each one was a serial miss (1.9 s at sigma 30) */

/* The recursion runs in float, in the step form of iir_axis: with d1, d2 directly, float lost
 * ~0.5 % of exact pixels at sigma 30 (the poles near 1 moved); in the step form it loses
 * 0.005 % against double, at half the vector work and state. */
typedef float real;

/* The strip kernel is compiled for AVX-512 (with FMA), AVX2 and the baseline and picked at
 * load time (target_clones); its loops over the WS lanes are plain C for the vectorizer. */
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#if defined(__clang__) /* clang 14 dispatches arch= clones by CPU model: the default ran on
                        * an AMD EPYC; its avx512f implies FMA */
#define STRIP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else /* gcc dispatches x86-64-vN by features; its avx512f alone would not fuse */
#define STRIP_CLONES                                                                          \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#endif
#ifndef STRIP_CLONES
#define STRIP_CLONES
#endif

/* Damped cosine pairs: a_j, b_j, l_j, w_j (tests/fit_iir.py). */
static const double fit[3][4] = {
    {3.1540922603544894, 7.3093932993508757, 2.1825535390892128, 0.5265958180415885},
    {-2.3125556976320549, -0.91878045235357542, 2.1514503611307085, 1.6160996312731155},
    {0.15845519424640475, -0.044013797958365242, 2.0790655952934398, 2.8566688588270139},
};

typedef struct iir_axis {
    double n0[3], n1[3]; /* causal:     y[k] = n0 x[k] + n1 x[k-1] + d1 y[k-1] + d2 y[k-2] */
    double m1[3], m2[3]; /* anticausal: v[k] = m1 x[k+1] + m2 x[k+2] + d1 v[k+1] + d2 v[k+2] */
    double d1[3], d2[3];
    /* The same recursion as the kernel runs it, on y and its step D = y[k] - y[k-1]:
     *     D[k] = r2 D[k-1] - c y[k-1] + input,   y[k] = y[k-1] + D[k],
     * with r2 = -d2 = |z|^2 and c = 1 - d1 - d2 = |1 - z|^2. Written with d1 and d2, whose
     * poles sit near 1, float loses the pole positions (d1 ~ 2 - 0.14 at sigma 30); here
     * every coefficient keeps its relative precision and D is small for smooth input. */
    double r2[3], c[3];
    double gc[3], ga[3]; /* steady-state gains for a constant input */
    long pad;
    /* The cut (see the top): the tail weights beyond it, g(R+j) for j >= 1 as a fraction of
     * the whole Gaussian, modelled as tail_w1 * tail_rho^(j-1) (first weight and total mass
     * tail_m exact); what is left is scaled by out_scale = whole / cut. */
    long cut;
    double tail_w1, tail_rho, tail_m, out_scale;
} iir_axis;

struct blur__iir {
    iir_axis axis[2]; /* 0: vertical (sigma_y), 1: horizontal (sigma_x) */
    blur_border border;
    double cval;
    pthread_mutex_t lock; /* guards the cached intermediate */
    uint16_t *cache;
    size_t cache_size;
};

/* The tail model of iir_axis for the sampled Gaussian of sigma cut at radius. */
static void tail_init(double sigma, long radius, iir_axis *a)
{
    const long far = (long)ceil(12.0 * sigma) + radius; /* beyond, terms are below 1e-31 */
    double whole = 1.0, kept = 1.0, mass = 0.0;
    for (long k = 1; k <= far; k++) {
        double g = exp(-0.5 * (double)k * (double)k / (sigma * sigma));
        whole += 2.0 * g;
        if (k <= radius) kept += 2.0 * g;
        else mass += g;
    }
    double first = exp(-0.5 * (double)(radius + 1) * (double)(radius + 1) / (sigma * sigma));
    a->cut = radius;
    a->tail_m = mass / whole;
    a->tail_w1 = first / whole;
    a->tail_rho = mass > 0.0 ? 1.0 - first / mass : 0.0;
    a->out_scale = whole / kept;
}

static void axis_init(double sigma, long radius, iir_axis *a)
{
    double re[3], im[3], zr[3], zi[3], total = 0.0;
    for (int j = 0; j < 3; j++) {
        double mag = exp(-fit[j][2] / sigma), ang = -fit[j][3] / sigma;
        zr[j] = mag * cos(ang), zi[j] = mag * sin(ang);
        re[j] = fit[j][0], im[j] = fit[j][1];
        /* sum over all n of the pair: Re(alpha (1+z)/(1-z)) */
        double nr = 1.0 + zr[j], ni = zi[j], dr = 1.0 - zr[j], di = -zi[j];
        double qr = (nr * dr + ni * di) / (dr * dr + di * di);
        double qi = (ni * dr - nr * di) / (dr * dr + di * di);
        total += re[j] * qr - im[j] * qi;
    }
    for (int j = 0; j < 3; j++) {
        double ar = re[j] / total, ai = im[j] / total;
        double z2 = zr[j] * zr[j] + zi[j] * zi[j];
        double n0 = ar, n1 = -(ar * zr[j] + ai * zi[j]);       /* -Re(alpha conj(z)) */
        double m1 = ar * zr[j] - ai * zi[j], m2 = -z2 * ar;    /* Re(alpha z), -|z|^2 Re(alpha) */
        double d1 = 2.0 * zr[j], d2 = -z2;
        a->n0[j] = n0, a->n1[j] = n1, a->m1[j] = m1, a->m2[j] = m2;
        a->d1[j] = d1, a->d2[j] = d2;
        a->r2[j] = z2;
        a->c[j] = (1.0 - zr[j]) * (1.0 - zr[j]) + zi[j] * zi[j];
        a->gc[j] = (n0 + n1) / (1.0 - d1 - d2);
        a->ga[j] = (m1 + m2) / (1.0 - d1 - d2);
    }
    a->pad = (long)ceil(6.0 * sigma);
    tail_init(sigma, radius, a);
}

double blur__iir_min_sigma = BLUR__IIR_MIN_SIGMA;

blur_error blur__iir_create(double sigma_x, double sigma_y, long radius_x, long radius_y,
                            blur_border border, double cval, blur__iir **out)
{
    *out = NULL;
    blur__iir *f = calloc(1, sizeof *f);
    if (!f) return BLUR_ERR_NOMEM;
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f);
        return BLUR_ERR_NOMEM;
    }
    axis_init(sigma_y, radius_y, &f->axis[0]);
    axis_init(sigma_x, radius_x, &f->axis[1]);
    f->border = border;
    f->cval = cval;
    *out = f;
    return BLUR_OK;
}

void blur__iir_free(blur__iir *f)
{
    if (!f) return;
    pthread_mutex_destroy(&f->lock);
    free(f->cache);
    free(f);
}

bool blur__iir_accepts(const blur__iir *f, const blur_image *src)
{
    if (!f || src->depth != BLUR_U8) return false;
    if (f->border == BLUR_BORDER_CONSTANT && !(f->cval >= 0.0 && f->cval <= 255.0)) return false;
    return true;
}

/* ---- one strip: the recursion down `lines` lines of WS lanes ---- */

typedef struct strip_io {
    const void *in;     /* u8 image (pass 1) or the intermediate (pass 2) */
    size_t in_stride;   /* elements per input line */
    void *out;          /* the intermediate (pass 1) or the u8 image (pass 2) */
    size_t out_stride;  /* elements per output line */
    size_t channels;    /* samples per pixel: the transposition moves whole pixels */
    size_t lines;       /* lines along the recursion */
    size_t width;       /* samples per line */
    int pass;
    real in_scale;      /* input element -> levels */
    real cval;
    blur_border border;
} strip_io;

static inline __attribute__((always_inline)) void load_line(const strip_io *io, long k,
                                                            size_t s0, size_t count,
                                                            real *restrict x)
{
    long m = blur__border_index(io->border, k, (long)io->lines);
    if (m < 0) {
        for (size_t i = 0; i < WS; i++) x[i] = io->cval;
        return;
    }
    /* A full strip is a loop of constant count, which the vectorizer turns into a few
     * widening conversions; the last strip of a line takes the general loop. */
    if (io->pass == 1) {
        const uint8_t *p = (const uint8_t *)io->in + (size_t)m * io->in_stride + s0;
        if (count == WS) {
            for (size_t i = 0; i < WS; i++) x[i] = (real)(int32_t)p[i];
            return;
        }
        for (size_t i = 0; i < count; i++) x[i] = (real)(int32_t)p[i];
    } else {
        const uint16_t *p = (const uint16_t *)io->in + (size_t)m * io->in_stride + s0;
        const real scale = io->in_scale;
        if (count == WS) {
            for (size_t i = 0; i < WS; i++) x[i] = (real)(int32_t)p[i] * scale;
            return;
        }
        for (size_t i = 0; i < count; i++) x[i] = (real)(int32_t)p[i] * scale;
    }
    for (size_t i = count; i < WS; i++) x[i] = 0.0;
}

static inline __attribute__((always_inline)) void prefetch_line(const strip_io *io, long k,
                                                                size_t s0)
{
    long m = blur__border_index(io->border, k, (long)io->lines);
    if (m < 0) return;
    const char *p = io->pass == 1
                        ? (const char *)io->in + (size_t)m * io->in_stride + s0
                        : (const char *)((const uint16_t *)io->in + (size_t)m * io->in_stride + s0);
    size_t bytes = io->pass == 1 ? WS : 2 * WS;
    for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b);
    __builtin_prefetch(p + bytes - 1);
}

/* Rounds line k's lanes into the stage: pass 1 keeps 8 fraction bits, pass 2 rounds to
 * 8-bit. One vector loop per line; the transposed writes wait for flush_stage. */
static inline __attribute__((always_inline)) void stage_line(const strip_io *io,
                                                             const real *restrict v,
                                                             uint16_t *restrict q)
{
    const real scale = io->pass == 1 ? (real)256.0 : (real)1.0;
    const real top = io->pass == 1 ? (real)65535.0 : (real)255.0;
    for (size_t i = 0; i < WS; i++) {
        real t = v[i] * scale + (real)0.5;
        t = t > (real)0.0 ? t : (real)0.0;
        t = t < top ? t : top;
        q[i] = (uint16_t)(int32_t)t;
    }
}

/* Writes staged lines k0..k1-1 of pixel p's samples [i0, i1) of the strip (channels c0...)
 * transposed: sample s of line k goes to output line s/C, sample k*C + s%C. */
static inline __attribute__((always_inline)) void
flush_pixel(const strip_io *io, size_t p, size_t i0, size_t i1, size_t c0, size_t k0, size_t k1,
            const uint16_t (*restrict stage)[WS], const size_t ch)
{
    if (io->pass == 1) {
        uint16_t *o = (uint16_t *)io->out + p * io->out_stride + c0;
        for (size_t k = k0; k < k1; k++)
            for (size_t i = i0; i < i1; i++) o[k * ch + i - i0] = stage[k % STAGE][i];
    } else {
        uint8_t *o = (uint8_t *)io->out + p * io->out_stride + c0;
        for (size_t k = k0; k < k1; k++)
            for (size_t i = i0; i < i1; i++) o[k * ch + i - i0] = (uint8_t)stage[k % STAGE][i];
    }
}

/* The whole pixels of a strip, for a channel count known at compile time, so the copy of a
 * pixel's samples unrolls (left as a loop, gcc called memmove for every 6-byte piece). Each
 * pixel's run along its output line is gathered in a local buffer and written with one
 * memcpy: a few wide stores into lines that are usually not cached, instead of one store per
 * sample. k0 is a multiple of STAGE. */
static inline __attribute__((always_inline)) void
flush_whole(const strip_io *io, size_t p0, size_t p1, size_t s0, size_t k0, size_t k1,
            const uint16_t (*restrict stage)[WS], const size_t ch)
{
    uint16_t run16[STAGE * 4];
    uint8_t run8[STAGE * 4];
    const size_t len = (k1 - k0) * ch;
    for (size_t p = p0; p < p1; p++) {
        const size_t i0 = p * ch - s0, at = p * io->out_stride + k0 * ch;
        if (io->pass == 1) {
            for (size_t k = 0; k < k1 - k0; k++)
#pragma GCC unroll 4
                for (size_t c = 0; c < ch; c++) run16[k * ch + c] = stage[k][i0 + c];
            memcpy((uint16_t *)io->out + at, run16, len * sizeof *run16);
        } else {
            for (size_t k = 0; k < k1 - k0; k++)
#pragma GCC unroll 4
                for (size_t c = 0; c < ch; c++) run8[k * ch + c] = (uint8_t)stage[k][i0 + c];
            memcpy((uint8_t *)io->out + at, run8, len);
        }
    }
}

/* Writes staged lines k0..k1-1 transposed. Staging STAGE lines first turns one scattered
 * store per sample (a 6-byte piece of a line pages away, for RGB) into runs of STAGE pixels
 * along each output line. Pixels cut by the strip's ends take the general copy. */
static void flush_stage(const strip_io *io, size_t s0, size_t count, size_t k0, size_t k1,
                        const uint16_t (*restrict stage)[WS])
{
    const size_t ch = io->channels;
    const size_t p0 = (s0 + ch - 1) / ch, p1 = (s0 + count) / ch; /* whole pixels */
    for (size_t p = s0 / ch; p * ch < s0 + count; p++) {
        if (p >= p0 && p < p1) {
            switch (ch) { /* the counts of blur_image; flush_whole's buffers hold 4 */
            case 1: flush_whole(io, p0, p1, s0, k0, k1, stage, 1); break;
            case 2: flush_whole(io, p0, p1, s0, k0, k1, stage, 2); break;
            case 3: flush_whole(io, p0, p1, s0, k0, k1, stage, 3); break;
            case 4: flush_whole(io, p0, p1, s0, k0, k1, stage, 4); break;
            default:
                for (size_t q = p0; q < p1; q++)
                    flush_pixel(io, q, q * ch - s0, q * ch - s0 + ch, 0, k0, k1, stage, ch);
            }
            p = p1 - 1;
            continue;
        }
        size_t i0 = p * ch < s0 ? 0 : p * ch - s0;
        size_t i1 = (p + 1) * ch - s0 < count ? (p + 1) * ch - s0 : count;
        flush_pixel(io, p, i0, i1, s0 + i0 - p * ch, k0, k1, stage, ch);
    }
}

/* One line of the three second-order sections, fused into one loop over the lanes (inputs
 * loaded once, the sum kept in a register). y1 holds the previous outputs, y2 the ones before,
 * which the new outputs overwrite (the caller then swaps the two roles: no copying of state).
 * u = input at this line, up = the other input term. The total goes to `out` (float, the
 * causal half kept for later) or, with `add` given, has the causal half added and goes to the
 * reals of `sum`. The sum is ((s0 + s1) + s2) either way. */
#define SECTION_BODY                                                                          \
    const real x0 = u[i], x1 = up[i];                                                         \
    real t0 = r20 * p0[i] - c0_ * q0[i] + (e00 * x0 + e10 * x1);                              \
    real t1 = r21 * p1[i] - c1_ * q1[i] + (e01 * x0 + e11 * x1);                              \
    real t2 = r22 * p2[i] - c2_ * q2[i] + (e02 * x0 + e12 * x1);                              \
    p0[i] = t0, p1[i] = t1, p2[i] = t2;                                                       \
    real s0 = q0[i] + t0, s1 = q1[i] + t1, s2 = q2[i] + t2;                                   \
    q0[i] = s0, q1[i] = s1, q2[i] = s2;                                                       \
    real s = s0 + s1 + s2;

/* One line of the three sections, fused into one loop over the lanes (inputs loaded once,
 * the sum kept in registers), in the step form of iir_axis: p holds each section's step D,
 * q its output y. u = input at this line, up = the other input term. The total goes to `out`
 * (float, the causal half kept for later) or, with `add` given, has the causal half added
 * and goes to `sum`. */
static inline __attribute__((always_inline)) void
sections_fused(const double *c0, const double *c1, const iir_axis *a, const real *restrict u,
               const real *restrict up, real *restrict p0, real *restrict p1,
               real *restrict p2, real *restrict q0, real *restrict q1, real *restrict q2,
               float *restrict out, const float *restrict add, real *restrict sum)
{
    const real e00 = (real)c0[0], e01 = (real)c0[1], e02 = (real)c0[2];
    const real e10 = (real)c1[0], e11 = (real)c1[1], e12 = (real)c1[2];
    const real r20 = (real)a->r2[0], r21 = (real)a->r2[1], r22 = (real)a->r2[2];
    const real c0_ = (real)a->c[0], c1_ = (real)a->c[1], c2_ = (real)a->c[2];
    if (out) {
        for (size_t i = 0; i < WS; i++) {
            SECTION_BODY
            out[i] = (float)s;
        }
    } else {
        for (size_t i = 0; i < WS; i++) {
            SECTION_BODY
            sum[i] = s + (real)add[i];
        }
    }
}

/* One line of the sections. */
#define SECTIONS(c0, c1, out, add)                                                            \
    sections_fused(c0, c1, a, u, up, st[0], st[1], st[2], y[0], y[1], y[2], out, add, sum)
#define SWAP_INPUT()                                                                          \
    do {                                                                                      \
        real *t_ = up;                                                                        \
        up = u, u = t_;                                                                       \
    } while (0)

STRIP_CLONES static void run_strip(const strip_io *io, const iir_axis *a, size_t s0,
                                   float *restrict buf)
{
    const size_t count = io->width - s0 < WS ? io->width - s0 : WS;
    const long n = (long)io->lines, pad = a->pad, cut = a->cut;
    real in[2][WS], st[3][WS], y[3][WS], sum[WS];
    real *u = in[0], *up = in[1];
    /* The tails beyond the cut (iir_axis): tc the part of each lane's sum before it, ta the
     * part after, each a first-order recursion on the input R+1 lines away (far; loading it
     * again costs less than keeping R+2 lines in a ring, measured). */
    real tc[WS], ta[WS], far[WS];
    const real rho = (real)a->tail_rho, w1 = (real)a->tail_w1, scale = (real)a->out_scale;
    uint16_t stage[STAGE][WS];
    float lost[WS]; /* the sums of the padding lines, not needed */
    /* causal: y[k] from x[k] (u) and x[k-1] (up); the padding in front warms the state up */
    load_line(io, -pad, s0, count, up);
    for (int j = 0; j < 3; j++)
        for (size_t i = 0; i < WS; i++) y[j][i] = up[i] * (real)a->gc[j], st[j][i] = 0;
    load_line(io, -pad - cut - 1, s0, count, far);
    for (size_t i = 0; i < WS; i++) tc[i] = far[i] * (real)a->tail_m; /* its steady state */
    for (long k = -pad; k < n; k++) {
        prefetch_line(io, k + AHEAD, s0);
        load_line(io, k, s0, count, u);
        float *causal = k < 0 ? lost : buf + (size_t)k * WS;
        SECTIONS(a->n0, a->n1, causal, NULL);
        load_line(io, k - cut - 1, s0, count, far);
        for (size_t i = 0; i < WS; i++) {
            tc[i] = rho * tc[i] + w1 * far[i];
            causal[i] -= (float)tc[i];
        }
        SWAP_INPUT();
    }
    /* anticausal, from beyond the far end back to line 0: v[k] from x[k+1] (u), x[k+2] (up) */
    load_line(io, n + pad, s0, count, u);
    memcpy(up, u, WS * sizeof *up);
    for (int j = 0; j < 3; j++)
        for (size_t i = 0; i < WS; i++) y[j][i] = u[i] * (real)a->ga[j], st[j][i] = 0;
    load_line(io, n + pad + cut + 1, s0, count, far);
    for (size_t i = 0; i < WS; i++) ta[i] = far[i] * (real)a->tail_m;
    for (long k = n - 1 + pad; k >= 0; k--) {
        load_line(io, k + cut + 1, s0, count, far);
        if (k >= n) {
            SECTIONS(a->m1, a->m2, lost, NULL);
            for (size_t i = 0; i < WS; i++) ta[i] = rho * ta[i] + w1 * far[i];
        } else {
            SECTIONS(a->m1, a->m2, NULL, buf + (size_t)k * WS);
            for (size_t i = 0; i < WS; i++) {
                ta[i] = rho * ta[i] + w1 * far[i];
                sum[i] = (sum[i] - ta[i]) * scale;
            }
            stage_line(io, sum, stage[k % STAGE]);
            if (k % STAGE == 0) {
                size_t k1 = (size_t)k + STAGE < (size_t)n ? (size_t)k + STAGE : (size_t)n;
                flush_stage(io, s0, count, (size_t)k, k1, (const uint16_t(*)[WS])stage);
            }
        }
        SWAP_INPUT();
        prefetch_line(io, k - AHEAD, s0);
        load_line(io, k, s0, count, u);
    }
}

typedef struct pass_job {
    const strip_io *io;
    const iir_axis *axis;
    size_t first, last; /* strips */
    blur_error err;
} pass_job;

static void *pass_thread(void *arg)
{
    pass_job *job = arg;
    /* the causal half of each line: float is plenty for a stored sum (~1e-5 level) */
    float *buf = blur__alloc_array(job->io->lines, WS * sizeof(float));
    if (!buf) {
        job->err = BLUR_ERR_NOMEM;
        return NULL;
    }
    for (size_t s = job->first; s < job->last; s++) run_strip(job->io, job->axis, s * WS, buf);
    free(buf);
    return NULL;
}

static blur_error run_pass(const strip_io *io, const iir_axis *axis, unsigned threads)
{
    size_t strips = (io->width + WS - 1) / WS;
    if (threads > strips) threads = (unsigned)strips;
    if (threads > 256) threads = 256;
    pass_job jobs[256];
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (pass_job){io, axis, strips * t / threads, strips * (t + 1) / threads, BLUR_OK};
    blur__run_parallel(pass_thread, jobs, sizeof jobs[0], threads);
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].err) return jobs[t].err;
    return BLUR_OK;
}

blur_error blur__iir_run(blur__iir *f, const blur_image *src, blur_image *dst, unsigned threads)
{
    const size_t ch = (size_t)src->channels, n = src->width * ch;
    size_t size;
    if (!blur__mul(n, src->height, &size)) return BLUR_ERR_OVERFLOW;
    /* The cached intermediate, when no other run holds it; else one of our own. */
    uint16_t *mid = NULL;
    bool cached = pthread_mutex_trylock(&f->lock) == 0;
    if (cached) {
        if (f->cache_size < size) {
            free(f->cache);
            f->cache = blur__alloc_array(size, sizeof *f->cache);
            f->cache_size = f->cache ? size : 0;
        }
        mid = f->cache;
    } else {
        mid = blur__alloc_array(size, sizeof *mid);
    }
    blur_error err = BLUR_ERR_NOMEM;
    if (mid) {
        /* pass 1: down the columns of the image, into the intermediate transposed */
        strip_io io1 = {src->data, src->stride, mid, src->height * ch, ch, src->height, n, 1,
                        1.0, (real)f->cval, f->border};
        err = run_pass(&io1, &f->axis[0], threads);
        /* pass 2: down the intermediate (the image's rows), back into the image's layout */
        strip_io io2 = {mid, src->height * ch, dst->data, dst->stride, ch, src->width,
                        src->height * ch, 2, (real)(1.0 / 256.0), (real)f->cval, f->border};
        if (!err) err = run_pass(&io2, &f->axis[1], threads);
    }
    if (cached) pthread_mutex_unlock(&f->lock);
    else free(mid);
    return err;
}
