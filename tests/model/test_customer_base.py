"""Customer-level demand (``segments.<name>.customer_base``): closed forms, the cohort's draws
against them, parameter uncertainty, reproducibility and common random numbers.

Statistical tests use fixed seeds; each states its tolerance from the replication standard error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import TINY, deep_merge
from scipy import integrate

from twin.model.customer_base import (
    Calendar,
    calendar_shape,
    candidate_orders,
    draw_cohort,
    draw_parameters,
    expected_new_customer_purchases,
    expected_purchases,
    p_alive,
    poisson_times,
    synthetic_history,
)
from twin.model.network import run_replication
from twin.scenario.schema import Scenario
from twin.streams import Streams

PARETO = {"r": 0.8, "alpha": 6.0, "s": 0.7, "beta": 60.0}
BG = {"r": 0.8, "alpha": 6.0, "a": 1.6, "b": 4.0}
PARAMETERS = {"pareto_nbd": PARETO, "bg_nbd": BG}


def write_history(folder: Path, model: str, n: int = 400, seed: int = 7) -> Path:
    """A customers file of ``n`` synthetic histories drawn from the model's parameters."""
    history = synthetic_history(
        model, PARAMETERS[model], n, (30.0, 400.0), np.random.default_rng(seed)
    )
    path = folder / f"{model}.csv"
    pd.DataFrame(history).to_csv(path, index=False)
    return path


def cohort_scenario(
    path: Path, model: str, patch: dict[str, Any] | None = None, **section: Any
) -> Scenario:
    """TINY with a flat Poisson calendar and a customer base read from ``path``."""
    base = {
        "run": {"horizon_days": 90.0},
        "inventory": {"default": {"policy": {"kind": "base_stock", "level": 50}}},
        "segments": {
            "shop": {
                "customers": None,
                "arrivals": {"kind": "poisson", "rate_per_day": 1.0},
                "customer_base": {
                    "model": model,
                    "parameters": PARAMETERS[model],
                    "customers_file": str(path),
                    **section,
                },
            }
        },
    }
    data = deep_merge(deep_merge(TINY, base), patch or {})
    del data["segments"]["shop"]["customers"]
    return Scenario.model_validate(data)


# ----------------------------------------------------------------------------- closed forms


def _pareto_p_alive_by_quadrature(params: dict, x: int, t_x: float, T: float) -> float:
    """P(alive) of Pareto/NBD from the likelihood integrated over the Gamma priors: alive to T,
    against dying at any tau in (t_x, T), each term's lambda and mu integrated in closed form
    (common factors dropped) and tau by quadrature, so no hypergeometric function is used."""
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))

    def dead(tau: float) -> float:
        return s / beta * (beta / (beta + tau)) ** (s + 1) * (alpha / (alpha + tau)) ** (r + x)

    alive = (alpha / (alpha + T)) ** (r + x) * (beta / (beta + T)) ** s
    gone = integrate.quad(dead, t_x, T, epsabs=0, epsrel=1e-12)[0]
    return alive / (alive + gone)


@pytest.mark.parametrize(
    "params",
    [PARETO, {"r": 0.8, "alpha": 60.0, "s": 0.7, "beta": 6.0}],
    ids=["alpha<beta", "alpha>beta"],
)
@pytest.mark.parametrize(
    "x, t_x, T", [(0, 0.0, 50.0), (3, 20.0, 100.0), (6, 95.0, 100.0), (40, 10.0, 300.0)]
)
def test_pareto_p_alive_matches_quadrature(params: dict, x: int, t_x: float, T: float) -> None:
    expected = _pareto_p_alive_by_quadrature(params, x, t_x, T)
    assert p_alive("pareto_nbd", params, x, t_x, T) == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_bg_p_alive_is_one_without_repeat_purchases_and_falls_with_a_long_silence() -> None:
    alive = p_alive("bg_nbd", BG, [0, 4, 4], [0.0, 90.0, 10.0], [100.0, 100.0, 100.0])
    assert alive[0] == 1.0
    assert alive[2] < alive[1] < 1.0


