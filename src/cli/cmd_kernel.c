/* cmd_kernel.c — blur kernel: one Gaussian mask by any method of the library's table, printed
 * as a table or saved as CSV or .npy; or, with --report, every method measured at the same
 * size and sigma. Output formats are rows of a table too, so adding one is adding a row. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- output formats ---- */

/* What a format writer gets: the mask and how it was made. */
typedef struct kernel_output {
    const char *path;             /* "-" = standard output */
    const blur_matrix *mask;
    const blur_kernel_spec *spec; /* method, shape, sigmas, normalization */
} kernel_output;

typedef struct kernel_format {
    const char *name;
    const char *extension; /* an -o name ending in .EXTENSION picks this format */
    bool to_stdout, to_file;
    /* The writer takes its kind from the file name (blur_matrix_write), so the name must end
     * in .EXTENSION, and no other format may be written to such a name. */
    bool by_name;
    int (*write)(const kernel_output *out); /* an exit status; reports its own errors */
    const char *summary;
} kernel_format;

static int write_table(const kernel_output *out);
static int write_matrix(const kernel_output *out);
static int write_png(const kernel_output *out);

static const kernel_format formats[] = {
    {"table", NULL, true, false, false, write_table,
     "aligned, 8 significant digits, standard output (the default)"},
    {"csv", "csv", true, true, false, write_matrix,
     "comma-separated, 17 significant digits (reads back exactly)"},
    {"npy", "npy", false, true, true, write_matrix,
     "NumPy .npy, float64 (numpy.load); needs -o FILE.npy"},
    {"png", "png", false, true, true, write_png,
     "heatmap with a colour bar, cells scaled up (like plt.imshow); needs -o FILE.png"},
};
enum { FORMAT_COUNT = sizeof formats / sizeof formats[0] };

static const kernel_format *format_by_name(const char *name)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (strcasecmp(formats[i].name, name) == 0) return &formats[i];
    return NULL;
}

static bool has_extension(const char *path, const char *extension)
{
    const char *dot = strrchr(path, '.');
    return extension && dot && strcasecmp(dot + 1, extension) == 0;
}

static const kernel_format *format_by_path(const char *path)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (has_extension(path, formats[i].extension)) return &formats[i];
    return NULL;
}

enum { ANY_FORMAT, STDOUT_FORMATS, FILE_FORMATS };

/* "table, csv or npy": the names of the formats that can go where `which` says, for
 * messages, so that a new row needs no new message. */
static const char *format_list(int which)
{
    static char list[256];
    size_t len = 0, count = 0, seen = 0;
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        count += which == ANY_FORMAT || (which == STDOUT_FORMATS ? formats[i].to_stdout
                                                                 : formats[i].to_file);
    list[0] = '\0';
    for (size_t i = 0; i < FORMAT_COUNT && len < sizeof list; i++) {
        if (which != ANY_FORMAT &&
            !(which == STDOUT_FORMATS ? formats[i].to_stdout : formats[i].to_file))
            continue;
        seen++;
        int n = snprintf(list + len, sizeof list - len, "%s%s",
                         seen == 1 ? "" : seen == count ? " or " : ", ", formats[i].name);
        if (n > 0) len += (size_t)n;
    }
    return list;
}

static const char *const normalize_names[] = {
    [BLUR_NORMALIZE_SUM] = "sum",
    [BLUR_NORMALIZE_PEAK] = "peak",
    [BLUR_NORMALIZE_NONE] = "none",
};

/* "# [METHOD ]ROWSxCOLS ...": what the lines below show. */
static void print_header(const char *method, const blur_kernel_spec *spec, size_t rows,
                         size_t cols)
{
    printf("# %s%s%zux%zu (rows x cols), sigma_y %.10g, sigma_x %.10g, normalize %s\n",
           method ? method : "", method ? " " : "", rows, cols, spec->sigma_y, spec->sigma_x,
           normalize_names[spec->normalize]);
}

/* Right-aligned to the widest cell, so the columns line up. A '#' header keeps the table
 * readable by blur_matrix_read and numpy.loadtxt. */
