/* common.c: what several commands share: reading rule files, printing diagnostics. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static bool has_suffix(const char *name, const char *suffix) {
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

static bool is_rule_file(const char *name) {
    return name[0] != '.' && (has_suffix(name, ".rule") || has_suffix(name, ".json"));
}

static bool is_mapping_file(const char *name) { return name[0] != '.' && has_suffix(name, ".map"); }

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a folder that `want` accepts, in name order (so output is stable). Returns how many,
 * or -1 when the folder cannot be read (with files == NULL). */
static long list_folder(const char *dir, bool (*want)(const char *), char ***files, rs_diags *d) {
    *files = NULL;
    DIR *dh = opendir(dir);
    if (!dh) {
        if (d) rs_diag_file(d, RS_E_IO, dir, 0, 0, "cannot read folder: %s", strerror(errno));
        return -1;
    }
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        if (!want(e->d_name)) continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = rs_malloc(len);
        snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        RS_GROW(*files, cap, n + 1);
        (*files)[n++] = path;
    }
    closedir(dh);
    if (n) qsort(*files, n, sizeof **files, cmp_str);
    return (long)n;
}

static void free_paths(char **files, size_t n) {
    for (size_t i = 0; i < n; i++) free(files[i]);
    free(files);
}

static bool is_folder(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool cli_is_mapping_path(const char *path) {
    if (!is_folder(path)) return has_suffix(path, ".map");
    char **maps;
    long n = list_folder(path, is_mapping_file, &maps, NULL);
    if (n > 0) free_paths(maps, (size_t)n);
    return n > 0;
}

int cli_expand_paths(char *const *paths, size_t npaths, bool mappings, char ***files, size_t *n,
                     rs_diags *d) {
    size_t cap = 0;
    *files = NULL;
    *n = 0;
    for (size_t i = 0; i < npaths; i++) {
        if (!is_folder(paths[i])) {
            RS_GROW(*files, cap, *n + 1);
            (*files)[(*n)++] = rs_strdup(paths[i]);
            continue;
        }
        char **in;
        long k = list_folder(paths[i], mappings ? is_mapping_file : is_rule_file, &in, d);
        if (k < 0) return -1;
        RS_GROW(*files, cap, *n + (size_t)k);
        if (k > 0) memcpy(*files + *n, in, (size_t)k * sizeof *in);   /* in is NULL for an empty folder */
        *n += (size_t)k;
        free(in);
    }
    return 0;
}

int cli_rules_load(cli_rules *r, char *const *paths, size_t npaths, const rs_schema *schema,
                   const rs_idset *ids, rs_diags *d) {
    memset(r, 0, sizeof *r);
    char **files = NULL;
    size_t nfiles = 0;
    int rc = CLI_OK;
    if (cli_expand_paths(paths, npaths, false, &files, &nfiles, d) != 0) rc = CLI_USAGE;
    if (rc == CLI_OK && nfiles == 0) {
        rs_diag_file(d, RS_E_IO, npaths ? paths[0] : "", 0, 0, "no rule files (*.rule, *.json) found");
        rc = CLI_USAGE;
    }
    r->srcs = rs_calloc(nfiles, sizeof *r->srcs);
    r->asts = rs_calloc(nfiles, sizeof *r->asts);
    for (size_t i = 0; rc == CLI_OK && i < nfiles; i++) {
        rs_source *src = rs_source_load(files[i], d);
        if (!src) {
            rc = CLI_USAGE;
            break;
        }
        r->srcs[r->n] = src;
        r->asts[r->n] = rs_parse_any(src, d);
        r->n++;
    }
    free_paths(files, nfiles);
    if (rc != CLI_OK) return rc;
    /* Check what parsed even when some files had syntax errors: one run reports every error. */
    const ast_file **asts = rs_calloc(r->n, sizeof *asts);
    size_t nasts = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->asts[i]) asts[nasts++] = r->asts[i];
    r->checked = rs_check((const ast_file *const *)asts, nasts, schema, ids, d);
    free(asts);
    if (rs_diags_has_errors(d)) return CLI_INVALID;
    r->program = rs_compile(r->checked);
    return CLI_OK;
}

void cli_rules_free(cli_rules *r) {
    rs_program_free(r->program);
    rs_checked_free(r->checked);
    for (size_t i = 0; i < r->n; i++) {
        ast_file_free(r->asts[i]);
        rs_source_free(r->srcs[i]);
    }
    free(r->asts);
    free(r->srcs);
    memset(r, 0, sizeof *r);
}
