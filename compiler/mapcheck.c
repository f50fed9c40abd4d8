/* mapcheck.c: the checker of mapping files. Every error is reported with its line and column and
 * the check goes on, so one run lists them all: unknown source paths and target fields, types,
 * calls, targets mapped twice, required targets left unmapped, and changes to the `default` and
 * `recommended` lines of the mapping set a file extends. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compiler/mapping.h"
#include "grammar/grammar.h"
#include "common/regex.h"
#include "common/strbuf.h"
#include "common/util.h"

typedef struct mc {
    rs_diags *d;
    const rs_source *src;
    const ast_mapping *m;
    rs_mapenv *env;
    const char *dir;
} mc;

static rs_diag *err(mc *c, rs_code code, rs_span at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static rs_diag *err(mc *c, rs_code code, rs_span at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rs_diag *dg = rs_diag_atv(c->d, code, c->src, at, fmt, ap);
    va_end(ap);
    c->env->ok = false;
    return dg;
}

static map_type check_expr(mc *c, const map_expr *e);

/* ---- source paths ---- */

/* "organizations[0].title" -> "organizations[].title"; a filter step also names the key it tests. */
static void normalise(const map_expr *e, size_t upto, rs_sb *out) {
    for (size_t i = 0; i < upto; i++) {
        const map_step *s = &e->steps[i];
        if (s->kind == MAP_STEP_KEY) {
            if (i) rs_sb_putc(out, '.');
            rs_sb_put(out, s->key, s->key_len);
        } else {
            rs_sb_puts(out, "[]");
        }
    }
}

static void unknown_path(mc *c, rs_span at, const char *path) {
    const rs_srcschema *s = c->env->src;
    const char **names = rs_calloc(s->n + 1, sizeof *names);
    for (size_t i = 0; i < s->n; i++) names[i] = s->paths[i].path;
    const char *near = rs_nearest(path, strlen(path), names, s->n, 0);
    rs_diag *dg = err(c, RS_E_MAP_UNKNOWN_PATH, at, "the source schema has no path '%s'", path);
    if (near) rs_diag_help(dg, "did you mean '%s'?", near);
    else rs_diag_help(dg, "the source schema lists the paths a mapping may read");
    free(names);
}

/* The key a filter step compares (for [primary]: `primary`) must be a declared path of the array's
 * elements. */
static void check_filters(mc *c, const map_expr *e) {
    for (size_t i = 0; i < e->nsteps; i++) {
        if (e->steps[i].kind != MAP_STEP_FILTER && e->steps[i].kind != MAP_STEP_PRIMARY) continue;
        rs_sb sb = {0};
        normalise(e, i + 1, &sb);
        rs_sb_putc(&sb, '.');
        rs_sb_put(&sb, e->steps[i].key, e->steps[i].key_len);
        map_type t;
        if (!rs_srcschema_type(c->env->src, sb.buf, &t)) unknown_path(c, e->steps[i].span, sb.buf);
        rs_sb_free(&sb);
    }
}

static map_type check_path(mc *c, const map_expr *e) {
    rs_sb sb = {0};
    normalise(e, e->nsteps, &sb);
    map_type t = MT_ANY;
    if (!rs_srcschema_type(c->env->src, sb.buf, &t)) {
        rs_sb_puts(&sb, "[]");
        if (rs_srcschema_type(c->env->src, sb.buf, &t)) {
            t = MT_LIST;   /* an array of scalars read whole */
        } else {
            sb.buf[sb.len - 2] = '\0';
            unknown_path(c, e->span, sb.buf);
            t = MT_ANY;
        }
    }
    rs_sb_free(&sb);
    check_filters(c, e);
    return t;
}

/* ---- calls ---- */

static bool has_table(const ast_mapping *m, const char *name, size_t len) {
    for (size_t i = 0; i < m->ntables; i++)
        if (m->tables[i].name.len == len && memcmp(m->tables[i].name.s, name, len) == 0) return true;
    return false;
}

