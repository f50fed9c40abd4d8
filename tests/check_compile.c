/* check_compile.c: lowering and optimisation, asserted as exact opcode sequences (as Lua's tests
 * check code generation): group layout, De Morgan, ANDNOT, operand order, constant sets sorted,
 * de-duplicated, folded and shared, field table, hashes, and that every program verifies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/schema.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/compile.h"
#include "compiler/compiler_int.h"
#include "grammar/grammar.h"
#include "tests/testutil.h"

#define SCHEMA_PATH RS_TEST_DATA "/compiler/schema.json"
#define G(body) "group \"g\" {\n  name \"G\"\n" body "}\n"

static rs_schema *schema;

static void setup(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    schema = rs_schema_load(SCHEMA_PATH, d);
    ck_assert(schema != NULL);
    free(d);
}

static void teardown(void) {
    rs_schema_free(schema);
    schema = NULL;
}

typedef struct compiled {
    rs_source *src;
    ast_file *ast;
    rs_checked *c;
    rs_program *p;
} compiled;

static compiled *compile_with(const char *text, const rs_schema *s) {
    compiled *cp = rs_calloc(1, sizeof *cp);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    cp->src = rs_source_new("t.rule", rs_strdup(text), strlen(text));
    cp->ast = rs_parse_text(cp->src, d);
    const ast_file *files[] = {cp->ast};
    if (cp->ast) cp->c = rs_check(files, 1, s, NULL, d);
    rs_sb sb = {0};
    rs_diags_render_text(d, &sb, false);
    ck_assert_msg(cp->ast && d->nerrors == 0, "rule does not check:\n%s", sb.buf);
    rs_sb_free(&sb);
    free(d);
    cp->p = rs_compile(cp->c);
    char err[256];
    ck_assert_msg(rs_program_verify(cp->p, err, sizeof err) == 0, "compiled program does not verify: %s", err);
    return cp;
}

static compiled *compile(const char *text) { return compile_with(text, schema); }

static void compiled_free(compiled *cp) {
    rs_program_free(cp->p);
    rs_checked_free(cp->c);
    ast_file_free(cp->ast);
    rs_source_free(cp->src);
    free(cp);
}

/* "IN(job_title) IN(status) AND": the opcodes of group gi, with the field of those that read one. */
static char *ops(const rs_program *p, uint32_t gi) {
    rs_sb sb = {0};
    const rs_pgroup *g = &p->groups[gi];
    for (uint32_t pc = g->code_start; pc < g->code_start + g->code_len; pc++) {
        const rs_insn *in = &p->code[pc];
        const rs_opinfo *oi = &rs_opinfo_table[in->op];
        rs_sb_printf(&sb, "%s%s", pc > g->code_start ? " " : "", oi->name);
        if (oi->uses[0] == 'F') rs_sb_printf(&sb, "(%s)", p->fields[in->field].name);
        if (in->flags & RS_FLAG_SUB) rs_sb_puts(&sb, "+SUB");
    }
    return rs_sb_take(&sb);
}

static void expect_ops(const char *text, const char *want) {
    compiled *cp = compile(text);
    ck_assert_uint_eq(cp->p->ngroups, 1);
    char *got = ops(cp->p, 0);
    ck_assert_str_eq(got, want);
    free(got);
    compiled_free(cp);
}

/* The constant set of instruction pc as text: {"a", "b"} / {1, 2} / {day:20454} / {today:-14}. */
static char *set_text(const rs_program *p, uint32_t pc) {
    const rs_kset *s = &p->sets[p->code[pc].k];
    rs_sb sb = {0};
    rs_sb_putc(&sb, '{');
    for (uint32_t i = 0; i < s->count; i++) {
        const rs_kval *v = &p->vals[s->first + i];
        if (i) rs_sb_puts(&sb, ", ");
        if (s->kind == RS_K_STR) rs_sb_printf(&sb, "\"%.*s\"", (int)v->str_len, p->strings + v->str_off);
        else if (s->kind == RS_K_NUM) rs_sb_printf(&sb, "%g", v->num);
        else rs_sb_printf(&sb, "%s:%d", s->kind == RS_K_DAY ? "day" : "today", v->day);
    }
    rs_sb_putc(&sb, '}');
    return rs_sb_take(&sb);
}

