"""Draws conditional on time already elapsed: X | X > c, for the open items a run starts with.

An invoice open at age a is paid after a delay drawn from delay | delay > a; a purchase order
outstanding for e days arrives after a lead time drawn from lead time | lead time > e. Each
draw maps one uniform u onto the upper tail of the distribution by its inverse: x =
S^-1((1 - u) S(c)), with S the survival function P(X > x), which keeps precision far in the
tail. The parametric distributions are scipy's (``frozen``, checked against the model's own
moments in the tests); the finite ones (constant, discrete, empirical) are done exactly here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.distributions import (
    Constant,
    Discrete,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    NegativeBinomial,
    Normal,
    Poisson,
    Triangular,
    Uniform,
    Weibull,
)


def frozen(dist: Distribution) -> Any:
    """The scipy frozen distribution equal to ``dist``; None for the finite ones."""
    from scipy import stats

    if isinstance(dist, Uniform):
        return stats.uniform(loc=dist.low, scale=dist.high - dist.low)
    if isinstance(dist, Triangular):
        width = dist.high - dist.low
        return stats.triang((dist.mode - dist.low) / width, loc=dist.low, scale=width)
    if isinstance(dist, Exponential):
        return stats.expon(scale=dist.mean)
    if isinstance(dist, Normal):  # truncated at 0
        return stats.truncnorm(-dist.mu / dist.sd, np.inf, loc=dist.mu, scale=dist.sd)
    if isinstance(dist, Lognormal):
        m, s = dist.log_parameters()
        return stats.lognorm(s, scale=np.exp(m))
    if isinstance(dist, Gamma):
        return stats.gamma(dist.shape, scale=dist.scale)
    if isinstance(dist, Weibull):
        return stats.weibull_min(dist.shape, scale=dist.scale)
    if isinstance(dist, Poisson):
        return stats.poisson(dist.mean)
    if isinstance(dist, NegativeBinomial):
        k = dist.dispersion
        return stats.nbinom(k, k / (k + dist.mean))
    return None


def _finite(dist: Distribution) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and their probabilities of a constant, discrete or empirical distribution."""
    if isinstance(dist, Constant):
        return np.array([float(dist.value)]), np.array([1.0])
    if isinstance(dist, Discrete):
        values = np.asarray(dist.values, dtype=float)
        probabilities = np.asarray(dist.probabilities, dtype=float)
    elif isinstance(dist, Empirical):
        values = np.asarray(dist.data, dtype=float)
        probabilities = np.full(values.size, 1.0 / values.size)
    else:
        raise TypeError(f"no conditional draw for a {type(dist).__name__} distribution")
    order = np.argsort(values, kind="stable")
    return values[order], probabilities[order]


class Beyond:
    """Survival and conditional draws of one distribution (built once, asked many times);
    ``c`` and ``u`` may be numbers or arrays (vectorised, the result is an array)."""

    def __init__(self, dist: Distribution) -> None:
        self.dist = dist
        self._scipy = frozen(dist)
        self._discrete = isinstance(dist, (Poisson, NegativeBinomial))
        if self._scipy is None:
            self._values, probabilities = _finite(dist)
            self._cumulative = np.cumsum(probabilities)
            # P(X >= values[i]), with a 0 past the end
            self._tail = np.append(np.cumsum(probabilities[::-1])[::-1], 0.0)

    def survival(self, c: float | np.ndarray) -> np.ndarray:
        """P(X > c)."""
        c = np.asarray(c, dtype=float)
        if self._scipy is not None:
            return np.asarray(self._scipy.sf(c), dtype=float)
        return self._tail[np.searchsorted(self._values, c, side="right")]

    def draw(self, c: float | np.ndarray, u: float | np.ndarray) -> np.ndarray:
        """X | X > c from the uniform ``u`` in [0, 1); ``c`` itself where P(X > c) = 0 (the
        item is overdue beyond anything the distribution draws: it completes at once)."""
        c = np.asarray(c, dtype=float)
        u = np.asarray(u, dtype=float)
        tail = self.survival(c)
        some = tail > 0.0
        if self._scipy is not None:
            if self._discrete:  # smallest k > c with P(c < X <= k) > u P(X > c)
                x = self._scipy.ppf(np.minimum(self._scipy.cdf(c) + u * tail, 1.0))
            else:
                x = self._scipy.isf((1.0 - u) * tail)
            return np.where(some, np.maximum(x, c), c)
        first = np.searchsorted(self._values, c, side="right")  # first value above c
        before = 1.0 - self._tail[first]  # P(X <= c)
        k = np.searchsorted(self._cumulative, before + u * tail, side="right")
        k = np.minimum(np.maximum(k, first), self._values.size - 1)  # rounding: stay above c
        return np.where(some, self._values[k], c)
