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
    """Survival and conditional draws of one distribution (built once, asked many times)."""

    def __init__(self, dist: Distribution) -> None:
        self.dist = dist
        self._scipy = frozen(dist)
        self._discrete = isinstance(dist, (Poisson, NegativeBinomial))
        if self._scipy is None:
            self._values, self._probabilities = _finite(dist)

    def survival(self, c: float) -> float:
        """P(X > c)."""
        if self._scipy is not None:
            return float(self._scipy.sf(c))
        return float(self._probabilities[self._values > c].sum())

    def draw(self, c: float, u: float) -> float:
        """X | X > c from the uniform ``u`` in [0, 1); ``c`` itself when P(X > c) = 0 (the
        item is overdue beyond anything the distribution draws: it completes at once)."""
        tail = self.survival(c)
        if not tail > 0.0:
            return float(c)
        if self._scipy is not None:
            if self._discrete:  # smallest k > c with P(c < X <= k) > u P(X > c)
                return float(self._scipy.ppf(self._scipy.cdf(c) + u * tail))
            return max(float(self._scipy.isf((1.0 - u) * tail)), float(c))
        above = self._values > c
        values, probabilities = self._values[above], self._probabilities[above]
        cumulative = np.cumsum(probabilities) / tail
        k = int(np.searchsorted(cumulative, u, side="right"))
        return float(values[min(k, values.size - 1)])
