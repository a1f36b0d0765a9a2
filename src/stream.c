/* stream.c — one image file into another. PNG to PNG streams: a second thread decodes rows
 * into a ring that holds just the rows the filter still needs (the mask's height plus a
 * strip), the filter turns strips of rows into output rows, and these go straight to the
 * encoder. Memory is a few dozen rows whatever the image size, and decoding overlaps
 * filtering and encoding. Anything else (other formats, interlaced PNG, wrap borders on images
 * taller than the ring) is read whole, filtered and written. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Output rows filtered per step (the filter's buffers are made once per strip), and input
 * rows decoded per lock round trip. */
#define STRIP_ROWS 64
#define DECODE_BATCH 16

typedef struct row_ring {
    unsigned char *rows; /* capacity rows; input row j lives in slot j % capacity */
    size_t capacity, stride, height;
    blur__png_reader *reader;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t produced; /* rows decoded so far */
    size_t low;      /* the lowest row the filter still needs */
    blur_error err;  /* the decoder's verdict, set when it stops */
    bool done, cancel;
} row_ring;

static void *decode_thread(void *arg)
{
    row_ring *ring = arg;
    blur_error err = BLUR_OK;
    for (size_t j = 0; j < ring->height && !err;) {
        size_t count = ring->height - j < DECODE_BATCH ? ring->height - j : DECODE_BATCH;
        pthread_mutex_lock(&ring->lock);
        /* Room for rows j .. j+count-1 means their slots hold rows the filter is done with. */
        while (!ring->cancel && j + count > ring->low + ring->capacity)
            pthread_cond_wait(&ring->changed, &ring->lock);
        bool cancel = ring->cancel;
        pthread_mutex_unlock(&ring->lock);
        if (cancel) break;
        /* A batch may wrap around the end of the ring. */
        for (size_t done = 0; done < count && !err;) {
            size_t slot = (j + done) % ring->capacity;
            size_t run = ring->capacity - slot < count - done ? ring->capacity - slot : count - done;
            err = blur__png_reader_rows(ring->reader, ring->rows + slot * ring->stride, run,
                                        ring->stride);
            done += run;
        }
        if (err) break;
        j += count;
        pthread_mutex_lock(&ring->lock);
        ring->produced = j;
        pthread_cond_broadcast(&ring->changed);
        pthread_mutex_unlock(&ring->lock);
    }
    /* Damage after the last row (a cut-off end, a bad CRC) fails the whole file. */
    if (!err && !ring->cancel) err = blur__png_reader_finish(ring->reader);
    pthread_mutex_lock(&ring->lock);
    ring->err = err;
    ring->done = true;
    pthread_cond_broadcast(&ring->changed);
    pthread_mutex_unlock(&ring->lock);
    return NULL;
}

static const void *ring_row(void *ctx, size_t m)
{
    const row_ring *ring = ctx;
    return ring->rows + (m % ring->capacity) * ring->stride;
}

/* Waits until rows up to `high` are decoded, after telling the decoder that rows below `low`
 * may go. Returns the decoder's error if it stopped short. */
static blur_error ring_wait(row_ring *ring, size_t low, size_t high)
{
    pthread_mutex_lock(&ring->lock);
    ring->low = low;
    pthread_cond_broadcast(&ring->changed);
    while (ring->produced <= high && !ring->done) pthread_cond_wait(&ring->changed, &ring->lock);
    blur_error err = ring->produced > high ? BLUR_OK : ring->err ? ring->err : BLUR_ERR_TRUNCATED;
    pthread_mutex_unlock(&ring->lock);
    return err;
}

typedef struct stream_job {
    const blur_plan *plan;
    const char *out_path;
    const blur_write_options *write;
    row_ring ring;
    blur_image shape;
} stream_job;

/* The filter and encoder side, on the calling thread. */
static blur_error filter_and_encode(stream_job *job, blur__png_writer *writer, bool *input_failed)
{
    const blur_image *shape = &job->shape;
    long above = blur__plan_rows_above(job->plan), below = blur__plan_rows_below(job->plan);
    unsigned char *strip = blur__alloc_array(STRIP_ROWS, shape->stride);
    if (!strip) return BLUR_ERR_NOMEM;
    blur_error err = BLUR_OK;
    for (size_t y0 = 0; y0 < shape->height && !err; y0 += STRIP_ROWS) {
        size_t y1 = y0 + STRIP_ROWS < shape->height ? y0 + STRIP_ROWS : shape->height;
        /* The input rows this strip reads: rows y0-above .. y1-1+below, mapped into the image
         * by the border rule (reflection at the top reads the first rows, wrap the last). */
        size_t low = SIZE_MAX, high = 0;
        for (long j = (long)y0 - above; j <= (long)y1 - 1 + below; j++) {
            long m = blur__border_index(blur__plan_border(job->plan), j, (long)shape->height);
            if (m < 0) continue;
            if ((size_t)m < low) low = (size_t)m;
            if ((size_t)m > high) high = (size_t)m;
        }
        if (low == SIZE_MAX) low = high = 0; /* all constant: nothing to wait for but row 0 */
        err = ring_wait(&job->ring, low, high);
        if (err) {
            *input_failed = true;
            break;
        }
        err = blur__plan_run_rows(job->plan, shape, ring_row, &job->ring, y0, y1, strip,
                                  shape->stride);
        if (err) { /* the filter's failures are the input's (its size), as in whole_image */
            *input_failed = true;
            break;
        }
        err = blur__png_writer_rows(writer, strip, y1 - y0, shape->stride);
    }
    free(strip);
    return err;
}

