/* fir.h — the fixed-point separable path shared by fir.c and its SIMD variants (fir_avx2.c,
 * fir_avx512.c). Private to those files and the tests.
 *
 * The arithmetic, the same in every variant so they agree bit for bit:
 *   vertical  : acc = sum_t W_t * s_t, s_0 = x[y], s_t = x[y-t] + x[y+t] (taps pre-added),
 *               v = (acc + R) >> (sv-8)  — the column value with 8 fraction bits, stored
 *               biased as int16: v - 32768. R = 2^(sv-9) rounds to nearest; R = 0 where the
 *               horizontal pass is the identity (one tap), so that its rounding is the only
 *               one: floor((floor(a / 2^k) + 128) / 256) = floor(a / 2^(k+8) + 1/2), where
 *               rounding v too made a vertical-only blur 99.8 % exact on a photo.
 *   horizontal: acc = sum_k H_k * vb[i + (k-r)*C]             (in [-2^(sh+15), 2^31))
 *               out = (uint32)(acc + 2^(sh+15) + 2^(sh+7)) >> (sh+8)   (modulo 2^32).
 * All in exact int32 arithmetic, so the order of the sums does not matter. */
#ifndef BLUR_FIR_H
#define BLUR_FIR_H

#include <stddef.h>
#include <stdint.h>

/* Vertical pass: rows[0..2r] are the input rows y-r..y+r (u8), out[0] gets biased values;
 * with count > 1 (at most FIR_VERT_ROWS), rows y+1 .. y+count-1 too (rows[0..2r+count-1])
 * into out[1..count-1]. wpair[p] packs the weights of terms 2p (low 16 bits) and 2p+1 (high
 * 16 bits); terms = r+1. Does the samples [from, return value) of [from, to) of every row;
 * the caller finishes the rest. */
enum { FIR_VERT_ROWS = 4 };
typedef size_t fir_vert_fn(const uint8_t *const *rows, size_t r, const int32_t *wpair, int sv,
                           int32_t round, size_t from, size_t to, int16_t *const *out,
                           size_t count);
/* Horizontal pass: ext holds the biased row with r*C samples of border on each side; writes
 * out[0, return value). wpair packs taps 2p and 2p+1 of the 2r+1 taps. pairs is scratch for
 * BLUR__FIR_PAIRS(n + 2r*C) int32; ext must be readable (and initialized) up to
 * BLUR__FIR_PAIRS(n + 2r*C) + C samples. */
#define BLUR__FIR_PAIRS(ext_n) ((ext_n) + 32)
typedef size_t fir_horiz_fn(const int16_t *ext, size_t n, size_t step, size_t r,
                            const int32_t *wpair, int sh, int32_t *pairs, uint8_t *out);

/* The float passes (fir.c's vert_float, horiz_float), same contracts (vert: the samples
 * [from, return value) of [from, to) of each of its count rows; horiz: [0, return value)).
 * vert: out[i] = w[0]*x_r[i] + sum_t w[t]*(x_{r-t}[i] + x_{r+t}[i]), on 16-bit rows, or 8-bit
 *       ones (vert_f8);
 * horiz: acc[i] = sum_k w[k]*ext[i + k*step], k in class order: k = c, c+P, c+2P, ... for
 *        c = 0, 1, ..., P-1, with P = BLUR__FIR_FLOAT_CLASS(step) (taps P apart read whole
 *        vectors apart, so the SIMD code shares their loads); in float, each term of the sums
 *        a fused multiply-add (fmaf: one rounding), t and k in increasing order. */
#define BLUR__FIR_FLOAT_CLASS(step) ((step) % 2 ? 16u : (step) % 4 ? 8u : (step) % 8 ? 4u : 2u)
typedef size_t fir_vert_f_fn(const uint16_t *const *rows, size_t r, const float *w, size_t from,
                             size_t to, float *const *out, size_t count);
typedef size_t fir_vert_f8_fn(const uint8_t *const *rows, size_t r, const float *w, size_t from,
                              size_t to, float *const *out, size_t count);
