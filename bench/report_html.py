"""report_html.py — the report as one self-contained web page: <out>/index.html.

The page is report.md turned into HTML by Python-Markdown (Debian's python3-markdown, with its
tables and toc extensions: the headings get the ids the summary links to), then made to stand
alone:
  - every plot (a PNG beside the report) is embedded as a data: URI inside a <figure>, its
    Markdown text as the caption, so the page opens from the file system, or mailed, with no
    network and no other file;
  - wide tables scroll inside their box instead of widening the page, and every table sorts by
    a click on a column's heading (a few lines of script inline: no library is needed for it,
    and the page may load none);
  - a Content-Security-Policy forbids the page any request: a link that slipped in would not
    be fetched.
Links to other files of the report (the interactive flame graph, raw data) stay links.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 72rem; margin: 1.5rem auto;
       padding: 0 1rem; color: #1b1b1b; }
h1 { border-bottom: 2px solid #d62728; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
code { background: #f3f3f3; padding: 0 .2em; border-radius: 3px; }
.table { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; }
th { background: #f6f6f6; position: sticky; top: 0; cursor: pointer; }
th.sorted-up::after { content: " \\25B2"; } th.sorted-down::after { content: " \\25BC"; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #444; max-width: 60rem; }
nav.toc { background: #f8f8f8; padding: .5rem 1rem; border-radius: 4px; }
"""

# Sorting: numbers (thousands separators and units ignored) sort as numbers, the rest as text.
SCRIPT = """
document.querySelectorAll("table").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.title = "sort by this column";
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = !th.classList.contains("sorted-up");
      table.querySelectorAll("th").forEach(function (h) { h.className = ""; });
      th.className = up ? "sorted-up" : "sorted-down";
      function key(row) {
        var t = row.cells[col] ? row.cells[col].textContent.trim() : "";
        var m = t.replace(/,/g, "").match(/^[-+]?[0-9]*\\.?[0-9]+(e[-+]?[0-9]+)?/i);
        return m ? [0, parseFloat(m[0])] : [1, t.toLowerCase()];
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x[0] !== y[0]) return x[0] - y[0];
        var c = x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
        return up ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def write(out: Path, markdown_text: str, title: str) -> Path:
    import markdown  # Debian's python3-markdown
    md = markdown.Markdown(extensions=["tables", "toc", "fenced_code", "sane_lists"],
                           extension_configs={"toc": {"toc_depth": "2-2"}})
    body = md.convert(markdown_text)
    body = embed_figures(out, body)
    body = re.sub(r"<table>", '<div class="table"><table>', body)
    body = re.sub(r"</table>", "</table></div>", body)
    page = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f'<nav class="toc"><strong>Sections</strong>{md.toc}</nav>\n'
            f"{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n")
    path = out / "index.html"
    path.write_text(page)
    return path


def embed_figures(out: Path, body: str) -> str:
    """<p><img alt="caption" src="x/y.png" /></p> -> <figure> with the PNG inline."""
    def figure(m: re.Match) -> str:
        alt, src = html.unescape(m.group("alt")), html.unescape(m.group("src"))
        return (f'<figure><img alt="{html.escape(alt)}" src="{data_uri(out / src)}">'
                f"<figcaption>{html.escape(alt)}</figcaption></figure>")
    img = r'<img alt="(?P<alt>[^"]*)" src="(?P<src>(?!data:)[^"]+)"\s*/?>'
    body = re.sub(r"<p>\s*" + img + r"\s*</p>", figure, body)
    return re.sub(img, figure, body)  # an image inside other text


def data_uri(path: Path) -> str:
    kind = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}.get(
        path.suffix.lower(), "application/octet-stream")
    try:
        data = path.read_bytes()
    except OSError:
        return "data:,"  # a missing plot shows as a broken image, and the browser test says so
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"
