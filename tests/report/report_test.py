#!/usr/bin/python3
"""report_test.py — the report's pipeline, end to end, on a tiny budget.

    /usr/bin/python3 tests/report/report_test.py --build build/release [--sections alloc,macro]

Runs `bench/report.py --quick --only SECTIONS` into a temporary directory and checks:
  1. report.md, index.html, headlines.json and run.json exist; the summary has one line per
     section run, each linking to a heading of the page;
  2. every table of the allocator sections names every allocator found on this machine;
  3. every plot the Markdown shows decodes as an image with a size;
  4. the numbers in the tables are the raw data's: the allocator medians recomputed from
     alloc/runs.json (Google Benchmark's items_per_second), the macro times from
     macro/runs.json;
  5. the largest resident set of any process of the run stayed under 4 GiB;
  6. headless Chromium loads index.html: every image decodes and the page asks nothing of the
     network (the Resource Timing API lists every fetch the page made). A copy of the page
     with one remote image must fail that check: the check itself is tested.
Exit 0 when everything holds, 1 with the failures listed; 77 (skip) without Chromium.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_RSS_MIB = 4096
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", type=Path, required=True)
    ap.add_argument("--sections", default="alloc,macro")
    ap.add_argument("--keep", type=Path, help="write the report here and keep it")
    args = ap.parse_args()
    browser = shutil.which("chromium")
    with tempfile.TemporaryDirectory(prefix="gort-report-test-") as tmp:
        out = args.keep or Path(tmp) / "report"
        r = subprocess.run(["/usr/bin/python3", str(REPO / "bench" / "report.py"), "--build",
                            str(args.build), "--out", str(out), "--quick", "--only",
                            args.sections], capture_output=True, text=True, timeout=900)
        sys.stderr.write(r.stderr[-3000:])
        check(r.returncode == 0, f"report.py --quick --only {args.sections} exits 0")
        if r.returncode != 0:
            return finish()
        sections = args.sections.split(",")
        md = (out / "report.md").read_text()
        check_files(out, sections, md)
        check_tables(out, md, sections)
        check_images(out, md)
        check_numbers(out, md, sections)
        check_compare(out)
        run = json.loads((out / "run.json").read_text())
        check(run["peak_rss_mib"] < MAX_RSS_MIB,
              f"largest resident set {run['peak_rss_mib']} MiB < {MAX_RSS_MIB} MiB")
        if browser is None:
            print("SKIP  browser checks: chromium is not installed")
            return 77 if not failures else finish()
        check_browser(browser, out, Path(tmp))
    return finish()


def finish() -> int:
    if failures:
        print(f"\n{len(failures)} check(s) failed:\n" + "\n".join(f"  {f}" for f in failures))
        return 1
    print("\nall checks passed")
    return 0


# ---- 1. files and the summary ----------------------------------------------------------------

def check_files(out: Path, sections: list[str], md: str) -> None:
    for f in ("report.md", "index.html", "headlines.json", "run.json"):
        check((out / f).is_file() and (out / f).stat().st_size > 0, f"{f} written")
    heads = json.loads((out / "headlines.json").read_text())["headlines"]
    check(len(heads) == len(sections), f"{len(sections)} summary lines in headlines.json "
                                       f"(got {len(heads)})")
    summary = md.split("## Summary", 1)[-1].split("\n## ", 1)[0]
    anchors = re.findall(r"\]\(#([\w-]+)\)", summary)
    check(len(anchors) == len(sections), f"the summary table links {len(sections)} sections")
    page = (out / "index.html").read_text()
    for a in anchors:
        check(f'id="{a}"' in page, f"index.html has the heading #{a} the summary links to")
    check(not re.search(r"issue \d+", md, re.I), "no issue numbers in the report")


def check_compare(out: Path) -> None:
    """--compare against this very report: every headline figure, unchanged."""
    sys.path.insert(0, str(REPO / "bench"))
    import report
    import report_common as rc
    old = report.load_compare(out)
    heads = [rc.Headline(**h) for h in json.loads((out / "headlines.json").read_text())["headlines"]]
    text = report.render_summary(heads, old)
    rows = [r for r in text.splitlines() if r.startswith("| [")]
    check(len(rows) == len(heads) and all(r.rstrip(" |").endswith("±0%") for r in rows
                                          if "— (" not in r.split("|")[5]),
          f"--compare against itself shows no change on every headline ({len(rows)} rows)")


# ---- 2. every contender in every allocator table ------------------------------------------------

def tables(text: str, before: str = "") -> list[tuple[list[str], list[list[str]]]]:
    """Markdown tables: (header cells, rows of cells); with before, only the tables whose
    preceding text line contains it."""
    out, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-:|]+\|$", lines[i + 1]):
            intro = next((l for l in reversed(lines[:i]) if l.strip()), "")
            if before and before not in intro:
                i += 1
                continue
            head = cells(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            out.append((head, rows))
        else:
            i += 1
    return out


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def section_text(md: str, title: str) -> str:
    return md.split(f"\n## {title}\n", 1)[-1].split("\n## ", 1)[0] if f"\n## {title}\n" in md else ""


def check_tables(out: Path, md: str, sections: list[str]) -> None:
    names = json.loads((out / "run.json").read_text())["contenders"]
    if "alloc" in sections:
        ts = [t for t in tables(section_text(md, "Allocator")) if t[0][0] in ("case", "pattern")]
        check(len(ts) >= 3, f"allocator section has its case and instruction tables ({len(ts)})")
        for head, _ in ts:
            check(all(n in head for n in names), f"allocator table '{head[0]}' names all of {names}")
    if "macro" in sections:
        text = section_text(md, "Macro workloads")
        ts = [t for t in tables(text) if t[0][0] == "contender"]
        check(len(ts) >= 5, f"macro section has its per-workload tables ({len(ts)})")
        for head, rows in ts:
            got = {r[0] for r in rows}
            if "time s" in head:
                check(set(names) <= got, f"macro table lists all of {names} (got {sorted(got)})")


# ---- 3. images -------------------------------------------------------------------------------

def check_images(out: Path, md: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    paths = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    check(len(paths) >= 2, f"the report shows plots ({len(paths)})")
    for p in paths:
        try:
            img = mpimg.imread(out / p)
            ok = img.shape[0] > 50 and img.shape[1] > 50
        except Exception as e:  # an unreadable file is the failure this checks for
            print(f"      {p}: {e}")
            ok = False
        check(ok, f"{p} decodes as an image")


# ---- 4. numbers against the raw data ------------------------------------------------------------

def num(cell: str) -> float | None:
    m = re.search(r"[-+]?[\d,]*\.?\d+", cell.replace("**", ""))
    return float(m.group(0).replace(",", "")) if m else None


def check_numbers(out: Path, md: str, sections: list[str]) -> None:
    if "alloc" in sections:
        raw = json.loads((out / "alloc" / "runs.json").read_text())
        values: dict[tuple[str, str], list[float]] = {}
        for e in raw:
            b = (e.get("output") or {}).get("benchmarks")
            if not b or not b[0].get("items_per_second"):
                continue
            ips = b[0]["items_per_second"]
            rate = e["case"].startswith(("xthread/", "threads2/"))
            values.setdefault((e["case"], e["contender"]), []).append(ips / 1e6 if rate else 1e9 / ips)
        compared = 0
        for head, rows in tables(section_text(md, "Allocator"), before="Median,"):
            if head[0] != "case":
                continue
            for row in rows:
                case = row[0].strip("`")
                for name, cell in zip(head[1:], row[1:]):
                    v = values.get((case, name))
                    got = num(cell)
                    if v is None or got is None or "x" in cell:
                        continue
                    want = round(statistics.median(v), 2)
                    if abs(got - want) > 0.0051 and compared < 10_000:
                        check(False, f"alloc {case} {name}: table {got} != raw median {want}")
                    compared += 1
        check(compared >= 20, f"allocator table cells equal the medians of runs.json ({compared})")
    if "macro" in sections:
        raw = json.loads((out / "macro" / "runs.json").read_text())
        times: dict[tuple[str, str], list[float]] = {}
        for r in raw:
            if not r.get("error") and r.get("time_s") is not None:
                times.setdefault((r["workload"], r["contender"]), []).append(r["time_s"])
        text = section_text(md, "Macro workloads")
        compared = 0
        for block in text.split("#### `")[1:]:
            w = block.split("`", 1)[0]
            for head, rows in tables(block)[:1]:
                for row in rows:
                    v = times.get((w, row[0]))
                    if v is None or "failed" in row[1]:
                        continue
                    want = round(statistics.median(v), 3)
                    got = num(row[1])
                    if got is None or abs(got - want) > 0.00051:
                        check(False, f"macro {w} {row[0]}: table {got} != raw median {want}")
                    compared += 1
        check(compared >= 20, f"macro table times equal the medians of runs.json ({compared})")


# ---- 6. the page in a real browser --------------------------------------------------------------

PROBE = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var imgs = Array.prototype.slice.call(document.images);
    var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
    var fetched = performance.getEntriesByType("resource").map(function (r) { return r.name; });
    var out = document.createElement("pre");
    out.id = "gort-probe";
    out.textContent = JSON.stringify({images: imgs.length, broken: bad.length, fetched: fetched});
    document.body.appendChild(out);
  }, 500);
});
</script>"""


