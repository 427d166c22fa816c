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

import numpy as np
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


def summaries_at(
    orders: pd.DataFrame, cuts: list[pd.Timestamp], clock: Clock | None = None
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(x, t_x, T)`` of :func:`customer_summaries` at each of ``cuts``, in one pass.

    The customer-model residuals need the summaries at the start of every week of the history;
    calling :func:`customer_summaries` per week grouped the orders anew each time. Here the
    orders are sorted once by customer and time and each cut only counts the orders before it,
    so the arrays are, bit for bit and in the same customer order, those of
    ``customer_summaries(orders, cut, clock)`` (the clock maps each timestamp alone, so it is
    applied once to every order). ``orders`` holds one row per order (``order_id`` unique).
    """
    known = orders[orders["customer_id"].notna()]
    codes, _ = pd.factorize(known["customer_id"], sort=True)  # groupby's sorted customer order
    stamps = known["ordered_at"].reset_index(drop=True)
    order = np.lexsort((stamps.to_numpy(), codes))
    stamps = stamps.iloc[order].reset_index(drop=True)
    codes = codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    clocked = None if clock is None else np.asarray(clock(stamps), dtype=float)
    result = []
    for cut in cuts:
        cut = pd.Timestamp(cut)
        count = (
            np.add.reduceat((stamps < cut).to_numpy(dtype=np.int64), starts)
            if len(starts)
            else starts
        )
        seen = count > 0
        first_at, last_at = starts[seen], (starts + count - 1)[seen]
        if clocked is None:
            first = stamps.iloc[first_at].reset_index(drop=True)
            recency = ((stamps.iloc[last_at].reset_index(drop=True) - first) / DAY).to_numpy(
                dtype=float
            )
            age = ((cut - first) / DAY).to_numpy(dtype=float)
        else:
            start = clocked[first_at]
            recency = clocked[last_at] - start
            age = float(clock(pd.Series([cut]))[0]) - start
        result.append(((count[seen] - 1).astype(float), recency, age))
    return result
