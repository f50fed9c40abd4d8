/* snapshot_int.h: private to the snapshot loaders (runtime/snapshot*.c, reader.c, strtab.c, dept.c,
 * jsonl.c, snapfile.c).
 *
 * Loading a folder goes: a reader turns each line (JSONL) or record (CSV) into an rs_record, a
 * format-neutral list of key/value pairs; the loader converts each value to its field's type and
 * appends it to a column builder; string tables are built with a hash while reading and get their
 * sorted index once at the end. Every array a finished snapshot points at is owned by its
 * rs_snap_owner: malloc'd blocks for a folder load, one mapping for a .snap file. */
#ifndef RS_SNAPSHOT_INT_H
#define RS_SNAPSHOT_INT_H
#include <stdio.h>
#include <string.h>
#include "common/util.h"
#include "runtime/snapshot.h"

/* ---- limits (E0616), listed in docs/snapshot-format.md ---- */
#define RS_SNAP_MAX_LINE    (1u << 20)        /* one JSONL line, or one CSV record, in bytes */
#define RS_SNAP_MAX_VALUE   (64u << 10)       /* one string value (text, id, option), in bytes */
#define RS_SNAP_MAX_MULTI   10000u            /* values of one multi-valued field in one record */
#define RS_SNAP_MAX_MEMBERS 100000000u
#define RS_SNAP_MAX_DEPTS   1000000u
#define RS_SNAP_MAX_FIELDS  1000u             /* CSV header cells; JSON keys in one record */
/* Text of one string table (member ids, one field's dictionary): 2 GiB, so that its case-folded twin
 * (at most 3/2 as long) still fits 32-bit offsets. */
#define RS_SNAP_MAX_TABLE_BYTES ((size_t)INT32_MAX)
/* Integers beyond +-2^53 cannot be held exactly by a double and are refused. */
#define RS_SNAP_MAX_EXACT_INT 9007199254740992.0

/* ---- ownership of a finished snapshot's arrays (snapshot_owner.c) ---- */
typedef struct rs_snap_owner {
    void *map;                /* .snap mapping, or NULL */
    size_t maplen;
    void **blocks;            /* malloc'd arrays, freed with the snapshot */
    size_t nblocks, capblocks;
} rs_snap_owner;

void rs_owner_adopt(rs_snap_owner *o, void *block);
void rs_owner_free(rs_snap_owner *o);
/* Builds the snapshot shell around an owner: every column points at its schema field. */
rs_snapshot *rs_snapshot_shell(rs_schema *schema, rs_snap_owner *owner);
/* name_field and status_field from the schema (as snapshot.h defines them). */
void rs_snapshot_find_special(rs_snapshot *s);

/* ---- string tables (strtab.c) ---- */

/* A string table being built: append-only, with an optional hash for interning and lookups. */
typedef struct rs_strbuild {
    uint32_t n, cap;          /* strings; off has room for cap + 1 entries */
    uint32_t *off;
    char *bytes;
    size_t capbytes;
    uint64_t *slots;          /* 0 = free, else (hash << 32) | (index + 1); NULL when not hashed */
    uint32_t mask;            /* slots has mask + 1 entries */
} rs_strbuild;

/* Byte scanners test eight bytes at a time: rs_swar_eq flags (by its high bit) each byte of w that
 * equals c. A flag can be false only above a true one, so the lowest flag is always right, and
 * rs_swar_first turns it into a byte offset (on little-endian machines; others scan byte by byte). */
#define RS_SWAR_ONES 0x0101010101010101u
#define RS_SWAR_HIGHS 0x8080808080808080u
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RS_SWAR 1
#else
#define RS_SWAR 0
#endif
static inline uint64_t rs_swar_eq(uint64_t w, unsigned char c) {
    uint64_t x = w ^ (RS_SWAR_ONES * c);
    return (x - RS_SWAR_ONES) & ~x & RS_SWAR_HIGHS;
}
static inline unsigned rs_swar_first(uint64_t flags) { return (unsigned)__builtin_ctzll(flags) >> 3; }

/* Whether two strings of n bytes are equal: inline and a word at a time, as the strings compared
 * while loading are short and a call to memcmp costs more than the comparison. */
static inline bool rs_same_bytes(const char *a, const char *b, size_t n) {
    uint64_t x, y;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return false;
        }
        memcpy(&x, a + n - 8, 8);   /* the last 8 bytes, overlapping the words compared already */
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

