"""The segment's handling delay: exact traces, its composition with stock and staff, and that a
zero delay is the same model as no delay at all.

The traces use the :data:`conftest.TINY` scenario (one SKU, orders of 2 units, base stock 5,
supplier lead time 3 d, transit 2 d) with constant distributions, so every timestamp is worked out
by hand; times are compared to 1e-9 days as in ``test_traces.py``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from twin.distributions import parse_distribution
from twin.model.network import run_replication
from twin.scenario.schema import Scenario
from twin.streams import Sampler, Streams

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


def handling(days: object) -> dict:
    return {"segments": {"shop": {"handling_days": days}}}


def assert_table(frame: pd.DataFrame, expected: dict[str, list]) -> None:
    """``frame`` has exactly the rows of ``expected`` (by column): times to ``TOL``, the rest
    exactly."""
    assert len(frame) == len(next(iter(expected.values()))), frame
    for column, values in expected.items():
        actual = frame[column].tolist()
        if frame[column].dtype.kind == "f":
            assert actual == pytest.approx(values, abs=TOL, nan_ok=True), column
        else:
            assert actual == values, column


# desk 60 min, warehouse 30 min + 6 min a line, both Monday to Friday 08:00-17:00
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

# 3 on hand, base stock 3, orders of 5 units on day 1 (A) and day 2 (B): A takes 3 and waits
# for 2, B waits for 5; 5 units arrive on day 4 (A's 2, B's first 3) and 5 on day 5 (B's 2).
BACKORDERS = {
    "inventory": {"default": {"policy": {"level": 3}, "initial_on_hand": 3}},
    "segments": {
        "shop": {"quantity": 5, "arrivals": {"kind": "replay", "times": [stamp(1), stamp(2)]}}
    },
}


def test_an_order_waits_its_handling_time_before_it_ships(tiny):
    # Monday 12:00 with stock on hand; 1.5 d of handling: ready and shipped Wednesday 00:00,
    # delivered 2 d later and invoiced on delivery.
    scenario = tiny(handling(1.5), replay(stamp(0, "12:00")))
    t = run_replication(scenario, 0).tables
    assert_table(
        t["orders"],
        {
            "order_id": [0],
            "t_arrival": [at(0, "12:00")],
            "t_desk_end": [at(0, "12:00")],  # no desk: released to handling on arrival
            "t_first_ship": [at(2)],
            "t_last_delivery": [at(4)],
            "units_filled": [2],
            "units_delivered": [2],
            "shipments": [1],
        },
    )
    assert_table(
        t["shipments"],
        {"order_id": [0], "t_ready": [at(2)], "t_shipped": [at(2)], "t_delivered": [at(4)]},
    )
    assert_table(t["invoices"], {"order_id": [0], "t_invoice": [at(4)], "amount": [30.0]})
    # the stock is taken at arrival, not when the handling ends
    assert_table(t["purchases"], {"t_order": [at(0, "12:00")], "t_receipt": [at(3, "12:00")]})


@pytest.mark.parametrize(
    ("mode", "days", "shipments"),
    [
        # A (day 1: 3 on hand, 2 back on day 4) is released at 3.5 and ships its 3; its 2 follow
        # on day 4 at once (no second handling). B (day 2: 3 back on day 4, 2 on day 5) is
        # released at 4.5 with 3 filled meanwhile: they leave then, the last 2 on day 5.
        pytest.param(
            "ship_partial",
            2.5,
            {
                "order_id": [0, 0, 1, 1],
                "t_ready": [3.5, 4.0, 4.5, 5.0],
                "units": [3, 2, 3, 2],
                "lines": [1, 1, 1, 1],
            },
            id="partial-short-handling",
        ),
        # 4 d of handling outlasts every backorder: each order leaves whole when released.
        pytest.param(
            "ship_partial",
            4.0,
            {"order_id": [0, 1], "t_ready": [5.0, 6.0], "units": [5, 5], "lines": [1, 1]},
            id="partial-long-handling",
        ),
        # ship complete: ready at the later of handling done (3.5, 4.5) and stock there (4, 5)
        pytest.param(
            "ship_complete",
            2.5,
            {"order_id": [0, 1], "t_ready": [4.0, 5.0], "units": [5, 5], "lines": [1, 1]},
            id="complete-stock-later",
        ),
        pytest.param(
            "ship_complete",
            3.5,
            {"order_id": [0, 1], "t_ready": [4.5, 5.5], "units": [5, 5], "lines": [1, 1]},
            id="complete-handling-later",
        ),
    ],
)
def test_stock_arriving_during_handling_joins_the_first_shipment(tiny, mode, days, shipments):
    scenario = tiny(BACKORDERS, handling(days), {"fulfilment": {"mode": mode}})
    t = run_replication(scenario, 0).tables
    assert_table(t["purchases"], {"t_receipt": [4.0, 5.0], "quantity": [5, 5]})
    assert_table(t["shipments"], {**shipments, "t_shipped": shipments["t_ready"]})


def test_handling_follows_the_desk_and_precedes_the_warehouse(tiny):
    # Monday 06:00: desk 08:00-09:00, then 6 h of handling (clock time, not office hours) to
    # 15:00, then 36 minutes of picking. A Friday 16:30 order: the desk finishes Monday 08:00
    # (half an hour each day), handling to 14:00, picking to 14:36.
    scenario = tiny(
        {"staffing": OFFICE}, handling(0.25), replay(stamp(0, "06:00"), stamp(4, "16:30"))
    )
    t = run_replication(scenario, 0).tables
    assert_table(
        t["orders"],
        {
            "t_desk_start": [at(0, "08:00"), at(4, "16:30")],
            "t_desk_end": [at(0, "09:00"), at(7, "08:30")],
            "t_first_ship": [at(0, "15:36"), at(7, "15:06")],
        },
    )
    assert_table(
        t["shipments"],
        {
            "t_ready": [at(0, "15:00"), at(7, "14:30")],
            "t_shipped": [at(0, "15:36"), at(7, "15:06")],
            "t_delivered": [at(2, "15:36"), at(9, "15:06")],
        },
    )
    assert_table(
        t["staff_jobs"],
        {
            "role": ["order_desk", "warehouse", "order_desk", "warehouse"],
            "t_request": [at(0, "06:00"), at(0, "15:00"), at(4, "16:30"), at(7, "14:30")],
        },
    )


RANDOM = {
    "run": {"horizon_days": 60.0},
    "suppliers": {"acme": {"lead_time_days": {"dist": "gamma", "shape": 4.0, "scale": 1.0}}},
    "segments": {
        "shop": {
            "customers": 20,
            "arrivals": {"kind": "poisson", "rate_per_day": 6.0},
            "quantity": {"dist": "poisson", "mean": 2.0},
            "transit_days": {"dist": "gamma", "shape": 2.0, "scale": 1.0},
            "payment": {"delay_days": {"dist": "exponential", "mean": 10.0}},
        }
    },
    "inventory": {
        "default": {"policy": {"kind": "min_max", "reorder_point": 50, "order_up_to": 100}}
    },
}


def _tables(scenario: Scenario) -> dict[str, pd.DataFrame]:
    return run_replication(scenario, 0).tables


@pytest.mark.parametrize("zero", [0, 0.0, {"dist": "constant", "value": 0}])
def test_a_zero_handling_delay_is_the_model_without_one(tiny, zero):
    without = _tables(tiny(RANDOM))
    with_zero = _tables(tiny(RANDOM, handling(zero)))
    assert len(without["orders"]) > 200  # enough orders and stockouts to mean something
    assert (without["orders"]["units_backordered"] > 0).any()
    assert without.keys() == with_zero.keys()
    for name, frame in without.items():
        pd.testing.assert_frame_equal(frame, with_zero[name], check_exact=True, obj=name)


def test_a_random_handling_delay_draws_from_its_own_stream(tiny):
    # common random numbers: the delays have a stream of their own, so demand, allocation and
    # purchasing are the same order for order. Without a desk, order i draws the i-th delay of
    # stream ("handling", "shop"); an order that shipped on arrival without the delay ships
    # exactly that delay later with it, and no order ships earlier.
    spec = {"dist": "lognormal", "mean": 1.0, "sd": 0.5}
    scenario = tiny(RANDOM, handling(spec))
    base = run_replication(tiny(RANDOM), 0).tables
    delayed = run_replication(scenario, 0).tables
    for column in ("t_arrival", "customer", "units", "units_filled", "units_backordered"):
        pd.testing.assert_series_equal(base["orders"][column], delayed["orders"][column])
    pd.testing.assert_frame_equal(base["purchases"], delayed["purchases"])
    orders = base["orders"]
    draws = Sampler(
        parse_distribution(spec),
        Streams(scenario.run.seed, 0).generator("handling", "shop"),
    ).take(len(orders))
    first_without = orders["t_first_ship"].to_numpy()
    first_with = delayed["orders"]["t_first_ship"].to_numpy()
    on_arrival = first_without == orders["t_arrival"].to_numpy()
    assert on_arrival.sum() > 100 and (~on_arrival).sum() > 20  # both kinds of order occur
    expected = orders["t_arrival"].to_numpy() + np.asarray(draws)
    assert first_with[on_arrival] == pytest.approx(expected[on_arrival], abs=TOL)
    shipped = ~np.isnan(first_without) & ~np.isnan(first_with)
    assert (first_with[shipped] >= first_without[shipped] - TOL).all()
    assert (first_with[shipped] >= expected[shipped] - TOL).all()


def test_a_handling_time_that_can_be_negative_is_rejected(tiny):
    with pytest.raises(ValidationError, match="a handling time cannot be negative"):
        tiny(handling({"dist": "uniform", "low": -0.5, "high": 1.0}))
