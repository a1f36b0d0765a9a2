/* fir_simd.h — the body of the SIMD variants of fir.h's two passes, written once over a few
 * vector macros and included by fir_avx2.c and fir_avx512.c (each compiled with its own -m
 * flags). In the vertical pass the unpack/pack pairs work within 128-bit lanes on every width
 * and undo each other, so the sums come out in the input's order; the horizontal pass needs no
 * unpacking at all (see horiz_step). The arithmetic is fir.h's, exactly.
 *
 * Each step does U vectors of samples at once: a multiply-add chain into one accumulator is
 * bound by the instruction's latency (vpdpwssd: 4-5 cycles), so 2U independent accumulators
 * keep the units busy; the weight broadcast is shared too. U is a constant after inlining, and
 * FOR_U spells the loop over it out (gcc -O2 would keep a rolled loop's accumulators in memory).
 */
#define FOR_N(v, n, from, ...)                      \
    do {                                            \
        size_t v = (from);                          \
        if (v < (n)) { __VA_ARGS__ }                \
        v = (from) + 1;                             \
        if (v < (n)) { __VA_ARGS__ }                \
        v = (from) + 2;                             \
        if (v < (n)) { __VA_ARGS__ }                \
        v = (from) + 3;                             \
        if (v < (n)) { __VA_ARGS__ }                \
    } while (0)
#define FOR_U(...) FOR_N(u, U, 0, __VA_ARGS__)
#define FOR_U8(...)                                 \
    do {                                            \
        FOR_N(u, U, 0, __VA_ARGS__);                \
        FOR_N(u, U, 4, __VA_ARGS__);                \
    } while (0)

/* As FOR_U, over the N output rows of vert_rows: q = 0..N-1 (N a constant too). */
#define FOR_Q(...) FOR_N(q, N, 0, __VA_ARGS__)

/* N output rows at once, centres r .. r+N-1 of rows[0..2r+N-1], U vectors of samples each.
 * Their terms share input rows: term t of the N rows reads rows r-t .. r-t+N-1 (below) and
 * r+t .. r+t+N-1 (above), one row further out on each side than term t-1's, so each input
 * row is widened once for all N: N + 2r zero-extending loads for N rows, where one row alone
 * takes 2r + 1 (those loads are shuffles, the pass's bound). low[q][u] and high[q][u] hold
 * the current term's two rows for output row q; the sums are exactly vert_u8's. The first
 * pair of terms (the centre alone, then term 1) and a last term without a partner are done
 * outside the loop, which gcc then compiles without moving registers around. */
typedef VEC vert_window[4][4];

/* The vertical passes read 2r + N rows at once, a vector of each in turn: too many streams for
 * the hardware prefetcher, so each load waited on L2 (or L3, for the 16-bit rows of a float
 * pass). Each new row of a term is asked for this many bytes ahead, about 16 vectors (a
 * prefetch past the row's end does not fault). 6000x4000, 1 thread, best of 9, interleaved:
 * RGB sigma 3 53.1 -> 46.7-47.1 ms, sigma 7 99.2 -> 84.7-85.1, sigma 1 31.5 -> 29.5-29.8;
 * gray sigma 3 16.5 -> 15.7; 16-bit RGB sigma 3 119-120 -> 93. 128 to 1024 bytes all did
 * about as well. */
enum { PREFETCH_AHEAD = 512 };

/* A term's two new rows, PREFETCH_AHEAD bytes past byte `at` of each. */
static inline __attribute__((always_inline)) void prefetch_term(const void *low,
                                                                const void *high, size_t at)
{
    __builtin_prefetch((const char *)low + at + PREFETCH_AHEAD);
    __builtin_prefetch((const char *)high + at + PREFETCH_AHEAD);
}

/* The windows of vector u moved one row further out (the rows at low[0][u] and
 * high[N-1][u] are then loaded by the caller). Also vert_f_rows's. */
#define SLIDE_OUT(low, high)                                                                 \
    FOR_Q(if (q + 1 < N) low[N - 1 - q][u] = low[N - 2 - q][u];                              \
          if (q + 1 < N) high[q][u] = high[q + 1][u];)

