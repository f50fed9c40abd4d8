/* vm.c: runs prepared group code (runtime/vm_prep.c prepares it) over batches of members, one
 * bitmap per instruction, on the threads the caller allows; and one member at a time for the
 * incremental path.
 *
 * Reading order: the batch kernels, running a group over a batch, the entry points; the test of one
 * member, which vm_prep.c uses too, is in vm_leaf.h. */
#include "runtime/vm.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "common/parallel.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/vm_int.h"
#include "runtime/vm_leaf.h"

/* ---- batch kernels: bits [first, first + n) of a leaf into out; first is a multiple of 64 and
 * bits past n stay zero ---- */

static uint64_t tail_mask(uint32_t n) { return n % 64 ? ((uint64_t)1 << (n % 64)) - 1 : ~(uint64_t)0; }

static void copy_bits(const uint64_t *src, uint32_t first, uint32_t n, uint64_t *out) {
    size_t nw = rs_bm_words(n);
    memcpy(out, src + first / 64, nw * sizeof *out);
    out[nw - 1] &= tail_mask(n);
}

/* The dense kernels compute a word of 64 members at a time. Tests that gather (a bit table indexed
 * by code) go through 64 bytes of 0/1, packed into the word afterwards; number and date comparisons
 * use 2 or 4 lanes at once and a movemask where SSE2 is there (every x86-64), plain C elsewhere.
 * The last, partial word of the snapshot is done one member at a time. */
static inline uint64_t pack64(uint8_t r[64], uint32_t lim) {
    if (lim < 64) memset(r + lim, 0, 64 - lim);
    uint64_t w = 0;
#if VM_SSE2
    /* 0/1 bytes shifted to their top bit: one movemask packs 16 */
    for (uint32_t i = 0; i < 4; i++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(r + 16 * i));
        w |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_slli_epi16(x, 7)) << (16 * i);
    }
#else
    /* multiplying 8 bytes of 0/1 by 0x0102040810204080 gathers them, least-significant first, into
     * the top byte */
    for (uint32_t i = 0; i < 8; i++) {
        uint64_t b;
        memcpy(&b, r + 8 * i, 8);
        w |= ((b * 0x0102040810204080ull) >> 56) << (8 * i);
    }
#endif
    return w;
}

static inline uint32_t word_lim(uint32_t n, uint32_t w) { return n - w * 64 < 64 ? n - w * 64 : 64; }

/* A word no member of which matters (see run_batch) is not computed, nor written: what it holds is
 * never read for a member that matters. */
#define SKIP_WORD(care, w, out) ((void)(out), (care) && !(care)[w])

/* bits = the test of members j < lim, one at a time (the partial word). */
#define BITS_SLOW(bits, lim, j, test)                                                     \
    do {                                                                                    \
        (bits) = 0;                                                                         \
        for (uint32_t j = 0; j < (lim); j++) (bits) |= (uint64_t)((test) ? 1 : 0) << j;     \
    } while (0)

/* Full words of numbers and dates: lo <= v <= hi, and v equal to one of k[0..nk). */
static inline uint64_t f64_range64(const double *v, double lo, double hi) {
    uint64_t bits = 0;
#if VM_SSE2
    __m128d l = _mm_set1_pd(lo), h = _mm_set1_pd(hi);
    for (uint32_t j = 0; j < 64; j += 2) {
        __m128d x = _mm_loadu_pd(v + j);
        bits |= (uint64_t)_mm_movemask_pd(_mm_and_pd(_mm_cmpge_pd(x, l), _mm_cmple_pd(x, h))) << j;
    }
#else
    uint8_t r[64];
    for (uint32_t j = 0; j < 64; j++) r[j] = (uint8_t)((v[j] >= lo) & (v[j] <= hi));
    bits = pack64(r, 64);
#endif
    return bits;
}

