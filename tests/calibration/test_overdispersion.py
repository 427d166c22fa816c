"""Tests of twin.calibration.overdispersion: the moment fit of the AR(1) rate multiplier and the
sandwich covariance it implies, on synthetic counts drawn by the twin's own multiplier.

Tolerances come from the spread of the estimators over 300 synthetic histories (seeds 0..299,
measured once): with 730 days at 50 orders a day, s = 0.3, a = 0.6, the moment estimates have sd
0.016 (s) and 0.044 (a). The recovery test averages 20 histories, so its standard errors are
0.0036 and 0.010, and the tolerances (0.015, 0.04) are four of those.
"""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from twin.calibration.arrivals import fit_poisson_arrivals
from twin.calibration.overdispersion import (
    fit_rate_noise,
    overdispersed_covariance,
    weekly_match,
)
from twin.model.arrivals import rate_multipliers
from twin.scenario.arrivals import PoissonArrivals

WEEKDAY = np.array([1.2, 1.1, 1.0, 1.05, 1.25, 0.8, 0.6])


def noisy(sd_log: float, autocorrelation: float) -> PoissonArrivals:
    return PoissonArrivals.model_validate(
        {
            "kind": "poisson",
            "rate_per_day": 1.0,
            "overdispersion": {"sd_log": sd_log, "autocorrelation": autocorrelation},
        }
    )


