/* decim_simd.h — the stages of the decimated Gaussian, written once for vectors of DV floats
 * and compiled per instruction set: decim.c includes it for the baseline (DV 4, SSE2 on
 * x86-64), decim_avx2.c (DV 8) and decim_avx512.c (DV 16) with their own -m flags. Each
 * defines DV and DECIM_STAGE (the name of its stage function) first.
 *
 * Why a width per variant: gcc 12 keeps vectors wider than the instruction set's registers
 * (64 bytes under AVX2) in memory, around every multiply-add, which made the AVX2 kernel ten
 * times slower than the AVX-512 one and slower than the FIR it replaces.
 *
 * The stages (decim.c has the whole picture): A, the vertical down pass, over the input rows
 * into column lines; B, the horizontal down pass, across those lines; C, the coarse filter,
 * down and across lines; D, the horizontal up pass into a tile of rows, then the vertical up
 * pass into the output rows. */
#include "decim.h"

#include <string.h>

#if !defined(DV) || !defined(DECIM_STAGE)
#error "define DV and DECIM_STAGE before including decim_simd.h"
#endif

/* The multiply-adds may fuse (where the variant has FMA): the result moves by a rounding, and
 * the tests hold every variant to the exact filter. */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

#if defined(__x86_64__) && (defined(__SSE2__) || defined(__AVX2__) || defined(__AVX512F__))
#include <immintrin.h>
#endif

typedef float dv __attribute__((vector_size(DV * 4)));
typedef float dv_u __attribute__((vector_size(DV * 4), aligned(4), may_alias));
typedef int32_t di __attribute__((vector_size(DV * 4)));
typedef uint8_t db __attribute__((vector_size(DV)));
typedef uint8_t db_u __attribute__((vector_size(DV), aligned(1), may_alias));

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define LOAD(p) (*(const dv_u *)(const void *)(p))
#define STORE(p, v) (*(dv_u *)(void *)(p) = (v))

/* A float in every lane. */
ALWAYS_INLINE dv splat(float w)
{
    return w - (dv){0};
}

/* DV bytes to DV floats. */
ALWAYS_INLINE dv widen(const unsigned char *p)
{
#if DV == 16 && defined(__AVX512F__)
    return (dv)_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)));
#elif DV == 8 && defined(__AVX2__)
    return (dv)_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
#elif DV == 4 && defined(__SSE2__)
    int32_t word;
    memcpy(&word, p, 4);
    const __m128i zero = _mm_setzero_si128();
    __m128i v = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(word), zero), zero);
    return (dv)_mm_cvtepi32_ps(v);
#else
    return __builtin_convertvector(__builtin_convertvector(*(const db_u *)p, di), dv);
#endif
}

/* DV floats rounded (half up) and saturated to DV bytes. */
ALWAYS_INLINE void narrow(dv v, unsigned char *out)
{
#if DV == 16 && defined(__AVX512F__)
    __m512i level = _mm512_cvttps_epi32(_mm512_add_ps((__m512)v, _mm512_set1_ps(0.5f)));
    level = _mm512_max_epi32(level, _mm512_setzero_si512());
    _mm_storeu_si128((__m128i *)out, _mm512_cvtusepi32_epi8(level));
#elif DV == 8 && defined(__AVX2__)
    __m256i level = _mm256_cvttps_epi32(_mm256_add_ps((__m256)v, _mm256_set1_ps(0.5f)));
    __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(level),
                                    _mm256_extracti128_si256(level, 1));
    _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(words, words));
#elif DV == 4 && defined(__SSE2__)
    __m128i level = _mm_cvttps_epi32(_mm_add_ps((__m128)v, _mm_set1_ps(0.5f)));
    __m128i words = _mm_packs_epi32(level, level);
    int32_t word = _mm_cvtsi128_si32(_mm_packus_epi16(words, words));
    memcpy(out, &word, 4);
