/* strbuf.h: a growable byte buffer, always NUL-terminated. */
#ifndef RS_STRBUF_H
#define RS_STRBUF_H
#include <stddef.h>
#include <stdarg.h>

typedef struct rs_sb {
    char *buf;  /* NUL-terminated; NULL until the first append */
    size_t len, cap;
} rs_sb;

void rs_sb_put(rs_sb *sb, const char *data, size_t len);
void rs_sb_puts(rs_sb *sb, const char *s);
void rs_sb_putc(rs_sb *sb, char c);
void rs_sb_printf(rs_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rs_sb_vprintf(rs_sb *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Append s as a JSON string literal, quotes included (escapes ", \\, control characters). */
void rs_sb_json_str(rs_sb *sb, const char *s, size_t len);
/* Append s as a rule-language string literal, quotes included (\" \\ \n \t \uXXXX escapes). */
void rs_sb_rule_str(rs_sb *sb, const char *s, size_t len);
/* Append s as one cell of a tab-separated table: \t, \n, \r and \\ are written as those two-character
 * escapes, so a value never shifts the columns or rows after it. */
void rs_sb_tsv_cell(rs_sb *sb, const char *s, size_t len);
void rs_sb_clear(rs_sb *sb);          /* len = 0, keeps memory */
char *rs_sb_take(rs_sb *sb);          /* hands the buffer to the caller ("" when empty) */
void rs_sb_free(rs_sb *sb);

#endif
