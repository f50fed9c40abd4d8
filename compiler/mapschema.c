/* mapschema.c: the source and target schemas of field mappings (formats in mapping.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/mapping.h"
#include "common/util.h"

static const char *const type_names[] = {"any", "text", "number", "bool", "date", "list"};

const char *map_type_name(map_type t) {
    return (size_t)t < RS_ARRAY_LEN(type_names) ? type_names[t] : "any";
}

bool map_type_parse(const char *s, bool allow_list, map_type *out) {
    for (size_t i = MT_TEXT; i < RS_ARRAY_LEN(type_names); i++) {
        if (strcmp(s, type_names[i]) != 0) continue;
        if (i == MT_LIST && !allow_list) return false;
        *out = (map_type)i;
        return true;
    }
    return false;
}

/* ---- loading ---- */

static json_t *load_json(const char *name, const char *text, size_t len, rs_diags *d) {
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, name, (uint32_t)err.line,
                     (uint32_t)(err.column > 0 ? err.column : 0), "%s", err.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, name, 0, 0, "a schema is a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

static bool read_file(const char *path, rs_diags *d, char **text, size_t *len) {
    int rc = rs_read_file(path, RS_MAX_SOURCE_BYTES, text, len);
    if (rc == 0) return true;
    rs_diag *dg = rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, path, 0, 0, "%s",
                               rc == -2 ? "schema file is too large" : "cannot read the schema file");
    rs_diag_help(dg, "the `source` and `target` lines name files relative to the mapping file");
    return false;
}

static int path_cmp(const void *x, const void *y) {
    return strcmp(((const rs_srcpath *)x)->path, ((const rs_srcpath *)y)->path);
}

rs_srcschema *rs_srcschema_parse(const char *name, const char *text, size_t len, rs_diags *d) {
    json_t *root = load_json(name, text, len, d);
    if (!root) return NULL;
    json_t *paths = json_object_get(root, "paths");
    if (!json_is_object(paths)) {
        rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, name, 0, 0, "a source schema needs \"paths\": {...}");
        json_decref(root);
        return NULL;
    }
    rs_srcschema *s = rs_calloc(1, sizeof *s);
    s->paths = rs_calloc(json_object_size(paths) + 1, sizeof *s->paths);
    const char *key;
    json_t *v;
    bool ok = true;
    json_object_foreach(paths, key, v) {
        map_type t;
        if (!json_is_string(v) || !map_type_parse(json_string_value(v), false, &t)) {
            rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, name, 0, 0,
                         "path \"%s\": the type is one of text, number, bool, date", key);
            ok = false;
            continue;
        }
        s->paths[s->n].path = rs_strdup(key);
        s->paths[s->n++].type = t;
    }
    json_decref(root);
    qsort(s->paths, s->n, sizeof *s->paths, path_cmp);
    if (!ok) {
        rs_srcschema_free(s);
        return NULL;
    }
    return s;
}

rs_srcschema *rs_srcschema_load(const char *path, rs_diags *d) {
    char *text;
    size_t len;
    if (!read_file(path, d, &text, &len)) return NULL;
    rs_srcschema *s = rs_srcschema_parse(path, text, len, d);
    free(text);
    return s;
}

void rs_srcschema_free(rs_srcschema *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) free(s->paths[i].path);
    free(s->paths);
    free(s);
}

bool rs_srcschema_type(const rs_srcschema *s, const char *path, map_type *type) {
    rs_srcpath key = {(char *)(uintptr_t)path, MT_ANY};
    const rs_srcpath *hit = bsearch(&key, s->paths, s->n, sizeof *s->paths, path_cmp);
    if (hit) *type = hit->type;
    return hit != NULL;
}

/* ---- target ---- */

/* Allowed values are kept as text: a number field's are its integers' decimal spellings. */
static bool read_allowed(rs_tgtfield *f, json_t *allowed) {
    if (!allowed) return true;
    if (!json_is_array(allowed) || json_array_size(allowed) == 0) return false;
    f->allowed = rs_calloc(json_array_size(allowed), sizeof *f->allowed);
    size_t i;
    json_t *v;
    json_array_foreach(allowed, i, v) {
        char buf[32];
        if (json_is_string(v)) {
            f->allowed[f->nallowed++] = rs_strdup(json_string_value(v));
        } else if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            f->allowed[f->nallowed++] = rs_strdup(buf);
        } else {
            return false;
        }
    }
    return true;
}

