#!/bin/sh
# End-to-end tests: runs every tests/e2e/test_*.sh with the roster binary as $1, from the
# repository root, each in a fresh temporary folder given as $TMPDIR_E2E. Prints one line per test
# and a closing "N passed, N failed" line.
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
passed=0; failed=0
for t in tests/e2e/test_*.sh; do
  [ -e "$t" ] || continue
  tmp=$(mktemp -d)
  if TMPDIR_E2E="$tmp" sh "$t" "$bin" > "$tmp/.log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $t"
  else
    failed=$((failed + 1)); echo "FAIL $t"; sed 's/^/     /' "$tmp/.log" | tail -n 40
  fi
  rm -rf "$tmp"
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