def test_calendar_shape_has_mean_one_over_the_year_and_keeps_the_weekday_pattern() -> None:
    from twin.scenario.arrivals import PoissonArrivals

    arrivals = PoissonArrivals(
        kind="poisson",
        rate_per_day=40.0,
        trend_per_year=0.5,
        weekday_multipliers=[2, 2, 2, 2, 2, 0, 0],
    )
    import datetime as dt

    shape = calendar_shape(arrivals, dt.date(2026, 1, 5), 400)
    assert shape[:365].mean() == pytest.approx(1.0)
    assert shape[5] == 0.0 and shape[7] == pytest.approx(shape[0])  # no trend


def test_poisson_times_follow_the_calendar() -> None:
    shape = np.tile([3.0, 0.0, 1.0, 0.0], 50)
    owner, times = poisson_times(
        np.full(2000, 0.5),
        np.zeros(2000),
        np.full(2000, 200.0),
        Calendar(shape),
        np.random.default_rng(3),
    )
    days = np.floor(times).astype(int) % 4
    assert not np.isin(days, [1, 3]).any()
    # 3:1 between the two open days; binomial standard error of the share below 0.01
    assert (days == 0).mean() == pytest.approx(0.75, abs=0.01)
    assert np.all(np.diff(owner) >= 0)


# ----------------------------------------------------------------------------- the cohort


def _orders_per_replication(scenario: Scenario, replications: int) -> np.ndarray:
    """Orders of the cohort (known customers only) in each replication, drawn directly."""
    segment = scenario.segments["shop"]
    totals = []
    for replication in range(replications):
        streams = Streams(scenario.run.seed, replication)
        cohort = draw_cohort(segment, "shop", scenario, streams)
        totals.append(candidate_orders(cohort, streams, "shop").times.size)
    return np.asarray(totals, dtype=float)


@pytest.mark.parametrize("model", ["pareto_nbd", "bg_nbd"])
def test_known_customers_order_as_the_closed_form_expects(tmp_path: Path, model: str) -> None:
    """Mean orders over the horizon = sum of E[X(t) | x, t_x, T]; tolerance 4 standard errors
    of the mean over 300 replications (a true model fails this about once in 16,000 runs)."""
    path = write_history(tmp_path, model)
    scenario = cohort_scenario(path, model)
    totals = _orders_per_replication(scenario, 300)
    history = scenario.segments["shop"].customer_base.history
    expected = expected_purchases(
        model,
        PARAMETERS[model],
        scenario.run.horizon_days,
        history.frequency,
        history.recency_days,
        history.age_days,
    ).sum()
    standard_error = totals.std(ddof=1) / np.sqrt(totals.size)
    assert abs(totals.mean() - expected) < 4 * standard_error, (totals.mean(), expected)


@pytest.mark.parametrize("model", ["pareto_nbd", "bg_nbd"])
def test_new_customers_arrive_at_their_rate_and_buy_as_new_customers(
    tmp_path: Path, model: str
) -> None:
    """First orders ~ Poisson(rate x horizon); their repeat orders = rate x integral of E[X(H -
    u)] over arrival days u. Tolerance 4 standard errors over 300 replications."""
    path = write_history(tmp_path, model, n=5)
    rate, horizon = 4.0, 90.0
    scenario = cohort_scenario(path, model, new_customers={"kind": "poisson", "rate_per_day": rate})
    firsts, repeats = [], []
    for replication in range(300):
        streams = Streams(1, replication)
        cohort = draw_cohort(scenario.segments["shop"], "shop", scenario, streams)
        orders = candidate_orders(cohort, streams, "shop")
        new = orders.customers >= cohort.n_known
        firsts.append(orders.acquisition.sum())
        repeats.append((new & ~orders.acquisition).sum())
        assert np.all(orders.customers[orders.acquisition] >= cohort.n_known)
    firsts, repeats = np.asarray(firsts, float), np.asarray(repeats, float)
    assert abs(firsts.mean() - rate * horizon) < 4 * firsts.std(ddof=1) / np.sqrt(300)
    expected = (
        rate
        * integrate.quad(
            lambda u: float(expected_new_customer_purchases(model, PARAMETERS[model], horizon - u)),
            0,
            horizon,
        )[0]
    )
    assert abs(repeats.mean() - expected) < 4 * repeats.std(ddof=1) / np.sqrt(300)


