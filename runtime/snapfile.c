/* snapfile.c: packed .snap files (docs/snapshot-format.md).
 *
 * Packing writes every array of a snapshot as one section, in an order that depends only on the
 * schema, so the loader knows which section comes next and what its element size is. Loading maps
 * the file read-only and points the snapshot's arrays into the mapping: no array is copied and no
 * per-member structure is built. What a loader must not trust is checked first: the header, the
 * checksum of the header and section table, each section's place and length, then one linear pass
 * over the arrays (offsets monotonic, codes below their dictionary's size, indices below n, a
 * consistent Euler tour), so that nothing that reads the snapshot later can step out of bounds.
 *
 * After the sections the schema implies, a file may carry the members-by-value postings of its code
 * columns (snapshot.h, rs_column.post_*): three sections per column that has them. They depend only
 * on the snapshot, so packing builds them once and every run that maps the file reads them instead
 * of sorting members by value again. A file without them loads as before. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/util.h"
#include "runtime/bitmap.h"
#include "runtime/snapshot_int.h"

static uint64_t fnv1a(uint64_t x, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) x = (x ^ p[i]) * 0x100000001B3u;
    return x;
}

uint64_t rs_snap_checksum(const void *header, const void *table, size_t table_bytes, const void *schema,
                          size_t schema_bytes) {
    rs_snap_header h;
    memcpy(&h, header, sizeof h);
    h.checksum = 0;
    uint64_t x = fnv1a(0xCBF29CE484222325u, &h, sizeof h);
    x = fnv1a(x, table, table_bytes);
    return fnv1a(x, schema, schema_bytes);
}

static uint64_t align8(uint64_t x) { return (x + 7) & ~(uint64_t)7; }

/* ---- postings: members by value ---- */

uint32_t rs_column_code_space(const rs_snapshot *s, const rs_column *c) {
    if (!c->codes) return 0;
    switch (c->field->type) {
    case RS_T_TEXT: return c->dict.raw.n;
    case RS_T_OPTION: return (uint32_t)c->field->noptions;
    case RS_T_BOOL: return 2;
    case RS_T_PERSONNEL: return s->nmembers;
    case RS_T_DEPARTMENT: return s->depts.n;
    default: return 0;
    }
}

/* Whether a column gets postings: personnel columns have their reverse edges already, and a text
 * column of many distinct values (names, e-mail addresses) would pay 8 bytes a value and a few a
 * member for lists that rules seldom read (the VM finds those members with one pass instead). */
static bool wants_postings(const rs_snapshot *s, const rs_column *c) {
    rs_type t = c->field->type;
    uint32_t space = rs_column_code_space(s, c);
    if (space == 0 || (t != RS_T_TEXT && t != RS_T_OPTION && t != RS_T_BOOL && t != RS_T_DEPARTMENT)) return false;
    return t != RS_T_TEXT || space <= 64 || space <= s->nmembers / RS_POST_TEXT;
}

typedef struct postings {
    uint32_t *count, *off;
    uint8_t *bytes;
} postings;

static uint32_t leb_len(uint32_t v) {
    uint32_t n = 1;
    while (v >= 0x80) v >>= 7, n++;
    return n;
}

static uint8_t *leb_put(uint8_t *p, uint32_t v) {
    while (v >= 0x80) *p++ = (uint8_t)(v | 0x80), v >>= 7;
    *p++ = (uint8_t)v;
    return p;
}

/* Values [*b, *e) of member m, or false when it has none. */
static bool member_span(const rs_column *c, uint32_t m, uint32_t *b, uint32_t *e) {
    if (rs_bm_get(c->empty, m)) return false;
    *b = c->offsets ? c->offsets[m] : m;
    *e = c->offsets ? c->offsets[m + 1] : m + 1;
    return true;
}

/* One pass counts each code's members (a member once per code, whatever it repeats) and the bytes
 * of their gaps; a second writes the lists of the rare codes. prev[c] is the last member seen with
 * code c, UINT32_MAX (-1) before the first, so the first gap is the member itself. */
