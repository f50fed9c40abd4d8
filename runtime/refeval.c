/* refeval.c: the reference evaluator (runtime/refeval.h). Row at a time, no preparation, no
 * sharing with vm.c: every comparison is spelled out as the spec words it, with case folding done
 * on the spot, department subtrees found by walking parents, and `reports to` by walking the leader
 * chain forward. Slow by design; clear enough to be the oracle the VM is tested against. */
#include "runtime/refeval.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/date.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "common/util.h"
#include "runtime/bitmap.h"

/* ---- a member's values of a field ---- */

/* Where a field's values come from. main_department is read as the first department listed, not
 * from the loader's derived column, so that the derived column is checked as well. */
typedef struct ref_field {
    const rs_field *f;
    const rs_column *col;
    bool first_only;
} ref_field;

static bool ref_field_of(const rs_snapshot *s, const rs_field *cf, ref_field *rf) {
    if (!cf) return false;
    int idx = rs_schema_index(s->schema, cf->derived ? "department" : cf->name);
    if (idx < 0) return false;
    rf->f = &s->schema->fields[idx];
    rf->col = &s->columns[idx];
    rf->first_only = cf->derived;
    return true;
}

static bool ref_empty(const ref_field *rf, uint32_t m) { return rs_bm_get(rf->col->empty, m); }

static uint32_t ref_count(const ref_field *rf, uint32_t m) {
    if (ref_empty(rf, m)) return 0;
    if (!rf->f->multi) return 1;
    uint32_t n = rf->col->offsets[m + 1] - rf->col->offsets[m];
    return rf->first_only && n > 1 ? 1 : n;
}

/* Index into the column's value array of the member's i-th value. */
static uint32_t ref_pos(const ref_field *rf, uint32_t m, uint32_t i) {
    return rf->f->multi ? rf->col->offsets[m] + i : m;
}

/* The i-th value as a string: text as written, option as declared, ids. */
static const char *ref_str(const rs_snapshot *s, const ref_field *rf, uint32_t pos, size_t *len) {
    if (!rf->col->codes) return rs_strtab_get(&s->member_ids, pos, len);   /* `id`: no codes */
    uint32_t code = rf->col->codes[pos];
    switch (rf->f->type) {
    case RS_T_TEXT: return rs_strtab_get(&rf->col->dict.raw, code, len);
    case RS_T_OPTION: *len = strlen(rf->f->options[code]); return rf->f->options[code];
    case RS_T_PERSONNEL: return rs_strtab_get(&s->member_ids, code, len);
    case RS_T_DEPARTMENT: return rs_strtab_get(&s->depts.ids, code, len);
    default: *len = 0; return "";
    }
}

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    return alen == blen && memcmp(a, b, alen) == 0;
}

static bool folded_equal(const char *a, size_t alen, const char *b, size_t blen) {
    size_t fa, fb;
    char *x = rs_casefold(a, alen, &fa), *y = rs_casefold(b, blen, &fb);
    bool eq = same_bytes(x, fa, y, fb);
    free(x);
    free(y);
    return eq;
}

static int32_t resolve_day(const rs_cvalue *v, int32_t today) { return v->is_today ? today + v->day : v->day; }

/* A number or date value as a double, for comparisons. */
static double ref_num(const ref_field *rf, uint32_t pos) {
    return rf->f->type == RS_T_DATE ? (double)rf->col->days[pos] : rf->col->nums[pos];
}

static double cvalue_num(const ref_field *rf, const rs_cvalue *v, int32_t today) {
    return rf->f->type == RS_T_DATE ? (double)resolve_day(v, today) : v->num;
}

