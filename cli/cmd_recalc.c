/* cmd_recalc.c: roster recalc, dry-run and members: the commands that read or write the state
 * database (docs/state.md). */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/date.h"
#include "common/parallel.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/recalc.h"
#include "runtime/snapshot.h"

static rs_diags *new_diags(size_t max_errors) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    d->max_errors = max_errors;
    return d;
}

static bool parse_threads(const char *s, int *threads) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > RS_MAX_THREADS) return false;
    *threads = (int)v;
    return true;
}

static bool parse_as_of(const char *s, int32_t *today) {
    if (!s) {
        *today = rs_date_today();
        return true;
    }
    return cli_parse_date(s, today);
}

/* The snapshot and the rules compiled against its schema and ids. */
typedef struct loaded {
    rs_snapshot *s;
    rs_rules r;
    double load_ms, compile_ms;
} loaded;

static int load_inputs(loaded *in, const char *snapshot, char *const *rules, size_t nrules, rs_diags *d) {
    memset(in, 0, sizeof *in);
    double t0 = rs_now_ms();
    rs_load_opts lo = {.progress = cli_stderr_tty()};
    in->s = rs_snapshot_load(snapshot, &lo, d);
    in->load_ms = rs_now_ms() - t0;
    if (!in->s) return CLI_INVALID;
    rs_idset ids;
    rs_snapshot_idset(in->s, &ids);
    t0 = rs_now_ms();
    int rc = cli_status(rs_rules_load(&in->r, (const char *const *)rules, nrules, in->s->schema, &ids, d));
    in->compile_ms = rs_now_ms() - t0;
    return rc;
}

/* On a terminal, say what the long part of a run is doing (loading reports its own progress). */
static void progress(const loaded *in, const char *what) {
    if (!cli_stderr_tty()) return;
    fprintf(stderr, "%s %u groups over %u members\n", what, in->r.program->ngroups, in->s->nmembers);
}

static void free_inputs(loaded *in) {
    rs_rules_free(&in->r);
    rs_snapshot_free(in->s);
}

/* ---- recalc ---- */

typedef struct recalc_args {
    char **rules;
    size_t nrules;
    const char *snapshot, *state, *out, *as_of;
    bool stats, prune;
    int threads;
    size_t max_errors;
} recalc_args;

/* Two paths name one file: the same inode when both exist (hard links, other spellings). */
static bool same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

/* The delta is renamed over --out at the end of a run: an --out that is the state database (or its
 * journal), the snapshot or a rule file would destroy an input. Refused before anything is opened. */
static bool out_is_an_input(const recalc_args *a) {
    if (!a->out) return false;
    static const char *const state_suffixes[] = {"", "-journal", "-wal", "-shm"};
    for (size_t i = 0; i < RS_ARRAY_LEN(state_suffixes); i++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s%s", a->state, state_suffixes[i]) >= (int)sizeof path) continue;
        if (same_file(a->out, path)) {
            cli_usage_error("--out %s is the state database %s%s: the delta would replace it; write the delta "
                            "to another file", a->out, a->state, state_suffixes[i]);
            return true;
        }
    }
    for (size_t i = 0; i <= a->nrules; i++) {
        const char *in = i < a->nrules ? a->rules[i] : a->snapshot;
        if (same_file(a->out, in)) {
            cli_usage_error("--out %s is an input of the run (%s): the delta would replace it; write the delta "
                            "to another file", a->out, in);
            return true;
        }
    }
    return false;
}

