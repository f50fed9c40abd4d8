/* delta.c: universes of member ids, membership deltas, the delta of record, fingerprints. */
#include "runtime/delta.h"
#include <stdlib.h>
#include <string.h>
#include "common/util.h"
#include "runtime/bitmap.h"

int rs_id_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen;
}

/* String i of a table, read directly from its documented layout (the hot path of every merge). */
static inline const char *tab_get(const rs_strtab *t, uint32_t i, size_t *len) {
    *len = t->off[i + 1] - t->off[i];
    return t->bytes + t->off[i];
}

const char *rs_universe_id(const rs_universe *u, uint32_t j, size_t *len) {
    return tab_get(u->tab, u->order ? u->order[j] : j, len);
}

bool rs_universe_valid(const rs_universe *u) {
    for (uint32_t j = 1; j < u->n; j++) {
        size_t la, lb;
        const char *a = rs_universe_id(u, j - 1, &la), *b = rs_universe_id(u, j, &lb);
        if (rs_id_cmp(a, la, b, lb) >= 0) return false;
    }
    return true;
}

uint32_t *rs_universe_map(const rs_universe *from, const rs_universe *to) {
    uint32_t *map = rs_malloc((size_t)from->n * sizeof *map + 1);
    uint32_t i = 0, j = 0;
    while (i < from->n && j < to->n) {
        size_t la, lb;
        const char *a = rs_universe_id(from, i, &la), *b = rs_universe_id(to, j, &lb);
        int c = rs_id_cmp(a, la, b, lb);
        if (c == 0) map[i++] = j++;
        else if (c < 0) map[i++] = RS_NONE;
        else j++;
    }
    while (i < from->n) map[i++] = RS_NONE;
    return map;
}

static bool needs_escape(const char *s, size_t len);

void rs_universe_flatten(const rs_universe *u, rs_flat_universe *out) {
    memset(out, 0, sizeof *out);
    uint32_t n = u->n;
    out->off = rs_malloc(((size_t)n + 1) * sizeof *out->off);
    size_t total = 0;
    for (uint32_t j = 0; j < n; j++) {
        size_t len;
        rs_universe_id(u, j, &len);
        out->off[j] = (uint32_t)total;
        total += len;
    }
    out->off[n] = (uint32_t)total;   /* the ids of one string table: below 4 GiB */
    out->bytes = rs_malloc(total + 16);
    for (uint32_t j = 0; j < n; j++) {
        size_t len;
        const char *id = rs_universe_id(u, j, &len);
        memcpy(out->bytes + out->off[j], id, len);
    }
    memset(out->bytes + total, 0, 16);
    out->u.plain = !needs_escape(out->bytes, total);
    out->tab.n = n;
    out->tab.off = out->off;
    out->tab.bytes = out->bytes;
    out->u.tab = &out->tab;
    out->u.n = n;
}

void rs_flat_universe_free(rs_flat_universe *f) {
    free(f->off);
    free(f->bytes);
    memset(f, 0, sizeof *f);
}

static int cmp_by_id(const void *x, const void *y, void *ctx) {
    const rs_strtab *t = ctx;
    size_t la, lb;
    const char *a = tab_get(t, *(const uint32_t *)x, &la);
    const char *b = tab_get(t, *(const uint32_t *)y, &lb);
    return rs_id_cmp(a, la, b, lb);
}

void rs_snap_ids_init(rs_snap_ids *si, const rs_snapshot *s) {
    memset(si, 0, sizeof *si);
    uint32_t n = s->nmembers;
    si->u.tab = &s->member_ids;
    si->u.n = n;
    si->u.order = s->member_ids.sorted;
    /* The snapshot's own index is meant to be in byte order; checking costs one pass, and a
     * membership keyed on a wrongly ordered list would give wrong deltas, so we never trust it
     * blindly. */
    if (!si->u.order || !rs_universe_valid(&si->u)) {
        si->owned_order = rs_malloc((size_t)n * sizeof *si->owned_order + 1);
        for (uint32_t i = 0; i < n; i++) si->owned_order[i] = i;
        rs_strtab tab = s->member_ids;   /* a copy: qsort_r's context is not const */
        qsort_r(si->owned_order, n, sizeof *si->owned_order, cmp_by_id, &tab);
        si->u.order = si->owned_order;
    }
    si->rank = rs_malloc((size_t)n * sizeof *si->rank + 1);
    for (uint32_t j = 0; j < n; j++) si->rank[si->u.order[j]] = j;
}

