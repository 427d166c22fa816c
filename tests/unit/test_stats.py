"""The shared interval helpers of twin.stats: one Student-t quantile and half-width for every
interval twin reports, with an explicit choice for a single replication."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from twin.stats import (
    prediction_band,
    prediction_band_level,
    prediction_band_rank,
    t_half_width,
    t_interval,
    t_quantile,
    wilson_interval,
)


def test_t_quantile_is_two_sided_unless_asked() -> None:
    assert t_quantile(0.95, 9) == pytest.approx(stats.t.ppf(0.975, 9))
    assert t_quantile(0.95, 9, one_sided=True) == pytest.approx(stats.t.ppf(0.95, 9))


def test_t_half_width_of_a_mean() -> None:
    x = np.array([3.0, 5.0, 4.0, 8.0])
    expected = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2.0
    assert t_half_width(x.std(ddof=1), x.size) == pytest.approx(expected)
    mean, _, low, high = t_interval(x)
    assert (high - low) / 2 == pytest.approx(expected) and mean == pytest.approx(5.0)


def test_one_replication_gives_no_interval_or_a_collapsed_band_as_asked() -> None:
    assert math.isnan(t_half_width(1.0, 1))
    assert t_half_width(np.nan, 1, single=0.0) == 0.0
    halves = t_half_width(np.array([np.nan, 2.0]), np.array([1, 4]), single=0.0)
    assert halves[0] == 0.0 and halves[1] == pytest.approx(stats.t.ppf(0.975, 3))
    mean, sd, low, high = t_interval(np.array([7.0]))
    assert mean == 7.0 and math.isnan(sd) and math.isnan(low) and math.isnan(high)


def test_wilson_interval_stays_inside_zero_one() -> None:
    low, high = wilson_interval(5, 5)
    assert 0.0 < low < 1.0 and high == pytest.approx(1.0)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


@pytest.mark.parametrize(
    ("members", "level", "rank", "holds"),
    [(20, 0.9, 1, 19 / 21), (20, 0.5, 5, 11 / 21), (39, 0.9, 2, 36 / 40), (9, 0.8, 1, 8 / 10)],
)
def test_prediction_band_rank_and_level_by_hand(members, level, rank, holds):
    assert prediction_band_rank(members, level) == rank
    assert prediction_band_level(members, level) == pytest.approx(holds)


def test_too_few_members_give_their_range_and_say_it_holds_less():
    assert prediction_band_rank(10, 0.9) == 0
    assert prediction_band_level(10, 0.9) == pytest.approx(9 / 11)
    low, high = prediction_band(np.array([3.0, 1.0, 2.0]), 0.9)
    assert (float(low), float(high)) == (1.0, 3.0)


def test_prediction_band_leaves_out_missing_members_per_column():
    x = np.arange(20.0)[:, None] * np.ones((1, 2))
    x[0, 1] = np.nan  # 19 members left in column 1: rank floor(20 * 0.05) = 1 still
    low, high = prediction_band(x, 0.9)
    np.testing.assert_array_equal(low, [0.0, 1.0])
    np.testing.assert_array_equal(high, [19.0, 19.0])


def test_a_new_draw_falls_in_the_band_as_often_as_it_claims():
    # 20,000 ensembles of 20 normal members and one new draw each: the 90 % band holds the new
    # draw with probability 19/21 = 0.905 exactly; the binomial sd of the share is 0.002, so
    # 0.01 is five standard errors. The 5-95 % sample quantiles hold it only ~0.81.
    rng = np.random.default_rng(7)
    members = rng.standard_normal((20, 20_000))
    new = rng.standard_normal(20_000)
    low, high = prediction_band(members, 0.9)
    assert np.mean((new >= low) & (new <= high)) == pytest.approx(19 / 21, abs=0.01)
    q05, q95 = np.quantile(members, [0.05, 0.95], axis=0)
    assert np.mean((new >= q05) & (new <= q95)) < 0.85
