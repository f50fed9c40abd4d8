/* cmd_map.c: `roster map`: maps source records (JSON Lines) to target records with a mapping file
 * and lists each failed record with its reasons. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include "cli/cli.h"
#include "compiler/mapping.h"
#include "runtime/mapeval.h"
#include "common/strbuf.h"
#include "common/util.h"

/* ---- roster map ---- */

#define MAP_BATCH 4096

typedef struct map_opts {
    const char *mapping, *source, *format, *id;
    bool disasm;
} map_opts;

typedef struct map_run {
    const rs_mapprog *prog;
    rs_mapper *mapper;
    bool table;
    size_t nrecords, nfailed;
    rs_sb failures;            /* the table format lists failures after the rows */
    rs_sb cell;                /* one table cell before it is escaped */
} map_run;

static int parse_map_opts(int argc, char **argv, map_opts *o) {
    static const struct option longopts[] = {
        {"mapping", required_argument, NULL, 'm'}, {"source", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},  {"id", required_argument, NULL, 'i'},
        {"disasm", no_argument, NULL, 'd'},        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->format = "jsonl";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o->mapping = optarg; break;
        case 's': o->source = optarg; break;
        case 'f': o->format = optarg; break;
        case 'i': o->id = optarg; break;
        case 'd': o->disasm = true; break;
        default: return cli_usage_error("usage: roster map --mapping FILE --source records.jsonl "
                                        "[--format jsonl|table] [--id MAPPING] [--disasm]");
        }
    }
    if (!o->mapping || (!o->source && !o->disasm) || optind != argc)
        return cli_usage_error("usage: roster map --mapping FILE --source records.jsonl "
                               "[--format jsonl|table] [--id MAPPING] [--disasm]");
    if (strcmp(o->format, "jsonl") != 0 && strcmp(o->format, "table") != 0)
        return cli_usage_error("--format takes jsonl or table, not '%s'", o->format);
    return CLI_OK;
}

/* The source's own id of a record (Google's immutable `id`), for the failure list. */
static const char *source_id(const json_t *rec) {
    const char *id = json_string_value(json_object_get(rec, "id"));
    return id ? id : "";
}

static void put_record_json(map_run *run, const rs_mapresult *res, size_t r, size_t line,
                            const json_t *rec, rs_sb *out) {
    rs_sb_printf(out, "{\"line\": %zu, \"source_id\": ", line);
    const char *id = source_id(rec);
    rs_sb_json_str(out, id, strlen(id));
    if (!res->failed[r]) {
        rs_sb_puts(out, ", \"target\": {");
        bool first = true;
        for (size_t t = 0; t < res->ntargets; t++) {
            const rs_mapval *v = &res->values[r * res->ntargets + t];
            if (v->type == MT_ANY) continue;
            if (!first) rs_sb_puts(out, ", ");
            first = false;
            rs_sb_json_str(out, run->prog->targets[t].name, strlen(run->prog->targets[t].name));
            rs_sb_puts(out, ": ");
            rs_mapval_json(v, out);
        }
        rs_sb_puts(out, "}}\n");
        return;
    }
    rs_sb_puts(out, ", \"failures\": [");
    bool first = true;
    for (size_t i = 0; i < res->nfailures; i++) {
        const rs_mapfailure *f = &res->failures[i];
        if (f->record != r) continue;
        if (!first) rs_sb_puts(out, ", ");
        first = false;
        const char *field = f->target >= 0 ? run->prog->targets[f->target].name : "";
        rs_sb_puts(out, "{\"field\": ");
        rs_sb_json_str(out, field, strlen(field));
        rs_sb_printf(out, ", \"reason\": \"%s\", \"message\": ", rs_mapfail_name(f->kind));
        rs_sb_json_str(out, f->message, strlen(f->message));
        rs_sb_putc(out, '}');
    }
    rs_sb_puts(out, "]}\n");
}

static bool mapped_target(const rs_maptarget *t) { return t->code_end > t->code_start; }

static void put_table_header(const rs_mapprog *p, rs_sb *out) {
    rs_sb_puts(out, "line");
    for (size_t t = 0; t < p->ntargets; t++)
        if (mapped_target(&p->targets[t])) rs_sb_printf(out, "\t%s", p->targets[t].name);
    rs_sb_putc(out, '\n');
}

static void put_record_table(map_run *run, const rs_mapresult *res, size_t r, size_t line,
                             const json_t *rec, rs_sb *out) {
    if (res->failed[r]) {
        for (size_t i = 0; i < res->nfailures; i++) {
            const rs_mapfailure *f = &res->failures[i];
            if (f->record != r) continue;
            const char *id = source_id(rec);
            rs_sb_printf(&run->failures, "line %zu", line);
            if (*id) {
                rs_sb_puts(&run->failures, " (id ");
                rs_sb_tsv_cell(&run->failures, id, strlen(id));
                rs_sb_putc(&run->failures, ')');
            }
            rs_sb_printf(&run->failures, ": %s%s%s: %s\n", f->target >= 0 ? run->prog->targets[f->target].name : "",
                         f->target >= 0 ? ": " : "", rs_mapfail_name(f->kind), f->message);
        }
        return;
    }
    rs_sb_printf(out, "%zu", line);
    for (size_t t = 0; t < res->ntargets; t++) {
        if (!mapped_target(&run->prog->targets[t])) continue;
        rs_sb_putc(out, '\t');
        rs_sb_clear(&run->cell);
        rs_mapval_text(&res->values[r * res->ntargets + t], &run->cell);
        if (run->cell.len) rs_sb_tsv_cell(out, run->cell.buf, run->cell.len);
    }
    rs_sb_putc(out, '\n');
}

