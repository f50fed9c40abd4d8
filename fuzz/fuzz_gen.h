/* fuzz_gen.h: a small organisation and well-typed rules drawn from the fuzzer's bytes, for the
 * differential harnesses (fuzz_vm_diff, fuzz_bytecode_diff). Every choice reads one byte, so a
 * mutation changes one decision and the fuzzer's coverage feedback steers toward new shapes of
 * members and rules; past the end of the input every choice is 0.
 *
 * Values come from small pools chosen to collide: texts that differ only by case (ASCII and not),
 * prefixes of each other, numbers around the rule constants, dates around `today`. The snapshot
 * is written as JSON Lines and loaded by the real loader; the rules go through the real parser,
 * checker (with the snapshot's ids) and compiler. */
#ifndef RS_FUZZ_GEN_H
#define RS_FUZZ_GEN_H
#include "common/date.h"
#include "fuzz/fuzz_snap.h"

typedef struct gen {
    const uint8_t *p;
    size_t n, at;
    uint32_t nmembers, ndepts;
    int32_t base;          /* the day every generated date is near */
    int32_t today;
} gen;

static inline uint32_t gen_byte(gen *g) { return g->at < g->n ? g->p[g->at++] : 0; }
static inline uint32_t gen_pick(gen *g, uint32_t n) { return n ? gen_byte(g) % n : 0; }

/* The fields the generator knows, with the schema they make. */
typedef struct gen_field {
    const char *name;
    rs_type type;
    bool multi;
} gen_field;

static const gen_field gen_fields[] = {
    {"name", RS_T_TEXT, false},          {"job_title", RS_T_TEXT, false},
    {"aliases", RS_T_TEXT, true},        {"city", RS_T_OPTION, false},
    {"skills", RS_T_OPTION, true},       {"status", RS_T_OPTION, false},
    {"level", RS_T_NUMBER, false},       {"scores", RS_T_NUMBER, true},
    {"join_date", RS_T_DATE, false},     {"holidays", RS_T_DATE, true},
    {"leader", RS_T_PERSONNEL, false},   {"mentors", RS_T_PERSONNEL, true},
    {"is_manager", RS_T_BOOL, false},    {"flags", RS_T_BOOL, true},
    {"home", RS_T_DEPARTMENT, false},    {"department", RS_T_DEPARTMENT, true},
    {"main_department", RS_T_DEPARTMENT, false},
};
enum { GEN_STORED_FIELDS = 16 };   /* main_department is derived, never written */

static const char gen_schema_json[] =
    "{\"fields\": ["
    "{\"name\": \"name\", \"type\": \"text\"}, {\"name\": \"job_title\", \"type\": \"text\"},"
    "{\"name\": \"aliases\", \"type\": \"text\", \"multi\": true},"
    "{\"name\": \"city\", \"type\": \"option\", \"options\": [\"Shanghai\", \"Hangzhou\", \"Zürich\"]},"
    "{\"name\": \"skills\", \"type\": \"option\", \"multi\": true, \"options\": [\"c\", \"go\", \"sql\"]},"
    "{\"name\": \"status\", \"type\": \"option\", \"options\": [\"active\", \"frozen\", \"resigned\"]},"
    "{\"name\": \"level\", \"type\": \"number\"}, {\"name\": \"scores\", \"type\": \"number\", \"multi\": true},"
    "{\"name\": \"join_date\", \"type\": \"date\"}, {\"name\": \"holidays\", \"type\": \"date\", \"multi\": true},"
    "{\"name\": \"leader\", \"type\": \"personnel\"}, {\"name\": \"mentors\", \"type\": \"personnel\", \"multi\": true},"
    "{\"name\": \"is_manager\", \"type\": \"bool\"}, {\"name\": \"flags\", \"type\": \"bool\", \"multi\": true},"
    "{\"name\": \"home\", \"type\": \"department\"}"
    "]}";

/* Texts: case pairs (ASCII, Latin-1, Greek final sigma, a title-case digraph), prefixes, and
 * the empty string (an empty value in a snapshot). None needs escaping in JSON or rule text. */
static const char *const gen_texts[] = {"a", "A", "ab", "AB", "abc", "b", "straße", "STRASSE", "Straße",
                                        "é", "É", "σς", "ΣΣ", "ǅ", "ǆ", "x y", ""};
