/* kernel.c — Gaussian masks. One table of methods; every method is an outer product of two
 * 1D masks, so a method is a 1D generator and the 2D mask follows from it. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void blur__gaussian_sampled_1d(double sigma, long radius, double *w)
{
    double sum = 0.0;
    for (long k = -radius; k <= radius; k++) {
        double x = (double)k;
        w[k + radius] = exp(-0.5 * x * x / (sigma * sigma));
        sum += w[k + radius];
    }
    for (long k = 0; k <= 2 * radius; k++) w[k] /= sum;
}

/* A generator fills out[n] with the un-normalized 1D mask of n cells for sigma (pixels). */
typedef void kernel_generator(size_t n, double sigma, double *out);

/* exp(-x²/2σ²) at the cell centres, centred at (n-1)/2: scipy's gaussian_filter mask. */
static void gen_sampled(size_t n, double sigma, double *out)
{
    double centre = ((double)n - 1.0) / 2.0;
    for (size_t i = 0; i < n; i++) {
        double x = (double)i - centre;
        out[i] = exp(-0.5 * x * x / (sigma * sigma));
    }
}

static const struct kernel_method_row {
    blur_kernel_method info;
    kernel_generator *generate;
} methods[] = {
    {{"sampled", "exp(-x^2/2s^2) at cell centres, centre (n-1)/2; scipy's gaussian_filter mask",
      0},
     gen_sampled},
};
enum { METHOD_COUNT = sizeof methods / sizeof methods[0] };

size_t blur_kernel_method_count(void) { return METHOD_COUNT; }

const blur_kernel_method *blur_kernel_method_at(size_t i)
{
    return i < METHOD_COUNT ? &methods[i].info : NULL;
}

static const struct kernel_method_row *find_method(const char *name)
{
    if (!name) return &methods[0];
    for (size_t i = 0; i < METHOD_COUNT; i++)
        if (strcmp(methods[i].info.name, name) == 0) return &methods[i];
    return NULL;
}

static blur_error axis_size(size_t given, double sigma, double truncate, size_t *n)
{
    if (!isfinite(sigma) || sigma <= 0.0) return BLUR_ERR_INVALID;
    if (given) {
        *n = given;
    } else {
        if (!isfinite(truncate) || truncate <= 0.0) return BLUR_ERR_INVALID;
        double r = truncate * sigma + 0.5;
        if (r > BLUR_KERNEL_MAX_SIZE) return BLUR_ERR_INVALID;
        *n = 2 * (size_t)r + 1;
    }
    return *n <= BLUR_KERNEL_MAX_SIZE ? BLUR_OK : BLUR_ERR_INVALID;
}

blur_error blur_kernel_shape(const blur_kernel_spec *spec, size_t *rows, size_t *cols)
{
    if (!spec || !rows || !cols) return BLUR_ERR_INVALID;
    if (!find_method(spec->method)) return BLUR_ERR_UNKNOWN_NAME;
    blur_error err = axis_size(spec->rows, spec->sigma_y, spec->truncate, rows);
    if (!err) err = axis_size(spec->cols, spec->sigma_x, spec->truncate, cols);
    return err;
}

static void normalize(double *w, size_t n, blur_normalize how)
{
    double div = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (how == BLUR_NORMALIZE_SUM) div += w[i];
        else if (w[i] > div) div = w[i];
    }
    if (how == BLUR_NORMALIZE_NONE || div == 0.0) return;
    for (size_t i = 0; i < n; i++) w[i] /= div;
}

blur_error blur_kernel_1d(const blur_kernel_spec *spec, int axis, double *out, size_t n)
{
    size_t rows, cols;
    blur_error err = blur_kernel_shape(spec, &rows, &cols);
    if (err) return err;
    if ((axis != 0 && axis != 1) || !out || n != (axis == 0 ? rows : cols))
        return BLUR_ERR_INVALID;
    find_method(spec->method)->generate(n, axis == 0 ? spec->sigma_y : spec->sigma_x, out);
    normalize(out, n, spec->normalize);
    return BLUR_OK;
}

blur_error blur_kernel_2d(const blur_kernel_spec *spec, double *out, size_t n)
{
    size_t rows, cols, cells;
    blur_error err = blur_kernel_shape(spec, &rows, &cols);
    if (err) return err;
    if (!out || !blur__mul(rows, cols, &cells) || n != cells) return BLUR_ERR_INVALID;
    double *col_mask = blur__alloc_array(rows, sizeof *col_mask);
    double *row_mask = blur__alloc_array(cols, sizeof *row_mask);
    if (!col_mask || !row_mask) {
        err = BLUR_ERR_NOMEM;
        goto done;
    }
    /* Normalizing each factor normalizes the product: sums and peaks both multiply. */
    blur_kernel_1d(spec, 0, col_mask, rows);
    blur_kernel_1d(spec, 1, row_mask, cols);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) out[r * cols + c] = col_mask[r] * row_mask[c];
done:
    free(col_mask);
    free(row_mask);
    return err;
}

/* scipy.ndimage's _gaussian_kernel1d: the derivative of order n of the normalized sampled
 * Gaussian is q(x) phi(x) with q(x) = 1, -x/s², (x²/s² - 1)/s² for n = 0, 1, 2. */
void blur__gaussian_order_1d(double sigma, int order, long radius, double *w)
{
    const double s2 = sigma * sigma;
    blur__gaussian_sampled_1d(sigma, radius, w);
    for (long k = -radius; k <= radius; k++) {
        double x = (double)k;
        double q = order == 1 ? -x / s2 : order == 2 ? (x * x / s2 - 1.0) / s2 : 1.0;
        w[k + radius] *= q;
    }
}

void blur__gaussian_rotated(double sigma_x, double sigma_y, double angle, long rx, long ry,
                            double *w)
{
    /* Counter-clockwise on screen, where y points down: the u axis is (cos a, -sin a). */
    const double a = angle * (3.14159265358979323846 / 180.0);
    const double ca = cos(a), sa = sin(a);
    const size_t cols = 2 * (size_t)rx + 1, rows = 2 * (size_t)ry + 1;
    double sum = 0.0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            double dx = (double)c - (double)rx, dy = (double)r - (double)ry;
            double u = dx * ca - dy * sa, v = dx * sa + dy * ca;
            double e = exp(-0.5 * (u * u / (sigma_x * sigma_x) + v * v / (sigma_y * sigma_y)));
            w[r * cols + c] = e;
            sum += e;
        }
    }
    for (size_t i = 0; i < rows * cols; i++) w[i] /= sum;
}
