/* snapshot_csv.c: the CSV twins of the snapshot files, read as RFC 4180: a header row naming the
 * fields, cells separated by commas, a cell in double quotes may hold commas, line breaks and
 * doubled quotes (""). Each row becomes an rs_record whose values are cell text (text_cells): the
 * loader reads numbers, dates and booleans from that text and splits multi values on ';'.
 *
 * A record is gathered line by line until its quotes balance; most are one line, which is used
 * where the reader holds it, and only a record of several lines is copied. It is then split into
 * cells in one pass: an unquoted cell points into the record's text, a quoted one is unescaped into
 * a buffer. Scans for quotes, commas and non-ASCII bytes go eight bytes at a time. */
#include <stdlib.h>
#include <string.h>
#include "common/utf8.h"
#include "common/util.h"
#include "runtime/snapshot_int.h"

typedef struct rs_csvcell {
    const char *s;             /* unescaped text */
    uint32_t len;
    size_t at;                 /* where the cell starts in the record text */
    bool quoted;
} rs_csvcell;

/* Line and column of byte `at` of the gathered record that starts on line `first`. */
static void record_position(const rs_reader *r, uint32_t first, size_t at, uint32_t *line, uint32_t *col) {
    size_t start = 0;
    *line = first;
    for (size_t i = 0; i < at; i++)
        if (r->rtext[i] == '\n') {
            (*line)++;
            start = i + 1;
        }
    *col = rs_text_col(r->rtext + start, at - start);
}

static void acc_put(rs_reader *r, const char *s, size_t len) {
    if (r->acclen + len + 1 > r->acccap) {
        size_t cap = r->acccap ? r->acccap : 4096;
        while (cap < r->acclen + len + 1) cap *= 2;
        r->acc = rs_realloc(r->acc, cap);
        r->acccap = cap;
    }
    memcpy(r->acc + r->acclen, s, len);
    r->acclen += len;
}

/* Whether a quoted cell is still open at the end of this line, given whether one was open at its
 * start; *opened_at: where on this line the cell left open began. A quote opens a quoted cell only
 * at the start of a cell. One inside an unquoted cell (`Fleet "Lead`) is a stray: it does not open
 * anything, so it cannot make the following rows part of this record, and the cell parser reports
 * it where it is. */
static bool open_after(const char *s, size_t len, bool open, size_t *opened_at) {
    if (!open && !memchr(s, '"', len)) return false;
    bool cell_start = true;
    for (size_t i = 0; i < len; i++) {
        if (open) {
            if (s[i] != '"') continue;
            if (i + 1 < len && s[i + 1] == '"') i++;
            else open = cell_start = false;
        } else if (s[i] == ',') {
            cell_start = true;
        } else {
            if (s[i] == '"' && cell_start) {
                open = true;
                *opened_at = i;
            }
            cell_start = false;
        }
    }
    return open;
}

/* Gathers the physical lines of the next record into r->rtext: a quoted cell may span lines, and a
 * record is complete when no quoted cell is open at the end of a line. A record of one line stays
 * where the reader holds it; longer ones are copied into r->acc. Empty lines between records are
 * skipped. */
static rs_recstat gather(rs_reader *r, uint32_t *first) {
    const char *line;
    size_t len, opened_at = 0;
    uint32_t no, opened_line = 0, opened_col = 0;
    bool have = false, open = false;
    r->acclen = 0;
    while (rs_reader_line(r, &line, &len, &no)) {
        if (!have) {
            if (len == 0) continue;
            *first = no;
            have = true;
            open = open_after(line, len, false, &opened_at);
            if (!open) {
                r->rtext = line;
                r->rtextlen = len;
                return RS_REC_OK;
            }
            opened_line = no;
            opened_col = rs_text_col(line, opened_at);
        } else {
            acc_put(r, "\n", 1);
            bool was_open = open;
            open = open_after(line, len, open, &opened_at);
            if (open && !was_open) {
                opened_line = no;
                opened_col = rs_text_col(line, opened_at);
            }
        }
        if (r->acclen + len > RS_SNAP_MAX_LINE) {
            rs_diag *dg = rs_diag_file(r->diags, RS_E_SNAP_TOO_LARGE, r->file, *first, 0,
                                       "record longer than %u MiB", RS_SNAP_MAX_LINE >> 20);
            rs_diag_help(dg, "a quoted cell that is never closed makes the rest of the file one record");
            return RS_REC_STOP;
        }
        acc_put(r, line, len);
        if (!open) {
            r->rtext = r->acc;
            r->rtextlen = r->acclen;
            return RS_REC_OK;
        }
    }
    if (!have) return r->io_error ? RS_REC_STOP : RS_REC_END;
    rs_diag *dg = rs_diag_file(r->diags, RS_E_SNAP_SYNTAX, r->file, opened_line, opened_col,
                               "the quoted cell that starts here is never closed: it runs to the end of "
                               "the file, %u line(s) on", no - opened_line);
    rs_diag_help(dg, "close the cell with a double quote; write a quote inside it as two (\"\")");
    return RS_REC_STOP;
}

