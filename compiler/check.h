/* check.h: name and type checks of parsed groups against a schema (spec section 3, last list), and
 * optionally against the department and member ids of a snapshot.
 *
 * The checker never changes the AST; it fills an rs_checked side table the compiler and the reference
 * evaluator read: for every condition, the schema field it names and its values converted to the
 * field's type. */
#ifndef RS_CHECK_H
#define RS_CHECK_H
#include "grammar/ast.h"
#include "common/idset.h"
#include "common/schema.h"

/* A condition's value after checking, in the field's terms. */
typedef struct rs_cvalue {
    const char *str; size_t len;  /* text/option (as written), personnel/department ids */
    double num;                   /* number; bool as 0/1 */
    int32_t day;                  /* date: day number, or offset from today when is_today */
    bool is_today;
    int option;                   /* option fields: index in the declared list */
} rs_cvalue;

typedef struct rs_ccond {
    const ast_cond *ast;
    const rs_field *field;        /* NULL when the field is unknown (an error was reported) */
    int field_index;              /* index in the schema, -1 when unknown */
    rs_cvalue *values;            /* ast->nvalues entries */
    bool ok;                      /* no error on this condition */
} rs_ccond;

typedef struct rs_cgroup {
    const ast_group *ast;
    rs_ccond *conds;              /* ast->nconds entries, in the same order */
    rs_ccond **where_conds;       /* conditions met walking `where` left to right */
    size_t nwhere;
    bool ok;
} rs_cgroup;

typedef struct rs_checked {
    const ast_file *const *files; /* borrowed */
    size_t nfiles;
    const rs_schema *schema;      /* borrowed */
    rs_cgroup *groups;            /* every group of every file, file order then source order */
    size_t ngroups;
} rs_checked;

/* Checks all groups of all files together (duplicate ids and names are found across files). ids may
 * be NULL. Always returns a table (free with rs_checked_free); errors are in diags. */
rs_checked *rs_check(const ast_file *const *files, size_t nfiles, const rs_schema *schema,
                     const rs_idset *ids, rs_diags *diags);
void rs_checked_free(rs_checked *c);

/* The checked condition for a `where` condition node (NULL if not found). */
const rs_ccond *rs_checked_cond(const rs_cgroup *g, const ast_cond *c);

#endif
