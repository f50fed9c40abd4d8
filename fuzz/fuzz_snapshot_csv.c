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
    fuzz_folder_input(data, size, "csv", fixed_departments);
    return 0;
}
