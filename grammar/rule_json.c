/* rule_json.c: the JSON form of rules, as an admin console sends it: a group object, an array of
 * them, or {"groups": [...]}.
 *
 * jansson validates and decodes the text but keeps no positions, so a small locator walks the same
 * (already valid) text alongside it to find the byte span of each value. Every value read gets its
 * span in the AST and its JSON path registered on the source ("conditions[2].op"), so diagnostics
 * from here, from the checker and from the `match`/`where` grammar all point into the JSON text and
 * name the path. jansson iterates object members in insertion order, which is what lets the
 * locator pair the i-th member it finds with jansson's i-th. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parser.h"
#include "grammar/grammar.h"
#include "common/suggest.h"
#include "common/utf8.h"
#include "common/util.h"

/* ---- the locator: spans of values in valid JSON text ---- */

static size_t skip_ws(const char *t, size_t len, size_t i) {
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
    return i;
}

static size_t skip_string(const char *t, size_t len, size_t i) {
    for (i++; i < len; i++) {
        if (t[i] == '\\') i++;
        else if (t[i] == '"') return i + 1;
    }
    return len;
}

/* Past one value; iterative, so nesting costs no stack. */
static size_t skip_value(const char *t, size_t len, size_t i) {
    size_t depth = 0;
    do {
        i = skip_ws(t, len, i);
        if (i >= len || t[i] == '\0') return len;
        char c = t[i];
        if (c == '"') {
            i = skip_string(t, len, i);
        } else if (c == '{' || c == '[') {
            depth++;
            i++;
        } else if (c == '}' || c == ']') {
            if (depth) depth--;
            i++;
        } else if (c == ',' || c == ':') {
            i++;
        } else {
            while (i < len && t[i] && !strchr(",:]} \t\r\n", t[i])) i++;
        }
    } while (depth > 0);
    return i;
}

/* Walks the members of an object, or the items of an array, whose span is given. */
typedef struct cursor {
    const char *t;
    size_t len, i;
} cursor;

static cursor cursor_in(const char *t, size_t len, rs_span container) {
    cursor c = {t, len, (size_t)container.start + 1};
    return c;
}

static bool cursor_next(cursor *c, rs_span *key, rs_span *val) {
    size_t i = skip_ws(c->t, c->len, c->i);
    if (i < c->len && c->t[i] == ',') i = skip_ws(c->t, c->len, i + 1);
    if (i >= c->len || c->t[i] == '}' || c->t[i] == ']') return false;
    if (key) {
        size_t k = i;
        i = skip_string(c->t, c->len, i);
        *key = rs_span_make((uint32_t)k, (uint32_t)i);
        i = skip_ws(c->t, c->len, i);
        if (i < c->len && c->t[i] == ':') i++;
        i = skip_ws(c->t, c->len, i);
    }
    size_t end = skip_value(c->t, c->len, i);
    *val = rs_span_make((uint32_t)i, (uint32_t)end);
    c->i = end;
    return true;
}

/* ---- located values ---- */

typedef struct jr {
    rs_source *src;
    rs_diags *d;
    const char *t;
    size_t len;
    size_t bom;       /* a UTF-8 byte order mark jansson is not shown */
} jr;

/* A value with its span and JSON path. */
typedef struct jval {
    json_t *v;
    rs_span span;
    char path[160];
} jval;

/* Paths longer than the buffer are cut (they only label diagnostics). */
static jval jv_make(jr *r, json_t *v, rs_span span, const char *path) {
    jval n;
    n.v = v;
    n.span = span;
    size_t len = strlen(path);
    if (len >= sizeof n.path) len = sizeof n.path - 1;
    memcpy(n.path, path, len);
    n.path[len] = '\0';
    rs_source_add_jpath(r->src, span, n.path[0] ? n.path : "$");
    return n;
}

static jval jv_member(jr *r, const jval *parent, const char *key, json_t *v, rs_span span) {
    rs_sb path = {0};
    rs_sb_printf(&path, "%s%s%.60s", parent->path, parent->path[0] ? "." : "", key);
    jval n = jv_make(r, v, span, path.buf);
    rs_sb_free(&path);
    return n;
}

