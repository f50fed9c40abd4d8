/* diag.c: sources with line tables, the fixed-capacity diagnostic list, and its rendering. */
#include "common/diag.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "common/util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sources ---- */

rs_source *rs_source_new(const char *name, char *text, size_t len) {
    rs_source *src = rs_calloc(1, sizeof *src);
    src->name = rs_strdup(name);
    src->text = text;
    src->len = len;
    size_t cap = 64;
    src->line_starts = rs_malloc(cap * sizeof *src->line_starts);
    src->line_starts[src->nlines++] = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\n') continue;
        RS_GROW(src->line_starts, cap, src->nlines + 1);
        src->line_starts[src->nlines++] = (uint32_t)(i + 1);
    }
    return src;
}

rs_source *rs_source_load(const char *path, rs_diags *diags) {
    char *text;
    size_t len;
    int rc = rs_read_file(path, RS_MAX_SOURCE_BYTES, &text, &len);
    if (rc == -2) {
        rs_diag *d = rs_diag_file(diags, RS_E_FILE_TOO_LARGE, path, 0, 0,
                                  "file is larger than %u MiB", RS_MAX_SOURCE_BYTES >> 20);
        if (d) rs_diag_help(d, "split the rules into several files; each may be up to %u MiB",
                            RS_MAX_SOURCE_BYTES >> 20);
        return NULL;
    }
    if (rc != 0) {
        rs_diag_file(diags, RS_E_IO, path, 0, 0, "cannot read file: %s", strerror(errno));
        return NULL;
    }
    return rs_source_new(path, text, len);
}

void rs_source_free(rs_source *src) {
    if (!src) return;
    for (size_t i = 0; i < src->njpaths; i++) free(src->jpaths[i].path);
    free(src->jpaths);
    free(src->line_starts);
    free(src->text);
    free(src->name);
    free(src);
}

void rs_source_add_jpath(rs_source *src, rs_span span, const char *path) {
    RS_GROW(src->jpaths, src->cap_jpaths, src->njpaths + 1);
    src->jpaths[src->njpaths].span = span;
    src->jpaths[src->njpaths].path = rs_strdup(path);
    src->njpaths++;
}

const char *rs_source_jpath(const rs_source *src, uint32_t offset) {
    const rs_jpath *best = NULL;
    for (size_t i = 0; i < src->njpaths; i++) {
        const rs_jpath *j = &src->jpaths[i];
        if (offset < j->span.start || offset > j->span.end) continue;
        if (!best || j->span.end - j->span.start <= best->span.end - best->span.start) best = j;
    }
    return best ? best->path : NULL;
}

static size_t line_index(const rs_source *src, uint32_t offset) {
    size_t lo = 0, hi = src->nlines;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (src->line_starts[mid] <= offset) lo = mid;
        else hi = mid;
    }
    return lo;
}

void rs_source_position(const rs_source *src, uint32_t offset, uint32_t *line, uint32_t *col) {
    if (offset > src->len) offset = (uint32_t)src->len;
    size_t li = line_index(src, offset);
    uint32_t start = src->line_starts[li];
    *line = (uint32_t)li + 1;
    *col = (uint32_t)rs_utf8_count(src->text + start, offset - start) + 1;
}

/* ---- the code table ---- */

typedef struct code_info {
    rs_code code;
    rs_severity sev;
} code_info;

static const code_info code_table[] = {
#define DIAG(num, name, sev, summary) {RS_E_##name, RS_SEV_##sev},
    RS_DIAG_CODES(DIAG)
#undef DIAG
};

rs_severity rs_code_severity(rs_code code) {
    for (size_t i = 0; i < RS_ARRAY_LEN(code_table); i++)
        if (code_table[i].code == code) return code_table[i].sev;
    return RS_SEV_ERROR;
}

const char *rs_code_str(rs_code code, char buf[8]) {
    rs_severity sev = rs_code_severity(code);
    snprintf(buf, 8, "%c%04d", sev == RS_SEV_ERROR ? 'E' : sev == RS_SEV_WARNING ? 'W' : 'N',
             (int)code % 10000);
    return buf;
}

const char *rs_severity_name(rs_severity s) {
    return s == RS_SEV_ERROR ? "error" : s == RS_SEV_WARNING ? "warning" : "note";
}

/* ---- the list ---- */

/* Only the counters: append() clears each item as it is taken. Clearing all RS_MAX_DIAGS items (about
 * 190 KB) cost more than checking a small rule file, and was most of a fuzzing run's time. */
void rs_diags_init(rs_diags *d) {
    d->n = d->dropped = d->nerrors = d->nwarnings = d->max_errors = d->text_len = 0;
}

