/* db.c: the state database's connection, pragmas, transactions and component versions. */
#include "runtime/db.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/util.h"

struct rs_db {
    sqlite3 *db;
    char *path;
    rs_diags *diags;
    bool readonly, in_tx;
};

/* The membership tables came before components: such a database records their version in a table
 * of its own, read as the version of this component (and replaced by a row of `components` when a
 * writer opens it). */
#define LEGACY_COMPONENT "membership"

int rs_db_fail(rs_db *db, const char *what) {
    rs_diag *dg = rs_diag_file(db->diags, RS_E_STATE_DB, db->path, 0, 0, "%s: %s", what,
                               db->db ? sqlite3_errmsg(db->db) : "cannot open");
    int ext = db->db ? sqlite3_extended_errcode(db->db) : 0;
    if (dg && ext == SQLITE_READONLY_ROLLBACK)
        rs_diag_help(dg, "a recalculation was interrupted and this process may not write the database to roll it "
                         "back; the next `roster recalc` (or any reader with write access) does");
    else if (dg && (ext & 0xff) == SQLITE_BUSY)
        rs_diag_help(dg, "another roster process is writing this database");
    return -1;
}

int rs_db_fail_msg(rs_db *db, const char *msg) {
    rs_diag_file(db->diags, RS_E_STATE_DB, db->path, 0, 0, "%s", msg);
    return -1;
}

int rs_db_exec(rs_db *db, const char *sql) {
    if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK) return rs_db_fail(db, sql);
    return 0;
}

sqlite3 *rs_db_sqlite(rs_db *db) { return db->db; }
const char *rs_db_path(const rs_db *db) { return db->path; }
bool rs_db_in_transaction(const rs_db *db) { return db->in_tx; }

/* One integer from a query; *found false when it returns no row. */
static int query_int(rs_db *db, const char *sql, const char *arg, int64_t *v, bool *found) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db->db, sql, -1, &q, NULL) != SQLITE_OK) return rs_db_fail(db, "reading the schema");
    if (arg) sqlite3_bind_text(q, 1, arg, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    *found = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
    if (*found) *v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rs_db_fail(db, "reading the schema");
    return 0;
}

static int has_table(rs_db *db, const char *name, bool *yes) {
    int64_t n = 0;
    bool found;
    TRY(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", name, &n, &found));
    *yes = n > 0;
    return 0;
}

int rs_db_version(rs_db *db, const char *component, int *version) {
    bool components, legacy, found;
    int64_t v = 0;
    *version = 0;
    TRY(has_table(db, "components", &components));
    TRY(has_table(db, "schema_version", &legacy));
    if (components) {
        TRY(query_int(db, "SELECT version FROM components WHERE name = ?1", component, &v, &found));
    } else if (legacy && strcmp(component, LEGACY_COMPONENT) == 0) {
        TRY(query_int(db, "SELECT max(version) FROM schema_version", NULL, &v, &found));
        if (!found || v < 1) return rs_db_fail_msg(db, "state database with an invalid schema version");
    }
    *version = (int)(v > 1000000 ? 1000000 : v);
    return 0;
}

/* A database that already has tables must hold components (or the legacy version table). */
static int check_ours(rs_db *db, bool *empty) {
    int64_t ntables = 0;
    bool found, components, legacy;
    TRY(query_int(db, "SELECT count(*) FROM sqlite_master", NULL, &ntables, &found));
    *empty = ntables == 0;
    if (*empty) return 0;
    TRY(has_table(db, "components", &components));
    TRY(has_table(db, "schema_version", &legacy));
    if (!components && !legacy) return rs_db_fail_msg(db, "not a roster state database (no components table)");
    return 0;
}

static int too_new(rs_db *db, const rs_db_component *c, int version) {
    char msg[200];
    snprintf(msg, sizeof msg, "the state database's %s tables are at version %d, newer than this roster's (%d)",
             c->name, version, c->nsteps);
    rs_diag *dg = rs_diag_file(db->diags, RS_E_STATE_DB, db->path, 0, 0, "%s", msg);
    rs_diag_help(dg, "a newer roster wrote this database: run that version, or restore a backup");
    return -1;
}

/* Inside the migration's transaction: the components table, and the legacy version table folded in. */
static int adopt_legacy(rs_db *db) {
    bool legacy;
    TRY(rs_db_exec(db, "CREATE TABLE IF NOT EXISTS components (name TEXT PRIMARY KEY, version INTEGER NOT NULL)"));
    TRY(has_table(db, "schema_version", &legacy));
    if (!legacy) return 0;
    TRY(rs_db_exec(db, "INSERT OR IGNORE INTO components SELECT '" LEGACY_COMPONENT "', max(version) "
                       "FROM schema_version"));
    return rs_db_exec(db, "DROP TABLE schema_version");
}

static int migrate(rs_db *db, const rs_db_component *c) {
    int version;
    TRY(adopt_legacy(db));
    TRY(rs_db_version(db, c->name, &version));
    if (version > c->nsteps) return too_new(db, c, version);
    if (version == c->nsteps) return 0;
    for (int v = version; v < c->nsteps; v++) TRY(rs_db_exec(db, c->steps[v]));
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO components (name, version) VALUES (?1, ?2)", -1, &q,
                           NULL) != SQLITE_OK)
        return rs_db_fail(db, "recording the schema version");
    sqlite3_bind_text(q, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, c->nsteps);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : rs_db_fail(db, "recording the schema version");
}

