#!/usr/bin/env python3
"""speed.py — how long `gort escape -m` takes on whole standard-library packages, against the
Go compiler on the same files.

    python3 bench/escape/speed.py --build build/release [--runs 7] [--out DIR] [PKG ...]

For each package (default: PACKAGES), in rounds that interleave the contenders so that a
change of load on the machine hits all of them alike:
  gort        build/.../escape/gort-escape -m $GOROOT/src/PKG: the whole command, front end
              (parse, type-check, export data, lowering) and engine;
  frontend    gort-escape-frontend $GOROOT/src/PKG alone (its IR to /dev/null);
  engine      gort-escape -m --ir FILE on the IR the front end wrote once beforehand;
  compile -m  the compiler binary ($GOTOOLDIR/compile, not through `go tool`, whose own
              start-up is not the compiler's) with -m -l -std -p PKG on the package's files:
              the same messages, but the compiler also inlines (not with -l), builds SSA,
              generates code and writes an object file, which gort does not;
  compile     the same without -m, to show what printing the messages costs the compiler.
A figure is the median wall time of the runs, with the spread (max - min) / median; the
children's CPU time is kept beside it. The ratio gort / compile -m is computed per round and
its median reported, so that both sides of a ratio ran seconds apart.
Writes DIR/speed.json (every run) and DIR/speed.csv (one row per package and contender).
The compiler runs here only as the contender of a benchmark; `gort escape` never runs it.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = ["strings", "bytes", "strconv", "sort", "bufio", "fmt", "regexp", "encoding/json",
            "math/big"]
CONTENDERS = ["gort", "frontend", "engine", "compile -m", "compile"]


def go_env(name: str) -> str:
    return subprocess.run(["go", "env", name], stdout=subprocess.PIPE, text=True,
                          check=True).stdout.strip()


def package_files(goroot: str, pkg: str) -> list[str]:
    d = os.path.join(goroot, "src", pkg)
    out = subprocess.run(["go", "list", "-f", '{{join .GoFiles " "}}', "."], cwd=d,
                         stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    return [os.path.join(d, f) for f in out]


def timed(cmd: list[str], cwd: str | None = None) -> tuple[float, float, int]:
    """Wall seconds, children's CPU seconds and exit status of one run of cmd."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.returncode


def commands(build: Path, goroot: str, tooldir: str, pkg: str, ir: str, obj: str) -> dict[str, list[str]]:
    esc = build / "escape" / "gort-escape"
    fe = build / "escape" / "gort-escape-frontend"
    src = os.path.join(goroot, "src", pkg)
    # obj, not /dev/null: the compiler deletes its -o file when a compile fails (as root,
    # /dev/null itself).
    compile_ = [os.path.join(tooldir, "compile"), "-std", "-p", pkg, "-o", obj]
    files = package_files(goroot, pkg)
    return {"gort": [str(esc), "-m", src], "frontend": [str(fe), src],
            "engine": [str(esc), "-m", "--ir", ir], "compile -m": compile_ + ["-m", "-l"] + files,
            "compile": compile_ + files}


def measure(build: Path, packages: list[str], runs: int, log=print) -> dict:
    goroot, tooldir = go_env("GOROOT"), go_env("GOTOOLDIR")
    result = {"goroot": goroot, "go": go_env("GOVERSION"), "runs": runs, "cores": os.cpu_count(),
              "load_start": os.getloadavg()[0], "packages": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in packages:
            ir = os.path.join(tmp, pkg.replace("/", "_") + ".ir")
            with open(ir, "w") as f:
                subprocess.run([str(build / "escape" / "gort-escape-frontend"),
                                os.path.join(goroot, "src", pkg)], stdout=f, check=True)
            cmds = commands(build, goroot, tooldir, pkg, ir, os.path.join(tmp, "out.o"))
            samples = {c: [] for c in CONTENDERS}
            for c in CONTENDERS:  # one warm-up run each: page cache, export data
                timed(cmds[c])
            for _ in range(runs):
                for c in CONTENDERS:
                    wall, cpu, rc = timed(cmds[c])
                    if rc != 0:
                        raise SystemExit(f"speed.py: {c} on {pkg} exited {rc}: {' '.join(cmds[c])}")
                    samples[c].append({"wall": wall, "cpu": cpu})
            result["packages"][pkg] = summarize(samples)
            r = result["packages"][pkg]
            log(f"escape speed: {pkg}: gort {r['gort']['median'] * 1e3:.0f} ms, "
                f"compile -m {r['compile -m']['median'] * 1e3:.0f} ms, ratio {r['ratio']:.2f}")
    result["load_end"] = os.getloadavg()[0]
    return result


def summarize(samples: dict[str, list[dict]]) -> dict:
    out = {}
    for c, xs in samples.items():
        walls = [x["wall"] for x in xs]
        med = statistics.median(walls)
        out[c] = {"median": med, "spread": (max(walls) - min(walls)) / med if med else None,
                  "cpu": statistics.median([x["cpu"] for x in xs]), "walls": walls}
    rounds = zip(samples["gort"], samples["compile -m"])
    out["ratio"] = statistics.median([g["wall"] / k["wall"] for g, k in rounds])
    return out


def write(result: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "speed.json").write_text(json.dumps(result, indent=1) + "\n")
    with open(out / "speed.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["package", "contender", "median_s", "spread", "cpu_s", "runs"])
        for pkg, r in result["packages"].items():
            for c in CONTENDERS:
                w.writerow([pkg, c, f"{r[c]['median']:.6f}", f"{r[c]['spread']:.3f}",
                            f"{r[c]['cpu']:.6f}", len(r[c]["walls"])])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", type=Path, default=Path("build/release"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("report/escape"))
    ap.add_argument("packages", nargs="*", default=PACKAGES)
    a = ap.parse_args()
    result = measure(a.build.resolve(), a.packages, a.runs,
                     log=lambda m: print(m, file=sys.stderr, flush=True))
    write(result, a.out)
    print(f"{'package':16} {'gort ms':>8} {'frontend':>9} {'engine':>7} {'compile -m':>11} "
          f"{'compile':>8} {'gort/compile -m':>16}")
    for pkg, r in result["packages"].items():
        print(f"{pkg:16} {r['gort']['median'] * 1e3:8.1f} {r['frontend']['median'] * 1e3:9.1f} "
              f"{r['engine']['median'] * 1e3:7.1f} {r['compile -m']['median'] * 1e3:11.1f} "
              f"{r['compile']['median'] * 1e3:8.1f} {r['ratio']:16.2f}")
    print(f"wrote {a.out / 'speed.json'} and {a.out / 'speed.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
