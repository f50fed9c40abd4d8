/* vm_int.h: the VM's private structures, shared by runtime/vm_prep.c (binding and preparing a
 * program) and runtime/vm.c (running it). Kept apart so the contract in vm.h stays small and the
 * layout of a prepared program can be read on one page.
 *
 * Preparing a program turns every value-reading instruction into a "leaf": a test of one member that
 * costs O(1) or O(values of the member), with every string, department and id lookup done up front.
 * Instructions that read the same field with the same operator and equal constants share one leaf,
 * and a leaf used by several instructions (the status test of every group, a shared scope) is
 * computed once per batch, for the members some instruction using it cares about. A leaf that few
 * members pass (a department, a job title) is kept as the sorted list (or a bitmap) of those
 * members, read from the snapshot's members-by-value postings (a .snap file has them; otherwise an
 * index is built once per column, or for text of many distinct values one pass over the column
 * finds them), so a batch costs only what it matches. A substring test of a text column whose
 * values are nearly all different (e-mail addresses) is not prepared over the dictionary: each
 * member that matters is searched when the batch runs.
 *
 * Only the groups a run evaluates are prepared (rs_vm_new_groups). */
#ifndef RS_VM_INT_H
#define RS_VM_INT_H
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include "runtime/vm.h"

/* Members per batch: a multiple of 64, small enough that a group's bitmap stack and the shared
 * leaves of a batch stay in the core's cache (2 KiB a bitmap). */
#define VM_BATCH_BITS 16384u
#define VM_BATCH_WORDS (VM_BATCH_BITS / 64u)

/* A leaf becomes a member list (or bitmap) when at most one member in VM_SPARSE_RATIO passes it. */
#define VM_SPARSE_RATIO 16u

/* A leaf is tested member by member when fewer than one member in VM_FEW_CARE of the batch
 * matters (run_batch in vm.c). */
#define VM_FEW_CARE 16u

/* Largest `need` of an *_HASALL leaf tested with one byte lane per K entry (LK_CODE_MASK). */
#define VM_MASK_NEED 8u

/* Largest code space of a single-valued column tested through a byte per code (tab8). */
#define VM_BYTE_TABLE (1u << 16)

/* Numbers or days compared with each constant in turn, without a search, up to this many. */
#define VM_SMALL_IN 16u

typedef enum {
    LK_CODE_ANY,      /* some code of the member has its bit in table */
    LK_CODE_ALL,      /* every code of the member has its bit in table (and there is one) */
    LK_CODE_HASALL,   /* the member's codes reach `need` distinct K entries through kmap */
    LK_CODE_MASK,     /* the same with need <= VM_MASK_NEED: summing kmask over the member's codes
                       * leaves none of the `need` low byte lanes zero */
    LK_TEXT_FIND,     /* some folded value of the member contains needle[0..nlen) */
    LK_NUM_IN,        /* some number is in nums[0..nk) (sorted) */
    LK_NUM_RANGE,     /* some number is in [lo, hi] */
    LK_NUM_HASALL,    /* the member's numbers cover all of nums[0..nk) */
    LK_DAY_IN,        /* the same three over day numbers */
    LK_DAY_RANGE,
    LK_DAY_HASALL,
    LK_EMPTY,         /* the field is empty */
    LK_MEMBERS,       /* the member's own bit in table (REPORTS, IDS, text tests of `id`) */
    LK_SPARSE,        /* the member is in ids[0..nids) (sorted) */
    LK_NOTHING        /* no member (a constant that names nothing in this snapshot) */
} vm_leaf_kind;

