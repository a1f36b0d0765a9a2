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
 * Layout: the vertical pass runs down strips of the input, 3 or 4 vectors of 16 lanes wide
 * (the recursion is independent per column, so a strip is vector arithmetic across it):
 * causal pass down, keeping each line's sum, anticausal pass back up adding to it; the result
 * is written transposed into an intermediate of 16-bit samples with 8 fraction bits (one
 * image column per intermediate row), BLOCK lines at a time so that each intermediate row
 * gets a run of samples, not one. The horizontal pass is then the same strip recursion down
 * the intermediate, written back transposed into the 8-bit output. The intermediate is cached
 * in the object so repeated runs do not pay its page faults. Strips are independent, so
 * threads do not change the result.
 *
 * Cost (AVX-512 on a 2-core Zen 4, 6000x4000 RGB, sigma 30, 1 thread): ~140 ms, about four
 * fifths of it the recursion itself (4 multiply-adds per section and line, 3 sections, 4
 * directions, plus the tail), the rest the transposed writes. */
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

/* The recursion runs in float, in the step form of iir_axis: with d1, d2 directly, float lost
 * ~0.5 % of exact pixels at sigma 30 (the poles near 1 moved); in the step form it loses
 * 0.005 % against double, at half the vector work and state. */

/* The strip kernel is compiled for AVX-512 (with FMA), AVX2 (with FMA) and the baseline, and
 * picked at run time by the CPU's features (pick_kernel). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define X86_KERNELS 1
#include <immintrin.h>
#define TARGET_AVX512                                                                         \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,bmi,bmi2,popcnt")))
#define TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2,popcnt")))
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
    if (!f || src->depth != BLUR_U8 || src->channels > 4) return false;
    if (f->border == BLUR_BORDER_CONSTANT && !(f->cval >= 0.0 && f->cval <= 255.0)) return false;
    return true;
}

/* ---- one strip: the recursion along all lines of a few vectors of samples ---- */

/* Sixteen lanes of float: one AVX-512 register, two AVX2 ones, four SSE ones. A strip is
 * STRIP_VECTORS of them, whole pixels (so the transposed writes move whole pixels), run
 * together line by line: their chains overlap, and their state (eight vectors each) stays in
 * registers. */
typedef float vf __attribute__((vector_size(64)));
/* Vectors are passed only between always_inline functions of one clone, never across an
 * ABI boundary, so the warning about their calling convention does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint8_t vu8 __attribute__((vector_size(16)));
typedef uint16_t vu16 __attribute__((vector_size(32)));
/* The same for loads at any address (memcpy into a vector of bytes made gcc 12 take the
 * vector apart in general registers) */
typedef uint8_t vu8_any __attribute__((vector_size(16), aligned(1), may_alias));
typedef uint16_t vu16_any __attribute__((vector_size(32), aligned(1), may_alias));

enum isa { ISA_BASE, ISA_AVX2, ISA_AVX512 }; /* which kernel: a constant in each */

/* 16 bytes to float. Generic vectors would do (u8 -> u16 -> i32), but gcc 12 splits them
 * into 128-bit pieces: 16 instructions where AVX-512 needs 2 (the vertical pass converts two
 * lines per line it filters). */
#ifdef X86_KERNELS /* results through a pointer: a 64-byte vector may not cross a call into
                    * code without AVX-512 (clang refuses it even where the call is dead) */
TARGET_AVX512 static inline void widen8_avx512(const uint8_t *p, vf *out)
{
    *out = (vf)_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)));
}

TARGET_AVX2 static inline void widen8_avx2(const uint8_t *p, vf *out)
{
    __m128i b = _mm_loadu_si128((const __m128i *)p);
    __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
    __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(b, b)));
    memcpy(out, &lo, sizeof lo);
    memcpy((char *)out + sizeof lo, &hi, sizeof hi);
}
#endif

#ifdef X86_KERNELS
TARGET_AVX512 static inline void widen16_avx512(const uint16_t *p, vf *out)
{
    *out = (vf)_mm512_cvtepi32_ps(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)));
}

/* Rounds to the nearest (ties to even: a float sum is never exactly a tie in practice) and
 * saturates to the output type in three instructions. */
