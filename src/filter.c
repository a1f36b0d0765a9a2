/* filter.c — the plan: the mask and border handling prepared once, then the separable or the
 * full 2D engine run over bands of rows on several threads.
 *
 * The exact separable engine works a row at a time, vertical pass first: output row y is the
 * weighted sum of the input rows around y (kept converted to working form in a ring of
 * mask-height rows, so each input row is converted about once), then that row is extended at
 * both ends by the border rule and filtered horizontally. No full-size intermediate image is
 * made, so memory is a few rows per thread whatever the image size. The full 2D engine
 * (conv2d.c) shares the ring and the pixel transforms.
 *
 * Every mask is stored for correlation (out[i] = sum_k w[k] in[i + k - before]); convolution
 * masks (scipy's gaussian_filter1d, scipy.ndimage.convolve) are flipped when the plan is made.
 * A band's result depends only on the rows it reads, never on where the band starts, so any
 * thread count gives the same bytes. */
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One axis of the separable filter: out[i] = sum_k w[k] * in[i + k - before]. */
typedef struct axis_filter {
    size_t taps;
    long before;
    double *w;
} axis_filter;

struct blur_plan {
    blur_options opt;      /* kernel and method pointers cleared: the plan owns its masks */
    bool full2d;           /* run conv2d.c with mask, else the separable axes */
    bool is_signed;        /* derivatives and zero-sum masks: see blur_options */
    bool identity;         /* changes nothing: a plain copy, no transforms */
    double hpad;           /* constant mode: the horizontal pass pads with cval * hpad: 1 for
                              gaussian_filter (each pass pads with cval), sum(u) for a 2D mask
                              factored as u v^T (its rows beyond the edge all hold cval) */
    axis_filter axis[2];   /* 0: along columns (vertical, sigma_y); 1: along rows (sigma_x) */
    blur__mask2d mask;     /* the whole mask, when full2d */
    blur__fir *fir;        /* the fast path (fir.c) for a plain blur in AUTO mode, else NULL */
    blur__decim *decim;    /* the decimated path (decim.c) for large sigma in AUTO, else NULL */
};

long blur_radius_for_sigma(double sigma, double truncate)
{
    double r = truncate * sigma + 0.5;
    if (!(r >= 0.0)) return -1;
    return r > (double)LONG_MAX / 4 ? LONG_MAX / 4 : (long)r;
}

static bool is_sampled(const char *method) { return !method || strcmp(method, "sampled") == 0; }

/* The 1D Gaussian (or its derivative) of one axis, as gaussian_filter1d applies it. */
static blur_error axis_prepare(const blur_options *opt, int axis, axis_filter *f)
{
    double sigma = axis == 0 ? opt->sigma_y : opt->sigma_x;
    long radius = axis == 0 ? opt->radius_y : opt->radius_x;
    int order = axis == 0 ? opt->order_y : opt->order_x;
    if (sigma == 0.0 && order != 0) return BLUR_ERR_INVALID;
    if (sigma == 0.0) radius = 0;
    else if (radius == 0) radius = blur_radius_for_sigma(sigma, opt->truncate);
    if (radius > BLUR_MAX_RADIUS) return BLUR_ERR_TOO_LARGE;
    if (order != 0 && !is_sampled(opt->method)) return BLUR_ERR_UNSUPPORTED;
    f->taps = 2 * (size_t)radius + 1;
    f->before = radius;
    f->w = blur__alloc_array(f->taps, sizeof *f->w);
    if (!f->w) return BLUR_ERR_NOMEM;
    if (radius == 0 && order == 0) {
        f->w[0] = 1.0;
        return BLUR_OK;
    }
    if (order != 0) { /* also at radius 0, as scipy: order 1 gives 0 there, order 2 -1/sigma^2 */
        /* gaussian_filter1d correlates with the reversed weights: a convolution. Only order 1
         * is odd, so only it changes. */
        blur__gaussian_order_1d(sigma, order, radius, f->w);
        for (size_t i = 0, j = f->taps - 1; i < j; i++, j--) {
            double t = f->w[i];
            f->w[i] = f->w[j];
            f->w[j] = t;
        }
        return BLUR_OK;
    }
    blur_kernel_spec spec = BLUR_KERNEL_SPEC_INIT;
    spec.method = opt->method;
    spec.sigma_x = spec.sigma_y = sigma;
    spec.rows = spec.cols = f->taps;
    return blur_kernel_1d(&spec, axis, f->w, f->taps);
}

static blur_error axis_from(axis_filter *f, const double *w, size_t taps, long before)
{
    f->w = blur__alloc_array(taps, sizeof *f->w);
    if (!f->w) return BLUR_ERR_NOMEM;
    memcpy(f->w, w, taps * sizeof *w);
    f->taps = taps;
    f->before = before;
    return BLUR_OK;
}

