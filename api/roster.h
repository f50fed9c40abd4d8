/* roster.h: the C API of libroster. Compile dynamic-group rules, load a member snapshot, evaluate
 * every group, dry-run rules against a state database, explain why one member is in a group or
 * not, and map directory user records with a field mapping: what the `roster` command does, for
 * programs. docs/api.md shows it at work.
 *
 * Conventions, for every function below:
 * - Handles are opaque. The caller owns what a roster_*_load, roster_*_compile* or
 *   roster_evaluate call gives back and frees it with the matching *_free, which accepts NULL.
 *   Strings and arrays handed out through a char ** parameter are the caller's too, freed with
 *   roster_free. A getter's result is borrowed from the handle given and lives as long as it.
 * - Functions that can fail return ROSTER_OK (0) or a negative roster_status, and then leave their
 *   out parameters NULL (or 0). Nothing is printed and the process is never ended, with one
 *   exception the library shares with the command: when memory runs out it prints
 *   "roster: out of memory" and exits with status 2.
 * - What went wrong (and warnings, on success) goes to the roster_diags given last, which every call
 *   clears first; pass NULL when only the status matters. Its text is what `roster check` prints,
 *   its JSON what `roster check --format json` prints.
 * - A handle is used by one thread at a time; different handles are independent.
 * - Dates (as_of) are "YYYY-MM-DD", the day `today` means in the rules; NULL means today. */
#ifndef ROSTER_H
#define ROSTER_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ROSTER_API __attribute__((visibility("default")))
#else
#define ROSTER_API
#endif

#define ROSTER_VERSION_MAJOR 0
#define ROSTER_VERSION_MINOR 1
#define ROSTER_VERSION_PATCH 0
#define ROSTER_VERSION "0.1.0"

/* The library's version, "MAJOR.MINOR.PATCH" (ROSTER_VERSION of the library actually loaded). */
ROSTER_API const char *roster_version(void);

typedef enum roster_status {
    ROSTER_OK = 0,
    ROSTER_ERR_INPUT = -1,     /* the input has errors: rules, schema, snapshot, mapping (see diags) */
    ROSTER_ERR_IO = -2,        /* a file or the state database cannot be read or written */
    ROSTER_ERR_ARG = -3,       /* a required argument is NULL, or an argument is invalid */
    ROSTER_ERR_NOT_FOUND = -4  /* no such group or member */
} roster_status;

/* A short English description of a status ("invalid input", ...); never NULL. */
ROSTER_API const char *roster_status_text(int status);

typedef enum roster_format { ROSTER_TEXT = 0, ROSTER_JSON = 1 } roster_format;

/* Frees a string or array the library handed out; accepts NULL. */
ROSTER_API void roster_free(void *p);

/* ---- diagnostics ---- */

typedef struct roster_diags roster_diags;

/* An empty diagnostics holder, for the calls below to fill; never NULL. */
ROSTER_API roster_diags *roster_diags_new(void);
ROSTER_API void roster_diags_free(roster_diags *d);
/* The diagnostics of the last call, compiler-style, one or more lines each:
 *   rules/a.rule:4:6: error[E0201]: unknown field 'job_titel'
 * "" when there are none. Borrowed from d until the next call that is given d. */
ROSTER_API const char *roster_diags_text(const roster_diags *d);
/* The same as JSON Lines, one object per diagnostic (docs/diagnostics.md): file, line, column,
 * end_line, end_column, json_path, severity, code, message, help. */
ROSTER_API const char *roster_diags_json(const roster_diags *d);
/* How many errors and warnings the last call reported (0 for a NULL d). */
ROSTER_API size_t roster_diags_errors(const roster_diags *d);
ROSTER_API size_t roster_diags_warnings(const roster_diags *d);

/* ---- snapshots ---- */

typedef struct roster_snapshot roster_snapshot;

/* Loads a snapshot folder (schema.json, departments and members as JSON Lines or CSV) or a packed
 * .snap file (docs/snapshot-format.md). A bad snapshot is refused as a whole: ROSTER_ERR_INPUT with
 * every problem found in d; a path that does not exist is ROSTER_ERR_INPUT too (E0613 or E0006). */
ROSTER_API int roster_snapshot_load(roster_snapshot **out, const char *path, roster_diags *d);
ROSTER_API void roster_snapshot_free(roster_snapshot *s);
/* Number of members (0 for NULL). */
ROSTER_API size_t roster_snapshot_members(const roster_snapshot *s);

/* ---- rules ---- */

typedef struct roster_rules roster_rules;

