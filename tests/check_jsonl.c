/* check_jsonl.c: the fast JSONL line parser against jansson, the reference. Every line, whether the
 * fast parser reads it or hands it over, must give the same record (keys, kinds, bytes, numbers bit
 * for bit) and the same diagnostics. Lines come from a hand-written list and from a generator of
 * JSON that is mostly valid, in every spelling JSON allows, then now and then mutated. Whole loads
 * with either parser must pack to the same bytes. Also: the number reader, exact or refusing. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/strbuf.h"
#include "common/util.h"
#include "runtime/snapshot.h"
#include "runtime/snapshot_int.h"
#include "tests/testutil.h"

/* ---- one line through one parser ---- */

typedef struct parsed {
    rs_reader *r;
    rs_record rec;
    rs_recstat st;
    rs_diags *d;
} parsed;

/* Diagnostics of the two parsers, kept from line to line (they are large). */
static rs_diags diags_of[2];

static void parse_with(parsed *p, rs_recstat (*parser)(rs_reader *, const char *, size_t, rs_record *),
                       const char *line, size_t len) {
    memset(p, 0, sizeof *p);
    p->d = &diags_of[parser == rs_jsonl_parse_fast];
    rs_diags_init(p->d);
    p->r = rs_calloc(1, sizeof *p->r);
    p->r->file = "members.jsonl";
    p->r->diags = p->d;
    p->rec.line = 7;
    p->rec.text = line;
    p->rec.textlen = len;
    p->st = parser(p->r, line, len, &p->rec);
}

static void parsed_free(parsed *p) {
    rs_record_free(&p->rec);
    rs_reader_close(p->r);
}

/* The line, printable, for failure messages. */
static const char *shown(const char *line, size_t len) {
    static char buf[512];
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < sizeof buf; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c >= 0x20 && c < 0x7F) buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, sizeof buf - o, "<%02X>", c);
    }
    buf[o] = '\0';
    return buf;
}

static void same_values(const rs_record *a, const rs_record *b, const char *what) {
    ck_assert_msg(a->nvals == b->nvals, "%s: %zu values against %zu", what, a->nvals, b->nvals);
    for (size_t i = 0; i < a->nvals; i++) {
        const rs_rval *x = &a->vals[i], *y = &b->vals[i];
        ck_assert_msg(x->kind == y->kind, "%s: value %zu kind %d against %d", what, i, x->kind, y->kind);
        ck_assert_msg(x->len == y->len, "%s: value %zu length %u against %u", what, i, x->len, y->len);
        ck_assert_msg(x->boolean == y->boolean && x->inexact == y->inexact, "%s: value %zu flags", what, i);
        ck_assert_msg(memcmp(&x->num, &y->num, sizeof x->num) == 0, "%s: value %zu number %.17g against %.17g",
                      what, i, x->num, y->num);
        if (x->kind == RV_STRING)
            ck_assert_msg(memcmp(x->str, y->str, x->len) == 0, "%s: value %zu bytes", what, i);
        ck_assert_msg(x->at == NULL && y->at == NULL, "%s: value %zu position", what, i);
    }
}

static void same_records(const rs_record *a, const rs_record *b, const char *what) {
    ck_assert_msg(a->nkeys == b->nkeys, "%s: %zu keys against %zu", what, a->nkeys, b->nkeys);
    for (size_t k = 0; k < a->nkeys; k++) {
        const rs_rkey *x = &a->keys[k], *y = &b->keys[k];
        ck_assert_msg(x->keylen == y->keylen && memcmp(x->key, y->key, x->keylen) == 0 && x->val == y->val,
                      "%s: key %zu", what, k);
    }
    same_values(a, b, what);
}

static void same_diags(const rs_diags *a, const rs_diags *b, const char *what) {
    ck_assert_msg(a->n == b->n && a->nerrors == b->nerrors, "%s: %zu diagnostics against %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const rs_diag *x = &a->items[i], *y = &b->items[i];
        ck_assert_msg(x->code == y->code && x->line == y->line && x->col == y->col, "%s: diagnostic %zu", what, i);
        ck_assert_msg(strcmp(x->file, y->file) == 0, "%s: diagnostic %zu file", what, i);
        ck_assert_msg(strcmp(x->message, y->message) == 0, "%s: '%s' against '%s'", what, x->message, y->message);
        ck_assert_msg(strcmp(x->help, y->help) == 0, "%s: help '%s' against '%s'", what, x->help, y->help);
    }
}

