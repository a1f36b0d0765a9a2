/* kernel.c — Gaussian masks. One table of methods; every method is an outer product of two
 * 1D masks, so a method is a 1D generator and the 2D mask follows from it.
 *
 * Each generator reproduces one published way of building the mask (scipy, numpy, an answer
 * people copy), including the flawed ones, so that the differences can be seen and measured.
 * A generator fills the un-normalized mask as its source computes it; normalization is
 * applied afterwards, the same for every method. */
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

/* A generator fills out[n] (n >= 1) with the un-normalized 1D mask of n cells for sigma
 * (pixels, finite, > 0). Only dirac can fail (BLUR_ERR_TOO_LARGE). */
typedef blur_error kernel_generator(size_t n, double sigma, double *out);

/* exp(-x²/2σ²) at the cell centres, centred at (n-1)/2: scipy's gaussian_filter mask. */
static blur_error gen_sampled(size_t n, double sigma, double *out)
{
    double centre = ((double)n - 1.0) / 2.0;
    for (size_t i = 0; i < n; i++) {
        double x = (double)i - centre;
        out[i] = exp(-0.5 * x * x / (sigma * sigma));
    }
    return BLUR_OK;
}

/* The double loop `x = i - size//2`: right for odd n, half a cell off-centre for even n. */
static blur_error gen_sampled_floor(size_t n, double sigma, double *out)
{
    double centre = (double)(n / 2);
    for (size_t i = 0; i < n; i++) {
        double x = (double)i - centre;
        out[i] = exp(-0.5 * x * x / (sigma * sigma));
    }
    return BLUR_OK;
}

/* P(a < Z < b) for a standard normal Z, a < b. A cell left of the centre is mirrored to the
 * right. Beyond one σ, differences of erfc keep their relative precision far into the tail,
 * where Φ(b) - Φ(a) would cancel to noise (and legacy-sqrt's square root would magnify it);
 * within one σ, differences of erf keep it when the cells are tiny beside σ, where erfc is
 * 1 - tiny and its differences would cancel to 0. */
static double normal_mass(double a, double b)
{
    if (b <= 0.0) {
        double t = a;
        a = -b;
        b = -t;
    }
    if (a >= 1.0) return 0.5 * (erfc(a * M_SQRT1_2) - erfc(b * M_SQRT1_2));
    return 0.5 * (erf(b * M_SQRT1_2) - erf(a * M_SQRT1_2));
}

/* Each cell's probability mass: cell i spans [i - n/2, i + 1 - n/2] pixels. This is the
 * gkern(kernlen, nsig) answer, x = linspace(-nsig, nsig, kernlen + 1), np.diff(norm.cdf(x)),
 * with nsig = n / (2σ). */
static blur_error gen_integrated(size_t n, double sigma, double *out)
{
    double half = (double)n / 2.0;
    for (size_t i = 0; i < n; i++)
        out[i] = normal_mass(((double)i - half) / sigma, ((double)i + 1.0 - half) / sigma);
    return BLUR_OK;
}

/* The formerly accepted gkern: interval = (2·nsig + 1)/n, edges
 * linspace(-nsig - interval/2, nsig + interval/2, n + 1) in σ units, CDF differences, then the
 * square root of the outer product — which is the outer product of the square roots, and the
 * square root of a Gaussian is a Gaussian √2 times wider. nsig = n / (2σ), as integrated. */
static blur_error gen_legacy_sqrt(size_t n, double sigma, double *out)
{
    double nn = (double)n;
    double nsig = nn / (2.0 * sigma);
    double interval = (2.0 * nsig + 1.0) / nn;
    double start = -nsig - interval / 2.0, stop = nsig + interval / 2.0;
    double step = (stop - start) / nn; /* numpy's linspace: start + i*step, last = stop */
    for (size_t i = 0; i < n; i++) {
        double a = start + (double)i * step;
        double b = i + 1 == n ? stop : start + (double)(i + 1) * step;
        out[i] = sqrt(normal_mass(a, b));
    }
    return BLUR_OK;
}

/* scipy.ndimage.gaussian_filter1d of a unit impulse at n/2 (numpy's centre, a[n//2] = 1) in
 * an n-cell array, mode reflect, truncate 4.0. The filter really runs, written as a scatter:
 * every position p in reach of the array whose reflected index is the impulse contributes
 * w(p - i) to out[i]. When 4σ does not fit in the array the reflected copies of the impulse
 * fold the tails back in. Visiting p in increasing order adds each out[i]'s terms in the same
 * order as scipy's correlation loop. */
