/* grammar_int.h: what the files of grammar/ share and nobody else sees: the scanner and parser
 * state, the semantic values the Bison grammar passes around, and the gp_* helpers that grammar
 * actions call (actions do nothing but call these, as jq's do with gen_*).
 *
 * Pipeline: parse.c sets up an rs_parser over a buffer (a whole rule file, or the decoded `match`
 * or `where` string of a JSON group) and runs the Bison parser (parser.y), which pulls tokens from
 * the re2c scanner (lexer.re) and builds the AST through the helpers below. */
#ifndef RS_GRAMMAR_INT_H
#define RS_GRAMMAR_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/diag.h"
#include "common/strbuf.h"
#include "grammar/ast.h"
#include "grammar/map_ast.h"

/* ---- semantic values ---- */

/* A slice of the scanned buffer (identifiers, keywords used as field names). Borrowed: the buffer
 * outlives the parse. */
typedef struct gp_word {
    const char *s;
    size_t len;
} gp_word;

/* A decoded string literal (owned, NUL-terminated). */
typedef struct gp_str {
    char *s;
    size_t len;
} gp_str;

/* A number literal as scanned: its spelling (borrowed) and value. ok is false when the scanner
 * already reported it out of range. */
typedef struct gp_num {
    const char *s;
    size_t len;
    double v;
    bool ok;
} gp_num;

/* Values of a condition while they are being collected (owned). */
typedef struct gp_values {
    ast_value *v;
    size_t n, cap;
    bool list;        /* written as a parenthesised list */
    rs_span span;
} gp_values;

/* An expression and its tree depth (a lone condition or reference is 1). */
typedef struct gp_expr {
    ast_expr *e;
    uint32_t depth;
} gp_expr;

/* A run of `not` keywords in front of one operand. */
typedef struct gp_nots {
    uint32_t count;
    uint32_t counted; /* how many of them count towards the nesting limit */
    rs_span span;     /* the first `not` */
} gp_nots;

/* ---- scanner state ---- */

/* A whole-line comment seen by the scanner; fmt keeps them in front of the next group or item. */
typedef struct gp_comment {
    uint32_t offset;
    char *text;       /* what follows '#', trailing blanks removed (owned) */
} gp_comment;

#define GP_PAREN_STACK (RS_MAX_DEPTH + 8)

typedef struct rs_lexer {
    const unsigned char *buf;   /* scanned text; buf[lim - buf] is a NUL sentinel */
    const unsigned char *cur, *lim, *tok, *mar;
    uint32_t base;              /* source offset of buf[0] */
    uint32_t clamp;             /* spans never extend past this source offset */
    int start_token;            /* handed out first (TK_START_*), then 0 */
    int held_token;             /* a token held back behind an injected '}' (0 = none) */
    gp_word held_word;
    rs_span held_span;
    int brace_depth;            /* '{' not yet closed */
    rs_span brace_open;         /* the '{' of the group being read */
    bool synthetic_brace;       /* the last token handed out is an injected '}' */
    bool skip_deep;             /* set by the parser: skip to the ')' closing the '(' just read */
    bool eof_damaged;           /* a string or a skipped region ran into the end of the input */
    bool keep_comments;
    bool map_mode;              /* a mapping file: '.', '[', ']', '=' and the mapping keywords */
    uint32_t parens[GP_PAREN_STACK]; /* offsets of the '(' still open, for "opened here" help */
    size_t nparens, parens_lost;
    rs_sb sb;                   /* the string literal being decoded */
    gp_comment *comments;
    size_t ncomments, cap_comments;
} rs_lexer;

typedef struct rs_parser {
    rs_lexer lex;
    const rs_source *src;
    rs_diags *diags;
    ast_file *file;             /* rule files: what has been built so far */
    ast_mapfile *mapfile;       /* mapping files: what has been built so far */
    size_t group;               /* index of the group being read */
    bool in_group;
    gp_expr result;             /* `match` / `where` entry points: the expression */
    uint32_t nest;              /* '(' and `not` open in the current expression */
    bool deep_reported;         /* E0002 already reported for the current expression */
    bool poisoned;              /* the current expression lost parts to the depth limit */
    bool mute;                  /* syntax errors that follow from a reported one: not shown */
    bool brace_error;           /* a syntax error was found at an injected '}' */
    size_t nsyntax;             /* syntax errors reported */
} rs_parser;

