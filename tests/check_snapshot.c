/* check_snapshot.c: loading snapshot folders (JSONL and CSV), every E06xx a folder can cause, the
 * department tree and its Euler tour, personnel ids and their reverse edges, lookups. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/date.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/check.h"
#include "runtime/bitmap.h"
#include "runtime/snapshot.h"
#include "runtime/snapshot_int.h"
#include "tests/testutil.h"

#define SNAPS RS_TEST_DATA "/snapshots/"

static rs_diags *diags_new(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    return d;
}

static void print_diags(const rs_diags *d) {
    rs_sb out = {0};
    rs_diags_render_text(d, &out, false);
    if (out.buf) fputs(out.buf, stderr);
    rs_sb_free(&out);
}

static rs_snapshot *load_ok(const char *path) {
    rs_diags *d = diags_new();
    rs_snapshot *s = rs_snapshot_load(path, NULL, d);
    if (!s) print_diags(d);
    ck_assert_msg(s != NULL, "%s did not load", path);
    ck_assert_uint_eq(d->nerrors, 0);
    free(d);
    return s;
}

static const rs_column *col(const rs_snapshot *s, const char *name) {
    int i = rs_schema_index(s->schema, name);
    ck_assert_msg(i >= 0, "no field %s", name);
    return &s->columns[i];
}

static uint32_t member(const rs_snapshot *s, const char *id) {
    uint32_t m = rs_snapshot_member(s, id, strlen(id));
    ck_assert_msg(m != RS_NONE, "no member %s", id);
    return m;
}

static uint32_t dept(const rs_snapshot *s, const char *id) {
    uint32_t d = rs_snapshot_department(s, id, strlen(id));
    ck_assert_msg(d != RS_NONE, "no department %s", id);
    return d;
}

static bool is_empty(const rs_column *c, uint32_t m) { return rs_bm_get(c->empty, m); }

/* The text of member m's single text value. */
static void assert_text(const rs_snapshot *s, const char *field, const char *id, const char *want) {
    const rs_column *c = col(s, field);
    uint32_t m = member(s, id);
    ck_assert_msg(!is_empty(c, m), "%s of %s is empty", field, id);
    size_t len;
    const char *v = rs_strtab_get(&c->dict.raw, c->codes[m], &len);
    ck_assert_int_eq((int)len, (int)strlen(want));
    ck_assert(memcmp(v, want, len) == 0);
}

/* Member m's multi values as codes (or day numbers, or numbers times 4 rounded) in a string. */
static void multi_str(const rs_column *c, uint32_t m, char *out, size_t cap) {
    rs_sb sb = {0};
    for (uint32_t i = c->offsets[m]; i < c->offsets[m + 1]; i++) {
        if (c->nums) rs_sb_printf(&sb, "%s%g", sb.len ? "," : "", c->nums[i]);
        else if (c->days) rs_sb_printf(&sb, "%s%d", sb.len ? "," : "", c->days[i]);
        else rs_sb_printf(&sb, "%s%u", sb.len ? "," : "", c->codes[i]);
    }
    snprintf(out, cap, "%s", sb.buf ? sb.buf : "");
    rs_sb_free(&sb);
}

static void assert_multi(const rs_snapshot *s, const char *field, const char *id, const char *want) {
    char got[256];
    multi_str(col(s, field), member(s, id), got, sizeof got);
    ck_assert_str_eq(got, want);
}

START_TEST(good_jsonl_values) {
    rs_snapshot *s = load_ok(SNAPS "good");
    ck_assert_uint_eq(s->nmembers, 9);
    ck_assert_uint_eq(s->depts.n, 9);
    ck_assert_int_eq(s->name_field, rs_schema_index(s->schema, "name"));
    ck_assert_int_eq(s->status_field, rs_schema_index(s->schema, "status"));
    /* members are numbered in file order; ids are case-sensitive */
    ck_assert_uint_eq(member(s, "u1"), 0);
    ck_assert_uint_eq(member(s, "U7"), 7);
    ck_assert_uint_eq(rs_snapshot_member(s, "u8", 2), RS_NONE);
    ck_assert_uint_eq(rs_snapshot_member(s, "u", 1), RS_NONE);
    /* options: stored as the index in the declared list, matched ignoring case */
    const rs_column *et = col(s, "employee_type");
    ck_assert_uint_eq(et->codes[member(s, "u1")], 0);
    ck_assert_uint_eq(et->codes[member(s, "u4")], 1);
    ck_assert(is_empty(et, member(s, "u5")));
    ck_assert_uint_eq(col(s, "status")->codes[member(s, "u4")], 0);
    /* numbers, dates, bools */
    const rs_column *lv = col(s, "level");
    ck_assert(lv->nums[member(s, "u2")] == 3.25);
    ck_assert(lv->nums[member(s, "u5")] == 1000);
    ck_assert(lv->nums[member(s, "u4")] == 0 && !signbit(lv->nums[member(s, "u4")]));
    ck_assert(is_empty(lv, member(s, "u3")));
    ck_assert_int_eq(col(s, "join_date")->days[member(s, "u4")], rs_days_from_civil(2024, 2, 29));
    ck_assert_uint_eq(col(s, "is_manager")->codes[member(s, "u1")], 1);
    ck_assert_uint_eq(col(s, "is_manager")->codes[member(s, "u2")], 0);
    ck_assert(is_empty(col(s, "is_manager"), member(s, "u3")));
    /* text: dictionary codes with raw and folded forms; "" is empty */
    assert_text(s, "name", "u4", "Jo \"JJ\" Smith, Jr.");
    assert_text(s, "job_title", "u7", "\xE2\x84\xAA-Team");
    ck_assert(is_empty(col(s, "email"), member(s, "u3")));
    ck_assert(is_empty(col(s, "name"), member(s, "u6")));
    const rs_column *jt = col(s, "job_title");
    size_t len;
    const char *f = rs_strtab_get(&jt->dict.folded, jt->codes[member(s, "u2")], &len);
    ck_assert(len == 8 && memcmp(f, "engineer", 8) == 0);
    f = rs_strtab_get(&jt->dict.folded, jt->codes[member(s, "u7")], &len);
    ck_assert(len == 6 && memcmp(f, "k-team", 6) == 0);
    ck_assert_uint_ne(jt->codes[member(s, "u1")], jt->codes[member(s, "u2")]);   /* raw forms differ */
    ck_assert_uint_eq(jt->codes[member(s, "u1")], rs_strtab_find(&jt->dict.raw, "Engineer", 8));
    rs_snapshot_free(s);
}
END_TEST

