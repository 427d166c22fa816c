"""Tests of twin.calibration.season_reading: the season reading's Akaike weight, its place in the
band, and the arrival fit that carries it.

The weight and the blend are exact formulas, checked to rounding. The recovery check uses the
month-pooling tests' synthetic histories (about 100 orders a day, lognormal AR(1) day multiplier
sd 0.15, autocorrelation 0.5): eleven months of a season rising from January to November and
no trend, the shape one year cannot tell from growth. The forecast of the next 13 weeks must lie
within 2.5 stated predictive sds of the truth (the sd from 200 draws of the stated parameter
uncertainty); 2.5 sd is about 1 in 80 per check, two checks with fixed seeds, and the season
reading must have a weight of its own (above 0.1) in both.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from test_month_pooling import (
    HORIZON_DAYS,
    expected,
    history,
    stated_sd_of_total,
)

from twin.calibration.arrivals import fit_poisson_arrivals
from twin.calibration.season_reading import (
    FORECAST_DAYS,
    band_sd,
    blend_readings,
    season_weight,
)
from twin.scenario.arrival_rates import daily_rates
from twin.scenario.arrivals import PoissonArrivals

#: the sample company's trade season: low in January, high from March to May and in autumn
RISING = np.array([0.85, 0.95, 1.05, 1.1, 1.1, 1.0, 0.95, 0.85, 1.05, 1.1, 1.05, 0.95])


def test_equal_likelihoods_leave_the_season_reading_the_weight_of_the_saved_parameters():
    # D = 2 (l_t - l_s) / phi - 2 k; w_s = 1 / (1 + exp(D / 2))
    assert season_weight(100.0, 100.0, 1, 1.0) == pytest.approx(1.0 / (1.0 + math.exp(-1.0)))
    assert season_weight(100.0, 100.0, 2, 1.0) == pytest.approx(1.0 / (1.0 + math.exp(-2.0)))


def test_the_dispersion_scales_the_evidence_and_below_one_counts_as_one():
    assert season_weight(104.0, 100.0, 1, 4.0) == pytest.approx(1.0 / (1.0 + math.exp(0.0)))
    assert season_weight(104.0, 100.0, 1, 0.5) == season_weight(104.0, 100.0, 1, 1.0)


def test_growth_evident_within_the_months_leaves_the_season_reading_nothing():
    assert season_weight(1000.0, 100.0, 1, 1.0) == 0.0
    assert season_weight(120.0, 100.0, 1, 1.0) < 1e-7


def test_a_trend_fit_without_trend_parameters_is_refused():
    with pytest.raises(ValueError, match="at least one trend parameter"):
        season_weight(1.0, 1.0, 0, 1.0)


def _spec(rate: float, trend: float, months: list[float] | None = None) -> dict:
    return {
        "kind": "poisson",
        "rate_per_day": rate,
        "monthly_multipliers": months or [1.0] * 12,
        "trend_per_year": trend,
        "uncertainty": {"log_rate_sd": 0.03, "trend_sd": 0.05, "correlation": 0.8},
    }


def _mixture_below(q: float, sd: float, d: float, w: float) -> float:
    return (1 - w) * scipy.stats.norm.cdf(q / sd) + w * scipy.stats.norm.cdf((q - d) / sd)


@pytest.mark.parametrize(
    ("sd", "d", "w"), [(0.035, -0.18, 0.2), (0.05, -0.11, 0.72), (0.1, 0.3, 0.5)]
)
def test_the_band_holds_the_mixtures_90_percent_band(sd, d, w):
    # the normal's 5 % and 95 % points hold the mixture's, one of them exactly
    new = band_sd(sd, d, w)
    z = scipy.stats.norm.ppf(0.95)
    below, above = _mixture_below(-z * new, sd, d, w), 1 - _mixture_below(z * new, sd, d, w)
    assert below <= 0.05 + 1e-9 and above <= 0.05 + 1e-9
    assert max(below, above) == pytest.approx(0.05, abs=1e-9)
    # the second moment about the growth reading would not hold it
    assert new > math.hypot(sd, math.sqrt(w) * d) or w > 0.5


def test_an_improbable_or_equal_reading_does_not_widen_the_band():
    assert band_sd(0.05, -0.5, 0.0) == 0.05
    assert band_sd(0.05, 0.0, 0.7) == 0.05
    assert band_sd(0.05, -0.5, 0.001) < 0.0505


def test_the_spec_keeps_the_point_and_states_the_reading_as_a_shared_term():
    growth = _spec(100.0, 0.0)
    season = _spec(80.0, 0.0)
    day = dt.date(2026, 1, 1)
    spec, reading = blend_readings(growth, season, 0.25, day, day)
    assert reading.log_ratio == pytest.approx(math.log(0.8))
    stated = spec["uncertainty"]
    # the segment's own sampling sd and its correlation with the slope stay as fitted; the
    # reading's sd is the shared term, so the total sd is the band's
    assert stated["log_rate_sd"] == 0.03 and stated["correlation"] == 0.8
    assert math.hypot(0.03, stated["shared_sd"]) == pytest.approx(
        band_sd(0.03, math.log(0.8), 0.25)
    )
    assert reading.added_sd == pytest.approx(stated["shared_sd"])
    assert stated["trend_sd"] == 0.05
    assert spec["rate_per_day"] == 100.0 and spec["monthly_multipliers"] == [1.0] * 12
    assert growth["uncertainty"]["log_rate_sd"] == 0.03  # the input is not changed


def test_the_readings_are_compared_on_the_quarter_after_the_history():
    # growing 36.5 % a year from the reference: the quarter from day 365 on is 1.365 + 0.0455 / 2
    growth = _spec(100.0, 0.365)
    season = _spec(100.0, 0.0)
    reference = dt.date(2025, 1, 1)
    _, reading = blend_readings(growth, season, 0.5, reference, dt.date(2026, 1, 1))
    days = np.arange(365, 365 + FORECAST_DAYS)
    assert reading.log_ratio == pytest.approx(-np.log(np.mean(1.0 + 0.365 * days / 365.0)))


def test_no_weight_no_change():
    growth = _spec(100.0, 0.0)
    spec, reading = blend_readings(
        growth, _spec(50.0, 0.0), 0.0, dt.date(2026, 1, 1), dt.date(2026, 1, 1)
    )
    assert spec == growth and reading.added_sd == 0.0


@pytest.mark.parametrize("seed", [1, 3])
def test_a_season_rising_over_eleven_months_is_held_by_the_band(seed):
    times, start, end = history(11, 0.0, RISING, seed)
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
    truth = expected(pd.date_range(origin, periods=HORIZON_DAYS), 0.0, RISING, start).sum()
    sd = stated_sd_of_total(arrivals, origin)
    assert abs(np.log(forecast / truth)) < 2.5 * sd, (forecast / truth, sd)
    weight = fit.table.set_index("term").loc["season_reading.weight", "value"]
    assert weight > 0.1
    assert any("growth or season" in note for note in fit.notes)


def test_months_seen_twice_have_no_season_reading():
    times, start, end = history(24, 0.2, RISING, 4)
    fit = fit_poisson_arrivals(
        times, start=start.date(), end=end.date(), changepoints=True, min_month_years=2
    )
    assert "season_reading.weight" not in set(fit.table["term"])
