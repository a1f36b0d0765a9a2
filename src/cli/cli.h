/* cli.h — what the subcommands share: exit codes, messages, number parsing. */
#ifndef BLUR_CLI_H
#define BLUR_CLI_H

#include "../blur.h"

#include <stdbool.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Prints "blur: MESSAGE" as one line on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "blur: PATH: PROBLEM", with the system's reason for open/read/write errors. Reads
 * errno, so call it right after the failing call. */
void cli_file_error(const char *path, blur_error err);

/* Parse an option's argument; on failure print "blur: --OPT: expected ..., got 'ARG'" and
 * return false. */
bool cli_parse_double(const char *option, const char *arg, double min, double max,
                      double *out);
bool cli_parse_long(const char *option, const char *arg, long min, long max, long *out);

/* Checks the name of an image output before any work is done, so that an unknown extension
 * is reported before the input is read. */
bool cli_check_output_name(const char *path);

/* Subcommands: each takes the arguments after its name (argv[0] is the command's name) and
 * returns an exit code. */
int cmd_blur(int argc, char **argv);

/* cmd_blur's argument checks alone, no I/O (tests/fuzz/fuzz_cli.c): the exit code it would
 * stop with, or -1 when the arguments are good. */
int cmd_blur_check_args(int argc, char **argv);

#endif