/* lookup("table", key): the table is named by a string literal declared with a `table` line. */
static void check_lookup(mc *c, const map_expr *e) {
    const map_expr *t = e->args[0];
    if (t->kind != MAP_X_LITERAL || t->lit.kind != AST_VAL_STRING) {
        rs_diag *dg = err(c, RS_E_MAP_BAD_CALL, t->span, "lookup names its table with a string");
        rs_diag_help(dg, "write lookup(\"orgunits\", orgUnitPath)");
    } else if (!has_table(c->m, t->lit.str, t->lit.len)) {
        rs_diag *dg = err(c, RS_E_MAP_LOOKUP_TABLE, t->span, "no table \"%.*s\" in this mapping",
                          (int)(t->lit.len > 60 ? 60 : t->lit.len), t->lit.str);
        rs_diag_help(dg, "declare it in the mapping: table \"%.*s\" = \"file.csv\"",
                     (int)(t->lit.len > 60 ? 60 : t->lit.len), t->lit.str);
    }
}

static bool is_text_literal(const map_expr *e) {
    return e->kind == MAP_X_LITERAL && e->lit.kind == AST_VAL_STRING;
}

/* regex_replace(text, "pattern", "replacement"): both literals, compiled here once so that a bad
 * pattern is an error of the file, not of every record. */
static void check_regex(mc *c, const map_expr *e) {
    const map_expr *pat = e->args[1], *rep = e->args[2];
    if (!is_text_literal(pat) || !is_text_literal(rep)) {
        rs_diag *dg = err(c, RS_E_MAP_BAD_CALL, (is_text_literal(pat) ? rep : pat)->span,
                          "regex_replace takes its pattern and its replacement as strings");
        rs_diag_help(dg, "write regex_replace(mobile, \"[^0-9+]\", \"\")");
        return;
    }
    char why[256];
    rs_regex *re = rs_regex_new(pat->lit.str, pat->lit.len, why, sizeof why);
    if (!re) {
        rs_diag *dg = err(c, RS_E_MAP_BAD_REGEX, pat->span, "invalid regular expression: %s", why);
        rs_diag_help(dg, "the syntax is RE2's: no backreferences or lookaround");
        return;
    }
    if (!rs_regex_check_rewrite(re, rep->lit.str, rep->lit.len, why, sizeof why)) {
        rs_diag *dg = err(c, RS_E_MAP_BAD_REGEX, rep->span, "invalid replacement: %s", why);
        rs_diag_help(dg, "\\1 to \\9 name the pattern's groups, \\0 the whole match, \\\\ a backslash");
    }
    rs_regex_free(re);
}

static map_type unknown_fn(mc *c, const map_expr *e) {
    size_t n;
    const char *const *names = map_fn_names(&n);
    const char *near = rs_nearest(e->fn, strlen(e->fn), names, n, 0);
    rs_diag *dg = err(c, RS_E_MAP_UNKNOWN_FUNCTION, e->fn_span, "unknown function '%s'", e->fn);
    if (near) rs_diag_help(dg, "did you mean '%s'?", near);
    else rs_diag_help(dg, "the functions are lower, upper, trim, concat, coalesce, substr, replace, "
                          "split, join, if, lookup, date, format_date and regex_replace");
    for (size_t i = 0; i < e->nargs; i++) check_expr(c, e->args[i]);
    return MT_ANY;
}

