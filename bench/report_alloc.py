"""report_alloc.py — the allocator section of the report: gort against the other mallocs.

How the section is made (run):
  1. Times. bench-alloc (bench/alloc/) lists its cases; every (round, case, contender) is one
     process running only that case, the contenders in a rotated order inside each case, so
     load that comes and goes on a shared machine falls on all of them alike, and a contender
     that crashes in one case loses only that case. One-thread cases are read as ns per
     malloc+free pair (CPU time), two-thread cases as million pairs per second (wall time).
     Each figure is the median of the rounds.
  2. Instructions. pairs (bench/alloc/pairs.c) runs under callgrind with the contender in
     LD_PRELOAD (set for valgrind itself, which passes it on to the program it runs), once
     with N = 100000 and once with N = 200000 pairs; (total(2N) - total(N)) / N is the cost of
     one pair with start-up and exit cancelled.
  3. Files in <out>/alloc/: times.csv (one row per run), runs.json (the raw Google Benchmark
     output), instructions.csv, summary.json (what the tables show), and the PNG plots.
  4. The Markdown: gort's targets judged from the data, tables and plots; the summary line
     (HEADLINE_CASE against the fastest other contender, the ratio paired within each round)
     and the cases where gort is behind the fastest (losses).
A case runs for BENCH_MIN_TIME = 0.05 s per process by default (0.02 with --quick, the
benchmark's own 0.2 with --full).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import report_common as rc

TITLE = "Allocator"

# The bar gort is held to (issue text): instructions <= mimalloc's on both callgrind patterns;
# time <= BAR_FACTOR x the fastest contender on these cases.
BAR_TIME_CASES = ["pair/64", "batch/64x100", "batch/64x1000", "batch/mixed1000"]
BAR_FACTOR = 1.10
BAR_RIVAL = "mimalloc"
HEADLINE_CASE = "pair/64"
LOSS_FACTOR = 1.10  # a case where gort takes more than this times the fastest is a loss

CALLGRIND_N = (100_000, 200_000)
LARGEST_SMALL = 32 << 10  # gort's small/large boundary (alloc/sizeclasses.h kMaxSmallSize)
MODES = {0: "malloc(64)-free loop", 1: "rounds of 100 mallocs of 64 B, then 100 frees"}
RUN_TIMEOUT = 30  # seconds for one bench-alloc process (one case, normally < 1 s)


def run(ctx: rc.Context) -> str:
    d = ctx.section_dir("alloc")
    bench = ctx.build / "bench" / "alloc" / "bench-alloc"
    pairs = ctx.build / "bench" / "alloc" / "pairs"
    if not bench.exists() or not pairs.exists():
        return f"Not run: {bench} or {pairs} is not built (GORT_BUILD_BENCH=OFF?).\n"
    started = time.monotonic()
    cases = list_cases(bench)
    times, raw = time_cases(ctx, bench, cases)
    counts = count_instructions(ctx, pairs)
    summary = summarize(ctx, cases, times, counts)
    summary["seconds"] = round(time.monotonic() - started)
    save(d, times, raw, counts, summary)
    plots = make_plots(d, summary)
    return rc.Section(render(ctx, summary, plots), headline(summary), losses(summary))


# ---- 1. times ------------------------------------------------------------------------------

def list_cases(bench: Path) -> list[str]:
    out = subprocess.run([str(bench), "--benchmark_list_tests"], capture_output=True, text=True,
                         check=True, env=rc.contender_env(rc.Contender("glibc", None))).stdout
    return list(dict.fromkeys(case_name(line) for line in out.split() if line.strip()))


def case_name(run_name: str) -> str:
    """'xthread/ring/min_time:0.200/real_time/threads:2' -> 'xthread/ring'."""
    extra = re.compile(r"^(min_time:.*|real_time|threads:\d+|process_time|manual_time)$")
    return "/".join(p for p in run_name.split("/") if not extra.match(p))


def is_rate(case: str) -> bool:
    """Two-thread cases are throughputs (higher is better); the rest are ns per pair."""
    return case.startswith(("xthread/", "threads2/"))


def time_cases(ctx: rc.Context, bench: Path, cases: list[str]) -> tuple[list[dict], list[dict]]:
    """Every (round, case, contender) once. A contender that failed a case (crash, hang) is
    not run on it again: the later rounds record the first failure."""
    rows, raw, failed = [], [], {}
    extra = {"BENCH_MIN_TIME": "0.02" if ctx.quick else "0.05"} if not ctx.full else {}
    for r in range(ctx.rounds):
        t0 = time.monotonic()
        for i, case in enumerate(cases):
            for c in rotated(ctx.usable(), r + i):
                if (case, c.name) in failed:
                    rows.append(failed[(case, c.name)] | {"round": r, "wall_s": 0.0})
                    continue
                row, out = time_one(c, bench, case, r, extra)
                rows.append(row)
                raw.append({"contender": c.name, "round": r, "case": case, "output": out})
                if row["error"]:
                    failed[(case, c.name)] = row
                    rc.log(f"alloc: {case} under {c.name} failed: {row['error']}")
        rc.log(f"alloc: round {r + 1}/{ctx.rounds} timed in {time.monotonic() - t0:.0f} s")
    return rows, raw


def rotated(xs: list, k: int) -> list:
    k %= max(len(xs), 1)
    return xs[k:] + xs[:k]


def time_one(c: rc.Contender, bench: Path, case: str, rnd: int, extra: dict) -> tuple[dict, dict]:
    cmd = [str(bench), f"--benchmark_filter=^{case}(/|$)", "--benchmark_format=json"]
    t0 = time.monotonic()
    r = rc.run_as(c, cmd, extra, timeout=RUN_TIMEOUT)
    row = {"case": case, "contender": c.name, "round": rnd, "value": None,
           "unit": "Mpairs/s" if is_rate(case) else "ns/pair", "error": rc.failure(r),
           "wall_s": round(time.monotonic() - t0, 3)}
    out = parse_output(r.stdout) if not row["error"] else None
    if out is None:
        row["error"] = row["error"] or "no benchmark result in the output"
        return row, {"stdout": r.stdout[-2000:], "stderr": r.stderr[-2000:]}
    lib = out["context"].get("malloc_library", "")
    if not rc.preload_ok(c, lib):
        row["error"] = f"malloc came from {lib}, not the contender"
    row.update(read_entry(case, out["benchmarks"][0]))
    return row, out


def parse_output(stdout: str) -> dict | None:
    try:
        out = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    return out if out.get("benchmarks") else None


def read_entry(case: str, b: dict) -> dict:
    ips = b.get("items_per_second")
    value = None if not ips else (ips / 1e6 if is_rate(case) else 1e9 / ips)
    return {"value": value, "items_per_second": ips, "iterations": b.get("iterations"),
            "real_time": b.get("real_time"), "cpu_time": b.get("cpu_time"),
            "time_unit": b.get("time_unit")}


# ---- 2. instructions -----------------------------------------------------------------------

def count_instructions(ctx: rc.Context, pairs: Path) -> list[dict]:
    if shutil.which("valgrind") is None:
        ctx.notes.append("valgrind not found: no instruction counts.")
        return []
    rows = []
    with tempfile.TemporaryDirectory(prefix="gort-callgrind-") as tmp:
        for c in ctx.usable():
            for mode in MODES:
                rows += [count_one(c, pairs, n, mode, Path(tmp)) for n in CALLGRIND_N]
    rc.log("alloc: instruction counts done")
    return rows


def count_one(c: rc.Contender, pairs: Path, n: int, mode: int, tmp: Path) -> dict:
    out = tmp / f"callgrind.{c.name}.{mode}.{n}"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(pairs),
           str(n), str(mode)]
    r = rc.run_as(c, cmd, timeout=900)
    row = {"contender": c.name, "mode": mode, "n": n, "collected": None, "error": rc.failure(r)}
    m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
    lib = r.stdout.split("malloc_library ", 1)[-1].split("\n", 1)[0] if r.stdout else ""
    if not row["error"] and not rc.preload_ok(c, lib):
        row["error"] = f"malloc came from {lib!r}, not the contender"
    if not row["error"] and m is None:
        row["error"] = "no 'Collected :' line from callgrind"
    if not row["error"]:
        row["collected"] = int(m.group(1))
    return row


def per_pair(counts: list[dict], name: str, mode: int) -> tuple[float | None, str]:
    got = {r["n"]: r for r in counts if r["contender"] == name and r["mode"] == mode}
    errors = [f"N={n}: {r['error']}" for n, r in sorted(got.items()) if r["error"]]
    if errors or len(got) != len(CALLGRIND_N):
        return None, "; ".join(errors) or "not run"
    lo, hi = CALLGRIND_N
    return (got[hi]["collected"] - got[lo]["collected"]) / (hi - lo), ""


# ---- 3. summary ----------------------------------------------------------------------------

def summarize(ctx: rc.Context, cases: list[str], times: list[dict], counts: list[dict]) -> dict:
    names = [c.name for c in ctx.usable()]
    summary = {
        "rounds": ctx.rounds, "contenders": names,
        "skipped": {c.name: c.missing for c in ctx.contenders if not c.usable},
        "cases": {case: summarize_case(case, names, times) for case in cases},
        "instructions": {str(m): summarize_mode(m, names, counts) for m in MODES},
    }
    summary["bar"] = judge_bar(summary)
    return summary


def summarize_case(case: str, names: list[str], times: list[dict]) -> dict:
    by = {n: stats_of([r for r in times if r["case"] == case and r["contender"] == n])
          for n in names}
    meds = {n: s["median"] for n, s in by.items() if s["median"] is not None}
    best = (max if is_rate(case) else min)(meds, key=meds.get) if meds else None
    ratio = {n: (meds[best] / m if is_rate(case) else m / meds[best]) for n, m in meds.items()}
    return {"rate": is_rate(case), "unit": "Mpairs/s" if is_rate(case) else "ns/pair",
            "by": by, "best": best, "ratio": ratio}


def stats_of(rows: list[dict]) -> dict:
    ok = [r["value"] for r in rows if not r["error"] and r["value"] is not None]
    errors = sorted({r["error"] for r in rows if r["error"]})
    if errors:  # a contender that failed any round of a case is not ranked on it
        return {"median": None, "min": None, "max": None, "spread": None, "n": len(ok),
                "errors": errors, "values": []}
    by_round = {r["round"]: r["value"] for r in rows if not r["error"] and r["value"] is not None}
    return {"median": rc.median(ok), "min": min(ok, default=None), "max": max(ok, default=None),
            "spread": rc.spread(ok), "n": len(ok), "errors": [],
            "values": [by_round.get(k) for k in range(max(by_round, default=-1) + 1)]}


def summarize_mode(mode: int, names: list[str], counts: list[dict]) -> dict:
    out = {}
    for n in names:
        value, error = per_pair(counts, n, mode)
        out[n] = {"per_pair": value, "error": error}
    return out


def judge_bar(summary: dict) -> list[dict]:
    checks = [judge_instructions(summary, m) for m in MODES]
    checks += [judge_time(summary, case) for case in BAR_TIME_CASES]
    return checks


def judge_instructions(summary: dict, mode: int) -> dict:
    got = summary["instructions"].get(str(mode), {})
    g, r = (got.get(n, {}).get("per_pair") for n in ("gort", BAR_RIVAL))
    check = {"what": f"instructions per pair, pattern {mode} ({MODES[mode]})",
             "target": f"gort <= {BAR_RIVAL}", "gort": g, "reference": r}
    return check | verdict(g, r, 1.0, got.get("gort", {}).get("error", ""))


def judge_time(summary: dict, case: str) -> dict:
    s = summary["cases"].get(case)
    check = {"what": f"time of {case}", "target": f"gort <= {BAR_FACTOR:.2f} x fastest"}
    if s is None:
        return check | {"gort": None, "reference": None, "met": None, "why": "case not run"}
    g = s["by"].get("gort", {}).get("median")
    best = s["best"]
    ref = s["by"][best]["median"] if best else None
    check |= {"gort": g, "reference": ref, "reference_name": best}
    errors = ", ".join(s["by"].get("gort", {}).get("errors", []))
    return check | verdict(g, ref, BAR_FACTOR, errors)


def verdict(gort: float | None, ref: float | None, factor: float, gort_error: str) -> dict:
    """A gort that failed the case misses the bar; a missing reference leaves it undecided."""
    if gort_error:
        return {"met": False, "why": f"gort failed: {gort_error}"}
    if gort is None or ref is None:
        return {"met": None, "why": "no figure for gort or the reference"}
    return {"met": gort <= factor * ref, "ratio": gort / ref, "why": ""}


# ---- the summary line and the losses --------------------------------------------------------

def headline(summary: dict) -> rc.Headline:
    """gort against the fastest other contender on HEADLINE_CASE."""
    what = ("Allocator", "malloc(64) + free pairs, one thread", "ns per pair")
    case = summary["cases"].get(HEADLINE_CASE)
    if case is None:
        return rc.Headline(*what, None, "—", None, None, why="case not run")
    g = case["by"].get("gort", {})
    others = {n: s["median"] for n, s in case["by"].items() if n != "gort" and s["median"]}
    if g.get("median") is None or not others:
        return rc.Headline(*what, None, "—", None, None,
                           why="gort failed" if g.get("errors") else "no other contender")
    best = min(others, key=others.get)
    cost, spread = rc.ratio_spread(list(zip(g["values"], case["by"][best]["values"])))
    return rc.Headline(*what, g["median"], best, others[best], cost, spread)


def losses(summary: dict) -> str:
    lines = []
    for case, s in summary["cases"].items():
        r = s["ratio"].get("gort")
        if r is not None and r > LOSS_FACTOR:
            lines.append((r, f"`{case}`: {r:.2f}x the time of {s['best']}"
                             + (" (a throughput case: the rate's inverse)" if s["rate"] else "")
                             + rc.flag("", s["by"]["gort"].get("spread"))))
        elif s["by"].get("gort", {}).get("errors"):
            lines.append((99, f"`{case}`: gort failed ({', '.join(s['by']['gort']['errors'])})"))
    for m, by in summary["instructions"].items():
        g, r = by.get("gort", {}).get("per_pair"), by.get(BAR_RIVAL, {}).get("per_pair")
        if g is not None and r is not None and g > r:
            lines.append((g / r, f"instructions per pair, pattern {m}: {g:.0f} against "
                                 f"{BAR_RIVAL}'s {r:.0f}"))
    if not lines:
        return (f"Nowhere in this section: on every case gort is within {LOSS_FACTOR:.2f}x of "
                f"the fastest contender, and it runs no more instructions per pair than "
                f"{BAR_RIVAL}.")
    return (f"Cases where gort takes more than {LOSS_FACTOR:.2f}x the fastest contender's time, "
            f"worst first:\n\n" + rc.worst_first(lines))


# ---- files ---------------------------------------------------------------------------------

def save(d: Path, times: list[dict], raw: list[dict], counts: list[dict], summary: dict) -> None:
    rc.write_csv(d / "times.csv", times)
    rc.write_json(d / "runs.json", raw)
    rc.write_csv(d / "instructions.csv", counts)
    rc.write_json(d / "summary.json", summary)


# ---- plots ---------------------------------------------------------------------------------

def make_plots(d: Path, summary: dict) -> dict[str, str]:
    plt = rc.pyplot()
    plots = {
        "pairs": plot_pairs(plt, d, summary),
        "batches": plot_bars(plt, d, summary, "batches", "batches, one thread",
                             [c for c in summary["cases"] if c.startswith("batch/")],
                             "ns per malloc+free pair (lower is better)"),
        "threads": plot_bars(plt, d, summary, "threads", "two threads",
                             [c for c in summary["cases"] if is_rate(c)],
                             "million pairs per second (higher is better)"),
        "instructions": plot_instructions(plt, d, summary),
    }
    return {k: v for k, v in plots.items() if v}


def size_label(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


def plot_pairs(plt, d: Path, summary: dict) -> str:
    cases = sorted((c for c in summary["cases"] if c.startswith("pair/")),
                   key=lambda c: int(c.split("/")[1]))
    if not cases:
        return ""
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for name in summary["contenders"]:
        xs, ys, lo, hi = series(summary, cases, name)
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=name,
                    color=rc.color(name), linewidth=2.5 if name == "gort" else 1.2)
    ax.set_xticks(range(len(cases)), [size_label(int(c.split("/")[1])) for c in cases],
                  rotation=45)
    large = [i for i, c in enumerate(cases) if int(c.split("/")[1]) > LARGEST_SMALL]
    if large:
        ax.axvline(large[0] - 0.5, color="black", linestyle=":", linewidth=1)
        ax.text(large[0] - 0.45, 0.98, "large objects", transform=ax.get_xaxis_transform(),
                va="top", fontsize=9)
    ax.set_yscale("log")
    ax.set_ylabel("ns per malloc+free pair (log, lower is better)")
    ax.set_title(f"malloc+free pair by size: median of {summary['rounds']} rounds, bars min..max")
    return finish(plt, fig, ax, d / "pairs.png")


def series(summary: dict, cases: list[str], name: str):
    xs, ys, lo, hi = [], [], [], []
    for i, case in enumerate(cases):
        s = summary["cases"][case]["by"].get(name, {})
        if s.get("median") is None:
            continue
        xs.append(i)
        ys.append(s["median"])
        lo.append(s["median"] - s["min"])
        hi.append(s["max"] - s["median"])
    return xs, ys, lo, hi


def plot_bars(plt, d: Path, summary: dict, stem: str, title: str, cases: list[str],
              ylabel: str) -> str:
    if not cases:
        return ""
    values = {n: [summary["cases"][c]["by"].get(n, {}).get("median") for c in cases]
              for n in summary["contenders"]}
    fig, ax = plt.subplots(figsize=(10, 5))
    grouped_bars(ax, cases, values)
    shown = [v for vs in values.values() for v in vs if v]
    if shown and max(shown) >= 10 * min(shown):  # values that span a decade: a log scale
        ax.set_yscale("log")
        ylabel = ylabel.replace(" (", " (log, ", 1)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}: median of {summary['rounds']} rounds")
    return finish(plt, fig, ax, d / f"{stem}.png")


def plot_instructions(plt, d: Path, summary: dict) -> str:
    modes = list(summary["instructions"])
    if not any(v["per_pair"] for m in modes for v in summary["instructions"][m].values()):
        return ""
    values = {n: [summary["instructions"][m].get(n, {}).get("per_pair") for m in modes]
              for n in summary["contenders"]}
    fig, ax = plt.subplots(figsize=(10, 5))
    grouped_bars(ax, [f"pattern {m}: {MODES[int(m)]}" for m in modes], values, labels=True)
    ax.set_ylabel("instructions per malloc+free pair (callgrind)")
    ax.set_title("instructions per pair, loop included (lower is better)")
    return finish(plt, fig, ax, d / "instructions.png")


def grouped_bars(ax, groups: list[str], values: dict[str, list], labels: bool = False) -> None:
    names = list(values)
    width = 0.8 / max(len(names), 1)
    for k, name in enumerate(names):
        xs = [i + (k - (len(names) - 1) / 2) * width for i in range(len(groups))]
        ys = [v if v is not None else 0 for v in values[name]]
        bars = ax.bar(xs, ys, width, label=name, color=rc.color(name))
        if labels:
            ax.bar_label(bars, fmt="%.0f", fontsize=8)
        for x, v in zip(xs, values[name]):
            if v is None:
                ax.text(x, 0, f" {name}: no figure", rotation=90, ha="center", va="bottom",
                        fontsize=8, color=rc.color(name))
    ax.set_xticks(range(len(groups)), groups)


def finish(plt, fig, ax, path: Path) -> str:
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"alloc/{path.name}"


# ---- 4. Markdown ---------------------------------------------------------------------------

def render(ctx: rc.Context, summary: dict, plots: dict[str, str]) -> str:
    parts = [render_intro(summary), render_bar(summary),
             render_times(summary, rate=False), render_times(summary, rate=True),
             render_instructions(summary), render_plots(plots), render_failures(summary),
             render_files()]
    return "\n\n".join(p for p in parts if p) + "\n"


def render_intro(summary: dict) -> str:
    return (f"Each contender runs the same binaries under LD_PRELOAD (glibc: none). Times are "
            f"medians of {summary['rounds']} interleaved rounds; one-thread cases use CPU time, "
            f"two-thread cases wall time, which a loaded machine hurts most. "
            f"The section took {summary['seconds']} s.")


def widest_spread(summary: dict, cases: list[str]) -> str:
    """The noise of a table: the largest (max - min) / median of any of its cells, in %."""
    spreads = [s["spread"] for c in cases for s in summary["cases"][c]["by"].values()
               if s["spread"] is not None]
    return rc.fmt(100 * max(spreads), 0) + "%" if spreads else "— (one round)"


def render_bar(summary: dict) -> str:
    rows = [[b["what"], b["target"], rc.fmt(b["gort"], 2), bar_reference(b), bar_verdict(b)]
            for b in summary["bar"]]
    met = [b["met"] for b in summary["bar"]]
    overall = "met" if all(m is True for m in met) else (
        "not met" if any(m is False for m in met) else "undecided (missing figures)")
    return (f"### gort's targets\n\nOverall: **{overall}** "
            f"({sum(m is True for m in met)} of {len(met)} checks met).\n\n"
            + rc.md_table(["check", "target", "gort", "reference", "verdict"], rows, "llrrl"))


def bar_reference(b: dict) -> str:
    who = b.get("reference_name") or BAR_RIVAL
    return f"{rc.fmt(b['reference'], 2)} ({who})" if b["reference"] is not None else \
        "— (no figure for the reference)"


def bar_verdict(b: dict) -> str:
    if b["met"] is None:
        return f"undecided: {b['why']}"
    if b["why"]:
        return f"**not met**: {b['why']}"
    return f"{'met' if b['met'] else '**not met**'} ({rc.fmt(b['ratio'], 2)}x)"


def render_times(summary: dict, rate: bool) -> str:
    cases = [c for c, s in summary["cases"].items() if s["rate"] == rate]
    if not cases:
        return ""
    names = summary["contenders"]
    unit = "million pairs per second (higher is better)" if rate else \
        "ns per malloc+free pair (lower is better)"
    head = "### Two threads" if rate else "### One thread"
    medians = [[f"`{c}`"] + [cell(summary["cases"][c], n) for n in names] for c in cases]
    ratios = [[f"`{c}`"] + [ratio_cell(summary["cases"][c], n) for n in names] for c in cases]
    return (f"{head}\n\nMedian, {unit}; fastest in bold. Noise: the widest (max - min) / "
            f"median of a cell is {widest_spread(summary, cases)}.\n\n"
            + rc.md_table(["case"] + names, medians) + "\n\n" + rc.NOISE_NOTE
            + "\n\nTimes slower than the fastest contender of the case (1.00 = fastest):\n\n"
            + rc.md_table(["case"] + names, ratios))


def cell(case: dict, name: str) -> str:
    s = case["by"].get(name, {})
    if s.get("errors"):
        return "failed"
    text = rc.fmt(s.get("median"), 2, "not run")
    return rc.flag(f"**{text}**" if name == case["best"] else text, s.get("spread"))


def ratio_cell(case: dict, name: str) -> str:
    r = case["ratio"].get(name)
    return "failed" if r is None and case["by"].get(name, {}).get("errors") else \
        rc.fmt(r, 2, "not run")


def render_instructions(summary: dict) -> str:
    names = summary["contenders"]
    rows = []
    for m, by in summary["instructions"].items():
        rows.append([f"{m}: {MODES[int(m)]}"] +
                    [rc.fmt(by[n]["per_pair"], 1) if not by[n]["error"] else "failed"
                     for n in names])
    lo, hi = CALLGRIND_N
    return (f"### Instructions per pair (callgrind)\n\n`pairs N MODE` under callgrind for "
            f"N = {lo} and N = {hi}; (total({hi}) - total({lo})) / {hi - lo}. The loop's own "
            f"instructions are included, equally for all.\n\n"
            + rc.md_table(["pattern"] + names, rows))


CAPTIONS = {
    "pairs": "Time of one malloc+free pair by size, one thread, log scale: look at gort's red "
             "line against the lowest line, and at the jump past 32 KiB where large objects "
             "begin.",
    "batches": "Batches of mallocs then frees, one thread: lower bars are faster.",
    "threads": "Two threads, one allocating and one freeing (ring, batch) or both doing pairs: "
               "higher bars are faster.",
    "instructions": "Instructions per malloc+free pair counted by callgrind, repeatable from run "
                    "to run: lower is cheaper.",
}


def render_plots(plots: dict[str, str]) -> str:
    return rc.plots_section(plots, CAPTIONS)


def render_failures(summary: dict) -> str:
    lines = [f"- `{case}` under {n}: {', '.join(s['errors'])}"
             for case, c in summary["cases"].items() for n, s in c["by"].items() if s["errors"]]
    lines += [f"- instructions, pattern {m}, under {n}: {v['error']}"
              for m, by in summary["instructions"].items() for n, v in by.items() if v["error"]]
    return "### Failures\n\n" + "\n".join(lines) if lines else ""


def render_files() -> str:
    return ("Raw data in `alloc/`: `times.csv` (one row per run), `runs.json` (Google Benchmark "
            "output of every run), `instructions.csv` (callgrind totals), `summary.json` "
            "(everything these tables show).")
