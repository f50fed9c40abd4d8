/* db.h: the state database itself, whatever is stored in it: one SQLite file, its connection and
 * pragmas, transactions, and a schema version per component with forward migrations
 * (docs/state.md). A component is one module's tables: the group memberships (runtime/state.c)
 * today, the sync engine's tasks and runs next. Each keeps its version in the `components` table
 * and migrates itself forward, in one transaction, when a writer opens it.
 *
 * Journal mode: WAL. One writer (a recalculation, later a sync run) and any number of readers (the
 * console, `members`, `dry-run`) then never block each other; a writer killed at any moment leaves
 * frames without a commit record, which every later reader ignores. synchronous=FULL makes each
 * commit durable. Errors are appended to the diags given at open as E0801 and reported as -1. */
#ifndef RS_DB_H
#define RS_DB_H
#include <stdbool.h>
#include <sqlite3.h>
#include "common/diag.h"

typedef struct rs_db rs_db;

typedef enum { RS_DB_READ, RS_DB_WRITE } rs_db_mode;

/* A component: its name and its migrations. steps[v] is the SQL that takes the component from
 * version v to v + 1 (steps[0] creates its tables), so the current version is nsteps. Steps are
 * never edited once released: a change is a new step at the end. */
typedef struct rs_db_component {
    const char *name;
    const char *const *steps;
    int nsteps;
} rs_db_component;

/* WRITE opens the database, creating the file (mode 0600: it says who belongs to which group) when
 * missing. READ opens it without ever creating it: a missing or empty file gives 0 with *out = NULL
 * (nothing stored yet). diags is borrowed until rs_db_close. Returns 0 or -1. */
int rs_db_open(rs_db **out, const char *path, rs_db_mode mode, rs_diags *diags);
void rs_db_close(rs_db *db);

/* Makes component c usable. A writer creates it or migrates it forward to c->nsteps, all in one
 * transaction (a failed or killed migration leaves the previous version). A reader requires it at
 * exactly c->nsteps (*present false when the database does not hold it yet). A version newer than
 * c->nsteps is refused either way: this roster is older than the one that wrote the database. */
int rs_db_use(rs_db *db, const rs_db_component *c, bool *present);
/* The component's stored version, 0 when absent. */
int rs_db_version(rs_db *db, const char *component, int *version);

/* BEGIN IMMEDIATE (the write lock now: a second writer waits up to 5 s, then fails), COMMIT,
 * ROLLBACK (harmless when no transaction is open). */
int rs_db_begin(rs_db *db);
int rs_db_commit(rs_db *db);
void rs_db_rollback(rs_db *db);
bool rs_db_in_transaction(const rs_db *db);

/* For the components' own statements. */
sqlite3 *rs_db_sqlite(rs_db *db);
int rs_db_exec(rs_db *db, const char *sql);
/* E0801 "what: SQLite's message" with a help line for the usual causes; returns -1. */
int rs_db_fail(rs_db *db, const char *what);
/* E0801 with a message of its own; returns -1. */
int rs_db_fail_msg(rs_db *db, const char *msg);
const char *rs_db_path(const rs_db *db);

#endif
