/* vm_prep.c: binding a program to a snapshot and preparing its instructions (runtime/vm_int.h
 * describes the result). Everything that depends on the constants rather than on a member is done
 * here, once per run and only for the groups the run evaluates: string lookups in the folded
 * dictionaries, department subtrees, today-relative dates, the `reports to` closure, and the member
 * lists of selective leaves.
 *
 * Reading order: constants, binding, one function per kind of lookup, sharing equal leaves, member
 * lists, the entry point. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/parallel.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/vm_int.h"
#include "runtime/vm_leaf.h"

/* ---- constants ---- */

static const rs_kval *kval(const rs_vm *vm, const rs_kset *ks, uint32_t i) {
    return &vm->p->vals[ks->first + i];
}

static const char *kstr(const rs_vm *vm, const rs_kval *v, size_t *len) {
    *len = v->str_len;
    return vm->p->strings + v->str_off;
}

/* A numeric constant as a double; dates (absolute or from today) as day numbers. */
static double knum(const rs_vm *vm, const rs_kset *ks, const rs_kval *v) {
    switch (ks->kind) {
    case RS_K_NUM: return v->num;
    case RS_K_DAY: return v->day;
    case RS_K_TODAY: return (double)vm->today + v->day;
    default: return NAN;
    }
}

static int64_t kday(const rs_vm *vm, const rs_kset *ks, const rs_kval *v) {
    switch (ks->kind) {
    case RS_K_DAY: return v->day;
    case RS_K_TODAY: return (int64_t)vm->today + v->day;
    case RS_K_NUM: return (int64_t)floor(v->num);
    default: return 0;
    }
}

typedef struct kstr_ref {
    const char *s;
    size_t len;
} kstr_ref;

/* Byte-wise order, a shorter string before its extensions (the order of rs_strtab.sorted). */
static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static int kstr_cmp(const void *a, const void *b) {
    const kstr_ref *x = a, *y = b;
    return bytes_cmp(x->s, x->len, y->s, y->len);
}

