/* check_checker.c: every checker diagnostic (code, line and column, help line), the side table the
 * checker fills, and docs/diagnostics.md covering every code of the X-macro. Rule text goes through
 * the real parser; the schema is tests/data/compiler/schema.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/diag.h"
#include "common/schema.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/check.h"
#include "grammar/grammar.h"
#include "tests/testutil.h"

#define SCHEMA_PATH RS_TEST_DATA "/compiler/schema.json"
#define MAXF 4

/* A group "g" named "G": the body's first line is line 3. */
#define G(body) "group \"g\" {\n  name \"G\"\n" body "}\n"

static rs_schema *schema;

static void setup(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    schema = rs_schema_load(SCHEMA_PATH, d);
    ck_assert_msg(schema != NULL, "cannot load %s", SCHEMA_PATH);
    free(d);
}

static void teardown(void) {
    rs_schema_free(schema);
    schema = NULL;
}

typedef struct fixture {
    rs_source *src[MAXF];
    ast_file *ast[MAXF];
    size_t n;
    rs_checked *c;
    rs_diags *d;
    char rendered[8192];
} fixture;

static void render(fixture *fx) {
    rs_sb sb = {0};
    rs_diags_render_text(fx->d, &sb, false);
    snprintf(fx->rendered, sizeof fx->rendered, "%s", sb.buf ? sb.buf : "(no diagnostics)");
    rs_sb_free(&sb);
}

/* Parses each text as its own file (text or JSON form, by content), then checks them together. Unless lenient, parse errors fail
 * the test (the group-shape errors E0108-E0110 may come from the parser or the checker). */
static fixture *run_any(const char *const *texts, size_t n, const rs_idset *ids, bool lenient) {
    fixture *fx = rs_calloc(1, sizeof *fx);
    fx->d = rs_malloc(sizeof *fx->d);
    rs_diags_init(fx->d);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%zu.rule", i);
        fx->src[i] = rs_source_new(name, rs_strdup(texts[i]), strlen(texts[i]));
        fx->ast[i] = rs_parse_any(fx->src[i], fx->d);
        fx->n++;
        render(fx);
        ck_assert_msg(fx->ast[i] && (lenient || !rs_diags_has_errors(fx->d)), "parse failed:\n%s", fx->rendered);
    }
    fx->c = rs_check((const ast_file *const *)fx->ast, n, schema, ids, fx->d);
    render(fx);
    return fx;
}

static fixture *run_files(const char *const *texts, size_t n, const rs_idset *ids) {
    return run_any(texts, n, ids, false);
}
static fixture *run_ids(const char *text, const rs_idset *ids) { return run_files(&text, 1, ids); }
static fixture *run(const char *text) { return run_files(&text, 1, NULL); }
static fixture *run_lenient(const char *text) { return run_any(&text, 1, NULL, true); }

static void fixture_free(fixture *fx) {
    rs_checked_free(fx->c);
    for (size_t i = 0; i < fx->n; i++) {
        ast_file_free(fx->ast[i]);
        rs_source_free(fx->src[i]);
    }
    free(fx->d);
    free(fx);
}

static void position(const rs_diag *dg, uint32_t *line, uint32_t *col) {
    rs_source_position(dg->src, dg->span.start, line, col);
}

/* The i-th diagnostic has this code and position. */
static const rs_diag *expect_at(fixture *fx, size_t i, rs_code code, uint32_t line, uint32_t col) {
    ck_assert_msg(i < fx->d->n, "expected a diagnostic #%zu, got:\n%s", i, fx->rendered);
    const rs_diag *dg = &fx->d->items[i];
    uint32_t l, c;
    position(dg, &l, &c);
    char want[8], got[8];
    ck_assert_msg(dg->code == code && l == line && c == col, "expected %s at %u:%u, got %s at %u:%u:\n%s",
                  rs_code_str(code, want), line, col, rs_code_str(dg->code, got), l, c, fx->rendered);
    return dg;
}

static void expect_count(fixture *fx, size_t n) {
    ck_assert_msg(fx->d->n == n, "expected %zu diagnostics, got %zu:\n%s", n, fx->d->n, fx->rendered);
}

