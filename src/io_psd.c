/* io_psd.c — the composite ("merged") image of a Photoshop file, read here rather than by
 * stb_image. stb 2.27 un-blends the white matte of a composite with alpha by converting a
 * float that can be negative to an 8-bit sample (undefined behaviour, found by fuzzing; see
 * tests/crashers/README), reads 16-bit run-length data as if it were 8-bit, and knows only RGB.
 *
 * Read: version 1 (PSD; PSB is refused as unsupported), grayscale or RGB, 8 or 16 bits a
 * sample, raw or run-length (PackBits) data. The colour channels, and the one after them where
 * the file says it is the composite's alpha (read_layer_section); further channels (spot
 * colours, saved selections) are skipped. Layers are not read: the composite is what every
 * writer stores for other programs. */
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

/* Photoshop stores the composite of a transparent image blended with white,
 * stored = colour * a + max * (1 - a); this undoes it, rounded to nearest. Where a = 0 the
 * colour is lost and stays as stored; a sample below white's share (max - a, which blending
 * never gives) comes out 0. */
static void unblend_white(blur_image *img)
{
    const uint32_t max = img->depth == BLUR_U16 ? 65535 : 255;
    const size_t step = (size_t)img->channels, samples = img->width * step;
    for (size_t y = 0; y < img->height; y++)
        for (size_t i = 0; i < samples; i += step) {
            uint32_t a = sample(img, y, i + step - 1);
            if (a == 0 || a == max) continue;
            for (size_t c = 0; c + 1 < step; c++) {
                uint32_t stored = sample(img, y, i + c);
                uint64_t above_white = stored > max - a ? stored - (max - a) : 0;
                set_sample(img, y, i + c, (uint32_t)((above_white * max + a / 2) / a));
            }
        }
}

/* What the layer and mask section says of the composite's extra channels. */
typedef struct composite_alpha {
    bool has_layer_count;
    int layer_count;          /* negative: the first extra channel is the composite's alpha */
    bool merged_transparency; /* an Mtrn, Mt16 or Mt32 block: Photoshop's own word that it is,
                               * and that the colour is blended with white */
} composite_alpha;

static int16_t signed16(const unsigned char *p) { return (int16_t)(uint16_t)be16(p); }

static bool block_signature(const unsigned char *p)
{
    return memcmp(p, "8BIM", 4) == 0 || memcmp(p, "8B64", 4) == 0;
}

/* Reads the layer and mask section (its `size` bytes at s): the layer information (a length,
 * then the layer count), the global mask (a length), then tagged blocks ("8BIM" or "8B64", a
 * key, a length, the data padded to even; some writers pad to 4, so a signature 2 bytes on
 * is taken too). 16-bit documents keep their layer information in an Lr16 block (Lr32 for
 * 32-bit). What does not parse is left unsaid. */
static composite_alpha read_layer_section(const unsigned char *s, size_t size)
{
    composite_alpha info = {false, 0, false};
    if (size < 4) return info;
    size_t layers = be32(s), at = 4;
    if (layers > size - at) return info;
    if (layers >= 2) info.has_layer_count = true, info.layer_count = signed16(s + at);
    at += layers;
    if (size - at < 4 || be32(s + at) > size - at - 4) return info;
    at += 4 + be32(s + at);
    while (size - at >= 12) {
        if (!block_signature(s + at) && size - at >= 14 && block_signature(s + at + 2)) at += 2;
        if (!block_signature(s + at)) break;
        const unsigned char *key = s + at + 4;
        size_t length = be32(s + at + 8);
        at += 12;
        if (length > size - at) break;
        if (memcmp(key, "Mtrn", 4) == 0 || memcmp(key, "Mt16", 4) == 0 ||
            memcmp(key, "Mt32", 4) == 0)
            info.merged_transparency = true;
        if ((memcmp(key, "Lr16", 4) == 0 || memcmp(key, "Lr32", 4) == 0) && length >= 2 &&
            !info.has_layer_count)
            info.has_layer_count = true, info.layer_count = signed16(s + at);
        at += length + (length & 1);
        if (at > size) break;
    }
    return info;
}

blur_error blur__psd_decode(const unsigned char *b, size_t n, const blur_read_options *opt,
                            blur_image *img, blur_image_meta *meta)
{
    (void)meta; /* the ICC profile in the image resources is not read */
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

    /* Three sections, each a 32-bit length and its bytes: the colour mode data and the image
     * resources, skipped; the layers and masks, read for what they say of the composite. */
    size_t at = PSD_HEADER_BYTES;
    composite_alpha said = {false, 0, false};
    for (int section = 0; section < 3; section++) {
        if (n - at < 4) return BLUR_ERR_TRUNCATED;
        size_t length = be32(b + at);
        at += 4;
        if (length > n - at) return BLUR_ERR_TRUNCATED;
        if (section == 2) said = read_layer_section(b + at, length);
        at += length;
    }
    /* The first extra channel is alpha when the file says so (Photoshop's Mtrn block, or a
     * negative layer count as the format has it); a file with no layer information and
     * exactly one extra channel means it too (as Pillow reads it). Other extra channels are
     * spot colours or saved selections, and are not read. */
    const bool extra = file_channels > (uint32_t)colours;
    const bool alpha =
        extra && (said.merged_transparency || (said.has_layer_count && said.layer_count < 0) ||
                  (!said.has_layer_count && file_channels == (uint32_t)colours + 1));
    const int channels = colours + alpha;
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
        /* Before the pixels are allocated: every row of every channel must be there (a file
         * cut short is refused, not only where we read), and each packed row holds at least a
         * count and a byte for every 128 bytes it unpacks to. */
        uint64_t packed_total = 0;
        for (size_t r = 0; r < (size_t)height * file_channels; r++) {
            size_t packed = be16(b + at + 2 * r);
            if (packed < (row_size + 127) / 128 * 2) return BLUR_ERR_CORRUPT;
            packed_total += packed;
        }
        if (packed_total > n - data) return BLUR_ERR_TRUNCATED;
    } else if ((uint64_t)row_size * height * file_channels > n - at) {
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
    if (alpha && said.merged_transparency) unblend_white(img);
    return BLUR_OK;
}
