/* gen_malformed.c — writes the malformed-input suite that tests/cli_malformed.sh and
 * tests/test_malformed.c run blur on: every file it writes is broken in one way and must be
 * refused with a one-line error. Deterministic (no clock, a fixed pseudo-random sequence), so a
 * failing case has the same name and bytes on every run.
 *
 *   gen_malformed OUTDIR PNGSUITE_DIR [WHOLEDIR]
 *
 * From a few PngSuite files (plain, interlaced 16-bit alpha, split IDAT, palette, tRNS):
 * truncations at every chunk boundary and inside IDAT, a bad CRC in every chunk, bit flips,
 * IHDR fields out of range (with a correct CRC, so the field itself is what is wrong), zero and
 * huge dimensions, a missing or short IDAT. Then, for each stb_image format, a tiny header that
 * claims 60000 × 60000 pixels, small whole images of those formats cut short (their uncut
 * originals, which must decode, go to WHOLEDIR when given), and a few files with no image at
 * all. Prints the number of files written to OUTDIR. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *outdir, *wholedir;
static int written;

static void write_file(const char *dir, const char *name, const unsigned char *bytes,
                       size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || (size && fwrite(bytes, 1, size, fp) != size) || fclose(fp) != 0) {
        perror(path);
        exit(1);
    }
}

/* A malformed case, into OUTDIR, counted. */
static void put(const char *name, const unsigned char *bytes, size_t size)
{
    write_file(outdir, name, bytes, size);
    written++;
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        perror(path);
        exit(1);
    }
    static unsigned char buf[1 << 16];
    *size = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    unsigned char *copy = malloc(*size);
    if (!copy) exit(1);
    memcpy(copy, buf, *size);
    return copy;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Recomputes the CRC of the chunk starting at offset off (its length field). */
static void fix_crc(unsigned char *png, size_t off)
{
    uint32_t len = be32(png + off);
    uLong crc = crc32(0L, png + off + 4, (uInt)len + 4);
    set_be32(png + off + 8 + len, (uint32_t)crc);
}

typedef struct chunk {
    size_t off, len; /* offset of the length field; data length */
    char type[5];
} chunk;

static size_t chunks_of(const unsigned char *png, size_t size, chunk *out, size_t max)
{
    size_t n = 0;
    for (size_t p = 8; p + 12 <= size && n < max;) {
        out[n].off = p;
        out[n].len = be32(png + p);
        memcpy(out[n].type, png + p + 4, 4);
        out[n].type[4] = '\0';
        p += 12 + out[n].len;
        n++;
    }
    return n;
}

/* One IHDR field rewritten, CRC fixed: the value itself is what is wrong. */
static void ihdr_case(const unsigned char *png, size_t size, const char *name, size_t field,
                      int bytes, uint32_t value)
{
    unsigned char *copy = malloc(size);
    if (!copy) exit(1);
    memcpy(copy, png, size);
    unsigned char *data = copy + 8 + 8; /* IHDR is the first chunk */
    if (bytes == 4) set_be32(data + field, value);
    else data[field] = (unsigned char)value;
    fix_crc(copy, 8);
    put(name, copy, size);
    free(copy);
}

static void png_cases(const char *suite, const char *base)
{
    char path[4096], name[256];
    snprintf(path, sizeof path, "%s/%s.png", suite, base);
    size_t size;
    unsigned char *png = slurp(path, &size);
    chunk ch[64];
    size_t n = chunks_of(png, size, ch, 64);

    /* Truncated at every chunk boundary: after the signature, after each chunk but IEND. */
    put((snprintf(name, sizeof name, "trunc-%s-sig.png", base), name), png, 8);
    for (size_t i = 0; i + 1 < n; i++) {
        size_t end = ch[i].off + 12 + ch[i].len;
        snprintf(name, sizeof name, "trunc-%s-after-%zu-%s.png", base, i, ch[i].type);
        put(name, png, end);
    }
    /* Inside the first IDAT: a quarter, half and three quarters of its data, and inside the
     * chunk header of IHDR. */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ch[i].type, "IDAT") != 0) continue;
        for (int q = 1; q <= 3; q++) {
            size_t cut = ch[i].off + 8 + ch[i].len * (size_t)q / 4;
            snprintf(name, sizeof name, "trunc-%s-idat-%d4.png", base, q);
            put(name, png, cut);
        }
        break;
    }
    put((snprintf(name, sizeof name, "trunc-%s-in-ihdr.png", base), name), png, 8 + 10);

    /* A bad CRC in every chunk, IEND included. */
    for (size_t i = 0; i < n; i++) {
        unsigned char *copy = malloc(size);
        if (!copy) exit(1);
        memcpy(copy, png, size);
        copy[ch[i].off + 8 + ch[i].len + 3] ^= 0x01;
        snprintf(name, sizeof name, "crc-%s-%zu-%s.png", base, i, ch[i].type);
        put(name, copy, size);
        free(copy);
    }
    free(png);
}

