"""report_macro.py — the macro section: whole-program workloads under every allocator.

How the section is made (run):
  1. `macro list` (bench/alloc/macro.c) names the workloads. Every (round, workload, contender)
     is one process, `macro WORKLOAD SCALE`, with the contender in LD_PRELOAD; inside each
     workload the contenders run in an order rotated every round and every workload, so load
     that comes and goes on a shared machine falls on all of them alike.
  2. A run fails when it crashes, times out, prints no JSON line, was served by another malloc
     than its contender's, or prints another checksum than the reference (glibc's, or the most
     common one without glibc): a different checksum means an object was corrupted or lost.
     A contender that failed a workload is not run on it again and not ranked on it.
  3. Per workload and contender: the median over rounds of the time (the workload's own
     measured part, see macro.c), its spread, the ratio to the fastest median, and the medians
     of peak RSS, minor faults, CPU time (user + system, of the whole run: on a loaded machine
     steadier than the wall time) and system time. Per contender: the geometric mean of its time
     ratios over the workloads every contender finished. burst-wait repeats burst-trim's
     allocation phase to read RSS later, so its time is shown but is not counted twice in the
     geometric mean.
  4. Each run is wrapped in `perf stat` (report_perf.py) for its software events: task-clock,
     page faults, context switches, CPU migrations. After the rounds, the workload where gort
     is furthest behind the fastest contender is sampled once more under gort with
     `perf record`, and drawn as a flame graph (macro/flamegraph.html, and a picture of it).
  5. Files in <out>/macro/: runs.csv and runs.json (every run, as printed), summary.json (what
     the tables show), the PNG plots and the flame graph.
Rounds: 1 with --quick, else at most 3 (--rounds can lower it), burst-wait 1 (ONE_ROUND);
--full runs every round given, burst-wait included, with three times the work.
"""
from __future__ import annotations

import json
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

import report_common as rc
import report_perf as perf

TITLE = "Macro workloads"

BAR_FACTOR = 1.25       # issue 16: gort within 1.25x of the fastest on every workload
BAR_RIVAL = "mimalloc"  # ... and its geometric mean at most 0.9x mimalloc's
BAR_GEOMEAN = 0.90
BURST_SLACK = (0.05, 16.0)  # resident after the burst within 5% + 16 MiB of the level before
DEFAULT_ROUNDS = 3
RUN_TIMEOUT = 180       # seconds for one run, far above any contender's on a loaded machine
NOT_IN_GEOMEAN = {"burst-wait"}  # nor in the bar's time checks and the losses
# burst-wait, which waits 3 s after its burst, is the longest run of the section; outside
# --full it runs in the first round only (its RSS points, the figures it is there for, vary
# little from run to run). burst-trim runs every round: its time is judged against the bar,
# and one run of it is as noisy as any other.
ONE_ROUND = {"burst-wait"}

# The amount of work per mode (macro.c's SCALE). The burst is 1 GiB at scale 1: --full runs
# that size; the default half of it, which shows the same return of memory in the time budget.
SCALES = {"quick": 0.2, "default": 0.5, "full": 3.0}
BURST_SCALES = {"quick": 0.25, "default": 0.5, "full": 1.0}

# Said under a workload's table: how to read it.
NOTES = {
    "false-sharing": "The write loops slow down only while both threads run at once; on a busy "
                     "machine they seldom do, and the times may then show no sharing that the "
                     "counts of shared objects do show.",
}

WHAT = {
    "large-churn": "20 live blocks of 5-25 MiB, each zero-filled, replaced at random",
    "xthread": "2 producer threads hand batches of small objects to 2 consumers that free them",
    "thread-churn": "rounds of 4 short-lived threads passing objects through a shared array",
    "larson": "4 chains of server threads replacing random slots of a shared array",
    "frag": "random churn of small and medium objects around long-lived survivors",
    "realloc-grow": "2 buffers at a time grown by realloc one byte at a time up to 256 KiB",
    "false-sharing": "2 threads writing 4 small objects each (time: the write loops' CPU "
                     "time; shared: how many of the first thread's objects share a cache line "
                     "with the other's, the most of any round)",
    "burst-trim": "a burst of small and large objects (1 GiB at scale 1) written and freed; "
                  "RSS after malloc_trim(0)",
    "burst-wait": "the same burst; RSS 1, 2 and 3 s after the free, no trim",
    "pairs-large": "malloc+free pairs, alternately 64 KiB and 256 KiB",
}