static map_type check_call(mc *c, const map_expr *e) {
    int f = map_fn_find(e->fn);
    if (f < 0) return unknown_fn(c, e);
    size_t min, max;
    map_fn_arity((map_fn)f, &min, &max);
    map_type *types = rs_calloc(e->nargs + 1, sizeof *types);
    for (size_t i = 0; i < e->nargs; i++) types[i] = check_expr(c, e->args[i]);
    map_type out = MT_ANY;
    if (e->nargs < min || e->nargs > max) {
        /* the bound that was crossed: "at most 64" for 65 arguments, never "1 or more" */
        size_t bound = e->nargs > max ? max : min;
        const char *how = min == max ? "" : e->nargs > max ? "at most " : "at least ";
        rs_diag *dg = err(c, RS_E_MAP_BAD_CALL, e->span, "%s takes %s%zu argument%s, not %zu",
                          map_fn_name((map_fn)f), how, bound, bound == 1 ? "" : "s", e->nargs);
        rs_diag_help(dg, "%s", map_fn_doc((map_fn)f));
    } else {
        size_t bad = 0;
        map_type want = MT_ANY;
        out = map_fn_result((map_fn)f, types, e->nargs, &bad, &want);
        if (out == MT_ANY && want != MT_ANY) {
            rs_diag *dg = err(c, RS_E_MAP_TYPE, e->args[bad]->span,
                              "argument %zu of %s is %s; it must be %s", bad + 1,
                              map_fn_name((map_fn)f), map_type_name(types[bad]), map_type_name(want));
            rs_diag_help(dg, "%s", map_fn_doc((map_fn)f));
        }
        if (f == MAP_FN_LOOKUP) check_lookup(c, e);
        if (f == MAP_FN_REGEX_REPLACE) check_regex(c, e);
    }
    free(types);
    return out;
}

/* ---- and, or, not, comparisons ---- */

static void want_bool(mc *c, const map_expr *e, map_type t, const char *what) {
    if (t == MT_ANY || t == MT_BOOL) return;
    rs_diag *dg = err(c, RS_E_MAP_TYPE, e->span, "the operand of `%s` is %s; it must be a condition",
                      what, map_type_name(t));
    rs_diag_help(dg, "compare the value, for example: suspended equals true");
}

static bool op_fits(ast_op op, map_type t) {
    if (t == MT_ANY) return true;
    switch (op) {
    case AST_OP_EQUALS: case AST_OP_NOT_EQUAL: case AST_OP_ANY_OF: case AST_OP_NONE_OF:
        return t != MT_LIST;
    case AST_OP_IS_EMPTY: case AST_OP_NOT_EMPTY:
        return true;
    case AST_OP_INCLUDE_ALL:
        return t == MT_LIST;
    case AST_OP_CONTAINS: case AST_OP_NOT_CONTAINS: case AST_OP_STARTS_WITH:
        return t == MT_TEXT;
    case AST_OP_BEFORE: case AST_OP_ON_OR_BEFORE: case AST_OP_AFTER: case AST_OP_ON_OR_AFTER:
    case AST_OP_BETWEEN:
        return t == MT_DATE || t == MT_NUMBER;
    case AST_OP_GREATER: case AST_OP_LESS: case AST_OP_AT_LEAST: case AST_OP_AT_MOST:
        return t == MT_NUMBER;
    default:
        return false;   /* department and personnel operators have no meaning on a record */
    }
}

static map_type check_cmp(mc *c, const map_expr *e) {
    map_type lt = check_expr(c, e->lhs);
    if (!op_fits(e->op, lt)) {
        rs_diag *dg = err(c, RS_E_BAD_OPERATOR, e->op_span, "`%s` does not apply to %s values",
                          ast_op_text(e->op), map_type_name(lt));
        rs_diag_help(dg, "in mappings: equals, not equal to, is any of, is none of, is empty, "
                         "is not empty, contains, starts with, date and number comparisons");
    }
    if (ast_op_args(e->op) == AST_ARGS_ONE && e->list_form) {
        rs_diag *dg = err(c, RS_E_BAD_ARITY, e->op_span, "`%s` takes one value, not a list",
                          ast_op_text(e->op));
        rs_diag_help(dg, "use `is any of (...)` to compare with several values");
    }
    map_type want = lt == MT_LIST ? MT_TEXT : lt;
    for (size_t i = 0; i < e->nargs; i++) {
        map_type t = check_expr(c, e->args[i]);
        if (t == MT_ANY || want == MT_ANY || t == want) continue;
        rs_diag *dg = err(c, RS_E_MAP_TYPE, e->args[i]->span, "this value is %s; `%s` compares %s",
                          map_type_name(t), ast_op_text(e->op), map_type_name(want));
        rs_diag_help(dg, "compare values of one type (date(...) reads a date from text)");
    }
    return MT_BOOL;
}

