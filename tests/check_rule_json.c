/* check_rule_json: the JSON form. The three top-level shapes, values by operator arity, strings
 * that are dates, `match`/`where` through the text grammar with spans inside the JSON string, and
 * every JSON diagnostic with its position and JSON path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"
#include "grammar/grammar.h"
#include "common/util.h"

typedef struct parsed {
    rs_source *src;
    rs_diags *d;
    ast_file *f;
} parsed;

static parsed parse_as(const char *text, bool json) {
    parsed p;
    p.src = rs_source_new(json ? "test.json" : "test.rule", rs_strdup(text), strlen(text));
    p.d = rs_malloc(sizeof *p.d);
    rs_diags_init(p.d);
    p.f = json ? rs_parse_json(p.src, p.d) : rs_parse_text(p.src, p.d);
    return p;
}

static parsed parse(const char *text) { return parse_as(text, true); }

static void drop(parsed *p) {
    ast_file_free(p->f);
    free(p->d);
    rs_source_free(p->src);
}

static void ck_clean(const parsed *p) {
    for (size_t i = 0; i < p->d->n; i++)
        ck_abort_msg("unexpected diagnostic: %s", p->d->items[i].message);
    ck_assert_ptr_nonnull(p->f);
}

/* The i-th diagnostic: code, line:column, and the JSON path the renderer prints. */
static void ck_diag(const parsed *p, size_t i, rs_code code, uint32_t line, uint32_t col,
                    const char *path) {
    ck_assert_msg(p->d->n > i, "expected diagnostic %zu, have %zu", i, p->d->n);
    const rs_diag *dg = &p->d->items[i];
    uint32_t ln, cl;
    rs_source_position(p->src, dg->span.start, &ln, &cl);
    const char *jp = rs_source_jpath(p->src, dg->span.start);
    ck_assert_msg(dg->code == code && ln == line && cl == col,
                  "diagnostic %zu: E%04d at %u:%u (%s), expected E%04d at %u:%u", i, (int)dg->code,
                  ln, cl, dg->message, (int)code, line, col);
    if (path) {
        ck_assert_msg(jp && strcmp(jp, path) == 0, "diagnostic %zu at path %s, expected %s", i,
                      jp ? jp : "(none)", path);
    }
}

START_TEST(group_object) {
    parsed p = parse("{\"id\": \"g\", \"name\": \"G\", \"departments\": {\"ids\": [\"D1\"], "
                     "\"include_sub\": true}, \"conditions\": [{\"id\": 1, \"field\": \"city\", "
                     "\"op\": \"is any of\", \"value\": [\"a\", \"b\"]}], \"allow\": [\"u1\"]}");
    ck_clean(&p);
    ck_assert_uint_eq(p.f->ngroups, 1);
    const ast_group *g = &p.f->groups[0];
    ck_assert_str_eq(g->id.s, "g");
    ck_assert(g->departments.present && g->departments_with_sub);
    ck_assert_uint_eq(g->nconds, 1);
    ck_assert_int_eq(g->conds[0].op, AST_OP_ANY_OF);
    ck_assert(g->conds[0].list_form);
    ck_assert_uint_eq(g->conds[0].nvalues, 2);
    ck_assert_str_eq(g->allow.items[0].s, "u1");
    ck_assert(!g->block.present);
    /* The condition's spans point into the JSON text, and carry their paths. */
    const char *at = p.src->text + g->conds[0].op_span.start;
    ck_assert(strncmp(at, "\"is any of\"", 11) == 0);
    ck_assert_str_eq(rs_source_jpath(p.src, g->conds[0].op_span.start), "conditions[0].op");
    drop(&p);
}
END_TEST

START_TEST(array_and_wrapper) {
    parsed p = parse("[{\"id\": \"a\", \"name\": \"A\"}, {\"id\": \"b\", \"name\": \"B\"}]");
    ck_clean(&p);
    ck_assert_uint_eq(p.f->ngroups, 2);
    ck_assert_str_eq(p.f->groups[1].id.s, "b");
    ck_assert_str_eq(rs_source_jpath(p.src, p.f->groups[1].id.span.start), "[1].id");
    drop(&p);
    p = parse("{\"groups\": [{\"id\": \"a\", \"name\": \"A\"}]}");
    ck_clean(&p);
    ck_assert_str_eq(rs_source_jpath(p.src, p.f->groups[0].name.span.start), "groups[0].name");
    drop(&p);
}
END_TEST

