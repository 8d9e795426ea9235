"""heapmap.py — draws gort's heap map: the address space, one pixel per 8 KiB page, coloured by
what holds the page.

Input is the file gort writes at exit with GORT_HEAPMAP=path (or on a signal, with
GORT_HEAPMAP_SIGNAL, or from gort_heapmap_write): one line per span, in address order, as
alloc/heapwalk.cc prints them —
    span BASE PAGES KIND CLASS OBJECT_SIZE OBJECTS OBJECTS_OUT RESIDENT
with KIND one of free, small, large, parked — framed by "class C SIZE PAGES" lines and a
final "end N" (N spans; a file without it was cut short).

The picture: pages run left to right in rows of a fixed number of pages, rows top to bottom
in rising address. A page of a small span takes its size class's colour, paler the fewer of
the span's objects are handed out (occupancy = objects out / objects); large objects are dark,
parked large spans (kept by a thread cache) grey-violet, free pages still resident yellow,
free pages returned to the OS white. Which pages of a free run are resident is not recorded:
the run's resident share is drawn at its start. Rows holding only released free pages are
left out, and a gap in the addresses is marked by a line.

Used by `./gort heapmap -- CMD` and by the report (render() is the entry point):
    python3 bench/heapmap.py DUMP OUT.png|OUT.svg
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

PAGE = 8192
KINDS = ("free", "small", "large", "parked")


@dataclass
class Span:
    base: int
    pages: int
    kind: str
    cls: int
    object_size: int
    objects: int
    objects_out: int
    resident: int


@dataclass
class HeapMap:
    pid: int = 0
    page: int = PAGE
    classes: dict[int, tuple[int, int]] = field(default_factory=dict)  # class -> (size, pages)
    spans: list[Span] = field(default_factory=list)
    complete: bool = False  # the "end N" line was there and N matched

    def bytes_by_kind(self) -> dict[str, int]:
        out = {k: 0 for k in KINDS}
        for s in self.spans:
            out[s.kind] += s.pages * self.page
        return out

    def free_resident(self) -> int:
        return sum(s.resident for s in self.spans if s.kind == "free")

    def tiles(self) -> bool:
        """Spans rise and never overlap (each starts at or after the previous one's end)."""
        end = 0
        for s in self.spans:
            if s.base < end or s.pages <= 0:
                return False
            end = s.base + s.pages * self.page
        return True


def parse(path: str | Path) -> HeapMap:
    hm = HeapMap()
    end = None
    for line in Path(path).read_text().splitlines():
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if f[0] == "span" and len(f) == 9:
            hm.spans.append(Span(int(f[1], 16), int(f[2]), f[3], *map(int, f[4:])))
        elif f[0] == "class":
            hm.classes[int(f[1])] = (int(f[2]), int(f[3]))
        elif f[0] == "pid":
            hm.pid = int(f[1])
        elif f[0] == "pagesize":
            hm.page = int(f[1])
        elif f[0] == "end":
            end = int(f[1])
    hm.complete = end is not None and end == len(hm.spans)
    return hm


def _class_colour(cls: int, ncls: int):
    import matplotlib

    return matplotlib.colormaps["turbo"](0.05 + 0.9 * (cls - 1) / max(1, ncls - 1))[:3]


def _rows(hm: HeapMap, width: int) -> list[int]:
    """Row numbers (address // row bytes) that hold anything but released free pages."""
    row_bytes = width * hm.page
    keep = set()
    for s in hm.spans:
        lo = s.base
        hi = s.base + (s.pages * hm.page if s.kind != "free" else s.resident)
        if hi > lo:
            keep.update(range(lo // row_bytes, (hi - 1) // row_bytes + 1))
    return sorted(keep)


def render(dump: str | Path, out: str | Path, title: str | None = None, width: int = 128) -> dict:
    """Draws the heap map of dump into out (PNG or SVG, by its suffix); returns the totals drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch

    hm = parse(dump)
    ncls = max(hm.classes) if hm.classes else 67
    rows = _rows(hm, width)
    while len(rows) > 600:  # keep the picture readable: wider rows for a big heap
        width *= 2
        rows = _rows(hm, width)
    index = {r: i for i, r in enumerate(rows)}
    row_bytes = width * hm.page
    img = np.full((max(1, len(rows)), width, 3), 0.93)  # grey: not part of the heap
    colours = {"large": (0.2, 0.22, 0.3), "parked": (0.62, 0.55, 0.75),
               "free": (1.0, 0.93, 0.55), "released": (1.0, 1.0, 1.0)}

    def paint(lo: int, hi: int, rgb) -> None:
        a = lo
        while a < hi:
            r = a // row_bytes
            row_end = min(hi, (r + 1) * row_bytes)
            if r in index:
                c0 = (a - r * row_bytes) // hm.page
                c1 = -(-(row_end - r * row_bytes) // hm.page)
                img[index[r], c0:c1] = rgb
            a = row_end

    for s in hm.spans:
        lo, hi = s.base, s.base + s.pages * hm.page
        if s.kind == "small":
            occ = s.objects_out / s.objects if s.objects else 0.0
            base = np.array(_class_colour(s.cls, ncls))
            paint(lo, hi, 1.0 - (0.25 + 0.75 * occ) * (1.0 - base))
        elif s.kind == "free":
            paint(lo, lo + s.resident, colours["free"])
            paint(lo + s.resident, hi, colours["released"])
        else:
            paint(lo, hi, colours[s.kind])

    fig_h = min(14.0, 3.0 + len(rows) * 0.05)
    fig, ax = plt.subplots(figsize=(11, fig_h))
    ax.imshow(img, aspect="auto", interpolation="nearest")
    for i in range(1, len(rows)):  # a line where addresses jump
        if rows[i] != rows[i - 1] + 1:
            ax.axhline(i - 0.5, color="black", linewidth=0.8)
    step = max(1, len(rows) // 12)
    ax.set_yticks(range(0, len(rows), step))
    ax.set_yticklabels([hex(rows[i] * row_bytes) for i in range(0, len(rows), step)], fontsize=7)
    ax.set_xlabel(f"page within the row ({width} pages of {hm.page // 1024} KiB = "
                  f"{row_bytes >> 20} MiB a row)")
    totals = hm.bytes_by_kind()
    mib = lambda b: f"{b / 2**20:.1f} MiB"
    ax.set_title(title or f"gort heap map, pid {hm.pid}: {len(hm.spans)} spans; small "
                 f"{mib(totals['small'])}, large {mib(totals['large'])}, free resident "
                 f"{mib(hm.free_resident())}" + ("" if hm.complete else " (dump cut short)"),
                 fontsize=9)
    handles = [Patch(color=colours["large"], label="large object"),
               Patch(color=colours["parked"], label="parked large span"),
               Patch(color=colours["free"], label="free, resident"),
               Patch(facecolor=colours["released"], edgecolor="0.5", label="free, released"),
               Patch(color=(0.93,) * 3, label="not heap")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1 - 2.0 / max(8, len(rows) + 8)), ncol=5,
              fontsize=7, frameon=False)
    sm = plt.cm.ScalarMappable(cmap=matplotlib.colors.ListedColormap(
        [_class_colour(c, ncls) for c in range(1, ncls + 1)]),
        norm=matplotlib.colors.Normalize(0.5, ncls + 0.5))
    cb = fig.colorbar(sm, ax=ax, fraction=0.03, pad=0.02)
    ticks = [c for c in (1, 8, 16, 26, 32, 38, 44, 51, 59, ncls) if c in hm.classes]
    cb.set_ticks(ticks)
    cb.set_ticklabels([f"{hm.classes[c][0]} B" for c in ticks], fontsize=7)
    cb.set_label("small objects by size class; paler: fewer out", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return {"spans": len(hm.spans), "rows": len(rows), "width": width, **totals,
            "free_resident": hm.free_resident(), "complete": hm.complete}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: heapmap.py DUMP OUT.png|OUT.svg", file=sys.stderr)
        return 2
    info = render(argv[1], argv[2])
    print(f"{argv[2]}: {info['spans']} spans in {info['rows']} rows of {info['width']} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
