/* check_state.c: the state database (creation, schema version, store and reload, atomic replace,
 * a crash inside a transaction, blob formats) and recalculations over it (skipping unchanged
 * groups, `today`, groups whose rule is gone, --prune). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/parallel.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/check.h"
#include "compiler/compile.h"
#include "grammar/grammar.h"
#include "runtime/bitmap.h"
#include "runtime/recalc.h"
#include "runtime/db.h"
#include "runtime/state.h"
#define RS_TEST_SCRATCH
#include "tests/testutil.h"

/* ---- helpers ---- */

static void make_tmpdir(void) { rs_test_tmp_begin("state"); }
static void remove_tmpdir(void) { rs_test_tmp_end(); }
static char *tmp_path(const char *name) { return rs_test_tmp_path(name); }

static rs_diags *new_diags(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    return d;
}

static bool has_code(const rs_diags *d, rs_code code, const char *fragment) {
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].code == code && strstr(d->items[i].message, fragment)) return true;
    return false;
}

static void sql(const char *path, const char *stmt) {
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(db, stmt, NULL, NULL, &err);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", stmt, err ? err : "");
    sqlite3_close(db);
}

static int64_t sql_int(const char *path, const char *stmt) {
    sqlite3 *db;
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, stmt, -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* The first column of the first row, as text (static buffer). */
static const char *sql_text(const char *path, const char *stmt) {
    static char buf[64];
    sqlite3 *db;
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, stmt, -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return buf;
}

/* A universe over ids given in order (they must be sorted), backed by one allocation. */
typedef struct ids {
    rs_strtab tab;
    uint32_t *off;
    char *bytes;
    rs_universe u;
} ids;

static void ids_init(ids *t, const char *const *list, uint32_t n) {
    t->off = rs_malloc(((size_t)n + 1) * sizeof *t->off);
    rs_sb b = {0};
    for (uint32_t i = 0; i < n; i++) {
        t->off[i] = (uint32_t)b.len;
        rs_sb_puts(&b, list[i]);
    }
    t->off[n] = (uint32_t)b.len;
    t->bytes = rs_sb_take(&b);
    t->tab = (rs_strtab){.n = n, .off = t->off, .bytes = t->bytes};
    t->u = (rs_universe){.tab = &t->tab, .order = NULL, .n = n};
}

/* n generated ids "m0000000".. in order. */
static void ids_generate(ids *t, uint32_t n) {
    t->off = rs_malloc(((size_t)n + 1) * sizeof *t->off);
    t->bytes = rs_malloc((size_t)n * 8 + 1);
    for (uint32_t i = 0; i < n; i++) {
        t->off[i] = i * 8;
        char buf[16];
        snprintf(buf, sizeof buf, "m%07u", i);
        memcpy(t->bytes + (size_t)i * 8, buf, 8);
    }
    t->off[n] = n * 8;
    t->tab = (rs_strtab){.n = n, .off = t->off, .bytes = t->bytes};
    t->u = (rs_universe){.tab = &t->tab, .order = NULL, .n = n};
}

static void ids_free(ids *t) {
    free(t->off);
    free(t->bytes);
}

static uint64_t *bits_every(uint32_t n, uint32_t step, uint32_t first) {
    uint64_t *bm = rs_calloc(rs_bm_words(n) + 1, sizeof *bm);
    for (uint32_t i = first; i < n; i += step) rs_bm_set(bm, i);
    return bm;
}

static int64_t put_universe(rs_state *st, const rs_universe *u) {
    rs_sb blob = {0};
    rs_state_encode_universe(u, &blob);
    rs_hash h;
    rs_hash_init(&h, 0);
    rs_hash_bytes(&h, blob.buf ? blob.buf : "", blob.len);
    int64_t id = 0;
    ck_assert_int_eq(rs_state_put_universe(st, &blob, rs_hash_final(&h), u->n, &id), 0);
    rs_sb_free(&blob);
    return id;
}

static void put_group(rs_state *st, const char *id, int64_t universe, const uint64_t *bits, uint32_t n,
                      uint64_t rule_hash) {
    rs_sgroup g = {.id = (char *)(uintptr_t)id, .name = (char *)(uintptr_t)"Group", .source_hash = 0xDEADBEEF,
                   .rule_hash = rule_hash, .snapshot_fp = 0x8000000000000001ull, .today = RS_NO_TODAY,
                   .universe = universe};
    ck_assert_int_eq(rs_state_put_group(st, &g, bits, n), 0);
}

/* Opens path for reading and returns group id's membership over its universe as "a,b,c". */
static char *stored_members(const char *path, const char *group) {
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_READ, d), 0);
    ck_assert_ptr_nonnull(st);
    rs_sgroups gs;
    ck_assert_int_eq(rs_state_groups(st, &gs), 0);
    const rs_sgroup *g = rs_sgroups_find(&gs, group);
    ck_assert_ptr_nonnull(g);
    rs_suniverse *su;
    uint64_t *bits;
    ck_assert_int_eq(rs_state_universe(st, g->universe, &su), 0);
    ck_assert_int_eq(rs_state_members(st, g, su->u.n, &bits), 0);
    rs_sb out = {0};
    for (uint32_t j = 0; j < su->u.n; j++) {
        if (!rs_bm_get(bits, j)) continue;
        size_t len;
        const char *id = rs_universe_id(&su->u, j, &len);
        if (out.len) rs_sb_putc(&out, ',');
        rs_sb_put(&out, id, len);
    }
    free(bits);
    rs_suniverse_free(su);
    rs_sgroups_free(&gs);
    rs_state_close(st);
    free(d);
    return rs_sb_take(&out);
}

