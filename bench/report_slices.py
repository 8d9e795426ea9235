"""report_slices.py — the slices section of the report: gort::slice against std::vector.

How the section is made (run):
  1. bench-slices (bench/slices/) runs whole, once per allocator and round: glibc (no
     preload) and gort (LD_PRELOAD=libgort.so), in a rotated order inside each round. Both
     gort::slice and std::vector allocate through malloc in that binary, so one run measures
     every container on one allocator. Other allocators of the report are not run here.
  2. Each case "<case>/<contender>/<n>" is read as ns per element (CPU time); the figure is
     the median of the rounds. Growth counters (allocations, MiB allocated, MiB copied per
     append sequence) and the retention counters come from the same runs.
  3. The bar of issue 3: append one by one (s = append(s, v)) within BAR_APPEND x
     std::vector::push_back, range-for within BAR_RANGE x a raw pointer loop, for every n and
     both allocators. A ratio is the median over rounds of the ratio within each round (the
     two cases ran in the same process, randomly interleaved), which the machine's load
     moves less than a ratio of medians taken from different minutes.
  4. Files in <out>/slices/: runs.json (raw Google Benchmark JSON), times.csv (one row per
     case, contender, allocator and round), summary.json (what the tables show), PNG plots.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import report_common as rc

TITLE = "Slices"

BAR_APPEND = 1.10
BAR_RANGE = 1.05
ALLOCATORS = ["glibc", "gort"]
MIN_TIME = "0.05"
RUN_TIMEOUT = 900
GROUPS = {  # case -> (title, reference contender for the ratio column)
    "append1": ("append one int64 at a time", "vector"),
    "bulk": ("append int64 in chunks of 1000", "vector"),
    "read": ("indexed read loop (sum)", "raw"),
    "write": ("indexed write loop", "raw"),
    "range": ("range-for (sum)", "raw"),
    "copy": ("copy", "raw"),
    "sub": ("sub-slice s[i:i+8] in a loop", "raw"),
}


def run(ctx: rc.Context) -> str:
    d = ctx.section_dir("slices")
    bench = ctx.build / "bench" / "slices" / "bench-slices"
    if not bench.exists():
        return f"Not run: {bench} is not built (GORT_BUILD_BENCH=OFF?).\n"
    allocs = [c for c in ctx.usable() if c.name in ALLOCATORS]
    if not allocs:
        return "Not run: neither glibc nor gort is usable as an allocator.\n"
    started = time.monotonic()
    rows, raw = measure(ctx, bench, allocs)
    summary = summarize(rows, [c.name for c in allocs], ctx)
    summary["seconds"] = round(time.monotonic() - started)
    rc.write_json(d / "runs.json", raw)
    rc.write_csv(d / "times.csv", rows)
    rc.write_json(d / "summary.json", summary)
    plots = make_plots(d, summary)
    return rc.Section(render(summary, plots), headline(summary), losses(summary))


# ---- 1, 2. measuring -----------------------------------------------------------------------

def measure(ctx: rc.Context, bench: Path, allocs: list[rc.Contender]):
    rows, raw = [], []
    rounds = 1 if ctx.quick else min(ctx.rounds, 3)
    min_time = "0.01" if ctx.quick else MIN_TIME
    for r in range(rounds):
        t0 = time.monotonic()
        for c in allocs[r % len(allocs):] + allocs[:r % len(allocs)]:
            # Random interleaving: no contender always runs right after the same neighbour
            # (the order of benchmarks moved ratios on the shared machine; main.cc, range).
            cmd = [str(bench), "--benchmark_format=json", f"--benchmark_min_time={min_time}",
                   "--benchmark_enable_random_interleaving=true"]
            res = rc.run_as(c, cmd, timeout=RUN_TIMEOUT)
            err = rc.failure(res)
            if err:
                rows.append({"allocator": c.name, "round": r, "error": err})
                raw.append({"allocator": c.name, "round": r, "stderr": res.stderr[-2000:]})
                continue
            out = json.loads(res.stdout)
            raw.append({"allocator": c.name, "round": r, "output": out})
            lib = out["context"].get("malloc_library", "")
            bad = "" if rc.preload_ok(c, lib) else f"malloc came from {lib}"
            rows += [row_of(b, c.name, r, bad) for b in out["benchmarks"]]
        rc.log(f"slices: round {r + 1}/{rounds} in {time.monotonic() - t0:.0f} s")
    return rows, raw


def row_of(b: dict, alloc: str, rnd: int, error: str) -> dict:
    parts = b["name"].split("/")
    ips = b.get("items_per_second")
    row = {"case": parts[0], "contender": parts[1], "n": int(parts[2]) if len(parts) > 2 and
           parts[2].isdigit() else 0, "allocator": alloc, "round": rnd, "error": error,
           "ns_per_elem": 1e9 / ips if ips else None, "cpu_time": b.get("cpu_time"),
           "time_unit": b.get("time_unit"), "iterations": b.get("iterations")}
    for k in ("allocs", "alloc_MiB", "copied_MiB", "resident_MiB", "held_MiB"):
        if k in b:
            row[k] = b[k]
    return row


# ---- 3. summary and the bar ----------------------------------------------------------------

def summarize(rows: list[dict], allocs: list[str], ctx: rc.Context) -> dict:
    ok = [r for r in rows if not r.get("error") and "case" in r]
    cells: dict = {}
    for r in ok:
        key = f"{r['case']}/{r['n']}"
        cell = cells.setdefault(key, {}).setdefault(r["allocator"], {}).setdefault(
            r["contender"], {"ns": [], "by_round": {}, "extra": {}})
        if r["ns_per_elem"] is not None:
            cell["ns"].append(r["ns_per_elem"])
            cell["by_round"][str(r["round"])] = r["ns_per_elem"]
        for k in ("allocs", "alloc_MiB", "copied_MiB", "resident_MiB", "held_MiB"):
            if k in r:
                cell["extra"].setdefault(k, []).append(r[k])
    for per_alloc in cells.values():
        for per_cont in per_alloc.values():
            for cell in per_cont.values():
                cell["median"] = rc.median(cell["ns"])
                cell["spread"] = rc.spread(cell["ns"])
                cell["extra"] = {k: rc.median(v) for k, v in cell["extra"].items()}
    errors = sorted({f"{r['allocator']}: {r['error']}" for r in rows if r.get("error")})
    summary = {"allocators": allocs, "cells": cells, "errors": errors,
               "rounds": 1 if ctx.quick else min(ctx.rounds, 3)}
    summary["bar"] = judge(summary)
    return summary


def median_of(summary: dict, case: str, n: int, alloc: str, who: str):
    return summary["cells"].get(f"{case}/{n}", {}).get(alloc, {}).get(who, {}).get("median")


def ns_of(summary: dict, case: str) -> list[int]:
    return sorted({int(k.split("/")[1]) for k in summary["cells"] if k.startswith(case + "/")})


def judge(summary: dict) -> list[dict]:
    checks = []
    for alloc in summary["allocators"]:
        for n in ns_of(summary, "append1"):
            checks.append(check(summary, "append1", n, alloc, "gort", "vector", BAR_APPEND,
                                "s = gort::append(s, v) vs push_back"))
            checks.append(check(summary, "append1", n, alloc, "gort_move", "vector", BAR_APPEND,
                                "s = gort::append(std::move(s), v) vs push_back (for comparison)",
                                bar=False))
            checks.append(check(summary, "append1", n, alloc, "go_raw", "vector", BAR_APPEND,
                                "Go's growth on a bare array (malloc, copy, free) vs push_back "
                                "(for comparison: the floor)", bar=False))
            checks.append(check(summary, "append1", n, alloc, "gort", "go_raw", BAR_APPEND,
                                "s = gort::append(s, v) vs Go's growth on a bare array "
                                "(for comparison: above the floor)", bar=False))
        for n in ns_of(summary, "range"):
            checks.append(check(summary, "range", n, alloc, "gort", "raw", BAR_RANGE,
                                "range-for vs raw pointer loop"))
    return checks


def check(summary, case, n, alloc, who, ref, factor, what, bar=True) -> dict:
    g, r = median_of(summary, case, n, alloc, who), median_of(summary, case, n, alloc, ref)
    out = {"what": what, "case": case, "n": n, "allocator": alloc, "who": who, "gort": g,
           "reference": r, "target": f"<= {factor:.2f}x", "bar": bar}
    cell = summary["cells"].get(f"{case}/{n}", {}).get(alloc, {})
    gr, rr = cell.get(who, {}).get("by_round", {}), cell.get(ref, {}).get("by_round", {})
    per_round = [gr[k] / rr[k] for k in gr if k in rr and rr[k]]
    if not per_round:
        return out | {"met": None, "ratio": None}
    ratio = rc.median(per_round)
    return out | {"met": ratio <= factor, "ratio": ratio, "round_ratios": per_round}


# ---- 4. plots ------------------------------------------------------------------------------

def make_plots(d: Path, summary: dict) -> list[str]:
    plt = rc.pyplot()
    out = []
    for case in ("append1", "bulk"):
        p = plot_case(plt, d, summary, case)
        if p:
            out.append(p)
    p = plot_loops(plt, d, summary)
    if p:
        out.append(p)
    return out


def contenders_of(summary: dict, case: str) -> list[str]:
    seen = []
    for key, per_alloc in summary["cells"].items():
        if key.startswith(case + "/"):
            for per_cont in per_alloc.values():
                seen += [c for c in per_cont if c not in seen]
    return seen


def plot_case(plt, d: Path, summary: dict, case: str) -> str:
    ns = ns_of(summary, case)
    conts = contenders_of(summary, case)
    if not ns or not conts:
        return ""
    allocs = summary["allocators"]
    fig, axes = plt.subplots(1, len(allocs), figsize=(6 * len(allocs), 4.8), squeeze=False)
    for ax, alloc in zip(axes[0], allocs):
        width = 0.8 / len(conts)
        for k, c in enumerate(conts):
            ys = [median_of(summary, case, n, alloc, c) or 0 for n in ns]
            xs = [i + (k - (len(conts) - 1) / 2) * width for i in range(len(ns))]
            ax.bar(xs, ys, width, label=c, color=rc.color(c))
        ax.set_xticks(range(len(ns)), [f"n={n:,}" for n in ns])
        ax.set_yscale("log")
        ax.set_ylabel("ns per element (CPU, log, lower is better)")
        ax.set_title(f"{GROUPS[case][0]} — malloc: {alloc}")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = d / f"{case}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"slices/{path.name}"


def plot_loops(plt, d: Path, summary: dict) -> str:
    cases = [c for c in ("read", "write", "range", "copy", "sub") if ns_of(summary, c)]
    if not cases:
        return ""
    alloc = summary["allocators"][0]
    labels, values = [], {}
    for case in cases:
        for n in ns_of(summary, case):
            labels.append(f"{case}\nn={n:,}")
            for c in contenders_of(summary, case):
                family = c.split("_")[0] if c != "gort_unchecked" else c
                values.setdefault(family, []).append(None)
                values[family][-1] = median_of(summary, case, n, alloc, c)
            for v in values.values():
                v += [None] * (len(labels) - len(v))
    fig, ax = plt.subplots(figsize=(12, 4.8))
    width = 0.8 / max(len(values), 1)
    for k, (name, ys) in enumerate(values.items()):
        xs = [i + (k - (len(values) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, [y or 0 for y in ys], width, label=name, color=rc.color(name))
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("ns per element (log, lower is better)")
    ax.set_title(f"loops over the elements — malloc: {alloc}")
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = d / "loops.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"slices/{path.name}"


# ---- the summary line and the losses -------------------------------------------------------

HEADLINE_N = 100_000


def headline(summary: dict) -> rc.Headline:
    """s = gort::append(s, v) against std::vector::push_back, HEADLINE_N elements, on gort's
    malloc when it ran (glibc's otherwise); the ratio pairs the cases of one process."""
    alloc = "gort" if "gort" in summary["allocators"] else summary["allocators"][0]
    what = ("Slices", f"append one int64 at a time, {HEADLINE_N:,} elements (malloc: {alloc})",
            "ns per element")
    b = next((b for b in summary["bar"] if b["case"] == "append1" and b["n"] == HEADLINE_N
              and b["allocator"] == alloc and b["bar"]), None)
    if b is None or b["ratio"] is None:
        return rc.Headline(*what, None, "std::vector", None, None, why="case not run")
    rs = b.get("round_ratios", [])
    return rc.Headline(*what, b["gort"], "std::vector", b["reference"], b["ratio"],
                       rc.spread(rs) if len(rs) > 1 else None)


def losses(summary: dict) -> str:
    lines = []
    for b in summary["bar"]:
        if b["met"] is False and b.get("who") != "go_raw":  # the floor runs no gort code
            lines.append((b["ratio"], f"{b['what']}, n = {b['n']:,}, malloc {b['allocator']}: "
                                      f"{b['ratio']:.2f}x (target {b['target']})"))
    for case, (title, ref) in GROUPS.items():
        for n in ns_of(summary, case):
            for alloc in summary["allocators"]:
                r = median_of(summary, case, n, alloc, ref)
                g = median_of(summary, case, n, alloc, "gort")
                if case not in ("append1", "range") and g and r and g > LOSS_FACTOR * r:
                    lines.append((g / r, f"{title}, n = {n:,}, malloc {alloc}: gort "
                                         f"{g / r:.2f}x `{ref}`"))
    if not lines:
        return (f"Nowhere: every target is met, and on no loop is gort more than "
                f"{LOSS_FACTOR:.2f}x its reference.")
    return (f"Targets missed, and loops where gort takes more than {LOSS_FACTOR:.2f}x its "
            f"reference's time, worst first:\n\n" + rc.worst_first(lines))


LOSS_FACTOR = 1.10
CAPTIONS = {
    "append1": "Appending one int64 at a time, log scale: gort's appends (red shades) against "
               "std::vector::push_back (olive), on each malloc.",
    "bulk": "Appending in chunks of 1000, log scale: gort against std::vector's insert.",
    "loops": "Loops over the elements, log scale: gort's bars against the raw pointer loop "
             "(black) and std::span; equal heights mean the abstraction costs nothing.",
}


# ---- 5. Markdown ---------------------------------------------------------------------------

def render(summary: dict, plots: list[str]) -> str:
    parts = [intro(summary), render_bar(summary), render_growth(summary)]
    parts += [render_group(summary, case) for case in GROUPS if ns_of(summary, case)]
    parts += [render_retention(summary)]
    parts += [rc.figure(p, CAPTIONS.get(Path(p).stem, p)) for p in plots]
    if summary["errors"]:
        parts.append("Failed runs: " + "; ".join(summary["errors"]))
    parts.append("Raw data: `slices/runs.json`, `slices/times.csv`, `slices/summary.json`.")
    return "\n\n".join(p for p in parts if p) + "\n"


def intro(summary: dict) -> str:
    spreads = [cell["spread"] for per_alloc in summary["cells"].values()
               for per_cont in per_alloc.values() for cell in per_cont.values()
               if cell.get("spread") is not None]
    worst = max(spreads, default=None)
    return (f"gort::slice (`slices/slice.h`) against std::vector and a raw array, int64 "
            f"elements, one binary run per allocator ({', '.join(summary['allocators'])}; "
            f"gort::slice and std::vector both allocate through that malloc). Figures are "
            f"CPU ns per element, medians of {summary['rounds']} rounds; the widest "
            f"(max - min) / median of a cell was {rc.fmt(None if worst is None else 100 * worst, 0)}%. "
            f"`gort` appends as users write it, `s = gort::append(s, v)`: the result "
            f"borrows s's array (no reference counting) and, when nobody shares that array, "
            f"growth reallocates it in place with Go's capacities. `gort_move` appends "
            f"through an rvalue, whose uniquely owned array grows in place the same way; "
            f"`gort_made` appends into `make(0, n)` and never grows. `go_raw` is no "
            f"container: a bare array grown to Go's capacities by malloc, a copy and free, as "
            f"Go's runtime grows a slice — the floor under any append that keeps Go's "
            f"capacities on a malloc that cannot grow a block in place; where push_back beats "
            f"it, the difference is Go's growth rule (from 256 elements on it grows by less "
            f"than 2x, so it allocates and copies more), not gort's code. The section took "
            f"{summary['seconds']} s.")


def render_bar(summary: dict) -> str:
    bar = [b for b in summary["bar"] if b["bar"]]
    met = [b["met"] for b in bar]
    overall = ("met" if met and all(m is True for m in met) else
               "not met" if any(m is False for m in met) else "undecided (missing figures)")
    rows = [[b["what"], f"{b['n']:,}", b["allocator"], rc.fmt(b["gort"], 3),
             rc.fmt(b["reference"], 3), b["target"],
             "— (no figure)" if b["met"] is None else
             f"{'met' if b['met'] else '**not met**'} ({rc.fmt(b['ratio'], 2)}x)"]
            for b in summary["bar"]]
    return (f"### gort's targets\n\nOverall: **{overall}** ({sum(m is True for m in met)} of "
            f"{len(met)} checks met; rows marked 'for comparison' are not targets). The ns "
            "columns are medians of the rounds; the verdict's ratio is the median of the ratios "
            "within each round (the two cases ran interleaved in one process).\n\n"
            + rc.md_table(["check", "n", "malloc", "gort ns/elem", "reference ns/elem",
                           "target", "verdict"], rows))


def render_growth(summary: dict) -> str:
    rows = []
    for n in ns_of(summary, "append1"):
        for c in ("gort", "gort_move", "go_raw", "vector"):
            cell = summary["cells"][f"append1/{n}"].get(summary["allocators"][0], {}).get(c)
            if not cell:
                continue
            e = cell["extra"]
            rows.append([f"{n:,}", c, rc.fmt(e.get("allocs"), 0), rc.fmt(e.get("alloc_MiB"), 2),
                         rc.fmt(e.get("copied_MiB"), 2)])
    if not rows:
        return ""
    return ("### Growth per append sequence\n\nAllocations, MiB allocated and MiB copied by "
            "growth for one sequence of n appends (counted by the benchmark from the "
            "capacities it observed). Go's 1.25x steps past 256 elements allocate and copy "
            "more than doubling; growing in place (gort, gort_move) copies nothing itself — "
            "realloc may still move a block, by remapping pages when it is large.\n\n"
            + rc.md_table(["n", "contender", "allocations", "MiB allocated", "MiB copied"],
                          rows))


def render_group(summary: dict, case: str) -> str:
    title, ref = GROUPS[case]
    conts = contenders_of(summary, case)
    head = ["n", "malloc"] + conts
    rows = []
    for n in ns_of(summary, case):
        for alloc in summary["allocators"]:
            r = median_of(summary, case, n, alloc, ref)
            cells = []
            for c in conts:
                m = median_of(summary, case, n, alloc, c)
                ratio = f" ({m / r:.2f}x)" if m is not None and r else ""
                cell = summary["cells"].get(f"{case}/{n}", {}).get(alloc, {}).get(c, {})
                cells.append(rc.flag(rc.fmt(m, 3, "not run") + ratio, cell.get("spread")))
            rows.append([f"{n:,}", alloc] + cells)
    return (f"### {title}\n\nns per element; in brackets, times the `{ref}` column.\n\n"
            + rc.md_table(head, rows))


def render_retention(summary: dict) -> str:
    rows = []
    for alloc in summary["allocators"]:
        for c in ("kept", "cloned"):
            cell = summary["cells"].get("retain/0", {}).get(alloc, {}).get(c)
            if cell:
                e = cell["extra"]
                rows.append([alloc, c, rc.fmt(e.get("held_MiB"), 3),
                             rc.fmt(e.get("resident_MiB"), 1)])
    if not rows:
        return ""
    return ("### Retention\n\nA 64 MiB array is filled, a 16-byte sub-slice kept and the big "
            "slice dropped. `kept`: the sub-slice keeps the whole array alive (as in Go); "
            "`cloned`: `s = gort::clone(s)` copies the 16 bytes out and the array dies. "
            "MiB held = the backing array the kept slice holds; resident = the process's "
            "RSS at that moment (an allocator may keep freed pages resident).\n\n"
            + rc.md_table(["malloc", "variant", "MiB held", "resident MiB"], rows))