/* `equals` between one value of the member and one value of the rule. */
static bool value_equals(const rs_snapshot *s, const ref_field *rf, uint32_t pos, const rs_cvalue *v,
                         int32_t today) {
    size_t len;
    const char *str;
    switch (rf->f->type) {
    case RS_T_TEXT:
    case RS_T_OPTION:
        str = ref_str(s, rf, pos, &len);
        return folded_equal(str, len, v->str, v->len);
    case RS_T_PERSONNEL:
    case RS_T_DEPARTMENT:
        str = ref_str(s, rf, pos, &len);
        return same_bytes(str, len, v->str, v->len);
    case RS_T_BOOL: return (double)rf->col->codes[pos] == v->num;
    case RS_T_NUMBER: return rf->col->nums[pos] == v->num;
    case RS_T_DATE: return rf->col->days[pos] == resolve_day(v, today);
    default: return false;
    }
}

/* ---- departments and leaders ---- */

/* Whether department d is `id`, or (sub) below it: walking parents up to the root. */
static bool dept_is(const rs_snapshot *s, uint32_t d, const char *id, size_t len, bool sub) {
    for (uint32_t steps = 0; d != RS_NONE && steps <= s->depts.n; steps++) {
        size_t dlen;
        const char *did = rs_strtab_get(&s->depts.ids, d, &dlen);
        if (same_bytes(did, dlen, id, len)) return true;
        if (!sub) return false;
        d = s->depts.parent[d];
    }
    return false;
}

static bool dept_in_values(const rs_snapshot *s, uint32_t d, const rs_ccond *c) {
    for (size_t i = 0; i < c->ast->nvalues; i++)
        if (dept_is(s, d, c->values[i].str, c->values[i].len, c->ast->with_sub)) return true;
    return false;
}

/* Whether following the personnel field from m reaches the member `id`: depth first over every link,
 * m itself marked as visited from the start, so a loop is cut where it comes back. */
static bool reports_to(const rs_snapshot *s, const ref_field *rf, uint32_t m, const char *id, size_t len) {
    uint32_t n = s->nmembers;
    unsigned char *visited = rs_calloc(n ? n : 1, 1);
    uint32_t *todo = rs_malloc(((size_t)n + 1) * sizeof *todo);
    size_t ntodo = 0;
    bool found = false;
    visited[m] = 1;
    todo[ntodo++] = m;
    while (ntodo && !found) {
        uint32_t u = todo[--ntodo];
        for (uint32_t i = 0; i < ref_count(rf, u) && !found; i++) {
            uint32_t leader = rf->col->codes[ref_pos(rf, u, i)];
            if (visited[leader]) continue;
            visited[leader] = 1;
            size_t llen;
            const char *lid = rs_strtab_get(&s->member_ids, leader, &llen);
            found = same_bytes(lid, llen, id, len);
            todo[ntodo++] = leader;
        }
    }
    free(todo);
    free(visited);
    return found;
}

/* ---- conditions ---- */

static bool any_value_equals(const rs_snapshot *s, const ref_field *rf, uint32_t m, const rs_ccond *c,
                             int32_t today) {
    for (uint32_t i = 0; i < ref_count(rf, m); i++)
        for (size_t k = 0; k < c->ast->nvalues; k++)
            if (value_equals(s, rf, ref_pos(rf, m, i), &c->values[k], today)) return true;
    return false;
}

static bool includes_all(const rs_snapshot *s, const ref_field *rf, uint32_t m, const rs_ccond *c,
                         int32_t today) {
    if (ref_count(rf, m) == 0) return false;
    for (size_t k = 0; k < c->ast->nvalues; k++) {
        bool held = false;
        for (uint32_t i = 0; i < ref_count(rf, m) && !held; i++)
            held = value_equals(s, rf, ref_pos(rf, m, i), &c->values[k], today);
        if (!held) return false;
    }
    return true;
}

static bool text_match(const rs_snapshot *s, const ref_field *rf, uint32_t m, const rs_cvalue *v,
                       bool prefix) {
    size_t nlen;
    char *needle = rs_casefold(v->str, v->len, &nlen);
    bool hit = false;
    for (uint32_t i = 0; i < ref_count(rf, m) && !hit; i++) {
        size_t len, flen;
        const char *raw = ref_str(s, rf, ref_pos(rf, m, i), &len);
        char *hay = rs_casefold(raw, len, &flen);
        if (prefix) hit = flen >= nlen && memcmp(hay, needle, nlen) == 0;
        else hit = nlen == 0 || memmem(hay, flen, needle, nlen) != NULL;
        free(hay);
    }
    free(needle);
    return hit;
}

