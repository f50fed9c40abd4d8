/* snapshot.h: an organisation's members and departments in columnar form (spec section 1).
 *
 * A snapshot is immutable once loaded. It comes from a folder (schema.json, departments.jsonl|csv,
 * members.jsonl|csv) or from a packed .snap file that is mmap'd: every array below is then a view
 * into the mapping, so the column layout is also the file layout (docs/snapshot-format.md).
 *
 * Members and departments are numbered 0..n-1 in file order. Member ids and department ids are
 * case-sensitive. A bad snapshot is refused as a whole: the loaders return NULL and every problem
 * found (up to diags->max_errors) is in diags with its file, line and field. */
#ifndef RS_SNAPSHOT_H
#define RS_SNAPSHOT_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "common/schema.h"
#include "common/diag.h"

#define RS_NONE UINT32_MAX

/* A list of strings: string i is bytes[off[i] .. off[i+1]). */
typedef struct rs_strtab {
    uint32_t n;
    const uint32_t *off;       /* n + 1 entries */
    const char *bytes;
    const uint32_t *sorted;    /* the n indices ordered by byte-wise string order (for lookups) */
} rs_strtab;

/* Dictionary of a text column: each distinct value once, with its case-folded form. */
typedef struct rs_dict {
    rs_strtab raw;             /* as written; raw.sorted orders by raw bytes */
    rs_strtab folded;          /* folded form of entry i at index i; folded.sorted orders by folded bytes */
} rs_dict;

/* One column per schema field, member-indexed.
 * Values: single-valued columns hold value i at index i; multi-valued columns hold member i's values
 * at [offsets[i], offsets[i+1]). The value array used depends on the type:
 *   text: codes (dict code)      option: codes (index in field->options)   bool: codes (0/1)
 *   personnel: codes (member index)   department: codes (department index)
 *   number: nums                  date: days (day numbers)
 * An empty value (missing, null, "", []) has its bit set in `empty`; for single-valued columns its
 * slot holds 0 and must not be read. */
typedef struct rs_column {
    const rs_field *field;     /* borrowed from the snapshot's schema */
    const uint32_t *offsets;   /* multi only (n + 1 entries), else NULL */
    uint32_t nvalues;          /* number of entries in the value array */
    const uint32_t *codes;
    const double *nums;
    const int32_t *days;
    const uint64_t *empty;     /* (n + 63) / 64 words, least-significant bit first */
    rs_dict dict;              /* text columns only */
    /* personnel columns: who points at member j: rev[rev_off[j] .. rev_off[j+1]) */
    const uint32_t *rev_off, *rev;
    /* Members by value, so that a test few members pass costs what it matches (the VM's selective
     * tests). Written by rs_snapshot_pack for option, bool and department columns, and text columns
     * of at most one distinct value per RS_POST_TEXT members (job titles, not names); NULL for a
     * folder load and for other columns.
     * post_count[c] members hold code c (post_codes entries). When at most one member in
     * RS_POST_RARE does, they are stored ascending in post_bytes[post_off[c] .. post_off[c+1]) as
     * LEB128 gaps (member - previous - 1, the previous of the first being -1); otherwise that range
     * is empty. The loader checks the offsets, not the gaps: a reader decodes at most post_count[c]
     * members inside the range and stops at one >= nmembers (rs_post_decode does). */
    const uint32_t *post_count, *post_off;
    const uint8_t *post_bytes;
    uint32_t post_codes;
} rs_column;

#define RS_POST_RARE 16u
#define RS_POST_TEXT 64u

typedef struct rs_departments {
    uint32_t n;
    rs_strtab ids;
    rs_strtab names;
    const uint32_t *parent;    /* RS_NONE for a root */
    /* Euler tour: d's subtree is every department e with tin[d] <= tin[e] < tout[d]. */
    const uint32_t *tin, *tout;
    const uint32_t *by_tin;    /* department at each tour position */
} rs_departments;

typedef struct rs_snapshot {
    rs_schema *schema;         /* owned; includes id, department, main_department */
    uint32_t nmembers;
    rs_strtab member_ids;
    rs_column *columns;        /* schema->nfields entries, in schema order; `id` has no values */
    rs_departments depts;
    int name_field;            /* index of a text field "name" for display, or -1 */
    int status_field;          /* index of the option field "status", or -1 */
    void *owner;               /* private: memory or mapping that backs the arrays */
} rs_snapshot;

typedef struct rs_load_opts {
    bool progress;             /* progress lines on stderr (the CLI sets it when stderr is a tty) */
    bool reference_jsonl;      /* parse JSON Lines with jansson alone, not the fast parser: the tests
                                * compare whole loads both ways */
} rs_load_opts;

/* Loads a folder or a .snap file (chosen by what path is). */
rs_snapshot *rs_snapshot_load(const char *path, const rs_load_opts *opts, rs_diags *diags);
/* Writes a packed .snap file (atomically). Returns 0 or -1 with a diagnostic. */
int rs_snapshot_pack(const rs_snapshot *s, const char *out_path, rs_diags *diags);
void rs_snapshot_free(rs_snapshot *s);

/* Lookups by id (binary search on the sorted index): index or RS_NONE. */
uint32_t rs_snapshot_member(const rs_snapshot *s, const char *id, size_t len);
uint32_t rs_snapshot_department(const rs_snapshot *s, const char *id, size_t len);
/* String i of a table (not NUL-terminated: use *len). */
const char *rs_strtab_get(const rs_strtab *t, uint32_t i, size_t *len);
/* Index of an exact string, or RS_NONE. */
uint32_t rs_strtab_find(const rs_strtab *t, const char *s, size_t len);
/* Number of codes a code column's values range over: dictionary entries (text), options, 2 (bool),
 * members (personnel), departments; 0 for other columns and for `id`. */
uint32_t rs_column_code_space(const rs_snapshot *s, const rs_column *c);
/* The members holding code c of a column with postings, ascending, into out (room for
 * c->post_count[c] entries); returns how many were written. Nothing when c's list is not stored. */
uint32_t rs_post_decode(const rs_snapshot *s, const rs_column *col, uint32_t c, uint32_t *out);

/* The id checker callbacks (common/idset.h) backed by this snapshot. */
struct rs_idset;
void rs_snapshot_idset(const rs_snapshot *s, struct rs_idset *out);

#endif