static void build_postings(const rs_snapshot *s, const rs_column *c, postings *out) {
    uint32_t n = s->nmembers, space = rs_column_code_space(s, c), b, e;
    uint32_t *prev = rs_malloc((size_t)space * sizeof *prev + 1), *size = rs_calloc((size_t)space + 1, sizeof *size);
    out->count = rs_calloc((size_t)space + 1, sizeof *out->count);
    out->off = rs_calloc((size_t)space + 1, sizeof *out->off);
    memset(prev, 0xff, (size_t)space * sizeof *prev);
    for (uint32_t m = 0; m < n; m++)
        for (bool any = member_span(c, m, &b, &e); any && b < e; b++) {
            uint32_t code = c->codes[b];
            if (prev[code] == m) continue;
            out->count[code]++;
            size[code] += leb_len(m - prev[code] - 1);
            prev[code] = m;
        }
    for (uint32_t code = 0; code < space; code++)
        out->off[code + 1] = out->off[code] + (out->count[code] <= n / RS_POST_RARE ? size[code] : 0);
    out->bytes = rs_malloc((size_t)out->off[space] + 1);
    uint32_t *at = size;   /* now each code's write position */
    memcpy(at, out->off, (size_t)space * sizeof *at);
    memset(prev, 0xff, (size_t)space * sizeof *prev);
    for (uint32_t m = 0; m < n; m++)
        for (bool any = member_span(c, m, &b, &e); any && b < e; b++) {
            uint32_t code = c->codes[b];
            if (prev[code] == m || out->count[code] > n / RS_POST_RARE) continue;
            at[code] = (uint32_t)(leb_put(out->bytes + at[code], m - prev[code] - 1) - out->bytes);
            prev[code] = m;
        }
    free(size);
    free(prev);
}

uint32_t rs_post_decode(const rs_snapshot *s, const rs_column *col, uint32_t c, uint32_t *out) {
    if (!col->post_off || c >= col->post_codes) return 0;
    const uint8_t *p = col->post_bytes + col->post_off[c], *end = col->post_bytes + col->post_off[c + 1];
    uint32_t want = col->post_count[c], k = 0;
    uint64_t m = UINT64_MAX;   /* -1: the first gap is the member itself */
    while (k < want && p < end) {
        uint64_t gap = 0;
        for (unsigned shift = 0; p < end && shift < 35; shift += 7) {
            gap |= (uint64_t)(*p & 0x7f) << shift;
            if (!(*p++ & 0x80)) break;
        }
        m += gap + 1;
        if (m >= s->nmembers) break;   /* only a damaged file gets here */
        out[k++] = (uint32_t)m;
    }
    return k;
}

/* ---- the section list: one function for both directions ---- */

typedef struct slot {
    rs_snap_section sec;
    const void *data;          /* packing only */
} slot;

typedef struct slots {
    slot *v;
    size_t n, cap;
    bool data;                 /* false: only tags, columns and element sizes (loading) */
} slots;

static void add(slots *L, int tag, uint16_t elem, uint32_t column, const void *data, uint64_t count) {
    RS_GROW(L->v, L->cap, L->n + 1);
    slot *s = &L->v[L->n++];
    memset(s, 0, sizeof *s);
    s->sec.tag = (uint16_t)tag;
    s->sec.elem_size = elem;
    s->sec.column = column;
    if (L->data) {
        s->data = data;
        s->sec.count = count;
    }
}

static void add_strtab(slots *L, rs_sectag first, uint32_t column, const rs_strtab *t) {
    bool d = L->data;
    add(L, first, 4, column, t->off, d ? (uint64_t)t->n + 1 : 0);
    add(L, first + 1, 1, column, t->bytes, d ? t->off[t->n] : 0);
    add(L, first + 2, 4, column, t->sorted, t->n);
}

static void add_column(slots *L, const rs_snapshot *s, uint32_t c) {
    const rs_column *col = &s->columns[c];
    const rs_field *f = col->field;
    uint32_t n = s->nmembers;
    add(L, SEC_COL_EMPTY, 8, c, col->empty, rs_bm_words(n));
    if (strcmp(f->name, "id") == 0) return;   /* ids are member_ids */
    if (f->multi) add(L, SEC_COL_OFFSETS, 4, c, col->offsets, (uint64_t)n + 1);
    if (f->type == RS_T_NUMBER) add(L, SEC_COL_NUMS, 8, c, col->nums, col->nvalues);
    else if (f->type == RS_T_DATE) add(L, SEC_COL_DAYS, 4, c, col->days, col->nvalues);
    else add(L, SEC_COL_CODES, 4, c, col->codes, col->nvalues);
    if (f->type == RS_T_TEXT) {
        add_strtab(L, SEC_DICT_RAW_OFF, c, &col->dict.raw);
        add_strtab(L, SEC_DICT_FOLD_OFF, c, &col->dict.folded);
    }
    if (f->type == RS_T_PERSONNEL) {
        add(L, SEC_REV_OFF, 4, c, col->rev_off, (uint64_t)n + 1);
        add(L, SEC_REV, 4, c, col->rev, L->data ? col->rev_off[n] : 0);
    }
}

