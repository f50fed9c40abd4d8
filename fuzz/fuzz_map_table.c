/* fuzz_map_table: arbitrary bytes as a mapping's lookup table, CSV (first byte even) or JSON (odd),
 * read from a file as `roster map` reads it. Properties: no crash, hang or leak; a refused table
 * says why; in a loaded table every key finds its own value, the table is at most half full, and a
 * CSV table has no more keys than it has lines after the header. */
#include <stdint.h>
#include "fuzz/fuzz_snap.h"
#include "runtime/mapeval_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines_after_header(const uint8_t *s, size_t n) {
    size_t lines = 0;
    const uint8_t *nl = memchr(s, '\n', n);
    if (!nl) return 0;
    for (const uint8_t *p = nl + 1; p < s + n; p++)
        if (p == nl + 1 || p[-1] == '\n') lines++;
    return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    bool json = data[0] & 1;
    const char *name = json ? "fuzz.json" : "table.csv";
    fuzz_put(name, data + 1, size - 1);
    rs_diags *d = fuzz_diags();
    map_lookup t;
    int rc = map_lookup_load(&t, "t", fuzz_path(name), d);
    FUZZ_ASSERT(rc == 0 || rs_diags_has_errors(d), "a refused table says why");
    if (rc == 0) {
        FUZZ_ASSERT(t.n * 2 <= t.cap || t.cap == 0, "the table is at most half full");
        size_t keys = 0;
        for (size_t i = 0; i < t.cap; i++) {
            if (!t.keys[i].s) continue;
            keys++;
            const rs_mapstr *v = map_lookup_get(&t, t.keys[i].s, t.keys[i].len);
            FUZZ_ASSERT(v == &t.vals[i], "a key finds its own value");
        }
        FUZZ_ASSERT(keys == t.n, "the count matches the filled slots");
        if (!json) FUZZ_ASSERT(t.n <= count_lines_after_header(data + 1, size - 1), "a key per line at most");
    }
    map_lookup_free(&t);
    free(d);
    return 0;
}
