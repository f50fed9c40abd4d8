/* fuzz_check: `roster check` itself on arbitrary text: the file is read as a rule file (or as the
 * JSON form when it starts with '{'), checked against a small snapshot (ids included), and the
 * diagnostics rendered as text and as JSON lines, exactly as the command line does. Property: the
 * command always ends with exit 0 (valid) or 1 (invalid input), never 2, a crash, a hang or a leak.
 * The command's output goes to /dev/null while it runs; sanitizer reports still reach stderr. */
#include <fcntl.h>
#include <stdint.h>
#include "cli/cli.h"
#include "fuzz/fuzz_snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Present only in sanitizer builds: reports keep going to the real stderr. */
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static const char org_departments[] =
    "{\"id\": \"D1\", \"parent\": null, \"name\": \"Root\"}\n"
    "{\"id\": \"D2\", \"parent\": \"D1\", \"name\": \"Engineering\"}\n"
    "{\"id\": \"D3\", \"parent\": \"D2\", \"name\": \"Compilers\"}\n";
static const char org_members[] =
    "{\"id\": \"u1\", \"department\": [\"D1\"], \"name\": \"Ada\", \"city\": \"Shanghai\", \"level\": 3}\n"
    "{\"id\": \"u2\", \"department\": [\"D2\", \"D3\"], \"leader\": \"u1\", \"status\": \"active\"}\n"
    "{\"id\": \"u3\", \"department\": [\"D3\"], \"leader\": \"u2\", \"join_date\": \"2026-01-01\"}\n";

typedef struct quiet {
    int out, err;
} quiet;

static quiet quiet_begin(void) {
    fflush(stdout);
    fflush(stderr);
    quiet q = {dup(STDOUT_FILENO), dup(STDERR_FILENO)};
    if (__sanitizer_set_report_fd) __sanitizer_set_report_fd((void *)(intptr_t)q.err);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    close(null);
    return q;
}

static void quiet_end(quiet q) {
    fflush(stdout);
    fflush(stderr);
    dup2(q.out, STDOUT_FILENO);
    dup2(q.err, STDERR_FILENO);
    close(q.out);
    close(q.err);
    if (__sanitizer_set_report_fd) __sanitizer_set_report_fd((void *)(intptr_t)STDERR_FILENO);
}

static int run_check(const char *file, const char *format) {
    /* getopt may permute argv: every argument is a writable copy. */
    char cmd[] = "check", snap_opt[] = "--snapshot", fmt_opt[] = "--format", fmt[8], snap[96], rules[128];
    snprintf(fmt, sizeof fmt, "%s", format);
    snprintf(snap, sizeof snap, "%s", fuzz_dir());
    snprintf(rules, sizeof rules, "%s", fuzz_path(file));
    char *argv[] = {cmd, snap_opt, snap, fmt_opt, fmt, rules, NULL};
    quiet q = quiet_begin();
    int rc = cmd_check(6, argv);
    quiet_end(q);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > RS_MAX_SOURCE_BYTES) return 0;
    static bool ready;
    if (!ready) {
        fuzz_put_str("schema.json", fuzz_schema_json);
        fuzz_put_str("departments.jsonl", org_departments);
        fuzz_put_str("members.jsonl", org_members);
        ready = true;
    }
    size_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r')) i++;
    const char *file = i < size && data[i] == '{' ? "fuzz.json" : "fuzz.rule";
    fuzz_put(file, data, size);
    int text = run_check(file, "text");
    int json = run_check(file, "json");
    fuzz_drop(file);
    FUZZ_ASSERT(text == CLI_OK || text == CLI_INVALID, "check ends with exit 0 or 1");
    FUZZ_ASSERT(text == json, "the text and JSON formats give the same exit code");
    return 0;
}