/* Exactly one diagnostic, with this code and position. */
static const rs_diag *expect_one(fixture *fx, rs_code code, uint32_t line, uint32_t col) {
    ck_assert_msg(fx->d->n == 1, "expected exactly one diagnostic, got %zu:\n%s", fx->d->n, fx->rendered);
    return expect_at(fx, 0, code, line, col);
}

static void expect_none(fixture *fx) {
    ck_assert_msg(fx->d->n == 0, "expected no diagnostics:\n%s", fx->rendered);
    for (size_t i = 0; i < fx->c->ngroups; i++) ck_assert(fx->c->groups[i].ok);
}

static void expect_help(const rs_diag *dg, const char *part) {
    ck_assert_msg(strstr(dg->help, part) != NULL, "help '%s' lacks '%s'", dg->help, part);
}

static void expect_message(const rs_diag *dg, const char *part) {
    ck_assert_msg(strstr(dg->message, part) != NULL, "message '%s' lacks '%s'", dg->message, part);
}

/* ---- fields and operators ---- */

START_TEST(unknown_field_suggests) {
    fixture *fx = run(G("  1: job_titel equals \"x\"\n"));
    const rs_diag *dg = expect_one(fx, RS_E_UNKNOWN_FIELD, 3, 6);
    expect_message(dg, "unknown field 'job_titel'");
    expect_help(dg, "did you mean 'job_title'?");
    ck_assert(!fx->c->groups[0].ok);
    ck_assert(!fx->c->groups[0].conds[0].ok);
    ck_assert_ptr_null(fx->c->groups[0].conds[0].field);
    fixture_free(fx);
}
END_TEST

START_TEST(unknown_field_lists_fields) {
    fixture *fx = run(G("  1: qqqqqqqqqqqq is empty\n"));
    const rs_diag *dg = expect_one(fx, RS_E_UNKNOWN_FIELD, 3, 6);
    expect_help(dg, "job_title");
    expect_help(dg, "main_department");
    fixture_free(fx);
}
END_TEST

START_TEST(operator_wrong_for_type) {
    fixture *fx = run(G("  1: salary contains 5\n"));
    const rs_diag *dg = expect_one(fx, RS_E_BAD_OPERATOR, 3, 13);
    expect_message(dg, "`contains` cannot be used on 'salary', a number field");
    expect_help(dg, "greater than");
    fixture_free(fx);
}
END_TEST

START_TEST(number_operator_on_date) {
    fixture *fx = run(G("  1: join_date greater than 2026-01-01\n"));
    const rs_diag *dg = expect_one(fx, RS_E_BAD_OPERATOR, 3, 16);
    expect_help(dg, "is on or after");
    fixture_free(fx);
}
END_TEST

START_TEST(operator_family_rules) {
    /* each line is valid, except the ones marked */
    fixture *fx = run(G("  1: city starts with \"Sh\"\n"
                        "  2: main_department belong to (\"D1\")\n"
                        "  3: department include all (\"D1\", \"D2\")\n"
                        "  4: leader reports to \"u1\"\n"
                        "  5: city reports to \"u1\"\n"                       /* E0202 */
                        "  6: main_department include all (\"D1\")\n"          /* E0202: single */
                        "  7: employee_type contains \"Intern\"\n"             /* E0202: option */
                        "  8: cost_center partly belong to (\"D1\") with sub-departments\n"
                        "  9: salary is between 1 and 2\n"));
    expect_count(fx, 3);
    expect_at(fx, 0, RS_E_BAD_OPERATOR, 7, 11);
    expect_at(fx, 1, RS_E_BAD_OPERATOR, 8, 22);
    expect_at(fx, 2, RS_E_BAD_OPERATOR, 9, 20);
    fixture_free(fx);
}
END_TEST

START_TEST(equals_on_multi_field) {
    fixture *fx = run(G("  1: skills equals \"Go\"\n"));
    const rs_diag *dg = expect_one(fx, RS_E_MULTI_OPERATOR, 3, 13);
    expect_help(dg, "is any of");
    fixture_free(fx);
}
END_TEST

/* ---- values ---- */

START_TEST(number_in_quotes) {
    fixture *fx = run(G("  1: salary equals \"42\"\n"));
    const rs_diag *dg = expect_one(fx, RS_E_BAD_VALUE_TYPE, 3, 20);
    expect_help(dg, "write numbers without quotes: 42");
    fixture_free(fx);
}
END_TEST

