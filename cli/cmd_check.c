/* cmd_check.c: roster check, fmt, compile and disasm: the compiler's commands, for rule files and
 * (check, fmt) mapping files. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "common/strbuf.h"
#include "common/util.h"
#include "runtime/snapshot.h"
#include "compiler/mapping.h"

/* Options shared by check and compile. */
typedef struct rule_opts {
    const char *schema, *snapshot, *out, *format;
    bool disasm;
} rule_opts;

/* `check` given only mapping files needs no --schema: each mapping names its own schemas. */
static bool only_mappings(int argc, char **argv) {
    for (int i = optind; i < argc; i++)
        if (!rs_is_mapping_path(argv[i])) return false;
    return true;
}

static int parse_rule_opts(int argc, char **argv, rule_opts *o, const char *cmd) {
    static const struct option longopts[] = {
        {"schema", required_argument, NULL, 's'},  {"snapshot", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'},  {"output", required_argument, NULL, 'o'},
        {"disasm", no_argument, NULL, 'd'},        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->format = "text";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o->schema = optarg; break;
        case 'S': o->snapshot = optarg; break;
        case 'f': o->format = optarg; break;
        case 'o': o->out = optarg; break;
        case 'd': o->disasm = true; break;
        default: return cli_usage(cmd);
        }
    }
    if (strcmp(o->format, "text") != 0 && strcmp(o->format, "json") != 0)
        return cli_usage_error("--format takes text or json, not '%s'", o->format);
    if (optind >= argc) return cli_usage_error("'roster %s' needs at least one rule file or folder", cmd);
    if (strcmp(cmd, "check") == 0 && only_mappings(argc, argv)) return CLI_OK;
    if (!o->schema && !o->snapshot)
        return cli_usage_error("'roster %s' needs --schema schema.json (or --snapshot DIR)", cmd);
    return CLI_OK;
}

/* The schema and (with --snapshot) the snapshot whose ids the checker validates. */
typedef struct rule_env {
    rs_schema *schema;
    rs_snapshot *snap;
    rs_idset ids;
} rule_env;

static int load_env(const rule_opts *o, rule_env *env, rs_diags *d) {
    memset(env, 0, sizeof *env);
    if (o->snapshot) {
        rs_load_opts lo = {.progress = cli_stderr_tty()};
        env->snap = rs_snapshot_load(o->snapshot, &lo, d);
        if (!env->snap) return CLI_INVALID;
        rs_snapshot_idset(env->snap, &env->ids);
    }
    if (o->schema) {
        env->schema = rs_schema_load(o->schema, d);
        if (!env->schema) return CLI_INVALID;
    }
    return CLI_OK;
}

static const rs_schema *env_schema(const rule_env *env) {
    return env->schema ? env->schema : env->snap->schema;
}

/* The schema, the optional snapshot, and the rule files named after the options. */
static int load_rules(const rule_opts *o, int argc, char **argv, rule_env *env, rs_rules *r,
                      rs_diags *d) {
    int rc = load_env(o, env, d);
    if (rc != CLI_OK) return rc;
    return cli_status(rs_rules_load(r, (const char *const *)(argv + optind), (size_t)(argc - optind),
                                    env_schema(env), env->snap ? &env->ids : NULL, d));
}

static void free_env(rule_env *env) {
    rs_schema_free(env->schema);
    rs_snapshot_free(env->snap);
}

int cmd_check(int argc, char **argv) {
    rule_opts o;
    int rc = parse_rule_opts(argc, argv, &o, "check");
    if (rc != CLI_OK) return rc;
    bool json = strcmp(o.format, "json") == 0;
    if (only_mappings(argc, argv)) return cli_check_mappings(argv + optind, (size_t)(argc - optind), json);
    for (int i = optind; i < argc; i++)
        if (rs_is_mapping_path(argv[i]))
            return cli_usage_error("check mapping files (%s) on their own, not with rule files", argv[i]);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rule_env env;
    rs_rules r = {0};
    rc = load_rules(&o, argc, argv, &env, &r, d);
    /* Diagnostics point into the rule sources: print them before the sources are freed. */
    cli_print_diags(d, json);
    if (rc == CLI_OK && !json)
        fprintf(stderr, "ok: %zu file(s), %zu group(s) checked\n", r.n, r.checked ? r.checked->ngroups : 0);
    rs_rules_free(&r);
    free_env(&env);
    free(d);
    return rc;
}

