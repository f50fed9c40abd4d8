/* ast.c: the operator table, AST constructors and destructors, and structural equality. */
#include <stdlib.h>
#include <string.h>
#include "grammar/ast.h"
#include "common/util.h"

/* ---- operators ---- */

static const struct {
    const char *text;
    ast_args args;
} op_table[] = {
#define X(name, text, args) {text, AST_ARGS_##args},
    AST_OPERATORS(X)
#undef X
};

const char *ast_op_text(ast_op op) {
    return ALWAYS((unsigned)op < AST_OP_COUNT) ? op_table[op].text : "?";
}

ast_args ast_op_args(ast_op op) {
    return ALWAYS((unsigned)op < AST_OP_COUNT) ? op_table[op].args : AST_ARGS_NONE;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Whether text (any case, any run of blanks between words, blanks around) spells want. U+2019 in
 * text stands for the apostrophe of "don't". */
static bool spells(const char *text, size_t len, const char *want) {
    size_t i = 0;
    while (i < len && is_blank(text[i])) i++;
    for (const char *w = want; *w; w++) {
        if (*w == ' ') {
            if (i >= len || !is_blank(text[i])) return false;
            while (i < len && is_blank(text[i])) i++;
        } else if (*w == '\'' && i + 3 <= len && memcmp(text + i, "\xE2\x80\x99", 3) == 0) {
            i += 3;
        } else {
            if (i >= len || lower(text[i]) != *w) return false;
            i++;
        }
    }
    while (i < len && is_blank(text[i])) i++;
    return i == len;
}

int ast_op_from_text(const char *text, size_t len) {
    for (int op = 0; op < AST_OP_COUNT; op++)
        if (spells(text, len, op_table[op].text)) return op;
    if (spells(text, len, "do not belong to")) return AST_OP_NOT_BELONG;
    return -1;
}

/* ---- constructors ---- */

ast_file *ast_file_new(const rs_source *src) {
    ast_file *f = rs_calloc(1, sizeof *f);
    f->src = src;
    return f;
}

ast_group *ast_file_add_group(ast_file *f) {
    RS_GROW(f->groups, f->cap_groups, f->ngroups + 1);
    ast_group *g = &f->groups[f->ngroups++];
    memset(g, 0, sizeof *g);
    return g;
}

ast_cond *ast_group_add_cond(ast_group *g) {
    RS_GROW(g->conds, g->cap_conds, g->nconds + 1);
    ast_cond *c = &g->conds[g->nconds++];
    memset(c, 0, sizeof *c);
    return c;
}

void ast_group_unread_cond(ast_group *g, uint32_t number) {
    if (number < 64) g->unread_conds |= UINT64_C(1) << number;
}

void ast_strlist_add(ast_strlist *l, char *s, size_t len, rs_span span) {
    RS_GROW(l->items, l->cap, l->n + 1);
    ast_str *it = &l->items[l->n++];
    it->s = s;
    it->len = len;
    it->span = span;
}

ast_expr *ast_expr_binary(ast_expr_kind kind, ast_expr *lhs, ast_expr *rhs) {
    ast_expr *e = rs_calloc(1, sizeof *e);
    e->kind = kind;
    e->lhs = lhs;
    e->rhs = rhs;
    e->span = rs_span_join(lhs->span, rhs->span);
    return e;
}

ast_expr *ast_expr_not(ast_expr *inner, rs_span span) {
    ast_expr *e = rs_calloc(1, sizeof *e);
    e->kind = AST_EXPR_NOT;
    e->lhs = inner;
    e->span = span;
    return e;
}

ast_expr *ast_expr_ref(uint32_t ref, rs_span span) {
    ast_expr *e = rs_calloc(1, sizeof *e);
    e->kind = AST_EXPR_REF;
    e->ref = ref;
    e->span = span;
    return e;
}

ast_expr *ast_expr_cond(ast_cond *c) {
    ast_expr *e = rs_calloc(1, sizeof *e);
    e->kind = AST_EXPR_COND;
    e->cond = c;
    e->span = c->span;
    return e;
}

void ast_cond_add_value(ast_cond *c, ast_value v) {
    c->values = rs_reallocarray(c->values, c->nvalues + 1, sizeof *c->values);
    c->values[c->nvalues++] = v;
}

void ast_comments_add(ast_comments *c, char *line) {
    RS_GROW(c->lines, c->cap, c->n + 1);
    c->lines[c->n++] = line;
}

/* ---- destructors ---- */

void ast_comments_clear(ast_comments *c) {
    for (size_t i = 0; i < c->n; i++) free(c->lines[i]);
    free(c->lines);
    memset(c, 0, sizeof *c);
}

void ast_value_clear(ast_value *v) {
    free(v->str);
    v->str = NULL;
    v->len = 0;
}

void ast_cond_clear(ast_cond *c) {
    free(c->field);
    for (size_t i = 0; i < c->nvalues; i++) ast_value_clear(&c->values[i]);
    free(c->values);
    ast_comments_clear(&c->comments);
    memset(c, 0, sizeof *c);
}

/* Loops down the left operand and recurses into the right: a long left-nested `and` chain costs
 * no stack. */
void ast_expr_free(ast_expr *e) {
    while (e) {
        ast_expr *next = e->lhs;
        ast_expr_free(e->rhs);
        if (e->cond) {
            ast_cond_clear(e->cond);
            free(e->cond);
        }
        free(e);
        e = next;
    }
}

static void strlist_clear(ast_strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i].s);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void ast_group_clear(ast_group *g) {
    free(g->id.s);
    free(g->name.s);
    strlist_clear(&g->departments);
    for (size_t i = 0; i < g->nconds; i++) ast_cond_clear(&g->conds[i]);
    free(g->conds);
    ast_expr_free(g->match);
    ast_expr_free(g->where);
    strlist_clear(&g->allow);
    strlist_clear(&g->block);
    ast_comments *cs[] = {&g->comments,       &g->name_comments,  &g->departments_comments,
                          &g->match_comments, &g->where_comments, &g->allow_comments,
                          &g->block_comments};
    for (size_t i = 0; i < RS_ARRAY_LEN(cs); i++) ast_comments_clear(cs[i]);
    memset(g, 0, sizeof *g);
}

