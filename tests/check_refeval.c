/* check_refeval.c: the reference evaluator's explanations (--explain): the text form against golden
 * files under tests/data/vm/explain/, the JSON form read back with jansson, and the parts of an
 * explanation (conditions by number or position, scope, match, allow, block, status). The
 * evaluator's verdicts themselves are checked in tests/check_vm.c, against hand-worked sets and
 * against the VM. */
#include <jansson.h>
#include "common/util.h"
#include "tests/testutil.h"
#include "tests/vm_fixture.h"

#define ORG RS_TEST_DATA "/vm/org"
#define ORG_STATUS RS_TEST_DATA "/vm/org-status"
#define GOLDEN RS_TEST_DATA "/vm/explain"

static const char *const office_rules =
    "group \"interns-office-a\" {\n"
    "  name \"All interns in Office A\"\n"
    "  departments \"D1\", \"D5\" with sub-departments\n"
    "  1: employee_type equals \"Intern\"\n"
    "  2: join_date is on or after today - 300 days\n"
    "  3: city is any of (\"Shanghai\", \"Hangzhou\")\n"
    "  4: tags include all (\"ml\")\n"
    "  match 1 or (2 and 3 and 4)\n"
    "  allow \"u7\"\n"
    "  block \"u9\"\n"
    "}\n"
    "group \"free-form\" {\n"
    "  name \"Free form\"\n"
    "  where not (level is between 2 and 7.25) and (main_department equals \"D3\" or leader reports to \"u8\")\n"
    "}\n"
    "group \"numbered-out-of-order\" {\n"
    "  name \"Out of order\"\n"
    "  2: level at least 5\n"
    "  1: city is not empty\n"
    "  match 2 or 1\n"
    "}\n"
    "group \"everyone\" {\n"
    "  name \"Everyone\"\n"
    "}\n";

typedef struct fixture {
    rs_snapshot *s;
    vt_rules rules;
    int32_t today;
} fixture;

static void fixture_open(fixture *f, const char *org, const char *text) {
    f->s = vt_load(org);
    vt_compile(&f->rules, text, f->s);
    f->today = vt_day("2026-11-21");
}

static void fixture_close(fixture *f) {
    vt_rules_free(&f->rules);
    rs_snapshot_free(f->s);
}

static uint32_t member(const rs_snapshot *s, const char *id) {
    uint32_t m = rs_snapshot_member(s, id, strlen(id));
    ck_assert_uint_ne(m, RS_NONE);
    return m;
}

/* Explains member `id` in group g; the explanation's verdict must be rs_ref_eval's and the VM's. */
static void explain(const fixture *f, uint32_t g, const char *id, rs_explain *ex) {
    uint32_t m = member(f->s, id);
    const rs_cgroup *cg = vt_cgroup(&f->rules, g);
    bool plain = rs_ref_eval(cg, f->s, m, f->today, NULL);
    ck_assert(rs_ref_eval(cg, f->s, m, f->today, ex) == plain);
    ck_assert(ex->result == plain);
    rs_diags *d = vt_diags();
    rs_vm *vm = rs_vm_new(f->rules.program, f->s, f->today, d);
    ck_assert_ptr_nonnull(vm);
    ck_assert(rs_vm_eval_member(vm, g, m) == plain);
    rs_vm_free(vm);
    free(d);
}

static char *read_golden(const char *name) {
    char path[256], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", GOLDEN, name);
    ck_assert_msg(rs_read_file(path, 1 << 20, &text, &len) == 0, "cannot read %s", path);
    return text;
}

static void expect_text(const fixture *f, uint32_t g, const char *id, const char *golden) {
    rs_explain ex = {0};
    explain(f, g, id, &ex);
    rs_sb out = {0};
    rs_explain_text(&ex, f->s, &out);
    if (getenv("RS_UPDATE_GOLDEN")) {   /* regenerate after a deliberate change; review the diff */
        char path[256];
        snprintf(path, sizeof path, "%s/%s", GOLDEN, golden);
        ck_assert_int_eq(rs_write_file_atomic(path, out.buf, out.len), 0);
    }
    char *want = read_golden(golden);
    ck_assert_msg(strcmp(out.buf, want) == 0, "%s: got\n%s\nwant\n%s", golden, out.buf, want);
    free(want);
    rs_sb_free(&out);
    rs_explain_free(&ex);
}

START_TEST(text_golden) {
    fixture f;
    fixture_open(&f, ORG, office_rules);
    expect_text(&f, 0, "u1", "u1-office.txt");        /* in scope through a sub-department */
    expect_text(&f, 0, "u7", "u7-office.txt");        /* out of scope, allowlisted */
    expect_text(&f, 0, "u9", "u9-office.txt");        /* blocklisted */
    expect_text(&f, 0, "u4", "u4-office.txt");        /* out of scope, empty values */
    expect_text(&f, 1, "u8", "u8-where.txt");         /* `where`: conditions by position */
    expect_text(&f, 2, "u2", "u2-numbered.txt");      /* listed by number, not source order */
    expect_text(&f, 3, "u8", "u8-everyone.txt");      /* no conditions, no departments */
    fixture_close(&f);
}
END_TEST

