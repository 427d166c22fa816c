"""The truncated normal's maximum likelihood from sufficient statistics, against the per-value form.

:func:`twin.calibration.fitting.families._fit_truncated_normal` evaluates its log-likelihood from
the data's mean and sum of squares about it instead of from every value. The same optimiser from
the same start must land on the same optimum up to the optimiser's own tolerance: here within
1e-5 standard errors (measured on the sample's delays: 1e-7), and no point 0.01 standard errors
away may have a higher scipy.stats.truncnorm log-likelihood (beyond 1e-10 relative rounding).
"""

import math

import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats

from twin.calibration.fitting.families import _fit_truncated_normal


def per_value_fit(x: np.ndarray) -> tuple[float, float]:
    """The fit as it was: every value in every step (the reference)."""
    n = x.size

    def negloglik(theta):
        mu, log_sigma = theta
        sigma = math.exp(log_sigma)
        z = (x - mu) / sigma
        a = mu / sigma
        log_mass = float(scipy.special.log_ndtr(a))
        r = math.exp(-0.5 * a * a - 0.5 * math.log(2 * math.pi) - log_mass)
        zz = float(np.dot(z, z))
        value = 0.5 * zz + n * (log_sigma + log_mass)
        return value, np.array([(-z.sum() + n * r) / sigma, -zz + n - n * r * a])

    start = np.array([x.mean(), math.log(x.std())])
    result = scipy.optimize.minimize(negloglik, start, jac=True, method="BFGS")
    return float(result.x[0]), float(math.exp(result.x[1]))


CASES = [
    ("near 0", 3.0, 2.5, 5000),
    ("far from 0", 40.0, 12.0, 20_000),
    ("narrow", 1000.0, 0.5, 3000),
]


@pytest.mark.parametrize(("label", "mu", "sigma", "n"), CASES)
def test_same_optimum_as_the_per_value_likelihood(label, mu, sigma, n):
    x = scipy.stats.truncnorm.rvs(
        -mu / sigma, np.inf, loc=mu, scale=sigma, size=n, random_state=np.random.default_rng(4)
    )
    new = np.array(_fit_truncated_normal(x))
    old = np.array(per_value_fit(x))
    se = np.array([new[1] / math.sqrt(n), new[1] / math.sqrt(2 * n)])  # asymptotic, untruncated
    assert np.all(np.abs(new - old) <= 1e-5 * se), (label, new, old)

    # the optimum maximises scipy's own truncated-normal likelihood: no nearby point does better
    def loglik(m, s):
        return scipy.stats.truncnorm.logpdf(x, -m / s, np.inf, loc=m, scale=s).sum()

    best = loglik(*new)
    for dm, ds in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        assert loglik(new[0] + 0.01 * dm * se[0], new[1] + 0.01 * ds * se[1]) <= best + 1e-10 * abs(
            best
        )
