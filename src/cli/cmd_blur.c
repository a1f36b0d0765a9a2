/* cmd_blur.c — the default command: blur IN OUT --sigma S. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fputs("Usage: blur IN OUT --sigma S [options]\n"
          "       blur --sigma S -o OUTDIR IN... [options]   (batch mode, below)\n"
          "       blur COMMAND --help   (commands: kernel, compare, rbf)\n"
          "\n"
          "Blurs image IN into OUT with a Gaussian, reproducing\n"
          "scipy.ndimage.gaussian_filter(img, (sigma, sigma, 0)) rounded once to the output\n"
          "(images with alpha are blurred premultiplied; --no-premultiply gives scipy's\n"
          "per-channel result).\n"
          "IN: PNG, JPEG, BMP, TGA, GIF, PSD, HDR or PNM, detected from its bytes; OUT: .png,\n"
          ".jpg/.jpeg, .bmp, .tga or .hdr, from its name. '-' is standard input/output (PNG).\n"
          "\n"
          "Options:\n"
          "  -s, --sigma S        standard deviation in pixels, both axes (0 copies)\n"
          "      --sigma-x S      along rows only; --sigma-y S along columns only\n"
          "      --truncate T     mask radius int(T*sigma + 0.5) (default 4.0, as scipy)\n"
          "      --radius R       mask radius in pixels, instead of --truncate\n"
          "      --mode M         border: reflect (default), mirror, nearest, constant, wrap;\n"
          "                       OpenCV names too (BORDER_REFLECT_101, replicate, ...)\n"
          "      --cval V         value beyond the edge for --mode constant, in sample units\n"
          "                       as scipy's cval (0..255 8-bit, 0..65535 16-bit, 0..1 float)\n"
          "      --method M       mask method (see 'blur kernel --help'; default sampled)\n"
          "      --order-x N      Gaussian derivative along rows: 0, 1 or 2 (as scipy's order);\n"
          "      --order-y N      along columns; --order N both. Signed results: float outputs\n"
          "                       keep the sign, 8/16-bit outputs store mid + value*scale\n"
          "                       (mid 128 or 32768), rounded and clamped\n"
          "      --scale F        scale of signed results in 8/16-bit outputs (default 1)\n"
          "      --angle DEG      rotate the Gaussian: --sigma-x along DEG degrees counter-\n"
          "                       clockwise, --sigma-y across it (a full 2D mask)\n"
          "      --kernel FILE    your own mask (CSV or .npy, any shape) instead of a Gaussian,\n"
          "                       applied as scipy.ndimage.convolve(img, k, origin=0)\n"
          "      --correlate      apply --kernel as scipy.ndimage.correlate instead\n"
          "      --engine E       auto (default), exact (the double-precision reference),\n"
          "                       separable (an error for a mask of rank > 1) or 2d\n"
          "      --exact          the same as --engine exact\n"
          "      --no-premultiply blur alpha and colour separately (as scipy/OpenCV); by default\n"
          "                       images with alpha are blurred premultiplied\n"
          "      --linear         blur in linear light: sRGB decode, blur, encode\n"
          "  -j, --threads N      threads for the filter (default: one per core)\n"
          "  -q, --quality Q      JPEG quality 1..100 (default 90)\n"
          "      --compression L  PNG zlib level 0..9 (default 2)\n"
          "      --png-filter F   PNG row filter: up (default), none, sub, avg, paeth, all\n"
          "      --max-pixels N   refuse larger images (default 100000000)\n"
          "  -h, --help           this help\n"
          "      --version        the version\n"
          "\n"
          "Exit status: 0 success, 1 a file could not be read or written, 2 bad usage.\n",
          to);
    cli_batch_usage(to);
}

enum {
    OPT_SIGMA_X = 256,
    OPT_SIGMA_Y,
    OPT_TRUNCATE,
    OPT_RADIUS,
    OPT_MODE,
    OPT_CVAL,
    OPT_METHOD,
    OPT_ORDER,
    OPT_ORDER_X,
    OPT_ORDER_Y,
    OPT_SCALE,
    OPT_ANGLE,
    OPT_KERNEL,
    OPT_CORRELATE,
    OPT_ENGINE,
    OPT_EXACT,
    OPT_NO_PREMULTIPLY,
    OPT_LINEAR,
    OPT_COMPRESSION,
    OPT_MAX_PIXELS,
    OPT_PNG_FILTER,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"sigma", required_argument, NULL, 's'},
    {"sigma-x", required_argument, NULL, OPT_SIGMA_X},
    {"sigma-y", required_argument, NULL, OPT_SIGMA_Y},
    {"truncate", required_argument, NULL, OPT_TRUNCATE},
    {"radius", required_argument, NULL, OPT_RADIUS},
    {"mode", required_argument, NULL, OPT_MODE},
    {"cval", required_argument, NULL, OPT_CVAL},
    {"method", required_argument, NULL, OPT_METHOD},
    {"order", required_argument, NULL, OPT_ORDER},
    {"order-x", required_argument, NULL, OPT_ORDER_X},
    {"order-y", required_argument, NULL, OPT_ORDER_Y},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"angle", required_argument, NULL, OPT_ANGLE},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"correlate", no_argument, NULL, OPT_CORRELATE},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"exact", no_argument, NULL, OPT_EXACT},
    {"no-premultiply", no_argument, NULL, OPT_NO_PREMULTIPLY},
    {"linear", no_argument, NULL, OPT_LINEAR},
    {"threads", required_argument, NULL, 'j'},
    {"quality", required_argument, NULL, 'q'},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
    {"png-filter", required_argument, NULL, OPT_PNG_FILTER},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    CLI_BATCH_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

typedef struct blur_args {
    blur_options filter;
    blur_read_options read;
    blur_write_options write;
    bool sigma_given;
    const char *in, *out;
    blur_matrix kernel; /* --kernel's mask; filter.kernel points here when given */
    const char *kernel_path;
    cli_batch batch; /* batch mode, when batch.output_dir is set */
} blur_args;