void rs_sbuild_init(rs_strbuild *b, bool hashed);
void rs_sbuild_free(rs_strbuild *b);
/* Appends s (no interning). Returns its index, or RS_NONE when the table would pass
 * RS_SNAP_MAX_TABLE_BYTES of text or RS_NONE - 1 strings. */
uint32_t rs_sbuild_add(rs_strbuild *b, const char *s, size_t len);
/* Index of s in a hashed builder, appending it when absent (*added says which). RS_NONE on limits. */
uint32_t rs_sbuild_intern(rs_strbuild *b, const char *s, size_t len, bool *added);
/* Index of s in a hashed builder, or RS_NONE. */
uint32_t rs_sbuild_lookup(const rs_strbuild *b, const char *s, size_t len);
const char *rs_sbuild_get(const rs_strbuild *b, uint32_t i, size_t *len);
/* Frees the hash (lookups end; the strings stay). */
void rs_sbuild_drop_hash(rs_strbuild *b);
/* Moves the strings into out (arrays adopted by o), builds the sorted index, frees the rest. */
void rs_sbuild_finish(rs_strbuild *b, rs_snap_owner *o, rs_strtab *out);
/* The case-folded twin of a dictionary's raw table (entry i folds raw entry i). When every entry
 * folds to itself the twin shares the raw table's arrays. */
void rs_dict_fold(const rs_strtab *raw, rs_snap_owner *o, rs_strtab *folded);
/* The sorted index of a table: indices ordered by byte-wise string order (shorter prefix first). */
uint32_t *rs_strtab_sort(const rs_strtab *t);
/* For each string k of refs, its index in the finished table t, or RS_NONE: out[k]. Many strings are
 * matched by walking both tables in sorted order, a few by binary searches. */
void rs_strtab_find_all(const rs_strtab *t, const rs_strbuild *refs, uint32_t *out);
/* Byte-wise order of two strings, as the sorted indexes use it. */
int rs_str_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* ---- departments (dept.c) ---- */
typedef struct rs_deptbuild {
    rs_strbuild ids;          /* hashed */
    rs_strbuild names;
    rs_strbuild parent_ids;   /* hashed: parent ids as written, resolved by rs_dept_check */
    uint32_t *parent_ref;     /* per department: index in parent_ids, or RS_NONE for a root */
    uint32_t *lines;          /* per department: its line in the departments file */
    uint32_t n, cap;
    /* filled by rs_dept_check */
    uint32_t *parent, *tin, *tout, *by_tin;
} rs_deptbuild;

void rs_deptbuild_init(rs_deptbuild *b);
void rs_deptbuild_free(rs_deptbuild *b);
/* Adds a department; parent NULL for a root. Returns its index, or RS_NONE for a duplicate id (then
 * *first_line names the first one) or a limit (*first_line = 0). */
uint32_t rs_deptbuild_add(rs_deptbuild *b, const char *id, size_t idlen, const char *parent,
                          size_t plen, const char *name, size_t nlen, uint32_t line,
                          uint32_t *first_line);
/* Resolves parents and checks the tree (E0604 unknown parent, E0605 cycle, E0615 no root), then
 * computes the Euler tour. Returns false when the tree is unusable (errors are in d). */
bool rs_dept_check(rs_deptbuild *b, const char *file, rs_diags *d);
/* Moves the checked tree into out; b is left empty. */
void rs_dept_finish(rs_deptbuild *b, rs_snap_owner *o, rs_departments *out);

/* ---- records: what every reader produces (reader.c) ---- */
typedef enum { RV_NULL, RV_STRING, RV_NUMBER, RV_BOOL, RV_ARRAY, RV_OTHER } rs_rvkind;

/* One value. An RV_ARRAY value at index v is followed by its `len` items at v+1 .. v+len. */
typedef struct rs_rval {
    uint8_t kind;             /* rs_rvkind */
    bool boolean;
    bool inexact;             /* an integer beyond +-2^53 */
    uint32_t len;             /* string bytes, or array items */
    const char *at;           /* where the value starts in the record's text, when the reader knows */
    const char *str;
    double num;
} rs_rval;

typedef struct rs_rkey {
    const char *key;
    uint32_t keylen;
    uint32_t val;             /* index in vals */
} rs_rkey;

