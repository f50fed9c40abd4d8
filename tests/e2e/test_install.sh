# make install under DESTDIR with PREFIX=/usr puts every file in its place: the command, the shared
# library with its soname and links (exporting roster.h's functions only), roster.h, roster.pc and
# the man pages. A C program built against the installed files alone with pkg-config gives what
# the command gives for the same inputs; the man pages render; each command's --help is its page's
# text. make uninstall removes it all.
. tests/e2e/lib.sh
R=$T/root
P=$R/usr
DAY=2026-11-21
RULES="examples/rules examples/rules-json"
# Install what the run under test was built from (build/FLAVOUR/roster), so nothing is compiled.
# The variables of an enclosing make (FLAVOUR, CC, OPT) come along in MAKEFLAGS; its jobserver,
# which this script cannot use, does not.
FLAVOUR=$(basename "$(dirname "$ROSTER")")
MAKEFLAGS=$(printf '%s' "${MAKEFLAGS:-}" | sed -e 's/--jobserver-[a-z]*=[^ ]*//g' -e 's/\(^\| \)-j[0-9]*//g')
export MAKEFLAGS
expect_exit 0 make --no-print-directory FLAVOUR="$FLAVOUR" DESTDIR="$R" PREFIX=/usr install
grep -e ' -c ' "$T/out" && fail "make install compiled something"

# ---- every installed file ----
PAGES="roster roster-check roster-fmt roster-compile roster-disasm roster-dry-run roster-recalc roster-members roster-map roster-snapshot"
for f in bin/roster lib/libroster.so.0.1.0 include/roster.h lib/pkgconfig/roster.pc; do
  [ -f "$P/$f" ] || fail "$f not installed"
done
for p in $PAGES; do [ -f "$P/share/man/man1/$p.1" ] || fail "man page $p.1 not installed"; done
[ -x "$P/bin/roster" ] || fail "bin/roster is not executable"
[ "$(readlink "$P/lib/libroster.so.0")" = libroster.so.0.1.0 ] || fail "libroster.so.0 does not point to libroster.so.0.1.0"
[ "$(readlink "$P/lib/libroster.so")" = libroster.so.0 ] || fail "libroster.so does not point to libroster.so.0"
cmp -s "$P/include/roster.h" api/roster.h || fail "the installed roster.h is not api/roster.h"
readelf -d "$P/lib/libroster.so.0.1.0" > "$T/dyn"
contains "$T/dyn" "Library soname: [libroster.so.0]"
[ "$(find "$R" -type f | wc -l)" -eq 14 ] || { find "$R" -type f; fail "14 files expected"; }
# the exported symbols are exactly the functions roster.h declares
nm -D --defined-only "$P/lib/libroster.so.0.1.0" | awk '{print $3}' | sort > "$T/exported"
sed -n 's/^ROSTER_API [^(]*[ *]\(roster_[a-z_]*\)(.*/\1/p' api/roster.h | sort > "$T/declared"
[ -s "$T/declared" ] || fail "no ROSTER_API function found in api/roster.h"
same "$T/exported" "$T/declared"
"$P/bin/roster" --version > "$T/version"
echo "roster 0.1.0" > "$T/want"
same "$T/version" "$T/want"

# ---- a program against the installed library ----
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
[ "$(pkg-config --modversion roster)" = 0.1.0 ] || fail "pkg-config --modversion roster"
FLAGS=$(pkg-config --define-prefix --cflags --libs roster) || fail "pkg-config --cflags --libs roster"
case $FLAGS in *"-I$P/include"*"-L$P/lib"*"-lroster"*) ;; *) fail "pkg-config gave: $FLAGS" ;; esac
# an ASan library needs its runtime in the program too
SAN=""
[ "$FLAVOUR" = asan ] && SAN="-fsanitize=address,undefined"
cc -std=c11 -Wall -Wextra -Werror $SAN -o "$T/demo" tests/data/e2e/install/demo.c $FLAGS > "$T/cc.log" 2>&1 || {
  cat "$T/cc.log"; fail "tests/data/e2e/install/demo.c does not build against the installed library"; }
readelf -d "$T/demo" | grep -q 'NEEDED.*\[libroster.so.0\]' || fail "demo is not linked to libroster.so.0"
export LD_LIBRARY_PATH="$P/lib"

