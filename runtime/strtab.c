/* strtab.c: string tables. While loading, a builder appends strings to one byte array and, when
 * hashed, interns them with open addressing (the hash keeps 32 bits of each string's hash next to its
 * index, so most failed probes never touch the string bytes). A finished table is immutable and is
 * searched by binary search on its sorted index. */
#include <stdlib.h>
#include <string.h>
#include "common/strbuf.h"
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

/* ---- sorting ---- */

/* Each string's first 8 bytes as a big-endian integer (zero-padded) decide most comparisons without
 * touching the string bytes: zero padding orders a proper prefix first, as rs_str_cmp does. */
typedef struct sort_item {
    uint64_t prefix;
    uint32_t index;
} sort_item;

static uint64_t prefix_of(const char *s, size_t len) {
    uint64_t p = 0;
    for (size_t k = 0; k < 8; k++) p = (p << 8) | (k < len ? (unsigned char)s[k] : 0u);
    return p;
}

static int cmp_items(const void *pa, const void *pb, void *ctx) {
    const sort_item *a = pa, *b = pb;
    if (a->prefix != b->prefix) return a->prefix < b->prefix ? -1 : 1;
    size_t alen, blen;
    const char *as = rs_strtab_get(ctx, a->index, &alen);
    const char *bs = rs_strtab_get(ctx, b->index, &blen);
    int c = rs_str_cmp(as, alen, bs, blen);
    if (c != 0) return c;
    return a->index < b->index ? -1 : a->index > b->index;   /* ties keep table order */
}

uint32_t *rs_strtab_sort(const rs_strtab *t) {
    sort_item *items = rs_reallocarray(NULL, t->n, sizeof *items);
    for (uint32_t i = 0; i < t->n; i++) {
        size_t len;
        const char *s = rs_strtab_get(t, i, &len);
        items[i].prefix = prefix_of(s, len);
        items[i].index = i;
    }
    qsort_r(items, t->n, sizeof *items, cmp_items, (void *)(uintptr_t)t);   /* read only */
    uint32_t *sorted = rs_reallocarray(NULL, t->n, sizeof *sorted);
    for (uint32_t i = 0; i < t->n; i++) sorted[i] = items[i].index;
    free(items);
    return sorted;
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
        if (elen == len && memcmp(es, s, len) == 0) return k;
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
 * other ASCII code point), which spares an allocation for the common case. */
static void add_folded(rs_strbuild *b, const char *s, size_t len, rs_sb *scratch) {
    if (!is_ascii(s, len)) {
        size_t flen;
        char *f = rs_casefold(s, len, &flen);
        rs_sbuild_add(b, f, flen);
        free(f);
        return;
    }
    rs_sb_clear(scratch);
    for (size_t k = 0; k < len; k++) rs_sb_putc(scratch, (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]));
    rs_sbuild_add(b, scratch->buf, len);
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
    rs_sb scratch = {0};
    for (uint32_t i = 0; i < raw->n; i++) {
        size_t len;
        const char *s = rs_strtab_get(raw, i, &len);
        add_folded(&b, s, len, &scratch);
    }
    rs_sb_free(&scratch);
    rs_sbuild_finish(&b, o, folded);
}
