/* mapeval.h: evaluation of mapping programs (compiler/mapcode.h) over source records: JSON objects
 * as the source API returns them. Records are mapped in batches, one target field at a time over the
 * whole batch (column-wise), into target values plus a per-record failure list; a failing record
 * never stops the others.
 *
 * Ownership: rs_mapper_new's result is freed by rs_mapper_free. Values and failure messages of a
 * batch live in the mapper's arena until the next rs_mapper_run. */
#ifndef RS_MAPEVAL_H
#define RS_MAPEVAL_H
#include <stdio.h>
#include <jansson.h>
#include "compiler/mapcode.h"
#include "common/diag.h"

/* Why a record failed: X(NAME, "reason as printed"). */
#define RS_MAP_FAILURES(X)                                                                   \
    X(TOO_LONG, "too_long")                                                                 \
    X(WRONG_TYPE, "wrong_type")                                                             \
    X(MISSING_REQUIRED, "missing_required")                                                 \
    X(NOT_ALLOWED, "not_allowed")                                                           \
    X(LOOKUP_MISSING, "lookup_missing")                                                     \
    X(BAD_VALUE, "bad_value")                                                               \
    X(BAD_RECORD, "bad_record")

typedef enum {
#define X(name, text) RS_MAPFAIL_##name,
    RS_MAP_FAILURES(X)
#undef X
} rs_mapfail_kind;

const char *rs_mapfail_name(rs_mapfail_kind k);

typedef struct rs_mapstr {
    const char *s;
    size_t len;
} rs_mapstr;

/* A value. type MT_ANY means empty (missing, null, "", []). */
typedef struct rs_mapval {
    map_type type;
    const char *s;              /* TEXT (not NUL-terminated; len bytes) */
    size_t len;                 /* TEXT: bytes; LIST: items */
    double num;
    int32_t day;
    bool b;
    const rs_mapstr *items;     /* LIST */
} rs_mapval;

typedef struct rs_mapfailure {
    size_t record;              /* index in the batch */
    int target;                 /* index of the target field; -1 for the whole record */
    rs_mapfail_kind kind;
    const char *message;        /* in the arena */
} rs_mapfailure;

typedef struct rs_mapper rs_mapper;

/* Loads the program's lookup tables (CSV: a header line, then key,value; or a JSON object of
 * strings). Errors (E0511) go to diags; returns 0, or -1 when a table cannot be loaded. */
int rs_mapper_new(rs_mapper **out, const rs_mapprog *prog, rs_diags *diags);
void rs_mapper_free(rs_mapper *m);

/* The result of one batch: values[r * ntargets + t], and the failures in record order. */
typedef struct rs_mapresult {
    const rs_mapval *values;
    size_t ntargets;
    const rs_mapfailure *failures;
    size_t nfailures;
    const bool *failed;         /* failed[r]: the record has at least one failure */
} rs_mapresult;

/* Parses one line of a JSON Lines source for mapping: one JSON object, with duplicate keys refused.
 * A UTF-8 byte order mark at the start of the first line is skipped (spreadsheet exports write one;
 * the snapshot loader skips it too), and an integer beyond 64 bits is read as a floating-point number
 * (Google ids are strings; such a number is most often in a key the mapping never reads). Returns the
 * object, or NULL with why[0..why_size) saying why the line is refused (the column, and jansson's
 * reason: a duplicate key, bad UTF-8, an invalid \uD800 escape, a syntax error; or what JSON value
 * the line holds instead of an object). */
json_t *rs_map_parse_line(const char *line, size_t len, bool first_line, char *why, size_t why_size);

/* Reads a JSON Lines source to its end and hands fn the records in batches (rs_map_parse_line; a
 * line that is not a JSON object is a NULL record whose why says why; blank lines are skipped).
 * lines[r] is record r's line in the source. The records are released when fn returns. Returns 0,
 * or the errno of a read error (the records before it were handed over); *lines_read: lines read. */
typedef void (*rs_map_batch_fn)(void *ctx, json_t *const *recs, const char *const *why, const size_t *lines,
                                size_t n);
int rs_map_read_jsonl(FILE *in, rs_map_batch_fn fn, void *ctx, size_t *lines_read);

/* Maps records[0..n) (each a JSON object, or NULL for a line that was not one: that record fails
 * with BAD_RECORD, whose message is why[r] when why is given). The result is valid until the next
 * run or rs_mapper_free. */
void rs_mapper_run(rs_mapper *m, json_t *const *records, const char *const *why, size_t n, rs_mapresult *out);

/* Writes a target value as JSON (text as a string, dates as "YYYY-MM-DD", lists as arrays). */
struct rs_sb;
void rs_mapval_json(const rs_mapval *v, struct rs_sb *out);
/* Writes a target value as plain text (the table format). */
void rs_mapval_text(const rs_mapval *v, struct rs_sb *out);

/* The source's own id of a record (Google's immutable `id`), or "": what lists name a record by. */
const char *rs_map_source_id(const json_t *rec);
/* Record r of a batch as one line of `roster map` output: {"line": N, "source_id": "...",
 * "target": {...}} (the mapped fields in target order), or "failures": [{"field", "reason",
 * "message"}, ...] for a failed record. line: its line in the source. */
void rs_map_record_jsonl(const rs_mapprog *prog, const rs_mapresult *res, size_t r, size_t line,
                         const json_t *rec, struct rs_sb *out);

#endif