static rs_recstat syntax_at(rs_reader *r, uint32_t first, size_t at, const char *msg, const char *help) {
    uint32_t line, col;
    record_position(r, first, at, &line, &col);
    rs_diag *dg = rs_diag_file(r->diags, RS_E_SNAP_SYNTAX, r->file, line, col, "%s", msg);
    if (help) rs_diag_help(dg, "%s", help);
    return RS_REC_BAD;
}

static void push_cell(rs_reader *r, size_t *ncells, size_t *cap, const rs_csvcell *c) {
    RS_GROW(r->cellv, *cap, *ncells + 1);
    r->cellv[(*ncells)++] = *c;
}

/* Offset of the first byte that is not valid UTF-8, or len; ASCII goes eight bytes at a time. */
static size_t utf8_check(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint64_t w = RS_SWAR_HIGHS;
        if (len - i >= 8) memcpy(&w, s + i, 8);
        if ((w & RS_SWAR_HIGHS) == 0) {
            i += 8;
            continue;
        }
        uint32_t cp;
        int n = (unsigned char)s[i] < 0x80 ? 1 : rs_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n == 0) return i;
        i += (size_t)n;
    }
    return len;
}

/* The first comma or quote at or after i, or n. */
static size_t cell_end(const char *a, size_t i, size_t n) {
#if RS_SWAR
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, a + i, 8);
        uint64_t flags = rs_swar_eq(w, ',') | rs_swar_eq(w, '"');
        if (flags) return i + rs_swar_first(flags);
    }
#endif
    while (i < n && a[i] != ',' && a[i] != '"') i++;
    return i;
}

/* The quoted cell at a[*i] (its opening quote), unescaped into r->cells at *o. */
static rs_recstat quoted_cell(rs_reader *r, uint32_t first, size_t *i, size_t *o) {
    const char *a = r->rtext;
    size_t n = r->rtextlen;
    for (size_t k = *i + 1;;) {
        const char *q = memchr(a + k, '"', n - k);
        if (!q) return syntax_at(r, first, n, "a quoted cell is not closed", NULL);
        size_t at = (size_t)(q - a);
        memcpy(r->cells + *o, a + k, at - k);
        *o += at - k;
        if (at + 1 < n && a[at + 1] == '"') {   /* a doubled quote is one quote */
            r->cells[(*o)++] = '"';
            k = at + 2;
            continue;
        }
        *i = at + 1;
        if (*i < n && a[*i] != ',')
            return syntax_at(r, first, *i, "unexpected character after the closing quote of a cell",
                             "inside a quoted cell, write a quote as two quotes (\"\")");
        return RS_REC_OK;
    }
}

/* Splits the gathered record into cells (r->cellv): unquoted ones point into the record's text,
 * quoted ones into r->cells. */
