/* fuzz_snapfile: arbitrary bytes as a packed .snap file (mmap'd, its arrays used in place).
 * Properties: loading never crashes, hangs or leaks; a refused file reports why; a file that loads
 * is safe to evaluate (the VM and the reference evaluator run rules reading every column without a
 * memory error: the loader's checks cover every offset, code and tree they rely on); and when the
 * file is also honest (fuzz_snap_honest: what `snapshot pack` writes), the two agree.
 *
 * The header's checksum covers the header, section table and schema, so almost every mutation there
 * would only test the checksum. A zero checksum field in the input therefore means "fill it in" (and
 * a zero file size likewise): seeds with those fields zeroed let the fuzzer reach the checks behind
 * them, seeds with real values keep the checksum and size checks themselves covered. The fix-up
 * follows docs/snapshot-format.md, section 2, not the loader's code. */
#include <stdint.h>
#include "fuzz/fuzz_snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HDR = 64, SECTION = 24, AT_FILE_SIZE = 16, AT_NSECTIONS = 36, AT_CHECKSUM = 48 };

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t x = 0;
    for (int i = n - 1; i >= 0; i--) x = x << 8 | p[i];
    return x;
}

static void put_le(uint8_t *p, uint64_t x, int n) {
    for (int i = 0; i < n; i++, x >>= 8) p[i] = (uint8_t)x;
}

static uint64_t fnv1a(uint64_t x, const uint8_t *p, size_t len) {
    for (size_t i = 0; i < len; i++) x = (x ^ p[i]) * 0x100000001B3u;
    return x;
}

/* FNV-1a 64 of the header (checksum zero), the section table and the schema section, when the
 * table and the schema (the first section) lie inside the file; otherwise nothing to fill in. */
static void fill_checksum(uint8_t *f, size_t size) {
    uint64_t nsec = get_le(f + AT_NSECTIONS, 4);
    if (nsec == 0 || nsec > (size - HDR) / SECTION) return;
    const uint8_t *table = f + HDR;
    uint64_t off = get_le(table + 8, 8), count = get_le(table + 16, 8);
    if (off > size || count > size - off) return;
    uint64_t x = fnv1a(0xCBF29CE484222325u, f, HDR);
    x = fnv1a(x, table, (size_t)nsec * SECTION);
    put_le(f + AT_CHECKSUM, fnv1a(x, f + off, (size_t)count), 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1u << 20) return 0;
    uint8_t *f = rs_malloc(size ? size : 1);
    memcpy(f, data, size);
    if (size >= HDR) {
        if (get_le(f + AT_FILE_SIZE, 8) == 0) put_le(f + AT_FILE_SIZE, size, 8);
        if (get_le(f + AT_CHECKSUM, 8) == 0) fill_checksum(f, size);
    }
    fuzz_put("fuzz.snap", f, size);
    free(f);
    rs_snapshot *s = fuzz_load(fuzz_path("fuzz.snap"));
    if (s) fuzz_snap_eval(s, fuzz_snap_honest(s));
    rs_snapshot_free(s);
    return 0;
}
