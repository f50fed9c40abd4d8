/* lexer.re: the scanner of the rule language (re2c, UTF-8 mode).
 *
 * The whole input is in memory and ends with a NUL sentinel; the re2c:eof rule tells the real end
 * of the input from a NUL byte inside it, which is an error (E0005). Bytes that are not UTF-8 are
 * reported once per run (E0004) and skipped, wherever they are: between tokens, in strings and in
 * comments. Keywords and operators are case-insensitive; a multi-word operator is one token, with any
 * whitespace between its words.
 *
 * rs_yylex wraps the raw scanner with what needs memory of earlier tokens: the entry-point token, a
 * '}' injected when a group is left open (at the end of the file, or when the next `group "..."`
 * header starts), the stack of open parentheses for "opened here" help, and the skip the parser
 * asks for when an expression nests deeper than RS_MAX_DEPTH. */
#include <stdlib.h>
#include <string.h>
#include "parser.h"
#include "common/date.h"
#include "common/utf8.h"
#include "common/util.h"

/*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:yyfill:enable = 0;
    re2c:eof = 0;
    re2c:encoding:utf8 = 1;
    // re2c's default takes the surrogates U+D800..U+DFFF for code points, so [^...] would match
    // their encodings (ED A0..BF xx) and fmt would write them back as U+FFFD. With "fail" no class
    // holds them and re2c refuses a rule that names one: bytes are valid here exactly when
    // rs_utf8_decode takes them, and the rest go to bad_utf8_run (E0004).
    re2c:encoding-policy = fail;

    // Whitespace: ASCII blanks, and the Unicode spaces that pasting from documents brings along.
    sp = [ \t\r\n\f\v\u00a0\u2000-\u200a\u202f\u3000\ufeff];
    ws = sp+;
    // Identifier characters: ASCII letters, digits and '_', and letters of other scripts (the
    // ranges leave out Unicode punctuation, quotes and spaces).
    idu = [\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u1fff\u2070-\u209f\u2100-\u218f\u2c00-\u2dff]
        | [\u2e80-\u2fff\u3005-\u3007\u3021-\u302f\u3031-\u303f\u3041-\ud7ff\uf900-\ufdff]
        | [\ufe70-\ufefe\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uffdc\U00010000-\U0010ffff];
    id_start = [a-zA-Z_] | idu;
    id_cont = [a-zA-Z0-9_] | idu;
    digit = [0-9];
    hex = [0-9a-fA-F];
*/

static rs_span tok_span(const rs_lexer *L, const unsigned char *from, const unsigned char *to) {
    uint32_t a = L->base + (uint32_t)(from - L->buf), b = L->base + (uint32_t)(to - L->buf);
    if (a > L->clamp) a = L->clamp;
    if (b > L->clamp) b = L->clamp;
    return rs_span_make(a, b);
}

static rs_span cur_span(const rs_lexer *L) { return tok_span(L, L->tok, L->cur); }

/* ---- runs of bad bytes ---- */

/* A NUL byte inside the input (the sentinel at lim is the end, not an error). */
static void nul_run(rs_parser *p, const unsigned char *from) {
    rs_lexer *L = &p->lex;
    while (L->cur < L->lim && *L->cur == 0) L->cur++;
    rs_diag *d = gp_error(p, RS_E_NUL_BYTE, tok_span(L, from, L->cur), "NUL byte in the rule text");
    rs_diag_help(d, "rule files are UTF-8 text; a NUL byte usually means a binary or UTF-16 file");
}

/* Bytes that are not UTF-8: one diagnostic for the whole run, then they are skipped. */
static void bad_utf8_run(rs_parser *p, const unsigned char *from) {
    rs_lexer *L = &p->lex;
    L->cur += rs_utf8_bad_run((const char *)L->cur, (size_t)(L->lim - L->cur));
    rs_diag *d = gp_error(p, RS_E_BAD_UTF8, tok_span(L, from, L->cur),
                          "invalid UTF-8 (byte 0x%02x)", *from);
    rs_diag_help(d, "save the file as UTF-8");
}

/* ---- comments ---- */

static bool starts_line(const rs_lexer *L, const unsigned char *at) {
    while (at > L->buf) {
        unsigned char c = at[-1];
        if (c == '\n') return true;
        if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
        at--;
    }
    return true;
}

