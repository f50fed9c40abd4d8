/* gen-rules.c: writes a deterministic file of dynamic groups in the rule text form (spec section 2)
 * for an organisation folder, typically one written by gen-org.
 *
 *   gen-rules --org DIR [--groups N] [--seed S] [--sample K] -o FILE
 *
 * It reads the organisation rather than knowing it: the field list and option lists come from
 * DIR/schema.json, the department tree from DIR/departments.jsonl, and values from a sample of K
 * members of DIR/members.jsonl (reservoir sampling over the whole file, so a 10-million-member file is
 * read once, in seconds, and only the sample is kept). Every value it writes therefore exists: options
 * are declared ones, department and member ids are real, `reports to` names someone's leader, text
 * and numbers are taken from members. Same folder and flags, same bytes.
 *
 * The mix (bench/README.md): every operator of spec section 3 at least once, scopes with and without
 * sub-departments, 2 to 6 numbered conditions joined by a `match` of and/or/parentheses, about a
 * quarter of the groups in the `where` form with `not`, some allow- and blocklists (disjoint), dates
 * both literal and relative to `today`. Each group is built around one sampled member (see cctx), so
 * that few groups come out empty.
 *
 * Self-contained on purpose (libc only), like gen-org: it must run while the library is in pieces. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NONE UINT32_MAX

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gen-rules: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* Everything read from the organisation lives until the end of the run: it goes into one arena,
 * released in one call. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
} arena_block;

static arena_block *arena;

static void *arena_alloc(size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (!arena || arena->used + n > arena->cap) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        arena_block *b = xmalloc(sizeof *b + cap);
        b->next = arena;
        b->used = 0;
        b->cap = cap;
        arena = b;
    }
    void *p = arena->data + arena->used;
    arena->used += n;
    return p;
}

static void arena_free(void) {
    while (arena) {
        arena_block *next = arena->next;
        free(arena);
        arena = next;
    }
}

/* Growable array of strings (borrowed or owned: the program frees nothing before it exits). */
typedef struct strs {
    const char **v;
    size_t n, cap;
} strs;

static void strs_add(strs *l, const char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = s;
}

/* ------------------------------------------------------------------------------------------------
 * splitmix64, as in gen-org.
 * ---------------------------------------------------------------------------------------------- */

typedef struct rng {
    uint64_t state;
} rng;

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(rng *r) {
    r->state += 0x9e3779b97f4a7c15ULL;
    return mix64(r->state);
}

static uint32_t rng_below(rng *r, uint32_t n) {
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static bool rng_pct(rng *r, uint32_t percent) { return rng_below(r, 100) < percent; }

static const char *pick(rng *r, const strs *l) { return l->v[rng_below(r, (uint32_t)l->n)]; }

/* ------------------------------------------------------------------------------------------------
 * A small JSON reader: enough for schema.json and one object a line. Values are allocated and kept.
 * ---------------------------------------------------------------------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jval {
    jkind kind;
    char *text;              /* J_STR: the decoded string; J_NUM: the number as written */
    bool b;
    struct jval **items;     /* J_ARR and J_OBJ */
    char **keys;             /* J_OBJ */
    size_t n, cap;
} jval;

typedef struct jparser {
    const char *p, *end;
    const char *what;        /* file:line for messages */
} jparser;

static void jfail(const jparser *jp, const char *msg) { die("%s: invalid JSON (%s)", jp->what, msg); }

static void jskip(jparser *jp) {
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static void put_utf8(char **o, uint32_t c) {
    unsigned char *u = (unsigned char *)*o;
    if (c < 0x80) *u++ = (unsigned char)c;
    else if (c < 0x800) *u++ = (unsigned char)(0xC0 | c >> 6), *u++ = (unsigned char)(0x80 | (c & 0x3F));
    else if (c < 0x10000) {
        *u++ = (unsigned char)(0xE0 | c >> 12);
        *u++ = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        *u++ = (unsigned char)(0x80 | (c & 0x3F));
    } else {
        *u++ = (unsigned char)(0xF0 | c >> 18);
        *u++ = (unsigned char)(0x80 | (c >> 12 & 0x3F));
        *u++ = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        *u++ = (unsigned char)(0x80 | (c & 0x3F));
    }
    *o = (char *)u;
}

static uint32_t jhex4(jparser *jp) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++, jp->p++) {
        char c = jp->p < jp->end ? *jp->p : 0;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) jfail(jp, "bad \\u escape");
        v = v * 16 + (uint32_t)d;
    }
    return v;
}

static char *jstring(jparser *jp) {
    jp->p++;   /* opening quote */
    char *out = arena_alloc((size_t)(jp->end - jp->p) + 1), *o = out;
    while (jp->p < jp->end && *jp->p != '"') {
        char c = *jp->p++;
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        if (jp->p >= jp->end) break;
        c = *jp->p++;
        switch (c) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            uint32_t cp = jhex4(jp);
            if (cp >= 0xD800 && cp < 0xDC00 && jp->p + 1 < jp->end && jp->p[0] == '\\' && jp->p[1] == 'u') {
                jp->p += 2;
                uint32_t lo = jhex4(jp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(&o, cp);
            break;
        }
        default: *o++ = c; break;   /* \" \\ \/ */
        }
    }
    if (jp->p >= jp->end) jfail(jp, "unterminated string");
    jp->p++;
    *o = '\0';
    return out;
}

static jval *jvalue(jparser *jp, int depth);

/* Arrays grow by doubling inside the arena (the outgrown copy stays there: it is small). */
static void jappend(jval *v, char *key, jval *item) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        jval **items = arena_alloc(cap * sizeof *items);
        char **keys = arena_alloc(cap * sizeof *keys);
        if (v->n) {
            memcpy(items, v->items, v->n * sizeof *items);
            memcpy(keys, v->keys, v->n * sizeof *keys);
        }
        v->items = items, v->keys = keys, v->cap = cap;
    }
    v->keys[v->n] = key;
    v->items[v->n++] = item;
}

static void jcontainer(jparser *jp, jval *v, int depth) {
    char close = v->kind == J_ARR ? ']' : '}';
    jp->p++;
    jskip(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        return;
    }
    for (;;) {
        char *key = NULL;
        if (v->kind == J_OBJ) {
            jskip(jp);
            if (jp->p >= jp->end || *jp->p != '"') jfail(jp, "expected a key");
            key = jstring(jp);
            jskip(jp);
            if (jp->p >= jp->end || *jp->p != ':') jfail(jp, "expected ':'");
            jp->p++;
        }
        jappend(v, key, jvalue(jp, depth + 1));
        jskip(jp);
        if (jp->p < jp->end && *jp->p == ',') {
            jp->p++;
            continue;
        }
        if (jp->p < jp->end && *jp->p == close) {
            jp->p++;
            return;
        }
        jfail(jp, "expected ',' or a closing bracket");
    }
}

