"""The customer model's residuals: the day multiplier common to every customer, and the level."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import scipy.signal

from twin.calibration.customer_base.clock import calendar_clock
from twin.calibration.customer_base.first_purchases import fit_first_purchases
from twin.calibration.customer_base.residuals import fit_customer_residuals
from twin.calibration.customer_base.summaries import customer_summaries

START = dt.date(2024, 1, 1)
DAYS = 364
# a panel that neither grows nor leaves: drop-out once in ~10,000 purchases
PARAMS = {"r": 2.0, "alpha": 40.0, "a": 0.01, "b": 100.0}


def _panel_orders(seed: int, customers: int, sd_log: float, autocorrelation: float):
    """Orders of a closed panel (every customer alive from day 0, rate ~ Gamma(r, alpha)) whose
    daily rates all move with one mean-one lognormal AR(1) multiplier."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(PARAMS["r"], 1.0 / PARAMS["alpha"], customers)
    shocks = rng.standard_normal(DAYS) * sd_log * np.sqrt(1.0 - autocorrelation**2)
    shocks[0] = rng.standard_normal() * sd_log
    log_m = scipy.signal.lfilter([1.0], [1.0, -autocorrelation], shocks)
    multiplier = np.exp(log_m - sd_log**2 / 2)
    counts = rng.poisson(np.outer(rate, multiplier))
    customer, day = np.nonzero(counts)
    repeat = counts[customer, day]
    customer, day = np.repeat(customer, repeat), np.repeat(day, repeat)
    at = pd.Timestamp(START) + pd.to_timedelta(day + rng.random(day.size), unit="D")
    return pd.DataFrame(
        {
            "order_id": np.arange(day.size),
            "customer_id": [f"c{k}" for k in customer],
            "ordered_at": at,
        }
    )


def _residuals(orders: pd.DataFrame):
    as_of = pd.Timestamp(START) + pd.Timedelta(days=DAYS)
    clock = calendar_clock({"kind": "poisson", "rate_per_day": 1.0}, START, as_of)
    summaries = customer_summaries(orders, as_of, clock)
    split = fit_first_purchases(summaries["first_order_at"], START, as_of, clock, "bg_nbd", PARAMS)
    return split, fit_customer_residuals(orders, START, as_of, clock, "bg_nbd", PARAMS, split)


def test_the_common_multiplier_is_fitted_around_the_customer_model():
    split, residuals = _residuals(_panel_orders(1, 1500, sd_log=0.2, autocorrelation=0.5))
    assert split.closed
    # ~75 orders a day over 273 days after the burn-in: over 12 other seeds the moment fit's
    # sd_log had mean 0.200 and sd 0.008, the AR(1) coefficient mean 0.49 and sd 0.074: 4 sd
    assert residuals.burn_in_days == 91
    assert residuals.noise.sd_log == pytest.approx(0.2, abs=0.035)
    assert residuals.noise.autocorrelation == pytest.approx(0.5, abs=0.3)
    # the model is the one the orders came from: the last 13 weeks' level within 3 se of 1
    # (over those seeds (level - 1) / se had sd 0.65: the se is conservative)
    assert abs(residuals.level - 1.0) < 3 * residuals.level_se


def test_a_panel_without_common_shocks_gets_no_multiplier():
    _, residuals = _residuals(_panel_orders(3, 1500, sd_log=1e-9, autocorrelation=0.0))
    # Poisson days: the 1 % chi-square test finds no overdispersion for this seed
    assert not residuals.noise.present
    assert residuals.noise.dispersion == pytest.approx(1.0, abs=0.2)
    assert abs(residuals.level - 1.0) < 3 * residuals.level_se
    # the expectation is 0 in the burn-in and positive after it
    assert np.all(residuals.expected[: residuals.burn_in_days] == 0.0)
    assert np.all(residuals.expected[98:] > 0.0)


@pytest.mark.slow
def test_a_level_the_customer_model_misses_is_reported_as_biased():
    # the panel buys 15 % more over its last 13 weeks than its own first 38 weeks say
    orders = _panel_orders(4, 1500, sd_log=1e-9, autocorrelation=0.0)
    late = orders["ordered_at"] >= pd.Timestamp(START) + pd.Timedelta(days=DAYS - 91)
    rng = np.random.default_rng(5)
    extra = orders[late].sample(frac=0.15, random_state=rng).copy()
    extra["order_id"] = extra["order_id"] + len(orders)
    _, residuals = _residuals(pd.concat([orders, extra], ignore_index=True))
    assert residuals.level > 1.08 and residuals.biased
