/* fmt.c: the canonical writers. Text: lower-case keywords, two-space indent, items in a fixed
 * order, conditions by number, parentheses only where `and` and `or` meet or the grouping needs
 * them (`not` always takes them), a blank line between groups, whole-line comments in front of
 * what they preceded. JSON: the admin-console form, one group object a line. Both print what the
 * readers read back to the same AST. */
#include <stdlib.h>
#include <string.h>
#include "grammar/grammar.h"
#include "grammar/grammar_int.h"
#include "common/date.h"
#include "common/util.h"

/* ---- values, conditions, expressions (shared by both forms) ---- */

/* "today", "today - 90 days", "today + 1 week". */
static void put_today(rs_sb *out, const ast_value *v) {
    rs_sb_puts(out, "today");
    if (v->unit == '\0') return;
    bool week = v->unit == 'w';
    rs_sb_printf(out, " %c %d %s%s", v->day < 0 ? '-' : '+', (int)v->count, week ? "week" : "day",
                 v->count == 1 ? "" : "s");
}

static void put_value(rs_sb *out, const ast_value *v, bool json) {
    char date[RS_DATE_MAX];
    switch (v->kind) {
    case AST_VAL_STRING:
        if (json) rs_sb_json_str(out, v->str ? v->str : "", v->len);
        else rs_sb_rule_str(out, v->str ? v->str : "", v->len);
        break;
    case AST_VAL_NUMBER:
        rs_sb_puts(out, v->str ? v->str : "0");
        break;
    case AST_VAL_DATE:
        rs_date_format(v->day, date);
        if (json) rs_sb_printf(out, "\"%s\"", date);
        else rs_sb_puts(out, date);
        break;
    case AST_VAL_TODAY:
        if (json) rs_sb_putc(out, '"');
        put_today(out, v);
        if (json) rs_sb_putc(out, '"');
        break;
    case AST_VAL_BOOL:
        rs_sb_puts(out, v->b ? "true" : "false");
        break;
    }
}

void gp_fmt_value(rs_sb *out, const ast_value *v) { put_value(out, v, false); }

static void put_values(rs_sb *out, const ast_value *v, size_t n, bool json) {
    rs_sb_putc(out, json ? '[' : '(');
    for (size_t i = 0; i < n; i++) {
        if (i) rs_sb_puts(out, ", ");
        put_value(out, &v[i], json);
    }
    rs_sb_putc(out, json ? ']' : ')');
}

/* What follows the operator in the text form. */
static void put_operand_text(rs_sb *out, const ast_cond *c) {
    ast_args args = ast_op_args(c->op);
    if (args == AST_ARGS_NONE && c->nvalues == 0) return;
    rs_sb_putc(out, ' ');
    if (args == AST_ARGS_TWO && c->nvalues == 2 && !c->list_form) {
        put_value(out, &c->values[0], false);
        rs_sb_puts(out, " and ");
        put_value(out, &c->values[1], false);
    } else if (c->list_form || c->nvalues != 1) {
        put_values(out, c->values, c->nvalues, false);
    } else {
        put_value(out, &c->values[0], false);
    }
}

static void put_cond_text(rs_sb *out, const ast_cond *c) {
    rs_sb_puts(out, c->field ? c->field : "");
    rs_sb_putc(out, ' ');
    rs_sb_puts(out, ast_op_text(c->op));
    put_operand_text(out, c);
    if (c->with_sub) rs_sb_puts(out, " with sub-departments");
}

static int prec(const ast_expr *e) {
    return e->kind == AST_EXPR_OR ? 1 : e->kind == AST_EXPR_AND ? 2 : 3;
}

static void put_expr(rs_sb *out, const ast_expr *e);

/* An `and` inside an `or` (or the reverse) always keeps its parentheses, as admins write it:
 * `1 or (2 and 3)`. The parser reads `a and b and c` as (a and b) and c, so a right operand of the
 * same kind keeps them too, and a left one does not need them. */
static void put_operand(rs_sb *out, const ast_expr *child, int parent, bool right) {
    bool binary = child->kind == AST_EXPR_AND || child->kind == AST_EXPR_OR;
    bool parens = binary && (prec(child) != parent || right);
    if (parens) rs_sb_putc(out, '(');
    put_expr(out, child);
    if (parens) rs_sb_putc(out, ')');
}

static void put_expr(rs_sb *out, const ast_expr *e) {
    switch (e->kind) {
    case AST_EXPR_REF:
        rs_sb_printf(out, "%u", e->ref);
        break;
    case AST_EXPR_COND:
        put_cond_text(out, e->cond);
        break;
    case AST_EXPR_NOT:
        rs_sb_puts(out, "not (");
        put_expr(out, e->lhs);
        rs_sb_putc(out, ')');
        break;
    case AST_EXPR_AND:
    case AST_EXPR_OR:
        put_operand(out, e->lhs, prec(e), false);
        rs_sb_puts(out, e->kind == AST_EXPR_AND ? " and " : " or ");
        put_operand(out, e->rhs, prec(e), true);
        break;
    }
}

