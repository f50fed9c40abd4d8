# roster snapshot pack/check: a packed .snap gives exactly the results of its JSONL and CSV folders;
# a bad snapshot is refused as a whole with --max-errors bounding the report, and nothing is written.
. tests/e2e/lib.sh
expect_exit 0 "$ROSTER" snapshot pack examples/org -o "$T/org.snap"
contains "$T/err" "360 members, 60 departments"
expect_exit 0 "$ROSTER" snapshot check "$T/org.snap"
for src in examples/org examples/org-csv "$T/org.snap"; do
  rm -f "$T/s.db"
  expect_exit 0 "$ROSTER" recalc --rules examples/rules --snapshot "$src" --state "$T/s.db" --as-of 2026-11-21 --out "$T/delta-$(basename "$src").jsonl"
done
same "$T/delta-org-csv.jsonl" "$T/delta-org.jsonl"
same "$T/delta-org.snap.jsonl" "$T/delta-org.jsonl"
[ "$(wc -l < "$T/delta-org.jsonl")" -gt 100 ] || fail "the example delta is suspiciously small"

# Every tenth member gets a date that does not exist: refused whole, report bounded.
mkdir -p "$T/bad"
cp examples/org/schema.json examples/org/departments.jsonl "$T/bad/"
awk 'NR % 10 == 1 { sub(/"join_date":"[0-9-]*"/, "\"join_date\":\"2026-02-30\"") } { print }' \
  examples/org/members.jsonl > "$T/bad/members.jsonl"
expect_exit 1 "$ROSTER" recalc --rules examples/rules --snapshot "$T/bad" --state "$T/bad.db" --max-errors 2 --out "$T/bad-delta.jsonl"
[ "$(grep -c 'error\[E0606\]' "$T/err")" -eq 2 ] || fail "expected exactly 2 reported errors"
contains "$T/err" "members.jsonl:1:"
contains "$T/err" "field 'join_date'"
contains "$T/err" "stopped after 2 errors"
[ -e "$T/bad.db" ] && fail "a state database was created for a refused snapshot"
[ -e "$T/bad-delta.jsonl" ] && fail "a delta was written for a refused snapshot"
expect_exit 1 "$ROSTER" snapshot pack "$T/bad" -o "$T/bad.snap"
[ -e "$T/bad.snap" ] && fail "a .snap was written for a refused snapshot"

# A corrupt .snap is refused clearly.
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[100]^=0xff; open(sys.argv[2],"wb").write(b)' "$T/org.snap" "$T/flip.snap"
expect_exit 1 "$ROSTER" snapshot check "$T/flip.snap"
contains "$T/err" "E0614"
head -c 1000 "$T/org.snap" > "$T/cut.snap"
expect_exit 1 "$ROSTER" snapshot check "$T/cut.snap"
contains "$T/err" "E0614"
expect_exit 2 "$ROSTER" snapshot check "$T/org.snap" --max-errors lots
exit 0
