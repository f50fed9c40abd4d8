/* lower.c: checked groups to bytecode.
 *
 * Each group's expression becomes a small tree in negation normal form (`not` pushed to the leaves
 * by De Morgan, double negations gone, negative operators as negated leaves), with runs of `and` /
 * `or` flattened and their operands ordered cheapest first. Emission then picks, for every run,
 * whether to compute it or its complement so that a negated operand costs an ANDNOT instead of a
 * NOT wherever possible. Group layout:
 *   scope (IN / IN_TREE department K, or nothing)   expression   AND or ANDNOT
 *   [IDS allow; OR]   [IDS block; ANDNOT]   [IN status {"active"}; AND]
 * with ALL standing in for a missing scope and expression. */
#include <stdlib.h>
#include <string.h>
#include "compiler/compile.h"
#include "compiler/compiler_int.h"
#include "common/utf8.h"
#include "common/util.h"

/* ---- the expression tree ---- */

typedef enum { N_LEAF, N_AND, N_OR } nkind;

typedef struct node {
    nkind kind;
    bool neg;               /* leaf: the condition is the complement of the instruction */
    bool pol;               /* the bitmap emit() pushes is the complement of the node's value */
    unsigned cost;
    rs_opcode op;           /* leaf */
    uint8_t flags;
    int field;              /* leaf: schema index, -1 for none */
    uint32_t k;
    struct node **kids;
    size_t n, cap;
} node;

static node *leaf(rs_opcode op, uint8_t flags, int field, uint32_t k, bool neg) {
    node *n = rs_calloc(1, sizeof *n);
    n->kind = N_LEAF;
    n->op = op;
    n->flags = flags;
    n->field = field;
    n->k = k;
    n->neg = neg;
    return n;
}

static void node_free(node *n) {
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n);
}

/* Adds kid to a run, splicing runs of the same kind so `a and (b and c)` is one run of three. */
static void add_kid(node *run, node *kid) {
    if (kid->kind == run->kind) {
        for (size_t i = 0; i < kid->n; i++) add_kid(run, kid->kids[i]);
        kid->n = 0;
        node_free(kid);
        return;
    }
    RS_GROW(run->kids, run->cap, run->n + 1);
    run->kids[run->n++] = kid;
}

static node *run2(nkind kind, node *a, node *b) {
    node *r = rs_calloc(1, sizeof *r);
    r->kind = kind;
    add_kid(r, a);
    add_kid(r, b);
    return r;
}

/* ---- lowering state ---- */

typedef struct lower {
    const rs_checked *c;
    rs_builder b;
    uint16_t *fmap;         /* schema index -> program field index */
    int dept_field, status_field;
    uint32_t depth, max_depth;
} lower;

/* ---- constant sets ---- */

typedef struct tval {
    const char *s;
    uint32_t len;
    double num;
    int32_t day;
} tval;

static int tval_cmp_str(const void *pa, const void *pb) {
    const tval *a = pa, *b = pb;
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->s, b->s, n) : 0;
    if (c) return c;
    return (a->len > b->len) - (a->len < b->len);
}

static int tval_cmp_num(const void *pa, const void *pb) {
    const tval *a = pa, *b = pb;
    return (a->num > b->num) - (a->num < b->num);
}

static int tval_cmp_day(const void *pa, const void *pb) {
    const tval *a = pa, *b = pb;
    return (a->day > b->day) - (a->day < b->day);
}

/* Interns the set of n values of one kind. Unless keep_order (the two ends of BETWEEN), the values
 * are sorted and de-duplicated first. */