/* ---- scanner (lexer.re) ---- */

/* Prepares the scanner over buf[0..len) (buf[len] must be NUL). base is the source offset of buf[0];
 * spans are clamped to clamp. */
void gp_lex_init(rs_lexer *L, const char *buf, size_t len, uint32_t base, uint32_t clamp,
                 int start_token);
void gp_lex_free(rs_lexer *L);
/* Writes the token stream of src as text, one token a word: GROUP(group) STRING("x") { ... OP(is
 * any of) ( ... ). Scanner diagnostics go to diags. For tests and debugging. */
void gp_lex_dump(const rs_source *src, rs_diags *diags, rs_sb *out);
/* The same, with map_mode: the token stream of a mapping file. */
void gp_lex_dump_mode(const rs_source *src, rs_diags *diags, rs_sb *out, bool map_mode);
/* Whether s (NUL-terminated at len) scans as exactly one field name: the JSON reader accepts only
 * field names the text form can write. */
bool gp_is_field_name(const char *s, size_t len);

/* ---- helpers called from grammar actions (parse.c) ---- */

rs_diag *gp_error(rs_parser *p, rs_code code, rs_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* E0003 for a string literal of len bytes (decoded): the one report of the limit that the text
 * and the JSON form share. */
void gp_string_too_long(rs_diags *diags, const rs_source *src, rs_span at, size_t len);

void gp_group_begin(rs_parser *p, gp_str *id, rs_span id_span, rs_span kw_span);
void gp_group_end(rs_parser *p, rs_span span, bool closed);
void gp_item_name(rs_parser *p, gp_str *s, rs_span s_span, rs_span span);
void gp_item_departments(rs_parser *p, ast_strlist *l, bool with_sub, rs_span sub_span, rs_span span);
void gp_item_members(rs_parser *p, bool block, ast_strlist *l, rs_span span);
void gp_item_cond(rs_parser *p, uint32_t number, rs_span number_span, ast_cond *c, rs_span span);
void gp_item_unread_cond(rs_parser *p, uint32_t number);
void gp_item_match(rs_parser *p, gp_expr e, rs_span span);
void gp_item_where(rs_parser *p, gp_expr e, rs_span span);
void gp_recovered(rs_parser *p);

ast_strlist *gp_strlist_new(void);
void gp_strlist_add(ast_strlist *l, gp_str *s, rs_span span);
void gp_strlist_free(ast_strlist *l);

ast_cond *gp_cond(gp_word field, rs_span field_span, ast_op op, rs_span op_span,
                  gp_values *vals, bool with_sub, rs_span sub_span, rs_span span);
void gp_cond_free(ast_cond *c);
gp_values *gp_values_new(rs_span span);
void gp_values_add(gp_values *vs, ast_value *v);
void gp_values_free(gp_values *vs);

void gp_value_string(ast_value *v, gp_str *s, rs_span span);
void gp_value_number(ast_value *v, const gp_num *n, bool negative, rs_span span);
void gp_value_date(ast_value *v, int32_t day, rs_span span);
void gp_value_today(rs_parser *p, ast_value *v, int sign, const gp_num *n, char unit, rs_span span);
void gp_value_bool(ast_value *v, bool b, rs_span span);
char gp_unit(rs_parser *p, gp_word w, bool known, rs_span span);

void gp_expr_begin(rs_parser *p);
bool gp_lparen(rs_parser *p, rs_span span);
gp_expr gp_paren(rs_parser *p, gp_expr inner, bool counted, rs_span span);
gp_expr gp_too_deep(rs_parser *p, bool counted, rs_span span);
gp_expr gp_ref(rs_parser *p, const gp_num *n, rs_span span);
gp_expr gp_where_cond(ast_cond *c);
gp_expr gp_binary(rs_parser *p, ast_expr_kind kind, gp_expr lhs, gp_expr rhs, rs_span op_span);
gp_nots gp_nots_add(rs_parser *p, const gp_nots *prev, rs_span at);
gp_expr gp_not(rs_parser *p, gp_nots nots, gp_expr e, rs_span span);
uint32_t gp_label(const char *digits, size_t len);

/* Canonical spelling of a plain decimal number: no sign, no leading zeros, no trailing fraction
 * zeros ("007.50" -> "7.5"). Malloc'd. */
char *gp_number_canonical(const char *s, size_t len);
/* Whether a canonical spelling and its value are a number roster keeps exactly: finite, and a
 * whole number no larger than 2^53. */
bool gp_number_in_range(const char *canonical, double v);

/* Runs the grammar over buf[0..len) (NUL-terminated) for the given entry point (TK_START_*);
 * spans are base + offset, clamped to clamp. For TK_START_FILE, groups go into f; otherwise the
 * expression is returned (NULL on errors). */
ast_expr *gp_run(const rs_source *src, rs_diags *diags, const char *buf, size_t len, uint32_t base,
                 uint32_t clamp, int start, ast_file *f);

/* ---- mapping files (map_parse.c) ---- */

void gm_begin(rs_parser *p, gp_str *id, rs_span id_span, rs_span kw_span);
void gm_end(rs_parser *p, rs_span span, bool closed);
/* `KIND TARGET = EXPR`; kind is the keyword as written. */
void gm_item(rs_parser *p, gp_word kind, rs_span kind_span, gp_word target, rs_span target_span,
             map_expr *e, rs_span span);
/* which: 0 source, 1 target, 2 extends. */
void gm_line(rs_parser *p, int which, gp_str *s, rs_span s_span, rs_span span);
void gm_table(rs_parser *p, gp_str *name, rs_span name_span, gp_str *path, rs_span path_span,
              rs_span span);
map_expr *gm_binary(rs_parser *p, map_expr_kind kind, map_expr *lhs, map_expr *rhs, rs_span op_span);
map_expr *gm_not(rs_parser *p, map_expr *e, rs_span span);
map_expr *gm_cmp(rs_parser *p, map_expr *lhs, ast_op op, rs_span op_span, map_expr *operand,
                 rs_span span);
map_expr *gm_between(rs_parser *p, map_expr *lhs, rs_span op_span, map_expr *lo, map_expr *hi,
                     rs_span span);
map_expr *gm_paren(map_expr *e, rs_span span);
map_expr *gm_string(gp_str *s, rs_span span);
map_expr *gm_number(const gp_num *n, bool negative, rs_span span);
map_expr *gm_date(int32_t day, rs_span span);
map_expr *gm_bool(bool b, rs_span span);
map_expr *gm_path(rs_parser *p, gp_word w, rs_span span);
map_expr *gm_path_key(rs_parser *p, map_expr *path, gp_word w, rs_span w_span, rs_span span);
map_expr *gm_path_index(rs_parser *p, map_expr *path, const gp_num *n, rs_span step_span,
                        rs_span span);
map_expr *gm_path_primary(rs_parser *p, map_expr *path, gp_word word, rs_span step_span, rs_span span);
map_expr *gm_path_filter(rs_parser *p, map_expr *path, gp_word key, gp_str *value,
                         rs_span step_span, rs_span span);
/* A call; args is a list from gm_list (or NULL for no arguments) and is consumed. */
map_expr *gm_call(rs_parser *p, gp_word fn, rs_span fn_span, map_expr *args, rs_span span);
/* Comma-separated expressions, collected in the args of a holder node. */
map_expr *gm_list(map_expr *first, rs_span span);
map_expr *gm_list_add(map_expr *list, map_expr *e);
/* Writes a literal as the text form spells it (fmt.c). */
void gp_fmt_value(rs_sb *out, const ast_value *v);

/* Whole-line comments: attaches each to the group or item that follows it. */
void gp_attach_comments(ast_file *f, gp_comment *c, size_t n);

#endif
