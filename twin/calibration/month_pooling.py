"""Month factors partially pooled towards a common level, by how well the history tells them
from the trend (empirical Bayes).

A month seen in one year only has a factor that the trend can mimic: over a single year of a
growing business, "January is low" and "the business was smaller in January" fit the counts
alike, and only the slope of the counts within each month tells them apart. Left free, such
factors absorb the growth (the first month of a young marketplace gets a factor of 0.3, and the
next January is forecast at a third of its level); set to the base level, they throw away a
season that is there. The standard answer is a random-effects prior on the log month factors,
its spread estimated from the data (empirical Bayes; Gelman et al., *Bayesian Data Analysis*,
ch. 5; the Gaussian approximation below is the one of Efron and Morris's estimator applied to a
regression's coefficients).

Model. The joint fit (weekday, month and event factors, trend) gives estimates ``theta_hat``
with covariance ``V`` (the sandwich under the day multiplier, so autocorrelated noise makes the
within-month slopes, and with them the season-trend split, as uncertain as they are). Take
``theta_hat ~ N(theta, V)`` as the likelihood, flat priors on everything but the month
coefficients ``b`` (log factor of a month minus that of the reference month), and the log
factors ``a_j`` of the months i.i.d. N(., tau**2), so that ``b ~ N(0, tau**2 (I + 11'))``.

- The evidence for ``tau`` is the marginal likelihood of the month block, ``b_hat ~ N(0, V_bb +
  tau**2 (I + 11'))`` (the other coefficients, flat, integrate out): a pattern across months that
  the trend could also have made is explained by ``V_bb`` and costs no ``tau``; one that it
  could not (a December peak in a rising year) needs ``tau``. ``tau`` is not fixed at its
  maximum: its posterior on a grid (uniform prior on ``[0, MAX_TAU]``) weights the Gaussian
  updates below, so how well eleven or so months pin ``tau`` is part of the uncertainty.
- For each ``tau`` the posterior is the Gaussian update ``K = V[:, b] S^-1`` with ``S = V_bb +
  tau**2 (I + 11')``: ``theta_hat - K b_hat`` and ``V - K V[b, :]``. The months move towards the
  common level by the share of ``S`` that is sampling noise, and every coefficient correlated
  with them (the trend above all) moves with them: shrinking a rising run of month factors hands
  the rise to the trend. The mixture's mean and covariance (within plus between, the law of
  total variance) carry the season-trend uncertainty into the rate and slope standard errors a
  replication draws from; :func:`covariance_at` re-evaluates it at a refitted point.

With ``tau`` = 0 the months share the base level exactly (and the trend takes what they
explained); with ``V_bb`` small (months seen over several years) the factors stay as fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_TAU", "MonthPooling", "covariance_at", "marginal_loglik", "pool_months"]

#: Largest sd of log month factors considered (a factor of e^3 = 20 either way).
MAX_TAU = 3.0
#: Points of the grid over tau (0, then geometric from 0.005 to MAX_TAU).
TAU_POINTS = 60


@dataclass(frozen=True)
class MonthPooling:
    """The posterior of a joint fit with its month coefficients partially pooled.

    Attributes
    ----------
    theta : numpy.ndarray
        Posterior mean of all coefficients.
    cov : numpy.ndarray
        Posterior covariance.
    tau : float
        Estimated sd of the log month factors (the prior's spread).
    shrinkage : float
        Mean diagonal of ``V_bb S^-1``: the share of a month's estimate taken as noise and
        pooled away (0: kept as fitted, 1: pooled completely).
    grid, weights : numpy.ndarray
        The values of tau and their posterior probabilities.
    month_means : numpy.ndarray
        The month coefficients' posterior mean under each tau (one row per grid value).
    """

    theta: np.ndarray
    cov: np.ndarray
    tau: float
    shrinkage: float
    grid: np.ndarray
    weights: np.ndarray
    month_means: np.ndarray


def _within(cov: np.ndarray, columns: np.ndarray, grid: np.ndarray, weights: np.ndarray):
    """sum_k w_k (V - K_k V[b, :]) and the gains K_k, for tau_k on the grid."""
    V_bb = cov[np.ix_(columns, columns)]
    within = np.zeros_like(cov)
    gains = []
    for tau, weight in zip(grid, weights, strict=True):
        S = V_bb + tau * tau * _prior_shape(columns.size)
        gain = np.linalg.solve(S, cov[columns, :]).T  # K = V[:, b] S^-1 (S symmetric)
        within += weight * (cov - gain @ cov[columns, :])
        gains.append(gain)
    return within, gains


def covariance_at(cov: np.ndarray, month_columns: list[int], pooling: MonthPooling) -> np.ndarray:
    """The pooled posterior covariance with ``cov`` (the unpooled covariance at another point,
    e.g. after a refit) in place of the one pooled first, the posterior over tau kept.

    The spread of the month means across tau carries over to the other coefficients through
    their regression on the months under ``cov`` (``V_fb V_bb^-1``), in its own scale.
    """
    columns = np.asarray(month_columns, dtype=int)
    within, _ = _within(cov, columns, pooling.grid, pooling.weights)
    regression = np.linalg.solve(cov[np.ix_(columns, columns)], cov[columns, :]).T
    spread = pooling.month_means - pooling.weights @ pooling.month_means
    moved = spread @ regression.T  # each tau's month deviation, carried to every coefficient
    between = np.einsum("k,ki,kj->ij", pooling.weights, moved, moved)
    out = within + between
    return 0.5 * (out + out.T)


def _prior_shape(k: int) -> np.ndarray:
    """Covariance / tau**2 of the k month coefficients relative to the reference: I + 11'."""
    return np.eye(k) + np.ones((k, k))


def marginal_loglik(b_hat: np.ndarray, V_bb: np.ndarray, tau: float) -> float:
    """log N(b_hat; 0, V_bb + tau**2 (I + 11')), the evidence for the spread tau."""
    S = V_bb + tau * tau * _prior_shape(b_hat.size)
    sign, logdet = np.linalg.slogdet(S)
    if sign <= 0:
        return -math.inf
    quadratic = float(b_hat @ np.linalg.solve(S, b_hat))
    return -0.5 * (logdet + quadratic + b_hat.size * math.log(2.0 * math.pi))


def pool_months(theta: np.ndarray, cov: np.ndarray, month_columns: list[int]) -> MonthPooling:
    """Partially pool the coefficients ``theta[month_columns]`` (see the module docstring)."""
    columns = np.asarray(month_columns, dtype=int)
    if columns.size == 0:
        raise ValueError("pool_months: no month coefficients to pool")
    b_hat = theta[columns]
    V_bb = cov[np.ix_(columns, columns)]
    # p(tau | b_hat) on a grid, uniform prior on [0, MAX_TAU] (trapezoid weights)
    grid = np.concatenate(([0.0], np.geomspace(0.005, MAX_TAU, TAU_POINTS - 1)))
    log_evidence = np.array([marginal_loglik(b_hat, V_bb, tau) for tau in grid])
    spacing = np.gradient(grid)
    weights = np.exp(log_evidence - log_evidence.max()) * spacing
    weights /= weights.sum()
    within, gains = _within(cov, columns, grid, weights)
    means = np.array([theta - gain @ b_hat for gain in gains])
    # B = V_bb S^-1: the share of the estimate taken as noise (a scalar V / (V + tau**2))
    shrinkages = [
        float(np.mean(np.diag(np.linalg.solve(V_bb + tau * tau * _prior_shape(b_hat.size), V_bb))))
        for tau in grid
    ]
    theta_post = weights @ means
    spread = means - theta_post
    # the law of total variance over tau: within (each Gaussian) plus between (their means)
    cov_post = within + np.einsum("k,ki,kj->ij", weights, spread, spread)
    cov_post = 0.5 * (cov_post + cov_post.T)
    tau_mean = float(np.sqrt(weights @ grid**2))
    return MonthPooling(
        theta_post,
        cov_post,
        tau_mean,
        float(weights @ np.array(shrinkages)),
        grid,
        weights,
        means[:, columns],
    )