def run(ctx: rc.Context) -> str:
    d = ctx.section_dir("macro")
    macro = ctx.build / "bench" / "alloc" / "macro"
    if not macro.exists():
        return f"Not run: {macro} is not built (GORT_BUILD_BENCH=OFF?).\n"
    started = time.monotonic()
    mode = "quick" if ctx.quick else "full" if ctx.full else "default"
    rounds = 1 if ctx.quick else ctx.rounds if ctx.full else min(ctx.rounds, DEFAULT_ROUNDS)
    workloads = list_workloads(macro)
    runs = run_all(ctx, macro, workloads, rounds, mode)
    summary = summarize(ctx, workloads, runs, rounds, mode)
    summary["seconds"] = round(time.monotonic() - started)
    rc.write_csv(d / "runs.csv", runs)
    rc.write_json(d / "runs.json", runs)
    rc.write_json(d / "summary.json", summary)
    plots = make_plots(d, summary)
    flame = flame_section(ctx, d, macro, summary, mode)
    heap = heapmap_section(ctx, d, macro, mode)
    return rc.Section(render(summary, plots) + flame + heap, headline(summary, runs),
                      losses(summary))


# ---- 1-2. runs -----------------------------------------------------------------------------

def list_workloads(macro: Path) -> list[str]:
    r = rc.run_as(rc.Contender("glibc", None), [str(macro), "list"], timeout=30)
    return r.stdout.split()


def scale_of(workload: str, mode: str) -> float:
    return (BURST_SCALES if workload.startswith("burst") else SCALES)[mode]


def run_all(ctx: rc.Context, macro: Path, workloads: list[str], rounds: int,
            mode: str) -> list[dict]:
    """Every (round, workload, contender) once; a failed pair is recorded, not run again."""
    rows, failed = [], {}
    for r in range(rounds):
        t0 = time.monotonic()
        for i, w in enumerate(workloads):
            for c in rotated(ctx.usable(), r + i):
                if r > 0 and w in ONE_ROUND and mode == "default":
                    continue
                if (w, c.name) in failed:
                    rows.append(failed[(w, c.name)] | {"round": r})
                    continue
                row = run_one(c, macro, w, scale_of(w, mode), r)
                rows.append(row)
                if row["error"]:
                    failed[(w, c.name)] = row
                    rc.log(f"macro: {w} under {c.name} failed: {row['error']}")
        rc.log(f"macro: round {r + 1}/{rounds} in {time.monotonic() - t0:.0f} s")
    check_checksums(rows)
    return rows


def rotated(xs: list, k: int) -> list:
    k %= max(len(xs), 1)
    return xs[k:] + xs[:k]


def run_one(c: rc.Contender, macro: Path, workload: str, scale: float, rnd: int) -> dict:
    cmd = [str(macro), workload, str(scale)]
    with tempfile.NamedTemporaryFile(prefix="gort-perf-stat-") as stat:
        if perf.available():  # perf itself runs on glibc; the workload on the contender
            r = rc.run_as(rc.Contender("glibc", None),
                          perf.stat_command(perf.preload_env(c) + cmd, Path(stat.name)),
                          timeout=RUN_TIMEOUT)
        else:
            r = rc.run_as(c, cmd, timeout=RUN_TIMEOUT)
        events = perf.read_stat(Path(stat.name))
    row = {"workload": workload, "contender": c.name, "round": rnd, "error": rc.failure(r)}
    row |= {f"perf_{k.replace('-', '_')}": v for k, v in events.items()}
    if row["error"]:
        return row | {"stderr": r.stderr[-500:]}
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return row | {"error": "no JSON line in the output", "stdout": r.stdout[-500:]}
    if not rc.preload_ok(c, out.get("malloc_library", "")):
        row["error"] = f"malloc came from {out.get('malloc_library')}, not the contender"
    return row | out


