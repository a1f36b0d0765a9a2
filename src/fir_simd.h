/* fir_simd.h — the body of the SIMD variants of fir.h's two passes, written once over a few
 * vector macros and included by fir_avx2.c and fir_avx512.c (each compiled with its own -m
 * flags). The unpack/pack pairs work within 128-bit lanes on every width and undo each other,
 * so the sums come out in the input's order. The arithmetic is fir.h's, exactly. */

size_t FN_VERT(const uint8_t *const *rows, size_t r, const int32_t *wpair, int sv, size_t n,
               int16_t *out)
{
    const size_t terms = r + 1, full = terms / 2; /* pairs with both terms present */
    const VEC round = SET1_32(sv > 8 ? 1 << (sv - 9) : 0);
    const VEC bias = SET1_32(32768);
    const __m128i shift = _mm_cvtsi32_si128(sv - 8);
    const uint8_t *c = rows[r];
    size_t i = 0;
    for (; i + VN <= n; i += VN) {
        VEC lo = round, hi = round;
        for (size_t p = 0; p < full; p++) {
            size_t t0 = 2 * p, t1 = t0 + 1;
            VEC s0 = t0 == 0 ? ZX_LOAD(c + i)
                             : ADD16(ZX_LOAD(rows[r - t0] + i), ZX_LOAD(rows[r + t0] + i));
            VEC s1 = ADD16(ZX_LOAD(rows[r - t1] + i), ZX_LOAD(rows[r + t1] + i));
            VEC w = SET1_32(wpair[p]);
            lo = DP(lo, UNPLO(s0, s1), w);
            hi = DP(hi, UNPHI(s0, s1), w);
        }
        if (terms % 2) { /* the last term alone; its partner's weight is 0 */
            size_t t0 = terms - 1;
            VEC s0 = t0 == 0 ? ZX_LOAD(c + i)
                             : ADD16(ZX_LOAD(rows[r - t0] + i), ZX_LOAD(rows[r + t0] + i));
            VEC w = SET1_32(wpair[full]), z = ZERO;
            lo = DP(lo, UNPLO(s0, z), w);
            hi = DP(hi, UNPHI(s0, z), w);
        }
        lo = SUB32(SRA32(lo, shift), bias);
        hi = SUB32(SRA32(hi, shift), bias);
        STORE16(out + i, PACKS32(lo, hi));
    }
    return i;
}

size_t FN_HORIZ(const int16_t *ext, size_t n, size_t step, size_t r, const int32_t *wpair,
                int sh, uint8_t *out)
{
    const size_t taps = 2 * r + 1, full = taps / 2;
    const VEC bias = SET1_32((int32_t)((UINT32_C(1) << (sh + 15)) + (UINT32_C(1) << (sh + 7))));
    const __m128i shift = _mm_cvtsi32_si128(sh + 8);
    size_t i = 0;
    for (; i + VN <= n; i += VN) {
        VEC lo = ZERO, hi = ZERO;
        const int16_t *e = ext + i;
        for (size_t p = 0; p < full; p++, e += 2 * step) {
            VEC a = LOADU16(e), b = LOADU16(e + step);
            VEC w = SET1_32(wpair[p]);
            lo = DP(lo, UNPLO(a, b), w);
            hi = DP(hi, UNPHI(a, b), w);
        }
        {
            VEC a = LOADU16(e), w = SET1_32(wpair[full]), z = ZERO;
            lo = DP(lo, UNPLO(a, z), w);
            hi = DP(hi, UNPHI(a, z), w);
        }
        lo = SRL32(ADD32(lo, bias), shift); /* wraps: the unsigned sum of fir.h */
        hi = SRL32(ADD32(hi, bias), shift);
        STORE_U8(out + i, PACKS32(lo, hi));
    }
    return i;
}
