/* bench_rbf.c — times blur_rbf against numpy + scipy.spatial.distance.cdist in the same run
 * (tests/bench/bench_rbf.py, when /usr/bin/python3 has them), and prints ours / theirs.
 * Not a test: timings are reported, never asserted. Usage: bench_rbf [THREADS]. */
#include "blur.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double uniform(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) * 0x1p-53;
}

/* Normal-ish data (sum of uniforms), standard deviation about 1 per coordinate. */
static void fill(blur_matrix *x)
{
    for (size_t i = 0; i < x->rows * x->cols; i++)
        x->data[i] = (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.7320508;
}

static double time_ours(const blur_matrix *x, const blur_rbf_options *opt, double *k,
                        int repeats)
{
    double best = INFINITY;
    for (int r = 0; r < repeats; r++) {
        double t = now();
        if (blur_rbf(x, NULL, opt, k, x->rows * x->rows)) {
            fprintf(stderr, "bench_rbf: blur_rbf failed\n");
            exit(1);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    return best;
}

/* Runs the numpy peer on the same data; returns its best time, or 0 when it cannot run. */
static double time_numpy(const blur_matrix *x, double gamma, int repeats, const double *ours)
{
    char dir[] = "/tmp/blur-bench-XXXXXX", xpath[64], kpath[64], cmd[256];
    if (!mkdtemp(dir)) return 0.0;
    snprintf(xpath, sizeof xpath, "%s/x.npy", dir);
    snprintf(kpath, sizeof kpath, "%s/k.npy", dir);
    double seconds = 0.0;
    if (blur_matrix_write(xpath, x) == BLUR_OK) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/bench/bench_rbf.py %s %.17g %d %s",
                 xpath, gamma, repeats, kpath);
        FILE *p = popen(cmd, "r");
        if (p) {
            if (fscanf(p, "%lf", &seconds) != 1) seconds = 0.0;
            if (pclose(p) != 0) seconds = 0.0;
        }
    }
    blur_matrix k = {0};
    if (seconds > 0.0 && blur_matrix_read(kpath, &k, NULL) == BLUR_OK) {
        double worst = 0.0;
        for (size_t i = 0; i < k.rows * k.cols; i++) {
            double ref = k.data[i], diff = fabs(ours[i] - ref);
            /* relative where the value is meaningful, absolute next to underflow */
            double rel = diff / (fabs(ref) > 1e-300 ? fabs(ref) : 1.0);
            if (rel > worst) worst = rel;
        }
        printf("    agreement with numpy: max relative difference %.2e\n", worst);
    }
    blur_matrix_free(&k);
    unlink(xpath);
    unlink(kpath);
    rmdir(dir);
    return seconds;
}

int main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 0;
    static const struct { size_t n, d; int ours, theirs; } cases[] = {
        {10000, 64, 3, 2},
        {2000, 3, 9, 9},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = cases[c].n, d = cases[c].d;
        blur_matrix x = {n, d, malloc(n * d * sizeof(double))};
        double *k = malloc(n * n * sizeof(double));
        if (!x.data || !k) return 1;
        fill(&x);
        double sigma = sqrt((double)d); /* a width on the scale of typical distances */
        blur_rbf_options opt = BLUR_RBF_OPTIONS_INIT;
        opt.sigma = sigma;
        opt.threads = threads;
        printf("rbf n=%zu d=%zu sigma=%.3g\n", n, d, sigma);
        for (size_t i = 0; i < n * n; i++) k[i] = 0.5; /* touch the pages beforehand */
        opt.method = BLUR_RBF_EXACT;
        double exact = time_ours(&x, &opt, k, 1);
        opt.threads = 1;
        opt.method = BLUR_RBF_FAST;
        double one = time_ours(&x, &opt, k, cases[c].ours);
        opt.threads = threads;
        double ours = time_ours(&x, &opt, k, cases[c].ours);
        double theirs = time_numpy(&x, blur_rbf_gamma(&opt), cases[c].theirs, k);
        printf("    blur fast     %9.4f s (1 thread %.4f s); --exact %.4f s\n", ours, one,
               exact);
        if (theirs > 0.0)
            printf("    numpy+cdist   %9.4f s\n    ours / numpy  %9.3f x\n", theirs,
                   ours / theirs);
        else
            printf("    numpy+cdist   not available (/usr/bin/python3 with numpy, scipy)\n");
        free(x.data);
        free(k);
    }
    return 0;
}
