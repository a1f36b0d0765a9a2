/* deflate.c — one zlib stream compressed on several threads, as pigz does: the data is cut
 * into blocks, each deflated on its own (primed with the 32 KiB before it, so the ratio stays
 * that of one stream) and ended on a byte boundary with a sync flush; the pieces, in order,
 * behind one zlib header and before the combined Adler-32, are a valid stream. PNG encoding
 * spends most of its time here, so this is where the cores help. */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BLOCK_BYTES ((size_t)256 << 10)
#define WINDOW ((size_t)32 << 10)
#define MAX_WORKERS 16

typedef struct zblock {
    unsigned char *in;     /* BLOCK_BYTES; the first `dict` bytes are the previous block's tail */
    size_t dict, len;      /* dictionary bytes, then len bytes of data */
    unsigned char *out;
    size_t out_len, out_cap;
    uLong adler;           /* of the data bytes alone */
    bool last, done;
    int status;            /* Z_OK or a zlib error */
} zblock;

struct blur__zstream {
    int level;
    blur__zsink *sink;
    void *sink_ctx;
    pthread_mutex_t lock;
    pthread_cond_t work, finished;
    pthread_t workers[MAX_WORKERS];
    unsigned nworkers;
    /* A ring of blocks: [emitted, submitted) are being compressed, `filling` takes data. */
    zblock *blocks;
    size_t nblocks, emitted, submitted, taken;
    bool stop;
    bool header_sent;
    uLong adler;
    unsigned char tail[WINDOW]; /* the last bytes written, the next block's dictionary */
    size_t tail_len;
    blur_error err;
    z_stream inline_z; /* compresses blocks on the caller's thread when there are no workers */
    int inline_init;
};

/* Compresses one block with z, a raw deflate stream made once per worker and reset per block:
 * making one per block allocated and freed ~270 KB each time, which glibc handed back to the
 * kernel and faulted in again (a third of the run's time was system time). */
static void compress_block(z_stream *z, zblock *b)
{
    b->status = deflateReset(z);
    if (b->status == Z_OK && b->dict) b->status = deflateSetDictionary(z, b->in, (uInt)b->dict);
    size_t bound = deflateBound(z, (uLong)b->len) + 16;
    if (b->status == Z_OK && bound > b->out_cap) {
        free(b->out);
        b->out = malloc(bound);
        b->out_cap = b->out ? bound : 0;
        if (!b->out) b->status = Z_MEM_ERROR;
    }
    if (b->status == Z_OK) {
        z->next_in = b->in + b->dict;
        z->avail_in = (uInt)b->len;
        z->next_out = b->out;
        z->avail_out = (uInt)b->out_cap;
        int r = deflate(z, b->last ? Z_FINISH : Z_SYNC_FLUSH);
        b->status = (r == Z_OK || r == Z_STREAM_END) && z->avail_in == 0 ? Z_OK : Z_BUF_ERROR;
        b->out_len = b->out_cap - z->avail_out;
        b->adler = adler32(adler32(0L, NULL, 0), b->in + b->dict, (uInt)b->len);
    }
}