/* low and high moved on to term t, the two new rows loaded. */
static inline __attribute__((always_inline)) void next_term(const uint8_t *const *rows,
                                                            size_t r, size_t t, size_t i,
                                                            vert_window low, vert_window high,
                                                            const size_t N, const size_t U)
{
    prefetch_term(rows[r - t], rows[r + t + N - 1], i);
    FOR_U(SLIDE_OUT(low, high); low[0][u] = ZX_LOAD(rows[r - t] + i + u * VN);
          high[N - 1][u] = ZX_LOAD(rows[r + t + N - 1] + i + u * VN););
}

static inline __attribute__((always_inline)) void vert_rows(const uint8_t *const *rows,
                                                            size_t r, const int32_t *wpair,
                                                            const __m128i shift, size_t i,
                                                            int16_t *const *out, const size_t N,
                                                            const size_t U, const VEC round)
{
    const VEC bias = SET1_32(32768);
    vert_window lo, hi, low, high, s0;
#define TERM_PAIR(p, S1)                                                                     \
    do {                                                                                     \
        const VEC w = SET1_32(wpair[p]);                                                     \
        FOR_U(FOR_Q(VEC s1 = (S1); lo[q][u] = DP(lo[q][u], UNPLO(s0[q][u], s1), w);          \
                    hi[q][u] = DP(hi[q][u], UNPHI(s0[q][u], s1), w);););                     \
    } while (0)
    FOR_U(FOR_Q(lo[q][u] = hi[q][u] = round;
                s0[q][u] = low[q][u] = high[q][u] = ZX_LOAD(rows[r + q] + i + u * VN);););
    if (r >= 1) next_term(rows, r, 1, i, low, high, N, U);
    TERM_PAIR(0, r >= 1 ? ADD16(low[q][u], high[q][u]) : ZERO);
    size_t p = 1;
    for (; 2 * p + 1 <= r; p++) {
        next_term(rows, r, 2 * p, i, low, high, N, U);
        FOR_U(FOR_Q(s0[q][u] = ADD16(low[q][u], high[q][u]);););
        next_term(rows, r, 2 * p + 1, i, low, high, N, U);
        TERM_PAIR(p, ADD16(low[q][u], high[q][u]));
    }
    if (2 * p == r) { /* an odd count of terms: the last alone, its partner's weight 0 */
        next_term(rows, r, 2 * p, i, low, high, N, U);
        FOR_U(FOR_Q(s0[q][u] = ADD16(low[q][u], high[q][u]);););
        TERM_PAIR(p, ZERO);
    }
#undef TERM_PAIR
    FOR_Q(FOR_U(
        VEC a = SUB32(SRA32(lo[q][u], shift), bias), b = SUB32(SRA32(hi[q][u], shift), bias);
        STORE16(out[q] + i + u * VN, PACKS32(a, b));
    ););
}

/* The samples [from, to) of N rows, U vectors at a time while they last, then one; a part
 * vector left at the end is done as the last whole vector of [from, to), which does some
 * samples again, with the same sums (the generic code is then left nothing to do). */
static inline __attribute__((always_inline)) size_t vert_span(const uint8_t *const *rows,
                                                              size_t r, const int32_t *wpair,
                                                              const __m128i shift, size_t from,
                                                              size_t to, int16_t *const *out,
                                                              const size_t N, const VEC round)
{
    const size_t U = N == VROWS ? 1 : UNROLL / N;
    size_t i = from;
    for (; i + U * VN <= to; i += U * VN) vert_rows(rows, r, wpair, shift, i, out, N, U, round);
    for (; i + VN <= to; i += VN) vert_rows(rows, r, wpair, shift, i, out, N, 1, round);
    if (i < to && to - from >= VN) {
        vert_rows(rows, r, wpair, shift, to - VN, out, N, 1, round);
        i = to;
    }
    return i;
}

/* Rows in groups of VROWS (the most whose window fits the registers), then 2, then 1; fewer
 * rows take more vectors at a time for independent chains (UNROLL / N). */
