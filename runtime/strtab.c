/* strtab.c: string tables. While loading, a builder appends strings to one byte array and, when
 * hashed, interns them with open addressing (the hash keeps 32 bits of each string's hash next to its
 * index, so most failed probes never touch the string bytes). A finished table is immutable and is
 * searched by binary search on its sorted index. */
#include <stdlib.h>
#include <string.h>
#include "common/utf8.h"
#include "common/util.h"
#include "runtime/snapshot_int.h"

/* ---- lookups on finished tables ---- */

int rs_str_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen;
}

const char *rs_strtab_get(const rs_strtab *t, uint32_t i, size_t *len) {
    *len = t->off[i + 1] - t->off[i];
    return t->bytes + t->off[i];
}

uint32_t rs_strtab_find(const rs_strtab *t, const char *s, size_t len) {
    uint32_t lo = 0, hi = t->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2, i = t->sorted[mid];
        size_t ilen;
        const char *is = rs_strtab_get(t, i, &ilen);
        int c = rs_str_cmp(is, ilen, s, len);
        if (c == 0) return i;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return RS_NONE;
}

void rs_strtab_find_all(const rs_strtab *t, const rs_strbuild *refs, uint32_t *out) {
    rs_strtab view = {refs->n, refs->off, refs->bytes, NULL};
    size_t len;
    if (refs->n < t->n / 16) {   /* a few binary searches cost less than a walk over t */
        for (uint32_t k = 0; k < refs->n; k++) {
            const char *s = rs_strtab_get(&view, k, &len);
            out[k] = rs_strtab_find(t, s, len);
        }
        return;
    }
    uint32_t *order = rs_strtab_sort(&view), j = 0;
    for (uint32_t i = 0; i < view.n; i++) {
        const char *s = rs_strtab_get(&view, order[i], &len);
        int c = 1;
        for (; j < t->n; j++) {
            size_t tlen;
            const char *ts = rs_strtab_get(t, t->sorted[j], &tlen);
            if ((c = rs_str_cmp(ts, tlen, s, len)) >= 0) break;
        }
        out[order[i]] = c == 0 ? t->sorted[j] : RS_NONE;
    }
    free(order);
}

/* ---- sorting ----
 * The sorted index orders strings byte-wise, a proper prefix first, equal strings by index. It is
 * built with radix sorts on 64-bit keys that hold seven string bytes at a time: the bytes at
 * 7 * depth .. 7 * depth + 6, big-endian and zero-padded, in the top 56 bits, and in the low byte how
 * many of them the string really has, or 8 when it goes on past them. So key order is string order
 * as far as the key reaches (the low byte puts a proper prefix first, even before a string that goes
 * on with zero bytes); equal keys with a low byte under 8 are equal strings, and equal keys with 8 are
 * a group that the next seven bytes order. Every sort is stable and the first one starts in index
 * order, so equal strings stay in index order. Each string's bytes are read once per level, mostly in
 * table order, where comparison sorts would fetch two scattered strings per comparison. */

#define KEY_BYTES 7u
#define KEY_GOES_ON 8u
#define SMALL_GROUP 32u

static uint64_t sort_key(const rs_strtab *t, uint32_t i, size_t depth) {
    size_t len;
    const unsigned char *s = (const unsigned char *)rs_strtab_get(t, i, &len) + depth * KEY_BYTES;
    size_t rest = len - depth * KEY_BYTES;   /* the group's strings all reach this far */
    uint64_t k = 0;
    if (rest > KEY_BYTES) {
        for (size_t j = 0; j < KEY_BYTES; j++) k = k << 8 | s[j];
        return k << 8 | KEY_GOES_ON;
    }
    for (size_t j = 0; j < KEY_BYTES; j++) k = k << 8 | (j < rest ? s[j] : 0u);
    return k << 8 | rest;
}

