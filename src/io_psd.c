/* io_psd.c — the composite ("merged") image of a Photoshop file, read here rather than by
 * stb_image. stb 2.27 un-blends the white matte of a composite with alpha by converting a
 * float that can be negative to an 8-bit sample (undefined behaviour, found by fuzzing; see
 * tests/crashers/README), reads 16-bit run-length data as if it were 8-bit, and knows only RGB.
 *
 * Read: version 1 (PSD; PSB is refused as unsupported), grayscale or RGB, 8 or 16 bits a
 * sample, raw or run-length (PackBits) data. The colour channels and the one after them, taken
 * as alpha; further channels (spot colours, saved selections) are skipped. Layers are not read:
 * the composite is what every writer stores for other programs. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    PSD_HEADER_BYTES = 26,
    PSD_MODE_GRAY = 1,
    PSD_MODE_RGB = 3,
    PSD_RAW = 0,
    PSD_RLE = 1,
};

bool blur__psd_sniff(const unsigned char *bytes, size_t size)
{
    return size >= 4 && memcmp(bytes, "8BPS", 4) == 0;
}

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p) { return be16(p) << 16 | be16(p + 2); }

/* Unpacks one PackBits row of `packed_size` bytes into exactly `row_size` bytes. A count byte
 * n < 128 copies the next n + 1 bytes, n > 128 repeats the next byte 257 - n times, 128 is a
 * no-op. Bytes left over after the row is full are ignored, as every reader does. */
static blur_error unpack_row(const unsigned char *packed, size_t packed_size, unsigned char *row,
                             size_t row_size)
{
    size_t in = 0, out = 0;
    while (out < row_size) {
        if (in >= packed_size) return BLUR_ERR_CORRUPT; /* the row's data ends before the row */
        unsigned n = packed[in++];
        if (n == 128) continue;
        size_t run = n < 128 ? n + 1u : 257u - n, need = n < 128 ? run : 1;
        if (run > row_size - out || need > packed_size - in) return BLUR_ERR_CORRUPT;
        if (n < 128) memcpy(row + out, packed + in, run);
        else memset(row + out, packed[in], run);
        in += need;
        out += run;
    }
    return BLUR_OK;
}

/* Sample i of row y, and setting it, for 8 or 16 bits. */
static uint32_t sample(const blur_image *img, size_t y, size_t i)
{
    const unsigned char *row = (const unsigned char *)img->data + y * img->stride;
    return img->depth == BLUR_U16 ? ((const uint16_t *)(const void *)row)[i] : row[i];
}

static void set_sample(blur_image *img, size_t y, size_t i, uint32_t v)
{
    unsigned char *row = (unsigned char *)img->data + y * img->stride;
    if (img->depth == BLUR_U16) ((uint16_t *)(void *)row)[i] = (uint16_t)v;
    else row[i] = (unsigned char)v;
}

/* Photoshop stores the composite of a transparent image blended with white:
 * stored = colour * a + max * (1 - a), never below max - a. Data that does fall below was
 * written straight (ImageMagick 6 writes it so) and is kept as it is; blended data is
 * un-blended, rounded to nearest. Where a = 0 the colour is lost and stays as stored. */
static bool blended_with_white(const blur_image *img, uint32_t max)
{
    const size_t step = (size_t)img->channels, samples = img->width * step;
    for (size_t y = 0; y < img->height; y++)
        for (size_t i = 0; i < samples; i += step) {
            uint32_t a = sample(img, y, i + step - 1);
            for (size_t c = 0; c + 1 < step; c++)
                if (a != 0 && sample(img, y, i + c) < max - a) return false;
        }
    return true;
}

static void unblend_white(blur_image *img)
{
    const uint32_t max = img->depth == BLUR_U16 ? 65535 : 255;
    if (!blended_with_white(img, max)) return;
    const size_t step = (size_t)img->channels, samples = img->width * step;
    for (size_t y = 0; y < img->height; y++)
        for (size_t i = 0; i < samples; i += step) {
            uint32_t a = sample(img, y, i + step - 1);
            if (a == 0 || a == max) continue;
            for (size_t c = 0; c + 1 < step; c++) {
                uint64_t above_white = sample(img, y, i + c) - (max - a);
                set_sample(img, y, i + c, (uint32_t)((above_white * max + a / 2) / a));
            }
        }
}

