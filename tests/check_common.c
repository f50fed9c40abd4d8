/* check_common.c: UTF-8 and case folding, dates, strbuf escaping, diagnostics rendering, schema,
 * the arena. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/arena.h"
#include "common/date.h"
#include "common/diag.h"
#include "common/schema.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "common/util.h"
#include "tests/testutil.h"

START_TEST(utf8_rejects_invalid) {
    ck_assert_uint_eq(rs_utf8_validate("abc", 3), 3);
    ck_assert_uint_eq(rs_utf8_validate("a\xC3\xA9z", 4), 4);        /* é */
    ck_assert_uint_eq(rs_utf8_validate("a\xC0\xAF", 3), 1);         /* overlong '/' */
    ck_assert_uint_eq(rs_utf8_validate("ab\xED\xA0\x80", 5), 2);    /* surrogate */
    ck_assert_uint_eq(rs_utf8_validate("\xF4\x90\x80\x80", 4), 0);  /* > U+10FFFF */
    ck_assert_uint_eq(rs_utf8_validate("x\xE2\x82", 3), 1);         /* truncated */
    ck_assert_uint_eq(rs_utf8_count("a\xC3\xA9z", 4), 3);
    /* A run of invalid bytes ends at ASCII or at the next valid character. */
    ck_assert_uint_eq(rs_utf8_bad_run("\xED\xA0\x80z", 4), 3);
    ck_assert_uint_eq(rs_utf8_bad_run("\xC0\xAF\xC3\xA9", 4), 2);
    ck_assert_uint_eq(rs_utf8_bad_run("\xF4\x90\x80\x80", 4), 4);
    ck_assert_uint_eq(rs_utf8_bad_run("\xC3\xA9", 2), 0);
    ck_assert_uint_eq(rs_utf8_bad_run("a\xFF", 2), 0);
}
END_TEST

static void assert_fold(const char *in, const char *want) {
    size_t n;
    char *f = rs_casefold(in, strlen(in), &n);
    ck_assert_str_eq(f, want);
    ck_assert_uint_eq(n, strlen(want));
    free(f);
}

START_TEST(casefold_simple) {
    assert_fold("Engineer", "engineer");
    assert_fold("\xC3\x89" "COLE", "\xC3\xA9" "cole");            /* ÉCOLE -> école */
    assert_fold("\xCE\xA3\xCE\xB9", "\xCF\x83\xCE\xB9");       /* Σι -> σι */
    assert_fold("\xE2\x84\xAA", "k");                           /* KELVIN SIGN -> k (shorter) */
    assert_fold("\xE5\x8C\x97\xE4\xBA\xAC", "\xE5\x8C\x97\xE4\xBA\xAC"); /* 北京 unchanged */
    assert_fold(" Trim ", " trim ");                            /* no trimming */
    assert_fold("\xC3\xA9", "\xC3\xA9");                        /* no accent folding */
}
END_TEST

START_TEST(dates_round_trip) {
    int32_t d;
    ck_assert(rs_date_parse("1970-01-01", 10, &d));
    ck_assert_int_eq(d, 0);
    ck_assert(rs_date_parse("2024-02-29", 10, &d));
    char buf[RS_DATE_MAX];
    rs_date_format(d, buf);
    ck_assert_str_eq(buf, "2024-02-29");
    ck_assert(!rs_date_parse("2026-02-29", 10, &d));
    ck_assert(!rs_date_parse("2026-13-01", 10, &d));
    ck_assert(!rs_date_parse("2026-1-01", 9, &d));
    ck_assert(!rs_date_parse("2026-01-0x", 10, &d));
    ck_assert(!rs_date_parse("0000-01-01", 10, &d));
    for (int32_t day = -800000; day < 2932896; day += 997) {
        int y;
        unsigned m, dd;
        rs_civil_from_days(day, &y, &m, &dd);
        ck_assert_int_eq(rs_days_from_civil(y, m, dd), day);
    }
}
END_TEST

/* Days outside years 0001-9999 (today + an offset can reach them) print as ISO 8601 expanded
 * years, signed and at least five digits, never as a clamped date that looks in range. */
static void ck_day(int y, unsigned m, unsigned d, int32_t offset, const char *want) {
    char buf[RS_DATE_MAX];
    rs_date_format(rs_days_from_civil(y, m, d) + offset, buf);
    ck_assert_str_eq(buf, want);
}

