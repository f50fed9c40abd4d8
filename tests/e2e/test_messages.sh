# Messages that used to mislead (issue 12 item 16): each says what is wrong in the admin's terms and
# where, with positions counted from 1 (a column that is not known is left out, never printed as 0).
. tests/e2e/lib.sh
S=examples/org/schema.json

# A flat chain of 257 `and` terms is a chain too long, not nesting; 257 parentheses are nesting.
{
  printf 'group "g" {\n  name "G"\n  where city equals "Paris"'
  i=0; while [ $i -lt 256 ]; do printf ' and level equals %d' $i; i=$((i + 1)); done
  printf '\n}\n'
} > "$T/chain.rule"
expect_exit 1 "$ROSTER" check "$T/chain.rule" --schema "$S"
contains "$T/err" "error[E0002]: expression is more than 256 levels deep here: each \`and\` or \`or\` of a chain is one level, so a chain holds at most 256 terms"
{
  printf 'group "g" {\n  name "G"\n  where '
  i=0; while [ $i -lt 257 ]; do printf '('; i=$((i + 1)); done
  printf 'level equals 1'
  i=0; while [ $i -lt 257 ]; do printf ')'; i=$((i + 1)); done
  printf '\n}\n'
} > "$T/nest.rule"
expect_exit 1 "$ROSTER" check "$T/nest.rule" --schema "$S"
contains "$T/err" "error[E0002]: expression is nested more than 256 levels deep"

# A condition number is reported as written, not as 4294967295.
printf 'group "g" {\n  name "G"\n  99999999999: city equals "Paris"\n}\n' > "$T/number.rule"
expect_exit 1 "$ROSTER" check "$T/number.rule" --schema "$S"
contains "$T/err" "number.rule:3:3: error[E0212]: condition number 99999999999 is outside 1..20"

# The limit of whole numbers is named: 2^53 passes, 2^53 + 1 does not, in rules and in snapshots.
printf 'group "g" {\n  name "G"\n  where level equals 9007199254740992\n}\n' > "$T/big-ok.rule"
expect_exit 0 "$ROSTER" check "$T/big-ok.rule" --schema "$S"
sed 's/9007199254740992/9007199254740993/' "$T/big-ok.rule" > "$T/big.rule"
expect_exit 1 "$ROSTER" check "$T/big.rule" --schema "$S"
contains "$T/err" "big.rule:3:22: error[E0106]: number 9007199254740993 is out of range"
contains "$T/err" "whole numbers are exact up to 9007199254740992 (2^53)"
cp -r examples/org "$T/bignum"
sed '1s/"level":[0-9]*/"level":9007199254740993/' examples/org/members.jsonl > "$T/bignum/members.jsonl"
expect_exit 1 "$ROSTER" snapshot check "$T/bignum"
contains "$T/err" "field 'level': integer 9007199254740993 is beyond +-9007199254740992 (2^53), the largest whole numbers held exactly"

# A function called with too many arguments names the upper bound.
{
  printf 'mapping "m" {\n  source "google-user.schema.json"\n  target "lark-user.schema.json"\n'
  printf '  custom user_id = id\n  custom department = orgUnitPath\n  custom name = concat(id'
  i=0; while [ $i -lt 64 ]; do printf ', id'; i=$((i + 1)); done
  printf ')\n}\n'
} > "$T/concat.map"
cp mappings/*.json "$T/"
expect_exit 1 "$ROSTER" check "$T/concat.map"
contains "$T/err" "error[E0504]: concat takes at most 64 arguments, not 65"

# A stray quote inside a CSV cell is reported where it is; the rows after it stay rows.
cp -r examples/org-csv "$T/csv"
sed '3s/,Fleet Coordinator,/,Fleet "Coordinator,/' examples/org-csv/members.csv > "$T/csv/members.csv"
grep -q 'Fleet "Coordinator' "$T/csv/members.csv" || fail "the CSV test row was not edited"
expect_exit 1 "$ROSTER" snapshot check "$T/csv"
contains "$T/err" "members.csv:3:62: error[E0601]: a quote inside a cell that does not start with one"
grep -q "end of the file" "$T/err" && fail "a stray quote still swallowed the rest of the file"
[ "$(grep -c 'error\[' "$T/err")" -eq 1 ] || { cat "$T/err"; fail "one stray quote should give one error"; }
# A quoted cell that is never closed is reported where it opens.
{ head -n 2 examples/org-csv/members.csv; printf 'u2,"Hao Campbell\n'; } > "$T/csv/members.csv"
expect_exit 1 "$ROSTER" snapshot check "$T/csv"
contains "$T/err" "members.csv:3:4: error[E0601]: the quoted cell that starts here is never closed"

# Snapshot errors known by line only print no column 0, in text and in JSON.
cp -r tests/data/recalc/org "$T/ids"
{ cat tests/data/recalc/org/members.jsonl; head -n 1 tests/data/recalc/org/members.jsonl; echo '{"name": "x"}'; } \
  > "$T/ids/members.jsonl"
expect_exit 1 "$ROSTER" snapshot check "$T/ids"
contains "$T/err" "members.jsonl:14: error[E0602]"
contains "$T/err" "members.jsonl:13: error[E0603]"
grep -q ':0: ' "$T/err" && { cat "$T/err"; fail "a position with column 0"; }
expect_exit 1 "$ROSTER" check tests/data/recalc/rules --snapshot "$T/ids" --format json
grep -q '"column":0\|"line":0' "$T/out" && { cat "$T/out"; fail "JSON position 0"; }
contains "$T/out" '"line":13,"column":null,"end_line":13,"end_column":null'
exit 0