blur_error blur__psd_decode(const unsigned char *b, size_t n, const blur_read_options *opt,
                            blur_image *img)
{
    if (n < PSD_HEADER_BYTES) return BLUR_ERR_TRUNCATED;
    if (!blur__psd_sniff(b, n)) return BLUR_ERR_UNKNOWN_FORMAT;
    uint32_t version = be16(b + 4), file_channels = be16(b + 12), height = be32(b + 14),
             width = be32(b + 18), bits = be16(b + 22), mode = be16(b + 24);
    if (version == 2) return BLUR_ERR_UNSUPPORTED; /* PSB, the large document format */
    if (version != 1 || file_channels < 1 || file_channels > 56 || width == 0 || height == 0 ||
        width > 1u << 24 || height > 1u << 24)
        return BLUR_ERR_CORRUPT;
    if (opt->max_pixels && (uint64_t)width * height > opt->max_pixels) return BLUR_ERR_TOO_LARGE;
    int colours = mode == PSD_MODE_GRAY ? 1 : mode == PSD_MODE_RGB ? 3 : 0;
    if (!colours || (bits != 8 && bits != 16)) return BLUR_ERR_UNSUPPORTED;
    if (file_channels < (uint32_t)colours) return BLUR_ERR_CORRUPT;
    const int channels = colours + (file_channels > (uint32_t)colours);

    /* Three sections we skip, each a 32-bit length and its bytes: the colour mode data, the
     * image resources, the layers and masks. */
    size_t at = PSD_HEADER_BYTES;
    for (int section = 0; section < 3; section++) {
        if (n - at < 4) return BLUR_ERR_TRUNCATED;
        size_t length = be32(b + at);
        at += 4;
        if (length > n - at) return BLUR_ERR_TRUNCATED;
        at += length;
    }
    if (n - at < 2) return BLUR_ERR_TRUNCATED;
    uint32_t compression = be16(b + at);
    at += 2;
    if (compression != PSD_RAW && compression != PSD_RLE) return BLUR_ERR_UNSUPPORTED; /* ZIP */

    /* Where each row of each channel we read starts, and its size: planes of rows, all of
     * channel 0 first. Run-length data starts with a 16-bit packed size for every row of every
     * channel in the file. */
    const size_t bytes_per_sample = bits / 8, row_size = width * bytes_per_sample,
                 rows = (size_t)height * (size_t)channels;
    size_t data = at;
    if (compression == PSD_RLE) {
        size_t table = (size_t)height * file_channels * 2;
        if (table > n - at) return BLUR_ERR_TRUNCATED;
        data = at + table;
        /* Before the pixels are allocated: the rows we read must be there, and each packed
         * row holds at least a count and a byte for every 128 bytes it unpacks to. */
        uint64_t packed_total = 0;
        for (size_t r = 0; r < rows; r++) {
            size_t packed = be16(b + at + 2 * r);
            if (packed < (row_size + 127) / 128 * 2) return BLUR_ERR_CORRUPT;
            packed_total += packed;
        }
        if (packed_total > n - data) return BLUR_ERR_TRUNCATED;
    } else if ((uint64_t)row_size * rows > n - at) {
        return BLUR_ERR_TRUNCATED;
    }

    blur_error err =
        blur_image_alloc(img, width, height, channels, bits == 16 ? BLUR_U16 : BLUR_U8);
    if (err) return err;
    unsigned char *unpacked = compression == PSD_RLE ? malloc(row_size) : NULL;
    if (compression == PSD_RLE && !unpacked) {
        blur_image_free(img);
        return BLUR_ERR_NOMEM;
    }
    for (size_t r = 0; r < rows; r++) {
        const unsigned char *row = b + data;
        if (compression == PSD_RLE) {
            size_t packed = be16(b + at + 2 * r);
            err = unpack_row(b + data, packed, unpacked, row_size);
            data += packed;
            row = unpacked;
        } else {
            data += row_size;
        }
        if (err) break;
        /* Planar and big-endian in the file, interleaved and native in the image. */
        const size_t channel = r / height, y = r % height;
        unsigned char *out = (unsigned char *)img->data + y * img->stride;
        if (bits == 16) {
            uint16_t *out16 = (uint16_t *)(void *)out + channel;
            for (size_t x = 0; x < width; x++)
                out16[x * (size_t)channels] = (uint16_t)be16(row + 2 * x);
        } else {
            for (size_t x = 0; x < width; x++) out[x * (size_t)channels + channel] = row[x];
        }
    }
    free(unpacked);
    if (err) {
        blur_image_free(img);
        return err;
    }
    if (channels > colours) unblend_white(img);
    return BLUR_OK;
}
