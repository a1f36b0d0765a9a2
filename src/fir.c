/* fir.c — the fast separable path for integer images (BLUR_ENGINE_AUTO): fixed point for 8-bit
 * samples, float for 16-bit and for premultiplied alpha, a row at a time, vertical pass first.
 *
 * 8-bit: the vertical pass reads the input rows straight from the image (symmetric rows added
 * first, so r+1 multiplies per sample instead of 2r+1) into one int16 row with 8 fraction bits;
 * that row, extended at both ends by the border rule, stays in cache for the horizontal pass.
 * Both passes are exact integer sums (see fir.h), so every variant (generic C here, AVX2,
 * AVX-512 VNNI) gives the same bits, and rows are independent, so threads do not change them.
 * The integer taps are adjusted so they sum exactly to the scale: flat images stay flat. Error
 * against the double result: the quantized taps and the 1/256-level intermediate, a few
 * hundredths of a level typically; tests/test_fir.c holds it within 1 level.
 *
 * 16-bit: the same structure in float32 (24-bit mantissa: ~0.01 level at 16-bit scale). 8-bit
 * images through a 5-tap horizontal mask take it too, where the 8-bit intermediate's rounding
 * would cost too much (u8_in_float, blur__fir_create).
 *
 * 8-bit with alpha, premultiplied (the default for such images): see premultiply_row below;
 * output rows whose input rows are all opaque take the path of an image without alpha
 * (choose_plain_rows).
 *
 * The horizontal 8-bit pass of the SIMD variants reads interleaved tap pairs (fir_simd.h); what
 * bounds it on AVX-512 is the unaligned 64-byte loads, one per vpdpwssd, that split cache
 * lines (measured on a Zen 5 EPYC: 1.8 vpdpwssd per cycle aligned, 0.9 split; on a Zen 4, a
 * pass with the symmetric taps pre-added, 25 loads per 32 outputs: 26 ms for 6000x4000 RGB
 * with the loads at the taps' offsets, 14.6 with the same loads aligned). Building the shifted
 * windows from aligned loads instead (valignd) cost as much as the splits it saved. */
#include "internal.h"
#include "fir.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct blur__fir {
    size_t ry, rx;           /* radii: ry+1 vertical terms, 2rx+1 horizontal taps */
    int sv, sh;              /* fraction bits of the vertical and horizontal integer taps */
    int32_t vround;          /* the vertical pass's rounding term R (fir.h) */
    bool u8_in_float;        /* 8-bit images take the float passes (blur__fir_create) */
    int32_t *vpair, *hpair;  /* packed weight pairs (fir.h) */
    int32_t *vw, *hw;        /* the same weights one per term / tap, for the generic code */
    float *vf, *hf;          /* float weights for 16-bit */
    blur_border border;
    double cval;             /* the constant, in sample units */
};

/* ---- the variants: a table, best first; the first one this CPU supports runs ---- */

typedef struct fir_variant {
    const char *name;
    const char *cpu[4]; /* features __builtin_cpu_supports must report */
    /* Each does a prefix of its work (fir.h) and the generic code the rest; NULL: none. */
    fir_vert_fn *vert;
    fir_horiz_fn *horiz;
    fir_vert_f_fn *vert_f;
    fir_horiz_f_fn *horiz_f;
    fir_premul4_fn *premul4;
    fir_unpremul4_fn *unpremul4;
    fir_vert_f8_fn *vert_f8;
    fir_horiz_f8_fn *horiz_f8;
    fir_horiz_f16_fn *horiz_f16;
} fir_variant;