/* Both parsers on one line; returns whether the fast one read it itself. */
static bool compare_line(const char *line, size_t len) {
    parsed fast, ref;
    parse_with(&fast, rs_jsonl_parse_fast, line, len);
    parse_with(&ref, rs_jsonl_parse_jansson, line, len);
    const char *what = shown(line, len);
    ck_assert_msg(fast.st == ref.st, "%s: status %d against %d", what, fast.st, ref.st);
    if (fast.st == RS_REC_OK) same_records(&fast.rec, &ref.rec, what);
    same_diags(fast.d, ref.d, what);
    bool itself = fast.r->handed_over == 0;
    parsed_free(&fast);
    parsed_free(&ref);
    return itself;
}

/* ---- hand-written lines ---- */

static const struct line_case {
    const char *text;
    bool fast;                 /* the fast parser reads it itself (else it hands it to jansson) */
} line_cases[] = {
    {"{\"id\":\"u1\",\"department\":[\"D1\",\"D2\"],\"level\":7,\"salary\":3.5,\"ok\":true,\"x\":null}", true},
    {"{}", true},
    {"  {  }  ", true},
    {"\t{ \"id\" :\t\"u1\" ,\"a\" : [ ] , \"b\":[ 1 , \"x\" ,null,true,false ] }\r\t ", true},
    {"{\"name\":\"Robert \\\"Bob\\\" Smith\"}", true},
    {"{\"s\":\"\\\\ \\/ \\b \\f \\n \\r \\t\"}", true},
    {"{\"s\":\"caf\\u00e9 \\u00E9 \\u20AC \\uFFFF \\u0001\"}", true},
    {"{\"s\":\"\\ud83d\\ude00 and \\uD834\\uDD1E\"}", true},
    {"{\"\\u0069d\":\"u1\",\"k\\\"ey\":1}", true},
    {"{\"s\":\"Z\xC3\xBCrich \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80\"}", true},
    {"{\"n\":[0,-0,1,-1,42,123456789012345678,-123456789012345678]}", true},
    {"{\"n\":[9007199254740992,9007199254740993,-9007199254740993,900719925474099312]}", true},
    {"{\"n\":[0.0,-0.0,0.5,-2.25,1e3,1E3,1e+3,1e-3,2.5E-7,123.456e2,0e999,-0e-999]}", true},
    {"{\"n\":[9007199254740993.0,1e22,1e-22,4.9406564584124654e-324]}", false},
    {"{\"n\":1e23}", false},
    {"{\"n\":1234567890123456789}", false},
    {"{\"n\":99999999999999999999}", false},
    {"{\"n\":-9223372036854775809}", false},
    {"{\"n\":1e400}", false},
    {"{\"n\":1e-400}", false},
    {"{\"n\":0.1234567890123456789}", false},
    {"{\"n\":01}", false},
    {"{\"n\":-01}", false},
    {"{\"n\":1.}", false},
    {"{\"n\":.5}", false},
    {"{\"n\":+1}", false},
    {"{\"n\":-}", false},
    {"{\"n\":1e}", false},
    {"{\"n\":1e+}", false},
    {"{\"n\":1x}", false},
    {"{\"n\":0x1F}", false},
    {"{\"n\":NaN}", false},
    {"{\"n\":Infinity}", false},
    {"{\"b\":tru}", false},
    {"{\"b\":truex}", false},
    {"{\"b\":True}", false},
    {"{\"a\":[[\"D1\"]]}", false},
    {"{\"a\":[{\"x\":1}]}", false},
    {"{\"a\":{\"x\":1}}", false},
    {"{\"a\":{}}", false},
    {"{\"id\":\"u1\",\"id\":\"u2\"}", false},
    {"{\"a\":1,\"b\":2,\"\\u0061\":3}", false},
    {"{\"\":1,\"\":2}", false},
    {"{\"s\":\"\\u0000\"}", false},
    {"{\"s\":\"\\ud83d\"}", false},
    {"{\"s\":\"\\ud83dx\"}", false},
    {"{\"s\":\"\\ud83d\\u0041\"}", false},
    {"{\"s\":\"\\ude00\"}", false},
    {"{\"s\":\"\\u12\"}", false},
    {"{\"s\":\"\\u12G4\"}", false},
    {"{\"s\":\"\\x41\"}", false},
    {"{\"s\":\"\\'\"}", false},
    {"{\"s\":\"tab\there\"}", false},
    {"{\"s\":\"\xC3\"}", false},
    {"{\"s\":\"\xC0\xAF\"}", false},
    {"{\"s\":\"\xED\xA0\x80\"}", false},
    {"{\"s\":\"\xF4\x90\x80\x80\"}", false},
    {"{\"s\":\"\xFF\"}", false},
    {"{\"s\":\"open}", false},
    {"{\"s\":\"x\"", false},
    {"{\"s\":\"x\",}", false},
    {"{,}", false},
    {"{\"a\"}", false},
    {"{\"a\":}", false},
    {"{\"a\" 1}", false},
    {"{\"a\":1 \"b\":2}", false},
    {"{\"a\":[1,]}", false},
    {"{\"a\":[1 2]}", false},
    {"{\"a\":[,1]}", false},
    {"{a:1}", false},
    {"{'a':1}", false},
    {"{\"a\":1}}", false},
    {"{\"a\":1} x", false},
    {"{\"a\":1}{\"b\":2}", false},
    {"[1,2]", false},
    {"\"just a string\"", false},
    {"42", false},
    {"null", false},
    {"\xEF\xBB\xBF{\"a\":1}", false},
    {"{\"a\":1}\f", false},
    {"", false},
    {"   ", false},
};

