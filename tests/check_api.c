/* check_api.c: the public C API (api/roster.h): what each call gives on success, and above all its
 * error paths: bad rule text gives diagnostics and NULL, a missing snapshot an error text, NULL
 * arguments are refused, nothing is printed or exits. Under `make asan` every test also runs under
 * LeakSanitizer, so a handle or string the API forgets to free fails it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/roster.h"
#include "tests/testutil.h"

#define ORG "examples/org"
#define SCHEMA "examples/org/schema.json"
#define AS_OF "2026-11-21"
#define MAPPING "mappings/google-to-lark.map"

static roster_snapshot *org(void) {
    roster_snapshot *s = NULL;
    ck_assert_int_eq(roster_snapshot_load(&s, ORG, NULL), ROSTER_OK);
    ck_assert_ptr_nonnull(s);
    return s;
}

static roster_rules *example_rules(const roster_snapshot *s) {
    const char *paths[] = {"examples/rules", "examples/rules-json"};
    roster_rules *r = NULL;
    ck_assert_int_eq(roster_rules_compile(&r, paths, 2, NULL, s, NULL), ROSTER_OK);
    ck_assert_ptr_nonnull(r);
    return r;
}

static void assert_has(const char *text, const char *want) {
    ck_assert_msg(strstr(text, want) != NULL, "'%s' lacks '%s'", text, want);
}

/* ---- version, statuses ---- */

START_TEST(version_and_statuses) {
    ck_assert_str_eq(roster_version(), ROSTER_VERSION);
    ck_assert_str_eq(roster_status_text(ROSTER_OK), "success");
    ck_assert_str_eq(roster_status_text(ROSTER_ERR_INPUT), "invalid input");
    ck_assert_str_eq(roster_status_text(42), "unknown status");
    roster_free(NULL);
    roster_diags_free(NULL);
    roster_snapshot_free(NULL);
    roster_rules_free(NULL);
    roster_result_free(NULL);
    roster_mapper_free(NULL);
    ck_assert_str_eq(roster_diags_text(NULL), "");
    ck_assert_str_eq(roster_diags_json(NULL), "");
    ck_assert_uint_eq(roster_diags_errors(NULL), 0);
    ck_assert_uint_eq(roster_snapshot_members(NULL), 0);
    ck_assert_uint_eq(roster_rules_count(NULL), 0);
    ck_assert_ptr_null(roster_rules_group(NULL, 0));
}
END_TEST

/* ---- rules ---- */

START_TEST(bad_rule_text_gives_diagnostics_and_null) {
    static const char text[] = "group \"g\" {\n  name \"G\"\n  where job_titel equals \"x\"\n}\n";
    roster_diags *d = roster_diags_new();
    roster_rules *r = (roster_rules *)&r;   /* not NULL: the call must reset it */
    ck_assert_int_eq(roster_rules_compile_text(&r, "bad.rule", text, strlen(text), SCHEMA, NULL, d),
                     ROSTER_ERR_INPUT);
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(roster_diags_errors(d), 1);
    assert_has(roster_diags_text(d), "bad.rule:3:9: error[E0201]: unknown field 'job_titel'");
    assert_has(roster_diags_text(d), "did you mean 'job_title'?");
    assert_has(roster_diags_json(d), "\"code\":\"E0201\"");
    assert_has(roster_diags_json(d), "\"file\":\"bad.rule\"");
    /* a syntax error; and the diagnostics of the previous call are gone */
    ck_assert_int_eq(roster_rules_compile_text(&r, NULL, "group {", 7, SCHEMA, NULL, d), ROSTER_ERR_INPUT);
    ck_assert_ptr_null(r);
    assert_has(roster_diags_text(d), "<text>:1:7: error[E0104]");
    ck_assert_ptr_null(strstr(roster_diags_text(d), "E0201"));
    /* more than a rule file may hold */
    size_t big = (8u << 20) + 1;
    char *huge = calloc(big, 1);
    ck_assert_int_eq(roster_rules_compile_text(&r, "big.rule", huge, big, SCHEMA, NULL, d), ROSTER_ERR_INPUT);
    assert_has(roster_diags_text(d), "big.rule: error[E0001]: rule text is larger than 8 MiB");
    free(huge);
    roster_diags_free(d);
}
END_TEST

