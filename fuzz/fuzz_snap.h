/* fuzz_snap.h: shared by the harnesses that need a snapshot on disk. The loaders take a path, so
 * a harness writes the fuzzer's bytes into one fixed folder per process (under /dev/shm, which is
 * memory, else /tmp) and loads it; the folder is removed when the process exits.
 *
 * fuzz_snap_agree is the invariant every loaded snapshot must satisfy, whatever reader built it:
 * a rule set that reads every column evaluates the same in the VM and in the reference evaluator
 * (so a loader cannot hand the VM a column it would read out of bounds or misinterpret). */
#ifndef RS_FUZZ_SNAP_H
#define RS_FUZZ_SNAP_H
#include <sys/stat.h>
#include <unistd.h>
#include "common/date.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "compiler/check.h"
#include "compiler/compile.h"
#include "fuzz/fuzz_util.h"
#include "grammar/grammar.h"
#include "runtime/bitmap.h"
#include "runtime/refeval.h"
#include "runtime/snapshot.h"
#include "runtime/vm.h"

/* Every file name a harness may write (removed at exit). */
static const char *const fuzz_snap_files[] = {
    "schema.json", "departments.jsonl", "members.jsonl", "departments.csv", "members.csv",
    "fuzz.snap",   "fuzz.rule",         "fuzz.json",         "table.csv",
};

static char fuzz_dir_path[64];

static void fuzz_dir_remove(void) {
    char path[128];
    for (size_t i = 0; i < RS_ARRAY_LEN(fuzz_snap_files); i++) {
        snprintf(path, sizeof path, "%s/%s", fuzz_dir_path, fuzz_snap_files[i]);
        unlink(path);
    }
    rmdir(fuzz_dir_path);
}

/* The process's folder, created on first use. */
static inline const char *fuzz_dir(void) {
    if (fuzz_dir_path[0]) return fuzz_dir_path;
    static const char *const roots[] = {"/dev/shm", "/tmp"};
    for (size_t i = 0; i < RS_ARRAY_LEN(roots); i++) {
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/roster-fuzz-%ld", roots[i], (long)getpid());
        if (mkdir(fuzz_dir_path, 0700) == 0 || access(fuzz_dir_path, W_OK) == 0) {
            atexit(fuzz_dir_remove);
            return fuzz_dir_path;
        }
    }
    FUZZ_ASSERT(0, "a scratch folder can be created");
    return NULL;
}

/* The path of a file in the folder (a static buffer: use it before the next call). */
static inline const char *fuzz_path(const char *name) {
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    return path;
}

static inline void fuzz_put(const char *name, const void *data, size_t len) {
    FILE *f = fopen(fuzz_path(name), "wb");
    FUZZ_ASSERT(f != NULL, "scratch file opens");
    FUZZ_ASSERT(fwrite(data, 1, len, f) == len && fclose(f) == 0, "scratch file is written");
}

static inline void fuzz_put_str(const char *name, const char *text) { fuzz_put(name, text, strlen(text)); }

static inline void fuzz_drop(const char *name) { unlink(fuzz_path(name)); }

static inline rs_diags *fuzz_diags(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    return d;
}

/* Loads path; a refused snapshot must say why and a loaded one must have no error. */
static inline rs_snapshot *fuzz_load(const char *path) {
    rs_diags *d = fuzz_diags();
    rs_load_opts lo = {0};
    rs_snapshot *s = rs_snapshot_load(path, &lo, d);
    FUZZ_ASSERT((s != NULL) != rs_diags_has_errors(d), "a refused snapshot says why, a loaded one has no error");
    rs_sb out = {0};
    rs_diags_render_text(d, &out, false);   /* rendering must cope with any file, line and field */
    rs_sb_free(&out);
    free(d);
    return s;
}

/* Checked and compiled rules against one snapshot (ids not checked: the rules name ids the fuzzed
 * snapshot may lack, which must then simply match nobody). */
