# roster check: exit codes, compiler-style diagnostics (text and JSON) compared with expected
# output, JSON paths for the console form, and hostile inputs that must give one clear error.
. tests/e2e/lib.sh
S=examples/org/schema.json
D=tests/data/e2e/check
E=tests/e2e/expected/check

expect_exit 0 "$ROSTER" check examples/rules examples/rules-json --snapshot examples/org
contains "$T/err" "ok: 6 file(s)"

# Every mistake of the file is reported in one run, in both formats.
expect_exit 1 "$ROSTER" check "$D/mistakes.rule" --schema "$S"
same "$T/err" "$E/mistakes.txt"
expect_exit 1 "$ROSTER" check "$D/mistakes.rule" --schema "$S" --format json
same "$T/out" "$E/mistakes.jsonl"

# The admin-console JSON form: errors name the JSON path as well as line:column.
expect_exit 1 "$ROSTER" check "$D/bad-console.json" --schema "$S"
same "$T/err" "$E/bad-console.txt"
contains "$T/err" "conditions[1].op"

# Ids are checked against a snapshot when one is given.
printf 'group "g" {\n  name "G"\n  departments "D-nowhere"\n  allow "u-nobody"\n}\n' > "$T/ids.rule"
expect_exit 1 "$ROSTER" check "$T/ids.rule" --snapshot examples/org
contains "$T/err" "E0301"
contains "$T/err" "E0302"

# Usage and I/O errors exit 2.
expect_exit 2 "$ROSTER" check "$D/mistakes.rule"
expect_exit 2 "$ROSTER" check "$T/no-such-file.rule" --schema "$S"
contains "$T/err" "cannot read file"
expect_exit 2 "$ROSTER" check "$D/mistakes.rule" --schema "$S" --format yaml

# Hostile input: each gives its clear error quickly, never a crash or a hang.
python3 -c 'print("group \"g\" {\n  name \"G\"\n  where " + "(" * 100000 + "level at least 1" + ")" * 100000 + "\n}")' > "$T/deep.rule"
expect_exit 1 timeout 10 "$ROSTER" check "$T/deep.rule" --schema "$S"
contains "$T/err" "E0002"
python3 -c 'print("group \"g\" {\n  name \"" + "x" * (50 << 20) + "\"\n}")' > "$T/huge.rule"
expect_exit 2 timeout 10 "$ROSTER" check "$T/huge.rule" --schema "$S"
contains "$T/err" "E0001"
python3 -c 'print("group \"g\" {\n  name \"" + "x" * 100000 + "\"\n}")' > "$T/longstr.rule"
expect_exit 1 timeout 10 "$ROSTER" check "$T/longstr.rule" --schema "$S"
contains "$T/err" "E0003"
# The JSON form has the same limit (65536 bytes), so fmt --to text never writes a file check refuses.
for n in 65536 65537; do
  python3 -c 'import sys; print("{\"id\": \"g\", \"name\": \"G\",\n \"allow\": [\"" + "u" * int(sys.argv[1]) + "\"]}")' "$n" > "$T/long-$n.json"
done
expect_exit 1 "$ROSTER" check "$T/long-65537.json" --schema "$S"
contains "$T/err" "long-65537.json:2:12: error[E0003]: string is 65537 bytes long; the limit is 65536 bytes (at allow[0])"
expect_exit 1 "$ROSTER" fmt "$T/long-65537.json" --to text
contains "$T/err" "error[E0003]"
[ -s "$T/out" ] && fail "fmt printed output for a string over the limit"
expect_exit 0 "$ROSTER" check "$T/long-65536.json" --schema "$S"
expect_exit 0 "$ROSTER" fmt "$T/long-65536.json" --to json; cp "$T/out" "$T/canon-65536.json"
expect_exit 0 "$ROSTER" fmt "$T/long-65536.json" --to text; cp "$T/out" "$T/long-65536.rule"
expect_exit 0 "$ROSTER" check "$T/long-65536.rule" --schema "$S"
expect_exit 0 "$ROSTER" fmt "$T/long-65536.rule" --to json
cmp -s "$T/out" "$T/canon-65536.json" || fail "a string at the limit does not round-trip through text"
printf 'group "g" {\n  name "G\377\376"\n}\n' > "$T/utf8.rule"
expect_exit 1 "$ROSTER" check "$T/utf8.rule" --schema "$S"
contains "$T/err" "E0004"
# An encoded surrogate (ED A0 80, U+D800) is not UTF-8 either, in every file kind: check and fmt
# report it at its place and fmt prints nothing (it used to rewrite it as U+FFFD).
printf 'group "g" {\n  name "G\355\240\200"\n}\n' > "$T/surrogate.rule"
printf '{"id": "g",\n "name": "G\355\240\200"}\n' > "$T/surrogate.json"
printf 'mapping "m" {\n  custom title = "G\355\240\200"\n}\n' > "$T/surrogate.map"
for f in surrogate.rule:2:10 surrogate.json:2:12 surrogate.map:2:20; do
  file=${f%%:*}
  [ "$file" = surrogate.map ] && schema= || schema="--schema $S"
  expect_exit 1 "$ROSTER" check "$T/$file" $schema
  contains "$T/err" "$f: error[E0004]: invalid UTF-8 (byte 0xed)"
  expect_exit 1 "$ROSTER" fmt "$T/$file"
  contains "$T/err" "$f: error[E0004]"
  [ -s "$T/out" ] && fail "fmt printed output for $file"
done
printf 'group "g" {\n  name "G"\n  where level at least 1\000\n}\n' > "$T/nul.rule"
expect_exit 1 "$ROSTER" check "$T/nul.rule" --schema "$S"
contains "$T/err" "E0005"
printf 'group "g" {\n  name "unterminated' > "$T/eof.rule"
expect_exit 1 "$ROSTER" check "$T/eof.rule" --schema "$S"
contains "$T/err" "E0102"
exit 0