/* The caller's mask, flipped for convolution; its origin as scipy's with origin=0. */
static blur_error mask_from_kernel(const blur_options *opt, blur__mask2d *m)
{
    const blur_matrix *k = opt->kernel;
    if (!k->data || !k->rows || !k->cols) return BLUR_ERR_INVALID;
    if (k->rows > 2 * (size_t)BLUR_MAX_RADIUS + 1 || k->cols > 2 * (size_t)BLUR_MAX_RADIUS + 1)
        return BLUR_ERR_TOO_LARGE;
    size_t cells = k->rows * k->cols;
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(k->data[i])) return BLUR_ERR_INVALID;
    m->w = blur__alloc_array(cells, sizeof *m->w);
    if (!m->w) return BLUR_ERR_NOMEM;
    m->rows = k->rows;
    m->cols = k->cols;
    if (opt->correlate) {
        memcpy(m->w, k->data, cells * sizeof *m->w);
        m->before_r = (long)(k->rows / 2);
        m->before_c = (long)(k->cols / 2);
    } else {
        for (size_t i = 0; i < cells; i++) m->w[i] = k->data[cells - 1 - i];
        m->before_r = (long)((k->rows - 1) / 2);
        m->before_c = (long)((k->cols - 1) / 2);
    }
    return BLUR_OK;
}

static long rotated_radius(double along, double across, double c, double s, double truncate)
{
    return blur_radius_for_sigma(sqrt(along * along * c * c + across * across * s * s), truncate);
}

static blur_error mask_rotated(const blur_options *opt, blur__mask2d *m)
{
    if (!(opt->sigma_x > 0.0) || !(opt->sigma_y > 0.0) || opt->order_x || opt->order_y)
        return BLUR_ERR_INVALID;
    if (!is_sampled(opt->method)) return BLUR_ERR_UNSUPPORTED;
    double a = opt->angle * (3.14159265358979323846 / 180.0), c = cos(a), s = sin(a);
    long rx = opt->radius_x ? opt->radius_x
                            : rotated_radius(opt->sigma_x, opt->sigma_y, c, s, opt->truncate);
    long ry = opt->radius_y ? opt->radius_y
                            : rotated_radius(opt->sigma_x, opt->sigma_y, s, c, opt->truncate);
    if (rx > BLUR_MAX_RADIUS || ry > BLUR_MAX_RADIUS) return BLUR_ERR_TOO_LARGE;
    m->rows = 2 * (size_t)ry + 1;
    m->cols = 2 * (size_t)rx + 1;
    m->before_r = ry;
    m->before_c = rx;
    m->w = blur__alloc_array(m->rows, m->cols * sizeof *m->w);
    if (!m->w) return BLUR_ERR_NOMEM;
    blur__gaussian_rotated(opt->sigma_x, opt->sigma_y, opt->angle, rx, ry, m->w);
    return BLUR_OK;
}

/* The outer product of the separable axes, for BLUR_ENGINE_2D. */
static blur_error mask_from_axes(const axis_filter axis[2], blur__mask2d *m)
{
    m->rows = axis[0].taps;
    m->cols = axis[1].taps;
    m->before_r = axis[0].before;
    m->before_c = axis[1].before;
    m->w = blur__alloc_array(m->rows, m->cols * sizeof *m->w);
    if (!m->w) return BLUR_ERR_NOMEM;
    double sum_y = 0.0;
    for (size_t r = 0; r < m->rows; r++) {
        sum_y += axis[0].w[r];
        for (size_t c = 0; c < m->cols; c++) m->w[r * m->cols + c] = axis[0].w[r] * axis[1].w[c];
    }
    m->constant_fix = 1.0 - sum_y;
    m->wx = axis[1].w;
    return BLUR_OK;
}

static bool sums_to_zero(const double *w, size_t n)
{
    double sum = 0.0, mag = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += w[i];
        mag += fabs(w[i]);
    }
    return fabs(sum) <= 1e-9 * mag;
}

static blur_error check_options(const blur_options *opt)
{
    if (!isfinite(opt->truncate) || opt->truncate <= 0.0 || !isfinite(opt->cval) ||
        (unsigned)opt->border >= BLUR_BORDER_COUNT_ || (unsigned)opt->engine > BLUR_ENGINE_2D ||
        (unsigned)opt->alpha > BLUR_ALPHA_SEPARATE || !isfinite(opt->sigma_x) ||
        !isfinite(opt->sigma_y) || opt->sigma_x < 0.0 || opt->sigma_y < 0.0 ||
        opt->radius_x < 0 || opt->radius_y < 0 || opt->order_x < 0 || opt->order_x > 2 ||
        opt->order_y < 0 || opt->order_y > 2 || !isfinite(opt->angle) || !isfinite(opt->scale))
        return BLUR_ERR_INVALID;
    if (opt->kernel && (opt->order_x || opt->order_y || opt->angle != 0.0 ||
                        opt->sigma_x != 0.0 || opt->sigma_y != 0.0))
        return BLUR_ERR_INVALID; /* the mask is the caller's: a sigma would be ignored */
    return BLUR_OK;
}

