/* help.h: each command's help text, generated at build time from docs/commands/COMMAND.txt
 * (scripts/cmddoc.awk), the source of the man pages too: `roster COMMAND --help` prints the file as
 * it is, and a usage error its usage lines. */
#ifndef RS_CLI_HELP_H
#define RS_CLI_HELP_H

typedef struct cli_help {
    const char *name;      /* "recalc"; "roster" for the command itself; NULL ends the table */
    const char *summary;   /* the page's one-line summary */
    const char *usage;     /* the lines of its usage: section, each indented and ending in '\n' */
    const char *text;      /* the whole page */
} cli_help;

extern const cli_help cli_helps[];

/* The help of a command, or NULL. */
const cli_help *cli_help_find(const char *name);
/* `roster COMMAND --help`: the page on standard output. Returns 0, or 2 for an unknown command. */
int cli_help_print(const char *name);
/* A usage error of a command: its usage lines and a pointer to --help on standard error. Returns 2
 * (CLI_USAGE). */
int cli_usage(const char *name);

#endif
