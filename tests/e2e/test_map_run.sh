# roster map: realistic Google Directory user records (users resource shape) mapped to Lark users by
# the built-in set, by a mapping that extends it (custom lines, a lookup table) and by a stand-alone
# one. Good records are mapped, each bad one is listed with its reasons, and none stops the others.
. tests/e2e/lib.sh
S=tests/data/e2e/map/google-users.jsonl
expect_exit 1 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$S"
same "$T/out" tests/e2e/expected/map/builtin.jsonl
contains "$T/err" 'mapped 8 record(s) with "google-to-lark": 4 ok, 4 failed'
expect_exit 1 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$S" --format table
same "$T/out" tests/e2e/expected/map/builtin.table
expect_exit 1 "$ROSTER" map --mapping tests/data/e2e/map/acme.map --source "$S"
same "$T/out" tests/e2e/expected/map/acme.jsonl
expect_exit 1 "$ROSTER" map --mapping tests/data/e2e/map/admins.map --source "$S"
same "$T/out" tests/e2e/expected/map/admins.jsonl
# every failure kind of the issue shows up in these runs
cat tests/e2e/expected/map/*.jsonl > "$T/all"
for reason in too_long wrong_type missing_required not_allowed lookup_missing bad_value bad_record; do
  contains "$T/all" "\"reason\": \"$reason\""
done

# the built-in set picks Google's primary entry, not the first (line 8: a volunteer board role and a
# non-primary "Intern" organization come first), prefers the primary work address, writes join_time
# as Unix seconds (Lark's form) and the manager's e-mail lower-cased like `email`
grep '"line": 8,' tests/e2e/expected/map/builtin.jsonl > "$T/line8"
for want in '"job_title": "Staff Engineer"' '"employee_type": 1' '"city": "Porto"' '"join_time": 1560124800' \
            '"leader": "joao.costa@example.com"' '"email": "marta.reis@example.com"'; do
  contains "$T/line8" "$want"
done

# only good records: exit 0, and the source may come on stdin
grep -n '' "$S" | grep -E '^(1|2):' | cut -d: -f2- > "$T/good.jsonl"
expect_exit 0 "$ROSTER" map --mapping mappings/google-to-lark.map --source - < "$T/good.jsonl"
[ "$(wc -l < "$T/out")" -eq 2 ] || fail "two records expected"
contains "$T/err" "2 ok, 0 failed"

# the compiled programs, EXPLAIN-style
expect_exit 0 "$ROSTER" map --mapping mappings/google-to-lark.map --disasm
same "$T/out" tests/e2e/expected/map/builtin.disasm
expect_exit 0 "$ROSTER" map --mapping tests/data/e2e/map/admins.map --disasm
same "$T/out" tests/e2e/expected/map/admins.disasm

# a mapping with errors maps nothing; usage errors exit 2
expect_exit 1 "$ROSTER" map --mapping tests/data/map/errors.map --source "$S"
[ -s "$T/out" ] && fail "records printed for a mapping with errors"
contains "$T/err" "E0501"
expect_exit 2 "$ROSTER" map --mapping mappings/google-to-lark.map
expect_exit 2 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$S" --format csv
expect_exit 2 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/none.jsonl"
expect_exit 2 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$S" --id nope
# Table cells escape tab, newline, carriage return and backslash (a title pasted from a spreadsheet
# used to shift every later column): every row keeps the header's column count.
python3 - "$S" "$T/tabs.jsonl" <<'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).readline())
rec["organizations"] = [{"title": "Senior Engineer\tPlatform\nTeam\r\\A", "primary": True}]
open(sys.argv[2], "w").write(json.dumps(rec) + "\n")
PY
expect_exit 0 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/tabs.jsonl" --format table
contains "$T/out" 'Senior Engineer\tPlatform\nTeam\r\\A'
[ "$(wc -l < "$T/out")" -eq 2 ] || fail "a value with a newline split its row: $(cat "$T/out")"
awk -F '\t' 'NR == 1 { n = NF } NF != n { exit 1 }' "$T/out" || fail "a value with a tab shifted the columns"
# A read error of the source fails the run (getline's -1 was taken for the end of the input, and a
# folder given as the source "mapped 0 records" with exit 0).
mkdir "$T/folder.jsonl"
expect_exit 2 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/folder.jsonl"
contains "$T/err" "cannot read '$T/folder.jsonl' after line 0"
# A line is refused only when it is not a JSON object, and the failure says why; a byte order mark
# on the first line and an integer beyond 64 bits in a key the mapping does not read are accepted.
G=$(sed -n 1p tests/data/e2e/map/google-users.jsonl)
{
  printf '\357\273\277'
  printf '%s\n' "$G" | sed 's/"kind"/"quota": 123456789012345678901234567890, "kind"/'
  echo '{"id": "d1", "id": "d2"}'
  printf '{"id": "x\355\240\200"}\n'
  echo '{"id": "x\ud800"}'
  echo '[1, 2]'
  echo '{"id": "u9",'
  printf '%s\n' "$G" | sed 's/"kind"/"quota": -123456789012345678901234567890, "kind"/'
} > "$T/odd.jsonl"
expect_exit 1 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/odd.jsonl"
contains "$T/err" 'mapped 7 record(s) with "google-to-lark": 2 ok, 5 failed'
grep '"line": 1,' "$T/out" | grep -q '"target"' || fail "the line with a byte order mark and a big number was refused"
grep '"line": 7,' "$T/out" | grep -q '"target"' || fail "the line with a big negative number was refused"
cat > "$T/reasons" <<'EOF'
"line": 2, "source_id": "", "failures": [{"field": "", "reason": "bad_record", "message": "the line is not valid JSON (column 17): duplicate object key near '\"id\"'"}]}
"line": 3, "source_id": "", "failures": [{"field": "", "reason": "bad_record", "message": "the line is not valid JSON (column 9): unable to decode byte 0xed near '\"x'"}]}
"line": 4, "source_id": "", "failures": [{"field": "", "reason": "bad_record", "message": "the line is not valid JSON (column 16): invalid Unicode '\\uD800' near '\"x\\ud800\"'"}]}
"line": 5, "source_id": "", "failures": [{"field": "", "reason": "bad_record", "message": "the line holds an array, not a JSON object"}]}
"line": 6, "source_id": "", "failures": [{"field": "", "reason": "bad_record", "message": "the line is not valid JSON: it ends early (string or '}' expected)"}]}
EOF
while IFS= read -r want; do contains "$T/out" "$want"; done < "$T/reasons"
exit 0
