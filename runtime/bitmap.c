/* bitmap.c: counting over dense bitmaps. */
#include "runtime/bitmap.h"

size_t rs_bm_count(const uint64_t *bm, size_t nbits) {
    size_t full = nbits / 64, count = 0;
    for (size_t w = 0; w < full; w++) count += (size_t)__builtin_popcountll(bm[w]);
    if (nbits % 64) count += (size_t)__builtin_popcountll(bm[full] & (((uint64_t)1 << (nbits % 64)) - 1));
    return count;
}