int rs_db_use(rs_db *db, const rs_db_component *c, bool *present) {
    int version;
    *present = false;
    if (db->readonly) {
        TRY(rs_db_version(db, c->name, &version));
        if (version > c->nsteps) return too_new(db, c, version);
        if (version == 0) return 0;
        if (version < c->nsteps) {
            rs_diag *dg = rs_diag_file(db->diags, RS_E_STATE_DB, db->path, 0, 0,
                                       "the state database's %s tables are at version %d, older than this "
                                       "roster's (%d)", c->name, version, c->nsteps);
            rs_diag_help(dg, "run `roster recalc` once: a writer upgrades them in place");
            return -1;
        }
        *present = true;
        return 0;
    }
    bool components;
    TRY(has_table(db, "components", &components));
    TRY(rs_db_version(db, c->name, &version));
    if (version > c->nsteps) return too_new(db, c, version);
    if (components && version == c->nsteps) {   /* the usual case: no write, no lock */
        *present = true;
        return 0;
    }
    TRY(rs_db_begin(db));
    if (migrate(db, c) != 0) {
        rs_db_rollback(db);
        return -1;
    }
    TRY(rs_db_commit(db));
    *present = true;
    return 0;
}

int rs_db_begin(rs_db *db) {
    TRY(rs_db_exec(db, "BEGIN IMMEDIATE"));
    db->in_tx = true;
    return 0;
}

int rs_db_commit(rs_db *db) {
    TRY(rs_db_exec(db, "COMMIT"));
    db->in_tx = false;
    return 0;
}

void rs_db_rollback(rs_db *db) {
    if (!db || !db->in_tx) return;
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    db->in_tx = false;
}

/* The state holds who belongs to which group: readable by its owner only. SQLite's -wal and -shm
 * files copy the database file's permissions. */
static void create_private(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
}

/* A reader opens the file read-write (never creating it) with query_only set, rather than
 * read-only: it then cleans up after itself as SQLite's last connection does (the -wal and -shm
 * files go when it closes; a read-only connection would leave them behind), and it rolls back the
 * hot journal a writer of a pre-WAL database left when it died, which a read-only connection cannot
 * (SQLITE_READONLY_ROLLBACK). query_only makes sure this code never writes through it. SQLite falls
 * back to reading only when the file is write-protected. */
static int db_connect(rs_db *db, rs_db_mode mode) {
    int flags = SQLITE_OPEN_READWRITE | (mode == RS_DB_WRITE ? SQLITE_OPEN_CREATE : 0);
    if (mode == RS_DB_WRITE) create_private(db->path);
    if (sqlite3_open_v2(db->path, &db->db, flags, NULL) != SQLITE_OK) return rs_db_fail(db, "cannot open");
    sqlite3_extended_result_codes(db->db, 1);
    sqlite3_busy_timeout(db->db, 5000);
    return mode == RS_DB_READ ? rs_db_exec(db, "PRAGMA query_only = ON") : 0;
}

/* Only once the file is known to be ours: WAL is a property of the file, set by every writer, so a
 * database written before WAL is converted the first time a writer opens it. */
static int writer_pragmas(rs_db *db) {
    TRY(rs_db_exec(db, "PRAGMA journal_mode = WAL"));
    return rs_db_exec(db, "PRAGMA synchronous = FULL");
}

int rs_db_open(rs_db **out, const char *path, rs_db_mode mode, rs_diags *diags) {
    *out = NULL;
    struct stat sb;
    if (mode == RS_DB_READ && stat(path, &sb) != 0 && errno == ENOENT) return 0;
    rs_db *db = rs_calloc(1, sizeof *db);
    db->path = rs_strdup(path);
    db->diags = diags;
    db->readonly = mode == RS_DB_READ;
    bool empty = false;
    if (db_connect(db, mode) != 0 || check_ours(db, &empty) != 0 || (!db->readonly && writer_pragmas(db) != 0)) {
        rs_db_close(db);
        return -1;
    }
    if (empty && db->readonly) {
        /* An empty file opened read-only: nothing stored yet, as if it did not exist. */
        rs_db_close(db);
        return 0;
    }
    *out = db;
    return 0;
}

void rs_db_close(rs_db *db) {
    if (!db) return;
    sqlite3_close_v2(db->db);   /* an open transaction is rolled back */
    free(db->path);
    free(db);
}
