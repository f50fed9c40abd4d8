#!/bin/sh
# check-layers.sh [BUILD]: the layering of the source tree, run by `make test`.
#
# Modules stack in this order, each using only those before it:
#   common grammar compiler runtime connectors sync sched console api cli
# (api/, roster.h, is the top layer of the library: over every module of it, under the command)
# and tests/, bench/ and fuzz/ may include anything (no module may include them). Fails, naming
# file:line and the include, when
#   - a file of a module includes a header of a module above it (#include "module/...");
#   - the files of one folder include each other in a cycle;
#   - a folder holds C sources but has no place in the order (give it one in LAYERS below);
# and, given the build folder of a flavour (make passes it), when the objects of one folder call
# each other in a cycle (a.c uses a function of b.c and b.c one of a.c: a shared header hides such a
# loop from the includes), or an object uses a function of a module above its own. The grammar's
# generated scanner and parser (BUILD/gen) call back into grammar/ by design and are left out.
set -eu
LAYERS="common grammar compiler runtime connectors sync sched console api cli"
FREE="tests bench fuzz"
build=${1:-}
failed=0

# ---- every folder with C sources has a place ----
for d in */; do
  d=${d%/}
  case " $LAYERS $FREE build " in *" $d "*) continue ;; esac
  for f in "$d"/*.c "$d"/*.h "$d"/*.cc; do
    if [ -e "$f" ]; then
      echo "$d/: holds C sources but is not in the layer order (LAYERS in scripts/check-layers.sh)"
      failed=1
      break
    fi
  done
done

# Depth-first search for cycles over the edges read so far (edge[a, b] = why), for awk programs
# that fill node[] and edge[]: prints the cycle closed by each back edge it meets (so every folder
# with a loop gets a line at least), with the reason of each step.
DFS='
function visit(v,    w, i, k, path, why) {
    state[v] = 1; stack[++depth] = v
    for (w in node) {
        if (!((v, w) in edge)) continue
        if (state[w] == 1) {
            for (i = depth; stack[i] != w; i--) ;
            path = ""; why = ""
            for (k = i; k <= depth; k++) {
                path = path stack[k] " -> "
                why = why (k > i ? "; " : "") edge[stack[k], (k < depth ? stack[k + 1] : w)]
            }
            printf "%s: %s cycle: %s%s (%s)\n", folder[v], kind, path, w, why
            bad = 1
        } else if (!state[w]) {
            visit(w)
        }
    }
    state[v] = 2; depth--
}
function cycles(    v) { for (v in node) if (!state[v]) visit(v) }
'

rank_of='
function rank(m,    i) { for (i = 1; i <= nl; i++) if (order[i] == m) return i; return 0 }
function below(m,    i, s) { s = ""; for (i = 1; i < rank(m); i++) s = s order[i] "/ "; return s }
'

# ---- includes ----
# Lines "file<TAB>line<TAB>included path" for every module file.
includes() {
  for m in $LAYERS; do
    [ -d "$m" ] || continue
    for f in "$m"/*.c "$m"/*.h "$m"/*.cc "$m"/*.y "$m"/*.re; do
      [ -e "$f" ] || continue
      grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1	\2/' | sed "s|^|$f	|"
    done
  done
}

includes | awk -F '\t' -v layers="$LAYERS" -v free="$FREE" "$DFS$rank_of"'
BEGIN { nl = split(layers, order, " "); split(free, f, " "); for (i in f) isfree[f[i]] = 1; kind = "include" }
{
    file = $1; line = $2; inc = $3
    split(file, a, "/"); m = a[1]
    if (split(inc, b, "/") < 2) next            # "parser.h": generated, next to the file
    to = b[1]
    if (to != m && (isfree[to] || (rank(to) && rank(to) > rank(m)))) {
        printf "%s:%s: #include \"%s\": %s/ may include only %s%s/\n", file, line, inc, m, below(m), m
        bad = 1
    }
    if (to == m && inc != file) {
        node[file] = 1; node[inc] = 1; folder[file] = folder[inc] = m "/"
        edge[file, inc] = file ":" line " includes \"" inc "\""
    }
}
END { cycles(); exit bad }' || failed=1

# ---- calls between objects ----
# Lines "D|U<TAB>source file<TAB>symbol" from the objects of every module, for the ones whose source
# is still there (a stale object of a removed file says nothing).
symbols() {
  for m in $LAYERS; do
    for o in "$build/$m"/*.o; do
      [ -e "$o" ] || continue
      stem=${o##*/}; stem=${stem%.o}
      if [ -e "$m/$stem.c" ]; then src=$m/$stem.c; elif [ -e "$m/$stem.cc" ]; then src=$m/$stem.cc; else continue; fi
      nm -P "$o" | awk -v u="$src" '
        $2 == "U" { print "U\t" u "\t" $1 }
        $2 ~ /^[TDBRCGS]$/ { print "D\t" u "\t" $1 }'
    done
  done
}

if [ -n "$build" ]; then
  symbols | awk -F '\t' -v layers="$LAYERS" "$DFS$rank_of"'
BEGIN { nl = split(layers, order, " "); kind = "call" }
$1 == "D" { def[$3] = $2; next }
{ use[++n] = $2 "\t" $3 }
END {
    for (i = 1; i <= n; i++) {
        split(use[i], u, "\t"); from = u[1]; sym = u[2]
        if (!(sym in def) || def[sym] == from) continue
        to = def[sym]; split(from, a, "/"); split(to, b, "/")
        if (a[1] != b[1]) {
            if (rank(b[1]) > rank(a[1]) && !((from, to) in told)) {
                printf "%s: uses %s of %s: %s/ may use only %s%s/\n", from, sym, to, a[1], below(a[1]), a[1]
                told[from, to] = 1; bad = 1
            }
            continue
        }
        node[from] = node[to] = 1; folder[from] = folder[to] = a[1] "/"
        if ((from, to) in edge) continue
        edge[from, to] = from " uses " sym " of " to
    }
    cycles(); exit bad
}' || failed=1
fi

if [ "$failed" -ne 0 ]; then
  echo "check-layers: FAILED (the order: $LAYERS; tests/ bench/ fuzz/ may include anything)"
  exit 1
fi
if [ -n "$build" ]; then
  echo "check-layers: no module includes or calls one above it; no include or call cycle in a folder"
else
  echo "check-layers: no module includes one above it; no include cycle in a folder (calls not checked: no BUILD)"
fi
