#!/bin/sh
# make bench: one table per organisation size (10k, 100k, 1M members; 10M with BENCH_BIG=1).
# Organisations are generated once (deterministic seed) under build/bench-data/ and reused.
# Figures: medians of several runs of bench/bench.c, plus `roster recalc --stats` end to end.
set -eu
build=${1:-build/release}
roster=$build/roster
data=build/bench-data
mkdir -p "$data"
sizes="10000 100000 1000000"
[ "${BENCH_BIG:-0}" = 1 ] && sizes="$sizes 10000000"
echo "# roster benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
for n in $sizes; do
  org=$data/org-$n
  depts=$((n / 200)); [ "$depts" -lt 50 ] && depts=50; [ "$depts" -gt 5000 ] && depts=5000
  if [ ! -f "$org/.done" ]; then
    rm -rf "$org" "$org-csv"
    "$build/bench/gen-org" --members "$n" --departments "$depts" --seed 42 --format jsonl -o "$org"
    "$build/bench/gen-org" --members "$n" --departments "$depts" --seed 42 --format csv -o "$org-csv"
    "$build/bench/gen-rules" --groups 100 --seed 7 --org "$org" -o "$org/groups.rule"
    touch "$org/.done"
  fi
  runs=5; [ "$n" -ge 10000000 ] && runs=3
  echo
  echo "## $n members, $depts departments, 100 groups"
  echo
  echo "| what | median |"
  echo "| --- | --- |"
  csv="--org-csv $org-csv"; [ "$n" -ge 10000000 ] && csv=""
  "$build/bench/bench" --org "$org" $csv --rules "$org/groups.rule" --snap "$org.snap" --runs "$runs"
  rm -f "$org.db"
  "$roster" recalc --rules "$org/groups.rule" --snapshot "$org.snap" --state "$org.db" --as-of 2026-11-21 \
      --out /dev/null --stats 2> "$org.stats1"
  "$roster" recalc --rules "$org/groups.rule" --snapshot "$org.snap" --state "$org.db" --as-of 2026-11-21 \
      --out /dev/null --stats 2> "$org.stats2"
  echo "| roster recalc from .snap, first run (every member added), --stats | $(tail -n 1 "$org.stats1") |"
  echo "| roster recalc again, nothing changed, --stats | $(tail -n 1 "$org.stats2") |"
done