static void expect_set(const rs_program *p, uint32_t pc, const char *want) {
    char *got = set_text(p, pc);
    ck_assert_str_eq(got, want);
    free(got);
}

/* ---- layout ---- */

START_TEST(single_condition) {
    compiled *cp = compile(G("  1: job_title equals \"Senior Engineer\"\n"));
    char *got = ops(cp->p, 0);
    ck_assert_str_eq(got, "IN(job_title) IN(status) AND");
    free(got);
    expect_set(cp->p, 0, "{\"senior engineer\"}");
    expect_set(cp->p, 1, "{\"active\"}");
    ck_assert_uint_eq(cp->p->groups[0].max_stack, 2);
    ck_assert_str_eq(cp->p->groups[0].id, "g");
    ck_assert_str_eq(cp->p->groups[0].name, "G");
    compiled_free(cp);
}
END_TEST

START_TEST(scope_allow_block) {
    compiled *cp = compile(G("  departments \"D2\", \"D1\", \"D2\" with sub-departments\n"
                             "  1: city is not empty\n"
                             "  allow \"u9\", \"u1\"\n"
                             "  block \"u5\"\n"));
    char *got = ops(cp->p, 0);
    ck_assert_str_eq(got, "IN_TREE(department) EMPTY(city) ANDNOT IDS OR IDS ANDNOT IN(status) AND");
    free(got);
    expect_set(cp->p, 0, "{\"D1\", \"D2\"}");
    expect_set(cp->p, 3, "{\"u1\", \"u9\"}");
    compiled_free(cp);
}
END_TEST

START_TEST(scope_alone_and_nothing) {
    expect_ops(G("  departments \"D1\"\n"), "IN(department) IN(status) AND");
    expect_ops(G(""), "ALL IN(status) AND");
    expect_ops(G("  allow \"u1\"\n"), "ALL IDS OR IN(status) AND");
}
END_TEST

START_TEST(no_status_field) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    static const char json[] = "{\"fields\": [{\"name\": \"city\", \"type\": \"text\"}]}";
    rs_schema *s = rs_schema_parse("mini.json", json, sizeof json - 1, d);
    ck_assert(s != NULL);
    compiled *cp = compile_with(G("  1: city equals \"Rome\"\n"), s);
    char *got = ops(cp->p, 0);
    ck_assert_str_eq(got, "IN(city)");
    free(got);
    ck_assert_uint_eq(cp->p->nfields, 1);
    compiled_free(cp);
    rs_schema_free(s);
    free(d);
}
END_TEST

/* ---- operators ---- */

START_TEST(operator_lowering) {
    expect_ops(G("  1: city not equal to \"x\"\n"), "IN(city) NOT IN(status) AND");
    expect_ops(G("  1: skills is none of (\"Go\")\n"), "IN(skills) NOT IN(status) AND");
    expect_ops(G("  1: skills include all (\"Go\", \"C\")\n"), "HAS_ALL(skills) IN(status) AND");
    expect_ops(G("  1: skills include all (\"Go\", \"go\")\n"), "IN(skills) IN(status) AND");
    expect_ops(G("  1: city starts with \"Sh\"\n"), "PREFIX(city) IN(status) AND");
    expect_ops(G("  1: city does not contain \"x\"\n"), "CONTAINS(city) NOT IN(status) AND");
    expect_ops(G("  1: join_date is before 2026-01-01\n"), "LT(join_date) IN(status) AND");
    expect_ops(G("  1: salary at most 3\n"), "LE(salary) IN(status) AND");
    expect_ops(G("  1: salary greater than 3\n"), "GT(salary) IN(status) AND");
    expect_ops(G("  1: join_date is on or after today\n"), "GE(join_date) IN(status) AND");
    expect_ops(G("  1: salary is between 1 and 1\n"), "BETWEEN(salary) IN(status) AND");
    expect_ops(G("  1: department belong to (\"D1\")\n"), "BELONG(department) IN(status) AND");
    expect_ops(G("  1: main_department belong to (\"D1\")\n"), "IN(main_department) IN(status) AND");
    expect_ops(G("  1: department partly belong to (\"D1\") with sub-departments\n"),
               "IN_TREE(department) IN(status) AND");
    expect_ops(G("  1: department don't belong to (\"D1\")\n"), "IN(department) NOT IN(status) AND");
    expect_ops(G("  1: mentors reports to \"u1\"\n"), "REPORTS(mentors) IN(status) AND");
}
END_TEST