#else
    di level = __builtin_convertvector(v + 0.5f, di); /* from -0.5 up it truncates to 0 */
    level &= ~(level < 0);
    const di top = (di){0} + 255;
    const di over = level > top;
    level = (level & ~over) | (top & over);
    *(db_u *)out = __builtin_convertvector(level, db);
#endif
}

/* The first `left` of DV outputs (all DV when left >= DV) narrowed into out. */
ALWAYS_INLINE void narrow_row(dv v, unsigned char *out, size_t left)
{
    if (left >= DV) {
        narrow(v, out);
    } else {
        unsigned char last[DV];
        narrow(v, last);
        memcpy(out, last, left);
    }
}

/* gcc -O2 keeps short loops rolled, and with them their vector arrays in memory. */
#if defined(__clang__)
#define UNROLL_TAPS _Pragma("unroll")
#elif defined(__GNUC__)
#define UNROLL_TAPS _Pragma("GCC unroll 8")
#else
#define UNROLL_TAPS
#endif

/* Writes vectors 0..vectors-1 of `block` transposed: value l of vector k to
 * out[l * stride + k], for l < lanes. A whole DV x DV block, with AVX-512, is transposed in
 * registers (64 shuffles, where 256 single stores took four times the instructions) and
 * stored a vector at a time; otherwise value by value. */
ALWAYS_INLINE void store_transposed(dv *block, float *out, size_t stride, size_t vectors,
                                    size_t lanes)
{
#if DV == 16 && defined(__AVX512F__)
    if (vectors == DV && lanes == DV) {
        __m512 t[16], u[16];
        for (int i = 0; i < 16; i += 2) { /* pairs of rows: a0 b0 a1 b1 | a4 b4 a5 b5 | ... */
            t[i] = _mm512_unpacklo_ps((__m512)block[i], (__m512)block[i + 1]);
            t[i + 1] = _mm512_unpackhi_ps((__m512)block[i], (__m512)block[i + 1]);
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
            STORE(out + (size_t)j * stride, (dv)_mm512_shuffle_f32x4(x0, y0, 0x88));
            STORE(out + (size_t)(j + 8) * stride, (dv)_mm512_shuffle_f32x4(x0, y0, 0xdd));
            STORE(out + (size_t)(j + 4) * stride, (dv)_mm512_shuffle_f32x4(x1, y1, 0x88));
            STORE(out + (size_t)(j + 12) * stride, (dv)_mm512_shuffle_f32x4(x1, y1, 0xdd));
        }
        return;
    }
#endif
    for (size_t k = 0; k < vectors; k++)
        for (size_t l = 0; l < lanes; l++) out[l * stride + k] = block[k][l];
}

/* Stage A: vertical down pass over image columns [x0, x1): zv line x, entry i - band0 = cell
 * ycell.first_out - J + i. By tiles of TILE_A columns, all cells of a tile before the next.
 * Each input row is widened once, into a ring of at least the 2 reach + 1 rows the current
 * cell reads (row j in slot j mod a power of two: no division; the next cell, s rows further,
 * replaces the s oldest); the sum then pairs the taps at equal distances (the weights are
 * symmetric): one add and one multiply-add per two taps. The ring stays in L1: wider tiles,
 * whose ring sits in L2, ran at half the speed. The sums of DV cells go out together,
 * transposed.
 *
 * Two ways to hold the ring and sum a cell (ring_row, widen_row, cell_sums):
 * floats, or, where AVX-512 BW has the instructions, 16-bit fixed point: half the bytes to
 * load per tap, widening is one zero-extension, the paired taps are added in 16 bits (at most
 * 510) and multiplied two at a time (vpmaddwd) into exact 32-bit sums, with the plan's
 * fixed-point weights (decim.c's fixed_down: they sum to 2^S exactly, flat stays flat); the
 * sums are scaled back to floats. It needs an integer cval, as the decimated path does.
 * 6000x4000 RGB, sigma 30, 1 thread: stage A 28.5 ms in floats, 21 in fixed point; the error
 * against scipy unchanged. */
enum { GROUPS = TILE_A / DV };
#if DV == 16 && defined(__AVX512BW__)
typedef int16_t ring_row;

