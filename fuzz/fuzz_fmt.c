/* fuzz_fmt: the formatter's round trips, on any text that parses without error:
 *   parse(fmt(x)) has the same AST as x, and fmt is idempotent;
 *   text -> JSON -> text is the identity on canonical text. */
#include <stdint.h>
#include "common/strbuf.h"
#include "fuzz/fuzz_util.h"
#include "grammar/grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct parsed {
    rs_source *src;
    rs_diags *d;
    ast_file *f;
} parsed;

static parsed parse(const char *name, char *text, size_t len, bool json) {
    parsed p;
    p.src = rs_source_new(name, text, len);
    p.d = rs_malloc(sizeof *p.d);
    rs_diags_init(p.d);
    p.f = json ? rs_parse_json(p.src, p.d) : rs_parse_text(p.src, p.d);
    return p;
}

static void drop(parsed *p) {
    ast_file_free(p->f);
    free(p->d);
    rs_source_free(p->src);
}

static bool clean(const parsed *p) { return p->f && !rs_diags_has_errors(p->d); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1u << 20) return 0;
    parsed orig = parse("fuzz.rule", fuzz_copy(data, size), size, false);
    if (!clean(&orig)) {
        drop(&orig);
        return 0;
    }
    rs_sb t1 = {0};
    rs_fmt_text(orig.f, &t1);
    parsed canon = parse("canon.rule", rs_strndup(t1.buf ? t1.buf : "", t1.len), t1.len, false);
    FUZZ_ASSERT(clean(&canon), "canonical text parses without error");
    FUZZ_ASSERT(ast_file_equal(orig.f, canon.f), "parse(fmt(x)) == parse(x)");
    rs_sb t2 = {0};
    rs_fmt_text(canon.f, &t2);
    FUZZ_ASSERT(t1.len == t2.len && memcmp(t1.buf, t2.buf, t1.len) == 0, "fmt is idempotent");
    rs_sb js = {0};
    rs_fmt_json(canon.f, &js);
    parsed viajson = parse("canon.json", rs_strndup(js.buf ? js.buf : "", js.len), js.len, true);
    FUZZ_ASSERT(clean(&viajson), "canonical JSON parses without error");
    rs_sb t3 = {0};
    rs_fmt_text(viajson.f, &t3);
    FUZZ_ASSERT(t1.len == t3.len && memcmp(t1.buf, t3.buf, t1.len) == 0, "text -> JSON -> text is the identity");
    rs_sb_free(&t1);
    rs_sb_free(&t2);
    rs_sb_free(&t3);
    rs_sb_free(&js);
    drop(&viajson);
    drop(&canon);
    drop(&orig);
    return 0;
}
