/* bench.c: measures one organisation and prints one Markdown table row per figure, for bench/run.sh
 * to assemble: JSONL and CSV load, .snap pack and load, compile of a rule file, evaluation of every
 * group (from the .snap file, and from the JSONL load, whose snapshot carries no postings), one
 * changed member against every group, memory; then `roster recalc --stats` and `roster dry-run
 * --stats` end to end. Each figure is the median of several runs, as wall time and CPU time (the
 * machine is shared: CPU time says what the work costs, wall time what a user waits).
 *
 * With --check, every group's member count is compared with the reference evaluator's (refeval.h)
 * over every member; a difference fails the benchmark (exit 1). With --roster PATH, only the end-to-end
 * runs of that binary, over the .snap file an earlier run packed: in a process of its own, because
 * Linux carries a process's peak RSS over to the programs it starts, and the child's --stats would
 * report the parent's.
 *
 *   bench --org DIR [--org-csv DIR] --rules FILE --snap FILE [--runs N] [--text-runs N] [--threads N]
 *         [--check]
 *   bench --roster PATH --org DIR --rules FILE --snap FILE [--runs N] */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/strbuf.h"
#include "common/util.h"
#include "compiler/check.h"
#include "compiler/compile.h"
#include "grammar/grammar.h"
#include "runtime/bitmap.h"
#include "runtime/refeval.h"
#include "runtime/snapshot.h"
#include "runtime/vm.h"

extern char **environ;

#define MAX_RUNS 15

typedef struct opts {
    char *org, *org_csv, *rules, *snap, *roster;   /* from the command line */
    int runs, text_runs, threads;
    bool check;
    int32_t today;
} opts;

/* ---- measuring ---- */

static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wall and CPU time of the runs of one figure. */
typedef struct sample {
    double wall[MAX_RUNS], cpu[MAX_RUNS];
    int n;
} sample;

typedef struct stopwatch {
    double wall, cpu;
} stopwatch;

static stopwatch start(void) { return (stopwatch){rs_now_ms(), cpu_ms()}; }

