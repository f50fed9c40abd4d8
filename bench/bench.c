/* bench.c: measures one organisation: JSONL and CSV load, .snap pack and load, compile of a rule
 * file, full evaluation of every group, one changed member against every group, memory. Prints one
 * Markdown table row per figure (medians of --runs runs) for bench/run.sh to assemble.
 *
 *   bench --org DIR [--org-csv DIR] --rules FILE --snap FILE [--runs N] [--threads N] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/check.h"
#include "compiler/compile.h"
#include "grammar/grammar.h"
#include "runtime/bitmap.h"
#include "runtime/snapshot.h"
#include "runtime/vm.h"

#define MAX_RUNS 15

typedef struct opts {
    const char *org, *org_csv, *rules, *snap;
    int runs, threads;
    int32_t today;
} opts;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void row(const char *what, double value, const char *unit) {
    printf("| %s | %.3f %s |\n", what, value, unit);
    fflush(stdout);
}

static rs_diags *new_diags(void) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    d->max_errors = 20;
    return d;
}

static void die_diags(rs_diags *d, const char *what) {
    rs_sb out = {0};
    rs_diags_render_text(d, &out, false);
    fprintf(stderr, "bench: %s failed\n%s", what, out.buf ? out.buf : "");
    exit(1);
}

static rs_snapshot *load(const char *path, double *ms) {
    rs_diags *d = new_diags();
    rs_load_opts lo = {0};
    double t0 = rs_now_ms();
    rs_snapshot *s = rs_snapshot_load(path, &lo, d);
    *ms = rs_now_ms() - t0;
    if (!s) die_diags(d, path);
    free(d);
    return s;
}

/* Median time to load path, over runs; the last snapshot is returned for later phases when keep. */
static rs_snapshot *time_load(const char *label, const char *path, int runs, bool keep) {
    double t[MAX_RUNS];
    rs_snapshot *s = NULL;
    for (int i = 0; i < runs; i++) {
        rs_snapshot_free(s);
        s = load(path, &t[i]);
    }
    row(label, median(t, runs), "ms");
    if (!keep) {
        rs_snapshot_free(s);
        s = NULL;
    }
    return s;
}

typedef struct compiled {
    rs_source *src;
    ast_file *ast;
    rs_checked *checked;
    rs_program *program;
} compiled;

static void compile_once(const char *path, const rs_schema *schema, compiled *c) {
    rs_diags *d = new_diags();
    c->src = rs_source_load(path, d);
    if (!c->src) die_diags(d, path);
    c->ast = rs_parse_text(c->src, d);
    const ast_file *files[1] = {c->ast};
    c->checked = rs_check(files, 1, schema, NULL, d);
    if (rs_diags_has_errors(d)) die_diags(d, "checking the rules");
    c->program = rs_compile(c->checked);
    free(d);
}

static void compiled_free(compiled *c) {
    rs_program_free(c->program);
    rs_checked_free(c->checked);
    ast_file_free(c->ast);
    rs_source_free(c->src);
}

static void time_compile(const opts *o, const rs_schema *schema, compiled *keep) {
    double t[MAX_RUNS];
    for (int i = 0; i < o->runs; i++) {
        compiled c;
        double t0 = rs_now_ms();
        compile_once(o->rules, schema, &c);
        t[i] = rs_now_ms() - t0;
        if (i + 1 < o->runs) compiled_free(&c);
        else *keep = c;
    }
    row("compile groups (parse + check + lower)", median(t, o->runs), "ms");
}

static uint64_t **time_eval(const opts *o, const rs_program *p, const rs_snapshot *s) {
    double t[MAX_RUNS];
    uint64_t **bms = rs_calloc(p->ngroups, sizeof *bms);
    for (int i = 0; i < o->runs; i++) {
        for (uint32_t g = 0; g < p->ngroups; g++) free(bms[g]);
        rs_diags *d = new_diags();
        double t0 = rs_now_ms();
        rs_vm *vm = rs_vm_new(p, s, o->today, d);
        if (!vm) die_diags(d, "binding the program");
        if (rs_vm_eval_all(vm, bms, o->threads) != 0) die_diags(d, "evaluating");
        t[i] = rs_now_ms() - t0;
        rs_vm_free(vm);
        free(d);
    }
    row("evaluate every group, all members (bind + prepare + run)", median(t, o->runs), "ms");
    return bms;
}

