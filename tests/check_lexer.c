/* check_lexer: the scanner of the rule language, through its token dump: keywords and every
 * multi-word operator in odd case and spacing, literals and their escapes, and each scanner
 * diagnostic with its line and column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"
#include "grammar/grammar_int.h"
#include "common/util.h"

typedef struct lexed {
    rs_source *src;
    rs_diags *d;
    char *tokens;
} lexed;

static lexed lex_n(const char *text, size_t len) {
    lexed l;
    char *copy = rs_malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    l.src = rs_source_new("test.rule", copy, len);
    l.d = rs_malloc(sizeof *l.d);
    rs_diags_init(l.d);
    rs_sb out = {0};
    gp_lex_dump(l.src, l.d, &out);
    l.tokens = rs_sb_take(&out);
    return l;
}

static lexed lex(const char *text) { return lex_n(text, strlen(text)); }

static void drop(lexed *l) {
    free(l->tokens);
    free(l->d);
    rs_source_free(l->src);
}

#define ck_tokens(text, want)                                                  \
    do {                                                                       \
        lexed l_ = lex(text);                                                  \
        ck_assert_str_eq(l_.tokens, want);                                     \
        ck_assert_uint_eq(l_.d->n, 0);                                         \
        drop(&l_);                                                             \
    } while (0)

/* The i-th diagnostic has this code, at this line and column. */
static void ck_diag(const lexed *l, size_t i, rs_code code, uint32_t line, uint32_t col) {
    ck_assert_uint_gt(l->d->n, i);
    const rs_diag *dg = &l->d->items[i];
    uint32_t ln, cl;
    rs_source_position(l->src, dg->span.start, &ln, &cl);
    ck_assert_int_eq(dg->code, code);
    ck_assert_uint_eq(ln, line);
    ck_assert_uint_eq(cl, col);
}

START_TEST(keywords_any_case) {
    ck_tokens("GROUP Name departments MATCH wHeRe Allow BLOCK",
              "GROUP(GROUP) NAME(Name) DEPARTMENTS(departments) MATCH(MATCH) WHERE(wHeRe) "
              "ALLOW(Allow) BLOCK(BLOCK)");
    ck_tokens("and OR Not TODAY true FALSE day Days WEEK weeks",
              "AND OR NOT TODAY TRUE FALSE UNIT(day) UNIT(Days) UNIT(WEEK) UNIT(weeks)");
    ck_tokens("groups named _x9 x_1", "IDENT(groups) IDENT(named) IDENT(_x9) IDENT(x_1)");
}
END_TEST

