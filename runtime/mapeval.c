/* mapeval.c: the mapping machine. A batch of records is mapped one target field at a time (the
 * field's code runs over every record of the batch before the next field starts: column-wise, so
 * the code and the field's checks stay hot), and each stored value is checked against the target
 * field: type, required, length, allowed values. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/mapeval_int.h"
#include "common/date.h"
#include "common/regex.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "common/util.h"

const char *rs_mapfail_name(rs_mapfail_kind k) {
    static const char *const names[] = {
#define X(name, text) text,
        RS_MAP_FAILURES(X)
#undef X
    };
    return (size_t)k < RS_ARRAY_LEN(names) ? names[k] : "?";
}

/* ---- the mapper ---- */

struct rs_mapper {
    const rs_mapprog *prog;
    map_lookup *tables;
    size_t ntables;
    rs_regex **regexes;
    rs_arena arena;
    rs_mapval *values, *stack;
    bool *failed;
    rs_mapfailure *failures;
    size_t cap_records, nfailures, cap_failures;
};

int rs_mapper_new(rs_mapper **out, const rs_mapprog *prog, rs_diags *d) {
    rs_mapper *m = rs_calloc(1, sizeof *m);
    m->prog = prog;
    m->tables = rs_calloc(prog->ntables + 1, sizeof *m->tables);
    int rc = 0;
    for (size_t i = 0; i < prog->ntables; i++, m->ntables++)
        if (map_lookup_load(&m->tables[i], prog->tables[i].name, prog->tables[i].path, d) != 0) rc = -1;
    m->regexes = rs_calloc(prog->nregexes + 1, sizeof *m->regexes);
    for (size_t i = 0; i < prog->nregexes; i++) {
        char why[256];
        m->regexes[i] = rs_regex_new(prog->regexes[i], strlen(prog->regexes[i]), why, sizeof why);
        if (!m->regexes[i]) {
            rs_diag_file(d, RS_E_MAP_BAD_REGEX, prog->id, 0, 0, "invalid regular expression: %s", why);
            rc = -1;
        }
    }
    m->stack = rs_calloc(prog->max_stack + 1, sizeof *m->stack);
    *out = m;
    return rc;
}

void rs_mapper_free(rs_mapper *m) {
    if (!m) return;
    for (size_t i = 0; i < m->ntables; i++) map_lookup_free(&m->tables[i]);
    free(m->tables);
    for (size_t i = 0; m->regexes && i < m->prog->nregexes; i++) rs_regex_free(m->regexes[i]);
    free(m->regexes);
    rs_arena_free(&m->arena);
    free(m->values);
    free(m->stack);
    free(m->failed);
    free(m->failures);
    free(m);
}

static void add_failure(rs_mapper *m, size_t r, int target, rs_mapfail_kind kind, const char *msg) {
    RS_GROW(m->failures, m->cap_failures, m->nfailures + 1);
    rs_mapfailure *f = &m->failures[m->nfailures++];
    f->record = r;
    f->target = target;
    f->kind = kind;
    f->message = msg;
    m->failed[r] = true;
}

/* ---- source paths ---- */

/* Whether a filter's value matches an element's key: strings exactly, true/false and integers by
 * their JSON spelling. */
static bool filter_match(const json_t *v, const char *want) {
    char buf[32];
    if (json_is_string(v)) return strcmp(json_string_value(v), want) == 0;
    if (json_is_true(v)) return strcmp(want, "true") == 0;
    if (json_is_false(v)) return strcmp(want, "false") == 0;
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strcmp(buf, want) == 0;
    }
    if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) && fabs(json_real_value(v)) < 1e18) {
        snprintf(buf, sizeof buf, "%.0f", json_real_value(v));   /* a record read with big numbers as reals */
        return strcmp(buf, want) == 0;
    }
    return false;
}

/* The element a filter or [primary] picks: among the elements it matches (for [primary], all), the
 * one marked "primary": true, else the first. Google and SCIM mark the preferred entry of a
 * multi-valued field so; its position means nothing (a volunteer role may come first). */
static const json_t *pick(const json_t *array, const rs_mapstep *s) {
    const json_t *first = NULL, *el;
    size_t k;
    if (!json_is_array(array)) return NULL;
    json_array_foreach((json_t *)(uintptr_t)array, k, el) {
        if (s->kind == MPS_FILTER && !filter_match(json_object_get(el, s->key), s->value)) continue;
        if (json_is_true(json_object_get(el, "primary"))) return el;
        if (!first) first = el;
    }
    return first;
}

