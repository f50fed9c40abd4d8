/* strbuf.c: growable, always NUL-terminated byte buffer. */
#include "common/strbuf.h"
#include "common/util.h"
#include "common/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(rs_sb *sb, size_t extra) {
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need) cap *= 2;
    sb->buf = rs_realloc(sb->buf, cap);
    sb->cap = cap;
}

void rs_sb_put(rs_sb *sb, const char *data, size_t len) {
    reserve(sb, len);
    if (len) memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void rs_sb_puts(rs_sb *sb, const char *s) { rs_sb_put(sb, s, strlen(s)); }

void rs_sb_putc(rs_sb *sb, char c) { rs_sb_put(sb, &c, 1); }

void rs_sb_vprintf(rs_sb *sb, const char *fmt, va_list ap) {
    if (!fmt) return;
    va_list ap2;
    va_copy(ap2, ap);
    char probe[1];
    int n = vsnprintf(probe, sizeof probe, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    reserve(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void rs_sb_printf(rs_sb *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rs_sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

/* Escapes shared by JSON and rule strings; invalid UTF-8 bytes become U+FFFD so the output is
 * always valid UTF-8. */
static void put_escaped(rs_sb *sb, const char *s, size_t len, bool json) {
    rs_sb_putc(sb, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            rs_sb_putc(sb, '\\');
            rs_sb_putc(sb, (char)c);
        } else if (c == '\n') {
            rs_sb_puts(sb, "\\n");
        } else if (c == '\t') {
            rs_sb_puts(sb, "\\t");
        } else if (c == '\r' && json) {
            rs_sb_puts(sb, "\\r");
        } else if (c < 0x20 || c == 0x7f) {
            rs_sb_printf(sb, "\\u%04x", c);
        } else if (c < 0x80) {
            rs_sb_putc(sb, (char)c);
        } else {
            uint32_t cp;
            int n = rs_utf8_decode((const unsigned char *)s + i, len - i, &cp);
            if (n == 0) {
                rs_sb_puts(sb, json ? "\\ufffd" : "\\uFFFD");
                i++;
                continue;
            }
            rs_sb_put(sb, s + i, (size_t)n);
            i += (size_t)n;
            continue;
        }
        i++;
    }
    rs_sb_putc(sb, '"');
}

void rs_sb_json_str(rs_sb *sb, const char *s, size_t len) { put_escaped(sb, s, len, true); }
void rs_sb_rule_str(rs_sb *sb, const char *s, size_t len) { put_escaped(sb, s, len, false); }

void rs_sb_clear(rs_sb *sb) {
    sb->len = 0;
    if (sb->buf) sb->buf[0] = '\0';
}

char *rs_sb_take(rs_sb *sb) {
    char *b = sb->buf ? sb->buf : rs_strdup("");
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return b;
}

void rs_sb_free(rs_sb *sb) {
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

void rs_sb_tsv_cell(rs_sb *sb, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char esc = s[i] == '\t' ? 't' : s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' : s[i] == '\\' ? '\\' : 0;
        if (esc) {
            rs_sb_putc(sb, '\\');
            rs_sb_putc(sb, esc);
        } else {
            rs_sb_putc(sb, s[i]);
        }
    }
}
