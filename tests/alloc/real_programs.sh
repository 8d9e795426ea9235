#!/usr/bin/env bash
# real_programs.sh — real programs under LD_PRELOAD=libgort.so must print exactly what they
# print on glibc's malloc.
#
#   real_programs.sh python|git|sort LIBGORT_SO SOURCE_DIR
#
# Each case runs the same work twice, plain and preloaded, and compares stdout byte for byte.
# The preloaded run sets GORT_STATS=on, a bad value: gort reports it on stderr when it starts
# in a process (and keeps the default), which proves the library was loaded and initialised.
# (GORT_STATS=1 would print at exit, but coreutils close stderr before library destructors.)
set -euo pipefail

what=$1
lib=$2
src=$3
[[ -f "$lib" ]] || { echo "no such library: $lib" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gort-real-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# run NAME CMD...: plain into $work/NAME.plain.*, preloaded into $work/NAME.gort.*.
run() {
  local name=$1
  shift
  "$@" >"$work/$name.plain.out" 2>"$work/$name.plain.err" || fail "$name failed without gort: $(cat "$work/$name.plain.err")"
  LD_PRELOAD="$lib" GORT_STATS=on "$@" >"$work/$name.gort.out" 2>"$work/$name.gort.err" ||
    fail "$name failed under gort: $(tail -20 "$work/$name.gort.err")"
}

# same NAME: the two runs printed the same, gort's statistics show it was there.
same() {
  local name=$1
  [[ -s "$work/$name.plain.out" ]] || fail "$name printed nothing"
  if ! cmp -s "$work/$name.plain.out" "$work/$name.gort.out"; then
    diff -u "$work/$name.plain.out" "$work/$name.gort.out" | head -40 >&2
    fail "$name: output under gort differs from glibc"
  fi
  grep -q "gort: ignoring GORT_STATS='on'" "$work/$name.gort.err" || fail "$name: gort was not preloaded"
  echo "ok: $name ($(wc -c <"$work/$name.plain.out") bytes of identical output)"
}

case "$what" in
python)
  # The interpreter itself, not a pyenv-style shim script.
  py=$(python3 -c 'import sys; print(sys.executable)')
  export PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
  run python "$py" "$src/churn.py"
  same python
  ;;

git)
  export GIT_AUTHOR_NAME="Gort Tester" GIT_AUTHOR_EMAIL="gort@example.com"
  export GIT_COMMITTER_NAME="Gort Tester" GIT_COMMITTER_EMAIL="gort@example.com"
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$work" LC_ALL=C TZ=UTC
  # A repository with a few commits, built from scratch in directory $1; prints its history.
  story() {
    local d=$1 i
    git init -q -b main "$d"
    cd "$d"
    for i in 1 2 3 4 5; do
      seq "$i" 3 30000 | sed "s/\$/ line of commit $i/" >"file$i.txt"
      if [[ $i -gt 1 ]]; then sed -i "s/1/one/g" "file$((i - 1)).txt"; fi
      mkdir -p "dir$i/sub" && cp "file$i.txt" "dir$i/sub/copy.txt"
      git add -A
      GIT_AUTHOR_DATE="2024-01-0$i 12:00:00 +0000" GIT_COMMITTER_DATE="2024-01-0$i 12:00:00 +0000" \
        git commit -q -m "commit $i"
    done
    git log --stat --format='%H %an <%ae> %ad %s' --date=iso
    git gc -q
    git fsck --strict
    git rev-list --all --objects | sort
  }
  # Run the whole story in one shell per flavour so every git process inherits LD_PRELOAD.
  export -f story
  "$BASH" -c 'story "$0"' "$work/repo-plain" >"$work/git.plain.out" 2>"$work/git.plain.err" ||
    fail "git failed without gort: $(cat "$work/git.plain.err")"
  LD_PRELOAD="$lib" GORT_STATS=on "$BASH" -c 'story "$0"' "$work/repo-gort" >"$work/git.gort.out" 2>"$work/git.gort.err" ||
    fail "git failed under gort: $(tail -20 "$work/git.gort.err")"
  same git
  ;;

sort)
  export LC_ALL=C
  # 200k lines of pseudo-random keys and numbers, generated without any allocator of note.
  awk 'BEGIN { s = 12345; for (i = 0; i < 200000; i++) { s = (s * 1103515245 + 12345) % 2147483648;
       printf "%08x %d key%d\n", s, s % 100000, i % 977 } }' >"$work/in.txt"
  run sort sort -S 32M --parallel=2 -k2,2n -k1,1 "$work/in.txt"
  same sort
  run sort_unique sort -u -k3,3 "$work/in.txt"
  same sort_unique
  ;;

*)
  echo "usage: $0 python|git|sort LIBGORT_SO SOURCE_DIR" >&2
  exit 2
  ;;
esac
