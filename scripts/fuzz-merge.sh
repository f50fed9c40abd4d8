#!/bin/sh
# Minimises the committed corpora after a fuzzing run: make fuzz-merge [FUZZ_MERGE=target...]
#   fuzz-merge.sh BUILD_DIR TARGET...
# For each target, the hand-written seeds of fuzz/corpus/<target>/ (every file not named by a
# SHA-1) stay as they are. libFuzzer's set-cover merge then picks, from the rest of that folder and
# from what fuzzing found (BUILD_DIR/corpus-<target>/), a small set of inputs that reaches every
# feature the seeds do not, and that set replaces the SHA-1-named files. Features are edges without
# hit counts (-use_counters=0): one input per edge reached keeps the committed corpus three to four
# times smaller; the hit-count variety stays in the build folder's corpus of each local run.
set -eu
dir=$1; shift
is_hashed() { echo "$1" | grep -qE '^[0-9a-f]{40}$'; }

for t in "$@"; do
  corpus="fuzz/corpus/$t"
  work=$(mktemp -d)
  mkdir -p "$work/out" "$work/old" "$dir/corpus-$t"
  for f in "$corpus"/*; do
    [ -f "$f" ] || continue
    if is_hashed "$(basename "$f")"; then cp "$f" "$work/old/"; else cp "$f" "$work/out/"; fi
  done
  before=$(ls "$corpus" | wc -l)
  dict=""; [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
  if ! "$dir/$t" $dict -set_cover_merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 \
      "$work/out" "$work/old" "$dir/corpus-$t" > "$dir/$t.merge.log" 2>&1; then
    echo "fuzz-merge: $t: the merge failed; $corpus is unchanged. Last lines of $dir/$t.merge.log:"
    tail -n 20 "$dir/$t.merge.log"
    rm -rf "$work"
    exit 1
  fi
  for f in "$corpus"/*; do
    if is_hashed "$(basename "$f")"; then rm "$f"; fi
  done
  for f in "$work/out"/*; do
    if is_hashed "$(basename "$f")"; then cp "$f" "$corpus/"; fi
  done
  rm -rf "$work"
  echo "fuzz-merge: $t: $before files before, $(ls "$corpus" | wc -l) after ($(cat "$corpus"/* | wc -c) bytes)"
done