static const struct {
    const char *name;
    blur_engine engine;
} engine_names[] = {
    {"auto", BLUR_ENGINE_AUTO},
    {"exact", BLUR_ENGINE_EXACT},
    {"separable", BLUR_ENGINE_SEPARABLE},
    {"2d", BLUR_ENGINE_2D},
};

static bool parse_engine(const char *arg, blur_engine *engine)
{
    for (size_t i = 0; i < sizeof engine_names / sizeof engine_names[0]; i++)
        if (strcmp(arg, engine_names[i].name) == 0) {
            *engine = engine_names[i].engine;
            return true;
        }
    cli_error("--engine: expected auto, exact, separable or 2d, got '%s'", arg);
    return false;
}

/* Reads --kernel's file; exit status 1 when it cannot be read, as for any input. */
static int read_kernel(const char *path, blur_args *args)
{
    size_t where = 0;
    blur_matrix_free(&args->kernel);
    errno = 0;
    blur_error err = blur_matrix_read(path, &args->kernel, &where);
    if (err == BLUR_ERR_PARSE && where) {
        cli_error("%s: %s at line %zu", path, blur_strerror(err), where);
        return EXIT_FAIL;
    }
    if (err) {
        cli_file_error(path, err);
        return EXIT_FAIL;
    }
    args->kernel_path = path;
    args->filter.kernel = &args->kernel;
    return -1;
}

/* The filter options that only make sense together; messages name the option to change. */
static bool check_filter(const blur_args *args)
{
    const blur_options *f = &args->filter;
    if (f->kernel && (args->sigma_given || f->angle != 0.0 || f->order_x || f->order_y)) {
        cli_error("--kernel: cannot be combined with --sigma, --angle or --order");
        return false;
    }
    if (!f->kernel && !args->sigma_given) {
        cli_error("--sigma is required (see blur --help)");
        return false;
    }
    if (f->correlate && !f->kernel) {
        cli_error("--correlate: only applies to --kernel");
        return false;
    }
    if ((f->order_x && f->sigma_x == 0.0) || (f->order_y && f->sigma_y == 0.0)) {
        cli_error("%s: needs a sigma above 0 on that axis",
                  f->order_x && f->sigma_x == 0.0 ? "--order-x" : "--order-y");
        return false;
    }
    if (f->angle != 0.0 && (f->sigma_x == 0.0 || f->sigma_y == 0.0)) {
        cli_error("--angle: needs both sigmas above 0");
        return false;
    }
    if (f->angle != 0.0 && (f->order_x || f->order_y)) {
        cli_error("--angle: cannot be combined with --order");
        return false;
    }
    if (f->linear && (f->order_x || f->order_y)) {
        cli_error("--linear: cannot be combined with derivatives (--order)");
        return false;
    }
    return true;
}

