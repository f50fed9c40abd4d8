/* check_db: the state database's components and migrations (runtime/db.c): a component created and
 * migrated forward step by step from every earlier version, a failed migration leaving the previous
 * version whole, a newer version refused, a reader never migrating, and WAL set only on our files. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/util.h"
#include "runtime/db.h"
#define RS_TEST_SCRATCH
#include "tests/testutil.h"

static void make_tmpdir(void) { rs_test_tmp_begin("db"); }
static void remove_tmpdir(void) { rs_test_tmp_end(); }
static char *tmp_path(const char *name) { return rs_test_tmp_path(name); }

static int64_t sql_int(const char *path, const char *stmt) {
    sqlite3 *db;
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, stmt, -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static bool has_message(const rs_diags *d, const char *fragment) {
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].code == RS_E_STATE_DB && strstr(d->items[i].message, fragment)) return true;
    return false;
}

/* Three releases of one component: a table, a column, an index. */
static const char *const steps[] = {
    "CREATE TABLE tasks (id TEXT PRIMARY KEY)",
    "ALTER TABLE tasks ADD COLUMN schedule TEXT NOT NULL DEFAULT 'manual'",
    "CREATE INDEX tasks_by_schedule ON tasks (schedule)",
};

static rs_db_component release(int n) {
    rs_db_component c = {"tasks", steps, n};
    return c;
}

/* Opens path as a writer of `nsteps` releases; returns use's result. */
static int open_as(const char *path, int nsteps, rs_diags *d) {
    rs_db *db;
    bool present;
    ck_assert_int_eq(rs_db_open(&db, path, RS_DB_WRITE, d), 0);
    rs_db_component c = release(nsteps);
    int rc = rs_db_use(db, &c, &present);
    ck_assert(rc != 0 || present);
    rs_db_close(db);
    return rc;
}

START_TEST(migrates_forward_from_every_version) {
    for (int from = 1; from <= 3; from++) {
        make_tmpdir();
        char *path = tmp_path("state.db");
        rs_diags d;
        rs_diags_init(&d);
        ck_assert_int_eq(open_as(path, from, &d), 0);
        ck_assert_int_eq(sql_int(path, "SELECT version FROM components WHERE name = 'tasks'"), from);
        sql_int(path, "SELECT count(*) FROM tasks");   /* the table is there at every version */
        ck_assert_int_eq(open_as(path, 3, &d), 0);
        ck_assert_int_eq(sql_int(path, "SELECT version FROM components WHERE name = 'tasks'"), 3);
        ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'tasks_by_schedule'"), 1);
        ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM pragma_table_info('tasks') WHERE name = 'schedule'"), 1);
        ck_assert_uint_eq(d.nerrors, 0);
        free(path);
        remove_tmpdir();
    }
}
END_TEST

START_TEST(failed_migration_keeps_previous_version) {
    make_tmpdir();
    char *path = tmp_path("state.db");
    rs_diags d;
    rs_diags_init(&d);
    ck_assert_int_eq(open_as(path, 1, &d), 0);
    static const char *const broken[] = {steps[0], steps[1], "CREATE INDEX nope ON missing_table (x)"};
    rs_db *db;
    bool present;
    ck_assert_int_eq(rs_db_open(&db, path, RS_DB_WRITE, &d), 0);
    rs_db_component c = {"tasks", broken, 3};
    ck_assert_int_eq(rs_db_use(db, &c, &present), -1);
    ck_assert(!present);
    rs_db_close(db);
    ck_assert(has_message(&d, "missing_table"));
    /* step 2 ran before step 3 failed: it was rolled back with it */
    ck_assert_int_eq(sql_int(path, "SELECT version FROM components WHERE name = 'tasks'"), 1);
    ck_assert_int_eq(sql_int(path, "SELECT count(*) FROM pragma_table_info('tasks') WHERE name = 'schedule'"), 0);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(newer_refused_and_readers_never_migrate) {
    make_tmpdir();
    char *path = tmp_path("state.db");
    rs_diags d;
    rs_diags_init(&d);
    ck_assert_int_eq(open_as(path, 3, &d), 0);
    ck_assert_int_eq(open_as(path, 2, &d), -1);
    ck_assert(has_message(&d, "tasks tables are at version 3, newer than this roster's (2)"));
    rs_diags_init(&d);
    char *old = tmp_path("old.db");
    ck_assert_int_eq(open_as(old, 1, &d), 0);
    rs_db *db;
    bool present = true;
    ck_assert_int_eq(rs_db_open(&db, old, RS_DB_READ, &d), 0);
    rs_db_component c = release(3);
    ck_assert_int_eq(rs_db_use(db, &c, &present), -1);
    ck_assert(has_message(&d, "at version 1, older than this roster's (3)"));
    rs_db_component other = {"contacts", steps, 1};
    rs_diags_init(&d);
    ck_assert_int_eq(rs_db_use(db, &other, &present), 0);   /* not stored yet: absent, no error */
    ck_assert(!present);
    ck_assert_int_ne(rs_db_exec(db, "CREATE TABLE x (a)"), 0);   /* query_only */
    rs_db_close(db);
    ck_assert_int_eq(sql_int(old, "SELECT version FROM components WHERE name = 'tasks'"), 1);
    free(path);
    free(old);
    remove_tmpdir();
}
END_TEST

START_TEST(wal_only_on_our_files) {
    make_tmpdir();
    char *ours = tmp_path("state.db"), *foreign = tmp_path("foreign.db");
    rs_diags d;
    rs_diags_init(&d);
    ck_assert_int_eq(open_as(ours, 1, &d), 0);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(foreign, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE contacts (name TEXT)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rs_db *r;
    ck_assert_int_eq(rs_db_open(&r, foreign, RS_DB_WRITE, &d), -1);
    ck_assert(has_message(&d, "not a roster state database"));
    struct stat sb;
    char *wal = tmp_path("foreign.db-wal");
    ck_assert_int_ne(stat(wal, &sb), 0);
    ck_assert_int_eq(sql_int(foreign, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'delete'"), 1);
    ck_assert_int_eq(sql_int(ours, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
    free(ours);
    free(foreign);
    free(wal);
    remove_tmpdir();
}
END_TEST

static Suite *db_suite(void) {
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("components");
    tcase_add_test(tc, migrates_forward_from_every_version);
    tcase_add_test(tc, failed_migration_keeps_previous_version);
    tcase_add_test(tc, newer_refused_and_readers_never_migrate);
    tcase_add_test(tc, wal_only_on_our_files);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(db_suite)