size_t FN_VERT(const uint8_t *const *rows, size_t r, const int32_t *wpair, int sv,
               int32_t vround, size_t from, size_t to, int16_t *const *out, size_t count)
{
    const VEC round = SET1_32(vround);
    const __m128i shift = _mm_cvtsi32_si128(sv - 8);
    size_t i = from;
    for (size_t k = 0; k < count;) {
        const size_t N = count - k >= VROWS ? VROWS : count - k >= 2 ? 2 : 1;
        if (N == VROWS) /* N a constant in each call, for vert_rows */
            i = vert_span(rows + k, r, wpair, shift, from, to, out + k, VROWS, round);
        else if (N == 2)
            i = vert_span(rows + k, r, wpair, shift, from, to, out + k, 2, round);
        else
            i = vert_span(rows + k, r, wpair, shift, from, to, out + k, 1, round);
        k += N;
    }
    return i;
}

/* The horizontal pass reads its row as interleaved pairs: pairs[j] holds (e[j], e[j+step]) in
 * one 32-bit lane, built once per row by PAIR_BUILD. Taps 2p and 2p+1 of output i are then the
 * one pair pairs[i + 2p*step], so each tap pair costs one load and one multiply-add over VN32
 * consecutive outputs, with no shuffle in the loop and the sums already in output order. The
 * last tap pairs with a zero weight, so the pair's second half (past the row) never counts. */
static inline __attribute__((always_inline)) void horiz_step(const int32_t *pairs, size_t step,
                                                             size_t r, const int32_t *wpair,
                                                             const __m128i shift, VEC bias,
                                                             size_t i, uint8_t *out,
                                                             const size_t U)
{
    VEC acc[8];
    FOR_U8(acc[u] = ZERO;);
    const int32_t *q = pairs + i;
    for (size_t p = 0; p <= r; p++, q += 2 * step) { /* r+1 pairs: 2r+1 taps and a zero */
        VEC w = SET1_32(wpair[p]);
        FOR_U8(acc[u] = DP(acc[u], LOADU16(q + u * VN32), w););
    }
    FOR_U8(acc[u] = SRL32(ADD32(acc[u], bias), shift);); /* wraps: the unsigned sum of fir.h */
    FOR_U8(if (u % 2 == 0) STORE_OUT2(out + i + u * VN32, acc[u], acc[u + 1]);); /* U is even */
}

/* The same sums with fewer loads (nearly all of which split a cache line). Pairs p and p + P
 * (P = VN32 / gcd(2*step, VN32)) sit D = 2*step*P / VN32 whole vectors apart, so U output
 * vectors taken D apart (blocks g, g+D, ..., g+(U-1)D) read, for pair p + mP, the vectors pair
 * p read shifted by m blocks: a window of U loaded vectors slides one block per member, one
 * load each, instead of U. Does the D*U vectors of outputs from i. Measured on AVX-512: a
 * quarter faster for 2 and 4 channels (P = 4, 2), about the same for 1 and 3 (P = 8, fewer
 * pairs share), where building the pairs and storing the outputs are a third of the time. */
static inline __attribute__((always_inline)) void horiz_chunk(const int32_t *pairs, size_t step,
                                                              size_t r, const int32_t *wpair,
                                                              size_t P, size_t D,
                                                              const __m128i shift, VEC bias,
                                                              size_t i, uint8_t *out)
{
    const size_t U = HUNROLL;
    for (size_t g = 0; g < D; g++) {
        VEC acc[8], win[8];
        FOR_U8(acc[u] = ZERO;);
        for (size_t p = 0; p < P && p <= r; p++) {
            const int32_t *q = pairs + i + 2 * p * step + g * VN32; /* block g, pair p */
            FOR_U8(win[u] = LOADU16(q + u * D * VN32););
            for (size_t m = p, next = U;; m += P, next++) {
                VEC w = SET1_32(wpair[m]);
                FOR_U8(acc[u] = DP(acc[u], win[u], w););
                if (m + P > r) break;
                FOR_U8(if (u + 1 < U) win[u] = win[u + 1];);
                win[U - 1] = LOADU16(q + next * D * VN32);
            }
        }
        FOR_U8(acc[u] = SRL32(ADD32(acc[u], bias), shift););
        FOR_U8(STORE_OUT1(out + i + (g + u * D) * VN32, acc[u]););
    }
}