/* Makes the plan's mask: separable axes, or a 2D mask that the rank test may factor. */
static blur_error plan_masks(const blur_options *opt, blur_plan *p)
{
    blur_error err;
    if (opt->kernel || opt->angle != 0.0) {
        err = opt->kernel ? mask_from_kernel(opt, &p->mask) : mask_rotated(opt, &p->mask);
        if (err) return err;
        p->is_signed = opt->kernel && sums_to_zero(p->mask.w, p->mask.rows * p->mask.cols);
        if (opt->engine == BLUR_ENGINE_2D) {
            p->full2d = true;
            return BLUR_OK;
        }
        double *u = blur__alloc_array(p->mask.rows, sizeof *u);
        double *v = blur__alloc_array(p->mask.cols, sizeof *v);
        if (!u || !v) {
            err = BLUR_ERR_NOMEM;
        } else if (blur__mask_factor(&p->mask, u, v)) {
            /* The factors come scaled by their largest value; the column one is made to sum
             * to 1 where it can, so that a normalized mask gives two normalized axes (what the
             * fast path takes: axis_normalized) and hpad is 1. */
            double sum = 0.0;
            for (size_t r = 0; r < p->mask.rows; r++) sum += u[r];
            if (isfinite(sum) && sum != 0.0) {
                for (size_t r = 0; r < p->mask.rows; r++) u[r] /= sum;
                for (size_t c = 0; c < p->mask.cols; c++) v[c] *= sum;
            }
            for (size_t r = 0; r < p->mask.rows; r++) p->hpad += u[r];
            err = axis_from(&p->axis[0], u, p->mask.rows, p->mask.before_r);
            if (!err) err = axis_from(&p->axis[1], v, p->mask.cols, p->mask.before_c);
            free(p->mask.w);
            p->mask.w = NULL;
        } else if (opt->engine == BLUR_ENGINE_SEPARABLE) {
            err = BLUR_ERR_NOT_SEPARABLE;
        } else {
            p->full2d = true;
        }
        free(u);
        free(v);
        return err;
    }
    err = axis_prepare(opt, 0, &p->axis[0]);
    if (!err) err = axis_prepare(opt, 1, &p->axis[1]);
    if (err) return err;
    p->hpad = 1.0;
    p->is_signed = opt->order_x || opt->order_y;
    p->identity = p->axis[0].taps == 1 && p->axis[1].taps == 1 && !p->is_signed;
    if (opt->engine == BLUR_ENGINE_2D && !p->identity) {
        p->full2d = true;
        return mask_from_axes(p->axis, &p->mask);
    }
    return BLUR_OK;
}

/* A blur's axis: weights of at least 0 that sum to 1 (to rounding), as fir.c's integer taps
 * assume (they are made to sum exactly to their scale). */
static bool axis_normalized(const axis_filter *a)
{
    double sum = 0.0;
    for (size_t i = 0; i < a->taps; i++) {
        if (!(a->w[i] >= 0.0)) return false;
        sum += a->w[i];
    }
    return fabs(sum - 1.0) <= 1e-9;
}

/* The fast paths (fir.c, decim.c) do a plain blur of integer samples: AUTO, the sampled mask,
 * separable into two normalized axes (a caller's mask or a rotated Gaussian can be too),
 * unsigned, no linear light, and for the constant border only gaussian_filter's per-pass
 * padding. Premultiplied alpha depends on the image: see fast_path_takes. */
static bool fast_path_fits(const blur_options *opt, const blur_plan *p)
{
    return opt->engine == BLUR_ENGINE_AUTO && is_sampled(opt->method) && !p->full2d &&
           !p->is_signed && !p->identity && !opt->linear &&
           axis_normalized(&p->axis[0]) && axis_normalized(&p->axis[1]) &&
           (opt->border != BLUR_BORDER_CONSTANT || p->hpad == 1.0);
}