static jval jv_item(jr *r, const jval *parent, size_t index, json_t *v, rs_span span) {
    rs_sb path = {0};
    rs_sb_printf(&path, "%s[%zu]", parent->path, index);
    jval n = jv_make(r, v, span, path.buf);
    rs_sb_free(&path);
    return n;
}

static const char *json_type_words(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "true or false";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* The last step of a path ("conditions[2].op" -> "op"): diagnostics name the full path anyway. */
static const char *last_step(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path[0] ? path : "the rule JSON";
}

static rs_diag *wrong_type(jr *r, const jval *n, const char *want) {
    return rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, n->span, "%s must be %s, not %s",
                      last_step(n->path), want, json_type_words(n->v));
}

static void missing(jr *r, const jval *obj, const char *what, const char *key, const char *example) {
    rs_diag *d = rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, obj->span, "%s has no \"%s\"", what, key);
    rs_diag_help(d, "add it: %s", example);
}

/* ---- unknown keys, with the nearest known one suggested ---- */

static void unknown_key(jr *r, rs_span at, const char *key, const char *const *known, size_t nknown) {
    rs_diag *d = rs_diag_at(r->d, RS_E_JSON_UNKNOWN_KEY, r->src, at, "unknown key \"%.60s\"", key);
    const char *near = rs_nearest(key, strlen(key), known, nknown, 3);
    rs_sb list = {0};
    for (size_t i = 0; i < nknown; i++) rs_sb_printf(&list, "%s\"%s\"", i ? ", " : "", known[i]);
    if (near) rs_diag_help(d, "did you mean \"%s\"? the keys here are %s", near, list.buf);
    else rs_diag_help(d, "the keys here are %s", list.buf);
    rs_sb_free(&list);
}

/* Calls fn for each member of obj, in source order; unknown keys are reported. */
typedef void member_fn(jr *r, void *ctx, int which, const jval *n);

static void each_member(jr *r, const jval *obj, const char *const *known, size_t nknown, member_fn *fn,
                        void *ctx) {
    cursor c = cursor_in(r->t, r->len, obj->span);
    const char *key;
    json_t *v;
    json_object_foreach(obj->v, key, v) {
        rs_span kspan, span;
        if (!cursor_next(&c, &kspan, &span)) break;
        int which = -1;
        for (size_t i = 0; i < nknown; i++)
            if (strcmp(key, known[i]) == 0) which = (int)i;
        if (which < 0) {
            jval n = jv_member(r, obj, key, v, rs_span_join(kspan, span));
            unknown_key(r, n.span, key, known, nknown);
            continue;
        }
        jval n = jv_member(r, obj, key, v, span);
        fn(r, ctx, which, &n);
    }
}

/* Calls fn for each item of the array arr, in order. */
typedef void item_fn(jr *r, void *ctx, const jval *n);

static void each_item(jr *r, const jval *arr, item_fn *fn, void *ctx) {
    cursor c = cursor_in(r->t, r->len, arr->span);
    for (size_t i = 0; i < json_array_size(arr->v); i++) {
        rs_span span;
        if (!cursor_next(&c, NULL, &span)) break;
        jval n = jv_item(r, arr, i, json_array_get(arr->v, i), span);
        fn(r, ctx, &n);
    }
}

/* ---- scalars ---- */

static char *dup_string(const json_t *v, size_t *len) {
    *len = json_string_length(v);
    return rs_strndup(json_string_value(v), *len);
}

/* A string the text form writes as a literal (an id, a name, a value, a list entry): it has the
 * text form's length limit, so fmt --to text never writes a string `roster check` refuses. It is
 * kept all the same, so checking goes on. */
static char *read_literal(jr *r, const jval *n, size_t *len) {
    char *s = dup_string(n->v, len);
    if (*len > RS_MAX_STRING_BYTES) gp_string_too_long(r->d, r->src, n->span, *len);
    return s;
}

/* A JSON number's exact spelling as a plain decimal ("1.5e2" -> "150"), or NULL when it is too
 * large or too small to write out. */
