/* vm_leaf.h: the test of one member against one prepared leaf (vm_int.h), and the substring finder
 * and byte-lane helpers it shares with the batch kernels. The VM (vm.c) runs it member by member
 * where few members matter, and leaf preparation (vm_prep.c) to trim member lists; both include it
 * from here, so neither file calls the other back. The functions are static to each includer, so
 * the compiler treats them as it did when they were vm.c's own (the small ones are inline; the rest
 * it inlines or not as before); `unused`: not every includer calls each of them. */
#ifndef RS_VM_LEAF_H
#define RS_VM_LEAF_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "runtime/bitmap.h"
#include "runtime/vm_int.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#define VM_SSE2 1
#else
#define VM_SSE2 0
#endif

#define RS_VM_LEAF_FN static __attribute__((unused))

static inline bool vm_code_hit(const uint64_t *table, uint32_t code) { return rs_bm_get(table, code); }

/* Index of the K entry value p of the member equals, or -1 (the *_HASALL kinds). */
RS_VM_LEAF_FN long vm_kindex(const vm_leaf *L, uint32_t p) {
    switch (L->kind) {
    case LK_CODE_HASALL: return L->kmap[L->col->codes[p]];
    case LK_NUM_HASALL: return vm_find_num(L->nums, L->nk, L->col->nums[p]);
    default: return vm_find_day(L->days, L->nk, L->col->days[p]);
    }
}

/* Whether values [b, e) reach every K entry; seen has a bit per entry and is left cleared. */
RS_VM_LEAF_FN bool vm_has_all(const vm_leaf *L, uint32_t b, uint32_t e, uint64_t *seen) {
    uint32_t got = 0;
    for (uint32_t p = b; p < e; p++) {
        long k = vm_kindex(L, p);
        if (k >= 0 && !rs_bm_get(seen, (size_t)k)) {
            rs_bm_set(seen, (size_t)k);
            got++;
        }
    }
    for (uint32_t p = b; p < e; p++) {
        long k = vm_kindex(L, p);
        if (k >= 0) rs_bm_clear(seen, (size_t)k);
    }
    return got == L->need;
}

/* Substring search. Candidates are the places where both the first and the last byte of the needle
 * match; only they are compared in full. Searched texts are short (a name, an address), so the
 * per-search setup is kept in a finder built once per needle, and the comparison is inline. */
typedef struct vm_finder {
    const char *n;
    size_t nlen;
    const char *end;           /* end of the buffer the texts lie in: reading up to it is harmless */
#if VM_SSE2
    __m128i first, final;
#endif
} vm_finder;

static inline void vm_finder_init(vm_finder *f, const char *n, size_t nlen, const char *end) {
    f->n = n;
    f->nlen = nlen;
    f->end = end;
#if VM_SSE2
    f->first = _mm_set1_epi8(nlen ? n[0] : 0);
    f->final = _mm_set1_epi8(nlen ? n[nlen - 1] : 0);
#endif
}

static inline bool vm_same_bytes(const char *a, const char *b, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* Positions [from, last] of h, one at a time. */
RS_VM_LEAF_FN bool vm_find_scalar(const vm_finder *f, const char *h, size_t from, size_t last) {
    const char *n = f->n;
    size_t nlen = f->nlen;
    for (size_t i = from; i <= last; i++)
        if (h[i] == n[0] && h[i + nlen - 1] == n[nlen - 1] && vm_same_bytes(h + i + 1, n + 1, nlen - 2)) return true;
    return false;
}

/* 16 places at once while 16 bytes can be read past the last byte compared. */
RS_VM_LEAF_FN bool vm_find_in(const vm_finder *f, const char *h, size_t hlen) {
    size_t nlen = f->nlen;
    if (nlen == 0) return true;
    if (nlen > hlen) return false;
    if (nlen == 1) return memchr(h, f->n[0], hlen) != NULL;
    size_t last = hlen - nlen, i = 0;   /* last: the last place a match can start */
#if VM_SSE2
    for (; i <= last && (size_t)(f->end - (h + i + nlen - 1)) >= 16; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(h + i + nlen - 1));
        __m128i both = _mm_and_si128(_mm_cmpeq_epi8(a, f->first), _mm_cmpeq_epi8(b, f->final));
        unsigned hits = (unsigned)_mm_movemask_epi8(both);
        if (last - i < 15) hits &= (1u << (last - i + 1)) - 1;
        for (; hits; hits &= hits - 1)
            if (vm_same_bytes(h + i + (unsigned)__builtin_ctz(hits) + 1, f->n + 1, nlen - 2)) return true;
    }
#endif
    return i <= last && vm_find_scalar(f, h, i, last);
}

static inline void vm_leaf_finder(const vm_leaf *L, vm_finder *f) {
    const rs_strtab *t = &L->col->dict.folded;
    vm_finder_init(f, L->needle, L->nlen, t->bytes + t->off[t->n]);
}

/* The folded dictionary entry of a code contains the finder's needle. */
static inline bool vm_text_find(const rs_strtab *t, const vm_finder *f, uint32_t code) {
    return vm_find_in(f, t->bytes + t->off[code], t->off[code + 1] - t->off[code]);
}

/* CODE_MASK: the high bit of each of the `need` low byte lanes, and whether every such lane of a
 * sum of kmask values is nonzero (the exact zero-byte test: no carry crosses a lane). */
static inline uint64_t vm_lane_highs(uint32_t need) {
    return need >= 8 ? 0x8080808080808080ull : 0x8080808080808080ull & (((uint64_t)1 << (8 * need)) - 1);
}

static inline bool vm_lanes_full(uint64_t sum, uint64_t highs) {
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t zero = ~(((sum & low7) + low7) | sum | low7);
    return (zero & highs) == 0;
}

/* Whether member m passes leaf L; seen is scratch with a bit per K entry (max_need), clear on entry
 * and on return. */
RS_VM_LEAF_FN bool vm_leaf_test(const vm_leaf *L, uint32_t m, uint64_t *seen) {
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
            if (vm_code_hit(L->table, c->codes[p])) return true;
        return false;
    case LK_CODE_ALL:
        for (uint32_t p = b; p < e; p++)
            if (!vm_code_hit(L->table, c->codes[p])) return false;
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
    case LK_TEXT_FIND: {
        vm_finder f;
        vm_leaf_finder(L, &f);
        for (uint32_t p = b; p < e; p++)
            if (vm_text_find(&c->dict.folded, &f, c->codes[p])) return true;
        return false;
    }
    case LK_CODE_MASK: {
        uint64_t got = 0;   /* or-ed, not added: a lane cannot overflow */
        for (uint32_t p = b; p < e; p++) got |= L->kmask[c->codes[p]];
        return b < e && vm_lanes_full(got, vm_lane_highs(L->need));
    }
    default:
        return b < e && vm_has_all(L, b, e, seen);
    }
}

#endif