static void assert_members(const char *path, const char *group, const char *want) {
    char *got = stored_members(path, group);
    ck_assert_str_eq(got, want);
    free(got);
}

static const char *const abc_ids[] = {"u1", "u10", "u2", "u3"};

/* A database holding group "g" = {u1, u2} over universe abc_ids. */
static void store_v1(const char *path) {
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_WRITE, d), 0);
    ids t;
    ids_init(&t, abc_ids, 4);
    ck_assert_int_eq(rs_state_begin(st), 0);
    int64_t u = put_universe(st, &t.u);
    uint64_t bits = (1u << 0) | (1u << 2);
    put_group(st, "g", u, &bits, 4, 1);
    ck_assert_int_eq(rs_state_commit(st), 0);
    rs_state_close(st);
    ids_free(&t);
    ck_assert_uint_eq(d->nerrors, 0);
    free(d);
}

/* ---- the database ---- */

START_TEST(create_with_schema_version) {
    make_tmpdir();
    char *path = tmp_path("new.db");
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_WRITE, d), 0);
    ck_assert_ptr_nonnull(st);
    rs_state_close(st);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);   /* memberships are for the owner only */
    ck_assert_int_eq(sql_int(path, "SELECT version FROM components WHERE name = 'membership'"), RS_STATE_VERSION);
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                   "name IN ('groups', 'universes', 'runs')"), 3);
    ck_assert_str_eq(sql_text(path, "PRAGMA journal_mode"), "wal");
    /* Opening again neither fails nor adds a second version row. */
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_WRITE, d), 0);
    rs_state_close(st);
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM components"), 1);
    ck_assert_uint_eq(d->nerrors, 0);
    free(d);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(read_only_never_creates) {
    make_tmpdir();
    char *path = tmp_path("missing.db");
    rs_diags *d = new_diags();
    rs_state *st = (rs_state *)1;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_READ, d), 0);
    ck_assert_ptr_null(st);
    struct stat sb;
    ck_assert_int_ne(stat(path, &sb), 0);
    /* An empty file (say, touched by hand) holds nothing either, and stays empty. */
    fclose(fopen(path, "w"));
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_READ, d), 0);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_size, 0);
    ck_assert_uint_eq(d->nerrors, 0);
    free(d);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(refuses_newer_or_foreign_database) {
    make_tmpdir();
    char *newer = tmp_path("newer.db"), *foreign = tmp_path("foreign.db");
    sql(newer, "CREATE TABLE components (name TEXT PRIMARY KEY, version INTEGER NOT NULL); "
               "INSERT INTO components VALUES ('membership', 99)");
    sql(foreign, "CREATE TABLE contacts (name TEXT)");
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, newer, RS_STATE_WRITE, d), -1);
    ck_assert(has_code(d, RS_E_STATE_DB, "membership tables are at version 99, newer than this roster's (1)"));
    ck_assert_int_eq(rs_state_open(&st, newer, RS_STATE_READ, d), -1);
    ck_assert_int_eq(rs_state_open(&st, foreign, RS_STATE_WRITE, d), -1);
    ck_assert(has_code(d, RS_E_STATE_DB, "not a roster state database"));
    /* A foreign database is left as it was: not even switched to WAL. */
    ck_assert_int_eq(sql_int(foreign, "SELECT count(*) FROM sqlite_master"), 1);
    ck_assert_str_eq(sql_text(foreign, "PRAGMA journal_mode"), "delete");
    free(d);
    free(newer);
    free(foreign);
    remove_tmpdir();
}
END_TEST