/* Stable insertion sort of a few keys with their indices. */
static void insertion_sort(uint64_t *key, uint32_t *idx, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint64_t k = key[i];
        uint32_t x = idx[i];
        size_t j = i;
        for (; j > 0 && key[j - 1] > k; j--) {
            key[j] = key[j - 1];
            idx[j] = idx[j - 1];
        }
        key[j] = k;
        idx[j] = x;
    }
}

/* Stable LSD radix sort of keys with their indices, a byte per pass, skipping bytes that every key
 * shares; key2 and idx2 are scratch of n entries. */
static void radix_sort(uint64_t *key, uint32_t *idx, uint64_t *key2, uint32_t *idx2, size_t n) {
    uint32_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 8; b++) count[b][(key[i] >> (8 * b)) & 0xFF]++;
    uint64_t *k = key, *k2 = key2;
    uint32_t *x = idx, *x2 = idx2;
    for (unsigned b = 0; b < 8; b++) {
        uint32_t *c = count[b];
        if (c[(k[0] >> (8 * b)) & 0xFF] == n) continue;
        uint32_t pos = 0;
        for (unsigned d = 0; d < 256; d++) {
            uint32_t here = c[d];
            c[d] = pos;
            pos += here;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t to = c[(k[i] >> (8 * b)) & 0xFF]++;
            k2[to] = k[i];
            x2[to] = x[i];
        }
        uint64_t *tk = k;
        k = k2;
        k2 = tk;
        uint32_t *tx = x;
        x = x2;
        x2 = tx;
    }
    if (k != key) {
        memcpy(key, k, n * sizeof *key);
        memcpy(idx, x, n * sizeof *idx);
    }
}

typedef struct sort_group {
    uint32_t start, n, depth;
} sort_group;

/* Sorts one group by its keys at its depth, then queues its runs of equal keys that go on. */
static void sort_level(const rs_strtab *t, uint64_t *key, uint32_t *idx, uint64_t *key2, uint32_t *idx2,
                       sort_group g, sort_group **stack, size_t *nstack, size_t *capstack) {
    uint64_t *k = key + g.start;
    uint32_t *x = idx + g.start;
    for (uint32_t i = 0; i < g.n; i++) k[i] = sort_key(t, x[i], g.depth);
    if (g.n <= SMALL_GROUP) insertion_sort(k, x, g.n);
    else radix_sort(k, x, key2, idx2, g.n);
    for (uint32_t i = 0, j; i < g.n; i = j) {
        for (j = i + 1; j < g.n && k[j] == k[i]; j++) continue;
        if (j - i > 1 && (k[i] & 0xFF) == KEY_GOES_ON) {
            RS_GROW(*stack, *capstack, *nstack + 1);
            (*stack)[(*nstack)++] = (sort_group){g.start + i, j - i, g.depth + 1};
        }
    }
}

uint32_t *rs_strtab_sort(const rs_strtab *t) {
    size_t n = t->n ? t->n : 1;
    uint32_t *idx = rs_reallocarray(NULL, n, sizeof *idx), *idx2 = rs_reallocarray(NULL, n, sizeof *idx2);
    uint64_t *key = rs_reallocarray(NULL, n, sizeof *key), *key2 = rs_reallocarray(NULL, n, sizeof *key2);
    for (uint32_t i = 0; i < t->n; i++) idx[i] = i;
    sort_group *stack = NULL;
    size_t nstack = 0, capstack = 0;
    if (t->n > 1) {
        RS_GROW(stack, capstack, 1);
        stack[nstack++] = (sort_group){0, t->n, 0};
    }
    /* groups are disjoint ranges, so the order they are taken in does not matter */
    while (nstack > 0) {
        sort_group g = stack[--nstack];
        sort_level(t, key, idx, key2, idx2, g, &stack, &nstack, &capstack);
    }
    free(stack);
    free(key);
    free(key2);
    free(idx2);
    return idx;
}

/* ---- builders ---- */