static inline uint64_t f64_in64(const double *v, const double *k, uint32_t nk) {
    uint64_t bits = 0;
#if VM_SSE2
    for (uint32_t j = 0; j < 64; j += 2) {
        __m128d x = _mm_loadu_pd(v + j), hit = _mm_cmpeq_pd(x, _mm_set1_pd(k[0]));
        for (uint32_t i = 1; i < nk; i++) hit = _mm_or_pd(hit, _mm_cmpeq_pd(x, _mm_set1_pd(k[i])));
        bits |= (uint64_t)_mm_movemask_pd(hit) << j;
    }
#else
    uint8_t r[64];
    for (uint32_t j = 0; j < 64; j++) r[j] = v[j] == k[0];
    for (uint32_t i = 1; i < nk; i++)
        for (uint32_t j = 0; j < 64; j++) r[j] |= (uint8_t)(v[j] == k[i]);
    bits = pack64(r, 64);
#endif
    return bits;
}

static inline uint64_t i32_range64(const int32_t *v, int32_t lo, int32_t hi) {
    uint64_t bits = 0;
#if VM_SSE2
    __m128i l = _mm_set1_epi32(lo), h = _mm_set1_epi32(hi);
    for (uint32_t j = 0; j < 64; j += 4) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + j));
        __m128i out = _mm_or_si128(_mm_cmplt_epi32(x, l), _mm_cmpgt_epi32(x, h));
        bits |= (uint64_t)(~_mm_movemask_ps(_mm_castsi128_ps(out)) & 0xf) << j;
    }
#else
    uint8_t r[64];
    for (uint32_t j = 0; j < 64; j++) r[j] = (uint8_t)((v[j] >= lo) & (v[j] <= hi));
    bits = pack64(r, 64);
#endif
    return bits;
}

static inline uint64_t i32_in64(const int32_t *v, const int32_t *k, uint32_t nk) {
    uint64_t bits = 0;
#if VM_SSE2
    for (uint32_t j = 0; j < 64; j += 4) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + j));
        __m128i hit = _mm_cmpeq_epi32(x, _mm_set1_epi32(k[0]));
        for (uint32_t i = 1; i < nk; i++) hit = _mm_or_si128(hit, _mm_cmpeq_epi32(x, _mm_set1_epi32(k[i])));
        bits |= (uint64_t)_mm_movemask_ps(_mm_castsi128_ps(hit)) << j;
    }
#else
    uint8_t r[64];
    for (uint32_t j = 0; j < 64; j++) r[j] = v[j] == k[0];
    for (uint32_t i = 1; i < nk; i++)
        for (uint32_t j = 0; j < 64; j++) r[j] |= (uint8_t)(v[j] == k[i]);
    bits = pack64(r, 64);
#endif
    return bits;
}

/* The hot case: a single-valued code column against a bit table. */
static void kernel_code_single(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const uint32_t *codes = L->col->codes + first;
    const uint64_t *empty = L->col->empty + first / 64, *tab = L->table;
    const uint8_t *t8 = L->tab8;
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const uint32_t *cw = codes + (size_t)w * 64;
        if (t8)
            for (uint32_t j = 0; j < lim; j++) r[j] = t8[cw[j]];
        else
            for (uint32_t j = 0; j < lim; j++) r[j] = (uint8_t)((tab[cw[j] >> 6] >> (cw[j] & 63)) & 1);
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

static void kernel_num_range(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const double *v = L->col->nums + first;
    const uint64_t *empty = L->col->empty + first / 64;
    double lo = L->lo, hi = L->hi;
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const double *vw = v + (size_t)w * 64;
        uint64_t bits;
        if (lim == 64) bits = f64_range64(vw, lo, hi);
        else BITS_SLOW(bits, lim, j, vw[j] >= lo && vw[j] <= hi);
        out[w] = bits & ~empty[w];
    }
}

static void kernel_day_range(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const int32_t *v = L->col->days + first;
    const uint64_t *empty = L->col->empty + first / 64;
    /* bounds clamped to the day-number range, so the comparison stays in 32 bits */
    int32_t lo = L->dlo < INT32_MIN ? INT32_MIN : L->dlo > INT32_MAX ? INT32_MAX : (int32_t)L->dlo;
    int32_t hi = L->dhi > INT32_MAX ? INT32_MAX : L->dhi < INT32_MIN ? INT32_MIN : (int32_t)L->dhi;
    bool never = L->dlo > INT32_MAX || L->dhi < INT32_MIN || L->dlo > L->dhi;
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const int32_t *vw = v + (size_t)w * 64;
        uint64_t bits;
        if (lim == 64) bits = i32_range64(vw, lo, hi);
        else BITS_SLOW(bits, lim, j, vw[j] >= lo && vw[j] <= hi);
        out[w] = never ? 0 : bits & ~empty[w];
    }
}

