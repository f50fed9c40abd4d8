/* recalc.c: a recalculation (evaluate, diff, write the delta, store) and a dry-run (evaluate, diff). */
#include "runtime/recalc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/parallel.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/vm.h"

/* ---- fingerprints ---- */

static void hash_str(rs_hash *h, const char *s) {
    rs_hash_bytes(h, s ? s : "", s ? strlen(s) : 0);
}

/* A missing array hashes differently from an empty one. */
static void hash_array(rs_hash *h, const void *p, size_t n, size_t size) {
    rs_hash_u64(h, p ? (uint64_t)n : UINT64_MAX);
    if (p && n) rs_hash_bytes(h, p, n * size);
}

static void hash_strtab(rs_hash *h, const rs_strtab *t) {
    hash_array(h, t->off, t->off ? (size_t)t->n + 1 : 0, sizeof *t->off);
    if (t->off && t->n) hash_array(h, t->bytes + t->off[0], t->off[t->n] - t->off[0], 1);
}

static void hash_field(rs_hash *h, const rs_field *f) {
    hash_str(h, f->name);
    rs_hash_u64(h, (uint64_t)f->type | (uint64_t)f->multi << 8 | (uint64_t)f->derived << 9);
    rs_hash_u64(h, f->noptions);
    for (size_t i = 0; i < f->noptions; i++) hash_str(h, f->options[i]);
}

static void hash_column(rs_hash *h, const rs_column *c, uint32_t n) {
    hash_field(h, c->field);
    /* Single-valued columns hold one slot per member; multi-valued ones offsets[n] values. */
    size_t nvals = c->field->multi && c->offsets ? c->offsets[n] : n;
    hash_array(h, c->offsets, c->offsets ? (size_t)n + 1 : 0, sizeof *c->offsets);
    hash_array(h, c->codes, c->codes ? nvals : 0, sizeof *c->codes);
    hash_array(h, c->nums, c->nums ? nvals : 0, sizeof *c->nums);
    hash_array(h, c->days, c->days ? nvals : 0, sizeof *c->days);
    hash_array(h, c->empty, c->empty ? rs_bm_words(n) : 0, sizeof *c->empty);
    if (c->field->type == RS_T_TEXT) hash_strtab(h, &c->dict.raw);
}

uint64_t rs_recalc_fingerprint(const rs_snapshot *s) {
    rs_hash h;
    rs_hash_init(&h, 0x726f73746572ull);   /* "roster" */
    rs_hash_u64(&h, s->nmembers);
    hash_strtab(&h, &s->member_ids);
    rs_hash_u64(&h, s->schema->nfields);
    for (size_t i = 0; i < s->schema->nfields; i++) hash_column(&h, &s->columns[i], s->nmembers);
    rs_hash_u64(&h, s->depts.n);
    hash_strtab(&h, &s->depts.ids);
    hash_array(&h, s->depts.parent, s->depts.parent ? s->depts.n : 0, sizeof *s->depts.parent);
    rs_hash_u64(&h, (uint64_t)(int64_t)s->status_field);
    return rs_hash_final(&h);
}

static void hash_kset(rs_hash *h, const rs_program *p, const rs_kset *k, bool *uses_today) {
    rs_hash_u64(h, (uint64_t)k->kind | (uint64_t)k->count << 8);
    if (k->kind == RS_K_TODAY) *uses_today = true;
    for (uint32_t v = k->first; v < k->first + k->count && v < p->nvals; v++) {
        const rs_kval *kv = &p->vals[v];
        uint64_t bits;
        switch (k->kind) {
        case RS_K_STR: rs_hash_bytes(h, p->strings + kv->str_off, kv->str_len); break;
        case RS_K_NUM:
            memcpy(&bits, &kv->num, sizeof bits);
            rs_hash_u64(h, bits);
            break;
        default: rs_hash_u64(h, (uint64_t)(uint32_t)kv->day); break;
        }
    }
}