blur_error blur_plan_create(const blur_options *opt, blur_plan **plan)
{
    if (!plan) return BLUR_ERR_INVALID;
    *plan = NULL;
    if (!opt) return BLUR_ERR_INVALID;
    blur_error err = check_options(opt);
    if (err) return err;
    blur_plan *p = calloc(1, sizeof *p);
    if (!p) return BLUR_ERR_NOMEM;
    p->opt = *opt;
    p->opt.method = NULL; /* the caller's string and kernel need not outlive the plan */
    p->opt.kernel = NULL;
    err = plan_masks(opt, p);
    if (!err && p->is_signed && opt->linear) err = BLUR_ERR_INVALID;
    if (!err && fast_path_fits(opt, p))
        err = blur__fir_create(p->axis[0].w, p->axis[0].taps, p->axis[1].w, p->axis[1].taps,
                               opt->border, opt->cval, &p->fir);
    /* The decimated filter fits scipy's cut by a smooth edge, which holds while the kernel is
     * tiny there: only for scipy's truncate or wider, never for an explicit radius. And only
     * for the Gaussian of sigma_x and sigma_y: not a caller's mask, nor a rotated one. */
    if (!err && p->fir && !opt->kernel && opt->angle == 0.0 &&
        blur__decim_takes_sigma(opt->sigma_x) &&
        blur__decim_takes_sigma(opt->sigma_y) && !opt->radius_x && !opt->radius_y &&
        opt->truncate >= 4.0) {
        err = blur__decim_create(opt->sigma_x, opt->sigma_y, (long)(p->axis[1].taps / 2),
                                 (long)(p->axis[0].taps / 2), opt->border, opt->cval, &p->decim);
        if (err == BLUR_ERR_UNSUPPORTED) err = BLUR_OK; /* the FIR gives the same result */
    }
    if (err) {
        blur_plan_free(p);
        return err;
    }
    *plan = p;
    return BLUR_OK;
}

void blur_plan_free(blur_plan *plan)
{
    if (!plan) return;
    blur__fir_free(plan->fir);
    blur__decim_free(plan->decim);
    free(plan->axis[0].w);
    free(plan->axis[1].w);
    free(plan->mask.w);
    free(plan);
}

int blur_plan_is_2d(const blur_plan *plan) { return plan && plan->full2d; }

int blur_plan_is_signed(const blur_plan *plan) { return plan && plan->is_signed; }

/* Correlation mask w with origin b on an axis of n cells -> the convolve mask: out[i] =
 * sum_j k[j] in[i + m/2 - j] with j = m/2 + b - i_w, m = n, or n + 1 (a leading zero) when
 * correlate's origin on an even side has no convolve twin of the same size. */
static size_t convolve_size(size_t n, long before)
{
    return (n % 2 == 0 && before != (long)((n - 1) / 2)) ? n + 1 : n;
}

blur_error blur_plan_mask(const blur_plan *plan, blur_matrix *m)
{
    if (!plan || !m) return BLUR_ERR_INVALID;
    memset(m, 0, sizeof *m);
    blur__mask2d tmp = plan->mask;
    blur_error err = BLUR_OK;
    if (!plan->full2d && (err = mask_from_axes(plan->axis, &tmp)) != BLUR_OK) return err;
    size_t rows = convolve_size(tmp.rows, tmp.before_r);
    size_t cols = convolve_size(tmp.cols, tmp.before_c);
    size_t cells;
    if (!blur__mul(rows, cols, &cells)) {
        err = BLUR_ERR_OVERFLOW;
        goto done;
    }
    m->data = calloc(cells ? cells : 1, sizeof *m->data);
    if (!m->data) {
        err = BLUR_ERR_NOMEM;
        goto done;
    }
    m->rows = rows;
    m->cols = cols;
    for (size_t r = 0; r < tmp.rows; r++) {
        size_t jr = rows / 2 + (size_t)tmp.before_r - r;
        for (size_t c = 0; c < tmp.cols; c++) {
            size_t jc = cols / 2 + (size_t)tmp.before_c - c;
            m->data[jr * cols + jc] = tmp.w[r * tmp.cols + c];
        }
    }
done:
    if (!plan->full2d) free(tmp.w);
    return err;
}

/* ---- what the engines share: rows in working form ---- */

static void fill_pixels(double *row, size_t pixels, const double *pixel, size_t channels)
{
    for (size_t p = 0; p < pixels; p++) memcpy(row + p * channels, pixel, channels * sizeof *row);
}

/* Input row j (any integer) in working form, by the border rule. */
static void load_row(const blur__pipeline *pl, long j, double *line)
{
    const blur_image *src = pl->src;
    long m = blur__border_index(pl->border, j, (long)src->height);
    if (m < 0) {
        fill_pixels(line, src->width, pl->cval, pl->channels);
        return;
    }
    blur__load_samples(pl->row_at(pl->rows, (size_t)m), src->depth, src->width * pl->channels,
                       line);
    blur__pixels_to_working(line, src->width, src->channels, src->depth, pl->flags);
}

void blur__extend_row(const blur__pipeline *pl, const double *row, long before, size_t taps,
                      const double *cval, double *ext)
{
    const size_t ch = pl->channels;
    const long width = (long)pl->src->width;
    for (size_t p = 0; p < pl->src->width + taps - 1; p++) {
        long m = blur__border_index(pl->border, (long)p - before, width);
        memcpy(ext + p * ch, m < 0 ? cval : row + (size_t)m * ch, ch * sizeof *ext);
    }
}