static jval *jvalue(jparser *jp, int depth) {
    if (depth > 64) jfail(jp, "nested too deeply");
    jskip(jp);
    if (jp->p >= jp->end) jfail(jp, "unexpected end");
    jval *v = arena_alloc(sizeof *v);
    memset(v, 0, sizeof *v);
    char c = *jp->p;
    if (c == '{' || c == '[') {
        v->kind = c == '{' ? J_OBJ : J_ARR;
        jcontainer(jp, v, depth);
    } else if (c == '"') {
        v->kind = J_STR;
        v->text = jstring(jp);
    } else if (jp->end - jp->p >= 4 && memcmp(jp->p, "null", 4) == 0) {
        jp->p += 4;
    } else if (jp->end - jp->p >= 4 && memcmp(jp->p, "true", 4) == 0) {
        v->kind = J_BOOL, v->b = true, jp->p += 4;
    } else if (jp->end - jp->p >= 5 && memcmp(jp->p, "false", 5) == 0) {
        v->kind = J_BOOL, jp->p += 5;
    } else {
        const char *s = jp->p;
        while (jp->p < jp->end && strchr("+-.0123456789eE", *jp->p)) jp->p++;
        if (jp->p == s) jfail(jp, "unexpected character");
        v->kind = J_NUM;
        v->text = arena_alloc((size_t)(jp->p - s) + 1);
        memcpy(v->text, s, (size_t)(jp->p - s));
        v->text[jp->p - s] = '\0';
    }
    return v;
}

static jval *jparse(const char *text, size_t len, const char *what) {
    jparser jp = {text, text + len, what};
    jval *v = jvalue(&jp, 0);
    jskip(&jp);
    if (jp.p != jp.end) jfail(&jp, "text after the value");
    return v;
}

