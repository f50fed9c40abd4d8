/* dept.c: the department tree. Departments arrive in file order with their parent named by id
 * (possibly one defined further down), so parents are resolved once the whole file is read. Then
 * the tree is checked (every parent exists, no department is its own ancestor, at least one root)
 * and walked once, iteratively since a chain of departments may be arbitrarily deep, to number each
 * department in pre-order: its subtree is the interval [tin, tout) of that numbering. */
#include <stdlib.h>
#include <string.h>
#include "common/strbuf.h"
#include "common/util.h"
#include "runtime/snapshot_int.h"

void rs_deptbuild_init(rs_deptbuild *b) {
    memset(b, 0, sizeof *b);
    rs_sbuild_init(&b->ids, true);
    rs_sbuild_init(&b->names, false);
    rs_sbuild_init(&b->parent_ids, true);
}

void rs_deptbuild_free(rs_deptbuild *b) {
    rs_sbuild_free(&b->ids);
    rs_sbuild_free(&b->names);
    rs_sbuild_free(&b->parent_ids);
    free(b->parent_ref);
    free(b->lines);
    free(b->parent);
    free(b->tin);
    free(b->tout);
    free(b->by_tin);
    memset(b, 0, sizeof *b);
}

uint32_t rs_deptbuild_add(rs_deptbuild *b, const char *id, size_t idlen, const char *parent,
                          size_t plen, const char *name, size_t nlen, uint32_t line,
                          uint32_t *first_line) {
    *first_line = 0;
    if (b->n >= RS_SNAP_MAX_DEPTS) return RS_NONE;
    bool added;
    uint32_t i = rs_sbuild_intern(&b->ids, id, idlen, &added);
    if (i == RS_NONE) return RS_NONE;
    if (!added) {
        *first_line = b->lines[i];
        return RS_NONE;
    }
    uint32_t pref = RS_NONE;
    if (parent && (pref = rs_sbuild_intern(&b->parent_ids, parent, plen, &added)) == RS_NONE) return RS_NONE;
    if (rs_sbuild_add(&b->names, name, nlen) == RS_NONE) return RS_NONE;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->parent_ref = rs_reallocarray(b->parent_ref, b->cap, sizeof *b->parent_ref);
        b->lines = rs_reallocarray(b->lines, b->cap, sizeof *b->lines);
    }
    b->parent_ref[b->n] = pref;
    b->lines[b->n] = line;
    return b->n++;
}

static const char *dept_id(const rs_deptbuild *b, uint32_t d, int *len) {
    size_t n;
    const char *s = rs_sbuild_get(&b->ids, d, &n);
    *len = n > 200 ? 200 : (int)n;
    return s;
}

/* parent[] from the ids as written; an unknown parent is reported and the department treated as a
 * root, so that one typo does not also report the whole branch below it as a cycle or orphan. */
static size_t resolve_parents(rs_deptbuild *b, const char *file, rs_diags *d) {
    size_t roots = 0;
    b->parent = rs_reallocarray(NULL, b->n ? b->n : 1, sizeof *b->parent);
    for (uint32_t i = 0; i < b->n; i++) {
        b->parent[i] = RS_NONE;
        if (b->parent_ref[i] == RS_NONE) {
            roots++;
            continue;
        }
        size_t plen;
        const char *p = rs_sbuild_get(&b->parent_ids, b->parent_ref[i], &plen);
        uint32_t pi = rs_sbuild_lookup(&b->ids, p, plen);
        if (pi != RS_NONE) {
            b->parent[i] = pi;
            continue;
        }
        int ilen;
        const char *id = dept_id(b, i, &ilen);
        rs_diag *dg = rs_diag_file(d, RS_E_SNAP_MISSING_PARENT, file, b->lines[i], 0,
                                   "department '%.*s': parent '%.*s' does not exist", ilen, id,
                                   (int)(plen > 200 ? 200 : plen), p);
        rs_diag_help(dg, "add a department with id '%.*s', or give a root \"parent\": null",
                     (int)(plen > 200 ? 200 : plen), p);
    }
    return roots;
}

/* Reports the cycle through x once, naming it from its first department in file order. */
static void report_cycle(const rs_deptbuild *b, uint32_t x, const char *file, rs_diags *d) {
    uint32_t first = x;
    for (uint32_t y = b->parent[x]; y != x; y = b->parent[y])
        if (y < first) first = y;
    rs_sb path = {0};
    uint32_t y = first;
    for (int k = 0;; k++) {
        int len;
        const char *id = dept_id(b, y, &len);
        rs_sb_printf(&path, "%s'%.*s'", k ? " -> " : "", len, id);
        y = b->parent[y];
        if (y == first || k == 8) break;
    }
    int len;
    const char *id = dept_id(b, first, &len);
    if (y == first) rs_sb_printf(&path, " -> '%.*s'", len, id);
    else rs_sb_puts(&path, " -> ...");
    rs_diag *dg = rs_diag_file(d, RS_E_SNAP_CYCLE, file, b->lines[first], 0,
                               "department '%.*s' is its own ancestor: %s", len, id, path.buf);
    rs_diag_help(dg, "change the \"parent\" of one department in the cycle");
    rs_sb_free(&path);
}

