/* utf8.h: UTF-8 validation and decoding, and Unicode simple case folding (CaseFolding.txt, statuses
 * C and S: one code point to one code point), which is how the rule language compares text. */
#ifndef RS_UTF8_H
#define RS_UTF8_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Decode one code point from s[0..len). Returns its byte length (1..4) and sets *cp, or 0 when the
 * bytes there are not valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated). */
int rs_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Encode cp into out (4 bytes room); returns the length. */
int rs_utf8_encode(uint32_t cp, char *out);
/* Offset of the first invalid byte, or len when all of s is valid UTF-8. */
size_t rs_utf8_validate(const char *s, size_t len);
/* Length of the run of invalid bytes at s (bytes >= 0x80 that start no sequence rs_utf8_decode
 * takes): what one "invalid UTF-8" diagnostic covers. 0 when s starts with a valid character. */
size_t rs_utf8_bad_run(const char *s, size_t len);
/* Number of code points in s[0..len) (invalid bytes count one each). */
size_t rs_utf8_count(const char *s, size_t len);

uint32_t rs_casefold_cp(uint32_t cp);
/* Fold s (valid UTF-8) into a new NUL-terminated string; *out_len gets its length. */
char *rs_casefold(const char *s, size_t len, size_t *out_len);

#endif