static int parse_recalc(int argc, char **argv, recalc_args *a) {
    static const struct option longopts[] = {
        {"rules", required_argument, NULL, 'r'},   {"snapshot", required_argument, NULL, 's'},
        {"state", required_argument, NULL, 'S'},   {"out", required_argument, NULL, 'o'},
        {"as-of", required_argument, NULL, 'a'},   {"stats", no_argument, NULL, 't'},
        {"prune", no_argument, NULL, 'p'},         {"threads", required_argument, NULL, 'j'},
        {"max-errors", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->state = RS_STATE_DEFAULT_PATH;
    a->rules = rs_calloc((size_t)argc + 1, sizeof *a->rules);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'r': a->rules[a->nrules++] = optarg; break;
        case 's': a->snapshot = optarg; break;
        case 'S': a->state = optarg; break;
        case 'o': a->out = optarg; break;
        case 'a': a->as_of = optarg; break;
        case 't': a->stats = true; break;
        case 'p': a->prune = true; break;
        case 'j':
            if (!parse_threads(optarg, &a->threads)) return cli_usage_error("--threads takes 0-%d", RS_MAX_THREADS);
            break;
        case 'm':
            if (!cli_parse_max_errors(optarg, &a->max_errors))
                return cli_usage_error("--max-errors takes a number from 0 to 100000");
            break;
        default: return cli_usage("recalc");
        }
    }
    /* `--rules DIR more.rule`: paths after the options are rules too. */
    while (optind < argc) a->rules[a->nrules++] = argv[optind++];
    if (a->nrules == 0 || !a->snapshot) return cli_usage("recalc");
    return out_is_an_input(a) ? CLI_USAGE : CLI_OK;
}

static void print_stats(const loaded *in, const rs_recalc_stats *st) {
    fprintf(stderr,
            "{\"load_ms\": %.1f, \"compile_ms\": %.1f, \"prepare_ms\": %.1f, \"eval_ms\": %.1f, "
            "\"delta_ms\": %.1f, \"store_ms\": %.1f, \"members\": %u, \"groups\": %u, "
            "\"groups_evaluated\": %u, \"groups_skipped\": %u, \"groups_stale\": %u, \"groups_pruned\": %u, "
            "\"adds\": %llu, \"removes\": %llu, \"peak_rss_kb\": %ld}\n",
            in->load_ms, in->compile_ms, st->prepare_ms, st->eval_ms, st->delta_ms, st->store_ms, st->members,
            st->groups, st->groups_evaluated, st->groups_skipped, st->groups_stale, st->groups_pruned,
            (unsigned long long)st->adds, (unsigned long long)st->removes, rs_peak_rss_kb());
}

/* The end-to-end tests' way in to the library's before_commit seam:
 * ROSTER_TEST_PAUSE_BEFORE_COMMIT=N sleeps N seconds with the transaction open
 * (tests/e2e/test_recalc_kill.sh kills the run there). */
static void pause_before_commit(void *ctx) {
    unsigned secs = *(const unsigned *)ctx;
    fprintf(stderr, "roster: test pause before commit (%u s)\n", secs);
    fflush(stderr);
    sleep(secs);
}

int cmd_recalc(int argc, char **argv) {
    recalc_args a;
    int rc = parse_recalc(argc, argv, &a);
    rs_recalc_opts o = {.state_path = a.state, .out_path = a.out, .out_file = a.out ? NULL : stdout,
                        .threads = a.threads, .prune = a.prune};
    if (rc == CLI_OK && !parse_as_of(a.as_of, &o.today)) rc = cli_usage_error("--as-of takes YYYY-MM-DD");
    const char *pause = getenv("ROSTER_TEST_PAUSE_BEFORE_COMMIT");
    unsigned pause_secs = pause && *pause ? (unsigned)strtoul(pause, NULL, 10) : 0;
    if (pause && *pause) {
        o.before_commit = pause_before_commit;
        o.before_commit_ctx = &pause_secs;
    }
    if (rc != CLI_OK) {
        free(a.rules);
        return rc;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);   /* the delta can be millions of lines */
    rs_diags *d = new_diags(a.max_errors);
    loaded in;
    memset(&in, 0, sizeof in);
    rc = rs_recalc_check_out(&o, d) != 0 ? CLI_USAGE : load_inputs(&in, a.snapshot, a.rules, a.nrules, d);
    rs_recalc_stats st;
    if (rc == CLI_OK) {
        progress(&in, "recalculating");
        rc = cli_status(rs_recalc(in.r.program, in.s, &o, &st, d));
    }
    cli_flush_stdout();
    cli_print_diags(d, false);
    if (rc == CLI_OK && a.stats) print_stats(&in, &st);
    free_inputs(&in);
    free(d);
    free(a.rules);
    return rc;
}