static void map_batch(map_run *run, json_t **recs, const char *const *why, const size_t *lines, size_t n) {
    rs_mapresult res;
    rs_mapper_run(run->mapper, recs, why, n, &res);
    rs_sb out = {0};
    for (size_t r = 0; r < n; r++) {
        run->nfailed += res.failed[r];
        if (run->table) put_record_table(run, &res, r, lines[r], recs[r], &out);
        else put_record_json(run, &res, r, lines[r], recs[r], &out);
    }
    cli_write_stdout(out.buf, out.len);
    rs_sb_free(&out);
    run->nrecords += n;
    for (size_t r = 0; r < n; r++) json_decref(recs[r]);
}

static bool blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

/* Reads the JSON Lines source batch by batch; a line that is not a JSON object is a BAD_RECORD
 * failure that says why. */
#define WHY_SIZE 200
static int map_source(map_run *run, const char *path) {
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) return cli_usage_error("cannot read '%s'", path);
    json_t **recs = rs_calloc(MAP_BATCH, sizeof *recs);
    char *why_text = rs_calloc(MAP_BATCH, WHY_SIZE);
    const char **why = rs_calloc(MAP_BATCH, sizeof *why);
    size_t *lines = rs_calloc(MAP_BATCH, sizeof *lines), n = 0, line = 0, cap = 0;
    char *buf = NULL;
    ssize_t len;
    while ((len = getline(&buf, &cap, in)) >= 0) {
        line++;
        if (blank(buf, (size_t)len)) continue;
        char *reason = why_text + n * WHY_SIZE;
        recs[n] = rs_map_parse_line(buf, (size_t)len, line == 1, reason, WHY_SIZE);
        why[n] = recs[n] ? NULL : reason;
        lines[n++] = line;
        if (n == MAP_BATCH) {
            map_batch(run, recs, why, lines, n);
            n = 0;
        }
    }
    /* getline also returns -1 on a read error: without this check a short input looked complete.
     * The records read before the error are still mapped (map_batch also releases them). */
    int read_errno = ferror(in) ? errno : 0;
    if (n) map_batch(run, recs, why, lines, n);
    free(buf);
    free(why_text);
    free(why);
    free(recs);
    free(lines);
    if (in != stdin) fclose(in);
    if (read_errno)
        return cli_usage_error("cannot read '%s' after line %zu: %s; the records after that line were not "
                               "mapped, so the output is incomplete", path, line, strerror(read_errno));
    return CLI_OK;
}

static size_t pick_mapping(const ast_mapfile *f, const char *id) {
    if (!id) return 0;
    for (size_t i = 0; i < f->nmaps; i++)
        if (strcmp(f->maps[i].id.s, id) == 0) return i;
    return f->nmaps;
}

static int run_mapping(const map_opts *o, rs_mapfile *mf, rs_diags *d) {
    size_t idx = pick_mapping(mf->ast, o->id);
    if (idx == mf->ast->nmaps) return cli_usage_error("no mapping \"%s\" in %s", o->id, o->mapping);
    char *dir = rs_path_dir(o->mapping);
    rs_mapprog *prog = rs_map_compile(mf->check, idx, dir);
    free(dir);
    if (o->disasm) {
        rs_sb out = {0};
        rs_mapprog_disasm(prog, &out);
        cli_write_stdout(out.buf, out.len);
        rs_sb_free(&out);
        rs_mapprog_free(prog);
        return CLI_OK;
    }
    map_run run = {.prog = prog, .table = strcmp(o->format, "table") == 0};
    int rc = rs_mapper_new(&run.mapper, prog, d) == 0 ? CLI_OK : CLI_INVALID;
    if (rc == CLI_OK) {
        if (run.table) {
            rs_sb h = {0};
            put_table_header(prog, &h);
            cli_write_stdout(h.buf, h.len);
            rs_sb_free(&h);
        }
        rc = map_source(&run, o->source);
    }
    if (run.failures.len) {
        cli_write_stdout("\nfailures:\n", strlen("\nfailures:\n"));
        cli_write_stdout(run.failures.buf, run.failures.len);
    }
    if (rc == CLI_OK) {
        fprintf(stderr, "mapped %zu record(s) with \"%s\": %zu ok, %zu failed\n", run.nrecords,
                prog->id, run.nrecords - run.nfailed, run.nfailed);
        if (run.nfailed) rc = CLI_INVALID;
    }
    rs_sb_free(&run.failures);
    rs_sb_free(&run.cell);
    rs_mapper_free(run.mapper);
    rs_mapprog_free(prog);
    return rc;
}

int cmd_map(int argc, char **argv) {
    map_opts o;
    int rc = parse_map_opts(argc, argv, &o);
    if (rc != CLI_OK) return rc;
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_mapfile mf;
    rc = cli_status(rs_mapfile_load(&mf, o.mapping, d));
    if (rc == CLI_OK) rc = run_mapping(&o, &mf, d);
    cli_print_diags(d, false);
    rs_mapfile_free(&mf);
    free(d);
    return rc;
}