/* One channel (step 1): taps 2p and 2p+1 of output i are ext[i+2p] and ext[i+2p+1], adjacent
 * in the row itself, a pair in one 32-bit lane wherever i is even. So the even outputs read
 * the row as it is and the odd ones one sample further, and no pairs are built: two unshared
 * loads per tap pair and 2*VN32 outputs, against one load there and a pass over the row to
 * build them. That pays at small radii, where building the pairs is a large part of the work
 * (AVX-512, rows of 18000 samples: r 4 16 -> 11 ms per 4000 rows, r 8 28 -> 23); from about
 * r = 10 horiz_chunk's shared loads do better. Each lane's two output bytes (0..255, fir.h)
 * are put together in 16 bits and stored in order. */
enum { ADJACENT_MAX_R = 8 };
static inline __attribute__((always_inline)) void horiz_adjacent(const int16_t *ext, size_t r,
                                                                 const int32_t *wpair,
                                                                 const __m128i shift, VEC bias,
                                                                 size_t i, uint8_t *out,
                                                                 const size_t U)
{
    VEC even[4], odd[4];
    FOR_U(even[u] = odd[u] = ZERO;);
    for (size_t p = 0; p <= r; p++) { /* r+1 pairs: 2r+1 taps and a zero */
        const VEC w = SET1_32(wpair[p]);
        FOR_U(even[u] = DP(even[u], LOADU16(ext + i + 2 * p + u * VN), w);
              odd[u] = DP(odd[u], LOADU16(ext + i + 2 * p + 1 + u * VN), w););
    }
    FOR_U(VEC e = SRL32(ADD32(even[u], bias), shift), o = SRL32(ADD32(odd[u], bias), shift);
          STORE_OUT_BYTE_PAIRS(out + i + u * VN, OR32(e, SLL32_8(o))););
}

size_t FN_HORIZ(const int16_t *ext, size_t n, size_t step, size_t r, const int32_t *wpair,
                int sh, int32_t *pairs, uint8_t *out)
{
    const VEC bias = SET1_32((int32_t)((UINT32_C(1) << (sh + 15)) + (UINT32_C(1) << (sh + 7))));
    const __m128i shift = _mm_cvtsi32_si128(sh + 8);
    if (step == 1 && r <= ADJACENT_MAX_R) {
        size_t i = 0;
        for (; i + HUNROLL / 2 * VN <= n; i += HUNROLL / 2 * VN)
            horiz_adjacent(ext, r, wpair, shift, bias, i, out, HUNROLL / 2);
        for (; i + VN <= n; i += VN) horiz_adjacent(ext, r, wpair, shift, bias, i, out, 1);
        if (i < n && n >= VN) { /* the last vector again, as vert_span does */
            horiz_adjacent(ext, r, wpair, shift, bias, n - VN, out, 1);
            i = n;
        }
        return i;
    }
    for (size_t j = 0; j < n + 2 * r * step; j += VN) {
        VEC a = LOADU16(ext + j), b = LOADU16(ext + j + step), p0, p1;
        PAIR_BUILD(a, b, p0, p1);
        STORE16(pairs + j, p0);
        STORE16(pairs + j + VN32, p1);
    }
    size_t lanes_gcd = VN32; /* gcd(2*step, VN32), VN32 a power of two */
    while ((2 * step) % lanes_gcd) lanes_gcd /= 2;
    const size_t P = VN32 / lanes_gcd, D = 2 * step * P / VN32;
    size_t i = 0;
    for (; i + D * HUNROLL * VN32 <= n; i += D * HUNROLL * VN32)
        horiz_chunk(pairs, step, r, wpair, P, D, shift, bias, i, out);
    for (; i + HUNROLL * VN32 <= n; i += HUNROLL * VN32)
        horiz_step(pairs, step, r, wpair, shift, bias, i, out, HUNROLL);
    for (; i + 2 * VN32 <= n; i += 2 * VN32)
        horiz_step(pairs, step, r, wpair, shift, bias, i, out, 2);
    if (i < n && n >= 2 * VN32) {
        horiz_step(pairs, step, r, wpair, shift, bias, n - 2 * VN32, out, 2);
        i = n;
    }
    return i;
}

