/* fuzz_map_records: arbitrary bytes as source records (JSON Lines, as a Google Directory API page
 * gives users) mapped by three real mappings: the built-in Google -> Lark set and the two e2e test
 * mappings that use every function (lookup tables, regex_replace, split/join, substr, if ...).
 * Properties: mapping never crashes, hangs or leaks; a record that did not fail has a value of the
 * target's type for every required field, within the target's length and allowed values; failures
 * name a record and field that exist; and a record maps to the same values and failures alone as in
 * its batch (records are mapped column-wise, so a batch must not leak state between records). */
#include <stdint.h>
#include "common/strbuf.h"
#include "common/utf8.h"
#include "compiler/mapcode.h"
#include "compiler/mapping.h"
#include "fuzz/fuzz_util.h"
#include "grammar/grammar.h"
#include "runtime/mapeval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_RECORDS = 64 };

static const char *const mapping_files[] = {"mappings/google-to-lark.map",
                                            "tests/data/e2e/map/acme.map",
                                            "tests/data/e2e/map/admins.map"};
enum { NMAPPINGS = sizeof mapping_files / sizeof mapping_files[0] };

typedef struct loaded {
    rs_mapprog *prog;
    rs_mapper *mapper, *single;   /* one for batches, one for records alone */
} loaded;

static loaded *mappers(size_t *n) {
    static loaded all[8];
    static size_t count;
    if (count) {
        *n = count;
        return all;
    }
    for (size_t f = 0; f < NMAPPINGS; f++) {
        rs_diags *d = rs_malloc(sizeof *d);
        rs_diags_init(d);
        rs_source *src = rs_source_load(mapping_files[f], d);
        FUZZ_ASSERT(src != NULL, "mapping file readable (run from the repository root)");
        ast_mapfile *ast = rs_parse_mapping(src, d);
        char *dir = rs_path_dir(mapping_files[f]);
        rs_mapcheck *c = ast ? rs_map_check(ast, dir, d) : NULL;
        FUZZ_ASSERT(c && !rs_diags_has_errors(d), "built-in mapping checks");
        for (size_t i = 0; i < ast->nmaps && count < 8; i++) {
            loaded *l = &all[count++];
            l->prog = rs_map_compile(c, i, dir);
            FUZZ_ASSERT(rs_mapper_new(&l->mapper, l->prog, d) == 0, "tables load");
            FUZZ_ASSERT(rs_mapper_new(&l->single, l->prog, d) == 0, "tables load");
        }
        free(dir);   /* a program owns all it needs: the tree and check go now */
        rs_mapcheck_free(c);
        ast_mapfile_free(ast);
        rs_source_free(src);
        free(d);
    }
    *n = count;
    return all;
}

/* One record's values and failures, as text, for comparing a batch with single runs. */
static void describe(const rs_mapresult *res, size_t r, rs_sb *out) {
    for (size_t t = 0; t < res->ntargets; t++) {
        rs_mapval_json(&res->values[r * res->ntargets + t], out);
        rs_sb_putc(out, ';');
    }
    for (size_t i = 0; i < res->nfailures; i++) {
        const rs_mapfailure *f = &res->failures[i];
        if (f->record == r) rs_sb_printf(out, "|%d:%s:%s", f->target, rs_mapfail_name(f->kind), f->message);
    }
}

static void check_result(const rs_mapprog *p, const rs_mapresult *res, size_t n) {
    FUZZ_ASSERT(res->ntargets == p->ntargets, "one value per target field");
    bool *seen = rs_calloc(n ? n : 1, sizeof *seen);
    for (size_t i = 0; i < res->nfailures; i++) {
        const rs_mapfailure *f = &res->failures[i];
        FUZZ_ASSERT(f->record < n, "a failure names a record of the batch");
        FUZZ_ASSERT(f->target >= -1 && f->target < (int)p->ntargets, "a failure names a target field");
        FUZZ_ASSERT(f->message && *f->message, "a failure says why");
        FUZZ_ASSERT(i == 0 || res->failures[i - 1].record <= f->record, "failures in record order");
        seen[f->record] = true;
    }
    for (size_t r = 0; r < n; r++) {
        FUZZ_ASSERT(seen[r] == res->failed[r], "failed[r] iff the record has a failure");
        if (res->failed[r]) continue;
        for (size_t t = 0; t < p->ntargets; t++) {
            const rs_maptarget *tg = &p->targets[t];
            const rs_mapval *v = &res->values[r * p->ntargets + t];
            if (v->type == MT_ANY) {
                FUZZ_ASSERT(!tg->required, "a record that did not fail has every required field");
                continue;
            }
            FUZZ_ASSERT(v->type == tg->type, "a value has its target's type");
            if (v->type == MT_TEXT && tg->max_length)
                FUZZ_ASSERT(rs_utf8_count(v->s, v->len) <= tg->max_length, "text within the target's length");
        }
    }
    free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t nm;
    loaded *ms = mappers(&nm);
    json_t *recs[MAX_RECORDS];
    static char why_text[MAX_RECORDS][200];
    const char *why[MAX_RECORDS];
    size_t n = 0;
    for (size_t at = 0; at < size && n < MAX_RECORDS;) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t end = nl ? (size_t)(nl - data) : size;
        recs[n] = rs_map_parse_line((const char *)data + at, end - at, at == 0, why_text[n], sizeof why_text[n]);
        why[n] = recs[n] ? NULL : why_text[n];
        n++;
        at = end + 1;
    }
    for (size_t i = 0; i < nm; i++) {
        rs_mapresult batch;
        rs_mapper_run(ms[i].mapper, recs, why, n, &batch);
        check_result(ms[i].prog, &batch, n);
        for (size_t r = 0; r < n; r++) {
            rs_mapresult one;
            rs_mapper_run(ms[i].single, &recs[r], &why[r], 1, &one);
            check_result(ms[i].prog, &one, 1);
            rs_sb a = {0}, b = {0};
            describe(&batch, r, &a);
            describe(&one, 0, &b);
            FUZZ_ASSERT(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0,
                        "a record maps the same alone as in its batch");
            rs_sb_free(&a);
            rs_sb_free(&b);
        }
    }
    for (size_t r = 0; r < n; r++) json_decref(recs[r]);
    return 0;
}