typedef struct vm_leaf {
    uint8_t kind;          /* vm_leaf_kind */
    bool multi;
    const rs_column *col;  /* NULL for LK_MEMBERS from IDS and for LK_NOTHING */
    uint64_t *table;       /* CODE_ANY/ALL: a bit per code; MEMBERS: a bit per member */
    int32_t *kmap;         /* CODE_HASALL: code -> index of the K entry it equals, or -1 */
    uint64_t *kmask;       /* CODE_MASK: code -> 1 in the byte lane of the K entry it equals, or 0 */
    uint8_t *tab8;         /* CODE_ANY over a small single-valued column: table as a byte per code */
    const char *needle;    /* TEXT_FIND: folded, in the program's string pool */
    size_t nlen;
    double *nums;          /* NUM_IN/NUM_HASALL: distinct constants, sorted */
    int32_t *days;         /* DAY_IN/DAY_HASALL: distinct constants, sorted */
    uint32_t nk;           /* entries in nums/days */
    uint32_t need;         /* *_HASALL: distinct K entries a member must hold */
    double lo, hi;         /* NUM_RANGE, inclusive (strict bounds are moved one ulp inwards) */
    int64_t dlo, dhi;      /* DAY_RANGE, inclusive */
    uint32_t *ids;         /* SPARSE: the members that pass, ascending */
    uint32_t nids;
    bool scan;             /* waiting for a pass over its column to become a list (vm_prep.c) */
    uint32_t uses;         /* instructions that share this leaf */
    uint32_t memo;         /* slot in a context's memo area when uses > 1, else RS_NONE */
    /* the key that identifies equal leaves */
    uint8_t op, flags;
    uint32_t kset;
    uint64_t hash;
} vm_leaf;

/* Members by code, for one code column without stored postings: members[off[c] .. off[c+1]) hold
 * code c, ascending. Borrowed (reverse edges of a personnel column) or built once (owned). */
typedef struct vm_index {
    const uint32_t *off;
    const uint32_t *members;
    uint32_t *own_off, *own_members;   /* what was built here, freed with the VM */
} vm_index;

struct rs_vm {
    const rs_program *p;
    const rs_snapshot *s;
    int32_t today;
    int threads;              /* for preparing leaves (common/parallel.h) */
    bool *active;             /* per group: prepared and evaluated */
    const rs_column **fcol;   /* program field -> snapshot column */
    vm_leaf *leaves;
    uint32_t nleaves, cap_leaves;
    uint32_t *insn_leaf;      /* per instruction: its leaf, or RS_NONE for stack ops */
    uint32_t *rhs_end;        /* per instruction: the AND/OR/ANDNOT whose second operand starts
                               * here, or RS_NONE (see run_batch in vm.c) */
    uint32_t nmemo;           /* leaves that get a memo slot */
    uint32_t max_stack;       /* deepest stack of any group, recomputed from the code */
    uint32_t max_need;        /* largest `need` of a *_HASALL leaf (scratch size) */
    vm_index *index;          /* per snapshot column, built when a leaf needs it */
    /* the `id` column has no values of its own (they are the member ids): folded once, when a
     * rule reads it */
    char *id_folded;
    uint32_t *id_folded_off;  /* nmembers + 1 entries */
    pthread_mutex_t lock;     /* guards the two lazy builds above while leaves are prepared */
    bool lock_ready;
};

/* Per-thread scratch: everything a batch needs, allocated once per run. */
typedef struct vm_ctx {
    uint64_t *slots;          /* max_stack bitmaps of VM_BATCH_WORDS words */
    const uint64_t **stack;   /* what each stack position holds: its slot or a memo bitmap */
    uint64_t *memo;           /* nmemo bitmaps */
    uint32_t *memo_batch;     /* batch number + 1 whose bits each memo bitmap holds */
    uint64_t *memo_done;      /* per memo bitmap, VM_DONE_WORDS words: which of its words hold them */
    bool *memo_full;          /* per memo bitmap: all of them */
    uint64_t *need;           /* one bitmap: the words of a memo leaf to compute now */
    uint64_t *seen;           /* a bit per K entry, for *_HASALL */
    uint64_t *cares;          /* max_stack bitmaps: which members an operand still matters for */
    const uint64_t **care_stack;
    uint32_t *care_count;     /* the estimated members of each care bitmap on care_stack */
} vm_ctx;

#define VM_DONE_WORDS (VM_BATCH_WORDS / 64u)

/* vm_prep.c: checks the code, binds fields, builds the leaves of the active groups. Returns 0, or -1
 * with diagnostics. */
int vm_prepare(rs_vm *vm, rs_diags *d);
/* Frees what vm_prepare built. */
void vm_prepare_free(rs_vm *vm);

/* Position of x in the sorted v[0..n), or -1. */
static inline long vm_find_u32(const uint32_t *v, uint32_t n, uint32_t x) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? (long)lo : -1;
}

static inline long vm_find_num(const double *v, uint32_t n, double x) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? (long)lo : -1;
}

static inline long vm_find_day(const int32_t *v, uint32_t n, int32_t x) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? (long)lo : -1;
}

#endif
