# roster compile and disasm: a bytecode file that disassembles like --disasm, golden listing of the
# example rules, and corrupt or truncated bytecode refused with E0701 (never a crash).
. tests/e2e/lib.sh
S=examples/org/schema.json
expect_exit 0 "$ROSTER" compile examples/rules --schema "$S" -o "$T/rules.rbc"
[ -s "$T/rules.rbc" ] || fail "no bytecode file written"
expect_exit 0 "$ROSTER" disasm "$T/rules.rbc";                     cp "$T/out" "$T/from-file.txt"
expect_exit 0 "$ROSTER" compile examples/rules --schema "$S" --disasm; same "$T/out" "$T/from-file.txt"
same "$T/from-file.txt" tests/e2e/expected/compile/examples.disasm
# A rule error writes no bytecode file.
expect_exit 1 "$ROSTER" compile tests/data/e2e/check/mistakes.rule --schema "$S" -o "$T/bad.rbc"
[ -e "$T/bad.rbc" ] && fail "a bytecode file was written for rules with errors"
# Corrupt files: truncated at several lengths, a flipped byte, another file entirely.
size=$(wc -c < "$T/rules.rbc")
for n in 0 7 8 16 40 $((size / 2)) $((size - 1)); do
  head -c "$n" "$T/rules.rbc" > "$T/cut.rbc"
  expect_exit 1 "$ROSTER" disasm "$T/cut.rbc"
  contains "$T/err" "E0701"
done
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//2]^=0x5a; open(sys.argv[2],"wb").write(b)' "$T/rules.rbc" "$T/flip.rbc"
expect_exit 1 "$ROSTER" disasm "$T/flip.rbc"
contains "$T/err" "E0701"
expect_exit 1 "$ROSTER" disasm examples/org/schema.json
contains "$T/err" "E0701"
expect_exit 2 "$ROSTER" disasm "$T/missing.rbc"
exit 0