/* Values of 64 members counted at once by kernel_code_multi; more go member by member. */
#define MULTI_SPAN 1024u

/* One member at a time: the values of o[j] .. o[j+1). */
static void multi_word_slow(const uint32_t *o, const uint32_t *codes, const uint64_t *tab, bool every,
                            uint32_t lim, uint8_t r[64]) {
    for (uint32_t j = 0; j < lim; j++) {
        uint32_t b = o[j], e = o[j + 1];
        uint8_t hit = every ? b < e : 0;
        if (every)
            for (uint32_t p = b; p < e; p++) hit &= (uint8_t)(tab[codes[p] >> 6] >> (codes[p] & 63));
        else
            for (uint32_t p = b; p < e; p++) hit |= (uint8_t)(tab[codes[p] >> 6] >> (codes[p] & 63));
        r[j] = hit & 1;
    }
}

/* A multi-valued code column against a bit table: some value (IN, IN_TREE) or, `every`, all of
 * them and at least one (BELONG). Most members hold one value and a few several, so a loop per
 * member mispredicts its exit: instead the hits of a word's values are counted into a running sum,
 * and a member's hits are the difference of the sums at its two offsets, without a branch. */
static void kernel_code_multi(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, bool every,
                              const uint64_t *care) {
    const uint32_t *off = L->col->offsets + first, *codes = L->col->codes;
    const uint64_t *empty = L->col->empty + first / 64, *tab = L->table;
    uint8_t r[64];
    uint16_t sum[MULTI_SPAN + 1];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const uint32_t *o = off + (size_t)w * 64;
        uint32_t vb = o[0], nv = o[lim] - vb;
        if (nv > MULTI_SPAN) {
            multi_word_slow(o, codes, tab, every, lim, r);
        } else {
            sum[0] = 0;
            for (uint32_t i = 0; i < nv; i++) {
                uint32_t code = codes[vb + i];
                sum[i + 1] = (uint16_t)(sum[i] + ((tab[code >> 6] >> (code & 63)) & 1));
            }
            for (uint32_t j = 0; j < lim; j++) {
                uint32_t b = o[j] - vb, e = o[j + 1] - vb, hits = (uint32_t)sum[e] - sum[b];
                r[j] = every ? (uint8_t)((hits == e - b) & (e > b)) : (uint8_t)(hits != 0);
            }
        }
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

/* `include all` through per-code lane counts: a member holds every K entry when none of its
 * lanes is zero. As in kernel_code_multi, a member's counts are the difference of running sums,
 * which stay exact while a word has fewer than 256 values (no lane overflows). */
static void kernel_code_mask(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const rs_column *c = L->col;
    const uint64_t *empty = c->empty + first / 64, *km = L->kmask, highs = vm_lane_highs(L->need);
    uint64_t sum[256];
    uint8_t r[64];
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w), m0 = first + w * 64;
        if (SKIP_WORD(care, w, out)) continue;
        const uint32_t *o = L->multi ? c->offsets + m0 : NULL;
        uint32_t vb = o ? o[0] : m0, nv = o ? o[lim] - vb : lim;
        if (nv > 255) {
            for (uint32_t j = 0; j < lim; j++) r[j] = vm_leaf_test(L, m0 + j, NULL);
        } else {
            sum[0] = 0;
            for (uint32_t i = 0; i < nv; i++) sum[i + 1] = sum[i] + km[c->codes[vb + i]];
            for (uint32_t j = 0; j < lim; j++) {
                uint32_t b = o ? o[j] - vb : j, e = o ? o[j + 1] - vb : j + 1;
                r[j] = (uint8_t)(vm_lanes_full(sum[e] - sum[b], highs) & (e > b));
            }
        }
        out[w] = pack64(r, lim) & ~empty[w];
    }
}

/* Equality with a few numbers or days (up to VM_SMALL_IN): every constant compared in turn, with no
 * search per member. */
static bool in_list_f64(double x, const double *k, uint32_t nk) {
    bool hit = false;
    for (uint32_t i = 0; i < nk; i++) hit |= x == k[i];
    return hit;
}

