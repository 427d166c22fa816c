"""Tests of twin.calibration.arrivals: recovery of a known Poisson arrival model.

The synthetic history is two years (731 days) of daily Poisson counts with ~100 orders a day from
known weekday and month multipliers, a linear trend and, in one test, holidays. The Poisson MLE of
a multiplier has relative standard error about 1/sqrt(orders behind it): ~1/sqrt(11 500) = 0.9 %
for a weekday and ~1/sqrt(6 700) = 1.2 % for a month, and the trend's standard error is about
1/sqrt(N var(d/365)) = 1/sqrt(80 000 / 3) = 0.006 per year. The tolerances, 4 % per weekday, 5 %
per month and 0.03 for the trend, are four to five of those; the test also checks that the
reported standard errors are about these sizes and that every true value lies within 4.5 of them.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from twin.calibration.arrivals import fit_poisson_arrivals
from twin.scenario.schema import PoissonArrivals

WEEKDAY = np.array([1.2, 1.1, 1.0, 1.05, 1.25, 0.8, 0.6])
MONTH = np.array([0.8, 0.85, 0.95, 1.0, 1.05, 1.1, 1.0, 0.9, 1.05, 1.1, 1.15, 1.05])
RATE, TREND = 100.0, 0.1


def simulate(
    start="2024-01-01",
    end="2025-12-31",
    seed=7,
    weekday=WEEKDAY,
    month=MONTH,
    trend=TREND,
    holidays=(),
    holiday_multiplier=1.0,
):
    """Order timestamps whose daily counts follow the twin's PoissonArrivals model."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, end, freq="D")
    d = np.arange(dates.size)
    mu = RATE * weekday[dates.day_of_week] * month[dates.month - 1] * (1 + trend * d / 365)
    mu = np.where(dates.isin(pd.to_datetime(list(holidays))), mu * holiday_multiplier, mu)
    counts = rng.poisson(mu)
    times = np.repeat(dates.to_numpy(), counts) + pd.to_timedelta(
        rng.random(counts.sum()), unit="D"
    )
    return pd.Series(times)


@pytest.fixture(scope="module")
def two_years():
    return fit_poisson_arrivals(simulate())


def test_multipliers_and_trend_recovered(two_years):
    spec = two_years.spec
    assert spec["kind"] == "poisson"
    assert np.mean(spec["weekday_multipliers"]) == pytest.approx(1.0)
    assert np.mean(spec["monthly_multipliers"]) == pytest.approx(1.0)
    # The true multipliers already have mean 1.
    assert spec["weekday_multipliers"] == pytest.approx(list(WEEKDAY), rel=0.04)
    assert spec["monthly_multipliers"] == pytest.approx(list(MONTH), rel=0.05)
    assert spec["trend_per_year"] == pytest.approx(TREND, abs=0.03)
    assert spec["rate_per_day"] == pytest.approx(RATE, rel=0.03)
    PoissonArrivals.model_validate(spec)


