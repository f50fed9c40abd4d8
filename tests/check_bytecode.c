/* check_bytecode.c: the file format (write -> read round trip), the reader's refusals (truncation at
 * every length, flipped bytes, wrong version, checksum-valid but corrupt records), the verifier's
 * refusals of hand-corrupted programs, and golden disassembly listings of compiled rules
 * (tests/data/compiler/NAME.rule -> NAME.disasm; RS_UPDATE_GOLDEN=1 rewrites them). */
#include <dirent.h>
#include <math.h>
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

#define DATA_DIR RS_TEST_DATA "/compiler"

/* ---- a hand-built program, independent of the parser ---- */

static uint32_t strset(rs_builder *b, const char *const *s, uint32_t n) {
    rs_kval v[8];
    char buf[256];
    uint32_t off = 0;
    memset(v, 0, sizeof v);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)strlen(s[i]);
        memcpy(buf + off, s[i], len);
        v[i].str_off = off;
        v[i].str_len = len;
        off += len;
    }
    return rs_builder_set(b, RS_K_STR, v, n, buf);
}

static uint32_t numset(rs_builder *b, uint8_t kind, const double *x, uint32_t n) {
    rs_kval v[8];
    memset(v, 0, sizeof v);
    for (uint32_t i = 0; i < n; i++) {
        v[i].num = x[i];
        v[i].day = (int32_t)x[i];
    }
    return rs_builder_set(b, kind, v, n, "");
}

static void group(rs_builder *b, const char *id, const char *name, uint32_t start, uint16_t stack) {
    rs_pgroup *g = rs_builder_group(b);
    g->id = rs_strdup(id);
    g->name = rs_strdup(name);
    g->code_start = start;
    g->code_len = b->p->ncode - start;
    g->max_stack = stack;
    g->source_hash = 0x1234u + start;
}

static rs_program *sample(void) {
    rs_builder b;
    rs_builder_init(&b);
    uint16_t dept = (uint16_t)rs_builder_field(&b, "department", RS_T_DEPARTMENT, true);
    uint16_t city = (uint16_t)rs_builder_field(&b, "city", RS_T_TEXT, false);
    uint16_t salary = (uint16_t)rs_builder_field(&b, "salary", RS_T_NUMBER, false);
    uint16_t join = (uint16_t)rs_builder_field(&b, "join_date", RS_T_DATE, false);
    uint16_t leader = (uint16_t)rs_builder_field(&b, "leader", RS_T_PERSONNEL, false);
    uint16_t status = (uint16_t)rs_builder_field(&b, "status", RS_T_OPTION, false);
    uint16_t mgr = (uint16_t)rs_builder_field(&b, "is_manager", RS_T_BOOL, false);
    static const char *const depts[] = {"D1", "D2"}, *const rome[] = {"rome"}, *const u1[] = {"u1"},
                             *const active[] = {"active"};
    static const double range[] = {10, 20.5}, ago[] = {-14}, one[] = {1};
    uint32_t kd = strset(&b, depts, 2), kc = strset(&b, rome, 1), kr = numset(&b, RS_K_NUM, range, 2);
    uint32_t kt = numset(&b, RS_K_TODAY, ago, 1), ku = strset(&b, u1, 1), ka = strset(&b, active, 1);
    uint32_t k1 = numset(&b, RS_K_NUM, one, 1);
    rs_builder_insn(&b, RS_OP_IN_TREE, 0, dept, kd);     /* 0 */
    rs_builder_insn(&b, RS_OP_IN, 0, city, kc);          /* 1 */
    rs_builder_insn(&b, RS_OP_AND, 0, 0, 0);             /* 2 */
    rs_builder_insn(&b, RS_OP_BETWEEN, 0, salary, kr);   /* 3 */
    rs_builder_insn(&b, RS_OP_AND, 0, 0, 0);             /* 4 */
    rs_builder_insn(&b, RS_OP_IN, 0, status, ka);        /* 5 */
    rs_builder_insn(&b, RS_OP_AND, 0, 0, 0);             /* 6 */
    group(&b, "a", "Group A", 0, 2);
    rs_builder_insn(&b, RS_OP_GE, 0, join, kt);          /* 7 */
    rs_builder_insn(&b, RS_OP_REPORTS, 0, leader, ku);   /* 8 */
    rs_builder_insn(&b, RS_OP_ANDNOT, 0, 0, 0);          /* 9 */
    rs_builder_insn(&b, RS_OP_IN, 0, mgr, k1);           /* 10 */
    rs_builder_insn(&b, RS_OP_OR, 0, 0, 0);              /* 11 */
    rs_builder_insn(&b, RS_OP_IDS, 0, 0, ku);            /* 12 */
    rs_builder_insn(&b, RS_OP_OR, 0, 0, 0);              /* 13 */
    rs_builder_insn(&b, RS_OP_BELONG, RS_FLAG_SUB, dept, kd); /* 14 */
    rs_builder_insn(&b, RS_OP_AND, 0, 0, 0);             /* 15 */
    group(&b, "b", "Group B \xC3\xA9", 7, 2);
    return rs_builder_finish(&b);
}

