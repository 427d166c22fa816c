"""Receivables at the as-of instant: customer invoices issued and not yet settled.

An invoice issued before the as-of date and not written off is open for its amount less the
payments received before the date (a payment without a date counts as received). An invoice
paid more than its amount is reported and left out: ``paid_twice`` when it has several payments
each settling it in full, ``overpaid_invoice`` otherwise (amounts compared to the cent).
A payment for an unknown invoice is already reported by the quality step (``unknown_invoice``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.open_state.frames import before, column, floats, ids, stamps, table
from twin.calibration.open_state.issues import Issues
from twin.calibration.open_state.sales import segment_of

CENT = 0.005
"""Half a cent: money below it is zero, the tolerance of every comparison of amounts."""


def receivables(
    invoices: pd.DataFrame | None,
    payments: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    as_of: pd.Timestamp,
    issues: Issues,
) -> pd.DataFrame:
    """The ``receivables`` state table (see the module docstring)."""
    if invoices is None or not len(invoices):
        invoices = pd.DataFrame(columns=["invoice_id", "customer_id", "issued_at", "amount"])
    issued = invoices[before(invoices["issued_at"], as_of)]
    written_off = column(issued, "written_off").astype("boolean").fillna(False)
    issued = issued[~written_off.to_numpy(dtype=bool)]
    amount = pd.to_numeric(issued["amount"], errors="coerce").to_numpy(dtype=float)
    paid, count, largest = _paid(issued["invoice_id"], payments, as_of)
    twice = (count >= 2) & (paid > amount + CENT) & (largest >= amount - CENT)
    over = (paid > amount + CENT) & ~twice
    for mask, reason in ((twice, "paid_twice"), (over, "overpaid_invoice")):
        issues.report(
            "invoices",
            issued[mask],
            reason,
            pd.Series(count[mask]).map("{:d} payments of ".format).to_numpy()
            + pd.Series(paid[mask]).map("{:.2f}".format).to_numpy()
            + pd.Series(amount[mask]).map(" > amount {:.2f}".format).to_numpy(),
        )
    left = np.round(amount - paid, 2)
    keep = ~twice & ~over & (left > CENT)
    open_rows = issued[keep]
    customer = open_rows["customer_id"].astype("string")
    channel = (
        open_rows["order_id"].map(
            orders.drop_duplicates("order_id").set_index("order_id")["channel"]
        )
        if orders is not None and "channel" in orders.columns and "order_id" in open_rows
        else pd.Series(pd.NA, index=open_rows.index, dtype="string")
    )
    return table(
        "receivables",
        {
            "invoice_id": ids(open_rows["invoice_id"]),
            "order_id": ids(column(open_rows, "order_id")),
            "customer_id": ids(customer),
            "segment": ids(segment_of(customer, channel, customers)),
            "amount_open": floats(left[keep]),
            "issued_at": stamps(open_rows["issued_at"]),
            "due_date": stamps(column(open_rows, "due_date")),
        },
    )


def _paid(
    invoice_ids: pd.Series, payments: pd.DataFrame | None, as_of: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per invoice: money received before the as-of instant, the number of payments, the largest."""
    n = len(invoice_ids)
    if payments is None or not len(payments) or "invoice_id" not in payments.columns:
        return np.zeros(n), np.zeros(n, dtype=int), np.zeros(n)
    stamp = pd.to_datetime(column(payments, "paid_at"))
    received = payments[(stamp.isna() | (stamp < as_of)).to_numpy(dtype=bool)]
    amount = pd.to_numeric(received["amount"], errors="coerce").astype(float)
    per = amount.groupby(received["invoice_id"].to_numpy()).agg(["sum", "count", "max"])
    per = per.reindex(invoice_ids.to_numpy())
    return (
        per["sum"].fillna(0.0).to_numpy(dtype=float),
        per["count"].fillna(0).to_numpy(dtype=int),
        per["max"].fillna(0.0).to_numpy(dtype=float),
    )
