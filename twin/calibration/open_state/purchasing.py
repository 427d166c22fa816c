"""Open purchase-order lines and open supplier invoices (payables) at the as-of instant.

A PO line ordered before the as-of date is open while its received quantity at the date is short
of the ordered one. ``received_at`` is the line's last receipt and ``received_quantity`` (an ERP's
count, as of the day the history was read) what it has received by then, so the received quantity
at the as-of date is:

- once ``received_at`` lies before the date: ``received_quantity``, else all of the line (every
  receipt came before the date);
- when ``received_at`` lies on or after the date (a past as-of date: the history goes on after
  it): the line's receipts before the date in the stock ledger (``stock_moves`` of kind
  ``receipt`` naming its PO and SKU; returns to the vendor subtract), when the ledger names
  purchase orders; else nothing (the count cannot be dated);
- without a ``received_at``: ``received_quantity``, else nothing.

The ledger's receipts of one PO and SKU go to its lines received after the date in row order,
each up to its ordered quantity, after those its lines received before the date have. Its
expected receipt is the ERP's ``expected_at`` when given (``expected_source: erp``), else the order
date plus the supplier's lead time given what has elapsed (``fitted_lead_time``): the median of
the supplier's lead times observed on received lines (all suppliers' when it has fewer than
:data:`MIN_LEAD_TIMES`) that exceed the days already elapsed, or the as-of instant when none does
(the line is overdue). A line received before it was ordered, or beyond its ordered quantity, is
reported and left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.open_state.frames import (
    DAY,
    before,
    column,
    floats,
    ids,
    open_at,
    stamps,
    table,
)
from twin.calibration.open_state.issues import Issues

MIN_LEAD_TIMES = 5
"""Fewest received lines of a supplier whose lead times stand for it alone."""


def open_purchase_orders(
    purchase_orders: pd.DataFrame | None,
    as_of: pd.Timestamp,
    issues: Issues,
    moves: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``purchase_orders`` state table (see the module docstring); `moves` is the stock
    ledger, if the history has one."""
    if purchase_orders is None or not len(purchase_orders):
        return _empty_pos()
    po = purchase_orders[before(purchase_orders["ordered_at"], as_of)]
    ordered_at = pd.to_datetime(po["ordered_at"])
    received_at = pd.to_datetime(column(po, "received_at"))
    early = (received_at < ordered_at).fillna(False).to_numpy(dtype=bool)
    issues.report(
        "purchase_orders",
        po[early],
        "receipt_before_order",
        "received_at "
        + received_at[early].astype(str)
        + " < ordered_at "
        + ordered_at[early].astype(str),
    )
    quantity = po["quantity"].to_numpy(dtype=float)
    received_qty = pd.to_numeric(column(po, "received_quantity"), errors="coerce").to_numpy(
        dtype=float
    )
    got = before(received_at, as_of)
    counted = np.where(np.isnan(received_qty), np.where(got, quantity, 0.0), received_qty)
    later = received_at.notna().to_numpy(dtype=bool) & ~got  # received on or after the date
    received = np.where(later, 0.0, counted)
    if later.any():
        received[later] = _ledger_receipts(po, received, later, moves, as_of)
    over = (received > quantity) & ~early
    issues.report(
        "purchase_orders",
        po[over],
        "over_received",
        pd.Series(received[over]).map("received {:g}".format).to_numpy()
        + pd.Series(quantity[over]).map(" > ordered {:g}".format).to_numpy(),
    )
    lead = _lead_times(
        po[got & ~early & ~over],
        ordered_at[got & ~early & ~over],
        received_at[got & ~early & ~over],
    )
    keep = ~early & ~over & (quantity - received > 0)
    po, ordered_at = po[keep], ordered_at[keep]
    erp = pd.to_datetime(column(po, "expected_at"))
    expected, source = [], []
    for supplier, when, promised in zip(
        column(po, "supplier_id").astype("string"), ordered_at, erp, strict=True
    ):
        if not pd.isna(promised):
            expected.append(promised)
            source.append("erp")
            continue
        elapsed = (as_of - when) / DAY
        expected.append(when + _conditional_median(lead, supplier, elapsed) * DAY)
        source.append("fitted_lead_time")
    return table(
        "purchase_orders",
        {
            "po_id": ids(po["po_id"]),
            "sku": ids(po["sku"]),
            "supplier_id": ids(column(po, "supplier_id")),
            "ordered_at": stamps(ordered_at),
            "quantity_ordered": floats(quantity[keep]),
            "quantity_received": floats(received[keep]),
            "quantity_open": floats(quantity[keep] - received[keep]),
            "expected_at": stamps(expected),
            "expected_source": ids(source),
        },
    )