/* A quoted date is a date (the JSON form has no other way to write one). */
START_TEST(date_in_quotes) {
    fixture *fx = run(G("  1: join_date is after \"2026-01-01\"\n"));
    expect_none(fx);
    ck_assert_int_eq(fx->c->groups[0].conds[0].values[0].day, 20454);
    fixture_free(fx);
}
END_TEST

START_TEST(wrong_types_everywhere) {
    fixture *fx = run(G("  1: city equals 42\n"
                        "  2: is_manager equals \"yes\"\n"
                        "  3: join_date equals 7\n"
                        "  4: leader equals true\n"));
    expect_count(fx, 4);
    expect_help(expect_at(fx, 0, RS_E_BAD_VALUE_TYPE, 3, 18), "\"42\"");
    expect_help(expect_at(fx, 1, RS_E_BAD_VALUE_TYPE, 4, 24), "true or false");
    expect_help(expect_at(fx, 2, RS_E_BAD_VALUE_TYPE, 5, 23), "YYYY-MM-DD");
    expect_at(fx, 3, RS_E_BAD_VALUE_TYPE, 6, 20);
    fixture_free(fx);
}
END_TEST

static void expect_text(const rs_cvalue *v, const char *want) {
    ck_assert_msg(v->str && v->len == strlen(want) && memcmp(v->str, want, v->len) == 0, "value '%.*s', want '%s'",
                  (int)v->len, v->str ? v->str : "", want);
}

START_TEST(date_literal_as_text) {
    fixture *fx = run(G("  1: job_title equals 2026-01-01\n"
                        "  2: city is any of (\"Today\", \"2026-01-01\", \"today - 3 days\")\n"));
    expect_none(fx);
    expect_text(&fx->c->groups[0].conds[0].values[0], "2026-01-01");
    expect_text(&fx->c->groups[0].conds[1].values[0], "Today");
    expect_text(&fx->c->groups[0].conds[1].values[1], "2026-01-01");
    expect_text(&fx->c->groups[0].conds[1].values[2], "today - 3 days");
    fixture_free(fx);
}
END_TEST

/* The JSON form writes dates as strings: accepted on date fields, and as text on text fields. */
START_TEST(json_form_dates) {
    fixture *fx = run("{\"id\": \"j\", \"name\": \"J\", \"conditions\": [\n"
                      " {\"id\": 1, \"field\": \"join_date\", \"op\": \"is on or after\", \"value\": \"2026-01-01\"},\n"
                      " {\"id\": 2, \"field\": \"city\", \"op\": \"equals\", \"value\": \"2026-01-01\"},\n"
                      " {\"id\": 3, \"field\": \"join_date\", \"op\": \"is before\", \"value\": \"today - 3 days\"},\n"
                      " {\"id\": 4, \"field\": \"job_titel\", \"op\": \"equals\", \"value\": \"x\"}]}\n");
    const rs_diag *dg = expect_one(fx, RS_E_UNKNOWN_FIELD, 5, 21);
    ck_assert_ptr_nonnull(strstr(fx->rendered, "conditions[3].field"));
    expect_help(dg, "did you mean 'job_title'?");
    const rs_cgroup *g = &fx->c->groups[0];
    ck_assert_int_eq(g->conds[0].values[0].day, 20454);
    expect_text(&g->conds[1].values[0], "2026-01-01");
    ck_assert(g->conds[2].values[0].is_today);
    ck_assert_int_eq(g->conds[2].values[0].day, -3);
    fixture_free(fx);
}
END_TEST

/* Where text is expected, a date means its canonical spelling, so fmt never changes a meaning. */
START_TEST(relative_date_as_text) {
    fixture *fx = run(G("  1: job_title equals today\n  2: join_date is after \"today - 3 days\"\n"
                        "  3: job_title is any of (today + 1 week, today - 10 days)\n"));
    expect_none(fx);
    expect_text(&fx->c->groups[0].conds[0].values[0], "today");
    ck_assert(fx->c->groups[0].conds[1].values[0].is_today);
    expect_text(&fx->c->groups[0].conds[2].values[0], "today + 1 week");
    expect_text(&fx->c->groups[0].conds[2].values[1], "today - 10 days");
    fixture_free(fx);
}
END_TEST

