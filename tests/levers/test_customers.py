"""The customer loop: satisfaction, repeat purchase, churn and the CRM pipeline.

Exact traces on ``tiny`` (worked out by hand in each test), direction tests on a small Poisson
scenario with common random numbers (same seed, one setting changed), and a statistical check
that the thinned order stream keeps the fitted rate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import simpy
from conftest import deep_merge

from twin.kpis import compute_kpis
from twin.model.customers import curve_score
from twin.model.network import build, run_replication
from twin.records import Recorder
from twin.scenario.customers import ScoreCurve
from twin.scenario.schema import Scenario
from twin.streams import Streams

#: Day 0.5 and day 10.5 (noon) replayed orders of tiny's only customer.
TWO_ORDERS = {
    "segments": {
        "shop": {"arrivals": {"kind": "replay", "times": ["2026-01-05T12:00", "2026-01-15T12:00"]}}
    }
}
#: The loop with no churn and orders independent of the score (so every replayed order is
#: placed), default curves: delivery 4.5 - 2.5 / (1 + exp(-(d - 3) / 1)).
LOOP = {"customers": {"churn": {"base_per_year": 0.0}, "repeat": {"sensitivity_per_point": 0.0}}}


def poisson(patch: dict[str, Any] | None = None) -> Scenario:
    """A year of one segment of 40 customers ordering 10 orders/day of 2 SKUs, stock plenty,
    transit 1 day against a promise of 3: on time unless a patch says otherwise."""
    data = {
        "name": "loop",
        "run": {"start_date": "2026-01-05", "horizon_days": 365.0, "seed": 7},
        "products": [
            {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
            {"sku": "B", "unit_cost": 4.0, "price": 7.0, "supplier": "acme"},
        ],
        "suppliers": {"acme": {"lead_time_days": 2.0}},
        "segments": {
            "shop": {
                "customers": 40,
                "arrivals": {"kind": "poisson", "rate_per_day": 10.0},
                "quantity": 1,
                "promised_lead_time_days": 3.0,
                "transit_days": 1.0,
            }
        },
        "inventory": {
            "default": {
                "policy": {"kind": "base_stock", "level": 200},
                "review": {"kind": "continuous"},
                "shortage": "backorder",
            }
        },
        "customers": {
            "repeat": {"sensitivity_per_point": 0.5},
            "churn": {"base_per_year": 0.2, "sensitivity_per_point": 1.0},
        },
    }
    return Scenario.model_validate(deep_merge(data, patch or {}))


def kpis(scenario: Scenario) -> dict[str, float]:
    return compute_kpis(run_replication(scenario, 0), scenario.costs)


# --------------------------------------------------------------------------- exact traces


def test_the_score_curve_is_the_logistic_form_clipped_to_the_scale() -> None:
    curve = ScoreCurve(score_on_time=4.5, score_drop=2.5, midpoint_days=3.0, width_days=1.0)

    assert curve_score(curve, 3.0) == 4.5 - 1.25
    assert curve_score(curve, 4.0) == pytest.approx(4.5 - 2.5 / (1 + math.exp(-1.0)))
    assert curve_score(ScoreCurve(score_on_time=5.0, score_drop=5.0), 100.0) == 1.0


def test_a_late_delivery_lowers_the_score_by_the_worked_out_amount(tiny) -> None:
    # Transit 8 days: the orders of day 0.5 and 10.5 (promised 5.5 and 15.5) arrive at 8.5 and
    # 18.5, 3 days late, the curve's midpoint: experience 4.5 - 2.5 / 2 = 3.25. From the initial
    # 4.0 with weight 0.3: 4.0 + 0.3 (3.25 - 4.0) = 3.775, then 3.775 + 0.3 (3.25 - 3.775) = 3.6175.
    scenario = tiny(TWO_ORDERS, LOOP, {"segments": {"shop": {"transit_days": 8.0}}})

    result = run_replication(scenario, 0)

    experiences = result.tables["customer_experiences"]
    assert experiences[["t", "customer", "order_id", "kind", "days"]].values.tolist() == [
        [8.5, 0, 0, 0, 3.0],
        [18.5, 0, 1, 0, 3.0],
    ]
    assert experiences["score"].tolist() == [3.25, 3.25]
    assert experiences["satisfaction"].tolist() == pytest.approx([3.775, 3.6175])
    assert kpis(scenario)["satisfaction_mean"] == pytest.approx(3.6175)


def test_an_on_time_delivery_raises_a_low_score(tiny) -> None:
    # Transit 2: delivered at 2.5, promised 5.5, 3 days early: 4.5 - 2.5 / (1 + e^6). From a
    # start of 2.0: 2.0 + 0.3 (x - 2.0).
    scenario = tiny(LOOP, {"customers": {"satisfaction": {"initial_score": 2.0}}})

    experiences = run_replication(scenario, 0).tables["customer_experiences"]

    x = 4.5 - 2.5 / (1 + math.exp(6.0))
    assert experiences["days"].tolist() == [-3.0]
    assert experiences["score"].tolist() == pytest.approx([x])
    assert experiences["satisfaction"].tolist() == pytest.approx([2.0 + 0.3 * (x - 2.0)])


def test_a_churned_customers_later_orders_are_not_placed(tiny) -> None:
    # A hazard so high that the churn probability of a week is 1.0 in floating point: the only
    # customer leaves at the first review, day 7, between its orders of day 0.5 and day 10.5.
    scenario = tiny(TWO_ORDERS, {"customers": {"churn": {"base_per_year": 1e9}}})

    result = run_replication(scenario, 0)

    assert result.tables["orders"]["t_arrival"].tolist() == [0.5]
    events = result.tables["customer_events"]
    assert events[["t", "customer", "event"]].values.tolist() == [[0.0, 0, 0], [7.0, 0, 2]]
    # delivered at 2.5, 3 days early, before it left
    assert events["satisfaction"].iloc[1] == pytest.approx(
        4.0 + 0.3 * (curve_score(ScoreCurve(), -3.0) - 4.0)
    )
    values = kpis(scenario)
    assert values["customers_churned"] == 1.0
    assert values["active_customers_end"] == 0.0
    # one customer for 7 of the 30 days: 7/30 on average; 1 churn in 7/365 customer-years
    assert values["active_customers_mean"] == pytest.approx(7.0 / 30.0)
    assert values["churn_rate_per_year"] == pytest.approx(365.0 / 7.0)
    assert math.isnan(values["satisfaction_mean"])


def test_credit_and_service_experiences_score_as_stated(tiny) -> None:
    # The interface the credit and after-sales levers call, on tiny's customer (score 4.0):
    # held 2 days scores 4.5 - 0.25 x 2 = 4.0 (no change); a rejection scores 1.0; a ticket
    # resolved in 5 days, the service curve's midpoint, scores 4.5 - 2.5 / 2 = 3.25.
    scenario = tiny(LOOP)
    network = build(simpy.Environment(), scenario, Streams(1, 0), Recorder())
    base = network.customers

    class Held:  # the order attributes the base reads
        segment, customer, id = 0, 0, 3

    base.credit_held(Held(), 2.0, False)
    base.credit_held(Held(), 4.0, True)
    base.serviced(0, 0, 1.0, 5.0)

    rows = network.recorder.customer_experiences.frame()
    assert rows["kind"].tolist() == [1, 2, 3]
    assert rows["order_id"].tolist() == [3, 3, -1]
    assert rows["score"].tolist() == pytest.approx([4.0, 1.0, 3.25])
    first = 4.0
    second = first + 0.3 * (1.0 - first)
    third = second + 0.3 * (3.25 - second)
    assert rows["satisfaction"].tolist() == pytest.approx([first, second, third])


def test_the_pipeline_trace_with_one_rep(tiny) -> None:
    # Rep work of 8 hours (1/3 day) on a 24/7 calendar, then a 10-day cycle; every opportunity
    # is won and becomes customer 1, 2, ... of the segment in order of winning.
    scenario = tiny(
        LOOP,
        {
            "staffing": {
                "calendars": {
                    "always": {
                        "shifts": ["00:00-24:00"],
                        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    }
                },
                "sales_rep": {"headcount": 1, "calendar": "always"},
            },
            "customers": {
                "pipeline": {
                    "leads_per_day": {"shop": 0.5},
                    "rep_hours": 8.0,
                    "cycle_days": 10.0,
                    "win_probability": 1.0,
                }
            },
        },
    )

    result = run_replication(scenario, 0)

    opportunities = result.tables["opportunities"]
    assert len(opportunities) > 3
    closed = opportunities[opportunities["t_closed"].notna()]
    assert (closed["t_work_end"] - closed["t_work_start"]).to_numpy() == pytest.approx(1 / 3)
    # one rep, FIFO: work starts at the later of the lead and the previous work's end
    previous_end = 0.0
    for row in opportunities.itertuples():
        if math.isnan(row.t_work_start):
            continue
        assert row.t_work_start == pytest.approx(max(row.t_lead, previous_end))
        previous_end = row.t_work_end
    assert (closed["t_closed"] - closed["t_work_end"]).to_numpy() == pytest.approx(10.0)
    assert closed.sort_values("t_closed")["customer"].tolist() == list(range(1, len(closed) + 1))
    still_open = opportunities[opportunities["t_closed"].isna()]
    assert (still_open["t_lead"] > 30.0 - 10.0 - 1.0).all()
    assert not still_open["won"].any()
    events = result.tables["customer_events"]
    acquired = events[events["event"] == 1]
    assert acquired["t"].tolist() == closed.sort_values("t_closed")["t_closed"].tolist()
    values = compute_kpis(result, scenario.costs)
    assert values["opportunities"] == len(opportunities)
    assert values["opportunities_won"] == len(closed)
    assert values["customers_acquired"] == len(closed)
    assert values["pipeline_conversion"] == 1.0
    # every opportunity asked a rep once (those still waiting at the horizon included)
    assert result.tables["staff_jobs"]["role"].eq("sales_rep").sum() == len(opportunities)


# --------------------------------------------------------------------------- nothing changes


def test_a_neutral_loop_places_exactly_the_orders_without_it(tiny) -> None:
    # Orders independent of the score, nobody leaves, no pipeline: every candidate is placed,
    # and the candidate book is the ordinary order book.
    neutral = {"customers": {"repeat": {"sensitivity_per_point": 0.0},
                             "churn": {"base_per_year": 0.0}}}  # fmt: skip
    for base in (tiny(TWO_ORDERS).model_dump(), poisson().model_dump(exclude={"customers"})):
        off = Scenario.model_validate({**base, "customers": None})
        on = Scenario.model_validate(deep_merge({**base, "customers": None}, neutral))
        a, b = run_replication(off, 0), run_replication(on, 0)
        pd.testing.assert_frame_equal(a.tables["orders"], b.tables["orders"])
        pd.testing.assert_frame_equal(a.tables["shipments"], b.tables["shipments"])
        assert len(a.tables["customer_events"]) == 0
        assert compute_kpis(a, off.costs).keys() < compute_kpis(b, on.costs).keys()


# --------------------------------------------------------------------------- directions


def test_late_deliveries_lower_satisfaction_raise_churn_and_cut_later_orders() -> None:
    # Transit 8 against a promise of 3 (5 days late, experience ~2.3) versus 1 (on time,
    # ~4.5): same seed, so both see the same candidate orders and churn uniforms.
    on_time = run_replication(poisson(), 0)
    late_scenario = poisson({"segments": {"shop": {"transit_days": 8.0}}})
    late = run_replication(late_scenario, 0)
    k_on, k_late = (compute_kpis(r, late_scenario.costs) for r in (on_time, late))

    assert k_late["satisfaction_mean"] < k_on["satisfaction_mean"] - 1.0
    assert k_late["customers_churned"] > k_on["customers_churned"]
    assert k_late["active_customers_end"] < k_on["active_customers_end"]

    def second_half(result) -> int:
        return int((result.tables["orders"]["t_arrival"] >= 182.5).sum())

    assert second_half(late) < 0.8 * second_half(on_time)


def pipeline_patch(headcount: int, win: float) -> dict[str, Any]:
    return {
        "staffing": {
            "calendars": {"office": {"shifts": ["09:00-17:00"]}},
            "sales_rep": {"headcount": headcount, "calendar": "office"},
        },
        "customers": {
            "pipeline": {
                "leads_per_day": {"shop": 1.0},
                "rep_hours": {"dist": "exponential", "mean": 12.0},
                "cycle_days": {"dist": "gamma", "shape": 2.0, "scale": 10.0},
                "win_probability": win,
            }
        },
    }


def test_more_sales_reps_or_a_higher_win_probability_acquire_more_customers() -> None:
    # 1 lead/day x 12 h of work needs 1.7 reps working 8 h on weekdays: one rep is a bottleneck.
    base = kpis(poisson(pipeline_patch(1, 0.3)))
    more_reps = kpis(poisson(pipeline_patch(3, 0.3)))
    higher_win = kpis(poisson(pipeline_patch(1, 0.6)))

    assert more_reps["customers_acquired"] > 1.5 * base["customers_acquired"]
    assert higher_win["customers_acquired"] > 1.5 * base["customers_acquired"]
    assert base["opportunities"] == more_reps["opportunities"] == higher_win["opportunities"]
    assert more_reps["active_customers_mean"] > base["active_customers_mean"]


def test_won_customers_order_like_the_others() -> None:
    scenario = poisson(pipeline_patch(3, 0.6))
    result = run_replication(scenario, 0)

    orders = result.tables["orders"]
    events = result.tables["customer_events"]
    won = events[events["event"] == 1].set_index("customer")["t"]
    new = orders[orders["customer"] >= 40]
    assert len(new) > 100
    # a won customer orders only after it was won
    assert (new["t_arrival"].to_numpy() >= won.loc[new["customer"]].to_numpy()).all()


# --------------------------------------------------------------------------- the fitted rate


def test_without_experiences_or_churn_the_thinned_orders_keep_the_fitted_rate() -> None:
    # Every delivery scores exactly the reference 4.0 (a flat curve), nobody churns: each
    # customer keeps propensity 1, so the candidates (drawn at p(5) = e^(0.8 x 1) = 2.23 times
    # the rate) are thinned back to a Poisson stream of the fitted 10/day. Over 365 days the
    # count is Poisson with mean 3650 and SE sqrt(3650) = 60; 4 SE leaves a false alarm of
    # 6e-5 (and the seeds are fixed).
    flat = {
        "customers": {
            "repeat": {"sensitivity_per_point": 0.8},
            "churn": {"base_per_year": 0.0},
            "satisfaction": {"delivery": {"score_on_time": 4.0, "score_drop": 0.0}},
        }
    }
    expected = 10.0 * 365.0
    for seed in (7, 8, 9):
        scenario = poisson(deep_merge(flat, {"run": {"seed": seed}}))
        network = build(simpy.Environment(), scenario, Streams(seed, 0), Recorder())
        candidates = len(network.sources[0].book.times)
        assert abs(candidates - expected * math.exp(0.8)) < 4 * math.sqrt(expected * 2.23)
        placed = kpis(scenario)["orders"]
        assert abs(placed - expected) < 4 * math.sqrt(expected)


def test_same_seed_same_customer_tables() -> None:
    scenario = poisson(pipeline_patch(1, 0.3))
    a, b = run_replication(scenario, 0), run_replication(scenario, 0)
    for table in ("customer_events", "customer_experiences", "opportunities", "orders"):
        pd.testing.assert_frame_equal(a.tables[table], b.tables[table])
    other = run_replication(scenario, 1)
    assert not np.array_equal(
        a.tables["opportunities"]["t_lead"].to_numpy()[:5],
        other.tables["opportunities"]["t_lead"].to_numpy()[:5],
    )
