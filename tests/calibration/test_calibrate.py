"""Calibrating a scenario base from canonical history: known parameters in, fitted values out."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd
import pytest

from twin.calibration.calibrate import calibrate_history, history_until
from twin.calibration.conform import conform
from twin.calibration.segments import active_period
from twin.errors import InputError
from twin.model.network import run_replication
from twin.scenario.schema import Scenario

START = dt.date(2024, 1, 1)
DAYS = 730
RATES = {"trade": 30.0, "web": 12.0}  # orders per day, flat week and year
LINES_MEAN = {"trade": 4.0, "web": 1.5}  # Poisson mean of lines - 1
TRANSIT_GAMMA = (4.0, 0.5)  # shape, scale: mean 2 days


@functools.cache
def known_history(seed: int = 7) -> dict[str, pd.DataFrame]:
    """Two years of orders of two segments drawn from the parameters above (vectorised)."""
    rng = np.random.default_rng(seed)
    skus = np.array([f"S{i:02d}" for i in range(20)])
    popularity = np.arange(1, 21, dtype=float) ** -1.0
    popularity /= popularity.sum()
    orders, lines, customers = [], [], []
    first = 0
    for segment, rate in RATES.items():
        customers.append(
            pd.DataFrame(
                {
                    "customer_id": [f"{segment}-{c}" for c in range(50)],
                    "segment": segment,
                }
            )
        )
        days = np.repeat(np.arange(DAYS), rng.poisson(rate, DAYS))
        n = days.size
        ids = np.array([f"O{k}" for k in range(first, first + n)])
        first += n
        at = pd.Timestamp(START) + pd.to_timedelta(days + rng.random(n), unit="D")
        shipped = at + pd.Timedelta(hours=6)
        orders.append(
            pd.DataFrame(
                {
                    "order_id": ids,
                    "customer_id": [f"{segment}-{c}" for c in rng.integers(0, 50, n)],
                    "ordered_at": at,
                    "promised_at": at + pd.Timedelta(days=3),
                    "shipped_at": shipped,
                    "delivered_at": shipped
                    + pd.to_timedelta(rng.gamma(*TRANSIT_GAMMA, n), unit="D"),
                    "status": "delivered",
                }
            )
        )
        per_order = 1 + rng.poisson(LINES_MEAN[segment], n)
        order_of_line = np.repeat(ids, per_order)
        line_no = np.concatenate([np.arange(1, k + 1) for k in per_order])
        lines.append(
            pd.DataFrame(
                {
                    "order_id": order_of_line,
                    "line_no": line_no,
                    "sku": skus[rng.choice(20, size=order_of_line.size, p=popularity)],
                    "quantity": (1 + rng.poisson(2.0, order_of_line.size)).astype(float),
                    "unit_price": 10.0,
                    "status": "ordered",
                }
            )
        )
    return {
        "orders": conform("orders", pd.concat(orders, ignore_index=True)),
        "order_lines": conform("order_lines", pd.concat(lines, ignore_index=True)),
        "customers": conform("customers", pd.concat(customers, ignore_index=True)),
    }


@pytest.fixture(scope="module")
def calibration():
    return calibrate_history(known_history(), name="known")


def test_the_calibrated_base_is_a_valid_scenario_that_runs(calibration):
    scenario = Scenario.model_validate(
        {
            **calibration.model,
            "run": {**calibration.model["run"], "horizon_days": 30, "replications": 1},
        }
    )
    result = run_replication(scenario, 0)
    assert len(result.tables["orders"]) > 0
    assert set(scenario.segments) == {"trade", "web"}


def test_arrival_rates_are_recovered(calibration):
    # 730 days at 30/day (12/day): the rate's standard error is sqrt(rate/730) ~ 0.2 (0.13)
    # orders/day; the multipliers and the trend add a little, so 5 % is a wide margin.
    for segment, rate in RATES.items():
        arrivals = calibration.model["segments"][segment]["arrivals"]
        assert arrivals["rate_per_day"] == pytest.approx(rate, rel=0.05)
        assert abs(arrivals["trend_per_year"]) < 0.05
        assert np.mean(arrivals["weekday_multipliers"]) == pytest.approx(1.0, abs=1e-6)


def test_lines_transit_and_promise_are_recovered(calibration):
    segments = calibration.model["segments"]
    for segment, mean in LINES_MEAN.items():
        lines = segments[segment]["lines_per_order"]
        values = np.asarray(lines.get("values", [])) if lines["dist"] == "discrete" else None
        fitted_mean = (
            float(np.dot(values, lines["probabilities"])) if values is not None else lines["mean"]
        )
        # ~ 21,900 (8,760) orders: the mean's standard error is below 0.02; allow 0.05
        assert fitted_mean == pytest.approx(1 + mean, abs=0.05)
        assert segments[segment]["promised_lead_time_days"] == pytest.approx(3.0, abs=1e-6)
        transit = segments[segment]["transit_days"]
        assert transit["dist"] in {"gamma", "empirical", "weibull", "lognormal"}
        if transit["dist"] == "gamma":
            assert transit["shape"] * transit["scale"] == pytest.approx(2.0, rel=0.03)


def test_sku_mix_follows_the_line_counts(calibration):
    weights = calibration.model["segments"]["trade"]["sku_mix"]["weights"]
    assert weights["S00"] > weights["S05"] > weights["S19"]
    assert next(p["sku"] for p in calibration.model["products"]) == "S00"


def test_the_report_flags_what_was_defaulted(calibration):
    report = calibration.report
    defaulted = set(report.loc[report["defaulted"], "quantity"])
    assert {"unit_cost", "payment", "lead_time_days", "inventory.default"} <= defaulted
    assert not report.loc[report["quantity"] == "arrivals", "defaulted"].any()


def test_the_active_period_leaves_out_stray_edge_months():
    times = pd.Series(
        pd.to_datetime(
            ["2016-09-15"]
            + [f"2017-{m:02d}-10" for m in range(1, 13) for _ in range(30)]
            + ["2018-01-03"]
        )
    )
    assert active_period(times) == (dt.date(2017, 1, 1), dt.date(2017, 12, 31))


def test_history_without_orders_is_an_input_error():
    history = dict(known_history())
    history["orders"] = history["orders"].iloc[0:0]
    with pytest.raises(InputError, match="needs the 'orders' table"):
        calibrate_history(history)


def test_history_until_keeps_only_what_was_known_then():
    history = known_history()
    until = pd.Timestamp("2025-01-01")
    cut = history_until(history, until)
    assert (cut["orders"]["ordered_at"] < until).all()
    assert len(cut["orders"]) < len(history["orders"])
    assert cut["order_lines"]["order_id"].isin(cut["orders"]["order_id"]).all()
    # a delivery after the cut was not known yet; a promise was
    assert not (cut["orders"]["delivered_at"] >= until).any()
    assert (cut["orders"]["promised_at"] >= until).any()
    assert len(history["orders"]) == len(known_history()["orders"])  # the input is untouched


def test_a_segment_shrinking_too_fast_for_a_linear_trend_is_fitted_without_one():
    # the rate falls from 60 to 2 orders a day within 420 days (January and February seen in two
    # years, so a trend is tried): a linear trend fitted at the day after the history would be below
    # -100 % a year, which no scenario accepts
    rng = np.random.default_rng(5)
    days = np.arange(420)
    day_of_order = np.repeat(days, rng.poisson(60 * (1 - days / 435)))
    n = day_of_order.size
    at = pd.Timestamp("2024-01-01") + pd.to_timedelta(day_of_order + rng.random(n), unit="D")
    ids = [f"O{k}" for k in range(n)]
    orders = conform(
        "orders",
        pd.DataFrame(
            {
                "order_id": ids,
                "customer_id": [f"c{k % 50}" for k in range(n)],
                "ordered_at": at,
                "promised_at": at + pd.Timedelta(days=3),
                "shipped_at": at + pd.Timedelta(hours=5),
                "status": "shipped",
            }
        ),
    )
    lines = conform(
        "order_lines",
        pd.DataFrame(
            {"order_id": ids, "line_no": 1, "sku": "A", "quantity": 1.0, "unit_price": 5.0}
            | {"status": "ordered"}
        ),
    )
    calibration = calibrate_history({"orders": orders, "order_lines": lines})
    Scenario.model_validate(calibration.model)
    arrivals = calibration.model["segments"]["all"]["arrivals"]
    assert arrivals["trend_per_year"] == 0.0
    assert any("trend could not be fitted" in note for note in calibration.notes)


def test_a_history_with_no_month_seen_twice_pools_the_months_and_fits_the_trend():
    """Eleven months rising 40 % from a flat start: with no month in two years the month
    factors are pooled towards their common level (empirical Bayes), the trend carries the rise
    and the months their posterior uncertainty, with a note."""
    rng = np.random.default_rng(6)
    days = np.arange(334)
    day_of_order = np.repeat(days, rng.poisson(30 * (1 + 0.4 * days / 334)))
    n = day_of_order.size
    at = pd.Timestamp("2024-01-01") + pd.to_timedelta(day_of_order + rng.random(n), unit="D")
    ids = [f"O{k}" for k in range(n)]
    orders = conform(
        "orders",
        pd.DataFrame(
            {
                "order_id": ids,
                "customer_id": [f"c{k % 50}" for k in range(n)],
                "ordered_at": at,
                "promised_at": at + pd.Timedelta(days=3),
                "shipped_at": at + pd.Timedelta(hours=5),
                "status": "shipped",
            }
        ),
    )
    lines = conform(
        "order_lines",
        pd.DataFrame(
            {"order_id": ids, "line_no": 1, "sku": "A", "quantity": 1.0, "unit_price": 5.0}
            | {"status": "ordered"}
        ),
    )
    calibration = calibrate_history({"orders": orders, "order_lines": lines})
    arrivals = calibration.model["segments"]["all"]["arrivals"]
    # slope 0.4 / 334 days at the level 1.4 of the day after the history: 0.31 a year
    assert arrivals["trend_per_year"] == pytest.approx(0.4 * 365 / 334 / 1.4, abs=0.1)
    months = arrivals["monthly_multipliers"]
    assert max(months[:11]) / min(months[:11]) < 1.15  # the truth is 1: no season
    assert arrivals["uncertainty"]["unseen_months"] == list(range(1, 13))
    assert 0.0 < arrivals["uncertainty"]["trend_sd"] < 0.5
    assert any("pooled towards their common level" in note for note in calibration.notes)
