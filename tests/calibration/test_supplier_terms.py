"""Supplier payment terms fitted from supplier invoices: medians by hand, every row used or
quarantined with a reason, and a fit the scenario's cash section accepts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.calibration.supplier_terms import TERMS_COLUMNS, fit_supplier_terms
from twin.errors import InputError
from twin.scenario.cash import SupplierTerms


def bill(bill_id, supplier, issued, paid, due="2026-03-01", amount=100.0) -> dict:
    return {
        "bill_id": bill_id,
        "supplier_id": supplier,
        "po_id": f"PO{bill_id}",
        "issued_at": issued,
        "due_date": due,
        "amount": amount,
        "paid_at": paid,
    }


def bills() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # acme: paid after 30, 40 and 50 days -> median 40; due 30 days after issue
            bill(1, "acme", "2026-01-01", "2026-01-31", due="2026-01-31"),
            bill(2, "acme", "2026-01-01", "2026-02-10", due="2026-01-31"),
            bill(3, "acme", "2026-01-01", "2026-02-20", due="2026-01-31"),
            bill(4, "acme", "2026-02-01", None, due="2026-03-03"),  # still open
            # bolt: 10 and 15.5 days -> median 12.75
            bill(5, "bolt", "2026-01-10", "2026-01-20"),
            bill(6, "bolt", "2026-01-10", "2026-01-25T12:00"),
            # not used, each for its reason
            bill(7, "bolt", "2026-01-10", "2026-01-05"),
            bill(8, None, "2026-01-10", "2026-01-20"),
            bill(9, "bolt", None, "2026-01-20"),
            bill(10, "bolt", "2026-01-10", "2026-01-20", amount=-5.0),
            bill(5, "bolt", "2026-01-10", "2026-01-30"),
            bill(11, "bolt", "2026-01-10", "soon"),
        ]
    )


def test_each_supplier_gets_the_median_days_from_issue_to_payment() -> None:
    fit = fit_supplier_terms(bills())
    assert list(fit.terms.columns) == list(TERMS_COLUMNS)
    acme, bolt = (fit.terms.set_index("supplier_id").loc[s] for s in ("acme", "bolt"))
    assert (acme["terms_days"], acme["bills_paid"], acme["bills_open"]) == (40.0, 3, 1)
    assert acme["stated_terms_days"] == 30.0
    assert (bolt["terms_days"], bolt["bills_paid"], bolt["bills_open"]) == (12.75, 2, 0)
    # the default is the median over all five paid bills, as numpy has it
    assert fit.default_days == np.median([30.0, 40.0, 50.0, 10.0, 15.5])


def test_every_row_is_used_or_quarantined_with_its_reason() -> None:
    frame = bills()
    fit = fit_supplier_terms(frame)
    used = int(fit.terms["bills_paid"].sum() + fit.terms["bills_open"].sum())
    assert used + len(fit.quarantined) == len(frame)
    assert dict(zip(fit.quarantined["bill_id"], fit.quarantined["reason"], strict=True)) == {
        7: "paid before it was issued",
        8: "no supplier",
        9: "no issue date",
        10: "amount not a positive number",
        5: "bill listed twice (a second payment?)",
        11: "payment date not a date",
    }


def test_the_fit_is_a_valid_cash_section() -> None:
    section = fit_supplier_terms(bills()).cash_section()
    assert section == {"default_days": 30.0, "suppliers": {"acme": 40.0, "bolt": 12.75}}
    terms = SupplierTerms.model_validate(section)
    assert terms.days("acme") == 40.0 and terms.days("other") == 30.0


def test_a_missing_column_or_nothing_paid_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"supplier_invoices: missing column\(s\) paid_at"):
        fit_supplier_terms(bills().drop(columns="paid_at"))
    unpaid = bills().assign(paid_at=None)
    with pytest.raises(InputError, match="no usable bill has been paid"):
        fit_supplier_terms(unpaid)
