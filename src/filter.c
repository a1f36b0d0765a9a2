/* filter.c — the plan: masks and border handling prepared once, then the separable filter run
 * over bands of rows on several threads.
 *
 * The exact engine works a row at a time, vertical pass first: output row y is the weighted
 * sum of the input rows around y (kept converted to double in a ring of mask-height rows, so
 * each input row is converted about once), then that row is extended at both ends by the
 * border rule and filtered horizontally. No full-size intermediate image is made, so memory is
 * a few rows per thread whatever the image size. */
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
    blur_options opt;
    axis_filter axis[2]; /* 0: along columns (vertical, sigma_y); 1: along rows (sigma_x) */
};

long blur_radius_for_sigma(double sigma, double truncate)
{
    double r = truncate * sigma + 0.5;
    if (!(r >= 0.0)) return -1;
    return r > (double)LONG_MAX / 4 ? LONG_MAX / 4 : (long)r;
}

static blur_error axis_prepare(const blur_options *opt, int axis, axis_filter *f)
{
    double sigma = axis == 0 ? opt->sigma_y : opt->sigma_x;
    long radius = axis == 0 ? opt->radius_y : opt->radius_x;
    if (!isfinite(sigma) || sigma < 0.0 || radius < 0) return BLUR_ERR_INVALID;
    if (sigma == 0.0) radius = 0;
    else if (radius == 0) radius = blur_radius_for_sigma(sigma, opt->truncate);
    if (radius > BLUR_MAX_RADIUS) return BLUR_ERR_TOO_LARGE;
    f->taps = 2 * (size_t)radius + 1;
    f->before = radius;
    f->w = blur__alloc_array(f->taps, sizeof *f->w);
    if (!f->w) return BLUR_ERR_NOMEM;
    if (radius == 0) {
        f->w[0] = 1.0;
        return BLUR_OK;
    }
    blur_kernel_spec spec = BLUR_KERNEL_SPEC_INIT;
    spec.method = opt->method;
    spec.sigma_x = spec.sigma_y = sigma;
    spec.rows = spec.cols = f->taps;
    return blur_kernel_1d(&spec, axis, f->w, f->taps);
}

blur_error blur_plan_create(const blur_options *opt, blur_plan **plan)
{
    if (!plan) return BLUR_ERR_INVALID;
    *plan = NULL;
    if (!opt || !isfinite(opt->truncate) || opt->truncate <= 0.0 || !isfinite(opt->cval) ||
        (unsigned)opt->border >= BLUR_BORDER_COUNT_)
        return BLUR_ERR_INVALID;
    blur_plan *p = calloc(1, sizeof *p);
    if (!p) return BLUR_ERR_NOMEM;
    p->opt = *opt;
    p->opt.method = NULL; /* the caller's string need not outlive the plan */
    blur_error err = axis_prepare(opt, 0, &p->axis[0]);
    if (!err) err = axis_prepare(opt, 1, &p->axis[1]);
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
    free(plan->axis[0].w);
    free(plan->axis[1].w);
    free(plan);
}

/* ---- the exact engine ---- */

typedef struct band_job {
    const blur_plan *plan;
    const blur_image *src;
    blur_image *dst;
    size_t y0, y1;
    blur_error err;
} band_job;

static void fill(double *row, size_t count, double value)
{
    for (size_t i = 0; i < count; i++) row[i] = value;
}