ALWAYS_INLINE void widen_row(ring_row *to, const unsigned char *from)
{
    for (size_t h = 0; h < TILE_A; h += 32)
        _mm512_storeu_si512(to + h,
                            _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(from + h))));
}

/* block[g][k] for the cell centred on ring row `center`. The unpacks interleave within
 * 128-bit lanes: the 32 sums of a vector of columns come out as columns 0-3, 8-11, ... (lo)
 * and 4-7, 12-15, ... (hi); one permute each puts 16 columns back in order. */
ALWAYS_INLINE void cell_sums(const decim_axis *a, const ring_row *ring, size_t center,
                             size_t mask, dv block[GROUPS][DV], size_t k)
{
    const size_t reach = (size_t)a->reach;
    const __m512 unit = _mm512_set1_ps(a->down_unit);
    const __m512i order0 = _mm512_set_epi32(23, 22, 21, 20, 7, 6, 5, 4, 19, 18, 17, 16, 3, 2, 1,
                                            0),
                  order1 = _mm512_set_epi32(31, 30, 29, 28, 15, 14, 13, 12, 27, 26, 25, 24, 11,
                                            10, 9, 8);
    for (size_t h = 0; h < TILE_A / 32; h++) {
        const ring_row *col = ring + 32 * h;
#define RING(j) _mm512_loadu_si512(col + ((j) & mask) * TILE_A)
        __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
        for (size_t p = 0; 2 * p <= reach; p++) {
            const size_t ta = 2 * p, tb = ta + 1;
            const __m512i w = _mm512_set1_epi32(a->down_pair[p]);
            __m512i s0 = ta == 0 ? RING(center)
                                 : _mm512_add_epi16(RING(center - ta), RING(center + ta));
            __m512i s1 = tb > reach ? _mm512_setzero_si512()
                                    : _mm512_add_epi16(RING(center - tb), RING(center + tb));
            lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(s0, s1), w));
            hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(s0, s1), w));
        }
#undef RING
        block[2 * h][k] = (dv)_mm512_mul_ps(
            _mm512_cvtepi32_ps(_mm512_permutex2var_epi32(lo, order0, hi)), unit);
        block[2 * h + 1][k] = (dv)_mm512_mul_ps(
            _mm512_cvtepi32_ps(_mm512_permutex2var_epi32(lo, order1, hi)), unit);
    }
}
#else
typedef float ring_row;

ALWAYS_INLINE void widen_row(ring_row *to, const unsigned char *from)
{
    for (size_t v = 0; v < TILE_A; v += DV) STORE(to + v, widen(from + v));
}

ALWAYS_INLINE void cell_sums(const decim_axis *a, const ring_row *ring, size_t center,
                             size_t mask, dv block[GROUPS][DV], size_t k)
{
    const size_t reach = (size_t)a->reach;
    const float *mid = ring + (center & mask) * TILE_A;
    const dv wc = splat(a->down[reach]);
    for (size_t g = 0; g < GROUPS; g += 4) { /* four vectors at a time */
        const size_t at = g * DV;
        dv acc0 = wc * LOAD(mid + at), acc1 = wc * LOAD(mid + at + DV),
           acc2 = wc * LOAD(mid + at + 2 * DV), acc3 = wc * LOAD(mid + at + 3 * DV);
        for (size_t t = 1; t <= reach; t++) {
            const dv w = splat(a->down[reach + t]);
            const float *lo = ring + ((center - t) & mask) * TILE_A + at,
                        *hi = ring + ((center + t) & mask) * TILE_A + at;
            acc0 += w * (LOAD(lo) + LOAD(hi));
            acc1 += w * (LOAD(lo + DV) + LOAD(hi + DV));
            acc2 += w * (LOAD(lo + 2 * DV) + LOAD(hi + 2 * DV));
            acc3 += w * (LOAD(lo + 3 * DV) + LOAD(hi + 3 * DV));
        }
        block[g][k] = acc0, block[g + 1][k] = acc1, block[g + 2][k] = acc2;
        block[g + 3][k] = acc3;
    }
}
#endif