TARGET_AVX512 static inline void round_store_avx512(const vf *v, unsigned char *out, int pass)
{
    __m512i r = _mm512_max_epi32(_mm512_cvtps_epi32((__m512)*v), _mm512_setzero_si512());
    if (pass == 1) _mm256_storeu_si256((__m256i *)out, _mm512_cvtusepi32_epi16(r));
    else _mm_storeu_si128((__m128i *)out, _mm512_cvtusepi32_epi8(r));
}
#endif

static inline __attribute__((always_inline)) vf widen16(const uint16_t *p, const int isa)
{
    vf v;
#ifdef X86_KERNELS
    if (isa == ISA_AVX512) return widen16_avx512(p, &v), v;
#endif
    (void)isa;
    return __builtin_convertvector(__builtin_convertvector(*(const vu16_any *)p, vi), vf);
}

/* The 16 rounded outputs of a line into the stage (pass 1: 16 bits, pass 2: 8 bits). */
static inline __attribute__((always_inline)) void round_store(const vf *v, unsigned char *out,
                                                              int pass, const int isa)
{
#ifdef X86_KERNELS
    if (isa == ISA_AVX512) {
        round_store_avx512(v, out, pass);
        return;
    }
#endif
    (void)isa;
    vi r = __builtin_convertvector(*v + 0.5f, vi); /* truncates: v >= -0.5 */
    r &= ~(r < 0);
    const vi top = (vi){0} + (pass == 1 ? 65535 : 255), over = r > top;
    r = (r & ~over) | (top & over);
    if (pass == 1) {
        vu16 h = __builtin_convertvector(r, vu16);
        memcpy(out, &h, sizeof h);
    } else {
        vu8 b = __builtin_convertvector(r, vu8);
        memcpy(out, &b, sizeof b);
    }
}

static inline __attribute__((always_inline)) vf widen8(const uint8_t *p, const int isa)
{
    vf v;
#ifdef X86_KERNELS
    if (isa == ISA_AVX512) return widen8_avx512(p, &v), v;
    if (isa == ISA_AVX2) return widen8_avx2(p, &v), v;
#endif
    (void)isa;
    vu16 w = __builtin_convertvector(*(const vu8_any *)p, vu16);
    return __builtin_convertvector(__builtin_convertvector(w, vi), vf);
}

#define LANES 16
/* Vectors per strip: three for up to 3 channels (48, 24 or 16 whole pixels), four for 4 (16
 * pixels). Fewer leave the recursion waiting on its own latency (gray with one vector per
 * strip ran at 2.3-2.9 ns a sample against RGB's 1.9); more spill the state. */
#define STRIP_VECTORS(ch) ((size_t)((ch) == 4 ? 4 : 3))
#define STRIP_LANES(ch) (STRIP_VECTORS(ch) * LANES)
#define BLOCK 32 /* lines per block; the staged output of a block is written out transposed */
#define AHEAD 12 /* lines prefetched ahead: a strip's lines are pages apart, beyond the
                  * hardware prefetchers, and each one was a serial miss (1.9 s at sigma 30) */

/* One pass's coefficients in float, scaled so that the pass maps input units straight to
 * output units (pass 1: levels to 8.8 fixed point, with out_scale; pass 2 back to levels). */
typedef struct pass_coef {
    float e0[2][3], e1[2][3]; /* input terms, causal [0] (n0, n1), anticausal [1] (m1, m2) */
    float r2[3], c[3];        /* the step form of iir_axis */
    float gain[2][3];         /* steady-state output of each section per unit input */
    float tail_w1, tail_rho, tail_m;
} pass_coef;

static void pass_coef_init(const iir_axis *a, double unit, pass_coef *pc)
{
    const double g = unit * a->out_scale;
    for (int j = 0; j < 3; j++) {
        pc->e0[0][j] = (float)(g * a->n0[j]), pc->e1[0][j] = (float)(g * a->n1[j]);
        pc->e0[1][j] = (float)(g * a->m1[j]), pc->e1[1][j] = (float)(g * a->m2[j]);
        pc->r2[j] = (float)a->r2[j], pc->c[j] = (float)a->c[j];
        pc->gain[0][j] = (float)(g * a->gc[j]), pc->gain[1][j] = (float)(g * a->ga[j]);
    }
    pc->tail_w1 = (float)(g * a->tail_w1);
    pc->tail_rho = (float)a->tail_rho;
    pc->tail_m = (float)(g * a->tail_m);
}

