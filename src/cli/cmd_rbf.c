/* cmd_rbf.c — blur rbf: the Gaussian kernel matrix of data points, from .npy or CSV files. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fputs("Usage: blur rbf X.npy|X.csv [--with Y.npy|Y.csv] (--sigma S | --gamma G)\n"
          "                -o K.npy|K.csv [--exact] [--threads N] [--max-memory M]\n"
          "\n"
          "Writes the Gaussian (RBF) kernel matrix K[i][j] = exp(-|x_i - y_j|^2 / (2 sigma^2))\n"
          "= exp(-gamma |x_i - y_j|^2) of the rows of X (n points of dimension d), with the\n"
          "rows of Y (K is n x m), or with themselves (K is n x n, symmetric, diagonal 1).\n"
          "Input: .npy (float64/float32/integers, C or Fortran order, 2-D; more dimensions are\n"
          "flattened after the first) or CSV (one point per line, commas or blanks). A 1-D array\n"
          "is refused as ambiguous: save n scalars as shape (n, 1), one point as (1, d).\n"
          "Output: .npy (float64, loadable with numpy.load) or CSV with 17 significant digits\n"
          "('-', and a device or FIFO not named .npy, get CSV). A result larger than\n"
          "--max-memory is computed and written a block of rows at a time.\n"
          "\n"
          "Options:\n"
          "      --with Y         the second set of points (the cross matrix K(X, Y))\n"
          "  -s, --sigma S        kernel width, > 0\n"
          "  -g, --gamma G        or gamma = 1/(2 sigma^2), > 0\n"
          "  -o, --output K       the output file\n"
          "      --exact          each distance summed directly from the differences: use it\n"
          "                       for data far from the origin (large offset against spread)\n"
          "  -j, --threads N      threads (default: one per core)\n"
          "      --max-memory M   largest result held in memory, bytes with an optional\n"
          "                       K/M/G suffix (default: half the physical memory)\n"
          "  -h, --help           this help\n"
          "\n"
          "Exit status: 0 success, 1 a file could not be read or written, 2 bad usage.\n",
          to);
}

enum { OPT_WITH = 256, OPT_EXACT, OPT_MAX_MEMORY };

static const struct option long_options[] = {
    {"with", required_argument, NULL, OPT_WITH},
    {"sigma", required_argument, NULL, 's'},
    {"gamma", required_argument, NULL, 'g'},
    {"output", required_argument, NULL, 'o'},
    {"exact", no_argument, NULL, OPT_EXACT},
    {"threads", required_argument, NULL, 'j'},
    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct rbf_args {
    blur_rbf_options opt;
    const char *x_path, *y_path, *out_path;
    double max_memory; /* bytes */
} rbf_args;

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static bool parse_size(const char *arg, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    static const struct { char suffix; double scale; } units[] = {
        {'\0', 1.0}, {'k', 1024.0}, {'m', 1048576.0}, {'g', 1073741824.0},
    };
    if (end == arg || errno || !(v >= 0.0) || v > 1e18) goto bad;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if ((end[0] | 0x20) == (units[i].suffix | 0x20) && (end[0] == '\0' || end[1] == '\0')) {
            *out = v * units[i].scale;
            return true;
        }
bad:
    cli_error("--max-memory: expected a size in bytes such as 4096, 512M or 2G, got '%s'", arg);
    return false;
}

static double default_max_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) return 1073741824.0;
    return (double)pages * (double)size / 2.0;
}

static bool has_extension(const char *path, const char *ext)
{
    size_t n = strlen(path), k = strlen(ext);
    return n >= k && strcasecmp(path + n - k, ext) == 0;
}

static bool parse_positive(const char *option, const char *arg, double *out)
{
    if (!cli_parse_double(option, arg, 0.0, 1e300, out)) return false;
    if (*out <= 0.0) {
        cli_error("%s: expected a positive number, got '%s'", option, arg);
        return false;
    }
    return true;
}

/* Parses the command line; returns -1 to go on, or the exit code to stop with. */
static int parse(int argc, char **argv, rbf_args *args)
{
    bool exact = false;
    long threads = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":s:g:o:j:h", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_WITH: args->y_path = optarg; break;
        case 's':
            if (!parse_positive("--sigma", optarg, &args->opt.sigma)) return EXIT_USAGE;
            break;
        case 'g':
            if (!parse_positive("--gamma", optarg, &args->opt.gamma)) return EXIT_USAGE;
            break;
        case 'o': args->out_path = optarg; break;
        case OPT_EXACT: exact = true; break;
        case 'j':
            if (!cli_parse_long("--threads", optarg, 1, 256, &threads)) return EXIT_USAGE;
            break;
        case OPT_MAX_MEMORY:
            if (!parse_size(optarg, &args->max_memory)) return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return cli_stdout_status();
        case ':': cli_error("%s: needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("unknown option '%s'; see 'blur rbf --help'", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        cli_error("expected one input X; see 'blur rbf --help'");
        return EXIT_USAGE;
    }
    args->x_path = argv[optind];
    if ((args->opt.sigma > 0.0) == (args->opt.gamma > 0.0)) {
        cli_error("give one of --sigma or --gamma");
        return EXIT_USAGE;
    }
    if (blur_rbf_gamma(&args->opt) == 0.0) {
        cli_error("--sigma %g: gamma = 1/(2 sigma^2) is too large for a double",
                  args->opt.sigma);
        return EXIT_USAGE;
    }
    if (!args->out_path) {
        cli_error("-o K.npy|K.csv is required");
        return EXIT_USAGE;
    }
    struct stat st;
    bool device = stat(args->out_path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode));
    if (strcmp(args->out_path, "-") != 0 && !device && !has_extension(args->out_path, ".npy") &&
        !has_extension(args->out_path, ".csv")) {
        cli_error("%s: unknown output format; use .npy or .csv", args->out_path);
        return EXIT_USAGE;
    }
    args->opt.method = exact ? BLUR_RBF_EXACT : BLUR_RBF_FAST;
    args->opt.threads = (unsigned)threads;
    return -1;
}