static const char *const gen_options[][3] = {
    {"Shanghai", "Hangzhou", "Zürich"}, {"c", "go", "sql"}, {"active", "frozen", "resigned"}};
static const char *const gen_option_case[][3] = {
    {"SHANGHAI", "hangzhou", "ZÜRICH"}, {"C", "Go", "SQL"}, {"Active", "FROZEN", "resigned"}};
static const char *const gen_numbers[] = {"-2", "-1.5", "0", "0.5", "1", "2", "2.5", "3", "10", "1e9", "-0"};

static inline void gen_text(gen *g, rs_sb *sb) { rs_sb_printf(sb, "\"%s\"", gen_texts[gen_pick(g, RS_ARRAY_LEN(gen_texts))]); }

static inline int gen_option_set(const gen_field *f) {
    return strcmp(f->name, "city") == 0 ? 0 : strcmp(f->name, "skills") == 0 ? 1 : 2;
}

static inline void gen_date(gen *g, rs_sb *sb, bool quoted) {
    char ymd[RS_DATE_MAX];
    rs_date_format(g->base + (int32_t)gen_pick(g, 13) - 6, ymd);
    rs_sb_printf(sb, quoted ? "\"%s\"" : "%s", ymd);
}

static inline void gen_member_id(gen *g, rs_sb *sb) { rs_sb_printf(sb, "\"u%u\"", gen_pick(g, g->nmembers)); }
static inline void gen_dept_id(gen *g, rs_sb *sb) { rs_sb_printf(sb, "\"D%u\"", gen_pick(g, g->ndepts)); }

/* One value of field f in a members.jsonl line. */
static inline void gen_member_value(gen *g, const gen_field *f, rs_sb *sb) {
    switch (f->type) {
    case RS_T_TEXT: gen_text(g, sb); break;
    case RS_T_OPTION: rs_sb_printf(sb, "\"%s\"", gen_options[gen_option_set(f)][gen_pick(g, 3)]); break;
    case RS_T_NUMBER: rs_sb_puts(sb, gen_numbers[gen_pick(g, RS_ARRAY_LEN(gen_numbers))]); break;
    case RS_T_DATE: gen_date(g, sb, true); break;
    case RS_T_PERSONNEL: gen_member_id(g, sb); break;
    case RS_T_BOOL: rs_sb_puts(sb, gen_pick(g, 2) ? "true" : "false"); break;
    default: gen_dept_id(g, sb); break;
    }
}

/* A field's entry: missing, null, or values (a list of 0-3 for multi fields, repeats allowed). */
static inline void gen_member_field(gen *g, const gen_field *f, rs_sb *sb) {
    uint32_t how = gen_pick(g, 8);
    if (how == 0) return;
    rs_sb_printf(sb, ", \"%s\": ", f->name);
    if (how == 1) {
        rs_sb_puts(sb, "null");
    } else if (!f->multi) {
        gen_member_value(g, f, sb);
    } else {
        uint32_t n = gen_pick(g, 4);
        rs_sb_putc(sb, '[');
        for (uint32_t i = 0; i < n; i++) {
            if (i) rs_sb_puts(sb, ", ");
            gen_member_value(g, f, sb);
        }
        rs_sb_putc(sb, ']');
    }
}

/* departments.jsonl: D0 is a root; each later department hangs below an earlier one or is a root. */
static inline void gen_departments(gen *g, rs_sb *sb) {
    for (uint32_t d = 0; d < g->ndepts; d++) {
        uint32_t parent = d ? gen_pick(g, d + 1) : 0;
        if (d == 0 || parent == d) rs_sb_printf(sb, "{\"id\": \"D%u\", \"parent\": null, \"name\": \"d%u\"}\n", d, d);
        else rs_sb_printf(sb, "{\"id\": \"D%u\", \"parent\": \"D%u\", \"name\": \"d%u\"}\n", d, parent, d);
    }
}

/* members.jsonl: every member in 0-3 departments (repeats allowed: the loader keeps the first). A
 * member in no department is one choice in four, and never past the end of the input, so that short
 * inputs still exercise departments. */
