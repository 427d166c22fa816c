"""Tests of twin.calibration.month_pooling and of the season/trend split it gives the arrival fit.

Recovery: synthetic histories of 12 to 30 months with about 100 orders a day, a known weekday
pattern, a mean-one lognormal AR(1) day multiplier (sd 0.15, autocorrelation 0.5, as real daily
orders are overdispersed) and one of: a linear trend with no season, a season with no trend, both.
The fit is made as calibration makes it (changepoints, months need two years for a factor of
their own) and its spec forecasts the next 13 weeks. Tolerance: the forecast total is within 3.5
predictive standard deviations of the true expected total, the predictive sd combining the
stated parameter uncertainty (the sd of log of the 13-week total over 200 draws of
``drawn_parameters`` and ``season_factors``) and the day multiplier's own noise on a 91-day
total (sd about ``0.15 * sqrt((1 + a) / (1 - a) / 91) = 0.027``, since the truth is the
expectation, not one realisation, half of it counts). 3.5 sd: about 1 in 2000 per check, nine
checks with fixed seeds. A bias-only tolerance would not say whether the stated bands are honest;
this one fails both on a biased point forecast and on overconfident parameter uncertainty.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from twin.calibration.arrivals import fit_poisson_arrivals
from twin.calibration.month_pooling import marginal_loglik, pool_months
from twin.model.arrivals import drawn_parameters, season_factors
from twin.scenario.arrival_rates import daily_rates
from twin.scenario.arrivals import PoissonArrivals

WEEKDAY = np.array([1.2, 1.1, 1.0, 1.05, 1.25, 0.8, 0.6])
#: a retail season: peak in December, trough in June (log amplitude 0.2)
SEASON = np.exp(0.2 * np.cos(2 * np.pi * (np.arange(12) - 11) / 12))
FLAT = np.ones(12)
SD_LOG, AUTOCORRELATION = 0.15, 0.5
HORIZON_DAYS = 91


def expected(dates: pd.DatetimeIndex, trend: float, season: np.ndarray, start) -> np.ndarray:
    d = (dates - pd.Timestamp(start)).days.to_numpy()
    return 100.0 * WEEKDAY[dates.day_of_week] * season[dates.month - 1] * (1 + trend * d / 365)


def history(months: int, trend: float, season: np.ndarray, seed: int):
    """Order times of ``months`` months from 2023-01-01, and the day after the last."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    end = start + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    dates = pd.date_range(start, end)
    x = np.empty(dates.size)
    x[0] = rng.normal(0.0, SD_LOG)
    shocks = rng.normal(0.0, SD_LOG * np.sqrt(1 - AUTOCORRELATION**2), dates.size)
    for k in range(1, dates.size):
        x[k] = AUTOCORRELATION * x[k - 1] + shocks[k]
    counts = rng.poisson(expected(dates, trend, season, start) * np.exp(x - SD_LOG**2 / 2))
    times = pd.Series(np.repeat(dates.to_numpy(), counts))
    return times + pd.to_timedelta(rng.random(counts.sum()), unit="D"), start, end


def stated_sd_of_total(arrivals: PoissonArrivals, origin: dt.date) -> float:
    """Sd of log of the 13-week total over draws of the stated parameter uncertainty."""
    rng = np.random.default_rng(0)
    totals = []
    for _ in range(200):
        drawn = drawn_parameters(arrivals, rng)
        season = season_factors(drawn, rng, origin, HORIZON_DAYS)
        rates = daily_rates(drawn, origin, HORIZON_DAYS)
        totals.append(float((rates if season is None else rates * season).sum()))
    return float(np.std(np.log(totals)))


CASES = [
    (months, name, trend, season, seed)
    for months, seed in ((12, 1), (18, 2), (30, 3))
    for name, trend, season in (
        ("trend", 0.8, FLAT),
        ("season", 0.0, SEASON),
        ("both", 0.5, SEASON),
    )
]


@pytest.mark.parametrize(("months", "name", "trend", "season", "seed"), CASES)
def test_the_next_13_weeks_are_forecast_within_the_stated_uncertainty(
    months, name, trend, season, seed
):
    times, start, end = history(months, trend, season, seed)
    origin = (end + pd.Timedelta(days=1)).date()
    fit = fit_poisson_arrivals(
        times,
        start=start.date(),
        end=end.date(),
        reference_date=origin,
        changepoints=True,
        min_month_years=2,
    )
    arrivals = PoissonArrivals.model_validate(fit.spec)
    forecast = daily_rates(arrivals, origin, HORIZON_DAYS).sum()
    truth = expected(pd.date_range(origin, periods=HORIZON_DAYS), trend, season, start).sum()
    process_sd = SD_LOG * np.sqrt((1 + AUTOCORRELATION) / (1 - AUTOCORRELATION) / HORIZON_DAYS)
    sd = np.hypot(stated_sd_of_total(arrivals, origin), process_sd / 2)
    assert abs(np.log(forecast / truth)) < 3.5 * sd, (months, name, forecast / truth, sd)