START_TEST(store_and_reload) {
    make_tmpdir();
    char *path = tmp_path("state.db");
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_WRITE, d), 0);
    ids t;
    ids_init(&t, abc_ids, 4);
    ck_assert_int_eq(rs_state_begin(st), 0);
    int64_t u = put_universe(st, &t.u);
    uint64_t some = (1u << 1) | (1u << 3), none = 0;
    put_group(st, "zeta", u, &some, 4, 0xFFFFFFFFFFFFFFFFull);
    put_group(st, "alpha", u, &none, 4, 42);
    rs_sgroup today = {.id = (char *)(uintptr_t)"mid", .name = (char *)(uintptr_t)"Mid", .today = 20778,
                       .universe = u};
    ck_assert_int_eq(rs_state_put_group(st, &today, &some, 4), 0);
    rs_srun run = {.as_of = 20778, .groups = 3, .groups_evaluated = 3, .adds = 4};
    ck_assert_int_eq(rs_state_add_run(st, &run), 0);
    ck_assert_int_eq(rs_state_commit(st), 0);
    rs_state_close(st);

    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_READ, d), 0);
    rs_sgroups gs;
    ck_assert_int_eq(rs_state_groups(st, &gs), 0);
    ck_assert_uint_eq(gs.n, 3);
    ck_assert_str_eq(gs.items[0].id, "alpha");   /* sorted by id */
    ck_assert_str_eq(gs.items[1].id, "mid");
    ck_assert_str_eq(gs.items[2].id, "zeta");
    const rs_sgroup *z = rs_sgroups_find(&gs, "zeta");
    ck_assert_ptr_eq(z, &gs.items[2]);
    ck_assert_ptr_null(rs_sgroups_find(&gs, "beta"));
    ck_assert_str_eq(z->name, "Group");
    ck_assert_uint_eq(z->source_hash, 0xDEADBEEF);
    ck_assert(z->rule_hash == 0xFFFFFFFFFFFFFFFFull);          /* all 64 bits survive */
    ck_assert(z->snapshot_fp == 0x8000000000000001ull);
    ck_assert_int_eq(z->today, RS_NO_TODAY);
    ck_assert_int_eq(gs.items[1].today, 20778);
    ck_assert_uint_eq(z->count, 2);
    ck_assert_uint_eq(gs.items[0].count, 0);
    rs_sgroups_free(&gs);
    rs_state_close(st);
    assert_members(path, "zeta", "u10,u3");
    assert_members(path, "alpha", "");
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM runs"), 1);
    ck_assert_uint_eq(d->nerrors, 0);
    ids_free(&t);
    free(d);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(universes_shared_and_collected) {
    make_tmpdir();
    char *path = tmp_path("state.db");
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_WRITE, d), 0);
    static const char *const other_ids[] = {"u1", "u2"};
    ids a, b;
    ids_init(&a, abc_ids, 4);
    ids_init(&b, other_ids, 2);
    ck_assert_int_eq(rs_state_begin(st), 0);
    int64_t ua = put_universe(st, &a.u), ua2 = put_universe(st, &a.u), ub = put_universe(st, &b.u);
    ck_assert_int_eq(ua, ua2);   /* identical id lists are stored once */
    ck_assert_int_ne(ua, ub);
    uint64_t bits = 1;
    put_group(st, "g", ub, &bits, 2, 1);
    ck_assert_int_eq(rs_state_commit(st), 0);   /* ua is referenced by no group: dropped */
    rs_state_close(st);
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM universes"), 1);
    ck_assert_int_eq(sql_int(path, "SELECT id FROM universes"), ub);
    ids_free(&a);
    ids_free(&b);
    free(d);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(rollback_and_close_keep_previous) {
    make_tmpdir();
    char *path = tmp_path("state.db");
    store_v1(path);
    rs_diags *d = new_diags();
    ids t;
    ids_init(&t, abc_ids, 4);
    for (int how = 0; how < 2; how++) {
        rs_state *st;
        ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_WRITE, d), 0);
        ck_assert_int_eq(rs_state_begin(st), 0);
        int64_t u = put_universe(st, &t.u);
        uint64_t bits = 0xF;
        put_group(st, "g", u, &bits, 4, 2);
        ck_assert_int_eq(rs_state_delete_group(st, "g"), 0);
        put_group(st, "h", u, &bits, 4, 2);
        if (how == 0) rs_state_rollback(st);   /* explicitly, then closing without a commit */
        rs_state_close(st);
        assert_members(path, "g", "u1,u2");
        ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM groups"), 1);
    }
    ids_free(&t);
    free(d);
    free(path);
    remove_tmpdir();
}
END_TEST

static char *file_bytes(const char *path, size_t *len) {
    char *buf;
    ck_assert_int_eq(rs_read_file(path, SIZE_MAX, &buf, len), 0);
    return buf;
}

/* The child's half of the crash tests: a transaction larger than SQLite's page cache, so pages
 * reach the disk before the commit, then an exit without commit or close, as if killed. */
static void write_big_and_die(const char *path) {
    rs_diags *d = new_diags();
    rs_state *st;
    ids big;
    ids_generate(&big, 400000);
    if (rs_state_open(&st, path, RS_STATE_WRITE, d) != 0 || rs_state_begin(st) != 0) _exit(3);
    int64_t u = put_universe(st, &big.u);
    for (int g = 0; g < 30; g++) {
        char name[16];
        snprintf(name, sizeof name, "big%02d", g);
        uint64_t *bits = bits_every(400000, (uint32_t)g + 2, 0);
        put_group(st, name, u, bits, 400000, 3);
        free(bits);
    }
    uint64_t *bits = bits_every(400000, 1, 0);
    put_group(st, "g", u, bits, 400000, 3);
    _exit(0);
}

