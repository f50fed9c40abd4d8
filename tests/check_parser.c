/* check_parser: rule text to AST. Both group forms, soft keywords as field names, values, every
 * diagnostic the grammar emits (code, line and column), recovery that reports several errors in
 * one run, and hostile inputs that must end quickly with one clear error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"
#include "grammar/grammar.h"
#include "common/date.h"
#include "common/util.h"

typedef struct parsed {
    rs_source *src;
    rs_diags *d;
    ast_file *f;
} parsed;

static parsed parse_n(const char *text, size_t len) {
    parsed p;
    char *copy = rs_malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    p.src = rs_source_new("test.rule", copy, len);
    p.d = rs_malloc(sizeof *p.d);
    rs_diags_init(p.d);
    p.f = rs_parse_text(p.src, p.d);
    return p;
}

static parsed parse(const char *text) { return parse_n(text, strlen(text)); }

static void drop(parsed *p) {
    ast_file_free(p->f);
    free(p->d);
    rs_source_free(p->src);
}

/* A parse without any diagnostic, and its only group. */
static const ast_group *clean_group(const parsed *p) {
    for (size_t i = 0; i < p->d->n; i++)
        ck_abort_msg("unexpected diagnostic: %s", p->d->items[i].message);
    ck_assert_ptr_nonnull(p->f);
    ck_assert_uint_eq(p->f->ngroups, 1);
    return &p->f->groups[0];
}

static void ck_diag(const parsed *p, size_t i, rs_code code, uint32_t line, uint32_t col) {
    ck_assert_msg(p->d->n > i, "expected diagnostic %zu, have %zu", i, p->d->n);
    const rs_diag *dg = &p->d->items[i];
    uint32_t ln, cl;
    rs_source_position(p->src, dg->span.start, &ln, &cl);
    ck_assert_msg(dg->code == code && ln == line && cl == col,
                  "diagnostic %zu: E%04d at %u:%u (%s), expected E%04d at %u:%u", i, (int)dg->code,
                  ln, cl, dg->message, (int)code, line, col);
}

/* Only one diagnostic, this one. */
static void ck_only(const parsed *p, rs_code code, uint32_t line, uint32_t col) {
    ck_diag(p, 0, code, line, col);
    ck_assert_msg(p->d->n == 1, "%zu diagnostics, the second: %s", p->d->n,
                  p->d->n > 1 ? p->d->items[1].message : "");
}

static const char spec_example[] =
    "# members of Office A who are interns, or joined this year in Shanghai or Hangzhou\n"
    "group \"interns-office-a\" {\n"
    "  name \"All interns in Office A\"            # display name\n"
    "  departments \"D-OfficeA\", \"D-Lab\" with sub-departments\n"
    "  1: employee_type equals \"Intern\"\n"
    "  2: join_date is on or after 2026-01-01\n"
    "  3: city is any of (\"Shanghai\", \"Hangzhou\")\n"
    "  match 1 or (2 and 3)\n"
    "  allow \"u102\", \"u103\"\n"
    "  block \"u999\"\n"
    "}\n";