START_TEST(dates_format_at_the_edges) {
    ck_day(1, 1, 1, 0, "0001-01-01");
    ck_day(1, 1, 1, -1, "+00000-12-31");
    ck_day(1, 1, 1, -366, "+00000-01-01");   /* year 0 (1 BC) is a leap year */
    ck_day(1, 1, 1, -367, "-00001-12-31");
    ck_day(9999, 12, 31, 0, "9999-12-31");
    ck_day(9999, 12, 31, 1, "+10000-01-01");
    ck_day(9999, 12, 31, 14, "+10000-01-14");
    ck_day(9999, 12, 31, 3650000, "+19993-05-11");
    ck_day(1, 1, 1, -3650000, "-09993-08-23");
    /* Every day number has a spelling that fits RS_DATE_MAX. */
    char buf[RS_DATE_MAX];
    rs_date_format(INT32_MAX, buf);
    ck_assert_str_eq(buf, "+5881580-07-11");
    rs_date_format(INT32_MIN, buf);
    ck_assert_str_eq(buf, "-5877641-06-23");
}
END_TEST

START_TEST(strbuf_escapes) {
    rs_sb sb = {0};
    rs_sb_json_str(&sb, "a\"b\\c\n\x01\xFF", 8);
    ck_assert_str_eq(sb.buf, "\"a\\\"b\\\\c\\n\\u0001\\ufffd\"");
    rs_sb_clear(&sb);
    rs_sb_rule_str(&sb, "say \"hi\"\t", 9);
    ck_assert_str_eq(sb.buf, "\"say \\\"hi\\\"\\t\"");
    rs_sb_clear(&sb);
    rs_sb_tsv_cell(&sb, "a\tb\nc\rd\\e", 9);
    ck_assert_str_eq(sb.buf, "a\\tb\\nc\\rd\\\\e");
    rs_sb_free(&sb);
}
END_TEST

static rs_source *src_of(const char *name, const char *text) {
    return rs_source_new(name, rs_strdup(text), strlen(text));
}

START_TEST(diag_positions_and_render) {
    rs_source *src = src_of("r.rule", "group \"g\" {\n  2: job_titel equals \"E\"\n}\n");
    uint32_t line, col;
    rs_source_position(src, 17, &line, &col);
    ck_assert_uint_eq(line, 2);
    ck_assert_uint_eq(col, 6);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_diag *dg = rs_diag_at(d, RS_E_UNKNOWN_FIELD, src, rs_span_make(17, 26), "unknown field '%s'",
                             "job_titel");
    rs_diag_help(dg, "did you mean '%s'?", "job_title");
    ck_assert(rs_diags_has_errors(d));
    rs_sb out = {0};
    rs_diags_render_text(d, &out, false);
    ck_assert_str_eq(out.buf,
                     "r.rule:2:6: error[E0201]: unknown field 'job_titel'\n"
                     "    2 |   2: job_titel equals \"E\"\n"
                     "      |      ^~~~~~~~~\n"
                     "      = help: did you mean 'job_title'?\n");
    rs_sb_clear(&out);
    rs_diags_render_json(d, &out);
    ck_assert_str_eq(out.buf,
                     "{\"file\":\"r.rule\",\"line\":2,\"column\":6,\"end_line\":2,\"end_column\":15,"
                     "\"json_path\":null,\"severity\":\"error\",\"code\":\"E0201\","
                     "\"message\":\"unknown field 'job_titel'\",\"help\":\"did you mean 'job_title'?\"}\n");
    rs_sb_free(&out);
    free(d);
    rs_source_free(src);
}
END_TEST

START_TEST(diag_columns_count_code_points) {
    rs_source *src = src_of("u.rule", "\"\xE5\x8C\x97\xE4\xBA\xAC\" x");
    uint32_t line, col;
    rs_source_position(src, 9, &line, &col);   /* the x after a two-character string */
    ck_assert_uint_eq(col, 6);
    rs_source_free(src);
}
END_TEST

START_TEST(diag_limit_counts_the_rest) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    d->max_errors = 3;
    for (int i = 0; i < 10; i++) rs_diag_file(d, RS_E_SNAP_BAD_DATE, "m.jsonl", (uint32_t)i + 1, 1, "bad");
    ck_assert_uint_eq(d->n, 3);
    ck_assert_uint_eq(d->dropped, 7);
    ck_assert_uint_eq(d->nerrors, 10);
    char code[8];
    ck_assert_str_eq(rs_code_str(RS_E_SNAP_UNKNOWN_FIELD, code), "W0611");
    free(d);
}
END_TEST