START_TEST(rule_text_against_a_snapshot) {
    static const char text[] = "group \"lisbon\" {\n  name \"Lisbon\"\n"
                               "  where city is any of (\"Lisbon\", \"Lisbon\")\n}\n"
                               "group \"ghost\" {\n  name \"Ghost\"\n  allow \"u99999\"\n}\n";
    roster_snapshot *s = org();
    roster_diags *d = roster_diags_new();
    roster_rules *r = NULL;
    /* u99999 is not in the snapshot: refused against it, accepted against the schema alone */
    ck_assert_int_eq(roster_rules_compile_text(&r, "t.rule", text, strlen(text), NULL, s, d), ROSTER_ERR_INPUT);
    assert_has(roster_diags_text(d), "E0302");
    ck_assert_int_eq(roster_rules_compile_text(&r, "t.rule", text, strlen(text), SCHEMA, NULL, d), ROSTER_OK);
    ck_assert_uint_eq(roster_diags_errors(d), 0);
    ck_assert_uint_eq(roster_diags_warnings(d), 1);
    assert_has(roster_diags_text(d), "warning[W0221]");
    ck_assert_uint_eq(roster_rules_count(r), 2);
    ck_assert_str_eq(roster_rules_group(r, 0), "lisbon");
    ck_assert_str_eq(roster_rules_group(r, 1), "ghost");
    ck_assert_ptr_null(roster_rules_group(r, 2));
    /* explain needs the rules checked against the snapshot's own schema */
    char *out = NULL;
    ck_assert_int_eq(roster_explain(&out, r, s, "lisbon", "u51", AS_OF, ROSTER_TEXT, d), ROSTER_ERR_ARG);
    ck_assert_ptr_null(out);
    roster_rules_free(r);
    roster_diags_free(d);
    roster_snapshot_free(s);
}
END_TEST

START_TEST(rule_paths_errors) {
    roster_diags *d = roster_diags_new();
    roster_rules *r = NULL;
    const char *missing[] = {"tests/data/no-such.rule"};
    ck_assert_int_eq(roster_rules_compile(&r, missing, 1, SCHEMA, NULL, d), ROSTER_ERR_IO);
    ck_assert_ptr_null(r);
    assert_has(roster_diags_text(d), "tests/data/no-such.rule: error[E0006]");
    const char *rules[] = {"examples/rules"};
    ck_assert_int_eq(roster_rules_compile(&r, rules, 1, "tests/data/no-such.json", NULL, d), ROSTER_ERR_INPUT);
    ck_assert_ptr_null(r);
    ck_assert_uint_ge(roster_diags_errors(d), 1);
    roster_diags_free(d);
}
END_TEST

/* ---- snapshots ---- */

START_TEST(missing_snapshot_gives_an_error_text) {
    roster_diags *d = roster_diags_new();
    roster_snapshot *s = NULL;
    ck_assert_int_eq(roster_snapshot_load(&s, "tests/data/no-such-org", d), ROSTER_ERR_INPUT);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(roster_diags_errors(d), 1);
    assert_has(roster_diags_text(d), "tests/data/no-such-org: error[E0613]: no such snapshot folder or file");
    assert_has(roster_diags_json(d), "\"code\":\"E0613\"");
    s = org();
    ck_assert_uint_eq(roster_snapshot_members(s), 360);
    roster_snapshot_free(s);
    roster_diags_free(d);
}
END_TEST

/* ---- NULL and bad arguments ---- */

