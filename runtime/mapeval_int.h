/* mapeval_int.h: what mapeval.c (the machine, tables, records) and mapfn.c (the function library
 * and comparisons) share. */
#ifndef RS_MAPEVAL_INT_H
#define RS_MAPEVAL_INT_H
#include "common/arena.h"
#include "runtime/mapeval.h"

/* A lookup table: open addressing over (key, value) pairs. */
typedef struct map_lookup {
    char *name;
    rs_mapstr *keys, *vals;
    size_t cap, n;              /* cap is a power of two */
    char *storage;              /* the file's bytes the strings point into */
} map_lookup;

const rs_mapstr *map_lookup_get(const map_lookup *t, const char *key, size_t len);
int map_lookup_load(map_lookup *t, const char *name, const char *path, rs_diags *d);
void map_lookup_free(map_lookup *t);

/* The state of one record's evaluation, for functions that fail it. */
typedef struct map_ctx {
    rs_arena *arena;
    const map_lookup *tables;
    size_t ntables;
    const char *fail;           /* set by a function: why the record fails (in the arena) */
    rs_mapfail_kind fail_kind;
} map_ctx;

/* Runs function f on args[0..n) into *out. Failures set ctx->fail. */
void map_call(map_ctx *ctx, map_fn f, const rs_mapval *args, size_t n, rs_mapval *out);
/* The comparison c of lhs with ops[0..n). */
bool map_compare(map_ctx *ctx, map_cmp c, const rs_mapval *lhs, const rs_mapval *ops, size_t n);
/* Text of a scalar (numbers shortest, dates YYYY-MM-DD, bools true/false) into the arena. */
rs_mapstr map_as_text(map_ctx *ctx, const rs_mapval *v);
bool map_is_empty(const rs_mapval *v);

#endif