START_TEST(schema_adds_implicit_fields) {
    const char *text = "{\"fields\": [{\"name\": \"job_title\", \"type\": \"text\"},"
                       "{\"name\": \"city\", \"type\": \"option\", \"options\": [\"Shanghai\", \"Hangzhou\"]},"
                       "{\"name\": \"skills\", \"type\": \"option\", \"multi\": true, \"options\": [\"c\", \"go\"]}]}";
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_schema *s = rs_schema_parse("schema.json", text, strlen(text), d);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->nfields, 6);
    const rs_field *dept = rs_schema_field(s, "department");
    ck_assert(dept && dept->type == RS_T_DEPARTMENT && dept->multi);
    const rs_field *main = rs_schema_field(s, "main_department");
    ck_assert(main && main->derived && !main->multi);
    ck_assert_int_eq(rs_field_option(rs_schema_field(s, "city"), "SHANGHAI", 8), 0);
    ck_assert_int_eq(rs_field_option(rs_schema_field(s, "city"), "Beijing", 7), -1);
    ck_assert_str_eq(rs_schema_suggest(s, "job_titel"), "job_title");
    ck_assert_str_eq(rs_schema_suggest(s, "Citi"), "city");
    ck_assert_str_eq(rs_schema_suggest(s, "sklils"), "skills");
    ck_assert_ptr_null(rs_schema_suggest(s, "zzzzzz"));
    rs_schema_free(s);
    free(d);
}
END_TEST

static size_t schema_errors(const char *text) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_schema *s = rs_schema_parse("schema.json", text, strlen(text), d);
    size_t n = d->nerrors;
    ck_assert_ptr_null(s);
    ck_assert_int_eq(d->items[0].code, RS_E_SNAP_BAD_SCHEMA);
    free(d);
    return n;
}

START_TEST(schema_rejects_bad) {
    ck_assert_uint_eq(schema_errors("{\"fields\": [{\"name\": \"x\", \"type\": \"txt\"}]}"), 1);
    ck_assert_uint_eq(schema_errors("{\"fields\": [{\"name\": \"c\", \"type\": \"option\"}]}"), 1);
    ck_assert_uint_eq(schema_errors("{\"fields\": [{\"name\": \"c\", \"type\": \"option\", \"options\": [\"a\", \"A\"]}]}"), 1);
    ck_assert_uint_eq(schema_errors("{\"fields\": [{\"name\": \"a\", \"type\": \"text\"}, {\"name\": \"a\", \"type\": \"date\"}]}"), 1);
    ck_assert_uint_eq(schema_errors("{\"fields\": [{\"name\": \"main_department\", \"type\": \"department\"}]}"), 1);
    ck_assert_uint_eq(schema_errors("{\"fields\": [{\"name\": \"status\", \"type\": \"text\"}]}"), 1);
    ck_assert_uint_eq(schema_errors("{\"fields\": [{\"name\": \"1x\", \"type\": \"text\"}, {\"name\": \"y\", \"type\": \"nope\"}]}"), 2);
    ck_assert_uint_eq(schema_errors("{\"fields\": 3}"), 1);
    ck_assert_uint_eq(schema_errors("{\"fields\": [}"), 1);
}
END_TEST

START_TEST(atomic_write_replaces) {
    char path[] = "/tmp/rs_atomic_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(rs_write_file_atomic(path, "new content", 11), 0);
    char *text;
    size_t len;
    ck_assert_int_eq(rs_read_file(path, 1024, &text, &len), 0);
    ck_assert_str_eq(text, "new content");
    free(text);
    ck_assert_int_eq(rs_read_file(path, 5, &text, &len), -2);
    unlink(path);
}
END_TEST

/* Release builds define NDEBUG: an "impossible" case is a plain test there, never an abort of a
 * running server (the sanitizer build keeps the assertion, so the checks run in release only). */
START_TEST(always_never_are_tests_in_release) {
#ifdef NDEBUG
    volatile int zero = 0;
    ck_assert_int_eq(ALWAYS(zero), 0);
    ck_assert_int_eq(NEVER(!zero), 1);
#endif
}
END_TEST

/* A position whose column is not known prints the line alone, and null in JSON; never column 0. */
/* The arena hands out aligned blocks, big requests included; a reset keeps one block and frees
 * the rest; printf text is cut, never overrun. */
