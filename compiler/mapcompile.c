/* mapcompile.c: checked mappings to mapping programs (mapcode.h). Each target field's expression
 * becomes one code range ending in STORE; `if` is compiled with jumps so that only the branch taken
 * runs (a lookup in the branch not taken must not fail the record). */
#include <stdlib.h>
#include <string.h>
#include "compiler/mapping.h"
#include "common/date.h"
#include "common/strbuf.h"
#include "common/util.h"

typedef struct mcomp {
    rs_mapprog *p;
    size_t cap_code, cap_consts, cap_paths, cap_regexes;
    uint32_t depth;
    const rs_mapenv *env;
} mcomp;

static uint32_t emit(mcomp *c, map_opcode op, uint32_t a, uint32_t b) {
    RS_GROW(c->p->code, c->cap_code, c->p->ncode + 1);
    rs_mapins *in = &c->p->code[c->p->ncode];
    in->op = (uint8_t)op;
    in->a = a;
    in->b = b;
    return (uint32_t)c->p->ncode++;
}

static void push(mcomp *c, uint32_t n) {
    c->depth += n;
    if (c->depth > c->p->max_stack) c->p->max_stack = c->depth;
}

static void pop(mcomp *c, uint32_t n) { c->depth = c->depth >= n ? c->depth - n : 0; }

static void emit_const(mcomp *c, const ast_value *v) {
    RS_GROW(c->p->consts, c->cap_consts, c->p->nconsts + 1);
    rs_mapconst *k = &c->p->consts[c->p->nconsts];
    memset(k, 0, sizeof *k);
    switch (v->kind) {
    case AST_VAL_STRING: k->type = MT_TEXT; break;
    case AST_VAL_NUMBER: k->type = MT_NUMBER; break;
    case AST_VAL_BOOL: k->type = MT_BOOL; break;
    case AST_VAL_DATE: case AST_VAL_TODAY: k->type = MT_DATE; break;
    }
    k->s = rs_strndup(v->str ? v->str : "", v->str ? v->len : 0);
    k->len = v->str ? v->len : 0;
    k->num = v->num;
    k->day = v->day;
    k->b = v->b;
    emit(c, MOP_CONST, (uint32_t)c->p->nconsts++, 0);
    push(c, 1);
}

static void path_text(const map_expr *e, rs_sb *sb) {
    for (size_t i = 0; i < e->nsteps; i++) {
        const map_step *s = &e->steps[i];
        if (s->kind == MAP_STEP_KEY) {
            if (i) rs_sb_putc(sb, '.');
            rs_sb_put(sb, s->key, s->key_len);
        } else if (s->kind == MAP_STEP_INDEX) {
            rs_sb_printf(sb, "[%u]", s->index);
        } else if (s->kind == MAP_STEP_PRIMARY) {
            rs_sb_puts(sb, "[primary]");
        } else {
            rs_sb_printf(sb, "[%.*s=\"%.*s\"]", (int)s->key_len, s->key, (int)s->value_len, s->value);
        }
    }
}

/* The declared type, looked up as the checker did (an array of scalars read whole is a LIST). */
static map_type path_type(const mcomp *c, const map_expr *e) {
    rs_sb sb = {0};
    for (size_t i = 0; i < e->nsteps; i++) {
        if (e->steps[i].kind != MAP_STEP_KEY) {
            rs_sb_puts(&sb, "[]");
            continue;
        }
        if (i) rs_sb_putc(&sb, '.');
        rs_sb_put(&sb, e->steps[i].key, e->steps[i].key_len);
    }
    map_type t = MT_ANY;
    if (!rs_srcschema_type(c->env->src, sb.buf, &t)) t = MT_LIST;
    rs_sb_free(&sb);
    return t;
}