static bool compare(ast_op op, double x, double a, double b) {
    switch (op) {
    case AST_OP_BEFORE: case AST_OP_LESS: return x < a;
    case AST_OP_ON_OR_BEFORE: case AST_OP_AT_MOST: return x <= a;
    case AST_OP_AFTER: case AST_OP_GREATER: return x > a;
    case AST_OP_ON_OR_AFTER: case AST_OP_AT_LEAST: return x >= a;
    case AST_OP_BETWEEN: return a <= x && x <= b;
    default: return false;
    }
}

static bool any_compares(const ref_field *rf, uint32_t m, const rs_ccond *c, int32_t today) {
    double a = cvalue_num(rf, &c->values[0], today);
    double b = c->ast->nvalues > 1 ? cvalue_num(rf, &c->values[1], today) : a;
    for (uint32_t i = 0; i < ref_count(rf, m); i++)
        if (compare(c->ast->op, ref_num(rf, ref_pos(rf, m, i)), a, b)) return true;
    return false;
}

/* belong to: every department is listed (and there is one); partly: at least one is. */
static bool belongs(const rs_snapshot *s, const ref_field *rf, uint32_t m, const rs_ccond *c, bool every) {
    uint32_t n = ref_count(rf, m);
    if (n == 0) return false;
    for (uint32_t i = 0; i < n; i++) {
        bool in = dept_in_values(s, rf->col->codes[ref_pos(rf, m, i)], c);
        if (every && !in) return false;
        if (!every && in) return true;
    }
    return every;
}

static bool cond_eval(const rs_ccond *c, const rs_snapshot *s, uint32_t m, int32_t today) {
    ref_field rf;
    if (!c->ok || !ref_field_of(s, c->field, &rf)) return false;
    switch (c->ast->op) {
    case AST_OP_EQUALS: case AST_OP_ANY_OF: return any_value_equals(s, &rf, m, c, today);
    case AST_OP_NOT_EQUAL: case AST_OP_NONE_OF: return !any_value_equals(s, &rf, m, c, today);
    case AST_OP_INCLUDE_ALL: return includes_all(s, &rf, m, c, today);
    case AST_OP_IS_EMPTY: return ref_empty(&rf, m);
    case AST_OP_NOT_EMPTY: return !ref_empty(&rf, m);
    case AST_OP_CONTAINS: return text_match(s, &rf, m, &c->values[0], false);
    case AST_OP_NOT_CONTAINS: return !text_match(s, &rf, m, &c->values[0], false);
    case AST_OP_STARTS_WITH: return text_match(s, &rf, m, &c->values[0], true);
    case AST_OP_BELONG: return belongs(s, &rf, m, c, true);
    case AST_OP_PARTLY_BELONG: return belongs(s, &rf, m, c, false);
    case AST_OP_NOT_BELONG: return !belongs(s, &rf, m, c, false);
    case AST_OP_REPORTS_TO: return reports_to(s, &rf, m, c->values[0].str, c->values[0].len);
    default: return any_compares(&rf, m, c, today);
    }
}

/* ---- the group ---- */

static bool listed(const ast_strlist *l, const char *id, size_t len) {
    for (size_t i = 0; i < l->n; i++)
        if (same_bytes(l->items[i].s, l->items[i].len, id, len)) return true;
    return false;
}

/* In scope: one of the member's departments is listed (or below one, with sub-departments). */
static bool in_scope(const ast_group *ag, const rs_snapshot *s, uint32_t m, uint32_t *via) {
    *via = RS_NONE;
    if (!ag->departments.present || ag->departments.n == 0) return true;
    ref_field rf;
    if (!ref_field_of(s, rs_schema_field(s->schema, "department"), &rf)) return false;
    for (uint32_t i = 0; i < ref_count(&rf, m); i++) {
        uint32_t d = rf.col->codes[ref_pos(&rf, m, i)];
        for (size_t k = 0; k < ag->departments.n; k++)
            if (dept_is(s, d, ag->departments.items[k].s, ag->departments.items[k].len,
                        ag->departments_with_sub)) {
                *via = d;
                return true;
            }
    }
    return false;
}

