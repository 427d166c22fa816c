"""The parts of a self-contained HTML report: page, sortable tables, inline SVG charts, glossary.

A report is one ``.html`` file that opens offline: its style sheet and its one small script are
inline, its charts are matplotlib figures saved as SVG and written into the page, and a
Content-Security-Policy forbids the browser to load anything from elsewhere. The script sorts a
table when its header is clicked and, over a chart, shows the values under the pointer (read
from each panel's position and limits, written beside the chart as ``data-axes``); a labelled
line or bar also names its series in an SVG ``<title>``.

Nothing here reads a result folder; :mod:`twin.reports.html_report` assembles the pages.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateFormatter, ConciseDateFormatter, DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter

#: Forbids every request but the page's own inline style, script and data: images.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; font-src data:"
)

STYLE = """
:root { --ink: #1b1b1b; --muted: #5f6670; --rule: #d5dae1; --band: #f3f5f8; --accent: #1f4e79; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
header .kind { color: var(--muted); font-size: 13px; text-transform: uppercase;
               letter-spacing: .06em; }
h1 { font-size: 28px; margin: 4px 0 6px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--accent); }
nav a { margin-right: 14px; color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 12px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
p.note { color: #8a1c1c; }
p.lead { font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0 4px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
div.wide { overflow-x: auto; }
thead th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid var(--ink); }
table.sortable thead th { cursor: pointer; user-select: none; }
table.sortable thead th::after { content: " \\2195"; color: var(--rule); }
table.sortable thead th[aria-sort=ascending]::after { content: " \\2191"; color: var(--ink); }
table.sortable thead th[aria-sort=descending]::after { content: " \\2193"; color: var(--ink); }
tbody tr:nth-child(even) { background: var(--band); }
code { font-size: 12.5px; color: var(--muted); }
.verdict-better { color: #1e6b24; font-weight: 600; }
.verdict-worse { color: #a11d1d; font-weight: 600; }
.verdict-same { color: var(--muted); }
figure.chart { margin: 18px 0 28px; position: relative; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart figcaption { color: var(--muted); font-size: 13px; }
.readout { position: absolute; pointer-events: none; background: rgba(27,27,27,.88);
           color: #fff; font-size: 12px; padding: 3px 7px; border-radius: 3px;
           white-space: pre; display: none; }
footer { color: var(--muted); font-size: 12px; padding-bottom: 30px; margin-top: 30px; }
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw !== null && raw !== "" && !isNaN(Number(raw))) { return { number: Number(raw) }; }
    return { text: (raw === null ? cell.textContent : raw).trim().toLowerCase() };
  }
  function compare(a, b) {
    if ("number" in a && "number" in b) { return a.number - b.number; }
    if ("number" in a) { return -1; }
    if ("number" in b) { return 1; }
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (head, column) {
      head.addEventListener("click", function () {
        var down = head.getAttribute("aria-sort") === "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        head.setAttribute("aria-sort", down ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r, s) {
          var order = compare(key(r.cells[column]), key(s.cells[column]));
          return down ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  function shown(value, axis) {
    if (axis.date) { return new Date(value * 86400000).toISOString().slice(0, 10); }
    var digits = Math.abs(value) >= 1000 ? 0 : 3;
    return Number(value.toPrecision(4)).toLocaleString("en", { maximumFractionDigits: digits });
  }
  function at(fraction, axis) {
    var lo = axis.lim[0], hi = axis.lim[1];
    if (axis.log) {
      return Math.pow(10, Math.log10(lo) + fraction * (Math.log10(hi) - Math.log10(lo)));
    }
    return lo + fraction * (hi - lo);
  }
  document.querySelectorAll("figure.chart").forEach(function (chart) {
    var panels = JSON.parse(chart.getAttribute("data-axes") || "[]");
    var svg = chart.querySelector("svg");
    var readout = chart.querySelector(".readout");
    if (!svg || !readout) { return; }
    svg.addEventListener("mousemove", function (event) {
      var box = svg.getBoundingClientRect();
      var fx = (event.clientX - box.left) / box.width;
      var fy = 1 - (event.clientY - box.top) / box.height;
      var lines = [];
      panels.forEach(function (panel) {
        var p = panel.box;
        if (fx < p[0] || fx > p[2] || fy < p[1] || fy > p[3]) { return; }
        var parts = [];
        var x = panel.x, y = panel.y;
        if (x) { parts.push(x.name + " " + shown(at((fx - p[0]) / (p[2] - p[0]), x), x)); }
        if (y) { parts.push(y.name + " " + shown(at((fy - p[1]) / (p[3] - p[1]), y), y)); }
        if (parts.length) { lines.push(parts.join(", ")); }
      });
      if (!lines.length) { readout.style.display = "none"; return; }
      readout.textContent = lines.join("\\n");
      readout.style.left = (event.clientX - chart.getBoundingClientRect().left + 14) + "px";
      readout.style.top = (event.clientY - chart.getBoundingClientRect().top + 14) + "px";
      readout.style.display = "block";
    });
    svg.addEventListener("mouseleave", function () { readout.style.display = "none"; });
  });
}());
"""


def esc(value: object) -> str:
    """Text made safe to put in HTML."""
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Cell:
    """A table cell: the text shown, the key it sorts by (a number sorts as one), and a class."""

    text: str
    sort: float | str | None = None
    css: str = ""
    markup: bool = False  # text is HTML already

    def html(self) -> str:
        attributes = ""
        if self.css:
            attributes += f' class="{esc(self.css)}"'
        if self.sort is not None:
            attributes += f' data-sort="{esc(self.sort)}"'
        return f"<td{attributes}>{self.text if self.markup else esc(self.text)}</td>"


def number_cell(text: str, value: object, css: str = "") -> Cell:
    """A right-aligned number, sorted by `value` (a missing value sorts as text, last)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    sort = repr(number) if number == number and abs(number) != float("inf") else ""
    return Cell(text, sort, ("num " + css).strip())


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell | str]],
    numeric: Sequence[int] = (),
    sortable: bool = True,
    caption: str = "",
) -> str:
    """An HTML table; columns listed in `numeric` are right-aligned; sortable by its headers."""
    head = "".join(
        f'<th{" class=num" if index in numeric else ""} scope="col">{esc(text)}</th>'
        for index, text in enumerate(headers)
    )
    body = "\n".join(
        "<tr>" + "".join(c.html() if isinstance(c, Cell) else Cell(c).html() for c in row) + "</tr>"
        for row in rows
    )
    css = ' class="sortable"' if sortable else ""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="wide"><table{css}>{cap}<thead><tr>{head}</tr></thead><tbody>\n{body}\n'
        "</tbody></table></div>"
    )


def facts(items: Sequence[tuple[str, str]]) -> str:
    """Label-value lines (provenance), as a definition list."""
    inner = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in items)
    return f'<dl class="facts">{inner}</dl>'


