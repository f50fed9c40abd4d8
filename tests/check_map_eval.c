/* check_map_eval: mapping programs run over JSON records: every function, every comparison and the
 * empty-value rules, `if` running only the branch taken, lookup tables (CSV and JSON), and each kind
 * of per-record failure, with one bad record leaving the others mapped. Schemas and tables are the
 * files of tests/data/map/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/testutil.h"
#include "grammar/grammar.h"
#include "compiler/mapping.h"
#include "runtime/mapeval.h"
#include "common/strbuf.h"
#include "common/util.h"

#define DIR RS_TEST_DATA "/map"
#define HEAD                                                                                    \
    "mapping \"t\" {\n  source \"src.schema.json\"\n  target \"tgt.schema.json\"\n"             \
    "  table \"orgunits\" = \"orgunits.csv\"\n  table \"ou\" = \"orgunits.json\"\n"            \
    "  table \"buildings\" = \"quoted.csv\"\n"                                                 \
    "  default user_id = id\n  default name = name.fullName\n"

typedef struct prog {
    rs_source *src;
    ast_mapfile *f;
    rs_mapcheck *c;
    rs_mapprog *p;
    rs_mapper *m;
} prog;

static prog compile(const char *items) {
    prog g;
    rs_sb sb = {0};
    rs_sb_printf(&sb, HEAD "%s}\n", items);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    g.src = rs_source_new("t.map", sb.buf, sb.len);
    g.f = rs_parse_mapping(g.src, d);
    ck_assert_ptr_nonnull(g.f);
    g.c = rs_map_check(g.f, DIR, d);
    if (d->n) {
        rs_sb out = {0};
        rs_diags_render_text(d, &out, false);
        ck_abort_msg("diagnostics:\n%s", out.buf);
    }
    g.p = rs_map_compile(g.c, 0, DIR);
    ck_assert_ptr_nonnull(g.p);
    ck_assert_int_eq(rs_mapper_new(&g.m, g.p, d), 0);
    free(d);
    return g;
}

static void release(prog *g) {
    rs_mapper_free(g->m);
    rs_mapprog_free(g->p);
    rs_mapcheck_free(g->c);
    ast_mapfile_free(g->f);
    rs_source_free(g->src);
}

static int target_index(const prog *g, const char *name) {
    for (size_t i = 0; i < g->p->ntargets; i++)
        if (strcmp(g->p->targets[i].name, name) == 0) return (int)i;
    ck_abort_msg("no target %s", name);
    return -1;
}

/* The value of `target` for record r as JSON, or "FAIL reason" when that field failed. */
static char *value_of(const prog *g, const rs_mapresult *res, size_t r, const char *target) {
    int t = target_index(g, target);
    rs_sb sb = {0};
    for (size_t i = 0; i < res->nfailures; i++)
        if (res->failures[i].record == r && (res->failures[i].target == t || res->failures[i].target < 0)) {
            rs_sb_printf(&sb, "FAIL %s", rs_mapfail_name(res->failures[i].kind));
            return rs_sb_take(&sb);
        }
    rs_mapval_json(&res->values[r * res->ntargets + (size_t)t], &sb);
    return rs_sb_take(&sb);
}

/* Maps one record with `custom TARGET = EXPR` and compares the field's value. */
static void expect(const char *target, const char *expr, const char *record, const char *want) {
    char items[2048];
    snprintf(items, sizeof items, "  custom %s = %s\n", target, expr);
    prog g = compile(items);
    json_t *rec = json_loads(record, 0, NULL);
    ck_assert_msg(rec != NULL, "bad test record %s", record);
    rs_mapresult res;
    rs_mapper_run(g.m, &rec, NULL, 1, &res);
    char *got = value_of(&g, &res, 0, target);
    ck_assert_msg(strcmp(got, want) == 0, "%s = %s on %s: got %s, wanted %s", target, expr, record,
                  got, want);
    free(got);
    json_decref(rec);
    release(&g);
}

