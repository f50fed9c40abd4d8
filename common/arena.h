/* arena.h: a bump allocator for many small values that die together (the values and messages of one
 * batch of mapped records, runtime/mapeval.c): allocations are never freed one by one; a reset
 * drops them all and keeps one block for the next batch. Allocation failure exits, as rs_malloc. */
#ifndef RS_ARENA_H
#define RS_ARENA_H
#include <stddef.h>

typedef struct rs_arena_block {
    struct rs_arena_block *next;
    size_t used, cap;
    char data[];
} rs_arena_block;

/* Zero-initialised ({0}) is an empty arena. */
typedef struct rs_arena {
    rs_arena_block *head;
} rs_arena;

/* n bytes, 8-byte aligned, good until the next reset. */
void *rs_arena_alloc(rs_arena *a, size_t n);
/* s[0..n) and a NUL. */
char *rs_arena_strndup(rs_arena *a, const char *s, size_t n);
/* printf into the arena; the text is cut at 399 bytes. */
char *rs_arena_printf(rs_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops every allocation; the newest block stays for reuse. */
void rs_arena_reset(rs_arena *a);
void rs_arena_free(rs_arena *a);

#endif