/* Each operator's words in alternating case, joined by different runs of whitespace. */
static char *oddly_spelled(const char *canonical, int variant) {
    static const char *const gaps[] = {"  ", "\t", "\n   ", " \r\n\t"};
    rs_sb sb = {0};
    for (size_t i = 0; canonical[i]; i++) {
        char c = canonical[i];
        if (c == ' ') {
            rs_sb_puts(&sb, gaps[(i + (size_t)variant) % 4]);
            continue;
        }
        if ((i + (size_t)variant) % 2 && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        rs_sb_putc(&sb, c);
    }
    return rs_sb_take(&sb);
}

START_TEST(every_operator_odd_case_and_spacing) {
    for (int op = 0; op < AST_OP_COUNT; op++) {
        for (int variant = 0; variant < 4; variant++) {
            char *text = oddly_spelled(ast_op_text((ast_op)op), variant);
            char want[64];
            snprintf(want, sizeof want, "OP(%s)", ast_op_text((ast_op)op));
            lexed l = lex(text);
            ck_assert_msg(strcmp(l.tokens, want) == 0, "'%s' scans as %s, not %s", text, l.tokens,
                          want);
            ck_assert_uint_eq(l.d->n, 0);
            drop(&l);
            free(text);
        }
    }
}
END_TEST

START_TEST(operator_aliases) {
    ck_tokens("DON\xE2\x80\x99T belong\nTO", "OP(don't belong to)");
    ck_tokens("do  NOT belong to", "OP(don't belong to)");
    ck_tokens("With Sub-Departments", "WITH_SUB");
    ck_tokens("with\n\tsubdepartments", "WITH_SUB");
}
END_TEST

START_TEST(operator_words_end_at_word_boundaries) {
    ck_tokens("is emptyish", "IDENT(is) IDENT(emptyish)");
    ck_tokens("not equal tox", "NOT IDENT(equal) IDENT(tox)");
    ck_tokens("containsx equalsy", "IDENT(containsx) IDENT(equalsy)");
    ck_tokens("is_manager", "IDENT(is_manager)");
}
END_TEST

START_TEST(punctuation_and_labels) {
    ck_tokens("{ } ( ) , - +", "{ } ( ) , - +");
    ck_tokens("1: 20 : 3:x", "LABEL(1) LABEL(20) LABEL(3) IDENT(x)");
    ck_tokens("99999999999:", "LABEL(4294967295)");
}
END_TEST

START_TEST(numbers_dates_and_today) {
    ck_tokens("42 007.50 0.5", "NUMBER(42) NUMBER(007.50) NUMBER(0.5)");
    ck_tokens("-3.25", "- NUMBER(3.25)");
    ck_tokens("2026-01-01 2024-02-29", "DATE(2026-01-01) DATE(2024-02-29)");
    ck_tokens("today - 90 days today+2weeks", "TODAY - NUMBER(90) UNIT(days) TODAY + NUMBER(2) UNIT(weeks)");
}
END_TEST

START_TEST(strings_and_escapes) {
    ck_tokens("\"plain\" \"\"", "STRING(\"plain\") STRING(\"\")");
    ck_tokens("\"a\\\"b\\\\c\\nd\\te\"", "STRING(\"a\\\"b\\\\c\\nd\\te\")");
    lexed l = lex("\"caf\\u00E9 \\uD83D\\uDE00 \\u4e2d\"");
    ck_assert_str_eq(l.tokens, "STRING(\"caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xB8\xAD\")");
    ck_assert_uint_eq(l.d->n, 0);
    drop(&l);
}
END_TEST

START_TEST(comments_and_unicode) {
    ck_tokens("# a comment\nname # trailing \"not a string\n\"x\"", "NAME(name) STRING(\"x\")");
    ck_tokens("\xE9\x83\xA8\xE9\x97\xA8 equals \"x\"",
              "IDENT(\xE9\x83\xA8\xE9\x97\xA8) OP(equals) STRING(\"x\")");
    /* Non-breaking and ideographic spaces separate tokens like spaces. */
    ck_tokens("a\xC2\xA0" "b\xE3\x80\x80" "c", "IDENT(a) IDENT(b) IDENT(c)");
}
END_TEST

START_TEST(injected_braces) {
    ck_tokens("group \"a\" { name \"x\"\ngroup \"b\" { }",
              "GROUP(group) STRING(\"a\") { NAME(name) STRING(\"x\") }(injected) GROUP(group) "
              "STRING(\"b\") { }");
    ck_tokens("group \"a\" {", "GROUP(group) STRING(\"a\") { }(injected)");
    /* `group` as a field name inside a group is not a new header. */
    ck_tokens("{ where group equals \"x\" }",
              "{ WHERE(where) GROUP(group) OP(equals) STRING(\"x\") }");
}
END_TEST

START_TEST(nul_byte_is_an_error) {
    lexed l = lex_n("name\0\0\"x\"", 9);
    ck_assert_str_eq(l.tokens, "NAME(name) STRING(\"x\")");
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_NUL_BYTE, 1, 5);
    drop(&l);
    l = lex_n("\"a\0b\"", 5);
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_NUL_BYTE, 1, 3);
    drop(&l);
}
END_TEST

START_TEST(bad_utf8_once_per_run) {
    lexed l = lex("a \xFF\xFE\xFD b\n\"x\xC3\" # \x80\n c");
    ck_assert_str_eq(l.tokens, "IDENT(a) IDENT(b) STRING(\"x\") IDENT(c)");
    ck_assert_uint_eq(l.d->n, 3);
    ck_diag(&l, 0, RS_E_BAD_UTF8, 1, 3);
    ck_diag(&l, 1, RS_E_BAD_UTF8, 2, 3);
    ck_diag(&l, 2, RS_E_BAD_UTF8, 2, 8);
    drop(&l);
    /* An overlong encoding and an encoded surrogate are not UTF-8 either. */
    l = lex("\xC0\xAF \xED\xA0\x80");
    ck_assert_uint_eq(l.d->n, 2);
    ck_diag(&l, 0, RS_E_BAD_UTF8, 1, 1);
    drop(&l);
}
END_TEST

/* The lexer's idea of UTF-8 is rs_utf8_decode's: an encoded surrogate (ED A0..BF xx), an overlong
 * form or a code point past U+10FFFF is E0004 wherever it is, never a character that fmt would
 * rewrite as U+FFFD. */
