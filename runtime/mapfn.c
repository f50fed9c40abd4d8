/* mapfn.c: the mapping function library and comparisons. Empty values pass through functions
 * (lower of nothing is nothing), `concat` skips them and `coalesce` picks the first value that is
 * not empty. Text compares ignoring case (Unicode simple case folding), as rules do. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/mapeval_int.h"
#include "common/date.h"
#include "common/utf8.h"
#include "common/util.h"

bool map_is_empty(const rs_mapval *v) {
    return v->type == MT_ANY || ((v->type == MT_TEXT || v->type == MT_LIST) && v->len == 0);
}

static void set_empty(rs_mapval *v) { memset(v, 0, sizeof *v); }

static void set_text(rs_mapval *v, const char *s, size_t len) {
    memset(v, 0, sizeof *v);
    if (len == 0) return;
    v->type = MT_TEXT;
    v->s = s;
    v->len = len;
}

static void fail(map_ctx *ctx, rs_mapfail_kind kind, const char *msg) {
    if (ctx->fail) return;
    ctx->fail = msg;
    ctx->fail_kind = kind;
}

rs_mapstr map_as_text(map_ctx *ctx, const rs_mapval *v) {
    rs_mapstr r = {"", 0};
    char buf[40];
    switch (v->type) {
    case MT_TEXT: r.s = v->s; r.len = v->len; return r;
    case MT_NUMBER:
        if (v->num == floor(v->num) && fabs(v->num) < 9007199254740992.0)
            snprintf(buf, sizeof buf, "%.0f", v->num);
        else snprintf(buf, sizeof buf, "%.17g", v->num);
        break;
    case MT_BOOL: snprintf(buf, sizeof buf, "%s", v->b ? "true" : "false"); break;
    case MT_DATE: rs_date_format(v->day, buf); break;
    default: return r;
    }
    r.len = strlen(buf);
    r.s = rs_arena_strndup(ctx->arena, buf, r.len);
    return r;
}

/* ---- case ---- */

static bool ascii(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80) return false;
    return true;
}

static rs_mapstr fold(map_ctx *ctx, const char *s, size_t len) {
    rs_mapstr r;
    char *o = rs_arena_alloc(ctx->arena, len + 1);
    if (ascii(s, len)) {
        for (size_t i = 0; i < len; i++) o[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        r.s = o;
        r.len = len;
        return r;
    }
    size_t n;
    char *f = rs_casefold(s, len, &n);
    r.s = rs_arena_strndup(ctx->arena, f, n);
    r.len = n;
    free(f);
    return r;
}

/* upper() inverts the simple case folding: the smallest code point that folds to c. Built once. */
typedef struct cp_pair {
    uint32_t folded, upper;
} cp_pair;

static cp_pair *upper_table;
static size_t upper_n;

static int pair_cmp(const void *x, const void *y) {
    const cp_pair *a = x, *b = y;
    return a->folded < b->folded ? -1 : a->folded > b->folded ? 1 : (a->upper > b->upper) - (a->upper < b->upper);
}

static void build_upper(void) {
    size_t cap = 4096;
    upper_table = rs_malloc(cap * sizeof *upper_table);
    for (uint32_t cp = 0; cp < 0x20000; cp++) {
        uint32_t f = rs_casefold_cp(cp);
        if (f == cp) continue;
        RS_GROW(upper_table, cap, upper_n + 1);
        upper_table[upper_n].folded = f;
        upper_table[upper_n++].upper = cp;
    }
    qsort(upper_table, upper_n, sizeof *upper_table, pair_cmp);
}

static uint32_t upper_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    size_t lo = 0, hi = upper_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (upper_table[mid].folded < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < upper_n && upper_table[lo].folded == cp ? upper_table[lo].upper : cp;
}

static void fn_upper(map_ctx *ctx, const rs_mapval *a, rs_mapval *out) {
    char *o = rs_arena_alloc(ctx->arena, a->len * 2 + 4);
    size_t n = 0;
    if (!ascii(a->s, a->len) && !upper_table) build_upper();
    for (size_t i = 0; i < a->len;) {
        uint32_t cp;
        int k = rs_utf8_decode((const unsigned char *)a->s + i, a->len - i, &cp);
        if (k <= 0) {
            cp = (unsigned char)a->s[i];
            k = 1;
        }
        n += (size_t)rs_utf8_encode(upper_cp(cp), o + n);
        i += (size_t)k;
    }
    set_text(out, o, n);
}

/* ---- text ---- */

static bool is_space_at(const char *s, size_t len, size_t i, size_t *w) {
    unsigned char c = (unsigned char)s[i];
    *w = 1;
    if (c == ' ' || (c >= '\t' && c <= '\r')) return true;
    if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0) return (*w = 2), true;
    if (c == 0xE3 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x80)
        return (*w = 3), true;
    return false;
}

