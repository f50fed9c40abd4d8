/* fuzz_map: arbitrary bytes as a mapping file (spec section 4). Properties: parsing, checking
 * against the built-in Google and Lark schemas (mappings/, so `source`, `target` and `extends`
 * lines can name real files), compiling and rendering diagnostics never crash, hang or leak; a file
 * that parses without error formats to text that parses to the same tree, and formatting is
 * idempotent. */
#include <stdint.h>
#include "common/strbuf.h"
#include "compiler/mapping.h"
#include "fuzz/fuzz_util.h"
#include "grammar/grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void assert_round_trip(const ast_mapfile *f) {
    rs_sb t1 = {0}, t2 = {0};
    rs_fmt_mapping(f, &t1);
    rs_source *src = rs_source_new("canon.map", rs_strndup(t1.buf ? t1.buf : "", t1.len), t1.len);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    ast_mapfile *g = rs_parse_mapping(src, d);
    FUZZ_ASSERT(g && !rs_diags_has_errors(d), "canonical mapping text parses without error");
    FUZZ_ASSERT(ast_mapfile_equal(f, g), "parse(fmt(x)) == parse(x)");
    rs_fmt_mapping(g, &t2);
    FUZZ_ASSERT(t1.len == t2.len && memcmp(t1.buf, t2.buf, t1.len) == 0, "fmt is idempotent");
    ast_mapfile_free(g);
    free(d);
    rs_source_free(src);
    rs_sb_free(&t1);
    rs_sb_free(&t2);
}

static void check_and_compile(const ast_mapfile *f, rs_diags *d) {
    rs_mapcheck *c = rs_map_check(f, "mappings", d);
    for (size_t i = 0; i < c->n; i++) {
        if (!c->envs[i].ok) continue;
        rs_mapprog *p = rs_map_compile(c, i, "mappings");
        rs_mapprog_free(p);
    }
    rs_sb out = {0};   /* rendered before the check table is freed: diagnostics may point into it */
    rs_diags_render_text(d, &out, false);
    rs_diags_render_json(d, &out);
    rs_sb_free(&out);
    rs_mapcheck_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1u << 20) return 0;
    rs_source *src = rs_source_new("fuzz.map", fuzz_copy(data, size), size);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    ast_mapfile *f = rs_parse_mapping(src, d);
    if (f && !rs_diags_has_errors(d)) assert_round_trip(f);
    if (f) check_and_compile(f, d);
    ast_mapfile_free(f);
    free(d);
    rs_source_free(src);
    return 0;
}
