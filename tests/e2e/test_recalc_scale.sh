# recalc at a few thousand members and generated groups: for every group, the stored membership
# after a run equals the one before plus the adds minus the removes, when members change, join and
# leave (so the stored id list differs from the snapshot's); dry-run's counts match the delta; going
# back to the first snapshot gives the exact inverse delta.
. tests/e2e/lib.sh
B=$(dirname "$ROSTER")/bench
[ -x "$B/gen-org" ] && [ -x "$B/gen-rules" ] || fail "bench/gen-org and bench/gen-rules are not built next to $ROSTER"
DB=$T/state.db
DAY=--as-of=2026-11-21
"$B/gen-org" --members 20000 --departments 200 --seed 5 --format jsonl -o "$T/v1" > /dev/null 2>&1 || fail gen-org
"$B/gen-rules" --groups 30 --seed 3 --org "$T/v1" -o "$T/groups.rule" > /dev/null 2>&1 || fail gen-rules

# v2: every 10th member frozen, every 13th moved from Shanghai to Beijing, 500 members joined, and
# every 17th member no rule and no leader link names has left.
mkdir "$T/v2"
cp "$T/v1/schema.json" "$T/v1/departments.jsonl" "$T/v2/"
grep -o '"u[0-9]*"' "$T/groups.rule" | tr -d '"' > "$T/named"
awk -F'"leader":"' 'NF > 1 { split($2, a, "\""); print a[1] }' "$T/v1/members.jsonl" >> "$T/named"
awk 'FNR == NR { named[$1] = 1; next }
     { match($0, /"id":"[^"]*"/); id = substr($0, RSTART + 6, RLENGTH - 7) }
     FNR % 17 == 0 && !(id in named) { next }
     FNR % 10 == 0 { sub(/"status":"active"/, "\"status\":\"frozen\"") }
     FNR % 13 == 0 { sub(/"city":"Shanghai"/, "\"city\":\"Beijing\"") }
     { print }
     FNR <= 500 { line = $0; sub(/"id":"/, "\"id\":\"n", line); sub(/"email":"/, "\"email\":\"n", line); extra[FNR] = line }
     END { for (i = 1; i <= 500; i++) print extra[i] }' "$T/named" "$T/v1/members.jsonl" > "$T/v2/members.jsonl"

groups=$(grep -o '^group "[^"]*"' "$T/groups.rule" | sed 's/group "//; s/"$//')
# members_of DIR: every group's stored members, as "group member" lines.
members_of() {
  mkdir -p "$1"
  for g in $groups; do
    "$ROSTER" members "$g" --state "$DB" > "$1/$g" || fail "members $g"
  done
}
# check_delta BEFORE AFTER DELTA: for every group, AFTER = BEFORE + adds - removes, and every add is
# new and every remove was there.
check_delta() {
  for g in $groups; do
    grep "\"group\": \"$g\"," "$3" | awk -F'"' -v before="$1/$g" -v after="$2/$g" '
      BEGIN { while ((getline m < before) > 0) set[m] = 1; while ((getline m < after) > 0) want[m] = 1 }
      $8 == "add" { if ($12 in set) { print "add of a member already in: " $12; bad = 1 } set[$12] = 1 }
      $8 == "remove" { if (!($12 in set)) { print "remove of a member not in: " $12; bad = 1 } delete set[$12] }
      END { for (m in set) if (!(m in want)) { print "extra: " m; bad = 1 }
            for (m in want) if (!(m in set)) { print "missing: " m; bad = 1 }
            exit bad }' || fail "group $g: stored membership and delta disagree"
  done
}

mkdir "$T/empty"
for g in $groups; do : > "$T/empty/$g"; done
expect_exit 0 "$ROSTER" recalc --rules "$T/groups.rule" --snapshot "$T/v1" --state "$DB" $DAY --out "$T/d1.jsonl"
members_of "$T/m1"
check_delta "$T/empty" "$T/m1" "$T/d1.jsonl"

expect_exit 0 "$ROSTER" dry-run "$T/groups.rule" --snapshot "$T/v2" --state "$DB" $DAY --format json
dry_adds=$(grep -o '"added": [0-9]*' "$T/out" | awk '{ s += $2 } END { print s + 0 }')
dry_removes=$(grep -o '"removed": [0-9]*' "$T/out" | awk '{ s += $2 } END { print s + 0 }')

expect_exit 0 "$ROSTER" recalc --rules "$T/groups.rule" --snapshot "$T/v2" --state "$DB" $DAY --out "$T/d2.jsonl"
members_of "$T/m2"
check_delta "$T/m1" "$T/m2" "$T/d2.jsonl"
adds=$(grep -c '"op": "add"' "$T/d2.jsonl")
removes=$(grep -c '"op": "remove"' "$T/d2.jsonl")
[ "$adds" -gt 0 ] && [ "$removes" -gt 0 ] || fail "v2 should both add and remove ($adds, $removes)"
[ "$adds" -eq "$dry_adds" ] && [ "$removes" -eq "$dry_removes" ] ||
  fail "dry-run said +$dry_adds -$dry_removes, recalc wrote +$adds -$removes"

# Back to v1: the inverse delta, line for line.
expect_exit 0 "$ROSTER" recalc --rules "$T/groups.rule" --snapshot "$T/v1" --state "$DB" $DAY --out "$T/d3.jsonl"
sed 's/"op": "add"/"op": "X"/; s/"op": "remove"/"op": "add"/; s/"op": "X"/"op": "remove"/' "$T/d2.jsonl" |
  LC_ALL=C sort > "$T/inverse"
LC_ALL=C sort "$T/d3.jsonl" > "$T/d3.sorted"
same "$T/d3.sorted" "$T/inverse"
members_of "$T/m3"
for g in $groups; do cmp -s "$T/m3/$g" "$T/m1/$g" || fail "group $g differs after going back to v1"; done
exit 0