static void fn_trim(const rs_mapval *a, rs_mapval *out) {
    size_t b = 0, e = a->len, w;
    while (b < e && is_space_at(a->s, e, b, &w)) b += w;
    /* from the end: step back over ASCII blanks and the multi-byte spaces */
    for (;;) {
        if (e > b && is_space_at(a->s, a->len, e - 1, &w) && w == 1) e--;
        else if (e >= b + 2 && is_space_at(a->s, a->len, e - 2, &w) && w == 2) e -= 2;
        else if (e >= b + 3 && is_space_at(a->s, a->len, e - 3, &w) && w == 3) e -= 3;
        else break;
    }
    set_text(out, a->s + b, e - b);
}

static void fn_concat(map_ctx *ctx, const rs_mapval *args, size_t n, rs_mapval *out) {
    size_t total = 0;
    rs_mapstr *parts = rs_arena_alloc(ctx->arena, n * sizeof *parts);
    for (size_t i = 0; i < n; i++) {
        parts[i] = map_is_empty(&args[i]) ? (rs_mapstr){"", 0} : map_as_text(ctx, &args[i]);
        total += parts[i].len;
    }
    char *o = rs_arena_alloc(ctx->arena, total + 1);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(o + at, parts[i].s, parts[i].len);
        at += parts[i].len;
    }
    set_text(out, o, total);
}

/* Byte offset of code point `cp` in s (len when s is shorter). */
static size_t cp_offset(const char *s, size_t len, double cp) {
    size_t i = 0;
    for (double k = 0; k < cp && i < len; k++) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    }
    return i;
}

static void fn_substr(const rs_mapval *args, size_t n, rs_mapval *out) {
    const rs_mapval *a = &args[0];
    double start = map_is_empty(&args[1]) ? 0 : floor(args[1].num);
    if (start < 0) start = 0;
    size_t b = cp_offset(a->s, a->len, start);
    size_t e = a->len;
    if (n == 3 && !map_is_empty(&args[2])) {
        double count = floor(args[2].num);
        e = b + cp_offset(a->s + b, a->len - b, count < 0 ? 0 : count);
    }
    set_text(out, a->s + b, e - b);
}

static const char *find(const char *s, size_t len, const char *pat, size_t plen) {
    if (plen == 0 || plen > len) return NULL;
    for (size_t i = 0; i + plen <= len; i++)
        if (s[i] == pat[0] && memcmp(s + i, pat, plen) == 0) return s + i;
    return NULL;
}

static void fn_replace(map_ctx *ctx, const rs_mapval *args, rs_mapval *out) {
    rs_mapstr from = map_as_text(ctx, &args[1]), to = map_as_text(ctx, &args[2]);
    const char *s = args[0].s, *end = s + args[0].len;
    size_t count = 0;
    for (const char *p = s; (p = find(p, (size_t)(end - p), from.s, from.len)); p += from.len) count++;
    if (count == 0) {
        *out = args[0];
        return;
    }
    char *o = rs_arena_alloc(ctx->arena, args[0].len - count * from.len + count * to.len + 1);
    size_t at = 0;
    for (const char *p = s;;) {
        const char *hit = find(p, (size_t)(end - p), from.s, from.len);
        size_t keep = (size_t)((hit ? hit : end) - p);
        memcpy(o + at, p, keep);
        at += keep;
        if (!hit) break;
        memcpy(o + at, to.s, to.len);
        at += to.len;
        p = hit + from.len;
    }
    set_text(out, o, at);
}