def test_a_young_business_growing_fast_is_read_as_growth_not_season():
    """One year of a business doubling in the year and no season (as a young marketplace): the
    old reading (months free, no trend) forecast the next quarter at the year's mean level, half
    of the truth. Pooled, the months stay near 1 and the trend carries the growth."""
    times, start, end = history(12, 1.0, FLAT, seed=5)
    origin = (end + pd.Timedelta(days=1)).date()
    fit = fit_poisson_arrivals(
        times,
        start=start.date(),
        end=end.date(),
        reference_date=origin,
        changepoints=True,
        min_month_years=2,
    )
    months = np.array(fit.spec["monthly_multipliers"])
    assert months.max() / months.min() < 1.25  # truth 1; free months would span 1 to 2
    assert fit.spec["trend_per_year"] == pytest.approx(1.0 / 2.0, abs=0.15)  # slope / level
    assert any("pooled towards their common level" in note for note in fit.notes)
    forecast = daily_rates(PoissonArrivals.model_validate(fit.spec), origin, HORIZON_DAYS).sum()
    truth = expected(pd.date_range(origin, periods=HORIZON_DAYS), 1.0, FLAT, start).sum()
    assert forecast / truth == pytest.approx(1.0, abs=0.1)


def test_months_seen_in_several_years_are_not_pooled():
    """Every month seen in two years: the fit is the plain maximum-likelihood one."""
    times, start, end = history(24, 0.3, SEASON, seed=6)
    kwargs = {"start": start.date(), "end": end.date(), "changepoints": True}
    pooled = fit_poisson_arrivals(times, min_month_years=2, **kwargs)
    plain = fit_poisson_arrivals(times, min_month_years=1, **kwargs)
    assert pooled.spec == plain.spec
    assert not any("pooled" in note for note in pooled.notes)


def test_marginal_likelihood_is_the_normal_density():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(4, 4))
    V = a @ a.T + np.eye(4)
    b = rng.normal(size=4)
    expected_value = scipy.stats.multivariate_normal(
        np.zeros(4), V + 0.49 * (np.eye(4) + 1)
    ).logpdf(b)
    assert marginal_loglik(b, V, 0.7) == pytest.approx(expected_value, rel=1e-12)


def test_well_measured_months_stay_and_noise_is_pooled_away():
    """Two coefficients: a trend (index 0) and one month (index 1), correlated -0.9."""
    sd = np.array([0.2, 0.3])
    corr = np.array([[1.0, -0.9], [-0.9, 1.0]])
    # Well measured: a month effect of 0.5 with se 0.003 is kept (shrinkage < 1e-3).
    tight = np.diag(sd / 100) @ corr @ np.diag(sd / 100)
    kept = pool_months(np.array([0.1, 0.5]), tight, [1])
    assert kept.theta == pytest.approx([0.1, 0.5], abs=1e-3)
    assert kept.shrinkage < 1e-3
    # Any month effect the pooling removes, the correlated trend takes over: by the Gaussian
    # conditional it moves by -0.9 * 0.2 / 0.3 per unit the month moves.
    loose = np.diag(sd) @ corr @ np.diag(sd)
    pooled = pool_months(np.array([0.1, 0.05]), loose, [1])
    moved = 0.05 - pooled.theta[1]
    assert 0.0 < moved <= 0.05
    assert pooled.theta[0] - 0.1 == pytest.approx(0.9 * 0.2 / 0.3 * moved, rel=1e-9)
    assert np.all(np.linalg.eigvalsh(pooled.cov) > 0)


def test_month_effects_within_their_noise_are_mostly_pooled_away():
    """Eleven month coefficients that vary exactly as much as their noise (se 0.3, sample sd
    0.3): the evidence favours no spread, and most of each estimate is pooled away (not all:
    eleven numbers leave the spread uncertain, and the posterior over it keeps some)."""
    rng = np.random.default_rng(3)
    V = 0.09 * np.eye(11)
    noise = rng.normal(size=11)
    pooled = pool_months(0.3 * (noise - noise.mean()) / noise.std(), V, list(range(11)))
    assert pooled.shrinkage > 0.5
    assert pooled.tau < 0.3
    # against strong effects (sd 1, se 0.3) the spread is found and little is pooled
    strong = pool_months(rng.normal(0.0, 1.0, 11), V, list(range(11)))
    assert strong.shrinkage < 0.2 and 0.6 < strong.tau < 1.6
