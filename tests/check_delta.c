/* check_delta.c: id order, universes and their mapping, deltas (same and different universes, empty
 * before and after), the delta of record's JSON Lines, hashing. */
#include <stdlib.h>
#include <string.h>
#include "common/strbuf.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/delta.h"
#include "tests/testutil.h"

/* A string table built from a list of ids, in the order given. */
typedef struct idtab {
    rs_strtab tab;
    uint32_t off[64];
    char bytes[512];
} idtab;

static void idtab_init(idtab *t, const char *const *ids, uint32_t n) {
    ck_assert_uint_lt(n, 64);
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        t->off[i] = at;
        size_t len = strlen(ids[i]);
        memcpy(t->bytes + at, ids[i], len);
        at += (uint32_t)len;
    }
    t->off[n] = at;
    t->tab.n = n;
    t->tab.off = t->off;
    t->tab.bytes = t->bytes;
    t->tab.sorted = NULL;
}

static rs_universe universe_of(const idtab *t) {
    rs_universe u = {&t->tab, NULL, t->tab.n, false};
    return u;
}

/* A bitmap of n bits with the given positions set (list ends with -1). */
static uint64_t *bits_of(uint32_t n, const int *pos) {
    uint64_t *bm = rs_calloc(rs_bm_words(n) + 1, sizeof *bm);
    for (; *pos >= 0; pos++) rs_bm_set(bm, (size_t)*pos);
    return bm;
}

static void assert_positions(const uint32_t *got, size_t n, const int *want) {
    size_t i = 0;
    for (; want[i] >= 0; i++) {
        ck_assert_uint_lt(i, n);
        ck_assert_uint_eq(got[i], (uint32_t)want[i]);
    }
    ck_assert_uint_eq(n, i);
}

START_TEST(id_order_is_bytewise) {
    ck_assert_int_lt(rs_id_cmp("u1", 2, "u10", 3), 0);
    ck_assert_int_lt(rs_id_cmp("u10", 3, "u2", 2), 0);
    ck_assert_int_lt(rs_id_cmp("U9", 2, "u1", 2), 0);      /* case-sensitive: 'U' < 'u' */
    ck_assert_int_eq(rs_id_cmp("abc", 3, "abc", 3), 0);
    ck_assert_int_gt(rs_id_cmp("ab", 2, "a", 1), 0);
    ck_assert_int_lt(rs_id_cmp("", 0, "a", 1), 0);
    ck_assert_int_gt(rs_id_cmp("\xC3\xA9", 2, "z", 1), 0);  /* UTF-8 bytes above ASCII */
}
END_TEST

START_TEST(universe_valid_and_map) {
    static const char *const a[] = {"a", "b", "d"};
    static const char *const b[] = {"b", "c", "d", "e"};
    static const char *const bad[] = {"b", "a"};
    static const char *const dup[] = {"a", "a"};
    idtab ta, tb, tbad, tdup;
    idtab_init(&ta, a, 3);
    idtab_init(&tb, b, 4);
    idtab_init(&tbad, bad, 2);
    idtab_init(&tdup, dup, 2);
    rs_universe ua = universe_of(&ta), ub = universe_of(&tb), ubad = universe_of(&tbad), udup = universe_of(&tdup);
    ck_assert(rs_universe_valid(&ua));
    ck_assert(!rs_universe_valid(&ubad));
    ck_assert(!rs_universe_valid(&udup));
    uint32_t *map = rs_universe_map(&ua, &ub);
    ck_assert_uint_eq(map[0], RS_NONE);
    ck_assert_uint_eq(map[1], 0);
    ck_assert_uint_eq(map[2], 2);
    free(map);
    map = rs_universe_map(&ub, &ua);
    ck_assert_uint_eq(map[0], 1);
    ck_assert_uint_eq(map[1], RS_NONE);
    ck_assert_uint_eq(map[2], 2);
    ck_assert_uint_eq(map[3], RS_NONE);
    free(map);
}
END_TEST

