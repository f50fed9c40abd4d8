/* fuzz_rule_text: arbitrary bytes as a rule file: parse, check against a schema with every field
 * type, render the diagnostics both ways, and compile what checked. Properties: no crash, no hang, no
 * leak; a file that checks compiles to a program the verifier accepts. */
#include <stdint.h>
#include "common/strbuf.h"
#include "compiler/check.h"
#include "compiler/compile.h"
#include "fuzz/fuzz_util.h"
#include "grammar/grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > RS_MAX_SOURCE_BYTES) return 0;
    rs_source *src = rs_source_new("fuzz.rule", fuzz_copy(data, size), size);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    ast_file *f = rs_parse_text(src, d);
    if (f) {
        const ast_file *files[1] = {f};
        rs_checked *c = rs_check(files, 1, fuzz_schema(), NULL, d);
        if (!rs_diags_has_errors(d)) {
            rs_program *p = rs_compile(c);
            char err[256];
            FUZZ_ASSERT(rs_program_verify(p, err, sizeof err) == 0, "compiled program verifies");
            rs_program_free(p);
        }
        rs_checked_free(c);
    }
    rs_sb out = {0};
    rs_diags_render_text(d, &out, false);
    rs_diags_render_json(d, &out);
    rs_sb_free(&out);
    ast_file_free(f);
    free(d);
    rs_source_free(src);
    return 0;
}
