# A recalculation that cannot write its database at commit (a file-size limit, the stand-in for a
# full disk; roster ignores SIGXFSZ, so the write fails with EFBIG instead of killing the run) fails
# with exit 2 and the previous state stays readable: members and dry-run answer from it at once,
# nothing of the failed run is left beside the database once they close, and the next run with
# room stores the whole change.
. tests/e2e/lib.sh
DB=$T/state.db
DAY=--as-of=2026-11-21
mkdir "$T/many"
i=0
while [ $i -lt 300 ]; do
  printf 'group "g%d" {\n  name "Group %d"\n  where employee_type equals "Intern" or join_date is after 2020-01-%02d\n}\n' \
    $i $i $((i % 28 + 1))
  i=$((i + 1))
done > "$T/many/many.rule"
cp -r examples/org "$T/org"
sed 's/"Intern"/"Full-time"/' examples/org/members.jsonl > "$T/org/members.jsonl"

expect_exit 0 "$ROSTER" recalc --rules "$T/many" --snapshot examples/org --state "$DB" $DAY --out /dev/null
expect_exit 0 "$ROSTER" members g1 --state "$DB"
cp "$T/out" "$T/members-before"
cp "$DB" "$T/before.db"
size=$(wc -c < "$DB")

# The WAL cannot grow past the limit: the commit fails part way (at 40 and 48 KiB), or the run fails
# at its start because even the 32 KiB -shm file cannot be made (at 16 KiB).
for limit in 49152 40960 16384; do
  cp "$T/before.db" "$DB"
  expect_exit 2 prlimit --fsize="$limit" "$ROSTER" recalc --rules "$T/many" --snapshot "$T/org" --state "$DB" $DAY \
    --out /dev/null
  contains "$T/err" "disk I/O error"
  expect_exit 0 "$ROSTER" members g1 --state "$DB"
  same "$T/out" "$T/members-before"
  ls "$T" | grep -q 'state.db-' && fail "files of the failed run (limit $limit) left beside the database: $(ls "$T")"
  cmp "$DB" "$T/before.db" || fail "the failed run (limit $limit) changed the stored state"
  expect_exit 0 "$ROSTER" dry-run "$T/many/many.rule" --snapshot "$T/org" --state "$DB" $DAY
done

# With room, the whole change is stored.
expect_exit 0 "$ROSTER" recalc --rules "$T/many" --snapshot "$T/org" --state "$DB" $DAY --out "$T/d.jsonl"
grep -q '"group": "g1", "op": "remove"' "$T/d.jsonl" || fail "the change was not stored"
expect_exit 0 "$ROSTER" recalc --rules "$T/many" --snapshot "$T/org" --state "$DB" $DAY --out "$T/d2.jsonl"
[ -s "$T/d2.jsonl" ] && fail "the change was stored twice"
exit 0