/* Pieces between separators; empty pieces are left out. */
static void fn_split(map_ctx *ctx, const rs_mapval *args, rs_mapval *out) {
    rs_mapstr sep = map_as_text(ctx, &args[1]);
    const char *s = args[0].s, *end = s + args[0].len;
    size_t cap = 1;
    for (const char *p = s; sep.len && (p = find(p, (size_t)(end - p), sep.s, sep.len)); p += sep.len)
        cap++;
    rs_mapstr *items = rs_arena_alloc(ctx->arena, cap * sizeof *items);
    size_t n = 0;
    for (const char *p = s; p <= end;) {
        const char *hit = sep.len ? find(p, (size_t)(end - p), sep.s, sep.len) : NULL;
        const char *stop = hit ? hit : end;
        if (stop > p) items[n++] = (rs_mapstr){p, (size_t)(stop - p)};
        if (!hit) break;
        p = hit + sep.len;
    }
    memset(out, 0, sizeof *out);
    if (n == 0) return;
    out->type = MT_LIST;
    out->items = items;
    out->len = n;
}

static void fn_join(map_ctx *ctx, const rs_mapval *args, rs_mapval *out) {
    rs_mapstr sep = map_as_text(ctx, &args[1]);
    size_t total = 0;
    for (size_t i = 0; i < args[0].len; i++) total += args[0].items[i].len + sep.len;
    char *o = rs_arena_alloc(ctx->arena, total + 1);
    size_t at = 0;
    for (size_t i = 0; i < args[0].len; i++) {
        if (i) {
            memcpy(o + at, sep.s, sep.len);
            at += sep.len;
        }
        memcpy(o + at, args[0].items[i].s, args[0].items[i].len);
        at += args[0].items[i].len;
    }
    set_text(out, o, at);
}

static void fn_lookup(map_ctx *ctx, const rs_mapval *args, rs_mapval *out) {
    rs_mapstr name = map_as_text(ctx, &args[0]), key = map_as_text(ctx, &args[1]);
    for (size_t i = 0; i < ctx->ntables; i++) {
        const map_lookup *t = &ctx->tables[i];
        if (strlen(t->name) != name.len || memcmp(t->name, name.s, name.len) != 0) continue;
        const rs_mapstr *v = map_lookup_get(t, key.s, key.len);
        if (v) {
            set_text(out, v->s, v->len);
            return;
        }
        fail(ctx, RS_MAPFAIL_LOOKUP_MISSING,
             rs_arena_printf(ctx->arena, "key \"%.*s\" is not in table \"%s\"",
                              (int)(key.len > 80 ? 80 : key.len), key.s, t->name));
        set_empty(out);
        return;
    }
    fail(ctx, RS_MAPFAIL_LOOKUP_MISSING, rs_arena_printf(ctx->arena, "no table \"%.*s\"",
                                                          (int)name.len, name.s));
    set_empty(out);
}

/* YYYY-MM-DD, alone or at the start of an RFC 3339 timestamp (the date as written, not moved to
 * another time zone). */