static uint32_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 31;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    for (size_t k = 0; k < len; k++) w |= (uint64_t)(unsigned char)s[k] << (8 * k);   /* no call for the tail */
    h = (h ^ w) * 0xC4CEB9FE1A85EC53u;
    h ^= h >> 29;
    h *= 0x94D049BB133111EBu;
    return (uint32_t)(h >> 32);
}

void rs_sbuild_init(rs_strbuild *b, bool hashed) {
    memset(b, 0, sizeof *b);
    b->off = rs_malloc(sizeof *b->off);
    b->off[0] = 0;
    if (hashed) {
        b->mask = 15;
        b->slots = rs_calloc(b->mask + 1u, sizeof *b->slots);
    }
}

void rs_sbuild_free(rs_strbuild *b) {
    free(b->off);
    free(b->bytes);
    free(b->slots);
    memset(b, 0, sizeof *b);
}

const char *rs_sbuild_get(const rs_strbuild *b, uint32_t i, size_t *len) {
    *len = b->off[i + 1] - b->off[i];
    return b->bytes + b->off[i];
}

uint32_t rs_sbuild_add(rs_strbuild *b, const char *s, size_t len) {
    size_t used = b->off[b->n];
    if (b->n >= RS_NONE - 1 || len > RS_SNAP_MAX_TABLE_BYTES - used) return RS_NONE;
    if (b->n >= b->cap) {   /* off holds cap + 1 entries; string n ends at off[n + 1] */
        uint32_t ncap = b->cap ? (b->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : b->cap * 2) : 16;
        b->off = rs_reallocarray(b->off, (size_t)ncap + 1, sizeof *b->off);
        b->cap = ncap;
    }
    if (used + len > b->capbytes) {
        size_t nc = b->capbytes ? b->capbytes * 2 : 256;
        while (nc < used + len) nc *= 2;
        b->bytes = rs_realloc(b->bytes, nc);
        b->capbytes = nc;
    }
    if (len) memcpy(b->bytes + used, s, len);
    b->off[b->n + 1] = (uint32_t)(used + len);
    return b->n++;
}

static void slot_put(uint64_t *slots, uint32_t mask, uint32_t h, uint32_t index) {
    uint32_t k = h & mask;
    while (slots[k]) k = (k + 1) & mask;
    slots[k] = ((uint64_t)h << 32) | ((uint64_t)index + 1);
}

/* Doubles the slot array once it is 70% full; rehashing reads the stored hashes only. */
static void grow_slots(rs_strbuild *b) {
    uint32_t nmask = b->mask * 2 + 1;
    uint64_t *ns = rs_calloc((size_t)nmask + 1, sizeof *ns);
    for (size_t k = 0; k <= b->mask; k++)
        if (b->slots[k]) slot_put(ns, nmask, (uint32_t)(b->slots[k] >> 32), (uint32_t)b->slots[k] - 1);
    free(b->slots);
    b->slots = ns;
    b->mask = nmask;
}

/* The slot holding s, or the free slot where it would go. */
static uint32_t probe(const rs_strbuild *b, const char *s, size_t len, uint32_t h) {
    uint32_t k = h & b->mask;
    for (;; k = (k + 1) & b->mask) {
        uint64_t e = b->slots[k];
        if (!e) return k;
        if ((uint32_t)(e >> 32) != h) continue;
        size_t elen;
        const char *es = rs_sbuild_get(b, (uint32_t)e - 1, &elen);
        if (elen == len && rs_same_bytes(es, s, len)) return k;
    }
}

uint32_t rs_sbuild_lookup(const rs_strbuild *b, const char *s, size_t len) {
    uint64_t e = b->slots[probe(b, s, len, hash_bytes(s, len))];
    return e ? (uint32_t)e - 1 : RS_NONE;
}

