#!/bin/sh
# Records the Go compiler's `-m -l` output for every program of tests/escape/corpus as
# tests/escape/golden/NAME.golden (the oracle of the corpus test; commit the result).
# Needs go; run from anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/corpus"
for f in *.go; do
  go tool compile -m -l -p corpus -o /dev/null "$f" > "../golden/${f%.go}.golden" 2>&1 || true
  echo "golden/${f%.go}.golden: $(wc -l < "../golden/${f%.go}.golden") lines"
done
# The standard-library packages of std.txt: golden/std/PKG.golden.
python3 "$here/std_test.py" --regen
