"""The analytic first guess of ``twin recommend-stock`` against closed forms and scipy.

The loss functions are checked against scipy's numerical expectation, the fill rates against
their textbook closed forms with normal lead-time demand, the level search against a brute
scan, and the per-SKU demand moments against the model's own order book (a statistical test
with a fixed seed).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from twin.distributions.continuous import Constant, Gamma
from twin.distributions.discrete import Discrete, NegativeBinomial, Poisson
from twin.experiments.recommend_stock_analytic import (
    continuous_fill_rate,
    gamma_loss,
    normal_loss,
    periodic_fill_rate,
    smallest_level,
)
from twin.experiments.recommend_stock_demand import sku_demand, whole_count_moments
from twin.experiments.recommend_stock_levels import LevelModel
from twin.model.catalogue import Catalogue
from twin.model.order_book import draw_order_book
from twin.streams import Streams


@pytest.mark.parametrize("x", [-5.0, 0.0, 80.0, 100.0, 131.5, 200.0])
def test_normal_loss_is_the_expected_shortfall(x: float) -> None:
    mean, sd = 100.0, 20.0
    expected = stats.norm(mean, sd).expect(lambda y: y - x, lb=x)
    assert normal_loss(np.array([x]), mean, sd**2)[0] == pytest.approx(expected, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(("mean", "variance"), [(3.0, 9.0), (40.0, 100.0), (0.5, 4.0)])
@pytest.mark.parametrize("x", [0.0, 1.0, 2.5, 30.0, 60.0])
def test_gamma_loss_is_the_expected_shortfall(mean: float, variance: float, x: float) -> None:
    shape, scale = mean**2 / variance, variance / mean
    expected = stats.gamma(shape, scale=scale).expect(lambda y: y - x, lb=x)
    got = gamma_loss(np.array([x]), mean, variance)[0]
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_losses_without_spread_are_the_plain_shortfall() -> None:
    x = np.array([-1.0, 3.0, 12.0])
    for loss in (normal_loss, gamma_loss):
        assert loss(x, 10.0, 0.0).tolist() == [11.0, 7.0, 0.0]


def test_continuous_fill_rate_is_the_closed_form_with_normal_demand() -> None:
    """(s, Q) with normal lead-time demand: beta = 1 - sigma [L(z_s) - L(z_{s+Q})] / Q with the
    standard normal loss L(z) = int_z^inf (t - z) phi(t) dt, here integrated by scipy."""
    mean, sd, q = 200.0, 40.0, 150.0

    def unit_loss(z: float) -> float:
        return integrate.quad(lambda t: (t - z) * stats.norm.pdf(t), z, np.inf)[0]

    for s in (150.0, 200.0, 260.0):
        closed = 1.0 - sd * (unit_loss((s - mean) / sd) - unit_loss((s + q - mean) / sd)) / q
        got = continuous_fill_rate(np.array([s]), np.array([q]), 0.0, mean, sd**2, "normal")[0]
        assert got == pytest.approx(closed, abs=1e-7)


def test_undershoot_lowers_the_reorder_point_and_adds_to_the_cycle() -> None:
    s, q, u = np.array([100.0]), np.array([50.0]), 7.0
    with_undershoot = continuous_fill_rate(s, q, u, 90.0, 400.0, "gamma")
    shifted = continuous_fill_rate(s - u, q + u, 0.0, 90.0, 400.0, "gamma")
    assert with_undershoot == pytest.approx(shifted)


def test_periodic_fill_rate_is_the_closed_form_with_normal_demand() -> None:
    """(R, S): beta = 1 - [G_{L+R}(S) - G_L(S)] / (lambda R), G from scipy's expectation."""
    rate, lead, review, sd_day = 10.0, 5.0, 7.0, 4.0
    level = 140.0

    def expected_short(days: float) -> float:
        dist = stats.norm(rate * days, sd_day * np.sqrt(days))
        return dist.expect(lambda y: y - level, lb=level)

    closed = 1.0 - (expected_short(lead + review) - expected_short(lead)) / (rate * review)
    got = periodic_fill_rate(
        np.array([level]),
        rate * review,
        rate * (lead + review),
        sd_day**2 * (lead + review),
        rate * lead,
        sd_day**2 * lead,
        "normal",
    )[0]
    assert got == pytest.approx(closed, abs=1e-7)


def test_smallest_level_is_the_first_level_on_target() -> None:
    mean = np.array([20.0, 200.0, 3.0, 0.0])
    variance = np.array([30.0, 900.0, 9.0, 0.0])
    q = np.array([10, 60, 2, 1])

    def rate(levels: np.ndarray) -> np.ndarray:
        return continuous_fill_rate(levels, q, 0.0, mean, variance, "gamma")

    found = smallest_level(rate, 0.97, np.full(4, -1), np.full(4, 400))
    for i in range(4):
        scan = np.arange(-1, 401)
        rates = continuous_fill_rate(scan, q[i], 0.0, mean[i], variance[i], "gamma")
        assert found[i] == scan[np.argmax(rates >= 0.97)]


