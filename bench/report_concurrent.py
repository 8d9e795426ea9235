"""report_concurrent.py — the concurrent maps: one lock, a sharded map, or sync.Map? And if
sharded, how many shards?

How the section is made (run):
  1. bench-concurrent (bench/maps/concurrent.cc) holds one Google Benchmark row per (workload,
     contender): a mix of reads, sets and deletes on n prefilled uint64 keys, uniform or Zipf
     (θ = 0.99), by T real threads. Contenders: one std::mutex or std::shared_mutex around
     gort::map (the baselines), tbb::concurrent_hash_map, libcuckoo, boost::concurrent_flat_map,
     gort::sharded_map at several shard counts with a mutex or one of gort's reader-writer locks per shard,
     and gort::sync_map. The gort rows exist only when their headers do (the binary says so
     in its JSON context); without them the section says what is missing.
  2. The plan (PLANS) runs the binary a few times, each a slice of the matrix picked with its
     --cb_* flags: "grid" (every contender on every workload), "sweep" (sharded_map over the
     shard counts), "headline" (the workload of the headline, 2 threads, 90 % reads, 10^6
     uniform keys, with 1 and 2 threads for the model, REPS repetitions interleaved at
     random by Google Benchmark in one process, so the maps are built once and a ratio
     pairs runs seconds apart). Plans: quick (seconds, checks the pipeline only), default
     (a few minutes on 2 cores), full (--full or REPORT_FULL=1: every size and shard count).
  3. A figure is items_per_second (operations of all threads per second of wall time), the
     median over the runs of the row; spread = (max - min) / median. Contention comes from
     the rows' counters (contended acquisitions, wait time), where the design exposes them.
  4. The model (fit_model): Universal Scalability Law per design at the headline workload,
     fitted to its 1- and 2-thread rows on the CPU clock and the measured lock waits, then
     projected to more cores; its assumptions are written out with it.
  5. Files in <out>/concurrent/: runs.json (raw Google Benchmark JSON, one entry per
     process), rows.csv (one row per measurement), summary.json (what the text and plots
     show), and the PNG plots.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import report_common as rc

TITLE = "Concurrent maps"

# design -> label, colour; a sharded row is "<design>.<shards>"
DESIGNS = ["mutex", "shared_mutex", "tbb", "cuckoo", "boost", "sharded_mutex", "sharded_rw",
           "sharded_slots", "sharded_spin", "sync_map"]
LABELS = {"mutex": "one std::mutex + gort::map", "shared_mutex": "one std::shared_mutex + gort::map",
          "tbb": "tbb::concurrent_hash_map", "cuckoo": "libcuckoo::cuckoohash_map",
          "boost": "boost::concurrent_flat_map", "sharded_mutex": "gort::sharded_map (std::mutex)",
          "sharded_rw": "gort::sharded_map (gort::rwlock)",
          "sharded_slots": "gort::sharded_map (gort::slotted_rwlock)",
          "sharded_spin": "gort::sharded_map (gort::spin_rwlock)", "sync_map": "gort::sync_map"}
SHORT = {"mutex": "mutex", "shared_mutex": "shared_mutex", "tbb": "tbb", "cuckoo": "cuckoo",
         "boost": "boost", "sharded_mutex": "sharded/mutex", "sharded_rw": "sharded/rw",
         "sharded_slots": "sharded/slots", "sharded_spin": "sharded/spin", "sync_map": "sync_map"}
COLORS = {d: rc.color(d) for d in DESIGNS}  # one colour per contender across the report
FOREIGN = ["tbb", "cuckoo", "boost"]          # expose no contention counters
SHARDED = ["sharded_mutex", "sharded_rw", "sharded_slots", "sharded_spin"]
GORT = SHARDED + ["sync_map"]

HEADLINE = {"n": 1_000_000, "dist": "uniform", "read": 90, "threads": 2}
MIN_PARALLEL = 1.5    # cores used by a 2-thread row for the model to be fitted to it
NEAR_BEST = 0.10      # a shard count "within 10 % of the best"
MODEL_N = [1, 2, 4, 8, 16, 32, 64]
ALL_SHARDS = [1, 2, 4, 8, 16, 32, 64, 128, 256]
READS = [99, 90, 50, 10]
DISTS = ["uniform", "zipf"]
THREADS = [1, 2, 4, 8]

# A run: (name, matrix flags, extra flags). The headline run repeats its rows REPS times, each
# for headline_min_time: its ratios settle a question of a few per cent, which windows of
# min_time do not on a shared machine. It needs only the shard counts chosen_shards can pick
# (those of every 2+ thread workload: the grid's, in the default plan).
PLANS = {
    "quick": {"min_time": 0.002, "headline_min_time": 0.002, "headline_n": 1000, "runs": [
        ("grid", {"sizes": [1000], "reads": [90, 50], "dists": DISTS, "threads": [1, 2],
                  "shards": [1, 16]}, []),
        ("headline", {"sizes": [1000], "reads": [90], "dists": ["uniform"], "threads": [1, 2],
                      "shards": [1, 16]}, ["reps"]),
    ]},
    "default": {"min_time": 0.02, "headline_min_time": 0.1, "headline_n": 1_000_000, "runs": [
        ("grid", {"sizes": [1000, 1_000_000], "reads": READS, "dists": DISTS,
                  "threads": THREADS, "shards": [8, 64]}, []),
        ("sweep", {"sizes": [1000, 1_000_000], "reads": [90, 50], "dists": DISTS,
                   "threads": [2, 8], "shards": ALL_SHARDS}, ["sharded_only"]),
        ("headline", {"sizes": [1_000_000], "reads": [90], "dists": ["uniform"],
                      "threads": [1, 2], "shards": [8, 64]}, ["reps"]),
    ]},
    "full": {"min_time": 0.05, "headline_min_time": 0.2, "headline_n": 1_000_000, "runs": [
        ("grid", {"sizes": [1000, 10_000, 100_000, 1_000_000], "reads": READS, "dists": DISTS,
                  "threads": THREADS, "shards": ALL_SHARDS}, []),
        ("headline", {"sizes": [1_000_000], "reads": [90], "dists": ["uniform"],
                      "threads": [1, 2], "shards": ALL_SHARDS}, ["reps"]),
    ]},
}
RUN_TIMEOUT = {"quick": 300, "default": 900, "full": 7200}


def run(ctx: rc.Context) -> str:
    d = ctx.section_dir("concurrent")
    bench = ctx.build / "bench" / "maps" / "bench-concurrent"
    if not bench.exists():
        return f"Not run: {bench} is not built (GORT_BUILD_BENCH=OFF?).\n"
    plan_name = "quick" if ctx.quick else "full" if full_requested(ctx) else "default"
    plan = PLANS[plan_name]
    reps = 2 if ctx.quick else max(ctx.rounds, 3)
    started = time.monotonic()
    rows, raw, context = measure(ctx, bench, plan_name, reps)
    s = summarize(rows, plan["headline_n"])
    s.update(plan=plan_name, reps=reps, min_time=plan["min_time"],
             headline_min_time=plan["headline_min_time"], context=context,
             seconds=round(time.monotonic() - started),
             matrix={name: flags for name, flags, _ in plan["runs"]})
    rc.write_json(d / "runs.json", raw)
    rc.write_csv(d / "rows.csv", rows)
    rc.write_json(d / "summary.json", s)
    plots = make_plots(d, s)
    return rc.Section(render(ctx, s, plots), headline(s), losses(s))


def full_requested(ctx: rc.Context) -> bool:
    return bool(getattr(ctx, "full", False)) or os.environ.get("REPORT_FULL", "") not in ("", "0")


# ---- 1-2. running ------------------------------------------------------------------------------

def measure(ctx: rc.Context, bench: Path, plan_name: str, reps: int):
    plan = PLANS[plan_name]
    rows, raw, context = [], [], {}
    for name, matrix, extra in plan["runs"]:
        if "sharded_only" in extra and context.get("sharded_map", "absent") == "absent":
            rc.log(f"concurrent: run {name} skipped: no gort::sharded_map in this build")
            continue
        args = [f"--cb_{k}={','.join(str(v) for v in vals)}" for k, vals in matrix.items()]
        min_time = plan["headline_min_time" if "reps" in extra else "min_time"]
        args.append(f"--benchmark_min_time={min_time}")
        if "sharded_only" in extra:
            args.append("--benchmark_filter=/sharded_")
        if "reps" in extra:
            args += [f"--benchmark_repetitions={reps}", "--benchmark_enable_random_interleaving=true"]
        t0 = time.monotonic()
        rc.log(f"concurrent: run {name} ({' '.join(args)})")
        data = run_bench(ctx, bench, args, name, RUN_TIMEOUT[plan_name])
        rc.log(f"concurrent: run {name} done in {time.monotonic() - t0:.0f} s")
        if data is None:
            continue
        data["run"] = name
        data["seconds"] = round(time.monotonic() - t0)
        raw.append(data)
        context = data.get("context", context)
        for b in data.get("benchmarks", []):
            row = parse_row(ctx, b, name)
            if row:
                rows.append(row)
    return rows, raw, context


def run_bench(ctx: rc.Context, bench: Path, args: list[str], what: str, timeout: float) -> dict | None:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        try:
            res = subprocess.run([str(bench), *args, f"--benchmark_out={out.name}",
                                  "--benchmark_out_format=json"], capture_output=True, text=True,
                                 timeout=timeout, env=rc.contender_env(rc.Contender("glibc", None)))
        except subprocess.TimeoutExpired:
            ctx.notes.append(f"concurrent: run {what} timed out after {timeout:.0f} s")
            return None
        if res.returncode != 0:
            ctx.notes.append(f"concurrent: run {what} failed ({rc.failure(res)}): "
                             f"{res.stderr.strip()[-200:]}")
            return None
        text = Path(out.name).read_text()
        if not text.strip():
            ctx.notes.append(f"concurrent: run {what} wrote no results ({res.stderr.strip()[-200:]})")
            return None
        return json.loads(text)


def parse_row(ctx: rc.Context, b: dict, run_name: str) -> dict | None:
    """'mixed/r90/uniform/1000000/sharded_rw.64/manual_time/threads:2' -> one measurement.
    The row's time is its window (all threads running): ops_per_s = ops / window."""
    if b.get("run_type") == "aggregate":
        return None
    if b.get("error_occurred"):
        ctx.notes.append(f"concurrent: {b['name']}: {b.get('error_message', 'error')}")
        return None
    parts = b["name"].split("/")
    design, _, shards = parts[4].partition(".")
    ops, window = float(b["ops"]), float(b["window_ns"])
    row = {"run": run_name, "rep": int(b.get("repetition_index", 0)), "n": int(parts[3]),
           "dist": parts[2], "read": int(parts[1][1:]), "threads": int(b["threads"]),
           "contender": parts[4], "design": design, "shards": int(shards or 0),
           "ops_per_s": float(b["items_per_second"]), "ops": ops, "window_ns": window,
           "cpu_ns_per_op": float(b["cpu_ns"]) / ops, "cores_used": float(b["cpu_ns"]) / window}
    for c in ("contended", "wait_ns", "population"):
        if c in b:
            row[c] = float(b[c])
    return row