START_TEST(constant_kinds) {
    compiled *cp = compile(G("  where is_manager equals true and salary is between 1.5 and 1.5\n"
                             "    and join_date is on or after today - 2 weeks and review_dates is any of (2026-01-02)\n"
                             "    and employee_type equals \"INTERN\" and leader equals \"U7\"\n"));
    const rs_program *p = cp->p;
    for (uint32_t pc = 0; pc < p->ncode; pc++) {
        const rs_insn *in = &p->code[pc];
        if (rs_opinfo_table[in->op].uses[0] != 'F') continue;
        const char *f = p->fields[in->field].name;
        char *got = set_text(p, pc);
        if (!strcmp(f, "is_manager")) ck_assert_str_eq(got, "{1}");
        else if (!strcmp(f, "salary")) ck_assert_str_eq(got, "{1.5, 1.5}");
        else if (!strcmp(f, "join_date")) ck_assert_str_eq(got, "{today:-14}");
        else if (!strcmp(f, "review_dates")) ck_assert_str_eq(got, "{day:20455}");
        else if (!strcmp(f, "employee_type")) ck_assert_str_eq(got, "{\"intern\"}");
        else if (!strcmp(f, "leader")) ck_assert_str_eq(got, "{\"U7\"}");
        else ck_assert_str_eq(f, "status");
        free(got);
    }
    compiled_free(cp);
}
END_TEST

START_TEST(mixed_date_kinds) {
    compiled *cp = compile(G("  1: join_date is any of (2026-01-02, today, 2026-01-01)\n"
                             "  2: join_date is between 2026-01-01 and today + 1 day\n"));
    char *got = ops(cp->p, 0);
    /* between splits into two compares that join the and-run, ahead of the costlier or */
    ck_assert_str_eq(got, "GE(join_date) LE(join_date) AND IN(join_date) IN(join_date) OR AND IN(status) AND");
    free(got);
    expect_set(cp->p, 0, "{day:20454}");
    expect_set(cp->p, 1, "{today:1}");
    expect_set(cp->p, 3, "{day:20454, day:20455}");
    expect_set(cp->p, 4, "{today:0}");
    compiled_free(cp);
}
END_TEST

/* ---- optimisations ---- */

START_TEST(sets_sorted_deduplicated) {
    compiled *cp = compile(G("  1: city is any of (\"b\", \"A\", \"a\", \"B\", \"\\u00C9\")\n"
                             "  2: salary is any of (3, -1, 3, 0)\n"));
    expect_set(cp->p, 0, "{\"a\", \"b\", \"\xC3\xA9\"}");
    expect_set(cp->p, 1, "{-1, 0, 3}");
    compiled_free(cp);
}
END_TEST

START_TEST(cheaper_first) {
    expect_ops(G("  1: job_title contains \"x\"\n"
                 "  2: leader reports to \"u1\"\n"
                 "  3: salary greater than 5\n"
                 "  4: city is empty\n"
                 "  5: skills include all (\"Go\", \"C\")\n"
                 "  6: city equals \"Rome\"\n"),
               "EMPTY(city) IN(city) AND GT(salary) AND HAS_ALL(skills) AND CONTAINS(job_title) AND "
               "REPORTS(leader) AND IN(status) AND");
}
END_TEST

