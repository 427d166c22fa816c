"""Fit durations and delays (days) and choose a model: :func:`fit_continuous`.

Every family of :mod:`.families` by maximum likelihood, screened by a Kolmogorov-Smirnov test and
chosen by AIC; whole-day values go to the day-count likelihood of :mod:`.day_counts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.stats

from twin.calibration.fitting.day_counts import fit_whole_days, is_whole_days
from twin.calibration.fitting.families import (
    CONTINUOUS_CANDIDATES,
    NO_ZEROS,
    continuous_candidate,
)
from twin.calibration.fitting.result import (
    FitResult,
    as_values,
    checked_row,
    choose,
    constant_fit,
    skipped_row,
)


def fit_continuous(
    values: Any,
    candidates: Sequence[str] = CONTINUOUS_CANDIDATES,
    *,
    min_n: int = 30,
    support: str = "nonnegative",
    gof_alpha: float = 0.05,
    max_empirical_values: int = 1000,
    whole_days: bool | None = None,
) -> FitResult:
    """Fit durations or delays (days) and choose a model from the twin's vocabulary.

    Each candidate is fitted by maximum likelihood with location 0. ``lognormal`` is returned as
    the mean and sd of X (``mean = exp(m + s**2/2)``, ``sd = mean * sqrt(exp(s**2) - 1)`` from the
    MLE (m, s) of log X); ``normal`` is the normal truncated at 0 that the twin samples, fitted by
    maximising its likelihood numerically. Goodness of fit is the one-sample Kolmogorov-Smirnov
    test against the fitted cdf. The p-values are optimistic: the parameters were estimated from
    the same data, so the true null distribution of the statistic is stochastically smaller than
    the one assumed (Lilliefors, 1967), and a bad fit passes more often than ``gof_alpha``
    suggests. Treat ``gof_p`` as a screen, not a test. Conversely, with many thousands of values
    every parametric family tends to fail, and the empirical fallback is chosen.

    Parameters
    ----------
    values : array-like of float
        Observed values, >= 0 (days or the unit of the quantity).
    candidates : sequence of str
        Families to try, from ``exponential, gamma, lognormal, weibull, normal``.
    min_n : int
        Fewest values accepted; fewer raise ValueError (pool small groups with
        :func:`fit_grouped`).
    support : {"nonnegative", "positive"}
        ``"positive"`` rejects zeros; ``"nonnegative"`` accepts them and then skips gamma,
        lognormal and weibull (their density at 0 is 0 or infinite).
    gof_alpha : float
        A candidate is eligible when its KS p-value is >= ``gof_alpha``.
    max_empirical_values : int
        The empirical fallback keeps at most this many values: all of them, or that many equally
        spaced quantiles.
    whole_days : bool or None
        Values are differences of two dates: fit the likelihood of the recorded day counts and
        screen with a chi-square test (see the module notes). ``None`` (the default) decides from
        the data: whole days when every value is a whole number.

    Returns
    -------
    FitResult
        The chosen model (lowest AIC among eligible candidates, else ``empirical``) and the table.

    Raises
    ------
    ValueError
        If there are fewer than ``min_n`` values, a value is negative or not finite, or a
        candidate or ``support`` is unknown.
    """
    if support not in ("nonnegative", "positive"):
        raise ValueError(f"support must be 'nonnegative' or 'positive', got {support!r}")
    x = as_values(values, "fit_continuous", min_n)
    n = x.size
    has_zeros = bool((x == 0).any())
    if has_zeros and support == "positive":
        raise ValueError(
            f"fit_continuous: {int((x == 0).sum())} values are 0 but support is 'positive'"
        )
    if np.ptp(x) == 0:
        return constant_fit(x)

    if is_whole_days(x) if whole_days is None else whole_days:
        return fit_whole_days(x, candidates, gof_alpha, max_empirical_values)
    rows: list[dict] = []
    for name in candidates:
        if has_zeros and name in NO_ZEROS:
            rows.append(skipped_row(name, f"skipped: {int((x == 0).sum())} values are 0"))
            continue
        params, k, loglik, cdf = continuous_candidate(name, x)
        row = checked_row(name, params, k, loglik, n)
        if row["note"]:
            rows.append(row)
            continue
        ks = scipy.stats.kstest(x, cdf)
        row["gof_test"] = "ks"
        row["gof_stat"], row["gof_p"] = float(ks.statistic), float(ks.pvalue)
        rows.append(row)
    return choose(rows, x, gof_alpha, max_empirical_values, "KS")
