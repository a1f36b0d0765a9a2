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

/* A temporary directory for a test's files, made once per process. */
static inline const char *test_tmpdir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/blur-test-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

#endif
