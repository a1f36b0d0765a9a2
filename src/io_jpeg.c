/* io_jpeg.c — JPEG through libjpeg (Debian's libjpeg62-turbo), not stb_image: libjpeg-turbo
 * decodes a 24-megapixel photo in ~0.2 s where stb took ~0.6, which is most of a batch run's
 * time (our filter takes 0.05), and it is the decoder OpenCV uses, so we read the same pixels.
 *
 * Decoding is strict where libjpeg is lenient: it only warns when the data ends early, a scan's
 * data stops short or a code is bad, and fills in gray; we refuse those files (truncated or
 * corrupt), so a damaged photo is never blurred as if whole. Extraneous bytes between markers
 * and a bad ICC profile stay warnings, as in every viewer. CMYK (Adobe, inverted) becomes RGB;
 * the EXIF orientation is applied (exif.c). */
#include "internal.h"

#include <jerror.h>
#include <jpeglib.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Progressive files may hold any number of scans, each a pass over the whole image: a few
 * kilobytes of them can keep libjpeg busy for minutes. Real encoders write about ten. */
enum { MAX_SCANS = 1000 };

typedef struct jpeg_failure {
    struct jpeg_error_mgr mgr; /* first: libjpeg's callbacks get a pointer to it */
    jmp_buf jump;
    blur_error err;
} jpeg_failure;

static void fail_with(j_common_ptr cinfo, blur_error err)
{
    jpeg_failure *f = (jpeg_failure *)(void *)cinfo->err;
    f->err = err;
    longjmp(f->jump, 1);
}

/* libjpeg's fatal errors as ours: a valid JPEG this libjpeg cannot read (12-bit samples,
 * lossless or hierarchical) is unsupported, anything else it refuses is corrupt. */
static void on_error(j_common_ptr cinfo)
{
    switch (cinfo->err->msg_code) {
    case JERR_OUT_OF_MEMORY: fail_with(cinfo, BLUR_ERR_NOMEM); break;
    case JERR_FILE_WRITE: fail_with(cinfo, BLUR_ERR_WRITE); break;
    case JERR_IMAGE_TOO_BIG: fail_with(cinfo, BLUR_ERR_TOO_LARGE); break;
    case JERR_INPUT_EOF: fail_with(cinfo, BLUR_ERR_TRUNCATED); break;
    case JERR_BAD_PRECISION:
    case JERR_SOF_UNSUPPORTED:
    case JERR_ARITH_NOTIMPL:
    case JERR_NOT_COMPILED: fail_with(cinfo, BLUR_ERR_UNSUPPORTED); break;
    default: fail_with(cinfo, BLUR_ERR_CORRUPT); break;
    }
}

/* Level -1 is a warning (the rest is tracing, which we never print). */
static void on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0) return;
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER: fail_with(cinfo, BLUR_ERR_TRUNCATED); break;
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_NOT_SEQUENTIAL: fail_with(cinfo, BLUR_ERR_CORRUPT); break;
    default: break;
    }
}

/* libjpeg's error manager with our two callbacks, for cinfo.err */
static struct jpeg_error_mgr *failure_init(jpeg_failure *f)
{
    struct jpeg_error_mgr *mgr = jpeg_std_error(&f->mgr);
    mgr->error_exit = on_error;
    mgr->emit_message = on_message;
    return mgr;
}

static void count_scans(j_common_ptr cinfo)
{
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS)
        fail_with(cinfo, BLUR_ERR_CORRUPT);
}

/* The segments before the scan, one a call from *at (start at 0): its marker, and its payload
 * (past the 16-bit length, which counts itself). False at the scan, the end of the image, or
 * data that is no segment. */
static bool next_segment(const unsigned char *b, size_t n, size_t *at, unsigned *marker,
                         const unsigned char **payload, size_t *length)
{
    size_t p = *at ? *at : 2; /* past SOI */
    /* Stray bytes before a marker, and fill bytes: libjpeg skips them (with a warning) */
    while (p + 1 < n && (b[p] != 0xff || b[p + 1] == 0xff)) p++;
    if (p + 4 > n || b[p + 1] == 0xda || b[p + 1] == 0xd9) return false;
    size_t size = (size_t)b[p + 2] << 8 | b[p + 3];
    if (size < 2 || size > n - p - 2) return false;
    *marker = b[p + 1];
    *payload = b + p + 4;
    *length = size - 2;
    *at = p + 2 + size;
    return true;
}

/* The frame header's size (SOF0-15 but DHT, JPG and DAC), if the data has one. */
static bool frame_size(const unsigned char *b, size_t n, uint32_t *width, uint32_t *height)
{
    size_t at = 0, length;
    unsigned marker;
    const unsigned char *s;
    while (next_segment(b, n, &at, &marker, &s, &length))
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
            marker != 0xcc && length >= 5) {
            *height = (uint32_t)s[1] << 8 | s[2];
            *width = (uint32_t)s[3] << 8 | s[4];
            return true;
        }
    return false;
}

static int exif_orientation(const unsigned char *b, size_t n)
{
    size_t at = 0, length;
    unsigned marker;
    const unsigned char *s;
    while (next_segment(b, n, &at, &marker, &s, &length))
        if (marker == 0xe1 && length >= 6 && memcmp(s, "Exif\0", 5) == 0)
            return blur__exif_orientation(s + 6, length - 6);
    return 1;
}

bool blur__jpeg_sniff(const unsigned char *bytes, size_t size)
{
    return size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff;
}

/* Adobe's CMYK JPEGs store the inks inverted (255 = none), so a channel is (255 - ink) and
 * the colour, with black, is c * k / 255, rounded. */