typedef struct strip_io {
    const void *in;      /* u8 image (pass 1) or the intermediate (pass 2) */
    size_t in_stride;    /* elements per input line */
    void *out;           /* the intermediate (pass 1) or the u8 image (pass 2) */
    size_t out_stride;   /* elements per output line */
    size_t channels;     /* samples per pixel: the transposition moves whole pixels */
    size_t lines;        /* lines along the recursion */
    size_t width;        /* samples per line */
    int pass;
    float cval;          /* constant border, in input units */
    blur_border border_rule;
    const unsigned char *const *row; /* row[k + row_bias]: the input line line k reads under
                                      * the border rule, NULL for the constant */
    long row_bias;
    const iir_axis *axis;
    pass_coef coef;
} strip_io;

/* The state of one vector of a strip between blocks: the last input read, each section's
 * step p and output q, the tail. */
typedef struct lane_state {
    vf x, p[3], q[3], tail;
} lane_state;

/* The 16 samples at lane offset `at` of an input line (NULL: the constant border), as float
 * in input units. `avail` < LANES only in the last strip of a line (the samples beyond are
 * never written out). */
static inline __attribute__((always_inline)) vf load_lanes(const unsigned char *line, size_t at,
                                                           size_t avail, float cval, int pass,
                                                           const int isa)
{
    if (!line) return (vf){0} + cval;
    /* the partial vector goes through a copy, so that the vector load stays one load (a
     * vector filled by a variable-length copy was converted lane by lane) */
    if (pass == 1) {
        const uint8_t *p = line + at;
        uint8_t part[LANES] = {0};
        if (avail < LANES) p = memcpy(part, p, avail);
        return widen8(p, isa);
    }
    const uint16_t *p = (const uint16_t *)(const void *)line + at;
    uint16_t part[LANES] = {0};
    if (avail < LANES) p = memcpy(part, p, avail * sizeof *p);
    return widen16(p, isa);
}

static inline __attribute__((always_inline)) void
prefetch_lanes(const unsigned char *line, size_t at, const size_t nv, int pass)
{
    if (!line) return;
    const size_t size = pass == 1 ? 1 : 2, bytes = nv * LANES * size;
    const char *p = (const char *)line + at * size;
    for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b);
    __builtin_prefetch(p + bytes - 1);
}

enum { WARM, STORE, OUTPUT }; /* what a run of lines does with its sums */

/* Lines k = from, from + dir, ... (count of them) of a strip's nv vectors, dir = +1 for the
 * causal direction, -1 for the anticausal one. Causal: y[k] from x[k] and x[k-1], the tail
 * from x[k-cut-1]; anticausal: from x[k+1] and x[k+2], the tail from x[k+cut+1]. WARM runs
 * the padding (sums unused), STORE keeps the causal sums in sums[k], OUTPUT adds them and
 * rounds the total into stage line k - stage_k0, in the output's type. The vectors' recursions are independent chains
 * interleaved in one loop: one alone waits on its own latency. */