static void run_and_die(const char *path, void (*child)(const char *)) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) child(path);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A reader opens the database after a crash without an error and finds the stored groups. */
static void reader_opens_cleanly(const char *path) {
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_READ, d), 0);
    ck_assert_ptr_nonnull(st);
    ck_assert_uint_eq(d->nerrors, 0);
    rs_state_close(st);
    free(d);
}

/* A process that dies inside the transaction leaves frames in the WAL without a commit record
 * (the transaction outgrew the page cache, so they reached the disk) and the database file as it
 * was; the next reader ignores those frames and finds the previous membership. */
START_TEST(crash_inside_transaction_keeps_previous) {
    make_tmpdir();
    char *path = tmp_path("state.db"), *wal = tmp_path("state.db-wal");
    store_v1(path);
    size_t len_before, len_after;
    char *before = file_bytes(path, &len_before);
    run_and_die(path, write_big_and_die);
    struct stat sb;
    ck_assert_int_eq(stat(wal, &sb), 0);
    ck_assert_int_gt(sb.st_size, 65536);   /* the crash really left a half-written transaction */
    char *after = file_bytes(path, &len_after);
    ck_assert(len_after == len_before && memcmp(before, after, len_before) == 0);
    reader_opens_cleanly(path);
    assert_members(path, "g", "u1,u2");
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM groups"), 1);
    free(before);
    free(after);
    free(path);
    free(wal);
    remove_tmpdir();
}
END_TEST

/* The same crash in a database from before WAL (rollback journal, the legacy version table): the
 * half-written database file and its hot journal, which a read-only connection cannot roll back.
 * A reader rolls it back before it reads; the first writer then adopts the database (components
 * table, WAL) with its memberships intact. */
static void legacy_child(const char *path) {
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, "PRAGMA cache_size = 10", NULL, NULL, NULL) ||
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
        _exit(3);
    for (int i = 0; i < 2000; i++)
        if (sqlite3_exec(db, "INSERT INTO runs VALUES (NULL, 'x', 'x', 0, 0, 0, 0, 0, "
                             "length(zeroblob(4000)))", NULL, NULL, NULL) != SQLITE_OK)
            _exit(4);
    _exit(0);
}

START_TEST(legacy_database_hot_journal_and_upgrade) {
    make_tmpdir();
    char *path = tmp_path("state.db"), *journal = tmp_path("state.db-journal");
    store_v1(path);
    /* back to the legacy form: schema_version instead of components, rollback journal */
    sql(path, "PRAGMA journal_mode = DELETE; CREATE TABLE schema_version (version INTEGER NOT NULL); "
              "INSERT INTO schema_version VALUES (1); DROP TABLE components");
    size_t len_before, len_after;
    char *before = file_bytes(path, &len_before);
    int64_t runs_before = sql_int(path, "SELECT count(*) FROM runs");
    run_and_die(path, legacy_child);
    struct stat sb;
    ck_assert_int_eq(stat(journal, &sb), 0);
    char *after = file_bytes(path, &len_after);
    ck_assert(len_after != len_before || memcmp(before, after, len_before) != 0);
    reader_opens_cleanly(path);
    ck_assert_int_ne(stat(journal, &sb), 0);
    rs_diags *d = new_diags();
    rs_state *st;
    assert_members(path, "g", "u1,u2");
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM runs"), runs_before);
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_WRITE, d), 0);
    rs_state_close(st);
    ck_assert_uint_eq(d->nerrors, 0);
    ck_assert_int_eq(sql_int(path, "SELECT version FROM components WHERE name = 'membership'"), 1);
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'"), 0);
    ck_assert_str_eq(sql_text(path, "PRAGMA journal_mode"), "wal");
    assert_members(path, "g", "u1,u2");
    free(before);
    free(after);
    free(d);
    free(path);
    free(journal);
    remove_tmpdir();
}
END_TEST

START_TEST(corrupt_membership_reported) {
    make_tmpdir();
    char *path = tmp_path("state.db");
    store_v1(path);
    sql(path, "UPDATE groups SET members = x'00ff'");
    rs_diags *d = new_diags();
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, path, RS_STATE_READ, d), 0);
    rs_sgroups gs;
    ck_assert_int_eq(rs_state_groups(st, &gs), 0);
    uint64_t *bits;
    ck_assert_int_eq(rs_state_members(st, &gs.items[0], 4, &bits), -1);
    ck_assert(has_code(d, RS_E_STATE_DB, "membership of group 'g' is corrupt"));
    rs_sgroups_free(&gs);
    rs_state_close(st);
    free(d);
    free(path);
    remove_tmpdir();
}
END_TEST

/* ---- blob formats ---- */

