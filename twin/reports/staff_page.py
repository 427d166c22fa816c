"""The staff page of the run report: the utilisation chart with a table of each role below.

The utilisation chart of a few roles is short (a bar per role) and left most of its page empty;
the table beneath it gives what a planner asks next about each role: how long work waits, how
many jobs queue, the headcount and what it costs, as means over replications.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from twin.formatting import format_value
from twin.kpi_labels import unit_text
from twin.reports.pages import (
    CHART_MARGIN,
    LEFT,
    PAGE_SIZE,
    RIGHT,
    chart_height,
    chart_page,
    put,
)

#: The chart's file name in a run folder (``twin.reports.figures.build_figures``).
STAFF_CHART = "utilisation.png"

#: Per-role KPI prefix -> row label; ``{unit}`` is the KPI's unit as shown.
ROWS: dict[str, str] = {
    "utilisation": "Utilisation (share of staffed time busy)",
    "wait_mean_days": "Wait for a person, mean ({unit})",
    "wait_p95_days": "Wait for a person, 95th percentile ({unit})",
    "queue_mean": "Jobs waiting, average",
    "headcount_mean": "Headcount, average",
    "staff_cost": "Staff cost ({unit})",
}

_ROW = 0.3
_FONT = 10.0
_FIRST_RIGHT = 6.6  # right edge of the first role's column (inches)


def staff_page(figure: Figure, summary: pd.DataFrame, currency: str | None = None) -> Figure:
    """The utilisation chart fitted to the top of a page and the roles' table drawn below it:
    one row per per-role KPI, one column per role.

    ``summary`` is the run's ``summary.csv``; the roles are those with a ``utilisation_<role>``
    row, in its order.
    """
    natural = figure.get_size_inches()[1]
    chart_page(figure, keep_short=True)
    means = summary.set_index("kpi")
    roles = [k.removeprefix("utilisation_") for k in means.index if k.startswith("utilisation_")]
    rows = [prefix for prefix in ROWS if f"{prefix}_{roles[0]}" in means.index]
    step = min(1.7, (RIGHT - _FIRST_RIGHT) / max(1, len(roles) - 1)) if len(roles) > 1 else 0.0
    y = CHART_MARGIN + chart_height(natural) + 0.55
    put(figure, LEFT, y, "Each role: means over replications", fontsize=12, weight="bold")
    y += 0.42
    for number, role in enumerate(roles):
        put(
            figure,
            _FIRST_RIGHT + number * step,
            y,
            role.replace("_", " "),
            fontsize=_FONT,
            weight="bold",
            ha="right",
        )
    for prefix in rows:
        y += _ROW
        if y > PAGE_SIZE[1] - 0.75:
            break
        unit = str(means.loc[f"{prefix}_{roles[0]}", "unit"])
        put(figure, LEFT, y, ROWS[prefix].format(unit=unit_text(unit, currency)), fontsize=_FONT)
        for number, role in enumerate(roles):
            row = means.loc[f"{prefix}_{role}"]
            text = (
                f"{float(row['mean']):.1%}"
                if prefix == "utilisation"
                else format_value(row["mean"], row["unit"])
            )
            put(figure, _FIRST_RIGHT + number * step, y, text, fontsize=_FONT, ha="right")
    return figure
