#!/usr/bin/env python3
"""Golden test of `gort escape -m` on the corpus (tests/escape/corpus/*.go).

Each program's output must equal golden/NAME.golden, the compiler's `-m -l` output
recorded by regen.sh, as a set of lines (the order is reported, not required). When go is
installed the compiler is run again live and must still produce the golden file.

  corpus_test.py --escape BIN
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys

from objfile import OBJ

here = os.path.dirname(os.path.abspath(__file__))


def lines(text):
    return [l for l in text.split("\n") if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--escape", required=True)
    a = ap.parse_args()
    corpus = os.path.join(here, "corpus")
    go = shutil.which("go")
    failed = 0
    for path in sorted(glob.glob(os.path.join(corpus, "*.go"))):
        name = os.path.basename(path)
        with open(os.path.join(here, "golden", name[:-3] + ".golden")) as f:
            golden = lines(f.read())
        p = subprocess.run([os.path.abspath(a.escape), "-m", name], cwd=corpus,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        mine = lines(p.stdout)
        status = "ok"
        if p.returncode != 0 or sorted(mine) != sorted(golden):
            status = "FAIL"
            failed += 1
            for l in sorted(set(golden) - set(mine)):
                print("  missing: " + l)
            for l in sorted(set(mine) - set(golden)):
                print("  extra:   " + l)
            if p.stderr:
                print("  stderr:  " + p.stderr.strip())
        elif mine != golden:
            status = "ok (order differs from the compiler's)"
        if go:
            c = subprocess.run([go, "tool", "compile", "-m", "-l", "-p", "corpus", "-o", OBJ, name],
                               cwd=corpus, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=120)
            if lines(c.stdout) != golden:
                status += "; STALE golden (the live compiler differs; run regen.sh)"
                failed += 1
        print("%-20s %3d lines  %s" % (name, len(golden), status))
    print("%d of %d programs match the compiler" % (len(glob.glob(os.path.join(corpus, "*.go"))) - failed,
                                                     len(glob.glob(os.path.join(corpus, "*.go")))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