START_TEST(universe_blob_round_trip) {
    static const char *const list[] = {"", "a", "ab", "abc", "abd", "b", "\xE5\xBC\xA0", "\xE5\xBC\xA0\xE4\xB8\x89"};
    ids t;
    ids_init(&t, list, 8);
    rs_sb blob = {0};
    rs_state_encode_universe(&t.u, &blob);
    rs_suniverse su;
    memset(&su, 0, sizeof su);
    ck_assert(rs_state_decode_universe(blob.buf, blob.len, 8, &su));
    ck_assert_uint_eq(su.u.n, 8);
    for (uint32_t j = 0; j < 8; j++) {
        size_t len;
        const char *id = rs_universe_id(&su.u, j, &len);
        ck_assert_uint_eq(len, strlen(list[j]));
        ck_assert_int_eq(memcmp(id, list[j], len), 0);
    }
    free(su.off);
    free(su.bytes);
    /* Front coding: "abd" after "abc" costs 2 + 1 bytes. */
    ck_assert_uint_lt(blob.len, 40);
    /* Truncated, one id too many or too few, trailing bytes: all refused. */
    uint32_t counts[] = {7, 9};
    for (int k = 0; k < 2; k++) {
        memset(&su, 0, sizeof su);
        ck_assert(!rs_state_decode_universe(blob.buf, blob.len, counts[k], &su));
        free(su.off);
        free(su.bytes);
    }
    memset(&su, 0, sizeof su);
    ck_assert(!rs_state_decode_universe(blob.buf, blob.len - 1, 8, &su));
    free(su.off);
    free(su.bytes);
    rs_sb_free(&blob);
    ids_free(&t);
}
END_TEST

START_TEST(universe_blob_must_increase) {
    /* "b" then "a": decodes, but out of order. */
    const char blob[] = {0, 1, 'b', 0, 1, 'a'};
    rs_suniverse su;
    memset(&su, 0, sizeof su);
    ck_assert(!rs_state_decode_universe(blob, sizeof blob, 2, &su));
    free(su.off);
    free(su.bytes);
    /* A shared prefix longer than the previous id. */
    const char blob2[] = {0, 1, 'b', 5, 0};
    memset(&su, 0, sizeof su);
    ck_assert(!rs_state_decode_universe(blob2, sizeof blob2, 2, &su));
    free(su.off);
    free(su.bytes);
}
END_TEST

static void round_trip_members(const uint64_t *bits, uint32_t n, int want_tag) {
    rs_sb blob = {0};
    rs_state_encode_members(bits, n, &blob);
    ck_assert_int_eq(blob.buf[0], want_tag);
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) count += rs_bm_get(bits, i);
    uint64_t *back;
    ck_assert(rs_state_decode_members(blob.buf, blob.len, n, count, &back));
    ck_assert_int_eq(memcmp(back, bits, rs_bm_words(n) * 8), 0);
    free(back);
    ck_assert(!rs_state_decode_members(blob.buf, blob.len, n, count + 1, &back));
    rs_sb_free(&blob);
}

START_TEST(members_blob_round_trip) {
    uint64_t *sparse = bits_every(100000, 997, 3), *dense = bits_every(100000, 2, 1);
    uint64_t *none = bits_every(1000, 1, 1000), *all = bits_every(130, 1, 0);
    round_trip_members(sparse, 100000, 0);    /* a few members: gaps */
    round_trip_members(dense, 100000, 1);     /* half the organisation: the bitmap */
    round_trip_members(none, 1000, 0);
    round_trip_members(all, 130, 1);          /* everyone: 17 bytes of bitmap beat 130 of gaps */
    rs_sb blob = {0};
    rs_state_encode_members(sparse, 100000, &blob);
    ck_assert_uint_lt(blob.len, 300);        /* 101 members, about two bytes each */
    rs_sb_free(&blob);
    free(sparse);
    free(dense);
    free(none);
    free(all);
}
END_TEST

START_TEST(members_blob_refuses_corruption) {
    uint64_t *bits;
    const char past_end[] = {0, 10};                 /* position 10 in a universe of 10 */
    ck_assert(!rs_state_decode_members(past_end, sizeof past_end, 10, 1, &bits));
    const char bad_tag[] = {7};
    ck_assert(!rs_state_decode_members(bad_tag, sizeof bad_tag, 10, 0, &bits));
    const char truncated[] = {0, (char)0x80};       /* a varint with its continuation bit set */
    ck_assert(!rs_state_decode_members(truncated, sizeof truncated, 10, 0, &bits));
    const char padding[] = {1, 0, 4, 0, 0, 0, 0, 0, 0};   /* dense, bit 10 set, n = 10 */
    ck_assert(!rs_state_decode_members(padding, sizeof padding, 10, 1, &bits));
    const char short_dense[] = {1, 1, 0};
    ck_assert(!rs_state_decode_members(short_dense, sizeof short_dense, 10, 1, &bits));
    ck_assert(!rs_state_decode_members("", 0, 10, 0, &bits));
    const char ok[] = {0, 2, 0};                     /* positions 2 and 3 */
    ck_assert(rs_state_decode_members(ok, sizeof ok, 10, 2, &bits));
    ck_assert_uint_eq(bits[0], 0xC);
    free(bits);
}
END_TEST