void blur__store_row(const blur__pipeline *pl, double *row, size_t y)
{
    const blur_image *dst = pl->dst;
    blur__pixels_from_working(row, dst->width, dst->channels, dst->depth, pl->flags, pl->scale);
    blur__store_samples(row, dst->width * pl->channels, dst->depth,
                        pl->out + (y - pl->out_y0) * pl->out_stride);
}

blur_error blur__ring_init(blur__ring *ring, const blur__pipeline *pl, size_t slots,
                           size_t pad_before, size_t pad_after)
{
    memset(ring, 0, sizeof *ring);
    ring->pl = pl;
    ring->slots = slots;
    ring->pad_before = pad_before;
    ring->pad_after = pad_after;
    size_t pixels = pl->src->width + pad_before + pad_after;
    if (!blur__mul(pixels, pl->channels, &ring->len)) return BLUR_ERR_OVERFLOW;
    ring->data = blur__alloc_array(slots, ring->len * sizeof(double));
    ring->row = blur__alloc_array(slots, sizeof *ring->row);
    if (pad_before || pad_after)
        ring->tmp = blur__alloc_array(pl->src->width * pl->channels, sizeof(double));
    if (!ring->data || !ring->row || ((pad_before || pad_after) && !ring->tmp)) {
        blur__ring_free(ring);
        return BLUR_ERR_NOMEM;
    }
    for (size_t k = 0; k < slots; k++) ring->row[k] = LONG_MIN;
    return BLUR_OK;
}

const double *blur__ring_get(blur__ring *ring, long j)
{
    long n = (long)ring->slots;
    size_t slot = (size_t)(((j % n) + n) % n);
    double *line = ring->data + slot * ring->len;
    if (ring->row[slot] != j) {
        if (ring->tmp) {
            load_row(ring->pl, j, ring->tmp);
            blur__extend_row(ring->pl, ring->tmp, (long)ring->pad_before,
                             ring->pad_before + ring->pad_after + 1, ring->pl->cval, line);
        } else {
            load_row(ring->pl, j, line);
        }
        ring->row[slot] = j;
    }
    return line;
}

void blur__ring_free(blur__ring *ring)
{
    free(ring->data);
    free(ring->tmp);
    free(ring->row);
    memset(ring, 0, sizeof *ring);
}

/* ---- the exact separable engine ---- */

typedef struct band_job {
    const blur_plan *plan;
    const blur__pipeline *pl;
    size_t y0, y1;
    blur_error err;
    blur__chunks *rows; /* threads: bands of rows taken from here, */
    size_t first;       /* counted from this row */
} band_job;

/* Output rows y0..y1 of the separable filter, in double precision. */
static blur_error exact_band(const blur_plan *plan, const blur__pipeline *pl, size_t y0,
                             size_t y1)
{
    const axis_filter *fy = &plan->axis[0], *fx = &plan->axis[1];
    const size_t row_len = pl->src->width * pl->channels;
    blur_error err;
    blur__ring ring;
    double *vrow = blur__alloc_array(row_len, sizeof(double));
    double *ext = blur__alloc_array(row_len + (fx->taps - 1) * pl->channels, sizeof(double));
    double *out = blur__alloc_array(row_len, sizeof(double));
    if (!vrow || !ext || !out) {
        err = BLUR_ERR_NOMEM;
        goto done_rows;
    }
    err = blur__ring_init(&ring, pl, fy->taps, 0, 0);
    if (err) goto done_rows;

    for (size_t y = y0; y < y1; y++) {
        /* Vertical: the weighted sum of the input rows around y. */
        memset(vrow, 0, row_len * sizeof *vrow);
        for (size_t k = 0; k < fy->taps; k++) {
            const double *line = blur__ring_get(&ring, (long)y + (long)k - fy->before);
            double w = fy->w[k];
            for (size_t i = 0; i < row_len; i++) vrow[i] += w * line[i];
        }
        /* Horizontal: extend the row by the border rule, then correlate. */
        blur__extend_row(pl, vrow, fx->before, fx->taps, pl->hcval, ext);
        for (size_t i = 0; i < row_len; i++) {
            double sum = 0.0;
            for (size_t k = 0; k < fx->taps; k++) sum += fx->w[k] * ext[i + k * pl->channels];
            out[i] = sum;
        }
        blur__store_row(pl, out, y);
    }
    blur__ring_free(&ring);
done_rows:
    free(vrow);
    free(ext);
    free(out);
    return err;
}

/* Whether the fast path takes this image: its depth, and 8-bit if alpha is premultiplied. */
static bool fast_path_takes(const blur_plan *plan, const blur__pipeline *pl)
{
    return blur__fir_accepts(plan->fir, pl->src, blur__premultiplies(pl->flags, pl->channels));
}

