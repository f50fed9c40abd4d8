/* maptable.c: lookup tables of mappings. A CSV file (a header line, then key,value lines; fields
 * may be double-quoted with "" for a quote) or a JSON object whose values are strings. Keys are
 * matched exactly and must be unique: a key listed twice is an error, not a silent choice between
 * two values. Stored in one open-addressing hash table. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/mapeval_int.h"
#include "common/util.h"

static uint64_t hash(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static size_t slot(const map_lookup *t, const char *key, size_t len) {
    size_t i = (size_t)hash(key, len) & (t->cap - 1);
    while (t->keys[i].s && (t->keys[i].len != len || memcmp(t->keys[i].s, key, len) != 0))
        i = (i + 1) & (t->cap - 1);
    return i;
}

static void grow(map_lookup *t) {
    map_lookup old = *t;
    t->cap = old.cap ? old.cap * 2 : 64;
    t->keys = rs_calloc(t->cap, sizeof *t->keys);
    t->vals = rs_calloc(t->cap, sizeof *t->vals);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i].s) continue;
        size_t j = slot(t, old.keys[i].s, old.keys[i].len);
        t->keys[j] = old.keys[i];
        t->vals[j] = old.vals[i];
    }
    free(old.keys);
    free(old.vals);
}

/* Adds a pair; false when the key is there already. */
static bool put(map_lookup *t, rs_mapstr k, rs_mapstr v) {
    if ((t->n + 1) * 2 > t->cap) grow(t);
    size_t i = slot(t, k.s, k.len);
    if (t->keys[i].s) return false;
    t->n++;
    t->keys[i] = k;
    t->vals[i] = v;
    return true;
}

const rs_mapstr *map_lookup_get(const map_lookup *t, const char *key, size_t len) {
    if (!t->cap) return NULL;
    size_t i = slot(t, key, len);
    return t->keys[i].s ? &t->vals[i] : NULL;
}

/* One CSV field at *p, unquoted in place; advances past the field and its ',' (not the newline).
 * Counts the line ends inside a quoted field into *line. */
static rs_mapstr csv_field(char **p, char *end, uint32_t *line) {
    char *s = *p, *o = s;
    rs_mapstr f = {s, 0};
    if (s < end && *s == '"') {
        s++;
        while (s < end) {
            if (*s == '"' && s + 1 < end && s[1] == '"') { *o++ = '"'; s += 2; continue; }
            if (*s == '"') { s++; break; }
            *line += *s == '\n';
            *o++ = *s++;
        }
        f.len = (size_t)(o - f.s);
        while (s < end && *s != ',' && *s != '\n') s++;
    } else {
        while (s < end && *s != ',' && *s != '\n' && *s != '\r') s++;
        f.len = (size_t)(s - f.s);
        while (s < end && *s == '\r') s++;
    }
    if (s < end && *s == ',') s++;
    *p = s;
    return f;
}

static int load_csv(map_lookup *t, char *text, size_t len, const char *path, rs_diags *d) {
    char *p = text, *end = text + len;
    char *nl = memchr(p, '\n', len);
    p = nl ? nl + 1 : end;   /* the header line */
    uint32_t line = 2;
    while (p < end) {
        if (*p == '\n' || *p == '\r') {
            line += *p++ == '\n';
            continue;
        }
        uint32_t at = line;
        rs_mapstr k = csv_field(&p, end, &line);
        rs_mapstr v = (p < end && *p != '\n') ? csv_field(&p, end, &line) : (rs_mapstr){p, 0};
        while (p < end && *p != '\n') p++;
        if (p < end) {
            p++;
            line++;
        }
        /* Fields were unquoted in place; each is followed by a separator, a line end or the
         * buffer's NUL, all consumed already: terminate them there for printing. */
        ((char *)(uintptr_t)k.s)[k.len] = '\0';
        ((char *)(uintptr_t)v.s)[v.len] = '\0';
        if (!put(t, k, v)) {
            rs_diag *dg = rs_diag_file(d, RS_E_MAP_LOOKUP_TABLE, path, at, 1,
                                       "table \"%s\" lists the key \"%.60s\" a second time", t->name, k.s);
            rs_diag_help(dg, "keep one line per key: a lookup must have one answer");
            return -1;
        }
    }
    return 0;
}

static int not_strings(const map_lookup *t, const char *path, rs_diags *d) {
    rs_diag *dg = rs_diag_file(d, RS_E_MAP_LOOKUP_TABLE, path, 0, 0,
                               "table \"%s\" is not a JSON object of strings", t->name);
    rs_diag_help(dg, "a JSON table is {\"key\": \"value\", ...}; a CSV table has a header line, "
                     "then key,value lines");
    return -1;
}

static int load_json(map_lookup *t, const char *text, size_t len, const char *path, rs_diags *d) {
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        rs_diag *dg = rs_diag_file(d, RS_E_MAP_LOOKUP_TABLE, path, (uint32_t)err.line,
                                   (uint32_t)err.column, "table \"%s\" is not valid JSON: %s", t->name, err.text);
        rs_diag_help(dg, "a JSON table is one object of strings, each key once: {\"key\": \"value\", ...}");
        return -1;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return not_strings(t, path, d);
    }
    size_t total = 0;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (!json_is_string(v)) {
            json_decref(root);
            return not_strings(t, path, d);
        }
        total += strlen(key) + json_string_length(v) + 2;
    }
    char *buf = rs_malloc(total + 1), *at = buf;
    json_object_foreach(root, key, v) {
        size_t kl = strlen(key), vl = json_string_length(v);
        memcpy(at, key, kl + 1);
        memcpy(at + kl + 1, json_string_value(v), vl + 1);
        put(t, (rs_mapstr){at, kl}, (rs_mapstr){at + kl + 1, vl});   /* keys unique: checked above */
        at += kl + vl + 2;
    }
    json_decref(root);
    free(t->storage);
    t->storage = buf;
    return 0;
}

int map_lookup_load(map_lookup *t, const char *name, const char *path, rs_diags *d) {
    memset(t, 0, sizeof *t);
    t->name = rs_strdup(name);
    size_t len;
    if (rs_read_file(path, (size_t)1 << 30, &t->storage, &len) != 0) {
        rs_diag_file(d, RS_E_MAP_LOOKUP_TABLE, path, 0, 0, "cannot read table \"%s\"", name);
        return -1;
    }
    size_t n = strlen(path);
    bool json = n > 5 && strcmp(path + n - 5, ".json") == 0;
    return json ? load_json(t, t->storage, len, path, d) : load_csv(t, t->storage, len, path, d);
}

void map_lookup_free(map_lookup *t) {
    free(t->name);
    free(t->keys);
    free(t->vals);
    free(t->storage);
    memset(t, 0, sizeof *t);
}
