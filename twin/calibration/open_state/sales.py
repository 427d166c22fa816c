"""The backlog at the as-of instant: order lines accepted and not yet shipped.

An order counts when it was placed before the as-of date and is not cancelled; a line when it is
an ordered line (not a cancellation or a return) with a positive quantity. Its shipped quantity
comes from the stock ledger's goods issues (``stock_moves`` of kind ``shipment`` naming the
order and line, dated before the as-of date); without a ledger, an order counts as shipped in
full once its ``shipped_at`` lies before the date (or its status says shipped, delivered or
returned). A history that records no shipment at all (no ledger, no shipped date, no such status:
a till or an invoice extract) has no backlog that can be told: it is left empty, with a note.
A line shipped beyond its quantity is reported (``over_shipped``) and left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.open_state.frames import before, column, floats, ids, stamps, table
from twin.calibration.open_state.issues import Issues
from twin.calibration.quality_rules import isin


def segment_of(
    customer_ids: pd.Series, channels: pd.Series, customers: pd.DataFrame | None
) -> pd.Series:
    """Each row's segment: its customer's in the customer master, else its order's channel."""
    master = (
        customers.drop_duplicates("customer_id").set_index("customer_id")["segment"]
        if customers is not None and len(customers) and "segment" in customers.columns
        else pd.Series(dtype="string")
    )
    found = pd.Series(customer_ids.map(master).to_numpy(), dtype="string")
    return found.fillna(pd.Series(channels.to_numpy(), dtype="string"))


#: order statuses that say the goods have left
SHIPPED_STATUSES = ("shipped", "delivered", "returned")


def shipments_recorded(orders: pd.DataFrame, moves: pd.DataFrame | None) -> bool:
    """Whether the history says what was shipped: a stock ledger, a shipped date or a status that
    says so on some order. A till or invoice history records none, and then every line would
    read as open: its backlog cannot be told."""
    if moves is not None and len(moves):
        return True
    if column(orders, "shipped_at").notna().any():
        return True
    return bool(column(orders, "status").astype("string").isin(SHIPPED_STATUSES).any())


def backlog(
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    moves: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    as_of: pd.Timestamp,
    issues: Issues,
) -> pd.DataFrame:
    """The ``backlog`` state table (see the module docstring)."""
    placed = orders[
        before(orders["ordered_at"], as_of)
        & ~column(orders, "status").astype("string").eq("cancelled").fillna(False).to_numpy()
    ].drop_duplicates("order_id")
    status = lines["status"].astype("string")
    quantity = pd.to_numeric(lines["quantity"], errors="coerce")
    ordered = lines[
        isin(lines["order_id"], placed["order_id"])
        & status.eq("ordered").fillna(False).to_numpy()
        & (quantity > 0).fillna(False).to_numpy()
    ]
    shipped = _shipped(ordered, placed, moves, as_of)
    quantity = ordered["quantity"].to_numpy(dtype=float)
    over = shipped > quantity
    issues.report(
        "order_lines",
        ordered[over],
        "over_shipped",
        pd.Series(shipped[over]).map("shipped {:g}".format).to_numpy()
        + pd.Series(quantity[over]).map(" > ordered {:g}".format).to_numpy(),
    )
    keep = ~over & (quantity - shipped > 0)
    open_lines = ordered[keep]
    order = placed.set_index("order_id").loc[open_lines["order_id"]]
    customer = order["customer_id"].astype("string")
    return table(
        "backlog",
        {
            "order_id": ids(open_lines["order_id"]),
            "line_no": pd.Series(open_lines["line_no"].to_numpy(dtype="int64")),
            "customer_id": ids(customer),
            "segment": ids(segment_of(customer, column(order, "channel"), customers)),
            "sku": ids(open_lines["sku"]),
            "quantity_open": floats(quantity[keep] - shipped[keep]),
            "unit_price": floats(open_lines["unit_price"]),
            "ordered_at": stamps(order["ordered_at"]),
            "promised_at": stamps(column(order, "promised_at")),
        },
    )


def _shipped(
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    moves: pd.DataFrame | None,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """Units of each line shipped before the as-of instant."""
    if moves is not None and len(moves):
        issued = moves[
            column(moves, "kind").astype("string").eq("shipment").fillna(False).to_numpy()
            & before(moves["moved_at"], as_of)
        ]
        units = (
            issued.assign(units=-issued["quantity"].astype(float))
            .groupby(["order_id", "line_no"])["units"]
            .sum()
        )
        key = pd.MultiIndex.from_arrays([lines["order_id"], lines["line_no"]])
        return units.reindex(key).fillna(0.0).to_numpy(dtype=float)
    order = orders.set_index("order_id").loc[lines["order_id"]]
    done = (
        before(column(order, "shipped_at"), as_of)
        | column(order, "status").astype("string").isin(SHIPPED_STATUSES).fillna(False).to_numpy()
    )
    return np.where(done, lines["quantity"].to_numpy(dtype=float), 0.0)
