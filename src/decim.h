/* decim.h — the decimated Gaussian (decim.c) and its per-instruction-set stages
 * (decim_simd.h, compiled by decim.c for the baseline and by decim_avx2.c and decim_avx512.c
 * with their own -m flags, each with its own vector width). Private to those files. */
#ifndef BLUR_DECIM_H
#define BLUR_DECIM_H

#include "internal.h"

#include <pthread.h>
#include <stdint.h>

/* Cells an output reads, |p - (c - q) s| <= reach: 8 for every step from 3 to 64. */
enum { UP_TAPS = 8 };
/* The most taps of the anti-alias Gaussian (4.5 * 0.8 * 64 = 231 each side), for the tap
 * tables on the stack. */
enum { MAX_TAPS = 2 * 231 + 1 };
/* The widest vector of any variant, in floats: lines and tiles are padded to it. */
enum { MAX_LANES = 16 };
/* Stage A's tile of image columns (samples), and how many cells ahead it prefetches rows. */
enum { TILE_A = 64, PREFETCH_CELLS = 2 };
/* Cells per band: stages A and B run band by band, so that A's result is BAND floats per image
 * column (9 MB for 6000 RGB pixels, where the whole image's took 32 MB; no faster, less
 * memory). A multiple of 2 MAX_LANES. */
enum { BAND = 128 };
/* Stage D's tile of image columns (pixels). */
enum { UP_TILE = 64 };

typedef struct decim_axis {
    int step;          /* s: positions per coarse cell */
    int reach;         /* the anti-alias Gaussian's radius, in positions */
    float *down;       /* its 2 reach + 1 weights, summing to 1 */
    int32_t *down_pair; /* the same in 16-bit fixed point, for stage A's integer sums: terms
                         * 2p (low 16 bits) and 2p + 1 (high), term t the taps at +-t, summing
                         * to 2^S exactly; reach / 2 + 1 of them */
    float down_unit;    /* 2^-S */
    int up_first;      /* output n = q s + p reads cells q + up_first .. + UP_TAPS - 1 */
    float *up;         /* s rows of UP_TAPS weights (row p), each summing to 1 */
    int coarse_radius; /* J: the coarse kernel's radius, in cells */
    float *coarse;     /* its 2 J + 1 weights, summing to 1 */
} decim_axis;

/* The filter (decim.c). */
struct blur__decim {
    decim_axis axis[2]; /* [0] vertical, [1] horizontal */
    blur_border border;
    double cval;
    /* The workspace of the last run, kept for the next (its fresh pages cost ~10 % of a run
     * at sigma 30, a third at sigma 10). */
    pthread_mutex_t lock;
    float *cache;
    size_t cache_floats;
};

/* The cells of an axis of n positions: outputs read cells [first_out, first_out + out);
 * the coarse filter reads [first_out - J, first_out + out + J) (in = out + 2 J). */
typedef struct cells {
    long first_out;
    size_t out, in;
} cells;

static inline cells axis_cells(const decim_axis *a, size_t n)
{
    cells c;
    c.first_out = a->up_first;
    c.out = (n - 1) / (size_t)a->step + UP_TAPS;
    c.in = c.out + 2 * (size_t)a->coarse_radius;
    return c;
}

typedef struct run_ctx {
    const blur__decim *f;
    const blur_image *src;
    blur_image *dst;
    size_t ch, samples; /* channels, samples per row */
    cells ycell, xcell;
    size_t line;        /* floats per coarse line: ycell.in rounded up to MAX_LANES, + MAX_LANES */
    const unsigned char **row; /* input row of extended position (cell * s + k), NULL: cval */
    long rows;                 /* entries of row */
    long row_first;            /* the position of row[0] */
    size_t band0, band; /* the cells (ycell.in's) stages A and B do now */
    float *zv;  /* the vertical down pass of the band: a line of BAND per image sample column */
    float *cval_line; /* BAND times cval: zv's line for positions outside the image */
    float *zh;  /* the horizontal down pass: a line per (cell, channel) */
    float *tmp; /* the coarse filter's vertical half, same lines */
    float *v;   /* the coarse result: a line per output (cell, channel) */
} run_ctx;

/* The stages of a run, in order; A and B run once per band. */
typedef enum { STAGE_DOWN_ROWS, STAGE_DOWN_COLUMNS, STAGE_COARSE_V, STAGE_COARSE_H,
               STAGE_UP } stage;

/* Slots in stage A's ring of widened rows: a power of two, at least 2 reach + 1. */
static inline size_t ring_slots(const decim_axis *a)
{
    size_t slots = 1;
    while (slots < (size_t)(2 * a->reach + 1)) slots *= 2;
    return slots;
}

/* The scratch floats a thread needs for a stage: stage A's ring; stage D's tile, a row of
 * UP_TILE pixels per output cell, up to a multiple of MAX_LANES cells, plus a vector. */
static inline size_t stage_scratch_floats(const run_ctx *r, stage st)
{
    if (st == STAGE_DOWN_ROWS) return ring_slots(&r->f->axis[0]) * TILE_A;
    if (st == STAGE_UP)
        return ((r->ycell.out + MAX_LANES - 1) / MAX_LANES * MAX_LANES + 1) * UP_TILE * r->ch +
               MAX_LANES;
    return 0;
}

/* Runs stage st over [first, last) of its units (A: image sample columns, a multiple of
 * TILE_A apart; B, C: lines; D: image columns, a multiple of UP_TILE apart) with the
 * thread's scratch. The variants compute the same sums in their own vector width (their last
 * bits may differ: fused multiply-adds). */
typedef void decim_stage_fn(const run_ctx *r, stage st, size_t first, size_t last,
                            float *scratch);
decim_stage_fn blur__decim_stage_generic, blur__decim_stage_avx2, blur__decim_stage_avx512;

#endif
