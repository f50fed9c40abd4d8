/* parser.y: the grammar of rule files (spec section 2), and of the `match` and `where` strings of
 * the JSON form, which enter through their own start tokens.
 *
 * A pure, reentrant LALR(1) parser with byte-span locations. Actions only call the gp_* helpers of
 * parse.c. Errors are recovered at two levels, so one run reports every error it can: a bad item
 * (`item: error`) is skipped up to the next item or the closing brace, and a bad group header or
 * stray tokens between groups up to the next `group`. Expressions are depth-limited by the helpers
 * (E0002): left-recursive rules keep the parser stack flat for long `and`/`or` chains and runs of
 * `not`, and a '(' nested too deep makes the scanner skip to its ')'. */

%code requires {
#include "grammar/grammar_int.h"
}

%code provides {
int rs_yylex(RS_YYSTYPE *lval, rs_span *lloc, rs_parser *p);
}

%code {
#include <stdlib.h>
#include <string.h>
#include "common/util.h"

/* A rule's span runs from its first symbol to its last; an empty rule sits where it is. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
    do {                                                             \
        if (N) {                                                     \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                    \
            (Cur).end = YYRHSLOC(Rhs, N).end;                        \
        } else {                                                     \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;          \
        }                                                            \
    } while (0)

static void rs_yyerror(rs_span *loc, rs_parser *p, const char *msg);
}

%define api.pure full
%define api.prefix {rs_yy}
%define api.token.prefix {TK_}
%define api.location.type {rs_span}
%define parse.error custom
/* Lookahead correction: the "expected ..." list of a syntax error is exact, not cut short by the
 * default reductions of the LALR tables. */
%define parse.lac full
%locations
%param {rs_parser *p}
%expect 0

%union {
    gp_word word;
    gp_str str;
    gp_num num;
    uint32_t label;
    int32_t day;
    ast_op op;
    bool flag;
    char unit;
    ast_value value;
    gp_values *values;
    ast_strlist *strlist;
    ast_cond *cond;
    gp_expr expr;
    gp_nots nots;
    map_expr *mx;
}

/* Entry points, handed out by the scanner before the first real token. */
%token START_FILE START_MATCH START_WHERE START_MAPFILE
/* Soft keywords: item keywords that may also name a field inside a condition. */
%token <word> GROUP NAME DEPARTMENTS MATCH WHERE ALLOW BLOCK UNIT IDENT
%token AND OR NOT TODAY TRUE FALSE WITH_SUB
%token <str> STRING
%token <num> NUMBER
%token <label> LABEL
%token <day> DATE
%token <op> OPV OP0 BETWEEN
%token <flag> RBRACE
%token LBRACE LPAREN RPAREN COMMA COLON MINUS PLUS TOO_DEEP
/* Mapping files only (the scanner hands these out in mapping mode; elsewhere '.', '[', ']' and '='
 * stay bad characters with their own help). */
%token <word> MAPPING MKIND MSOURCE MTARGET MEXTENDS MTABLE
%token DOT LBRACKET RBRACKET EQ

%type <str> gid
%type <flag> with_sub lparen
%type <strlist> strlist
%type <cond> cond
%type <values> operand values
%type <value> value
%type <word> field
%type <unit> unit
%type <expr> mexpr mor mand munary mprim wexpr wor wand wunary wprim
%type <nots> nots
%type <mx> xexpr xor xand xnot xcmp xprim xatom xoperand xexprs xlit xpath xcall
%type <word> pword

%destructor { free($$.s); } <str>
%destructor { gp_strlist_free($$); } <strlist>
%destructor { gp_cond_free($$); } <cond>
%destructor { gp_values_free($$); } <values>
%destructor { ast_value_clear(&$$); } <value>
%destructor { ast_expr_free($$.e); } <expr>
%destructor { map_expr_free($$); } <mx>

%%

start
    : START_FILE groups
    | START_MATCH mexpr                 { p->result = $2; }
    | START_WHERE wexpr                 { p->result = $2; }
    | START_MAPFILE mappings
    ;

groups
    : %empty
    | groups group
    | groups error                      { gp_recovered(p); }
    ;

group
    : GROUP gid                         { (void)$1; gp_group_begin(p, &$2, @2, @1); }
      lbrace items RBRACE               { gp_group_end(p, @$, !$6); }
    ;

gid
    : STRING                            { $$ = $1; }
    | error                             { $$.s = NULL; $$.len = 0; gp_recovered(p); }
    ;

lbrace
    : LBRACE
    | error                             { gp_recovered(p); }
    ;

items
    : %empty
    | items item
    ;

item
    : NAME STRING                       { (void)$1; gp_item_name(p, &$2, @2, @$); }
    | DEPARTMENTS strlist with_sub      { (void)$1; gp_item_departments(p, $2, $3, @3, @$); }
    | LABEL cond                        { gp_item_cond(p, $1, @1, $2, @$); }
    | LABEL error                       { gp_item_unread_cond(p, $1); gp_recovered(p); }
    | match_kw mexpr                    { gp_item_match(p, $2, @$); }
    | where_kw wexpr                    { gp_item_where(p, $2, @$); }
    | ALLOW strlist                     { (void)$1; gp_item_members(p, false, $2, @$); }
    | BLOCK strlist                     { (void)$1; gp_item_members(p, true, $2, @$); }
    | error                             { gp_recovered(p); }
    ;

match_kw
    : MATCH                             { (void)$1; gp_expr_begin(p); }
    ;

where_kw
    : WHERE                             { (void)$1; gp_expr_begin(p); }
    ;

with_sub
    : %empty                            { $$ = false; }
    | WITH_SUB                          { $$ = true; }
    ;

strlist
    : STRING                            { $$ = gp_strlist_new(); gp_strlist_add($$, &$1, @1); }
    | strlist COMMA STRING              { $$ = $1; gp_strlist_add($$, &$3, @3); }
    ;

/* ---- conditions ---- */

field
    : IDENT | NAME | GROUP | DEPARTMENTS | MATCH | WHERE | ALLOW | BLOCK | UNIT
    ;

cond
    : field OP0 with_sub                { $$ = gp_cond($1, @1, $2, @2, NULL, $3, @3, @$); }
    | field OPV operand with_sub        { $$ = gp_cond($1, @1, $2, @2, $3, $4, @4, @$); }
    | field BETWEEN value AND value with_sub {
                                          gp_values *vs = gp_values_new(rs_span_join(@3, @5));
                                          gp_values_add(vs, &$3);
                                          gp_values_add(vs, &$5);
                                          $$ = gp_cond($1, @1, $2, @2, vs, $6, @6, @$);
                                        }
    ;

operand
    : value                             { $$ = gp_values_new(@1); gp_values_add($$, &$1); }
    | LPAREN RPAREN                     { $$ = gp_values_new(@$); $$->list = true; }
    | LPAREN values RPAREN              { $$ = $2; $$->list = true; $$->span = @$; }
    ;

values
    : value                             { $$ = gp_values_new(@1); gp_values_add($$, &$1); }
    | values COMMA value                { $$ = $1; gp_values_add($$, &$3); }
    ;

value
    : STRING                            { gp_value_string(&$$, &$1, @$); }
    | NUMBER                            { gp_value_number(&$$, &$1, false, @$); }
    | MINUS NUMBER                      { gp_value_number(&$$, &$2, true, @$); }
    | DATE                              { gp_value_date(&$$, $1, @$); }
    | TODAY                             { gp_value_today(p, &$$, 0, NULL, '\0', @$); }
    | TODAY MINUS NUMBER unit           { gp_value_today(p, &$$, -1, &$3, $4, @$); }
    | TODAY PLUS NUMBER unit            { gp_value_today(p, &$$, 1, &$3, $4, @$); }
    | TRUE                              { gp_value_bool(&$$, true, @$); }
    | FALSE                             { gp_value_bool(&$$, false, @$); }
    ;

unit
    : UNIT                              { $$ = gp_unit(p, $1, true, @1); }
    | IDENT                             { $$ = gp_unit(p, $1, false, @1); }
    ;

/* ---- expressions: `or` below `and` below `not` ---- */

nots
    : NOT                               { $$ = gp_nots_add(p, NULL, @1); }
    | nots NOT                          { $$ = gp_nots_add(p, &$1, @2); }
    ;

lparen
    : LPAREN                            { $$ = gp_lparen(p, @1); }
    ;

mexpr
    : mor
    ;

mor
    : mand
    | mor OR mand                       { $$ = gp_binary(p, AST_EXPR_OR, $1, $3, @2); }
    ;

mand
    : munary
    | mand AND munary                   { $$ = gp_binary(p, AST_EXPR_AND, $1, $3, @2); }
    ;

munary
    : mprim
    | nots mprim                        { $$ = gp_not(p, $1, $2, @$); }
    ;

mprim
    : NUMBER                            { $$ = gp_ref(p, &$1, @1); }
    | lparen mor RPAREN                 { $$ = gp_paren(p, $2, $1, @$); }
    | lparen TOO_DEEP RPAREN            { $$ = gp_too_deep(p, $1, @$); }
    ;

wexpr
    : wor
    ;

wor
    : wand
    | wor OR wand                       { $$ = gp_binary(p, AST_EXPR_OR, $1, $3, @2); }
    ;

wand
    : wunary
    | wand AND wunary                   { $$ = gp_binary(p, AST_EXPR_AND, $1, $3, @2); }
    ;

wunary
    : wprim
    | nots wprim                        { $$ = gp_not(p, $1, $2, @$); }
    ;

wprim
    : cond                              { $$ = gp_where_cond($1); }
    | lparen wor RPAREN                 { $$ = gp_paren(p, $2, $1, @$); }
    | lparen TOO_DEEP RPAREN            { $$ = gp_too_deep(p, $1, @$); }
    ;

/* ---- mapping files (spec section 4): the same literals, operators and `and`/`or`/`not`, plus
 * source paths, function calls and one `KIND TARGET = EXPR` line per target field ---- */

mappings
    : %empty
    | mappings mapping
    | mappings error                    { gp_recovered(p); }
    ;

mapping
    : MAPPING gid                       { (void)$1; gm_begin(p, &$2, @2, @1); }
      lbrace mitems RBRACE              { gm_end(p, @$, !$6); }
    ;

mitems
    : %empty
    | mitems mitem
    ;

mitem
    : MKIND IDENT EQ                    { gp_expr_begin(p); }
      xexpr                             { gm_item(p, $1, @1, $2, @2, $5, @$); }
    | MSOURCE STRING                    { (void)$1; gm_line(p, 0, &$2, @2, @$); }
    | MTARGET STRING                    { (void)$1; gm_line(p, 1, &$2, @2, @$); }
    | MEXTENDS STRING                   { (void)$1; gm_line(p, 2, &$2, @2, @$); }
    | MTABLE STRING EQ STRING           { (void)$1; gm_table(p, &$2, @2, &$4, @4, @$); }
    | error                             { gp_recovered(p); }
    ;

xexpr
    : xor
    ;

xor
    : xand
    | xor OR xand                       { $$ = gm_binary(p, MAP_X_OR, $1, $3, @2); }
    ;

xand
    : xnot
    | xand AND xnot                     { $$ = gm_binary(p, MAP_X_AND, $1, $3, @2); }
    ;

xnot
    : xcmp
    | NOT xnot                          { $$ = gm_not(p, $2, @$); }
    ;

xcmp
    : xprim
    | xprim OPV xoperand                { $$ = gm_cmp(p, $1, $2, @2, $3, @$); }
    | xprim OP0                         { $$ = gm_cmp(p, $1, $2, @2, NULL, @$); }
    | xprim BETWEEN xprim AND xprim     { $$ = gm_between(p, $1, @2, $3, $5, @$); }
    ;

/* A parenthesised operand is a list: `city is any of ("A", "B")`. */
xoperand
    : xatom
    | LPAREN xexprs RPAREN              { $$ = $2; $$->list_form = true; $$->span = @$; }
    ;

xprim
    : xatom
    | LPAREN xexpr RPAREN               { $$ = gm_paren($2, @$); }
    ;

xatom
    : xlit
    | xpath
    | xcall
    ;

xlit
    : STRING                            { $$ = gm_string(&$1, @1); }
    | NUMBER                            { $$ = gm_number(&$1, false, @$); }
    | MINUS NUMBER                      { $$ = gm_number(&$2, true, @$); }
    | DATE                              { $$ = gm_date($1, @1); }
    | TRUE                              { $$ = gm_bool(true, @1); }
    | FALSE                             { $$ = gm_bool(false, @1); }
    ;

xpath
    : IDENT                             { $$ = gm_path(p, $1, @1); }
    | xpath DOT pword                   { $$ = gm_path_key(p, $1, $3, @3, @$); }
    | xpath LBRACKET NUMBER RBRACKET    { $$ = gm_path_index(p, $1, &$3, @2, @$); }
    | xpath LBRACKET pword RBRACKET     { $$ = gm_path_primary(p, $1, $3, rs_span_join(@2, @4), @$); }
    | xpath LBRACKET pword EQ STRING RBRACKET {
                                          $$ = gm_path_filter(p, $1, $3, &$5, rs_span_join(@2, @6), @$);
                                        }
    ;

/* After '.', any word is a key: mapping keywords too. */
pword
    : IDENT | MAPPING | MKIND | MSOURCE | MTARGET | MEXTENDS | MTABLE
    ;

xcall
    : IDENT LPAREN RPAREN               { $$ = gm_call(p, $1, @1, NULL, @$); }
    | IDENT LPAREN xexprs RPAREN        { $$ = gm_call(p, $1, @1, $3, @$); }
    ;

xexprs
    : xexpr                             { $$ = gm_list($1, @1); }
    | xexprs COMMA xexpr                { $$ = gm_list_add($1, $3); }
    ;

%%

/* ---- syntax errors in an administrator's words ---- */

/* What the parser expected, grouped: a word per class of tokens, in a fixed order. */
enum {
    X_ITEM = 1 << 0, X_FIELD = 1 << 1, X_OP = 1 << 2, X_VALUE = 1 << 3, X_LIST = 1 << 4,
    X_RPAREN = 1 << 5, X_RBRACE = 1 << 6, X_LBRACE = 1 << 7, X_COMMA = 1 << 8,
    X_OR = 1 << 9, X_GROUP = 1 << 10, X_STRING = 1 << 11, X_NUMBER = 1 << 12,
    X_UNIT = 1 << 13, X_EXPR = 1 << 14, X_AND = 1 << 15, X_WITH_SUB = 1 << 16, X_END = 1 << 17,
    X_MAPPING = 1 << 18, X_MITEM = 1 << 19, X_EQ = 1 << 20, X_RBRACKET = 1 << 21,
};

static unsigned expect_class(yysymbol_kind_t k) {
    switch (k) {
    case YYSYMBOL_NAME: case YYSYMBOL_DEPARTMENTS: case YYSYMBOL_LABEL:
    case YYSYMBOL_MATCH: case YYSYMBOL_WHERE: case YYSYMBOL_ALLOW:
    case YYSYMBOL_BLOCK:
        return X_ITEM;
    case YYSYMBOL_IDENT: return X_FIELD;
    case YYSYMBOL_OPV: case YYSYMBOL_OP0: case YYSYMBOL_BETWEEN: return X_OP;
    case YYSYMBOL_NUMBER: return X_NUMBER;
    case YYSYMBOL_DATE: case YYSYMBOL_TODAY: case YYSYMBOL_TRUE:
    case YYSYMBOL_FALSE: case YYSYMBOL_MINUS:
        return X_VALUE;
    case YYSYMBOL_STRING: return X_STRING;
    case YYSYMBOL_LPAREN: return X_LIST;
    case YYSYMBOL_RPAREN: return X_RPAREN;
    case YYSYMBOL_RBRACE: return X_RBRACE;
    case YYSYMBOL_LBRACE: return X_LBRACE;
    case YYSYMBOL_COMMA: return X_COMMA;
    case YYSYMBOL_AND: return X_AND;
    case YYSYMBOL_OR: return X_OR;
    case YYSYMBOL_GROUP: return X_GROUP;
    case YYSYMBOL_UNIT: return X_UNIT;
    case YYSYMBOL_NOT: return X_EXPR;
    case YYSYMBOL_WITH_SUB: return X_WITH_SUB;
    case YYSYMBOL_YYEOF: return X_END;
    case YYSYMBOL_MAPPING: return X_MAPPING;
    case YYSYMBOL_MKIND: case YYSYMBOL_MSOURCE: case YYSYMBOL_MTARGET: case YYSYMBOL_MEXTENDS:
    case YYSYMBOL_MTABLE:
        return X_MITEM;
    case YYSYMBOL_EQ: return X_EQ;
    case YYSYMBOL_RBRACKET: return X_RBRACKET;
    default: return 0;
    }
}

/* Folds the raw classes into what a person would list. */
static unsigned expect_simplify(unsigned x) {
    /* A unit, or a word the parser takes to report it as a wrong unit. */
    if ((x & X_UNIT) && (x & X_FIELD) && !(x & (X_ITEM | X_GROUP))) return X_UNIT;
    if (x & X_FIELD) x &= ~(unsigned)(X_ITEM | X_GROUP | X_UNIT);
    if ((x & X_VALUE) && (x & X_STRING)) x = (x & ~(unsigned)(X_STRING | X_NUMBER)) | X_VALUE;
    if ((x & X_FIELD) && (x & X_EXPR)) x &= ~(unsigned)(X_EXPR | X_LIST);
    if ((x & X_NUMBER) && (x & X_EXPR)) x &= ~(unsigned)(X_EXPR | X_LIST);
    if (x & X_OP) x &= ~(unsigned)X_LIST;
    if ((x & X_VALUE) && (x & X_LIST)) x &= ~(unsigned)X_LIST;
    if (x & X_ITEM) x &= ~(unsigned)(X_OR | X_AND | X_WITH_SUB | X_COMMA | X_END);
    if (x & X_RBRACE) x &= ~(unsigned)(X_OR | X_AND | X_WITH_SUB | X_COMMA);
    /* After a complete mapping line: the next line or the end of the mapping. */
    if (x & X_MITEM) x &= ~(unsigned)(X_OP | X_LIST | X_OR | X_AND | X_COMMA | X_END);
    return x;
}

static const struct {
    unsigned bit;
    const char *words;
} expect_words[] = {
    {X_RPAREN, "')'"},
    {X_OP, "an operator"},
    {X_VALUE, "a value"},
    {X_STRING, "a string"},
    {X_NUMBER, "a condition number"},
    {X_FIELD, "a field name"},
    {X_LIST, "a list in parentheses"},
    {X_UNIT, "`days` or `weeks`"},
    {X_COMMA, "','"},
    {X_AND, "`and`"},
    {X_OR, "`or`"},
    {X_WITH_SUB, "`with sub-departments`"},
    {X_LBRACE, "'{'"},
    {X_ITEM, "a group item (name, departments, a numbered condition, match, where, allow, block)"},
    {X_RBRACE, "'}'"},
    {X_GROUP, "`group`"},
    {X_EQ, "'='"},
    {X_RBRACKET, "']'"},
    {X_MITEM, "a mapping line (default, recommended, custom, source, target, extends, table)"},
    {X_MAPPING, "`mapping`"},
    {X_END, "the end of the text"},
};

static void put_expected(rs_sb *sb, unsigned x) {
    size_t n = 0, total = 0;
    for (size_t i = 0; i < RS_ARRAY_LEN(expect_words); i++) total += (x & expect_words[i].bit) != 0;
    for (size_t i = 0; i < RS_ARRAY_LEN(expect_words) && n < 4; i++) {
        if (!(x & expect_words[i].bit)) continue;
        n++;
        if (n > 1) rs_sb_puts(sb, n == total || n == 4 ? " or " : ", ");
        rs_sb_puts(sb, expect_words[i].words);
    }
}

/* The offending token, as the administrator wrote it. */
static void put_unexpected(rs_sb *sb, const rs_parser *p, yysymbol_kind_t k, rs_span at) {
    const char *text = p->src->text;
    uint32_t n = at.end - at.start;
    if (k == YYSYMBOL_YYEOF || (k == YYSYMBOL_RBRACE && p->lex.synthetic_brace)) {
        rs_sb_puts(sb, k == YYSYMBOL_YYEOF || at.start >= p->lex.clamp ? "end of the text"
                                                                          : "start of the next group");
        return;
    }
    if (k == YYSYMBOL_STRING) {
        rs_sb_puts(sb, "string ");
        rs_sb_put(sb, text + at.start, n > 40 ? 40 : n);
        if (n > 40) rs_sb_puts(sb, "...");
        return;
    }
    if (k == YYSYMBOL_TOO_DEEP) {
        rs_sb_puts(sb, "nested expression");
        return;
    }
    bool op = k == YYSYMBOL_OPV || k == YYSYMBOL_OP0 || k == YYSYMBOL_BETWEEN;
    bool punct = k == YYSYMBOL_LBRACE || k == YYSYMBOL_RBRACE || k == YYSYMBOL_LPAREN ||
                 k == YYSYMBOL_RPAREN || k == YYSYMBOL_COMMA || k == YYSYMBOL_COLON ||
                 k == YYSYMBOL_MINUS || k == YYSYMBOL_PLUS || k == YYSYMBOL_DOT ||
                 k == YYSYMBOL_LBRACKET || k == YYSYMBOL_RBRACKET || k == YYSYMBOL_EQ;
    const char *what = k == YYSYMBOL_IDENT ? "word " : k == YYSYMBOL_NUMBER ? "number "
                     : k == YYSYMBOL_LABEL ? "condition number " : k == YYSYMBOL_DATE ? "date "
                     : op ? "operator " : "";
    char q = k == YYSYMBOL_IDENT || punct ? '\'' : '`';
    rs_sb_printf(sb, "%s%c%.*s%c", what, q, (int)(n > 40 ? 40 : n), text + at.start, q);
}

/* Advice for mapping files; false when the general advice below fits better. */
static bool map_syntax_help(rs_diag *d, unsigned x) {
    if (x & X_EQ) {
        rs_diag_help(d, "a mapping line is written: default email = lower(primaryEmail)");
    } else if (x & X_LBRACE) {
        rs_diag_help(d, "a mapping is written: mapping \"id\" { ... }");
    } else if ((x & X_MAPPING) && !(x & X_MITEM)) {
        rs_diag_help(d, "a mapping file holds mappings: mapping \"id\" { ... }");
    } else if (x & X_MITEM) {
        rs_diag_help(d, "each line of a mapping starts with default, recommended, custom, source, "
                        "target, extends or table");
    } else if (x & X_FIELD) {
        rs_diag_help(d, "an expression is a value, a source path such as name.fullName or "
                        "organizations[0].title, or a function call such as lower(primaryEmail)");
    } else {
        return false;
    }
    return true;
}

/* A line of advice for the commonest mistakes. */
static void syntax_help(rs_diag *d, const rs_parser *p, yysymbol_kind_t k, unsigned x) {
    if (!d) return;
    if (p->lex.map_mode && map_syntax_help(d, x)) return;
    if (k == YYSYMBOL_RBRACE && p->lex.synthetic_brace && p->in_group) {
        uint32_t line, col;
        rs_source_position(p->src, p->lex.brace_open.start, &line, &col);
        rs_diag_help(d, "the group opened at line %u, column %u is not closed: add '}'", line, col);
    } else if ((x & X_RPAREN) && p->lex.nparens > 0) {
        uint32_t line, col;
        rs_source_position(p->src, p->lex.parens[p->lex.nparens - 1], &line, &col);
        rs_diag_help(d, "add ')' to close the '(' opened at line %u, column %u", line, col);
    } else if (x & X_OP) {
        rs_diag_help(d, "operators include `equals`, `not equal to`, `is any of (...)`, `contains`, "
                        "`is on or after`, `greater than`, `partly belong to (...)`");
    } else if ((x & (X_VALUE | X_STRING)) && k == YYSYMBOL_IDENT) {
        rs_diag_help(d, "strings are written in double quotes: \"...\"");
    } else if ((x & X_COMMA) && k == YYSYMBOL_STRING) {
        rs_diag_help(d, "separate the values with commas");
    } else if (x & X_UNIT) {
        rs_diag_help(d, "a relative date is written `today - 90 days` or `today + 2 weeks`");
    } else if (x & X_LBRACE) {
        rs_diag_help(d, "a group is written: group \"id\" { ... }");
    } else if ((x & X_STRING) && !(x & X_VALUE) && k != YYSYMBOL_STRING) {
        rs_diag_help(d, "strings are written in double quotes: \"...\"");
    } else if ((x & X_GROUP) && !(x & X_ITEM)) {
        rs_diag_help(d, "a rule file holds groups: group \"id\" { ... }");
    } else if (x & X_ITEM) {
        rs_diag_help(d, "each line of a group starts with name, departments, a condition number "
                        "like `1:`, match, where, allow or block");
    }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, rs_parser *p) {
    if (yypcontext_token(ctx) == YYSYMBOL_RBRACE && p->lex.synthetic_brace) p->brace_error = true;
    if (p->mute) return 0;
    if (p->lex.eof_damaged && (yypcontext_token(ctx) == YYSYMBOL_YYEOF ||
                               (yypcontext_token(ctx) == YYSYMBOL_RBRACE &&
                                p->lex.synthetic_brace)))
        return 0;
    yysymbol_kind_t expected[64];
    int n = yypcontext_expected_tokens(ctx, expected, 64);
    unsigned x = 0;
    for (int i = 0; i < n; i++) x |= expect_class(expected[i]);
    x = expect_simplify(x);
    yysymbol_kind_t k = yypcontext_token(ctx);
    rs_span at = *yypcontext_location(ctx);
    rs_sb msg = {0};
    rs_sb_puts(&msg, "unexpected ");
    put_unexpected(&msg, p, k, at);
    if (x) {
        rs_sb_puts(&msg, ", expected ");
        put_expected(&msg, x);
    }
    p->nsyntax++;
    rs_diag *d = gp_error(p, RS_E_SYNTAX, at, "%s", msg.buf);
    rs_sb_free(&msg);
    syntax_help(d, p, k, x);
    return 0;
}

/* Only "memory exhausted" reaches here: the parser stack outgrew its limit. */
static void rs_yyerror(rs_span *loc, rs_parser *p, const char *msg) {
    rs_diag *d = gp_error(p, RS_E_TOO_DEEP, *loc, "expression too deeply nested (%s)", msg);
    rs_diag_help(d, "simplify the expression");
}