START_TEST(values_by_arity) {
    parsed p = parse("{\"id\": \"v\", \"name\": \"V\", \"conditions\": ["
                     "{\"id\": 1, \"field\": \"a\", \"op\": \"equals\", \"value\": [\"one\"]},"
                     "{\"id\": 2, \"field\": \"b\", \"op\": \"equals\", \"value\": [\"x\", \"y\"]},"
                     "{\"id\": 3, \"field\": \"c\", \"op\": \"is any of\", \"value\": \"lonely\"},"
                     "{\"id\": 4, \"field\": \"d\", \"op\": \"is between\", \"value\": [1, 2.50]},"
                     "{\"id\": 5, \"field\": \"e\", \"op\": \"is empty\"},"
                     "{\"id\": 6, \"field\": \"f\", \"op\": \"is not empty\", \"value\": null},"
                     "{\"id\": 7, \"field\": \"g\", \"op\": \"Don\xE2\x80\x99t  belong\\tto\", "
                     "\"value\": [\"D\"], \"include_sub\": true}]}");
    ck_clean(&p);
    const ast_cond *c = p.f->groups[0].conds;
    ck_assert(!c[0].list_form);
    ck_assert_uint_eq(c[0].nvalues, 1);
    ck_assert(c[1].list_form);
    ck_assert(!c[2].list_form);
    ck_assert_uint_eq(c[2].nvalues, 1);
    ck_assert(!c[3].list_form);
    ck_assert_str_eq(c[3].values[1].str, "2.5");
    ck_assert_uint_eq(c[4].nvalues, 0);
    ck_assert_uint_eq(c[5].nvalues, 0);
    ck_assert_int_eq(c[6].op, AST_OP_NOT_BELONG);
    ck_assert(c[6].with_sub);
    drop(&p);
}
END_TEST

START_TEST(value_kinds) {
    parsed p = parse("{\"id\": \"k\", \"name\": \"K\", \"conditions\": [{\"id\": 1, \"field\": \"a\", "
                     "\"op\": \"is any of\", \"value\": [\"2026-01-31\", \"2026-02-30\", \"today\", "
                     "\"today - 90 days\", \"today + 1 week\", \"today - 3 months\", 1e2, -0.0, "
                     "12.340, true, \"text\"]}]}");
    ck_clean(&p);
    const ast_value *v = p.f->groups[0].conds[0].values;
    ck_assert_int_eq(v[0].kind, AST_VAL_DATE);
    ck_assert_int_eq(v[1].kind, AST_VAL_STRING);   /* not a date that exists: a string */
    ck_assert_int_eq(v[2].kind, AST_VAL_TODAY);
    ck_assert_int_eq(v[3].day, -90);
    ck_assert_int_eq(v[4].day, 7);
    ck_assert_int_eq(v[5].kind, AST_VAL_STRING);
    ck_assert_int_eq(v[6].kind, AST_VAL_NUMBER);
    ck_assert_str_eq(v[6].str, "100");
    ck_assert_str_eq(v[7].str, "0");
    ck_assert_str_eq(v[8].str, "12.34");
    ck_assert_int_eq(v[9].kind, AST_VAL_BOOL);
    ck_assert_str_eq(v[10].str, "text");
    drop(&p);
}
END_TEST