/* ---- dry-run ---- */

typedef struct dry_args {
    char **rules;
    size_t nrules;
    const char *snapshot, *state, *as_of, *explain;
    bool json, stats;
    int threads;
    size_t max_errors;
} dry_args;

static int parse_dry(int argc, char **argv, dry_args *a) {
    static const struct option longopts[] = {
        {"snapshot", required_argument, NULL, 's'}, {"state", required_argument, NULL, 'S'},
        {"as-of", required_argument, NULL, 'a'},    {"explain", required_argument, NULL, 'e'},
        {"format", required_argument, NULL, 'f'},   {"threads", required_argument, NULL, 'j'},
        {"max-errors", required_argument, NULL, 'm'}, {"stats", no_argument, NULL, 't'},
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->state = RS_STATE_DEFAULT_PATH;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': a->snapshot = optarg; break;
        case 'S': a->state = optarg; break;
        case 'a': a->as_of = optarg; break;
        case 'e': a->explain = optarg; break;
        case 't': a->stats = true; break;
        case 'f':
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
                return cli_usage_error("--format takes text or json, not '%s'", optarg);
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'j':
            if (!parse_threads(optarg, &a->threads)) return cli_usage_error("--threads takes 0-%d", RS_MAX_THREADS);
            break;
        case 'm':
            if (!cli_parse_max_errors(optarg, &a->max_errors))
                return cli_usage_error("--max-errors takes a number from 0 to 100000");
            break;
        default: return cli_usage("dry-run");
        }
    }
    a->rules = argv + optind;
    a->nrules = (size_t)(argc - optind);
    if (a->nrules == 0 || !a->snapshot) return cli_usage("dry-run");
    return CLI_OK;
}

/* The member --explain names, or an error (exit 1) when the snapshot lacks it. */
static int explain_member(const dry_args *a, const rs_snapshot *s, uint32_t *m) {
    *m = RS_NONE;
    if (!a->explain) return CLI_OK;
    *m = rs_snapshot_member(s, a->explain, strlen(a->explain));
    if (*m != RS_NONE) return CLI_OK;
    fprintf(stderr, "roster: error: --explain: member '%s' is not in the snapshot\n", a->explain);
    return CLI_INVALID;
}

static int dry_render(const dry_args *a, loaded *in, const rs_dry_run *dr, int32_t today) {
    rs_dry_report rep = {.state = a->state, .today = today, .json = a->json, .checked = in->r.checked};
    int rc = explain_member(a, in->s, &rep.explain);
    if (rc != CLI_OK) return rc;
    rs_sb out = {0};
    size_t disagreed = rs_dry_run_report(dr, in->r.program, in->s, &rep, &out);
    if (disagreed)
        fprintf(stderr, "roster: internal error: the evaluator and the reference evaluator disagree about "
                        "this member in %zu group(s); please report it\n", disagreed);
    cli_write_stdout(out.buf, out.len);
    rs_sb_free(&out);
    return CLI_OK;
}

int cmd_dry_run(int argc, char **argv) {
    dry_args a;
    int rc = parse_dry(argc, argv, &a);
    int32_t today = 0;
    if (rc == CLI_OK && !parse_as_of(a.as_of, &today)) rc = cli_usage_error("--as-of takes YYYY-MM-DD");
    if (rc != CLI_OK) return rc;
    rs_diags *d = new_diags(a.max_errors);
    loaded in;
    rc = load_inputs(&in, a.snapshot, a.rules, a.nrules, d);
    rs_dry_run dr;
    memset(&dr, 0, sizeof dr);
    if (rc == CLI_OK) {
        progress(&in, "evaluating");
        rc = cli_status(rs_dry_run_compute(&dr, in.r.program, in.s, a.state, today, a.threads, d));
    }
    /* On success stdout carries one document, so diagnostics (warnings) go to stderr as text. */
    cli_print_diags(d, a.json && rc != CLI_OK);
    if (rc == CLI_OK) rc = dry_render(&a, &in, &dr, today);
    cli_flush_stdout();
    if (rc == CLI_OK && a.stats) print_stats(&in, &dr.stats);   /* nothing is stored: store_ms is 0 */
    rs_dry_run_free(&dr);
    free_inputs(&in);
    free(d);
    return rc;
}

