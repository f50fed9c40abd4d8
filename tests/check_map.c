/* check_map: mapping files through the grammar and the checker: the token stream in mapping mode,
 * the tree and canonical text (fmt idempotent, parse(fmt(x)) equal to parse(x)), syntax errors, and
 * every checker error with its code, line and column. Schemas and the extended set are the small
 * files of tests/data/map/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/testutil.h"
#include "grammar/grammar.h"
#include "grammar/grammar_int.h"
#include "compiler/mapping.h"
#include "common/util.h"

#define DIR RS_TEST_DATA "/map"

typedef struct run {
    rs_source *src;
    rs_diags *d;
    ast_mapfile *f;
    rs_mapcheck *c;
} run;

static run check_text(const char *text) {
    run r;
    size_t len = strlen(text);
    r.src = rs_source_new("t.map", rs_strndup(text, len), len);
    r.d = rs_malloc(sizeof *r.d);
    rs_diags_init(r.d);
    r.f = rs_parse_mapping(r.src, r.d);
    r.c = r.f ? rs_map_check(r.f, DIR, r.d) : NULL;
    return r;
}

static void drop(run *r) {
    rs_mapcheck_free(r->c);
    ast_mapfile_free(r->f);
    free(r->d);
    rs_source_free(r->src);
}

static void dump_diags(const run *r) {
    rs_sb sb = {0};
    rs_diags_render_text(r->d, &sb, false);
    if (sb.buf) fputs(sb.buf, stderr);
    rs_sb_free(&sb);
}

/* The diagnostic with code `code` sits at the line and column where `at` first occurs in the text. */
static void expect_at(const run *r, rs_code code, const char *at) {
    const char *hit = at ? strstr(r->src->text, at) : NULL;
    if (at) ck_assert_msg(hit != NULL, "'%s' not in the text", at);
    for (size_t i = 0; i < r->d->n; i++) {
        const rs_diag *dg = &r->d->items[i];
        if (dg->code != code) continue;
        if (!at || dg->span.start == (uint32_t)(hit - r->src->text)) return;
    }
    dump_diags(r);
    char buf[8];
    ck_abort_msg("no %s at '%s'", rs_code_str(code, buf), at ? at : "(anywhere)");
}

static void expect_clean(const run *r) {
    if (r->d->n == 0) return;
    dump_diags(r);
    ck_abort_msg("unexpected diagnostics");
}

#define HEAD                                                                                    \
    "mapping \"t\" {\n  source \"src.schema.json\"\n  target \"tgt.schema.json\"\n"             \
    "  table \"orgunits\" = \"orgunits.csv\"\n  default user_id = id\n  default name = name.fullName\n"