static blur_error stream_png(stream_job *job, const blur_image_meta *meta, bool *input_failed)
{
    blur_write_options write = *job->write;
    write.meta = meta;
    blur__output *out;
    blur_error err = blur__output_open(job->out_path, &out);
    if (err) return err;
    blur__png_writer *writer;
    err = blur__png_writer_open(blur__output_stream(out), &job->shape, &write, &writer);
    if (err) {
        blur__output_abort(out);
        return err;
    }
    pthread_t decoder;
    if (pthread_create(&decoder, NULL, decode_thread, &job->ring) != 0) {
        blur__png_writer_free(writer);
        blur__output_abort(out);
        return BLUR_ERR_NOMEM;
    }
    err = filter_and_encode(job, writer, input_failed);
    pthread_mutex_lock(&job->ring.lock);
    job->ring.cancel = err != BLUR_OK;
    pthread_cond_broadcast(&job->ring.changed);
    pthread_mutex_unlock(&job->ring.lock);
    pthread_join(decoder, NULL);
    if (!err && job->ring.err) {
        err = job->ring.err;
        *input_failed = true;
    }
    if (!err) err = blur__png_writer_finish(writer);
    blur__png_writer_free(writer);
    if (err) {
        blur__output_abort(out);
        return err;
    }
    return blur__output_commit(out);
}

/* Whether this reader, plan and output can stream; when not, the caller reads whole. */
static bool can_stream(const blur__png_reader *reader, const blur_plan *plan, const char *out,
                       size_t capacity)
{
    blur_format format;
    if (blur_format_from_path(out, &format) != BLUR_OK || format != BLUR_FORMAT_PNG) return false;
    if (blur__png_reader_interlaced(reader)) return false;
    if (blur__png_reader_orientation(reader) != 1) return false; /* read whole, then turned */
    if (blur__plan_wants_whole(plan, blur__png_reader_shape(reader))) return false;
    /* Wrap needs the bottom rows at the top: only when the whole image fits in the ring. */
    return blur__plan_border(plan) != BLUR_BORDER_WRAP ||
           capacity >= blur__png_reader_shape(reader)->height;
}

static blur_error whole_image(const blur_plan *plan, blur_image *src, const char *out,
                              const blur_write_options *write, const blur_image_meta *meta,
                              const char **failed)
{
    blur_image dst;
    blur_error err = blur_image_alloc(&dst, src->width, src->height, src->channels, src->depth);
    if (!err) err = blur_plan_run(plan, src, &dst); /* a failure here is the input's (*failed) */
    if (!err) {
        blur_write_options with_meta = *write;
        with_meta.meta = meta;
        err = blur_image_write(out, &dst, &with_meta);
        if (err) *failed = out;
    }
    blur_image_free(&dst);
    return err;
}

blur_error blur_file(const blur_plan *plan, const char *in, const char *out,
                     const blur_read_options *read, const blur_write_options *write,
                     const char **failed)
{
    blur_read_options read_defaults = BLUR_READ_OPTIONS_INIT;
    blur_write_options write_defaults = BLUR_WRITE_OPTIONS_INIT;
    if (!read) read = &read_defaults;
    if (!write) write = &write_defaults;
    const char *dummy;
    if (!failed) failed = &dummy;
    *failed = in;
    if (!plan || !in || !out) return BLUR_ERR_INVALID;
    blur_format format;
    blur_error err = blur_format_from_path(out, &format);
    if (err) {
        *failed = out;
        return err;
    }

    bool is_stdin = strcmp(in, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(in, "rb");
    if (!fp) return BLUR_ERR_OPEN;
    blur__source src = {.fp = fp};
    src.prefix_size = fread(src.prefix, 1, sizeof src.prefix, fp);
    blur_image_meta meta = {0};
    blur_image whole = {0};
    blur__png_reader *reader = NULL;
    if (ferror(fp)) err = BLUR_ERR_READ;
    else if (src.prefix_size == 0) err = BLUR_ERR_EMPTY;
    else if (blur__is_png(src.prefix, src.prefix_size))
        err = blur__png_reader_open(&src, read, &reader, &meta);
    if (err) goto done;

    if (reader) {
        stream_job job = {.plan = plan, .out_path = out, .write = write,
                          .shape = *blur__png_reader_shape(reader)};
        size_t capacity = 2 * (size_t)blur__plan_rows_above(plan) + STRIP_ROWS + DECODE_BATCH;
        if (capacity > job.shape.height) capacity = job.shape.height;
        if (can_stream(reader, plan, out, capacity)) {
            job.ring = (row_ring){.capacity = capacity, .stride = job.shape.stride,
                                  .height = job.shape.height, .reader = reader};
            job.ring.rows = blur__alloc_array(capacity, job.shape.stride);
            if (!job.ring.rows) {
                err = BLUR_ERR_NOMEM;
                goto done;
            }
            pthread_mutex_init(&job.ring.lock, NULL);
            pthread_cond_init(&job.ring.changed, NULL);
            bool input_failed = false;
            err = stream_png(&job, &meta, &input_failed);
            pthread_mutex_destroy(&job.ring.lock);
            pthread_cond_destroy(&job.ring.changed);
            free(job.ring.rows);
            if (err && !input_failed) *failed = out;
            goto done;
        }
        /* Read whole through the same reader. */
        err = blur_image_alloc(&whole, job.shape.width, job.shape.height, job.shape.channels,
                               job.shape.depth);
        if (!err) err = blur__png_read_whole(reader, &whole);
    } else {
        err = blur__decode_rest(&src, read, &whole, &meta);
    }
    if (err) goto done;
    err = whole_image(plan, &whole, out, write, &meta, failed);
done:
    blur__png_reader_free(reader);
    blur_image_free(&whole);
    blur_image_meta_free(&meta);
    int saved = errno;
    if (!is_stdin) fclose(fp);
    errno = saved;
    return err;
}