/* Every section of s in file order; with data, the arrays and their lengths too. */
static void layout(const rs_snapshot *s, bool data, const char *schema_text, slots *L) {
    memset(L, 0, sizeof *L);
    L->data = data;
    add(L, SEC_SCHEMA, 1, 0, schema_text, schema_text ? strlen(schema_text) : 0);
    add_strtab(L, SEC_MEMBER_OFF, 0, &s->member_ids);
    add_strtab(L, SEC_DEPT_ID_OFF, 0, &s->depts.ids);
    add_strtab(L, SEC_DEPT_NAME_OFF, 0, &s->depts.names);
    uint32_t nd = s->depts.n;
    add(L, SEC_DEPT_PARENT, 4, 0, s->depts.parent, nd);
    add(L, SEC_DEPT_TIN, 4, 0, s->depts.tin, nd);
    add(L, SEC_DEPT_TOUT, 4, 0, s->depts.tout, nd);
    add(L, SEC_DEPT_BY_TIN, 4, 0, s->depts.by_tin, nd);
    for (uint32_t c = 0; c < s->schema->nfields; c++) add_column(L, s, c);
}

/* The postings sections, after the ones layout() gives: per column that wants them, counts,
 * offsets, bytes. post[c] holds column c's (packing only). */
static void layout_postings(const rs_snapshot *s, const postings *post, slots *L) {
    for (uint32_t c = 0; c < s->schema->nfields; c++) {
        const rs_column *col = &s->columns[c];
        if (!wants_postings(s, col)) continue;
        uint32_t space = rs_column_code_space(s, col);
        const postings *p = post ? &post[c] : NULL;
        add(L, SEC_POST_COUNT, 4, c, p ? p->count : NULL, space);
        add(L, SEC_POST_OFF, 4, c, p ? p->off : NULL, (uint64_t)space + 1);
        add(L, SEC_POST_BYTES, 1, c, p ? p->bytes : NULL, p ? p->off[space] : 0);
    }
}

static postings *build_all_postings(const rs_snapshot *s) {
    postings *post = rs_calloc(s->schema->nfields + 1, sizeof *post);
    for (uint32_t c = 0; c < s->schema->nfields; c++)
        if (wants_postings(s, &s->columns[c])) build_postings(s, &s->columns[c], &post[c]);
    return post;
}

static void free_postings(postings *post, size_t n) {
    for (size_t c = 0; post && c < n; c++) {
        free(post[c].count);
        free(post[c].off);
        free(post[c].bytes);
    }
    free(post);
}

/* ---- packing ---- */

