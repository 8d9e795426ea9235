#!/usr/bin/env python3
"""Agreement of `gort escape -m` with the compiler on whole standard-library packages.

For each package of std.txt, `gort escape -m $GOROOT/src/PKG` is compared with the
compiler's `go tool compile -m -l` on the same files, recorded in golden/std/PKG.golden
(`--regen` records them; the compiler is run again live when go is installed and must still
produce the golden file). The measure is per source line: a line of the package that either
side prints a message for agrees when both print the same set of (column, message) there.
-l: gort does not inline, so the compiler is asked not to either (its messages on the call
sites of inlined functions are about the inlined copies).

Fails when a package agrees on fewer lines than std.txt records (the level only ratchets
up), or when a golden file is stale.

  std_test.py --escape BIN [--regen] [--json FILE] [-v]
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

from objfile import OBJ

here = os.path.dirname(os.path.abspath(__file__))
golden_dir = os.path.join(here, "golden", "std")
MSG_RX = re.compile(r"(?:.*/)?([^/:]+\.go):(\d+):(\d+): (.*)")


def levels():
    """std.txt: PKG AGREE  (# comments), in file order."""
    out = []
    with open(os.path.join(here, "std.txt")) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) == 2:
                out.append((fields[0], int(fields[1])))
    return out


def by_line(text):
    """{(file, line): {(col, message)}} of -m output (inlining reports left out)."""
    d = collections.defaultdict(set)
    for l in text.split("\n"):
        m = MSG_RX.match(l.strip())
        if m and not m.group(4).startswith(("can inline", "inlining call", "cannot inline")):
            d[(m.group(1), int(m.group(2)))].add((int(m.group(3)), m.group(4)))
    return d


def agreement(gc, mine):
    keys = set(gc) | set(mine)
    diff = sorted(k for k in keys if gc.get(k, set()) != mine.get(k, set()))
    return len(keys) - len(diff), len(keys), diff


def compile_m(go, goroot, pkg):
    d = os.path.join(goroot, "src", pkg)
    files = subprocess.run([go, "list", "-f", "{{join .GoFiles \" \"}}", "."], cwd=d, text=True,
                           stdout=subprocess.PIPE, check=True).stdout.split()
    c = subprocess.run([go, "tool", "compile", "-m", "-l", "-std", "-p", pkg, "-o", OBJ] + files,
                       cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    return c.stdout


def golden_path(pkg):
    return os.path.join(golden_dir, pkg.replace("/", "_") + ".golden")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--escape")
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    go = shutil.which("go")
    goroot = subprocess.run([go, "env", "GOROOT"], stdout=subprocess.PIPE, text=True).stdout.strip() \
        if go else os.environ.get("GOROOT", "/usr/lib/go")
    pkgs = levels()
    if a.regen:
        os.makedirs(golden_dir, exist_ok=True)
        for pkg, _ in pkgs:
            with open(golden_path(pkg), "w") as f:
                f.write(compile_m(go, goroot, pkg))
            print("golden/std/%s: recorded" % os.path.basename(golden_path(pkg)))
        return 0
    failed = 0
    rows = []
    print("%-16s %9s %7s  %s" % ("package", "agree", "%", "status"))
    for pkg, floor in pkgs:
        with open(golden_path(pkg)) as f:
            golden = f.read()
        p = subprocess.run([os.path.abspath(a.escape), "-m", os.path.join(goroot, "src", pkg)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
        agree, total, diff = agreement(by_line(golden), by_line(p.stdout))
        status = "ok"
        if p.returncode != 0:
            status, agree = "FAIL (exit %d: %s)" % (p.returncode, p.stderr.strip()[:200]), 0
        elif agree < floor:
            status = "FAIL (below the recorded %d)" % floor
        elif agree > floor:
            status = "ok (above the recorded %d: raise std.txt)" % floor
        if go and compile_m(go, goroot, pkg) != golden:
            status += "; STALE golden (the live compiler differs; run std_test.py --regen)"
            failed += 1
        failed += status.startswith("FAIL")
        print("%-16s %4d/%-4d %6.1f%%  %s" % (pkg, agree, total, 100.0 * agree / max(total, 1), status))
        if a.v:
            g, m = by_line(golden), by_line(p.stdout)
            for k in diff:
                for c, msg in sorted(g.get(k, set()) - m.get(k, set())):
                    print("    missing %s:%d:%d: %s" % (k[0], k[1], c, msg))
                for c, msg in sorted(m.get(k, set()) - g.get(k, set())):
                    print("    extra   %s:%d:%d: %s" % (k[0], k[1], c, msg))
        rows.append({"package": pkg, "agree": agree, "lines": total})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
