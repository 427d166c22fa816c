"""Where a backtest cuts the history: its origins and the weeks around each.

An *origin* is a cut-off date. The twin is calibrated on the history before it and forecasts the
next ``horizon_weeks`` weeks; week k of the window is the days ``[origin + 7k, origin + 7k + 7)``,
so weeks are aligned to the origin and no day is dropped. The *training weeks* are the whole
weeks before the origin that lie in the history's active period (as calibration uses it), aligned
the same way, for the baselines and the MASE scale.

Origins are given (``--origins``) or spread evenly (``--n-origins``) from
:data:`MIN_TRAIN_WEEKS` weeks after the active period's first day to ``horizon_weeks`` weeks
before its end, each moved to the nearest first of a month inside those bounds when there is one
(calibration leaves out a partly covered last month, so a month-start origin loses no history).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.calibration.validation_history import WEEK_DAYS
from twin.errors import InputError

#: Whole weeks of history needed before an origin (half a year: every weekday and a season's
#: worth of weeks for the fits, and enough weeks for the baseline's scale).
MIN_TRAIN_WEEKS = 26


def parse_origins(text: str) -> list[dt.date]:
    """``--origins 2011-06-01,2011-08-01``: dates, sorted, without repeats."""
    dates = []
    for item in text.split(","):
        try:
            dates.append(dt.date.fromisoformat(item.strip()))
        except ValueError:
            raise InputError(
                f"--origins {text}: {item.strip()!r} is not a date; give comma-separated "
                "YYYY-MM-DD dates, e.g. --origins 2011-06-01,2011-08-01"
            ) from None
    if len(set(dates)) != len(dates):
        raise InputError(f"--origins {text}: a date is given twice")
    return sorted(dates)


def _bounds(first: dt.date, end: dt.date, horizon_weeks: int) -> tuple[dt.date, dt.date]:
    earliest = first + dt.timedelta(weeks=MIN_TRAIN_WEEKS)
    latest = end - dt.timedelta(weeks=horizon_weeks)
    return earliest, latest


def check_origins(
    origins: list[dt.date], first: dt.date, end: dt.date, horizon_weeks: int
) -> list[dt.date]:
    """Each origin leaves :data:`MIN_TRAIN_WEEKS` weeks before it and its window inside the data.

    ``first`` is the active period's first day, ``end`` the day after its last.
    """
    earliest, latest = _bounds(first, end, horizon_weeks)
    for origin in origins:
        if origin < earliest:
            raise InputError(
                f"--origins {origin}: too little history before it; the history's active period "
                f"starts on {first} and a backtest needs {MIN_TRAIN_WEEKS} weeks before an "
                f"origin, so the earliest origin is {earliest}"
            )
        if origin > latest:
            raise InputError(
                f"--origins {origin}: its {horizon_weeks}-week window runs past the history, "
                f"whose active period ends on {end - dt.timedelta(days=1)}; the latest origin for "
                f"--horizon-weeks {horizon_weeks} is {latest}"
            )
    return origins


def spread_origins(
    first: dt.date, end: dt.date, horizon_weeks: int, n_origins: int
) -> list[dt.date]:
    """``n_origins`` origins spread evenly between the earliest and the latest allowed.

    Each is moved to the nearest first of a month within the bounds (when there is one), unless
    that would make two origins equal: then all stay evenly spread. Two evenly spread origins on
    the same date are an error naming ``--n-origins``.
    """
    earliest, latest = _bounds(first, end, horizon_weeks)
    if latest < earliest:
        raise InputError(
            f"--horizon-weeks {horizon_weeks}: the history's active period {first}.."
            f"{end - dt.timedelta(days=1)} is too short for {MIN_TRAIN_WEEKS} training weeks "
            f"and a {horizon_weeks}-week window"
        )
    span = (latest - earliest).days
    # one origin: the latest, with the most history before it
    steps = [float(span)] if n_origins == 1 else np.linspace(0, span, n_origins)
    spread = [earliest + dt.timedelta(days=round(float(step))) for step in steps]
    snapped = [_nearest_month_start(origin, earliest, latest) for origin in spread]
    origins = snapped if len(set(snapped)) == len(snapped) else spread
    if len(set(origins)) != len(origins):
        raise InputError(
            f"--n-origins {n_origins}: the history allows origins only from {earliest} to "
            f"{latest}, too few days for {n_origins} distinct origins; ask for fewer"
        )
    return origins


def _nearest_month_start(origin: dt.date, earliest: dt.date, latest: dt.date) -> dt.date:
    """The first of a month nearest ``origin`` within [earliest, latest], else ``origin``."""
    candidates = [
        d.date()
        for d in pd.date_range(origin - dt.timedelta(days=16), periods=2, freq="MS")
        if earliest <= d.date() <= latest
    ]
    return min(candidates, key=lambda d: abs((d - origin).days)) if candidates else origin


def training_weeks(first: dt.date, origin: dt.date) -> int:
    """Whole weeks between the active period's first day and the origin."""
    return (origin - first).days // WEEK_DAYS