/* Walks up from each department, stamping the walk; meeting the same walk's stamp again closes a
 * cycle. Departments are stamped done afterwards, so every department is visited a bounded number
 * of times and the whole check is linear. */
static bool find_cycles(const rs_deptbuild *b, const char *file, rs_diags *d) {
    const uint32_t DONE = RS_NONE;
    uint32_t *mark = rs_calloc(b->n ? b->n : 1, sizeof *mark);
    bool ok = true;
    for (uint32_t s = 0; s < b->n; s++) {
        if (mark[s]) continue;
        uint32_t x = s;
        while (x != RS_NONE && mark[x] == 0) {
            mark[x] = s + 1;
            x = b->parent[x];
        }
        if (x != RS_NONE && mark[x] == s + 1) {
            report_cycle(b, x, file, d);
            ok = false;
        }
        for (x = s; x != RS_NONE && mark[x] == s + 1; x = b->parent[x]) mark[x] = DONE;
    }
    free(mark);
    return ok;
}

/* Pre-order numbering of the forest, roots and children in file order, with an explicit stack. */
static void euler_tour(rs_deptbuild *b) {
    uint32_t n = b->n, alloc = n ? n : 1;
    uint32_t *child_off = rs_calloc((size_t)n + 2, sizeof *child_off);
    uint32_t *child = rs_reallocarray(NULL, alloc, sizeof *child);
    for (uint32_t i = 0; i < n; i++)
        if (b->parent[i] != RS_NONE) child_off[b->parent[i] + 2]++;
    for (uint32_t i = 0; i < n; i++) child_off[i + 2] += child_off[i + 1];
    for (uint32_t i = 0; i < n; i++)
        if (b->parent[i] != RS_NONE) child[child_off[b->parent[i] + 1]++] = i;
    /* child_off[p] .. child_off[p + 1] now lists p's children; cursor walks them. */
    uint32_t *cursor = rs_reallocarray(NULL, alloc, sizeof *cursor);
    uint32_t *stack = rs_reallocarray(NULL, alloc, sizeof *stack);
    b->tin = rs_reallocarray(NULL, alloc, sizeof *b->tin);
    b->tout = rs_reallocarray(NULL, alloc, sizeof *b->tout);
    b->by_tin = rs_reallocarray(NULL, alloc, sizeof *b->by_tin);
    uint32_t pos = 0;
    for (uint32_t r = 0; r < n; r++) {
        if (b->parent[r] != RS_NONE) continue;
        uint32_t sp = 0;
        b->tin[r] = pos;
        b->by_tin[pos++] = r;
        cursor[r] = child_off[r];
        stack[sp++] = r;
        while (sp) {
            uint32_t x = stack[sp - 1];
            if (cursor[x] < child_off[x + 1]) {
                uint32_t c = child[cursor[x]++];
                b->tin[c] = pos;
                b->by_tin[pos++] = c;
                cursor[c] = child_off[c];
                stack[sp++] = c;
            } else {
                b->tout[x] = pos;
                sp--;
            }
        }
    }
    free(child_off);
    free(child);
    free(cursor);
    free(stack);
}

bool rs_dept_check(rs_deptbuild *b, const char *file, rs_diags *d) {
    size_t roots = resolve_parents(b, file, d);
    bool ok = find_cycles(b, file, d);
    if (roots == 0) {
        rs_diag *dg = rs_diag_file(d, RS_E_SNAP_NO_ROOT, file, 0, 0,
                                   b->n ? "no root department: every department names a parent"
                                        : "no department at all");
        rs_diag_help(dg, "the top department of the organisation has \"parent\": null");
        ok = false;
    }
    if (!ok) return false;
    euler_tour(b);
    return true;
}

void rs_dept_finish(rs_deptbuild *b, rs_snap_owner *o, rs_departments *out) {
    out->n = b->n;
    rs_sbuild_finish(&b->ids, o, &out->ids);
    rs_sbuild_finish(&b->names, o, &out->names);
    out->parent = b->parent;
    out->tin = b->tin;
    out->tout = b->tout;
    out->by_tin = b->by_tin;
    rs_owner_adopt(o, b->parent);
    rs_owner_adopt(o, b->tin);
    rs_owner_adopt(o, b->tout);
    rs_owner_adopt(o, b->by_tin);
    b->parent = b->tin = b->tout = b->by_tin = NULL;
    rs_deptbuild_free(b);
}
