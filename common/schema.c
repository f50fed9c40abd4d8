/* schema.c: schema.json (spec section 1) into rs_schema, with the implicit fields added. */
#include "common/schema.h"
#include "common/suggest.h"
#include "common/utf8.h"
#include "common/util.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
#define X(name, str) str,
    RS_FIELD_TYPES(X)
#undef X
};

const char *rs_type_name(rs_type t) { return t < RS_T_COUNT ? type_names[t] : "?"; }

static int type_from_name(const char *s) {
    for (int i = 0; i < RS_T_COUNT; i++)
        if (strcmp(type_names[i], s) == 0) return i;
    return -1;
}

static void field_free(rs_field *f) {
    free(f->name);
    for (size_t i = 0; i < f->noptions; i++) free(f->options[i]);
    free(f->options);
}

void rs_schema_free(rs_schema *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nfields; i++) field_free(&s->fields[i]);
    free(s->fields);
    free(s);
}

const rs_field *rs_schema_field(const rs_schema *s, const char *name) {
    int i = rs_schema_index(s, name);
    return i < 0 ? NULL : &s->fields[i];
}

int rs_schema_index(const rs_schema *s, const char *name) {
    for (size_t i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, name) == 0) return (int)i;
    return -1;
}

int rs_field_option(const rs_field *f, const char *value, size_t len) {
    size_t vlen;
    char *v = rs_casefold(value, len, &vlen);
    int found = -1;
    for (size_t i = 0; i < f->noptions && found < 0; i++) {
        size_t olen;
        char *o = rs_casefold(f->options[i], strlen(f->options[i]), &olen);
        if (olen == vlen && memcmp(o, v, vlen) == 0) found = (int)i;
        free(o);
    }
    free(v);
    return found;
}

const char *rs_schema_suggest(const rs_schema *s, const char *name) {
    const char **names = rs_calloc(s->nfields, sizeof *names);
    for (size_t i = 0; i < s->nfields; i++) names[i] = s->fields[i].name;
    const char *best = rs_nearest(name, strlen(name), names, s->nfields, 0);
    free(names);
    return best;
}

/* ---- loading ---- */

typedef struct loader {
    const char *file;
    rs_diags *diags;
    bool failed;
} loader;

static void fail(loader *ld, const char *help, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(loader *ld, const char *help, const char *fmt, ...) {
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rs_diag *d = rs_diag_file(ld->diags, RS_E_SNAP_BAD_SCHEMA, ld->file, 0, 0, "%s", msg);
    if (help) rs_diag_help(d, "%s", help);
    ld->failed = true;
}

static void add_field(rs_schema *s, const char *name, rs_type type, bool multi, bool derived) {
    s->fields = rs_reallocarray(s->fields, s->nfields + 1, sizeof *s->fields);
    rs_field *f = &s->fields[s->nfields++];
    memset(f, 0, sizeof *f);
    f->name = rs_strdup(name);
    f->type = type;
    f->multi = multi;
    f->derived = derived;
}

static void read_options(loader *ld, rs_field *f, json_t *opts, const char *where) {
    if (!json_is_array(opts) || json_array_size(opts) == 0) {
        fail(ld, "add \"options\": [\"value1\", \"value2\", ...]",
             "%s: an option field needs a non-empty \"options\" list", where);
        return;
    }
    size_t i;
    json_t *v;
    f->options = rs_calloc(json_array_size(opts), sizeof *f->options);
    json_array_foreach(opts, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            fail(ld, NULL, "%s: option values must be non-empty strings", where);
            return;
        }
        const char *val = json_string_value(v);
        if (rs_field_option(f, val, json_string_length(v)) >= 0) {
            fail(ld, NULL, "%s: option '%s' is listed twice (options compare ignoring case)", where, val);
            return;
        }
        f->options[f->noptions++] = rs_strndup(val, json_string_length(v));
    }
}

