"""The ``after_sales`` block: tickets per delivered order and the time to resolve a ticket."""

from __future__ import annotations

import math

import pandas as pd

from twin.calibration.behaviour.estimates import fitted_duration, proportion
from twin.calibration.fit_report import FitReport, days

DEFAULT_RESOLUTION_DAYS = 2.0


def _delivered(orders: pd.DataFrame) -> pd.DataFrame:
    return orders[orders["delivered_at"].notna() | (orders["status"] == "delivered")]


def fit_after_sales(tables: dict[str, pd.DataFrame], rows: FitReport) -> dict:
    tickets = tables.get("tickets")
    orders = tables.get("orders")
    if tickets is None or tickets.empty:
        note = f"no tickets: rate 0, resolution {DEFAULT_RESOLUTION_DAYS:g} days"
        rows.add("after_sales.tickets_per_delivered_order", "all", 0.0, 0, "tickets", True, note)
        return {
            "tickets_per_delivered_order": {"value": 0.0, "n": 0, "defaulted": True,
                                            "note": note},
            "resolution_days": {"dist": {"dist": "constant", "value": DEFAULT_RESOLUTION_DAYS},
                                "n": 0, "defaulted": True},
        }  # fmt: skip
    delivered = _delivered(orders) if orders is not None else pd.DataFrame(columns=["order_id"])
    on_delivered = tickets["order_id"].isin(delivered["order_id"]).to_numpy(dtype=bool)
    n_delivered = int(delivered["order_id"].nunique())
    rate = on_delivered.sum() / n_delivered if n_delivered else math.nan
    orders_with = int(tickets.loc[on_delivered, "order_id"].nunique())
    note = (
        f"{int(on_delivered.sum())} tickets on {n_delivered} delivered orders "
        f"({orders_with} orders with at least one); {int((~on_delivered).sum())} tickets "
        "without a delivered order not counted"
    )
    source = "tickets.order_id+orders"
    rows.add(
        "after_sales.tickets_per_delivered_order",
        "all",
        rate,
        n_delivered,
        source,
        not n_delivered,
        note,
    )
    share = proportion(orders_with, n_delivered) if n_delivered else {"value": math.nan}
    resolution = fitted_duration(
        rows, "after_sales.resolution_days", "all",
        days(tickets["closed_at"] - tickets["opened_at"]), "tickets.closed_at-opened_at",
        DEFAULT_RESOLUTION_DAYS,
    )  # fmt: skip
    return {
        "tickets_per_delivered_order": {
            "value": rate, "n": n_delivered, "tickets": int(on_delivered.sum()),
            "source": source, "defaulted": not n_delivered, "note": note,
        },
        "share_of_delivered_orders_with_ticket": share,
        "resolution_days": resolution,
    }  # fmt: skip
