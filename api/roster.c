/* roster.c: the public C API (roster.h), a thin layer over the library's modules: it checks its
 * arguments, calls what the `roster` command calls, and turns each call's diagnostics into text
 * and JSON before the sources they point into are freed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/roster.h"
#include "common/date.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/load.h"
#include "runtime/bitmap.h"
#include "runtime/mapeval.h"
#include "runtime/recalc.h"
#include "runtime/refeval.h"
#include "runtime/vm.h"

struct roster_diags {
    rs_sb text, json;
    size_t nerrors, nwarnings;
};

struct roster_snapshot {
    rs_snapshot *s;
};

struct roster_rules {
    rs_rules r;
    rs_schema *schema;         /* owned when read from schema_path */
    const rs_schema *against;  /* the schema the rules were checked against */
};

struct roster_result {
    const rs_snapshot *s;      /* borrowed */
    char **groups;             /* group ids, copied */
    uint64_t **bits;           /* each group's members, by member index */
    uint32_t ngroups;
};

struct roster_mapper {
    rs_mapprog *prog;
    rs_mapper *m;
};

const char *roster_version(void) { return ROSTER_VERSION; }

const char *roster_status_text(int status) {
    switch (status) {
    case ROSTER_OK: return "success";
    case ROSTER_ERR_INPUT: return "invalid input";
    case ROSTER_ERR_IO: return "input/output error";
    case ROSTER_ERR_ARG: return "invalid argument";
    case ROSTER_ERR_NOT_FOUND: return "not found";
    default: return "unknown status";
    }
}

void roster_free(void *p) { free(p); }

/* ---- diagnostics ---- */

roster_diags *roster_diags_new(void) { return rs_calloc(1, sizeof(roster_diags)); }

void roster_diags_free(roster_diags *d) {
    if (!d) return;
    rs_sb_free(&d->text);
    rs_sb_free(&d->json);
    free(d);
}

const char *roster_diags_text(const roster_diags *d) { return d && d->text.buf ? d->text.buf : ""; }
const char *roster_diags_json(const roster_diags *d) { return d && d->json.buf ? d->json.buf : ""; }
size_t roster_diags_errors(const roster_diags *d) { return d ? d->nerrors : 0; }
size_t roster_diags_warnings(const roster_diags *d) { return d ? d->nwarnings : 0; }

static void diags_clear(roster_diags *d) {
    if (!d) return;
    rs_sb_clear(&d->text);
    rs_sb_clear(&d->json);
    d->nerrors = d->nwarnings = 0;
}

/* The diagnostics of one call are gathered here, then rendered into the caller's roster_diags
 * (call_end) while what they point into is still alive. */
static rs_diags *call_begin(roster_diags *d) {
    diags_clear(d);
    rs_diags *rd = rs_malloc(sizeof *rd);
    rs_diags_init(rd);
    return rd;
}

static int call_end(roster_diags *d, rs_diags *rd, int rc) {
    if (d) {
        rs_diags_render_text(rd, &d->text, false);
        rs_diags_render_json(rd, &d->json);
        d->nerrors = rd->nerrors;
        d->nwarnings = rd->nwarnings;
    }
    free(rd);
    return rc;
}