static void keep_comment(rs_lexer *L, const unsigned char *hash) {
    size_t n = L->sb.len;
    while (n > 0 && (L->sb.buf[n - 1] == ' ' || L->sb.buf[n - 1] == '\t' || L->sb.buf[n - 1] == '\r'))
        n--;
    RS_GROW(L->comments, L->cap_comments, L->ncomments + 1);
    gp_comment *c = &L->comments[L->ncomments++];
    c->offset = tok_span(L, hash, hash).start;
    c->text = rs_strndup(L->sb.buf ? L->sb.buf : "", n);
}

/* '#' to the end of the line. Whole-line comments are kept for fmt when the caller asks. */
static void comment(rs_parser *p) {
    rs_lexer *L = &p->lex;
    const unsigned char *hash = L->tok;
    bool keep = L->keep_comments && starts_line(L, hash), clean = true;
    rs_sb_clear(&L->sb);
    for (;;) {
        const unsigned char *s = L->cur;
        /*!local:re2c
            re2c:define:YYCURSOR = "L->cur";
            re2c:define:YYLIMIT = "L->lim";
            re2c:define:YYMARKER = "L->mar";
            $           { break; }
            "\n"        { L->cur = s; break; }
            [^\n\x00]+  { if (keep) rs_sb_put(&L->sb, (const char *)s, (size_t)(L->cur - s)); continue; }
            [\x00]      { nul_run(p, s); clean = false; continue; }
            *           { bad_utf8_run(p, s); clean = false; continue; }
        */
    }
    if (keep && clean) keep_comment(L, hash);
}

/* ---- strings ---- */