static int write_table(const kernel_output *out)
{
    const blur_matrix *m = out->mask;
    char cell[40];
    int width = 1;
    for (size_t i = 0; i < m->rows * m->cols; i++) {
        int n = snprintf(cell, sizeof cell, "%.8g", m->data[i]);
        if (n > width) width = n;
    }
    print_header(out->spec->method, out->spec, m->rows, m->cols);
    for (size_t r = 0; r < m->rows; r++)
        for (size_t c = 0; c < m->cols; c++)
            printf("%*.8g%s", width, m->data[r * m->cols + c], c + 1 < m->cols ? "  " : "\n");
    return cli_stdout_status();
}

static int write_matrix(const kernel_output *out)
{
    errno = 0;
    blur_error err = blur_matrix_write(out->path, out->mask);
    if (err) {
        cli_file_error(out->path, err);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* ---- arguments ---- */

typedef struct kernel_args {
    blur_kernel_spec spec;
    double sigma_x, sigma_y; /* 0 = not given */
    size_t rows, cols;       /* --size; 0 = not given */
    double nsig;             /* 0 = not given */
    double truncate;         /* 0 = not given */
    long radius;             /* -1 = not given */
    bool opencv_size, report;
    const kernel_format *format; /* NULL = from the -o name, else table */
    const char *output;          /* NULL = standard output */
    const char *plot;            /* --plot FILE.svg|.png; NULL = none */
    const char *methods;         /* --methods for --plot; NULL = all */
} kernel_args;

static void usage(FILE *to)
{
    fputs("Usage: blur kernel [--method M] (--sigma S | --nsig K --size N) [options]\n"
          "       blur kernel --report --size N --sigma S\n"
          "\n"
          "Makes a Gaussian mask by one of the methods in use (flawed ones included, to\n"
          "show what they compute) and prints it, or saves it as CSV or NumPy .npy.\n"
          "\n"
          "Options:\n"
          "  -m, --method M       how to build the mask (default sampled; see below)\n"
          "  -n, --size N         N x N cells, or ROWSxCOLS (e.g. 5x7); 1 to 10001 each\n"
          "  -s, --sigma S        standard deviation in pixels, both axes (> 0)\n"
          "      --sigma-x S      along the rows (across the columns)\n"
          "      --sigma-y S      down the columns\n"
          "      --nsig K         the mask spans K sigmas each side, as in the answers'\n"
          "                       gkern(kernlen, nsig): sigma = N / (2K); needs --size\n"
          "      --truncate T     size from sigma: 2*int(T*sigma + 0.5) + 1, scipy's rule\n"
          "                       (the default, with T = 4, when no size is given)\n"
          "      --radius R       size 2R + 1\n"
          "      --opencv-size    size from sigma by OpenCV's rule for 8-bit images:\n"
          "                       cvRound(sigma*3*2 + 1) | 1\n"
          "      --normalize H    sum (the default: the cells sum to 1), peak (the largest\n"
          "                       is 1) or none (as the method computes it)\n"
          "  -f, --format F       output format (default: from the -o name, else table)\n"
          "  -o, --output FILE    write to FILE ('-' = standard output)\n"
          "      --plot FILE      the row profiles of the --methods overlaid on one chart,\n"
          "                       the continuous Gaussian dashed: FILE.svg or FILE.png\n"
          "                       (then the mask itself is written only if -o is given)\n"
          "      --methods LIST   for --plot: all (the default) or names, comma-separated\n"
          "      --report         one row per method for this size and sigma: sum, peak,\n"
          "                       effective sigma_x/sigma_y (square root of the second\n"
          "                       moment), largest difference from integrated\n"
          "  -h, --help           this help\n"
          "\n"
          "Methods (x is the distance from the centre in pixels, s the sigma):\n",
          to);
    for (size_t i = 0; i < blur_kernel_method_count(); i++) {
        const blur_kernel_method *m = blur_kernel_method_at(i);
        fprintf(to, "  %-14s %s%s\n", m->name, m->flawed ? "INCORRECT: " : "", m->summary);
    }
    fputs("\nFormats:\n", to);
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        fprintf(to, "  %-14s %s\n", formats[i].name, formats[i].summary);
    fputs("\nExit status: 0 success, 1 the output could not be written or memory ran out,\n"
          "2 bad usage.\n",
          to);
}

enum {
    OPT_SIGMA_X = 256,
    OPT_SIGMA_Y,
    OPT_NSIG,
    OPT_TRUNCATE,
    OPT_RADIUS,
    OPT_OPENCV_SIZE,
    OPT_NORMALIZE,
    OPT_REPORT,
    OPT_PLOT,
    OPT_METHODS,
};

static const struct option long_options[] = {
    {"method", required_argument, NULL, 'm'},
    {"size", required_argument, NULL, 'n'},
    {"sigma", required_argument, NULL, 's'},
    {"sigma-x", required_argument, NULL, OPT_SIGMA_X},
    {"sigma-y", required_argument, NULL, OPT_SIGMA_Y},
    {"nsig", required_argument, NULL, OPT_NSIG},
    {"truncate", required_argument, NULL, OPT_TRUNCATE},
    {"radius", required_argument, NULL, OPT_RADIUS},
    {"opencv-size", no_argument, NULL, OPT_OPENCV_SIZE},
    {"normalize", required_argument, NULL, OPT_NORMALIZE},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"report", no_argument, NULL, OPT_REPORT},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"methods", required_argument, NULL, OPT_METHODS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* A number > 0 (sigmas, nsig, truncate): zero, negatives, NaN and infinities are refused. */
static bool parse_positive(const char *option, const char *arg, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || !isfinite(v) || v <= 0.0) {
        cli_error("%s: expected a positive number, got '%s'", option, arg);
        return false;
    }
    if (errno) { /* ERANGE: below the normal range of doubles */
        cli_error("%s: '%s' is too small", option, arg);
        return false;
    }
    *out = v;
    return true;
}

/* One side of --size: a whole number from 1 to BLUR_KERNEL_MAX_SIZE; *end is what follows. */
static bool parse_side(const char *p, char **end, size_t *out)
{
    if (*p < '0' || *p > '9') return false;
    errno = 0;
    unsigned long v = strtoul(p, end, 10);
    if (errno || v < 1 || v > BLUR_KERNEL_MAX_SIZE) return false;
    *out = v;
    return true;
}

/* --size N or ROWSxCOLS. */
static bool parse_size(const char *arg, size_t *rows, size_t *cols)
{
    char *end;
    bool ok = parse_side(arg, &end, rows);
    if (ok && (*end == 'x' || *end == 'X')) ok = parse_side(end + 1, &end, cols);
    else *cols = *rows;
    if (!ok || *end) {
        cli_error("--size: expected N or ROWSxCOLS, whole numbers from 1 to %d, got '%s'",
                  BLUR_KERNEL_MAX_SIZE, arg);
        return false;
    }
    return true;
}

/* Parses the command line into args; returns -1 to go on, or the exit code to stop with. */
static int parse(int argc, char **argv, kernel_args *args)
{
    double value;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":m:n:s:f:o:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'm': args->spec.method = optarg; break;
        case 'n':
            if (!parse_size(optarg, &args->rows, &args->cols)) return EXIT_USAGE;
            break;
        case 's':
            if (!parse_positive("--sigma", optarg, &value)) return EXIT_USAGE;
            args->sigma_x = args->sigma_y = value;
            break;
        case OPT_SIGMA_X:
            if (!parse_positive("--sigma-x", optarg, &args->sigma_x)) return EXIT_USAGE;
            break;
        case OPT_SIGMA_Y:
            if (!parse_positive("--sigma-y", optarg, &args->sigma_y)) return EXIT_USAGE;
            break;
        case OPT_NSIG:
            if (!parse_positive("--nsig", optarg, &args->nsig)) return EXIT_USAGE;
            break;
        case OPT_TRUNCATE:
            if (!parse_positive("--truncate", optarg, &args->truncate)) return EXIT_USAGE;
            break;
        case OPT_RADIUS:
            if (!cli_parse_long("--radius", optarg, 0, (BLUR_KERNEL_MAX_SIZE - 1) / 2,
                                &args->radius))
                return EXIT_USAGE;
            break;
        case OPT_OPENCV_SIZE: args->opencv_size = true; break;
        case OPT_NORMALIZE: {
            size_t i = 0;
            while (i < sizeof normalize_names / sizeof normalize_names[0] &&
                   strcasecmp(optarg, normalize_names[i]) != 0)
                i++;
            if (i == sizeof normalize_names / sizeof normalize_names[0]) {
                cli_error("--normalize: expected sum, peak or none, got '%s'", optarg);
                return EXIT_USAGE;
            }
            args->spec.normalize = (blur_normalize)i;
            break;
        }
        case 'f':
            args->format = format_by_name(optarg);
            if (!args->format) {
                cli_error("--format: expected %s, got '%s'", format_list(ANY_FORMAT), optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o': args->output = optarg; break;
        case OPT_REPORT: args->report = true; break;
        case OPT_PLOT: args->plot = optarg; break;
        case OPT_METHODS: args->methods = optarg; break;
        case 'h': usage(stdout); return cli_stdout_status();
        case ':': cli_error("%s: needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("unknown option '%s' (see blur kernel --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s' (see blur kernel --help)", argv[optind]);
        return EXIT_USAGE;
    }
    return -1;
}

static bool known_method(const char *name)
{
    for (size_t i = 0; i < blur_kernel_method_count(); i++)
        if (strcmp(blur_kernel_method_at(i)->name, name) == 0) return true;
    return false;
}

/* The mask size scipy's rule gives, as a double so that huge sigmas do not overflow. */
static double truncate_size(double sigma, double truncate)
{
    return 2.0 * floor(truncate * sigma + 0.5) + 1.0;
}

/* --plot and --methods: checks them; returns -1 to go on, or EXIT_USAGE. */
static int resolve_plot(const kernel_args *args)
{
    if (args->methods && !args->plot) {
        cli_error("--methods is for --plot (the mask itself takes --method)");
        return EXIT_USAGE;
    }
    if (!args->plot) return -1;
    if (args->report) {
        cli_error("give --plot or --report, not both");
        return EXIT_USAGE;
    }
    if (!has_extension(args->plot, "svg") && !has_extension(args->plot, "png")) {
        cli_error("%s: --plot writes .svg or .png; give a name ending in one of them",
                  args->plot);
        return EXIT_USAGE;
    }
    size_t count, *indices = calloc(blur_kernel_method_count(), sizeof *indices);
    if (!indices) {
        cli_error("out of memory");
        return EXIT_FAIL;
    }
    bool ok = cli_parse_methods("--methods", args->methods ? args->methods : "all", indices,
                                &count);
    free(indices);
    return ok ? -1 : EXIT_USAGE;
}

/* Turns the size and sigma options into args->spec; returns -1 to go on, or EXIT_USAGE. */
static int resolve(kernel_args *args)
{
    blur_kernel_spec *spec = &args->spec;
    if (!known_method(spec->method)) {
        cli_error("--method: unknown method '%s' (see blur kernel --help)", spec->method);
        return EXIT_USAGE;
    }
    int size_options = (args->rows != 0) + (args->truncate > 0) + (args->radius >= 0) +
                       args->opencv_size;
    if (size_options > 1) {
        cli_error("give only one of --size, --truncate, --radius and --opencv-size");
        return EXIT_USAGE;
    }
    if (args->nsig > 0) {
        if (args->sigma_x > 0 || args->sigma_y > 0) {
            cli_error("--nsig sets sigma from the size: give it without --sigma");
            return EXIT_USAGE;
        }
        if (!args->rows) {
            cli_error("--nsig needs --size (sigma = size / (2 * nsig))");
            return EXIT_USAGE;
        }
        args->sigma_y = (double)args->rows / (2.0 * args->nsig);
        args->sigma_x = (double)args->cols / (2.0 * args->nsig);
    } else if (!(args->sigma_x > 0) && !(args->sigma_y > 0)) {
        cli_error("--sigma is required, or --nsig with --size (see blur kernel --help)");
        return EXIT_USAGE;
    } else if (!(args->sigma_x > 0) || !(args->sigma_y > 0)) {
        cli_error("%s is missing: give both --sigma-x and --sigma-y, or --sigma for both",
                  args->sigma_x > 0 ? "--sigma-y" : "--sigma-x");
        return EXIT_USAGE;
    }
    spec->sigma_x = args->sigma_x;
    spec->sigma_y = args->sigma_y;

    if (args->rows) {
        spec->rows = args->rows;
        spec->cols = args->cols;
    } else if (args->radius >= 0) {
        spec->rows = spec->cols = 2 * (size_t)args->radius + 1;
    } else if (args->opencv_size) {
        /* OpenCV's createGaussianKernels: cvRound(sigma*(depth == CV_8U ? 3 : 4)*2 + 1) | 1;
         * cvRound rounds half to even, as lrint does. */
        double sy = args->sigma_y * 6.0 + 1.0, sx = args->sigma_x * 6.0 + 1.0;
        double worst = sy > sx ? sy : sx;
        if (worst >= BLUR_KERNEL_MAX_SIZE) {
            cli_error("--opencv-size: sigma %g gives %.0f cells, over the limit of %d",
                      sy > sx ? args->sigma_y : args->sigma_x, worst, BLUR_KERNEL_MAX_SIZE);
            return EXIT_USAGE;
        }
        spec->rows = (size_t)lrint(sy) | 1;
        spec->cols = (size_t)lrint(sx) | 1;
    } else {
        if (args->truncate > 0) spec->truncate = args->truncate;
        double sigma = args->sigma_y > args->sigma_x ? args->sigma_y : args->sigma_x;
        double n = truncate_size(sigma, spec->truncate);
        if (n > BLUR_KERNEL_MAX_SIZE) {
            cli_error("--sigma %g with truncate %g gives %.0f cells, over the limit of %d; "
                      "give --size",
                      sigma, spec->truncate, n, BLUR_KERNEL_MAX_SIZE);
            return EXIT_USAGE;
        }
    }

    int plot_status = resolve_plot(args);
    if (plot_status >= 0) return plot_status;
    if (args->plot && !args->output && !args->format) return -1; /* the plot alone */

    const char *path = args->output ? args->output : "-";
    bool to_stdout = strcmp(path, "-") == 0;
    if (args->report) {
        if (!to_stdout) {
            cli_error("--report prints to standard output; give it without -o");
            return EXIT_USAGE;
        }
        if (args->format && !args->format->to_stdout) {
            cli_error("--report prints as %s, not %s", format_list(STDOUT_FORMATS),
                      args->format->name);
            return EXIT_USAGE;
        }
        return -1;
    }
    if (!args->format) {
        args->format = to_stdout ? &formats[0] : format_by_path(path);
        if (!args->format) args->format = format_by_name("csv");
    }
    const kernel_format *f = args->format;
    if (to_stdout && !f->to_stdout) {
        cli_error("--format %s: needs -o FILE.%s", f->name, f->extension);
        return EXIT_USAGE;
    }
    if (!to_stdout && !f->to_file) {
        cli_error("--format %s prints to standard output; for a file use --format %s",
                  f->name, format_list(FILE_FORMATS));
        return EXIT_USAGE;
    }
    if (!to_stdout && f->by_name && !has_extension(path, f->extension)) {
        cli_error("%s: --format %s needs a name ending in .%s", path, f->name, f->extension);
        return EXIT_USAGE;
    }
    const kernel_format *named = format_by_path(path);
    if (!to_stdout && named && named != f && named->by_name) {
        cli_error("%s: a .%s name is for --format %s; choose another name", path,
                  named->extension, named->name);
        return EXIT_USAGE;
    }
    return -1;
}

/* Reports a failure to build a mask, as the option it comes from. */
static int mask_error(const blur_kernel_spec *spec, blur_error err)
{
    switch (err) {
    case BLUR_ERR_TOO_LARGE:
        cli_error("--method %s: sigma %g needs a filter radius over %d pixels", spec->method,
                  spec->sigma_x > spec->sigma_y ? spec->sigma_x : spec->sigma_y,
                  BLUR_MAX_RADIUS);
        return EXIT_USAGE;
    case BLUR_ERR_UNSUPPORTED:
        cli_error("--method %s: every cell underflows to 0 at sigma %g and this size; use "
                  "another size or --normalize none",
                  spec->method, spec->sigma_x < spec->sigma_y ? spec->sigma_x : spec->sigma_y);
        return EXIT_USAGE;
    case BLUR_ERR_NOMEM: cli_error("out of memory"); return EXIT_FAIL;
    default: cli_error("invalid mask settings: %s", blur_strerror(err)); return EXIT_USAGE;
    }
}

/* One row per method: the same shape, sigmas and normalization, each measured. */
static int report(const kernel_args *args)
{
    bool csv = args->format && strcmp(args->format->name, "csv") == 0;
    size_t rows, cols;
    blur_error err = blur_kernel_shape(&args->spec, &rows, &cols);
    if (err) return mask_error(&args->spec, err);
    if (csv) {
        printf("method,flawed,sum,peak,sigma_x,sigma_y,max_diff_integrated\n");
    } else {
        print_header(NULL, &args->spec, rows, cols);
        printf("%-24s %12s %12s %12s %12s %12s\n", "method", "sum", "peak", "sigma_x",
               "sigma_y", "max|diff|");
    }
    for (size_t i = 0; i < blur_kernel_method_count(); i++) {
        const blur_kernel_method *m = blur_kernel_method_at(i);
        blur_kernel_spec spec = args->spec;
        spec.method = m->name;
        blur_kernel_report rep;
        err = blur_kernel_measure(&spec, &rep);
        if (csv) {
            if (err) printf("%s,%d,,,,,\n", m->name, m->flawed != 0);
            else
                printf("%s,%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", m->name, m->flawed != 0,
                       rep.sum, rep.peak, rep.sigma_x, rep.sigma_y, rep.max_diff_integrated);
            continue;
        }
        char label[64];
        snprintf(label, sizeof label, "%s%s", m->name, m->flawed ? " (incorrect)" : "");
        if (err)
            printf("%-24s not computed: %s\n", label,
                   err == BLUR_ERR_TOO_LARGE     ? "the filter radius would exceed the limit"
                   : err == BLUR_ERR_UNSUPPORTED ? "every cell underflows to 0"
                                                 : blur_strerror(err));
        else
            printf("%-24s %12.8g %12.8g %12.8g %12.8g %12.3e\n", label, rep.sum, rep.peak,
                   rep.sigma_x, rep.sigma_y, rep.max_diff_integrated);
    }
    if (!csv)
        printf("# max|diff|: the largest cell difference from the integrated mask; sigma: the\n"
               "# square root of the second moment about the centroid, in pixels\n");
    return cli_stdout_status();
}

/* ---- pictures: --format png and --plot (render.c does the drawing) ---- */

static int write_png(const kernel_output *out)
{
    blur_heatmap_options opt = BLUR_HEATMAP_OPTIONS_INIT;
    opt.max_side = 400; /* a 5x5 mask gets 80-pixel cells */
    opt.text_scale = 1.5;
    blur_image img;
    blur_error err = blur_heatmap_image(out->mask, &opt, &img);
    if (!err) {
        errno = 0;
        err = blur_image_write_as(out->path, BLUR_FORMAT_PNG, &img, NULL);
        blur_image_free(&img);
        if (err) {
            cli_file_error(out->path, err);
            return EXIT_FAIL;
        }
        return EXIT_OK;
    }
    cli_error("%s: cannot draw the heatmap: %s", out->path, blur_strerror(err));
    return err == BLUR_ERR_NOMEM ? EXIT_FAIL : EXIT_USAGE;
}

/* The row profile of each chosen method (its 1D row factor: the centre row of the 2D mask,
 * rescaled by the normalization), at offsets from the mask centre (n-1)/2, over the continuous
 * Gaussian with the same normalization, dashed. */
static int plot_profiles(const kernel_args *args)
{
    enum { REFERENCE_POINTS = 401 };
    size_t nmethods = blur_kernel_method_count(), count = 0;
    size_t rows, cols;
    blur_kernel_spec spec = args->spec;
    blur_error err = blur_kernel_shape(&spec, &rows, &cols);
    if (err) return mask_error(&spec, err);
    size_t *indices = calloc(nmethods, sizeof *indices);
    blur_plot_series *series = calloc(nmethods + 1, sizeof *series);
    double *xs = calloc(cols, sizeof *xs);
    double *values = calloc(nmethods * cols, sizeof *values); /* cols <= 10001: no overflow */
    double *reference = calloc(2 * REFERENCE_POINTS, sizeof *reference);
    char (*labels)[64] = calloc(nmethods, sizeof *labels);
    int status = EXIT_FAIL;
    if (!indices || !series || !xs || !values || !reference || !labels) {
        cli_error("out of memory");
        goto done;
    }
    (void)cli_parse_methods("--methods", args->methods ? args->methods : "all", indices, &count);
    double centre = ((double)cols - 1.0) / 2.0, s = spec.sigma_x;
    for (size_t i = 0; i < cols; i++) xs[i] = (double)i - centre;
    for (size_t k = 0; k < count; k++) {
        const blur_kernel_method *m = blur_kernel_method_at(indices[k]);
        spec.method = m->name;
        double *v = values + k * cols;
        err = blur_kernel_1d(&spec, 1, v, cols);
        if (err) {
            status = mask_error(&spec, err);
            goto done;
        }
        snprintf(labels[k], sizeof labels[k], "%s%s", m->name, m->flawed ? " (incorrect)" : "");
        series[k] = (blur_plot_series){labels[k], xs, v, cols, 0, cols <= 64};
    }
    /* The reference, over the same span as the cells. */
    double *rx = reference, *ry = reference + REFERENCE_POINTS;
    double half = centre + 0.5;
    for (size_t i = 0; i < REFERENCE_POINTS; i++) {
        double x = -half + 2.0 * half * (double)i / (REFERENCE_POINTS - 1);
        double g = exp(-x * x / (2.0 * s * s));
        rx[i] = x;
        ry[i] = spec.normalize == BLUR_NORMALIZE_SUM ? g / (s * sqrt(2.0 * M_PI)) : g;
    }
    series[count] = (blur_plot_series){"continuous Gaussian", rx, ry, REFERENCE_POINTS, 1, 0};
    char title[160], ylabel[80];
    snprintf(title, sizeof title, "Row profiles: %zu cells, sigma%s %.4g", cols,
             spec.sigma_x != spec.sigma_y ? "_x" : "", s);
    snprintf(ylabel, sizeof ylabel, "mask value (normalize %s)",
             normalize_names[spec.normalize]);
    blur_plot plot = {title, "offset from the mask centre (pixels)", ylabel, series, count + 1,
                      0, 0};
    errno = 0;
    if (has_extension(args->plot, "svg")) {
        err = blur_plot_write_svg(args->plot, &plot);
    } else {
        blur_image img;
        err = blur_plot_render(&plot, &img);
        if (!err) {
            err = blur_image_write_as(args->plot, BLUR_FORMAT_PNG, &img, NULL);
            blur_image_free(&img);
        }
    }
    if (err) cli_file_error(args->plot, err);
    else status = EXIT_OK;
done:
    free(indices);
    free(series);
    free(xs);
    free(values);
    free(reference);
    free(labels);
    return status;
}

int cmd_kernel(int argc, char **argv)
{
    kernel_args args = {BLUR_KERNEL_SPEC_INIT, 0.0, 0.0, 0, 0, 0.0, 0.0, -1,
                        false, false, NULL, NULL, NULL, NULL};
    args.spec.method = "sampled";
    int stop = parse(argc, argv, &args);
    if (stop >= 0) return stop;
    stop = resolve(&args);
    if (stop >= 0) return stop;
    if (args.report) return report(&args);
    if (args.plot) {
        int plotted = plot_profiles(&args);
        if (plotted != EXIT_OK || (!args.output && !args.format)) return plotted;
    }

    blur_matrix mask = {0, 0, NULL};
    blur_error err = blur_kernel_shape(&args.spec, &mask.rows, &mask.cols);
    if (err) return mask_error(&args.spec, err);
    /* At most 10001 x 10001 cells (800 MB): the product fits, the allocation may not. */
    mask.data = calloc(mask.rows * mask.cols, sizeof *mask.data);
    if (!mask.data) {
        cli_error("a %zux%zu mask needs %.0f MB, more memory than is available", mask.rows,
                  mask.cols, (double)mask.rows * (double)mask.cols * 8.0 / 1e6);
        return EXIT_FAIL;
    }
    err = blur_kernel_2d(&args.spec, mask.data, mask.rows * mask.cols);
    int status;
    if (err) {
        status = mask_error(&args.spec, err);
    } else {
        kernel_output out = {args.output ? args.output : "-", &mask, &args.spec};
        status = args.format->write(&out);
    }
    blur_matrix_free(&mask);
    return status;
}
