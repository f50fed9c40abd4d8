/* state.c: the state database on SQLite; blob formats for universes and memberships. */
#include "runtime/state.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/date.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/db.h"

/* Prepared once per open, in this order. */
enum {
    Q_GROUP_PUT,
    Q_GROUP_DELETE,
    Q_GROUP_MEMBERS,
    Q_UNIVERSE_FIND,
    Q_UNIVERSE_PUT,
    Q_UNIVERSE_GET,
    Q_COUNT
};

static const char *const query_sql[Q_COUNT] = {
    [Q_GROUP_PUT] = ("INSERT OR REPLACE INTO groups (id, name, source_hash, rule_hash, snapshot_fp, "
                     "today, universe, count, members) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
    [Q_GROUP_DELETE] = "DELETE FROM groups WHERE id = ?1",
    [Q_GROUP_MEMBERS] = "SELECT members FROM groups WHERE id = ?1",
    [Q_UNIVERSE_FIND] = "SELECT id, ids FROM universes WHERE hash = ?1",
    [Q_UNIVERSE_PUT] = "INSERT INTO universes (hash, count, ids) VALUES (?1, ?2, ?3)",
    [Q_UNIVERSE_GET] = "SELECT count, ids FROM universes WHERE id = ?1",
};

/* The membership component's migrations (runtime/db.h): steps[v] takes it from version v to v + 1.
 * Released steps are never edited; a change of the tables is a new step at the end. */
static const char *const membership_steps[] = {
    /* 0 -> 1: the tables */
    "CREATE TABLE universes (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  hash INTEGER NOT NULL,        -- 64-bit hash of the ids\n"
    "  count INTEGER NOT NULL,\n"
    "  ids BLOB NOT NULL             -- sorted member ids, front-coded\n"
    ");\n"
    "CREATE INDEX universes_by_hash ON universes (hash);\n"
    "CREATE TABLE groups (\n"
    "  id TEXT PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  source_hash INTEGER NOT NULL,\n"
    "  rule_hash INTEGER NOT NULL,\n"
    "  snapshot_fp INTEGER NOT NULL,\n"
    "  today INTEGER,                -- NULL: the rule never reads today\n"
    "  universe INTEGER NOT NULL REFERENCES universes (id),\n"
    "  count INTEGER NOT NULL,\n"
    "  members BLOB NOT NULL         -- positions in the universe\n"
    ");\n"
    "CREATE TABLE runs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  finished_at TEXT NOT NULL,\n"
    "  as_of TEXT NOT NULL,\n"
    "  snapshot_fp INTEGER NOT NULL,\n"
    "  groups INTEGER NOT NULL,\n"
    "  groups_evaluated INTEGER NOT NULL,\n"
    "  groups_pruned INTEGER NOT NULL,\n"
    "  adds INTEGER NOT NULL,\n"
    "  removes INTEGER NOT NULL\n"
    ");\n",
};

static const rs_db_component membership = {"membership", membership_steps, RS_STATE_VERSION};
_Static_assert(sizeof membership_steps / sizeof membership_steps[0] == RS_STATE_VERSION,
               "RS_STATE_VERSION is the number of membership migrations");

struct rs_state {
    rs_db *conn;
    sqlite3 *db;               /* conn's handle, for this file's statements */
    sqlite3_stmt *q[Q_COUNT];
    rs_sb blob;                /* reused encoding buffer */
};

/* SQLite keeps 64-bit signed integers; our hashes are unsigned: store the same bits. */
static int64_t to_i64(uint64_t v) {
    int64_t r;
    memcpy(&r, &v, sizeof r);
    return r;
}

static uint64_t from_i64(int64_t v) {
    uint64_t r;
    memcpy(&r, &v, sizeof r);
    return r;
}

static int fail(rs_state *st, const char *what) { return rs_db_fail(st->conn, what); }
static int fail_msg(rs_state *st, const char *msg) { return rs_db_fail_msg(st->conn, msg); }
static int exec(rs_state *st, const char *sql) { return rs_db_exec(st->conn, sql); }

static int prepare_all(rs_state *st) {
    for (int i = 0; i < Q_COUNT; i++)
        if (sqlite3_prepare_v2(st->db, query_sql[i], -1, &st->q[i], NULL) != SQLITE_OK)
            return fail(st, "preparing a query");
    return 0;
}

int rs_state_open(rs_state **out, const char *path, rs_state_mode mode, rs_diags *diags) {
    *out = NULL;
    rs_db *conn;
    bool present = false;
    if (rs_db_open(&conn, path, mode == RS_STATE_READ ? RS_DB_READ : RS_DB_WRITE, diags) != 0) return -1;
    if (!conn) return 0;   /* a reader, and nothing stored yet */
    int rc = rs_db_use(conn, &membership, &present);
    if (rc != 0 || !present) {   /* a reader of a database without memberships: nothing stored yet */
        rs_db_close(conn);
        return rc;
    }
    rs_state *st = rs_calloc(1, sizeof *st);
    st->conn = conn;
    st->db = rs_db_sqlite(conn);
    if (prepare_all(st) != 0) {
        rs_state_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

rs_db *rs_state_db(rs_state *st) { return st->conn; }

void rs_state_close(rs_state *st) {
    if (!st) return;
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(st->q[i]);
    rs_db_close(st->conn);   /* an open transaction is rolled back */
    rs_sb_free(&st->blob);
    free(st);
}

/* ---- reading ---- */

static char *column_text(sqlite3_stmt *q, int col) {
    const unsigned char *t = sqlite3_column_text(q, col);
    return rs_strdup(t ? (const char *)t : "");
}

static void read_group_row(sqlite3_stmt *q, rs_sgroup *g) {
    g->id = column_text(q, 0);
    g->name = column_text(q, 1);
    g->source_hash = (uint32_t)sqlite3_column_int64(q, 2);
    g->rule_hash = from_i64(sqlite3_column_int64(q, 3));
    g->snapshot_fp = from_i64(sqlite3_column_int64(q, 4));
    g->today = sqlite3_column_type(q, 5) == SQLITE_NULL ? RS_NO_TODAY : (int32_t)sqlite3_column_int64(q, 5);
    g->universe = sqlite3_column_int64(q, 6);
    g->count = (uint32_t)sqlite3_column_int64(q, 7);
}

int rs_state_groups(rs_state *st, rs_sgroups *out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q;
    /* BINARY collation is memcmp then length: the byte order rs_id_cmp uses. */
    const char *sql = "SELECT id, name, source_hash, rule_hash, snapshot_fp, today, universe, count "
                      "FROM groups ORDER BY id";
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return fail(st, "reading the groups");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        RS_GROW(out->items, cap, out->n + 1);
        read_group_row(q, &out->items[out->n++]);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        rs_sgroups_free(out);
        return fail(st, "reading the groups");
    }
    return 0;
}

void rs_sgroups_free(rs_sgroups *g) {
    for (size_t i = 0; i < g->n; i++) {
        free(g->items[i].id);
        free(g->items[i].name);
    }
    free(g->items);
    memset(g, 0, sizeof *g);
}

const rs_sgroup *rs_sgroups_find(const rs_sgroups *g, const char *id) {
    size_t lo = 0, hi = g->n, len = strlen(id);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = g->items[mid].id;
        int c = rs_id_cmp(m, strlen(m), id, len);
        if (c == 0) return &g->items[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static const void *column_blob(sqlite3_stmt *q, int col, size_t *len) {
    const void *b = sqlite3_column_blob(q, col);
    *len = (size_t)sqlite3_column_bytes(q, col);
    return b ? b : "";
}

int rs_state_universe(rs_state *st, int64_t id, rs_suniverse **out) {
    *out = NULL;
    sqlite3_stmt *q = st->q[Q_UNIVERSE_GET];
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        return rc == SQLITE_DONE ? fail_msg(st, "a group refers to a universe that is not stored")
                                 : fail(st, "reading a universe");
    }
    int64_t n = sqlite3_column_int64(q, 0);
    size_t len;
    const void *blob = column_blob(q, 1, &len);
    rs_suniverse *su = rs_calloc(1, sizeof *su);
    bool ok = n >= 0 && n < (int64_t)RS_NONE && rs_state_decode_universe(blob, len, (uint32_t)n, su);
    sqlite3_reset(q);
    if (!ok) {
        rs_suniverse_free(su);
        return fail_msg(st, "a stored universe of member ids is corrupt");
    }
    su->id = id;
    *out = su;
    return 0;
}

void rs_suniverse_free(rs_suniverse *su) {
    if (!su) return;
    free(su->off);
    free(su->bytes);
    free(su);
}

int rs_state_members(rs_state *st, const rs_sgroup *g, uint32_t universe_n, uint64_t **bits) {
    *bits = NULL;
    sqlite3_stmt *q = st->q[Q_GROUP_MEMBERS];
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, g->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        return fail(st, "reading a membership");
    }
    size_t len;
    const void *blob = column_blob(q, 0, &len);
    bool ok = rs_state_decode_members(blob, len, universe_n, g->count, bits);
    sqlite3_reset(q);
    if (!ok) {
        char msg[320];
        snprintf(msg, sizeof msg, "the stored membership of group '%.200s' is corrupt", g->id);
        return fail_msg(st, msg);
    }
    return 0;
}

/* ---- writing ---- */

int rs_state_begin(rs_state *st) { return rs_db_begin(st->conn); }

static bool same_blob(sqlite3_stmt *q, int col, const rs_sb *b) {
    size_t len;
    const void *blob = column_blob(q, col, &len);
    return len == b->len && (len == 0 || memcmp(blob, b->buf, len) == 0);
}

int rs_state_find_universe(rs_state *st, const rs_sb *encoded, uint64_t hash, int64_t *id) {
    *id = 0;
    sqlite3_stmt *q = st->q[Q_UNIVERSE_FIND];
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, to_i64(hash));
    int rc;
    /* The hash only narrows the search: equal bytes decide. */
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (same_blob(q, 1, encoded)) {
            *id = sqlite3_column_int64(q, 0);
            break;
        }
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(st, "looking up a universe");
    return 0;
}

int rs_state_put_universe(rs_state *st, const rs_sb *encoded, uint64_t hash, uint32_t n, int64_t *id) {
    TRY(rs_state_find_universe(st, encoded, hash, id));
    if (*id) return 0;
    sqlite3_stmt *q = st->q[Q_UNIVERSE_PUT];
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, to_i64(hash));
    sqlite3_bind_int64(q, 2, n);
    sqlite3_bind_blob64(q, 3, encoded->len ? encoded->buf : "", encoded->len, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return fail(st, "storing a universe");
    *id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

static uint64_t count_members(const uint64_t *bits, uint32_t n) {
    uint64_t c = 0;
    for (size_t w = 0; w < rs_bm_words(n); w++) c += (uint64_t)__builtin_popcountll(bits[w]);
    return c;
}

int rs_state_put_group(rs_state *st, const rs_sgroup *meta, const uint64_t *bits, uint32_t n) {
    rs_sb_clear(&st->blob);
    rs_state_encode_members(bits, n, &st->blob);
    sqlite3_stmt *q = st->q[Q_GROUP_PUT];
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, meta->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, meta->name ? meta->name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, meta->source_hash);
    sqlite3_bind_int64(q, 4, to_i64(meta->rule_hash));
    sqlite3_bind_int64(q, 5, to_i64(meta->snapshot_fp));
    if (meta->today == RS_NO_TODAY) sqlite3_bind_null(q, 6);
    else sqlite3_bind_int64(q, 6, meta->today);
    sqlite3_bind_int64(q, 7, meta->universe);
    sqlite3_bind_int64(q, 8, (int64_t)count_members(bits, n));
    sqlite3_bind_blob64(q, 9, st->blob.buf, st->blob.len, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : fail(st, "storing a group");
}

int rs_state_delete_group(rs_state *st, const char *id) {
    sqlite3_stmt *q = st->q[Q_GROUP_DELETE];
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : fail(st, "deleting a group");
}

int rs_state_add_run(rs_state *st, const rs_srun *run) {
    sqlite3_stmt *q;
    const char *sql = "INSERT INTO runs (finished_at, as_of, snapshot_fp, groups, groups_evaluated, "
                      "groups_pruned, adds, removes) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
                      "?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) return fail(st, "recording the run");
    char day[RS_DATE_MAX];
    rs_date_format(run->as_of, day);
    sqlite3_bind_text(q, 1, day, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, to_i64(run->snapshot_fp));
    sqlite3_bind_int64(q, 3, run->groups);
    sqlite3_bind_int64(q, 4, run->groups_evaluated);
    sqlite3_bind_int64(q, 5, run->groups_pruned);
    sqlite3_bind_int64(q, 6, (int64_t)run->adds);
    sqlite3_bind_int64(q, 7, (int64_t)run->removes);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : fail(st, "recording the run");
}

int rs_state_commit(rs_state *st) {
    TRY(exec(st, "DELETE FROM universes WHERE id NOT IN (SELECT universe FROM groups)"));
    return rs_db_commit(st->conn);
}

void rs_state_rollback(rs_state *st) {
    if (st) rs_db_rollback(st->conn);
}

/* ---- blob formats ---- */

static void put_varint(rs_sb *out, uint64_t v) {
    char b[10];
    size_t n = 0;
    do {
        b[n++] = (char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    rs_sb_put(out, b, n);
}

static bool get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return false;
        unsigned char c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return true;
    }
    return false;
}

static size_t varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void rs_state_encode_universe(const rs_universe *u, rs_sb *out) {
    const char *prev = "";
    size_t prev_len = 0;
    for (uint32_t j = 0; j < u->n; j++) {
        size_t len, shared = 0;
        const char *id = rs_universe_id(u, j, &len);
        while (shared < len && shared < prev_len && id[shared] == prev[shared]) shared++;
        put_varint(out, shared);
        put_varint(out, len - shared);
        rs_sb_put(out, id + shared, len - shared);
        prev = id;
        prev_len = len;
    }
}

/* Room for `more` bytes at the end of a growing buffer. */
static void reserve(char **buf, size_t *cap, size_t len, size_t more) {
    if (len + more <= *cap) return;
    size_t nc = *cap ? *cap : 4096;
    while (nc < len + more) nc *= 2;
    *buf = rs_realloc(*buf, nc);
    *cap = nc;
}

bool rs_state_decode_universe(const void *blob, size_t len, uint32_t n, rs_suniverse *out) {
    const unsigned char *p = blob, *end = p + len;
    out->off = rs_malloc(((size_t)n + 1) * sizeof *out->off);
    out->off[0] = 0;
    /* Front coding rarely more than triples the size: start there, grow when it does. */
    size_t cap = len * 3 + 16, blen = 0;
    char *buf = rs_malloc(cap);
    bool ok = true;
    for (uint32_t j = 0; ok && j < n; j++) {
        uint64_t shared, rest;
        size_t prev_start = j ? out->off[j - 1] : 0, prev_len = out->off[j] - prev_start;
        ok = get_varint(&p, end, &shared) && get_varint(&p, end, &rest) && shared <= prev_len &&
             rest <= (uint64_t)(end - p) && blen + shared + rest < UINT32_MAX;
        if (!ok) break;
        reserve(&buf, &cap, blen, (size_t)(shared + rest));
        /* The shared prefix comes from the previous id, already decoded. */
        memcpy(buf + blen, buf + prev_start, (size_t)shared);
        memcpy(buf + blen + shared, p, (size_t)rest);
        p += rest;
        blen += (size_t)(shared + rest);
        out->off[j + 1] = (uint32_t)blen;
        if (j > 0)
            ok = rs_id_cmp(buf + prev_start, prev_len, buf + out->off[j], (size_t)(shared + rest)) < 0;
    }
    ok = ok && p == end;
    out->bytes = buf;
    out->tab.n = n;
    out->tab.off = out->off;
    out->tab.bytes = out->bytes;
    out->tab.sorted = NULL;
    out->u.tab = &out->tab;
    out->u.order = NULL;
    out->u.n = n;
    return ok;
}

/* Bytes the gap form takes: one varint per member. */
static size_t gaps_size(const uint64_t *bits, uint32_t n, size_t limit) {
    size_t size = 1, words = rs_bm_words(n);
    uint64_t prev = 0;
    bool first = true;
    for (size_t w = 0; w < words && size < limit; w++)
        for (uint64_t x = bits[w]; x; x &= x - 1) {
            uint64_t pos = w * 64 + (uint64_t)__builtin_ctzll(x);
            size += varint_len(first ? pos : pos - prev - 1);
            prev = pos;
            first = false;
        }
    return size;
}

static void encode_gaps(const uint64_t *bits, uint32_t n, rs_sb *out) {
    size_t words = rs_bm_words(n);
    uint64_t prev = 0;
    bool first = true;
    rs_sb_putc(out, 0);
    for (size_t w = 0; w < words; w++)
        for (uint64_t x = bits[w]; x; x &= x - 1) {
            uint64_t pos = w * 64 + (uint64_t)__builtin_ctzll(x);
            put_varint(out, first ? pos : pos - prev - 1);
            prev = pos;
            first = false;
        }
}

static void encode_dense(const uint64_t *bits, uint32_t n, rs_sb *out) {
    size_t words = rs_bm_words(n);
    rs_sb_putc(out, 1);
    for (size_t w = 0; w < words; w++) {
        unsigned char b[8];
        for (int k = 0; k < 8; k++) b[k] = (unsigned char)(bits[w] >> (8 * k));
        rs_sb_put(out, (const char *)b, 8);
    }
}

void rs_state_encode_members(const uint64_t *bits, uint32_t n, rs_sb *out) {
    size_t dense = 1 + rs_bm_words(n) * 8;
    if (gaps_size(bits, n, dense) < dense) encode_gaps(bits, n, out);
    else encode_dense(bits, n, out);
}

static bool decode_gaps(const unsigned char *p, const unsigned char *end, uint32_t n, uint64_t *bm, uint32_t *count) {
    uint64_t pos = 0;
    for (bool first = true; p < end; first = false) {
        uint64_t gap;
        if (!get_varint(&p, end, &gap)) return false;
        if (!first && gap >= (uint64_t)n) return false;   /* also keeps pos + gap from wrapping */
        pos = first ? gap : pos + gap + 1;
        if (pos >= n) return false;
        rs_bm_set(bm, (size_t)pos);
        (*count)++;
    }
    return true;
}

static bool decode_dense(const unsigned char *p, size_t len, uint32_t n, uint64_t *bm, uint32_t *count) {
    size_t words = rs_bm_words(n);
    if (len != words * 8) return false;
    for (size_t w = 0; w < words; w++) {
        uint64_t x = 0;
        for (int k = 0; k < 8; k++) x |= (uint64_t)p[w * 8 + (size_t)k] << (8 * k);
        bm[w] = x;
        *count += (uint32_t)__builtin_popcountll(x);
    }
    /* Bits past n would be members that do not exist. */
    return n % 64 == 0 || words == 0 || (bm[words - 1] >> (n % 64)) == 0;
}

bool rs_state_decode_members(const void *blob, size_t len, uint32_t n, uint32_t count, uint64_t **bits) {
    const unsigned char *p = blob;
    uint64_t *bm = rs_calloc(rs_bm_words(n) + 1, sizeof *bm);
    uint32_t got = 0;
    bool ok = len >= 1 && (p[0] == 0   ? decode_gaps(p + 1, p + len, n, bm, &got)
                           : p[0] == 1 ? decode_dense(p + 1, len - 1, n, bm, &got)
                                       : false);
    if (!ok || got != count) {
        free(bm);
        *bits = NULL;
        return false;
    }
    *bits = bm;
    return true;
}