static int double_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int int32_cmp(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* The distinct strings of a set, sorted: the compiler de-duplicates too, but the count of distinct
 * values is what `include all` needs, so it is not taken on trust. */
static kstr_ref *distinct_strs(const rs_vm *vm, const rs_kset *ks, uint32_t *n) {
    kstr_ref *r = rs_calloc(ks->count ? ks->count : 1, sizeof *r);
    for (uint32_t i = 0; i < ks->count; i++) r[i].s = kstr(vm, kval(vm, ks, i), &r[i].len);
    qsort(r, ks->count, sizeof *r, kstr_cmp);
    uint32_t k = 0;
    for (uint32_t i = 0; i < ks->count; i++)
        if (k == 0 || kstr_cmp(&r[k - 1], &r[i]) != 0) r[k++] = r[i];
    *n = k;
    return r;
}

static double *distinct_nums(const rs_vm *vm, const rs_kset *ks, uint32_t *n) {
    double *r = rs_calloc(ks->count ? ks->count : 1, sizeof *r);
    for (uint32_t i = 0; i < ks->count; i++) r[i] = knum(vm, ks, kval(vm, ks, i));
    qsort(r, ks->count, sizeof *r, double_cmp);
    uint32_t k = 0;
    for (uint32_t i = 0; i < ks->count; i++)
        if (k == 0 || r[k - 1] != r[i]) r[k++] = r[i];
    *n = k;
    return r;
}

/* *dropped counts the constants no date can equal (beyond the day-number range). */
static int32_t *distinct_days(const rs_vm *vm, const rs_kset *ks, uint32_t *n, uint32_t *dropped) {
    int32_t *r = rs_calloc(ks->count ? ks->count : 1, sizeof *r);
    uint32_t k = 0;
    *dropped = 0;
    for (uint32_t i = 0; i < ks->count; i++) {
        int64_t d = kday(vm, ks, kval(vm, ks, i));
        if (d >= INT32_MIN && d <= INT32_MAX) r[k++] = (int32_t)d;
        else (*dropped)++;
    }
    qsort(r, k, sizeof *r, int32_cmp);
    uint32_t u = 0;
    for (uint32_t i = 0; i < k; i++)
        if (u == 0 || r[u - 1] != r[i]) r[u++] = r[i];
    *n = u;
    return r;
}

static long find_str(const kstr_ref *v, uint32_t n, const char *s, size_t len) {
    kstr_ref key = {s, len};
    const kstr_ref *hit = bsearch(&key, v, n, sizeof *v, kstr_cmp);
    return hit ? hit - v : -1;
}

/* ---- binding ---- */

static int bind_fields(rs_vm *vm, rs_diags *d) {
    const rs_schema *sc = vm->s->schema;
    int rc = 0;
    vm->fcol = rs_calloc(vm->p->nfields ? vm->p->nfields : 1, sizeof *vm->fcol);
    for (uint32_t i = 0; i < vm->p->nfields; i++) {
        const rs_pfield *pf = &vm->p->fields[i];
        int idx = rs_schema_index(sc, pf->name);
        const char *want = rs_type_name((rs_type)pf->type);
        if (idx < 0) {
            rs_diag *dg = rs_diag_file(d, RS_E_BC_SCHEMA_MISMATCH, NULL, 0, 0,
                                       "the rules read field '%s' (%s%s), which the snapshot does not have",
                                       pf->name, pf->multi ? "multi " : "", want);
            rs_diag_help(dg, "compile the rules against this snapshot's schema.json");
            rc = -1;
            continue;
        }
        const rs_field *f = &sc->fields[idx];
        if ((uint8_t)f->type != pf->type || f->multi != pf->multi) {
            rs_diag_file(d, RS_E_BC_SCHEMA_MISMATCH, NULL, 0, 0,
                         "field '%s' is %s%s in the rules but %s%s in the snapshot", pf->name,
                         pf->multi ? "multi " : "", want, f->multi ? "multi " : "",
                         rs_type_name(f->type));
            rc = -1;
            continue;
        }
        vm->fcol[i] = &vm->s->columns[idx];
    }
    return rc;
}

/* Operand bounds and stack depth, recomputed here so that no program can make the VM read or write
 * out of bounds, whoever built it. */
static int check_code(rs_vm *vm, rs_diags *d) {
    const rs_program *p = vm->p;
    for (uint32_t g = 0; g < p->ngroups; g++) {
        const rs_pgroup *pg = &p->groups[g];
        uint32_t depth = 0, peak = 0;
        const char *bad = NULL;
        if ((uint64_t)pg->code_start + pg->code_len > p->ncode) bad = "code outside the program";
        for (uint32_t pc = pg->code_start; !bad && pc < pg->code_start + pg->code_len; pc++) {
            const rs_insn *in = &p->code[pc];
            if (in->op >= RS_OP_COUNT) { bad = "unknown opcode"; break; }
            const rs_opinfo *oi = &rs_opinfo_table[in->op];
            if (oi->uses[0] == 'F' && in->field >= p->nfields) bad = "field index out of range";
            else if (oi->uses[1] == 'K' && in->k >= p->nsets) bad = "constant index out of range";
            else if (oi->uses[1] == 'K' && (uint64_t)p->sets[in->k].first + p->sets[in->k].count > p->nvals)
                bad = "constant set outside the value pool";
            else if (depth < oi->pops) bad = "stack underflow";
            if (bad) break;
            depth = depth - oi->pops + oi->pushes;
            if (depth > peak) peak = depth;
        }
        if (!bad && depth != 1) bad = "group code does not leave exactly one bitmap";
        if (bad) {
            rs_diag_file(d, RS_E_BC_CORRUPT, NULL, 0, 0, "group '%s': %s", pg->id ? pg->id : "?", bad);
            return -1;
        }
        if (peak > vm->max_stack) vm->max_stack = peak;
    }
    for (uint32_t k = 0; k < p->nsets; k++) {   /* string constants inside the string pool */
        const rs_kset *ks = &p->sets[k];
        for (uint32_t i = 0; ks->kind == RS_K_STR && i < ks->count && (uint64_t)ks->first + i < p->nvals; i++) {
            const rs_kval *v = &p->vals[ks->first + i];
            if ((uint64_t)v->str_off + v->str_len > p->strings_len) {
                rs_diag_file(d, RS_E_BC_CORRUPT, NULL, 0, 0, "string constant outside the string pool");
                return -1;
            }
        }
    }
    return 0;
}

/* ---- preparing leaves: one lookup per distinct value, never per member ---- */

static uint64_t *bits_new(size_t nbits) { return rs_calloc(rs_bm_words(nbits) + 1, sizeof(uint64_t)); }

/* Number of codes a column's values range over. */
static uint32_t code_space(const rs_vm *vm, const rs_column *col) {
    switch (col->field->type) {
    case RS_T_TEXT: return col->dict.raw.n;
    case RS_T_OPTION: return (uint32_t)col->field->noptions;
    case RS_T_BOOL: return 2;
    case RS_T_PERSONNEL: return vm->s->nmembers;
    case RS_T_DEPARTMENT: return vm->s->depts.n;
    default: return 0;
    }
}

static void mark(uint64_t *table, int32_t *kmap, uint32_t code, long kidx) {
    if (table) rs_bm_set(table, code);
    if (kmap) kmap[code] = (int32_t)kidx;
}

/* Text equality: every raw dictionary code whose folded form is one of the (folded) constants. */
static void map_text(const rs_column *col, const kstr_ref *v, uint32_t n, uint64_t *table, int32_t *kmap) {
    const rs_strtab *ft = &col->dict.folded;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t lo = 0, hi = ft->n;
        while (lo < hi) {   /* first sorted position not below v[k] */
            uint32_t mid = lo + (hi - lo) / 2;
            size_t len;
            const char *s = rs_strtab_get(ft, ft->sorted[mid], &len);
            if (bytes_cmp(s, len, v[k].s, v[k].len) < 0) lo = mid + 1;
            else hi = mid;
        }
        for (; lo < ft->n; lo++) {
            size_t len;
            const char *s = rs_strtab_get(ft, ft->sorted[lo], &len);
            if (bytes_cmp(s, len, v[k].s, v[k].len) != 0) break;
            mark(table, kmap, ft->sorted[lo], k);
        }
    }
}

static void map_options(const rs_field *f, const kstr_ref *v, uint32_t n, uint64_t *table, int32_t *kmap) {
    for (size_t o = 0; o < f->noptions; o++) {
        size_t flen;
        char *folded = rs_casefold(f->options[o], strlen(f->options[o]), &flen);
        long k = find_str(v, n, folded, flen);
        if (k >= 0) mark(table, kmap, (uint32_t)o, k);
        free(folded);
    }
}

static void map_ids(const rs_vm *vm, rs_type t, const kstr_ref *v, uint32_t n, uint64_t *table,
                    int32_t *kmap) {
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = t == RS_T_PERSONNEL ? rs_snapshot_member(vm->s, v[k].s, v[k].len)
                                          : rs_snapshot_department(vm->s, v[k].s, v[k].len);
        if (i != RS_NONE) mark(table, kmap, i, k);   /* an unknown id matches nobody */
    }
}

/* Equality of a code column with a constant set: a bit table (IN) and/or a code -> K map
 * (HAS_ALL). Returns the number of distinct constants. */
static uint32_t map_equal(const rs_vm *vm, const rs_column *col, const rs_kset *ks, uint64_t *table,
                          int32_t *kmap) {
    rs_type t = col->field->type;
    uint32_t n;
    if (t == RS_T_BOOL) {
        double *v = distinct_nums(vm, ks, &n);
        for (uint32_t k = 0; k < n; k++)
            if (v[k] == 0 || v[k] == 1) mark(table, kmap, (uint32_t)v[k], k);
        free(v);
        return n;
    }
    kstr_ref *v = distinct_strs(vm, ks, &n);
    if (t == RS_T_TEXT) map_text(col, v, n, table, kmap);
    else if (t == RS_T_OPTION) map_options(col->field, v, n, table, kmap);
    else map_ids(vm, t, v, n, table, kmap);
    free(v);
    return n;
}

