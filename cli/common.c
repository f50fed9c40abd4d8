/* common.c: what several commands share: printing diagnostics, checked output, option values. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/date.h"
#include "common/strbuf.h"
#include "common/util.h"

bool cli_stderr_tty(void) { return isatty(STDERR_FILENO); }

int cli_usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("roster: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_USAGE;
}

/* The first error of a write to standard output: the stream's error flag says that one failed, not
 * why, and the reason (a full disk) is what the admin needs. */
static int stdout_errno;

void cli_write_stdout(const char *buf, size_t len) {
    if (len && fwrite(buf, 1, len, stdout) != len && !stdout_errno) stdout_errno = errno ? errno : EIO;
}

void cli_flush_stdout(void) {
    errno = 0;
    if (fflush(stdout) != 0 && !stdout_errno) stdout_errno = errno ? errno : EIO;
}

/* Output is checked once, here, for every command: a failed write left its errno above or the
 * stream's error flag set, and the flush and close report what is still buffered (a full disk,
 * /dev/full). Output that did not all arrive is an I/O error, never a success. */
int cli_close_stdout(int rc) {
    cli_flush_stdout();
    int err = stdout_errno;
    if (ferror(stdout) && !err) err = EIO;
    if (fclose(stdout) != 0 && !err) err = errno ? errno : EIO;
    if (!err) return rc;
    return cli_usage_error("cannot write standard output: %s; the output is incomplete", strerror(err));
}

bool cli_parse_date(const char *s, int32_t *day) {
    return rs_date_parse(s, strlen(s), day);
}

bool cli_parse_max_errors(const char *s, size_t *max_errors) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > 100000) return false;
    *max_errors = (size_t)v;
    return true;
}

void cli_print_diags(const rs_diags *d, bool json) {
    rs_sb out = {0};
    if (json) {
        rs_diags_render_json(d, &out);
        cli_write_stdout(out.buf, out.len);
    } else {
        rs_diags_render_text(d, &out, cli_stderr_tty());
        if (out.len) fwrite(out.buf, 1, out.len, stderr);
    }
    rs_sb_free(&out);
}

int cli_status(int rs_rc) {
    return rs_rc == RS_LOAD_OK ? CLI_OK : rs_rc == RS_LOAD_INVALID ? CLI_INVALID : CLI_USAGE;
}
