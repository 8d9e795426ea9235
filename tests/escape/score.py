#!/usr/bin/env python3
"""Conformance scorer of `gort escape` against Go's own escape tests.

Scores every $GOROOT/test/escape*.go whose first line is `// errorcheck -0 -m -l` with the
matching rules of Go's test/run.go (errorCheck): for each `// ERROR "re" ...` on line L,
the messages printed for L are taken out of the output; the regexp must match one of them
(matched against the text after the first space, i.e. without the file:line:col prefix);
messages it matches are consumed, the others go back. A line holding `////` is ignored.
Messages left at the end are extra. A file is clean when nothing is missing or extra.

  score.py --escape BIN [--goroot DIR] [--threshold FILE] [--compiler] [--json FILE] [-v]

--compiler scores `go tool compile -m -l` instead (checks the scorer: all files clean).
With --threshold, exits 1 when the result falls below the recorded level
(matched >= N, clean >= C, extra <= E). --json writes the per-file results (the report's
conformance table reads it).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

from objfile import OBJ

HEADER = "// errorcheck -0 -m -l"
ERR_RX = re.compile(r"// (?:GC_)?ERROR (.*)")
QUOTES_RX = re.compile(r'"([^"]*)"')
LINE_RX = re.compile(r"LINE(([+-])([0-9]+))?")


def wanted(path, short):
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f.read().split("\n")):
            n = i + 1
            if "////" in line:
                continue
            m = ERR_RX.search(line)
            if not m:
                continue
            for q in QUOTES_RX.findall(m.group(1)):
                def repl(mm, n=n):
                    d = int(mm.group(3)) if mm.group(3) else 0
                    return "%s:%d" % (short, n + d if mm.group(2) == "+" else n - d)
                out.append((n, q, re.compile(LINE_RX.sub(repl, q))))
    return out


def match_prefix(s, prefix):
    i = s.find(":")
    if i < 0:
        return False
    s = s[s.rfind("/", 0, i) + 1:]
    return len(s) > len(prefix) and s.startswith(prefix) and s[len(prefix)] in "[:"


def score_output(lines, wants, short):
    out = list(lines)
    matched, missing = 0, []
    for n, rx_str, rx in wants:
        prefix = "%s:%d" % (short, n)
        msgs = [s for s in out if match_prefix(s, prefix)]
        out = [s for s in out if not match_prefix(s, prefix)]
        ok = False
        for s in msgs:
            text = s.split(" ", 1)[1] if " " in s else s
            if rx.search(text):
                ok = True
            else:
                out.append(s)
        if ok:
            matched += 1
        else:
            missing.append("%s:%d: %s" % (short, n, rx_str))
    return matched, missing, out


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    text = p.stdout if "compile" not in cmd[1:3] else p.stdout + p.stderr
    return [l for l in text.split("\n") if l.strip() and not l.startswith(("#", "\t", "go tool"))], p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--escape", help="the gort-escape binary")
    ap.add_argument("--goroot")
    ap.add_argument("--threshold")
    ap.add_argument("--compiler", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    rows = []
    goroot = a.goroot or subprocess.run(["go", "env", "GOROOT"], stdout=subprocess.PIPE,
                                        text=True).stdout.strip()
    files = []
    for path in sorted(glob.glob(os.path.join(goroot, "test", "escape*.go"))):
        with open(path, encoding="utf-8") as f:
            if f.readline().rstrip("\n") == HEADER:
                files.append(path)
    tot = {"want": 0, "matched": 0, "extra": 0, "clean": 0}
    print("%-28s %8s %8s %6s %s" % ("file", "matched", "missing", "extra", "clean"))
    for path in files:
        short = os.path.basename(path)
        if a.compiler:
            cmd = ["go", "tool", "compile", "-m", "-l", "-o", OBJ, short]
        else:
            cmd = [os.path.abspath(a.escape), "-m", short]
        lines, p = run(cmd, os.path.dirname(path))
        if not a.compiler and p.returncode != 0:
            lines = []
            sys.stderr.write("%s: gort-escape exited %d: %s\n" % (short, p.returncode, p.stderr.strip()))
        wants = wanted(path, short)
        matched, missing, extra = score_output(lines, wants, short)
        clean = not missing and not extra
        tot["want"] += len(wants)
        tot["matched"] += matched
        tot["extra"] += len(extra)
        tot["clean"] += clean
        print("%-28s %4d/%-4d %7d %6d %s" % (short, matched, len(wants), len(missing), len(extra),
                                            "yes" if clean else "no"))
        rows.append({"file": short, "regexps": len(wants), "matched": matched,
                     "missing": missing, "extra": extra, "clean": clean})
        if a.v:
            for m in missing:
                print("    missing " + m)
            for e in extra:
                print("    extra   " + e)
    msgs_total = tot["matched"] + tot["extra"]
    print("%-28s %4d/%-4d %7d %6d %d/%d clean" % ("TOTAL", tot["matched"], tot["want"],
          tot["want"] - tot["matched"], tot["extra"], tot["clean"], len(files)))
    print("matched %.1f%%, extra %d" % (100.0 * tot["matched"] / max(tot["want"], 1), tot["extra"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"files": rows, "totals": tot}, f, indent=1)
    if a.threshold:
        level = {}
        with open(a.threshold) as f:
            for line in f:
                line = line.split("#", 1)[0].split()
                if len(line) == 2:
                    level[line[0]] = int(line[1])
        bad = []
        if tot["matched"] < level.get("matched", 0):
            bad.append("matched %d < %d" % (tot["matched"], level["matched"]))
        if tot["clean"] < level.get("clean", 0):
            bad.append("clean files %d < %d" % (tot["clean"], level["clean"]))
        if "extra" in level and tot["extra"] > level["extra"]:
            bad.append("extra messages %d > %d" % (tot["extra"], level["extra"]))
        if bad:
            print("BELOW THE RECORDED LEVEL (%s): %s" % (a.threshold, "; ".join(bad)))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
