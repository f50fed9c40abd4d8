#!/bin/sh
# Generates the simple case-folding table (statuses C and S of Unicode's CaseFolding.txt, from
# Debian's unicode-data package) as a sorted C array of {code point, folded code point} pairs.
set -eu
src=${1:-/usr/share/unicode/CaseFolding.txt}
[ -r "$src" ] || { echo "gen-casefold: $src not found (apt-get install unicode-data)" >&2; exit 1; }
echo "/* Generated from $(basename "$src") by scripts/gen-casefold.sh. Do not edit. */"
echo "static const uint32_t rs_casefold_table[][2] = {"
awk -F'; ' '/^[0-9A-F]+; [CS];/ { printf "    {0x%s, 0x%s},\n", $1, $3 }' "$src"
echo "};"
