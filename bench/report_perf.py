"""report_perf.py — Linux perf for the report: software-event counts and a CPU flame graph.

  - stat_command(cmd, out) wraps a command in `perf stat` with the software events every Linux
    machine has (task-clock, page-faults, context-switches, cpu-migrations); read_stat(out)
    reads perf's CSV back. This lab's VM exposes no hardware counters (cycles, instructions),
    so none are asked for; the report's machine table says whether they exist.
  - flame_graph(...) samples one command with `perf record` on the cpu-clock software event
    (DWARF call graphs: the libraries are built without frame pointers) and renders the
    samples with perf's own flamegraph script and d3-flame-graph's self-contained HTML
    template, the pair Linux documents for this; the template comes from the npm registry once
    (`npm pack`, pinned to TEMPLATE_VERSION) into the build directory. A picture of the graph
    for the page is taken with headless Chromium.
The contender's allocator goes to the measured program only (`env LD_PRELOAD=...` inside the
perf command), never to perf itself.
"""
from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import report_common as rc

EVENTS = ["task-clock", "page-faults", "context-switches", "cpu-migrations"]
TEMPLATE_VERSION = "4.1.3"  # d3-flame-graph: a release that ships the HTML template (5.0.0 does not)
TEMPLATE = "package/dist/templates/d3-flamegraph-base.html"


def available() -> bool:
    return shutil.which("perf") is not None


def preload_env(c: rc.Contender) -> list[str]:
    """`env LD_PRELOAD=lib` for the measured program; empty for glibc."""
    return ["env", f"LD_PRELOAD={c.preload}"] if c.preload else []


def stat_command(cmd: list[str], out: Path) -> list[str]:
    return ["perf", "stat", "-x,", "-o", str(out), "-e", ",".join(EVENTS), "--"] + cmd


def read_stat(out: Path) -> dict[str, float]:
    """perf stat -x, lines: value,unit,event,... -> {event: value} (task-clock in ms)."""
    got = {}
    try:
        lines = out.read_text().splitlines()
    except OSError:
        return got
    for line in lines:
        f = line.split(",")
        if len(f) >= 3 and f[2] in EVENTS:
            try:
                got[f[2]] = float(f[0])
            except ValueError:  # "<not counted>", "<not supported>"
                pass
    return got


def template(build: Path) -> tuple[Path | None, str]:
    """The d3-flame-graph template, fetched once into the build; (None, why) without it."""
    d = build / "report-tools" / f"d3-flame-graph-{TEMPLATE_VERSION}"
    path = d / TEMPLATE
    if path.exists():
        return path, ""
    if shutil.which("npm") is None:
        return None, "npm is not installed (it fetches d3-flame-graph's template)"
    d.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["npm", "pack", f"d3-flame-graph@{TEMPLATE_VERSION}"], cwd=d,
                       capture_output=True, text=True, timeout=300)
    tgz = d / f"d3-flame-graph-{TEMPLATE_VERSION}.tgz"
    if r.returncode != 0 or not tgz.exists():
        return None, f"npm pack d3-flame-graph failed: {r.stderr.strip()[-200:]}"
    with tarfile.open(tgz) as t:
        t.extract(TEMPLATE, d)  # one known member, no path tricks
    return (path, "") if path.exists() else (None, "the npm package has no HTML template")


def flame_graph(build: Path, c: rc.Contender, cmd: list[str], html_out: Path,
                png_out: Path) -> str:
    """Samples cmd under c into html_out (interactive) and png_out (a picture of it).
    Returns why it could not, or an empty string."""
    if not available():
        return "perf is not installed"
    tpl, why = template(build)
    if tpl is None:
        return why
    with tempfile.TemporaryDirectory(prefix="gort-perf-") as tmp:
        data = Path(tmp) / "perf.data"
        r = subprocess.run(["perf", "record", "-q", "-F", "499", "-e", "cpu-clock",
                            "--call-graph", "dwarf,16384", "-o", str(data), "--"]
                           + preload_env(c) + cmd, capture_output=True, text=True,
                           timeout=300, env=rc.contender_env(rc.Contender("glibc", None)))
        if r.returncode != 0:
            return f"perf record failed ({rc.failure(r)}): {r.stderr.strip()[-200:]}"
        # perf's flamegraph script reads ./perf.data whatever -i says: run it where that is
        r = subprocess.run(["perf", "script", "report", "flamegraph",
                            "--template", str(tpl), "-o", str(html_out)],
                           cwd=tmp, capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or not html_out.exists():
            return f"perf script flamegraph failed: {r.stderr.strip()[-200:]}"
    return screenshot(html_out, png_out)


def screenshot(page: Path, png: Path) -> str:
    browser = shutil.which("chromium")
    if browser is None:
        return "chromium is not installed (it draws the picture of the flame graph)"
    with tempfile.TemporaryDirectory(prefix="gort-chromium-") as profile:
        r = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                            f"--user-data-dir={profile}", "--hide-scrollbars",
                            "--window-size=1400,640", "--virtual-time-budget=5000",
                            f"--screenshot={png}", page.as_uri()],
                           capture_output=True, text=True, timeout=120)
    return "" if r.returncode == 0 and png.exists() else \
        f"chromium could not draw the flame graph ({rc.failure(r)})"
