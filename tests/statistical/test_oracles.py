"""Statistical oracles: the model against closed forms from queueing and inventory theory.

Each test runs independent replications of a scenario in ``scenarios/tests/`` with its fixed seed
and asserts that the closed-form value lies inside the 99 % Student-t interval of the
replication means.

Tolerance reasoning. Replication means are independent and, averaging thousands of orders each,
close to normal, so for a correct model the interval misses the true value with probability
about 1 %; with fixed seeds the outcome is the same on every run, so the test is deterministic and
its seeds were not picked to make it pass. The remaining bias (a warm-up from an empty desk or a
full shelf, jobs cut off at the horizon) is far below the interval's half-width: the warm-up is
several relaxation times long and only jobs that have started by the horizon are measured. Each
test also bounds the half-width, so a noisy run cannot pass by making the interval wide: at that
precision a 5 % error in service or lead time moves the answer well outside it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from twin.distributions import Constant, Exponential
from twin.kpis import compute_kpis
from twin.model.network import run_replication
from twin.scenario.arrivals import PoissonArrivals
from twin.scenario.inventory import BaseStock
from twin.scenario.schema import Scenario

CONFIDENCE = 0.99


def t_interval(values: list[float]) -> tuple[float, float]:
    """Mean and half-width of the two-sided ``CONFIDENCE`` t-interval of independent values."""
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(half)


def assert_covers(values: list[float], expected: float, max_half_width: float, what: str) -> None:
    mean, half = t_interval(values)
    assert abs(mean - expected) <= half, (
        f"{what}: closed form {expected:.6g} is outside the simulated {CONFIDENCE:.0%} interval "
        f"{mean:.6g} ± {half:.3g}"
    )
    assert half <= max_half_width, (
        f"{what}: interval ± {half:.3g} is too wide (> {max_half_width:.3g}) to test anything"
    )


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``a = lambda / mu``
    (Erlang C), from Erlang B = P(N = c) / P(N <= c) for N ~ Poisson(a).

    Reference: Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory*, 4th ed.,
    section 2.3.
    """
    b = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
    rho = a / c
    return float(b / (1 - rho * (1 - b)))


def mean_queue_wait(result, role: str = "order_desk") -> float:
    """Mean of ``t_start - t_request`` (days) over the role's jobs requested after the warm-up and
    at least a day before the horizon (all of which have started, so none is censored)."""
    jobs = result.tables["staff_jobs"]
    jobs = jobs[
        (jobs["role"] == role)
        & (jobs["t_request"] >= result.warmup_days)
        & (jobs["t_request"] < result.horizon_days - 1.0)
    ]
    assert not jobs["t_start"].isna().any()
    return float((jobs["t_start"] - jobs["t_request"]).mean())