#define R(extra) "{\"id\": \"u1\", \"name\": {\"fullName\": \"Ann Lee\"}" extra "}"

static const struct {
    const char *target, *expr, *record, *want;
} cases[] = {
    /* lower, upper, trim */
    {"title", "lower(primaryEmail)", R(", \"primaryEmail\": \"Ann.LEE@Example.COM\""), "\"ann.lee@example.com\""},
    {"title", "lower(primaryEmail)", R(", \"primaryEmail\": \"ÀNGEL ÇA\""), "\"àngel ça\""},
    {"title", "upper(primaryEmail)", R(", \"primaryEmail\": \"ñandú x\""), "\"ÑANDÚ X\""},
    {"title", "upper(primaryEmail)", R(""), "null"},
    {"title", "trim(primaryEmail)", R(", \"primaryEmail\": \" \\t a b \\u00a0\""), "\"a b\""},
    {"title", "trim(primaryEmail)", R(", \"primaryEmail\": \"   \""), "null"},
    /* concat, coalesce */
    {"title", "concat(id, \"-\", 1.5, \"/\", true, \"/\", 2024-01-02, primaryEmail)", R(""),
     "\"u1-1.5/true/2024-01-02\""},
    {"title", "concat(primaryEmail)", R(""), "null"},
    {"title", "coalesce(organizations[0].title, \"Staff\")", R(""), "\"Staff\""},
    {"title", "coalesce(organizations[0].title, \"Staff\")",
     R(", \"organizations\": [{\"title\": \"CTO\"}]"), "\"CTO\""},
    {"title", "coalesce(organizations[0].title, \"Staff\")",
     R(", \"organizations\": [{\"title\": \"\"}]"), "\"Staff\""},
    /* substr, replace, split, join */
    {"title", "substr(primaryEmail, 1, 3)", R(", \"primaryEmail\": \"héllo\""), "\"éll\""},
    {"title", "substr(primaryEmail, 2)", R(", \"primaryEmail\": \"héllo\""), "\"llo\""},
    {"title", "substr(primaryEmail, 9)", R(", \"primaryEmail\": \"abc\""), "null"},
    {"title", "replace(primaryEmail, \".\", \"--\")", R(", \"primaryEmail\": \"a.b.c\""), "\"a--b--c\""},
    {"title", "replace(primaryEmail, \"x\", \"y\")", R(", \"primaryEmail\": \"abc\""), "\"abc\""},
    {"tags", "split(primaryEmail, \",\")", R(", \"primaryEmail\": \"a,,b,\""), "[\"a\", \"b\"]"},
    {"tags", "aliases", R(", \"aliases\": [\"x\", \"\", \"y\"]"), "[\"x\", \"y\"]"},
    {"title", "join(aliases, \"; \")", R(", \"aliases\": [\"x\", \"y\"]"), "\"x; y\""},
    {"title", "join(aliases, \"; \")", R(", \"aliases\": []"), "null"},
    /* if runs only the branch taken: the lookup of a missing key is never made */
    {"title", "if(suspended, lookup(\"orgunits\", \"/Nowhere\"), \"active\")", R(", \"suspended\": false"),
     "\"active\""},
    {"title", "if(suspended, \"frozen\", \"active\")", R(", \"suspended\": true"), "\"frozen\""},
    {"title", "if(suspended, \"frozen\", \"active\")", R(""), "\"active\""},
    /* lookup: CSV, JSON, quoted CSV fields, a missing key, an empty key */
    {"dept", "lookup(\"orgunits\", orgUnitPath)", R(", \"orgUnitPath\": \"/Sales\""), "\"D-Sales\""},
    {"dept", "lookup(\"ou\", orgUnitPath)", R(", \"orgUnitPath\": \"/Eng\""), "\"D-Eng\""},
    {"dept", "lookup(\"buildings\", orgUnitPath)", R(", \"orgUnitPath\": \"LIS-1\""),
     "\"Lisbon, Tower \\\"A\\\"\""},
    {"dept", "lookup(\"orgunits\", orgUnitPath)", R(", \"orgUnitPath\": \"/Nope\""), "FAIL lookup_missing"},
    {"dept", "lookup(\"orgunits\", orgUnitPath)", R(""), "null"},
    /* date, format_date */
    {"joined", "date(creationTime)", R(", \"creationTime\": \"2024-03-01T23:30:00.000Z\""), "\"2024-03-01\""},
    {"joined", "date(creationTime)", R(", \"creationTime\": \"2024-02-29\""), "\"2024-02-29\""},
    {"joined", "date(creationTime)", R(", \"creationTime\": \"2023-02-29\""), "FAIL bad_value"},
    {"joined", "date(creationTime)", R(", \"creationTime\": \"yesterday\""), "FAIL bad_value"},
    {"title", "format_date(date(creationTime), \"%d/%m/%Y %% %q\")", R(", \"creationTime\": \"2024-03-01\""),
     "\"01/03/2024 % %q\""},
    {"score", "organizations[0].fte", R(", \"organizations\": [{\"fte\": 0.5}]"), "0.5"},
    {"score", "unix_seconds(date(creationTime))", R(", \"creationTime\": \"2024-03-01T23:30:00.000Z\""),
     "1709251200"},
    {"score", "unix_seconds(date(creationTime))", R(", \"creationTime\": \"1969-12-31\""), "-86400"},
    {"score", "unix_seconds(date(creationTime))", R(""), "null"},
    /* [primary]: the element marked primary, else the first; a match prefers the primary one too */
    {"title", "organizations[primary].title",
     R(", \"organizations\": [{\"title\": \"Volunteer\"}, {\"title\": \"CTO\", \"primary\": true}]"), "\"CTO\""},
    {"title", "organizations[primary].title",
     R(", \"organizations\": [{\"title\": \"A\", \"primary\": false}, {\"title\": \"B\"}]"), "\"A\""},
    {"title", "organizations[primary].title",
     R(", \"organizations\": [{\"title\": \"A\", \"primary\": \"true\"}, {\"title\": \"B\", \"primary\": true}]"),
     "\"B\""},
    {"title", "organizations[primary].title", R(", \"organizations\": []"), "null"},
    {"title", "organizations[primary].title", R(", \"organizations\": {\"title\": \"A\"}"), "null"},
    {"title", "emails[type=\"work\"].address",
     R(", \"emails\": [{\"type\": \"work\", \"address\": \"a@x\"}, {\"type\": \"home\", \"address\": \"h@x\", "
       "\"primary\": true}, {\"type\": \"work\", \"address\": \"b@x\", \"primary\": true}]"), "\"b@x\""},
    {"title", "emails[type=\"work\"].address",
     R(", \"emails\": [{\"type\": \"home\", \"address\": \"h@x\", \"primary\": true}, {\"type\": \"work\", "
       "\"address\": \"a@x\"}, {\"type\": \"work\", \"address\": \"b@x\"}]"), "\"a@x\""},
    {"title", "organizations[0].title",
     R(", \"organizations\": [{\"title\": \"Volunteer\"}, {\"title\": \"CTO\", \"primary\": true}]"),
     "\"Volunteer\""},
    /* comparisons: text ignores case; empty values fail positive tests and pass negative ones */
    {"active", "primaryEmail equals \"ANN@X\"", R(", \"primaryEmail\": \"ann@x\""), "true"},
    {"active", "primaryEmail equals \"ann@x\"", R(""), "false"},
    {"active", "primaryEmail not equal to \"ann@x\"", R(""), "true"},
    {"active", "primaryEmail contains \"@X\"", R(", \"primaryEmail\": \"ann@x\""), "true"},
    {"active", "primaryEmail does not contain \"@X\"", R(", \"primaryEmail\": \"ann@x\""), "false"},
    {"active", "primaryEmail starts with \"AN\"", R(", \"primaryEmail\": \"ann@x\""), "true"},
    {"active", "primaryEmail is any of (\"b\", \"ANN@X\")", R(", \"primaryEmail\": \"ann@x\""), "true"},
    {"active", "primaryEmail is none of (\"b\", \"c\")", R(", \"primaryEmail\": \"ann@x\""), "true"},
    {"active", "primaryEmail is empty", R(", \"primaryEmail\": \"\""), "true"},
    {"active", "aliases is not empty", R(", \"aliases\": []"), "false"},
    {"active", "aliases include all (\"X\", \"y\")", R(", \"aliases\": [\"x\", \"y\", \"z\"]"), "true"},
    {"active", "aliases include all (\"x\", \"w\")", R(", \"aliases\": [\"x\", \"y\"]"), "false"},
    {"active", "organizations[0].fte at least 1", R(", \"organizations\": [{\"fte\": 1}]"), "true"},
    {"active", "organizations[0].fte less than 1", R(", \"organizations\": [{\"fte\": 1}]"), "false"},
    {"active", "organizations[0].fte is between 0.5 and 1", R(", \"organizations\": [{\"fte\": 0.75}]"), "true"},
    {"active", "date(creationTime) is after 2024-01-01", R(", \"creationTime\": \"2024-01-02\""), "true"},
    {"active", "date(creationTime) is on or before 2024-01-01", R(", \"creationTime\": \"2024-01-02\""), "false"},
    {"active", "not suspended and (id equals \"u1\" or id equals \"u2\")", R(", \"suspended\": false"), "true"},
    {"active", "suspended or not (id equals \"u1\")", R(""), "false"},
    /* paths: index, filter, missing pieces */
    {"title", "emails[type=\"work\"].address",
     R(", \"emails\": [{\"address\": \"a@h\", \"type\": \"home\"}, {\"address\": \"a@w\", \"type\": \"work\"}]"),
     "\"a@w\""},
    {"title", "emails[type=\"work\"].address", R(", \"emails\": [{\"address\": \"a@h\"}]"), "null"},
    {"title", "organizations[1].title", R(", \"organizations\": [{\"title\": \"A\"}]"), "null"},
    {"title", "organizations[0].title", R(", \"organizations\": {\"title\": \"A\"}"), "null"},
    /* regex_replace: RE2 syntax, \1 for groups, linear time */
    {"title", "regex_replace(primaryEmail, \"[^0-9+]\", \"\")", R(", \"primaryEmail\": \"+351 (912) 345-678\""),
     "\"+351912345678\""},
    {"title", "regex_replace(primaryEmail, \"^(\\\\w+)\\\\.(\\\\w+)@.*$\", \"\\\\2 \\\\1\")",
     R(", \"primaryEmail\": \"ann.lee@x.com\""), "\"lee ann\""},
    {"title", "regex_replace(primaryEmail, \"é+\", \"e\")", R(", \"primaryEmail\": \"cafééé\""), "\"cafe\""},
    {"title", "regex_replace(primaryEmail, \".*\", \"\")", R(", \"primaryEmail\": \"abc\""), "null"},
    {"title", "regex_replace(primaryEmail, \"x\", \"y\")", R(""), "null"},
    /* failures */
    {"title", "organizations[0].title", R(", \"organizations\": [{\"title\": 7}]"), "FAIL wrong_type"},
    {"active", "suspended", R(", \"suspended\": \"yes\""), "FAIL wrong_type"},
    {"kind", "if(suspended, 3, 1)", R(", \"suspended\": true"), "FAIL not_allowed"},
    {"kind", "if(suspended, 3, 1)", R(", \"suspended\": false"), "1"},
    {"level", "lower(primaryEmail)", R(", \"primaryEmail\": \"SENIOR\""), "\"senior\""},
    {"level", "lower(primaryEmail)", R(", \"primaryEmail\": \"Lead\""), "FAIL not_allowed"},
};

