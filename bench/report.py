#!/usr/bin/env python3
"""report.py — runs the lab's benchmarks against the alternatives and writes the report.

    /usr/bin/python3 bench/report.py --build build/release --out report   (what ./gort report runs)

  1. Finds the contenders (report_common.find_contenders): glibc, jemalloc, mimalloc,
     tcmalloc_minimal from the system, gort from --build. A missing one is listed and skipped.
  2. Runs each section of SECTIONS that --only picks. A section is a module with TITLE and
     run(ctx) returning a report_common.Section: its Markdown, its summary line (gort against
     the best other contender on the section's headline workload) and its "where gort loses"
     paragraph. It keeps its raw data and plots in <out>/<name>/.
  3. Writes <out>/report.md (the summary, the machine, the contenders, every section),
     <out>/index.html (the same, one self-contained page: report_html.py), and
     <out>/headlines.json (the summary's figures, what --compare reads next time) and
     <out>/run.json (the length, the sections, the time and the largest resident set).
Nothing in the document is typed by hand: every figure comes from the measurements of the run.
Three lengths: --quick checks the pipeline in a few minutes, the default fits ESTIMATES' budget
on 2 cores, --full runs the long sweeps. Needs matplotlib and python3-markdown: use
/usr/bin/python3.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import report_common as rc

# (directory under <out> and --only name, module)
SECTIONS = [("alloc", "report_alloc"), ("macro", "report_macro"), ("slices", "report_slices"),
            ("maps", "report_maps"), ("concurrent", "report_concurrent"),
            ("escape", "report_escape")]

# Expected seconds per section on this lab's 2-core machine, per length: the progress line's
# estimate of what is left. The default's sum is the budget the sections are sized to;
# quick's and default's come from measured runs, full's are rough guesses (only the
# progress line uses them).
ESTIMATES = {
    "quick": {"alloc": 35, "macro": 60, "slices": 30, "maps": 20, "concurrent": 5, "escape": 20},
    "default": {"alloc": 75, "macro": 130, "slices": 110, "maps": 170, "concurrent": 170,
                "escape": 75},
    "full": {"alloc": 600, "macro": 600, "slices": 120, "maps": 1200, "concurrent": 3600,
             "escape": 120},
}

# Debian packages whose versions the report names: the contenders that are libraries and the
# tools that measure. A glob picks the installed one (the Boost version varies).
PACKAGES = ["libabsl-dev", "libboost1.8*-dev", "robin-map-dev", "libtbb-dev", "libcuckoo-dev",
            "libxxhash-dev", "libbenchmark-dev", "golang-go", "valgrind", "linux-perf",
            "python3-matplotlib"]


def main() -> int:
    args = parse_args()
    if args.check_args:  # ./gort checks the options before it installs and builds
        return 0
    repo = Path(__file__).resolve().parent.parent
    length = "quick" if args.quick else "full" if args.full else "default"
    picked = [(n, m) for n, m in SECTIONS if not args.only or n in args.only]
    old = load_compare(args.compare) if args.compare else None
    ctx = rc.Context(build=args.build.resolve(), out=args.out.resolve(), repo=repo,
                     contenders=rc.find_contenders(args.build.resolve(), repo),
                     rounds=1 if args.quick else args.rounds, quick=args.quick, full=args.full)
    ctx.out.mkdir(parents=True, exist_ok=True)
    rc.PROGRESS = rc.Progress([(n, ESTIMATES[length][n]) for n, _ in picked])
    announce(ctx)
    machine = describe_machine(ctx)
    results = []
    for i, (name, module) in enumerate(picked):
        rc.PROGRESS.enter(i)
        results.append(run_section(ctx, name, module))
    rc.PROGRESS = None
    machine["load average at the end"] = load_average()
    machine["largest resident memory of any one process"] = f"{peak_rss_mib():,.0f} MiB"
    heads = [r.headline for _, r in results if r.headline]
    write_headlines(ctx.out / "headlines.json", heads, length)
    rc.write_json(ctx.out / "run.json", {
        "length": length, "sections": [n for n, _ in picked],
        "seconds": round(time.monotonic() - STARTED), "peak_rss_mib": round(peak_rss_mib()),
        "contenders": [c.name for c in ctx.usable()]})
    text = render(ctx, length, machine, results, old)
    (ctx.out / "report.md").write_text(text)
    (ctx.out / "README.md").unlink(missing_ok=True)  # the name of earlier reports' document
    import report_html
    report_html.write(ctx.out, text, title="gort — benchmark report")
    rc.log(f"wrote {ctx.out / 'index.html'} and {ctx.out / 'report.md'} in "
           f"{rc.minutes(time.monotonic() - STARTED)}")
    return 0


STARTED = time.monotonic()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="./gort report",
                                description="Benchmark gort against the alternatives; write "
                                            "report/index.html and report/report.md.")
    p.add_argument("--build", type=Path, default=Path("build/release"),
                   help="CMake build directory with alloc/libgort.so and bench/ (build/release)")
    p.add_argument("--out", type=Path, default=Path("report"), help="output directory (report)")
    p.add_argument("--rounds", type=int,
                   help="interleaved rounds per contender where a section has rounds; tables "
                        "quote medians (4; --full: 5)")
    p.add_argument("--only", action="append", type=sections_list, metavar="SECTION[,SECTION]",
                   help="run only these sections: " + ", ".join(n for n, _ in SECTIONS))
    length = p.add_mutually_exclusive_group()
    length.add_argument("--quick", action="store_true",
                        help="one short round of everything, a few minutes: checks the "
                             "pipeline, its numbers are not to be quoted")
    length.add_argument("--full", action="store_true",
                        help="the long sweeps (every size, shard count and round)")
    p.add_argument("--check-args", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--compare", type=Path, metavar="OLD_DIR",
                   help="an earlier report's directory: the summary adds the change of every "
                        "headline figure against it")
    args = p.parse_args()
    if args.rounds is None:
        args.rounds = 5 if args.full or os.environ.get("REPORT_FULL", "") not in ("", "0") else 4
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.only:
        args.only = {n for names in args.only for n in names}
    if os.environ.get("REPORT_FULL", "") not in ("", "0") and not args.quick:
        args.full = True
    if args.compare and not (args.compare / "headlines.json").is_file():
        p.error(f"--compare {args.compare}: no headlines.json there (it is written by every "
                f"report since the summary exists)")
    return args


def sections_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = [n for n, _ in SECTIONS]
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section {', '.join(bad) or repr(text)}; the sections are {', '.join(known)}")
    return names


def announce(ctx: rc.Context) -> None:
    for c in ctx.contenders:
        rc.log(f"contender {c.name}: " + (f"skipped ({c.missing})" if c.missing
                                           else str(c.preload or "no preload")))


def run_section(ctx: rc.Context, name: str, module: str) -> tuple[str, rc.Section]:
    mod = importlib.import_module(module)
    t0 = time.monotonic()
    rc.log(f"section {name}: start")
    result = mod.run(ctx)
    if isinstance(result, str):  # a section that could not run says why in its text
        result = rc.Section(body=result)
    if result.headline:
        result.headline.anchor = slug(mod.TITLE)
    rc.log(f"section {name}: done in {time.monotonic() - t0:.0f} s")
    return mod.TITLE, result


def slug(title: str) -> str:
    """The heading id Python-Markdown's toc (and GitHub) give a title."""
    return re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", title).strip().lower())