static const jval *jget(const jval *obj, const char *key) {
    if (!obj || obj->kind != J_OBJ) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------------
 * Reading the organisation.
 * ---------------------------------------------------------------------------------------------- */

/* Lines of a file, read in large blocks (one fread per megabyte, not one call per line). */
typedef struct lines {
    FILE *f;
    char *buf;
    size_t cap, start, len;
    unsigned long lineno;
    char path[4096];
} lines;

static void lines_open(lines *l, const char *dir, const char *name) {
    memset(l, 0, sizeof *l);
    if ((size_t)snprintf(l->path, sizeof l->path, "%s/%s", dir, name) >= sizeof l->path) die("path too long");
    l->f = fopen(l->path, "rb");
    if (!l->f) die("cannot open %s: %s", l->path, strerror(errno));
    l->cap = 1u << 20;
    l->buf = xmalloc(l->cap);
}

/* The next line without its newline (NUL-terminated in place), or NULL at the end. */
static char *lines_next(lines *l, size_t *len) {
    for (;;) {
        char *nl = memchr(l->buf + l->start, '\n', l->len - l->start);
        if (nl || (feof(l->f) && l->start < l->len)) {
            char *line = l->buf + l->start;
            char *stop = nl ? nl : l->buf + l->len;
            *len = (size_t)(stop - line);
            *stop = '\0';   /* fits: a read always leaves one byte free */
            l->start = nl ? (size_t)(nl - l->buf) + 1 : l->len;
            l->lineno++;
            return line;
        }
        if (feof(l->f)) return NULL;
        /* Keep the partial line, make room, read more. */
        memmove(l->buf, l->buf + l->start, l->len - l->start);
        l->len -= l->start;
        l->start = 0;
        if (l->len + 1 >= l->cap) {
            l->cap *= 2;
            l->buf = xrealloc(l->buf, l->cap);
        }
        l->len += fread(l->buf + l->len, 1, l->cap - 1 - l->len, l->f);
        if (ferror(l->f)) die("cannot read %s", l->path);
    }
}

static void lines_close(lines *l) {
    fclose(l->f);
    free(l->buf);
}

typedef enum { T_TEXT, T_OPTION, T_NUMBER, T_DATE, T_PERSONNEL, T_DEPARTMENT, T_BOOL } ftype;

static const char *const type_names[] = {"text", "option", "number", "date", "personnel", "department", "bool"};

typedef struct field {
    const char *name;
    ftype type;
    bool multi, derived;
    strs options;
    strs values;       /* non-empty values seen in the sample, one per occurrence */
    strs sets;         /* multi fields: each sampled member's set, joined by '\x1f' */
} field;

typedef struct dept {
    const char *id, *name;
    uint32_t parent, depth, nchildren, size;   /* size: departments in its subtree */
} dept;

typedef struct org {
    field *fields;
    size_t nfields;
    dept *depts;
    size_t ndepts;
    unsigned long nmembers;
    strs member_ids;       /* ids of the sample's active members, for allow- and blocklists */
    strs leaders;          /* values of personnel fields in the sample */
    const jval **anchors;  /* the sample's active members, parsed */
    size_t nanchors;
} org;

static field *add_field(org *o, const char *name, ftype type, bool multi) {
    o->fields = xrealloc(o->fields, (o->nfields + 1) * sizeof *o->fields);
    field *f = &o->fields[o->nfields++];
    memset(f, 0, sizeof *f);
    f->name = name;
    f->type = type;
    f->multi = multi;
    return f;
}

static field *find_field(org *o, const char *name) {
    for (size_t i = 0; i < o->nfields; i++)
        if (strcmp(o->fields[i].name, name) == 0) return &o->fields[i];
    return NULL;
}

static char *read_small_file(const char *dir, const char *name, size_t *len) {
    lines l;
    lines_open(&l, dir, name);
    char *text = NULL;
    *len = 0;
    size_t n;
    for (char *line; (line = lines_next(&l, &n)) != NULL;) {
        text = xrealloc(text, *len + n + 2);
        memcpy(text + *len, line, n);
        *len += n;
        text[(*len)++] = '\n';
    }
    lines_close(&l);
    if (!text) die("%s/%s is empty", dir, name);
    text[*len] = '\0';
    return text;
}

static void load_schema(org *o, const char *dir) {
    size_t len;
    char *text = read_small_file(dir, "schema.json", &len);
    const jval *fields = jget(jparse(text, len, "schema.json"), "fields");
    free(text);   /* the parsed values are in the arena */
    if (!fields || fields->kind != J_ARR) die("schema.json has no \"fields\" list");
    for (size_t i = 0; i < fields->n; i++) {
        const jval *name = jget(fields->items[i], "name"), *type = jget(fields->items[i], "type");
        const jval *multi = jget(fields->items[i], "multi"), *opts = jget(fields->items[i], "options");
        if (!name || name->kind != J_STR || !type || type->kind != J_STR) die("schema.json: field %zu lacks a name or type", i);
        int t = -1;
        for (size_t k = 0; k < COUNT(type_names); k++)
            if (strcmp(type->text, type_names[k]) == 0) t = (int)k;
        if (t < 0) die("schema.json: unknown type '%s'", type->text);
        field *f = add_field(o, name->text, (ftype)t, multi && multi->kind == J_BOOL && multi->b);
        for (size_t k = 0; opts && opts->kind == J_ARR && k < opts->n; k++)
            if (opts->items[k]->kind == J_STR) strs_add(&f->options, opts->items[k]->text);
    }
    /* The implicit fields every snapshot has (spec section 1). */
    if (!find_field(o, "id")) add_field(o, "id", T_TEXT, false);
    if (!find_field(o, "department")) add_field(o, "department", T_DEPARTMENT, true);
    add_field(o, "main_department", T_DEPARTMENT, false)->derived = true;
}

static uint32_t dept_index(const org *o, const char *id) {
    for (size_t i = 0; i < o->ndepts; i++)
        if (strcmp(o->depts[i].id, id) == 0) return (uint32_t)i;
    return NONE;
}

/* Parents usually come before children (gen-org writes the tree breadth first); a sorted index
 * keeps lookups cheap whatever the order. */
typedef struct idx_entry {
    const char *id;
    uint32_t i;
} idx_entry;

static int cmp_idx(const void *a, const void *b) {
    return strcmp(((const idx_entry *)a)->id, ((const idx_entry *)b)->id);
}

static void load_departments(org *o, const char *dir) {
    lines l;
    lines_open(&l, dir, "departments.jsonl");
    strs parents = {0};
    size_t n;
    for (char *line; (line = lines_next(&l, &n)) != NULL;) {
        if (n == 0) continue;
        char what[64];
        snprintf(what, sizeof what, "departments.jsonl:%lu", l.lineno);
        jval *v = jparse(line, n, what);
        const jval *id = jget(v, "id"), *parent = jget(v, "parent"), *name = jget(v, "name");
        if (!id || id->kind != J_STR) die("%s: no id", what);
        o->depts = xrealloc(o->depts, (o->ndepts + 1) * sizeof *o->depts);
        dept *d = &o->depts[o->ndepts++];
        memset(d, 0, sizeof *d);
        d->id = id->text;
        d->name = name && name->kind == J_STR ? name->text : id->text;
        strs_add(&parents, parent && parent->kind == J_STR && parent->text[0] ? parent->text : NULL);
    }
    lines_close(&l);
    if (!o->ndepts) die("%s/departments.jsonl has no departments", dir);
    idx_entry *idx = xmalloc(o->ndepts * sizeof *idx);
    for (size_t i = 0; i < o->ndepts; i++) idx[i] = (idx_entry){o->depts[i].id, (uint32_t)i};
    qsort(idx, o->ndepts, sizeof *idx, cmp_idx);
    for (size_t i = 0; i < o->ndepts; i++) {
        o->depts[i].parent = NONE;
        if (!parents.v[i]) continue;
        idx_entry key = {parents.v[i], 0}, *hit = bsearch(&key, idx, o->ndepts, sizeof *idx, cmp_idx);
        if (hit) o->depts[i].parent = hit->i;
    }
    free(idx);
    free(parents.v);
    /* Depths and subtree sizes; a parent loop (a bad snapshot) is cut after ndepts steps. */
    for (size_t i = 0; i < o->ndepts; i++) {
        uint32_t p = o->depts[i].parent;
        if (p != NONE) o->depts[p].nchildren++;
        for (size_t steps = 0; p != NONE && steps < o->ndepts; steps++, p = o->depts[p].parent) {
            o->depts[i].depth++;
            o->depts[p].size++;
        }
        o->depts[i].size++;
    }
}

static void org_free(org *o) {
    for (size_t i = 0; i < o->nfields; i++) {
        free(o->fields[i].options.v);
        free(o->fields[i].values.v);
        free(o->fields[i].sets.v);
    }
    free(o->fields);
    free(o->depts);
    free(o->member_ids.v);
    free(o->leaders.v);
    free(o->anchors);
}

/* ------------------------------------------------------------------------------------------------
 * The member sample.
 * ---------------------------------------------------------------------------------------------- */

static bool is_empty(const jval *v) {
    return !v || v->kind == J_NULL || (v->kind == J_STR && !v->text[0]) || (v->kind == J_ARR && v->n == 0);
}

static const char *scalar_text(const jval *v) {
    if (v->kind == J_BOOL) return v->b ? "true" : "false";
    return v->text;
}

static void sample_field(org *o, field *f, const jval *v) {
    if (is_empty(v)) return;
    if (v->kind != J_ARR) {
        if (v->kind == J_STR || v->kind == J_NUM || v->kind == J_BOOL) strs_add(&f->values, scalar_text(v));
        if (f->type == T_PERSONNEL && v->kind == J_STR) strs_add(&o->leaders, v->text);
        return;
    }
    size_t len = 1;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->kind == J_STR) len += strlen(v->items[i]->text) + 1;
    char *set = arena_alloc(len), *p = set;
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->kind != J_STR) continue;
        strs_add(&f->values, v->items[i]->text);
        if (f->type == T_PERSONNEL) strs_add(&o->leaders, v->items[i]->text);
        size_t n = strlen(v->items[i]->text);
        if (p != set) *p++ = '\x1f';
        memcpy(p, v->items[i]->text, n);
        p += n;
    }
    *p = '\0';
    strs_add(&f->sets, set);
}

