"""Supplier payment terms from history: how many days after a supplier's bill the company paid it.

Reads the canonical ``supplier_invoices`` table (``bill_id, supplier_id, po_id, issued_at,
due_date, amount, paid_at``; ``paid_at`` empty while a bill is open) and fits, per supplier, the
median days from issue to payment: the terms the company actually keeps, which is what the
scenario's ``cash.supplier_terms`` needs (the due date is what was agreed, and is reported beside
it). The median, not the mean, so a few bills held back in a dispute do not move a supplier's
terms. Every row is used or quarantined with a reason; none is dropped silently. Not yet wired
into ``twin calibrate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.errors import InputError

#: the canonical table's columns
SUPPLIER_INVOICE_COLUMNS = (
    "bill_id",
    "supplier_id",
    "po_id",
    "issued_at",
    "due_date",
    "amount",
    "paid_at",
)
#: the columns of :attr:`SupplierTermsFit.terms`
TERMS_COLUMNS = ("supplier_id", "terms_days", "stated_terms_days", "bills_paid", "bills_open")
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class SupplierTermsFit:
    """Fitted payment terms.

    ``terms``: one row per supplier with a usable bill (columns :data:`TERMS_COLUMNS`):
    ``terms_days`` the median days from issue to payment of its paid bills (NaN if none is
    paid yet), ``stated_terms_days`` the median days from issue to due date (NaN without due
    dates), ``bills_paid`` and ``bills_open`` the bills counted. ``default_days``: the median
    over every paid bill, for suppliers without their own. ``quarantined``: the rows not used,
    with a ``reason`` column.
    """

    terms: pd.DataFrame
    default_days: float
    quarantined: pd.DataFrame

    def cash_section(self) -> dict:
        """The scenario's ``cash.supplier_terms`` mapping: the overall median as the default and
        each supplier with paid bills at its own median (days, rounded to 0.01)."""
        fitted = self.terms.dropna(subset=["terms_days"])
        return {
            "default_days": round(self.default_days, 2),
            "suppliers": {
                str(s): round(float(d), 2)
                for s, d in zip(fitted["supplier_id"], fitted["terms_days"], strict=True)
            },
        }


def fit_supplier_terms(bills: pd.DataFrame, table: str = "supplier_invoices") -> SupplierTermsFit:
    """Fit each supplier's payment terms from its bills (see the module docstring).

    Raises
    ------
    InputError
        ``bills`` lacks a column of :data:`SUPPLIER_INVOICE_COLUMNS` (named with ``table``), or
        no bill has been paid (there is nothing to fit).
    """
    missing = [c for c in SUPPLIER_INVOICE_COLUMNS if c not in bills.columns]
    if missing:
        raise InputError(
            f"{table}: missing column(s) {', '.join(missing)}; supplier payment terms need "
            f"{', '.join(SUPPLIER_INVOICE_COLUMNS)} (paid_at empty while a bill is open)"
        )
    issued = pd.to_datetime(bills["issued_at"], errors="coerce", format="ISO8601")
    paid = pd.to_datetime(bills["paid_at"], errors="coerce", format="ISO8601")
    due = pd.to_datetime(bills["due_date"], errors="coerce", format="ISO8601")
    amount = pd.to_numeric(bills["amount"], errors="coerce")
    reason = pd.Series(pd.NA, index=bills.index, dtype="string")
    checks = (
        (bills["supplier_id"].isna(), "no supplier"),
        (issued.isna(), "no issue date"),
        (~(amount > 0), "amount not a positive number"),
        (bills["paid_at"].notna() & paid.isna(), "payment date not a date"),
        (paid < issued, "paid before it was issued"),
        (bills["bill_id"].duplicated(keep="first"), "bill listed twice (a second payment?)"),
    )
    for bad, why in checks:  # the first reason that applies is the row's reason
        reason = reason.mask(reason.isna() & bad.to_numpy(), why)
    used = reason.isna().to_numpy()
    quarantined = bills.loc[~used].assign(reason=reason[~used].astype(str))
    frame = pd.DataFrame(
        {
            "supplier_id": bills["supplier_id"][used],
            "paid_days": (paid - issued)[used] / DAY,
            "stated_days": (due - issued)[used] / DAY,
        }
    )
    if frame["paid_days"].notna().sum() == 0:
        raise InputError(
            f"{table}: no usable bill has been paid ({len(bills)} rows, {int((~used).sum())} "
            f"quarantined), so there are no payment terms to fit; leave cash.supplier_terms to "
            f"its default or state it in the scenario"
        )
    grouped = frame.groupby("supplier_id", sort=True)
    terms = pd.DataFrame(
        {
            "terms_days": grouped["paid_days"].median(),
            "stated_terms_days": grouped["stated_days"].median(),
            "bills_paid": grouped["paid_days"].count(),
            "bills_open": grouped["paid_days"].size() - grouped["paid_days"].count(),
        }
    ).reset_index()
    return SupplierTermsFit(
        terms=terms[list(TERMS_COLUMNS)],
        default_days=float(np.nanmedian(frame["paid_days"].to_numpy(dtype=float))),
        quarantined=quarantined,
    )