static void write_ok(const rs_program *p, uint8_t **bytes, size_t *len) {
    ck_assert_int_eq(rs_program_write(p, bytes, len), 0);
}

/* A fresh copy through the file format, for tests that mutate it. */
static rs_program *copy(const rs_program *p) {
    uint8_t *bytes;
    size_t len;
    write_ok(p, &bytes, &len);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_program *q = rs_program_read("copy.rbc", bytes, len, d);
    ck_assert_msg(q != NULL, "read back failed: %s", d->n ? d->items[0].message : "");
    free(d);
    free(bytes);
    return q;
}

static void assert_same(const rs_program *a, const rs_program *b) {
    ck_assert_uint_eq(a->nfields, b->nfields);
    for (uint32_t i = 0; i < a->nfields; i++) {
        ck_assert_str_eq(a->fields[i].name, b->fields[i].name);
        ck_assert_uint_eq(a->fields[i].type, b->fields[i].type);
        ck_assert_int_eq(a->fields[i].multi, b->fields[i].multi);
    }
    ck_assert_uint_eq(a->ngroups, b->ngroups);
    for (uint32_t i = 0; i < a->ngroups; i++) {
        const rs_pgroup *x = &a->groups[i], *y = &b->groups[i];
        ck_assert_str_eq(x->id, y->id);
        ck_assert_str_eq(x->name, y->name);
        ck_assert(x->code_start == y->code_start && x->code_len == y->code_len);
        ck_assert(x->max_stack == y->max_stack && x->source_hash == y->source_hash);
    }
    ck_assert_uint_eq(a->ncode, b->ncode);
    ck_assert(a->ncode == 0 || memcmp(a->code, b->code, a->ncode * sizeof *a->code) == 0);
    ck_assert_uint_eq(a->nsets, b->nsets);
    for (uint32_t i = 0; i < a->nsets; i++)
        ck_assert(a->sets[i].kind == b->sets[i].kind && a->sets[i].first == b->sets[i].first &&
                  a->sets[i].count == b->sets[i].count);
    ck_assert_uint_eq(a->nvals, b->nvals);
    for (uint32_t i = 0; i < a->nvals; i++) {
        const rs_kval *x = &a->vals[i], *y = &b->vals[i];
        ck_assert(x->str_off == y->str_off && x->str_len == y->str_len && x->num == y->num && x->day == y->day);
    }
    ck_assert_uint_eq(a->strings_len, b->strings_len);
    ck_assert(memcmp(a->strings, b->strings, a->strings_len) == 0);
}

/* ---- file format ---- */

START_TEST(sample_verifies) {
    rs_program *p = sample();
    char err[256];
    ck_assert_msg(rs_program_verify(p, err, sizeof err) == 0, "%s", err);
    rs_program_free(p);
}
END_TEST