typedef struct rs_record {
    uint32_t line;            /* first line of the record */
    bool text_cells;          /* CSV: every value is cell text; multi values are separated by ';' */
    const char *text;         /* the record's source text (for positions in messages) */
    size_t textlen;
    rs_rkey *keys;
    size_t nkeys, capkeys;
    rs_rval *vals;
    size_t nvals, capvals;
} rs_record;

void rs_record_clear(rs_record *r);
void rs_record_free(rs_record *r);

/* Appends a key whose value is the next one appended; returns the key's index. Inline: readers call
 * these once per value, some twenty million times for a large members file. */
static inline uint32_t rs_record_key(rs_record *r, const char *key, size_t len) {
    RS_GROW(r->keys, r->capkeys, r->nkeys + 1);
    rs_rkey *k = &r->keys[r->nkeys];
    k->key = key;
    k->keylen = (uint32_t)len;
    k->val = (uint32_t)r->nvals;
    return (uint32_t)r->nkeys++;
}

/* Appends a zeroed value. The pointer is good until the next value is appended. */
static inline rs_rval *rs_record_val(rs_record *r) {
    RS_GROW(r->vals, r->capvals, r->nvals + 1);
    rs_rval *v = &r->vals[r->nvals++];
    *v = (rs_rval){0};
    return v;
}

/* ---- readers (reader.c; the formats in jsonl.c and snapshot_csv.c) ---- */
typedef enum { RS_REC_OK, RS_REC_BAD, RS_REC_END, RS_REC_STOP } rs_recstat;

typedef struct rs_reader rs_reader;
struct rs_reader {
    const char *file;         /* path, for messages */
    rs_diags *diags;
    FILE *fp;
    char *buf;                /* input buffer: bytes [start, end) not yet consumed */
    size_t cap, start, end;
    bool eof, io_error;
    uint32_t line;            /* line number of the next unread line */
    uint64_t records;
    /* The next record (RS_REC_BAD: a bad record was reported and skipped). */
    rs_recstat (*next)(rs_reader *r, rs_record *rec);
    /* JSONL: parses one line into rec (jsonl.c: the fast parser, or jansson for tests). */
    rs_recstat (*parse_line)(rs_reader *r, const char *line, size_t len, rs_record *rec);
    void *hold;               /* what the parsed record's strings point into (freed at the next one) */
    char *scratch;            /* JSONL fast parser: decoded strings of the current line */
    size_t scratchcap;
    uint64_t handed_over;     /* JSONL fast parser: lines it gave to jansson */
    /* CSV */
    const char *rtext;        /* the current record's text: its line in buf, or acc */
    size_t rtextlen;
    char *acc;                /* a record of several lines, gathered */
    size_t acclen, acccap;
    char *cells;              /* unescaped text of quoted cells */
    size_t cellcap;
    struct rs_csvcell *cellv; /* the cells of the current row */
    size_t capcellv;
    char **header;
    uint32_t *headerlen;
    uint32_t nheader;
};

/* Opens path (E0613 when it cannot be read); next is left for the format to set. */
rs_reader *rs_reader_open(const char *path, rs_diags *d);
/* The same for one format; the CSV reader reads the header row at once (NULL after reporting). */
/* reference: every line through jansson (rs_jsonl_parse_jansson) instead of the fast parser. */
rs_reader *rs_reader_open_jsonl(const char *path, bool reference, rs_diags *d);
rs_reader *rs_reader_open_csv(const char *path, rs_diags *d);
void rs_reader_close(rs_reader *r);
/* The next physical line (without its newline and a trailing CR); false at end of file. Lines past
 * RS_SNAP_MAX_LINE are reported (E0616) and skipped. *lineno gets the line's number. */
bool rs_reader_line(rs_reader *r, const char **line, size_t *len, uint32_t *lineno);
/* 1-based code-point column of byte offset `at` in a line. */
uint32_t rs_text_col(const char *line, size_t at);

/* ---- JSONL line parsers (jsonl.c) ----
 * jansson parses any line and words every syntax error. The fast parser reads the common shape (a
 * flat object of strings, numbers, true/false/null and lists of those) itself and hands every other
 * line to jansson, so both give the same record and the same diagnostics for every line. */
