"""report_common.py — what every section of the report shares.

The report (report.py) measures gort against other allocators. Every contender is the same
benchmark binary run under a different LD_PRELOAD, so a contender is just a name and the
library to preload (None for glibc, the system's own malloc). This module:
  1. finds the contenders: each library is looked up at its usual Debian paths; one that is
     missing is kept with a note and skipped by every section, never an error;
  2. runs a command as a contender (run_as), with LD_PRELOAD set to exactly that library and
     nothing else inherited that could change the allocator;
  3. checks that the preload took (preload_ok), from the library path a binary reports for
     malloc (both bench binaries print it);
  4. gives the small tools the sections use to turn measurements into files: medians and
     spreads (and the mark of a noisy cell), CSV/JSON writers, Markdown tables and figures,
     one colour per contender for every plot of the report;
  5. shows progress: log() prefixes each line with the section, the time spent and an
     estimate of what is left (Progress, set up by report.py).

A section is a module with TITLE and run(ctx) -> Section (its Markdown, its summary line, its
"where gort loses" paragraph), or a string saying why it could not run; Context is what it
gets. Never type a number into a section's text: every figure comes from the measurements.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

LIBDIR = Path("/usr/lib/x86_64-linux-gnu")

# (name, candidate libraries). The first that exists is used; gort's comes from the build.
SYSTEM_CONTENDERS = [
    ("glibc", None),
    ("jemalloc", ["libjemalloc.so", "libjemalloc.so.2"]),
    ("mimalloc", ["libmimalloc.so", "libmimalloc.so.2"]),
    ("tcmalloc", ["libtcmalloc_minimal.so", "libtcmalloc_minimal.so.4"]),
]

# One colour per contender, in every plot of every section. gort and its designs are the reds;
# a library keeps its colour wherever it appears (boost's maps, std's containers).
COLORS = {
    # allocators
    "glibc": "#7f7f7f", "jemalloc": "#1f77b4", "mimalloc": "#2ca02c", "tcmalloc": "#ff7f0e",
    "gort": "#d62728",
    # maps and slices
    "absl": "#9467bd", "boost": "#8c564b", "tsl": "#e377c2", "std": "#bcbd22", "go": "#17becf",
    "vector": "#bcbd22", "span": "#dbdb8d", "raw": "#000000", "gort_move": "#ff9896",
    "gort_made": "#7b0d0d", "gort_unchecked": "#f4a582", "go_raw": "#9edae5",
    # concurrent maps
    "mutex": "#525252", "shared_mutex": "#a6a6a6", "tbb": "#393b79", "cuckoo": "#e7ba52",
    "sharded_mutex": "#d62728", "sharded_rw": "#ff9896", "sharded_slots": "#7b0d0d",
    "sharded_spin": "#e6550d",
    "sync_map": "#f4a582",
    # the escape analyser against the compiler
    "gort-escape": "#d62728", "go-compile": "#17becf",
}

# A cell whose rounds spread (max - min) by more than NOISY of its median is flagged with
# NOISE_MARK in the tables; the reader should not lean on it.
NOISY = 0.25
NOISE_MARK = "⚠"
NOISE_NOTE = (f"{NOISE_MARK} marks a figure whose rounds spread by more than "
              f"{NOISY:.0%} of its median: the machine was busy, do not lean on it.")


@dataclass
class Contender:
    name: str
    preload: Path | None  # None: no preload, glibc's malloc
    version: str = ""
    missing: str = ""     # why it is skipped; empty when usable

    @property
    def usable(self) -> bool:
        return not self.missing


@dataclass
class Headline:
    """One line of the report's summary: gort against the best other contender on the
    section's headline workload. cost is gort's cost relative to that contender (its time
    over theirs, or their rate over gort's): below 1, gort is ahead. spread is the spread of
    that ratio over the rounds ((max - min) / median), None when one round ran."""
    module: str
    workload: str
    unit: str
    gort: float | None
    best_name: str
    best: float | None
    cost: float | None
    spread: float | None = None
    why: str = ""          # why a figure is missing, when one is
    anchor: str = ""       # the section's heading id, filled in by report.py


@dataclass
class Section:
    """What a section's run(ctx) returns: its Markdown, its summary line and its "where gort
    loses" paragraph (drawn from the data, never typed)."""
    body: str
    headline: Headline | None = None
    losses: str = ""


@dataclass
class Context:
    build: Path
    out: Path
    repo: Path
    contenders: list[Contender]
    rounds: int
    quick: bool
    full: bool = False    # --full or REPORT_FULL=1: the long sweeps where a section has them
    notes: list[str] = field(default_factory=list)

    def usable(self) -> list[Contender]:
        return [c for c in self.contenders if c.usable]

    def section_dir(self, name: str) -> Path:
        d = self.out / name
        d.mkdir(parents=True, exist_ok=True)
        return d


class Progress:
    """The progress line: which section runs, for how long, and an estimate of what is left,
    from each section's expected seconds (report.py's ESTIMATES) and the time already spent."""

    def __init__(self, plan: list[tuple[str, float]]):
        self.plan = plan
        self.index = -1
        self.started = self.section_started = time.monotonic()

    def enter(self, index: int) -> None:
        self.index = index
        self.section_started = time.monotonic()

    def prefix(self) -> str:
        if not 0 <= self.index < len(self.plan):
            return ""
        name, expected = self.plan[self.index]
        spent = time.monotonic() - self.section_started
        left = max(expected - spent, 0.1 * expected) + sum(e for _, e in self.plan[self.index + 1:])
        return (f"{self.index + 1}/{len(self.plan)} {name} {minutes(spent)}, "
                f"total {minutes(time.monotonic() - self.started)}, ~{minutes(left)} left | ")


def minutes(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


PROGRESS: Progress | None = None


def log(msg: str) -> None:
    prefix = PROGRESS.prefix() if PROGRESS else ""
    print(f"[report {time.strftime('%H:%M:%S')}] {prefix}{msg}", file=sys.stderr, flush=True)


# ---- contenders ----------------------------------------------------------------------------

def find_contenders(build: Path, repo: Path) -> list[Contender]:
    found = [system_contender(name, libs) for name, libs in SYSTEM_CONTENDERS]
    found.append(gort_contender(build, repo))
    return found


def system_contender(name: str, libs: list[str] | None) -> Contender:
    if libs is None:
        return Contender(name, None, package_version(Path("/lib/x86_64-linux-gnu/libc.so.6")))
    for lib in libs:
        path = LIBDIR / lib
        if path.exists():
            return Contender(name, path, package_version(path))
    return Contender(name, None, missing=f"none of {', '.join(libs)} in {LIBDIR}")


def gort_contender(build: Path, repo: Path) -> Contender:
    lib = build / "alloc" / "libgort.so"
    if not lib.exists():
        return Contender("gort", None, missing=f"{lib} not built")
    return Contender("gort", lib, git_version(repo))


def package_version(path: Path) -> str:
    owner = quiet(["dpkg", "-S", str(path.resolve())]) or quiet(["dpkg", "-S", str(path)])
    if not owner:
        return ""
    pkg = owner.split(":")[0]
    return f"{pkg} {quiet(['dpkg-query', '-W', '-f', '${Version}', pkg])}".strip()


def git_version(repo: Path) -> str:
    rev = quiet(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    dirty = quiet(["git", "-C", str(repo), "status", "--porcelain", "--", "alloc"])
    return f"git {rev}{' + uncommitted alloc/ changes' if dirty else ''}" if rev else ""


def quiet(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""


# ---- running -------------------------------------------------------------------------------

def contender_env(c: Contender, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and k != "BENCH_MIN_TIME"}
    if c.preload is not None:
        env["LD_PRELOAD"] = str(c.preload)
    env.update(extra or {})
    return env


def run_as(c: Contender, cmd: list[str], extra_env: dict[str, str] | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, env=contender_env(c, extra_env), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, -9999, e.stdout or "", "timed out")


def failure(r: subprocess.CompletedProcess) -> str:
    """Empty when r succeeded, else a short reason ("SIGSEGV", "exit 1", "timed out")."""
    if r.returncode == 0:
        return ""
    if r.returncode == -9999:
        return "timed out"
    if r.returncode < 0:
        try:
            return signal.Signals(-r.returncode).name
        except ValueError:
            return f"signal {-r.returncode}"
    return f"exit {r.returncode}"


def preload_ok(c: Contender, malloc_library: str) -> bool:
    """True when the library a binary reports for malloc is the one c preloads."""
    real = os.path.realpath(malloc_library)
    if c.preload is None:
        return os.path.basename(real).startswith("libc")
    return real == os.path.realpath(c.preload)


# ---- numbers -------------------------------------------------------------------------------

def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def spread(xs: list[float]) -> float | None:
    """(max - min) / median: how far apart the rounds were."""
    m = median(xs)
    return (max(xs) - min(xs)) / m if xs and m else None


def fmt(x: float | None, digits: int = 1, why: str = "not measured") -> str:
    """x with thousands separators; a missing figure says why it is missing."""
    return f"— ({why})" if x is None else f"{x:,.{digits}f}"


def worst_first(lines: list[tuple[float, str]], limit: int | None = None) -> str:
    """(how bad, text) pairs as a Markdown list, the worst first; at most limit of them."""
    ranked = sorted(lines, key=lambda x: -x[0])[:limit]
    return "\n".join(f"- {t}" for _, t in ranked)


def flag(text: str, spread_: float | None) -> str:
    """text, marked when its rounds spread more than NOISY."""
    return f"{text} {NOISE_MARK}" if spread_ is not None and spread_ > NOISY else text


def ratio_spread(pairs: list[tuple[float, float]]) -> tuple[float | None, float | None]:
    """From per-round (gort, other) costs: the median of the per-round ratios gort / other
    and their spread. Rounds ran interleaved, so a ratio pairs runs of one moment."""
    rs = [g / o for g, o in pairs if g is not None and o]
    return median(rs), (spread(rs) if len(rs) > 1 else None)


# ---- files ---------------------------------------------------------------------------------

def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1, default=jsonable) + "\n")


def jsonable(x):
    if isinstance(x, Path):
        return str(x)
    if hasattr(x, "__dataclass_fields__"):
        return asdict(x)
    raise TypeError(f"cannot write {type(x)} as JSON")


def write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        path.write_text("")
        return
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def md_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """align: one letter per column, l or r; default: first column left, the rest right."""
    align = align or "l" + "r" * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


# ---- plots ---------------------------------------------------------------------------------

def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def color(name: str) -> str:
    return COLORS.get(name, "#9467bd")


def plots_section(plots: dict[str, str], captions: dict[str, str]) -> str:
    """'### Plots' and every plot (name -> path) with its caption (name -> text)."""
    return "### Plots\n\n" + "\n\n".join(figure(v, captions.get(k, k)) for k, v in plots.items())


def figure(path: str, caption: str) -> str:
    """A plot in the Markdown: the caption is the image's text, and the HTML page shows it
    under the image. It says what to look at."""
    return f"![{caption}]({path})"
