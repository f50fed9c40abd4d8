/* arena.c: the bump allocator of arena.h. */
#include "common/arena.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/util.h"

void *rs_arena_alloc(rs_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 60000 ? n : 60000;
        rs_arena_block *b = rs_malloc(sizeof *b + cap);
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

char *rs_arena_strndup(rs_arena *a, const char *s, size_t n) {
    char *o = rs_arena_alloc(a, n + 1);
    memcpy(o, s, n);
    o[n] = '\0';
    return o;
}

char *rs_arena_printf(rs_arena *a, const char *fmt, ...) {
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return rs_arena_strndup(a, buf, n < 0 ? 0 : (size_t)n >= sizeof buf ? sizeof buf - 1 : (size_t)n);
}

/* Keeps the newest block (the usual size of a batch's needs) and frees the rest. */
void rs_arena_reset(rs_arena *a) {
    if (!a->head) return;
    rs_arena_block *keep = a->head, *b = keep->next;
    while (b) {
        rs_arena_block *next = b->next;
        free(b);
        b = next;
    }
    keep->next = NULL;
    keep->used = 0;
}

void rs_arena_free(rs_arena *a) {
    rs_arena_reset(a);
    free(a->head);
    a->head = NULL;
}