/* Whether the decimated filter takes this image: what the fast path takes (the same constant
 * rule), without premultiplied alpha. The one test for blur_plan_run and for streaming. */
static bool decimated_path_takes(const blur_plan *plan, const blur_image *shape, unsigned flags)
{
    return blur__decim_accepts(plan->decim, shape) && blur__fir_accepts(plan->fir, shape, false) &&
           !blur__premultiplies(flags, (size_t)shape->channels);
}

/* One band of rows, by whichever engine the plan chose. */
static void run_band(band_job *job)
{
    if (job->plan->full2d)
        job->err = blur__conv2d_band(job->pl, &job->plan->mask, job->y0, job->y1);
    else if (fast_path_takes(job->plan, job->pl))
        job->err = blur__fir_band(job->plan->fir, job->pl, job->y0, job->y1);
    else
        job->err = exact_band(job->plan, job->pl, job->y0, job->y1);
}

/* Bands taken from the shared rows until none is left (or one fails). */
static void *band_thread(void *arg)
{
    band_job *job = arg;
    while (!job->err && blur__chunks_take(job->rows, &job->y0, &job->y1)) {
        job->y0 += job->first;
        job->y1 += job->first;
        run_band(job);
    }
    return NULL;
}

void blur__chunks_init(blur__chunks *chunks, size_t units, unsigned threads, size_t per_thread,
                       size_t least, size_t grain)
{
    const size_t parts = threads > 1 ? per_thread * threads : 1;
    size_t size = (units + parts - 1) / parts;
    if (size < least) size = least;
    if (grain == 0) grain = 1;
    size = size < grain ? grain : (size + grain - 1) / grain * grain;
    atomic_init(&chunks->next, 0);
    chunks->units = units;
    chunks->size = size;
}

bool blur__chunks_take(blur__chunks *chunks, size_t *first, size_t *last)
{
    size_t k = atomic_fetch_add_explicit(&chunks->next, 1, memory_order_relaxed);
    if (k >= (chunks->units + chunks->size - 1) / chunks->size) return false;
    *first = k * chunks->size;
    *last = chunks->units - *first < chunks->size ? chunks->units : *first + chunks->size;
    return true;
}

void blur__run_parallel(void *(*work)(void *), void *jobs, size_t job_size, unsigned count)
{
    pthread_t tids[256];
    if (count > 256) count = 256;
    unsigned started = 1;
    for (unsigned t = 1; t < count; t++, started++)
        if (pthread_create(&tids[t], NULL, work, (char *)jobs + t * job_size) != 0) break;
    /* Jobs whose thread could not start run here: same result, less parallel. */
    for (unsigned t = started; t < count; t++) work((char *)jobs + t * job_size);
    if (count) work(jobs);
    for (unsigned t = 1; t < started; t++) pthread_join(tids[t], NULL);
}

unsigned blur__worker_threads(unsigned wanted)
{
    if (wanted == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        wanted = cores > 0 ? (unsigned)cores : 1;
    }
    return wanted > 256 ? 256 : wanted;
}

static unsigned thread_count(unsigned wanted, size_t height)
{
    wanted = blur__worker_threads(wanted);
    if (wanted > height) wanted = (unsigned)height;
    return wanted ? wanted : 1;
}

static bool images_overlap(const blur_image *a, const blur_image *b)
{
    const char *a0 = a->data, *a1 = a0 + a->stride * a->height;
    const char *b0 = b->data, *b1 = b0 + b->stride * b->height;
    return a0 < b1 && b0 < a1;
}

static void copy_image(const blur_image *src, blur_image *dst)
{
    size_t row = src->width * (size_t)src->channels * blur_depth_size(src->depth);
    for (size_t y = 0; y < src->height; y++)
        memcpy((char *)dst->data + y * dst->stride, (const char *)src->data + y * src->stride,
               row);
}

/* The pixel transforms (BLUR__PX_*) this plan applies. */
static unsigned pixel_flags(const blur_plan *plan)
{
    unsigned flags = plan->opt.linear ? BLUR__PX_LINEAR : 0;
    if (plan->is_signed) flags |= BLUR__PX_SIGNED;
    else if (plan->opt.alpha == BLUR_ALPHA_PREMULTIPLY) flags |= BLUR__PX_PREMULTIPLY;
    return flags;
}

/* Whether every alpha sample (the last channel) of an 8- or 16-bit image is at its maximum. */
static bool alpha_opaque(const blur_image *img)
{
    for (size_t y = 0; y < img->height; y++)
        if (!blur__alpha_row_opaque((const char *)img->data + y * img->stride, img->width,
                                    (size_t)img->channels, img->depth))
            return false;
    return true;
}

