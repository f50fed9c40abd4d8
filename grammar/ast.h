/* ast.h: the syntax tree of rule files, produced by the text parser and by the JSON form reader
 * alike, and consumed by the checker, the formatter and the reference evaluator.
 *
 * Ownership: an ast_file owns everything below it (all strings malloc'd); ast_file_free frees it.
 * Every node keeps the byte span of its source text for diagnostics. */
#ifndef RS_AST_H
#define RS_AST_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "common/diag.h"

/* Operators, in the canonical spelling `fmt` prints. ARGS: NONE (is empty), ONE (one value), LIST
 * (a parenthesised list), TWO (is between A and B). Negative operators are true on empty values. */
#define AST_OPERATORS(X)                                                   \
    X(EQUALS,        "equals",           ONE)                              \
    X(NOT_EQUAL,     "not equal to",     ONE)                              \
    X(ANY_OF,        "is any of",        LIST)                             \
    X(NONE_OF,       "is none of",       LIST)                             \
    X(INCLUDE_ALL,   "include all",      LIST)                             \
    X(IS_EMPTY,      "is empty",         NONE)                             \
    X(NOT_EMPTY,     "is not empty",     NONE)                             \
    X(CONTAINS,      "contains",         ONE)                              \
    X(NOT_CONTAINS,  "does not contain", ONE)                              \
    X(STARTS_WITH,   "starts with",      ONE)                              \
    X(BEFORE,        "is before",        ONE)                              \
    X(ON_OR_BEFORE,  "is on or before",  ONE)                              \
    X(AFTER,         "is after",         ONE)                              \
    X(ON_OR_AFTER,   "is on or after",   ONE)                              \
    X(BETWEEN,       "is between",       TWO)                              \
    X(GREATER,       "greater than",     ONE)                              \
    X(LESS,          "less than",        ONE)                              \
    X(AT_LEAST,      "at least",         ONE)                              \
    X(AT_MOST,       "at most",          ONE)                              \
    X(BELONG,        "belong to",        LIST)                             \
    X(PARTLY_BELONG, "partly belong to", LIST)                             \
    X(NOT_BELONG,    "don't belong to",  LIST)                             \
    X(REPORTS_TO,    "reports to",       ONE)

typedef enum {
#define X(name, text, args) AST_OP_##name,
    AST_OPERATORS(X)
#undef X
    AST_OP_COUNT
} ast_op;

typedef enum { AST_ARGS_NONE, AST_ARGS_ONE, AST_ARGS_LIST, AST_ARGS_TWO } ast_args;

const char *ast_op_text(ast_op op);         /* "is on or after" */
ast_args ast_op_args(ast_op op);
/* Operator from its canonical text, case-insensitive, any run of spaces between words; -1 if none.
 * Used by the JSON reader. */
int ast_op_from_text(const char *text, size_t len);

typedef enum {
    AST_VAL_STRING,   /* "..." (unescaped UTF-8 in str/len); a string that spells a date or a
                       * relative date ("2026-01-01", "today - 90 days") is read as that date, in
                       * both forms, since the JSON form can only write dates as strings */
    AST_VAL_NUMBER,   /* 42, -3.5 (num; text keeps the spelling for fmt) */
    AST_VAL_DATE,     /* 2026-01-01 (day number in day) */
    AST_VAL_TODAY,    /* today, today - 90 days, today + 2 weeks (offset in days; count/unit for fmt) */
    AST_VAL_BOOL      /* true / false */
} ast_val_kind;

typedef struct ast_value {
    ast_val_kind kind;
    rs_span span;
    char *str;        /* STRING: value; NUMBER: source spelling */
    size_t len;
    double num;
    int32_t day;      /* DATE: days since 1970-01-01; TODAY: offset in days (negative = past) */
    int32_t count;    /* TODAY: the count as written (90 in "today - 90 days") */
    char unit;        /* TODAY: 'd' or 'w' ('\0' for plain today) */
    bool b;
} ast_value;

/* Whole-line comments written in front of a group or an item, kept so that `fmt` does not lose
 * them: each line is the text after '#', trailing blanks removed. Not compared by ast_file_equal. */
typedef struct ast_comments {
    char **lines;
    size_t n, cap;
} ast_comments;