/* A formatted text in the list's store, or NULL when the store cannot hold it whole. */
static const char *store_textv(rs_diags *d, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static const char *store_text(rs_diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *store_textv(rs_diags *d, const char *fmt, va_list ap) {
    size_t room = RS_DIAGS_TEXT - d->text_len;
    char *at = d->text + d->text_len;
    int n = vsnprintf(at, room, fmt, ap);
    if (n < 0 || (size_t)n >= room) return NULL;
    d->text_len += (size_t)n + 1;
    return at;
}

static const char *store_text(rs_diags *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const char *t = store_textv(d, fmt, ap);
    va_end(ap);
    return t;
}

/* A diagnostic whose text did not fit is taken back and counted as dropped. */
static void take_back(rs_diags *d) {
    d->n--;
    d->dropped++;
}

static rs_diag *append(rs_diags *d, rs_code code) {
    rs_severity sev = rs_code_severity(code);
    size_t limit = d->max_errors ? d->max_errors : RS_MAX_DIAGS;
    if (sev == RS_SEV_ERROR) d->nerrors++;
    else if (sev == RS_SEV_WARNING) d->nwarnings++;
    if (d->n >= RS_MAX_DIAGS || (sev == RS_SEV_ERROR && d->nerrors > limit)) {
        d->dropped++;
        return NULL;
    }
    rs_diag *dg = &d->items[d->n++];
    memset(dg, 0, sizeof *dg);
    dg->code = code;
    dg->sev = sev;
    dg->file = dg->help = "";
    dg->list = d;
    return dg;
}

rs_diag *rs_diag_atv(rs_diags *d, rs_code code, const rs_source *src, rs_span span, const char *fmt,
                     va_list ap) {
    rs_diag *dg = append(d, code);
    if (!dg) return NULL;
    dg->src = src;
    dg->span = span;
    dg->message = store_textv(d, fmt, ap);
    if (!dg->message) {
        take_back(d);
        return NULL;
    }
    return dg;
}

rs_diag *rs_diag_at(rs_diags *d, rs_code code, const rs_source *src, rs_span span,
                    const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rs_diag *dg = rs_diag_atv(d, code, src, span, fmt, ap);
    va_end(ap);
    return dg;
}

rs_diag *rs_diag_file(rs_diags *d, rs_code code, const char *file, uint32_t line, uint32_t col,
                      const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rs_diag *dg = rs_diag_atv(d, code, NULL, rs_span_make(0, 0), fmt, ap);
    va_end(ap);
    if (!dg) return NULL;
    dg->file = store_text(d, "%s", file ? file : "");
    if (!dg->file) {
        take_back(d);
        return NULL;
    }
    dg->line = line;
    dg->col = col;
    return dg;
}

/* Help that does not fit the store is left out: the diagnostic itself stands. */
void rs_diag_help(rs_diag *dg, const char *fmt, ...) {
    if (!dg) return;
    va_list ap;
    va_start(ap, fmt);
    const char *help = store_textv(dg->list, fmt, ap);
    va_end(ap);
    if (help) dg->help = help;
}

/* The message is copied to the end of the store and the tail formatted after it, whole. */
void rs_diag_append(rs_diag *dg, const char *fmt, ...) {
    if (!dg) return;
    rs_diags *d = dg->list;
    size_t start = d->text_len, len = strlen(dg->message);
    if (len >= RS_DIAGS_TEXT - start) return;
    memmove(d->text + start, dg->message, len);
    d->text_len += len;
    va_list ap;
    va_start(ap, fmt);
    const char *tail = store_textv(d, fmt, ap);
    va_end(ap);
    if (tail) dg->message = d->text + start;
    else d->text_len = start;
}

bool rs_diags_has_errors(const rs_diags *d) { return d->nerrors > 0; }

/* ---- rendering ---- */

typedef struct where {
    const char *file;
    uint32_t line, col, end_line, end_col;
    const char *jpath;
} where;

static where locate(const rs_diag *dg) {
    where w = {dg->file, dg->line, dg->col, dg->line, dg->col, NULL};
    if (!dg->src) return w;
    w.file = dg->src->name;
    rs_source_position(dg->src, dg->span.start, &w.line, &w.col);
    rs_source_position(dg->src, dg->span.end, &w.end_line, &w.end_col);
    w.jpath = rs_source_jpath(dg->src, dg->span.start);
    return w;
}

/* Width of the line-number gutter: the number right-aligned after four spaces, as rustc does. */
static int gutter_width(uint32_t line) {
    char num[16];
    return snprintf(num, sizeof num, "%u", line) + 4;
}

/* The source line with a caret under the span, clamped to the line (rustc style). */
static void render_excerpt(const rs_diag *dg, const where *w, rs_sb *out) {
    const rs_source *src = dg->src;
    size_t li = w->line - 1;
    uint32_t start = src->line_starts[li];
    uint32_t end = li + 1 < src->nlines ? src->line_starts[li + 1] - 1 : (uint32_t)src->len;
    if (end > start && src->text[end - 1] == '\r') end--;
    /* Very long lines (minified JSON) are shown around the span only. */
    uint32_t show_from = start;
    if (dg->span.start > start + 120) show_from = dg->span.start - 60;
    while (show_from > start && ((unsigned char)src->text[show_from] & 0xC0) == 0x80) show_from--;
    uint32_t show_to = end;
    if (show_to > show_from + 200) show_to = show_from + 200;
    while (show_to < end && ((unsigned char)src->text[show_to] & 0xC0) == 0x80) show_to++;
    int width = gutter_width(w->line);
    rs_sb_printf(out, "%*u |", width, w->line);
    if (show_to > show_from) rs_sb_putc(out, ' ');
    for (uint32_t i = show_from; i < show_to; i++) {
        unsigned char c = (unsigned char)src->text[i];
        rs_sb_putc(out, c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c);
    }
    rs_sb_putc(out, '\n');
    uint32_t col0 = (uint32_t)rs_utf8_count(src->text + show_from, dg->span.start - show_from);
    uint32_t span_end = dg->span.end < show_to ? dg->span.end : show_to;
    uint32_t ncaret = span_end > dg->span.start
                          ? (uint32_t)rs_utf8_count(src->text + dg->span.start, span_end - dg->span.start)
                          : 1;
    rs_sb_printf(out, "%*s | %*s^", width, "", (int)col0, "");
    for (uint32_t i = 1; i < ncaret; i++) rs_sb_putc(out, '~');
    rs_sb_putc(out, '\n');
}

void rs_diag_render_one(const rs_diag *dg, rs_sb *out, bool color) {
    where w = locate(dg);
    char code[8];
    const char *sev_color = dg->sev == RS_SEV_ERROR ? "\033[1;31m" : dg->sev == RS_SEV_WARNING ? "\033[1;33m" : "\033[1;36m";
    if (w.file && w.file[0]) {
        rs_sb_puts(out, w.file);
        if (w.line) rs_sb_printf(out, ":%u", w.line);
        if (w.line && w.col) rs_sb_printf(out, ":%u", w.col);   /* 0: the line is known, its column not */
        rs_sb_puts(out, ": ");
    }
    rs_sb_printf(out, "%s%s[%s]%s: %s", color ? sev_color : "", rs_severity_name(dg->sev),
                 rs_code_str(dg->code, code), color ? "\033[0m" : "", dg->message);
    if (w.jpath) rs_sb_printf(out, " (at %s)", w.jpath);
    rs_sb_putc(out, '\n');
    if (dg->src && dg->src->len > 0) render_excerpt(dg, &w, out);
    if (dg->help[0]) {
        int width = dg->src && dg->src->len > 0 ? gutter_width(w.line) : 4;
        rs_sb_printf(out, "%*s = help: %s\n", width, "", dg->help);
    }
}

void rs_diags_render_text(const rs_diags *d, rs_sb *out, bool color) {
    for (size_t i = 0; i < d->n; i++) rs_diag_render_one(&d->items[i], out, color);
    if (d->dropped)
        rs_sb_printf(out, "note: %zu more diagnostics not shown\n", d->dropped);
    else if (d->max_errors && d->nerrors >= d->max_errors)
        rs_sb_printf(out, "note: stopped after %zu errors (--max-errors); fix these and run again\n",
                     d->nerrors);
}

static void json_field_str(rs_sb *out, const char *key, const char *val) {
    rs_sb_printf(out, ",\"%s\":", key);
    if (val) rs_sb_json_str(out, val, strlen(val));
    else rs_sb_puts(out, "null");
}

/* Lines and columns count from 1; 0 means not known, written as null rather than as a position. */
static void json_field_pos(rs_sb *out, const char *name, uint32_t v) {
    if (v) rs_sb_printf(out, ",\"%s\":%u", name, v);
    else rs_sb_printf(out, ",\"%s\":null", name);
}

void rs_diags_render_json(const rs_diags *d, rs_sb *out) {
    for (size_t i = 0; i < d->n; i++) {
        const rs_diag *dg = &d->items[i];
        where w = locate(dg);
        char code[8];
        rs_sb_puts(out, "{\"file\":");
        rs_sb_json_str(out, w.file ? w.file : "", w.file ? strlen(w.file) : 0);
        json_field_pos(out, "line", w.line);
        json_field_pos(out, "column", w.col);
        json_field_pos(out, "end_line", w.end_line);
        json_field_pos(out, "end_column", w.end_col);
        json_field_str(out, "json_path", w.jpath);
        json_field_str(out, "severity", rs_severity_name(dg->sev));
        json_field_str(out, "code", rs_code_str(dg->code, code));
        json_field_str(out, "message", dg->message);
        json_field_str(out, "help", dg->help[0] ? dg->help : NULL);
        rs_sb_puts(out, "}\n");
    }
}