START_TEST(delta_same_universe) {
    const int old_pos[] = {0, 2, 5, 64, 70, -1}, new_pos[] = {2, 3, 64, 99, -1};
    uint64_t *o = bits_of(100, old_pos), *n = bits_of(100, new_pos);
    rs_delta d;
    rs_delta_compute(&d, o, 100, NULL, n, 100);
    const int adds[] = {3, 99, -1}, removes[] = {0, 5, 70, -1};
    assert_positions(d.adds, d.nadds, adds);
    assert_positions(d.removes, d.nremoves, removes);
    ck_assert_uint_eq(d.old_count, 5);
    ck_assert_uint_eq(d.new_count, 4);
    rs_delta_free(&d);
    /* Unchanged: nothing either way. */
    rs_delta_compute(&d, o, 100, NULL, o, 100);
    ck_assert_uint_eq(d.nadds + d.nremoves, 0);
    rs_delta_free(&d);
    free(o);
    free(n);
}
END_TEST

START_TEST(delta_empty_before_and_after) {
    const int pos[] = {1, 4, -1}, none[] = {-1};
    uint64_t *m = bits_of(10, pos), *empty = bits_of(10, none);
    rs_delta d;
    rs_delta_compute(&d, NULL, 0, NULL, m, 10);           /* nothing stored: everyone added */
    assert_positions(d.adds, d.nadds, pos);
    ck_assert_uint_eq(d.nremoves, 0);
    ck_assert_uint_eq(d.old_count, 0);
    rs_delta_free(&d);
    rs_delta_compute(&d, m, 10, NULL, empty, 10);         /* nobody any more: everyone removed */
    assert_positions(d.removes, d.nremoves, pos);
    ck_assert_uint_eq(d.nadds, 0);
    rs_delta_free(&d);
    rs_delta_compute(&d, m, 10, NULL, NULL, 10);          /* NULL new bitmap: the same */
    assert_positions(d.removes, d.nremoves, pos);
    rs_delta_free(&d);
    rs_delta_compute(&d, NULL, 0, NULL, NULL, 0);         /* an empty organisation */
    ck_assert_uint_eq(d.nadds + d.nremoves + d.old_count + d.new_count, 0);
    rs_delta_free(&d);
    free(m);
    free(empty);
}
END_TEST

START_TEST(delta_ignores_padding_bits) {
    uint64_t o[1] = {0}, n[1] = {~(uint64_t)0};   /* bits past 3 are padding, not members */
    rs_delta d;
    rs_delta_compute(&d, o, 3, NULL, n, 3);
    const int adds[] = {0, 1, 2, -1};
    assert_positions(d.adds, d.nadds, adds);
    ck_assert_uint_eq(d.new_count, 3);
    rs_delta_free(&d);
}
END_TEST

/* The old universe lost u1 and u5, the new one gained u0 and u4. */
START_TEST(delta_across_universes) {
    static const char *const olds[] = {"u1", "u2", "u3", "u5"};
    static const char *const news[] = {"u0", "u2", "u3", "u4"};
    idtab to, tn;
    idtab_init(&to, olds, 4);
    idtab_init(&tn, news, 4);
    rs_universe uo = universe_of(&to), un = universe_of(&tn);
    uint32_t *map = rs_universe_map(&uo, &un);
    const int old_pos[] = {0, 1, 3, -1};     /* u1 u2 u5 */
    const int new_pos[] = {0, 2, 3, -1};     /* u0 u3 u4 */
    uint64_t *o = bits_of(4, old_pos), *n = bits_of(4, new_pos);
    rs_delta d;
    rs_delta_compute(&d, o, 4, map, n, 4);
    const int adds[] = {0, 2, 3, -1};        /* u0 u3 u4 (new positions) */
    const int removes[] = {0, 1, 3, -1};     /* u1 u2 u5 (old positions) */
    assert_positions(d.adds, d.nadds, adds);
    assert_positions(d.removes, d.nremoves, removes);
    rs_delta_free(&d);
    /* Members kept across universes are neither added nor removed. */
    const int keep_old[] = {1, 2, -1}, keep_new[] = {1, 2, -1};   /* u2 u3 in both */
    uint64_t *ko = bits_of(4, keep_old), *kn = bits_of(4, keep_new);
    rs_delta_compute(&d, ko, 4, map, kn, 4);
    ck_assert_uint_eq(d.nadds + d.nremoves, 0);
    rs_delta_free(&d);
    free(ko);
    free(kn);
    free(o);
    free(n);
    free(map);
}
END_TEST

static void assert_id(const rs_universe *u, uint32_t pos, const char *want) {
    size_t len;
    const char *id = rs_universe_id(u, pos, &len);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_int_eq(memcmp(id, want, len), 0);
}

