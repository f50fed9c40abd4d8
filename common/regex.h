/* regex.h: regular expressions for mapping functions, matched in time linear in the input (RE2's
 * automata: no backtracking, so no pattern can make a record take exponential time). Syntax: RE2's
 * (Perl-like, without backreferences or lookaround), UTF-8. A replacement names groups \0..\9 and
 * writes a backslash as \\.
 *
 * Ownership: rs_regex_new's result is freed by rs_regex_free (NULL accepted). */
#ifndef RS_REGEX_H
#define RS_REGEX_H
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rs_regex rs_regex;

/* NULL when the pattern is invalid, with the reason in err (NUL-terminated, errlen bytes room). */
rs_regex *rs_regex_new(const char *pattern, size_t len, char *err, size_t errlen);
void rs_regex_free(rs_regex *re);
/* Whether rewrite only names groups the pattern has; the reason in err when not. */
bool rs_regex_check_rewrite(const rs_regex *re, const char *rewrite, size_t len, char *err,
                            size_t errlen);
/* Every non-overlapping match of re in s replaced by rewrite; malloc'd, NUL-terminated, its
 * length in *out_len. */
char *rs_regex_replace(const rs_regex *re, const char *s, size_t len, const char *rewrite,
                       size_t rlen, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
