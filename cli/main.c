/* main.c: `roster COMMAND ...` dispatch, and `roster [COMMAND] --help` from the command pages
 * (help.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "api/roster.h"
#include "cli/cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"check", cmd_check},     {"fmt", cmd_fmt},         {"compile", cmd_compile},
    {"disasm", cmd_disasm},   {"dry-run", cmd_dry_run}, {"recalc", cmd_recalc},
    {"members", cmd_members}, {"map", cmd_map},         {"snapshot", cmd_snapshot},
};

static bool is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

/* `roster COMMAND ... --help` anywhere before a `--`: the command's page instead of a run. */
static bool wants_help(int argc, char **argv) {
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (is_help(argv[i])) return true;
    return false;
}

int main(int argc, char **argv) {
    /* A file-size limit (ulimit -f) then fails the write with EFBIG, like a full disk, and the run
     * rolls back and says so, instead of being killed with its journal left behind. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        fputs(cli_help_find("roster")->text, stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || is_help(name))
        return cli_close_stdout(cli_help_print(argc > 2 && strcmp(name, "help") == 0 ? argv[2] : "roster"));
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("roster %s\n", roster_version());
        return cli_close_stdout(CLI_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) != 0) continue;
        if (wants_help(argc, argv)) return cli_close_stdout(cli_help_print(name));
        return cli_close_stdout(commands[i].run(argc - 1, argv + 1));
    }
    fprintf(stderr, "roster: unknown command '%s' (roster --help lists the commands)\n", name);
    return CLI_USAGE;
}