static const json_t *walk(const json_t *j, const rs_mappath *p) {
    for (size_t i = 0; i < p->nsteps && j; i++) {
        const rs_mapstep *s = &p->steps[i];
        if (s->kind == MPS_KEY) j = json_object_get(j, s->key);
        else if (s->kind == MPS_INDEX) j = json_array_get(j, s->index);
        else j = pick(j, s);
    }
    return j;
}

static const char *json_kind(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "text";
    case JSON_INTEGER: case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a bool";
    default: return "null";
    }
}

static bool read_list(map_ctx *ctx, const json_t *j, rs_mapval *out) {
    if (!json_is_array(j)) return false;
    size_t n = json_array_size(j), k;
    rs_mapstr *items = rs_arena_alloc(ctx->arena, (n + 1) * sizeof *items);
    json_t *el;
    out->len = 0;
    json_array_foreach((json_t *)(uintptr_t)j, k, el) {
        if (!json_is_string(el)) return false;
        if (json_string_length(el) == 0) continue;
        items[out->len++] = (rs_mapstr){json_string_value(el), json_string_length(el)};
    }
    out->items = items;
    out->type = out->len ? MT_LIST : MT_ANY;
    return true;
}

static bool read_scalar(const json_t *j, map_type want, rs_mapval *out) {
    switch (want) {
    case MT_TEXT:
        if (!json_is_string(j)) return false;
        out->s = json_string_value(j);
        out->len = json_string_length(j);
        out->type = out->len ? MT_TEXT : MT_ANY;
        return true;
    case MT_NUMBER:
        if (!json_is_number(j)) return false;
        out->num = json_number_value(j);
        out->type = MT_NUMBER;
        return true;
    case MT_BOOL:
        if (!json_is_boolean(j)) return false;
        out->b = json_is_true(j);
        out->type = MT_BOOL;
        return true;
    case MT_DATE:
        if (!json_is_string(j)) return false;
        out->type = MT_DATE;
        return json_string_length(j) >= 10 && rs_date_parse(json_string_value(j), 10, &out->day);
    default:
        return false;
    }
}

static void load_path(map_ctx *ctx, const json_t *rec, const rs_mappath *p, rs_mapval *out) {
    memset(out, 0, sizeof *out);
    const json_t *j = walk(rec, p);
    if (!j || json_is_null(j)) return;
    bool ok = p->type == MT_LIST ? read_list(ctx, j, out) : read_scalar(j, p->type, out);
    if (ok) return;
    memset(out, 0, sizeof *out);
    if (!ctx->fail) {
        ctx->fail = rs_arena_printf(ctx->arena, "source %s is %s; the source schema says %s",
                                     p->text, json_kind(j),
                                     p->type == MT_LIST ? "a list of text" : p->type == MT_DATE ? "a date"
                                     : p->type == MT_NUMBER ? "a number" : p->type == MT_BOOL ? "a bool"
                                     : "text");
        ctx->fail_kind = RS_MAPFAIL_WRONG_TYPE;
    }
}

/* ---- the machine ---- */

static bool truthy(const rs_mapval *v) { return v->type == MT_BOOL && v->b; }

static void set_bool(rs_mapval *v, bool b) {
    memset(v, 0, sizeof *v);
    v->type = MT_BOOL;
    v->b = b;
}

static void load_const(const rs_mapconst *k, rs_mapval *v) {
    memset(v, 0, sizeof *v);
    v->type = k->type;
    v->s = k->s;
    v->len = k->len;
    v->num = k->num;
    v->day = k->day;
    v->b = k->b;
    if (k->type == MT_TEXT && k->len == 0) v->type = MT_ANY;
}

static void regex_replace(rs_mapper *m, map_ctx *ctx, uint32_t i, rs_mapval *text,
                          const rs_mapval *rewrite) {
    if (map_is_empty(text)) return;
    size_t n;
    char *r = rs_regex_replace(m->regexes[i], text->s, text->len, rewrite->s ? rewrite->s : "",
                               rewrite->type == MT_TEXT ? rewrite->len : 0, &n);
    memset(text, 0, sizeof *text);
    if (n) {
        text->type = MT_TEXT;
        text->s = rs_arena_strndup(ctx->arena, r, n);
        text->len = n;
    }
    free(r);
}

