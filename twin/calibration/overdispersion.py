"""What the arrival calendar leaves unexplained: a mean-one AR(1) rate multiplier, and what it
does to the standard errors of the rate and trend.

Model (the twin's :class:`twin.scenario.arrivals.RateNoise`): given the fitted calendar means
``mu_d``, the count of day d is Poisson with mean ``mu_d M_d``, ``M_d = exp(X_d - s**2/2)`` and
``X`` a stationary Gaussian AR(1) with sd ``s`` and coefficient ``a``. Its moments are exact
(lognormal moment generating function)::

    E N_d = mu_d
    Var N_d = mu_d + mu_d**2 c_0            c_0 = exp(s**2) - 1
    Cov(N_d, N_e) = mu_d mu_e c_k           c_k = exp(s**2 a**k) - 1,  k = |d - e|

:func:`fit_rate_noise` estimates them by the method of moments on the residuals ``r_d = y_d -
mu_d`` (the Poisson-lognormal moment fit): ``c_0`` from ``sum(r**2 - mu) / sum(mu**2)``, ``c_k``
from ``sum(r_d r_{d+k}) / sum(mu_d mu_{d+k})``, both scaled by ``n / (n - p)`` for the ``p``
fitted calendar parameters. Then ``s**2 = log(1 + c_0)`` and the latent autocorrelations are
``rho_k = log(1 + c_k) / s**2``. ``a`` is the AR(1) coefficient whose autocorrelations give the
same variance of a 7-day total as the estimated ``rho_1..rho_6``: ``sum_k (7 - k) a**k = sum_k
(7 - k) rho_k``. We match the weekly total, not just lag one, because a planner reads weekly
bands: when the residual variation is partly a week effect (autocorrelations that decay slower
than geometric), the lag-one estimate would make weeks too calm. Moments rather than the
likelihood, because the Poisson-lognormal likelihood of a latent AR(1) has no closed form and
the moment fit needs no integration (it costs a few dot products).

The multiplier is kept only when the Pearson dispersion is significantly above 1 (chi-square
test of the Poisson model at the 1 % level): below that the counts are Poisson as far as the
history can tell, and the spec stays Poisson.

:func:`overdispersed_covariance` is the sandwich covariance of the Poisson fit's coefficients
when the counts follow this model: ``I^-1 G' V G I^-1`` with ``V = diag(mu) + diag(mu) C
diag(mu)``, ``C_de = c_|d-e|`` implied by (s, a). Unlike quasi-Poisson's single dispersion factor
it accounts for the autocorrelation, which makes a trend much less certain than independent days
would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.stats

__all__ = ["RateNoiseFit", "fit_rate_noise", "overdispersed_covariance", "weekly_match"]

#: Lags whose autocorrelations fix the AR(1) coefficient (those inside one week).
WEEK_LAGS = 6
#: Largest autocorrelation written (the scenario needs < 1; 0.98 is a near-random walk already).
MAX_AUTOCORRELATION = 0.98
#: Significance level of the test that the counts vary more than Poisson.
POISSON_TEST_LEVEL = 0.01


@dataclass(frozen=True)
class RateNoiseFit:
    """A moment fit of the rate multiplier.

    Attributes
    ----------
    sd_log : float
        Stationary sd ``s`` of log M (0 when the counts are not significantly overdispersed).
    autocorrelation : float
        AR(1) coefficient ``a`` of log M (0 when ``sd_log`` is 0).
    dispersion : float
        Pearson chi-square over residual degrees of freedom.
    p_value : float
        Of the chi-square test that the counts are Poisson.
    latent_autocorrelations : numpy.ndarray
        The estimated ``rho_1..rho_6`` of log M (NaN when ``sd_log`` is 0).
    """

    sd_log: float
    autocorrelation: float
    dispersion: float
    p_value: float
    latent_autocorrelations: np.ndarray

    @property
    def present(self) -> bool:
        return self.sd_log > 0.0


def weekly_match(rho: np.ndarray) -> float:
    """The AR(1) coefficient a in [0, MAX] with sum_k (7-k) a^k = sum_k (7-k) rho_k, k=1..6."""
    weights = 7.0 - np.arange(1, WEEK_LAGS + 1)
    target = float(weights @ rho)

    def gap(a: float) -> float:
        return float(weights @ a ** np.arange(1, WEEK_LAGS + 1)) - target

    if gap(0.0) >= 0.0:
        return 0.0
    if gap(MAX_AUTOCORRELATION) <= 0.0:
        return MAX_AUTOCORRELATION
    return float(scipy.optimize.brentq(gap, 0.0, MAX_AUTOCORRELATION, xtol=1e-10))


def fit_rate_noise(y: np.ndarray, mu: np.ndarray, n_parameters: int) -> RateNoiseFit:
    """Fit (s, a) of the mean-one AR(1) multiplier to daily counts and their fitted means.

    Parameters
    ----------
    y : numpy.ndarray
        Orders per day, consecutive days (orders).
    mu : numpy.ndarray
        Fitted calendar means of the same days (orders); a day with ``mu <= 0`` (a level with
        multiplier 0, left out of the fit) is skipped and breaks no lag.
    n_parameters : int
        Coefficients of the calendar fit, for the degrees-of-freedom correction.
    """
    y = np.asarray(y, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    used = mu > 0
    n = int(used.sum())
    dof = max(n - n_parameters, 1)
    scale = n / dof
    r = np.where(used, y - mu, 0.0)
    m = np.where(used, mu, 0.0)
    chi2 = float(np.sum(r[used] ** 2 / mu[used]))
    dispersion = chi2 / dof
    p_value = float(scipy.stats.chi2.sf(chi2, dof))
    c0 = (scale * float(r @ r) - float(m.sum())) / float(m @ m)
    nothing = RateNoiseFit(0.0, 0.0, dispersion, p_value, np.full(WEEK_LAGS, np.nan))
    if p_value >= POISSON_TEST_LEVEL or c0 <= 0.0:
        return nothing
    s2 = math.log1p(c0)
    rho = np.empty(WEEK_LAGS)
    for k in range(1, WEEK_LAGS + 1):
        ck = scale * float(r[:-k] @ r[k:]) / float(m[:-k] @ m[k:])
        rho[k - 1] = math.log1p(max(ck, -0.999999)) / s2
    return RateNoiseFit(math.sqrt(s2), weekly_match(rho), dispersion, p_value, rho)


def overdispersed_covariance(
    G: np.ndarray, mu: np.ndarray, days: np.ndarray, sd_log: float, autocorrelation: float
) -> np.ndarray:
    """Sandwich covariance of the Poisson fit's coefficients under the AR(1) multiplier.

    ``G`` (days x coefficients) is the derivative of log mu with respect to the coefficients,
    ``mu`` the fitted means and ``days`` the day numbers of the rows (gaps allowed). Returns
    ``I^-1 G' V G I^-1`` with ``I = G' diag(mu) G`` (the Fisher information) and ``V`` the
    covariance of the counts implied by (sd_log, autocorrelation); with ``sd_log`` 0 it is
    ``I^-1``.
    """
    weighted = G * mu[:, None]
    information = np.einsum("ni,nj->ij", weighted, G)
    inverse = np.linalg.inv(information)
    if sd_log <= 0.0:
        return inverse
    lags = np.abs(np.subtract.outer(days, days)).astype(np.float64)
    C = np.expm1(sd_log**2 * autocorrelation**lags)
    meat = information + weighted.T @ (C @ weighted)
    return inverse @ meat @ inverse
