"""Each customer's history at the as-of instant, the starting point of a customer model.

One row per customer with an order placed before the as-of date (cancelled orders left out) or
an open invoice: first and last order, number of orders, ``frequency`` (repeat orders, orders - 1),
``recency_days`` (last - first order) and ``age_days`` (as-of - first order), the convention of
the Pareto/NBD and BG/NBD models; ``revenue`` invoiced before the date (the lines' value when
the history has no invoices); ``open_amount`` receivable and ``days_overdue`` of the oldest open
invoice (0 when it is not yet due, or none is open).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.open_state.frames import DAY, before, column, floats, ids, stamps, table
from twin.calibration.open_state.sales import segment_of
from twin.calibration.quality_rules import isin


def customer_summaries(
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    invoices: pd.DataFrame | None,
    receivables: pd.DataFrame,
    customers: pd.DataFrame | None,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """The ``customers`` state table (see the module docstring)."""
    placed = orders[
        before(orders["ordered_at"], as_of)
        & ~column(orders, "status").astype("string").eq("cancelled").fillna(False).to_numpy()
        & orders["customer_id"].notna().to_numpy()
    ].drop_duplicates("order_id")
    at = pd.to_datetime(placed["ordered_at"])
    by = placed["customer_id"].astype("string").to_numpy()
    history = (
        pd.DataFrame({"customer_id": by, "at": at.to_numpy()})
        .groupby("customer_id")["at"]
        .agg(["min", "max", "count"])
    )
    first_channel = (
        placed.assign(at=at).sort_values("at", kind="stable").drop_duplicates("customer_id")
    )
    channel = pd.Series(
        column(first_channel, "channel").to_numpy(),
        index=first_channel["customer_id"].astype("string").to_numpy(),
    )
    revenue = _revenue(placed, lines, invoices, as_of)
    owed = receivables.groupby("customer_id")["amount_open"].sum()
    oldest = receivables.sort_values("issued_at", kind="stable").drop_duplicates("customer_id")
    overdue = pd.Series(
        np.maximum(0.0, ((as_of - oldest["due_date"]) / DAY).fillna(0.0).to_numpy(dtype=float)),
        index=oldest["customer_id"].to_numpy(),
    )
    everyone = pd.Index(history.index).union(pd.Index(owed.index.astype("string"))).dropna()
    everyone = everyone.sort_values()
    history = history.reindex(everyone)
    first, last = history["min"], history["max"]
    count = history["count"].fillna(0).to_numpy(dtype=float)
    customer = pd.Series(everyone, dtype="string")
    return table(
        "customers",
        {
            "customer_id": ids(customer),
            "segment": ids(segment_of(customer, customer.map(channel), customers)),
            "first_order_at": stamps(first),
            "last_order_at": stamps(last),
            "orders": floats(count),
            "frequency": floats(np.maximum(count - 1, 0)),
            "recency_days": floats(((last - first) / DAY).to_numpy(dtype=float)),
            "age_days": floats(((as_of - first) / DAY).to_numpy(dtype=float)),
            "revenue": floats(revenue.reindex(everyone).fillna(0.0)),
            "open_amount": floats(owed.reindex(everyone).fillna(0.0)),
            "days_overdue": floats(overdue.reindex(everyone).fillna(0.0)),
        },
    )


def _revenue(
    placed: pd.DataFrame, lines: pd.DataFrame, invoices: pd.DataFrame | None, as_of: pd.Timestamp
) -> pd.Series:
    """Money billed per customer before the as-of instant."""
    if invoices is not None and len(invoices):
        billed = invoices[before(invoices["issued_at"], as_of) & invoices["customer_id"].notna()]
        amount = pd.to_numeric(billed["amount"], errors="coerce").astype(float)
        return amount.groupby(billed["customer_id"].astype("string").to_numpy()).sum()
    mine = lines[isin(lines["order_id"], placed["order_id"])]
    value = mine["quantity"].astype(float) * mine["unit_price"].astype(float)
    customer = mine["order_id"].map(placed.set_index("order_id")["customer_id"])
    return value.groupby(customer.astype("string").to_numpy()).sum()