static const fir_variant variants[] = {
#if defined(__x86_64__) && defined(BLUR_HAVE_X86_SIMD)
    {"avx512", {"avx512bw", "avx512vl", "avx512vnni", "fma"}, blur__fir_vert_avx512,
     blur__fir_horiz_avx512, blur__fir_vert_f_avx512, blur__fir_horiz_f_avx512,
     blur__fir_premul4_avx512, blur__fir_unpremul4_avx512, blur__fir_vert_f8_avx512,
     blur__fir_horiz_f8_avx512, blur__fir_horiz_f16_avx512},
    {"avx2", {"avx2", "fma", NULL, NULL}, blur__fir_vert_avx2, blur__fir_horiz_avx2,
     blur__fir_vert_f_avx2, blur__fir_horiz_f_avx2, blur__fir_premul4_avx2,
     blur__fir_unpremul4_avx2, blur__fir_vert_f8_avx2, blur__fir_horiz_f8_avx2,
     blur__fir_horiz_f16_avx2},
#endif
    {"generic", {NULL, NULL, NULL, NULL}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
enum { VARIANT_COUNT = sizeof variants / sizeof variants[0] };

static int forced_variant = -1;

static bool variant_supported(const fir_variant *v)
{
    return blur__cpu_has(v->cpu, sizeof v->cpu / sizeof v->cpu[0]);
}

static const fir_variant *pick_variant(void)
{
    if (forced_variant >= 0) return &variants[forced_variant];
    for (int i = 0; i < VARIANT_COUNT; i++)
        if (variant_supported(&variants[i])) return &variants[i];
    return &variants[VARIANT_COUNT - 1];
}

bool blur__fir_force_variant(const char *name)
{
    if (!name) {
        forced_variant = -1;
        return true;
    }
    for (int i = 0; i < VARIANT_COUNT; i++) {
        if (strcmp(variants[i].name, name) == 0 && variant_supported(&variants[i])) {
            forced_variant = i;
            return true;
        }
    }
    return false;
}

const char *blur__fir_variant_name(void) { return pick_variant()->name; }

/* ---- preparing ---- */

static bool symmetric(const double *w, size_t taps)
{
    for (size_t k = 0; k < taps / 2; k++)
        if (fabs(w[k] - w[taps - 1 - k]) > 1e-12 || w[k] < 0.0) return false;
    return taps % 2 == 1 && w[taps / 2] >= 0.0;
}

/* The most fraction bits (up to `most`) that keep the largest tap within int16. */
static int fraction_bits(const double *w, size_t taps, int most)
{
    double peak = 0.0;
    for (size_t k = 0; k < taps; k++) peak = w[k] > peak ? w[k] : peak;
    int bits = most;
    while (bits > 8 && peak * ldexp(1.0, bits) + 0.5 > 32767.0) bits--;
    return bits;
}

/* Integer taps of w (taps, symmetric) at `bits`. The running sum from the outer tap inwards is
 * what gets rounded, not each tap: then every partial sum of the tap errors stays within half a
 * unit, so an edge (a step) is filtered as exactly as a flat area; rounding taps one by one let
 * the errors add up across an edge and cost 0.1 % of exact pixels. The centre takes what is
 * left, so the taps sum exactly to 2^bits and flat images stay flat. */
static void quantize(const double *w, size_t taps, int bits, int32_t *q)
{
    size_t c = taps / 2;
    double cum = 0.0;
    int64_t prev = 0;
    for (size_t k = 0; k < c; k++) {
        cum += ldexp(w[k], bits);
        int64_t r = llrint(cum);
        q[k] = q[taps - 1 - k] = (int32_t)(r - prev);
        prev = r;
    }
    q[c] = (int32_t)((INT64_C(1) << bits) - 2 * prev);
}

static int32_t pack_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xffffu));
}

void blur__fir_free(blur__fir *f)
{
    if (!f) return;
    free(f->vpair);
    free(f->hpair);
    free(f->vw);
    free(f->hw);
    free(f->vf);
    free(f->hf);
    free(f);
}

