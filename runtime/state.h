/* state.h: the state database (SQLite): the stored membership of every group, so that each
 * recalculation reports only what changed (docs/state.md).
 *
 * Tables (schema version RS_STATE_VERSION, in table schema_version):
 *   universes  the sorted member ids a membership was written against, front-coded in one blob;
 *              shared by every group written in the same run, kept while a group refers to it
 *   groups     per group: display name, the rule's source_hash and bytecode hash, the snapshot
 *              fingerprint and `today` it was evaluated with, its universe, its member count and
 *              its membership (a bitmap or a list of positions over the universe, whichever is
 *              smaller)
 *   runs       one row per committed recalculation (when, as-of date, counts)
 *
 * Writes happen only between rs_state_begin and rs_state_commit, in one transaction with
 * synchronous=FULL and a rollback journal: a process killed at any moment leaves the previous
 * membership, and the next open rolls the interrupted transaction back: a read-only open too (it
 * lets a read-write connection roll a hot journal back first); apart from that, read-only opens never
 * write a byte (dry-run). Errors are appended to the diags given at open as E0801 and reported as -1. */
#ifndef RS_STATE_H
#define RS_STATE_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "common/diag.h"
#include "common/strbuf.h"
#include "runtime/delta.h"

#define RS_STATE_VERSION 1
#define RS_STATE_DEFAULT_PATH "roster.db"
/* Stored in place of `today` for a rule that never reads it (its result does not depend on it). */
#define RS_NO_TODAY INT32_MIN

typedef struct rs_state rs_state;

typedef enum { RS_STATE_READ, RS_STATE_WRITE } rs_state_mode;

/* WRITE opens the database, creating the file and its tables when missing. READ opens it read-only
 * and never creates it: a missing file gives 0 with *out = NULL (nothing stored yet). diags is
 * borrowed until rs_state_close. Returns 0 or -1. */
int rs_state_open(rs_state **out, const char *path, rs_state_mode mode, rs_diags *diags);
void rs_state_close(rs_state *st);
/* The database under st, for a caller that writes rows of its own component in the same
 * transaction (runtime/db.h). */
struct rs_db *rs_state_db(rs_state *st);

/* What is stored about one group. */
typedef struct rs_sgroup {
    char *id, *name;
    uint32_t source_hash;      /* rs_pgroup.source_hash of the rule that produced the membership */
    uint64_t rule_hash;        /* hash of the group's bytecode and constants (recalc.c) */
    uint64_t snapshot_fp;      /* fingerprint of the snapshot evaluated */
    int32_t today;             /* the day `today` meant, or RS_NO_TODAY */
    int64_t universe;          /* universes.id */
    uint32_t count;            /* number of members */
} rs_sgroup;

typedef struct rs_sgroups {
    rs_sgroup *items;          /* sorted by id, byte order */
    size_t n;
} rs_sgroups;

/* Every stored group (metadata only). */
int rs_state_groups(rs_state *st, rs_sgroups *out);
void rs_sgroups_free(rs_sgroups *g);
/* Binary search by id; borrowed from g, or NULL. */
const rs_sgroup *rs_sgroups_find(const rs_sgroups *g, const char *id);

/* A stored universe, decoded. u borrows tab, which borrows off and bytes (all owned here). */
typedef struct rs_suniverse {
    int64_t id;
    rs_universe u;
    rs_strtab tab;
    uint32_t *off;
    char *bytes;
} rs_suniverse;

int rs_state_universe(rs_state *st, int64_t id, rs_suniverse **out);
void rs_suniverse_free(rs_suniverse *su);

/* The stored membership of g: a bitmap over the positions of its universe (universe_n ids),
 * malloc'd, rs_bm_words(universe_n) words (at least one). */
int rs_state_members(rs_state *st, const rs_sgroup *g, uint32_t universe_n, uint64_t **bits);

/* ---- writing: everything between begin and commit is one transaction ---- */

/* BEGIN IMMEDIATE: takes the write lock now, so two runs never interleave (a second one waits up to
 * a few seconds, then fails). */
int rs_state_begin(rs_state *st);
/* The id of a stored universe with exactly these encoded ids (rs_state_encode_universe), or 0. */
int rs_state_find_universe(rs_state *st, const rs_sb *encoded, uint64_t hash, int64_t *id);
/* Stores a universe unless an identical one is stored; *id gets its id either way. */
int rs_state_put_universe(rs_state *st, const rs_sb *encoded, uint64_t hash, uint32_t n, int64_t *id);
/* Inserts or replaces a group: meta (meta->count is recomputed from bits) and its membership over a
 * universe of n ids. */
int rs_state_put_group(rs_state *st, const rs_sgroup *meta, const uint64_t *bits, uint32_t n);
int rs_state_delete_group(rs_state *st, const char *id);

typedef struct rs_srun {
    int32_t as_of;
    uint64_t snapshot_fp;
    uint32_t groups, groups_evaluated, groups_pruned;
    uint64_t adds, removes;
} rs_srun;
int rs_state_add_run(rs_state *st, const rs_srun *run);
/* Drops universes no group refers to any more, then COMMIT. */
int rs_state_commit(rs_state *st);
/* Abandons the transaction (harmless when none is open). */
void rs_state_rollback(rs_state *st);

/* ---- blob formats (docs/state.md), exposed for the tests ---- */

/* Universe: per id, varint length of the prefix shared with the previous id, varint length of the
 * rest, the rest. */
void rs_state_encode_universe(const rs_universe *u, rs_sb *out);
/* Decodes n ids; false when the blob is malformed or not strictly increasing. */
bool rs_state_decode_universe(const void *blob, size_t len, uint32_t n, rs_suniverse *out);
/* Membership: a tag byte, then either (tag 0) the gaps between successive positions as varints, or
 * (tag 1) the dense bitmap as little-endian 64-bit words. The smaller form is written. */
void rs_state_encode_members(const uint64_t *bits, uint32_t n, rs_sb *out);
/* Decodes into a new bitmap of rs_bm_words(n) words; false when malformed (a position past n, a
 * count other than `count`). */
bool rs_state_decode_members(const void *blob, size_t len, uint32_t n, uint32_t count, uint64_t **bits);

#endif
