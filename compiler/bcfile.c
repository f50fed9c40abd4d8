/* bcfile.c: the bytecode file format (docs/bytecode.md): a 64-byte header, then fixed-size records
 * section by section, then the string and name areas; little-endian throughout, CRC-32 over
 * everything but the checksum itself.
 *
 * The reader trusts nothing: sizes are checked against the real length before anything is
 * allocated (so memory use is bounded by the file's size), every record is decoded with bounds
 * checks, and the result must pass the verifier. Every refusal is E0701 with the byte offset of
 * what is wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/compiler_int.h"
#include "common/util.h"

enum {
    HDR_SIZE = 64,
    OFF_VERSION = 8, OFF_HDRSIZE = 12, OFF_COUNTS = 16, OFF_FILESIZE = 44, OFF_CRC = 48, OFF_RESERVED = 52,
    FIELD_SIZE = 12, GROUP_SIZE = 32, INSN_SIZE = 8, SET_SIZE = 12, VAL_SIZE = 20
};

/* Counts in header order. */
enum { C_FIELDS, C_GROUPS, C_CODE, C_SETS, C_VALS, C_STRINGS, C_NAMES, C_COUNT };
static const uint32_t rec_size[C_COUNT] = {FIELD_SIZE, GROUP_SIZE, INSN_SIZE, SET_SIZE, VAL_SIZE, 1, 1};

/* ---- little-endian access ---- */

static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t v) { for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *b, uint64_t v) { for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i)); }
static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t get32(const uint8_t *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t get64(const uint8_t *b) { return (uint64_t)get32(b) | (uint64_t)get32(b + 4) << 32; }

static uint32_t file_crc(const uint8_t *data, size_t len) {
    uint32_t crc = rs_crc32(0, data, OFF_CRC);
    return rs_crc32(crc, data + OFF_CRC + 4, len - OFF_CRC - 4);
}

/* ---- writing ---- */

typedef struct names {
    uint8_t *buf;
    uint32_t len;
} names;

static void name_ref(names *n, uint8_t *rec, const char *s) {
    size_t len = strlen(s);
    put32(rec, n->len);
    put32(rec + 4, (uint32_t)len);
    memcpy(n->buf + n->len, s, len + 1);
    n->len += (uint32_t)len + 1;
}

static uint64_t names_size(const rs_program *p) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < p->nfields; i++) n += strlen(p->fields[i].name) + 1;
    for (uint32_t i = 0; i < p->ngroups; i++) n += strlen(p->groups[i].id) + strlen(p->groups[i].name) + 2;
    return n;
}

static void write_records(const rs_program *p, uint8_t *b, names *nm) {
    for (uint32_t i = 0; i < p->nfields; i++, b += FIELD_SIZE) {
        name_ref(nm, b, p->fields[i].name);
        b[8] = p->fields[i].type;
        b[9] = p->fields[i].multi;
    }
    for (uint32_t i = 0; i < p->ngroups; i++, b += GROUP_SIZE) {
        const rs_pgroup *g = &p->groups[i];
        name_ref(nm, b, g->id);
        name_ref(nm, b + 8, g->name);
        put32(b + 16, g->code_start);
        put32(b + 20, g->code_len);
        put32(b + 24, g->source_hash);
        put16(b + 28, g->max_stack);
    }
    for (uint32_t i = 0; i < p->ncode; i++, b += INSN_SIZE) {
        b[0] = p->code[i].op;
        b[1] = p->code[i].flags;
        put16(b + 2, p->code[i].field);
        put32(b + 4, p->code[i].k);
    }
    for (uint32_t i = 0; i < p->nsets; i++, b += SET_SIZE) {
        b[0] = p->sets[i].kind;
        put32(b + 4, p->sets[i].first);
        put32(b + 8, p->sets[i].count);
    }
    for (uint32_t i = 0; i < p->nvals; i++, b += VAL_SIZE) {
        const rs_kval *v = &p->vals[i];
        uint64_t bits;
        memcpy(&bits, &v->num, sizeof bits);
        put32(b, v->str_off);
        put32(b + 4, v->str_len);
        put64(b + 8, bits);
        put32(b + 16, (uint32_t)v->day);
    }
    if (p->strings_len) memcpy(b, p->strings, p->strings_len);
}

