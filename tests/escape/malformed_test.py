#!/usr/bin/env python3
"""`gort escape` on bad input: malformed Go and malformed IR end with exit status 2 and a
file:line:col diagnostic, never a crash (a signal or any other status).

  malformed_test.py --escape BIN
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

CASES = {
    "unclosed.go": ("package p\nfunc f() {\n\tx := 1\n", r"unclosed\.go:\d+:\d+: "),
    "badtoken.go": ("package p\nfunc f() { x := 1 @ 2 }\n", r"badtoken\.go:2:\d+: "),
    "string.go": ("package p\nvar s = \"abc\n", r"string\.go:2:\d+: "),
    "undefined.go": ("package p\nfunc f() *int { return &y }\n", r"undefined\.go:2:25: "),
    "types.go": ("package p\nfunc f() int { return \"s\" }\n", r"types\.go:2:\d+: "),
    "import.go": ("package p\nimport \"no/such/pkg\"\nvar _ = pkg.X\n", r"import\.go:2:8: "),
    "nopackage.go": ("func f() {}\n", r"nopackage\.go:1:1: "),
    "binary.go": ("\x00\x01\x02\xff\xfe", r"binary\.go:1:1: "),
}

BAD_IR = [
    "",
    "gortir\t2\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n1\tname\t0:1:1\t-\tx\nend\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n0\tas\tbad\t-\tx\nend\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\nvar\tx\tparam\t0:1:1\t-\t8\tp\nend\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n0\tif\t0:1:1\t-\t\nend\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n0\tname\t0:1:1\tvar=7\tx\nend\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n0\tcall\t0:1:1\tkind=static,fn=9\tf()\n1\tlit\t0:1:1\t-\t\nend\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n0\tas\t0:1:1\tn=3\tx\n1\tblank\t0:1:1\t-\t\nend\n",
    "gortir\t1\nfunc\t0\t-1\t0:1:1\tbody\tf\n0\tswitch\t0:1:1\t-\t\n1\tnone\t0:1:1\t-\t\n1\tlit\t0:1:1\t-\t\nend\n",
    "gortir\t1\nextern\tfmt.Println\t0:-1:-1\n",                       # too few sinks
    "gortir\t1\nextern\tfmt.Println\t0:-1:-1:-1:-1:-1:-1:-1:-1\n",     # too many
    "gortir\t1\nextern\tfmt.Println\t0:x:-1:-1:-1:-1:-1:-1\n",         # not a number
    "gortir\t1\nextern\tfmt.Println\n",                                  # no leaks field
    "gortir\t1\nmsg\tbad\tindex bounds check elided\n",                 # bad position
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--escape", required=True)
    a = ap.parse_args()
    esc = os.path.abspath(a.escape)
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        for name, (src, rx) in CASES.items():
            with open(os.path.join(d, name), "w", encoding="latin-1") as f:
                f.write(src)
            p = subprocess.run([esc, "-m", name], cwd=d, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, errors="replace", timeout=60)
            ok = p.returncode == 2 and re.search(rx, p.stderr)
            failed += not ok
            print("%-14s exit %d  %s  %s" % (name, p.returncode, "ok" if ok else "FAIL",
                                             p.stderr.strip().split("\n")[0]))
        p = subprocess.run([esc, "-m", "missing.go"], cwd=d, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        ok = p.returncode == 2 and "missing.go" in p.stderr
        failed += not ok
        print("%-14s exit %d  %s" % ("missing.go", p.returncode, "ok" if ok else "FAIL"))
        for i, ir in enumerate(BAD_IR):
            path = os.path.join(d, "bad%d.ir" % i)
            with open(path, "w") as f:
                f.write(ir)
            p = subprocess.run([esc, "-m", "--ir", path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            ok = p.returncode == 2 and "malformed IR" in p.stderr
            failed += not ok
            print("bad%d.ir        exit %d  %s  %s" % (i, p.returncode, "ok" if ok else "FAIL", p.stderr.strip()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
