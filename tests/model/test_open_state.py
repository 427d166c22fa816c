"""Runs that start from an open state: day-0 levels equal the state, the backlog ships FIFO,
open purchase orders arrive and count as on order, and open invoices settle conditional on
their age.

The trace test uses constant distributions, so every time is worked out by hand (compared to
1e-9 days, as in ``test_traces.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import TINY, deep_merge
from scipy import stats
from state_folder import write_state

from twin.kpis.core import daily_levels, physical_stock_steps, receivables_steps
from twin.model.elapsed import Beyond, frozen
from twin.model.network import run_replication
from twin.model.open_state import default_given_unpaid
from twin.scenario.schema import Scenario

TOL = 1e-9

SCENARIO = deep_merge(
    TINY,
    {
        "run": {"horizon_days": 20.0},
        "products": [
            {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
            {"sku": "B", "unit_cost": 4.0, "price": 7.0, "supplier": "acme"},
        ],
        # one new order, after everything the test follows
        "segments": {
            "shop": {
                "customers": 5,
                "arrivals": {"times": ["2026-01-23T12:00"]},
                "payment": {"delay_days": 15.0},
            }
        },
    },
)


def backlog_line(
    order: str, line: int, customer: str | None, sku: str, units: float, price: float, ordered: str
) -> dict[str, Any]:
    return {
        "order_id": order,
        "line_no": line,
        "customer_id": customer,
        "segment": "shop",
        "sku": sku,
        "quantity_open": units,
        "unit_price": price,
        "ordered_at": ordered,
        "promised_at": None,
    }


def invoice(invoice_id: str, customer: str, amount: float, issued: str) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "order_id": None,
        "customer_id": customer,
        "segment": "shop",
        "amount_open": amount,
        "issued_at": issued,
        "due_date": "2026-01-25",
    }


def small_state(folder: Path) -> Path:
    return write_state(
        folder,
        stock=[
            {"sku": "A", "location": "north", "on_hand": 2, "method": "snapshot"},
            {"sku": "A", "location": "south", "on_hand": 1, "method": "snapshot"},
            {"sku": "B", "location": "north", "on_hand": 0, "method": "snapshot"},
        ],
        purchase_orders=[
            {  # ERP date day 2: arrives then (a constant lead time has no lateness)
                "po_id": "P1",
                "sku": "A",
                "supplier_id": "acme",
                "ordered_at": "2026-01-01",
                "quantity_ordered": 12,
                "quantity_received": 2,
                "quantity_open": 10,
                "expected_at": "2026-01-07",
                "expected_source": "erp",
            },
            {  # ordered on day -1 with a 3-day lead time: arrives on day 2
                "po_id": "P2",
                "sku": "B",
                "supplier_id": "acme",
                "ordered_at": "2026-01-04",
                "quantity_ordered": 4,
                "quantity_received": 0,
                "quantity_open": 4,
                "expected_at": "2026-01-07",
                "expected_source": "fitted_lead_time",
            },
        ],
        backlog=[
            backlog_line("O2", 1, "C2", "A", 2, 20.0, "2026-01-02"),
            backlog_line("O2", 2, "C2", "B", 1, 8.0, "2026-01-02"),
            backlog_line("O1", 1, "C1", "A", 2, 20.0, "2026-01-01"),
        ],
        receivables=[
            invoice("I1", "C1", 100.50, "2025-12-26"),  # age 10: pays at 15, day 5
            invoice("I2", "C3", 50.25, "2025-12-31"),  # age 5: day 10
        ],
    )


@pytest.fixture
def started(tmp_path: Path):
    scenario = Scenario.model_validate(
        {**SCENARIO, "initial_state": str(small_state(tmp_path / "state"))}
    )
    return scenario, run_replication(scenario, 0)


def opening(times: np.ndarray, deltas: np.ndarray, initial: float) -> float:
    """A change log's level at time 0 before any event of the run (changes dated before 0)."""
    return initial + float(np.asarray(deltas)[np.asarray(times) < 0].sum())


def test_day_zero_levels_are_the_state(started) -> None:
    _, result = started
    assert result.initial_on_hand.tolist() == [3, 0]  # summed over locations
    p_times, p_units, _ = physical_stock_steps(result)
    assert opening(p_times, p_units, float(result.initial_on_hand.sum())) == 3.0
    r_times, r_deltas = receivables_steps(result)
    assert opening(r_times, r_deltas, 0.0) == pytest.approx(150.75, abs=0.005)
    orders = result.tables["orders"]
    backlog = orders[orders["t_arrival"] < 0]
    assert backlog["units"].sum() == 5  # the state's open backlog units
    levels = daily_levels(result)
    # nothing settles on day 0: the day's mean receivables are the state's, to the cent
    assert levels["receivables"].iloc[0] == pytest.approx(150.75, abs=0.005)
    assert levels["date"].iloc[0] == "2026-01-05"