/* The declared fields as schema.json text; main_department, derived, is added back on loading. */
static char *schema_text(const rs_schema *sc) {
    json_t *fields = json_array();
    for (size_t i = 0; i < sc->nfields; i++) {
        const rs_field *f = &sc->fields[i];
        if (f->derived) continue;
        json_t *jf = json_object();
        json_object_set_new(jf, "name", json_string(f->name));
        json_object_set_new(jf, "type", json_string(rs_type_name(f->type)));
        if (f->multi) json_object_set_new(jf, "multi", json_true());
        if (f->noptions) {
            json_t *opts = json_array();
            for (size_t k = 0; k < f->noptions; k++) json_array_append_new(opts, json_string(f->options[k]));
            json_object_set_new(jf, "options", opts);
        }
        json_array_append_new(fields, jf);
    }
    json_t *root = json_object();
    json_object_set_new(root, "fields", fields);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/* Offsets for every section. A section whose array is the one an earlier section already wrote
 * (a dictionary whose folded form is its raw form) points at the same bytes. */
static uint64_t place_sections(slots *L) {
    uint64_t pos = align8(sizeof(rs_snap_header) + L->n * sizeof(rs_snap_section));
    for (size_t i = 0; i < L->n; i++) {
        slot *s = &L->v[i];
        uint64_t bytes = s->sec.count * s->sec.elem_size;
        s->sec.offset = pos;
        for (size_t j = 0; j < i && bytes; j++)
            if (L->v[j].data == s->data && L->v[j].sec.count * L->v[j].sec.elem_size == bytes) {
                s->sec.offset = L->v[j].sec.offset;
                break;
            }
        if (s->sec.offset == pos) pos = align8(pos + bytes);
    }
    return pos;
}

static bool write_bytes(FILE *f, const void *p, uint64_t n) { return n == 0 || fwrite(p, 1, n, f) == n; }

static bool write_padding(FILE *f, uint64_t *pos, uint64_t to) {
    static const char zeros[8];
    bool ok = write_bytes(f, zeros, to - *pos);
    *pos = to;
    return ok;
}

static bool write_snap(FILE *f, const rs_snapshot *s, slots *L) {
    rs_snap_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, RS_SNAP_MAGIC, 8);
    h.version = RS_SNAP_VERSION;
    h.byte_order = RS_SNAP_BYTE_ORDER;
    h.file_size = place_sections(L);
    h.nmembers = s->nmembers;
    h.ndepts = s->depts.n;
    h.nfields = (uint32_t)s->schema->nfields;
    h.nsections = (uint32_t)L->n;
    h.name_field = s->name_field;
    h.status_field = s->status_field;
    rs_snap_section *table = rs_calloc(L->n, sizeof *table);
    for (size_t i = 0; i < L->n; i++) table[i] = L->v[i].sec;
    h.checksum = rs_snap_checksum(&h, table, L->n * sizeof *table, L->v[0].data, L->v[0].sec.count);
    uint64_t pos = sizeof h + L->n * sizeof *table;
    bool ok = write_bytes(f, &h, sizeof h) && write_bytes(f, table, L->n * sizeof *table);
    free(table);
    for (size_t i = 0; i < L->n && ok; i++) {
        const slot *sl = &L->v[i];
        if (sl->sec.offset < pos) continue;   /* shares an earlier section's bytes */
        uint64_t bytes = sl->sec.count * sl->sec.elem_size;
        ok = write_padding(f, &pos, sl->sec.offset) && write_bytes(f, sl->data, bytes);
        pos += bytes;
    }
    return ok && write_padding(f, &pos, h.file_size);
}

/* A rename is durable once the folder holding the file is synced too. */
static void sync_parent(const char *path) {
    char *copy = rs_strdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

int rs_snapshot_pack(const rs_snapshot *s, const char *out_path, rs_diags *d) {
    char *tmp = rs_tmp_path(out_path);
    char *text = schema_text(s->schema);
    slots L;
    layout(s, true, text, &L);
    postings *post = build_all_postings(s);
    layout_postings(s, post, &L);
    int err = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) err = errno;
    if (f) {
        setvbuf(f, NULL, _IOFBF, 1u << 20);
        bool ok = write_snap(f, s, &L) && fflush(f) == 0 && fsync(fileno(f)) == 0;
        if (!ok) err = errno ? errno : EIO;
        if (fclose(f) != 0 && !err) err = errno;
        if (!err && rename(tmp, out_path) != 0) err = errno;
        if (err) unlink(tmp);
        else sync_parent(out_path);
    }
    if (err) rs_diag_file(d, RS_E_IO, out_path, 0, 0, "cannot write the .snap file: %s", strerror(err));
    free_postings(post, s->schema->nfields);
    free(L.v);
    free(text);
    free(tmp);
    return err ? -1 : 0;
}

/* ---- loading: sections ---- */

typedef struct mapped {
    const unsigned char *base;
    uint64_t size;
    char why[200];             /* what is wrong, for E0614 */
    bool foreign;              /* not a .snap file at all (no magic number) */
} mapped;

static bool bad(mapped *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool bad(mapped *m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, sizeof m->why, fmt, ap);
    va_end(ap);
    return false;
}

/* The first section: the schema, inside the file after the section table. */
static bool check_schema_place(mapped *m, const rs_snap_header *h, rs_snap_section *sec) {
    memcpy(sec, m->base + sizeof *h, sizeof *sec);
    uint64_t start = align8(sizeof *h + (uint64_t)h->nsections * sizeof *sec);
    if (sec->tag != SEC_SCHEMA || sec->elem_size != 1 || sec->offset % 8 || sec->offset < start ||
        sec->offset > m->size || sec->count > m->size - sec->offset)
        return bad(m, "first section is not a schema inside the file");
    return true;
}

