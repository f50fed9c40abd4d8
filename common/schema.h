/* schema.h: the snapshot schema (spec section 1), shared by the checker and the runtime.
 * `id`, `department` and `main_department` always exist: the loader adds them when schema.json does
 * not declare them (`id` text, `department` multi department, `main_department` derived, single). */
#ifndef RS_SCHEMA_H
#define RS_SCHEMA_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "common/diag.h"

#define RS_FIELD_TYPES(X)                                                              \
    X(TEXT, "text") X(OPTION, "option") X(NUMBER, "number") X(DATE, "date")              \
    X(PERSONNEL, "personnel") X(DEPARTMENT, "department") X(BOOL, "bool")

typedef enum {
#define X(name, str) RS_T_##name,
    RS_FIELD_TYPES(X)
#undef X
    RS_T_COUNT
} rs_type;

const char *rs_type_name(rs_type t);

typedef struct rs_field {
    char *name;
    rs_type type;
    bool multi;
    bool derived;        /* main_department: computed from department, never read from a record */
    char **options;      /* option fields: the declared values, in declaration order */
    size_t noptions;
} rs_field;

typedef struct rs_schema {
    rs_field *fields;
    size_t nfields;
} rs_schema;

/* Load schema.json. Errors go to diags (code E0612, with line:column where jansson knows it).
 * Returns NULL when the schema is unusable. */
rs_schema *rs_schema_load(const char *path, rs_diags *diags);
/* The same from text already in memory (name is used in messages). */
rs_schema *rs_schema_parse(const char *name, const char *text, size_t len, rs_diags *diags);
void rs_schema_free(rs_schema *s);

/* Field by name (exact, case-sensitive), or NULL. */
const rs_field *rs_schema_field(const rs_schema *s, const char *name);
/* Index of a field, or -1. */
int rs_schema_index(const rs_schema *s, const char *name);
/* The declared option whose case-folded form equals value's, or -1. */
int rs_field_option(const rs_field *f, const char *value, size_t len);
/* The field name closest to `name` (edit distance, at most a third of its length), or NULL. */
const char *rs_schema_suggest(const rs_schema *s, const char *name);

#endif
