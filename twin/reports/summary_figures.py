"""Charts of a run's KPI summary (``summary.csv``): the profit waterfall and staff utilisation.

Each bar is the across-replication mean with its Student-t interval as an error bar, so a
planner sees how much of a difference between costs or roles is noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from twin.formatting import format_value
from twin.kpi_labels import unit_text
from twin.reports.charts import (
    BAND_COLOUR,
    CONFIDENCE,
    COST_COLOUR,
    FIGSIZE,
    GAIN_COLOUR,
    TOTAL_COLOUR,
    GroupedFormatter,
    new_figure,
)
from twin.reports.readers import require_columns
from twin.tables import SUMMARY_COLUMNS

#: Costs subtracted from revenue to give profit, in the order the waterfall shows them.
COST_KPIS: dict[str, str] = {
    "cogs": "COGS",
    "holding_cost": "Holding",
    "ordering_cost": "Ordering",
    "staff_cost": "Staff",
    "freight_cost": "Freight",
    "backorder_cost": "Backorder",
    "bad_debt": "Bad debt",
}

UTILISATION_PREFIX = "utilisation_"


def _summary_rows(summary: pd.DataFrame) -> pd.DataFrame:
    require_columns(summary, SUMMARY_COLUMNS, "summary table")
    if summary["kpi"].duplicated().any():
        duplicated = sorted(summary.loc[summary["kpi"].duplicated(), "kpi"].astype(str))
        raise ValueError(f"summary table repeats KPI(s): {', '.join(duplicated)}")
    return summary.set_index("kpi")


def _errors(row: pd.Series) -> tuple[float, float]:
    """Distances from the mean down to ci_low and up to ci_high; 0 when the CI is undefined."""
    below = float(row["mean"] - row["ci_low"])
    above = float(row["ci_high"] - row["mean"])
    return (np.nan_to_num(max(below, 0.0)), np.nan_to_num(max(above, 0.0)))


def profit_figure(summary: pd.DataFrame, currency: str | None = None) -> Figure:
    """Profit waterfall: revenue, minus each cost, down to profit, with 95 % CI error bars.

    Bars use the across-replication means. A cost bar hangs from the running total; its error
    bar sits at the bar's lower end, where a larger cost would move it. Revenue and profit
    start at zero.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table (``kpi, mean, std, ci_low, ci_high, unit``) with the KPIs
        ``revenue``, ``profit`` and the costs in `COST_KPIS` (currency).
    currency : str, optional
        The scenario's currency code, shown on the axis (``currency`` when absent).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a required column or KPI is missing.
    """
    rows = _summary_rows(summary)
    needed = ["revenue", *COST_KPIS, "profit"]
    missing = [kpi for kpi in needed if kpi not in rows.index]
    if missing:
        raise ValueError(
            f"summary table is missing KPI(s) for the profit chart: {', '.join(missing)}"
        )

    labels, bottoms, heights, colours, ends, errors = [], [], [], [], [], []
    revenue = rows.loc["revenue"]
    level = float(revenue["mean"])
    labels.append(f"Revenue\n{format_value(level, 'currency')}")
    bottoms.append(0.0)
    heights.append(level)
    colours.append(GAIN_COLOUR)
    ends.append(level)
    errors.append(_errors(revenue))
    for kpi, name in COST_KPIS.items():
        cost = float(rows.loc[kpi, "mean"])
        below, above = _errors(rows.loc[kpi])
        labels.append(f"{name}\n{format_value(-cost, 'currency')}")
        bottoms.append(level)
        heights.append(-cost)
        colours.append(COST_COLOUR)
        level -= cost
        ends.append(level)
        # A higher cost lowers the running total, so the cost's upper error points down.
        errors.append((above, below))
    profit = rows.loc["profit"]
    profit_mean = float(profit["mean"])
    labels.append(f"Profit\n{format_value(profit_mean, 'currency')}")
    bottoms.append(0.0)
    heights.append(profit_mean)
    colours.append(TOTAL_COLOUR)
    ends.append(profit_mean)
    errors.append(_errors(profit))

    figure, (ax,) = new_figure()
    x = np.arange(len(labels))
    ax.bar(x, heights, bottom=bottoms, color=colours, width=0.65, zorder=2)
    yerr = np.array(errors, dtype=float).T
    ax.errorbar(x, ends, yerr=yerr, fmt="none", ecolor="0.15", capsize=4, linewidth=1.1, zorder=3)
    # Connectors from each bar's end to the next bar's start make the running total readable.
    for i in range(len(labels) - 2):
        ax.plot(
            [i + 0.325, i + 1 - 0.325], [ends[i], ends[i]], color="0.5", linewidth=0.8, zorder=1
        )
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xticks(x, labels, fontsize="small")
    ax.grid(False, axis="x")
    ax.yaxis.set_major_formatter(GroupedFormatter())
    ax.set_ylabel(f"Amount in the measured window ({unit_text('currency', currency)})")
    ax.set_title(f"Profit breakdown: means with {CONFIDENCE:.0%} CI error bars", loc="left")
    return figure


def utilisation_figure(summary: pd.DataFrame) -> Figure | None:
    """Staff utilisation per role with 95 % CI error bars.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table; every KPI named ``utilisation_<role>`` (ratio of staffed
        time spent busy, in [0, 1]) is one bar.

    Returns
    -------
    matplotlib.figure.Figure or None
        None when the scenario has no staff roles.
    """
    rows = _summary_rows(summary)
    roles = [kpi for kpi in rows.index.astype(str) if kpi.startswith(UTILISATION_PREFIX)]
    if not roles:
        return None
    roles = roles[::-1]  # barh draws bottom-up; reversing keeps the summary's order top-down
    means = rows.loc[roles, "mean"].to_numpy(dtype=float)
    errors = np.array([_errors(rows.loc[role]) for role in roles], dtype=float).T
    names = [role.removeprefix(UTILISATION_PREFIX).replace("_", " ") for role in roles]

    # Height grows with the number of roles so bars keep a similar thickness.
    figure, (ax,) = new_figure(height=min(FIGSIZE[1], max(2.6, 1.4 + 0.55 * len(roles))))
    y = np.arange(len(roles))
    ax.barh(y, means, color=BAND_COLOUR, height=0.6, zorder=2)
    ax.errorbar(
        means, y, xerr=errors, fmt="none", ecolor="0.15", capsize=4, linewidth=1.1, zorder=3
    )
    for yi, mean, above in zip(y, means, errors[1], strict=True):
        ax.annotate(
            f"{mean:.1%}",
            xy=(np.nan_to_num(mean) + above, yi),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    ax.axvline(1.0, color="0.4", linestyle="--", linewidth=0.9)
    ax.set_yticks(y, names)
    # Room for the value labels, and for a bad input above 100 % to show rather than be clipped.
    ax.set_xlim(0, max(1.1, 1.12 * float(np.nanmax(np.nan_to_num(means) + errors[1]))))
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_xlabel("Utilisation (% of staffed time busy)")
    ax.grid(False, axis="y")
    ax.set_title(
        f"Staff utilisation by role: means with {CONFIDENCE:.0%} CI error bars", loc="left"
    )
    return figure
