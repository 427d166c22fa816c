"""The BG/NBD model of repeat purchasing: log-likelihood, P(alive), expected purchases.

While alive a customer buys as a Poisson process of rate lambda; after each repeat purchase it
drops out with probability p. Across customers lambda ~ Gamma(shape r, rate alpha) and
p ~ Beta(a, b), independent (Fader, Hardie and Lee 2005, "Counting your customers the easy
way", Marketing Science 24(2)). Summaries x, t_x, T as in :mod:`.pareto_nbd`; days.

Likelihood (their eq. 6)::

    L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))

summed in logs.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1

PARAMETERS = ("r", "alpha", "a", "b")


def _log_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """log of the 'alive at T' term and of the 'dropped out after the last purchase' term."""
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = common + betaln(a, b + x) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    dropped = np.full(x.shape, -np.inf)
    dropped[repeat] = (
        common[repeat]
        + betaln(a + 1.0, b + x[repeat] - 1.0)
        - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return alive, dropped


def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood at ``params = (r, alpha, a, b)`` (alpha in days)."""
    alive, dropped = _log_terms(np.asarray(params, dtype=float), x, t_x, T)
    return np.logaddexp(alive, dropped)


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
    (Fader, Hardie and Lee 2008, "Computing P(alive) using the BG/NBD model")."""
    alive, dropped = _log_terms(np.asarray(params, dtype=float), x, t_x, T)
    return np.exp(alive - np.logaddexp(alive, dropped))


def expected_purchases(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] (Fader, Hardie and Lee 2005, eq. 10); ``t`` in
    days. Needs a != 1 (the formula's a - 1 divides; a = 1 is taken as 1 + 1e-9)."""
    r, alpha, a, b = np.asarray(params, dtype=float)
    if abs(a - 1.0) < 1e-9:
        a = 1.0 + 1e-9
    z = t / (alpha + T + t)
    # ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z), by Euler's transformation, so
    # that the huge series of a frequent buyer and its tiny factor never meet in floating point
    bracket = 1.0 - (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    return (a + b + x - 1.0) / (a - 1.0) * bracket * p_alive(params, x, t_x, T)