static inline void gen_members(gen *g, rs_sb *sb) {
    for (uint32_t m = 0; m < g->nmembers; m++) {
        rs_sb_printf(sb, "{\"id\": \"u%u\", \"department\": [", m);
        uint32_t n = (1 + gen_pick(g, 4)) % 4;
        for (uint32_t i = 0; i < n; i++) {
            if (i) rs_sb_puts(sb, ", ");
            gen_dept_id(g, sb);
        }
        rs_sb_putc(sb, ']');
        for (size_t f = 0; f < GEN_STORED_FIELDS; f++)
            if (strcmp(gen_fields[f].name, "department") != 0) gen_member_field(g, &gen_fields[f], sb);
        rs_sb_puts(sb, "}\n");
    }
}

/* Writes and loads the organisation; the generated data is valid, so it must load. */
static inline rs_snapshot *gen_snapshot(gen *g) {
    static bool ready;
    if (!ready) {
        fuzz_put_str("schema.json", gen_schema_json);
        ready = true;
    }
    g->ndepts = 1 + gen_pick(g, 6);
    g->nmembers = 1 + gen_pick(g, 24);
    rs_date_parse("2026-03-01", 10, &g->base);
    g->today = g->base + (int32_t)gen_pick(g, 9) - 4;
    rs_sb depts = {0}, members = {0};
    gen_departments(g, &depts);
    gen_members(g, &members);
    fuzz_put("departments.jsonl", depts.buf, depts.len);
    fuzz_put("members.jsonl", members.buf, members.len);
    rs_sb_free(&depts);
    rs_sb_free(&members);
    rs_snapshot *s = fuzz_load(fuzz_dir());
    FUZZ_ASSERT(s != NULL, "a generated organisation loads");
    return s;
}

/* ---- rules ---- */

/* A date operand: a literal near base, or today with an offset (rank orders the values of one
 * kind so that `is between` gets A <= B). */
static inline void gen_rule_date(gen *g, bool today, int32_t rank, rs_sb *sb) {
    if (!today) {
        char ymd[RS_DATE_MAX];
        rs_date_format(g->base + rank, ymd);
        rs_sb_puts(sb, ymd);
    } else if (rank == 0) {
        rs_sb_puts(sb, "today");
    } else if (rank % 7 == 0) {
        rs_sb_printf(sb, "today %c %d weeks", rank < 0 ? '-' : '+', (rank < 0 ? -rank : rank) / 7);
    } else {
        rs_sb_printf(sb, "today %c %d days", rank < 0 ? '-' : '+', rank < 0 ? -rank : rank);
    }
}

/* One value of field f in rule text. */
static inline void gen_rule_value(gen *g, const gen_field *f, rs_sb *sb) {
    switch (f->type) {
    case RS_T_TEXT: {
        const char *t = gen_texts[gen_pick(g, RS_ARRAY_LEN(gen_texts) - 1)];   /* not "" */
        rs_sb_printf(sb, "\"%s\"", t);
        break;
    }
    case RS_T_OPTION: {
        int set = gen_option_set(f);
        uint32_t i = gen_pick(g, 6);
        rs_sb_printf(sb, "\"%s\"", i < 3 ? gen_options[set][i] : gen_option_case[set][i - 3]);
        break;
    }
    case RS_T_NUMBER: {   /* rule text has no exponent form */
        const char *x = gen_numbers[gen_pick(g, RS_ARRAY_LEN(gen_numbers))];
        rs_sb_puts(sb, strcmp(x, "1e9") == 0 ? "1000000000" : x);
        break;
    }
    case RS_T_DATE: gen_rule_date(g, gen_pick(g, 2), (int32_t)gen_pick(g, 15) - 7, sb); break;
    case RS_T_PERSONNEL: gen_member_id(g, sb); break;
    case RS_T_BOOL: rs_sb_puts(sb, gen_pick(g, 2) ? "true" : "false"); break;
    default: gen_dept_id(g, sb); break;
    }
}

static inline void gen_rule_list(gen *g, const gen_field *f, rs_sb *sb) {
    uint32_t n = 1 + gen_pick(g, 3);
    rs_sb_putc(sb, '(');
    for (uint32_t i = 0; i < n; i++) {
        if (i) rs_sb_puts(sb, ", ");
        gen_rule_value(g, f, sb);
    }
    rs_sb_putc(sb, ')');
}

