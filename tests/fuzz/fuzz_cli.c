/* fuzz_cli.c — libFuzzer target: the default command's argument parsing (getopt_long, number
 * parsing, option ranges, filter settings) without any file I/O. The input is the argument
 * list, each argument ended by a NUL byte. */
#include "../../src/cli/cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* One copy of the bytes, NUL-terminated, split in place; argv is writable as getopt's
     * permutation needs. */
    char *text = malloc(size + 1);
    if (!text) return 0;
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"blur";
    for (size_t i = 0; i < size && argc < MAX_ARGS + 1;) {
        argv[argc++] = text + i;
        i += strlen(text + i) + 1;
    }
    argv[argc] = NULL;
    int status = cmd_blur_check_args(argc, argv);
    /* EXIT_FAIL too: --kernel FILE reads its file while the arguments are checked, and a file
     * that cannot be read is an I/O failure, not bad usage. */
    if (status != -1 && status != EXIT_OK && status != EXIT_USAGE && status != EXIT_FAIL) abort();
    free(text);
    return 0;
}