uint64_t rs_recalc_rule_hash(const rs_program *p, uint32_t g, bool *uses_today) {
    const rs_pgroup *pg = &p->groups[g];
    rs_hash h;
    rs_hash_init(&h, RS_BC_VERSION);
    *uses_today = false;
    for (uint32_t i = pg->code_start; i < pg->code_start + pg->code_len && i < p->ncode; i++) {
        const rs_insn *in = &p->code[i];
        rs_hash_u64(&h, (uint64_t)in->op | (uint64_t)in->flags << 8);
        if (NEVER(in->op >= RS_OP_COUNT)) continue;
        const char *uses = rs_opinfo_table[in->op].uses;
        if (uses[0] == 'F' && ALWAYS(in->field < p->nfields)) {
            const rs_pfield *f = &p->fields[in->field];
            hash_str(&h, f->name);
            rs_hash_u64(&h, (uint64_t)f->type | (uint64_t)f->multi << 8);
        }
        if (uses[1] == 'K' && ALWAYS(in->k < p->nsets)) hash_kset(&h, p, &p->sets[in->k], uses_today);
    }
    return rs_hash_final(&h);
}

/* ---- comparing with what is stored ---- */

typedef struct cached_universe {
    int64_t id;
    rs_suniverse *su;
    uint32_t *map;             /* its positions in the snapshot's universe */
} cached_universe;

struct rs_baseline {
    rs_state *st;              /* borrowed; NULL when nothing is stored */
    const rs_snap_ids *ids;
    const rs_universe *flat;   /* ids->u laid out in order (for the delta of record), or NULL */
    int64_t same_id;           /* the stored universe equal to ids->u, 0 when none */
    cached_universe *cache;    /* usually one entry: the previous run's universe */
    size_t ncache, cap;
};

static void baseline_free(struct rs_baseline *b) {
    if (!b) return;
    for (size_t i = 0; i < b->ncache; i++) {
        rs_suniverse_free(b->cache[i].su);
        free(b->cache[i].map);
    }
    free(b->cache);
    free(b);
}

/* The universe a stored membership refers to, and how its positions map to the snapshot's. */
static int baseline_universe(struct rs_baseline *b, int64_t id, const rs_universe **u, const uint32_t **map) {
    if (id != 0 && id == b->same_id) {
        *u = b->flat ? b->flat : &b->ids->u;
        *map = NULL;
        return 0;
    }
    for (size_t i = 0; i < b->ncache; i++)
        if (b->cache[i].id == id) {
            *u = &b->cache[i].su->u;
            *map = b->cache[i].map;
            return 0;
        }
    rs_suniverse *su;
    TRY(rs_state_universe(b->st, id, &su));
    RS_GROW(b->cache, b->cap, b->ncache + 1);
    cached_universe *c = &b->cache[b->ncache++];
    c->id = id;
    c->su = su;
    c->map = rs_universe_map(&su->u, &b->ids->u);
    *u = &su->u;
    *map = c->map;
    return 0;
}

/* The delta from stored (NULL: nothing stored) to new_pos (positions in the snapshot's universe;
 * NULL: nobody). */
static int baseline_delta(struct rs_baseline *b, const rs_sgroup *stored, const uint64_t *new_pos, rs_delta *d,
                          const rs_universe **old_u) {
    *old_u = NULL;
    if (!stored) {
        rs_delta_compute(d, NULL, 0, NULL, new_pos, b->ids->u.n);
        return 0;
    }
    const rs_universe *u;
    const uint32_t *map;
    uint64_t *old;
    TRY(baseline_universe(b, stored->universe, &u, &map));
    TRY(rs_state_members(b->st, stored, u->n, &old));
    rs_delta_compute(d, old, u->n, map, new_pos, b->ids->u.n);
    free(old);
    *old_u = u;
    return 0;
}

static uint64_t hash_blob(const rs_sb *blob) {
    rs_hash h;
    rs_hash_init(&h, 0);
    rs_hash_bytes(&h, blob->len ? blob->buf : "", blob->len);
    return rs_hash_final(&h);
}

/* ---- evaluation ---- */

/* Evaluates the groups marked in `needed` (all when needed is NULL) into bits[g] (by member); only
 * those are prepared, and they share the threads batch by batch. */