/* `is between A and B` with A <= B: numbers by pool order is not numeric order, so pick two ranks. */
static inline void gen_between(gen *g, const gen_field *f, rs_sb *sb) {
    rs_sb_putc(sb, ' ');
    if (f->type == RS_T_NUMBER) {
        static const char *const sorted[] = {"-2", "-1.5", "0", "0.5", "1", "2", "2.5", "3", "10"};
        uint32_t a = gen_pick(g, RS_ARRAY_LEN(sorted)), b = gen_pick(g, RS_ARRAY_LEN(sorted));
        rs_sb_printf(sb, "%s and %s", sorted[a < b ? a : b], sorted[a < b ? b : a]);
        return;
    }
    bool today = gen_pick(g, 2);
    int32_t a = (int32_t)gen_pick(g, 15) - 7, b = (int32_t)gen_pick(g, 15) - 7;
    gen_rule_date(g, today, a < b ? a : b, sb);
    rs_sb_puts(sb, " and ");
    gen_rule_date(g, today, a < b ? b : a, sb);
}

/* The operators valid for a field (spec section 3), as indices into one table. */
static const char *const gen_ops[] = {
    " is empty", " is not empty", " is any of ", " is none of ", " equals ", " not equal to ",
    " include all ", " contains ", " does not contain ", " starts with ", " is before ",
    " is on or before ", " is after ", " is on or after ", " is between", " greater than ",
    " less than ", " at least ", " at most ", " belong to ", " partly belong to ",
    " don't belong to ", " reports to ",
};
enum { OP_EMPTY, OP_NEMPTY, OP_ANY, OP_NONE, OP_EQ, OP_NE, OP_ALL, OP_CONTAINS, OP_NCONTAINS,
       OP_STARTS, OP_BEFORE, OP_ONBEFORE, OP_AFTER, OP_ONAFTER, OP_BETWEEN, OP_GT, OP_LT, OP_GE,
       OP_LE, OP_BELONG, OP_PARTLY, OP_NBELONG, OP_REPORTS };

static inline size_t gen_valid_ops(const gen_field *f, int *ops) {
    size_t n = 0;
    ops[n++] = OP_EMPTY, ops[n++] = OP_NEMPTY, ops[n++] = OP_ANY, ops[n++] = OP_NONE;
    if (!f->multi) ops[n++] = OP_EQ, ops[n++] = OP_NE;
    if (f->multi) ops[n++] = OP_ALL;
    if (f->type == RS_T_TEXT) ops[n++] = OP_CONTAINS, ops[n++] = OP_NCONTAINS, ops[n++] = OP_STARTS;
    if (f->type == RS_T_NUMBER || f->type == RS_T_DATE)
        ops[n++] = OP_BEFORE, ops[n++] = OP_ONBEFORE, ops[n++] = OP_AFTER, ops[n++] = OP_ONAFTER,
        ops[n++] = OP_BETWEEN;
    if (f->type == RS_T_NUMBER) ops[n++] = OP_GT, ops[n++] = OP_LT, ops[n++] = OP_GE, ops[n++] = OP_LE;
    if (f->type == RS_T_DEPARTMENT) ops[n++] = OP_BELONG, ops[n++] = OP_PARTLY, ops[n++] = OP_NBELONG;
    if (f->type == RS_T_PERSONNEL) ops[n++] = OP_REPORTS;
    return n;
}

/* A condition that checks: an operator valid for the field, values of its type. */
static inline void gen_condition(gen *g, rs_sb *sb) {
    const gen_field *f = &gen_fields[gen_pick(g, RS_ARRAY_LEN(gen_fields))];
    int ops[24];
    int op = ops[gen_pick(g, (uint32_t)gen_valid_ops(f, ops))];
    rs_sb_printf(sb, "%s%s", f->name, gen_ops[op]);
    switch (op) {
    case OP_EMPTY: case OP_NEMPTY: return;
    case OP_ANY: case OP_NONE: case OP_ALL: case OP_BELONG: gen_rule_list(g, f, sb); return;
    case OP_PARTLY: case OP_NBELONG:
        gen_rule_list(g, f, sb);
        if (gen_pick(g, 2)) rs_sb_puts(sb, " with sub-departments");
        return;
    case OP_BETWEEN: gen_between(g, f, sb); return;
    default: gen_rule_value(g, f, sb); return;
    }
}