/* Single bit flips anywhere after the signature (CRC left as is, so the damage is always
 * detectable: either the CRC or a length or type field goes wrong). */
static void flip_cases(const char *suite, const char *base, int count)
{
    char path[4096], name[256];
    snprintf(path, sizeof path, "%s/%s.png", suite, base);
    size_t size;
    unsigned char *png = slurp(path, &size);
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (int k = 0; k < count; k++) {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        uint64_t r = state * 2685821657736338717u;
        size_t at = 8 + (size_t)(r >> 3) % (size - 8 - 12); /* not in IEND, which is unread */
        unsigned char *copy = malloc(size);
        if (!copy) exit(1);
        memcpy(copy, png, size);
        copy[at] ^= (unsigned char)(1u << (r & 7));
        snprintf(name, sizeof name, "flip-%s-%zu-bit%u.png", base, at, (unsigned)(r & 7));
        put(name, copy, size);
        free(copy);
    }
    free(png);
}

static void ihdr_cases(const char *suite)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/basn2c08.png", suite);
    size_t size;
    unsigned char *png = slurp(path, &size);
    /* IHDR data: width(4) height(4) depth colour compression filter interlace */
    ihdr_case(png, size, "ihdr-zero-width.png", 0, 4, 0);
    ihdr_case(png, size, "ihdr-zero-height.png", 4, 4, 0);
    ihdr_case(png, size, "ihdr-width-60000.png", 0, 4, 60000);
    {
        /* Both dimensions: 3.6 gigapixels claimed by a 145-byte file. */
        unsigned char *copy = malloc(size);
        if (!copy) exit(1);
        memcpy(copy, png, size);
        set_be32(copy + 16, 60000);
        set_be32(copy + 20, 60000);
        fix_crc(copy, 8);
        put("ihdr-huge-both-60000.png", copy, size);
        /* Over PNG's own 2^31 - 1. */
        set_be32(copy + 16, 0x80000000u);
        set_be32(copy + 20, 1);
        fix_crc(copy, 8);
        put("ihdr-width-2e31.png", copy, size);
        /* 200 megapixels, each dimension under libpng's limits. */
        set_be32(copy + 16, 20000);
        set_be32(copy + 20, 10000);
        fix_crc(copy, 8);
        put("ihdr-200-megapixels.png", copy, size);
        free(copy);
    }
    ihdr_case(png, size, "ihdr-height-60000.png", 4, 4, 60000); /* fits the limit: short data */
    ihdr_case(png, size, "ihdr-depth-3.png", 8, 1, 3);
    ihdr_case(png, size, "ihdr-depth-0.png", 8, 1, 0);
    ihdr_case(png, size, "ihdr-colour-5.png", 9, 1, 5);
    ihdr_case(png, size, "ihdr-rgb-depth-4.png", 8, 1, 4);
    ihdr_case(png, size, "ihdr-compression-1.png", 10, 1, 1);
    ihdr_case(png, size, "ihdr-filter-1.png", 11, 1, 1);
    ihdr_case(png, size, "ihdr-interlace-2.png", 12, 1, 2);
    ihdr_case(png, size, "ihdr-palette-no-plte.png", 9, 1, 3);

    /* No IDAT at all: signature, IHDR, IEND. */
    {
        chunk ch[8];
        size_t n = chunks_of(png, size, ch, 8);
        unsigned char buf[256];
        size_t len = 8 + 25;
        memcpy(buf, png, len);
        memcpy(buf + len, png + ch[n - 1].off, 12);
        put("no-idat.png", buf, len + 12);
        /* IDAT cut in half but well formed (length and CRC right): the zlib stream ends early. */
        size_t idat = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(ch[i].type, "IDAT") == 0) idat = i;
        size_t half = ch[idat].len / 2;
        unsigned char *copy = malloc(size);
        if (!copy) exit(1);
        memcpy(copy, png, ch[idat].off + 8 + half);
        set_be32(copy + ch[idat].off, (uint32_t)half);
        fix_crc(copy, ch[idat].off);
        size_t at = ch[idat].off + 12 + half;
        memcpy(copy + at, png + ch[n - 1].off, 12);
        put("short-idat.png", copy, at + 12);
        /* An IDAT whose length field claims 2 GB. */
        memcpy(copy, png, size);
        set_be32(copy + ch[idat].off, 0x7ffffff0u);
        put("idat-length-2gb.png", copy, size);
        /* A text chunk whose length field claims 1.5 GB, in a file of 200 bytes. */
        static const unsigned char itxt[] = {0x5b, 0, 0, 0x53, 'i', 'T', 'X', 't', 'a', 'b'};
        memcpy(copy, png, 8 + 25);
        memcpy(copy + 8 + 25, itxt, sizeof itxt);
        put("itxt-length-1.5gb.png", copy, 8 + 25 + sizeof itxt);
        memcpy(copy + 8 + 29, "zTXt", 4);
        put("ztxt-length-1.5gb.png", copy, 8 + 25 + sizeof itxt);
        memcpy(copy + 8 + 29, "iCCP", 4);
        put("iccp-length-1.5gb.png", copy, 8 + 25 + sizeof itxt);
        memcpy(copy + 8 + 29, "prVt", 4);
        put("private-length-1.5gb.png", copy, 8 + 25 + sizeof itxt);
        memcpy(copy, png, size);
        /* A chunk length over 2^31 - 1, which PNG forbids. */
        set_be32(copy + ch[idat].off, 0xfffffff0u);
        put("idat-length-4gb.png", copy, size);
        free(copy);
    }
    free(png);
}

