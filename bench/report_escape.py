"""report_escape.py — the escape-analysis section of the report: how closely `gort escape`
agrees with Go's compiler, how fast it is, and one of its flow pictures.

How the section is made (run):
  1. Conformance. tests/escape/score.py scores `gort escape -m` on Go's own escape tests
     ($GOROOT/test/escape*.go, errorcheck -0 -m -l) with the rules of Go's test/run.go and
     writes per-file results (--json): regexps matched, missing, extra messages, clean.
  2. Standard library. tests/escape/std_test.py compares, line by line, `gort escape -m` on
     whole packages with the compiler's -m -l output recorded in tests/escape/golden/std/
     (re-run live; a stale golden file is reported) and writes the agreement (--json).
  3. Speed. bench/escape/speed.py times `gort escape -m` (and its front end and engine apart)
     against the compiler binary on the same packages, interleaved rounds, medians; one
     plot of the medians.
  4. Picture. `gort escape --dot` on bench/escape/flow_example.go, rendered by Graphviz's
     dot as SVG and PNG; without dot the section keeps the .dot file and says so.
  5. Files in <out>/escape/: conformance.json, std.json, speed.json, speed.csv, speed.png,
     flow.dot, flow.svg, flow.png, summary.json.
Needs go (GOROOT's sources and tests); without it the section says it was not run.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import report_common as rc

TITLE = "Escape analysis"

QUICK_PACKAGES = ["strings", "bytes"]
QUICK_RUNS, RUNS = 2, 7
BAR = {"matched": 0.90, "extra": 0.02, "clean": 0.5, "strings": 0.90}


def run(ctx: rc.Context) -> str:
    d = ctx.section_dir("escape")
    esc = ctx.build / "escape" / "gort-escape"
    if not esc.exists():
        return f"Not run: {esc} is not built (go missing when the build was configured?).\n"
    if not shutil.which("go"):
        return "Not run: go is not installed (the tests and packages come from its GOROOT).\n"
    tests = ctx.repo / "tests" / "escape"
    conf = run_json(ctx, [sys.executable, str(tests / "score.py"), "--escape", str(esc)],
                    d / "conformance.json", "conformance")
    std = run_json(ctx, [sys.executable, str(tests / "std_test.py"), "--escape", str(esc)],
                   d / "std.json", "std packages")
    speed = measure_speed(ctx, d)
    picture = draw(ctx, esc, d)
    summary = {"conformance": conf and conf["totals"], "std": std, "speed": speed and {
        p: {c: v[c]["median"] for c in v if c != "ratio"} | {"ratio": v["ratio"]}
        for p, v in speed["packages"].items()}}
    rc.write_json(d / "summary.json", summary)
    return "\n\n".join(x for x in (bar_text(conf, std), conformance_text(conf), std_text(std),
                                   speed_text(ctx, speed), picture) if x)


def run_json(ctx: rc.Context, cmd: list[str], out: Path, what: str):
    r = subprocess.run(cmd + ["--json", str(out)], capture_output=True, text=True, timeout=1800)
    if not out.exists():
        ctx.notes.append(f"escape: {what} wrote nothing ({rc.failure(r)}): {r.stderr.strip()[-200:]}")
        return None
    if r.returncode != 0:
        ctx.notes.append(f"escape: {what} failed ({rc.failure(r)}): "
                         f"{(r.stdout + r.stderr).strip()[-300:]}")
    return json.loads(out.read_text())


def measure_speed(ctx: rc.Context, d: Path):
    sys.path.insert(0, str(ctx.repo / "bench" / "escape"))
    import speed
    pkgs = QUICK_PACKAGES if ctx.quick else speed.PACKAGES
    runs = QUICK_RUNS if ctx.quick else max(ctx.rounds, RUNS)
    try:
        result = speed.measure(ctx.build, pkgs, runs, log=rc.log)
    except (SystemExit, subprocess.CalledProcessError) as e:
        ctx.notes.append(f"escape: speed not measured: {e}")
        return None
    speed.write(result, d)
    plot_speed(result, d / "speed.png")
    return result


def plot_speed(result: dict, path: Path) -> None:
    plt = rc.pyplot()
    pkgs = list(result["packages"])
    bars = [("gort", "gort escape -m", "#d62728"), ("compile -m", "compile -m -l", "#1f77b4"),
            ("compile", "compile (no -m)", "#aec7e8")]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(pkgs)), 3.6))
    w = 0.8 / len(bars)
    for i, (key, label, col) in enumerate(bars):
        ax.bar([j + (i - 1) * w for j in range(len(pkgs))],
               [result["packages"][p][key]["median"] * 1e3 for p in pkgs], w, label=label, color=col)
    ax.set_xticks(range(len(pkgs)))
    ax.set_xticklabels(pkgs, rotation=30, ha="right")
    ax.set_ylabel("wall time, ms (median)")
    ax.legend(frameon=False)
    ax.set_title("Whole standard-library packages: gort escape against the Go compiler")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw(ctx: rc.Context, esc: Path, d: Path) -> str:
    src = ctx.repo / "bench" / "escape" / "flow_example.go"
    r = subprocess.run([str(esc), "--dot", str(src)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        ctx.notes.append(f"escape: --dot failed: {r.stderr.strip()[-200:]}")
        return ""
    (d / "flow.dot").write_text(r.stdout)
    m = subprocess.run([str(esc), "-m", str(src)], capture_output=True, text=True, timeout=120)
    head = ("### A flow picture\n\n"
            f"`gort escape --dot bench/escape/flow_example.go`: one box per location (a variable, "
            "or the storage an expression allocates), grouped by function; red ones are on the "
            "heap. An edge carries the operation of the flow (& address, = value, * per "
            "dereference) and why it happened; dashed edges are addresses that went straight "
            "into the heap. What `gort escape -m` says about the program:\n\n```\n"
            + "\n".join(l.split("/")[-1] for l in m.stdout.strip().split("\n")) + "\n```\n\n")
    if not shutil.which("dot"):
        return head + "Graphviz's dot is not installed: the graph is in escape/flow.dot."
    for fmt in ("svg", "png"):
        subprocess.run(["dot", f"-T{fmt}", str(d / "flow.dot"), "-o", str(d / f"flow.{fmt}")],
                       check=False, timeout=120)
    return head + "![flow picture](escape/flow.svg)"


# ---- the text ----------------------------------------------------------------------------------

def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def bar_text(conf, std) -> str:
    if not conf:
        return "The conformance scorer did not run (see the notes)."
    t = conf["totals"]
    matched, extra = t["matched"] / t["want"], t["extra"] / t["want"]
    clean = t["clean"] / len(conf["files"])
    strings = next((r for r in std or [] if r["package"] == "strings"), None)
    sfrac = strings["agree"] / strings["lines"] if strings and strings["lines"] else None
    rows = [["regexps of the escape tests matched", f"≥ {pct(BAR['matched'])}",
             f"{t['matched']} of {t['want']} = {pct(matched)}", yes(matched >= BAR["matched"])],
            ["extra messages (per regexp)", f"≤ {pct(BAR['extra'])}",
             f"{t['extra']} = {pct(extra)}", yes(extra <= BAR["extra"])],
            ["files fully clean", f"≥ {pct(BAR['clean'])}",
             f"{t['clean']} of {len(conf['files'])}", yes(clean >= BAR["clean"])],
            ["lines of package strings agreeing with the compiler", f"≥ {pct(BAR['strings'])}",
             f"{strings['agree']} of {strings['lines']} = {pct(sfrac)}" if sfrac is not None else "—",
             yes(sfrac is not None and sfrac >= BAR["strings"])]]
    return ("### The bar (issue 14)\n\n"
            + rc.md_table(["measure", "bar", "this run", "met"], rows, "lrrl"))


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def conformance_text(conf) -> str:
    if not conf:
        return ""
    rows = [[f["file"], f"{f['matched']}/{f['regexps']}", str(len(f["missing"])), str(len(f["extra"])),
             "yes" if f["clean"] else "no"] for f in conf["files"]]
    t = conf["totals"]
    rows.append(["**total**", f"**{t['matched']}/{t['want']}**", f"**{t['want'] - t['matched']}**",
                 f"**{t['extra']}**", f"**{t['clean']}/{len(conf['files'])}**"])
    left = ["missing " + m for f in conf["files"] for m in f["missing"]] + \
           ["extra   " + e for f in conf["files"] for e in f["extra"]]
    return ("### Go's escape tests\n\n"
            "Every `$GOROOT/test/escape*.go` run with `// errorcheck -0 -m -l`, scored with the "
            "rules of Go's `test/run.go`: each `// ERROR` regexp must match a message on its line "
            "(missing otherwise), each message must be matched by one (extra otherwise).\n\n"
            + rc.md_table(["file", "matched", "missing", "extra", "clean"], rows, "lrrrl")
            + ("\n\nWhat is left:\n\n```\n" + "\n".join(left) + "\n```" if left else ""))


def std_text(std) -> str:
    if not std:
        return ""
    rows = [[r["package"], f"{r['agree']}/{r['lines']}", pct(r["agree"] / r["lines"]) if r["lines"] else "—"]
            for r in std]
    return ("### Whole standard-library packages\n\n"
            "`gort escape -m $GOROOT/src/PKG` against `go tool compile -m -l` on the package's "
            "files (golden files in `tests/escape/golden/std/`, re-run live). A line counts when "
            "either side prints a message on it; it agrees when both print the same messages "
            "(column and text). With -l: gort does not inline, and the compiler's messages at "
            "inlined call sites are about the inlined copies.\n\n"
            + rc.md_table(["package", "lines agreeing", "%"], rows))


def speed_text(ctx: rc.Context, speed) -> str:
    if not speed:
        return ""
    rows = []
    for p, v in speed["packages"].items():
        rows.append([p] + [f"{v[c]['median'] * 1e3:.1f}" for c in
                           ("gort", "frontend", "engine", "compile -m", "compile")]
                    + [pct(v["gort"]["spread"]), f"{v['ratio']:.2f}"])
    ratios = [v["ratio"] for v in speed["packages"].values()]
    return ("### Speed\n\n"
            f"Wall time in ms, median of {speed['runs']} interleaved rounds (after one warm-up "
            f"run), on {speed['cores']} cores with a load average of {speed['load_start']:.2f} "
            f"at the start. gort: the whole `gort escape -m` on the package directory; front "
            "end (parse, type-check, export data, lowering) and engine (`--ir`, the C++ "
            "analysis on the IR) apart. The compiler is its binary from GOTOOLDIR on the same "
            "files, with `-m -l` (the same messages) and without `-m`; it also builds SSA, "
            "generates code and writes an object file, which gort does not do. Ratio: gort "
            "over compile -m, per round, median.\n\n"
            + rc.md_table(["package", "gort", "front end", "engine", "compile -m", "compile",
                           "gort spread", "gort / compile -m"], rows)
            + f"\n\nThe median ratio over the packages is {rc.median(ratios):.2f}."
            + "\n\n![speed](escape/speed.png)")
