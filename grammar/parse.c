/* parse.c: rs_parse_text, and the gp_* helpers the grammar actions (and rule_json.c) call to build
 * the AST and to report what only makes sense once an item or a group is complete. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parser.h"
#include "grammar/grammar.h"
#include "common/date.h"
#include "common/util.h"

/* ---- diagnostics ---- */

rs_diag *gp_error(rs_parser *p, rs_code code, rs_span span, const char *fmt, ...) {
    if (!p->diags) return NULL;
    va_list ap;
    va_start(ap, fmt);
    rs_diag *dg = rs_diag_atv(p->diags, code, p->src, span, fmt, ap);
    va_end(ap);
    return dg;
}

void gp_string_too_long(rs_diags *diags, const rs_source *src, rs_span at, size_t len) {
    if (!diags) return;
    rs_diag *d = rs_diag_at(diags, RS_E_STRING_TOO_LONG, src, at,
                            "string is %zu bytes long; the limit is %u bytes", len,
                            RS_MAX_STRING_BYTES);
    rs_diag_help(d, "rule strings hold ids and names; long data belongs in the snapshot");
}

static void line_col(const rs_parser *p, rs_span at, uint32_t *line, uint32_t *col) {
    rs_source_position(p->src, at.start, line, col);
}

/* ---- groups and items ---- */

static ast_group *cur_group(rs_parser *p) { return &p->file->groups[p->group]; }

void gp_group_begin(rs_parser *p, gp_str *id, rs_span id_span, rs_span kw_span) {
    ast_group *g = ast_file_add_group(p->file);
    p->group = p->file->ngroups - 1;
    p->in_group = true;
    p->brace_error = false;
    g->span = rs_span_join(kw_span, id_span);
    g->id.span = id_span;
    if (id->s) {
        g->id.s = id->s;
        g->id.len = id->len;
        id->s = NULL;
        if (g->id.len == 0) {
            rs_diag *d = gp_error(p, RS_E_EMPTY_GROUP_ID, id_span, "group id is empty");
            rs_diag_help(d, "give the group an id that is unique across all rule files: "
                            "group \"interns-office-a\" { ... }");
        }
    } else {
        g->id.s = rs_strdup("");
    }
}

static void not_closed(rs_parser *p, const ast_group *g) {
    uint32_t line, col;
    line_col(p, p->lex.brace_open, &line, &col);
    rs_diag *d = gp_error(p, RS_E_SYNTAX, p->lex.brace_open, "group \"%.*s\" is not closed",
                          (int)(g->id.len > 60 ? 60 : g->id.len), g->id.s);
    rs_diag_help(d, "add '}' after the group's last item to close the '{' at line %u, column %u",
                 line, col);
}

void gp_group_end(rs_parser *p, rs_span span, bool closed) {
    ast_group *g = cur_group(p);
    g->span = span;
    if (!closed && !p->lex.eof_damaged && !p->brace_error) not_closed(p, g);
    if (!g->name.s) {
        rs_diag *d = gp_error(p, RS_E_MISSING_NAME, g->id.span, "group \"%.*s\" has no `name`",
                              (int)(g->id.len > 60 ? 60 : g->id.len), g->id.s);
        rs_diag_help(d, "add a display name line: name \"All interns in Office A\"");
    }
    if (g->where && (g->nconds > 0 || g->match)) {
        rs_diag *d = gp_error(p, RS_E_MIXED_FORMS, g->where_span,
                              "`where` cannot be used together with %s",
                              g->nconds ? "numbered conditions" : "`match`");
        rs_diag_help(d, "write the rule either as numbered conditions (with an optional `match`) "
                        "or as one `where` expression");
    }
    p->in_group = false;
}

/* A second `name`, `departments`, `match` or `where` line: reported, and the first one is kept. */
static void duplicate(rs_parser *p, const char *what, rs_span first, rs_span again) {
    uint32_t line, col;
    line_col(p, first, &line, &col);
    rs_diag *d = gp_error(p, RS_E_DUPLICATE_ITEM, again, "`%s` is given twice in this group", what);
    rs_diag_help(d, "a group has one `%s` line; the first one (line %u) is used, remove the other",
                 what, line);
}