START_TEST(round_trip) {
    rs_program *p = sample();
    rs_program *q = copy(p);
    assert_same(p, q);
    uint8_t *a, *b;
    size_t alen, blen;
    write_ok(p, &a, &alen);
    write_ok(q, &b, &blen);
    ck_assert_uint_eq(alen, blen);
    ck_assert(memcmp(a, b, alen) == 0);
    ck_assert(memcmp(a, RS_BC_MAGIC, 8) == 0);
    free(a);
    free(b);
    rs_program_free(q);
    rs_program_free(p);
}
END_TEST

START_TEST(empty_program_round_trip) {
    rs_builder b;
    rs_builder_init(&b);
    rs_program *p = rs_builder_finish(&b);
    rs_program *q = copy(p);
    assert_same(p, q);
    rs_program_free(q);
    rs_program_free(p);
}
END_TEST

/* Reading must fail with exactly one E0701 whose message contains `part` (NULL: any). */
static void expect_refused(const uint8_t *bytes, size_t len, const char *part) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_program *p = rs_program_read("bad.rbc", bytes, len, d);
    ck_assert_msg(p == NULL, "corrupt file of %zu bytes was accepted", len);
    ck_assert_uint_eq(d->n, 1);
    ck_assert_int_eq(d->items[0].code, RS_E_BC_CORRUPT);
    ck_assert_msg(strstr(d->items[0].message, "(at byte ") != NULL, "no offset: %s", d->items[0].message);
    if (part) ck_assert_msg(strstr(d->items[0].message, part), "'%s' lacks '%s'", d->items[0].message, part);
    free(d);
}

START_TEST(truncated_at_every_length) {
    rs_program *p = sample();
    uint8_t *bytes;
    size_t len;
    write_ok(p, &bytes, &len);
    for (size_t n = 0; n < len; n++) {
        /* a copy of exactly n bytes, so ASan sees any read past the end */
        uint8_t *cut = rs_malloc(n ? n : 1);
        memcpy(cut, bytes, n);
        expect_refused(cut, n, n < 8 ? NULL : n < 64 ? "truncated" : "truncated: ");
        free(cut);
    }
    free(bytes);
    rs_program_free(p);
}
END_TEST

START_TEST(flipped_bytes) {
    rs_program *p = sample();
    uint8_t *bytes;
    size_t len;
    write_ok(p, &bytes, &len);
    static const uint8_t masks[] = {0x01, 0x80, 0xFF};
    for (size_t i = 0; i < len; i++) {
        for (size_t m = 0; m < RS_ARRAY_LEN(masks); m++) {
            bytes[i] ^= masks[m];
            expect_refused(bytes, len, NULL);
            bytes[i] ^= masks[m];
        }
    }
    free(bytes);
    rs_program_free(p);
}
END_TEST

