/* main.c: `roster COMMAND ...` dispatch. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "api/roster.h"
#include "cli/cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
} command;

static const command commands[] = {
    {"check", cmd_check, "check FILES... --schema S [--snapshot DIR] [--format text|json] | check MAPPING.map..."},
    {"fmt", cmd_fmt, "fmt FILE [--to text|json]"},
    {"compile", cmd_compile, "compile FILES... --schema S -o rules.rbc [--disasm]"},
    {"disasm", cmd_disasm, "disasm rules.rbc"},
    {"dry-run", cmd_dry_run, "dry-run FILE --snapshot S [--state DB] [--as-of DATE] [--explain MEMBER] [--format text|json]"},
    {"recalc", cmd_recalc, "recalc --rules DIR|FILES --snapshot S [--state DB] [--out deltas.jsonl] [--as-of DATE] [--stats]"},
    {"members", cmd_members, "members GROUP [--state DB] [--format text|json]"},
    {"map", cmd_map, "map --mapping FILE --source records.jsonl [--format jsonl|table] [--id MAPPING] | map --mapping FILE --disasm"},
    {"snapshot", cmd_snapshot, "snapshot pack DIR -o org.snap | snapshot check DIR|FILE"},
};

static void usage(FILE *out) {
    fputs("roster: dynamic directory groups, compiled and evaluated over a member snapshot\n\n"
          "usage:\n",
          out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  roster %s\n", commands[i].synopsis);
    fputs("\nexit status: 0 success, 1 the input has errors, 2 usage or I/O error\n"
          "docs: README.md, docs/\n",
          out);
}

int main(int argc, char **argv) {
    /* A file-size limit (ulimit -f) then fails the write with EFBIG, like a full disk, and the run
     * rolls back and says so, instead of being killed with its journal left behind. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return cli_close_stdout(CLI_OK);
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("roster %s\n", roster_version());
        return cli_close_stdout(CLI_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return cli_close_stdout(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "roster: unknown command '%s'\n\n", name);
    usage(stderr);
    return CLI_USAGE;
}