static int evaluate(const rs_program *p, const rs_snapshot *s, int32_t today, int threads, const bool *needed,
                    uint64_t **bits, rs_diags *d) {
    rs_vm *vm = rs_vm_new_groups(p, s, today, needed, threads, d);
    if (!vm) return RS_RECALC_INVALID;
    int rc = rs_vm_eval_all(vm, bits, threads);
    rs_vm_free(vm);
    if (rc != 0) {
        rs_diag_file(d, RS_E_IO, "", 0, 0, "evaluating the groups failed");
        return RS_RECALC_IO;
    }
    return 0;
}

typedef struct positions_job {
    const rs_snap_ids *ids;
    uint64_t **bits;
} positions_job;

static void to_positions(void *ctx, uint32_t g) {
    positions_job *job = ctx;
    if (!job->bits[g]) return;
    uint64_t *pos = rs_malloc((rs_bm_words(job->ids->u.n) + 1) * sizeof *pos);
    rs_snap_ids_to_positions(job->ids, job->bits[g], pos);
    free(job->bits[g]);
    job->bits[g] = pos;
}

/* Every evaluated membership re-indexed in place from member indices to universe positions (the id
 * order deltas and the state database use), groups shared among the threads. */
static void all_to_positions(const rs_snap_ids *ids, uint64_t **bits, uint32_t ngroups, int threads) {
    positions_job job = {ids, bits};
    rs_parallel_for(threads, ngroups, to_positions, &job);
}

/* ---- the delta file ---- */

typedef struct sink {
    FILE *f;
    const char *path;          /* the final name, or NULL */
    char *tmp;                 /* the temporary file renamed onto path, or NULL when writing directly */
    bool ours;                 /* we opened f */
    uint64_t written, flushed; /* bytes written; bytes whose write-back to disk has been started */
} sink;

/* A large delta file is pushed to the disk while the rest is being formatted, so that the fsync
 * before the commit waits for the tail only. */
#define SINK_KICK (32u << 20)

static void sink_kick(sink *k) {
#ifdef SYNC_FILE_RANGE_WRITE
    if (!k->tmp || k->written - k->flushed < SINK_KICK || fflush(k->f) != 0) return;
    (void)sync_file_range(fileno(k->f), (off_t)k->flushed, (off_t)(k->written - k->flushed), SYNC_FILE_RANGE_WRITE);
    k->flushed = k->written;
#else
    (void)k;
#endif
}

static int sink_error(const char *path, rs_diags *d, const char *what) {
    rs_diag_file(d, RS_E_IO, path ? path : "<stdout>", 0, 0, "%s: %s", what, strerror(errno));
    return RS_RECALC_IO;
}

/* The delta of record may only go where the run can tell that it arrived before it commits: a
 * regular file (fsync'd first) or /dev/null (the caller discards it on purpose). A pipe, terminal or
 * socket cannot tell: a reader that stops after a few lines (`| head`) has taken the whole delta
 * from the pipe buffer, and the lines it never used would be lost once the run commits. */
static bool deliverable(const struct stat *sb) {
    struct stat null;
    if (S_ISREG(sb->st_mode)) return true;
    return S_ISCHR(sb->st_mode) && stat("/dev/null", &null) == 0 && sb->st_rdev == null.st_rdev;
}

static const char *file_kind(mode_t mode) {
    return S_ISFIFO(mode) ? "a pipe" : S_ISCHR(mode) ? "a terminal or device" : S_ISSOCK(mode) ? "a socket"
         : S_ISDIR(mode) ? "a folder" : "not a regular file";
}

int rs_recalc_check_out(const rs_recalc_opts *o, rs_diags *d) {
    struct stat sb;
    const char *where = o->out_path;
    if (where) {
        if (stat(where, &sb) != 0) return 0;   /* created by the run; a bad folder fails at open */
    } else if (!o->out_file || fstat(fileno(o->out_file), &sb) != 0) {
        return 0;
    }
    if (deliverable(&sb)) return 0;
    rs_diag *dg = rs_diag_file(d, RS_E_IO, where ? where : "<stdout>", 0, 0,
                               "%s is %s: the delta of record is written to a regular file or /dev/null only",
                               where ? "--out" : "standard output", file_kind(sb.st_mode));
    rs_diag_help(dg, "write the delta with --out FILE and read the file: a reader that stops early (`| head`) "
                     "would lose the lines it did not use once the run commits; `roster dry-run` shows the "
                     "change without storing it");
    return RS_RECALC_IO;
}