/* ---- members ---- */

/* Exit 1 for a group the database does not hold, naming the ones it does when they are few. */
static int unknown_group(const char *id, const rs_sgroups *g) {
    fprintf(stderr, "roster: error: no group '%s' in the state database", id);
    if (g->n == 0) fputs(" (it holds no group yet)\n", stderr);
    else if (g->n <= 20) {
        fputs("; known groups:", stderr);
        for (size_t i = 0; i < g->n; i++) fprintf(stderr, "%s %s", i ? "," : "", g->items[i].id);
        fputc('\n', stderr);
    } else fprintf(stderr, " (it holds %zu groups)\n", g->n);
    return CLI_INVALID;
}

static void print_members(const rs_sgroup *g, const rs_suniverse *su, const uint64_t *bits, bool json) {
    rs_sb out = {0};
    if (json) {
        rs_sb_puts(&out, "{\"group\": ");
        rs_sb_json_str(&out, g->id, strlen(g->id));
        rs_sb_puts(&out, ", \"name\": ");
        rs_sb_json_str(&out, g->name, strlen(g->name));
        rs_sb_printf(&out, ", \"count\": %u, \"members\": [", g->count);
    }
    bool first = true;
    for (uint32_t j = 0; j < su->u.n; j++) {
        if (!rs_bm_get(bits, j)) continue;
        size_t len;
        const char *id = rs_universe_id(&su->u, j, &len);
        if (json) {
            if (!first) rs_sb_puts(&out, ", ");
            rs_sb_json_str(&out, id, len);
        } else {
            rs_sb_put(&out, id, len);
            rs_sb_putc(&out, '\n');
        }
        first = false;
    }
    if (json) rs_sb_puts(&out, "]}\n");
    cli_write_stdout(out.buf, out.len);
    rs_sb_free(&out);
}

static int show_members(rs_state *st, const char *group, bool json) {
    rs_sgroups groups;
    if (rs_state_groups(st, &groups) != 0) return CLI_USAGE;
    const rs_sgroup *g = rs_sgroups_find(&groups, group);
    int rc = CLI_OK;
    rs_suniverse *su = NULL;
    uint64_t *bits = NULL;
    if (!g) rc = unknown_group(group, &groups);
    else if (rs_state_universe(st, g->universe, &su) != 0 || rs_state_members(st, g, su->u.n, &bits) != 0)
        rc = CLI_USAGE;
    else print_members(g, su, bits, json);
    free(bits);
    rs_suniverse_free(su);
    rs_sgroups_free(&groups);
    return rc;
}

int cmd_members(int argc, char **argv) {
    static const struct option longopts[] = {
        {"state", required_argument, NULL, 'S'}, {"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    const char *state = RS_STATE_DEFAULT_PATH, *format = "text";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'S') state = optarg;
        else if (c == 'f') format = optarg;
        else return cli_usage("members");
    }
    if (optind != argc - 1) return cli_usage("members");
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error("--format takes text or json, not '%s'", format);
    rs_diags *d = new_diags(0);
    rs_state *st = NULL;
    int rc = rs_state_open(&st, state, RS_STATE_READ, d) == 0 ? CLI_OK : CLI_USAGE;
    if (rc == CLI_OK && !st) {
        fprintf(stderr, "roster: error: no state database at '%s' (run `roster recalc` first)\n", state);
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK) rc = show_members(st, argv[optind], strcmp(format, "json") == 0);
    cli_print_diags(d, false);
    rs_state_close(st);
    free(d);
    return rc;
}