def test_customers_left_out_are_the_rows_of_the_file(tmp_path: Path) -> None:
    path = write_history(tmp_path, "bg_nbd", n=37)
    assert cohort_scenario(path, "bg_nbd").segments["shop"].customers == 37


def test_parameters_are_the_point_estimates_without_uncertainty(tmp_path: Path) -> None:
    path = write_history(tmp_path, "pareto_nbd", n=5)
    covariance = np.diag([0.01, 0.02, 0.03, 0.04]).tolist()
    scenario = cohort_scenario(path, "pareto_nbd", log_parameter_covariance=covariance)
    drawn = [
        draw_cohort(scenario.segments["shop"], "shop", scenario, Streams(1, r)).parameters
        for r in range(5)
    ]
    assert all(d == PARETO for d in drawn)


def test_parameter_uncertainty_draws_the_log_covariance(tmp_path: Path) -> None:
    """The sample covariance of log parameters over 3000 replications matches the stated one:
    each entry within 4 of its standard errors, sqrt((s_ii s_jj + s_ij^2) / n)."""
    path = write_history(tmp_path, "pareto_nbd", n=5)
    covariance = np.array(
        [
            [0.04, 0.03, 0.0, 0.0],
            [0.03, 0.05, 0.0, 0.0],
            [0.0, 0.0, 0.02, -0.01],
            [0, 0, -0.01, 0.03],
        ]
    )
    scenario = cohort_scenario(
        path,
        "pareto_nbd",
        patch={"run": {"parameter_uncertainty": True}},
        log_parameter_covariance=covariance.tolist(),
    )
    spec = scenario.segments["shop"].customer_base
    n = 3000
    logs = np.log(
        [
            list(
                draw_parameters(spec, True, Streams(1, r).generator("parameters", "shop")).values()
            )
            for r in range(n)
        ]
    )
    sample = np.cov(logs, rowvar=False)
    variances = np.diag(covariance)
    error = np.sqrt((np.outer(variances, variances) + covariance**2) / n)
    assert np.all(np.abs(sample - covariance) < 4 * error)
    assert np.abs(logs.mean(axis=0) - np.log(list(PARETO.values()))).max() < 4 * np.sqrt(
        variances.max() / n
    )


def test_the_covariance_follows_the_order_of_the_parameters_as_written(tmp_path: Path) -> None:
    path = write_history(tmp_path, "bg_nbd", n=5)
    reordered = {"a": BG["a"], "b": BG["b"], "r": BG["r"], "alpha": BG["alpha"]}
    scenario = cohort_scenario(
        path,
        "bg_nbd",
        parameters=reordered,
        log_parameter_covariance=np.diag([1.0, 2.0, 3.0, 4.0]).tolist(),
    )
    # model order r, alpha, a, b
    assert np.diag(scenario.segments["shop"].customer_base.log_covariance()).tolist() == [
        3.0,
        4.0,
        1.0,
        2.0,
    ]


# ----------------------------------------------------------------------------- whole runs


