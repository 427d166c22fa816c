"""Small exact statistics shared by every layer: Student-t intervals of a mean, Wilson intervals
of a proportion, prediction bands of an ensemble, and the across-replication summary table.

Every Student-t interval in twin (a KPI's mean, a paired difference, a check's one-sided bound,
a chart's band, a regression coefficient) takes its quantile from :func:`t_quantile` and, for a
mean, its half-width from :func:`t_half_width`, so they agree on what one replication gives.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from twin.tables import SUMMARY_COLUMNS


def t_quantile(confidence: float, dof: float | np.ndarray, one_sided: bool = False):
    """The Student-t quantile of a ``confidence`` interval with ``dof`` degrees of freedom.

    :math:`t_{1-\\alpha/2,\\,\\nu}` for a two-sided interval, :math:`t_{1-\\alpha,\\,\\nu}` for a
    one-sided bound (:math:`\\alpha = 1 -` ``confidence``). NaN where ``dof`` < 1.
    """
    return stats.t.ppf(confidence if one_sided else 0.5 + confidence / 2, dof)


def t_half_width(
    sd: float | np.ndarray,
    n: float | np.ndarray,
    confidence: float = 0.95,
    one_sided: bool = False,
    single: float = math.nan,
):
    """Half-width :math:`t_{q,\\,n-1}\\, s / \\sqrt{n}` of a Student-t interval of a mean.

    The mean of ``n`` independent replications with sample standard deviation ``sd`` (Law,
    *Simulation Modeling and Analysis*, 5th ed., §9.4.1); elementwise on arrays.

    Parameters
    ----------
    sd, n
        Sample standard deviation (in the values' unit) and number of values.
    confidence
        Confidence level, in (0, 1).
    one_sided
        The distance to a one-sided bound instead of a two-sided interval's half-width.
    single
        The half-width with fewer than two values, which have no spread to estimate it from:
        NaN (no interval; the tables' choice) by default, 0 to collapse a chart's band onto
        its mean.
    """
    count = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_quantile(confidence, count - 1.0, one_sided) * sd / np.sqrt(count)
    half = np.where(count >= 2, half, single)
    return float(half) if half.ndim == 0 else half


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, sd, low, high) of the mean of independent replications, by the t-distribution.

    With one value there is no interval: sd, low and high are NaN. NaN values (a KPI undefined
    in some replication) are left out.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (np.nan,) * 4
    mean = float(x.mean())
    if x.size == 1:
        return mean, np.nan, np.nan, np.nan
    sd = float(x.std(ddof=1))
    half = t_half_width(sd, x.size, confidence)
    return mean, sd, mean - half, mean + half


def summarise(kpis: pd.DataFrame, units: dict[str, str], confidence: float = 0.95) -> pd.DataFrame:
    """Long table ``kpi, mean, std, ci_low, ci_high, unit`` from one row per replication."""
    rows = []
    for kpi in kpis.columns:
        if kpi in ("replication", "seed"):
            continue
        mean, sd, low, high = t_interval(kpis[kpi].to_numpy(), confidence)
        rows.append((kpi, mean, sd, low, high, units.get(kpi, "")))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``successes / n`` (Wilson 1927, JASA 22:209).

    Unlike the normal approximation it stays inside [0, 1] and is usable for a few trials, also
    when all or none succeed. ``(nan, nan)`` when ``n == 0``.
    """
    if n <= 0:
        return np.nan, np.nan
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(ci.low), float(ci.high)


def prediction_band_rank(members: int, level: float) -> int:
    """The rank k of the band ``[x_(k), x_(n+1-k)]`` holding a new draw with probability >= level.

    For n exchangeable members and a new draw from the same distribution, the new draw's rank
    among the n + 1 is uniform, so it falls between the k-th smallest and the k-th largest member
    with probability ``(n + 1 - 2k) / (n + 1)`` (Wilks 1941). The largest k with that probability
    at least ``level`` is ``floor((n + 1) (1 - level) / 2)``; 0 when n is too small for the level
    (fewer than ``2 / (1 - level) - 1`` members), where the band is the members' range and holds
    less than ``level`` (:func:`prediction_band_level` says how much).
    """
    if members < 1:
        raise ValueError("a prediction band needs at least one member")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    # the small epsilon keeps (n + 1)(1 - level) / 2 exact where it is a whole number in decimal
    return math.floor((members + 1) * (1.0 - level) / 2.0 + 1e-9)


def prediction_band_level(members: int, level: float) -> float:
    """The probability that :func:`prediction_band` of n members holds a new draw."""
    k = max(prediction_band_rank(members, level), 1)
    return (members + 1 - 2 * k) / (members + 1)


def prediction_band(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``level`` prediction band of an ensemble along axis 0 (members x ...), NaN left out.

    The band a new draw from the ensemble's distribution falls in with probability at least
    ``level`` (:func:`prediction_band_rank`): with 20 replications the 90 % band is their range
    (19/21 = 0.905) and the 50 % band runs from the 5th to the 16th (11/21 = 0.524), where the
    5-95 % sample quantiles of 20 members hold a new draw only about 81 % of the time. Columns
    with fewer members than the level needs get the members' range; NaN where none is finite.
    """
    x = np.sort(np.asarray(values, dtype=float), axis=0)  # NaN sort last
    finite = np.isfinite(x).sum(axis=0)
    shape = x.shape[1:]
    low = np.full(shape, np.nan)
    high = np.full(shape, np.nan)
    for n in np.unique(finite):
        if n == 0:
            continue
        k = max(prediction_band_rank(int(n), level), 1)
        columns = finite == n
        low[columns] = x[k - 1][columns] if shape else x[k - 1]
        high[columns] = x[n - k][columns] if shape else x[n - k]
    return low, high
