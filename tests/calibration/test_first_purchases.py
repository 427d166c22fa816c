"""The split of first orders into new customers and old customers seen for the first time."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from twin.calibration.customer_base.first_purchases import (
    FirstPurchaseFit,
    first_purchase_probability,
    fit_first_purchases,
    with_unseen_customers,
)
from twin.calibration.customer_base.new_customers import new_customers_spec

PARETO = {"r": 1.2, "alpha": 60.0, "s": 0.6, "beta": 400.0}
BG = {"r": 0.8, "alpha": 40.0, "a": 0.5, "b": 2.0}
START = dt.date(2024, 1, 1)


def test_the_pareto_nbd_first_purchase_probability_matches_simulation():
    # 400,000 simulated customers: the share buying within u has sd <= 0.0008; 4 sd = 0.0032
    rng = np.random.default_rng(11)
    n = 400_000
    rate = rng.gamma(PARETO["r"], 1 / PARETO["alpha"], n)
    death = rng.exponential(1.0, n) / rng.gamma(PARETO["s"], 1 / PARETO["beta"], n)
    first = rng.exponential(1.0, n) / rate
    u = np.array([0.0, 5.0, 60.0, 400.0, 5000.0])
    simulated = [np.mean((first < death) & (first < x)) for x in u]
    got = first_purchase_probability("pareto_nbd", PARETO, u)
    assert got == pytest.approx(simulated, abs=0.0032)
    assert got[0] == 0.0 and np.all(np.diff(got) > 0)


def test_the_bg_nbd_first_purchase_probability_is_the_nbd_zero_class():
    u = np.array([0.0, 10.0, 365.0])
    expected = 1 - stats.nbinom.pmf(0, BG["r"], BG["alpha"] / (BG["alpha"] + u))
    assert first_purchase_probability("bg_nbd", BG, u) == pytest.approx(expected, rel=1e-12)


def _first_orders(
    seed: int,
    old: int,
    new_per_day: float,
    days: int,
    params: dict[str, float] = PARETO,
    model: str = "pareto_nbd",
) -> pd.Series:
    """First orders of a company seen from an extract starting at day 0: ``old`` customers alive
    then, rates from ``params`` (first seen at their first purchase, if before their Pareto/NBD
    death and the extract's end), and new customers arriving at ``new_per_day`` (first order on
    arrival)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params["r"], 1 / params["alpha"], old)
    if model == "pareto_nbd":
        death = rng.exponential(1.0, old) / rng.gamma(params["s"], 1 / params["beta"], old)
    else:  # BG/NBD: drop-out only after a purchase
        death = np.full(old, np.inf)
    first = rng.exponential(1.0, old) / rate
    seen = first[(first < death) & (first < days)]
    new = rng.uniform(0, days, rng.poisson(new_per_day * days))
    times = np.concatenate([seen, new])
    return pd.Series(pd.Timestamp(START) + pd.to_timedelta(times, unit="D"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_split_recovers_the_new_customer_rate_and_the_old_customers(seed):
    days = 365
    first = _first_orders(seed, old=3000, new_per_day=4.0, days=days)
    as_of = pd.Timestamp(START) + pd.Timedelta(days=days)
    fit = fit_first_purchases(first, START, as_of, None, "pareto_nbd", PARETO)
    assert fit.first_orders == len(first)
    assert fit.days == days
    # the fit's own standard error (quasi-Poisson): 3.5 sd leaves a false failure at about 1 in
    # 2,000 per seed; the rate is known to about 10 % here
    assert abs(np.log(fit.new_per_day / 4.0)) < 3.5 * fit.log_rate_sd
    assert fit.log_rate_sd < 0.2
    # an open base: AIC prefers it by far (hundreds of units)
    assert not fit.closed and fit.aic_closed - fit.aic_open > 100
    # N0 is known to a few percent (most of the 3000 are seen in the first months)
    assert fit.old_at_start == pytest.approx(3000, rel=0.1)
    unseen = 3000 * (1 - first_purchase_probability("pareto_nbd", PARETO, np.array([days]))[0])
    assert fit.old_unseen == pytest.approx(unseen, rel=0.1)
    assert fit.old_shape == PARETO["r"]


@pytest.mark.parametrize(
    ("seed", "model", "params"),
    [(1, "pareto_nbd", PARETO), (2, "pareto_nbd", PARETO), (3, "bg_nbd", BG), (4, "bg_nbd", BG)],
)
def test_a_closed_panel_gets_no_new_customers(seed, model, params):
    days = 365
    first = _first_orders(seed, old=3000, new_per_day=0.0, days=days, params=params, model=model)
    as_of = pd.Timestamp(START) + pd.Timedelta(days=days)
    fit = fit_first_purchases(first, START, as_of, None, model, params)
    # the closed model holds the truth (r0 = r), the open one's nu fits only noise: AIC
    # prefers the closed panel for these seeds
    assert fit.closed and fit.new_per_day == 0.0 and fit.log_rate_sd == 0.0
    assert fit.aic_closed <= fit.aic_open
    # every first order is an old customer's: N0 F(end) matches them to the Poisson fit's
    # rounding; the old customers within 15 % (the unseen tail is extrapolated)
    assert fit.old_at_start - fit.old_unseen == pytest.approx(len(first), rel=1e-3)
    assert fit.old_at_start == pytest.approx(3000, rel=0.15)


def test_a_panel_of_slower_buyers_than_the_fitted_model_is_still_closed():
    # The fitted model's rate shape (r 1.5) comes from the customers seen, mostly the frequent
    # ones; the panel's own rates are far more varied (r0 0.5, the same mean), so first orders
    # keep coming late. With r taken as fitted the late ones read as newcomers; with r0 fitted
    # the panel is closed by a wide AIC margin and r0 recovered (its profile-likelihood interval
    # is about +-20 % here: within 40 %).
    fitted = {"r": 1.5, "alpha": 20.0, "a": 0.02, "b": 3.0}
    panel = {**fitted, "r": 0.5, "alpha": 0.5 * 20.0 / 1.5}
    days = 365
    first = _first_orders(5, old=2500, new_per_day=0.0, days=days, params=panel, model="bg_nbd")
    as_of = pd.Timestamp(START) + pd.Timedelta(days=days)
    fit = fit_first_purchases(first, START, as_of, None, "bg_nbd", fitted)
    assert fit.closed and fit.aic_open - fit.aic_closed > 10
    assert fit.old_shape == pytest.approx(0.5, rel=0.4)
    # alive old customers: all 2,500 buy eventually (no drop-out before the first purchase)
    assert fit.old_at_start == pytest.approx(2500, rel=0.15)


def test_a_company_starting_with_the_extract_has_no_old_customers():
    days = 365
    first = _first_orders(4, old=0, new_per_day=5.0, days=days)
    as_of = pd.Timestamp(START) + pd.Timedelta(days=days)
    fit = fit_first_purchases(first, START, as_of, None, "bg_nbd", BG)
    # Poisson count of ~1,800 first orders: the rate within 4 sd (sd 2.4 %); old customers seen
    # at or near 0 (a few at most: the first weeks' excess a Poisson count allows)
    assert fit.new_per_day == pytest.approx(5.0, rel=0.1)
    assert not fit.closed
    assert fit.old_at_start - fit.old_unseen < 30


def test_unseen_customers_join_the_summaries_without_a_purchase():
    customers = pd.DataFrame(
        {
            "customer": ["A"],
            "frequency": np.array([2], dtype="int64"),
            "recency_days": [10.0],
            "age_days": [20.0],
            "first_order_at": pd.to_datetime(["2024-01-01"]),
        }
    )
    split = FirstPurchaseFit(1.0, 10.0, 2.6, 0.1, 1.0, 50, 100)
    both = with_unseen_customers(customers, split, age_days=99.5)
    assert list(both["customer"]) == ["A", "unseen-1", "unseen-2", "unseen-3"]
    assert list(both["frequency"]) == [2, 0, 0, 0]
    assert both["frequency"].dtype == np.int64
    assert list(both["age_days"]) == [20.0, 99.5, 99.5, 99.5]
    assert both["first_order_at"].isna().tolist() == [False, True, True, True]


def test_new_customers_arrive_on_the_segment_calendar_without_a_trend():
    split = FirstPurchaseFit(2.5, 100.0, 10.0, 0.08, 1.3, 400, 365)
    arrivals = {
        "kind": "poisson",
        "rate_per_day": 40.0,
        "weekday_multipliers": [1, 1, 1, 1, 1, 0, 2],
        "monthly_multipliers": [1.0] * 12,
        "trend_per_year": 0.3,
        "overdispersion": {"sd_log": 0.2, "autocorrelation": 0.5},
    }
    notes: list[str] = []
    spec = new_customers_spec(split, arrivals, notes, "trade")
    assert spec["rate_per_day"] == 2.5 and spec["trend_per_year"] == 0.0
    assert spec["weekday_multipliers"] == [1, 1, 1, 1, 1, 0, 2]
    assert "overdispersion" not in spec
    assert spec["uncertainty"]["log_rate_sd"] == 0.08
    none = FirstPurchaseFit(0.0, 100.0, 10.0, 0.0, 1.0, 400, 365)
    assert new_customers_spec(none, arrivals, notes, "trade") is None
    few = FirstPurchaseFit(2.0, 0.0, 0.0, 0.1, 1.0, 12, 365)
    assert new_customers_spec(few, arrivals, notes, "trade") is None
    assert len(notes) == 2