/* A regular file (or a new one) is written beside its final name and renamed; /dev/null is written
 * directly. */
static int sink_open(sink *k, const rs_recalc_opts *o, rs_diags *d) {
    memset(k, 0, sizeof *k);
    if (!o->out_path) {
        k->f = o->out_file;
        return 0;
    }
    k->path = o->out_path;
    struct stat sb;
    bool special = stat(o->out_path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
    const char *name = o->out_path;
    if (!special) {
        k->tmp = rs_tmp_path(o->out_path);
        name = k->tmp;
    }
    k->f = fopen(name, "w");
    if (!k->f) {
        sink_error(name, d, "cannot write the delta file");
        free(k->tmp);
        k->tmp = NULL;
        return RS_RECALC_IO;
    }
    k->ours = true;
    return 0;
}

static int sink_write(sink *k, const rs_sb *lines, rs_diags *d) {
    if (!k->f || lines->len == 0) return 0;
    if (fwrite(lines->buf, 1, lines->len, k->f) != lines->len)
        return sink_error(k->tmp ? k->tmp : k->path, d, "cannot write the delta");
    k->written += lines->len;
    sink_kick(k);
    return 0;
}

static void fsync_parent(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? rs_strndup(path, (size_t)(slash - path) + (slash == path)) : rs_strdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);   /* best effort: some file systems refuse fsync on folders */
        close(fd);
    }
    free(dir);
}

/* Everything written reaches the disk (and its final name) before the database commits. */
static int sink_finish(sink *k, rs_diags *d) {
    if (!k->f) return 0;
    const char *name = k->tmp ? k->tmp : k->path;
    if (fflush(k->f) != 0 || ferror(k->f)) return sink_error(name, d, "cannot write the delta");
    struct stat sb;
    if (!k->ours) {   /* standard output: a regular file reaches the disk before the commit too */
        if (fstat(fileno(k->f), &sb) == 0 && S_ISREG(sb.st_mode) && fsync(fileno(k->f)) != 0)
            return sink_error(name, d, "cannot write the delta");
        return 0;
    }
    if (k->tmp && fsync(fileno(k->f)) != 0) return sink_error(name, d, "cannot write the delta");
    int rc = fclose(k->f);
    k->f = NULL;
    if (rc != 0) return sink_error(name, d, "cannot write the delta");
    if (k->tmp) {
        if (rename(k->tmp, k->path) != 0) return sink_error(k->path, d, "cannot rename the delta file");
        fsync_parent(k->path);
        free(k->tmp);
        k->tmp = NULL;
    }
    return 0;
}

static void sink_abort(sink *k) {
    if (k->ours && k->f) fclose(k->f);
    if (k->tmp) unlink(k->tmp);
    free(k->tmp);
    memset(k, 0, sizeof *k);
}

/* ---- recalculation ---- */

typedef struct recalc_run {
    const rs_program *p;
    const rs_snapshot *s;
    const rs_recalc_opts *o;
    rs_recalc_stats *stats;
    rs_diags *d;
    rs_state *st;
    rs_sgroups stored;
    rs_snap_ids ids;
    rs_flat_universe flat;     /* ids.u in order: the ids of the delta of record */
    struct rs_baseline *base;
    uint64_t fp;
    int64_t universe_id;
    uint64_t *rule_hash;
    bool *uses_today, *needed;
    uint64_t **bits;           /* the evaluated groups' memberships, by universe position */
    int threads;
    bool own_state;            /* rs_recalc: opened st, commits it; rs_recalc_into: the caller's */
    sink out;
    rs_delta_fn on_delta;      /* rs_recalc_into: the caller takes the delta */
    void *on_delta_ctx;
    rs_sb lines[2];            /* delta lines formatted by two threads */
} recalc_run;

static int32_t today_key(const recalc_run *r, uint32_t g) {
    return r->uses_today[g] ? r->o->today : RS_NO_TODAY;
}

