/* demo.c: a program of the kind docs/api.md describes, built by tests/e2e/test_install.sh against
 * the installed roster.h and libroster.so only. Each mode prints what a roster command prints for
 * the same inputs, so the test can compare the two:
 *   demo counts SNAPSHOT AS_OF RULES...          "GROUP COUNT" a line (roster recalc + members)
 *   demo members SNAPSHOT AS_OF GROUP RULES...   the group's member ids (roster members)
 *   demo dry-run SNAPSHOT AS_OF STATE RULES...   the report of roster dry-run
 *   demo check SCHEMA FILE                       FILE's text compiled: diagnostics (roster check)
 *   demo map MAPPING RECORDS                     the mapped records (roster map) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <roster.h>

static roster_diags *diags;

/* Prints the diagnostics of a failed call and exits 1, as the command would. */
static void check(int rc) {
    if (rc == ROSTER_OK) return;
    fprintf(stderr, "%s", roster_diags_text(diags));
    fprintf(stderr, "demo: %s\n", roster_status_text(rc));
    exit(1);
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void load(roster_snapshot **s, roster_rules **r, char **argv, int first_rule, int argc) {
    check(roster_snapshot_load(s, argv[2], diags));
    check(roster_rules_compile(r, (const char *const *)argv + first_rule, (size_t)(argc - first_rule), NULL,
                               *s, diags));
}

static int counts(int argc, char **argv) {
    roster_snapshot *s;
    roster_rules *r;
    roster_result *res;
    load(&s, &r, argv, 4, argc);
    check(roster_evaluate(&res, r, s, argv[3], diags));
    for (size_t i = 0; i < roster_rules_count(r); i++) {
        size_t n;
        check(roster_result_count(res, roster_rules_group(r, i), &n, diags));
        printf("%s %zu\n", roster_rules_group(r, i), n);
    }
    roster_result_free(res);
    roster_rules_free(r);
    roster_snapshot_free(s);
    return 0;
}

static int members(int argc, char **argv) {
    roster_snapshot *s;
    roster_rules *r;
    roster_result *res;
    char **ids;
    load(&s, &r, argv, 5, argc);
    check(roster_evaluate(&res, r, s, argv[3], diags));
    check(roster_result_members(res, argv[4], &ids, NULL, diags));
    for (char **id = ids; *id; id++) puts(*id);
    roster_free(ids);
    roster_result_free(res);
    roster_rules_free(r);
    roster_snapshot_free(s);
    return 0;
}

static int dry_run(int argc, char **argv) {
    roster_snapshot *s;
    roster_rules *r;
    char *report;
    load(&s, &r, argv, 5, argc);
    check(roster_dry_run(&report, r, s, argv[4], argv[3], ROSTER_TEXT, diags));
    fputs(report, stdout);
    roster_free(report);
    roster_rules_free(r);
    roster_snapshot_free(s);
    return 0;
}

static int compile_text(char **argv) {
    size_t len;
    char *text = read_all(argv[3], &len);
    roster_rules *r;
    int rc = roster_rules_compile_text(&r, argv[3], text, len, argv[2], NULL, diags);
    fputs(roster_diags_text(diags), stderr);
    free(text);
    roster_rules_free(r);
    return rc == ROSTER_OK ? 0 : 1;
}

static int map(char **argv) {
    size_t len, nfailed;
    char *records = read_all(argv[3], &len), *out;
    roster_mapper *m;
    check(roster_mapper_load(&m, argv[2], NULL, diags));
    check(roster_map(&out, &nfailed, m, records, len, diags));
    fputs(out, stdout);
    roster_free(out);
    roster_mapper_free(m);
    free(records);
    return nfailed ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: demo counts|members|dry-run|check|map ARGS...\n");
        return 2;
    }
    diags = roster_diags_new();
    const char *mode = argv[1];
    int rc = strcmp(mode, "counts") == 0 && argc >= 5    ? counts(argc, argv)
             : strcmp(mode, "members") == 0 && argc >= 6 ? members(argc, argv)
             : strcmp(mode, "dry-run") == 0 && argc >= 6 ? dry_run(argc, argv)
             : strcmp(mode, "check") == 0                ? compile_text(argv)
             : strcmp(mode, "map") == 0                  ? map(argv)
                                                         : 2;
    roster_diags_free(diags);
    return rc;
}