def check_checksums(rows: list[dict]) -> None:
    """Marks as failed every run whose checksum is not the workload's reference."""
    for w in dict.fromkeys(r["workload"] for r in rows):
        ok = [r for r in rows if r["workload"] == w and not r["error"]]
        sums = [r["checksum"] for r in ok if r["contender"] == "glibc"] or \
               [r["checksum"] for r in ok]
        if not sums:
            continue
        ref = Counter(sums).most_common(1)[0][0]
        for r in ok:
            if r["checksum"] != ref:
                r["error"] = f"checksum {r['checksum']}, expected {ref}"
                rc.log(f"macro: {w} under {r['contender']}: {r['error']}")


# ---- 3. summary ----------------------------------------------------------------------------

SHARED_KEYS = ["active_shared_objects", "passive_shared_objects"]
RSS_KEYS = ["rss_before_mib", "rss_peak_mib", "rss_after_free_mib", "rss_after_trim_mib",
            "rss_after_1s_mib", "rss_after_2s_mib", "rss_after_3s_mib"]


def summarize(ctx: rc.Context, workloads: list[str], runs: list[dict], rounds: int,
              mode: str) -> dict:
    names = [c.name for c in ctx.usable()]
    per = {w: summarize_workload(w, names, runs) for w in workloads}
    summary = {"rounds": rounds, "mode": mode, "contenders": names,
               "scales": {w: scale_of(w, mode) for w in workloads},
               "skipped": {c.name: c.missing for c in ctx.contenders if not c.usable},
               "workloads": per}
    summary["geomean"] = geomeans(summary)
    summary["burst"] = burst_points(per)
    summary["bar"] = judge_bar(summary)
    return summary


def summarize_workload(w: str, names: list[str], runs: list[dict]) -> dict:
    by = {n: stats_of([r for r in runs if r["workload"] == w and r["contender"] == n])
          for n in names}
    meds = {n: s["time_s"] for n, s in by.items() if s["time_s"] is not None}
    best = min(meds, key=meds.get) if meds else None
    return {"by": by, "best": best, "ratio": {n: m / meds[best] for n, m in meds.items()}}


def stats_of(rows: list[dict]) -> dict:
    errors = sorted({r["error"] for r in rows if r["error"]})
    if errors or not rows:
        return {"time_s": None, "errors": errors or ["not run"]}
    times = [r["time_s"] for r in rows]
    out = {"time_s": rc.median(times), "spread": rc.spread(times), "n": len(rows),
           "min": min(times), "max": max(times), "errors": []}
    for key in SHARED_KEYS:
        xs = [r[key] for r in rows if r.get(key) is not None]
        if xs:
            out[key + "_max"] = max(xs)
    out["cpu_s"] = rc.median([r["user_s"] + r["sys_s"] for r in rows])
    for key in ["wall_s", "user_s", "sys_s", "peak_rss_kib", "minor_faults", "burst_mib",
                "perf_task_clock", "perf_page_faults", "perf_context_switches",
                "perf_cpu_migrations",
                "active_s", "passive_s", "live_mib_at_end", "rss_mib_at_end"] + SHARED_KEYS + \
               RSS_KEYS:
        xs = [r[key] for r in rows if r.get(key) is not None]
        if xs:
            out[key] = rc.median(xs)
    return out


def geomeans(summary: dict) -> dict:
    """Per contender: the geometric mean of its time ratios over the workloads that every
    contender finished, so every mean covers the same workloads (a failure shows in the tables
    and, for gort, in the bar)."""
    per = summary["workloads"]
    names = summary["contenders"]
    common = [w for w, s in per.items() if w not in NOT_IN_GEOMEAN
              and all(n in s["ratio"] for n in names)]
    out = {"workloads": common, "by": {}}
    for n in names:
        logs = [math.log(per[w]["ratio"][n]) for w in common]
        out["by"][n] = math.exp(sum(logs) / len(logs)) if logs else None
    return out


def burst_points(per: dict) -> dict:
    """Per contender and burst run ("trim", "wait"): the median RSS points, in MiB."""
    out = {}
    for w in ("burst-trim", "burst-wait"):
        for n, s in per.get(w, {}).get("by", {}).items():
            if not s["errors"]:
                out.setdefault(n, {})[w.removeprefix("burst-")] = \
                    {k: s[k] for k in RSS_KEYS + ["burst_mib"] if k in s}
    return out


