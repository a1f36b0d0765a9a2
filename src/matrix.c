/* matrix.c — .npy and CSV matrices: masks, data points and kernel matrices. The readers take
 * untrusted files: every size is checked before allocation and every value must be finite. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

void blur_matrix_free(blur_matrix *m)
{
    if (!m) return;
    free(m->data);
    memset(m, 0, sizeof *m);
}

static blur_error matrix_alloc(blur_matrix *m, size_t rows, size_t cols)
{
    size_t cells;
    if (!blur__mul(rows, cols, &cells) || cells > BLUR_MATRIX_MAX_CELLS) return BLUR_ERR_TOO_LARGE;
    m->data = blur__alloc_array(cells ? cells : 1, sizeof(double));
    if (!m->data) return BLUR_ERR_NOMEM;
    m->rows = rows;
    m->cols = cols;
    return BLUR_OK;
}

/* ---- .npy ---- */

/* Finds 'key': in a .npy header dict and returns what follows the colon, or NULL. */
static const char *npy_field(const char *header, const char *key)
{
    const char *p = strstr(header, key);
    if (!p) return NULL;
    p += strlen(key);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

typedef struct npy_type {
    char kind;   /* 'f', 'i', 'u' */
    size_t size; /* bytes */
    bool swap;   /* stored in the other byte order than ours */
} npy_type;

static blur_error npy_parse_descr(const char *p, npy_type *t)
{
    /* p[1] and p[2] are read below: stop at a header that ends right after the quote. */
    if (!p || (*p != '\'' && *p != '"') || !p[1] || !p[2]) return BLUR_ERR_PARSE;
    char order = p[1], kind = p[2];
    char *end;
    unsigned long size = strtoul(p + 3, &end, 10);
    if (*end != p[0]) return BLUR_ERR_PARSE;
    bool little = order == '<' || order == '|' ||
                  (order == '=' && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    if (order != '<' && order != '>' && order != '|' && order != '=') return BLUR_ERR_PARSE;
    bool ok = (kind == 'f' && (size == 4 || size == 8)) ||
              ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8));
    if (!ok) return BLUR_ERR_UNSUPPORTED;
    t->kind = kind;
    t->size = size;
    t->swap = size > 1 && little != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    return BLUR_OK;
}

static double npy_value(const unsigned char *p, const npy_type *t)
{
    unsigned char b[8];
    for (size_t i = 0; i < t->size; i++) b[i] = t->swap ? p[t->size - 1 - i] : p[i];
    switch (t->kind) {
    case 'f':
        if (t->size == 4) {
            float f;
            memcpy(&f, b, 4);
            return f;
        } else {
            double d;
            memcpy(&d, b, 8);
            return d;
        }
    case 'i': {
        int64_t v = 0;
        if (t->size == 1) v = (int8_t)b[0];
        else if (t->size == 2) { int16_t x; memcpy(&x, b, 2); v = x; }
        else if (t->size == 4) { int32_t x; memcpy(&x, b, 4); v = x; }
        else memcpy(&v, b, 8);
        return (double)v;
    }
    default: {
        uint64_t v = 0;
        if (t->size == 1) v = b[0];
        else if (t->size == 2) { uint16_t x; memcpy(&x, b, 2); v = x; }
        else if (t->size == 4) { uint32_t x; memcpy(&x, b, 4); v = x; }
        else memcpy(&v, b, 8);
        return (double)v;
    }
    }
}

/* Sets the reason of an error, when the caller asked for one. */
static void set_reason(blur_matrix_info *info, size_t where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_reason(blur_matrix_info *info, size_t where, const char *fmt, ...)
{
    if (!info) return;
    info->where = where;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->reason, sizeof info->reason, fmt, ap);
    va_end(ap);
}

