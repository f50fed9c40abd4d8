/* check_vm.c: the VM against hand-worked expectations (every operator on every field type, empty
 * values, sub-departments, main_department, reports to with chains and loops, allow/block/status,
 * dates with a fixed today), and against the reference evaluator on random organisations and
 * random rules. Every path is compared each time: rs_vm_eval_all (several thread counts, a
 * snapshot loaded from its folder and the same packed to a .snap file, a VM made for some of the
 * groups only), rs_vm_eval_group, rs_vm_eval_member and rs_ref_eval. */
#include <math.h>
#include "common/parallel.h"
#include "tests/testutil.h"
#include "tests/vm_fixture.h"

#define ORG RS_TEST_DATA "/vm/org"
#define ORG_STATUS RS_TEST_DATA "/vm/org-status"
#define TODAY "2026-11-21"

/* ---- comparing every evaluation path ---- */

typedef struct run {
    const rs_snapshot *s;
    vt_rules rules;
    rs_vm *vm;
    uint64_t **bms;      /* rs_vm_eval_all */
    int32_t today;
} run;

static void run_open(run *r, const rs_snapshot *s, const char *text, int32_t today, int threads) {
    memset(r, 0, sizeof *r);
    r->s = s;
    r->today = today;
    vt_compile(&r->rules, text, s);
    rs_diags *d = vt_diags();
    r->vm = rs_vm_new(r->rules.program, s, today, d);
    if (!r->vm) vt_fail_diags(d, "rs_vm_new");
    free(d);
    r->bms = rs_calloc(r->rules.program->ngroups + 1, sizeof *r->bms);
    ck_assert_int_eq(rs_vm_eval_all(r->vm, r->bms, threads), 0);
}

static void run_close(run *r) {
    for (uint32_t g = 0; g < r->rules.program->ngroups; g++) free(r->bms[g]);
    free(r->bms);
    rs_vm_free(r->vm);
    vt_rules_free(&r->rules);
}

static char *explain_text(const run *r, uint32_t g, uint32_t m) {
    rs_explain ex = {0};
    rs_ref_eval(vt_cgroup(&r->rules, g), r->s, m, r->today, &ex);
    rs_sb out = {0};
    rs_explain_text(&ex, r->s, &out);
    rs_explain_free(&ex);
    return rs_sb_take(&out);
}

/* Group g: eval_group and eval_member agree with eval_all on every member, and so does the
 * reference evaluator on every member (or on every `step`-th, plus batch edges, when large). */
static void agree(const run *r, uint32_t g, uint32_t step, const char *what) {
    uint32_t n = r->s->nmembers;
    uint64_t *one = rs_calloc(rs_bm_words(n) + 1, sizeof *one);
    ck_assert_int_eq(rs_vm_eval_group(r->vm, g, one), 0);
    const uint64_t *all = r->bms[g];
    for (uint32_t m = 0; m < n; m++) {
        bool bit = rs_bm_get(all, m);
        ck_assert_msg(rs_bm_get(one, m) == bit, "%s: group %u member %u: eval_group differs", what, g, m);
        ck_assert_msg(rs_vm_eval_member(r->vm, g, m) == bit, "%s: group %u member %u: eval_member differs",
                      what, g, m);
        bool edge = m % 16384 == 0 || m % 16384 == 16383 || m + 1 == n;
        if (step > 1 && m % step != 0 && !edge) continue;
        bool ref = rs_ref_eval(vt_cgroup(&r->rules, g), r->s, m, r->today, NULL);
        if (ref != bit) {
            char *ex = explain_text(r, g, m);
            fprintf(stderr, "%s: group %u member %u: vm %d, reference %d\n%s\nrules:\n%s\n", what, g, m,
                    bit, ref, ex, r->rules.src->text);
            ck_abort_msg("%s: group %u (%s) member %u: vm %d, reference %d (details on stderr)", what, g,
                         r->rules.program->groups[g].id, m, bit, ref);
        }
    }
    uint32_t tail = n % 64;   /* bits past the last member stay clear */
    if (tail) ck_assert_msg((all[n / 64] >> tail) == 0, "%s: group %u: bits set past the end", what, g);
    free(one);
}

/* ---- every operator on the fixture organisation ---- */

typedef struct expect {
    const char *rule;   /* a condition, or a whole group body when it starts with a newline */
    const char *want;   /* member ids, in snapshot order */
} expect;