/* Reads, checks and compiles rule files: paths name files, or folders whose *.rule and *.json files
 * are read in name order. The rules are checked against the schema file schema_path, or, when it is
 * NULL, against snap's schema; with snap, department and member ids are checked against it too. At
 * least one of the two is needed (ROSTER_ERR_ARG). When snap's schema is used, snap must outlive
 * the rules. Errors: ROSTER_ERR_INPUT (rule or schema errors, all in d), ROSTER_ERR_IO (a path
 * that cannot be read). Warnings (W0221) come in d on success too. */
ROSTER_API int roster_rules_compile(roster_rules **out, const char *const *paths, size_t npaths,
                                    const char *schema_path, const roster_snapshot *snap,
                                    roster_diags *d);
/* The same for rule text in memory (len bytes, in the text or the JSON form, told apart by the
 * first character): name is what diagnostics call it (NULL: "<text>"). Like a rule file, the text
 * may be up to 8 MiB (E0001). */
ROSTER_API int roster_rules_compile_text(roster_rules **out, const char *name, const char *text,
                                         size_t len, const char *schema_path,
                                         const roster_snapshot *snap, roster_diags *d);
ROSTER_API void roster_rules_free(roster_rules *r);
/* Number of groups, and the id of group i in file order then source order (NULL past the end). */
ROSTER_API size_t roster_rules_count(const roster_rules *r);
ROSTER_API const char *roster_rules_group(const roster_rules *r, size_t i);

/* ---- evaluation ---- */

typedef struct roster_result roster_result;

/* Evaluates every group of rules over snap as of as_of. The result borrows snap, which must outlive
 * it. Errors: ROSTER_ERR_INPUT when the rules read a field snap lacks or has with another type
 * (E0702), ROSTER_ERR_ARG for a NULL argument or a bad date. */
ROSTER_API int roster_evaluate(roster_result **out, const roster_rules *rules,
                               const roster_snapshot *snap, const char *as_of, roster_diags *d);
ROSTER_API void roster_result_free(roster_result *r);
/* The number of members of a group. ROSTER_ERR_NOT_FOUND when the rules have no such group. */
ROSTER_API int roster_result_count(const roster_result *r, const char *group, size_t *count,
                                   roster_diags *d);
/* The member ids of a group, in byte order of the ids (as `roster members` lists them): *ids is a
 * NULL-terminated array of *n strings, freed with one roster_free(*ids). n may be NULL. */
ROSTER_API int roster_result_members(const roster_result *r, const char *group, char ***ids,
                                     size_t *n, roster_diags *d);

/* ---- dry-run and explain ---- */

/* What saving rules would change in the state database at state_path (opened read-only, never
 * written; a file that does not exist means nothing is stored yet), as `roster dry-run` reports it:
 * text for people, or one JSON document. *report is freed with roster_free. Errors:
 * ROSTER_ERR_INPUT (E0702 as roster_evaluate), ROSTER_ERR_IO (the state database cannot be read),
 * ROSTER_ERR_ARG. */
ROSTER_API int roster_dry_run(char **report, const roster_rules *rules, const roster_snapshot *snap,
                              const char *state_path, const char *as_of, roster_format format,
                              roster_diags *d);
/* Why member is in group or not, condition by condition, as `roster dry-run --explain` shows it:
 * text, or one JSON object on one line. rules must have been compiled against snap's schema
 * (schema_path NULL): ROSTER_ERR_ARG otherwise. ROSTER_ERR_NOT_FOUND for a group or member that is
 * not there. *out is freed with roster_free. */
ROSTER_API int roster_explain(char **out, const roster_rules *rules, const roster_snapshot *snap,
                              const char *group, const char *member, const char *as_of,
                              roster_format format, roster_diags *d);

/* ---- field mappings ---- */

typedef struct roster_mapper roster_mapper;

/* Reads and checks a mapping file (docs/mappings.md; its schemas, tables and `extends` are found
 * next to it) and compiles mapping `id` of it, or its first mapping when id is NULL. Errors:
 * ROSTER_ERR_INPUT (mapping errors, a lookup table that cannot be loaded), ROSTER_ERR_IO (the file
 * cannot be read), ROSTER_ERR_NOT_FOUND (no mapping `id`). */
ROSTER_API int roster_mapper_load(roster_mapper **out, const char *path, const char *id,
                                  roster_diags *d);
ROSTER_API void roster_mapper_free(roster_mapper *m);
/* Maps source records, JSON Lines of len bytes (one JSON object a line; blank lines skipped), into
 * what `roster map` prints: one JSON line per record, with its target record or its failures and
 * their reasons. A failed record is data, not an error: the call still returns ROSTER_OK, and
 * *nfailed (which may be NULL) counts them. *out is freed with roster_free. */
ROSTER_API int roster_map(char **out, size_t *nfailed, roster_mapper *m, const char *records,
                          size_t len, roster_diags *d);

#ifdef __cplusplus
}
#endif
#endif