def judge_bar(summary: dict) -> list[dict]:
    per = summary["workloads"]
    checks = []
    for w, s in per.items():
        if w in NOT_IN_GEOMEAN:
            continue
        g = s["by"].get("gort", {})
        check = {"what": f"time of {w}", "target": f"gort <= {BAR_FACTOR:.2f} x fastest",
                 "reference_name": s["best"]}
        if g.get("errors"):
            checks.append(check | {"met": False, "why": "gort failed: " + ", ".join(g["errors"])})
        elif s["best"] is None or "gort" not in s["ratio"]:
            checks.append(check | {"met": None, "why": "no figure"})
        else:
            ratio = s["ratio"]["gort"]
            checks.append(check | {"met": ratio <= BAR_FACTOR, "ratio": ratio, "why": ""})
    gm = summary["geomean"]["by"]
    g, m = gm.get("gort"), gm.get(BAR_RIVAL)
    check = {"what": "geometric mean of time ratios", "reference_name": BAR_RIVAL,
             "target": f"gort <= {BAR_GEOMEAN:.2f} x {BAR_RIVAL}"}
    checks.append(check | ({"met": g / m <= BAR_GEOMEAN, "ratio": g / m, "why": ""}
                           if g and m else {"met": None, "why": "no figure"}))
    checks += judge_burst(summary["burst"].get("gort", {}))
    checks += judge_sharing(per.get("false-sharing", {}).get("by", {}).get("gort", {}))
    return checks


def judge_sharing(st: dict) -> list[dict]:
    """Issue 16: objects of different threads must not share a cache line. Counted in macro.c
    from addresses (the worst of the rounds), so a busy machine cannot hide it."""
    out = []
    for key in SHARED_KEYS:
        phase = key.split("_")[0]
        check = {"what": f"false-sharing, {phase}: gort's objects on a line with another "
                         f"thread's", "target": "0"}
        got = st.get(key + "_max")
        out.append(check | ({"met": got == 0, "count": got, "why": ""} if got is not None
                            else {"met": None, "why": "no figure"}))
    return out


def judge_burst(runs: dict) -> list[dict]:
    """Each run against its own level before the burst."""
    pct, mib = BURST_SLACK
    out = []
    for run, key, when in (("trim", "rss_after_trim_mib", "after malloc_trim(0)"),
                           ("wait", "rss_after_3s_mib", "3 s after the free")):
        check = {"what": f"RSS {when}", "target": f"<= before + {pct:.0%} + {mib:.0f} MiB"}
        before = runs.get(run, {}).get("rss_before_mib")
        got = runs.get(run, {}).get(key)
        if before is None or got is None:
            out.append(check | {"met": None, "why": "no figure"})
            continue
        limit = before * (1 + pct) + mib
        out.append(check | {"met": got <= limit, "gort": got, "limit": limit, "why": ""})
    return out


# ---- the summary line, the flame graph ------------------------------------------------------

def headline(summary: dict, runs: list[dict]) -> rc.Headline:
    """The geometric mean of gort's time ratios against the contender with the best geometric
    mean; its spread from the same mean taken within each round."""
    what = ("Allocator, whole programs", "geometric mean of time over "
            f"{len(summary['geomean']['workloads'])} workloads", "× fastest")
    gm = summary["geomean"]["by"]
    others = {n: v for n, v in gm.items() if n != "gort" and v}
    if gm.get("gort") is None or not others:
        return rc.Headline(*what, None, "—", None, None, why="gort or every other failed")
    best = min(others, key=others.get)
    per_round = []
    for r in range(summary["rounds"]):  # a workload run in one round only counts its one run
        t = {(x["workload"], x["contender"]): x["time_s"] for x in runs
             if (x["round"] == r or x["workload"] in ONE_ROUND and x["round"] == 0)
             and not x["error"] and x.get("time_s")}
        logs = [math.log(t[(w, "gort")] / t[(w, best)]) for w in summary["geomean"]["workloads"]
                if (w, "gort") in t and (w, best) in t]
        if len(logs) == len(summary["geomean"]["workloads"]):
            per_round.append(math.exp(sum(logs) / len(logs)))
    spread = rc.spread(per_round) if len(per_round) > 1 else None
    return rc.Headline(*what, gm["gort"], best, others[best], gm["gort"] / others[best], spread)