static blur_error npy_parse(const unsigned char *bytes, size_t size, blur_matrix *m,
                            blur_matrix_info *info)
{
    if (info) info->is_npy = 1;
    if (size < 10) {
        set_reason(info, 0, "the .npy header is cut short");
        return BLUR_ERR_TRUNCATED;
    }
    unsigned major = bytes[6];
    size_t header_len, offset;
    if (major == 1) {
        header_len = (size_t)bytes[8] | (size_t)bytes[9] << 8;
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return BLUR_ERR_TRUNCATED;
        header_len = (size_t)bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 |
                     (size_t)bytes[11] << 24;
        offset = 12;
    } else {
        set_reason(info, 0, ".npy format version %u", major);
        return BLUR_ERR_UNSUPPORTED;
    }
    if (header_len > size - offset || header_len > 65536) {
        set_reason(info, 0, "the .npy header is cut short");
        return BLUR_ERR_TRUNCATED;
    }
    char *header = malloc(header_len + 1);
    if (!header) return BLUR_ERR_NOMEM;
    memcpy(header, bytes + offset, header_len);
    header[header_len] = '\0';

    npy_type type;
    blur_error err = npy_parse_descr(npy_field(header, "'descr'"), &type);
    const char *fortran = npy_field(header, "'fortran_order'");
    const char *shape = npy_field(header, "'shape'");
    size_t dims[32], ndim = 0;
    if (!err && (!fortran || !shape || *shape != '(')) err = BLUR_ERR_PARSE;
    if (!err) {
        const char *p = shape + 1;
        for (;;) {
            while (*p == ' ' || *p == ',') p++;
            if (*p == ')') break;
            if (!isdigit((unsigned char)*p) || ndim == 32) {
                err = BLUR_ERR_PARSE;
                break;
            }
            char *end;
            errno = 0;
            unsigned long long d = strtoull(p, &end, 10);
            if (errno || d > BLUR_MATRIX_MAX_CELLS) {
                err = BLUR_ERR_TOO_LARGE;
                break;
            }
            dims[ndim++] = (size_t)d;
            p = end;
        }
    }
    bool fortran_order = fortran && strncmp(fortran, "True", 4) == 0;
    if (err == BLUR_ERR_UNSUPPORTED) {
        const char *d = npy_field(header, "'descr'");
        set_reason(info, 0, "dtype %.20s; use float64, float32 or an integer type",
                   d ? d : "?");
    } else if (err == BLUR_ERR_PARSE) {
        set_reason(info, 0, "malformed .npy header");
    }
    free(header);
    if (err) return err;
    if (info) info->ndim = ndim;

    size_t rows = ndim == 0 ? 1 : ndim == 1 ? 1 : dims[0];
    size_t cols = 1;
    for (size_t i = ndim <= 1 ? 0 : 1; i < ndim; i++)
        if (!blur__mul(cols, dims[i], &cols)) return BLUR_ERR_TOO_LARGE;
    size_t cells, data_bytes;
    if (!blur__mul(rows, cols, &cells) || cells > BLUR_MATRIX_MAX_CELLS ||
        !blur__mul(cells, type.size, &data_bytes))
        return BLUR_ERR_TOO_LARGE;
    /* A shape with a zero in it (numpy allows (0,) and (3, 0)) holds no matrix to use. */
    if (cells == 0) return BLUR_ERR_EMPTY;
    offset += header_len;
    /* Checked before allocating: a 100-byte file may claim a shape of gigabytes. */
    if (size - offset < data_bytes) {
        set_reason(info, 0, "the data ends after %zu of %zu bytes", size - offset, data_bytes);
        return BLUR_ERR_TRUNCATED;
    }
    /* Fortran order of a 2D array is the transpose; more dimensions in Fortran order are
     * rare enough to refuse rather than get wrong. */
    if (fortran_order && ndim > 2) {
        set_reason(info, 0, "Fortran order with %zu dimensions", ndim);
        return BLUR_ERR_UNSUPPORTED;
    }
    err = matrix_alloc(m, rows, cols);
    if (err) return err;
    for (size_t i = 0; i < cells; i++) {
        size_t r = i / cols, c = i % cols;
        size_t src = fortran_order ? c * rows + r : i;
        double v = npy_value(bytes + offset + src * type.size, &type);
        if (!isfinite(v)) {
            set_reason(info, r + 1, "%s in column %zu", isnan(v) ? "NaN" : "infinity", c + 1);
            blur_matrix_free(m);
            return BLUR_ERR_PARSE;
        }
        m->data[i] = v;
    }
    return BLUR_OK;
}

/* ---- CSV ---- */

static bool is_separator(char c) { return c == ',' || c == ' ' || c == '\t' || c == ';'; }
static bool is_delimiter(char c) { return c == ',' || c == ';'; }

/* Counts the values of one line of CSV, or -1 when something is not a finite number or a
 * field is empty (said in reason[]). Values are apart by blanks, or by one comma or semicolon
 * with blanks around it: two delimiters with nothing between them, or one at either end of
 * the line, leave a field empty, which numpy.loadtxt refuses too (read as one separator, '1,,3'
 * was the two values 1 and 3). Fills out[] when given. */