static bool check_header(mapped *m, rs_snap_header *h, rs_snap_section *schema) {
    if (m->size < sizeof *h) return bad(m, "%llu bytes, shorter than the 64-byte header", (unsigned long long)m->size);
    memcpy(h, m->base, sizeof *h);
    if (memcmp(h->magic, RS_SNAP_MAGIC, 8) != 0) {
        m->foreign = true;
        return bad(m, "not a .snap file (no magic number)");
    }
    if (h->byte_order != RS_SNAP_BYTE_ORDER) return bad(m, "written on a machine of another byte order");
    if (h->version != RS_SNAP_VERSION)
        return bad(m, "format version %u; this roster reads version %u", h->version, RS_SNAP_VERSION);
    if (h->file_size != m->size)
        return bad(m, "truncated or extended: the header says %llu bytes, the file has %llu",
                   (unsigned long long)h->file_size, (unsigned long long)m->size);
    if (h->nsections == 0 || h->nsections > (m->size - sizeof *h) / sizeof(rs_snap_section))
        return bad(m, "section table does not fit in the file");
    const void *table = m->base + sizeof *h;
    if (!check_schema_place(m, h, schema)) return false;
    if (rs_snap_checksum(h, table, h->nsections * sizeof(rs_snap_section), m->base + schema->offset,
                         schema->count) != h->checksum)
        return bad(m, "checksum of the header, section table and schema does not match");
    if (h->reserved != 0) return bad(m, "reserved header field is not zero");
    return true;
}

/* The schema section, parsed as schema.json would be. */
static rs_schema *read_schema(mapped *m, const rs_snap_section *sec, const char *path) {
    rs_diags *tmp = rs_malloc(sizeof *tmp);
    rs_diags_init(tmp);
    rs_schema *sc = rs_schema_parse(path, (const char *)m->base + sec->offset, sec->count, tmp);
    if (!sc) bad(m, "schema section is not a valid schema: %.120s", tmp->n ? tmp->items[0].message : "");
    free(tmp);
    return sc;
}

static uint32_t u32_at(const void *array, uint64_t i) {
    uint32_t v;
    memcpy(&v, (const char *)array + i * 4, 4);
    return v;
}

