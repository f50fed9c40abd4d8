/* snapshot.c: loading a snapshot folder (spec section 1) into columns, and what every snapshot
 * offers whatever it was loaded from: lookups by id and the id set for the checker. The owner of a
 * snapshot's arrays and freeing are in snapshot_owner.c, the line reader the formats share in
 * reader.c: both sit below the readers and builders this file drives.
 *
 * Reading is one pass per file. A reader yields format-neutral records (JSONL: one line through a
 * swappable line parser, jsonl.c; CSV: snapshot_csv.c); each member's values are converted
 * to their field's type and appended to the column builders, so nothing per member is allocated.
 * What needs every member first (personnel ids, which may name a member further down; main
 * departments; reverse personnel edges; sorted indexes) is done once at the end. Any error refuses
 * the whole snapshot; reading goes on to report as many errors as diags->max_errors allows. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/date.h"
#include "common/idset.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/snapshot_int.h"

/* ---- lookups ---- */

uint32_t rs_snapshot_member(const rs_snapshot *s, const char *id, size_t len) {
    return rs_strtab_find(&s->member_ids, id, len);
}

uint32_t rs_snapshot_department(const rs_snapshot *s, const char *id, size_t len) {
    return rs_strtab_find(&s->depts.ids, id, len);
}

static bool idset_has_department(void *ctx, const char *id, size_t len) {
    return rs_snapshot_department(ctx, id, len) != RS_NONE;
}

static bool idset_has_member(void *ctx, const char *id, size_t len) {
    return rs_snapshot_member(ctx, id, len) != RS_NONE;
}

void rs_snapshot_idset(const rs_snapshot *s, struct rs_idset *out) {
    out->ctx = (void *)(uintptr_t)s;   /* the callbacks only read through it */
    out->has_department = idset_has_department;
    out->has_member = idset_has_member;
}

/* ---- the loader ---- */

typedef union slotval {
    uint32_t code;
    double num;
    int32_t day;
} slotval;

typedef struct column_build {
    const rs_field *f;
    uint32_t *codes;
    double *nums;
    int32_t *days;
    size_t nvalues, capvalues;
    uint32_t *offsets;          /* multi: one per member, plus one */
    uint64_t *empty;
    rs_strbuild strs;           /* text: the dictionary; personnel: ids as written; option: spellings */
    int32_t *spelling_option;   /* option: declared index of each spelling in strs, -1 outside */
    uint32_t capspellings;
} column_build;

typedef struct unknown_key {
    char *name;
    rs_diag *dg;
    uint64_t count;
} unknown_key;

#define MAX_UNKNOWN_KEYS 64

typedef struct loader {
    rs_diags *diags;
    bool progress;
    bool reference_jsonl;
    size_t errors_at_start, error_limit;
    rs_schema *schema;          /* owned until the snapshot takes it */
    size_t nfields;
    const char *file;           /* the file being read */
    char *members_path;         /* for errors found after reading (personnel ids) */
    rs_deptbuild depts;
    bool depts_known;           /* departments read: member departments can be checked */
    rs_strbuild ids;            /* member ids while reading (duplicates are found once sorted) */
    rs_strtab member_ids;       /* then the finished table */
    bool ids_done;
    rs_snap_owner *owner;       /* finished arrays; handed to the snapshot */
    uint32_t *lines;            /* each member's line */
    uint32_t n, cap;            /* members; capacity of the per-member arrays */
    column_build *cols;
    int id_field, dept_field, main_field;
    int32_t *fv;                /* per field: its value's index in the current record, or -1 */
    rs_strbuild field_names;    /* hashed, to find a record key's field */
    int *name_field;            /* field of each name in field_names */
    unknown_key unknown[MAX_UNKNOWN_KEYS];
    size_t nunknown;
    uint64_t unknown_more;      /* occurrences of unknown keys past the first 64 distinct, counted only */
} loader;

/* Counted from the start of this load: whatever errors the caller's diags held before do not stop
 * the reading (a load that stops early has errors of its own, so it is refused). */
static bool too_many_errors(const loader *L) { return L->diags->nerrors - L->errors_at_start >= L->error_limit; }

static const char *member_id(const loader *L, uint32_t m, int *len) {
    size_t n;
    const char *s = L->ids_done ? rs_strtab_get(&L->member_ids, m, &n) : rs_sbuild_get(&L->ids, m, &n);
    *len = n > 200 ? 200 : (int)n;
    return s;
}

/* Column of `"key"` in a JSONL record's text, for messages; 0 when it cannot be found. */
/* Offset of `"key"` followed by its colon in the record's text (*colon: the colon's offset), or -1. */
static long key_offset(const rs_record *rec, const char *key, size_t *colon) {
    if (!rec->text) return -1;
    size_t klen = strlen(key);
    for (size_t i = 0; i + klen + 2 <= rec->textlen; i++) {
        if (rec->text[i] != '"' || memcmp(rec->text + i + 1, key, klen) != 0 || rec->text[i + klen + 1] != '"')
            continue;
        size_t j = i + klen + 2;
        while (j < rec->textlen && (rec->text[j] == ' ' || rec->text[j] == '\t')) j++;
        if (j < rec->textlen && rec->text[j] == ':') {
            *colon = j;
            return (long)i;
        }
    }
    return -1;
}

static uint32_t key_col(const rs_record *rec, const char *key) {
    size_t colon;
    long at = key_offset(rec, key, &colon);
    return at < 0 ? 0 : rs_text_col(rec->text, (size_t)at);
}

/* The number after `"key":` as written, for a message about it: its double would round 2^53 + 1
 * to 2^53 and name a value that is in fact accepted. Empty when the text is not at hand. */
