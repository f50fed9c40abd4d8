/* verify.c: every invariant the VM relies on, checked before a program runs. A program from the
 * compiler always passes; a program read from a file passes or is refused. The checks are linear
 * in the size of the program (plus sorting the names), so hostile input cannot make them slow. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/compiler_int.h"
#include "common/util.h"

typedef struct vctx {
    const rs_program *p;
    char *err;
    size_t errlen;
    rs_vwhere *where;
    uint8_t *set_order;    /* per set: SORTED_STRICT / SORTED bits */
    uint8_t *set_flags;    /* per set: BOOL01 bit */
} vctx;

enum { ORDER_STRICT = 1, ORDER_NONDECREASING = 2 };
enum { SET_BOOL01 = 1 };

static int fail(vctx *v, rs_vsection sec, uint32_t index, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(vctx *v, rs_vsection sec, uint32_t index, const char *fmt, ...) {
    if (v->err && v->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->err, v->errlen, fmt, ap);
        va_end(ap);
    }
    if (v->where) {
        v->where->section = sec;
        v->where->index = index;
    }
    return -1;
}

/* ---- fields ---- */

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names bind the program to a snapshot, so two entries with one name would be ambiguous. */
static int unique_names(vctx *v, char **names, uint32_t n, rs_vsection sec, const char *what) {
    if (n < 2) return 0;
    char **sorted = rs_calloc(n, sizeof *sorted);
    memcpy(sorted, names, (size_t)n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_name);
    int rc = 0;
    for (uint32_t i = 1; i < n && rc == 0; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) != 0) continue;
        uint32_t at = 0;
        for (uint32_t j = 0; j < n; j++)
            if (names[j] == sorted[i]) at = j;
        rc = fail(v, sec, at, "%s %u: '%.60s' appears twice", what, at, sorted[i]);
    }
    free(sorted);
    return rc;
}

static int verify_fields(vctx *v) {
    const rs_program *p = v->p;
    if (p->nfields > (uint32_t)UINT16_MAX + 1)
        return fail(v, RS_VSEC_FIELDS, 0, "%u fields; instructions can address at most %u", p->nfields,
                    (unsigned)UINT16_MAX + 1);
    if (p->nfields && !p->fields) return fail(v, RS_VSEC_FIELDS, 0, "field table missing");
    for (uint32_t i = 0; i < p->nfields; i++) {
        const rs_pfield *f = &p->fields[i];
        if (!f->name || !f->name[0]) return fail(v, RS_VSEC_FIELDS, i, "field %u has no name", i);
        if (f->type >= RS_T_COUNT) return fail(v, RS_VSEC_FIELDS, i, "field %u has unknown type %u", i, f->type);
    }
    char **names = rs_calloc(p->nfields ? p->nfields : 1, sizeof *names);
    for (uint32_t i = 0; i < p->nfields; i++) names[i] = p->fields[i].name;
    int rc = unique_names(v, names, p->nfields, RS_VSEC_FIELDS, "field");
    free(names);
    return rc;
}

/* ---- constants ---- */

static int verify_value(vctx *v, uint8_t kind, uint32_t vi) {
    const rs_program *p = v->p;
    const rs_kval *kv = &p->vals[vi];
    if (kind == RS_K_STR) {
        uint64_t end = (uint64_t)kv->str_off + kv->str_len;
        if (end >= p->strings_len)
            return fail(v, RS_VSEC_VALS, vi, "value %u: string [%u, +%u) outside the string area (%u bytes)",
                        vi, kv->str_off, kv->str_len, p->strings_len);
        if (p->strings[end] != '\0')
            return fail(v, RS_VSEC_VALS, vi, "value %u: string not followed by a NUL byte", vi);
    } else if (kind == RS_K_NUM && !isfinite(kv->num)) {
        return fail(v, RS_VSEC_VALS, vi, "value %u: number is not finite", vi);
    }
    return 0;
}

static int verify_set(vctx *v, uint32_t k) {
    const rs_program *p = v->p;
    const rs_kset *s = &p->sets[k];
    if (s->kind > RS_K_TODAY) return fail(v, RS_VSEC_SETS, k, "set %u has unknown kind %u", k, s->kind);
    if (s->count == 0) return fail(v, RS_VSEC_SETS, k, "set %u is empty", k);
    if ((uint64_t)s->first + s->count > p->nvals)
        return fail(v, RS_VSEC_SETS, k, "set %u: values [%u, +%u) beyond the %u values", k, s->first, s->count,
                    p->nvals);
    uint8_t order = ORDER_STRICT | ORDER_NONDECREASING, flags = SET_BOOL01;
    for (uint32_t i = 0; i < s->count; i++) {
        uint32_t vi = s->first + i;
        TRY(verify_value(v, s->kind, vi));
        const rs_kval *kv = &p->vals[vi];
        if (s->kind != RS_K_NUM || (kv->num != 0 && kv->num != 1)) flags = 0;
        if (i == 0) continue;
        int c = rs_kval_cmp(p, s->kind, &p->vals[vi - 1], kv);
        if (c >= 0) order &= (uint8_t)~ORDER_STRICT;
        if (c > 0) order = 0;
    }
    v->set_order[k] = order;
    v->set_flags[k] = flags;
    return 0;
}

static int verify_sets(vctx *v) {
    const rs_program *p = v->p;
    if ((p->nsets && !p->sets) || (p->nvals && !p->vals) || (p->strings_len && !p->strings))
        return fail(v, RS_VSEC_SETS, 0, "constant pool missing");
    for (uint32_t k = 0; k < p->nsets; k++) TRY(verify_set(v, k));
    return 0;
}

