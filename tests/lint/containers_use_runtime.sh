#!/bin/sh
# containers_use_runtime.sh SRC — slices/ and maps/ allocate through the runtime core
# (alloc/runtime.h) and nothing else: no call of the C library's allocator, no fatal path of
# their own (fprintf + abort), no random source of their own. Comment lines are skipped.
set -eu
src=$1
status=0
check() {  # check WHAT PATTERN
  hits=$(grep -nE "$2" "$src"/slices/*.h "$src"/slices/*.cc "$src"/maps/*.h "$src"/maps/*.cc 2>/dev/null |
         grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
  if [ -n "$hits" ]; then
    echo "FAIL: $1:"
    echo "$hits"
    status=1
  fi
}
check "a container calls the C library's allocator" \
  'std::(malloc|calloc|realloc|free|aligned_alloc)\(|posix_memalign\(|(^|[^_a-zA-Z:.>])(malloc|calloc|realloc|free|aligned_alloc|memalign)\(|gort_(malloc|calloc|realloc|free|memalign)\('
check "a container dies its own way (use runtime::fatal)" \
  '(std::)?abort\(\)|std::terminate\(\)'
check "a container keeps its own random source (use gort::fastrand)" \
  'std::random_device|std::mt19937|[^_a-z]rand\(\)'
[ "$status" -eq 0 ] && echo "ok: slices/ and maps/ stand on the runtime core"
exit "$status"