/* One line added to a valid mapping: the error it must raise, where. */
static const struct {
    const char *line;
    rs_code code;
    const char *at;
} line_errors[] = {
    {"custom email = lower(primaryEmial)", RS_E_MAP_UNKNOWN_PATH, "primaryEmial"},
    {"custom email = emails[kind=\"work\"].address", RS_E_MAP_UNKNOWN_PATH, "[kind=\"work\"]"},
    {"custom email = name[0].fullName", RS_E_MAP_UNKNOWN_PATH, "name[0].fullName"},
    {"custom emial = id", RS_E_MAP_UNKNOWN_TARGET, "emial"},
    {"custom joined = creationTime", RS_E_MAP_TYPE, "creationTime"},
    {"custom title = upper(suspended)", RS_E_MAP_TYPE, "suspended)"},
    {"custom title = coalesce(primaryEmail, 3)", RS_E_MAP_TYPE, "3)"},
    {"custom title = if(primaryEmail, \"a\", \"b\")", RS_E_MAP_TYPE, "primaryEmail,"},
    {"custom title = if(suspended, \"a\", 2)", RS_E_MAP_TYPE, "2)"},
    {"custom active = suspended and primaryEmail", RS_E_MAP_TYPE, "primaryEmail"},
    {"custom active = not primaryEmail", RS_E_MAP_TYPE, "primaryEmail"},
    {"custom active = primaryEmail equals 3", RS_E_MAP_TYPE, "3"},
    {"custom title = aliases", RS_E_MAP_TYPE, "aliases"},
    {"custom tags = join(aliases, \",\")", RS_E_MAP_TYPE, "join("},
    {"custom title = join(primaryEmail, \",\")", RS_E_MAP_TYPE, "primaryEmail,"},
    {"custom title = concat(aliases)", RS_E_MAP_TYPE, "aliases)"},
    {"custom title = format_date(creationTime, \"%Y\")", RS_E_MAP_TYPE, "creationTime,"},
    {"custom title = lower(primaryEmail, id)", RS_E_MAP_BAD_CALL, "lower("},
    {"custom title = if(suspended, \"a\")", RS_E_MAP_BAD_CALL, "if("},
    {"custom title = trim()", RS_E_MAP_BAD_CALL, "trim("},
    {"custom title = lookup(primaryEmail, id)", RS_E_MAP_BAD_CALL, "primaryEmail,"},
    {"custom user_id = primaryEmail", RS_E_MAP_DUPLICATE_TARGET, "user_id = primaryEmail"},
    {"custom title = lowr(id)", RS_E_MAP_UNKNOWN_FUNCTION, "lowr"},
    {"custom title = lookup(\"titles\", id)", RS_E_MAP_LOOKUP_TABLE, "\"titles\""},
    {"table \"x\" = \"missing.csv\"", RS_E_MAP_LOOKUP_TABLE, "\"missing.csv\""},
    {"custom active = suspended contains \"x\"", RS_E_BAD_OPERATOR, "contains"},
    {"custom active = primaryEmail greater than 3", RS_E_BAD_OPERATOR, "greater than"},
    {"custom active = id reports to \"u1\"", RS_E_BAD_OPERATOR, "reports to"},
    {"custom active = primaryEmail equals (\"a\", \"b\")", RS_E_BAD_ARITY, "equals"},
    {"custom kind = 3", RS_E_UNKNOWN_OPTION, "3"},
    {"custom level = \"middle\"", RS_E_UNKNOWN_OPTION, "\"middle\""},
    {"custom title = lower(lower(", RS_E_SYNTAX, NULL},
    {"custom title lower(id)", RS_E_SYNTAX, "lower"},
    {"custom = id", RS_E_SYNTAX, "= id\n}"},
    {"custom title = organizations[1.5].title", RS_E_SYNTAX, "[1.5]"},
    {"custom title = organizations[primry].title", RS_E_SYNTAX, "[primry]"},
    {"custom title = aliases[primary]", RS_E_MAP_UNKNOWN_PATH, "[primary]"},
    {"custom joined = unix_seconds(date(creationTime))", RS_E_MAP_TYPE, "unix_seconds("},
    {"custom score = unix_seconds(creationTime)", RS_E_MAP_TYPE, "creationTime)"},
    {"source \"again.json\"", RS_E_DUPLICATE_ITEM, "source \"again"},
    {"custom title = regex_replace(id, \"([0-9]\", \"\")", RS_E_MAP_BAD_REGEX, "\"([0-9]\""},
    {"custom title = regex_replace(id, \"(a)(b)\", \"\\\\3\")", RS_E_MAP_BAD_REGEX, "\"\\\\3\""},
    {"custom title = regex_replace(id, \"(a\\\\1)\", \"\")", RS_E_MAP_BAD_REGEX, "\"(a"},
    {"custom title = regex_replace(id, primaryEmail, \"\")", RS_E_MAP_BAD_CALL, "primaryEmail,"},
    {"custom title = regex_replace(id, \"a\")", RS_E_MAP_BAD_CALL, "regex_replace("},
};

START_TEST(test_line_errors) {
    rs_sb sb = {0};
    rs_sb_printf(&sb, HEAD "  %s\n}\n", line_errors[_i].line);
    run r = check_text(sb.buf);
    expect_at(&r, line_errors[_i].code, line_errors[_i].at);
    drop(&r);
    rs_sb_free(&sb);
}
END_TEST

