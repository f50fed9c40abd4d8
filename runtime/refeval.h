/* refeval.h: the reference evaluator and --explain.
 *
 * A deliberately simple evaluator: one member at a time, straight from the checked AST
 * (compiler/check.h) and the snapshot's columns, following spec sections 2 and 3 line by line. It
 * shares no predicate code with the VM, so the two check each other (tests/check_vm.c runs them
 * side by side on random organisations); being simple, it is also what explains a member's
 * membership to an administrator. */
#ifndef RS_REFEVAL_H
#define RS_REFEVAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler/check.h"
#include "runtime/snapshot.h"

struct rs_sb;

/* One condition of the explanation. */
typedef struct rs_explain_cond {
    uint32_t number;          /* 1..20; in a `where`, the position (1-based) left to right */
    const rs_ccond *cond;     /* borrowed from the checked group */
    bool result;
} rs_explain_cond;

/* Why a member is in a group or not. Borrows the group and the snapshot given to rs_ref_eval,
 * which must outlive it. */
typedef struct rs_explain {
    const rs_cgroup *group;
    uint32_t member;
    int32_t today;
    bool scope;               /* in scope (always, without a departments line) */
    uint32_t scope_department;/* the member's department that is in scope, or RS_NONE */
    rs_explain_cond *conds;   /* every condition, evaluated (no short cut) */
    size_t nconds;
    bool match;               /* `match` (or `where`; all conditions and-ed without it) */
    bool allowed, blocked;
    bool has_status;          /* the schema has `status` */
    bool active;              /* status is `active` (true without a status field) */
    bool result;              /* member of the group */
} rs_explain;

/* Whether `member` belongs to group g, with `today` for relative dates. g must have checked
 * without errors against s's schema. ex may be NULL; otherwise it must be zeroed or hold an earlier
 * explanation (it is reset) and is filled in. */
bool rs_ref_eval(const rs_cgroup *g, const rs_snapshot *s, uint32_t member, int32_t today,
                 rs_explain *ex);
/* Frees what rs_ref_eval put in ex (not ex itself); accepts NULL. */
void rs_explain_free(rs_explain *ex);

/* For people: the member, scope, one line per condition (its text, the member's value, the
 * result), match, allow/block/status and the verdict. */
void rs_explain_text(const rs_explain *ex, const rs_snapshot *s, struct rs_sb *out);
/* For programs: one JSON object on one line, then a newline. Member values are typed (strings,
 * numbers, booleans, "YYYY-MM-DD" dates, arrays for multi-valued fields, null when empty). */
void rs_explain_json(const rs_explain *ex, const rs_snapshot *s, struct rs_sb *out);

#endif
