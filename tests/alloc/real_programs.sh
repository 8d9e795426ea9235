#!/usr/bin/env bash
# real_programs.sh — real programs under LD_PRELOAD=libgort.so must print exactly what they
# print on glibc's malloc, and exit as they do.
#
#   real_programs.sh CASE LIBGORT_SO SOURCE_DIR
#
# CASE: python (also in checked mode) git sort (small), and the heavier set of issue 17: pytests (CPython's own test
# suite), gxx (g++ building a real project with make -j2), perl, sqlite, gitgc (git gc on a
# clone of this repository with generated history). Each runs the same work twice, plain and
# preloaded, and compares stdout byte for byte. A program that is not installed skips the case
# (exit 77, ctest's SKIP_RETURN_CODE) with a message naming it.
# The preloaded run sets GORT_STATS=DIR/NAME.%p.txt: every process that ran under gort to its
# exit leaves its statistics there, which proves the library was loaded, and counts the
# processes; nothing of gort's goes to the programs' stderr (tests may check it is empty).
set -euo pipefail

what=$1
lib=$2
src=$3
[[ -f "$lib" ]] || { echo "no such library: $lib" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gort-real-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/stats"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need() { local p; for p; do command -v "$p" >/dev/null || skip "$p is not installed"; done; }

# under NAME CMD...: CMD preloaded, leaving its statistics as $work/stats/NAME.PID.txt.
under() {
  local name=$1
  shift
  LD_PRELOAD="$lib" GORT_STATS="$work/stats/$name.%p.txt" "$@"
}

# run NAME CMD...: plain into $work/NAME.plain.*, preloaded into $work/NAME.gort.*.
run() {
  local name=$1
  shift
  "$@" >"$work/$name.plain.out" 2>"$work/$name.plain.err" || fail "$name failed without gort: $(tail -20 "$work/$name.plain.err")"
  under "$name" "$@" >"$work/$name.gort.out" 2>"$work/$name.gort.err" ||
    fail "$name failed under gort: $(tail -20 "$work/$name.gort.err")"
}

# run_dirs NAME FUNC: the exported shell function FUNC, given a directory of its own, run
# plain ($work/NAME-plain) and with every process it starts preloaded ($work/NAME-gort).
run_dirs() {
  local name=$1 fn=$2
  "$BASH" -c "$fn \"\$0\"" "$work/$name-plain" >"$work/$name.plain.out" 2>"$work/$name.plain.err" ||
    fail "$name failed without gort: $(tail -20 "$work/$name.plain.err")"
  under "$name" "$BASH" -c "$fn \"\$0\"" "$work/$name-gort" >"$work/$name.gort.out" 2>"$work/$name.gort.err" ||
    fail "$name failed under gort: $(tail -20 "$work/$name.gort.err")"
}

# same NAME: the two runs printed the same, and processes ran under gort to their exit.
same() {
  local name=$1 n
  [[ -s "$work/$name.plain.out" ]] || fail "$name printed nothing"
  if ! cmp -s "$work/$name.plain.out" "$work/$name.gort.out"; then
    diff -u "$work/$name.plain.out" "$work/$name.gort.out" | head -40 >&2
    fail "$name: output under gort differs from glibc"
  fi
  n=$(find "$work/stats" -name "$name.*.txt" | wc -l)
  [[ $n -gt 0 ]] || fail "$name: no process left gort's statistics: gort was not preloaded"
  grep -q "^gort: heap statistics" "$(find "$work/stats" -name "$name.*.txt" | head -1)" ||
    fail "$name: a statistics file without the table"
  echo "ok: $name ($(wc -c <"$work/$name.plain.out") bytes of identical output; $n processes under gort)"
}

case "$what" in
python)
  # The interpreter itself, not a pyenv-style shim script.
  py=$(python3 -c 'import sys; print(sys.executable)')
  export PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
  run python "$py" "$src/churn.py"
  same python
  # Again in checked mode (GORT_CHECK=1): no false alarm, the same output.
  GORT_CHECK=1 run python_checked "$py" "$src/churn.py"
  same python_checked
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
  under git "$BASH" -c 'story "$0"' "$work/repo-gort" >"$work/git.gort.out" 2>"$work/git.gort.err" ||
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