void gp_item_name(rs_parser *p, gp_str *s, rs_span s_span, rs_span span) {
    ast_group *g = cur_group(p);
    if (g->name.s) {
        duplicate(p, "name", g->name.span, span);
        free(s->s);
        s->s = NULL;
        return;
    }
    g->name.s = s->s;
    g->name.len = s->len;
    g->name.span = s_span;
    s->s = NULL;
}

void gp_item_departments(rs_parser *p, ast_strlist *l, bool with_sub, rs_span sub_span,
                         rs_span span) {
    ast_group *g = cur_group(p);
    if (g->departments.present) {
        duplicate(p, "departments", g->departments.span, span);
        gp_strlist_free(l);
        return;
    }
    g->departments = *l;
    g->departments.present = true;
    g->departments.span = span;
    g->departments_with_sub = with_sub;
    g->departments_with_sub_span = sub_span;
    free(l);
}

/* Several `allow` (or `block`) lines add up. */
void gp_item_members(rs_parser *p, bool block, ast_strlist *l, rs_span span) {
    ast_strlist *dst = block ? &cur_group(p)->block : &cur_group(p)->allow;
    if (!dst->present) {
        *dst = *l;
        dst->present = true;
        dst->span = span;
        free(l);
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        const ast_str *it = &l->items[i];
        ast_strlist_add(dst, it->s, it->len, it->span);
    }
    free(l->items);
    free(l);
}

void gp_item_cond(rs_parser *p, uint32_t number, rs_span number_span, ast_cond *c, rs_span span) {
    ast_cond *dst = ast_group_add_cond(cur_group(p));
    *dst = *c;
    free(c);
    dst->number = number;
    dst->number_span = number_span;
    dst->span = span;
}

void gp_item_unread_cond(rs_parser *p, uint32_t number) { ast_group_unread_cond(cur_group(p), number); }

/* An expression that lost parts to the depth limit is dropped: E0002 says why, and checking the
 * rest would only report consequences. */
static bool keep_expr(rs_parser *p, gp_expr e) {
    if (e.e && !p->poisoned) return true;
    ast_expr_free(e.e);
    return false;
}

void gp_item_match(rs_parser *p, gp_expr e, rs_span span) {
    ast_group *g = cur_group(p);
    if (!keep_expr(p, e)) return;
    if (g->match) {
        duplicate(p, "match", g->match_span, span);
        ast_expr_free(e.e);
        return;
    }
    g->match = e.e;
    g->match_span = span;
}

void gp_item_where(rs_parser *p, gp_expr e, rs_span span) {
    ast_group *g = cur_group(p);
    if (!keep_expr(p, e)) return;
    if (g->where) {
        duplicate(p, "where", g->where_span, span);
        ast_expr_free(e.e);
        return;
    }
    g->where = e.e;
    g->where_span = span;
}

void gp_recovered(rs_parser *p) { p->mute = false; }

/* ---- string lists ---- */

ast_strlist *gp_strlist_new(void) { return rs_calloc(1, sizeof(ast_strlist)); }

void gp_strlist_add(ast_strlist *l, gp_str *s, rs_span span) {
    ast_strlist_add(l, s->s, s->len, span);
    s->s = NULL;
}

void gp_strlist_free(ast_strlist *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->items[i].s);
    free(l->items);
    free(l);
}

/* ---- conditions and values ---- */

gp_values *gp_values_new(rs_span span) {
    gp_values *vs = rs_calloc(1, sizeof *vs);
    vs->span = span;
    return vs;
}

void gp_values_add(gp_values *vs, ast_value *v) {
    RS_GROW(vs->v, vs->cap, vs->n + 1);
    vs->v[vs->n++] = *v;
    memset(v, 0, sizeof *v);
}

void gp_values_free(gp_values *vs) {
    if (!vs) return;
    for (size_t i = 0; i < vs->n; i++) ast_value_clear(&vs->v[i]);
    free(vs->v);
    free(vs);
}