/* Whether an image of this shape is premultiplied, by a rule that lets its alpha decide: no
 * constant border brings another alpha from beyond the edges. */
static bool may_drop_premultiply(const blur_plan *plan, const blur_image *shape)
{
    return blur__premultiplies(pixel_flags(plan), (size_t)shape->channels) &&
           (plan->opt.border != BLUR_BORDER_CONSTANT ||
            plan->opt.cval == blur__depth_max(shape->depth));
}

/* The pixel transforms for this image. Premultiplying by an alpha that is opaque everywhere,
 * beyond the edges too (no constant border of another value), changes no sample, so such an
 * image (RGBA files are often saved so) is blurred as one without alpha: that takes the fast
 * paths (fixed point, the decimated filter), where premultiplied alpha takes the float FIR or
 * the exact engine. The result is the premultiplied one within the fast paths' error. */
static unsigned image_flags(const blur_plan *plan, const blur_image *img)
{
    unsigned flags = pixel_flags(plan);
    if (may_drop_premultiply(plan, img) && alpha_opaque(img))
        flags &= ~(unsigned)BLUR__PX_PREMULTIPLY;
    return flags;
}

static const void *image_row(void *image, size_t y)
{
    const blur_image *img = image;
    return (const char *)img->data + y * img->stride;
}

/* The pixel transforms `flags` on an image shaped like src, and the constant beyond the edge.
 * Input rows come from row_at(rows, y); output row y goes to out + (y - out_y0) * out_stride. */
static void pipeline_init(const blur_plan *plan, const blur_image *src, unsigned flags,
                          blur__row_fn *row_at, void *rows, unsigned char *out, size_t out_y0,
                          size_t out_stride, blur__pipeline *pl)
{
    const blur_options *opt = &plan->opt;
    memset(pl, 0, sizeof *pl);
    pl->src = src;
    pl->dst = src;
    pl->row_at = row_at;
    pl->rows = rows;
    pl->out = out;
    pl->out_y0 = out_y0;
    pl->out_stride = out_stride;
    pl->border = opt->border;
    pl->channels = (size_t)src->channels;
    pl->scale = opt->scale;
    pl->flags = flags;
    for (size_t c = 0; c < pl->channels; c++) pl->cval[c] = opt->cval;
    blur__pixels_to_working(pl->cval, 1, src->channels, src->depth, pl->flags);
    for (size_t c = 0; c < pl->channels; c++) pl->hcval[c] = pl->cval[c] * plan->hpad;
}

/* What a band allocates per thread, by the engine that runs it (the exact engine's ring of taps
 * rows in double and its row buffers, the 2D engine's ring the same size; the fast path's
 * rows: blur__fir_band_bytes), bounded so that a huge radius on a wide image fails cleanly
 * instead of asking for tens of gigabytes; *threads is lowered so all bands together stay
 * under the bound too. */
static blur_error limit_threads_by_memory(const blur_plan *plan, const blur__pipeline *pl,
                                          unsigned *threads)
{
    const blur_image *shape = pl->src;
    const size_t channels = (size_t)shape->channels;
    const size_t taps_y = plan->full2d ? plan->mask.rows : plan->axis[0].taps;
    const size_t taps_x = plan->full2d ? plan->mask.cols : plan->axis[1].taps;
    size_t row_len, ext_len, doubles, per_thread;
    if (!plan->full2d && fast_path_takes(plan, pl))
        per_thread = blur__fir_band_bytes(plan->fir, shape,
                                          blur__premultiplies(pl->flags, pl->channels));
    else if (!blur__mul(shape->width, channels, &row_len) ||
             !blur__mul(shape->width + taps_x - 1, channels, &ext_len) ||
             !blur__mul(taps_y + 2, ext_len, &doubles) ||
             (doubles += row_len + taps_y) < row_len ||
             !blur__mul(doubles, sizeof(double), &per_thread))
        return BLUR_ERR_TOO_LARGE;
    if (per_thread > BLUR_MAX_FILTER_MEMORY) return BLUR_ERR_TOO_LARGE;
    if (*threads > BLUR_MAX_FILTER_MEMORY / per_thread)
        *threads = (unsigned)(BLUR_MAX_FILTER_MEMORY / per_thread);
    return BLUR_OK;
}

/* The bands of `rows` (from row `first`) on `threads` threads. */
static blur_error run_bands(const blur_plan *plan, const blur__pipeline *pl, blur__chunks *rows,
                            size_t first, unsigned threads)
{
    band_job jobs[256];
    for (unsigned t = 0; t < threads; t++)
        jobs[t] = (band_job){plan, pl, 0, 0, BLUR_OK, rows, first};
    blur__run_parallel(band_thread, jobs, sizeof jobs[0], threads);
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].err) return jobs[t].err;
    return BLUR_OK;
}

