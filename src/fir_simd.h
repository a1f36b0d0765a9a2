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
#define FOR_U(...)                                  \
    do {                                            \
        size_t u = 0;                               \
        if (u < U) { __VA_ARGS__ }                  \
        u = 1;                                      \
        if (u < U) { __VA_ARGS__ }                  \
        u = 2;                                      \
        if (u < U) { __VA_ARGS__ }                  \
        u = 3;                                      \
        if (u < U) { __VA_ARGS__ }                  \
    } while (0)
#define FOR_U8(...)                                 \
    do {                                            \
        FOR_U(__VA_ARGS__);                         \
        size_t u = 4;                               \
        if (u < U) { __VA_ARGS__ }                  \
        u = 5;                                      \
        if (u < U) { __VA_ARGS__ }                  \
        u = 6;                                      \
        if (u < U) { __VA_ARGS__ }                  \
        u = 7;                                      \
        if (u < U) { __VA_ARGS__ }                  \
    } while (0)

static inline __attribute__((always_inline)) void vert_step(const uint8_t *const *rows,
                                                            size_t r, const int32_t *wpair,
                                                            const __m128i shift, size_t i,
                                                            int16_t *out, const size_t U,
                                                            const VEC round)
{
    const size_t terms = r + 1, full = terms / 2;
    const VEC bias = SET1_32(32768);
    VEC lo[4], hi[4];
    FOR_U(lo[u] = hi[u] = round;);
    for (size_t p = 0; p <= full; p++) {
        size_t t0 = 2 * p, t1 = t0 + 1;
        if (p == full && terms % 2 == 0) break;
        VEC w = SET1_32(wpair[p]);
        FOR_U(
            size_t j = i + u * VN;
            VEC s0 = t0 == 0 ? ZX_LOAD(rows[r] + j)
                             : ADD16(ZX_LOAD(rows[r - t0] + j), ZX_LOAD(rows[r + t0] + j));
            /* the last term alone when the count is odd; its partner's weight is 0 */
            VEC s1 = p == full ? ZERO
                               : ADD16(ZX_LOAD(rows[r - t1] + j), ZX_LOAD(rows[r + t1] + j));
            lo[u] = DP(lo[u], UNPLO(s0, s1), w);
            hi[u] = DP(hi[u], UNPHI(s0, s1), w);
        );
    }
    FOR_U(
        VEC a = SUB32(SRA32(lo[u], shift), bias), b = SUB32(SRA32(hi[u], shift), bias);
        STORE16(out + i + u * VN, PACKS32(a, b));
    );
}

/* Two output rows, centres r and r+1 of rows[0..2r+1], the same sums as vert_step's. Their
 * terms share rows: the second row's term t reads rows r+1-t and r+1+t, the rows of the first
 * row's terms t-1 and t+1, so each row is widened once for both, two zero-extending loads per
 * term and row instead of four (those loads are shuffles, the pass's bound). At pair p, x[k]
 * standing for rows[k] at the samples: xm = x[r-t0], xl = x[r-t1], xh = x[r+t0+1] (= x[r+t1])
 * and xn = x[r+t1+1] are loaded; cu = x[r+t0] and cl = x[r+1-t0] are pair p-1's xn and xl. */
static inline __attribute__((always_inline)) void vert_step2(const uint8_t *const *rows,
                                                             size_t r, const int32_t *wpair,
                                                             const __m128i shift, size_t i,
                                                             int16_t *out0, int16_t *out1,
                                                             const size_t U, const VEC round)
{
    const size_t terms = r + 1, full = terms / 2;
    const VEC bias = SET1_32(32768);
    VEC lo0[4], hi0[4], lo1[4], hi1[4], cu[4], cl[4];
    FOR_U(lo0[u] = hi0[u] = lo1[u] = hi1[u] = round; cu[u] = cl[u] = ZERO;);
    for (size_t p = 0; p <= full; p++) {
        const size_t t0 = 2 * p, t1 = t0 + 1;
        if (p == full && terms % 2 == 0) break;
        VEC w = SET1_32(wpair[p]);
        FOR_U(
            size_t j = i + u * VN;
            VEC xm = ZX_LOAD(rows[r - t0] + j), xh = ZX_LOAD(rows[r + t0 + 1] + j);
            VEC s0a = t0 == 0 ? xm : ADD16(xm, cu[u]), s0b = t0 == 0 ? xh : ADD16(cl[u], xh);
            VEC s1a = ZERO, s1b = ZERO; /* the last term alone when the count is odd */
            if (p < full) {
                VEC xl = ZX_LOAD(rows[r - t1] + j), xn = ZX_LOAD(rows[r + t1 + 1] + j);
                s1a = ADD16(xl, xh);
                s1b = ADD16(xm, xn);
                cu[u] = xn;
                cl[u] = xl;
            }
            lo0[u] = DP(lo0[u], UNPLO(s0a, s1a), w);
            hi0[u] = DP(hi0[u], UNPHI(s0a, s1a), w);
            lo1[u] = DP(lo1[u], UNPLO(s0b, s1b), w);
            hi1[u] = DP(hi1[u], UNPHI(s0b, s1b), w);
        );
    }
    FOR_U(
        VEC a = SUB32(SRA32(lo0[u], shift), bias), b = SUB32(SRA32(hi0[u], shift), bias);
        STORE16(out0 + i + u * VN, PACKS32(a, b));
        a = SUB32(SRA32(lo1[u], shift), bias), b = SUB32(SRA32(hi1[u], shift), bias);
        STORE16(out1 + i + u * VN, PACKS32(a, b));
    );
}

