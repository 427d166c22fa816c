"""A segment's promise and handling time: promised lead time, and order to first shipment.

The handling time leaves out the orders that waited for stock (:func:`stock_waits`), as the model
adds its own stock waits.
"""

from __future__ import annotations

import pandas as pd

from twin.calibration.base_values import fitted_duration, ordered_lines
from twin.calibration.fit_report import FitReport, days
from twin.calibration.quality_rules import isin


def promised_lead_times(orders: pd.DataFrame) -> pd.Series:
    """Promised lead time per order. A date-only promise (every time 00:00) is compared by date,
    as ERPs mean it: promised on day D for an order of day O is a promise of D - O days."""
    promised = orders["promised_at"].dropna()
    if len(promised) and (promised == promised.dt.normalize()).all():
        return orders["promised_at"] - orders["ordered_at"].dt.normalize()
    return orders["promised_at"] - orders["ordered_at"]


def stock_waits(tables: dict[str, pd.DataFrame], orders: pd.DataFrame) -> pd.Index | None:
    """Orders whose first shipment may have waited for stock, or None when not identifiable.

    An order is taken to have waited when, for every one of its ordered SKUs, a purchase order of
    that SKU was received after the order was placed and no later than its first shipment: under
    ship-partial (the calibrated base's mode) the first shipment leaves with whatever is on hand,
    so it waits for stock only when no line could be filled. Needs purchase orders with receipt
    dates; without them the ship delays cannot be told apart from waits for stock.
    """
    po = tables.get("purchase_orders")
    if po is None or po.empty or po["received_at"].notna().sum() == 0:
        return None
    lines = ordered_lines(tables)[["order_id", "sku"]].drop_duplicates()
    dated = orders.dropna(subset=["shipped_at"])[["order_id", "ordered_at", "shipped_at"]]
    pairs = lines.merge(dated, on="order_id").sort_values("ordered_at", kind="stable")
    receipts = po.dropna(subset=["received_at"])[["sku", "received_at"]]
    receipts = receipts.sort_values("received_at", kind="stable")
    pairs = pairs[pairs["sku"].isin(receipts["sku"])]
    if pairs.empty:
        return pd.Index([], name="order_id")
    # the first receipt of the SKU strictly after the order was placed
    matched = pd.merge_asof(
        pairs,
        receipts,
        left_on="ordered_at",
        right_on="received_at",
        by="sku",
        direction="forward",
        allow_exact_matches=False,
    )
    matched["waited"] = matched["received_at"] <= matched["shipped_at"]
    line_count = lines[isin(lines["order_id"], dated["order_id"])].groupby("order_id").size()
    waited = matched[matched["waited"]].groupby("order_id").size()
    every = waited[waited == line_count.reindex(waited.index)]
    return pd.Index(every.index, name="order_id")


def fit_handling(
    report: FitReport, segment: str, orders: pd.DataFrame, waited: pd.Index | None
) -> object:
    """The segment's handling time (``handling_days``): first shipment - order placed.

    The history's ship delay is everything between the order and its first shipment: approval
    (not fitted separately: the model has one delay for it), picking, packing and the dispatch
    cadence, and, for some orders, waiting for stock. The model adds stock waits of its own, so
    the orders :func:`stock_waits` finds waiting are left out of the fit; without purchase
    orders they cannot be found and the fit includes them (said in the report). A date-only
    ship date is compared by date, as promises are. Fewer than ``MIN_FIT_VALUES`` values: no
    handling delay (0 days).
    """
    shipped = orders["shipped_at"].dropna()
    start = orders["ordered_at"]
    if len(shipped) and (shipped == shipped.dt.normalize()).all():
        start = start.dt.normalize()
    kept = orders
    if waited is not None:
        kept = orders[~orders["order_id"].isin(waited)]
    delay = days(kept["shipped_at"] - start.loc[kept.index])
    left_out = len(orders) - len(kept)
    if waited is None:
        extra = (
            "first shipment - order; no purchase-order receipts, so ship delays that waited "
            "for stock are included"
        )
    else:
        extra = (
            f"first shipment - order; {left_out} orders whose every SKU was received between "
            "order and shipment left out as waits for stock"
        )
    return fitted_duration(report, "handling_days", segment, delay, "orders.shipped_at", 0.0, extra)
