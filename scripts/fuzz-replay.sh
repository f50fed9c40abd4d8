#!/bin/sh
# Replays every committed fuzz corpus and regression file through its target (see fuzz/Makefile.inc).
dir=$1
failed=0; n=0
for bin in "$dir"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  n=$((n + 1))
  "$bin" "fuzz/corpus/$name" "fuzz/regress/$name" || { echo "FAILED: $name"; failed=$((failed + 1)); }
done
echo "fuzz replay: $n targets, $failed failed"
[ "$failed" -eq 0 ]