blur_error blur__fir_create(const double *wy, size_t ty, const double *wx, size_t tx,
                            blur_border border, double cval, blur__fir **out)
{
    *out = NULL;
    if (!symmetric(wy, ty) || !symmetric(wx, tx)) return BLUR_OK; /* not for this path */
    blur__fir *f = calloc(1, sizeof *f);
    if (!f) return BLUR_ERR_NOMEM;
    f->ry = ty / 2;
    f->rx = tx / 2;
    f->border = border;
    f->cval = cval;
    /* Vertical: acc <= 255 * 2^sv must fit int32, pre-added terms (<= 510) * tap too. */
    f->sv = fraction_bits(wy, ty, 23);
    /* Horizontal: the sum of taps times biased values lies in [-2^(sh+15), 32512 * 2^sh],
     * within int32 up to sh = 16; the bias is added back in unsigned arithmetic (fir.h). */
    f->sh = fraction_bits(wx, tx, 16);
    f->vround = tx == 1 || f->sv <= 8 ? 0 : INT32_C(1) << (f->sv - 9);
    /* The 8-bit path rounds each column value to 8 fraction bits (fir.h). Through a 5-tap
     * horizontal mask (sigma_x 0.375 to 0.625), whose centre weighs 0.7-0.95, that rounding
     * moved 0.07-0.15 % of a photo's samples (coffee.png, sigma 0.5: 99.854 % exact; 0.4 and
     * 0.6 with any vertical mask of 5 taps or more: 99.907-99.931 %), too close to or past the
     * 99.9 % we hold to. There the 8-bit rows take the float passes: 99.99+ % exact (6000x4000
     * RGB sigma 0.5: 28-34 ms, against 25-27 in fixed point). Wider horizontal masks spread
     * the rounding over more taps (7 taps: 99.94-99.95 %); a vertical mask of 3 taps leaves
     * values close to the samples. */
    f->u8_in_float = tx == 5 && ty >= 5;
    int32_t *qy = blur__alloc_array(ty, sizeof *qy);
    size_t vterms = f->ry + 1, vpairs = (vterms + 1) / 2, hpairs = (tx + 1) / 2;
    f->vw = blur__alloc_array(vterms + 1, sizeof *f->vw);
    f->hw = blur__alloc_array(tx + 1, sizeof *f->hw);
    f->vpair = blur__alloc_array(vpairs, sizeof *f->vpair);
    f->hpair = blur__alloc_array(hpairs, sizeof *f->hpair);
    f->vf = blur__alloc_array(vterms, sizeof *f->vf);
    f->hf = blur__alloc_array(tx, sizeof *f->hf);
    if (!qy || !f->vw || !f->hw || !f->vpair || !f->hpair || !f->vf || !f->hf) {
        free(qy);
        blur__fir_free(f);
        return BLUR_ERR_NOMEM;
    }
    quantize(wy, ty, f->sv, qy);
    for (size_t t = 0; t < vterms; t++) f->vw[t] = qy[f->ry + t];
    f->vw[vterms] = 0;
    quantize(wx, tx, f->sh, f->hw);
    f->hw[tx] = 0;
    for (size_t p = 0; p < vpairs; p++) f->vpair[p] = pack_pair(f->vw[2 * p], f->vw[2 * p + 1]);
    for (size_t p = 0; p < hpairs; p++) f->hpair[p] = pack_pair(f->hw[2 * p], f->hw[2 * p + 1]);
    for (size_t t = 0; t < vterms; t++) f->vf[t] = (float)wy[f->ry + t];
    for (size_t k = 0; k < tx; k++) f->hf[k] = (float)wx[k];
    free(qy);
    *out = f;
    return BLUR_OK;
}

bool blur__fir_accepts(const blur__fir *f, const blur_image *src, bool premultiplied)
{
    if (!f || (src->depth != BLUR_U8 && src->depth != BLUR_U16)) return false;
    /* 16-bit colour times alpha does not fit the 16-bit rows: the exact path does those. */
    if (premultiplied && src->depth != BLUR_U8) return false;
    if (f->border != BLUR_BORDER_CONSTANT) return true;
    /* The constant must be a sample value the integer rows can hold. */
    double max = blur__depth_max(src->depth);
    return f->cval >= 0.0 && f->cval <= max && f->cval == floor(f->cval);
}

/* ---- the generic code (also the tail of every SIMD variant) ---- */

static void vert_u8(const blur__fir *f, const uint8_t *const *rows, size_t from, size_t n,
                    int16_t *out)
{
    const size_t r = f->ry;
    for (size_t i = from; i < n; i++) {
        int32_t acc = f->vw[0] * rows[r][i];
        for (size_t t = 1; t <= r; t++) acc += f->vw[t] * (rows[r - t][i] + rows[r + t][i]);
        out[i] = (int16_t)(((acc + f->vround) >> (f->sv - 8)) - 32768);
    }
}

static void horiz_u8(const blur__fir *f, const int16_t *ext, size_t from, size_t n,
                     size_t step, uint8_t *out)
{
    const size_t taps = 2 * f->rx + 1;
    const uint32_t bias = (UINT32_C(1) << (f->sh + 15)) + (UINT32_C(1) << (f->sh + 7));
    for (size_t i = from; i < n; i++) {
        int32_t acc = 0;
        for (size_t k = 0; k < taps; k++) acc += f->hw[k] * ext[i + k * step];
        out[i] = (uint8_t)(((uint32_t)acc + bias) >> (f->sh + 8));
    }
}

