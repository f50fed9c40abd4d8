/* cmd_snapshot.c: roster snapshot pack DIR -o org.snap, and snapshot check DIR|FILE. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "common/util.h"
#include "runtime/snapshot.h"

int cmd_snapshot(int argc, char **argv) {
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"max-errors", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0}};
    if (argc < 2) return cli_usage("snapshot");
    const char *verb = argv[1];
    bool pack = strcmp(verb, "pack") == 0;
    if (!pack && strcmp(verb, "check") != 0) return cli_usage("snapshot");
    const char *out = NULL;
    size_t max_errors = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "o:", longopts, NULL)) != -1) {
        if (c == 'o') {
            out = optarg;
        } else if (c == 'm') {
            if (!cli_parse_max_errors(optarg, &max_errors))
                return cli_usage_error("--max-errors takes a number from 0 to 100000");
        } else {
            return cli_usage("snapshot");
        }
    }
    if (optind != argc - 2 || (pack && !out)) return cli_usage("snapshot");
    const char *in = argv[1 + optind];
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    d->max_errors = max_errors;
    rs_load_opts lo = {.progress = cli_stderr_tty()};
    rs_snapshot *s = rs_snapshot_load(in, &lo, d);
    int rc = s ? CLI_OK : CLI_INVALID;
    if (s && pack && rs_snapshot_pack(s, out, d) != 0) rc = CLI_USAGE;
    cli_print_diags(d, false);
    if (rc == CLI_OK)
        fprintf(stderr, "%s: %u members, %u departments%s%s\n", in, s->nmembers, s->depts.n,
                pack ? " -> " : "", pack ? out : "");
    rs_snapshot_free(s);
    free(d);
    return rc;
}
