"""KPI summaries in the terminal, and the one place that decides how a KPI value is written.

`format_value` and `format_interval` are shared with the PDF report (`twin.reports.document`) so a
number reads the same on screen and on paper. `summary_table` turns the long ``summary.csv`` table
(columns ``kpi, mean, std, ci_low, ci_high, unit``) into a `rich` table; `print_summary` prints it.
"""

from __future__ import annotations

import math
from numbers import Real

import pandas as pd
from rich.console import Console
from rich.table import Table

#: Decimals shown per KPI unit. Money is shown in whole units because planners compare totals;
#: means of counts keep one decimal because an average over replications is rarely whole.
DECIMALS_BY_UNIT: dict[str, int] = {
    "currency": 0,
    "ratio": 3,
    "days": 2,
    "orders": 1,
    "units": 1,
    "lines": 1,
    "sku-days": 1,
}

#: Decimals for a unit not listed in `DECIMALS_BY_UNIT`.
DEFAULT_DECIMALS = 2

#: Text shown for a value that is missing or not a number (e.g. a CI from one replication).
MISSING = "n/a"

SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "unit")


def _unit_key(unit: object) -> str:
    """Normalise a unit cell: pandas reads an empty cell as NaN."""
    if not isinstance(unit, str):
        return ""
    return unit.strip().lower()


def format_value(value: object, unit: object) -> str:
    """Write one KPI value for people: thousands separators, decimals chosen by unit.

    Parameters
    ----------
    value : float
        The value in the KPI's own unit. ``None`` and NaN are shown as ``"n/a"``.
    unit : str
        The KPI unit as written in ``summary.csv`` (``"currency"``, ``"ratio"``, ``"days"``,
        ``"orders"``, ``"units"``, ``"sku-days"``, or anything else). Case and surrounding
        blanks are ignored.

    Returns
    -------
    str
        For example ``"1,234,568"`` (currency), ``"0.953"`` (ratio), ``"4.25"`` (days).

    Examples
    --------
    >>> format_value(1234567.8, "currency")
    '1,234,568'
    >>> format_value(0.95312, "ratio")
    '0.953'
    >>> format_value(float("nan"), "days")
    'n/a'
    """
    if value is None or isinstance(value, bool) or not isinstance(value, Real):
        return MISSING
    number = float(value)
    if math.isnan(number):
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    decimals = DECIMALS_BY_UNIT.get(_unit_key(unit), DEFAULT_DECIMALS)
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a tiny negative never prints as "-0".
    rounded = round(number, decimals) + 0.0
    return f"{rounded:,.{decimals}f}"


def format_interval(low: object, high: object, unit: object) -> str:
    """Write a confidence interval as ``"low – high"`` with `format_value`.

    Parameters
    ----------
    low, high : float
        Interval bounds in the KPI's unit. If either is missing (one replication gives no
        interval) the result is ``"n/a"``.
    unit : str
        The KPI unit, as for `format_value`.

    Returns
    -------
    str
        For example ``"1,200,000 – 1,260,000"``.
    """
    low_text, high_text = format_value(low, unit), format_value(high, unit)
    if MISSING in (low_text, high_text):
        return MISSING
    return f"{low_text} – {high_text}"


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """Build a compact KPI table: kpi, mean, 95 % CI and unit, one row per KPI.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table, with at least the columns ``kpi, mean, ci_low, ci_high,
        unit``. Rows are shown in the order given.
    title : str
        Table title, e.g. the scenario name.

    Returns
    -------
    rich.table.Table
        One row per row of `summary`.

    Raises
    ------
    ValueError
        If a required column is missing.
    """
    missing = [column for column in SUMMARY_COLUMNS if column not in summary.columns]
    if missing:
        raise ValueError(f"summary table is missing column(s): {', '.join(missing)}")
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("KPI", no_wrap=True)
    table.add_column("Mean", justify="right", no_wrap=True)
    table.add_column("95 % CI", justify="right", no_wrap=True)
    table.add_column("Unit", style="dim", no_wrap=True)
    for row in summary.itertuples(index=False):
        unit = row.unit if isinstance(row.unit, str) else ""
        table.add_row(
            str(row.kpi),
            format_value(row.mean, unit),
            format_interval(row.ci_low, row.ci_high, unit),
            unit,
        )
    return table


def print_summary(summary: pd.DataFrame, title: str, console: Console | None = None) -> None:
    """Print the KPI table built by `summary_table`.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table (see `summary_table`).
    title : str
        Table title.
    console : rich.console.Console, optional
        Where to print; a new console on standard output if omitted.
    """
    (console or Console()).print(summary_table(summary, title))
