/* cmd_map.c: `roster map`: maps source records (JSON Lines) to target records with a mapping file
 * and lists each failed record with its reasons. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "compiler/mapping.h"
#include "runtime/mapeval.h"
#include "common/strbuf.h"
#include "common/util.h"

/* ---- roster map ---- */

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
        default: return cli_usage("map");
        }
    }
    if (!o->mapping || (!o->source && !o->disasm) || optind != argc)
        return cli_usage("map");
    if (strcmp(o->format, "jsonl") != 0 && strcmp(o->format, "table") != 0)
        return cli_usage_error("--format takes jsonl or table, not '%s'", o->format);
    return CLI_OK;
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
            const char *id = rs_map_source_id(rec);
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

/* Maps one batch of records and writes their rows. */
static void map_batch(void *ctx, json_t *const *recs, const char *const *why, const size_t *lines, size_t n) {
    map_run *run = ctx;
    rs_mapresult res;
    rs_mapper_run(run->mapper, recs, why, n, &res);
    rs_sb out = {0};
    for (size_t r = 0; r < n; r++) {
        run->nfailed += res.failed[r];
        if (run->table) put_record_table(run, &res, r, lines[r], recs[r], &out);
        else rs_map_record_jsonl(run->prog, &res, r, lines[r], recs[r], &out);
    }
    cli_write_stdout(out.buf, out.len);
    rs_sb_free(&out);
    run->nrecords += n;
}

static int map_source(map_run *run, const char *path) {
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) return cli_usage_error("cannot read '%s'", path);
    size_t line;
    int read_errno = rs_map_read_jsonl(in, map_batch, run, &line);
    if (in != stdin) fclose(in);
    if (read_errno)
        return cli_usage_error("cannot read '%s' after line %zu: %s; the records after that line were not "
                               "mapped, so the output is incomplete", path, line, strerror(read_errno));
    return CLI_OK;
}

static int run_mapping(const map_opts *o, rs_mapfile *mf, rs_diags *d) {
    size_t idx = rs_mapfile_find(mf, o->id);
    if (idx == mf->ast->nmaps)
        return o->id ? cli_usage_error("no mapping \"%s\" in %s", o->id, o->mapping)
                     : cli_usage_error("no mapping in %s", o->mapping);
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