static const expect condition_cases[] = {
    /* text, single */
    {"city equals \"shanghai\"", "u1,u2,u9"},
    {"city not equal to \"Shanghai\"", "u3,u4,u5,u6,u7,u8"},
    {"city is any of (\"Hangzhou\", \"σΟΦΊΑ\")", "u3,u5,u7"},
    {"city is none of (\"Hangzhou\")", "u1,u2,u4,u5,u6,u8,u9"},
    {"city is empty", "u4,u8"},
    {"city is not empty", "u1,u2,u3,u5,u6,u7,u9"},
    {"city contains \"HAI\"", "u1,u2,u6,u9"},
    {"city does not contain \"hai\"", "u3,u4,u5,u7,u8"},
    {"city starts with \"shanghai \"", "u6"},
    {"city starts with \"ΣΟ\"", "u5"},
    {"city equals \"Shanghai \"", ""},   /* no trimming */
    /* text, multi */
    {"tags is any of (\"ml\")", "u1,u2,u6,u8,u9"},
    {"tags is none of (\"ml\", \"go-lang\")", "u3,u4,u7"},
    {"tags include all (\"rust\", \"ml\")", "u1,u8"},
    {"tags include all (\"ml\")", "u1,u2,u6,u8,u9"},
    {"tags include all (\"ml\", \"nothing\")", ""},
    {"tags is empty", "u3,u4,u7"},
    {"tags contains \"LANG\"", "u5"},
    {"tags starts with \"r\"", "u1,u8"},
    {"tags does not contain \"m\"", "u3,u4,u5,u7"},
    /* option, single and multi */
    {"employee_type equals \"intern\"", "u1,u5,u6,u9"},
    {"employee_type not equal to \"Intern\"", "u2,u3,u4,u7,u8"},
    {"employee_type is any of (\"Full-time\", \"CONTRACTOR\")", "u2,u3,u7,u8"},
    {"employee_type is none of (\"Full-time\")", "u1,u3,u4,u5,u6,u8,u9"},
    {"employee_type is empty", "u4"},
    {"skills is any of (\"GO\")", "u1,u5,u9"},
    {"skills include all (\"go\", \"sql\")", "u5"},
    {"skills is none of (\"c\", \"rust\")", "u3,u4,u5,u7,u9"},
    {"skills is not empty", "u1,u2,u4,u5,u6,u8,u9"},
    /* number, single */
    {"level equals 5", "u2"},
    {"level not equal to 5", "u1,u3,u4,u5,u6,u7,u8,u9"},
    {"level greater than 5", "u3,u6,u8"},
    {"level at least 5", "u2,u3,u6,u8"},
    {"level less than 0", "u9"},
    {"level at most 0", "u5,u9"},
    {"level is between 2 and 7.25", "u1,u2,u3,u7"},
    {"level is any of (0, 10, 3)", "u1,u5,u6"},
    {"level is none of (0)", "u1,u2,u3,u4,u6,u7,u8,u9"},
    {"level is before 3", "u5,u7,u9"},
    {"level is on or after 10", "u6,u8"},
    {"level is after 7.25", "u6,u8"},
    {"level is on or before -2.5", "u9"},
    {"level is empty", "u4"},
    /* number, multi */
    {"scores is any of (9)", "u1,u8,u9"},
    {"scores include all (9, 3)", "u8"},
    {"scores greater than 8", "u1,u8,u9"},
    {"scores less than 0", "u5"},
    {"scores is between 1 and 2", "u1,u7"},
    {"scores is empty", "u3,u6"},
    /* date, single (today is 2026-11-21) */
    {"join_date equals 2026-01-01", "u6,u8"},
    {"join_date is on or after 2026-01-01", "u1,u5,u6,u8,u9"},
    {"join_date is before 2026-01-01", "u2,u3,u7"},
    {"join_date is after today - 300 days", "u1,u5,u9"},
    {"join_date equals today", "u5"},
    {"join_date is on or before today - 2 weeks", "u1,u2,u3,u6,u7,u8,u9"},
    {"join_date is between 2025-12-31 and 2026-01-01", "u6,u7,u8"},
    {"join_date is between 2026-03-15 and today", "u5,u9"},
    {"join_date not equal to 2026-01-01", "u1,u2,u3,u4,u5,u7,u9"},
    {"join_date is empty", "u4"},
    /* date, multi */
    {"reviews is any of (2026-01-15)", "u1,u3,u9"},
    {"reviews include all (2026-01-15, 2026-03-01)", "u9"},
    {"reviews is after today - 2 days", "u6"},
    {"reviews is before 2026-01-01", "u1"},
    {"reviews is between today - 1 days and today + 1 days", "u6"},
    /* personnel, single: u1->u2->u3->u4->u2 (a loop), u6->u1, u7->u1, u8->u8, u9->u3 */
    {"leader equals \"u3\"", "u2,u9"},
    {"leader is any of (\"u1\", \"u8\")", "u6,u7,u8"},
    {"leader not equal to \"u2\"", "u2,u3,u5,u6,u7,u8,u9"},
    {"leader is empty", "u5"},
    {"leader reports to \"u2\"", "u1,u3,u4,u6,u7,u9"},
    {"leader reports to \"u1\"", "u6,u7"},
    {"leader reports to \"u4\"", "u1,u2,u3,u6,u7,u9"},
    {"leader reports to \"u8\"", ""},
    {"leader reports to \"u5\"", ""},
    /* personnel, multi: every link is followed */
    {"mentors is any of (\"u3\")", "u1,u9"},
    {"mentors include all (\"u3\", \"u4\")", "u1"},
    {"mentors reports to \"u1\"", "u3,u5,u9"},
    {"mentors is empty", "u2,u4,u6,u7"},
    /* bool */
    {"remote equals true", "u1,u4,u6,u9"},
    {"remote equals false", "u2,u5,u7"},
    {"remote not equal to true", "u2,u3,u5,u7,u8"},
    {"remote is empty", "u3,u8"},
    {"badges is any of (false)", "u2,u9"},
    {"badges include all (true, false)", "u2"},
    /* department, single: D0 > D1 > D2 > D3, D0 > D4 > D5 */
    {"cost_center equals \"D3\"", "u6,u9"},
    {"cost_center partly belong to (\"D1\") with sub-departments", "u1,u2,u6,u9"},
    {"cost_center don't belong to (\"D1\") with sub-departments", "u3,u4,u5,u7,u8"},
    {"cost_center belong to (\"D2\", \"D0\")", "u1,u4"},
    {"cost_center is empty", "u3,u8"},
    /* department, multi */
    {"department partly belong to (\"D2\")", "u3,u9"},
    {"department partly belong to (\"D2\") with sub-departments", "u1,u3,u6,u9"},
    {"department belong to (\"D3\", \"D4\")", "u1,u6,u7"},
    {"department don't belong to (\"D4\") with sub-departments", "u2,u3,u4,u6,u8,u9"},
    {"department include all (\"D2\", \"D3\")", "u9"},
    {"department is any of (\"D1\")", "u2,u5"},
    {"department is empty", ""},   /* everyone here has one: no_department has members without */
    /* main_department: the first department listed, never its sub-departments */
    {"main_department equals \"D1\"", "u2"},
    {"main_department partly belong to (\"D1\") with sub-departments", "u1,u2,u3,u6,u9"},
    {"main_department don't belong to (\"D1\") with sub-departments", "u4,u5,u7,u8"},
    {"main_department belong to (\"D4\", \"D5\")", "u5,u7"},
    {"main_department is empty", ""},
    /* id: its values are the member ids */
    {"id starts with \"U1\"", "u1"},
    {"id is any of (\"U2\", \"u3\")", "u2,u3"},
    {"id contains \"9\"", "u9"},
    {"id not equal to \"u1\"", "u2,u3,u4,u5,u6,u7,u8,u9"},
    {"id is empty", ""},
    /* whole groups: scope, match, where, allow, block */
    {"\n  departments \"D2\" with sub-departments", "u1,u3,u6,u9"},
    {"\n  departments \"D1\"", "u2,u5"},
    {"\n  departments \"D4\", \"D3\"", "u1,u6,u7,u9"},
    {"\n  1: level at least 5\n  2: city contains \"hang\"\n  3: remote equals true\n  match 1 and (2 or 3)",
     "u2,u3,u6"},
    {"\n  1: level at least 5\n  2: city contains \"hang\"\n  3: remote equals true", "u6"},
    {"\n  1: level at least 5\n  2: city contains \"hang\"\n  match 2 or 1", "u1,u2,u3,u6,u7,u8,u9"},
    {"\n  where level at least 5 and not (city contains \"hang\")", "u8"},
    {"\n  where not (level is any of (5)) and (remote equals false or remote is empty)", "u3,u5,u7,u8"},
    {"\n  1: level at least 5\n  allow \"u1\"\n  block \"u8\"", "u1,u2,u3,u6"},
    {"\n  departments \"D4\"\n  1: level at least 5\n  allow \"u2\"", "u2"},
    {"\n  departments \"D2\" with sub-departments\n  1: leader reports to \"u2\"\n  block \"u3\"", "u1,u6,u9"},
    {"\n  allow \"u5\"", "u1,u2,u3,u4,u5,u6,u7,u8,u9"},
};

static char *cases_text(const expect *cases, size_t n) {
    rs_sb text = {0};
    for (size_t i = 0; i < n; i++) {
        rs_sb_printf(&text, "group \"c%zu\" {\n  name \"case %zu\"", i, i);
        if (cases[i].rule[0] == '\n') rs_sb_printf(&text, "%s\n}\n", cases[i].rule);
        else rs_sb_printf(&text, "\n  1: %s\n}\n", cases[i].rule);
    }
    return rs_sb_take(&text);
}