START_TEST(match_runs) {
    compiled *cp = compile(G("  1: city contains \"x\"\n"
                             "  2: salary greater than 1\n"
                             "  3: city is empty\n"
                             "  match 1 or (2 and 3)\n"));
    char *got = ops(cp->p, 0);
    ck_assert_str_eq(got, "EMPTY(city) GT(salary) AND CONTAINS(city) OR IN(status) AND");
    free(got);
    ck_assert_uint_eq(cp->p->groups[0].max_stack, 2);
    compiled_free(cp);
}
END_TEST

START_TEST(de_morgan) {
    /* not (a or b) and c  ->  c and not a and not b */
    expect_ops(G("  where not (city is empty or job_title contains \"x\") and salary at least 3\n"),
               "GE(salary) EMPTY(city) ANDNOT CONTAINS(job_title) ANDNOT IN(status) AND");
    /* not (a and b) with a scope: one ANDNOT of the and, no NOT at all */
    expect_ops(G("  departments \"D1\"\n  where not (city is empty and salary at least 3)\n"),
               "IN(department) EMPTY(city) GE(salary) AND ANDNOT IN(status) AND");
    /* two negative leaves: or them once and negate once */
    expect_ops(G("  where city is not empty and job_title does not contain \"x\"\n"),
               "EMPTY(city) CONTAINS(job_title) OR NOT IN(status) AND");
    /* a or not b  ==  not (b and not a) */
    expect_ops(G("  where city is empty or job_title does not contain \"x\"\n"),
               "CONTAINS(job_title) EMPTY(city) ANDNOT NOT IN(status) AND");
}
END_TEST

START_TEST(double_negation) {
    expect_ops(G("  where not not city is empty\n"), "EMPTY(city) IN(status) AND");
    expect_ops(G("  where not (city is not empty)\n"), "EMPTY(city) IN(status) AND");
    expect_ops(G("  where not (not (city equals \"a\") or salary is empty)\n"),
               "IN(city) EMPTY(salary) ANDNOT IN(status) AND");
}
END_TEST

START_TEST(max_stack_exact) {
    compiled *cp = compile(G("  where (city is empty or salary is empty) and (job_title is empty or leader is empty)\n"
                             "    and (join_date is empty or tags is empty)\n"));
    char *got = ops(cp->p, 0);
    ck_assert_str_eq(got, "EMPTY(city) EMPTY(salary) OR EMPTY(job_title) EMPTY(leader) OR AND "
                          "EMPTY(join_date) EMPTY(tags) OR AND IN(status) AND");
    free(got);
    ck_assert_uint_eq(cp->p->groups[0].max_stack, 3);
    compiled_free(cp);
}
END_TEST

/* ---- program-wide ---- */

START_TEST(field_table_only_used) {
    compiled *cp = compile(G("  1: salary is empty\n  2: city is empty\n"));
    ck_assert_uint_eq(cp->p->nfields, 3);
    ck_assert_str_eq(cp->p->fields[0].name, "city");
    ck_assert_str_eq(cp->p->fields[1].name, "salary");
    ck_assert_str_eq(cp->p->fields[2].name, "status");
    ck_assert_uint_eq(cp->p->fields[2].type, RS_T_OPTION);
    compiled_free(cp);
    cp = compile(G("  1: main_department equals \"D1\"\n  2: skills is empty\n"));
    ck_assert_uint_eq(cp->p->nfields, 3);
    ck_assert_str_eq(cp->p->fields[0].name, "skills");
    ck_assert(cp->p->fields[0].multi);
    ck_assert_str_eq(cp->p->fields[2].name, "main_department");
    ck_assert_uint_eq(cp->p->fields[2].type, RS_T_DEPARTMENT);
    ck_assert(!cp->p->fields[2].multi);
    compiled_free(cp);
}
END_TEST