static bool is_active(const rs_snapshot *s, uint32_t m) {
    if (s->status_field < 0) return true;
    ref_field rf = {&s->schema->fields[s->status_field], &s->columns[s->status_field], false};
    if (ref_empty(&rf, m)) return false;
    const char *opt = rf.f->options[rf.col->codes[m]];
    return folded_equal(opt, strlen(opt), "active", 6);
}

/* Index of a `where` condition among g->where_conds (the order results are kept in). */
static size_t where_index(const rs_cgroup *g, const ast_cond *c) {
    for (size_t i = 0; i < g->nwhere; i++)
        if (g->where_conds[i]->ast == c) return i;
    return 0;
}

/* Index of numbered condition `number` among g->conds. */
static size_t number_index(const rs_cgroup *g, uint32_t number) {
    for (size_t i = 0; i < g->ast->nconds; i++)
        if (g->ast->conds[i].number == number) return i;
    return 0;
}

static bool expr_eval(const rs_cgroup *g, const ast_expr *e, const bool *results) {
    switch (e->kind) {
    case AST_EXPR_AND: return expr_eval(g, e->lhs, results) && expr_eval(g, e->rhs, results);
    case AST_EXPR_OR: return expr_eval(g, e->lhs, results) || expr_eval(g, e->rhs, results);
    case AST_EXPR_NOT: return !expr_eval(g, e->lhs, results);
    case AST_EXPR_REF: return results[number_index(g, e->ref)];
    case AST_EXPR_COND: return results[where_index(g, e->cond)];
    }
    return false;
}

/* The conditions in the order their results are kept: `where` left to right, else as numbered. */
static size_t cond_list(const rs_cgroup *g, const rs_ccond **out) {
    if (g->ast->where) {
        for (size_t i = 0; i < g->nwhere; i++) out[i] = g->where_conds[i];
        return g->nwhere;
    }
    for (size_t i = 0; i < g->ast->nconds; i++) out[i] = &g->conds[i];
    return g->ast->nconds;
}

static bool match_eval(const rs_cgroup *g, const bool *results, size_t n) {
    const ast_expr *e = g->ast->where ? g->ast->where : g->ast->match;
    if (e) return expr_eval(g, e, results);
    for (size_t i = 0; i < n; i++)
        if (!results[i]) return false;
    return true;
}