/* Every function and operator, used correctly: no diagnostic. */
static const char *const valid_lines[] = {
    "custom email = lower(primaryEmail)",
    "custom email = upper(trim(primaryEmail))",
    "custom title = concat(id, 1, true, date(\"2024-01-01\"), suspended)",
    "custom title = coalesce(organizations[0].title, emails[type=\"work\"].address, \"Staff\")",
    "custom title = substr(id, 0, 3)",
    "custom title = substr(id, 2)",
    "custom title = replace(id, \"a\", \"b\")",
    "custom tags = split(primaryEmail, \"@\")",
    "custom tags = aliases",
    "custom title = join(aliases, \";\")",
    "custom level = if(organizations[0].fte at least 1, \"senior\", \"junior\")",
    "custom dept = lookup(\"orgunits\", orgUnitPath)",
    "custom joined = date(creationTime)",
    "custom score = unix_seconds(date(creationTime))",
    "custom title = organizations[primary].title",
    "custom title = emails[type=\"work\"].address",
    "custom joined = 2026-01-01",
    "custom title = format_date(date(creationTime), \"%Y/%m/%d\")",
    "custom active = not suspended and (id starts with \"u\" or id is empty)",
    "custom kind = if(id is any of (\"a\", \"b\"), 1, 2)",
    "custom kind = 2",
    "custom level = \"senior\"",
    "custom active = organizations[0].fte is between 1 and 2",
    "custom active = date(creationTime) is on or after 2024-01-01",
    "custom active = aliases include all (\"a\")",
    "custom active = organizations[0].fte equals -1",
    "custom active = primaryEmail does not contain \"x\"",
    "CUSTOM title = LOWER(id)",
    "custom title = regex_replace(id, \"^(\\\\w+)-(\\\\d+)$\", \"\\\\2:\\\\1\")",
};

START_TEST(test_valid_lines) {
    rs_sb sb = {0};
    rs_sb_printf(&sb, HEAD "  %s\n}\n", valid_lines[_i]);
    run r = check_text(sb.buf);
    expect_clean(&r);
    ck_assert_ptr_nonnull(r.f);
    ck_assert(r.c->envs[0].ok);
    drop(&r);
    rs_sb_free(&sb);
}
END_TEST

START_TEST(test_types_recorded) {
    run r = check_text(HEAD "  custom tags = split(id, \",\")\n  custom joined = date(id)\n}\n");
    expect_clean(&r);
    ck_assert_int_eq(r.c->envs[0].item_types[0], MT_TEXT);
    ck_assert_int_eq(r.c->envs[0].item_types[2], MT_LIST);
    ck_assert_int_eq(r.c->envs[0].item_types[3], MT_DATE);
    drop(&r);
}
END_TEST

START_TEST(test_required_unmapped) {
    run r = check_text("mapping \"t\" {\n  source \"src.schema.json\"\n  target \"tgt.schema.json\"\n"
                       "  default user_id = id\n}\n");
    expect_at(&r, RS_E_MAP_REQUIRED_UNMAPPED, "\"t\"");
    ck_assert_uint_eq(r.d->nerrors, 1);
    ck_assert_ptr_nonnull(strstr(r.d->items[0].message, "'name'"));
    drop(&r);
}
END_TEST

START_TEST(test_schema_lines) {
    run r = check_text("mapping \"t\" {\n  target \"tgt.schema.json\"\n  default user_id = id\n}\n");
    expect_at(&r, RS_E_MAP_NO_SCHEMA, "\"t\"");
    drop(&r);
    r = check_text("mapping \"t\" {\n  source \"nope.json\"\n  target \"tgt.schema.json\"\n}\n");
    expect_at(&r, RS_E_MAP_BAD_SCHEMA, NULL);
    drop(&r);
}
END_TEST

