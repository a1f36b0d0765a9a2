/* fir_avx512.c — fir.h's passes with AVX-512 BW + VNNI (vpdpwssd: two 16-bit products summed
 * into 32 bits per instruction), 32 samples per step. Compiled with its own -m flags (Makefile)
 * and chosen at run time by fir.c only when the CPU has them. */
#include "fir.h"

#if defined(__x86_64__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#include <immintrin.h>

#define VEC __m512i
#define VN 32
#define UNROLL 2
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
#define STORE_U8(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), _mm512_cvtusepi16_epi8(v))
#define FN_VERT blur__fir_vert_avx512
#define FN_HORIZ blur__fir_horiz_avx512
#include "fir_simd.h"
#endif