static void put32(uint8_t *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crc(uint8_t *bytes, size_t len) {
    uint32_t crc = rs_crc32(0, bytes, 48);
    put32(bytes + 48, rs_crc32(crc, bytes + 52, len - 52));
}

START_TEST(header_checks) {
    rs_program *p = sample();
    uint8_t *bytes;
    size_t len;
    write_ok(p, &bytes, &len);
    bytes[0] = 'X';
    expect_refused(bytes, len, "magic");
    bytes[0] = 'R';
    put32(bytes + 8, 2);
    fix_crc(bytes, len);
    expect_refused(bytes, len, "version 2; this roster reads version 1");
    put32(bytes + 8, 1);
    put32(bytes + 32, 0x7FFFFFFF);   /* a huge value count: refused before any allocation */
    fix_crc(bytes, len);
    expect_refused(bytes, len, "the header says");
    put32(bytes + 32, p->nvals);
    fix_crc(bytes, len);
    uint8_t *longer = rs_calloc(1, len + 3);
    memcpy(longer, bytes, len);
    expect_refused(longer, len + 3, "3 bytes after the end");
    bytes[48] ^= 1;
    expect_refused(bytes, len, "checksum mismatch");
    bytes[48] ^= 1;
    bytes[60] = 1;
    fix_crc(bytes, len);
    expect_refused(bytes, len, "reserved header byte is not zero (at byte 60)");
    free(longer);
    free(bytes);
    rs_program_free(p);
}
END_TEST

/* A record changed and the checksum recomputed: the decoder or the verifier must catch it, and say
 * at which byte. Header 64 bytes; 7 fields of 12 bytes; groups of 32 bytes; code of 8 bytes. */
#define CODE_AT(pc) (64 + 7 * 12 + 2 * 32 + 8 * (pc))

START_TEST(corrupt_records_with_valid_checksum) {
    rs_program *p = sample();
    uint8_t *bytes;
    size_t len;
    write_ok(p, &bytes, &len);
    uint8_t *b = rs_malloc(len);
    struct { size_t at; uint8_t value; const char *part; } cases[] = {
        {CODE_AT(1), 99, "opcode 99 does not exist (at byte 220)"},
        {CODE_AT(0), RS_OP_AND, "pops 2 bitmaps"},
        {CODE_AT(1) + 4, 200, "constant operand 200 out of range"},
        {CODE_AT(1) + 2, 77, "field operand 77 out of range"},
        {CODE_AT(2) + 1, 1, "flags"},
        {64 + 12 * 1 + 8, RS_T_NUMBER, "constant set 1 has the wrong kind"},
        {64 + 12 * 1 + 9, 2, "bad multi flag"},
        {64 + 7 * 12 + 28, 5, "declares max stack 5"},
        {64 + 7 * 12 + 0, 200, "not a name"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++) {
        memcpy(b, bytes, len);
        b[cases[i].at] = cases[i].value;
        fix_crc(b, len);
        expect_refused(b, len, cases[i].part);
    }
    free(b);
    free(bytes);
    rs_program_free(p);
}
END_TEST

/* ---- the verifier on hand-corrupted programs ---- */

static void expect_invalid(rs_program *p, const char *part) {
    char err[256];
    ck_assert_int_eq(rs_program_verify(p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, part) != NULL, "'%s' lacks '%s'", err, part);
    rs_program_free(p);
}

START_TEST(verifier_rejects) {
    rs_program *base = sample(), *p;
    p = copy(base); p->code[3].op = RS_OP_COUNT; expect_invalid(p, "opcode");
    p = copy(base); p->code[1].k = p->nsets; expect_invalid(p, "constant operand");
    p = copy(base); p->code[1].field = (uint16_t)p->nfields; expect_invalid(p, "field operand");
    p = copy(base); p->code[2].k = 1; expect_invalid(p, "must be 0");
    p = copy(base); p->code[0].op = RS_OP_NOT; p->code[0].field = 0; p->code[0].k = 0;
    expect_invalid(p, "pops 1 bitmaps, the stack holds 0");
    p = copy(base); p->code[1].op = RS_OP_CONTAINS; p->code[1].field = 2; p->code[1].k = 6;
    expect_invalid(p, "not valid on field 'salary' of type number");
    p = copy(base); p->code[1].op = RS_OP_BELONG; expect_invalid(p, "not valid on field 'city'");
    p = copy(base); p->code[8].op = RS_OP_REPORTS; p->code[8].field = 1; p->code[8].k = 1;
    expect_invalid(p, "not valid on field 'city'");
    p = copy(base); p->code[1].field = 2; expect_invalid(p, "wrong kind");
    p = copy(base); p->code[3].k = 6; expect_invalid(p, "has 1 values, needs 2");
    p = copy(base); p->code[5].flags = RS_FLAG_SUB; expect_invalid(p, "flags");
    p = copy(base); p->groups[0].max_stack = 3; expect_invalid(p, "max stack 3");
    p = copy(base); p->groups[1].code_len = 10; expect_invalid(p, "outside");
    p = copy(base); p->groups[0].code_len = 6; expect_invalid(p, "ends with 2 bitmaps");
    p = copy(base); p->groups[0].code_len = 0; expect_invalid(p, "outside");
    p = copy(base); p->vals[p->sets[0].first].str_off = p->strings_len; expect_invalid(p, "outside the string area");
    p = copy(base); p->strings[p->vals[0].str_len] = 'x'; expect_invalid(p, "NUL");
    p = copy(base); p->vals[p->sets[2].first].num = 30; expect_invalid(p, "range");
    p = copy(base); p->vals[p->sets[2].first + 1].num = INFINITY; expect_invalid(p, "not finite");
    p = copy(base); p->vals[p->sets[6].first].num = 2; expect_invalid(p, "0 or 1");
    p = copy(base); p->sets[0].first = p->nvals; expect_invalid(p, "beyond");
    p = copy(base); p->sets[0].count = 0; expect_invalid(p, "empty");
    p = copy(base); p->sets[3].kind = 9; expect_invalid(p, "unknown kind");
    p = copy(base); p->fields[1].type = RS_T_COUNT; expect_invalid(p, "unknown type");
    p = copy(base); free(p->fields[1].name); p->fields[1].name = rs_strdup("salary");
    expect_invalid(p, "appears twice");
    p = copy(base); free(p->groups[1].id); p->groups[1].id = rs_strdup("a"); expect_invalid(p, "appears twice");
    /* a set sorted the wrong way round */
    p = copy(base);
    rs_kval t = p->vals[p->sets[0].first];
    p->vals[p->sets[0].first] = p->vals[p->sets[0].first + 1];
    p->vals[p->sets[0].first + 1] = t;
    expect_invalid(p, "sorted");
    rs_program_free(base);
}
END_TEST

/* ---- golden disassembly ---- */

static rs_schema *load_schema(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_schema *s = rs_schema_load(DATA_DIR "/schema.json", d);
    ck_assert(s != NULL);
    free(d);
    return s;
}

static char *disasm_of(const char *rule_path, const rs_schema *schema) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_source *src = rs_source_load(rule_path, d);
    ck_assert_msg(src != NULL, "cannot read %s", rule_path);
    ast_file *f = rs_parse_text(src, d);
    const ast_file *files[] = {f};
    rs_checked *c = f ? rs_check(files, 1, schema, NULL, d) : NULL;
    rs_sb diag = {0};
    rs_diags_render_text(d, &diag, false);
    ck_assert_msg(f && d->nerrors == 0, "%s does not compile:\n%s", rule_path, diag.buf);
    rs_sb_free(&diag);
    rs_program *p = rs_compile(c);
    rs_sb out = {0};
    rs_program_disasm(p, &out);
    /* the listing survives the file format unchanged */
    rs_program *q = copy(p);
    rs_sb again = {0};
    rs_program_disasm(q, &again);
    ck_assert_str_eq(out.buf, again.buf);
    rs_sb_free(&again);
    rs_program_free(q);
    rs_program_free(p);
    rs_checked_free(c);
    ast_file_free(f);
    rs_source_free(src);
    free(d);
    return rs_sb_take(&out);
}

START_TEST(golden_disassembly) {
    rs_schema *schema = load_schema();
    DIR *dir = opendir(DATA_DIR);
    ck_assert(dir != NULL);
    bool update = getenv("RS_UPDATE_GOLDEN") != NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".rule") != 0) continue;
        char rule[512], golden[512];
        snprintf(rule, sizeof rule, "%s/%s", DATA_DIR, e->d_name);
        snprintf(golden, sizeof golden, "%s/%.*s.disasm", DATA_DIR, (int)(len - 5), e->d_name);
        char *got = disasm_of(rule, schema);
        if (update) ck_assert_int_eq(rs_write_file_atomic(golden, got, strlen(got)), 0);
        char *want;
        size_t wlen;
        ck_assert_msg(rs_read_file(golden, 1u << 20, &want, &wlen) == 0, "missing %s", golden);
        ck_assert_msg(strcmp(got, want) == 0, "%s differs from %s; got:\n%s", rule, golden, got);
        free(want);
        free(got);
        n++;
    }
    closedir(dir);
    ck_assert_uint_ge(n, 3);
    rs_schema_free(schema);
}
END_TEST