START_TEST(numbered_form) {
    parsed p = parse(spec_example);
    const ast_group *g = clean_group(&p);
    ck_assert_str_eq(g->id.s, "interns-office-a");
    ck_assert_str_eq(g->name.s, "All interns in Office A");
    ck_assert(g->departments.present);
    ck_assert_uint_eq(g->departments.n, 2);
    ck_assert_str_eq(g->departments.items[1].s, "D-Lab");
    ck_assert(g->departments_with_sub);
    ck_assert_uint_eq(g->nconds, 3);
    const ast_cond *c = &g->conds[1];
    ck_assert_uint_eq(c->number, 2);
    ck_assert_str_eq(c->field, "join_date");
    ck_assert_int_eq(c->op, AST_OP_ON_OR_AFTER);
    ck_assert_uint_eq(c->nvalues, 1);
    ck_assert_int_eq(c->values[0].kind, AST_VAL_DATE);
    ck_assert_int_eq(c->values[0].day, rs_days_from_civil(2026, 1, 1));
    c = &g->conds[2];
    ck_assert_int_eq(c->op, AST_OP_ANY_OF);
    ck_assert(c->list_form);
    ck_assert_uint_eq(c->nvalues, 2);
    ck_assert_str_eq(c->values[1].str, "Hangzhou");
    /* 1 or (2 and 3) */
    ck_assert_int_eq(g->match->kind, AST_EXPR_OR);
    ck_assert_int_eq(g->match->lhs->kind, AST_EXPR_REF);
    ck_assert_uint_eq(g->match->lhs->ref, 1);
    ck_assert_int_eq(g->match->rhs->kind, AST_EXPR_AND);
    ck_assert(g->match->rhs->parens);
    ck_assert_uint_eq(g->allow.n, 2);
    ck_assert_uint_eq(g->block.n, 1);
    ck_assert_str_eq(g->block.items[0].s, "u999");
    /* Spans are byte offsets into the text. */
    uint32_t line, col;
    rs_source_position(p.src, g->conds[0].field_span.start, &line, &col);
    ck_assert_uint_eq(line, 5);
    ck_assert_uint_eq(col, 6);
    ck_assert_uint_eq(c->op_span.end - c->op_span.start, strlen("is any of"));
    drop(&p);
}
END_TEST

START_TEST(where_form_precedence) {
    parsed p = parse("group \"w\" { name \"W\"\n"
                     "  where a equals 1 and b is empty or not c contains \"x\" }");
    const ast_group *g = clean_group(&p);
    ck_assert_ptr_null(g->match);
    ck_assert_uint_eq(g->nconds, 0);
    const ast_expr *e = g->where;
    ck_assert_int_eq(e->kind, AST_EXPR_OR);
    ck_assert_int_eq(e->lhs->kind, AST_EXPR_AND);
    ck_assert_int_eq(e->lhs->lhs->kind, AST_EXPR_COND);
    ck_assert_str_eq(e->lhs->lhs->cond->field, "a");
    ck_assert_uint_eq(e->lhs->lhs->cond->number, 0);
    ck_assert_int_eq(e->lhs->rhs->cond->op, AST_OP_IS_EMPTY);
    ck_assert_uint_eq(e->lhs->rhs->cond->nvalues, 0);
    ck_assert_int_eq(e->rhs->kind, AST_EXPR_NOT);
    ck_assert_int_eq(e->rhs->lhs->cond->op, AST_OP_CONTAINS);
    drop(&p);
}
END_TEST

START_TEST(soft_keywords_as_fields) {
    parsed p = parse("group \"g\" { name \"n\"\n"
                     "  1: name equals \"x\"\n"
                     "  2: group is not empty\n"
                     "  3: days at least 3\n"
                     "  match 1 and 2 and 3\n"
                     "}\n"
                     "group \"h\" { name \"m\" where where equals \"a\" and match is empty or "
                     "allow contains \"b\" and block starts with \"c\" and departments belong to "
                     "(\"D\") }");
    ck_assert_uint_eq(p.d->n, 0);
    ck_assert_uint_eq(p.f->ngroups, 2);
    const ast_group *g = &p.f->groups[0];
    ck_assert_str_eq(g->name.s, "n");
    ck_assert_str_eq(g->conds[0].field, "name");
    ck_assert_str_eq(g->conds[1].field, "group");
    ck_assert_str_eq(g->conds[2].field, "days");
    const ast_expr *w = p.f->groups[1].where;
    ck_assert_str_eq(w->lhs->lhs->cond->field, "where");
    ck_assert_str_eq(w->lhs->rhs->cond->field, "match");
    drop(&p);
}
END_TEST

