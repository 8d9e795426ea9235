#!/usr/bin/env bash
# glibc_semantics.sh — the C allocation surface at its corner cases, gort against glibc live.
#
#   glibc_semantics.sh REFERENCE_PROBE -- CMD...
#
# Runs semantics_probe on glibc (REFERENCE_PROBE, no gort), then CMD (the probe linked with
# gort::override, or run under LD_PRELOAD=libgort.so); their outputs must be identical apart
# from the first line, which must say glibc for the reference and interposed for CMD.
set -euo pipefail
ref=$1
shift
[[ "$1" == "--" ]] && shift
want=$("$ref")
got=$("$@")
[[ $(head -1 <<<"$want") == "malloc: glibc" ]] || { echo "reference is not on glibc's malloc" >&2; exit 2; }
[[ $(head -1 <<<"$got") == "malloc: interposed" ]] || { echo "gort is not the malloc of: $*" >&2; exit 1; }
if ! diff -u --label glibc --label gort <(tail -n +2 <<<"$want") <(tail -n +2 <<<"$got"); then
  echo "FAIL: gort differs from glibc on the lines above" >&2
  exit 1
fi
echo "ok: $(($(wc -l <<<"$want") - 1)) cases as glibc"