static bool in_list_i32(int32_t x, const int32_t *k, uint32_t nk) {
    bool hit = false;
    for (uint32_t i = 0; i < nk; i++) hit |= x == k[i];
    return hit;
}

static void kernel_num_in(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const double *v = L->col->nums + first;
    const uint64_t *empty = L->col->empty + first / 64;
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const double *vw = v + (size_t)w * 64;
        uint64_t bits;
        if (lim == 64) bits = f64_in64(vw, L->nums, L->nk);
        else BITS_SLOW(bits, lim, j, in_list_f64(vw[j], L->nums, L->nk));
        out[w] = bits & ~empty[w];
    }
}

static void kernel_day_in(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const int32_t *v = L->col->days + first;
    const uint64_t *empty = L->col->empty + first / 64;
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t lim = word_lim(n, w);
        if (SKIP_WORD(care, w, out)) continue;
        const int32_t *vw = v + (size_t)w * 64;
        uint64_t bits;
        if (lim == 64) bits = i32_in64(vw, L->days, L->nk);
        else BITS_SLOW(bits, lim, j, in_list_i32(vw[j], L->days, L->nk));
        out[w] = bits & ~empty[w];
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

/* Substring search in the folded value of each member that matters (not of a whole word: the
 * search is the expensive part). */
static void kernel_text_find(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, const uint64_t *care) {
    const rs_column *c = L->col;
    const rs_strtab *t = &c->dict.folded;
    vm_finder f;
    vm_leaf_finder(L, &f);
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint32_t m0 = first + w * 64;
        uint64_t want = (care ? care[w] : ~(uint64_t)0) & tail_mask(word_lim(n, w)) & ~c->empty[m0 / 64], bits = 0;
        if (!want) {
            if (!care || care[w]) out[w] = 0;   /* only empty members matter here */
            continue;
        }
        for (; want; want &= want - 1) {
            uint32_t j = (uint32_t)__builtin_ctzll(want), m = m0 + j, hit = 0;
            if (!L->multi) hit = vm_text_find(t, &f, c->codes[m]);
            else
                for (uint32_t p = c->offsets[m]; p < c->offsets[m + 1] && !hit; p++)
                    hit = vm_text_find(t, &f, c->codes[p]);
            bits |= (uint64_t)hit << j;
        }
        out[w] = bits;
    }
}

/* Member by member, and only the members that matter: the expensive tests (a substring search, a
 * search among many constants) pay only for them. */
static void kernel_generic(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, uint64_t *seen,
                           const uint64_t *care) {
    for (uint32_t w = 0; w * 64 < n; w++) {
        uint64_t want = (care ? care[w] : ~(uint64_t)0) & tail_mask(word_lim(n, w)), bits = 0;
        if (!want) continue;
        for (; want; want &= want - 1) {
            uint32_t j = (uint32_t)__builtin_ctzll(want);
            if (vm_leaf_test(L, first + w * 64 + j, seen)) bits |= (uint64_t)1 << j;
        }
        out[w] = bits;
    }
}

/* Bits [first, first + n) of a leaf into out, exact for every member in care (every member when
 * care is NULL); other bits are left as they are or set to anything. ccount estimates how many
 * members care holds: when few do, testing them one by one beats the word kernels, since members
 * that matter are scattered over most words (a department's members are not neighbours). Returns
 * true when every word was written exactly. */