/* The float passes (16-bit images, premultiplied alpha, u8_in_float), samples [from, n); the
 * arithmetic of fir.h's float variants. */
static inline unsigned sample_at(const void *row, size_t i, size_t bytes)
{
    return bytes == 1 ? ((const uint8_t *)row)[i] : ((const uint16_t *)row)[i];
}

/* On rows of 8 or 16-bit samples (`bytes`). */
static void vert_float(const blur__fir *f, const void *const *rows, size_t bytes, size_t from,
                       size_t n, float *out)
{
    const size_t r = f->ry;
    for (size_t i = from; i < n; i++) out[i] = f->vf[0] * (float)sample_at(rows[r], i, bytes);
    for (size_t t = 1; t <= r; t++) {
        const void *a = rows[r - t], *b = rows[r + t];
        const float w = f->vf[t];
        for (size_t i = from; i < n; i++)
            out[i] = fmaf(w, (float)(sample_at(a, i, bytes) + sample_at(b, i, bytes)), out[i]);
    }
}

static void horiz_float(const blur__fir *f, const float *ext, size_t from, size_t n,
                        size_t step, float *acc)
{
    const size_t taps = 2 * f->rx + 1, classes = BLUR__FIR_FLOAT_CLASS(step);
    for (size_t i = from; i < n; i++) acc[i] = 0.0f;
    for (size_t c = 0; c < classes && c < taps; c++)
        for (size_t k = c; k < taps; k += classes) {
            const float w = f->hf[k], *e = ext + k * step;
            for (size_t i = from; i < n; i++) acc[i] = fmaf(w, e[i], acc[i]);
        }
}

static uint16_t round_u16(float v)
{
    v += 0.5f;
    return v <= 0.0f ? 0 : v >= 65535.0f ? 65535 : (uint16_t)v;
}

/* ---- premultiplied alpha (8-bit images with alpha) ----
 * Each input row is premultiplied once, exactly, into 16 bits: colour times alpha, and alpha
 * times 255 so it is on the same scale; the float path filters those rows, and the store
 * divides by the blurred alpha. Float rather than the 8-bit fixed point: undoing the
 * premultiplication multiplies an error by up to 255/alpha (where every alpha a row reads is
 * opaque there is nothing to undo: choose_plain_rows). */

/* The generic code of fir.h's premul/unpremul (and their tails), for 2 or 4 channels; both
 * loops are inlined for a constant channel count, so the compiler unrolls the pixel. */
static inline __attribute__((always_inline)) void premultiply_pixels(const uint8_t *in,
                                                                     size_t pixels, size_t ch,
                                                                     uint16_t *out)
{
    const size_t a = ch - 1;
    for (size_t p = 0; p < pixels; p++, in += ch, out += ch) {
#pragma GCC unroll 4
        for (size_t c = 0; c < a; c++) out[c] = (uint16_t)(in[c] * in[a]);
        out[a] = (uint16_t)(in[a] * 255);
    }
}

static void premultiply_row(const fir_variant *var, const uint8_t *in, size_t pixels,
                            size_t ch, uint16_t *out)
{
    size_t done = ch == 4 && var->premul4 ? var->premul4(in, pixels, out) : 0;
    if (ch == 4) premultiply_pixels(in + done * 4, pixels - done, 4, out + done * 4);
    else premultiply_pixels(in, pixels, 2, out);
}

static inline uint8_t round_u8(float v)
{
    v += 0.5f;
    v = v > 0.0f ? v : 0.0f; /* written so it compiles to min/max, no branch */
    v = v < 255.0f ? v : 255.0f;
    return (uint8_t)v;
}

/* The sums of samples [from, n) rounded to 8 or 16-bit samples (`bytes`). */
static void store_rounded(const float *acc, size_t from, size_t n, size_t bytes, void *out)
{
    for (size_t i = from; i < n; i++) {
        if (bytes == 1) ((uint8_t *)out)[i] = round_u8(acc[i]);
        else ((uint16_t *)out)[i] = round_u16(acc[i]);
    }
}

