/* program.c: freeing programs, building them (with constant-set interning), hashing helpers and
 * the order of constant values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/compiler_int.h"
#include "common/util.h"

void rs_program_free(rs_program *p) {
    if (!p) return;
    for (uint32_t i = 0; i < p->nfields; i++) free(p->fields[i].name);
    for (uint32_t i = 0; i < p->ngroups; i++) {
        free(p->groups[i].id);
        free(p->groups[i].name);
    }
    free(p->fields);
    free(p->groups);
    free(p->code);
    free(p->sets);
    free(p->vals);
    free(p->strings);
    free(p);
}

/* ---- hashing ---- */

uint32_t rs_fnv1a_double(uint32_t h, double d) {
    if (d == 0) d = 0;   /* -0 and 0 are the same constant */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    h = rs_fnv1a_u32(h, (uint32_t)bits);
    return rs_fnv1a_u32(h, (uint32_t)(bits >> 32));
}

uint32_t rs_crc32(uint32_t crc, const void *data, size_t len) {
    /* Table built per call: 2 KiB of work, no shared mutable state between threads. */
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- value order ---- */

int rs_kval_cmp_raw(const char *sa, const char *sb, uint8_t kind, const rs_kval *a, const rs_kval *b) {
    switch (kind) {
    case RS_K_STR: {
        uint32_t n = a->str_len < b->str_len ? a->str_len : b->str_len;
        int c = n ? memcmp(sa + a->str_off, sb + b->str_off, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (a->str_len > b->str_len) - (a->str_len < b->str_len);
    }
    case RS_K_NUM:
        return (a->num > b->num) - (a->num < b->num);
    default:
        return (a->day > b->day) - (a->day < b->day);
    }
}

int rs_kval_cmp(const rs_program *p, uint8_t kind, const rs_kval *a, const rs_kval *b) {
    return rs_kval_cmp_raw(p->strings, p->strings, kind, a, b);
}

void rs_format_double(double d, char out[32]) {
    if (d == 0) d = 0;
    if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d) {   /* integers as written: 10, not 1e+01 */
        snprintf(out, 32, "%lld", (long long)d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, d);
        if (strtod(out, NULL) == d) return;
    }
}

/* ---- the builder ---- */

void rs_builder_init(rs_builder *b) {
    memset(b, 0, sizeof *b);
    b->p = rs_calloc(1, sizeof *b->p);
}

rs_program *rs_builder_finish(rs_builder *b) {
    rs_program *p = b->p;
    if (!p->strings) p->strings = rs_calloc(1, 1);
    free(b->sets.slots);
    memset(b, 0, sizeof *b);
    return p;
}

void rs_builder_abandon(rs_builder *b) {
    rs_program_free(b->p);
    free(b->sets.slots);
    memset(b, 0, sizeof *b);
}

uint32_t rs_builder_field(rs_builder *b, const char *name, rs_type type, bool multi) {
    rs_program *p = b->p;
    RS_GROW(p->fields, b->cap_fields, p->nfields + 1);
    rs_pfield *f = &p->fields[p->nfields];
    f->name = rs_strdup(name);
    f->type = (uint8_t)type;
    f->multi = multi;
    return p->nfields++;
}

uint32_t rs_builder_insn(rs_builder *b, rs_opcode op, uint8_t flags, uint16_t field, uint32_t k) {
    rs_program *p = b->p;
    RS_GROW(p->code, b->cap_code, (size_t)p->ncode + 1);
    rs_insn in = {(uint8_t)op, flags, field, k};
    p->code[p->ncode] = in;
    return p->ncode++;
}

rs_pgroup *rs_builder_group(rs_builder *b) {
    rs_program *p = b->p;
    RS_GROW(p->groups, b->cap_groups, (size_t)p->ngroups + 1);
    rs_pgroup *g = &p->groups[p->ngroups++];
    memset(g, 0, sizeof *g);
    return g;
}

static uint32_t set_hash(uint8_t kind, const rs_kval *vals, uint32_t n, const char *strs) {
    uint32_t h = rs_fnv1a_u32(rs_fnv1a_u32(RS_FNV_OFFSET, kind), n);
    for (uint32_t i = 0; i < n; i++) {
        if (kind == RS_K_STR) h = rs_fnv1a(rs_fnv1a_u32(h, vals[i].str_len), strs + vals[i].str_off, vals[i].str_len);
        else if (kind == RS_K_NUM) h = rs_fnv1a_double(h, vals[i].num);
        else h = rs_fnv1a_u32(h, (uint32_t)vals[i].day);
    }
    return h;
}

static bool set_equal(const rs_program *p, uint32_t k, uint8_t kind, const rs_kval *vals, uint32_t n,
                      const char *strs) {
    const rs_kset *s = &p->sets[k];
    if (s->kind != kind || s->count != n) return false;
    for (uint32_t i = 0; i < n; i++)
        if (rs_kval_cmp_raw(p->strings, strs, kind, &p->vals[s->first + i], &vals[i]) != 0) return false;
    return true;
}

static void setmap_grow(rs_builder *b) {
    rs_program *p = b->p;
    size_t cap = b->sets.cap ? b->sets.cap * 2 : 64;
    free(b->sets.slots);
    b->sets.slots = rs_calloc(cap, sizeof *b->sets.slots);
    b->sets.cap = cap;
    for (uint32_t k = 0; k < p->nsets; k++) {
        const rs_kset *s = &p->sets[k];
        size_t i = set_hash(s->kind, p->vals + s->first, s->count, p->strings) & (cap - 1);
        while (b->sets.slots[i]) i = (i + 1) & (cap - 1);
        b->sets.slots[i] = k + 1;
    }
}

static void append_string(rs_builder *b, rs_kval *v, const char *s, uint32_t len) {
    rs_program *p = b->p;
    size_t need = (size_t)p->strings_len + len + 1;
    RS_GROW(p->strings, b->cap_strings, need);
    if (len) memcpy(p->strings + p->strings_len, s, len);
    p->strings[p->strings_len + len] = '\0';   /* every string is NUL-terminated for the VM */
    v->str_off = p->strings_len;
    v->str_len = len;
    p->strings_len = (uint32_t)need;
}

uint32_t rs_builder_set(rs_builder *b, uint8_t kind, const rs_kval *vals, uint32_t n, const char *strs) {
    rs_program *p = b->p;
    if ((size_t)(p->nsets + 1) * 2 > b->sets.cap) setmap_grow(b);
    size_t mask = b->sets.cap - 1;
    size_t i = set_hash(kind, vals, n, strs) & mask;
    for (; b->sets.slots[i]; i = (i + 1) & mask)
        if (set_equal(p, b->sets.slots[i] - 1, kind, vals, n, strs)) return b->sets.slots[i] - 1;
    RS_GROW(p->vals, b->cap_vals, (size_t)p->nvals + n);
    for (uint32_t j = 0; j < n; j++) {
        /* Only the member the kind uses is set, so equal programs serialise to equal bytes. */
        rs_kval v = {0, 0, 0, 0};
        if (kind == RS_K_STR) append_string(b, &v, strs + vals[j].str_off, vals[j].str_len);
        else if (kind == RS_K_NUM) v.num = vals[j].num == 0 ? 0 : vals[j].num;
        else v.day = vals[j].day;
        p->vals[p->nvals + j] = v;
    }
    RS_GROW(p->sets, b->cap_sets, (size_t)p->nsets + 1);
    rs_kset s = {kind, p->nvals, n};
    p->sets[p->nsets] = s;
    p->nvals += n;
    b->sets.slots[i] = p->nsets + 1;
    return p->nsets++;
}