START_TEST(option_outside_list) {
    fixture *fx = run(G("  1: employee_type equals \"Interns\"\n"));
    const rs_diag *dg = expect_one(fx, RS_E_UNKNOWN_OPTION, 3, 27);
    expect_help(dg, "did you mean 'Intern'?");
    expect_help(dg, "Contractor");
    fixture_free(fx);
}
END_TEST

/* A long option list is cut at a whole option, and says how many it left out. */
START_TEST(option_list_cut_short) {
    rs_sb sb = {0};
    rs_sb_puts(&sb, "{\"fields\": [{\"name\": \"site\", \"type\": \"option\", \"options\": [");
    for (int i = 0; i < 200; i++) rs_sb_printf(&sb, "%s\"Office number %03d\"", i ? ", " : "", i);
    rs_sb_puts(&sb, "]}]}");
    rs_diags d;
    rs_diags_init(&d);
    rs_schema *keep = schema;
    schema = rs_schema_parse("long.json", sb.buf, sb.len, &d);
    ck_assert_ptr_nonnull(schema);
    fixture *fx = run(G("  1: site equals \"Office 7\"\n"));
    const rs_diag *dg = expect_one(fx, RS_E_UNKNOWN_OPTION, 3, 18);
    expect_help(dg, "Office number 000, Office number 001");
    expect_help(dg, "more (schema.json lists them all)");
    const char *more = strstr(dg->help, ", and ");
    ck_assert_ptr_nonnull(more);
    ck_assert(more[-1] >= '0' && more[-1] <= '9');   /* the last one shown is whole */
    fixture_free(fx);
    rs_schema_free(schema);
    schema = keep;
    rs_sb_free(&sb);
}
END_TEST

START_TEST(option_ignores_case) {
    fixture *fx = run(G("  1: skills is any of (\"go\", \"RUST\")\n"));
    expect_none(fx);
    ck_assert_int_eq(fx->c->groups[0].conds[0].values[0].option, 1);
    ck_assert_int_eq(fx->c->groups[0].conds[0].values[1].option, 2);
    fixture_free(fx);
}
END_TEST

START_TEST(between_order) {
    fixture *fx = run(G("  1: join_date is between 2026-05-01 and 2026-01-01\n"
                        "  2: join_date is between today + 5 days and today - 3 days\n"
                        "  3: salary is between 10 and 5\n"
                        "  4: join_date is between 2026-01-01 and today\n"));
    expect_count(fx, 3);
    expect_help(expect_at(fx, 0, RS_E_BETWEEN_ORDER, 3, 27), "is between 2026-01-01 and 2026-05-01");
    expect_at(fx, 1, RS_E_BETWEEN_ORDER, 4, 27);
    expect_at(fx, 2, RS_E_BETWEEN_ORDER, 5, 24);
    fixture_free(fx);
}
END_TEST

START_TEST(between_mixed_on_multi) {
    fixture *fx = run(G("  1: review_dates is between 2026-01-01 and today\n"));
    expect_one(fx, RS_E_BAD_VALUE_TYPE, 3, 30);
    fixture_free(fx);
}
END_TEST

START_TEST(empty_list) {
    fixture *fx = run(G("  1: city is any of ()\n"));
    const rs_diag *dg = expect_one(fx, RS_E_EMPTY_LIST, 3, 21);
    expect_help(dg, "is empty");
    fixture_free(fx);
}
END_TEST

START_TEST(value_listed_twice) {
    fixture *fx = run(G("  1: city is any of (\"Paris\", \"Rome\", \"paris\")\n"
                        "  2: salary is none of (1, 2, 1.0)\n"));
    expect_count(fx, 2);
    expect_at(fx, 0, RS_E_DUPLICATE_VALUE, 3, 39);
    expect_at(fx, 1, RS_E_DUPLICATE_VALUE, 4, 31);
    ck_assert(fx->c->groups[0].ok);   /* a warning does not stop compilation */
    fixture_free(fx);
}
END_TEST