static int number_as_written(const rs_record *rec, const char *key, const char **s) {
    size_t colon;
    *s = "";
    if (key_offset(rec, key, &colon) < 0) return 0;
    size_t i = colon + 1, n = 0;
    while (i < rec->textlen && (rec->text[i] == ' ' || rec->text[i] == '\t')) i++;
    while (i + n < rec->textlen && n < 64 && strchr("+-.0123456789eE", rec->text[i + n])) n++;
    *s = rec->text + i;
    return (int)n;
}

/* Line and column of a value for messages: where the reader saw it start, else where its key is. */
static void value_position(const rs_record *rec, const rs_rval *v, const char *key, uint32_t *line, uint32_t *col) {
    *line = rec->line;
    if (!v || !v->at) {
        *col = key ? key_col(rec, key) : 0;
        return;
    }
    const char *start = rec->text;
    for (const char *p = rec->text; p < v->at; p++)
        if (*p == '\n') {
            (*line)++;
            start = p + 1;
        }
    *col = rs_text_col(start, (size_t)(v->at - start));
}

/* An error about one value of the current member: "member 'u1', field 'x': ...". */
static rs_diag *value_error(loader *L, const rs_record *rec, const rs_field *f, const rs_rval *v,
                            rs_code code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static rs_diag *value_error(loader *L, const rs_record *rec, const rs_field *f, const rs_rval *v,
                            rs_code code, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int len;
    const char *id = member_id(L, L->n, &len);
    uint32_t line, col;
    value_position(rec, v, f->name, &line, &col);
    return rs_diag_file(L->diags, code, L->file, line, col, "member '%.*s', field '%s': %s", len, id,
                        f->name, msg);
}

static const char *kind_name(const rs_rval *v) {
    static const char *const names[] = {"null", "a string", "a number", "true or false", "a list", "an object"};
    return names[v->kind];
}

/* W0611 once per unknown key and file, with the number of records at the end (finish_unknown). */
static void unknown_key_seen(loader *L, const rs_record *rec, const rs_rkey *k, const char *why, const char *help) {
    for (size_t i = 0; i < L->nunknown; i++)
        if (strlen(L->unknown[i].name) == k->keylen && memcmp(L->unknown[i].name, k->key, k->keylen) == 0) {
            L->unknown[i].count++;
            return;
        }
    if (L->nunknown == MAX_UNKNOWN_KEYS) {
        L->unknown_more++;
        return;
    }
    unknown_key *u = &L->unknown[L->nunknown++];
    u->name = rs_strndup(k->key, k->keylen);
    u->count = 1;
    u->dg = rs_diag_file(L->diags, RS_E_SNAP_UNKNOWN_FIELD, L->file, rec->line, key_col(rec, u->name),
                         "key '%.200s' %s; ignored", u->name, why);
    rs_diag_help(u->dg, "%s", help);
}

static void finish_unknown(loader *L) {
    for (size_t i = 0; i < L->nunknown; i++) {
        unknown_key *u = &L->unknown[i];
        if (u->dg && u->count > 1) rs_diag_append(u->dg, " (in %llu records)", (unsigned long long)u->count);
        free(u->name);
    }
    if (L->unknown_more)
        rs_diag_file(L->diags, RS_E_SNAP_UNKNOWN_FIELD, L->file, 0, 0,
                     "%llu more uses of keys not in schema.json (past %d distinct ones); ignored",
                     (unsigned long long)L->unknown_more, MAX_UNKNOWN_KEYS);
    L->nunknown = 0;
    L->unknown_more = 0;
}

/* ---- per-member arrays ---- */

static void grow_members(loader *L) {
    uint32_t cap = L->cap ? L->cap * 2 : 1024;
    L->lines = rs_reallocarray(L->lines, cap, sizeof *L->lines);
    size_t oldwords = rs_bm_words(L->cap), words = rs_bm_words(cap);
    for (size_t i = 0; i < L->nfields; i++) {
        column_build *cb = &L->cols[i];
        cb->empty = rs_reallocarray(cb->empty, words, sizeof *cb->empty);
        memset(cb->empty + oldwords, 0, (words - oldwords) * sizeof *cb->empty);
        if (cb->f->multi) cb->offsets = rs_reallocarray(cb->offsets, (size_t)cap + 1, sizeof *cb->offsets);
    }
    L->cap = cap;
}

/* By pointer, so that only the member the column uses is read: copying the whole union just after
 * scalar_value stored a 4-byte member would make the processor wait for that store. */
static void push_value(column_build *cb, const slotval *v) {
    if (cb->nvalues == cb->capvalues) {
        size_t cap = cb->capvalues ? cb->capvalues * 2 : 1024;
        if (cb->f->type == RS_T_NUMBER) cb->nums = rs_reallocarray(cb->nums, cap, sizeof *cb->nums);
        else if (cb->f->type == RS_T_DATE) cb->days = rs_reallocarray(cb->days, cap, sizeof *cb->days);
        else cb->codes = rs_reallocarray(cb->codes, cap, sizeof *cb->codes);
        cb->capvalues = cap;
    }
    if (cb->f->type == RS_T_NUMBER) cb->nums[cb->nvalues++] = v->num;
    else if (cb->f->type == RS_T_DATE) cb->days[cb->nvalues++] = v->day;
    else cb->codes[cb->nvalues++] = v->code;
}

/* ---- values ---- */

/* A CSV cell read as a JSON number would be; 0, or -1 not a number, or -2 beyond what a double
 * holds exactly. */
static int number_from_text(const char *s, size_t len, double *out) {
    if (len > 400) return -1;
    rs_jnum n;
    rs_jnum_scan(s, len, &n);
    if (n.len == 0 || n.len != len) return -1;
    if (n.integer) {
        /* the digits decide: a double would round 2^53 + 1 to 2^53 */
        if (n.ndigits > 16 || n.mantissa > (1ull << 53)) return -2;
        *out = n.neg ? -(double)n.mantissa : (double)n.mantissa;
        return 0;
    }
    if (rs_jnum_exact(&n, out)) return 0;
    char buf[404];
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    return isinf(*out) ? -2 : 0;
}

static bool text_bool(const char *s, size_t len, uint32_t *out) {
    if ((len == 4 && strncasecmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1')) *out = 1;
    else if ((len == 5 && strncasecmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0')) *out = 0;
    else return false;
    return true;
}

static bool long_value(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v, size_t len) {
    if (len <= RS_SNAP_MAX_VALUE) return false;
    value_error(L, rec, cb->f, v, RS_E_SNAP_TOO_LARGE, "value longer than %u KiB", RS_SNAP_MAX_VALUE >> 10);
    return true;
}

static bool table_full(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v, uint32_t code) {
    if (code != RS_NONE) return false;
    value_error(L, rec, cb->f, v, RS_E_SNAP_TOO_LARGE, "the field's distinct values pass %zu MiB in all",
                RS_SNAP_MAX_TABLE_BYTES >> 20);
    return true;
}

static void list_options(const rs_field *f, rs_sb *out) {
    for (size_t i = 0; i < f->noptions && out->len < 200; i++)
        rs_sb_printf(out, "%s\"%s\"", i ? ", " : "", f->options[i]);
    if (out->len >= 200) rs_sb_puts(out, ", ...");
}

static bool option_value(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v,
                         const char *s, size_t len, slotval *out) {
    if (long_value(L, rec, cb, v, len)) return false;
    bool added;
    uint32_t sp = rs_sbuild_intern(&cb->strs, s, len, &added);
    if (table_full(L, rec, cb, v, sp)) return false;
    if (added) {
        /* each spelling is folded and compared to the options once, not once per member */
        RS_GROW(cb->spelling_option, cb->capspellings, sp + 1);
        cb->spelling_option[sp] = rs_field_option(cb->f, s, len);
    }
    if (cb->spelling_option[sp] >= 0) {
        out->code = (uint32_t)cb->spelling_option[sp];
        return true;
    }
    rs_sb opts = {0};
    list_options(cb->f, &opts);
    rs_diag *dg = value_error(L, rec, cb->f, v, RS_E_SNAP_BAD_OPTION, "'%.*s' is not one of its options",
                              (int)(len > 200 ? 200 : len), s);
    rs_diag_help(dg, "the options (compared ignoring case) are %s", opts.buf);
    rs_sb_free(&opts);
    return false;
}

static bool string_value(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v,
                         const char *s, size_t len, slotval *out) {
    const rs_field *f = cb->f;
    bool added;
    switch (f->type) {
    case RS_T_TEXT:
    case RS_T_PERSONNEL:
        if (long_value(L, rec, cb, v, len)) return false;
        out->code = rs_sbuild_intern(&cb->strs, s, len, &added);
        return !table_full(L, rec, cb, v, out->code);
    case RS_T_OPTION: return option_value(L, rec, cb, v, s, len, out);
    case RS_T_DATE:
        if (rs_date_parse(s, len, &out->day)) return true;
        rs_diag_help(value_error(L, rec, f, v, RS_E_SNAP_BAD_DATE, "'%.*s' is not a date that exists",
                                 (int)(len > 200 ? 200 : len), s),
                     "dates are written YYYY-MM-DD, e.g. 2024-03-01");
        return false;
    case RS_T_DEPARTMENT:
        if (!L->depts_known) return true;   /* no departments file: reported already */
        out->code = rs_sbuild_lookup(&L->depts.ids, s, len);
        if (out->code != RS_NONE) return true;
        value_error(L, rec, f, v, RS_E_SNAP_UNKNOWN_DEPARTMENT, "department '%.*s' does not exist",
                    (int)(len > 200 ? 200 : len), s);
        return false;
    case RS_T_NUMBER:
        if (rec->text_cells) {
            int rc = number_from_text(s, len, &out->num);
            if (rc == 0) {
                out->num += 0.0;   /* -0 and 0 are one value */
                return true;
            }
            rs_diag_help(value_error(L, rec, f, v, rc == -1 ? RS_E_SNAP_WRONG_TYPE : RS_E_SNAP_TOO_LARGE,
                                     rc == -1 ? "'%.*s' is not a number" : "'%.*s' is beyond +-9007199254740992 "
                                     "(2^53), the largest whole numbers held exactly",
                                     (int)(len > 200 ? 200 : len), s),
                         rc == -1 ? "numbers are written like 42, -7 or 3.25" : "write larger codes as text");
            return false;
        }
        rs_diag_help(value_error(L, rec, f, v, RS_E_SNAP_WRONG_TYPE, "expected a number, found a string"),
                     "write numbers without quotes");
        return false;
    case RS_T_BOOL:
        if (rec->text_cells && text_bool(s, len, &out->code)) return true;
        rs_diag_help(value_error(L, rec, f, v, RS_E_SNAP_WRONG_TYPE, "expected true or false, found '%.*s'",
                                 (int)(len > 200 ? 200 : len), s),
                     rec->text_cells ? "write true, false, 1 or 0" : "write true or false without quotes");
        return false;
    default: return false;
    }
}

/* One scalar (or, for CSV, one piece of a cell) converted to the field's type. */
static bool scalar_value(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v,
                         const char *s, size_t len, slotval *out) {
    const rs_field *f = cb->f;
    *out = (slotval){.num = 0};   /* all bytes zero, whatever the member used */
    if (v->kind == RV_STRING) return string_value(L, rec, cb, v, s, len, out);
    if (v->kind == RV_NUMBER && f->type == RS_T_NUMBER) {
        if (!v->inexact) {
            out->num = v->num + 0.0;
            return true;
        }
        const char *digits;
        int n = number_as_written(rec, f->name, &digits);
        rs_diag_help(n ? value_error(L, rec, f, v, RS_E_SNAP_TOO_LARGE, "integer %.*s is beyond "
                                     "+-9007199254740992 (2^53), the largest whole numbers held exactly", n, digits)
                       : value_error(L, rec, f, v, RS_E_SNAP_TOO_LARGE, "an integer beyond +-9007199254740992 "
                                     "(2^53), the largest whole numbers held exactly"),
                     "write larger codes as text");
        return false;
    }
    if (v->kind == RV_BOOL && f->type == RS_T_BOOL) {
        out->code = v->boolean;
        return true;
    }
    rs_diag *dg = value_error(L, rec, f, v, RS_E_SNAP_WRONG_TYPE, "expected %s%s, found %s",
                              f->type == RS_T_OPTION || f->type == RS_T_TEXT ? "" : "a ",
                              rs_type_name(f->type), kind_name(v));
    if (v->kind == RV_NUMBER || v->kind == RV_BOOL) rs_diag_help(dg, "put the value in double quotes");
    return false;
}

static bool is_empty(const rs_rval *v) {
    return !v || v->kind == RV_NULL || (v->kind == RV_STRING && v->len == 0) || (v->kind == RV_ARRAY && v->len == 0);
}

static void put_single(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v) {
    slotval sv = {0};
    if (is_empty(v)) {
        rs_bm_set(cb->empty, L->n);
    } else if (v->kind == RV_ARRAY || v->kind == RV_OTHER) {
        rs_diag *dg = value_error(L, rec, cb->f, v, RS_E_SNAP_WRONG_TYPE, "found %s for a single-valued field",
                                  kind_name(v));
        if (v->kind == RV_ARRAY) rs_diag_help(dg, "give one value, or declare the field \"multi\": true");
    } else if (!scalar_value(L, rec, cb, v, v->str, v->len, &sv)) {
        sv = (slotval){.num = 0};   /* a refused value may have been half converted */
    }
    push_value(cb, &sv);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t value_key(const column_build *cb, size_t i) {
    if (cb->f->type == RS_T_DATE) return (uint32_t)cb->days[i];
    if (cb->f->type != RS_T_NUMBER) return cb->codes[i];
    uint64_t bits;
    memcpy(&bits, &cb->nums[i], sizeof bits);
    return bits;
}

static void move_value(column_build *cb, size_t to, size_t from) {
    if (cb->f->type == RS_T_DATE) cb->days[to] = cb->days[from];
    else if (cb->f->type == RS_T_NUMBER) cb->nums[to] = cb->nums[from];
    else cb->codes[to] = cb->codes[from];
}

static bool seen_before(const column_build *cb, size_t start, size_t i, const uint64_t *sorted, size_t k) {
    uint64_t key = value_key(cb, i);
    if (!sorted) {
        for (size_t j = start; j < i; j++)
            if (value_key(cb, j) == key) return true;
        return false;
    }
    /* sorted holds (key, position) pairs: i repeats a value when a pair with its key and an earlier
     * position exists */
    size_t lo = 0, hi = k;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sorted[2 * mid] < key || (sorted[2 * mid] == key && sorted[2 * mid + 1] < i)) lo = mid + 1;
        else hi = mid;
    }
    return lo > 0 && sorted[2 * (lo - 1)] == key;
}

static int cmp_pair(const void *a, const void *b) {
    int c = cmp_u64(a, b);
    return c ? c : cmp_u64((const uint64_t *)a + 1, (const uint64_t *)b + 1);
}

/* Drops repeated values of one member's set, keeping the first of each (the first department listed
 * is the main one). Small sets compare pairwise; large ones go through a sorted copy. */
static void dedupe(column_build *cb, size_t start) {
    size_t k = cb->nvalues - start;
    if (k < 2) return;
    uint64_t *sorted = NULL;
    if (k > 32) {
        sorted = rs_reallocarray(NULL, 2 * k, sizeof *sorted);
        for (size_t i = 0; i < k; i++) {
            sorted[2 * i] = value_key(cb, start + i);
            sorted[2 * i + 1] = start + i;
        }
        qsort(sorted, k, 2 * sizeof *sorted, cmp_pair);
    }
    size_t out = start;
    for (size_t i = start; i < cb->nvalues; i++)
        if (!seen_before(cb, start, i, sorted, k)) move_value(cb, out++, i);
    cb->nvalues = out;
    free(sorted);
}

static void put_piece(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v, const char *s,
                      size_t len) {
    slotval sv;
    if (scalar_value(L, rec, cb, v, s, len, &sv)) push_value(cb, &sv);
}

/* A CSV cell of a multi-valued field: values separated by ';', empty pieces skipped. */
static size_t put_cell_pieces(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v) {
    size_t count = 0, i = 0;
    while (i <= v->len) {
        const char *semi = memchr(v->str + i, ';', v->len - i);
        size_t end = semi ? (size_t)(semi - v->str) : v->len;
        if (end > i) {
            if (++count > RS_SNAP_MAX_MULTI) break;
            put_piece(L, rec, cb, v, v->str + i, end - i);
        }
        i = end + 1;
    }
    return count;
}

static size_t put_array(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v) {
    size_t count = 0;
    for (uint32_t k = 1; k <= v->len; k++) {
        const rs_rval *item = v + k;
        if (is_empty(item)) continue;
        if (++count > RS_SNAP_MAX_MULTI) break;
        if (item->kind == RV_OTHER) {
            value_error(L, rec, cb->f, v, RS_E_SNAP_WRONG_TYPE, "item %u of the list is a list or an object", k);
            continue;
        }
        put_piece(L, rec, cb, item, item->str, item->len);
    }
    return count;
}

static void put_multi(loader *L, const rs_record *rec, column_build *cb, const rs_rval *v) {
    size_t start = cb->nvalues, count = 0;
    if (is_empty(v)) {
        /* no values */
    } else if (v->kind == RV_ARRAY) {
        count = put_array(L, rec, cb, v);
    } else if (v->kind == RV_OTHER) {
        value_error(L, rec, cb->f, v, RS_E_SNAP_WRONG_TYPE, "found an object where a list of values belongs");
    } else if (v->kind == RV_STRING && rec->text_cells) {
        count = put_cell_pieces(L, rec, cb, v);
    } else {
        put_piece(L, rec, cb, v, v->str, v->len);   /* one value is a set of one */
    }
    if (count > RS_SNAP_MAX_MULTI)
        value_error(L, rec, cb->f, v, RS_E_SNAP_TOO_LARGE, "more than %u values", RS_SNAP_MAX_MULTI);
    dedupe(cb, start);
    cb->offsets[L->n + 1] = (uint32_t)cb->nvalues;
    if (cb->nvalues == start) rs_bm_set(cb->empty, L->n);
}

/* ---- records into members and departments ---- */

static int field_of(const loader *L, const rs_rkey *key) {
    uint32_t i = rs_sbuild_lookup(&L->field_names, key->key, key->keylen);
    return i == RS_NONE ? -1 : L->name_field[i];
}

/* The record's id: a non-empty string within limits, or NULL after reporting why not. */
static const rs_rval *record_id(loader *L, const rs_record *rec, const rs_rval *v, const char *what) {
    if (is_empty(v)) {
        rs_diag *dg = rs_diag_file(L->diags, RS_E_SNAP_MISSING_ID, L->file, rec->line, 0, "%s without an \"id\"", what);
        rs_diag_help(dg, "every record needs a unique, non-empty \"id\"");
        return NULL;
    }
    uint32_t line, col;
    value_position(rec, v, "id", &line, &col);
    if (v->kind != RV_STRING) {
        rs_diag *dg = rs_diag_file(L->diags, RS_E_SNAP_WRONG_TYPE, L->file, line, col,
                                   "%s id must be a string, found %s", what, kind_name(v));
        if (v->kind == RV_NUMBER) rs_diag_help(dg, "put the id in double quotes");
        return NULL;
    }
    if (v->len > RS_SNAP_MAX_VALUE) {
        rs_diag_file(L->diags, RS_E_SNAP_TOO_LARGE, L->file, line, col, "%s id longer than %u KiB", what,
                     RS_SNAP_MAX_VALUE >> 10);
        return NULL;
    }
    return v;
}

static void member_record(loader *L, const rs_record *rec) {
    size_t nf = L->schema->nfields;
    for (size_t i = 0; i < nf; i++) L->fv[i] = -1;
    for (size_t k = 0; k < rec->nkeys; k++) {
        int fi = field_of(L, &rec->keys[k]);
        if (fi < 0)
            unknown_key_seen(L, rec, &rec->keys[k], "is not in schema.json",
                             "declare it in schema.json to use it in rules");
        else if (L->schema->fields[fi].derived)
            unknown_key_seen(L, rec, &rec->keys[k], "is derived from \"department\" (its first department)",
                             "list the main department first in \"department\"");
        else L->fv[fi] = (int32_t)rec->keys[k].val;
    }
    int32_t iv = L->fv[L->id_field];
    const rs_rval *id = record_id(L, rec, iv < 0 ? NULL : &rec->vals[iv], "member");
    if (!id) return;
    if (L->n >= RS_SNAP_MAX_MEMBERS) {
        rs_diag_file(L->diags, RS_E_SNAP_TOO_LARGE, L->file, rec->line, 0, "more than %u members", RS_SNAP_MAX_MEMBERS);
        return;
    }
    if (rs_sbuild_add(&L->ids, id->str, id->len) == RS_NONE) {
        rs_diag_file(L->diags, RS_E_SNAP_TOO_LARGE, L->file, rec->line, 0, "member ids pass %zu MiB in all",
                     RS_SNAP_MAX_TABLE_BYTES >> 20);
        return;
    }
    if (L->n == L->cap) grow_members(L);
    L->lines[L->n] = rec->line;
    /* An empty `department` is a valid member in no department (SCIM sources have none, HR data has
     * people not yet placed); its main department is empty too. Placing such users in a root, as
     * Lark requires, is for a target connector to decide, not the snapshot. */
    for (size_t i = 0; i < nf; i++) {
        column_build *cb = &L->cols[i];
        if ((int)i == L->id_field || cb->f->derived) continue;
        const rs_rval *v = L->fv[i] < 0 ? NULL : &rec->vals[L->fv[i]];
        if (cb->f->multi) put_multi(L, rec, cb, v);
        else put_single(L, rec, cb, v);
    }
    L->n++;
}

/* A department's parent or name: *out is NULL when empty; false after reporting a bad value. */
static bool dept_string(loader *L, const rs_record *rec, const rs_rval *v, const char *key, const rs_rval **out) {
    *out = NULL;
    if (is_empty(v)) return true;
    uint32_t line, col;
    value_position(rec, v, key, &line, &col);
    if (v->kind != RV_STRING) {
        rs_diag_file(L->diags, RS_E_SNAP_WRONG_TYPE, L->file, line, col,
                     "department \"%s\" must be a string, found %s", key, kind_name(v));
        return false;
    }
    if (v->len > RS_SNAP_MAX_VALUE) {
        rs_diag_file(L->diags, RS_E_SNAP_TOO_LARGE, L->file, line, col, "department %s longer than %u KiB",
                     key, RS_SNAP_MAX_VALUE >> 10);
        return false;
    }
    *out = v;
    return true;
}

static void dept_record(loader *L, const rs_record *rec) {
    const rs_rval *id = NULL, *parent = NULL, *name = NULL;
    for (size_t k = 0; k < rec->nkeys; k++) {
        const rs_rkey *key = &rec->keys[k];
        const rs_rval *v = &rec->vals[key->val];
        if (key->keylen == 2 && memcmp(key->key, "id", 2) == 0) id = v;
        else if (key->keylen == 6 && memcmp(key->key, "parent", 6) == 0) parent = v;
        else if (key->keylen == 4 && memcmp(key->key, "name", 4) == 0) name = v;
        else unknown_key_seen(L, rec, key, "is not a department field (id, parent, name)",
                              "departments have only these three keys");
    }
    if (!(id = record_id(L, rec, id, "department"))) return;
    const rs_rval *p, *nm;
    bool ok = dept_string(L, rec, parent, "parent", &p);
    if (!dept_string(L, rec, name, "name", &nm) || !ok) return;
    uint32_t first;
    uint32_t d = rs_deptbuild_add(&L->depts, id->str, id->len, p ? p->str : NULL, p ? p->len : 0,
                                  nm ? nm->str : "", nm ? nm->len : 0, rec->line, &first);
    if (d != RS_NONE) return;
    if (first) {
        rs_diag *dg = rs_diag_file(L->diags, RS_E_SNAP_DUPLICATE_ID, L->file, rec->line, key_col(rec, "id"),
                                   "department id '%.*s' is used again (first on line %u)",
                                   (int)(id->len > 200 ? 200 : id->len), id->str, first);
        rs_diag_help(dg, "department ids must be unique; ids are compared exactly, case included");
    } else {
        rs_diag_file(L->diags, RS_E_SNAP_TOO_LARGE, L->file, rec->line, 0, "more than %u departments",
                     RS_SNAP_MAX_DEPTS);
    }
}

/* ---- files ---- */

static char *join(const char *dir, const char *name) {
    rs_sb sb = {0};
    rs_sb_printf(&sb, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
    return rs_sb_take(&sb);
}

/* base.jsonl when it exists (preferred), else base.csv; NULL and E0613 when neither does. */
static rs_reader *open_records(loader *L, const char *dir, const char *base, char **path) {
    char name[64];
    snprintf(name, sizeof name, "%s.jsonl", base);
    *path = join(dir, name);
    if (access(*path, F_OK) == 0) return rs_reader_open_jsonl(*path, L->reference_jsonl, L->diags);
    free(*path);
    snprintf(name, sizeof name, "%s.csv", base);
    *path = join(dir, name);
    if (access(*path, F_OK) == 0) return rs_reader_open_csv(*path, L->diags);
    free(*path);
    *path = NULL;
    rs_diag *dg = rs_diag_file(L->diags, RS_E_SNAP_MISSING_FILE, dir, 0, 0, "the snapshot has no %s.jsonl or %s.csv",
                               base, base);
    rs_diag_help(dg, "a snapshot folder holds schema.json, departments.jsonl (or .csv) and members.jsonl (or .csv)");
    return NULL;
}

/* "loading members.jsonl: 300000 records" on stderr at most once a second. */
static void progress_line(const rs_reader *r, const char *suffix) {
    const char *base = strrchr(r->file, '/');
    fprintf(stderr, "loading %s: %llu records%s\n", base ? base + 1 : r->file, (unsigned long long)r->records,
            suffix);
}

/* Reads every record of a file through `apply`; stops early once the error limit is reached. */
static void read_file(loader *L, rs_reader *r, void (*apply)(loader *, const rs_record *)) {
    rs_record rec = {0};
    double last = rs_now_ms();
    bool printed = false;
    L->file = r->file;
    for (;;) {
        rs_recstat st = r->next(r, &rec);
        if (st == RS_REC_END || st == RS_REC_STOP) break;
        if (st == RS_REC_OK) apply(L, &rec);
        if (too_many_errors(L)) break;
        if (L->progress && (r->records & 0x3FFF) == 0 && rs_now_ms() - last >= 1000.0) {
            progress_line(r, "");
            last = rs_now_ms();
            printed = true;
        }
    }
    if (printed) progress_line(r, ", done");
    finish_unknown(L);
    rs_record_free(&rec);
}

static void read_departments(loader *L, const char *dir) {
    char *path;
    rs_reader *r = open_records(L, dir, "departments", &path);
    if (!r) {   /* the file may exist and be refused (a bad CSV header): path is set then */
        free(path);
        return;
    }
    read_file(L, r, dept_record);
    rs_reader_close(r);
    L->depts_known = true;
    if (!too_many_errors(L)) rs_dept_check(&L->depts, path, L->diags);
    free(path);
}

static void read_members(loader *L, const char *dir) {
    rs_reader *r = open_records(L, dir, "members", &L->members_path);
    if (!r) return;
    read_file(L, r, member_record);
    rs_reader_close(r);
}

/* ---- finishing ---- */

/* Interning hashes are done with once every member is read; freeing them before the sorts keeps
 * the peak memory of a load down. */
static void drop_hashes(loader *L) {
    for (size_t i = 0; i < L->nfields; i++) rs_sbuild_drop_hash(&L->cols[i].strs);
    rs_sbuild_drop_hash(&L->depts.ids);
    rs_sbuild_drop_hash(&L->depts.parent_ids);
}

/* Sorts the member ids (lookups need the sorted index anyway) and reports ids used twice: equal ids
 * are adjacent in it, in file order, so no hash of a million ids is needed while reading. */
static void finish_ids(loader *L) {
    rs_sbuild_finish(&L->ids, L->owner, &L->member_ids);
    L->ids_done = true;
    const rs_strtab *t = &L->member_ids;
    uint32_t first = 0;
    for (uint32_t k = 0; k < t->n && !too_many_errors(L); k++) {
        size_t flen, len;
        const char *fs = rs_strtab_get(t, t->sorted[first], &flen), *s = rs_strtab_get(t, t->sorted[k], &len);
        if (k == 0 || rs_str_cmp(fs, flen, s, len) != 0) {
            first = k;
            continue;
        }
        rs_diag *dg = rs_diag_file(L->diags, RS_E_SNAP_DUPLICATE_ID, L->members_path, L->lines[t->sorted[k]], 0,
                                   "member id '%.*s' is used again (first on line %u)", (int)(len > 200 ? 200 : len),
                                   s, L->lines[t->sorted[first]]);
        rs_diag_help(dg, "member ids must be unique; ids are compared exactly, case included");
    }
}

/* Personnel values were kept as ids; now that every member is known they become member indices. */
static void resolve_personnel(loader *L, column_build *cb) {
    uint32_t nrefs = cb->strs.n;
    uint32_t *map = rs_reallocarray(NULL, nrefs ? nrefs : 1, sizeof *map);
    rs_strtab_find_all(&L->member_ids, &cb->strs, map);
    for (uint32_t m = 0; m < L->n; m++) {
        size_t from = cb->f->multi ? cb->offsets[m] : m, to = cb->f->multi ? cb->offsets[m + 1] : m + 1;
        if (!cb->f->multi && rs_bm_get(cb->empty, m)) continue;
        for (size_t i = from; i < to; i++) {
            uint32_t target = map[cb->codes[i]];
            if (target == RS_NONE && !too_many_errors(L)) {
                int mlen;
                const char *mid = member_id(L, m, &mlen);
                size_t rlen;
                const char *ref = rs_sbuild_get(&cb->strs, cb->codes[i], &rlen);
                rs_diag *dg = rs_diag_file(L->diags, RS_E_SNAP_UNKNOWN_MEMBER, L->members_path, L->lines[m], 0,
                                           "member '%.*s', field '%s': '%.*s' is not a member id", mlen, mid,
                                           cb->f->name, (int)(rlen > 200 ? 200 : rlen), ref);
                rs_diag_help(dg, "personnel fields name a member by its \"id\"");
            }
            cb->codes[i] = target == RS_NONE ? 0 : target;
        }
    }
    free(map);
    rs_sbuild_free(&cb->strs);
}

static void *trimmed(rs_snap_owner *o, void *p, size_t bytes) {
    p = rs_realloc(p, bytes ? bytes : 1);
    rs_owner_adopt(o, p);
    return p;
}

/* The values of member m in a finished personnel column: [*from, *to) of codes. */
static bool member_values(const rs_column *c, uint32_t m, size_t *from, size_t *to) {
    if (c->offsets) {
        *from = c->offsets[m];
        *to = c->offsets[m + 1];
        return true;
    }
    *from = m;
    *to = m + 1;
    return !rs_bm_get(c->empty, m);
}

/* Who points at each member: a counting sort of the column's edges by target. */
static void reverse_edges(uint32_t n, rs_snap_owner *o, rs_column *col) {
    uint32_t *off = rs_calloc((size_t)n + 2, sizeof *off);
    size_t nedges = 0, from, to;
    for (uint32_t m = 0; m < n; m++)
        if (member_values(col, m, &from, &to))
            for (size_t i = from; i < to; i++, nedges++) off[col->codes[i] + 2]++;
    for (uint32_t j = 0; j < n; j++) off[j + 2] += off[j + 1];
    uint32_t *rev = rs_reallocarray(NULL, nedges ? nedges : 1, sizeof *rev);
    for (uint32_t m = 0; m < n; m++)
        if (member_values(col, m, &from, &to))
            for (size_t i = from; i < to; i++) rev[off[col->codes[i] + 1]++] = m;
    col->rev_off = trimmed(o, off, ((size_t)n + 1) * sizeof *off);
    col->rev = trimmed(o, rev, nedges * sizeof *rev);
}

/* The first department listed; a member in no department has no main department either (empty,
 * slot 0 as for every empty single value). */
static void derive_main_department(const rs_column *dept, uint32_t n, rs_snap_owner *o, rs_column *col) {
    uint32_t *codes = rs_calloc(n ? n : 1, sizeof *codes);
    uint64_t *empty = rs_calloc(rs_bm_words(n) ? rs_bm_words(n) : 1, sizeof *empty);
    for (uint32_t m = 0; m < n; m++) {
        if (dept->offsets[m] < dept->offsets[m + 1]) codes[m] = dept->codes[dept->offsets[m]];
        else rs_bm_set(empty, m);
    }
    rs_owner_adopt(o, codes);
    rs_owner_adopt(o, empty);
    col->codes = codes;
    col->empty = empty;
    col->nvalues = n;
}

static void finish_column(loader *L, column_build *cb, rs_snap_owner *o, rs_column *col) {
    uint32_t n = L->n;
    col->empty = trimmed(o, cb->empty, rs_bm_words(n) * sizeof *cb->empty);
    cb->empty = NULL;
    if (cb->f->multi) {
        col->offsets = trimmed(o, cb->offsets, ((size_t)n + 1) * sizeof *cb->offsets);
        cb->offsets = NULL;
    }
    col->nvalues = (uint32_t)cb->nvalues;
    if (cb->f->type == RS_T_NUMBER) col->nums = trimmed(o, cb->nums, cb->nvalues * sizeof *cb->nums);
    else if (cb->f->type == RS_T_DATE) col->days = trimmed(o, cb->days, cb->nvalues * sizeof *cb->days);
    else col->codes = trimmed(o, cb->codes, cb->nvalues * sizeof *cb->codes);
    cb->nums = NULL;
    cb->days = NULL;
    cb->codes = NULL;
    if (cb->f->type == RS_T_TEXT) {
        rs_sbuild_finish(&cb->strs, o, &col->dict.raw);
        rs_dict_fold(&col->dict.raw, o, &col->dict.folded);
    }
    if (cb->f->type == RS_T_PERSONNEL) reverse_edges(n, o, col);
}

static rs_snapshot *build_snapshot(loader *L) {
    rs_snap_owner *o = L->owner;
    uint32_t n = L->n;
    free(L->lines);
    L->lines = NULL;
    rs_snapshot *s = rs_snapshot_shell(L->schema, o);
    L->schema = NULL;
    L->owner = NULL;
    s->nmembers = n;
    s->member_ids = L->member_ids;
    rs_dept_finish(&L->depts, o, &s->depts);
    for (size_t i = 0; i < s->schema->nfields; i++) {
        column_build *cb = &L->cols[i];
        rs_column *col = &s->columns[i];
        if ((int)i == L->id_field) {   /* ids are never empty; their values are member_ids */
            uint64_t *none = rs_calloc(rs_bm_words(n) ? rs_bm_words(n) : 1, sizeof *none);
            rs_owner_adopt(o, none);
            col->empty = none;
            continue;
        }
        if ((int)i != L->main_field) finish_column(L, cb, o, col);
    }
    derive_main_department(&s->columns[L->dept_field], n, o, &s->columns[L->main_field]);
    return s;
}

static void loader_init(loader *L, rs_schema *schema, const rs_load_opts *opts, rs_diags *d) {
    memset(L, 0, sizeof *L);
    L->diags = d;
    L->progress = opts && opts->progress;
    L->reference_jsonl = opts && opts->reference_jsonl;
    L->errors_at_start = d->nerrors;
    L->error_limit = d->max_errors ? d->max_errors : RS_MAX_DIAGS;
    L->schema = schema;
    L->nfields = schema->nfields;
    rs_deptbuild_init(&L->depts);
    rs_sbuild_init(&L->ids, false);
    L->owner = rs_calloc(1, sizeof *L->owner);
    L->cols = rs_calloc(schema->nfields, sizeof *L->cols);
    for (size_t i = 0; i < schema->nfields; i++) {
        column_build *cb = &L->cols[i];
        cb->f = &schema->fields[i];
        bool hashed = cb->f->type == RS_T_TEXT || cb->f->type == RS_T_PERSONNEL || cb->f->type == RS_T_OPTION;
        rs_sbuild_init(&cb->strs, hashed);
        if (cb->f->multi) {
            cb->offsets = rs_malloc(sizeof *cb->offsets);
            cb->offsets[0] = 0;
        }
    }
    L->fv = rs_calloc(schema->nfields, sizeof *L->fv);
    rs_sbuild_init(&L->field_names, true);
    L->name_field = rs_calloc(schema->nfields, sizeof *L->name_field);
    for (size_t i = 0; i < schema->nfields; i++) {
        bool added;
        uint32_t k = rs_sbuild_intern(&L->field_names, schema->fields[i].name, strlen(schema->fields[i].name), &added);
        if (added) L->name_field[k] = (int)i;
    }
    L->id_field = rs_schema_index(schema, "id");
    L->dept_field = rs_schema_index(schema, "department");
    L->main_field = rs_schema_index(schema, "main_department");
}

static void loader_free(loader *L) {
    rs_deptbuild_free(&L->depts);
    rs_sbuild_free(&L->ids);
    rs_owner_free(L->owner);
    free(L->lines);
    if (L->cols) {
        for (size_t i = 0; i < L->nfields; i++) {
            column_build *cb = &L->cols[i];
            free(cb->codes);
            free(cb->nums);
            free(cb->days);
            free(cb->offsets);
            free(cb->empty);
            free(cb->spelling_option);
            rs_sbuild_free(&cb->strs);
        }
    }
    free(L->cols);
    free(L->fv);
    rs_sbuild_free(&L->field_names);
    free(L->name_field);
    free(L->members_path);
    rs_schema_free(L->schema);
}

static rs_snapshot *load_folder(const char *dir, const rs_load_opts *opts, rs_diags *d) {
    char *schema_path = join(dir, "schema.json");
    rs_schema *schema = rs_schema_load(schema_path, d);
    free(schema_path);
    if (!schema) return NULL;
    loader L;
    loader_init(&L, schema, opts, d);
    read_departments(&L, dir);
    if (!too_many_errors(&L)) read_members(&L, dir);
    drop_hashes(&L);
    if (!too_many_errors(&L)) finish_ids(&L);
    for (size_t i = 0; i < schema->nfields && L.ids_done && !too_many_errors(&L); i++)
        if (L.cols[i].f->type == RS_T_PERSONNEL && L.n) resolve_personnel(&L, &L.cols[i]);
    rs_snapshot *s = NULL;
    if (d->nerrors == L.errors_at_start) s = build_snapshot(&L);
    loader_free(&L);
    return s;
}

rs_snapshot *rs_snapshot_load(const char *path, const rs_load_opts *opts, rs_diags *d) {
    struct stat st;
    if (stat(path, &st) != 0) {
        rs_diag *dg = rs_diag_file(d, RS_E_SNAP_MISSING_FILE, path, 0, 0, "no such snapshot folder or file: %s",
                                   strerror(errno));
        rs_diag_help(dg, "give a folder with schema.json, departments and members, or a .snap file");
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) return load_folder(path, opts, d);
    return rs_snapfile_load(path, d);
}
