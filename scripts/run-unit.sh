#!/bin/sh
# Runs each Check test binary given; prints each one's summary and a closing total.
# Exit status: non-zero when any binary failed.
failed=0; total_bins=0
for t in "$@"; do
  total_bins=$((total_bins + 1))
  if ! "$t"; then
    echo "FAILED: $t"
    failed=$((failed + 1))
  fi
done
echo "unit test binaries: $total_bins, failed: $failed"
[ "$failed" -eq 0 ]