START_TEST(test_bad_schemas) {
    rs_diags d;
    rs_diags_init(&d);
    const char *bad_src[] = {"[]", "{\"paths\": 3}", "{\"paths\": {\"a\": \"list\"}}", "{"};
    for (size_t i = 0; i < RS_ARRAY_LEN(bad_src); i++) {
        ck_assert_ptr_null(rs_srcschema_parse("s.json", bad_src[i], strlen(bad_src[i]), &d));
    }
    const char *bad_tgt[] = {
        "{\"fields\": {}}", "{\"fields\": [{\"name\": \"a\"}]}",
        "{\"fields\": [{\"name\": \"a\", \"type\": \"text\", \"max_length\": 0}]}",
        "{\"fields\": [{\"name\": \"a\", \"type\": \"text\", \"allowed\": []}]}",
        "{\"fields\": [{\"name\": \"a\", \"type\": \"text\"}, {\"name\": \"a\", \"type\": \"text\"}]}",
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(bad_tgt); i++)
        ck_assert_ptr_null(rs_tgtschema_parse("t.json", bad_tgt[i], strlen(bad_tgt[i]), &d));
    ck_assert_uint_eq(d.nerrors, RS_ARRAY_LEN(bad_src) + RS_ARRAY_LEN(bad_tgt));
    for (size_t i = 0; i < d.n; i++) ck_assert_int_eq(d.items[i].code, RS_E_MAP_BAD_SCHEMA);
}
END_TEST

/* ---- extending a mapping set ---- */

#define EXT                                                                                     \
    "mapping \"mine\" {\n  source \"src.schema.json\"\n  target \"tgt.schema.json\"\n"         \
    "  extends \"base.map\"\n  default user_id = id\n"

START_TEST(test_extends_ok) {
    /* the recommended `email` line is left out (disabled); custom lines are added */
    run r = check_text(EXT "  default name = name.fullName\n"
                           "  recommended title = organizations[0].title\n"
                           "  custom dept = orgUnitPath\n}\n");
    expect_clean(&r);
    drop(&r);
}
END_TEST

START_TEST(test_extends_default_changed) {
    run r = check_text(EXT "  default name = name.givenName\n}\n");
    expect_at(&r, RS_E_MAP_DEFAULT_CHANGED, "default name");
    drop(&r);
    r = check_text(EXT "  custom name = name.fullName\n}\n");
    expect_at(&r, RS_E_MAP_DEFAULT_CHANGED, "custom name");
    drop(&r);
}
END_TEST

START_TEST(test_extends_default_deleted) {
    run r = check_text(EXT "  custom title = id\n}\n");
    expect_at(&r, RS_E_MAP_DEFAULT_CHANGED, "\"mine\"");
    drop(&r);
}
END_TEST

START_TEST(test_extends_recommended_changed) {
    run r = check_text(EXT "  default name = name.fullName\n  recommended email = primaryEmail\n}\n");
    expect_at(&r, RS_E_MAP_RECOMMENDED_CHANGED, "recommended email");
    drop(&r);
    r = check_text(EXT "  default name = name.fullName\n  custom title = organizations[0].title\n}\n");
    expect_at(&r, RS_E_MAP_RECOMMENDED_CHANGED, "custom title");
    drop(&r);
}
END_TEST

START_TEST(test_extends_new_fixed_line) {
    run r = check_text(EXT "  default name = name.fullName\n  default dept = orgUnitPath\n"
                           "  recommended joined = date(creationTime)\n}\n");
    expect_at(&r, RS_E_MAP_DEFAULT_CHANGED, "default dept");
    expect_at(&r, RS_E_MAP_RECOMMENDED_CHANGED, "recommended joined");
    drop(&r);
}
END_TEST

START_TEST(test_extends_missing) {
    run r = check_text("mapping \"m\" {\n  source \"src.schema.json\"\n  target \"tgt.schema.json\"\n"
                       "  extends \"nope.map\"\n  default user_id = id\n  default name = id\n}\n");
    expect_at(&r, RS_E_MAP_BAD_EXTENDS, "\"nope.map\"");
    drop(&r);
}
END_TEST

START_TEST(test_duplicate_mapping_id) {
    run r = check_text(HEAD "}\n" HEAD "}\n");
    ck_assert_uint_eq(r.d->nerrors, 1);
    ck_assert_int_eq(r.d->items[0].code, RS_E_DUPLICATE_GROUP_ID);
    drop(&r);
}
END_TEST