# ---- 3-4. numbers ------------------------------------------------------------------------------

def wkey(n, dist, read, threads) -> str:
    return f"{n}|{dist}|{read}|{threads}"


def summarize(rows: list[dict], headline_n: int) -> dict:
    """Medians per (workload, contender); the headline's per-repetition ratios; winners; the
    shard counts; contention; the model."""
    by = defaultdict(list)
    for r in rows:
        by[(wkey(r["n"], r["dist"], r["read"], r["threads"]), r["contender"])].append(r)
    cells = {}
    for (w, c), rs in by.items():
        x = [r["ops_per_s"] for r in rs]
        cell = {"median": rc.median(x), "spread": rc.spread(x), "runs": len(x),
                "cpu_ns": rc.median([r["cpu_ns_per_op"] for r in rs]),
                "cores_used": rc.median([r["cores_used"] for r in rs])}
        if all("contended" in r and r["ops"] for r in rs):
            cell["contended_per_kop"] = rc.median([1000 * r["contended"] / r["ops"] for r in rs])
            cell["wait_ns_per_op"] = rc.median([r["wait_ns"] / r["ops"] for r in rs])
        cells.setdefault(w, {})[c] = cell
    head = dict(HEADLINE, n=headline_n)
    s = {"cells": cells, "headline": head,
         "present": sorted({r["design"] for r in rows}, key=DESIGNS.index)}
    s["chosen"] = chosen = chosen_shards(cells)
    s["headline_ratios"] = headline_ratios(rows, head, cells, chosen)
    s["winners"] = winners(cells, chosen)
    s["shards"] = shard_choice(cells)
    s["model"] = {d: m for d in DESIGNS if (m := fit_model(cells, head, d, chosen))}
    return s