START_TEST(values) {
    parsed p = parse("group \"v\" { name \"n\"\n"
                     "  1: a equals -007.50\n"
                     "  2: b is before today - 90 days\n"
                     "  3: c is after TODAY + 2 Weeks\n"
                     "  4: d equals today\n"
                     "  5: e equals true\n"
                     "  6: f is between -1 and 2026-03-01\n"
                     "  7: g partly belong to (\"D1\", \"D2\") with sub-departments\n"
                     "  8: h equals (\"one\")\n"
                     "  9: i is none of ()\n"
                     "  10: j is any of \"lonely\"\n"
                     "  11: k equals \"2026-01-31\"\n"
                     "  12: l equals \"today - 1 week\"\n"
                     "}");
    const ast_group *g = clean_group(&p);
    const ast_cond *c = g->conds;
    ck_assert_int_eq(c[0].values[0].kind, AST_VAL_NUMBER);
    ck_assert_str_eq(c[0].values[0].str, "-7.5");
    ck_assert(c[0].values[0].num == -7.5);
    ck_assert_int_eq(c[1].values[0].kind, AST_VAL_TODAY);
    ck_assert_int_eq(c[1].values[0].day, -90);
    ck_assert_int_eq(c[1].values[0].count, 90);
    ck_assert_int_eq(c[1].values[0].unit, 'd');
    ck_assert_int_eq(c[2].values[0].day, 14);
    ck_assert_int_eq(c[2].values[0].unit, 'w');
    ck_assert_int_eq(c[3].values[0].kind, AST_VAL_TODAY);
    ck_assert_int_eq(c[3].values[0].unit, '\0');
    ck_assert_int_eq(c[4].values[0].kind, AST_VAL_BOOL);
    ck_assert(c[4].values[0].b);
    ck_assert_int_eq(c[5].op, AST_OP_BETWEEN);
    ck_assert_uint_eq(c[5].nvalues, 2);
    ck_assert(!c[5].list_form);
    ck_assert_int_eq(c[5].values[1].kind, AST_VAL_DATE);
    ck_assert(c[6].with_sub);
    ck_assert(c[6].list_form);
    /* A one-value operator given a list of one takes it as its value. */
    ck_assert(!c[7].list_form);
    ck_assert_uint_eq(c[7].nvalues, 1);
    ck_assert(c[8].list_form);
    ck_assert_uint_eq(c[8].nvalues, 0);
    /* A list operator given one bare value keeps it, for the checker to report. */
    ck_assert(!c[9].list_form);
    ck_assert_uint_eq(c[9].nvalues, 1);
    /* Strings that spell dates are dates, as in the JSON form. */
    ck_assert_int_eq(c[10].values[0].kind, AST_VAL_DATE);
    ck_assert_int_eq(c[11].values[0].kind, AST_VAL_TODAY);
    ck_assert_int_eq(c[11].values[0].day, -7);
    drop(&p);
}
END_TEST

START_TEST(several_allow_lines_add_up) {
    parsed p = parse("group \"a\" { name \"n\" allow \"u1\" allow \"u2\", \"u3\" block \"u4\" }");
    const ast_group *g = clean_group(&p);
    ck_assert_uint_eq(g->allow.n, 3);
    ck_assert_str_eq(g->allow.items[2].s, "u3");
    drop(&p);
}
END_TEST

START_TEST(comments_are_kept) {
    parsed p = parse("# file header\n"
                     "group \"c\" {\n"
                     "  # the name\n"
                     "  name \"n\" # trailing, dropped\n"
                     "  #  about two\n"
                     "  2: a equals 1\n"
                     "  # before one\n"
                     "  1: b equals 2\n"
                     "  # at the end, dropped\n"
                     "}\n"
                     "# trailer, dropped\n");
    const ast_group *g = clean_group(&p);
    ck_assert_uint_eq(g->comments.n, 1);
    ck_assert_str_eq(g->comments.lines[0], " file header");
    ck_assert_uint_eq(g->name_comments.n, 1);
    ck_assert_str_eq(g->name_comments.lines[0], " the name");
    ck_assert_uint_eq(g->conds[0].comments.n, 1);
    ck_assert_str_eq(g->conds[0].comments.lines[0], "  about two");
    ck_assert_str_eq(g->conds[1].comments.lines[0], " before one");
    drop(&p);
}
END_TEST