/* Headers of the stb_image formats that claim 60000 × 60000 (3.6 gigapixels) in a few bytes:
 * each must be refused from the header, before any allocation. */
static void huge_headers(void)
{
    /* BMP: BITMAPINFOHEADER, 24-bit. */
    unsigned char bmp[54] = {'B', 'M'};
    bmp[10] = 54;
    bmp[14] = 40;
    bmp[18] = 0x60, bmp[19] = 0xea; /* 60000 little-endian */
    bmp[22] = 0x60, bmp[23] = 0xea;
    bmp[26] = 1;
    bmp[28] = 24;
    put("huge-60000.bmp", bmp, sizeof bmp);
    /* TGA: uncompressed true colour. */
    unsigned char tga[18 + 12] = {0, 0, 2};
    tga[12] = 0x60, tga[13] = 0xea, tga[14] = 0x60, tga[15] = 0xea, tga[16] = 24;
    put("huge-60000.tga", tga, sizeof tga);
    /* GIF: the logical screen and one image of 60000 × 60000. */
    static const unsigned char gif[] = {
        'G', 'I', 'F', '8', '9', 'a', 0x60, 0xea, 0x60, 0xea, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
        ',', 0, 0, 0, 0, 0x60, 0xea, 0x60, 0xea, 0, 2, 2, 'D', 1, 0, ';'};
    put("huge-60000.gif", gif, sizeof gif);
    /* PSD: 3 channels, 8-bit RGB. */
    unsigned char psd[26 + 14] = {'8', 'B', 'P', 'S', 0, 1};
    psd[13] = 3;
    psd[14] = 0, psd[15] = 0, psd[16] = 0xea, psd[17] = 0x60;
    psd[18] = 0, psd[19] = 0, psd[20] = 0xea, psd[21] = 0x60;
    psd[23] = 8;
    psd[25] = 3;
    put("huge-60000.psd", psd, sizeof psd);
    /* JPEG: SOI, a baseline SOF0 of 60000 × 60000 with 3 components, EOI. */
    static const unsigned char jpg[] = {
        0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xea, 0x60, 0xea, 0x60, 3, 1, 0x22, 0, 2, 0x11, 1,
        3, 0x11, 1, 0xff, 0xd9};
    put("huge-60000.jpg", jpg, sizeof jpg);
    static const char ppm[] = "P6\n60000 60000\n255\n\1\2\3";
    put("huge-60000.ppm", (const unsigned char *)ppm, sizeof ppm - 1);
    static const char hdr[] = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 60000 +X 60000\n\1\1\1\1";
    put("huge-60000.hdr", (const unsigned char *)hdr, sizeof hdr - 1);
}