START_TEST(match_and_where_spans) {
    const char *text = "{\"id\": \"m\", \"name\": \"M\", \"conditions\": [{\"id\": 1, \"field\": \"a\", "
                       "\"op\": \"is empty\"}], \"match\": \"1 or (2 and 3)\"}";
    parsed p = parse(text);
    ck_clean(&p);
    const ast_expr *m = p.f->groups[0].match;
    ck_assert_int_eq(m->kind, AST_EXPR_OR);
    const char *two = strstr(text, "2 and");
    ck_assert_uint_eq(m->rhs->lhs->span.start, (uint32_t)(two - text));
    ck_assert_str_eq(rs_source_jpath(p.src, m->rhs->lhs->span.start), "match");
    drop(&p);
    /* A syntax error inside the string points at the exact byte. */
    text = "{\"id\": \"w\", \"name\": \"W\",\n \"where\": \"a equals 1 and b equals\"}";
    p = parse(text);
    ck_diag(&p, 0, RS_E_SYNTAX, 2, 35, "where");
    ck_assert_ptr_null(p.f->groups[0].where);
    drop(&p);
    p = parse("{\"id\": \"w\", \"name\": \"W\",\n \"match\": \"1 and (2 or\"}");
    ck_diag(&p, 0, RS_E_SYNTAX, 2, 23, "match");
    drop(&p);
}
END_TEST

START_TEST(same_ast_as_text) {
    parsed t = parse_as("group \"g\" {\n name \"G\"\n departments \"D1\", \"D2\"\n"
                        " 2: join_date is after 2026-01-01\n 1: city is any of (\"a\")\n"
                        " match 2 and 1\n block \"u1\"\n}\n",
                        false);
    parsed j = parse("{\"block\": [\"u1\"], \"match\": \"2 and 1\", \"conditions\": ["
                     "{\"op\": \"is after\", \"field\": \"join_date\", \"id\": 2, \"value\": \"2026-01-01\"},"
                     "{\"op\": \"is any of\", \"field\": \"city\", \"id\": 1, \"value\": [\"a\"]}],"
                     "\"departments\": {\"ids\": [\"D1\", \"D2\"]}, \"name\": \"G\", \"id\": \"g\"}");
    ck_clean(&t);
    ck_clean(&j);
    ck_assert(ast_file_equal(t.f, j.f));
    drop(&t);
    drop(&j);
}
END_TEST

/* ---- diagnostics ---- */

START_TEST(invalid_json) {
    parsed p = parse("{\"id\": \"a\",\n \"name\": tru}");
    ck_diag(&p, 0, RS_E_JSON_SYNTAX, 2, 12, NULL);
    ck_assert_ptr_null(p.f);
    drop(&p);
    p = parse("{\"id\": \"a\", \"id\": \"b\"}");
    ck_diag(&p, 0, RS_E_JSON_SYNTAX, 1, 16, NULL);
    drop(&p);
    p = parse("{\"\xC3\xA9\": 1 x}");
    ck_diag(&p, 0, RS_E_JSON_SYNTAX, 1, 9, NULL);
    drop(&p);
    p = parse("");
    ck_diag(&p, 0, RS_E_JSON_SYNTAX, 1, 1, NULL);
    drop(&p);
}
END_TEST