/* A group is evaluated again unless its rule, the snapshot and (when it reads it) `today` are
 * exactly what produced the stored membership. */
static uint32_t decide(recalc_run *r) {
    uint32_t n = 0;
    for (uint32_t g = 0; g < r->p->ngroups; g++) {
        const rs_pgroup *pg = &r->p->groups[g];
        r->rule_hash[g] = rs_recalc_rule_hash(r->p, g, &r->uses_today[g]);
        const rs_sgroup *sg = rs_sgroups_find(&r->stored, pg->id);
        r->needed[g] = !sg || sg->source_hash != pg->source_hash || sg->rule_hash != r->rule_hash[g] ||
                       sg->snapshot_fp != r->fp || sg->today != today_key(r, g);
        n += r->needed[g];
    }
    return n;
}

static int store_universe(recalc_run *r) {
    double t0 = rs_now_ms();
    rs_sb blob = {0};
    rs_state_encode_universe(&r->flat.u, &blob);   /* the same ids as r->ids.u, read in order */
    int rc = rs_state_put_universe(r->st, &blob, hash_blob(&blob), r->ids.u.n, &r->universe_id);
    rs_sb_free(&blob);
    r->base->same_id = r->universe_id;
    r->stats->store_ms += rs_now_ms() - t0;
    return rc < 0 ? RS_RECALC_IO : 0;
}

/* Lines formatted at a time by each of two threads: memory stays bounded for any group size (a
 * few MB a buffer), and a large delta keeps both cores busy. */
#define EMIT_LINES 131072

typedef struct emit_part {
    rs_sb *out;
    const char *group;
    const rs_delta *delta;
    const rs_universe *old_u, *new_u;
    size_t first, count;
} emit_part;

static void format_part(void *ctx, uint32_t i) {
    emit_part *e = (emit_part *)ctx + i;
    rs_sb_clear(e->out);
    if (e->count) rs_delta_jsonl(e->out, e->group, e->delta, e->old_u, e->new_u, e->first, e->count);
}

static int hand_over(recalc_run *r, const rs_sb *lines) {
    if (!r->on_delta || lines->len == 0) return 0;
    if (r->on_delta(r->on_delta_ctx, lines->buf, lines->len) == 0) return 0;
    rs_diag_file(r->d, RS_E_IO, "", 0, 0, "the delta's receiver stopped the recalculation");
    return RS_RECALC_IO;
}

static int emit(recalc_run *r, const char *group, const rs_delta *delta, const rs_universe *old_u) {
    r->stats->adds += delta->nadds;
    r->stats->removes += delta->nremoves;
    size_t total = delta->nadds + delta->nremoves;
    for (size_t first = 0; (r->out.f || r->on_delta) && first < total; first += 2 * EMIT_LINES) {
        size_t n0 = total - first < EMIT_LINES ? total - first : EMIT_LINES, n1 = total - first - n0;
        if (n1 > EMIT_LINES) n1 = EMIT_LINES;
        emit_part part[2] = {{&r->lines[0], group, delta, old_u, &r->flat.u, first, n0},
                             {&r->lines[1], group, delta, old_u, &r->flat.u, first + n0, n1}};
        rs_parallel_for(n1 > 0 ? r->threads : 1, 2, format_part, part);
        TRY(sink_write(&r->out, &r->lines[0], r->d));
        TRY(sink_write(&r->out, &r->lines[1], r->d));
        TRY(hand_over(r, &r->lines[0]));
        TRY(hand_over(r, &r->lines[1]));
    }
    return 0;
}