typedef size_t fir_horiz_f_fn(const float *ext, size_t n, size_t step, size_t taps,
                              const float *w, float *acc);
/* Premultiplied alpha on RGBA rows, the arithmetic of fir.c's generic code: premul writes
 * colour*alpha and alpha*255 (exact, 16-bit); unpremul turns blurred sums back into 8-bit:
 * round(colour * (255/alpha)) (0 where alpha is 0), round(alpha * (1/255)), in float, rounding
 * by +0.5 and truncation, clamped to 0..255. Both do the pixels [0, return value). */
/* horiz_f's sums rounded to 8 or 16-bit samples as fir.c's round_u8 and round_u16 (+0.5,
 * truncated, clamped) and stored to out[0, return value). */
typedef size_t fir_horiz_f8_fn(const float *ext, size_t n, size_t step, size_t taps,
                               const float *w, uint8_t *out);
typedef size_t fir_horiz_f16_fn(const float *ext, size_t n, size_t step, size_t taps,
                                const float *w, uint16_t *out);
size_t blur__fir_horiz_f8_avx2(const float *ext, size_t n, size_t step, size_t taps,
                               const float *w, uint8_t *out);
size_t blur__fir_horiz_f16_avx2(const float *ext, size_t n, size_t step, size_t taps,
                                const float *w, uint16_t *out);
size_t blur__fir_horiz_f8_avx512(const float *ext, size_t n, size_t step, size_t taps,
                                 const float *w, uint8_t *out);
size_t blur__fir_horiz_f16_avx512(const float *ext, size_t n, size_t step, size_t taps,
                                  const float *w, uint16_t *out);

typedef size_t fir_premul4_fn(const uint8_t *in, size_t pixels, uint16_t *out);
typedef size_t fir_unpremul4_fn(const float *acc, size_t pixels, uint8_t *out);
size_t blur__fir_premul4_avx2(const uint8_t *in, size_t pixels, uint16_t *out);
size_t blur__fir_unpremul4_avx2(const float *acc, size_t pixels, uint8_t *out);
size_t blur__fir_premul4_avx512(const uint8_t *in, size_t pixels, uint16_t *out);
size_t blur__fir_unpremul4_avx512(const float *acc, size_t pixels, uint8_t *out);

size_t blur__fir_vert_f_avx2(const uint16_t *const *rows, size_t r, const float *w,
                             size_t from, size_t to, float *const *out, size_t count);
size_t blur__fir_vert_f8_avx2(const uint8_t *const *rows, size_t r, const float *w, size_t from,
                              size_t to, float *const *out, size_t count);
size_t blur__fir_horiz_f_avx2(const float *ext, size_t n, size_t step, size_t taps,
                              const float *w, float *acc);
size_t blur__fir_vert_f_avx512(const uint16_t *const *rows, size_t r, const float *w,
                               size_t from, size_t to, float *const *out, size_t count);
size_t blur__fir_vert_f8_avx512(const uint8_t *const *rows, size_t r, const float *w,
                                size_t from, size_t to, float *const *out, size_t count);
size_t blur__fir_horiz_f_avx512(const float *ext, size_t n, size_t step, size_t taps,
                                const float *w, float *acc);

size_t blur__fir_vert_avx2(const uint8_t *const *rows, size_t r, const int32_t *wpair, int sv,
                           int32_t round, size_t from, size_t to, int16_t *const *out,
                           size_t count);
size_t blur__fir_horiz_avx2(const int16_t *ext, size_t n, size_t step, size_t r,
                            const int32_t *wpair, int sh, int32_t *pairs, uint8_t *out);
size_t blur__fir_vert_avx512(const uint8_t *const *rows, size_t r, const int32_t *wpair, int sv,
                             int32_t round, size_t from, size_t to, int16_t *const *out,
                             size_t count);
size_t blur__fir_horiz_avx512(const int16_t *ext, size_t n, size_t step, size_t r,
                              const int32_t *wpair, int sh, int32_t *pairs, uint8_t *out);

#endif
