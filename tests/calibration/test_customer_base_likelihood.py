"""Pareto/NBD and BG/NBD closed forms against numerical integration of the models' definitions,
and their conditional expectations against simulated customers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from twin.calibration.customer_base import bg_nbd, pareto_nbd
from twin.calibration.customer_base.synthetic import bg_nbd_customers, pareto_nbd_customers

# (x, t_x, T) in days: a one-off buyer, a recent repeat buyer, a lapsed frequent one; the
# one-off buyer's nested quadrature takes 10-20 s
POINTS = [
    pytest.param((0, 0.0, 120.0), marks=pytest.mark.slow),
    (2, 80.0, 100.0),
    (7, 35.5, 300.0),
]
PARETO = {"alpha >= beta": (0.8, 40.0, 0.5, 15.0), "alpha < beta": (0.6, 12.0, 1.3, 90.0)}
BG = (0.8, 40.0, 0.7, 2.5)


def _expect(distribution, function) -> float:
    """E[function(V)] for V ~ distribution, by adaptive quadrature over its support."""
    return distribution.expect(function, epsrel=1e-10, limit=200)


def _pareto_parts(x, t_x, T, r, alpha, s, beta) -> tuple[float, float]:
    """The model's definition, integrated numerically: alive at T (x purchases by a Poisson
    process over (0, T], lifetime beyond T), and dropped out at tau in (t_x, T] (density
    mu exp(-mu tau)) after x purchases by tau, the last at t_x. Given (lambda, mu) the parts
    factorise, so each is a product (or a 1-D integral) of expectations over one prior."""
    lam = stats.gamma(r, scale=1.0 / alpha)
    mu = stats.gamma(s, scale=1.0 / beta)

    def purchases(until):
        return _expect(lam, lambda v: v**x * np.exp(-v * until))

    alive = purchases(T) * _expect(mu, lambda v: np.exp(-v * T))
    dropped, _ = integrate.quad(
        lambda tau: purchases(tau) * _expect(mu, lambda v: v * np.exp(-v * tau)),
        t_x,
        T,
        epsrel=1e-8,
    )
    return alive, dropped


@pytest.mark.parametrize("case", sorted(PARETO))
@pytest.mark.parametrize("point", POINTS)
def test_pareto_nbd_likelihood_and_p_alive_match_the_integral_of_the_definition(case, point):
    # the closed form is exact; quadrature is good to ~1e-7 relative, so 1e-5 is a safe margin
    params = PARETO[case]
    x, t_x, T = (np.array([v], dtype=float) for v in point)
    alive_value, dropped = _pareto_parts(*point, *params)
    total = alive_value + dropped
    assert np.exp(pareto_nbd.log_likelihood(np.array(params), x, t_x, T))[0] == pytest.approx(
        total, rel=1e-5
    )
    assert pareto_nbd.p_alive(np.array(params), x, t_x, T)[0] == pytest.approx(
        alive_value / total, rel=1e-5
    )


def _bg_parts(x, t_x, T, r, alpha, a, b) -> tuple[float, float]:
    """Alive at T after x repeat purchases (none followed by drop-out), and dropped out right
    after the x-th at t_x; lambda and p are independent, so each part is a product."""
    lam = stats.gamma(r, scale=1.0 / alpha)
    p = stats.beta(a, b)
    alive = _expect(p, lambda q: (1 - q) ** x) * _expect(lam, lambda v: v**x * np.exp(-v * T))
    dropped = 0.0
    if x > 0:
        dropped = _expect(p, lambda q: q * (1 - q) ** (x - 1)) * _expect(
            lam, lambda v: v**x * np.exp(-v * t_x)
        )
    return alive, dropped


@pytest.mark.parametrize("point", [(0, 0.0, 120.0), *POINTS[1:]])
def test_bg_nbd_likelihood_and_p_alive_match_the_integral_of_the_definition(point):
    alive, dropped = _bg_parts(*point, *BG)
    x, t_x, T = (np.array([v], dtype=float) for v in point)
    assert np.exp(bg_nbd.log_likelihood(np.array(BG), x, t_x, T))[0] == pytest.approx(
        alive + dropped, rel=1e-5
    )
    assert bg_nbd.p_alive(np.array(BG), x, t_x, T)[0] == pytest.approx(
        alive / (alive + dropped), rel=1e-5
    )


def test_the_pareto_nbd_likelihood_stays_finite_for_very_frequent_buyers():
    # 2F1 of a customer with hundreds of purchases overflows unless transformed (module doc)
    x = np.array([250.0, 400.0])
    t_x = np.array([360.0, 200.0])
    T = np.array([365.0, 365.0])
    for params in PARETO.values():
        values = pareto_nbd.log_likelihood(np.array(params), x, t_x, T)
        assert np.all(np.isfinite(values))


@pytest.mark.parametrize("case", sorted(PARETO))
def test_the_pareto_nbd_terms_shared_by_customers_are_the_values_of_each_customer_alone(case):
    # the hypergeometric terms are evaluated once per distinct (x, t_x) and (x, T): customers
    # without a repeat purchase share t_x = 0, day-stamped ones their ages; each customer must
    # get, bit for bit, what it gets when evaluated alone
    rng = np.random.default_rng(17)
    T = rng.integers(1, 60, 400).astype(float)
    x = rng.integers(0, 4, 400).astype(float)
    t_x = np.where(x > 0, np.floor(T * rng.uniform(0.0, 1.0, 400)), 0.0)
    params = np.array(PARETO[case])
    together = pareto_nbd.log_likelihood(params, x, t_x, T)
    alone = [
        pareto_nbd.log_likelihood(params, x[i : i + 1], t_x[i : i + 1], T[i : i + 1])
        for i in range(400)
    ]
    assert together.tobytes() == np.concatenate(alone).tobytes()
    assert (
        pareto_nbd.p_alive(params, x, t_x, T).tobytes()
        == np.concatenate(
            [
                pareto_nbd.p_alive(params, x[i : i + 1], t_x[i : i + 1], T[i : i + 1])
                for i in range(400)
            ]
        ).tobytes()
    )


GENERATORS = {
    "pareto_nbd": (pareto_nbd, pareto_nbd_customers, PARETO["alpha >= beta"]),
    "bg_nbd": (bg_nbd, bg_nbd_customers, BG),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_p_alive_and_expected_purchases_agree_with_simulated_customers(name):
    # Averaged over customers drawn from the model, P(alive) must equal the share alive and
    # the conditional expectation the mean holdout count (law of total expectation). 20,000
    # customers: the means' standard errors are ~0.3 % of alive and ~1.5 % of the holdout
    # mean; 4 standard errors keeps a false alarm below 1e-4 (fixed seed: deterministic).
    module, generate, params = GENERATORS[name]
    rng = np.random.default_rng(20261207)
    ages = rng.uniform(30.0, 365.0, 20_000)
    base = generate(rng, params, ages, holdout_days=90.0)
    x, t_x, T = (base[c].to_numpy(dtype=float) for c in ("frequency", "recency_days", "age_days"))
    alive = module.p_alive(np.array(params), x, t_x, T)
    share = base["alive"].mean()
    assert alive.mean() == pytest.approx(share, abs=4 * np.sqrt(share * (1 - share) / len(x)))
    expected = module.expected_purchases(np.array(params), x, t_x, T, 90.0)
    holdout = base["holdout"].to_numpy(dtype=float)
    assert expected.mean() == pytest.approx(
        holdout.mean(), abs=4 * holdout.std() / np.sqrt(len(holdout))
    )


def test_the_model_p_alive_matches_the_fit_for_customers_this_alike():
    """The sample's trade segment at 2026-10-01: 299 customers of one rate (r ~ 1100) with about
    a hundred purchases each. scipy's direct 2F1(a, b; a+1; z) with a ~ 1200 is not finite there;
    the model's P(alive) was nan for every customer, and the segment ordered nothing. Both
    closed forms are exact, so they agree to rounding (1e-9 relative, on values near 1)."""
    from twin.model.customer_base import p_alive

    params = {"r": 1125.88, "alpha": 7143.18, "s": 8.945e-5, "beta": 43723.2}
    x = np.array([74.0, 98.0, 126.0, 0.0])
    t_x = np.array([581.4, 620.9, 633.9, 0.0])
    T = np.array([586.4, 627.1, 634.1, 300.0])
    vector = np.array([params[name] for name in pareto_nbd.PARAMETERS])
    model = p_alive("pareto_nbd", params, x, t_x, T)
    assert np.all(np.isfinite(model))
    assert model == pytest.approx(pareto_nbd.p_alive(vector, x, t_x, T), rel=1e-9)
    # where the direct form is finite the model keeps it exactly as before
    small = PARETO["alpha >= beta"]
    named = dict(zip(pareto_nbd.PARAMETERS, small, strict=True))
    assert p_alive("pareto_nbd", named, x[:1], t_x[:1], T[:1]) == pytest.approx(
        pareto_nbd.p_alive(np.array(small), x[:1], t_x[:1], T[:1]), rel=1e-9
    )
