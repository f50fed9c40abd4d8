/* idset.h: what the checker (compiler/check.h) needs of a snapshot to validate ids, as callbacks.
 * runtime/ implements them (rs_snapshot_idset) and the caller passes them in, so neither the
 * checker depends on the runtime nor the snapshot on the checker. */
#ifndef RS_IDSET_H
#define RS_IDSET_H
#include <stdbool.h>
#include <stddef.h>

typedef struct rs_idset {
    void *ctx;
    bool (*has_department)(void *ctx, const char *id, size_t len);
    bool (*has_member)(void *ctx, const char *id, size_t len);
} rs_idset;

#endif