static uint32_t make_set(lower *lw, uint8_t kind, tval *v, size_t n, bool keep_order) {
    int (*cmp)(const void *, const void *) =
        kind == RS_K_STR ? tval_cmp_str : kind == RS_K_NUM ? tval_cmp_num : tval_cmp_day;
    size_t m = n;
    if (!keep_order && n > 1) {
        qsort(v, n, sizeof *v, cmp);
        m = 1;
        for (size_t i = 1; i < n; i++)
            if (cmp(&v[m - 1], &v[i]) != 0) v[m++] = v[i];
    }
    rs_kval *kv = rs_calloc(m ? m : 1, sizeof *kv);
    size_t total = 0;
    for (size_t i = 0; i < m; i++) total += v[i].len;
    char *strs = rs_malloc(total + 1);
    size_t off = 0;
    for (size_t i = 0; i < m; i++) {
        if (kind == RS_K_STR) {
            if (v[i].len) memcpy(strs + off, v[i].s, v[i].len);
            kv[i].str_off = (uint32_t)off;
            kv[i].str_len = v[i].len;
            off += v[i].len;
        }
        kv[i].num = v[i].num;
        kv[i].day = v[i].day;
    }
    uint32_t k = rs_builder_set(&lw->b, kind, kv, (uint32_t)m, strs);
    free(kv);
    free(strs);
    return k;
}