static void exact_band(band_job *job)
{
    const blur_plan *plan = job->plan;
    const blur_image *src = job->src;
    const axis_filter *fy = &plan->axis[0], *fx = &plan->axis[1];
    const size_t channels = (size_t)src->channels;
    const size_t row_len = src->width * channels;
    const size_t ext_len = (src->width + fx->taps - 1) * channels;
    const long height = (long)src->height, width = (long)src->width;
    const double cval = plan->opt.cval;

    double *ring = blur__alloc_array(fy->taps, row_len * sizeof(double));
    long *ring_row = blur__alloc_array(fy->taps, sizeof(long));
    double *vrow = blur__alloc_array(row_len, sizeof(double));
    double *ext = blur__alloc_array(ext_len, sizeof(double));
    double *out = blur__alloc_array(row_len, sizeof(double));
    if (!ring || !ring_row || !vrow || !ext || !out) {
        job->err = BLUR_ERR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < fy->taps; k++) ring_row[k] = LONG_MIN;

    for (size_t y = job->y0; y < job->y1; y++) {
        /* Vertical: input row j lives in ring slot j mod taps, loaded the first time used. */
        fill(vrow, row_len, 0.0);
        for (size_t k = 0; k < fy->taps; k++) {
            long j = (long)y + (long)k - fy->before;
            size_t slot = (size_t)(((j % (long)fy->taps) + (long)fy->taps) % (long)fy->taps);
            double *line = ring + slot * row_len;
            if (ring_row[slot] != j) {
                long m = blur__border_index(plan->opt.border, j, height);
                if (m < 0) fill(line, row_len, cval);
                else blur__load_samples((const char *)src->data + (size_t)m * src->stride,
                                        src->depth, row_len, line);
                ring_row[slot] = j;
            }
            double w = fy->w[k];
            for (size_t i = 0; i < row_len; i++) vrow[i] += w * line[i];
        }
        /* Horizontal: extend the row by the border rule, then correlate. */
        for (size_t p = 0; p < src->width + fx->taps - 1; p++) {
            long m = blur__border_index(plan->opt.border, (long)p - fx->before, width);
            for (size_t c = 0; c < channels; c++)
                ext[p * channels + c] = m < 0 ? cval : vrow[(size_t)m * channels + c];
        }
        for (size_t i = 0; i < row_len; i++) {
            double sum = 0.0;
            for (size_t k = 0; k < fx->taps; k++) sum += fx->w[k] * ext[i + k * channels];
            out[i] = sum;
        }
        blur__store_samples(out, row_len, job->dst->depth,
                            (char *)job->dst->data + y * job->dst->stride);
    }
done:
    free(ring);
    free(ring_row);
    free(vrow);
    free(ext);
    free(out);
}

static void *band_thread(void *arg)
{
    exact_band(arg);
    return NULL;
}

static unsigned thread_count(unsigned wanted, size_t height)
{
    if (wanted == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        wanted = cores > 0 ? (unsigned)cores : 1;
    }
    if (wanted > 256) wanted = 256;
    if (wanted > height) wanted = (unsigned)height;
    return wanted ? wanted : 1;
}

static bool images_overlap(const blur_image *a, const blur_image *b)
{
    const char *a0 = a->data, *a1 = a0 + a->stride * a->height;
    const char *b0 = b->data, *b1 = b0 + b->stride * b->height;
    return a0 < b1 && b0 < a1;
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

    unsigned threads = thread_count(plan->opt.threads, src->height);
    /* What exact_band allocates per thread: the ring, ring_row, vrow, ext and out. Bounded, so
     * a huge radius on a wide image fails cleanly instead of asking for tens of gigabytes. */
    const size_t channels = (size_t)src->channels, taps_y = plan->axis[0].taps;
    size_t row_len, ext_len, doubles, per_thread;
    if (!blur__mul(src->width, channels, &row_len) ||
        !blur__mul(src->width + plan->axis[1].taps - 1, channels, &ext_len) ||
        !blur__mul(taps_y + 2, row_len, &doubles) || (doubles += ext_len + taps_y) < ext_len ||
        !blur__mul(doubles, sizeof(double), &per_thread) || per_thread > BLUR_MAX_FILTER_MEMORY)
        return BLUR_ERR_TOO_LARGE;
    if (threads > BLUR_MAX_FILTER_MEMORY / per_thread)
        threads = (unsigned)(BLUR_MAX_FILTER_MEMORY / per_thread);
    band_job jobs[256];
    pthread_t tids[256];
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (band_job){plan, src, dst, src->height * t / threads,
                             src->height * (t + 1) / threads, BLUR_OK};
    }
    unsigned started = 1;
    for (unsigned t = 1; t < threads; t++, started++)
        if (pthread_create(&tids[t], NULL, band_thread, &jobs[t]) != 0) break;
    /* Bands whose thread could not start run here: same result, less parallel. */
    for (unsigned t = started; t < threads; t++) exact_band(&jobs[t]);
    exact_band(&jobs[0]);
    for (unsigned t = 1; t < started; t++) pthread_join(tids[t], NULL);
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].err) return jobs[t].err;
    return BLUR_OK;
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