def test_backlog_ships_fifo_and_open_purchases_arrive(started) -> None:
    _, result = started
    orders = result.tables["orders"].set_index("order_id")
    # O1 is older: order 0, served first from the 3 units of A
    assert orders.loc[0, "t_arrival"] == pytest.approx(-4.0, abs=TOL)
    assert orders.loc[0, ["units", "units_filled", "units_backordered"]].tolist() == [2, 2, 0]
    assert orders.loc[1, ["units", "units_filled", "units_backordered"]].tolist() == [3, 1, 2]
    purchases = result.tables["purchases"]
    open_pos = purchases[purchases["t_order"] < 0].sort_values("sku")
    assert open_pos["quantity"].tolist() == [10, 4]
    np.testing.assert_allclose(open_pos["t_receipt"], [2.0, 2.0], atol=TOL)
    # A: 0 free + 10 on order - 1 short = 9 > base stock 5: no duplicate order at day 0;
    # B: 0 + 4 - 1 = 3: orders the 2 units up to 5 at once
    placed = purchases[purchases["t_order"] >= 0]
    assert placed[placed["t_order"] < 2.0][["sku", "quantity"]].values.tolist() == [[1, 2]]
    shipments = result.tables["shipments"].sort_values(["t_shipped", "order_id", "revenue"])
    trace = shipments[["order_id", "t_shipped", "t_delivered", "units", "revenue"]].values
    np.testing.assert_allclose(
        trace[:4],
        [[0, 0, 2, 2, 40.0], [1, 0, 2, 1, 20.0], [1, 2, 4, 1, 8.0], [1, 2, 4, 1, 20.0]],
        atol=TOL,
    )
    invoices = result.tables["invoices"]
    assert invoices[invoices["order_id"] == 1]["amount"].sum() == pytest.approx(48.0)


def test_open_invoices_settle_as_drawn(started) -> None:
    _, result = started
    invoices = result.tables["invoices"]
    state = invoices[invoices["order_id"] == -1].sort_values("t_invoice")
    np.testing.assert_allclose(state["t_invoice"], [-10.0, -5.0], atol=TOL)
    # delay 15 (constant) given unpaid at 10 and 5 days: settles at day 5 and day 10
    np.testing.assert_allclose(state["t_settled"], [5.0, 10.0], atol=TOL)
    assert not state["written_off"].any()
    # revenue of the run counts only its own invoices
    assert (invoices.loc[invoices["t_invoice"] >= 0, "order_id"] >= 0).all()


def test_same_seed_same_result(started, tmp_path: Path) -> None:
    scenario, first = started
    again = run_replication(scenario, 0)
    for name in ("orders", "purchases", "invoices", "shipments"):
        assert first.tables[name].equals(again.tables[name])


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "lognormal", "mean": 40.0, "sd": 15.0},
        {"dist": "gamma", "shape": 4.0, "scale": 10.0},
        {"dist": "weibull", "shape": 1.5, "scale": 30.0},
        {"dist": "normal", "mean": 5.0, "sd": 10.0},
        {"dist": "triangular", "low": 10.0, "mode": 14.0, "high": 30.0},
        {"dist": "uniform", "low": 2.0, "high": 9.0},
        {"dist": "exponential", "mean": 7.0},
        {"dist": "poisson", "mean": 4.0},
        {"dist": "negative_binomial", "mean": 4.0, "dispersion": 2.0},
    ],
)
def test_scipy_twin_matches_the_model_distribution(dist: dict) -> None:
    """The scipy distribution the conditional draws use has the model distribution's mean and
    variance (to 1e-9 relative: both are analytic)."""
    from twin.distributions import parse_distribution

    model = parse_distribution(dist)
    twin = frozen(model)
    assert twin.mean() == pytest.approx(model.mean, rel=1e-9)
    assert twin.var() == pytest.approx(model.variance, rel=1e-9)


