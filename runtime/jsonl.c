/* jsonl.c: JSON Lines files (departments.jsonl, members.jsonl): one JSON object a line, each turned
 * into an rs_record.
 *
 * Two line parsers produce the records. jansson is the reference: it reads any JSON and words every
 * syntax error. The fast parser reads the shape these files have, a flat object whose values are
 * strings, numbers, true/false/null or lists of those, straight from the reader's buffer: strings
 * without escapes point into the line, strings with escapes are decoded into one scratch buffer per
 * line, and nothing is allocated per value. Whenever it meets anything else (a syntax error, a list
 * or object inside a list, an object value, \u0000 or a lone surrogate, an integer of more than 18
 * digits, a decimal that one exact floating-point operation cannot convert, a repeated key, more
 * than 64 keys) it hands the whole line to jansson, which decides. So for every line both parsers
 * give the same record and the same diagnostics by construction; tests/check_jsonl.c compares them
 * on many generated and hand-written lines. */
#include <float.h>
#include <jansson.h>
#include <string.h>
#include "common/utf8.h"
#include "common/util.h"
#include "runtime/snapshot_int.h"

/* ---- numbers ---- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits from s[i], appended to n->mantissa while it has room; returns the index past them. */
static size_t scan_digits(const char *s, size_t len, size_t i, rs_jnum *n) {
    for (; i < len && is_digit(s[i]); i++) {
        if (++n->ndigits <= 19) n->mantissa = n->mantissa * 10 + (uint64_t)(s[i] - '0');
    }
    return i;
}

/* The exponent after 'e': its digits from s[i] (a sign first), saturated so it cannot overflow. */
static size_t scan_exponent(const char *s, size_t len, size_t i, int32_t *exp10) {
    bool neg = i < len && s[i] == '-';
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    if (i == len || !is_digit(s[i])) return 0;
    int32_t e = 0;
    for (; i < len && is_digit(s[i]); i++) e = e > 100000 ? e : e * 10 + (s[i] - '0');
    *exp10 = neg ? -e : e;
    return i;
}

void rs_jnum_scan(const char *s, size_t len, rs_jnum *n) {
    *n = (rs_jnum){.integer = true};
    size_t i = 0;
    n->neg = len > 0 && s[0] == '-';
    i += n->neg;
    if (i == len || !is_digit(s[i])) return;
    if (s[i] == '0') {
        n->ndigits = 1;
        i++;
    } else {
        i = scan_digits(s, len, i, n);
    }
    int32_t frac = 0, e = 0;
    if (i < len && s[i] == '.') {
        if (i + 1 == len || !is_digit(s[i + 1])) return;
        size_t start = i + 1;
        i = scan_digits(s, len, start, n);
        frac = (int32_t)(i - start > 100000 ? 100000 : i - start);
        n->integer = false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i = scan_exponent(s, len, i + 1, &e);
        if (i == 0) return;
        n->integer = false;
    }
    n->exp10 = e - frac;
    n->len = i;
}

bool rs_jnum_exact(const rs_jnum *n, double *out) {
    if (n->ndigits > 19) return false;
    if (n->mantissa == 0) {   /* 0e400 is 0 too */
        *out = n->neg ? -0.0 : 0.0;
        return true;
    }
#if FLT_EVAL_METHOD != 0
    return false;   /* extended-precision arithmetic would round twice */
#else
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (n->mantissa > (1ull << 53) || n->exp10 < -22 || n->exp10 > 22) return false;
    double v = (double)n->mantissa;
    v = n->exp10 >= 0 ? v * pow10[n->exp10] : v / pow10[-n->exp10];
    *out = n->neg ? -v : v;
    return true;
#endif
}

/* ---- jansson, the reference parser ---- */

