#!/usr/bin/env python3
"""report.py — runs gort's benchmarks against the other allocators and writes the report.

    /usr/bin/python3 bench/report.py --build build/release --out report   (what ./gort report runs)

  1. Finds the contenders (report_common.find_contenders): glibc, jemalloc, mimalloc,
     tcmalloc_minimal from the system, gort from --build. A missing one is listed and skipped.
  2. Runs each section in SECTIONS. A section is a module with TITLE and run(ctx) returning
     Markdown; it keeps its raw data and plots in <out>/<name>/. Later sections (slices, maps)
     are one more module and one more line in SECTIONS (escape: report_escape.py).
  3. Writes <out>/README.md: the machine, the contenders, then every section.
Nothing in the document is typed by hand: every figure comes from the measurements of the run.
Needs matplotlib: use /usr/bin/python3 (Debian's python3-matplotlib).
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

import report_common as rc

SECTIONS = [("alloc", "report_alloc"), ("macro", "report_macro"), ("slices", "report_slices"),
            ("maps", "report_maps"), ("concurrent", "report_concurrent"), ("escape", "report_escape")]
# (directory under <out>, module)


def main() -> int:
    args = parse_args()
    repo = Path(__file__).resolve().parent.parent
    ctx = rc.Context(build=args.build.resolve(), out=args.out.resolve(), repo=repo,
                     contenders=rc.find_contenders(args.build.resolve(), repo),
                     rounds=1 if args.quick else args.rounds, quick=args.quick,
                     full=args.full or os.environ.get("REPORT_FULL", "") not in ("", "0"))
    ctx.out.mkdir(parents=True, exist_ok=True)
    announce(ctx)
    machine = describe_machine()
    bodies = [run_section(ctx, name, module) for name, module in SECTIONS
              if not args.only or name in args.only]
    machine["load average at the end"] = load_average()
    (ctx.out / "README.md").write_text(render(ctx, machine, bodies))
    rc.log(f"wrote {ctx.out / 'README.md'}")
    return 0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Benchmark gort against other allocators.")
    p.add_argument("--build", type=Path, default=Path("build/release"),
                   help="CMake build directory with alloc/libgort.so and bench/ (build/release)")
    p.add_argument("--out", type=Path, default=Path("report"), help="output directory (report)")
    p.add_argument("--rounds", type=int, default=5,
                   help="interleaved rounds per contender; tables quote medians (5)")
    p.add_argument("--only", action="append", choices=[n for n, _ in SECTIONS],
                   help="run only this section (repeatable)")
    p.add_argument("--quick", action="store_true",
                   help="one short round: checks the pipeline, numbers are not to be quoted")
    p.add_argument("--full", action="store_true",
                   help="the full sweeps where a section has them (concurrent: every size and "
                        "shard count; tens of minutes); also REPORT_FULL=1")
    return p.parse_args()


def announce(ctx: rc.Context) -> None:
    for c in ctx.contenders:
        rc.log(f"contender {c.name}: " + (f"skipped ({c.missing})" if c.missing
                                           else str(c.preload or "no preload")))


def run_section(ctx: rc.Context, name: str, module: str) -> tuple[str, str]:
    mod = importlib.import_module(module)
    t0 = time.monotonic()
    rc.log(f"section {name}: start")
    body = mod.run(ctx)
    rc.log(f"section {name}: done in {time.monotonic() - t0:.0f} s")
    return mod.TITLE, body


# ---- the document --------------------------------------------------------------------------

def describe_machine() -> dict[str, str]:
    return {"cpu": cpu_model(), "cores": str(os.cpu_count()),
            "kernel": platform.release(), "load average at the start": load_average()}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def render(ctx: rc.Context, machine: dict[str, str], bodies: list[tuple[str, str]]) -> str:
    parts = [
        "# gort — benchmark report",
        f"Made by `bench/report.py` on {time.strftime('%Y-%m-%d %H:%M %Z')}"
        + (" with **--quick** (one short round: do not quote these numbers)" if ctx.quick else "")
        + (" with **--full** (the long sweeps)" if ctx.full and not ctx.quick else "")
        + ". Every figure in this document comes from that run; the raw data sits beside it.",
        "## Machine\n\n" + rc.md_table(["", ""], [[k, v] for k, v in machine.items()], "ll"),
        "## Contenders\n\n" + render_contenders(ctx),
    ]
    if ctx.notes:
        parts.append("## Notes\n\n" + "\n".join(f"- {n}" for n in ctx.notes))
    parts += [f"## {title}\n\n{body}" for title, body in bodies]
    return "\n\n".join(parts) + "\n"


def render_contenders(ctx: rc.Context) -> str:
    rows = [[c.name, f"`{c.preload}`" if c.preload else "— (no preload)",
             c.version or "—", f"skipped: {c.missing}" if c.missing else "measured"]
            for c in ctx.contenders]
    return rc.md_table(["contender", "LD_PRELOAD", "version", "status"], rows, "llll")


if __name__ == "__main__":
    sys.exit(main())
