/* bytecode.h: the contract between the compiler and the runtime. The runtime includes this header,
 * never grammar/ or the checker.
 *
 * A program holds many groups. Each group's code is a straight-line program for a stack machine
 * whose values are membership bitmaps over a batch of members: every instruction consumes 0-2
 * bitmaps and pushes at most 1, evaluating a whole column at once. A group's code leaves exactly one
 * bitmap: its members.
 *
 * Instruction: op, flags, field (index into the program's field table), k (index into the constant
 * pool of value sets). Constants are sets of values of one kind, sorted and de-duplicated by the
 * compiler; text and option strings are stored case-folded.
 *
 * The opcode list below is the only place opcodes are defined: it expands into the enum, the
 * verifier's table, the disassembler's names and comments, and the VM's dispatch. */
#ifndef RS_BYTECODE_H
#define RS_BYTECODE_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "common/schema.h"
#include "common/diag.h"

/* OP(name, uses: F field / K constant / - , pops, pushes, synopsis).
 * "r" is the pushed bitmap, "v" the member's value(s) of field F, "K" the constant set k. */
#define RS_OPCODES(OP)                                                                             \
    OP(ALL,      "--", 0, 1, "r = every member of the batch")                                       \
    OP(NONE,     "--", 0, 1, "r = no member")                                                      \
    OP(IN,       "FK", 0, 1, "r = some value of F is in K (empty: false)")                          \
    OP(HAS_ALL,  "FK", 0, 1, "r = the values of F include every value of K (empty: false)")         \
    OP(EMPTY,    "F-", 0, 1, "r = F is empty")                                                      \
    OP(CONTAINS, "FK", 0, 1, "r = some value of F contains K[0], ignoring case")                   \
    OP(PREFIX,   "FK", 0, 1, "r = some value of F starts with K[0], ignoring case")                \
    OP(LT,       "FK", 0, 1, "r = some value of F < K[0]")                                          \
    OP(LE,       "FK", 0, 1, "r = some value of F <= K[0]")                                         \
    OP(GT,       "FK", 0, 1, "r = some value of F > K[0]")                                          \
    OP(GE,       "FK", 0, 1, "r = some value of F >= K[0]")                                         \
    OP(BETWEEN,  "FK", 0, 1, "r = some value of F in [K[0], K[1]]")                                 \
    OP(BELONG,   "FK", 0, 1, "r = every department of F is in K (subtrees if flag SUB; empty: false)") \
    OP(IN_TREE,  "FK", 0, 1, "r = some department of F is in K or below one")                      \
    OP(REPORTS,  "FK", 0, 1, "r = K[0] is reached by following F from the member (not itself)")     \
    OP(IDS,      "-K", 0, 1, "r = the members whose id is in K (allow/block lists)")               \
    OP(NOT,      "--", 1, 1, "r = not a")                                                           \
    OP(AND,      "--", 2, 1, "r = a and b")                                                         \
    OP(OR,       "--", 2, 1, "r = a or b")                                                          \
    OP(ANDNOT,   "--", 2, 1, "r = a and not b")

typedef enum {
#define OP(name, uses, pops, pushes, syn) RS_OP_##name,
    RS_OPCODES(OP)
#undef OP
    RS_OP_COUNT
} rs_opcode;

typedef struct rs_opinfo {
    const char *name;      /* "IN" */
    const char *uses;      /* "FK" */
    uint8_t pops, pushes;
    const char *synopsis;
} rs_opinfo;
extern const rs_opinfo rs_opinfo_table[RS_OP_COUNT];

enum { RS_FLAG_SUB = 1 };   /* BELONG: compare subtrees of K */

typedef struct rs_insn {
    uint8_t op;
    uint8_t flags;
    uint16_t field;        /* index into rs_program.fields */
    uint32_t k;            /* index into rs_program.sets */
} rs_insn;

typedef enum {
    RS_K_STR,              /* strings (text/option folded; ids as written) */
    RS_K_NUM,              /* doubles (numbers, bools as 0/1) */
    RS_K_DAY,              /* day numbers */
    RS_K_TODAY             /* offsets in days from `today`, resolved when a run starts */
} rs_kkind;

typedef struct rs_kset {
    uint8_t kind;          /* rs_kkind */
    uint32_t first, count; /* values[first .. first+count) */
} rs_kset;

typedef struct rs_kval {
    uint32_t str_off, str_len;  /* RS_K_STR: bytes in strings[] */
    double num;                 /* RS_K_NUM */
    int32_t day;                /* RS_K_DAY, RS_K_TODAY */
} rs_kval;

typedef struct rs_pfield {
    char *name;            /* schema field name ("main_department" for the derived one) */
    uint8_t type;          /* rs_type */
    bool multi;
} rs_pfield;

typedef struct rs_pgroup {
    char *id, *name;
    uint32_t code_start, code_len;
    uint16_t max_stack;
    uint32_t source_hash;  /* hash of the group's canonical text: a recalc skips unchanged groups */
} rs_pgroup;

typedef struct rs_program {
    rs_pfield *fields; uint32_t nfields;
    rs_pgroup *groups; uint32_t ngroups;
    rs_insn *code;     uint32_t ncode;
    rs_kset *sets;     uint32_t nsets;
    rs_kval *vals;     uint32_t nvals;
    char *strings;     uint32_t strings_len;
} rs_program;

void rs_program_free(rs_program *p);

/* Check every invariant the VM relies on: opcodes, operand bounds, field types against opcodes,
 * constant kinds, stack depth never below zero and exactly 1 at the end of each group, max_stack
 * right, string offsets inside strings[]. Returns 0, or -1 with a message in err. */
int rs_program_verify(const rs_program *p, char *err, size_t errlen);

/* Serialise to the versioned file format (docs/bytecode.md). Returns the malloc'd bytes. */
int rs_program_write(const rs_program *p, uint8_t **out, size_t *len);
/* Parse and verify; on failure appends E0701 (what is wrong and where) to diags and returns NULL. */
rs_program *rs_program_read(const char *name, const uint8_t *data, size_t len, rs_diags *diags);

/* EXPLAIN-style listing: one instruction a line, address, opcode, operands, constants and a comment
 * from the synopsis. */
struct rs_sb;
void rs_program_disasm(const rs_program *p, struct rs_sb *out);

#define RS_BC_MAGIC "RSTRBC\r\n"   /* 8 bytes; \r\n catches text-mode mangling as PNG's magic does */
#define RS_BC_VERSION 1u

#endif