int cmd_compile(int argc, char **argv) {
    rule_opts o;
    int rc = parse_rule_opts(argc, argv, &o, "compile");
    if (rc != CLI_OK) return rc;
    if (!o.out && !o.disasm) return cli_usage_error("'roster compile' needs -o rules.rbc (or --disasm)");
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rule_env env;
    rs_rules r = {0};
    rc = load_rules(&o, argc, argv, &env, &r, d);
    if (rc == CLI_OK && o.out) {
        uint8_t *bytes;
        size_t len;
        if (rs_program_write(r.program, &bytes, &len) != 0 || rs_write_file_atomic(o.out, bytes, len) != 0) {
            rs_diag_file(d, RS_E_IO, o.out, 0, 0, "cannot write the bytecode file");
            rc = CLI_USAGE;
        }
        if (rc == CLI_OK) free(bytes);
    }
    if (rc == CLI_OK && o.disasm) {
        rs_sb out = {0};
        rs_program_disasm(r.program, &out);
        cli_write_stdout(out.buf, out.len);
        rs_sb_free(&out);
    }
    cli_print_diags(d, strcmp(o.format, "json") == 0);
    rs_rules_free(&r);
    free_env(&env);
    free(d);
    return rc;
}

int cmd_disasm(int argc, char **argv) {
    if (argc != 2) return cli_usage("disasm");
    char *bytes;
    size_t len;
    int rd = rs_read_file(argv[1], (size_t)1 << 30, &bytes, &len);
    if (rd != 0) return cli_usage_error("cannot read '%s'", argv[1]);
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_program *p = rs_program_read(argv[1], (const uint8_t *)bytes, len, d);
    free(bytes);
    int rc = CLI_INVALID;
    if (p) {
        rs_sb out = {0};
        rs_program_disasm(p, &out);
        cli_write_stdout(out.buf, out.len);
        rs_sb_free(&out);
        rs_program_free(p);
        rc = CLI_OK;
    }
    cli_print_diags(d, false);
    free(d);
    return rc;
}

int cmd_fmt(int argc, char **argv) {
    static const struct option longopts[] = {{"to", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    const char *to = "text";
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 't') return cli_usage("fmt");
        to = optarg;
    }
    if (strcmp(to, "text") != 0 && strcmp(to, "json") != 0)
        return cli_usage_error("--to takes text or json, not '%s'", to);
    if (optind != argc - 1) return cli_usage("fmt");
    if (rs_is_mapping_path(argv[optind])) {
        if (strcmp(to, "text") != 0) return cli_usage_error("mapping files have a text form only");
        return cli_fmt_mapping(argv[optind]);
    }
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_source *src = rs_source_load(argv[optind], d);
    int rc = src ? CLI_OK : CLI_USAGE;
    ast_file *f = src ? rs_parse_any(src, d) : NULL;
    if (src && (!f || rs_diags_has_errors(d))) rc = CLI_INVALID;
    if (rc == CLI_OK) {
        rs_sb out = {0};
        if (strcmp(to, "json") == 0) rs_fmt_json(f, &out);
        else rs_fmt_text(f, &out);
        cli_write_stdout(out.buf, out.len);
        rs_sb_free(&out);
    }
    cli_print_diags(d, false);
    ast_file_free(f);
    rs_source_free(src);
    free(d);
    return rc;
}

/* ---- mapping files ---- */

static int worse(int a, int b) { return a == CLI_USAGE || b == CLI_USAGE ? CLI_USAGE : a > b ? a : b; }

int cli_check_mappings(char *const *paths, size_t npaths, bool json) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    char **names;
    size_t n;
    int rc = rs_expand_paths((const char *const *)paths, npaths, true, &names, &n, d) == 0 ? CLI_OK : CLI_USAGE;
    rs_mapfile *files = rs_calloc(n + 1, sizeof *files);
    size_t nmaps = 0;
    for (size_t i = 0; rc != CLI_USAGE && i < n; i++) {
        rc = worse(rc, cli_status(rs_mapfile_load(&files[i], names[i], d)));
        nmaps += files[i].ast ? files[i].ast->nmaps : 0;
    }
    cli_print_diags(d, json);
    if (rc == CLI_OK && !json) fprintf(stderr, "ok: %zu mapping file(s), %zu mapping(s) checked\n", n, nmaps);
    for (size_t i = 0; i < n; i++) rs_mapfile_free(&files[i]);
    rs_paths_free(names, n);
    free(files);
    free(d);
    return rc;
}

int cli_fmt_mapping(const char *path) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_source *src = rs_source_load(path, d);
    ast_mapfile *f = src ? rs_parse_mapping(src, d) : NULL;
    int rc = !src ? CLI_USAGE : !f || rs_diags_has_errors(d) ? CLI_INVALID : CLI_OK;
    if (rc == CLI_OK) {
        rs_sb out = {0};
        rs_fmt_mapping(f, &out);
        cli_write_stdout(out.buf, out.len);
        rs_sb_free(&out);
    }
    cli_print_diags(d, false);
    ast_mapfile_free(f);
    rs_source_free(src);
    free(d);
    return rc;
}