static char *plain_decimal(const char *s, size_t len) {
    size_t i = 0;
    rs_sb digits = {0};
    long point = 0, exp = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') rs_sb_putc(&digits, s[i++]);
    point = (long)digits.len;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) rs_sb_putc(&digits, s[i]);
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        exp = strtol(s + i + 1, NULL, 10);
        if (exp > 400 || exp < -400) {
            rs_sb_free(&digits);
            return NULL;
        }
    }
    point += exp;
    rs_sb out = {0};
    const char *d = digits.buf ? digits.buf : "0";
    long n = (long)digits.len;
    if (point <= 0) {
        rs_sb_puts(&out, "0.");
        for (long k = 0; k < -point; k++) rs_sb_putc(&out, '0');
        rs_sb_put(&out, d, (size_t)n);
    } else if (point >= n) {
        rs_sb_put(&out, d, (size_t)n);
        for (long k = n; k < point; k++) rs_sb_putc(&out, '0');
    } else {
        rs_sb_put(&out, d, (size_t)point);
        rs_sb_putc(&out, '.');
        rs_sb_put(&out, d + point, (size_t)(n - point));
    }
    rs_sb_free(&digits);
    return rs_sb_take(&out);
}

/* Numbers keep the spelling of their JSON text, so canonical output writes them back exactly. */
static bool read_number(jr *r, const jval *n, ast_value *out) {
    const char *raw = r->t + n->span.start;
    size_t len = n->span.end - n->span.start;
    bool negative = len > 0 && raw[0] == '-';
    char *plain = plain_decimal(raw + negative, len - negative);
    gp_num num = {plain, plain ? strlen(plain) : 0, plain ? strtod(plain, NULL) : HUGE_VAL, false};
    char *canon = plain ? gp_number_canonical(plain, strlen(plain)) : NULL;
    num.ok = canon && gp_number_in_range(canon, num.v);
    free(canon);
    if (!num.ok) {
        rs_diag *d = rs_diag_at(r->d, RS_E_BAD_NUMBER, r->src, n->span, "number %.*s is out of range",
                                (int)(len > 40 ? 40 : len), raw);
        rs_diag_help(d, "whole numbers are exact up to 9007199254740992 (2^53)");
        free(plain);
        return false;
    }
    gp_value_number(out, &num, negative, n->span);
    free(plain);
    return true;
}

static bool read_value(jr *r, const jval *n, ast_value *out) {
    memset(out, 0, sizeof *out);
    if (json_is_string(n->v)) {
        gp_str s;
        s.s = read_literal(r, n, &s.len);
        gp_value_string(out, &s, n->span);
        return true;
    }
    if (json_is_number(n->v)) return read_number(r, n, out);
    if (json_is_boolean(n->v)) {
        gp_value_bool(out, json_is_true(n->v), n->span);
        return true;
    }
    rs_diag *d = wrong_type(r, n, "a string, a number, true or false");
    rs_diag_help(d, "dates are strings too: \"2026-01-01\", \"today - 90 days\"");
    return false;
}

static bool read_bool(jr *r, const jval *n, bool *out) {
    if (json_is_null(n->v)) return true;
    if (!json_is_boolean(n->v)) {
        wrong_type(r, n, "true or false");
        return false;
    }
    *out = json_is_true(n->v);
    return true;
}

/* ---- lists of strings ---- */

typedef struct strlist_ctx {
    ast_strlist *l;
    bool ok;
} strlist_ctx;

static void strlist_item(jr *r, void *ctx, const jval *n) {
    strlist_ctx *c = ctx;
    if (!json_is_string(n->v)) {
        wrong_type(r, n, "a string");
        c->ok = false;
        return;
    }
    size_t len;
    char *s = read_literal(r, n, &len);
    ast_strlist_add(c->l, s, len, n->span);
}

/* An array of strings; an empty array or null is no list at all. */
static void read_strlist(jr *r, const jval *n, ast_strlist *l) {
    if (json_is_null(n->v)) return;
    if (!json_is_array(n->v)) {
        wrong_type(r, n, "an array of strings");
        return;
    }
    strlist_ctx c = {l, true};
    each_item(r, n, strlist_item, &c);
    l->present = l->n > 0;
    l->span = n->span;
}

