/* vm.c: runs prepared group code (runtime/vm_prep.c prepares it) over batches of members, one
 * bitmap per instruction, on every core; and one member at a time for the incremental path.
 *
 * Reading order: the member test, the batch kernels, running a group over a batch, the entry points. */
#include "runtime/vm.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/vm_int.h"

/* ---- one member ---- */

static inline bool code_hit(const uint64_t *table, uint32_t code) { return rs_bm_get(table, code); }

/* Index of the K entry value p of the member equals, or -1 (the *_HASALL kinds). */
static long kindex(const vm_leaf *L, uint32_t p) {
    switch (L->kind) {
    case LK_CODE_HASALL: return L->kmap[L->col->codes[p]];
    case LK_NUM_HASALL: return vm_find_num(L->nums, L->nk, L->col->nums[p]);
    default: return vm_find_day(L->days, L->nk, L->col->days[p]);
    }
}

/* Whether values [b, e) reach every K entry; seen has a bit per entry and is left cleared. */
static bool has_all(const vm_leaf *L, uint32_t b, uint32_t e, uint64_t *seen) {
    uint32_t got = 0;
    for (uint32_t p = b; p < e; p++) {
        long k = kindex(L, p);
        if (k >= 0 && !rs_bm_get(seen, (size_t)k)) {
            rs_bm_set(seen, (size_t)k);
            got++;
        }
    }
    for (uint32_t p = b; p < e; p++) {
        long k = kindex(L, p);
        if (k >= 0) rs_bm_clear(seen, (size_t)k);
    }
    return got == L->need;
}

bool vm_leaf_test(const vm_leaf *L, uint32_t m, uint64_t *seen) {
    const rs_column *c = L->col;
    if (L->kind == LK_MEMBERS) return rs_bm_get(L->table, m);
    if (L->kind == LK_SPARSE) return vm_find_u32(L->ids, L->nids, m) >= 0;
    if (L->kind == LK_NOTHING) return false;
    if (L->kind == LK_EMPTY) return rs_bm_get(c->empty, m);
    if (rs_bm_get(c->empty, m)) return false;
    uint32_t b = L->multi ? c->offsets[m] : m, e = L->multi ? c->offsets[m + 1] : m + 1;
    switch (L->kind) {
    case LK_CODE_ANY:
        for (uint32_t p = b; p < e; p++)
            if (code_hit(L->table, c->codes[p])) return true;
        return false;
    case LK_CODE_ALL:
        for (uint32_t p = b; p < e; p++)
            if (!code_hit(L->table, c->codes[p])) return false;
        return b < e;
    case LK_NUM_IN:
        for (uint32_t p = b; p < e; p++)
            if (vm_find_num(L->nums, L->nk, c->nums[p]) >= 0) return true;
        return false;
    case LK_NUM_RANGE:
        for (uint32_t p = b; p < e; p++)
            if (c->nums[p] >= L->lo && c->nums[p] <= L->hi) return true;
        return false;
    case LK_DAY_IN:
        for (uint32_t p = b; p < e; p++)
            if (vm_find_day(L->days, L->nk, c->days[p]) >= 0) return true;
        return false;
    case LK_DAY_RANGE:
        for (uint32_t p = b; p < e; p++)
            if (c->days[p] >= L->dlo && c->days[p] <= L->dhi) return true;
        return false;
    default:
        return b < e && has_all(L, b, e, seen);
    }
}

/* ---- batch kernels: bits [first, first + n) of a leaf into out; first is a multiple of 64 and
 * bits past n stay zero ---- */

static uint64_t tail_mask(uint32_t n) { return n % 64 ? ((uint64_t)1 << (n % 64)) - 1 : ~(uint64_t)0; }

static void copy_bits(const uint64_t *src, uint32_t first, uint32_t n, uint64_t *out) {
    size_t nw = rs_bm_words(n);
    memcpy(out, src + first / 64, nw * sizeof *out);
    out[nw - 1] &= tail_mask(n);
}

/* The dense kernels test 64 members into 64 bytes (a loop the compiler can vectorise, with no
 * chain of variable shifts), then pack the bytes into a word: multiplying 8 bytes of 0/1 by
 * 0x0102040810204080 gathers them, least-significant first, into the top byte. */
static inline uint64_t pack64(uint8_t r[64], uint32_t lim) {
    if (lim < 64) memset(r + lim, 0, 64 - lim);
    uint64_t w = 0;
    for (uint32_t i = 0; i < 8; i++) {
        uint64_t b;
        memcpy(&b, r + 8 * i, 8);
        w |= ((b * 0x0102040810204080ull) >> 56) << (8 * i);
    }
    return w;
}