ast_cond *gp_cond(gp_word field, rs_span field_span, ast_op op, rs_span op_span, gp_values *vals,
                  bool with_sub, rs_span sub_span, rs_span span) {
    ast_cond *c = rs_calloc(1, sizeof *c);
    c->span = span;
    c->field = rs_strndup(field.s, field.len);
    c->field_span = field_span;
    c->op = op;
    c->op_span = op_span;
    c->values_span = rs_span_make(op_span.end, op_span.end);
    if (vals) {
        c->values = vals->v;
        c->nvalues = vals->n;
        c->values_span = vals->span;
        c->list_form = vals->list;
        free(vals);
    }
    /* `equals ("a")` is `equals "a"`: a one-value operator takes a list of one as its value. */
    if (ast_op_args(op) == AST_ARGS_ONE && c->list_form && c->nvalues == 1) c->list_form = false;
    c->with_sub = with_sub;
    c->with_sub_span = sub_span;
    return c;
}

void gp_cond_free(ast_cond *c) {
    if (!c) return;
    ast_cond_clear(c);
    free(c);
}

/* Relative dates reach at most this many days from today (about 10,000 years). */
#define GP_MAX_TODAY_DAYS 3650000u

/* Fills v with today (sign 0) or today +/- count days or weeks (unit 'd' or 'w'); false when the
 * offset is beyond GP_MAX_TODAY_DAYS (v is then plain today). */
static bool gp_make_today(ast_value *v, int sign, uint64_t count, char unit, rs_span span) {
    memset(v, 0, sizeof *v);
    v->kind = AST_VAL_TODAY;
    v->span = span;
    if (sign == 0) return true;
    uint64_t days = count * (unit == 'w' ? 7u : 1u);
    if (count > GP_MAX_TODAY_DAYS || days > GP_MAX_TODAY_DAYS) return false;
    v->count = (int32_t)count;
    v->unit = unit == 'w' ? 'w' : 'd';
    v->day = sign < 0 ? -(int32_t)days : (int32_t)days;
    return true;
}

static size_t skip_spaces(const char *s, size_t len, size_t i) {
    while (i < len && s[i] == ' ') i++;
    return i;
}

/* "today", "today - 90 days", "today + 1 week" (lower case, as the JSON form writes them). */
static bool today_string(const char *s, size_t len, ast_value *v, rs_span span) {
    if (len < 5 || memcmp(s, "today", 5) != 0) return false;
    if (len == 5) return gp_make_today(v, 0, 0, '\0', span);
    size_t i = skip_spaces(s, len, 5);
    int sign = i < len && s[i] == '-' ? -1 : i < len && s[i] == '+' ? 1 : 0;
    if (!sign) return false;
    i = skip_spaces(s, len, i + 1);
    uint64_t count = 0;
    size_t digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9' && digits < 10; i++, digits++)
        count = count * 10 + (uint64_t)(s[i] - '0');
    size_t at_unit = skip_spaces(s, len, i);
    if (digits == 0 || at_unit == i) return false;
    static const char *const units[] = {"days", "day", "weeks", "week"};
    for (size_t u = 0; u < RS_ARRAY_LEN(units); u++) {
        size_t n = strlen(units[u]);
        if (len - at_unit == n && memcmp(s + at_unit, units[u], n) == 0) {
            ast_value t;
            if (!gp_make_today(&t, sign, count, units[u][0], span)) return false;
            *v = t;
            return true;
        }
    }
    return false;
}

/* A string that spells a date ("2026-01-01") or a relative date ("today - 90 days") is that date:
 * the JSON form can only write dates as strings, and both forms must mean the same. */
static bool date_string(const char *s, size_t len, ast_value *v, rs_span span) {
    int32_t day;
    if (len == 10 && rs_date_parse(s, len, &day)) {
        gp_value_date(v, day, span);
        return true;
    }
    return today_string(s, len, v, span);
}

void gp_value_string(ast_value *v, gp_str *s, rs_span span) {
    memset(v, 0, sizeof *v);
    if (date_string(s->s, s->len, v, span)) {
        free(s->s);
        s->s = NULL;
        return;
    }
    v->kind = AST_VAL_STRING;
    v->str = s->s;
    v->len = s->len;
    v->span = span;
    s->s = NULL;
}

