/* main.c — the entry point: signals, then dispatch to a subcommand from the table. A first
 * argument that names no subcommand is the default command, blurring images. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"blur", cmd_blur, "blur images (the default: blur IN OUT --sigma S)"},
    {"kernel", cmd_kernel, "make, print and compare Gaussian masks (blur kernel --help)"},
    {"rbf", cmd_rbf, "the Gaussian kernel matrix of data points (blur rbf X.npy -o K.npy)"},
    {"compare", cmd_compare, "a PNG contact sheet comparing mask methods on an image"},
};

/* An interrupted write leaves no temporary file behind: remove them, then die of the signal as
 * the shell expects. */
static void on_signal(int sig)
{
    blur_remove_temporary_files();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    if (argc >= 2)
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
    return cmd_blur(argc, argv);
}