/* Runs code[start, end) for one record; returns the stored value. */
static rs_mapval exec(rs_mapper *m, map_ctx *ctx, const json_t *rec, uint32_t start, uint32_t end) {
    const rs_mapprog *p = m->prog;
    rs_mapval *st = m->stack;
    size_t sp = 0;
    for (uint32_t pc = start; pc < end; pc++) {
        const rs_mapins *in = &p->code[pc];
        switch ((map_opcode)in->op) {
        case MOP_CONST: load_const(&p->consts[in->a], &st[sp++]); break;
        case MOP_PATH: load_path(ctx, rec, &p->paths[in->a], &st[sp++]); break;
        case MOP_CALL: {
            rs_mapval r;
            sp -= in->b;
            map_call(ctx, (map_fn)in->a, &st[sp], in->b, &r);
            st[sp++] = r;
            break;
        }
        case MOP_CMP: {
            sp -= in->b;
            bool r = map_compare(ctx, (map_cmp)in->a, &st[sp - 1], &st[sp], in->b);
            set_bool(&st[sp - 1], r);
            break;
        }
        case MOP_NOT: set_bool(&st[sp - 1], !truthy(&st[sp - 1])); break;
        case MOP_AND: sp--; set_bool(&st[sp - 1], truthy(&st[sp - 1]) && truthy(&st[sp])); break;
        case MOP_OR: sp--; set_bool(&st[sp - 1], truthy(&st[sp - 1]) || truthy(&st[sp])); break;
        case MOP_JUMP_FALSE:
            if (!truthy(&st[--sp])) pc = in->a - 1;
            break;
        case MOP_JUMP: pc = in->a - 1; break;
        case MOP_REGEX:
            sp--;
            regex_replace(m, ctx, in->a, &st[sp - 1], &st[sp]);
            break;
        case MOP_STORE: return st[--sp];
        case MOP_COUNT: break;
        }
    }
    rs_mapval none;
    memset(&none, 0, sizeof none);
    return none;
}

/* ---- target checks ---- */

static bool allowed(map_ctx *ctx, const rs_maptarget *t, const rs_mapval *v) {
    if (!t->allowed || t->nallowed == 0) return true;
    rs_mapstr s = map_as_text(ctx, v);
    for (size_t i = 0; i < t->nallowed; i++)
        if (strlen(t->allowed[i]) == s.len && memcmp(t->allowed[i], s.s, s.len) == 0) return true;
    return false;
}

static void check_value(rs_mapper *m, map_ctx *ctx, size_t r, int ti, const rs_mapval *v) {
    const rs_maptarget *t = &m->prog->targets[ti];
    if (map_is_empty(v)) {
        if (t->required)
            add_failure(m, r, ti, RS_MAPFAIL_MISSING_REQUIRED,
                        rs_arena_printf(ctx->arena, "'%s' is required and the mapping gave no value",
                                         t->name));
        return;
    }
    if (v->type != t->type) {
        add_failure(m, r, ti, RS_MAPFAIL_WRONG_TYPE,
                    rs_arena_printf(ctx->arena, "'%s' takes a %s value", t->name,
                                     t->type == MT_TEXT ? "text" : t->type == MT_NUMBER ? "number"
                                     : t->type == MT_DATE ? "date" : t->type == MT_BOOL ? "bool" : "list"));
        return;
    }
    size_t len = v->type == MT_TEXT ? rs_utf8_count(v->s, v->len) : 0;
    if (t->max_length && len > t->max_length)
        add_failure(m, r, ti, RS_MAPFAIL_TOO_LONG,
                    rs_arena_printf(ctx->arena, "'%s' is %zu characters long; the target allows %u",
                                     t->name, len, t->max_length));
    else if (!allowed(ctx, t, v)) {
        rs_mapstr s = map_as_text(ctx, v);
        add_failure(m, r, ti, RS_MAPFAIL_NOT_ALLOWED,
                    rs_arena_printf(ctx->arena, "'%s' cannot be \"%.*s\": it is not an allowed value",
                                     t->name, (int)(s.len > 60 ? 60 : s.len), s.s));
    }
}

