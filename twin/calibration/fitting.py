"""Fit the twin's distribution vocabulary to observed values: durations, delays, counts.

:func:`fit_continuous` fits durations and delays (lead times, payment delays, transit days),
:func:`fit_count` fits counts (lines per order, units per line), and :func:`fit_grouped` applies
either to each group of a table (a supplier, a segment) under one pooling rule. Each returns a
:class:`FitResult` whose ``dist`` is a plain dict that :func:`twin.distributions.parse_distribution`
accepts and a scenario file can hold, with a table of every candidate tried and the reason for the
choice, so a planner can see why a model was picked and overrule it.

The rules, in one place:

* Maximum likelihood for every parametric candidate; location fixed at 0 (every quantity in the
  twin is >= 0). ``normal`` is the twin's normal, truncated at 0, and is fitted as such.
* Zeros: gamma, lognormal and weibull have a density of 0 or infinity at 0 for almost every
  parameter value, so when the data contain zeros they are skipped (listed in the table with the
  reason) rather than fitted to shifted data; exponential and normal remain.
* Choice (continuous): lowest AIC among the candidates whose goodness-of-fit p-value is at least
  ``gof_alpha``; if none passes, ``empirical`` on the values (thinned to at most
  ``max_empirical_values`` equally spaced quantiles). The test is Kolmogorov-Smirnov for values
  measured on a continuous scale.
* Whole days: a duration between two *dates* (an invoice date and a payment date) is a whole
  number of days, and a continuous density fitted to it is wrong twice: the likelihood ignores the
  rounding and KS rejects every family for the ties. When every value is a whole number the fit
  uses the likelihood of the observed day counts instead: with both events uniform within their
  day, a true duration T is recorded as D = k with weight 1 - |T - k| (the difference of two day
  truncations), so P(D = k) = G(k + 1) - 2 G(k) + G(k - 1) with G(x) the integral of the cdf from
  0 to x (in closed form per family, through its partial expectation). Goodness of fit is then a
  chi-square test of the day counts (adjacent days merged until each expects at least 5).
* Choice (counts): lowest AIC among poisson, negative binomial and a discrete pmf with at most
  ``max_support`` points.
* Pooling: groups with fewer than ``min_n`` values are fitted together as one ``"pooled"`` group.

Nothing here draws random numbers; the same data give the same result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import scipy.optimize
import scipy.special
import scipy.stats

from twin.distributions import Distribution, parse_distribution

__all__ = [
    "CONTINUOUS_CANDIDATES",
    "COUNT_CANDIDATES",
    "FitResult",
    "fit_continuous",
    "fit_count",
    "fit_grouped",
]

CONTINUOUS_CANDIDATES = ("exponential", "gamma", "lognormal", "weibull", "normal")
COUNT_CANDIDATES = ("poisson", "negative_binomial", "discrete")

#: Families whose density at 0 is 0 or infinite for almost every parameter value.
_NO_ZEROS = frozenset({"gamma", "lognormal", "weibull"})

TABLE_COLUMNS = [
    "candidate",
    "params",
    "k",
    "loglik",
    "aic",
    "bic",
    "gof_test",
    "gof_stat",
    "gof_p",
    "chosen",
    "note",
]


@dataclass(frozen=True)
class FitResult:
    """The outcome of one fit.

    Attributes
    ----------
    dist : dict
        The chosen model in the twin's vocabulary, e.g. ``{"dist": "gamma", "shape": 2.1,
        "scale": 1.4}``; :func:`twin.distributions.parse_distribution` accepts it.
    table : pandas.DataFrame
        One row per candidate, columns ``candidate, params, k, loglik, aic, bic, gof_test,
        gof_stat, gof_p, chosen, note`` (``k`` is the number of fitted parameters; ``gof_test`` is
        ``ks`` or ``chi2`` (whole days); the ``gof_*`` values are NaN for counts and for skipped
        candidates).
    n : int
        Number of values fitted.
    reason : str
        Why ``dist`` was chosen, in one sentence.
    pooled : bool
        True when the values were pooled with other small groups (:func:`fit_grouped`).
    group : hashable or None
        The group this result is for, when it came from :func:`fit_grouped`.
    pooled_groups : tuple
        The groups whose values were pooled into this fit (empty unless ``pooled``).
    """

    dist: dict[str, Any]
    table: pd.DataFrame
    n: int
    reason: str
    pooled: bool = False
    group: Hashable | None = None
    pooled_groups: tuple[Hashable, ...] = field(default_factory=tuple)

    @property
    def distribution(self) -> Distribution:
        """The chosen model, validated by :func:`twin.distributions.parse_distribution`."""
        return parse_distribution(self.dist)


# --------------------------------------------------------------------------- helpers


def _as_values(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError(f"{what}: no values to fit")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"{what}: value at position {int(bad[0])} is {array[bad[0]]}, expected a finite number"
        )
    if (array < 0).any():
        raise ValueError(
            f"{what}: value at position {int(np.flatnonzero(array < 0)[0])} is "
            f"{array[array < 0][0]:g}; the twin's quantities are >= 0"
        )
    return array


def _row(candidate: str, params: dict[str, Any] | None, k: int, loglik: float, n: int) -> dict:
    finite = params is not None and np.isfinite(loglik)
    return {
        "candidate": candidate,
        "params": params,
        "k": k,
        "loglik": loglik if finite else np.nan,
        "aic": 2 * k - 2 * loglik if finite else np.nan,
        "bic": k * math.log(n) - 2 * loglik if finite else np.nan,
        "gof_test": "",
        "gof_stat": np.nan,
        "gof_p": np.nan,
        "chosen": False,
        "note": "",
    }


def _checked_row(candidate: str, params: dict[str, Any], k: int, loglik: float, n: int) -> dict:
    """A candidate's row; parameters the twin's vocabulary rejects void it, with the reason."""
    row = _row(candidate, params, k, loglik, n)
    try:
        parse_distribution(params)
    except pydantic.ValidationError as error:
        row.update(loglik=np.nan, aic=np.nan, bic=np.nan)
        row["note"] = f"rejected by the twin: {error.errors()[0]['msg']}"
    return row


def _skipped(candidate: str, note: str) -> dict:
    row = _row(candidate, None, 0, np.nan, 1)
    row["note"] = note
    return row


def _table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


# --------------------------------------------------------------------------- continuous


def _fit_truncated_normal(x: np.ndarray) -> tuple[float, float]:
    """MLE of (mu, sigma) of a normal truncated at 0 (the twin's ``normal``).

    Minimises, over (mu, log sigma), the negative log-likelihood
    ``sum(z**2) / 2 + n log sigma + n log Phi(a)`` with ``z = (x - mu) / sigma`` and
    ``a = mu / sigma``, using its analytic gradient (``r = phi(a) / Phi(a)``).
    """
    n = x.size

    def negloglik(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mu, log_sigma = theta
        sigma = math.exp(log_sigma)
        z = (x - mu) / sigma
        a = mu / sigma
        log_mass = float(scipy.special.log_ndtr(a))
        r = math.exp(-0.5 * a * a - 0.5 * math.log(2 * math.pi) - log_mass)
        zz = float(np.dot(z, z))
        value = 0.5 * zz + n * (log_sigma + log_mass)
        gradient = np.array([(-z.sum() + n * r) / sigma, -zz + n - n * r * a])
        return value, gradient

    start = np.array([x.mean(), math.log(x.std())])
    result = scipy.optimize.minimize(negloglik, start, jac=True, method="BFGS")
    mu, log_sigma = result.x
    return float(mu), float(math.exp(log_sigma))


def _continuous_candidate(name: str, x: np.ndarray) -> tuple[dict[str, Any], int, float, Any]:
    """Fit one family: (twin params, number of parameters, log-likelihood, cdf)."""
    if name == "exponential":
        mean = float(x.mean())
        frozen = scipy.stats.expon(scale=mean)
        return {"dist": "exponential", "mean": mean}, 1, float(frozen.logpdf(x).sum()), frozen.cdf
    if name == "gamma":
        shape, _, scale = scipy.stats.gamma.fit(x, floc=0)
        frozen = scipy.stats.gamma(shape, scale=scale)
        params = {"dist": "gamma", "shape": float(shape), "scale": float(scale)}
        return params, 2, float(frozen.logpdf(x).sum()), frozen.cdf
    if name == "lognormal":
        # Closed-form MLE of log X ~ N(m, s**2); the twin is parametrised by X's mean and sd.
        logs = np.log(x)
        m, s = float(logs.mean()), float(logs.std())
        frozen = scipy.stats.lognorm(s, scale=math.exp(m))
        mean = math.exp(m + 0.5 * s * s)
        sd = mean * math.sqrt(math.expm1(s * s))
        params = {"dist": "lognormal", "mean": mean, "sd": sd}
        return params, 2, float(frozen.logpdf(x).sum()), frozen.cdf
    if name == "weibull":
        shape, _, scale = scipy.stats.weibull_min.fit(x, floc=0)
        frozen = scipy.stats.weibull_min(shape, scale=scale)
        params = {"dist": "weibull", "shape": float(shape), "scale": float(scale)}
        return params, 2, float(frozen.logpdf(x).sum()), frozen.cdf
    if name == "normal":
        mu, sigma = _fit_truncated_normal(x)
        frozen = scipy.stats.truncnorm(-mu / sigma, np.inf, loc=mu, scale=sigma)
        params = {"dist": "normal", "mean": mu, "sd": sigma}
        return params, 2, float(frozen.logpdf(x).sum()), frozen.cdf
    raise ValueError(
        f"unknown continuous candidate {name!r}; choose from {', '.join(CONTINUOUS_CANDIDATES)}"
    )


def _empirical(x: np.ndarray, max_values: int) -> tuple[dict[str, Any], str]:
    if x.size <= max_values:
        return {"dist": "empirical", "values": [float(v) for v in x]}, f"all {x.size} values"
    # Plotting positions (i + 0.5) / N keep the resampled mean close to the data's and avoid
    # repeating the two extremes.
    probabilities = (np.arange(max_values) + 0.5) / max_values
    quantiles = np.quantile(x, probabilities)
    return (
        {"dist": "empirical", "values": [float(v) for v in quantiles]},
        f"{max_values} quantiles of {x.size} values",
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
    x = _as_values(values, "fit_continuous")
    n = x.size
    if n < max(min_n, 2):
        raise ValueError(
            f"fit_continuous: {n} values, fewer than min_n = {max(min_n, 2)}; pool small groups "
            "(fit_grouped) or lower min_n"
        )
    has_zeros = bool((x == 0).any())
    if has_zeros and support == "positive":
        raise ValueError(
            f"fit_continuous: {int((x == 0).sum())} values are 0 but support is 'positive'"
        )
    if np.ptp(x) == 0:
        dist = {"dist": "constant", "value": float(x[0])}
        row = _row("constant", dist, 0, np.nan, n)
        row["chosen"] = True
        row["note"] = "all values equal"
        return FitResult(dist, _table([row]), n, f"all {n} values equal {x[0]:g}")

    if is_whole_days(x) if whole_days is None else whole_days:
        return _fit_whole_days(x, candidates, gof_alpha, max_empirical_values)
    rows: list[dict] = []
    for name in candidates:
        if has_zeros and name in _NO_ZEROS:
            rows.append(_skipped(name, f"skipped: {int((x == 0).sum())} values are 0"))
            continue
        params, k, loglik, cdf = _continuous_candidate(name, x)
        row = _checked_row(name, params, k, loglik, n)
        if row["note"]:
            rows.append(row)
            continue
        ks = scipy.stats.kstest(x, cdf)
        row["gof_test"] = "ks"
        row["gof_stat"], row["gof_p"] = float(ks.statistic), float(ks.pvalue)
        rows.append(row)
    return _choose(rows, x, gof_alpha, max_empirical_values, "KS")


def _choose(
    rows: list[dict], x: np.ndarray, gof_alpha: float, max_empirical_values: int, test: str
) -> FitResult:
    """The lowest-AIC candidate that passes the goodness-of-fit screen, else empirical."""
    n = x.size
    table = _table(rows)
    eligible = table[table["gof_p"] >= gof_alpha]
    if len(eligible):
        best = eligible["aic"].idxmin()
        table.loc[best, "chosen"] = True
        name = table.loc[best, "candidate"]
        reason = (
            f"{name}: lowest AIC among {len(eligible)} candidate(s) with {test} p >= "
            f"{gof_alpha:g} (n = {n})"
        )
        return FitResult(dict(table.loc[best, "params"]), table, n, reason)

    dist, how = _empirical(x, max_empirical_values)
    row = _row("empirical", dist, 0, np.nan, n)
    row["chosen"] = True
    row["note"] = how
    table = _table([*rows, row])
    reason = f"empirical ({how}): no candidate has {test} p >= {gof_alpha:g} (n = {n})"
    return FitResult(dist, table, n, reason)


# --------------------------------------------------------------------------- whole days


def is_whole_days(values: Any) -> bool:
    """True when every value is a whole number: durations between two dates."""
    x = np.asarray(values, dtype=np.float64)
    return bool(x.size) and bool(np.all(x == np.round(x)))


def _frozen(name: str, theta: np.ndarray) -> Any:
    """A scipy distribution of family `name` from unconstrained parameters `theta`."""
    a, b = float(theta[0]), float(theta[-1])
    if name == "exponential":
        return scipy.stats.expon(scale=math.exp(a))
    if name == "gamma":
        return scipy.stats.gamma(math.exp(a), scale=math.exp(b))
    if name == "lognormal":
        return scipy.stats.lognorm(math.exp(b), scale=math.exp(a))
    if name == "weibull":
        return scipy.stats.weibull_min(math.exp(a), scale=math.exp(b))
    sigma = math.exp(b)
    return scipy.stats.truncnorm(-a / sigma, np.inf, loc=a, scale=sigma)


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


def _partial_expectation(name: str, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """E[T; T <= x] of the family, in closed form (x > 0)."""
    a, b = float(theta[0]), float(theta[-1])
    if name == "exponential":
        scale = math.exp(a)
        return scale * scipy.special.gammainc(2.0, x / scale)
    if name == "gamma":
        shape, scale = math.exp(a), math.exp(b)
        return shape * scale * scipy.special.gammainc(shape + 1.0, x / scale)
    if name == "lognormal":
        m, s = a, math.exp(b)
        return math.exp(m + 0.5 * s * s) * scipy.special.ndtr((np.log(x) - m - s * s) / s)
    if name == "weibull":
        shape, scale = math.exp(a), math.exp(b)
        power = 1.0 + 1.0 / shape
        return scale * math.gamma(power) * scipy.special.gammainc(power, (x / scale) ** shape)
    mu, sigma = a, math.exp(b)
    alpha, beta = -mu / sigma, (x - mu) / sigma
    mass = scipy.special.ndtr(-alpha)
    phi = scipy.stats.norm.pdf
    return (
        mu * (scipy.special.ndtr(beta) - scipy.special.ndtr(alpha))
        - sigma * (phi(beta) - phi(alpha))
    ) / mass


def _day_probabilities(name: str, theta: np.ndarray, days: np.ndarray) -> np.ndarray:
    """P(D = k) for whole days k >= 0: G(k+1) - 2 G(k) + G(k-1), G = integral of the cdf."""
    frozen = _frozen(name, theta)
    points = np.concatenate([days - 1.0, days, days + 1.0])
    positive = np.clip(points, 1e-300, None)
    g = np.where(
        points > 0, positive * frozen.cdf(positive) - _partial_expectation(name, theta, positive), 0
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


def _fit_whole_days(
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
        start_params, k, _, _ = _continuous_candidate(name, start_values)
        result = scipy.optimize.minimize(
            lambda theta, name=name: -_day_counts_loglik(name, theta, days, counts),
            _theta(name, start_params),
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000},
        )
        loglik = -float(result.fun)
        params = _twin_params(name, result.x)
        row = _checked_row(name, params, k, loglik, n)
        if row["note"]:
            rows.append(row)
            continue
        expected = n * _day_probabilities(name, result.x, support)
        expected[-1] += max(0.0, n - expected.sum())  # the tail beyond the largest value
        row["gof_test"] = "chi2"
        row["gof_stat"], row["gof_p"] = _chi_square(expected, observed, k)
        row["note"] = "whole days: day-count likelihood"
        rows.append(row)
    return _choose(rows, x, gof_alpha, max_empirical_values, "chi-square")


# --------------------------------------------------------------------------- counts


def _negbin_loglik(x: np.ndarray, mean: float, k: float) -> float:
    p = k / (k + mean)
    return float(scipy.stats.nbinom.logpmf(x, k, p).sum())


def _fit_negbin(x: np.ndarray) -> tuple[float, float]:
    """MLE of (mean, dispersion k) with variance mean + mean**2 / k.

    For fixed k the MLE of the mean is the sample mean, so only k is searched (on log k).
    """
    mean = float(x.mean())
    variance = float(x.var(ddof=1))
    k_moments = mean * mean / (variance - mean)

    def negloglik(log_k: float) -> float:
        return -_negbin_loglik(x, mean, math.exp(log_k))

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
    x = _as_values(values, "fit_count")
    n = x.size
    if n < max(min_n, 2):
        raise ValueError(
            f"fit_count: {n} values, fewer than min_n = {max(min_n, 2)}; pool small groups "
            "(fit_grouped) or lower min_n"
        )
    fractional = np.flatnonzero(x != np.round(x))
    if fractional.size:
        raise ValueError(
            f"fit_count: value at position {int(fractional[0])} is {x[fractional[0]]:g}, "
            "expected a whole number"
        )
    if max_support < 2:
        raise ValueError(f"max_support must be >= 2, got {max_support}")
    if np.ptp(x) == 0:
        dist = {"dist": "constant", "value": float(x[0])}
        row = _row("constant", dist, 0, np.nan, n)
        row["chosen"] = True
        row["note"] = "all values equal"
        return FitResult(dist, _table([row]), n, f"all {n} values equal {x[0]:g}")

    mean = float(x.mean())
    rows: list[dict] = []
    for name in candidates:
        if name == "poisson":
            loglik = float(scipy.stats.poisson.logpmf(x, mean).sum())
            rows.append(_row(name, {"dist": "poisson", "mean": mean}, 1, loglik, n))
        elif name == "negative_binomial":
            if x.var(ddof=1) <= mean:
                rows.append(_skipped(name, "skipped: variance <= mean (not overdispersed)"))
                continue
            nb_mean, k = _fit_negbin(x)
            params = {"dist": "negative_binomial", "mean": nb_mean, "dispersion": k}
            rows.append(_row(name, params, 2, _negbin_loglik(x, nb_mean, k), n))
        elif name == "discrete":
            params, loglik, note = _discrete_pmf(x, max_support)
            row = _row(name, params, len(params["values"]) - 1, loglik, n)
            row["note"] = note
            rows.append(row)
        else:
            raise ValueError(
                f"unknown count candidate {name!r}; choose from {', '.join(COUNT_CANDIDATES)}"
            )
    table = _table(rows)
    if table["aic"].isna().all():
        raise ValueError("fit_count: no candidate could be fitted; add 'poisson' or 'discrete'")
    best = table["aic"].idxmin()
    table.loc[best, "chosen"] = True
    name = table.loc[best, "candidate"]
    reason = f"{name}: lowest AIC of {int(table['aic'].notna().sum())} candidate(s) (n = {n})"
    return FitResult(dict(table.loc[best, "params"]), table, n, reason)


# --------------------------------------------------------------------------- groups


def fit_grouped(
    frame: pd.DataFrame,
    group_col: str,
    value_col: str,
    fit: Callable[..., FitResult] = fit_continuous,
    min_n: int = 30,
    **fit_kwargs: Any,
) -> dict[Hashable, FitResult]:
    """Fit each group on its own when it has enough values, pool the small ones.

    The pooling rule: a group with at least ``min_n`` values gets its own fit. All groups with
    fewer are fitted together, once, and share that fit (``pooled=True``, ``pooled_groups``
    listing them). If those small groups hold fewer than ``min_n`` values between them, the pool
    is the whole column instead (every group's values), since a fit from the small groups alone
    would be no better founded than each of them.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per observation.
    group_col, value_col : str
        Column naming the group (a supplier, a segment) and column of values.
    fit : callable
        :func:`fit_continuous` or :func:`fit_count` (or any function of values returning a
        :class:`FitResult`).
    min_n : int
        Fewest values for a group to be fitted on its own.
    **fit_kwargs
        Passed to ``fit``.

    Returns
    -------
    dict
        Group value -> :class:`FitResult` with ``group`` set, in sorted group order.

    Raises
    ------
    ValueError
        If a column is missing, or from ``fit``.
    """
    for column in (group_col, value_col):
        if column not in frame.columns:
            raise ValueError(f"fit_grouped: no column {column!r}; columns are {list(frame)}")
    groups = {key: part[value_col].to_numpy() for key, part in frame.groupby(group_col, sort=True)}
    small = [key for key, values in groups.items() if len(values) < min_n]
    results: dict[Hashable, FitResult] = {}
    for key, values in groups.items():
        if key not in small:
            results[key] = replace(fit(values, **fit_kwargs), group=key)
    if small:
        pool = np.concatenate([groups[key] for key in small])
        whole = pool.size < min_n
        if whole:
            pool = frame[value_col].to_numpy()
        shared = fit(pool, **fit_kwargs)
        scope = "all groups" if whole else f"{len(small)} group(s) with < {min_n} values"
        for key in small:
            results[key] = replace(
                shared,
                group=key,
                pooled=True,
                pooled_groups=tuple(small),
                reason=f"pooled over {scope} (n = {pool.size}): {shared.reason}",
            )
    return {key: results[key] for key in groups}