def test_a_run_is_reproducible_and_policy_variants_see_the_same_orders(tmp_path: Path) -> None:
    path = write_history(tmp_path, "pareto_nbd", n=200)
    section = {"new_customers": {"kind": "poisson", "rate_per_day": 1.0}}
    scenario = cohort_scenario(path, "pareto_nbd", **section)
    variant = cohort_scenario(
        path,
        "pareto_nbd",
        patch={"inventory": {"default": {"policy": {"kind": "base_stock", "level": 3}}}},
        **section,
    )
    columns = ["segment", "customer", "t_arrival", "lines", "units"]
    first = run_replication(scenario, 0).tables["orders"][columns]
    again = run_replication(scenario, 0).tables["orders"][columns]
    other = run_replication(variant, 0).tables["orders"][columns]
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, other)
    assert len(first) > 100
    assert first["customer"].max() >= 200  # new customers after the known ones
    different = run_replication(scenario, 1).tables["orders"][columns]
    assert not first.equals(different)


LOOP = {
    "customers": {
        "reference_score": 4.0,
        "satisfaction": {"initial_score": 4.0},
        "repeat": {"sensitivity_per_point": 0.3},
        "churn": {"base_per_year": 0.0},
        "pipeline": {"leads_per_day": {"shop": 0.5}, "win_probability": 0.5},
    }
}


def test_with_the_customer_loop_candidates_are_common_and_new_customers_are_acquired(
    tmp_path: Path,
) -> None:
    import simpy

    from twin.model.network import build
    from twin.records import Recorder

    path = write_history(tmp_path, "bg_nbd", n=100)
    section = {"new_customers": {"kind": "poisson", "rate_per_day": 0.5}}
    scenario = cohort_scenario(path, "bg_nbd", patch=LOOP, **section)
    variant = cohort_scenario(
        path,
        "bg_nbd",
        patch={**LOOP, "inventory": {"default": {"policy": {"kind": "base_stock", "level": 1}}}},
        **section,
    )
    books = [
        build(simpy.Environment(), s, Streams(1, 0), Recorder()).sources[0].book
        for s in (scenario, variant)
    ]
    assert books[0].times == books[1].times and books[0].customers == books[1].customers
    result = run_replication(scenario, 0)
    events = result.tables["customer_events"]
    acquired = events[events["event"] == 1]["customer"]
    assert len(acquired) > 10
    assert acquired.min() >= 100  # new and pipeline customers take the slots after the known
    orders = result.tables["orders"]
    assert set(orders["customer"]) <= set(range(100)) | set(acquired)


@pytest.mark.parametrize("model", ["pareto_nbd", "bg_nbd"])
def test_with_a_neutral_customer_loop_known_customers_still_order_as_expected(
    tmp_path: Path, model: str
) -> None:
    """Repeat propensity flat (sensitivity 0) and no churn: the loop places every candidate, so
    placed orders match the closed form, BG/NBD drop-out decided at placement included.
    Tolerance 4 standard errors over 60 replications."""
    path = write_history(tmp_path, model, n=150)
    neutral = {
        "customers": {
            "repeat": {"sensitivity_per_point": 0.0},
            "churn": {"base_per_year": 0.0},
        },
        "run": {"horizon_days": 60.0},
    }
    scenario = cohort_scenario(path, model, patch=neutral)
    totals = np.array([len(run_replication(scenario, r).tables["orders"]) for r in range(60)])
    history = scenario.segments["shop"].customer_base.history
    expected = expected_purchases(
        model, PARAMETERS[model], 60.0, history.frequency, history.recency_days, history.age_days
    ).sum()
    assert abs(totals.mean() - expected) < 4 * totals.std(ddof=1) / np.sqrt(totals.size)


