/* util.c — messages and argument parsing shared by the subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_verror(const char *fmt, va_list ap)
{
    fputs("blur: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_verror(fmt, ap);
    va_end(ap);
}

void cli_file_message(char *buf, size_t size, const char *path, blur_error err, int errnum)
{
    /* "-" is standard output where a write failed, standard input for anything else */
    const char *name = strcmp(path, "-") != 0 ? path
                       : err == BLUR_ERR_WRITE ? "(standard output)"
                                               : "(standard input)";
    if ((err == BLUR_ERR_OPEN || err == BLUR_ERR_READ || err == BLUR_ERR_WRITE) && errnum)
        snprintf(buf, size, "%s: %s: %s", name, blur_strerror(err), strerror(errnum));
    else if (err == BLUR_ERR_EXTENSION)
        snprintf(buf, size, "%s: %s; use .png, .jpg, .jpeg, .bmp, .tga or .hdr", name,
                 blur_strerror(err));
    else
        snprintf(buf, size, "%s: %s", name, blur_strerror(err));
}

void cli_file_error(const char *path, blur_error err)
{
    char message[4096 + 200];
    cli_file_message(message, sizeof message, path, err, errno);
    cli_error("%s", message);
}

bool cli_parse_double(const char *option, const char *arg, double min, double max,
                      double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    /* strtod also reads hexadecimal (0x10 = 16): not what a user of sigma means */
    if (end == arg || *end || errno || strpbrk(arg, "xX") || !isfinite(v) || v < min ||
        v > max) {
        if (min == 0.0 && max >= 1e300)
            cli_error("%s: expected a non-negative number, got '%s'", option, arg);
        else
            cli_error("%s: expected a number from %g to %g, got '%s'", option, min, max, arg);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_long(const char *option, const char *arg, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || errno || v < min || v > max) {
        cli_error("%s: expected a whole number from %ld to %ld, got '%s'", option, min, max,
                  arg);
        return false;
    }
    *out = v;
    return true;
}

int cli_stdout_status(void)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_file_error("-", BLUR_ERR_WRITE);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

int cli_check_output(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        cli_file_error(path, BLUR_ERR_OPEN);
        return EXIT_FAIL;
    }
    blur_format format;
    blur_error err = blur_format_from_path(path, &format);
    if (err) {
        errno = 0;
        cli_file_error(path, err);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}