START_TEST(list_where_one_value) {
    fixture *fx = run(G("  1: city equals (\"A\", \"B\")\n"
                        "  2: city is any of \"A\"\n"));
    expect_count(fx, 2);
    expect_help(expect_at(fx, 0, RS_E_BAD_ARITY, 3, 18), "is any of");
    expect_at(fx, 1, RS_E_BAD_ARITY, 4, 21);
    fixture_free(fx);
}
END_TEST

START_TEST(sub_departments_not_allowed) {
    fixture *fx = run(G("  1: department belong to (\"D1\") with sub-departments\n"));
    expect_one(fx, RS_E_SUBDEPT_NOT_ALLOWED, 3, 34);
    fixture_free(fx);
}
END_TEST

/* ---- numbering and match ---- */

static char *many_conditions(int n, bool where) {
    rs_sb sb = {0};
    rs_sb_puts(&sb, "group \"g\" {\n  name \"G\"\n");
    if (where) rs_sb_puts(&sb, "  where city equals \"c0\"\n");
    for (int i = 1; i <= n; i++) {
        if (where) rs_sb_printf(&sb, "    or city equals \"c%d\"\n", i);
        else rs_sb_printf(&sb, "  %d: city equals \"c%d\"\n", i, i);
    }
    rs_sb_puts(&sb, "}\n");
    return rs_sb_take(&sb);
}

START_TEST(too_many_conditions) {
    char *text = many_conditions(21, false);
    fixture *fx = run(text);
    expect_count(fx, 2);
    expect_at(fx, 0, RS_E_CONDITION_RANGE, 23, 3);
    expect_at(fx, 1, RS_E_TOO_MANY_CONDITIONS, 23, 3);
    fixture_free(fx);
    free(text);
}
END_TEST

START_TEST(too_many_where_conditions) {
    char *text = many_conditions(20, true);   /* 21 conditions: c0 .. c20 */
    fixture *fx = run(text);
    expect_one(fx, RS_E_TOO_MANY_CONDITIONS, 23, 8);
    fixture_free(fx);
    free(text);
}
END_TEST

START_TEST(condition_number_range) {
    fixture *fx = run(G("  0: city is empty\n  21: city is empty\n"));
    expect_count(fx, 2);
    expect_at(fx, 0, RS_E_CONDITION_RANGE, 3, 3);
    expect_at(fx, 1, RS_E_CONDITION_RANGE, 4, 3);
    fixture_free(fx);
}
END_TEST

START_TEST(condition_declared_twice) {
    fixture *fx = run(G("  1: city is empty\n  1: job_title is empty\n"));
    const rs_diag *dg = expect_one(fx, RS_E_DUPLICATE_CONDITION, 4, 3);
    expect_help(dg, "line 3");
    fixture_free(fx);
}
END_TEST

START_TEST(match_undeclared) {
    fixture *fx = run(G("  1: city is empty\n  match 1 and 2\n"));
    expect_one(fx, RS_E_UNDECLARED_CONDITION, 4, 15);
    fixture_free(fx);
}
END_TEST

/* A condition the parser could not read is reported once, by its syntax error: `match` does not
 * also call it undeclared, in either form. */
START_TEST(match_names_unreadable_condition) {
    fixture *fx = run_lenient(G("  1: job_title equalz \"x\"\n  2: city is empty\n  match 1 and 2\n"));
    expect_one(fx, RS_E_SYNTAX, 3, 16);
    fixture_free(fx);
    fx = run_lenient("{\"id\": \"j\", \"name\": \"J\", \"conditions\": [\n"
                     " {\"id\": 1, \"field\": \"city\", \"op\": \"equalz\", \"value\": \"x\"},\n"
                     " {\"id\": 2, \"field\": \"city\", \"op\": \"is empty\"}],\n"
                     " \"match\": \"1 and 2 and 3\"}\n");
    expect_count(fx, 2);
    expect_at(fx, 0, RS_E_JSON_UNKNOWN_OP, 2, 35);
    expect_at(fx, 1, RS_E_UNDECLARED_CONDITION, 4, 24);   /* 3 was never declared */
    fixture_free(fx);
    fx = run_lenient(G("  1: job_title equalz \"x\"\n  match 1\n"));   /* no "match without conditions" */
    expect_one(fx, RS_E_SYNTAX, 3, 16);
    fixture_free(fx);
}
END_TEST

