/* suggest.c: nearest names for diagnostics. */
#include "common/suggest.h"
#include <stdint.h>
#include <string.h>

static char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

size_t rs_edit_distance(const char *a, size_t la, const char *b, size_t lb) {
    if (la > 64 || lb > 64) return SIZE_MAX;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            char ca = lower_ascii(a[i - 1]), cb = lower_ascii(b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == lower_ascii(b[j - 2]) && lower_ascii(a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *rs_nearest(const char *name, size_t len, const char *const *names, size_t n,
                       size_t max_dist) {
    if (max_dist == 0) max_dist = len / 3 < 1 ? 1 : len / 3;
    const char *best = NULL;
    size_t best_d = max_dist + 1;
    for (size_t i = 0; i < n; i++) {
        size_t dist = rs_edit_distance(name, len, names[i], strlen(names[i]));
        if (dist < best_d) {
            best_d = dist;
            best = names[i];
        }
    }
    return best;
}