static void expect_in(const char *listing, const char *part) {
    ck_assert_msg(strstr(listing, part) != NULL, "listing lacks '%s':\n%s", part, listing);
}

START_TEST(disasm_of_sample) {
    rs_program *p = sample();
    rs_sb out = {0};
    rs_program_disasm(p, &out);
    expect_in(out.buf, "group 1 \"b\" name \"Group B \xC3\xA9\"  code 7..16  stack 2");
    expect_in(out.buf, "   3  BETWEEN   salary");
    expect_in(out.buf, "k2   {10, 20.5}");
    expect_in(out.buf, "{today-14d}");
    expect_in(out.buf, "-- r = some value of city is in K (empty: false)");
    expect_in(out.buf, " sub");
    rs_sb_free(&out);
    rs_program_free(p);
}
END_TEST

/* Numbers print in their shortest exact form, however large (found by fuzzing: 1.8e106 once
 * overflowed a conversion to a 64-bit integer). */
START_TEST(disasm_extreme_numbers) {
    rs_builder b;
    rs_builder_init(&b);
    uint16_t f = (uint16_t)rs_builder_field(&b, "salary", RS_T_NUMBER, false);
    static const double x[] = {-1e300, -0.5, 0, 3, 1e15, 1.8348e106};
    uint32_t k = numset(&b, RS_K_NUM, x, 6);
    rs_builder_insn(&b, RS_OP_IN, 0, f, k);
    group(&b, "n", "N", 0, 1);
    rs_program *p = rs_builder_finish(&b);
    ck_assert_int_eq(rs_program_verify(p, NULL, 0), 0);
    rs_sb out = {0};
    rs_program_disasm(p, &out);
    expect_in(out.buf, "{-1e+300, -0.5, 0, 3, 1e+15, 1.8348e+106}");
    rs_sb_free(&out);
    rs_program_free(p);
}
END_TEST

