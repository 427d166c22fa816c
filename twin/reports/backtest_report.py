"""The PDF of a backtest, ``backtest.pdf``: the facts, the summary table, the checks, the fans,
and a glossary page of the scores.

Drawn from the backtest's tables (passed as DataFrames: the reports layer does not know
calibration). The fan charts of :mod:`twin.reports.backtest_figures` are saved as PNGs beside it.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from twin.reports.backtest_figures import fan_figures
from twin.reports.charts import save_figures
from twin.reports.glossary import backtest_glossary_page
from twin.reports.pages import PAGE_SIZE, chart_page, number_pages, put, save_pdf

REPORT_NAME = "backtest.pdf"

#: summary columns shown, with their heading and format
_TABLE = (
    ("origin", "origin", "{}"),
    ("series", "series", "{}"),
    ("weeks", "weeks", "{:.0f}"),
    ("actual_mean", "actual", "amount"),
    ("forecast_mean", "forecast", "amount"),
    ("mape", "MAPE", "{:.3f}"),
    ("bias", "bias", "{:+.1%}"),
    ("coverage_50", "cov 50", "{:.2f}"),
    ("coverage_90", "cov 90", "{:.2f}"),
    ("width_90", "width 90", "{:.2f}"),
    ("crps", "CRPS", "amount"),
    ("mase", "MASE", "{:.2f}"),
    ("baseline_mase", "b. MASE", "{:.2f}"),
    ("relative_mae", "rel MAE", "{:.2f}"),
)
_X = (0.75, 1.8, 3.4, 4.3, 5.2, 5.9, 6.6, 7.2, 7.8, 8.45, 9.25, 9.85, 10.45, 11.0)
_ROW = 0.19


def _cell(value: object, fmt: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    if fmt == "amount":  # whole numbers with separators when large, else 4 significant digits
        return f"{value:,.0f}" if abs(float(value)) >= 1000 else f"{value:.4g}"
    return fmt.format(value)


def _table_head(page: Figure, y: float) -> float:
    for column, ((_, head, _), x) in enumerate(zip(_TABLE, _X, strict=True)):
        put(page, x, y, head, fontsize=8.5, weight="bold", ha="left" if column < 2 else "right")
    return y + 0.24


def _front_pages(
    summary: pd.DataFrame, checks: pd.DataFrame, facts: list[tuple[str, str]]
) -> list[Figure]:
    page = Figure(figsize=PAGE_SIZE)
    pages = [page]
    put(page, 0.75, 0.85, "twin backtest report", fontsize=10, color="0.4")
    put(page, 0.75, 1.35, "Rolling-origin backtest", fontsize=20, weight="bold")
    y = 1.75
    for label, value in facts:
        put(page, 0.75, y, label, fontsize=9.5, color="0.4")
        put(page, 2.6, y, value, fontsize=9.5)
        y += 0.22
    y += 0.2
    for row in checks.itertuples(index=False):
        verdict = "no value" if pd.isna(row.passed) else ("passed" if row.passed else "FAILED")
        text = (
            f"{row.series}.{row.score} = {row.value:.3f}, tolerance [{row.low:g}, {row.high:g}]:"
            f" {verdict}"
        )
        put(page, 0.75, y, text, fontsize=9.5, weight="bold" if verdict == "FAILED" else None)
        y += 0.22
    y = _table_head(page, y + 0.25)
    for row in summary.itertuples(index=False):
        if y > PAGE_SIZE[1] - 0.7:
            page = Figure(figsize=PAGE_SIZE)
            pages.append(page)
            y = _table_head(page, 0.85)
        for column, ((name, _, fmt), x) in enumerate(zip(_TABLE, _X, strict=True)):
            weight = "bold" if row.origin == "all" else None
            put(
                page,
                x,
                y,
                _cell(getattr(row, name), fmt),
                fontsize=8.5,
                weight=weight,
                ha="left" if column < 2 else "right",
            )
        y += _ROW
    return pages


def write_backtest_report(
    out_dir: Path,
    backtest: pd.DataFrame,
    summary: pd.DataFrame,
    history: pd.DataFrame,
    checks: pd.DataFrame,
    facts: list[tuple[str, str]],
    replications: int,
) -> list[Path]:
    """Write ``fan_<origin>.png`` per origin and ``backtest.pdf``; return the paths written.

    ``facts`` are (label, text) lines of the first page (source, origins, horizon, ...). The
    PDF's creation date is the last origin's date, so writing the same backtest twice gives the
    same file.
    """
    charts = fan_figures(backtest, history, replications)
    paths = save_figures(charts, out_dir)
    pages = _front_pages(summary, checks, facts)
    pages += [chart_page(figure) for figure in charts.values()]
    pages.append(backtest_glossary_page())
    number_pages(pages, "twin backtest")
    created = dt.datetime.combine(
        dt.date.fromisoformat(str(backtest["origin"].max())), dt.time(), tzinfo=dt.UTC
    )
    metadata = {"Title": "twin backtest", "CreationDate": created, "ModDate": created}
    paths.append(save_pdf(Path(out_dir) / REPORT_NAME, pages, metadata))
    return paths