def chosen_shards(cells: dict) -> dict:
    """Per lock kind, the one shard count that stands for sharded_map everywhere (winners, read
    plot, headline, model): of the counts measured in every workload with 2+ threads, the one
    with the highest geometric mean of throughput over those workloads. One count chosen over
    all workloads, not the best per workload: a maximum over many noisy counts would favour
    sharded_map."""
    out = {}
    for design in SHARDED:
        per_w = [{int(c.split(".")[1]): v["median"] for c, v in cw.items()
                  if c.split(".")[0] == design and v["median"]}
                 for w, cw in cells.items() if w.split("|")[3] != "1"]
        per_w = [x for x in per_w if x]
        if not per_w:
            continue
        common = set.intersection(*(set(x) for x in per_w))
        if common:
            out[design] = max(sorted(common), key=lambda k: statistics.fmean(
                math.log(x[k]) for x in per_w))
    return out


def representative(cells_w: dict, design: str, chosen: dict) -> str | None:
    """The contender that stands for design in one workload (sharded: at its chosen count)."""
    name = f"{design}.{chosen[design]}" if design in SHARDED and design in chosen else design
    return name if name in cells_w else None


def headline_ratios(rows: list[dict], head: dict, cells: dict, chosen: dict) -> list[dict]:
    """Each gort design (sharded at its chosen shard count) against tbb, cuckoo and boost: the
    ratio of throughputs within each repetition of the headline run; median, min, max."""
    w = wkey(head["n"], head["dist"], head["read"], head["threads"])
    cw = cells.get(w, {})
    per_rep = defaultdict(dict)
    for r in rows:
        if r["run"] == "headline" and wkey(r["n"], r["dist"], r["read"], r["threads"]) == w:
            per_rep[r["rep"]][r["contender"]] = r["ops_per_s"]
    out = []
    for d in SHARDED + ["sync_map", "mutex", "shared_mutex"]:
        mine = representative(cw, d, chosen)
        if not mine:
            continue
        for other in FOREIGN:
            pairs = [(v[mine], v[other]) for v in per_rep.values()
                     if mine in v and other in v and v[other]]
            q = [a / b for a, b in pairs]
            if q:
                out.append({"design": d, "contender": mine, "against": other,
                            "median": rc.median(q), "min": min(q), "max": max(q), "reps": len(q),
                            "mine_ops": rc.median([a for a, _ in pairs]),
                            "other_ops": rc.median([b for _, b in pairs])})
    return out


def winners(cells: dict, chosen: dict) -> dict:
    """Per workload: the designs ranked by median throughput (a sharded design at its chosen
    shard count), the winner and its margin over the runner-up."""
    out = {}
    for w, cw in cells.items():
        ranked = sorted(((cw[c]["median"], d, c) for d in DESIGNS
                         if (c := representative(cw, d, chosen)) and cw[c]["median"]), reverse=True)
        if len(ranked) >= 2:
            out[w] = {"winner": ranked[0][1], "contender": ranked[0][2],
                      "margin": ranked[0][0] / ranked[1][0], "runner_up": ranked[1][1],
                      "ranking": [d for _, d, _ in ranked]}
    return out


