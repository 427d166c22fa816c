"""The measured window in calendar dates, as the first page of every report states it.

KPIs count over the simulated days [warm-up, horizon) (``docs/kpis.md``); a planner reads dates,
so day ``w`` is the start date plus ``w`` days and the last day counted is the one before the
horizon.
"""

from __future__ import annotations

import math
from datetime import date, timedelta


def window_dates(start_date: object, warmup_days: float, horizon_days: float) -> tuple[date, date]:
    """First and last calendar day of the window [warm-up, horizon), both counted.

    ``start_date`` is an ISO date (or a date); a fractional horizon ends on the day it falls in.
    """
    start = start_date if isinstance(start_date, date) else date.fromisoformat(str(start_date))
    first = start + timedelta(days=math.floor(warmup_days))
    last = start + timedelta(days=max(math.ceil(horizon_days) - 1, math.floor(warmup_days)))
    return first, last


def window_text(
    start_date: object, warmup_days: float, horizon_days: float, *, short: bool = False
) -> str:
    """``"2027-03-03 to 2028-03-01 (365 days, after a 61-day warm-up)"``, or without the
    warm-up when ``short``; ``"n/a"`` without a readable start date."""
    try:
        first, last = window_dates(start_date, warmup_days, horizon_days)
    except (TypeError, ValueError):
        return "n/a"
    length = horizon_days - warmup_days
    if short:
        return f"{first.isoformat()} to {last.isoformat()} ({length:g} days)"
    warmup = f"after a {warmup_days:g}-day warm-up" if warmup_days > 0 else "no warm-up"
    return f"{first.isoformat()} to {last.isoformat()} ({length:g} days, {warmup})"
