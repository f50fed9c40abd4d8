/* check_fmt: the canonical writers. On every sample in tests/data/grammar/: fmt is idempotent,
 * parse(fmt(x)) has the AST of parse(x), text -> JSON -> text is the identity on canonical text,
 * and JSON -> text -> JSON the identity on canonical JSON. Plus the exact canonical form of the
 * spec example, and the parenthesis and value spellings fmt chooses. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"
#include "grammar/grammar.h"
#include "common/util.h"

#define DATA RS_TEST_DATA "/grammar"

typedef struct parsed {
    rs_source *src;
    rs_diags *d;
    ast_file *f;
} parsed;

static parsed parse_text(const char *name, const char *text, size_t len, bool json) {
    parsed p;
    p.src = rs_source_new(name, rs_strndup(text, len), len);
    p.d = rs_malloc(sizeof *p.d);
    rs_diags_init(p.d);
    p.f = json ? rs_parse_json(p.src, p.d) : rs_parse_text(p.src, p.d);
    for (size_t i = 0; i < p.d->n; i++)
        ck_abort_msg("%s: unexpected diagnostic: %s", name, p.d->items[i].message);
    ck_assert_ptr_nonnull(p.f);
    return p;
}

static parsed parse_file(const char *path) {
    char *text;
    size_t len;
    ck_assert_msg(rs_read_file(path, RS_MAX_SOURCE_BYTES, &text, &len) == 0, "cannot read %s", path);
    parsed p = parse_text(path, text, len, strstr(path, ".json") != NULL);
    free(text);
    return p;
}

static void drop(parsed *p) {
    ast_file_free(p->f);
    free(p->d);
    rs_source_free(p->src);
}

static char *fmt(const ast_file *f, bool json) {
    rs_sb sb = {0};
    if (json) rs_fmt_json(f, &sb);
    else rs_fmt_text(f, &sb);
    return rs_sb_take(&sb);
}

/* Text and JSON round trips, starting from a parsed sample. */
static void round_trips(const char *name, const parsed *orig) {
    char *t1 = fmt(orig->f, false);
    parsed canon = parse_text("canon.rule", t1, strlen(t1), false);
    ck_assert_msg(ast_file_equal(orig->f, canon.f), "%s: parse(fmt(x)) differs from parse(x)", name);
    char *t2 = fmt(canon.f, false);
    ck_assert_msg(strcmp(t1, t2) == 0, "%s: fmt is not idempotent:\n%s\n----\n%s", name, t1, t2);
    char *j1 = fmt(canon.f, true);
    parsed viajson = parse_text("canon.json", j1, strlen(j1), true);
    ck_assert_msg(ast_file_equal(canon.f, viajson.f), "%s: the JSON form has another AST", name);
    char *t3 = fmt(viajson.f, false);
    ck_assert_msg(strcmp(t1, t3) == 0, "%s: text -> JSON -> text changed:\n%s\n----\n%s", name, t1, t3);
    parsed back = parse_text("back.rule", t3, strlen(t3), false);
    char *j2 = fmt(back.f, true);
    ck_assert_msg(strcmp(j1, j2) == 0, "%s: JSON -> text -> JSON changed:\n%s\n----\n%s", name, j1, j2);
    free(t1);
    free(t2);
    free(t3);
    free(j1);
    free(j2);
    drop(&canon);
    drop(&viajson);
    drop(&back);
}

START_TEST(samples_round_trip) {
    DIR *dir = opendir(DATA);
    ck_assert_ptr_nonnull(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        bool rule = len > 5 && strcmp(e->d_name + len - 5, ".rule") == 0;
        bool json = len > 5 && strcmp(e->d_name + len - 5, ".json") == 0;
        if (!rule && !json) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", DATA, e->d_name);
        parsed p = parse_file(path);
        round_trips(path, &p);
        drop(&p);
        n++;
    }
    closedir(dir);
    ck_assert_uint_ge(n, 5);
}
END_TEST

START_TEST(spec_example_canonical_text) {
    char *want;
    size_t len;
    ck_assert_int_eq(rs_read_file(DATA "/spec.canon", 1 << 20, &want, &len), 0);
    parsed p = parse_file(DATA "/spec.rule");
    char *got = fmt(p.f, false);
    ck_assert_str_eq(got, want);
    free(got);
    drop(&p);
    /* The JSON sample says the same thing in the other form. */
    parsed j = parse_file(DATA "/spec.json");
    got = fmt(j.f, false);
    ck_assert_str_eq(got, want);
    free(got);
    drop(&j);
    free(want);
}
END_TEST

static void ck_fmt_where(const char *where, const char *want) {
    char text[512];
    snprintf(text, sizeof text, "group \"g\" { name \"n\" where %s }", where);
    parsed p = parse_text("x.rule", text, strlen(text), false);
    char *got = fmt(p.f, false);
    char expect[512];
    snprintf(expect, sizeof expect, "group \"g\" {\n  name \"n\"\n  where %s\n}\n", want);
    ck_assert_str_eq(got, expect);
    free(got);
    drop(&p);
}

