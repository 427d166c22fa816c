"""The HTML pages beside the PDFs of calibrate, validate and optimise, and the glossary of the
backtest's scores and the fit report's columns: each page is one self-contained file with its
charts as inline SVG and its glossary terms; the backtest and calibration PDFs gain exactly one
glossary page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pypdf
from matplotlib.figure import Figure
from test_html_report import Outline, backtest_tables

from twin.calibration.validation_output import weekly_figure
from twin.commands.planner_files import write_html
from twin.reports.backtest_figures import fan_figures
from twin.reports.backtest_report import _front_pages, write_backtest_report
from twin.reports.glossary import (
    BACKTEST_TERMS,
    CALIBRATION_TERMS,
    VALIDATION_TERMS,
    calibration_glossary_page,
    entry_pages,
)
from twin.reports.html_backtest import write_backtest_html
from twin.reports.html_calibration import CALIBRATION_PAGE, write_calibration_html
from twin.reports.html_optimise import OPTIMISE_PAGE
from twin.reports.html_validate import VALIDATION_PAGE, write_validation_html
from twin.reports.optimise_report import write_optimise_report


def assert_self_contained(text: str) -> Outline:
    """Nothing is fetched: every src/href is an anchor in the page; an address appears only as
    an SVG namespace's name. Returns the page's outline."""
    outline = Outline()
    outline.feed(text)
    for tag, attributes in outline.tags:
        for name in ("src", "href", "xlink:href"):
            value = attributes.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    assert {a for a in re.findall(r'([\w:-]+)="https?://', text)} <= {"xmlns", "xmlns:xlink"}
    assert text.count("://") == 2 * text.count("<svg ")
    assert len(outline.ids) == len(set(outline.ids))
    return outline


def glossary_identifiers(outline: Outline) -> list[str]:
    """The identifier column of the page's last table (the glossary)."""
    head, *rows = outline.tables[-1]
    assert head == ["Plain name", "Identifier", "Unit", "Definition"]
    return [row[1] for row in rows]


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def test_the_backtest_page_and_pdf_carry_the_scores_glossary(tmp_path: Path) -> None:
    backtest, summary, history, checks = backtest_tables()
    summary = summary.assign(width_90=0.2, baseline_mase=0.6)
    facts = [("Source", "sample")]
    page = write_backtest_html(tmp_path, backtest, summary, history, checks, facts, 4)
    outline = assert_self_contained(page.read_text(encoding="utf-8"))
    assert glossary_identifiers(outline) == [entry.identifier for entry in BACKTEST_TERMS]
    assert {"mape", "bias", "crps", "pinball", "relative_mae"} <= set(glossary_identifiers(outline))
    paths = write_backtest_report(tmp_path, backtest, summary, history, checks, facts, 4)
    texts = pdf_pages(paths[-1])
    charts = fan_figures(backtest, history, 4)
    # the front pages and a page per fan chart, as before, and one glossary page at the end
    assert len(texts) == len(_front_pages(summary, checks, facts)) + len(charts) + 1
    assert [i for i, text in enumerate(texts) if "Glossary" in text] == [len(texts) - 1]
    assert "relative_mae" in texts[-1] and "coverage_50" in texts[-1]


def test_the_glossaries_fit_on_one_page_each() -> None:
    for entries in (BACKTEST_TERMS, CALIBRATION_TERMS, VALIDATION_TERMS):
        assert len(entry_pages(entries, "title", "note")) == 1
    assert len({entry.identifier for entry in CALIBRATION_TERMS}) == len(CALIBRATION_TERMS)
    assert isinstance(calibration_glossary_page(), Figure)


def small_figure(label: str) -> Figure:
    figure = Figure(figsize=(4, 3))
    ax = figure.subplots()
    ax.plot([1, 2, 3], [2.0, 1.0, 3.0], label=label)
    ax.set_xlabel("days")
    return figure


def test_the_calibration_page_shows_the_fit_report_charts_and_its_columns(tmp_path: Path) -> None:
    fit_report = pd.DataFrame(
        {
            "quantity": ["transit_days", "lead_time_days"], "group": ["web", "A"],
            "distribution": ["gamma", "lognormal"], "parameters": ["a=2, scale=1", "s=0.3"],
            "n": [1200, 4], "aic": [3012.5, np.nan], "gof_p": [0.41, np.nan],
            "source": ["orders", "purchase_orders"], "defaulted": [False, True],
            "note": ["", "too few values: 7 days"],
        }
    )  # fmt: skip
    figures = {
        "fit_transit_days_web.png": small_figure("fitted"),
        "counts_web.png": small_figure("x"),
    }
    notes = {"Calibration notes": ["a note"], "Data quality notes": [], "Charts skipped": ["B"]}
    page = write_calibration_html(
        tmp_path, "small", [("Active period", "2024-01-01..2025-02-04")], fit_report, notes, figures
    )
    assert page.name == CALIBRATION_PAGE
    first = page.read_bytes()
    write_calibration_html(
        tmp_path, "small", [("Active period", "2024-01-01..2025-02-04")], fit_report, notes, figures
    )
    assert page.read_bytes() == first  # the same calibration gives the same page
    outline = assert_self_contained(page.read_text(encoding="utf-8"))
    assert outline.count("svg") == 2 and outline.count("table", **{"class": "sortable"}) == 2
    table = outline.frame(0)
    assert list(table.columns) == list(fit_report.columns)
    assert list(table["defaulted"]) == ["no", "yes"] and list(table["n"]) == ["1,200", "4"]
    assert glossary_identifiers(outline) == list(fit_report.columns)
    assert "Data quality notes" not in page.read_text(encoding="utf-8")  # no notes, no heading