static blur_error gen_dirac(size_t n, double sigma, double *out)
{
    long radius = blur_radius_for_sigma(sigma, 4.0);
    if (radius < 0 || radius > BLUR_MAX_RADIUS) return BLUR_ERR_TOO_LARGE;
    const double a = -0.5 / (sigma * sigma); /* scipy: exp(-0.5 / sigma2 * x ** 2) */
    double sum = 0.0;
    for (long k = -radius; k <= radius; k++) sum += exp(a * (double)k * (double)k);
    const long len = (long)n, centre = len / 2;
    for (long i = 0; i < len; i++) out[i] = 0.0;
    for (long p = -radius; p < len + radius; p++) {
        if (blur__border_index(BLUR_BORDER_REFLECT, p, len) != centre) continue;
        long lo = p - radius < 0 ? 0 : p - radius;
        long hi = p + radius >= len ? len - 1 : p + radius;
        for (long i = lo; i <= hi; i++) {
            double k = (double)(p - i);
            out[i] += exp(a * k * k) / sum;
        }
    }
    return BLUR_OK;
}

/* scipy.signal.windows.gaussian(n, std=σ): n = arange(0, M) - (M - 1)/2,
 * exp(-n**2 / (2·std·std)). The same numbers as sampled, peak 1 for odd n. */
static blur_error gen_window(size_t n, double sigma, double *out)
{
    double centre = ((double)n - 1.0) / 2.0, sig2 = 2.0 * sigma * sigma;
    for (size_t i = 0; i < n; i++) {
        double x = (double)i - centre;
        out[i] = exp(-(x * x) / sig2);
    }
    return BLUR_OK;
}

/* The generate_gaussian_mask(shape, sigma, sigma_y) answer: x = linspace(0, n, n) - n/2,
 * exp(-x²/2σ²). The n points span n cells' width over n - 1 gaps, so the grid spacing is
 * n/(n - 1) and the mask is narrower than σ says; for n = 1, x = -1/2. */
static blur_error gen_stretched(size_t n, double sigma, double *out)
{
    double nn = (double)n;
    double step = n > 1 ? nn / (nn - 1.0) : 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = (i + 1 == n && n > 1 ? nn : (double)i * step) - nn / 2.0;
        out[i] = exp(-(x * x) / (2.0 * sigma * sigma));
    }
    return BLUR_OK;
}

static const struct kernel_method_row {
    blur_kernel_method info;
    kernel_generator *generate;
} methods[] = {
    {{"sampled", "exp(-x^2/2s^2) at cell centres, centre (n-1)/2: scipy's mask", 0},
     gen_sampled},
    {{"sampled-floor", "the double-loop answer: centre int(n/2), even n half a cell off", 0},
     gen_sampled_floor},
    {{"integrated", "each cell's mass, CDF (erf) differences: gkern(n, nsig=n/2s)", 0},
     gen_integrated},
    {{"legacy-sqrt", "old gkern: sqrt of the outer product, too wide", 1},
     gen_legacy_sqrt},
    {{"dirac", "gaussian_filter of a centred impulse, reflect: tails fold back", 0},
     gen_dirac},
    {{"window", "scipy.signal.windows.gaussian(n, std=s): sampled, peak 1", 0},
     gen_window},
    {{"stretched", "generate_gaussian_mask: x = linspace(0,n,n)-n/2, step n/(n-1)", 0},
     gen_stretched},
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
    if ((unsigned)spec->normalize > BLUR_NORMALIZE_NONE) return BLUR_ERR_INVALID;
    blur_error err = axis_size(spec->rows, spec->sigma_y, spec->truncate, rows);
    if (!err) err = axis_size(spec->cols, spec->sigma_x, spec->truncate, cols);
    return err;
}

/* Every generator yields non-negative cells, so the sum and the peak are both positive unless
 * every cell underflowed to 0; then there is nothing to scale. */
static blur_error normalize(double *w, size_t n, blur_normalize how)
{
    if (how == BLUR_NORMALIZE_NONE) return BLUR_OK;
    double div = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (how == BLUR_NORMALIZE_SUM) div += w[i];
        else if (w[i] > div) div = w[i];
    }
    if (!(div > 0.0) || !isfinite(div)) return BLUR_ERR_UNSUPPORTED;
    for (size_t i = 0; i < n; i++) w[i] /= div;
    return BLUR_OK;
}