static map_type literal_type(const ast_value *v) {
    switch (v->kind) {
    case AST_VAL_STRING: return MT_TEXT;
    case AST_VAL_NUMBER: return MT_NUMBER;
    case AST_VAL_DATE: case AST_VAL_TODAY: return MT_DATE;
    case AST_VAL_BOOL: return MT_BOOL;
    }
    return MT_ANY;
}

static map_type check_expr(mc *c, const map_expr *e) {
    switch (e->kind) {
    case MAP_X_LITERAL: return literal_type(&e->lit);
    case MAP_X_PATH: return check_path(c, e);
    case MAP_X_CALL: return check_call(c, e);
    case MAP_X_AND: case MAP_X_OR: {
        const char *what = e->kind == MAP_X_AND ? "and" : "or";
        want_bool(c, e->lhs, check_expr(c, e->lhs), what);
        want_bool(c, e->rhs, check_expr(c, e->rhs), what);
        return MT_BOOL;
    }
    case MAP_X_NOT:
        want_bool(c, e->lhs, check_expr(c, e->lhs), "not");
        return MT_BOOL;
    case MAP_X_CMP: return check_cmp(c, e);
    }
    return MT_ANY;
}

/* ---- items ---- */

static const char *type_help(map_type field, map_type expr) {
    if (field == MT_DATE && expr == MT_TEXT) return "date(...) reads a date from text";
    if (field == MT_TEXT && expr == MT_DATE) return "format_date(value, \"%Y-%m-%d\") writes a date as text";
    if (field == MT_TEXT && expr == MT_LIST) return "join(value, \",\") writes a list as text";
    if (field == MT_LIST && expr == MT_TEXT) return "split(value, \",\") makes a list from text";
    if (field == MT_TEXT) return "concat(value) writes a value as text";
    return "map a value of the field's type";
}

/* A literal mapped to a field with an allowed set must be one of them. */
static void check_allowed(mc *c, const map_item *it, const rs_tgtfield *f) {
    const map_expr *e = it->expr;
    if (!f->allowed || e->kind != MAP_X_LITERAL) return;
    const char *s = e->lit.str;
    size_t len = e->lit.len;
    if (e->lit.kind != AST_VAL_STRING && e->lit.kind != AST_VAL_NUMBER) return;
    for (size_t i = 0; i < f->nallowed; i++)
        if (strlen(f->allowed[i]) == len && memcmp(f->allowed[i], s, len) == 0) return;
    rs_diag *dg = err(c, RS_E_UNKNOWN_OPTION, e->span, "%.*s is not an allowed value of '%s'",
                      (int)(len > 60 ? 60 : len), s, f->name);
    rs_diag_help(dg, "the target schema allows: %s%s", f->allowed[0], f->nallowed > 1 ? ", ..." : "");
}

static void check_item(mc *c, size_t idx) {
    const map_item *it = &c->m->items[idx];
    map_type t = check_expr(c, it->expr);
    c->env->item_types[idx] = t;
    const rs_tgtschema *tg = c->env->tgt;
    const rs_tgtfield *f = rs_tgtschema_field(tg, it->target.s, it->target.len);
    if (!f) {
        const char **names = rs_calloc(tg->n + 1, sizeof *names);
        for (size_t i = 0; i < tg->n; i++) names[i] = tg->fields[i].name;
        const char *near = rs_nearest(it->target.s, it->target.len, names, tg->n, 0);
        rs_diag *dg = err(c, RS_E_MAP_UNKNOWN_TARGET, it->target.span,
                          "the target has no field '%s'", it->target.s);
        if (near) rs_diag_help(dg, "did you mean '%s'?", near);
        free(names);
        return;
    }
    for (size_t j = 0; j < idx; j++) {
        const ast_str *o = &c->m->items[j].target;
        if (o->len != it->target.len || memcmp(o->s, it->target.s, o->len) != 0) continue;
        uint32_t line, col;
        rs_source_position(c->src, o->span.start, &line, &col);
        rs_diag *dg = err(c, RS_E_MAP_DUPLICATE_TARGET, it->target.span,
                          "'%s' is mapped twice", it->target.s);
        rs_diag_help(dg, "it is first mapped at line %u; keep one of the two lines", line);
        return;
    }
    map_type want = f->type;
    if (t != MT_ANY && t != want) {
        rs_diag *dg = err(c, RS_E_MAP_TYPE, it->expr->span, "'%s' is a %s field; this expression is %s",
                          f->name, map_type_name(want), map_type_name(t));
        rs_diag_help(dg, "%s", type_help(want, t));
        return;
    }
    check_allowed(c, it, f);
}