static void prepare(rs_mapper *m, size_t n) {
    rs_arena_reset(&m->arena);
    size_t nt = m->prog->ntargets ? m->prog->ntargets : 1;
    if (n > m->cap_records) {
        m->values = rs_reallocarray(m->values, n * nt, sizeof *m->values);
        m->failed = rs_reallocarray(m->failed, n, sizeof *m->failed);
        m->cap_records = n;
    }
    m->nfailures = 0;
    if (n == 0) return;   /* nothing allocated yet, and memset(NULL, ...) is undefined */
    memset(m->values, 0, n * nt * sizeof *m->values);
    memset(m->failed, 0, n * sizeof *m->failed);
}

/* Failures are found field by field; they are reported record by record. */
static int failure_cmp(const void *x, const void *y) {
    const rs_mapfailure *a = x, *b = y;
    if (a->record != b->record) return a->record < b->record ? -1 : 1;
    return (a->target > b->target) - (a->target < b->target);
}

static const char *json_value_kind(const json_t *j) {
    return json_is_array(j) ? "an array" : json_is_string(j) ? "a string" : json_is_number(j) ? "a number"
         : json_is_boolean(j) ? "a bool" : "null";
}

json_t *rs_map_parse_line(const char *line, size_t len, bool first_line, char *why, size_t why_size) {
    if (first_line && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    json_error_t err;
    json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!j && strstr(err.text, "too big")) j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
    if (!j) {
        /* jansson reads the line as a whole text: its "end of file" is the end of the line */
        const char *eof = strstr(err.text, " near end of file");
        if (eof) snprintf(why, why_size, "the line is not valid JSON: it ends early (%.*s)", (int)(eof - err.text), err.text);
        else snprintf(why, why_size, "the line is not valid JSON (column %d): %s", err.column, err.text);
        return NULL;
    }
    if (json_is_object(j)) return j;
    snprintf(why, why_size, "the line holds %s, not a JSON object", json_value_kind(j));
    json_decref(j);
    return NULL;
}

void rs_mapper_run(rs_mapper *m, json_t *const *records, const char *const *why, size_t n, rs_mapresult *out) {
    prepare(m, n);
    const rs_mapprog *p = m->prog;
    map_ctx ctx = {&m->arena, m->tables, m->ntables, NULL, RS_MAPFAIL_BAD_VALUE};
    for (size_t r = 0; r < n; r++)
        if (!json_is_object(records[r]))
            add_failure(m, r, -1, RS_MAPFAIL_BAD_RECORD,
                        why && why[r] ? rs_arena_printf(&m->arena, "%s", why[r]) : "the line is not a JSON object");
    for (size_t t = 0; t < p->ntargets; t++) {
        const rs_maptarget *tg = &p->targets[t];
        for (size_t r = 0; r < n; r++) {
            if (!json_is_object(records[r])) continue;
            ctx.fail = NULL;
            rs_mapval v = tg->code_end > tg->code_start
                              ? exec(m, &ctx, records[r], tg->code_start, tg->code_end)
                              : (rs_mapval){0};
            if (ctx.fail) add_failure(m, r, (int)t, ctx.fail_kind, ctx.fail);
            else check_value(m, &ctx, r, (int)t, &v);
            m->values[r * p->ntargets + t] = v;
        }
    }
    if (m->nfailures > 1) qsort(m->failures, m->nfailures, sizeof *m->failures, failure_cmp);
    out->values = m->values;
    out->ntargets = p->ntargets;
    out->failures = m->failures;
    out->nfailures = m->nfailures;
    out->failed = m->failed;
}

/* ---- output ---- */

void rs_mapval_json(const rs_mapval *v, rs_sb *out) {
    char buf[40];
    switch (v->type) {
    case MT_TEXT: rs_sb_json_str(out, v->s, v->len); break;
    case MT_NUMBER:
        if (v->num == (double)(long long)v->num) rs_sb_printf(out, "%lld", (long long)v->num);
        else rs_sb_printf(out, "%.17g", v->num);
        break;
    case MT_BOOL: rs_sb_puts(out, v->b ? "true" : "false"); break;
    case MT_DATE:
        rs_date_format(v->day, buf);
        rs_sb_printf(out, "\"%s\"", buf);
        break;
    case MT_LIST:
        rs_sb_putc(out, '[');
        for (size_t i = 0; i < v->len; i++) {
            if (i) rs_sb_puts(out, ", ");
            rs_sb_json_str(out, v->items[i].s, v->items[i].len);
        }
        rs_sb_putc(out, ']');
        break;
    case MT_ANY: rs_sb_puts(out, "null"); break;
    }
}

