# A stored group whose rule is gone: reported as W0802 and kept; with --prune deleted, its members
# removed in the delta.
. tests/e2e/lib.sh
D=tests/data/recalc
E=tests/e2e/expected/recalc
DB=$T/state.db
DAY=--as-of=2026-11-21

expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/first.jsonl"
"$ROSTER" members lab --state "$DB" > "$T/lab.txt" || fail "members lab"

expect_exit 0 "$ROSTER" recalc --rules "$D/rules/interns.rule" --snapshot "$D/org" --state "$DB" $DAY --stats
[ -s "$T/out" ] && { cat "$T/out"; fail "a removed rule must not change the delta"; }
contains "$T/err" "warning[W0802]: group 'lab' is stored but no rule defines it any more; its 3 member(s) are kept"
contains "$T/err" "group 'sales-team' is stored"
contains "$T/err" '"groups_stale": 4, "groups_pruned": 0'
expect_exit 0 "$ROSTER" members lab --state "$DB"
same "$T/out" "$T/lab.txt"

expect_exit 0 "$ROSTER" recalc --rules "$D/rules/interns.rule" --snapshot "$D/org" --state "$DB" $DAY --prune
same "$T/out" "$E/prune.jsonl"
grep -q W0802 "$T/err" && fail "--prune still warns"
expect_exit 1 "$ROSTER" members lab --state "$DB"
contains "$T/err" "known groups: interns-office-a"

# Restoring the rule adds its members back.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY
grep -v '"interns-office-a"' "$T/first.jsonl" > "$T/restored.jsonl"
same "$T/out" "$T/restored.jsonl"
exit 0