/* Points the snapshot at one section after checking its length against what is already known. */
static bool attach(mapped *m, rs_snapshot *s, const rs_snap_section *sec, const void *p) {
    uint64_t n = s->nmembers, nd = s->depts.n, count = sec->count;
    rs_column *col = &s->columns[sec->column];
    rs_strtab *t = NULL;
    switch (sec->tag) {
    case SEC_MEMBER_OFF: case SEC_MEMBER_BYTES: case SEC_MEMBER_SORTED: t = &s->member_ids; break;
    case SEC_DEPT_ID_OFF: case SEC_DEPT_ID_BYTES: case SEC_DEPT_ID_SORTED: t = &s->depts.ids; break;
    case SEC_DEPT_NAME_OFF: case SEC_DEPT_NAME_BYTES: case SEC_DEPT_NAME_SORTED: t = &s->depts.names; break;
    case SEC_DICT_RAW_OFF: case SEC_DICT_RAW_BYTES: case SEC_DICT_RAW_SORTED: t = &col->dict.raw; break;
    case SEC_DICT_FOLD_OFF: case SEC_DICT_FOLD_BYTES: case SEC_DICT_FOLD_SORTED: t = &col->dict.folded; break;
    default: break;
    }
    switch (sec->tag) {
    case SEC_MEMBER_OFF: case SEC_DEPT_ID_OFF: case SEC_DEPT_NAME_OFF: case SEC_DICT_RAW_OFF: case SEC_DICT_FOLD_OFF:
        if (count == 0 || count - 1 >= RS_NONE) return bad(m, "string table of %llu entries", (unsigned long long)count);
        if ((sec->tag == SEC_MEMBER_OFF && count != n + 1) || (sec->tag == SEC_DEPT_NAME_OFF && count != nd + 1))
            return bad(m, "string table length disagrees with the header");
        if (sec->tag == SEC_DEPT_ID_OFF && count != nd + 1) return bad(m, "department count disagrees with the header");
        t->off = p;
        t->n = (uint32_t)(count - 1);
        return true;
    case SEC_MEMBER_BYTES: case SEC_DEPT_ID_BYTES: case SEC_DEPT_NAME_BYTES: case SEC_DICT_RAW_BYTES: case SEC_DICT_FOLD_BYTES:
        if (count != u32_at(t->off, t->n)) return bad(m, "string bytes disagree with the string offsets");
        t->bytes = p;
        return true;
    case SEC_MEMBER_SORTED: case SEC_DEPT_ID_SORTED: case SEC_DEPT_NAME_SORTED: case SEC_DICT_RAW_SORTED: case SEC_DICT_FOLD_SORTED:
        if (count != t->n) return bad(m, "sorted index length disagrees with its string table");
        t->sorted = p;
        return true;
    case SEC_DEPT_PARENT: case SEC_DEPT_TIN: case SEC_DEPT_TOUT: case SEC_DEPT_BY_TIN:
        if (count != nd) return bad(m, "department array length disagrees with the header");
        if (sec->tag == SEC_DEPT_PARENT) s->depts.parent = p;
        else if (sec->tag == SEC_DEPT_TIN) s->depts.tin = p;
        else if (sec->tag == SEC_DEPT_TOUT) s->depts.tout = p;
        else s->depts.by_tin = p;
        return true;
    case SEC_COL_EMPTY:
        if (count != rs_bm_words(n)) return bad(m, "column '%s': empty bitmap of the wrong length", col->field->name);
        col->empty = p;
        return true;
    case SEC_COL_OFFSETS: case SEC_REV_OFF:
        if (count != n + 1) return bad(m, "column '%s': offsets of the wrong length", col->field->name);
        if (sec->tag == SEC_COL_OFFSETS) col->offsets = p;
        else col->rev_off = p;
        return true;
    case SEC_COL_CODES: case SEC_COL_NUMS: case SEC_COL_DAYS:
        if (count != (col->offsets ? u32_at(col->offsets, n) : n))
            return bad(m, "column '%s': %llu values where its offsets say otherwise", col->field->name,
                       (unsigned long long)count);
        col->nvalues = (uint32_t)count;
        if (sec->tag == SEC_COL_CODES) col->codes = p;
        else if (sec->tag == SEC_COL_NUMS) col->nums = p;
        else col->days = p;
        return true;
    case SEC_REV:
        if (count != u32_at(col->rev_off, n)) return bad(m, "column '%s': reverse edges disagree with their offsets", col->field->name);
        col->rev = p;
        return true;
    case SEC_POST_COUNT:
        col->post_codes = (uint32_t)count;
        col->post_count = p;
        return true;   /* its length was checked against the layout */
    case SEC_POST_OFF:
        col->post_off = p;
        return true;
    case SEC_POST_BYTES:
        if (count != u32_at(col->post_off, col->post_codes))
            return bad(m, "column '%s': postings disagree with their offsets", col->field->name);
        col->post_bytes = p;
        return true;
    default: return bad(m, "unknown section kind %u", sec->tag);
    }
}

/* Sections [from, L->n) of the table against the layout; a section whose length the layout fixes
 * (want->count, nonzero only for postings) must have it. */
static bool attach_range(mapped *m, rs_snapshot *s, const rs_snap_header *h, const slots *L, size_t from) {
    const unsigned char *tp = m->base + sizeof *h;
    uint64_t start = align8(sizeof *h + (uint64_t)h->nsections * sizeof(rs_snap_section));
    bool ok = true;
    for (size_t i = from; i < L->n && ok; i++) {
        rs_snap_section sec;
        memcpy(&sec, tp + i * sizeof sec, sizeof sec);
        const rs_snap_section *want = &L->v[i].sec;
        if (sec.tag != want->tag || sec.column != want->column || sec.elem_size != want->elem_size)
            ok = bad(m, "section %zu is not the one the schema implies", i);
        else if (sec.offset % 8 || sec.offset < start || sec.offset > m->size ||
                 sec.count > (m->size - sec.offset) / sec.elem_size)
            ok = bad(m, "section %zu is misaligned or lies outside the file", i);
        else if (want->tag != SEC_POST_BYTES && want->count && sec.count != want->count)
            ok = bad(m, "section %zu: postings of the wrong length", i);
        else ok = attach(m, s, &sec, m->base + sec.offset);
    }
    return ok;
}

/* Walks the section table against the layout the schema implies, then the postings when the file
 * has them (their lengths depend on the dictionaries, known only once those are attached). */
static bool attach_all(mapped *m, rs_snapshot *s, const rs_snap_header *h) {
    slots L;
    layout(s, false, NULL, &L);
    size_t base = L.n;
    bool ok = true;
    if (h->nsections < base) ok = bad(m, "%u sections where the schema implies %zu", h->nsections, base);
    if (ok) ok = attach_range(m, s, h, &L, 1);
    if (ok && h->nsections > base) {
        L.data = true;   /* keep the lengths: they are what the postings must have */
        layout_postings(s, NULL, &L);
        if (L.n != h->nsections) ok = bad(m, "%u sections where the schema implies %zu", h->nsections, L.n);
        else ok = attach_range(m, s, h, &L, base);
    }
    free(L.v);
    return ok;
}