void rs_mapval_text(const rs_mapval *v, rs_sb *out) {
    if (v->type == MT_TEXT) {
        rs_sb_put(out, v->s, v->len);
    } else if (v->type == MT_LIST) {
        for (size_t i = 0; i < v->len; i++) {
            if (i) rs_sb_puts(out, "; ");
            rs_sb_put(out, v->items[i].s, v->items[i].len);
        }
    } else if (v->type == MT_DATE || v->type == MT_NUMBER || v->type == MT_BOOL) {
        size_t before = out->len;
        rs_mapval_json(v, out);
        if (v->type == MT_DATE) {   /* without the JSON quotes */
            memmove(out->buf + before, out->buf + before + 1, 10);
            out->len = before + 10;
            out->buf[out->len] = '\0';
        }
    }
}

const char *rs_map_source_id(const json_t *rec) {
    const char *id = json_string_value(json_object_get(rec, "id"));
    return id ? id : "";
}

void rs_map_record_jsonl(const rs_mapprog *prog, const rs_mapresult *res, size_t r, size_t line,
                         const json_t *rec, rs_sb *out) {
    rs_sb_printf(out, "{\"line\": %zu, \"source_id\": ", line);
    const char *id = rs_map_source_id(rec);
    rs_sb_json_str(out, id, strlen(id));
    if (!res->failed[r]) {
        rs_sb_puts(out, ", \"target\": {");
        bool first = true;
        for (size_t t = 0; t < res->ntargets; t++) {
            const rs_mapval *v = &res->values[r * res->ntargets + t];
            if (v->type == MT_ANY) continue;
            if (!first) rs_sb_puts(out, ", ");
            first = false;
            rs_sb_json_str(out, prog->targets[t].name, strlen(prog->targets[t].name));
            rs_sb_puts(out, ": ");
            rs_mapval_json(v, out);
        }
        rs_sb_puts(out, "}}\n");
        return;
    }
    rs_sb_puts(out, ", \"failures\": [");
    bool first = true;
    for (size_t i = 0; i < res->nfailures; i++) {
        const rs_mapfailure *f = &res->failures[i];
        if (f->record != r) continue;
        if (!first) rs_sb_puts(out, ", ");
        first = false;
        const char *field = f->target >= 0 ? prog->targets[f->target].name : "";
        rs_sb_puts(out, "{\"field\": ");
        rs_sb_json_str(out, field, strlen(field));
        rs_sb_printf(out, ", \"reason\": \"%s\", \"message\": ", rs_mapfail_name(f->kind));
        rs_sb_json_str(out, f->message, strlen(f->message));
        rs_sb_putc(out, '}');
    }
    rs_sb_puts(out, "]}\n");
}

static bool blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

#define MAP_BATCH 4096
#define WHY_SIZE 200

int rs_map_read_jsonl(FILE *in, rs_map_batch_fn fn, void *ctx, size_t *lines_read) {
    json_t **recs = rs_calloc(MAP_BATCH, sizeof *recs);
    char *why_text = rs_calloc(MAP_BATCH, WHY_SIZE);
    const char **why = rs_calloc(MAP_BATCH, sizeof *why);
    size_t *lines = rs_calloc(MAP_BATCH, sizeof *lines), n = 0, line = 0, cap = 0;
    char *buf = NULL;
    ssize_t len;
    while ((len = getline(&buf, &cap, in)) >= 0) {
        line++;
        if (blank(buf, (size_t)len)) continue;
        char *reason = why_text + n * WHY_SIZE;
        recs[n] = rs_map_parse_line(buf, (size_t)len, line == 1, reason, WHY_SIZE);
        why[n] = recs[n] ? NULL : reason;
        lines[n++] = line;
        if (n == MAP_BATCH) {
            fn(ctx, recs, why, lines, n);
            for (size_t r = 0; r < n; r++) json_decref(recs[r]);
            n = 0;
        }
    }
    /* getline also returns -1 on a read error: without this check a short input looked complete.
     * The records read before the error are still mapped. */
    int read_errno = ferror(in) ? errno : 0;
    if (n) fn(ctx, recs, why, lines, n);
    for (size_t r = 0; r < n; r++) json_decref(recs[r]);
    free(buf);
    free(why_text);
    free(why);
    free(recs);
    free(lines);
    *lines_read = line;
    return read_errno;
}
