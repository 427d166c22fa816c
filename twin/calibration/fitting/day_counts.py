"""Whole-day durations: the likelihood of the recorded day counts and its chi-square test.

A duration between two dates is a whole number of days. With both events uniform within their
day, a true duration T is recorded as D = k with weight 1 - |T - k|, so
P(D = k) = G(k + 1) - 2 G(k) + G(k - 1) with G(x) the integral of the cdf from 0 to x, in closed
form per family through its partial expectation. Each family is fitted on unconstrained
parameters (logs of the positive ones), starting from its continuous fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from twin.calibration.fitting.day_families import (
    family_cdf,
    partial_expectation,
    truncated_normal_day_probabilities,
)
from twin.calibration.fitting.families import continuous_candidate
from twin.calibration.fitting.result import FitResult, checked_row, choose


def is_whole_days(values: Any) -> bool:
    """True when every value is a whole number: durations between two dates."""
    x = np.asarray(values, dtype=np.float64)
    return bool(x.size) and bool(np.all(x == np.round(x)))


def _theta(name: str, params: dict[str, Any]) -> np.ndarray:
    """Unconstrained start parameters from the continuous fit's twin parameters."""
    if name == "exponential":
        return np.array([math.log(params["mean"])])
    if name in ("gamma", "weibull"):
        return np.log([params["shape"], params["scale"]])
    if name == "lognormal":
        s2 = math.log1p((params["sd"] / params["mean"]) ** 2)
        return np.array([math.log(params["mean"]) - 0.5 * s2, 0.5 * math.log(s2)])
    return np.array([params["mean"], math.log(params["sd"])])


def _twin_params(name: str, theta: np.ndarray) -> dict[str, Any]:
    a, b = float(theta[0]), float(theta[-1])
    if name == "exponential":
        return {"dist": "exponential", "mean": math.exp(a)}
    if name in ("gamma", "weibull"):
        return {"dist": name, "shape": math.exp(a), "scale": math.exp(b)}
    if name == "lognormal":
        s = math.exp(b)
        mean = math.exp(a + 0.5 * s * s)
        return {"dist": "lognormal", "mean": mean, "sd": mean * math.sqrt(math.expm1(s * s))}
    return {"dist": "normal", "mean": a, "sd": math.exp(b)}


def _day_probabilities(name: str, theta: np.ndarray, days: np.ndarray) -> np.ndarray:
    """P(D = k) for whole days k >= 0: G(k+1) - 2 G(k) + G(k-1), G = integral of the cdf."""
    if name == "normal":
        return truncated_normal_day_probabilities(float(theta[0]), math.exp(theta[1]), days)
    points = np.concatenate([days - 1.0, days, days + 1.0])
    positive = np.clip(points, 1e-300, None)
    g = np.where(
        points > 0,
        positive * family_cdf(name, theta, positive) - partial_expectation(name, theta, positive),
        0,
    )
    below, at, above = np.split(g, 3)
    return above - 2.0 * at + below


def _day_counts_loglik(name: str, theta: np.ndarray, days: np.ndarray, counts: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        p = _day_probabilities(name, theta, days)
    if not np.all(np.isfinite(p)):
        return -np.inf
    return float(np.dot(counts, np.log(np.clip(p, 1e-300, None))))


def _chi_square(expected: np.ndarray, observed: np.ndarray, k: int) -> tuple[float, float]:
    """Chi-square of day counts, adjacent days merged until each expects >= 5 (tail included)."""
    bins_e, bins_o, e_acc, o_acc = [], [], 0.0, 0.0
    for e, o in zip(expected, observed, strict=True):
        e_acc, o_acc = e_acc + e, o_acc + o
        if e_acc >= 5.0:
            bins_e.append(e_acc)
            bins_o.append(o_acc)
            e_acc = o_acc = 0.0
    if bins_e:
        bins_e[-1] += e_acc
        bins_o[-1] += o_acc
    df = len(bins_e) - 1 - k
    if df < 1:
        return np.nan, np.nan
    e, o = np.asarray(bins_e), np.asarray(bins_o)
    stat = float(((o - e) ** 2 / e).sum())
    return stat, float(scipy.stats.chi2.sf(stat, df))


def fit_whole_days(
    x: np.ndarray, candidates: Sequence[str], gof_alpha: float, max_empirical_values: int
) -> FitResult:
    """Fit each family to whole-day values by the likelihood of the recorded day counts."""
    n = x.size
    days, counts = np.unique(x, return_counts=True)
    support = np.arange(0.0, days.max() + 1.0)
    observed = np.zeros(support.size)
    observed[days.astype(np.int64)] = counts
    start_values = np.where(x > 0, x, 0.25)  # a start only: zeros are fine in the day likelihood
    rows: list[dict] = []
    for name in candidates:
        start_params, k, _, _ = continuous_candidate(name, start_values)
        result = scipy.optimize.minimize(
            lambda theta, name=name: -_day_counts_loglik(name, theta, days, counts),
            _theta(name, start_params),
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000},
        )
        loglik = -float(result.fun)
        params = _twin_params(name, result.x)
        row = checked_row(name, params, k, loglik, n)
        if row["note"]:
            rows.append(row)
            continue
        expected = n * _day_probabilities(name, result.x, support)
        expected[-1] += max(0.0, n - expected.sum())  # the tail beyond the largest value
        row["gof_test"] = "chi2"
        row["gof_stat"], row["gof_p"] = _chi_square(expected, observed, k)
        row["note"] = "whole days: day-count likelihood"
        rows.append(row)
    return choose(rows, x, gof_alpha, max_empirical_values, "chi-square")