/* ---- comments ---- */

typedef struct comments_ctx {
    ast_comments *c;
} comments_ctx;

static void comment_line(jr *r, void *ctx, const jval *n) {
    comments_ctx *c = ctx;
    if (!json_is_string(n->v)) {
        wrong_type(r, n, "a string");
        return;
    }
    size_t len;
    char *s = dup_string(n->v, &len);
    if (memchr(s, '\n', len) || strlen(s) != len) {
        rs_diag *d = rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, n->span,
                                "a comment line cannot hold a line break");
        rs_diag_help(d, "give each line its own string in the array");
        free(s);
        return;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) s[--len] = '\0';
    ast_comments_add(c->c, s);
}

static void read_comment_lines(jr *r, const jval *n, ast_comments *c) {
    if (json_is_null(n->v)) return;
    if (!json_is_array(n->v)) {
        wrong_type(r, n, "an array of strings");
        return;
    }
    comments_ctx ctx = {c};
    each_item(r, n, comment_line, &ctx);
}

/* ---- conditions ---- */

static const char *const cond_keys[] = {"id", "field", "op", "value", "include_sub", "comments"};
enum { C_ID, C_FIELD, C_OP, C_VALUE, C_INCLUDE_SUB, C_COMMENTS, C_NKEYS };

typedef struct cond_ctx {
    jval keys[C_NKEYS];
    bool has[C_NKEYS];
} cond_ctx;

static void cond_member(jr *r, void *ctx, int which, const jval *n) {
    (void)r;
    cond_ctx *c = ctx;
    c->keys[which] = *n;
    c->has[which] = true;
}

static bool read_cond_id(jr *r, const jval *n, uint32_t *out) {
    double v = json_is_number(n->v) ? json_number_value(n->v) : -1;
    if (!json_is_number(n->v) || v < 0 || v != floor(v)) {
        rs_diag *d = json_is_number(n->v)
                         ? rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, n->span,
                                      "a condition id must be a whole number")
                         : wrong_type(r, n, "a whole number");
        rs_diag_help(d, "conditions are numbered 1 to 20: \"id\": 1");
        return false;
    }
    *out = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    return true;
}

typedef struct values_ctx {
    ast_cond *c;
    bool ok;
} values_ctx;

static void value_item(jr *r, void *ctx, const jval *n) {
    values_ctx *vc = ctx;
    ast_value v;
    if (read_value(r, n, &v)) ast_cond_add_value(vc->c, v);
    else vc->ok = false;
}

/* `value` by the operator's arity: none, one (a scalar, or an array of one), a list (an array; a
 * scalar is kept as written, for the checker to report), or two (an array of two). */
static bool read_cond_values(jr *r, const jval *obj, const cond_ctx *k, ast_cond *c) {
    ast_args args = ast_op_args(c->op);
    const jval *n = k->has[C_VALUE] ? &k->keys[C_VALUE] : NULL;
    bool absent = !n || json_is_null(n->v);
    c->values_span = n ? n->span : obj->span;
    if (args == AST_ARGS_NONE) {
        if (absent) return true;
        rs_diag *d = rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, n->span, "\"%s\" takes no value",
                                ast_op_text(c->op));
        rs_diag_help(d, "remove \"value\", or set it to null");
        return false;
    }
    if (absent) {
        const char *example = args == AST_ARGS_TWO    ? "\"value\": [\"2026-01-01\", \"2026-12-31\"]"
                              : args == AST_ARGS_LIST ? "\"value\": [\"a\", \"b\"]"
                                                      : "\"value\": \"a\"";
        missing(r, obj, "this condition", "value", example);
        return false;
    }
    if (!json_is_array(n->v)) {
        if (args == AST_ARGS_TWO) {
            rs_diag *d = wrong_type(r, n, "an array of two values");
            rs_diag_help(d, "\"is between\" takes [A, B]: \"value\": [1, 5]");
            return false;
        }
        ast_value v;
        if (!read_value(r, n, &v)) return false;
        ast_cond_add_value(c, v);
        return true;
    }
    if (args == AST_ARGS_TWO && json_array_size(n->v) != 2) {
        rs_diag *d = rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, n->span,
                                "\"is between\" takes two values, not %zu", json_array_size(n->v));
        rs_diag_help(d, "\"value\": [A, B], the first not after the second");
        return false;
    }
    values_ctx vc = {c, true};
    each_item(r, n, value_item, &vc);
    c->list_form = args != AST_ARGS_TWO && !(args == AST_ARGS_ONE && c->nvalues == 1);
    return vc.ok;
}