FLAME_SCALE = {"quick": 0.2, "default": 1.0, "full": 1.0}


def flame_section(ctx: rc.Context, d: Path, macro: Path, summary: dict, mode: str) -> str:
    """A flame graph of gort on the workload where it is furthest behind."""
    gort = next((c for c in ctx.usable() if c.name == "gort"), None)
    ratios = {w: s["ratio"]["gort"] for w, s in summary["workloads"].items()
              if "gort" in s["ratio"] and w not in NOT_IN_GEOMEAN | ONE_ROUND}
    if gort is None or not ratios:
        return ""
    w = max(ratios, key=ratios.get)
    rc.log(f"macro: flame graph of {w} under gort")
    why = perf.flame_graph(ctx.build, gort, [str(macro), w, str(FLAME_SCALE[mode])],
                           d / "flamegraph.html", d / "flamegraph.png")
    head = (f"\n\n### Where gort's time goes on `{w}`\n\n`{w}` is the workload where gort is "
            f"furthest behind ({ratios[w]:.2f}x the fastest). ")
    if why:
        return head + f"No flame graph: {why}.\n"
    return (head + "Sampled with `perf record -e cpu-clock` (a software clock: this machine has "
            "no hardware counters) with DWARF call graphs, drawn by perf's flamegraph script "
            "with d3-flame-graph. The interactive graph: [macro/flamegraph.html]"
            "(macro/flamegraph.html).\n\n"
            + rc.figure("macro/flamegraph.png",
                        f"CPU flame graph of {w} under gort: the width of a frame is its share "
                        f"of the samples; look for allocator frames (gort::, mheap, mcentral) "
                        f"and kernel page-fault frames (clear_page, handle_mm_fault).") + "\n")


HEAPMAP_WORKLOAD = "frag"  # small and medium objects around long-lived survivors


def heapmap_section(ctx: rc.Context, d: Path, macro: Path, mode: str) -> str:
    """gort's heap at the end of HEAPMAP_WORKLOAD, drawn from its heap walk (GORT_HEAPMAP)."""
    gort = next((c for c in ctx.usable() if c.name == "gort"), None)
    if gort is None:
        return ""
    dump = d / "heapmap.txt"
    dump.unlink(missing_ok=True)
    r = rc.run_as(gort, [str(macro), HEAPMAP_WORKLOAD, str(scale_of(HEAPMAP_WORKLOAD, mode))],
                  {"GORT_HEAPMAP": str(dump)}, timeout=RUN_TIMEOUT)
    head = f"\n\n### gort's heap at the end of `{HEAPMAP_WORKLOAD}`\n\n"
    if r.returncode != 0 or not dump.exists():
        return head + f"No heap map: the run failed ({rc.failure(r) or 'no dump written'}).\n"
    import heapmap
    try:
        totals = heapmap.render(dump, d / "heapmap.png",
                                title=f"gort's heap at the end of {HEAPMAP_WORKLOAD}")
    except Exception as e:  # a malformed dump is reported, not fatal to the report
        return head + f"No heap map: the dump could not be drawn ({e}).\n"
    totals = totals if isinstance(totals, dict) else {}
    facts = ", ".join([f"{totals['spans']:,} spans"] * ("spans" in totals) + [
        f"{k.replace('_', ' ')} {totals[k] / (1 << 20):,.1f} MiB"
        for k in ("small", "large", "parked", "free", "free_resident") if k in totals])
    return (head + f"`GORT_HEAPMAP` makes gort write its heap walk at exit (every span: address, "
            f"pages, size class, objects out); `bench/heapmap.py` draws it, one pixel per 8 KiB "
            f"page. {('Totals: ' + facts + '. ') if facts else ''}The dump: `macro/heapmap.txt`."
            "\n\n" + rc.figure("macro/heapmap.png",
                                 "gort's address space at exit, one pixel per page, rows of "
                                 "rising address: colour is the size class, pale means few "
                                 "objects of the span in use (fragmentation), dark are large "
                                 "objects, yellow free pages still resident, white released.")
            + "\n")


# ---- plots ---------------------------------------------------------------------------------