static inline __attribute__((always_inline)) void
run_lines(const strip_io *io, lane_state *restrict st, const size_t nv, long from, long count,
          int dir, int mode, int pass, const int isa, size_t at, size_t avail,
          float *restrict sums, unsigned char *restrict stage, long stage_k0,
          float *restrict ring, const long ring_lines)
{
    const int d = dir > 0 ? 0 : 1;
    const pass_coef *pc = &io->coef;
    const float e00 = pc->e0[d][0], e01 = pc->e0[d][1], e02 = pc->e0[d][2];
    const float e10 = pc->e1[d][0], e11 = pc->e1[d][1], e12 = pc->e1[d][2];
    const float r20 = pc->r2[0], r21 = pc->r2[1], r22 = pc->r2[2];
    const float c0 = pc->c[0], c1 = pc->c[1], c2 = pc->c[2];
    const float w1 = pc->tail_w1, rho = pc->tail_rho;
    const long near = dir > 0 ? 0 : 1, far = dir > 0 ? -(io->axis->cut + 1) : io->axis->cut + 1;
    const size_t stride = nv * LANES;
    /* io's fields in locals: the stores to the stage (bytes) could alias them */
    const unsigned char *const *rows = io->row + io->row_bias;
    const float cval = io->cval;
    vf x[4], p0[4], p1[4], p2[4], q0[4], q1[4], q2[4], tail[4];
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        x[v] = st[v].x, p0[v] = st[v].p[0], p1[v] = st[v].p[1], p2[v] = st[v].p[2];
        q0[v] = st[v].q[0], q1[v] = st[v].q[1], q2[v] = st[v].q[2], tail[v] = st[v].tail;
    }
    long k = from;
    /* ring slots of the near and far lines (see ring_fill) */
    long slot = (k + near) % ring_lines, slot_far = (k + far) % ring_lines;
    slot += slot < 0 ? ring_lines : 0, slot_far += slot_far < 0 ? ring_lines : 0;
    for (long n = 0; n < count; n++, k += dir) {
        const unsigned char *line = rows[k + near];
        float *keep = ring + (size_t)slot * stride;
        const float *kept = ring + (size_t)slot_far * stride;
        slot += dir, slot_far += dir;
        slot = slot == ring_lines ? 0 : slot < 0 ? ring_lines - 1 : slot;
        slot_far = slot_far == ring_lines ? 0 : slot_far < 0 ? ring_lines - 1 : slot_far;
        prefetch_lanes(rows[k + near + dir * AHEAD], at, nv, pass);
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) {
            const size_t av = avail > v * LANES ? avail - v * LANES : 0;
            const vf xb = x[v];
            x[v] = load_lanes(line, at + v * LANES, av, cval, pass, isa);
            memcpy(keep + v * LANES, &x[v], sizeof x[v]);
            /* shaped for one multiply and three fused multiply-adds each */
            const vf t0 = r20 * p0[v] + ((e00 * x[v] + e10 * xb) - c0 * q0[v]);
            const vf t1 = r21 * p1[v] + ((e01 * x[v] + e11 * xb) - c1 * q1[v]);
            const vf t2 = r22 * p2[v] + ((e02 * x[v] + e12 * xb) - c2 * q2[v]);
            p0[v] = t0, p1[v] = t1, p2[v] = t2;
            q0[v] += t0, q1[v] += t1, q2[v] += t2;
            vf x_far;
            memcpy(&x_far, kept + v * LANES, sizeof x_far);
            tail[v] = rho * tail[v] + w1 * x_far;
            if (mode == WARM) continue;
            vf s = (q0[v] + q1[v]) + q2[v] - tail[v];
            float *sum = sums + (size_t)k * stride + v * LANES;
            if (mode == STORE) {
                memcpy(sum, &s, sizeof s);
                continue;
            }
            vf causal;
            memcpy(&causal, sum, sizeof causal);
            const size_t at_stage = (size_t)(k - stage_k0) * stride + v * LANES;
            const vf total = s + causal;
            round_store(&total, stage + at_stage * (pass == 1 ? 2 : 1), pass, isa);
        }
    }
#pragma GCC unroll 4
    for (size_t v = 0; v < nv; v++) {
        st[v].x = x[v], st[v].p[0] = p0[v], st[v].p[1] = p1[v], st[v].p[2] = p2[v];
        st[v].q[0] = q0[v], st[v].q[1] = q1[v], st[v].q[2] = q2[v], st[v].tail = tail[v];
    }
}

/* The steady state of a constant input: x read at line k, the tail at line k_far. */
static inline __attribute__((always_inline)) void
start_state(const strip_io *io, lane_state *st, const size_t nv, int d, long k, long k_far,
            size_t at, size_t avail, int pass, const int isa)
{
    for (size_t v = 0; v < nv; v++) {
        const size_t av = avail > v * LANES ? avail - v * LANES : 0;
        const unsigned char *const *rows = io->row + io->row_bias;
        st[v].x = load_lanes(rows[k], at + v * LANES, av, io->cval, pass, isa);
        for (int j = 0; j < 3; j++)
            st[v].p[j] = (vf){0}, st[v].q[j] = st[v].x * io->coef.gain[d][j];
        st[v].tail = load_lanes(rows[k_far], at + v * LANES, av, io->cval, pass, isa) * io->coef.tail_m;
    }
}

