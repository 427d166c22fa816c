"""The plain-language reports of issue 16: currency, measured window, glossary, and the fixes to
the staff page, the comparison's inventory histogram, the sweep's integer ticks, the lead-time
labels, the compared KPI and a sweep check's points table. Charts are drawn on Agg, no run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from rich.console import Console

from twin.errors import InputError
from twin.experiments.checks import point_values, points_table
from twin.experiments.jobs import scenario_hash
from twin.reports.compare_figures import headline, inventory_figure, kpi_bars_figure
from twin.reports.figures import lead_time_figure
from twin.reports.glossary import glossary_entries, glossary_pages
from twin.reports.pages import chart_page
from twin.reports.staff_page import staff_page
from twin.reports.summary_figures import utilisation_figure
from twin.reports.sweep_figures import scatter_figure
from twin.reports.terminal import diff_table, summary_table
from twin.reports.window import window_dates, window_text
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"


def _pixels(figure) -> np.ndarray:
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3]


# --- the measured window ---------------------------------------------------------------------


def test_the_window_in_dates_is_the_one_docs_kpis_states_for_the_baseline():
    # docs/kpis.md: window [61, 426) from 2027-01-01 is 2027-03-03 to 2028-03-01, 365 days
    assert window_dates("2027-01-01", 61, 426) == (date(2027, 3, 3), date(2028, 3, 1))
    assert window_text("2027-01-01", 61, 426) == (
        "2027-03-03 to 2028-03-01 (365 days, after a 61-day warm-up)"
    )
    assert window_text("2027-01-01", 0, 91, short=True) == "2027-01-01 to 2027-04-01 (91 days)"
    # a fractional horizon ends on the day it falls in
    assert window_dates("2026-01-05", 0.5, 30.5)[1] == date(2026, 2, 4)
    assert window_text("not a date", 0, 10) == "n/a"


# --- currency --------------------------------------------------------------------------------


def test_a_currency_code_is_checked_and_changes_no_result():
    eur = load(Scenario, SMALL, ["currency=EUR"])
    assert eur.currency == "EUR"
    assert load(Scenario, SMALL).currency is None
    assert scenario_hash(eur) == scenario_hash(load(Scenario, SMALL))
    with pytest.raises(InputError, match=r"currency: 'euro' is not a currency code: give the ISO"):
        load(Scenario, SMALL, ["currency=euro"])


def _summary(kpis: dict[str, tuple[float, str]]) -> pd.DataFrame:
    rows = [(k, m, 0.0, m, m, unit) for k, (m, unit) in kpis.items()]
    return pd.DataFrame(rows, columns=["kpi", "mean", "std", "ci_low", "ci_high", "unit"])


def test_the_terminal_table_shows_labels_identifiers_and_the_currency():
    summary = _summary({"revenue": (8564.0, "currency"), "otif_rate": (0.886, "ratio")})
    console = Console(record=True, width=200)
    console.print(summary_table(summary, "small", currency="EUR"))
    text = console.export_text()
    assert "Revenue" in text and "revenue" in text and "EUR" in text
    assert "Orders on time in full" in text and "share" in text
    assert "currency" not in text


# --- glossary ----------------------------------------------------------------------------------


def test_the_glossary_has_one_entry_per_kpi_family_in_the_order_shown():
    names = ["profit", "wait_p95_days_order_desk", "wait_p95_days_warehouse", "promo_cost_spring"]
    entries = glossary_entries([*names, "profit", "an_output"], currency="EUR")
    assert [e.identifier for e in entries] == [
        "profit",
        "wait_p95_days_<role>",
        "promo_cost_<name>",
        "an_output",
    ]
    assert entries[0].unit == "EUR" and entries[0].definition
    assert entries[1].label == "Wait for the <role>, 95th percentile"
    assert entries[3] == ("an_output", "an_output", "", "")  # unknown: shown, not dropped


def test_a_long_glossary_continues_on_further_pages():
    from twin.kpi_labels import KPIS

    assert len(glossary_pages(["profit"])) == 1
    pages = glossary_pages(list(KPIS))  # about a hundred entries
    assert len(pages) >= 3
    texts = [t.get_text() for t in pages[-1].texts]
    assert any("(continued)" in text for text in texts)
    shown = {t.get_text() for page in pages for t in page.texts}
    assert set(KPIS) <= shown  # every identifier is on a page


# --- the staff page is no longer mostly blank ----------------------------------------------


def _blank_share(figure) -> float:
    """Share of the page's rows, between the top margin and the footer, with no ink."""
    pixels = _pixels(figure)
    height = pixels.shape[0]
    body = pixels[int(0.05 * height) : int(0.9 * height)]
    return float((body.min(axis=(1, 2)) > 245).mean())