typedef struct cond_order {
    const ast_cond *c;
    size_t index;
} cond_order;

static int cond_order_cmp(const void *x, const void *y) {
    const cond_order *a = x, *b = y;
    if (a->c->number != b->c->number) return a->c->number < b->c->number ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Conditions by number; equal numbers (an error the checker reports) keep their source order. */
static cond_order *conds_by_number(const ast_group *g) {
    cond_order *o = rs_calloc(g->nconds ? g->nconds : 1, sizeof *o);
    for (size_t i = 0; i < g->nconds; i++) {
        o[i].c = &g->conds[i];
        o[i].index = i;
    }
    qsort(o, g->nconds, sizeof *o, cond_order_cmp);
    return o;
}

/* ---- text ---- */

static void put_comments_text(rs_sb *out, const ast_comments *c, const char *indent) {
    for (size_t i = 0; i < c->n; i++) rs_sb_printf(out, "%s#%s\n", indent, c->lines[i]);
}

static void put_strlist_text(rs_sb *out, const char *kw, const ast_strlist *l) {
    rs_sb_printf(out, "  %s ", kw);
    for (size_t i = 0; i < l->n; i++) {
        if (i) rs_sb_puts(out, ", ");
        rs_sb_rule_str(out, l->items[i].s ? l->items[i].s : "", l->items[i].len);
    }
}

static void put_group_text(rs_sb *out, const ast_group *g) {
    put_comments_text(out, &g->comments, "");
    rs_sb_puts(out, "group ");
    rs_sb_rule_str(out, g->id.s ? g->id.s : "", g->id.len);
    rs_sb_puts(out, " {\n");
    if (g->name.s) {
        put_comments_text(out, &g->name_comments, "  ");
        rs_sb_puts(out, "  name ");
        rs_sb_rule_str(out, g->name.s, g->name.len);
        rs_sb_putc(out, '\n');
    }
    if (g->departments.present && g->departments.n > 0) {
        put_comments_text(out, &g->departments_comments, "  ");
        put_strlist_text(out, "departments", &g->departments);
        rs_sb_puts(out, g->departments_with_sub ? " with sub-departments\n" : "\n");
    }
    cond_order *o = conds_by_number(g);
    for (size_t i = 0; i < g->nconds; i++) {
        put_comments_text(out, &o[i].c->comments, "  ");
        rs_sb_printf(out, "  %u: ", o[i].c->number);
        put_cond_text(out, o[i].c);
        rs_sb_putc(out, '\n');
    }
    free(o);
    if (g->match) {
        put_comments_text(out, &g->match_comments, "  ");
        rs_sb_puts(out, "  match ");
        put_expr(out, g->match);
        rs_sb_putc(out, '\n');
    }
    if (g->where) {
        put_comments_text(out, &g->where_comments, "  ");
        rs_sb_puts(out, "  where ");
        put_expr(out, g->where);
        rs_sb_putc(out, '\n');
    }
    const ast_strlist *lists[2] = {&g->allow, &g->block};
    const ast_comments *notes[2] = {&g->allow_comments, &g->block_comments};
    for (int k = 0; k < 2; k++) {
        if (!lists[k]->present || lists[k]->n == 0) continue;
        put_comments_text(out, notes[k], "  ");
        put_strlist_text(out, k ? "block" : "allow", lists[k]);
        rs_sb_putc(out, '\n');
    }
    rs_sb_puts(out, "}\n");
}

void rs_fmt_text(const ast_file *f, rs_sb *out) {
    for (size_t i = 0; f && i < f->ngroups; i++) {
        if (i) rs_sb_putc(out, '\n');
        put_group_text(out, &f->groups[i]);
    }
}

/* ---- JSON ---- */

static void put_json_lines(rs_sb *out, const ast_comments *c) {
    rs_sb_putc(out, '[');
    for (size_t i = 0; i < c->n; i++) {
        if (i) rs_sb_puts(out, ", ");
        rs_sb_json_str(out, c->lines[i], strlen(c->lines[i]));
    }
    rs_sb_putc(out, ']');
}

static void put_strlist_json(rs_sb *out, const ast_strlist *l) {
    rs_sb_putc(out, '[');
    for (size_t i = 0; i < l->n; i++) {
        if (i) rs_sb_puts(out, ", ");
        rs_sb_json_str(out, l->items[i].s ? l->items[i].s : "", l->items[i].len);
    }
    rs_sb_putc(out, ']');
}

static void put_cond_json(rs_sb *out, const ast_cond *c) {
    rs_sb_printf(out, "{\"id\": %u, \"field\": ", c->number);
    rs_sb_json_str(out, c->field ? c->field : "", c->field ? strlen(c->field) : 0);
    rs_sb_printf(out, ", \"op\": \"%s\"", ast_op_text(c->op));
    ast_args args = ast_op_args(c->op);
    if (!(args == AST_ARGS_NONE && c->nvalues == 0)) {
        rs_sb_puts(out, ", \"value\": ");
        if (args == AST_ARGS_TWO || c->list_form || c->nvalues != 1)
            put_values(out, c->values, c->nvalues, true);
        else
            put_value(out, &c->values[0], true);
    }
    rs_sb_printf(out, ", \"include_sub\": %s", c->with_sub ? "true" : "false");
    if (c->comments.n) {
        rs_sb_puts(out, ", \"comments\": ");
        put_json_lines(out, &c->comments);
    }
    rs_sb_putc(out, '}');
}

static void put_expr_json(rs_sb *out, const char *key, const ast_expr *e) {
    rs_sb tmp = {0};
    put_expr(&tmp, e);
    rs_sb_printf(out, ", \"%s\": ", key);
    rs_sb_json_str(out, tmp.buf ? tmp.buf : "", tmp.len);
    rs_sb_free(&tmp);
}

/* "comments": {"group": [...], "name": [...], ...}, for the items present that have some (the
 * text form could not write the others). */
static void put_group_comments_json(rs_sb *out, const ast_group *g) {
    const struct {
        const char *key;
        const ast_comments *c;
        bool present;
    } items[] = {{"group", &g->comments, true},
                 {"name", &g->name_comments, g->name.s != NULL},
                 {"departments", &g->departments_comments,
                  g->departments.present && g->departments.n > 0},
                 {"match", &g->match_comments, g->match != NULL},
                 {"where", &g->where_comments, g->where != NULL},
                 {"allow", &g->allow_comments, g->allow.present && g->allow.n > 0},
                 {"block", &g->block_comments, g->block.present && g->block.n > 0}};
    bool any = false;
    for (size_t i = 0; i < RS_ARRAY_LEN(items); i++) {
        if (!items[i].c->n || !items[i].present) continue;
        rs_sb_puts(out, any ? ", " : ", \"comments\": {");
        rs_sb_printf(out, "\"%s\": ", items[i].key);
        put_json_lines(out, items[i].c);
        any = true;
    }
    if (any) rs_sb_putc(out, '}');
}

static void put_group_json(rs_sb *out, const ast_group *g) {
    rs_sb_puts(out, "{\"id\": ");
    rs_sb_json_str(out, g->id.s ? g->id.s : "", g->id.len);
    if (g->name.s) {
        rs_sb_puts(out, ", \"name\": ");
        rs_sb_json_str(out, g->name.s, g->name.len);
    }
    if (g->departments.present && g->departments.n > 0) {
        rs_sb_puts(out, ", \"departments\": {\"ids\": ");
        put_strlist_json(out, &g->departments);
        rs_sb_printf(out, ", \"include_sub\": %s}", g->departments_with_sub ? "true" : "false");
    }
    if (g->nconds) {
        rs_sb_puts(out, ", \"conditions\": [");
        cond_order *o = conds_by_number(g);
        for (size_t i = 0; i < g->nconds; i++) {
            if (i) rs_sb_puts(out, ", ");
            put_cond_json(out, o[i].c);
        }
        free(o);
        rs_sb_putc(out, ']');
    }
    if (g->match) put_expr_json(out, "match", g->match);
    if (g->where) put_expr_json(out, "where", g->where);
    if (g->allow.present && g->allow.n > 0) {
        rs_sb_puts(out, ", \"allow\": ");
        put_strlist_json(out, &g->allow);
    }
    if (g->block.present && g->block.n > 0) {
        rs_sb_puts(out, ", \"block\": ");
        put_strlist_json(out, &g->block);
    }
    put_group_comments_json(out, g);
    rs_sb_putc(out, '}');
}

void rs_fmt_json(const ast_file *f, rs_sb *out) {
    size_t n = f ? f->ngroups : 0;
    if (n == 1) {
        put_group_json(out, &f->groups[0]);
        rs_sb_putc(out, '\n');
        return;
    }
    rs_sb_puts(out, n ? "[\n" : "[");
    for (size_t i = 0; i < n; i++) {
        rs_sb_puts(out, "  ");
        put_group_json(out, &f->groups[i]);
        rs_sb_puts(out, i + 1 < n ? ",\n" : "\n");
    }
    rs_sb_puts(out, "]\n");
}
