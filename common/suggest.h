/* suggest.h: "did you mean ...?" for every diagnostic that names something unknown (fields,
 * options, JSON keys, functions, target fields): one distance, one nearest-name search. */
#ifndef RS_SUGGEST_H
#define RS_SUGGEST_H
#include <stddef.h>

/* Edits between a and b, counting an insertion, a deletion, a substitution or a swap of two
 * neighbouring bytes as one (optimal string alignment); ASCII case is ignored, so "levle" is one
 * edit from "Level". Strings over 64 bytes are too far from anything (SIZE_MAX). */
size_t rs_edit_distance(const char *a, size_t la, const char *b, size_t lb);

/* The names[i] nearest to name, within max_dist edits (0: a third of name's length, at least
 * one), or NULL. The first of equally near names wins. */
const char *rs_nearest(const char *name, size_t len, const char *const *names, size_t n,
                       size_t max_dist);

#endif