/* docs/bytecode.md documents every opcode of the X-macro, with its synopsis. */
START_TEST(docs_list_every_opcode) {
    char *doc;
    size_t len;
    ck_assert_msg(rs_read_file("docs/bytecode.md", 1u << 20, &doc, &len) == 0, "docs/bytecode.md missing");
    for (int op = 0; op < RS_OP_COUNT; op++) {
        char row[256];
        const rs_opinfo *oi = &rs_opinfo_table[op];
        snprintf(row, sizeof row, "| `%s` | %s | %u | %u | %s |", oi->name, oi->uses, oi->pops, oi->pushes,
                 oi->synopsis);
        ck_assert_msg(strstr(doc, row) != NULL, "docs/bytecode.md lacks the row: %s", row);
    }
    free(doc);
}
END_TEST

static Suite *bytecode_suite(void) {
    Suite *s = suite_create("bytecode");
    TCase *f = tcase_create("file");
    tcase_set_timeout(f, 60);
    tcase_add_test(f, sample_verifies);
    tcase_add_test(f, round_trip);
    tcase_add_test(f, empty_program_round_trip);
    tcase_add_test(f, truncated_at_every_length);
    tcase_add_test(f, flipped_bytes);
    tcase_add_test(f, header_checks);
    tcase_add_test(f, corrupt_records_with_valid_checksum);
    suite_add_tcase(s, f);
    TCase *v = tcase_create("verifier");
    tcase_add_test(v, verifier_rejects);
    suite_add_tcase(s, v);
    TCase *d = tcase_create("disasm");
    tcase_add_test(d, disasm_of_sample);
    tcase_add_test(d, disasm_extreme_numbers);
    tcase_add_test(d, golden_disassembly);
    tcase_add_test(d, docs_list_every_opcode);
    suite_add_tcase(s, d);
    return s;
}

RS_TEST_MAIN(bytecode_suite)
