# recalc killed with -9 inside its transaction (after every membership was written, before the
# commit): the database still holds the previous membership, and the next run writes the right delta.
. tests/e2e/lib.sh
D=tests/data/recalc
E=tests/e2e/expected/recalc
DB=$T/state.db
DAY=--as-of=2026-11-21

expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/first.jsonl"
"$ROSTER" members lab --state "$DB" > "$T/lab-before.txt" || fail "members before"
cp "$DB" "$T/db-before-kill"

ROSTER_TEST_PAUSE_BEFORE_COMMIT=120 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" \
  $DAY --out "$T/killed.jsonl" 2> "$T/killed.err" &
pid=$!
i=0
until grep -qs "test pause before commit" "$T/killed.err"; do
  i=$((i + 1))
  [ "$i" -gt 300 ] && { kill -9 "$pid"; cat "$T/killed.err"; fail "the run never reached its commit"; }
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2> /dev/null
# WAL: whatever the killed run wrote is frames without a commit record in $DB-wal; the database
# file is as it was, and a reader at once sees the previous membership.
cmp "$DB" "$T/db-before-kill" || fail "the killed run changed the database file"
expect_exit 0 "$ROSTER" members lab --state "$DB"
same "$T/out" "$T/lab-before.txt"

# The writer rolls the interrupted transaction back: the previous membership is intact.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --stats
[ -s "$T/out" ] && { cat "$T/out"; fail "the killed run's membership leaked into the database"; }
contains "$T/err" '"groups_evaluated": 0'
expect_exit 0 "$ROSTER" members lab --state "$DB"
same "$T/out" "$T/lab-before.txt"

# Killed again, then the change is recalculated: the delta is the whole change, once more.
ROSTER_TEST_PAUSE_BEFORE_COMMIT=120 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" \
  $DAY --out "$T/killed.jsonl" 2> "$T/killed.err" &
pid=$!
i=0
until grep -qs "test pause before commit" "$T/killed.err"; do
  i=$((i + 1))
  [ "$i" -gt 300 ] && { kill -9 "$pid"; fail "the run never reached its commit"; }
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2> /dev/null
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY --out "$T/next.jsonl"
same "$T/next.jsonl" "$E/snapshot-edit.jsonl"
# The delta file of the killed run was already in place (delivered at least once): the same lines.
same "$T/killed.jsonl" "$E/snapshot-edit.jsonl"
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY
[ -s "$T/out" ] && fail "the change was stored twice"
exit 0
