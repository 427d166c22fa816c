"""What a Poisson arrivals section means day by day: trend, seasonality, holidays and events.

The model draws its arrivals from these rates and calibration fits and re-expresses them, so they
live with the scenario both read, not in either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from twin.scenario.arrivals import ArrivalEvent, PoissonArrivals

if TYPE_CHECKING:  # numpy costs start-up; a scenario error must not wait for it
    import numpy as np

__all__ = [
    "calendar_shape",
    "daily_rates",
    "day_dates",
    "event_dates",
    "event_factors",
    "trend_factor",
]


def day_dates(start_date: dt.date, n_days: int) -> pd.DatetimeIndex:
    return pd.date_range(start_date, periods=n_days, freq="D")


def trend_factor(
    trend_per_year: float,
    changes: Sequence[tuple[float, float]],
    days: np.ndarray,
) -> np.ndarray:
    """The piecewise-linear trend factor at ``days`` (days since day 0, any sign).

    ``changes`` are ``(day, slope)`` pairs in increasing day order: the slope (per year, in units
    of the day-0 level) is ``trend_per_year`` before the first change and each change's slope
    from its day on. The factor is continuous and 1 at day 0; it is not floored here.
    """
    import numpy as np

    days = np.asarray(days, dtype=np.float64)
    if not changes:
        return 1.0 + trend_per_year * days / 365.0
    # Integral from 0 to d of the slope: each change adds (new - old slope) * ramp, where the
    # ramp max(d - c, 0) - max(-c, 0) is the part of [0, d] after the change day c.
    total = trend_per_year * days
    slope = trend_per_year
    for day, new_slope in changes:
        total = total + (new_slope - slope) * (np.maximum(days - day, 0.0) - max(-day, 0.0))
        slope = new_slope
    return 1.0 + total / 365.0


def _rule_dates(rule: str, years: range, country: str | None) -> list[dt.date]:
    """The dates a rule names in ``years``."""
    if rule == "public_holidays":
        import holidays  # only needed for this rule

        return sorted(holidays.country_holidays(country, years=list(years)))
    dates = []
    for year in years:
        if rule in ("black_friday", "cyber_monday"):
            first = dt.date(year, 11, 1)
            thanksgiving = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
            dates.append(thanksgiving + dt.timedelta(days=1 if rule == "black_friday" else 4))
        else:
            month, day = {
                "christmas_eve": (12, 24),
                "christmas_day": (12, 25),
                "new_years_eve": (12, 31),
                "new_years_day": (1, 1),
            }[rule]
            dates.append(dt.date(year, month, day))
    return dates


def event_dates(event: ArrivalEvent, first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day of ``event`` from ``first`` to ``last`` inclusive, with offsets and durations."""
    if event.rule is not None:
        # A year's date can move into the neighbouring year by its offset and duration.
        margin = (abs(event.offset_days) + event.duration_days) // 365 + 1
        base = _rule_dates(
            event.rule, range(first.year - margin, last.year + margin + 1), event.country
        )
    else:
        base = list(event.dates)
    days = {
        day + dt.timedelta(days=event.offset_days + k)
        for day in base
        for k in range(event.duration_days)
    }
    return sorted(day for day in days if first <= day <= last)


def event_factors(events: Sequence[ArrivalEvent], dates: pd.DatetimeIndex) -> np.ndarray:
    """Each day's event multiplier: that of the first listed event covering it, else 1."""
    import numpy as np

    factors = np.ones(len(dates))
    covered = np.zeros(len(dates), dtype=bool)
    if not len(dates):
        return factors
    first, last = dates[0].date(), dates[-1].date()
    for event in events:
        days = pd.DatetimeIndex(event_dates(event, first, last))
        hit = dates.isin(days) & ~covered
        factors[hit] = event.multiplier
        covered |= hit
    return factors


def daily_rates(arrivals: PoissonArrivals, start_date: dt.date, n_days: int) -> np.ndarray:
    """Expected orders on each day 0..n_days-1 (orders/day)."""
    import numpy as np

    dates = day_dates(start_date, n_days)
    weekday = np.asarray(arrivals.weekday_multipliers)[dates.day_of_week]
    monthly = np.asarray(arrivals.monthly_multipliers)[dates.month - 1]
    if arrivals.trend_changes:
        changes = [
            (float((change.date - start_date).days), change.trend_per_year)
            for change in arrivals.trend_changes
        ]
        trend = trend_factor(arrivals.trend_per_year, changes, np.arange(n_days))
    else:
        trend = 1.0 + arrivals.trend_per_year * np.arange(n_days) / 365.0
    rates = arrivals.rate_per_day * weekday * monthly * np.clip(trend, 0.0, None)
    if arrivals.holidays:
        holiday = dates.isin(pd.DatetimeIndex(arrivals.holidays))
        rates = np.where(holiday, rates * arrivals.holiday_multiplier, rates)
    if arrivals.events:
        rates = rates * event_factors(arrivals.events, dates)
    return rates


def calendar_shape(arrivals: object, start_date: dt.date, n_days: int) -> np.ndarray:
    """``c(d)`` for days ``0 .. n_days - 1``: the arrivals' weekday, month, holiday and event
    multipliers at rate 1 without trend, divided by their mean over the year from
    ``start_date``. Replayed arrivals carry no calendar: ``c = 1``. The clock a customer base's
    purchases run on, in the model and in the fit."""
    import numpy as np

    if not isinstance(arrivals, PoissonArrivals):
        return np.ones(n_days)
    flat = arrivals.model_copy(
        update={"rate_per_day": 1.0, "trend_per_year": 0.0, "trend_changes": []}
    )
    year = 365
    rates = daily_rates(flat, start_date, max(n_days, year))
    return rates[:n_days] / rates[:year].mean()
