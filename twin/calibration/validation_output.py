"""Write a validation: ``validation.csv``, ``weekly.csv`` and the weekly overlay charts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from twin.calibration.validate import Validation
from twin.errors import InputError
from twin.reports.charts import BAND_COLOUR, DPI, FIGSIZE, MEAN_COLOUR, GroupedFormatter

ACTUAL_COLOUR = "#c62828"

#: Weekly series and the PNG file of their overlay chart.
WEEKLY_FIGURES = {"weekly_orders": "weekly_orders.png", "weekly_revenue": "weekly_revenue.png"}


def weekly_figure(weekly: pd.DataFrame, column: str, label: str, replications: int) -> Figure:
    """Actual weekly values as a line over the simulated 5-95 % band and mean."""
    figure = Figure(figsize=FIGSIZE, layout="constrained")
    ax = figure.subplots()
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    dates = weekly["week_start"]
    ax.fill_between(
        dates,
        weekly[f"simulated_{column}_p05"],
        weekly[f"simulated_{column}_p95"],
        color=BAND_COLOUR,
        alpha=0.35,
        linewidth=0,
        label=f"simulated 5-95 % ({replications} replications)",
    )
    ax.plot(dates, weekly[f"simulated_{column}_mean"], color=MEAN_COLOUR, label="simulated mean")
    ax.plot(dates, weekly[f"actual_{column}"], color=ACTUAL_COLOUR, marker=".", label="actual")
    ax.yaxis.set_major_formatter(GroupedFormatter())
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Week starting")
    ax.set_ylabel(label)
    ax.set_title(f"{label}: actual history against the twin")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return figure


def write_validation(validation: Validation, out_dir: Path) -> dict[str, Path]:
    """Write ``validation.csv``, ``weekly.csv`` and the weekly overlay PNGs into ``out_dir``."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"--out {out_dir}: cannot create the folder ({exc.strerror or exc})"
        ) from None
    paths = {"validation": out_dir / "validation.csv", "weekly": out_dir / "weekly.csv"}
    validation.table.to_csv(paths["validation"], index=False)
    validation.weekly.to_csv(paths["weekly"], index=False)
    labels = {
        "weekly_orders": ("orders", "Orders per week"),
        "weekly_revenue": ("revenue", "Revenue per week"),
    }
    for kpi, name in WEEKLY_FIGURES.items():
        column, label = labels[kpi]
        figure = weekly_figure(validation.weekly, column, label, validation.replications)
        paths[kpi] = out_dir / name
        figure.savefig(paths[kpi], dpi=DPI, format="png", facecolor="white")
    return paths
