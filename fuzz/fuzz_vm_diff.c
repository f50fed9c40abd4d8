/* fuzz_vm_diff: differential test of the vectorised VM against the reference evaluator. The bytes
 * choose a small organisation (departments, members with every field type, empty values included)
 * and 1-3 well-typed groups (numbered conditions with `match`, or `where` with not/and/or; scopes;
 * allow and block lists) and a `today` (fuzz_gen.h). Property: for every member of every group,
 * rs_vm_eval_all, rs_vm_eval_group and rs_vm_eval_member all equal rs_ref_eval. */
#include <stdint.h>
#include "fuzz/fuzz_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;   /* more bytes than the generator reads */
    gen g = {.p = data, .n = size};
    rs_snapshot *s = gen_snapshot(&g);
    fuzz_rules r;
    if (gen_rules(&g, s, &r)) {
        fuzz_vm_agrees(&r, s, g.today);
        fuzz_rules_free(&r);
    }
    rs_snapshot_free(s);
    return 0;
}
