/* diag.h: sources, byte spans and diagnostics.
 *
 * Every token and AST node keeps a [start, end) byte span into its rs_source; line and column are
 * computed only when a diagnostic is rendered, from a line-start table built once per source.
 * Columns count code points, from 1. Diagnostics live in a fixed-capacity array the caller owns, so
 * reporting never allocates and running out of memory cannot lose an error. Every phase appends and
 * keeps going, so one run reports every error it can find. */
#ifndef RS_DIAG_H
#define RS_DIAG_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include "common/diag_codes.h"

typedef struct rs_span {
    uint32_t start, end;  /* byte offsets into the source text, end exclusive */
} rs_span;

static inline rs_span rs_span_make(uint32_t start, uint32_t end) {
    rs_span s = {start, end};
    return s;
}
static inline rs_span rs_span_join(rs_span a, rs_span b) {
    rs_span s = {a.start < b.start ? a.start : b.start, a.end > b.end ? a.end : b.end};
    return s;
}

/* A JSON source maps spans back to JSON paths ("conditions[2].op") for its diagnostics. */
typedef struct rs_jpath {
    rs_span span;
    char *path;
} rs_jpath;

typedef struct rs_source {
    char *name;          /* file name as given on the command line, or "<stdin>" */
    char *text;          /* owned, NUL-terminated */
    size_t len;
    uint32_t *line_starts; /* byte offset of each line's first byte */
    size_t nlines;
    rs_jpath *jpaths;    /* JSON sources only; innermost span containing a position wins */
    size_t njpaths, cap_jpaths;
} rs_source;

/* Takes ownership of text (malloc'd, len bytes plus a NUL). */
rs_source *rs_source_new(const char *name, char *text, size_t len);
/* Reads a file (limit: RS_MAX_SOURCE_BYTES); on failure appends E0001/E0006 to diags, returns NULL. */
struct rs_diags;
rs_source *rs_source_load(const char *path, struct rs_diags *diags);
void rs_source_free(rs_source *src);
void rs_source_add_jpath(rs_source *src, rs_span span, const char *path);
/* 1-based line and code-point column of a byte offset. */
void rs_source_position(const rs_source *src, uint32_t offset, uint32_t *line, uint32_t *col);
const char *rs_source_jpath(const rs_source *src, uint32_t offset);

#define RS_MAX_SOURCE_BYTES (8u << 20)   /* a rule or mapping file: 8 MiB */
#define RS_MAX_STRING_BYTES (64u << 10)  /* one string literal: 64 KiB */
#define RS_MAX_DEPTH 256                 /* nesting of parentheses / not */
#define RS_MAX_DIAGS 200                 /* diagnostics kept per run; the rest are counted */

typedef enum { RS_SEV_ERROR, RS_SEV_WARNING, RS_SEV_NOTE } rs_severity;

typedef enum {
#define DIAG(num, name, sev, summary) RS_E_##name = num,
    RS_DIAG_CODES(DIAG)
#undef DIAG
} rs_code;

/* Texts of a list's diagnostics, whatever their length: a console or a run history stores them
 * whole. Kept inside the list, so a list needs no freeing; a list whose texts fill it counts the
 * rest as dropped, like the ones past RS_MAX_DIAGS. */
#define RS_DIAGS_TEXT (128u << 10)

struct rs_diags;

typedef struct rs_diag {
    rs_code code;
    rs_severity sev;
    const rs_source *src;   /* may be NULL (command-line or whole-file errors without a position) */
    rs_span span;
    const char *file;       /* used when src is NULL: snapshot files name themselves this way */
    uint32_t line, col;     /* used when src is NULL and line > 0 */
    const char *message;    /* in the list's text; never NULL */
    const char *help;       /* "" when there is none */
    struct rs_diags *list;  /* the list holding the texts */
} rs_diag;

typedef struct rs_diags {
    rs_diag items[RS_MAX_DIAGS];
    size_t n;
    size_t dropped;          /* diagnostics beyond RS_MAX_DIAGS (or max_errors, or the text), counted only */
    size_t nerrors, nwarnings;
    size_t max_errors;       /* 0 = RS_MAX_DIAGS; --max-errors sets it lower */
    size_t text_len;
    char text[RS_DIAGS_TEXT];
} rs_diags;

void rs_diags_init(rs_diags *d);
/* Appends a diagnostic at span in src. Returns the new item (for rs_diag_help), or NULL when it was
 * only counted. Severity comes from the code table. */
rs_diag *rs_diag_at(rs_diags *d, rs_code code, const rs_source *src, rs_span span,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same with a va_list, for wrappers that add their own bookkeeping. */
rs_diag *rs_diag_atv(rs_diags *d, rs_code code, const rs_source *src, rs_span span, const char *fmt,
                     va_list ap) __attribute__((format(printf, 5, 0)));
/* Appends a diagnostic at file:line:col with no source text (snapshot loading). line 0 = no position. */
rs_diag *rs_diag_file(rs_diags *d, rs_code code, const char *file, uint32_t line, uint32_t col,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void rs_diag_help(rs_diag *dg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds text at the end of dg's message (a count known only later, say). */
void rs_diag_append(rs_diag *dg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool rs_diags_has_errors(const rs_diags *d);

const char *rs_code_str(rs_code code, char buf[8]);   /* "E0201" (W for warnings) */
const char *rs_severity_name(rs_severity s);
rs_severity rs_code_severity(rs_code code);

/* Rendering. Text, compiler-style:
 *   rules/interns.rule:4:6: error[E0201]: unknown field 'job_titel'
 *       4 |   2: job_titel equals "Engineer"
 *         |      ^~~~~~~~~
 *         = help: did you mean 'job_title'?
 * JSON: one object per line (file, line, column, end_line, end_column, json_path, severity, code,
 * message, help), which is what an admin console reads. */
struct rs_sb;
void rs_diags_render_text(const rs_diags *d, struct rs_sb *out, bool color);
void rs_diags_render_json(const rs_diags *d, struct rs_sb *out);
void rs_diag_render_one(const rs_diag *dg, struct rs_sb *out, bool color);

#endif
