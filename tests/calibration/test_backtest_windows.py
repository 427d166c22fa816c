"""Backtest origins, their checks, the weekly binning and the tolerances."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from twin.calibration.backtest import weekly_history, weekly_simulated
from twin.calibration.backtest_checks import DEFAULT_TOLERANCES, judge, parse_tolerances
from twin.calibration.backtest_windows import (
    MIN_TRAIN_WEEKS,
    check_origins,
    parse_origins,
    spread_origins,
    training_weeks,
)
from twin.calibration.validate import WARMUP_DAYS
from twin.errors import InputError
from twin.experiments.replicate import ReplicationOutput

FIRST = dt.date(2020, 1, 1)
END = dt.date(2021, 1, 1)  # the day after the active period


def test_origins_are_parsed_and_sorted():
    assert parse_origins("2020-09-01, 2020-07-01") == [dt.date(2020, 7, 1), dt.date(2020, 9, 1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2020-07-01,July", r"--origins 2020-07-01,July: 'July' is not a date"),
        ("2020-13-01", r"--origins 2020-13-01: '2020-13-01' is not a date"),
        ("2020-07-01,2020-07-01", r"--origins .*: a date is given twice"),
    ],
)
def test_bad_origins_name_the_option(text, message):
    with pytest.raises(InputError, match=message):
        parse_origins(text)


def test_an_origin_needs_the_minimum_training_weeks_before_it():
    earliest = FIRST + dt.timedelta(weeks=MIN_TRAIN_WEEKS)
    assert check_origins([earliest], FIRST, END, 13) == [earliest]
    with pytest.raises(InputError, match=r"--origins 2020-06-30: too little history before it"):
        check_origins([earliest - dt.timedelta(days=1)], FIRST, END, 13)


def test_an_origin_whose_window_runs_past_the_data_is_refused():
    latest = END - dt.timedelta(weeks=13)
    assert check_origins([latest], FIRST, END, 13) == [latest]
    with pytest.raises(InputError, match=r"--origins 2020-10-03: its 13-week window runs past"):
        check_origins([latest + dt.timedelta(days=1)], FIRST, END, 13)


def test_spread_origins_lie_within_the_bounds_on_month_starts():
    origins = spread_origins(FIRST, END, 13, 4)
    assert len(origins) == 4 and origins == sorted(origins)
    earliest, latest = FIRST + dt.timedelta(weeks=26), END - dt.timedelta(weeks=13)
    assert all(earliest <= o <= latest for o in origins)
    assert [o.day for o in origins] == [1, 1, 1, 1]
    assert spread_origins(FIRST, END, 13, 1) == [dt.date(2020, 10, 1)]  # the latest month start


def test_spread_origins_stay_even_when_month_starts_would_collide():
    # 2017-07-02 .. 2017-10-02 allowed: month starts would give 08-01 twice
    origins = spread_origins(dt.date(2017, 1, 1), dt.date(2018, 1, 1), 13, 4)
    assert origins == [dt.date(2017, 7, 2), dt.date(2017, 8, 2), dt.date(2017, 9, 1),
                       dt.date(2017, 10, 2)]  # fmt: skip


def test_spread_origins_without_room_name_the_option():
    with pytest.raises(InputError, match=r"--horizon-weeks 30: .* too short"):
        spread_origins(FIRST, END, 30, 4)
    with pytest.raises(InputError, match=r"--n-origins 40: .* too few days"):
        spread_origins(FIRST, END, 25, 40)


def test_training_weeks_are_whole_weeks_before_the_origin():
    assert training_weeks(FIRST, FIRST + dt.timedelta(days=27)) == 3


def test_weeks_are_aligned_to_the_start_and_keep_every_day():
    start = dt.date(2020, 3, 4)
    stamps = pd.to_datetime(
        [
            "2020-03-03 23:00",
            "2020-03-04 00:00",
            "2020-03-10 23:59",
            "2020-03-11 00:00",
            "2020-03-17 12:00",
        ]
    )
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4, 5],
            "ordered_at": stamps,
            "delivered_at": stamps + pd.to_timedelta([1, 2, 4, np.nan, 3], unit="D"),
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": [1, 2, 2, 3, 4, 5],
            "quantity": [1, 2, 3, 1, 5, 1],
            "unit_price": [1.0, 10.0, 1.0, 2.0, 1.0, 4.0],
        }
    )
    weekly = weekly_history(orders, lines, start, 2, lead_times=True)
    # order 1 is before the start; 2 and 3 are in week 0; 4 and 5 in week 1
    np.testing.assert_array_equal(weekly["orders"], [2, 2])
    np.testing.assert_array_equal(weekly["units"], [6, 6])
    np.testing.assert_allclose(weekly["revenue"], [25.0, 9.0])
    np.testing.assert_allclose(weekly["lead_time_days"], [3.0, 3.0])  # order 4 undelivered


def test_simulated_weeks_start_after_the_warm_up():
    t = np.array([WARMUP_DAYS - 0.5, WARMUP_DAYS + 0.0, WARMUP_DAYS + 8.0, WARMUP_DAYS + 14.0])
    orders = pd.DataFrame(
        {
            "t_arrival": t,
            "units": [1, 2, 3, 4],
            "value": [1.0, 2.0, 3.0, 4.0],
            "t_last_delivery": t + np.array([1.0, 2.0, np.nan, 1.0]),
        }
    )
    output = ReplicationOutput(0, 1, {}, pd.DataFrame(), pd.DataFrame(), orders)
    weekly = weekly_simulated(output, 2, lead_times=True)
    np.testing.assert_array_equal(weekly["orders"], [1, 1])  # the last is past the window
    np.testing.assert_allclose(weekly["revenue"], [2.0, 3.0])
    assert weekly["lead_time_days"].iloc[0] == 2.0 and math.isnan(weekly["lead_time_days"][1])


def test_tolerances_default_and_override():
    series = ("orders", "revenue")
    assert parse_tolerances((), series) == DEFAULT_TOLERANCES
    bounds = parse_tolerances(
        ("orders.bias=0.2", "revenue.coverage_50=0.4", "orders.mase=0.9", "revenue.mape=0:0.3"),
        series,
    )
    assert bounds[("orders", "bias")] == (-0.2, 0.2)
    assert bounds[("revenue", "coverage_50")] == (0.4, math.inf)
    assert bounds[("orders", "mase")] == (-math.inf, 0.9)
    assert bounds[("revenue", "mape")] == (0.0, 0.3)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("orders.bogus=1", r"--tolerance orders.bogus=1: expected SERIES.SCORE=BOUND"),
        ("widgets.bias=1", r"--tolerance widgets.bias=1: expected"),
        ("orders.bias", r"--tolerance orders.bias: expected"),
        ("orders.bias=abc", r"--tolerance orders.bias=abc: 'abc' is not a number"),
        ("orders.mape=0.5:0.1", r"--tolerance orders.mape=0.5:0.1: LOW 0.5 is above HIGH 0.1"),
    ],
)
def test_bad_tolerances_name_the_option(item, message):
    with pytest.raises(InputError, match=message):
        parse_tolerances((item,), ("orders",))


def test_judge_checks_the_all_rows():
    summary = pd.DataFrame(
        {
            "origin": ["2020-07-01", "all"],
            "series": ["orders", "orders"],
            "coverage_90": [0.5, 0.85],
            "bias": [0.3, 0.12],
            "relative_mae": [2.0, float("nan")],
        }
    )
    checks = judge(summary, DEFAULT_TOLERANCES).set_index("score")
    assert checks.at["coverage_90", "passed"]
    assert not checks.at["bias", "passed"]
    assert pd.isna(checks.at["relative_mae", "passed"])