static void emit_path(mcomp *c, const map_expr *e) {
    RS_GROW(c->p->paths, c->cap_paths, c->p->npaths + 1);
    rs_mappath *p = &c->p->paths[c->p->npaths];
    memset(p, 0, sizeof *p);
    rs_sb sb = {0};
    path_text(e, &sb);
    p->text = rs_sb_take(&sb);
    p->type = path_type(c, e);
    p->steps = rs_calloc(e->nsteps, sizeof *p->steps);
    p->nsteps = e->nsteps;
    for (size_t i = 0; i < e->nsteps; i++) {
        const map_step *s = &e->steps[i];
        p->steps[i].kind = s->kind == MAP_STEP_KEY ? MPS_KEY : s->kind == MAP_STEP_INDEX ? MPS_INDEX
                         : s->kind == MAP_STEP_PRIMARY ? MPS_PRIMARY : MPS_FILTER;
        p->steps[i].key = s->key ? rs_strndup(s->key, s->key_len) : NULL;
        p->steps[i].index = s->index;
        p->steps[i].value = s->value ? rs_strndup(s->value, s->value_len) : NULL;
    }
    emit(c, MOP_PATH, (uint32_t)c->p->npaths++, 0);
    push(c, 1);
}

static void emit_expr(mcomp *c, const map_expr *e);

/* if(c, a, b): c; JUMP_FALSE else; a; JUMP end; else: b; end: */
static void emit_if(mcomp *c, const map_expr *e) {
    emit_expr(c, e->args[0]);
    uint32_t jf = emit(c, MOP_JUMP_FALSE, 0, 0);
    pop(c, 1);
    emit_expr(c, e->args[1]);
    uint32_t j = emit(c, MOP_JUMP, 0, 0);
    pop(c, 1);
    c->p->code[jf].a = (uint32_t)c->p->ncode;
    emit_expr(c, e->args[2]);
    c->p->code[j].a = (uint32_t)c->p->ncode;
}

/* regex_replace(t, "p", "r"): t; CONST r; REGEX p (the pattern is compiled once per run). */
static void emit_regex(mcomp *c, const map_expr *e) {
    emit_expr(c, e->args[0]);
    emit_expr(c, e->args[2]);
    RS_GROW(c->p->regexes, c->cap_regexes, c->p->nregexes + 1);
    c->p->regexes[c->p->nregexes] = rs_strndup(e->args[1]->lit.str, e->args[1]->lit.len);
    emit(c, MOP_REGEX, (uint32_t)c->p->nregexes++, 0);
    pop(c, 1);
}

static void emit_call(mcomp *c, const map_expr *e) {
    int f = map_fn_find(e->fn);
    if (f == MAP_FN_IF) {
        emit_if(c, e);
        return;
    }
    if (f == MAP_FN_REGEX_REPLACE) {
        emit_regex(c, e);
        return;
    }
    for (size_t i = 0; i < e->nargs; i++) emit_expr(c, e->args[i]);
    emit(c, MOP_CALL, (uint32_t)f, (uint32_t)e->nargs);
    pop(c, (uint32_t)e->nargs);
    push(c, 1);
}

static map_cmp cmp_of(ast_op op) {
    switch (op) {
    case AST_OP_EQUALS: return MCMP_EQ;
    case AST_OP_NOT_EQUAL: return MCMP_NE;
    case AST_OP_ANY_OF: return MCMP_ANY;
    case AST_OP_NONE_OF: return MCMP_NONE;
    case AST_OP_INCLUDE_ALL: return MCMP_ALL;
    case AST_OP_IS_EMPTY: return MCMP_EMPTY;
    case AST_OP_NOT_EMPTY: return MCMP_NOT_EMPTY;
    case AST_OP_CONTAINS: return MCMP_CONTAINS;
    case AST_OP_NOT_CONTAINS: return MCMP_NOT_CONTAINS;
    case AST_OP_STARTS_WITH: return MCMP_STARTS;
    case AST_OP_BEFORE: case AST_OP_LESS: return MCMP_LT;
    case AST_OP_ON_OR_BEFORE: case AST_OP_AT_MOST: return MCMP_LE;
    case AST_OP_AFTER: case AST_OP_GREATER: return MCMP_GT;
    case AST_OP_ON_OR_AFTER: case AST_OP_AT_LEAST: return MCMP_GE;
    default: return MCMP_BETWEEN;
    }
}