size_t FN_VERT(const uint8_t *const *rows, size_t r, const int32_t *wpair, int sv, size_t from,
               size_t to, int16_t *out, int16_t *out_next)
{
    const VEC round = SET1_32(sv > 8 ? 1 << (sv - 9) : 0);
    const __m128i shift = _mm_cvtsi32_si128(sv - 8);
    size_t i = from;
    if (out_next) {
        for (; i + UNROLL / 2 * VN <= to; i += UNROLL / 2 * VN)
            vert_step2(rows, r, wpair, shift, i, out, out_next, UNROLL / 2, round);
        for (; i + VN <= to; i += VN) vert_step2(rows, r, wpair, shift, i, out, out_next, 1, round);
        return i;
    }
    for (; i + UNROLL * VN <= to; i += UNROLL * VN)
        vert_step(rows, r, wpair, shift, i, out, UNROLL, round);
    for (; i + VN <= to; i += VN) vert_step(rows, r, wpair, shift, i, out, 1, round);
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

size_t FN_HORIZ(const int16_t *ext, size_t n, size_t step, size_t r, const int32_t *wpair,
                int sh, int32_t *pairs, uint8_t *out)
{
    for (size_t j = 0; j < n + 2 * r * step; j += VN) {
        VEC a = LOADU16(ext + j), b = LOADU16(ext + j + step), p0, p1;
        PAIR_BUILD(a, b, p0, p1);
        STORE16(pairs + j, p0);
        STORE16(pairs + j + VN32, p1);
    }
    const VEC bias = SET1_32((int32_t)((UINT32_C(1) << (sh + 15)) + (UINT32_C(1) << (sh + 7))));
    const __m128i shift = _mm_cvtsi32_si128(sh + 8);
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
    return i;
}

/* ---- the float passes (16-bit images, premultiplied alpha): fir.c's generic loops, one
 * vector of outputs at a time, each lane doing the same float operations in the same order
 * (multiply, then add: no fused multiply-add), so every variant gives the generic bits ---- */

/* U vectors at once: each lane's chain of adds is latency-bound, so independent vectors
 * keep the units busy (as in the fixed-point passes). */
static inline __attribute__((always_inline)) void vert_f_step(const uint16_t *const *rows,
                                                              size_t r, const float *w, size_t i,
                                                              float *out, const size_t U)
{
    VECF acc[4];
    const VECF w0 = SET1F(w[0]);
    FOR_U(acc[u] = MULF(w0, CVTF(ZX16_LOAD(rows[r] + i + u * VNF))););
    for (size_t t = 1; t <= r; t++) {
        const VECF wt = SET1F(w[t]);
        const uint16_t *above = rows[r - t] + i, *below = rows[r + t] + i;
        FOR_U(
            VEC s = ADD32(ZX16_LOAD(above + u * VNF), ZX16_LOAD(below + u * VNF));
            acc[u] = ADDF(acc[u], MULF(wt, CVTF(s)));
        );
    }
    FOR_U(STOREF(out + i + u * VNF, acc[u]););
}

size_t FN_VERT_F(const uint16_t *const *rows, size_t r, const float *w, size_t from, size_t to,
                 float *out)
{
    size_t i = from;
    for (; i + 4 * VNF <= to; i += 4 * VNF) vert_f_step(rows, r, w, i, out, 4);
    for (; i + VNF <= to; i += VNF) vert_f_step(rows, r, w, i, out, 1);
    return i;
}

/* U output vectors taken D apart (D = step*P/VNF whole vectors between taps P apart): the taps
 * of a class read a window of U vectors that slides one block per tap (as horiz_chunk). With
 * D = 0 (a row too short for a chunk) the same sums, U consecutive vectors, every load made. */
static inline __attribute__((always_inline)) void horiz_f_chunk(const float *ext, size_t step,
                                                                size_t taps, const float *w,
                                                                size_t P, size_t D, size_t i,
                                                                float *acc, const size_t U)
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
                FOR_U8(a[u] = ADDF(a[u], MULF(wk, win[u])););
                if (k + P >= taps) break;
                if (D) {
                    FOR_U8(if (u + 1 < U) win[u] = win[u + 1];);
                    win[U - 1] = LOADF(q + next * D * VNF);
                } else {
                    FOR_U8(win[u] = LOADF(q + (k + P - c) * step + u * VNF););
                }
            }
        }
        FOR_U8(STOREF(acc + i + (g + u * gap) * VNF, a[u]););
    }
}

size_t FN_HORIZ_F(const float *ext, size_t n, size_t step, size_t taps, const float *w,
                  float *acc)
{
    const size_t P = BLUR__FIR_FLOAT_CLASS(step), D = step * P / VNF;
    size_t i = 0;
    for (; i + D * HUNROLL_F * VNF <= n; i += D * HUNROLL_F * VNF)
        horiz_f_chunk(ext, step, taps, w, P, D, i, acc, HUNROLL_F);
    for (; i + VNF <= n; i += VNF) horiz_f_chunk(ext, step, taps, w, P, 0, i, acc, 1);
    return i;
}
