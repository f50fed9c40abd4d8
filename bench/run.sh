#!/bin/sh
# make bench: one table per organisation size (10k, 100k, 1M members; 10M with BENCH_BIG=1).
# Organisations are generated once (deterministic seeds) under build/bench-data/ and reused.
# Figures: medians of several runs of bench/bench.c, wall and CPU time (the machine may be shared:
# the load average is printed before and after each size), then `roster recalc --stats` and
# `roster dry-run --stats` end to end. At 10k members every group's member count is checked against
# the reference evaluator; a difference fails the benchmark.
set -eu
build=${1:-build/release}
roster=$build/roster
data=build/bench-data
mkdir -p "$data"
sizes="10000 100000 1000000"
[ "${BENCH_BIG:-0}" = 1 ] && sizes="$sizes 10000000"
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "# roster benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores (${cpu:-unknown CPU}), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
for n in $sizes; do
  org=$data/org-$n
  depts=$((n / 200)); [ "$depts" -lt 50 ] && depts=50; [ "$depts" -gt 5000 ] && depts=5000
  if [ ! -f "$org/.done" ]; then
    rm -rf "$org" "$org-csv"
    "$build/bench/gen-org" --members "$n" --departments "$depts" --seed 42 --format jsonl -o "$org"
    [ "$n" -lt 10000000 ] && "$build/bench/gen-org" --members "$n" --departments "$depts" --seed 42 --format csv -o "$org-csv"
    "$build/bench/gen-rules" --groups 100 --seed 7 --org "$org" -o "$org/groups.rule"
    touch "$org/.done"
  fi
  runs=5; text_runs=3; [ "$n" -ge 10000000 ] && runs=3 && text_runs=1
  csv="--org-csv $org-csv"; [ "$n" -ge 10000000 ] && csv=""
  check=""; [ "$n" -le 10000 ] && check="--check"
  echo
  echo "## $n members, $depts departments, 100 groups"
  echo
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| what | wall (median) | CPU (median) | runs |"
  echo "| --- | ---: | ---: | ---: |"
  "$build/bench/bench" --org "$org" $csv --rules "$org/groups.rule" --snap "$org.snap" --runs "$runs" \
      --text-runs "$text_runs" $check
  "$build/bench/bench" --roster "$roster" --org "$org" --rules "$org/groups.rule" --snap "$org.snap" --runs "$runs"
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
done

# Field mappings: 1,000,000 Google Directory users mapped to Lark users by the built-in set
# (mappings/google-to-lark.map), end to end: JSON Lines in, target records and failures out.
users=$data/google-users-1000000.jsonl
[ -f "$users" ] || "$build/bench/gen-google" --users 1000000 --seed 42 -o "$users"
echo
echo "## field mapping, 1,000,000 Google users -> Lark (built-in set)"
echo
echo "| what | median of 3 |"
echo "| --- | --- |"
times=""
for i in 1 2 3; do
  start=$(date +%s.%N)
  "$roster" map --mapping mappings/google-to-lark.map --source "$users" > /dev/null 2> "$data/map.stats" || true
  end=$(date +%s.%N)
  times="$times $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
done
median=$(echo $times | tr ' ' '\n' | sort -n | sed -n 2p)
echo "| roster map --format jsonl to /dev/null | ${median} s ($(awk -v t="$median" 'BEGIN { printf "%.0f", 1000000 / t }') records/s); $(tail -n 1 "$data/map.stats") |"