static void json_value(rs_record *rec, json_t *v, bool top) {
    rs_rval *rv = rs_record_val(rec);
    switch (json_typeof(v)) {
    case JSON_STRING:
        rv->kind = RV_STRING;
        rv->str = json_string_value(v);
        rv->len = (uint32_t)json_string_length(v);
        break;
    case JSON_INTEGER:
        rv->kind = RV_NUMBER;
        /* compared as integers: 2^53 + 1 would round to 2^53 as a double */
        rv->inexact = json_integer_value(v) > (json_int_t)RS_SNAP_MAX_EXACT_INT ||
                      json_integer_value(v) < -(json_int_t)RS_SNAP_MAX_EXACT_INT;
        rv->num = (double)json_integer_value(v);
        break;
    case JSON_REAL:
        rv->kind = RV_NUMBER;
        rv->num = json_real_value(v);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        rv->kind = RV_BOOL;
        rv->boolean = json_is_true(v);
        break;
    case JSON_NULL: rv->kind = RV_NULL; break;
    case JSON_ARRAY:
        if (!top) {
            rv->kind = RV_OTHER;
            break;
        }
        rv->kind = RV_ARRAY;
        rv->len = (uint32_t)json_array_size(v);
        for (size_t i = 0; i < json_array_size(v); i++) json_value(rec, json_array_get(v, i), false);
        break;
    default: rv->kind = RV_OTHER; break;
    }
}

rs_recstat rs_jsonl_parse_jansson(rs_reader *r, const char *line, size_t len, rs_record *rec) {
    json_decref(r->hold);
    r->hold = NULL;
    json_error_t err;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        rs_diag_file(r->diags, RS_E_SNAP_SYNTAX, r->file, rec->line, err.column > 0 ? (uint32_t)err.column : 0,
                     "invalid JSON: %s", err.text);
        return RS_REC_BAD;
    }
    r->hold = root;
    if (!json_is_object(root)) {
        rs_diag *dg = rs_diag_file(r->diags, RS_E_SNAP_SYNTAX, r->file, rec->line, 1,
                                   "expected a JSON object, found a JSON %s",
                                   json_is_array(root) ? "array" : "value");
        rs_diag_help(dg, "each line holds one record: {\"id\": \"u1\", ...}");
        return RS_REC_BAD;
    }
    if (json_object_size(root) > RS_SNAP_MAX_FIELDS) {
        rs_diag_file(r->diags, RS_E_SNAP_TOO_LARGE, r->file, rec->line, 0,
                     "record with more than %u keys", RS_SNAP_MAX_FIELDS);
        return RS_REC_BAD;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        rs_record_key(rec, key, strlen(key));
        json_value(rec, v, true);
    }
    return RS_REC_OK;
}

/* ---- the fast parser ---- */

#define FAST_MAX_KEYS 64

typedef struct fast {
    const char *p, *end;
    char *out;                /* next free byte of the reader's scratch */
    rs_record *rec;
    uint64_t key_hashes;      /* one bit per 6-bit key hash seen in this object */
} fast;

static void skip_ws(fast *f) {
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\r' || *f->p == '\n')) f->p++;
}

/* The next byte, or -1 at the end of the line. */
static int peek(const fast *f) { return f->p < f->end ? (unsigned char)*f->p : -1; }

static bool plain_byte(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

/* The first byte from p that ends a run of plain string bytes: a quote, a backslash, a control
 * character or a non-ASCII byte, eight bytes at a time (snapshot_int.h, rs_swar_eq). */
static const char *plain_run(const char *p, const char *end) {
#if RS_SWAR
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t control = (w - RS_SWAR_ONES * 0x20) & ~w & RS_SWAR_HIGHS;
        uint64_t flags = rs_swar_eq(w, '"') | rs_swar_eq(w, '\\') | control | (w & RS_SWAR_HIGHS);
        if (flags) return p + rs_swar_first(flags);
        p += 8;
    }
#endif
    while (p < end && plain_byte((unsigned char)*p)) p++;
    return p;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits as a number, or -1. */
static int hex4(const char *p) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* \uXXXX at f->p, or a surrogate pair, written as UTF-8. \u0000 and lone surrogates are left to
 * jansson (which refuses them). */
static bool unescape_u(fast *f) {
    if (f->end - f->p < 6) return false;
    int cp = hex4(f->p + 2);
    if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
    f->p += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (f->end - f->p < 6 || f->p[0] != '\\' || f->p[1] != 'u') return false;
        int lo = hex4(f->p + 2);
        if (lo < 0xDC00 || lo > 0xDFFF) return false;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        f->p += 6;
    }
    f->out += rs_utf8_encode((uint32_t)cp, f->out);
    return true;
}