def test_whole_count_moments_follow_the_models_rounding() -> None:
    """A draw is made whole as max(floor(x + 1/2), 1): a 0 becomes 1."""
    nb = NegativeBinomial(mean=3.0, dispersion=1.5)
    k = nb.dispersion
    values = np.arange(200)
    pmf = stats.nbinom.pmf(values, k, k / (k + nb.mean))
    whole = np.maximum(values, 1)
    assert whole_count_moments(nb) == pytest.approx((pmf @ whole, pmf @ whole**2))
    poisson = Poisson(mean=0.7)
    pmf = stats.poisson.pmf(values, 0.7)
    assert whole_count_moments(poisson) == pytest.approx((pmf @ whole, pmf @ whole**2))
    discrete = Discrete(values=[0.2, 2.0, 3.6], probabilities=[0.5, 0.25, 0.25])
    assert whole_count_moments(discrete) == pytest.approx((0.5 + 0.5 + 1.0, 0.5 + 1.0 + 4.0))
    assert whole_count_moments(Constant(value=2.4)) == (2.0, 4.0)
    gamma = Gamma(shape=4.0, scale=2.0)  # no rounding correction: its own moments
    assert whole_count_moments(gamma) == pytest.approx((8.0, 64.0 + 16.0))


def test_daily_demand_moments_match_the_models_order_book(tiny) -> None:
    """Units per day of each SKU drawn by the model's order book over 4,000 days: the mean
    within 3 % and the variance within 10 % of the compound-Poisson moments (about 4 standard
    errors of each at this length; the seed is fixed)."""
    scenario = tiny(
        {
            "run": {"horizon_days": 4000.0},
            "products": [
                {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
                {"sku": "B", "unit_cost": 5.0, "price": 8.0, "supplier": "acme"},
            ],
            "segments": {
                "shop": {
                    "arrivals": {"kind": "poisson", "rate_per_day": 6.0},
                    "lines_per_order": {"dist": "negative_binomial", "mean": 2.0, "dispersion": 2},
                    "sku_mix": {"kind": "weights", "weights": {"A": 3, "B": 1}},
                    "quantity": {"dist": "negative_binomial", "mean": 4.0, "dispersion": 1.0},
                }
            },
        }
    )
    catalogue = Catalogue.from_scenario(scenario)
    demand = sku_demand(scenario, catalogue)
    days = 4000
    rng = np.random.default_rng(2026)
    times = np.sort(rng.uniform(0.0, days, rng.poisson(6.0 * days)))
    book = draw_order_book(scenario.segments["shop"], times, catalogue, Streams(11, 0), "shop")
    order_of_line = np.repeat(np.arange(len(book.times)), np.diff(book.line_start))
    day = np.floor(np.asarray(book.times)[order_of_line]).astype(int)
    skus = np.asarray(book.skus)
    for i in range(2):
        per_day = np.bincount(day[skus == i], np.asarray(book.quantities)[skus == i], days)
        assert per_day.mean() == pytest.approx(demand.mean_per_day[i], rel=0.03)
        assert per_day.var() == pytest.approx(demand.variance_per_day[i], rel=0.10)
    assert demand.lead_time_mean_days.tolist() == [3.0, 3.0]  # tiny's constant lead time
    assert demand.lead_time_variance_days2.tolist() == [0.0, 0.0]


def three_skus() -> LevelModel:
    """Three continuously reviewed (s, S) SKUs of different speed, spread and order size."""
    from twin.experiments.recommend_stock_demand import SkuDemand
    from twin.model.inventory import SkuRule
    from twin.model.policies import MinMax

    rule = SkuRule(MinMax(1, 2), None, 0.0, True, 0)
    demand = SkuDemand(
        mean_per_day=np.array([10.0, 3.0, 0.8]),
        variance_per_day=np.array([40.0, 9.0, 2.0]),
        order_mean=np.array([2.0, 1.5, 1.0]),
        order_second_moment=np.array([6.0, 3.0, 1.0]),
        lead_time_mean_days=np.array([5.0, 5.0, 12.0]),
        lead_time_variance_days2=np.array([4.0, 4.0, 9.0]),
    )
    return LevelModel([rule] * 3, demand, np.array([30, 12, 5]), "gamma")


def test_the_cheapest_levels_beat_every_grid_allocation_of_the_same_fill_rate() -> None:
    """Everett's theorem: levels minimising value - k x (units filled) for some k cost least
    among all levels filling at least as many units. Checked against every allocation on a
    grid (reorder points from the floor's up to 119, 59 and 39)."""
    model = three_skus()
    cost = np.array([2.0, 10.0, 40.0])
    found = model.cheapest(0.95, cost, 0.5)
    achieved = model.overall_fill_rate(found)
    assert achieved >= 0.95
    floor = model.at_fill_rate(0.5)
    grids = [np.arange(floor[i], top) for i, top in enumerate((120, 60, 40))]
    rates = [
        continuous_fill_rate(
            g,
            model.quantity[i],
            model.undershoot[i],
            model.protect[0][i],
            model.protect[1][i],
            "gamma",
        )
        for i, g in enumerate(grids)
    ]
    weights = model.demand_per_day / model.demand_per_day.sum()
    overall = (
        weights[0] * rates[0][:, None, None]
        + weights[1] * rates[1][None, :, None]
        + weights[2] * rates[2][None, None, :]
    )
    value = (
        cost[0] * grids[0][:, None, None]
        + cost[1] * grids[1][None, :, None]
        + cost[2] * grids[2][None, None, :]
    )
    best = value[overall >= achieved - 1e-12].min()
    assert float(cost @ found) == pytest.approx(best)
    # and it is cheaper than every SKU at the same fill rate
    equal = model.at_fill_rate(0.95)
    assert cost @ found < cost @ equal


def test_the_floor_holds_every_sku() -> None:
    model = three_skus()
    found = model.cheapest(0.95, np.array([1.0, 1.0, 1000.0]), 0.8)
    assert (model.fill_rate(found) >= 0.8).all()
    assert model.fill_rate(found)[2] < 0.95  # the dear SKU is at or near its floor