static inline __attribute__((always_inline)) void unpremultiply_pixels(const float *acc,
                                                                       size_t pixels,
                                                                       size_t ch, uint8_t *out)
{
    const size_t a = ch - 1;
    for (size_t p = 0; p < pixels; p++, acc += ch, out += ch) {
        const float alpha = acc[a];
        /* Where no opaque pixel reached, there is no colour to recover (as pixel.c). */
        const float to_colour = alpha > 0.0f ? 255.0f / alpha : 0.0f;
#pragma GCC unroll 4
        for (size_t c = 0; c < a; c++) out[c] = round_u8(acc[c] * to_colour);
        out[a] = round_u8(alpha * (1.0f / 255.0f));
    }
}

static void store_unpremultiplied(const fir_variant *var, const float *acc, size_t pixels,
                                  size_t ch, uint8_t *out)
{
    size_t done = ch == 4 && var->unpremul4 ? var->unpremul4(acc, pixels, out) : 0;
    if (ch == 4) unpremultiply_pixels(acc + done * 4, pixels - done, 4, out + done * 4);
    else unpremultiply_pixels(acc, pixels, 2, out);
}

/* The premultiplied rows of one band: slot v mod slots holds the row at (unreflected) position
 * v, so the rows around y are distinct slots and moving down one row premultiplies one row.
 * The same slots say whether the row's alpha is opaque everywhere (opaque_tag, opaque). */
typedef struct premul_ring {
    size_t slots, len;
    uint16_t *data;
    long *tag, *opaque_tag;
    bool *opaque;
} premul_ring;

static size_t ring_slot(const premul_ring *ring, long v)
{
    return (size_t)(((v % (long)ring->slots) + (long)ring->slots) % (long)ring->slots);
}

/* The input row at (unreflected) position v: the image's, or the constant's beyond the edge. */
static const uint8_t *input_row(const blur__fir *f, const blur__pipeline *pl, const void *crow,
                                long v)
{
    long m = blur__border_index(f->border, v, (long)pl->src->height);
    return m < 0 ? crow : pl->row_at(pl->rows, (size_t)m);
}

static const uint16_t *premul_row(premul_ring *ring, const fir_variant *var, const blur__fir *f,
                                  const blur__pipeline *pl, const void *crow, long v)
{
    const size_t slot = ring_slot(ring, v);
    uint16_t *row = ring->data + slot * ring->len;
    if (ring->tag[slot] != v) {
        premultiply_row(var, input_row(f, pl, crow, v), pl->src->width, pl->channels, row);
        ring->tag[slot] = v;
    }
    return row;
}

static bool row_opaque(premul_ring *ring, const blur__fir *f, const blur__pipeline *pl,
                       const void *crow, long v)
{
    const size_t slot = ring_slot(ring, v);
    if (ring->opaque_tag[slot] != v) {
        ring->opaque[slot] = blur__alpha_row_opaque(input_row(f, pl, crow, v), pl->src->width,
                                                    pl->channels, BLUR_U8);
        ring->opaque_tag[slot] = v;
    }
    return ring->opaque[slot];
}

/* Fills the margins of an extended row (r*C samples each side of the n = width*C middle) by
 * the border rule; cval[c] is what the constant border holds in channel c. */
#define EXTEND_ROW(T, ext, width, ch, r, border, cval)                                         \
    do {                                                                                       \
        T *mid_ = (ext) + (r) * (ch);                                                          \
        for (size_t p_ = 0; p_ < (r); p_++) {                                                  \
            long l_ = blur__border_index(border, (long)p_ - (long)(r), (long)(width));         \
            long h_ = blur__border_index(border, (long)(width) + (long)p_, (long)(width));     \
            for (size_t c_ = 0; c_ < (ch); c_++) {                                             \
                (ext)[p_ * (ch) + c_] = l_ < 0 ? (cval)[c_] : mid_[(size_t)l_ * (ch) + c_];    \
                mid_[((width) + p_) * (ch) + c_] =                                             \
                    h_ < 0 ? (cval)[c_] : mid_[(size_t)h_ * (ch) + c_];                        \
            }                                                                                  \
        }                                                                                      \
    } while (0)