START_TEST(text_status) {
    fixture f;
    fixture_open(&f, ORG_STATUS, "group \"g\" {\n  name \"g\"\n  1: level at least 1\n  allow \"a2\"\n}\n");
    expect_text(&f, 0, "a2", "a2-status.txt");
    expect_text(&f, 0, "a5", "a5-status.txt");
    fixture_close(&f);
}
END_TEST

static json_t *explain_json(const fixture *f, uint32_t g, const char *id) {
    rs_explain ex = {0};
    explain(f, g, id, &ex);
    rs_sb out = {0};
    rs_explain_json(&ex, f->s, &out);
    rs_explain_free(&ex);
    ck_assert(out.len > 0 && out.buf[out.len - 1] == '\n');
    ck_assert_ptr_null(memchr(out.buf, '\n', out.len - 1));   /* one line */
    json_error_t err;
    json_t *j = json_loads(out.buf, 0, &err);
    ck_assert_msg(j != NULL, "invalid JSON (%s): %s", err.text, out.buf);
    rs_sb_free(&out);
    return j;
}

static const char *jstr(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "'%s' is not a string", key);
    return json_string_value(v);
}

static bool jbool(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_boolean(v), "'%s' is not a boolean", key);
    return json_is_true(v);
}

START_TEST(json_form) {
    fixture f;
    fixture_open(&f, ORG, office_rules);
    json_t *j = explain_json(&f, 0, "u1");
    ck_assert_str_eq(jstr(j, "member"), "u1");
    ck_assert_str_eq(jstr(j, "name"), "Ada Lovelace");
    ck_assert_str_eq(jstr(j, "group"), "interns-office-a");
    json_t *scope = json_object_get(j, "scope");
    ck_assert(jbool(scope, "result"));
    ck_assert(jbool(scope, "with_sub_departments"));
    ck_assert_str_eq(jstr(scope, "department"), "D3");
    ck_assert_uint_eq(json_array_size(json_object_get(scope, "departments")), 2);
    json_t *conds = json_object_get(j, "conditions");
    ck_assert_uint_eq(json_array_size(conds), 4);
    json_t *c1 = json_array_get(conds, 0), *c2 = json_array_get(conds, 1), *c4 = json_array_get(conds, 3);
    ck_assert_int_eq(json_integer_value(json_object_get(c1, "number")), 1);
    ck_assert_str_eq(jstr(c1, "field"), "employee_type");
    ck_assert_str_eq(jstr(c1, "operator"), "equals");
    ck_assert_str_eq(jstr(c1, "value"), "Intern");
    ck_assert(jbool(c1, "result"));
    ck_assert_str_eq(jstr(c2, "value"), "2026-02-01");   /* dates as YYYY-MM-DD strings */
    ck_assert_str_eq(jstr(c2, "condition"), "join_date is on or after today - 300 days (2026-01-25)");
    json_t *tags = json_object_get(c4, "value");   /* multi-valued: an array */
    ck_assert_uint_eq(json_array_size(tags), 2);
    ck_assert_str_eq(json_string_value(json_array_get(tags, 0)), "Rust");
    ck_assert_str_eq(jstr(json_object_get(j, "match"), "expression"), "1 or (2 and 3 and 4)");
    ck_assert(jbool(json_object_get(j, "match"), "result"));
    ck_assert(!jbool(j, "allowlisted"));
    ck_assert(!jbool(j, "blocklisted"));
    ck_assert(json_is_null(json_object_get(j, "status")));
    ck_assert(jbool(j, "active"));
    ck_assert(jbool(j, "result"));
    json_decref(j);

    j = explain_json(&f, 0, "u4");   /* empty values are null, numbers are numbers */
    conds = json_object_get(j, "conditions");
    ck_assert(json_is_null(json_object_get(json_array_get(conds, 0), "value")));
    ck_assert(json_is_null(json_object_get(json_object_get(j, "scope"), "department")));
    ck_assert(!jbool(j, "result"));
    json_decref(j);

    j = explain_json(&f, 1, "u9");
    conds = json_object_get(j, "conditions");
    ck_assert_uint_eq(json_array_size(conds), 3);
    ck_assert(json_real_value(json_object_get(json_array_get(conds, 0), "value")) == -2.5);
    ck_assert_str_eq(jstr(json_array_get(conds, 1), "value"), "D2");   /* main department: the first */
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(conds, 2), "number")), 3);
    ck_assert_str_eq(jstr(json_object_get(j, "match"), "expression"), "not 1 and (2 or 3)");
    json_decref(j);
    fixture_close(&f);
}
END_TEST

