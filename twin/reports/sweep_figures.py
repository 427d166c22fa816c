"""Charts of a sweep folder, drawn from its result files.

Per analysed KPI:

- ``tornado_<kpi>.png`` (oat): the KPI change from the base point at each parameter's lowest and
  highest level, parameters ranked by swing;
- ``ranking_<kpi>.png`` (other designs): the design's ranking index per parameter with its 95 %
  interval (Sobol' S1 and ST side by side);
- ``heatmap_<kpi>.png`` (a grid over two parameters) or ``response_<kpi>.png`` (a grid over one):
  the per-point mean;
- ``scatter_<kpi>.png``: the KPI of every point and replication against each parameter.

The PDF around them is :mod:`twin.reports.sweep_report`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from twin.formatting import format_value
from twin.kpi_labels import kpi_label, kpi_name
from twin.reports.charts import (
    BAND_COLOUR,
    FIGSIZE,
    MEAN_COLOUR,
    GroupedFormatter,
    new_figure,
    t_band,
)
from twin.reports.readers import read_sweep

#: Indices without a unit (shown as ratios); the others are in the KPI's unit.
UNITLESS = {"S1", "ST", "S2", "rho", "src", "eta_squared"}


def parameter_label(manifest: dict[str, Any], path: str) -> str:
    for parameter in manifest["parameters"]:
        if parameter["path"] == path:
            return parameter.get("label") or path
    return path


def kpi_title(manifest: dict[str, Any], kpi: str) -> str:
    """The KPI's plain label with its unit (money as the base's currency); a sweep's own
    output the label table does not know keeps its name and unit."""
    label = kpi_label(kpi, manifest.get("currency"))
    if label != kpi:
        return label
    unit = manifest.get("units", {}).get(kpi, "")
    return f"{kpi} ({unit})" if unit else kpi


def is_integer(manifest: dict[str, Any], path: str) -> bool:
    """Whether a parameter takes whole values only (a headcount), as the manifest says."""
    return any(p["path"] == path and p.get("integer") for p in manifest["parameters"])


def _parameter_axis(ax: Axes, manifest: dict[str, Any], path: str) -> None:
    """Whole-number ticks for an integer parameter: no headcount of 2.5 on the axis."""
    if is_integer(manifest, path):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _oat_levels(manifest: dict[str, Any], results: pd.DataFrame, path: str) -> tuple[Any, Any]:
    """The lowest and highest level of an oat parameter: its values where the others are at
    the base point (point 0)."""
    points = results.drop_duplicates("point").set_index("point")
    others = [p["path"] for p in manifest["parameters"] if p["path"] != path]
    at_base = (points[others] == points.loc[0, others]).all(axis=1) if others else True
    values = points.loc[at_base & (points.index > 0), path]
    return (values.min(), values.max()) if len(values) else (np.nan, np.nan)


def tornado_figure(
    manifest: dict[str, Any], sensitivity: pd.DataFrame, results: pd.DataFrame, kpi: str
) -> Figure:
    """KPI change from the base at each parameter's lowest and highest level, ranked by swing."""
    rows = sensitivity[(sensitivity["kpi"] == kpi) & (sensitivity["method"] == "oat")]
    table = rows.pivot(index="parameter", columns="index", values="value")
    table = table.reindex(table["swing"].abs().sort_values(na_position="first").index)
    base = results[(results["point"] == 0) & (results["error"] == "")][kpi].mean()
    figure, (ax,) = new_figure()
    y = np.arange(len(table))
    for offset, column, colour, name in (
        (0.18, "low", BAND_COLOUR, "lowest level"),
        (-0.18, "high", MEAN_COLOUR, "highest level"),
    ):
        ax.barh(y + offset, table[column].fillna(0.0), height=0.34, color=colour, label=name)
    ax.axvline(0.0, color="0.3", linewidth=1.0)
    labels = []
    for path in table.index:
        low, high = _oat_levels(manifest, results, path)
        labels.append(f"{parameter_label(manifest, path)}\n{low:g} / {high:g}")
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(GroupedFormatter())
    ax.set_xlabel(f"change in {kpi_title(manifest, kpi)} from the base point")
    unit = manifest.get("units", {}).get(kpi, "")
    ax.set_title(
        f"{kpi_name(kpi)}: one parameter at a time (base {format_value(base, unit)})", loc="left"
    )
    ax.legend(loc="best", frameon=False)
    return figure


def ranking_figure(manifest: dict[str, Any], sensitivity: pd.DataFrame, kpi: str) -> Figure:
    """The design's ranking index per parameter with its 95 % interval (Sobol': S1 and ST)."""
    kind = manifest["design"]["kind"]
    method, index = manifest["headline"]
    rows = sensitivity[(sensitivity["kpi"] == kpi) & (sensitivity["method"] == method)]
    head = rows[rows["index"] == index].copy()
    head = head.assign(_order=head["value"].abs()).sort_values("_order", na_position="first")
    names = head["parameter"].tolist()
    figure, (ax,) = new_figure()
    y = np.arange(len(names))
    series = [("S1", -0.18, BAND_COLOUR), ("ST", 0.18, MEAN_COLOUR)] if kind == "sobol" else []
    series = series or [(index, 0.0, MEAN_COLOUR)]
    for name, offset, colour in series:
        part = rows[rows["index"] == name].set_index("parameter").reindex(names)
        value = part["value"].to_numpy(dtype=float)
        low = np.nan_to_num(value - part["ci_low"].to_numpy(dtype=float), nan=0.0)
        high = np.nan_to_num(part["ci_high"].to_numpy(dtype=float) - value, nan=0.0)
        ax.barh(
            y + offset,
            np.nan_to_num(value),
            height=0.34 if series[0][1] else 0.6,
            color=colour,
            xerr=np.vstack([np.abs(low), np.abs(high)]),
            error_kw={"ecolor": "0.25", "capsize": 3, "linewidth": 1},
            label=name,
        )
    ax.axvline(0.0, color="0.3", linewidth=1.0)
    ax.set_yticks(y, [parameter_label(manifest, p) for p in names])
    ax.xaxis.set_major_formatter(GroupedFormatter())
    what = {
        "sobol": "Sobol' indices (shares of the KPI's variance)",
        "morris": f"Morris mu* ({kpi_title(manifest, kpi)} per whole range of the parameter)",
        "lhs": "Spearman rank correlation",
    }
    ax.set_xlabel(what.get(kind, f"{index} ({kpi_title(manifest, kpi)})"))
    ax.set_title(f"{kpi_name(kpi)}: parameters ranked by {index} (95 % intervals)", loc="left")
    if len(series) > 1:
        ax.legend(loc="lower right", frameon=False)
    return figure