/* Two sorted id lists compared as whole sets: every bit set on both sides. */
START_TEST(delta_of_sorted_lists) {
    static const char *const before[] = {"alice", "bob", "carol"};
    static const char *const after[] = {"bob", "carol", "dave", "erin"};
    idtab tb, ta;
    idtab_init(&tb, before, 3);
    idtab_init(&ta, after, 4);
    rs_universe ub = universe_of(&tb), ua = universe_of(&ta);
    uint32_t *map = rs_universe_map(&ub, &ua);
    const int all3[] = {0, 1, 2, -1}, all4[] = {0, 1, 2, 3, -1};
    uint64_t *b = bits_of(3, all3), *a = bits_of(4, all4);
    rs_delta d;
    rs_delta_compute(&d, b, 3, map, a, 4);
    ck_assert_uint_eq(d.nadds, 2);
    ck_assert_uint_eq(d.nremoves, 1);
    assert_id(&ua, d.adds[0], "dave");
    assert_id(&ua, d.adds[1], "erin");
    assert_id(&ub, d.removes[0], "alice");
    rs_sb out = {0};
    rs_delta_jsonl(&out, "g", &d, &ub, &ua, 0, SIZE_MAX);
    ck_assert_str_eq(out.buf, "{\"group\": \"g\", \"op\": \"add\", \"member\": \"dave\"}\n"
                              "{\"group\": \"g\", \"op\": \"add\", \"member\": \"erin\"}\n"
                              "{\"group\": \"g\", \"op\": \"remove\", \"member\": \"alice\"}\n");
    rs_sb_clear(&out);
    rs_delta_jsonl(&out, "g", &d, &ub, &ua, 1, 2);    /* lines 1 and 2: across the add/remove border */
    ck_assert_str_eq(out.buf, "{\"group\": \"g\", \"op\": \"add\", \"member\": \"erin\"}\n"
                              "{\"group\": \"g\", \"op\": \"remove\", \"member\": \"alice\"}\n");
    rs_sb_clear(&out);
    rs_delta_jsonl(&out, "g", &d, &ub, &ua, 3, 10);   /* past the end: nothing */
    ck_assert_uint_eq(out.len, 0);
    rs_sb_free(&out);
    rs_delta_free(&d);
    free(a);
    free(b);
    free(map);
}
END_TEST

/* Random universes and memberships against a plain set computation. */
START_TEST(delta_random_against_naive) {
    srand(12345);
    for (int round = 0; round < 200; round++) {
        /* Universes are random subsets of "m00".."m59" (kept sorted by construction). */
        static char names[60][4];
        const char *olds[60], *news[60];
        bool in_old[60], in_new[60], mem_old[60], mem_new[60];
        uint32_t no = 0, nn = 0;
        for (int k = 0; k < 60; k++) {
            names[k][0] = 'm';
            names[k][1] = (char)('0' + k / 10);
            names[k][2] = (char)('0' + k % 10);
            names[k][3] = '\0';
            in_old[k] = rand() % 3 != 0;
            in_new[k] = rand() % 3 != 0;
            mem_old[k] = in_old[k] && rand() % 2;
            mem_new[k] = in_new[k] && rand() % 2;
            if (in_old[k]) olds[no++] = names[k];
            if (in_new[k]) news[nn++] = names[k];
        }
        idtab to, tn;
        idtab_init(&to, olds, no);
        idtab_init(&tn, news, nn);
        rs_universe uo = universe_of(&to), un = universe_of(&tn);
        uint64_t *o = rs_calloc(2, sizeof *o), *n = rs_calloc(2, sizeof *n);
        for (int k = 0, po = 0, pn = 0; k < 60; k++) {
            if (in_old[k] && mem_old[k]) rs_bm_set(o, (size_t)po);
            if (in_new[k] && mem_new[k]) rs_bm_set(n, (size_t)pn);
            po += in_old[k];
            pn += in_new[k];
        }
        uint32_t *map = rs_universe_map(&uo, &un);
        rs_delta d;
        rs_delta_compute(&d, o, no, map, n, nn);
        rs_sb got = {0}, want = {0};
        /* In pieces of random sizes: the same bytes as all at once. */
        for (size_t first = 0, step; first < d.nadds + d.nremoves; first += step) {
            step = 1 + (size_t)(rand() % 5);
            rs_delta_jsonl(&got, "g", &d, &uo, &un, first, step);
        }
        for (int k = 0; k < 60; k++)
            if (mem_new[k] && !mem_old[k]) rs_delta_jsonl_line(&want, "\"g\"", 3, "add", names[k], 3);
        for (int k = 0; k < 60; k++)
            if (mem_old[k] && !mem_new[k]) rs_delta_jsonl_line(&want, "\"g\"", 3, "remove", names[k], 3);
        ck_assert_str_eq(got.buf ? got.buf : "", want.buf ? want.buf : "");
        rs_sb_free(&got);
        rs_sb_free(&want);
        rs_delta_free(&d);
        free(map);
        free(o);
        free(n);
    }
}
END_TEST

