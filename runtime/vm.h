/* vm.h: the vectorised VM. It binds a program to a snapshot (fields by name and type), prepares each
 * instruction once per run (per-dictionary-value tables for text predicates, department subtree
 * tables, today-relative dates), then runs group code over batches of members, one bitmap per
 * instruction, on as many threads as the caller allows. */
#ifndef RS_VM_H
#define RS_VM_H
#include "compiler/bytecode.h"
#include "runtime/snapshot.h"

typedef struct rs_vm rs_vm;

/* today: the day number `today` means for this run. Fails (NULL, E0702 in diags) when the program
 * reads a field the snapshot lacks or has with another type. */
rs_vm *rs_vm_new(const rs_program *p, const rs_snapshot *s, int32_t today, rs_diags *diags);
/* The same for the groups g with groups[g] true only (all when groups is NULL): nothing is prepared
 * for the others, which the calls below then refuse. A recalculation that finds most groups
 * unchanged pays only for the changed ones. The leaves are prepared on up to `threads` threads
 * (common/parallel.h: <= 0 means one per core); rs_vm_new uses one per core. */
rs_vm *rs_vm_new_groups(const rs_program *p, const rs_snapshot *s, int32_t today, const bool *groups,
                        int threads, rs_diags *diags);
void rs_vm_free(rs_vm *vm);

/* Membership bitmap of every group: out[g] gets rs_bm_words(nmembers) words (malloc'd, caller frees
 * each), NULL for a group the VM was not made for. threads <= 0 means one per core. */
int rs_vm_eval_all(rs_vm *vm, uint64_t **out, int threads);
/* One group over all members. -1 for a group the VM was not made for. */
int rs_vm_eval_group(rs_vm *vm, uint32_t group, uint64_t *out);
/* One member against one group (the incremental path); false for a group the VM was not made for. */
bool rs_vm_eval_member(rs_vm *vm, uint32_t group, uint32_t member);

#endif
