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
QUICK_RUNS, RUNS = 2, 4
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
    body = "\n\n".join(x for x in (bar_text(conf, std), conformance_text(conf), std_text(std),
                                   speed_text(ctx, speed), picture) if x)
    return rc.Section(body, headline(conf, std, speed), losses(conf, std, speed))


HEADLINE_PACKAGE = "strings"


def headline(conf, std, speed) -> rc.Headline:
    """Time of `gort escape -m` on HEADLINE_PACKAGE against the compiler's `-m -l` on the same
    files (the only other tool that answers the question), with the agreement of the answers."""
    agree = sum(r["agree"] for r in std or []) if std else None
    lines = sum(r["lines"] for r in std or []) if std else None
    said = (f"; answers agree with the compiler's on {agree:,} of {lines:,} lines of "
            f"{len(std)} std packages" if agree is not None and lines else "")
    what = ("Escape analysis", f"`-m` on package {HEADLINE_PACKAGE}{said}", "ms")
    v = (speed or {}).get("packages", {}).get(HEADLINE_PACKAGE)
    if not v:
        return rc.Headline(*what, None, "go tool compile -m -l", None, None,
                           why="speed not measured")
    return rc.Headline(*what, v["gort"]["median"] * 1e3, "go tool compile -m -l",
                       v["compile -m"]["median"] * 1e3, v["ratio"], v["gort"]["spread"])


def losses(conf, std, speed) -> str:
    lines = []
    if conf:
        t = conf["totals"]
        if t["matched"] < t["want"] or t["extra"]:
            lines.append(f"Go's escape tests: {t['want'] - t['matched']} expected messages "
                         f"missing and {t['extra']} extra, of {t['want']}.")
    for r in std or []:
        if r["lines"] and r["agree"] < r["lines"]:
            lines.append(f"package {r['package']}: {r['lines'] - r['agree']} of {r['lines']} "
                         f"lines differ from the compiler's -m -l.")
    for p, v in ((speed or {}).get("packages") or {}).items():
        if v["ratio"] > 1:
            lines.append(f"package {p}: gort takes {v['ratio']:.2f}x the compiler's time.")
    lines.append("Inlining is not modelled: against the compiler's default `-m` (inlining on), "
                 "its messages at inlined call sites have no counterpart; generic functions "
                 "are skipped with a note.")
    return "\n".join(f"- {x}" for x in lines)


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
    bars = [("gort", "gort escape -m", rc.color("gort-escape")),
            ("compile -m", "compile -m -l", rc.color("go-compile")),
            ("compile", "compile (no -m)", "#9edae5")]
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
    return head + rc.figure("escape/flow.png", "How values flow in flow_example.go: red "
                            "boxes moved to the heap; follow the edges back to see why.")


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
             f"{strings['agree']} of {strings['lines']} = {pct(sfrac)}" if sfrac is not None
             else "— (package not compared)",
             yes(sfrac is not None and sfrac >= BAR["strings"])]]
    return ("### gort's targets\n\n"
            + rc.md_table(["measure", "target", "this run", "met"], rows, "lrrl"))


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
    rows = [[r["package"], f"{r['agree']}/{r['lines']}",
             pct(r["agree"] / r["lines"]) if r["lines"] else "— (no messages on either side)"]
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
            + "\n\n" + rc.figure("escape/speed.png", "Wall time per package: gort's "
                                   "escape analysis (red) against the Go compiler with -m and "
                                   "without; lower is faster."))