# ---- the machine and the contenders ----------------------------------------------------------

def describe_machine(ctx: rc.Context) -> dict[str, str]:
    return {"cpu": cpu_model(), "cores": str(os.cpu_count()), "memory": mem_total(),
            "operating system": os_name(), "kernel": platform.release(),
            "C++ compiler": compiler(ctx.build), "Go": rc.quiet(["go", "version"]) or
            "not installed (Go's columns are skipped)",
            "hardware counters": hardware_counters(),
            "load average at the start": load_average()}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        return f"{kib / (1 << 20):.1f} GiB"
    except (OSError, IndexError, ValueError):
        return "unknown"


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def compiler(build: Path) -> str:
    """The compiler that built the benchmarks, from the build's CMake cache."""
    try:
        cache = (build / "CMakeCache.txt").read_text()
        cxx = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.*)$", cache, re.M).group(1)
        flags = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", cache, re.M)
    except (OSError, AttributeError):
        return "unknown (no CMakeCache.txt in the build)"
    version = rc.quiet([cxx, "--version"]).splitlines()
    return f"{version[0] if version else cxx}" + (f", {flags.group(1)} build" if flags else "")


def hardware_counters() -> str:
    """Whether perf can count cycles here; the report uses software events either way."""
    if shutil.which("perf") is None:
        return "unknown: perf is not installed"
    r = subprocess.run(["perf", "stat", "-x,", "-e", "cycles", "true"], capture_output=True,
                       text=True)
    if r.returncode == 0 and "<not supported>" not in r.stderr and "cycles" in r.stderr:
        return "available"
    return "not exposed by this machine (a VM): perf figures are software events only"


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_rss_mib() -> float:
    """The largest resident set of any process the report ran, and of the report itself."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(kids, me) / 1024


def package_versions() -> list[list[str]]:
    rows = []
    for pattern in PACKAGES:
        out = rc.quiet(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Package} ${Version}\\n",
                        pattern])
        found = [line.split()[1:] for line in out.splitlines() if line.startswith("ii")]
        rows += [[p, v] for p, v in found] or [[pattern, "not installed"]]
    return rows


# ---- the document ------------------------------------------------------------------------------

def write_headlines(path: Path, heads: list[rc.Headline], length: str) -> None:
    rc.write_json(path, {"length": length, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                         "headlines": heads})


def load_compare(old: Path) -> dict[str, dict]:
    data = json.loads((old / "headlines.json").read_text())
    return {h["module"]: h for h in data.get("headlines", [])} | {"_meta": data}


def render(ctx: rc.Context, length: str, machine: dict[str, str],
           results: list[tuple[str, rc.Section]], old: dict | None) -> str:
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    parts = [
        "# gort — benchmark report",
        f"Made by `./gort report` on {when}"
        + {"quick": " with **--quick** (one short round: do not quote these numbers)",
           "full": " with **--full** (the long sweeps)", "default": ""}[length]
        + f" in {rc.minutes(time.monotonic() - STARTED)} (minutes:seconds). Every figure "
          "comes from that run; the raw data (Google Benchmark JSON, CSV) sits beside this "
          "page, one directory per section.",
        "## Summary\n\n" + render_summary([r.headline for _, r in results if r.headline], old),
        "## Machine\n\n" + rc.md_table(["machine", "this run"],
                                         [[k, v] for k, v in machine.items()], "ll"),
        "## Contenders\n\n" + render_contenders(ctx),
    ]
    if ctx.notes:
        parts.append("## Notes from the run\n\n" + "\n".join(f"- {n}" for n in ctx.notes))
    for title, r in results:
        body = r.body.rstrip()
        if r.losses:
            body += "\n\n### Where gort loses\n\n" + r.losses.strip()
        parts.append(f"## {title}\n\n{body}")
    return "\n\n".join(parts) + "\n"


def render_summary(heads: list[rc.Headline], old: dict | None) -> str:
    if not heads:
        return "No section with a headline ran."
    header = ["module", "headline workload", "gort", "best other", "gort's cost ÷ best's"]
    if old is not None:
        header += ["before", "change"]
    rows = []
    for h in heads:
        row = [f"[{h.module}](#{h.anchor})", h.workload,
               rc.fmt(h.gort, 3 if h.gort and h.gort < 10 else 1, h.why or "not measured")
               + f" {h.unit}",
               f"{h.best_name}: {rc.fmt(h.best, 3 if h.best and h.best < 10 else 1, h.why or 'not measured')}",
               cost_cell(h)]
        if old is not None:
            row += compare_cells(h, old.get(h.module))
        rows.append(row)
    return ("One line per section: gort against the best other contender on the section's "
            "headline workload. The last column is gort's cost relative to that contender (its "
            "time over theirs, or their rate over gort's): **below 1.00, gort is ahead**. The "
            "spread is how far apart the rounds' ratios were.\n\n"
            + rc.md_table(header, rows, "lllll" + "rr" * (old is not None))
            + "\n\n" + rc.NOISE_NOTE)


def cost_cell(h: rc.Headline) -> str:
    if h.cost is None:
        return f"— ({h.why or 'not measured'})"
    verdict = "ahead" if h.cost < 1 else "behind" if h.cost > 1 else "level"
    spread = f", spread {h.spread:.0%}" if h.spread is not None else ", one round"
    return rc.flag(f"**{h.cost:.2f}** ({verdict}{spread})", h.spread)


def compare_cells(h: rc.Headline, before: dict | None) -> list[str]:
    if not before or before.get("cost") is None:
        return ["— (not in the earlier report)", "—  (nothing to compare)"]
    if h.cost is None:
        return [f"{before['cost']:.2f}", "— (no figure now)"]
    change = h.cost / before["cost"] - 1
    return [f"{before['cost']:.2f}", f"{change:+.0%} ({'better' if change < 0 else 'worse'})"
            if abs(change) >= 0.005 else "±0%"]


def render_contenders(ctx: rc.Context) -> str:
    rows = [[c.name, f"`{c.preload}`" if c.preload else "— (glibc's malloc: no preload)",
             c.version or "— (no Debian package owns it)",
             f"skipped: {c.missing}" if c.missing else "measured"]
            for c in ctx.contenders]
    return ("Allocators, each run as `LD_PRELOAD` of the same binaries:\n\n"
            + rc.md_table(["allocator", "LD_PRELOAD", "version", "status"], rows, "llll")
            + "\n\nLibraries and tools (Debian packages), for the containers' contenders and "
              "the measurements:\n\n"
            + rc.md_table(["package", "version"], package_versions(), "ll"))


if __name__ == "__main__":
    sys.exit(main())
