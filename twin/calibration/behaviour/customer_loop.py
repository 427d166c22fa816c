"""The ``customer_loop`` block, per segment: repeat share, inter-purchase time, churn probability.

A customer churns after an order when no order follows within an inactivity window; orders too
close to the end of the history to know that are censored and left out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.calibration.behaviour.estimates import fitted_duration, proportion
from twin.calibration.fit_report import DAY, FitReport

DEFAULT_INACTIVITY_DAYS = 180


def churn_outcomes(orders: pd.DataFrame, end: pd.Timestamp, window_days: float) -> pd.DataFrame:
    """Each order with its customer's next order and whether the customer churned after it.

    An order churns when the customer places no further order within ``window_days`` after it.
    Censoring rule: only orders placed at least ``window_days`` before ``end`` (the last order
    time of the history) have a known outcome (``observed``); later orders are left out of the
    churn rate whether or not a next order was seen, because keeping only their repeats would bias
    the rate down. Columns: ``customer_id, ordered_at, gap_days`` (to the next order; NaN for the
    last), ``observed, churned``.
    """
    frame = orders[["customer_id", "ordered_at"]].sort_values(["customer_id", "ordered_at"])
    following = frame.groupby("customer_id")["ordered_at"].shift(-1)
    gap = (following - frame["ordered_at"]) / DAY
    observed = frame["ordered_at"] <= end - pd.Timedelta(days=window_days)
    churned = ~(gap <= window_days)
    return frame.assign(
        gap_days=gap.to_numpy(), observed=observed.to_numpy(), churned=churned.to_numpy()
    )


def fit_customer_loop(
    tables: dict[str, pd.DataFrame],
    segment_of_customer: pd.Series | None,
    rows: FitReport,
    window_days: float,
) -> dict:
    orders = tables.get("orders")
    if orders is None or orders.empty:
        return {}
    orders = orders[(orders["status"] != "cancelled")].dropna(subset=["customer_id", "ordered_at"])
    if orders.empty:
        return {}
    end = orders["ordered_at"].max()
    outcomes = churn_outcomes(orders, end, window_days)
    if segment_of_customer is not None:
        segment = outcomes["customer_id"].map(segment_of_customer).fillna("unassigned")
    else:
        segment = pd.Series("all", index=outcomes.index)
    loop = {}
    source = "orders.customer_id+ordered_at"
    cutoff = end - pd.Timedelta(days=window_days)
    for name, mine in outcomes.groupby(segment.astype(str), sort=True):
        per_customer = mine.groupby("customer_id")["ordered_at"].agg(["min", "size"])
        repeat = proportion(int((per_customer["size"] > 1).sum()), len(per_customer))
        first_orders = mine.groupby("customer_id").head(1)
        early = first_orders[first_orders["observed"]]
        within = proportion(int((~early["churned"]).sum()), len(early))
        gaps = mine["gap_days"].to_numpy(dtype=float)
        gaps = gaps[np.isfinite(gaps)]
        inter = fitted_duration(rows, "customer_loop.inter_purchase_days", name, gaps, source, None)
        observed = mine[mine["observed"]]
        churn = proportion(int(observed["churned"].sum()), len(observed))
        rule = (
            f"orders placed by {cutoff.date()} ({window_days:g} days before the last order of "
            f"the history); {int((~mine['observed']).sum())} later orders are censored and left "
            "out"
        )
        churn.update(window_days=window_days, rule=rule)
        if churn["n"]:
            daily = -math.log(max(1 - churn["value"], 1e-12)) / window_days
            churn["hazard_per_day"] = daily
        rows.add(
            "customer_loop.repeat_share", name, repeat["value"], repeat["n"], source, False,
            f"customers with 2+ orders / customers; within {window_days:g} days of the first "
            f"order (customers first seen by {cutoff.date()}): {within['value']:.4g}",
        )  # fmt: skip
        rows.add(
            "customer_loop.churn_probability", name, churn["value"], churn["n"], source,
            not churn["n"],
            f"no further order within {window_days:g} days; Wilson 95 % CI "
            f"[{churn['ci95'][0]:.4g}, {churn['ci95'][1]:.4g}]; " + rule,
        )  # fmt: skip
        loop[name] = {
            "customers": len(per_customer),
            "orders": len(mine),
            "repeat_share": repeat,
            "repeat_within_window": within,
            "inter_purchase_days": inter,
            "churn": churn,
            "source": source,
        }
    return loop
