#!/usr/bin/env bash
# profile_test.sh — the heap profile (alloc/profile.h) read by Go's own pprof.
#
#   profile_test.sh LIBGORT_SO PROFILE_LEAK
#
# Runs profile_leak (one leak site among noise) under LD_PRELOAD with GORT_PROFILE, then asks
# `go tool pprof -top` for the in-use and allocated space. Checks: the leak site is the first
# function by in-use space; the sampled in-use and allocated totals are within 10% of the
# true totals the program prints; GORT_PROFILE_SIGNAL writes numbered profiles; a GORT_PROFILE
# that cannot be written is reported.
# Without go the test is skipped (exit 77): CI installs golang-go.
set -euo pipefail
lib=$1 prog=$2
command -v go >/dev/null || { echo "SKIP: go is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/gort-profile-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# One sample per 64 KiB on average: about a thousand samples of the leak, so the estimate's
# relative error is a few per cent.
truth=$(GORT_PROFILE="$work/heap.pb.gz" GORT_PROFILE_RATE=65536 LD_PRELOAD="$lib" "$prog")
[[ -s "$work/heap.pb.gz" ]] || fail "no profile written"
read -r _ want_alloc _ want_inuse <<<"$truth"

top() { go tool pprof -top -sample_index="$1" "$prog" "$work/heap.pb.gz" 2>"$work/pprof.err"; }
inuse=$(top inuse_space) || fail "pprof: $(cat "$work/pprof.err")"
alloc=$(top alloc_space) || fail "pprof: $(cat "$work/pprof.err")"
echo "$inuse"
first=$(awk '/flat%/ {getline; print $6; exit}' <<<"$inuse")
[[ "$first" == "leak_site" ]] || fail "the first function by inuse_space is '$first', not leak_site"

# "Showing nodes accounting for X, 100% of TOTAL total": TOTAL with its unit, in bytes.
total_bytes() {
  awk '/of .* total/ { for (i = 1; i <= NF; i++) if ($i == "of") v = $(i + 1);
       n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
       m = u == "GB" ? 2^30 : u == "MB" ? 2^20 : u == "kB" ? 2^10 : 1; printf "%.0f\n", n * m; exit }'
}
got_inuse=$(total_bytes <<<"$inuse")
got_alloc=$(total_bytes <<<"$alloc")
within() { awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 0.10 * w) }'; }
within "$got_inuse" "$want_inuse" || fail "in-use total $got_inuse, true $want_inuse (> 10% off)"
within "$got_alloc" "$want_alloc" || fail "allocated total $got_alloc, true $want_alloc (> 10% off)"
echo "in use: sampled $got_inuse, true $want_inuse; allocated: sampled $got_alloc, true $want_alloc"

# GORT_PROFILE_SIGNAL: each signal writes path.1, path.2, ...; the first came right after the
# leak, so the leak site leads it too; the program's output is unchanged.
rm -f "$work/heap.pb.gz"
out=$(GORT_PROFILE="$work/heap.pb.gz" GORT_PROFILE_RATE=65536 GORT_PROFILE_SIGNAL=10 \
      LD_PRELOAD="$lib" "$prog" 10 2>"$work/err")
[[ "$out" == "$truth" ]] || fail "the program's output changed under GORT_PROFILE_SIGNAL: $out"
[[ -s "$work/heap.pb.gz.1" && -s "$work/heap.pb.gz.2" && -s "$work/heap.pb.gz" ]] ||
  fail "GORT_PROFILE_SIGNAL: no .1 and .2 profiles beside the one at exit: $(ls "$work") $(cat "$work/err")"
first=$(go tool pprof -top -sample_index=inuse_space "$prog" "$work/heap.pb.gz.1" 2>/dev/null |
        awk '/flat%/ {getline; print $6; exit}')
[[ "$first" == "leak_site" ]] || fail "the profile taken on the signal leads with '$first'"
[[ ! -s "$work/err" ]] || fail "GORT_PROFILE_SIGNAL: stderr: $(cat "$work/err")"
echo "GORT_PROFILE_SIGNAL: heap.pb.gz.1 and .2 written; .1 leads with leak_site"

# A path that cannot be written: the program runs as ever, and says why there is no profile.
out=$(GORT_PROFILE="$work/no/such/dir/heap.pb.gz" LD_PRELOAD="$lib" "$prog" 2>"$work/err")
[[ "$out" == "$truth" ]] || fail "the program's output changed: $out"
grep -q "gort: cannot write the heap profile to $work/no/such/dir/heap.pb.gz" "$work/err" ||
  fail "no message for an unwritable GORT_PROFILE: $(cat "$work/err")"
echo "PASS"