static int explain_cond_cmp(const void *a, const void *b) {
    const rs_explain_cond *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

void rs_explain_free(rs_explain *ex) {
    if (!ex) return;
    free(ex->conds);
    memset(ex, 0, sizeof *ex);
}

bool rs_ref_eval(const rs_cgroup *g, const rs_snapshot *s, uint32_t member, int32_t today,
                 rs_explain *ex) {
    const ast_group *ag = g->ast;
    size_t cap = (ag->where ? g->nwhere : ag->nconds) + 1;
    const rs_ccond **conds = rs_malloc(cap * sizeof *conds);
    bool *results = rs_calloc(cap, sizeof *results);
    size_t n = cond_list(g, conds);
    for (size_t i = 0; i < n; i++) results[i] = cond_eval(conds[i], s, member, today);
    uint32_t via;
    bool scope = in_scope(ag, s, member, &via);
    bool match = match_eval(g, results, n);
    size_t idlen;
    const char *id = rs_strtab_get(&s->member_ids, member, &idlen);
    bool allowed = listed(&ag->allow, id, idlen), blocked = listed(&ag->block, id, idlen);
    bool active = is_active(s, member);
    bool result = active && ((scope && match) || allowed) && !blocked;
    if (ex) {
        rs_explain_free(ex);
        *ex = (rs_explain){.group = g, .member = member, .today = today, .scope = scope,
                           .scope_department = via, .nconds = n, .match = match,
                           .allowed = allowed, .blocked = blocked,
                           .has_status = s->status_field >= 0, .active = active, .result = result};
        ex->conds = rs_calloc(n + 1, sizeof *ex->conds);
        for (size_t i = 0; i < n; i++)
            ex->conds[i] = (rs_explain_cond){ag->where ? (uint32_t)(i + 1) : conds[i]->ast->number,
                                             conds[i], results[i]};
        qsort(ex->conds, n, sizeof *ex->conds, explain_cond_cmp);   /* by number, as `fmt` lists them */
    }
    free(conds);
    free(results);
    return result;
}

/* ---- rendering ---- */

/* Integers as integers (1000000, not 1e+06); others as the shortest decimal that reads back as the
 * same double. */
static void put_number(rs_sb *out, double x) {
    char buf[40];
    if (x == floor(x) && fabs(x) < 1e15) {
        rs_sb_printf(out, "%.0f", x == 0 ? 0.0 : x);   /* no "-0" */
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    rs_sb_puts(out, buf);
}

static void put_day(rs_sb *out, int32_t day, bool json) {
    char buf[RS_DATE_MAX];
    rs_date_format(day, buf);
    if (json) rs_sb_json_str(out, buf, strlen(buf));
    else rs_sb_puts(out, buf);
}

/* One value of the member: quoted strings, bare numbers, dates and booleans. */
static void put_member_value(rs_sb *out, const rs_snapshot *s, const ref_field *rf, uint32_t pos, bool json) {
    size_t len;
    const char *str;
    switch (rf->f->type) {
    case RS_T_NUMBER: put_number(out, rf->col->nums[pos]); break;
    case RS_T_DATE: put_day(out, rf->col->days[pos], json); break;
    case RS_T_BOOL: rs_sb_puts(out, rf->col->codes[pos] ? "true" : "false"); break;
    default:
        str = ref_str(s, rf, pos, &len);
        if (json) rs_sb_json_str(out, str, len);
        else rs_sb_rule_str(out, str, len);
        break;
    }
}

/* The member's value of the condition's field: "empty" / null, one value, or [a, b]. */
static void put_member_values(rs_sb *out, const rs_snapshot *s, const rs_ccond *c, uint32_t m, bool json) {
    ref_field rf;
    if (!ref_field_of(s, c->field, &rf) || ref_empty(&rf, m)) {
        rs_sb_puts(out, json ? "null" : "empty");
        return;
    }
    bool list = rf.f->multi && !rf.first_only;
    if (list) rs_sb_putc(out, '[');
    for (uint32_t i = 0; i < ref_count(&rf, m); i++) {
        if (i) rs_sb_puts(out, ", ");
        put_member_value(out, s, &rf, ref_pos(&rf, m, i), json);
    }
    if (list) rs_sb_putc(out, ']');
}

/* A value of the rule as written (relative dates with the day they mean in this run). */
static void put_rule_value(rs_sb *out, const ast_value *v, int32_t today) {
    switch (v->kind) {
    case AST_VAL_STRING: rs_sb_rule_str(out, v->str, v->len); break;
    case AST_VAL_NUMBER:
        if (v->str) rs_sb_put(out, v->str, v->len);
        else put_number(out, v->num);
        break;
    case AST_VAL_DATE: put_day(out, v->day, false); break;
    case AST_VAL_BOOL: rs_sb_puts(out, v->b ? "true" : "false"); break;
    case AST_VAL_TODAY:
        rs_sb_puts(out, "today");
        if (v->unit)
            rs_sb_printf(out, " %c %d %s%s", v->day < 0 ? '-' : '+', abs(v->count),
                         v->unit == 'w' ? "week" : "day", abs(v->count) == 1 ? "" : "s");
        rs_sb_puts(out, " (");
        put_day(out, today + v->day, false);
        rs_sb_putc(out, ')');
        break;
    }
}

/* "join_date is on or after 2026-01-01", "city is any of (\"Shanghai\", \"Hangzhou\")". */
static void put_condition(rs_sb *out, const ast_cond *c, int32_t today) {
    rs_sb_printf(out, "%s %s", c->field, ast_op_text(c->op));
    switch (ast_op_args(c->op)) {
    case AST_ARGS_NONE: break;
    case AST_ARGS_TWO:
        rs_sb_putc(out, ' ');
        put_rule_value(out, &c->values[0], today);
        rs_sb_puts(out, " and ");
        put_rule_value(out, &c->values[1], today);
        break;
    default:
        rs_sb_puts(out, c->list_form || c->nvalues != 1 ? " (" : " ");
        for (size_t i = 0; i < c->nvalues; i++) {
            if (i) rs_sb_puts(out, ", ");
            put_rule_value(out, &c->values[i], today);
        }
        if (c->list_form || c->nvalues != 1) rs_sb_putc(out, ')');
        break;
    }
    if (c->with_sub) rs_sb_puts(out, " with sub-departments");
}

/* Minimal parentheses, plus one pair wherever `and` and `or` meet, as admins write them:
 * "1 or (2 and 3)" rather than "1 or 2 and 3". */
static bool binary(const ast_expr *e) { return e->kind == AST_EXPR_AND || e->kind == AST_EXPR_OR; }

static void put_expr(rs_sb *out, const rs_cgroup *g, const ast_expr *e, const ast_expr *parent) {
    bool parens = parent && binary(e) && (parent->kind == AST_EXPR_NOT || parent->kind != e->kind);
    if (parens) rs_sb_putc(out, '(');
    switch (e->kind) {
    case AST_EXPR_AND:
    case AST_EXPR_OR:
        put_expr(out, g, e->lhs, e);
        rs_sb_puts(out, e->kind == AST_EXPR_AND ? " and " : " or ");
        put_expr(out, g, e->rhs, e);
        break;
    case AST_EXPR_NOT:
        rs_sb_puts(out, "not ");
        put_expr(out, g, e->lhs, e);
        break;
    case AST_EXPR_REF: rs_sb_printf(out, "%u", e->ref); break;
    case AST_EXPR_COND: rs_sb_printf(out, "%zu", where_index(g, e->cond) + 1); break;
    }
    if (parens) rs_sb_putc(out, ')');
}

/* "1 or (2 and 3)", "1 and 2 (all conditions)", "(no conditions)". */
static void put_match(rs_sb *out, const rs_explain *ex) {
    const ast_group *ag = ex->group->ast;
    const ast_expr *e = ag->where ? ag->where : ag->match;
    if (e) {
        put_expr(out, ex->group, e, NULL);
    } else if (ex->nconds == 0) {
        rs_sb_puts(out, "(no conditions)");
    } else {
        for (size_t i = 0; i < ex->nconds; i++) rs_sb_printf(out, "%s%u", i ? " and " : "", ex->conds[i].number);
        if (ex->nconds > 1) rs_sb_puts(out, " (all conditions)");
    }
}

static void put_scope_rule(rs_sb *out, const ast_group *ag, bool json) {
    for (size_t i = 0; i < ag->departments.n; i++) {
        if (i) rs_sb_puts(out, json ? "," : ", ");
        if (json) rs_sb_json_str(out, ag->departments.items[i].s, ag->departments.items[i].len);
        else rs_sb_put(out, ag->departments.items[i].s, ag->departments.items[i].len);
    }
}

static void put_dept(rs_sb *out, const rs_snapshot *s, uint32_t d, bool json) {
    size_t len;
    const char *id = rs_strtab_get(&s->depts.ids, d, &len);
    if (json) rs_sb_json_str(out, id, len);
    else rs_sb_put(out, id, len);
}

/* Pads the line being built (which started at `start`) to `width` code points. */
static void pad_to(rs_sb *out, size_t start, size_t width) {
    size_t used = rs_utf8_count(out->buf + start, out->len - start);
    do rs_sb_putc(out, ' ');
    while (++used < width);
}

/* The member's display name (the text field `name`), or NULL. */
static const char *member_name(const rs_snapshot *s, uint32_t m, size_t *len) {
    if (s->name_field < 0 || rs_bm_get(s->columns[s->name_field].empty, m)) return NULL;
    const rs_column *nc = &s->columns[s->name_field];
    return rs_strtab_get(&nc->dict.raw, nc->codes[m], len);
}

static void text_header(const rs_explain *ex, const rs_snapshot *s, rs_sb *out) {
    size_t len;
    const char *id = rs_strtab_get(&s->member_ids, ex->member, &len);
    rs_sb_put(out, id, len);
    const char *name = member_name(s, ex->member, &len);
    if (name) {
        rs_sb_puts(out, " (");
        rs_sb_put(out, name, len);
        rs_sb_putc(out, ')');
    }
    rs_sb_puts(out, " in group ");
    rs_sb_rule_str(out, ex->group->ast->id.s, ex->group->ast->id.len);
    rs_sb_puts(out, ":\n");
}

static void text_scope(const rs_explain *ex, const rs_snapshot *s, rs_sb *out, size_t width) {
    const ast_group *ag = ex->group->ast;
    size_t start = out->len;
    rs_sb_puts(out, "  scope   ");
    if (!ag->departments.present || ag->departments.n == 0) {
        rs_sb_puts(out, "whole organisation");
    } else {
        rs_sb_puts(out, "departments ");
        put_scope_rule(out, ag, false);
        if (ag->departments_with_sub) rs_sb_puts(out, " with sub-departments");
    }
    pad_to(out, start, width);
    rs_sb_printf(out, "-> %s", ex->scope ? "true" : "false");
    if (ex->scope_department != RS_NONE) {
        rs_sb_puts(out, " (department ");
        put_dept(out, s, ex->scope_department, false);
        rs_sb_putc(out, ')');
    } else if (!ex->scope) {   /* show where the member is instead: a member may be in none */
        ref_field rf;
        if (ref_field_of(s, rs_schema_field(s->schema, "department"), &rf) && ref_count(&rf, ex->member)) {
            rs_sb_puts(out, " (member in ");
            for (uint32_t i = 0; i < ref_count(&rf, ex->member); i++) {
                if (i) rs_sb_puts(out, ", ");
                put_dept(out, s, rf.col->codes[ref_pos(&rf, ex->member, i)], false);
            }
            rs_sb_putc(out, ')');
        } else {
            rs_sb_puts(out, " (member in no department)");
        }
    }
    rs_sb_putc(out, '\n');
}

void rs_explain_text(const rs_explain *ex, const rs_snapshot *s, rs_sb *out) {
    rs_sb line = {0};
    size_t cwidth = 0, vwidth = 0;
    for (size_t i = 0; i < ex->nconds; i++) {   /* column widths: condition text, then value */
        rs_sb_clear(&line);
        put_condition(&line, ex->conds[i].cond->ast, ex->today);
        size_t w = rs_utf8_count(line.buf, line.len);
        if (w > cwidth) cwidth = w;
        rs_sb_clear(&line);
        put_member_values(&line, s, ex->conds[i].cond, ex->member, false);
        w = rs_utf8_count(line.buf, line.len);
        if (w > vwidth) vwidth = w;
    }
    rs_sb_free(&line);
    size_t width = 2 + 3 + cwidth + 2 + 6 + vwidth + 2;
    text_header(ex, s, out);
    text_scope(ex, s, out, width);
    for (size_t i = 0; i < ex->nconds; i++) {
        size_t start = out->len;
        rs_sb_printf(out, "  %-2u ", ex->conds[i].number);
        put_condition(out, ex->conds[i].cond->ast, ex->today);
        pad_to(out, start, 2 + 3 + cwidth + 2);
        rs_sb_puts(out, "value ");
        put_member_values(out, s, ex->conds[i].cond, ex->member, false);
        pad_to(out, start, width);
        rs_sb_printf(out, "-> %s\n", ex->conds[i].result ? "true" : "false");
    }
    size_t start = out->len;
    rs_sb_puts(out, ex->group->ast->where ? "  where " : "  match ");
    put_match(out, ex);
    pad_to(out, start, width);
    rs_sb_printf(out, "-> %s\n", ex->match ? "true" : "false");
    rs_sb_printf(out, "  allow   %-5s block   %-5s status  %s\n", ex->allowed ? "yes" : "no",
                 ex->blocked ? "yes" : "no",
                 !ex->has_status ? "(no status field)" : ex->active ? "active" : "not active");
    rs_sb_puts(out, ex->result ? "  => member\n" : "  => not a member\n");
}

static void json_status(const rs_explain *ex, const rs_snapshot *s, rs_sb *out) {
    rs_sb_puts(out, ",\"status\":");
    if (!ex->has_status || rs_bm_get(s->columns[s->status_field].empty, ex->member)) {
        rs_sb_puts(out, "null");
    } else {
        const char *opt = s->schema->fields[s->status_field].options[s->columns[s->status_field].codes[ex->member]];
        rs_sb_json_str(out, opt, strlen(opt));
    }
    rs_sb_printf(out, ",\"active\":%s", ex->active ? "true" : "false");
}

static void json_conditions(const rs_explain *ex, const rs_snapshot *s, rs_sb *out) {
    rs_sb text = {0};
    rs_sb_puts(out, ",\"conditions\":[");
    for (size_t i = 0; i < ex->nconds; i++) {
        const ast_cond *c = ex->conds[i].cond->ast;
        rs_sb_clear(&text);
        put_condition(&text, c, ex->today);
        rs_sb_printf(out, "%s{\"number\":%u,\"condition\":", i ? "," : "", ex->conds[i].number);
        rs_sb_json_str(out, text.buf, text.len);
        rs_sb_puts(out, ",\"field\":");
        rs_sb_json_str(out, c->field, strlen(c->field));
        rs_sb_puts(out, ",\"operator\":");
        rs_sb_json_str(out, ast_op_text(c->op), strlen(ast_op_text(c->op)));
        rs_sb_puts(out, ",\"value\":");
        put_member_values(out, s, ex->conds[i].cond, ex->member, true);
        rs_sb_printf(out, ",\"result\":%s}", ex->conds[i].result ? "true" : "false");
    }
    rs_sb_putc(out, ']');
    rs_sb_free(&text);
}

void rs_explain_json(const rs_explain *ex, const rs_snapshot *s, rs_sb *out) {
    const ast_group *ag = ex->group->ast;
    size_t len;
    const char *id = rs_strtab_get(&s->member_ids, ex->member, &len);
    rs_sb_puts(out, "{\"member\":");
    rs_sb_json_str(out, id, len);
    rs_sb_puts(out, ",\"name\":");
    const char *name = member_name(s, ex->member, &len);
    if (name) rs_sb_json_str(out, name, len);
    else rs_sb_puts(out, "null");
    rs_sb_puts(out, ",\"group\":");
    rs_sb_json_str(out, ag->id.s, ag->id.len);
    rs_sb_puts(out, ",\"scope\":{\"departments\":[");
    put_scope_rule(out, ag, true);
    rs_sb_printf(out, "],\"with_sub_departments\":%s,\"result\":%s,\"department\":",
                 ag->departments_with_sub ? "true" : "false", ex->scope ? "true" : "false");
    if (ex->scope_department != RS_NONE) put_dept(out, s, ex->scope_department, true);
    else rs_sb_puts(out, "null");
    rs_sb_putc(out, '}');
    json_conditions(ex, s, out);
    rs_sb_puts(out, ",\"match\":{\"expression\":");
    rs_sb text = {0};
    put_match(&text, ex);
    rs_sb_json_str(out, text.buf ? text.buf : "", text.len);
    rs_sb_free(&text);
    rs_sb_printf(out, ",\"result\":%s},\"allowlisted\":%s,\"blocklisted\":%s", ex->match ? "true" : "false",
                 ex->allowed ? "true" : "false", ex->blocked ? "true" : "false");
    json_status(ex, s, out);
    rs_sb_printf(out, ",\"result\":%s}\n", ex->result ? "true" : "false");
}