static void check_cases(const char *org, const expect *cases, size_t n, int32_t today) {
    rs_snapshot *s = vt_load(org);
    char *text = cases_text(cases, n);
    int threads[] = {1, 2, 0};
    for (size_t t = 0; t < RS_ARRAY_LEN(threads); t++) {
        run r;
        run_open(&r, s, text, today, threads[t]);
        ck_assert_uint_eq(r.rules.program->ngroups, n);
        for (uint32_t g = 0; g < n; g++) {
            char *got = vt_ids(s, r.bms[g]);
            ck_assert_msg(strcmp(got, cases[g].want) == 0, "%s: got {%s}, want {%s}", cases[g].rule, got,
                          cases[g].want);
            free(got);
            agree(&r, g, 1, cases[g].rule);
        }
        run_close(&r);
    }
    free(text);
    rs_snapshot_free(s);
}

START_TEST(every_operator) {
    check_cases(ORG, condition_cases, RS_ARRAY_LEN(condition_cases), vt_day(TODAY));
}
END_TEST

/* Only active members, the allowlist included; "Active" is the option `active`; no status is not
 * active. */
START_TEST(status_only_active) {
    static const expect cases[] = {
        {"\n  allow \"a2\"", "a1,a5"},
        {"level at least 2", "a5"},
        {"\n  departments \"A\"\n  allow \"a3\", \"a5\"", "a1,a5"},
        {"status is any of (\"frozen\", \"resigned\")", ""},
        {"status is empty", ""},
    };
    check_cases(ORG_STATUS, cases, RS_ARRAY_LEN(cases), vt_day(TODAY));
}
END_TEST

