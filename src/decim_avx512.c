/* decim_avx512.c — decim_simd.h's stages with AVX-512 (16 floats a vector, FMA). Compiled
 * with its own -m flags (Makefile) and chosen at run time by decim.c only when the CPU has
 * them. */
#include "decim.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#define DV 16
#define DECIM_STAGE blur__decim_stage_avx512
#include "decim_simd.h"
#endif
