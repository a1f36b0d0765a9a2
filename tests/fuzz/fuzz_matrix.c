/* fuzz_matrix.c — libFuzzer target: any bytes through blur_matrix_parse (.npy by its magic,
 * else CSV), as `blur kernel`/`blur rbf` read a file. A success must be a consistent matrix of
 * finite values. */
#include "blur.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    blur_matrix m;
    size_t where;
    blur_error err = blur_matrix_parse(data, size, &m, &where);
    if (err == BLUR_OK) {
        if (!m.data || !m.rows || !m.cols || m.rows * m.cols > BLUR_MATRIX_MAX_CELLS) abort();
        for (size_t i = 0; i < m.rows * m.cols; i++)
            if (!isfinite(m.data[i])) abort();
    } else if (m.data) {
        abort(); /* a failed parse must leave nothing behind */
    }
    blur_matrix_free(&m);
    return 0;
}
