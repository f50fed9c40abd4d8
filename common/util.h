/* util.h: small helpers every module uses: checked allocation, growable arrays, TRY, ALWAYS/NEVER.
 * Allocation failure prints "roster: out of memory" and exits 2: roster never runs on half-built
 * state, and a caller never has to test for NULL after rs_malloc. */
#ifndef RS_UTIL_H
#define RS_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void *rs_malloc(size_t n);
void *rs_calloc(size_t count, size_t size);
void *rs_realloc(void *p, size_t n);
/* realloc for arrays: count * size, with overflow checked. */
void *rs_reallocarray(void *p, size_t count, size_t size);
char *rs_strdup(const char *s);
char *rs_strndup(const char *s, size_t n);

/* Grow an array `ptr` of `cap` elements so that index `need - 1` fits (doubling). */
#define RS_GROW(ptr, cap, need)                                                        \
    do {                                                                                 \
        if ((size_t)(need) > (size_t)(cap)) {                                            \
            size_t rs_nc_ = (cap) ? (size_t)(cap) * 2 : 8;                               \
            while (rs_nc_ < (size_t)(need)) rs_nc_ *= 2;                                 \
            (ptr) = rs_reallocarray((ptr), rs_nc_, sizeof *(ptr));                       \
            (cap) = rs_nc_;                                                              \
        }                                                                                \
    } while (0)

/* Early return on a negative error code. */
#define TRY(expr)                                                                        \
    do {                                                                                 \
        int rs_try_rc_ = (expr);                                                         \
        if (rs_try_rc_ < 0) return rs_try_rc_;                                           \
    } while (0)

/* "Impossible" cases stay guarded in release builds (as SQLite does): ALWAYS(x) is x, but an
 * assertion in debug builds. */
#ifdef NDEBUG
#define ALWAYS(x) (x)
#define NEVER(x) (x)
#else
#include <assert.h>
#define ALWAYS(x) ((x) ? 1 : (assert(0 && #x), 0))
#define NEVER(x) ((x) ? (assert(0 && #x), 1) : 0)
#endif

#define RS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Read a whole file into memory (NUL-terminated; *len excludes the NUL). Refuses files larger than
 * max_bytes with -2. Returns 0, or -1 with errno set on an I/O error. */
int rs_read_file(const char *path, size_t max_bytes, char **out, size_t *len);

/* The temporary name a file is written under before it is renamed onto path: "<path>.tmp.<pid>".
 * A run killed before its rename leaves that file behind (a delta or a .snap: often hundreds of MB),
 * so the temporary files of path whose process has exited are removed first. */
char *rs_tmp_path(const char *path);

/* Write `len` bytes to `path` atomically: a temporary file in the same folder, fsync, rename. */
int rs_write_file_atomic(const char *path, const void *data, size_t len);

/* Monotonic clock in milliseconds (for --stats and benchmarks). */
double rs_now_ms(void);
/* Peak resident set size of this process, in KiB. */
long rs_peak_rss_kb(void);

#endif
