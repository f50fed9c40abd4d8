/* mapfunc.c: the function library's names, arities and type rules (the checker's side; the runtime
 * implements the same list). */
#include <string.h>
#include <strings.h>
#include "compiler/mapping.h"
#include "common/util.h"

static const struct {
    const char *name;
    size_t min, max;
    const char *doc;
} fns[] = {
#define F(id, name, min, max, doc) {name, min, max, doc},
    RS_MAP_FUNCTIONS(F)
#undef F
};

int map_fn_find(const char *name) {
    for (size_t i = 0; i < RS_ARRAY_LEN(fns); i++)
        if (strcasecmp(fns[i].name, name) == 0) return (int)i;
    return -1;
}

const char *map_fn_name(map_fn f) { return fns[f].name; }
const char *map_fn_doc(map_fn f) { return fns[f].doc; }

void map_fn_arity(map_fn f, size_t *min, size_t *max) {
    *min = fns[f].min;
    *max = fns[f].max;
}

const char *const *map_fn_names(size_t *n) {
    static const char *names[RS_ARRAY_LEN(fns)];
    for (size_t i = 0; i < RS_ARRAY_LEN(fns); i++) names[i] = fns[i].name;
    *n = RS_ARRAY_LEN(fns);
    return names;
}

/* ---- type rules ---- */

static bool fits(map_type have, map_type want) {
    return have == MT_ANY || want == MT_ANY || have == want;
}

/* Checks args against a fixed list of wanted types (the last one repeats). */
static bool want_all(const map_type *a, size_t n, const map_type *want, size_t nwant, size_t *bad,
                     map_type *wanted) {
    for (size_t i = 0; i < n; i++) {
        map_type w = want[i < nwant ? i : nwant - 1];
        if (!fits(a[i], w)) {
            *bad = i;
            *wanted = w;
            return false;
        }
    }
    return true;
}

/* The first argument's type that is known, from index `from`. */
static map_type first_known(const map_type *a, size_t n, size_t from) {
    for (size_t i = from; i < n; i++)
        if (a[i] != MT_ANY) return a[i];
    return MT_ANY;
}

/* Every argument from `from` on has the same type; returns it (MT_ANY when none is known). */
static bool same_types(const map_type *a, size_t n, size_t from, size_t *bad, map_type *want,
                       map_type *out) {
    map_type t = first_known(a, n, from);
    for (size_t i = from; i < n; i++) {
        if (!fits(a[i], t)) {
            *bad = i;
            *want = t;
            return false;
        }
    }
    *out = t;
    return true;
}

static bool concat_ok(const map_type *a, size_t n, size_t *bad, map_type *want) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] == MT_LIST) {
            *bad = i;
            *want = MT_TEXT;
            return false;
        }
    }
    return true;
}

map_type map_fn_result(map_fn f, const map_type *a, size_t n, size_t *bad, map_type *want) {
    static const map_type t1[] = {MT_TEXT}, sub[] = {MT_TEXT, MT_NUMBER, MT_NUMBER},
                          join[] = {MT_LIST, MT_TEXT}, fmt[] = {MT_DATE, MT_TEXT};
    map_type out = MT_ANY;
    switch (f) {
    case MAP_FN_LOWER: case MAP_FN_UPPER: case MAP_FN_TRIM:
    case MAP_FN_REPLACE: case MAP_FN_LOOKUP: case MAP_FN_REGEX_REPLACE:
        return want_all(a, n, t1, 1, bad, want) ? MT_TEXT : MT_ANY;
    case MAP_FN_SPLIT:
        return want_all(a, n, t1, 1, bad, want) ? MT_LIST : MT_ANY;
    case MAP_FN_CONCAT:
        return concat_ok(a, n, bad, want) ? MT_TEXT : MT_ANY;
    case MAP_FN_COALESCE:
        return same_types(a, n, 0, bad, want, &out) ? out : MT_ANY;
    case MAP_FN_SUBSTR:
        return want_all(a, n, sub, 3, bad, want) ? MT_TEXT : MT_ANY;
    case MAP_FN_JOIN:
        return want_all(a, n, join, 2, bad, want) ? MT_TEXT : MT_ANY;
    case MAP_FN_IF:
        if (!fits(a[0], MT_BOOL)) {
            *bad = 0;
            *want = MT_BOOL;
            return MT_ANY;
        }
        return same_types(a, n, 1, bad, want, &out) ? out : MT_ANY;
    case MAP_FN_DATE:
        if (a[0] == MT_DATE) return MT_DATE;
        return want_all(a, n, t1, 1, bad, want) ? MT_DATE : MT_ANY;
    case MAP_FN_FORMAT_DATE:
        return want_all(a, n, fmt, 2, bad, want) ? MT_TEXT : MT_ANY;
    case MAP_FN_UNIX_SECONDS:
        return want_all(a, n, fmt, 1, bad, want) ? MT_NUMBER : MT_ANY;
    case MAP_FN_COUNT:
        break;
    }
    return MT_ANY;
}