char *gp_number_canonical(const char *s, size_t len) {
    size_t i = 0, dot = len;
    for (size_t k = 0; k < len; k++)
        if (s[k] == '.') dot = k;
    while (i + 1 < dot && s[i] == '0') i++;
    size_t end = len;
    if (dot < len) {
        while (end > dot + 1 && s[end - 1] == '0') end--;
        if (end == dot + 1) end = dot;
    }
    return rs_strndup(s + i, end - i);
}

bool gp_number_in_range(const char *canonical, double v) {
    if (!isfinite(v)) return false;
    if (strchr(canonical, '.')) return true;
    size_t n = strlen(canonical);
    return n < 16 || (n == 16 && strcmp(canonical, "9007199254740992") <= 0);
}

void gp_value_number(ast_value *v, const gp_num *n, bool negative, rs_span span) {
    memset(v, 0, sizeof *v);
    v->kind = AST_VAL_NUMBER;
    v->span = span;
    char *digits = n->ok ? gp_number_canonical(n->s, n->len) : rs_strdup("0");
    bool zero = strcmp(digits, "0") == 0;
    if (negative && !zero) {
        v->str = rs_malloc(strlen(digits) + 2);
        v->str[0] = '-';
        strcpy(v->str + 1, digits);
        free(digits);
    } else {
        v->str = digits;
    }
    v->len = strlen(v->str);
    v->num = zero ? 0.0 : negative ? -n->v : n->v;
}

void gp_value_date(ast_value *v, int32_t day, rs_span span) {
    memset(v, 0, sizeof *v);
    v->kind = AST_VAL_DATE;
    v->day = day;
    v->span = span;
}

void gp_value_today(rs_parser *p, ast_value *v, int sign, const gp_num *n, char unit, rs_span span) {
    if (sign == 0 || !n->ok) {
        gp_make_today(v, 0, 0, '\0', span);
        return;
    }
    if (memchr(n->s, '.', n->len)) {
        rs_diag *d = gp_error(p, RS_E_BAD_DURATION, span,
                              "a relative date counts whole days or weeks");
        rs_diag_help(d, "write `today - 90 days` or `today + 2 weeks`");
        gp_make_today(v, 0, 0, '\0', span);
        return;
    }
    if (!gp_make_today(v, sign, n->v > GP_MAX_TODAY_DAYS ? UINT64_MAX : (uint64_t)n->v, unit, span)) {
        rs_diag *d = gp_error(p, RS_E_BAD_NUMBER, span, "relative date is too far from today");
        rs_diag_help(d, "a relative date may reach at most %u days (about 10,000 years) from today",
                     (unsigned)GP_MAX_TODAY_DAYS);
        gp_make_today(v, 0, 0, '\0', span);
    }
}

char gp_unit(rs_parser *p, gp_word w, bool known, rs_span span) {
    if (known) return (w.s[0] | 0x20) == 'w' ? 'w' : 'd';
    rs_diag *d = gp_error(p, RS_E_BAD_DURATION, span, "'%.*s' is not a unit of relative dates",
                          (int)(w.len > 40 ? 40 : w.len), w.s);
    rs_diag_help(d, "count in days or weeks: `today - 90 days`, `today + 2 weeks`");
    return 'd';
}

void gp_value_bool(ast_value *v, bool b, rs_span span) {
    memset(v, 0, sizeof *v);
    v->kind = AST_VAL_BOOL;
    v->b = b;
    v->span = span;
}

