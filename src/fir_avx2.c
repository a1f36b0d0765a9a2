/* fir_avx2.c — fir.h's passes with AVX2 (vpmaddwd + vpaddd; FMA for the float passes), 16
 * samples per step. Compiled with its own -m flags (Makefile) and chosen at run time by fir.c
 * only when the CPU has AVX2 and FMA. */
#include "fir.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

/* (a[j], b[j]) pairs for j = 0..15 in order: the first 8 in p0, the rest in p1. */
static inline void pair_build(__m256i a, __m256i b, __m256i *p0, __m256i *p1)
{
    __m256i lo = _mm256_unpacklo_epi16(a, b), hi = _mm256_unpackhi_epi16(a, b);
    *p0 = _mm256_permute2x128_si256(lo, hi, 0x20);
    *p1 = _mm256_permute2x128_si256(lo, hi, 0x31);
}

/* 16 int32 in 0..255 (v0 then v1) to 16 bytes in order. */
static inline void store_out2(uint8_t *p, __m256i v0, __m256i v1)
{
    __m256i w = _mm256_permute4x64_epi64(_mm256_packus_epi32(v0, v1), 0xd8);
    __m256i b = _mm256_permute4x64_epi64(_mm256_packus_epi16(w, w), 0x08);
    _mm_storeu_si128((__m128i *)(void *)p, _mm256_castsi256_si128(b));
}

/* 8 int32 in 0..65535 to 8 uint16 in order. */
static inline void store_u16x8(uint16_t *p, __m256i v)
{
    __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storeu_si128((__m128i *)(void *)p, w);
}

/* RGBA rows, premultiplied (fir.h): colour * alpha, alpha * 255; 4 pixels per step. */
size_t blur__fir_premul4_avx2(const uint8_t *in, size_t pixels, uint16_t *out)
{
    size_t p = 0;
    for (; p + 4 <= pixels; p += 4) {
        const void *at = in + 4 * p;
        __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)at));
        __m256i alpha = _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(v, 0xff), 0xff);
        __m256i by = _mm256_blend_epi16(alpha, _mm256_set1_epi16(255), 0x88);
        _mm256_storeu_si256((__m256i *)(void *)(out + 4 * p), _mm256_mullo_epi16(v, by));
    }
    return p;
}

/* Blurred premultiplied RGBA back to 8-bit colour and alpha (fir.h); 2 pixels per step. */
size_t blur__fir_unpremul4_avx2(const float *acc, size_t pixels, uint8_t *out)
{
    const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f);
    size_t p = 0;
    for (; p + 2 <= pixels; p += 2) {
        __m256 v = _mm256_loadu_ps(acc + 4 * p);
        __m256 alpha = _mm256_shuffle_ps(v, v, 0xff);
        __m256 some = _mm256_cmp_ps(alpha, zero, _CMP_GT_OQ);
        __m256 to_colour = _mm256_and_ps(some, _mm256_div_ps(top, alpha)); /* 0 where none */
        __m256 by = _mm256_blend_ps(to_colour, _mm256_set1_ps(1.0f / 255.0f), 0x88);
        v = _mm256_add_ps(_mm256_mul_ps(v, by), _mm256_set1_ps(0.5f));
        v = _mm256_min_ps(_mm256_max_ps(v, zero), top);
        __m256i i32 = _mm256_cvttps_epi32(v);
        __m128i w =
            _mm_packus_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
        _mm_storel_epi64((__m128i *)(void *)(out + 4 * p), _mm_packus_epi16(w, w));
    }
    return p;
}

/* 8 int32 in 0..255 to 8 bytes in order. */
static inline void store_out1(uint8_t *p, __m256i v)
{
    __m256i w = _mm256_packus_epi32(v, v);
    __m256i b = _mm256_packus_epi16(w, w); /* bytes 0-3 of each lane: a0-3, a4-7 */
    __m128i lo = _mm256_castsi256_si128(b), hi = _mm256_extracti128_si256(b, 1);
    _mm_storel_epi64((__m128i *)(void *)p, _mm_unpacklo_epi32(lo, hi));
}

/* 8 lanes each holding two output bytes in its low 16 bits: 16 bytes in order. */
static inline void store_byte_pairs(uint8_t *p, __m256i v)
{
    __m256i w = _mm256_permute4x64_epi64(_mm256_packus_epi32(v, v), 0x08);
    _mm_storeu_si128((__m128i *)(void *)p, _mm256_castsi256_si128(w));
}

#define VEC __m256i
#define VN 16
#define VN32 8
#define UNROLL 2
#define VROWS 2
#define HUNROLL 6
#define PAIR_BUILD(a, b, p0, p1) pair_build(a, b, &(p0), &(p1))
#define STORE_OUT1 store_out1
#define STORE_OUT2 store_out2
#define STORE_OUT_BYTE_PAIRS store_byte_pairs
#define SLL32_8(v) _mm256_slli_epi32(v, 8)
#define OR32 _mm256_or_si256
#define ZX_LOAD(p) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define LOADU16(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define ADD16 _mm256_add_epi16
#define UNPLO _mm256_unpacklo_epi16
#define UNPHI _mm256_unpackhi_epi16
#define DP(acc, a, w) _mm256_add_epi32(acc, _mm256_madd_epi16(a, w))
#define SET1_32 _mm256_set1_epi32
#define SRA32 _mm256_sra_epi32
#define SUB32 _mm256_sub_epi32
#define ADD32 _mm256_add_epi32
#define SRL32 _mm256_srl_epi32
#define PACKS32 _mm256_packs_epi32
#define ZERO _mm256_setzero_si256()
#define STORE16(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), v)
#define VECF __m256
#define HUNROLL_F 4
#define VNF 8
#define ZX16_LOAD(p) _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define CVTF _mm256_cvtepi32_ps
#define MULF _mm256_mul_ps
#define ADDF _mm256_add_ps
#define FMAF _mm256_fmadd_ps
#define SET1F _mm256_set1_ps
#define SETZEROF _mm256_setzero_ps()
#define LOADF _mm256_loadu_ps
#define STOREF _mm256_storeu_ps
#define MINF _mm256_min_ps
#define MAXF _mm256_max_ps
#define CVTTF _mm256_cvttps_epi32
#define STORE_U16 store_u16x8
#define FN_HORIZ_F8 blur__fir_horiz_f8_avx2
#define FN_HORIZ_F16 blur__fir_horiz_f16_avx2
#define FN_VERT_F blur__fir_vert_f_avx2
#define FN_VERT_F8 blur__fir_vert_f8_avx2
#define ZX8_32_LOAD(p) _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p)))
#define FN_HORIZ_F blur__fir_horiz_f_avx2
#define FN_VERT blur__fir_vert_avx2
#define FN_HORIZ blur__fir_horiz_avx2
#include "fir_simd.h"
#endif
