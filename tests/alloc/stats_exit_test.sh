#!/usr/bin/env bash
# stats_exit_test.sh — GORT_STATS and GORT_HEAPMAP at exit, seen from outside the process.
#
#   stats_exit_test.sh LIBGORT_SO STATS_CHILD SOURCE_DIR
#
# stats_child (stats_child.c) holds 5000 objects of 100 bytes and 3 blocks of 3 MiB at exit,
# so its table must show the 112-byte class (class 9) with 5000 and some objects in use (the C
# library holds a few of its own) and at least 3 large objects. Checked: the table reaches the
# start-up stderr when the program closed fd 2 first (as ls does), and when it closed fd 2
# and opened another file there (which must get nothing of gort's); GORT_STATS=path writes
# the file named relative to the start-up directory with %p replaced, even after chdir; a bad
# value and an unwritable path are reported; the heap map at exit lists every span, its spans
# tile the heap, and its sums equal the table printed at the same exit; a signal writes
# path.1; bench/heapmap.py draws a PNG from it.
set -euo pipefail
lib=$1 child=$2 src=$3
[[ -f "$lib" ]] || { echo "no such library: $lib" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/gort-stats-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pre() { env LD_PRELOAD="$lib" "$@"; }

# check_table FILE WHAT: one table, with the child's objects in it.
check_table() {
  local f=$1 what=$2 n inuse large
  n=$(grep -c "^gort: heap statistics" "$f" || true)
  [[ "$n" == 1 ]] || fail "$what: $n tables, want 1: $(cat "$f")"
  inuse=$(awk '$1 == 9 && $2 == 112 { print $6 }' "$f")
  [[ -n "$inuse" && "$inuse" -ge 5000 && "$inuse" -lt 6000 ]] ||
    fail "$what: class 9 in use is '$inuse', want 5000..5999: $(cat "$f")"
  large=$(awk '/^large objects/ { sub(",", "", $3); print $3 }' "$f")
  [[ -n "$large" && "$large" -ge 3 ]] || fail "$what: $large large objects, want >= 3"
  grep -q "^thread caches" "$f" || fail "$what: no totals"
  echo "ok: $what (class 9: $inuse in use; $large large objects)"
}

out=$(GORT_STATS=1 pre "$child" 2>"$work/plain.err")
[[ "$out" == "holding 5000 x 100, 3 x 3145728" ]] || fail "child printed '$out'"
check_table "$work/plain.err" "GORT_STATS=1"

GORT_STATS=1 pre "$child" close-stderr >/dev/null 2>"$work/closed.err"
check_table "$work/closed.err" "GORT_STATS=1, stderr closed before exit"

GORT_STATS=1 pre "$child" reuse-stderr "$work/mine.txt" >/dev/null 2>"$work/reused.err"
[[ "$(cat "$work/mine.txt")" == "mine" ]] || fail "gort wrote into the file that took fd 2: $(cat "$work/mine.txt")"
check_table "$work/reused.err" "GORT_STATS=1, fd 2 reused for another file"

if command -v ls >/dev/null; then
  GORT_STATS=1 pre ls / >/dev/null 2>"$work/ls.err"
  grep -q "^gort: heap statistics" "$work/ls.err" || fail "ls: no table (ls closes stderr at exit)"
  echo "ok: ls"
fi

mkdir -p "$work/start" "$work/elsewhere"
(cd "$work/start" && GORT_STATS=./stats.%p.txt pre sh -c 'echo $$ >"$2"; exec "$0" chdir "$1"' \
  "$child" "$work/elsewhere" "$work/pid" >/dev/null 2>"$work/path.err")
pid=$(cat "$work/pid")
[[ -f "$work/start/stats.$pid.txt" ]] || fail "no $work/start/stats.$pid.txt: $(ls -R "$work")"
[[ ! -s "$work/path.err" ]] || fail "GORT_STATS=path printed on stderr: $(cat "$work/path.err")"
check_table "$work/start/stats.$pid.txt" "GORT_STATS=./stats.%p.txt after chdir"

GORT_STATS=on pre "$child" >/dev/null 2>"$work/bad.err"
[[ $(grep -c "gort: ignoring GORT_STATS='on'" "$work/bad.err") == 1 ]] || fail "bad value: $(cat "$work/bad.err")"
! grep -q "heap statistics" "$work/bad.err" || fail "bad value: a table was printed"
GORT_STATS=/nonexistent-dir/stats.txt pre "$child" >/dev/null 2>"$work/unwritable.err"
grep -q "gort: cannot write heap statistics to /nonexistent-dir/stats.txt" "$work/unwritable.err" ||
  fail "unwritable path: $(cat "$work/unwritable.err")"
echo "ok: bad and unwritable GORT_STATS reported"

# The heap map and the table of one exit: the same heap, summed two ways.
GORT_HEAPMAP="$work/heap.%p.txt" GORT_STATS="$work/exit.txt" pre "$child" >/dev/null
GORT_HEAPMAP="$work/sig.txt" GORT_HEAPMAP_SIGNAL=12 pre "$child" raise 12 >/dev/null
/usr/bin/python3 - "$src/../../bench" "$work" <<'EOF'
import glob, re, sys
sys.path.insert(0, sys.argv[1])
import heapmap
work = sys.argv[2]
def fail(msg):
    sys.exit("FAIL: " + msg)
[dump] = glob.glob(work + "/heap.*.txt")
hm = heapmap.parse(dump)
if not hm.complete:
    fail(f"{dump}: no 'end N' line matching its {len(hm.spans)} spans")
if not hm.tiles():
    fail(f"{dump}: spans overlap or are out of order")
table = open(work + "/exit.txt").read()
num = lambda pat: int(re.search(pat, table).group(1))
b = hm.bytes_by_kind()
want = {
    "all spans = heap address space": (sum(b.values()), num(r"heap address space (\d+)")),
    "large spans = large in use": (b["large"], num(r"large (\d+)\)")),
    "free spans = free": (b["free"], num(r"\nfree +(\d+)")),
    "free resident": (hm.free_resident(), num(r"\(resident (\d+),")),
    "parked spans = parked": (b["parked"], num(r"parked in thread caches (\d+)")),
}
for what, (got, exp) in want.items():
    if got != exp:
        fail(f"heap map vs table, {what}: {got} != {exp}")
small = [s for s in hm.spans if s.kind == "small" and s.cls == 9]
out = sum(s.objects_out for s in small)
if out < 5000:
    fail(f"class 9 spans hand out {out} objects, the child holds 5000")
print(f"ok: heap map of {len(hm.spans)} spans agrees with the table")
sig = heapmap.parse(work + "/sig.txt.1")
if not sig.complete or not sig.tiles():
    fail("the map written on the signal is cut short or malformed")
if not heapmap.parse(work + "/sig.txt").complete:
    fail("no map at exit after the signal")
print(f"ok: signal map ({len(sig.spans)} spans) and exit map")
try:
    import matplotlib  # noqa: F401
except ImportError:
    print("SKIP (drawing): no matplotlib for /usr/bin/python3")
    sys.exit(0)
info = heapmap.render(dump, work + "/heap.png")
with open(work + "/heap.png", "rb") as f:
    if f.read(8) != b"\x89PNG\r\n\x1a\n":
        fail("heapmap.render wrote no PNG")
print(f"ok: drawn, {info['rows']} rows of {info['width']} pages")
EOF
echo PASS
