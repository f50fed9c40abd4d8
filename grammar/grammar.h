/* grammar.h: the public face of grammar/: rule text or rule JSON in, ast_file out; and back out as
 * canonical text or JSON.
 *
 * Both readers report every error they can find into diags (with recovery) and return the AST of
 * what they understood, or NULL when nothing usable was read. A returned AST may still hold errors
 * reported in diags: callers check rs_diags_has_errors before going further. */
#ifndef RS_GRAMMAR_H
#define RS_GRAMMAR_H
#include "grammar/ast.h"
#include "grammar/map_ast.h"
#include "common/strbuf.h"

/* Text form (spec section 2). */
ast_file *rs_parse_text(const rs_source *src, rs_diags *diags);
/* JSON form: one group object, or an array of them, or {"groups": [...]}. The `match` (and `where`)
 * strings go through the text grammar; their spans point inside the JSON string. */
ast_file *rs_parse_json(rs_source *src, rs_diags *diags);
/* Picks the form by content: a first non-blank byte of '{' or '[' means JSON. */
ast_file *rs_parse_any(rs_source *src, rs_diags *diags);

/* Canonical text: lower-case keywords, two-space indent, one item a line in the order name,
 * departments, conditions (by number), match, where, allow, block; parentheses only where `and`
 * and `or` meet or the grouping needs them. */
void rs_fmt_text(const ast_file *f, rs_sb *out);
/* Canonical JSON, the admin-console form: one group object a line for one group, else an array. */
void rs_fmt_json(const ast_file *f, rs_sb *out);

/* Mapping files (spec section 4): one or more `mapping "id" { ... }` forms, read by the same
 * scanner and grammar. Same error contract as rs_parse_text. */
ast_mapfile *rs_parse_mapping(const rs_source *src, rs_diags *diags);
/* Canonical text of a mapping file: lower-case keywords, the `source`, `target`, `extends` and
 * `table` lines first, then one mapping line each with kind and target aligned in columns, minimal
 * parentheses, lower-case function names; whole-line comments kept in front of what follows. */
void rs_fmt_mapping(const ast_mapfile *f, rs_sb *out);

#endif
