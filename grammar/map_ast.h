/* map_ast.h: the syntax tree of field-mapping files (spec section 4), produced by the same scanner
 * and Bison grammar as rule files (entry point START_MAPFILE) and consumed by the mapping checker,
 * the formatter and the mapping compiler.
 *
 * A mapping file holds one or more `mapping "id" { ... }` forms. Each form names its source and
 * target schemas, optionally the mapping set it overrides (`extends`) and its lookup tables, then one
 * `default|recommended|custom TARGET = EXPR` line per target field.
 *
 * Ownership: an ast_mapfile owns everything below it (all strings malloc'd); ast_mapfile_free frees
 * it. Every node keeps the byte span of its source text. */
#ifndef RS_MAP_AST_H
#define RS_MAP_AST_H
#include "grammar/ast.h"

/* One step of a source path: `.name`, `[2]`, `[type="work"]` (an array element whose key equals the
 * value) or `[primary]` (any element). The last two pick, among the elements they match, the one
 * marked `"primary": true`, else the first. */
typedef enum { MAP_STEP_KEY, MAP_STEP_INDEX, MAP_STEP_FILTER, MAP_STEP_PRIMARY } map_step_kind;

typedef struct map_step {
    map_step_kind kind;
    rs_span span;
    char *key;            /* KEY: the key; FILTER: the key compared; PRIMARY: "primary" */
    size_t key_len;
    uint32_t index;       /* INDEX */
    char *value;          /* FILTER: the value it must equal (exactly, case-sensitive) */
    size_t value_len;
} map_step;

typedef enum {
    MAP_X_LITERAL,        /* lit */
    MAP_X_PATH,           /* steps: the first is always a KEY */
    MAP_X_CALL,           /* fn(args...) */
    MAP_X_AND, MAP_X_OR,  /* lhs, rhs */
    MAP_X_NOT,            /* lhs */
    MAP_X_CMP             /* lhs op args (args: the operand list; list_form when parenthesised) */
} map_expr_kind;

typedef struct map_expr {
    map_expr_kind kind;
    rs_span span;
    uint32_t depth;       /* tree height, 1 for a leaf: the parser bounds it by RS_MAX_DEPTH */
    ast_value lit;
    map_step *steps;
    size_t nsteps;
    char *fn;             /* CALL: the name as written (functions are matched ignoring case) */
    rs_span fn_span;
    struct map_expr **args;
    size_t nargs;
    struct map_expr *lhs, *rhs;
    ast_op op;
    rs_span op_span;
    bool list_form;
    bool parens;          /* written in parentheses (fmt decides anew) */
} map_expr;

/* default: cannot be disabled; recommended: can be disabled (left out), not changed; custom: free. */
typedef enum { MAP_DEFAULT, MAP_RECOMMENDED, MAP_CUSTOM } map_kind;
const char *map_kind_name(map_kind k);

typedef struct map_item {
    map_kind kind;
    rs_span span, kind_span;
    ast_str target;
    map_expr *expr;
} map_item;

typedef struct map_table {
    ast_str name, path;    /* table "orgunits" = "orgunits.csv" */
    rs_span span;
} map_table;

typedef struct ast_mapping {
    rs_span span;
    ast_str id;
    ast_str source, target, extends;   /* s == NULL when the line is absent */
    map_table *tables;
    size_t ntables, cap_tables;
    map_item *items;
    size_t nitems, cap_items;
} ast_mapping;

/* A whole-line comment of a mapping file, kept for fmt: printed in front of what follows it. */
typedef struct map_comment {
    uint32_t offset;
    char *text;
} map_comment;

typedef struct ast_mapfile {
    const rs_source *src;  /* borrowed */
    ast_mapping *maps;
    size_t nmaps, cap_maps;
    map_comment *comments;
    size_t ncomments;
} ast_mapfile;

ast_mapfile *ast_mapfile_new(const rs_source *src);
void ast_mapfile_free(ast_mapfile *f);
map_expr *map_expr_new(map_expr_kind kind, rs_span span);
void map_expr_free(map_expr *e);
void map_expr_add_arg(map_expr *e, map_expr *arg);
void map_expr_add_step(map_expr *e, map_step s);   /* takes ownership of s's strings */
void ast_mapping_clear(ast_mapping *m);
/* Structural equality ignoring spans and parentheses; function names compare ignoring case. Used to
 * tell a changed `default`/`recommended` mapping from an unchanged one, and by fmt round-trips. */
bool map_expr_equal(const map_expr *a, const map_expr *b);
bool ast_mapfile_equal(const ast_mapfile *a, const ast_mapfile *b);

#endif
