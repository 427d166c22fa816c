"""The HTML report of a run folder, read as HTML: self-contained, one inline SVG per chart, the
KPI table sortable with a row per KPI, the glossary in plain words. (It is opened in a real
browser by ``test_html_browser.py``.)"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from small_run_folder import small_run_fixture  # noqa: F401  (the fixture small_run)

from twin.commands.planner_files import kpi_words
from twin.reports.figures import build_figures
from twin.reports.html import Cell, number_cell, svg, table
from twin.reports.html_backtest import write_backtest_html
from twin.reports.html_report import (
    RUN_PAGE,
    shown_unit,
    verdict,
    write_run_html,
)
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
    # one line per KPI family: the roles' KPIs share theirs (wait_p95_days_<role>)
    assert {"revenue", "otif_rate", "wait_p95_days_<role>"} <= set(glossary["Identifier"])
    assert glossary["Definition"].str.len().gt(10).all()
    assert outline.count("table", **{"class": "sortable"}) == len(outline.tables)
    assert "2026-01-10 to 2026-01-24" in run_page.read_text(encoding="utf-8")


def test_units_are_the_planners_words_and_money_the_scenarios_currency() -> None:
    assert shown_unit("currency", "EUR") == "EUR"
    assert shown_unit("currency", None) == "currency"
    assert shown_unit("days", "EUR") == "days" and shown_unit(float("nan")) == ""
    assert shown_unit("ratio") == "share"  # the planner's word, as in the PDF


def test_a_chart_is_inline_svg_with_prefixed_ids_and_named_series() -> None:
    figure = Figure(figsize=(4, 3))
    ax = figure.subplots()
    ax.plot([0, 1, 2], [1, 3, 2], label="mean of 5 replications")
    ax.set_xlabel("day")
    ax.set_ylabel("units")
    drawing, panels = svg(figure, "c7")
    assert svg(figure, "c7")[0] == drawing  # no date, no random ids: one figure, one drawing
    assert drawing.startswith("<svg") and drawing.rstrip().endswith("</svg>")
    assert "<title>mean of 5 replications</title>" in drawing
    ids = re.findall(r'\bid="([^"]+)"', drawing)
    assert ids and all(i.startswith("c7-") for i in ids)
    assert all(ref[1:].startswith("c7-") for ref in re.findall(r"url\((#[^)]+)\)", drawing))
    (panel,) = panels
    assert panel["x"]["name"] == "day:" and panel["y"]["name"] == "units:"
    assert panel["x"]["lim"] == list(ax.get_xlim()) and not panel["x"]["date"]


def test_the_readout_names_a_shared_axis_and_knows_dates_and_named_bars() -> None:
    figure = Figure(figsize=(4, 5))
    top, bottom = figure.subplots(2, 1, sharex=True)
    days = pd.date_range("2027-01-01", periods=3).to_numpy()
    top.plot(days, [1, 2, 3])
    bottom.plot(days, [3, 2, 1])
    bottom.set_xlabel("Date")
    named = Figure().subplots()
    named.barh([0, 1], [5, 7])
    named.set_yticks([0, 1], ["order desk", "warehouse"])
    (upper, lower), bars = svg(figure, "a")[1], svg(named.figure, "b")[1]
    assert upper["x"]["name"] == lower["x"]["name"] == "Date:"
    assert upper["x"]["date"] and not upper["y"]["date"]
    # matplotlib's day numbers, which the script turns into dates: days since 1970-01-01
    assert upper["x"]["lim"][0] < 20820.0 < upper["x"]["lim"][1]  # 2027-01-03
    assert bars[0]["y"] is None and bars[0]["x"] is not None  # bars named, not measured


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


def backtest_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A backtest of one origin, two series and three weeks, as ``twin backtest`` holds it."""
    weeks = pd.date_range("2026-09-01", periods=3, freq="7D")
    rows = []
    for series, unit, level in (("orders", "orders", 1300.0), ("revenue", "currency", 9e5)):
        for week, start in enumerate(weeks):
            middle = level * (1 + 0.01 * week)
            rows.append(
                {
                    "origin": "2026-09-01", "week": week, "week_start": start.date().isoformat(),
                    "series": series, "unit": unit, "actual": middle * 1.02,
                    "forecast_mean": middle, "p05": middle * 0.9, "p25": middle * 0.95,
                    "p50": middle, "p75": middle * 1.05, "p95": middle * 1.1,
                    "band90_low": middle * 0.9, "band90_high": middle * 1.1,
                    "band50_low": middle * 0.95, "band50_high": middle * 1.05,
                    "baseline": "seasonal_naive", "baseline_value": level,
                }
            )  # fmt: skip
    backtest = pd.DataFrame(rows)
    history = backtest[["origin", "series", "unit"]].assign(
        week_start=pd.Timestamp("2026-08-25").date().isoformat(), actual=1000.0
    )
    summary = pd.DataFrame(
        {
            "origin": ["2026-09-01", "2026-09-01", "all"],
            "series": ["orders", "revenue", "orders"],
            "unit": ["orders", "currency", "orders"], "weeks": [3, 3, 3],
            "actual_mean": [1326.0, 918000.0, 1326.0], "forecast_mean": [1313.0, 909000.0, 1313.0],
            "mape": [0.02, 0.02, 0.02], "bias": [-0.0098, -0.0098, -0.0098],
            "coverage_50": [1.0, 1.0, 1.0], "coverage_90": [1.0, 1.0, 1.0],
            "crps": [5.0, 3000.0, 5.0], "mase": [0.5, 0.5, 0.5], "relative_mae": [0.8, 0.8, 0.8],
        }
    )  # fmt: skip
    checks = pd.DataFrame(
        {
            "series": ["orders", "orders", "units"], "score": ["coverage_90", "bias", "bias"],
            "value": [1.0, -0.0098, np.nan], "low": [0.8, -0.1, -0.1], "high": [0.97, 0.1, 0.1],
            "passed": [False, True, None],
        }
    )  # fmt: skip
    return backtest, summary, history, checks


def test_the_backtest_page_shows_the_verdicts_scores_and_a_fan_per_origin(tmp_path: Path) -> None:
    backtest, summary, history, checks = backtest_tables()
    facts = [("Source", "sample"), ("Origins", "2026-09-01")]
    page = write_backtest_html(tmp_path, backtest, summary, history, checks, facts, 4)
    outline = Outline()
    outline.feed(page.read_text(encoding="utf-8"))
    verdicts, scores = outline.frame(0), outline.frame(1)
    assert list(verdicts["Verdict"]) == ["FAILED", "passed", "no value"]
    assert list(scores["Series"]) == ["orders", "revenue", "orders"]
    assert list(scores["Bias"]) == ["-1.0%"] * 3 and scores["Actual, mean"][1] == "918,000"
    assert outline.count("svg") == 1  # one origin, one fan chart