/* Rows filtered together, and the columns their vertical passes take at a time: the GROUP+2r
 * input rows of a block (16 kB of 8-bit samples at sigma 3) stay in L1 while the GROUP output
 * rows are summed from them. One row at a time, each output row read its 2r+1 input rows from
 * L2 (and the premultiplied 16-bit rows of an RGBA image from L3): that bound the vertical
 * pass. 6000x4000 RGB, 1 thread, best of 5 rounds: sigma 3 55.4 ms one at a time, 48.9
 * grouped; sigma 10 146 and 110. Small radii were once faster a row at a time; since the
 * vertical pass shares its input between rows (vert_rows) grouping wins there too (medians
 * of 7, three rounds: RGB sigma 1 35 -> 29.5 ms, sigma 0.5 29 -> 23.7, gray sigma 1 12 ->
 * 10.3, premultiplied RGBA unchanged). */
enum { GROUP = 8, BLOCK = 512 };

/* What the rows of one band share. */
typedef struct fir_band {
    const blur__fir *f;
    const blur__pipeline *pl;
    const fir_variant *var;
    size_t ch, n, ext_len;
    const void **rows; /* the group's input rows, 2r + GROUP of them */
    void *crow;        /* the constant's row */
    float *ext;        /* GROUP extended rows, int16 or float */
    int32_t *pairs;
    float *acc;
    bool premultiplied; /* the band's image premultiplies (its float rows do) */
    premul_ring ring;   /* with no data unless the band premultiplies */
    int16_t cv8[4];     /* what the constant border holds in each channel of the extended rows: */
    float cvf[4], cvf_premultiplied[4]; /* the fixed path's, the float path's on plain rows, and
                                           on premultiplied ones */
} fir_band;

/* Output rows y+k0 .. y+k1-1 of the group at y, from the input rows as they are (`plain`) or,
 * where the band premultiplies, premultiplied; plain 8-bit rows in fixed point (but with
 * u8_in_float), the others in float. */
static void filter_rows(fir_band *b, size_t y, size_t k0, size_t k1, bool plain)
{
    const blur__fir *f = b->f;
    const blur__pipeline *pl = b->pl;
    const fir_variant *var = b->var;
    const size_t ch = b->ch, n = b->n, width = pl->src->width;
    const bool premultiplied = !plain && b->premultiplied;
    const bool fixed = !premultiplied && pl->src->depth == BLUR_U8 && !f->u8_in_float;
    const size_t bytes = premultiplied ? 2 : blur_depth_size(pl->src->depth); /* a row sample */
    for (size_t j = k0; j < k1 + 2 * f->ry; j++) {
        const long v = (long)y + (long)j - (long)f->ry;
        b->rows[j] = premultiplied ? (const void *)premul_row(&b->ring, var, f, pl, b->crow, v)
                                   : (const void *)input_row(f, pl, b->crow, v);
    }
    /* Vertical: output row y+k from rows[k..k+2r], a block of columns at a time. */
    for (size_t c0 = 0, c1; c0 < n; c0 = c1) {
        /* the last block takes what is left up to 64 columns past BLOCK, so that it is
         * never narrower than a vector (the SIMD variants then leave no columns) */
        c1 = n - c0 < BLOCK + 64 ? n : c0 + BLOCK;
        for (size_t k = k0; k < k1; k += FIR_VERT_ROWS) {
            /* several rows at a time where the variant can (they share their input) */
            const size_t count = k1 - k < FIR_VERT_ROWS ? k1 - k : FIR_VERT_ROWS;
            if (fixed) {
                const uint8_t *const *r8 = (const uint8_t *const *)b->rows + k;
                int16_t *mid[FIR_VERT_ROWS];
                for (size_t q = 0; q < count; q++)
                    mid[q] = (int16_t *)(void *)(b->ext + (k + q) * b->ext_len) + f->rx * ch;
                size_t done = var->vert ? var->vert(r8, f->ry, f->vpair, f->sv, f->vround, c0, c1,
                                                    mid, count)
                                        : c0;
                for (size_t q = 0; q < count; q++) vert_u8(f, r8 + q, done, c1, mid[q]);
            } else { /* 16-bit rows (an image's, or premultiplied), or 8-bit (u8_in_float) */
                const void *const *rows = b->rows + k;
                float *mid[FIR_VERT_ROWS];
                for (size_t q = 0; q < count; q++)
                    mid[q] = b->ext + (k + q) * b->ext_len + f->rx * ch;
                size_t done = c0;
                if (bytes == 2 && var->vert_f)
                    done = var->vert_f((const uint16_t *const *)rows, f->ry, f->vf, c0, c1, mid,
                                       count);
                else if (bytes == 1 && var->vert_f8)
                    done = var->vert_f8((const uint8_t *const *)rows, f->ry, f->vf, c0, c1, mid,
                                        count);
                for (size_t q = 0; q < count; q++)
                    vert_float(f, rows + q, bytes, done, c1, mid[q]);
            }
        }
    }
    /* Horizontal, a row at a time from its extended row. */
    for (size_t k = k0; k < k1; k++) {
        void *out = pl->out + (y + k - pl->out_y0) * pl->out_stride;
        if (fixed) {
            int16_t *e = (int16_t *)(void *)(b->ext + k * b->ext_len);
            EXTEND_ROW(int16_t, e, width, ch, f->rx, f->border, b->cv8);
            size_t done =
                var->horiz ? var->horiz(e, n, ch, f->rx, f->hpair, f->sh, b->pairs, out) : 0;
            horiz_u8(f, e, done, n, ch, out);
        } else {
            float *e = b->ext + k * b->ext_len;
            EXTEND_ROW(float, e, width, ch, f->rx, f->border,
                       premultiplied ? b->cvf_premultiplied : b->cvf);
            const size_t taps = 2 * f->rx + 1;
            if (premultiplied) {
                size_t done = var->horiz_f ? var->horiz_f(e, n, ch, taps, f->hf, b->acc) : 0;
                horiz_float(f, e, done, n, ch, b->acc);
                store_unpremultiplied(var, b->acc, width, ch, out);
            } else { /* the variant rounds its sums as it goes; the rest go through acc */
                const size_t out_bytes = blur_depth_size(pl->src->depth);
                size_t done = 0;
                if (out_bytes == 1 && var->horiz_f8)
                    done = var->horiz_f8(e, n, ch, taps, f->hf, out);
                else if (out_bytes == 2 && var->horiz_f16)
                    done = var->horiz_f16(e, n, ch, taps, f->hf, out);
                horiz_float(f, e, done, n, ch, b->acc);
                store_rounded(b->acc, done, n, out_bytes, out);
            }
        }
    }
}