static bool read_date(const char *s, size_t len, int32_t *day) {
    if (len > 10 && s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
    return len >= 10 && rs_date_parse(s, 10, day);
}

static void fn_date(map_ctx *ctx, const rs_mapval *a, rs_mapval *out) {
    memset(out, 0, sizeof *out);
    if (a->type == MT_DATE) {
        *out = *a;
        return;
    }
    if (!read_date(a->s, a->len, &out->day)) {
        fail(ctx, RS_MAPFAIL_BAD_VALUE,
             rs_arena_printf(ctx->arena, "date() cannot read \"%.*s\": it takes YYYY-MM-DD or an "
                              "RFC 3339 timestamp", (int)(a->len > 60 ? 60 : a->len), a->s));
        return;
    }
    out->type = MT_DATE;
}

/* %Y %m %d, %s (seconds since 1970-01-01 at midnight UTC) and %%; anything else is copied. */
static void fn_format_date(map_ctx *ctx, const rs_mapval *args, rs_mapval *out) {
    rs_mapstr f = map_as_text(ctx, &args[1]);
    int y;
    unsigned m, d;
    rs_civil_from_days(args[0].day, &y, &m, &d);
    char *o = rs_arena_alloc(ctx->arena, f.len * 12 + 1);
    size_t at = 0;
    for (size_t i = 0; i < f.len; i++) {
        char c = i + 1 < f.len && f.s[i] == '%' ? f.s[++i] : '\0';
        switch (c) {
        case 'Y': at += (size_t)sprintf(o + at, "%04d", y); break;
        case 'm': at += (size_t)sprintf(o + at, "%02u", m); break;
        case 'd': at += (size_t)sprintf(o + at, "%02u", d); break;
        case 's': at += (size_t)sprintf(o + at, "%lld", (long long)args[0].day * 86400); break;
        case '%': o[at++] = '%'; break;
        case '\0': o[at++] = f.s[i]; break;
        default: o[at++] = '%'; o[at++] = c; break;
        }
    }
    set_text(out, o, at);
}

/* What Lark's join_time takes: an integer, exact in a double for every date roster can hold. */
static void fn_unix_seconds(const rs_mapval *a, rs_mapval *out) {
    memset(out, 0, sizeof *out);
    out->type = MT_NUMBER;
    out->num = (double)a->day * 86400.0;
}

/* Functions that give nothing for an empty first argument. */
static bool empty_in_empty_out(map_fn f) {
    return f != MAP_FN_CONCAT && f != MAP_FN_COALESCE && f != MAP_FN_IF && f != MAP_FN_LOOKUP;
}

void map_call(map_ctx *ctx, map_fn f, const rs_mapval *args, size_t n, rs_mapval *out) {
    if (empty_in_empty_out(f) && map_is_empty(&args[0])) {
        set_empty(out);
        return;
    }
    switch (f) {
    case MAP_FN_LOWER: {
        rs_mapstr r = fold(ctx, args[0].s, args[0].len);
        set_text(out, r.s, r.len);
        break;
    }
    case MAP_FN_UPPER: fn_upper(ctx, &args[0], out); break;
    case MAP_FN_TRIM: fn_trim(&args[0], out); break;
    case MAP_FN_CONCAT: fn_concat(ctx, args, n, out); break;
    case MAP_FN_COALESCE:
        set_empty(out);
        for (size_t i = 0; i < n; i++)
            if (!map_is_empty(&args[i])) {
                *out = args[i];
                break;
            }
        break;
    case MAP_FN_SUBSTR: fn_substr(args, n, out); break;
    case MAP_FN_REPLACE: fn_replace(ctx, args, out); break;
    case MAP_FN_SPLIT: fn_split(ctx, args, out); break;
    case MAP_FN_JOIN: fn_join(ctx, args, out); break;
    case MAP_FN_LOOKUP:
        if (map_is_empty(&args[1])) set_empty(out);
        else fn_lookup(ctx, args, out);
        break;
    case MAP_FN_DATE: fn_date(ctx, &args[0], out); break;
    case MAP_FN_FORMAT_DATE: fn_format_date(ctx, args, out); break;
    case MAP_FN_UNIX_SECONDS: fn_unix_seconds(&args[0], out); break;
    /* if and regex_replace have their own instructions (JUMP_FALSE, REGEX) */
    case MAP_FN_IF: case MAP_FN_REGEX_REPLACE: case MAP_FN_COUNT: set_empty(out); break;
    }
}

/* ---- comparisons ---- */

static int text_cmp_fold(map_ctx *ctx, rs_mapstr a, rs_mapstr b) {
    rs_mapstr fa = fold(ctx, a.s, a.len), fb = fold(ctx, b.s, b.len);
    size_t n = fa.len < fb.len ? fa.len : fb.len;
    int c = memcmp(fa.s, fb.s, n);
    return c ? c : (fa.len > fb.len) - (fa.len < fb.len);
}

static int order(const rs_mapval *a, const rs_mapval *b) {
    double x = a->type == MT_DATE ? a->day : a->num, y = b->type == MT_DATE ? b->day : b->num;
    return (x > y) - (x < y);
}

static bool equal(map_ctx *ctx, const rs_mapval *a, const rs_mapval *b) {
    if (map_is_empty(a) || map_is_empty(b)) return false;
    if (a->type == MT_TEXT || b->type == MT_TEXT)
        return text_cmp_fold(ctx, map_as_text(ctx, a), map_as_text(ctx, b)) == 0;
    if (a->type == MT_BOOL) return b->type == MT_BOOL && a->b == b->b;
    return a->type == b->type && order(a, b) == 0;
}

static bool list_has(map_ctx *ctx, const rs_mapval *list, const rs_mapval *v) {
    rs_mapstr t = map_as_text(ctx, v);
    for (size_t i = 0; i < list->len; i++)
        if (text_cmp_fold(ctx, list->items[i], t) == 0) return true;
    return false;
}

static bool any_equal(map_ctx *ctx, const rs_mapval *lhs, const rs_mapval *ops, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (lhs->type == MT_LIST ? list_has(ctx, lhs, &ops[i]) : equal(ctx, lhs, &ops[i])) return true;
    }
    return false;
}