/* One escape at f->p (a backslash), decoded to f->out. */
static bool unescape(fast *f) {
    if (f->end - f->p < 2) return false;
    char c = f->p[1];
    switch (c) {
    case '"':
    case '\\':
    case '/': break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': return unescape_u(f);
    default: return false;
    }
    *f->out++ = c;
    f->p += 2;
    return true;
}

/* The string at f->p (its opening quote). It points into the line until an escape is met; from
 * then on it is decoded into the scratch buffer, which has room for the whole line since no
 * decoded string is longer than its JSON spelling. */
static bool read_string(fast *f, const char **s, uint32_t *len) {
    const char *start = ++f->p;
    char *decoded = NULL;
    for (;;) {
        const char *q = plain_run(f->p, f->end);
        if (decoded) {
            memcpy(f->out, f->p, (size_t)(q - f->p));
            f->out += q - f->p;
        }
        f->p = q;
        if (q == f->end) return false;
        unsigned char c = (unsigned char)*q;
        if (c == '"') break;
        if (c >= 0x80) {
            uint32_t cp;
            int n = rs_utf8_decode((const unsigned char *)q, (size_t)(f->end - q), &cp);
            if (n == 0) return false;
            if (decoded) {
                memcpy(f->out, q, (size_t)n);
                f->out += n;
            }
            f->p += n;
            continue;
        }
        if (c != '\\') return false;   /* a control character */
        if (!decoded) {
            decoded = f->out;
            memcpy(f->out, start, (size_t)(q - start));
            f->out += q - start;
        }
        if (!unescape(f)) return false;
    }
    f->p++;   /* the closing quote */
    *s = decoded ? decoded : start;
    *len = (uint32_t)(decoded ? f->out - decoded : f->p - 1 - start);
    return true;
}

static bool read_literal(fast *f, const char *word, size_t n) {
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0) return false;
    f->p += n;
    return true;
}

/* Integers as jansson reads them (a 64-bit integer, then a double); decimals when exact. */
static bool read_number(fast *f, rs_rval *v) {
    rs_jnum n;
    rs_jnum_scan(f->p, (size_t)(f->end - f->p), &n);
    if (n.len == 0) return false;
    if (n.integer) {
        if (n.ndigits > 18) return false;   /* may pass 64 bits: jansson decides */
        int64_t i = n.neg ? -(int64_t)n.mantissa : (int64_t)n.mantissa;
        v->num = (double)i;
        v->inexact = i > (int64_t)RS_SNAP_MAX_EXACT_INT || i < -(int64_t)RS_SNAP_MAX_EXACT_INT;
    } else if (!rs_jnum_exact(&n, &v->num)) {
        return false;
    }
    v->kind = RV_NUMBER;
    f->p += n.len;
    return true;
}

/* A string, number, true, false or null. */
static bool read_scalar(fast *f) {
    rs_rval *v = rs_record_val(f->rec);
    switch (peek(f)) {
    case '"':
        v->kind = RV_STRING;
        return read_string(f, &v->str, &v->len);
    case 't':
        v->kind = RV_BOOL;
        v->boolean = true;
        return read_literal(f, "true", 4);
    case 'f':
        v->kind = RV_BOOL;
        return read_literal(f, "false", 5);
    case 'n':
        v->kind = RV_NULL;
        return read_literal(f, "null", 4);
    default: return read_number(f, v);
    }
}

