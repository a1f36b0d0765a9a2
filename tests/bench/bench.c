/* bench.c — times the filter alone (`make bench`; not a test: it asserts nothing).
 *
 * The image: assets/coffee.png tiled with alternate mirror flips (no seams) up to 6000×4000,
 * made in memory as RGB, gray (luma) and RGBA (alpha a smooth ramp). "rgba" is blurred per
 * channel, as OpenCV does; "rgba-pm" premultiplied, blur's default for images with alpha (a
 * computation OpenCV does not offer, so no OpenCV column). For each sigma and for 1
 * thread and all cores it prints the median of several runs (plan made once, output buffer
 * reused and touched first, so page faults are not in the figure), megapixels per second, and
 * the error against the exact double-precision result rounded to integers: the largest error
 * in levels and the share of exact pixels. The exact reference is computed here, from the
 * definition, on every 16th row (all columns) — the full-image double filter takes minutes at
 * sigma 30. Against scipy's cut kernel (truncate 4), and for large sigma also against the
 * uncut Gaussian (truncate 8), to show what the cut changes.
 *
 * When /usr/bin/python3 can import cv2, cv2.GaussianBlur (same ksize 2r+1, BORDER_REFLECT,
 * same thread count) is timed in the same run on the same pixels (tests/bench/bench_opencv.py,
 * fed through a temporary file) and the ratio ours/OpenCV printed.
 *
 * Options: --runs N, --sigmas 1,3,10,30, --cases rgb,gray,rgba,rgba-pm, --no-opencv,
 *          --variant avx512|avx2|generic (the SIMD variant of both fast paths),
 *          --no-check (timing only, no error columns),
 *          --decim-min-sigma S (the decimated path from sigma S, at least 6; 1e9 = never). */
#include "blur.h"
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WIDTH 6000
#define HEIGHT 4000
#define ROW_STEP 16
#define MAX_SIGMAS 8

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Tiles the photo (mirrored every other tile) into a width×height image of `channels`. */
static int make_image(const blur_image *photo, int channels, blur_image *img)
{
    if (blur_image_alloc(img, WIDTH, HEIGHT, channels, BLUR_U8)) return -1;
    const size_t pw = photo->width, ph = photo->height, pc = (size_t)photo->channels;
    for (size_t y = 0; y < HEIGHT; y++) {
        size_t ty = y / ph, sy = y % ph;
        if (ty % 2) sy = ph - 1 - sy;
        const uint8_t *srow = (const uint8_t *)photo->data + sy * photo->stride;
        uint8_t *drow = (uint8_t *)img->data + y * img->stride;
        for (size_t x = 0; x < WIDTH; x++) {
            size_t tx = x / pw, sx = x % pw;
            if (tx % 2) sx = pw - 1 - sx;
            const uint8_t *p = srow + sx * pc;
            uint8_t *d = drow + x * (size_t)channels;
            if (channels == 1) {
                d[0] = (uint8_t)((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
            } else {
                d[0] = p[0], d[1] = p[1], d[2] = p[2];
                if (channels == 4) d[3] = (uint8_t)(((x + y) * 255) / (WIDTH + HEIGHT));
            }
        }
    }
    return 0;
}

/* Sample i of a row, its colour times alpha/255 when premultiplied (last channel alpha). */
static double working(const uint8_t *row, size_t i, size_t ch, bool premultiplied)
{
    size_t alpha = i - i % ch + ch - 1;
    return premultiplied && i != alpha ? row[i] * (row[alpha] / 255.0) : row[i];
}

/* The exact result of one row, from the definition: vertical then horizontal, in double;
 * premultiplied: colour divided by the blurred alpha at the end. */
static void exact_row(const blur_image *img, size_t y, const double *w, long r,
                      bool premultiplied, double *col, double *out)
{
    const size_t ch = (size_t)img->channels, n = img->width * ch;
    for (size_t i = 0; i < n; i++) col[i] = 0.0;
    for (long k = -r; k <= r; k++) {
        long m = blur__border_index(BLUR_BORDER_REFLECT, (long)y + k, (long)img->height);
        const uint8_t *row = (const uint8_t *)img->data + (size_t)m * img->stride;
        for (size_t i = 0; i < n; i++) col[i] += w[k + r] * working(row, i, ch, premultiplied);
    }
    for (size_t x = 0; x < img->width; x++) {
        for (size_t c = 0; c < ch; c++) {
            double s = 0.0;
            for (long k = -r; k <= r; k++) {
                long m = blur__border_index(BLUR_BORDER_REFLECT, (long)x + k, (long)img->width);
                s += w[k + r] * col[(size_t)m * ch + c];
            }
            out[x * ch + c] = s;
        }
        double alpha = out[x * ch + ch - 1] / 255.0;
        for (size_t c = 0; premultiplied && c + 1 < ch; c++)
            out[x * ch + c] = alpha > 0.0 ? out[x * ch + c] / alpha : 0.0;
    }
}

typedef struct reference {
    double *rows; /* HEIGHT/ROW_STEP rows of width*channels */
    size_t count;
} reference;

static int make_reference(const blur_image *img, double sigma, double truncate,
                          bool premultiplied, reference *ref)
{
    long r = blur_radius_for_sigma(sigma, truncate);
    size_t n = img->width * (size_t)img->channels;
    double *w = malloc((size_t)(2 * r + 1) * sizeof *w), *col = malloc(n * sizeof *col);
    ref->count = (img->height + ROW_STEP - 1) / ROW_STEP;
    ref->rows = malloc(ref->count * n * sizeof *ref->rows);
    if (!w || !col || !ref->rows) return -1;
    blur__gaussian_sampled_1d(sigma, r, w);
    for (size_t j = 0; j < ref->count; j++)
        exact_row(img, j * ROW_STEP, w, r, premultiplied, col, ref->rows + j * n);
    free(w);
    free(col);
    return 0;
}

static void compare(const blur_image *out, const reference *ref, double *max_err,
                    double *exact_pct)
{
    size_t n = out->width * (size_t)out->channels, same = 0, total = 0;
    double worst = 0.0;
    for (size_t j = 0; j < ref->count; j++) {
        const uint8_t *row = (const uint8_t *)out->data + j * ROW_STEP * out->stride;
        const double *e = ref->rows + j * n;
        for (size_t i = 0; i < n; i++) {
            double want = floor(e[i] + 0.5), d = fabs((double)row[i] - want);
            worst = d > worst ? d : worst;
            same += d == 0.0;
            total++;
        }
    }
    *max_err = worst;
    *exact_pct = 100.0 * (double)same / (double)total;
}

typedef struct result {
    double sigma;
    long radius;
    unsigned threads;
    double ms, max_err, exact_pct, max_err_uncut, exact_pct_uncut, cv_ms;
} result;

static double time_ours(const blur_image *img, blur_image *out, double sigma, unsigned threads,
                        bool premultiplied, int runs)
{
    blur_options opt = BLUR_OPTIONS_INIT;
    opt.sigma_x = opt.sigma_y = sigma;
    opt.threads = threads;
    opt.alpha = premultiplied ? BLUR_ALPHA_PREMULTIPLY : BLUR_ALPHA_SEPARATE;
    blur_plan *plan;
    if (blur_plan_create(&opt, &plan)) return -1.0;
    double times[64];
    blur_plan_run(plan, img, out); /* warm-up: touches the output pages */
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        blur_plan_run(plan, img, out);
        times[i] = now_ms() - t0;
    }
    blur_plan_free(plan);
    qsort(times, (size_t)runs, sizeof times[0], cmp_double);
    return times[runs / 2];
}

static bool have_opencv(void)
{
    return access("/usr/bin/python3", X_OK) == 0 &&
           system("/usr/bin/python3 -c 'import cv2' >/dev/null 2>&1") == 0;
}

/* Whether `name` is one of the comma-separated names in `list`. */
static bool listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
        if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0')) return true;
    return false;
}

