/* compile.h: lowering of checked groups to bytecode, with the simple optimisations: constant sets
 * sorted and de-duplicated, `not` pushed down to the leaves (folded into ANDNOT where it can),
 * cheaper conditions first inside runs of `and` / `or` (bitmap evaluation makes them commutative). */
#ifndef RS_COMPILE_H
#define RS_COMPILE_H
#include "compiler/check.h"
#include "compiler/bytecode.h"

/* Compiles every group of c that checked without errors (c must come from rs_check with no errors
 * for a complete program). The returned program passes rs_program_verify. */
rs_program *rs_compile(const rs_checked *c);

#endif