/* Writes staged lines [k0, k1) of a strip's `pixels` pixels transposed: pixel p's samples
 * on line k go to output line p, samples k*ch... Each pixel's samples on a line are copied
 * as one piece of fixed size; for 3 channels the piece is widened to a power of two (one
 * sample more, which the next line's piece overwrites: the lines go up, the last exactly). */
static inline __attribute__((always_inline)) void
flush_block(const strip_io *io, size_t pixel0, size_t pixels, long k0, long k1,
            const unsigned char *restrict stage, const size_t ch, const int pass)
{
    const size_t size = pass == 1 ? 2 : 1, piece = ch * size;
    const size_t line = STRIP_VECTORS(ch) * LANES * size; /* bytes per staged line */
    const size_t wide = ch == 3 ? 4 * size : piece, last = (size_t)(k1 - k0) - 1;
    for (size_t p = 0; p < pixels; p++) {
        unsigned char *o =
            (unsigned char *)io->out + ((pixel0 + p) * io->out_stride + (size_t)k0 * ch) * size;
        const unsigned char *s = stage + p * piece;
        for (size_t k = 0; k < last; k++) memcpy(o + k * piece, s + k * line, wide);
        memcpy(o + last * piece, s + last * line, piece);
    }
}

/* flush_block for the strip's channel count and pass, known there. */
static void flush_strip(const strip_io *io, size_t pixel0, size_t pixels, long k0, long k1,
                        const unsigned char *restrict stage, const int pass)
{
#define FLUSH(ch)                                                                             \
    if (pass == 1) flush_block(io, pixel0, pixels, k0, k1, stage, ch, 1);                     \
    else flush_block(io, pixel0, pixels, k0, k1, stage, ch, 2);                               \
    break;
    switch (io->channels) {
    case 1: FLUSH(1)
    case 2: FLUSH(2)
    case 3: FLUSH(3)
    default: FLUSH(4)
    }
#undef FLUSH
}

/* Asks for the output lines flush_block will write, before the block is computed: they are
 * far apart and rarely cached, and each store would otherwise wait for its line. */
static inline __attribute__((always_inline)) void
prefetch_block(const strip_io *io, size_t pixel0, size_t pixels, long k0, long k1,
               const size_t ch, const int pass)
{
    const size_t size = pass == 1 ? 2 : 1, bytes = (size_t)(k1 - k0) * ch * size;
    for (size_t p = 0; p < pixels; p++) {
        const char *o =
            (const char *)io->out + ((pixel0 + p) * io->out_stride + (size_t)k0 * ch) * size;
        for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(o + b, 1);
        __builtin_prefetch(o + bytes - 1, 1);
    }
}

/* The tail reads each line again cut + 1 lines after the recursion did: a ring of the last
 * cut + 2 lines, converted, saves converting it twice. Fills the ring with lines
 * [from, from + count) before a direction starts. */
static inline __attribute__((always_inline)) void
ring_fill(const strip_io *io, const size_t nv, long from, long count, size_t at, size_t avail,
          int pass, const int isa, float *restrict ring, long ring_lines)
{
    const unsigned char *const *rows = io->row + io->row_bias;
    for (long k = from; k < from + count; k++) {
        long slot = k % ring_lines;
        slot += slot < 0 ? ring_lines : 0;
        for (size_t v = 0; v < nv; v++) {
            const size_t av = avail > v * LANES ? avail - v * LANES : 0;
            vf x = load_lanes(rows[k], at + v * LANES, av, io->cval, pass, isa);
            memcpy(ring + (size_t)slot * nv * LANES + v * LANES, &x, sizeof x);
        }
    }
}

/* One strip of STRIP_LANES samples, starting at sample s0; the last strip of a line may have
 * fewer (its lanes beyond are computed but never written out). */
