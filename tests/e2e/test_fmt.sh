# roster fmt: canonical text and JSON. text -> json -> text is the identity on canonical text, fmt is
# idempotent, and a file with syntax errors prints nothing on stdout and exits 1.
. tests/e2e/lib.sh
for f in examples/rules/*.rule examples/rules-json/*.json tests/data/e2e/fmt/*.rule; do
  expect_exit 0 "$ROSTER" fmt "$f";             cp "$T/out" "$T/canon.rule"
  expect_exit 0 "$ROSTER" fmt "$T/canon.rule";  same "$T/out" "$T/canon.rule"
  expect_exit 0 "$ROSTER" fmt "$T/canon.rule" --to json; cp "$T/out" "$T/canon.json"
  expect_exit 0 "$ROSTER" fmt "$T/canon.json";  same "$T/out" "$T/canon.rule"
  expect_exit 0 "$ROSTER" fmt "$T/canon.json" --to json; same "$T/out" "$T/canon.json"
done
# A messy but valid file prints as the expected canonical text (comments kept).
expect_exit 0 "$ROSTER" fmt tests/data/e2e/fmt/messy.rule
same "$T/out" tests/e2e/expected/fmt/messy.rule
printf 'group "g" {\n  name "G"\n  1: level at least\n}\n' > "$T/bad.rule"
expect_exit 1 "$ROSTER" fmt "$T/bad.rule"
[ -s "$T/out" ] && fail "fmt printed output for a file with errors"
contains "$T/err" "E0104"
expect_exit 2 "$ROSTER" fmt "$T/bad.rule" --to yaml
exit 0
