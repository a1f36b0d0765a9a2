/* testutil.h — what the cmocka tests share: includes, paths, small helpers. Header-only. */
#ifndef BLUR_TESTUTIL_H
#define BLUR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "blur.h"
#include "internal.h"

/* Tests run from the top of the tree (make test); fixtures live here. */
#define FIXTURES "tests/fixtures/"

/* A deterministic pseudo-random sequence (xorshift64*), so failures reproduce. */
static inline uint64_t test_rand(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

/* A temporary directory for a test's files, made once per process, removed at exit. */
static char test_dir_[64];
static inline void test_remove_tmpdir_(void)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir_);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", test_dir_);
}
static inline const char *test_tmpdir(void)
{
    if (!test_dir_[0]) {
        snprintf(test_dir_, sizeof test_dir_, "/tmp/blur-test-XXXXXX");
        if (!mkdtemp(test_dir_)) abort();
        atexit(test_remove_tmpdir_);
    }
    return test_dir_;
}

/* Two images of the same shape and the same samples, row by row (strides may differ). */
static inline void assert_same_pixels(const blur_image *a, const blur_image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_int_equal(a->channels, b->channels);
    assert_int_equal(a->depth, b->depth);
    size_t row = a->width * (size_t)a->channels * blur_depth_size(a->depth);
    for (size_t y = 0; y < a->height; y++)
        assert_memory_equal((const char *)a->data + y * a->stride,
                            (const char *)b->data + y * b->stride, row);
}

/* A whole file of under 1 MB, in a new buffer (free); *size its length. */
static inline unsigned char *test_read_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char *bytes = malloc(1 << 20);
    assert_non_null(bytes);
    *size = fread(bytes, 1, 1 << 20, fp);
    assert_true(*size < 1 << 20);
    fclose(fp);
    return bytes;
}

#endif
