/* fuzz_snapshot_jsonl: arbitrary bytes as the JSON Lines files of a snapshot folder, with a fixed
 * schema that has every field type. Bytes before the first form feed (0x0c) are departments.jsonl;
 * without one, a fixed department tree is used and every byte is members.jsonl. Properties: loading
 * never crashes, hangs or leaks; a refused snapshot reports why; a loaded one evaluates the same in
 * the VM and the reference evaluator (fuzz_snap_agree). */
#include <stdint.h>
#include "fuzz/fuzz_snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_departments[] =
    "{\"id\": \"D1\", \"parent\": null, \"name\": \"Root\"}\n"
    "{\"id\": \"D2\", \"parent\": \"D1\", \"name\": \"Engineering\"}\n"
    "{\"id\": \"D3\", \"parent\": \"D2\", \"name\": \"Compilers\"}\n"
    "{\"id\": \"D4\", \"parent\": \"D1\", \"name\": \"Sales\"}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1u << 16) return 0;   /* big inputs only slow the search down */
    fuzz_folder_input(data, size, "jsonl", fixed_departments);
    return 0;
}