static inline uint32_t word_lim(uint32_t n, uint32_t w) { return n - w * 64 < 64 ? n - w * 64 : 64; }

/* A word no member of which matters (see run_batch) is not computed. */
#define SKIP_WORD(care, w, out) ((care) && !(care)[w] && ((out)[w] = 0, true))

/* r[j] = test for the lim members of a word; a full word gets a loop of constant length, which the
 * compiler vectorises where the test allows (32-bit compares). */
#define FILL_WORD(r, lim, j, test)                                                    \
    do {                                                                                \
        if ((lim) == 64)                                                                \
            for (uint32_t j = 0; j < 64; j++) (r)[j] = (uint8_t)(test);                \
        else                                                                            \
            for (uint32_t j = 0; j < (lim); j++) (r)[j] = (uint8_t)(test);             \
    } while (0)

/* The hot case: a single-valued code column against a bit table. */
static void kernel_code_single(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const uint32_t *codes = L->col->codes + first;
    const uint64_t *empty = L->col->empty + first / 64, *tab = L->table;
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const uint32_t *cw = codes + (size_t)w * 64;
        FILL_WORD(r, lim, j, (tab[cw[j] >> 6] >> (cw[j] & 63)) & 1);
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

static void kernel_num_range(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const double *v = L->col->nums + first;
    const uint64_t *empty = L->col->empty + first / 64;
    double lo = L->lo, hi = L->hi;
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const double *vw = v + (size_t)w * 64;
        FILL_WORD(r, lim, j, (vw[j] >= lo) & (vw[j] <= hi));
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

static void kernel_day_range(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const int32_t *v = L->col->days + first;
    const uint64_t *empty = L->col->empty + first / 64;
    /* bounds clamped to the day-number range, so the comparison stays in 32 bits */
    int32_t lo = L->dlo < INT32_MIN ? INT32_MIN : L->dlo > INT32_MAX ? INT32_MAX : (int32_t)L->dlo;
    int32_t hi = L->dhi > INT32_MAX ? INT32_MAX : L->dhi < INT32_MIN ? INT32_MIN : (int32_t)L->dhi;
    bool never = L->dlo > INT32_MAX || L->dhi < INT32_MIN || L->dlo > L->dhi;
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const int32_t *vw = v + (size_t)w * 64;
        FILL_WORD(r, lim, j, (vw[j] >= lo) & (vw[j] <= hi));
        out[w] = never ? 0 : pack64(r, lim) & ~empty[w];
    }
}

/* A multi-valued code column against a bit table: some value (IN, IN_TREE) or, `every`, all of
 * them and at least one (BELONG). */
static void kernel_code_multi(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, bool every,
                              const uint64_t *care) {
    const uint32_t *off = L->col->offsets + first, *codes = L->col->codes;
    const uint64_t *empty = L->col->empty + first / 64, *tab = L->table;
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        for (uint32_t j = 0; j < lim; j++) {
            uint32_t b = off[w * 64 + j], e = off[w * 64 + j + 1];
            uint8_t hit = every ? b < e : 0;
            if (every)
                for (uint32_t p = b; p < e; p++) hit &= (uint8_t)(tab[codes[p] >> 6] >> (codes[p] & 63));
            else
                for (uint32_t p = b; p < e; p++) hit |= (uint8_t)(tab[codes[p] >> 6] >> (codes[p] & 63));
            r[j] = hit & 1;
        }
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

/* Equality with a few numbers or days: compared one by one, without a search. */
#define SMALL_IN 4
static void kernel_num_in(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const double *v = L->col->nums + first;
    const uint64_t *empty = L->col->empty + first / 64;
    double k[SMALL_IN];
    for (uint32_t i = 0; i < SMALL_IN; i++) k[i] = L->nums[i < L->nk ? i : 0];
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const double *vw = v + (size_t)w * 64;
        FILL_WORD(r, lim, j, (vw[j] == k[0]) | (vw[j] == k[1]) | (vw[j] == k[2]) | (vw[j] == k[3]));
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

static void kernel_day_in(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const int32_t *v = L->col->days + first;
    const uint64_t *empty = L->col->empty + first / 64;
    int32_t k[SMALL_IN];
    for (uint32_t i = 0; i < SMALL_IN; i++) k[i] = L->days[i < L->nk ? i : 0];
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const int32_t *vw = v + (size_t)w * 64;
        FILL_WORD(r, lim, j, (vw[j] == k[0]) | (vw[j] == k[1]) | (vw[j] == k[2]) | (vw[j] == k[3]));
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

/* A member list: clear the batch, then set the bits of the members inside it. */
static void kernel_sparse(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out) {
    memset(out, 0, rs_bm_words(n) * sizeof *out);
    uint32_t lo = 0, hi = L->nids;
    while (lo < hi) {   /* first member of the batch */
        uint32_t mid = lo + (hi - lo) / 2;
        if (L->ids[mid] < first) lo = mid + 1;
        else hi = mid;
    }
    for (uint32_t i = lo; i < L->nids && L->ids[i] - first < n; i++) rs_bm_set(out, L->ids[i] - first);
}

static void kernel_generic(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, uint64_t *seen,
                           const uint64_t *care) {
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        for (uint32_t j = 0; j < lim; j++) r[j] = vm_leaf_test(L, first + w * 64 + j, seen);
        out[w] = pack64(r, lim);
    }
}

/* Bits [first, first + n) of a leaf into out; where care is given, only the words with a member
 * in care are exact (the others are zero). */
static void eval_leaf(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, uint64_t *seen,
                      const uint64_t *care) {
    switch (L->kind) {
    case LK_MEMBERS: copy_bits(L->table, first, n, out); return;
    case LK_EMPTY: copy_bits(L->col->empty, first, n, out); return;
    case LK_NOTHING: memset(out, 0, rs_bm_words(n) * sizeof *out); return;
    case LK_SPARSE: kernel_sparse(L, first, n, out); return;
    case LK_CODE_ANY:
    case LK_CODE_ALL:
        if (L->multi) kernel_code_multi(L, first, n, out, L->kind == LK_CODE_ALL, care);
        else if (L->kind == LK_CODE_ANY) kernel_code_single(L, first, n, out, care);
        else break;
        return;
    case LK_NUM_RANGE:
        if (!L->multi) { kernel_num_range(L, first, n, out, care); return; }
        break;
    case LK_DAY_RANGE:
        if (!L->multi) { kernel_day_range(L, first, n, out, care); return; }
        break;
    case LK_NUM_IN:
        if (!L->multi && L->nk >= 1 && L->nk <= SMALL_IN) { kernel_num_in(L, first, n, out, care); return; }
        break;
    case LK_DAY_IN:
        if (!L->multi && L->nk >= 1 && L->nk <= SMALL_IN) { kernel_day_in(L, first, n, out, care); return; }
        break;
    default: break;
    }
    kernel_generic(L, first, n, out, seen, care);
}

/* ---- a group over one batch ---- */

static void ctx_init(const rs_vm *vm, vm_ctx *c) {
    size_t stack = vm->max_stack ? vm->max_stack : 1;
    c->slots = rs_malloc(stack * VM_BATCH_WORDS * sizeof *c->slots);
    c->stack = rs_calloc(stack, sizeof *c->stack);
    c->memo = rs_malloc(((size_t)vm->nmemo * VM_BATCH_WORDS + 1) * sizeof *c->memo);
    c->memo_batch = rs_calloc((size_t)vm->nmemo + 1, sizeof *c->memo_batch);
    c->seen = rs_calloc(rs_bm_words(vm->max_need) + 1, sizeof *c->seen);
    c->cares = rs_malloc(stack * VM_BATCH_WORDS * sizeof *c->cares);
    c->care_stack = rs_calloc(stack, sizeof *c->care_stack);
}

static void ctx_free(vm_ctx *c) {
    free(c->slots);
    free(c->stack);
    free(c->memo);
    free(c->memo_batch);
    free(c->seen);
    free(c->cares);
    free(c->care_stack);
}

/* A shared leaf is computed once per batch, in full, since each instruction using it may care for
 * other members. */
static const uint64_t *leaf_bits(vm_ctx *c, const vm_leaf *L, uint32_t batch, uint32_t n, uint64_t *slot,
                                 const uint64_t *care) {
    uint32_t first = batch * VM_BATCH_BITS;
    if (L->memo == RS_NONE) {
        eval_leaf(L, first, n, slot, c->seen, care);
        return slot;
    }
    uint64_t *m = c->memo + (size_t)L->memo * VM_BATCH_WORDS;
    if (c->memo_batch[L->memo] != batch + 1) {
        eval_leaf(L, first, n, m, c->seen, NULL);
        c->memo_batch[L->memo] = batch + 1;
    }
    return m;
}

/* Entering the second operand of `a AND b` (or ANDNOT): b matters only where a holds; of `a OR b`,
 * only where a does not. The members that matter ("care") narrow as operands nest, and a leaf skips
 * the words with none of them. When none is left in the batch, the operand is skipped whole and a
 * stands for the result: exact for every member that matters. Returns the next instruction. */
static uint32_t enter_operand(const rs_vm *vm, vm_ctx *c, uint32_t pc, uint32_t sp, uint32_t *cdepth,
                              const uint64_t **care, size_t nw) {
    uint32_t end = vm->rhs_end[pc];
    bool or_ = vm->p->code[end].op == RS_OP_OR;
    const uint64_t *a = c->stack[sp - 1], *parent = *care;
    uint64_t *nc = c->cares + (size_t)*cdepth * VM_BATCH_WORDS, any = 0;
    for (size_t w = 0; w < nw; w++) {
        nc[w] = (parent ? parent[w] : ~(uint64_t)0) & (or_ ? ~a[w] : a[w]);
        any |= nc[w];
    }
    if (!any) return end + 1;
    c->care_stack[(*cdepth)++] = parent;
    *care = nc;
    return pc;
}

/* Runs group g over batch `batch` (n members); returns its bitmap (valid until the next call). */
static const uint64_t *run_batch(const rs_vm *vm, vm_ctx *c, uint32_t g, uint32_t batch, uint32_t n) {
    const rs_pgroup *pg = &vm->p->groups[g];
    size_t nw = rs_bm_words(n);
    uint32_t sp = 0, cdepth = 0, end = pg->code_start + pg->code_len;
    const uint64_t *care = NULL;   /* NULL: every member matters */
    for (uint32_t pc = pg->code_start; pc < end; pc++) {
        if (vm->rhs_end[pc] != RS_NONE) {
            uint32_t next = enter_operand(vm, c, pc, sp, &cdepth, &care, nw);
            if (next != pc) {
                pc = next - 1;
                continue;
            }
        }
        uint8_t op = vm->p->code[pc].op;
        uint64_t *dst;
        const uint64_t *a, *b;
        switch (op) {
        case RS_OP_ALL:
        case RS_OP_NONE:
            dst = c->slots + (size_t)sp * VM_BATCH_WORDS;
            memset(dst, op == RS_OP_ALL ? 0xff : 0, nw * sizeof *dst);
            dst[nw - 1] &= tail_mask(n);
            c->stack[sp++] = dst;
            break;
        case RS_OP_NOT:
            a = c->stack[sp - 1];
            dst = c->slots + (size_t)(sp - 1) * VM_BATCH_WORDS;
            for (size_t w = 0; w < nw; w++) dst[w] = ~a[w];
            dst[nw - 1] &= tail_mask(n);
            c->stack[sp - 1] = dst;
            break;
        case RS_OP_AND:
        case RS_OP_OR:
        case RS_OP_ANDNOT:
            a = c->stack[sp - 2], b = c->stack[sp - 1];
            dst = c->slots + (size_t)(sp - 2) * VM_BATCH_WORDS;
            if (op == RS_OP_AND) for (size_t w = 0; w < nw; w++) dst[w] = a[w] & b[w];
            else if (op == RS_OP_OR) for (size_t w = 0; w < nw; w++) dst[w] = a[w] | b[w];
            else for (size_t w = 0; w < nw; w++) dst[w] = a[w] & ~b[w];
            c->stack[sp - 2] = dst;
            sp--;
            care = c->care_stack[--cdepth];   /* leaving the second operand */
            break;
        default:
            dst = c->slots + (size_t)sp * VM_BATCH_WORDS;
            c->stack[sp++] = leaf_bits(c, &vm->leaves[vm->insn_leaf[pc]], batch, n, dst, care);
            break;
        }
    }
    return c->stack[0];
}

static uint32_t batch_count(const rs_vm *vm) {
    return (vm->s->nmembers + VM_BATCH_BITS - 1) / VM_BATCH_BITS;
}

static uint32_t batch_size(const rs_vm *vm, uint32_t batch) {
    uint32_t first = batch * VM_BATCH_BITS, left = vm->s->nmembers - first;
    return left < VM_BATCH_BITS ? left : VM_BATCH_BITS;
}

static void store(uint64_t *out, uint32_t batch, const uint64_t *bits, uint32_t n) {
    memcpy(out + (size_t)batch * VM_BATCH_WORDS, bits, rs_bm_words(n) * sizeof *out);
}

/* ---- entry points ---- */

int rs_vm_eval_group(rs_vm *vm, uint32_t group, uint64_t *out) {
    if (!vm || group >= vm->p->ngroups) return -1;
    vm_ctx c;
    ctx_init(vm, &c);
    for (uint32_t b = 0; b < batch_count(vm); b++) {
        uint32_t n = batch_size(vm, b);
        store(out, b, run_batch(vm, &c, group, b, n), n);
    }
    ctx_free(&c);
    return 0;
}

typedef struct vm_job {
    const rs_vm *vm;
    uint64_t **out;
    uint32_t nbatches;
    atomic_uint next;   /* next batch to take: threads share the work batch by batch */
} vm_job;

static void *worker(void *arg) {
    vm_job *job = arg;
    const rs_vm *vm = job->vm;
    vm_ctx c;
    ctx_init(vm, &c);
    for (;;) {
        uint32_t b = atomic_fetch_add(&job->next, 1u);
        if (b >= job->nbatches) break;
        uint32_t n = batch_size(vm, b);
        for (uint32_t g = 0; g < vm->p->ngroups; g++) store(job->out[g], b, run_batch(vm, &c, g, b, n), n);
    }
    ctx_free(&c);
    return NULL;
}

int rs_vm_eval_all(rs_vm *vm, uint64_t **out, int threads) {
    if (!vm) return -1;
    size_t words = rs_bm_words(vm->s->nmembers);
    for (uint32_t g = 0; g < vm->p->ngroups; g++) out[g] = rs_calloc(words ? words : 1, sizeof(uint64_t));
    vm_job job = {.vm = vm, .out = out, .nbatches = batch_count(vm)};
    atomic_init(&job.next, 0u);
    long want = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (want < 1) want = 1;
    if (want > (long)job.nbatches) want = job.nbatches ? (long)job.nbatches : 1;
    if (want > 256) want = 256;
    pthread_t tid[256];
    int started = 0;
    /* the calling thread is one of the workers; a thread that cannot start leaves its share to
     * the others */
    for (long t = 1; t < want; t++)
        if (pthread_create(&tid[started], NULL, worker, &job) == 0) started++;
    worker(&job);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    return 0;
}

bool rs_vm_eval_member(rs_vm *vm, uint32_t group, uint32_t member) {
    if (!vm || group >= vm->p->ngroups || member >= vm->s->nmembers) return false;
    bool small_stack[64];
    uint64_t small_seen[64];
    bool *st = vm->max_stack <= 64 ? small_stack : rs_malloc(vm->max_stack);
    uint64_t *seen = vm->max_need <= 64 * 64 ? small_seen : rs_malloc(rs_bm_words(vm->max_need) * 8);
    memset(seen, 0, rs_bm_words(vm->max_need) * sizeof *seen);
    const rs_pgroup *pg = &vm->p->groups[group];
    uint32_t sp = 0;
    for (uint32_t pc = pg->code_start; pc < pg->code_start + pg->code_len; pc++) {
        uint32_t end = vm->rhs_end[pc];
        if (end != RS_NONE && st[sp - 1] == (vm->p->code[end].op == RS_OP_OR)) {
            pc = end;   /* the first operand decides: the second is not evaluated */
            continue;
        }
        switch (vm->p->code[pc].op) {
        case RS_OP_ALL: st[sp++] = true; break;
        case RS_OP_NONE: st[sp++] = false; break;
        case RS_OP_NOT: st[sp - 1] = !st[sp - 1]; break;
        case RS_OP_AND: st[sp - 2] = st[sp - 2] && st[sp - 1], sp--; break;
        case RS_OP_OR: st[sp - 2] = st[sp - 2] || st[sp - 1], sp--; break;
        case RS_OP_ANDNOT: st[sp - 2] = st[sp - 2] && !st[sp - 1], sp--; break;
        default: st[sp++] = vm_leaf_test(&vm->leaves[vm->insn_leaf[pc]], member, seen); break;
        }
    }
    bool r = st[0];
    if (st != small_stack) free(st);
    if (seen != small_seen) free(seen);
    return r;
}

void rs_vm_free(rs_vm *vm) {
    if (!vm) return;
    vm_prepare_free(vm);
    free(vm);
}

rs_vm *rs_vm_new(const rs_program *p, const rs_snapshot *s, int32_t today, rs_diags *diags) {
    rs_vm *vm = rs_calloc(1, sizeof *vm);
    vm->p = p;
    vm->s = s;
    vm->today = today;
    if (vm_prepare(vm, diags) != 0) {
        rs_vm_free(vm);
        return NULL;
    }
    return vm;
}
