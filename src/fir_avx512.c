/* fir_avx512.c — fir.h's passes with AVX-512 BW + VNNI (vpdpwssd: two 16-bit products summed
 * into 32 bits per instruction), 32 samples per step. Compiled with its own -m flags (Makefile)
 * and chosen at run time by fir.c only when the CPU has them. */
#include "fir.h"

#if defined(__x86_64__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>

/* (a[j], b[j]) pairs for j = 0..31 in order: the first 16 in p0, the rest in p1. */
static inline void pair_build(__m512i a, __m512i b, __m512i *p0, __m512i *p1)
{
    const __m512i lo = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9,
                                        40, 8, 39, 7, 38, 6, 37, 5, 36, 4, 35, 3, 34, 2, 33, 1,
                                        32, 0);
    const __m512i hi = _mm512_add_epi16(lo, _mm512_set1_epi16(16));
    *p0 = _mm512_permutex2var_epi16(a, lo, b);
    *p1 = _mm512_permutex2var_epi16(a, hi, b);
}

/* RGBA rows, premultiplied (fir.h): colour * alpha, alpha * 255; 8 pixels per step. */
size_t blur__fir_premul4_avx512(const uint8_t *in, size_t pixels, uint16_t *out)
{
    size_t p = 0;
    for (; p + 8 <= pixels; p += 8) {
        const void *at = in + 4 * p;
        __m512i v = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)at));
        __m512i alpha = _mm512_shufflehi_epi16(_mm512_shufflelo_epi16(v, 0xff), 0xff);
        __m512i by = _mm512_mask_blend_epi16(0x88888888u, alpha, _mm512_set1_epi16(255));
        _mm512_storeu_si512((void *)(out + 4 * p), _mm512_mullo_epi16(v, by));
    }
    return p;
}

/* Blurred premultiplied RGBA back to 8-bit colour and alpha (fir.h); 4 pixels per step. */
size_t blur__fir_unpremul4_avx512(const float *acc, size_t pixels, uint8_t *out)
{
    const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.0f);
    size_t p = 0;
    for (; p + 4 <= pixels; p += 4) {
        __m512 v = _mm512_loadu_ps(acc + 4 * p);
        __m512 alpha = _mm512_permute_ps(v, 0xff);
        __mmask16 some = _mm512_cmp_ps_mask(alpha, zero, _CMP_GT_OQ);
        __m512 to_colour = _mm512_maskz_div_ps(some, top, alpha);
        __m512 by = _mm512_mask_blend_ps(0x8888, to_colour, _mm512_set1_ps(1.0f / 255.0f));
        v = _mm512_add_ps(_mm512_mul_ps(v, by), _mm512_set1_ps(0.5f));
        v = _mm512_min_ps(_mm512_max_ps(v, zero), top);
        _mm_storeu_si128((__m128i *)(void *)(out + 4 * p),
                         _mm512_cvtusepi32_epi8(_mm512_cvttps_epi32(v)));
    }
    return p;
}

#define VEC __m512i
#define VN 32
#define VN32 16
#define UNROLL 4
#define VROWS 4
#define HUNROLL 8
#define PAIR_BUILD(a, b, p0, p1) pair_build(a, b, &(p0), &(p1))
#define STORE_OUT1(p, v) _mm_storeu_si128((__m128i *)(void *)(p), _mm512_cvtusepi32_epi8(v))
#define STORE_OUT2(p, v0, v1)                                                        \
    do {                                                                             \
        _mm_storeu_si128((__m128i *)(void *)(p), _mm512_cvtusepi32_epi8(v0));        \
        _mm_storeu_si128((__m128i *)(void *)((p) + 16), _mm512_cvtusepi32_epi8(v1)); \
    } while (0)
/* VN32 lanes each holding two output bytes in its low 16 bits: 2 * VN32 bytes in order */
#define STORE_OUT_BYTE_PAIRS(p, v) \
    _mm256_storeu_si256((__m256i *)(void *)(p), _mm512_cvtepi32_epi16(v))
#define SLL32_8(v) _mm512_slli_epi32(v, 8)
#define OR32 _mm512_or_si512
#define ZX_LOAD(p) _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define LOADU16(p) _mm512_loadu_si512((const void *)(p))
#define ADD16 _mm512_add_epi16
#define UNPLO _mm512_unpacklo_epi16
#define UNPHI _mm512_unpackhi_epi16
#define DP _mm512_dpwssd_epi32
#define SET1_32 _mm512_set1_epi32
#define SRA32 _mm512_sra_epi32
#define SUB32 _mm512_sub_epi32
#define ADD32 _mm512_add_epi32
#define SRL32 _mm512_srl_epi32
#define PACKS32 _mm512_packs_epi32
#define ZERO _mm512_setzero_si512()
#define STORE16(p, v) _mm512_storeu_si512((void *)(p), v)
#define VECF __m512
#define HUNROLL_F 8
#define VNF 16
#define ZX16_LOAD(p) _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define CVTF _mm512_cvtepi32_ps
#define MULF _mm512_mul_ps
#define ADDF _mm512_add_ps
#define FMAF _mm512_fmadd_ps
#define SET1F _mm512_set1_ps
#define SETZEROF _mm512_setzero_ps()
#define LOADF _mm512_loadu_ps
#define STOREF _mm512_storeu_ps
#define MINF _mm512_min_ps
#define MAXF _mm512_max_ps
#define CVTTF _mm512_cvttps_epi32
#define STORE_U16(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), _mm512_cvtusepi32_epi16(v))
#define FN_HORIZ_F8 blur__fir_horiz_f8_avx512
#define FN_HORIZ_F16 blur__fir_horiz_f16_avx512
#define FN_VERT_F blur__fir_vert_f_avx512
#define FN_VERT_F8 blur__fir_vert_f8_avx512
#define ZX8_32_LOAD(p) _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define FN_HORIZ_F blur__fir_horiz_f_avx512
#define FN_VERT blur__fir_vert_avx512
#define FN_HORIZ blur__fir_horiz_avx512
#include "fir_simd.h"
#endif