/* ---- the float passes (16-bit images, premultiplied alpha, fir.c's u8_in_float): fir.c's
 * generic loops, one vector of outputs at a time, each lane doing the same float operations in
 * the same order (fused multiply-adds, as fmaf), so every variant gives the generic bits ---- */

/* N rows at once, U vectors each, sharing their input rows as vert_rows does; each input row
 * (8 or 16-bit samples: `bytes`) is converted to float once (exactly: at most 65535), and
 * float(a + b) of vert_float is float(a) + float(b) (exact too, below 2^24), so the bits are
 * vert_float's. Independent rows and vectors keep the latency-bound chains of adds busy. */
typedef VECF vert_window_f[4][4];

static inline __attribute__((always_inline)) VECF load_samples_f(const void *row, size_t i,
                                                                 const size_t bytes)
{
    return bytes == 1 ? CVTF(ZX8_32_LOAD((const uint8_t *)row + i))
                      : CVTF(ZX16_LOAD((const uint16_t *)row + i));
}

static inline __attribute__((always_inline)) void vert_f_rows(const void *const *rows, size_t r,
                                                              const float *w, size_t i,
                                                              float *const *out, const size_t N,
                                                              const size_t U, const size_t bytes)
{
    vert_window_f acc, low, high;
    const VECF w0 = SET1F(w[0]);
    FOR_U(FOR_Q(low[q][u] = high[q][u] = load_samples_f(rows[r + q], i + u * VNF, bytes);
                acc[q][u] = MULF(w0, low[q][u]);););
    for (size_t t = 1; t <= r; t++) {
        const VECF wt = SET1F(w[t]);
        prefetch_term(rows[r - t], rows[r + t + N - 1], i * bytes);
        FOR_U(SLIDE_OUT(low, high); low[0][u] = load_samples_f(rows[r - t], i + u * VNF, bytes);
              high[N - 1][u] = load_samples_f(rows[r + t + N - 1], i + u * VNF, bytes);
              FOR_Q(acc[q][u] = FMAF(wt, ADDF(low[q][u], high[q][u]), acc[q][u]);););
    }
    FOR_Q(FOR_U(STOREF(out[q] + i + u * VNF, acc[q][u]);););
}

/* As vert_span, for vert_f_rows. */
static inline __attribute__((always_inline)) size_t vert_f_span(const void *const *rows,
                                                                size_t r, const float *w,
                                                                size_t from, size_t to,
                                                                float *const *out,
                                                                const size_t N,
                                                                const size_t bytes)
{
    const size_t U = N == VROWS ? 1 : 4;
    size_t i = from;
    for (; i + U * VNF <= to; i += U * VNF) vert_f_rows(rows, r, w, i, out, N, U, bytes);
    for (; i + VNF <= to; i += VNF) vert_f_rows(rows, r, w, i, out, N, 1, bytes);
    if (i < to && to - from >= VNF) {
        vert_f_rows(rows, r, w, to - VNF, out, N, 1, bytes);
        i = to;
    }
    return i;
}

static inline __attribute__((always_inline)) size_t vert_f(const void *const *rows, size_t r,
                                                           const float *w, size_t from,
                                                           size_t to, float *const *out,
                                                           size_t count, const size_t bytes)
{
    size_t i = from;
    for (size_t k = 0; k < count;) {
        const size_t N = count - k >= VROWS ? VROWS : 1;
        if (N == VROWS) i = vert_f_span(rows + k, r, w, from, to, out + k, VROWS, bytes);
        else i = vert_f_span(rows + k, r, w, from, to, out + k, 1, bytes);
        k += N;
    }
    return i;
}

size_t FN_VERT_F(const uint16_t *const *rows, size_t r, const float *w, size_t from, size_t to,
                 float *const *out, size_t count)
{
    return vert_f((const void *const *)rows, r, w, from, to, out, count, 2);
}