/* CONTAINS: one search through the folded dictionary's bytes, which lie end to end in code order;
 * a match that runs across two entries is not one. */
static void map_contains(const rs_strtab *ft, const char *needle, size_t nlen, uint64_t *table) {
    if (nlen == 0) {   /* every value contains the empty string */
        for (uint32_t i = 0; i < ft->n; i++) rs_bm_set(table, i);
        return;
    }
    const char *base = ft->bytes;
    size_t total = ft->n ? ft->off[ft->n] : 0, from = ft->n ? ft->off[0] : 0;
    uint32_t i = 0;
    const char *hit;
    while (from < total && (hit = memmem(base + from, total - from, needle, nlen)) != NULL) {
        size_t pos = (size_t)(hit - base);
        while (ft->off[i + 1] <= pos) i++;   /* the entry the match starts in */
        if (pos + nlen <= ft->off[i + 1]) {
            rs_bm_set(table, i);
            from = ft->off[i + 1];           /* one match per entry is enough */
        } else {
            from = pos + 1;
        }
    }
}

/* PREFIX: the entries starting with the needle are one run of the sorted index. */
static void map_prefix(const rs_strtab *ft, const char *needle, size_t nlen, uint64_t *table) {
    uint32_t lo = 0, hi = ft->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        size_t len;
        const char *s = rs_strtab_get(ft, ft->sorted[mid], &len);
        if (bytes_cmp(s, len, needle, nlen) < 0) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < ft->n; lo++) {
        size_t len;
        const char *s = rs_strtab_get(ft, ft->sorted[lo], &len);
        if (len < nlen || memcmp(s, needle, nlen) != 0) break;
        rs_bm_set(table, ft->sorted[lo]);
    }
}

static void map_substring(const rs_vm *vm, const rs_column *col, const rs_kset *ks, bool prefix,
                          uint64_t *table) {
    if (ks->count == 0) return;
    size_t nlen;
    const char *needle = kstr(vm, kval(vm, ks, 0), &nlen);
    if (prefix) map_prefix(&col->dict.folded, needle, nlen, table);
    else map_contains(&col->dict.folded, needle, nlen, table);
}

/* Departments listed in K, each widened to its subtree when `sub`: an Euler-tour interval each. */
static void map_departments(const rs_vm *vm, const rs_kset *ks, bool sub, uint64_t *table) {
    const rs_departments *dp = &vm->s->depts;
    for (uint32_t k = 0; k < ks->count; k++) {
        size_t len;
        const char *id = kstr(vm, kval(vm, ks, k), &len);
        uint32_t d = rs_snapshot_department(vm->s, id, len);
        if (d == RS_NONE) continue;
        if (!sub) {
            rs_bm_set(table, d);
            continue;
        }
        for (uint32_t t = dp->tin[d]; t < dp->tout[d]; t++) rs_bm_set(table, dp->by_tin[t]);
    }
}

/* REPORTS: every member from which following the personnel field reaches K[0]: a breadth-first
 * walk from K[0] over who-points-at-whom. K[0] starts visited, so nobody reports to themselves and
 * a loop ends when it comes back. */
static void map_reports(const rs_vm *vm, const rs_column *col, const rs_kset *ks, uint64_t *members) {
    if (ks->count == 0 || NEVER(!col->rev_off || !col->rev)) return;
    size_t len;
    const char *id = kstr(vm, kval(vm, ks, 0), &len);
    uint32_t top = rs_snapshot_member(vm->s, id, len);
    if (top == RS_NONE) return;
    uint32_t n = vm->s->nmembers;
    uint64_t *visited = bits_new(n);
    uint32_t *queue = rs_malloc((size_t)n * sizeof *queue);
    uint32_t head = 0, tail = 0;
    rs_bm_set(visited, top);
    queue[tail++] = top;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t i = col->rev_off[u]; i < col->rev_off[u + 1]; i++) {
            uint32_t r = col->rev[i];
            if (r >= n || rs_bm_get(visited, r)) continue;
            rs_bm_set(visited, r);
            rs_bm_set(members, r);
            queue[tail++] = r;
        }
    }
    free(queue);
    free(visited);
}

static void map_member_ids(const rs_vm *vm, const rs_kset *ks, uint64_t *members) {
    for (uint32_t k = 0; k < ks->count; k++) {
        size_t len;
        const char *id = kstr(vm, kval(vm, ks, k), &len);
        uint32_t m = rs_snapshot_member(vm->s, id, len);
        if (m != RS_NONE) rs_bm_set(members, m);
    }
}

/* The `id` column holds no codes: its values are the member ids themselves. */
static bool is_id_column(const rs_column *col) {
    return col->field->type == RS_T_TEXT && !col->field->multi && !col->codes;
}

static void fold_ids_locked(rs_vm *vm) {
    if (vm->id_folded_off) return;
    uint32_t n = vm->s->nmembers;
    rs_sb sb = {0};
    vm->id_folded_off = rs_malloc(((size_t)n + 1) * sizeof *vm->id_folded_off);
    for (uint32_t m = 0; m < n; m++) {
        size_t len, flen;
        const char *id = rs_strtab_get(&vm->s->member_ids, m, &len);
        char *f = rs_casefold(id, len, &flen);
        vm->id_folded_off[m] = (uint32_t)sb.len;
        rs_sb_put(&sb, f, flen);
        free(f);
    }
    vm->id_folded_off[n] = (uint32_t)sb.len;
    vm->id_folded = rs_sb_take(&sb);
}

static void fold_ids(rs_vm *vm) {
    pthread_mutex_lock(&vm->lock);
    fold_ids_locked(vm);
    pthread_mutex_unlock(&vm->lock);
}