START_TEST(test_cases) {
    expect(cases[_i].target, cases[_i].expr, cases[_i].record, cases[_i].want);
}
END_TEST

/* Target checks on the fixed lines: name is required and at most 10 characters. */
START_TEST(test_record_failures) {
    prog g = compile("  custom title = upper(name.fullName)\n");
    const char *lines[] = {
        "{\"id\": \"u1\", \"name\": {\"fullName\": \"Ann Lee\"}}",
        "{\"id\": \"u2\", \"name\": {\"fullName\": \"Bartholomew Johnson\"}}",
        "{\"id\": \"u3\"}",
        "[1, 2]",
        "{\"id\": \"u5\", \"name\": {\"fullName\": \"李小龍\"}}",
    };
    json_t *recs[RS_ARRAY_LEN(lines) + 1];
    for (size_t i = 0; i < RS_ARRAY_LEN(lines); i++) recs[i] = json_loads(lines[i], 0, NULL);
    recs[RS_ARRAY_LEN(lines)] = NULL;   /* a line that was not JSON at all */
    rs_mapresult res;
    rs_mapper_run(g.m, recs, NULL, RS_ARRAY_LEN(lines) + 1, &res);
    const char *want_name[] = {"\"Ann Lee\"", "FAIL too_long", "FAIL missing_required", "FAIL bad_record",
                               "\"李小龍\"", "FAIL bad_record"};
    for (size_t r = 0; r < RS_ARRAY_LEN(want_name); r++) {
        char *got = value_of(&g, &res, r, "name");
        ck_assert_msg(strcmp(got, want_name[r]) == 0, "record %zu: %s", r, got);
        free(got);
    }
    ck_assert(!res.failed[0] && res.failed[1] && res.failed[2] && res.failed[3] && !res.failed[4]);
    char *t = value_of(&g, &res, 4, "title");
    ck_assert_str_eq(t, "\"李小龍\"");
    free(t);
    for (size_t i = 0; i < RS_ARRAY_LEN(lines); i++) json_decref(recs[i]);
    release(&g);
}
END_TEST

