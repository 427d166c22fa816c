"""The cash book of a run from an open state: the state's unpaid supplier bills are paid on
their due dates (or after the supplier's terms), its open invoices' payments come in, and the
payables start at the state's. Every amount and date is worked out by hand on ``tiny``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from state_folder import write_state

from twin.kpis import compute_kpis, daily_levels
from twin.kpis.cash import payables_steps
from twin.model.network import run_replication
from twin.scenario.schema import Scenario

#: as in test_cash.py: tiny's order (2 units of A at 15) is paid 30 on day 12.5; its purchase
#: of 2 units (x 10) is received on day 3.5 and paid 5 days later, on day 8.5
CASH = {"cash": {"opening_balance": 100.0, "supplier_terms": {"default_days": 5.0}}}


def bill(bill_id: str, supplier: str | None, amount: float, issued: str, due: str) -> dict:
    return {
        "bill_id": bill_id,
        "supplier_id": supplier,
        "po_id": None,
        "amount_open": amount,
        "issued_at": issued,
        "due_date": due,
    }


def state(folder: Path) -> Path:
    """As of 2026-01-05 (day 0): 5 units of A; three unpaid bills, one overdue since day -1,
    one due on day 10, one of a supplier the scenario does not know due on day 20; one open
    invoice of age 5 (tiny pays 10 days after issue: on day 5)."""
    return write_state(
        folder,
        stock=[{"sku": "A", "location": "", "on_hand": 5, "method": "snapshot"}],
        payables=[
            bill("B2", "acme", 60.0, "2025-12-31", "2026-01-15"),
            bill("B1", "acme", 40.0, "2025-12-20", "2026-01-04"),
            bill("B3", "other", 25.0, "2026-01-01", "2026-01-25"),
        ],
        receivables=[
            {
                "invoice_id": "I1",
                "order_id": None,
                "customer_id": "C1",
                "segment": "shop",
                "amount_open": 50.0,
                "issued_at": "2025-12-31",
                "due_date": "2026-01-30",
            }
        ],
    )


@pytest.fixture
def from_state(tiny, tmp_path: Path):
    folder = str(state(tmp_path / "state"))

    def make(*patches: dict[str, Any]) -> Scenario:
        return tiny(CASH, {"initial_state": folder}, *patches)

    return make


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(row) for row in frame.itertuples(index=False)]


def test_open_bills_are_paid_on_their_due_dates(from_state) -> None:
    result = run_replication(from_state(), 0)
    assert rows(result.tables["cash_movements"]) == [
        (0.0, "supplier", "acme", -40.0),  # overdue at the as-of date: paid on day 0
        (5.0, "customer", "shop", 50.0),  # the state's open invoice
        (8.5, "supplier", "acme", -20.0),
        (10.0, "supplier", "acme", -60.0),
        (12.5, "customer", "shop", 30.0),
        (20.0, "supplier", "other", -25.0),
    ]
    # the state's bills (sku -1, dated by their bill dates) first, by pay time
    assert rows(result.tables["supplier_bills"]) == [
        ("acme", -1, -16.0, -1.0, 40.0, 0.0),
        ("acme", -1, -5.0, 10.0, 60.0, 10.0),
        ("other", -1, -4.0, 20.0, 25.0, 20.0),
        ("acme", 0, 3.5, 8.5, 20.0, 8.5),
    ]
    assert result.levers["cash"] == {"opening_balance": 100.0, "closing_balance": 35.0}


def test_open_bills_can_be_paid_on_the_suppliers_terms(from_state) -> None:
    # bill date + 5 days: B1 on day -11 and B2 on day 0 (both paid on day 0), B3 on day 1
    result = run_replication(from_state({"cash": {"open_bills_paid": "terms"}}), 0)
    supplier = result.tables["cash_movements"].query("kind == 'supplier'")
    assert rows(supplier[["t", "amount"]]) == [
        (0.0, -40.0),
        (0.0, -60.0),
        (1.0, -25.0),
        (8.5, -20.0),
    ]


def test_payables_and_dpo_start_at_the_states(from_state) -> None:
    scenario = from_state()
    result = run_replication(scenario, 0)
    times, deltas = payables_steps(result)
    # before any event of the run, the payables are the state's open bills, to the cent
    assert float(deltas[times < 0].sum()) == pytest.approx(125.0, abs=0.005)
    kpis = compute_kpis(result, scenario.costs)
    # payables: 85 on [0, 3.5) after the overdue bill is paid, 105 on [3.5, 8.5), 85 on
    # [8.5, 10), 25 on [10, 20), 0 after: (297.5 + 525 + 127.5 + 250) / 30 = 40;
    # cogs 20 over 30 days: DPO = 40 / (2/3) = 60 days
    assert kpis["payables_mean"] == pytest.approx(40.0, rel=1e-12)
    assert kpis["dpo_days"] == pytest.approx(60.0, rel=1e-12)
    # the state's invoice is cash in, not revenue: receivables 50 on [0, 5) and 30 on
    # [2.5, 12.5), mean 550 / 30 over revenue 1 a day
    assert kpis["dso_days"] == pytest.approx(550.0 / 30.0, rel=1e-12)
    assert kpis["cash_in"] == 80.0 and kpis["cash_out"] == 145.0
    daily = daily_levels(result)
    assert daily["payables"].iloc[1] == pytest.approx(85.0, rel=1e-12)
    assert daily["cash_balance"].iloc[1] == pytest.approx(60.0, rel=1e-12)


def test_without_the_cash_section_the_state_run_is_unchanged(tiny, from_state) -> None:
    with_book = run_replication(from_state(), 0)
    scenario = from_state()
    without = run_replication(Scenario.model_validate({**scenario.model_dump(), "cash": None}), 0)
    for name in ("orders", "invoices", "shipments", "purchases"):
        pd.testing.assert_frame_equal(with_book.tables[name], without.tables[name])
    assert "cash" not in without.levers
