/* mapcode.h: the contract between the mapping compiler and the mapping evaluator (runtime/mapeval.c):
 * value types, the function list, and a mapping program: a small stack machine, one code range per
 * mapped target field. The runtime includes this header, never the grammar's.
 *
 * A program owns everything it points to; rs_mapprog_free frees it. */
#ifndef RS_MAPCODE_H
#define RS_MAPCODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value types of mapping expressions. ANY is the type of an expression whose error was already
 * reported: it fits everywhere, so one mistake is reported once. */
typedef enum { MT_ANY, MT_TEXT, MT_NUMBER, MT_BOOL, MT_DATE, MT_LIST } map_type;

/* The function library: F(ID, name, min args, max args, synopsis). */
#define RS_MAP_FUNCTIONS(F)                                                                  \
    F(LOWER, "lower", 1, 1, "lower(text): lower case")                                      \
    F(UPPER, "upper", 1, 1, "upper(text): upper case")                                      \
    F(TRIM, "trim", 1, 1, "trim(text): without leading and trailing white space")           \
    F(CONCAT, "concat", 1, 64, "concat(a, b, ...): the values as text, end to end")         \
    F(COALESCE, "coalesce", 1, 64, "coalesce(a, b, ...): the first value that is not empty") \
    F(SUBSTR, "substr", 2, 3, "substr(text, start[, length]): characters from start (0 first)") \
    F(REPLACE, "replace", 3, 3, "replace(text, from, to): every occurrence of from replaced")  \
    F(SPLIT, "split", 2, 2, "split(text, separator): a list")                               \
    F(JOIN, "join", 2, 2, "join(list, separator): text")                                    \
    F(IF, "if", 3, 3, "if(condition, then, else)")                                          \
    F(LOOKUP, "lookup", 2, 2, "lookup(\"table\", key): the table's value for key")          \
    F(DATE, "date", 1, 1, "date(text): a date from YYYY-MM-DD or an RFC 3339 timestamp")   \
    F(FORMAT_DATE, "format_date", 2, 2, "format_date(date, format): text (%Y %m %d %s %%)")   \
    F(REGEX_REPLACE, "regex_replace", 3, 3,                                                  \
      "regex_replace(text, \"pattern\", \"replacement\"): every match replaced (\\1 names a group)") \
    F(UNIX_SECONDS, "unix_seconds", 1, 1, "unix_seconds(date): seconds since 1970 at midnight UTC")

typedef enum {
#define F(id, name, min, max, doc) MAP_FN_##id,
    RS_MAP_FUNCTIONS(F)
#undef F
    MAP_FN_COUNT
} map_fn;

/* Instructions: OP(name, "synopsis"). a and b are operands. */
#define RS_MAP_OPS(OP)                                                                       \
    OP(CONST, "push constant a")                                                            \
    OP(PATH, "push the source value at path a")                                             \
    OP(CALL, "call function a on the top b values")                                         \
    OP(CMP, "compare (map_cmp a) the value below b operands with them")             \
    OP(NOT, "negate the top value")                                                         \
    OP(AND, "both of the top two values")                                                   \
    OP(OR, "either of the top two values")                                                  \
    OP(JUMP_FALSE, "pop; when false or empty, go to a")                                     \
    OP(JUMP, "go to a")                                                                     \
    OP(REGEX, "replace the matches of regex a in the value below the top by the top")       \
    OP(STORE, "pop into target field a")

typedef enum {
#define OP(name, doc) MOP_##name,
    RS_MAP_OPS(OP)
#undef OP
    MOP_COUNT
} map_opcode;

/* Comparisons, as the evaluator runs them (the compiler folds the operator spellings onto these). */
typedef enum {
    MCMP_EQ, MCMP_NE, MCMP_ANY, MCMP_NONE, MCMP_ALL, MCMP_EMPTY, MCMP_NOT_EMPTY, MCMP_CONTAINS,
    MCMP_NOT_CONTAINS, MCMP_STARTS, MCMP_LT, MCMP_LE, MCMP_GT, MCMP_GE, MCMP_BETWEEN
} map_cmp;

typedef struct rs_mapins {
    uint8_t op;
    uint32_t a, b;
} rs_mapins;

/* A literal. */
typedef struct rs_mapconst {
    map_type type;            /* TEXT, NUMBER, BOOL or DATE */
    char *s;                  /* TEXT (NUL-terminated); NUMBER: its spelling */
    size_t len;
    double num;
    int32_t day;
    bool b;
} rs_mapconst;

typedef enum { MPS_KEY, MPS_INDEX, MPS_FILTER, MPS_PRIMARY } rs_mapstep_kind;

typedef struct rs_mapstep {
    rs_mapstep_kind kind;
    char *key;                /* KEY and FILTER (NUL-terminated) */
    uint32_t index;
    char *value;              /* FILTER: the element's key must equal this text */
} rs_mapstep;

typedef struct rs_mappath {
    char *text;               /* as written, for failure messages */
    rs_mapstep *steps;
    size_t nsteps;
    map_type type;            /* declared type; LIST: an array of scalars read whole */
} rs_mappath;

/* A target field; code_start/code_end bound its code (empty range: not mapped). */
typedef struct rs_maptarget {
    char *name;
    map_type type;
    bool required;
    uint32_t max_length;      /* code points; 0 = none */
    char **allowed;
    size_t nallowed;
    uint32_t code_start, code_end;
} rs_maptarget;

typedef struct rs_maptable {
    char *name;
    char *path;               /* resolved against the mapping file's folder */
} rs_maptable;

typedef struct rs_mapprog {
    char *id;                 /* the mapping's id */
    rs_mapins *code;
    size_t ncode;
    rs_mapconst *consts;
    size_t nconsts;
    rs_mappath *paths;
    size_t npaths;
    rs_maptarget *targets;    /* every field of the target schema, in its order */
    size_t ntargets;
    rs_maptable *tables;
    size_t ntables;
    char **regexes;           /* the patterns of regex_replace, NUL-terminated */
    size_t nregexes;
    uint32_t max_stack;       /* the deepest the stack gets */
} rs_mapprog;

void rs_mapprog_free(rs_mapprog *p);
const char *map_opcode_name(map_opcode op);
/* An EXPLAIN-style listing: per mapped target field, its instructions with their operands spelled
 * out (constants, paths, functions, comparisons). */
struct rs_sb;
void rs_mapprog_disasm(const rs_mapprog *p, struct rs_sb *out);

#endif