def counts(seed: int, mu: np.ndarray, sd_log: float, autocorrelation: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    multipliers = rate_multipliers(noisy(sd_log, autocorrelation), rng, mu.size)
    return rng.poisson(mu * multipliers)


@pytest.mark.parametrize(("sd_log", "autocorrelation"), [(0.3, 0.6), (0.15, 0.3)])
def test_moment_fit_recovers_sd_and_autocorrelation(sd_log, autocorrelation):
    mu = np.full(730, 50.0)
    fits = [fit_rate_noise(counts(seed, mu, sd_log, autocorrelation), mu, 1) for seed in range(20)]
    assert all(fit.present for fit in fits)
    assert np.mean([f.sd_log for f in fits]) == pytest.approx(sd_log, abs=0.015)
    assert np.mean([f.autocorrelation for f in fits]) == pytest.approx(autocorrelation, abs=0.04)


def test_poisson_counts_get_no_multiplier():
    """At the 1 % level, 20 Poisson histories: expect 0.2 false alarms; allow 2 (p = 0.001)."""
    mu = np.full(730, 50.0)
    rng = np.random.default_rng(5)
    fits = [fit_rate_noise(rng.poisson(mu), mu, 1) for _ in range(20)]
    assert sum(fit.present for fit in fits) <= 2
    assert all(fit.sd_log == 0.0 or fit.present for fit in fits)


def test_poisson_history_keeps_a_poisson_spec():
    rng = np.random.default_rng(11)
    dates = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    daily = rng.poisson(100 * WEEKDAY[dates.day_of_week])
    times = np.repeat(dates.to_numpy(), daily) + pd.to_timedelta(rng.random(daily.sum()), unit="D")
    fit = fit_poisson_arrivals(pd.Series(times))
    assert "overdispersion" not in fit.spec
    assert fit.spec["uncertainty"]["log_rate_sd"] == pytest.approx(
        fit.table.set_index("term").loc["rate_per_day", "se"] / fit.spec["rate_per_day"]
    )


def test_weekly_match_inverts_a_geometric_decay():
    for a in (0.0, 0.2, 0.5, 0.9):
        assert weekly_match(a ** np.arange(1, 7)) == pytest.approx(a, abs=1e-8)
    assert weekly_match(np.full(6, -0.3)) == 0.0
    assert weekly_match(np.ones(6)) == pytest.approx(0.98)


def test_sandwich_matches_the_closed_form_and_the_simulated_spread():
    """Intercept only: log(mean count) has variance (n mu + mu^2 sum_de c_|d-e|) / (n mu)^2.

    Over 2000 simulated histories the sd of log(mean count) has a relative standard error of
    1/sqrt(2 * 2000) = 1.6 %; the tolerance is 5 %.
    """
    n, mu, s, a = 365, 30.0, 0.3, 0.6
    days = np.arange(n, dtype=float)
    G = np.ones((n, 1))
    cov = overdispersed_covariance(G, np.full(n, mu), days, s, a)
    lags = np.abs(np.subtract.outer(days, days))
    exact = (n * mu + mu**2 * np.expm1(s**2 * a**lags).sum()) / (n * mu) ** 2
    assert cov[0, 0] == pytest.approx(exact, rel=1e-10)
    assert overdispersed_covariance(G, np.full(n, mu), days, 0.0, 0.0)[0, 0] == pytest.approx(
        1 / (n * mu)
    )
    spread = np.std([np.log(counts(seed, np.full(n, mu), s, a).mean()) for seed in range(2000)])
    assert spread == pytest.approx(math.sqrt(exact), rel=0.05)


def synthetic_history(seed: int, sd_log: float, autocorrelation: float) -> pd.Series:
    """Two years of order times: ~100 a day, weekday pattern, 10 %/year trend, the multiplier."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    mu = 100 * WEEKDAY[dates.day_of_week] * (1 + 0.1 * np.arange(dates.size) / 365)
    m = rate_multipliers(noisy(sd_log, autocorrelation), rng, dates.size)
    daily = rng.poisson(mu * m)
    times = np.repeat(dates.to_numpy(), daily) + pd.to_timedelta(rng.random(daily.sum()), unit="D")
    return pd.Series(times)


def test_calibration_writes_the_multiplier_and_its_uncertainty():
    """One fit of a 2-year history with s = 0.3, a = 0.6 through fit_poisson_arrivals.

    Over 30 such histories (measured once) the fit gave s 0.290 (sd 0.012) and a 0.545 (sd
    0.044): the free month factors absorb part of the slow variation, so both are slightly low.
    The tolerances (s within 0.05, a within 0.2 of the truth) are about four sds plus that bias.
    """
    fit = fit_poisson_arrivals(synthetic_history(3, 0.3, 0.6), reference_date=dt.date(2026, 1, 1))
    od = fit.spec["overdispersion"]
    assert od["sd_log"] == pytest.approx(0.3, abs=0.05)
    assert od["autocorrelation"] == pytest.approx(0.6, abs=0.2)
    stated = PoissonArrivals.model_validate(fit.spec).uncertainty
    assert stated is not None and stated.log_rate_sd > 0 and stated.trend_sd > 0
    table = fit.table.set_index("term")
    assert table.loc["overdispersion.sd_log", "value"] == pytest.approx(od["sd_log"])
    assert table.loc["rate_per_day", "se"] == pytest.approx(
        fit.spec["rate_per_day"] * stated.log_rate_sd
    )


def test_stated_uncertainty_matches_the_spread_of_refits():
    """Over 30 refits of synthetic histories, the stated sd of log(rate) and of the trend are
    within a factor [0.65, 1.35] of the refits' spread: the sd of 30 values has a relative
    standard error of 13 %, and the fitted a is biased low (see above), which understates the
    sandwich by about 10 %; measured ratios are 0.79 (rate) and 0.82 (trend)."""
    fits = [fit_poisson_arrivals(synthetic_history(seed, 0.3, 0.6)) for seed in range(30)]
    log_rates = np.log([f.spec["rate_per_day"] for f in fits])
    trends = np.array([f.spec["trend_per_year"] for f in fits])
    stated_rate = np.mean([f.spec["uncertainty"]["log_rate_sd"] for f in fits])
    stated_trend = np.mean([f.spec["uncertainty"]["trend_sd"] for f in fits])
    assert 0.65 < stated_rate / log_rates.std() < 1.35
    assert 0.65 < stated_trend / trends.std() < 1.35