static int recalc_group(recalc_run *r, uint32_t g) {
    const rs_pgroup *pg = &r->p->groups[g];
    double t0 = rs_now_ms();
    const rs_sgroup *sg = rs_sgroups_find(&r->stored, pg->id);
    rs_delta delta;
    const rs_universe *old_u;
    if (baseline_delta(r->base, sg, r->bits[g], &delta, &old_u) != 0) return RS_RECALC_IO;
    int rc = emit(r, pg->id, &delta, old_u);
    rs_delta_free(&delta);
    double t1 = rs_now_ms();
    r->stats->delta_ms += t1 - t0;
    if (rc != 0) return rc;
    rs_sgroup meta = {.id = pg->id, .name = pg->name, .source_hash = pg->source_hash,
                      .rule_hash = r->rule_hash[g], .snapshot_fp = r->fp, .today = today_key(r, g),
                      .universe = r->universe_id};
    rc = rs_state_put_group(r->st, &meta, r->bits[g], r->ids.u.n);
    r->stats->store_ms += rs_now_ms() - t1;
    return rc < 0 ? RS_RECALC_IO : 0;
}

/* A stored group no rule defines: kept (W0802), or with --prune deleted and its members removed. */
static int stale_group(recalc_run *r, const rs_sgroup *sg) {
    r->stats->groups_stale++;
    if (!r->o->prune) {
        rs_diag *dg = rs_diag_file(r->d, RS_E_RULE_REMOVED, r->o->state_path, 0, 0,
                                   "group '%.200s' is stored but no rule defines it any more; its %u "
                                   "member(s) are kept", sg->id, sg->count);
        if (dg) rs_diag_help(dg, "restore its rule, or recalculate with --prune to delete it");
        return 0;
    }
    rs_delta delta;
    const rs_universe *old_u;
    if (baseline_delta(r->base, sg, NULL, &delta, &old_u) != 0) return RS_RECALC_IO;
    int rc = emit(r, sg->id, &delta, old_u);
    rs_delta_free(&delta);
    if (rc == 0 && rs_state_delete_group(r->st, sg->id) != 0) rc = RS_RECALC_IO;
    r->stats->groups_pruned++;
    return rc;
}

typedef struct program_ref {
    const rs_program *p;
} program_ref;

static int cmp_group_ids(const void *a, const void *b, void *ctx) {
    const rs_program *p = ((program_ref *)ctx)->p;
    const char *x = p->groups[*(const uint32_t *)a].id, *y = p->groups[*(const uint32_t *)b].id;
    return rs_id_cmp(x, strlen(x), y, strlen(y));
}

/* Every group, program and stored, in id order: the order of the delta of record. */
static int walk_groups(recalc_run *r) {
    uint32_t *order = rs_malloc(((size_t)r->p->ngroups + 1) * sizeof *order);
    for (uint32_t g = 0; g < r->p->ngroups; g++) order[g] = g;
    program_ref ref = {r->p};
    qsort_r(order, r->p->ngroups, sizeof *order, cmp_group_ids, &ref);
    size_t i = 0, j = 0;
    int rc = 0;
    while (rc == 0 && (i < r->p->ngroups || j < r->stored.n)) {
        const char *pid = i < r->p->ngroups ? r->p->groups[order[i]].id : NULL;
        const rs_sgroup *sg = j < r->stored.n ? &r->stored.items[j] : NULL;
        int c = !pid ? 1 : !sg ? -1 : rs_id_cmp(pid, strlen(pid), sg->id, strlen(sg->id));
        if (c > 0) {
            rc = stale_group(r, sg);
            j++;
            continue;
        }
        if (r->needed[order[i]]) rc = recalc_group(r, order[i]);
        i++;
        if (c == 0) j++;
    }
    free(order);
    return rc;
}

static int record_run(recalc_run *r) {
    double t0 = rs_now_ms();
    rs_srun run = {.as_of = r->o->today, .snapshot_fp = r->fp, .groups = r->stats->groups,
                   .groups_evaluated = r->stats->groups_evaluated, .groups_pruned = r->stats->groups_pruned,
                   .adds = r->stats->adds, .removes = r->stats->removes};
    int rc = rs_state_add_run(r->st, &run);
    r->stats->store_ms += rs_now_ms() - t0;
    return rc != 0 ? RS_RECALC_IO : 0;
}

/* rs_recalc's own end: the delta file in place, then the commit (docs/state.md, steps 4 and 5). */
static int finish(recalc_run *r) {
    double t0 = rs_now_ms();
    TRY(sink_finish(&r->out, r->d));
    r->stats->delta_ms += rs_now_ms() - t0;
    TRY(record_run(r));
    if (r->o->before_commit) r->o->before_commit(r->o->before_commit_ctx);
    double t2 = rs_now_ms();
    if (rs_state_commit(r->st) != 0) return RS_RECALC_IO;
    r->stats->store_ms += rs_now_ms() - t2;
    return 0;
}

