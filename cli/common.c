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
        if (out.len) fwrite(out.buf, 1, out.len, stdout);
    } else {
        rs_diags_render_text(d, &out, cli_stderr_tty());
        if (out.len) fwrite(out.buf, 1, out.len, stderr);
    }
    rs_sb_free(&out);
}

static bool is_rule_file(const char *name) {
    size_t n = strlen(name);
    if (name[0] == '.') return false;
    return (n > 5 && strcmp(name + n - 5, ".rule") == 0) || (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a folder that look like rules, in name order (so output is stable). */
static int list_folder(const char *dir, char ***files, size_t *n, size_t *cap, rs_diags *d) {
    DIR *dh = opendir(dir);
    if (!dh) {
        rs_diag_file(d, RS_E_IO, dir, 0, 0, "cannot read folder: %s", strerror(errno));
        return -1;
    }
    size_t first = *n;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        if (!is_rule_file(e->d_name)) continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = rs_malloc(len);
        snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        RS_GROW(*files, *cap, *n + 1);
        (*files)[(*n)++] = path;
    }
    closedir(dh);
    qsort(*files + first, *n - first, sizeof **files, cmp_str);
    return 0;
}

static int expand_paths(char *const *paths, size_t npaths, char ***files, size_t *n, rs_diags *d) {
    size_t cap = 0;
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (list_folder(paths[i], files, n, &cap, d) != 0) return -1;
            continue;
        }
        RS_GROW(*files, cap, *n + 1);
        (*files)[(*n)++] = rs_strdup(paths[i]);
    }
    return 0;
}

int cli_rules_load(cli_rules *r, char *const *paths, size_t npaths, const rs_schema *schema,
                   const rs_idset *ids, rs_diags *d) {
    memset(r, 0, sizeof *r);
    char **files = NULL;
    size_t nfiles = 0;
    int rc = CLI_OK;
    if (expand_paths(paths, npaths, &files, &nfiles, d) != 0) rc = CLI_USAGE;
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
    for (size_t i = 0; i < nfiles; i++) free(files[i]);
    free(files);
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
