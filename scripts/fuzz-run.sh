#!/bin/sh
# Runs each libFuzzer target for a bounded time: make fuzz FUZZ_SECONDS=N [FUZZ_JOBS=J].
#   fuzz-run.sh BUILD_DIR SECONDS TARGET...
# Each target starts from its committed corpus fuzz/corpus/<target> (read-only; new inputs go to
# BUILD_DIR/corpus-<target>) and its dictionary fuzz/<target>.dict when there is one. A crash, leak,
# timeout or property failure leaves an artifact in BUILD_DIR/crashes-<target>/ and fails the run;
# the reproducer then belongs in fuzz/regress/<target>/ with its fix. FUZZ_JOBS targets run at once
# (default: one per core), each a single process, so every target gets its SECONDS of one core.
set -u
dir=$1; secs=$2; shift 2
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
failed=0

run_one() {
  t=$1
  mkdir -p "$dir/corpus-$t" "$dir/crashes-$t" "fuzz/corpus/$t"
  dict=""; [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
  start=$(date +%s)
  "$dir/$t" $dict -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$dir/crashes-$t/" "$dir/corpus-$t" "fuzz/corpus/$t" > "$dir/$t.log" 2>&1
  echo "$? $(( $(date +%s) - start ))" > "$dir/$t.rc"
}

report() {
  t=$1; log="$dir/$t.log"
  read -r rc took < "$dir/$t.rc"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  echo "fuzz: $t: ${took}s of ${secs}s, ${runs:-0} runs, ${speed:-0} exec/s, ${cov:-cov: ?}"
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$dir/crashes-$t")" ]; then
    echo "fuzz: $t FAILED (exit $rc); last lines of $log:"
    tail -n 30 "$log"
    failed=$((failed + 1))
  fi
}

while [ $# -gt 0 ]; do
  batch=""
  while [ $# -gt 0 ] && [ "$(echo $batch | wc -w)" -lt "$jobs" ]; do
    run_one "$1" &
    batch="$batch $1"; shift
  done
  wait
  for t in $batch; do report "$t"; done
done
[ "$failed" -eq 0 ]