/* Text tests of `id`: one pass over the (folded) member ids into a member bitmap. */
static void prep_id_leaf(rs_vm *vm, vm_leaf *L, const rs_kset *ks) {
    fold_ids(vm);
    uint32_t nk = 0;
    kstr_ref *v = distinct_strs(vm, ks, &nk);
    L->kind = LK_MEMBERS;
    L->table = bits_new(vm->s->nmembers);
    /* a member has one id, so it holds every listed value only if one value is listed */
    bool none = L->op == RS_OP_HAS_ALL && nk > 1;
    for (uint32_t m = 0; m < vm->s->nmembers && !none && nk > 0; m++) {
        const char *id = vm->id_folded + vm->id_folded_off[m];
        size_t len = vm->id_folded_off[m + 1] - vm->id_folded_off[m];
        bool hit;
        if (L->op == RS_OP_CONTAINS) hit = v[0].len == 0 || memmem(id, len, v[0].s, v[0].len) != NULL;
        else if (L->op == RS_OP_PREFIX) hit = len >= v[0].len && memcmp(id, v[0].s, v[0].len) == 0;
        else hit = find_str(v, nk, id, len) >= 0;
        if (hit) rs_bm_set(L->table, m);
    }
    free(v);
}

static bool is_code_type(rs_type t) {
    return t == RS_T_TEXT || t == RS_T_OPTION || t == RS_T_BOOL || t == RS_T_PERSONNEL ||
           t == RS_T_DEPARTMENT;
}

/* LT/LE/GT/GE/BETWEEN as one inclusive interval. Strict bounds move one step inwards: one ulp for
 * doubles (exact for every finite value), one day for dates. */
static void prep_range(const rs_vm *vm, vm_leaf *L, uint8_t op, const rs_kset *ks) {
    bool days = L->col->field->type == RS_T_DATE;
    L->kind = days ? LK_DAY_RANGE : LK_NUM_RANGE;
    L->lo = -INFINITY, L->hi = INFINITY;
    L->dlo = INT64_MIN, L->dhi = INT64_MAX;
    if (ks->count == 0) {
        L->kind = LK_NOTHING;
        return;
    }
    double a = knum(vm, ks, kval(vm, ks, 0)), b = knum(vm, ks, kval(vm, ks, ks->count - 1));
    int64_t da = kday(vm, ks, kval(vm, ks, 0)), db = kday(vm, ks, kval(vm, ks, ks->count - 1));
    switch (op) {
    case RS_OP_LT: L->hi = nextafter(a, -INFINITY), L->dhi = da - 1; break;
    case RS_OP_LE: L->hi = a, L->dhi = da; break;
    case RS_OP_GT: L->lo = nextafter(a, INFINITY), L->dlo = da + 1; break;
    case RS_OP_GE: L->lo = a, L->dlo = da; break;
    default: L->lo = a, L->hi = b, L->dlo = da, L->dhi = db; break;   /* BETWEEN */
    }
}

/* `include all` of at most VM_MASK_NEED values: each code carries a 1 in the byte lane of the K
 * entry it equals, so adding up a member's codes counts how often it holds each entry, and the
 * batch kernel can take a member's counts as the difference of two running sums. */
static void to_masks(vm_leaf *L, uint32_t space) {
    L->kmask = rs_calloc((size_t)space + 1, sizeof *L->kmask);
    for (uint32_t c = 0; c < space; c++)
        if (L->kmap[c] >= 0) L->kmask[c] = (uint64_t)1 << (8 * L->kmap[c]);
    free(L->kmap);
    L->kmap = NULL;
    L->kind = LK_CODE_MASK;
}

static void prep_values(const rs_vm *vm, vm_leaf *L, uint8_t op, const rs_kset *ks) {
    rs_type t = L->col->field->type;
    if (is_code_type(t)) {
        uint32_t space = code_space(vm, L->col);
        if (op == RS_OP_IN) {
            L->kind = LK_CODE_ANY;
            L->table = bits_new(space);
            map_equal(vm, L->col, ks, L->table, NULL);
        } else {
            L->kind = LK_CODE_HASALL;
            L->kmap = rs_malloc(((size_t)space + 1) * sizeof *L->kmap);
            for (uint32_t c = 0; c <= space; c++) L->kmap[c] = -1;
            L->need = map_equal(vm, L->col, ks, NULL, L->kmap);
            if (L->need <= VM_MASK_NEED) to_masks(L, space);
        }
        return;
    }
    uint32_t dropped = 0;
    if (t == RS_T_NUMBER) {
        L->nums = distinct_nums(vm, ks, &L->nk);
        L->kind = op == RS_OP_IN ? LK_NUM_IN : LK_NUM_HASALL;
    } else {
        L->days = distinct_days(vm, ks, &L->nk, &dropped);
        L->kind = op == RS_OP_IN ? LK_DAY_IN : LK_DAY_HASALL;
    }
    L->need = L->nk + dropped;
}

/* Whether op may read a field of type t (the verifier's rule, kept here too because the VM must
 * not misread a column whatever program it is given). */
static bool op_fits(uint8_t op, rs_type t) {
    switch (op) {
    case RS_OP_IN: case RS_OP_HAS_ALL: case RS_OP_EMPTY: return true;
    case RS_OP_CONTAINS: case RS_OP_PREFIX: return t == RS_T_TEXT;
    case RS_OP_LT: case RS_OP_LE: case RS_OP_GT: case RS_OP_GE: case RS_OP_BETWEEN:
        return t == RS_T_NUMBER || t == RS_T_DATE;
    case RS_OP_BELONG: case RS_OP_IN_TREE: return t == RS_T_DEPARTMENT;
    case RS_OP_REPORTS: return t == RS_T_PERSONNEL;
    default: return false;
    }
}

static bool kind_fits(uint8_t op, rs_type t, uint8_t kind) {
    if (op == RS_OP_EMPTY) return true;
    switch (t) {
    case RS_T_NUMBER: case RS_T_BOOL: return kind == RS_K_NUM;
    case RS_T_DATE: return kind == RS_K_DAY || kind == RS_K_TODAY;
    default: return kind == RS_K_STR;
    }
}

/* Whether the instruction behind L may read its field with its constants; reported once, before
 * the leaves are built in parallel. */
