"""Charts of one run folder, drawn from its result files.

Every chart shows the across-replication mean with its spread, so a planner sees at a glance how
much of a difference is noise. Time series use a 95 % Student-t interval of the mean per day
(it collapses onto the line when there is one replication) and shade the warm-up period, whose
observations the KPIs leave out. The style, the band and saving are shared with the other reports
(:mod:`twin.reports.charts`); the files are read and checked by :mod:`twin.reports.readers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from twin.formatting import format_value
from twin.kpi_labels import unit_text
from twin.reports.cash_figures import cash_figure
from twin.reports.charts import (
    BAND_COLOUR,
    CONFIDENCE,
    COST_COLOUR,
    MEAN_COLOUR,
    WARMUP_COLOUR,
    GroupedFormatter,
    new_figure,
    save_figures,
    t_band,
)
from twin.reports.readers import read_manifest, read_run_csv, require_columns
from twin.reports.summary_figures import profit_figure, utilisation_figure
from twin.tables import LEAD_TIME_COLUMNS, SUMMARY_COLUMNS

DAILY_COLUMNS = ("replication", "day", "date", "on_hand_units", "backlog_units", "receivables")


def _day_origin(daily: pd.DataFrame) -> pd.Timestamp:
    """Calendar date of simulation day 0, so the warm-up can be placed on a date axis."""
    first = daily.iloc[0]
    return pd.Timestamp(first["date"]) - pd.Timedelta(days=float(first["day"]))


def _plot_series(ax: Axes, daily: pd.DataFrame, column: str, origin: pd.Timestamp) -> None:
    band = t_band(daily, "day", column)
    dates = origin + pd.to_timedelta(band.index.to_numpy(dtype=float), unit="D")
    n_max = int(band["n"].max())
    if n_max > 1:  # one replication gives no interval; a legend entry for it would mislead
        ax.fill_between(
            dates,
            band["low"],
            band["high"],
            color=BAND_COLOUR,
            alpha=0.35,
            linewidth=0,
            label=f"{CONFIDENCE:.0%} CI of the mean",
        )
    suffix = "replication" if n_max == 1 else "replications"
    ax.plot(
        dates,
        band["mean"],
        color=MEAN_COLOUR,
        linewidth=1.6,
        label=f"mean of {n_max} {suffix}",
    )
    ax.yaxis.set_major_formatter(GroupedFormatter())
    ax.set_xlim(dates.min(), dates.max())


def _shade_warmup(ax: Axes, origin: pd.Timestamp, warmup_days: float) -> None:
    if warmup_days > 0:
        ax.axvspan(
            origin,
            origin + pd.Timedelta(days=float(warmup_days)),
            color=WARMUP_COLOUR,
            zorder=0,
            label=f"warm-up ({warmup_days:g} days, not in KPIs)",
        )


def _date_axis(ax: Axes) -> None:
    # The concise formatter writes the year or month once instead of on every tick, so labels
    # stay short and do not overlap from a few weeks up to several years of horizon.
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Date")


def _legend_in_headroom(ax: Axes) -> None:
    """Raise the y-limit by a quarter and lay the legend flat in the space gained.

    A legend inside the data area hides part of a series, and a figure-level legend would
    ignore the page margins the PDF report sets through the layout engine.
    """
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom, bottom + 1.25 * (top - bottom))
    # Upper right: the warm-up shading is always on the left and would swallow its own key.
    ax.legend(loc="upper right", ncols=3, fontsize="small", frameon=False)


def _check_daily(daily: pd.DataFrame, columns: Sequence[str]) -> None:
    require_columns(daily, ("replication", "day", "date", *columns), "daily table")
    if daily.empty:
        raise ValueError("daily table has no rows")


# --- figures -------------------------------------------------------------------------------


def inventory_backlog_figure(daily: pd.DataFrame, warmup_days: float) -> Figure:
    """On-hand inventory and backlog over time, mean across replications with a 95 % band.

    Parameters
    ----------
    daily : pandas.DataFrame
        The ``daily.csv`` table: ``replication, day, date, on_hand_units, backlog_units``
        (``date`` as datetimes or ISO strings, units per day as time-weighted means).
    warmup_days : float
        Length of the warm-up period from day 0 (days); shaded.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the date axis: on-hand units above, backlog units below.
    """
    _check_daily(daily, ("on_hand_units", "backlog_units"))
    daily = daily.assign(date=pd.to_datetime(daily["date"]))
    origin = _day_origin(daily)
    figure, (top, bottom) = new_figure(nrows=2, sharex=True)
    panels = (
        (top, "on_hand_units", "Stock in warehouse (units)"),
        (bottom, "backlog_units", "Backlog (units)"),
    )
    for ax, column, ylabel in panels:
        _shade_warmup(ax, origin, warmup_days)
        _plot_series(ax, daily, column, origin)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
    top.set_title(
        "Stock in the warehouse and backlog (daily time-weighted means, all SKUs)", loc="left"
    )
    _date_axis(bottom)
    _legend_in_headroom(top)
    return figure


def receivables_figure(
    daily: pd.DataFrame, warmup_days: float, currency: str | None = None
) -> Figure:
    """Open receivables over time, mean across replications with a 95 % band.

    Parameters
    ----------
    daily : pandas.DataFrame
        The ``daily.csv`` table: ``replication, day, date, receivables`` (currency, daily
        time-weighted mean of invoiced but unpaid amounts).
    warmup_days : float
        Length of the warm-up period from day 0 (days); shaded.
    currency : str, optional
        The scenario's currency code, shown on the axis (``currency`` when absent).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_daily(daily, ("receivables",))
    daily = daily.assign(date=pd.to_datetime(daily["date"]))
    origin = _day_origin(daily)
    figure, (ax,) = new_figure()
    _shade_warmup(ax, origin, warmup_days)
    _plot_series(ax, daily, "receivables", origin)
    ax.set_ylabel(f"Receivables ({unit_text('currency', currency)})")
    ax.set_ylim(bottom=0)
    ax.set_title("Open receivables (daily time-weighted means)", loc="left")
    _date_axis(ax)
    _legend_in_headroom(ax)
    return figure


