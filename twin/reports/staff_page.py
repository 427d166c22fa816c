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
#: Right edge of the first role's column (inches): at most this far right, at least this far
#: from the left, where the row labels end; and the widest step between columns.
_FIRST_RIGHT, _LABELS_END, _STEP = 6.6, 5.0, 1.7
#: Height (inches) of the table below the chart: its heading, role names and rows.
_TABLE_HEIGHT = 0.55 + 0.42 + len(ROWS) * _ROW


def staff_page(figure: Figure, summary: pd.DataFrame, currency: str | None = None) -> Figure:
    """The utilisation chart fitted to the top of a page and the roles' table drawn below it:
    one row per per-role KPI, one column per role. The chart of many roles gives way to the
    table rather than push it off the page.

    ``summary`` is the run's ``summary.csv``; the roles are those with a ``utilisation_<role>``
    row, in its order.
    """
    room = PAGE_SIZE[1] - CHART_MARGIN - 0.8 - _TABLE_HEIGHT
    height = min(chart_height(figure.get_size_inches()[1]), room)
    chart_page(figure, keep_short=True, max_height=room)
    means = summary.set_index("kpi")
    roles = [k.removeprefix("utilisation_") for k in means.index if k.startswith("utilisation_")]
    rows = [prefix for prefix in ROWS if f"{prefix}_{roles[0]}" in means.index]
    gaps = max(1, len(roles) - 1)
    first = min(_FIRST_RIGHT, max(_LABELS_END, RIGHT - _STEP * gaps))
    step = min(_STEP, (RIGHT - first) / gaps)
    y = CHART_MARGIN + height + 0.55
    put(figure, LEFT, y, "Each role: means over replications", fontsize=12, weight="bold")
    y += 0.42
    for number, role in enumerate(roles):
        name = role.replace("_", " ")
        put(figure, first + number * step, y, name, fontsize=_FONT, weight="bold", ha="right")
    for prefix in rows:
        y += _ROW
        unit = str(means.loc[f"{prefix}_{roles[0]}", "unit"])
        put(figure, LEFT, y, ROWS[prefix].format(unit=unit_text(unit, currency)), fontsize=_FONT)
        for number, role in enumerate(roles):
            row = means.loc[f"{prefix}_{role}"]
            text = (
                f"{float(row['mean']):.1%}"
                if prefix == "utilisation"
                else format_value(row["mean"], row["unit"])
            )
            put(figure, first + number * step, y, text, fontsize=_FONT, ha="right")
    return figure
