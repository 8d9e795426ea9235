#!/bin/sh
# compile_fail_test.sh CXX SRC SNIPPET — what gort::slice cannot do must fail to compile, with
# a message that says what to write (slice.h's static_asserts), under every compiler alike.
#
# SNIPPET's first line is "// expect: TEXT": the snippet must fail to compile with TEXT in
# the compiler's diagnostics; "// expect: (compiles)" means it must compile. The snippet is
# only parsed and instantiated (-fsyntax-only), with SRC (the repository) on the include path.
# Exit status: 0 as expected, 1 not as expected, 2 usage.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 CXX SRC SNIPPET" >&2; exit 2; }
cxx=$1 src=$2 snippet=$3
expect=$(sed -n '1s|^// expect: ||p' "$snippet")
[ -n "$expect" ] || { echo "$snippet: no '// expect:' first line" >&2; exit 2; }
status=0
out=$("$cxx" -std=c++20 -fsyntax-only -I"$src" "$snippet" 2>&1) || status=$?
name=$(basename "$snippet")
if [ "$expect" = "(compiles)" ]; then
  if [ "$status" -eq 0 ]; then echo "ok: $name compiles with $cxx"; exit 0; fi
  echo "$out"
  echo "FAIL: $name should compile with $cxx"
  exit 1
fi
if [ "$status" -eq 0 ]; then
  echo "FAIL: $name compiled with $cxx; it must fail with: $expect"
  exit 1
fi
if printf '%s\n' "$out" | grep -qF -- "$expect"; then
  echo "ok: $name fails with $cxx, saying: $expect"
  exit 0
fi
echo "$out"
echo "FAIL: $name failed with $cxx but without the message: $expect"
exit 1