void rs_snap_ids_free(rs_snap_ids *si) {
    free(si->rank);
    free(si->owned_order);
    memset(si, 0, sizeof *si);
}

void rs_snap_ids_to_positions(const rs_snap_ids *si, const uint64_t *by_member, uint64_t *by_pos) {
    size_t words = rs_bm_words(si->u.n);
    memset(by_pos, 0, words * sizeof *by_pos);
    for (size_t w = 0; w < words; w++) {
        for (uint64_t x = by_member[w]; x; x &= x - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(x);
            if (ALWAYS(i < si->u.n)) rs_bm_set(by_pos, si->rank[i]);
        }
    }
}

/* Word w of a bitmap of n bits, with the bits past n masked off (so padding never counts). */
static uint64_t word_at(const uint64_t *bm, size_t w, size_t n) {
    if (!bm) return 0;
    uint64_t x = bm[w];
    size_t rem = n - w * 64;
    return rem >= 64 ? x : x & (((uint64_t)1 << rem) - 1);
}

static size_t count_bits(const uint64_t *bm, size_t n) {
    size_t c = 0, words = rs_bm_words(n);
    for (size_t w = 0; w < words; w++) c += (size_t)__builtin_popcountll(word_at(bm, w, n));
    return c;
}

/* Pushes the positions of the set bits of x (word w) onto out. */
static void push_bits(uint32_t *out, size_t *n, uint64_t x, size_t w) {
    for (; x; x &= x - 1) out[(*n)++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x));
}

static void delta_same_universe(rs_delta *d, const uint64_t *old_bits, const uint64_t *new_bits, uint32_t n) {
    size_t words = rs_bm_words(n);
    for (size_t w = 0; w < words; w++) {
        uint64_t o = word_at(old_bits, w, n), x = word_at(new_bits, w, n);
        push_bits(d->adds, &d->nadds, x & ~o, w);
        push_bits(d->removes, &d->nremoves, o & ~x, w);
    }
}

static void delta_mapped(rs_delta *d, const uint64_t *old_bits, uint32_t old_n, const uint32_t *map,
                         const uint64_t *new_bits, uint32_t new_n) {
    size_t new_words = rs_bm_words(new_n), old_words = rs_bm_words(old_n);
    uint64_t *kept = rs_calloc(new_words + 1, sizeof *kept);   /* old members, in new positions */
    for (size_t w = 0; w < old_words; w++) {
        for (uint64_t x = word_at(old_bits, w, old_n); x; x &= x - 1) {
            size_t p = w * 64 + (size_t)__builtin_ctzll(x);
            uint32_t q = map[p];
            if (q != RS_NONE && new_bits && rs_bm_get(new_bits, q)) rs_bm_set(kept, q);
            else d->removes[d->nremoves++] = (uint32_t)p;
        }
    }
    for (size_t w = 0; w < new_words; w++) push_bits(d->adds, &d->nadds, word_at(new_bits, w, new_n) & ~kept[w], w);
    free(kept);
}

void rs_delta_compute(rs_delta *d, const uint64_t *old_bits, uint32_t old_n, const uint32_t *map,
                      const uint64_t *new_bits, uint32_t new_n) {
    memset(d, 0, sizeof *d);
    d->old_count = count_bits(old_bits, old_n);
    d->new_count = count_bits(new_bits, new_n);
    /* Every add is a new member and every remove an old one: these bounds never overflow. */
    d->adds = rs_malloc(d->new_count * sizeof *d->adds + 1);
    d->removes = rs_malloc(d->old_count * sizeof *d->removes + 1);
    if (!map && ALWAYS(old_bits == NULL || old_n == new_n)) delta_same_universe(d, old_bits, new_bits, new_n);
    else if (!map) delta_same_universe(d, NULL, new_bits, new_n);
    else delta_mapped(d, old_bits, old_n, map, new_bits, new_n);
}