/* ---- diagnostics ---- */

START_TEST(syntax_errors_in_user_words) {
    parsed p = parse("group \"x\" {\n  name \"X\"\n  1: job_title equals Engineer\n}");
    ck_only(&p, RS_E_SYNTAX, 3, 23);
    ck_assert_str_eq(p.d->items[0].message, "unexpected word 'Engineer', expected a value");
    ck_assert_ptr_nonnull(strstr(p.d->items[0].help, "double quotes"));
    drop(&p);
    p = parse("group \"x\" {\n  name \"X\"\n  1: job_title equal \"x\"\n}");
    ck_only(&p, RS_E_SYNTAX, 3, 16);
    ck_assert_ptr_nonnull(strstr(p.d->items[0].message, "expected an operator"));
    ck_assert_ptr_nonnull(strstr(p.d->items[0].help, "is any of"));
    drop(&p);
    p = parse("group \"x\" {\n  name \"X\"\n  1: a is any of (\"a\" \"b\")\n}");
    ck_only(&p, RS_E_SYNTAX, 3, 23);
    ck_assert_str_eq(p.d->items[0].message, "unexpected string \"b\", expected ')' or ','");
    ck_assert_str_eq(p.d->items[0].help, "add ')' to close the '(' opened at line 3, column 18");
    drop(&p);
    p = parse("group \"x\" {\n  name \"X\"\n  match (1 or 2\n  allow \"u\"\n}");
    ck_only(&p, RS_E_SYNTAX, 4, 3);
    ck_assert_str_eq(p.d->items[0].message, "unexpected `allow`, expected ')', `and` or `or`");
    drop(&p);
    p = parse("group \"x\" {\n  nmae \"X\"\n}");
    ck_diag(&p, 0, RS_E_SYNTAX, 2, 3);
    ck_assert_ptr_nonnull(strstr(p.d->items[0].message, "expected a group item"));
    drop(&p);
    p = parse("group x {\n  name \"X\"\n}");
    ck_only(&p, RS_E_SYNTAX, 1, 7);
    drop(&p);
    p = parse("group \"x\"\n  name \"X\"\n}");
    ck_only(&p, RS_E_SYNTAX, 2, 3);
    ck_assert_str_eq(p.d->items[0].message, "unexpected `name`, expected '{'");
    ck_assert_str_eq(p.f->groups[0].name.s, "X");
    drop(&p);
    p = parse("group \"x\" { name \"X\" 1: t is after today - 90 }");
    ck_only(&p, RS_E_SYNTAX, 1, 47);
    ck_assert_ptr_nonnull(strstr(p.d->items[0].message, "`days` or `weeks`"));
    drop(&p);
    p = parse("group \"x\" { name \"X\" 1: a equals 1 match 1.5 }");
    ck_only(&p, RS_E_SYNTAX, 1, 42);
    drop(&p);
}
END_TEST

START_TEST(empty_file_and_junk) {
    parsed p = parse("# only a comment\n");
    ck_only(&p, RS_E_SYNTAX, 1, 1);
    ck_assert_ptr_null(p.f);
    drop(&p);
    p = parse("name \"x\"\ngroup \"g\" { name \"n\" }");
    ck_only(&p, RS_E_SYNTAX, 1, 1);
    ck_assert_uint_eq(p.f->ngroups, 1);
    drop(&p);
}
END_TEST