START_TEST(match_reuses) {
    fixture *fx = run(G("  1: city is empty\n  2: job_title is empty\n  match 1 or (2 and 1)\n"));
    expect_one(fx, RS_E_CONDITION_REUSED, 5, 21);
    fixture_free(fx);
}
END_TEST

START_TEST(match_misses) {
    fixture *fx = run(G("  1: city is empty\n  2: job_title is empty\n  3: salary is empty\n  match 1 and 2\n"));
    const rs_diag *dg = expect_one(fx, RS_E_CONDITION_UNUSED, 5, 3);
    expect_help(dg, "use 3 in `match`");
    fixture_free(fx);
}
END_TEST

START_TEST(match_with_not) {
    fixture *fx = run(G("  1: city is empty\n  2: job_title is empty\n  match 1 and not 2\n"));
    const rs_diag *dg = expect_one(fx, RS_E_NOT_IN_MATCH, 5, 15);
    expect_help(dg, "not equal to");
    fixture_free(fx);
}
END_TEST

START_TEST(match_without_conditions) {
    fixture *fx = run(G("  match 1\n"));
    expect_one(fx, RS_E_MATCH_WITHOUT_CONDITIONS, 3, 3);
    fixture_free(fx);
}
END_TEST

START_TEST(where_mixed_with_numbered) {
    fixture *fx = run_lenient(G("  1: city is empty\n  where job_title is empty\n"));
    expect_one(fx, RS_E_MIXED_FORMS, 4, 3);
    ck_assert(!fx->c->groups[0].ok);
    fixture_free(fx);
}
END_TEST

/* ---- group items ---- */

static char *id_list(const char *kw, const char *prefix, int n) {
    rs_sb sb = {0};
    rs_sb_printf(&sb, "group \"g\" {\n  name \"G\"\n  %s ", kw);
    for (int i = 0; i < n; i++) rs_sb_printf(&sb, "%s\"%s%d\"", i ? ", " : "", prefix, i);
    rs_sb_puts(&sb, "\n}\n");
    return rs_sb_take(&sb);
}

/* Column of the i-th (0-based) entry of id_list's line: after "  kw " and i entries "\"pX\", ". */
static uint32_t id_col(const char *kw, const char *prefix, int i) {
    uint32_t col = 3 + (uint32_t)strlen(kw) + 1;
    for (int j = 0; j < i; j++) {
        char buf[32];
        col += (uint32_t)snprintf(buf, sizeof buf, "\"%s%d\", ", prefix, j);
    }
    return col;
}

START_TEST(too_many_departments) {
    char *text = id_list("departments", "D", 11);
    fixture *fx = run(text);
    expect_one(fx, RS_E_TOO_MANY_DEPARTMENTS, 3, id_col("departments", "D", 10));
    fixture_free(fx);
    free(text);
}
END_TEST

START_TEST(too_many_allowed) {
    char *text = id_list("allow", "u", 101);
    fixture *fx = run(text);
    expect_one(fx, RS_E_TOO_MANY_MEMBERS, 3, id_col("allow", "u", 100));
    fixture_free(fx);
    free(text);
}
END_TEST

START_TEST(allowed_and_blocked) {
    fixture *fx = run(G("  allow \"u1\", \"u2\"\n  block \"u3\", \"u2\"\n"));
    const rs_diag *dg = expect_one(fx, RS_E_ALLOWED_AND_BLOCKED, 4, 15);
    expect_help(dg, "line 3");
    fixture_free(fx);
}
END_TEST

START_TEST(duplicate_ids_in_lists) {
    fixture *fx = run(G("  departments \"D1\", \"D2\", \"D1\"\n  block \"u1\", \"u1\"\n"));
    expect_count(fx, 2);
    expect_at(fx, 0, RS_E_DUPLICATE_VALUE, 3, 27);
    expect_at(fx, 1, RS_E_DUPLICATE_VALUE, 4, 15);
    fixture_free(fx);
}
END_TEST

START_TEST(group_without_name) {
    fixture *fx = run_lenient("group \"g\" {\n  1: city is empty\n}\n");
    const rs_diag *dg = expect_one(fx, RS_E_MISSING_NAME, 1, 7);
    expect_help(dg, "name \"");
    ck_assert(!fx->c->groups[0].ok);
    fixture_free(fx);
}
END_TEST