static bool leaf_valid(const rs_vm *vm, const vm_leaf *L, rs_diags *d) {
    const rs_kset *ks = L->kset != RS_NONE ? &vm->p->sets[L->kset] : NULL;
    bool ok;
    if (L->op == RS_OP_IDS) ok = ks && ks->kind == RS_K_STR;
    else ok = op_fits(L->op, L->col->field->type) && (!ks || kind_fits(L->op, L->col->field->type, ks->kind));
    if (!ok)
        rs_diag_file(d, RS_E_BC_CORRUPT, NULL, 0, 0, "%s cannot read field '%s' with these constants",
                     rs_opinfo_table[L->op].name, L->col ? L->col->field->name : "-");
    return ok;
}

/* A substring test over a dictionary of nearly one value per member would search as many strings
 * as the members, before knowing which members matter: such a column is searched member by member
 * when the batch runs, only where some instruction still cares (see run_batch in vm.c). */
static bool search_per_member(const rs_vm *vm, const rs_column *col, const rs_kset *ks) {
    uint32_t space = col->dict.folded.n;
    return ks->count > 0 && ks->kind == RS_K_STR && kval(vm, ks, 0)->str_len > 0 && space > 4096 &&
           space > vm->s->nmembers / 4;
}

static void prep_leaf(rs_vm *vm, vm_leaf *L) {
    const rs_kset *ks = L->kset != RS_NONE ? &vm->p->sets[L->kset] : NULL;
    if (L->op == RS_OP_IDS) {
        L->kind = LK_MEMBERS;
        L->table = bits_new(vm->s->nmembers);
        map_member_ids(vm, ks, L->table);
        return;
    }
    L->multi = L->col->field->multi;
    if (ks && is_id_column(L->col)) {
        prep_id_leaf(vm, L, ks);
        return;
    }
    switch (L->op) {
    case RS_OP_EMPTY: L->kind = LK_EMPTY; return;
    case RS_OP_IN: case RS_OP_HAS_ALL: prep_values(vm, L, L->op, ks); return;
    case RS_OP_CONTAINS: case RS_OP_PREFIX:
        if (L->op == RS_OP_CONTAINS && search_per_member(vm, L->col, ks)) {
            L->kind = LK_TEXT_FIND;
            L->needle = kstr(vm, kval(vm, ks, 0), &L->nlen);
            return;
        }
        L->kind = LK_CODE_ANY;
        L->table = bits_new(code_space(vm, L->col));
        map_substring(vm, L->col, ks, L->op == RS_OP_PREFIX, L->table);
        return;
    case RS_OP_BELONG: case RS_OP_IN_TREE:
        L->kind = L->op == RS_OP_BELONG ? LK_CODE_ALL : LK_CODE_ANY;
        L->table = bits_new(vm->s->depts.n);
        map_departments(vm, ks, L->op == RS_OP_IN_TREE || (L->flags & RS_FLAG_SUB), L->table);
        return;
    case RS_OP_REPORTS:
        L->kind = LK_MEMBERS;
        L->table = bits_new(vm->s->nmembers);
        map_reports(vm, L->col, ks, L->table);
        return;
    default:
        prep_range(vm, L, L->op, ks);
        return;
    }
}

/* ---- sharing equal leaves ---- */