static rs_recstat split(rs_reader *r, uint32_t first, size_t *ncells) {
    const char *a = r->rtext;
    size_t n = r->rtextlen, i = 0, o = 0;
    size_t bad = utf8_check(a, n);
    if (bad < n) return syntax_at(r, first, bad, "invalid UTF-8", "save the file as UTF-8");
    const char *nul = memchr(a, '\0', n);
    if (nul) return syntax_at(r, first, (size_t)(nul - a), "NUL byte in the file", NULL);
    if (r->cellcap < n + 1) {
        r->cells = rs_realloc(r->cells, n + 1);
        r->cellcap = n + 1;
    }
    *ncells = 0;
    for (;;) {
        rs_csvcell c = {a + i, 0, i, false};
        if (i < n && a[i] == '"') {
            size_t cs = o;
            rs_recstat st = quoted_cell(r, first, &i, &o);
            if (st != RS_REC_OK) return st;
            c = (rs_csvcell){r->cells + cs, (uint32_t)(o - cs), c.at, true};
        } else {
            size_t end = cell_end(a, i, n);
            if (end < n && a[end] == '"')
                return syntax_at(r, first, end, "a quote inside a cell that does not start with one",
                                 "quote the whole cell and double each quote in it: \"5\"\" screen\"");
            c.len = (uint32_t)(end - i);
            i = end;
        }
        if (*ncells >= RS_SNAP_MAX_FIELDS) {
            rs_diag_file(r->diags, RS_E_SNAP_TOO_LARGE, r->file, first, 0, "more than %u cells in a row",
                         RS_SNAP_MAX_FIELDS);
            return RS_REC_BAD;
        }
        push_cell(r, ncells, &r->capcellv, &c);
        if (i >= n) return RS_REC_OK;
        i++;   /* the comma */
    }
}

static rs_recstat csv_next(rs_reader *r, rs_record *rec) {
    uint32_t first = 0;
    rs_recstat st = gather(r, &first);
    if (st != RS_REC_OK) return st;
    r->records++;
    rs_record_clear(rec);
    rec->line = first;
    rec->text_cells = true;
    rec->text = r->rtext;
    rec->textlen = r->rtextlen;
    size_t ncells;
    if ((st = split(r, first, &ncells)) != RS_REC_OK) return st;
    if (ncells != r->nheader) {
        rs_diag *dg = rs_diag_file(r->diags, RS_E_SNAP_SYNTAX, r->file, first, 0, "row has %zu cells, the header has %u",
                                   ncells, r->nheader);
        rs_diag_help(dg, "quote cells that contain commas: \"Smith, Jo\"");
        return RS_REC_BAD;
    }
    for (size_t k = 0; k < ncells; k++) {
        const rs_csvcell *c = &r->cellv[k];
        rs_record_key(rec, r->header[k], r->headerlen[k]);
        rs_rval *v = rs_record_val(rec);
        v->kind = c->len || c->quoted ? RV_STRING : RV_NULL;
        v->str = c->s;
        v->len = c->len;
        v->at = r->rtext + c->at;
    }
    return RS_REC_OK;
}

/* The header: non-empty, distinct field names. */
static bool read_header(rs_reader *r) {
    uint32_t first = 1;
    rs_recstat st = gather(r, &first);
    if (st == RS_REC_END) {
        rs_diag *dg = rs_diag_file(r->diags, RS_E_SNAP_SYNTAX, r->file, 1, 0, "empty file: no header row");
        rs_diag_help(dg, "the first line names the fields, e.g. id,department,job_title");
        return false;
    }
    size_t ncells;
    if (st != RS_REC_OK || split(r, first, &ncells) != RS_REC_OK) return false;
    r->header = rs_calloc(ncells, sizeof *r->header);
    r->headerlen = rs_calloc(ncells, sizeof *r->headerlen);
    for (size_t k = 0; k < ncells; k++) {
        const rs_csvcell *c = &r->cellv[k];
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++) dup = strlen(r->header[j]) == c->len && memcmp(r->header[j], c->s, c->len) == 0;
        if (c->len == 0 || dup) {
            char msg[300];
            if (dup) snprintf(msg, sizeof msg, "field '%.*s' named twice in the header", (int)(c->len > 200 ? 200 : c->len), c->s);
            else snprintf(msg, sizeof msg, "empty field name in the header");
            syntax_at(r, first, c->at, msg, NULL);
            return false;
        }
        r->headerlen[r->nheader] = c->len;
        r->header[r->nheader++] = rs_strndup(c->s, c->len);
    }
    return true;
}

rs_reader *rs_reader_open_csv(const char *path, rs_diags *d) {
    rs_reader *r = rs_reader_open(path, d);
    if (!r) return NULL;
    r->next = csv_next;
    if (!read_header(r)) {
        rs_reader_close(r);
        return NULL;
    }
    return r;
}
