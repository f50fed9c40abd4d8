/* fuzz_bytecode: arbitrary bytes as a bytecode file. Properties: reading never crashes, hangs or
 * over-allocates; a file that loads passes the verifier, disassembles, and writes back to bytes that
 * load to the same listing. */
#include <stdint.h>
#include "common/strbuf.h"
#include "compiler/bytecode.h"
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_program *p = rs_program_read("fuzz.rbc", data, size, d);
    FUZZ_ASSERT((p != NULL) != rs_diags_has_errors(d), "a refused file says why, a loaded one has no error");
    if (p) {
        char err[256];
        FUZZ_ASSERT(rs_program_verify(p, err, sizeof err) == 0, "a loaded program verifies");
        rs_sb a = {0}, b = {0};
        rs_program_disasm(p, &a);
        uint8_t *bytes;
        size_t len;
        FUZZ_ASSERT(rs_program_write(p, &bytes, &len) == 0, "a loaded program writes");
        rs_program *q = rs_program_read("again.rbc", bytes, len, d);
        FUZZ_ASSERT(q != NULL, "written bytes load again");
        rs_program_disasm(q, &b);
        FUZZ_ASSERT(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0, "same listing after a write");
        rs_sb_free(&a);
        rs_sb_free(&b);
        free(bytes);
        rs_program_free(q);
        rs_program_free(p);
    }
    free(d);
    return 0;
}
