"""Each continuous family's cdf and partial expectation at location 0, from ``scipy.special``.

The day-count likelihood (:mod:`.day_counts`) evaluates both at a few hundred points for every
step of its optimiser: tens of thousands of calls per calibration. A frozen ``scipy.stats``
distribution per call spends most of that time building the object (it formats docstrings), and
the truncated normal's generic cdf works in complex log space; the closed forms here cost
microseconds.

Parameters are unconstrained (``theta``, logs of the positive ones), as the optimiser sees them:

========== ============================ =================================================
family     theta                        cdf F(x)
========== ============================ =================================================
exponential (log mean,)                 1 - exp(-x / mean)
gamma       (log shape, log scale)      P(shape, x / scale), regularised lower gamma
lognormal   (m, log s) of log X         Phi((log x - m) / s)
weibull     (log shape, log scale)      1 - exp(-(x / scale) ** shape)
normal      (mu, log sigma), at 0       (Phi((x - mu) / sigma) - Phi(-mu / sigma)) / Phi(mu / sigma)
========== ============================ =================================================

The first four use the very ``scipy.special`` calls ``scipy.stats`` makes for these families at
location 0, so they give the same numbers to the last bit; the truncated normal agrees with
``scipy.stats.truncnorm`` to about 1e-13 relative (tested).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special

#: sqrt(2 pi), the normal density's constant.
_ROOT_TWO_PI = math.sqrt(2.0 * math.pi)


def normal_pdf(z: np.ndarray | float) -> np.ndarray:
    """The standard normal density phi(z), as ``scipy.stats.norm.pdf`` computes it."""
    return np.exp(-(np.asarray(z) ** 2) / 2.0) / _ROOT_TWO_PI


def _truncated_normal_cdf(mu: float, sigma: float, x: np.ndarray) -> np.ndarray:
    """cdf at x of the normal (mu, sigma) truncated to x >= 0.

    Each point uses the tail in which both normal probabilities are small, so neither is
    rounded to 1: ``(Phi(beta) - Phi(alpha)) / Phi(-alpha)`` for beta <= 0 and
    ``(Phi(-alpha) - Phi(-beta)) / Phi(-alpha)`` above, with alpha = -mu / sigma and
    beta = (x - mu) / sigma.
    """
    alpha = -mu / sigma
    beta = (x - mu) / sigma
    kept = scipy.special.ndtr(-alpha)  # the mass above 0
    below = (scipy.special.ndtr(beta) - scipy.special.ndtr(alpha)) / kept
    above = (kept - scipy.special.ndtr(-beta)) / kept
    return np.where(beta <= 0.0, below, above)


def _integrated_normal_cdf(z: np.ndarray | float) -> np.ndarray:
    """psi(z) = z Phi(z) + phi(z), the integral of the standard normal cdf up to z.

    Small and accurate for z <= 0; psi(z) - psi(-z) = z, so a second difference (the linear part
    drops out) may use either side.
    """
    return z * scipy.special.ndtr(z) + normal_pdf(z)


def truncated_normal_day_probabilities(mu: float, sigma: float, days: np.ndarray) -> np.ndarray:
    """P(D = k) of whole days k >= 0 for the normal (mu, sigma) truncated to T >= 0.

    For k >= 1 the triangular kernel lies inside T >= 0, so P(D = k) = sigma
    (psi(z + h) - 2 psi(z) + psi(z - h)) / Phi(-alpha) with z = (k - mu) / sigma, h = 1 / sigma,
    alpha = -mu / sigma; psi's second difference is taken on the side where psi is small
    (z -> -z above the mean), so a day far in either tail keeps its tiny probability instead of
    the rounding noise of differencing numbers near ``k - mean``. Day 0 is
    G(1) = (sigma (psi(beta_1) - psi(alpha)) - Phi(alpha)) / Phi(-alpha) with
    beta_1 = (1 - mu) / sigma, in the same two forms.
    """
    alpha = -mu / sigma
    h = 1.0 / sigma
    kept = scipy.special.ndtr(-alpha)  # the mass above 0
    z = (days - mu) / sigma
    tail = np.where(z > 0.0, -z, z)
    psi = _integrated_normal_cdf
    p = sigma * (psi(tail + h) - 2.0 * psi(tail) + psi(tail - h)) / kept
    zero = days == 0
    if zero.any():
        beta_1 = alpha + h
        if alpha > 0.0:
            p0 = 1.0 + sigma * (psi(-beta_1) - psi(-alpha)) / kept
        else:
            p0 = (sigma * (psi(beta_1) - psi(alpha)) - scipy.special.ndtr(alpha)) / kept
        p = np.where(zero, p0, p)
    return p


def family_cdf(name: str, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """F(x) of the family at unconstrained parameters ``theta``, for x > 0 (days)."""
    a, b = float(theta[0]), float(theta[-1])
    if name == "exponential":
        return -scipy.special.expm1(-(x / math.exp(a)))
    if name == "gamma":
        return scipy.special.gammainc(math.exp(a), x / math.exp(b))
    if name == "lognormal":
        return scipy.special.ndtr(np.log(x / math.exp(a)) / math.exp(b))
    if name == "weibull":
        return -scipy.special.expm1(-((x / math.exp(b)) ** math.exp(a)))
    if name == "normal":
        return _truncated_normal_cdf(a, math.exp(b), x)
    raise ValueError(f"unknown family {name!r}")


def partial_expectation(name: str, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """E[T; T <= x] of the family at unconstrained parameters ``theta``, for x > 0 (days)."""
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
    if name == "normal":
        mu, sigma = a, math.exp(b)
        alpha, beta = -mu / sigma, (x - mu) / sigma
        mass = scipy.special.ndtr(-alpha)
        return (
            mu * (scipy.special.ndtr(beta) - scipy.special.ndtr(alpha))
            - sigma * (normal_pdf(beta) - normal_pdf(alpha))
        ) / mass
    raise ValueError(f"unknown family {name!r}")