void rs_delta_free(rs_delta *d) {
    free(d->adds);
    free(d->removes);
    memset(d, 0, sizeof *d);
}

/* Eight bytes at a time: the high bit of each zero byte of y (exact: no carry crosses a byte). */
static inline uint64_t zero_bytes(uint64_t y) {
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    return ~(((y & low7) + low7) | y | low7);
}

/* Bytes of x that are below 0x20, 0x7f or above, '"' or '\\'. */
static inline uint64_t bad_bytes(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ull;
    return zero_bytes(x & (0xe0 * ones)) | zero_bytes(x ^ ('"' * ones)) | zero_bytes(x ^ ('\\' * ones)) |
           zero_bytes(x ^ (0x7f * ones)) | (x & (0x80 * ones));
}

/* Whether an id goes out as it is: printable ASCII without quote or backslash. Anything else takes
 * the escaping of rs_sb_json_str (control characters, DEL, and the check of UTF-8). */
static bool needs_escape(const char *s, size_t len) {
    uint64_t bad = 0, x;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&x, s + i, 8);
        bad |= bad_bytes(x);
    }
    if (i < len) {
        x = 0x6161616161616161ull;   /* the tail padded with a harmless byte ('a') */
        memcpy(&x, s + i, len - i);
        bad |= bad_bytes(x);
    }
    return bad != 0;
}

/* Ids are almost always plain ASCII: copy them as they are and escape only when needed. */
static void put_json_str(rs_sb *out, const char *s, size_t len) {
    if (needs_escape(s, len)) {
        rs_sb_json_str(out, s, len);
        return;
    }
    rs_sb_putc(out, '"');
    rs_sb_put(out, s, len);
    rs_sb_putc(out, '"');
}

void rs_delta_jsonl_line(rs_sb *out, const char *group_json, size_t group_json_len, const char *op,
                         const char *id, size_t len) {
    rs_sb_put(out, "{\"group\": ", 10);
    rs_sb_put(out, group_json, group_json_len);
    rs_sb_puts(out, op[0] == 'a' ? ", \"op\": \"add\", \"member\": " : ", \"op\": \"remove\", \"member\": ");
    put_json_str(out, id, len);
    rs_sb_put(out, "}\n", 2);
}

/* Room for `need` more bytes (and the NUL) at the end of out; returns where they start. */
static char *sb_room(rs_sb *out, size_t need) {
    if (!out->buf || out->cap < out->len + need + 1) {
        size_t cap = out->cap ? out->cap : 256;
        while (cap < out->len + need + 1) cap *= 2;
        out->buf = rs_realloc(out->buf, cap);
        out->cap = cap;
    }
    return out->buf + out->len;
}

#define JSONL_BLOCK 512   /* lines sized and written at a time */
#define JSONL_SLACK 64    /* bytes a line may write past its end (the next line overwrites them) */

/* Lines of one group and op differ only in the member: the common prefix is built once, and a block
 * of lines whose ids need no escaping is sized first, then copied without any further check. Copies
 * of a fixed size (the prefix in one 64-byte copy, a short id in one 16-byte copy, each then
 * advanced by its true length) spare a call to memcpy per piece. */