# every group's member count, and one group's members, as recalc stores them
expect_exit 0 "$T/demo" counts examples/org $DAY $RULES
sort "$T/out" > "$T/api-counts"
expect_exit 0 "$ROSTER" recalc --rules $RULES --snapshot examples/org --state "$T/s.db" --as-of $DAY --out /dev/null
: > "$T/cli-counts"
for g in $(cut -d' ' -f1 "$T/api-counts"); do
  echo "$g $("$ROSTER" members "$g" --state "$T/s.db" | wc -l)" >> "$T/cli-counts"
done
same "$T/api-counts" "$T/cli-counts"
[ "$(wc -l < "$T/api-counts")" -eq 11 ] || fail "11 groups expected"
expect_exit 0 "$T/demo" members examples/org $DAY interns-office-a $RULES
mv "$T/out" "$T/api-members"
expect_exit 0 "$ROSTER" members interns-office-a --state "$T/s.db"
same "$T/api-members" "$T/out"

# a dry-run against a state database that does not exist yet, then against the stored one
for db in "$T/none.db" "$T/s.db"; do
  expect_exit 0 "$T/demo" dry-run examples/org $DAY "$db" $RULES
  mv "$T/out" "$T/api-dry"
  expect_exit 0 "$ROSTER" dry-run $RULES --snapshot examples/org --state "$db" --as-of $DAY
  same "$T/api-dry" "$T/out"
done
[ -e "$T/none.db" ] && fail "the dry-run created its state database"

# diagnostics of bad rule text are what roster check prints
printf 'group "g" {\n  name "G"\n  where job_titel equals "x"\n}\n' > "$T/bad.rule"
expect_exit 1 "$T/demo" check examples/org/schema.json "$T/bad.rule"
mv "$T/err" "$T/api-diags"
expect_exit 1 "$ROSTER" check "$T/bad.rule" --schema examples/org/schema.json
same "$T/api-diags" "$T/err"

# one record mapped, as roster map maps it
head -n 1 tests/data/e2e/map/google-users.jsonl > "$T/one.jsonl"
expect_exit 0 "$T/demo" map mappings/google-to-lark.map "$T/one.jsonl"
mv "$T/out" "$T/api-map"
expect_exit 0 "$ROSTER" map --mapping mappings/google-to-lark.map --source "$T/one.jsonl"
same "$T/api-map" "$T/out"
contains "$T/api-map" '"target": {"user_id": "104857391057389102934"'

# ---- man pages and --help ----
for p in $PAGES; do
  m="$P/share/man/man1/$p.1"
  grep -q '^\.TH ' "$m" && grep -q '^\.SH NAME' "$m" || fail "$p.1 lacks .TH or .SH NAME"
  if command -v groff > /dev/null; then
    groff -man -Tutf8 -ww -z "$m" > "$T/groff" 2>&1 || fail "groff cannot render $p.1"
    [ -s "$T/groff" ] && { cat "$T/groff"; fail "groff warns about $p.1"; }
  fi
done
if command -v man > /dev/null; then
  MANWIDTH=100 man -l "$P/share/man/man1/roster-recalc.1" > "$T/man" 2> "$T/man.err" || fail "man -l roster-recalc.1"
  contains "$T/man" "ROSTER-RECALC(1)"
  contains "$T/man" "SYNOPSIS"
  # the synopsis the man page shows is the usage --help shows
  sed -n '/^usage:$/,/^$/p' docs/commands/recalc.txt | sed -n 's/^ *\(roster .*\)/\1/p' > "$T/usage"
  while IFS= read -r line; do contains "$T/man" "$line"; done < "$T/usage"
fi
# `roster COMMAND --help` is the man page's source, byte for byte
for c in check fmt compile disasm dry-run recalc members map snapshot; do
  expect_exit 0 "$P/bin/roster" "$c" --help
  same "$T/out" "docs/commands/$c.txt"
done
expect_exit 0 "$P/bin/roster" help recalc
same "$T/out" docs/commands/recalc.txt
expect_exit 0 "$P/bin/roster" --help
contains "$T/out" "  recalc    recalculate every group, store the membership and write the delta"
expect_exit 2 "$P/bin/roster" recalc --snapshot examples/org
contains "$T/err" "  roster recalc --rules FILE|DIR... --snapshot DIR|FILE"

# ---- uninstall ----
expect_exit 0 make --no-print-directory FLAVOUR="$FLAVOUR" DESTDIR="$R" PREFIX=/usr uninstall
left=$(find "$R" ! -type d)
[ -z "$left" ] || fail "left after make uninstall: $left"
exit 0
