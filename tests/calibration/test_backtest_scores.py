"""Backtest scores against hand-computed cases and closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from twin.calibration.backtest_scores import (
    QUANTILES,
    crps_ensemble,
    naive_baseline,
    pinball_loss,
    score_window,
)


def _crps_by_integral(members: np.ndarray, y: float) -> float:
    """Integral of (F(x) - 1{x >= y})^2 over x, exact for the ensemble's step CDF."""
    points = np.sort(np.append(members, y))
    total = 0.0
    for left, right in itertools.pairwise(points):
        cdf = np.mean(members <= left)
        step = 1.0 if left >= y else 0.0
        total += (cdf - step) ** 2 * (right - left)
    return total


def test_crps_of_two_members_by_hand():
    # E|X - 0| = 0.5, E|X - X'| = (0 + 1 + 1 + 0) / 4 = 0.5, so 0.5 - 0.25
    assert crps_ensemble(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.25)


def test_crps_of_one_member_is_the_absolute_error():
    assert crps_ensemble(np.array([3.0]), 5.0) == pytest.approx(2.0)


@pytest.mark.parametrize("y", [-3.0, 0.4, 2.0, 7.5])
def test_crps_equals_the_integral_of_the_squared_cdf_difference(y):
    members = np.random.default_rng(3).gamma(2.0, 1.5, size=25)
    assert crps_ensemble(members, y) == pytest.approx(_crps_by_integral(members, y), rel=1e-12)


def test_crps_of_weeks_is_per_column():
    rng = np.random.default_rng(4)
    simulated = rng.normal(size=(30, 5))
    actual = rng.normal(size=5)
    per_week = crps_ensemble(simulated, actual)
    expected = [crps_ensemble(simulated[:, k], actual[k]) for k in range(5)]
    np.testing.assert_allclose(per_week, expected)


@pytest.mark.parametrize("y", [-1.0, 2.0, 4.5])
def test_crps_of_a_large_normal_ensemble_matches_the_closed_form(y):
    """Gneiting and Raftery (2007): CRPS(N(mu, s), y) = s [z(2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)].

    Tolerance 0.03: with 20,000 members (seed 0) the Monte Carlo standard error of E|X - y| is
    about s / sqrt(n) = 0.011, so 0.03 is nearly three standard errors.
    """
    mu, s = 2.0, 1.5
    members = np.random.default_rng(0).normal(mu, s, size=20_000)
    z = (y - mu) / s
    closed = s * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert crps_ensemble(members, y) == pytest.approx(closed, abs=0.03)


def test_pinball_loss_by_hand():
    assert pinball_loss(10.0, 12.0, 0.9) == pytest.approx(1.8)  # under: 0.9 x 2
    assert pinball_loss(10.0, 8.0, 0.9) == pytest.approx(0.2)  # over: 0.1 x 2
    assert pinball_loss(10.0, 10.0, 0.5) == 0.0


def test_mean_pinball_over_a_fine_grid_approaches_half_the_crps():
    """CRPS = 2 x integral over tau of the pinball loss; the mean over a fine grid of levels of
    the ensemble's quantiles approaches CRPS / 2 (tolerance 2 %: the grid's discretisation)."""
    members = np.random.default_rng(1).normal(size=400)
    levels = np.linspace(0.0005, 0.9995, 1000)
    y = 0.7
    mean_pinball = np.mean([pinball_loss(np.quantile(members, t), y, t) for t in levels])
    assert 2 * mean_pinball == pytest.approx(crps_ensemble(members, y), rel=0.02)


def test_seasonal_naive_with_more_than_a_year_of_weeks():
    train = np.arange(60, dtype=float)  # week t has value t
    name, forecast, scale = naive_baseline(train, 3)
    assert name == "seasonal_naive"
    np.testing.assert_array_equal(forecast, [8.0, 9.0, 10.0])  # weeks 60..62 minus 52
    assert scale == pytest.approx(52.0)  # every |y_t - y_{t-52}| is 52


def test_mean_of_the_last_8_weeks_without_a_year():
    train = np.array([5.0, 1.0, 4.0, 4.0, 2.0, 6.0, 3.0, 7.0, 5.0, 8.0])
    name, forecast, scale = naive_baseline(train, 2)
    assert name == "mean_8_weeks"
    np.testing.assert_allclose(forecast, [39 / 8, 39 / 8])
    assert scale == pytest.approx(np.mean([4, 3, 0, 2, 4, 3, 4, 2, 3]))


def test_naive_baseline_leaves_out_weeks_without_a_value():
    train = np.array([2.0, np.nan, 4.0, 6.0])
    _, forecast, scale = naive_baseline(train, 1)
    assert forecast[0] == pytest.approx(4.0)
    assert scale == pytest.approx(2.0)  # only 4 -> 6 is a one-step difference with both values


def test_scores_of_a_small_window_by_hand():
    actual = np.array([10.0, 20.0])
    simulated = np.array([[8.0, 18.0], [12.0, 22.0], [10.0, 40.0], [14.0, 24.0]])
    row = score_window(actual, simulated, np.array([11.0, 11.0]), 4.0, "mean_8_weeks")
    mean = np.array([11.0, 26.0])
    assert row["weeks"] == 2
    assert row["forecast_mean"] == pytest.approx(18.5)
    assert row["mape"] == pytest.approx((1 / 10 + 6 / 20) / 2)
    assert row["bias"] == pytest.approx((1 + 6) / 30)
    # four members make no band narrower than their range (k = floor(5 / 4) = 1 for 50 %):
    # week 0's 10 lies in [8, 14], week 1's 20 in [18, 40]
    assert row["coverage_50"] == pytest.approx(1.0)
    assert row["coverage_90"] == pytest.approx(1.0)
    assert row["width_50"] == pytest.approx((6 + 22) / 2 / 15)
    assert row["mase"] == pytest.approx(np.mean(np.abs(mean - actual)) / 4.0)
    assert row["baseline_mase"] == pytest.approx((1 + 9) / 2 / 4.0)
    assert row["relative_mae"] == pytest.approx(3.5 / 5.0)
    assert row["baseline_bias"] == pytest.approx((1 - 9) / 30)
    q = np.quantile(simulated, QUANTILES, axis=0)
    expected_pinball = np.mean(
        [pinball_loss(q[i], actual, t).mean() for i, t in enumerate(QUANTILES)]
    )
    assert row["pinball"] == pytest.approx(expected_pinball)
    assert row["crps"] == pytest.approx(crps_ensemble(simulated, actual).mean())
    assert row["width_90"] == pytest.approx((6 + 22) / 2 / 15.0)  # the range, as for 50 %


def test_weeks_without_an_actual_value_are_left_out():
    actual = np.array([10.0, np.nan])
    simulated = np.array([[10.0, 1.0], [12.0, 2.0]])
    row = score_window(actual, simulated, np.array([10.0, 10.0]), 1.0)
    assert row["weeks"] == 1
    assert row["forecast_mean"] == pytest.approx(11.0)


def test_bands_of_twenty_replications_are_their_order_statistics():
    simulated = np.arange(1.0, 21.0)[:, None] * np.ones((1, 4))
    # the 90 % band is the range [1, 20]; the 50 % band the 5th to the 16th, [5, 16]
    actual = np.array([1.0, 5.0, 16.0, 17.0])
    row = score_window(actual, simulated, np.full(4, 10.0), 1.0)
    assert row["coverage_90"] == pytest.approx(1.0)
    assert row["coverage_50"] == pytest.approx(0.5)  # 1 and 17 lie outside [5, 16]