def test_the_staff_page_fills_its_lower_half_with_the_roles_table():
    summary = _summary(
        {
            "utilisation_order_desk": (0.10, "ratio"),
            "utilisation_warehouse": (0.17, "ratio"),
            **{
                f"{k}_{r}": (1.0, u)
                for r in ("order_desk", "warehouse")
                for k, u in [
                    ("wait_mean_days", "days"),
                    ("wait_p95_days", "days"),
                    ("queue_mean", "jobs"),
                    ("headcount_mean", "people"),
                    ("staff_cost", "currency"),
                ]
            },
        }
    )
    # before: the chart alone left over half of the page's rows blank (measured 0.55)
    assert _blank_share(chart_page(utilisation_figure(summary), keep_short=True)) > 0.5
    page = staff_page(utilisation_figure(summary), summary, currency="EUR")
    assert _blank_share(page) < 0.4
    texts = [t.get_text() for t in page.texts]
    assert "Staff cost (EUR)" in texts and "order desk" in texts


# --- the comparison's inventory histogram -----------------------------------------------


def test_the_inventory_histogram_reads_share_of_days_in_thousands_without_a_multiplier():
    rng = np.random.default_rng(3)
    days = 100
    daily = pd.DataFrame(
        {
            "variant": np.repeat(["base", "lean"], days),
            "day": np.tile(np.arange(days), 2),
            "inventory_value": np.r_[
                rng.normal(250_000, 20_000, days), rng.normal(180_000, 15_000, days)
            ],
        }
    )
    figure = inventory_figure(daily, ["base", "lean"], {"base": 10.0, "lean": 10.0}, "EUR")
    _pixels(figure)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "Inventory value (thousands of EUR)"
    assert ax.get_ylabel().startswith("Share of days") and "Density" not in ax.get_ylabel()
    assert ax.yaxis.get_offset_text().get_text() == ""  # no 1e-6 multiplier
    assert ax.xaxis.get_offset_text().get_text() == ""
    # each variant's bins hold its share of the 90 measured days: they add up to one
    for patch in ax.patches:
        heights = patch.get_xy()[:, 1]
        assert heights.max() <= 1.0
    tops = [np.diff(p.get_xy()[:, 1]) for p in ax.patches]
    assert len(tops) == 2


# --- the sweep's integer factor ----------------------------------------------------------


def test_an_integer_parameter_has_whole_number_ticks():
    manifest = {
        "parameters": [
            {"path": "staffing.warehouse.headcount", "label": "warehouse staff", "integer": True},
            {"path": "inventory.default.policy.reorder_point_days", "integer": False},
        ],
        "units": {"profit": "currency"},
        "currency": "EUR",
    }
    results = pd.DataFrame(
        {
            "point": [0, 1, 2, 3],
            "staffing.warehouse.headcount": [2, 3, 4, 2],
            "inventory.default.policy.reorder_point_days": [3.0, 3.5, 4.5, 6.0],
            "profit": [1.0, 2.0, 3.0, 4.0],
            "error": [""] * 4,
        }
    )
    figure = scatter_figure(manifest, results, "profit")
    _pixels(figure)
    headcount, days = figure.axes[:2]
    ticks = headcount.get_xticks()
    inside = ticks[(ticks >= 2) & (ticks <= 4)]
    assert len(inside) and np.allclose(inside, np.round(inside))  # no 2.5 or 3.5
    assert headcount.get_ylabel() == "Profit, modelled costs only (EUR)"
    assert not np.allclose(days.get_xticks(), np.round(days.get_xticks()))  # others unchanged


