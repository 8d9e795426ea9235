#!/usr/bin/env bash
# install_test.sh — installs the build tree into a temporary prefix and builds a project that
# uses it (consumer/), once through find_package(gort) and once through pkg-config: the C
# programs must allocate through gort, and the C++ one must get Go's answers from the
# installed gort::slice and gort::map (their headers come from the prefix alone).
#
#   install_test.sh BUILD_DIR CONSUMER_SOURCE_DIR CMAKE C_COMPILER CXX_COMPILER
set -euo pipefail

build=$1
consumer=$2
cmake=$3
cc=$4
cxx=$5

work=$(mktemp -d "${TMPDIR:-/tmp}/gort-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" || fail "cmake --install: $(cat "$work/install.log")"

# The layout users rely on.
inc=$prefix/include/gort
[[ -f "$inc/gort.h" ]] || fail "header not installed as <gort/gort.h>"
[[ -f "$inc/slices/slice.h" ]] || fail "header not installed as <slices/slice.h> (in include/gort)"
[[ -f "$inc/maps/map.h" ]] || fail "header not installed as <maps/map.h> (in include/gort)"
cfg=$(find "$prefix" -name gortConfig.cmake | head -1)
pc=$(find "$prefix" -name gort.pc | head -1)
[[ -n "$cfg" ]] || fail "no gortConfig.cmake installed"
[[ -n "$pc" ]] || fail "no gort.pc installed"
for name in gort-slices gort-maps; do
  [[ -f "$(dirname "$pc")/$name.pc" ]] || fail "no $name.pc beside gort.pc"
done
[[ -n "$(find "$prefix" -name 'libgort_alloc.a')" ]] || fail "libgort_alloc.a not installed"
[[ -n "$(find "$prefix" -name 'libgort.so')" ]] || fail "libgort.so not installed"
echo "installed: $(cd "$prefix" && find . -type f | sort | tr '\n' ' ')"

status=0

# Every header gort includes by a quoted path ("alloc/...", "slices/...", "maps/...", relative
# to include/gort) is installed, including those behind an #if the consumers below skip.
missing=$(cd "$inc" && grep -rhoE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^"]+"' . |
  sed -E 's/.*"([^"]+)"/\1/' | sort -u | while read -r h; do [[ -f "$h" ]] || echo "$h"; done)
[[ -z "$missing" ]] || { echo "FAIL: headers included but not installed: ${missing//$'\n'/ }" >&2; status=1; }

# 1. CMake: find_package(gort) with gort::alloc, gort::override, gort::slices and gort::maps.
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if "$cmake" -S "$consumer" -B "$work/cmake-build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release \
     >"$work/cmake.log" 2>&1 &&
   "$cmake" --build "$work/cmake-build" >>"$work/cmake.log" 2>&1; then
  "$work/cmake-build/consumer" | grep -qx "consumer: ok" || { echo "FAIL: find_package consumer did not run ok" >&2; status=1; }
  "$work/cmake-build/consumer_override" | grep -qx "consumer_override: ok" ||
    { echo "FAIL: gort::override consumer did not run ok" >&2; status=1; }
  "$work/cmake-build/consumer_containers" | grep -qx "consumer_containers: ok" ||
    { echo "FAIL: gort::slices/gort::maps consumer did not run ok" >&2; status=1; }
  echo "ok: find_package(gort) consumer"
else
  echo "FAIL: the find_package(gort) consumer does not build:" >&2
  grep -v '^--' "$work/cmake.log" | head -30 >&2
  status=1
fi

# 2. pkg-config: gort for the C program, gort-maps and gort-slices for the C++ one.
flags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs gort) || fail "pkg-config --cflags --libs gort"
echo "pkg-config: $flags"
# shellcheck disable=SC2086
if "$cc" -O2 "$consumer/main.c" -o "$work/consumer_pc" $flags >"$work/pc.log" 2>&1; then
  "$work/consumer_pc" | grep -qx "consumer: ok" || { echo "FAIL: pkg-config consumer did not run ok" >&2; status=1; }
  echo "ok: pkg-config consumer"
else
  echo "FAIL: the pkg-config consumer does not build (flags: $flags):" >&2
  head -20 "$work/pc.log" >&2
  grep -n '^prefix\|^libdir\|^includedir' "$pc" | sed 's/^/  gort.pc: /' >&2
  status=1
fi

flags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs gort-maps gort-slices) ||
  fail "pkg-config --cflags --libs gort-maps gort-slices"
echo "pkg-config (containers): $flags"
# shellcheck disable=SC2086
if "$cxx" -std=c++20 -O2 "$consumer/containers_main.cc" -o "$work/containers_pc" $flags >"$work/pc.log" 2>&1; then
  "$work/containers_pc" | grep -qx "consumer_containers: ok" ||
    { echo "FAIL: pkg-config containers consumer did not run ok" >&2; status=1; }
  echo "ok: pkg-config containers consumer"
else
  echo "FAIL: the pkg-config containers consumer does not build (flags: $flags):" >&2
  head -20 "$work/pc.log" >&2
  status=1
fi
exit $status