static long csv_line(const char *p, const char *end, double *out, char *reason, size_t cap)
{
    long count = 0;
    char buf[128];
    bool field_open = true; /* a value must come before a delimiter: line start, or after one */
    char delimiter = 0;     /* the line's: ',' or ';', never both (1,5;2,5 is not 4 values) */
    while (p < end) {
        while (p < end && !is_delimiter(*p) && (is_separator(*p) || *p == '\r')) p++;
        if (p == end) break;
        if (is_delimiter(*p)) {
            if (field_open) {
                snprintf(reason, cap, "empty field in column %ld", count + 1);
                return -1;
            }
            if (delimiter && *p != delimiter) {
                snprintf(reason, cap, "both ',' and ';' separate values");
                return -1;
            }
            delimiter = *p;
            field_open = true;
            p++;
            continue;
        }
        field_open = false;
        const char *start = p;
        while (p < end && !is_separator(*p) && *p != '\r') p++;
        size_t len = (size_t)(p - start);
        if (len >= sizeof buf) {
            snprintf(reason, cap, "not a number: '%.20s...'", start);
            return -1;
        }
        memcpy(buf, start, len);
        buf[len] = '\0';
        char *stop;
        double v = strtod(buf, &stop);
        if (*stop || len == 0 || strpbrk(buf, "xX")) { /* strtod reads hex too: 0x10 = 16 */
            snprintf(reason, cap, "not a number: '%.40s'", buf);
            return -1;
        }
        if (!isfinite(v)) {
            snprintf(reason, cap, "%s in column %ld", isnan(v) ? "NaN" : "infinity",
                     count + 1);
            return -1;
        }
        if (out) out[count] = v;
        count++;
    }
    if (field_open && count > 0) {
        snprintf(reason, cap, "empty field in column %ld", count + 1);
        return -1;
    }
    return count;
}

static bool csv_skip(const char *p, const char *end)
{
    while (p < end && (is_separator(*p) || *p == '\r')) p++;
    return p == end || *p == '#';
}

static blur_error csv_parse(const char *text, size_t size, blur_matrix *m,
                            blur_matrix_info *info)
{
    char reason[96] = "";
    if (info) info->ndim = 2;
    const char *end = text + size;
    size_t rows = 0, cols = 0, line = 0;
    /* First pass: shape and validity; second: the values. */
    for (int pass = 0; pass < 2; pass++) {
        size_t row = 0;
        line = 0;
        for (const char *p = text; p < end;) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            if (!eol) eol = end;
            line++;
            if (!csv_skip(p, eol)) {
                long n = csv_line(p, eol, pass ? m->data + row * cols : NULL, reason,
                                  sizeof reason);
                if (n > 0 && row > 0 && (size_t)n != cols)
                    snprintf(reason, sizeof reason, "%ld values where the rows above have %zu",
                             n, cols);
                if (n <= 0 || (row > 0 && (size_t)n != cols) || (pass && row >= rows)) {
                    set_reason(info, line, "%s", reason);
                    if (pass) blur_matrix_free(m);
                    return BLUR_ERR_PARSE;
                }
                cols = (size_t)n;
                row++;
            }
            p = eol + 1;
        }
        if (pass == 0) {
            if (row == 0) {
                set_reason(info, 0, "no numbers (only blank or comment lines)");
                return BLUR_ERR_EMPTY;
            }
            rows = row;
            blur_error err = matrix_alloc(m, rows, cols);
            if (err) return err;
        }
    }
    return BLUR_OK;
}

blur_error blur_matrix_parse_info(const void *bytes, size_t size, blur_matrix *m,
                                  blur_matrix_info *info)
{
    if (info) memset(info, 0, sizeof *info);
    if (!m || (!bytes && size)) return BLUR_ERR_INVALID;
    memset(m, 0, sizeof *m);
    if (size == 0) return BLUR_ERR_EMPTY;
    if (size >= sizeof npy_magic && memcmp(bytes, npy_magic, sizeof npy_magic) == 0)
        return npy_parse(bytes, size, m, info);
    if (memchr(bytes, '\0', size)) { /* binary, and not .npy */
        set_reason(info, 0, "binary data that is not .npy");
        return BLUR_ERR_PARSE;
    }
    return csv_parse(bytes, size, m, info);
}

blur_error blur_matrix_parse(const void *bytes, size_t size, blur_matrix *m, size_t *where)
{
    blur_matrix_info info;
    blur_error err = blur_matrix_parse_info(bytes, size, m, &info);
    if (where) *where = info.where;
    return err;
}

blur_error blur_matrix_read(const char *path, blur_matrix *m, size_t *where)
{
    blur_matrix_info info;
    blur_error err = blur_matrix_read_info(path, m, &info);
    if (where) *where = info.where;
    return err;
}

