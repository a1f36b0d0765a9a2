/* example.c — a program that uses libblur through its public header only, as an installed
 * library's user would: blur an image file, then print the 1D mask it used.
 *
 *   cc example.c $(pkg-config --cflags --libs blur) -o example
 *   ./example in.png out.png 3
 */
#include <blur.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s IN OUT SIGMA\n", argv[0]);
        return 2;
    }
    blur_options options = BLUR_OPTIONS_INIT;
    options.sigma_x = options.sigma_y = atof(argv[3]);

    blur_plan *plan;
    blur_error err = blur_plan_create(&options, &plan);
    if (err) {
        fprintf(stderr, "example: %s\n", blur_strerror(err));
        return 2;
    }
    const char *failed;
    err = blur_file(plan, argv[1], argv[2], NULL, NULL, &failed);
    blur_plan_free(plan);
    if (err) {
        fprintf(stderr, "example: %s: %s\n", failed, blur_strerror(err));
        return 1;
    }

    /* The mask scipy.ndimage.gaussian_filter uses for this sigma. */
    blur_kernel_spec spec = BLUR_KERNEL_SPEC_INIT;
    spec.sigma_x = spec.sigma_y = options.sigma_x;
    size_t rows, cols;
    if (options.sigma_x > 0 && blur_kernel_shape(&spec, &rows, &cols) == BLUR_OK) {
        double *mask = malloc(cols * sizeof *mask);
        if (mask && blur_kernel_1d(&spec, 1, mask, cols) == BLUR_OK)
            for (size_t i = 0; i < cols; i++) printf("%.10f%c", mask[i], i + 1 < cols ? ' ' : '\n');
        free(mask);
    }
    return 0;
}
