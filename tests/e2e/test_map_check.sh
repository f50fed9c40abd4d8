# roster check and fmt of mapping files: the built-in Google -> Lark set is valid and canonical; a
# mapping that extends it and breaks every rule gets one diagnostic per mistake, with its position.
. tests/e2e/lib.sh
expect_exit 0 "$ROSTER" check mappings/google-to-lark.map
contains "$T/err" "ok: 1 mapping file(s), 1 mapping(s) checked"
expect_exit 0 "$ROSTER" fmt mappings/google-to-lark.map
same "$T/out" mappings/google-to-lark.map

# fmt is idempotent on every mapping file, and the formatted file still checks (next to the
# original, since a mapping names its schemas relative to itself)
trap 'rm -f "tests/data/e2e/map/.fmt-$$.map"' EXIT
for f in tests/data/e2e/map/*.map; do
  expect_exit 0 "$ROSTER" fmt "$f"; cp "$T/out" "tests/data/e2e/map/.fmt-$$.map"
  expect_exit 0 "$ROSTER" fmt "tests/data/e2e/map/.fmt-$$.map"
  same "$T/out" "tests/data/e2e/map/.fmt-$$.map"
  expect_exit 0 "$ROSTER" check "tests/data/e2e/map/.fmt-$$.map"
  rm -f "tests/data/e2e/map/.fmt-$$.map"
done

expect_exit 1 "$ROSTER" check tests/data/map/errors.map
for want in "errors.map:6:3: error[E0507]: the default mapping of 'name' is changed" \
            "errors.map:1:9: error[E0507]: the default mapping of 'email' is missing" \
            "errors.map:9:3: error[E0508]: the recommended mapping of 'job_title' is changed" \
            "errors.map:11:37: error[E0501]: the source schema has no path 'primaryEmial'" \
            "did you mean 'primaryEmail'?" \
            "errors.map:11:15: error[E0502]: the target has no field 'citty'" \
            "errors.map:12:31: error[E0509]: unknown function 'lowr'" \
            "errors.map:13:31: error[E0504]: substr takes at least 2 arguments, not 1" \
            "errors.map:14:63: error[E0503]: argument 2 of substr is text; it must be number" \
            "errors.map:15:31: error[E0503]: 'join_time' is a number field; this expression is text" \
            "errors.map:16:15: error[E0505]: 'en_name' is mapped twice" \
            "errors.map:17:38: error[E0511]: no table \"titles\" in this mapping"; do
  contains "$T/err" "$want"
done
# the JSON form carries the same codes, one object a line
expect_exit 1 "$ROSTER" check tests/data/map/errors.map --format json
[ "$(grep -c '"code":"E05' "$T/out")" -ge 12 ] || { cat "$T/out"; fail "too few E05xx in JSON"; }

# a mapping file that drops a required field
sed '/default     name /d; /default     user_id /d' mappings/google-to-lark.map > "$T/drop.map"
cp mappings/*.json "$T/"
expect_exit 1 "$ROSTER" check "$T/drop.map"
contains "$T/err" "error[E0506]: required target field 'user_id' is not mapped"
contains "$T/err" "error[E0506]: required target field 'name' is not mapped"

# a folder with mapping files is checked as mappings (its schemas and tables are not rules), in name
# order, and one bad file fails the run
expect_exit 0 "$ROSTER" check mappings
contains "$T/err" "ok: 1 mapping file(s), 1 mapping(s) checked"
cp mappings/google-to-lark.map "$T/good.map"
expect_exit 1 "$ROSTER" check "$T"
contains "$T/err" "drop.map:3:9: error[E0506]: required target field 'name' is not mapped"
[ "$(grep -c 'error\[' "$T/err")" -eq 2 ] || fail "good.map should add no error"
expect_exit 2 "$ROSTER" fmt mappings
contains "$T/err" "cannot read file: Is a directory"

# mapping files are checked on their own
expect_exit 2 "$ROSTER" check mappings/google-to-lark.map examples/rules --schema examples/org/schema.json
expect_exit 2 "$ROSTER" check mappings examples/rules --schema examples/org/schema.json
expect_exit 2 "$ROSTER" fmt mappings/google-to-lark.map --to json
printf 'mapping "m" {\n  custom x lower(id)\n}\n' > "$T/bad.map"
expect_exit 1 "$ROSTER" fmt "$T/bad.map"
contains "$T/err" "E0104"
exit 0