START_TEST(jsonl_escapes) {
    rs_sb out = {0};
    rs_sb g = {0};
    rs_sb_json_str(&g, "team \"A\"", 8);
    rs_delta_jsonl_line(&out, g.buf, g.len, "remove", "a\\b\n", 4);
    ck_assert_str_eq(out.buf, "{\"group\": \"team \\\"A\\\"\", \"op\": \"remove\", \"member\": \"a\\\\b\\n\"}\n");
    rs_sb_clear(&out);
    rs_delta_jsonl_line(&out, "\"g\"", 3, "add", "\xE5\xBC\xA0", 3);   /* UTF-8 stays as it is */
    ck_assert_str_eq(out.buf, "{\"group\": \"g\", \"op\": \"add\", \"member\": \"\xE5\xBC\xA0\"}\n");
    rs_sb_free(&out);
    rs_sb_free(&g);
}
END_TEST

/* The block writer against one rs_delta_jsonl_line per id: ids of every length around its 16-byte
 * copies, ids that need escaping among plain ones, a group id too long for the 64-byte prefix copy,
 * the last id of the table at its very end; over the table itself and over its flat copy. */
START_TEST(jsonl_blocks_match_lines) {
    static const char *const ids[] = {"a", "a\"q", "ab", "abcdefghijklmno", "abcdefghijklmnop",
                                      "abcdefghijklmnopq", "b\x7f", "c", "d\xE5\xBC\xA0", "e\\", "f", "g",
                                      "h\tx", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "zz"};
    uint32_t n = RS_ARRAY_LEN(ids);
    idtab t;
    idtab_init(&t, ids, n);
    rs_universe u = universe_of(&t);
    rs_flat_universe flat;
    rs_universe_flatten(&u, &flat);
    ck_assert(!flat.u.plain);
    ck_assert_uint_eq(flat.u.n, n);
    for (uint32_t j = 0; j < n; j++) {
        size_t a, b;
        const char *x = rs_universe_id(&u, j, &a), *y = rs_universe_id(&flat.u, j, &b);
        ck_assert(a == b && memcmp(x, y, a) == 0);
    }
    static const char *const groups[] = {"g",
                                         "a group id far longer than the sixty-four bytes of a prefix copy \"x\""};
    uint64_t *all = rs_calloc(1, sizeof *all);
    for (uint32_t j = 0; j < n; j++) rs_bm_set(all, j);
    rs_delta d;
    rs_delta_compute(&d, NULL, 0, NULL, all, n);
    for (size_t gi = 0; gi < RS_ARRAY_LEN(groups); gi++) {
        rs_sb want = {0}, gj = {0}, got = {0}, got_flat = {0};
        rs_sb_json_str(&gj, groups[gi], strlen(groups[gi]));
        for (uint32_t j = 0; j < n; j++) rs_delta_jsonl_line(&want, gj.buf, gj.len, "add", ids[j], strlen(ids[j]));
        rs_delta_jsonl(&got, groups[gi], &d, &u, &u, 0, SIZE_MAX);
        rs_delta_jsonl(&got_flat, groups[gi], &d, &u, &flat.u, 0, SIZE_MAX);
        ck_assert_str_eq(got.buf, want.buf);
        ck_assert_str_eq(got_flat.buf, want.buf);
        rs_sb_free(&want);
        rs_sb_free(&gj);
        rs_sb_free(&got);
        rs_sb_free(&got_flat);
    }
    rs_delta_free(&d);
    free(all);
    rs_flat_universe_free(&flat);
}
END_TEST

