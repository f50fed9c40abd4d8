# recalc: a first run adds everyone, a second run says nothing, an edited snapshot and an edited rule
# give exactly their change; members shows the stored membership; stdout and --out agree.
. tests/e2e/lib.sh
D=tests/data/recalc
E=tests/e2e/expected/recalc
DB=$T/state.db
DAY=--as-of=2026-11-21

expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/first.jsonl"
same "$T/first.jsonl" "$E/first.jsonl"
[ -s "$T/out" ] && fail "stdout should be empty with --out"
ls "$T" | grep -q '\.tmp\.' && fail "a temporary delta file was left behind"

# Nothing changed: an empty delta, and every group skipped.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --stats
[ -s "$T/out" ] && { cat "$T/out"; fail "second run should have no delta"; }
contains "$T/err" '"groups_evaluated": 0, "groups_skipped": 5'

# The organisation changed: u5 left, u13 joined, u4 was activated, u2 moved to Beijing.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY
same "$T/out" "$E/snapshot-edit.jsonl"

# One rule edited (lab now scopes D-Sales instead of D-Lab): only that group runs.
mkdir "$T/rules"
cp "$D/rules/interns.rule" "$T/rules/"
sed 's/departments "D-Lab"/departments "D-Sales"/' "$D/rules/teams.rule" > "$T/rules/teams.rule"
expect_exit 0 "$ROSTER" recalc --rules "$T/rules" --snapshot "$D/org-v2" --state "$DB" $DAY --stats
same "$T/out" "$E/rule-edit.jsonl"
contains "$T/err" '"groups_evaluated": 1, "groups_skipped": 4'

# Another day: only the group that reads `today` runs again.
expect_exit 0 "$ROSTER" recalc --rules "$T/rules" --snapshot "$D/org-v2" --state "$DB" --as-of 2026-12-05 --stats
same "$T/out" "$E/next-day.jsonl"
contains "$T/err" '"groups_evaluated": 1, "groups_skipped": 4'

expect_exit 0 "$ROSTER" members lab --state "$DB"
same "$T/out" "$E/members-lab.txt"
expect_exit 0 "$ROSTER" members interns-office-a --state "$DB" --format json
same "$T/out" "$E/members-interns.json"
expect_exit 1 "$ROSTER" members nosuch --state "$DB"
contains "$T/err" "no group 'nosuch' in the state database; known groups: interns-office-a, lab, recent-joiners"
expect_exit 2 "$ROSTER" members lab --state "$T/none.db"
contains "$T/err" "no state database"
[ -e "$T/none.db" ] && fail "members created a database"

# The same run written to stdout and to --out gives the same bytes.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$T/a.db" $DAY
cmp "$T/out" "$T/first.jsonl" || fail "stdout and --out differ"

# Every line is ordered: group, then add before remove, then member id (byte order).
LC_ALL=C awk -F'"' '{ k = $4 " " ($8 == "add" ? 0 : 1) " " $12; if (FNR > 1 && k <= prev) { print "out of order: " $0; exit 1 } prev = k }' \
  "$E/snapshot-edit.jsonl" "$T/first.jsonl" > "$T/order" || { cat "$T/order"; fail "delta out of order"; }
exit 0