static bool read_cond_op(jr *r, const jval *n, ast_cond *c) {
    if (!json_is_string(n->v)) {
        wrong_type(r, n, "a string");
        return false;
    }
    int op = ast_op_from_text(json_string_value(n->v), json_string_length(n->v));
    if (op < 0) {
        const char *names[AST_OP_COUNT];
        for (int i = 0; i < AST_OP_COUNT; i++) names[i] = ast_op_text((ast_op)i);
        const char *near =
            rs_nearest(json_string_value(n->v), json_string_length(n->v), names, AST_OP_COUNT, 4);
        rs_diag *d = rs_diag_at(r->d, RS_E_JSON_UNKNOWN_OP, r->src, n->span,
                                "unknown operator \"%.60s\"", json_string_value(n->v));
        if (near) rs_diag_help(d, "did you mean \"%s\"?", near);
        else rs_diag_help(d, "operators are written as in rules: \"equals\", \"is any of\", "
                             "\"is on or after\", \"partly belong to\", ...");
        return false;
    }
    c->op = (ast_op)op;
    c->op_span = n->span;
    return true;
}

static bool read_cond_field(jr *r, const jval *n, ast_cond *c) {
    if (!json_is_string(n->v)) {
        wrong_type(r, n, "a string");
        return false;
    }
    size_t len;
    char *s = dup_string(n->v, &len);
    if (!gp_is_field_name(s, len)) {
        rs_diag *d = rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, n->span,
                                "\"%.60s\" cannot be a field name in a rule", s);
        rs_diag_help(d, "field names are letters, digits and '_', do not start with a digit, and "
                        "are not keywords such as `and` or `today`");
        free(s);
        return false;
    }
    c->field = s;
    c->field_span = n->span;
    return true;
}

static void read_cond(jr *r, void *ctx, const jval *obj) {
    ast_group *g = ctx;
    if (!json_is_object(obj->v)) {
        wrong_type(r, obj, "a condition object");
        return;
    }
    cond_ctx k;
    memset(&k, 0, sizeof k);
    each_member(r, obj, cond_keys, C_NKEYS, cond_member, &k);
    static const char *const examples[] = {"\"id\": 1", "\"field\": \"job_title\"",
                                           "\"op\": \"equals\""};
    bool ok = true;
    for (int i = C_ID; i <= C_OP; i++)
        if (!k.has[i]) {
            missing(r, obj, "this condition", cond_keys[i], examples[i]);
            ok = false;
        }
    if (!ok) return;
    ast_cond c;
    memset(&c, 0, sizeof c);
    c.span = obj->span;
    c.number_span = k.keys[C_ID].span;
    c.with_sub_span = obj->span;
    bool numbered = read_cond_id(r, &k.keys[C_ID], &c.number);
    ok = numbered;
    ok = read_cond_field(r, &k.keys[C_FIELD], &c) && ok;
    if (read_cond_op(r, &k.keys[C_OP], &c)) ok = read_cond_values(r, obj, &k, &c) && ok;
    else ok = false;
    if (k.has[C_INCLUDE_SUB]) {
        ok = read_bool(r, &k.keys[C_INCLUDE_SUB], &c.with_sub) && ok;
        c.with_sub_span = k.keys[C_INCLUDE_SUB].span;
    }
    if (k.has[C_COMMENTS]) read_comment_lines(r, &k.keys[C_COMMENTS], &c.comments);
    if (!ok) {
        if (numbered) ast_group_unread_cond(g, c.number);
        ast_cond_clear(&c);
        return;
    }
    *ast_group_add_cond(g) = c;
}

/* ---- match and where: the text grammar, inside the JSON string ---- */