typedef struct fuzz_rules {
    rs_source *src;
    ast_file *ast;
    rs_checked *checked;
    rs_program *program;
} fuzz_rules;

/* false when the text does not check against the schema (then r holds nothing). */
static inline bool fuzz_rules_compile(fuzz_rules *r, const char *text, size_t len, const rs_schema *schema,
                                      const rs_idset *ids) {
    memset(r, 0, sizeof *r);
    rs_diags *d = fuzz_diags();
    r->src = rs_source_new("fuzz.rule", rs_strndup(text, len), len);
    r->ast = rs_parse_text(r->src, d);
    if (r->ast && !rs_diags_has_errors(d)) {
        const ast_file *files[1] = {r->ast};
        r->checked = rs_check(files, 1, schema, ids, d);
        if (!rs_diags_has_errors(d)) r->program = rs_compile(r->checked);
    }
    if (!r->program && getenv("ROSTER_FUZZ_GEN_DEBUG")) {   /* why generated rules were refused */
        rs_sb out = {0};
        rs_diags_render_text(d, &out, false);
        fprintf(stderr, "%s", out.buf ? out.buf : "");
        rs_sb_free(&out);
    }
    free(d);
    if (r->program) {
        char err[256];
        FUZZ_ASSERT(rs_program_verify(r->program, err, sizeof err) == 0, "compiled program verifies");
        return true;
    }
    rs_checked_free(r->checked);
    ast_file_free(r->ast);
    rs_source_free(r->src);
    memset(r, 0, sizeof *r);
    return false;
}

static inline void fuzz_rules_free(fuzz_rules *r) {
    rs_program_free(r->program);
    rs_checked_free(r->checked);
    ast_file_free(r->ast);
    rs_source_free(r->src);
}

/* The checked group program group g came from (matched by id). */
static inline const rs_cgroup *fuzz_cgroup(const fuzz_rules *r, uint32_t g) {
    const char *id = r->program->groups[g].id;
    for (size_t i = 0; i < r->checked->ngroups; i++) {
        const ast_str *gid = &r->checked->groups[i].ast->id;
        if (gid->len == strlen(id) && memcmp(gid->s, id, gid->len) == 0) return &r->checked->groups[i];
    }
    FUZZ_ASSERT(0, "every program group has its checked group");
    return NULL;
}

/* Every path of the VM (all groups at once, one group, one member) against the reference
 * evaluator, for every member of every group. */
static inline void fuzz_vm_agrees(const fuzz_rules *r, const rs_snapshot *s, int32_t today) {
    rs_diags *d = fuzz_diags();
    rs_vm *vm = rs_vm_new(r->program, s, today, d);
    FUZZ_ASSERT(vm != NULL, "the VM binds a program checked against the snapshot's schema");
    uint32_t ng = r->program->ngroups;
    uint64_t **all = rs_calloc(ng ? ng : 1, sizeof *all);
    FUZZ_ASSERT(rs_vm_eval_all(vm, all, 1) == 0, "eval_all runs");
    size_t words = rs_bm_words(s->nmembers);
    uint64_t *one = rs_calloc(words ? words : 1, sizeof *one);
    for (uint32_t g = 0; g < ng; g++) {
        FUZZ_ASSERT(rs_vm_eval_group(vm, g, one) == 0, "eval_group runs");
        const rs_cgroup *cg = fuzz_cgroup(r, g);
        for (uint32_t m = 0; m < s->nmembers; m++) {
            bool ref = rs_ref_eval(cg, s, m, today, NULL);
            if (rs_bm_get(all[g], m) != ref || rs_bm_get(one, m) != ref || rs_vm_eval_member(vm, g, m) != ref) {
                fprintf(stderr, "group %s member %u: reference %d, eval_all %d, eval_group %d, eval_member %d\n",
                        r->program->groups[g].id, m, ref, rs_bm_get(all[g], m), rs_bm_get(one, m),
                        rs_vm_eval_member(vm, g, m));
                FUZZ_ASSERT(0, "the VM and the reference evaluator agree");
            }
        }
        free(all[g]);
    }
    free(one);
    free(all);
    rs_vm_free(vm);
    free(d);
}