/* One changed member re-evaluated against every group: the incremental path. */
static void time_member(const opts *o, const rs_program *p, const rs_snapshot *s, uint64_t **bms) {
    rs_diags *d = new_diags();
    rs_vm *vm = rs_vm_new(p, s, o->today, d);
    if (!vm) die_diags(d, "binding the program");
    uint32_t probes = s->nmembers < 2000 ? s->nmembers : 2000, stride = s->nmembers / probes;
    double t0 = rs_now_ms();
    for (uint32_t k = 0; k < probes; k++) {
        uint32_t m = k * stride;
        for (uint32_t g = 0; g < p->ngroups; g++)
            if (rs_vm_eval_member(vm, g, m) != rs_bm_get(bms[g], m)) {
                fprintf(stderr, "bench: member %u disagrees with the bitmap in group %u\n", m, g);
                exit(1);
            }
    }
    double us = (rs_now_ms() - t0) * 1000.0 / probes;
    row("one changed member against every group", us, "us");
    rs_vm_free(vm);
    free(d);
}

static void parse_args(int argc, char **argv, opts *o) {
    static const struct option longopts[] = {
        {"org", required_argument, NULL, 'o'},   {"org-csv", required_argument, NULL, 'c'},
        {"rules", required_argument, NULL, 'r'}, {"snap", required_argument, NULL, 's'},
        {"runs", required_argument, NULL, 'n'},  {"threads", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->runs = 5;
    o->today = 20778;   /* 2026-11-21: fixed so that every run sees the same groups */
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o->org = optarg; break;
        case 'c': o->org_csv = optarg; break;
        case 'r': o->rules = optarg; break;
        case 's': o->snap = optarg; break;
        case 'n': o->runs = atoi(optarg); break;
        case 't': o->threads = atoi(optarg); break;
        default: exit(2);
        }
    }
    if (!o->org || !o->rules || !o->snap || o->runs < 1 || o->runs > MAX_RUNS) {
        fprintf(stderr, "usage: bench --org DIR [--org-csv DIR] --rules FILE --snap FILE [--runs 1-15] [--threads N]\n");
        exit(2);
    }
}

int main(int argc, char **argv) {
    opts o;
    parse_args(argc, argv, &o);
    int slow_runs = o.runs < 3 ? o.runs : 3;   /* text loads of large organisations take seconds */
    long rss0 = rs_peak_rss_kb();
    rs_snapshot *s = time_load("load members from JSONL", o.org, slow_runs, true);
    long rss_loaded = rs_peak_rss_kb();
    if (o.org_csv) time_load("load members from CSV", o.org_csv, slow_runs, false);
    rs_diags *d = new_diags();
    double t0 = rs_now_ms();
    if (rs_snapshot_pack(s, o.snap, d) != 0) die_diags(d, "packing");
    row("pack .snap", rs_now_ms() - t0, "ms");
    free(d);
    rs_snapshot_free(time_load("load .snap (mmap + verify)", o.snap, o.runs, false));
    compiled c;
    time_compile(&o, s->schema, &c);
    uint64_t **bms = time_eval(&o, c.program, s);
    time_member(&o, c.program, s, bms);
    size_t members_in_groups = 0;
    for (uint32_t g = 0; g < c.program->ngroups; g++) members_in_groups += rs_bm_count(bms[g], s->nmembers);
    printf("| members | %u |\n| groups | %u |\n| memberships (sum over groups) | %zu |\n", s->nmembers,
           c.program->ngroups, members_in_groups);
    printf("| peak RSS | %ld KiB |\n", rs_peak_rss_kb());
    printf("| snapshot memory per member (JSONL load, peak RSS growth) | %.1f bytes |\n",
           (double)(rss_loaded - rss0) * 1024.0 / s->nmembers);
    for (uint32_t g = 0; g < c.program->ngroups; g++) free(bms[g]);
    free(bms);
    compiled_free(&c);
    rs_snapshot_free(s);
    return 0;
}