START_TEST(shape_errors_name_their_path) {
    parsed p = parse("{\"groups\": [\n"
                     " {\"id\": \"a\", \"name\": \"A\", \"conditions\": [\n"
                     "   {\"id\": 1, \"field\": \"x\", \"op\": \"equals\", \"value\": \"v\"},\n"
                     "   {\"id\": 2, \"field\": 5, \"op\": \"equals\", \"value\": \"v\"},\n"
                     "   {\"id\": 3, \"field\": \"x\", \"value\": \"v\"},\n"
                     "   {\"id\": 1.5, \"field\": \"job title\", \"op\": \"equals\", \"value\": {}},\n"
                     "   {\"id\": 5, \"field\": \"x\", \"op\": \"is between\", \"value\": [1]},\n"
                     "   {\"id\": 6, \"field\": \"x\", \"op\": \"is empty\", \"value\": 3},\n"
                     "   {\"id\": 7, \"field\": \"x\", \"op\": \"equals\"}\n"
                     " ], \"allow\": [\"u1\", 7], \"departments\": {\"include_sub\": true}},\n"
                     " {\"name\": \"no id\"},\n"
                     " 42\n"
                     "]}");
    ck_diag(&p, 0, RS_E_JSON_SHAPE, 4, 23, "groups[0].conditions[1].field");
    ck_diag(&p, 1, RS_E_JSON_SHAPE, 5, 4, "groups[0].conditions[2]");
    ck_assert_str_eq(p.d->items[1].message, "this condition has no \"op\"");
    ck_diag(&p, 2, RS_E_JSON_SHAPE, 6, 11, "groups[0].conditions[3].id");
    ck_diag(&p, 3, RS_E_JSON_SHAPE, 6, 25, "groups[0].conditions[3].field");
    ck_diag(&p, 4, RS_E_JSON_SHAPE, 6, 63, "groups[0].conditions[3].value");
    ck_diag(&p, 5, RS_E_JSON_SHAPE, 7, 57, "groups[0].conditions[4].value");
    ck_diag(&p, 6, RS_E_JSON_SHAPE, 8, 55, "groups[0].conditions[5].value");
    ck_diag(&p, 7, RS_E_JSON_SHAPE, 9, 4, "groups[0].conditions[6]");
    ck_diag(&p, 8, RS_E_JSON_SHAPE, 10, 21, "groups[0].allow[1]");
    ck_diag(&p, 9, RS_E_JSON_SHAPE, 10, 40, "groups[0].departments");
    ck_diag(&p, 10, RS_E_JSON_SHAPE, 11, 2, "groups[1]");
    ck_diag(&p, 11, RS_E_JSON_SHAPE, 12, 2, "groups[2]");
    ck_assert_uint_eq(p.d->n, 12);
    /* The group that had errors keeps what was right. */
    ck_assert_uint_eq(p.f->ngroups, 1);
    ck_assert_uint_eq(p.f->groups[0].nconds, 1);
    drop(&p);
}
END_TEST

START_TEST(unknown_keys_and_operators) {
    parsed p = parse("{\"id\": \"a\", \"nmae\": \"A\", \"conditions\": [{\"id\": 1, \"field\": "
                     "\"x\", \"opp\": \"equals\", \"op\": \"is any off\", \"value\": [\"v\"]}]}");
    ck_diag(&p, 0, RS_E_JSON_UNKNOWN_KEY, 1, 13, "nmae");
    ck_assert_ptr_nonnull(strstr(p.d->items[0].help, "did you mean \"name\"?"));
    ck_diag(&p, 1, RS_E_JSON_UNKNOWN_KEY, 1, 65, "conditions[0].opp");
    ck_diag(&p, 2, RS_E_JSON_UNKNOWN_OP, 1, 88, "conditions[0].op");
    ck_assert_str_eq(p.d->items[2].help, "did you mean \"is any of\"?");
    ck_diag(&p, 3, RS_E_MISSING_NAME, 1, 1, "$");
    ck_assert_uint_eq(p.d->n, 4);
    drop(&p);
}
END_TEST

START_TEST(group_level_errors) {
    parsed p = parse("[{\"id\": \"\", \"name\": \"A\"}, {\"id\": \"b\", \"name\": \"B\", \"where\": "
                     "\"a is empty\", \"match\": \"1\"}, {\"id\": \"c\", \"name\": 3}]");
    ck_diag(&p, 0, RS_E_EMPTY_GROUP_ID, 1, 9, "[0].id");
    ck_diag(&p, 1, RS_E_MIXED_FORMS, 1, 61, "[1].where");
    ck_diag(&p, 2, RS_E_JSON_SHAPE, 1, 110, "[2].name");
    ck_assert_uint_eq(p.d->n, 3);
    drop(&p);
    p = parse("[]");
    ck_diag(&p, 0, RS_E_JSON_SHAPE, 1, 1, "$");
    ck_assert_ptr_null(p.f);
    drop(&p);
    p = parse("\"just a string\"");
    ck_diag(&p, 0, RS_E_JSON_SHAPE, 1, 1, "$");
    drop(&p);
    p = parse("{\"groups\": {}}");
    ck_diag(&p, 0, RS_E_JSON_SHAPE, 1, 12, "groups");
    drop(&p);
    p = parse("{\"id\": \"c\", \"name\": \"C\", \"comments\": {\"name\": [\"two\\nlines\"], "
              "\"nmae\": []}}");
    ck_diag(&p, 0, RS_E_JSON_SHAPE, 1, 48, "comments.name[0]");
    ck_diag(&p, 1, RS_E_JSON_UNKNOWN_KEY, 1, 63, "comments.nmae");
    ck_assert_uint_eq(p.d->n, 2);
    drop(&p);
}
END_TEST