/* ---- the invariants a loader's checks do not prove ----
 * A .snap file is checked only so far that nothing reads out of bounds (docs/snapshot-format.md:
 * a crafted file may have unsorted indexes or reverse edges that do not mirror the forward ones,
 * and then gives wrong lookups). What roster itself writes must hold all of them, and they are what
 * makes the VM and the reference evaluator see the same organisation. fuzz_snap_honest checks them
 * the slow, obvious way; a folder load must always pass, a fuzzed .snap file only sometimes. */

static int fuzz_strcmp(const rs_strtab *t, uint32_t a, uint32_t b) {
    size_t la, lb;
    const char *sa = rs_strtab_get(t, a, &la), *sb = rs_strtab_get(t, b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* sorted[] is a permutation of 0..n-1 in byte-wise order (strictly ascending when unique). */
static bool fuzz_strtab_sorted(const rs_strtab *t, bool unique) {
    bool ok = true;
    uint8_t *seen = rs_calloc(t->n + 1, 1);
    for (uint32_t i = 0; i < t->n && ok; i++) {
        ok = t->sorted[i] < t->n && !seen[t->sorted[i]];
        if (ok) seen[t->sorted[i]] = 1;
        if (ok && i) {
            int c = fuzz_strcmp(t, t->sorted[i - 1], t->sorted[i]);
            ok = unique ? c < 0 : c <= 0;
        }
    }
    free(seen);
    return ok;
}

/* Distinct raw values, each folded entry the case folding of its raw entry. */
static bool fuzz_dict_honest(const rs_dict *d) {
    if (d->folded.n != d->raw.n || !fuzz_strtab_sorted(&d->raw, true) || !fuzz_strtab_sorted(&d->folded, false))
        return false;
    for (uint32_t i = 0; i < d->raw.n; i++) {
        size_t rl, fl, want_len;
        const char *r = rs_strtab_get(&d->raw, i, &rl), *f = rs_strtab_get(&d->folded, i, &fl);
        char *want = rs_casefold(r, rl, &want_len);
        bool same = want_len == fl && memcmp(want, f, fl) == 0;
        free(want);
        if (!same) return false;
    }
    return true;
}

/* Member m's values of a code column: [*lo, *hi) in c->codes. */
static void fuzz_values(const rs_column *c, uint32_t m, uint32_t *lo, uint32_t *hi) {
    *lo = c->offsets ? c->offsets[m] : m;
    *hi = c->offsets ? c->offsets[m + 1] : m + 1;
    if (!c->offsets && rs_bm_get(c->empty, m)) *hi = *lo;
}

static bool fuzz_has_code(const rs_column *c, uint32_t m, uint32_t code) {
    uint32_t lo, hi;
    fuzz_values(c, m, &lo, &hi);
    for (uint32_t k = lo; k < hi; k++)
        if (c->codes[k] == code) return true;
    return false;
}

/* Empty bits match the values, a multi-valued set holds no value twice, an empty single slot is 0,
 * numbers are not NaN. */
static bool fuzz_column_shape(const rs_snapshot *s, const rs_column *c) {
    for (uint32_t m = 0; m < s->nmembers; m++) {
        bool empty = rs_bm_get(c->empty, m);
        if (c->offsets) {
            if (empty != (c->offsets[m] == c->offsets[m + 1])) return false;
            for (uint32_t i = c->offsets[m]; i < c->offsets[m + 1]; i++)
                for (uint32_t j = c->offsets[m]; j < i; j++) {
                    if (c->codes && c->codes[i] == c->codes[j]) return false;
                    if (c->nums && !(c->nums[i] != c->nums[j])) return false;
                    if (c->days && c->days[i] == c->days[j]) return false;
                }
        } else if (empty && ((c->codes && c->codes[m]) || (c->days && c->days[m]))) {
            return false;
        }
        if (c->nums && !empty)
            for (uint32_t i = c->offsets ? c->offsets[m] : m; i < (c->offsets ? c->offsets[m + 1] : m + 1); i++)
                if (c->nums[i] != c->nums[i]) return false;
    }
    return true;
}

/* rev lists, for each member j, exactly the members whose field points at j. */
static bool fuzz_rev_honest(const rs_snapshot *s, const rs_column *c) {
    uint32_t edges = 0;
    for (uint32_t m = 0; m < s->nmembers; m++) {
        uint32_t lo, hi;
        fuzz_values(c, m, &lo, &hi);
        for (uint32_t k = lo; k < hi; k++, edges++) {
            uint32_t j = c->codes[k];
            bool found = false;
            for (uint32_t r = c->rev_off[j]; r < c->rev_off[j + 1] && !found; r++) found = c->rev[r] == m;
            if (!found) return false;
        }
    }
    return c->rev_off[s->nmembers] == edges;
}

/* Postings: post_count[code] members hold the code; a stored list names exactly them. */
static bool fuzz_post_honest(const rs_snapshot *s, const rs_column *c) {
    if (!c->post_count) return true;
    if (c->post_codes != rs_column_code_space(s, c)) return false;
    uint32_t *got = rs_calloc(s->nmembers + 1, sizeof *got);
    bool ok = true;
    for (uint32_t code = 0; code < c->post_codes && ok; code++) {
        uint32_t n = 0;
        for (uint32_t m = 0; m < s->nmembers; m++) n += fuzz_has_code(c, m, code);
        ok = c->post_count[code] == n;
        if (!ok || c->post_off[code] == c->post_off[code + 1]) continue;
        ok = rs_post_decode(s, c, code, got) == n;
        for (uint32_t i = 0; i < n && ok; i++) ok = fuzz_has_code(c, got[i], code) && (i == 0 || got[i - 1] < got[i]);
    }
    free(got);
    return ok;
}

/* main_department is the first department listed. */
static bool fuzz_main_honest(const rs_snapshot *s) {
    const rs_field *df = rs_schema_field(s->schema, "department"), *mf = rs_schema_field(s->schema, "main_department");
    if (!df || !mf) return true;
    const rs_column *d = &s->columns[df - s->schema->fields], *m = &s->columns[mf - s->schema->fields];
    for (uint32_t i = 0; i < s->nmembers; i++) {
        bool none = d->offsets[i] == d->offsets[i + 1];
        if (none != rs_bm_get(m->empty, i) || (!none && m->codes[i] != d->codes[d->offsets[i]])) return false;
    }
    return true;
}

static inline bool fuzz_snap_honest(const rs_snapshot *s) {
    if (!fuzz_strtab_sorted(&s->member_ids, true) || !fuzz_strtab_sorted(&s->depts.ids, true) ||
        !fuzz_strtab_sorted(&s->depts.names, false) || !fuzz_main_honest(s))
        return false;
    for (size_t f = 0; f < s->schema->nfields; f++) {
        const rs_column *c = &s->columns[f];
        if (strcmp(c->field->name, "id") == 0) continue;
        if (!fuzz_column_shape(s, c) || !fuzz_post_honest(s, c)) return false;
        if (c->field->type == RS_T_TEXT && !fuzz_dict_honest(&c->dict)) return false;
        if (c->field->type == RS_T_PERSONNEL && !fuzz_rev_honest(s, c)) return false;
    }
    return true;
}

/* Rules that read every field of fuzz_schema_json with every kind of instruction. */
static const char fuzz_snap_rules[] =
    "group \"texts\" { name \"texts\"\n"
    "  where name contains \"a\" or job_title starts with \"Eng\" or aliases is any of (\"x\", \"Y\")\n"
    "     or not (name is empty) and aliases include all (\"x\", \"y\") }\n"
    "group \"options\" { name \"options\"\n"
    "  where city equals \"Shanghai\" or skills include all (\"c\", \"go\") or employee_type is none of (\"Intern\")\n"
    "     or status is empty }\n"
    "group \"numbers\" { name \"numbers\"\n"
    "  where level is between 2 and 5 or scores greater than 10 or scores is any of (1, 2.5) or level less than 0 }\n"
    "group \"dates\" { name \"dates\"\n"
    "  where join_date is on or after today - 30 days or join_date is before 2020-01-01 }\n"
    "group \"people\" { name \"people\"\n"
    "  where leader reports to \"u1\" or mentors is any of (\"u2\", \"u3\") or leader equals \"u1\" or is_manager equals true }\n"
    "group \"departments\" { name \"departments\"\n"
    "  departments \"D1\" with sub-departments\n"
    "  where department partly belong to (\"D2\") with sub-departments or main_department equals \"D4\"\n"
    "     or department belong to (\"D3\", \"D4\") or department include all (\"D2\", \"D3\")\n"
    "  allow \"u1\" block \"u2\" }\n";

/* Runs the fixed rules (when they check against s's schema) in the VM and the reference
 * evaluator: they must agree on an honest snapshot; on any other they must still not crash. */
static inline void fuzz_snap_eval(const rs_snapshot *s, bool honest) {
    fuzz_rules r;
    if (!fuzz_rules_compile(&r, fuzz_snap_rules, sizeof fuzz_snap_rules - 1, s->schema, NULL)) return;
    int32_t today = 0;
    rs_date_parse("2026-01-01", 10, &today);
    if (honest) {
        fuzz_vm_agrees(&r, s, today);
    } else {
        rs_diags *d = fuzz_diags();
        rs_vm *vm = rs_vm_new(r.program, s, today, d);
        FUZZ_ASSERT(vm != NULL, "the VM binds a program checked against the snapshot's schema");
        for (uint32_t g = 0; g < r.program->ngroups; g++)
            for (uint32_t m = 0; m < s->nmembers; m++) {
                rs_vm_eval_member(vm, g, m);
                rs_ref_eval(fuzz_cgroup(&r, g), s, m, today, NULL);
            }
        uint64_t **all = rs_calloc(r.program->ngroups, sizeof *all);
        FUZZ_ASSERT(rs_vm_eval_all(vm, all, 1) == 0, "eval_all runs");
        for (uint32_t g = 0; g < r.program->ngroups; g++) free(all[g]);
        free(all);
        rs_vm_free(vm);
        free(d);
    }
    fuzz_rules_free(&r);
}

/* A snapshot read from a folder: it must be honest, and the VM and the reference evaluator agree. */
static inline void fuzz_snap_agree(const rs_snapshot *s) {
    FUZZ_ASSERT(fuzz_snap_honest(s), "a folder load gives sorted, unique, mirrored, consistent tables");
    fuzz_snap_eval(s, true);
}

/* The snapshot-folder harnesses: the bytes before the first form feed are departments.EXT, the
 * rest members.EXT (without a form feed, fixed_departments and every byte as members); then load,
 * and a loaded snapshot must evaluate the same in the VM and the reference evaluator. */
static inline void fuzz_folder_input(const uint8_t *data, size_t size, const char *ext,
                                     const char *fixed_departments) {
    static bool ready;
    if (!ready) {
        fuzz_put_str("schema.json", fuzz_schema_json);
        ready = true;
    }
    char depts[32], members[32];
    snprintf(depts, sizeof depts, "departments.%s", ext);
    snprintf(members, sizeof members, "members.%s", ext);
    const uint8_t *ff = memchr(data, '\f', size);
    if (ff) {
        fuzz_put(depts, data, (size_t)(ff - data));
        fuzz_put(members, ff + 1, size - (size_t)(ff - data) - 1);
    } else {
        fuzz_put_str(depts, fixed_departments);
        fuzz_put(members, data, size);
    }
    rs_snapshot *s = fuzz_load(fuzz_dir());
    if (s) fuzz_snap_agree(s);
    rs_snapshot_free(s);
}

#endif