def test_pipeline_customers_buy_from_their_win_for_their_drawn_lifetime(tmp_path: Path) -> None:
    import simpy

    from twin.model.network import build, collect
    from twin.records import Recorder

    path = write_history(tmp_path, "pareto_nbd", n=50)
    scenario = cohort_scenario(path, "pareto_nbd", patch=LOOP)
    env = simpy.Environment()
    network = build(env, scenario, Streams(1, 0), Recorder())
    env.run(until=scenario.run.horizon_days)
    loop = network.customers
    first = loop.first_pipeline_slot[0]
    assert first == 50  # no new customers: the pipeline's slots follow the known ones
    orders = collect(network, 0).tables["orders"]
    events = orders.loc[orders["customer"] >= first, ["customer", "t_arrival"]]
    won = loop.next_customer[0] - first
    assert won > 5 and len(events) > 0
    lifetimes = loop.pipeline_lifetime[0]
    for customer, t in events.itertuples(index=False):
        death = loop.death[0][customer]
        assert t < death
        assert death - lifetimes[customer - first] <= t  # ordered after its win


def test_churn_reviews_add_only_the_excess_hazard_in_a_customer_base_segment(
    tmp_path: Path,
) -> None:
    """Scores held at the reference (tiny weight): the loop churns the aggregate segment at its
    base hazard but nobody of the customer base, whose drop-out the fitted model makes."""
    path = write_history(tmp_path, "pareto_nbd", n=300)
    held = {
        "customers": {
            "reference_score": 4.0,
            "satisfaction": {"initial_score": 4.0, "weight": 1e-9},
            "churn": {"base_per_year": 3.0, "review_days": 7.0},
        }
    }
    scenario = cohort_scenario(path, "pareto_nbd", patch=held)
    aggregate = Scenario.model_validate(
        deep_merge(
            scenario.model_dump(mode="json"),
            {"segments": {"shop": {"customer_base": None}}},
        )
    )
    churned = [
        (run_replication(s, 0).tables["customer_events"]["event"] == 2).sum()
        for s in (scenario, aggregate)
    ]
    assert churned[0] == 0
    assert churned[1] > 100  # about 300 x (1 - exp(-3 x 90 / 365)) = 157


def test_the_segments_overdispersion_moves_the_cohorts_daily_orders_together(
    tmp_path: Path,
) -> None:
    """With ``arrivals.overdispersion`` the cohort's intensity carries the segment's mean-one
    day multiplier: the mean number of orders stays (within 4 standard errors over 200
    replications) while the variance of daily counts rises well above their mean (Poisson
    with a shared multiplier: var = mean + mean^2 (exp(sd^2) - 1), about 2x here)."""
    path = write_history(tmp_path, "pareto_nbd", n=2000)
    plain = cohort_scenario(path, "pareto_nbd")
    noisy = cohort_scenario(
        path,
        "pareto_nbd",
        {
            "segments": {
                "shop": {"arrivals": {"overdispersion": {"sd_log": 0.5, "autocorrelation": 0.0}}}
            }
        },
    )

    def daily_counts(scenario: Scenario) -> np.ndarray:
        segment = scenario.segments["shop"]
        rows = []
        for replication in range(200):
            streams = Streams(scenario.run.seed, replication)
            cohort = draw_cohort(segment, "shop", scenario, streams)
            times = candidate_orders(cohort, streams, "shop").times
            rows.append(np.bincount(times.astype(int), minlength=90)[:30])
        return np.asarray(rows, dtype=float)

    quiet, loud = daily_counts(plain), daily_counts(noisy)
    se = np.hypot(quiet.sum(1).std(ddof=1), loud.sum(1).std(ddof=1)) / np.sqrt(200)
    assert abs(loud.sum(1).mean() - quiet.sum(1).mean()) < 4 * se
    # dispersion of one day's count across replications, averaged over the days
    index_quiet = (quiet.var(0, ddof=1) / quiet.mean(0)).mean()
    index_loud = (loud.var(0, ddof=1) / loud.mean(0)).mean()
    assert index_quiet < 1.3 < 1.6 < index_loud, (index_quiet, index_loud)


