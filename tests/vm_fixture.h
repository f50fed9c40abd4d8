/* vm_fixture.h: what tests/check_vm.c and tests/check_refeval.c share: snapshot folders written to
 * temporary directories and loaded by the real loader, and rule text taken through the real parser,
 * checker and compiler. Everything fails the running Check test on error, with the diagnostics. */
#ifndef RS_VM_FIXTURE_H
#define RS_VM_FIXTURE_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/date.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/check.h"
#include "compiler/compile.h"
#include "grammar/grammar.h"
#include "runtime/bitmap.h"
#include "runtime/refeval.h"
#include "runtime/snapshot.h"
#include "runtime/vm.h"

static inline rs_diags *vt_diags(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    return d;
}

/* Long details go to stderr: Check's own messages are limited in length. */
static inline void vt_fail_diags(const rs_diags *d, const char *what) {
    rs_sb out = {0};
    rs_diags_render_text(d, &out, false);
    fprintf(stderr, "%s:\n%s", what, out.buf ? out.buf : "(no diagnostics)");
    ck_abort_msg("unexpected diagnostics (details on stderr): %.200s", out.buf ? out.buf : "");
}

/* A fresh temporary folder (removed by vt_rmdir). */
static inline char *vt_tmpdir(void) {
    char *dir = rs_strdup("/tmp/roster-vm-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static inline void vt_write(const char *dir, const char *name, const char *text, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Removes the snapshot files a test wrote, then the folder. */
static inline void vt_rmdir(char *dir) {
    static const char *const names[] = {"schema.json", "departments.jsonl", "members.jsonl"};
    char path[512];
    for (size_t i = 0; i < RS_ARRAY_LEN(names); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    free(dir);
}

static inline rs_snapshot *vt_load(const char *dir) {
    rs_diags *d = vt_diags();
    rs_load_opts lo = {0};
    rs_snapshot *s = rs_snapshot_load(dir, &lo, d);
    if (!s || rs_diags_has_errors(d)) vt_fail_diags(d, dir);
    free(d);
    return s;
}

/* Rule text, parsed, checked against a snapshot (ids included) and compiled. */
typedef struct vt_rules {
    rs_source *src;
    ast_file *ast;
    rs_checked *checked;
    rs_program *program;
} vt_rules;

static inline void vt_compile(vt_rules *r, const char *text, const rs_snapshot *s) {
    rs_diags *d = vt_diags();
    memset(r, 0, sizeof *r);
    r->src = rs_source_new("test.rule", rs_strdup(text), strlen(text));
    r->ast = rs_parse_text(r->src, d);
    if (!r->ast || rs_diags_has_errors(d)) vt_fail_diags(d, text);
    rs_idset ids;
    rs_snapshot_idset(s, &ids);
    const ast_file *files[1] = {r->ast};
    r->checked = rs_check(files, 1, s->schema, &ids, d);
    if (rs_diags_has_errors(d)) vt_fail_diags(d, text);
    r->program = rs_compile(r->checked);
    ck_assert_ptr_nonnull(r->program);
    char err[256];
    ck_assert_msg(rs_program_verify(r->program, err, sizeof err) == 0, "verify: %s", err);
    free(d);
}

static inline void vt_rules_free(vt_rules *r) {
    rs_program_free(r->program);
    rs_checked_free(r->checked);
    ast_file_free(r->ast);
    rs_source_free(r->src);
}

/* The checked group that program group g was compiled from (matched by id). */
static inline const rs_cgroup *vt_cgroup(const vt_rules *r, uint32_t g) {
    const char *id = r->program->groups[g].id;
    for (size_t i = 0; i < r->checked->ngroups; i++) {
        const ast_str *gid = &r->checked->groups[i].ast->id;
        if (gid->len == strlen(id) && memcmp(gid->s, id, gid->len) == 0) return &r->checked->groups[i];
    }
    ck_abort_msg("no checked group '%s'", id);
    return NULL;
}

/* Member ids of a bitmap, comma-separated (the caller frees). */
static inline char *vt_ids(const rs_snapshot *s, const uint64_t *bm) {
    rs_sb out = {0};
    for (uint32_t m = 0; m < s->nmembers; m++) {
        if (!rs_bm_get(bm, m)) continue;
        size_t len;
        const char *id = rs_strtab_get(&s->member_ids, m, &len);
        if (out.len) rs_sb_putc(&out, ',');
        rs_sb_put(&out, id, len);
    }
    return rs_sb_take(&out);
}

static inline int32_t vt_day(const char *ymd) {
    int32_t d = 0;
    ck_assert(rs_date_parse(ymd, strlen(ymd), &d));
    return d;
}

#endif
