/* cpu.c — what this CPU can do: the instruction-set test behind the tables of SIMD variants
 * (fir.c, decim.c), which name the features each variant needs. */
#include "internal.h"

#include <string.h>

bool blur__cpu_has(const char *const *features, size_t count)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    for (size_t i = 0; i < count && features[i]; i++) {
        /* __builtin_cpu_supports wants a literal, hence the table of names. */
        const char *f = features[i];
        bool ok = strcmp(f, "avx2") == 0         ? __builtin_cpu_supports("avx2")
                  : strcmp(f, "fma") == 0        ? __builtin_cpu_supports("fma")
                  : strcmp(f, "avx512f") == 0    ? __builtin_cpu_supports("avx512f")
                  : strcmp(f, "avx512bw") == 0   ? __builtin_cpu_supports("avx512bw")
                  : strcmp(f, "avx512vl") == 0   ? __builtin_cpu_supports("avx512vl")
                  : strcmp(f, "avx512dq") == 0   ? __builtin_cpu_supports("avx512dq")
                  : strcmp(f, "avx512vnni") == 0 ? __builtin_cpu_supports("avx512vnni")
                                                 : false;
        if (!ok) return false;
    }
    return true;
#else
    return count == 0 || features[0] == NULL;
#endif
}