uint32_t rs_sbuild_intern(rs_strbuild *b, const char *s, size_t len, bool *added) {
    uint32_t h = hash_bytes(s, len);
    uint32_t k = probe(b, s, len, h);
    *added = false;
    if (b->slots[k]) return (uint32_t)b->slots[k] - 1;
    if (b->mask >= UINT32_MAX / 2 && (uint64_t)(b->n + 1) * 10 > (uint64_t)b->mask * 7) return RS_NONE;
    uint32_t i = rs_sbuild_add(b, s, len);
    if (i == RS_NONE) return RS_NONE;
    *added = true;
    b->slots[k] = ((uint64_t)h << 32) | ((uint64_t)i + 1);
    if ((uint64_t)b->n * 10 > (uint64_t)b->mask * 7) grow_slots(b);
    return i;
}

void rs_sbuild_drop_hash(rs_strbuild *b) {
    free(b->slots);
    b->slots = NULL;
    b->mask = 0;
}

/* Trims an array to its used size, so that a finished snapshot holds no spare capacity. */
static void *trim(void *p, size_t bytes) { return rs_realloc(p, bytes ? bytes : 1); }

void rs_sbuild_finish(rs_strbuild *b, rs_snap_owner *o, rs_strtab *out) {
    rs_sbuild_drop_hash(b);
    out->n = b->n;
    uint32_t *off = trim(b->off, ((size_t)b->n + 1) * sizeof *off);
    char *bytes = trim(b->bytes, off[b->n]);
    out->off = off;
    out->bytes = bytes;
    rs_owner_adopt(o, off);
    rs_owner_adopt(o, bytes);
    uint32_t *sorted = rs_strtab_sort(out);
    rs_owner_adopt(o, sorted);
    out->sorted = sorted;
    memset(b, 0, sizeof *b);
}

/* ---- case folding of dictionaries ---- */

static bool is_ascii(const char *s, size_t len) {
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)s[k] >= 0x80) return false;
    return true;
}

/* Appends the simple case folding of s to b. ASCII needs only A-Z mapped (CaseFolding.txt folds no
 * other ASCII code point), done in place in the table, which spares an allocation for the common
 * case. */
static void add_folded(rs_strbuild *b, const char *s, size_t len) {
    if (!is_ascii(s, len)) {
        size_t flen;
        char *f = rs_casefold(s, len, &flen);
        rs_sbuild_add(b, f, flen);
        free(f);
        return;
    }
    uint32_t i = rs_sbuild_add(b, s, len);
    if (NEVER(i == RS_NONE)) return;   /* ASCII keeps its length, and the raw table fitted */
    char *f = b->bytes + b->off[i];
    for (size_t k = 0; k < len; k++)
        if (f[k] >= 'A' && f[k] <= 'Z') f[k] = (char)(f[k] + 32);
}

static bool folds_to_itself(const char *s, size_t len) {
    if (is_ascii(s, len)) {
        for (size_t k = 0; k < len; k++)
            if (s[k] >= 'A' && s[k] <= 'Z') return false;
        return true;
    }
    size_t flen;
    char *f = rs_casefold(s, len, &flen);
    bool same = flen == len && memcmp(f, s, len) == 0;
    free(f);
    return same;
}

void rs_dict_fold(const rs_strtab *raw, rs_snap_owner *o, rs_strtab *folded) {
    bool same = true;
    for (uint32_t i = 0; i < raw->n && same; i++) {
        size_t len;
        const char *s = rs_strtab_get(raw, i, &len);
        same = folds_to_itself(s, len);
    }
    if (same) {
        *folded = *raw;
        return;
    }
    /* Folding maps one code point to one code point of at most 3/2 its UTF-8 length, and builders
     * stop at RS_SNAP_MAX_TABLE_BYTES, so the folded table stays within 32-bit offsets. */
    rs_strbuild b;
    rs_sbuild_init(&b, false);
    for (uint32_t i = 0; i < raw->n; i++) {
        size_t len;
        const char *s = rs_strtab_get(raw, i, &len);
        add_folded(&b, s, len);
    }
    rs_sbuild_finish(&b, o, folded);
}
