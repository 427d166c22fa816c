"""The base's stocking rules, read from the history: one per supplier.

What :func:`stocking_policies` infers and from what (purchase orders, stock snapshots) is in
``docs/calibration.md`` ("Dispatch times and stocking rules"); a supplier with neither keeps
:data:`DEFAULT_POLICY`, flagged ``defaulted`` in the fit report.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.calibration.fit_report import DAY, MIN_FIT_VALUES, FitReport, days
from twin.calibration.quality_rules import isin

DEFAULT_POLICY = {"kind": "min_max", "reorder_point_days": 10, "order_up_to_days": 30}
DEFAULT_REVIEW = {"kind": "continuous"}
PERIODIC_SHARE = 0.8  # share of re-order gaps at multiples of one period that means periodic review


def stocking_policies(
    report: FitReport,
    tables: dict[str, pd.DataFrame],
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    supplier_of: dict[str, str],
    period: tuple[dt.date, dt.date],
) -> dict:
    """The base's ``inventory`` section: a stocking rule per supplier read from the history.

    Per supplier, with L50 and L90 the median and 90th percentile of its purchase-order lead
    times (received - ordered) and demand the SKU's ordered units per day over the active period:

    - order quantity Q (days of demand): median purchase-order quantity over the SKU's demand;
      without purchase orders, the spread of stock cover (90th - 10th percentile of on hand over
      demand) in ``inventory_snapshots``;
    - safety (days): the 10th percentile of stock cover in the snapshots when there are any
      (the stock left when a delivery comes), else L90 - L50 (lead-time spread);
    - review: periodic with period P when at least ``PERIODIC_SHARE`` of the gaps between
      consecutive purchase orders of a SKU are multiples of their most common gap P (>= 2 days),
      else continuous;
    - policy: continuous ``min_max`` with reorder point L50 + safety and order-up-to that + Q;
      periodic ``base_stock`` with level L50 + safety + P.

    A supplier with neither purchase orders nor snapshots keeps the stated default, min_max
    10/30 days of demand, flagged ``defaulted``.
    """
    first_day, last_day = period
    inside = orders[
        (orders["ordered_at"] >= pd.Timestamp(first_day))
        & (orders["ordered_at"] < pd.Timestamp(last_day) + DAY)
    ]
    period_days = max((last_day - first_day).days + 1, 1)
    demand = lines[isin(lines["order_id"], inside["order_id"])].groupby("sku")["quantity"].sum()
    demand = demand[demand > 0] / period_days
    po = tables.get("purchase_orders")
    po = po if po is not None and len(po) else None
    snapshots = tables.get("inventory_snapshots")
    snapshots = snapshots if snapshots is not None and len(snapshots) else None
    rules: dict[str, dict] = {}
    defaulted: list[str] = []
    for supplier in sorted(set(supplier_of.values())):
        skus = [s for s, sup in supplier_of.items() if sup == supplier]
        rule = _supplier_rule(report, supplier, skus, demand, po, snapshots)
        if rule is None:
            defaulted.append(supplier)
        else:
            rules[supplier] = rule
    inventory: dict = {
        "default": {"policy": DEFAULT_POLICY, "review": DEFAULT_REVIEW, "shortage": "backorder"}
    }
    if rules:
        inventory["suppliers"] = rules
    if defaulted or not rules:
        report.add(
            "inventory.default",
            "all",
            DEFAULT_POLICY,
            0,
            "",
            True,
            "no purchase orders or stock snapshots"
            + (f" for {', '.join(defaulted)}" if rules else "")
            + ": min_max 10/30 days of demand",
        )
    else:
        report.add(
            "inventory.default",
            "all",
            DEFAULT_POLICY,
            0,
            "",
            False,
            "every supplier has a rule of its own; the default applies to none",
        )
    return inventory


def _supplier_rule(
    report: FitReport,
    supplier: str,
    skus: list[str],
    demand: pd.Series,
    po: pd.DataFrame | None,
    snapshots: pd.DataFrame | None,
) -> dict | None:
    """One supplier's stocking rule (see :func:`stocking_policies`), or None without data."""
    mine = po[po["sku"].isin(skus)] if po is not None else pd.DataFrame()
    lead = days(mine["received_at"] - mine["ordered_at"]) if len(mine) else np.array([])
    lead = lead[lead >= 0]
    rate = mine["sku"].map(demand) if len(mine) else pd.Series(dtype=float)
    quantity_days = (mine["quantity"] / rate).to_numpy(dtype=float) if len(mine) else np.array([])
    quantity_days = quantity_days[np.isfinite(quantity_days) & (quantity_days > 0)]
    cover = np.array([])
    counted = snapshots[snapshots["sku"].isin(skus)] if snapshots is not None else None
    if counted is not None and len(counted):
        # stock of all locations on each date, over the SKU's demand per day
        total = counted.groupby(["sku", "snapshot_date"])["on_hand"].sum().reset_index()
        rate_of = total["sku"].map(demand).to_numpy(dtype=float)
        cover = total["on_hand"].to_numpy(dtype=float) / rate_of
        cover = cover[np.isfinite(cover) & (cover >= 0)]
    if lead.size < MIN_FIT_VALUES and cover.size < MIN_FIT_VALUES:
        return None
    sources, parts = [], []
    if lead.size >= MIN_FIT_VALUES:
        l50, l90 = float(np.median(lead)), float(np.quantile(lead, 0.9))
        sources.append("purchase_orders")
        parts.append(f"lead time L50 {l50:.1f} d, L90 {l90:.1f} d from {lead.size} receipts")
    else:
        l50 = l90 = 7.0  # the default supplier lead time of the base
        parts.append("lead time: default 7 days (too few receipts)")
    if cover.size >= MIN_FIT_VALUES:
        safety = float(np.quantile(cover, 0.1))
        sources.append("inventory_snapshots")
        parts.append(f"safety {safety:.1f} d = 10th percentile of cover in {cover.size} counts")
    else:
        safety = l90 - l50
        parts.append(f"safety {safety:.1f} d = L90 - L50")
    if quantity_days.size >= MIN_FIT_VALUES:
        q = float(np.median(quantity_days))
        parts.append(f"Q {q:.1f} d = median PO quantity in days of demand")
    elif cover.size >= MIN_FIT_VALUES:
        q = float(np.quantile(cover, 0.9) - np.quantile(cover, 0.1))
        parts.append(f"Q {q:.1f} d = 90th - 10th percentile of cover")
    else:
        q = 20.0
        parts.append("Q: default 20 days (too few purchase orders)")
    q = max(q, 1.0)
    period = _review_period(mine)
    if period is not None:
        policy = {"kind": "base_stock", "level_days": round(l50 + safety + period, 2)}
        review = {"kind": "periodic", "period_days": period}
        parts.append(f"periodic review every {period:g} d (re-order gaps)")
    else:
        reorder = round(l50 + safety, 2)
        policy = {
            "kind": "min_max",
            "reorder_point_days": reorder,
            "order_up_to_days": round(reorder + q, 2),
        }
        review = {"kind": "continuous"}
    report.add(
        "inventory.suppliers",
        supplier,
        {**policy, "review": review["kind"], **({"period_days": period} if period else {})},
        int(max(lead.size, cover.size)),
        "+".join(sources),
        False,
        "; ".join(parts),
    )
    return {"policy": policy, "review": review}


def _review_period(purchase_orders: pd.DataFrame) -> float | None:
    """The review period in whole days when re-orders come at multiples of one gap, else None."""
    if len(purchase_orders) < MIN_FIT_VALUES:
        return None
    dated = purchase_orders.dropna(subset=["ordered_at"]).sort_values(["sku", "ordered_at"])
    gaps = dated.groupby("sku")["ordered_at"].diff().dropna() / DAY
    gaps = np.rint(gaps.to_numpy(dtype=float))
    gaps = gaps[gaps > 0]
    if gaps.size < MIN_FIT_VALUES:
        return None
    values, counts = np.unique(gaps, return_counts=True)
    period = float(values[np.argmax(counts)])
    if period < 2 or np.mean(gaps % period == 0) < PERIODIC_SHARE:
        return None
    return period