def make_plots(d: Path, summary: dict) -> dict[str, str]:
    plt = rc.pyplot()
    plots = {"time ratio": plot_metric(plt, d, summary, "ratios", ratio_of,
                                       "time / fastest contender's (log, lower is better)",
                                       "time ratio to the fastest, per workload", line=BAR_FACTOR),
             "peak RSS": plot_metric(plt, d, summary, "peak_rss", peak_mib,
                                     "peak RSS, MiB (log, lower is better)",
                                     "peak resident memory, per workload"),
             "burst RSS": plot_burst(plt, d, summary)}
    return {k: v for k, v in plots.items() if v}


def ratio_of(summary: dict, w: str, n: str) -> float | None:
    return summary["workloads"][w]["ratio"].get(n)


def peak_mib(summary: dict, w: str, n: str) -> float | None:
    kib = summary["workloads"][w]["by"].get(n, {}).get("peak_rss_kib")
    return kib / 1024 if kib else None


def plot_metric(plt, d: Path, summary: dict, stem: str, value, ylabel: str, title: str,
                line: float | None = None) -> str:
    ws = list(summary["workloads"])
    names = summary["contenders"]
    if not ws or not names:
        return ""
    fig, ax = plt.subplots(figsize=(12, 5.5))
    width = 0.8 / len(names)
    for k, n in enumerate(names):
        xs = [i + (k - (len(names) - 1) / 2) * width for i in range(len(ws))]
        ys = [value(summary, w, n) for w in ws]
        ax.bar([x for x, y in zip(xs, ys) if y], [y for y in ys if y], width, label=n,
               color=rc.color(n))
        for x, y in zip(xs, ys):
            if y is None:
                ax.text(x, 1, "failed", rotation=90, ha="center", va="bottom", fontsize=7,
                        color=rc.color(n))
    if line:
        ax.axhline(line, color="black", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xticks(range(len(ws)), ws, rotation=20)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}: median of {summary['rounds']} rounds")
    return finish(plt, fig, ax, d / f"{stem}.png")


def plot_burst(plt, d: Path, summary: dict) -> str:
    """burst-wait's RSS points as a line; burst-trim's reading after the trim, another run, as
    a point of its own at the right."""
    runs = summary["burst"]
    keys = [k for k in RSS_KEYS if k != "rss_after_trim_mib"]
    if not runs:
        return ""
    fig, ax = plt.subplots(figsize=(10, 5))
    for n, r in runs.items():
        wait, trim = r.get("wait", {}), r.get("trim", {})
        xs = [i for i, k in enumerate(keys) if k in wait]
        ax.plot(xs, [wait[keys[i]] for i in xs], marker="o", label=n, color=rc.color(n),
                linewidth=2.5 if n == "gort" else 1.2)
        if "rss_after_trim_mib" in trim:
            ax.plot([len(keys)], [trim["rss_after_trim_mib"]], marker="D", color=rc.color(n))
    ax.set_xticks(range(len(keys) + 1),
                  [label_of(k) for k in keys] + ["after malloc_trim\n(its own run)"], rotation=15)
    ax.set_yscale("log")
    ax.set_ylabel("resident memory, MiB (log)")
    mib = next((r[w]["burst_mib"] for r in runs.values() for w in r if "burst_mib" in r[w]), 0)
    ax.set_title(f"a burst of {mib:.0f} MiB: resident memory before, at the peak, after the free")
    return finish(plt, fig, ax, d / "burst.png")


def label_of(key: str) -> str:
    return key.removeprefix("rss_").removesuffix("_mib").replace("_", " ")


def finish(plt, fig, ax, path: Path) -> str:
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"macro/{path.name}"


# ---- 4. Markdown ---------------------------------------------------------------------------

def render(summary: dict, plots: dict[str, str]) -> str:
    parts = [render_intro(summary), render_bar(summary),
             render_overview(summary), render_geomean(summary), render_workloads(summary),
             render_burst(summary), render_plots(plots), render_failures(summary),
             "Raw data in `macro/`: `runs.csv` and `runs.json` (every run as the program printed "
             "it), `summary.json` (everything these tables show)."]
    return "\n\n".join(p for p in parts if p) + "\n"