static ast_expr *read_expr(jr *r, const jval *n, int start, rs_span *span) {
    if (json_is_null(n->v)) return NULL;
    if (!json_is_string(n->v)) {
        rs_diag *d = wrong_type(r, n, "a string");
        rs_diag_help(d, start == TK_START_MATCH ? "\"match\": \"1 or (2 and 3)\""
                                                : "\"where\": \"city equals \\\"Shanghai\\\"\"");
        return NULL;
    }
    *span = n->span;
    uint32_t from = n->span.start + 1, to = n->span.end > from ? n->span.end - 1 : from;
    return gp_run(r->src, r->d, json_string_value(n->v), json_string_length(n->v), from, to, start,
                  NULL);
}

/* ---- groups ---- */

static const char *const group_keys[] = {"id",    "name",  "departments", "conditions", "match",
                                         "where", "allow", "block",       "comments"};
enum { G_ID, G_NAME, G_DEPARTMENTS, G_CONDITIONS, G_MATCH, G_WHERE, G_ALLOW, G_BLOCK, G_COMMENTS,
       G_NKEYS };

typedef struct group_ctx {
    jval keys[G_NKEYS];
    bool has[G_NKEYS];
} group_ctx;

static void group_member(jr *r, void *ctx, int which, const jval *n) {
    (void)r;
    group_ctx *c = ctx;
    c->keys[which] = *n;
    c->has[which] = true;
}

static const char *const dept_keys[] = {"ids", "include_sub"};

typedef struct dept_ctx {
    jval keys[2];
    bool has[2];
} dept_ctx;

static void dept_member(jr *r, void *ctx, int which, const jval *n) {
    (void)r;
    dept_ctx *c = ctx;
    c->keys[which] = *n;
    c->has[which] = true;
}

static void read_departments(jr *r, const jval *n, ast_group *g) {
    if (json_is_null(n->v)) return;
    if (!json_is_object(n->v)) {
        rs_diag *d = wrong_type(r, n, "an object");
        rs_diag_help(d, "\"departments\": {\"ids\": [\"D1\", \"D2\"], \"include_sub\": true}");
        return;
    }
    dept_ctx k;
    memset(&k, 0, sizeof k);
    each_member(r, n, dept_keys, 2, dept_member, &k);
    if (!k.has[0]) {
        missing(r, n, "\"departments\"", "ids", "\"ids\": [\"D1\", \"D2\"]");
        return;
    }
    read_strlist(r, &k.keys[0], &g->departments);
    g->departments.span = n->span;
    bool sub = false;
    if (k.has[1] && read_bool(r, &k.keys[1], &sub)) g->departments_with_sub_span = k.keys[1].span;
    g->departments_with_sub = sub && g->departments.present;
}

typedef struct comments_group_ctx {
    ast_group *g;
} comments_group_ctx;

static void group_comments_member(jr *r, void *ctx, int which, const jval *n) {
    ast_group *g = ((comments_group_ctx *)ctx)->g;
    ast_comments *to[] = {&g->comments,       &g->name_comments,  &g->departments_comments,
                          &g->match_comments, &g->where_comments, &g->allow_comments,
                          &g->block_comments};
    read_comment_lines(r, n, to[which]);
}

static void read_group_comments(jr *r, const jval *n, ast_group *g) {
    static const char *const keys[] = {"group", "name", "departments", "match", "where", "allow",
                                       "block"};
    if (json_is_null(n->v)) return;
    if (!json_is_object(n->v)) {
        wrong_type(r, n, "an object of comment lines");
        return;
    }
    comments_group_ctx c = {g};
    each_member(r, n, keys, RS_ARRAY_LEN(keys), group_comments_member, &c);
}

static bool read_id(jr *r, const jval *obj, const group_ctx *k, ast_group *g) {
    if (!k->has[G_ID]) {
        missing(r, obj, "this group", "id", "\"id\": \"interns-office-a\"");
        return false;
    }
    const jval *n = &k->keys[G_ID];
    if (!json_is_string(n->v)) {
        wrong_type(r, n, "a string");
        return false;
    }
    g->id.s = read_literal(r, n, &g->id.len);
    g->id.span = n->span;
    if (g->id.len == 0) {
        rs_diag *d = rs_diag_at(r->d, RS_E_EMPTY_GROUP_ID, r->src, n->span, "group id is empty");
        rs_diag_help(d, "give the group an id that is unique across all rule files");
    }
    return true;
}