START_TEST(good_jsonl_multi) {
    rs_snapshot *s = load_ok(SNAPS "good");
    char want[64];
    /* repeated values are dropped, the first occurrence keeps its place */
    snprintf(want, sizeof want, "%u,%u", dept(s, "D111"), dept(s, "D2"));
    assert_multi(s, "department", "u1", want);
    assert_multi(s, "skills", "u1", "0,1");
    assert_multi(s, "skills", "u5", "2,1");
    assert_multi(s, "scores", "u1", "1.5,-2");
    assert_multi(s, "scores", "u2", "9.0072e+15");
    assert_multi(s, "scores", "u4", "0");        /* -0.0 and 0 are one value */
    assert_multi(s, "flags", "u1", "1,0");
    snprintf(want, sizeof want, "%d,%d", rs_days_from_civil(2026, 12, 25), rs_days_from_civil(2026, 1, 1));
    assert_multi(s, "holidays", "u1", want);
    /* a single value is a set of one; [] and null are empty */
    const rs_column *lang = col(s, "languages");
    ck_assert_uint_eq(lang->offsets[member(s, "u2") + 1] - lang->offsets[member(s, "u2")], 1);
    ck_assert(is_empty(col(s, "holidays"), member(s, "u2")));
    ck_assert(is_empty(col(s, "skills"), member(s, "u2")));
    ck_assert(!is_empty(col(s, "holidays"), member(s, "U7")));
    /* "" inside a list is skipped; a newline inside a value is kept */
    uint32_t u4 = member(s, "u4");
    ck_assert_uint_eq(lang->offsets[u4 + 1] - lang->offsets[u4], 2);
    size_t len;
    const char *v = rs_strtab_get(&lang->dict.raw, lang->codes[lang->offsets[u4]], &len);
    ck_assert(len == 17 && memcmp(v, "line one\nline two", 17) == 0);
    rs_snapshot_free(s);
}
END_TEST

START_TEST(main_department_is_first) {
    rs_snapshot *s = load_ok(SNAPS "good");
    const rs_column *dep = col(s, "department"), *main = col(s, "main_department");
    ck_assert(main->field->derived);
    ck_assert_ptr_null(main->offsets);
    for (uint32_t m = 0; m < s->nmembers; m++) {
        ck_assert(!is_empty(main, m));
        ck_assert_uint_eq(main->codes[m], dep->codes[dep->offsets[m]]);
    }
    ck_assert_uint_eq(main->codes[member(s, "u4")], dept(s, "X1"));
    /* another department-typed field */
    ck_assert_uint_eq(col(s, "cost_center")->codes[member(s, "U7")], dept(s, "X0"));
    ck_assert(is_empty(col(s, "cost_center"), member(s, "u2")));
    rs_snapshot_free(s);
}
END_TEST

/* A member in no department is valid: however its list is written, the list is empty and so is its
 * main department (SCIM sources have no departments; HR data has people not yet placed). */
static void assert_no_department(const char *folder) {
    rs_diags *d = diags_new();
    rs_snapshot *s = rs_snapshot_load(folder, NULL, d);
    if (!s) print_diags(d);
    ck_assert_msg(s != NULL, "%s did not load", folder);
    ck_assert_uint_eq(d->n, 0);
    free(d);
    ck_assert_uint_eq(s->nmembers, 7);
    const rs_column *dep = col(s, "department"), *main = col(s, "main_department");
    static const char *const nowhere[] = {"u3", "u4", "u5", "u6"};
    for (size_t i = 0; i < RS_ARRAY_LEN(nowhere); i++) {
        uint32_t m = member(s, nowhere[i]);
        ck_assert_msg(is_empty(dep, m), "%s: department not empty", nowhere[i]);
        ck_assert_uint_eq(dep->offsets[m], dep->offsets[m + 1]);
        ck_assert_msg(is_empty(main, m), "%s: main_department not empty", nowhere[i]);
    }
    ck_assert_uint_eq(main->codes[member(s, "u7")], dept(s, "D1"));
    ck_assert_uint_eq(col(s, "leader")->codes[member(s, "u4")], member(s, "u3"));
    rs_snapshot_free(s);
}

START_TEST(member_without_department) {
    assert_no_department(SNAPS "no-department");
    assert_no_department(SNAPS "no-department-csv");
}
END_TEST

/* Members that point at m through column c, as ids in member order. */
static void pointers_to(const rs_snapshot *s, const char *field, const char *id, char *out, size_t cap) {
    const rs_column *c = col(s, field);
    uint32_t m = member(s, id);
    rs_sb sb = {0};
    for (uint32_t i = c->rev_off[m]; i < c->rev_off[m + 1]; i++) {
        size_t len;
        const char *who = rs_strtab_get(&s->member_ids, c->rev[i], &len);
        rs_sb_printf(&sb, "%s%.*s", sb.len ? "," : "", (int)len, who);
    }
    snprintf(out, cap, "%s", sb.buf ? sb.buf : "");
    rs_sb_free(&sb);
}

static void assert_pointers(const rs_snapshot *s, const char *field, const char *id, const char *want) {
    char got[256];
    pointers_to(s, field, id, got, sizeof got);
    ck_assert_str_eq(got, want);
}

START_TEST(personnel_forward_and_reverse) {
    rs_snapshot *s = load_ok(SNAPS "good");
    const rs_column *leader = col(s, "leader");
    ck_assert_uint_eq(leader->codes[member(s, "u1")], member(s, "u5"));   /* defined further down */
    ck_assert_uint_eq(leader->codes[member(s, "u6")], member(s, "u9"));
    ck_assert_uint_eq(leader->codes[member(s, "u5")], member(s, "u5"));   /* a loop is data, not an error */
    ck_assert(is_empty(leader, member(s, "u3")));
    char want[32];
    snprintf(want, sizeof want, "%u,%u", member(s, "u5"), member(s, "u3"));
    assert_multi(s, "mentors", "u1", want);
    assert_pointers(s, "leader", "u5", "u1,u5,u9");
    assert_pointers(s, "leader", "u1", "u2,u4");
    assert_pointers(s, "leader", "u9", "u6,u7");
    assert_pointers(s, "leader", "u3", "");
    assert_pointers(s, "mentors", "u9", "u5");
    assert_pointers(s, "mentors", "U7", "u9");
    /* "reports to u5": a walk over reverse edges reaches everyone with a chain of leaders to u5 */
    uint64_t *seen = rs_calloc(rs_bm_words(s->nmembers), sizeof *seen);
    uint32_t *queue = rs_calloc(s->nmembers, sizeof *queue), head = 0, tail = 0;
    queue[tail++] = member(s, "u5");
    rs_bm_set(seen, member(s, "u5"));
    while (head < tail) {
        uint32_t x = queue[head++];
        for (uint32_t i = leader->rev_off[x]; i < leader->rev_off[x + 1]; i++)
            if (!rs_bm_get(seen, leader->rev[i])) {
                rs_bm_set(seen, leader->rev[i]);
                queue[tail++] = leader->rev[i];
            }
    }
    ck_assert_uint_eq(rs_bm_count(seen, s->nmembers), s->nmembers - 1);
    ck_assert(!rs_bm_get(seen, member(s, "u3")));
    free(seen);
    free(queue);
    rs_snapshot_free(s);
}
END_TEST