static uint32_t hex4(const unsigned char *s) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        v = v * 16 + (uint32_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static void bad_escape(rs_parser *p, const unsigned char *s, const char *what) {
    rs_diag *d = gp_error(p, RS_E_BAD_ESCAPE, tok_span(&p->lex, s, p->lex.cur), "%s", what);
    rs_diag_help(d, "the escapes are \\\", \\\\, \\n, \\t and \\uXXXX (a character above U+FFFF "
                    "as a surrogate pair \\uD83D\\uDE00)");
}

static void unterminated(rs_parser *p, const unsigned char *open, bool at_eof) {
    rs_lexer *L = &p->lex;
    rs_diag *d = gp_error(p, RS_E_UNTERMINATED_STRING, tok_span(L, open, L->cur),
                          "string is not closed before the end of the %s", at_eof ? "file" : "line");
    rs_diag_help(d, "close it with '\"' on the same line; a line break inside a string is written \\n");
    if (at_eof) L->eof_damaged = true;
}

/* Appends bytes of the string up to the length limit; *total counts every byte, kept or not. */
static void put_chars(rs_lexer *L, const unsigned char *s, size_t n, size_t *total) {
    *total += n;
    if (L->sb.len >= RS_MAX_STRING_BYTES) return;
    size_t room = RS_MAX_STRING_BYTES - L->sb.len;
    rs_sb_put(&L->sb, (const char *)s, n < room ? n : room);
}

/* An escaped character counts with its UTF-8 bytes, not its escape: the limit is on the string
 * itself, as in the JSON form, whichever way fmt spells it. */
static void put_cp(rs_lexer *L, uint32_t cp, size_t *total) {
    unsigned char u[4];
    put_chars(L, u, (size_t)rs_utf8_encode(cp, (char *)u), total);
}

static void one_unit(rs_parser *p, const unsigned char *s, size_t *total) {
    uint32_t cp = hex4(s + 2);
    if (cp >= 0xD800 && cp <= 0xDFFF)
        bad_escape(p, s, "lone surrogate in a \\u escape");
    else if (cp == 0)
        bad_escape(p, s, "\\u0000 is not allowed in a string");
    else
        put_cp(&p->lex, cp, total);
}

static int string(rs_parser *p, RS_YYSTYPE *lval, rs_span *loc) {
    rs_lexer *L = &p->lex;
    const unsigned char *open = L->tok;
    size_t total = 0;
    rs_sb_clear(&L->sb);
    for (;;) {
        const unsigned char *s = L->cur;
        /*!local:re2c
            re2c:define:YYCURSOR = "L->cur";
            re2c:define:YYLIMIT = "L->lim";
            re2c:define:YYMARKER = "L->mar";
            ["]                 { break; }
            $                   { unterminated(p, open, true); break; }
            "\r"? "\n"          { L->cur = s; unterminated(p, open, false); break; }
            "\\\""              { put_chars(L, s + 1, 1, &total); continue; }
            "\\\\"              { put_chars(L, s + 1, 1, &total); continue; }
            "\\n"               { put_chars(L, (const unsigned char *)"\n", 1, &total); continue; }
            "\\t"               { put_chars(L, (const unsigned char *)"\t", 1, &total); continue; }
            "\\u" [dD] [89abAB] hex{2} "\\u" [dD] [c-fC-F] hex{2} {
                uint32_t hi = hex4(s + 2), lo = hex4(s + 8);
                put_cp(L, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), &total);
                continue;
            }
            "\\u" hex{4}        { one_unit(p, s, &total); continue; }
            "\\" [^\n\x00]?     { bad_escape(p, s, "unknown escape sequence in a string"); continue; }
            [^"\\\r\n\x00]+     { put_chars(L, s, (size_t)(L->cur - s), &total); continue; }
            "\r"                { put_chars(L, s, 1, &total); continue; }
            [\x00]              { nul_run(p, s); continue; }
            *                   { bad_utf8_run(p, s); continue; }
        */
    }
    if (total > RS_MAX_STRING_BYTES)
        gp_string_too_long(p->diags, p->src, tok_span(L, open, open + 1), total);
    lval->str.len = L->sb.len;
    lval->str.s = rs_strndup(L->sb.buf ? L->sb.buf : "", L->sb.len);
    *loc = tok_span(L, open, L->cur);
    return TK_STRING;
}

/* 'abc' or “abc”: reported, then read as the string it was meant to be so parsing goes on. */
static int wrong_quotes(rs_parser *p, RS_YYSTYPE *lval, rs_span *loc, size_t qlen) {
    rs_lexer *L = &p->lex;
    const char *body = (const char *)L->tok + qlen;
    size_t n = (size_t)(L->cur - L->tok) - 2 * qlen;
    *loc = cur_span(L);
    rs_diag *d = gp_error(p, RS_E_BAD_CHAR, *loc, "strings are written in double quotes");
    rs_diag_help(d, "write \"%.*s\"", n > 60 ? 60 : (int)n, body);
    lval->str.s = rs_strndup(body, n);
    lval->str.len = n;
    return TK_STRING;
}

/* ---- numbers and dates ---- */

static int number(rs_parser *p, RS_YYSTYPE *lval, rs_span *loc) {
    rs_lexer *L = &p->lex;
    size_t n = (size_t)(L->cur - L->tok);
    char *copy = gp_number_canonical((const char *)L->tok, n);
    double v = strtod(copy, NULL);
    lval->num.ok = gp_number_in_range(copy, v);
    free(copy);
    *loc = cur_span(L);
    lval->num.s = (const char *)L->tok;
    lval->num.len = n;
    lval->num.v = v;
    if (!lval->num.ok) {
        rs_diag *d = gp_error(p, RS_E_BAD_NUMBER, *loc, "number %.*s is out of range",
                              n > 40 ? 40 : (int)n, (const char *)L->tok);
        rs_diag_help(d, "whole numbers are exact up to 9007199254740992 (2^53)");
    }
    return TK_NUMBER;
}

static unsigned dig(const unsigned char *s, int n) {
    unsigned v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

static void bad_date(rs_parser *p, const unsigned char *s, rs_span span) {
    unsigned y = dig(s, 4), m = dig(s + 5, 2), d = dig(s + 8, 2);
    static const char *const months[] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};
    rs_diag *dg;
    if (y == 0)
        dg = gp_error(p, RS_E_BAD_DATE, span, "year 0000 does not exist");
    else if (m < 1 || m > 12)
        dg = gp_error(p, RS_E_BAD_DATE, span, "there is no month %02u", m);
    else
        dg = gp_error(p, RS_E_BAD_DATE, span, "there is no day %02u in %s %04u", d, months[m - 1], y);
    rs_diag_help(dg, "dates are written YYYY-MM-DD, years 0001 to 9999");
}

static int date(rs_parser *p, RS_YYSTYPE *lval, rs_span *loc) {
    rs_lexer *L = &p->lex;
    *loc = cur_span(L);
    lval->day = 0;
    if (!rs_date_parse((const char *)L->tok, 10, &lval->day)) bad_date(p, L->tok, *loc);
    return TK_DATE;
}

static int loose_date(rs_parser *p, RS_YYSTYPE *lval, rs_span *loc) {
    rs_lexer *L = &p->lex;
    *loc = cur_span(L);
    lval->day = 0;
    rs_diag *d = gp_error(p, RS_E_BAD_DATE, *loc, "dates are written YYYY-MM-DD");
    rs_diag_help(d, "write the year with 4 digits, the month and the day with 2: 2026-03-07");
    return TK_DATE;
}

/* ---- words ---- */

static bool is_id_char(const unsigned char *cur, const unsigned char *lim) {
    const unsigned char *mar;
    (void)mar;
    /*!local:re2c
        re2c:define:YYCURSOR = "cur";
        re2c:define:YYLIMIT = "lim";
        re2c:define:YYMARKER = "mar";
        id_cont { return true; }
        $       { return false; }
        *       { return false; }
    */
}

static int word(rs_lexer *L, RS_YYSTYPE *lval, rs_span *loc, int kind) {
    lval->word.s = (const char *)L->tok;
    lval->word.len = (size_t)(L->cur - L->tok);
    *loc = cur_span(L);
    return kind;
}

/* A multi-word operator ends where its last word ends: "is any office" is not `is any of` + "fice".
 * When a word character follows, only the first word is taken, as a field name (or `not`). */
static int op(rs_lexer *L, RS_YYSTYPE *lval, rs_span *loc, int kind, ast_op o, size_t first) {
    if (first && is_id_char(L->cur, L->lim)) {
        L->cur = L->tok + first;
        bool is_not = first == 3 && strncasecmp((const char *)L->tok, "not", 3) == 0;
        return word(L, lval, loc, is_not ? TK_NOT : TK_IDENT);
    }
    *loc = cur_span(L);
    lval->op = o;
    return kind;
}

static const char *bad_char_help(uint32_t cp) {
    switch (cp) {
    case '=': return "compare with `equals` or `not equal to`";
    case '!': return "negate with `not`, or use `not equal to`";
    case '<': case '>': return "compare with `less than`, `greater than`, `is before` or `is after`";
    case '&': case '|': return "combine conditions with `and` and `or`";
    case '[': case ']': return "lists are written in parentheses: (\"a\", \"b\")";
    case ';': return "items end at the end of the line; no ';' is needed";
    case '\'': case 0x201C: case 0x201D: case 0x2018: case 0x2019:
        return "strings are written in straight double quotes: \"...\"";
    default: return "remove it, or put it inside a string";
    }
}

static void bad_char(rs_parser *p) {
    rs_lexer *L = &p->lex;
    uint32_t cp = 0;
    int n = rs_utf8_decode(L->tok, (size_t)(L->cur - L->tok), &cp);
    rs_diag *d = n > 0 && cp >= 0x20 && cp != 0x7f
                     ? gp_error(p, RS_E_BAD_CHAR, cur_span(L), "unexpected character '%.*s'", n,
                                (const char *)L->tok)
                     : gp_error(p, RS_E_BAD_CHAR, cur_span(L), "unexpected control character U+%04X",
                                cp);
    rs_diag_help(d, "%s", bad_char_help(cp));
}

/* '.', '[', ']' and '=': tokens of mapping files only. */
static int map_punct(rs_lexer *L, rs_span *loc) {
    *loc = cur_span(L);
    switch (*L->tok) {
    case '.': return TK_DOT;
    case '[': return TK_LBRACKET;
    case ']': return TK_RBRACKET;
    default: return TK_EQ;
    }
}

/* ---- the raw scanner ---- */

static int scan(rs_parser *p, RS_YYSTYPE *lval, rs_span *loc) {
    rs_lexer *L = &p->lex;
    for (;;) {
        L->tok = L->cur;
        /*!local:re2c
            re2c:define:YYCURSOR = "L->cur";
            re2c:define:YYLIMIT = "L->lim";
            re2c:define:YYMARKER = "L->mar";

            $       { *loc = cur_span(L); return TK_YYEOF; }
            ws      { continue; }
            "#"     { comment(p); continue; }
            [\x00]  { nul_run(p, L->tok); continue; }
            ["]     { return string(p, lval, loc); }
            "'" [^'\n\x00]* "'"                     { return wrong_quotes(p, lval, loc, 1); }
            "\u201c" [^\u201c\u201d\n\x00]* "\u201d" { return wrong_quotes(p, lval, loc, 3); }
            "\u2018" [^\u2018\u2019\n\x00]* "\u2019" { return wrong_quotes(p, lval, loc, 3); }

            digit+ ("." digit+)?                        { return number(p, lval, loc); }
            digit{4} "-" digit{2} "-" digit{2}          { return date(p, lval, loc); }
            digit+ "-" digit+ "-" digit+                { return loose_date(p, lval, loc); }
            digit+ [ \t]* ":" {
                *loc = cur_span(L);
                lval->label = gp_label((const char *)L->tok, (size_t)(L->cur - L->tok));
                return TK_LABEL;
            }

            "{"     { *loc = cur_span(L); return TK_LBRACE; }
            "}"     { *loc = cur_span(L); lval->flag = false; return TK_RBRACE; }
            "("     { *loc = cur_span(L); return TK_LPAREN; }
            ")"     { *loc = cur_span(L); return TK_RPAREN; }
            ","     { *loc = cur_span(L); return TK_COMMA; }
            ":"     { *loc = cur_span(L); return TK_COLON; }
            "-"     { *loc = cur_span(L); return TK_MINUS; }
            "+"     { *loc = cur_span(L); return TK_PLUS; }
            "." | "[" | "]" | "=" {
                if (L->map_mode) return map_punct(L, loc);
                bad_char(p);
                continue;
            }

            'group'         { return word(L, lval, loc, TK_GROUP); }
            'name'          { return word(L, lval, loc, TK_NAME); }
            'departments'   { return word(L, lval, loc, TK_DEPARTMENTS); }
            'match'         { return word(L, lval, loc, TK_MATCH); }
            'where'         { return word(L, lval, loc, TK_WHERE); }
            'allow'         { return word(L, lval, loc, TK_ALLOW); }
            'block'         { return word(L, lval, loc, TK_BLOCK); }
            'day' | 'days' | 'week' | 'weeks' { return word(L, lval, loc, TK_UNIT); }
            'and'           { *loc = cur_span(L); return TK_AND; }
            'or'            { *loc = cur_span(L); return TK_OR; }
            'not'           { *loc = cur_span(L); return TK_NOT; }
            'today'         { *loc = cur_span(L); return TK_TODAY; }
            'true'          { *loc = cur_span(L); return TK_TRUE; }
            'false'         { *loc = cur_span(L); return TK_FALSE; }

            'equals'                                { return op(L, lval, loc, TK_OPV, AST_OP_EQUALS, 0); }
            'not' ws 'equal' ws 'to'                { return op(L, lval, loc, TK_OPV, AST_OP_NOT_EQUAL, 3); }
            'is' ws 'any' ws 'of'                   { return op(L, lval, loc, TK_OPV, AST_OP_ANY_OF, 2); }
            'is' ws 'none' ws 'of'                  { return op(L, lval, loc, TK_OPV, AST_OP_NONE_OF, 2); }
            'include' ws 'all'                      { return op(L, lval, loc, TK_OPV, AST_OP_INCLUDE_ALL, 7); }
            'is' ws 'empty'                         { return op(L, lval, loc, TK_OP0, AST_OP_IS_EMPTY, 2); }
            'is' ws 'not' ws 'empty'                { return op(L, lval, loc, TK_OP0, AST_OP_NOT_EMPTY, 2); }
            'contains'                              { return op(L, lval, loc, TK_OPV, AST_OP_CONTAINS, 0); }
            'does' ws 'not' ws 'contain'            { return op(L, lval, loc, TK_OPV, AST_OP_NOT_CONTAINS, 4); }
            'starts' ws 'with'                      { return op(L, lval, loc, TK_OPV, AST_OP_STARTS_WITH, 6); }
            'is' ws 'before'                        { return op(L, lval, loc, TK_OPV, AST_OP_BEFORE, 2); }
            'is' ws 'on' ws 'or' ws 'before'        { return op(L, lval, loc, TK_OPV, AST_OP_ON_OR_BEFORE, 2); }
            'is' ws 'after'                         { return op(L, lval, loc, TK_OPV, AST_OP_AFTER, 2); }
            'is' ws 'on' ws 'or' ws 'after'         { return op(L, lval, loc, TK_OPV, AST_OP_ON_OR_AFTER, 2); }
            'is' ws 'between'                       { return op(L, lval, loc, TK_BETWEEN, AST_OP_BETWEEN, 2); }
            'greater' ws 'than'                     { return op(L, lval, loc, TK_OPV, AST_OP_GREATER, 7); }
            'less' ws 'than'                        { return op(L, lval, loc, TK_OPV, AST_OP_LESS, 4); }
            'at' ws 'least'                         { return op(L, lval, loc, TK_OPV, AST_OP_AT_LEAST, 2); }
            'at' ws 'most'                          { return op(L, lval, loc, TK_OPV, AST_OP_AT_MOST, 2); }
            'belong' ws 'to'                        { return op(L, lval, loc, TK_OPV, AST_OP_BELONG, 6); }
            'partly' ws 'belong' ws 'to'            { return op(L, lval, loc, TK_OPV, AST_OP_PARTLY_BELONG, 6); }
            'don' ['\u2019] 't' ws 'belong' ws 'to' { return op(L, lval, loc, TK_OPV, AST_OP_NOT_BELONG, 3); }
            'do' ws 'not' ws 'belong' ws 'to'       { return op(L, lval, loc, TK_OPV, AST_OP_NOT_BELONG, 2); }
            'reports' ws 'to'                       { return op(L, lval, loc, TK_OPV, AST_OP_REPORTS_TO, 7); }
            'with' ws ('sub-departments' | 'subdepartments') {
                return op(L, lval, loc, TK_WITH_SUB, AST_OP_EQUALS, 4);
            }

            id_start id_cont*   { return word(L, lval, loc, TK_IDENT); }
            [^]                 { bad_char(p); continue; }
            *                   { bad_utf8_run(p, L->tok); continue; }
        */
    }
}

/* ---- the token stream the parser reads ---- */

static void paren_push(rs_lexer *L, uint32_t at) {
    if (L->nparens < GP_PAREN_STACK) L->parens[L->nparens++] = at;
    else L->parens_lost++;
}

static void paren_pop(rs_lexer *L) {
    if (L->parens_lost) L->parens_lost--;
    else if (L->nparens) L->nparens--;
}

/* `group` followed by a quote starts a group header (as a field name it would be followed by an
 * operator). */
static bool header_follows(const rs_lexer *L) {
    const unsigned char *s = L->cur;
    while (s < L->lim && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) s++;
    return s < L->lim && *s == '"';
}

/* In mapping files the group keywords are plain words (a source path may be `name.fullName`), and
 * the words that start a mapping or one of its lines are keywords, case-insensitive. */
static int map_word(int t, const RS_YYSTYPE *v) {
    static const struct {
        const char *word;
        int token;
    } words[] = {
        {"mapping", TK_MAPPING}, {"default", TK_MKIND}, {"recommended", TK_MKIND},
        {"custom", TK_MKIND},    {"source", TK_MSOURCE}, {"target", TK_MTARGET},
        {"extends", TK_MEXTENDS}, {"table", TK_MTABLE},
    };
    switch (t) {
    case TK_GROUP: case TK_NAME: case TK_DEPARTMENTS: case TK_MATCH: case TK_WHERE:
    case TK_ALLOW: case TK_BLOCK: case TK_UNIT: case TK_IDENT:
        break;
    default:
        return t;
    }
    for (size_t i = 0; i < RS_ARRAY_LEN(words); i++)
        if (strlen(words[i].word) == v->word.len &&
            strncasecmp(words[i].word, v->word.s, v->word.len) == 0)
            return words[i].token;
    return TK_IDENT;
}

/* Skips what follows a '(' nested too deep, up to the ')' that closes it (left for the parser) or
 * to a '}' or the end, and stands for it as one TOO_DEEP token. */
static int skip_deep(rs_parser *p, rs_span *loc) {
    rs_lexer *L = &p->lex;
    const unsigned char *from = L->cur;
    uint32_t depth = 0;
    int t;
    for (;;) {
        RS_YYSTYPE v;
        rs_span s;
        t = scan(p, &v, &s);
        if (t == TK_STRING) free(v.str.s);
        if (t == TK_YYEOF || t == TK_RBRACE || t == TK_LBRACE || (t == TK_RPAREN && depth == 0) ||
            (t == TK_GROUP && header_follows(L)))
            break;
        if (t == TK_LPAREN) depth++;
        else if (t == TK_RPAREN) depth--;
    }
    L->cur = L->tok;
    if (t != TK_RPAREN) p->mute = true;
    if (t == TK_YYEOF) L->eof_damaged = true;
    *loc = tok_span(L, from, L->tok);
    return TK_TOO_DEEP;
}

static int inject_brace(rs_lexer *L, RS_YYSTYPE *lval, rs_span *loc, uint32_t at) {
    L->brace_depth = 0;
    L->synthetic_brace = true;
    lval->flag = true;
    *loc = rs_span_make(at, at);
    return TK_RBRACE;
}

int rs_yylex(RS_YYSTYPE *lval, rs_span *loc, rs_parser *p) {
    rs_lexer *L = &p->lex;
    L->synthetic_brace = false;
    if (L->start_token) {
        int t = L->start_token;
        L->start_token = 0;
        *loc = tok_span(L, L->buf, L->buf);
        return t;
    }
    if (L->held_token) {
        int t = L->held_token;
        L->held_token = 0;
        lval->word = L->held_word;
        *loc = L->held_span;
        return t;
    }
    if (L->skip_deep) {
        L->skip_deep = false;
        return skip_deep(p, loc);
    }
    int t = scan(p, lval, loc);
    if (L->map_mode) t = map_word(t, lval);
    switch (t) {
    case TK_LBRACE:
        if (L->brace_depth++ == 0) L->brace_open = *loc;
        break;
    case TK_RBRACE:
        if (L->brace_depth > 0) L->brace_depth--;
        break;
    case TK_GROUP: case TK_MAPPING:
        if (L->brace_depth > 0 && header_follows(L)) {
            L->held_token = t;
            L->held_word = lval->word;
            L->held_span = *loc;
            return inject_brace(L, lval, loc, loc->start);
        }
        break;
    case TK_YYEOF:
        if (L->brace_depth > 0) return inject_brace(L, lval, loc, loc->start);
        break;
    case TK_LPAREN:
        paren_push(L, loc->start);
        break;
    case TK_RPAREN:
        paren_pop(L);
        break;
    default:
        break;
    }
    return t;
}

/* ---- set-up, and the scanner used as a checker ---- */

void gp_lex_init(rs_lexer *L, const char *buf, size_t len, uint32_t base, uint32_t clamp,
                 int start_token) {
    memset(L, 0, sizeof *L);
    L->buf = L->cur = L->tok = L->mar = (const unsigned char *)buf;
    L->lim = L->buf + len;
    L->base = base;
    L->clamp = clamp;
    L->start_token = start_token;
}

void gp_lex_free(rs_lexer *L) {
    rs_sb_free(&L->sb);
    for (size_t i = 0; i < L->ncomments; i++) free(L->comments[i].text);
    free(L->comments);
    L->comments = NULL;
    L->ncomments = L->cap_comments = 0;
}

/* Whether the JSON form's field name s reads back from text as exactly this field name. */
bool gp_is_field_name(const char *s, size_t len) {
    rs_parser p;
    memset(&p, 0, sizeof p);
    gp_lex_init(&p.lex, s, len, 0, (uint32_t)len, 0);
    if (len == 0 || len >= UINT32_MAX || s[len] != '\0') return false;
    RS_YYSTYPE v;
    rs_span sp;
    int t = scan(&p, &v, &sp);
    if (t == TK_STRING) free(v.str.s);
    bool one = sp.start == 0 && sp.end == len;
    bool field = t == TK_IDENT || t == TK_NAME || t == TK_GROUP || t == TK_DEPARTMENTS ||
                 t == TK_MATCH || t == TK_WHERE || t == TK_ALLOW || t == TK_BLOCK || t == TK_UNIT;
    gp_lex_free(&p.lex);
    return one && field;
}

/* ---- a readable token stream (tests and debugging) ---- */

static const char *token_name(int t) {
    switch (t) {
    case TK_GROUP: return "GROUP";
    case TK_NAME: return "NAME";
    case TK_DEPARTMENTS: return "DEPARTMENTS";
    case TK_MATCH: return "MATCH";
    case TK_WHERE: return "WHERE";
    case TK_ALLOW: return "ALLOW";
    case TK_BLOCK: return "BLOCK";
    case TK_UNIT: return "UNIT";
    case TK_IDENT: return "IDENT";
    case TK_AND: return "AND";
    case TK_OR: return "OR";
    case TK_NOT: return "NOT";
    case TK_TODAY: return "TODAY";
    case TK_TRUE: return "TRUE";
    case TK_FALSE: return "FALSE";
    case TK_WITH_SUB: return "WITH_SUB";
    case TK_STRING: return "STRING";
    case TK_NUMBER: return "NUMBER";
    case TK_LABEL: return "LABEL";
    case TK_DATE: return "DATE";
    case TK_OPV: case TK_OP0: case TK_BETWEEN: return "OP";
    case TK_RBRACE: return "}";
    case TK_LBRACE: return "{";
    case TK_LPAREN: return "(";
    case TK_RPAREN: return ")";
    case TK_COMMA: return ",";
    case TK_COLON: return ":";
    case TK_MINUS: return "-";
    case TK_PLUS: return "+";
    case TK_MAPPING: return "MAPPING";
    case TK_MKIND: return "MKIND";
    case TK_MSOURCE: return "MSOURCE";
    case TK_MTARGET: return "MTARGET";
    case TK_MEXTENDS: return "MEXTENDS";
    case TK_MTABLE: return "MTABLE";
    case TK_DOT: return ".";
    case TK_LBRACKET: return "[";
    case TK_RBRACKET: return "]";
    case TK_EQ: return "=";
    default: return "?";
    }
}

static void dump_token(rs_sb *out, int t, const RS_YYSTYPE *v) {
    char date[RS_DATE_MAX];
    rs_sb_puts(out, token_name(t));
    switch (t) {
    case TK_GROUP: case TK_NAME: case TK_DEPARTMENTS: case TK_MATCH: case TK_WHERE:
    case TK_ALLOW: case TK_BLOCK: case TK_UNIT: case TK_IDENT: case TK_MAPPING: case TK_MKIND:
    case TK_MSOURCE: case TK_MTARGET: case TK_MEXTENDS: case TK_MTABLE:
        rs_sb_printf(out, "(%.*s)", (int)v->word.len, v->word.s);
        break;
    case TK_STRING:
        rs_sb_putc(out, '(');
        rs_sb_rule_str(out, v->str.s, v->str.len);
        rs_sb_putc(out, ')');
        break;
    case TK_NUMBER:
        rs_sb_printf(out, "(%.*s)", (int)v->num.len, v->num.s);
        break;
    case TK_LABEL:
        rs_sb_printf(out, "(%u)", v->label);
        break;
    case TK_DATE:
        rs_date_format(v->day, date);
        rs_sb_printf(out, "(%s)", date);
        break;
    case TK_OPV: case TK_OP0: case TK_BETWEEN:
        rs_sb_printf(out, "(%s)", ast_op_text(v->op));
        break;
    case TK_RBRACE:
        if (v->flag) rs_sb_puts(out, "(injected)");
        break;
    default:
        break;
    }
}

void gp_lex_dump(const rs_source *src, rs_diags *diags, rs_sb *out) {
    gp_lex_dump_mode(src, diags, out, false);
}

void gp_lex_dump_mode(const rs_source *src, rs_diags *diags, rs_sb *out, bool map_mode) {
    rs_parser *p = rs_calloc(1, sizeof *p);
    gp_lex_init(&p->lex, src->text, src->len, 0, (uint32_t)src->len, 0);
    p->lex.map_mode = map_mode;
    p->src = src;
    p->diags = diags;
    for (size_t n = 0;; n++) {
        RS_YYSTYPE v;
        rs_span sp;
        int t = rs_yylex(&v, &sp, p);
        if (t == TK_YYEOF) break;
        if (n) rs_sb_putc(out, ' ');
        dump_token(out, t, &v);
        if (t == TK_STRING) free(v.str.s);
    }
    gp_lex_free(&p->lex);
    free(p);
}
