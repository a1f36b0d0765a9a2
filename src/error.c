/* error.c — the error table. */
#include "blur.h"

static const char *const error_text[BLUR_ERR_COUNT_] = {
    [BLUR_OK] = "success",
    [BLUR_ERR_NOMEM] = "out of memory",
    [BLUR_ERR_INVALID] = "invalid argument",
    [BLUR_ERR_OVERFLOW] = "size too large (overflow)",
    [BLUR_ERR_OPEN] = "cannot open",
    [BLUR_ERR_READ] = "read error",
    [BLUR_ERR_WRITE] = "write error",
    [BLUR_ERR_UNKNOWN_FORMAT] = "not an image (unknown format)",
    [BLUR_ERR_CORRUPT] = "corrupt image data",
    [BLUR_ERR_TRUNCATED] = "truncated file",
    [BLUR_ERR_EMPTY] = "empty file",
    [BLUR_ERR_TOO_LARGE] = "too large (over the limit)",
    [BLUR_ERR_UNSUPPORTED] = "not supported",
    [BLUR_ERR_EXTENSION] = "unknown output format (extension)",
    [BLUR_ERR_NOT_SEPARABLE] = "mask is not separable",
    [BLUR_ERR_PARSE] = "malformed data",
    [BLUR_ERR_UNKNOWN_NAME] = "unknown name",
    [BLUR_ERR_INTERRUPTED] = "interrupted",
};

const char *blur_strerror(blur_error err)
{
    if ((unsigned)err >= BLUR_ERR_COUNT_ || !error_text[err]) return "unknown error";
    return error_text[err];
}
