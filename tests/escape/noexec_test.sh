#!/bin/sh
# `gort escape` never runs the Go toolchain: under strace, the only programs executed are
# gort-escape and its front end; and no escape/ source (Go or C++) mentions os/exec,
# -gcflags, system() or popen(). Exit 77 (skipped) when strace is missing.
#   noexec_test.sh GORT_ESCAPE SOURCE_DIR GO_FILE
set -eu
esc=$1 src=$2 file=$3
if grep -rnE 'os/exec|gcflags|\bsystem\(|popen\(' "$src/escape" --include='*.go' --include='*.cc' --include='*.h'; then
  echo "FAIL: escape/ sources can run other programs (lines above)"; exit 1
fi
command -v strace >/dev/null 2>&1 || { echo "strace missing: skipped"; exit 77; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
strace -f -qq -e trace=execve -o "$log" "$esc" -m "$file" >/dev/null
progs=$(grep -o 'execve("[^"]*"' "$log" | sed 's/execve("//; s/"$//' | xargs -n1 basename | sort -u)
echo "executed: $(echo $progs)"
for p in $progs; do
  case "$p" in
    gort-escape|gort-escape-frontend) ;;
    *) echo "FAIL: gort escape executed $p"; exit 1 ;;
  esac
done
echo ok