static inline __attribute__((always_inline)) void
strip_lines(const strip_io *io, size_t s0, const size_t count, float *restrict sums,
            const size_t nv, const int pass, const int isa)
{
    const long n = (long)io->lines, pad = io->axis->pad, cut = io->axis->cut;
    const size_t ch = io->channels;
    lane_state st[4];
    /* the staged output of a block, in the output's type, with room for flush_block's
     * widened last piece */
    _Alignas(64) unsigned char stage[(BLOCK + 1) * LANES * 4 * sizeof(uint16_t)];
    /* causal: the padding in front warms the state up, then every line keeps its sum */
    float *ring = sums + (size_t)n * LANES * nv; /* pass_thread's room after the sums */
    const long ring_lines = cut + 2;
    start_state(io, st, nv, 0, -pad, -pad - cut - 1, s0, count, pass, isa);
    ring_fill(io, nv, -pad - cut - 1, cut + 1, s0, count, pass, isa, ring, ring_lines);
    run_lines(io, st, nv, -pad, pad, +1, WARM, pass, isa, s0, count, NULL, NULL, 0, ring,
              ring_lines);
    run_lines(io, st, nv, 0, n, +1, STORE, pass, isa, s0, count, sums, NULL, 0, ring,
              ring_lines);
    /* anticausal, from beyond the far end back to line 0, a block at a time, bottom first */
    start_state(io, st, nv, 1, n + pad, n + pad + cut + 1, s0, count, pass, isa);
    ring_fill(io, nv, n + pad + 1, cut + 1, s0, count, pass, isa, ring, ring_lines);
    run_lines(io, st, nv, n + pad - 1, pad, -1, WARM, pass, isa, s0, count, NULL, NULL, 0, ring,
              ring_lines);
    for (long k1 = n; k1 > 0; k1 -= BLOCK) {
        const long k0 = k1 - BLOCK > 0 ? k1 - BLOCK : 0;
        prefetch_block(io, s0 / ch, count / ch, k0, k1, ch, pass);
        run_lines(io, st, nv, k1 - 1, k1 - k0, -1, OUTPUT, pass, isa, s0, count, sums, stage,
                  k0, ring, ring_lines);
        flush_strip(io, s0 / ch, count / ch, k0, k1, stage, pass);
    }
}

/* A full strip gets its own copy of the loops, without the partial vector's branches (gcc
 * kept them in the loop, and the loop's registers spilled around them). */
static inline __attribute__((always_inline)) void
run_strip_pass(const strip_io *io, size_t s0, float *restrict sums, const size_t nv,
               const int pass, const int isa)
{
    const size_t lanes = nv * LANES;
    if (io->width - s0 >= lanes) strip_lines(io, s0, lanes, sums, nv, pass, isa);
    else strip_lines(io, s0, io->width - s0, sums, nv, pass, isa);
}

/* One strip, for each strip width and pass, so that every loop is known (the channel count
 * matters only to the transposed writes: one copy of the loops per count took gcc minutes). */
static inline __attribute__((always_inline)) void run_strip(const strip_io *io, size_t s0,
                                                            float *restrict sums, const int isa)
{
    if (STRIP_VECTORS(io->channels) == 4) {
        if (io->pass == 1) run_strip_pass(io, s0, sums, 4, 1, isa);
        else run_strip_pass(io, s0, sums, 4, 2, isa);
    } else {
        if (io->pass == 1) run_strip_pass(io, s0, sums, 3, 1, isa);
        else run_strip_pass(io, s0, sums, 3, 2, isa);
    }
}

typedef void strip_kernel(const strip_io *io, size_t s0, float *restrict sums);

static void strip_base(const strip_io *io, size_t s0, float *restrict sums)
{
    run_strip(io, s0, sums, ISA_BASE);
}

#ifdef X86_KERNELS
TARGET_AVX2 static void strip_avx2(const strip_io *io, size_t s0, float *restrict sums)
{
    run_strip(io, s0, sums, ISA_AVX2);
}

TARGET_AVX512 static void strip_avx512(const strip_io *io, size_t s0, float *restrict sums)
{
    run_strip(io, s0, sums, ISA_AVX512);
}
#endif