/* ---- recalculations ---- */

#define SNAP RS_TEST_DATA "/recalc/org"

typedef struct rules {
    rs_source *src;
    ast_file *ast;
    rs_checked *checked;
    rs_program *p;
} rules;

static void rules_compile(rules *r, const char *text, const rs_snapshot *s) {
    rs_diags *d = new_diags();
    r->src = rs_source_new("test.rule", rs_strdup(text), strlen(text));
    r->ast = rs_parse_text(r->src, d);
    const ast_file *files[1] = {r->ast};
    r->checked = rs_check(files, 1, s->schema, NULL, d);
    ck_assert_msg(!rs_diags_has_errors(d), "rules do not compile: %s", d->n ? d->items[0].message : "");
    r->p = rs_compile(r->checked);
    free(d);
}

static void rules_free(rules *r) {
    rs_program_free(r->p);
    rs_checked_free(r->checked);
    ast_file_free(r->ast);
    rs_source_free(r->src);
}

static rs_snapshot *load_snapshot(void) {
    rs_diags *d = new_diags();
    rs_load_opts lo = {0};
    rs_snapshot *s = rs_snapshot_load(SNAP, &lo, d);
    ck_assert_msg(s != NULL, "cannot load " SNAP);
    free(d);
    return s;
}

static const char base_rules[] =
    "group \"interns\" { name \"Interns\" 1: employee_type equals \"Intern\" }\n"
    "group \"lab\" { name \"Lab\" departments \"D-Lab\" }\n"
    "group \"recent\" { name \"Recent\" where join_date is after today - 30 days }\n";

/* One recalculation on `threads` threads into out_path; returns the stats, the delta in *delta
 * (malloc'd). */
static rs_recalc_stats recalc_on(int threads, const char *rules_text, const rs_snapshot *s, const char *db,
                                 int32_t today, bool prune, rs_diags *d, char **delta) {
    rules r;
    rules_compile(&r, rules_text, s);
    char *out = tmp_path("delta.jsonl");
    rs_recalc_opts o = {.state_path = db, .out_path = out, .today = today, .threads = threads, .prune = prune};
    rs_recalc_stats st;
    ck_assert_int_eq(rs_recalc(r.p, s, &o, &st, d), RS_RECALC_OK);
    size_t len;
    *delta = file_bytes(out, &len);
    free(out);
    rules_free(&r);
    return st;
}

static rs_recalc_stats recalc(const char *rules_text, const rs_snapshot *s, const char *db, int32_t today,
                              bool prune, rs_diags *d, char **delta) {
    return recalc_on(1, rules_text, s, db, today, prune, d, delta);
}

static size_t count_lines(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++) n++;
    return n;
}

START_TEST(recalc_skips_unchanged_groups) {
    make_tmpdir();
    char *db = tmp_path("state.db");
    rs_snapshot *s = load_snapshot();
    rs_diags *d = new_diags();
    char *delta;
    int32_t today = 20778;   /* 2026-11-21 */
    rs_recalc_stats st = recalc(base_rules, s, db, today, false, d, &delta);
    ck_assert_uint_eq(st.groups, 3);
    ck_assert_uint_eq(st.groups_evaluated, 3);
    ck_assert_uint_gt(st.adds, 0);
    ck_assert_uint_eq(st.removes, 0);
    ck_assert_uint_eq(count_lines(delta, "\"op\": \"add\""), st.adds);
    free(delta);
    /* Same rules, same snapshot, same day: nothing evaluated, nothing to say. */
    st = recalc(base_rules, s, db, today, false, d, &delta);
    ck_assert_uint_eq(st.groups_evaluated, 0);
    ck_assert_uint_eq(st.groups_skipped, 3);
    ck_assert_uint_eq(st.adds + st.removes, 0);
    ck_assert_str_eq(delta, "");
    free(delta);
    /* Another day: only the group that reads `today` runs again. */
    st = recalc(base_rules, s, db, today + 1, false, d, &delta);
    ck_assert_uint_eq(st.groups_evaluated, 1);
    free(delta);
    /* One rule edited: only it runs again, and its delta is exactly the change. */
    const char edited[] =
        "group \"interns\" { name \"Interns\" 1: employee_type is any of (\"Intern\", \"Contractor\") }\n"
        "group \"lab\" { name \"Lab\" departments \"D-Lab\" }\n"
        "group \"recent\" { name \"Recent\" where join_date is after today - 30 days }\n";
    st = recalc(edited, s, db, today + 1, false, d, &delta);
    ck_assert_uint_eq(st.groups_evaluated, 1);
    ck_assert_uint_eq(st.removes, 0);
    ck_assert_uint_eq(count_lines(delta, "\"group\": \"interns\""), st.adds);
    free(delta);
    ck_assert_uint_eq(d->nerrors + d->nwarnings, 0);
    rs_snapshot_free(s);
    free(d);
    free(db);
    remove_tmpdir();
}
END_TEST

