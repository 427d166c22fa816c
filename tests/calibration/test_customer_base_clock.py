"""The calendar clock the customer-base fit measures recency and age on."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.calibration.customer_base.clock import calendar_clock
from twin.calibration.customer_base.summaries import customer_summaries, summaries_at

FLAT = {"kind": "poisson", "rate_per_day": 3.0}
WEEKDAYS = {
    "kind": "poisson",
    "rate_per_day": 3.0,
    "weekday_multipliers": [1.3, 1.3, 1.3, 1.3, 1.3, 0.25, 0.25],
    "trend_per_year": 0.5,
}


def test_a_flat_calendar_is_plain_days() -> None:
    clock = calendar_clock(FLAT, dt.date(2024, 1, 1), pd.Timestamp("2024-12-31"))
    stamps = pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-03 12:00", "2024-07-01 00:00"]))
    np.testing.assert_allclose(clock(stamps), [0.0, 2.5, 182.0])


def test_a_weekday_calendar_counts_a_week_as_seven_days_and_a_weekend_as_less() -> None:
    """The shape has mean 1 over a year (level and trend left out, as in the model), so a whole
    week is 7 calendar-weighted days to within the year's edge effect, and a weekend much less."""
    clock = calendar_clock(WEEKDAYS, dt.date(2024, 1, 1), pd.Timestamp("2024-12-31"))
    monday, saturday, next_monday = clock(
        pd.Series(pd.to_datetime(["2024-01-08", "2024-01-13", "2024-01-15"]))
    )
    assert abs((next_monday - monday) - 7.0) < 0.05
    assert abs((next_monday - saturday) - 0.5) < 0.05  # two weekend days at 0.25 each


def test_summaries_on_the_clock_keep_frequency_and_order_recency_within_age() -> None:
    orders = pd.DataFrame(
        {
            "order_id": ["a", "b", "c", "d"],
            "customer_id": ["c1", "c1", "c2", "c1"],
            "ordered_at": pd.to_datetime(["2024-01-08", "2024-01-13", "2024-02-01", "2024-03-04"]),
        }
    )
    as_of = pd.Timestamp("2024-04-01")
    clock = calendar_clock(WEEKDAYS, dt.date(2024, 1, 1), as_of)
    plain = customer_summaries(orders, as_of)
    weighted = customer_summaries(orders, as_of, clock)
    assert weighted["frequency"].tolist() == plain["frequency"].tolist() == [2, 0]
    assert (weighted["recency_days"] <= weighted["age_days"]).all()
    # about 12 weeks from 2024-01-08 to 2024-04-01 (both Mondays): close to plain days
    assert abs(weighted["age_days"].iloc[0] - plain["age_days"].iloc[0]) < 1.0


def test_summaries_at_many_cuts_are_those_of_each_cut_alone() -> None:
    """The residual fit's weekly summaries, from one sort of the orders, are bit for bit and in
    the same customer order what ``customer_summaries`` gives at each cut: cuts before the first
    order, between and on order times, after the last; same-day orders, ids out of order and
    orders without a customer id."""
    rng = np.random.default_rng(17)
    n = 300
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.round(rng.uniform(0.0, 200.0, n), 1), unit="D"
    )
    customers = pd.Series(rng.choice([f"c{i}" for i in range(40)], n), dtype=object)
    customers[rng.uniform(size=n) < 0.05] = None
    orders = pd.DataFrame(
        {"order_id": [f"o{i}" for i in range(n)], "customer_id": customers, "ordered_at": stamps}
    )
    cuts = [pd.Timestamp("2023-12-01"), stamps[5], stamps[6] + pd.Timedelta(hours=1)]
    cuts += list(pd.date_range("2024-01-01", "2024-08-01", freq="7D"))
    as_of = pd.Timestamp("2024-08-01")
    for clock in (None, calendar_clock(WEEKDAYS, dt.date(2024, 1, 1), as_of)):
        for cut, arrays in zip(cuts, summaries_at(orders, cuts, clock), strict=True):
            alone = customer_summaries(orders, cut, clock)
            for column, values in zip(
                ("frequency", "recency_days", "age_days"), arrays, strict=True
            ):
                assert alone[column].to_numpy(dtype=float).tobytes() == values.tobytes()
