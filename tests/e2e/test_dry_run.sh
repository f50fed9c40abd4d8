# dry-run: what saving a rule file would change, in text and JSON, without writing a byte; a missing
# database means everyone is added (and is not created); a bad rule exits 1.
. tests/e2e/lib.sh
D=tests/data/recalc
E=tests/e2e/expected/dry_run
DB=$T/state.db
DAY=--as-of=2026-11-21

expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/first.jsonl"
cp "$DB" "$T/before.db"

# The paths of the database vary from run to run: shown as $T.
expect_exit 0 "$ROSTER" dry-run "$D/rules/teams.rule" --snapshot "$D/org-v2" --state "$DB" $DAY
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/teams.txt"
expect_exit 0 "$ROSTER" dry-run "$D/rules/teams.rule" "$D/rules/interns.rule" --snapshot "$D/org-v2" --state "$DB" \
  $DAY --format json
sed "s|$T|\$T|g" "$T/out" > "$T/json"
same "$T/json" "$E/all.json"
cmp "$DB" "$T/before.db" || fail "dry-run changed the database"
[ "$(ls "$T" | grep '^state')" = state.db ] || fail "dry-run left files beside the database: $(ls "$T")"

# What dry-run showed is what recalc then does.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY
grep -c '"op": "add"' "$T/out" > "$T/n"
[ "$(cat "$T/n")" -eq 8 ] || fail "recalc added $(cat "$T/n") members, dry-run said 8"

# No database yet: everyone is added, and none is created.
expect_exit 0 "$ROSTER" dry-run "$D/rules/interns.rule" --snapshot "$D/org" --state "$T/none.db" $DAY
sed "s|$T|\$T|g" "$T/out" > "$T/text"
same "$T/text" "$E/no-state.txt"
[ -e "$T/none.db" ] && fail "dry-run created a database"

# Bad input and usage.
expect_exit 1 "$ROSTER" dry-run "$D/bad/bad.rule" --snapshot "$D/org" --state "$DB" $DAY
contains "$T/err" "E0201"
expect_exit 1 "$ROSTER" dry-run "$D/bad/bad.rule" --snapshot "$D/org" --state "$DB" $DAY --format json
contains "$T/out" '"code":"E0201"'
expect_exit 2 "$ROSTER" dry-run --snapshot "$D/org" --state "$DB"
expect_exit 2 "$ROSTER" dry-run "$D/rules" --snapshot "$D/org" --format yaml
exit 0