static void sample_member(org *o, const char *line, size_t n, unsigned long lineno) {
    char what[64];
    snprintf(what, sizeof what, "members.jsonl:%lu", lineno);
    jval *m = jparse(line, n, what);
    const jval *id = jget(m, "id"), *status = jget(m, "status");
    if (!id || id->kind != J_STR) die("%s: no id", what);
    /* Allow- and blocklists name active members, so that they matter; groups are built around
     * active members, so that they hold someone. */
    if (!status || (status->kind == J_STR && strcmp(status->text, "active") == 0)) {
        strs_add(&o->member_ids, id->text);
        o->anchors = xrealloc(o->anchors, (o->nanchors + 1) * sizeof *o->anchors);
        o->anchors[o->nanchors++] = m;
    }
    for (size_t i = 0; i < o->nfields; i++) {
        field *f = &o->fields[i];
        if (f->derived) {
            const jval *d = jget(m, "department");
            if (!is_empty(d) && d->kind == J_ARR && d->items[0]->kind == J_STR) strs_add(&f->values, d->items[0]->text);
            continue;
        }
        sample_field(o, f, jget(m, f->name));
    }
}

/* Reservoir sampling: after the whole file, each line had the same chance of being kept. */
static void load_members(org *o, const char *dir, uint32_t k, uint64_t seed) {
    rng r = {mix64(seed ^ 0x5a5a5a5a)};
    char **keep = calloc(k, sizeof *keep);
    unsigned long *keep_line = calloc(k, sizeof *keep_line);
    if (!keep || !keep_line) die("out of memory");
    lines l;
    lines_open(&l, dir, "members.jsonl");
    size_t n;
    unsigned long seen = 0;
    for (char *line; (line = lines_next(&l, &n)) != NULL;) {
        if (n == 0) continue;
        uint64_t slot = seen < k ? seen : rng_next(&r) % (seen + 1);
        seen++;
        if (slot >= k) continue;
        free(keep[slot]);
        keep[slot] = xstrdup(line);
        keep_line[slot] = l.lineno;
    }
    lines_close(&l);
    o->nmembers = seen;
    if (!seen) die("%s/members.jsonl has no members", dir);
    for (uint32_t i = 0; i < k && keep[i]; i++) {
        sample_member(o, keep[i], strlen(keep[i]), keep_line[i]);
        free(keep[i]);
    }
    free(keep);
    free(keep_line);
}

/* ------------------------------------------------------------------------------------------------
 * Writing rule text.
 * ---------------------------------------------------------------------------------------------- */

typedef struct out {
    char *buf;
    size_t len, cap;
} out;