def test_the_customer_bases_own_overdispersion_replaces_the_arrivals(tmp_path: Path) -> None:
    """``customer_base.overdispersion`` is the multiplier the cohort carries: stated equal to the
    arrivals' it draws the same orders (same stream), stated in place of the arrivals' it gives
    the orders the arrivals' would, and stated against arrivals without one it varies them."""
    path = write_history(tmp_path, "pareto_nbd", n=500)
    noise = {"sd_log": 0.5, "autocorrelation": 0.3}
    on_arrivals = cohort_scenario(
        path, "pareto_nbd", {"segments": {"shop": {"arrivals": {"overdispersion": noise}}}}
    )
    on_both = cohort_scenario(
        path,
        "pareto_nbd",
        {"segments": {"shop": {"arrivals": {"overdispersion": {"sd_log": 2.0}}}}},
        overdispersion=noise,
    )
    on_base = cohort_scenario(path, "pareto_nbd", overdispersion=noise)
    plain = cohort_scenario(path, "pareto_nbd")

    def times(scenario: Scenario) -> np.ndarray:
        streams = Streams(scenario.run.seed, 0)
        cohort = draw_cohort(scenario.segments["shop"], "shop", scenario, streams)
        return candidate_orders(cohort, streams, "shop").times

    reference = times(on_arrivals)
    assert np.array_equal(times(on_both), reference)
    assert np.array_equal(times(on_base), reference)
    assert not np.array_equal(times(plain), reference)


def test_a_bg_nbd_drop_out_that_rounds_to_zero_means_the_customer_never_leaves(
    tmp_path: Path,
) -> None:
    """With a tiny Beta ``a`` (as fitted on a wholesaler whose customers almost never leave),
    some drawn drop-out probabilities are exactly 0.0; the cohort must still draw its orders,
    and such customers keep buying to the end of the horizon."""
    path = write_history(tmp_path, "bg_nbd")
    scenario = cohort_scenario(
        path, "bg_nbd", parameters={**PARAMETERS["bg_nbd"], "a": 1e-3, "b": 2.5}
    )
    segment = scenario.segments["shop"]
    streams = Streams(scenario.run.seed, 0)
    cohort = draw_cohort(segment, "shop", scenario, streams)
    assert (cohort.known.dropout == 0.0).any()  # the case this test is about
    orders = candidate_orders(cohort, streams, "shop")
    assert orders.times.size > 0
    assert np.all(np.diff(orders.times) >= 0)


def test_uncertain_new_customer_rate_and_unseen_months_are_drawn_per_replication(
    tmp_path: Path,
) -> None:
    """With parameter uncertainty on, the new customers' rate (log sd 0.3) and an unseen month
    (sd 0.5, covering the whole horizon) vary from replication to replication: the sd of the
    log of first orders over 200 replications is about sqrt(0.3^2 + 0.5^2) = 0.58 (Poisson adds
    ~0.03); the tolerance, 0.1, is 3.4 times the estimate's standard error 0.58 / sqrt(400).
    Off, the spread is Poisson's only."""
    path = write_history(tmp_path, "bg_nbd", n=5)
    run = {"run": {"start_date": "2027-03-01", "horizon_days": 30.0}}
    section = {
        "new_customers": {
            "kind": "poisson",
            "rate_per_day": 40.0,
            "uncertainty": {"log_rate_sd": 0.3},
        }
    }
    uncertain = {"log_rate_sd": 0.0, "unseen_months": [3], "month_sd": 0.5}
    patch = {"segments": {"shop": {"arrivals": {"uncertainty": uncertain}}}}

    def firsts(on: bool) -> np.ndarray:
        scenario = cohort_scenario(
            path,
            "bg_nbd",
            patch=deep_merge(deep_merge(patch, run), {"run": {"parameter_uncertainty": on}}),
            **section,
        )
        return np.array(
            [
                draw_cohort(scenario.segments["shop"], "shop", scenario, Streams(2, r)).n_new
                for r in range(200)
            ],
            dtype=float,
        )

    assert np.log(firsts(True)).std() == pytest.approx(np.hypot(0.3, 0.5), abs=0.1)
    assert np.log(firsts(False)).std() < 0.06