START_TEST(arena_alloc_reset_printf) {
    rs_arena a = {0};
    char *x = rs_arena_alloc(&a, 3), *y = rs_arena_alloc(&a, 1);
    ck_assert_uint_eq((uintptr_t)x % 8, 0);
    ck_assert_uint_eq((uintptr_t)y - (uintptr_t)x, 8);
    char *big = rs_arena_alloc(&a, 100000);
    memset(big, 'x', 100000);
    ck_assert_ptr_nonnull(a.head->next);
    ck_assert_str_eq(rs_arena_strndup(&a, "abcdef", 3), "abc");
    ck_assert_str_eq(rs_arena_printf(&a, "%d-%s", 42, "z"), "42-z");
    char wide[1000];
    memset(wide, 'w', sizeof wide - 1);
    wide[sizeof wide - 1] = '\0';
    ck_assert_uint_eq(strlen(rs_arena_printf(&a, "%s", wide)), 399);
    rs_arena_reset(&a);
    ck_assert_ptr_null(a.head->next);
    ck_assert_uint_eq(a.head->used, 0);
    rs_arena_free(&a);
    ck_assert_ptr_null(a.head);
    rs_arena_reset(&a);   /* an empty arena */
}
END_TEST

START_TEST(diag_unknown_column_left_out) {
    rs_diags d;
    rs_diags_init(&d);
    rs_diag_file(&d, RS_E_IO, "members.jsonl", 13, 0, "used again");
    rs_diag_file(&d, RS_E_IO, "schema.json", 0, 0, "cannot read");
    rs_sb text = {0}, json = {0};
    rs_diags_render_text(&d, &text, false);
    rs_diags_render_json(&d, &json);
    ck_assert_ptr_nonnull(strstr(text.buf, "members.jsonl:13: error[E0006]: used again"));
    ck_assert_ptr_nonnull(strstr(text.buf, "schema.json: error[E0006]: cannot read"));
    ck_assert_ptr_null(strstr(text.buf, ":0"));
    ck_assert_ptr_nonnull(strstr(json.buf, "\"line\":13,\"column\":null,\"end_line\":13,\"end_column\":null"));
    ck_assert_ptr_nonnull(strstr(json.buf, "\"line\":null,\"column\":null"));
    rs_sb_free(&text);
    rs_sb_free(&json);
}
END_TEST

/* Texts are kept whole, whatever their length (a console stores them); a list whose text store is
 * full counts the rest as dropped instead of cutting them. */
START_TEST(diag_texts_kept_whole) {
    static rs_diags d;
    rs_diags_init(&d);
    char path[1200], long_text[5000];
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    rs_diag *dg = rs_diag_file(&d, RS_E_IO, path, 1, 2, "%s", long_text);
    ck_assert_ptr_nonnull(dg);
    rs_diag_help(dg, "help: %s", long_text);
    rs_diag_append(dg, " (in %d records)", 3);
    ck_assert_uint_eq(strlen(dg->file), sizeof path - 1);
    ck_assert_uint_eq(strlen(dg->message), sizeof long_text - 1 + strlen(" (in 3 records)"));
    ck_assert_uint_eq(strlen(dg->help), sizeof long_text - 1 + 6);
    size_t kept = d.n;
    while (d.n < RS_MAX_DIAGS && rs_diag_file(&d, RS_E_IO, "f", 1, 1, "%s", long_text)) kept = d.n;
    ck_assert_uint_lt(kept, RS_MAX_DIAGS);   /* the store filled before the count did */
    ck_assert_uint_ge(d.dropped, 1);
    ck_assert_uint_eq(d.nerrors, kept + d.dropped);
    for (size_t i = 0; i < d.n; i++) ck_assert_uint_eq(strlen(d.items[i].message) >= sizeof long_text - 1, 1);
}
END_TEST

static Suite *common_suite(void) {
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, utf8_rejects_invalid);
    tcase_add_test(tc, casefold_simple);
    tcase_add_test(tc, dates_round_trip);
    tcase_add_test(tc, dates_format_at_the_edges);
    tcase_add_test(tc, strbuf_escapes);
    tcase_add_test(tc, diag_positions_and_render);
    tcase_add_test(tc, diag_columns_count_code_points);
    tcase_add_test(tc, diag_limit_counts_the_rest);
    tcase_add_test(tc, schema_adds_implicit_fields);
    tcase_add_test(tc, schema_rejects_bad);
    tcase_add_test(tc, atomic_write_replaces);
    tcase_add_test(tc, always_never_are_tests_in_release);
    tcase_add_test(tc, diag_unknown_column_left_out);
    tcase_add_test(tc, diag_texts_kept_whole);
    tcase_add_test(tc, arena_alloc_reset_printf);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(common_suite)
