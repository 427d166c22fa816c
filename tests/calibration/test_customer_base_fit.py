"""Maximum-likelihood recovery of known CLV parameters from synthetic customers, and the choice
between the two models."""

from __future__ import annotations

import numpy as np
import pytest

from twin.calibration.customer_base import bg_nbd, pareto_nbd
from twin.calibration.customer_base.mle import fit_model
from twin.calibration.customer_base.select import fit_customer_base, summary_arrays
from twin.calibration.customer_base.synthetic import bg_nbd_customers, pareto_nbd_customers

PARETO = (0.8, 40.0, 0.5, 150.0)  # r, alpha (days), s, beta (days): 0.02 orders/day
BG = (0.8, 40.0, 0.8, 2.5)  # r, alpha (days), a, b: a quarter drop out after each purchase


def _base(generate, params, n, seed):
    rng = np.random.default_rng(seed)
    return generate(rng, params, rng.uniform(60.0, 540.0, n))


def _within_3_se(fit, truth):
    """Each fitted parameter within 3 of its fitted standard errors of the truth: with a
    well-behaved likelihood each check fails with probability 0.27 %, so a fixed seed that
    passes is no accident, while a biased likelihood or a wrong SE (off by more than a few
    SE at 5,000 customers) fails."""
    for (name, value), true in zip(fit.parameters.items(), truth, strict=True):
        assert abs(value - true) < 3 * fit.se[name], (name, value, true, fit.se[name])


def test_bg_nbd_recovers_known_parameters_fast():
    # 2,000 customers: the default suite's quick check (< 2 s)
    base = _base(bg_nbd_customers, BG, 2_000, 11)
    fit = fit_model(
        "bg_nbd",
        bg_nbd.PARAMETERS,
        bg_nbd.log_likelihood,
        summary_arrays(base),
        [np.array([1.0, 30.0, 1.0, 3.0])],
    )
    assert fit.converged
    _within_3_se(fit, BG)


def test_pareto_nbd_recovers_known_parameters_fast():
    base = _base(pareto_nbd_customers, PARETO, 2_000, 12)
    fit = fit_model(
        "pareto_nbd",
        pareto_nbd.PARAMETERS,
        pareto_nbd.log_likelihood,
        summary_arrays(base),
        [np.array([1.0, 30.0, 1.0, 100.0])],
    )
    assert fit.converged
    _within_3_se(fit, PARETO)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("generate", "truth", "family"),
    [(pareto_nbd_customers, PARETO, "pareto_nbd"), (bg_nbd_customers, BG, "bg_nbd")],
)
def test_5000_customers_recover_the_generating_parameters(generate, truth, family):
    base = _base(generate, truth, 5_000, 2026)
    fit = fit_customer_base(base)
    _within_3_se(fit.fits[family], truth)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("generate", "truth", "family"),
    [
        # clear cases: BG/NBD customers who often leave right after a purchase (a/(a+b) = 0.5)
        # leave a gap between the last purchase and T that the Pareto/NBD's smooth lifetimes
        # cannot mimic; Pareto/NBD customers who die between purchases, often before buying
        # again, a thing the BG/NBD cannot do
        (bg_nbd_customers, (1.5, 15.0, 2.0, 2.0), "bg_nbd"),
        (pareto_nbd_customers, (1.5, 15.0, 2.0, 60.0), "pareto_nbd"),
    ],
)
def test_model_selection_picks_the_generating_family(generate, truth, family):
    base = _base(generate, truth, 5_000, 7)
    fit = fit_customer_base(base)
    assert fit.chosen == family, {k: f.log_likelihood for k, f in fit.fits.items()}


def test_the_fit_reports_both_models_and_the_covariance_of_the_log_parameters():
    base = _base(bg_nbd_customers, BG, 1_500, 3)
    fit = fit_customer_base(base)
    assert set(fit.fits) == {"pareto_nbd", "bg_nbd"}
    assert fit.chosen == min(fit.fits, key=lambda name: fit.fits[name].aic)
    best = fit.best
    assert best.log_covariance.shape == (4, 4)
    np.testing.assert_allclose(best.log_covariance, best.log_covariance.T)
    assert np.all(np.linalg.eigvalsh(best.log_covariance) > 0)
    # delta method: se = theta * sd(log theta)
    for i, (name, value) in enumerate(best.parameters.items()):
        assert best.se[name] == pytest.approx(value * np.sqrt(best.log_covariance[i, i]))