/* Bytes that are not UTF-8 are E0004 at their own line and column, as in the text form: jansson
 * would call them a syntax error (E0401) at the start of the string. Each run is reported once. */
START_TEST(invalid_utf8_is_e0004) {
    parsed p = parse("{\"id\": \"g\",\n \"name\": \"a\xED\xA0\x80" "b\xED\xBF\xBF\"}");
    ck_assert_uint_eq(p.d->n, 2);
    ck_diag(&p, 0, RS_E_BAD_UTF8, 2, 12, NULL);
    ck_assert_str_eq(p.d->items[0].message, "invalid UTF-8 (byte 0xed)");
    ck_diag(&p, 1, RS_E_BAD_UTF8, 2, 16, NULL);
    ck_assert_ptr_null(p.f);
    drop(&p);
    static const char *const bad[] = {"\xC0\xAF", "\xE0\x9F\xBF", "\xF0\x8F\xBF\xBF",
                                      "\xF4\x90\x80\x80", "\xFF", "\xE2\x82"};
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        char text[64];
        snprintf(text, sizeof text, "{\"id\": \"g\", \"name\": \"\xC3\xA9%s\"}", bad[i]);
        p = parse(text);
        ck_assert_uint_eq(p.d->n, 1);
        ck_diag(&p, 0, RS_E_BAD_UTF8, 1, 23, NULL);
        drop(&p);
    }
    /* After a byte order mark, and in a key. */
    p = parse("\xEF\xBB\xBF{\"id\": \"g\", \"n\xED\xA0\x80\": 1}");
    ck_assert_uint_eq(p.d->n, 1);
    ck_diag(&p, 0, RS_E_BAD_UTF8, 1, 16, NULL);
    drop(&p);
}
END_TEST

/* JSON text of one group whose strings are "short", and one string of n bytes (a run of `fill`, a
 * byte below 0x20 written \u00XX) in the place named by `where`. */
static char *group_with_long_string(const char *where, size_t n, char fill) {
    rs_sb big = {0}, sb = {0};
    rs_sb_putc(&big, '"');
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)fill < 0x20) rs_sb_printf(&big, "\\u%04x", fill);
        else rs_sb_putc(&big, fill);
    }
    rs_sb_putc(&big, '"');
    const char *id = strcmp(where, "id") == 0 ? big.buf : "\"g\"";
    const char *name = strcmp(where, "name") == 0 ? big.buf : "\"G\"";
    const char *dept = strcmp(where, "departments") == 0 ? big.buf : "\"D1\"";
    const char *value = strcmp(where, "value") == 0 ? big.buf : "\"a\"";
    const char *allow = strcmp(where, "allow") == 0 ? big.buf : "\"u1\"";
    rs_sb_printf(&sb, "{\"id\": %s, \"name\": %s, \"departments\": {\"ids\": [%s]},\n"
                      " \"conditions\": [{\"id\": 1, \"field\": \"city\", \"op\": \"equals\", "
                      "\"value\": %s}],\n \"allow\": [\"u0\", %s]}",
                 id, name, dept, value, allow);
    rs_sb_free(&big);
    return rs_sb_take(&sb);
}

/* One limit for a string in both forms (RS_MAX_STRING_BYTES, E0003 at the string with its JSON
 * path): fmt --to text never writes a string the text form refuses. */