/* Premultiplying changes nothing where the alpha is opaque, so an output row whose 2r+1 input
 * rows are opaque everywhere takes the path of an image without alpha on the rows as they are
 * (the fixed point, mostly), the others the premultiplied float path: an image with a
 * transparent corner, or a stream (whose alpha is not known ahead), is fast away from its
 * transparency, and gives what the whole image, found opaque, gives. Each output row is
 * decided from its own input rows, so the bands (and the thread count) do not change the
 * result. */
static void choose_plain_rows(fir_band *b, size_t y, size_t group, bool *plain)
{
    const blur__fir *f = b->f;
    const size_t span = 2 * f->ry + 1;
    size_t transparent = 0; /* rows short of opaque among the last span rows */
    for (size_t j = 0; j + 1 < span + group; j++) {
        const long v = (long)y + (long)j - (long)f->ry;
        transparent += !row_opaque(&b->ring, f, b->pl, b->crow, v);
        if (j >= span) transparent -= !row_opaque(&b->ring, f, b->pl, b->crow, v - (long)span);
        if (j + 1 >= span) plain[j + 1 - span] = transparent == 0;
    }
}

/* Floats (or int16) per extended row of a band: the row with its borders, room for the pairs
 * to read a little past it, and a vector more. */
static size_t ext_row_len(size_t ext_n) { return BLUR__FIR_PAIRS(ext_n) + 64; }

/* *total += a * b; false when that passes SIZE_MAX. */
static bool add_product(size_t *total, size_t a, size_t b)
{
    size_t product;
    if (!blur__mul(a, b, &product) || *total + product < product) return false;
    *total += product;
    return true;
}

