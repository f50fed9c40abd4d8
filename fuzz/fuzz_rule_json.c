/* fuzz_rule_json: arbitrary bytes as the JSON rule form an admin console sends: parse, check,
 * render diagnostics (with JSON paths). Property: no crash, hang or leak; a group that parses
 * without error prints as canonical JSON that parses again to the same AST. */
#include <stdint.h>
#include "common/strbuf.h"
#include "compiler/check.h"
#include "fuzz/fuzz_util.h"
#include "grammar/grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > RS_MAX_SOURCE_BYTES) return 0;
    rs_source *src = rs_source_new("fuzz.json", fuzz_copy(data, size), size);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    ast_file *f = rs_parse_json(src, d);
    if (f && !rs_diags_has_errors(d)) {
        rs_sb js = {0};
        rs_fmt_json(f, &js);
        size_t jlen = js.len;
        rs_source *again = rs_source_new("again.json", rs_sb_take(&js), jlen);
        rs_diags *d2 = rs_malloc(sizeof *d2);
        rs_diags_init(d2);
        ast_file *g = rs_parse_json(again, d2);
        FUZZ_ASSERT(g && !rs_diags_has_errors(d2), "canonical JSON parses");
        FUZZ_ASSERT(ast_file_equal(f, g), "canonical JSON has the same AST");
        ast_file_free(g);
        free(d2);
        rs_source_free(again);
        const ast_file *files[1] = {f};
        rs_checked_free(rs_check(files, 1, fuzz_schema(), NULL, d));
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
