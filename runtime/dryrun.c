/* dryrun.c: the report of a dry-run (recalc.h): what `roster dry-run` prints and the public API's
 * roster_dry_run returns, as text for people or one JSON document. */
#include <string.h>
#include "runtime/recalc.h"
#include "common/date.h"
#include "common/strbuf.h"
#include "common/utf8.h"
#include "compiler/check.h"
#include "runtime/bitmap.h"
#include "runtime/refeval.h"

/* The display name of member m (the snapshot's `name` field), or NULL when it has none. */
static const char *member_name(const rs_snapshot *s, uint32_t m, size_t *len) {
    if (s->name_field < 0 || m == RS_NONE) return NULL;
    const rs_column *c = &s->columns[s->name_field];
    if (!c->codes || (c->empty && rs_bm_get(c->empty, m))) return NULL;
    uint32_t slot = c->offsets ? c->offsets[m] : m;   /* multi-valued: the first value */
    if (c->offsets && c->offsets[m] == c->offsets[m + 1]) return NULL;
    return rs_strtab_get(&c->dict.raw, c->codes[slot], len);
}

/* One listed member of a dry-run: its id, and its snapshot index (RS_NONE when it left). */
typedef struct listed {
    const char *id;
    size_t len;
    uint32_t member;
} listed;

static listed list_add(const rs_dry_run *dr, const rs_dry_group *g, size_t i) {
    listed l;
    uint32_t pos = g->delta.adds[i];
    l.id = rs_universe_id(&dr->ids.u, pos, &l.len);
    l.member = dr->ids.u.order[pos];
    return l;
}

static listed list_remove(const rs_dry_group *g, const rs_snapshot *s, size_t i) {
    listed l;
    l.id = rs_universe_id(g->old_u, g->delta.removes[i], &l.len);
    l.member = rs_snapshot_member(s, l.id, l.len);
    return l;
}

/* "  + u42   Alice Liu": ids padded to width code points so the names line up. */
static void text_member(rs_sb *out, char sign, const rs_snapshot *s, listed l, size_t width) {
    size_t nlen;
    const char *name = member_name(s, l.member, &nlen);
    rs_sb_printf(out, "  %c %.*s", sign, (int)l.len, l.id);
    if (name || l.member == RS_NONE)
        for (size_t w = rs_utf8_count(l.id, l.len); w < width + 2; w++) rs_sb_putc(out, ' ');
    if (name) rs_sb_put(out, name, nlen);
    else if (l.member == RS_NONE) rs_sb_puts(out, "(no longer in the snapshot)");
    rs_sb_putc(out, '\n');
}

static void json_member(rs_sb *out, const rs_snapshot *s, listed l, bool first) {
    size_t nlen;
    const char *name = member_name(s, l.member, &nlen);
    rs_sb_puts(out, first ? "{\"member\": " : ", {\"member\": ");
    rs_sb_json_str(out, l.id, l.len);
    rs_sb_puts(out, ", \"name\": ");
    if (name) rs_sb_json_str(out, name, nlen);
    else rs_sb_puts(out, "null");
    rs_sb_putc(out, '}');
}

/* What a report renders: the result, the program, the snapshot and the options. */
typedef struct dry_view {
    const rs_dry_run *dr;
    const rs_program *p;
    const rs_snapshot *s;
    const rs_checked *checked;
    uint32_t explain;          /* member index, or RS_NONE */
    int32_t today;
    const char *state;
    size_t disagreed;          /* groups where the VM and the reference evaluator disagreed (a bug) */
} dry_view;

static const rs_cgroup *checked_group(const rs_checked *c, const char *id) {
    for (size_t i = 0; i < c->ngroups; i++) {
        const ast_str *gid = &c->groups[i].ast->id;
        if (gid->len == strlen(id) && memcmp(gid->s, id, gid->len) == 0) return &c->groups[i];
    }
    return NULL;
}

/* The reference evaluator's explanation of v->explain in group g, checked against the VM. */
static void explain_group(dry_view *v, const rs_dry_group *g, rs_sb *out, bool json) {
    const rs_cgroup *cg = checked_group(v->checked, v->p->groups[g->group].id);
    if (!cg) return;
    rs_explain ex;
    memset(&ex, 0, sizeof ex);
    bool in = rs_ref_eval(cg, v->s, v->explain, v->today, &ex);
    if (in != rs_bm_get(g->bits, v->explain)) v->disagreed++;
    size_t start = out->len;
    if (json) rs_explain_json(&ex, v->s, out);
    else rs_explain_text(&ex, v->s, out);
    /* JSON: embedded in the run's object, so without its closing newline. */
    if (json && out->len > start && out->buf[out->len - 1] == '\n') out->buf[--out->len] = '\0';
    rs_explain_free(&ex);
}