blur_error blur_plan_run(const blur_plan *plan, const blur_image *src, blur_image *dst)
{
    if (!plan) return BLUR_ERR_INVALID;
    blur_error err = blur_image_check(src);
    if (!err) err = blur_image_check(dst);
    if (err) return err;
    if (src->width != dst->width || src->height != dst->height ||
        src->channels != dst->channels || src->depth != dst->depth || images_overlap(src, dst))
        return BLUR_ERR_INVALID;
    if (src->width > LONG_MAX / 4 || src->height > LONG_MAX / 4) return BLUR_ERR_TOO_LARGE;
    if (plan->identity) {
        copy_image(src, dst);
        return BLUR_OK;
    }

    blur__pipeline pl;
    pipeline_init(plan, src, image_flags(plan, src), image_row, (void *)src, dst->data, 0,
                  dst->stride, &pl);
    unsigned threads = thread_count(plan->opt.threads, src->height);
    /* The decimated filter needs no ring of rows: its memory does not grow with sigma. */
    if (decimated_path_takes(plan, src, pl.flags))
        return blur__decim_run(plan->decim, src, dst, threads);
    err = limit_threads_by_memory(plan, &pl, &threads);
    if (err) return err;
    /* Four bands a thread, each at least 4 times the rows a band reads besides its own (its
     * mask's rows above and below, which the exact engine fills its ring with) and 64. */
    const size_t reread = (size_t)(blur__plan_rows_above(plan) + blur__plan_rows_below(plan));
    blur__chunks rows;
    blur__chunks_init(&rows, src->height, threads, 4, 4 * reread + 64, 1);
    return run_bands(plan, &pl, &rows, 0, threads);
}

blur_error blur__plan_run_rows(const blur_plan *plan, const blur_image *shape,
                               blur__row_fn *row_at, void *rows, size_t y0, size_t y1, void *out,
                               size_t out_stride)
{
    if (plan->identity) {
        size_t row = shape->width * (size_t)shape->channels * blur_depth_size(shape->depth);
        for (size_t y = y0; y < y1; y++)
            memcpy((unsigned char *)out + (y - y0) * out_stride, row_at(rows, y), row);
        return BLUR_OK;
    }
    blur__pipeline pl;
    /* rows arrive as they are decoded: the alpha is not known ahead (image_flags), but the FIR
     * still takes the fixed point in rows that read only opaque rows (fir.c) */
    pipeline_init(plan, shape, pixel_flags(plan), row_at, rows, out, y0, out_stride, &pl);
    /* the strip in one band a thread: each band reads its mask's rows above and below again,
     * which costs the fast and exact engines about one multiply-add a row of them */
    unsigned threads = thread_count(plan->opt.threads, y1 - y0);
    blur_error err = limit_threads_by_memory(plan, &pl, &threads);
    if (err) return err;
    blur__chunks bands;
    blur__chunks_init(&bands, y1 - y0, threads, 1, 1, 1);
    return run_bands(plan, &pl, &bands, y0, threads);
}

long blur__plan_rows_above(const blur_plan *plan)
{
    return plan->full2d ? plan->mask.before_r : plan->axis[0].before;
}

long blur__plan_rows_below(const blur_plan *plan)
{
    return plan->full2d ? (long)plan->mask.rows - 1 - plan->mask.before_r
                        : (long)plan->axis[0].taps - 1 - plan->axis[0].before;
}

blur_border blur__plan_border(const blur_plan *plan) { return plan->opt.border; }

bool blur__plan_wants_whole(const blur_plan *plan, const blur_image *shape)
{
    /* A huge image streams through the FIR instead: slower at large sigma, but in memory that
     * does not grow with the image (the decimated path needs the whole input and output, two
     * bytes a sample, besides its own ~1/s of that). An image with alpha is held whole when
     * the decimated path would take it without: only the whole image tells whether its alpha
     * is opaque everywhere (image_flags), as it often is; if not, blur_plan_run's float FIR
     * runs on every core, where the stream's runs on one. */
    unsigned flags = pixel_flags(plan);
    if (may_drop_premultiply(plan, shape)) flags &= ~(unsigned)BLUR__PX_PREMULTIPLY;
    size_t samples;
    return decimated_path_takes(plan, shape, flags) &&
           blur__mul(shape->width * (size_t)shape->channels, shape->height, &samples) &&
           samples <= BLUR_MAX_FILTER_MEMORY / sizeof(uint16_t);
}

blur_error blur_gaussian(const blur_image *src, blur_image *dst, const blur_options *opt)
{
    blur_plan *plan;
    blur_error err = blur_plan_create(opt, &plan);
    if (err) return err;
    err = blur_plan_run(plan, src, dst);
    blur_plan_free(plan);
    return err;
}