def lead_time_figure(lead_times: pd.DataFrame) -> Figure:
    """Order lead-time distribution as a CDF, with the spread across replications.

    The curve is the across-replication mean of the quantile function (Vincentization), drawn
    with quantiles on the y-axis so it reads as a CDF; the band spans the smallest to largest
    replication at each quantile. The p50 and p95 of the mean curve are marked.

    Parameters
    ----------
    lead_times : pandas.DataFrame
        The ``lead_times.csv`` table: ``replication, quantile, lead_time_days`` with quantile in
        [0, 1] and lead time in days. Rows with a missing lead time (a replication without
        completed orders) are ignored.

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_columns(lead_times, LEAD_TIME_COLUMNS, "lead-time table")
    figure, (ax,) = new_figure()
    ax.set_title("Order lead time: share of orders delivered within x days", loc="left")
    ax.set_xlabel("Order lead time (days)")
    ax.set_ylabel("Share of orders (cumulative)")
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_ylim(0, 1.02)
    grid = lead_times.dropna(subset=["lead_time_days"]).pivot_table(
        index="quantile", columns="replication", values="lead_time_days", aggfunc="mean"
    )
    grid = grid.sort_index()
    if grid.empty:
        ax.text(0.5, 0.5, "No completed orders", transform=ax.transAxes, ha="center")
        return figure
    quantiles = grid.index.to_numpy(dtype=float)
    mean = grid.mean(axis=1).to_numpy()
    n = grid.shape[1]
    if n > 1:
        ax.fill_betweenx(
            quantiles,
            grid.min(axis=1),
            grid.max(axis=1),
            color=BAND_COLOUR,
            alpha=0.35,
            linewidth=0,
            label=f"range over {n} replications",
        )
    suffix = "replication" if n == 1 else "replications"
    ax.plot(mean, quantiles, color=MEAN_COLOUR, linewidth=1.8, label=f"mean of {n} {suffix}")
    left = min(0.0, float(np.nanmin(grid.to_numpy())))
    longest = float(np.nanmax(grid.to_numpy()))
    # Room to the right of the longest lead time; with constant lead times the curve is a
    # vertical step and matplotlib's own margin would put it at the axis's edge.
    right = longest + 0.08 * max(longest - left, 1.0)
    ax.set_xlim(left, right)
    # The mean quantile function is increasing, so interpolating it gives its own p50 and p95.
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        value = float(np.interp(q, quantiles, mean))
        ax.vlines(value, 0, q, colors="0.35", linestyles=":", linewidth=1)
        ax.hlines(q, left, value, colors="0.35", linestyles=":", linewidth=1)
        ax.plot([value], [q], "o", color=COST_COLOUR, markersize=5, zorder=3)
        # a mark in the right part of the axis is labelled on its left, so the text stays inside
        on_left = value > left + 0.6 * (right - left)
        ax.annotate(
            f"{name} = {format_value(value, 'days')} days",
            xy=(value, q),
            xytext=(-8 if on_left else 8, -14),
            textcoords="offset points",
            ha="right" if on_left else "left",
            fontsize="small",
        )
    ax.legend(loc="lower right", fontsize="small", framealpha=0.9)
    return figure


# --- run folder ----------------------------------------------------------------------------


def build_figures(run_dir: Path) -> dict[str, Figure]:
    """Read a run folder and draw every chart that applies to it.

    Parameters
    ----------
    run_dir : pathlib.Path
        Run folder holding ``summary.csv``, ``daily.csv``, ``lead_times.csv`` and
        ``manifest.json``.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        PNG file name -> figure, in report order; ``utilisation.png`` only if there are roles,
        ``cash.png`` only if the run has a cash book.

    Raises
    ------
    ValueError
        If an input file is missing or malformed (the message names it).
    """
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    warmup_days = manifest["warmup_days"]
    currency = manifest.get("currency")
    if not isinstance(warmup_days, int | float) or isinstance(warmup_days, bool):
        raise ValueError(f"{run_dir / 'manifest.json'}: warmup_days must be a number of days")
    summary = read_run_csv(run_dir, "summary.csv", SUMMARY_COLUMNS)
    daily = read_run_csv(run_dir, "daily.csv", DAILY_COLUMNS)
    lead_times = read_run_csv(run_dir, "lead_times.csv", LEAD_TIME_COLUMNS)
    try:
        profit = profit_figure(summary, currency)
    except ValueError as error:
        raise ValueError(f"{run_dir / 'summary.csv'}: {error}") from error
    drawn = {
        "inventory_backlog.png": inventory_backlog_figure(daily, warmup_days),
        "lead_time.png": lead_time_figure(lead_times),
        "profit.png": profit,
        "utilisation.png": utilisation_figure(summary),
        "receivables.png": receivables_figure(daily, warmup_days, currency),
        "cash.png": cash_figure(daily, warmup_days, currency),
    }
    return {name: figure for name, figure in drawn.items() if figure is not None}


def write_figures(run_dir: Path) -> list[Path]:
    """Draw the charts of a run folder and write them into it as PNG files.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder (see `build_figures`).

    Returns
    -------
    list of pathlib.Path
        ``inventory_backlog.png``, ``lead_time.png``, ``profit.png``, ``utilisation.png`` (only
        with staff roles), ``receivables.png`` and ``cash.png`` (only with a cash book).

    Raises
    ------
    ValueError
        If an input file is missing or malformed (the message names it).
    """
    return save_figures(build_figures(run_dir), run_dir)