static void emit_n(out *o, const char *s, size_t n) {
    if (o->len + n + 1 > o->cap) {
        while (o->len + n + 1 > o->cap) o->cap = o->cap ? o->cap * 2 : 4096;
        o->buf = xrealloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void emit(out *o, const char *s) { emit_n(o, s, strlen(s)); }

static void emitf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emitf(out *o, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) die("internal error: formatted text too long");
    emit_n(o, tmp, (size_t)n);
}

/* A rule string literal: quotes, backslashes and control characters escaped; UTF-8 as is. */
static void emit_str(out *o, const char *s) {
    emit(o, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') emitf(o, "\\%c", c);
        else if (c == '\n') emit(o, "\\n");
        else if (c == '\t') emit(o, "\\t");
        else if (c < 0x20) emitf(o, "\\u%04x", c);
        else emit_n(o, s, 1);
    }
    emit(o, "\"");
}

/* ------------------------------------------------------------------------------------------------
 * Conditions. The operator table follows spec section 3.
 * ---------------------------------------------------------------------------------------------- */

typedef enum { A_NONE, A_ONE, A_LIST, A_TWO } args;

/* Which field types an operator takes, as a bit set of (1 << ftype); MULTI_ONLY and SINGLE_ONLY
 * narrow it by multiplicity. */
enum { SINGLE_ONLY = 1, MULTI_ONLY = 2 };
#define TB(t) (1u << (t))
#define ALL_TYPES (TB(T_TEXT) | TB(T_OPTION) | TB(T_NUMBER) | TB(T_DATE) | TB(T_PERSONNEL) | TB(T_DEPARTMENT) | TB(T_BOOL))

typedef struct opdef {
    const char *text;
    args args;
    unsigned types;
    int multiplicity;
    uint32_t weight;       /* how often an admin writes it, roughly */
} opdef;

static const opdef ops[] = {
    {"equals", A_ONE, ALL_TYPES, SINGLE_ONLY, 12},
    {"not equal to", A_ONE, ALL_TYPES, SINGLE_ONLY, 4},
    {"is any of", A_LIST, ALL_TYPES & ~TB(T_BOOL), 0, 16},
    {"is none of", A_LIST, ALL_TYPES & ~TB(T_BOOL), 0, 5},
    {"include all", A_LIST, ALL_TYPES & ~TB(T_BOOL), MULTI_ONLY, 3},
    {"is empty", A_NONE, ALL_TYPES, 0, 2},
    {"is not empty", A_NONE, ALL_TYPES, 0, 3},
    {"contains", A_ONE, TB(T_TEXT), 0, 6},
    {"does not contain", A_ONE, TB(T_TEXT), 0, 2},
    {"starts with", A_ONE, TB(T_TEXT), 0, 3},
    {"is before", A_ONE, TB(T_DATE) | TB(T_NUMBER), SINGLE_ONLY, 3},
    {"is on or before", A_ONE, TB(T_DATE) | TB(T_NUMBER), SINGLE_ONLY, 2},
    {"is after", A_ONE, TB(T_DATE) | TB(T_NUMBER), SINGLE_ONLY, 5},
    {"is on or after", A_ONE, TB(T_DATE) | TB(T_NUMBER), SINGLE_ONLY, 4},
    {"is between", A_TWO, TB(T_DATE) | TB(T_NUMBER), SINGLE_ONLY, 4},
    {"greater than", A_ONE, TB(T_NUMBER), SINGLE_ONLY, 3},
    {"less than", A_ONE, TB(T_NUMBER), SINGLE_ONLY, 3},
    {"at least", A_ONE, TB(T_NUMBER), SINGLE_ONLY, 3},
    {"at most", A_ONE, TB(T_NUMBER), SINGLE_ONLY, 2},
    {"belong to", A_LIST, TB(T_DEPARTMENT), 0, 2},
    {"partly belong to", A_LIST, TB(T_DEPARTMENT), 0, 6},
    {"don't belong to", A_LIST, TB(T_DEPARTMENT), 0, 3},
    {"reports to", A_ONE, TB(T_PERSONNEL), 0, 5},
};

/* Indices in ops[] of the operators that need special handling. */
enum { OP_EQUALS = 0, OP_NOT_EQUAL = 1, OP_NONE_OF = 3, OP_INCLUDE_ALL = 4, OP_IS_EMPTY = 5,
       OP_NOT_EMPTY = 6, OP_CONTAINS = 7, OP_NOT_CONTAINS = 8, OP_STARTS_WITH = 9, OP_AFTER = 12,
       OP_ON_OR_AFTER = 13, OP_GREATER = 15, OP_AT_LEAST = 17, OP_BELONG = 19, OP_PARTLY = 20,
       OP_NOT_BELONG = 21, OP_REPORTS_TO = 22 };

/* Fields a group may test: not the id (nobody writes rules on it), not status (only active members
 * are ever in a group, so a rule on it says nothing), and only fields that have values to offer. */
static bool field_fits(const field *f, size_t op) {
    const opdef *d = &ops[op];
    if (strcmp(f->name, "id") == 0 || strcmp(f->name, "status") == 0) return false;
    if (!(d->types & TB(f->type))) return false;
    if (d->multiplicity == SINGLE_ONLY && f->multi) return false;
    if (d->multiplicity == MULTI_ONLY && !f->multi && f->type != T_DEPARTMENT) return false;
    if ((op == OP_IS_EMPTY || op == OP_NOT_EMPTY) && f->derived) return false;
    if (f->type == T_DEPARTMENT && f->derived && op == OP_INCLUDE_ALL) return false;
    if (op >= OP_BELONG && op <= OP_NOT_BELONG) return true;    /* values come from the tree */
    if (op == OP_IS_EMPTY || op == OP_NOT_EMPTY || f->type == T_BOOL) return true;
    if (f->type == T_OPTION) return f->options.n > 0;
    if (f->type == T_PERSONNEL) return f->values.n > 0;
    if (f->type == T_DEPARTMENT) return true;
    return f->values.n > 0;
}

/* How often admins test a field, for the fields gen-org writes; any other field weighs 2. */
static uint32_t field_weight(const field *f) {
    static const struct {
        const char *name;
        uint32_t weight;
    } known[] = {
        {"job_title", 6}, {"city", 6}, {"employee_type", 6}, {"department", 6}, {"join_date", 6},
        {"main_department", 3}, {"level", 4}, {"skills", 4}, {"is_manager", 3}, {"leader", 4},
        {"gender", 1}, {"birth_date", 1}, {"salary_band", 2}, {"email", 2}, {"name", 1},
    };
    for (size_t i = 0; i < COUNT(known); i++)
        if (strcmp(known[i].name, f->name) == 0) return known[i].weight;
    return 2;
}

static field *field_for(org *o, rng *r, size_t op) {
    uint32_t total = 0;
    for (size_t i = 0; i < o->nfields; i++)
        if (field_fits(&o->fields[i], op)) total += field_weight(&o->fields[i]);
    if (!total) return NULL;
    uint32_t k = rng_below(r, total);
    for (size_t i = 0; i < o->nfields; i++) {
        if (!field_fits(&o->fields[i], op)) continue;
        uint32_t w = field_weight(&o->fields[i]);
        if (k < w) return &o->fields[i];
        k -= w;
    }
    return NULL;
}

static size_t weighted_op(rng *r) {
    uint32_t total = 0;
    for (size_t i = 0; i < COUNT(ops); i++) total += ops[i].weight;
    uint32_t k = rng_below(r, total);
    for (size_t i = 0; i < COUNT(ops); i++) {
        if (k < ops[i].weight) return i;
        k -= ops[i].weight;
    }
    return 0;
}

/* What one condition is being written from. Groups are built around an anchor: an active member of
 * the sample whom the positive tests are made to hold for (a value of theirs, a threshold on the right
 * side of theirs, one of their departments), so that an `and` of several conditions still selects
 * somebody, as the groups administrators write do. Negative tests take values at random. */
typedef struct cctx {
    out *w;
    org *o;
    rng *r;
    const field *f;
    size_t op;
    const jval *anchor;
    bool sub;              /* `with sub-departments` follows */
} cctx;

/* A value seen in the sample: popular values come up as often as they occur. */
static const char *sampled(rng *r, const field *f) {
    if (f->type == T_DEPARTMENT && !f->values.n) return NULL;
    if (f->type == T_OPTION && (!f->values.n || rng_pct(r, 30))) return pick(r, &f->options);
    return f->values.n ? pick(r, &f->values) : NULL;
}

/* One of the anchor's values for the field, or NULL when the anchor has none. */
static const char *anchored(const cctx *c) {
    const jval *v = jget(c->anchor, c->f->derived ? "department" : c->f->name);
    if (is_empty(v)) return NULL;
    if (v->kind == J_ARR) {
        const jval *item = v->items[c->f->derived ? 0 : rng_below(c->r, (uint32_t)v->n)];
        return item->kind == J_STR ? item->text : NULL;
    }
    return v->kind == J_STR || v->kind == J_NUM || v->kind == J_BOOL ? scalar_text(v) : NULL;
}

/* The anchor's value most of the time (when it has one), else a sampled one. */
static const char *anchored_or_sampled(const cctx *c) {
    const char *v = rng_pct(c->r, 80) ? anchored(c) : NULL;
    return v ? v : sampled(c->r, c->f);
}

static const char *department_id(const cctx *c) {
    const char *v = sampled(c->r, c->f);
    return v && rng_pct(c->r, 60) ? v : c->o->depts[rng_below(c->r, (uint32_t)c->o->ndepts)].id;
}

/* A department with some descendants, for scopes and `with sub-departments`: depth 1 to 3 when the
 * tree has them. */
static uint32_t upper_department(org *o, rng *r) {
    for (int tries = 0; tries < 50; tries++) {
        uint32_t i = rng_below(r, (uint32_t)o->ndepts);
        if (o->depts[i].depth >= 1 && o->depts[i].depth <= 3 && o->depts[i].nchildren) return i;
    }
    return rng_below(r, (uint32_t)o->ndepts);
}

/* With sub-departments, an ancestor of d at depth 1 to 3 (or d itself) makes a realistic scope. */
static uint32_t widen(org *o, rng *r, uint32_t d) {
    uint32_t up = rng_below(r, 3);
    while (up-- && o->depts[d].parent != NONE && o->depts[o->depts[d].parent].depth >= 1) d = o->depts[d].parent;
    return d;
}

static void emit_scalar(out *w, const field *f, const char *v) {
    if (f->type == T_NUMBER || f->type == T_BOOL || f->type == T_DATE) emit(w, v);   /* unquoted */
    else emit_str(w, v);
}

/* `today - N days`, `today - N weeks`, `today`, now and then `today + N days`; offsets in days for
 * ordering two of them. */
static int32_t relative_date(rng *r, out *w, int32_t *offset) {
    uint32_t x = rng_below(r, 100);
    if (x < 10) {
        emit(w, "today");
        return *offset = 0;
    }
    if (x < 20) {
        uint32_t n = 1 + rng_below(r, 30);
        emitf(w, "today + %u days", n);
        return *offset = (int32_t)n;
    }
    if (x < 45) {
        uint32_t n = 1 + rng_below(r, 52);
        emitf(w, "today - %u weeks", n);
        return *offset = -(int32_t)n * 7;
    }
    static const uint32_t common[] = {7, 14, 30, 60, 90, 180, 365, 730};
    uint32_t n = rng_pct(r, 70) ? common[rng_below(r, COUNT(common))] : 1 + rng_below(r, 1000);
    emitf(w, "today - %u days", n);
    return *offset = -(int32_t)n;
}

/* Orders two dates (ISO dates sort as text) or two numbers. */
static int compare_values(const field *f, const char *a, const char *b) {
    if (f->type == T_DATE) return strcmp(a, b);
    double x = strtod(a, NULL), y = strtod(b, NULL);
    return x < y ? -1 : x > y;
}

/* Bounds for comparisons: a lower bound at or below the anchor's value, an upper one at or above. */
static const char *bound(const cctx *c, bool lower) {
    const char *s = sampled(c->r, c->f), *a = anchored(c);
    if (!a || !s) return s ? s : a;
    int cmp = compare_values(c->f, s, a);
    return (lower ? cmp <= 0 : cmp >= 0) ? s : a;
}

static void emit_between(const cctx *c) {
    if (c->f->type == T_DATE && rng_pct(c->r, 40)) {
        /* Both relative: the earlier one first, so A is never after B. */
        out a = {0}, b = {0};
        int32_t oa, ob;
        relative_date(c->r, &a, &oa);
        relative_date(c->r, &b, &ob);
        if (oa > ob) {
            out t = a;
            a = b, b = t;
        }
        emitf(c->w, "%s and %s", a.buf, b.buf);
        free(a.buf), free(b.buf);
        return;
    }
    const char *lo = bound(c, true), *hi = bound(c, false);
    if (compare_values(c->f, lo, hi) > 0) {
        const char *t = lo;
        lo = hi, hi = t;
    }
    emit_scalar(c->w, c->f, lo);
    emit(c->w, " and ");
    emit_scalar(c->w, c->f, hi);
}

/* For starts with: the value's first word (or first few characters, whole UTF-8 characters). For
 * contains: one of its words of three bytes or more, sometimes lower-cased (text comparisons ignore
 * case, the rule should not have to care). */
static void emit_fragment(const cctx *c) {
    const char *v = c->op == OP_NOT_CONTAINS ? sampled(c->r, c->f) : anchored_or_sampled(c);
    char buf[128];
    if (c->op == OP_STARTS_WITH) {
        size_t n = strcspn(v, " @.");
        if (n == 0 || n >= sizeof buf) n = strlen(v) < 4 ? strlen(v) : 4;
        while (n > 1 && ((unsigned char)v[n] & 0xC0) == 0x80) n--;
        memcpy(buf, v, n);
        buf[n] = '\0';
        emit_str(c->w, buf);
        return;
    }
    strs words = {0};
    char *copy = xstrdup(v);
    for (char *t = strtok(copy, " ,.@()\""); t; t = strtok(NULL, " ,.@()\""))
        if (strlen(t) >= 3) strs_add(&words, t);
    snprintf(buf, sizeof buf, "%s", words.n ? pick(c->r, &words) : v);
    if (rng_pct(c->r, 50))
        for (char *p = buf; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    emit_str(c->w, buf);
    free(words.v);
    free(copy);
}

/* For include all: one or two values of the anchor's set (someone else's when the anchor's is empty). */
static bool emit_subset(const cctx *c) {
    const jval *v = jget(c->anchor, c->f->name);
    strs items = {0};
    if (!is_empty(v) && v->kind == J_ARR) {
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i]->kind == J_STR) strs_add(&items, v->items[i]->text);
    } else if (c->f->sets.n) {
        char *copy = arena_alloc(strlen(pick(c->r, &c->f->sets)) + 1);
        strcpy(copy, pick(c->r, &c->f->sets));
        for (char *t = strtok(copy, "\x1f"); t; t = strtok(NULL, "\x1f")) strs_add(&items, t);
    }
    if (!items.n) return false;
    uint32_t n = items.n > 1 && rng_pct(c->r, 60) ? 2 : 1, first = rng_below(c->r, (uint32_t)items.n);
    emit(c->w, "(");
    for (uint32_t i = 0; i < n; i++) {
        if (i) emit(c->w, ", ");
        emit_str(c->w, items.v[(first + i) % items.n]);
    }
    emit(c->w, ")");
    free(items.v);
    return true;
}

