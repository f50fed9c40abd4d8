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
#include "compiler/load.h"
#include "cli/help.h"

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

/* The library's load and run codes (RS_LOAD_*, RS_RECALC_*: 0, -1 invalid input, -2 I/O) as an
 * exit code. */
int cli_status(int rs_rc);

/* ---- mapping files (cmd_check.c; `roster map` is cmd_map.c) ---- */

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