static bool ancestor_or_self(const rs_departments *d, uint32_t a, uint32_t b) {
    for (uint32_t x = b; x != RS_NONE; x = d->parent[x])
        if (x == a) return true;
    return false;
}

/* The tour's intervals are exactly the subtrees the parent links describe. */
static void assert_tour(const rs_departments *d) {
    for (uint32_t a = 0; a < d->n; a++) {
        ck_assert_uint_eq(d->by_tin[d->tin[a]], a);
        for (uint32_t b = 0; b < d->n; b++) {
            bool in = d->tin[a] <= d->tin[b] && d->tin[b] < d->tout[a];
            ck_assert_msg(in == ancestor_or_self(d, a, b), "departments %u and %u", a, b);
        }
    }
}

START_TEST(departments_tree) {
    rs_snapshot *s = load_ok(SNAPS "good");
    const rs_departments *d = &s->depts;
    ck_assert_uint_eq(d->parent[dept(s, "D0")], RS_NONE);
    ck_assert_uint_eq(d->parent[dept(s, "X0")], RS_NONE);   /* "" is no parent: a second root */
    ck_assert_uint_eq(d->parent[dept(s, "D11")], dept(s, "D1"));   /* parent defined further down */
    ck_assert_uint_eq(dept(s, "D11"), 0);
    size_t len;
    const char *name = rs_strtab_get(&d->names, dept(s, "D3"), &len);
    ck_assert(len == 14 && memcmp(name, "Z\xC3\xBCrich Office", 14) == 0);
    rs_strtab_get(&d->names, dept(s, "X1"), &len);
    ck_assert_uint_eq(len, 0);
    uint32_t d1 = dept(s, "D1");
    ck_assert_uint_eq(d->tout[d1] - d->tin[d1], 4);   /* D1, D11, D111, D12 */
    ck_assert_uint_eq(d->tout[dept(s, "D0")] - d->tin[dept(s, "D0")], 7);
    ck_assert_uint_eq(rs_snapshot_department(s, "d1", 2), RS_NONE);
    assert_tour(d);
    rs_snapshot_free(s);
}
END_TEST

/* ---- folders written by the tests ---- */

static char tmp_root[64];

static const char *tmp_folder(void) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/roster-snap-XXXXXX");
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

static void put_text(const char *dir, const char *name, const char *text) { put_file(dir, name, text, strlen(text)); }

static void remove_folder(const char *dir) {
    static const char *const names[] = {"schema.json", "departments.jsonl", "departments.csv", "members.jsonl",
                                        "members.csv", "a.snap", "b.snap"};
    char path[256];
    for (size_t i = 0; i < RS_ARRAY_LEN(names); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    ck_assert_int_eq(rmdir(dir), 0);
}

#define SCHEMA_MIN "{\"fields\": [{\"name\": \"join_date\", \"type\": \"date\"}]}"
#define DEPTS_MIN "{\"id\": \"D0\", \"parent\": null}\n"

static const rs_diag *find_code(const rs_diags *d, rs_code code) {
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].code == code) return &d->items[i];
    return NULL;
}

static size_t count_code(const rs_diags *d, rs_code code) {
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) n += d->items[i].code == code;
    return n;
}

/* Loads dir expecting a refusal with `code` at `line` (0: any line). */
static void assert_refused(const char *dir, rs_diags *d, rs_code code, uint32_t line) {
    rs_snapshot *s = rs_snapshot_load(dir, NULL, d);
    if (s) print_diags(d);
    ck_assert_ptr_null(s);
    const rs_diag *dg = find_code(d, code);
    if (!dg) print_diags(d);
    ck_assert_ptr_nonnull(dg);
    if (line) ck_assert_uint_eq(dg->line, line);
}

START_TEST(deep_department_chain) {
    /* each department's parent comes further down; the root is last: a chain as deep as the file is
     * long, which a recursive walk would not survive */
    enum { N = 300000 };
    const char *dir = tmp_folder();
    rs_sb sb = {0};
    for (int i = 0; i < N; i++) {
        if (i + 1 < N) rs_sb_printf(&sb, "{\"id\": \"D%d\", \"parent\": \"D%d\"}\n", i, i + 1);
        else rs_sb_printf(&sb, "{\"id\": \"D%d\", \"parent\": null}\n", i);
    }
    put_text(dir, "schema.json", SCHEMA_MIN);
    put_file(dir, "departments.jsonl", sb.buf, sb.len);
    put_text(dir, "members.jsonl", "{\"id\": \"u1\", \"department\": [\"D0\"]}\n");
    rs_snapshot *s = load_ok(dir);
    const rs_departments *d = &s->depts;
    ck_assert_uint_eq(d->n, N);
    ck_assert_uint_eq(d->tin[N - 1], 0);
    ck_assert_uint_eq(d->tin[0], N - 1);
    for (uint32_t i = 0; i < N; i++) {
        ck_assert_uint_eq(d->tout[i], N);
        ck_assert_uint_eq(d->by_tin[N - 1 - i], i);
    }
    rs_snapshot_free(s);
    rs_sb_free(&sb);
    remove_folder(dir);
}
END_TEST

