/* map_parse.c: rs_parse_mapping, and the gm_* helpers the mapping rules of parser.y call to build
 * an ast_mapfile. Same scanner and grammar as rule files, entered through START_MAPFILE with the
 * scanner in mapping mode. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "parser.h"
#include "grammar/grammar.h"
#include "common/util.h"

static ast_mapping *cur_map(rs_parser *p) { return &p->mapfile->maps[p->mapfile->nmaps - 1]; }

static void take_str(ast_str *dst, gp_str *s, rs_span span) {
    dst->s = s->s ? s->s : rs_strdup("");
    dst->len = s->len;
    dst->span = span;
    s->s = NULL;
}

void gm_begin(rs_parser *p, gp_str *id, rs_span id_span, rs_span kw_span) {
    ast_mapfile *f = p->mapfile;
    RS_GROW(f->maps, f->cap_maps, f->nmaps + 1);
    ast_mapping *m = &f->maps[f->nmaps++];
    memset(m, 0, sizeof *m);
    m->span = rs_span_join(kw_span, id_span);
    take_str(&m->id, id, id_span);
    p->in_group = true;
    p->brace_error = false;
    if (id->len == 0 && m->id.len == 0) {
        rs_diag *d = gp_error(p, RS_E_EMPTY_GROUP_ID, id_span, "mapping id is empty");
        rs_diag_help(d, "name the mapping: mapping \"google-to-lark\" { ... }");
    }
}

void gm_end(rs_parser *p, rs_span span, bool closed) {
    ast_mapping *m = cur_map(p);
    m->span = span;
    if (!closed && !p->lex.eof_damaged && !p->brace_error) {
        uint32_t line, col;
        rs_source_position(p->src, p->lex.brace_open.start, &line, &col);
        rs_diag *d = gp_error(p, RS_E_SYNTAX, p->lex.brace_open, "mapping \"%.*s\" is not closed",
                              (int)(m->id.len > 60 ? 60 : m->id.len), m->id.s);
        rs_diag_help(d, "add '}' after the mapping's last line to close the '{' at line %u, "
                        "column %u", line, col);
    }
    p->in_group = false;
}

static void duplicate_line(rs_parser *p, const char *what, rs_span first, rs_span again) {
    uint32_t line, col;
    rs_source_position(p->src, first.start, &line, &col);
    rs_diag *d = gp_error(p, RS_E_DUPLICATE_ITEM, again, "%s is given twice in this mapping", what);
    rs_diag_help(d, "the first one (line %u) is used; remove the other", line);
}

static map_kind kind_of(gp_word w) {
    if (w.len == 7 && strncasecmp(w.s, "default", 7) == 0) return MAP_DEFAULT;
    if (w.len == 11 && strncasecmp(w.s, "recommended", 11) == 0) return MAP_RECOMMENDED;
    return MAP_CUSTOM;
}

void gm_item(rs_parser *p, gp_word kind, rs_span kind_span, gp_word target, rs_span target_span,
             map_expr *e, rs_span span) {
    /* An expression cut by the depth limit was reported already: the line is dropped. */
    if (!e || p->poisoned) {
        map_expr_free(e);
        return;
    }
    ast_mapping *m = cur_map(p);
    RS_GROW(m->items, m->cap_items, m->nitems + 1);
    map_item *it = &m->items[m->nitems++];
    it->kind = kind_of(kind);
    it->kind_span = kind_span;
    it->span = span;
    it->target.s = rs_strndup(target.s, target.len);
    it->target.len = target.len;
    it->target.span = target_span;
    it->expr = e;
}

void gm_line(rs_parser *p, int which, gp_str *s, rs_span s_span, rs_span span) {
    static const char *const names[] = {"`source`", "`target`", "`extends`"};
    ast_mapping *m = cur_map(p);
    ast_str *dst = which == 0 ? &m->source : which == 1 ? &m->target : &m->extends;
    if (dst->s) {
        duplicate_line(p, names[which], dst->span, span);
        free(s->s);
        s->s = NULL;
        return;
    }
    take_str(dst, s, s_span);
}

void gm_table(rs_parser *p, gp_str *name, rs_span name_span, gp_str *path, rs_span path_span,
              rs_span span) {
    ast_mapping *m = cur_map(p);
    for (size_t i = 0; i < m->ntables; i++) {
        if (m->tables[i].name.len == name->len &&
            memcmp(m->tables[i].name.s, name->s, name->len) == 0) {
            duplicate_line(p, "this table", m->tables[i].span, span);
            free(name->s);
            free(path->s);
            name->s = path->s = NULL;
            return;
        }
    }
    RS_GROW(m->tables, m->cap_tables, m->ntables + 1);
    map_table *t = &m->tables[m->ntables++];
    take_str(&t->name, name, name_span);
    take_str(&t->path, path, path_span);
    t->span = span;
}

/* ---- expressions ---- */

/* Trees deeper than RS_MAX_DEPTH are refused (E0002, once per line): everything that walks them
 * recurses, and a mapping that deep is a mistake, not a need. */