def paragraph(text: str, css: str = "") -> str:
    return f'<p class="{esc(css)}">{esc(text)}</p>' if css else f"<p>{esc(text)}</p>"


def glossary(entries: Sequence[tuple[str, str, str, str]]) -> str:
    """The glossary: (label, identifier, unit, definition) per KPI, sortable by each."""
    rows = [
        [label, Cell(f"<code>{esc(name)}</code>", name, markup=True), unit, definition]
        for label, name, unit, definition in entries
    ]
    return table(["Plain name", "Identifier", "Unit", "Definition"], rows)


# --- charts -----------------------------------------------------------------------------------


def _is_date(ax: Axes, axis: str) -> bool:
    formatter = getattr(ax, f"{axis}axis").get_major_formatter()
    return isinstance(formatter, AutoDateFormatter | ConciseDateFormatter | DateFormatter)


def _is_category(ax: Axes, axis: str) -> bool:
    """Whether an axis names things (bars of variants, parameters) rather than measuring."""
    scale = getattr(ax, f"{axis}axis")
    converter = scale.get_converter()
    if converter is not None and type(converter).__name__ == "StrCategoryConverter":
        return True
    # labels given one by one (``set_yticks(positions, names)``): a FixedFormatter, or in newer
    # matplotlib a FuncFormatter over a FixedLocator
    formatter = scale.get_major_formatter()
    if isinstance(formatter, FixedFormatter):
        return True
    return isinstance(formatter, FuncFormatter) and isinstance(
        scale.get_major_locator(), FixedLocator
    )