START_TEST(group_empty_id) {
    fixture *fx = run_lenient("group \"\" {\n  name \"G\"\n}\n");
    expect_one(fx, RS_E_EMPTY_GROUP_ID, 1, 7);
    ck_assert(!fx->c->groups[0].ok);
    fixture_free(fx);
}
END_TEST

START_TEST(duplicate_group_id_across_files) {
    const char *texts[] = {"group \"sales\" {\n  name \"Sales\"\n}\n",
                           "\ngroup \"sales\" {\n  name \"Sales 2\"\n}\n"};
    fixture *fx = run_files(texts, 2, NULL);
    const rs_diag *dg = expect_one(fx, RS_E_DUPLICATE_GROUP_ID, 2, 7);
    ck_assert_str_eq(dg->src->name, "f1.rule");
    expect_help(dg, "f0.rule:1:7");
    ck_assert(fx->c->groups[0].ok);
    ck_assert(!fx->c->groups[1].ok);
    fixture_free(fx);
}
END_TEST

START_TEST(duplicate_group_name_ignoring_case) {
    fixture *fx = run("group \"a\" {\n  name \"Sales\"\n}\ngroup \"b\" {\n  name \"sALES\"\n}\n");
    expect_one(fx, RS_E_DUPLICATE_GROUP_NAME, 5, 8);
    fixture_free(fx);
}
END_TEST

/* ---- against a snapshot ---- */

static bool known(const char *const *list, const char *id, size_t len) {
    for (; *list; list++)
        if (strlen(*list) == len && memcmp(*list, id, len) == 0) return true;
    return false;
}

static bool has_dept(void *ctx, const char *id, size_t len) {
    (void)ctx;
    static const char *const depts[] = {"D1", "D2", NULL};
    return known(depts, id, len);
}

static bool has_member(void *ctx, const char *id, size_t len) {
    (void)ctx;
    static const char *const members[] = {"u1", "u2", NULL};
    return known(members, id, len);
}

START_TEST(ids_against_snapshot) {
    rs_idset ids = {NULL, has_dept, has_member};
    fixture *fx = run_ids(G("  departments \"D1\", \"D9\"\n"
                            "  1: cost_center partly belong to (\"D2\", \"d1\")\n"
                            "  2: leader reports to \"u7\"\n"
                            "  3: mentors is any of (\"u1\", \"U2\")\n"
                            "  allow \"u2\", \"u8\"\n"
                            "  block \"x\"\n"),
                          &ids);
    expect_count(fx, 6);
    expect_at(fx, 0, RS_E_UNKNOWN_DEPARTMENT, 4, 42);
    expect_at(fx, 1, RS_E_UNKNOWN_MEMBER, 5, 24);
    expect_at(fx, 2, RS_E_UNKNOWN_MEMBER, 6, 31);
    expect_at(fx, 3, RS_E_UNKNOWN_DEPARTMENT, 3, 21);
    expect_at(fx, 4, RS_E_UNKNOWN_MEMBER, 7, 15);
    expect_at(fx, 5, RS_E_UNKNOWN_MEMBER, 8, 9);
    fixture_free(fx);
}
END_TEST

/* ---- the side table, and going on after errors ---- */

START_TEST(checked_values) {
    fixture *fx = run(G("  where salary at least 3.5 and is_manager equals true\n"
                        "    and join_date is on or after today - 2 weeks and not (employee_type equals \"INTERN\")\n"));
    expect_none(fx);
    const rs_cgroup *g = &fx->c->groups[0];
    ck_assert_uint_eq(g->nwhere, 4);
    ck_assert_str_eq(g->where_conds[0]->field->name, "salary");
    ck_assert(g->where_conds[0]->values[0].num == 3.5);
    ck_assert(g->where_conds[1]->values[0].num == 1);
    ck_assert(g->where_conds[2]->values[0].is_today);
    ck_assert_int_eq(g->where_conds[2]->values[0].day, -14);
    ck_assert_int_eq(g->where_conds[3]->values[0].option, 0);
    ck_assert_int_eq(g->where_conds[3]->field_index, rs_schema_index(schema, "employee_type"));
    const ast_cond *ac = g->where_conds[3]->ast;
    ck_assert_ptr_eq(rs_checked_cond(g, ac), g->where_conds[3]);
    fixture_free(fx);
}
END_TEST