def shard_choice(cells: dict) -> dict:
    """Per lock kind: per workload with sharded rows at 3+ shard counts, the best count and the
    smallest count within NEAR_BEST of the best; and over the workloads with 2+ threads, for
    every count, in how many it was within NEAR_BEST of the best."""
    out = {}
    for design in SHARDED:
        per, near_counts = {}, defaultdict(int)
        for w, cw in cells.items():
            pts = dict((int(c.split(".")[1]), v["median"]) for c, v in cw.items()
                       if c.split(".")[0] == design and v["median"])
            if len(pts) < 3:
                continue
            best_s = max(pts, key=pts.get)
            close = sorted(k for k, x in pts.items() if x >= (1 - NEAR_BEST) * pts[best_s])
            per[w] = {"best": best_s, "near": close[0], "counts": sorted(pts),
                      "best_over_1": pts[best_s] / pts[1] if pts.get(1) else None}
            if w.split("|")[3] != "1":
                for k in close:
                    near_counts[k] += 1
        if per:
            multi = sum(1 for w in per if w.split("|")[3] != "1")
            pick = max(sorted(near_counts), key=lambda k: near_counts[k]) if near_counts else None
            out[design] = {"workloads": per, "near_counts": dict(near_counts),
                           "multi_thread_workloads": multi, "pick": pick}
    return out


def fit_model(cells: dict, head: dict, design: str, chosen: dict) -> dict | None:
    """USL, X(N) = λN / (1 + σ(N-1) + κN(N-1)), from the 1- and 2-thread rows of one design at
    the headline workload (a sharded design at its chosen shard count).

    A thread's time per operation if it had a core of its own is its CPU time per operation
    plus its measured lock wait per operation (c + w): that leaves out the time the machine's
    other load took. λ = 1/c1. With lock counters, σ = w2/c1 (time waiting for a lock is
    serialisation) and 2κ = (c2 - c1)/c1 (extra CPU per operation with two threads: cache
    lines moving between cores, spinning); without them the extra CPU is all taken as σ
    (Amdahl, κ = 0). Negative terms (noise) are set to 0."""
    w1 = cells.get(wkey(head["n"], head["dist"], head["read"], 1), {})
    w2 = cells.get(wkey(head["n"], head["dist"], head["read"], 2), {})
    c = representative(w2, design, chosen)
    if not c or c not in w1:
        return None
    c1, c2 = w1[c]["cpu_ns"], w2[c]["cpu_ns"]
    if not c1 or not c2:
        return None
    lam = 1e9 / c1
    if "wait_ns_per_op" in w2[c]:
        sigma = max(0.0, w2[c]["wait_ns_per_op"] / c1)
        kappa = max(0.0, (c2 - c1) / c1 / 2)
        kind = "usl"
    else:
        sigma, kappa, kind = max(0.0, (c2 - c1) / c1), 0.0, "amdahl"
    parallel = w2[c]["cores_used"] >= MIN_PARALLEL
    proj = {n: lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1)) for n in MODEL_N
            if parallel or n <= 2}
    peak = math.sqrt((1 - sigma) / kappa) if kappa > 0 and sigma < 1 else None
    measured = {t: cells.get(wkey(head["n"], head["dist"], head["read"], t), {}).get(c, {}).get("median")
                for t in THREADS}
    return {"contender": c, "kind": kind, "lambda": lam, "sigma": sigma, "kappa": kappa,
            "c1_ns": c1, "c2_ns": c2, "w2_ns": w2[c].get("wait_ns_per_op"),
            "projection": proj, "peak_threads": peak if parallel else None, "measured": measured,
            "parallel": parallel,
            "cores_used_2": w2[c]["cores_used"]}


# ---- plots -------------------------------------------------------------------------------------

def workloads(s: dict, **fix) -> list[tuple]:
    """Sorted (n, dist, read, threads) present in the cells, filtered by the given fields."""
    out = set()
    for w in s["cells"]:
        n, dist, read, t = w.split("|")
        k = {"n": int(n), "dist": dist, "read": int(read), "threads": int(t)}
        if all(k[f] == v for f, v in fix.items()):
            out.add((k["n"], k["dist"], k["read"], k["threads"]))
    return sorted(out, key=lambda x: (x[0], DISTS.index(x[1]) if x[1] in DISTS else 9, -x[2], x[3]))


def log_if_wide(ax, values: list[float]) -> None:
    v = [x for x in values if x]
    if v and max(v) / min(v) >= 10:
        ax.set_yscale("log")


def make_plots(d: Path, s: dict) -> list[tuple[str, str]]:
    plt = rc.pyplot()
    plots = []
    for f in (plot_shards, plot_reads, plot_threads):
        p = f(plt, d, s)
        if p:
            plots.append(p)
    return plots


def legend_below(fig, axes, cols: int) -> None:
    """One legend for the figure, under the panels: every label of any panel, once."""
    handles, labels = [], []
    for ax in axes.flat:
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in labels:
                handles.append(h)
                labels.append(l)
    ncol = max(2, cols)
    nrows = math.ceil(len(labels) / ncol)
    height = fig.get_size_inches()[1]
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8)
    fig.tight_layout(rect=(0, min(0.4, (0.25 * nrows + 0.2) / height), 1, 0.96))