def render_intro(summary: dict) -> str:
    scales = sorted(set(summary["scales"].values()))
    bursts = " (burst-wait: 1)" if summary["mode"] == "default" and summary["rounds"] > 1 else ""
    return (f"`macro WORKLOAD SCALE` (bench/alloc/macro.c) runs one whole-program workload and "
            f"prints its time, CPU, peak RSS and faults; every contender runs the same binary "
            f"under LD_PRELOAD. {summary['rounds']} interleaved round(s)"
            f"{bursts}, "
            f"{summary['mode']} mode "
            f"(scale {', '.join(f'{s:g}' for s in scales)}); figures are medians of the rounds, "
            f"a contender whose checksum differs from glibc's has failed the workload. "
            f"The section took {summary['seconds']} s.")


def render_bar(summary: dict) -> str:
    rows = []
    for b in summary["bar"]:
        if b["met"] is None:
            verdict = f"undecided: {b['why']}"
        elif b["why"]:
            verdict = f"**not met**: {b['why']}"
        elif "count" in b:
            verdict = f"{'met' if b['met'] else '**not met**'} ({b['count']:.0f})"
        elif "ratio" in b:
            verdict = f"{'met' if b['met'] else '**not met**'} ({b['ratio']:.2f}x " \
                      f"{b.get('reference_name') or ''})"
        else:
            verdict = f"{'met' if b['met'] else '**not met**'} ({b['gort']:.0f} MiB, " \
                      f"limit {b['limit']:.0f})"
        rows.append([b["what"], b["target"], verdict])
    met = [b["met"] for b in summary["bar"]]
    return (f"### gort's targets\n\n{sum(m is True for m in met)} of {len(met)} checks met."
            "\n\n" + rc.md_table(["check", "target", "verdict"], rows, "lll"))


def losses(summary: dict) -> str:
    slow = [(w, s["ratio"]["gort"], s["best"]) for w, s in summary["workloads"].items()
              if s["ratio"].get("gort", 0) > BAR_FACTOR and w not in NOT_IN_GEOMEAN]
    failed = [w for w, s in summary["workloads"].items()
              if s["by"].get("gort", {}).get("errors")]
    if "gort" not in summary["contenders"]:
        return ""
    if not slow and not failed and not sharing_note(summary):
        return f"Nowhere by more than {BAR_FACTOR:.2f}x the fastest contender's time."
    text = ", ".join(f"`{w}` ({r:.2f}x {b}{faults_note(summary, w, b)})"
                     for w, r, b in sorted(slow, key=lambda x: -x[1]))
    text += "".join(f", `{w}` (failed)" for w in failed)
    text += sharing_note(summary)
    return (f"Workloads where gort takes more than {BAR_FACTOR:.2f}x the fastest contender's "
            f"time, worst first: {text.lstrip(', ')}.")


def sharing_note(summary: dict) -> str:
    by = summary["workloads"].get("false-sharing", {}).get("by", {})
    g = by.get("gort", {})
    worse = [k.split("_")[0] for k in SHARED_KEYS if g.get(k + "_max", 0) > 0]
    clean = [n for n, st in by.items() if all(st.get(k + "_max", 1) == 0 for k in SHARED_KEYS)]
    if not worse:
        return ""
    return (f"; and in `false-sharing` ({' and '.join(worse)}) gort puts objects of two threads "
            f"on one cache line" + (f", which {', '.join(clean)} never did" if clean else ""))


def faults_note(summary: dict, w: str, best: str) -> str:
    """', 12.3x the faults' when gort's minor faults explain part of a loss."""
    by = summary["workloads"][w]["by"]
    g, b = by["gort"].get("minor_faults"), by[best].get("minor_faults")
    return f"; {g / b:.1f}x its faults" if g and b and g > 2 * b else ""


def render_overview(summary: dict) -> str:
    names = summary["contenders"]
    rows = []
    for w, s in summary["workloads"].items():
        rows.append([f"`{w}`"] + [ratio_cell(s, n) for n in names])
    return ("### Time ratio to the fastest (1.00 = fastest)\n\n"
            + rc.md_table(["workload"] + names, rows))


def ratio_cell(s: dict, n: str) -> str:
    if s["by"].get(n, {}).get("errors"):
        return "failed"
    r = s["ratio"].get(n)
    if r is None:
        return "— (not run)"
    return rc.flag(f"**{r:.2f}**" if n == s["best"] else f"{r:.2f}",
                   s["by"].get(n, {}).get("spread"))