/* A large batch: the failing records are exactly those expected, the others all mapped, and a
 * second run reuses the mapper. */
START_TEST(test_batches) {
    prog g = compile("  custom dept = lookup(\"orgunits\", orgUnitPath)\n");
    enum { N = 5000 };
    json_t **recs = rs_calloc(N, sizeof *recs);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < N; i++) {
            char buf[200];
            snprintf(buf, sizeof buf, "{\"id\": \"u%zu\", \"name\": {\"fullName\": \"N%zu\"}, "
                                      "\"orgUnitPath\": \"%s\"}", i, i, i % 7 == 0 ? "/X" : "/Sales");
            recs[i] = json_loads(buf, 0, NULL);
        }
        rs_mapresult res;
        rs_mapper_run(g.m, recs, NULL, N, &res);
        size_t failed = 0;
        for (size_t i = 0; i < N; i++) {
            ck_assert_int_eq(res.failed[i], i % 7 == 0);
            failed += res.failed[i];
        }
        ck_assert_uint_eq(res.nfailures, failed);
        for (size_t i = 1; i < res.nfailures; i++)
            ck_assert_uint_lt(res.failures[i - 1].record, res.failures[i].record);
        for (size_t i = 0; i < N; i++) json_decref(recs[i]);
    }
    free(recs);
    release(&g);
}
END_TEST