static map_expr *bounded_as(rs_parser *p, map_expr *e, rs_span at, bool chain) {
    if (!e || e->depth <= RS_MAX_DEPTH) return e;
    map_expr_free(e);
    p->poisoned = true;
    if (!p->deep_reported) {
        p->deep_reported = true;
        rs_diag *d = chain ? gp_error(p, RS_E_TOO_DEEP, at, "expression is more than %d levels deep here: "
                                      "each `and` or `or` of a chain is one level, so a chain holds at "
                                      "most %d terms", RS_MAX_DEPTH, RS_MAX_DEPTH)
                           : gp_error(p, RS_E_TOO_DEEP, at, "expression is nested more than %d levels deep",
                                      RS_MAX_DEPTH);
        rs_diag_help(d, "simplify the expression");
    }
    return NULL;
}

static map_expr *bounded(rs_parser *p, map_expr *e, rs_span at) { return bounded_as(p, e, at, false); }

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

map_expr *gm_binary(rs_parser *p, map_expr_kind kind, map_expr *lhs, map_expr *rhs, rs_span op_span) {
    if (!lhs || !rhs) {
        map_expr_free(lhs);
        map_expr_free(rhs);
        return NULL;
    }
    map_expr *e = map_expr_new(kind, rs_span_join(lhs->span, rhs->span));
    e->lhs = lhs;
    e->rhs = rhs;
    e->op_span = op_span;
    e->depth = 1 + max_u32(lhs->depth, rhs->depth);
    return bounded_as(p, e, op_span, true);
}

map_expr *gm_not(rs_parser *p, map_expr *inner, rs_span span) {
    if (!inner) return NULL;
    map_expr *e = map_expr_new(MAP_X_NOT, span);
    e->lhs = inner;
    e->depth = inner->depth + 1;
    return bounded(p, e, span);
}

map_expr *gm_cmp(rs_parser *p, map_expr *lhs, ast_op op, rs_span op_span, map_expr *operand,
                 rs_span span) {
    if (!lhs) {
        map_expr_free(operand);
        return NULL;
    }
    map_expr *e = map_expr_new(MAP_X_CMP, span);
    e->lhs = lhs;
    e->op = op;
    e->op_span = op_span;
    e->depth = lhs->depth + 1;
    if (operand && operand->kind == MAP_X_CALL && !operand->fn) {
        /* A parenthesised list: its items become the operands. A one-value operator given a list
         * of one takes it as its value, as in rule files. */
        e->list_form = !(ast_op_args(op) == AST_ARGS_ONE && operand->nargs == 1);
        for (size_t i = 0; i < operand->nargs; i++) map_expr_add_arg(e, operand->args[i]);
        operand->nargs = 0;
        map_expr_free(operand);
    } else if (operand) {
        map_expr_add_arg(e, operand);
    }
    return bounded(p, e, op_span);
}

map_expr *gm_between(rs_parser *p, map_expr *lhs, rs_span op_span, map_expr *lo, map_expr *hi,
                     rs_span span) {
    if (!lhs || !lo || !hi) {
        map_expr_free(lhs);
        map_expr_free(lo);
        map_expr_free(hi);
        return NULL;
    }
    map_expr *e = map_expr_new(MAP_X_CMP, span);
    e->lhs = lhs;
    e->op = AST_OP_BETWEEN;
    e->op_span = op_span;
    e->depth = lhs->depth + 1;
    map_expr_add_arg(e, lo);
    map_expr_add_arg(e, hi);
    return bounded(p, e, op_span);
}

map_expr *gm_paren(map_expr *e, rs_span span) {
    if (e) {
        e->parens = true;
        e->span = span;
    }
    return e;
}

/* Strings stay strings in mappings: "2024-01-01" is text until date() reads it. */
map_expr *gm_string(gp_str *s, rs_span span) {
    map_expr *e = map_expr_new(MAP_X_LITERAL, span);
    e->lit.kind = AST_VAL_STRING;
    e->lit.span = span;
    e->lit.str = s->s;
    e->lit.len = s->len;
    s->s = NULL;
    return e;
}

map_expr *gm_number(const gp_num *n, bool negative, rs_span span) {
    map_expr *e = map_expr_new(MAP_X_LITERAL, span);
    gp_value_number(&e->lit, n, negative, span);
    return e;
}

map_expr *gm_date(int32_t day, rs_span span) {
    map_expr *e = map_expr_new(MAP_X_LITERAL, span);
    gp_value_date(&e->lit, day, span);
    return e;
}

map_expr *gm_bool(bool b, rs_span span) {
    map_expr *e = map_expr_new(MAP_X_LITERAL, span);
    gp_value_bool(&e->lit, b, span);
    return e;
}

map_expr *gm_path(rs_parser *p, gp_word w, rs_span span) {
    (void)p;
    map_expr *e = map_expr_new(MAP_X_PATH, span);
    map_step s = {MAP_STEP_KEY, span, rs_strndup(w.s, w.len), w.len, 0, NULL, 0};
    map_expr_add_step(e, s);
    return e;
}

map_expr *gm_path_key(rs_parser *p, map_expr *path, gp_word w, rs_span w_span, rs_span span) {
    (void)p;
    map_step s = {MAP_STEP_KEY, w_span, rs_strndup(w.s, w.len), w.len, 0, NULL, 0};
    map_expr_add_step(path, s);
    path->span = span;
    return path;
}

