"""The shared interval helpers of twin.stats: one Student-t quantile and half-width for every
interval twin reports, with an explicit choice for a single replication."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from twin.stats import t_half_width, t_interval, t_quantile, wilson_interval


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