/* Item 0: the sorted ids laid out; item 1: the fingerprint (a pass over the whole snapshot). */
static void prepare_part(void *ctx, uint32_t i) {
    recalc_run *r = ctx;
    if (i == 0) {
        rs_snap_ids_init(&r->ids, r->s);
        rs_universe_flatten(&r->ids.u, &r->flat);
    } else {
        r->fp = rs_recalc_fingerprint(r->s);
    }
}

/* The fingerprint on one core while the sorted ids are laid out on the other. */
static int prepare(recalc_run *r) {
    double t0 = rs_now_ms();
    rs_parallel_for(r->threads, 2, prepare_part, r);
    r->stats->prepare_ms = rs_now_ms() - t0;
    if (r->own_state) {
        if (rs_state_open(&r->st, r->o->state_path, RS_STATE_WRITE, r->d) != 0) return RS_RECALC_IO;
        if (rs_state_begin(r->st) != 0) return RS_RECALC_IO;
    }
    if (rs_state_groups(r->st, &r->stored) != 0) return RS_RECALC_IO;
    r->base = rs_calloc(1, sizeof *r->base);
    r->base->st = r->st;
    r->base->ids = &r->ids;
    r->base->flat = &r->flat.u;
    return 0;
}

static int run_all(recalc_run *r) {
    TRY(prepare(r));
    uint32_t n = decide(r);
    r->stats->groups_evaluated = n;
    r->stats->groups_skipped = r->p->ngroups - n;
    if (n > 0) {
        double t0 = rs_now_ms();
        TRY(evaluate(r->p, r->s, r->o->today, r->o->threads, r->needed, r->bits, r->d));
        double t1 = rs_now_ms();
        r->stats->eval_ms = t1 - t0;
        all_to_positions(&r->ids, r->bits, r->p->ngroups, r->threads);
        r->stats->delta_ms += rs_now_ms() - t1;
        TRY(store_universe(r));
    }
    if (!r->own_state) {
        TRY(walk_groups(r));
        return record_run(r);
    }
    TRY(sink_open(&r->out, r->o, r->d));
    TRY(walk_groups(r));
    return finish(r);
}

static int run(recalc_run *r) {
    const rs_program *p = r->p;
    memset(r->stats, 0, sizeof *r->stats);
    r->stats->members = r->s->nmembers;
    r->stats->groups = p->ngroups;
    r->threads = rs_thread_count(r->o->threads);
    size_t ng = (size_t)p->ngroups + 1;
    r->rule_hash = rs_calloc(ng, sizeof *r->rule_hash);
    r->uses_today = rs_calloc(ng, sizeof *r->uses_today);
    r->needed = rs_calloc(ng, sizeof *r->needed);
    r->bits = rs_calloc(ng, sizeof *r->bits);
    int rc = run_all(r);
    if (rc != 0 && r->own_state) {
        rs_state_rollback(r->st);
        sink_abort(&r->out);
    }
    if (r->own_state) rs_state_close(r->st);
    baseline_free(r->base);
    rs_sgroups_free(&r->stored);
    rs_snap_ids_free(&r->ids);
    rs_flat_universe_free(&r->flat);
    for (uint32_t g = 0; g < p->ngroups; g++) free(r->bits[g]);
    free(r->bits);
    free(r->needed);
    free(r->uses_today);
    free(r->rule_hash);
    rs_sb_free(&r->lines[0]);
    rs_sb_free(&r->lines[1]);
    return rc;
}

int rs_recalc(const rs_program *p, const rs_snapshot *s, const rs_recalc_opts *o, rs_recalc_stats *stats,
              rs_diags *d) {
    if (rs_recalc_check_out(o, d) != 0) {
        memset(stats, 0, sizeof *stats);
        return RS_RECALC_IO;
    }
    recalc_run r = {.p = p, .s = s, .o = o, .stats = stats, .d = d, .own_state = true};
    return run(&r);
}