START_TEST(keeps_going) {
    fixture *fx = run("group \"a\" {\n  name \"A\"\n  1: citty is empty\n}\n"
                      "group \"b\" {\n  name \"B\"\n  1: salary equals \"1\"\n  2: city is empty\n  match 1\n}\n"
                      "group \"c\" {\n  name \"C\"\n  1: city is empty\n}\n");
    expect_count(fx, 3);
    expect_at(fx, 0, RS_E_UNKNOWN_FIELD, 3, 6);
    expect_at(fx, 1, RS_E_BAD_VALUE_TYPE, 7, 20);
    expect_at(fx, 2, RS_E_CONDITION_UNUSED, 8, 3);
    ck_assert(!fx->c->groups[0].ok && !fx->c->groups[1].ok && fx->c->groups[2].ok);
    fixture_free(fx);
}
END_TEST

/* ---- docs/diagnostics.md lists every code ---- */

START_TEST(docs_list_every_code) {
    char *doc;
    size_t len;
    ck_assert_msg(rs_read_file("docs/diagnostics.md", 1u << 20, &doc, &len) == 0, "docs/diagnostics.md missing");
    static const rs_code codes[] = {
#define DIAG(num, name, sev, summary) RS_E_##name,
        RS_DIAG_CODES(DIAG)
#undef DIAG
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(codes); i++) {
        char code[8], heading[24];
        snprintf(heading, sizeof heading, "## %s", rs_code_str(codes[i], code));
        ck_assert_msg(strstr(doc, heading) != NULL, "docs/diagnostics.md has no section '%s'", heading);
    }
    free(doc);
}
END_TEST

static Suite *checker_suite(void) {
    Suite *s = suite_create("checker");
    TCase *t = tcase_create("diagnostics");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, unknown_field_suggests);
    tcase_add_test(t, unknown_field_lists_fields);
    tcase_add_test(t, operator_wrong_for_type);
    tcase_add_test(t, number_operator_on_date);
    tcase_add_test(t, operator_family_rules);
    tcase_add_test(t, equals_on_multi_field);
    tcase_add_test(t, number_in_quotes);
    tcase_add_test(t, date_in_quotes);
    tcase_add_test(t, wrong_types_everywhere);
    tcase_add_test(t, date_literal_as_text);
    tcase_add_test(t, relative_date_as_text);
    tcase_add_test(t, json_form_dates);
    tcase_add_test(t, option_outside_list);
    tcase_add_test(t, option_list_cut_short);
    tcase_add_test(t, option_ignores_case);
    tcase_add_test(t, between_order);
    tcase_add_test(t, between_mixed_on_multi);
    tcase_add_test(t, empty_list);
    tcase_add_test(t, value_listed_twice);
    tcase_add_test(t, list_where_one_value);
    tcase_add_test(t, sub_departments_not_allowed);
    tcase_add_test(t, too_many_conditions);
    tcase_add_test(t, too_many_where_conditions);
    tcase_add_test(t, condition_number_range);
    tcase_add_test(t, condition_declared_twice);
    tcase_add_test(t, match_undeclared);
    tcase_add_test(t, match_names_unreadable_condition);
    tcase_add_test(t, match_reuses);
    tcase_add_test(t, match_misses);
    tcase_add_test(t, match_with_not);
    tcase_add_test(t, match_without_conditions);
    tcase_add_test(t, where_mixed_with_numbered);
    tcase_add_test(t, too_many_departments);
    tcase_add_test(t, too_many_allowed);
    tcase_add_test(t, allowed_and_blocked);
    tcase_add_test(t, duplicate_ids_in_lists);
    tcase_add_test(t, group_without_name);
    tcase_add_test(t, group_empty_id);
    tcase_add_test(t, duplicate_group_id_across_files);
    tcase_add_test(t, duplicate_group_name_ignoring_case);
    tcase_add_test(t, ids_against_snapshot);
    tcase_add_test(t, checked_values);
    tcase_add_test(t, keeps_going);
    suite_add_tcase(s, t);
    TCase *d = tcase_create("docs");
    tcase_add_test(d, docs_list_every_code);
    suite_add_tcase(s, d);
    return s;
}

RS_TEST_MAIN(checker_suite)