def test_finite_distributions_condition_exactly() -> None:
    from twin.distributions import parse_distribution

    beyond = Beyond(
        parse_distribution(
            {"dist": "discrete", "values": [1, 5, 9], "probabilities": [0.5, 0.3, 0.2]}
        )
    )
    assert beyond.survival(4.0) == pytest.approx(0.5)
    assert beyond.draw(4.0, 0.0) == 5.0 and beyond.draw(4.0, 0.59) == 5.0
    assert beyond.draw(4.0, 0.61) == 9.0
    assert beyond.draw(9.0, 0.5) == 9.0  # beyond every value: at once


def test_open_invoices_pay_conditional_on_their_age(tmp_path: Path) -> None:
    """2000 invoices of age 30 with delay ~ lognormal(mean 40, sd 15) and p = 0.05: the share
    written off is p / (p + (1 - p) S(30)) and the paid ones settle at delay | delay > 30.

    Tolerances: the share within its 99 % binomial interval; the paid delays' mean within the
    99 % interval of the analytic conditional mean, and a KS test against the conditional CDF at
    the 1 % level (fixed seed, so the outcome is deterministic).
    """
    n, age, p = 2000, 30.0, 0.05
    rows = [invoice(f"I{k:05d}", f"C{k % 40}", 10.0, "2025-12-06") for k in range(n)]
    folder = write_state(tmp_path / "state", receivables=rows)
    scenario = Scenario.model_validate(
        deep_merge(
            SCENARIO,
            {
                "initial_state": str(folder),
                "run": {"horizon_days": 30.0, "seed": 7},
                "segments": {
                    "shop": {
                        "customers": 40,
                        "payment": {
                            "delay_days": {"dist": "lognormal", "mean": 40.0, "sd": 15.0},
                            "default_probability": p,
                            "write_off_after_days": 120.0,
                        },
                    }
                },
            },
        )
    )
    invoices = run_replication(scenario, 0).tables["invoices"]
    state = invoices[invoices["order_id"] == -1]
    assert len(state) == n
    np.testing.assert_allclose(state["t_invoice"], -age, atol=TOL)
    delay = Beyond(scenario.segments["shop"].payment.delay_days)
    q = default_given_unpaid(p, delay.survival(age))
    share = state["written_off"].mean()
    assert abs(share - q) <= 2.576 * np.sqrt(q * (1 - q) / n)
    np.testing.assert_allclose(state.loc[state["written_off"], "t_settled"], 120.0 - age)
    paid = state.loc[~state["written_off"], "t_settled"].to_numpy() + age
    assert paid.min() > age
    dist = delay._scipy
    tail = dist.sf(age)
    mean = dist.expect(lambda x: x, lb=age, conditional=True)
    second = dist.expect(lambda x: x * x, lb=age, conditional=True)
    sd = np.sqrt(second - mean**2)
    assert abs(paid.mean() - mean) <= 2.576 * sd / np.sqrt(paid.size)
    conditional_cdf = lambda x: (dist.cdf(x) - dist.cdf(age)) / tail  # noqa: E731
    assert stats.kstest(paid, conditional_cdf).pvalue > 0.01


def test_an_overdue_account_is_frozen_from_day_one(tmp_path: Path) -> None:
    """Customer C1 owes an invoice 35 days past due at the as-of date; a rule holds orders of
    customers more than 30 days overdue, so its order at day 0.5 waits until the invoice is paid
    (delay 60 days given unpaid at age 46: day 14)."""
    overdue = {**invoice("I1", "C1", 500.0, "2025-11-20"), "due_date": "2025-12-01"}
    folder = write_state(tmp_path / "state", receivables=[overdue])
    scenario = Scenario.model_validate(
        deep_merge(
            TINY,
            {
                "initial_state": str(folder),
                "segments": {"shop": {"payment": {"delay_days": 60.0}}},
                "credit": {"rules": [{"when": {"days_overdue_over": 30}, "action": "hold"}]},
            },
        )
    )
    result = run_replication(scenario, 0)
    decisions = result.tables["credit_decisions"]
    held = decisions[decisions["order_id"] == 0]
    assert held["action"].iloc[0] == 2  # hold
    assert held["t_released"].iloc[0] == pytest.approx(14.0, abs=TOL)
    orders = result.tables["orders"]
    assert orders.loc[0, "t_credit_released"] == pytest.approx(14.0, abs=TOL)