static bool read_field(rs_tgtfield *f, json_t *o) {
    json_t *name = json_object_get(o, "name"), *type = json_object_get(o, "type");
    json_t *req = json_object_get(o, "required"), *max = json_object_get(o, "max_length");
    if (!json_is_string(name) || !json_is_string(type)) return false;
    f->name = rs_strdup(json_string_value(name));
    if (!map_type_parse(json_string_value(type), true, &f->type)) return false;
    if (req && !json_is_boolean(req)) return false;
    f->required = json_is_true(req);
    if (max && (!json_is_integer(max) || json_integer_value(max) < 1 ||
                json_integer_value(max) > 1000000))
        return false;
    f->max_length = max ? (uint32_t)json_integer_value(max) : 0;
    return read_allowed(f, json_object_get(o, "allowed"));
}

rs_tgtschema *rs_tgtschema_parse(const char *name, const char *text, size_t len, rs_diags *d) {
    json_t *root = load_json(name, text, len, d);
    if (!root) return NULL;
    json_t *fields = json_object_get(root, "fields");
    if (!json_is_array(fields)) {
        rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, name, 0, 0, "a target schema needs \"fields\": [...]");
        json_decref(root);
        return NULL;
    }
    rs_tgtschema *s = rs_calloc(1, sizeof *s);
    s->fields = rs_calloc(json_array_size(fields) + 1, sizeof *s->fields);
    bool ok = true;
    size_t i;
    json_t *o;
    json_array_foreach(fields, i, o) {
        rs_tgtfield *f = &s->fields[s->n++];
        if (!json_is_object(o) || !read_field(f, o)) {
            rs_diag *dg = rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, name, 0, 0, "fields[%zu] is invalid", i);
            rs_diag_help(dg, "a field is {\"name\": \"email\", \"type\": \"text|number|bool|date|list\", "
                             "\"required\": true, \"max_length\": 100, \"allowed\": [\"a\", \"b\"]}");
            ok = false;
        } else if (rs_tgtschema_index(s, f->name, strlen(f->name)) != (int)i) {
            rs_diag_file(d, RS_E_MAP_BAD_SCHEMA, name, 0, 0, "field \"%s\" is declared twice", f->name);
            ok = false;
        }
    }
    json_decref(root);
    if (!ok) {
        rs_tgtschema_free(s);
        return NULL;
    }
    return s;
}

rs_tgtschema *rs_tgtschema_load(const char *path, rs_diags *d) {
    char *text;
    size_t len;
    if (!read_file(path, d, &text, &len)) return NULL;
    rs_tgtschema *s = rs_tgtschema_parse(path, text, len, d);
    free(text);
    return s;
}

void rs_tgtschema_free(rs_tgtschema *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->fields[i].name);
        for (size_t j = 0; j < s->fields[i].nallowed; j++) free(s->fields[i].allowed[j]);
        free(s->fields[i].allowed);
    }
    free(s->fields);
    free(s);
}

int rs_tgtschema_index(const rs_tgtschema *s, const char *name, size_t len) {
    for (size_t i = 0; i < s->n; i++)
        if (s->fields[i].name && strlen(s->fields[i].name) == len &&
            memcmp(s->fields[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

const rs_tgtfield *rs_tgtschema_field(const rs_tgtschema *s, const char *name, size_t len) {
    int i = rs_tgtschema_index(s, name, len);
    return i < 0 ? NULL : &s->fields[i];
}

/* ---- paths of files ---- */

char *rs_path_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return rs_strdup(".");
    if (slash == path) return rs_strdup("/");
    return rs_strndup(path, (size_t)(slash - path));
}

char *rs_path_join(const char *dir, const char *rel) {
    if (rel[0] == '/' || !dir || !dir[0]) return rs_strdup(rel);
    size_t a = strlen(dir), b = strlen(rel);
    char *out = rs_malloc(a + b + 2);
    memcpy(out, dir, a);
    out[a] = '/';
    memcpy(out + a + 1, rel, b + 1);
    return out;
}