int rs_program_write(const rs_program *p, uint8_t **out, size_t *len) {
    *out = NULL;
    *len = 0;
    if (!p) return -1;
    uint64_t nnames = names_size(p);
    uint32_t counts[C_COUNT] = {p->nfields, p->ngroups, p->ncode, p->nsets, p->nvals, p->strings_len, 0};
    if (nnames > UINT32_MAX) return -1;
    counts[C_NAMES] = (uint32_t)nnames;
    uint64_t total = HDR_SIZE;
    for (int c = 0; c < C_COUNT; c++) total += (uint64_t)counts[c] * rec_size[c];
    if (total > UINT32_MAX) return -1;   /* the header records the size in 32 bits */
    uint8_t *b = rs_calloc(1, (size_t)total);
    memcpy(b, RS_BC_MAGIC, 8);
    put32(b + OFF_VERSION, RS_BC_VERSION);
    put32(b + OFF_HDRSIZE, HDR_SIZE);
    for (int c = 0; c < C_COUNT; c++) put32(b + OFF_COUNTS + 4 * c, counts[c]);
    put32(b + OFF_FILESIZE, (uint32_t)total);
    names nm = {b + total - nnames, 0};
    write_records(p, b + HDR_SIZE, &nm);
    put32(b + OFF_CRC, file_crc(b, (size_t)total));
    *out = b;
    *len = (size_t)total;
    return 0;
}

/* ---- reading ---- */

typedef struct reader {
    const char *file;
    const uint8_t *data;
    size_t len;
    rs_diags *diags;
    uint32_t counts[C_COUNT];
    size_t base[C_COUNT];     /* byte offset of each section */
} reader;

