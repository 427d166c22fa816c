"""Fit counts (lines per order, units per line) and choose by AIC: :func:`fit_count`.

Candidates: the Poisson, the negative binomial (mean and dispersion by maximum likelihood) and an
empirical pmf on a bounded support.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.optimize
import scipy.stats

from twin.calibration.fitting.result import (
    FitResult,
    as_values,
    candidate_row,
    candidate_table,
    constant_fit,
    skipped_row,
)

COUNT_CANDIDATES = ("poisson", "negative_binomial", "discrete")


def _negbin_loglik(x: np.ndarray, mean: float, k: float) -> float:
    """Log-likelihood of the counts ``x`` under the negative binomial (mean, dispersion k)."""
    return _negbin_loglik_of(*np.unique(x, return_inverse=True), mean, k)


def _negbin_loglik_of(distinct: np.ndarray, inverse: np.ndarray, mean: float, k: float) -> float:
    """The log-likelihood of ``distinct[inverse]``, the counts.

    The log-pmf is evaluated once per distinct count (a few hundred, not hundreds of thousands)
    and spread back over the values before summing, so the sum is the one over every value in
    its order: the same number to the last bit as ``nbinom.logpmf(x, k, p).sum()``.
    """
    p = k / (k + mean)
    return float(scipy.stats.nbinom.logpmf(distinct, k, p)[inverse].sum())


def _fit_negbin(x: np.ndarray) -> tuple[float, float]:
    """MLE of (mean, dispersion k) with variance mean + mean**2 / k.

    For fixed k the MLE of the mean is the sample mean, so only k is searched (on log k).
    """
    mean = float(x.mean())
    variance = float(x.var(ddof=1))
    k_moments = mean * mean / (variance - mean)
    distinct, inverse = np.unique(x, return_inverse=True)

    def negloglik(log_k: float) -> float:
        return -_negbin_loglik_of(distinct, inverse, mean, math.exp(log_k))

    centre = math.log(k_moments)
    result = scipy.optimize.minimize_scalar(
        negloglik,
        bounds=(centre - 8.0, centre + 8.0),
        method="bounded",
        options={"xatol": 1e-8},
    )
    return mean, float(math.exp(result.x))


def _discrete_pmf(x: np.ndarray, max_support: int) -> tuple[dict[str, Any], float, str]:
    """Empirical pmf with at most ``max_support`` points, and its log-likelihood.

    When there are more distinct values, the ``max_support - 1`` smallest keep their own point and
    the rest (the tail) merge into one point at their mean, rounded to an integer (the model
    rounds count draws anyway). The log-likelihood then spreads the tail's probability evenly over
    the distinct tail values observed, so that it stays finite and comparable with the other
    candidates; it slightly understates how well a per-value pmf would fit.
    """
    support, counts = np.unique(x, return_counts=True)
    n = x.size
    if support.size <= max_support:
        probabilities = counts / n
        loglik = float(np.dot(counts, np.log(probabilities)))
        dist = {
            "dist": "discrete",
            "values": [float(v) for v in support],
            "probabilities": [float(p) for p in probabilities],
        }
        return dist, loglik, f"{support.size} support points"
    head = max_support - 1
    tail_values, tail_counts = support[head:], counts[head:]
    tail_n = int(tail_counts.sum())
    tail_point = float(np.round(np.dot(tail_values, tail_counts) / tail_n))
    probabilities = np.append(counts[:head], tail_n) / n
    loglik = float(
        np.dot(counts[:head], np.log(probabilities[:head]))
        + tail_n * math.log(probabilities[-1] / tail_values.size)
    )
    dist = {
        "dist": "discrete",
        "values": [*(float(v) for v in support[:head]), tail_point],
        "probabilities": [float(p) for p in probabilities],
    }
    note = (
        f"{support.size} distinct values; values >= {support[head]:g} merged into "
        f"{tail_point:g} (p = {probabilities[-1]:.3g})"
    )
    return dist, loglik, note


def fit_count(
    values: Any,
    candidates: Sequence[str] = COUNT_CANDIDATES,
    *,
    min_n: int = 30,
    max_support: int = 20,
) -> FitResult:
    """Fit counts (lines per order, units per line) and choose by AIC.

    ``poisson``: MLE mean = sample mean. ``negative_binomial``: mean = sample mean (its MLE for any
    dispersion) and the dispersion k (variance = mean + mean**2 / k) by maximising the
    likelihood over log k; skipped when the sample variance does not exceed the mean (the MLE is
    then k -> infinity, the Poisson). ``discrete``: the empirical pmf with at most ``max_support``
    points, the tail merged (see the note in the table); it has ``support points - 1``
    parameters, so AIC prefers it only when the parametric families are clearly wrong.

    Parameters
    ----------
    values : array-like of int
        Observed counts, integers >= 0.
    candidates : sequence of str
        From ``poisson, negative_binomial, discrete``.
    min_n : int
        Fewest values accepted.
    max_support : int
        Most points of the ``discrete`` candidate (>= 2).

    Returns
    -------
    FitResult
        The candidate with the lowest AIC, and the table (``gof_*`` columns are NaN).

    Raises
    ------
    ValueError
        If there are fewer than ``min_n`` values, a value is negative, fractional or not finite,
        or a candidate is unknown.
    """
    x = as_values(values, "fit_count", min_n)
    n = x.size
    fractional = np.flatnonzero(x != np.round(x))
    if fractional.size:
        raise ValueError(
            f"fit_count: value at position {int(fractional[0])} is {x[fractional[0]]:g}, "
            "expected a whole number"
        )
    if max_support < 2:
        raise ValueError(f"max_support must be >= 2, got {max_support}")
    if np.ptp(x) == 0:
        return constant_fit(x)

    mean = float(x.mean())
    rows: list[dict] = []
    for name in candidates:
        if name == "poisson":
            loglik = float(scipy.stats.poisson.logpmf(x, mean).sum())
            rows.append(candidate_row(name, {"dist": "poisson", "mean": mean}, 1, loglik, n))
        elif name == "negative_binomial":
            if x.var(ddof=1) <= mean:
                rows.append(skipped_row(name, "skipped: variance <= mean (not overdispersed)"))
                continue
            nb_mean, k = _fit_negbin(x)
            params = {"dist": "negative_binomial", "mean": nb_mean, "dispersion": k}
            rows.append(candidate_row(name, params, 2, _negbin_loglik(x, nb_mean, k), n))
        elif name == "discrete":
            params, loglik, note = _discrete_pmf(x, max_support)
            row = candidate_row(name, params, len(params["values"]) - 1, loglik, n)
            row["note"] = note
            rows.append(row)
        else:
            raise ValueError(
                f"unknown count candidate {name!r}; choose from {', '.join(COUNT_CANDIDATES)}"
            )
    table = candidate_table(rows)
    if table["aic"].isna().all():
        raise ValueError("fit_count: no candidate could be fitted; add 'poisson' or 'discrete'")
    best = table["aic"].idxmin()
    table.loc[best, "chosen"] = True
    name = table.loc[best, "candidate"]
    reason = f"{name}: lowest AIC of {int(table['aic'].notna().sum())} candidate(s) (n = {n})"
    return FitResult(dict(table.loc[best, "params"]), table, n, reason)
