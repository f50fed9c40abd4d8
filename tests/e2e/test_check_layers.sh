# scripts/check-layers.sh (run by `make test` over the real tree) on a small tree of its own: a
# clean tree passes; an upward include, an include cycle, a folder outside the order, a call cycle
# between two objects and a call to a module above each fail with the file and the reason.
. tests/e2e/lib.sh
CHECK=$(pwd)/scripts/check-layers.sh
W=$T/tree
mkdir -p "$W/common" "$W/runtime" "$W/tests" "$W/build/common" "$W/build/runtime"
cd "$W" || fail "no tree"
printf '#include "common/a.h"\nint a(void) { return 1; }\n' > common/a.c
printf 'int a(void);\n' > common/a.h
printf '#include "common/a.h"\n#include "runtime/r.h"\nint r(void) { return a(); }\n' > runtime/r.c
printf 'int r(void);\n' > runtime/r.h
printf '#include "runtime/r.h"\n#include "tests/anything.h"\n' > tests/t.c
objects() { for f in common/*.c runtime/*.c; do cc -I. -c -o "build/${f%.c}.o" "$f" || fail "cc $f"; done; }
objects
expect_exit 0 sh "$CHECK" build
contains "$T/out" "no module includes or calls one above it"

# common/ including a runtime header
printf '#include "runtime/r.h"\n' >> common/a.h
expect_exit 1 sh "$CHECK"
contains "$T/out" 'common/a.h:2: #include "runtime/r.h": common/ may include only common/'
printf 'int a(void);\n' > common/a.h

# two headers of one folder including each other
printf '#include "runtime/s.h"\nint r(void);\n' > runtime/r.h
printf '#include "runtime/r.h"\n' > runtime/s.h
expect_exit 1 sh "$CHECK"
contains "$T/out" 'runtime/: include cycle: '
contains "$T/out" 'runtime/s.h:1 includes "runtime/r.h"'
printf 'int r(void);\n' > runtime/r.h
rm runtime/s.h

# a folder the order does not know
mkdir plugins
printf 'int plugin(void);\n' > plugins/plugin.h
expect_exit 1 sh "$CHECK"
contains "$T/out" "plugins/: holds C sources but is not in the layer order"
rm -r plugins

# b.c and c.c calling each other through a header they share: no include loop, a call loop
printf 'int b(void);\nint c(int);\n' > common/bc.h
printf '#include "common/bc.h"\nint b(void) { return c(1); }\n' > common/b.c
printf '#include "common/bc.h"\nint c(int n) { return n ? b() : 0; }\n' > common/c.c
objects
expect_exit 0 sh "$CHECK"
expect_exit 1 sh "$CHECK" build
contains "$T/out" "common/: call cycle: "
contains "$T/out" "common/b.c uses c of common/c.c"
rm common/b.c common/c.c common/bc.h build/common/b.o build/common/c.o

# common/a.c calling r() of runtime/ without including its header
printf 'int r(void);\nint a(void) { return r(); }\n' > common/a.c
objects
expect_exit 1 sh "$CHECK" build
contains "$T/out" "common/a.c: uses r of runtime/r.c: common/ may use only common/"

# a stale object of a removed source says nothing
printf '#include "common/a.h"\nint a(void) { return 1; }\n' > common/a.c
objects
printf 'int r(void);\nint stale(void) { return r(); }\n' > "$T/stale.c"
cc -c -o build/common/stale.o "$T/stale.c" || fail "cc stale.c"
expect_exit 0 sh "$CHECK" build