static rs_program *refuse(reader *r, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static rs_program *refuse(reader *r, size_t offset, const char *fmt, ...) {
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rs_diag *d = rs_diag_file(r->diags, RS_E_BC_CORRUPT, r->file, 0, 0, "%s (at byte %zu)", msg, offset);
    rs_diag_help(d, "recompile the rules with `roster compile`");
    return NULL;
}

/* Magic, version, sizes and checksum; fills counts and section offsets. */
static bool read_header(reader *r) {
    size_t n = r->len < 8 ? r->len : 8;
    if (memcmp(r->data, RS_BC_MAGIC, n) != 0 || r->len == 0)
        return refuse(r, 0, "not a roster bytecode file (wrong magic bytes)"), false;
    if (r->len < HDR_SIZE)
        return refuse(r, r->len, "truncated: %zu bytes, shorter than the %d-byte header", r->len, HDR_SIZE), false;
    uint32_t version = get32(r->data + OFF_VERSION);
    if (version != RS_BC_VERSION)
        return refuse(r, OFF_VERSION, "bytecode format version %u; this roster reads version %u", version,
                      RS_BC_VERSION), false;
    if (get32(r->data + OFF_HDRSIZE) != HDR_SIZE)
        return refuse(r, OFF_HDRSIZE, "header size %u, expected %d", get32(r->data + OFF_HDRSIZE), HDR_SIZE), false;
    uint64_t total = HDR_SIZE;
    for (int c = 0; c < C_COUNT; c++) {
        r->counts[c] = get32(r->data + OFF_COUNTS + 4 * c);
        r->base[c] = (size_t)total;   /* may be past the end: only used once total is checked */
        total += (uint64_t)r->counts[c] * rec_size[c];
    }
    uint32_t announced = get32(r->data + OFF_FILESIZE);
    if (total != announced)
        return refuse(r, OFF_FILESIZE, "the section sizes add up to %llu bytes, the header says %u",
                      (unsigned long long)total, announced), false;
    if (r->len < total)
        return refuse(r, r->len, "truncated: %zu bytes, the header announces %u", r->len, announced), false;
    if (r->len > total) return refuse(r, announced, "%zu bytes after the end of the program", r->len - announced), false;
    uint32_t want = get32(r->data + OFF_CRC), got = file_crc(r->data, r->len);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (want != got)
        return refuse(r, OFF_CRC, "checksum mismatch: the file says 0x%08x, its contents give 0x%08x", want, got), false;
#else
    (void)want, (void)got;   /* fuzzers mutate freely; the decoding below must hold on its own */
#endif
    for (size_t i = OFF_RESERVED; i < HDR_SIZE; i++)
        if (r->data[i]) return refuse(r, i, "reserved header byte is not zero"), false;
    return true;
}

/* A name of the name area: [off, off+len) followed by a NUL, without NUL inside. */
static char *read_name(reader *r, const uint8_t *rec, const char *what) {
    uint32_t off = get32(rec), len = get32(rec + 4);
    size_t at = (size_t)(rec - r->data);
    const uint8_t *area = r->data + r->base[C_NAMES];
    if ((uint64_t)off + len >= r->counts[C_NAMES] || area[off + len] != 0 || memchr(area + off, 0, len))
        return refuse(r, at, "%s refers to bytes [%u, +%u) that are not a name of the name area", what, off, len),
               NULL;
    return rs_strndup((const char *)area + off, len);
}

static bool zero(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static bool read_fields(reader *r, rs_program *p) {
    p->fields = rs_calloc(r->counts[C_FIELDS] ? r->counts[C_FIELDS] : 1, sizeof *p->fields);
    for (uint32_t i = 0; i < r->counts[C_FIELDS]; i++) {
        const uint8_t *b = r->data + r->base[C_FIELDS] + (size_t)i * FIELD_SIZE;
        rs_pfield *f = &p->fields[i];
        if (!(f->name = read_name(r, b, "field name"))) return false;
        p->nfields++;
        f->type = b[8];
        if (b[9] > 1 || !zero(b + 10, 2))
            return refuse(r, (size_t)(b - r->data) + 9, "field %u: bad multi flag or reserved bytes", i), false;
        f->multi = b[9];
    }
    return true;
}

static bool read_groups(reader *r, rs_program *p) {
    p->groups = rs_calloc(r->counts[C_GROUPS] ? r->counts[C_GROUPS] : 1, sizeof *p->groups);
    for (uint32_t i = 0; i < r->counts[C_GROUPS]; i++) {
        const uint8_t *b = r->data + r->base[C_GROUPS] + (size_t)i * GROUP_SIZE;
        rs_pgroup *g = &p->groups[i];
        p->ngroups++;
        if (!(g->id = read_name(r, b, "group id")) || !(g->name = read_name(r, b + 8, "group name"))) return false;
        g->code_start = get32(b + 16);
        g->code_len = get32(b + 20);
        g->source_hash = get32(b + 24);
        g->max_stack = get16(b + 28);
        if (!zero(b + 30, 2)) return refuse(r, (size_t)(b - r->data) + 30, "group %u: reserved bytes not zero", i), false;
    }
    return true;
}

static bool read_code_and_sets(reader *r, rs_program *p) {
    p->ncode = r->counts[C_CODE];
    p->code = rs_calloc(p->ncode ? p->ncode : 1, sizeof *p->code);
    for (uint32_t i = 0; i < p->ncode; i++) {
        const uint8_t *b = r->data + r->base[C_CODE] + (size_t)i * INSN_SIZE;
        rs_insn in = {b[0], b[1], get16(b + 2), get32(b + 4)};
        p->code[i] = in;
    }
    p->nsets = r->counts[C_SETS];
    p->sets = rs_calloc(p->nsets ? p->nsets : 1, sizeof *p->sets);
    for (uint32_t i = 0; i < p->nsets; i++) {
        const uint8_t *b = r->data + r->base[C_SETS] + (size_t)i * SET_SIZE;
        if (!zero(b + 1, 3)) return refuse(r, (size_t)(b - r->data) + 1, "set %u: reserved bytes not zero", i), false;
        rs_kset s = {b[0], get32(b + 4), get32(b + 8)};
        p->sets[i] = s;
    }
    return true;
}

static void read_vals_and_strings(reader *r, rs_program *p) {
    p->nvals = r->counts[C_VALS];
    p->vals = rs_calloc(p->nvals ? p->nvals : 1, sizeof *p->vals);
    for (uint32_t i = 0; i < p->nvals; i++) {
        const uint8_t *b = r->data + r->base[C_VALS] + (size_t)i * VAL_SIZE;
        uint64_t bits = get64(b + 8);
        rs_kval *v = &p->vals[i];
        v->str_off = get32(b);
        v->str_len = get32(b + 4);
        memcpy(&v->num, &bits, sizeof v->num);
        v->day = (int32_t)get32(b + 16);
    }
    p->strings_len = r->counts[C_STRINGS];
    p->strings = rs_malloc((size_t)p->strings_len + 1);
    if (p->strings_len) memcpy(p->strings, r->data + r->base[C_STRINGS], p->strings_len);
    p->strings[p->strings_len] = '\0';
}

/* Byte offset of the record a verification failure names. */
static size_t where_offset(const reader *r, const rs_vwhere *w) {
    switch (w->section) {
    case RS_VSEC_FIELDS: return r->base[C_FIELDS] + (size_t)w->index * FIELD_SIZE;
    case RS_VSEC_GROUPS: return r->base[C_GROUPS] + (size_t)w->index * GROUP_SIZE;
    case RS_VSEC_CODE: return r->base[C_CODE] + (size_t)w->index * INSN_SIZE;
    case RS_VSEC_SETS: return r->base[C_SETS] + (size_t)w->index * SET_SIZE;
    case RS_VSEC_VALS: return r->base[C_VALS] + (size_t)w->index * VAL_SIZE;
    case RS_VSEC_STRINGS: return r->base[C_STRINGS] + w->index;
    default: return HDR_SIZE;
    }
}

rs_program *rs_program_read(const char *name, const uint8_t *data, size_t len, rs_diags *diags) {
    reader r;
    memset(&r, 0, sizeof r);
    r.file = name;
    r.data = data;
    r.len = data ? len : 0;
    r.diags = diags;
    if (!read_header(&r)) return NULL;
    rs_program *p = rs_calloc(1, sizeof *p);
    bool ok = read_fields(&r, p) && read_groups(&r, p) && read_code_and_sets(&r, p);
    if (ok) {
        read_vals_and_strings(&r, p);
        char err[200];
        rs_vwhere w;
        if (rs_program_verify_at(p, err, sizeof err, &w) != 0) {
            refuse(&r, where_offset(&r, &w), "%s", err);
            ok = false;
        }
    }
    if (!ok) {
        rs_program_free(p);
        return NULL;
    }
    return p;
}