START_TEST(group_not_closed) {
    parsed p = parse("group \"a\" {\n  name \"A\"\ngroup \"b\" {\n  name \"B\"\n}");
    ck_only(&p, RS_E_SYNTAX, 1, 11);
    ck_assert_str_eq(p.d->items[0].message, "group \"a\" is not closed");
    ck_assert_uint_eq(p.f->ngroups, 2);
    ck_assert_str_eq(p.f->groups[1].name.s, "B");
    drop(&p);
    p = parse("group \"a\" {\n  name \"A\"\n");
    ck_only(&p, RS_E_SYNTAX, 1, 11);
    drop(&p);
    /* Cut off inside a condition: one error, at the end. */
    p = parse("group \"a\" {\n  name \"A\"\n  1: x equals");
    ck_only(&p, RS_E_SYNTAX, 3, 14);
    ck_assert_ptr_nonnull(strstr(p.d->items[0].message, "unexpected end of the text"));
    ck_assert_ptr_nonnull(strstr(p.d->items[0].help, "not closed"));
    drop(&p);
}
END_TEST

START_TEST(duplicate_items) {
    parsed p = parse("group \"d\" {\n"
                     "  name \"A\"\n"
                     "  name \"B\"\n"
                     "  departments \"D1\"\n"
                     "  departments \"D2\"\n"
                     "  1: a equals 1\n"
                     "  match 1\n"
                     "  match 1\n"
                     "}\n"
                     "group \"e\" { name \"E\"\n  where a is empty\n  where b is empty\n}");
    ck_assert_uint_eq(p.d->n, 4);
    ck_diag(&p, 0, RS_E_DUPLICATE_ITEM, 3, 3);
    ck_diag(&p, 1, RS_E_DUPLICATE_ITEM, 5, 3);
    ck_diag(&p, 2, RS_E_DUPLICATE_ITEM, 8, 3);
    ck_diag(&p, 3, RS_E_DUPLICATE_ITEM, 12, 3);
    ck_assert_ptr_nonnull(strstr(p.d->items[0].help, "line 2"));
    ck_assert_str_eq(p.f->groups[0].name.s, "A");
    ck_assert_str_eq(p.f->groups[0].departments.items[0].s, "D1");
    ck_assert_str_eq(p.f->groups[1].where->cond->field, "a");
    drop(&p);
}
END_TEST

START_TEST(group_level_checks) {
    parsed p = parse("group \"m\" {\n  name \"M\"\n  1: a equals 1\n  where b is empty\n}");
    ck_only(&p, RS_E_MIXED_FORMS, 4, 3);
    drop(&p);
    p = parse("group \"m\" {\n  name \"M\"\n  match 1\n  where b is empty\n}");
    ck_only(&p, RS_E_MIXED_FORMS, 4, 3);
    drop(&p);
    p = parse("group \"nameless\" {\n  1: a equals 1\n}");
    ck_only(&p, RS_E_MISSING_NAME, 1, 7);
    drop(&p);
    p = parse("group \"\" {\n  name \"x\"\n}");
    ck_only(&p, RS_E_EMPTY_GROUP_ID, 1, 7);
    drop(&p);
}
END_TEST

START_TEST(value_diagnostics) {
    parsed p = parse("group \"v\" {\n"
                     "  name \"V\"\n"
                     "  1: a is after today - 3 months\n"
                     "  2: b equals 2026-02-30\n"
                     "  3: c equals 123456789012345678901234567890\n"
                     "  4: d is before today - 1.5 days\n"
                     "  5: e is before today + 9999999 weeks\n"
                     "}");
    ck_assert_uint_eq(p.d->n, 5);
    ck_diag(&p, 0, RS_E_BAD_DURATION, 3, 27);
    ck_diag(&p, 1, RS_E_BAD_DATE, 4, 15);
    ck_diag(&p, 2, RS_E_BAD_NUMBER, 5, 15);
    ck_diag(&p, 3, RS_E_BAD_DURATION, 6, 18);
    ck_diag(&p, 4, RS_E_BAD_NUMBER, 7, 18);
    drop(&p);
}
END_TEST