size_t FN_VERT_F8(const uint8_t *const *rows, size_t r, const float *w, size_t from, size_t to,
                  float *const *out, size_t count)
{
    return vert_f((const void *const *)rows, r, w, from, to, out, count, 1);
}

/* One vector of sums to `out` at i: as floats (bytes 4), or rounded to 8 or 16-bit samples as
 * fir.c's round_u8 and round_u16: v + 0.5 truncated, clamped (max and min before the
 * truncation give the same numbers as the scalar tests, for every finite v). */
static inline __attribute__((always_inline)) void store_sums(void *out, size_t i, VECF v,
                                                             const size_t bytes)
{
    if (bytes == 4) {
        STOREF((float *)out + i, v);
        return;
    }
    v = MINF(MAXF(ADDF(v, SET1F(0.5f)), SETZEROF), SET1F(bytes == 1 ? 255.0f : 65535.0f));
    if (bytes == 1) STORE_OUT1((uint8_t *)out + i, CVTTF(v));
    else STORE_U16((uint16_t *)out + i, CVTTF(v));
}

/* U output vectors taken D apart (D = step*P/VNF whole vectors between taps P apart): the taps
 * of a class read a window of U vectors that slides one block per tap (as horiz_chunk). With
 * D = 0 (a row too short for a chunk) the same sums, U consecutive vectors, every load made. */
static inline __attribute__((always_inline)) void horiz_f_chunk(const float *ext, size_t step,
                                                                size_t taps, const float *w,
                                                                size_t P, size_t D, size_t i,
                                                                void *out, const size_t U,
                                                                const size_t bytes)
{
    const size_t gap = D ? D : 1;
    for (size_t g = 0; g < gap; g++) {
        VECF a[8], win[8];
        FOR_U8(a[u] = SETZEROF;);
        for (size_t c = 0; c < P && c < taps; c++) {
            const float *q = ext + i + c * step + g * VNF;
            FOR_U8(win[u] = LOADF(q + u * gap * VNF););
            for (size_t k = c, next = U;; k += P, next++) {
                const VECF wk = SET1F(w[k]);
                FOR_U8(a[u] = FMAF(wk, win[u], a[u]););
                if (k + P >= taps) break;
                if (D) {
                    FOR_U8(if (u + 1 < U) win[u] = win[u + 1];);
                    win[U - 1] = LOADF(q + next * D * VNF);
                } else {
                    FOR_U8(win[u] = LOADF(q + (k + P - c) * step + u * VNF););
                }
            }
        }
        FOR_U8(store_sums(out, i + (g + u * gap) * VNF, a[u], bytes););
    }
}

static inline __attribute__((always_inline)) size_t horiz_f(const float *ext, size_t n,
                                                            size_t step, size_t taps,
                                                            const float *w, void *out,
                                                            const size_t bytes)
{
    const size_t P = BLUR__FIR_FLOAT_CLASS(step), D = step * P / VNF;
    size_t i = 0;
    for (; i + D * HUNROLL_F * VNF <= n; i += D * HUNROLL_F * VNF)
        horiz_f_chunk(ext, step, taps, w, P, D, i, out, HUNROLL_F, bytes);
    for (; i + VNF <= n; i += VNF) horiz_f_chunk(ext, step, taps, w, P, 0, i, out, 1, bytes);
    if (i < n && n >= VNF) {
        horiz_f_chunk(ext, step, taps, w, P, 0, n - VNF, out, 1, bytes);
        i = n;
    }
    return i;
}

size_t FN_HORIZ_F(const float *ext, size_t n, size_t step, size_t taps, const float *w,
                  float *acc)
{
    return horiz_f(ext, n, step, taps, w, acc, 4);
}

size_t FN_HORIZ_F8(const float *ext, size_t n, size_t step, size_t taps, const float *w,
                   uint8_t *out)
{
    return horiz_f(ext, n, step, taps, w, out, 1);
}

size_t FN_HORIZ_F16(const float *ext, size_t n, size_t step, size_t taps, const float *w,
                    uint16_t *out)
{
    return horiz_f(ext, n, step, taps, w, out, 2);
}
