/* fir_simd.h — the body of the SIMD variants of fir.h's two passes, written once over a few
 * vector macros and included by fir_avx2.c and fir_avx512.c (each compiled with its own -m
 * flags). The unpack/pack pairs work within 128-bit lanes on every width and undo each other,
 * so the sums come out in the input's order. The arithmetic is fir.h's, exactly.
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

size_t FN_VERT(const uint8_t *const *rows, size_t r, const int32_t *wpair, int sv, size_t n,
               int16_t *out)
{
    const VEC round = SET1_32(sv > 8 ? 1 << (sv - 9) : 0);
    const __m128i shift = _mm_cvtsi32_si128(sv - 8);
    size_t i = 0;
    for (; i + UNROLL * VN <= n; i += UNROLL * VN)
        vert_step(rows, r, wpair, shift, i, out, UNROLL, round);
    for (; i + VN <= n; i += VN) vert_step(rows, r, wpair, shift, i, out, 1, round);
    return i;
}

static inline __attribute__((always_inline)) void horiz_step(const int16_t *ext, size_t step,
                                                             size_t r, const int32_t *wpair,
                                                             const __m128i shift, VEC bias,
                                                             size_t i, uint8_t *out,
                                                             const size_t U)
{
    const size_t taps = 2 * r + 1, full = taps / 2;
    VEC lo[4], hi[4];
    FOR_U(lo[u] = hi[u] = ZERO;);
    const int16_t *e = ext + i;
    for (size_t p = 0; p < full; p++, e += 2 * step) {
        VEC w = SET1_32(wpair[p]);
        FOR_U(
            VEC a = LOADU16(e + u * VN), b = LOADU16(e + step + u * VN);
            lo[u] = DP(lo[u], UNPLO(a, b), w);
            hi[u] = DP(hi[u], UNPHI(a, b), w);
        );
    }
    VEC w = SET1_32(wpair[full]);
    FOR_U(
        VEC a = LOADU16(e + u * VN);
        lo[u] = DP(lo[u], UNPLO(a, ZERO), w);
        hi[u] = DP(hi[u], UNPHI(a, ZERO), w);
        lo[u] = SRL32(ADD32(lo[u], bias), shift); /* wraps: the unsigned sum of fir.h */
        hi[u] = SRL32(ADD32(hi[u], bias), shift);
        STORE_U8(out + i + u * VN, PACKS32(lo[u], hi[u]));
    );
}

size_t FN_HORIZ(const int16_t *ext, size_t n, size_t step, size_t r, const int32_t *wpair,
                int sh, uint8_t *out)
{
    const VEC bias = SET1_32((int32_t)((UINT32_C(1) << (sh + 15)) + (UINT32_C(1) << (sh + 7))));
    const __m128i shift = _mm_cvtsi32_si128(sh + 8);
    size_t i = 0;
    for (; i + UNROLL * VN <= n; i += UNROLL * VN)
        horiz_step(ext, step, r, wpair, shift, bias, i, out, UNROLL);
    for (; i + VN <= n; i += VN) horiz_step(ext, step, r, wpair, shift, bias, i, out, 1);
    return i;
}
