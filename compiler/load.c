/* load.c: rule files and mapping files from the paths a user names (load.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "compiler/load.h"
#include "grammar/grammar.h"
#include "common/util.h"

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

void rs_paths_free(char **files, size_t n) {
    for (size_t i = 0; i < n; i++) free(files[i]);
    free(files);
}

static bool is_folder(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool rs_is_mapping_path(const char *path) {
    if (!is_folder(path)) return has_suffix(path, ".map");
    char **maps;
    long n = list_folder(path, is_mapping_file, &maps, NULL);
    if (n > 0) rs_paths_free(maps, (size_t)n);
    return n > 0;
}

int rs_expand_paths(const char *const *paths, size_t npaths, bool mappings, char ***files, size_t *n,
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

/* ---- rules ---- */

static void add_source(rs_rules *r, rs_source *src, rs_diags *d) {
    r->srcs[r->n] = src;
    r->asts[r->n] = rs_parse_any(src, d);
    r->n++;
}

/* Checks what parsed even when some files had syntax errors: one run reports every error. */
static int check_and_compile(rs_rules *r, const rs_schema *schema, const rs_idset *ids, rs_diags *d) {
    const ast_file **asts = rs_calloc(r->n, sizeof *asts);
    size_t nasts = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->asts[i]) asts[nasts++] = r->asts[i];
    r->checked = rs_check((const ast_file *const *)asts, nasts, schema, ids, d);
    free(asts);
    if (rs_diags_has_errors(d)) return RS_LOAD_INVALID;
    r->program = rs_compile(r->checked);
    return RS_LOAD_OK;
}

int rs_rules_load(rs_rules *r, const char *const *paths, size_t npaths, const rs_schema *schema,
                  const rs_idset *ids, rs_diags *d) {
    memset(r, 0, sizeof *r);
    char **files = NULL;
    size_t nfiles = 0;
    int rc = RS_LOAD_OK;
    if (rs_expand_paths(paths, npaths, false, &files, &nfiles, d) != 0) rc = RS_LOAD_IO;
    if (rc == RS_LOAD_OK && nfiles == 0) {
        rs_diag_file(d, RS_E_IO, npaths ? paths[0] : "", 0, 0, "no rule files (*.rule, *.json) found");
        rc = RS_LOAD_IO;
    }
    r->srcs = rs_calloc(nfiles, sizeof *r->srcs);
    r->asts = rs_calloc(nfiles, sizeof *r->asts);
    for (size_t i = 0; rc == RS_LOAD_OK && i < nfiles; i++) {
        rs_source *src = rs_source_load(files[i], d);
        if (!src) rc = RS_LOAD_IO;
        else add_source(r, src, d);
    }
    rs_paths_free(files, nfiles);
    return rc == RS_LOAD_OK ? check_and_compile(r, schema, ids, d) : rc;
}

int rs_rules_from_sources(rs_rules *r, rs_source *const *srcs, size_t n, const rs_schema *schema,
                          const rs_idset *ids, rs_diags *d) {
    memset(r, 0, sizeof *r);
    r->srcs = rs_calloc(n, sizeof *r->srcs);
    r->asts = rs_calloc(n, sizeof *r->asts);
    for (size_t i = 0; i < n; i++) add_source(r, srcs[i], d);
    return check_and_compile(r, schema, ids, d);
}

void rs_rules_free(rs_rules *r) {
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

/* ---- mapping files ---- */

int rs_mapfile_load(rs_mapfile *m, const char *path, rs_diags *d) {
    memset(m, 0, sizeof *m);
    m->src = rs_source_load(path, d);
    if (!m->src) return RS_LOAD_IO;
    m->ast = rs_parse_mapping(m->src, d);
    if (!m->ast) return RS_LOAD_INVALID;
    char *dir = rs_path_dir(path);
    m->check = rs_map_check(m->ast, dir, d);
    free(dir);
    return rs_diags_has_errors(d) ? RS_LOAD_INVALID : RS_LOAD_OK;
}

void rs_mapfile_free(rs_mapfile *m) {
    rs_mapcheck_free(m->check);
    ast_mapfile_free(m->ast);
    rs_source_free(m->src);
    memset(m, 0, sizeof *m);
}

size_t rs_mapfile_find(const rs_mapfile *m, const char *id) {
    if (!id) return 0;
    for (size_t i = 0; i < m->ast->nmaps; i++)
        if (strcmp(m->ast->maps[i].id.s, id) == 0) return i;
    return m->ast->nmaps;
}