pytests)
  # CPython's own tests, from Debian's libpython3.11-testsuite, with the interpreter's small
  # objects on malloc (PYTHONMALLOC=malloc) so that gort serves them. Modules picked so that
  # both runs fit the test's timeout on a shared two-core machine, and to give the same
  # outcomes on every run (no timing, network or resource-dependent tests).
  py=/usr/bin/python3.11
  [[ -x $py ]] || skip "$py is not installed"
  "$py" -c 'import test.test_dict' 2>/dev/null || skip "CPython's test suite is not installed (libpython3.11-testsuite)"
  export PYTHONMALLOC=malloc PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 LC_ALL=C.UTF-8 TZ=UTC
  mods=(test_dict test_list test_set test_bytes test_re test_json test_collections test_itertools
        test_functools test_heapq test_bisect test_fstring test_grammar test_class test_base64
        test_binascii test_hashlib test_glob test_shlex test_sort test_string test_textwrap
        test_difflib test_fractions test_struct test_enum test_dataclasses test_csv test_codecs
        test_long test_float test_zlib test_copy test_email test_descr test_statistics)
  cd "$work"
  run pytests "$py" "$src/pytests.py" "${mods[@]}"
  same pytests
  grep -E "^all: " "$work/pytests.gort.out"
  ! grep -qE ": (FAIL|ERROR)$" "$work/pytests.gort.out" || echo "(the same tests fail without gort)"
  ;;