def test_stock_and_money_are_conserved_from_a_state(started) -> None:
    """The shared conservation checks hold for a run from a state: its open purchases and
    backlog orders are records like any other; the money check pairs invoices with shipments,
    so it takes the run's own invoices (the state's all settle before the horizon here)."""
    import dataclasses

    from conservation import check_money, check_orders, check_stock

    scenario, result = started
    check_stock(result)
    check_orders(result, backorder=True, ship_complete=False)
    invoices = result.tables["invoices"]
    assert (invoices.loc[invoices["order_id"] == -1, "t_settled"] < result.horizon_days).all()
    own = {**result.tables, "invoices": invoices[invoices["order_id"] >= 0]}
    check_money(dataclasses.replace(result, tables=own), scenario, backorder=True)


def test_variants_share_the_open_state_draws(tmp_path: Path) -> None:
    """Two stocking policies see the same open-invoice settlements and open-PO arrivals (common
    random numbers): those draws depend on the state and the seed only."""
    rows = [invoice(f"I{k}", f"C{k % 4}", 10.0 + k, "2025-12-10") for k in range(50)]
    po = {
        "po_id": "P1", "sku": "A", "supplier_id": "acme", "ordered_at": "2026-01-01",
        "quantity_ordered": 10, "quantity_received": 0, "quantity_open": 10,
        "expected_at": "2026-01-07", "expected_source": "erp",
    }  # fmt: skip
    folder = write_state(tmp_path / "state", receivables=rows, purchase_orders=[po])
    results = []
    for level in (5, 40):
        patch = {
            "initial_state": str(folder),
            "suppliers": {"acme": {"lead_time_days": {"dist": "gamma", "shape": 4, "scale": 1}}},
            "segments": {"shop": {"payment": {"delay_days": {"dist": "gamma", "shape": 3,
                                                             "scale": 12}}}},
            "inventory": {"default": {"policy": {"kind": "base_stock", "level": level}}},
        }  # fmt: skip
        results.append(run_replication(Scenario.model_validate(deep_merge(SCENARIO, patch)), 0))
    first, second = (r.tables for r in results)
    state_rows = [t["invoices"][t["invoices"]["order_id"] == -1] for t in (first, second)]
    assert state_rows[0].reset_index(drop=True).equals(state_rows[1].reset_index(drop=True))
    open_po = [t["purchases"][t["purchases"]["t_order"] < 0] for t in (first, second)]
    assert open_po[0]["t_receipt"].tolist() == open_po[1]["t_receipt"].tolist()
    # and the policies do differ: the larger base stock orders more at once
    assert len(second["purchases"]) > len(first["purchases"]) or (
        second["purchases"]["quantity"].sum() > first["purchases"]["quantity"].sum()
    )


def test_state_customers_map_onto_the_model_customers(tmp_path: Path) -> None:
    """A plain pool numbers the state's customers by rank modulo its size; a customer base
    gives a known id its row in the customers file; an anonymous line is its own customer."""
    from test_customer_base import cohort_scenario, write_history

    from twin.model.open_state import customer_numbers
    from twin.scenario.initial_state import read_state

    lines = [
        backlog_line(f"O{k}", 1, f"C{k}", "A", 1, 1.0, "2026-01-02") for k in (3, 1, 2, 4, 5, 6)
    ]
    lines.append(backlog_line("O9", 1, None, "A", 1, 1.0, "2026-01-02"))
    state = read_state(write_state(tmp_path / "state", backlog=lines))
    plain = Scenario.model_validate(deep_merge(SCENARIO, {"segments": {"shop": {"customers": 3}}}))
    numbers, notes = customer_numbers(plain, state)
    # sorted keys: C1 C2 C3 C4 C5 C6 anonymous:O9 -> 0 1 2 0 1 2 0
    assert [numbers[("shop", f"C{k}")] for k in range(1, 7)] == [0, 1, 2, 0, 1, 2]
    assert numbers[("shop", "anonymous:O9")] == 0
    assert any("share a customer number" in note for note in notes)

    history = write_history(tmp_path, "pareto_nbd", n=20)
    known = pd.read_csv(history)["customer"].astype(str).tolist()
    lines = [backlog_line("O1", 1, known[7], "A", 1, 1.0, "2026-01-02")]
    lines.append(backlog_line("O2", 1, "stranger", "A", 1, 1.0, "2026-01-02"))
    state = read_state(write_state(tmp_path / "state2", backlog=lines))
    numbers, notes = customer_numbers(cohort_scenario(history, "pareto_nbd"), state)
    assert numbers[("shop", known[7])] == 7
    assert numbers[("shop", "stranger")] == 0
    assert any("not in its customers file" in note for note in notes)