static void emit_expr(mcomp *c, const map_expr *e) {
    switch (e->kind) {
    case MAP_X_LITERAL: emit_const(c, &e->lit); break;
    case MAP_X_PATH: emit_path(c, e); break;
    case MAP_X_CALL: emit_call(c, e); break;
    case MAP_X_AND: case MAP_X_OR:
        emit_expr(c, e->lhs);
        emit_expr(c, e->rhs);
        emit(c, e->kind == MAP_X_AND ? MOP_AND : MOP_OR, 0, 0);
        pop(c, 1);
        break;
    case MAP_X_NOT:
        emit_expr(c, e->lhs);
        emit(c, MOP_NOT, 0, 0);
        break;
    case MAP_X_CMP:
        emit_expr(c, e->lhs);
        for (size_t i = 0; i < e->nargs; i++) emit_expr(c, e->args[i]);
        emit(c, MOP_CMP, (uint32_t)cmp_of(e->op), (uint32_t)e->nargs);
        pop(c, (uint32_t)e->nargs);
        break;
    }
}

static void copy_targets(rs_mapprog *p, const rs_tgtschema *t) {
    p->targets = rs_calloc(t->n + 1, sizeof *p->targets);
    p->ntargets = t->n;
    for (size_t i = 0; i < t->n; i++) {
        const rs_tgtfield *f = &t->fields[i];
        rs_maptarget *o = &p->targets[i];
        o->name = rs_strdup(f->name);
        o->type = f->type;
        o->required = f->required;
        o->max_length = f->max_length;
        o->nallowed = f->nallowed;
        o->allowed = rs_calloc(f->nallowed + 1, sizeof *o->allowed);
        for (size_t j = 0; j < f->nallowed; j++) o->allowed[j] = rs_strdup(f->allowed[j]);
    }
}

static void copy_tables(rs_mapprog *p, const ast_mapping *m, const char *dir) {
    p->tables = rs_calloc(m->ntables + 1, sizeof *p->tables);
    p->ntables = m->ntables;
    for (size_t i = 0; i < m->ntables; i++) {
        p->tables[i].name = rs_strdup(m->tables[i].name.s);
        p->tables[i].path = rs_path_join(dir, m->tables[i].path.s);
    }
}

rs_mapprog *rs_map_compile(const rs_mapcheck *chk, size_t index, const char *dir) {
    const ast_mapping *m = &chk->file->maps[index];
    const rs_mapenv *env = &chk->envs[index];
    if (!env->ok) return NULL;
    rs_mapprog *p = rs_calloc(1, sizeof *p);
    p->id = rs_strdup(m->id.s);
    copy_targets(p, env->tgt);
    copy_tables(p, m, dir);
    mcomp c = {p, 0, 0, 0, 0, 0, env};
    for (size_t i = 0; i < m->nitems; i++) {
        int t = rs_tgtschema_index(env->tgt, m->items[i].target.s, m->items[i].target.len);
        p->targets[t].code_start = (uint32_t)p->ncode;
        c.depth = 0;
        emit_expr(&c, m->items[i].expr);
        emit(&c, MOP_STORE, (uint32_t)t, 0);
        p->targets[t].code_end = (uint32_t)p->ncode;
    }
    return p;
}

const char *map_opcode_name(map_opcode op) {
    static const char *const names[] = {
#define OP(name, doc) #name,
        RS_MAP_OPS(OP)
#undef OP
    };
    return (size_t)op < RS_ARRAY_LEN(names) ? names[op] : "?";
}