def mmc_parameters(scenario: Scenario) -> tuple[float, float, int]:
    """(lambda per day, mu per day, c) of an order desk that really is an M/M/c queue."""
    (segment,) = scenario.segments.values()
    arrivals = segment.arrivals
    assert isinstance(arrivals, PoissonArrivals)
    assert set(arrivals.weekday_multipliers) == {1.0} and set(arrivals.monthly_multipliers) == {1.0}
    assert arrivals.trend_per_year == 0.0 and not arrivals.holidays
    desk = scenario.staffing.order_desk
    assert scenario.staffing.calendars[desk.calendar].always_open
    assert isinstance(desk.minutes_per_order, Exponential)
    assert scenario.staffing.warehouse is None
    return arrivals.rate_per_day, 1440.0 / desk.minutes_per_order.mean, desk.headcount


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param((), id="M/M/3-rho0.83"),
        pytest.param(
            ("segments.everyone.arrivals.rate_per_day=30", "staffing.order_desk.headcount=1"),
            id="M/M/1-rho0.75",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            ("segments.everyone.arrivals.rate_per_day=180", "staffing.order_desk.headcount=5"),
            id="M/M/5-rho0.90",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_order_desk_wait_matches_erlang_c(load_scenario, overrides):
    scenario = load_scenario("tests/mmc-queue.yaml", *overrides)
    lam, mu, c = mmc_parameters(scenario)
    a = lam / mu
    assert a < c
    wq = erlang_c(c, a) / (c * mu - lam)  # days
    waits, utilisation = [], []
    for replication in range(scenario.run.replications):
        result = run_replication(scenario, replication)
        waits.append(mean_queue_wait(result))
        utilisation.append(compute_kpis(result, scenario.costs)["utilisation_order_desk"])
    # half-widths at 20 x 100 days: 7-11 % of Wq, and about 0.01 on rho
    assert_covers(waits, wq, max_half_width=0.15 * wq, what="mean wait in queue Wq (days)")
    assert_covers(utilisation, a / c, max_half_width=0.02, what="desk utilisation rho")


def base_stock_parameters(scenario: Scenario) -> tuple[float, float, int]:
    """(lambda units per day, lead time L in days, level S) of a single-unit base-stock system."""
    (segment,) = scenario.segments.values()
    assert isinstance(segment.arrivals, PoissonArrivals)
    assert isinstance(segment.lines_per_order, Constant) and segment.lines_per_order.value == 1
    assert isinstance(segment.quantity, Constant) and segment.quantity.value == 1
    assert scenario.staffing is None
    (supplier,) = scenario.suppliers.values()
    assert isinstance(supplier.lead_time_days, Constant) and supplier.min_order_quantity <= 1
    policy = scenario.inventory.default.policy
    assert isinstance(policy, BaseStock)
    assert scenario.inventory.default.review.kind == "continuous"
    return segment.arrivals.rate_per_day, supplier.lead_time_days.value, policy.level


def base_stock_kpis(scenario: Scenario) -> dict[str, list[float]]:
    rows = [
        compute_kpis(run_replication(scenario, r), scenario.costs)
        for r in range(scenario.run.replications)
    ]
    return {
        k: [row[k] for row in rows]
        for k in ("fill_rate", "backorder_units_mean", "inventory_units_mean")
    }


def test_base_stock_with_backorders_matches_poisson_lead_time_demand(load_scenario):
    # Continuous review, one-for-one: the position stays at S, so on hand - backorders = S - D
    # with D ~ Poisson(lambda L), the demand of the last lead time. A unit demand is filled from
    # stock iff D < S at its arrival (PASTA). Zipkin, Foundations of Inventory Management, 6.2.
    scenario = load_scenario("tests/base-stock.yaml")
    lam, lead_time, level = base_stock_parameters(scenario)
    assert scenario.inventory.default.shortage == "backorder"
    demand = stats.poisson(lam * lead_time)
    fill_rate = demand.cdf(level - 1)
    backorders = demand.expect(lambda d: np.maximum(d - level, 0.0))
    on_hand = demand.expect(lambda d: np.maximum(level - d, 0.0))

    # half-widths at 20 x 1000 days: about 0.011 on the fill rate, 7 % of the backorders and
    # 3 % of the stock on hand
    kpis = base_stock_kpis(scenario)
    assert_covers(kpis["fill_rate"], fill_rate, max_half_width=0.02, what="fill rate")
    assert_covers(
        kpis["backorder_units_mean"],
        backorders,
        max_half_width=0.12 * backorders,
        what="mean backorders E[(D - S)+]",
    )
    assert_covers(
        kpis["inventory_units_mean"],
        on_hand,
        max_half_width=0.05 * on_hand,
        what="mean on hand E[(S - D)+]",
    )


def test_base_stock_with_lost_sales_matches_erlang_loss(load_scenario):
    # Under lost sales each of the S units is either on the shelf or "in service" for one lead
    # time, so the units on order form an M/G/S/S loss system with load a = lambda L: a demand
    # is lost with the Erlang B probability B(S, a) (Zipkin, 7.3; Erlang B is insensitive to the
    # lead-time distribution). Mean on hand is S - a (1 - B).
    # half the file's horizon: the loss probability is estimated far more tightly than backorders
    scenario = load_scenario(
        "tests/base-stock.yaml", "inventory.default.shortage=lost_sale", "run.horizon_days=500"
    )
    lam, lead_time, level = base_stock_parameters(scenario)
    a = lam * lead_time
    blocking = stats.poisson.pmf(level, a) / stats.poisson.cdf(level, a)

    kpis = base_stock_kpis(scenario)
    assert_covers(kpis["fill_rate"], 1.0 - blocking, max_half_width=0.01, what="fill rate 1 - B")
    on_hand = level - a * (1.0 - blocking)
    assert_covers(
        kpis["inventory_units_mean"],
        on_hand,
        max_half_width=0.06 * on_hand,
        what="mean on hand S - a (1 - B)",
    )
    assert kpis["backorder_units_mean"] == [0.0] * scenario.run.replications
