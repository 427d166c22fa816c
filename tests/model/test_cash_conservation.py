"""Money is conserved in the cash books: opening + in - out = closing, in every replication of
random small scenarios (a hypothesis property test), and each kind of movement agrees with the
independent record it comes from (invoices, purchase orders, shipments, the staff cost).

Float sums of the same amounts in another order may differ in the last bits: money is compared
to 1e-9 relative (1e-6 absolute), which lets rounding through and no lost payment.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.kpis import compute_kpis, daily_levels
from twin.model.network import run_replication
from twin.scenario.schema import Scenario

MONEY = {"rel": 1e-9, "abs": 1e-6}
HORIZON_DAYS = 45.0


@st.composite
def cash_scenarios(draw) -> Scenario:
    """A random small scenario with a cash section: 1-3 SKUs from one or two suppliers with
    their own terms, one or two segments paying late or defaulting, freight and ordering costs,
    and maybe staff, a promotion, a credit policy and a warm-up."""
    suppliers = {"s0": {"lead_time_days": draw(st.sampled_from([0.0, 2.0, 5.0]))}}
    if draw(st.booleans()):
        suppliers["s1"] = {"lead_time_days": {"dist": "exponential", "mean": 4.0}}
    products = []
    for i in range(draw(st.integers(1, 3))):
        cost = float(draw(st.integers(1, 40)))
        products.append(
            {
                "sku": f"P{i}",
                "unit_cost": cost,
                "price": cost + draw(st.integers(0, 20)),
                "supplier": draw(st.sampled_from(sorted(suppliers))),
            }
        )
    segments = {
        f"g{j}": {
            "customers": 3,
            "arrivals": {"kind": "poisson", "rate_per_day": draw(st.floats(0.5, 8.0))},
            "lines_per_order": 1,
            "quantity": draw(st.sampled_from([1, 4])),
            "payment": {
                "terms_days": 10.0,
                "delay_days": draw(st.sampled_from([0.0, 6.0, {"dist": "exponential", "mean": 9}])),
                "default_probability": draw(st.sampled_from([0.0, 0.3])),
                "write_off_after_days": 20.0,
            },
            "transit_days": draw(st.sampled_from([0.0, 1.5])),
        }
        for j in range(draw(st.integers(1, 2)))
    }
    terms = {name: draw(st.sampled_from([0.0, 7.0, 30.0, 60.0])) for name in suppliers}
    data = {
        "name": "random-cash",
        "run": {
            "start_date": "2026-01-05",
            "horizon_days": HORIZON_DAYS,
            "warmup_days": draw(st.sampled_from([0.0, 10.0])),
            "seed": draw(st.integers(0, 2**31)),
        },
        "products": products,
        "suppliers": suppliers,
        "segments": segments,
        "inventory": {
            "default": {
                "policy": {"kind": "base_stock", "level": draw(st.integers(0, 25))},
                "review": {"kind": "continuous"},
                "shortage": draw(st.sampled_from(["backorder", "lost_sale"])),
                "initial_on_hand": draw(st.integers(0, 20)),
            }
        },
        "costs": {
            "freight": {"per_shipment": draw(st.sampled_from([0.0, 4.0])), "per_unit": 0.5},
            "ordering": {"per_order": draw(st.sampled_from([0.0, 25.0]))},
        },
        "cash": {
            "opening_balance": draw(st.floats(-1e4, 1e5)),
            "supplier_terms": {"default_days": terms.pop("s0"), "suppliers": terms},
            "payroll_period_days": draw(st.sampled_from([7.0, 30.0])),
        },
    }
    if draw(st.booleans()):
        data["staffing"] = {
            "calendars": {"office": {"shifts": ["08:00-16:00"]}},
            "order_desk": {
                "headcount": 1,
                "calendar": "office",
                "cost_per_hour": 20.0,
                "minutes_per_order": {"dist": "exponential", "mean": 10.0},
            },
        }
    if draw(st.booleans()):
        data["promotions"] = [
            {
                "name": "spring",
                "skus": ["P0"],
                "start": "2026-01-12",
                "end": "2026-01-18",
                "discount": 0.2,
                "lift": 1.5,
                "fixed_cost": 300.0,
            }
        ]
    if draw(st.booleans()):
        data["credit"] = {"default_action": "approve"}
    return Scenario.model_validate(data)


# derandomize: the same examples on every run, so the test is deterministic
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(scenario=cash_scenarios(), replication=st.integers(0, 3))
def test_money_in_the_cash_books_is_conserved(scenario: Scenario, replication: int) -> None:
    result = run_replication(scenario, replication)
    horizon = result.horizon_days
    movements = result.tables["cash_movements"]
    facts = result.levers["cash"]
    kpis = compute_kpis(result, scenario.costs)

    # the balance the book kept as it went = opening + every movement it recorded
    assert facts["opening_balance"] == scenario.cash.opening_balance
    closing = facts["opening_balance"] + movements["amount"].sum()
    assert facts["closing_balance"] == pytest.approx(closing, **MONEY)
    # ... and the KPIs: opening + in - out = closing over the window
    assert kpis["cash_opening"] + kpis["cash_in"] - kpis["cash_out"] == pytest.approx(
        kpis["cash_closing"], **MONEY
    )
    assert kpis["cash_closing"] == pytest.approx(facts["closing_balance"], **MONEY)
    assert kpis["cash_min"] <= min(kpis["cash_opening"], kpis["cash_closing"]) + 1e-6
    assert movements["t"].is_monotonic_increasing
    assert (movements["t"] < horizon).all() and (movements["t"] >= 0).all()

    # each kind against the record it comes from
    kind = movements.groupby("kind")["amount"].sum()
    invoices = result.tables["invoices"]
    paid = invoices[~invoices["written_off"] & (invoices["t_settled"] < horizon)]
    assert kind.get("customer", 0.0) == pytest.approx(paid["amount"].sum(), **MONEY)
    purchases = result.tables["purchases"]
    received = purchases[purchases["t_receipt"] < horizon]
    bills = result.tables["supplier_bills"]
    assert len(bills) == len(received)
    cost = np.asarray(result.unit_cost)[received["sku"].to_numpy()]
    assert bills["amount"].sum() == pytest.approx((received["quantity"] * cost).sum(), **MONEY)
    due = bills[bills["t_due"] < horizon]
    assert -kind.get("supplier", 0.0) == pytest.approx(due["amount"].sum(), **MONEY)
    if scenario.run.warmup_days == 0:  # the core costs count the same window
        for name in ("freight", "ordering"):
            assert -kind.get(name, 0.0) == pytest.approx(kpis[f"{name}_cost"], **MONEY)
    assert set(kind.index) <= {"customer", "supplier", "staff", "freight", "ordering", "promotion"}

    # the daily balance is the same book, day by day: no day's mean below the lowest balance
    daily = daily_levels(result)
    if scenario.run.warmup_days == 0:
        assert (daily["cash_balance"] >= kpis["cash_min"] - 1e-6).all()
    assert (daily["payables"] >= -1e-6).all()


def test_payroll_over_whole_periods_is_the_staff_cost(load_scenario) -> None:
    # the payroll of the first eight weeks is the staff cost of those eight weeks (a window
    # with nothing else in it): two records of the same money computed two ways
    scenario = load_scenario(
        "../tests/cli/fixtures/small.yaml",
        "run.horizon_days=57",
        "run.warmup_days=0",
        "cash.payroll_period_days=7",
    )
    eight_weeks = load_scenario(
        "../tests/cli/fixtures/small.yaml", "run.horizon_days=56", "run.warmup_days=0"
    )
    result = run_replication(scenario, 0)
    staff = result.tables["cash_movements"].query("kind == 'staff'")
    assert staff["t"].max() == 56.0
    kpis = compute_kpis(run_replication(eight_weeks, 0), eight_weeks.costs)
    assert -staff["amount"].sum() == pytest.approx(kpis["staff_cost"], **MONEY)