/* A `where` expression: conditions under and/or/not, at most depth levels deep. */
static inline void gen_where(gen *g, int depth, rs_sb *sb) {
    uint32_t shape = depth > 0 ? gen_pick(g, 5) : 0;
    if (shape <= 1) {
        gen_condition(g, sb);
    } else if (shape == 2) {
        rs_sb_puts(sb, "not (");
        gen_where(g, depth - 1, sb);
        rs_sb_putc(sb, ')');
    } else {
        rs_sb_putc(sb, '(');
        gen_where(g, depth - 1, sb);
        rs_sb_puts(sb, shape == 3 ? " and " : " or ");
        gen_where(g, depth - 1, sb);
        rs_sb_putc(sb, ')');
    }
}

/* `match` over the numbers lo..hi, each once, split at a chosen point with and/or. */
static inline void gen_match(gen *g, uint32_t lo, uint32_t hi, rs_sb *sb) {
    if (lo == hi) {
        rs_sb_printf(sb, "%u", lo);
        return;
    }
    uint32_t mid = lo + gen_pick(g, hi - lo);
    rs_sb_putc(sb, '(');
    gen_match(g, lo, mid, sb);
    rs_sb_puts(sb, gen_pick(g, 2) ? " and " : " or ");
    gen_match(g, mid + 1, hi, sb);
    rs_sb_putc(sb, ')');
}

/* Allow and block lists: allowed ids from the first half of the members, blocked ones from the
 * second, so no member is in both (an error). */
static inline void gen_lists(gen *g, rs_sb *sb) {
    uint32_t half = (g->nmembers + 1) / 2;
    if (gen_pick(g, 4) == 0) rs_sb_printf(sb, "  allow \"u%u\", \"u%u\"\n", gen_pick(g, half), gen_pick(g, half));
    if (g->nmembers > half && gen_pick(g, 4) == 0) rs_sb_printf(sb, "  block \"u%u\"\n", half + gen_pick(g, g->nmembers - half));
}

static inline void gen_group(gen *g, uint32_t i, rs_sb *sb) {
    rs_sb_printf(sb, "group \"g%u\" {\n  name \"group %u\"\n", i, i);
    if (gen_pick(g, 3) == 0) {
        rs_sb_puts(sb, "  departments ");
        gen_dept_id(g, sb);
        if (gen_pick(g, 2)) {
            rs_sb_puts(sb, ", ");
            gen_dept_id(g, sb);
        }
        rs_sb_puts(sb, gen_pick(g, 2) ? " with sub-departments\n" : "\n");
    }
    if (gen_pick(g, 2)) {
        rs_sb_puts(sb, "  where ");
        gen_where(g, 3, sb);
        rs_sb_putc(sb, '\n');
    } else {
        uint32_t n = 1 + gen_pick(g, 4);
        for (uint32_t c = 1; c <= n; c++) {
            rs_sb_printf(sb, "  %u: ", c);
            gen_condition(g, sb);
            rs_sb_putc(sb, '\n');
        }
        if (gen_pick(g, 2)) {   /* without `match`, all conditions are and-ed */
            rs_sb_puts(sb, "  match ");
            gen_match(g, 1, n, sb);
            rs_sb_putc(sb, '\n');
        }
    }
    gen_lists(g, sb);
    rs_sb_puts(sb, "}\n");
}

/* 1-3 groups, checked against s (ids included) and compiled. The generator only writes well-typed
 * rules, so a refusal is a bug of the generator or of the checker (ROSTER_FUZZ_GEN_DEBUG=1 prints
 * the text and the diagnostics). */
static inline bool gen_rules(gen *g, const rs_snapshot *s, fuzz_rules *r) {
    rs_sb text = {0};
    uint32_t n = 1 + gen_pick(g, 3);
    for (uint32_t i = 0; i < n; i++) gen_group(g, i, &text);
    rs_idset ids;
    rs_snapshot_idset(s, &ids);
    bool ok = fuzz_rules_compile(r, text.buf, text.len, s->schema, &ids);
    if (!ok && getenv("ROSTER_FUZZ_GEN_DEBUG")) fprintf(stderr, "generated rules do not check:\n%s", text.buf);
    rs_sb_free(&text);
    FUZZ_ASSERT(ok, "generated rules check and compile");
    return ok;
}

#endif