static void ck_bad_everywhere(const char *bytes) {
    char text[64];
    snprintf(text, sizeof text, "\"a%sb\"", bytes);
    lexed l = lex(text);
    ck_assert_msg(l.d->n == 1 && strcmp(l.tokens, "STRING(\"ab\")") == 0,
                  "in a string: %zu diagnostics, tokens %s", l.d->n, l.tokens);
    ck_diag(&l, 0, RS_E_BAD_UTF8, 1, 3);
    drop(&l);
    snprintf(text, sizeof text, "x # a%sb\ny", bytes);
    l = lex(text);
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_BAD_UTF8, 1, 6);
    drop(&l);
    snprintf(text, sizeof text, "a %s b", bytes);
    l = lex(text);
    ck_assert_str_eq(l.tokens, "IDENT(a) IDENT(b)");
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_BAD_UTF8, 1, 3);
    drop(&l);
}

START_TEST(surrogates_and_overlong_forms) {
    char bytes[4] = {'\xED', 0, 0, 0};
    for (int b = 0xA0; b <= 0xBF; b++)
        for (int c = 0x80; c <= 0xBF; c++) {
            bytes[1] = (char)b;
            bytes[2] = (char)c;
            ck_bad_everywhere(bytes);
        }
    static const char *const others[] = {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
                                         "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
                                         "\xF4\x90\x80\x80", "\xF5\x80\x80\x80"};
    for (size_t i = 0; i < RS_ARRAY_LEN(others); i++) ck_bad_everywhere(others[i]);
    /* The neighbours of the surrogates and the last code point are characters. */
    ck_tokens("\"\xED\x9F\xBF \xEE\x80\x80 \xF4\x8F\xBF\xBF\"",
              "STRING(\"\xED\x9F\xBF \xEE\x80\x80 \xF4\x8F\xBF\xBF\")");
}
END_TEST

START_TEST(unterminated_strings) {
    lexed l = lex("name \"abc\n1: x");
    ck_assert_str_eq(l.tokens, "NAME(name) STRING(\"abc\") LABEL(1) IDENT(x)");
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_UNTERMINATED_STRING, 1, 6);
    ck_assert_ptr_nonnull(strstr(l.d->items[0].message, "end of the line"));
    drop(&l);
    l = lex("x\n  \"abc");
    ck_diag(&l, 0, RS_E_UNTERMINATED_STRING, 2, 3);
    ck_assert_ptr_nonnull(strstr(l.d->items[0].message, "end of the file"));
    drop(&l);
}
END_TEST

START_TEST(bad_escapes) {
    lexed l = lex("\"a\\qb\" \"\\uD800x\" \"\\u0000\" \"\\u12\"");
    ck_assert_uint_eq(l.d->n, 4);
    ck_diag(&l, 0, RS_E_BAD_ESCAPE, 1, 3);
    ck_diag(&l, 1, RS_E_BAD_ESCAPE, 1, 9);
    ck_diag(&l, 2, RS_E_BAD_ESCAPE, 1, 19);
    ck_diag(&l, 3, RS_E_BAD_ESCAPE, 1, 28);
    drop(&l);
}
END_TEST

START_TEST(long_string_reported_once) {
    size_t n = 100 * 1024;
    char *text = rs_malloc(n + 16);
    strcpy(text, "x \"");
    memset(text + 3, 'a', n);
    strcpy(text + 3 + n, "\" y");
    lexed l = lex(text);
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_STRING_TOO_LONG, 1, 3);
    ck_assert_ptr_nonnull(strstr(l.tokens, "IDENT(y)"));
    drop(&l);
    free(text);
}
END_TEST

/* The limit counts the string's bytes, escapes as the bytes they stand for (as the JSON form
 * counts them): 32768 x \u00e9 is 65536 bytes, at the limit; a surrogate pair is 4 bytes. */
static lexed lex_escapes(const char *escape, size_t times, const char *tail) {
    rs_sb sb = {0};
    rs_sb_putc(&sb, '"');
    for (size_t i = 0; i < times; i++) rs_sb_puts(&sb, escape);
    rs_sb_printf(&sb, "%s\" y", tail);
    lexed l = lex(sb.buf);
    rs_sb_free(&sb);
    return l;
}

START_TEST(string_limit_counts_decoded_bytes) {
    lexed l = lex_escapes("\\u00e9", RS_MAX_STRING_BYTES / 2, "");
    ck_assert_uint_eq(l.d->n, 0);
    drop(&l);
    l = lex_escapes("\\u00e9", RS_MAX_STRING_BYTES / 2, "z");
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_STRING_TOO_LONG, 1, 1);
    ck_assert_str_eq(l.d->items[0].message, "string is 65537 bytes long; the limit is 65536 bytes");
    drop(&l);
    l = lex_escapes("\\uD83D\\uDE00", RS_MAX_STRING_BYTES / 4, "");
    ck_assert_uint_eq(l.d->n, 0);
    drop(&l);
    l = lex_escapes("\\u0001", RS_MAX_STRING_BYTES, "\\n");
    ck_assert_uint_eq(l.d->n, 1);
    ck_assert_str_eq(l.d->items[0].message, "string is 65537 bytes long; the limit is 65536 bytes");
    drop(&l);
}
END_TEST

