/* check.c: name and type checks of parsed groups (spec section 3, last list). Every problem is a
 * diagnostic at the exact span of what is wrong, with a help line saying how to fix it; checking
 * keeps going after an error so one run reports everything. The result is the rs_checked side
 * table the compiler and the reference evaluator read. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/check.h"
#include "common/suggest.h"
#include "common/date.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "common/util.h"

#define MAX_CONDITIONS 20
#define MAX_DEPARTMENTS 10
#define MAX_LIST_MEMBERS 100
#define DATE_TEXT_LEN 48   /* "YYYY-MM-DD" or "today - 3650000 days", and a NUL */

typedef struct ctx {
    const rs_schema *schema;
    const rs_idset *ids;
    rs_diags *d;
    const rs_source *src;   /* source of the group being checked */
    const ast_group *g;
    bool cond_err;          /* an error in the condition being checked */
    bool group_err;         /* an error anywhere in the group being checked */
} ctx;

static rs_diag *report(ctx *c, rs_code code, rs_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The readers report group-shape errors (E0108-E0110) themselves, each at a place of its own; the
 * checker still marks such groups as not ok, but a problem already reported inside the group's
 * span is not reported again. */
static bool already_reported(const rs_diags *d, rs_code code, const rs_source *src, rs_span group) {
    for (size_t i = 0; i < d->n; i++) {
        const rs_diag *dg = &d->items[i];
        if (dg->code == code && dg->src == src && dg->span.start >= group.start && dg->span.start <= group.end)
            return true;
    }
    return false;
}

static rs_diag *report(ctx *c, rs_code code, rs_span span, const char *fmt, ...) {
    if (rs_code_severity(code) == RS_SEV_ERROR) c->cond_err = c->group_err = true;
    if ((code == RS_E_MIXED_FORMS || code == RS_E_MISSING_NAME || code == RS_E_EMPTY_GROUP_ID) &&
        already_reported(c->d, code, c->src, c->g ? rs_span_join(c->g->span, span) : span))
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    rs_diag *dg = rs_diag_atv(c->d, code, c->src, span, fmt, ap);
    va_end(ap);
    return dg;
}

/* Line and column for a help line; an AST built without a source has none (0:0). */
static void position(const rs_source *src, uint32_t offset, uint32_t *line, uint32_t *col) {
    *line = *col = 0;
    if (src) rs_source_position(src, offset, line, col);
}

/* A user string made safe and short for a message: control characters become '?', long text is
 * cut at a character boundary and marked with "...". */
static const char *show(const char *s, size_t len, char out[80]) {
    size_t n = 0, i = 0;
    while (i < len && n < 60) {
        uint32_t cp;
        int k = rs_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (k <= 0 || cp < 0x20 || cp == 0x7f) {
            out[n++] = '?';
            i += k > 0 ? (size_t)k : 1;
            continue;
        }
        memcpy(out + n, s + i, (size_t)k);
        n += (size_t)k;
        i += (size_t)k;
    }
    if (i < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* "text field", "multi-valued option field"; with_article adds "a" or "an". */
static const char *type_desc_art(const rs_field *f, bool with_article, char out[64]) {
    const char *art = f->multi || f->type != RS_T_OPTION ? "a " : "an ";
    snprintf(out, 64, "%s%s%s field", with_article ? art : "", f->multi ? "multi-valued " : "",
             rs_type_name(f->type));
    return out;
}

static const char *type_desc(const rs_field *f, char out[64]) { return type_desc_art(f, true, out); }

/* A value as the rule would spell it, for messages. */
static const char *value_text(const ast_value *v, char out[96]) {
    char tmp[80];
    switch (v->kind) {
    case AST_VAL_STRING: snprintf(out, 96, "\"%s\"", show(v->str, v->len, tmp)); break;
    case AST_VAL_NUMBER:
        if (v->str) snprintf(out, 96, "%s", show(v->str, v->len, tmp));
        else snprintf(out, 96, "%g", v->num);
        break;
    case AST_VAL_DATE: rs_date_format(v->day, tmp); snprintf(out, 96, "%s", tmp); break;
    case AST_VAL_BOOL: snprintf(out, 96, "%s", v->b ? "true" : "false"); break;
    case AST_VAL_TODAY: {
        int32_t n = v->unit ? v->count : 0;
        if (!v->unit) snprintf(out, 96, "today");
        else snprintf(out, 96, "today %c %d %s", v->day < 0 ? '-' : '+', n < 0 ? -n : n,
                      v->unit == 'w' ? (n == 1 || n == -1 ? "week" : "weeks")
                                     : (n == 1 || n == -1 ? "day" : "days"));
        break;
    }
    }
    return out;
}

/* ---- operators ---- */

typedef enum { OPV_OK, OPV_BAD, OPV_MULTI } opv;

static opv op_fits(ast_op op, rs_type t, bool multi) {
    switch (op) {
    case AST_OP_EQUALS: case AST_OP_NOT_EQUAL:
        return multi ? OPV_MULTI : OPV_OK;
    case AST_OP_ANY_OF: case AST_OP_NONE_OF: case AST_OP_IS_EMPTY: case AST_OP_NOT_EMPTY:
        return OPV_OK;
    case AST_OP_INCLUDE_ALL:
        return multi ? OPV_OK : OPV_BAD;
    case AST_OP_CONTAINS: case AST_OP_NOT_CONTAINS: case AST_OP_STARTS_WITH:
        return t == RS_T_TEXT ? OPV_OK : OPV_BAD;
    case AST_OP_BEFORE: case AST_OP_ON_OR_BEFORE: case AST_OP_AFTER: case AST_OP_ON_OR_AFTER:
    case AST_OP_BETWEEN:
        return t == RS_T_DATE || t == RS_T_NUMBER ? OPV_OK : OPV_BAD;
    case AST_OP_GREATER: case AST_OP_LESS: case AST_OP_AT_LEAST: case AST_OP_AT_MOST:
        return t == RS_T_NUMBER ? OPV_OK : OPV_BAD;
    case AST_OP_BELONG: case AST_OP_PARTLY_BELONG: case AST_OP_NOT_BELONG:
        return t == RS_T_DEPARTMENT ? OPV_OK : OPV_BAD;
    case AST_OP_REPORTS_TO:
        return t == RS_T_PERSONNEL ? OPV_OK : OPV_BAD;
    default:
        return OPV_BAD;
    }
}

static bool is_number_op(ast_op op) {
    return op == AST_OP_GREATER || op == AST_OP_LESS || op == AST_OP_AT_LEAST || op == AST_OP_AT_MOST;
}

static void help_valid_ops(rs_diag *dg, const rs_field *f, ast_op op) {
    if (f->type == RS_T_DATE && is_number_op(op)) {
        rs_diag_help(dg, "for dates use `is before`, `is on or before`, `is after`, `is on or after` "
                         "or `is between A and B`");
        return;
    }
    if (op == AST_OP_INCLUDE_ALL) {
        rs_diag_help(dg, "`include all` needs a multi-valued field; use `equals` or `is any of (...)`");
        return;
    }
    rs_sb sb = {0};
    char desc[64];
    rs_sb_printf(&sb, "operators for %ss: ", type_desc_art(f, false, desc));
    bool first = true;
    for (int o = 0; o < AST_OP_COUNT; o++) {
        if (op_fits((ast_op)o, f->type, f->multi) != OPV_OK) continue;
        rs_sb_printf(&sb, "%s%s", first ? "" : ", ", ast_op_text((ast_op)o));
        first = false;
    }
    rs_diag_help(dg, "%s", sb.buf);
    rs_sb_free(&sb);
}

/* Operator against the field type: E0202, or E0222 for single-value operators on multi fields. */
static void check_operator(ctx *c, const ast_cond *ac, const rs_field *f) {
    opv v = op_fits(ac->op, f->type, f->multi);
    if (v == OPV_OK) return;
    char name[80], desc[64];
    if (v == OPV_MULTI) {
        rs_diag *dg = report(c, RS_E_MULTI_OPERATOR, ac->op_span,
                             "`%s` compares one value, but '%s' is multi-valued", ast_op_text(ac->op),
                             show(f->name, strlen(f->name), name));
        rs_diag_help(dg, "use `%s (...)`: true when %s of the member's values is listed",
                     ac->op == AST_OP_EQUALS ? "is any of" : "is none of",
                     ac->op == AST_OP_EQUALS ? "any" : "none");
        return;
    }
    rs_diag *dg = report(c, RS_E_BAD_OPERATOR, ac->op_span, "`%s` cannot be used on '%s', %s",
                         ast_op_text(ac->op), show(f->name, strlen(f->name), name), type_desc(f, desc));
    help_valid_ops(dg, f, ac->op);
}

/* A list where one value is expected, or the reverse (E0219); an empty list (E0206). */
static void check_arity(ctx *c, const ast_cond *ac) {
    const char *op = ast_op_text(ac->op);
    switch (ast_op_args(ac->op)) {
    case AST_ARGS_ONE:
        if (!ac->list_form && ac->nvalues == 1) return;
        rs_diag *dg = report(c, RS_E_BAD_ARITY, ac->values_span, "`%s` takes one value, not a list", op);
        if (ac->op == AST_OP_EQUALS) rs_diag_help(dg, "to compare with several values use `is any of (...)`");
        else if (ac->op == AST_OP_NOT_EQUAL) rs_diag_help(dg, "to exclude several values use `is none of (...)`");
        else rs_diag_help(dg, "give a single value, without parentheses");
        return;
    case AST_ARGS_LIST:
        if (!ac->list_form) {
            rs_diag *dl = report(c, RS_E_BAD_ARITY, ac->values_span, "`%s` takes a list in parentheses", op);
            rs_diag_help(dl, "put the value(s) in parentheses: %s (...)", op);
        } else if (ac->nvalues == 0) {
            rs_diag *de = report(c, RS_E_EMPTY_LIST, ac->values_span, "the list of `%s` is empty", op);
            rs_diag_help(de, "give at least one value; to test for no value use `is empty`");
        }
        return;
    case AST_ARGS_TWO:
        if (ac->nvalues != 2 || ac->list_form) {
            rs_diag *dt = report(c, RS_E_BAD_ARITY, ac->values_span, "`%s` takes two values", op);
            rs_diag_help(dt, "write %s A and B", op);
        }
        return;
    case AST_ARGS_NONE:
        if (ac->nvalues != 0) {
            rs_diag *dn = report(c, RS_E_BAD_ARITY, ac->values_span, "`%s` takes no value", op);
            rs_diag_help(dn, "remove the value");
        }
        return;
    }
}

/* ---- values ---- */

/* The declared option nearest to value (ignoring case), within a third of its length, or -1. */
static int nearest_option(const rs_field *f, const char *value, size_t len) {
    size_t vlen;
    char *v = rs_casefold(value, len, &vlen);
    size_t best_d = (vlen / 3 > 1 ? vlen / 3 : 1) + 1;
    int best = -1;
    for (size_t i = 0; i < f->noptions; i++) {
        size_t olen;
        char *o = rs_casefold(f->options[i], strlen(f->options[i]), &olen);
        size_t dist = rs_edit_distance(v, vlen, o, olen);
        free(o);
        if (dist < best_d) {
            best_d = dist;
            best = (int)i;
        }
    }
    free(v);
    return best;
}

enum { HELP_LIST_BYTES = 240 };   /* options listed in a help line; the rest are counted, to keep it readable */

static void check_option(ctx *c, const rs_field *f, const ast_value *v, const char *s, size_t len,
                         rs_cvalue *out) {
    out->option = rs_field_option(f, s, len);
    if (out->option >= 0) return;
    char a[80], b[80];
    rs_diag *dg = report(c, RS_E_UNKNOWN_OPTION, v->span, "'%s' is not an option of '%s'",
                         show(s, len, a), show(f->name, strlen(f->name), b));
    rs_sb sb = {0};
    int near = nearest_option(f, s, len);
    if (near >= 0) rs_sb_printf(&sb, "did you mean '%s'? ", f->options[near]);
    rs_sb_puts(&sb, "the options are: ");
    /* A long list is cut at a whole option, short enough that the count still fits the help line. */
    size_t shown = 0;
    for (; shown < f->noptions && sb.len + strlen(f->options[shown]) + 2 < HELP_LIST_BYTES; shown++)
        rs_sb_printf(&sb, "%s%s", shown ? ", " : "", f->options[shown]);
    if (shown < f->noptions)
        rs_sb_printf(&sb, ", and %zu more (schema.json lists them all)", f->noptions - shown);
    rs_diag_help(dg, "%s", sb.buf);
    rs_sb_free(&sb);
}

/* Ids of department and personnel values, against the snapshot (E0301, E0302). */
static void check_id(ctx *c, rs_type type, rs_span span, const char *s, size_t len) {
    if (!c->ids) return;
    char a[80];
    if (type == RS_T_DEPARTMENT && c->ids->has_department && !c->ids->has_department(c->ids->ctx, s, len)) {
        rs_diag *dg = report(c, RS_E_UNKNOWN_DEPARTMENT, span, "department '%s' does not exist in the snapshot",
                             show(s, len, a));
        rs_diag_help(dg, "department ids are case-sensitive; check departments.jsonl for the right id");
    } else if (type == RS_T_PERSONNEL && c->ids->has_member && !c->ids->has_member(c->ids->ctx, s, len)) {
        rs_diag *dg = report(c, RS_E_UNKNOWN_MEMBER, span, "member '%s' does not exist in the snapshot",
                             show(s, len, a));
        rs_diag_help(dg, "member ids are case-sensitive; check members.jsonl for the right id");
    }
}

static bool looks_like_number(const char *s, size_t len) {
    if (len == 0 || len > 40) return false;
    char buf[48];
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    strtod(buf, &end);
    return *end == '\0' && buf[0] != ' ';
}

/* E0203 for a value that does not fit the field's type, with a help line for the likely fix. */
static void wrong_type(ctx *c, const rs_field *f, const ast_value *v) {
    char name[80], desc[64], val[96];
    show(f->name, strlen(f->name), name);
    value_text(v, val);
    static const char *const kinds[] = {"a string", "a number", "a date", "a date relative to today",
                                        "true/false"};
    rs_diag *dg = report(c, RS_E_BAD_VALUE_TYPE, v->span, "%s is %s, but '%s' is %s", val,
                         v->kind <= AST_VAL_BOOL ? kinds[v->kind] : "a value", name, type_desc(f, desc));
    switch (f->type) {
    case RS_T_NUMBER:
        if (v->kind == AST_VAL_STRING && looks_like_number(v->str, v->len))
            rs_diag_help(dg, "write numbers without quotes: %s", show(v->str, v->len, val));
        else rs_diag_help(dg, "give a number such as 42 or -3.5");
        break;
    case RS_T_DATE: {
        int32_t day;
        if (v->kind == AST_VAL_STRING && rs_date_parse(v->str, v->len, &day))
            rs_diag_help(dg, "write dates without quotes: %s", show(v->str, v->len, val));
        else rs_diag_help(dg, "give a date as YYYY-MM-DD (no quotes), or today, today - 90 days, today + 2 weeks");
        break;
    }
    case RS_T_BOOL:
        rs_diag_help(dg, "give true or false, without quotes");
        break;
    default:
        rs_diag_help(dg, "give the value as a string in double quotes: \"%s\"", val);
        break;
    }
}

/* The grammar reads anything that spells a date (2026-01-01, today - 90 days), quoted or not, as a
 * date: that is what keeps the JSON form, where dates can only be strings, equal to the text form.
 * Where text is expected a date therefore means its canonical spelling (docs/rules.md). spell has
 * room for DATE_TEXT_LEN bytes. */
static void date_as_text(const ast_value *v, rs_cvalue *out, char *spell) {
    if (v->kind == AST_VAL_DATE) {
        rs_date_format(v->day, spell);
    } else if (v->unit == '\0') {
        snprintf(spell, DATE_TEXT_LEN, "today");
    } else {
        int32_t count = v->count < 0 ? -v->count : v->count;
        snprintf(spell, DATE_TEXT_LEN, "today %c %d %s%s", v->day < 0 ? '-' : '+', (int)count,
                 v->unit == 'w' ? "week" : "day", count == 1 ? "" : "s");
    }
    out->str = spell;
    out->len = strlen(spell);
}

/* Converts one value to the field's terms; spell is room for a date written where text goes. */
static void check_value(ctx *c, const rs_field *f, const ast_value *v, rs_cvalue *out, char *spell) {
    memset(out, 0, sizeof *out);
    out->option = -1;
    switch (f->type) {
    case RS_T_TEXT: case RS_T_OPTION: case RS_T_PERSONNEL: case RS_T_DEPARTMENT:
        if (v->kind == AST_VAL_STRING) {
            out->str = v->str ? v->str : "";
            out->len = v->len;
        } else if (v->kind == AST_VAL_DATE || v->kind == AST_VAL_TODAY) {
            date_as_text(v, out, spell);
        } else {
            wrong_type(c, f, v);
            return;
        }
        if (f->type == RS_T_OPTION) check_option(c, f, v, out->str, out->len, out);
        else check_id(c, f->type, v->span, out->str, out->len);
        return;
    case RS_T_NUMBER:
        if (v->kind == AST_VAL_NUMBER) out->num = v->num;
        else wrong_type(c, f, v);
        return;
    case RS_T_DATE:
        if (v->kind == AST_VAL_DATE || v->kind == AST_VAL_TODAY) {
            out->day = v->day;
            out->is_today = v->kind == AST_VAL_TODAY;
        } else {
            wrong_type(c, f, v);
        }
        return;
    case RS_T_BOOL:
        if (v->kind == AST_VAL_BOOL) out->num = v->b ? 1 : 0;
        else wrong_type(c, f, v);
        return;
    default:
        return;
    }
}

/* ---- duplicate detection, shared by value lists, id lists and group ids/names ---- */

typedef struct dupkey {
    const char *s; size_t len;   /* compared bytes (NULL: compare num/day) */
    double num;
    int32_t day;
    int kind;                    /* values of different kinds never compare equal */
    size_t pos;                  /* position in the list: the first occurrence wins */
} dupkey;

static int dupkey_cmp(const void *pa, const void *pb) {
    const dupkey *a = pa, *b = pb;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->s || b->s) {
        size_t n = a->len < b->len ? a->len : b->len;
        int r = n ? memcmp(a->s, b->s, n) : 0;
        if (r) return r;
        if (a->len != b->len) return a->len < b->len ? -1 : 1;
    } else if (a->num != b->num) {
        return a->num < b->num ? -1 : 1;
    } else if (a->day != b->day) {
        return a->day < b->day ? -1 : 1;
    }
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static bool same_value(const dupkey *a, const dupkey *b) {
    dupkey x = *a, y = *b;
    x.pos = y.pos = 0;
    return dupkey_cmp(&x, &y) == 0;
}

/* Sorts keys (by value, then position) and sets first[pos] to the position of the first equal
 * key for every repeated key; first has nfirst entries (positions are below nfirst), SIZE_MAX for
 * keys seen once or first. */
static void find_dups(dupkey *keys, size_t n, size_t *first, size_t nfirst) {
    for (size_t i = 0; i < nfirst; i++) first[i] = SIZE_MAX;
    if (n < 2) return;
    qsort(keys, n, sizeof *keys, dupkey_cmp);
    size_t run = 0;
    for (size_t i = 1; i < n; i++) {
        if (!same_value(&keys[run], &keys[i])) run = i;
        else first[keys[i].pos] = keys[run].pos;
    }
}

/* W0221 for a value listed twice in a condition's list (compared as the field compares them). */
static void check_value_dups(ctx *c, const ast_cond *ac, const rs_field *f, const rs_cvalue *vals) {
    size_t n = ac->nvalues;
    if (n < 2 || ast_op_args(ac->op) != AST_ARGS_LIST) return;
    dupkey *keys = rs_calloc(n, sizeof *keys);
    char **folded = rs_calloc(n, sizeof *folded);
    size_t *first = rs_calloc(n, sizeof *first);
    for (size_t i = 0; i < n; i++) {
        const ast_value *v = &ac->values[i];
        keys[i].pos = i;
        keys[i].kind = (int)v->kind;
        if (vals[i].str) {   /* a string-typed field: compare as the field compares */
            keys[i].kind = AST_VAL_STRING;
            if (f->type == RS_T_TEXT || f->type == RS_T_OPTION) {
                folded[i] = rs_casefold(vals[i].str, vals[i].len, &keys[i].len);
                keys[i].s = folded[i];
            } else {
                keys[i].s = vals[i].str;
                keys[i].len = vals[i].len;
            }
        } else if (v->kind == AST_VAL_STRING) {   /* of the wrong type: compare as written */
            keys[i].s = v->str ? v->str : "";
            keys[i].len = v->len;
        } else {
            keys[i].num = v->num;
            keys[i].day = v->day;
            if (v->kind == AST_VAL_BOOL) keys[i].num = v->b;
        }
    }
    find_dups(keys, n, first, n);
    for (size_t i = 0; i < n; i++) {
        if (first[i] == SIZE_MAX) continue;
        char val[96];
        rs_diag *dg = report(c, RS_E_DUPLICATE_VALUE, ac->values[i].span, "%s is listed twice",
                             value_text(&ac->values[i], val));
        rs_diag_help(dg, "remove the repeated value");
    }
    for (size_t i = 0; i < n; i++) free(folded[i]);
    free(folded);
    free(keys);
    free(first);
}

static bool is_date_kind(const ast_value *v) { return v->kind == AST_VAL_DATE || v->kind == AST_VAL_TODAY; }

/* One end fixed, one relative to today, on a multi-valued date field: some single value of the
 * member must lie in the range, which the engine tests only when both ends are of one kind (on a
 * single-valued field the range splits into `>= A and <= B`). */
static bool mixed_range_on_multi(ctx *c, const ast_cond *ac, const rs_field *f) {
    const ast_value *a = &ac->values[0], *b = &ac->values[1];
    if (f->type != RS_T_DATE || !f->multi || !is_date_kind(a) || !is_date_kind(b) || a->kind == b->kind)
        return false;
    char n[80];
    rs_diag *dg = report(c, RS_E_BAD_VALUE_TYPE, ac->values_span,
                         "on the multi-valued date field '%s', both ends of `is between` must be dates, "
                         "or both relative to today", show(f->name, strlen(f->name), n));
    rs_diag_help(dg, "write both ends as YYYY-MM-DD, or both as today +/- N days");
    return true;
}

/* E0205: `is between A and B` with A after B, when both ends are comparable now: two numbers, two
 * dates, or two offsets from today. */
static void check_between(ctx *c, const ast_cond *ac, const rs_field *f, const rs_cvalue *v) {
    if (ac->op != AST_OP_BETWEEN || ac->nvalues != 2 || !ac->values) return;
    if (mixed_range_on_multi(c, ac, f)) return;
    const ast_value *a = &ac->values[0], *b = &ac->values[1];
    bool numbers = f->type == RS_T_NUMBER && a->kind == AST_VAL_NUMBER && b->kind == AST_VAL_NUMBER;
    bool days = f->type == RS_T_DATE && is_date_kind(a) && a->kind == b->kind;
    if (!(numbers ? v[0].num > v[1].num : days && v[0].day > v[1].day)) return;
    char sa[96], sb[96];
    value_text(a, sa);
    value_text(b, sb);
    rs_diag *dg = report(c, RS_E_BETWEEN_ORDER, ac->values_span, "the range is empty: %s is after %s", sa, sb);
    rs_diag_help(dg, "write the smaller end first: is between %s and %s", sb, sa);
}

/* ---- conditions ---- */

static void help_unknown_field(ctx *c, rs_diag *dg, const char *name) {
    const char *near = rs_schema_suggest(c->schema, name);
    if (near) {
        rs_diag_help(dg, "did you mean '%s'?", near);
        return;
    }
    rs_sb sb = {0};
    rs_sb_puts(&sb, "the schema's fields are: ");
    for (size_t i = 0; i < c->schema->nfields; i++)
        rs_sb_printf(&sb, "%s%s", i ? ", " : "", c->schema->fields[i].name);
    rs_diag_help(dg, "%s", sb.buf);
    rs_sb_free(&sb);
}

static void check_cond(ctx *c, const ast_cond *ac, rs_ccond *cc) {
    c->cond_err = false;
    cc->ast = ac;
    cc->field_index = ac->field ? rs_schema_index(c->schema, ac->field) : -1;
    cc->field = cc->field_index >= 0 ? &c->schema->fields[cc->field_index] : NULL;
    /* The values and, after them, room to spell dates written where text is expected. */
    size_t n = ac->nvalues;
    cc->values = rs_calloc(1, n * (sizeof *cc->values + DATE_TEXT_LEN) + 1);
    char *spell = (char *)(cc->values + n);
    check_arity(c, ac);
    if (!cc->field) {
        char name[80];
        const char *fname = ac->field ? ac->field : "";
        rs_diag *dg = report(c, RS_E_UNKNOWN_FIELD, ac->field_span, "unknown field '%s'",
                             show(fname, strlen(fname), name));
        help_unknown_field(c, dg, fname);
    } else {
        const rs_field *f = cc->field;
        check_operator(c, ac, f);
        if (ac->with_sub && ac->op != AST_OP_PARTLY_BELONG && ac->op != AST_OP_NOT_BELONG) {
            rs_diag *dg = report(c, RS_E_SUBDEPT_NOT_ALLOWED, ac->with_sub_span,
                                 "`with sub-departments` cannot follow `%s`", ast_op_text(ac->op));
            rs_diag_help(dg, "it widens `partly belong to` and `don't belong to` only; remove it");
        }
        for (size_t i = 0; i < n; i++) check_value(c, f, &ac->values[i], &cc->values[i], spell + i * DATE_TEXT_LEN);
        check_between(c, ac, f, cc->values);
        check_value_dups(c, ac, f, cc->values);
    }
    cc->ok = !c->cond_err;
}

/* ---- groups ---- */

typedef struct numbering {
    int declared[MAX_CONDITIONS + 1];   /* index of the condition with that number + 1, 0 = none */
    bool used[MAX_CONDITIONS + 1];
    uint64_t unread;                    /* ast_group.unread_conds */
} numbering;

static void check_numbers(ctx *c, const ast_group *g, numbering *nb) {
    for (size_t i = 0; i < g->nconds; i++) {
        const ast_cond *ac = &g->conds[i];
        if (ac->number < 1 || ac->number > MAX_CONDITIONS) {
            /* the digits as written: the parsed number saturates at UINT32_MAX */
            const char *digits = c->src->text + ac->number_span.start;
            int ndigits = 0;
            while (ac->number_span.start + (uint32_t)ndigits < ac->number_span.end && digits[ndigits] >= '0' &&
                   digits[ndigits] <= '9')
                ndigits++;
            rs_diag *dg = ndigits ? report(c, RS_E_CONDITION_RANGE, ac->number_span, "condition number %.*s is "
                                           "outside 1..%d", ndigits, digits, MAX_CONDITIONS)
                                  : report(c, RS_E_CONDITION_RANGE, ac->number_span, "condition number %u is "
                                           "outside 1..%d", ac->number, MAX_CONDITIONS);
            rs_diag_help(dg, "number conditions from 1 to %d", MAX_CONDITIONS);
        } else if (nb->declared[ac->number]) {
            const ast_cond *prev = &g->conds[nb->declared[ac->number] - 1];
            uint32_t line, col;
            position(c->src, prev->number_span.start, &line, &col);
            rs_diag *dg = report(c, RS_E_DUPLICATE_CONDITION, ac->number_span,
                                 "condition %u is declared twice", ac->number);
            rs_diag_help(dg, "the first condition %u is on line %u; give this one an unused number",
                         ac->number, line);
        } else {
            nb->declared[ac->number] = (int)i + 1;
        }
    }
    if (g->nconds > MAX_CONDITIONS) {
        rs_diag *dg = report(c, RS_E_TOO_MANY_CONDITIONS, g->conds[MAX_CONDITIONS].span,
                             "the group has %zu conditions; at most %d are allowed", g->nconds, MAX_CONDITIONS);
        rs_diag_help(dg, "combine values with `is any of (...)`, or split the group");
    }
}

static void walk_match(ctx *c, const ast_expr *e, numbering *nb) {
    if (!e) return;
    switch (e->kind) {
    case AST_EXPR_AND: case AST_EXPR_OR:
        walk_match(c, e->lhs, nb);
        walk_match(c, e->rhs, nb);
        return;
    case AST_EXPR_NOT: {
        rs_diag *dg = report(c, RS_E_NOT_IN_MATCH, e->span, "`not` cannot be used in `match`");
        rs_diag_help(dg, "negate the condition itself (`not equal to`, `is none of`, `does not contain`, "
                         "`don't belong to`, `is not empty`), or write the rule with `where`");
        walk_match(c, e->lhs, nb);
        return;
    }
    case AST_EXPR_REF:
        if (e->ref < 64 && (nb->unread & UINT64_C(1) << e->ref)) return;   /* already reported */
        if (e->ref < 1 || e->ref > MAX_CONDITIONS || !nb->declared[e->ref]) {
            rs_diag *dg = report(c, RS_E_UNDECLARED_CONDITION, e->span, "condition %u is not declared", e->ref);
            rs_diag_help(dg, "declare it (%u: field operator value) or remove it from `match`", e->ref);
        } else if (nb->used[e->ref]) {
            rs_diag *dg = report(c, RS_E_CONDITION_REUSED, e->span, "`match` uses condition %u twice", e->ref);
            rs_diag_help(dg, "use each condition once; `and` binds tighter than `or`, group with parentheses");
        } else {
            nb->used[e->ref] = true;
        }
        return;
    case AST_EXPR_COND:
        return;   /* the parser puts conditions only in `where` */
    }
}

static void check_match(ctx *c, const ast_group *g, numbering *nb) {
    if (!g->match) return;
    if (g->nconds == 0) {
        if (g->where || g->unread_conds) return;   /* E0108 or the conditions' own errors say it */
        rs_diag *dg = report(c, RS_E_MATCH_WITHOUT_CONDITIONS, g->match_span,
                             "`match` names conditions, but the group has none");
        rs_diag_help(dg, "add numbered conditions (1: field operator value), or remove `match`");
        return;
    }
    walk_match(c, g->match, nb);
    for (int n = 1; n <= MAX_CONDITIONS; n++) {
        if (!nb->declared[n] || nb->used[n]) continue;
        const ast_cond *ac = &g->conds[nb->declared[n] - 1];
        rs_diag *dg = report(c, RS_E_CONDITION_UNUSED, ac->number_span,
                             "condition %d is missing from `match`", n);
        rs_diag_help(dg, "use %d in `match`, or delete the condition", n);
    }
}

static size_t count_where(const ast_expr *e) {
    if (!e) return 0;
    if (e->kind == AST_EXPR_COND) return 1;
    return count_where(e->lhs) + count_where(e->rhs);
}

static void collect_where(ctx *c, const ast_expr *e, rs_cgroup *cg, size_t *nseen) {
    if (!e) return;
    if (e->kind != AST_EXPR_COND) {
        collect_where(c, e->lhs, cg, nseen);
        collect_where(c, e->rhs, cg, nseen);
        return;
    }
    if (!e->cond) return;
    if (++*nseen == MAX_CONDITIONS + 1) {
        rs_diag *dg = report(c, RS_E_TOO_MANY_CONDITIONS, e->cond->span,
                             "the `where` expression has more than %d conditions", MAX_CONDITIONS);
        rs_diag_help(dg, "combine values with `is any of (...)`, or split the group");
    }
    rs_ccond *cc = rs_calloc(1, sizeof *cc);
    cg->where_conds[cg->nwhere++] = cc;
    check_cond(c, e->cond, cc);
}

static void check_form(ctx *c, const ast_group *g) {
    char id[80];
    show(g->id.s ? g->id.s : "", g->id.len, id);
    if (!g->id.s || g->id.len == 0) {
        rs_diag *dg = report(c, RS_E_EMPTY_GROUP_ID, g->id.span, "the group id is empty");
        rs_diag_help(dg, "give the group an id that is unique across all rule files: group \"sales-team\" { ... }");
    }
    if (!g->name.s) {
        rs_diag *dg = report(c, RS_E_MISSING_NAME, g->id.span, "group '%s' has no name", id);
        rs_diag_help(dg, "add a display name: name \"Sales team\"");
    } else if (g->name.len == 0) {
        rs_diag *dg = report(c, RS_E_MISSING_NAME, g->name.span, "the display name of group '%s' is empty", id);
        rs_diag_help(dg, "give the group a display name, unique among all groups");
    }
    if (g->where && (g->nconds > 0 || g->match)) {
        rs_diag *dg = report(c, RS_E_MIXED_FORMS, g->where_span, "group '%s' has both `where` and %s", id,
                             g->nconds > 0 ? "numbered conditions" : "`match`");
        rs_diag_help(dg, "use either numbered conditions (with `match`) or one `where` expression");
    }
}

/* departments / allow / block: empty (E0206), too long, repeated values (W0221), unknown ids. */
static void check_idlist(ctx *c, const ast_strlist *l, const char *what, size_t max, rs_code too_many,
                         rs_type idtype) {
    if (!l->present) return;
    if (l->n == 0) {
        rs_diag *dg = report(c, RS_E_EMPTY_LIST, l->span, "`%s` lists nothing", what);
        rs_diag_help(dg, "give at least one id, or remove the line");
        return;
    }
    if (l->n > max) {
        rs_diag *dg = report(c, too_many, l->items[max].span, "`%s` has %zu entries; at most %zu are allowed",
                             what, l->n, max);
        rs_diag_help(dg, idtype == RS_T_DEPARTMENT ? "use `with sub-departments` on a common parent department"
                                                   : "express the members with a condition instead");
    }
    dupkey *keys = rs_calloc(l->n, sizeof *keys);
    size_t *first = rs_calloc(l->n, sizeof *first);
    for (size_t i = 0; i < l->n; i++) {
        keys[i].s = l->items[i].s ? l->items[i].s : "";
        keys[i].len = l->items[i].len;
        keys[i].pos = i;
    }
    find_dups(keys, l->n, first, l->n);
    for (size_t i = 0; i < l->n; i++) {
        const ast_str *it = &l->items[i];
        char a[80];
        if (first[i] != SIZE_MAX) {
            rs_diag *dg = report(c, RS_E_DUPLICATE_VALUE, it->span, "'%s' is listed twice in `%s`",
                                 show(it->s ? it->s : "", it->len, a), what);
            rs_diag_help(dg, "remove the repeated id");
        }
        check_id(c, idtype, it->span, it->s ? it->s : "", it->len);
    }
    free(keys);
    free(first);
}

static int dupkey_value_cmp(const void *a, const void *b) {
    dupkey x = *(const dupkey *)a, y = *(const dupkey *)b;
    x.pos = y.pos = 0;
    return dupkey_cmp(&x, &y);
}

/* E0217: a member both allowed and blocked; reported on the block entry. The allowlist is sorted
 * once, so even lists far over the limit are checked quickly. */
static void check_allow_block(ctx *c, const ast_group *g) {
    if (!g->allow.n || !g->block.n) return;
    dupkey *allowed = rs_calloc(g->allow.n, sizeof *allowed);
    for (size_t j = 0; j < g->allow.n; j++) {
        allowed[j].s = g->allow.items[j].s ? g->allow.items[j].s : "";
        allowed[j].len = g->allow.items[j].len;
        allowed[j].pos = j;
    }
    qsort(allowed, g->allow.n, sizeof *allowed, dupkey_cmp);
    for (size_t i = 0; i < g->block.n; i++) {
        const ast_str *b = &g->block.items[i];
        dupkey key = {b->s ? b->s : "", b->len, 0, 0, 0, 0};
        const dupkey *hit = bsearch(&key, allowed, g->allow.n, sizeof *allowed, dupkey_value_cmp);
        if (!hit) continue;
        char s[80];
        uint32_t line, col;
        position(c->src, g->allow.items[hit->pos].span.start, &line, &col);
        rs_diag *dg = report(c, RS_E_ALLOWED_AND_BLOCKED, b->span, "'%s' is both allowed and blocked",
                             show(key.s, key.len, s));
        rs_diag_help(dg, "remove it from `block` or from `allow` (line %u)", line);
    }
    free(allowed);
}

static void check_group(ctx *c, const ast_group *g, rs_cgroup *cg) {
    c->g = g;
    c->group_err = false;
    cg->ast = g;
    check_form(c, g);
    numbering nb;
    memset(&nb, 0, sizeof nb);
    nb.unread = g->unread_conds;
    check_numbers(c, g, &nb);
    cg->conds = rs_calloc(g->nconds ? g->nconds : 1, sizeof *cg->conds);
    for (size_t i = 0; i < g->nconds; i++) check_cond(c, &g->conds[i], &cg->conds[i]);
    check_match(c, g, &nb);
    size_t nw = count_where(g->where);
    cg->where_conds = rs_calloc(nw ? nw : 1, sizeof *cg->where_conds);
    size_t seen = 0;
    collect_where(c, g->where, cg, &seen);
    check_idlist(c, &g->departments, "departments", MAX_DEPARTMENTS, RS_E_TOO_MANY_DEPARTMENTS, RS_T_DEPARTMENT);
    check_idlist(c, &g->allow, "allow", MAX_LIST_MEMBERS, RS_E_TOO_MANY_MEMBERS, RS_T_PERSONNEL);
    check_idlist(c, &g->block, "block", MAX_LIST_MEMBERS, RS_E_TOO_MANY_MEMBERS, RS_T_PERSONNEL);
    check_allow_block(c, g);
    cg->ok = !c->group_err;
}

/* ---- across groups: ids (exact) and display names (ignoring case) used twice ---- */

typedef struct gref {
    const ast_group *g;
    const rs_source *src;
    rs_cgroup *cg;
} gref;

static void check_unique(ctx *c, gref *refs, size_t n, bool names) {
    dupkey *keys = rs_calloc(n ? n : 1, sizeof *keys);
    char **folded = rs_calloc(n ? n : 1, sizeof *folded);
    size_t *first = rs_calloc(n ? n : 1, sizeof *first);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const ast_str *s = names ? &refs[i].g->name : &refs[i].g->id;
        if (!s->s || s->len == 0) continue;
        keys[m].pos = i;
        if (names) {
            folded[i] = rs_casefold(s->s, s->len, &keys[m].len);
            keys[m].s = folded[i];
        } else {
            keys[m].s = s->s;
            keys[m].len = s->len;
        }
        m++;
    }
    find_dups(keys, m, first, n);   /* positions are group indices */
    for (size_t i = 0; i < n; i++) {
        if (first[i] == SIZE_MAX) continue;
        const gref *r = &refs[i], *p = &refs[first[i]];
        const ast_str *s = names ? &r->g->name : &r->g->id;
        const ast_str *ps = names ? &p->g->name : &p->g->id;
        uint32_t line, col;
        position(p->src, ps->span.start, &line, &col);
        char a[80];
        c->src = r->src;
        c->group_err = false;
        rs_diag *dg = names ? report(c, RS_E_DUPLICATE_GROUP_NAME, s->span,
                                     "display name '%s' is already used by group '%.60s'",
                                     show(s->s, s->len, a), p->g->id.s ? p->g->id.s : "")
                            : report(c, RS_E_DUPLICATE_GROUP_ID, s->span, "group id '%s' is used twice",
                                     show(s->s, s->len, a));
        rs_diag_help(dg, "%s must be unique%s; the first is at %s:%u:%u",
                     names ? "display names" : "group ids",
                     names ? " (ignoring case)" : " across all rule files", p->src ? p->src->name : "?", line, col);
        r->cg->ok = false;
    }
    for (size_t i = 0; i < n; i++) free(folded[i]);
    free(folded);
    free(keys);
    free(first);
}

rs_checked *rs_check(const ast_file *const *files, size_t nfiles, const rs_schema *schema,
                     const rs_idset *ids, rs_diags *diags) {
    rs_checked *out = rs_calloc(1, sizeof *out);
    out->files = files;
    out->nfiles = nfiles;
    out->schema = schema;
    size_t total = 0;
    for (size_t i = 0; i < nfiles; i++) total += files[i] ? files[i]->ngroups : 0;
    out->groups = rs_calloc(total ? total : 1, sizeof *out->groups);
    gref *refs = rs_calloc(total ? total : 1, sizeof *refs);
    ctx c = {schema, ids, diags, NULL, NULL, false, false};
    for (size_t i = 0; i < nfiles; i++) {
        if (!files[i]) continue;
        c.src = files[i]->src;
        for (size_t j = 0; j < files[i]->ngroups; j++) {
            gref r = {&files[i]->groups[j], files[i]->src, &out->groups[out->ngroups]};
            refs[out->ngroups++] = r;
            check_group(&c, r.g, r.cg);
        }
    }
    check_unique(&c, refs, out->ngroups, false);
    check_unique(&c, refs, out->ngroups, true);
    free(refs);
    return out;
}

static void ccond_clear(rs_ccond *cc) { free(cc->values); }

void rs_checked_free(rs_checked *c) {
    if (!c) return;
    for (size_t i = 0; i < c->ngroups; i++) {
        rs_cgroup *g = &c->groups[i];
        for (size_t j = 0; g->ast && j < g->ast->nconds; j++) ccond_clear(&g->conds[j]);
        for (size_t j = 0; j < g->nwhere; j++) {
            ccond_clear(g->where_conds[j]);
            free(g->where_conds[j]);
        }
        free(g->conds);
        free(g->where_conds);
    }
    free(c->groups);
    free(c);
}

const rs_ccond *rs_checked_cond(const rs_cgroup *g, const ast_cond *c) {
    for (size_t i = 0; g->ast && i < g->ast->nconds; i++)
        if (g->conds[i].ast == c) return &g->conds[i];
    for (size_t i = 0; i < g->nwhere; i++)
        if (g->where_conds[i]->ast == c) return g->where_conds[i];
    return NULL;
}