def plot_shards(plt, d: Path, s: dict):
    """Throughput vs shard count, one panel per workload with 3+ shard counts; the other designs
    of the same workload as horizontal lines."""
    ws = [w for w in workloads(s) if any(wkey(*w) in v["workloads"] for v in s["shards"].values())]
    if not ws:
        return None
    cols = min(4, len(ws))
    rows = math.ceil(len(ws) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax, w in zip(axes.flat, ws):
        cw = s["cells"][wkey(*w)]
        vals = []
        for design in SHARDED:
            pts = sorted((int(c.split(".")[1]), v["median"]) for c, v in cw.items()
                         if c.split(".")[0] == design and v["median"])
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=COLORS[design],
                        label=LABELS[design], linewidth=2)
                vals += [p[1] for p in pts]
        for design in DESIGNS:
            if design in SHARDED or design not in cw or not cw[design]["median"]:
                continue
            ax.axhline(cw[design]["median"], color=COLORS[design], linestyle="--", linewidth=1.2,
                       label=LABELS[design])
            vals.append(cw[design]["median"])
        ax.set_xscale("log", base=2)
        log_if_wide(ax, vals)
        ax.set_title(f"n={w[0]:,} {w[1]}, {w[2]} % reads, {w[3]} thr", fontsize=9)
        ax.set_xlabel("shards")
        ax.set_ylabel("ops/s")
        ax.grid(True, which="both", alpha=0.3)
    for ax in list(axes.flat)[len(ws):]:
        ax.axis("off")
    legend_below(fig, axes, cols)
    fig.suptitle("Throughput vs shard count (medians); dashed: the other designs, same workload")
    fig.savefig(d / "shards.png", dpi=85)
    plt.close(fig)
    return "shards.png", "throughput vs shard count"


