/* decim_avx2.c — decim_simd.h's stages with AVX2 (8 floats a vector, FMA). Compiled with its
 * own -m flags (Makefile) and chosen at run time by decim.c only when the CPU has them. */
#include "decim.h"

#if defined(__x86_64__) && defined(__AVX2__)
#define DV 8
#define DECIM_STAGE blur__decim_stage_avx2
#include "decim_simd.h"
#endif