static int collect_delta(void *ctx, const char *lines, size_t len) {
    rs_sb_put(ctx, lines, len);
    return 0;
}

static int refuse_delta(void *ctx, const char *lines, size_t len) {
    (void)ctx, (void)lines, (void)len;
    return -1;
}

/* rs_recalc_into works inside the caller's transaction: the caller's own row and the memberships
 * commit together or not at all, and the delta it is handed is the delta rs_recalc writes. */
START_TEST(recalc_into_the_callers_transaction) {
    make_tmpdir();
    char *ref_db = tmp_path("ref.db"), *db = tmp_path("state.db");
    rs_snapshot *s = load_snapshot();
    rs_diags *d = new_diags();
    char *want;
    int32_t today = 20778;
    recalc(base_rules, s, ref_db, today, false, d, &want);
    rules r;
    rules_compile(&r, base_rules, s);
    rs_recalc_opts o = {.today = today, .threads = 1};
    rs_recalc_stats stats;
    rs_state *st;
    ck_assert_int_eq(rs_state_open(&st, db, RS_STATE_WRITE, d), 0);
    ck_assert_int_eq(rs_db_exec(rs_state_db(st), "CREATE TABLE sync_runs (n INTEGER)"), 0);
    /* rolled back: neither the memberships nor the caller's row are stored */
    rs_sb got = {0};
    ck_assert_int_eq(rs_state_begin(st), 0);
    ck_assert_int_eq(rs_recalc_into(r.p, s, st, &o, collect_delta, &got, &stats, d), RS_RECALC_OK);
    ck_assert_int_eq(rs_db_exec(rs_state_db(st), "INSERT INTO sync_runs VALUES (1)"), 0);
    rs_state_rollback(st);
    ck_assert_str_eq(got.buf, want);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM groups"), 0);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM sync_runs"), 0);
    /* a receiver that refuses stops the run */
    ck_assert_int_eq(rs_state_begin(st), 0);
    ck_assert_int_eq(rs_recalc_into(r.p, s, st, &o, refuse_delta, NULL, &stats, d), RS_RECALC_IO);
    ck_assert(has_code(d, RS_E_IO, "receiver stopped"));
    rs_state_rollback(st);
    /* committed: both */
    rs_sb_clear(&got);
    ck_assert_int_eq(rs_state_begin(st), 0);
    ck_assert_int_eq(rs_recalc_into(r.p, s, st, &o, collect_delta, &got, &stats, d), RS_RECALC_OK);
    ck_assert_int_eq(rs_db_exec(rs_state_db(st), "INSERT INTO sync_runs VALUES (1)"), 0);
    ck_assert_int_eq(rs_state_commit(st), 0);
    rs_state_close(st);
    ck_assert_str_eq(got.buf, want);
    ck_assert_uint_eq(stats.groups_evaluated, 3);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM groups"), 3);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM sync_runs"), 1);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM runs"), 1);
    char *lab = stored_members(ref_db, "lab");
    assert_members(db, "lab", lab);
    free(lab);
    rs_sb_free(&got);
    rules_free(&r);
    free(want);
    rs_snapshot_free(s);
    free(d);
    free(db);
    free(ref_db);
    remove_tmpdir();
}
END_TEST

/* --threads 1: the whole recalculation runs on the calling thread; with 2, the side jobs (the
 * fingerprint, re-indexing the memberships) do start threads. */
START_TEST(recalc_one_thread_starts_none) {
    make_tmpdir();
    char *one = tmp_path("one.db"), *two = tmp_path("two.db");
    rs_snapshot *s = load_snapshot();
    rs_diags *d = new_diags();
    char *delta1, *delta2;
    uint64_t before = rs_parallel_started();
    rs_recalc_stats st = recalc_on(1, base_rules, s, one, 20778, false, d, &delta1);
    ck_assert_uint_eq(st.groups_evaluated, 3);
    ck_assert_uint_eq(rs_parallel_started(), before);
    recalc_on(2, base_rules, s, two, 20778, false, d, &delta2);
    ck_assert_uint_gt(rs_parallel_started(), before);
    ck_assert_str_eq(delta1, delta2);
    free(delta1);
    free(delta2);
    rs_snapshot_free(s);
    free(d);
    free(one);
    free(two);
    remove_tmpdir();
}
END_TEST

