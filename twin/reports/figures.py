"""Charts of one run folder, drawn from its result files.

Every chart shows the across-replication mean with its spread, so a planner sees at a glance how
much of a difference is noise. Time series use a 95 % Student-t interval of the mean per day
(it collapses onto the line when there is one replication) and shade the warm-up period, whose
observations the KPIs leave out.

Figures are `matplotlib.figure.Figure` objects created directly, never through `pyplot`: no
global figure registry and no backend switch, so reports can be drawn in threads or worker
processes side by side. Saving to PNG uses the Agg canvas, chosen by the file format.

The readers (`read_run_csv`, `read_manifest`) check that a file exists, parses and has the columns
a chart needs, and raise `ValueError` naming the file otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, PercentFormatter
from scipy.special import stdtrit

from twin.reports.terminal import format_value

#: Figure size of a chart saved as PNG (inches).
FIGSIZE = (10.0, 5.6)
#: PNG resolution (dots per inch): 1200 x 672 pixels at `FIGSIZE`.
DPI = 120
#: Confidence level of the interval bands.
CONFIDENCE = 0.95

MEAN_COLOUR = "#1f4e79"
BAND_COLOUR = "#6b9bd1"
WARMUP_COLOUR = "0.88"
GAIN_COLOUR = "#2e7d32"
COST_COLOUR = "#c62828"
TOTAL_COLOUR = "#1f4e79"

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

SUMMARY_COLUMNS = ("kpi", "mean", "std", "ci_low", "ci_high", "unit")
DAILY_COLUMNS = ("replication", "day", "date", "on_hand_units", "backlog_units", "receivables")
LEAD_TIME_COLUMNS = ("replication", "quantile", "lead_time_days")

#: Numeric columns of each file; text columns (``kpi``, ``unit``, ``date``) are checked apart.
_NUMERIC = {
    "summary.csv": ("mean", "std", "ci_low", "ci_high"),
    "daily.csv": ("replication", "day", "on_hand_units", "backlog_units", "receivables"),
    "lead_times.csv": LEAD_TIME_COLUMNS,
}

# --- reading -------------------------------------------------------------------------------


def read_run_csv(run_dir: Path, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Read one CSV result file and check it has `columns`.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder.
    name : str
        File name inside `run_dir`, e.g. ``"daily.csv"``.
    columns : sequence of str
        Columns the caller needs. Columns listed for `name` in the module's numeric table must
        parse as numbers; ``date`` must parse as ISO dates.

    Returns
    -------
    pandas.DataFrame
        The table; ``date`` (if present) converted to datetimes, ``unit`` (if present) with
        empty cells as ``""``.

    Raises
    ------
    ValueError
        If the file is missing, unreadable, empty, lacks a column or holds a non-number where a
        number belongs. The message starts with the file path.
    """
    path = Path(run_dir) / name
    if not path.is_file():
        raise ValueError(f"{path}: result file is missing")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read as CSV ({error})") from error
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise ValueError(f"{path}: has no rows")
    for column in _NUMERIC.get(name, ()):
        if column in frame.columns:
            try:
                frame[column] = pd.to_numeric(frame[column])
            except (TypeError, ValueError) as error:
                raise ValueError(f"{path}: column {column} is not numeric ({error})") from error
    if "date" in frame.columns:
        try:
            frame["date"] = pd.to_datetime(frame["date"], format="ISO8601")
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: column date is not ISO dates ({error})") from error
    if "unit" in frame.columns:
        frame["unit"] = frame["unit"].fillna("").astype(str)
    return frame


def read_manifest(run_dir: Path, keys: Sequence[str] = ("warmup_days",)) -> dict[str, Any]:
    """Read ``manifest.json`` and check it has `keys`.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder.
    keys : sequence of str
        Keys the caller needs.

    Returns
    -------
    dict
        The manifest as written by the run.

    Raises
    ------
    ValueError
        If the file is missing, not a JSON object, or lacks one of `keys`.
    """
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        raise ValueError(f"{path}: result file is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: is not valid JSON ({error})") from error
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: must hold a JSON object")
    missing = [key for key in keys if key not in manifest]
    if missing:
        raise ValueError(f"{path}: missing key(s) {', '.join(missing)}")
    return manifest


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