static void text_group(dry_view *v, const rs_dry_group *g, rs_sb *out) {
    const rs_pgroup *pg = &v->p->groups[g->group];
    const rs_delta *d = &g->delta;
    rs_sb_printf(out, "group %s (%s): ", pg->id, pg->name);
    if (g->stored) rs_sb_printf(out, "%zu now, %zu after: ", d->old_count, d->new_count);
    else rs_sb_printf(out, "not stored yet, %zu after: ", d->new_count);
    rs_sb_printf(out, "%zu added, %zu removed\n", d->nadds, d->nremoves);
    size_t nadds = d->nadds < RS_DRY_RUN_LIST ? d->nadds : RS_DRY_RUN_LIST;
    size_t nremoves = d->nremoves < RS_DRY_RUN_LIST ? d->nremoves : RS_DRY_RUN_LIST, width = 0;
    for (size_t i = 0; i < nadds + nremoves; i++) {
        listed l = i < nadds ? list_add(v->dr, g, i) : list_remove(g, v->s, i - nadds);
        size_t w = rs_utf8_count(l.id, l.len);
        if (w > width) width = w;
    }
    for (size_t i = 0; i < nadds; i++) text_member(out, '+', v->s, list_add(v->dr, g, i), width);
    if (d->nadds > nadds) rs_sb_printf(out, "  + ... and %zu more\n", d->nadds - nadds);
    for (size_t i = 0; i < nremoves; i++) text_member(out, '-', v->s, list_remove(g, v->s, i), width);
    if (d->nremoves > nremoves) rs_sb_printf(out, "  - ... and %zu more\n", d->nremoves - nremoves);
    if (v->explain != RS_NONE) {
        rs_sb_putc(out, '\n');
        explain_group(v, g, out, false);
    }
}

static void render_text(dry_view *v, rs_sb *out) {
    char day[RS_DATE_MAX];
    rs_date_format(v->today, day);
    rs_sb_printf(out, "dry-run as of %s against %s", day, v->state);
    if (!v->dr->st) rs_sb_puts(out, " (not created yet: every member is added)");
    rs_sb_puts(out, "; nothing is written\n");
    for (uint32_t i = 0; i < v->dr->ngroups; i++) {
        rs_sb_putc(out, '\n');
        text_group(v, &v->dr->groups[i], out);
    }
}

static void json_group(dry_view *v, const rs_dry_group *g, rs_sb *out) {
    const rs_pgroup *pg = &v->p->groups[g->group];
    const rs_delta *d = &g->delta;
    rs_sb_puts(out, "{\"group\": ");
    rs_sb_json_str(out, pg->id, strlen(pg->id));
    rs_sb_puts(out, ", \"name\": ");
    rs_sb_json_str(out, pg->name, strlen(pg->name));
    rs_sb_printf(out, ", \"stored\": %s, \"current\": %zu, \"new\": %zu, \"added\": %zu, \"removed\": %zu",
                 g->stored ? "true" : "false", d->old_count, d->new_count, d->nadds, d->nremoves);
    rs_sb_puts(out, ", \"adds\": [");
    for (size_t i = 0; i < d->nadds && i < RS_DRY_RUN_LIST; i++) json_member(out, v->s, list_add(v->dr, g, i), i == 0);
    rs_sb_puts(out, "], \"removes\": [");
    for (size_t i = 0; i < d->nremoves && i < RS_DRY_RUN_LIST; i++) json_member(out, v->s, list_remove(g, v->s, i), i == 0);
    rs_sb_putc(out, ']');
    if (v->explain != RS_NONE) {
        rs_sb_puts(out, ", \"explain\": ");
        explain_group(v, g, out, true);
    }
    rs_sb_putc(out, '}');
}

static void render_json(dry_view *v, rs_sb *out) {
    char day[RS_DATE_MAX];
    rs_date_format(v->today, day);
    rs_sb_printf(out, "{\"as_of\": \"%s\", \"state\": ", day);
    rs_sb_json_str(out, v->state, strlen(v->state));
    rs_sb_printf(out, ", \"state_exists\": %s, \"groups\": [", v->dr->st ? "true" : "false");
    for (uint32_t i = 0; i < v->dr->ngroups; i++) {
        if (i) rs_sb_puts(out, ", ");
        json_group(v, &v->dr->groups[i], out);
    }
    rs_sb_puts(out, "]}\n");
}

size_t rs_dry_run_report(const rs_dry_run *dr, const rs_program *p, const rs_snapshot *s, const rs_dry_report *o,
                         rs_sb *out) {
    dry_view v = {.dr = dr, .p = p, .s = s, .checked = o->checked, .explain = o->checked ? o->explain : RS_NONE,
                  .today = o->today, .state = o->state};
    if (o->json) render_json(&v, out);
    else render_text(&v, out);
    return v.disagreed;
}