/* ---- loading: values ----
 * One linear pass over every index array. The two kernels below run over most of the file, so they
 * are written as 8 independent lanes without a loop-carried dependency, which compilers turn into
 * vector code at -O2; a running maximum would be a serial chain five times slower. */

/* true when every a[i] < bound */
static bool all_below(const uint32_t *a, size_t n, uint64_t bound) {
    if (bound > UINT32_MAX) return true;
    uint32_t b = (uint32_t)bound, lane[8] = {0}, over = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) lane[k] |= a[i + k] >= b;
    for (; i < n; i++) over |= a[i] >= b;
    for (int k = 0; k < 8; k++) over |= lane[k];
    return !over;
}

/* off[0] == 0 and off never decreases, over count entries */
static bool monotonic(const uint32_t *off, size_t count) {
    uint32_t lane[8] = {0}, down = 0;
    size_t i = 0;
    for (; i + 9 <= count; i += 8)
        for (int k = 0; k < 8; k++) lane[k] |= off[i + k] > off[i + k + 1];
    for (; i + 1 < count; i++) down |= off[i] > off[i + 1];
    for (int k = 0; k < 8; k++) down |= lane[k];
    return off[0] == 0 && !down;
}

static bool check_strtab(mapped *m, const rs_strtab *t, const char *what) {
    if (!monotonic(t->off, (size_t)t->n + 1)) return bad(m, "%s: string offsets out of order", what);
    if (!all_below(t->sorted, t->n, t->n)) return bad(m, "%s: sorted index out of range", what);
    return true;
}

/* Pre-order intervals: each department's interval holds its children's, positions are a
 * permutation, and each interval is exactly as long as the subtree it claims. Together these make
 * [tin, tout) the true subtree of every department and rule out cycles (a parent's tin is smaller). */
static bool check_tour(mapped *m, const rs_departments *d) {
    uint32_t n = d->n;
    if (!all_below(d->tin, n, n) || !all_below(d->by_tin, n, n)) return bad(m, "department tour out of range");
    uint64_t *size = rs_calloc(n ? n : 1, sizeof *size);
    uint64_t roots = 0;
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++) {
        uint32_t p = d->parent[i], tin = d->tin[i], tout = d->tout[i];
        if (d->by_tin[tin] != i || tout <= tin || tout > n) ok = bad(m, "department tour inconsistent");
        else if (p == RS_NONE) roots += tout - tin;
        else if (p >= n) ok = bad(m, "department parent out of range");
        else if (d->tin[p] >= tin || d->tout[p] < tout) ok = bad(m, "department tour does not nest");
        else size[p] += tout - tin;
    }
    for (uint32_t i = 0; i < n && ok; i++)
        if (size[i] + 1 != (uint64_t)d->tout[i] - d->tin[i]) ok = bad(m, "department subtree sizes inconsistent");
    if (ok && roots != n) ok = bad(m, "department roots do not cover the tour");
    if (ok && n == 0) ok = bad(m, "no department");
    free(size);
    return ok;
}

static bool all_members_empty(const uint64_t *empty, uint32_t n) {
    for (uint32_t w = 0; w < n / 64; w++)
        if (empty[w] != ~(uint64_t)0) return false;
    if (n % 64 == 0) return true;
    uint64_t tail = ((uint64_t)1 << (n % 64)) - 1;
    return (empty[n / 64] & tail) == tail;
}