static uint64_t fnv(uint64_t h, const void *data, size_t len) {
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* Constants compared by what they mean in this run: `today - 0 days` equals the date it resolves to. */
static uint64_t kset_hash(const rs_vm *vm, uint64_t h, const rs_kset *ks) {
    h = fnv(h, &ks->count, sizeof ks->count);
    for (uint32_t i = 0; i < ks->count; i++) {
        const rs_kval *v = kval(vm, ks, i);
        if (ks->kind == RS_K_STR) {
            size_t len;
            const char *s = kstr(vm, v, &len);
            h = fnv(fnv(h, &len, sizeof len), s, len);
        } else {
            double x = knum(vm, ks, v);
            if (x == 0) x = 0;   /* -0 and 0 hash alike, as they compare equal */
            h = fnv(h, &x, sizeof x);
        }
    }
    return h;
}

static bool kset_equal(const rs_vm *vm, const rs_kset *a, const rs_kset *b) {
    if (a == b) return true;
    if (a->count != b->count || (a->kind == RS_K_STR) != (b->kind == RS_K_STR)) return false;
    for (uint32_t i = 0; i < a->count; i++) {
        const rs_kval *x = kval(vm, a, i), *y = kval(vm, b, i);
        if (a->kind == RS_K_STR) {
            size_t xl, yl;
            const char *xs = kstr(vm, x, &xl), *ys = kstr(vm, y, &yl);
            if (xl != yl || memcmp(xs, ys, xl) != 0) return false;
        } else if (knum(vm, a, x) != knum(vm, b, y)) {
            return false;
        }
    }
    return true;
}

static bool leaf_same(const rs_vm *vm, const vm_leaf *L, const vm_leaf *key) {
    if (L->hash != key->hash || L->op != key->op || L->flags != key->flags || L->col != key->col)
        return false;
    if (L->kset == RS_NONE || key->kset == RS_NONE) return L->kset == key->kset;
    return kset_equal(vm, &vm->p->sets[L->kset], &vm->p->sets[key->kset]);
}

static vm_leaf leaf_key(const rs_vm *vm, const rs_insn *in) {
    vm_leaf key;
    memset(&key, 0, sizeof key);
    const rs_opinfo *oi = &rs_opinfo_table[in->op];
    key.op = in->op;
    key.flags = in->op == RS_OP_BELONG ? (in->flags & RS_FLAG_SUB) : 0;
    key.col = oi->uses[0] == 'F' ? vm->fcol[in->field] : NULL;
    key.kset = oi->uses[1] == 'K' ? in->k : RS_NONE;
    key.memo = RS_NONE;
    uint64_t h = 1469598103934665603ull;
    h = fnv(h, &key.op, 1);
    h = fnv(h, &key.flags, 1);
    h = fnv(h, &key.col, sizeof key.col);
    if (key.kset != RS_NONE) h = kset_hash(vm, h, &vm->p->sets[key.kset]);
    key.hash = h;
    return key;
}

static bool op_is_leaf(uint8_t op) {
    return op != RS_OP_ALL && op != RS_OP_NONE && op != RS_OP_NOT && op != RS_OP_AND &&
           op != RS_OP_OR && op != RS_OP_ANDNOT;
}

/* ---- member lists for selective leaves ---- */

static uint32_t column_number(const rs_vm *vm, const rs_column *col) {
    return (uint32_t)(col - vm->s->columns);
}

/* A code passed by at most one member in VM_SPARSE_RATIO has its list in the postings. */
_Static_assert(VM_SPARSE_RATIO >= RS_POST_RARE, "selective leaves need the lists the postings keep");

/* Whether the snapshot carries the column's members by value (a .snap file does). */
static bool has_postings(const rs_vm *vm, const rs_column *col) {
    return col->post_count && col->post_off && col->post_bytes && col->post_codes == code_space(vm, col);
}

/* The members of each code of a column (counting sort; an empty member has no code). */
static void build_index(rs_vm *vm, const rs_column *col, vm_index *ix) {
    uint32_t n = vm->s->nmembers, space = code_space(vm, col);
    bool multi = col->field->multi;
    uint32_t *off = rs_calloc((size_t)space + 2, sizeof *off);
    for (uint32_t m = 0; m < n; m++) {
        if (rs_bm_get(col->empty, m)) continue;
        for (uint32_t p = multi ? col->offsets[m] : m; p < (multi ? col->offsets[m + 1] : m + 1); p++)
            off[col->codes[p] + 2]++;
    }
    for (uint32_t c = 0; c < space; c++) off[c + 2] += off[c + 1];
    uint32_t *members = rs_malloc(((size_t)off[space + 1] + 1) * sizeof *members);
    for (uint32_t m = 0; m < n; m++) {
        if (rs_bm_get(col->empty, m)) continue;
        for (uint32_t p = multi ? col->offsets[m] : m; p < (multi ? col->offsets[m + 1] : m + 1); p++)
            members[off[col->codes[p] + 1]++] = m;
    }
    ix->off = ix->own_off = off;
    ix->members = ix->own_members = members;
}

/* For a column without postings: a personnel column's reverse edges are its index; any other gets
 * one, built by the first leaf that needs it (leaves are prepared in parallel, hence the lock). */
static const vm_index *column_index(rs_vm *vm, const rs_column *col) {
    vm_index *ix = &vm->index[column_number(vm, col)];
    pthread_mutex_lock(&vm->lock);
    if (!ix->off && col->field->type == RS_T_PERSONNEL && col->rev_off && col->rev) {
        ix->off = col->rev_off;
        ix->members = col->rev;
    } else if (!ix->off) {
        build_index(vm, col, ix);
    }
    pthread_mutex_unlock(&vm->lock);
    return ix;
}

/* Members holding code c, counted with repeats (an upper bound), from the postings or the index. */
static uint32_t code_members(const rs_column *col, const vm_index *ix, uint32_t c) {
    return ix ? ix->off[c + 1] - ix->off[c] : col->post_count[c];
}

/* The members holding code c into out; ascending, possibly with repeats when they come from an
 * index of a multi-valued column. */
static uint32_t code_list(const rs_vm *vm, const rs_column *col, const vm_index *ix, uint32_t c, uint32_t *out) {
    if (!ix) return rs_post_decode(vm->s, col, c, out);
    uint32_t k = ix->off[c + 1] - ix->off[c];
    memcpy(out, ix->members + ix->off[c], (size_t)k * sizeof *out);
    return k;
}

static uint32_t dedupe_sorted(uint32_t *v, uint32_t n) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (k == 0 || v[k - 1] != v[i]) v[k++] = v[i];
    return k;
}

/* Least-significant-digit radix sort, 11 bits a pass (member indices are below 2^32). */
static void radix_sort(uint32_t *v, uint32_t n) {
    uint32_t *tmp = rs_malloc(((size_t)n + 1) * sizeof *tmp), *src = v, *dst = tmp;
    for (unsigned shift = 0; shift < 32; shift += 11) {
        uint32_t count[2049] = {0};
        for (uint32_t i = 0; i < n; i++) count[((src[i] >> shift) & 2047) + 1]++;
        for (uint32_t d = 0; d < 2048; d++) count[d + 1] += count[d];
        for (uint32_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 2047]++] = src[i];
        uint32_t *t = src;
        src = dst, dst = t;
    }
    if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
    free(tmp);
}

/* BELONG rechecks each member that holds one of its departments: all of them must be listed. */
static uint32_t keep_passing(const vm_leaf *L, uint32_t *v, uint32_t n) {
    if (L->kind != LK_CODE_ALL) return n;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (vm_leaf_test(L, v[i], NULL)) v[k++] = v[i];
    return k;
}

static void become_sparse(vm_leaf *L, uint32_t *ids, uint32_t nids) {
    nids = keep_passing(L, ids, nids);
    free(L->table);
    free(L->tab8);
    L->table = NULL;
    L->tab8 = NULL;
    L->ids = ids;
    L->nids = nids;
    L->kind = LK_SPARSE;
}

/* Many members from many codes: a member bitmap, which the batch kernel copies as it is. */
static void become_members(const rs_vm *vm, vm_leaf *L, const vm_index *ix) {
    const rs_column *col = L->col;
    uint32_t n = vm->s->nmembers, space = code_space(vm, col), most = 0;
    for (uint32_t w = 0; w < rs_bm_words(space); w++)
        for (uint64_t bits = L->table[w]; bits; bits &= bits - 1) {
            uint32_t k = code_members(col, ix, w * 64 + (uint32_t)__builtin_ctzll(bits));
            if (k > most) most = k;
        }
    uint32_t *list = rs_malloc(((size_t)most + 1) * sizeof *list);
    uint64_t *marks = bits_new(n);
    for (uint32_t w = 0; w < rs_bm_words(space); w++)
        for (uint64_t bits = L->table[w]; bits; bits &= bits - 1) {
            uint32_t k = code_list(vm, col, ix, w * 64 + (uint32_t)__builtin_ctzll(bits), list);
            for (uint32_t i = 0; i < k; i++) rs_bm_set(marks, list[i]);
        }
    free(list);
    if (L->kind == LK_CODE_ALL)   /* BELONG: every department of the member must be listed */
        for (uint32_t w = 0; w < rs_bm_words(n); w++)
            for (uint64_t bits = marks[w]; bits; bits &= bits - 1) {
                uint32_t m = w * 64 + (uint32_t)__builtin_ctzll(bits);
                if (!vm_leaf_test(L, m, NULL)) rs_bm_clear(marks, m);
            }
    free(L->table);
    L->table = marks;
    L->kind = LK_MEMBERS;
}

