"""Fan charts of a backtest: per origin, each series' forecast band over what happened.

Drawn from the backtest's tables alone (the columns of ``backtest.csv`` and the training weeks'
``origin, week_start, series, unit, actual``), so this module knows nothing of calibration.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from twin.reports.charts import BAND_COLOUR, FIGSIZE, MEAN_COLOUR, GroupedFormatter, new_figure

ACTUAL_COLOUR = "#c62828"
BASELINE_COLOUR = "0.45"

_LABELS = {
    "orders": "Orders per week",
    "units": "Units per week",
    "revenue": "Revenue per week",
    "lead_time_days": "Mean lead time (days)",
}


def fan_figure(window: pd.DataFrame, history: pd.DataFrame, replications: int) -> Figure:
    """One panel per series: the training weeks, then the 5-95 % and 25-75 % bands, the median,
    the naive baseline and the actual weeks after the origin.

    Parameters
    ----------
    window : pandas.DataFrame
        The ``backtest.csv`` rows of one origin.
    history : pandas.DataFrame
        The training weeks of that origin (``week_start, series, actual``).
    replications : int
        For the legend.
    """
    series = list(dict.fromkeys(window["series"]))
    figure, axes = new_figure(len(series), 1, height=max(FIGSIZE[1], 2.4 * len(series)))
    origin = str(window["origin"].iloc[0])
    for ax, name in zip(axes, series, strict=True):
        rows = window[window["series"] == name]
        past = history[history["series"] == name]
        dates = pd.to_datetime(rows["week_start"])
        ax.fill_between(
            dates,
            rows["band90_low"],
            rows["band90_high"],
            color=BAND_COLOUR,
            alpha=0.3,
            linewidth=0,
            label=f"90 % band ({replications} replications)",
        )
        ax.fill_between(
            dates,
            rows["band50_low"],
            rows["band50_high"],
            color=BAND_COLOUR,
            alpha=0.55,
            linewidth=0,
            label="50 % band",
        )
        ax.plot(dates, rows["p50"], color=MEAN_COLOUR, label="median")
        ax.plot(
            dates,
            rows["baseline_value"],
            color=BASELINE_COLOUR,
            linestyle="--",
            label=f"baseline ({rows['baseline'].iloc[0]})",
        )
        ax.plot(
            pd.to_datetime(past["week_start"]),
            past["actual"],
            color="0.25",
            marker=".",
            linewidth=0.8,
            label="history before the origin",
        )
        ax.plot(dates, rows["actual"], color=ACTUAL_COLOUR, marker=".", label="actual")
        ax.axvline(pd.Timestamp(origin), color="0.5", linewidth=0.8)
        ax.yaxis.set_major_formatter(GroupedFormatter())
        ax.set_ylim(bottom=0)
        ax.set_ylabel(_LABELS.get(name, name))
    axes[0].set_title(f"Backtest from {origin}: forecast fan against what happened")
    axes[0].legend(loc="upper left", fontsize="x-small", frameon=False, ncol=3)
    axes[-1].set_xlabel("Week starting")
    return figure


def fan_figures(
    backtest: pd.DataFrame, history: pd.DataFrame, replications: int
) -> dict[str, Figure]:
    """``fan_<origin>.png`` -> its fan chart, one per origin in the order of ``backtest``."""
    figures = {}
    for origin in dict.fromkeys(backtest["origin"].astype(str)):
        window = backtest[backtest["origin"].astype(str) == origin]
        past = history[history["origin"].astype(str) == origin]
        figures[f"fan_{origin}.png"] = fan_figure(window, past, replications)
    return figures
