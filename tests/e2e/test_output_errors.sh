# Output that cannot be written is an I/O error (exit 2, the error named), never a success: every
# command's standard output to /dev/full, where the first flush fails, and a map run far larger than
# the output buffer, where the writes fail part way through.
. tests/e2e/lib.sh
D=tests/data/recalc
S=examples/org/schema.json
DB=$T/state.db
DAY=--as-of=2026-11-21
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/first.jsonl"
expect_exit 0 "$ROSTER" compile examples/rules --schema "$S" -o "$T/rules.rbc"
grep -n '' tests/data/e2e/map/google-users.jsonl | grep -E '^(1|2):' | cut -d: -f2- > "$T/good.jsonl"
i=0; while [ $i -lt 12 ]; do cat "$T/good.jsonl" "$T/good.jsonl" "$T/good.jsonl" >> "$T/many.jsonl"; i=$((i + 1)); done
[ "$(wc -c < "$T/many.jsonl")" -gt 65536 ] || fail "the big map source should exceed the output buffer"

full() {
  "$@" > /dev/full 2> "$T/err"; got=$?
  [ "$got" -eq 2 ] || { cat "$T/err"; fail "exit $got, wanted 2 with stdout on /dev/full: $*"; }
  grep -qF "cannot write standard output: No space left on device; the output is incomplete" "$T/err" ||
    { cat "$T/err"; fail "the error should name the full disk: $*"; }
}
full "$ROSTER" fmt examples/rules/people.rule
full "$ROSTER" fmt examples/rules/people.rule --to json
full "$ROSTER" dry-run "$D/rules/teams.rule" --snapshot "$D/org-v2" --state "$DB" $DAY
full "$ROSTER" dry-run "$D/rules/teams.rule" --snapshot "$D/org-v2" --state "$DB" $DAY --format json
full "$ROSTER" members interns-office-a --state "$DB"
full "$ROSTER" members interns-office-a --state "$DB" --format json
full "$ROSTER" disasm "$T/rules.rbc"
full "$ROSTER" compile examples/rules --schema "$S" --disasm
full "$ROSTER" check tests/data/recalc/bad/bad.rule --snapshot examples/org --format json   # exit 1 without the I/O error
full "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/good.jsonl"
full "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/many.jsonl"
full "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/many.jsonl" --format table
full "$ROSTER" map --mapping mappings/google-to-lark.map --disasm
full "$ROSTER" --help
full "$ROSTER" --version
# the same commands with a writable stdout succeed: the failure above is the output's alone
expect_exit 0 "$ROSTER" members interns-office-a --state "$DB"
expect_exit 0 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/many.jsonl"
exit 0
