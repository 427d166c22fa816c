"""The cash lever: exact traces on ``tiny`` (amounts and dates worked out by hand), the ratios
against hand-computed values, the cash book as a pure observer, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.errors import InputError
from twin.kpis import cash as cash_kpis
from twin.kpis import compute_kpis, daily_levels
from twin.model.network import run_replication
from twin.records import COLUMNS
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"

#: Tiny's one order (day 0.5, 2 units of A at 15: 30) ships at once, is delivered and invoiced
#: on day 2.5 and paid 10 days later, on day 12.5. It takes stock from 5 to 3, so base stock 5
#: orders 2 units at 0.5, received on day 3.5 (lead time 3) and billed 2 x 10 = 20, due 5 days
#: later: day 8.5.
CASH = {"cash": {"opening_balance": 100.0, "supplier_terms": {"default_days": 5.0}}}
#: freight 1 + 0.5 per unit (2 units: 2.0); ordering 2 + 0.25 per unit (2 units: 2.5)
COSTS = {
    "costs": {
        "freight": {"per_shipment": 1.0, "per_unit": 0.5},
        "ordering": {"per_order": 2.0, "per_unit": 0.25},
    }
}


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(row) for row in frame.itertuples(index=False)]


# --------------------------------------------------------------------------- exact traces


def test_one_order_and_one_purchase_order_book_these_movements(tiny) -> None:
    result = run_replication(tiny(CASH, COSTS), 0)

    assert rows(result.tables["cash_movements"]) == [
        (0.5, "ordering", "acme", -2.5),
        (0.5, "freight", "carrier", -2.0),
        (8.5, "supplier", "acme", -20.0),
        (12.5, "customer", "shop", 30.0),
    ]
    assert rows(result.tables["supplier_bills"]) == [("acme", 0, 3.5, 8.5, 20.0, 8.5)]
    assert result.levers["cash"] == {"opening_balance": 100.0, "closing_balance": 105.5}
    assert list(result.tables["cash_movements"].columns) == [
        c for c, _ in COLUMNS["cash_movements"]
    ]


def test_the_ratios_match_the_hand_computed_ones(tiny) -> None:
    scenario = tiny(CASH, COSTS)
    kpis = compute_kpis(run_replication(scenario, 0), scenario.costs)
    # window [0, 30): cogs 20 -> 2/3 a day; revenue 30 -> 1 a day
    # receivables 30 open over [2.5, 12.5): mean 300 / 30 = 10; DSO = 10 / 1 = 10 days
    # payables 20 open over [3.5, 8.5): mean 100 / 30; DPO = (10/3) / (2/3) = 5 days
    # stock value 50, 30 from 0.5 (2 units reserved leave at once), 50 again from 3.5:
    # (0.5 x 50 + 3 x 30 + 26.5 x 50) / 30 = 48; DIO = 48 / (2/3) = 72 days
    expected = {
        "cash_opening": 100.0,
        "cash_in": 30.0,
        "cash_out": 24.5,
        "cash_closing": 105.5,
        "cash_min": 75.5,  # after the supplier's payment, before the customer's
        "payables_mean": 10.0 / 3.0,
        "dso_days": 10.0,
        "dpo_days": 5.0,
        "dio_days": 72.0,
        "cash_conversion_cycle_days": 77.0,
        "working_capital_mean": 48.0 + 10.0 - 10.0 / 3.0,
    }
    assert {k: kpis[k] for k in expected} == pytest.approx(expected, rel=1e-12)


def test_a_warm_up_moves_what_counts_into_the_opening_balance(tiny) -> None:
    # with a 10-day warm-up the payments before day 10 make the window's opening balance
    scenario = tiny(CASH, COSTS, {"run": {"warmup_days": 10.0}})
    kpis = compute_kpis(run_replication(scenario, 0), scenario.costs)
    assert kpis["cash_opening"] == 100.0 - 2.5 - 2.0 - 20.0
    assert (kpis["cash_in"], kpis["cash_out"], kpis["cash_min"]) == (30.0, 0.0, 75.5)
    assert kpis["cash_closing"] == 105.5


def test_each_supplier_is_paid_on_its_own_terms(tiny) -> None:
    # both SKUs start empty under base stock 5, so each orders 5 at once: A from acme (3 days,
    # paid 5 days after), B from bolt (4 days, paid 12 days after); then the order for 2 A is
    # backordered and A orders 2 more (received 3.5, due 8.5)
    scenario = tiny(
        CASH,
        {
            "products": [
                {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
                {"sku": "B", "unit_cost": 4.0, "price": 7.0, "supplier": "bolt"},
            ],
            "suppliers": {"bolt": {"lead_time_days": 4.0}},
            "segments": {"shop": {"sku_mix": {"kind": "weights", "weights": {"A": 1.0}}}},
            "inventory": {"default": {"initial_on_hand": 0}},
            "cash": {"supplier_terms": {"suppliers": {"bolt": 12.0}}},
        },
    )
    result = run_replication(scenario, 0)
    assert rows(result.tables["supplier_bills"]) == [
        ("acme", 0, 3.0, 8.0, 50.0, 8.0),
        ("acme", 0, 3.5, 8.5, 20.0, 8.5),
        ("bolt", 1, 4.0, 16.0, 20.0, 16.0),
    ]
    paid = result.tables["cash_movements"].query("kind == 'supplier'")
    assert rows(paid) == [
        (8.0, "supplier", "acme", -50.0),
        (8.5, "supplier", "acme", -20.0),
        (16.0, "supplier", "bolt", -20.0),
    ]


def test_a_bill_due_after_the_horizon_stays_a_payable(tiny) -> None:
    scenario = tiny(CASH, {"cash": {"supplier_terms": {"default_days": 40.0}}})
    result = run_replication(scenario, 0)
    bills = result.tables["supplier_bills"]
    assert bills["t_due"].tolist() == [43.5]
    assert np.isnan(bills["t_paid"]).all()
    assert "supplier" not in set(result.tables["cash_movements"]["kind"])
    daily = daily_levels(result)
    assert daily["payables"].iloc[-1] == 20.0
    assert daily["working_capital"].iloc[-1] == pytest.approx(
        daily["inventory_value"].iloc[-1] + daily["receivables"].iloc[-1] - 20.0
    )


def test_staff_are_paid_each_period_in_arrears(tiny) -> None:
    # two people, 9 hours a weekday at 10 an hour: 5 x 9 x 2 x 10 = 900 a week, paid at the
    # end of each week (days 7, 14, 21, 28); the week that ends on day 35 is past the horizon
    scenario = tiny(
        CASH,
        {
            "staffing": {
                "calendars": {"office": {"shifts": ["08:00-17:00"]}},
                "order_desk": {
                    "headcount": 2,
                    "calendar": "office",
                    "cost_per_hour": 10.0,
                    "minutes_per_order": 30.0,
                },
            },
            "cash": {"payroll_period_days": 7.0},
        },
    )
    result = run_replication(scenario, 0)
    staff = result.tables["cash_movements"].query("kind == 'staff'")
    assert staff["t"].tolist() == [7.0, 14.0, 21.0, 28.0]
    assert set(staff["counterparty"]) == {"order_desk"}
    # working time is summed in days (9/24 of a day a shift): equal to the cent, not the bit
    assert staff["amount"].tolist() == pytest.approx([-900.0] * 4, abs=1e-9)


def test_a_promotion_is_paid_on_its_first_day(tiny) -> None:
    promotion = {
        "name": "feb",
        "skus": ["A"],
        "start": "2026-01-07",
        "end": "2026-01-09",
        "discount": 0.1,
        "lift": 1.0,
        "fixed_cost": 500.0,
    }
    result = run_replication(tiny(CASH, {"promotions": [promotion]}), 0)
    paid = result.tables["cash_movements"].query("kind == 'promotion'")
    assert rows(paid) == [(2.0, "promotion", "feb", -500.0)]


def test_a_written_off_invoice_brings_no_cash(tiny) -> None:
    scenario = tiny(CASH, {"segments": {"shop": {"payment": {"default_probability": 1.0}}}})
    result = run_replication(scenario, 0)
    assert result.tables["invoices"]["written_off"].tolist() == [True]
    assert "customer" not in set(result.tables["cash_movements"]["kind"])
    assert result.levers["cash"]["closing_balance"] == 100.0 - 20.0


def test_payments_under_a_credit_policy_are_booked_too(tiny) -> None:
    scenario = tiny(CASH, {"credit": {"default_action": "approve"}})
    result = run_replication(scenario, 0)
    paid = result.tables["cash_movements"].query("kind == 'customer'")
    assert rows(paid) == [(12.5, "customer", "shop", 30.0)]


# --------------------------------------------------------------------------- an observer


def test_the_cash_book_changes_no_other_number() -> None:
    # the cash book draws no random number and schedules no event: the run without it and the
    # run with it agree on every other table and KPI
    base = load(Scenario, SMALL)
    with_cash = load(Scenario, SMALL, ["cash.opening_balance=100000"])
    plain, booked = run_replication(base, 1), run_replication(with_cash, 1)
    for name, table in plain.tables.items():
        if name not in ("cash_movements", "supplier_bills"):
            pd.testing.assert_frame_equal(table, booked.tables[name])
    kpis, cash_kpis_too = compute_kpis(plain, base.costs), compute_kpis(booked, base.costs)
    assert set(cash_kpis_too) - set(kpis) == set(cash_kpis.UNITS)
    assert {k: cash_kpis_too[k] for k in kpis} == pytest.approx(kpis, nan_ok=True, rel=0, abs=0)
    daily, daily_cash = daily_levels(plain), daily_levels(booked)
    pd.testing.assert_frame_equal(daily, daily_cash[daily.columns])
    assert list(daily_cash.columns[len(daily.columns) :]) == [
        "cash_balance",
        "payables",
        "working_capital",
    ]


def test_without_the_section_there_is_no_cash_kpi_or_level(tiny) -> None:
    scenario = tiny()
    result = run_replication(scenario, 0)
    assert "cash" not in result.levers
    assert not set(compute_kpis(result, scenario.costs)) & set(cash_kpis.UNITS)
    assert "cash_balance" not in daily_levels(result).columns
    assert len(result.tables["cash_movements"]) == 0


# --------------------------------------------------------------------------- bad input


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {SMALL}\nname: s\n{body}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "cash: {supplier_terms: {suppliers: {nobody: 30}}}",
            r"cash\.supplier_terms\.suppliers\.nobody: unknown supplier 'nobody' \(the "
            r"scenario's suppliers are acme\)",
        ),
        ("cash: {supplier_terms: {default_days: -1}}", r"cash\.supplier_terms\.default_days"),
        ("cash: {payroll_period_days: 0}", r"cash\.payroll_period_days"),
        ("cash: {opening: 5}", r"cash\.opening: unknown key 'opening'"),
    ],
)
def test_a_bad_cash_section_is_an_input_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load(Scenario, write(tmp_path, body))
