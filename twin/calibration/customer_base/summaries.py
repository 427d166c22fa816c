"""Per-customer purchase summaries (frequency, recency, age) from orders, for the CLV fits.

A transaction is an order (distinct order id); orders of one customer on the same day count
separately. For each customer with at least one order before the as-of date:

- ``frequency`` x: orders after the first (repeat purchases);
- ``recency_days`` t_x: days from the first to the last order (0 when x = 0);
- ``age_days`` T: days from the first order to the as-of date (> 0).

Times are order timestamps, in fractional days, or with a ``clock`` in calendar-weighted days
(:mod:`twin.calibration.customer_base.clock`), as calibrate measures them. Orders without a
customer id are not summarised (the caller says how many there were); orders at or after the
as-of date are not known then.
"""

from __future__ import annotations

import pandas as pd

from twin.calibration.customer_base.clock import Clock
from twin.calibration.fit_report import DAY

SUMMARY_COLUMNS = ("customer", "frequency", "recency_days", "age_days", "first_order_at")
"""Columns of :func:`customer_summaries`: the interface's customers_file columns plus the
timestamp of the first order (for the new-customer fit; not written)."""


def customer_summaries(
    orders: pd.DataFrame, as_of: pd.Timestamp, clock: Clock | None = None
) -> pd.DataFrame:
    """One row per customer with orders before ``as_of`` (columns :data:`SUMMARY_COLUMNS`).

    Parameters
    ----------
    orders : pandas.DataFrame
        Canonical orders with ``order_id``, ``customer_id`` and ``ordered_at``.
    as_of : pandas.Timestamp
        The date the ages are measured to (the model's ``run.start_date``).
    clock : callable, optional
        Maps timestamps to calendar-weighted days (:func:`~.clock.calendar_clock`); recency and
        age are then measured on it, the clock the model's purchase processes run on. Plain days
        without it.
    """
    as_of = pd.Timestamp(as_of)
    known = orders[orders["customer_id"].notna() & (orders["ordered_at"] < as_of)]
    known = known.drop_duplicates("order_id")
    grouped = known.groupby("customer_id", sort=True)["ordered_at"]
    first = grouped.min()
    last = grouped.max()
    if clock is None:
        recency = ((last - first) / DAY).to_numpy(dtype=float)
        age = ((as_of - first) / DAY).to_numpy(dtype=float)
    else:
        start = clock(first)
        recency = clock(last) - start
        age = clock(pd.Series(as_of, index=first.index)) - start
    return pd.DataFrame(
        {
            "customer": first.index.astype(str),
            "frequency": (grouped.size() - 1).to_numpy(dtype="int64"),
            "recency_days": recency,
            "age_days": age,
            "first_order_at": first.to_numpy(),
        },
        columns=list(SUMMARY_COLUMNS),
    ).reset_index(drop=True)