def plot_reads(plt, d: Path, s: dict):
    """Throughput vs read ratio: a panel per (n, distribution, threads) with 2+ read ratios."""
    panels = sorted({(n, dist, t) for n, dist, _, t in workloads(s)},
                    key=lambda p: (p[0], DISTS.index(p[1]) if p[1] in DISTS else 9, p[2]))
    panels = [p for p in panels if len(workloads(s, n=p[0], dist=p[1], threads=p[2])) >= 2]
    if not panels:
        return None
    cols = len({p[2] for p in panels})
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    for ax, (n, dist, t) in zip(axes.flat, panels):
        ws = workloads(s, n=n, dist=dist, threads=t)
        vals = []
        for design in DESIGNS:
            pts = []
            for w in ws:
                cw = s["cells"][wkey(*w)]
                c = representative(cw, design, s['chosen'])
                if c and cw[c]["median"]:
                    pts.append((w[2], cw[c]["median"]))
            if pts:
                pts.sort()
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=COLORS[design],
                        label=LABELS[design] + (f", {s['chosen'][design]} shards" if design in SHARDED else ""),
                        linewidth=2.2 if design in GORT else 1.3)
                vals += [p[1] for p in pts]
        log_if_wide(ax, vals)
        ax.set_xticks(sorted({w[2] for w in ws}))
        ax.set_title(f"n={n:,} {dist}, {t} thread{'s' if t > 1 else ''}", fontsize=9)
        ax.set_xlabel("reads (%)")
        ax.set_ylabel("ops/s")
        ax.grid(True, which="both", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    legend_below(fig, axes, cols)
    fig.suptitle("Throughput vs read ratio (medians; the rest of the operations: half sets, half deletes)")
    fig.savefig(d / "reads.png", dpi=85)
    plt.close(fig)
    return "reads.png", "throughput vs read ratio"


def plot_threads(plt, d: Path, s: dict):
    if not s["model"]:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    vals = []
    for design, m in s["model"].items():
        meas = sorted((int(t), v) for t, v in m["measured"].items() if v)
        ax.plot([p[0] for p in meas], [p[1] for p in meas], marker="o", color=COLORS[design],
                label=f"{LABELS[design]} measured", linewidth=1.5)
        proj = sorted((int(n), v) for n, v in m["projection"].items())
        ax.plot([p[0] for p in proj], [p[1] for p in proj], linestyle="--", color=COLORS[design],
                linewidth=1.2)
        ax.plot([p[0] for p in proj if p[0] <= 2], [p[1] for p in proj if p[0] <= 2], linestyle="",
                marker="o", markerfacecolor="none", color=COLORS[design])
        vals += [p[1] for p in meas] + [p[1] for p in proj]
    ax.set_xscale("log", base=2)
    log_if_wide(ax, vals)
    ax.axvline(os.cpu_count() or 2, color="black", linestyle=":", linewidth=1)
    h = s["headline"]
    ax.set_title(f"n={h['n']:,} {h['dist']}, {h['read']} % reads: measured (solid, wall clock); "
                 "USL fit (hollow: 1 and 2 threads on the CPU clock plus lock waits) and its "
                 "projection (dashed)", fontsize=8)
    ax.set_xlabel("threads (dotted line: this machine's cores)")
    ax.set_ylabel("ops/s")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(d / "threads.png", dpi=85)
    plt.close(fig)
    return "threads.png", "throughput vs threads, measured and projected"


# ---- the Markdown ------------------------------------------------------------------------------

def peak_cell(v: dict) -> str:
    if v["peak_threads"]:
        return rc.fmt(v["peak_threads"], 0)
    if not v["parallel"]:
        return "— (2 threads used < 1.5 cores: not projected)"
    return "— (κ = 0: no peak)" if v["kappa"] <= 0 else "— (σ ≥ 1: no peak)"


def mops(x: float | None) -> str:
    return "— (not measured)" if x is None else f"{x / 1e6:,.2f}"


def pct(x: float | None) -> str:
    return "— (one run)" if x is None else f"{100 * x:.0f} %"


def contender_label(c: str) -> str:
    d, _, sh = c.partition(".")
    return LABELS.get(d, d) + (f", {sh} shards" if sh else "")


def headline(s: dict) -> rc.Headline:
    """The fastest gort design against the fastest other map on the headline workload; the
    ratio taken within each repetition of the headline run."""
    h = s["headline"]
    what = ("Concurrent maps", f"{h['threads']} threads, {h['read']} % reads, {h['n']:,} "
            f"{h['dist']} keys", "Mops/s")
    # All from the headline run's repetitions (interleaved, seconds apart): the figures are
    # medians over them, the cost the median of the per-repetition ratios.
    rs = [r for r in s["headline_ratios"] if r["design"] in GORT and r["against"] in FOREIGN]
    if not rs:
        return rc.Headline(*what, None, "—", None, None, why="workload not measured")
    g = max({r["contender"] for r in rs}, key=lambda c: max(r["mine_ops"] for r in rs
                                                           if r["contender"] == c))
    o = max({r["against"] for r in rs}, key=lambda a: max(r["other_ops"] for r in rs
                                                         if r["against"] == a))
    r = next((r for r in rs if r["contender"] == g and r["against"] == o), None)
    if r is None:
        return rc.Headline(*what, None, "—", None, None, why="no paired repetitions")
    spread = (1 / r["min"] - 1 / r["max"]) * r["median"] if r["reps"] > 1 else None
    return rc.Headline(what[0], what[1] + f"; gort's best: {contender_label(g)}", what[2],
                       r["mine_ops"] / 1e6, LABELS[o], r["other_ops"] / 1e6, 1 / r["median"],
                       spread)


def losses(s: dict) -> str:
    """Workloads where the fastest gort design is slower than the fastest other map."""
    lines = []
    for w, cw in s["cells"].items():
        mine = {c: cw[c]["median"] for d in GORT if (c := representative(cw, d, s["chosen"]))}
        theirs = {d: cw[d]["median"] for d in FOREIGN if d in cw and cw[d]["median"]}
        if not mine or not theirs:
            continue
        g, o = max(mine, key=mine.get), max(theirs, key=theirs.get)
        if theirs[o] > LOSS_FACTOR * mine[g]:
            n, dist, read, threads = w.split("|")
            lines.append((theirs[o] / mine[g],
                          f"{threads} threads, {read} % reads, {int(n):,} {dist} keys: "
                          f"{SHORT[o]} {theirs[o] / mine[g]:.2f}x the best gort design "
                          f"({contender_label(g)})"))
    if not lines:
        return (f"Nowhere by more than {LOSS_FACTOR:.2f}x: on every workload the fastest gort "
                f"design is within that of the fastest other concurrent map.")
    return (f"Workloads where the fastest other map does more than {LOSS_FACTOR:.2f}x the "
            f"operations of the fastest gort design, worst first ({len(lines)} of "
            f"{len(s['cells'])} workloads" + (", the first 12" if len(lines) > 12 else "")
            + "):\n\n" + rc.worst_first(lines, 12))


LOSS_FACTOR = 1.10
CAPTIONS = {
    "shards.png": "Throughput against the shard count, per workload: where the curves flatten "
                  "is how many shards are enough; the dashed lines are the other maps.",
    "reads.png": "Throughput against the share of reads: which design wins where.",
    "threads.png": "Throughput against threads, measured (solid) and projected by the fitted "
                   "model (dashed); the dotted line is this machine's cores.",
}


def render(ctx: rc.Context, s: dict, plots: list[tuple[str, str]]) -> str:
    h = s["headline"]
    parts = [intro(ctx, s), missing_text(s), headline_text(s), winners_text(s), shards_text(s),
             contention_text(s), model_text(s)]
    parts += [rc.figure(f"concurrent/{n}", CAPTIONS.get(n, t)) for n, t in plots]
    parts.append("Raw data: `concurrent/runs.json` (Google Benchmark JSON, one entry per process), "
                 "`concurrent/rows.csv`, `concurrent/summary.json`.")
    return "\n\n".join(p for p in parts if p) + "\n"


def intro(ctx: rc.Context, s: dict) -> str:
    runs = "; ".join(f"{name}: sizes {flags['sizes']}, reads {flags['reads']} %, "
                     f"{'/'.join(flags['dists'])}, threads {flags['threads']}, shard counts "
                     f"{flags['shards']}" for name, flags in s["matrix"].items())
    load = s["context"].get("load_avg")
    return (
        "The question: one lock, a sharded map, or sync.Map? And if sharded, how many shards? "
        "`bench-concurrent` runs a mix of reads, sets (insert or update) and deletes on uint64 "
        "keys with real threads: n keys prefilled out of a universe of 2n, each thread its own "
        "precomputed stream (uniform, or Zipf θ = 0.99 over the 2n keys); the writes are half "
        "sets, half deletes, so the population stays near n and a read hits about half of the "
        "time. Throughput is operations of all threads per second of wall time. "
        f"Plan **{s['plan']}** ({runs}); min time per row {s['min_time']} s; the headline run "
        f"repeats its rows {s['reps']} times, {s.get('headline_min_time', s['min_time'])} s "
        "each, interleaved at random. Section time: "
        f"{s['seconds']} s. Load average when the last run started: "
        f"{', '.join(f'{x:.2f}' for x in load) if load else '—'} on {os.cpu_count()} cores: "
        "the threads share the cores with whatever else runs, and rows with 4 and 8 threads "
        "are oversubscribed by design.")


def missing_text(s: dict) -> str:
    ctxt = s["context"]
    lines = []
    for key, what in (("sharded_map", "gort::sharded_map (maps/sharded_map.h)"),
                      ("sync_map", "gort::sync_map (maps/sync_map.h)")):
        src = ctxt.get(key, "absent")
        if src == "absent":
            lines.append(f"{what} is not in this build: its rows are missing, and the text below "
                         "compares what was measured.")
        elif src == "stand-in":
            lines.append(f"**{what} is a stand-in** (GORT_CBENCH_STANDIN): its rows check the "
                         "harness; they are not gort's numbers.")
    return "\n".join(f"- {x}" for x in lines)


def headline_text(s: dict) -> str:
    h = s["headline"]
    w = wkey(h["n"], h["dist"], h["read"], h["threads"])
    cw = s["cells"].get(w, {})
    if not cw:
        return "### Headline\n\nThe headline workload was not measured."
    rows = []
    for d in DESIGNS:
        c = representative(cw, d, s['chosen'])
        if c:
            v = cw[c]
            rows.append([contender_label(c), rc.flag(mops(v["median"]), v["spread"]), pct(v["spread"]), str(v["runs"]),
                         rc.fmt(v["cores_used"], 2)])
    table = rc.md_table(["design", "Mops/s", "spread", "runs",
                         "cores used"], rows) + "\n\n" + rc.NOISE_NOTE
    ratios = s["headline_ratios"]
    rtab = rc.md_table(
        ["design", "against", "ratio (median)", "min", "max", "reps"],
        [[contender_label(r["contender"]), LABELS[r["against"]], rc.fmt(r["median"], 2),
          rc.fmt(r["min"], 2), rc.fmt(r["max"], 2), str(r["reps"])] for r in ratios]) if ratios else ""
    verdict = []
    for d in SHARDED:
        mine = [r for r in ratios if r["design"] == d]
        if mine:
            faster = [f"{SHORT[r['against']]} (×{r['median']:.2f})" for r in mine if r["median"] > 1]
            slower = [f"{SHORT[r['against']]} (×{r['median']:.2f})" for r in mine if r["median"] <= 1]
            verdict.append(f"{contender_label(mine[0]['contender'])} is "
                           + " and ".join(x for x in (
                               f"faster than {', '.join(faster)}" if faster else "",
                               f"not faster than {', '.join(slower)}" if slower else "") if x))
    if not verdict:
        verdict = ["gort::sharded_map was not measured here (see above), so the headline check "
                   "against tbb, libcuckoo and boost::concurrent_flat_map waits for it; the ratios "
                   "above are of the gort designs that were measured"]
    used = rc.median([v["cores_used"] for v in cw.values()])
    if used is not None and used < MIN_PARALLEL:
        verdict.append(f"caution: in this run the {h['threads']} threads used {used:.2f} cores "
                       "(median over the designs), not two: other load on the machine had them "
                       "take turns more than contend, so these ratios weigh each design's cost per "
                       "operation more than its scaling")
    return (
        f"### Headline: {h['threads']} threads, {h['read']} % reads, {h['n']:,} {h['dist']} keys\n\n"
        + table + "\n\n"
        "Cores used: the threads' CPU time in the row's window over the window; 2.00 would "
        "be two cores all the time. "
        "Ratios: throughput of the design over the contender's, within each repetition of the "
        "headline run (rows seconds apart), median over the repetitions.\n\n"
        + (rtab + "\n\n" if rtab else "")
        + "Headline check: " + "; ".join(verdict) + ".")


def winners_text(s: dict) -> str:
    win = s["winners"]
    if not win:
        return ""
    count = defaultdict(int)
    count1 = defaultdict(int)
    countm = defaultdict(int)
    for w, v in win.items():
        count[v["winner"]] += 1
        (count1 if w.split("|")[3] == "1" else countm)[v["winner"]] += 1
    order = sorted(count, key=lambda d: -count[d])
    summary = "; ".join(f"{LABELS[d]} {count[d]} of {len(win)}" for d in order)
    by_t = ("With 1 thread: " + ", ".join(f"{SHORT[d]} {count1[d]}" for d in sorted(count1, key=lambda d: -count1[d]))
            + ". With 2 or more threads: "
            + ", ".join(f"{SHORT[d]} {countm[d]}" for d in sorted(countm, key=lambda d: -countm[d])) + ".")
    ws = [w for w in workloads(s) if wkey(*w) in win]
    groups = sorted({(n, dist, t) for n, dist, _, t in ws}, key=lambda g: (g[0], DISTS.index(g[1]), g[2]))
    reads = sorted({r for _, _, r, _ in ws}, reverse=True)
    rows = []
    for n, dist, t in groups:
        row = [f"{n:,}", dist, str(t)]
        for r in reads:
            v = win.get(wkey(n, dist, r, t))
            row.append(f"{SHORT[v['winner']]} ×{v['margin']:.2f}" if v else "— (not measured)")
        rows.append(row)
    return ("### When each design wins\n\n"
            "Per workload, the design with the highest median throughput, with its margin over "
            "the runner-up. Workloads won: "
            + summary + ". " + by_t + "\n\n"
            + rc.md_table(["n", "keys", "threads"] + [f"{r} % reads" for r in reads], rows))


def shards_text(s: dict) -> str:
    sh = s["shards"]
    if not sh:
        return ("### How many shards\n\nNo workload has gort::sharded_map rows at three or more "
                "shard counts, so the shard count is not judged here.")
    chosen = "; ".join(f"{LABELS[d]}: {k} shards" for d, k in s["chosen"].items())
    parts = ["### How many shards\n\n"
             + (f"Where one count has to stand for sharded_map (the winners, the read plot, the "
                f"headline, the model) it is {chosen}: of the counts measured in every workload "
                "with 2 or more threads, the one with the highest geometric mean of throughput "
                "over them, so that no table picks a lucky count per workload. " if chosen else "")
             + "Per workload with three or more shard counts: the best "
             f"count and the smallest count within {NEAR_BEST:.0%} of the best (medians)."]
    for design, v in sh.items():
        per, nc, multi = v["workloads"], v["near_counts"], v["multi_thread_workloads"]
        gains = [x["best_over_1"] for w, x in per.items() if x["best_over_1"] and w.split("|")[3] != "1"]
        text = f"{LABELS[design]}, over the {multi} workloads with 2 or more threads: "
        if v["pick"] is not None:
            text += (f"{v['pick']} shards came within {NEAR_BEST:.0%} of the best in the most of "
                     f"them ({nc[v['pick']]} of {multi}; the smallest count on a tie). Within "
                     f"{NEAR_BEST:.0%} of the best, by count: "
                     + ", ".join(f"{k}: {nc[k]}" for k in sorted(nc)) + ".")
        if gains:
            text += (f" The best count against one shard: ×{min(gains):.2f} to ×{max(gains):.2f} "
                     f"(median ×{statistics.median(gains):.2f}).")
        parts.append(text)
        rows = [[f"{int(w.split('|')[0]):,}", w.split("|")[1], w.split("|")[2], w.split("|")[3],
                 str(x["best"]), str(x["near"]), rc.fmt(x["best_over_1"], 2)]
                for w, x in sorted(per.items(), key=lambda kv: [int(y) if y.isdigit() else y
                                                               for y in kv[0].split("|")])]
        parts.append(rc.md_table(["n", "keys", "reads %", "threads", "best",
                                  f"smallest within {NEAR_BEST:.0%}", "best / 1 shard"], rows))
    return "\n\n".join(parts)


def contention_text(s: dict) -> str:
    h = s["headline"]
    rows = []
    for t in THREADS:
        cw = s["cells"].get(wkey(h["n"], h["dist"], h["read"], t), {})
        for d in DESIGNS:
            c = representative(cw, d, s['chosen'])
            if not c:
                continue
            v = cw[c]
            exposed = "contended_per_kop" in v
            rows.append([str(t), contender_label(c),
                         rc.fmt(v.get("contended_per_kop"), 2) if exposed else "not exposed",
                         rc.fmt(v.get("wait_ns_per_op"), 1) if exposed else "not exposed",
                         rc.fmt(v["cpu_ns"], 1)])
    if not rows:
        return ""
    return ("### Contention\n\n"
            "Contended acquisitions (the lock was taken when asked: the baselines count them with a "
            "lock adapter that tries first, gort::sharded_map with its own per-shard counters) and "
            "the time spent waiting in them, per operation, at the headline workload. "
            "tbb::concurrent_hash_map, libcuckoo and boost::concurrent_flat_map do not expose "
            "such counters (their locks spin or yield inside the library); "
            + ("gort::sync_map's rows carry none either. " if "sync_map" in s["present"] else "")
            + "CPU ns per operation: the CPU time of all threads over all operations.\n\n"
            + rc.md_table(["threads", "design", "contended per 1000 ops", "wait ns per op",
                           "CPU ns per op"], rows))


def model_text(s: dict) -> str:
    m = s["model"]
    if not m:
        return ""
    h = s["headline"]
    rows = []
    for d, v in m.items():
        rows.append([contender_label(v["contender"]), v["kind"], rc.fmt(v["sigma"], 3),
                     rc.fmt(v["kappa"], 4), peak_cell(v),
                     rc.fmt(v["cores_used_2"], 2)]
                    + [mops(v["projection"].get(n)) for n in MODEL_N])
    serial = [contender_label(v["contender"]) for v in m.values() if not v["parallel"]]
    return (
        "### Beyond two cores: a fitted model\n\n"
        f"This machine has {os.cpu_count()} cores, so more threads than that measure the "
        "scheduler, not the map. The projection fits the Universal Scalability Law, "
        "X(N) = λN / (1 + σ(N−1) + κN(N−1)), per design at the headline workload "
        f"({h['read']} % reads, {h['n']:,} {h['dist']} keys), from its 1- and 2-thread rows "
        "(gort::sharded_map at its chosen shard count):\n\n"
        "- a thread's time per operation on a core of its own is taken as its CPU time per "
        "operation plus its measured lock wait per operation; this removes the time that other "
        "load on the machine took, and assumes nothing else was lost (no preemption while "
        "holding a lock beyond what the waits show);\n"
        "- λ = 1 / (CPU time per operation with 1 thread);\n"
        "- σ (serialisation) = lock wait per operation with 2 threads / the 1-thread time, where "
        "the design counts its waits (kind usl); κ (crosstalk: cache lines moving between cores, "
        "spinning) = half the growth of CPU time per operation from 1 to 2 threads;\n"
        "- a design without counters spins or yields inside its library, so its waits are CPU "
        "time: the whole growth is taken as σ and κ = 0 (kind amdahl), which can only "
        "flatten, never bend down;\n"
        "- two points fit two parameters and no more: the projection says where the measured "
        "costs lead if they grow as the law says, not what a bigger machine will do (its caches, "
        "NUMA and lock handoffs differ); negative estimates (noise) are set to 0;\n"
        f"- the fit needs the 2 threads to have run in parallel: a 2-thread row whose threads used "
        f"fewer than {MIN_PARALLEL} cores in its window (other load on the machine) measured "
        "them taking turns, not contending, and is not projected (—).\n\n"
        + (f"Not projected, the 2 threads did not run in parallel: {', '.join(serial)}.\n\n"
           if serial else "")
        + rc.md_table(["design", "kind", "σ", "κ", "peak N", "cores used (2 thr)"]
                      + [f"model X({n}) Mops/s" for n in MODEL_N], rows))