START_TEST(string_length_limit) {
    static const struct {
        const char *where, *path;
        uint32_t line, col;
    } places[] = {{"id", "id", 1, 8},
                  {"name", "name", 1, 21},
                  {"departments", "departments.ids[0]", 1, 50},
                  {"value", "conditions[0].value", 2, 69},
                  {"allow", "allow[1]", 3, 18}};
    for (size_t i = 0; i < RS_ARRAY_LEN(places); i++) {
        char *text = group_with_long_string(places[i].where, RS_MAX_STRING_BYTES + 1, 'x');
        parsed p = parse(text);
        ck_assert_msg(p.d->n == 1, "%s: %zu diagnostics", places[i].where, p.d->n);
        ck_diag(&p, 0, RS_E_STRING_TOO_LONG, places[i].line, places[i].col, places[i].path);
        ck_assert_str_eq(p.d->items[0].message, "string is 65537 bytes long; the limit is 65536 bytes");
        drop(&p);
        free(text);
    }
    /* At the limit, in every place: read, written as text, and read back from text unchanged; also
     * when the bytes are control characters that the text form writes as \u00XX escapes. */
    static const char fills[] = {'x', '\x01'};
    for (size_t f = 0; f < RS_ARRAY_LEN(fills); f++)
        for (size_t i = 0; i < RS_ARRAY_LEN(places); i++) {
            char *text = group_with_long_string(places[i].where, RS_MAX_STRING_BYTES, fills[f]);
            parsed p = parse(text);
            ck_clean(&p);
            rs_sb out = {0};
            rs_fmt_text(p.f, &out);
            parsed t = parse_as(out.buf, false);
            ck_clean(&t);
            ck_assert(ast_file_equal(p.f, t.f));
            drop(&t);
            drop(&p);
            rs_sb_free(&out);
            free(text);
        }
}
END_TEST

START_TEST(numbers_out_of_range) {
    parsed p = parse("{\"id\": \"n\", \"name\": \"N\", \"conditions\": [{\"id\": 1, \"field\": \"a\", "
                     "\"op\": \"equals\", \"value\": 9007199254740993}, {\"id\": 2, \"field\": \"a\", "
                     "\"op\": \"equals\", \"value\": 1e-500}]}");
    ck_diag(&p, 0, RS_E_BAD_NUMBER, 1, 90, "conditions[0].value");
    ck_assert_str_eq(p.d->items[0].message, "number 9007199254740993 is out of range");
    ck_diag(&p, 1, RS_E_BAD_NUMBER, 1, 158, "conditions[1].value");
    drop(&p);
}
END_TEST

START_TEST(parse_any_picks_the_form) {
    const char *texts[] = {"  \n[{\"id\": \"a\", \"name\": \"A\"}]", "group \"a\" { name \"A\" }",
                           "\xEF\xBB\xBF{\"id\": \"a\", \"name\": \"A\"}"};
    for (size_t i = 0; i < 3; i++) {
        rs_source *src = rs_source_new("x", rs_strdup(texts[i]), strlen(texts[i]));
        rs_diags *d = rs_malloc(sizeof *d);
        rs_diags_init(d);
        ast_file *f = rs_parse_any(src, d);
        ck_assert_msg(f && d->n == 0, "text %zu: %s", i, d->n ? d->items[0].message : "no AST");
        ck_assert_str_eq(f->groups[0].name.s, "A");
        ast_file_free(f);
        free(d);
        rs_source_free(src);
    }
}
END_TEST

static Suite *rule_json_suite(void) {
    Suite *s = suite_create("rule_json");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, group_object);
    tcase_add_test(tc, array_and_wrapper);
    tcase_add_test(tc, values_by_arity);
    tcase_add_test(tc, value_kinds);
    tcase_add_test(tc, match_and_where_spans);
    tcase_add_test(tc, same_ast_as_text);
    tcase_add_test(tc, parse_any_picks_the_form);
    suite_add_tcase(s, tc);
    TCase *errs = tcase_create("diagnostics");
    tcase_add_test(errs, invalid_json);
    tcase_add_test(errs, shape_errors_name_their_path);
    tcase_add_test(errs, unknown_keys_and_operators);
    tcase_add_test(errs, group_level_errors);
    tcase_add_test(errs, numbers_out_of_range);
    tcase_add_test(errs, invalid_utf8_is_e0004);
    tcase_add_test(errs, string_length_limit);
    suite_add_tcase(s, errs);
    return s;
}

RS_TEST_MAIN(rule_json_suite)
