"""Exact event traces of tiny scenarios: every timestamp of an order's life, worked out by hand.

Each test replays a few orders at known times through the :data:`conftest.TINY` scenario (one SKU
A at price 15 and cost 10, orders of 2 units, supplier lead time 3 d, transit 2 d, payment 10 d
after invoice, base stock 5) with a small change, then compares the result tables with the
timeline written out in the test. All distributions are constants, so nothing is random.

Day 0 is Monday 2026-01-05; ``at(d, "HH:MM")`` is that clock time on day d. Times are compared to
1e-9 days (0.1 ms): the calendar adds fractions of a day, so the last bit may differ.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from twin.kpis import compute_kpis
from twin.model.network import run_replication

DAY0 = dt.date(2026, 1, 5)  # a Monday
TOL = 1e-9  # days


def at(day: int, clock: str = "00:00") -> float:
    """Clock time ``HH:MM`` on day ``day``, in days since the start."""
    hours, minutes = (int(x) for x in clock.split(":"))
    return day + hours / 24 + minutes / 1440


def stamp(day: int, clock: str = "00:00") -> str:
    """The replay timestamp of ``at(day, clock)``."""
    return f"{DAY0 + dt.timedelta(days=day)}T{clock}"


def replay(*times: str) -> dict:
    return {"segments": {"shop": {"arrivals": {"kind": "replay", "times": list(times)}}}}


def assert_table(frame: pd.DataFrame, expected: dict[str, list]) -> None:
    """``frame`` has exactly the rows of ``expected`` (by column): times to ``TOL``, the rest
    exactly; NaN matches NaN."""
    assert len(frame) == len(next(iter(expected.values()))), frame
    for column, values in expected.items():
        actual = frame[column].tolist()
        if frame[column].dtype.kind == "f":
            assert actual == pytest.approx(values, abs=TOL, nan_ok=True), column
        else:
            assert actual == values, column


OFFICE = {
    "calendars": {
        "office": {"shifts": ["08:00-17:00"], "weekdays": ["mon", "tue", "wed", "thu", "fri"]}
    },
    "order_desk": {"headcount": 1, "calendar": "office", "minutes_per_order": 60},
    "warehouse": {
        "headcount": 1,
        "calendar": "office",
        "minutes_per_shipment": 30,
        "minutes_per_line": 6,
    },
}


def test_order_desk_and_warehouse_work_only_in_office_hours(tiny):
    # Monday 06:00: the desk opens at 08:00 and takes an hour; picking takes 30 + 6 minutes.
    # Friday 16:30: half an hour of desk work on Friday, the other half on Monday from 08:00.
    scenario = tiny({"staffing": OFFICE}, replay(stamp(0, "06:00"), stamp(4, "16:30")))
    result = run_replication(scenario, 0)
    t = result.tables

    assert_table(
        t["staff_jobs"],
        {
            "role": ["order_desk", "warehouse", "order_desk", "warehouse"],
            "t_request": [at(0, "06:00"), at(0, "09:00"), at(4, "16:30"), at(7, "08:30")],
            "t_start": [at(0, "08:00"), at(0, "09:00"), at(4, "16:30"), at(7, "08:30")],
            "t_end": [at(0, "09:00"), at(0, "09:36"), at(7, "08:30"), at(7, "09:06")],
            "work_days": [1 / 24, 36 / 1440, 1 / 24, 36 / 1440],
        },
    )
    assert_table(
        t["orders"],
        {
            "order_id": [0, 1],
            "t_arrival": [at(0, "06:00"), at(4, "16:30")],
            "t_promised": [at(5, "06:00"), at(9, "16:30")],
            # the desk columns: when desk work began (at opening) and when the desk released it
            "t_desk_start": [at(0, "08:00"), at(4, "16:30")],
            "t_desk_end": [at(0, "09:00"), at(7, "08:30")],
            "t_first_ship": [at(0, "09:36"), at(7, "09:06")],
            "t_last_delivery": [at(2, "09:36"), at(9, "09:06")],
            "units": [2, 2],
            "units_filled": [2, 2],
            "units_delivered": [2, 2],
            "shipments": [1, 1],
        },
    )
    assert_table(
        t["shipments"],
        {
            "order_id": [0, 1],
            "t_ready": [at(0, "09:00"), at(7, "08:30")],
            "t_shipped": [at(0, "09:36"), at(7, "09:06")],
            "t_delivered": [
                at(2, "09:36"),
                at(9, "09:06"),
            ],  # transit runs on the clock, not shifts
            "lines": [1, 1],
            "units": [2, 2],
            "revenue": [30.0, 30.0],
            "cogs": [20.0, 20.0],
        },
    )
    assert_table(
        t["invoices"],
        {
            "order_id": [0, 1],
            "t_invoice": [at(2, "09:36"), at(9, "09:06")],  # invoiced on delivery
            "t_due": [at(32, "09:36"), at(39, "09:06")],  # + 30 d terms
            "amount": [30.0, 30.0],
            "t_settled": [at(12, "09:36"), at(19, "09:06")],  # paid 10 d after the invoice
            "written_off": [False, False],
        },
    )
    # base stock 5: each order of 2 is re-ordered at once and arrives 3 days later
    assert_table(
        t["purchases"],
        {
            "t_order": [at(0, "06:00"), at(4, "16:30")],
            "quantity": [2, 2],
            "t_receipt": [at(3, "06:00"), at(7, "16:30")],
        },
    )
    assert_table(
        t["stock_changes"],
        {
            "t": [at(0, "06:00"), at(3, "06:00"), at(4, "16:30"), at(7, "16:30")],
            "on_hand_delta": [-2, 2, -2, 2],
            "backlog_delta": [0, 0, 0, 0],
        },
    )
    assert result.final_state["free_units"] == 5
    assert result.final_state["open_receivables"] == 0.0


def test_a_holiday_closes_the_office_for_the_whole_day(tiny):
    # Monday 2026-01-12 (day 7) off: Friday's second half hour of desk work moves to Tuesday.
    staffing = {
        **OFFICE,
        "calendars": {"office": {**OFFICE["calendars"]["office"], "holidays": ["2026-01-12"]}},
    }
    scenario = tiny({"staffing": staffing}, replay(stamp(4, "16:30")))
    jobs = run_replication(scenario, 0).tables["staff_jobs"]
    assert_table(
        jobs,
        {
            "role": ["order_desk", "warehouse"],
            "t_start": [at(4, "16:30"), at(8, "08:30")],
            "t_end": [at(8, "08:30"), at(8, "09:06")],
        },
    )


def test_a_busy_desk_serves_its_queue_first_come_first_served(tiny):
    # two people on a 24/7 desk, an hour per order; orders at 12:00, 12:30, 12:40 and 12:50.
    # The third and fourth queue; the first person free (13:00) takes the third, the next (13:30)
    # the fourth.
    always = {
        "shifts": ["00:00-24:00"],
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    }
    staffing = {
        "calendars": {"always": always},
        "order_desk": {"headcount": 2, "calendar": "always", "minutes_per_order": 60},
    }
    arrivals = ["12:00", "12:30", "12:40", "12:50"]
    one_unit = {"segments": {"shop": {"quantity": 1}}}  # 4 units: stock (5) does not run out
    scenario = tiny({"staffing": staffing}, one_unit, replay(*(stamp(0, a) for a in arrivals)))
    t = run_replication(scenario, 0).tables
    assert_table(
        t["staff_jobs"],
        {
            "t_request": [at(0, a) for a in arrivals],
            "t_start": [at(0, "12:00"), at(0, "12:30"), at(0, "13:00"), at(0, "13:30")],
            "t_end": [at(0, "13:00"), at(0, "13:30"), at(0, "14:00"), at(0, "14:30")],
        },
    )
    ends = [at(0, "13:00"), at(0, "13:30"), at(0, "14:00"), at(0, "14:30")]
    # no warehouse staff: each order ships the moment the desk releases it
    assert_table(t["orders"], {"order_id": [0, 1, 2, 3], "t_desk_end": ends, "t_first_ship": ends})


# Backorders: 3 on hand, base stock 3, orders of 5 units on day 1 (A) and day 2 (B).
# Day 1: A takes 3, 2 backordered; position 0 + 0 - 2 = -2, so 5 are ordered (arrive day 4).
# Day 2: B finds nothing, 5 backordered; position 0 + 5 - 7 = -2, 5 more ordered (arrive day 5).
# Day 4: 5 arrive; FIFO: A's 2, then 3 of B's 5. Day 5: 5 arrive; B's last 2, 3 left on hand.
BACKORDERS = {
    "inventory": {"default": {"policy": {"level": 3}, "initial_on_hand": 3}},
    "segments": {
        "shop": {"quantity": 5, "arrivals": {"kind": "replay", "times": [stamp(1), stamp(2)]}}
    },
}


@pytest.mark.parametrize(
    ("mode", "shipments", "orders"),
    [
        pytest.param(
            "ship_partial",
            # A ships 3 at once and 2 on day 4; B ships 3 on day 4 and 2 on day 5
            {
                "order_id": [0, 0, 1, 1],
                "t_ready": [1.0, 4.0, 4.0, 5.0],
                "t_shipped": [1.0, 4.0, 4.0, 5.0],
                "t_delivered": [3.0, 6.0, 6.0, 7.0],
                "lines": [1, 1, 1, 1],
                "units": [3, 2, 3, 2],
                "revenue": [45.0, 30.0, 45.0, 30.0],
            },
            {"shipments": [2, 2], "t_first_ship": [1.0, 4.0], "t_last_delivery": [6.0, 7.0]},
            id="ship_partial",
        ),
        pytest.param(
            "ship_complete",
            # each order waits for its last unit and leaves whole
            # (one line, filled in two parts, is still one line to pick)
            {
                "order_id": [0, 1],
                "t_ready": [4.0, 5.0],
                "t_shipped": [4.0, 5.0],
                "t_delivered": [6.0, 7.0],
                "lines": [1, 1],
                "units": [5, 5],
                "revenue": [75.0, 75.0],
            },
            {"shipments": [1, 1], "t_first_ship": [4.0, 5.0], "t_last_delivery": [6.0, 7.0]},
            id="ship_complete",
        ),
    ],
)
def test_backorders_are_filled_fifo_when_the_purchase_order_arrives(tiny, mode, shipments, orders):
    scenario = tiny(BACKORDERS, {"fulfilment": {"mode": mode}})
    result = run_replication(scenario, 0)
    t = result.tables
    assert_table(
        t["purchases"], {"t_order": [1.0, 2.0], "quantity": [5, 5], "t_receipt": [4.0, 5.0]}
    )
    assert_table(
        t["stock_changes"],
        {
            "t": [1.0, 2.0, 4.0, 5.0],
            "on_hand_delta": [-3, 0, 0, 3],
            "backlog_delta": [2, 5, -5, -2],
        },
    )
    assert_table(
        t["orders"],
        {
            "units": [5, 5],
            "units_filled": [3, 0],
            "units_backordered": [2, 5],
            "units_lost": [0, 0],
            "units_delivered": [5, 5],
            **orders,
        },
    )
    assert_table(t["shipments"], shipments)
    invoices = t["invoices"]
    assert invoices["t_invoice"].tolist() == pytest.approx(shipments["t_delivered"], abs=TOL)
    assert invoices["amount"].tolist() == shipments["revenue"]
    assert invoices["t_settled"].tolist() == pytest.approx(
        [x + 10 for x in shipments["t_delivered"]], abs=TOL
    )
    assert result.final_state == pytest.approx(
        {
            "free_units": 3,
            "on_order_units": 0,
            "backlog_units": 0,
            "units_received": 10,
            "open_receivables": 0.0,
        }
    )


def test_ship_complete_holds_an_order_that_is_still_short_at_the_horizon(tiny):
    scenario = tiny(
        BACKORDERS, {"fulfilment": {"mode": "ship_complete"}, "run": {"horizon_days": 4.5}}
    )
    result = run_replication(scenario, 0)
    # A left on day 4; B has 3 of its 5 units reserved and waits for the day-5 receipt
    assert result.tables["shipments"]["order_id"].tolist() == [0]
    assert result.final_state["backlog_units"] == 2
    assert result.final_state["free_units"] == 0
    assert result.final_state["on_order_units"] == 5


def test_lost_sales_keep_no_backlog(tiny):
    scenario = tiny(BACKORDERS, {"inventory": {"default": {"shortage": "lost_sale"}}})
    result = run_replication(scenario, 0)
    t = result.tables
    # Day 1: A takes 3 and loses 2; position 0 -> order 3. Day 2: B finds nothing and is lost
    # whole; position 3 (on order) is at the level, so no order. Day 4: 3 arrive.
    assert_table(
        t["orders"],
        {
            "units": [5, 5],
            "units_filled": [3, 0],
            "units_backordered": [0, 0],
            "units_lost": [2, 5],
            "units_delivered": [3, 0],
            "shipments": [1, 0],
            "t_first_ship": [1.0, math.nan],
            "t_last_delivery": [3.0, math.nan],
        },
    )
    assert_table(t["purchases"], {"t_order": [1.0], "quantity": [3], "t_receipt": [4.0]})
    assert_table(
        t["stock_changes"], {"t": [1.0, 4.0], "on_hand_delta": [-3, 3], "backlog_delta": [0, 0]}
    )
    assert_table(t["shipments"], {"order_id": [0], "t_shipped": [1.0], "units": [3]})
    kpis = compute_kpis(result, scenario.costs)
    assert kpis["units_lost"] == 7
    assert kpis["fill_rate"] == pytest.approx(3 / 10)
    assert kpis["backorder_units_mean"] == 0.0


@pytest.mark.parametrize(
    ("policy", "min_order_quantity", "purchases"),
    [
        # positions after the orders of days 1-4: 8, 6, 4, ... ; s = 4 -> order up to 10 on day 3
        ({"kind": "min_max", "reorder_point": 4, "order_up_to": 10}, 0, [(3.0, 6)]),
        # the supplier's minimum lifts the order from 6 to 8
        ({"kind": "min_max", "reorder_point": 4, "order_up_to": 10}, 8, [(3.0, 8)]),
        # R = 4, Q = 5: one lot lifts the position to 9 > R
        ({"kind": "reorder_point_quantity", "reorder_point": 4, "quantity": 5}, 0, [(3.0, 5)]),
        # base stock 10 replaces every order one for one
        ({"kind": "base_stock", "level": 10}, 0, [(1.0, 2), (2.0, 2), (3.0, 2), (4.0, 2)]),
    ],
    ids=["min_max", "min_max_moq", "reorder_point_quantity", "base_stock"],
)
def test_continuous_review_orders_when_the_position_reaches_the_trigger(
    tiny, policy, min_order_quantity, purchases
):
    scenario = tiny(
        {
            "inventory": {"default": {"policy": policy, "initial_on_hand": 10}},
            "suppliers": {"acme": {"min_order_quantity": min_order_quantity}},
        },
        replay(stamp(1), stamp(2), stamp(3), stamp(4)),
    )
    t = run_replication(scenario, 0).tables
    assert_table(
        t["purchases"],
        {
            "sku": [0] * len(purchases),
            "t_order": [p[0] for p in purchases],
            "quantity": [p[1] for p in purchases],
            "t_receipt": [p[0] + 3.0 for p in purchases],
        },
    )


def test_continuous_review_orders_at_time_zero_when_it_starts_below_the_trigger(tiny):
    scenario = tiny({"inventory": {"default": {"initial_on_hand": 1}}}, replay(stamp(10)))
    t = run_replication(scenario, 0).tables
    assert_table(
        t["purchases"], {"t_order": [0.0, 10.0], "quantity": [4, 2], "t_receipt": [3.0, 13.0]}
    )


def test_periodic_review_orders_only_at_review_times(tiny):
    # base stock 10 reviewed every 7 days from day 0.5; orders of 2 on days 1, 2 and 9.
    # 0.5: position 10, nothing. 7.5: position 6 -> order 4 (arrives 10.5).
    # 14.5: on hand 6 - 2 + 4 = 8 -> order 2 (arrives 17.5). 21.5 is past the horizon.
    scenario = tiny(
        {
            "run": {"horizon_days": 20.0},
            "inventory": {
                "default": {
                    "policy": {"level": 10},
                    "review": {"kind": "periodic", "period_days": 7.0, "first_review_day": 0.5},
                }
            },
        },
        replay(stamp(1), stamp(2), stamp(9)),
    )
    t = run_replication(scenario, 0).tables
    assert_table(
        t["purchases"], {"t_order": [7.5, 14.5], "quantity": [4, 2], "t_receipt": [10.5, 17.5]}
    )
    assert_table(
        t["stock_changes"],
        {
            "t": [1.0, 2.0, 9.0, 10.5, 17.5],
            "on_hand_delta": [-2, -2, -2, 4, 2],
            "backlog_delta": [0, 0, 0, 0, 0],
        },
    )


@pytest.mark.parametrize(
    ("horizon_days", "open_amount", "bad_debt"), [(40.0, 30.0, 0.0), (60.0, 0.0, 30.0)]
)
def test_a_defaulting_customer_is_written_off_after_write_off_after_days(
    tiny, horizon_days, open_amount, bad_debt
):
    scenario = tiny(
        {
            "run": {"horizon_days": horizon_days},
            "segments": {
                "shop": {"payment": {"default_probability": 1.0, "write_off_after_days": 45.0}}
            },
        }
    )
    result = run_replication(scenario, 0)
    # noon day 0 -> shipped at once, delivered and invoiced on day 2.5, written off on day 47.5
    assert_table(
        result.tables["invoices"],
        {
            "t_invoice": [2.5],
            "t_due": [32.5],
            "amount": [30.0],
            "t_settled": [47.5],
            "written_off": [True],
        },
    )
    assert result.final_state["open_receivables"] == open_amount
    kpis = compute_kpis(result, scenario.costs)
    assert kpis["bad_debt"] == bad_debt
    assert kpis["revenue"] == 30.0


def test_replayed_times_outside_the_run_are_skipped_and_noted(tiny):
    scenario = tiny(replay("2026-01-04T12:00", stamp(3), stamp(30), stamp(31)))
    result = run_replication(scenario, 0)
    assert result.tables["orders"]["t_arrival"].tolist() == [3.0]
    assert result.notes == [
        "segment shop: 3 replayed order times fall outside the run and were not simulated"
    ]


def test_the_tiny_example_scenario_runs_as_its_comments_say(load_scenario):
    """``scenarios/tests/tiny.yaml`` writes out its own timeline; this holds the model to it."""
    scenario = load_scenario("tests/tiny.yaml")
    result = run_replication(scenario, 0)
    t = result.tables
    assert_table(
        t["orders"],
        {
            "t_arrival": [at(0, "10:00"), at(4, "16:45")],
            "units": [4, 4],
            "units_filled": [4, 2],
            "units_backordered": [0, 2],
            "t_desk_end": [at(0, "10:30"), at(7, "08:15")],
            "t_first_ship": [at(0, "14:15"), at(7, "14:15")],
            "t_last_delivery": [at(1, "14:15"), at(8, "14:30")],
            "shipments": [1, 2],
        },
    )
    assert_table(
        t["purchases"],
        {
            "t_order": [at(0, "10:00"), at(4, "16:45")],
            "quantity": [4, 4],
            "t_receipt": [at(7, "10:00"), at(11, "16:45")],
        },
    )
    assert_table(
        t["stock_changes"],
        {
            "t": [at(0, "10:00"), at(4, "16:45"), at(7, "10:00"), at(11, "16:45")],
            "on_hand_delta": [-4, -2, 2, 4],
            "backlog_delta": [0, 2, -2, 0],
        },
    )
    assert_table(
        t["staff_jobs"],
        {
            "role": ["order_desk", "warehouse", "order_desk", "warehouse", "warehouse"],
            "t_request": [
                at(0, "10:00"),
                at(0, "10:30"),
                at(4, "16:45"),
                at(7, "08:15"),
                at(7, "10:00"),
            ],
            "t_start": [
                at(0, "10:00"),
                at(0, "14:00"),
                at(4, "16:45"),
                at(7, "14:00"),
                at(7, "14:15"),
            ],
            "t_end": [
                at(0, "10:30"),
                at(0, "14:15"),
                at(7, "08:15"),
                at(7, "14:15"),
                at(7, "14:30"),
            ],
        },
    )
    assert_table(
        t["shipments"],
        {
            "order_id": [0, 1, 1],
            "t_ready": [at(0, "10:30"), at(7, "08:15"), at(7, "10:00")],
            "t_shipped": [at(0, "14:15"), at(7, "14:15"), at(7, "14:30")],
            "t_delivered": [at(1, "14:15"), at(8, "14:15"), at(8, "14:30")],
            "units": [4, 2, 2],
            "revenue": [100.0, 50.0, 50.0],
        },
    )
    assert_table(
        t["invoices"],
        {
            "order_id": [0, 1, 1],
            "t_invoice": [at(1, "14:15"), at(8, "14:15"), at(8, "14:30")],
            "amount": [100.0, 50.0, 50.0],
            "t_settled": [at(15, "14:15"), at(22, "14:15"), at(22, "14:30")],
            "written_off": [False, False, False],
        },
    )
    assert result.final_state == pytest.approx(
        {
            "free_units": 6,
            "on_order_units": 0,
            "backlog_units": 0,
            "units_received": 8,
            "open_receivables": 0.0,
        }
    )