# --- lead-time labels stay inside the axis ---------------------------------------------


def test_with_constant_lead_times_the_p50_and_p95_labels_stay_inside_the_axis():
    quantiles = np.round(np.linspace(0, 1, 101), 2)
    lead_times = pd.DataFrame(
        {
            "replication": np.repeat([0, 1], 101),
            "quantile": np.tile(quantiles, 2),
            "lead_time_days": 3.0,
        }
    )
    figure = lead_time_figure(lead_times)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = figure.axes[0]
    box = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text().startswith(("p50", "p95"))]
    assert len(labels) == 2
    for label in labels:
        extent = label.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, label.get_text()


# --- the compared KPI is always shown -------------------------------------------------------


def _comparison() -> pd.DataFrame:
    rows = []
    for kpi, unit in (("profit", "currency"), ("fill_rate", "ratio"), ("bad_debt", "currency")):
        for variant, mean in (("base", 10.0), ("lean", 12.0)):
            diff = 0.0 if variant == "base" else 2.0
            rows.append(
                (
                    kpi,
                    variant,
                    mean,
                    mean - 1,
                    mean + 1,
                    diff,
                    diff - 1,
                    diff + 1,
                    variant != "base",
                    unit,
                )
            )
    columns = [
        "kpi",
        "variant",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "significant",
        "unit",
    ]
    return pd.DataFrame(rows, columns=columns)


def test_the_best_kpi_joins_the_headline_kpis_in_the_table_and_charts():
    comparison = _comparison()
    assert headline(comparison) == ["profit", "fill_rate"]
    assert headline(comparison, ["bad_debt"]) == ["profit", "fill_rate", "bad_debt"]
    assert headline(comparison, ["profit"]) == ["profit", "fill_rate"]  # no repeat
    console = Console(record=True, width=200)
    console.print(diff_table(comparison, "base", 0.95, ["bad_debt"], "EUR"))
    text = console.export_text()
    assert "Bad debt" in text and "bad_debt" in text and "EUR" in text
    figure = kpi_bars_figure(comparison, ["base", "lean"], ["bad_debt"], "EUR")
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()]
    assert titles[-1] == "Bad debt (EUR)\nbad_debt"


# --- a sweep check's points ---------------------------------------------------------------


def test_points_table_puts_each_points_values_beside_its_verdicts():
    design = pd.DataFrame({"point": [0, 1], "staffing.warehouse.headcount": [2, 3]})
    results = pd.DataFrame(
        {
            "check": [0, 0, 1],
            "name": ["fill_rate >= 0.9", "fill_rate >= 0.9", "mean check"],
            "group": ["point 0", "point 1", "mean"],
            "kpi": ["fill_rate"] * 3,
            "value": [0.84, 1.0, 0.92],
            "status": ["fail", "pass", "pass"],
        }
    )
    table = points_table(results, design)
    assert list(table.columns) == [
        "point",
        "staffing.warehouse.headcount",
        "check",
        "name",
        "kpi",
        "value",
        "status",
    ]
    assert table["staffing.warehouse.headcount"].tolist() == [2, 3]
    assert table["status"].tolist() == ["fail", "pass"]  # the mean has no point
    assert point_values(design) == {
        0: "staffing.warehouse.headcount=2",
        1: "staffing.warehouse.headcount=3",
    }
    floats = pd.DataFrame({"point": [0], "a": [0.5], "b": ["x"]})
    assert point_values(floats) == {0: "a=0.5, b=x"}