void rs_mapprog_free(rs_mapprog *p) {
    if (!p) return;
    for (size_t i = 0; i < p->nconsts; i++) free(p->consts[i].s);
    for (size_t i = 0; i < p->npaths; i++) {
        for (size_t j = 0; j < p->paths[i].nsteps; j++) {
            free(p->paths[i].steps[j].key);
            free(p->paths[i].steps[j].value);
        }
        free(p->paths[i].steps);
        free(p->paths[i].text);
    }
    for (size_t i = 0; i < p->ntargets; i++) {
        free(p->targets[i].name);
        for (size_t j = 0; j < p->targets[i].nallowed; j++) free(p->targets[i].allowed[j]);
        free(p->targets[i].allowed);
    }
    for (size_t i = 0; i < p->ntables; i++) {
        free(p->tables[i].name);
        free(p->tables[i].path);
    }
    for (size_t i = 0; i < p->nregexes; i++) free(p->regexes[i]);
    free(p->regexes);
    free(p->tables);
    free(p->targets);
    free(p->paths);
    free(p->consts);
    free(p->code);
    free(p->id);
    free(p);
}

/* ---- disassembly ---- */

static const char *const cmp_names[] = {
    "equals", "not equal to", "is any of", "is none of", "include all", "is empty", "is not empty",
    "contains", "does not contain", "starts with", "<", "<=", ">", ">=", "is between",
};

static void disasm_operand(const rs_mapprog *p, const rs_mapins *in, rs_sb *out) {
    const rs_mapconst *k;
    switch ((map_opcode)in->op) {
    case MOP_CONST:
        k = &p->consts[in->a];
        if (k->type == MT_TEXT) rs_sb_rule_str(out, k->s, k->len);
        else if (k->type == MT_BOOL) rs_sb_puts(out, k->b ? "true" : "false");
        else if (k->type == MT_DATE) {
            char d[RS_DATE_MAX];
            rs_date_format(k->day, d);
            rs_sb_puts(out, d);
        } else rs_sb_puts(out, k->s);
        break;
    case MOP_PATH: rs_sb_puts(out, p->paths[in->a].text); break;
    case MOP_CALL: rs_sb_printf(out, "%s/%u", map_fn_name((map_fn)in->a), in->b); break;
    case MOP_CMP:
        rs_sb_printf(out, "%s/%u", in->a < RS_ARRAY_LEN(cmp_names) ? cmp_names[in->a] : "?", in->b);
        break;
    case MOP_JUMP_FALSE: case MOP_JUMP: rs_sb_printf(out, "-> %u", in->a); break;
    case MOP_REGEX: rs_sb_rule_str(out, p->regexes[in->a], strlen(p->regexes[in->a])); break;
    case MOP_STORE: rs_sb_puts(out, p->targets[in->a].name); break;
    default: break;
    }
}

static void disasm_target(const rs_mapprog *p, const rs_maptarget *t, rs_sb *out) {
    rs_sb_printf(out, "%s (%s%s", t->name, map_type_name(t->type), t->required ? ", required" : "");
    if (t->max_length) rs_sb_printf(out, ", at most %u characters", t->max_length);
    if (t->nallowed) rs_sb_printf(out, ", %zu allowed values", t->nallowed);
    rs_sb_puts(out, "):\n");
    for (uint32_t pc = t->code_start; pc < t->code_end; pc++) {
        const rs_mapins *in = &p->code[pc];
        rs_sb_printf(out, "  %4u  %-10s  ", pc, map_opcode_name((map_opcode)in->op));
        disasm_operand(p, in, out);
        rs_sb_putc(out, '\n');
    }
}

void rs_mapprog_disasm(const rs_mapprog *p, rs_sb *out) {
    size_t mapped = 0;
    for (size_t i = 0; i < p->ntargets; i++) mapped += p->targets[i].code_end > p->targets[i].code_start;
    rs_sb_printf(out, "mapping \"%s\": %zu of %zu target fields mapped, %zu instructions, stack %u\n",
                 p->id, mapped, p->ntargets, p->ncode, p->max_stack);
    for (size_t i = 0; i < p->ntargets; i++)
        if (p->targets[i].code_end > p->targets[i].code_start) disasm_target(p, &p->targets[i], out);
}