static void jsonl_run(rs_sb *out, const rs_sb *prefix, const uint32_t *pos, size_t n, const rs_universe *u) {
    const char *pre = prefix->buf, *end = u->tab->bytes + u->tab->off[u->tab->n];
    size_t plen = prefix->len, i = 0;
    char pad[JSONL_SLACK] = {0};
    bool short_pre = plen <= sizeof pad;
    if (short_pre) memcpy(pad, pre, plen);
    while (i < n) {
        size_t need = JSONL_SLACK, k = i;
        for (; k < n && k - i < JSONL_BLOCK; k++) {
            size_t len;
            const char *id = rs_universe_id(u, pos[k], &len);
            if (!u->plain && needs_escape(id, len)) break;
            need += plen + len + 4;   /* prefix, "id", }, newline */
        }
        char *p = sb_room(out, need);
        for (; i < k; i++) {
            size_t len;
            const char *id = rs_universe_id(u, pos[i], &len);
            if (short_pre) memcpy(p, pad, sizeof pad);
            else memcpy(p, pre, plen);
            p += plen;
            *p++ = '"';
            if (len <= 16 && (size_t)(end - id) >= 16) memcpy(p, id, 16);
            else memcpy(p, id, len);
            p += len;
            memcpy(p, "\"}\n", 4);
            p += 3;
        }
        out->len = (size_t)(p - out->buf);
        out->buf[out->len] = '\0';
        if (i < n) {   /* an id that needs escaping: the slow way */
            size_t len;
            const char *id = rs_universe_id(u, pos[i++], &len);
            rs_sb_put(out, pre, plen);
            put_json_str(out, id, len);
            rs_sb_put(out, "}\n", 2);
        }
    }
}

void rs_delta_jsonl(rs_sb *out, const char *group, const rs_delta *d, const rs_universe *old_u,
                    const rs_universe *new_u, size_t first, size_t count) {
    size_t total = d->nadds + d->nremoves;
    size_t end = first < total && count < total - first ? first + count : total;
    if (first >= end) return;
    rs_sb add = {0}, remove = {0};
    rs_sb_put(&add, "{\"group\": ", 10);
    put_json_str(&add, group, strlen(group));
    rs_sb_put(&remove, add.buf, add.len);
    rs_sb_puts(&add, ", \"op\": \"add\", \"member\": ");
    rs_sb_puts(&remove, ", \"op\": \"remove\", \"member\": ");
    /* Lines [first, end): adds are lines 0..nadds-1, removes follow. */
    if (first < d->nadds) {
        size_t stop = end < d->nadds ? end : d->nadds;
        jsonl_run(out, &add, d->adds + first, stop - first, new_u);
    }
    if (end > d->nadds) {
        size_t from = first > d->nadds ? first - d->nadds : 0;
        jsonl_run(out, &remove, d->removes + from, end - d->nadds - from, old_u);
    }
    rs_sb_free(&add);
    rs_sb_free(&remove);
}

/* ---- hashing ---- */

#define H_K1 0x9E3779B97F4A7C15ull
#define H_K2 0xC2B2AE3D27D4EB4Full

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* One lane step: multiply spreads the word's bits upward, the rotation brings them back down. */
static inline uint64_t lane(uint64_t acc, uint64_t w) {
    acc += w * H_K2;
    acc = rotl64(acc, 31);
    return acc * H_K1;
}

static inline uint64_t load64(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

void rs_hash_init(rs_hash *h, uint64_t seed) {
    h->a = seed ^ H_K1;
    h->b = rotl64(seed, 17) ^ H_K2;
}

void rs_hash_bytes(rs_hash *h, const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t a = lane(h->a, (uint64_t)len), b = h->b;
    /* Two independent lanes so the multiplies overlap in the pipeline. */
    for (; len >= 16; p += 16, len -= 16) {
        a = lane(a, load64(p));
        b = lane(b, load64(p + 8));
    }
    if (len >= 8) {
        a = lane(a, load64(p));
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t tail = 0;
        memcpy(&tail, p, len);
        b = lane(b, tail);
    }
    h->a = a;
    h->b = b;
}

void rs_hash_u64(rs_hash *h, uint64_t v) {
    h->a = lane(h->a, v);
}

uint64_t rs_hash_final(const rs_hash *h) {
    uint64_t x = h->a ^ rotl64(h->b, 27);
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    x ^= x >> 33;
    return x;
}
