/* map_ast.c: constructors, destructors and structural equality of mapping-file syntax trees. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "grammar/map_ast.h"
#include "common/util.h"

const char *map_kind_name(map_kind k) {
    switch (k) {
    case MAP_DEFAULT: return "default";
    case MAP_RECOMMENDED: return "recommended";
    case MAP_CUSTOM: return "custom";
    }
    return "custom";
}

ast_mapfile *ast_mapfile_new(const rs_source *src) {
    ast_mapfile *f = rs_calloc(1, sizeof *f);
    f->src = src;
    return f;
}

map_expr *map_expr_new(map_expr_kind kind, rs_span span) {
    map_expr *e = rs_calloc(1, sizeof *e);
    e->kind = kind;
    e->span = span;
    e->depth = 1;
    return e;
}

void map_expr_add_arg(map_expr *e, map_expr *arg) {
    e->args = rs_reallocarray(e->args, e->nargs + 1, sizeof *e->args);
    e->args[e->nargs++] = arg;
    if (arg && arg->depth + 1 > e->depth) e->depth = arg->depth + 1;
}

void map_expr_add_step(map_expr *e, map_step s) {
    e->steps = rs_reallocarray(e->steps, e->nsteps + 1, sizeof *e->steps);
    e->steps[e->nsteps++] = s;
}

void map_expr_free(map_expr *e) {
    if (!e) return;
    ast_value_clear(&e->lit);
    for (size_t i = 0; i < e->nsteps; i++) {
        free(e->steps[i].key);
        free(e->steps[i].value);
    }
    free(e->steps);
    free(e->fn);
    for (size_t i = 0; i < e->nargs; i++) map_expr_free(e->args[i]);
    free(e->args);
    map_expr_free(e->lhs);
    map_expr_free(e->rhs);
    free(e);
}

void ast_mapping_clear(ast_mapping *m) {
    free(m->id.s);
    free(m->source.s);
    free(m->target.s);
    free(m->extends.s);
    for (size_t i = 0; i < m->ntables; i++) {
        free(m->tables[i].name.s);
        free(m->tables[i].path.s);
    }
    free(m->tables);
    for (size_t i = 0; i < m->nitems; i++) {
        free(m->items[i].target.s);
        map_expr_free(m->items[i].expr);
    }
    free(m->items);
    memset(m, 0, sizeof *m);
}

void ast_mapfile_free(ast_mapfile *f) {
    if (!f) return;
    for (size_t i = 0; i < f->nmaps; i++) ast_mapping_clear(&f->maps[i]);
    free(f->maps);
    for (size_t i = 0; i < f->ncomments; i++) free(f->comments[i].text);
    free(f->comments);
    free(f);
}

/* ---- equality ---- */

static bool bytes_eq(const char *a, size_t alen, const char *b, size_t blen) {
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool str_eq(const ast_str *a, const ast_str *b) {
    if (!a->s || !b->s) return !a->s && !b->s;
    return bytes_eq(a->s, a->len, b->s, b->len);
}

static bool step_equal(const map_step *a, const map_step *b) {
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case MAP_STEP_KEY: return bytes_eq(a->key, a->key_len, b->key, b->key_len);
    case MAP_STEP_INDEX: return a->index == b->index;
    case MAP_STEP_PRIMARY: return true;
    case MAP_STEP_FILTER:
        return bytes_eq(a->key, a->key_len, b->key, b->key_len) &&
               bytes_eq(a->value, a->value_len, b->value, b->value_len);
    }
    return false;
}

static bool args_equal(const map_expr *a, const map_expr *b) {
    if (a->nargs != b->nargs) return false;
    for (size_t i = 0; i < a->nargs; i++)
        if (!map_expr_equal(a->args[i], b->args[i])) return false;
    return true;
}

bool map_expr_equal(const map_expr *a, const map_expr *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case MAP_X_LITERAL: return ast_value_equal(&a->lit, &b->lit);
    case MAP_X_PATH:
        if (a->nsteps != b->nsteps) return false;
        for (size_t i = 0; i < a->nsteps; i++)
            if (!step_equal(&a->steps[i], &b->steps[i])) return false;
        return true;
    case MAP_X_CALL: return strcasecmp(a->fn, b->fn) == 0 && args_equal(a, b);
    case MAP_X_AND: case MAP_X_OR:
        return map_expr_equal(a->lhs, b->lhs) && map_expr_equal(a->rhs, b->rhs);
    case MAP_X_NOT: return map_expr_equal(a->lhs, b->lhs);
    case MAP_X_CMP:
        return a->op == b->op && a->list_form == b->list_form && map_expr_equal(a->lhs, b->lhs) &&
               args_equal(a, b);
    }
    return false;
}

static bool item_equal(const map_item *a, const map_item *b) {
    return a->kind == b->kind && str_eq(&a->target, &b->target) && map_expr_equal(a->expr, b->expr);
}

static bool mapping_equal(const ast_mapping *a, const ast_mapping *b) {
    if (!str_eq(&a->id, &b->id) || !str_eq(&a->source, &b->source) ||
        !str_eq(&a->target, &b->target) || !str_eq(&a->extends, &b->extends) ||
        a->ntables != b->ntables || a->nitems != b->nitems)
        return false;
    for (size_t i = 0; i < a->ntables; i++)
        if (!str_eq(&a->tables[i].name, &b->tables[i].name) ||
            !str_eq(&a->tables[i].path, &b->tables[i].path))
            return false;
    for (size_t i = 0; i < a->nitems; i++)
        if (!item_equal(&a->items[i], &b->items[i])) return false;
    return true;
}

bool ast_mapfile_equal(const ast_mapfile *a, const ast_mapfile *b) {
    if (a->nmaps != b->nmaps) return false;
    for (size_t i = 0; i < a->nmaps; i++)
        if (!mapping_equal(&a->maps[i], &b->maps[i])) return false;
    return true;
}
