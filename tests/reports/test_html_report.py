"""The HTML report of a run folder, read as HTML: self-contained, one inline SVG per chart, the
KPI table sortable with a row per KPI, the glossary in plain words. (It is opened in a real
browser by ``test_html_browser.py``.)"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from twin.commands.planner_files import kpi_words
from twin.reports.figures import build_figures
from twin.reports.html import Cell, number_cell, svg, table
from twin.reports.html_report import RUN_PAGE, measured_window, verdict, write_run_html
from twin.reports.kpi_words import KpiWords


class Outline(HTMLParser):
    """The elements of a page that the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.tables: list[list[list[str]]] = []  # table -> rows -> cell texts
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def frame(self, index: int) -> pd.DataFrame:
        """A table of the page: its header row as the columns."""
        head, *rows = self.tables[index]
        return pd.DataFrame(rows, columns=head)

    def count(self, tag: str, **attributes: str) -> int:
        return sum(
            1
            for name, attrs in self.tags
            if name == tag and all(attrs.get(k) == v for k, v in attributes.items())
        )


@pytest.fixture(scope="module")
def run_page(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("html") / "run"
    shutil.copytree(small_run, folder)
    return write_run_html(folder, kpi_words())


def test_the_run_page_is_one_file_that_asks_for_nothing_from_elsewhere(run_page: Path) -> None:
    text = run_page.read_text(encoding="utf-8")
    assert run_page.name == RUN_PAGE
    outline = Outline()
    outline.feed(text)
    policy = [
        a["content"] for t, a in outline.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy and "default-src 'none'" in str(policy[0])
    # no file, stylesheet, script or image is referenced: links are anchors in the page
    for tag, attributes in outline.tags:
        for name in ("src", "href", "xlink:href"):
            value = attributes.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    # an address appears only as an SVG namespace's name, which is never fetched
    assert {a for a in re.findall(r'([\w:-]+)="https?://', text)} <= {"xmlns", "xmlns:xlink"}
    assert text.count("://") == 2 * text.count("<svg ")
    assert len(outline.ids) == len(set(outline.ids))  # the charts' ids do not collide


def test_the_run_page_has_a_chart_per_figure_and_a_row_per_kpi(
    run_page: Path, small_run: Path
) -> None:
    outline = Outline()
    outline.feed(run_page.read_text(encoding="utf-8"))
    charts = build_figures(small_run)
    assert outline.count("figure", **{"class": "chart"}) == len(charts)
    assert outline.count("svg") == len(charts)
    summary = pd.read_csv(small_run / "summary.csv")
    kpis, glossary = outline.frame(0), outline.frame(-1)
    assert list(kpis.columns) == ["KPI", "Identifier", "Mean", "95 % CI", "Unit"]
    assert list(kpis["Identifier"]) == list(summary["kpi"])
    assert kpis.set_index("Identifier").loc["otif_rate", "KPI"] == "Orders on time in full"
    assert set(glossary["Identifier"]) == set(summary["kpi"])
    assert glossary["Definition"].str.len().gt(10).all()
    assert outline.count("table", **{"class": "sortable"}) == len(outline.tables)
    assert "2026-01-10 to 2026-01-24" in run_page.read_text(encoding="utf-8")


def test_the_measured_window_runs_from_the_warmup_to_the_horizon() -> None:
    manifest = {"start_date": "2026-01-05", "warmup_days": 5, "horizon_days": 20}
    assert measured_window(manifest) == "2026-01-10 to 2026-01-24"


def test_a_chart_is_inline_svg_with_prefixed_ids_and_named_series() -> None:
    figure = Figure(figsize=(4, 3))
    ax = figure.subplots()
    ax.plot([0, 1, 2], [1, 3, 2], label="mean of 5 replications")
    ax.set_xlabel("day")
    ax.set_ylabel("units")
    drawing, panels = svg(figure, "c7")
    assert drawing.startswith("<svg") and drawing.rstrip().endswith("</svg>")
    assert "<title>mean of 5 replications</title>" in drawing
    ids = re.findall(r'\bid="([^"]+)"', drawing)
    assert ids and all(i.startswith("c7-") for i in ids)
    assert all(ref[1:].startswith("c7-") for ref in re.findall(r"url\((#[^)]+)\)", drawing))
    (panel,) = panels
    assert panel["x"]["name"] == "day:" and panel["y"]["name"] == "units:"
    assert panel["x"]["lim"] == list(ax.get_xlim()) and not panel["x"]["date"]


def test_a_number_sorts_by_its_value_and_text_is_escaped() -> None:
    html = table(["a", "b"], [[Cell("<x>"), number_cell("1,234", 1234.0)]], numeric=(1,))
    assert "&lt;x&gt;" in html and 'data-sort="1234.0"' in html
    assert 'data-sort=""' in number_cell("n/a", float("nan")).html()


class Row:
    def __init__(self, variant: str, kpi: str, diff: float, significant: bool) -> None:
        self.variant, self.kpi, self.diff, self.significant = variant, kpi, diff, significant


@pytest.mark.parametrize(
    ("kpi", "diff", "significant", "text"),
    [
        ("profit", 10.0, True, "better (higher)"),
        ("profit", -10.0, True, "worse (lower)"),
        ("lead_time_p95_days", -1.0, True, "better (lower)"),
        ("profit", 10.0, False, "no clear difference"),
        ("mystery", 1.0, True, "higher than base"),
    ],
)
def test_a_verdict_reads_the_kpis_direction(
    kpi: str, diff: float, significant: bool, text: str
) -> None:
    words = KpiWords(direction={"profit": True, "lead_time_p95_days": False}.get)
    assert verdict(Row("v", kpi, diff, significant), "base", words).text == text
    assert verdict(Row("base", kpi, diff, significant), "base", words).text == "base"