ALWAYS_INLINE void down_rows(const run_ctx *r, size_t x0, size_t x1, ring_row *ring)
{
    const decim_axis *a = &r->f->axis[0];
    const long taps = 2L * a->reach + 1;
    const size_t reach = (size_t)a->reach, mask = ring_slots(a) - 1;
    const ring_row cval = (ring_row)r->f->cval;
    dv block[GROUPS][DV];
    memset(block, 0, sizeof block); /* a partial last block writes stale rows as padding */
    for (size_t t0 = x0; t0 < x1; t0 += TILE_A) {
        const size_t n = x1 - t0 < TILE_A ? x1 - t0 : TILE_A;
        long next = (long)r->band0 * a->step; /* rows in the ring so far, from r->row[0] */
        for (size_t i = r->band0; i < r->band0 + r->band; i++) {
            const long first = (long)i * a->step; /* the cell's first row, in r->row */
            for (; next < first + taps; next++) {
                ring_row *to = ring + ((size_t)next & mask) * TILE_A;
                const unsigned char *from = r->row[next];
                /* the row this one's slot takes PREFETCH_CELLS cells on: far apart in
                 * memory, the rows are not prefetched by the hardware */
                const long ahead = next + PREFETCH_CELLS * a->step;
                if (ahead < r->rows && r->row[ahead]) {
                    __builtin_prefetch(r->row[ahead] + t0);
                    __builtin_prefetch(r->row[ahead] + t0 + n - 1);
                }
                if (from && n == TILE_A) {
                    widen_row(to, from + t0);
                } else {
                    for (size_t l = 0; l < TILE_A; l++)
                        to[l] = !from ? cval : l < n ? (ring_row)from[t0 + l] : 0;
                }
            }
            const size_t k = (i - r->band0) % DV;
            cell_sums(a, ring, (size_t)first + reach, mask, block, k);
            if (k == DV - 1 || i + 1 == r->band0 + r->band) {
                /* cells i - k .. i; a partial block's stale rows land in the line's padding */
                float *out = r->zv + t0 * BAND + (i - k - r->band0);
                for (size_t g = 0; g * DV < n; g++)
                    store_transposed(block[g], out + g * DV * BAND, BAND, DV,
                                     n - g * DV < DV ? n - g * DV : DV);
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
    /* two vectors at a time: within the line (BAND and the line's padding are multiples of
     * 2 MAX_LANES) */
    const size_t length = (r->band + 2 * MAX_LANES - 1) / (2 * MAX_LANES) * (2 * MAX_LANES);
    for (size_t l = l0; l < l1; l++) {
        long cell = (long)(l / r->ch) + r->xcell.first_out - a->coarse_radius;
        size_t c = l % r->ch;
        for (int k = 0; k < taps; k++) {
            long m = blur__border_index(r->f->border, cell * a->step - reach + k, width);
            in[k] = m < 0 ? r->cval_line : r->zv + ((size_t)m * r->ch + c) * BAND;
        }
        float *out = r->zh + l * r->line + r->band0;
        const dv wc = splat(a->down[reach]);
        for (size_t i = 0; i < length; i += 2 * DV) {
            dv acc0 = wc * LOAD(in[reach] + i), acc1 = wc * LOAD(in[reach] + i + DV);
            for (int k = 1; k <= reach; k++) {
                const float *lo = in[reach - k] + i, *hi = in[reach + k] + i;
                const dv w = splat(a->down[reach + k]);
                acc0 += w * (LOAD(lo) + LOAD(hi));
                acc1 += w * (LOAD(lo + DV) + LOAD(hi + DV));
            }
            STORE(out + i, acc0);
            STORE(out + i + DV, acc1);
        }
    }
}

/* K (1 or 4, a constant) vectors of coarse sums, the taps' entries `apart` floats apart from
 * `from`, into `to`: K independent chains of multiply-adds, where one alone waited on each
 * add's latency. */
ALWAYS_INLINE void coarse_sums(const float *coarse, int taps, const float *from, size_t apart,
                               float *to, const size_t K)
{
    dv acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    for (int j = 0; j < taps; j++) {
        const dv w = splat(coarse[j]);
        const float *at = from + (size_t)j * apart;
        acc0 += w * LOAD(at);
        if (K > 1) acc1 += w * LOAD(at + DV);
        if (K > 2) acc2 += w * LOAD(at + 2 * DV);
        if (K > 3) acc3 += w * LOAD(at + 3 * DV);
    }
    STORE(to, acc0);
    if (K > 1) STORE(to + DV, acc1);
    if (K > 2) STORE(to + 2 * DV, acc2);
    if (K > 3) STORE(to + 3 * DV, acc3);
}

/* Stage C: the coarse filter a's kernel over lines [l0, l1) of `in` into `out`, entries
 * [0, length): down each line (vertical: the taps 1 apart; in zh, out tmp, entry i = output cell
 * ycell.first_out + i) or across lines (horizontal: the taps a cell's lines apart; in tmp, out
 * v, line = output cell * channels + channel). */
ALWAYS_INLINE void coarse_lines(const run_ctx *r, const decim_axis *a, const float *in,
                                float *out, size_t apart, size_t length, size_t l0, size_t l1)
{
    const int taps = 2 * a->coarse_radius + 1;
    for (size_t l = l0; l < l1; l++) {
        const float *from = in + l * r->line;
        float *to = out + l * r->line;
        size_t i = 0;
        for (; i + 4 * DV <= length; i += 4 * DV)
            coarse_sums(a->coarse, taps, from + i, apart, to + i, 4);
        for (; i < length; i += DV) coarse_sums(a->coarse, taps, from + i, apart, to + i, 1);
    }
}

/* Stage D's horizontal up pass for K (1 or 4, a constant) samples: sample k's UP_TAPS weights
 * at w[k], its first v line at in[k] (entries from i), the taps `apart` floats apart; K
 * independent chains of multiply-adds, where one alone waited on each add's latency. */
ALWAYS_INLINE void up_across(const float *const *w, const float *const *in, size_t i,
                             size_t apart, dv *out, const size_t K)
{
    dv acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
    UNROLL_TAPS
    for (size_t d = 0; d < UP_TAPS; d++) {
        acc0 += splat(w[0][d]) * LOAD(in[0] + i + d * apart);
        if (K > 1) acc1 += splat(w[1][d]) * LOAD(in[1] + i + d * apart);
        if (K > 2) acc2 += splat(w[2][d]) * LOAD(in[2] + i + d * apart);
        if (K > 3) acc3 += splat(w[3][d]) * LOAD(in[3] + i + d * apart);
    }
    out[0] = acc0;
    if (K > 1) out[1] = acc1;
    if (K > 2) out[2] = acc2;
    if (K > 3) out[3] = acc3;
}

/* K (1 to 4, a constant) output rows of a cell from its UP_TAPS tile rows u, with the K rows of
 * weights at w: K independent chains; `left` samples of each row written. */
ALWAYS_INLINE void up_rows(const dv *u, const float *w, unsigned char *out, size_t stride,
                           size_t left, const size_t K)
{
    dv acc0 = splat(w[0]) * u[0], acc1 = acc0, acc2 = acc0, acc3 = acc0;
    if (K > 1) acc1 = splat(w[UP_TAPS]) * u[0];
    if (K > 2) acc2 = splat(w[2 * UP_TAPS]) * u[0];
    if (K > 3) acc3 = splat(w[3 * UP_TAPS]) * u[0];
    UNROLL_TAPS
    for (size_t d = 1; d < UP_TAPS; d++) {
        acc0 += splat(w[d]) * u[d];
        if (K > 1) acc1 += splat(w[UP_TAPS + d]) * u[d];
        if (K > 2) acc2 += splat(w[2 * UP_TAPS + d]) * u[d];
        if (K > 3) acc3 += splat(w[3 * UP_TAPS + d]) * u[d];
    }
    narrow_row(acc0, out, left);
    if (K > 1) narrow_row(acc1, out + stride, left);
    if (K > 2) narrow_row(acc2, out + 2 * stride, left);
    if (K > 3) narrow_row(acc3, out + 3 * stride, left);
}

/* Stage D: the up passes, by tiles of UP_TILE image columns (pixels): first the horizontal
 * one from v into the tile's rows (one per output cell, in `tile`), then the vertical one from
 * those rows into the image's rows. The s output rows between two cells read the same
 * UP_TAPS tile rows: each vector of them is loaded once for all s. */
ALWAYS_INLINE void up_tiles(const run_ctx *r, size_t px0, size_t px1, float *tile)
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
        /* DV tile rows (cells) by DV samples at a time, written transposed; the tile has
         * rows up to a multiple of MAX_LANES */
        for (size_t i = 0; i < r->ycell.out; i += DV) {
            for (size_t j0 = 0; j0 < n; j0 += DV) {
                dv block[DV];
                const size_t samples = n - j0 < DV ? n - j0 : DV;
                const size_t apart = r->ch * r->line; /* a tap's v lines */
                size_t k = 0;
                for (; k + 4 <= samples; k += 4)
                    up_across(weights + j0 + k, first + j0 + k, i, apart, block + k, 4);
                for (; k < samples; k++)
                    up_across(weights + j0 + k, first + j0 + k, i, apart, block + k, 1);
                store_transposed(block, tile + i * n + j0, n, samples, DV);
            }
        }
        unsigned char *base = (unsigned char *)r->dst->data + t0 * r->ch;
        for (size_t q = 0; q * sy < height; q++) {
            const size_t rows = height - q * sy < sy ? height - q * sy : sy;
            /* the next cell's output rows, to be written: far apart, not prefetched */
            for (size_t y = (q + 1) * sy; y < (q + 2) * sy && y < height; y++)
                for (size_t b = 0; b < n + 63; b += 64)
                    __builtin_prefetch(base + y * r->dst->stride + (b < n ? b : n - 1), 1);
            for (size_t j = 0; j < n; j += DV) {
                dv u[UP_TAPS];
                UNROLL_TAPS
                for (size_t d = 0; d < UP_TAPS; d++) u[d] = LOAD(tile + (q + d) * n + j);
                /* four output rows at a time (four independent chains of multiply-adds), and
                 * the last one to three as many: not four computed for one written */
                size_t p0 = 0;
                unsigned char *out = base + q * sy * r->dst->stride + j;
                const size_t stride = r->dst->stride;
                for (; p0 + 4 <= rows; p0 += 4)
                    up_rows(u, ay->up + p0 * UP_TAPS, out + p0 * stride, stride, n - j, 4);
                const float *w = ay->up + p0 * UP_TAPS;
                unsigned char *rest = out + p0 * stride;
                switch (rows - p0) { /* K a constant in each call */
                case 3: up_rows(u, w, rest, stride, n - j, 3); break;
                case 2: up_rows(u, w, rest, stride, n - j, 2); break;
                case 1: up_rows(u, w, rest, stride, n - j, 1); break;
                default: break;
                }
            }
        }
    }
}

void DECIM_STAGE(const run_ctx *r, stage st, size_t first, size_t last, float *scratch)
{
    switch (st) {
    case STAGE_DOWN_ROWS: down_rows(r, first, last, (ring_row *)(void *)scratch); break;
    case STAGE_DOWN_COLUMNS: down_columns(r, first, last); break;
    case STAGE_COARSE_V:
        coarse_lines(r, &r->f->axis[0], r->zh, r->tmp, 1, r->ycell.out, first, last);
        break;
    case STAGE_COARSE_H:
        coarse_lines(r, &r->f->axis[1], r->tmp, r->v, r->ch * r->line, r->line, first, last);
        break;
    case STAGE_UP: up_tiles(r, first, last, scratch); break;
    }
}
