"""The PDF of a comparison folder, ``compare.pdf``, drawn from its result files only.

A page with the provenance, the measured window in dates, the selection and a table of the
headline differences (the KPI ``--best`` selected on among them, each by its plain label with its
identifier beneath), then one page per chart of :mod:`twin.reports.compare_figures`, whose PNGs
are saved beside it, then the glossary of the KPIs shown.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from twin.formatting import format_interval, format_value
from twin.kpi_labels import kpi_label
from twin.reports.charts import save_figures
from twin.reports.compare_figures import (
    MANIFEST_KEYS,
    best_kpi,
    build_compare_figures,
    headline,
)
from twin.reports.glossary import glossary_pages
from twin.reports.pages import PAGE_SIZE, chart_page, created_utc, put, save_pdf
from twin.reports.readers import read_manifest, read_run_csv
from twin.reports.window import window_text
from twin.tables import COMPARISON_COLUMNS

REPORT_NAME = "compare.pdf"

_TABLE_X = (0.85, 4.35, 6.3, 7.45, 9.35, 10.25)  # left, left, then right-aligned
_TABLE_HEADS = ("KPI (unit), identifier", "variant", "mean", "diff", "diff CI", "significant")
_ROW = 0.19


def base_window(manifest: dict[str, Any]) -> str:
    """The base variant's measured window in dates (``n/a`` in a folder that lacks its start)."""
    base = manifest["variants"].get(str(manifest["base"]), {})
    if "start_date" not in base:
        return "n/a"
    return window_text(base["start_date"], float(base["warmup_days"]), float(base["horizon_days"]))


def _front_pages(manifest: dict[str, Any], comparison: pd.DataFrame) -> list[Figure]:
    """The provenance, the selection and the headline table; continued on more pages."""
    page = Figure(figsize=PAGE_SIZE)
    pages = [page]
    y = 0.85
    put(page, 0.75, y, "twin comparison report", fontsize=10, color="0.4")
    y += 0.5
    names = list(manifest["variants"])
    base = str(manifest["base"])
    put(page, 0.75, y, f"{base} and {len(names) - 1} variant(s)", fontsize=20, weight="bold")
    y += 0.4
    facts = [
        ("Variants", ", ".join(names)),
        ("Seed", f"{manifest['seed']} (common random numbers: replication r of every variant)"),
        ("Replications", f"{manifest['replications']} per variant"),
        ("Confidence", f"{float(manifest['confidence']):.0%}"),
        ("Measured window", base_window(manifest)),
        ("Created (UTC)", created_utc(manifest).strftime("%Y-%m-%d %H:%M")),
        ("twin version", str(manifest.get("twin_version", ""))),
    ]
    precision = manifest.get("precision")
    if precision:
        reached = "reached" if precision.get("reached") else "NOT reached (capped)"
        facts.append(("Precision", f"{', '.join(precision['targets'])}: {reached}"))
    for label, value in facts:
        put(page, 0.75, y, label, fontsize=9.5, color="0.4")
        put(page, 2.2, y, textwrap.shorten(value, 140), fontsize=9.5)
        y += 0.22
    for line in textwrap.wrap(str(manifest.get("selection", "")), 150):
        put(page, 0.75, y + 0.1, line, fontsize=10, style="italic")
        y += 0.22
    y += 0.35
    title = f"Headline KPIs: mean, and paired difference to {base}"
    put(page, 0.75, y, title, fontsize=13, weight="bold")
    y = _table_head(page, y + 0.35)
    currency = manifest.get("currency")
    best = best_kpi(manifest)
    for kpi in headline(comparison, best):
        label = kpi_label(kpi, currency) + (" (--best)" if kpi in best else "")
        for first, row in enumerate(comparison[comparison["kpi"] == kpi].itertuples(index=False)):
            if y > PAGE_SIZE[1] - 0.7:
                page = Figure(figsize=PAGE_SIZE)
                pages.append(page)
                y = _table_head(page, 0.85)
            unit = row.unit if isinstance(row.unit, str) else ""
            is_base = row.variant == base
            cells = (
                label if first == 0 else "",
                str(row.variant),
                format_value(row.mean, unit),
                "" if is_base else format_value(row.diff, unit),
                "" if is_base else format_interval(row.diff_ci_low, row.diff_ci_high, unit),
                "" if is_base else ("yes" if str(row.significant) == "True" else "no"),
            )
            for column, (x, text) in enumerate(zip(_TABLE_X, cells, strict=True)):
                align = "right" if column >= 2 else "left"
                put(page, x, y, text, fontsize=9, ha=align)
            if first == 1:  # the identifier under the label, as kpis.csv and --best name it
                put(page, _TABLE_X[0], y, kpi, fontsize=7.5, color="0.4")
            y += _ROW
        y += 0.06
    return pages


def _table_head(page: Figure, y: float) -> float:
    for column, (x, text) in enumerate(zip(_TABLE_X, _TABLE_HEADS, strict=True)):
        align = "right" if column >= 2 else "left"
        put(page, x, y, text, fontsize=9, weight="bold", ha=align)
    return y + 0.26


def write_compare_report(out_dir: Path) -> Path:
    """Write the chart PNGs and ``compare.pdf`` of a comparison folder; returns the PDF's path.

    The PDF's creation date is the manifest's ``created_utc``, so drawing the same folder twice
    gives the same file.
    """
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir, MANIFEST_KEYS)
    comparison = read_run_csv(out_dir, "comparison.csv", COMPARISON_COLUMNS)
    charts = build_compare_figures(out_dir)
    save_figures(charts, out_dir)
    pages = _front_pages(manifest, comparison)
    pages += [chart_page(figure, margins=False) for figure in charts.values()]
    shown = headline(comparison, best_kpi(manifest))
    pages += glossary_pages(shown, manifest.get("currency"), base_window(manifest))
    created = created_utc(manifest)
    metadata = {
        "Title": f"twin comparison: {manifest['base']}",
        "Creator": f"twin {manifest.get('twin_version', '')}",
        "CreationDate": created,
        "ModDate": created,
    }
    return save_pdf(out_dir / REPORT_NAME, pages, metadata)
