"""KPI tables in the terminal.

`summary_table` turns the long ``summary.csv`` table (columns ``kpi, mean, std, ci_low, ci_high,
unit``) into a `rich` table; `print_summary` prints it. `diff_table` shows a comparison's
headline differences. KPIs are named by their plain label (:mod:`twin.kpi_labels`) with the
identifier in the last column, money in the scenario's currency; numbers are written by
:mod:`twin.formatting`, as in the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from rich.console import Console
from rich.table import Table

from twin.formatting import format_interval, format_value
from twin.kpi_labels import kpi_name, unit_text
from twin.reports.compare_figures import headline, unit_of

#: The columns of ``summary.csv`` the table shows.
SHOWN_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "unit")

#: The console width off a terminal (a CI log, a pipe, a file). rich would take 80 columns there
#: and cut the numbers; a KPI table is never this wide, and lines keep their natural length.
LOG_WIDTH = 400

#: Marks a difference whose interval excludes 0, readable without bold (a log, a file).
SIGNIFICANT = "*"


def table_console() -> Console:
    """A console on standard output for KPI tables: the terminal's width on a terminal, and
    :data:`LOG_WIDTH` elsewhere, so that no number is ever cut."""
    console = Console()
    return console if console.is_terminal else Console(width=LOG_WIDTH)


def summary_table(summary: pd.DataFrame, title: str, currency: str | None = None) -> Table:
    """Build a compact KPI table: label, mean, 95 % CI, unit and identifier, one row per KPI.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table, with at least the columns ``kpi, mean, ci_low, ci_high,
        unit``. Rows are shown in the order given.
    title : str
        Table title, e.g. the scenario name.
    currency : str, optional
        The scenario's currency code, the unit shown on money (``currency`` when absent).

    Returns
    -------
    rich.table.Table
        One row per row of `summary`.

    Raises
    ------
    ValueError
        If a required column is missing.
    """
    missing = [column for column in SHOWN_COLUMNS if column not in summary.columns]
    if missing:
        raise ValueError(f"summary table is missing column(s): {', '.join(missing)}")
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("KPI", no_wrap=True)
    table.add_column("Mean", justify="right", no_wrap=True)
    table.add_column("95 % CI", justify="right", no_wrap=True)
    table.add_column("Unit", style="dim", no_wrap=True)
    table.add_column("Identifier", style="dim", no_wrap=True)
    for row in summary.itertuples(index=False):
        unit = row.unit if isinstance(row.unit, str) else ""
        table.add_row(
            kpi_name(str(row.kpi)),
            format_value(row.mean, unit),
            format_interval(row.ci_low, row.ci_high, unit),
            unit_text(unit, currency),
            str(row.kpi),
        )
    return table


def print_summary(
    summary: pd.DataFrame,
    title: str,
    console: Console | None = None,
    currency: str | None = None,
) -> None:
    """Print the KPI table built by `summary_table`.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table (see `summary_table`).
    title : str
        Table title.
    console : rich.console.Console, optional
        Where to print; :func:`table_console` if omitted.
    currency : str, optional
        The scenario's currency code (see `summary_table`).
    """
    (console or table_console()).print(summary_table(summary, title, currency))


def diff_table(
    comparison: pd.DataFrame,
    base: str,
    confidence: float,
    also: Sequence[str] = (),
    currency: str | None = None,
) -> Table:
    """A compact rich table: each headline KPI's base mean and every variant's difference;
    ``also`` adds KPIs to the headline ones (the KPI ``--best`` selects on is always shown).

    A cell reads ``+1,234 (±567)`` with the half-width of the paired interval, followed by
    :data:`SIGNIFICANT` and in bold when the interval excludes 0 (the mark is there for logs,
    where bold is lost).
    """
    names = list(dict.fromkeys(comparison["variant"]))
    table = Table(
        title=(
            f"Difference to {base} (paired, {confidence:.0%} CI half-width; "
            f"{SIGNIFICANT}: the interval excludes 0)"
        ),
        title_justify="left",
        header_style="bold",
    )
    table.add_column("KPI", no_wrap=True)
    table.add_column(f"{base} (mean)", justify="right", no_wrap=True)
    for name in names[1:]:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Unit", style="dim", no_wrap=True)
    table.add_column("Identifier", style="dim", no_wrap=True)
    for kpi in headline(comparison, also):
        rows = comparison[comparison["kpi"] == kpi].set_index("variant")
        unit = unit_of(rows.reset_index())
        cells = [
            kpi_name(kpi),
            format_value(rows.loc[base, "mean"], unit) if base in rows.index else "n/a",
        ]
        for name in names[1:]:
            row = rows.loc[name]
            diff = format_value(row["diff"], unit)
            if diff not in ("n/a",) and not diff.startswith("-"):
                diff = f"+{diff}"
            half = (row["diff_ci_high"] - row["diff_ci_low"]) / 2
            text = diff if math.isnan(half) else f"{diff} (±{format_value(half, unit)})"
            significant = str(row["significant"]) == "True"
            cells.append(f"[bold]{text} {SIGNIFICANT}[/bold]" if significant else text)
        cells += [unit_text(unit, currency), kpi]
        table.add_row(*cells)
    return table