/* Reserved fields may be declared, but only with their fixed type. */
static void check_reserved(loader *ld, const rs_field *f, const char *where) {
    if (strcmp(f->name, "main_department") == 0)
        fail(ld, "remove it from schema.json; rules can use it anyway",
             "%s: 'main_department' is derived from 'department' and cannot be declared", where);
    else if (strcmp(f->name, "id") == 0 && (f->type != RS_T_TEXT || f->multi))
        fail(ld, NULL, "%s: 'id' must be a single text field", where);
    else if (strcmp(f->name, "department") == 0 && (f->type != RS_T_DEPARTMENT || !f->multi))
        fail(ld, NULL, "%s: 'department' must be {\"type\": \"department\", \"multi\": true}", where);
    else if (strcmp(f->name, "status") == 0 &&
             (f->type != RS_T_OPTION || f->multi || rs_field_option(f, "active", 6) < 0))
        fail(ld, NULL, "%s: 'status' must be a single option field whose options include \"active\"",
             where);
}

static bool valid_name(const char *s) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static void read_field(loader *ld, rs_schema *s, json_t *jf, size_t index) {
    char where[96];
    snprintf(where, sizeof where, "fields[%zu]", index);
    const char *name = json_string_value(json_object_get(jf, "name"));
    const char *type = json_string_value(json_object_get(jf, "type"));
    json_t *multi = json_object_get(jf, "multi");
    if (!json_is_object(jf) || !name || !type) {
        fail(ld, NULL, "%s: each field needs a string \"name\" and \"type\"", where);
        return;
    }
    if (!valid_name(name)) {
        fail(ld, NULL, "%s: field name '%s' must be letters, digits and '_', not starting with a digit",
             where, name);
        return;
    }
    int t = type_from_name(type);
    if (t < 0) {
        fail(ld, "types are text, option, number, date, personnel, department, bool",
             "%s: unknown type '%s'", where, type);
        return;
    }
    if (multi && !json_is_boolean(multi)) {
        fail(ld, NULL, "%s: \"multi\" must be true or false", where);
        return;
    }
    if (rs_schema_field(s, name)) {
        fail(ld, NULL, "%s: field '%s' is declared twice", where, name);
        return;
    }
    add_field(s, name, (rs_type)t, json_is_true(multi), false);
    rs_field *f = &s->fields[s->nfields - 1];
    json_t *opts = json_object_get(jf, "options");
    if (t == RS_T_OPTION) read_options(ld, f, opts, where);
    else if (opts) fail(ld, NULL, "%s: \"options\" is only for option fields (this one is %s)", where, type);
    check_reserved(ld, f, where);
}

rs_schema *rs_schema_parse(const char *name, const char *text, size_t len, rs_diags *diags) {
    loader ld = {name, diags, false};
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        rs_diag_file(diags, RS_E_SNAP_BAD_SCHEMA, name, (uint32_t)(err.line > 0 ? err.line : 0),
                     (uint32_t)(err.column > 0 ? err.column : 0), "invalid JSON: %s", err.text);
        return NULL;
    }
    json_t *fields = json_object_get(root, "fields");
    rs_schema *s = rs_calloc(1, sizeof *s);
    if (!json_is_array(fields)) {
        fail(&ld, "schema.json looks like {\"fields\": [{\"name\": \"job_title\", \"type\": \"text\"}]}",
             "expected an object with a \"fields\" array");
    } else {
        size_t i;
        json_t *jf;
        json_array_foreach(fields, i, jf) read_field(&ld, s, jf, i);
    }
    json_decref(root);
    if (!rs_schema_field(s, "id")) add_field(s, "id", RS_T_TEXT, false, false);
    if (!rs_schema_field(s, "department")) add_field(s, "department", RS_T_DEPARTMENT, true, false);
    if (!rs_schema_field(s, "main_department")) add_field(s, "main_department", RS_T_DEPARTMENT, false, true);
    if (ld.failed) {
        rs_schema_free(s);
        return NULL;
    }
    return s;
}

rs_schema *rs_schema_load(const char *path, rs_diags *diags) {
    char *text;
    size_t len;
    int rc = rs_read_file(path, 64u << 20, &text, &len);
    if (rc != 0) {
        rs_diag_file(diags, rc == -2 ? RS_E_SNAP_TOO_LARGE : RS_E_SNAP_MISSING_FILE, path, 0, 0,
                     rc == -2 ? "schema file larger than 64 MiB" : "cannot read the schema file");
        return NULL;
    }
    rs_schema *s = rs_schema_parse(path, text, len, diags);
    free(text);
    return s;
}