/* `today` is bound when the VM is made: the same program answers differently on another day. */
START_TEST(today_is_bound_per_run) {
    rs_snapshot *s = vt_load(ORG);
    const char *text = "group \"t\" {\n  name \"t\"\n  1: join_date equals today\n}\n"
                       "group \"w\" {\n  name \"w\"\n  1: join_date is between today - 7 days and today\n}\n";
    const struct { const char *today, *t, *w; } days[] = {
        {"2026-11-21", "u5", "u5"},
        {"2026-01-01", "u6,u8", "u6,u7,u8"},
        {"2026-02-05", "", "u1"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(days); i++) {
        run r;
        run_open(&r, s, text, vt_day(days[i].today), 1);
        char *t = vt_ids(s, r.bms[0]), *w = vt_ids(s, r.bms[1]);
        ck_assert_str_eq(t, days[i].t);
        ck_assert_str_eq(w, days[i].w);
        agree(&r, 0, 1, days[i].today);
        agree(&r, 1, 1, days[i].today);
        free(t);
        free(w);
        run_close(&r);
    }
    rs_snapshot_free(s);
}
END_TEST

/* ---- members in no department ----
 * D0 > D1 > D2, D0 > D3. n2 has "department": [] and n4 no department key: both are in no scope,
 * and every department operator follows the empty-value rule, on `department` and on
 * `main_department` (empty for them too). The same cases run over the folder and its .snap twin,
 * whose members-by-value postings the VM reads instead of building an index. */
static const char nodept_departments[] =
    "{\"id\": \"D0\", \"parent\": null, \"name\": \"Root\"}\n"
    "{\"id\": \"D1\", \"parent\": \"D0\", \"name\": \"One\"}\n"
    "{\"id\": \"D2\", \"parent\": \"D1\", \"name\": \"Two\"}\n"
    "{\"id\": \"D3\", \"parent\": \"D0\", \"name\": \"Three\"}\n";
static const char nodept_members[] =
    "{\"id\": \"n1\", \"department\": [\"D1\"], \"level\": 1}\n"
    "{\"id\": \"n2\", \"department\": [], \"level\": 2}\n"
    "{\"id\": \"n3\", \"department\": [\"D2\", \"D3\"], \"level\": 3}\n"
    "{\"id\": \"n4\", \"level\": 4}\n"
    "{\"id\": \"n5\", \"department\": [\"D3\"], \"level\": 5}\n";

static const expect nodept_cases[] = {
    {"department is empty", "n2,n4"},
    {"department is not empty", "n1,n3,n5"},
    {"department is any of (\"D3\")", "n3,n5"},
    {"department is any of (\"D0\", \"D1\", \"D2\", \"D3\")", "n1,n3,n5"},
    {"department is none of (\"D3\")", "n1,n2,n4"},
    {"department is none of (\"D0\", \"D1\", \"D2\", \"D3\")", "n2,n4"},
    {"department include all (\"D3\")", "n3,n5"},
    {"department include all (\"D2\", \"D3\")", "n3"},
    {"department belong to (\"D1\")", "n1"},
    {"department belong to (\"D0\", \"D1\", \"D2\", \"D3\")", "n1,n3,n5"},
    {"department partly belong to (\"D1\")", "n1"},
    {"department partly belong to (\"D1\") with sub-departments", "n1,n3"},
    {"department partly belong to (\"D0\") with sub-departments", "n1,n3,n5"},
    {"department don't belong to (\"D1\")", "n2,n3,n4,n5"},
    {"department don't belong to (\"D1\") with sub-departments", "n2,n4,n5"},
    {"department don't belong to (\"D0\") with sub-departments", "n2,n4"},
    {"main_department is empty", "n2,n4"},
    {"main_department is not empty", "n1,n3,n5"},
    {"main_department equals \"D2\"", "n3"},
    {"main_department not equal to \"D2\"", "n1,n2,n4,n5"},
    {"main_department is any of (\"D1\", \"D3\")", "n1,n5"},
    {"main_department is none of (\"D1\")", "n2,n3,n4,n5"},
    {"main_department belong to (\"D1\")", "n1"},
    {"main_department partly belong to (\"D1\") with sub-departments", "n1,n3"},
    {"main_department don't belong to (\"D1\") with sub-departments", "n2,n4,n5"},
    {"main_department don't belong to (\"D3\")", "n1,n2,n3,n4"},
    /* scopes: only the allowlist brings a member in no department into a scoped group */
    {"\n  departments \"D1\"", "n1"},
    {"\n  departments \"D1\" with sub-departments", "n1,n3"},
    {"\n  departments \"D0\" with sub-departments", "n1,n3,n5"},
    {"\n  departments \"D0\", \"D3\" with sub-departments\n  allow \"n2\"", "n1,n2,n3,n5"},
    {"\n  departments \"D0\" with sub-departments\n  1: department is empty", ""},
    {"\n  departments \"D3\"\n  1: level at least 2", "n3,n5"},
    {"\n  where not (department partly belong to (\"D0\") with sub-departments) and level at least 3", "n4"},
    {"\n  1: level at least 2", "n2,n3,n4,n5"},
};

START_TEST(no_department) {
    char *dir = vt_tmpdir(), snap[600];
    const char *schema = "{\"fields\": [{\"name\": \"level\", \"type\": \"number\"}]}";
    vt_write(dir, "schema.json", schema, strlen(schema));
    vt_write(dir, "departments.jsonl", nodept_departments, strlen(nodept_departments));
    vt_write(dir, "members.jsonl", nodept_members, strlen(nodept_members));
    check_cases(dir, nodept_cases, RS_ARRAY_LEN(nodept_cases), vt_day(TODAY));
    rs_snapshot *s = vt_load(dir);
    snprintf(snap, sizeof snap, "%s/org.snap", dir);
    rs_diags *d = vt_diags();
    if (rs_snapshot_pack(s, snap, d) != 0) vt_fail_diags(d, "packing");
    free(d);
    rs_snapshot_free(s);
    check_cases(snap, nodept_cases, RS_ARRAY_LEN(nodept_cases), vt_day(TODAY));
    unlink(snap);
    vt_rmdir(dir);
}
END_TEST

/* ---- binding: fields by name, type and multi ---- */

static void write_org(const char *dir, const char *schema, const char *members) {
    vt_write(dir, "schema.json", schema, strlen(schema));
    const char *depts = "{\"id\": \"R\", \"parent\": null, \"name\": \"Root\"}\n";
    vt_write(dir, "departments.jsonl", depts, strlen(depts));
    vt_write(dir, "members.jsonl", members, strlen(members));
}

static void expect_mismatch(const rs_program *p, const char *schema, const char *members, const char *field) {
    char *dir = vt_tmpdir();
    write_org(dir, schema, members);
    rs_snapshot *s = vt_load(dir);
    rs_diags *d = vt_diags();
    ck_assert_ptr_null(rs_vm_new(p, s, 0, d));
    bool named = false;
    for (size_t i = 0; i < d->n; i++)
        named |= d->items[i].code == RS_E_BC_SCHEMA_MISMATCH && strstr(d->items[i].message, field);
    ck_assert_msg(named, "no E0702 naming '%s'", field);
    free(d);
    rs_snapshot_free(s);
    vt_rmdir(dir);
}

START_TEST(binding_mismatch_is_e0702) {
    rs_snapshot *org = vt_load(ORG);
    vt_rules r;
    vt_compile(&r, "group \"g\" {\n  name \"g\"\n  1: level greater than 1\n  2: tags contains \"x\"\n}\n", org);
    const char *member = "{\"id\": \"a\", \"department\": [\"R\"]}\n";
    expect_mismatch(r.program,
                    "{\"fields\": [{\"name\": \"level\", \"type\": \"text\"},"
                    " {\"name\": \"tags\", \"type\": \"text\", \"multi\": true}]}",
                    member, "level");
    expect_mismatch(r.program,
                    "{\"fields\": [{\"name\": \"level\", \"type\": \"number\"},"
                    " {\"name\": \"tags\", \"type\": \"text\"}]}",
                    member, "tags");
    expect_mismatch(r.program, "{\"fields\": [{\"name\": \"level\", \"type\": \"number\"}]}", member, "tags");
    /* the same fields in another order bind by name */
    char *dir = vt_tmpdir();
    write_org(dir,
              "{\"fields\": [{\"name\": \"tags\", \"type\": \"text\", \"multi\": true},"
              " {\"name\": \"other\", \"type\": \"bool\"}, {\"name\": \"level\", \"type\": \"number\"}]}",
              "{\"id\": \"a\", \"department\": [\"R\"], \"level\": 2, \"tags\": [\"X\"]}\n"
              "{\"id\": \"b\", \"department\": [\"R\"], \"level\": 2, \"tags\": [\"y\"]}\n");
    rs_snapshot *s = vt_load(dir);
    rs_diags *d = vt_diags();
    rs_vm *vm = rs_vm_new(r.program, s, 0, d);
    ck_assert_ptr_nonnull(vm);
    ck_assert(rs_vm_eval_member(vm, 0, 0));
    ck_assert(!rs_vm_eval_member(vm, 0, 1));
    rs_vm_free(vm);
    free(d);
    rs_snapshot_free(s);
    vt_rmdir(dir);
    vt_rules_free(&r);
    rs_snapshot_free(org);
}
END_TEST

/* ---- random organisations and rules ---- */

typedef struct prng {
    uint64_t s;
} prng;

static uint64_t next64(prng *r) {   /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(prng *r, uint32_t n) { return (uint32_t)(next64(r) % n); }
static bool chance(prng *r, uint32_t pct) { return below(r, 100) < pct; }

#define PICK(r, arr) ((arr)[below((r), RS_ARRAY_LEN(arr))])

static const char *const texts[] = {"Shanghai", "shanghai", "SHANGHAI", "Hangzhou", "hang", "Σοφία",
                                    "σοφία", "ΣΟΦΊΑ", "ab", "Ab c", "x y z", "Straße", "Ecole", "École"};
static const char *const needles[] = {"hai", "SHANG", "h", "σοφ", "ΣΟ", "b c", "z", "ß", "a", "Hangzhou",
                                      "école", "zz"};
static const char *const options[] = {"Alpha", "beta", "GAMMA", "Δέλτα"};
static const char *const option_spellings[] = {"Alpha", "alpha", "ALPHA", "beta", "Beta",
                                               "GAMMA", "gamma", "Δέλτα", "δέλτα", "ΔΈΛΤΑ"};
static const double numbers[] = {-2, -0.5, 0, 1, 1.5, 2, 3, 100};
static const char *const statuses[] = {"active", "active", "active", "Active", "frozen", "resigned"};

typedef struct rfield {
    const char *name;
    rs_type type;
    bool multi;
} rfield;

/* The random schema: every type, single and multi, besides `department` and `main_department`. */
static const rfield rfields[] = {
    {"ts", RS_T_TEXT, false},       {"tm", RS_T_TEXT, true},        {"os", RS_T_OPTION, false},
    {"om", RS_T_OPTION, true},      {"ns", RS_T_NUMBER, false},     {"nm", RS_T_NUMBER, true},
    {"ds", RS_T_DATE, false},       {"dm", RS_T_DATE, true},        {"ps", RS_T_PERSONNEL, false},
    {"pm", RS_T_PERSONNEL, true},   {"bs", RS_T_BOOL, false},       {"bm", RS_T_BOOL, true},
    {"cs", RS_T_DEPARTMENT, false}, {"department", RS_T_DEPARTMENT, true},
    {"main_department", RS_T_DEPARTMENT, false},
};
#define NSCHEMA 13   /* rfields declared in schema.json (the last two are built in) */

typedef struct rorg {
    uint32_t nmembers, ndepts;
    bool status;
    bool unique_text;   /* text values numbered, so that nearly each is different (e-mail like) */
    uint32_t wide;      /* most values a multi-valued field holds (3 when 0) */
    int32_t today;
} rorg;

static void put_number_json(rs_sb *sb, double x) { rs_sb_printf(sb, "%.17g", x); }

static void put_day_text(rs_sb *sb, int32_t day) {
    char buf[RS_DATE_MAX];
    rs_date_format(day, buf);
    rs_sb_puts(sb, buf);
}

/* One value of a field in members.jsonl. */
static void put_member_value(prng *r, const rorg *o, rs_type t, rs_sb *sb) {
    char id[16];
    switch (t) {
    case RS_T_TEXT:
    case RS_T_OPTION: {
        const char *str = t == RS_T_TEXT ? PICK(r, texts) : PICK(r, options);
        if (t == RS_T_TEXT && o->unique_text) {   /* about one value in two different */
            rs_sb_printf(sb, "\"%s %u\"", texts[below(r, 3)], below(r, o->nmembers / 2 + 1));
            break;
        }
        rs_sb_json_str(sb, str, strlen(str));
        break;
    }
    case RS_T_NUMBER: put_number_json(sb, PICK(r, numbers)); break;
    case RS_T_DATE:
        rs_sb_putc(sb, '"');
        put_day_text(sb, o->today + (int32_t)below(r, 13) - 6);
        rs_sb_putc(sb, '"');
        break;
    case RS_T_PERSONNEL: snprintf(id, sizeof id, "\"m%u\"", below(r, o->nmembers)); rs_sb_puts(sb, id); break;
    case RS_T_DEPARTMENT: snprintf(id, sizeof id, "\"d%u\"", below(r, o->ndepts)); rs_sb_puts(sb, id); break;
    case RS_T_BOOL: rs_sb_puts(sb, chance(r, 50) ? "true" : "false"); break;
    default: break;
    }
}

/* A key with an empty value: left out, null, "" or []. */
static void put_empty(prng *r, const rfield *f, rs_sb *sb) {
    switch (below(r, 3)) {
    case 0: return;
    case 1: rs_sb_printf(sb, ", \"%s\": null", f->name); return;
    default: rs_sb_printf(sb, ", \"%s\": %s", f->name, f->multi ? "[]" : "\"\""); return;
    }
}

static void put_member(prng *r, const rorg *o, uint32_t m, rs_sb *sb) {
    rs_sb_printf(sb, "{\"id\": \"m%u\"", m);
    for (size_t i = 0; i < NSCHEMA + 1; i++) {   /* the schema's fields and `department` */
        const rfield *f = &rfields[i];
        /* a member in no department is valid, but rarer than other empty values */
        if (chance(r, 25) && (strcmp(f->name, "department") != 0 || chance(r, 30))) {
            put_empty(r, f, sb);
            continue;
        }
        rs_sb_printf(sb, ", \"%s\": ", f->name);
        if (!f->multi) {
            put_member_value(r, o, f->type, sb);
            continue;
        }
        uint32_t n = 1 + below(r, o->wide ? o->wide : 3);
        rs_sb_putc(sb, '[');
        if (f->type == RS_T_DEPARTMENT) {   /* distinct departments, in random order */
            uint32_t first = below(r, o->ndepts);
            for (uint32_t k = 0; k < n && k < o->ndepts; k++)
                rs_sb_printf(sb, "%s\"d%u\"", k ? ", " : "", (first + k * 3) % o->ndepts);
        } else {
            for (uint32_t k = 0; k < n; k++) {
                if (k) rs_sb_puts(sb, ", ");
                put_member_value(r, o, f->type, sb);
            }
        }
        rs_sb_putc(sb, ']');
    }
    if (o->status && chance(r, 90)) {
        const char *st = PICK(r, statuses);
        rs_sb_printf(sb, ", \"status\": \"%s\"", st);
    }
    rs_sb_puts(sb, "}\n");
}

static void write_random_org(prng *r, const rorg *o, const char *dir) {
    rs_sb sb = {0};
    rs_sb_puts(&sb, "{\"fields\": [");
    for (size_t i = 0; i < NSCHEMA; i++) {
        const rfield *f = &rfields[i];
        rs_sb_printf(&sb, "%s{\"name\": \"%s\", \"type\": \"%s\"%s", i ? ", " : "", f->name,
                     rs_type_name(f->type), f->multi ? ", \"multi\": true" : "");
        if (f->type == RS_T_OPTION) rs_sb_puts(&sb, ", \"options\": [\"Alpha\", \"beta\", \"GAMMA\", \"Δέλτα\"]");
        rs_sb_putc(&sb, '}');
    }
    if (o->status)
        rs_sb_puts(&sb, ", {\"name\": \"status\", \"type\": \"option\", \"options\": [\"active\", \"frozen\", \"resigned\"]}");
    rs_sb_puts(&sb, "]}\n");
    vt_write(dir, "schema.json", sb.buf, sb.len);
    rs_sb_clear(&sb);
    for (uint32_t d = 0; d < o->ndepts; d++) {   /* a random tree: each department's parent comes earlier */
        if (d == 0) rs_sb_puts(&sb, "{\"id\": \"d0\", \"parent\": null, \"name\": \"Root\"}\n");
        else rs_sb_printf(&sb, "{\"id\": \"d%u\", \"parent\": \"d%u\", \"name\": \"Dept %u\"}\n", d, below(r, d), d);
    }
    vt_write(dir, "departments.jsonl", sb.buf, sb.len);
    rs_sb_clear(&sb);
    for (uint32_t m = 0; m < o->nmembers; m++) put_member(r, o, m, &sb);
    vt_write(dir, "members.jsonl", sb.buf, sb.len);
    rs_sb_free(&sb);
}

/* A rule value of type t; `between` ends come from put_range. */
static void put_rule_value(prng *r, const rorg *o, rs_type t, bool text_needle, rs_sb *sb) {
    const char *s;
    switch (t) {
    case RS_T_TEXT:
        s = text_needle ? PICK(r, needles) : PICK(r, texts);
        if (o->unique_text && !text_needle) {   /* a value some member may hold */
            rs_sb_printf(sb, "\"%s %u\"", texts[below(r, 3)], below(r, o->nmembers / 2 + 1));
            break;
        }
        if (o->unique_text && chance(r, 30)) {   /* a needle that ends in a number */
            rs_sb_printf(sb, "\"%u\"", below(r, 100));
            break;
        }
        rs_sb_rule_str(sb, s, strlen(s));
        break;
    case RS_T_OPTION: s = PICK(r, option_spellings); rs_sb_rule_str(sb, s, strlen(s)); break;
    case RS_T_NUMBER: rs_sb_printf(sb, "%g", PICK(r, numbers)); break;
    case RS_T_DATE:
        if (chance(r, 50)) {
            put_day_text(sb, o->today + (int32_t)below(r, 15) - 7);
        } else {
            int32_t n = (int32_t)below(r, 8);
            if (n == 0) rs_sb_puts(sb, "today");
            else rs_sb_printf(sb, "today %c %d days", chance(r, 50) ? '-' : '+', n);
        }
        break;
    case RS_T_PERSONNEL: rs_sb_printf(sb, "\"m%u\"", below(r, o->nmembers)); break;
    case RS_T_DEPARTMENT: rs_sb_printf(sb, "\"d%u\"", below(r, o->ndepts)); break;
    case RS_T_BOOL: rs_sb_puts(sb, chance(r, 50) ? "true" : "false"); break;
    default: break;
    }
}

/* `is between A and B` with A <= B; on a single-valued date field the ends may mix a date and a
 * relative date, in either order (then the range may be empty on the day). */
static void put_range(prng *r, const rorg *o, const rfield *f, rs_sb *sb) {
    if (f->type == RS_T_NUMBER) {
        double a = PICK(r, numbers), b = PICK(r, numbers);
        rs_sb_printf(sb, "%g and %g", a < b ? a : b, a < b ? b : a);
        return;
    }
    int32_t a = (int32_t)below(r, 15) - 7, b = (int32_t)below(r, 15) - 7;
    if (a > b) { int32_t t = a; a = b; b = t; }
    uint32_t form = f->multi ? below(r, 2) : below(r, 4);
    bool rel_a = form == 1 || form == 2, rel_b = form == 1 || form == 3;
    if (rel_a) rs_sb_printf(sb, "today %c %d days", a < 0 ? '-' : '+', abs(a));
    else put_day_text(sb, o->today + a);
    rs_sb_puts(sb, " and ");
    if (rel_b) rs_sb_printf(sb, "today %c %d days", b < 0 ? '-' : '+', abs(b));
    else put_day_text(sb, o->today + b);
}

static void put_list(prng *r, const rorg *o, rs_type t, rs_sb *sb) {
    uint32_t n = 1 + below(r, 3);
    rs_sb_puts(sb, "(");
    for (uint32_t k = 0; k < n; k++) {
        if (k) rs_sb_puts(sb, ", ");
        put_rule_value(r, o, t, false, sb);
    }
    rs_sb_puts(sb, ")");
}

/* A random condition that checks: an operator valid for the field, values of its type. */
static void put_condition(prng *r, const rorg *o, rs_sb *sb) {
    const rfield *f = &rfields[below(r, RS_ARRAY_LEN(rfields))];
    const char *ops[16];
    size_t n = 0;
    if (!f->multi) ops[n++] = "equals", ops[n++] = "not equal to";
    else ops[n++] = "include all";
    ops[n++] = "is any of", ops[n++] = "is none of", ops[n++] = "is empty", ops[n++] = "is not empty";
    if (f->type == RS_T_TEXT) ops[n++] = "contains", ops[n++] = "does not contain", ops[n++] = "starts with";
    if (f->type == RS_T_NUMBER || f->type == RS_T_DATE)
        ops[n++] = "is before", ops[n++] = "is on or before", ops[n++] = "is after",
        ops[n++] = "is on or after", ops[n++] = "is between";
    if (f->type == RS_T_NUMBER)
        ops[n++] = "greater than", ops[n++] = "less than", ops[n++] = "at least", ops[n++] = "at most";
    if (f->type == RS_T_DEPARTMENT)
        ops[n++] = "belong to", ops[n++] = "partly belong to", ops[n++] = "don't belong to";
    if (f->type == RS_T_PERSONNEL) ops[n++] = "reports to", ops[n++] = "reports to";
    const char *op = ops[below(r, (uint32_t)n)];
    rs_sb_printf(sb, "%s %s", f->name, op);
    if (!strcmp(op, "is empty") || !strcmp(op, "is not empty")) return;
    rs_sb_putc(sb, ' ');
    if (!strcmp(op, "is between")) put_range(r, o, f, sb);
    else if (strstr(op, "any of") || strstr(op, "none of") || strstr(op, "all") || strstr(op, "belong"))
        put_list(r, o, f->type, sb);
    else put_rule_value(r, o, f->type, strstr(op, "contain") || strstr(op, "starts"), sb);
    if (strstr(op, "partly") || strstr(op, "don't"))
        if (chance(r, 50)) rs_sb_puts(sb, " with sub-departments");
}

/* `match` over the numbers nums[0..n), each once, random and/or shape. */
static void put_match(prng *r, const uint32_t *nums, uint32_t n, bool top, rs_sb *sb) {
    if (n == 1) {
        rs_sb_printf(sb, "%u", nums[0]);
        return;
    }
    uint32_t k = 1 + below(r, n - 1);
    if (!top) rs_sb_putc(sb, '(');
    put_match(r, nums, k, false, sb);
    rs_sb_puts(sb, chance(r, 50) ? " and " : " or ");
    put_match(r, nums + k, n - k, false, sb);
    if (!top) rs_sb_putc(sb, ')');
}

static void put_where(prng *r, const rorg *o, uint32_t n, rs_sb *sb) {
    if (n == 1) {
        bool negate = chance(r, 30);
        rs_sb_puts(sb, negate ? "not (" : "");
        put_condition(r, o, sb);
        rs_sb_puts(sb, negate ? ")" : "");
        return;
    }
    uint32_t k = 1 + below(r, n - 1);
    rs_sb_putc(sb, '(');
    put_where(r, o, k, sb);
    rs_sb_puts(sb, chance(r, 50) ? ") and (" : ") or (");
    put_where(r, o, n - k, sb);
    rs_sb_putc(sb, ')');
}

static void put_group(prng *r, const rorg *o, uint32_t g, rs_sb *sb) {
    rs_sb_printf(sb, "group \"g%u\" {\n  name \"Group %u\"\n", g, g);
    if (chance(r, 40)) {
        uint32_t n = 1 + below(r, 3), first = below(r, o->ndepts);
        rs_sb_puts(sb, "  departments ");
        for (uint32_t k = 0; k < n && k < o->ndepts; k++) rs_sb_printf(sb, "%s\"d%u\"", k ? ", " : "", (first + k) % o->ndepts);
        rs_sb_puts(sb, chance(r, 50) ? " with sub-departments\n" : "\n");
    }
    uint32_t form = below(r, 10);
    if (form < 5) {
        uint32_t n = 1 + below(r, 4), nums[4], base = 1 + below(r, 16);
        for (uint32_t k = 0; k < n; k++) {
            nums[k] = base + k;
            rs_sb_printf(sb, "  %u: ", nums[k]);
            put_condition(r, o, sb);
            rs_sb_putc(sb, '\n');
        }
        for (uint32_t k = n; k > 1; k--) {   /* shuffle so `match` names them in any order */
            uint32_t j = below(r, k), t = nums[k - 1];
            nums[k - 1] = nums[j], nums[j] = t;
        }
        if (chance(r, 60)) {
            rs_sb_puts(sb, "  match ");
            put_match(r, nums, n, true, sb);
            rs_sb_putc(sb, '\n');
        }
    } else if (form < 9) {
        rs_sb_puts(sb, "  where ");
        put_where(r, o, 1 + below(r, 5), sb);
        rs_sb_putc(sb, '\n');
    }
    /* allow: members a, a+1, ...; block: members b, b+1, ... that are not allowed */
    uint32_t m = o->nmembers, a = below(r, m), na = chance(r, 20) ? 1 + below(r, 3) : 0;
    uint32_t b = below(r, m), nb = chance(r, 25) ? 1 + below(r, 3) : 0;
    if (na > m) na = m;
    if (nb > m) nb = m;
    if (na) {
        rs_sb_puts(sb, "  allow ");
        for (uint32_t k = 0; k < na; k++) rs_sb_printf(sb, "%s\"m%u\"", k ? ", " : "", (a + k) % m);
        rs_sb_putc(sb, '\n');
    }
    uint32_t written = 0;
    for (uint32_t k = 0; k < nb; k++) {
        uint32_t id = (b + k) % m;
        if ((id + m - a) % m < na) continue;   /* allowed: a member may not be in both lists */
        rs_sb_printf(sb, "%s\"m%u\"", written++ ? ", " : "  block ", id);
    }
    if (written) rs_sb_putc(sb, '\n');
    rs_sb_puts(sb, "}\n");
}

static char *random_rules(prng *r, const rorg *o, uint32_t ngroups) {
    rs_sb sb = {0};
    for (uint32_t g = 0; g < ngroups; g++) put_group(r, o, g, &sb);
    return rs_sb_take(&sb);
}

/* The same organisation packed to a .snap file and mapped back: its members-by-value postings take
 * the place of the indexes a folder load makes the VM build. */
static rs_snapshot *packed_twin(const rs_snapshot *s, const char *dir, char *path, size_t len) {
    snprintf(path, len, "%s/org.snap", dir);
    rs_diags *d = vt_diags();
    if (rs_snapshot_pack(s, path, d) != 0) vt_fail_diags(d, "packing");
    free(d);
    return vt_load(path);
}

/* Two runs give the same bitmap for group g. */
static void same_bits(const run *x, const run *y, uint32_t g, const char *what, const char *how, const char *text) {
    size_t words = rs_bm_words(x->s->nmembers);
    if (memcmp(x->bms[g], y->bms[g], words * sizeof(uint64_t)) == 0) return;
    fprintf(stderr, "%s\n", text);
    ck_abort_msg("%s: group %u differs %s (rules on stderr)", what, g, how);
}

/* A VM made for some of the groups only: those give the full VM's bitmaps, the others none. */
static void check_subset(prng *r, const run *full, const char *what) {
    const rs_program *p = full->rules.program;
    bool *want = rs_calloc(p->ngroups + 1, sizeof *want);
    for (uint32_t g = 0; g < p->ngroups; g++) want[g] = chance(r, 50);
    rs_diags *d = vt_diags();
    rs_vm *vm = rs_vm_new_groups(p, full->s, full->today, want, 2, d);
    if (!vm) vt_fail_diags(d, "rs_vm_new_groups");
    uint64_t **bms = rs_calloc(p->ngroups + 1, sizeof *bms);
    ck_assert_int_eq(rs_vm_eval_all(vm, bms, 2), 0);
    for (uint32_t g = 0; g < p->ngroups; g++) {
        if (!want[g]) {
            ck_assert_msg(bms[g] == NULL, "%s: group %u evaluated though not asked for", what, g);
            ck_assert(!rs_vm_eval_member(vm, g, 0));
            continue;
        }
        ck_assert_msg(memcmp(bms[g], full->bms[g], rs_bm_words(full->s->nmembers) * sizeof(uint64_t)) == 0,
                      "%s: group %u differs when evaluated alone", what, g);
        for (uint32_t m = 0; m < full->s->nmembers; m += 1 + full->s->nmembers / 50)
            ck_assert(rs_vm_eval_member(vm, g, m) == rs_bm_get(full->bms[g], m));
        free(bms[g]);
    }
    free(bms);
    rs_vm_free(vm);
    free(d);
    free(want);
}

typedef struct rshape {
    uint32_t ndepts;    /* 0: 1 to 8 at random */
    bool unique_text;
    uint32_t wide;
} rshape;

/* One random organisation and rule file (or the given rules); every group compared member by
 * member, over the folder load (one thread, several) and its .snap twin. */
static void differential_shape(uint64_t seed, uint32_t nmembers, uint32_t ngroups, uint32_t step,
                               const char *rules, rshape shape) {
    prng r = {seed};
    rorg o = {.nmembers = nmembers, .ndepts = 1 + below(&r, 8), .status = chance(&r, 50),
              .today = vt_day(TODAY) + (int32_t)below(&r, 3) - 1, .unique_text = shape.unique_text,
              .wide = shape.wide};
    if (rules) o.ndepts = 8, o.status = true;
    if (shape.ndepts) o.ndepts = shape.ndepts;
    char *dir = vt_tmpdir(), snap[600];
    write_random_org(&r, &o, dir);
    /* packing syncs the file to disk: one small organisation in four is enough */
    bool pack = nmembers > 100 || seed % 4 == 1;
    rs_snapshot *s = vt_load(dir), *packed = pack ? packed_twin(s, dir, snap, sizeof snap) : s;
    char *text = rules ? rs_strdup(rules) : random_rules(&r, &o, ngroups);
    run a, b, c;
    run_open(&a, s, text, o.today, 1);
    run_open(&b, s, text, o.today, 2 + (int)below(&r, 3));
    run_open(&c, packed, text, o.today, 2);
    char what[64];
    snprintf(what, sizeof what, "seed %llu", (unsigned long long)seed);
    for (uint32_t g = 0; g < a.rules.program->ngroups; g++) {
        same_bits(&a, &b, g, what, "between thread counts", text);
        same_bits(&a, &c, g, what, "between the folder and its .snap file", text);
        agree(&a, g, step, what);
        if (pack) agree(&c, g, step * 3, what);
    }
    check_subset(&r, &c, what);
    run_close(&c);
    run_close(&b);
    run_close(&a);
    free(text);
    if (pack) {
        rs_snapshot_free(packed);
        unlink(snap);
    }
    rs_snapshot_free(s);
    vt_rmdir(dir);
}

static void differential_rules(uint64_t seed, uint32_t nmembers, uint32_t ngroups, uint32_t step,
                               const char *rules) {
    differential_shape(seed, nmembers, ngroups, step, rules, (rshape){0});
}

static void differential(uint64_t seed, uint32_t nmembers, uint32_t ngroups, uint32_t step) {
    differential_rules(seed, nmembers, ngroups, step, NULL);
}

START_TEST(random_against_reference) {
    for (uint64_t i = 0; i < 300; i++) {
        prng r = {i * 7919 + 17};
        differential(i * 7919 + 17, 1 + below(&r, 40), 1 + below(&r, 5), 1);
    }
}
END_TEST

/* More members than a batch holds: batch edges, the tail, and the work split between threads. */
START_TEST(random_many_batches) {
    differential(4242, 40000 + 37, 6, 97);
}
END_TEST

/* Leaves shared by several groups (computed once per batch) under different scopes and operands:
 * a group that skips members of no interest to it must not leave them wrong for the next. */
START_TEST(shared_leaves_many_batches) {
    static const char *const rules =
        "group \"a\" {\n  name \"a\"\n  departments \"d1\"\n  1: ns at least 1\n  2: ts contains \"h\"\n"
        "  match 1 and 2\n}\n"
        "group \"b\" {\n  name \"b\"\n  departments \"d2\" with sub-departments\n  1: ns at least 1\n"
        "  2: ts contains \"h\"\n  match 1 or 2\n}\n"
        "group \"c\" {\n  name \"c\"\n  where not (ns at least 1) and (ts contains \"h\" or bs equals true)\n}\n"
        "group \"d\" {\n  name \"d\"\n  where (ds is after today or ns at least 1) and not (ts contains \"h\")\n}\n"
        "group \"e\" {\n  name \"e\"\n  departments \"d5\"\n}\n";
    differential_rules(99, 3 * 16384 + 200, 0, 13, rules);
}
END_TEST

/* Text of nearly one value per member (substring tests searched member by member, lists found by
 * one pass over the column) and many departments (scopes so small that the members that matter are
 * tested one by one), over several batches. */
START_TEST(random_unique_text_small_scopes) {
    for (uint64_t i = 0; i < 5; i++)
        differential_shape(777 + i, 20000 + 11 * (uint32_t)i, 24, 37, NULL,
                           (rshape){.ndepts = 60, .unique_text = true});
}
END_TEST

/* `belong to` few departments (a list, rechecked member by member) and more (a member bitmap),
 * `partly belong to` unions of departments, over a wide tree. */
START_TEST(selective_department_tests) {
    static const char *const rules =
        "group \"a\" {\n  name \"a\"\n  1: department belong to (\"d5\")\n}\n"
        "group \"b\" {\n  name \"b\"\n  1: department belong to (\"d5\", \"d6\", \"d7\")\n}\n"
        "group \"c\" {\n  name \"c\"\n  1: department partly belong to (\"d9\", \"d10\", \"d11\")\n}\n"
        "group \"d\" {\n  name \"d\"\n  departments \"d3\", \"d4\"\n  1: ts is not empty\n}\n"
        "group \"e\" {\n  name \"e\"\n  where department belong to (\"d1\", \"d2\") or "
        "cs partly belong to (\"d3\", \"d8\")\n}\n";
    differential_shape(4711, 20000, 0, 29, rules, (rshape){.ndepts = 60});
    differential_shape(4712, 20000, 0, 29, rules, (rshape){.ndepts = 200});
}
END_TEST

/* Members holding dozens of values each: the word kernels' fallbacks for words of many values. */
START_TEST(random_many_values) {
    for (uint64_t i = 0; i < 4; i++) differential_shape(555 + i, 700, 6, 1, NULL, (rshape){.ndepts = 50, .wide = 40});
}
END_TEST

/* Threads started by preparing and evaluating every group of a random organisation of several
 * batches (the size where leaves are prepared in parallel too) on `threads` threads. */
static uint64_t threads_started(const rs_snapshot *s, const char *text, int32_t today, int threads) {
    vt_rules rules;
    vt_compile(&rules, text, s);
    const rs_program *p = rules.program;
    rs_diags *d = vt_diags();
    uint64_t before = rs_parallel_started();
    rs_vm *vm = rs_vm_new_groups(p, s, today, NULL, threads, d);
    if (!vm) vt_fail_diags(d, "rs_vm_new_groups");
    uint64_t **bms = rs_calloc(p->ngroups + 1, sizeof *bms);
    ck_assert_int_eq(rs_vm_eval_all(vm, bms, threads), 0);
    uint64_t started = rs_parallel_started() - before;
    for (uint32_t g = 0; g < p->ngroups; g++) free(bms[g]);
    free(bms);
    rs_vm_free(vm);
    free(d);
    vt_rules_free(&rules);
    return started;
}

/* --threads 1 prepares and evaluates on the calling thread alone; 2 does start threads. */
START_TEST(one_thread_starts_none) {
    prng r = {2718};
    rorg o = {.nmembers = 3 * 16384 + 5, .ndepts = 8, .status = true, .today = vt_day(TODAY)};
    char *dir = vt_tmpdir();
    write_random_org(&r, &o, dir);
    rs_snapshot *s = vt_load(dir);
    char *text = random_rules(&r, &o, 12);
    ck_assert_uint_eq(threads_started(s, text, o.today, 1), 0);
    ck_assert_uint_gt(threads_started(s, text, o.today, 2), 0);
    free(text);
    rs_snapshot_free(s);
    vt_rmdir(dir);
}
END_TEST

/* Postings decode to exactly the members holding each code, as a scan of the column finds them. */
START_TEST(postings_match_columns) {
    prng r = {31337};
    rorg o = {.nmembers = 3000, .ndepts = 40, .status = true, .today = vt_day(TODAY)};
    char *dir = vt_tmpdir(), snap[600];
    write_random_org(&r, &o, dir);
    rs_snapshot *folder = vt_load(dir), *s = packed_twin(folder, dir, snap, sizeof snap);
    uint32_t *got = rs_malloc((s->nmembers + 1) * sizeof *got), columns = 0;
    for (size_t c = 0; c < s->schema->nfields; c++) {
        const rs_column *col = &s->columns[c];
        if (!col->post_count) continue;
        columns++;
        ck_assert_uint_eq(col->post_codes, rs_column_code_space(s, col));
        for (uint32_t code = 0; code < col->post_codes; code++) {
            uint32_t want = 0, k = rs_post_decode(s, col, code, got);
            for (uint32_t m = 0; m < s->nmembers; m++) {
                if (rs_bm_get(col->empty, m)) continue;
                bool holds = false;
                uint32_t b = col->offsets ? col->offsets[m] : m, e = col->offsets ? col->offsets[m + 1] : m + 1;
                for (uint32_t p = b; p < e; p++) holds |= col->codes[p] == code;
                if (!holds) continue;
                if (col->post_count[code] <= s->nmembers / RS_POST_RARE) {
                    ck_assert_uint_lt(want, k);
                    ck_assert_uint_eq(got[want], m);
                }
                want++;
            }
            ck_assert_uint_eq(col->post_count[code], want);
            if (want > s->nmembers / RS_POST_RARE) ck_assert_uint_eq(k, 0);
            else ck_assert_uint_eq(k, want);
        }
    }
    ck_assert_uint_ge(columns, 5);   /* text, option and department columns, single and multi */
    free(got);
    rs_snapshot_free(s);
    rs_snapshot_free(folder);
    unlink(snap);
    vt_rmdir(dir);
}
END_TEST

/* The incremental path answers for one member without bitmaps, and refuses what is out of range. */
START_TEST(member_path_bounds) {
    rs_snapshot *s = vt_load(ORG);
    run r;
    run_open(&r, s, "group \"a\" {\n  name \"a\"\n  1: level at least 5\n}\n", vt_day(TODAY), 1);
    ck_assert(rs_vm_eval_member(r.vm, 0, 1));        /* u2, level 5 */
    ck_assert(!rs_vm_eval_member(r.vm, 0, 0));       /* u1, level 3 */
    ck_assert(!rs_vm_eval_member(r.vm, 0, s->nmembers));
    ck_assert(!rs_vm_eval_member(r.vm, 1, 0));
    ck_assert_int_ne(rs_vm_eval_group(r.vm, 1, r.bms[0]), 0);
    run_close(&r);
    rs_snapshot_free(s);
}
END_TEST

static Suite *vm_suite(void) {
    Suite *s = suite_create("vm");
    TCase *ops = tcase_create("operators");
    tcase_add_test(ops, every_operator);
    tcase_add_test(ops, status_only_active);
    tcase_add_test(ops, today_is_bound_per_run);
    tcase_add_test(ops, no_department);
    tcase_add_test(ops, member_path_bounds);
    suite_add_tcase(s, ops);
    TCase *bind = tcase_create("binding");
    tcase_add_test(bind, binding_mismatch_is_e0702);
    suite_add_tcase(s, bind);
    TCase *rnd = tcase_create("differential");
    tcase_set_timeout(rnd, 300);
    tcase_add_test(rnd, random_against_reference);
    tcase_add_test(rnd, random_many_batches);
    tcase_add_test(rnd, shared_leaves_many_batches);
    tcase_add_test(rnd, random_unique_text_small_scopes);
    tcase_add_test(rnd, postings_match_columns);
    tcase_add_test(rnd, random_many_values);
    tcase_add_test(rnd, selective_department_tests);
    tcase_add_test(rnd, one_thread_starts_none);
    suite_add_tcase(s, rnd);
    return s;
}

RS_TEST_MAIN(vm_suite)
