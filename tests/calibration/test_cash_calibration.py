"""``twin calibrate`` with supplier invoices: the model's ``cash`` section carries each supplier's
fitted payment terms and the fit report a row per supplier; without them nothing is written.
Through the model folder's writer, so the section validates and reads back as a scenario."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.calibration.calibrate import calibrate_history, history_until
from twin.calibration.conform import conform
from twin.calibration.mapping import MappedHistory
from twin.calibration.output import write_model
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

START = pd.Timestamp("2025-01-01")
DAYS = 120


@functools.cache
def small_history() -> dict[str, pd.DataFrame]:
    """120 days of 20 orders a day of three SKUs from two suppliers (one named with a space,
    which the model's key spells ``North_Co``)."""
    rng = np.random.default_rng(3)
    days = np.repeat(np.arange(DAYS), 20)
    n = days.size
    ids = [f"O{k}" for k in range(n)]
    at = START + pd.to_timedelta(days + rng.random(n), unit="D")
    orders = pd.DataFrame(
        {
            "order_id": ids,
            "customer_id": [f"C{c}" for c in rng.integers(0, 40, n)],
            "ordered_at": at,
            "promised_at": at + pd.Timedelta(days=3),
            "shipped_at": at + pd.Timedelta(hours=6),
            "delivered_at": at + pd.Timedelta(days=2),
            "status": "delivered",
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": ids,
            "line_no": 1,
            "sku": rng.choice(["A", "B", "C"], n),
            "quantity": 1.0 + rng.poisson(2.0, n),
            "unit_price": 10.0,
            "status": "ordered",
        }
    )
    products = pd.DataFrame(
        {"sku": ["A", "B", "C"], "unit_cost": 6.0, "supplier_id": ["North Co", "North Co", "bolt"]}
    )
    return {
        "orders": conform("orders", orders),
        "order_lines": conform("order_lines", lines),
        "products": conform("products", products),
    }


def bills() -> pd.DataFrame:
    """North Co paid after 20, 30 and 40 days (due after 30); bolt after 10 and 14; one bill
    of a supplier of no product; one still open; one paid before it was issued."""
    rows = [
        ("B1", "North Co", "2025-02-01", "2025-02-21", "2025-03-03"),
        ("B2", "North Co", "2025-02-01", "2025-03-03", "2025-03-03"),
        ("B3", "North Co", "2025-03-01", "2025-04-10", "2025-03-31"),
        ("B4", "bolt", "2025-02-10", "2025-02-20", "2025-03-12"),
        ("B5", "bolt", "2025-03-10", "2025-03-24", "2025-04-09"),
        ("B6", "cleaner", "2025-02-10", "2025-03-12", "2025-03-12"),
        ("B7", "bolt", "2025-04-20", None, "2025-05-20"),
        ("B8", "bolt", "2025-03-10", "2025-03-01", "2025-04-09"),
    ]
    frame = pd.DataFrame(
        rows, columns=["bill_id", "supplier_id", "issued_at", "paid_at", "due_date"]
    ).assign(po_id=None, amount=100.0)
    return conform("supplier_invoices", frame)


@pytest.fixture(scope="module")
def calibrated():
    return calibrate_history({**small_history(), "supplier_invoices": bills()}, name="cash")


def test_the_model_carries_each_suppliers_fitted_terms(calibrated) -> None:
    assert calibrated.model["cash"] == {
        "opening_balance": 0.0,
        # the default: median of 20, 30, 40, 10, 14 and 30 days (the unknown supplier counts)
        "supplier_terms": {"default_days": 25.0, "suppliers": {"North_Co": 30.0, "bolt": 12.0}},
    }
    assert any("cleaner" in note for note in calibrated.notes)


def test_the_fit_report_has_a_row_per_supplier(calibrated) -> None:
    report = calibrated.report.set_index(["quantity", "group"])
    north = report.loc[("supplier_terms_days", "North_Co")]
    assert (north["parameters"], north["n"], north["defaulted"]) == ("30.0", 3, False)
    assert "stated terms 30 days" in north["note"]
    bolt = report.loc[("supplier_terms_days", "bolt")]
    assert (bolt["n"], bolt["note"].split(";")[1].strip()) == (2, "1 bill(s) open")
    assert report.loc[("supplier_terms_days", "all"), "n"] == 6
    quarantined = report.loc[("supplier_invoices_quarantined", "all")]
    assert (quarantined["parameters"], quarantined["note"]) == ("1", "paid before it was issued: 1")
    assert report.loc[("cash_opening_balance", "all"), "defaulted"]


def test_the_written_model_runs_with_its_cash_book(calibrated, tmp_path: Path) -> None:
    mapped = MappedHistory(tables={}, rows_read={}, rows_written={}, provenance={})
    paths = write_model(tmp_path / "model", calibrated, mapped, str(tmp_path), "test")
    scenario = load(Scenario, paths["model"], ["run.horizon_days=20", "run.replications=1"])
    assert scenario.cash.supplier_terms.days("bolt") == 12.0
    assert scenario.cash.supplier_terms.days("North_Co") == 30.0


def test_without_supplier_invoices_nothing_is_written() -> None:
    calibration = calibrate_history(small_history(), name="plain")
    assert "cash" not in calibration.model
    assert not calibration.report["quantity"].str.startswith("supplier_terms").any()


def test_a_holdout_cut_leaves_out_later_bills_and_payments() -> None:
    cut = history_until({"supplier_invoices": bills()}, pd.Timestamp("2025-03-05"))
    assert list(cut["supplier_invoices"]["bill_id"]) == ["B1", "B2", "B3", "B4", "B6"]
    # B3 was paid after the cut: open then
    assert cut["supplier_invoices"]["paid_at"].isna().tolist() == [False, False, True, False, True]
