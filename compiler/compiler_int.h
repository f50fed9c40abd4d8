/* compiler_int.h: what compiler/'s own files share and nobody else includes: hashing, constant
 * ordering, the program builder used by lowering and by the file reader, and the verifier's
 * located form used to turn a verification failure into a byte offset. */
#ifndef RS_COMPILER_INT_H
#define RS_COMPILER_INT_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "compiler/bytecode.h"

/* ---- hashing ---- */

#define RS_FNV_OFFSET 2166136261u
#define RS_FNV_PRIME 16777619u

static inline uint32_t rs_fnv1a(uint32_t h, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * RS_FNV_PRIME;
    return h;
}

/* Fixed-width integers are hashed in little-endian order, so a hash does not depend on the host. */
static inline uint32_t rs_fnv1a_u32(uint32_t h, uint32_t v) {
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return rs_fnv1a(h, b, 4);
}

uint32_t rs_fnv1a_double(uint32_t h, double d);
/* CRC-32 (IEEE 802.3, reflected, as zlib computes it); crc starts at 0. */
uint32_t rs_crc32(uint32_t crc, const void *data, size_t len);

/* ---- constants ---- */

/* Order of two values of one kind: strings by bytes (shorter first on a common prefix), numbers
 * and days numerically. Sets are stored in this order, which is what the VM's lookups assume. */
int rs_kval_cmp(const rs_program *p, uint8_t kind, const rs_kval *a, const rs_kval *b);
/* The same for values whose strings live outside a program (lowering works on such). */
int rs_kval_cmp_raw(const char *sa, const char *sb, uint8_t kind, const rs_kval *a, const rs_kval *b);

/* Which constant kinds an opcode accepts for a field of a type; 0 when the pair is invalid.
 * Bit (1 << kind). For opcodes without K (EMPTY) returns 1 when the field type fits. */
unsigned rs_op_kinds(rs_opcode op, rs_type type);
/* How many values the opcode's set must hold: exactly `n` (n > 0) or at least one (n = 0). */
uint32_t rs_op_set_size(rs_opcode op);
/* Cost class used to order operands of and/or runs (cheaper first). */
unsigned rs_op_cost(rs_opcode op);

/* ---- building a program ---- */

typedef struct rs_setmap {
    uint32_t *slots;   /* set index + 1, 0 = free */
    size_t cap;        /* power of two */
} rs_setmap;

typedef struct rs_builder {
    rs_program *p;
    size_t cap_fields, cap_groups, cap_code, cap_sets, cap_vals, cap_strings;
    rs_setmap sets;    /* interning of identical constant sets */
} rs_builder;

void rs_builder_init(rs_builder *b);
/* Returns the program and frees the builder's own tables. */
rs_program *rs_builder_finish(rs_builder *b);
void rs_builder_abandon(rs_builder *b);
uint32_t rs_builder_field(rs_builder *b, const char *name, rs_type type, bool multi);
uint32_t rs_builder_insn(rs_builder *b, rs_opcode op, uint8_t flags, uint16_t field, uint32_t k);
/* Adds a set of n values (already sorted and de-duplicated), strings taken from `strs` (offsets
 * in the values point into it). An identical set already in the program is reused. */
uint32_t rs_builder_set(rs_builder *b, uint8_t kind, const rs_kval *vals, uint32_t n, const char *strs);
rs_pgroup *rs_builder_group(rs_builder *b);

/* ---- verification with a location ---- */

typedef enum {
    RS_VSEC_NONE, RS_VSEC_FIELDS, RS_VSEC_GROUPS, RS_VSEC_CODE, RS_VSEC_SETS, RS_VSEC_VALS,
    RS_VSEC_STRINGS
} rs_vsection;

typedef struct rs_vwhere {
    rs_vsection section;
    uint32_t index;    /* record index in the section (byte offset for strings) */
} rs_vwhere;

int rs_program_verify_at(const rs_program *p, char *err, size_t errlen, rs_vwhere *where);

/* Shortest text of a double that reads back to the same value ("3.5", "1e+21"). */
void rs_format_double(double d, char out[32]);

#endif