/* Files that are no image at all, or name the wrong format. */
static void other_cases(const char *suite)
{
    put("empty.png", NULL, 0);
    static const char text[] = "this is not an image\n";
    put("text-named.png", (const unsigned char *)text, sizeof text - 1);
    put("text-named.jpg", (const unsigned char *)text, sizeof text - 1);
    static const unsigned char sig_only[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put("sig-only.png", sig_only, 7); /* one byte short even of the signature */
    static const unsigned char zeros[4096] = {0};
    put("zeros.png", zeros, sizeof zeros);
    /* A PNG cut short, named as a JPEG: the bytes decide, and they are broken. */
    char path[4096];
    snprintf(path, sizeof path, "%s/basn6a08.png", suite);
    size_t size;
    unsigned char *png = slurp(path, &size);
    put("png-named-jpg-truncated.jpg", png, size / 2);
    put("png-named-bmp-truncated.bmp", png, size - 20);
    free(png);
    /* A GIF and a JPEG that stop inside their headers. */
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80};
    put("gif-cut-in-header.gif", gif, sizeof gif);
    static const unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0, 1};
    put("jpeg-cut-in-sof.jpg", jpg, sizeof jpg);
}

/* stb decodes as if zeros followed the data, so these came back whole with a black (or, for
 * PNM, unwritten) end. Each is cut at half its size and where its last pixel is one byte short:
 * 4x2 images, RGB unless named; the rows of the BMP need no padding; the HDR is 2 pixels wide,
 * which stb reads flat; the GIF's last 3 bytes are its last data byte, the block terminator and
 * the trailer (a GIF without its trailer alone is whole). */
static void stb_cut_cases(void)
{
    unsigned char pixels[4 * 2 * 3 * 2];
    for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (unsigned char)(i * 37 + 11);
    static const unsigned char bmp_header[54] = {
        'B', 'M', 78, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 1, 0,
        24,  0,   0,  0, 0, 0, 24, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char tga_header[18] = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 2, 0,
                                                 24, 0};
    static const char ppm[] = "P6\n4 2\n255\n", pgm16[] = "P5\n4 2\n65535\n",
                      hdr[] = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n";
    static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0,
                                        255, 255, 255, 0, 0, 0, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0,
                                        0, 2, 2, 0x44, 0x01, 0, 0x3b};
    /* a run of 4 pixels, then 4 raw ones */
    unsigned char tga_rle[18 + 1 + 3 + 1 + 12];
    memcpy(tga_rle, tga_header, 18);
    tga_rle[2] = 10;
    tga_rle[18] = 0x83;
    memcpy(tga_rle + 19, pixels, 3);
    tga_rle[22] = 0x03;
    memcpy(tga_rle + 23, pixels + 3, 12);
    struct {
        const char *name;
        const void *head;
        size_t head_size, data_size, cut_end;
    } cases[] = {
        {"bmp.bmp", bmp_header, sizeof bmp_header, 24, 1},
        {"tga.tga", tga_header, sizeof tga_header, 24, 1},
        {"tga-rle.tga", tga_rle, sizeof tga_rle, 0, 1},
        {"ppm.ppm", ppm, sizeof ppm - 1, 24, 1},
        {"pgm-16-bit.pgm", pgm16, sizeof pgm16 - 1, 16, 1},
        {"hdr-flat.hdr", hdr, sizeof hdr - 1, 16, 1},
        {"gif.gif", gif, sizeof gif, 0, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char file[256];
        size_t size = cases[i].head_size + cases[i].data_size;
        memcpy(file, cases[i].head, cases[i].head_size);
        memcpy(file + cases[i].head_size, pixels, cases[i].data_size);
        char name[64];
        snprintf(name, sizeof name, "cut-half-%s", cases[i].name);
        put(name, file, size / 2);
        snprintf(name, sizeof name, "cut-end-%s", cases[i].name);
        put(name, file, size - cases[i].cut_end);
        if (wholedir) write_file(wholedir, cases[i].name, file, size);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: gen_malformed OUTDIR PNGSUITE_DIR [WHOLEDIR]\n");
        return 2;
    }
    outdir = argv[1];
    wholedir = argc == 4 ? argv[3] : NULL;
    const char *suite = argv[2];
    static const char *bases[] = {"basn2c08", "basi6a16", "oi4n2c16", "basn3p04", "tbrn2c08"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) png_cases(suite, bases[i]);
    flip_cases(suite, "basi6a16", 12);
    ihdr_cases(suite);
    huge_headers();
    stb_cut_cases();
    other_cases(suite);
    printf("%d\n", written);
    return 0;
}