START_TEST(recovery_reports_every_error) {
    parsed p = parse("group \"r\" {\n"
                     "  name \"R\"\n"
                     "  1: a equals\n"
                     "  2: b is any of (\"x\",)\n"
                     "  3: c equals \"fine\"\n"
                     "  4: d greater 5\n"
                     "}\n"
                     "group \"s\" {\n"
                     "  name \"S\"\n"
                     "  1: e equals \"ok\"\n"
                     "}\n");
    ck_assert_uint_eq(p.d->n, 3);
    ck_diag(&p, 0, RS_E_SYNTAX, 4, 3);
    ck_diag(&p, 1, RS_E_SYNTAX, 4, 23);
    ck_diag(&p, 2, RS_E_SYNTAX, 6, 8);
    /* What was understood is kept; what was not is left out. */
    ck_assert_uint_eq(p.f->ngroups, 2);
    ck_assert_uint_eq(p.f->groups[0].nconds, 1);
    ck_assert_uint_eq(p.f->groups[0].conds[0].number, 3);
    ck_assert_uint_eq(p.f->groups[1].nconds, 1);
    drop(&p);
}
END_TEST

/* ---- hostile inputs: one clear error; a hang fails by the test case's timeout ---- */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail) {
    rs_sb sb = {0};
    rs_sb_puts(&sb, head);
    for (size_t i = 0; i < n; i++) rs_sb_puts(&sb, unit);
    rs_sb_puts(&sb, tail);
    return rs_sb_take(&sb);
}

START_TEST(deep_parentheses) {
    char *open = repeat("group \"g\" {\n name \"n\"\n where ", "(", 100000, "");
    char *closed = repeat(open, "", 0, "a equals 1");
    char *both = repeat(closed, ")", 100000, "\n}\n");
    parsed p = parse(both);
    ck_only(&p, RS_E_TOO_DEEP, 3, 8 + RS_MAX_DEPTH);
    ck_assert_ptr_null(p.f->groups[0].where);
    drop(&p);
    p = parse(open);
    ck_only(&p, RS_E_TOO_DEEP, 3, 8 + RS_MAX_DEPTH);
    drop(&p);
    char *braced = repeat(open, "", 0, "\n}\n");
    p = parse(braced);
    ck_only(&p, RS_E_TOO_DEEP, 3, 8 + RS_MAX_DEPTH);
    drop(&p);
    free(open);
    free(closed);
    free(both);
    free(braced);
    /* As deep as allowed is fine. */
    char *ok = repeat("group \"g\" { name \"n\" match ", "(", RS_MAX_DEPTH, "1");
    char *ok2 = repeat(ok, ")", RS_MAX_DEPTH, " }");
    p = parse(ok2);
    ck_assert_uint_eq(p.d->n, 0);
    drop(&p);
    free(ok);
    free(ok2);
}
END_TEST

START_TEST(deep_not_and_long_chains) {
    char *nots = repeat("group \"g\" {\n name \"n\"\n where ", "not ", 100000, "a equals 1\n}");
    parsed p = parse(nots);
    ck_only(&p, RS_E_TOO_DEEP, 3, 8 + 4 * RS_MAX_DEPTH);
    drop(&p);
    free(nots);
    char *mixed = repeat("group \"g\" {\n name \"n\"\n where ", "(not ", 200, "a equals 1");
    char *mixed2 = repeat(mixed, ")", 200, "\n}");
    p = parse(mixed2);
    ck_diag(&p, 0, RS_E_TOO_DEEP, 3, 8 + 5 * (RS_MAX_DEPTH / 2));
    ck_assert_uint_eq(p.d->n, 1);
    drop(&p);
    free(mixed);
    free(mixed2);
    char *chain = repeat("group \"g\" {\n name \"n\"\n where a equals 1", " or a equals 1", 100000, "\n}");
    p = parse(chain);
    ck_assert_uint_eq(p.d->n, 1);
    ck_assert_int_eq(p.d->items[0].code, RS_E_TOO_DEEP);
    drop(&p);
    free(chain);
}
END_TEST