rs_recstat rs_jsonl_parse_jansson(rs_reader *r, const char *line, size_t len, rs_record *rec);
rs_recstat rs_jsonl_parse_fast(rs_reader *r, const char *line, size_t len, rs_record *rec);

/* A number in JSON syntax at the start of some text (CSV cells are read with the same syntax). */
typedef struct rs_jnum {
    size_t len;               /* its bytes; 0 when no number starts there */
    bool neg, integer;        /* integer: no fraction and no exponent */
    int ndigits;              /* digits before the exponent, leading zeros included */
    uint64_t mantissa;        /* those digits as one integer, when ndigits <= 19 */
    int32_t exp10;            /* the value is mantissa * 10^exp10 (saturated far out of range) */
} rs_jnum;
void rs_jnum_scan(const char *s, size_t len, rs_jnum *n);
/* The value when one exact floating-point operation gives it (so correctly rounded, as strtod
 * would): at most 2^53 as mantissa, a power of ten up to 10^22. false otherwise. */
bool rs_jnum_exact(const rs_jnum *n, double *out);

/* ---- the .snap file (snapfile.c; docs/snapshot-format.md) ----
 * A 64-byte header, a table of sections, then the sections, each at an 8-byte aligned offset.
 * Integers are little-endian (the byte order of the machines roster runs on; another order is
 * refused). The checksum covers the header (with checksum = 0), the section table and the schema
 * section (the first one): everything that says how to read the rest. */
#define RS_SNAP_MAGIC "\x89RSNAP\r\n"
#define RS_SNAP_VERSION 2u   /* 2: members-by-value sections */
#define RS_SNAP_BYTE_ORDER 0x01020304u

typedef struct rs_snap_header {
    char magic[8];
    uint32_t version;
    uint32_t byte_order;       /* RS_SNAP_BYTE_ORDER as written by the packing machine */
    uint64_t file_size;
    uint32_t nmembers, ndepts, nfields, nsections;
    int32_t name_field, status_field;
    uint64_t checksum;         /* FNV-1a 64 of the header (this field 0), section table, schema */
    uint64_t reserved;         /* 0 */
} rs_snap_header;

typedef struct rs_snap_section {
    uint16_t tag;              /* rs_sectag */
    uint16_t elem_size;        /* bytes per element */
    uint32_t column;           /* schema field index for per-column sections, else 0 */
    uint64_t offset;           /* from the start of the file, a multiple of 8 */
    uint64_t count;            /* elements */
} rs_snap_section;

_Static_assert(sizeof(rs_snap_header) == 64, "header layout");
_Static_assert(sizeof(rs_snap_section) == 24, "section layout");

/* Section kinds, in file order: the schema, the member ids, the departments, then per field the
 * sections its type needs. A string table is three sections: offsets, bytes, sorted index. */
typedef enum {
    SEC_SCHEMA = 1,            /* schema.json text (declared fields; main_department is implied) */
    SEC_MEMBER_OFF, SEC_MEMBER_BYTES, SEC_MEMBER_SORTED,
    SEC_DEPT_ID_OFF, SEC_DEPT_ID_BYTES, SEC_DEPT_ID_SORTED,
    SEC_DEPT_NAME_OFF, SEC_DEPT_NAME_BYTES, SEC_DEPT_NAME_SORTED,
    SEC_DEPT_PARENT, SEC_DEPT_TIN, SEC_DEPT_TOUT, SEC_DEPT_BY_TIN,
    SEC_COL_EMPTY, SEC_COL_OFFSETS, SEC_COL_CODES, SEC_COL_NUMS, SEC_COL_DAYS,
    SEC_DICT_RAW_OFF, SEC_DICT_RAW_BYTES, SEC_DICT_RAW_SORTED,
    SEC_DICT_FOLD_OFF, SEC_DICT_FOLD_BYTES, SEC_DICT_FOLD_SORTED,
    SEC_REV_OFF, SEC_REV,
    SEC_POST_COUNT, SEC_POST_OFF, SEC_POST_BYTES,   /* members by value (docs/snapshot-format.md) */
    SEC_COUNT
} rs_sectag;

uint64_t rs_snap_checksum(const void *header, const void *table, size_t table_bytes, const void *schema,
                          size_t schema_bytes);
rs_snapshot *rs_snapfile_load(const char *path, rs_diags *d);

#endif
