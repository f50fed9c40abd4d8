/* map_fmt.c: the canonical text of mapping files. fmt output parses back to an equal tree, and
 * formatting it again changes nothing. */
#include <ctype.h>
#include <string.h>
#include "grammar/grammar.h"
#include "grammar/grammar_int.h"

/* Binding strength: `or` < `and` < `not` < comparison < a literal, path, call or parenthesis. */
enum { PREC_OR = 1, PREC_AND, PREC_NOT, PREC_CMP, PREC_ATOM };

static int prec(const map_expr *e) {
    switch (e->kind) {
    case MAP_X_OR: return PREC_OR;
    case MAP_X_AND: return PREC_AND;
    case MAP_X_NOT: return PREC_NOT;
    case MAP_X_CMP: return PREC_CMP;
    default: return PREC_ATOM;
    }
}

static void put_expr(rs_sb *out, const map_expr *e, int min);

static void put_path(rs_sb *out, const map_expr *e) {
    for (size_t i = 0; i < e->nsteps; i++) {
        const map_step *s = &e->steps[i];
        switch (s->kind) {
        case MAP_STEP_KEY:
            if (i) rs_sb_putc(out, '.');
            rs_sb_put(out, s->key, s->key_len);
            break;
        case MAP_STEP_INDEX:
            rs_sb_printf(out, "[%u]", s->index);
            break;
        case MAP_STEP_PRIMARY:
            rs_sb_puts(out, "[primary]");
            break;
        case MAP_STEP_FILTER:
            rs_sb_putc(out, '[');
            rs_sb_put(out, s->key, s->key_len);
            rs_sb_putc(out, '=');
            rs_sb_rule_str(out, s->value ? s->value : "", s->value_len);
            rs_sb_putc(out, ']');
            break;
        }
    }
}

static void put_args(rs_sb *out, const map_expr *e) {
    rs_sb_putc(out, '(');
    for (size_t i = 0; i < e->nargs; i++) {
        if (i) rs_sb_puts(out, ", ");
        put_expr(out, e->args[i], PREC_OR);
    }
    rs_sb_putc(out, ')');
}

static void put_call(rs_sb *out, const map_expr *e) {
    for (const char *c = e->fn; *c; c++) rs_sb_putc(out, (char)tolower((unsigned char)*c));
    put_args(out, e);
}

/* `x equals y`, `x is any of ("a", "b")`, `x is between 1 and 9`, `x is empty`. A lone operand
 * that is not an atom is written in parentheses, which reads back as the same single operand. */
static void put_cmp(rs_sb *out, const map_expr *e) {
    put_expr(out, e->lhs, PREC_ATOM);
    rs_sb_putc(out, ' ');
    rs_sb_puts(out, ast_op_text(e->op));
    if (e->op == AST_OP_BETWEEN && e->nargs == 2 && !e->list_form) {
        rs_sb_putc(out, ' ');
        put_expr(out, e->args[0], PREC_ATOM);
        rs_sb_puts(out, " and ");
        put_expr(out, e->args[1], PREC_ATOM);
    } else if (e->list_form) {
        rs_sb_putc(out, ' ');
        put_args(out, e);
    } else if (e->nargs == 1) {
        rs_sb_putc(out, ' ');
        put_expr(out, e->args[0], PREC_ATOM);
    }
}

static void put_expr(rs_sb *out, const map_expr *e, int min) {
    bool parens = prec(e) < min;
    if (parens) rs_sb_putc(out, '(');
    switch (e->kind) {
    case MAP_X_LITERAL:
        if (e->lit.kind == AST_VAL_STRING) rs_sb_rule_str(out, e->lit.str ? e->lit.str : "", e->lit.len);
        else gp_fmt_value(out, &e->lit);
        break;
    case MAP_X_PATH: put_path(out, e); break;
    case MAP_X_CALL: put_call(out, e); break;
    case MAP_X_OR:
    case MAP_X_AND: {
        int p = prec(e);
        put_expr(out, e->lhs, p);
        rs_sb_puts(out, e->kind == MAP_X_OR ? " or " : " and ");
        put_expr(out, e->rhs, p + 1);
        break;
    }
    case MAP_X_NOT:
        rs_sb_puts(out, "not ");
        put_expr(out, e->lhs, PREC_NOT);
        break;
    case MAP_X_CMP: put_cmp(out, e); break;
    }
    if (parens) rs_sb_putc(out, ')');
}

/* ---- comments ---- */

typedef struct comment_cursor {
    const ast_mapfile *f;
    size_t next;
} comment_cursor;

/* Prints the comments written before offset `before`, indented like the line they precede. */
static void put_comments(rs_sb *out, comment_cursor *cc, uint32_t before, const char *indent) {
    while (cc->next < cc->f->ncomments && cc->f->comments[cc->next].offset < before) {
        rs_sb_printf(out, "%s#%s\n", indent, cc->f->comments[cc->next].text);
        cc->next++;
    }
}

/* ---- mappings ---- */

static void put_line(rs_sb *out, comment_cursor *cc, const char *kw, const ast_str *s) {
    if (!s->s) return;
    put_comments(out, cc, s->span.start, "  ");
    rs_sb_printf(out, "  %s ", kw);
    rs_sb_rule_str(out, s->s, s->len);
    rs_sb_putc(out, '\n');
}

static void put_item(rs_sb *out, const map_item *it, size_t width) {
    const char *kind = map_kind_name(it->kind);
    rs_sb_printf(out, "  %-11s %.*s", kind, (int)it->target.len, it->target.s);
    for (size_t n = it->target.len; n < width; n++) rs_sb_putc(out, ' ');
    rs_sb_puts(out, " = ");
    put_expr(out, it->expr, PREC_OR);
    rs_sb_putc(out, '\n');
}

static void put_mapping(rs_sb *out, comment_cursor *cc, const ast_mapping *m) {
    put_comments(out, cc, m->span.start, "");
    rs_sb_puts(out, "mapping ");
    rs_sb_rule_str(out, m->id.s, m->id.len);
    rs_sb_puts(out, " {\n");
    put_line(out, cc, "source", &m->source);
    put_line(out, cc, "target", &m->target);
    put_line(out, cc, "extends", &m->extends);
    for (size_t i = 0; i < m->ntables; i++) {
        put_comments(out, cc, m->tables[i].span.start, "  ");
        rs_sb_puts(out, "  table ");
        rs_sb_rule_str(out, m->tables[i].name.s, m->tables[i].name.len);
        rs_sb_puts(out, " = ");
        rs_sb_rule_str(out, m->tables[i].path.s, m->tables[i].path.len);
        rs_sb_putc(out, '\n');
    }
    size_t width = 0;
    for (size_t i = 0; i < m->nitems; i++)
        if (m->items[i].target.len > width) width = m->items[i].target.len;
    for (size_t i = 0; i < m->nitems; i++) {
        put_comments(out, cc, m->items[i].span.start, "  ");
        put_item(out, &m->items[i], width);
    }
    put_comments(out, cc, m->span.end, "  ");
    rs_sb_puts(out, "}\n");
}

void rs_fmt_mapping(const ast_mapfile *f, rs_sb *out) {
    comment_cursor cc = {f, 0};
    for (size_t i = 0; i < f->nmaps; i++) {
        if (i) rs_sb_putc(out, '\n');
        put_mapping(out, &cc, &f->maps[i]);
    }
    put_comments(out, &cc, UINT32_MAX, "");
}