START_TEST(hostile_bytes) {
    char *big = repeat("group \"g\" {\n name \"", "x", 100 * 1024, "\"\n}\n");
    parsed p = parse(big);
    ck_only(&p, RS_E_STRING_TOO_LONG, 2, 7);
    drop(&p);
    free(big);
    p = parse("group \"g\" {\n name \"n\xFF\xFE\"\n 1: a equals \"x\"\xC3\n}\n");
    ck_assert_uint_eq(p.d->n, 2);
    ck_diag(&p, 0, RS_E_BAD_UTF8, 2, 9);
    ck_diag(&p, 1, RS_E_BAD_UTF8, 3, 17);
    drop(&p);
    p = parse_n("group \"g\" {\n name \"n\"\0\0\n}\n", 26);
    ck_only(&p, RS_E_NUL_BYTE, 2, 10);
    drop(&p);
    p = parse("group \"g\" {\n name \"n");
    ck_only(&p, RS_E_UNTERMINATED_STRING, 2, 7);
    drop(&p);
    p = parse("((((((((((((((((((((");
    ck_only(&p, RS_E_SYNTAX, 1, 1);
    drop(&p);
    /* Sources are limited where files are read; a source made in memory is checked again. */
    size_t huge = RS_MAX_SOURCE_BYTES + 1;
    char *spaces = rs_malloc(huge + 1);
    memset(spaces, ' ', huge);
    spaces[huge] = '\0';
    p = parse_n(spaces, huge);
    ck_only(&p, RS_E_FILE_TOO_LARGE, 1, 1);
    ck_assert_ptr_null(p.f);
    drop(&p);
    free(spaces);
}
END_TEST

/* Every byte value in every position of a small rule: whatever the result, it must end. */
START_TEST(byte_mutations_terminate) {
    const char *base = "group \"g\" { name \"n\" 1: a is any of (\"x\", 2) match not (1) }";
    size_t len = strlen(base);
    char *buf = rs_malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        for (int b = 0; b < 256; b += 7) {
            memcpy(buf, base, len + 1);
            buf[i] = (char)b;
            parsed p = parse_n(buf, len);
            drop(&p);
        }
    }
    free(buf);
}
END_TEST

static Suite *parser_suite(void) {
    Suite *s = suite_create("parser");
    TCase *tc = tcase_create("ast");
    tcase_add_test(tc, numbered_form);
    tcase_add_test(tc, where_form_precedence);
    tcase_add_test(tc, soft_keywords_as_fields);
    tcase_add_test(tc, values);
    tcase_add_test(tc, several_allow_lines_add_up);
    tcase_add_test(tc, comments_are_kept);
    suite_add_tcase(s, tc);
    TCase *errs = tcase_create("diagnostics");
    tcase_add_test(errs, syntax_errors_in_user_words);
    tcase_add_test(errs, empty_file_and_junk);
    tcase_add_test(errs, group_not_closed);
    tcase_add_test(errs, duplicate_items);
    tcase_add_test(errs, group_level_checks);
    tcase_add_test(errs, value_diagnostics);
    tcase_add_test(errs, recovery_reports_every_error);
    suite_add_tcase(s, errs);
    TCase *hostile = tcase_create("hostile");
    tcase_set_timeout(hostile, 30);
    tcase_add_test(hostile, deep_parentheses);
    tcase_add_test(hostile, deep_not_and_long_chains);
    tcase_add_test(hostile, hostile_bytes);
    tcase_add_test(hostile, byte_mutations_terminate);
    suite_add_tcase(s, hostile);
    return s;
}

RS_TEST_MAIN(parser_suite)
