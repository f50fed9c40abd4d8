#!/bin/sh
# Runs each libFuzzer target for a bounded time: make fuzz FUZZ_SECONDS=N.
#   fuzz-run.sh BUILD_DIR SECONDS TARGET...
# Each target starts from its committed corpus fuzz/corpus/<target> (read-only; new inputs go to
# BUILD_DIR/corpus-<target>) and its dictionary fuzz/<target>.dict when there is one. A crash, leak,
# timeout or property failure leaves an artifact in BUILD_DIR/crashes-<target>/ and fails the run;
# the reproducer then belongs in fuzz/regress/<target>/ with its fix. One fuzzer runs at a time.
set -u
dir=$1; secs=$2; shift 2
failed=0
for t in "$@"; do
  mkdir -p "$dir/corpus-$t" "$dir/crashes-$t" "fuzz/corpus/$t"
  dict=""; [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
  log="$dir/$t.log"
  start=$(date +%s)
  "$dir/$t" $dict -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$dir/crashes-$t/" "$dir/corpus-$t" "fuzz/corpus/$t" > "$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  echo "fuzz: $t: ${took}s of ${secs}s, ${runs:-0} runs, ${speed:-0} exec/s, ${cov:-cov: ?}"
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$dir/crashes-$t")" ]; then
    echo "fuzz: $t FAILED (exit $rc); last lines of $log:"
    tail -n 30 "$log"
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ]