void ast_file_free(ast_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->ngroups; i++) ast_group_clear(&f->groups[i]);
    free(f->groups);
    free(f);
}

/* ---- equality (spans, `parens` and comments ignored) ---- */

static bool bytes_equal(const char *a, size_t alen, const char *b, size_t blen) {
    if (alen != blen) return false;
    if (alen == 0) return true;
    return a && b && memcmp(a, b, alen) == 0;
}

static bool value_equal(const ast_value *a, const ast_value *b) {
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case AST_VAL_STRING: return bytes_equal(a->str, a->len, b->str, b->len);
    case AST_VAL_NUMBER: return a->num == b->num;
    case AST_VAL_DATE: return a->day == b->day;
    case AST_VAL_TODAY: return a->day == b->day && a->count == b->count && a->unit == b->unit;
    case AST_VAL_BOOL: return a->b == b->b;
    }
    return false;
}

bool ast_value_equal(const ast_value *a, const ast_value *b) { return value_equal(a, b); }

static bool cond_equal(const ast_cond *a, const ast_cond *b) {
    if (a->number != b->number || a->op != b->op || a->nvalues != b->nvalues ||
        a->list_form != b->list_form || a->with_sub != b->with_sub)
        return false;
    if (!a->field || !b->field) return a->field == b->field;
    if (strcmp(a->field, b->field) != 0) return false;
    for (size_t i = 0; i < a->nvalues; i++)
        if (!value_equal(&a->values[i], &b->values[i])) return false;
    return true;
}

static bool expr_equal(const ast_expr *a, const ast_expr *b) {
    while (a && b) {
        if (a->kind != b->kind) return false;
        if (a->kind == AST_EXPR_REF && a->ref != b->ref) return false;
        if (a->kind == AST_EXPR_COND && !cond_equal(a->cond, b->cond)) return false;
        if (!expr_equal(a->rhs, b->rhs)) return false;
        a = a->lhs;
        b = b->lhs;
    }
    return a == b;
}

static bool str_equal(const ast_str *a, const ast_str *b) {
    if (!a->s || !b->s) return a->s == b->s;
    return bytes_equal(a->s, a->len, b->s, b->len);
}

static bool strlist_equal(const ast_strlist *a, const ast_strlist *b) {
    if (a->present != b->present || a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (!str_equal(&a->items[i], &b->items[i])) return false;
    return true;
}

typedef struct cond_ref {
    const ast_cond *c;
    size_t index;
} cond_ref;

static int cond_ref_cmp(const void *x, const void *y) {
    const cond_ref *a = x, *b = y;
    if (a->c->number != b->c->number) return a->c->number < b->c->number ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Conditions in number order (source order among equal numbers): the order fmt writes them. */
static cond_ref *sorted_conds(const ast_group *g) {
    cond_ref *r = rs_calloc(g->nconds ? g->nconds : 1, sizeof *r);
    for (size_t i = 0; i < g->nconds; i++) {
        r[i].c = &g->conds[i];
        r[i].index = i;
    }
    qsort(r, g->nconds, sizeof *r, cond_ref_cmp);
    return r;
}

static bool conds_equal(const ast_group *a, const ast_group *b) {
    if (a->nconds != b->nconds) return false;
    cond_ref *ra = sorted_conds(a), *rb = sorted_conds(b);
    bool eq = true;
    for (size_t i = 0; eq && i < a->nconds; i++) eq = cond_equal(ra[i].c, rb[i].c);
    free(ra);
    free(rb);
    return eq;
}

static bool group_equal(const ast_group *a, const ast_group *b) {
    return str_equal(&a->id, &b->id) && str_equal(&a->name, &b->name) &&
           strlist_equal(&a->departments, &b->departments) &&
           a->departments_with_sub == b->departments_with_sub && conds_equal(a, b) &&
           expr_equal(a->match, b->match) && expr_equal(a->where, b->where) &&
           strlist_equal(&a->allow, &b->allow) && strlist_equal(&a->block, &b->block);
}

bool ast_file_equal(const ast_file *a, const ast_file *b) {
    if (!a || !b) return a == b;
    if (a->ngroups != b->ngroups) return false;
    for (size_t i = 0; i < a->ngroups; i++)
        if (!group_equal(&a->groups[i], &b->groups[i])) return false;
    return true;
}