START_TEST(test_missing_table) {
    rs_mapprog p;
    memset(&p, 0, sizeof p);
    char name[] = "t", path[] = "tests/data/map/none.csv";
    rs_maptable t = {name, path};
    p.tables = &t;
    p.ntables = 1;
    rs_diags d;
    rs_diags_init(&d);
    rs_mapper *m;
    ck_assert_int_eq(rs_mapper_new(&m, &p, &d), -1);
    ck_assert_int_eq(d.items[0].code, RS_E_MAP_LOOKUP_TABLE);
    rs_mapper_free(m);
}
END_TEST

/* A table that cannot give one answer per key is refused, with the line (and column for JSON). */
static const struct {
    const char *file, *text;
    uint32_t line, col;
    const char *message;
} bad_tables[] = {
    {"dup.csv", "key,value\nA,1\n\"multi\nline\",2\nA,3\n", 5, 1, "lists the key \"A\" a second time"},
    {"dup2.csv", "key,value\r\nA,1\r\n\r\n\"A\",2\r\n", 4, 1, "lists the key \"A\" a second time"},
    {"dup.json", "{\"A\": \"1\",\n \"A\": \"2\"}", 2, 4, "duplicate object key"},
    {"broken.json", "{\"A\": \"1\",\n \"B\" \"2\"}", 2, 8, "is not valid JSON"},
    {"numbers.json", "{\"A\": 1}", 0, 0, "is not a JSON object of strings"},
};

