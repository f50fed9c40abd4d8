/* load.h: rule files and mapping files read from paths, the way the command line names them: files,
 * or folders whose *.rule and *.json files (rules) or *.map files (mappings) are read in name order.
 * Rules are then parsed, checked together and compiled; a mapping file parsed and checked. The
 * command line (cli/) and the public API (api/roster.h) both load through here.
 *
 * Return codes: RS_LOAD_OK; RS_LOAD_INVALID when the input has errors; RS_LOAD_IO when a path
 * cannot be read. Every problem is in diags, whose diagnostics point into the sources kept here:
 * render them before the matching *_free. */
#ifndef RS_LOAD_H
#define RS_LOAD_H
#include <stdbool.h>
#include <stddef.h>
#include "common/diag.h"
#include "compiler/check.h"
#include "compiler/compile.h"
#include "compiler/mapping.h"

enum { RS_LOAD_OK = 0, RS_LOAD_INVALID = -1, RS_LOAD_IO = -2 };

/* Rule files read, parsed, checked and compiled together. Owns everything it points to. */
typedef struct rs_rules {
    rs_source **srcs;
    ast_file **asts;       /* NULL where a source did not parse */
    size_t n;
    rs_checked *checked;   /* NULL until checked */
    rs_program *program;   /* NULL unless every group checked without errors */
} rs_rules;

/* Reads, parses, checks and compiles the rule files paths name (ids may be NULL). An empty list of
 * files is RS_LOAD_IO. *r is set even on failure: free it with rs_rules_free. */
int rs_rules_load(rs_rules *r, const char *const *paths, size_t npaths, const rs_schema *schema,
                  const rs_idset *ids, rs_diags *d);
/* The same for sources already in memory (rs_source_new), which *r takes over. */
int rs_rules_from_sources(rs_rules *r, rs_source *const *srcs, size_t n, const rs_schema *schema,
                          const rs_idset *ids, rs_diags *d);
void rs_rules_free(rs_rules *r);

/* A mapping file read, parsed and checked (its schemas, tables and `extends` loaded). */
typedef struct rs_mapfile {
    rs_source *src;
    ast_mapfile *ast;      /* NULL when it did not parse */
    rs_mapcheck *check;
} rs_mapfile;

/* *m is set even on failure: free it with rs_mapfile_free. */
int rs_mapfile_load(rs_mapfile *m, const char *path, rs_diags *d);
void rs_mapfile_free(rs_mapfile *m);
/* The index of mapping `id` of a loaded file (the first one when id is NULL), or ast->nmaps when
 * there is none. */
size_t rs_mapfile_find(const rs_mapfile *m, const char *id);

/* Whether a path names a mapping file (*.map) or a folder with one. In a mappings folder the other
 * files are the schemas and tables the mappings name. */
bool rs_is_mapping_path(const char *path);
/* The files named, and the *.map (mappings) or *.rule and *.json files (rules) of the folders named,
 * each folder's in name order, into a malloc'd list (rs_paths_free). Returns 0, or -1 (reported to
 * d) when a folder cannot be read. */
int rs_expand_paths(const char *const *paths, size_t npaths, bool mappings, char ***files, size_t *n,
                    rs_diags *d);
void rs_paths_free(char **files, size_t n);

#endif