def test_the_validation_page_shows_the_table_weekly_charts_and_glossary(tmp_path: Path) -> None:
    weeks = pd.date_range("2025-01-06", periods=6, freq="7D")
    weekly = pd.DataFrame({"week_start": weeks})
    for column, level in (("orders", 100.0), ("revenue", 5e4)):
        weekly[f"actual_{column}"] = level * np.linspace(0.9, 1.1, 6)
        weekly[f"simulated_{column}_mean"] = level
        weekly[f"simulated_{column}_p05"] = level * 0.85
        weekly[f"simulated_{column}_p95"] = level * 1.15
    table = pd.DataFrame(
        {
            "kpi": ["weekly_orders", "fill_rate"], "actual": [100.0, np.nan],
            "simulated_mean": [101.0, np.nan], "mape": [0.05, np.nan],
            "tolerance": [0.2, np.nan], "passed": [True, None], "note": ["", "no values"],
        }
    )  # fmt: skip
    figures = {
        f"weekly_{c}.png": weekly_figure(weekly, c, c.title(), 3) for c in ("orders", "revenue")
    }
    facts = [("Compared", "6 weeks from 2025-01-06")]
    page = write_validation_html(tmp_path, table, figures, facts, ["one note"])
    assert page.name == VALIDATION_PAGE
    outline = assert_self_contained(page.read_text(encoding="utf-8"))
    assert outline.count("svg") == 2
    shown = outline.frame(0)
    assert list(shown["kpi"]) == ["weekly_orders", "fill_rate"] and shown["mape"][1] == "–"
    assert "mape" in glossary_identifiers(outline) and "tolerance" in glossary_identifiers(outline)


def optimise_folder(folder: Path) -> Path:
    """An optimisation folder as ``twin optimise`` leaves it before its report."""
    folder.mkdir()
    kpi = "lead_time_p95_days"
    trials = pd.DataFrame(
        {
            "candidate": [0, 1, 2], "warehouse headcount": [1, 2, 3],
            "objective_mean": [100.0, 200.0, 300.0], "objective_ci_low": [90.0, 190.0, 290.0],
            "objective_ci_high": [110.0, 210.0, 310.0], f"{kpi}_mean": [9.0, 4.0, 2.0],
            "feasible_confident": [False, True, True], "selected": [False, True, False],
            "error": ["", "", ""],
        }
    )  # fmt: skip
    trials.to_csv(folder / "trials.csv", index=False)
    trials.iloc[1:].drop(columns="error").to_csv(folder / "pareto.csv", index=False)
    manifest = {
        "optimisation": "small-staff", "description": "least staff cost", "file": "opt.yaml",
        "base": "small.yaml", "seed": 1, "objective": "minimise staff_cost",
        "constraints": [f"{kpi} <= 5"],
        "constraint_terms": [{"kpi": kpi, "bound": 5.0, "probability": None}],
        "units": {"staff_cost": "currency", kpi: "days"}, "delta": 10.0, "confidence": 0.95,
        "simulations": 6, "candidates": 3, "wall_s": 1.0,
        "sentences": ["Set warehouse headcount to 2."], "notes": [],
        "twin_version": "test", "created_utc": "2026-01-01T00:00:00+00:00",
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_the_optimise_page_says_the_answer_with_the_frontier_and_its_kpis(tmp_path: Path) -> None:
    folder = optimise_folder(tmp_path / "opt")
    pdf = write_optimise_report(folder)
    page = write_html(folder, "optimise")
    assert page == folder / OPTIMISE_PAGE
    text = page.read_text(encoding="utf-8")
    outline = assert_self_contained(text)
    assert outline.count("svg") == 1 and "Set warehouse headcount to 2." in text
    assert len(outline.frame(0)) == 2 and len(outline.frame(1)) == 3  # pareto set, candidates
    assert glossary_identifiers(outline) == ["staff_cost", "lead_time_p95_days"]
    assert len(pypdf.PdfReader(pdf).pages) == 2  # the optimise PDF keeps its two pages