START_TEST(sets_shared_between_groups) {
    compiled *cp = compile("group \"a\" {\n  name \"A\"\n  1: city equals \"Rome\"\n}\n"
                           "group \"b\" {\n  name \"B\"\n  1: city is any of (\"ROME\")\n}\n");
    ck_assert_uint_eq(cp->p->ngroups, 2);
    ck_assert_uint_eq(cp->p->nsets, 2);   /* {"rome"} and {"active"} */
    const rs_pgroup *a = &cp->p->groups[0], *b = &cp->p->groups[1];
    ck_assert_uint_eq(cp->p->code[a->code_start].k, cp->p->code[b->code_start].k);
    compiled_free(cp);
}
END_TEST

START_TEST(hash_independent_of_other_groups) {
    const char *g1 = "group \"one\" {\n  name \"One\"\n  1: city equals \"Rome\"\n}\n";
    char both[512];
    snprintf(both, sizeof both,
             "group \"zero\" {\n  name \"Zero\"\n  1: salary is empty\n  2: job_title equals \"x\"\n}\n%s", g1);
    compiled *alone = compile(g1), *two = compile(both);
    ck_assert_uint_eq(alone->p->groups[0].source_hash, two->p->groups[1].source_hash);
    ck_assert_uint_ne(two->p->groups[0].source_hash, two->p->groups[1].source_hash);
    compiled *changed = compile("group \"one\" {\n  name \"One\"\n  1: city equals \"Roma\"\n}\n");
    ck_assert_uint_ne(alone->p->groups[0].source_hash, changed->p->groups[0].source_hash);
    compiled *renamed = compile("group \"one\" {\n  name \"One!\"\n  1: city equals \"Rome\"\n}\n");
    ck_assert_uint_ne(alone->p->groups[0].source_hash, renamed->p->groups[0].source_hash);
    compiled_free(alone);
    compiled_free(two);
    compiled_free(changed);
    compiled_free(renamed);
}
END_TEST

START_TEST(groups_with_errors_skipped) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    const char *text = "group \"a\" {\n  name \"A\"\n  1: nope is empty\n}\n"
                       "group \"b\" {\n  name \"B\"\n  1: city is empty\n}\n";
    rs_source *src = rs_source_new("t.rule", rs_strdup(text), strlen(text));
    ast_file *f = rs_parse_text(src, d);
    const ast_file *files[] = {f};
    rs_checked *c = rs_check(files, 1, schema, NULL, d);
    ck_assert_uint_eq(d->nerrors, 1);
    rs_program *p = rs_compile(c);
    ck_assert_uint_eq(p->ngroups, 1);
    ck_assert_str_eq(p->groups[0].id, "b");
    ck_assert_int_eq(rs_program_verify(p, NULL, 0), 0);
    rs_program_free(p);
    rs_checked_free(c);
    ast_file_free(f);
    rs_source_free(src);
    free(d);
}
END_TEST

static Suite *compile_suite(void) {
    Suite *s = suite_create("compile");
    TCase *t = tcase_create("lowering");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, single_condition);
    tcase_add_test(t, scope_allow_block);
    tcase_add_test(t, scope_alone_and_nothing);
    tcase_add_test(t, no_status_field);
    tcase_add_test(t, operator_lowering);
    tcase_add_test(t, constant_kinds);
    tcase_add_test(t, mixed_date_kinds);
    tcase_add_test(t, sets_sorted_deduplicated);
    tcase_add_test(t, cheaper_first);
    tcase_add_test(t, match_runs);
    tcase_add_test(t, de_morgan);
    tcase_add_test(t, double_negation);
    tcase_add_test(t, max_stack_exact);
    tcase_add_test(t, field_table_only_used);
    tcase_add_test(t, sets_shared_between_groups);
    tcase_add_test(t, hash_independent_of_other_groups);
    tcase_add_test(t, groups_with_errors_skipped);
    suite_add_tcase(s, t);
    return s;
}

RS_TEST_MAIN(compile_suite)