blur_error blur_kernel_1d(const blur_kernel_spec *spec, int axis, double *out, size_t n)
{
    size_t rows, cols;
    blur_error err = blur_kernel_shape(spec, &rows, &cols);
    if (err) return err;
    if ((axis != 0 && axis != 1) || !out || n != (axis == 0 ? rows : cols))
        return BLUR_ERR_INVALID;
    const double sigma = axis == 0 ? spec->sigma_y : spec->sigma_x;
    if (sigma * sigma == 0.0 && n % 2 == 1) {
        /* sigma^2 underflows (sigma below ~1e-162): every method's limit, one cell of 1 in the
         * middle, where the formulas would divide 0 by 0 there */
        for (size_t i = 0; i < n; i++) out[i] = i == n / 2 ? 1.0 : 0.0;
        return BLUR_OK;
    }
    err = find_method(spec->method)->generate(n, sigma, out);
    if (!err) err = normalize(out, n, spec->normalize);
    return err;
}

/* Both 1D masks of a spec, in new arrays the caller frees (also on failure). */
static blur_error both_masks(const blur_kernel_spec *spec, size_t rows, size_t cols,
                             double **col_mask, double **row_mask)
{
    *col_mask = blur__alloc_array(rows, sizeof **col_mask);
    *row_mask = blur__alloc_array(cols, sizeof **row_mask);
    if (!*col_mask || !*row_mask) return BLUR_ERR_NOMEM;
    blur_error err = blur_kernel_1d(spec, 0, *col_mask, rows);
    if (!err) err = blur_kernel_1d(spec, 1, *row_mask, cols);
    return err;
}

blur_error blur_kernel_2d(const blur_kernel_spec *spec, double *out, size_t n)
{
    size_t rows, cols, cells;
    blur_error err = blur_kernel_shape(spec, &rows, &cols);
    if (err) return err;
    if (!out || !blur__mul(rows, cols, &cells) || n != cells) return BLUR_ERR_INVALID;
    double *col_mask, *row_mask;
    /* Normalizing each factor normalizes the product: sums and peaks both multiply. */
    err = both_masks(spec, rows, cols, &col_mask, &row_mask);
    if (!err)
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < cols; c++) out[r * cols + c] = col_mask[r] * row_mask[c];
    free(col_mask);
    free(row_mask);
    return err;
}

/* Sum, peak and the standard deviation about the centroid of a non-negative 1D mask, in two
 * passes (mean first) so the variance does not cancel. */
static void moments(const double *w, size_t n, double *sum, double *peak, double *sd)
{
    double s = 0.0, m = 0.0, v = 0.0, p = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        m += (double)i * w[i];
        if (w[i] > p) p = w[i];
    }
    m /= s;
    for (size_t i = 0; i < n; i++) v += ((double)i - m) * ((double)i - m) * w[i];
    *sum = s;
    *peak = p;
    *sd = sqrt(v / s);
}

/* max over the cells of |a[r]·b[c] - ia[r]·ib[c]|. */
static double max_outer_diff(const double *a, const double *b, const double *ia,
                             const double *ib, size_t rows, size_t cols)
{
    double worst = 0.0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            double d = fabs(a[r] * b[c] - ia[r] * ib[c]);
            if (d > worst) worst = d;
        }
    return worst;
}

blur_error blur_kernel_measure(const blur_kernel_spec *spec, blur_kernel_report *report)
{
    size_t rows, cols;
    if (!report) return BLUR_ERR_INVALID;
    blur_error err = blur_kernel_shape(spec, &rows, &cols);
    if (err) return err;
    blur_kernel_spec ref = *spec;
    ref.method = "integrated";
    double *col_mask, *row_mask, *ref_col = NULL, *ref_row = NULL;
    err = both_masks(spec, rows, cols, &col_mask, &row_mask);
    if (!err) err = both_masks(&ref, rows, cols, &ref_col, &ref_row);
    if (!err) {
        double sum_y, sum_x, peak_y, peak_x;
        moments(col_mask, rows, &sum_y, &peak_y, &report->sigma_y);
        moments(row_mask, cols, &sum_x, &peak_x, &report->sigma_x);
        report->sum = sum_y * sum_x;
        report->peak = peak_y * peak_x;
        report->max_diff_integrated =
            max_outer_diff(col_mask, row_mask, ref_col, ref_row, rows, cols);
    }
    free(col_mask);
    free(row_mask);
    free(ref_col);
    free(ref_row);
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