/* ---- grammar ---- */

START_TEST(test_tokens) {
    const char *text = "mapping \"m\" { default name = name.fullName\n"
                       "custom x = emails[type=\"work\"].address }";
    rs_source *src = rs_source_new("t.map", rs_strdup(text), strlen(text));
    rs_diags d;
    rs_diags_init(&d);
    rs_sb out = {0};
    gp_lex_dump_mode(src, &d, &out, true);
    ck_assert_str_eq(out.buf, "MAPPING(mapping) STRING(\"m\") { MKIND(default) IDENT(name) = IDENT(name) . "
                              "IDENT(fullName) MKIND(custom) IDENT(x) = IDENT(emails) [ IDENT(type) = "
                              "STRING(\"work\") ] . IDENT(address) }");
    ck_assert_uint_eq(d.n, 0);
    rs_sb_clear(&out);
    /* outside mapping files the same characters stay errors */
    gp_lex_dump(src, &d, &out);
    ck_assert_uint_gt(d.nerrors, 0);
    ck_assert_int_eq(d.items[0].code, RS_E_BAD_CHAR);
    rs_sb_free(&out);
    rs_source_free(src);
}
END_TEST

static char *fmt_of(const ast_mapfile *f) {
    rs_sb sb = {0};
    rs_fmt_mapping(f, &sb);
    return rs_sb_take(&sb);
}

START_TEST(test_fmt_canonical) {
    const char *messy =
        "# set\nMAPPING \"m\" {\n  CUSTOM   title=LOWER( id )  # trailing\n  source \"src.schema.json\"\n"
        "  # the name\n  Default name = ((name.fullName))\n"
        "  custom x = not (a and b or c) and d equals (\"q\")\n"
        "  custom y = a is any of ( \"p\" , \"q\" ) or (b is between 1 and -2)\n"
        "  custom z = if(p, organizations[0].title, e[type=\"w\"].x)\n}\n";
    const char *want =
        "# set\nmapping \"m\" {\n  source \"src.schema.json\"\n  custom      title = lower(id)\n"
        "  # the name\n  default     name  = name.fullName\n"
        "  custom      x     = not (a and b or c) and d equals \"q\"\n"
        "  custom      y     = a is any of (\"p\", \"q\") or b is between 1 and -2\n"
        "  custom      z     = if(p, organizations[0].title, e[type=\"w\"].x)\n}\n";
    rs_source *src = rs_source_new("t.map", rs_strdup(messy), strlen(messy));
    rs_diags d;
    rs_diags_init(&d);
    ast_mapfile *f = rs_parse_mapping(src, &d);
    ck_assert_uint_eq(d.n, 0);
    char *out = fmt_of(f);
    ck_assert_str_eq(out, want);
    rs_source *src2 = rs_source_new("c.map", out, strlen(out));
    ast_mapfile *f2 = rs_parse_mapping(src2, &d);
    ck_assert_uint_eq(d.n, 0);
    ck_assert(ast_mapfile_equal(f, f2));
    char *again = fmt_of(f2);
    ck_assert_str_eq(again, want);
    free(again);
    ast_mapfile_free(f2);
    rs_source_free(src2);
    ast_mapfile_free(f);
    rs_source_free(src);
}
END_TEST

START_TEST(test_fmt_builtin_round_trip) {
    char *text;
    size_t len;
    ck_assert_int_eq(rs_read_file("mappings/google-to-lark.map", RS_MAX_SOURCE_BYTES, &text, &len), 0);
    rs_source *src = rs_source_new("g.map", text, len);
    rs_diags d;
    rs_diags_init(&d);
    ast_mapfile *f = rs_parse_mapping(src, &d);
    ck_assert_uint_eq(d.n, 0);
    char *out = fmt_of(f);
    ck_assert_str_eq(out, text);   /* the shipped file is in canonical form */
    free(out);
    ast_mapfile_free(f);
    rs_source_free(src);
}
END_TEST

