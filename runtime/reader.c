/* reader.c: what the record readers share (snapshot_int.h): opening a file, reading it line by line
 * through a buffer that grows only for long lines, and the record they fill. The JSONL (jsonl.c) and
 * CSV (snapshot_csv.c) readers build on it and the folder loader (snapshot.c) drives them, so it
 * sits below all three. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/utf8.h"
#include "common/util.h"
#include "runtime/snapshot_int.h"

/* ---- records ---- */

void rs_record_clear(rs_record *r) {
    r->nkeys = r->nvals = 0;
    r->line = 0;
    r->text = NULL;
    r->textlen = 0;
}

void rs_record_free(rs_record *r) {
    free(r->keys);
    free(r->vals);
    memset(r, 0, sizeof *r);
}

/* ---- lines ---- */

/* The buffer starts small and doubles while one line fills it, up to the longest line allowed plus
 * a read's worth: most snapshots never need more than the first size. */
#define READ_START (64u << 10)
#define READ_MAX (RS_SNAP_MAX_LINE + (256u << 10))

uint32_t rs_text_col(const char *line, size_t at) { return (uint32_t)rs_utf8_count(line, at) + 1; }

void rs_reader_close(rs_reader *r) {
    if (!r) return;
    if (r->fp) fclose(r->fp);
    json_decref(r->hold);
    free(r->scratch);
    free(r->buf);
    free(r->acc);
    free(r->cells);
    free(r->cellv);
    for (uint32_t i = 0; i < r->nheader; i++) free(r->header[i]);
    free(r->header);
    free(r->headerlen);
    free(r);
}

/* Moves the unread bytes to the front and reads more; false at end of file or on an error. */
static bool refill(rs_reader *r) {
    if (r->eof) return false;
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    if (r->end == r->cap && r->cap < READ_MAX) {
        r->cap = r->cap * 2 < READ_MAX ? r->cap * 2 : READ_MAX;
        r->buf = rs_realloc(r->buf, r->cap);
    }
    size_t got = fread(r->buf + r->end, 1, r->cap - r->end, r->fp);
    r->end += got;
    if (got == 0) {
        r->eof = true;
        if (ferror(r->fp)) {
            r->io_error = true;
            rs_diag_file(r->diags, RS_E_IO, r->file, r->line, 0, "read error: %s", strerror(errno));
        }
        return false;
    }
    return true;
}

rs_reader *rs_reader_open(const char *path, rs_diags *d) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        rs_diag_file(d, RS_E_SNAP_MISSING_FILE, path, 0, 0, "cannot open the file: %s", strerror(errno));
        return NULL;
    }
    rs_reader *r = rs_calloc(1, sizeof *r);
    r->file = path;
    r->diags = d;
    r->fp = fp;
    r->cap = READ_START;
    r->buf = rs_malloc(r->cap);
    r->line = 1;
    refill(r);
    if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
        r->start = 3;   /* a byte order mark, as spreadsheet programs write, is not data */
    return r;
}

/* Skips the rest of an over-long line, up to and including its newline. */
static void skip_long_line(rs_reader *r) {
    rs_diag *dg = rs_diag_file(r->diags, RS_E_SNAP_TOO_LARGE, r->file, r->line, 0,
                               "line longer than %u MiB", RS_SNAP_MAX_LINE >> 20);
    rs_diag_help(dg, "a record may be up to %u MiB", RS_SNAP_MAX_LINE >> 20);
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            r->start = (size_t)(nl - r->buf) + 1;
            r->line++;
            return;
        }
        r->start = r->end;
        if (!refill(r)) return;
    }
}

bool rs_reader_line(rs_reader *r, const char **line, size_t *len, uint32_t *lineno) {
    size_t scanned = 0;   /* bytes after start already known to hold no newline */
    for (;;) {
        char *from = r->buf + r->start + scanned;
        char *nl = memchr(from, '\n', r->end - r->start - scanned);
        if (nl || (r->eof && r->start < r->end)) {
            size_t n = nl ? (size_t)(nl - r->buf) - r->start : r->end - r->start;
            if (n > RS_SNAP_MAX_LINE) {
                r->start += n;   /* the newline (if any) is consumed by skip_long_line */
                skip_long_line(r);
                scanned = 0;
                continue;
            }
            *line = r->buf + r->start;
            *len = n && (*line)[n - 1] == '\r' ? n - 1 : n;
            *lineno = r->line++;
            r->start += nl ? n + 1 : n;
            return true;
        }
        if (r->eof) return false;
        scanned = r->end - r->start;
        if (scanned > RS_SNAP_MAX_LINE) {
            skip_long_line(r);
            scanned = 0;
            continue;
        }
        if (!refill(r) && r->start == r->end) return false;
    }
}
