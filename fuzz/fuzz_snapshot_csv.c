/* fuzz_snapshot_csv: arbitrary bytes as the CSV files of a snapshot folder, with a fixed
 * schema that has every field type. Bytes before the first form feed (0x0c) are departments.csv;
 * without one, a fixed department tree is used and every byte is members.csv. Properties: loading
 * never crashes, hangs or leaks; a refused snapshot reports why; a loaded one evaluates the same in
 * the VM and the reference evaluator (fuzz_snap_agree). */
#include <stdint.h>
#include "fuzz/fuzz_snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_departments[] = "id,parent,name\nD1,,Root\nD2,D1,Engineering\nD3,D2,Compilers\nD4,D1,Sales\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1u << 16) return 0;   /* big inputs only slow the search down */
    static bool ready;
    if (!ready) {
        fuzz_put_str("schema.json", fuzz_schema_json);
        ready = true;
    }
    const uint8_t *ff = memchr(data, '\f', size);
    if (ff) {
        fuzz_put("departments.csv", data, (size_t)(ff - data));
        fuzz_put("members.csv", ff + 1, size - (size_t)(ff - data) - 1);
    } else {
        fuzz_put_str("departments.csv", fixed_departments);
        fuzz_put("members.csv", data, size);
    }
    rs_snapshot *s = fuzz_load(fuzz_dir());
    if (s) fuzz_snap_agree(s);
    rs_snapshot_free(s);
    return 0;
}