#ifdef X86_KERNELS
static bool has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
}

static bool has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("bmi2");
}
#endif

/* The kernels, best first (named as fir.c's variants); the first this CPU has runs. */
static const struct {
    const char *name;
    strip_kernel *run;
    bool (*supported)(void); /* NULL: always */
} kernels[] = {
#ifdef X86_KERNELS
    {"avx512", strip_avx512, has_avx512},
    {"avx2", strip_avx2, has_avx2},
#endif
    {"generic", strip_base, NULL},
};
enum { KERNEL_COUNT = sizeof kernels / sizeof kernels[0] };
static int forced_kernel = -1;

static strip_kernel *pick_kernel(void)
{
    if (forced_kernel >= 0) return kernels[forced_kernel].run;
    for (int i = 0; i < KERNEL_COUNT; i++)
        if (!kernels[i].supported || kernels[i].supported()) return kernels[i].run;
    return strip_base;
}

bool blur__iir_force_kernel(const char *name)
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

typedef struct pass_job {
    const strip_io *io;
    strip_kernel *kernel;
    size_t first, last; /* strips */
    blur_error err;
} pass_job;

static void *pass_thread(void *arg)
{
    pass_job *job = arg;
    const strip_io *io = job->io;
    /* the causal sums of each line: float is plenty for a stored sum (~1e-5 level) */
    float *sums = blur__alloc_array(io->lines + (size_t)io->axis->cut + 2,
                                    STRIP_LANES(io->channels) * sizeof(float)); /* + the ring */
    if (!sums) {
        job->err = BLUR_ERR_NOMEM;
        return NULL;
    }
    for (size_t s = job->first; s < job->last; s++)
        job->kernel(io, s * STRIP_LANES(io->channels), sums);
    free(sums);
    return NULL;
}

/* Runs one pass over every strip; builds the table of lines the border rule reads. */
static blur_error run_pass(strip_io *io, unsigned threads)
{
    const long n = (long)io->lines, reach = io->axis->pad + io->axis->cut + 2 + AHEAD;
    const unsigned char **row = blur__alloc_array((size_t)(n + 2 * reach), sizeof *row);
    if (!row) return BLUR_ERR_NOMEM;
    const size_t line_bytes = io->in_stride * (io->pass == 1 ? 1 : 2);
    for (long k = -reach; k < n + reach; k++) {
        long m = blur__border_index(io->border_rule, k, n);
        row[k + reach] = m < 0 ? NULL : (const unsigned char *)io->in + (size_t)m * line_bytes;
    }
    io->row = row, io->row_bias = reach;
    const size_t strip = STRIP_LANES(io->channels), strips = (io->width + strip - 1) / strip;
    if (threads > strips) threads = (unsigned)strips;
    if (threads > 256) threads = 256;
    strip_kernel *kernel = pick_kernel();
    pass_job jobs[256];
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (pass_job){io, kernel, strips * t / threads, strips * (t + 1) / threads,
                             BLUR_OK};
    blur__run_parallel(pass_thread, jobs, sizeof jobs[0], threads);
    free(row);
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
        strip_io io1 = {.in = src->data, .in_stride = src->stride, .out = mid,
                        .out_stride = src->height * ch, .channels = ch, .lines = src->height,
                        .width = n, .pass = 1, .cval = (float)f->cval,
                        .border_rule = f->border, .axis = &f->axis[0]};
        pass_coef_init(&f->axis[0], 256.0, &io1.coef);
        err = run_pass(&io1, threads);
        /* pass 2: down the intermediate (the image's rows), back into the image's layout */
        strip_io io2 = {.in = mid, .in_stride = src->height * ch, .out = dst->data,
                        .out_stride = dst->stride, .channels = ch, .lines = src->width,
                        .width = src->height * ch, .pass = 2,
                        .cval = (float)(f->cval * 256.0),
                        .border_rule = f->border, .axis = &f->axis[1]};
        pass_coef_init(&f->axis[1], 1.0 / 256.0, &io2.coef);
        if (!err) err = run_pass(&io2, threads);
    }
    if (cached) pthread_mutex_unlock(&f->lock);
    else free(mid);
    return err;
}