static bool eval_leaf(const vm_leaf *L, uint32_t first, uint32_t n, uint64_t *out, uint64_t *seen,
                      const uint64_t *care, uint32_t ccount) {
    bool word_kernel = L->kind != LK_MEMBERS && L->kind != LK_EMPTY && L->kind != LK_NOTHING &&
                       L->kind != LK_SPARSE && L->kind != LK_TEXT_FIND;   /* the others are cheap or per member */
    if (care && word_kernel && (uint64_t)ccount * VM_FEW_CARE < n) {
        kernel_generic(L, first, n, out, seen, care);
        return false;
    }
    switch (L->kind) {
    case LK_MEMBERS: copy_bits(L->table, first, n, out); return true;
    case LK_EMPTY: copy_bits(L->col->empty, first, n, out); return true;
    case LK_NOTHING: memset(out, 0, rs_bm_words(n) * sizeof *out); return true;
    case LK_SPARSE: kernel_sparse(L, first, n, out); return true;
    case LK_CODE_ANY:
    case LK_CODE_ALL:
        if (L->multi) kernel_code_multi(L, first, n, out, L->kind == LK_CODE_ALL, care);
        else if (L->kind == LK_CODE_ANY) kernel_code_single(L, first, n, out, care);
        else break;
        return false;
    case LK_CODE_MASK: kernel_code_mask(L, first, n, out, care); return false;
    case LK_TEXT_FIND: kernel_text_find(L, first, n, out, care); return false;
    case LK_NUM_RANGE:
        if (!L->multi) { kernel_num_range(L, first, n, out, care); return false; }
        break;
    case LK_DAY_RANGE:
        if (!L->multi) { kernel_day_range(L, first, n, out, care); return false; }
        break;
    case LK_NUM_IN:
        if (!L->multi && L->nk >= 1 && L->nk <= VM_SMALL_IN) { kernel_num_in(L, first, n, out, care); return false; }
        break;
    case LK_DAY_IN:
        if (!L->multi && L->nk >= 1 && L->nk <= VM_SMALL_IN) { kernel_day_in(L, first, n, out, care); return false; }
        break;
    default: break;
    }
    kernel_generic(L, first, n, out, seen, care);
    return false;
}

/* ---- a group over one batch ---- */

static void ctx_init(const rs_vm *vm, vm_ctx *c) {
    size_t stack = vm->max_stack ? vm->max_stack : 1;
    c->slots = rs_malloc(stack * VM_BATCH_WORDS * sizeof *c->slots);
    c->stack = rs_calloc(stack, sizeof *c->stack);
    c->memo = rs_malloc(((size_t)vm->nmemo * VM_BATCH_WORDS + 1) * sizeof *c->memo);
    c->memo_batch = rs_calloc((size_t)vm->nmemo + 1, sizeof *c->memo_batch);
    c->memo_done = rs_calloc(((size_t)vm->nmemo + 1) * VM_DONE_WORDS, sizeof *c->memo_done);
    c->memo_full = rs_calloc((size_t)vm->nmemo + 1, sizeof *c->memo_full);
    c->need = rs_malloc(VM_BATCH_WORDS * sizeof *c->need);
    c->seen = rs_calloc(rs_bm_words(vm->max_need) + 1, sizeof *c->seen);
    c->cares = rs_malloc(stack * VM_BATCH_WORDS * sizeof *c->cares);
    c->care_stack = rs_calloc(stack, sizeof *c->care_stack);
    c->care_count = rs_calloc(stack, sizeof *c->care_count);
}

static void ctx_free(vm_ctx *c) {
    free(c->slots);
    free(c->stack);
    free(c->memo);
    free(c->memo_batch);
    free(c->memo_done);
    free(c->memo_full);
    free(c->need);
    free(c->seen);
    free(c->cares);
    free(c->care_stack);
    free(c->care_count);
}

/* ---- whole-bitmap operations (2 words at a time where SSE2 is there) ---- */

/* dst = a op b over nw words; op is AND, OR, ANDNOT or NOT (b unused). */
static void words_op(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t nw, uint8_t op) {
    size_t w = 0;
#if VM_SSE2
    const __m128i ones = _mm_set1_epi32(-1);
    for (; w + 2 <= nw; w += 2) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + w)), y = ones, r;
        if (op != RS_OP_NOT) y = _mm_loadu_si128((const __m128i *)(const void *)(b + w));
        switch (op) {
        case RS_OP_AND: r = _mm_and_si128(x, y); break;
        case RS_OP_OR: r = _mm_or_si128(x, y); break;
        case RS_OP_ANDNOT: r = _mm_andnot_si128(y, x); break;
        default: r = _mm_xor_si128(x, ones); break;
        }
        _mm_storeu_si128((__m128i *)(void *)(dst + w), r);
    }
#endif
    for (; w < nw; w++) {
        switch (op) {
        case RS_OP_AND: dst[w] = a[w] & b[w]; break;
        case RS_OP_OR: dst[w] = a[w] | b[w]; break;
        case RS_OP_ANDNOT: dst[w] = a[w] & ~b[w]; break;
        default: dst[w] = ~a[w]; break;
        }
    }
}