static void stop(sample *s, stopwatch t) {
    if (s->n >= MAX_RUNS) return;
    s->wall[s->n] = rs_now_ms() - t.wall;
    s->cpu[s->n] = cpu_ms() - t.cpu;
    s->n++;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
    double c[MAX_RUNS];
    memcpy(c, v, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

static void row(const char *what, const sample *s, double scale, const char *unit) {
    printf("| %s | %.3f %s | %.3f %s | %d |\n", what, median(s->wall, s->n) * scale, unit,
           median(s->cpu, s->n) * scale, unit, s->n);
    fflush(stdout);
}

static void row_text(const char *what, const char *wall, const char *cpu) {
    printf("| %s | %s | %s | |\n", what, wall, cpu);
    fflush(stdout);
}

/* ---- loading ---- */

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

static rs_snapshot *load(const char *path, sample *s) {
    rs_diags *d = new_diags();
    rs_load_opts lo = {0};
    stopwatch t = start();
    rs_snapshot *snap = rs_snapshot_load(path, &lo, d);
    stop(s, t);
    if (!snap) die_diags(d, path);
    free(d);
    return snap;
}

/* Loads path `runs` times; the last snapshot is returned when keep, freed otherwise. */
static rs_snapshot *time_load(const char *label, const char *path, int runs, bool keep) {
    sample s = {0};
    rs_snapshot *snap = NULL;
    for (int i = 0; i < runs; i++) {
        rs_snapshot_free(snap);
        snap = load(path, &s);
    }
    row(label, &s, 1, "ms");
    if (!keep) {
        rs_snapshot_free(snap);
        snap = NULL;
    }
    return snap;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* ---- compiling ---- */

typedef struct compiled {
    rs_source *src;
    ast_file *ast;
    rs_checked *checked;
    rs_program *program;
} compiled;

static void compile_once(const char *path, const rs_snapshot *s, compiled *c) {
    rs_diags *d = new_diags();
    c->src = rs_source_load(path, d);
    if (!c->src) die_diags(d, path);
    c->ast = rs_parse_text(c->src, d);
    rs_idset ids;
    rs_snapshot_idset(s, &ids);
    const ast_file *files[1] = {c->ast};
    c->checked = rs_check(files, 1, s->schema, &ids, d);
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

static void time_compile(const opts *o, const rs_snapshot *s, compiled *keep) {
    sample smp = {0};
    for (int i = 0; i < o->runs; i++) {
        compiled c;
        stopwatch t = start();
        compile_once(o->rules, s, &c);
        stop(&smp, t);
        if (i + 1 < o->runs) compiled_free(&c);
        else *keep = c;
    }
    char what[96];
    snprintf(what, sizeof what, "compile %u groups (read + parse + check + lower)", keep->program->ngroups);
    row(what, &smp, 1, "ms");
}

/* ---- evaluating ---- */

static void free_bitmaps(uint64_t **bms, uint32_t n) {
    for (uint32_t g = 0; g < n; g++) {
        free(bms[g]);
        bms[g] = NULL;
    }
}

/* Every group over every member, `runs` times: bind + prepare, run, and the two together. The
 * bitmaps of the last run are returned. */
static uint64_t **time_eval(const opts *o, const rs_program *p, const rs_snapshot *s, const char *from, int runs) {
    sample total = {0}, prep = {0}, run = {0};
    uint64_t **bms = rs_calloc(p->ngroups + 1, sizeof *bms);
    for (int i = 0; i < runs; i++) {
        free_bitmaps(bms, p->ngroups);
        rs_diags *d = new_diags();
        stopwatch t0 = start();
        rs_vm *vm = rs_vm_new(p, s, o->today, d);
        if (!vm) die_diags(d, "binding the program");
        stop(&prep, t0);
        stopwatch t1 = start();
        if (rs_vm_eval_all(vm, bms, o->threads) != 0) die_diags(d, "evaluating");
        stop(&run, t1);
        stop(&total, t0);
        rs_vm_free(vm);
        free(d);
    }
    char what[160];
    snprintf(what, sizeof what, "evaluate %u groups over all members, snapshot from %s (bind + prepare + run)",
             p->ngroups, from);
    row(what, &total, 1, "ms");
    snprintf(what, sizeof what, "&nbsp;&nbsp;of which bind + prepare (from %s)", from);
    row(what, &prep, 1, "ms");
    snprintf(what, sizeof what, "&nbsp;&nbsp;of which run (from %s)", from);
    row(what, &run, 1, "ms");
    return bms;
}

/* One changed member re-evaluated against every group: the incremental path, checked against the
 * full evaluation. */
static void time_member(const opts *o, const rs_program *p, const rs_snapshot *s, uint64_t **bms) {
    rs_diags *d = new_diags();
    rs_vm *vm = rs_vm_new(p, s, o->today, d);
    if (!vm) die_diags(d, "binding the program");
    uint32_t probes = s->nmembers < 2000 ? s->nmembers : 2000, stride = s->nmembers / (probes ? probes : 1);
    sample smp = {0};
    for (int i = 0; i < o->runs && probes; i++) {
        stopwatch t = start();
        for (uint32_t k = 0; k < probes; k++) {
            uint32_t m = k * stride + (uint32_t)i;
            if (m >= s->nmembers) m = k;
            for (uint32_t g = 0; g < p->ngroups; g++)
                if (rs_vm_eval_member(vm, g, m) != rs_bm_get(bms[g], m)) {
                    fprintf(stderr, "bench: member %u disagrees with the bitmap in group %u\n", m, g);
                    exit(1);
                }
        }
        stop(&smp, t);
    }
    char what[96];
    snprintf(what, sizeof what, "one changed member against %u groups (%u members, each run)", p->ngroups, probes);
    row(what, &smp, 1000.0 / (probes ? probes : 1), "µs");
    rs_vm_free(vm);
    free(d);
}

/* ---- the self-check ---- */

static const rs_cgroup *checked_group(const rs_checked *c, const char *id) {
    for (size_t i = 0; i < c->ngroups; i++) {
        const ast_str *gid = &c->groups[i].ast->id;
        if (gid->len == strlen(id) && memcmp(gid->s, id, gid->len) == 0) return &c->groups[i];
    }
    return NULL;
}

/* Each group's member count from the VM against the reference evaluator's over every member.
 * Returns the number of groups that differ. */
static uint32_t self_check(const opts *o, const compiled *c, const rs_snapshot *s, uint64_t **bms) {
    uint32_t bad = 0;
    for (uint32_t g = 0; g < c->program->ngroups; g++) {
        const rs_cgroup *cg = checked_group(c->checked, c->program->groups[g].id);
        size_t ref = 0, vm = rs_bm_count(bms[g], s->nmembers);
        for (uint32_t m = 0; cg && m < s->nmembers; m++) ref += rs_ref_eval(cg, s, m, o->today, NULL);
        if (cg && ref == vm) continue;
        fprintf(stderr, "bench: group %s: the VM finds %zu members, the reference evaluator %zu\n",
                c->program->groups[g].id, vm, ref);
        bad++;
    }
    printf("| self-check: member count of each of the %u groups equals the reference evaluator's | %s | | |\n",
           c->program->ngroups, bad ? "**FAILED**" : "passed");
    fflush(stdout);
    return bad;
}

/* ---- roster recalc and dry-run, end to end ---- */

/* Runs argv, its stderr into err; wall and CPU time (user + system) of the child into s. */
static int spawn_timed(char *const argv[], rs_sb *err, sample *s) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    double t0 = rs_now_ms();
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    char buf[4096];
    ssize_t k;
    rs_sb_clear(err);
    while ((k = read(fds[0], buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
        if (k > 0) rs_sb_put(err, buf, (size_t)k);
    close(fds[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) return -1;
    if (s->n < MAX_RUNS) {
        s->wall[s->n] = rs_now_ms() - t0;
        s->cpu[s->n] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
        s->n++;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *const stats_keys[] = {"load_ms", "compile_ms", "eval_ms", "delta_ms", "store_ms",
                                         "members", "groups", "peak_rss_kb"};
#define NKEYS (sizeof stats_keys / sizeof stats_keys[0])

/* The --stats object: the last line of stderr that starts with '{'. Every key must be there. */
static bool parse_stats(const rs_sb *err, double v[NKEYS]) {
    const char *line = NULL;
    for (const char *p = err->buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (*p == '{') line = p;
    if (!line) return false;
    for (size_t k = 0; k < NKEYS; k++) {
        char key[40];
        snprintf(key, sizeof key, "\"%s\": ", stats_keys[k]);
        const char *at = strstr(line, key);
        if (!at) return false;
        v[k] = strtod(at + strlen(key), NULL);
    }
    return true;
}

typedef struct scenario {
    const char *what;
    const char *out;       /* --out for recalc; NULL: a dry-run */
    bool fresh;            /* the state database is deleted before each run */
} scenario;

/* The command line of a scenario (strings owned by argv; free_argv frees them). */
static void scenario_argv(const opts *o, const scenario *sc, const char *state, char *argv[20]) {
    int a = 0;
    argv[a++] = rs_strdup(o->roster);
    argv[a++] = rs_strdup(sc->out ? "recalc" : "dry-run");
    if (sc->out) argv[a++] = rs_strdup("--rules");
    argv[a++] = rs_strdup(o->rules);
    argv[a++] = rs_strdup("--snapshot");
    argv[a++] = rs_strdup(o->snap);
    argv[a++] = rs_strdup("--state");
    argv[a++] = rs_strdup(state);
    argv[a++] = rs_strdup("--as-of");
    argv[a++] = rs_strdup("2026-11-21");
    if (sc->out) {
        argv[a++] = rs_strdup("--out");
        argv[a++] = rs_strdup(sc->out);
    }
    argv[a++] = rs_strdup("--stats");
    argv[a] = NULL;
}

static void free_argv(char **argv) {
    for (int a = 0; argv[a]; a++) free(argv[a]);
}

static void run_scenario(const opts *o, const scenario *sc, const char *state, int runs) {
    char *argv[20];
    scenario_argv(o, sc, state, argv);
    sample s = {0}, parts[NKEYS];
    memset(parts, 0, sizeof parts);
    rs_sb err = {0};
    for (int i = 0; i < runs; i++) {
        if (sc->fresh) unlink(state);
        if (sc->fresh && sc->out && strcmp(sc->out, "/dev/null") != 0) unlink(sc->out);   /* a first run has none */
        double v[NKEYS];
        if (spawn_timed(argv, &err, &s) != 0 || !parse_stats(&err, v)) {
            fprintf(stderr, "bench: %s %s failed or printed no complete --stats object:\n%s", o->roster, argv[1],
                    err.buf ? err.buf : "");
            exit(1);
        }
        for (size_t k = 0; k < NKEYS; k++) parts[k].wall[parts[k].n++] = v[k];
    }
    char detail[256];
    snprintf(detail, sizeof detail, "load %.0f, compile %.1f, eval %.0f, delta %.0f, store %.0f ms; peak RSS %.0f MB",
             median(parts[0].wall, runs), median(parts[1].wall, runs), median(parts[2].wall, runs),
             median(parts[3].wall, runs), median(parts[4].wall, runs), median(parts[7].wall, runs) / 1024);
    printf("| %s | %.0f ms | %.0f ms | %d |\n| &nbsp;&nbsp;its --stats (medians) | %s | | |\n", sc->what,
           median(s.wall, s.n), median(s.cpu, s.n), s.n, detail);
    fflush(stdout);
    rs_sb_free(&err);
    free_argv(argv);
}

/* recalc: a first run (every member added) to /dev/null and, up to a million members, to a file
 * (written, fsync'd and renamed: what the disk costs); the same again with nothing changed; a
 * dry-run. The state database lives beside the .snap file. */
static void end_to_end(const opts *o) {
    long bytes = file_size(o->snap);
    if (bytes < 0) {
        fprintf(stderr, "bench: %s: no .snap file (run bench without --roster first)\n", o->snap);
        exit(2);
    }
    bool small = bytes < 400L * 1000 * 1000;   /* up to about a million members */
    size_t len = strlen(o->snap) + 16;
    char *state = rs_malloc(len), *delta = rs_malloc(len);
    snprintf(state, len, "%s.db", o->snap);
    snprintf(delta, len, "%s.delta", o->snap);
    int runs = o->runs < 3 ? o->runs : 3;
    scenario first = {"roster recalc, first run (every member added), --out /dev/null", "/dev/null", true};
    scenario file = {"roster recalc, first run, delta written to a file (fsync'd)", delta, true};
    scenario again = {"roster recalc again, nothing changed", "/dev/null", false};
    scenario dry = {"roster dry-run of every group against the stored state", NULL, false};
    run_scenario(o, &first, state, runs);
    if (small) run_scenario(o, &file, state, runs);
    unlink(delta);
    run_scenario(o, &again, state, runs);
    run_scenario(o, &dry, state, runs);
    unlink(state);
    free(state);
    free(delta);
}

/* ---- main ---- */

static void parse_args(int argc, char **argv, opts *o) {
    static const struct option longopts[] = {
        {"org", required_argument, NULL, 'o'},   {"org-csv", required_argument, NULL, 'c'},
        {"rules", required_argument, NULL, 'r'}, {"snap", required_argument, NULL, 's'},
        {"runs", required_argument, NULL, 'n'},  {"threads", required_argument, NULL, 't'},
        {"roster", required_argument, NULL, 'R'}, {"check", no_argument, NULL, 'k'},
        {"text-runs", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->runs = 5;
    o->text_runs = 3;   /* text loads of large organisations take seconds */
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
        case 'R': o->roster = optarg; break;
        case 'k': o->check = true; break;
        case 'T': o->text_runs = atoi(optarg); break;
        default: exit(2);
        }
    }
    if (o->text_runs > o->runs) o->text_runs = o->runs;
    if (!o->org || !o->rules || !o->snap || o->runs < 1 || o->runs > MAX_RUNS || o->text_runs < 1) {
        fprintf(stderr, "usage: bench --org DIR [--org-csv DIR] --rules FILE --snap FILE [--runs 1-15] "
                        "[--text-runs N] [--threads N] [--check]\n       bench --roster PATH --org DIR --rules FILE "
                        "--snap FILE [--runs 1-15]\n");
        exit(2);
    }
}

/* Loads, packs and maps the organisation; returns the snapshot mapped from the .snap file. */
static rs_snapshot *load_all(const opts *o, int slow_runs, rs_snapshot **text) {
    long rss0 = rs_peak_rss_kb();
    *text = time_load("load members from JSONL", o->org, slow_runs, true);
    long rss1 = rs_peak_rss_kb();
    if (o->org_csv) time_load("load members from CSV", o->org_csv, slow_runs, false);
    rs_diags *d = new_diags();
    sample pack = {0};
    stopwatch t = start();
    if (rs_snapshot_pack(*text, o->snap, d) != 0) die_diags(d, "packing");
    stop(&pack, t);
    free(d);
    row("pack .snap (with members-by-value postings)", &pack, 1, "ms");
    rs_snapshot *snap = time_load("load .snap (mmap + verify)", o->snap, o->runs, true);
    uint32_t n = (*text)->nmembers ? (*text)->nmembers : 1;
    char v[64];
    snprintf(v, sizeof v, "%.1f bytes", (double)(rss1 - rss0) * 1024.0 / n);
    row_text("snapshot memory per member (JSONL load, peak RSS growth)", v, "");
    snprintf(v, sizeof v, "%.1f bytes", (double)file_size(o->snap) / n);
    row_text(".snap file (= mapped snapshot) per member", v, "");
    return snap;
}

int main(int argc, char **argv) {
    opts o;
    parse_args(argc, argv, &o);
    if (o.roster) {
        end_to_end(&o);
        return 0;
    }
    int slow_runs = o.text_runs;
    rs_snapshot *text, *snap = load_all(&o, slow_runs, &text);
    compiled c;
    time_compile(&o, snap, &c);
    uint64_t **bms = time_eval(&o, c.program, snap, ".snap", o.runs);
    uint64_t **bms_text = time_eval(&o, c.program, text, "JSONL, no postings", slow_runs);
    size_t words = rs_bm_words(snap->nmembers), members_in_groups = 0;
    for (uint32_t g = 0; g < c.program->ngroups; g++) {
        if (memcmp(bms[g], bms_text[g], words * sizeof(uint64_t)) != 0) {
            fprintf(stderr, "bench: group %u differs between the .snap and the JSONL snapshot\n", g);
            return 1;
        }
        members_in_groups += rs_bm_count(bms[g], snap->nmembers);
    }
    time_member(&o, c.program, snap, bms);
    uint32_t bad = o.check ? self_check(&o, &c, snap, bms) : 0;
    printf("| members | %u | | |\n| groups | %u | | |\n| memberships (sum over groups) | %zu | | |\n",
           snap->nmembers, c.program->ngroups, members_in_groups);
    printf("| peak RSS of the benchmark process | %ld MB | | |\n", rs_peak_rss_kb() / 1024);
    fflush(stdout);
    free_bitmaps(bms, c.program->ngroups);
    free_bitmaps(bms_text, c.program->ngroups);
    free(bms);
    free(bms_text);
    compiled_free(&c);
    rs_snapshot_free(snap);
    rs_snapshot_free(text);
    return bad ? 1 : 0;
}