START_TEST(test_bad_table) {
    char dir[] = "/tmp/roster-table-XXXXXX", path[64], name[] = "t";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/%s", dir, bad_tables[_i].file);
    ck_assert_int_eq(rs_write_file_atomic(path, bad_tables[_i].text, strlen(bad_tables[_i].text)), 0);
    rs_mapprog p;
    memset(&p, 0, sizeof p);
    rs_maptable t = {name, path};
    p.tables = &t;
    p.ntables = 1;
    rs_diags d;
    rs_diags_init(&d);
    rs_mapper *m;
    ck_assert_int_eq(rs_mapper_new(&m, &p, &d), -1);
    ck_assert_uint_eq(d.n, 1);
    ck_assert_int_eq(d.items[0].code, RS_E_MAP_LOOKUP_TABLE);
    ck_assert_msg(strstr(d.items[0].message, bad_tables[_i].message), "%s", d.items[0].message);
    ck_assert_uint_eq(d.items[0].line, bad_tables[_i].line);
    ck_assert_uint_eq(d.items[0].col, bad_tables[_i].col);
    rs_mapper_free(m);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A pattern that makes backtracking engines take exponential time runs in linear time here. */
START_TEST(test_regex_linear) {
    prog g = compile("  custom title = regex_replace(primaryEmail, \"^(a+)+$\", \"x\")\n");
    enum { N = 200000 };
    char *s = rs_malloc(N + 2);
    memset(s, 'a', N);
    s[N] = 'b';
    s[N + 1] = '\0';
    json_t *rec = json_pack("{s:s, s:{s:s}, s:s}", "id", "u1", "name", "fullName", "A", "primaryEmail", s);
    rs_mapresult res;
    rs_mapper_run(g.m, &rec, NULL, 1, &res);   /* a backtracking engine would not return: Check's timeout fails it */
    ck_assert(!res.failed[0]);
    int t = target_index(&g, "title");
    ck_assert_uint_eq(res.values[t].len, N + 1);   /* no match: unchanged */
    json_decref(rec);
    free(s);
    release(&g);
}
END_TEST

static Suite *map_eval_suite(void) {
    Suite *s = suite_create("map_eval");
    TCase *tc = tcase_create("eval");
    tcase_add_loop_test(tc, test_cases, 0, (int)RS_ARRAY_LEN(cases));
    tcase_add_test(tc, test_record_failures);
    tcase_add_test(tc, test_batches);
    tcase_add_test(tc, test_missing_table);
    tcase_add_loop_test(tc, test_bad_table, 0, (int)RS_ARRAY_LEN(bad_tables));
    tcase_add_test(tc, test_regex_linear);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(map_eval_suite)