START_TEST(test_syntax_help) {
    run r = check_text("mapping \"m\" {\n  custom title lower(id)\n}\n");
    expect_at(&r, RS_E_SYNTAX, "lower");
    ck_assert_ptr_nonnull(strstr(r.d->items[0].message, "'='"));
    ck_assert_ptr_nonnull(strstr(r.d->items[0].help, "default email = lower(primaryEmail)"));
    drop(&r);
    r = check_text("mapping \"m\" {\n  custom title = id\n");
    expect_at(&r, RS_E_SYNTAX, "{");
    drop(&r);
    r = check_text("# nothing\n");
    expect_at(&r, RS_E_SYNTAX, NULL);
    ck_assert_ptr_null(r.f);
    drop(&r);
}
END_TEST

/* Mapping files go through the rule lexer: an encoded surrogate or an overlong form in a string or
 * a comment is E0004 at its place, not a character fmt would rewrite as U+FFFD. */
START_TEST(test_bad_utf8) {
    static const char *const bad[] = {"\xED\xA0\x80", "\xED\xBF\xBF", "\xC0\xAF", "\xE0\x9F\xBF"};
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        rs_sb sb = {0};
        rs_sb_printf(&sb, HEAD "  custom title = concat(id, \"<%s>\") # %s!\n}\n", bad[i], bad[i]);
        run r = check_text(sb.buf);
        expect_at(&r, RS_E_BAD_UTF8, bad[i]);
        size_t n = 0;
        for (size_t k = 0; k < r.d->n; k++) n += r.d->items[k].code == RS_E_BAD_UTF8;
        ck_assert_uint_eq(n, 2);
        drop(&r);
        rs_sb_free(&sb);
    }
}
END_TEST

START_TEST(test_too_deep) {
    rs_sb sb = {0};
    rs_sb_puts(&sb, HEAD "  custom title = ");
    for (int i = 0; i < RS_MAX_DEPTH + 5; i++) rs_sb_puts(&sb, "lower(");
    rs_sb_puts(&sb, "id");
    for (int i = 0; i < RS_MAX_DEPTH + 5; i++) rs_sb_putc(&sb, ')');
    rs_sb_puts(&sb, "\n  custom email = id\n}\n");
    run r = check_text(sb.buf);
    ck_assert_uint_eq(r.d->nerrors, 1);
    ck_assert_int_eq(r.d->items[0].code, RS_E_TOO_DEEP);
    ck_assert_uint_eq(r.f->maps[0].nitems, 3);   /* the deep line is dropped, the next one kept */
    drop(&r);
    rs_sb_free(&sb);
}
END_TEST

/* ---- robustness: mutated mapping files ----
 * What a fuzzer of mapping files checks, run on a fixed set of mutations so that every `make unit`
 * (and `make asan`) repeats it: no input crashes the parser or the checker, and any input that parses
 * without syntax errors formats to text that parses back to the same tree and formats identically. */

static uint64_t rnd_state;

static uint32_t rnd(void) {
    rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rnd_state >> 33);
}

static const char *const pieces[] = {
    "mapping", "default", "recommended", "custom", "source", "target", "extends", "table", "=", ".",
    "[", "]", "(", ")", ",", "{", "}", "\"", "\"x\"", "0", "-1", "2026-02-30", "lower(", "if(",
    "regex_replace(", "lookup(", "not ", " and ", " or ", " equals ", " is any of ", " is between ",
    "name.fullName", "emails[type=\"work\"].address", "organizations[0]", "#", "\n", "\\", "\xff",
};

static void mutate(rs_sb *sb) {
    size_t n = 1 + rnd() % 4;
    for (size_t k = 0; k < n && sb->len; k++) {
        size_t at = rnd() % sb->len, len = 1 + rnd() % 8;
        if (at + len > sb->len) len = sb->len - at;
        rs_sb tmp = {0};
        rs_sb_put(&tmp, sb->buf, at);
        switch (rnd() % 3) {
        case 0: break;                                              /* delete */
        case 1: rs_sb_puts(&tmp, pieces[rnd() % RS_ARRAY_LEN(pieces)]); len = 0; break;  /* insert */
        default: rs_sb_puts(&tmp, pieces[rnd() % RS_ARRAY_LEN(pieces)]); break;       /* replace */
        }
        rs_sb_put(&tmp, sb->buf + at + len, sb->len - at - len);
        rs_sb_free(sb);
        *sb = tmp;
    }
}

