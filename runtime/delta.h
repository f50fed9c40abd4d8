/* delta.h: membership deltas (spec section 5): who joins and who leaves a group.
 *
 * Memberships are compared by member id, never by snapshot index, because indices change from one
 * snapshot to the next. A *universe* is a list of distinct member ids in byte order (memcmp, a
 * shorter id before its extensions); a membership is a bitmap over the positions of a universe.
 * The snapshot a run evaluates gives one universe (its member ids, sorted); the state database keeps
 * the universe each stored membership was written against. When the two are the same list (the
 * usual case: the same organisation, re-evaluated) a delta is two word-wise and-nots; otherwise one
 * merge join of the two id lists maps old positions to new ones first.
 *
 * The hashing helpers at the end give the 64-bit fingerprints the state database keys on. */
#ifndef RS_DELTA_H
#define RS_DELTA_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "common/strbuf.h"
#include "runtime/snapshot.h"

/* A sorted list of distinct ids: position j is string order[j] of tab (string j when order is
 * NULL). Borrows everything. */
typedef struct rs_universe {
    const rs_strtab *tab;
    const uint32_t *order;
    uint32_t n;
    bool plain;                /* known: every id is printable ASCII without '"' or '\\' (JSON as it is) */
} rs_universe;

/* Byte order of ids: memcmp on the common prefix, then the shorter first. */
int rs_id_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* The id at position j (not NUL-terminated). */
const char *rs_universe_id(const rs_universe *u, uint32_t j, size_t *len);
/* Whether the ids are strictly increasing (sorted and distinct). */
bool rs_universe_valid(const rs_universe *u);
/* For every position of `from`, its position in `to`, or RS_NONE when the id is not in `to`.
 * malloc'd, from->n entries. Linear: one merge of the two sorted lists. */
uint32_t *rs_universe_map(const rs_universe *from, const rs_universe *to);

/* A universe's ids copied out in universe order (rs_universe_flatten): reading them in order is then
 * sequential, where a snapshot's ids lie in member order and its universe jumps about them. The
 * delta of record reads every added member's id, so a large delta is written from this copy. */
typedef struct rs_flat_universe {
    rs_universe u;             /* order NULL: position j is string j of tab */
    rs_strtab tab;
    uint32_t *off;
    char *bytes;               /* followed by 16 spare bytes: short ids are copied 16 bytes at a time */
} rs_flat_universe;

void rs_universe_flatten(const rs_universe *u, rs_flat_universe *out);
void rs_flat_universe_free(rs_flat_universe *f);

/* The universe of a snapshot: its member ids sorted, and each member's position in it. */
typedef struct rs_snap_ids {
    rs_universe u;
    uint32_t *rank;            /* member index -> position in u (nmembers entries) */
    uint32_t *owned_order;     /* our own sort, used only when the snapshot's index is not in byte order */
} rs_snap_ids;

void rs_snap_ids_init(rs_snap_ids *si, const rs_snapshot *s);
void rs_snap_ids_free(rs_snap_ids *si);
/* Re-indexes a membership bitmap from member indices to universe positions. by_pos must hold
 * rs_bm_words(n) words; it is overwritten. Cost: one step per member of the group. */
void rs_snap_ids_to_positions(const rs_snap_ids *si, const uint64_t *by_member, uint64_t *by_pos);

/* What changes in one group. adds are positions in the new universe, removes positions in the old
 * one, both ascending, hence both in id order. */
typedef struct rs_delta {
    uint32_t *adds;
    size_t nadds;
    uint32_t *removes;
    size_t nremoves;
    size_t old_count, new_count;
} rs_delta;

/* old_bits: the stored membership over a universe of old_n ids, or NULL when nothing is stored
 * (everyone is added). map: old position -> new position (rs_universe_map), or NULL when the old and
 * new universes are the same list (then old_n must equal new_n). new_bits: the new membership over a
 * universe of new_n ids, or NULL for an empty one. */
void rs_delta_compute(rs_delta *d, const uint64_t *old_bits, uint32_t old_n, const uint32_t *map,
                      const uint64_t *new_bits, uint32_t new_n);
void rs_delta_free(rs_delta *d);

/* The delta of record as JSON Lines, appended to out: every add, then every remove, each in member
 * id order: {"group": "g", "op": "add", "member": "u42"}. Only lines [first, first + count) of the
 * group's nadds + nremoves lines are written, so that a large delta can go out in bounded pieces. */
void rs_delta_jsonl(rs_sb *out, const char *group, const rs_delta *d, const rs_universe *old_u,
                    const rs_universe *new_u, size_t first, size_t count);
/* One delta line (also used for the removes of a pruned group). op is "add" or "remove". */
void rs_delta_jsonl_line(rs_sb *out, const char *group_json, size_t group_json_len, const char *op,
                         const char *id, size_t len);

/* A fast 64-bit hash (not cryptographic) for fingerprints. Every rs_hash_bytes call is framed by its
 * length, so ("ab", "c") and ("a", "bc") hash differently. */
typedef struct rs_hash {
    uint64_t a, b;
} rs_hash;

void rs_hash_init(rs_hash *h, uint64_t seed);
void rs_hash_bytes(rs_hash *h, const void *data, size_t len);
void rs_hash_u64(rs_hash *h, uint64_t v);
uint64_t rs_hash_final(const rs_hash *h);

#endif
