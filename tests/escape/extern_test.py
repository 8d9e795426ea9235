#!/usr/bin/env python3
"""The escape tags of imported functions, from the export data to the verdict.

A program passes a fresh slice to bytes.IndexByte, which gc's export data says keeps
nothing. The test checks each step on its own:
  1. the front end reads the tags from the installed export data into an extern record
     (bytes.IndexByte's slice: no flow to the heap or the results);
  2. with that record the engine finds the slice does not escape, as the compiler does;
  3. with the record changed to "leaks to the heap", the slice escapes: the record is what
     decides, not a table;
  4. without the record (and no row in std.cc) the call is conservative: the slice escapes
     and a note says why.

  extern_test.py --escape BIN
"""
import argparse
import os
import subprocess
import sys
import tempfile

PROGRAM = """package ext

import "bytes"

func find() int {
	b := make([]byte, 8)
	return bytes.IndexByte(b, 0)
}
"""
NAME = "bytes.IndexByte"
NONE = ":".join(["-1"] * 8)
HEAP = ":".join(["0"] + ["-1"] * 7)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def analyse(esc, d, ir, tag):
    path = os.path.join(d, tag + ".ir")
    with open(path, "w") as f:
        f.write(ir)
    return run([esc, "-m", "--ir", path])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--escape", required=True)
    a = ap.parse_args()
    esc = os.path.abspath(a.escape)
    fe = os.path.join(os.path.dirname(esc), "gort-escape-frontend")
    failed = []
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "ext.go")
        with open(src, "w") as f:
            f.write(PROGRAM)
        rc, ir, err = run([fe, src])
        if rc != 0:
            print("front end failed: " + err)
            return 1
        lines = ir.split("\n")
        rec = [l for l in lines if l.startswith("extern\t" + NAME + "\t")]
        # b: no flow at all; c (a byte): gc writes no tag for a parameter without pointers,
        # which reads as "leaks to the heap" and never matters.
        want = "extern\t%s\t%s,%s" % (NAME, NONE, HEAP)
        if rec != [want]:
            failed.append("1. extern record %r, want %r" % (rec, want))
        checks = [
            ("2. record as read", ir, "make([]byte, 8) does not escape", None),
            ("3. record says heap", ir.replace(want, "extern\t%s\t%s,%s" % (NAME, HEAP, HEAP)),
             "make([]byte, 8) escapes to heap", None),
            ("4. no record", "\n".join(l for l in lines if not l.startswith("extern\t")),
             "make([]byte, 8) escapes to heap", "no escape summary for " + NAME),
        ]
        for i, (what, text, msg, note) in enumerate(checks):
            rc, out, err = analyse(esc, d, text, "case%d" % i)
            ok = rc == 0 and msg in out and (note is None or note in err) and \
                (note is not None or "no escape summary" not in err)
            print("%-22s %s  %s" % (what, "ok" if ok else "FAIL", out.strip().split(": ", 1)[-1]))
            if not ok:
                failed.append("%s: exit %d, out %r, err %r" % (what, rc, out, err))
    for f in failed:
        print("FAIL " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