static bool mapped(const ast_mapping *m, const char *name) {
    for (size_t i = 0; i < m->nitems; i++)
        if (strlen(name) == m->items[i].target.len &&
            memcmp(m->items[i].target.s, name, m->items[i].target.len) == 0)
            return true;
    return false;
}

static void check_required(mc *c) {
    for (size_t i = 0; i < c->env->tgt->n; i++) {
        const rs_tgtfield *f = &c->env->tgt->fields[i];
        if (!f->required || mapped(c->m, f->name)) continue;
        rs_diag *dg = err(c, RS_E_MAP_REQUIRED_UNMAPPED, c->m->id.span,
                          "required target field '%s' is not mapped", f->name);
        rs_diag_help(dg, "add a line: custom %s = ...", f->name);
    }
}

/* ---- the mapping set a file extends ---- */

static const map_item *find_item(const ast_mapping *m, const ast_str *target) {
    for (size_t i = 0; i < m->nitems; i++)
        if (m->items[i].target.len == target->len &&
            memcmp(m->items[i].target.s, target->s, target->len) == 0)
            return &m->items[i];
    return NULL;
}

/* A base `default` line must be kept as it is; a base `recommended` one kept as it is or left out
 * (disabled). Only the base declares `default` and `recommended` lines. */
static void check_against_base(mc *c, const ast_mapping *base) {
    for (size_t i = 0; i < base->nitems; i++) {
        const map_item *b = &base->items[i];
        if (b->kind == MAP_CUSTOM) continue;
        const map_item *o = find_item(c->m, &b->target);
        bool def = b->kind == MAP_DEFAULT;
        rs_code code = def ? RS_E_MAP_DEFAULT_CHANGED : RS_E_MAP_RECOMMENDED_CHANGED;
        if (!o && def) {
            rs_diag *dg = err(c, code, c->m->id.span, "the default mapping of '%s' is missing",
                              b->target.s);
            rs_diag_help(dg, "default mappings cannot be disabled: keep the line of the set it extends");
        } else if (o && (o->kind != b->kind || !map_expr_equal(o->expr, b->expr))) {
            rs_diag *dg = err(c, code, o->span, "the %s mapping of '%s' is changed",
                              map_kind_name(b->kind), b->target.s);
            rs_diag_help(dg, def ? "default mappings cannot be changed: keep the line as it is"
                                 : "recommended mappings can be disabled (left out), not changed; "
                                   "map the field with a custom line in a new target field instead");
        }
    }
    for (size_t i = 0; i < c->m->nitems; i++) {
        const map_item *o = &c->m->items[i];
        if (o->kind == MAP_CUSTOM || find_item(base, &o->target)) continue;
        rs_code code = o->kind == MAP_DEFAULT ? RS_E_MAP_DEFAULT_CHANGED : RS_E_MAP_RECOMMENDED_CHANGED;
        rs_diag *dg = err(c, code, o->kind_span, "'%s' is not a %s mapping of the extended set",
                          o->target.s, map_kind_name(o->kind));
        rs_diag_help(dg, "a mapping that extends a set adds `custom` lines only");
    }
}