static bool check_column(mapped *m, const rs_snapshot *s, const rs_column *c) {
    const rs_field *f = c->field;
    uint32_t n = s->nmembers;
    if (n % 64 && (c->empty[n / 64] >> (n % 64)))
        return bad(m, "column '%s': empty bitmap has bits past the last member", f->name);
    if (strcmp(f->name, "id") == 0) return true;   /* ids are member_ids */
    if (c->offsets && !monotonic(c->offsets, (size_t)n + 1))
        return bad(m, "column '%s': value offsets out of order", f->name);
    uint64_t bound = 0;
    switch (f->type) {
    case RS_T_TEXT:
        if (!check_strtab(m, &c->dict.raw, f->name) || !check_strtab(m, &c->dict.folded, f->name)) return false;
        if (c->dict.folded.n != c->dict.raw.n) return bad(m, "column '%s': folded dictionary length differs", f->name);
        bound = c->dict.raw.n;
        break;
    case RS_T_OPTION: bound = f->noptions; break;
    case RS_T_BOOL: bound = 2; break;
    case RS_T_PERSONNEL: bound = n; break;
    case RS_T_DEPARTMENT: bound = s->depts.n; break;
    default: return true;   /* numbers and dates: every bit pattern is a value */
    }
    if (!f->multi && bound == 0) {
        /* No value exists, so every member must be empty; their slots hold 0, which is then let
         * through. A member marked non-empty here would make the VM index past its tables. */
        if (!all_members_empty(c->empty, n))
            return bad(m, "column '%s': a member has a value but the column has no values", f->name);
        bound = 1;
    }
    if (!all_below(c->codes, c->nvalues, bound)) return bad(m, "column '%s': value code out of range", f->name);
    if (f->type == RS_T_PERSONNEL) {
        if (!monotonic(c->rev_off, (size_t)n + 1)) return bad(m, "column '%s': reverse offsets out of order", f->name);
        if (!all_below(c->rev, c->rev_off[n], n)) return bad(m, "column '%s': reverse edge out of range", f->name);
    }
    if (c->post_off && !monotonic(c->post_off, (size_t)c->post_codes + 1))
        return bad(m, "column '%s': postings offsets out of order", f->name);
    return true;
}

static bool check_values(mapped *m, const rs_snapshot *s) {
    if (!check_strtab(m, &s->member_ids, "member ids") || !check_strtab(m, &s->depts.ids, "department ids") ||
        !check_strtab(m, &s->depts.names, "department names") || !check_tour(m, &s->depts))
        return false;
    for (size_t i = 0; i < s->schema->nfields; i++)
        if (!check_column(m, s, &s->columns[i])) return false;
    return true;
}

static bool check_counts(mapped *m, const rs_snapshot *s, const rs_snap_header *h) {
    if (s->schema->nfields != h->nfields)
        return bad(m, "schema has %zu fields, the header says %u", s->schema->nfields, h->nfields);
    if (s->name_field != h->name_field || s->status_field != h->status_field)
        return bad(m, "name or status field disagrees with the schema");
    if (h->nmembers >= RS_NONE || h->ndepts >= RS_NONE) return bad(m, "member or department count out of range");
    return true;
}

static rs_snapshot *from_mapping(mapped *m, const char *path) {
    rs_snap_header h;
    rs_snap_section schema;
    if (!check_header(m, &h, &schema)) return NULL;
    rs_schema *sc = read_schema(m, &schema, path);
    if (!sc) return NULL;
    rs_snapshot *s = rs_snapshot_shell(sc, rs_calloc(1, sizeof(rs_snap_owner)));
    s->nmembers = h.nmembers;
    s->depts.n = h.ndepts;
    if (check_counts(m, s, &h) && attach_all(m, s, &h) && check_values(m, s)) return s;
    rs_snapshot_free(s);
    return NULL;
}

rs_snapshot *rs_snapfile_load(const char *path, rs_diags *d) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rs_diag_file(d, RS_E_SNAP_MISSING_FILE, path, 0, 0, "cannot open the .snap file: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    mapped m = {NULL, 0, "", false};
    rs_snapshot *s = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        bad(&m, "not a regular file");
    } else if ((uint64_t)st.st_size < sizeof(rs_snap_header)) {
        bad(&m, "%llu bytes, shorter than the 64-byte header", (unsigned long long)st.st_size);
    } else {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED) {
            bad(&m, "cannot be mapped: %s", strerror(errno));
        } else {
            m.base = p;
            m.size = (uint64_t)st.st_size;
            s = from_mapping(&m, path);
            if (s) {
                rs_snap_owner *o = s->owner;
                o->map = p;
                o->maplen = m.size;
            } else {
                munmap(p, m.size);
            }
        }
    }
    close(fd);
    if (!s) {
        rs_diag *dg = rs_diag_file(d, RS_E_SNAP_CORRUPT, path, 0, 0, "corrupt .snap file: %s", m.why);
        if (m.foreign)
            rs_diag_help(dg, "a snapshot is a folder (schema.json, departments, members) or a file made by "
                             "roster snapshot pack DIR -o FILE");
        else
            rs_diag_help(dg, "pack it again from its folder: roster snapshot pack DIR -o FILE");
    }
    return s;
}