/* Bits set in x, without the libgcc call __builtin_popcountll becomes on plain x86-64. */
static inline uint32_t popcount64(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

/* A shared leaf is computed at most once per word and batch: the words its first user cares about,
 * then whatever words a later user needs besides. Each word is computed whole, since another user
 * may care about other members of it. */
static const uint64_t *leaf_bits(vm_ctx *c, const vm_leaf *L, uint32_t batch, uint32_t n, uint64_t *slot,
                                 const uint64_t *care, uint32_t ccount) {
    uint32_t first = batch * VM_BATCH_BITS;
    if (L->memo == RS_NONE) {
        eval_leaf(L, first, n, slot, c->seen, care, ccount);
        return slot;
    }
    uint64_t *m = c->memo + (size_t)L->memo * VM_BATCH_WORDS, *done = c->memo_done + (size_t)L->memo * VM_DONE_WORDS;
    if (c->memo_batch[L->memo] != batch + 1) {
        memset(done, 0, VM_DONE_WORDS * sizeof *done);
        c->memo_full[L->memo] = false;
        c->memo_batch[L->memo] = batch + 1;
    }
    if (c->memo_full[L->memo]) return m;
    if (!care) {   /* every word is needed: the ones done are simply computed again */
        eval_leaf(L, first, n, m, c->seen, NULL, n);
        c->memo_full[L->memo] = true;
        return m;
    }
    size_t nw = rs_bm_words(n);
    uint64_t any = 0;
    for (size_t w = 0; w < nw; w++) {
        bool want = care[w] && !rs_bm_get(done, w);
        c->need[w] = want ? ~(uint64_t)0 : 0;
        any |= c->need[w];
    }
    if (!any) return m;
    if (eval_leaf(L, first, n, m, c->seen, c->need, n)) {
        c->memo_full[L->memo] = true;
        return m;
    }
    for (size_t w = 0; w < nw; w++)
        if (c->need[w]) rs_bm_set(done, w);
    return m;
}

/* Entering the second operand of `a AND b` (or ANDNOT): b matters only where a holds; of `a OR b`,
 * only where a does not. The members that matter ("care") narrow as operands nest, and a leaf skips
 * the words with none of them. When none is left in the batch, the operand is skipped whole and a
 * stands for the result: exact for every member that matters. Returns the next instruction. */
/* nc = parent & (a ^ flip) in one pass (parent NULL: every member); returns how many members nc
 * holds, estimated from every fourth word (a guide for eval_leaf, not a count). */
static uint32_t narrow_care(uint64_t *nc, const uint64_t *a, const uint64_t *parent, uint64_t flip, size_t nw) {
    uint32_t k = 0;
    for (size_t w = 0; w < nw; w++) {
        nc[w] = (a[w] ^ flip) & (parent ? parent[w] : ~(uint64_t)0);
        if (w % 4 == 0) k += popcount64(nc[w]);
    }
    return nw < 4 ? k : k * 4;
}

static uint32_t enter_operand(const rs_vm *vm, vm_ctx *c, uint32_t pc, uint32_t sp, uint32_t *cdepth,
                              const uint64_t **care, uint32_t *ccount, size_t nw) {
    uint32_t end = vm->rhs_end[pc];
    const uint64_t *a = c->stack[sp - 1], *parent = *care;
    uint64_t *nc = c->cares + (size_t)*cdepth * VM_BATCH_WORDS;
    /* under `or`, the members where a is false; under `and`, where it is true */
    uint64_t flip = vm->p->code[end].op == RS_OP_OR ? ~(uint64_t)0 : 0;
    uint32_t count = narrow_care(nc, a, parent, flip, nw);
    if (count == 0) {   /* the estimate skips words: make sure */
        uint64_t any = 0;
        for (size_t w = 0; w < nw; w++) any |= nc[w];
        if (!any) return end + 1;
        count = 1;
    }
    c->care_count[*cdepth] = *ccount;
    c->care_stack[(*cdepth)++] = parent;
    *care = nc;
    *ccount = count;
    return pc;
}

/* Runs group g over batch `batch` (n members); returns its bitmap (valid until the next call). */
static const uint64_t *run_batch(const rs_vm *vm, vm_ctx *c, uint32_t g, uint32_t batch, uint32_t n) {
    const rs_pgroup *pg = &vm->p->groups[g];
    size_t nw = rs_bm_words(n);
    uint32_t sp = 0, cdepth = 0, end = pg->code_start + pg->code_len, ccount = n;
    const uint64_t *care = NULL;   /* NULL: every member matters */
    for (uint32_t pc = pg->code_start; pc < end; pc++) {
        if (vm->rhs_end[pc] != RS_NONE) {
            uint32_t next = enter_operand(vm, c, pc, sp, &cdepth, &care, &ccount, nw);
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
            words_op(dst, a, NULL, nw, RS_OP_NOT);
            dst[nw - 1] &= tail_mask(n);
            c->stack[sp - 1] = dst;
            break;
        case RS_OP_AND:
        case RS_OP_OR:
        case RS_OP_ANDNOT:
            a = c->stack[sp - 2], b = c->stack[sp - 1];
            dst = c->slots + (size_t)(sp - 2) * VM_BATCH_WORDS;
            words_op(dst, a, b, nw, op);
            c->stack[sp - 2] = dst;
            sp--;
            care = c->care_stack[--cdepth];   /* leaving the second operand */
            ccount = c->care_count[cdepth];
            break;
        default:
            dst = c->slots + (size_t)sp * VM_BATCH_WORDS;
            c->stack[sp++] = leaf_bits(c, &vm->leaves[vm->insn_leaf[pc]], batch, n, dst, care, ccount);
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
    if (!vm || group >= vm->p->ngroups || !vm->active[group]) return -1;
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
    atomic_uint next;   /* next batch to take: lanes share the work batch by batch */
} vm_job;

/* One lane: a thread's scratch, set up once, then batches until none is left. Lanes rather than
 * one item per batch, because the scratch (and its memo of shared leaves) lives across batches. */
static void lane(void *arg, uint32_t i) {
    (void)i;
    vm_job *job = arg;
    const rs_vm *vm = job->vm;
    vm_ctx c;
    ctx_init(vm, &c);
    for (;;) {
        uint32_t b = atomic_fetch_add(&job->next, 1u);
        if (b >= job->nbatches) break;
        uint32_t n = batch_size(vm, b);
        for (uint32_t g = 0; g < vm->p->ngroups; g++)
            if (vm->active[g]) store(job->out[g], b, run_batch(vm, &c, g, b, n), n);
    }
    ctx_free(&c);
}

int rs_vm_eval_all(rs_vm *vm, uint64_t **out, int threads) {
    if (!vm) return -1;
    size_t words = rs_bm_words(vm->s->nmembers);
    for (uint32_t g = 0; g < vm->p->ngroups; g++)
        out[g] = vm->active[g] ? rs_calloc(words ? words : 1, sizeof(uint64_t)) : NULL;
    vm_job job = {.vm = vm, .out = out, .nbatches = batch_count(vm)};
    atomic_init(&job.next, 0u);
    uint32_t lanes = (uint32_t)rs_thread_count(threads);
    if (lanes > job.nbatches) lanes = job.nbatches ? job.nbatches : 1;
    rs_parallel_for((int)lanes, lanes, lane, &job);
    return 0;
}

bool rs_vm_eval_member(rs_vm *vm, uint32_t group, uint32_t member) {
    if (!vm || group >= vm->p->ngroups || !vm->active[group] || member >= vm->s->nmembers) return false;
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

rs_vm *rs_vm_new_groups(const rs_program *p, const rs_snapshot *s, int32_t today, const bool *groups,
                        int threads, rs_diags *diags) {
    rs_vm *vm = rs_calloc(1, sizeof *vm);
    vm->p = p;
    vm->s = s;
    vm->today = today;
    vm->threads = threads;
    vm->active = rs_calloc((size_t)p->ngroups + 1, sizeof *vm->active);
    for (uint32_t g = 0; g < p->ngroups; g++) vm->active[g] = !groups || groups[g];
    if (vm_prepare(vm, diags) != 0) {
        rs_vm_free(vm);
        return NULL;
    }
    return vm;
}

rs_vm *rs_vm_new(const rs_program *p, const rs_snapshot *s, int32_t today, rs_diags *diags) {
    return rs_vm_new_groups(p, s, today, NULL, 0, diags);
}