static bool listed(const strs *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return true;
    return false;
}

/* `belong to`: every department of the anchor (each one's parent too, now and then), plus a few
 * more; for the others, the first value is the anchor's (widened to an ancestor for `with
 * sub-departments`) unless the operator is a negative one. */
static void seed_list(const cctx *c, strs *vals) {
    const jval *d = jget(c->anchor, "department");
    if (c->op == OP_BELONG) {
        for (size_t i = 0; !is_empty(d) && d->kind == J_ARR && i < d->n && i < (c->f->derived ? 1u : d->n); i++) {
            if (d->items[i]->kind != J_STR || listed(vals, d->items[i]->text)) continue;
            strs_add(vals, d->items[i]->text);
        }
        return;
    }
    bool positive = c->op != OP_NOT_BELONG && c->op != OP_NONE_OF;
    const char *a = positive ? anchored(c) : NULL;
    if (a && c->sub) {
        uint32_t i = dept_index(c->o, a);
        if (i != NONE) a = c->o->depts[widen(c->o, c->r, i)].id;
    }
    if (a) strs_add(vals, a);
}

static void emit_list(const cctx *c) {
    strs vals = {0};
    seed_list(c, &vals);
    uint32_t want = vals.n + (c->op == OP_BELONG ? rng_below(c->r, 3) : rng_below(c->r, c->f->type == T_TEXT ? 3 : 4));
    if (want == 0) want = 1;
    for (uint32_t tries = 0; vals.n < want && tries < 20; tries++) {
        const char *v = c->f->type == T_DEPARTMENT ? department_id(c)
                        : c->f->type == T_PERSONNEL ? pick(c->r, &c->o->leaders) : sampled(c->r, c->f);
        if (v && !listed(&vals, v)) strs_add(&vals, v);
    }
    emit(c->w, "(");
    for (size_t i = 0; i < vals.n; i++) {
        if (i) emit(c->w, ", ");
        emit_scalar(c->w, c->f, vals.v[i]);
    }
    emit(c->w, ")");
    free(vals.v);
}