def probe(browser: str, page: Path, tmp: Path) -> dict | None:
    with tempfile.TemporaryDirectory(dir=tmp) as profile:
        r = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                            f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                            "--dump-dom", page.as_uri()],
                           capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="gort-probe">(.*?)</pre>', r.stdout, re.S)
    if not m:
        print(f"      chromium printed no probe (exit {r.returncode}): {r.stderr[-500:]}")
        return None
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def check_browser(browser: str, out: Path, tmp: Path) -> None:
    page = (out / "index.html").read_text()
    # The copies sit beside the original, so a relative link would resolve as it does there.
    # The page's Content-Security-Policy forbids every fetch, and a fetch it blocks leaves no
    # trace for the probe: the copies go without it, so any remote reference shows.
    check('http-equiv="Content-Security-Policy"' in page, "index.html forbids fetches (CSP)")
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    probed = out / "probe.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"))
    got = probe(browser, probed, tmp)
    check(got is not None, "chromium loaded index.html")
    if got:
        check(got["images"] >= 2 and got["broken"] == 0,
              f"every image decodes in chromium ({got['images']} images, {got['broken']} broken)")
        check(not got["fetched"], f"the page asks nothing of the network (fetched: {got['fetched']})")
    # The check must be able to fail: one remote image, and the probe has to see the fetch.
    leaky = out / "probe-leak.html"
    leaky.write_text(page.replace("<body>", '<body><img src="http://127.0.0.1:9/x.png">', 1)
                     .replace("</body>", PROBE + "</body>"))
    bad = probe(browser, leaky, tmp)
    check(bad is not None and bool(bad["fetched"]) and bad["broken"] >= 1,
          "the probe catches a page that fetches a remote image")
    probed.unlink()
    leaky.unlink()


if __name__ == "__main__":
    sys.exit(main())