/* Turns a code leaf that few members pass into the members that pass, read from the postings (or
 * an index) of the codes in its table: the list of one code as it is, a short union sorted, a long
 * one (more than one member in 64) as a member bitmap. A text column of many distinct values (names,
 * addresses) has neither postings nor an index: its leaves wait for one pass over the column
 * (scan_pending). */
static void make_sparse(rs_vm *vm, vm_leaf *L) {
    const rs_column *col = L->col;
    uint32_t n = vm->s->nmembers, space = code_space(vm, col);
    const vm_index *ix = NULL;
    if (!has_postings(vm, col)) {
        if (col->field->type == RS_T_TEXT && space > 64 && space > n / RS_POST_TEXT) {
            L->scan = true;   /* names, addresses: sorting the column by value would cost more */
            return;
        }
        ix = column_index(vm, col);
    }
    uint64_t total = 0;
    uint32_t ncodes = 0;
    for (uint32_t w = 0; w < rs_bm_words(space) && total * VM_SPARSE_RATIO <= n; w++)
        for (uint64_t bits = L->table[w]; bits; bits &= bits - 1, ncodes++)
            total += code_members(col, ix, w * 64 + (uint32_t)__builtin_ctzll(bits));
    if (total * VM_SPARSE_RATIO > n) return;
    if (ncodes > 1 && total * 64 > n) {   /* sorting would cost more than a bitmap of n bits */
        become_members(vm, L, ix);
        return;
    }
    uint32_t *ids = rs_malloc(((size_t)total + 1) * sizeof *ids), nids = 0;
    for (uint32_t w = 0; w < rs_bm_words(space); w++)
        for (uint64_t bits = L->table[w]; bits; bits &= bits - 1)
            nids += code_list(vm, col, ix, w * 64 + (uint32_t)__builtin_ctzll(bits), ids + nids);
    if (ncodes > 1) radix_sort(ids, nids);
    become_sparse(L, ids, dedupe_sorted(ids, nids));
}

/* The leaves waiting for a pass over their column (make_sparse): one pass per column for all of
 * them, testing a member's codes against the union of their tables first. A leaf that collects more
 * than a list's worth of members stays as it is. */
typedef struct scan_list {
    vm_leaf *L;
    uint32_t *ids, nids, cap;
    bool over;
} scan_list;

/* Member m holds `code`, which some waiting leaf lists. */
static void scan_hit(scan_list *sl, uint32_t nsl, uint32_t code, uint32_t m) {
    for (uint32_t i = 0; i < nsl; i++) {
        scan_list *x = &sl[i];
        if (x->over || !rs_bm_get(x->L->table, code) || (x->nids && x->ids[x->nids - 1] == m)) continue;
        if (x->nids == x->cap) x->over = true;
        else x->ids[x->nids++] = m;
    }
}

/* The pass itself: a single-valued column (the common case) in a loop of a few instructions a
 * member, since few members hold a listed value. */
static void scan_members(scan_list *sl, uint32_t nsl, const rs_column *col, const uint64_t *any, uint32_t n) {
    if (!col->offsets) {
        for (uint32_t m = 0; m < n; m++)
            if (rs_bm_get(any, col->codes[m]) && !rs_bm_get(col->empty, m)) scan_hit(sl, nsl, col->codes[m], m);
        return;
    }
    for (uint32_t m = 0; m < n; m++)
        for (uint32_t p = col->offsets[m]; p < col->offsets[m + 1] && !rs_bm_get(col->empty, m); p++)
            if (rs_bm_get(any, col->codes[p])) scan_hit(sl, nsl, col->codes[p], m);
}

static void scan_column(rs_vm *vm, const rs_column *col) {
    uint32_t n = vm->s->nmembers, space = code_space(vm, col), nsl = 0;
    scan_list *sl = rs_calloc(vm->nleaves + 1, sizeof *sl);
    uint64_t *any = bits_new(space);
    for (uint32_t i = 0; i < vm->nleaves; i++) {
        vm_leaf *L = &vm->leaves[i];
        if (!L->scan || L->col != col) continue;
        L->scan = false;
        sl[nsl] = (scan_list){.L = L, .cap = n / VM_SPARSE_RATIO};
        sl[nsl].ids = rs_malloc(((size_t)sl[nsl].cap + 1) * sizeof *sl[nsl].ids);
        for (uint32_t w = 0; w < rs_bm_words(space); w++) any[w] |= L->table[w];
        nsl++;
    }
    scan_members(sl, nsl, col, any, n);
    for (uint32_t i = 0; i < nsl; i++) {
        if (sl[i].over) free(sl[i].ids);
        else become_sparse(sl[i].L, sl[i].ids, sl[i].nids);   /* found in member order: sorted */
    }
    free(any);
    free(sl);
}

static void scan_pending(rs_vm *vm) {
    for (uint32_t i = 0; i < vm->nleaves; i++)
        if (vm->leaves[i].scan) scan_column(vm, vm->leaves[i].col);
}

/* A byte per code instead of a bit: the batch kernel loads it without shifting. */
static void byte_table(const rs_vm *vm, vm_leaf *L) {
    uint32_t space = code_space(vm, L->col);
    if (space > VM_BYTE_TABLE) return;
    L->tab8 = rs_malloc((size_t)space + 1);
    for (uint32_t c = 0; c <= space; c++) L->tab8[c] = c < space && rs_bm_get(L->table, c);
}