START_TEST(hand_written_lines) {
    const struct line_case *c = &line_cases[_i];
    size_t len = strlen(c->text);
    bool itself = compare_line(c->text, len);
    ck_assert_msg(itself == c->fast, "%s: the fast parser %s", shown(c->text, len),
                  itself ? "read it itself" : "handed it over");
}
END_TEST

/* Lines with bytes a C string cannot hold. */
START_TEST(lines_with_nul_bytes) {
    static const char a[] = "{\"s\":\"a\0b\"}", b[] = "{\"a\":1}\0", c[] = "{\"a\0\":1}";
    ck_assert(!compare_line(a, sizeof a - 1));
    ck_assert(!compare_line(b, sizeof b - 1));
    ck_assert(!compare_line(c, sizeof c - 1));
}
END_TEST

/* ---- generated lines ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next64(rng *g) {   /* splitmix64 */
    uint64_t z = (g->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint32_t below(rng *g, uint32_t n) { return (uint32_t)(next64(g) % n); }
static bool chance(rng *g, uint32_t percent) { return below(g, 100) < percent; }

static void gen_ws(rng *g, rs_sb *sb) {
    static const char ws[] = " \t\r\n";
    if (chance(g, 75)) return;
    for (uint32_t n = 1 + below(g, 3); n > 0; n--) rs_sb_putc(sb, ws[below(g, 4)]);
}

/* One piece of a string: mostly plain, then every escape and encoding, now and then a bad one. */
static void gen_string_piece(rng *g, rs_sb *sb) {
    static const char *const escapes[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"};
    static const char *const utf8[] = {"\xC3\xA9", "\xC3\x9C", "\xE2\x82\xAC", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80",
                                       "\xEF\xBF\xBF", "\xE2\x84\xAA", "\xC2\x80"};
    static const char *const bad[] = {"\\u0000", "\\ud800", "\\udc00", "\\ud800\\u0041", "\\u12", "\\x", "\t",
                                      "\xC3", "\xED\xA0\x80", "\xFF", "\\", "\x01"};
    static const char run[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint32_t roll = below(g, 100);
    if (roll < 55) {
        char c = (char)(' ' + below(g, 95));   /* printable ASCII and the space */
        rs_sb_putc(sb, c == '"' || c == '\\' ? 'q' : c);
    } else if (roll < 70) rs_sb_puts(sb, escapes[below(g, 8)]);
    else if (roll < 80) rs_sb_puts(sb, utf8[below(g, 8)]);
    else if (roll < 86) {
        uint32_t cp = 1 + below(g, 0xD7FF);   /* below the surrogates */
        rs_sb_printf(sb, chance(g, 50) ? "\\u%04x" : "\\u%04X", cp);
    } else if (roll < 91) {
        uint32_t cp = 0x10000 + below(g, 0x100000);
        rs_sb_printf(sb, "\\u%04x\\u%04X", 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else if (roll < 93) {
        rs_sb_printf(sb, "\\u%04x", 0xE000 + below(g, 0x2000));
    } else if (roll < 95 && chance(g, 25)) {
        rs_sb_puts(sb, bad[below(g, (uint32_t)RS_ARRAY_LEN(bad))]);
    } else {
        rs_sb_puts(sb, &run[below(g, 30)]);   /* a longer run */
    }
}

static void gen_string(rng *g, rs_sb *sb) {
    rs_sb_putc(sb, '"');
    for (uint32_t n = below(g, 12); n > 0; n--) gen_string_piece(g, sb);
    rs_sb_putc(sb, '"');
}

static void gen_digits(rng *g, rs_sb *sb, uint32_t n, bool first_nonzero) {
    for (uint32_t i = 0; i < n; i++) rs_sb_putc(sb, (char)('0' + (i == 0 && first_nonzero ? 1 + below(g, 9) : below(g, 10))));
}

/* A number in one of JSON's spellings, now and then one JSON does not allow. */
static void gen_number(rng *g, rs_sb *sb) {
    static const char *const fixed[] = {"0", "-0", "9007199254740992", "9007199254740993", "-9007199254740992",
                                        "-9007199254740993", "999999999999999999", "1000000000000000000",
                                        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                                        "1e22", "1e23", "1e-22", "1e-23", "1e308", "1e309", "2.2250738585072014e-308",
                                        "4.9e-324", "1e-400", "0.1", "0.3", "-0.0", "0e0", "01", "1.", ".5", "+1",
                                        "-", "1e", "1E+", "0x10", "--1", "1.5.5"};
    if (chance(g, 15)) {
        rs_sb_puts(sb, fixed[below(g, (uint32_t)RS_ARRAY_LEN(fixed))]);
        return;
    }
    if (chance(g, 30)) rs_sb_putc(sb, '-');
    if (chance(g, 15)) rs_sb_putc(sb, '0');
    else gen_digits(g, sb, 1 + below(g, chance(g, 85) ? 8 : 21), true);
    if (chance(g, 45)) {
        rs_sb_putc(sb, '.');
        gen_digits(g, sb, 1 + below(g, chance(g, 85) ? 4 : 20), false);
    }
    if (chance(g, 20)) {
        rs_sb_putc(sb, "eE"[below(g, 2)]);
        if (chance(g, 60)) rs_sb_putc(sb, "+-"[below(g, 2)]);
        gen_digits(g, sb, 1 + below(g, 3), false);
    }
}

static void gen_value(rng *g, rs_sb *sb, int depth);

static void gen_list(rng *g, rs_sb *sb, int depth) {
    rs_sb_putc(sb, '[');
    gen_ws(g, sb);
    for (uint32_t n = below(g, 5), i = 0; i < n; i++) {
        if (i) rs_sb_putc(sb, ',');
        gen_ws(g, sb);
        gen_value(g, sb, depth + 1);
        gen_ws(g, sb);
    }
    rs_sb_putc(sb, ']');
}

static void gen_object(rng *g, rs_sb *sb, int depth);

static void gen_value(rng *g, rs_sb *sb, int depth) {
    uint32_t roll = below(g, 100);
    bool nest = depth == 0 || chance(g, 4);
    if (roll < 40) gen_string(g, sb);
    else if (roll < 65) gen_number(g, sb);
    else if (roll < 70) rs_sb_puts(sb, "true");
    else if (roll < 74) rs_sb_puts(sb, "false");
    else if (roll < 80) rs_sb_puts(sb, "null");
    else if (roll < 97 && nest && depth < 3) gen_list(g, sb, depth);
    else if (depth < 2 && chance(g, 30)) gen_object(g, sb, depth + 1);
    else gen_string(g, sb);
}

/* Keys from a small pool, so that some objects repeat one; some spelled with escapes. */
static void gen_key(rng *g, rs_sb *sb) {
    static const char *const keys[] = {"id", "name", "email", "department", "level", "leader", "a", "",
                                       "job_title", "x\\u0079", "xy", "k\\\"q", "skills", "\\u00e9t\\u00E9", "\xC3\xA9t\xC3\xA9"};
    if (chance(g, 10)) {
        gen_string(g, sb);
        return;
    }
    const char *k = keys[below(g, (uint32_t)RS_ARRAY_LEN(keys))];
    if (chance(g, 35)) rs_sb_printf(sb, "\"%s\"", k);
    else rs_sb_printf(sb, "\"%s%u\"", k, below(g, 60));
}

static void gen_object(rng *g, rs_sb *sb, int depth) {
    gen_ws(g, sb);
    rs_sb_putc(sb, '{');
    for (uint32_t n = below(g, depth ? 3 : 9), i = 0; i < n; i++) {
        gen_ws(g, sb);
        if (i) rs_sb_putc(sb, ',');
        gen_ws(g, sb);
        gen_key(g, sb);
        gen_ws(g, sb);
        rs_sb_putc(sb, ':');
        gen_ws(g, sb);
        gen_value(g, sb, depth);
    }
    gen_ws(g, sb);
    rs_sb_putc(sb, '}');
    gen_ws(g, sb);
}

/* One byte changed, inserted, deleted, or the line cut short. */
static void mutate(rng *g, rs_sb *sb) {
    static const char interesting[] = "{}[],:\"\\-+.eE0 \x01\xC3\x80";
    if (sb->len == 0) return;
    size_t at = below(g, (uint32_t)sb->len);
    char c = chance(g, 70) ? interesting[below(g, sizeof interesting - 1)] : (char)below(g, 256);
    switch (below(g, 4)) {
    case 0: sb->buf[at] = c; break;
    case 1:
        rs_sb_putc(sb, ' ');
        memmove(sb->buf + at + 1, sb->buf + at, sb->len - at - 1);
        sb->buf[at] = c;
        break;
    case 2:
        memmove(sb->buf + at, sb->buf + at + 1, sb->len - at - 1);
        sb->len--;
        break;
    default: sb->len = at; break;
    }
}

START_TEST(generated_lines) {
    enum { LINES = 40000 };
    rng g = {0x5EEDu + (uint64_t)_i};
    rs_sb sb = {0};
    size_t itself = 0, valid = 0;
    for (int i = 0; i < LINES; i++) {
        rs_sb_clear(&sb);
        gen_object(&g, &sb, 0);
        if (chance(&g, 12)) mutate(&g, &sb);
        if (chance(&g, 3)) mutate(&g, &sb);
        bool fast = compare_line(sb.buf ? sb.buf : "", sb.len);
        itself += fast;
        parsed p;
        parse_with(&p, rs_jsonl_parse_jansson, sb.buf ? sb.buf : "", sb.len);
        valid += p.st == RS_REC_OK;
        parsed_free(&p);
    }
    /* the generator must exercise both sides: the fast parser, and the lines it hands over */
    ck_assert_msg(itself > LINES / 3, "the fast parser read %zu lines of %d", itself, LINES);
    ck_assert_msg(valid - itself > LINES / 20, "only %zu valid lines were handed over", valid - itself);
    ck_assert_msg(LINES - valid > LINES / 10, "only %zu invalid lines", LINES - valid);
    fprintf(stderr, "generated lines, seed %d: %zu read by the fast parser, %zu valid ones handed over, %zu invalid\n",
            _i, itself, valid - itself, LINES - valid);
    rs_sb_free(&sb);
}
END_TEST

/* ---- numbers ---- */

/* Every decimal the exact path takes must equal strtod's correctly rounded value. */
START_TEST(exact_numbers_match_strtod) {
    rng g = {42};
    rs_sb sb = {0};
    size_t exact = 0;
    for (int i = 0; i < 200000; i++) {
        rs_sb_clear(&sb);
        gen_number(&g, &sb);
        rs_jnum n;
        rs_jnum_scan(sb.buf, sb.len, &n);
        double v;
        if (n.len == 0 || !rs_jnum_exact(&n, &v)) continue;
        exact++;
        char text[128];
        snprintf(text, sizeof text, "%.*s", (int)n.len, sb.buf);
        double want = strtod(text, NULL);
        ck_assert_msg(memcmp(&v, &want, sizeof v) == 0, "%s: %.17g against %.17g", text, v, want);
    }
    ck_assert_uint_gt(exact, 50000);
    rs_sb_free(&sb);
}
END_TEST

START_TEST(number_syntax) {
    static const struct {
        const char *text;
        size_t len;            /* bytes of the number, 0 none */
        bool integer;
    } cases[] = {
        {"0", 1, true},      {"-0", 2, true},     {"12,", 2, true},     {"1.5]", 3, false}, {"1e5", 3, false},
        {"1E-5x", 4, false}, {"01", 1, true},     {"-", 0, true},       {"+1", 0, true},    {".5", 0, true},
        {"1.", 0, true},     {"1.e5", 0, true},   {"1e", 0, false},     {"1e+", 0, false},  {"", 0, true},
        {"-a", 0, true},     {"0.0e-0", 6, false},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++) {
        rs_jnum n;
        rs_jnum_scan(cases[i].text, strlen(cases[i].text), &n);
        ck_assert_msg(n.len == cases[i].len, "%s: length %zu", cases[i].text, n.len);
        if (n.len) ck_assert_msg(n.integer == cases[i].integer, "%s", cases[i].text);
    }
    rs_jnum n;
    rs_jnum_scan("123456789012345678901234", 24, &n);
    ck_assert_int_eq(n.ndigits, 24);
    double v;
    ck_assert(!rs_jnum_exact(&n, &v));   /* too many digits for one exact operation */
    rs_jnum_scan("1e99999999999999999999", 22, &n);
    ck_assert_uint_eq(n.len, 22);
    ck_assert(!rs_jnum_exact(&n, &v));
    rs_jnum_scan("-0.0", 4, &n);
    ck_assert(rs_jnum_exact(&n, &v) && v == 0 && signbit(v));
}
END_TEST

/* ---- whole loads: the fast parser and jansson give the same snapshot and the same messages ---- */

static char tmp_root[64];

static const char *tmp_folder(void) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/roster-jsonl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_root));
    return tmp_root;
}

static void put_file(const char *dir, const char *name, const char *text, size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void remove_folder(const char *dir) {
    static const char *const names[] = {"schema.json", "departments.jsonl", "members.jsonl", "fast.snap", "ref.snap"};
    char path[256];
    for (size_t i = 0; i < RS_ARRAY_LEN(names); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    ck_assert_int_eq(rmdir(dir), 0);
}

#define SCHEMA                                                                                               \
    "{\"fields\": [{\"name\": \"name\", \"type\": \"text\"}, {\"name\": \"level\", \"type\": \"number\"},"   \
    " {\"name\": \"tags\", \"type\": \"text\", \"multi\": true}, {\"name\": \"ok\", \"type\": \"bool\"},"     \
    " {\"name\": \"leader\", \"type\": \"personnel\"}, {\"name\": \"scores\", \"type\": \"number\", \"multi\": true}]}"

/* Members written in many spellings: escapes, \u, whitespace, every number form; with `bad`, every
 * seventh line carries an error (syntax, types, limits, unknown keys, ids). */
static void write_members(rs_sb *sb, int n, bool bad) {
    static const char *const names[] = {"\"Ada\"", "\"Ad\\u0061\"", "\"\\u00c9mile \\\"Em\\\" Zola\"", "\"\xC3\x89mile\"",
                                        "\"\\ud83d\\ude00\"", "\"tab\\tbed\"", "\"\"", "null"};
    static const char *const levels[] = {"7", "-0", "3.25", "1e3", "2.5E-1", "9007199254740992", "0.1", "1e23",
                                         "-7.0", "null", "[]", "1E-22", "0e5", "4.9406564584124654e-324"};
    /* what follows {"id": "xN" on a bad line */
    static const char *const broken[] = {", \"department\": [\"D0\"], \"level\": \"7\"}",
                                         ", \"department\": [\"D0\"], \"name\": 5}",
                                         ", \"department\": [[\"D0\"]]}",
                                         ", \"id\": \"y\", \"department\": [\"D0\"]}",
                                         ", \"department\": [\"D0\"], \"level\": 1e400}",
                                         ", \"department\": [\"D0\"], \"level\": 9007199254740993}",
                                         ", \"department\": [\"D0\"], \"level\": 123456789012345678}",
                                         ", \"department\": [\"D0\"], \"nick\": \"\\u00e9\"}",
                                         ", \"department\": [\"D404\"]}",
                                         ", \"department\": [\"D0\"], \"leader\": \"nobody\"}",
                                         " \"department\": [\"D0\"]}",
                                         ", \"department\": [\"D0\"], \"s\": \"\\ud800\"}",
                                         "]"};
    for (int i = 0; i < n; i++) {
        if (bad && i % 7 == 3) {
            rs_sb_printf(sb, "{\"id\": \"x%d\"%s\n", i, broken[(i / 7) % RS_ARRAY_LEN(broken)]);
            if (i % 49 == 3) rs_sb_puts(sb, "{\"id\": \"u1\", \"department\": [\"D0\"]}\n");   /* used again */
            continue;
        }
        rs_sb_printf(sb, "%s{ \"id\" : \"u%d\",\"department\":[ \"D%d\" ,\"D0\"],\t\"name\":%s,", i % 5 ? "" : " ",
                     i + 1, i % 3, names[i % RS_ARRAY_LEN(names)]);
        rs_sb_printf(sb, "\"level\":%s,\"tags\":[\"t%d\",\"T\\u0025%d\",null,\"\"],\"ok\":%s,",
                     levels[i % RS_ARRAY_LEN(levels)], i % 11, i % 4, i % 3 ? "true" : "false");
        rs_sb_printf(sb, "\"leader\":\"u%d\",\"scores\":[%s,%d.5e%d,null]}%s\n", 1 + (i * 7) % n,
                     i % 2 ? "-0.0" : "1E2", i, i % 5, i % 4 ? "" : " \r");
    }
}

static rs_snapshot *load_with(const char *dir, bool reference, rs_diags *d) {
    rs_load_opts opts = {.reference_jsonl = reference};
    return rs_snapshot_load(dir, &opts, d);
}

static void compare_loads(bool bad) {
    const char *dir = tmp_folder();
    put_file(dir, "schema.json", SCHEMA, strlen(SCHEMA));
    static const char depts[] = "{\"id\": \"D0\", \"parent\": null, \"name\": \"R\\u00f6\\u00f6t\"}\n"
                                "{\"id\":\"D1\",\"parent\":\"D0\"}\n{ \"id\" : \"D2\" , \"parent\" : \"D\\u0031\" }\n";
    put_file(dir, "departments.jsonl", depts, sizeof depts - 1);
    rs_sb sb = {0};
    write_members(&sb, 3000, bad);
    put_file(dir, "members.jsonl", sb.buf, sb.len);
    rs_diags *df = rs_malloc(sizeof *df), *dr = rs_malloc(sizeof *dr);
    rs_diags_init(df);
    rs_diags_init(dr);
    rs_snapshot *fast = load_with(dir, false, df), *ref = load_with(dir, true, dr);
    same_diags(df, dr, bad ? "load with errors" : "load");
    ck_assert(bad ? !fast && !ref : fast && ref);
    if (!bad) {
        char pf[128], pr[128];
        snprintf(pf, sizeof pf, "%s/fast.snap", dir);
        snprintf(pr, sizeof pr, "%s/ref.snap", dir);
        ck_assert_int_eq(rs_snapshot_pack(fast, pf, df), 0);
        ck_assert_int_eq(rs_snapshot_pack(ref, pr, dr), 0);
        char *a, *b;
        size_t la, lb;
        ck_assert_int_eq(rs_read_file(pf, 1u << 30, &a, &la), 0);
        ck_assert_int_eq(rs_read_file(pr, 1u << 30, &b, &lb), 0);
        ck_assert(la == lb && memcmp(a, b, la) == 0);
        free(a);
        free(b);
    } else {
        ck_assert_uint_gt(df->nerrors, 100);
    }
    rs_snapshot_free(fast);
    rs_snapshot_free(ref);
    free(df);
    free(dr);
    rs_sb_free(&sb);
    remove_folder(dir);
}

START_TEST(whole_load_same_snapshot) { compare_loads(false); }
END_TEST

START_TEST(whole_load_same_diagnostics) { compare_loads(true); }
END_TEST

static Suite *jsonl_suite(void) {
    Suite *s = suite_create("jsonl");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, hand_written_lines, 0, (int)RS_ARRAY_LEN(line_cases));
    tcase_add_test(tc, lines_with_nul_bytes);
    tcase_add_loop_test(tc, generated_lines, 0, 4);
    tcase_add_test(tc, exact_numbers_match_strtod);
    tcase_add_test(tc, number_syntax);
    tcase_add_test(tc, whole_load_same_snapshot);
    tcase_add_test(tc, whole_load_same_diagnostics);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(jsonl_suite)