static bool is_lower_bound(size_t op) {
    return op == OP_AFTER || op == OP_ON_OR_AFTER || op == OP_GREATER || op == OP_AT_LEAST;
}

static void emit_one(const cctx *c) {
    const field *f = c->f;
    size_t op = c->op;
    if (op == OP_CONTAINS || op == OP_NOT_CONTAINS || op == OP_STARTS_WITH) {
        emit_fragment(c);
    } else if (f->type == T_BOOL) {
        const char *a = op == OP_EQUALS ? anchored(c) : NULL;
        emit(c->w, a ? a : rng_pct(c->r, 50) ? "true" : "false");
    } else if (f->type == T_DATE && op != OP_EQUALS && op != OP_NOT_EQUAL && rng_pct(c->r, 40)) {
        int32_t ignored;
        relative_date(c->r, c->w, &ignored);
    } else if (op == OP_EQUALS || op == OP_REPORTS_TO) {
        const char *v = anchored_or_sampled(c);
        if (!v && f->type == T_PERSONNEL) v = pick(c->r, &c->o->leaders);
        if (!v && f->type == T_DEPARTMENT) v = department_id(c);
        emit_scalar(c->w, f, v);
    } else if (op != OP_NOT_EQUAL) {
        emit_scalar(c->w, f, bound(c, is_lower_bound(op)));
    } else {
        const char *v = f->type == T_PERSONNEL ? pick(c->r, &c->o->leaders)
                        : f->type == T_DEPARTMENT ? department_id(c) : sampled(c->r, f);
        emit_scalar(c->w, f, v);
    }
}

/* "field operator value(s)"; returns false when the schema has no field for the operator. */
static bool emit_condition(out *w, org *o, rng *r, size_t op, const jval *anchor) {
    field *f = field_for(o, r, op);
    if (!f) return false;
    if (op == OP_INCLUDE_ALL && f->type != T_DEPARTMENT && !f->sets.n) return false;
    cctx c = {w, o, r, f, op, anchor, (op == OP_PARTLY || op == OP_NOT_BELONG) && rng_pct(r, 50)};
    emitf(w, "%s %s", f->name, ops[op].text);
    switch (ops[op].args) {
    case A_NONE: break;
    case A_ONE:
        emit(w, " ");
        emit_one(&c);
        break;
    case A_TWO:
        emit(w, " ");
        emit_between(&c);
        break;
    case A_LIST:
        emit(w, " ");
        if (op != OP_INCLUDE_ALL || !emit_subset(&c)) emit_list(&c);
        break;
    }
    if (c.sub) emit(w, " with sub-departments");
    return true;
}

/* ------------------------------------------------------------------------------------------------
 * Groups.
 * ---------------------------------------------------------------------------------------------- */

typedef struct gen {
    org *o;
    rng r;
    size_t next_forced;    /* the first condition of the first groups walks the operator table */
    bool first_in_group;
    const jval *anchor;    /* the member the group is built around (see cctx) */
} gen;

static size_t next_op(gen *g) {
    bool forced = g->first_in_group && g->next_forced < COUNT(ops);
    g->first_in_group = false;
    return forced ? g->next_forced++ : weighted_op(&g->r);
}

/* A condition with the next operator, falling back to weighted picks when the schema has no field
 * for it. */
static void condition(gen *g, out *w) {
    size_t op = next_op(g);
    for (int tries = 0; !emit_condition(w, g->o, &g->r, op, g->anchor); tries++) {
        if (tries > 100) die("the schema has no field any operator applies to");
        op = weighted_op(&g->r);
    }
}

/* An and/or tree over leaves [lo, hi): `and` binds tighter, so an `or` under an `and` is put in
 * parentheses; now and then parentheses that change nothing, as people write them. Returns 'a',
 * 'o' or 'l' (leaf). `leaf` writes leaf i. */
static char expr_tree(gen *g, out *w, const uint32_t *order, uint32_t lo, uint32_t hi, char parent,
                      void (*leaf)(gen *, out *, uint32_t)) {
    if (hi - lo == 1) {
        leaf(g, w, order[lo]);
        return 'l';
    }
    char op = rng_pct(&g->r, 55) ? 'a' : 'o';
    bool parens = (op == 'o' && parent == 'a') || (parent && rng_pct(&g->r, 15));
    uint32_t mid = lo + 1 + rng_below(&g->r, hi - lo - 1);
    if (parens) emit(w, "(");
    expr_tree(g, w, order, lo, mid, op, leaf);
    emit(w, op == 'a' ? " and " : " or ");
    expr_tree(g, w, order, mid, hi, op, leaf);
    if (parens) emit(w, ")");
    return op;
}

static void match_leaf(gen *g, out *w, uint32_t i) {
    (void)g;
    emitf(w, "%u", i);
}

static void where_leaf(gen *g, out *w, uint32_t i) {
    (void)i;
    bool negate = rng_pct(&g->r, 15);
    if (negate) emit(w, "not (");
    condition(g, w);
    if (negate) emit(w, ")");
}