uint32_t gp_label(const char *digits, size_t len) {
    uint64_t v = 0;
    for (size_t i = 0; i < len && digits[i] >= '0' && digits[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(digits[i] - '0');
        if (v > UINT32_MAX) return UINT32_MAX;
    }
    return (uint32_t)v;
}

/* ---- expressions ---- */

void gp_expr_begin(rs_parser *p) {
    p->nest = 0;
    p->deep_reported = false;
    p->poisoned = false;
    p->lex.nparens = 0;
    p->lex.parens_lost = 0;
}

/* chain: the limit was passed by an `and`/`or`, where a flat chain of terms, not nesting, is the
 * likely cause; the message says so rather than speak of nesting the admin never wrote. */
static void too_deep(rs_parser *p, rs_span at, bool chain) {
    p->poisoned = true;
    if (p->deep_reported) return;
    p->deep_reported = true;
    rs_diag *d = chain ? gp_error(p, RS_E_TOO_DEEP, at, "expression is more than %d levels deep here: each "
                                  "`and` or `or` of a chain is one level, so a chain holds at most %d "
                                  "terms", RS_MAX_DEPTH, RS_MAX_DEPTH)
                       : gp_error(p, RS_E_TOO_DEEP, at, "expression is nested more than %d levels deep",
                                  RS_MAX_DEPTH);
    rs_diag_help(d, "each '(' and `not`, and each `and` or `or` of a chain, is a level; "
                    "simplify the expression (a list operator such as `is any of` replaces a "
                    "long chain of `or`)");
}

bool gp_lparen(rs_parser *p, rs_span span) {
    if (p->nest >= RS_MAX_DEPTH) {
        too_deep(p, span, false);
        p->lex.skip_deep = true;
        return false;
    }
    p->nest++;
    return true;
}

gp_expr gp_paren(rs_parser *p, gp_expr inner, bool counted, rs_span span) {
    if (counted && p->nest > 0) p->nest--;
    if (inner.e) {
        inner.e->parens = true;
        inner.e->span = span;
    }
    return inner;
}

gp_expr gp_too_deep(rs_parser *p, bool counted, rs_span span) {
    (void)span;
    if (counted && p->nest > 0) p->nest--;
    p->poisoned = true;
    gp_expr none = {NULL, 1};
    return none;
}

gp_expr gp_ref(rs_parser *p, const gp_num *n, rs_span span) {
    gp_expr r = {NULL, 1};
    if (memchr(n->s, '.', n->len)) {
        rs_diag *d = gp_error(p, RS_E_SYNTAX, span, "`match` names conditions by their whole number");
        rs_diag_help(d, "write the numbers of the conditions: match 1 or (2 and 3)");
        p->poisoned = true;
        return r;
    }
    r.e = ast_expr_ref(n->v > UINT32_MAX ? UINT32_MAX : (uint32_t)n->v, span);
    return r;
}

gp_expr gp_where_cond(ast_cond *c) {
    gp_expr r = {ast_expr_cond(c), 1};
    return r;
}

gp_expr gp_binary(rs_parser *p, ast_expr_kind kind, gp_expr lhs, gp_expr rhs, rs_span op_span) {
    uint32_t depth = 1 + (lhs.depth > rhs.depth ? lhs.depth : rhs.depth);
    if (!lhs.e || !rhs.e || depth > RS_MAX_DEPTH) {
        if (depth > RS_MAX_DEPTH) too_deep(p, op_span, true);
        ast_expr_free(rhs.e);
        return lhs;
    }
    gp_expr r = {ast_expr_binary(kind, lhs.e, rhs.e), depth};
    return r;
}

/* A `not` counts towards the nesting limit from where it is written to the end of its operand. */
gp_nots gp_nots_add(rs_parser *p, const gp_nots *prev, rs_span at) {
    gp_nots n = {0, 0, at};
    if (prev) n = *prev;
    n.count++;
    if (p->nest >= RS_MAX_DEPTH) {
        too_deep(p, at, false);
    } else {
        p->nest++;
        n.counted++;
    }
    return n;
}

gp_expr gp_not(rs_parser *p, gp_nots nots, gp_expr e, rs_span span) {
    p->nest = p->nest > nots.counted ? p->nest - nots.counted : 0;
    if (!e.e) return e;
    uint32_t room = e.depth >= RS_MAX_DEPTH ? 0 : RS_MAX_DEPTH - e.depth;
    uint32_t n = nots.count;
    if (n > room) {
        too_deep(p, nots.span, false);
        n = room;
    }
    for (uint32_t i = 0; i < n; i++) e.e = ast_expr_not(e.e, span);
    e.depth += n;
    return e;
}

/* ---- running the grammar ---- */

ast_expr *gp_run(const rs_source *src, rs_diags *diags, const char *buf, size_t len, uint32_t base,
                 uint32_t clamp, int start, ast_file *f) {
    rs_parser *p = rs_calloc(1, sizeof *p);
    gp_lex_init(&p->lex, buf, len, base, clamp, start);
    p->lex.keep_comments = start == TK_START_FILE;
    p->src = src;
    p->diags = diags;
    p->file = f;
    gp_expr_begin(p);
    int rc = rs_yyparse(p);
    ast_expr *result = NULL;
    if (start == TK_START_FILE) {
        gp_attach_comments(f, p->lex.comments, p->lex.ncomments);
    } else if (rc == 0 && p->nsyntax == 0 && !p->poisoned) {
        result = p->result.e;
    } else {
        ast_expr_free(p->result.e);
    }
    gp_lex_free(&p->lex);
    free(p);
    return result;
}

ast_file *rs_parse_text(const rs_source *src, rs_diags *diags) {
    if (src->len > RS_MAX_SOURCE_BYTES) {
        rs_diag *d = rs_diag_at(diags, RS_E_FILE_TOO_LARGE, src, rs_span_make(0, 0),
                                "rule text is larger than %u MiB", RS_MAX_SOURCE_BYTES >> 20);
        rs_diag_help(d, "split the rules into several files");
        return NULL;
    }
    size_t errors = diags->nerrors;
    ast_file *f = ast_file_new(src);
    gp_run(src, diags, src->text, src->len, 0, (uint32_t)src->len, TK_START_FILE, f);
    if (f->ngroups == 0) {
        if (diags->nerrors == errors) {
            rs_diag *d = rs_diag_at(diags, RS_E_SYNTAX, src, rs_span_make(0, 0),
                                    "no group in this file");
            rs_diag_help(d, "a rule file holds one or more groups: group \"id\" { name \"...\" ... }");
        }
        ast_file_free(f);
        return NULL;
    }
    return f;
}

/* ---- comments ---- */

/* A place a comment can attach to: a group, or an item of a group, starting at `at`. Items cover
 * [at, end); a comment inside an item (between the lines of a long `where`) belongs to none. */
typedef struct anchor {
    uint32_t at, end;
    ast_comments *to;   /* NULL: the closing brace of a group, where comments are dropped */
} anchor;

static int anchor_cmp(const void *x, const void *y) {
    const anchor *a = x, *b = y;
    return a->at < b->at ? -1 : a->at > b->at;
}

static void add_anchor(anchor **v, size_t *n, size_t *cap, uint32_t at, uint32_t end,
                       ast_comments *to) {
    RS_GROW(*v, *cap, *n + 1);
    (*v)[(*n)++] = (anchor){at, end, to};
}

static void group_anchors(ast_group *g, anchor **v, size_t *n, size_t *cap) {
    add_anchor(v, n, cap, g->span.start, g->span.start + 1, &g->comments);
    if (g->name.s) add_anchor(v, n, cap, g->name.span.start, g->name.span.end, &g->name_comments);
    if (g->departments.present)
        add_anchor(v, n, cap, g->departments.span.start, g->departments.span.end,
                   &g->departments_comments);
    for (size_t i = 0; i < g->nconds; i++)
        add_anchor(v, n, cap, g->conds[i].span.start, g->conds[i].span.end, &g->conds[i].comments);
    if (g->match) add_anchor(v, n, cap, g->match_span.start, g->match_span.end, &g->match_comments);
    if (g->where) add_anchor(v, n, cap, g->where_span.start, g->where_span.end, &g->where_comments);
    if (g->allow.present)
        add_anchor(v, n, cap, g->allow.span.start, g->allow.span.end, &g->allow_comments);
    if (g->block.present)
        add_anchor(v, n, cap, g->block.span.start, g->block.span.end, &g->block_comments);
    if (g->span.end > g->span.start) add_anchor(v, n, cap, g->span.end - 1, g->span.end, NULL);
}

void gp_attach_comments(ast_file *f, gp_comment *c, size_t n) {
    anchor *v = NULL;
    size_t nv = 0, cap = 0;
    for (size_t i = 0; i < f->ngroups; i++) group_anchors(&f->groups[i], &v, &nv, &cap);
    if (nv > 1) qsort(v, nv, sizeof *v, anchor_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t at = c[i].offset;
        while (k < nv && v[k].at <= at) k++;
        bool inside = k > 0 && at < v[k - 1].end;
        if (k == nv || !v[k].to || inside) continue;
        ast_comments_add(v[k].to, c[i].text);
        c[i].text = NULL;
    }
    free(v);
}