/* Reads a set of points, with a one-line message naming the file (and line) on failure. */
static bool read_points(const char *path, blur_matrix *m)
{
    blur_matrix_info info;
    blur_error err = blur_matrix_read_info(path, m, &info);
    const char *name = strcmp(path, "-") == 0 ? "(standard input)" : path;
    if (err) {
        if (info.where)
            cli_error("%s: %s %zu: %s", name, info.is_npy ? "row" : "line", info.where,
                      info.reason[0] ? info.reason : blur_strerror(err));
        else if (info.reason[0])
            cli_error("%s: %s: %s", name, blur_strerror(err), info.reason);
        else
            cli_file_error(path, err);
        return false;
    }
    if (info.ndim < 2) {
        cli_error("%s: a %zu-D array is ambiguous as points; save n points of dimension d as "
                  "shape (n, d): reshape(-1, 1) for n scalars, reshape(1, -1) for one point",
                  name, info.ndim);
        blur_matrix_free(m);
        return false;
    }
    return true;
}

/* Computes K and writes it: whole when it fits in max_memory, else a block of rows at a time
 * (the values are the same either way). */
static blur_error compute_and_write(const rbf_args *args, const blur_matrix *x,
                                    const blur_matrix *y, size_t *failed_io)
{
    size_t n = x->rows, m = y ? y->rows : x->rows;
    double row_bytes = (double)m * sizeof(double);
    double fit = args->max_memory / row_bytes;
    size_t block = fit >= (double)n ? n : fit >= 1.0 ? (size_t)fit : 1;
    size_t cells, bytes;
    if (__builtin_mul_overflow(block, m, &cells) ||
        __builtin_mul_overflow(cells, sizeof(double), &bytes))
        return BLUR_ERR_OVERFLOW;
    double *buf = malloc(bytes);
    if (!buf) return BLUR_ERR_NOMEM;
    blur_matrix_writer *w;
    blur_error err = blur_matrix_writer_open(args->out_path, n, m, &w);
    if (err) {
        *failed_io = 1;
        free(buf);
        return err;
    }
    for (size_t r = 0; r < n && !err; r += block) {
        size_t count = n - r < block ? n - r : block;
        err = block == n ? blur_rbf(x, y, &args->opt, buf, cells)
                         : blur_rbf_rows(x, y, &args->opt, r, count, buf, cells);
        if (!err) {
            err = blur_matrix_writer_rows(w, buf, count);
            if (err) *failed_io = 1;
        }
    }
    free(buf);
    if (err) {
        int saved = errno;
        blur_matrix_writer_abort(w);
        errno = saved;
        return err;
    }
    err = blur_matrix_writer_close(w);
    if (err) *failed_io = 1;
    return err;
}

int cmd_rbf(int argc, char **argv)
{
    rbf_args args = {.opt = BLUR_RBF_OPTIONS_INIT, .max_memory = default_max_memory()};
    int status = parse(argc, argv, &args);
    if (status >= 0) return status;

    blur_matrix x = {0}, y = {0};
    if (!read_points(args.x_path, &x)) return EXIT_FAIL;
    if (args.y_path) {
        if (!read_points(args.y_path, &y)) {
            blur_matrix_free(&x);
            return EXIT_FAIL;
        }
        if (y.cols != x.cols) {
            cli_error("%s: points of dimension %zu, but %s has dimension %zu", args.y_path,
                      y.cols, args.x_path, x.cols);
            status = EXIT_FAIL;
            goto done;
        }
    }
    size_t failed_io = 0;
    errno = 0;
    blur_error err = compute_and_write(&args, &x, args.y_path ? &y : NULL, &failed_io);
    if (err) {
        if (failed_io) cli_file_error(args.out_path, err);
        else if (err == BLUR_ERR_NOMEM || err == BLUR_ERR_OVERFLOW)
            cli_error("%s: %s: the kernel matrix needs %zu x %zu doubles; lower --max-memory",
                      args.out_path, blur_strerror(err), x.rows, args.y_path ? y.rows : x.rows);
        else cli_error("%s: %s", args.out_path, blur_strerror(err));
        status = EXIT_FAIL;
    } else {
        status = EXIT_OK;
    }
done:
    blur_matrix_free(&x);
    blur_matrix_free(&y);
    return status;
}