/* ---- the entry point ---- */

/* Instruction pc gets the leaf equal to its own, made when there is none yet (slots: an open
 * addressing table of leaf indices, cap a power of two). */
static int leaf_of(rs_vm *vm, uint32_t *slots, size_t cap, uint32_t pc, rs_diags *d) {
    vm_leaf key = leaf_key(vm, &vm->p->code[pc]);
    size_t h = (size_t)key.hash & (cap - 1);
    int rc = 0;
    while (slots[h] != RS_NONE && !leaf_same(vm, &vm->leaves[slots[h]], &key)) h = (h + 1) & (cap - 1);
    if (slots[h] == RS_NONE) {
        if (!leaf_valid(vm, &key, d)) rc = -1;
        RS_GROW(vm->leaves, vm->cap_leaves, vm->nleaves + 1);
        vm->leaves[vm->nleaves] = key;
        slots[h] = vm->nleaves++;
    }
    vm->leaves[slots[h]].uses++;
    vm->insn_leaf[pc] = slots[h];
    return rc;
}

/* One leaf per distinct (operator, column, constants) of the active groups; each of their
 * instructions points at its leaf. */
static int collect_leaves(rs_vm *vm, rs_diags *d) {
    const rs_program *p = vm->p;
    size_t cap = 16;
    while (cap < (size_t)p->ncode * 2) cap *= 2;
    uint32_t *slots = rs_malloc(cap * sizeof *slots);   /* open addressing: leaf index or RS_NONE */
    for (size_t i = 0; i < cap; i++) slots[i] = RS_NONE;
    vm->insn_leaf = rs_malloc(((size_t)p->ncode + 1) * sizeof *vm->insn_leaf);
    for (uint32_t pc = 0; pc < p->ncode; pc++) vm->insn_leaf[pc] = RS_NONE;
    int rc = 0;
    for (uint32_t g = 0; g < p->ngroups && rc == 0; g++) {
        const rs_pgroup *pg = &p->groups[g];
        for (uint32_t pc = pg->code_start; vm->active[g] && pc < pg->code_start + pg->code_len && rc == 0; pc++)
            if (op_is_leaf(p->code[pc].op)) rc = leaf_of(vm, slots, cap, pc, d);
    }
    free(slots);
    return rc;
}

static void prep_one(void *ctx, uint32_t i) {
    rs_vm *vm = ctx;
    vm_leaf *L = &vm->leaves[i];
    prep_leaf(vm, L);
    if (L->kind == LK_CODE_ANY || L->kind == LK_CODE_ALL) make_sparse(vm, L);
}

/* Leaves are independent: they are built on the threads the caller allows, but only when there are
 * more members than one VM batch: below that a thread costs more than it saves. */
static void build_leaves(rs_vm *vm) {
    rs_parallel_for(vm->s->nmembers > VM_BATCH_BITS ? vm->threads : 1, vm->nleaves, prep_one, vm);
}

/* For each binary operation, where its second operand's code starts: the stack of operand starts
 * is replayed once (the code was checked by check_code). */
static void find_operands(rs_vm *vm) {
    const rs_program *p = vm->p;
    vm->rhs_end = rs_malloc(((size_t)p->ncode + 1) * sizeof *vm->rhs_end);
    for (uint32_t pc = 0; pc < p->ncode; pc++) vm->rhs_end[pc] = RS_NONE;
    for (uint32_t g = 0; g < p->ngroups; g++) {
        const rs_pgroup *pg = &p->groups[g];
        uint32_t *starts = rs_malloc(((size_t)pg->code_len + 1) * sizeof *starts), sp = 0;
        for (uint32_t pc = pg->code_start; pc < pg->code_start + pg->code_len; pc++) {
            const rs_opinfo *oi = &rs_opinfo_table[p->code[pc].op];
            if (oi->pops == 0) {
                starts[sp++] = pc;
            } else if (oi->pops == 2) {
                vm->rhs_end[starts[sp - 1]] = pc;
                sp--;
            }
        }
        free(starts);
    }
}

int vm_prepare(rs_vm *vm, rs_diags *d) {
    pthread_mutex_init(&vm->lock, NULL);
    vm->lock_ready = true;
    if (check_code(vm, d) != 0 || bind_fields(vm, d) != 0) return -1;
    find_operands(vm);
    vm->index = rs_calloc(vm->s->schema->nfields + 1, sizeof *vm->index);
    if (collect_leaves(vm, d) != 0) return -1;
    build_leaves(vm);
    scan_pending(vm);
    for (uint32_t i = 0; i < vm->nleaves; i++) {
        vm_leaf *L = &vm->leaves[i];
        if (L->kind == LK_CODE_ANY && !L->multi) byte_table(vm, L);
        if (L->uses > 1) L->memo = vm->nmemo++;
        if ((L->kind == LK_CODE_HASALL || L->kind == LK_NUM_HASALL || L->kind == LK_DAY_HASALL ||
             L->kind == LK_CODE_MASK) &&
            L->need > vm->max_need)
            vm->max_need = L->need;
    }
    return 0;
}

void vm_prepare_free(rs_vm *vm) {
    for (uint32_t i = 0; i < vm->nleaves; i++) {
        vm_leaf *L = &vm->leaves[i];
        free(L->table);
        free(L->kmap);
        free(L->kmask);
        free(L->tab8);
        free(L->nums);
        free(L->days);
        free(L->ids);
    }
    free(vm->leaves);
    free(vm->insn_leaf);
    free(vm->rhs_end);
    free(vm->fcol);
    free(vm->id_folded);
    free(vm->id_folded_off);
    for (size_t c = 0; vm->index && c < vm->s->schema->nfields; c++) {
        free(vm->index[c].own_off);
        free(vm->index[c].own_members);
    }
    free(vm->index);
    free(vm->active);
    if (vm->lock_ready) pthread_mutex_destroy(&vm->lock);
}
