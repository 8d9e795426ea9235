#!/bin/sh
# fastpath_test.sh — instructions per operation of gort's fast paths, checked against a golden.
#
#   fastpath_test.sh DRIVER GOLDEN                 check: exit 1 if a count grew
#   fastpath_test.sh --update DRIVER GOLDEN        re-record GOLDEN (on purpose, own commit)
#   fastpath_test.sh --expect-fail LOWERED DRIVER GOLDEN
#                  the test of the test: writes LOWERED, GOLDEN with malloc_free one lower,
#                  checks against it and passes only if that check fails on malloc_free alone
#
# DRIVER is the fastpath program (fastpath.cc says what each operation's count holds); the
# release build puts it at build/release/tests/fastpath/fastpath. For each operation OP it
# runs `DRIVER OP N` under `valgrind --tool=callgrind --toggle-collect=fastpath_OP`, which
# counts the instructions inside fastpath_OP only, at N = N1 and N = N2:
#   per operation = (count(N2) - count(N1)) / (N2 - N1)
# Everything run once per call (set-up, warm-up, prologue) cancels; callgrind counts
# instructions, not time, so the figure is the same on every run of the same binary.
# Exit status: 0 pass, 1 a count grew by more than TOLERANCE, 2 the measurement failed.
set -eu

N1=65536
N2=131072
TOLERANCE=0.5   # instructions: rounding room, not noise (there is none)
LOWERED_ROW=malloc_free

usage() {
  echo "usage: $0 [--update | --expect-fail LOWERED] DRIVER GOLDEN" >&2
  exit 2
}

mode=check
lowered=
case "${1:-}" in
  --update) mode=update; shift ;;
  --expect-fail) mode=expect_fail; lowered=${2:-}; shift 2 || usage ;;
esac
[ $# -eq 2 ] || usage
driver=$1
golden=$2
valgrind=${GORT_VALGRIND:-valgrind}
[ -x "$driver" ] || { echo "fastpath: no driver at $driver (build target fastpath)" >&2; exit 2; }

# The test of the test: the check must fail, on the lowered row and no other.
if [ "$mode" = expect_fail ]; then
  awk -v row="$LOWERED_ROW" '$1 == row { $2 = sprintf("%.2f", $2 - 1); found = 1 } { print }
    END { exit !found }' "$golden" >"$lowered" ||
    { echo "fastpath: no $LOWERED_ROW row in $golden" >&2; exit 2; }
  status=0
  out=$(sh "$0" "$driver" "$lowered") || status=$?
  echo "$out"
  grown=$(echo "$out" | awk '$NF == "GREW" { print $1 }')
  if [ "$status" -eq 1 ] && [ "$grown" = "$LOWERED_ROW" ]; then
    echo "ok: with $LOWERED_ROW lowered by one in $lowered, the check failed on it alone"
    exit 0
  fi
  echo "FAIL: expected the check to fail (exit 1) on $LOWERED_ROW alone;" \
       "it exited $status, rows that grew: ${grown:-none}"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gort-fastpath.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# count OP N: instructions callgrind collected inside fastpath_OP.
count() {
  out="$tmp/callgrind.$1.$2"
  if ! "$valgrind" --tool=callgrind --callgrind-out-file="$out" \
       --toggle-collect="fastpath_$1" "$driver" "$1" "$2" >"$tmp/log" 2>&1; then
    cat "$tmp/log" >&2
    echo "fastpath: \`$driver $1 $2\` failed under callgrind" >&2
    return 2
  fi
  awk '$1 == "summary:" || $1 == "totals:" { n = $2 } END { print n + 0 }' "$out"
}

# per_op OP: instructions per operation, two decimals.
per_op() {
  c1=$(count "$1" $N1) || return 2
  c2=$(count "$1" $N2) || return 2
  if [ "$c2" -le "$c1" ]; then  # 0 and 0: callgrind never entered fastpath_$1
    echo "fastpath: fastpath_$1 counted $c1 then $c2 instructions; is it in the driver?" >&2
    return 2
  fi
  awk -v c1="$c1" -v c2="$c2" -v n1=$N1 -v n2=$N2 'BEGIN { printf "%.2f\n", (c2 - c1) / (n2 - n1) }'
}

ops=$("$driver" list)
compiler=$("$driver" version)
: >"$tmp/measured"
for op in $ops; do
  v=$(per_op "$op") || exit 2
  echo "$op $v" >>"$tmp/measured"
done

if [ "$mode" = update ]; then
  {
    echo "# fast_path.release.golden — instructions per operation of gort's fast paths, counted"
    echo "# by callgrind in tests/fastpath/fastpath.cc (the release preset's build), checked by"
    echo "# fastpath_test.sh (ctest -L fastpath): a count may not grow by more than $TOLERANCE."
    echo "# per operation = (count(N2) - count(N1)) / (N2 - N1), N1 = $N1, N2 = $N2."
    echo "# Regenerate on purpose, in a commit of its own that says why the counts moved:"
    echo "#   cmake --build --preset release --target fastpath_golden_update"
    echo "# or tests/fastpath/fastpath_test.sh --update build/release/tests/fastpath/fastpath \\"
    echo "#      tests/fastpath/fast_path.release.golden"
    echo "# compiler: $compiler"
    echo "# $($valgrind --version)"
    cat "$tmp/measured"
  } >"$golden"
  cat "$tmp/measured"
  echo "fastpath: wrote $golden"
  exit 0
fi

[ -r "$golden" ] || { echo "fastpath: no golden at $golden (run with --update)" >&2; exit 2; }
recorded=$(sed -n 's/^# compiler: //p' "$golden")
if [ "$recorded" != "$compiler" ]; then
  echo "note: the golden was recorded with '$recorded', the driver is built with '$compiler'"
fi
awk -v tol="$TOLERANCE" -v golden="$golden" '
  FNR == NR { if ($0 !~ /^#/ && NF == 2) { want[$1] = $2; order[++rows] = $1 } next }
  { got[$1] = $2 }
  END {
    printf "%-14s %10s %10s %8s  %s\n", "name", "golden", "measured", "delta", "verdict"
    for (name in got) if (!(name in want)) {
      printf "%-14s %10s %10.2f %8s  %s\n", name, "-", got[name], "-", "NOT IN GOLDEN"
      bad = 1
    }
    for (i = 1; i <= rows; i++) {
      name = order[i]
      if (!(name in got)) {
        printf "%-14s %10.2f %10s %8s  %s\n", name, want[name], "-", "-", "NOT MEASURED"
        bad = 1
        continue
      }
      d = got[name] - want[name]
      verdict = "ok"
      if (d > tol) { verdict = "GREW"; grew = 1 }
      else if (d < -tol) { verdict = "smaller"; smaller = 1 }
      printf "%-14s %10.2f %10.2f %+8.2f  %s\n", name, want[name], got[name], d, verdict
    }
    if (smaller) print "note: a count is smaller than the golden: good; update the golden on" \
                       " purpose (--update, own commit) so that it pins the new figure"
    if (grew) print "FAIL: a fast path grew (instructions per operation above " golden ")"
    if (bad) print "FAIL: the golden and the driver list different operations (--update)"
    exit grew ? 1 : bad ? 2 : 0
  }' "$golden" "$tmp/measured"
