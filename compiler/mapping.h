/* mapping.h: the contract of field mappings in compiler/ (spec section 4): the source and target
 * schemas a mapping file names, the function library's signatures, and the checker.
 *
 * Source schema (JSON): {"paths": {"primaryEmail": "text", "name.fullName": "text",
 *   "organizations[].title": "text", "aliases[]": "text", "suspended": "bool", ...}}
 *   A path is keys joined by '.', with "[]" after a key that holds an array; "aliases[]" declares
 *   an array of scalars. Types: text, number, bool, date.
 * Target schema (JSON): {"fields": [{"name": "email", "type": "text", "required": true,
 *   "max_length": 100, "allowed": ["a", "b"]}, ...]}. Types: text, number, bool, date, list (a list
 *   of text). `allowed` lists the values a text or number field accepts.
 *
 * Ownership: *_load returns an object the caller frees with the matching *_free (NULL accepted). */
#ifndef RS_MAPPING_H
#define RS_MAPPING_H
#include "grammar/map_ast.h"
#include "compiler/mapcode.h"
#include "common/suggest.h"

const char *map_type_name(map_type t);
/* "text" -> MT_TEXT ...; returns false for an unknown name. allow_list: whether "list" is valid. */
bool map_type_parse(const char *s, bool allow_list, map_type *out);

typedef struct rs_srcpath {
    char *path;                /* normalised: "organizations[].title" */
    map_type type;
} rs_srcpath;

typedef struct rs_srcschema {
    rs_srcpath *paths;         /* sorted by path */
    size_t n;
} rs_srcschema;

typedef struct rs_tgtfield {
    char *name;
    map_type type;
    bool required;
    uint32_t max_length;       /* in code points; 0 = no limit */
    char **allowed;            /* text or number spellings; NULL when any value is allowed */
    size_t nallowed;
} rs_tgtfield;

typedef struct rs_tgtschema {
    rs_tgtfield *fields;       /* in declaration order: target records list fields in this order */
    size_t n;
} rs_tgtschema;

/* Errors (E0512) go to diags with the file's name; NULL when the schema is unusable. */
rs_srcschema *rs_srcschema_load(const char *path, rs_diags *diags);
rs_srcschema *rs_srcschema_parse(const char *name, const char *text, size_t len, rs_diags *diags);
void rs_srcschema_free(rs_srcschema *s);
/* The declared type of a normalised path; false when the schema lacks it. */
bool rs_srcschema_type(const rs_srcschema *s, const char *path, map_type *type);
rs_tgtschema *rs_tgtschema_load(const char *path, rs_diags *diags);
rs_tgtschema *rs_tgtschema_parse(const char *name, const char *text, size_t len, rs_diags *diags);
void rs_tgtschema_free(rs_tgtschema *s);
const rs_tgtfield *rs_tgtschema_field(const rs_tgtschema *s, const char *name, size_t len);
int rs_tgtschema_index(const rs_tgtschema *s, const char *name, size_t len);


/* ---- functions (mapfunc.c) ---- */

/* Function by name, ignoring case; -1 when unknown. */
int map_fn_find(const char *name);
const char *map_fn_name(map_fn f);
const char *map_fn_doc(map_fn f);
void map_fn_arity(map_fn f, size_t *min, size_t *max);
/* Every function name, for "did you mean" suggestions. */
const char *const *map_fn_names(size_t *n);
/* The result type of f given its arguments' types (n within f's arity). On a mismatch, *bad is
 * the index of the first wrong argument, *want the type it needs, and MT_ANY is returned. */
map_type map_fn_result(map_fn f, const map_type *args, size_t n, size_t *bad, map_type *want);

/* ---- the checker (mapcheck.c) ---- */

/* What one mapping needs beyond its text: its schemas, its lookup table names, and the mapping it
 * extends (the built-in set whose `default` and `recommended` lines it must keep). */
typedef struct rs_mapenv {
    rs_srcschema *src;
    rs_tgtschema *tgt;
    rs_source *base_src;       /* the `extends` file, kept for its diagnostics */
    ast_mapfile *base;
    map_type *item_types;      /* type of each item's expression (MT_ANY after an error) */
    bool ok;                   /* no error in this mapping */
} rs_mapenv;

typedef struct rs_mapcheck {
    const ast_mapfile *file;   /* borrowed */
    rs_mapenv *envs;           /* one per mapping of the file */
    size_t n;
} rs_mapcheck;

/* Checks every mapping of f. Schema, `extends` and table paths are relative to dir (the mapping
 * file's folder). Always returns a table (free with rs_mapcheck_free); errors are in diags, which
 * must be rendered before the table is freed (they may point into an `extends` file). */
rs_mapcheck *rs_map_check(const ast_mapfile *f, const char *dir, rs_diags *diags);
void rs_mapcheck_free(rs_mapcheck *c);
/* ---- the compiler (mapcompile.c) ---- */

/* Compiles mapping `index` of a checked file (its env must be ok) into a program; table paths are
 * resolved against dir. */
rs_mapprog *rs_map_compile(const rs_mapcheck *c, size_t index, const char *dir);

/* The folder part of a path ("." when it has none); malloc'd. */
char *rs_path_dir(const char *path);
/* dir joined with rel, unless rel is absolute; malloc'd. */
char *rs_path_join(const char *dir, const char *rel);

#endif