static void cmyk_to_rgb(const unsigned char *cmyk, size_t width, unsigned char *rgb)
{
    for (size_t x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        unsigned k = cmyk[3];
        for (int c = 0; c < 3; c++) rgb[c] = (unsigned char)((cmyk[c] * k + 127) / 255);
    }
}

/* Whether an ICC profile describes colour of this many channels: its header's data colour
 * space (bytes 16-19) is 'GRAY' for 1, 'RGB ' for 3. A CMYK file's profile does not describe
 * the RGB we make of it. */
static bool profile_fits(const unsigned char *icc, size_t size, int channels)
{
    return size >= 20 && memcmp(icc + 16, channels == 1 ? "GRAY" : "RGB ", 4) == 0;
}

blur_error blur__jpeg_decode(const unsigned char *bytes, size_t size,
                             const blur_read_options *opt, blur_image *img,
                             blur_image_meta *meta)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    struct jpeg_progress_mgr progress = {.progress_monitor = count_scans};
    unsigned char *volatile cmyk_row = NULL;
    memset(img, 0, sizeof *img);
    cinfo.err = failure_init(&failure);
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        blur_image_free(img);
        return failure.err;
    }
    /* The pixel limit from the frame header, before libjpeg reads (and may refuse) the rest */
    uint32_t width, height;
    if (opt->max_pixels && frame_size(bytes, size, &width, &height) &&
        (uint64_t)width * height > opt->max_pixels)
        return BLUR_ERR_TOO_LARGE;
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, bytes, (unsigned long)size);
    if (meta) jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xffff); /* the ICC profile's chunks */
    jpeg_read_header(&cinfo, TRUE);
    if (opt->max_pixels &&
        (uint64_t)cinfo.image_width * cinfo.image_height > opt->max_pixels)
        fail_with((j_common_ptr)&cinfo, BLUR_ERR_TOO_LARGE);
    const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk                      ? JCS_CMYK
                            : cinfo.num_components == 1 ? JCS_GRAYSCALE
                                                        : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    const int channels = cmyk ? 3 : cinfo.output_components;
    blur_error err = blur_image_alloc(img, cinfo.output_width, cinfo.output_height, channels,
                                      BLUR_U8);
    if (!err && cmyk && !(cmyk_row = blur__alloc_array(cinfo.output_width, 4)))
        err = BLUR_ERR_NOMEM;
    if (err) fail_with((j_common_ptr)&cinfo, err);
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *row = (unsigned char *)img->data + cinfo.output_scanline * img->stride;
        JSAMPROW into = cmyk ? cmyk_row : row;
        if (jpeg_read_scanlines(&cinfo, &into, 1) != 1)
            fail_with((j_common_ptr)&cinfo, BLUR_ERR_TRUNCATED);
        if (cmyk) cmyk_to_rgb(cmyk_row, img->width, row);
    }
    /* The colour profile goes to the output (PNG's iCCP, JPEG's APP2), so the colours stay
     * what they were: a phone's Display P3 photo is not sRGB. libjpeg mallocs it. */
    JOCTET *icc;
    unsigned int icc_size;
    if (meta && jpeg_read_icc_profile(&cinfo, &icc, &icc_size)) {
        if (profile_fits(icc, icc_size, channels)) {
            meta->icc = icc;
            meta->icc_size = icc_size;
            snprintf(meta->icc_name, sizeof meta->icc_name, "ICC profile");
        } else {
            free(icc);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    /* a phone's portrait photo is stored on its side */
    err = blur__image_orient(img, exif_orientation(bytes, size));
    if (err) blur_image_free(img);
    return err;
}

blur_error blur__jpeg_encode(FILE *fp, const blur_image *img, const blur_write_options *opt)
{
    if (img->width > JPEG_MAX_DIMENSION || img->height > JPEG_MAX_DIMENSION)
        return BLUR_ERR_TOO_LARGE;
    /* 8-bit samples (deeper ones converted), and rows without alpha: JPEG has none */
    blur_image converted = {0};
    if (img->depth != BLUR_U8) {
        blur_error err = blur__image_convert(img, BLUR_U8, &converted);
        if (err) return err;
    }
    const blur_image *eight = img->depth == BLUR_U8 ? img : &converted;
    const int colours = img->channels >= 3 ? 3 : 1;
    unsigned char *volatile row = blur__alloc_array(img->width, (size_t)colours);
    if (!row) {
        blur_image_free(&converted);
        return BLUR_ERR_NOMEM;
    }
    struct jpeg_compress_struct cinfo;
    jpeg_failure failure;
    cinfo.err = failure_init(&failure);
    if (setjmp(failure.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(row);
        blur_image_free(&converted);
        return failure.err;
    }
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, fp);
    cinfo.image_width = (JDIMENSION)img->width;
    cinfo.image_height = (JDIMENSION)img->height;
    cinfo.input_components = colours;
    cinfo.in_color_space = colours == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, opt->quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    const blur_image_meta *meta = opt->meta;
    if (meta && meta->icc && meta->icc_size <= UINT_MAX &&
        profile_fits(meta->icc, meta->icc_size, colours))
        jpeg_write_icc_profile(&cinfo, meta->icc, (unsigned int)meta->icc_size);
    const size_t step = (size_t)img->channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        unsigned char *from = (unsigned char *)eight->data + cinfo.next_scanline * eight->stride;
        JSAMPROW rows[1] = {from};
        if (step != (size_t)colours) { /* alpha to drop */
            for (size_t x = 0; x < img->width; x++)
                memcpy(row + x * (size_t)colours, from + x * step, (size_t)colours);
            rows[0] = row;
        }
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    blur_image_free(&converted);
    return BLUR_OK;
}
