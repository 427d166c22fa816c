"""The weekly look-ahead as planners read it: a 13-week stock and cash forecast page and chart.

Drawn from a run folder's ``lookahead.csv`` (``report.lookahead_weeks``; ``docs/lookahead.md``):
one table page with the weeks as columns and three blocks of rows (stock: opening on hand,
receipts, units out, closing on hand, value and backlog; service: orders, fill rate, lead time;
cash: receivables, cash in and out, the bank balance and payables), each the mean over
replications, with the 90 % band of the key lines under them; and ``lookahead.png``: closing
stock, fill rate and the cash balance week by week with their bands. Money is shown in thousands.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from twin.kpi_labels import unit_text
from twin.reports.charts import BAND_COLOUR, MEAN_COLOUR, GroupedFormatter, new_figure
from twin.reports.pages import LEFT, PAGE_SIZE, RIGHT, put
from twin.reports.readers import require_columns
from twin.tables import LOOKAHEAD_COLUMNS, LOOKAHEAD_MEASURES

LOOKAHEAD_FILE = "lookahead.csv"
CHART_NAME = "lookahead.png"

BLOCK_TITLES = {"stock": "Stock", "service": "Service", "cash": "Receivables and cash"}
#: Lines whose 90 % band is printed under their mean.
BANDED = ("on_hand_closing_units", "backlog_closing_units", "fill_rate", "cash_closing")

#: How a unit reads in the table's row labels (money in thousands, ratios in per cent).
SHOWN_UNITS = {"currency": "k", "ratio": "%"}

# Table geometry in inches from the page's top-left corner.
_LABEL_WIDTH = 2.25
_ROW = 0.18
_FONT = 7.2


def read_lookahead(run_dir: Path) -> pd.DataFrame | None:
    """The run folder's ``lookahead.csv``, checked; None when the run wrote none.

    Raises ``ValueError`` naming the file when it lacks a column, has no rows or holds a
    non-number where a number belongs.
    """
    path = Path(run_dir) / LOOKAHEAD_FILE
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read as CSV ({error})") from error
    require_columns(table, LOOKAHEAD_COLUMNS, str(path))
    if table.empty:
        raise ValueError(f"{path}: has no rows")
    for column in ("week", "mean", "band_low", "band_high", "replications"):
        try:
            table[column] = pd.to_numeric(table[column])
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: column {column} is not numeric ({error})") from error
    return table


def cell(value: float, unit: str) -> str:
    """One table cell: units and orders whole, money in thousands, a ratio in per cent, days
    to one decimal; NaN (no value that week) as a dash."""
    if not np.isfinite(value):
        return "–"
    if unit == "currency":
        return f"{value / 1000.0:,.0f}"
    if unit == "ratio":
        return f"{100.0 * value:.1f} %"
    if unit == "days":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def band_cell(low: float, high: float, unit: str) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    if unit == "ratio":
        return f"{100.0 * low:.0f}–{100.0 * high:.0f}"
    if unit != "currency" and max(abs(low), abs(high)) >= 10_000:  # thousands of units fit
        return f"{low / 1000.0:,.1f}–{high / 1000.0:,.1f}k"
    return f"{cell(low, unit)}–{cell(high, unit)}"


def _rule(figure: Figure, y: float, weight: float = 0.01, colour: str = "0.2") -> None:
    width, height = PAGE_SIZE
    figure.add_artist(
        Rectangle(
            (LEFT / width, 1 - y / height),
            (RIGHT - LEFT) / width,
            weight / height,
            transform=figure.transFigure,
            color=colour,
        )
    )


def table_page(
    table: pd.DataFrame, scenario: str, replications: object, currency: str | None = None
) -> Figure:
    """The look-ahead page: weeks as columns, the stock, service and cash blocks as rows; money
    in thousands of ``currency`` (the scenario's code, when it has one)."""
    weeks = table[["week", "week_start"]].drop_duplicates().sort_values("week")
    n = len(weeks)
    page = Figure(figsize=PAGE_SIZE)
    put(page, LEFT, 0.8, f"{n}-week stock and cash forecast", fontsize=15, weight="bold")
    first, last = table["week_start"].min(), table["week_end"].max()
    note = (
        f"{scenario}: weeks from {first} to {last}. Each line is the mean over {replications} "
        "replications; the grey line under it is the 90 % band: a further replication falls in it "
        "with probability 0.9 or more (from 19 to 38 replications: their range; fewer cannot make "
        "a 90 % band). Money in thousands; opening = at the week's first instant, before any "
        "event; closing = at its end."
    )
    for index, line in enumerate(textwrap.wrap(note, width=175)):
        put(page, LEFT, 1.05 + 0.15 * index, line, fontsize=7.5, color="0.35")
    column = (RIGHT - LEFT - _LABEL_WIDTH) / max(n, 1)
    right_edges = [LEFT + _LABEL_WIDTH + column * (k + 1) - 0.04 for k in range(n)]
    y = 1.55
    put(page, LEFT, y, "Week", fontsize=_FONT, weight="bold")
    for x, row in zip(right_edges, weeks.itertuples(index=False), strict=True):
        put(page, x, y, f"{row.week}", fontsize=_FONT, weight="bold", ha="right")
        put(page, x, y + 0.15, str(row.week_start)[5:], fontsize=6.5, color="0.4", ha="right")
    y += 0.22
    _rule(page, y)
    means = table.pivot_table(index="measure", columns="week", values="mean", dropna=False)
    lows = table.pivot_table(index="measure", columns="week", values="band_low", dropna=False)
    highs = table.pivot_table(index="measure", columns="week", values="band_high", dropna=False)
    present = set(table["measure"])
    for block, title in BLOCK_TITLES.items():
        rows = [m for m in LOOKAHEAD_MEASURES if m[1] == block and m[0] in present]
        if not rows:
            continue
        y += _ROW + 0.06
        put(page, LEFT, y, title, fontsize=_FONT + 0.8, weight="bold", color=MEAN_COLOUR)
        for name, _block, unit, label in rows:
            y += _ROW
            shown_unit = SHOWN_UNITS.get(unit, unit)
            if unit == "currency" and currency:
                shown_unit = f"k {currency}"
            shown = f"{label} ({shown_unit})"
            put(page, LEFT + 0.1, y, shown, fontsize=_FONT)
            for x, week in zip(right_edges, weeks["week"], strict=True):
                put(page, x, y, cell(means.at[name, week], unit), fontsize=_FONT, ha="right")
            if name in BANDED:
                y += _ROW * 0.85
                put(page, LEFT + 0.25, y, "5–95 %", fontsize=_FONT - 0.8, color="0.45")
                for x, week in zip(right_edges, weeks["week"], strict=True):
                    text = band_cell(lows.at[name, week], highs.at[name, week], unit)
                    put(page, x, y, text, fontsize=_FONT - 1.4, color="0.45", ha="right")
        y += 0.06
        _rule(page, y, 0.006, "0.6")
    return page


def lookahead_figure(table: pd.DataFrame, currency: str | None = None) -> Figure:
    """Closing on hand, fill rate and closing cash by week, each mean with its 90 % band
    (the cash panel only when the run has a cash book)."""
    panels = [
        ("on_hand_closing_units", "On hand at week end (units)", 1.0),
        ("fill_rate", "Fill rate (%)", 100.0),
    ]
    if "cash_closing" in set(table["measure"]):
        panels.append(
            ("cash_closing", f"Cash at week end ({unit_text('currency', currency)})", 1.0)
        )
    figure, axes = new_figure(nrows=len(panels), sharex=True, height=2.4 * len(panels) + 0.6)
    for ax, (name, title, scale) in zip(axes, panels, strict=True):
        rows = table[table["measure"] == name].sort_values("week")
        week = rows["week"].to_numpy()
        ax.fill_between(
            week,
            rows["band_low"] * scale,
            rows["band_high"] * scale,
            color=BAND_COLOUR,
            alpha=0.35,
            linewidth=0,
            label="90 % band",
        )
        ax.plot(week, rows["mean"] * scale, color=MEAN_COLOUR, marker="o", ms=3, label="mean")
        ax.set_title(title, loc="left", fontsize=10)
        ax.yaxis.set_major_formatter(GroupedFormatter())
    axes[0].legend(loc="best", fontsize=8, frameon=False)
    weeks = table[["week", "week_start"]].drop_duplicates().sort_values("week")
    axes[-1].set_xticks(weeks["week"], [f"{w}\n{d[5:]}" for w, d in weeks.itertuples(False)])
    axes[-1].set_xlabel("Week (and its first day)")
    return figure