/* Times OpenCV for every result of a case in one Python process. */
static void time_opencv(const blur_image *img, result *res, size_t count, int runs)
{
    char raw[] = "/tmp/blur-bench-XXXXXX";
    int fd = mkstemp(raw);
    if (fd < 0) return;
    FILE *fp = fdopen(fd, "wb");
    for (size_t y = 0; y < img->height; y++)
        fwrite((const char *)img->data + y * img->stride, 1, img->width * (size_t)img->channels,
               fp);
    fclose(fp);
    char cmd[4096];
    int len = snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/bench/bench_opencv.py %s %zu %zu %d",
                       raw, img->width, img->height, img->channels);
    for (size_t i = 0; i < count; i++) {
        int cv_runs = res[i].sigma >= 20 ? (runs < 3 ? runs : 3) : runs;
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %g:%ld:%u:%d", res[i].sigma,
                        2 * res[i].radius + 1, res[i].threads, cv_runs);
    }
    FILE *p = popen(cmd, "r");
    for (size_t i = 0; p && i < count; i++)
        if (fscanf(p, "%lf", &res[i].cv_ms) != 1) break;
    if (p) pclose(p);
    unlink(raw);
}

int main(int argc, char **argv)
{
    int runs = 7;
    bool opencv = true, check = true;
    double sigmas[MAX_SIGMAS] = {1, 3, 10, 30};
    size_t nsigmas = 4;
    const char *cases = "rgb,gray,rgba,rgba-pm";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1 || runs > 64) runs = 7;
        } else if (strcmp(argv[i], "--decim-min-sigma") == 0 && i + 1 < argc) {
            blur__decim_min_sigma = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--no-check") == 0) {
            check = false;
        } else if (strcmp(argv[i], "--no-opencv") == 0) {
            opencv = false;
        } else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc) {
            cases = argv[++i];
        } else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc) {
            ++i;
            if (!blur__fir_force_variant(argv[i]) || !blur__decim_force_kernel(argv[i])) {
                fprintf(stderr, "bench: variant %s not available here\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--sigmas") == 0 && i + 1 < argc) {
            char *s = argv[++i], *end;
            for (nsigmas = 0; nsigmas < MAX_SIGMAS && *s; s = *end ? end + 1 : end) {
                sigmas[nsigmas++] = strtod(s, &end);
                if (end == s) return 2;
            }
        } else {
            fprintf(stderr, "usage: bench [--runs N] [--sigmas 1,3,10,30]"
                            " [--cases rgb,gray,rgba,rgba-pm] [--no-opencv]"
                            " [--variant avx512|avx2|generic]\n");
            return 2;
        }
    }
    if (opencv) opencv = have_opencv();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned all = cores > 0 ? (unsigned)cores : 1;

    blur_image photo = {0};
    if (blur_image_read("assets/coffee.png", NULL, &photo, NULL)) {
        fprintf(stderr, "bench: cannot read assets/coffee.png (run from the top of the tree)\n");
        return 1;
    }
    FILE *cpu = popen("grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'", "r");
    char model[256] = "unknown";
    if (cpu && fgets(model, sizeof model, cpu)) model[strcspn(model, "\n")] = 0;
    if (cpu) pclose(cpu);
    printf("machine: %s, %u cores; fixed-point variant: %s; %d runs, median; image %dx%d\n",
           model, all, blur__fir_variant_name(), runs, WIDTH, HEIGHT);
    printf("error vs round(exact double), every %dth row; 'uncut' = vs the Gaussian cut at 8 sigma\n",
           ROW_STEP);
    printf("%-7s %5s %4s %3s %9s %8s %4s %8s %5s %8s %10s %7s\n", "case", "sigma", "taps",
           "thr", "ms", "MP/s", "max", "exact%", "max-u", "exact%-u", "opencv ms", "ratio");

    static const struct {
        const char *name;
        int channels;
        bool premultiplied;
    } case_table[] = {{"rgb", 3, false}, {"gray", 1, false}, {"rgba", 4, false},
                      {"rgba-pm", 4, true}};
    for (size_t c = 0; c < sizeof case_table / sizeof case_table[0]; c++) {
        if (!listed(cases, case_table[c].name)) continue;
        const bool pm = case_table[c].premultiplied;
        blur_image img = {0}, out = {0};
        if (make_image(&photo, case_table[c].channels, &img) ||
            blur_image_alloc(&out, WIDTH, HEIGHT, case_table[c].channels, BLUR_U8))
            return 1;
        result res[2 * MAX_SIGMAS];
        size_t count = 0;
        for (size_t s = 0; s < nsigmas; s++) {
            reference cut, uncut = {0};
            if (check && make_reference(&img, sigmas[s], 4.0, pm, &cut)) return 1;
            bool large = check && sigmas[s] >= 8.0;
            if (large && make_reference(&img, sigmas[s], 8.0, pm, &uncut)) return 1;
            unsigned thr[2] = {1, all};
            for (int t = 0; t < (all > 1 ? 2 : 1); t++) {
                result *r = &res[count++];
                memset(r, 0, sizeof *r);
                r->sigma = sigmas[s];
                r->radius = blur_radius_for_sigma(sigmas[s], 4.0);
                r->threads = thr[t];
                r->max_err_uncut = r->exact_pct_uncut = -1.0;
                r->ms = time_ours(&img, &out, sigmas[s], thr[t], pm, runs);
                if (check) compare(&out, &cut, &r->max_err, &r->exact_pct);
                if (large) compare(&out, &uncut, &r->max_err_uncut, &r->exact_pct_uncut);
            }
            free(cut.rows);
            free(uncut.rows);
        }
        if (opencv && !pm) time_opencv(&img, res, count, runs);
        for (size_t i = 0; i < count; i++) {
            const result *r = &res[i];
            char mu[16] = "-", eu[16] = "-", cv[16] = "-", ratio[16] = "-";
            if (r->exact_pct_uncut >= 0) {
                snprintf(mu, sizeof mu, "%.0f", r->max_err_uncut);
                snprintf(eu, sizeof eu, "%.3f", r->exact_pct_uncut);
            }
            if (r->cv_ms > 0) {
                snprintf(cv, sizeof cv, "%.1f", r->cv_ms);
                snprintf(ratio, sizeof ratio, "%.3f", r->ms / r->cv_ms);
            }
            printf("%-7s %5g %4ld %3u %9.1f %8.1f %4.0f %8.3f %5s %8s %10s %7s\n",
                   case_table[c].name, r->sigma, 2 * r->radius + 1, r->threads, r->ms,
                   WIDTH * (double)HEIGHT / 1e3 / r->ms, r->max_err, r->exact_pct, mu, eu, cv,
                   ratio);
        }
        fflush(stdout);
        blur_image_free(&img);
        blur_image_free(&out);
    }
    blur_image_free(&photo);
    return 0;
}