def heatmap_figure(manifest: dict[str, Any], results: pd.DataFrame, kpi: str) -> Figure:
    """The per-point mean of a grid over two parameters."""
    first, second = (p["path"] for p in manifest["parameters"])
    ok = results[results["error"] == ""]
    table = ok.groupby([second, first])[kpi].mean().unstack(first)
    figure, (ax,) = new_figure()
    ax.grid(False)
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", origin="lower", cmap="viridis")
    ax.set_xticks(range(len(table.columns)), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(len(table.index)), [f"{v:g}" for v in table.index])
    ax.set_xlabel(parameter_label(manifest, first))
    ax.set_ylabel(parameter_label(manifest, second))
    unit = manifest.get("units", {}).get(kpi, "")
    grid = table.to_numpy(dtype=float)
    low, high = np.nanmin(grid), np.nanmax(grid)
    for (row, column), value in np.ndenumerate(grid):
        # dark text on the light (high) end of viridis, light text on the dark end
        light = high > low and (value - low) / (high - low) > 0.6
        ax.text(
            column,
            row,
            format_value(value, unit),
            ha="center",
            va="center",
            fontsize=8,
            color="black" if light else "white",
        )
    figure.colorbar(image, ax=ax, label=kpi_title(manifest, kpi), format=GroupedFormatter())
    ax.set_title(f"{kpi_name(kpi)}: mean over replications at each grid point", loc="left")
    return figure


def response_figure(manifest: dict[str, Any], results: pd.DataFrame, kpi: str) -> Figure:
    """The KPI against a grid's one parameter: mean with its 95 % t band across replications."""
    path = manifest["parameters"][0]["path"]
    ok = results[results["error"] == ""]
    band = t_band(ok, path, kpi)
    figure, (ax,) = new_figure()
    x = band.index.to_numpy(dtype=float)
    ax.fill_between(x, band["low"], band["high"], color=BAND_COLOUR, alpha=0.35, linewidth=0)
    ax.plot(x, band["mean"], marker="o", color=MEAN_COLOUR)
    ax.set_xlabel(parameter_label(manifest, path))
    _parameter_axis(ax, manifest, path)
    ax.set_ylabel(kpi_title(manifest, kpi))
    ax.yaxis.set_major_formatter(GroupedFormatter())
    ax.set_title(f"{kpi_name(kpi)}: response (mean and 95 % interval)", loc="left")
    return figure


def scatter_figure(manifest: dict[str, Any], results: pd.DataFrame, kpi: str) -> Figure:
    """The KPI of every point and replication against each parameter."""
    paths = [p["path"] for p in manifest["parameters"]]
    ncols = min(3, len(paths))
    nrows = math.ceil(len(paths) / ncols)
    figure, axes = new_figure(nrows, ncols, height=max(FIGSIZE[1], 2.6 * nrows), sharey=True)
    ok = results[results["error"] == ""]
    for ax, path in zip(axes, paths, strict=False):
        ax.scatter(ok[path], ok[kpi], s=12, color=MEAN_COLOUR, alpha=0.6, linewidths=0)
        ax.set_xlabel(parameter_label(manifest, path), fontsize=9)
        _parameter_axis(ax, manifest, path)
        ax.yaxis.set_major_formatter(GroupedFormatter())
    for ax in axes[len(paths) :]:
        ax.set_visible(False)
    axes[0].set_ylabel(kpi_title(manifest, kpi))
    figure.suptitle(f"{kpi_name(kpi)} at every point and replication", x=0.01, ha="left")
    return figure


def build_figures(folder: Path) -> dict[str, Figure]:
    """Every chart of a sweep folder, PNG file name -> figure, in report order."""
    manifest, results, sensitivity = read_sweep(folder)
    kind = manifest["design"]["kind"]
    count = len(manifest["parameters"])
    figures: dict[str, Figure] = {}
    for kpi in manifest["kpis"]:
        if results[kpi].notna().any():
            if kind == "oat":
                figures[f"tornado_{kpi}.png"] = tornado_figure(manifest, sensitivity, results, kpi)
            else:
                figures[f"ranking_{kpi}.png"] = ranking_figure(manifest, sensitivity, kpi)
            if kind == "grid" and count == 2:
                figures[f"heatmap_{kpi}.png"] = heatmap_figure(manifest, results, kpi)
            if kind == "grid" and count == 1:
                figures[f"response_{kpi}.png"] = response_figure(manifest, results, kpi)
            figures[f"scatter_{kpi}.png"] = scatter_figure(manifest, results, kpi)
    return figures
