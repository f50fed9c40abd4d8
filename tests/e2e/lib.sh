# Sourced by the e2e tests: $ROSTER is the binary, $T a scratch folder; helpers compare output.
set -u
ROSTER=$1
T=$TMPDIR_E2E
fail() { echo "FAIL: $*"; exit 1; }
# expect_exit CODE CMD...: runs CMD, stdout to $T/out, stderr to $T/err, and checks the exit code.
expect_exit() {
  want=$1; shift
  "$@" > "$T/out" 2> "$T/err"; got=$?
  [ "$got" -eq "$want" ] || { echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"; fail "exit $got, wanted $want: $*"; }
}
# same FILE EXPECTED: the file equals the expected file (shows a diff when not).
same() { diff -u "$2" "$1" || fail "$1 differs from $2"; }
contains() { grep -qF -- "$2" "$1" || { cat "$1"; fail "$1 lacks: $2"; }; }