def test_standard_errors_match_their_size(two_years):
    table = two_years.table.set_index("term")
    weekday_se = table.loc[[f"weekday.{d}" for d in ("mon", "tue", "wed")], "se"]
    month_se = table.loc[["month.jan", "month.jun"], "se"]
    assert ((weekday_se > 0.005) & (weekday_se < 0.015)).all()
    assert ((month_se > 0.007) & (month_se < 0.02)).all()
    assert 0.004 < table.loc["trend_per_year", "se"] < 0.012
    names = [f"weekday.{d}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    truth = dict(zip(names, WEEKDAY, strict=True))
    truth["trend_per_year"] = TREND
    for term, value in truth.items():
        assert abs(table.loc[term, "value"] - value) < 4.5 * table.loc[term, "se"], term


def test_fit_diagnostics(two_years):
    assert two_years.notes == ()
    assert 0.85 < two_years.dispersion < 1.15  # Poisson data
    daily = two_years.daily
    assert len(daily) == 731
    assert daily["orders"].sum() == pytest.approx(daily["fitted"].sum(), rel=1e-6)
    assert list(two_years.table.columns) == ["term", "value", "se", "n_days", "orders", "note"]


def test_reference_date_moves_rate_and_trend_exactly(two_years):
    later = fit_poisson_arrivals(simulate(), reference_date=dt.date(2026, 1, 1))
    r0, b0 = two_years.spec["rate_per_day"], two_years.spec["trend_per_year"]
    r1, b1 = later.spec["rate_per_day"], later.spec["trend_per_year"]
    shift = 731  # days from 2024-01-01 to 2026-01-01
    for d in (0.0, 100.0, 900.0):
        assert r1 * (1 + b1 * (d - shift) / 365) == pytest.approx(r0 * (1 + b0 * d / 365))


def test_deterministic():
    first = fit_poisson_arrivals(simulate(seed=3))
    second = fit_poisson_arrivals(simulate(seed=3))
    pd.testing.assert_frame_equal(first.table, second.table)


def test_no_trend():
    fit = fit_poisson_arrivals(simulate(trend=0.0, seed=8), fit_trend=False)
    assert fit.spec["trend_per_year"] == 0.0
    assert fit.spec["rate_per_day"] == pytest.approx(RATE, rel=0.03)


def test_holidays_recovered():
    holidays = pd.date_range("2024-03-01", periods=20, freq="17D").date
    times = simulate(holidays=holidays, holiday_multiplier=0.3, seed=9)
    fit = fit_poisson_arrivals(times, holidays=holidays)
    # ~20 days x 100 x 0.3 = 600 holiday orders: se(h) ~ 0.3 / sqrt(600) = 0.012; 4 se = 0.05.
    assert fit.spec["holiday_multiplier"] == pytest.approx(0.3, abs=0.05)
    assert fit.spec["holidays"] == sorted(holidays)
    PoissonArrivals.model_validate(fit.spec)


def test_closed_weekday_and_missing_months():
    weekday = WEEKDAY.copy()
    weekday[6] = 0.0  # closed on Sundays
    times = simulate(start="2024-03-04", end="2024-05-31", weekday=weekday, trend=0.0, seed=10)
    fit = fit_poisson_arrivals(times, start=dt.date(2024, 3, 4), end=dt.date(2024, 5, 31))
    spec = fit.spec
    assert spec["weekday_multipliers"][6] == 0.0
    assert np.mean(spec["weekday_multipliers"]) == pytest.approx(1.0)
    assert spec["monthly_multipliers"][:2] == [1.0, 1.0]
    assert spec["monthly_multipliers"][5:] == [1.0] * 7
    assert np.mean(spec["monthly_multipliers"][2:5]) == pytest.approx(1.0)
    assert "no orders on any sun: multiplier 0" in fit.notes
    assert "no data for jan, feb, jun, jul, aug, sep, oct, nov, dec: multiplier 1" in fit.notes
    # Zero days are counted: every day of the period is a row.
    assert len(fit.daily) == (dt.date(2024, 5, 31) - dt.date(2024, 3, 4)).days + 1
    assert (fit.daily.loc[fit.daily["date"].dt.day_of_week == 6, "orders"] == 0).all()
    PoissonArrivals.model_validate(spec)


def test_overdispersion_noted():
    rng = np.random.default_rng(12)
    dates = pd.date_range("2024-01-01", periods=200, freq="D")
    counts = rng.negative_binomial(5, 5 / 105, dates.size)  # mean 100, variance 2100
    times = pd.Series(np.repeat(dates.to_numpy(), counts))
    fit = fit_poisson_arrivals(times, fit_trend=False)
    assert fit.dispersion > 10
    assert any("overdispersed" in note for note in fit.notes)


@pytest.mark.parametrize(
    ("times", "kwargs", "message"),
    [
        (pd.Series([], dtype="datetime64[ns]"), {}, "no timestamps"),
        (
            pd.Series(pd.to_datetime(["2024-01-01", None])),
            {},
            "1 timestamps are missing",
        ),
        (
            pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"])),
            {"start": dt.date(2024, 1, 10)},
            r"1 timestamps fall outside 2024-01-10..2024-02-01",
        ),
        (
            pd.Series(pd.to_datetime(["2024-01-01"])),
            {"start": dt.date(2024, 1, 10), "end": dt.date(2024, 1, 5)},
            "end 2024-01-05 is before start 2024-01-10",
        ),
    ],
)
def test_errors(times, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_poisson_arrivals(times, **kwargs)
