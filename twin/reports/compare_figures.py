"""Charts of a comparison folder, drawn from its result files only.

``twin compare`` writes ``comparison.csv``, ``ranking.csv``, ``daily.csv``, ``lead_times.csv``
and ``manifest.json`` (``docs/compare.md``); this module reads them back and draws

- ``kpi_bars.png``: a few headline KPIs (and the ``--best`` one), one panel each, one bar per
  variant with its interval;
- ``differences.png``: the paired difference of each variant against the base with its
  interval, one panel per headline KPI; a filled marker when the interval excludes 0;
- ``inventory.png``: the distribution of the daily inventory value after the warm-up, pooled
  over replications, overlaid per variant, as the share of days in each value bin;
- ``lead_times.png``: the order lead-time distribution per variant (the across-replication mean
  of each quantile, read as a cumulative curve), overlaid.

The PDF around them is :mod:`twin.reports.compare_report`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from twin.formatting import format_value
from twin.kpi_labels import kpi_label, unit_text
from twin.reports.charts import FIGSIZE, GroupedFormatter, new_figure, style_axes
from twin.reports.readers import read_manifest, read_run_csv
from twin.tables import COMPARISON_COLUMNS

#: The KPIs of the bar and difference charts and the terminal table, those a run reports.
HEADLINE_KPIS = (
    "profit",
    "revenue",
    "fill_rate",
    "otif_rate",
    "lead_time_p95_days",
    "inventory_value_mean",
)
MANIFEST_KEYS = ("base", "variants", "seed", "replications", "confidence", "created_utc")
#: Inventory values from which the histogram's axis counts in thousands.
THOUSANDS = 10_000.0
_RATIO_UNITS = {"ratio"}


def _colours(names: list[str]) -> dict[str, str]:
    palette = [f"C{i % 10}" for i in range(len(names))]
    return dict(zip(names, palette, strict=True))


def _grid(count: int) -> tuple[Figure, list[Axes]]:
    columns = min(3, max(1, count))
    rows = max(1, math.ceil(count / columns))
    figure = Figure(figsize=FIGSIZE, layout="constrained")
    axes = list(figure.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    style_axes(axes, grid_axis="y")
    return figure, axes[:count]


def headline(comparison: pd.DataFrame, also: Sequence[str] = ()) -> list[str]:
    """The headline KPIs the comparison reports with at least one value, then those of ``also``
    (the KPI ``--best`` selects on) not among them, so the compared KPI is always shown."""
    have = set(comparison.dropna(subset=["mean"])["kpi"].unique())
    wanted = [*HEADLINE_KPIS, *(kpi for kpi in also if kpi not in HEADLINE_KPIS)]
    return [kpi for kpi in wanted if kpi in have]


def best_kpi(manifest: dict) -> list[str]:
    """The KPI the comparison selected the best variant on, as a list (empty if not said)."""
    best = manifest.get("best")
    return [str(best["kpi"])] if isinstance(best, dict) and "kpi" in best else []


def _title(kpi: str, currency: str | None) -> str:
    """The panel title: the KPI's label with its unit, then its identifier."""
    label = kpi_label(kpi, currency)
    return label if label == kpi else f"{label}\n{kpi}"


def unit_of(rows: pd.DataFrame) -> str:
    units = rows["unit"].dropna()
    return str(units.iloc[0]) if len(units) else ""


def _format_axis(ax: Axes, unit: str, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=3))  # panels are narrow: few, readable ticks
    target.set_tick_params(labelsize=8)
    if unit in _RATIO_UNITS:
        target.set_major_formatter(PercentFormatter(xmax=1.0))
    else:
        target.set_major_formatter(GroupedFormatter())


def kpi_bars_figure(
    comparison: pd.DataFrame,
    names: list[str],
    also: Sequence[str] = (),
    currency: str | None = None,
) -> Figure:
    """One panel per headline KPI (and each of ``also``): a bar per variant (mean) with its
    confidence interval."""
    kpis = headline(comparison, also)
    figure, axes = _grid(len(kpis))
    colours = _colours(names)
    figure.suptitle("Headline KPIs per variant: mean and confidence interval", x=0.01, ha="left")
    for ax, kpi in zip(axes, kpis, strict=True):
        rows = comparison[comparison["kpi"] == kpi].set_index("variant").reindex(names)
        means = rows["mean"].to_numpy(dtype=float)
        low = np.nan_to_num(means - rows["ci_low"].to_numpy(dtype=float))
        high = np.nan_to_num(rows["ci_high"].to_numpy(dtype=float) - means)
        x = np.arange(len(names))
        ax.bar(x, means, color=[colours[n] for n in names], alpha=0.8)
        ax.errorbar(x, means, yerr=[low, high], fmt="none", ecolor="0.15", capsize=4)
        ax.set_xticks(
            x,
            names,
            rotation=20 if len(names) > 3 else 0,
            ha="right" if len(names) > 3 else "center",
        )
        unit = unit_of(rows.reset_index())
        ax.set_title(_title(kpi, currency), fontsize="small", loc="left")
        _format_axis(ax, unit)
    return figure


