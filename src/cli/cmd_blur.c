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
          "       blur COMMAND --help   (commands: kernel, compare, rbf)\n"
          "\n"
          "Blurs image IN into OUT with a Gaussian, reproducing\n"
          "scipy.ndimage.gaussian_filter(img, (sigma, sigma, 0)) rounded once to the output.\n"
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
          "      --method M       mask method (see 'blur kernel --help'; default sampled)\n"
          "  -j, --threads N      threads for the filter (default: one per core)\n"
          "  -q, --quality Q      JPEG quality 1..100 (default 90)\n"
          "      --compression L  PNG compression level 0..9\n"
          "      --max-pixels N   refuse larger images (default 100000000)\n"
          "  -h, --help           this help\n"
          "      --version        the version\n"
          "\n"
          "Exit status: 0 success, 1 a file could not be read or written, 2 bad usage.\n",
          to);
}

enum {
    OPT_SIGMA_X = 256,
    OPT_SIGMA_Y,
    OPT_TRUNCATE,
    OPT_RADIUS,
    OPT_MODE,
    OPT_CVAL,
    OPT_METHOD,
    OPT_COMPRESSION,
    OPT_MAX_PIXELS,
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
    {"threads", required_argument, NULL, 'j'},
    {"quality", required_argument, NULL, 'q'},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

typedef struct blur_args {
    blur_options filter;
    blur_read_options read;
    blur_write_options write;
    bool sigma_given;
    const char *in, *out;
} blur_args;

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
    while ((c = getopt_long(argc, argv, ":s:j:q:h", long_options, NULL)) != -1) {
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
        case OPT_MAX_PIXELS:
            if (!cli_parse_double("--max-pixels", optarg, 1.0, 1e18, &value)) return EXIT_USAGE;
            args->read.max_pixels = (uint64_t)value;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        case OPT_VERSION: printf("blur %s\n", BLUR_VERSION_STRING); return EXIT_OK;
        case ':': cli_error("%s: needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("unknown option '%s' (see blur --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cli_error(argc - optind < 2 ? "expected IN and OUT (see blur --help)"
                                    : "too many arguments: expected IN and OUT");
        return EXIT_USAGE;
    }
    if (!args->sigma_given) {
        cli_error("--sigma is required (see blur --help)");
        return EXIT_USAGE;
    }
    args->in = argv[optind];
    args->out = argv[optind + 1];
    return -1;
}

/* Reports a plan error as the option it came from. */
static void plan_error(const blur_args *args, blur_error err)
{
    if (err == BLUR_ERR_UNKNOWN_NAME)
        cli_error("--method: unknown method '%s' (see blur kernel --help)", args->filter.method);
    else if (err == BLUR_ERR_TOO_LARGE)
        cli_error("--sigma: the mask radius would exceed %d pixels", BLUR_MAX_RADIUS);
    else
        cli_error("invalid filter settings: %s", blur_strerror(err));
}

int cmd_blur(int argc, char **argv)
{
    blur_args args = {BLUR_OPTIONS_INIT, BLUR_READ_OPTIONS_INIT, BLUR_WRITE_OPTIONS_INIT,
                      false, NULL, NULL};
    int stop = parse(argc, argv, &args);
    if (stop >= 0) return stop;
    if (!cli_check_output_name(args.out)) return EXIT_USAGE;

    blur_plan *plan;
    blur_error err = blur_plan_create(&args.filter, &plan);
    if (err) {
        plan_error(&args, err);
        return EXIT_USAGE;
    }
    int status = EXIT_FAIL;
    blur_image src = {0}, dst = {0};
    blur_image_meta meta = {0};
    errno = 0;
    err = blur_image_read(args.in, &args.read, &src, &meta);
    if (err) {
        cli_file_error(args.in, err);
        goto done;
    }
    err = blur_image_alloc(&dst, src.width, src.height, src.channels, src.depth);
    if (!err) err = blur_plan_run(plan, &src, &dst);
    if (err) {
        cli_file_error(args.in, err);
        goto done;
    }
    args.write.meta = &meta;
    errno = 0;
    err = blur_image_write(args.out, &dst, &args.write);
    if (err) {
        cli_file_error(args.out, err);
        goto done;
    }
    status = EXIT_OK;
done:
    blur_image_free(&src);
    blur_image_free(&dst);
    blur_image_meta_free(&meta);
    blur_plan_free(plan);
    return status;
}

/* Everything cmd_blur checks before it touches a file, for the argument fuzzer: returns the
 * exit code cmd_blur would stop with, or -1 when it would go on to read IN. */
int cmd_blur_check_args(int argc, char **argv)
{
    blur_args args = {BLUR_OPTIONS_INIT, BLUR_READ_OPTIONS_INIT, BLUR_WRITE_OPTIONS_INIT,
                      false, NULL, NULL};
    int stop = parse(argc, argv, &args);
    if (stop >= 0) return stop;
    blur_plan *plan;
    blur_error err = blur_plan_create(&args.filter, &plan);
    if (err) {
        plan_error(&args, err);
        return EXIT_USAGE;
    }
    blur_plan_free(plan);
    return -1;
}
