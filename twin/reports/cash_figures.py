"""The cash chart of a run folder: the daily cash balance with its bands, and working capital.

Drawn from ``daily.csv`` alone, and only when it has the cash columns (the scenario had a
``cash`` section). A treasurer asks two questions of the balance: what to expect, and how low it
may go. So the top panel shows the across-replication mean with its 95 % Student-t interval
(what to expect; it collapses onto the line with one replication) and, with three replications or
more, the band between the 5th and 95th percentile of the replications (how far one year can
stray from the mean, the band a cash buffer is sized on). The bottom panel shows the mean working
capital and its parts: inventory value + receivables - payables.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from twin.kpi_labels import unit_text
from twin.reports.charts import (
    BAND_COLOUR,
    CONFIDENCE,
    COST_COLOUR,
    GAIN_COLOUR,
    MEAN_COLOUR,
    WARMUP_COLOUR,
    GroupedFormatter,
    new_figure,
    t_band,
)
from twin.reports.readers import require_columns

#: ``daily.csv`` columns the chart needs beyond ``replication, day, date``
CASH_COLUMNS = ("cash_balance", "payables", "working_capital", "inventory_value", "receivables")
#: the outcome band: the share of replications between its edges
SPREAD = (0.05, 0.95)
#: fewest replications for which the outcome band means something
MIN_SPREAD_REPLICATIONS = 3


def cash_figure(
    daily: pd.DataFrame, warmup_days: float, currency: str | None = None
) -> Figure | None:
    """The daily cash balance with its bands above, working capital and its parts below.

    Parameters
    ----------
    daily : pandas.DataFrame
        The ``daily.csv`` table: ``replication, day, date`` and the cash columns
        ``cash_balance, payables, working_capital, inventory_value, receivables`` (currency,
        daily time-weighted means).
    warmup_days : float
        Length of the warm-up period from day 0 (days); shaded.
    currency : str, optional
        The scenario's currency code, shown on the money axes (``currency`` when absent).

    Returns
    -------
    matplotlib.figure.Figure or None
        None when ``daily`` has no ``cash_balance`` column (a run without a cash section).

    Raises
    ------
    ValueError
        If a cash column other than ``cash_balance`` is missing, or the table has no rows.
    """
    if "cash_balance" not in daily.columns:
        return None
    require_columns(daily, ("replication", "day", "date", *CASH_COLUMNS), "daily table")
    if daily.empty:
        raise ValueError("daily table has no rows")
    first = daily.iloc[0]
    origin = pd.Timestamp(first["date"]) - pd.Timedelta(days=float(first["day"]))
    figure, (top, bottom) = new_figure(nrows=2, sharex=True, height=7.0)
    for ax in (top, bottom):
        if warmup_days > 0:
            ax.axvspan(
                origin,
                origin + pd.Timedelta(days=float(warmup_days)),
                color=WARMUP_COLOUR,
                zorder=0,
                label=f"warm-up ({warmup_days:g} days, not in KPIs)",
            )
    money = unit_text("currency", currency)
    _balance_panel(top, daily, origin, money)
    _working_capital_panel(bottom, daily, origin, money)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    bottom.set_xlabel("Date")
    return figure


def _dates(origin: pd.Timestamp, days: pd.Index) -> pd.DatetimeIndex:
    return origin + pd.to_timedelta(days.to_numpy(dtype=float), unit="D")


def _balance_panel(ax: Axes, daily: pd.DataFrame, origin: pd.Timestamp, money: str) -> None:
    band = t_band(daily, "day", "cash_balance")
    dates = _dates(origin, band.index)
    n = int(band["n"].max())
    if n >= MIN_SPREAD_REPLICATIONS:
        spread = daily.groupby("day")["cash_balance"].quantile(list(SPREAD)).unstack()
        ax.fill_between(
            dates,
            spread[SPREAD[0]],
            spread[SPREAD[1]],
            color=BAND_COLOUR,
            alpha=0.18,
            linewidth=0,
            label=f"{SPREAD[0]:.0%}-{SPREAD[1]:.0%} of replications",
        )
    if n > 1:
        ax.fill_between(
            dates,
            band["low"],
            band["high"],
            color=BAND_COLOUR,
            alpha=0.45,
            linewidth=0,
            label=f"{CONFIDENCE:.0%} CI of the mean",
        )
    suffix = "replication" if n == 1 else "replications"
    ax.plot(dates, band["mean"], color=MEAN_COLOUR, linewidth=1.6, label=f"mean of {n} {suffix}")
    ax.axhline(0.0, color=COST_COLOUR, linewidth=0.8, linestyle=":")
    ax.yaxis.set_major_formatter(GroupedFormatter())
    ax.set_xlim(dates.min(), dates.max())
    ax.set_ylabel(f"Cash balance ({money})")
    ax.set_title("Cash in the bank (daily time-weighted means)", loc="left")
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom, bottom + 1.3 * (top - bottom))  # headroom for the legend
    ax.legend(loc="upper right", ncols=2, fontsize="small", frameon=False)


def _working_capital_panel(ax: Axes, daily: pd.DataFrame, origin: pd.Timestamp, money: str) -> None:
    means = daily.groupby("day")[["working_capital", *CASH_COLUMNS[3:], "payables"]].mean()
    dates = _dates(origin, means.index)
    lines = (
        ("working_capital", "working capital", MEAN_COLOUR, "-", 1.8),
        ("inventory_value", "inventory value", "0.45", "--", 1.0),
        ("receivables", "receivables", GAIN_COLOUR, "--", 1.0),
        ("payables", "payables", COST_COLOUR, "--", 1.0),
    )
    for column, label, colour, style, width in lines:
        ax.plot(dates, means[column], color=colour, linestyle=style, linewidth=width, label=label)
    ax.yaxis.set_major_formatter(GroupedFormatter())
    ax.set_ylabel(f"Mean amount ({money})")
    ax.set_title("Working capital = inventory value + receivables - payables", loc="left")
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom, bottom + 1.3 * (top - bottom))
    ax.legend(loc="upper right", ncols=4, fontsize="small", frameon=False)