/* An argument error (E0008) of a call, added to its diagnostics: returns status. */
static int arg_fail(rs_diags *rd, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int arg_fail(rs_diags *rd, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rs_diag_atv(rd, RS_E_BAD_ARGUMENT, NULL, rs_span_make(0, 0), fmt, ap);
    va_end(ap);
    return status;
}

/* The same for a call that fails before it gathers any other diagnostic. */
static int fail(roster_diags *d, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(roster_diags *d, int status, const char *fmt, ...) {
    rs_diags *rd = call_begin(d);
    va_list ap;
    va_start(ap, fmt);
    rs_diag_atv(rd, RS_E_BAD_ARGUMENT, NULL, rs_span_make(0, 0), fmt, ap);
    va_end(ap);
    return call_end(d, rd, status);
}

static int load_status(int rs_rc) {
    return rs_rc == RS_LOAD_OK ? ROSTER_OK : rs_rc == RS_LOAD_INVALID ? ROSTER_ERR_INPUT : ROSTER_ERR_IO;
}

static bool parse_day(const char *as_of, int32_t *day) {
    if (!as_of) {
        *day = rs_date_today();
        return true;
    }
    return rs_date_parse(as_of, strlen(as_of), day);
}

/* ---- snapshots ---- */

int roster_snapshot_load(roster_snapshot **out, const char *path, roster_diags *d) {
    if (!out) return fail(d, ROSTER_ERR_ARG, "roster_snapshot_load: out is NULL");
    *out = NULL;
    if (!path) return fail(d, ROSTER_ERR_ARG, "roster_snapshot_load: path is NULL");
    rs_diags *rd = call_begin(d);
    rs_load_opts lo = {0};
    rs_snapshot *s = rs_snapshot_load(path, &lo, rd);
    if (s) {
        *out = rs_malloc(sizeof **out);
        (*out)->s = s;
    }
    return call_end(d, rd, s ? ROSTER_OK : ROSTER_ERR_INPUT);
}

void roster_snapshot_free(roster_snapshot *s) {
    if (!s) return;
    rs_snapshot_free(s->s);
    free(s);
}

size_t roster_snapshot_members(const roster_snapshot *s) { return s ? s->s->nmembers : 0; }

/* ---- rules ---- */

void roster_rules_free(roster_rules *r) {
    if (!r) return;
    rs_rules_free(&r->r);
    rs_schema_free(r->schema);
    free(r);
}

/* A new rules handle with its schema, or NULL (reported to rd). */
static roster_rules *rules_new(const char *schema_path, const roster_snapshot *snap, rs_diags *rd) {
    roster_rules *r = rs_calloc(1, sizeof *r);
    if (schema_path) {
        r->schema = rs_schema_load(schema_path, rd);
        if (!r->schema) {
            free(r);
            return NULL;
        }
    }
    r->against = r->schema ? r->schema : snap->s->schema;
    return r;
}

static int rules_args(roster_rules **out, const char *schema_path, const roster_snapshot *snap,
                      roster_diags *d, const char *fn) {
    if (!out) return fail(d, ROSTER_ERR_ARG, "%s: out is NULL", fn);
    *out = NULL;
    if (!schema_path && !snap) return fail(d, ROSTER_ERR_ARG, "%s: needs a schema path or a snapshot", fn);
    return ROSTER_OK;
}

/* Both forms of compile: the rule files paths name, or the one source src (taken over). The new
 * rules are handed over, or freed once their diagnostics are rendered. */
static int compile(roster_rules **out, const char *const *paths, size_t npaths, rs_source *src,
                   const char *schema_path, const roster_snapshot *snap, roster_diags *d, rs_diags *rd) {
    roster_rules *r = rules_new(schema_path, snap, rd);
    int rc = ROSTER_ERR_INPUT;
    if (r) {
        rs_idset ids;
        if (snap) rs_snapshot_idset(snap->s, &ids);
        const rs_idset *idp = snap ? &ids : NULL;
        rc = load_status(src ? rs_rules_from_sources(&r->r, &src, 1, r->against, idp, rd)
                             : rs_rules_load(&r->r, paths, npaths, r->against, idp, rd));
    } else {
        rs_source_free(src);
    }
    rc = call_end(d, rd, rc);
    if (rc == ROSTER_OK) *out = r;
    else roster_rules_free(r);
    return rc;
}

int roster_rules_compile(roster_rules **out, const char *const *paths, size_t npaths, const char *schema_path,
                         const roster_snapshot *snap, roster_diags *d) {
    int rc = rules_args(out, schema_path, snap, d, "roster_rules_compile");
    if (rc != ROSTER_OK) return rc;
    if (!paths || npaths == 0) return fail(d, ROSTER_ERR_ARG, "roster_rules_compile: no paths");
    for (size_t i = 0; i < npaths; i++)
        if (!paths[i]) return fail(d, ROSTER_ERR_ARG, "roster_rules_compile: paths[%zu] is NULL", i);
    return compile(out, paths, npaths, NULL, schema_path, snap, d, call_begin(d));
}

int roster_rules_compile_text(roster_rules **out, const char *name, const char *text, size_t len,
                              const char *schema_path, const roster_snapshot *snap, roster_diags *d) {
    int rc = rules_args(out, schema_path, snap, d, "roster_rules_compile_text");
    if (rc != ROSTER_OK) return rc;
    if (!text) return fail(d, ROSTER_ERR_ARG, "roster_rules_compile_text: text is NULL");
    rs_diags *rd = call_begin(d);
    if (!name) name = "<text>";
    /* The limit of a rule file, which also keeps every byte offset within a span's 32 bits. */
    if (len > RS_MAX_SOURCE_BYTES) {
        rs_diag_file(rd, RS_E_FILE_TOO_LARGE, name, 0, 0, "rule text is larger than %u MiB",
                     RS_MAX_SOURCE_BYTES >> 20);
        return call_end(d, rd, ROSTER_ERR_INPUT);
    }
    rs_source *src = rs_source_new(name, rs_strndup(text, len), len);
    return compile(out, NULL, 0, src, schema_path, snap, d, rd);
}

size_t roster_rules_count(const roster_rules *r) { return r ? r->r.program->ngroups : 0; }

const char *roster_rules_group(const roster_rules *r, size_t i) {
    return r && i < r->r.program->ngroups ? r->r.program->groups[i].id : NULL;
}

/* ---- evaluation ---- */

void roster_result_free(roster_result *r) {
    if (!r) return;
    for (uint32_t g = 0; g < r->ngroups; g++) {
        free(r->groups[g]);
        free(r->bits[g]);
    }
    free(r->groups);
    free(r->bits);
    free(r);
}

int roster_evaluate(roster_result **out, const roster_rules *rules, const roster_snapshot *snap,
                    const char *as_of, roster_diags *d) {
    if (!out) return fail(d, ROSTER_ERR_ARG, "roster_evaluate: out is NULL");
    *out = NULL;
    if (!rules || !snap) return fail(d, ROSTER_ERR_ARG, "roster_evaluate: rules or snapshot is NULL");
    int32_t today;
    if (!parse_day(as_of, &today)) return fail(d, ROSTER_ERR_ARG, "roster_evaluate: bad date '%s'", as_of);
    rs_diags *rd = call_begin(d);
    const rs_program *p = rules->r.program;
    rs_vm *vm = rs_vm_new(p, snap->s, today, rd);
    if (!vm) return call_end(d, rd, ROSTER_ERR_INPUT);
    roster_result *r = rs_calloc(1, sizeof *r);
    r->s = snap->s;
    r->ngroups = p->ngroups;
    r->groups = rs_calloc((size_t)p->ngroups + 1, sizeof *r->groups);
    r->bits = rs_calloc((size_t)p->ngroups + 1, sizeof *r->bits);
    for (uint32_t g = 0; g < p->ngroups; g++) r->groups[g] = rs_strdup(p->groups[g].id);
    int rc = rs_vm_eval_all(vm, r->bits, 0) == 0 ? ROSTER_OK : ROSTER_ERR_INPUT;
    rs_vm_free(vm);
    if (rc == ROSTER_OK) *out = r;
    else roster_result_free(r);
    return call_end(d, rd, rc);
}

/* The bitmap of a group, or NULL (reported to d). */
static const uint64_t *result_group(const roster_result *r, const char *group, roster_diags *d, const char *fn) {
    if (!r || !group) {
        fail(d, ROSTER_ERR_ARG, "%s: result or group is NULL", fn);
        return NULL;
    }
    for (uint32_t g = 0; g < r->ngroups; g++)
        if (strcmp(r->groups[g], group) == 0) {
            diags_clear(d);
            return r->bits[g];
        }
    fail(d, ROSTER_ERR_NOT_FOUND, "no group '%s' in the rules", group);
    return NULL;
}

int roster_result_count(const roster_result *r, const char *group, size_t *count, roster_diags *d) {
    if (!count) return fail(d, ROSTER_ERR_ARG, "roster_result_count: count is NULL");
    *count = 0;
    const uint64_t *bits = result_group(r, group, d, "roster_result_count");
    if (!bits) return r && group ? ROSTER_ERR_NOT_FOUND : ROSTER_ERR_ARG;
    *count = rs_bm_count(bits, r->s->nmembers);
    return ROSTER_OK;
}

/* The ids of the members set in bits, in id order: one block, the pointers and then the strings. */
static char **member_list(const rs_snapshot *s, const uint64_t *bits, size_t *n) {
    rs_snap_ids si;
    rs_snap_ids_init(&si, s);
    size_t count = 0, bytes = 0;
    for (uint32_t j = 0; j < si.u.n; j++) {
        if (!rs_bm_get(bits, si.u.order[j])) continue;
        size_t len;
        rs_universe_id(&si.u, j, &len);
        count++;
        bytes += len + 1;
    }
    char **ids = rs_malloc((count + 1) * sizeof *ids + bytes);
    char *at = (char *)(ids + count + 1);
    size_t k = 0;
    for (uint32_t j = 0; j < si.u.n; j++) {
        if (!rs_bm_get(bits, si.u.order[j])) continue;
        size_t len;
        const char *id = rs_universe_id(&si.u, j, &len);
        memcpy(at, id, len);
        at[len] = '\0';
        ids[k++] = at;
        at += len + 1;
    }
    ids[k] = NULL;
    rs_snap_ids_free(&si);
    *n = count;
    return ids;
}

int roster_result_members(const roster_result *r, const char *group, char ***ids, size_t *n, roster_diags *d) {
    if (n) *n = 0;
    if (!ids) return fail(d, ROSTER_ERR_ARG, "roster_result_members: ids is NULL");
    *ids = NULL;
    const uint64_t *bits = result_group(r, group, d, "roster_result_members");
    if (!bits) return r && group ? ROSTER_ERR_NOT_FOUND : ROSTER_ERR_ARG;
    size_t count;
    *ids = member_list(r->s, bits, &count);
    if (n) *n = count;
    return ROSTER_OK;
}

/* ---- dry-run and explain ---- */

static bool known_format(roster_format f) { return f == ROSTER_TEXT || f == ROSTER_JSON; }

int roster_dry_run(char **report, const roster_rules *rules, const roster_snapshot *snap, const char *state_path,
                   const char *as_of, roster_format format, roster_diags *d) {
    if (!report) return fail(d, ROSTER_ERR_ARG, "roster_dry_run: report is NULL");
    *report = NULL;
    if (!rules || !snap || !state_path)
        return fail(d, ROSTER_ERR_ARG, "roster_dry_run: rules, snapshot or state path is NULL");
    int32_t today;
    if (!parse_day(as_of, &today)) return fail(d, ROSTER_ERR_ARG, "roster_dry_run: bad date '%s'", as_of);
    if (!known_format(format)) return fail(d, ROSTER_ERR_ARG, "roster_dry_run: unknown format %d", (int)format);
    rs_diags *rd = call_begin(d);
    rs_dry_run dr;
    int rc = rs_dry_run_compute(&dr, rules->r.program, snap->s, state_path, today, 0, rd);
    rc = rc == RS_RECALC_OK ? ROSTER_OK : rc == RS_RECALC_INVALID ? ROSTER_ERR_INPUT : ROSTER_ERR_IO;
    if (rc == ROSTER_OK) {
        rs_dry_report rep = {.state = state_path, .today = today, .json = format == ROSTER_JSON,
                             .explain = RS_NONE};
        rs_sb out = {0};
        rs_dry_run_report(&dr, rules->r.program, snap->s, &rep, &out);
        *report = rs_sb_take(&out);
    }
    rs_dry_run_free(&dr);
    return call_end(d, rd, rc);
}

static const rs_cgroup *checked_group(const rs_checked *c, const char *id) {
    for (size_t i = 0; i < c->ngroups; i++) {
        const ast_str *gid = &c->groups[i].ast->id;
        if (gid->len == strlen(id) && memcmp(gid->s, id, gid->len) == 0) return &c->groups[i];
    }
    return NULL;
}

int roster_explain(char **out, const roster_rules *rules, const roster_snapshot *snap, const char *group,
                   const char *member, const char *as_of, roster_format format, roster_diags *d) {
    if (!out) return fail(d, ROSTER_ERR_ARG, "roster_explain: out is NULL");
    *out = NULL;
    if (!rules || !snap || !group || !member)
        return fail(d, ROSTER_ERR_ARG, "roster_explain: rules, snapshot, group or member is NULL");
    int32_t today;
    if (!parse_day(as_of, &today)) return fail(d, ROSTER_ERR_ARG, "roster_explain: bad date '%s'", as_of);
    if (!known_format(format)) return fail(d, ROSTER_ERR_ARG, "roster_explain: unknown format %d", (int)format);
    /* The checked conditions name schema fields by index: only the snapshot's own schema fits. */
    if (rules->against != snap->s->schema)
        return fail(d, ROSTER_ERR_ARG, "roster_explain: the rules were not compiled against this snapshot");
    const rs_cgroup *g = checked_group(rules->r.checked, group);
    if (!g) return fail(d, ROSTER_ERR_NOT_FOUND, "no group '%s' in the rules", group);
    uint32_t m = rs_snapshot_member(snap->s, member, strlen(member));
    if (m == RS_NONE) return fail(d, ROSTER_ERR_NOT_FOUND, "member '%s' is not in the snapshot", member);
    diags_clear(d);
    rs_explain ex;
    memset(&ex, 0, sizeof ex);
    rs_ref_eval(g, snap->s, m, today, &ex);
    rs_sb text = {0};
    if (format == ROSTER_JSON) rs_explain_json(&ex, snap->s, &text);
    else rs_explain_text(&ex, snap->s, &text);
    rs_explain_free(&ex);
    *out = rs_sb_take(&text);
    return ROSTER_OK;
}

/* ---- field mappings ---- */

void roster_mapper_free(roster_mapper *m) {
    if (!m) return;
    rs_mapper_free(m->m);
    rs_mapprog_free(m->prog);
    free(m);
}

/* Compiles mapping idx of a checked file and loads its tables; ROSTER_ERR_INPUT when a table
 * cannot be loaded. */
static int mapper_compile(roster_mapper **out, const rs_mapfile *mf, size_t idx, const char *path, rs_diags *rd) {
    char *dir = rs_path_dir(path);
    roster_mapper *m = rs_calloc(1, sizeof *m);
    m->prog = rs_map_compile(mf->check, idx, dir);
    free(dir);
    if (rs_mapper_new(&m->m, m->prog, rd) != 0) {
        roster_mapper_free(m);
        return ROSTER_ERR_INPUT;
    }
    *out = m;
    return ROSTER_OK;
}

int roster_mapper_load(roster_mapper **out, const char *path, const char *id, roster_diags *d) {
    if (!out) return fail(d, ROSTER_ERR_ARG, "roster_mapper_load: out is NULL");
    *out = NULL;
    if (!path) return fail(d, ROSTER_ERR_ARG, "roster_mapper_load: path is NULL");
    rs_diags *rd = call_begin(d);
    rs_mapfile mf;
    int rc = load_status(rs_mapfile_load(&mf, path, rd));
    size_t idx = rc == ROSTER_OK ? rs_mapfile_find(&mf, id) : 0;
    if (rc == ROSTER_OK && idx == mf.ast->nmaps)
        rc = id ? arg_fail(rd, ROSTER_ERR_NOT_FOUND, "no mapping \"%s\" in %s", id, path)
                : arg_fail(rd, ROSTER_ERR_NOT_FOUND, "no mapping in %s", path);
    if (rc == ROSTER_OK) rc = mapper_compile(out, &mf, idx, path, rd);
    rc = call_end(d, rd, rc);   /* the diagnostics point into the mapping file: rendered first */
    rs_mapfile_free(&mf);
    return rc;
}

typedef struct map_ctx {
    roster_mapper *m;
    rs_sb out;
    size_t nfailed;
} map_ctx;

static void map_batch(void *ctx, json_t *const *recs, const char *const *why, const size_t *lines, size_t n) {
    map_ctx *c = ctx;
    rs_mapresult res;
    rs_mapper_run(c->m->m, recs, why, n, &res);
    for (size_t r = 0; r < n; r++) {
        c->nfailed += res.failed[r];
        rs_map_record_jsonl(c->m->prog, &res, r, lines[r], recs[r], &c->out);
    }
}

int roster_map(char **out, size_t *nfailed, roster_mapper *m, const char *records, size_t len, roster_diags *d) {
    if (nfailed) *nfailed = 0;
    if (!out) return fail(d, ROSTER_ERR_ARG, "roster_map: out is NULL");
    *out = NULL;
    if (!m || (!records && len)) return fail(d, ROSTER_ERR_ARG, "roster_map: mapper or records is NULL");
    diags_clear(d);
    map_ctx c = {.m = m};
    if (len) {
        /* The records go through the same reader as a file given to `roster map`. */
        FILE *in = fmemopen((void *)(uintptr_t)records, len, "r");
        size_t lines = 0;
        int err = in ? rs_map_read_jsonl(in, map_batch, &c, &lines) : errno;
        if (in) fclose(in);
        if (err) {
            rs_sb_free(&c.out);
            rs_diags *rd = call_begin(d);
            rs_diag_file(rd, RS_E_IO, "<records>", 0, 0, "cannot read the records after line %zu: %s", lines,
                         strerror(err));
            return call_end(d, rd, ROSTER_ERR_IO);
        }
    }
    if (nfailed) *nfailed = c.nfailed;
    *out = rs_sb_take(&c.out);
    return ROSTER_OK;
}