START_TEST(parentheses_where_and_meets_or) {
    ck_fmt_where("((a is empty) and (b is empty))", "a is empty and b is empty");
    ck_fmt_where("(a is empty or b is empty) and c is empty", "(a is empty or b is empty) and c is empty");
    ck_fmt_where("a is empty or (b is empty and c is empty)", "a is empty or (b is empty and c is empty)");
    ck_fmt_where("a is empty or b is empty and c is empty", "a is empty or (b is empty and c is empty)");
    ck_fmt_where("a is empty and b is empty or c is empty", "(a is empty and b is empty) or c is empty");
    ck_fmt_where("a is empty and (b is empty and c is empty)", "a is empty and (b is empty and c is empty)");
    ck_fmt_where("(a is empty and b is empty) and c is empty", "a is empty and b is empty and c is empty");
    ck_fmt_where("a is empty or (b is empty or c is empty)", "a is empty or (b is empty or c is empty)");
    ck_fmt_where("NOT a is empty", "not (a is empty)");
    ck_fmt_where("not not (a is empty or b is empty)", "not (not (a is empty or b is empty))");
}
END_TEST

START_TEST(value_spellings) {
    ck_fmt_where("a equals 007.50 and b equals -0 and c equals 10.0",
                 "a equals 7.5 and b equals 0 and c equals 10");
    ck_fmt_where("a is before TODAY-1 Day or b is after today + 1 WEEKS",
                 "a is before today - 1 day or b is after today + 1 week");
    ck_fmt_where("a is after today - 0 weeks", "a is after today + 0 weeks");
    ck_fmt_where("a equals \"tab\\there\\u0001\" and b DON'T belong to (\"x\")",
                 "a equals \"tab\\there\\u0001\" and b don't belong to (\"x\")");
    ck_fmt_where("a is between 2026-01-01 and \"2026-12-31\" with Sub-Departments",
                 "a is between 2026-01-01 and 2026-12-31 with sub-departments");
    ck_fmt_where("a equals (\"one\") and b is any of \"lone\" and c is none of ()",
                 "a equals \"one\" and b is any of \"lone\" and c is none of ()");
}
END_TEST

START_TEST(canonical_json_layout) {
    const char *text = "group \"a\" { name \"A\" 2: x equals 1 1: y is empty match 2 or 1 }\n"
                       "group \"b\" { name \"B\" where z is between 1 and 2 block \"u\" }";
    parsed p = parse_text("x.rule", text, strlen(text), false);
    char *got = fmt(p.f, true);
    ck_assert_str_eq(got,
                     "[\n"
                     "  {\"id\": \"a\", \"name\": \"A\", \"conditions\": [{\"id\": 1, \"field\": \"y\", "
                     "\"op\": \"is empty\", \"include_sub\": false}, {\"id\": 2, \"field\": \"x\", "
                     "\"op\": \"equals\", \"value\": 1, \"include_sub\": false}], \"match\": \"2 or 1\"},\n"
                     "  {\"id\": \"b\", \"name\": \"B\", \"where\": \"z is between 1 and 2\", "
                     "\"block\": [\"u\"]}\n"
                     "]\n");
    free(got);
    ast_file one = *p.f;
    one.ngroups = 1;
    got = fmt(&one, true);
    ck_assert_uint_eq(strchr(got, '\n') - got, strlen(got) - 1);
    ck_assert_int_eq(got[0], '{');
    free(got);
    drop(&p);
}
END_TEST

START_TEST(comments_survive_both_forms) {
    const char *text = "# header\ngroup \"c\" {\n  # name note\n  name \"C\"\n  #cond\n  1: a is empty\n}\n";
    parsed p = parse_text("c.rule", text, strlen(text), false);
    char *t1 = fmt(p.f, false);
    ck_assert_str_eq(t1, text);
    char *j1 = fmt(p.f, true);
    ck_assert_ptr_nonnull(strstr(j1, "\"comments\": {\"group\": [\" header\"], \"name\": [\" name note\"]}"));
    ck_assert_ptr_nonnull(strstr(j1, "\"comments\": [\"cond\"]"));
    free(t1);
    free(j1);
    drop(&p);
}
END_TEST

static Suite *fmt_suite(void) {
    Suite *s = suite_create("fmt");
    TCase *tc = tcase_create("fmt");
    tcase_add_test(tc, samples_round_trip);
    tcase_add_test(tc, spec_example_canonical_text);
    tcase_add_test(tc, parentheses_where_and_meets_or);
    tcase_add_test(tc, value_spellings);
    tcase_add_test(tc, canonical_json_layout);
    tcase_add_test(tc, comments_survive_both_forms);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(fmt_suite)