static void load_base(mc *c) {
    const ast_str *ext = &c->m->extends;
    char *path = rs_path_join(c->dir, ext->s);
    size_t before = c->d->nerrors;
    c->env->base_src = rs_source_load(path, c->d);
    if (c->env->base_src) c->env->base = rs_parse_mapping(c->env->base_src, c->d);
    if (!c->env->base || c->d->nerrors != before) {
        rs_diag *dg = err(c, RS_E_MAP_BAD_EXTENDS, ext->span, "the extended mapping set '%s' %s",
                          ext->s, c->env->base_src ? "has errors" : "cannot be read");
        rs_diag_help(dg, "`extends` names a mapping file, relative to this one");
    } else {
        check_against_base(c, &c->env->base->maps[0]);
    }
    free(path);
}

/* ---- schemas and tables ---- */

static bool load_schemas(mc *c) {
    const ast_mapping *m = c->m;
    if (!m->source.s || !m->target.s) {
        rs_diag *dg = err(c, RS_E_MAP_NO_SCHEMA, m->id.span, "mapping \"%s\" has no `%s` line",
                          m->id.s, !m->source.s ? "source" : "target");
        rs_diag_help(dg, "name the schemas: source \"google-user.schema.json\" and "
                         "target \"lark-user.schema.json\"");
        return false;
    }
    char *sp = rs_path_join(c->dir, m->source.s), *tp = rs_path_join(c->dir, m->target.s);
    c->env->src = rs_srcschema_load(sp, c->d);
    c->env->tgt = rs_tgtschema_load(tp, c->d);
    free(sp);
    free(tp);
    if (!c->env->src || !c->env->tgt) {
        c->env->ok = false;
        return false;
    }
    return true;
}

static void check_tables(mc *c) {
    for (size_t i = 0; i < c->m->ntables; i++) {
        const map_table *t = &c->m->tables[i];
        char *path = rs_path_join(c->dir, t->path.s);
        if (access(path, R_OK) != 0) {
            rs_diag *dg = err(c, RS_E_MAP_LOOKUP_TABLE, t->path.span, "cannot read table file '%s'",
                              t->path.s);
            rs_diag_help(dg, "table files are CSV (key,value) or JSON objects, relative to the "
                             "mapping file");
        }
        free(path);
    }
}

static void check_mapping(mc *c) {
    c->env->ok = true;
    c->env->item_types = rs_calloc(c->m->nitems + 1, sizeof *c->env->item_types);
    check_tables(c);
    if (c->m->extends.s) load_base(c);
    if (!load_schemas(c)) return;
    for (size_t i = 0; i < c->m->nitems; i++) check_item(c, i);
    check_required(c);
}

static void check_ids(const ast_mapfile *f, rs_diags *d) {
    for (size_t i = 0; i < f->nmaps; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(f->maps[i].id.s, f->maps[j].id.s) != 0) continue;
            rs_diag *dg = rs_diag_at(d, RS_E_DUPLICATE_GROUP_ID, f->src, f->maps[i].id.span,
                                     "two mappings are called \"%s\"", f->maps[i].id.s);
            rs_diag_help(dg, "give each mapping its own id");
            break;
        }
    }
}

rs_mapcheck *rs_map_check(const ast_mapfile *f, const char *dir, rs_diags *diags) {
    rs_mapcheck *c = rs_calloc(1, sizeof *c);
    c->file = f;
    c->n = f->nmaps;
    c->envs = rs_calloc(f->nmaps + 1, sizeof *c->envs);
    for (size_t i = 0; i < f->nmaps; i++) {
        mc ctx = {diags, f->src, &f->maps[i], &c->envs[i], dir};
        check_mapping(&ctx);
    }
    check_ids(f, diags);
    return c;
}

void rs_mapcheck_free(rs_mapcheck *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) {
        rs_mapenv *e = &c->envs[i];
        rs_srcschema_free(e->src);
        rs_tgtschema_free(e->tgt);
        ast_mapfile_free(e->base);
        rs_source_free(e->base_src);
        free(e->item_types);
    }
    free(c->envs);
    free(c);
}
