"""After-sales service: tickets from delivered units, spare parts ahead of customers, engineers.

The trace test builds ``tiny`` with a second SKU B (the part) and opens one ticket by hand, so
every time is worked out below; the statistical test checks the failure draws against the
stated Weibull rate; the conservation test adds spare issues to the unit balance; the KPI test
uses hand-made tables; the bad-input tests go through the CLI like ``tests/cli``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
from click.testing import CliRunner

from twin.cli import cli
from twin.kpis import compute_kpis, physical_stock_steps
from twin.kpis import service as service_kpis
from twin.model.network import build, collect, run_replication
from twin.model.service import binomial_by_inversion
from twin.records import COLUMNS, Recorder, RunResult
from twin.scenario.service import FailureRate
from twin.streams import Streams

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"

OFFICE = {"shifts": ["08:00-17:00"]}  # Mon-Fri; day 0 is Monday 2026-01-05
ALWAYS = {"shifts": ["00:00-24:00"], "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}

#: tiny with a part B (none in stock, base stock 0) that customers order, an office engineer,
#: travel 2 h and repair 4 h; A never fails by itself (the ticket is opened by hand)
PART = {
    "products": [
        {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
        {"sku": "B", "unit_cost": 2.0, "price": 5.0, "supplier": "acme"},
    ],
    "segments": {"shop": {"sku_mix": {"kind": "weights", "weights": {"B": 1.0}}}},
    "inventory": {"skus": {"B": {"policy": {"kind": "base_stock", "level": 0}}}},
    "staffing": {
        "calendars": {"office": OFFICE},
        "service_engineer": {"headcount": 1, "calendar": "office"},
    },
    "after_sales": {
        "travel_hours": 2.0,
        "repair_hours": 4.0,
        "spare_parts": {"A": [{"part": "B", "quantity": 1, "probability": 1.0}]},
    },
}


def test_a_spare_part_is_served_ahead_of_a_waiting_customer(tiny) -> None:
    scenario = tiny(PART)
    env = simpy.Environment()
    network = build(env, scenario, Streams(1, 0), Recorder())
    service = network.service

    def open_ticket():
        # the order (2 units of B, day 0.5) is backordered whole; a unit of A it came with
        # (by hand) fails at day 1.0 and its repair needs one B
        yield env.timeout(1.0)
        env.process(service._ticket(network.fulfilment.orders.live[0], 0, -1, 0.0))

    env.process(open_ticket())
    env.run(until=scenario.run.horizon_days)
    result = collect(network, 0)
    t = result.tables

    # B: order 2 at 0.5 (position -2), 1 more at 1.0 for the spare (position -1); lead 3 days
    purchases = t["purchases"]
    assert purchases[["sku", "t_order", "quantity", "t_receipt"]].values.tolist() == [
        [1, 0.5, 2, 3.5],
        [1, 1.0, 1, 4.0],
    ]
    # the receipt at 3.5 (2 units) gives the spare its unit first, the customer the other one;
    # the customer's second unit comes with the receipt at 4.0
    spares = t["spare_issues"]
    assert spares.values.tolist() == [[3.5, 1, 1, 0]]
    shipments = t["shipments"]
    assert shipments[["t_shipped", "units"]].values.tolist() == [[3.5, 1], [4.0, 1]]
    changes = t["stock_changes"]
    b = changes[changes["sku"] == 1]
    assert b[["t", "on_hand_delta", "backlog_delta"]].values.tolist() == [
        [0.5, 0, 2],
        [1.0, 0, 1],
        [3.5, 0, -2],
        [4.0, 0, -1],
    ]
    # dispatched at 3.5 (Thursday noon): sets off at once, on site 14:00, repairs 14:00-17:00
    # and Friday 08:00-09:00
    tickets = t["tickets"]
    assert len(tickets) == 1
    row = tickets.iloc[0]
    assert (row["ticket_id"], row["order_id"], row["sku"], row["parts"]) == (0, 0, 0, 1)
    assert row["t_failed"] == 1.0
    assert row["t_dispatched"] == 3.5
    assert row["t_start"] == pytest.approx(3.5)
    assert row["t_on_site"] == pytest.approx(3.5 + 2 / 24)
    assert row["t_resolved"] == pytest.approx(4 + 9 / 24)
    assert row["travel_days"] == pytest.approx(2 / 24)
    assert row["repair_days"] == pytest.approx(4 / 24)
    kpis = compute_kpis(result, scenario.costs)
    assert kpis["tickets"] == 1.0
    assert kpis["response_mean_days"] == pytest.approx(2.5)
    assert kpis["resolution_mean_days"] == pytest.approx(3 + 9 / 24)
    assert kpis["parts_wait_mean_days"] == pytest.approx(2.5)
    assert kpis["spare_units_issued"] == 1.0
    assert kpis["tickets_open_at_end"] == 0.0
    # one ticket waiting for its part over [1.0, 3.5) of a 30-day window
    assert kpis["tickets_waiting_parts_mean"] == pytest.approx(2.5 / 30)


def test_a_spare_part_in_stock_is_issued_at_once(tiny) -> None:
    scenario = tiny(PART, {"inventory": {"skus": {"B": {"initial_on_hand": 3}}}})
    env = simpy.Environment()
    network = build(env, scenario, Streams(1, 0), Recorder())
    issued = []
    env.run(until=0.25)
    assert network.stock.issue_spare(1, 2, lambda: issued.append(env.now), 7)
    assert issued == [0.25] and network.stock.on_hand[1] == 1
    assert network.recorder.spare_issues.rows == [(0.25, 1, 2, 7)]


#: many deliveries of A, which fails at a stated rate; engineers never the bottleneck
RATE = {
    "run": {"horizon_days": 200.0},
    "segments": {"shop": {"customers": 50, "arrivals": {"kind": "poisson", "rate_per_day": 30.0}}},
    "inventory": {"default": {"policy": {"kind": "base_stock", "level": 100000}}},
    "staffing": {
        "calendars": {"always": ALWAYS},
        "service_engineer": {"headcount": 200, "calendar": "always"},
    },
    "after_sales": {
        "failures": {"default": {"annual_failure_probability": 0.6, "shape": 1.5}},
        "travel_hours": {"dist": "exponential", "mean": 2.0},
        "repair_hours": 3.0,
    },
}


def test_tickets_match_the_stated_failure_rate(tiny) -> None:
    scenario = tiny(RATE)
    result = run_replication(scenario, 0)
    rate = FailureRate(annual_failure_probability=0.6, shape=1.5)
    shipments = result.tables["shipments"]
    delivered = shipments[shipments["t_delivered"] < 200.0]
    p = np.array([rate.probability_by(200.0 - t) for t in delivered["t_delivered"]])
    units = delivered["units"].to_numpy()
    expected = float((units * p).sum())
    tickets = result.tables["tickets"]
    # the count is a sum of independent binomials: variance sum n p (1 - p); 4 standard
    # errors leave a false alarm at about 6e-5 with the seed fixed anyway
    se = math.sqrt(float((units * p * (1 - p)).sum()))
    assert expected > 1000
    assert abs(len(tickets) - expected) < 4 * se
    # ages (failure - delivery) follow the truncated Weibull: P(age <= a | fails by w)
    # batch: the row of the shipment in `shipments`
    batch = shipments.iloc[tickets["batch"].to_numpy()]
    ages = tickets["t_failed"].to_numpy() - batch["t_delivered"].to_numpy()
    assert (ages >= 0).all()
    windows = 200.0 - batch["t_delivered"].to_numpy()
    # the conditional CDF value of each age is uniform on [0, 1): mean 1/2, SE 1/sqrt(12 n)
    u = np.array(
        [
            rate.probability_by(a) / rate.probability_by(w)
            for a, w in zip(ages, windows, strict=True)
        ]
    )
    assert abs(u.mean() - 0.5) < 4 / math.sqrt(12 * len(u))
    # every ticket is for a unit of A, of a shipment to its order
    assert (tickets["order_id"].to_numpy() == batch["order_id"].to_numpy()).all()
    kpis = compute_kpis(result, scenario.costs)
    assert kpis["tickets"] == len(tickets)
    assert kpis["response_mean_days"] == pytest.approx(0.0)  # 200 engineers never queue


def test_binomial_by_inversion_has_the_binomial_mean() -> None:
    rng = np.random.default_rng(5)
    counts = np.array([binomial_by_inversion(40, 0.1, u) for u in rng.random(20000)])
    # mean 4, SE sqrt(40 * 0.1 * 0.9 / 20000) ~ 0.013
    assert abs(counts.mean() - 4.0) < 0.06
    assert binomial_by_inversion(5, 0.0, 0.99) == 0
    assert binomial_by_inversion(5, 1.0, 0.0) == 5


def test_units_are_conserved_with_spare_parts(tiny) -> None:
    scenario = tiny(
        RATE,
        {
            "run": {"horizon_days": 120.0},
            "products": PART["products"],
            "inventory": {
                "default": {"policy": {"kind": "base_stock", "level": 40}},
                "skus": {"B": {"policy": {"kind": "base_stock", "level": 3}}},
            },
            "staffing": {"service_engineer": {"headcount": 2}},
            "after_sales": {
                "spare_parts": {"A": [{"part": "B", "quantity": 2, "probability": 0.7}]},
            },
        },
    )
    result = run_replication(scenario, 0)
    t = result.tables
    state = result.final_state
    assert len(t["spare_issues"]) > 0 and len(t["tickets"]) > 0
    orders = t["orders"]
    shipped = int(t["shipments"]["units"].sum())
    spare = int(t["spare_issues"]["units"].sum())
    facts = result.levers["after_sales"]
    customer_backlog = state["backlog_units"] - facts["spare_backlog_units"]
    reserved = (orders["units"] - orders["units_lost"]).sum() - shipped - customer_backlog
    assert reserved >= 0
    initial = int(result.initial_on_hand.sum())
    assert initial + state["units_received"] == state["free_units"] + reserved + shipped + spare
    # spare parts asked for = issued + still owed
    assert t["tickets"]["parts"].sum() == spare + facts["spare_backlog_units"]
    _, p_units, _ = physical_stock_steps(result)
    physical = initial + np.cumsum(p_units)
    assert (physical >= 0).all()
    assert physical[-1] == state["free_units"] + reserved


def test_after_sales_off_has_no_kpis_and_empty_tables(tiny) -> None:
    scenario = tiny()
    result = run_replication(scenario, 0)
    assert len(result.tables["tickets"]) == 0 and len(result.tables["spare_issues"]) == 0
    assert service_kpis.kpis(result, scenario.costs) == {}


def _result(tickets: list[tuple], spares: list[tuple]) -> RunResult:
    frame = {
        name: pd.DataFrame(rows, columns=[c for c, _ in COLUMNS[name]])
        for name, rows in (("tickets", tickets), ("spare_issues", spares))
    }
    return RunResult(
        scenario="s",
        replication=0,
        seed=1,
        horizon_days=10.0,
        warmup_days=2.0,
        start_date="2026-01-05",
        skus=("A",),
        unit_cost=np.array([1.0]),
        initial_on_hand=np.array([0]),
        segments=("shop",),
        roles={},
        tables=frame,
        final_state={},
        levers={"after_sales": {"engineers": 1.0, "spare_backlog_units": 0.0}},
    )


def test_kpis_on_hand_made_tables() -> None:
    nan = float("nan")
    # (id, order, segment, customer, sku, batch, failed, dispatched, start, on site, resolved,
    #  parts, travel, repair)
    tickets = [
        (0, 0, 0, 0, 0, 0, 1.0, 1.0, 1.5, 1.6, 2.0, 0, 0.1, 0.4),  # before the window
        (1, 1, 0, 0, 0, 1, 3.0, 4.0, 5.0, 5.1, 6.0, 1, 0.1, 0.9),
        (2, 2, 0, 1, 0, 2, 4.0, 4.0, 4.0, 4.1, 5.0, 0, 0.1, 0.9),
        (3, 3, 0, 1, 0, 3, 8.0, nan, nan, nan, nan, 2, 0.1, 0.9),  # waiting for parts
    ]
    spares = [(1.0, 0, 1, 0), (4.0, 0, 1, 1)]
    k = service_kpis.kpis(_result(tickets, spares), None)
    assert k["tickets"] == 3.0
    assert k["response_mean_days"] == pytest.approx((2.0 + 0.0) / 2)
    assert k["resolution_mean_days"] == pytest.approx((3.0 + 1.0) / 2)
    assert k["resolution_p95_days"] == pytest.approx(1.0 + 0.95 * 2.0)
    assert k["parts_wait_mean_days"] == pytest.approx(0.5)
    assert k["spare_units_issued"] == 1.0
    # waiting for parts: ticket 1 over [3, 4), ticket 3 over [8, 10): 3 ticket-days over 8 days
    assert k["tickets_waiting_parts_mean"] == pytest.approx(3.0 / 8.0)
    # open: ticket 1 [3, 6), ticket 2 [4, 5), ticket 3 [8, 10): 6 ticket-days
    assert k["tickets_open_mean"] == pytest.approx(6.0 / 8.0)
    assert k["tickets_open_at_end"] == 1.0
    assert set(k) == set(service_kpis.UNITS)


ENGINEER = "staffing:\n  service_engineer: {headcount: 1, calendar: office}\n"
BAD = {
    "a spare part that is not a product": (
        ENGINEER + "after_sales:\n  travel_hours: 1\n  repair_hours: 2\n"
        "  spare_parts:\n    A:\n      - {part: Z}\n",
        r"after_sales\.spare_parts\.A\.0\.part: spare part 'Z' is not a product",
    ),
    "a product in spare_parts that is not a product": (
        ENGINEER + "after_sales:\n  travel_hours: 1\n  repair_hours: 2\n"
        "  spare_parts:\n    Q: [{part: B}]\n",
        r"after_sales\.spare_parts\.Q: 'Q' is not a product",
    ),
    "a negative failure rate": (
        ENGINEER + "after_sales:\n  travel_hours: 1\n  repair_hours: 2\n"
        "  failures: {default: {annual_failure_probability: -0.1}}\n",
        r"after_sales\.failures\.default\.annual_failure_probability: must be at least 0",
    ),
    "a failure rate of one": (
        ENGINEER + "after_sales:\n  travel_hours: 1\n  repair_hours: 2\n"
        "  failures: {skus: {A: {annual_failure_probability: 1.0}}}\n",
        r"after_sales\.failures\.skus\.A\.annual_failure_probability: .*must be below 1",
    ),
    "no service engineer": (
        "after_sales:\n  travel_hours: 1\n  repair_hours: 2\n",
        r"after_sales: tickets need engineers: add the role staffing\.service_engineer",
    ),
    "a negative repair time": (
        ENGINEER + "after_sales:\n  travel_hours: 1\n"
        "  repair_hours: {dist: uniform, low: -1, high: 1}\n",
        r"after_sales\.repair_hours: .*cannot be negative",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_the_key_path_and_exits_2(case: str, tmp_path: Path) -> None:
    body, pattern = BAD[case]
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"extends: {SMALL}\n" + body)
    args = ["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet", "--no-report"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(r"s\.yaml.*" + pattern, result.output), result.output