def _shared_label(ax: Axes, axis: str) -> str:
    """The label of an axis shared with another panel, where only one of them shows it."""
    shared = ax.get_shared_x_axes() if axis == "x" else ax.get_shared_y_axes()
    labels = (getattr(other, f"get_{axis}label")() for other in shared.get_siblings(ax))
    return next((label for label in labels if label), "")


def _axis_info(ax: Axes, axis: str) -> dict | None:
    """What the pointer readout needs of one axis; None for a category axis."""
    if _is_category(ax, axis) or not getattr(ax, f"{axis}axis").get_visible():
        return None
    label = getattr(ax, f"get_{axis}label")() or _shared_label(ax, axis) or axis
    scale = getattr(ax, f"get_{axis}scale")()
    if scale not in ("linear", "log"):
        return None
    low, high = getattr(ax, f"get_{axis}lim")()
    return {
        "name": label.replace("\n", " ") + ":",
        "lim": [float(low), float(high)],
        "log": scale == "log",
        "date": _is_date(ax, axis),
    }


def _panels(figure: Figure) -> list[dict]:
    """Each panel's box (figure fractions x0, y0, x1, y1) and axes, after the layout is done."""
    panels = []
    for ax in figure.axes:
        if not ax.get_visible() or not ax.has_data():
            continue
        box = ax.get_position()
        x, y = _axis_info(ax, "x"), _axis_info(ax, "y")
        if x is None and y is None:
            continue
        panels.append({"box": [box.x0, box.y0, box.x1, box.y1], "x": x, "y": y})
    return panels


def _tips(figure: Figure) -> dict[str, str]:
    """Give each labelled line, band and bar a gid; return gid -> the series' name."""
    tips: dict[str, str] = {}
    for index, ax in enumerate(figure.axes):
        artists = [*ax.lines, *ax.collections, *ax.patches]
        for number, artist in enumerate(artists):
            label = str(artist.get_label() or "")
            if not label or label.startswith("_"):
                continue
            gid = f"tip-{index}-{number}"
            artist.set_gid(gid)
            tips[gid] = label
    return tips


_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_ID = re.compile(r'\bid="')
_URL = re.compile(r"url\(#")
_HREF = re.compile(r'href="#')


def svg(figure: Figure, prefix: str) -> tuple[str, list[dict]]:
    """The figure as an inline ``<svg>`` element, its ids prefixed with `prefix` so several
    charts share one page, and its panels for the pointer readout.

    The SVG carries no date and fixed ids (``svg.hashsalt``), so one folder gives one page.
    """
    tips = _tips(figure)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "twin", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = _METADATA.sub("", text[text.index("<svg") :])  # the RDF block: no use inline
    for gid, label in tips.items():
        text = text.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{esc(label)}</title>', 1)
    text = _ID.sub(f'id="{prefix}-', text)
    text = _URL.sub(f"url(#{prefix}-", text)
    text = _HREF.sub(f'href="#{prefix}-', text)
    return text, _panels(figure)


def chart(figure: Figure, prefix: str, caption: str = "") -> str:
    """A chart as an HTML ``<figure>``: the inline SVG, the pointer readout and a caption."""
    drawing, panels = svg(figure, prefix)
    data = esc(json.dumps(panels, separators=(",", ":")))
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="chart" id="{esc(prefix)}" data-axes="{data}">{drawing}'
        f'<div class="readout"></div>{cap}</figure>'
    )


# --- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A titled part of the page, with an anchor for the contents line."""

    anchor: str
    title: str
    body: str


def page(kind: str, title: str, sections: Sequence[Section], footer: str = "") -> str:
    """The whole HTML document: head with style, script and policy; header; contents; sections."""
    nav = " ".join(f'<a href="#{esc(s.anchor)}">{esc(s.title)}</a>' for s in sections)
    parts = "\n".join(
        f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>\n{s.body}\n</section>'
        for s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} · {esc(kind)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header><div class="kind">{esc(kind)}</div><h1>{esc(title)}</h1>'
        f"<nav>{nav}</nav></header>\n<main>\n{parts}\n</main>\n"
        f"<footer>{esc(footer)}</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
