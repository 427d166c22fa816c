"""The Pareto/NBD model of repeat purchasing: log-likelihood, P(alive), expected purchases.

While alive a customer buys as a Poisson process of rate lambda; its lifetime is exponential
with rate mu (drop-out unobserved). Across customers lambda ~ Gamma(shape r, rate alpha) and
mu ~ Gamma(shape s, rate beta), independent (Schmittlein, Morrison and Colombo 1987). A customer
is summarised by x (repeat purchases), t_x (days from the first to the last purchase) and T
(days from the first purchase to the as-of date). Times are in days, rates per day.

The likelihood is Fader, Hardie and Lee (2005), "A note on deriving the Pareto/NBD model and
related expressions", eq. (22)::

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ 1 / ((alpha+T)^(r+x) (beta+T)^s) + s / (r+s+x) * A0 ]

with A0 a difference of two Gauss hypergeometric terms whose form depends on whether
alpha >= beta. Both forms are ``2F1(a, b; a+1; z)`` with a = r+s+x; they are evaluated through
Euler's transformation ``2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z)``, whose series
has positive terms below those of 1/(1-z), so it never overflows however many purchases a
customer made; everything else is summed in logs.

The hypergeometric terms are most of the cost of an evaluation, and they depend on a customer
only through (x, t_x) and (x, T): every customer without a repeat purchase has t_x = 0, and on
day-stamped data many share their age. Each term is therefore evaluated once per distinct pair
and spread back (:func:`_per_distinct`), which gives every customer the same value, bit for bit,
as evaluating it customer by customer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import gammaln, hyp2f1

PARAMETERS = ("r", "alpha", "s", "beta")


def _log_hyp2f1_a_a1(a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log 2F1(a, b; a+1; z) for 0 <= z < 1, by Euler's transformation (see module)."""
    return (1.0 - b) * np.log1p(-z) + np.log(hyp2f1(1.0, a + 1.0 - b, a + 1.0, z))


def _per_distinct(
    term: Callable[[np.ndarray, np.ndarray], np.ndarray], x: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """``term(x, t)`` evaluated once per distinct (x, t) pair and spread back to every customer;
    ``term`` must be elementwise."""
    x, t = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(t, dtype=float))
    order = np.lexsort((t.ravel(), x.ravel()))
    x_sorted, t_sorted = x.ravel()[order], t.ravel()[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (x_sorted[1:] != x_sorted[:-1]) | (t_sorted[1:] != t_sorted[:-1])
    group = np.empty(len(order), dtype=np.intp)
    group[order] = np.cumsum(first) - 1
    return term(x_sorted[first], t_sorted[first])[group].reshape(x.shape)


def _log_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log of the constant, of the 'alive at T' term and of the 'dropped out' term of L."""
    r, alpha, s, beta = params
    constant = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    if alpha >= beta:
        big, diff = alpha, alpha - beta
    else:
        big, diff = beta, beta - alpha

    def at(x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """log of the hypergeometric term of A0 at time t (t_x or T)."""
        a = r + s + x
        b = np.broadcast_to(s + 1.0 if alpha >= beta else r + x, x.shape)
        return _log_hyp2f1_a_a1(a, b, diff / (big + t)) - a * np.log(big + t)

    a = r + s + x
    at_tx = _per_distinct(at, x, t_x)
    at_T = _per_distinct(at, x, T)
    with np.errstate(divide="ignore"):
        # A0 = exp(at_tx) - exp(at_T) >= 0; it is 0 when the last purchase is at T
        log_a0 = at_tx + np.log(-np.expm1(np.minimum(at_T - at_tx, 0.0)))
    dropped = np.log(s) - np.log(a) + log_a0
    return constant, alive, dropped


def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood at ``params = (r, alpha, s, beta)`` (rates per day)."""
    constant, alive, dropped = _log_terms(np.asarray(params, dtype=float), x, t_x, T)
    return constant + np.logaddexp(alive, dropped)


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(the customer is still alive at T | x, t_x, T): the 'alive' share of the likelihood
    (Fader, Hardie and Lee 2005, eq. 24)."""
    _, alive, dropped = _log_terms(np.asarray(params, dtype=float), x, t_x, T)
    return np.exp(alive - np.logaddexp(alive, dropped))


def expected_purchases(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] (Schmittlein et al. 1987; Fader et al. 2005,
    eq. 26); ``t`` in days. Given alive, lambda ~ Gamma(r+x, alpha+T) and mu ~ Gamma(s, beta+T),
    and the expected alive time in the window is the mean of (1 - exp(-mu t)) / mu."""
    r, alpha, s, beta = np.asarray(params, dtype=float)
    rate = (r + x) / (alpha + T)
    if abs(s - 1.0) < 1e-8:
        alive_days = (beta + T) * np.log1p(t / (beta + T))
    else:
        alive_days = (beta + T) / (s - 1.0) * (1.0 - ((beta + T) / (beta + T + t)) ** (s - 1.0))
    return rate * alive_days * p_alive(params, x, t_x, T)
