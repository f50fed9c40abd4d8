/* cli.h: the roster command line. main.c dispatches to one cmd_* per subcommand; the helpers here
 * are what several commands share. Exit codes everywhere: 0 success, 1 the input has errors (rules,
 * snapshot, data), 2 usage or I/O errors. */
#ifndef RS_CLI_H
#define RS_CLI_H
#include <stdbool.h>
#include <stdio.h>
#include "common/diag.h"
#include "common/schema.h"
#include "grammar/grammar.h"
#include "compiler/check.h"
#include "compiler/compile.h"

enum { CLI_OK = 0, CLI_INVALID = 1, CLI_USAGE = 2 };

int cmd_check(int argc, char **argv);
int cmd_fmt(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_recalc(int argc, char **argv);
int cmd_dry_run(int argc, char **argv);
int cmd_members(int argc, char **argv);
int cmd_map(int argc, char **argv);

/* Rule files read, parsed, checked and compiled together. */
typedef struct cli_rules {
    rs_source **srcs;
    ast_file **asts;
    size_t n;
    rs_checked *checked;   /* NULL until checked */
    rs_program *program;   /* NULL unless every group checked without errors */
} cli_rules;

/* paths: files, or folders whose *.rule and *.json files are read in name order. Errors go to d.
 * Returns CLI_OK, CLI_INVALID (rule errors) or CLI_USAGE (a path that cannot be read). */
int cli_rules_load(cli_rules *r, char *const *paths, size_t npaths, const rs_schema *schema,
                   const rs_idset *ids, rs_diags *d);
void cli_rules_free(cli_rules *r);

/* ---- mapping files (cmd_check.c; `roster map` is cmd_map.c) ---- */

/* A mapping file read, parsed and checked (its schemas, tables and `extends` loaded). */
typedef struct cli_mapfile {
    rs_source *src;
    ast_mapfile *ast;
    struct rs_mapcheck *check;
} cli_mapfile;

/* Whether a path names a mapping file (*.map) or a folder with one: `check` and `fmt` read those
 * as mappings. In a mappings folder the other files are the schemas and tables the mappings name. */
bool cli_is_mapping_path(const char *path);
/* Files named, and the *.map (mappings) or *.rule and *.json files (rules) of folders named, each
 * folder's in name order. Returns -1 (reported to d) when a folder cannot be read. */
int cli_expand_paths(char *const *paths, size_t npaths, bool mappings, char ***files, size_t *n,
                     rs_diags *d);
/* Returns CLI_OK, CLI_INVALID or CLI_USAGE; free with cli_mapfile_free after printing d. */
int cli_mapfile_load(cli_mapfile *m, const char *path, rs_diags *d);
void cli_mapfile_free(cli_mapfile *m);
/* `roster check` of mapping files: diagnostics printed, exit code returned. */
int cli_check_mappings(char *const *paths, size_t n, bool json);
/* `roster fmt` of a mapping file. */
int cli_fmt_mapping(const char *path);

/* Prints diagnostics: text to stderr, or JSON lines to stdout (format "json"). */
void cli_print_diags(const rs_diags *d, bool json);
/* "error: " + message to stderr, and returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Every command's output goes through this, so that the first failed write is remembered. */
void cli_write_stdout(const char *buf, size_t len);
void cli_flush_stdout(void);
/* Flushes and closes standard output at the end of a command: returns rc, or CLI_USAGE (with the
 * error printed) when any of the output could not be written. */
int cli_close_stdout(int rc);
/* --as-of YYYY-MM-DD, or today. Returns false on a bad date. */
bool cli_parse_date(const char *s, int32_t *day);
/* --max-errors N: how many errors a run reports before it only counts them (0-100000). */
bool cli_parse_max_errors(const char *s, size_t *max_errors);
/* Whether stderr is a terminal (progress output and colours). */
bool cli_stderr_tty(void);

#endif
