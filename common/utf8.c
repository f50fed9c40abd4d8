/* utf8.c: strict UTF-8 decoding and Unicode simple case folding. */
#include "common/utf8.h"
#include "common/util.h"
#include <string.h>
#include "casefold_table.h"

int rs_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp) {
    if (len == 0) return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    int n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) { n = 2; v = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 3; v = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)n > len) return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

int rs_utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t rs_utf8_validate(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) { i++; continue; }
        uint32_t cp;
        int n = rs_utf8_decode(u + i, len - i, &cp);
        if (n == 0) return i;
        i += (size_t)n;
    }
    return len;
}

size_t rs_utf8_bad_run(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    uint32_t cp;
    while (n < len && u[n] >= 0x80 && rs_utf8_decode(u + n, len - n, &cp) == 0) n++;
    return n;
}

size_t rs_utf8_count(const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t count = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        int n = u[i] < 0x80 ? 1 : rs_utf8_decode(u + i, len - i, &cp);
        i += n ? (size_t)n : 1;
        count++;
    }
    return count;
}

uint32_t rs_casefold_cp(uint32_t cp) {
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    size_t lo = 0, hi = RS_ARRAY_LEN(rs_casefold_table);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rs_casefold_table[mid][0] < cp) lo = mid + 1;
        else hi = mid;
    }
    if (lo < RS_ARRAY_LEN(rs_casefold_table) && rs_casefold_table[lo][0] == cp)
        return rs_casefold_table[lo][1];
    return cp;
}

char *rs_casefold(const char *s, size_t len, size_t *out_len) {
    /* Simple folding can change a code point's encoded length (e.g. U+212A KELVIN, 3 bytes, folds
     * to 'k', 1 byte), but never beyond 4 bytes per code point. */
    char *out = rs_malloc(len * 2 + 4 + 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            out[o++] = (char)((u[i] >= 'A' && u[i] <= 'Z') ? u[i] + 32 : u[i]);
            i++;
            continue;
        }
        uint32_t cp;
        int n = rs_utf8_decode(u + i, len - i, &cp);
        if (n == 0) {  /* keep invalid bytes as they are: folding never hides a difference */
            out[o++] = (char)u[i++];
            continue;
        }
        o += (size_t)rs_utf8_encode(rs_casefold_cp(cp), out + o);
        i += (size_t)n;
    }
    out[o] = '\0';
    if (out_len) *out_len = o;
    return out;
}