static void round_trip_invariants(const char *text, size_t len) {
    rs_source *src = rs_source_new("m.map", rs_strndup(text, len), len);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    ast_mapfile *f = rs_parse_mapping(src, d);
    size_t syntax_errors = d->nerrors;
    if (f) rs_mapcheck_free(rs_map_check(f, DIR, d));
    if (f && syntax_errors == 0) {
        char *t1 = fmt_of(f);
        rs_source *src2 = rs_source_new("c.map", rs_strdup(t1), strlen(t1));
        rs_diags_init(d);
        ast_mapfile *g = rs_parse_mapping(src2, d);
        ck_assert_msg(g && d->nerrors == 0, "fmt output does not parse:\n%s", t1);
        ck_assert_msg(ast_mapfile_equal(f, g), "parse(fmt(x)) differs from x:\n%s", t1);
        char *t2 = fmt_of(g);
        ck_assert_str_eq(t1, t2);
        free(t1);
        free(t2);
        ast_mapfile_free(g);
        rs_source_free(src2);
    }
    ast_mapfile_free(f);
    free(d);
    rs_source_free(src);
}

START_TEST(test_mutations) {
    char *builtin;
    size_t blen;
    ck_assert_int_eq(rs_read_file("mappings/google-to-lark.map", RS_MAX_SOURCE_BYTES, &builtin, &blen), 0);
    rs_sb seed_text = {0};
    rs_sb_puts(&seed_text, HEAD);
    for (size_t i = 0; i < RS_ARRAY_LEN(valid_lines); i++) rs_sb_printf(&seed_text, "  %s\n", valid_lines[i]);
    rs_sb_puts(&seed_text, "}\n");
    const char *seeds[] = {builtin, seed_text.buf};
    rnd_state = 20261122u + (uint64_t)_i;
    for (int iter = 0; iter < 400; iter++) {
        rs_sb sb = {0};
        rs_sb_puts(&sb, seeds[rnd() % 2]);
        mutate(&sb);
        round_trip_invariants(sb.buf, sb.len);
        rs_sb_free(&sb);
    }
    rs_sb_free(&seed_text);
    free(builtin);
}
END_TEST

static Suite *map_suite(void) {
    Suite *s = suite_create("map");
    TCase *tc = tcase_create("check");
    tcase_add_loop_test(tc, test_line_errors, 0, (int)RS_ARRAY_LEN(line_errors));
    tcase_add_loop_test(tc, test_valid_lines, 0, (int)RS_ARRAY_LEN(valid_lines));
    tcase_add_test(tc, test_types_recorded);
    tcase_add_test(tc, test_required_unmapped);
    tcase_add_test(tc, test_schema_lines);
    tcase_add_test(tc, test_bad_schemas);
    tcase_add_test(tc, test_duplicate_mapping_id);
    suite_add_tcase(s, tc);
    tc = tcase_create("extends");
    tcase_add_test(tc, test_extends_ok);
    tcase_add_test(tc, test_extends_default_changed);
    tcase_add_test(tc, test_extends_default_deleted);
    tcase_add_test(tc, test_extends_recommended_changed);
    tcase_add_test(tc, test_extends_new_fixed_line);
    tcase_add_test(tc, test_extends_missing);
    suite_add_tcase(s, tc);
    tc = tcase_create("grammar");
    tcase_add_test(tc, test_tokens);
    tcase_add_test(tc, test_fmt_canonical);
    tcase_add_test(tc, test_fmt_builtin_round_trip);
    tcase_add_test(tc, test_syntax_help);
    tcase_add_test(tc, test_too_deep);
    tcase_add_test(tc, test_bad_utf8);
    suite_add_tcase(s, tc);
    tc = tcase_create("robust");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_mutations, 0, 8);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(map_suite)