/* Parses the command line into args; returns -1 to go on, or the exit code to stop with. */
static int parse(int argc, char **argv, blur_args *args)
{
    double value;
    long number;
    const double huge = 1e308;
    /* 0, not 1: glibc then forgets the rest of a half-read "-abc" group from an earlier call,
     * which would otherwise point into an argv that no longer exists. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":s:j:q:ho:r", long_options, NULL)) != -1) {
        int batch = cli_batch_option(&args->batch, c, optarg);
        if (batch < 0) return EXIT_USAGE;
        if (batch > 0) continue;
        switch (c) {
        case 's':
            if (!cli_parse_double("--sigma", optarg, 0.0, huge, &value)) return EXIT_USAGE;
            args->filter.sigma_x = args->filter.sigma_y = value;
            args->sigma_given = true;
            break;
        case OPT_SIGMA_X:
            if (!cli_parse_double("--sigma-x", optarg, 0.0, huge, &args->filter.sigma_x))
                return EXIT_USAGE;
            args->sigma_given = true;
            break;
        case OPT_SIGMA_Y:
            if (!cli_parse_double("--sigma-y", optarg, 0.0, huge, &args->filter.sigma_y))
                return EXIT_USAGE;
            args->sigma_given = true;
            break;
        case OPT_TRUNCATE:
            if (!cli_parse_double("--truncate", optarg, 1e-6, 1e6, &args->filter.truncate))
                return EXIT_USAGE;
            break;
        case OPT_RADIUS:
            if (!cli_parse_long("--radius", optarg, 1, BLUR_MAX_RADIUS, &number))
                return EXIT_USAGE;
            args->filter.radius_x = args->filter.radius_y = number;
            break;
        case OPT_MODE:
            if (blur_border_from_name(optarg, &args->filter.border) != BLUR_OK) {
                cli_error("--mode: expected reflect, mirror, nearest, constant or wrap, got '%s'",
                          optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_CVAL:
            if (!cli_parse_double("--cval", optarg, -huge, huge, &args->filter.cval))
                return EXIT_USAGE;
            break;
        case OPT_METHOD: args->filter.method = optarg; break;
        case OPT_ORDER:
        case OPT_ORDER_X:
        case OPT_ORDER_Y:
            if (!cli_parse_long(c == OPT_ORDER     ? "--order"
                                : c == OPT_ORDER_X ? "--order-x"
                                                   : "--order-y",
                                optarg, 0, 2, &number))
                return EXIT_USAGE;
            if (c != OPT_ORDER_Y) args->filter.order_x = (int)number;
            if (c != OPT_ORDER_X) args->filter.order_y = (int)number;
            break;
        case OPT_SCALE:
            if (!cli_parse_double("--scale", optarg, -1e9, 1e9, &args->filter.scale))
                return EXIT_USAGE;
            break;
        case OPT_ANGLE:
            if (!cli_parse_double("--angle", optarg, -1e6, 1e6, &args->filter.angle))
                return EXIT_USAGE;
            break;
        case OPT_KERNEL: {
            int stop = read_kernel(optarg, args);
            if (stop >= 0) return stop;
            break;
        }
        case OPT_CORRELATE: args->filter.correlate = 1; break;
        case OPT_ENGINE:
            if (!parse_engine(optarg, &args->filter.engine)) return EXIT_USAGE;
            break;
        case OPT_EXACT: args->filter.engine = BLUR_ENGINE_EXACT; break;
        case OPT_NO_PREMULTIPLY: args->filter.alpha = BLUR_ALPHA_SEPARATE; break;
        case OPT_LINEAR: args->filter.linear = 1; break;
        case 'j':
            if (!cli_parse_long("--threads", optarg, 1, 256, &number)) return EXIT_USAGE;
            args->filter.threads = (unsigned)number;
            break;
        case 'q':
            if (!cli_parse_long("--quality", optarg, 1, 100, &number)) return EXIT_USAGE;
            args->write.quality = (int)number;
            break;
        case OPT_COMPRESSION:
            if (!cli_parse_long("--compression", optarg, 0, 9, &number)) return EXIT_USAGE;
            args->write.compression = (int)number;
            break;
        case OPT_PNG_FILTER:
            if (blur_png_filter_from_name(optarg, &args->write.png_filter) != BLUR_OK) {
                cli_error("--png-filter: expected up, none, sub, avg, paeth or all, got '%s'",
                          optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_MAX_PIXELS:
            if (!cli_parse_double("--max-pixels", optarg, 1.0, 1e18, &value)) return EXIT_USAGE;
            args->read.max_pixels = (uint64_t)value;
            break;
        case 'h': usage(stdout); return cli_stdout_status();
        case OPT_VERSION: printf("blur %s\n", BLUR_VERSION_STRING); return cli_stdout_status();
        case ':': cli_error("%s: needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("unknown option '%s' (see blur --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (args->batch.output_dir && args->sigma_given)
        return cli_batch_inputs(&args->batch, argc - optind, argv + optind);
    if (!args->batch.output_dir && args->batch.first_option) { /* it would do nothing here */
        cli_error("%s: only in batch mode (-o OUTDIR)", args->batch.first_option);
        return EXIT_USAGE;
    }
    if (!args->batch.output_dir && argc - optind != 2) {
        cli_error(argc - optind < 2 ? "expected IN and OUT (see blur --help)"
                                    : "too many arguments: expected IN and OUT");
        return EXIT_USAGE;
    }
    if (!check_filter(args)) return EXIT_USAGE;
    args->in = argv[optind];
    args->out = argv[optind + 1];
    return -1;
}