typedef struct ast_cond {
    rs_span span;          /* whole condition, number included */
    uint32_t number;       /* 1..20 for numbered conditions; 0 inside `where` */
    rs_span number_span;
    char *field;
    rs_span field_span;
    ast_op op;
    rs_span op_span;
    ast_value *values;     /* ONE: 1 value; TWO: 2; LIST: the list; NONE: none */
    size_t nvalues;
    rs_span values_span;   /* the parenthesised list, or the value(s) */
    bool list_form;        /* written as a parenthesised list (a one-value operator given a list of
                            * one value takes it as its value: list_form is then false) */
    bool with_sub;         /* `with sub-departments` */
    rs_span with_sub_span;
    ast_comments comments; /* numbered conditions only */
} ast_cond;

typedef enum {
    AST_EXPR_AND, AST_EXPR_OR, AST_EXPR_NOT,
    AST_EXPR_REF,          /* a condition number inside `match` */
    AST_EXPR_COND          /* a condition inside `where` */
} ast_expr_kind;

typedef struct ast_expr {
    ast_expr_kind kind;
    rs_span span;
    struct ast_expr *lhs, *rhs;   /* AND/OR: both; NOT: lhs */
    uint32_t ref;                 /* REF */
    ast_cond *cond;               /* COND (owned) */
    bool parens;                  /* written in parentheses (kept for spans only; fmt decides anew) */
} ast_expr;

typedef struct ast_str {
    char *s;
    size_t len;
    rs_span span;
} ast_str;

typedef struct ast_strlist {
    ast_str *items;
    size_t n, cap;
    rs_span span;          /* the whole line (keyword included); {0,0} when absent */
    bool present;
} ast_strlist;

typedef struct ast_group {
    rs_span span;
    ast_str id;
    ast_str name;          /* name.s == NULL when the group has no `name` line */
    ast_strlist departments;
    bool departments_with_sub;
    rs_span departments_with_sub_span;
    ast_cond *conds;       /* numbered conditions, in source order */
    size_t nconds, cap_conds;
    uint64_t unread_conds; /* bit n: condition n (< 64) was declared but could not be read; its
                              error is reported, so `match` does not also call it undeclared */
    ast_expr *match;       /* NULL without `match` (then: all conditions and-ed) */
    rs_span match_span;
    ast_expr *where;       /* NULL without `where` */
    rs_span where_span;
    ast_strlist allow, block;
    ast_comments comments; /* in front of `group` */
    ast_comments name_comments, departments_comments, match_comments, where_comments,
        allow_comments, block_comments;
} ast_group;

typedef struct ast_file {
    const rs_source *src;  /* borrowed: the caller keeps the source alive as long as the AST */
    ast_group *groups;
    size_t ngroups, cap_groups;
} ast_file;

/* Constructors used by the parser actions and the JSON reader (all take ownership of pointers). */
ast_file *ast_file_new(const rs_source *src);
ast_group *ast_file_add_group(ast_file *f);          /* zeroed, owned by f */
ast_cond *ast_group_add_cond(ast_group *g);          /* zeroed, owned by g */
void ast_group_unread_cond(ast_group *g, uint32_t number);
void ast_strlist_add(ast_strlist *l, char *s, size_t len, rs_span span);
ast_expr *ast_expr_binary(ast_expr_kind kind, ast_expr *lhs, ast_expr *rhs);
ast_expr *ast_expr_not(ast_expr *e, rs_span span);
ast_expr *ast_expr_ref(uint32_t ref, rs_span span);
ast_expr *ast_expr_cond(ast_cond *c);                /* c is malloc'd and now owned */
void ast_cond_add_value(ast_cond *c, ast_value v);
void ast_comments_add(ast_comments *c, char *line);   /* takes ownership of line */
void ast_comments_clear(ast_comments *c);
void ast_value_clear(ast_value *v);
void ast_cond_clear(ast_cond *c);
void ast_expr_free(ast_expr *e);
void ast_group_clear(ast_group *g);
void ast_file_free(ast_file *f);

/* Equality of two literal values (mapping files compare their expressions with it). */
bool ast_value_equal(const ast_value *a, const ast_value *b);

/* Structural equality, ignoring spans (used by the fmt round-trip tests and fuzzers). */
bool ast_file_equal(const ast_file *a, const ast_file *b);

#endif
