# recalc refuses bad input without writing anything: a bad rule or snapshot exits 1, a usage or
# I/O problem exits 2; neither the state database nor the delta file is created or changed.
. tests/e2e/lib.sh
D=tests/data/recalc
DB=$T/state.db
DAY=--as-of=2026-11-21

# Nothing stored yet: a bad rule creates no database and no delta file.
expect_exit 1 "$ROSTER" recalc --rules "$D/bad" --snapshot "$D/org" --state "$DB" $DAY --out "$T/d.jsonl"
contains "$T/err" "E0201"
[ -e "$DB" ] && fail "a database was created for a bad rule"
[ -e "$T/d.jsonl" ] && fail "a delta file was written for a bad rule"

# With a database: its bytes do not change.
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/d.jsonl"
cp "$DB" "$T/before.db"
cp "$T/d.jsonl" "$T/d-before.jsonl"
expect_exit 1 "$ROSTER" recalc --rules "$D/rules" "$D/bad" --snapshot "$D/org" --state "$DB" $DAY --out "$T/d.jsonl"
cmp "$DB" "$T/before.db" || fail "a bad rule changed the database"
same "$T/d.jsonl" "$T/d-before.jsonl"

# A bad snapshot (a duplicate member id).
mkdir "$T/badorg"
cp "$D/org/schema.json" "$D/org/departments.jsonl" "$T/badorg/"
{ cat "$D/org/members.jsonl"; head -n 1 "$D/org/members.jsonl"; } > "$T/badorg/members.jsonl"
expect_exit 1 "$ROSTER" recalc --rules "$D/rules" --snapshot "$T/badorg" --state "$DB" $DAY --out "$T/d.jsonl"
contains "$T/err" "E0603"
cmp "$DB" "$T/before.db" || fail "a bad snapshot changed the database"
same "$T/d.jsonl" "$T/d-before.jsonl"

# Usage errors.
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --state "$DB"
expect_exit 2 "$ROSTER" recalc --snapshot "$D/org" --state "$DB"
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" --as-of 2026-02-30
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" --bogus
expect_exit 2 "$ROSTER" recalc --rules "$T/no-such-folder" --snapshot "$D/org" --state "$DB"
# --threads takes 0 to RS_MAX_THREADS (common/parallel.h), the cap every parallel step uses.
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" --threads 257
contains "$T/err" "--threads takes 0-256"
expect_exit 2 "$ROSTER" dry-run "$D/rules/interns.rule" --snapshot "$D/org" --state "$DB" --threads -1
contains "$T/err" "--threads takes 0-256"
expect_exit 0 "$ROSTER" dry-run "$D/rules/interns.rule" --snapshot "$D/org" --state "$DB" $DAY --threads 256

# I/O errors: a database that cannot be created, a delta file that cannot be written.
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$T/nodir/state.db" $DAY
contains "$T/err" "E0801"
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY --out "$T/nodir/d.jsonl"
cmp "$DB" "$T/before.db" || fail "a failed delta write still committed"

# Not a roster database: refused, and left alone.
printf 'SQLite format 3\000garbage' > "$T/foreign.db"
cp "$T/foreign.db" "$T/foreign-before.db"
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$T/foreign.db" $DAY
contains "$T/err" "E0801"
cmp "$T/foreign.db" "$T/foreign-before.db" || fail "a foreign file was changed"

# An --out that names an input is refused before anything is opened (the delta used to be renamed
# over the state database and the run exited 0): the state file by its path and by a hard link, a
# rule file, the snapshot.
cp "$DB" "$T/before.db"
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$DB"
contains "$T/err" "is the state database"
cmp "$DB" "$T/before.db" || fail "--out the state file changed the database"
ln "$DB" "$T/state-link.db"
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/state-link.db"
contains "$T/err" "is the state database"
cmp "$DB" "$T/before.db" || fail "--out a hard link of the state file changed the database"
cp "$D/rules/$(ls "$D/rules" | head -n 1)" "$T/one.rule"
cp "$T/one.rule" "$T/one-before.rule"
expect_exit 2 "$ROSTER" recalc --rules "$T/one.rule" --snapshot "$D/org" --state "$DB" $DAY --out "$T/one.rule"
contains "$T/err" "is an input of the run"
same "$T/one.rule" "$T/one-before.rule"

# An empty rule folder says so (it used to pass NULL to memcpy, which UBSan stops).
mkdir "$T/no-rules"
expect_exit 2 "$ROSTER" recalc --rules "$T/no-rules" --snapshot "$D/org" --state "$DB" $DAY --out "$T/d.jsonl"
contains "$T/err" "no rule files"
# The delta of record goes to a regular file or /dev/null only. Through a pipe, a reader that stops
# early (`| head -1`) used to take the whole small delta from the pipe buffer, the run committed, and
# the unread lines were lost. Now a pipe is refused before anything is read or stored, and the next
# run to a file delivers the whole delta.
cp "$DB" "$T/before.db"
{ "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY 2> "$T/err"; echo $? > "$T/rc"; } | head -n 1 > "$T/head"
[ "$(cat "$T/rc")" -eq 2 ] || fail "recalc to a pipe exited $(cat "$T/rc"), wanted 2"
contains "$T/err" "standard output is a pipe: the delta of record is written to a regular file or /dev/null only"
contains "$T/err" "write the delta with --out FILE"
[ -s "$T/head" ] && fail "recalc to a pipe wrote: $(cat "$T/head")"
cmp "$DB" "$T/before.db" || fail "recalc to a pipe changed the database"
mkfifo "$T/fifo"
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY --out "$T/fifo"
contains "$T/err" "--out is a pipe"
cmp "$DB" "$T/before.db" || fail "recalc to a FIFO changed the database"
expect_exit 2 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY --out "$T"
contains "$T/err" "--out is a folder"
# stdout redirected to a file is delivery (it is fsync'd before the commit), as is --out FILE
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$T/before.db" $DAY
cp "$T/out" "$T/v2-stdout.jsonl"
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$DB" $DAY --out "$T/v2.jsonl"
same "$T/v2.jsonl" "$T/v2-stdout.jsonl"
[ "$(grep -c . "$T/v2.jsonl")" -gt 1 ] || fail "the org-v2 delta should have several lines"
# /dev/null is a choice to discard the delta: allowed, as stdout and as --out
cp "$T/before.db" "$T/null.db"
"$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org" --state "$T/null.db" $DAY > /dev/null 2> "$T/err" ||
  { cat "$T/err"; fail "recalc with stdout on /dev/null failed"; }
expect_exit 0 "$ROSTER" recalc --rules "$D/rules" --snapshot "$D/org-v2" --state "$T/null.db" $DAY --out /dev/null
exit 0