blur_error blur_matrix_read_info(const char *path, blur_matrix *m, blur_matrix_info *info)
{
    if (info) memset(info, 0, sizeof *info);
    if (!path || !m) return BLUR_ERR_INVALID;
    memset(m, 0, sizeof *m);
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) return BLUR_ERR_OPEN;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    blur_error err = buf ? BLUR_OK : BLUR_ERR_NOMEM;
    while (!err) {
        if (len == cap) {
            unsigned char *bigger = cap > BLUR_MATRIX_MAX_CELLS * 4 ? NULL : realloc(buf, cap * 2);
            if (!bigger) {
                err = cap > BLUR_MATRIX_MAX_CELLS * 4 ? BLUR_ERR_TOO_LARGE : BLUR_ERR_NOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) err = BLUR_ERR_READ;
            break;
        }
    }
    int saved = errno;
    if (!is_stdin) fclose(fp);
    if (!err) err = blur_matrix_parse_info(buf, len, m, info);
    free(buf);
    errno = saved;
    return err;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* The .npy v1 header for a float64 C-order matrix, padded so the data starts on a multiple of
 * 64 bytes as NumPy writes it. Returns its length. */
static size_t npy_header(char *out, size_t cap, size_t rows, size_t cols)
{
    char dict[160];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", rows,
                     cols);
    size_t total = 10 + (size_t)n + 1;
    size_t padded = (total + 63) / 64 * 64;
    if (padded > cap) return 0;
    memcpy(out, npy_magic, 6);
    out[6] = 1;
    out[7] = 0;
    size_t hlen = padded - 10;
    out[8] = (char)(hlen & 0xff);
    out[9] = (char)(hlen >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', padded - 10 - (size_t)n - 1);
    out[padded - 1] = '\n';
    return padded;
}

struct blur_matrix_writer {
    blur__output *out;
    FILE *fp;
    size_t rows, cols, written;
    bool npy;
};

blur_error blur_matrix_writer_open(const char *path, size_t rows, size_t cols,
                                   blur_matrix_writer **writer)
{
    if (!writer) return BLUR_ERR_INVALID;
    *writer = NULL;
    size_t cells;
    if (!path || !rows || !cols) return BLUR_ERR_INVALID;
    if (!blur__mul(rows, cols, &cells) || !blur__mul(cells, sizeof(double), &cells))
        return BLUR_ERR_OVERFLOW;
    blur_matrix_writer *w = calloc(1, sizeof *w);
    if (!w) return BLUR_ERR_NOMEM;
    w->rows = rows;
    w->cols = cols;
    w->npy = ends_with(path, ".npy");
    blur_error err = blur__output_open(path, &w->out);
    if (err) {
        free(w);
        return err;
    }
    w->fp = blur__output_stream(w->out);
    if (w->npy) {
        char header[256];
        size_t n = npy_header(header, sizeof header, rows, cols);
        if (fwrite(header, 1, n, w->fp) != n) {
            blur_matrix_writer_abort(w);
            return BLUR_ERR_WRITE;
        }
    }
    *writer = w;
    return BLUR_OK;
}

blur_error blur_matrix_writer_rows(blur_matrix_writer *w, const double *data, size_t count)
{
    if (!w || (!data && count) || count > w->rows - w->written) return BLUR_ERR_INVALID;
    bool failed = false;
    if (w->npy) {
        /* .npy data is little-endian here ('<f8'); so is every machine we build for. */
        _Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian only");
        size_t cells = count * w->cols; /* within rows*cols, checked at open */
        failed = fwrite(data, sizeof(double), cells, w->fp) != cells;
    } else {
        for (size_t r = 0; r < count && !failed; r++)
            for (size_t c = 0; c < w->cols && !failed; c++)
                failed = fprintf(w->fp, "%.17g%c", data[r * w->cols + c],
                                 c + 1 == w->cols ? '\n' : ',') < 0;
    }
    if (failed) return BLUR_ERR_WRITE;
    w->written += count;
    return BLUR_OK;
}

blur_error blur_matrix_writer_close(blur_matrix_writer *w)
{
    if (!w) return BLUR_ERR_INVALID;
    if (w->written != w->rows) {
        blur_matrix_writer_abort(w);
        return BLUR_ERR_INVALID;
    }
    blur_error err = blur__output_commit(w->out);
    free(w);
    return err;
}

void blur_matrix_writer_abort(blur_matrix_writer *w)
{
    if (!w) return;
    blur__output_abort(w->out);
    free(w);
}

blur_error blur_matrix_write(const char *path, const blur_matrix *m)
{
    if (!path || !m || !m->data || !m->rows || !m->cols) return BLUR_ERR_INVALID;
    blur_matrix_writer *w;
    blur_error err = blur_matrix_writer_open(path, m->rows, m->cols, &w);
    if (err) return err;
    err = blur_matrix_writer_rows(w, m->data, m->rows);
    if (err) {
        blur_matrix_writer_abort(w);
        return err;
    }
    return blur_matrix_writer_close(w);
}
