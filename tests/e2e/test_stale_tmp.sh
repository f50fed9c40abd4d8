# Temporary files of a killed run (`deltas.jsonl.tmp.<pid>`, `org.snap.tmp.<pid>`, hundreds of MB at
# scale) are removed by the next run that writes the same file, when their process has exited. A
# live process's file, and the temporary files of other names, are left alone.
. tests/e2e/lib.sh
D=tests/data/recalc
DAY=--as-of=2026-11-21
dead=$(sh -c 'echo $$')       # a process that has exited (and been reaped)
live=$$                       # this shell, alive while the test runs
for f in d.jsonl.tmp.$dead d.jsonl.tmp.$live other.jsonl.tmp.$dead d.jsonl.tmp.x12 org.snap.tmp.$dead \
         org.snap.tmp.$live; do
  echo junk > "$T/$f"
done
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$T/state.db" $DAY --out "$T/d.jsonl"
[ -e "$T/d.jsonl.tmp.$dead" ] && fail "the delta's temporary file of exited process $dead was not removed"
[ -e "$T/d.jsonl.tmp.$live" ] || fail "the temporary file of live process $live was removed"
[ -e "$T/other.jsonl.tmp.$dead" ] || fail "another file's temporary file was removed"
[ -e "$T/d.jsonl.tmp.x12" ] || fail "a name that is not <file>.tmp.<pid> was removed"
expect_exit 0 "$ROSTER" snapshot pack "$D/org" -o "$T/org.snap"
[ -e "$T/org.snap.tmp.$dead" ] && fail "the .snap's temporary file of exited process $dead was not removed"
[ -e "$T/org.snap.tmp.$live" ] || fail "the .snap temporary file of live process $live was removed"
# compile -o writes through the same path
echo junk > "$T/rules.rbc.tmp.$dead"
expect_exit 0 "$ROSTER" compile "$D/rules" --schema "$D/org/schema.json" -o "$T/rules.rbc"
[ -e "$T/rules.rbc.tmp.$dead" ] && fail "the bytecode file's temporary file of exited process $dead was not removed"
exit 0