static void missing_name(jr *r, const jval *obj, const ast_group *g) {
    rs_diag *d = rs_diag_at(r->d, RS_E_MISSING_NAME, r->src, obj->span, "group \"%.60s\" has no name",
                            g->id.s);
    rs_diag_help(d, "add a display name: \"name\": \"All interns in Office A\"");
}

static void read_name(jr *r, const jval *n, ast_group *g) {
    if (json_is_string(n->v)) {
        g->name.s = read_literal(r, n, &g->name.len);
        g->name.span = n->span;
    } else if (!json_is_null(n->v)) {
        wrong_type(r, n, "a string");
    }
}

static void read_conditions(jr *r, const jval *n, ast_group *g) {
    if (json_is_array(n->v)) each_item(r, n, read_cond, g);
    else if (!json_is_null(n->v)) wrong_type(r, n, "an array of condition objects");
}

static void read_group_key(jr *r, int which, const jval *n, ast_group *g) {
    switch (which) {
    case G_NAME: read_name(r, n, g); break;
    case G_DEPARTMENTS: read_departments(r, n, g); break;
    case G_CONDITIONS: read_conditions(r, n, g); break;
    case G_MATCH: g->match = read_expr(r, n, TK_START_MATCH, &g->match_span); break;
    case G_WHERE: g->where = read_expr(r, n, TK_START_WHERE, &g->where_span); break;
    case G_ALLOW: read_strlist(r, n, &g->allow); break;
    case G_BLOCK: read_strlist(r, n, &g->block); break;
    case G_COMMENTS: read_group_comments(r, n, g); break;
    default: break;
    }
}

/* The group's keys in the order they are written, so diagnostics come in source order. */
static void read_group_items(jr *r, const jval *obj, const group_ctx *k, ast_group *g) {
    int order[G_NKEYS], n = 0;
    for (int i = G_NAME; i < G_NKEYS; i++)
        if (k->has[i]) order[n++] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && k->keys[order[j]].span.start < k->keys[order[j - 1]].span.start;
             j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < n; i++) read_group_key(r, order[i], &k->keys[order[i]], g);
    if (!k->has[G_NAME] || json_is_null(k->keys[G_NAME].v)) missing_name(r, obj, g);
}

static void read_group(jr *r, void *ctx, const jval *obj) {
    ast_file *f = ctx;
    if (!json_is_object(obj->v)) {
        rs_diag *d = wrong_type(r, obj, "a group object");
        rs_diag_help(d, "a group is {\"id\": \"...\", \"name\": \"...\", \"conditions\": [...]}");
        return;
    }
    group_ctx k;
    memset(&k, 0, sizeof k);
    each_member(r, obj, group_keys, G_NKEYS, group_member, &k);
    ast_group g;
    memset(&g, 0, sizeof g);
    g.span = obj->span;
    if (!read_id(r, obj, &k, &g)) return;
    read_group_items(r, obj, &k, &g);
    if (g.where && (g.nconds > 0 || g.match)) {
        rs_diag *d = rs_diag_at(r->d, RS_E_MIXED_FORMS, r->src, g.where_span,
                                "\"where\" cannot be used together with %s",
                                g.nconds ? "\"conditions\"" : "\"match\"");
        rs_diag_help(d, "give either \"conditions\" (with an optional \"match\") or one \"where\"");
    }
    *ast_file_add_group(f) = g;
}

/* ---- the top level ---- */

/* Bytes that are not UTF-8 are E0004 at their own line and column, each run once, as in rule text
 * (jansson would call them a syntax error at the start of their string). rs_utf8_decode decides,
 * as for the lexer: surrogates, overlong forms and code points past U+10FFFF are refused. */
