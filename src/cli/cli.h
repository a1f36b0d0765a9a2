/* cli.h — what the subcommands share: exit codes, messages, number parsing. */
#ifndef BLUR_CLI_H
#define BLUR_CLI_H

#include "../blur.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Prints "blur: MESSAGE" as one line on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Prints "blur: PATH: PROBLEM", with the system's reason for open/read/write errors. Reads
 * errno, so call it right after the failing call. */
void cli_file_error(const char *path, blur_error err);
/* The same message without "blur: " and the newline, into buf, with errnum as the reason. */
void cli_file_message(char *buf, size_t size, const char *path, blur_error err, int errnum);

/* Parse an option's argument; on failure print "blur: --OPT: expected ..., got 'ARG'" and
 * return false. */
bool cli_parse_double(const char *option, const char *arg, double min, double max,
                      double *out);
bool cli_parse_long(const char *option, const char *arg, long min, long max, long *out);

/* Checks what was written to standard output (--help, a table) and reports a failure:
 * EXIT_FAIL, else EXIT_OK. */
int cli_stdout_status(void);

/* Checks an image output before any work is done, so that a directory (EXIT_FAIL) or an unknown
 * extension (EXIT_USAGE) is reported before the input is read; EXIT_OK when neither. */
int cli_check_output(const char *path);

/* Subcommands: each takes the arguments after its name (argv[0] is the command's name) and
 * returns an exit code. */
int cmd_blur(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_rbf(int argc, char **argv);
int cmd_compare(int argc, char **argv);

/* ---- batch mode (batch.c): blur --sigma S -o OUTDIR IN... ---- */

/* Batch settings, from the command line; zero = default. */
typedef struct cli_batch {
    const char *output_dir;   /* -o: batch mode when set */
    const char *suffix;       /* added to each output's stem */
    const char *format;       /* output format name; NULL keeps each input's extension */
    const char *files_from;   /* a list of inputs, "-" = standard input */
    bool recursive, force, quiet, verbose, null_separated;
    unsigned jobs;            /* images at once; 0 = one per core */
    char **inputs;            /* the IN arguments */
    int input_count;
    struct cli_batch_list *list; /* made by cli_batch_prepare */
    const char *first_option; /* the first option given that only batch mode takes */
} cli_batch;

/* Batch mode's long options, for the command's getopt_long table; its short options are "o:r". */
#define CLI_BATCH_OPT 0x1000 /* values CLI_BATCH_OPT.. belong to batch mode */
#define CLI_BATCH_LONG_OPTIONS                                                                  \
    {"output-dir", required_argument, NULL, 'o'}, {"recursive", no_argument, NULL, 'r'},      \
    {"suffix", required_argument, NULL, CLI_BATCH_OPT + 0},                                   \
    {"format", required_argument, NULL, CLI_BATCH_OPT + 1},                                   \
    {"jobs", required_argument, NULL, CLI_BATCH_OPT + 2},                                     \
    {"force", no_argument, NULL, CLI_BATCH_OPT + 3},                                          \
    {"quiet", no_argument, NULL, CLI_BATCH_OPT + 4},                                          \
    {"verbose", no_argument, NULL, CLI_BATCH_OPT + 5},                                        \
    {"files-from", required_argument, NULL, CLI_BATCH_OPT + 6},                               \
    {"null", no_argument, NULL, CLI_BATCH_OPT + 7}

/* Handles option c if it is batch mode's: 1 handled, 0 not a batch option, -1 bad value
 * (reported). */
int cli_batch_option(cli_batch *batch, int c, const char *arg);
/* Prints the batch section of --help. */
void cli_batch_usage(FILE *to);
/* Takes the IN arguments; returns -1 to go on, or the exit code to stop with. */
int cli_batch_inputs(cli_batch *batch, int count, char **inputs);

/* Blurs the image file in into out with the command's options; called from several threads
 * at once. On failure returns the error, with *failed naming the file at fault and errno kept. */
typedef blur_error (*cli_image_fn)(void *ctx, const char *in, const char *out,
                                   const char **failed);

/* Finds the images and decides how many run at once: sets *filter_threads (when 0) so that
 * jobs × filter threads do not exceed the cores. Returns -1 to go on (then call cli_batch_run
 * or cli_batch_free), or the exit code to stop with. */
int cli_batch_prepare(cli_batch *batch, unsigned *filter_threads);
/* Runs the batch, reports, frees the list; returns the exit code. On SIGINT, SIGTERM or SIGHUP
 * it lets the images in progress finish, prints the summary and dies of the signal. */
int cli_batch_run(cli_batch *batch, cli_image_fn fn, void *ctx);
void cli_batch_free(cli_batch *batch);
/* --methods LIST: "all" (the table's order) or names separated by commas, each once; fills
 * indices (room for blur_kernel_method_count()) with positions in the method table and *count.
 * On an unknown name prints "blur: OPTION: unknown method ..." and returns false.
 * (cmd_compare.c) */
bool cli_parse_methods(const char *option, const char *arg, size_t *indices, size_t *count);

/* cmd_blur's argument checks alone, no I/O (tests/fuzz/fuzz_cli.c): the exit code it would
 * stop with, or -1 when the arguments are good. */
int cmd_blur_check_args(int argc, char **argv);

#endif