def _ledger_receipts(
    po: pd.DataFrame,
    received: np.ndarray,
    later: np.ndarray,
    moves: pd.DataFrame | None,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """Units the `later` lines (last received on or after the as-of date) had received before
    it, from the ledger's receipts of their PO and SKU (see the module docstring)."""
    n = int(later.sum())
    if moves is None or not len(moves) or column(moves, "po_id").isna().all():
        return np.zeros(n)
    kind = column(moves, "kind").astype("string").eq("receipt").fillna(False).to_numpy()
    receipts = moves[kind & before(moves["moved_at"], as_of)]
    units = (
        pd.to_numeric(receipts["quantity"], errors="coerce")
        .groupby([receipts["po_id"].astype("string"), receipts["sku"].astype("string")])
        .sum()
        .to_dict()
    )
    key = list(zip(po["po_id"].astype("string"), po["sku"].astype("string"), strict=True))
    quantity = po["quantity"].to_numpy(dtype=float)
    for row in np.flatnonzero(~later):  # what the lines received before the date took
        if key[row] in units:
            units[key[row]] -= received[row]
    out = np.zeros(n)
    for k, row in enumerate(np.flatnonzero(later)):
        left = max(float(units.get(key[row], 0.0)), 0.0)
        out[k] = min(quantity[row], left)
        if key[row] in units:
            units[key[row]] = left - out[k]
    return out


def _lead_times(po: pd.DataFrame, ordered: pd.Series, received: pd.Series) -> dict:
    """Lead times in days of the received lines, per supplier and pooled (key None)."""
    days = ((received - ordered) / DAY).to_numpy(dtype=float)
    suppliers = column(po, "supplier_id").astype("string").to_numpy(dtype=object)
    out: dict = {None: np.sort(days)}
    for supplier in pd.unique(suppliers):
        mine = np.sort(days[suppliers == supplier])
        if len(mine) >= MIN_LEAD_TIMES and not pd.isna(supplier):
            out[supplier] = mine
    return out


def _conditional_median(lead: dict, supplier: object, elapsed: float) -> float:
    """Median lead time (days) given that it exceeds `elapsed`; `elapsed` when none does."""
    values = lead.get(None if pd.isna(supplier) else supplier, lead[None])
    longer = values[values > elapsed]
    return float(np.median(longer)) if len(longer) else float(elapsed)


def _empty_pos() -> pd.DataFrame:
    return table(
        "purchase_orders",
        {
            "po_id": ids([]),
            "sku": ids([]),
            "supplier_id": ids([]),
            "ordered_at": stamps([]),
            "quantity_ordered": floats([]),
            "quantity_received": floats([]),
            "quantity_open": floats([]),
            "expected_at": stamps([]),
            "expected_source": ids([]),
        },
    )


def open_payables(bills: pd.DataFrame | None, as_of: pd.Timestamp, issues: Issues) -> pd.DataFrame:
    """The ``payables`` state table: supplier invoices issued before the as-of instant and not
    paid by then; a bill paid before it was issued is reported and left out."""
    if bills is None or not len(bills):
        bills = pd.DataFrame(columns=["bill_id", "issued_at", "amount"])
    bills = bills[before(bills["issued_at"], as_of)]
    issued, paid = pd.to_datetime(bills["issued_at"]), pd.to_datetime(column(bills, "paid_at"))
    early = (paid < issued).fillna(False).to_numpy(dtype=bool)
    issues.report(
        "supplier_invoices",
        bills[early],
        "bill_paid_before_issued",
        "paid_at " + paid[early].astype(str) + " < issued_at " + issued[early].astype(str),
    )
    amount = pd.to_numeric(bills["amount"], errors="coerce").to_numpy(dtype=float)
    keep = ~early & open_at(paid, as_of) & (amount > 0)
    bills = bills[keep]
    return table(
        "payables",
        {
            "bill_id": ids(bills["bill_id"]),
            "supplier_id": ids(column(bills, "supplier_id")),
            "po_id": ids(column(bills, "po_id")),
            "amount_open": floats(amount[keep]),
            "issued_at": stamps(bills["issued_at"]),
            "due_date": stamps(column(bills, "due_date")),
        },
    )