START_TEST(bad_dates) {
    lexed l = lex("2026-02-30 2026-13-01 0000-01-01 2026-1-5 2024-02-29");
    ck_assert_uint_eq(l.d->n, 4);
    ck_diag(&l, 0, RS_E_BAD_DATE, 1, 1);
    ck_assert_str_eq(l.d->items[0].message, "there is no day 30 in February 2026");
    ck_diag(&l, 1, RS_E_BAD_DATE, 1, 12);
    ck_diag(&l, 2, RS_E_BAD_DATE, 1, 23);
    ck_diag(&l, 3, RS_E_BAD_DATE, 1, 34);
    drop(&l);
}
END_TEST

START_TEST(numbers_out_of_range) {
    lexed l = lex("9007199254740992 9007199254740993 1.5");
    ck_assert_uint_eq(l.d->n, 1);
    ck_diag(&l, 0, RS_E_BAD_NUMBER, 1, 18);
    drop(&l);
}
END_TEST

START_TEST(bad_characters) {
    lexed l = lex("a = 'single' \xE2\x80\x9C" "curly\xE2\x80\x9D ; \xE2\x82\xAC");
    ck_assert_str_eq(l.tokens, "IDENT(a) STRING(\"single\") STRING(\"curly\")");
    ck_assert_uint_eq(l.d->n, 5);
    ck_diag(&l, 0, RS_E_BAD_CHAR, 1, 3);
    ck_assert_ptr_nonnull(strstr(l.d->items[0].help, "equals"));
    ck_diag(&l, 1, RS_E_BAD_CHAR, 1, 5);
    ck_assert_str_eq(l.d->items[1].message, "strings are written in double quotes");
    ck_diag(&l, 2, RS_E_BAD_CHAR, 1, 14);
    ck_diag(&l, 3, RS_E_BAD_CHAR, 1, 22);
    ck_diag(&l, 4, RS_E_BAD_CHAR, 1, 24);
    drop(&l);
    l = lex("a\x01" "b");
    ck_assert_str_eq(l.tokens, "IDENT(a) IDENT(b)");
    ck_diag(&l, 0, RS_E_BAD_CHAR, 1, 2);
    ck_assert_str_eq(l.d->items[0].message, "unexpected control character U+0001");
    drop(&l);
}
END_TEST

START_TEST(field_name_check) {
    ck_assert(gp_is_field_name("job_title", 9));
    ck_assert(gp_is_field_name("name", 4));
    ck_assert(gp_is_field_name("days", 4));
    ck_assert(!gp_is_field_name("job title", 9));
    ck_assert(!gp_is_field_name("and", 3));
    ck_assert(!gp_is_field_name("today", 5));
    ck_assert(!gp_is_field_name("contains", 8));
    ck_assert(!gp_is_field_name("9lives", 6));
    ck_assert(!gp_is_field_name(" x", 2));
    ck_assert(!gp_is_field_name("", 0));
}
END_TEST

static Suite *lexer_suite(void) {
    Suite *s = suite_create("lexer");
    TCase *tc = tcase_create("tokens");
    tcase_add_test(tc, keywords_any_case);
    tcase_add_test(tc, every_operator_odd_case_and_spacing);
    tcase_add_test(tc, operator_aliases);
    tcase_add_test(tc, operator_words_end_at_word_boundaries);
    tcase_add_test(tc, punctuation_and_labels);
    tcase_add_test(tc, numbers_dates_and_today);
    tcase_add_test(tc, strings_and_escapes);
    tcase_add_test(tc, comments_and_unicode);
    tcase_add_test(tc, injected_braces);
    tcase_add_test(tc, field_name_check);
    suite_add_tcase(s, tc);
    TCase *errs = tcase_create("diagnostics");
    tcase_add_test(errs, nul_byte_is_an_error);
    tcase_add_test(errs, bad_utf8_once_per_run);
    tcase_add_test(errs, surrogates_and_overlong_forms);
    tcase_add_test(errs, unterminated_strings);
    tcase_add_test(errs, bad_escapes);
    tcase_add_test(errs, long_string_reported_once);
    tcase_add_test(errs, string_limit_counts_decoded_bytes);
    tcase_add_test(errs, bad_dates);
    tcase_add_test(errs, numbers_out_of_range);
    tcase_add_test(errs, bad_characters);
    suite_add_tcase(s, errs);
    return s;
}

RS_TEST_MAIN(lexer_suite)
