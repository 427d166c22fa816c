"""The HTML report beside a backtest's PDF, ``backtest.html``: the facts, the tolerances with
their verdicts, the scores by origin and series, the fan charts and a glossary of the scores,
drawn from the backtest's tables as its PDF is (the reports do not know calibration).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from twin.reports.backtest_figures import fan_figures
from twin.reports.glossary import BACKTEST_TERMS
from twin.reports.html import Cell, Section, facts, number_cell, page, table
from twin.reports.html_report import charts_html, write_page
from twin.reports.html_terms import terms_section

BACKTEST_PAGE = "backtest.html"

#: The backtest summary's columns shown, with their headings.
_BACKTEST_COLUMNS = (
    ("origin", "Origin"),
    ("series", "Series"),
    ("weeks", "Weeks"),
    ("actual_mean", "Actual, mean"),
    ("forecast_mean", "Forecast, mean"),
    ("mape", "MAPE"),
    ("bias", "Bias"),
    ("coverage_50", "Coverage 50 %"),
    ("coverage_90", "Coverage 90 %"),
    ("crps", "CRPS"),
    ("mase", "MASE"),
    ("relative_mae", "Relative MAE"),
)


def _amount(value: object) -> str:
    if not isinstance(value, int | float) or value != value:
        return "–"
    return f"{value:,.0f}" if abs(float(value)) >= 1000 else f"{value:.4g}"


def write_backtest_html(
    out_dir: Path,
    backtest: pd.DataFrame,
    summary: pd.DataFrame,
    history: pd.DataFrame,
    checks: pd.DataFrame,
    facts_lines: Sequence[tuple[str, str]],
    replications: int,
) -> Path:
    """Write ``backtest.html`` from the backtest's tables (those ``backtest.pdf`` is drawn from)."""
    out_dir = Path(out_dir)
    verdicts = []
    for row in checks.itertuples(index=False):
        state = "no value" if pd.isna(row.passed) else ("passed" if row.passed else "FAILED")
        css = {"passed": "verdict-better", "FAILED": "verdict-worse"}.get(state, "verdict-same")
        verdicts.append(
            [
                Cell(f"{row.series}.{row.score}"),
                number_cell(f"{row.value:.3f}", row.value),
                Cell(f"[{row.low:g}, {row.high:g}]"),
                Cell(state, css=css),
            ]
        )
    rows = []
    shown = [(c, h) for c, h in _BACKTEST_COLUMNS if c in summary.columns]
    for record in summary.to_dict(orient="records"):
        cells: list[Cell] = []
        for column, _ in shown:
            value = record[column]
            if column in ("origin", "series"):
                cells.append(Cell(str(value)))
            elif column in ("actual_mean", "forecast_mean", "crps"):
                cells.append(number_cell(_amount(value), value))
            elif column == "bias":
                cells.append(number_cell(f"{value:+.1%}" if value == value else "–", value))
            else:
                cells.append(number_cell(f"{value:.3g}" if value == value else "–", value))
        rows.append(cells)
    numeric = [i for i, (c, _) in enumerate(shown) if c not in ("origin", "series")]
    sections = [
        Section("backtest", "Rolling-origin backtest", facts(list(facts_lines))),
        Section(
            "checks",
            "Tolerances and verdicts",
            table(["Score", "Value", "Tolerance", "Verdict"], verdicts, numeric=(1,)),
        ),
        Section(
            "scores",
            "Scores by origin and series",
            table([h for _, h in shown], rows, numeric=numeric),
        ),
        Section("charts", "Fan charts", charts_html(fan_figures(backtest, history, replications))),
        terms_section(BACKTEST_TERMS, "The scores of the table. Full formulas: docs/backtest.md."),
    ]
    text = page("twin backtest report", "Rolling-origin backtest", sections, "twin backtest")
    return write_page(out_dir / BACKTEST_PAGE, text)