# --- statistics ----------------------------------------------------------------------------


def t_band(
    frame: pd.DataFrame, by: str, value: str, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Mean of `value` across replications for each `by`, with a Student-t interval.

    The half-width is :math:`t_{1-\\alpha/2,\\,n-1}\\, s / \\sqrt{n}` with :math:`s` the sample
    standard deviation over the :math:`n` replications (Law, *Simulation Modeling and
    Analysis*, 5th ed., §9.4.1). With one replication the half-width is 0, so the band
    collapses onto the mean rather than vanishing as NaN. The t quantile comes from
    `scipy.special.stdtrit`, the function behind ``scipy.stats.t.ppf``, because importing
    `scipy.stats` alone costs about a second.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table with one row per replication and `by` value.
    by : str
        Column to group on (e.g. ``"day"``).
    value : str
        Column to summarise.
    confidence : float
        Confidence level, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by `by`, columns ``mean, low, high, n``.
    """
    grouped = frame.groupby(by)[value].agg(["mean", "std", "count"])
    n = grouped["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = stdtrit(n - 1.0, 0.5 + confidence / 2.0)
        half = quantile * grouped["std"].to_numpy(dtype=float) / np.sqrt(n)
    half = np.where(n >= 2, np.nan_to_num(half, nan=0.0), 0.0)
    mean = grouped["mean"].to_numpy(dtype=float)
    return pd.DataFrame(
        {"mean": mean, "low": mean - half, "high": mean + half, "n": n.astype(int)},
        index=grouped.index,
    )


# --- drawing helpers -----------------------------------------------------------------------


class GroupedFormatter(Formatter):
    """Tick labels with thousands separators and only as many decimals as the tick step needs.

    Matplotlib's default formatter switches to an offset or scientific notation for money-sized
    numbers, which planners misread; this one writes ``1,250,000`` and ``0.5`` alike.
    """

    _decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        """Choose the decimals once per draw from the spacing of the tick locations."""
        super().set_locs(locs)
        steps = np.abs(np.diff(np.asarray(locs, dtype=float)))
        steps = steps[steps > 0]
        step = float(steps.min()) if steps.size else 1.0
        self._decimals = max(0, int(-np.floor(np.log10(step))))

    def __call__(self, x: float, pos: int | None = None) -> str:
        decimals = self._decimals
        # Adding 0.0 turns a rounded -0.0 into 0.0, so no tick reads "-0".
        return f"{round(x, decimals) + 0.0:,.{decimals}f}"


def _new_figure(
    nrows: int = 1, sharex: bool = False, height: float = FIGSIZE[1]
) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(FIGSIZE[0], height), layout="constrained")
    axes = figure.subplots(nrows, 1, sharex=sharex, squeeze=False)[:, 0]
    for ax in axes:
        ax.grid(True, color="0.9", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    return figure, list(axes)


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
    _require_columns(daily, ("replication", "day", "date", *columns), "daily table")
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
    figure, (top, bottom) = _new_figure(nrows=2, sharex=True)
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


def receivables_figure(daily: pd.DataFrame, warmup_days: float) -> Figure:
    """Open receivables over time, mean across replications with a 95 % band.

    Parameters
    ----------
    daily : pandas.DataFrame
        The ``daily.csv`` table: ``replication, day, date, receivables`` (currency, daily
        time-weighted mean of invoiced but unpaid amounts).
    warmup_days : float
        Length of the warm-up period from day 0 (days); shaded.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_daily(daily, ("receivables",))
    daily = daily.assign(date=pd.to_datetime(daily["date"]))
    origin = _day_origin(daily)
    figure, (ax,) = _new_figure()
    _shade_warmup(ax, origin, warmup_days)
    _plot_series(ax, daily, "receivables", origin)
    ax.set_ylabel("Receivables (currency)")
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
    _require_columns(lead_times, LEAD_TIME_COLUMNS, "lead-time table")
    figure, (ax,) = _new_figure()
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
    ax.set_xlim(left=left)
    # The mean quantile function is increasing, so interpolating it gives its own p50 and p95.
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        value = float(np.interp(q, quantiles, mean))
        ax.vlines(value, 0, q, colors="0.35", linestyles=":", linewidth=1)
        ax.hlines(q, left, value, colors="0.35", linestyles=":", linewidth=1)
        ax.plot([value], [q], "o", color=COST_COLOUR, markersize=5, zorder=3)
        ax.annotate(
            f"{name} = {format_value(value, 'days')} days",
            xy=(value, q),
            xytext=(8, -14),
            textcoords="offset points",
            fontsize="small",
        )
    ax.legend(loc="lower right", fontsize="small", framealpha=0.9)
    return figure


def _summary_rows(summary: pd.DataFrame) -> pd.DataFrame:
    _require_columns(summary, SUMMARY_COLUMNS, "summary table")
    if summary["kpi"].duplicated().any():
        duplicated = sorted(summary.loc[summary["kpi"].duplicated(), "kpi"].astype(str))
        raise ValueError(f"summary table repeats KPI(s): {', '.join(duplicated)}")
    return summary.set_index("kpi")


def _errors(row: pd.Series) -> tuple[float, float]:
    """Distances from the mean down to ci_low and up to ci_high; 0 when the CI is undefined."""
    below = float(row["mean"] - row["ci_low"])
    above = float(row["ci_high"] - row["mean"])
    return (np.nan_to_num(max(below, 0.0)), np.nan_to_num(max(above, 0.0)))


def profit_figure(summary: pd.DataFrame) -> Figure:
    """Profit waterfall: revenue, minus each cost, down to profit, with 95 % CI error bars.

    Bars use the across-replication means. A cost bar hangs from the running total; its error
    bar sits at the bar's lower end, where a larger cost would move it. Revenue and profit
    start at zero.

    Parameters
    ----------
    summary : pandas.DataFrame
        The ``summary.csv`` table (``kpi, mean, std, ci_low, ci_high, unit``) with the KPIs
        ``revenue``, ``profit`` and the costs in `COST_KPIS` (currency).

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

    figure, (ax,) = _new_figure()
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
    ax.set_ylabel("Amount per run after warm-up (currency)")
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
    figure, (ax,) = _new_figure(height=min(FIGSIZE[1], max(2.6, 1.4 + 0.55 * len(roles))))
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
        PNG file name -> figure, in report order; ``utilisation.png`` only if there are roles.

    Raises
    ------
    ValueError
        If an input file is missing or malformed (the message names it).
    """
    run_dir = Path(run_dir)
    warmup_days = read_manifest(run_dir)["warmup_days"]
    if not isinstance(warmup_days, int | float) or isinstance(warmup_days, bool):
        raise ValueError(f"{run_dir / 'manifest.json'}: warmup_days must be a number of days")
    summary = read_run_csv(run_dir, "summary.csv", SUMMARY_COLUMNS)
    daily = read_run_csv(run_dir, "daily.csv", DAILY_COLUMNS)
    lead_times = read_run_csv(run_dir, "lead_times.csv", LEAD_TIME_COLUMNS)
    try:
        profit = profit_figure(summary)
    except ValueError as error:
        raise ValueError(f"{run_dir / 'summary.csv'}: {error}") from error
    drawn = {
        "inventory_backlog.png": inventory_backlog_figure(daily, warmup_days),
        "lead_time.png": lead_time_figure(lead_times),
        "profit.png": profit,
        "utilisation.png": utilisation_figure(summary),
        "receivables.png": receivables_figure(daily, warmup_days),
    }
    return {name: figure for name, figure in drawn.items() if figure is not None}


def save_figures(figures: dict[str, Figure], run_dir: Path) -> list[Path]:
    """Save figures as PNG files at `DPI` into `run_dir`.

    Parameters
    ----------
    figures : dict of str to matplotlib.figure.Figure
        File name -> figure, as returned by `build_figures`.
    run_dir : pathlib.Path
        Destination folder.

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of `figures`.
    """
    paths = []
    for name, figure in figures.items():
        path = Path(run_dir) / name
        figure.savefig(path, dpi=DPI, format="png", facecolor="white")
        paths.append(path)
    return paths


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
        with staff roles) and ``receivables.png``.

    Raises
    ------
    ValueError
        If an input file is missing or malformed (the message names it).
    """
    return save_figures(build_figures(run_dir), run_dir)