/* Reports a plan error as the option it came from. */
static void plan_error(const blur_args *args, blur_error err)
{
    if (err == BLUR_ERR_UNKNOWN_NAME)
        cli_error("--method: unknown method '%s' (see blur kernel --help)", args->filter.method);
    else if (err == BLUR_ERR_TOO_LARGE && args->filter.kernel)
        cli_error("%s: the mask is larger than %d cells on a side", args->kernel_path,
                  2 * BLUR_MAX_RADIUS + 1);
    else if (err == BLUR_ERR_TOO_LARGE)
        cli_error("--sigma: the mask radius would exceed %d pixels", BLUR_MAX_RADIUS);
    else if (err == BLUR_ERR_NOT_SEPARABLE)
        cli_error("--engine separable: the mask is not separable (its rank is above 1); "
                  "use --engine auto or 2d");
    else if (err == BLUR_ERR_UNSUPPORTED)
        cli_error("--method: '%s' has no derivatives or rotations; use sampled",
                  args->filter.method);
    else if (err == BLUR_ERR_INVALID && args->filter.linear)
        cli_error("--linear: a signed result (a zero-sum mask) cannot be encoded as sRGB");
    else
        cli_error("invalid filter settings: %s", blur_strerror(err));
}

/* Blurs one file into another: the single-file form, and each image of batch mode, on several
 * threads at once (so it changes nothing it is given). On failure *failed names the file at
 * fault, with errno kept from the failing call. */
typedef struct blur_job {
    const blur_args *args;
    const blur_plan *plan;
} blur_job;

static blur_error blur_one(void *ctx, const char *in, const char *out, const char **failed)
{
    const blur_job *job = ctx;
    /* PNG compression gets the filter's share of the cores: in batch mode that is
     * cores / jobs, so jobs never oversubscribe the machine. */
    blur_write_options write = job->args->write;
    write.threads = job->args->filter.threads;
    errno = 0;
    return blur_file(job->plan, in, out, &job->args->read, &write, failed);
}

/* Everything before the first image: the arguments, batch mode's list of images (when
 * find_inputs; it walks directories), the output's name, the plan. Returns -1 to go on with
 * *plan, or the exit code to stop with. */
static int prepare(int argc, char **argv, blur_args *args, bool find_inputs, blur_plan **plan)
{
    *plan = NULL;
    int status = parse(argc, argv, args);
    bool batch = args->batch.output_dir != NULL;
    /* Batch mode decides the filter's threads (cores / jobs), so it comes before the plan. */
    if (status < 0 && batch && find_inputs) {
        int stop = cli_batch_prepare(&args->batch, &args->filter.threads);
        if (stop >= 0) status = stop;
    }
    if (status < 0 && !batch) {
        int checked = cli_check_output(args->out);
        if (checked != EXIT_OK) status = checked;
    }
    blur_error err;
    if (status < 0 && (err = blur_plan_create(&args->filter, plan)) != BLUR_OK) {
        plan_error(args, err);
        status = EXIT_USAGE;
    }
    blur_matrix_free(&args->kernel); /* the plan has its own copy */
    return status;
}

#define BLUR_ARGS_INIT                                                                        \
    {BLUR_OPTIONS_INIT, BLUR_READ_OPTIONS_INIT, BLUR_WRITE_OPTIONS_INIT, false, NULL, NULL,    \
     {0, 0, NULL}, NULL, {0}}

int cmd_blur(int argc, char **argv)
{
    blur_args args = BLUR_ARGS_INIT;
    blur_plan *plan;
    int status = prepare(argc, argv, &args, true, &plan);
    if (status >= 0) {
        cli_batch_free(&args.batch);
        return status;
    }
    blur_job job = {&args, plan};
    if (args.batch.output_dir) {
        status = cli_batch_run(&args.batch, blur_one, &job);
    } else {
        const char *failed;
        blur_error err = blur_one(&job, args.in, args.out, &failed);
        if (err) cli_file_error(failed, err);
        status = err ? EXIT_FAIL : EXIT_OK;
    }
    blur_plan_free(plan);
    cli_batch_free(&args.batch);
    return status;
}

/* Everything cmd_blur checks before it touches a file, for the argument fuzzer: returns the
 * exit code cmd_blur would stop with, or -1 when it would go on to read IN. */
int cmd_blur_check_args(int argc, char **argv)
{
    blur_args args = BLUR_ARGS_INIT;
    blur_plan *plan;
    int status = prepare(argc, argv, &args, false, &plan);
    blur_plan_free(plan);
    return status;
}