START_TEST(null_arguments_refused) {
    roster_diags *d = roster_diags_new();
    roster_snapshot *s = NULL;
    roster_rules *r = NULL;
    roster_result *res = NULL;
    roster_mapper *m = NULL;
    char *out = NULL;
    size_t n = 7;
    const char *paths[] = {"examples/rules"};
    ck_assert_int_eq(roster_snapshot_load(NULL, ORG, d), ROSTER_ERR_ARG);
    assert_has(roster_diags_text(d), "error[E0008]: roster_snapshot_load: out is NULL");
    ck_assert_int_eq(roster_snapshot_load(&s, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_rules_compile(NULL, paths, 1, SCHEMA, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_rules_compile(&r, NULL, 1, SCHEMA, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_rules_compile(&r, paths, 0, SCHEMA, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_rules_compile(&r, paths, 1, NULL, NULL, d), ROSTER_ERR_ARG);
    assert_has(roster_diags_text(d), "needs a schema path or a snapshot");
    ck_assert_int_eq(roster_rules_compile_text(&r, "x", NULL, 0, SCHEMA, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_evaluate(NULL, r, s, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_evaluate(&res, NULL, NULL, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_result_count(NULL, "g", &n, d), ROSTER_ERR_ARG);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(roster_result_count(NULL, "g", NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_result_members(NULL, "g", NULL, &n, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_dry_run(&out, NULL, NULL, "x.db", NULL, ROSTER_TEXT, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_explain(&out, NULL, NULL, "g", "u1", NULL, ROSTER_TEXT, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_mapper_load(&m, NULL, NULL, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_map(&out, &n, NULL, "{}", 2, d), ROSTER_ERR_ARG);
    ck_assert_int_eq(roster_map(NULL, &n, NULL, "{}", 2, NULL), ROSTER_ERR_ARG);   /* no diags: status only */
    ck_assert_ptr_null(s);
    ck_assert_ptr_null(r);
    ck_assert_ptr_null(res);
    ck_assert_ptr_null(m);
    ck_assert_ptr_null(out);
    roster_diags_free(d);
}
END_TEST

/* ---- evaluation, dry-run, explain ---- */

START_TEST(evaluate_counts_and_members) {
    roster_snapshot *s = org();
    roster_rules *r = example_rules(s);
    ck_assert_uint_eq(roster_rules_count(r), 11);
    roster_diags *d = roster_diags_new();
    roster_result *res = NULL;
    ck_assert_int_eq(roster_evaluate(&res, r, s, "21.11.2026", d), ROSTER_ERR_ARG);
    ck_assert_ptr_null(res);
    assert_has(roster_diags_text(d), "bad date '21.11.2026'");
    ck_assert_int_eq(roster_evaluate(&res, r, s, AS_OF, d), ROSTER_OK);
    size_t n = 0;
    ck_assert_int_eq(roster_result_count(res, "sales-only", &n, d), ROSTER_OK);
    ck_assert_uint_eq(n, 44);
    ck_assert_str_eq(roster_diags_text(d), "");
    char **ids = NULL;
    ck_assert_int_eq(roster_result_members(res, "interns-office-a", &ids, &n, d), ROSTER_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(ids[0], "u255");   /* byte order of the ids, as `roster members` lists them */
    ck_assert_str_eq(ids[1], "u276");
    ck_assert_str_eq(ids[2], "u51");
    ck_assert_ptr_null(ids[3]);
    roster_free(ids);
    ck_assert_int_eq(roster_result_count(res, "no-such-group", &n, d), ROSTER_ERR_NOT_FOUND);
    assert_has(roster_diags_text(d), "error[E0008]: no group 'no-such-group' in the rules");
    ck_assert_int_eq(roster_result_members(res, "no-such-group", &ids, NULL, d), ROSTER_ERR_NOT_FOUND);
    ck_assert_ptr_null(ids);
    roster_result_free(res);
    roster_rules_free(r);
    roster_snapshot_free(s);
    roster_diags_free(d);
}
END_TEST

START_TEST(dry_run_and_explain) {
    roster_snapshot *s = org();
    roster_rules *r = example_rules(s);
    roster_diags *d = roster_diags_new();
    char *out = NULL;
    /* a state database that does not exist yet: every member is added, and nothing is created */
    const char *db = "/tmp/roster-check-api-none/roster.db";
    ck_assert_int_eq(roster_dry_run(&out, r, s, db, AS_OF, ROSTER_TEXT, d), ROSTER_OK);
    assert_has(out, "dry-run as of 2026-11-21 against /tmp/roster-check-api-none/roster.db (not created yet");
    assert_has(out, "group interns-office-a (All interns in Office A): not stored yet, 3 after: 3 added, 0 removed");
    roster_free(out);
    ck_assert_int_eq(roster_dry_run(&out, r, s, db, AS_OF, ROSTER_JSON, d), ROSTER_OK);
    ck_assert_int_eq(strncmp(out, "{\"as_of\": \"2026-11-21\"", 22), 0);
    roster_free(out);
    ck_assert_int_eq(roster_dry_run(&out, r, s, db, AS_OF, (roster_format)7, d), ROSTER_ERR_ARG);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(roster_explain(&out, r, s, "interns-office-a", "u51", AS_OF, ROSTER_TEXT, d), ROSTER_OK);
    assert_has(out, "u51 (Sakura Costa) in group \"interns-office-a\":");
    assert_has(out, "=> member");
    roster_free(out);
    ck_assert_int_eq(roster_explain(&out, r, s, "interns-office-a", "u51", AS_OF, ROSTER_JSON, d), ROSTER_OK);
    ck_assert_int_eq(out[0], '{');
    roster_free(out);
    ck_assert_int_eq(roster_explain(&out, r, s, "interns-office-a", "u99999", AS_OF, ROSTER_TEXT, d),
                     ROSTER_ERR_NOT_FOUND);
    assert_has(roster_diags_text(d), "member 'u99999' is not in the snapshot");
    ck_assert_int_eq(roster_explain(&out, r, s, "nope", "u51", AS_OF, ROSTER_TEXT, d), ROSTER_ERR_NOT_FOUND);
    ck_assert_ptr_null(out);
    roster_rules_free(r);
    roster_snapshot_free(s);
    roster_diags_free(d);
}
END_TEST

/* ---- field mappings ---- */

START_TEST(map_records) {
    roster_diags *d = roster_diags_new();
    roster_mapper *m = NULL;
    ck_assert_int_eq(roster_mapper_load(&m, "tests/data/no-such.map", NULL, d), ROSTER_ERR_IO);
    ck_assert_ptr_null(m);
    assert_has(roster_diags_text(d), "E0006");
    ck_assert_int_eq(roster_mapper_load(&m, "tests/data/map/errors.map", NULL, d), ROSTER_ERR_INPUT);
    ck_assert_ptr_null(m);
    assert_has(roster_diags_text(d), "E0501");
    ck_assert_int_eq(roster_mapper_load(&m, MAPPING, "nope", d), ROSTER_ERR_NOT_FOUND);
    assert_has(roster_diags_text(d), "no mapping \"nope\" in " MAPPING);
    ck_assert_int_eq(roster_mapper_load(&m, MAPPING, NULL, d), ROSTER_OK);
    static const char recs[] = "{\"id\": \"7\", \"primaryEmail\": \"A.B@example.com\", "
                               "\"name\": {\"fullName\": \"A B\"}, \"orgUnitPath\": \"/Sales\"}\n\n[1, 2]\n";
    char *out = NULL;
    size_t nfailed = 9;
    ck_assert_int_eq(roster_map(&out, &nfailed, m, recs, strlen(recs), d), ROSTER_OK);
    ck_assert_uint_eq(nfailed, 1);
    assert_has(out, "{\"line\": 1, \"source_id\": \"7\", \"target\": {");
    assert_has(out, "\"email\": \"a.b@example.com\"");
    assert_has(out, "{\"line\": 3, \"source_id\": \"\", \"failures\": [{\"field\": \"\", \"reason\": \"bad_record\"");
    roster_free(out);
    ck_assert_int_eq(roster_map(&out, NULL, m, "", 0, d), ROSTER_OK);   /* no records, no lines */
    ck_assert_str_eq(out, "");
    roster_free(out);
    roster_mapper_free(m);
    roster_diags_free(d);
}
END_TEST

static Suite *api_suite(void) {
    Suite *s = suite_create("api");
    TCase *t = tcase_create("api");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, version_and_statuses);
    tcase_add_test(t, bad_rule_text_gives_diagnostics_and_null);
    tcase_add_test(t, rule_text_against_a_snapshot);
    tcase_add_test(t, rule_paths_errors);
    tcase_add_test(t, missing_snapshot_gives_an_error_text);
    tcase_add_test(t, null_arguments_refused);
    tcase_add_test(t, evaluate_counts_and_members);
    tcase_add_test(t, dry_run_and_explain);
    tcase_add_test(t, map_records);
    suite_add_tcase(s, t);
    return s;
}

RS_TEST_MAIN(api_suite)
