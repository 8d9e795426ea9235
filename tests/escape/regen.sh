#!/bin/sh
# Records the Go compiler's `-m -l` output for every program of tests/escape/corpus as
# tests/escape/golden/NAME.golden (the oracle of the corpus test; commit the result).
# Needs go; run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# The compiler deletes its -o file when a compile fails (as root, -o /dev/null would remove
# /dev/null): its object goes to a directory of our own.
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
cd "$here/corpus"
for f in *.go; do
  go tool compile -m -l -p corpus -o "$obj/out.o" "$f" > "../golden/${f%.go}.golden" 2>&1 || true
  echo "golden/${f%.go}.golden: $(wc -l < "../golden/${f%.go}.golden") lines"
done
# The standard-library packages of std.txt: golden/std/PKG.golden.
python3 "$here/std_test.py" --regen