static bool text_test(map_ctx *ctx, map_cmp c, const rs_mapval *lhs, const rs_mapval *op) {
    if (map_is_empty(op)) return false;
    rs_mapstr h = fold(ctx, lhs->s, lhs->len), nt = map_as_text(ctx, op);
    rs_mapstr n = fold(ctx, nt.s, nt.len);
    if (c == MCMP_STARTS) return n.len <= h.len && memcmp(h.s, n.s, n.len) == 0;
    return find(h.s, h.len, n.s, n.len) != NULL || n.len == 0;
}

static bool positive(map_ctx *ctx, map_cmp c, const rs_mapval *lhs, const rs_mapval *ops, size_t n) {
    switch (c) {
    case MCMP_EQ: case MCMP_NE: case MCMP_ANY: case MCMP_NONE: return any_equal(ctx, lhs, ops, n);
    case MCMP_ALL:
        for (size_t i = 0; i < n; i++)
            if (lhs->type != MT_LIST || !list_has(ctx, lhs, &ops[i])) return false;
        return true;
    case MCMP_CONTAINS: case MCMP_NOT_CONTAINS: case MCMP_STARTS:
        return lhs->type == MT_TEXT && text_test(ctx, c, lhs, &ops[0]);
    case MCMP_LT: return !map_is_empty(&ops[0]) && order(lhs, &ops[0]) < 0;
    case MCMP_LE: return !map_is_empty(&ops[0]) && order(lhs, &ops[0]) <= 0;
    case MCMP_GT: return !map_is_empty(&ops[0]) && order(lhs, &ops[0]) > 0;
    case MCMP_GE: return !map_is_empty(&ops[0]) && order(lhs, &ops[0]) >= 0;
    case MCMP_BETWEEN:
        return n == 2 && !map_is_empty(&ops[0]) && !map_is_empty(&ops[1]) &&
               order(lhs, &ops[0]) >= 0 && order(lhs, &ops[1]) <= 0;
    default: return false;
    }
}

/* As in rules: on an empty value every positive test is false and every negative one true. */
bool map_compare(map_ctx *ctx, map_cmp c, const rs_mapval *lhs, const rs_mapval *ops, size_t n) {
    if (c == MCMP_EMPTY) return map_is_empty(lhs);
    if (c == MCMP_NOT_EMPTY) return !map_is_empty(lhs);
    bool negative = c == MCMP_NE || c == MCMP_NONE || c == MCMP_NOT_CONTAINS;
    if (map_is_empty(lhs)) return negative;
    bool r = positive(ctx, c, lhs, ops, n);
    return negative ? !r : r;
}