START_TEST(json_status) {
    fixture f;
    fixture_open(&f, ORG_STATUS, "group \"g\" {\n  name \"g\"\n  allow \"a2\"\n}\n");
    json_t *j = explain_json(&f, 0, "a2");
    ck_assert_str_eq(jstr(j, "status"), "frozen");
    ck_assert(!jbool(j, "active"));
    ck_assert(jbool(j, "allowlisted"));
    ck_assert(!jbool(j, "result"));
    json_decref(j);
    j = explain_json(&f, 0, "a4");   /* no status at all: not active */
    ck_assert(json_is_null(json_object_get(j, "status")));
    ck_assert(!jbool(j, "active"));
    json_decref(j);
    fixture_close(&f);
}
END_TEST

/* The explanation holds every condition's result, not only those a short cut would evaluate. */
START_TEST(explain_parts) {
    fixture f;
    fixture_open(&f, ORG, office_rules);
    rs_explain ex = {0};
    explain(&f, 0, "u7", &ex);   /* Gus: Full-time, joined 2025-12-31, Hangzhou, no tags, in D4 */
    ck_assert_uint_eq(ex.nconds, 4);
    bool want[] = {false, false, true, false};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(ex.conds[i].number, i + 1);
        ck_assert(ex.conds[i].result == want[i]);
    }
    ck_assert(!ex.scope);
    ck_assert_uint_eq(ex.scope_department, RS_NONE);
    ck_assert(!ex.match);
    ck_assert(ex.allowed && !ex.blocked && ex.active && !ex.has_status && ex.result);
    /* reused for another member and group: reset, not appended to */
    explain(&f, 1, "u6", &ex);
    ck_assert_uint_eq(ex.nconds, 3);
    ck_assert(ex.conds[0].number == 1 && !ex.conds[0].result);   /* level 10 is not in [2, 7.25] */
    ck_assert(ex.conds[1].result);                               /* main department D3 */
    ck_assert(!ex.conds[2].result);   /* u6 -> u1 -> u2 -> u3 -> u4 -> u2: never u8 */
    ck_assert(ex.scope && ex.match && ex.result);
    rs_explain_free(&ex);
    rs_explain_free(&ex);   /* freeing twice is harmless: the struct is cleared */
    rs_explain_free(NULL);
    fixture_close(&f);
}
END_TEST

/* A member in no department: the scope says so instead of listing its departments, and every
 * department condition shows the value as empty. */
START_TEST(explain_no_department) {
    char *dir = vt_tmpdir();
    const char *schema = "{\"fields\": []}";
    const char *depts = "{\"id\": \"D0\", \"parent\": null}\n{\"id\": \"D1\", \"parent\": \"D0\"}\n";
    const char *members = "{\"id\": \"p1\", \"department\": [\"D1\"]}\n{\"id\": \"p2\", \"department\": []}\n";
    vt_write(dir, "schema.json", schema, strlen(schema));
    vt_write(dir, "departments.jsonl", depts, strlen(depts));
    vt_write(dir, "members.jsonl", members, strlen(members));
    fixture f;
    fixture_open(&f, dir,
                 "group \"g\" {\n  name \"g\"\n  departments \"D0\" with sub-departments\n"
                 "  1: department don't belong to (\"D1\")\n  2: main_department is empty\n  allow \"p2\"\n}\n");
    rs_explain ex = {0};
    explain(&f, 0, "p2", &ex);
    ck_assert(!ex.scope && ex.conds[0].result && ex.conds[1].result && ex.allowed && ex.result);
    ck_assert_uint_eq(ex.scope_department, RS_NONE);
    rs_sb out = {0};
    rs_explain_text(&ex, f.s, &out);
    ck_assert_msg(strstr(out.buf, "-> false (member in no department)\n"), "%s", out.buf);
    ck_assert_msg(strstr(out.buf, "don't belong to (\"D1\")  value empty  -> true\n"), "%s", out.buf);
    ck_assert_msg(strstr(out.buf, "main_department is empty           value empty  -> true\n"), "%s", out.buf);
    rs_sb_clear(&out);
    rs_explain_json(&ex, f.s, &out);
    ck_assert_msg(strstr(out.buf, "\"result\":false,\"department\":null}"), "%s", out.buf);
    ck_assert_msg(strstr(out.buf, "\"value\":null"), "%s", out.buf);
    rs_sb_free(&out);
    rs_explain_free(&ex);
    fixture_close(&f);
    vt_rmdir(dir);
}
END_TEST

static Suite *refeval_suite(void) {
    Suite *s = suite_create("refeval");
    TCase *tc = tcase_create("explain");
    tcase_add_test(tc, text_golden);
    tcase_add_test(tc, text_status);
    tcase_add_test(tc, json_form);
    tcase_add_test(tc, json_status);
    tcase_add_test(tc, explain_parts);
    tcase_add_test(tc, explain_no_department);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(refeval_suite)
