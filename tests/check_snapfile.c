/* check_snapfile.c: packed .snap files. Packing then loading gives back the folder's snapshot column
 * by column; a truncated or corrupt file is refused with E0614 and never read out of bounds (these
 * tests also run under AddressSanitizer and UndefinedBehaviorSanitizer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/strbuf.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/snapshot.h"
#include "runtime/snapshot_int.h"
#include "tests/testutil.h"

#define SNAPS RS_TEST_DATA "/snapshots/"

static char dir[64], snap_path[96], bad_path[96];

/* A memory file system when there is one: the corruption tests write thousands of small files. */
static void make_dir(void) {
    struct stat st;
    bool shm = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0;
    snprintf(dir, sizeof dir, "%s/roster-snapfile-XXXXXX", shm ? "/dev/shm" : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(snap_path, sizeof snap_path, "%s/org.snap", dir);
    snprintf(bad_path, sizeof bad_path, "%s/bad.snap", dir);
}

static void remove_dir(void) {
    static const char *const names[] = {"org.snap", "bad.snap", "schema.json", "departments.jsonl", "members.jsonl"};
    char path[128];
    for (size_t i = 0; i < RS_ARRAY_LEN(names); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    ck_assert_int_eq(rmdir(dir), 0);
}

static rs_diags *diags_new(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    return d;
}

static rs_snapshot *load_ok(const char *path) {
    rs_diags *d = diags_new();
    rs_snapshot *s = rs_snapshot_load(path, NULL, d);
    if (!s) {
        rs_sb out = {0};
        rs_diags_render_text(d, &out, false);
        fprintf(stderr, "%s", out.buf ? out.buf : "");
        rs_sb_free(&out);
    }
    ck_assert_ptr_nonnull(s);
    free(d);
    return s;
}

static void pack_ok(const rs_snapshot *s, const char *path) {
    rs_diags *d = diags_new();
    ck_assert_int_eq(rs_snapshot_pack(s, path, d), 0);
    ck_assert_uint_eq(d->n, 0);
    free(d);
}

/* ---- equality, column by column ---- */

static void same_bytes(const void *a, const void *b, size_t n, const char *what) {
    ck_assert_msg(n == 0 || memcmp(a, b, n) == 0, "%s differs", what);
}

static void same_strtab(const rs_strtab *a, const rs_strtab *b, const char *what) {
    ck_assert_msg(a->n == b->n, "%s: %u entries against %u", what, a->n, b->n);
    ck_assert_ptr_nonnull(a->off);
    ck_assert_ptr_nonnull(b->off);
    same_bytes(a->off, b->off, ((size_t)a->n + 1) * 4, what);
    same_bytes(a->bytes, b->bytes, a->off[a->n], what);
    same_bytes(a->sorted, b->sorted, (size_t)a->n * 4, what);
}

static void same_field(const rs_field *a, const rs_field *b) {
    ck_assert_str_eq(a->name, b->name);
    ck_assert_int_eq(a->type, b->type);
    ck_assert_int_eq(a->multi, b->multi);
    ck_assert_int_eq(a->derived, b->derived);
    ck_assert_uint_eq(a->noptions, b->noptions);
    for (size_t k = 0; k < a->noptions; k++) ck_assert_str_eq(a->options[k], b->options[k]);
}

static void same_column(const rs_column *a, const rs_column *b, uint32_t n) {
    const char *name = a->field->name;
    same_field(a->field, b->field);
    ck_assert_msg(a->nvalues == b->nvalues, "%s: value counts", name);
    same_bytes(a->empty, b->empty, rs_bm_words(n) * 8, name);
    ck_assert_int_eq(a->offsets == NULL, b->offsets == NULL);
    if (a->offsets) same_bytes(a->offsets, b->offsets, ((size_t)n + 1) * 4, name);
    ck_assert_int_eq(a->codes == NULL, b->codes == NULL);
    if (a->codes) same_bytes(a->codes, b->codes, (size_t)a->nvalues * 4, name);
    ck_assert_int_eq(a->nums == NULL, b->nums == NULL);
    if (a->nums) same_bytes(a->nums, b->nums, (size_t)a->nvalues * 8, name);
    ck_assert_int_eq(a->days == NULL, b->days == NULL);
    if (a->days) same_bytes(a->days, b->days, (size_t)a->nvalues * 4, name);
    if (a->field->type == RS_T_TEXT && a->codes) {   /* `id` has no values: member_ids holds them */
        same_strtab(&a->dict.raw, &b->dict.raw, name);
        same_strtab(&a->dict.folded, &b->dict.folded, name);
    }
    ck_assert_int_eq(a->rev_off == NULL, b->rev_off == NULL);
    if (a->rev_off) {
        same_bytes(a->rev_off, b->rev_off, ((size_t)n + 1) * 4, name);
        same_bytes(a->rev, b->rev, (size_t)a->rev_off[n] * 4, name);
    }
}

static void same_snapshot(const rs_snapshot *a, const rs_snapshot *b) {
    ck_assert_uint_eq(a->schema->nfields, b->schema->nfields);
    ck_assert_uint_eq(a->nmembers, b->nmembers);
    ck_assert_int_eq(a->name_field, b->name_field);
    ck_assert_int_eq(a->status_field, b->status_field);
    same_strtab(&a->member_ids, &b->member_ids, "member ids");
    const rs_departments *da = &a->depts, *db = &b->depts;
    ck_assert_uint_eq(da->n, db->n);
    same_strtab(&da->ids, &db->ids, "department ids");
    same_strtab(&da->names, &db->names, "department names");
    same_bytes(da->parent, db->parent, (size_t)da->n * 4, "parents");
    same_bytes(da->tin, db->tin, (size_t)da->n * 4, "tin");
    same_bytes(da->tout, db->tout, (size_t)da->n * 4, "tout");
    same_bytes(da->by_tin, db->by_tin, (size_t)da->n * 4, "by_tin");
    for (size_t i = 0; i < a->schema->nfields; i++) {
        ck_assert_ptr_eq(b->columns[i].field, &b->schema->fields[i]);
        same_column(&a->columns[i], &b->columns[i], a->nmembers);
    }
}

static bool inside(const void *p, const rs_snapshot *s) {
    const rs_snap_owner *o = s->owner;
    const char *base = o->map;
    return (const char *)p >= base && (const char *)p <= base + o->maplen;
}

static void round_trip(const char *folder) {
    make_dir();
    rs_snapshot *a = load_ok(folder);
    pack_ok(a, snap_path);
    rs_snapshot *b = load_ok(snap_path);
    same_snapshot(a, b);
    /* the loaded arrays are views into the mapping, not copies */
    ck_assert(inside(b->member_ids.off, b));
    ck_assert(inside(b->columns[0].empty, b));
    ck_assert(inside(b->depts.by_tin, b));
    /* packing what was loaded from a .snap gives the same file */
    char again[128];
    snprintf(again, sizeof again, "%s/bad.snap", dir);
    pack_ok(b, again);
    size_t la, lb;
    char *ta, *tb;
    ck_assert_int_eq(rs_read_file(snap_path, 1u << 30, &ta, &la), 0);
    ck_assert_int_eq(rs_read_file(again, 1u << 30, &tb, &lb), 0);
    ck_assert(la == lb && memcmp(ta, tb, la) == 0);
    free(ta);
    free(tb);
    rs_snapshot_free(a);
    rs_snapshot_free(b);
    remove_dir();
}

START_TEST(round_trip_good) { round_trip(SNAPS "good"); }
END_TEST

START_TEST(round_trip_csv) { round_trip(SNAPS "good-csv"); }
END_TEST

/* Members in no department keep their empty list, and an empty main department, through a .snap
 * file; packing what was loaded from it gives the same bytes (round_trip). */
START_TEST(round_trip_no_department) {
    round_trip(SNAPS "no-department");
    make_dir();
    rs_snapshot *a = load_ok(SNAPS "no-department");
    pack_ok(a, snap_path);
    rs_snapshot *b = load_ok(snap_path);
    int di = rs_schema_index(b->schema, "department"), mi = rs_schema_index(b->schema, "main_department");
    ck_assert(di >= 0 && mi >= 0);
    const rs_column *dep = &b->columns[di], *main = &b->columns[mi];
    uint32_t nowhere = 0;
    for (uint32_t m = 0; m < b->nmembers; m++) {
        bool none = dep->offsets[m] == dep->offsets[m + 1];
        ck_assert_int_eq(rs_bm_get(dep->empty, m), none);
        ck_assert_int_eq(rs_bm_get(main->empty, m), none);
        nowhere += none;
    }
    ck_assert_uint_eq(nowhere, 4);
    ck_assert(rs_bm_get(dep->empty, rs_snapshot_member(b, "u3", 2)));
    rs_snapshot_free(a);
    rs_snapshot_free(b);
    remove_dir();
}
END_TEST

static uint32_t seed;

static uint32_t rnd(uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) % n;
}

static void write_member(FILE *f, uint32_t i, uint32_t nmembers, uint32_t ndepts) {
    static const char *const words[] = {"Engineer", "engineer", "ENGINEER", "Manager", "Stra\xC3\x9F" "e", "\xC3\x89" "cole", ""};
    uint32_t d1 = rnd(ndepts), d2 = rnd(ndepts);
    fprintf(f, "{\"id\": \"m%u\", \"department\": [\"D%u\", \"D%u\"]", i, d1, d2);
    if (rnd(5)) fprintf(f, ", \"name\": \"Person %u\"", rnd(nmembers));
    const char *w1 = words[rnd(7)], *w2 = words[rnd(7)];
    fprintf(f, ", \"title\": [\"%s\", \"%s\"]", w1, w2);
    if (rnd(4)) fprintf(f, ", \"kind\": \"%c\"", "aBc"[rnd(3)]);
    char t1 = "xyzW"[rnd(4)], t2 = "XYZw"[rnd(4)];
    fprintf(f, ", \"tags\": [\"%c\", \"%c\"]", t1, t2);
    if (rnd(3)) {
        int whole = (int)rnd(2000) - 1000;
        fprintf(f, ", \"score\": %d.%u", whole, rnd(100));
    }
    uint32_t p1 = rnd(9), p2 = rnd(9);
    fprintf(f, ", \"points\": [%u, %u.5]", p1, p2);
    if (rnd(3)) {
        uint32_t y = rnd(100), m = 1 + rnd(9);
        fprintf(f, ", \"born\": \"19%02u-0%u-1%u\"", y, m, rnd(9));
    }
    fprintf(f, ", \"dates\": [\"2026-01-0%u\"]", 1 + rnd(9));
    if (rnd(6)) fprintf(f, ", \"boss\": \"m%u\"", rnd(nmembers));
    uint32_t q1 = rnd(nmembers), q2 = rnd(nmembers);
    fprintf(f, ", \"peers\": [\"m%u\", \"m%u\"]", q1, q2);
    if (rnd(2)) fprintf(f, ", \"site\": \"D%u\"", rnd(ndepts));
    if (rnd(2)) fprintf(f, ", \"ok\": %s", rnd(2) ? "true" : "false");
    fprintf(f, ", \"bits\": [%s]", rnd(2) ? "true, false" : "");
    fprintf(f, ", \"status\": \"%s\"}\n", rnd(9) ? "active" : "Frozen");
}

/* A larger organisation with every type, single and multi, empties and forward references. */
static void write_generated(uint32_t nmembers, uint32_t ndepts) {
    char path[128];
    snprintf(path, sizeof path, "%s/schema.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"fields\": [{\"name\": \"name\", \"type\": \"text\"}, {\"name\": \"title\", \"type\": \"text\", \"multi\": true},"
          " {\"name\": \"kind\", \"type\": \"option\", \"options\": [\"A\", \"B\", \"C\"]},"
          " {\"name\": \"tags\", \"type\": \"option\", \"multi\": true, \"options\": [\"x\", \"y\", \"z\", \"w\"]},"
          " {\"name\": \"score\", \"type\": \"number\"}, {\"name\": \"points\", \"type\": \"number\", \"multi\": true},"
          " {\"name\": \"born\", \"type\": \"date\"}, {\"name\": \"dates\", \"type\": \"date\", \"multi\": true},"
          " {\"name\": \"boss\", \"type\": \"personnel\"}, {\"name\": \"peers\", \"type\": \"personnel\", \"multi\": true},"
          " {\"name\": \"site\", \"type\": \"department\"}, {\"name\": \"ok\", \"type\": \"bool\"},"
          " {\"name\": \"bits\", \"type\": \"bool\", \"multi\": true},"
          " {\"name\": \"status\", \"type\": \"option\", \"options\": [\"active\", \"frozen\"]}]}\n", f);
    fclose(f);
    seed = 7;
    snprintf(path, sizeof path, "%s/departments.jsonl", dir);
    f = fopen(path, "w");
    fprintf(f, "{\"id\": \"D0\", \"parent\": null, \"name\": \"Root\"}\n");
    for (uint32_t i = 1; i < ndepts; i++) fprintf(f, "{\"id\": \"D%u\", \"parent\": \"D%u\", \"name\": \"Dept %u\"}\n", i, rnd(i), i % 7);
    fclose(f);
    snprintf(path, sizeof path, "%s/members.jsonl", dir);
    f = fopen(path, "w");
    for (uint32_t i = 0; i < nmembers; i++) write_member(f, i, nmembers, ndepts);
    fclose(f);
}

START_TEST(round_trip_generated) {
    make_dir();
    write_generated(3000, 120);
    rs_snapshot *a = load_ok(dir);
    ck_assert_uint_eq(a->nmembers, 3000);
    pack_ok(a, snap_path);
    rs_snapshot *b = load_ok(snap_path);
    same_snapshot(a, b);
    rs_snapshot_free(a);
    rs_snapshot_free(b);
    remove_dir();
}
END_TEST

/* ---- corrupt files ---- */

static char *snap_bytes;
static size_t snap_len;

/* Packs the good snapshot and keeps its bytes for the corruption tests. */
static void setup_bytes(void) {
    make_dir();
    rs_snapshot *s = load_ok(SNAPS "good");
    pack_ok(s, snap_path);
    rs_snapshot_free(s);
    ck_assert_int_eq(rs_read_file(snap_path, 1u << 30, &snap_bytes, &snap_len), 0);
}

static void teardown_bytes(void) {
    free(snap_bytes);
    snap_bytes = NULL;
    remove_dir();
}

static void write_bad(const void *bytes, size_t len) {
    FILE *f = fopen(bad_path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

/* Loads bad.snap expecting E0614 whose message holds needle (NULL: any). */
static void assert_corrupt(const char *needle) {
    rs_diags *d = diags_new();
    rs_snapshot *s = rs_snapshot_load(bad_path, NULL, d);
    ck_assert_ptr_null(s);
    ck_assert_uint_eq(d->n, 1);
    ck_assert_int_eq(d->items[0].code, RS_E_SNAP_CORRUPT);
    if (needle) ck_assert_msg(strstr(d->items[0].message, needle), "message '%s'", d->items[0].message);
    free(d);
}

/* Loads bad.snap expecting either a snapshot or E0614, nothing else. */
static void assert_loads_or_corrupt(void) {
    rs_diags *d = diags_new();
    rs_snapshot *s = rs_snapshot_load(bad_path, NULL, d);
    if (!s) ck_assert_int_eq(d->items[0].code, RS_E_SNAP_CORRUPT);
    rs_snapshot_free(s);
    free(d);
}

static rs_snap_header *header(char *bytes) { return (rs_snap_header *)(void *)bytes; }
static rs_snap_section *table(char *bytes) { return (rs_snap_section *)(void *)(bytes + sizeof(rs_snap_header)); }

static void reseal(char *bytes) {
    rs_snap_header *h = header(bytes);
    rs_snap_section *t = table(bytes);
    h->checksum = rs_snap_checksum(h, t, h->nsections * sizeof *t, bytes + t[0].offset, t[0].count);
}

START_TEST(loads_untouched) {
    write_bad(snap_bytes, snap_len);
    rs_snapshot_free(load_ok(bad_path));
}
END_TEST

START_TEST(truncated_everywhere) {
    /* every length through the header, table and schema, then every few bytes of the data */
    size_t dense = table(snap_bytes)[0].offset + table(snap_bytes)[0].count;
    for (size_t len = 0; len < snap_len; len += len < dense ? 1 : 5) {
        write_bad(snap_bytes, len);
        assert_corrupt(len < 64 ? "shorter than the 64-byte header" : "truncated");
    }
    char *longer = rs_malloc(snap_len + 8);
    memcpy(longer, snap_bytes, snap_len);
    memset(longer + snap_len, 0, 8);
    write_bad(longer, snap_len + 8);
    assert_corrupt("extended");
    free(longer);
}
END_TEST

START_TEST(header_and_table_flips) {
    size_t covered = sizeof(rs_snap_header) + header(snap_bytes)->nsections * sizeof(rs_snap_section);
    char *copy = rs_malloc(snap_len);
    for (size_t i = 0; i < covered; i++) {
        memcpy(copy, snap_bytes, snap_len);
        copy[i] = (char)(copy[i] ^ (1 << (i * 5 % 8)));   /* one bit per byte, each bit position in turn */
        write_bad(copy, snap_len);
        assert_corrupt(NULL);
    }
    /* the schema section is covered by the checksum too */
    const rs_snap_section *schema = &table(snap_bytes)[0];
    for (size_t i = 0; i < schema->count; i++) {
        memcpy(copy, snap_bytes, snap_len);
        copy[schema->offset + i] ^= 0x20;
        write_bad(copy, snap_len);
        assert_corrupt("checksum");
    }
    free(copy);
}
END_TEST

/* Header fields changed and resealed, so that the checksum passes and the field check must act. */
/* Found by fuzz_snapfile: a single-valued column without any value, yet a member marked non-empty,
 * made the VM index past its per-value tables. It is refused at load now. */
START_TEST(valueless_column_with_a_value) {
    rs_diags *d = diags_new();
    rs_snapshot *s = rs_snapshot_load("tests/data/snapfile/empty-dict-code.snap", NULL, d);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(d->items[0].code, RS_E_SNAP_CORRUPT);
    ck_assert_msg(strstr(d->items[0].message, "has no values"), "message '%s'", d->items[0].message);
    free(d);
}
END_TEST

START_TEST(resealed_header_checks) {
    char *copy = rs_malloc(snap_len);
    memcpy(copy, snap_bytes, snap_len);
    header(copy)->version = RS_SNAP_VERSION + 1;
    reseal(copy);
    write_bad(copy, snap_len);
    assert_corrupt("format version 3");

    memcpy(copy, snap_bytes, snap_len);
    header(copy)->byte_order = 0x04030201u;
    reseal(copy);
    write_bad(copy, snap_len);
    assert_corrupt("byte order");

    memcpy(copy, snap_bytes, snap_len);
    header(copy)->nmembers += 1;
    reseal(copy);
    write_bad(copy, snap_len);
    assert_corrupt("disagrees");

    memcpy(copy, snap_bytes, snap_len);
    header(copy)->nsections -= 1;
    reseal(copy);
    write_bad(copy, snap_len);
    assert_corrupt("sections where the schema implies");

    memcpy(copy, snap_bytes, snap_len);
    header(copy)->status_field = -1;
    reseal(copy);
    write_bad(copy, snap_len);
    assert_corrupt("status field");

    memcpy(copy, snap_bytes, 8);
    memcpy(copy, "PK\3\4....", 8);
    write_bad(copy, snap_len);
    assert_corrupt("no magic number");
    free(copy);
}
END_TEST

/* Section i moved or resized, resealed. */
static void section_edit(uint32_t i, uint64_t offset_delta, uint64_t count_delta, const char *needle) {
    char *copy = rs_malloc(snap_len);
    memcpy(copy, snap_bytes, snap_len);
    table(copy)[i].offset += offset_delta;
    table(copy)[i].count += count_delta;
    reseal(copy);
    write_bad(copy, snap_len);
    assert_corrupt(needle);
    free(copy);
}

START_TEST(resealed_section_checks) {
    uint32_t n = header(snap_bytes)->nsections;
    for (uint32_t i = 1; i < n; i++) {
        section_edit(i, 4, 0, "misaligned or lies outside");
        section_edit(i, snap_len, 0, "misaligned or lies outside");
        section_edit(i, (uint64_t)0 - table(snap_bytes)[i].offset, 0, "misaligned or lies outside");
        section_edit(i, 0, snap_len, "");
        section_edit(i, 0, (uint64_t)1 << 62, "");
    }
    char *copy = rs_malloc(snap_len);
    memcpy(copy, snap_bytes, snap_len);
    table(copy)[3].tag = SEC_DEPT_TIN;
    reseal(copy);
    write_bad(copy, snap_len);
    assert_corrupt("not the one the schema implies");
    free(copy);
}
END_TEST

/* The first section of `tag` (for per-column sections, of the named field's column). */
static rs_snap_section *find_section(char *bytes, rs_sectag tag, const char *field, const rs_snapshot *s) {
    uint32_t column = field ? (uint32_t)rs_schema_index(s->schema, field) : 0;
    rs_snap_section *t = table(bytes);
    for (uint32_t i = 0; i < header(bytes)->nsections; i++)
        if (t[i].tag == tag && (!field || t[i].column == column)) return &t[i];
    ck_abort_msg("no section %d for %s", tag, field ? field : "-");
    return NULL;
}

/* Data changes are not covered by the checksum: the linear verification must catch each. */
static const struct data_case {
    rs_sectag tag;
    const char *field;
    uint32_t index;
    int64_t value;             /* >= 0: written; -1: members; -2: departments; -3: the next entry + 1 */
    const char *needle;
} data_cases[] = {
    {SEC_COL_CODES, "employee_type", 0, 3, "value code out of range"},
    {SEC_COL_CODES, "skills", 1, 77, "value code out of range"},
    {SEC_COL_CODES, "job_title", 2, 1000, "value code out of range"},
    {SEC_COL_CODES, "is_manager", 0, 2, "value code out of range"},
    {SEC_COL_CODES, "flags", 0, 2, "value code out of range"},
    {SEC_COL_CODES, "leader", 0, -1, "value code out of range"},
    {SEC_COL_CODES, "mentors", 0, -1, "value code out of range"},
    {SEC_COL_CODES, "department", 0, -2, "value code out of range"},
    {SEC_COL_CODES, "main_department", 4, -2, "value code out of range"},
    {SEC_COL_CODES, "cost_center", 0, 0xFFFFFFFF, "value code out of range"},
    {SEC_COL_OFFSETS, "department", 1, -3, "value offsets out of order"},
    {SEC_COL_OFFSETS, "skills", 0, 1, "value offsets out of order"},
    {SEC_COL_EMPTY, "name", 0, 0xFFFFFFFF, "bits past the last member"},
    {SEC_MEMBER_OFF, NULL, 1, -3, "string offsets out of order"},
    {SEC_MEMBER_OFF, NULL, 0, 1, "string offsets out of order"},
    {SEC_MEMBER_SORTED, NULL, 2, -1, "sorted index out of range"},
    {SEC_DEPT_ID_SORTED, NULL, 0, -2, "sorted index out of range"},
    {SEC_DEPT_NAME_OFF, NULL, 2, -3, "string offsets out of order"},
    {SEC_DICT_RAW_OFF, "job_title", 1, -3, "string offsets out of order"},
    {SEC_DICT_FOLD_SORTED, "name", 0, 0xFFFFFF, "sorted index out of range"},
    {SEC_DEPT_PARENT, NULL, 0, -2, "department parent out of range"},
    {SEC_DEPT_PARENT, NULL, 1, 0, "department tour"},   /* the root made its child's child */
    {SEC_DEPT_TIN, NULL, 0, 1, "department tour inconsistent"},
    {SEC_DEPT_TIN, NULL, 0, -2, "department tour out of range"},
    {SEC_DEPT_TOUT, NULL, 0, 0, "department tour inconsistent"},
    {SEC_DEPT_TOUT, NULL, 2, -2, "department"},
    {SEC_DEPT_BY_TIN, NULL, 0, 0, "department tour inconsistent"},   /* position 0 holds D0 (1) */
    {SEC_REV, "leader", 0, -1, "reverse edge out of range"},
    {SEC_REV_OFF, "mentors", 1, -3, "reverse offsets out of order"},
};

START_TEST(data_out_of_range) {
    const struct data_case *c = &data_cases[_i];
    rs_snapshot *s = load_ok(snap_path);
    char *copy = rs_malloc(snap_len);
    memcpy(copy, snap_bytes, snap_len);
    rs_snap_section *sec = find_section(copy, c->tag, c->field, s);
    ck_assert_uint_lt(c->index, sec->count);
    uint32_t v;
    if (c->value == -1) v = s->nmembers;
    else if (c->value == -2) v = s->depts.n;
    else if (c->value == -3) v = *(uint32_t *)(void *)(copy + sec->offset + 4 * (c->index + 1)) + 1;
    else v = (uint32_t)c->value;
    if (sec->elem_size == 8) {
        uint64_t w = v;
        if (c->tag == SEC_COL_EMPTY) w = (uint64_t)v << 32;   /* bits 32..63: past the 9 members */
        memcpy(copy + sec->offset + 8 * c->index, &w, 8);
    } else {
        memcpy(copy + sec->offset + 4 * c->index, &v, 4);
    }
    write_bad(copy, snap_len);
    assert_corrupt(c->needle);
    free(copy);
    rs_snapshot_free(s);
}
END_TEST

START_TEST(random_data_flips) {
    size_t data_start = table(snap_bytes)[0].offset;
    char *copy = rs_malloc(snap_len);
    seed = 99;
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, snap_bytes, snap_len);
        for (int k = 0; k < 1 + round % 4; k++) {
            size_t at = data_start + rnd((uint32_t)(snap_len - data_start));
            copy[at] = (char)(copy[at] ^ (1 << rnd(8)));
        }
        write_bad(copy, snap_len);
        assert_loads_or_corrupt();
    }
    free(copy);
}
END_TEST

/* ---- writing ---- */

START_TEST(pack_fails_cleanly) {
    rs_snapshot *s = load_ok(SNAPS "good");
    rs_diags *d = diags_new();
    ck_assert_int_eq(rs_snapshot_pack(s, "/tmp/roster-no-such-folder/x/org.snap", d), -1);
    ck_assert_int_eq(d->items[0].code, RS_E_IO);
    free(d);
    rs_snapshot_free(s);
}
END_TEST

START_TEST(repack_keeps_old_mapping) {
    /* a new pack replaces the file by rename: a snapshot mapped from the old file stays intact */
    make_dir();
    rs_snapshot *good = load_ok(SNAPS "good");
    pack_ok(good, snap_path);
    rs_snapshot *mapped = load_ok(snap_path);
    write_generated(50, 5);
    rs_snapshot *other = load_ok(dir);
    pack_ok(other, snap_path);
    same_snapshot(good, mapped);
    rs_snapshot *fresh = load_ok(snap_path);
    ck_assert_uint_eq(fresh->nmembers, 50);
    struct stat st;
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", snap_path, (long)getpid());
    ck_assert_int_ne(stat(tmp, &st), 0);   /* no temporary file left behind */
    rs_snapshot_free(good);
    rs_snapshot_free(mapped);
    rs_snapshot_free(other);
    rs_snapshot_free(fresh);
    remove_dir();
}
END_TEST

START_TEST(not_a_regular_file) {
    rs_diags *d = diags_new();
    ck_assert_ptr_null(rs_snapshot_load("/dev/null", NULL, d));
    ck_assert_int_eq(d->items[0].code, RS_E_SNAP_CORRUPT);
    free(d);
}
END_TEST

static Suite *snapfile_suite(void) {
    Suite *s = suite_create("snapfile");
    TCase *rt = tcase_create("round trip");
    tcase_set_timeout(rt, 120);
    tcase_add_test(rt, round_trip_good);
    tcase_add_test(rt, round_trip_csv);
    tcase_add_test(rt, round_trip_no_department);
    tcase_add_test(rt, round_trip_generated);
    tcase_add_test(rt, pack_fails_cleanly);
    tcase_add_test(rt, repack_keeps_old_mapping);
    tcase_add_test(rt, not_a_regular_file);
    suite_add_tcase(s, rt);
    TCase *bad = tcase_create("corrupt");
    tcase_set_timeout(bad, 300);
    tcase_add_unchecked_fixture(bad, setup_bytes, teardown_bytes);   /* one pack for every test */
    tcase_add_test(bad, loads_untouched);
    tcase_add_test(bad, truncated_everywhere);
    tcase_add_test(bad, header_and_table_flips);
    tcase_add_test(bad, resealed_header_checks);
    tcase_add_test(bad, valueless_column_with_a_value);
    tcase_add_test(bad, resealed_section_checks);
    tcase_add_loop_test(bad, data_out_of_range, 0, (int)RS_ARRAY_LEN(data_cases));
    tcase_add_test(bad, random_data_flips);
    suite_add_tcase(s, bad);
    return s;
}

RS_TEST_MAIN(snapfile_suite)
