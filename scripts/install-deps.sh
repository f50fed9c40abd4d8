#!/bin/sh
# Installs the Debian packages roster needs to build, test and fuzz. Safe to run again:
# apt-get skips what is already there, and nothing is installed when every package is present.
set -eu
PKGS="build-essential pkg-config re2c bison libjansson-dev check libsubunit-dev libsqlite3-dev
      libcurl4-openssl-dev libssl-dev libre2-dev clang libclang-rt-dev unicode-data python3 sqlite3 afl++"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