static bool check_utf8(jr *r) {
    bool ok = true;
    size_t i = r->bom;
    for (;;) {
        i += rs_utf8_validate(r->t + i, r->len - i);
        if (i >= r->len) return ok;
        size_t n = rs_utf8_bad_run(r->t + i, r->len - i);
        rs_span at = rs_span_make((uint32_t)i, (uint32_t)(i + n));
        rs_diag *d = rs_diag_at(r->d, RS_E_BAD_UTF8, r->src, at, "invalid UTF-8 (byte 0x%02x)",
                                (unsigned char)r->t[i]);
        rs_diag_help(d, "save the file as UTF-8");
        i += n;
        ok = false;
    }
}

/* jansson reports the line and the column (in characters) of the offending token's last
 * character, and the byte offset just past it. */
static void syntax_error(jr *r, const json_error_t *e) {
    size_t pos = e->position > 0 ? (size_t)e->position + r->bom : r->bom;
    uint32_t at = pos <= r->len ? (uint32_t)pos : (uint32_t)r->len;
    uint32_t start = at;
    if (e->line >= 1 && (size_t)e->line <= r->src->nlines && e->column >= 1) {
        const char *s = r->t + r->src->line_starts[e->line - 1] + (e->line == 1 ? r->bom : 0);
        const char *end = r->t + r->len;
        for (int col = 1; col < e->column && s < end; col++) {
            s++;
            while (s < end && ((unsigned char)*s & 0xC0) == 0x80) s++;
        }
        start = (uint32_t)(s - r->t);
    }
    rs_span span = rs_span_make(start, at > start ? at : start);
    rs_diag *d = rs_diag_at(r->d, RS_E_JSON_SYNTAX, r->src, span, "invalid JSON: %s", e->text);
    rs_diag_help(d, "check the quotes, commas and brackets around this point");
}

static void read_root(jr *r, ast_file *f, json_t *root) {
    size_t start = skip_ws(r->t, r->len, r->bom);
    size_t end = skip_value(r->t, r->len, start);
    jval top = jv_make(r, root, rs_span_make((uint32_t)start, (uint32_t)end), "");
    jval groups = top;
    if (json_is_object(root) && json_object_get(root, "groups")) {
        static const char *const keys[] = {"groups"};
        group_ctx k;
        memset(&k, 0, sizeof k);
        each_member(r, &top, keys, 1, group_member, &k);
        groups = k.keys[0];
        if (!json_is_array(groups.v)) {
            wrong_type(r, &groups, "an array of group objects");
            return;
        }
    }
    if (json_is_array(groups.v)) each_item(r, &groups, read_group, f);
    else if (json_is_object(groups.v)) read_group(r, f, &groups);
    else {
        rs_diag *d = wrong_type(r, &top, "a group object or an array of groups");
        rs_diag_help(d, "write {\"id\": \"...\", ...}, [{...}, {...}] or {\"groups\": [...]}");
        return;
    }
    if (json_is_array(groups.v) && json_array_size(groups.v) == 0) {
        rs_diag *d = rs_diag_at(r->d, RS_E_JSON_SHAPE, r->src, groups.span, "no group in this file");
        rs_diag_help(d, "give at least one group object");
    }
}

ast_file *rs_parse_json(rs_source *src, rs_diags *diags) {
    if (src->len > RS_MAX_SOURCE_BYTES) {
        rs_diag *d = rs_diag_at(diags, RS_E_FILE_TOO_LARGE, src, rs_span_make(0, 0),
                                "rule JSON is larger than %u MiB", RS_MAX_SOURCE_BYTES >> 20);
        rs_diag_help(d, "split the rules into several files");
        return NULL;
    }
    jr r = {src, diags, src->text, src->len, 0};
    if (src->len >= 3 && memcmp(src->text, "\xEF\xBB\xBF", 3) == 0) r.bom = 3;
    if (!check_utf8(&r)) return NULL;
    json_error_t e;
    json_t *root = json_loadb(src->text + r.bom, src->len - r.bom,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &e);
    if (!root) {
        syntax_error(&r, &e);
        return NULL;
    }
    ast_file *f = ast_file_new(src);
    read_root(&r, f, root);
    json_decref(root);
    if (f->ngroups == 0) {
        ast_file_free(f);
        return NULL;
    }
    return f;
}