static int stream_init(z_stream *z, int level)
{
    memset(z, 0, sizeof *z);
    return deflateInit2(z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

static void *worker(void *arg)
{
    blur__zstream *z = arg;
    z_stream zs;
    int init = stream_init(&zs, z->level);
    pthread_mutex_lock(&z->lock);
    for (;;) {
        while (!z->stop && z->taken == z->submitted) pthread_cond_wait(&z->work, &z->lock);
        if (z->taken == z->submitted) break; /* stop, and nothing left */
        zblock *b = &z->blocks[z->taken++ % z->nblocks];
        pthread_mutex_unlock(&z->lock);
        if (init == Z_OK) compress_block(&zs, b);
        else b->status = init;
        pthread_mutex_lock(&z->lock);
        b->done = true;
        pthread_cond_broadcast(&z->finished);
    }
    pthread_mutex_unlock(&z->lock);
    if (init == Z_OK) deflateEnd(&zs);
    return NULL;
}

blur_error blur__zstream_open(int level, unsigned threads, blur__zsink *sink, void *sink_ctx,
                              blur__zstream **out)
{
    *out = NULL;
    blur__zstream *z = calloc(1, sizeof *z);
    if (!z) return BLUR_ERR_NOMEM;
    z->level = level;
    z->sink = sink;
    z->sink_ctx = sink_ctx;
    z->adler = adler32(0L, NULL, 0);
    z->inline_init = Z_STREAM_ERROR; /* not made yet */
    pthread_mutex_init(&z->lock, NULL);
    pthread_cond_init(&z->work, NULL);
    pthread_cond_init(&z->finished, NULL);
    if (threads > MAX_WORKERS) threads = MAX_WORKERS;
    /* Two blocks per worker keep them busy while the caller emits; one when inline. */
    z->nblocks = threads ? 2 * (size_t)threads : 1;
    z->blocks = calloc(z->nblocks, sizeof *z->blocks);
    if (!z->blocks) {
        blur__zstream_free(z);
        return BLUR_ERR_NOMEM;
    }
    for (size_t i = 0; i < z->nblocks; i++) {
        z->blocks[i].in = malloc(WINDOW + BLOCK_BYTES);
        if (!z->blocks[i].in) {
            blur__zstream_free(z);
            return BLUR_ERR_NOMEM;
        }
    }
    for (unsigned t = 0; t < threads; t++) {
        if (pthread_create(&z->workers[t], NULL, worker, z) != 0) break;
        z->nworkers++;
    }
    z->inline_init = z->nworkers ? Z_STREAM_ERROR : stream_init(&z->inline_z, level);
    if (!z->nworkers && z->inline_init != Z_OK) {
        blur__zstream_free(z);
        return BLUR_ERR_NOMEM;
    }
    *out = z;
    return BLUR_OK;
}

/* Emits the oldest block once it is compressed; called with the lock held. */
static void emit_oldest(blur__zstream *z)
{
    zblock *b = &z->blocks[z->emitted % z->nblocks];
    while (!b->done) pthread_cond_wait(&z->finished, &z->lock);
    pthread_mutex_unlock(&z->lock);
    if (!z->err && b->status != Z_OK) z->err = b->status == Z_MEM_ERROR ? BLUR_ERR_NOMEM : BLUR_ERR_WRITE;
    if (!z->err) {
        unsigned char *piece = b->out;
        size_t len = b->out_len;
        /* The zlib header (32 KiB window, no dictionary) before the first piece; the Adler-32
         * of everything after the last. deflateBound left room for both. */
        if (!z->header_sent) {
            unsigned cmf = 0x78, flevel = z->level < 2 ? 0 : z->level < 6 ? 1 : z->level == 6 ? 2 : 3;
            unsigned flg = flevel << 6;
            flg += 31 - (cmf * 256 + flg) % 31;
            memmove(piece + 2, piece, len);
            piece[0] = (unsigned char)cmf;
            piece[1] = (unsigned char)flg;
            len += 2;
            z->header_sent = true;
        }
        z->adler = adler32_combine(z->adler, b->adler, (z_off_t)b->len);
        if (b->last) {
            for (int i = 3; i >= 0; i--) piece[len++] = (unsigned char)(z->adler >> (8 * i));
        }
        z->err = z->sink(z->sink_ctx, piece, len);
    }
    pthread_mutex_lock(&z->lock);
    b->done = false;
    z->emitted++;
}

/* Hands the block being filled to the workers (or compresses it here without workers). */
static void submit(blur__zstream *z, bool last)
{
    zblock *b = &z->blocks[z->submitted % z->nblocks];
    b->last = last;
    /* The next block's dictionary: the last 32 KiB of dictionary + data so far. */
    size_t keep = b->dict + b->len < WINDOW ? b->dict + b->len : WINDOW;
    memcpy(z->tail, b->in + b->dict + b->len - keep, keep);
    z->tail_len = keep;
    pthread_mutex_lock(&z->lock);
    z->submitted++;
    if (z->nworkers) {
        pthread_cond_signal(&z->work);
    } else {
        z->taken++;
        pthread_mutex_unlock(&z->lock);
        if (z->inline_init == Z_OK) compress_block(&z->inline_z, b);
        else b->status = z->inline_init;
        pthread_mutex_lock(&z->lock);
        b->done = true;
    }
    /* Keep the ring from overrunning: the next block to fill must be emitted first. */
    while (z->submitted - z->emitted >= z->nblocks || (last && z->emitted < z->submitted))
        emit_oldest(z);
    pthread_mutex_unlock(&z->lock);
    zblock *next = &z->blocks[z->submitted % z->nblocks];
    memcpy(next->in, z->tail, z->tail_len);
    next->dict = z->tail_len;
    next->len = 0;
}

blur_error blur__zstream_write(blur__zstream *z, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    while (len && !z->err) {
        zblock *b = &z->blocks[z->submitted % z->nblocks];
        size_t room = BLOCK_BYTES - b->len;
        size_t n = len < room ? len : room;
        memcpy(b->in + b->dict + b->len, p, n);
        b->len += n;
        p += n;
        len -= n;
        if (b->len == BLOCK_BYTES) submit(z, false);
    }
    return z->err;
}

blur_error blur__zstream_finish(blur__zstream *z)
{
    if (!z->err) submit(z, true);
    return z->err;
}

void blur__zstream_free(blur__zstream *z)
{
    if (!z) return;
    if (z->nworkers) {
        pthread_mutex_lock(&z->lock);
        z->stop = true;
        pthread_cond_broadcast(&z->work);
        pthread_mutex_unlock(&z->lock);
        for (unsigned t = 0; t < z->nworkers; t++) pthread_join(z->workers[t], NULL);
    }
    if (!z->nworkers && z->inline_init == Z_OK) deflateEnd(&z->inline_z);
    pthread_mutex_destroy(&z->lock);
    pthread_cond_destroy(&z->work);
    pthread_cond_destroy(&z->finished);
    if (z->blocks) {
        for (size_t i = 0; i < z->nblocks; i++) {
            free(z->blocks[i].in);
            free(z->blocks[i].out);
        }
    }
    free(z->blocks);
    free(z);
}