/* A flat copy of plain ids knows they need no escaping. */
START_TEST(flat_universe_plain) {
    static const char *const ids[] = {"u1", "u10", "u2"};
    idtab t;
    idtab_init(&t, ids, 3);
    rs_universe u = universe_of(&t);
    rs_flat_universe flat;
    rs_universe_flatten(&u, &flat);
    ck_assert(flat.u.plain);
    ck_assert(flat.u.order == NULL);
    size_t len;
    ck_assert(memcmp(rs_universe_id(&flat.u, 1, &len), "u10", 3) == 0 && len == 3);
    rs_flat_universe_free(&flat);
}
END_TEST

static uint64_t hash_parts(const char *a, const char *b) {
    rs_hash h;
    rs_hash_init(&h, 7);
    rs_hash_bytes(&h, a, strlen(a));
    rs_hash_bytes(&h, b, strlen(b));
    return rs_hash_final(&h);
}

START_TEST(hash_frames_and_spreads) {
    ck_assert_uint_eq(hash_parts("ab", "c"), hash_parts("ab", "c"));
    ck_assert_uint_ne(hash_parts("ab", "c"), hash_parts("a", "bc"));
    ck_assert_uint_ne(hash_parts("", "x"), hash_parts("x", ""));
    /* Long inputs take the two-lane path; a change in any byte changes the hash. */
    char buf[100];
    memset(buf, 'q', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    uint64_t base = hash_parts(buf, "");
    for (size_t i = 0; i < sizeof buf - 1; i++) {
        buf[i] = 'r';
        ck_assert_uint_ne(hash_parts(buf, ""), base);
        buf[i] = 'q';
    }
    rs_hash h1, h2;
    rs_hash_init(&h1, 1);
    rs_hash_init(&h2, 2);
    ck_assert_uint_ne(rs_hash_final(&h1), rs_hash_final(&h2));
}
END_TEST

/* A snapshot only as far as rs_snap_ids reads it: member ids. */
static void fake_snapshot(rs_snapshot *s, idtab *t, const uint32_t *sorted) {
    memset(s, 0, sizeof *s);
    s->nmembers = t->tab.n;
    s->member_ids = t->tab;
    s->member_ids.sorted = sorted;
}

START_TEST(snap_ids_rank_and_positions) {
    static const char *const ids[] = {"u2", "u10", "u1", "u3"};
    idtab t;
    idtab_init(&t, ids, 4);
    const uint32_t good[] = {2, 1, 0, 3};   /* u1 u10 u2 u3 */
    const uint32_t wrong[] = {0, 1, 2, 3};  /* not in byte order: must not be trusted */
    const uint32_t *orders[] = {good, wrong, NULL};
    for (int k = 0; k < 3; k++) {
        rs_snapshot s;
        fake_snapshot(&s, &t, orders[k]);
        rs_snap_ids si;
        rs_snap_ids_init(&si, &s);
        ck_assert(rs_universe_valid(&si.u));
        ck_assert_uint_eq(si.rank[0], 2);   /* u2 */
        ck_assert_uint_eq(si.rank[1], 1);   /* u10 */
        ck_assert_uint_eq(si.rank[2], 0);   /* u1 */
        ck_assert_uint_eq(si.rank[3], 3);   /* u3 */
        ck_assert(k == 0 ? si.owned_order == NULL : si.owned_order != NULL);
        uint64_t by_member = (1u << 0) | (1u << 2), by_pos = ~(uint64_t)0;   /* u2, u1 */
        rs_snap_ids_to_positions(&si, &by_member, &by_pos);
        ck_assert_uint_eq(by_pos, (1u << 0) | (1u << 2));                   /* positions of u1, u2 */
        rs_snap_ids_free(&si);
    }
}
END_TEST

static Suite *delta_suite(void) {
    Suite *s = suite_create("delta");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, id_order_is_bytewise);
    tcase_add_test(tc, universe_valid_and_map);
    tcase_add_test(tc, delta_same_universe);
    tcase_add_test(tc, delta_empty_before_and_after);
    tcase_add_test(tc, delta_ignores_padding_bits);
    tcase_add_test(tc, delta_across_universes);
    tcase_add_test(tc, delta_of_sorted_lists);
    tcase_add_test(tc, delta_random_against_naive);
    tcase_add_test(tc, jsonl_escapes);
    tcase_add_test(tc, jsonl_blocks_match_lines);
    tcase_add_test(tc, flat_universe_plain);
    tcase_add_test(tc, hash_frames_and_spreads);
    tcase_add_test(tc, snap_ids_rank_and_positions);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(delta_suite)