static void shuffle(rng *r, uint32_t *v, uint32_t n) {
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = rng_below(r, i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static void scope(gen *g, out *w) {
    org *o = g->o;
    if (!rng_pct(&g->r, 55) || o->ndepts < 2) return;
    bool sub = rng_pct(&g->r, 60);
    uint32_t n = rng_pct(&g->r, 3) ? 10 : 1 + rng_below(&g->r, 3);
    strs ids = {0};
    const jval *own = jget(g->anchor, "department");
    if (!is_empty(own) && own->kind == J_ARR && own->items[0]->kind == J_STR) {
        uint32_t d = dept_index(o, own->items[0]->text);
        if (d != NONE) strs_add(&ids, o->depts[sub ? widen(o, &g->r, d) : d].id);
    }
    for (uint32_t tries = 0; ids.n < n && tries < 100; tries++) {
        uint32_t d = sub ? upper_department(o, &g->r) : rng_below(&g->r, (uint32_t)o->ndepts);
        if (!listed(&ids, o->depts[d].id)) strs_add(&ids, o->depts[d].id);
    }
    emit(w, "  departments ");
    for (size_t i = 0; i < ids.n; i++) {
        if (i) emit(w, ", ");
        emit_str(w, ids.v[i]);
    }
    if (sub) emit(w, " with sub-departments");
    emit(w, "   # ");
    for (size_t i = 0; i < ids.n && i < 3; i++) {
        uint32_t d = dept_index(o, ids.v[i]);
        emitf(w, "%s%s", i ? ", " : "", o->depts[d].name);
    }
    emit(w, ids.n > 3 ? ", ...\n" : "\n");
    free(ids.v);
}

/* Allow- and blocklists from distinct active members of the sample, so the two never overlap. Every
 * fiftieth group has a full allowlist of 100 (the limit). */
static void lists(gen *g, out *w, uint32_t index) {
    org *o = g->o;
    bool allow = rng_pct(&g->r, 15) || index % 50 == 49, block = rng_pct(&g->r, 15);
    if (!allow && !block) return;
    uint32_t na = !allow ? 0 : index % 50 == 49 ? 100 : 1 + rng_below(&g->r, 5);
    uint32_t nb = block ? 1 + rng_below(&g->r, 5) : 0;
    if (na + nb > o->member_ids.n) return;
    uint32_t *idx = xmalloc(o->member_ids.n * sizeof *idx);
    for (uint32_t i = 0; i < o->member_ids.n; i++) idx[i] = i;
    shuffle(&g->r, idx, (uint32_t)o->member_ids.n);
    for (int pass = 0; pass < 2; pass++) {
        uint32_t n = pass ? nb : na, from = pass ? na : 0;
        if (!n) continue;
        emit(w, pass ? "  block " : "  allow ");
        for (uint32_t i = 0; i < n; i++) {
            if (i) emit(w, i % 10 ? ", " : ",\n        ");
            emit_str(w, o->member_ids.v[idx[from + i]]);
        }
        emit(w, "\n");
    }
    free(idx);
}

static void group(gen *g, out *w, uint32_t index) {
    emitf(w, "group \"bench-%03u\" {\n  name \"Benchmark group %u\"\n", index + 1, index + 1);
    g->anchor = g->o->anchors[rng_below(&g->r, (uint32_t)g->o->nanchors)];
    scope(g, w);
    g->first_in_group = true;
    uint32_t order[6];
    if (rng_pct(&g->r, 25)) {
        uint32_t n = 2 + rng_below(&g->r, 4);
        for (uint32_t i = 0; i < n; i++) order[i] = i;
        emit(w, "  where ");
        expr_tree(g, w, order, 0, n, 0, where_leaf);
        emit(w, "\n");
    } else {
        uint32_t n = 2 + rng_below(&g->r, 5);
        for (uint32_t i = 1; i <= n; i++) {
            emitf(w, "  %u: ", i);
            condition(g, w);
            emit(w, "\n");
        }
        if (rng_pct(&g->r, 85)) {   /* the rest have no match line: all conditions must hold */
            for (uint32_t i = 0; i < n; i++) order[i] = i + 1;
            shuffle(&g->r, order, n);
            emit(w, "  match ");
            expr_tree(g, w, order, 0, n, 0, match_leaf);
            emit(w, "\n");
        }
    }
    lists(g, w, index);
    emit(w, "}\n\n");
}

/* ------------------------------------------------------------------------------------------------
 * Command line.
 * ---------------------------------------------------------------------------------------------- */

static void usage(int code) {
    fprintf(code ? stderr : stdout,
            "usage: gen-rules --org DIR [--groups N] [--seed S] [--sample K] -o FILE\n"
            "  --org DIR     an organisation folder: schema.json, departments.jsonl, members.jsonl\n"
            "  --groups N    groups to write (1 to 100000, default 100)\n"
            "  --seed S      any 64-bit number (default 1); same folder and flags, same bytes\n"
            "  --sample K    members sampled for values (10 to 1000000, default 5000)\n"
            "  -o FILE       the rule file to write ('-' for standard output)\n");
    exit(code);
}

static uint64_t parse_u64(const char *flag, const char *s, uint64_t lo, uint64_t hi) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
        fprintf(stderr, "gen-rules: %s wants a number from %llu to %llu, not '%s'\n", flag,
                (unsigned long long)lo, (unsigned long long)hi, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    const char *dir = NULL, *path = NULL;
    uint64_t groups = 100, seed = 1, sample = 5000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) usage(0);
        if (i + 1 >= argc) usage(2);
        const char *v = argv[++i];
        if (strcmp(a, "--org") == 0) dir = v;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) path = v;
        else if (strcmp(a, "--groups") == 0) groups = parse_u64(a, v, 1, 100000);
        else if (strcmp(a, "--seed") == 0) seed = parse_u64(a, v, 0, UINT64_MAX);
        else if (strcmp(a, "--sample") == 0) sample = parse_u64(a, v, 10, 1000000);
        else {
            fprintf(stderr, "gen-rules: unknown option '%s'\n", a);
            usage(2);
        }
    }
    if (!dir || !path) usage(2);
    org o = {0};
    load_schema(&o, dir);
    load_departments(&o, dir);
    load_members(&o, dir, (uint32_t)sample, seed);
    if (!o.nanchors) die("%s/members.jsonl has no active member to build groups around", dir);
    gen g = {&o, {mix64(seed)}, 0, false, NULL};
    out w = {0};
    emitf(&w, "# %u generated groups (gen-rules --seed %llu) for an organisation of %lu members and %zu\n"
              "# departments. Every operator appears at least once; values come from the organisation.\n\n",
          (unsigned)groups, (unsigned long long)seed, o.nmembers, o.ndepts);
    for (uint32_t i = 0; i < groups; i++) group(&g, &w, i);
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f) die("cannot create %s: %s", path, strerror(errno));
    if (fwrite(w.buf, 1, w.len, f) != w.len || (f != stdout && fclose(f) != 0)) die("cannot write %s", path);
    fprintf(stderr, "gen-rules: %u groups for %lu members, %zu departments in %s\n", (unsigned)groups,
            o.nmembers, o.ndepts, path);
    free(w.buf);
    org_free(&o);
    arena_free();
    return 0;
}