START_TEST(recalc_removed_rule_kept_or_pruned) {
    make_tmpdir();
    char *db = tmp_path("state.db");
    rs_snapshot *s = load_snapshot();
    rs_diags *d = new_diags();
    char *delta;
    recalc(base_rules, s, db, 20778, false, d, &delta);
    free(delta);
    char *lab_before = stored_members(db, "lab");
    ck_assert_str_ne(lab_before, "");
    const char without_lab[] =
        "group \"interns\" { name \"Interns\" 1: employee_type equals \"Intern\" }\n"
        "group \"recent\" { name \"Recent\" where join_date is after today - 30 days }\n";
    rs_recalc_stats st = recalc(without_lab, s, db, 20778, false, d, &delta);
    ck_assert_uint_eq(st.groups_stale, 1);
    ck_assert(has_code(d, RS_E_RULE_REMOVED, "'lab'"));
    ck_assert_uint_eq(d->nerrors, 0);
    ck_assert_str_eq(delta, "");
    free(delta);
    assert_members(db, "lab", lab_before);   /* not silently dropped */
    /* --prune: deleted, and every member removed in the delta. */
    st = recalc(without_lab, s, db, 20778, true, d, &delta);
    ck_assert_uint_eq(st.groups_pruned, 1);
    ck_assert_uint_eq(count_lines(delta, "\"group\": \"lab\", \"op\": \"remove\""), st.removes);
    ck_assert_uint_eq(st.removes, count_lines(lab_before, ",") + 1);
    ck_assert_int_eq(sql_int(db, "SELECT count(*) FROM groups WHERE id = 'lab'"), 0);
    free(delta);
    free(lab_before);
    rs_snapshot_free(s);
    free(d);
    free(db);
    remove_tmpdir();
}
END_TEST

START_TEST(fingerprint_tracks_content) {
    rs_snapshot *a = load_snapshot(), *b = load_snapshot();
    ck_assert(rs_recalc_fingerprint(a) == rs_recalc_fingerprint(b));
    rs_diags *d = new_diags();
    rs_load_opts lo = {0};
    rs_snapshot *c = rs_snapshot_load(RS_TEST_DATA "/recalc/org-v2", &lo, d);
    ck_assert_ptr_nonnull(c);
    ck_assert(rs_recalc_fingerprint(a) != rs_recalc_fingerprint(c));
    rs_snapshot_free(a);
    rs_snapshot_free(b);
    rs_snapshot_free(c);
    free(d);
}
END_TEST

START_TEST(rule_hash_tracks_code) {
    rs_snapshot *s = load_snapshot();
    rules r1, r2;
    rules_compile(&r1, base_rules, s);
    rules_compile(&r2, "group \"x\" { name \"X\" 1: employee_type equals \"Contractor\" }\n"
                       "group \"interns\" { name \"Other name\" 1: employee_type equals \"Intern\" }\n", s);
    bool t1, t2;
    /* The same code under another name and position hashes the same; other constants do not. */
    ck_assert(rs_recalc_rule_hash(r1.p, 0, &t1) == rs_recalc_rule_hash(r2.p, 1, &t2));
    ck_assert(rs_recalc_rule_hash(r1.p, 0, &t1) != rs_recalc_rule_hash(r2.p, 0, &t2));
    ck_assert(!t1);
    rs_recalc_rule_hash(r1.p, 2, &t1);
    ck_assert(t1);   /* `recent` reads today */
    rules_free(&r1);
    rules_free(&r2);
    rs_snapshot_free(s);
}
END_TEST

static Suite *state_suite(void) {
    Suite *s = suite_create("state");
    TCase *db = tcase_create("database");
    tcase_set_timeout(db, 60);
    tcase_add_test(db, create_with_schema_version);
    tcase_add_test(db, read_only_never_creates);
    tcase_add_test(db, refuses_newer_or_foreign_database);
    tcase_add_test(db, store_and_reload);
    tcase_add_test(db, universes_shared_and_collected);
    tcase_add_test(db, rollback_and_close_keep_previous);
    tcase_add_test(db, crash_inside_transaction_keeps_previous);
    tcase_add_test(db, recalc_into_the_callers_transaction);
    tcase_add_test(db, legacy_database_hot_journal_and_upgrade);
    tcase_add_test(db, corrupt_membership_reported);
    suite_add_tcase(s, db);
    TCase *blobs = tcase_create("blobs");
    tcase_add_test(blobs, universe_blob_round_trip);
    tcase_add_test(blobs, universe_blob_must_increase);
    tcase_add_test(blobs, members_blob_round_trip);
    tcase_add_test(blobs, members_blob_refuses_corruption);
    suite_add_tcase(s, blobs);
    TCase *rc = tcase_create("recalc");
    tcase_set_timeout(rc, 60);
    tcase_add_test(rc, recalc_skips_unchanged_groups);
    tcase_add_test(rc, recalc_removed_rule_kept_or_pruned);
    tcase_add_test(rc, recalc_one_thread_starts_none);
    tcase_add_test(rc, fingerprint_tracks_content);
    tcase_add_test(rc, rule_hash_tracks_code);
    suite_add_tcase(s, rc);
    return s;
}

RS_TEST_MAIN(state_suite)