def differences_figure(
    comparison: pd.DataFrame,
    names: list[str],
    base: str,
    also: Sequence[str] = (),
    currency: str | None = None,
) -> Figure:
    """One panel per headline KPI (and each of ``also``): each variant's paired difference to
    the base with its CI."""
    kpis = headline(comparison, also)
    others = [n for n in names if n != base]
    figure, axes = _grid(len(kpis))
    colours = _colours(names)
    figure.suptitle(
        f"Difference to {base} (variant - base, paired over replications); filled: the "
        "interval excludes 0",
        x=0.01,
        ha="left",
    )
    for ax, kpi in zip(axes, kpis, strict=True):
        rows = comparison[comparison["kpi"] == kpi].set_index("variant").reindex(others)
        y = np.arange(len(others))[::-1]
        for position, name in zip(y, others, strict=True):
            row = rows.loc[name]
            diff = float(row["diff"])
            low, high = float(row["diff_ci_low"]), float(row["diff_ci_high"])
            if not math.isnan(low):
                ax.hlines(position, low, high, color=colours[name], linewidth=2)
            filled = str(row["significant"]) == "True"
            ax.plot(
                [diff],
                [position],
                "o",
                color=colours[name],
                markerfacecolor=colours[name] if filled else "white",
                markersize=7,
            )
        ax.axvline(0.0, color="0.3", linewidth=1)
        ax.set_yticks(y, others)
        ax.grid(True, axis="x", color="0.9", linewidth=0.8)
        unit = unit_of(rows.reset_index())
        ax.set_title(_title(kpi, currency), fontsize="small", loc="left")
        _format_axis(ax, unit, axis="x")
    return figure


def inventory_figure(
    daily: pd.DataFrame,
    names: list[str],
    warmup: dict[str, float],
    currency: str | None = None,
) -> Figure:
    """Overlaid distributions of the daily inventory value after the warm-up, per variant: the
    share of a variant's days whose value falls in each bin (its bars add up to 100 %), values
    in thousands once they reach :data:`THOUSANDS`."""
    figure, (ax,) = new_figure()
    colours = _colours(names)
    money = unit_text("currency", currency)
    measured = {
        name: daily.loc[
            (daily["variant"] == name) & (daily["day"] >= warmup.get(name, 0.0)), "inventory_value"
        ]
        .dropna()
        .to_numpy(dtype=float)
        for name in names
    }
    pooled = np.concatenate([v for v in measured.values() if v.size] or [np.zeros(1)])
    scale, scaled_unit = (
        (1000.0, f"thousands of {money}") if np.abs(pooled).max() >= THOUSANDS else (1.0, money)
    )
    bins = np.histogram_bin_edges(pooled / scale, bins=30)
    for name in names:
        values = measured[name]
        if values.size:
            ax.hist(
                values / scale,
                bins=bins,
                weights=np.full(values.size, 1.0 / values.size),
                histtype="step",
                linewidth=1.8,
                color=colours[name],
                label=f"{name} (mean {format_value(values.mean(), 'currency')} {money})",
            )
    ax.set_title(
        "Daily inventory value at cost after the warm-up (all replications pooled)", loc="left"
    )
    ax.set_xlabel(f"Inventory value ({scaled_unit})")
    width = format_value(float(bins[1] - bins[0]) * scale, "currency")
    ax.set_ylabel(f"Share of days (bins {width} {money} wide)")
    ax.xaxis.set_major_formatter(GroupedFormatter())
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    return figure


def lead_times_figure(lead_times: pd.DataFrame, names: list[str]) -> Figure:
    """Overlaid lead-time distributions: the mean quantile curve of each variant."""
    figure, (ax,) = new_figure()
    colours = _colours(names)
    for name in names:
        mine = lead_times[lead_times["variant"] == name].dropna(subset=["lead_time_days"])
        if mine.empty:
            continue
        curve = mine.groupby("quantile")["lead_time_days"].mean().sort_index()
        p95 = float(np.interp(0.95, curve.index.to_numpy(dtype=float), curve.to_numpy()))
        ax.plot(
            curve.to_numpy(),
            curve.index.to_numpy(dtype=float),
            color=colours[name],
            linewidth=1.8,
            label=f"{name} (p95 {format_value(p95, 'days')} days)",
        )
    ax.set_title("Order lead time: share of orders delivered within x days", loc="left")
    ax.set_xlabel("Order lead time (days)")
    ax.set_ylabel("Share of orders (cumulative)")
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    return figure


def build_compare_figures(out_dir: Path) -> dict[str, Figure]:
    """Read a comparison folder and draw its charts: PNG file name -> figure, in report order.

    Raises
    ------
    ValueError
        A result file is missing or malformed (the message names it).
    """
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir, MANIFEST_KEYS)
    names = list(manifest["variants"])
    base = str(manifest["base"])
    comparison = read_run_csv(out_dir, "comparison.csv", COMPARISON_COLUMNS)
    daily = read_run_csv(out_dir, "daily.csv", ("variant", "day", "inventory_value"))
    lead_times = read_run_csv(out_dir, "lead_times.csv", ("variant", "quantile", "lead_time_days"))
    warmup = {n: float(v.get("warmup_days", 0.0)) for n, v in manifest["variants"].items()}
    best, currency = best_kpi(manifest), manifest.get("currency")
    figures = {"kpi_bars.png": kpi_bars_figure(comparison, names, best, currency)}
    if len(names) > 1:
        figures["differences.png"] = differences_figure(comparison, names, base, best, currency)
    figures["inventory.png"] = inventory_figure(daily, names, warmup, currency)
    figures["lead_times.png"] = lead_times_figure(lead_times, names)
    return figures