gxx)
  # g++ (cc1plus, as, collect2, ld) building a real project with make -j2: gort's own
  # allocator sources into objects, a shared library and a program that prints the size-class
  # table. Both builds must give byte-identical objects and the same program output.
  need g++ make
  root=$(cd "$src/../.." && pwd)
  [[ -f "$root/alloc/mheap.cc" ]] || skip "no alloc/ sources under $root"
  srcs=(check os options thread fastrand lockrank mheap mcentral mcache malloc profile
        scavenger heapwalk stats api runtime override override_stats)
  build() {  # build DIR: the Makefile, then make -j2; prints what the build produced
    local d=$1
    mkdir -p "$d"
    {
      echo "CXXFLAGS := -std=c++20 -O1 -g0 -fPIC -fno-exceptions -fno-rtti -I$root -DGORT_CHECKS=1"
      echo "OBJS := $(printf '%s.o ' $gxx_srcs)"
      echo "all: libgortcopy.so sizeclasses"
      echo "%.o: $root/alloc/%.cc"
      printf '\tg++ $(CXXFLAGS) -frandom-seed=$@ -c $< -o $@\n'
      echo "override.o override_stats.o: CXXFLAGS += -fexceptions"
      echo "libgortcopy.so: \$(OBJS)"
      printf '\tg++ -shared -o $@ $^ -lz -lpthread\n'
      echo "sizeclasses: $root/alloc/sizeclasses_main.cc"
      printf '\tg++ $(CXXFLAGS) -o $@ $<\n'
    } >"$d/Makefile"
    make -s -j2 -C "$d" >&2
    (cd "$d" && sha256sum ./*.o && ./sizeclasses)
  }
  export -f build
  export root gxx_srcs="${srcs[*]}"
  run_dirs gxx build
  same gxx
  ;;

perl)
  # Hashes, regular expressions, sort, sprintf, split and join over 100k generated records.
  need perl
  cat >"$work/work.pl" <<'PERL'
use strict; use warnings;
my (%by, @recs);
for my $i (1 .. 100000) {
  my $k = sprintf("k%07d", ($i * 7919) % 1000003);
  my $r = join(",", $k, $i, ($i * 31) % 977, "word" x (1 + $i % 7));
  push @recs, $r;
  push @{ $by{substr($k, 0, 4)} }, $i;
}
my @sorted = sort { (split /,/, $a)[2] <=> (split /,/, $b)[2] or $a cmp $b } @recs;
my $n = 0;
for (@sorted) { $n++ if s/(word)+$/w/ && /^k0*(\d+),/ && $1 % 3 == 0 }
my %len;
$len{ length $_ }++ for @sorted;
print "substituted: $n\n";
print "$_: ", scalar @{ $by{$_} }, "\n" for (sort keys %by)[0 .. 9];
print "len $_: $len{$_}\n" for sort { $a <=> $b } keys %len;
print "$sorted[$_ * 1000]\n" for 0 .. 99;
printf "checksum %08x\n", unpack("%32C*", join("", @sorted)) ;
PERL
  run perl perl "$work/work.pl"
  same perl
  ;;

sqlite)
  # A table of 200k generated rows, an index, joins, grouping, window functions, sorting.
  need sqlite3
  cat >"$work/work.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER, pad TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO t SELECT i, printf('k%07d', (i * 7919) % 1000003), (i * 31) % 977, hex(randomblob(0)) || substr('abcdefghij', 1 + i % 10) FROM n;
CREATE INDEX t_k ON t(k);
CREATE TABLE g AS SELECT v % 50 AS grp, count(*) AS n, sum(v) AS s, group_concat(substr(k, 2, 3), '') AS ks FROM t GROUP BY v % 50;
SELECT grp, n, s, length(ks) FROM g ORDER BY grp;
SELECT a.k, b.v FROM t a JOIN t b ON b.id = a.v + 1 WHERE a.id % 9973 = 0 ORDER BY a.k;
SELECT k, v, rank() OVER (PARTITION BY v % 7 ORDER BY k) FROM t WHERE id % 4999 = 0 ORDER BY k;
SELECT count(DISTINCT k), max(k), min(pad), total(length(pad)) FROM t;
DELETE FROM t WHERE v % 3 = 0;
VACUUM;
SELECT count(*), sum(v) FROM t;
SQL
  run sqlite sqlite3 -batch ":memory:" ".read $work/work.sql"
  same sqlite
  ;;

gitgc)
  # git gc on a clone of this repository with 20 generated commits on top: history to pack,
  # deltas to search (two threads), objects to verify.
  need git
  top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) || skip "$src is not in a git repository"
  export GIT_AUTHOR_NAME="Gort Tester" GIT_AUTHOR_EMAIL="gort@example.com"
  export GIT_COMMITTER_NAME="Gort Tester" GIT_COMMITTER_EMAIL="gort@example.com"
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$work" LC_ALL=C TZ=UTC
  head=$(git -C "$top" rev-parse HEAD)
  gc_story() {
    local d=$1 i f
    git clone -q --no-local --no-checkout "$top" "$d"
    cd "$d"
    git checkout -q -b story "$head"
    for i in $(seq 10 29); do
      for f in $(git ls-files '*.cc' '*.h' | sort | awk -v i="$i" 'NR % 29 == i % 29'); do
        sed -i "s/return /return \/* $i *\/ /" "$f"
      done
      git add -A
      GIT_AUTHOR_DATE="2024-02-01 12:$i:00 +0000" GIT_COMMITTER_DATE="2024-02-01 12:$i:00 +0000" \
        git commit -q -m "generated commit $i"
    done
    git log --format='%H %s' -21 story
    git -c pack.threads=2 gc -q --prune=now
    git -c pack.threads=2 repack -q -a -d -f --window=20 --depth=20
    git fsck --strict --no-progress 2>&1
    git cat-file --batch-check='%(objectname) %(objecttype) %(objectsize)' --batch-all-objects | sha256sum
    git count-objects -v | grep -E '^(count|in-pack|packs|garbage):'
  }
  export -f gc_story
  export top head
  run_dirs gitgc gc_story
  same gitgc
  grep -E "^in-pack" "$work/gitgc.gort.out"
  ;;

*)
  echo "usage: $0 python|git|sort|pytests|gxx|perl|sqlite|gitgc LIBGORT_SO SOURCE_DIR" >&2
  exit 2
  ;;
esac
