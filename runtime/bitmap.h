/* bitmap.h: dense membership bitmaps, 64-bit words, least-significant bit first (as Arrow). */
#ifndef RS_BITMAP_H
#define RS_BITMAP_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

static inline size_t rs_bm_words(size_t nbits) { return (nbits + 63) / 64; }
static inline bool rs_bm_get(const uint64_t *bm, size_t i) { return (bm[i >> 6] >> (i & 63)) & 1u; }
static inline void rs_bm_set(uint64_t *bm, size_t i) { bm[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void rs_bm_clear(uint64_t *bm, size_t i) { bm[i >> 6] &= ~((uint64_t)1 << (i & 63)); }
size_t rs_bm_count(const uint64_t *bm, size_t nbits);

#endif
