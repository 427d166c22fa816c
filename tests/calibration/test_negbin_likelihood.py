"""The negative binomial's log-likelihood, evaluated once per distinct count, against scipy's.

:func:`twin.calibration.fitting.counts._negbin_loglik` spreads the log-pmf of each distinct count
back over the values before summing, so it must equal ``scipy.stats.nbinom.logpmf(x, k, p).sum()``
exactly (the sample's fitted dispersions are written to 10 digits and must not move).
"""

import numpy as np
import scipy.stats

from twin.calibration.fitting.counts import _negbin_loglik


def test_equals_scipy_per_value_sum_to_the_last_bit():
    rng = np.random.default_rng(21)
    for _ in range(100):
        n = int(rng.integers(30, 50_000))
        x = rng.negative_binomial(rng.uniform(0.3, 5.0), rng.uniform(0.05, 0.9), n).astype(float)
        mean, k = float(x.mean()), float(rng.uniform(0.1, 20.0))
        expected = float(scipy.stats.nbinom.logpmf(x, k, k / (k + mean)).sum())
        assert _negbin_loglik(x, mean, k) == expected