START_TEST(random_department_forest) {
    enum { N = 700 };
    const char *dir = tmp_folder();
    uint32_t seed = 12345, perm[N];
    for (uint32_t i = 0; i < N; i++) perm[i] = i;
    for (uint32_t i = N - 1; i > 0; i--) {   /* shuffled file order, so parents come before and after */
        seed = seed * 1103515245u + 12345u;
        uint32_t j = (seed >> 8) % (i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    rs_sb sb = {0};
    for (uint32_t k = 0; k < N; k++) {
        uint32_t i = perm[k];
        seed = seed * 1103515245u + 12345u;
        if (i < 3) rs_sb_printf(&sb, "{\"id\": \"D%u\", \"parent\": null}\n", i);
        else rs_sb_printf(&sb, "{\"id\": \"D%u\", \"parent\": \"D%u\"}\n", i, (seed >> 8) % i);
    }
    put_text(dir, "schema.json", SCHEMA_MIN);
    put_file(dir, "departments.jsonl", sb.buf, sb.len);
    put_text(dir, "members.jsonl", "{\"id\": \"u1\", \"department\": [\"D0\"]}\n");
    rs_snapshot *s = load_ok(dir);
    assert_tour(&s->depts);
    rs_snapshot_free(s);
    rs_sb_free(&sb);
    remove_folder(dir);
}
END_TEST

/* ---- CSV twin: the same columns as the JSONL folder ---- */

static char *slurp(const char *path, size_t *len) {
    char *text;
    ck_assert_int_eq(rs_read_file(path, 1u << 30, &text, len), 0);
    return text;
}

/* Names the first section in which two packed files differ, so a failure says which column. */
static void assert_same_packs(const char *pa, const char *pb) {
    size_t la, lb;
    char *a = slurp(pa, &la), *b = slurp(pb, &lb);
    const rs_snap_header *ha = (const void *)a, *hb = (const void *)b;
    ck_assert_uint_eq(ha->nsections, hb->nsections);
    const rs_snap_section *ta = (const void *)(a + 64), *tb = (const void *)(b + 64);
    for (uint32_t i = 0; i < ha->nsections; i++) {
        bool same = ta[i].count == tb[i].count &&
                    memcmp(a + ta[i].offset, b + tb[i].offset, ta[i].count * ta[i].elem_size) == 0;
        ck_assert_msg(same, "section %u (kind %u, column %u) differs", i, ta[i].tag, ta[i].column);
    }
    ck_assert_uint_eq(la, lb);
    ck_assert(memcmp(a, b, la) == 0);
    free(a);
    free(b);
}

static void twins_pack_identically(const char *jsonl, const char *csv) {
    rs_snapshot *js = load_ok(jsonl), *cs = load_ok(csv);
    const char *dir = tmp_folder();
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/a.snap", dir);
    snprintf(pb, sizeof pb, "%s/b.snap", dir);
    rs_diags *d = diags_new();
    ck_assert_int_eq(rs_snapshot_pack(js, pa, d), 0);
    ck_assert_int_eq(rs_snapshot_pack(cs, pb, d), 0);
    assert_same_packs(pa, pb);
    rs_snapshot_free(js);
    rs_snapshot_free(cs);
    free(d);
    remove_folder(dir);
}

START_TEST(csv_twin_loads_identically) {
    twins_pack_identically(SNAPS "good", SNAPS "good-csv");
    twins_pack_identically(SNAPS "no-department", SNAPS "no-department-csv");
}
END_TEST

/* Random text for a cell: commas, quotes, line breaks, blanks, non-ASCII, long runs (with `semi`,
 * semicolons too; never for the pieces of a multi value). */
static void random_text(uint32_t *seed, rs_sb *out, bool semi) {
    static const char *const pieces[] = {"a", "Bob", ",", "\"", "\"\"", "\n", " ", "\xC3\xA9", "\xE4\xB8\xAD", ";",
                                         "long words, with a comma", "\\", "\t", "\xF0\x9F\x98\x80", "x\ry"};
    rs_sb_clear(out);
    *seed = *seed * 1103515245u + 12345u;
    for (uint32_t n = (*seed >> 8) % 7; n > 0; n--) {
        *seed = *seed * 1103515245u + 12345u;
        const char *p = pieces[(*seed >> 8) % RS_ARRAY_LEN(pieces)];
        if (!semi && *p == ';') p = "b";
        rs_sb_puts(out, p);
    }
}

/* A CSV cell: quoted when it must be, or now and then when it need not. */
static void csv_cell(rs_sb *csv, const char *s, size_t len, bool quote) {
    for (size_t i = 0; i < len && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        rs_sb_put(csv, s, len);
        return;
    }
    rs_sb_putc(csv, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') rs_sb_putc(csv, '"');
        rs_sb_putc(csv, s[i]);
    }
    rs_sb_putc(csv, '"');
}

/* The same members written as JSONL and as CSV, with text made to trip the CSV reader. */
START_TEST(random_twins_load_identically) {
    enum { N = 3000 };
    const char *dir = tmp_folder();
    put_text(dir, "schema.json", "{\"fields\": [{\"name\": \"name\", \"type\": \"text\"}, {\"name\": \"tags\", "
                                 "\"type\": \"text\", \"multi\": true}, {\"name\": \"level\", \"type\": \"number\"}]}");
    put_text(dir, "departments.jsonl", DEPTS_MIN);
    rs_sb js = {0}, csv = {0}, text = {0};
    rs_sb_puts(&csv, "id,department,name,tags,level\n");
    uint32_t seed = 99;
    for (int i = 0; i < N; i++) {
        rs_sb_printf(&js, "{\"id\": \"u%d\", \"department\": [\"D0\"], \"name\": ", i);
        rs_sb_printf(&csv, "u%d,D0,", i);
        random_text(&seed, &text, true);
        rs_sb_json_str(&js, text.buf ? text.buf : "", text.len);
        csv_cell(&csv, text.buf ? text.buf : "", text.len, i % 5 == 0);
        rs_sb_puts(&js, ", \"tags\": [");
        rs_sb_putc(&csv, ',');
        rs_sb tags = {0};
        for (int k = 0; k < i % 4; k++) {
            random_text(&seed, &text, false);
            if (text.len == 0) continue;
            if (tags.len) {
                rs_sb_puts(&js, ", ");
                rs_sb_putc(&tags, ';');
            }
            rs_sb_json_str(&js, text.buf, text.len);
            rs_sb_put(&tags, text.buf, text.len);
        }
        csv_cell(&csv, tags.buf ? tags.buf : "", tags.len, false);
        rs_sb_free(&tags);
        rs_sb_printf(&js, "], \"level\": %d.%d}\n", i % 13 - 6, i % 10);
        rs_sb_printf(&csv, ",%d.%d\n", i % 13 - 6, i % 10);
    }
    put_file(dir, "members.jsonl", js.buf, js.len);
    rs_snapshot *a = load_ok(dir);
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/members.jsonl", dir);
    ck_assert_int_eq(unlink(pa), 0);   /* the CSV file is read only without a JSONL one */
    put_file(dir, "members.csv", csv.buf, csv.len);
    rs_snapshot *b = load_ok(dir);
    snprintf(pa, sizeof pa, "%s/a.snap", dir);
    snprintf(pb, sizeof pb, "%s/b.snap", dir);
    rs_diags *d = diags_new();
    ck_assert_int_eq(rs_snapshot_pack(a, pa, d), 0);
    ck_assert_int_eq(rs_snapshot_pack(b, pb, d), 0);
    assert_same_packs(pa, pb);
    rs_snapshot_free(a);
    rs_snapshot_free(b);
    free(d);
    rs_sb_free(&js);
    rs_sb_free(&csv);
    rs_sb_free(&text);
    remove_folder(dir);
}
END_TEST

/* ---- one folder per error ---- */

static const struct bad_case {
    const char *folder;
    rs_code code;
    const char *file;          /* the diagnostic's file ends with this */
    uint32_t line, col;        /* col 0: not checked */
    const char *needle;        /* in the message */
} bad_cases[] = {
    {"bad-e0601-json", RS_E_SNAP_SYNTAX, "members.jsonl", 3, 0, "invalid JSON"},
    {"bad-e0601-csv", RS_E_SNAP_SYNTAX, "members.csv", 3, 12, "after the closing quote"},
    /* A refused departments.csv header: also a leak regression (the path was not freed). */
    {"bad-e0601-dept-header", RS_E_SNAP_SYNTAX, "departments.csv", 1, 4, "named twice in the header"},
    {"bad-e0602", RS_E_SNAP_MISSING_ID, "members.jsonl", 3, 0, "without an \"id\""},
    {"bad-e0603", RS_E_SNAP_DUPLICATE_ID, "members.jsonl", 3, 0, "'u1' is used again (first on line 1)"},
    {"bad-e0603-dept", RS_E_SNAP_DUPLICATE_ID, "departments.jsonl", 3, 0, "'D1' is used again (first on line 2)"},
    {"bad-e0604", RS_E_SNAP_MISSING_PARENT, "departments.jsonl", 3, 0, "parent 'D9' does not exist"},
    {"bad-e0605", RS_E_SNAP_CYCLE, "departments.jsonl", 2, 0, "'D1' -> 'D3' -> 'D2' -> 'D1'"},
    {"bad-e0606", RS_E_SNAP_BAD_DATE, "members.jsonl", 3, 36, "field 'join_date': '2026-02-30'"},
    {"bad-e0606-csv", RS_E_SNAP_BAD_DATE, "members.csv", 3, 7, "'31/01/2026'"},
    {"bad-e0607", RS_E_SNAP_BAD_OPTION, "members.jsonl", 3, 0, "'Consultant' is not one of its options"},
    {"bad-e0608", RS_E_SNAP_WRONG_TYPE, "members.jsonl", 3, 36, "field 'name': expected text, found a number"},
    {"bad-e0608-array", RS_E_SNAP_WRONG_TYPE, "members.jsonl", 3, 0, "a list for a single-valued field"},
    {"bad-e0608-csv", RS_E_SNAP_WRONG_TYPE, "members.csv", 3, 7, "'12abc' is not a number"},
    {"bad-e0609", RS_E_SNAP_UNKNOWN_DEPARTMENT, "members.jsonl", 3, 0, "department 'D404' does not exist"},
    {"bad-e0610", RS_E_SNAP_UNKNOWN_MEMBER, "members.jsonl", 3, 0, "'u404' is not a member id"},
    {"bad-e0613", RS_E_SNAP_MISSING_FILE, "bad-e0613", 0, 0, "no members.jsonl or members.csv"},
    {"bad-e0613-schema", RS_E_SNAP_MISSING_FILE, "schema.json", 0, 0, "cannot read"},
    {"bad-e0615", RS_E_SNAP_NO_ROOT, "departments.jsonl", 0, 0, "every department names a parent"},
    {"bad-e0615-empty", RS_E_SNAP_NO_ROOT, "departments.jsonl", 0, 0, "no department at all"},
    {"bad-e0616", RS_E_SNAP_TOO_LARGE, "members.jsonl", 3, 0, "integer 9007199254740993 is beyond +-9007199254740992 (2^53)"},
    {"bad-e0616-csv", RS_E_SNAP_TOO_LARGE, "members.csv", 3, 0, "'-9007199254740993' is beyond +-9007199254740992 (2^53)"},
};

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

START_TEST(bad_folder_refused) {
    const struct bad_case *c = &bad_cases[_i];
    char path[256];
    snprintf(path, sizeof path, SNAPS "%s", c->folder);
    rs_diags *d = diags_new();
    assert_refused(path, d, c->code, c->line);
    const rs_diag *dg = find_code(d, c->code);
    ck_assert_msg(ends_with(dg->file, c->file), "%s: file %s", c->folder, dg->file);
    ck_assert_uint_eq(dg->line, c->line);
    if (c->col) ck_assert_uint_eq(dg->col, c->col);
    ck_assert_msg(strstr(dg->message, c->needle), "%s: message '%s'", c->folder, dg->message);
    free(d);
}
END_TEST

/* Errors a caller had before the load neither stop it nor cut it short. */
START_TEST(prefilled_diags) {
    rs_diags *d = diags_new();
    d->max_errors = 3;
    for (int i = 0; i < 5; i++) rs_diag_file(d, RS_E_IO, "elsewhere", 0, 0, "an earlier error");
    rs_snapshot *s = rs_snapshot_load(SNAPS "good", NULL, d);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->nmembers, 9);
    rs_snapshot_free(s);
    ck_assert_ptr_null(rs_snapshot_load(SNAPS "bad-e0606", NULL, d));   /* refused, though not listed */
    ck_assert_uint_eq(d->nerrors, 6);
    free(d);
}
END_TEST

START_TEST(unknown_key_warns_once) {
    rs_diags *d = diags_new();
    rs_snapshot *s = rs_snapshot_load(SNAPS "warn-w0611", NULL, d);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(d->nerrors, 0);
    ck_assert_uint_eq(d->nwarnings, 2);
    const rs_diag *dg = find_code(d, RS_E_SNAP_UNKNOWN_FIELD);
    ck_assert_uint_eq(dg->line, 2);
    ck_assert_ptr_nonnull(strstr(dg->message, "'nickname' is not in schema.json; ignored (in 2 records)"));
    dg = &d->items[1];
    ck_assert_uint_eq(dg->line, 3);
    ck_assert_ptr_nonnull(strstr(dg->message, "'main_department' is derived"));
    /* the given value is ignored: the main department is the first one listed */
    ck_assert_uint_eq(col(s, "main_department")->codes[member(s, "u3")], dept(s, "D1"));
    ck_assert_int_eq(rs_schema_index(s->schema, "nickname"), -1);
    rs_snapshot_free(s);
    free(d);
}
END_TEST

START_TEST(error_limit_stops_detail) {
    const char *dir = tmp_folder();
    rs_sb sb = {0};
    for (int i = 0; i < 60; i++) rs_sb_printf(&sb, "{\"id\": \"u%d\", \"department\": [\"D0\"], \"join_date\": \"2026-13-01\"}\n", i);
    put_text(dir, "schema.json", SCHEMA_MIN);
    put_text(dir, "departments.jsonl", DEPTS_MIN);
    put_file(dir, "members.jsonl", sb.buf, sb.len);
    rs_diags *d = diags_new();
    d->max_errors = 5;
    assert_refused(dir, d, RS_E_SNAP_BAD_DATE, 1);
    ck_assert_uint_eq(count_code(d, RS_E_SNAP_BAD_DATE), 5);
    ck_assert_uint_lt(d->nerrors, 60);   /* reading stopped soon after the limit */
    rs_diags_init(d);
    assert_refused(dir, d, RS_E_SNAP_BAD_DATE, 1);
    ck_assert_uint_eq(count_code(d, RS_E_SNAP_BAD_DATE), 60);
    free(d);
    rs_sb_free(&sb);
    remove_folder(dir);
}
END_TEST

START_TEST(long_line_skipped_with_position) {
    const char *dir = tmp_folder();
    rs_sb sb = {0};
    rs_sb_puts(&sb, "{\"id\": \"u1\", \"department\": [\"D0\"]}\n{\"id\": \"u2\", \"department\": [\"D0\"], \"x\": \"");
    for (size_t i = 0; i < RS_SNAP_MAX_LINE; i++) rs_sb_putc(&sb, 'a');
    rs_sb_puts(&sb, "\"}\n\n{\"id\": \"u3\", \"department\": [\"D0\"], \"join_date\": \"2026-02-29\"}\n");
    put_text(dir, "schema.json", SCHEMA_MIN);
    put_text(dir, "departments.jsonl", DEPTS_MIN);
    put_file(dir, "members.jsonl", sb.buf, sb.len);
    rs_diags *d = diags_new();
    assert_refused(dir, d, RS_E_SNAP_TOO_LARGE, 2);
    ck_assert_uint_eq(find_code(d, RS_E_SNAP_BAD_DATE)->line, 4);   /* line numbers survive the skip */
    free(d);
    rs_sb_free(&sb);
    remove_folder(dir);
}
END_TEST

/* Lines around the read buffer's sizes (it starts at 64 KiB and doubles while a line fills it),
 * after short lines so that a long one starts mid-buffer: every line arrives whole, in both forms.
 * A value may be up to 64 KiB, so the longer lines are padded: with spaces in JSON, with a column
 * outside the schema (ignored, with a warning) in CSV. */
START_TEST(long_lines_load_whole) {
    static const size_t lens[] = {10, 65536 - 60, 65536, 65536 + 7, 200000, 700000, RS_SNAP_MAX_LINE - 100};
    enum { N = sizeof lens / sizeof lens[0], VALUE_MAX = 60000 };
    const char *dir = tmp_folder();
    put_text(dir, "schema.json", "{\"fields\": [{\"name\": \"note\", \"type\": \"text\"}]}");
    put_text(dir, "departments.jsonl", DEPTS_MIN);
    char *want[N];
    rs_sb jsonl = {0}, csv = {0};
    rs_sb_puts(&csv, "id,department,note,pad\n");
    for (size_t i = 0; i < N; i++) {
        size_t vlen = lens[i] < VALUE_MAX ? lens[i] : VALUE_MAX;
        want[i] = rs_malloc(vlen + 1);
        for (size_t k = 0; k < vlen; k++) want[i][k] = (char)('a' + (i + k) % 26);
        want[i][vlen] = '\0';
        size_t at = jsonl.len;
        rs_sb_printf(&jsonl, "{\"id\": \"u%zu\", \"department\": [\"D0\"], \"note\": \"%s\"", i, want[i]);
        while (jsonl.len - at < lens[i]) rs_sb_putc(&jsonl, ' ');
        rs_sb_puts(&jsonl, "}\n");
        at = csv.len;
        rs_sb_printf(&csv, "u%zu,D0,%s,", i, want[i]);
        while (csv.len - at < lens[i]) rs_sb_putc(&csv, 'p');
        rs_sb_putc(&csv, '\n');
    }
    for (int form = 0; form < 2; form++) {
        put_file(dir, form ? "members.csv" : "members.jsonl", form ? csv.buf : jsonl.buf, form ? csv.len : jsonl.len);
        if (form) {   /* a folder with both forms reads the JSONL one */
            char path[256];
            snprintf(path, sizeof path, "%s/members.jsonl", dir);
            ck_assert_int_eq(unlink(path), 0);
        }
        rs_snapshot *s = load_ok(dir);
        for (size_t i = 0; i < N; i++) {
            char id[16];
            snprintf(id, sizeof id, "u%zu", i);
            assert_text(s, "note", id, want[i]);
        }
        rs_snapshot_free(s);
    }
    for (size_t i = 0; i < N; i++) free(want[i]);
    rs_sb_free(&jsonl);
    rs_sb_free(&csv);
    remove_folder(dir);
}
END_TEST

/* One members.csv (or .jsonl) text, expected to be refused with code at line. */
static const struct syntax_case {
    const char *file, *text;
    rs_code code;
    uint32_t line;
} syntax_cases[] = {
    {"members.csv", "id,department,id\nu1,D0,u1\n", RS_E_SNAP_SYNTAX, 1},
    {"members.csv", "id,,department\nu1,,D0\n", RS_E_SNAP_SYNTAX, 1},
    {"members.csv", "", RS_E_SNAP_SYNTAX, 1},
    {"members.csv", "id,department\nu1,D0\nu2,D0,extra\n", RS_E_SNAP_SYNTAX, 3},
    {"members.csv", "id,department\nu1,D0\nu2,\"D0\n\nu3,D0\n", RS_E_SNAP_SYNTAX, 3},
    {"members.csv", "id,department\nu1,D0\nu2,D\"0\n", RS_E_SNAP_SYNTAX, 3},
    {"members.csv", "id,department,name\nu1,D0,Ann\nu2,D0,a long name with a \"quote\" inside\n", RS_E_SNAP_SYNTAX, 3},
    {"members.csv", "id,department\nu1,D0\nu2,D\xC3\n", RS_E_SNAP_SYNTAX, 3},
    {"members.csv", "id,department,join_date\nu1,D0,\"2026-01-01\nu2\",D0\nu3,D0,2026-02-30\n", RS_E_SNAP_BAD_DATE, 4},
    {"members.csv", "id,department,join_date\nu1,D0,2026-01-01\n\n\nu2,D0,2026-02-30\n", RS_E_SNAP_BAD_DATE, 5},
    {"members.jsonl", "{\"id\": \"u1\", \"department\": [\"D0\"]}\n[1, 2]\n", RS_E_SNAP_SYNTAX, 2},
    {"members.jsonl", "{\"id\": \"u1\", \"id\": \"u2\", \"department\": [\"D0\"]}\n", RS_E_SNAP_SYNTAX, 1},
    {"members.jsonl", "{\"id\": 42, \"department\": [\"D0\"]}\n", RS_E_SNAP_WRONG_TYPE, 1},
    {"members.jsonl", "\n  \n{\"id\": \"u1\", \"department\": [[\"D0\"]]}\n", RS_E_SNAP_WRONG_TYPE, 3},
    {"members.jsonl", "{\"id\": \"u1\", \"department\": {\"a\": 1}}\n", RS_E_SNAP_WRONG_TYPE, 1},
    {"members.jsonl", "{\"id\": \"u1\", \"department\": [\"D0\"], \"join_date\": 20260101}\n", RS_E_SNAP_WRONG_TYPE, 1},
    {"members.jsonl", "{\"id\": \"u1\", \"department\": [\"D0\"], \"join_date\": \"2026-1-01\"}\n", RS_E_SNAP_BAD_DATE, 1},
    {"members.jsonl", "{\"id\": \"b\", \"department\": [\"D0\"]}\n{\"id\": \"a\", \"department\": [\"D0\"]}\n"
                      "{\"id\": \"B\", \"department\": [\"D0\"]}\n{\"id\": \"a\", \"department\": [\"D0\"]}\n", RS_E_SNAP_DUPLICATE_ID, 4},
    {"departments.jsonl", "{\"id\": \"D0\", \"parent\": null}\n{\"id\": \"D1\", \"parent\": \"D1\"}\n", RS_E_SNAP_CYCLE, 2},
    {"departments.jsonl", "{\"id\": \"D0\", \"parent\": null, \"name\": 5}\n", RS_E_SNAP_WRONG_TYPE, 1},
    {"departments.jsonl", "{\"id\": \"D0\", \"parent\": [\"x\"]}\n", RS_E_SNAP_WRONG_TYPE, 1},
    {"departments.jsonl", "{\"parent\": null}\n{\"id\": \"D0\", \"parent\": null}\n", RS_E_SNAP_MISSING_ID, 1},
    {"departments.csv", "id,parent,name\nD0,,Root\nD1,D0,\"One\"\nD1,D0,Dup\n", RS_E_SNAP_DUPLICATE_ID, 4},
    {"departments.csv", "id,parent,name\nD0,,Root\n\"D1\",\"D\"\"9\",Orphan\n", RS_E_SNAP_MISSING_PARENT, 3},
};

START_TEST(syntax_refused) {
    const struct syntax_case *c = &syntax_cases[_i];
    const char *dir = tmp_folder();
    put_text(dir, "schema.json", SCHEMA_MIN);
    if (strncmp(c->file, "departments", 11) != 0) put_text(dir, "departments.jsonl", DEPTS_MIN);
    else put_text(dir, "members.jsonl", "{\"id\": \"u1\", \"department\": [\"D0\"]}\n");
    put_text(dir, c->file, c->text);
    rs_diags *d = diags_new();
    assert_refused(dir, d, c->code, c->line);
    free(d);
    remove_folder(dir);
}
END_TEST

/* More than 32 values take the sorted path of the duplicate filter; order of first sight is kept. */
START_TEST(large_sets) {
    const char *dir = tmp_folder();
    put_text(dir, "schema.json", "{\"fields\": [{\"name\": \"tags\", \"type\": \"option\", \"multi\": true, "
                                 "\"options\": [\"a\", \"b\", \"c\"]}, {\"name\": \"n\", \"type\": \"number\", \"multi\": true}]}");
    put_text(dir, "departments.jsonl", DEPTS_MIN);
    rs_sb sb = {0};
    rs_sb_puts(&sb, "{\"id\": \"u1\", \"department\": [\"D0\"], \"tags\": [");
    for (int i = 0; i < 40; i++) rs_sb_printf(&sb, "%s\"%c\"", i ? ", " : "", "cCab"[i % 4]);
    rs_sb_puts(&sb, "], \"n\": [");
    for (int i = 0; i < 100; i++) rs_sb_printf(&sb, "%s%d", i ? ", " : "", (i * 7) % 13);
    rs_sb_puts(&sb, "]}\n");
    put_file(dir, "members.jsonl", sb.buf, sb.len);
    rs_snapshot *s = load_ok(dir);
    assert_multi(s, "tags", "u1", "2,0,1");
    assert_multi(s, "n", "u1", "0,7,1,8,2,9,3,10,4,11,5,12,6");
    rs_snapshot_free(s);
    /* beyond the limit of values in one field */
    rs_sb_clear(&sb);
    rs_sb_puts(&sb, "{\"id\": \"u1\", \"department\": [\"D0\"], \"n\": [0");
    for (unsigned i = 1; i <= RS_SNAP_MAX_MULTI; i++) rs_sb_printf(&sb, ", %u", i);
    rs_sb_puts(&sb, "]}\n");
    put_file(dir, "members.jsonl", sb.buf, sb.len);
    rs_diags *d = diags_new();
    assert_refused(dir, d, RS_E_SNAP_TOO_LARGE, 1);
    free(d);
    rs_sb_free(&sb);
    remove_folder(dir);
}
END_TEST

START_TEST(jsonl_preferred_over_csv) {
    const char *dir = tmp_folder();
    put_text(dir, "schema.json", SCHEMA_MIN);
    put_text(dir, "departments.jsonl", DEPTS_MIN);
    put_text(dir, "departments.csv", "id,parent\nX,\n");
    put_text(dir, "members.jsonl", "{\"id\": \"u1\", \"department\": [\"D0\"]}\n");
    put_text(dir, "members.csv", "this file is not read\n");
    rs_snapshot *s = load_ok(dir);
    ck_assert_uint_eq(s->nmembers, 1);
    ck_assert_uint_eq(s->depts.n, 1);
    rs_snapshot_free(s);
    remove_folder(dir);
}
END_TEST

START_TEST(empty_members_file) {
    const char *dir = tmp_folder();
    put_text(dir, "schema.json", SCHEMA_MIN);
    put_text(dir, "departments.csv", "id,parent,name\nD0,,Root\n");
    put_text(dir, "members.csv", "id,department,join_date\n");
    rs_snapshot *s = load_ok(dir);
    ck_assert_uint_eq(s->nmembers, 0);
    ck_assert_uint_eq(rs_snapshot_member(s, "u1", 2), RS_NONE);
    rs_snapshot_free(s);
    remove_folder(dir);
}
END_TEST

START_TEST(missing_path) {
    rs_diags *d = diags_new();
    ck_assert_ptr_null(rs_snapshot_load(SNAPS "no-such-folder", NULL, d));
    ck_assert_uint_eq(d->items[0].code, RS_E_SNAP_MISSING_FILE);
    free(d);
}
END_TEST

START_TEST(idset_callbacks) {
    rs_snapshot *s = load_ok(SNAPS "good");
    rs_idset ids;
    rs_snapshot_idset(s, &ids);
    ck_assert(ids.has_member(ids.ctx, "u9", 2));
    ck_assert(!ids.has_member(ids.ctx, "U9", 2));
    ck_assert(ids.has_department(ids.ctx, "D111", 4));
    ck_assert(!ids.has_department(ids.ctx, "D1111", 5));
    rs_snapshot_free(s);
}
END_TEST

START_TEST(bitmap_count) {
    uint64_t bm[3] = {0, 0, 0};
    ck_assert_uint_eq(rs_bm_count(bm, 150), 0);
    rs_bm_set(bm, 0);
    rs_bm_set(bm, 63);
    rs_bm_set(bm, 64);
    rs_bm_set(bm, 149);
    ck_assert_uint_eq(rs_bm_count(bm, 150), 4);
    ck_assert_uint_eq(rs_bm_count(bm, 149), 3);   /* bits past nbits are not counted */
    ck_assert_uint_eq(rs_bm_count(bm, 64), 2);
    rs_bm_clear(bm, 63);
    ck_assert_uint_eq(rs_bm_count(bm, 128), 2);
}
END_TEST

/* ---- the sorted index of string tables ---- */

static int cmp_ref(const void *pa, const void *pb, void *ctx) {
    const rs_strtab *t = ctx;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    size_t la, lb;
    const char *sa = rs_strtab_get(t, a, &la), *sb = rs_strtab_get(t, b, &lb);
    int c = rs_str_cmp(sa, la, sb, lb);
    return c ? c : (a > b) - (a < b);
}

/* A string made to trip a sort by seven-byte keys: few distinct bytes (zero and 0xFF among them),
 * lengths around multiples of seven, shared prefixes. */
static size_t tricky_string(uint32_t *seed, char *out) {
    static const char alphabet[] = {'\0', '\1', 'a', 'b', '\xFF'};
    *seed = *seed * 1103515245u + 12345u;
    uint32_t r = *seed >> 8;
    size_t len = r % 4 == 0 ? 7 * (r / 4 % 5) + (r / 20 % 3) : r % 23;
    if (r % 97 == 0) len = 150 + r % 60;   /* now and then a long one */
    for (size_t i = 0; i < len; i++) {
        *seed = *seed * 1103515245u + 12345u;
        uint32_t x = *seed >> 8;
        out[i] = x % 3 ? 'a' : alphabet[x / 3 % sizeof alphabet];   /* mostly 'a': long shared prefixes */
    }
    return len;
}

START_TEST(sorted_index_order) {
    static const uint32_t sizes[] = {0, 1, 2, 5, 31, 33, 200, 5000, 60000};
    uint32_t seed = 7 + (uint32_t)_i;
    char buf[256];
    for (size_t k = 0; k < RS_ARRAY_LEN(sizes); k++) {
        rs_strbuild b;
        rs_sbuild_init(&b, false);
        for (uint32_t i = 0; i < sizes[k]; i++) {
            if (i > 3 && seed % 5 == 0) {   /* a string seen before: ties keep table order */
                size_t len;
                const char *again = rs_sbuild_get(&b, seed % i, &len);
                memcpy(buf, again, len);
                rs_sbuild_add(&b, buf, len);
                seed = seed * 1103515245u + 12345u;
                continue;
            }
            rs_sbuild_add(&b, buf, tricky_string(&seed, buf));
        }
        rs_snap_owner *o = rs_calloc(1, sizeof *o);
        rs_strtab t;
        rs_sbuild_finish(&b, o, &t);
        uint32_t *want = rs_reallocarray(NULL, t.n ? t.n : 1, sizeof *want);
        for (uint32_t i = 0; i < t.n; i++) want[i] = i;
        qsort_r(want, t.n, sizeof *want, cmp_ref, &t);
        for (uint32_t i = 0; i < t.n; i++)
            ck_assert_msg(t.sorted[i] == want[i], "table of %u: position %u holds %u, not %u", t.n, i, t.sorted[i], want[i]);
        free(want);
        rs_owner_free(o);
    }
}
END_TEST

static Suite *snapshot_suite(void) {
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("folders");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, good_jsonl_values);
    tcase_add_test(tc, good_jsonl_multi);
    tcase_add_test(tc, main_department_is_first);
    tcase_add_test(tc, member_without_department);
    tcase_add_test(tc, personnel_forward_and_reverse);
    tcase_add_test(tc, departments_tree);
    tcase_add_test(tc, deep_department_chain);
    tcase_add_test(tc, random_department_forest);
    tcase_add_test(tc, csv_twin_loads_identically);
    tcase_add_test(tc, random_twins_load_identically);
    tcase_add_loop_test(tc, bad_folder_refused, 0, (int)RS_ARRAY_LEN(bad_cases));
    tcase_add_test(tc, prefilled_diags);
    tcase_add_test(tc, unknown_key_warns_once);
    tcase_add_test(tc, error_limit_stops_detail);
    tcase_add_test(tc, long_line_skipped_with_position);
    tcase_add_test(tc, long_lines_load_whole);
    tcase_add_loop_test(tc, syntax_refused, 0, (int)RS_ARRAY_LEN(syntax_cases));
    tcase_add_test(tc, large_sets);
    tcase_add_test(tc, jsonl_preferred_over_csv);
    tcase_add_test(tc, empty_members_file);
    tcase_add_test(tc, missing_path);
    tcase_add_test(tc, idset_callbacks);
    tcase_add_test(tc, bitmap_count);
    tcase_add_loop_test(tc, sorted_index_order, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(snapshot_suite)