/* ---- instructions ---- */

static int verify_insn(vctx *v, uint32_t pc) {
    const rs_program *p = v->p;
    const rs_insn *in = &p->code[pc];
    if (in->op >= RS_OP_COUNT) return fail(v, RS_VSEC_CODE, pc, "instruction %u: opcode %u does not exist", pc, in->op);
    const rs_opinfo *oi = &rs_opinfo_table[in->op];
    bool uses_f = oi->uses[0] == 'F', uses_k = oi->uses[1] == 'K';
    if (in->flags & ~(unsigned)RS_FLAG_SUB || (in->flags && in->op != RS_OP_BELONG))
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): flags 0x%x not valid", pc, oi->name, in->flags);
    if (uses_f ? in->field >= p->nfields : in->field != 0)
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): field operand %u %s", pc, oi->name, in->field,
                    uses_f ? "out of range" : "must be 0");
    if (uses_k ? in->k >= p->nsets : in->k != 0)
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): constant operand %u %s", pc, oi->name, in->k,
                    uses_k ? "out of range" : "must be 0");
    if (!uses_f && !uses_k) return 0;
    const rs_pfield *f = uses_f ? &p->fields[in->field] : NULL;
    unsigned kinds = rs_op_kinds((rs_opcode)in->op, f ? (rs_type)f->type : RS_T_TEXT);
    if (!kinds)
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): not valid on field '%.60s' of type %s", pc,
                    oi->name, f->name, rs_type_name((rs_type)f->type));
    if (!uses_k) return 0;
    const rs_kset *s = &p->sets[in->k];
    if (!(kinds & (1u << s->kind)))
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): constant set %u has the wrong kind for %s", pc,
                    oi->name, in->k, f ? rs_type_name((rs_type)f->type) : "member ids");
    uint32_t size = rs_op_set_size((rs_opcode)in->op);
    if (size && s->count != size)
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): constant set %u has %u values, needs %u", pc,
                    oi->name, in->k, s->count, size);
    uint8_t need = in->op == RS_OP_BETWEEN ? ORDER_NONDECREASING : ORDER_STRICT;
    if (!(v->set_order[in->k] & need))
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): constant set %u is not %s", pc, oi->name, in->k,
                    in->op == RS_OP_BETWEEN ? "a range (low <= high)" : "sorted without repeats");
    if (f && f->type == RS_T_BOOL && !(v->set_flags[in->k] & SET_BOOL01))
        return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s): bool constants must be 0 or 1", pc, oi->name);
    return 0;
}

/* ---- groups ---- */

static int verify_group(vctx *v, uint32_t gi) {
    const rs_program *p = v->p;
    const rs_pgroup *g = &p->groups[gi];
    if (!g->id || !g->id[0] || !g->name) return fail(v, RS_VSEC_GROUPS, gi, "group %u has no id or name", gi);
    if (g->code_len == 0 || (uint64_t)g->code_start + g->code_len > p->ncode)
        return fail(v, RS_VSEC_GROUPS, gi, "group %u: code [%u, +%u) outside the %u instructions", gi,
                    g->code_start, g->code_len, p->ncode);
    uint32_t depth = 0, max = 0;
    for (uint32_t pc = g->code_start; pc < g->code_start + g->code_len; pc++) {
        const rs_opinfo *oi = &rs_opinfo_table[p->code[pc].op];
        if (depth < oi->pops)
            return fail(v, RS_VSEC_CODE, pc, "instruction %u (%s) of group %u pops %u bitmaps, the stack holds %u",
                        pc, oi->name, gi, oi->pops, depth);
        depth = depth - oi->pops + oi->pushes;
        if (depth > max) max = depth;
    }
    if (depth != 1)
        return fail(v, RS_VSEC_GROUPS, gi, "group %u ends with %u bitmaps on the stack, not 1", gi, depth);
    if (max != g->max_stack)
        return fail(v, RS_VSEC_GROUPS, gi, "group %u declares max stack %u, its code needs %u", gi, g->max_stack, max);
    return 0;
}

int rs_program_verify_at(const rs_program *p, char *err, size_t errlen, rs_vwhere *where) {
    vctx v = {p, err, errlen, where, NULL, NULL};
    if (where) where->section = RS_VSEC_NONE, where->index = 0;
    if (err && errlen) err[0] = '\0';
    if (!p) return fail(&v, RS_VSEC_NONE, 0, "no program");
    if ((p->ncode && !p->code) || (p->ngroups && !p->groups))
        return fail(&v, RS_VSEC_NONE, 0, "code or group table missing");
    TRY(verify_fields(&v));
    v.set_order = rs_calloc(p->nsets ? p->nsets : 1, 1);
    v.set_flags = rs_calloc(p->nsets ? p->nsets : 1, 1);
    int rc = verify_sets(&v);
    for (uint32_t pc = 0; rc == 0 && pc < p->ncode; pc++) rc = verify_insn(&v, pc);
    for (uint32_t gi = 0; rc == 0 && gi < p->ngroups; gi++) rc = verify_group(&v, gi);
    if (rc == 0) {
        char **ids = rs_calloc(p->ngroups ? p->ngroups : 1, sizeof *ids);
        for (uint32_t gi = 0; gi < p->ngroups; gi++) ids[gi] = p->groups[gi].id;
        rc = unique_names(&v, ids, p->ngroups, RS_VSEC_GROUPS, "group id of group");
        free(ids);
    }
    free(v.set_order);
    free(v.set_flags);
    return rc;
}

int rs_program_verify(const rs_program *p, char *err, size_t errlen) {
    return rs_program_verify_at(p, err, errlen, NULL);
}
