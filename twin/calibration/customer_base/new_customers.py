"""The arrival of new customers: a Poisson arrival fit to first-purchase dates after a burn-in.

A customer's first order in the history is its first purchase only if the customer is new; at the
start of an extract, most first orders are of old customers seen for the first time (left
censoring), so early first orders would inflate the new-customer rate and fake a falling trend.
Rule: first orders in the burn-in, the first ``BURN_IN_SHARE`` of the active period or
``BURN_IN_DAYS`` days, whichever is longer, are not counted as new customers; the arrival model
(rate, weekday and month multipliers, trend, events: :func:`twin.calibration.segments.
fit_segment_arrivals`) is fitted to the first orders in the rest of the period.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from twin.calibration.segments import fit_segment_arrivals
from twin.errors import InputError

BURN_IN_SHARE = 0.25
"""Share of the active period whose first orders are not counted as new customers."""
BURN_IN_DAYS = 90
"""Shortest burn-in, days."""
MIN_NEW_CUSTOMERS = 30
"""Fewest first purchases after the burn-in for a fit; with fewer, no new customers are written."""


def burn_in_end(first_day: dt.date, last_day: dt.date) -> dt.date:
    """The first day whose first orders count as new customers."""
    period_days = (last_day - first_day).days + 1
    burn_in = max(BURN_IN_DAYS, round(BURN_IN_SHARE * period_days))
    return first_day + dt.timedelta(days=burn_in)


def fit_new_customers(
    first_orders: pd.Series,
    first_day: dt.date,
    last_day: dt.date,
    notes: list[str],
    segment: str,
    tables: dict[str, pd.DataFrame] | None = None,
) -> tuple[dict | None, int, dt.date]:
    """The ``new_customers`` spec of a segment (None when too few), the first purchases it was
    fitted to and the first day counted.

    Parameters
    ----------
    first_orders : pandas.Series
        Timestamp of each known customer's first order.
    first_day, last_day : datetime.date
        The active period (the arrival fits' period); the spec's reference date is the day after
        ``last_day``, the model's start date.
    """
    start = burn_in_end(first_day, last_day)
    counted = first_orders[
        (first_orders >= pd.Timestamp(start))
        & (first_orders < pd.Timestamp(last_day) + pd.Timedelta(days=1))
    ]
    if start > last_day or len(counted) < MIN_NEW_CUSTOMERS:
        notes.append(
            f"segment {segment}: {len(counted)} first purchases from {start} to {last_day} are "
            f"too few (< {MIN_NEW_CUSTOMERS}) to fit new-customer arrivals; none are written"
        )
        return None, len(counted), start
    try:
        fit, used = fit_segment_arrivals(
            counted, start, last_day, last_day + dt.timedelta(days=1), notes, segment, tables
        )
    except InputError as exc:
        notes.append(f"segment {segment}: new-customer arrivals not fitted: {exc}")
        return None, len(counted), start
    notes.extend(f"segment {segment} new customers: {note}" for note in fit.notes)
    return fit.spec, len(used), start
