#!/bin/sh
# sync_map_probe_test.sh — a load of a stable key takes no lock and no atomic
# read-modify-write: shown on the compiled code of sync_map_probe (sync_map_probe.cc).
#
#   sync_map_probe_test.sh PROBE [VALGRIND]
#
# 1. Disassembly (objdump): the whole body of sync_map_load_u64 — every branch, not just the
#    one taken — has no lock-prefixed instruction, no xchg (implicitly locked), cmpxchg or
#    xadd, no syscall, and no call or jump to a mutex, futex, membarrier or syscall wrapper.
#    Its calls (into slow paths, which may lock) are listed.
# 2. Execution (callgrind, when VALGRIND is given): over 100000 stable loads,
#    sync_map_load_u64 calls nothing: callgrind, collecting inside it only
#    (--toggle-collect), records no call from it. So every instruction those loads execute is
#    one of the body checked in 1.
# Each check is shown able to fail: 1 on sync_map_store_u64 (its CAS must be found), 2 on
# loads of keys in the dirty table (their call into the locked slow path must be seen).
# Exit status: 0 pass, 1 fail.
set -eu
probe=$1
valgrind=${2:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gort-syncprobe.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

"$probe" stable 1000 || { echo "FAIL: the probe does not run"; exit 1; }
objdump -d --no-show-raw-insn "$probe" >"$tmp/dis"

body() {  # body FUNC: the instructions of FUNC
  awk -v f="<$1>:" '$2 == f { p = 1; next } p && NF == 0 { exit } p' "$tmp/dis"
}
# xchg with a memory operand is locked implicitly; between registers it is no memory access
# at all (`xchg %ax,%ax` is a 2-byte nop used as padding).
rmw='(^|[[:space:]])lock[[:space:]]|xchg[^(]*\(|cmpxchg|xadd|(^|[[:space:]])syscall'
locks='(call|jmp)[^<]*<[^>]*(pthread_mutex|futex|membarrier|syscall|lll_lock|_ZNSt5mutex)'
bad="$rmw|$locks"

body sync_map_load_u64 >"$tmp/load"
n=$(wc -l <"$tmp/load")
[ "$n" -gt 0 ] || { echo "FAIL: no sync_map_load_u64 in $probe"; exit 1; }
if grep -En "$bad" "$tmp/load"; then
  echo "FAIL: sync_map_load_u64 contains the instructions above"
  status=1
else
  echo "ok: sync_map_load_u64: $n instructions, no lock prefix, memory xchg, cmpxchg, xadd," \
       "syscall, or call of a lock"
fi
echo "   its calls and jumps out (slow paths):"
grep -Eo '(call|jmp)[[:space:]]+[0-9a-f]+ <[^>]*>' "$tmp/load" | grep -v "<sync_map_load_u64" |
  sed 's/^/     /' | sort -u || true

body sync_map_store_u64 >"$tmp/store"
if grep -Eq "$bad" "$tmp/store"; then
  echo "ok: the same check finds $(grep -Ec "$bad" "$tmp/store") such instruction(s)" \
       "in sync_map_store_u64 (its CAS)"
else
  echo "FAIL: the check finds no CAS in sync_map_store_u64: it cannot see one"
  status=1
fi

if [ -z "$valgrind" ]; then
  echo "note: no valgrind given: the callgrind half is skipped"
  exit $status
fi

# calls MODE N: the calls callgrind recorded from inside sync_map_load_u64 (the call lines
# of its fn= blocks; names uncompressed, so every block names its function).
calls() {
  out="$tmp/cg.$1"
  "$valgrind" --tool=callgrind --callgrind-out-file="$out" --compress-strings=no \
    --toggle-collect=sync_map_load_u64 "$probe" "$1" "$2" >"$tmp/log.$1" 2>&1 ||
    { cat "$tmp/log.$1" >&2; echo "FAIL: probe $1 under callgrind" >&2; return 1; }
  ir=$(awk '$1 == "summary:" || $1 == "totals:" { n = $2 } END { print n + 0 }' "$out")
  if [ "$ir" -eq 0 ]; then
    echo "FAIL: callgrind collected nothing in sync_map_load_u64" >&2
    return 1
  fi
  echo "   ($1: $ir instructions collected in sync_map_load_u64 over $2 loads)" >"$tmp/ir.$1"
  awk '/^fn=/ { in_load = ($0 == "fn=sync_map_load_u64") }
       in_load && /^cfn=/ { callee = substr($0, 5) }
       in_load && /^calls=/ { print callee }' "$out" | sort -u >"$tmp/callees.$1"
  wc -l <"$tmp/callees.$1"
}
c=$(calls stable 100000) || exit 1
if [ "$c" -eq 0 ]; then
  echo "ok: 100000 stable loads called nothing from sync_map_load_u64"
  cat "$tmp/ir.stable"
else
  echo "FAIL: stable loads called $c function(s) from sync_map_load_u64:"
  sed 's/^/     /' "$tmp/callees.stable"
  status=1
fi
c=$(calls dirty 1000) || exit 1
if [ "$c" -gt 0 ]; then
  echo "ok: the same check sees the slow path's calls on loads of dirty keys:"
  sed 's/^/     /' "$tmp/callees.dirty"
else
  echo "FAIL: loads of dirty keys showed no call: the check cannot see one"
  status=1
fi
exit $status
