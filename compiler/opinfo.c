/* opinfo.c: the opcode descriptor table, expanded from RS_OPCODES, and the per-opcode facts the
 * verifier and the optimiser share (which constant kinds fit which field types, set sizes, costs). */
#include "compiler/compiler_int.h"

const rs_opinfo rs_opinfo_table[RS_OP_COUNT] = {
#define OP(name, uses, pops, pushes, syn) {#name, uses, pops, pushes, syn},
    RS_OPCODES(OP)
#undef OP
};

/* The constant kind that holds values of a field type. */
static unsigned value_kinds(rs_type type) {
    switch (type) {
    case RS_T_TEXT: case RS_T_OPTION: case RS_T_PERSONNEL: case RS_T_DEPARTMENT:
        return 1u << RS_K_STR;
    case RS_T_NUMBER: case RS_T_BOOL:
        return 1u << RS_K_NUM;
    case RS_T_DATE:
        return (1u << RS_K_DAY) | (1u << RS_K_TODAY);
    default:
        return 0;
    }
}

unsigned rs_op_kinds(rs_opcode op, rs_type type) {
    if (type >= RS_T_COUNT) return 0;
    switch (op) {
    case RS_OP_IN: case RS_OP_HAS_ALL:
        return value_kinds(type);
    case RS_OP_EMPTY:
        return 1;
    case RS_OP_CONTAINS: case RS_OP_PREFIX:
        return type == RS_T_TEXT ? 1u << RS_K_STR : 0;
    case RS_OP_LT: case RS_OP_LE: case RS_OP_GT: case RS_OP_GE: case RS_OP_BETWEEN:
        return type == RS_T_NUMBER || type == RS_T_DATE ? value_kinds(type) : 0;
    case RS_OP_BELONG: case RS_OP_IN_TREE:
        return type == RS_T_DEPARTMENT ? 1u << RS_K_STR : 0;
    case RS_OP_REPORTS:
        return type == RS_T_PERSONNEL ? 1u << RS_K_STR : 0;
    case RS_OP_IDS:
        return 1u << RS_K_STR;   /* member ids; no field */
    default:
        return 0;
    }
}

uint32_t rs_op_set_size(rs_opcode op) {
    switch (op) {
    case RS_OP_CONTAINS: case RS_OP_PREFIX: case RS_OP_LT: case RS_OP_LE: case RS_OP_GT:
    case RS_OP_GE: case RS_OP_REPORTS:
        return 1;
    case RS_OP_BETWEEN:
        return 2;
    default:
        return 0;
    }
}

/* Rough per-member work: an empty-bit test, a table lookup per value, a numeric compare, a walk
 * over a set or a subtree table, a substring search, a chain of leaders. */
unsigned rs_op_cost(rs_opcode op) {
    switch (op) {
    case RS_OP_EMPTY: return 1;
    case RS_OP_IN: case RS_OP_IDS: return 2;
    case RS_OP_LT: case RS_OP_LE: case RS_OP_GT: case RS_OP_GE: case RS_OP_BETWEEN: return 3;
    case RS_OP_HAS_ALL: case RS_OP_BELONG: case RS_OP_IN_TREE: return 4;
    case RS_OP_CONTAINS: case RS_OP_PREFIX: return 8;
    case RS_OP_REPORTS: return 16;
    default: return 1;
    }
}