map_expr *gm_path_index(rs_parser *p, map_expr *path, const gp_num *n, rs_span step_span,
                        rs_span span) {
    if (!n->ok || memchr(n->s, '.', n->len) || n->v > 1e6) {
        rs_diag *d = gp_error(p, RS_E_SYNTAX, step_span, "an array index is a whole number from 0 "
                                                         "to 1000000");
        rs_diag_help(d, "organizations[0] is the first element");
    }
    map_step s = {MAP_STEP_INDEX, step_span, NULL, 0, 0, NULL, 0};
    s.index = n->ok && n->v <= 1e6 ? (uint32_t)n->v : 0;
    map_expr_add_step(path, s);
    path->span = span;
    return path;
}

/* `[primary]`: the element Google and SCIM mark as the preferred one, else the first. The only word
 * a selector may hold alone. */
map_expr *gm_path_primary(rs_parser *p, map_expr *path, gp_word word, rs_span step_span, rs_span span) {
    if (word.len != 7 || memcmp(word.s, "primary", 7) != 0) {
        rs_diag *d = gp_error(p, RS_E_SYNTAX, step_span, "unknown selector '[%.*s]'", (int)word.len, word.s);
        rs_diag_help(d, "a selector is an index such as [0], a match such as [type=\"work\"], or [primary]");
    }
    map_step s = {MAP_STEP_PRIMARY, step_span, rs_strdup("primary"), 7, 0, NULL, 0};
    map_expr_add_step(path, s);
    path->span = span;
    return path;
}

map_expr *gm_path_filter(rs_parser *p, map_expr *path, gp_word key, gp_str *value,
                         rs_span step_span, rs_span span) {
    (void)p;
    map_step s = {MAP_STEP_FILTER, step_span, rs_strndup(key.s, key.len), key.len, 0, value->s,
                  value->len};
    value->s = NULL;
    map_expr_add_step(path, s);
    path->span = span;
    return path;
}

map_expr *gm_call(rs_parser *p, gp_word fn, rs_span fn_span, map_expr *args, rs_span span) {
    map_expr *e = map_expr_new(MAP_X_CALL, span);
    e->fn = rs_strndup(fn.s, fn.len);
    e->fn_span = fn_span;
    if (args) {
        for (size_t i = 0; i < args->nargs; i++) map_expr_add_arg(e, args->args[i]);
        args->nargs = 0;
        map_expr_free(args);
    }
    return bounded(p, e, fn_span);
}

/* The holder is a CALL without a name. A NULL item was dropped by the depth limit, which poisoned
 * the line: the line is dropped at its end, so the item is simply left out here. */
map_expr *gm_list(map_expr *first, rs_span span) {
    map_expr *l = map_expr_new(MAP_X_CALL, span);
    if (first) map_expr_add_arg(l, first);
    return l;
}

map_expr *gm_list_add(map_expr *list, map_expr *e) {
    if (e) {
        map_expr_add_arg(list, e);
        list->span = rs_span_join(list->span, e->span);
    }
    return list;
}

/* ---- running ---- */

static void keep_comments(ast_mapfile *f, rs_lexer *L) {
    f->comments = rs_reallocarray(NULL, L->ncomments ? L->ncomments : 1, sizeof *f->comments);
    for (size_t i = 0; i < L->ncomments; i++) {
        f->comments[i].offset = L->comments[i].offset;
        f->comments[i].text = L->comments[i].text;
        L->comments[i].text = NULL;
    }
    f->ncomments = L->ncomments;
}

ast_mapfile *rs_parse_mapping(const rs_source *src, rs_diags *diags) {
    if (src->len > RS_MAX_SOURCE_BYTES) {
        rs_diag *d = rs_diag_at(diags, RS_E_FILE_TOO_LARGE, src, rs_span_make(0, 0),
                                "mapping text is larger than %u MiB", RS_MAX_SOURCE_BYTES >> 20);
        rs_diag_help(d, "split the mappings into several files");
        return NULL;
    }
    size_t errors = diags->nerrors;
    ast_mapfile *f = ast_mapfile_new(src);
    rs_parser *p = rs_calloc(1, sizeof *p);
    gp_lex_init(&p->lex, src->text, src->len, 0, (uint32_t)src->len, TK_START_MAPFILE);
    p->lex.map_mode = true;
    p->lex.keep_comments = true;
    p->src = src;
    p->diags = diags;
    p->mapfile = f;
    gp_expr_begin(p);
    rs_yyparse(p);
    keep_comments(f, &p->lex);
    gp_lex_free(&p->lex);
    free(p);
    if (f->nmaps == 0) {
        if (diags->nerrors == errors) {
            rs_diag *d = rs_diag_at(diags, RS_E_SYNTAX, src, rs_span_make(0, 0),
                                    "no mapping in this file");
            rs_diag_help(d, "a mapping file holds one or more mappings: mapping \"id\" { ... }");
        }
        ast_mapfile_free(f);
        return NULL;
    }
    return f;
}