int rs_recalc_into(const rs_program *p, const rs_snapshot *s, rs_state *st, const rs_recalc_opts *o,
                   rs_delta_fn on_delta, void *ctx, rs_recalc_stats *stats, rs_diags *d) {
    recalc_run r = {.p = p, .s = s, .o = o, .stats = stats, .d = d, .st = st, .on_delta = on_delta,
                    .on_delta_ctx = ctx};
    return run(&r);
}

/* ---- dry-run ---- */

/* Whether the state already holds the snapshot's universe: then no id list needs decoding. */
static int find_same_universe(rs_dry_run *dr) {
    rs_sb blob = {0};
    rs_state_encode_universe(&dr->ids.u, &blob);
    int rc = rs_state_find_universe(dr->st, &blob, hash_blob(&blob), &dr->base->same_id);
    rs_sb_free(&blob);
    return rc;
}

int rs_dry_run_compute(rs_dry_run *dr, const rs_program *p, const rs_snapshot *s, const char *state_path,
                       int32_t today, int threads, rs_diags *d) {
    memset(dr, 0, sizeof *dr);
    rs_recalc_stats *st = &dr->stats;
    st->members = s->nmembers;
    st->groups = st->groups_evaluated = p->ngroups;
    double t0 = rs_now_ms();
    rs_snap_ids_init(&dr->ids, s);
    dr->base = rs_calloc(1, sizeof *dr->base);
    dr->base->ids = &dr->ids;
    if (rs_state_open(&dr->st, state_path, RS_STATE_READ, d) != 0) return RS_RECALC_IO;
    dr->base->st = dr->st;
    if (dr->st && (rs_state_groups(dr->st, &dr->stored) != 0 || find_same_universe(dr) != 0)) return RS_RECALC_IO;
    double t1 = rs_now_ms();
    st->prepare_ms = t1 - t0;
    dr->ngroups = p->ngroups;
    dr->groups = rs_calloc((size_t)p->ngroups + 1, sizeof *dr->groups);
    uint64_t **bits = rs_calloc((size_t)p->ngroups + 1, sizeof *bits);
    int rc = evaluate(p, s, today, threads, NULL, bits, d);
    for (uint32_t g = 0; g < p->ngroups; g++) dr->groups[g].bits = bits[g];
    double t2 = rs_now_ms();
    st->eval_ms = t2 - t1;
    if (rc != 0) {
        free(bits);
        return rc;
    }
    /* by position for the deltas; the members by index stay for the listing and --explain */
    size_t words = rs_bm_words(s->nmembers) ? rs_bm_words(s->nmembers) : 1;   /* as rs_vm_eval_all gives */
    for (uint32_t g = 0; g < p->ngroups; g++) {
        bits[g] = rs_malloc(words * sizeof **bits);
        memcpy(bits[g], dr->groups[g].bits, words * sizeof **bits);
    }
    all_to_positions(&dr->ids, bits, p->ngroups, threads);
    for (uint32_t g = 0; rc == 0 && g < p->ngroups; g++) {
        rs_dry_group *dg = &dr->groups[g];
        dg->group = g;
        dg->stored = rs_sgroups_find(&dr->stored, p->groups[g].id);
        if (baseline_delta(dr->base, dg->stored, bits[g], &dg->delta, &dg->old_u) != 0) rc = RS_RECALC_IO;
        st->adds += dg->delta.nadds;
        st->removes += dg->delta.nremoves;
    }
    for (uint32_t g = 0; g < p->ngroups; g++) free(bits[g]);
    free(bits);
    st->delta_ms = rs_now_ms() - t2;
    return rc;
}

void rs_dry_run_free(rs_dry_run *dr) {
    for (uint32_t g = 0; g < dr->ngroups; g++) {
        rs_delta_free(&dr->groups[g].delta);
        free(dr->groups[g].bits);
    }
    free(dr->groups);
    baseline_free(dr->base);
    rs_sgroups_free(&dr->stored);
    rs_state_close(dr->st);
    rs_snap_ids_free(&dr->ids);
    memset(dr, 0, sizeof *dr);
}