def render_geomean(summary: dict) -> str:
    gm = summary["geomean"]
    names = summary["contenders"]
    rows = [["geometric mean of time ratios"] + [rc.fmt(gm["by"][n], 2) for n in names]]
    rival = gm["by"].get(BAR_RIVAL)
    if rival:
        rows.append([f"relative to {BAR_RIVAL}"] +
                    [rc.fmt(gm["by"][n] / rival if gm["by"][n] else None, 2) for n in names])
    return (f"Over {len(gm['workloads'])} workloads ({', '.join(gm['workloads'])}):\n\n"
            + rc.md_table([""] + names, rows))


def render_workloads(summary: dict) -> str:
    parts = ["### Per workload"]
    for w, s in summary["workloads"].items():
        rows = []
        for n, st in s["by"].items():
            if st["errors"]:
                rows.append([n, "failed: " + "; ".join(st["errors"])] + [""] * 9)
                continue
            time_s = f"**{st['time_s']:.3f}**" if n == s["best"] else f"{st['time_s']:.3f}"
            rows.append([n, time_s, rc.flag(f"{100 * st['spread']:.0f}%", st["spread"]),
                         f"{s['ratio'][n]:.2f}",
                         rc.fmt(st.get("peak_rss_kib", 0) / 1024, 1),
                         rc.fmt(st.get("minor_faults"), 0), rc.fmt(st["cpu_s"], 2),
                         rc.fmt(st.get("sys_s"), 2),
                         rc.fmt(st.get("perf_context_switches"), 0, "no perf"),
                         rc.fmt(st.get("perf_cpu_migrations"), 0, "no perf"),
                         extra_cell(w, st)])
        note = f"\n\n{NOTES[w]}" if w in NOTES else ""
        parts.append(f"#### `{w}`\n\n{WHAT.get(w, '')} (scale {summary['scales'][w]:g}).{note}\n\n"
                     + rc.md_table(["contender", "time s", "spread", "/ fastest",
                                    "peak RSS MiB", "minor faults", "CPU s", "sys s",
                                    "context switches", "CPU migrations", "own figures"],
                                   rows, "lrrrrrrrrrl"))
    return "\n\n".join(parts)


def extra_cell(w: str, st: dict) -> str:
    if w == "false-sharing" and "active_s" in st:
        return (f"active {st['active_s']:.3f} s, {st['active_shared_objects_max']:.0f} shared; "
                f"passive {st['passive_s']:.3f} s, {st['passive_shared_objects_max']:.0f} shared")
    if w == "frag" and "live_mib_at_end" in st:
        return f"RSS {st['rss_mib_at_end']:.0f} MiB for {st['live_mib_at_end']:.0f} MiB live"
    return ""


def render_burst(summary: dict) -> str:
    runs = summary["burst"]
    if not runs:
        return ""
    keys = [k for k in RSS_KEYS if k != "rss_after_trim_mib"]
    rows = [[n] + [rc.fmt(r.get("wait", {}).get(k), 1) for k in keys]
            + [rc.fmt(r.get("trim", {}).get("rss_after_trim_mib"), 1)] for n, r in runs.items()]
    return ("### Resident memory around the burst\n\nMiB, medians. All but the last column come "
            "from burst-wait's run (no trim); the last from burst-trim's.\n\n"
            + rc.md_table(["contender"] + [label_of(k) for k in keys] + ["after malloc_trim"],
                          rows))


CAPTIONS = {
    "time ratio": "Each workload's time over the fastest contender's, log scale: 1 is the "
                  "fastest; the dotted line is 1.25x. Look for gort's red bars above it.",
    "peak RSS": "Peak resident memory per workload, log scale: lower is leaner.",
    "burst RSS": "Resident memory around a 1 GiB burst, log scale: a good allocator comes back "
                 "down to where it started, after malloc_trim (diamonds) and after waiting.",
}


def render_plots(plots: dict[str, str]) -> str:
    return rc.plots_section(plots, CAPTIONS)


def render_failures(summary: dict) -> str:
    lines = [f"- `{w}` under {n}: {', '.join(st['errors'])}"
             for w, s in summary["workloads"].items() for n, st in s["by"].items()
             if st["errors"]]
    return "### Failures\n\n" + "\n".join(lines) if lines else ""
