/* help.c: `roster COMMAND --help` and usage errors, from the generated table (help.h). */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/help.h"

const cli_help *cli_help_find(const char *name) {
    for (const cli_help *h = cli_helps; h->name; h++)
        if (strcmp(h->name, name) == 0) return h;
    return NULL;
}

int cli_help_print(const char *name) {
    const cli_help *h = cli_help_find(name);
    if (!h) return cli_usage_error("no command '%s' (roster --help lists them)", name);
    cli_write_stdout(h->text, strlen(h->text));
    return CLI_OK;
}

int cli_usage(const char *name) {
    const cli_help *h = cli_help_find(name);
    fprintf(stderr, "roster: error: usage:\n%s", h ? h->usage : "");
    fprintf(stderr, "'roster %s --help' explains every option\n", name);
    return CLI_USAGE;
}