size_t blur__fir_band_bytes(const blur__fir *f, const blur_image *shape, bool premultiplied)
{
    /* what blur__fir_band allocates, term by term */
    const size_t ch = (size_t)shape->channels, rows_n = 2 * f->ry + GROUP;
    size_t n, ext_n, ext_cells, total = 0;
    if (!blur__mul(shape->width, ch, &n) || (ext_n = n + 2 * f->rx * ch) < n ||
        !blur__mul(GROUP, ext_row_len(ext_n), &ext_cells))
        return SIZE_MAX;
    bool fits = add_product(&total, rows_n, sizeof(void *)) &&              /* rows */
                add_product(&total, n, blur_depth_size(shape->depth)) &&    /* crow */
                add_product(&total, ext_cells, sizeof(float)) &&            /* ext */
                add_product(&total, BLUR__FIR_PAIRS(ext_n), sizeof(int32_t)) && /* pairs */
                add_product(&total, n, sizeof(float));                      /* acc */
    if (fits && premultiplied) /* the ring: its rows, their tags and opacity */
        fits = add_product(&total, rows_n, n * sizeof(uint16_t)) &&
               add_product(&total, rows_n, 2 * sizeof(long) + sizeof(bool));
    return fits ? total : SIZE_MAX;
}

blur_error blur__fir_band(const blur__fir *f, const blur__pipeline *pl, size_t y0, size_t y1)
{
    const blur_image *src = pl->src;
    const size_t ch = (size_t)src->channels, width = src->width, n = width * ch;
    const size_t rows_n = 2 * f->ry + GROUP, ext_n = n + 2 * f->rx * ch;
    const bool premultiplied = blur__premultiplies(pl->flags, ch);
    /* premultiplied rows may be taken plain, unless the border brings another alpha */
    const bool switchable =
        premultiplied && (f->border != BLUR_BORDER_CONSTANT || f->cval == UINT8_MAX);
    fir_band b = {.f = f, .pl = pl, .var = pick_variant(), .ch = ch, .n = n,
                  .ext_len = ext_row_len(ext_n), .premultiplied = premultiplied,
                  .ring = {.slots = rows_n, .len = n}};
    blur_error err = BLUR_OK;
    b.rows = blur__alloc_array(rows_n, sizeof *b.rows);
    b.crow = blur__alloc_array(n, blur_depth_size(src->depth));
    /* zeroed, as the pairs read a little past a row */
    b.ext = calloc(GROUP * b.ext_len, sizeof(float));
    b.pairs = blur__alloc_array(BLUR__FIR_PAIRS(ext_n), sizeof *b.pairs);
    b.acc = blur__alloc_array(n, sizeof *b.acc);
    if (premultiplied) {
        b.ring.data = blur__alloc_array(rows_n, n * sizeof *b.ring.data);
        b.ring.tag = blur__alloc_array(rows_n, sizeof *b.ring.tag);
        b.ring.opaque_tag = blur__alloc_array(rows_n, sizeof *b.ring.opaque_tag);
        b.ring.opaque = blur__alloc_array(rows_n, sizeof *b.ring.opaque);
    }
    if (!b.rows || !b.crow || !b.ext || !b.pairs || !b.acc ||
        (premultiplied &&
         (!b.ring.data || !b.ring.tag || !b.ring.opaque_tag || !b.ring.opaque))) {
        err = BLUR_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (src->depth == BLUR_U8) ((uint8_t *)b.crow)[i] = (uint8_t)f->cval;
        else ((uint16_t *)b.crow)[i] = (uint16_t)f->cval;
    }
    for (size_t j = 0; premultiplied && j < rows_n; j++)
        b.ring.tag[j] = b.ring.opaque_tag[j] = LONG_MIN;
    for (size_t c = 0; c < ch; c++) {
        b.cv8[c] = (int16_t)(f->cval * 256.0 - 32768.0);
        b.cvf[c] = (float)f->cval;
        b.cvf_premultiplied[c] = c + 1 < ch ? (float)(f->cval * f->cval) : (float)(f->cval * 255.0);
    }
    for (size_t y = y0; y < y1; y += GROUP) {
        const size_t group = y1 - y < GROUP ? y1 - y : GROUP;
        bool plain[GROUP];
        for (size_t k = 0; k < group; k++) plain[k] = !premultiplied;
        if (switchable) choose_plain_rows(&b, y, group, plain);
        for (size_t k = 0, end; k < group; k = end) { /* runs of rows taking the same path */
            for (end = k + 1; end < group && plain[end] == plain[k]; end++) continue;
            filter_rows(&b, y, k, end, plain[k]);
        }
    }
done:
    free(b.rows);
    free(b.crow);
    free(b.ext);
    free(b.pairs);
    free(b.acc);
    free(b.ring.data);
    free(b.ring.tag);
    free(b.ring.opaque_tag);
    free(b.ring.opaque);
    return err;
}
