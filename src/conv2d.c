/* conv2d.c — the full 2D engine, for masks that are not outer products (rotated anisotropic
 * Gaussians, the caller's masks), and the rank test that decides when a mask is one.
 *
 * Output row y is the sum, over the mask's rows r, of input row y + r - before_r (extended by
 * the border rule and kept in working form in a ring shared with filter.c) correlated with
 * mask row r. Each (r, c) tap adds a whole row at once, which the compiler vectorizes; the
 * order of the sums is fixed by the mask alone, so bands and threads never change a result. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

blur_error blur__conv2d_band(const blur__pipeline *pl, const blur__mask2d *mask, size_t y0,
                             size_t y1)
{
    const size_t ch = pl->channels, width = pl->src->width;
    const size_t row_len = width * ch;
    const bool fix = pl->border == BLUR_BORDER_CONSTANT && mask->constant_fix != 0.0;
    double *out = blur__alloc_array(row_len, sizeof *out);
    double *fix_x = fix ? blur__alloc_array(width, sizeof *fix_x) : NULL;
    if (!out || (fix && !fix_x)) {
        free(out);
        free(fix_x);
        return BLUR_ERR_NOMEM;
    }
    if (fix) {
        /* Per output column, the weight of the mask columns that fall beyond the edge. */
        for (size_t x = 0; x < width; x++) {
            double outside = 0.0;
            for (size_t c = 0; c < mask->cols; c++) {
                long xx = (long)x + (long)c - mask->before_c;
                if (xx < 0 || xx >= (long)width) outside += mask->wx[c];
            }
            fix_x[x] = outside * mask->constant_fix;
        }
    }
    blur__ring ring;
    blur_error err = blur__ring_init(&ring, pl, mask->rows, (size_t)mask->before_c,
                                     mask->cols - 1 - (size_t)mask->before_c);
    if (err) {
        free(out);
        free(fix_x);
        return err;
    }
    for (size_t y = y0; y < y1; y++) {
        memset(out, 0, row_len * sizeof *out);
        for (size_t r = 0; r < mask->rows; r++) {
            const double *line = blur__ring_get(&ring, (long)y + (long)r - mask->before_r);
            const double *w = mask->w + r * mask->cols;
            for (size_t c = 0; c < mask->cols; c++) {
                /* Zero taps (the corners of a truncated rotated mask) cost nothing. */
                if (w[c] == 0.0) continue;
                const double *in = line + c * ch;
                for (size_t i = 0; i < row_len; i++) out[i] += w[c] * in[i];
            }
        }
        if (fix)
            for (size_t x = 0; x < width; x++)
                for (size_t k = 0; k < ch; k++) out[x * ch + k] += fix_x[x] * pl->cval[k];
        blur__store_row(pl, out, y);
    }
    blur__ring_free(&ring);
    free(out);
    free(fix_x);
    return BLUR_OK;
}

bool blur__mask_factor(const blur__mask2d *mask, double *u, double *v)
{
    const size_t rows = mask->rows, cols = mask->cols;
    const double *m = mask->w;
    /* Pivot on the largest magnitude: u = its column, v = its row / pivot; then u v^T equals
     * the mask exactly on the pivot's row and column and must match it everywhere else. */
    size_t pr = 0, pc = 0;
    double peak = 0.0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            if (fabs(m[r * cols + c]) > peak) {
                peak = fabs(m[r * cols + c]);
                pr = r;
                pc = c;
            }
    if (peak == 0.0) {
        /* The zero mask is the outer product of zeros. */
        for (size_t r = 0; r < rows; r++) u[r] = 0.0;
        for (size_t c = 0; c < cols; c++) v[c] = 0.0;
        return true;
    }
    const double pivot = m[pr * cols + pc];
    for (size_t r = 0; r < rows; r++) u[r] = m[r * cols + pc];
    for (size_t c = 0; c < cols; c++) v[c] = m[pr * cols + c] / pivot;
    const double tol = 1e-12 * peak;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            if (fabs(m[r * cols + c] - u[r] * v[c]) > tol) return false;
    return true;
}
