#!/bin/sh
# side_test.sh SRC — the side-by-side harness of the report (bench/maps/side: Go's map and
# gort::map in one process through cgo) builds and runs: 2 rounds at two sizes give 4 rows,
# each with the three loops timed (Go, gort and the floor; the harness itself fails when a
# map misses a key or the floor finds one away from its address), and bad
# flags are refused with exit 2. Exits 77 (skipped) where `go` is not installed.
set -eu
command -v go >/dev/null 2>&1 || { echo "go not installed: skipped"; exit 77; }
src=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$src/bench/maps/side" && go build -o "$out/side" .)
"$out/side" -sizes 1000,50000 -rounds 2 >"$out/rows"
cat "$out/rows"
test "$(wc -l <"$out/rows")" -eq 4
test "$(grep -cE '^\{"op":"lookup_hit","kind":"u64","n":(1000|50000),"round":[01],"go_ns":[0-9.e+-]+,"gort_ns":[0-9.e+-]+,"floor_ns":[0-9.e+-]+\}$' "$out/rows")" -eq 4
! grep -qE '"(go|gort|floor)_ns":(0|-)' "$out/rows"
for bad in "-sizes 0" "-sizes 1000,x" "-rounds 0"; do
  set +e
  "$out/side" $bad >/dev/null 2>"$out/err"
  rc=$?
  set -e
  test "$rc" -eq 2 || { echo "side $bad: exit $rc, want 2"; exit 1; }
  grep -q "^side: bad" "$out/err"
done
echo "side harness: ok"