/* A list of scalars: the list value, then its items. */
static bool read_list(fast *f) {
    size_t at = f->rec->nvals;
    rs_record_val(f->rec)->kind = RV_ARRAY;
    f->p++;
    skip_ws(f);
    uint32_t n = 0;
    if (peek(f) == ']') {
        f->p++;
        return true;
    }
    for (;;) {
        if (!read_scalar(f)) return false;
        n++;
        skip_ws(f);
        int c = peek(f);
        f->p++;
        if (c == ']') break;
        if (c != ',') return false;
        skip_ws(f);
    }
    f->rec->vals[at].len = n;
    return true;
}

/* Six bits from a key's length and its first, middle and last bytes: cheap, and the keys of one
 * object seldom agree on all four. */
static unsigned key_hash(const char *k, uint32_t len) {
    const unsigned char *u = (const unsigned char *)k;
    uint64_t h = len;
    if (len) h |= (uint64_t)u[0] << 32 | (uint64_t)u[len / 2] << 40 | (uint64_t)u[len - 1] << 48;
    return (unsigned)((h * 0x9E3779B97F4A7C15u) >> 58);
}

/* A key already in this object (jansson refuses those, so the line goes to it). */
static bool key_repeated(fast *f, const char *k, uint32_t len) {
    uint64_t bit = 1ull << key_hash(k, len);
    if (!(f->key_hashes & bit)) {
        f->key_hashes |= bit;
        return false;
    }
    for (size_t i = 0; i < f->rec->nkeys; i++)
        if (f->rec->keys[i].keylen == len && memcmp(f->rec->keys[i].key, k, len) == 0) return true;
    return false;
}

static bool read_member(fast *f) {
    const char *k;
    uint32_t klen;
    if (peek(f) != '"' || !read_string(f, &k, &klen) || key_repeated(f, k, klen)) return false;
    if (f->rec->nkeys == FAST_MAX_KEYS) return false;
    rs_record_key(f->rec, k, klen);
    skip_ws(f);
    if (peek(f) != ':') return false;
    f->p++;
    skip_ws(f);
    return peek(f) == '[' ? read_list(f) : read_scalar(f);
}

static bool read_object(fast *f) {
    skip_ws(f);
    if (peek(f) != '{') return false;
    f->p++;
    skip_ws(f);
    if (peek(f) == '}') {
        f->p++;
    } else {
        for (;;) {
            if (!read_member(f)) return false;
            skip_ws(f);
            int c = peek(f);
            f->p++;
            if (c == '}') break;
            if (c != ',') return false;
            skip_ws(f);
        }
    }
    skip_ws(f);
    return f->p == f->end;
}

rs_recstat rs_jsonl_parse_fast(rs_reader *r, const char *line, size_t len, rs_record *rec) {
    json_decref(r->hold);   /* the tree of an earlier line jansson parsed */
    r->hold = NULL;
    if (r->scratchcap < len + 1) {
        free(r->scratch);
        r->scratchcap = len + 1 > 4096 ? len + 1 : 4096;
        r->scratch = rs_malloc(r->scratchcap);
    }
    fast f = {line, line + len, r->scratch, rec, 0};
    if (read_object(&f)) return RS_REC_OK;
    r->handed_over++;
    rec->nkeys = rec->nvals = 0;
    return rs_jsonl_parse_jansson(r, line, len, rec);
}


/* ---- the reader ---- */

static bool blank(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return false;
    return true;
}

static rs_recstat jsonl_next(rs_reader *r, rs_record *rec) {
    const char *line;
    size_t len;
    uint32_t no;
    while (rs_reader_line(r, &line, &len, &no)) {
        if (blank(line, len)) continue;
        rs_record_clear(rec);
        rec->line = no;
        rec->text = line;
        rec->textlen = len;
        r->records++;
        return r->parse_line(r, line, len, rec);
    }
    return r->io_error ? RS_REC_STOP : RS_REC_END;
}

rs_reader *rs_reader_open_jsonl(const char *path, bool reference, rs_diags *d) {
    rs_reader *r = rs_reader_open(path, d);
    if (!r) return NULL;
    r->next = jsonl_next;
    r->parse_line = reference ? rs_jsonl_parse_jansson : rs_jsonl_parse_fast;
    return r;
}