/* Interns a set of strings (ids as written, or case-folded text). */
static uint32_t make_str_set(lower *lw, const char *const *s, const size_t *len, size_t n, bool fold) {
    tval *v = rs_calloc(n ? n : 1, sizeof *v);
    char **owned = rs_calloc(n ? n : 1, sizeof *owned);
    for (size_t i = 0; i < n; i++) {
        size_t flen = len[i];
        if (fold) owned[i] = rs_casefold(s[i], len[i], &flen);
        v[i].s = fold ? owned[i] : s[i];
        v[i].len = (uint32_t)flen;
    }
    uint32_t k = make_set(lw, RS_K_STR, v, n, false);
    for (size_t i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(v);
    return k;
}

static uint32_t strlist_set(lower *lw, const ast_strlist *l) {
    const char **s = rs_calloc(l->n ? l->n : 1, sizeof *s);
    size_t *len = rs_calloc(l->n ? l->n : 1, sizeof *len);
    for (size_t i = 0; i < l->n; i++) {
        s[i] = l->items[i].s ? l->items[i].s : "";
        len[i] = l->items[i].len;
    }
    uint32_t k = make_str_set(lw, s, len, l->n, false);
    free(s);
    free(len);
    return k;
}

/* ---- conditions to leaves ---- */

typedef struct opmap {
    rs_opcode op;
    bool neg;
} opmap;

static opmap map_op(const rs_ccond *cc) {
    const ast_cond *ac = cc->ast;
    bool single = !cc->field->multi;
    rs_opcode tree = ac->with_sub ? RS_OP_IN_TREE : RS_OP_IN;
    switch (ac->op) {
    case AST_OP_EQUALS: case AST_OP_ANY_OF: return (opmap){RS_OP_IN, false};
    case AST_OP_NOT_EQUAL: case AST_OP_NONE_OF: return (opmap){RS_OP_IN, true};
    case AST_OP_INCLUDE_ALL: return (opmap){RS_OP_HAS_ALL, false};
    case AST_OP_IS_EMPTY: return (opmap){RS_OP_EMPTY, false};
    case AST_OP_NOT_EMPTY: return (opmap){RS_OP_EMPTY, true};
    case AST_OP_CONTAINS: return (opmap){RS_OP_CONTAINS, false};
    case AST_OP_NOT_CONTAINS: return (opmap){RS_OP_CONTAINS, true};
    case AST_OP_STARTS_WITH: return (opmap){RS_OP_PREFIX, false};
    case AST_OP_BEFORE: case AST_OP_LESS: return (opmap){RS_OP_LT, false};
    case AST_OP_ON_OR_BEFORE: case AST_OP_AT_MOST: return (opmap){RS_OP_LE, false};
    case AST_OP_AFTER: case AST_OP_GREATER: return (opmap){RS_OP_GT, false};
    case AST_OP_ON_OR_AFTER: case AST_OP_AT_LEAST: return (opmap){RS_OP_GE, false};
    case AST_OP_BETWEEN: return (opmap){RS_OP_BETWEEN, false};
    /* one department: "every department is listed" is "the department is listed" */
    case AST_OP_BELONG: return (opmap){single ? RS_OP_IN : RS_OP_BELONG, false};
    case AST_OP_PARTLY_BELONG: return (opmap){tree, false};
    case AST_OP_NOT_BELONG: return (opmap){tree, true};
    case AST_OP_REPORTS_TO: return (opmap){RS_OP_REPORTS, false};
    default: return (opmap){RS_OP_NONE, false};
    }
}

/* Values of a condition of a date field, split into fixed days and today-relative offsets, or of
 * any other type into one list of one kind. */
typedef struct cvals {
    tval *v[2];
    size_t n[2];
    uint8_t kind[2];
    char **owned;
    size_t nowned;
} cvals;

static void cvals_collect(const rs_ccond *cc, cvals *out) {
    const rs_field *f = cc->field;
    size_t n = cc->ast->nvalues;
    memset(out, 0, sizeof *out);
    out->v[0] = rs_calloc(n ? n : 1, sizeof(tval));
    out->v[1] = rs_calloc(n ? n : 1, sizeof(tval));
    out->owned = rs_calloc(n ? n : 1, sizeof(char *));
    bool fold = f->type == RS_T_TEXT || f->type == RS_T_OPTION;
    out->kind[0] = f->type == RS_T_DATE ? RS_K_DAY
                   : f->type == RS_T_NUMBER || f->type == RS_T_BOOL ? RS_K_NUM : RS_K_STR;
    out->kind[1] = RS_K_TODAY;
    for (size_t i = 0; i < n; i++) {
        const rs_cvalue *cv = &cc->values[i];
        int part = f->type == RS_T_DATE && cv->is_today;
        tval *t = &out->v[part][out->n[part]++];
        t->num = cv->num;
        t->day = cv->day;
        if (out->kind[0] != RS_K_STR) continue;
        size_t len = cv->len;
        t->s = cv->str ? cv->str : "";
        if (fold) t->s = out->owned[out->nowned++] = rs_casefold(t->s, cv->len, &len);
        t->len = (uint32_t)len;
    }
}

static void cvals_free(cvals *cv) {
    for (size_t i = 0; i < cv->nowned; i++) free(cv->owned[i]);
    free(cv->owned);
    free(cv->v[0]);
    free(cv->v[1]);
}

/* One leaf per value kind present; HAS_ALL of a single value is IN. */
static node *leaf_for(lower *lw, const rs_ccond *cc, opmap m, cvals *cv, int part) {
    size_t n = cv->n[part];
    uint32_t k = make_set(lw, cv->kind[part], cv->v[part], n, m.op == RS_OP_BETWEEN);
    rs_opcode op = m.op;
    if (op == RS_OP_HAS_ALL && lw->b.p->sets[k].count == 1) op = RS_OP_IN;
    return leaf(op, 0, cc->field_index, k, m.neg);
}

/* `is between` with one end fixed and one relative to today (single-valued fields only, which
 * the checker ensures): value >= A and value <= B. */
static node *between_split(lower *lw, const rs_ccond *cc) {
    const rs_cvalue *a = &cc->values[0], *b = &cc->values[1];
    tval ta = {NULL, 0, 0, a->day}, tb = {NULL, 0, 0, b->day};
    uint32_t ka = make_set(lw, a->is_today ? RS_K_TODAY : RS_K_DAY, &ta, 1, true);
    uint32_t kb = make_set(lw, b->is_today ? RS_K_TODAY : RS_K_DAY, &tb, 1, true);
    return run2(N_AND, leaf(RS_OP_GE, 0, cc->field_index, ka, false),
                leaf(RS_OP_LE, 0, cc->field_index, kb, false));
}

/* Complement of a tree in place (De Morgan): and <-> or, leaves negated. */
static node *negate(node *n) {
    if (n->kind == N_LEAF) n->neg = !n->neg;
    else n->kind = n->kind == N_AND ? N_OR : N_AND;
    for (size_t i = 0; i < n->n; i++) negate(n->kids[i]);
    return n;
}

static node *cond_node(lower *lw, const rs_ccond *cc, bool neg) {
    opmap m = map_op(cc);
    cvals cv;
    cvals_collect(cc, &cv);
    node *r;
    if (m.op == RS_OP_EMPTY) {
        r = leaf(RS_OP_EMPTY, 0, cc->field_index, 0, m.neg);
    } else if (cv.n[0] && cv.n[1]) {
        /* fixed dates and today-relative ones cannot share a set */
        if (m.op == RS_OP_BETWEEN) {
            r = between_split(lw, cc);
        } else {
            /* any of: either set; include all: both sets; a negated operator is the complement */
            opmap pos = {m.op, false};
            r = run2(m.op == RS_OP_HAS_ALL ? N_AND : N_OR, leaf_for(lw, cc, pos, &cv, 0),
                     leaf_for(lw, cc, pos, &cv, 1));
            if (m.neg) negate(r);
        }
    } else {
        r = leaf_for(lw, cc, m, &cv, cv.n[0] ? 0 : 1);
    }
    cvals_free(&cv);
    return neg ? negate(r) : r;
}

/* ---- expressions ---- */

typedef struct walk {
    const rs_cgroup *g;
    size_t next_where;      /* where_conds are in the order this walk meets them */
} walk;

static const rs_ccond *numbered(const rs_cgroup *g, uint32_t number) {
    for (size_t i = 0; i < g->ast->nconds; i++)
        if (g->conds[i].ast->number == number) return &g->conds[i];
    return NULL;
}

static const rs_ccond *where_cond(walk *w, const ast_cond *ac) {
    if (w->next_where < w->g->nwhere && w->g->where_conds[w->next_where]->ast == ac)
        return w->g->where_conds[w->next_where++];
    return rs_checked_cond(w->g, ac);
}

/* The tree of e, complemented when neg, in negation normal form. */
static node *expr_node(lower *lw, walk *w, const ast_expr *e, bool neg) {
    switch (e->kind) {
    case AST_EXPR_AND: case AST_EXPR_OR: {
        bool and_ = (e->kind == AST_EXPR_AND) != neg;
        node *l = expr_node(lw, w, e->lhs, neg);
        return run2(and_ ? N_AND : N_OR, l, expr_node(lw, w, e->rhs, neg));
    }
    case AST_EXPR_NOT:
        return expr_node(lw, w, e->lhs, !neg);
    case AST_EXPR_REF: {
        const rs_ccond *cc = numbered(w->g, e->ref);
        return ALWAYS(cc != NULL) ? cond_node(lw, cc, neg) : leaf(RS_OP_NONE, 0, -1, 0, neg);
    }
    case AST_EXPR_COND: default: {
        const rs_ccond *cc = where_cond(w, e->cond);
        return ALWAYS(cc != NULL) ? cond_node(lw, cc, neg) : leaf(RS_OP_NONE, 0, -1, 0, neg);
    }
    }
}

/* The group's expression: match, where, or all numbered conditions and-ed; NULL for none. */
static node *group_expr(lower *lw, const rs_cgroup *g) {
    walk w = {g, 0};
    const ast_group *ag = g->ast;
    if (ag->match) return expr_node(lw, &w, ag->match, false);
    if (ag->where) return expr_node(lw, &w, ag->where, false);
    node *r = NULL;
    for (size_t i = 0; i < ag->nconds; i++) {
        node *c = cond_node(lw, &g->conds[i], false);
        r = r ? run2(N_AND, r, c) : c;
    }
    return r;
}

/* ---- ordering and polarity ---- */

/* Costs bottom-up, runs sorted cheapest first (stable, so ties keep source order), and the
 * polarity emit() will produce: a run of and computes the complement only when every operand
 * comes complemented (then it ORs them); a run of or computes the complement as soon as one
 * operand comes complemented (then it ANDs those and ANDNOTs the rest). */
static void finish(node *n) {
    if (n->kind == N_LEAF) {
        n->cost = rs_op_cost(n->op);
        n->pol = n->neg;
        return;
    }
    n->cost = 0;
    size_t ncomp = 0;
    for (size_t i = 0; i < n->n; i++) {
        finish(n->kids[i]);
        n->cost += n->kids[i]->cost;
        ncomp += n->kids[i]->pol;
    }
    for (size_t i = 1; i < n->n; i++) {
        node *x = n->kids[i];
        size_t j = i;
        for (; j > 0 && n->kids[j - 1]->cost > x->cost; j--) n->kids[j] = n->kids[j - 1];
        n->kids[j] = x;
    }
    n->pol = n->kind == N_AND ? ncomp == n->n : ncomp > 0;
}

static void emit_insn(lower *lw, rs_opcode op, uint8_t flags, int field, uint32_t k) {
    const rs_opinfo *oi = &rs_opinfo_table[op];
    uint16_t f = field >= 0 ? lw->fmap[field] : 0;
    rs_builder_insn(&lw->b, op, flags, f, k);
    lw->depth = lw->depth - oi->pops + oi->pushes;
    if (lw->depth > lw->max_depth) lw->max_depth = lw->depth;
}

/* How an operand whose pushed bitmap has polarity kp joins a run of kind `kind` whose pushed
 * bitmap has polarity rp. */
static rs_opcode combine(nkind kind, bool rp, bool kp) {
    if (kind == N_AND) return rp ? RS_OP_OR : kp ? RS_OP_ANDNOT : RS_OP_AND;
    return rp ? (kp ? RS_OP_AND : RS_OP_ANDNOT) : RS_OP_OR;
}

static void emit(lower *lw, const node *n) {
    if (n->kind == N_LEAF) {
        emit_insn(lw, n->op, n->flags, n->field, n->k);
        return;
    }
    /* the first operand must be one that can stand alone: of the run's own polarity */
    size_t lead = 0;
    while (lead < n->n && n->kids[lead]->pol != n->pol) lead++;
    if (NEVER(lead == n->n)) lead = 0;
    emit(lw, n->kids[lead]);
    for (size_t i = 0; i < n->n; i++) {
        if (i == lead) continue;
        emit(lw, n->kids[i]);
        emit_insn(lw, combine(n->kind, n->pol, n->kids[i]->pol), 0, -1, 0);
    }
}

/* ---- groups ---- */

static uint32_t hash_insn(const rs_program *p, uint32_t h, const rs_insn *in) {
    const rs_opinfo *oi = &rs_opinfo_table[in->op];
    h = rs_fnv1a_u32(h, (uint32_t)in->op | (uint32_t)in->flags << 8);
    if (oi->uses[0] == 'F') {
        const char *name = p->fields[in->field].name;
        h = rs_fnv1a(rs_fnv1a_u32(h, (uint32_t)strlen(name)), name, strlen(name));
    }
    if (oi->uses[1] != 'K') return h;
    const rs_kset *s = &p->sets[in->k];
    h = rs_fnv1a_u32(rs_fnv1a_u32(h, s->kind), s->count);
    for (uint32_t i = 0; i < s->count; i++) {
        const rs_kval *v = &p->vals[s->first + i];
        if (s->kind == RS_K_STR) h = rs_fnv1a(rs_fnv1a_u32(h, v->str_len), p->strings + v->str_off, v->str_len);
        else if (s->kind == RS_K_NUM) h = rs_fnv1a_double(h, v->num);
        else h = rs_fnv1a_u32(h, (uint32_t)v->day);
    }
    return h;
}

/* Independent of every other group: names, not field indices; values, not set indices. */
static uint32_t group_hash(const rs_program *p, const rs_pgroup *g) {
    uint32_t h = RS_FNV_OFFSET;
    h = rs_fnv1a(rs_fnv1a_u32(h, (uint32_t)strlen(g->id)), g->id, strlen(g->id));
    h = rs_fnv1a(rs_fnv1a_u32(h, (uint32_t)strlen(g->name)), g->name, strlen(g->name));
    for (uint32_t i = 0; i < g->code_len; i++) h = hash_insn(p, h, &p->code[g->code_start + i]);
    return h;
}

static void lower_group(lower *lw, const rs_cgroup *cg) {
    const ast_group *ag = cg->ast;
    uint32_t start = lw->b.p->ncode;
    lw->depth = lw->max_depth = 0;
    bool scope = ag->departments.present && ag->departments.n > 0 && ALWAYS(lw->dept_field >= 0);
    if (scope) {
        uint32_t k = strlist_set(lw, &ag->departments);
        emit_insn(lw, ag->departments_with_sub ? RS_OP_IN_TREE : RS_OP_IN, 0, lw->dept_field, k);
    }
    node *e = group_expr(lw, cg);
    if (e) {
        finish(e);
        emit(lw, e);
        if (scope) emit_insn(lw, e->pol ? RS_OP_ANDNOT : RS_OP_AND, 0, -1, 0);
        else if (e->pol) emit_insn(lw, RS_OP_NOT, 0, -1, 0);
        node_free(e);
    } else if (!scope) {
        emit_insn(lw, RS_OP_ALL, 0, -1, 0);
    }
    if (ag->allow.n) {
        emit_insn(lw, RS_OP_IDS, 0, -1, strlist_set(lw, &ag->allow));
        emit_insn(lw, RS_OP_OR, 0, -1, 0);
    }
    if (ag->block.n) {
        emit_insn(lw, RS_OP_IDS, 0, -1, strlist_set(lw, &ag->block));
        emit_insn(lw, RS_OP_ANDNOT, 0, -1, 0);
    }
    if (lw->status_field >= 0) {
        static const char *const active[] = {"active"};
        static const size_t active_len[] = {6};
        emit_insn(lw, RS_OP_IN, 0, lw->status_field, make_str_set(lw, active, active_len, 1, false));
        emit_insn(lw, RS_OP_AND, 0, -1, 0);
    }
    rs_pgroup *g = rs_builder_group(&lw->b);
    g->id = rs_strndup(ag->id.s ? ag->id.s : "", ag->id.len);
    g->name = rs_strndup(ag->name.s ? ag->name.s : "", ag->name.len);
    g->code_start = start;
    g->code_len = lw->b.p->ncode - start;
    g->max_stack = (uint16_t)lw->max_depth;
    g->source_hash = group_hash(lw->b.p, g);
}

/* ---- the field table: the fields the code reads, in schema order ---- */

static void mark_cond(bool *used, const rs_ccond *cc) {
    if (cc->field_index >= 0) used[cc->field_index] = true;
}

static void build_fields(lower *lw) {
    const rs_schema *s = lw->c->schema;
    bool *used = rs_calloc(s->nfields ? s->nfields : 1, sizeof *used);
    size_t ngroups = 0;
    for (size_t i = 0; i < lw->c->ngroups; i++) {
        const rs_cgroup *g = &lw->c->groups[i];
        if (!g->ok) continue;
        ngroups++;
        if (g->ast->departments.present && g->ast->departments.n && lw->dept_field >= 0) used[lw->dept_field] = true;
        for (size_t j = 0; j < g->ast->nconds; j++) mark_cond(used, &g->conds[j]);
        for (size_t j = 0; j < g->nwhere; j++) mark_cond(used, g->where_conds[j]);
    }
    if (ngroups == 0 || lw->status_field < 0) lw->status_field = -1;
    else used[lw->status_field] = true;
    lw->fmap = rs_calloc(s->nfields ? s->nfields : 1, sizeof *lw->fmap);
    for (size_t i = 0; i < s->nfields; i++) {
        if (!used[i]) continue;
        const rs_field *f = &s->fields[i];
        uint32_t idx = rs_builder_field(&lw->b, f->name, f->type, f->multi);
        lw->fmap[i] = (uint16_t)(ALWAYS(idx <= UINT16_MAX) ? idx : 0);
    }
    free(used);
}

rs_program *rs_compile(const rs_checked *c) {
    lower lw;
    memset(&lw, 0, sizeof lw);
    lw.c = c;
    rs_builder_init(&lw.b);
    lw.dept_field = rs_schema_index(c->schema, "department");
    lw.status_field = rs_schema_index(c->schema, "status");
    build_fields(&lw);
    for (size_t i = 0; i < c->ngroups; i++)
        if (c->groups[i].ok) lower_group(&lw, &c->groups[i]);
    free(lw.fmap);
    return rs_builder_finish(&lw.b);
}
