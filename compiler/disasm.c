/* disasm.c: an EXPLAIN-style listing of a program (as SQLite's EXPLAIN prints VDBE code): the
 * field table, then per group a header line and one instruction a line with its operands, the
 * constant set spelled out, and a comment taken from the opcode's synopsis with F replaced by the
 * field's name. The output is deterministic: golden-file tests compare it byte for byte. The program
 * must have passed rs_program_verify, as every program from rs_compile or rs_program_read has. */
#include <stdio.h>
#include <string.h>
#include "compiler/compiler_int.h"
#include "common/date.h"
#include "common/strbuf.h"

#define SHOW_VALUES 8     /* constants shown per set; the rest are counted */
#define CONST_WIDTH 30

static void put_value(rs_sb *sb, const rs_program *p, uint8_t kind, const rs_kval *v) {
    char buf[32];
    switch (kind) {
    case RS_K_STR: rs_sb_rule_str(sb, p->strings + v->str_off, v->str_len); break;
    case RS_K_NUM: rs_format_double(v->num, buf); rs_sb_puts(sb, buf); break;
    case RS_K_DAY: rs_date_format(v->day, buf); rs_sb_puts(sb, buf); break;
    default:
        if (v->day == 0) rs_sb_puts(sb, "today");
        else rs_sb_printf(sb, "today%+dd", v->day);
        break;
    }
}

static void put_set(rs_sb *sb, const rs_program *p, uint32_t k) {
    const rs_kset *s = &p->sets[k];
    rs_sb_putc(sb, '{');
    for (uint32_t i = 0; i < s->count && i < SHOW_VALUES; i++) {
        if (i) rs_sb_puts(sb, ", ");
        put_value(sb, p, s->kind, &p->vals[s->first + i]);
    }
    if (s->count > SHOW_VALUES) rs_sb_printf(sb, ", ... %u more", s->count - SHOW_VALUES);
    rs_sb_putc(sb, '}');
}

static bool is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The synopsis with each standalone "F" replaced by the field's name. */
static void put_comment(rs_sb *sb, const char *syn, const char *field) {
    for (const char *s = syn; *s; s++) {
        bool standalone = *s == 'F' && (s == syn || !is_word(s[-1])) && !is_word(s[1]);
        if (standalone && field) rs_sb_puts(sb, field);
        else rs_sb_putc(sb, *s);
    }
}

static void put_insn(rs_sb *sb, const rs_program *p, uint32_t pc, int fwidth) {
    const rs_insn *in = &p->code[pc];
    if (in->op >= RS_OP_COUNT) {   /* listings of unverified programs must not crash */
        rs_sb_printf(sb, "%4u  ?%u\n", pc, in->op);
        return;
    }
    const rs_opinfo *oi = &rs_opinfo_table[in->op];
    bool uses_f = oi->uses[0] == 'F' && in->field < p->nfields;
    bool uses_k = oi->uses[1] == 'K' && in->k < p->nsets;
    const char *field = uses_f ? p->fields[in->field].name : NULL;
    rs_sb_printf(sb, "%4u  %-8s  %-*s  ", pc, oi->name, fwidth, field ? field : "-");
    rs_sb cst = {0};
    if (uses_k) {
        rs_sb_printf(&cst, "k%-3u ", in->k);
        put_set(&cst, p, in->k);
    } else {
        rs_sb_puts(&cst, "-");
    }
    if (in->flags & RS_FLAG_SUB) rs_sb_puts(&cst, " sub");
    rs_sb_printf(sb, "%-*s  -- ", CONST_WIDTH, cst.buf);
    rs_sb_free(&cst);
    put_comment(sb, oi->synopsis, field);
    rs_sb_putc(sb, '\n');
}

void rs_program_disasm(const rs_program *p, rs_sb *out) {
    int fwidth = 5;
    for (uint32_t i = 0; i < p->nfields; i++) {
        int n = (int)strlen(p->fields[i].name);
        if (n > fwidth) fwidth = n > 24 ? 24 : n;
    }
    rs_sb_printf(out, "; fields %u, groups %u, instructions %u, constant sets %u, values %u, string bytes %u\n",
                 p->nfields, p->ngroups, p->ncode, p->nsets, p->nvals, p->strings_len);
    for (uint32_t i = 0; i < p->nfields; i++) {
        const rs_pfield *f = &p->fields[i];
        rs_sb_printf(out, "field %-3u %-*s  %s%s\n", i, fwidth, f->name, rs_type_name((rs_type)f->type),
                     f->multi ? " multi" : "");
    }
    for (uint32_t gi = 0; gi < p->ngroups; gi++) {
        const rs_pgroup *g = &p->groups[gi];
        rs_sb_printf(out, "\ngroup %u ", gi);
        rs_sb_rule_str(out, g->id, strlen(g->id));
        rs_sb_puts(out, " name ");
        rs_sb_rule_str(out, g->name, strlen(g->name));
        rs_sb_printf(out, "  code %u..%u  stack %u  hash 0x%08x\n", g->code_start,
                     g->code_start + g->code_len, g->max_stack, g->source_hash);
        rs_sb_printf(out, "addr  %-8s  %-*s  %-*s  -- %s\n", "opcode", fwidth, "field", CONST_WIDTH, "constants",
                     "comment");
        for (uint32_t pc = g->code_start; pc < g->code_start + g->code_len && pc < p->ncode; pc++)
            put_insn(out, p, pc, fwidth);
    }
}
