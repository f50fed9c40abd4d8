/* fuzz_bytecode_diff: the bytecode file as a faithful copy of the program. The bytes choose an
 * organisation and well-typed groups (fuzz_gen.h); the compiled program is serialised, loaded back
 * and verified. Properties: the loaded program has the same listing (groups, hashes, constants,
 * code), and running it gives every group exactly the members the in-memory program gives. */
#include <stdint.h>
#include "compiler/bytecode.h"
#include "fuzz/fuzz_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every group's membership under program p. */
static uint64_t **run_all(const rs_program *p, const rs_snapshot *s, int32_t today) {
    rs_diags *d = fuzz_diags();
    rs_vm *vm = rs_vm_new(p, s, today, d);
    FUZZ_ASSERT(vm != NULL, "the VM binds the program");
    uint64_t **out = rs_calloc(p->ngroups ? p->ngroups : 1, sizeof *out);
    FUZZ_ASSERT(rs_vm_eval_all(vm, out, 1) == 0, "eval_all runs");
    rs_vm_free(vm);
    free(d);
    return out;
}

static void same_listing(const rs_program *a, const rs_program *b) {
    rs_sb la = {0}, lb = {0};
    rs_program_disasm(a, &la);
    rs_program_disasm(b, &lb);
    FUZZ_ASSERT(la.len == lb.len && memcmp(la.buf, lb.buf, la.len) == 0, "the loaded program lists the same");
    rs_sb_free(&la);
    rs_sb_free(&lb);
    for (uint32_t g = 0; g < a->ngroups; g++)
        FUZZ_ASSERT(strcmp(a->groups[g].id, b->groups[g].id) == 0 && a->groups[g].source_hash == b->groups[g].source_hash,
                    "group ids and source hashes survive the file");
}

static void round_trip(const rs_program *p, const rs_snapshot *s, int32_t today) {
    uint8_t *bytes;
    size_t len;
    FUZZ_ASSERT(rs_program_write(p, &bytes, &len) == 0, "a compiled program writes");
    rs_diags *d = fuzz_diags();
    rs_program *q = rs_program_read("fuzz.rbc", bytes, len, d);
    FUZZ_ASSERT(q != NULL && !rs_diags_has_errors(d), "written bytes load");
    char err[256];
    FUZZ_ASSERT(rs_program_verify(q, err, sizeof err) == 0, "the loaded program verifies");
    FUZZ_ASSERT(q->ngroups == p->ngroups, "same number of groups");
    same_listing(p, q);
    uint64_t **want = run_all(p, s, today), **got = run_all(q, s, today);
    size_t words = rs_bm_words(s->nmembers);
    for (uint32_t g = 0; g < p->ngroups; g++) {
        FUZZ_ASSERT(memcmp(want[g], got[g], words * sizeof(uint64_t)) == 0,
                    "the loaded program gives every group the same members");
        free(want[g]);
        free(got[g]);
    }
    free(want);
    free(got);
    rs_program_free(q);
    free(d);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    gen g = {.p = data, .n = size};
    rs_snapshot *s = gen_snapshot(&g);
    fuzz_rules r;
    if (gen_rules(&g, s, &r)) {
        round_trip(r.program, s, g.today);
        fuzz_rules_free(&r);
    }
    rs_snapshot_free(s);
    return 0;
}
