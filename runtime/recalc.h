/* recalc.h: a full recalculation (evaluate every group, diff against the state database, write the
 * delta of record, store the new membership) and a dry-run (the same diff, nothing written). The
 * CLI's recalc and dry-run commands and the benchmarks call these; see docs/state.md.
 *
 * Order of a recalculation, chosen so that a run killed at any moment loses nothing:
 *   1. BEGIN IMMEDIATE on the state database (a second run waits, then fails);
 *   2. evaluate the groups whose rule, snapshot or `today` changed since they were stored;
 *   3. per group in id order: the delta, appended to the delta file (a temporary file next to it),
 *      and the new membership, written inside the transaction;
 *   4. the delta file is fsync'd and renamed into place;
 *   5. COMMIT.
 * Killed before 5, the database still holds the previous membership, so the next run writes the same
 * delta again: a delta is delivered at least once, never lost. Applying one twice is harmless (an
 * add of a member already there, a remove of one already gone). */
#ifndef RS_RECALC_H
#define RS_RECALC_H
#include <stdio.h>
#include "compiler/bytecode.h"
#include "runtime/delta.h"
#include "runtime/snapshot.h"
#include "runtime/state.h"

typedef struct rs_recalc_opts {
    const char *state_path;    /* the state database (created when missing) */
    const char *out_path;      /* the delta file, replaced atomically; NULL: write to out_file */
    FILE *out_file;            /* used when out_path is NULL; NULL too: the delta is not written */
    int32_t today;             /* the day `today` means in this run */
    int threads;               /* threads of every parallel step (common/parallel.h); 0: one per core */
    bool prune;                /* delete stored groups whose rule is gone (their members are removed) */
    /* A test seam: called with the transaction open, after the delta is in place (step 4), so a
     * test can kill the process at the worst moment. NULL in normal runs. */
    void (*before_commit)(void *ctx);
    void *before_commit_ctx;
} rs_recalc_opts;

typedef struct rs_recalc_stats {
    double prepare_ms;         /* snapshot fingerprint and sorted member ids */
    double eval_ms;            /* VM bind, prepare and run */
    double delta_ms;           /* deltas and the JSON Lines output */
    double store_ms;           /* encoding and writing memberships, commit */
    uint32_t members, groups, groups_evaluated, groups_skipped, groups_stale, groups_pruned;
    uint64_t adds, removes;
} rs_recalc_stats;

enum { RS_RECALC_OK = 0, RS_RECALC_INVALID = -1, RS_RECALC_IO = -2 };

/* Runs a recalculation of every group of p over s. Returns RS_RECALC_OK; RS_RECALC_INVALID when the
 * program cannot run on the snapshot (nothing written); RS_RECALC_IO on a state database or output
 * error (the transaction is rolled back; a delta file already renamed is written again by the next
 * run). Diagnostics (E0801, W0802 for every stored group without a rule) go to d. */
int rs_recalc(const rs_program *p, const rs_snapshot *s, const rs_recalc_opts *o, rs_recalc_stats *stats,
              rs_diags *d);

/* The delta of record handed to a caller instead of a file: JSON Lines, in the order of the file
 * (group by group in id order, adds before removes). Return 0 to go on; anything else stops the
 * recalculation (RS_RECALC_IO), and the caller rolls its transaction back. */
typedef int (*rs_delta_fn)(void *ctx, const char *lines, size_t len);

/* A recalculation inside the caller's transaction on st (rs_state_begin done, and the caller commits
 * or rolls back), so that the memberships commit together with rows of the caller's own, such as a
 * sync run's. The same evaluation, skipping, delta and stored run row as rs_recalc; the delta goes to
 * on_delta (NULL: not formatted at all). o->today, o->threads and o->prune are used; its state and
 * output fields are not. rs_recalc is this plus the delta file, opened before and made durable
 * before its own commit. */
int rs_recalc_into(const rs_program *p, const rs_snapshot *s, rs_state *st, const rs_recalc_opts *o,
                   rs_delta_fn on_delta, void *ctx, rs_recalc_stats *stats, rs_diags *d);

/* Whether the delta may go where o says: a regular file or /dev/null (a missing --out file is
 * created). A pipe, terminal, socket or folder is refused with E0006 and RS_RECALC_IO, because the run
 * cannot tell that a reader there took every line before it commits. rs_recalc checks this first;
 * callers check it before loading their inputs to fail fast. */
int rs_recalc_check_out(const rs_recalc_opts *o, rs_diags *d);

/* Fingerprint of a snapshot's content: schema, member ids, every column, department ids and tree.
 * The same organisation gives the same fingerprint whether it was read from JSON Lines, CSV or a
 * .snap file; any change to a value a rule can read changes it. */
uint64_t rs_recalc_fingerprint(const rs_snapshot *s);
/* Hash of group g's code, its fields (name, type) and its constants, plus the bytecode version:
 * what decides its result besides the snapshot. *uses_today tells whether it reads `today`. */
uint64_t rs_recalc_rule_hash(const rs_program *p, uint32_t g, bool *uses_today);

/* ---- dry-run ---- */

typedef struct rs_dry_group {
    uint32_t group;            /* index in the program */
    const rs_sgroup *stored;   /* NULL when the group was never stored */
    rs_delta delta;            /* adds: positions in ids.u; removes: positions in *old_u */
    const rs_universe *old_u;  /* universe of the stored membership (NULL when none) */
    uint64_t *bits;            /* the new membership, by member index */
} rs_dry_group;

struct rs_baseline;
typedef struct rs_dry_run {
    rs_state *st;              /* NULL when the state database does not exist yet */
    rs_sgroups stored;
    rs_snap_ids ids;
    rs_dry_group *groups;      /* one per program group, in program order */
    uint32_t ngroups;
    struct rs_baseline *base;  /* private */
    rs_recalc_stats stats;     /* prepare (ids, stored groups), eval, delta; nothing is stored */
} rs_dry_run;

/* Evaluates every group of p and compares it with the state database at state_path, opened
 * read-only (never written; a missing file means nothing is stored). Returns RS_RECALC_OK, or
 * RS_RECALC_INVALID / RS_RECALC_IO as rs_recalc does. */
int rs_dry_run_compute(rs_dry_run *dr, const rs_program *p, const rs_snapshot *s, const char *state_path,
                       int32_t today, int threads, rs_diags *d);
void rs_dry_run_free(rs_dry_run *dr);

/* ---- the dry-run report (dryrun.c) ---- */

#define RS_DRY_RUN_LIST 20         /* members listed per group and direction */

struct rs_checked;
typedef struct rs_dry_report {
    const char *state;         /* the state database as the user named it */
    int32_t today;
    bool json;                 /* one JSON document (and a newline); else text for people */
    uint32_t explain;          /* a member to explain in every group, or RS_NONE (checked needed) */
    const struct rs_checked *checked;   /* the checked groups of the program, for explain; or NULL */
} rs_dry_report;

/* Appends the report of dr (computed for p over s) to out: per group, its counts before and after
 * and the first RS_DRY_RUN_LIST members added and removed, with their display names; and with
 * explain, why that member is in or out (the reference evaluator's account). Returns the number of
 * groups where that account disagrees with the VM: 0, or a bug to report. */
size_t rs_dry_run_report(const rs_dry_run *dr, const rs_program *p, const rs_snapshot *s,
                         const rs_dry_report *o, struct rs_sb *out);

#endif
