# dry-run --explain: the reference evaluator's reasons for one member in every group of the file,
# as text and as JSON; an unknown member exits 1.
. tests/e2e/lib.sh
D=tests/data/recalc
E=tests/e2e/expected/dry_run
DB=$T/state.db
DAY=--as-of=2026-11-21

expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/first.jsonl"

expect_exit 0 "$ROSTER" dry-run "$D/rules/interns.rule" --snapshot "$D/org-v2" --state "$DB" $DAY --explain u2
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/explain-u2.txt"
expect_exit 0 "$ROSTER" dry-run "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY --explain u13 --format json
sed "s|$T|\$T|g" "$T/out" > "$T/json"
same "$T/json" "$E/explain-u13.json"
# Blocklisted, frozen: u3 is blocked in interns-office-a, u4 was frozen before the change.
expect_exit 0 "$ROSTER" dry-run "$D/rules/interns.rule" --snapshot "$D/org" --state "$DB" $DAY --explain u3
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/explain-u3-blocked.txt"
expect_exit 0 "$ROSTER" dry-run "$D/rules/teams.rule" --snapshot "$D/org" --state "$DB" $DAY --explain u4
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/explain-u4-frozen.txt"

# Relative dates past the years 0001-9999: the explanation writes the day they mean as an ISO 8601
# expanded year (it used to clamp the year and show 9999-01-14 for today + 2 weeks).
printf 'group "far" {\n  name "Far dates"\n  1: join_date is before today + 2 weeks\n  2: join_date is after today - 3650000 days\n}\n' > "$T/far.rule"
expect_exit 0 "$ROSTER" dry-run "$T/far.rule" --snapshot "$D/org" --state "$T/none.db" --as-of 9999-12-31 --explain u2
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/explain-u2-far-dates.txt"
expect_exit 0 "$ROSTER" dry-run "$T/far.rule" --snapshot "$D/org" --state "$T/none.db" --as-of 9999-12-31 --explain u2 --format json
contains "$T/out" '"condition":"join_date is before today + 2 weeks (+10000-01-14)"'
expect_exit 0 "$ROSTER" dry-run "$T/far.rule" --snapshot "$D/org" --state "$T/none.db" --as-of 0001-01-01 --explain u2
contains "$T/out" "join_date is before today + 2 weeks (0001-01-15)"
contains "$T/out" "join_date is after today - 3650000 days (-09993-08-23)"

expect_exit 1 "$ROSTER" dry-run "$D/rules/interns.rule" --snapshot "$D/org" --state "$DB" $DAY --explain u999
contains "$T/err" "member 'u999' is not in the snapshot"
exit 0
