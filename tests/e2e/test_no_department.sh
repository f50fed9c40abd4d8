# Members in no department ("department": []): u5 and u11 of this organisation are valid, in no
# department-scoped group, and every department operator follows the empty-value rule, the same from
# the folder and from its packed .snap file; dry-run --explain says so; placing them moves them.
. tests/e2e/lib.sh
D=tests/data/e2e/no-department
E=tests/e2e/expected/no_department
DB=$T/state.db
DAY=--as-of=2026-11-21

expect_exit 0 "$ROSTER" snapshot check "$D/org"
contains "$T/err" "12 members, 4 departments"
expect_exit 0 "$ROSTER" check "$D/rules/departments.rule" tests/data/recalc/rules/interns.rule --schema "$D/org/schema.json" --snapshot "$D/org"
contains "$T/err" "ok: 2 file(s), 16 group(s) checked"

# One group per department operator (hand-worked: tests/data/e2e/no-department/rules).
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/delta.jsonl"
same "$T/delta.jsonl" "$E/delta.jsonl"
grep -q '"group": "company".*"u5"\|"group": "company".*"u11"' "$T/delta.jsonl" && fail "a member in no department is in a scoped group"
expect_exit 0 "$ROSTER" members no-department --state "$DB"
printf 'u11\nu5\n' > "$T/want"
same "$T/out" "$T/want"
expect_exit 0 "$ROSTER" members sales-or-allowed --state "$DB" --format json
contains "$T/out" '"members": ["u5", "u6", "u8", "u9"]'

# --explain: "value empty" for every department condition, the scope says why it is false.
expect_exit 0 "$ROSTER" dry-run "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --explain u5
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/explain-u5.txt"
expect_exit 0 "$ROSTER" dry-run tests/data/recalc/rules/interns.rule --snapshot "$D/org" --state "$DB" $DAY --explain u11
contains "$T/out" "-> false (member in no department)"
contains "$T/out" "=> not a member"
expect_exit 0 "$ROSTER" dry-run tests/data/recalc/rules/interns.rule --snapshot "$D/org" --state "$DB" $DAY --explain u11 --format json
contains "$T/out" '"scope":{"departments":["D-OfficeA"],"with_sub_departments":true,"result":false,"department":null}'

# The packed file keeps the empty lists: the same delta and the same explanation.
expect_exit 0 "$ROSTER" snapshot pack "$D/org" -o "$T/org.snap"
contains "$T/err" "12 members, 4 departments"
expect_exit 0 "$ROSTER" snapshot check "$T/org.snap"
contains "$T/err" "12 members, 4 departments"
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$T/org.snap" --state "$T/snap.db" $DAY --out "$T/delta-snap.jsonl"
same "$T/delta-snap.jsonl" "$E/delta.jsonl"
expect_exit 0 "$ROSTER" dry-run "$D/rules" --snapshot "$T/org.snap" --state "$DB" $DAY --explain u5
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/explain-u5.txt"

# Placed at last (tests/data/recalc/org: u5 in D-Sales, u11 in D-OfficeA): exactly their moves.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot tests/data/recalc/org --state "$DB" $DAY --out "$T/placed.jsonl"
same "$T/placed.jsonl" "$E/placed.jsonl"
exit 0
