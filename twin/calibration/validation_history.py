"""What the history says over the compared period: its orders, weeks, DSO and scores.

The compared period is whole weeks of the history's active period (as calibration uses it), from
its first day or from a hold-out date; :mod:`twin.calibration.validate` sets the twin's run
against these actual values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.calibration.segments import active_period
from twin.errors import InputError

WEEK_DAYS = 7
DAY = pd.Timedelta(days=1)


@dataclass
class Period:
    """The compared period: whole weeks from ``start`` (simulation starts a warm-up earlier)."""

    start: dt.date
    weeks: int

    @property
    def days(self) -> int:
        return self.weeks * WEEK_DAYS

    @property
    def end(self) -> dt.date:
        """First day after the period."""
        return self.start + dt.timedelta(days=self.days)

    def week_starts(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.weeks, freq=f"{WEEK_DAYS}D")


def compared_period(ordered_at: pd.Series, holdout_from: dt.date | None = None) -> Period:
    """Whole weeks of the active period, from its first day or from ``holdout_from``."""
    first, last = active_period(ordered_at)
    start = first if holdout_from is None else holdout_from
    weeks = ((last - start).days + 1) // WEEK_DAYS
    if holdout_from is not None and not (first <= holdout_from and weeks >= 1):
        raise InputError(
            f"--holdout-from {holdout_from}: must lie in the history's active period "
            f"{first}..{last} and leave at least one whole week before its end"
        )
    if weeks < 1:
        raise InputError(f"the history's active period {first}..{last} is shorter than a week")
    return Period(start, weeks)


def actual_weekly(orders: pd.DataFrame, lines: pd.DataFrame, period: Period) -> pd.DataFrame:
    """``week, orders, revenue`` of the actual history, one row per week of ``period``; revenue
    is what was paid for the ordered lines, ``quantity x unit_price - discount``, as the prices
    file a calibrated model draws from is of net prices."""
    paid = lines["quantity"] * lines["unit_price"]
    if "discount" in lines:
        paid = paid - lines["discount"].fillna(0.0)
    value = paid.groupby(lines["order_id"]).sum()
    days = (orders["ordered_at"] - pd.Timestamp(period.start)) / DAY
    inside = (days >= 0) & (days < period.days)
    week = np.floor(days[inside].to_numpy(dtype=float) / WEEK_DAYS).astype(int)
    values = orders.loc[inside, "order_id"].map(value).fillna(0.0).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "week": np.arange(period.weeks),
            "orders": np.bincount(week, minlength=period.weeks).astype(float),
            "revenue": np.bincount(week, weights=values, minlength=period.weeks),
        }
    )


def actual_dso_days(tables: dict[str, pd.DataFrame], period: Period) -> float:
    """Mean open receivables over the period / invoiced amount per day (NaN without invoices)."""
    invoices, payments = tables.get("invoices"), tables.get("payments")
    if invoices is None or payments is None or invoices.empty or payments.empty:
        return float("nan")
    paid = payments.dropna(subset=["invoice_id", "paid_at"]).groupby("invoice_id")["paid_at"].max()
    issued = invoices["issued_at"]
    amounts = invoices["amount"].to_numpy(dtype=float)
    known = issued.notna().to_numpy()
    issued_ns = issued.to_numpy(dtype="datetime64[ns]")[known]
    settled_ns = invoices["invoice_id"].map(paid).to_numpy(dtype="datetime64[ns]")[known]
    amounts_known = amounts[known]
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    # open at noon of each day: issued by then, less what was settled by then
    moments = (
        pd.date_range(start, end, freq="D", inclusive="left") + pd.Timedelta(hours=12)
    ).to_numpy()
    by_issue = np.argsort(issued_ns, kind="stable")
    issued_total = np.concatenate(([0.0], np.cumsum(amounts_known[by_issue])))
    settled = ~np.isnat(settled_ns)
    by_settle = np.argsort(settled_ns[settled], kind="stable")
    settled_total = np.concatenate(([0.0], np.cumsum(amounts_known[settled][by_settle])))
    open_amount = (
        issued_total[np.searchsorted(issued_ns[by_issue], moments, side="right")]
        - settled_total[np.searchsorted(settled_ns[settled][by_settle], moments, side="right")]
    )
    in_period = (issued >= start) & (issued < end)
    revenue_per_day = float(amounts[in_period.to_numpy()].sum()) / period.days
    return float(open_amount.mean() / revenue_per_day) if revenue_per_day else float("nan")


def actual_satisfaction(tables: dict[str, pd.DataFrame], window: pd.DataFrame) -> np.ndarray:
    """Scores of the tickets on the window's delivered orders."""
    tickets = tables.get("tickets")
    if tickets is None or "score" not in tickets:
        return np.array([])
    delivered = window.loc[window["delivered_at"].notna(), "order_id"]
    scored = tickets[tickets["order_id"].isin(delivered)]
    return scored["score"].dropna().to_numpy(dtype=float)
