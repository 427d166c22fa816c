"""The continuous candidate families, each fitted by maximum likelihood with location 0.

``normal`` is the twin's normal, truncated at 0, and is fitted as such; ``lognormal`` is returned
as the mean and sd of X, as the twin is parametrised.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

CONTINUOUS_CANDIDATES = ("exponential", "gamma", "lognormal", "weibull", "normal")

#: Families whose density at 0 is 0 or infinite for almost every parameter value.
NO_ZEROS = frozenset({"gamma", "lognormal", "weibull"})

#: The shape-scale families, fitted by scipy's maximum likelihood with location 0.
_SHAPE_SCALE = {"gamma": scipy.stats.gamma, "weibull": scipy.stats.weibull_min}


def _fit_truncated_normal(x: np.ndarray) -> tuple[float, float]:
    """MLE of (mu, sigma) of a normal truncated at 0 (the twin's ``normal``).

    Minimises, over (mu, log sigma), the negative log-likelihood
    ``sum(z**2) / 2 + n log sigma + n log Phi(a)`` with ``z = (x - mu) / sigma`` and
    ``a = mu / sigma``, using its analytic gradient (``r = phi(a) / Phi(a)``). The data enter only
    through their mean m and their sum of squares about it, S: ``sum(z) = n (m - mu) / sigma`` and
    ``sum(z**2) = (S + n (m - mu)**2) / sigma**2``, so a step of the optimiser costs the same for
    ten values as for a million.
    """
    n = x.size
    mean = float(x.mean())
    squares = float(np.sum((x - mean) ** 2))

    def negloglik(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mu, log_sigma = theta
        sigma = math.exp(log_sigma)
        offset = mean - mu
        z_sum = n * offset / sigma
        zz = (squares + n * offset * offset) / (sigma * sigma)
        a = mu / sigma
        log_mass = float(scipy.special.log_ndtr(a))
        r = math.exp(-0.5 * a * a - 0.5 * math.log(2 * math.pi) - log_mass)
        value = 0.5 * zz + n * (log_sigma + log_mass)
        gradient = np.array([(-z_sum + n * r) / sigma, -zz + n - n * r * a])
        return value, gradient

    start = np.array([mean, math.log(x.std())])
    result = scipy.optimize.minimize(negloglik, start, jac=True, method="BFGS")
    mu, log_sigma = result.x
    return float(mu), float(math.exp(log_sigma))


def continuous_candidate(name: str, x: np.ndarray) -> tuple[dict[str, Any], int, float, Any]:
    """Fit one family: (twin params, number of parameters, log-likelihood, cdf)."""
    if name == "exponential":
        mean = float(x.mean())
        frozen = scipy.stats.expon(scale=mean)
        return {"dist": "exponential", "mean": mean}, 1, float(frozen.logpdf(x).sum()), frozen.cdf
    if name in _SHAPE_SCALE:
        family = _SHAPE_SCALE[name]
        shape, _, scale = family.fit(x, floc=0)
        frozen = family(shape, scale=scale)
        params = {"dist": name, "shape": float(shape), "scale": float(scale)}
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
    if name == "normal":
        mu, sigma = _fit_truncated_normal(x)
        frozen = scipy.stats.truncnorm(-mu / sigma, np.inf, loc=mu, scale=sigma)
        params = {"dist": "normal", "mean": mu, "sd": sigma}
        return params, 2, float(frozen.logpdf(x).sum()), frozen.cdf
    raise ValueError(
        f"unknown continuous candidate {name!r}; choose from {', '.join(CONTINUOUS_CANDIDATES)}"
    )
