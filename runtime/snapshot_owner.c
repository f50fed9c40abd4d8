/* snapshot_owner.c: what every snapshot is made of whatever it is loaded from: the owner of its
 * arrays (malloc'd blocks, or one .snap mapping), the shell a loader fills, and freeing. Below the
 * folder loader (snapshot.c), the .snap loader (snapfile.c) and the string and department builders
 * (strtab.c, dept.c) that hand their arrays to the owner, so none of them calls back up. */
#include <stdlib.h>
#include <sys/mman.h>
#include "common/util.h"
#include "runtime/snapshot_int.h"

void rs_owner_adopt(rs_snap_owner *o, void *block) {
    RS_GROW(o->blocks, o->capblocks, o->nblocks + 1);
    o->blocks[o->nblocks++] = block;
}

void rs_owner_free(rs_snap_owner *o) {
    if (!o) return;
    for (size_t i = 0; i < o->nblocks; i++) free(o->blocks[i]);
    free(o->blocks);
    if (o->map) munmap(o->map, o->maplen);
    free(o);
}

rs_snapshot *rs_snapshot_shell(rs_schema *schema, rs_snap_owner *owner) {
    rs_snapshot *s = rs_calloc(1, sizeof *s);
    s->schema = schema;
    s->owner = owner;
    s->columns = rs_calloc(schema->nfields, sizeof *s->columns);
    for (size_t i = 0; i < schema->nfields; i++) s->columns[i].field = &schema->fields[i];
    rs_snapshot_find_special(s);
    return s;
}

void rs_snapshot_find_special(rs_snapshot *s) {
    int name = rs_schema_index(s->schema, "name");
    int status = rs_schema_index(s->schema, "status");
    const rs_field *nf = name < 0 ? NULL : &s->schema->fields[name];
    const rs_field *sf = status < 0 ? NULL : &s->schema->fields[status];
    s->name_field = nf && nf->type == RS_T_TEXT && !nf->multi ? name : -1;
    s->status_field = sf && sf->type == RS_T_OPTION && !sf->multi ? status : -1;
}

void rs_snapshot_free(rs_snapshot *s) {
    if (!s) return;
    rs_owner_free(s->owner);
    free(s->columns);
    rs_schema_free(s->schema);
    free(s);
}
