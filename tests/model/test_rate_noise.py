"""Tests of the arrival refinements in twin.model.arrivals: the day multiplier (overdispersion)
and the per-replication draw of rate and trend (parameter uncertainty)."""

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from twin.experiments.compare import paired, run_variants
from twin.model.arrivals import (
    drawn_parameters,
    future_trend_changes,
    poisson_arrival_times,
    rate_multipliers,
    season_factors,
    segment_arrival_times,
    shared_draw,
)
from twin.scenario.arrivals import PoissonArrivals
from twin.scenario.loader import load
from twin.scenario.run_control import RunControl
from twin.scenario.schema import Scenario
from twin.scenario.variants import Variants
from twin.streams import Streams

START = dt.date(2026, 1, 1)
BASE = {
    "kind": "poisson",
    "rate_per_day": 40.0,
    "weekday_multipliers": [1.2, 1.1, 1.0, 1.0, 1.3, 0.8, 0.6],
    "trend_per_year": 0.1,
    "trend_changes": [{"date": "2026-06-01", "trend_per_year": -0.05}],
}


def arrivals(**extra) -> PoissonArrivals:
    return PoissonArrivals.model_validate({**BASE, **extra})


def test_multiplier_has_mean_one_and_the_stated_sd_and_autocorrelation():
    """200 000 days of s = 0.3, a = 0.6. The effective sample of the AR(1) is n (1-a)/(1+a) =
    50 000, so the standard errors are 0.0014 for mean(M), 0.0010 for sd(log M) and 0.004 for the
    lag-one autocorrelation; the tolerances are about five of them."""
    m = rate_multipliers(
        arrivals(overdispersion={"sd_log": 0.3, "autocorrelation": 0.6}),
        np.random.default_rng(1),
        200_000,
    )
    log_m = np.log(m)
    assert m.mean() == pytest.approx(1.0, abs=0.007)
    assert log_m.std() == pytest.approx(0.3, abs=0.005)
    assert np.corrcoef(log_m[:-1], log_m[1:])[0, 1] == pytest.approx(0.6, abs=0.02)
    assert rate_multipliers(arrivals(), np.random.default_rng(1), 10) is None


def test_simulated_counts_have_the_target_dispersion_index():
    """Constant rate 40, s = 0.3: Var/mean = 1 + 40 (exp(0.09) - 1) = 4.77. Over 20 000 days the
    variance estimate of these autocorrelated counts has a relative standard error of about 2 %
    (measured over 50 seeds); the tolerance is 8 %."""
    flat = PoissonArrivals.model_validate(
        {
            "kind": "poisson",
            "rate_per_day": 40.0,
            "overdispersion": {"sd_log": 0.3, "autocorrelation": 0.6},
        }
    )
    n = 20_000
    run = RunControl(start_date=START, horizon_days=n, replications=1)
    times = segment_arrival_times(flat, Streams(3, 0), "retail", run)
    daily = np.bincount(times.astype(int), minlength=n)
    target = 1 + 40 * math.expm1(0.09)
    assert daily.mean() == pytest.approx(40.0, rel=0.02)
    assert daily.var() / daily.mean() == pytest.approx(target, rel=0.08)


@pytest.mark.parametrize("uncertain", [False, True])
def test_without_the_refinements_the_times_are_exactly_poisson(uncertain):
    """No overdispersion key, and uncertainty stated but the switch off (or no uncertainty and the
    switch on): the same arrival times as the plain Poisson draw, bit for bit."""
    run = RunControl(start_date=START, horizon_days=400, parameter_uncertainty=uncertain)
    spec = arrivals() if uncertain else arrivals(uncertainty={"log_rate_sd": 0.1, "trend_sd": 0.1})
    streams = Streams(7, 2)
    times = segment_arrival_times(spec, streams, "retail", run)
    plain = poisson_arrival_times(
        arrivals(), Streams(7, 2).generator("arrivals", "retail"), START, 400
    )
    np.testing.assert_array_equal(times, plain)


def test_overdispersion_leaves_the_arrivals_stream_alone():
    """The multiplier comes from its own stream: the uniform placement within each day still
    draws from ('arrivals', segment), so two segments' noise and times stay independent."""
    run = RunControl(start_date=START, horizon_days=100)
    noisy = arrivals(overdispersion={"sd_log": 0.5, "autocorrelation": 0.3})
    a = segment_arrival_times(noisy, Streams(7, 0), "retail", run)
    b = segment_arrival_times(noisy, Streams(7, 0), "retail", run)
    other = segment_arrival_times(noisy, Streams(7, 0), "web", run)
    np.testing.assert_array_equal(a, b)
    assert a.size != other.size or not np.array_equal(a, other)


def test_drawn_rates_and_trends_spread_as_stated():
    """2000 replications' draws from ('parameters', segment): the sd of log(rate) and of the
    slope shift have relative standard errors 1/sqrt(4000) = 1.6 %, the correlation about
    (1 - r^2)/sqrt(2000) = 0.015; tolerances 6 % and 0.06."""
    spec = arrivals(uncertainty={"log_rate_sd": 0.08, "trend_sd": 0.05, "correlation": -0.7})
    draws = [
        drawn_parameters(spec, Streams(11, r).generator("parameters", "retail"))
        for r in range(2000)
    ]
    log_rates = np.log([d.rate_per_day / spec.rate_per_day for d in draws])
    shifts = np.array([d.trend_per_year - spec.trend_per_year for d in draws])
    later = np.array([d.trend_changes[0].trend_per_year for d in draws])
    assert log_rates.std() == pytest.approx(0.08, rel=0.06)
    assert shifts.std() == pytest.approx(0.05, rel=0.06)
    assert np.corrcoef(log_rates, shifts)[0, 1] == pytest.approx(-0.7, abs=0.06)
    np.testing.assert_allclose(later - (-0.05), shifts)  # every slope moves together
    assert abs(np.median(log_rates)) < 0.01


def test_parameter_uncertainty_on_changes_the_times_between_replications_only_by_the_draw():
    run = RunControl(start_date=START, horizon_days=200, parameter_uncertainty=True)
    spec = arrivals(uncertainty={"log_rate_sd": 0.2, "trend_sd": 0.0})
    counts = [segment_arrival_times(spec, Streams(5, r), "retail", run).size for r in range(200)]
    # mean orders 40 * 200 * ~1.0 = 8000; sd of the total from the rate draw 0.2 * 8000 = 1600,
    # from Poisson only ~90: the spread must be of the first size
    assert 1300 < np.std(counts) < 1900


def test_unseen_months_get_one_mean_one_lognormal_factor_per_replication():
    """4000 replications' factors for two unseen months, s = 0.4: every day of a month shares its
    factor (in each year it recurs), seen months keep 1, and the draws have mean 1 and sd of log
    0.4; standard errors sqrt(exp(0.16) - 1)/sqrt(4000) = 0.0065 and 0.4/sqrt(8000) = 0.0045,
    tolerances about four of them."""
    spec = arrivals(uncertainty={"log_rate_sd": 0.0, "unseen_months": [11, 2], "month_sd": 0.4})
    start, n = dt.date(2026, 10, 30), 500
    dates = [start + dt.timedelta(days=d) for d in range(n)]
    month = np.array([d.month for d in dates])
    draws = []
    for r in range(4000):
        factors = season_factors(spec, Streams(3, r).generator("season", "retail"), start, n)
        assert np.all(factors[(month != 11) & (month != 2)] == 1.0)
        for m in (11, 2):
            assert np.unique(factors[month == m]).size == 1  # two Novembers, one factor
        draws.append([factors[month == 11][0], factors[month == 2][0]])
    draws = np.array(draws)
    assert draws.mean() == pytest.approx(1.0, abs=0.026)
    assert np.log(draws).std() == pytest.approx(0.4, abs=0.018)
    assert abs(np.corrcoef(np.log(draws.T))[0, 1]) < 0.06  # independent months
    assert season_factors(arrivals(), np.random.default_rng(1), start, n) is None


def test_unseen_months_move_the_times_only_with_parameter_uncertainty_on():
    spec = arrivals(uncertainty={"log_rate_sd": 0.0, "unseen_months": [3], "month_sd": 1.0})
    run = RunControl(start_date=START, horizon_days=120, parameter_uncertainty=True)
    off = RunControl(start_date=START, horizon_days=120)
    plain = poisson_arrival_times(arrivals(), Streams(7, 2).generator("arrivals", "r"), START, 120)
    np.testing.assert_array_equal(segment_arrival_times(spec, Streams(7, 2), "r", off), plain)
    march = [
        np.sum((t >= 59) & (t < 90))
        for t in (segment_arrival_times(spec, Streams(7, r), "r", run) for r in range(60))
    ]
    # March's ~1240 orders times a factor with sd of log 1: far beyond Poisson's ~35
    assert np.std(march) > 400


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"overdispersion": {"sd_log": 0.3, "autocorrelation": 1.0}}, "less than 1"),
        ({"overdispersion": {"sd_log": 0.0}}, "greater than 0"),
        ({"overdispersion": {"sd_log": 0.3, "lag": 2}}, "Extra inputs"),
        ({"uncertainty": {"log_rate_sd": 0.1, "correlation": 1.5}}, "less than or equal to 1"),
        ({"uncertainty": {"log_rate_sd": -0.1}}, "greater than or equal to 0"),
        ({"uncertainty": {"log_rate_sd": 0.1, "unseen_months": [13]}}, "less than or equal"),
        ({"uncertainty": {"log_rate_sd": 0.1, "month_sd": -1}}, "greater than or equal to 0"),
    ],
)
def test_bad_refinements_are_rejected(extra, message):
    with pytest.raises(ValueError, match=message):
        arrivals(**extra)


def test_variants_share_the_noisy_and_uncertain_demand():
    """Common random numbers with both refinements on: a stock variant sees the same orders."""
    small = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"
    common = [
        "run.horizon_days=40",
        "run.parameter_uncertainty=true",
        "segments.shop.arrivals.overdispersion={sd_log: 0.5, autocorrelation: 0.5}",
        "segments.shop.arrivals.uncertainty={log_rate_sd: 0.3}",
    ]
    base = load(Scenario, small, common)
    variant = load(
        Scenario, small, [*common, "name=more", "inventory.default.policy.reorder_point_days=8"]
    )
    plain = load(Scenario, small, ["run.horizon_days=40", "name=plain"])
    kpis = run_variants(Variants("small", {"small": base, "more": variant, "plain": plain}), 4)
    frame = kpis.kpis()
    assert np.all(paired(frame, "small", "more", "orders") == 0)
    assert np.any(paired(frame, "small", "plain", "orders") != 0)


def test_the_shared_term_moves_every_segment_together():
    """400 replications of two segments with only a shared sd of 0.2 (and a sampling sd of
    0.05 each): the logs of their drawn rates correlate at 0.2**2 / (0.2**2 + 0.05**2) = 0.94
    (standard error about (1 - 0.94**2) / sqrt(400) = 0.006; tolerance 0.03), and each spreads
    with sd sqrt(0.05**2 + 0.2**2) = 0.206 (relative standard error 3.5 %; tolerance 12 %)."""
    spec = arrivals(uncertainty={"log_rate_sd": 0.05, "shared_sd": 0.2})
    pairs = []
    for r in range(400):
        streams = Streams(3, r)
        shared = shared_draw(streams)
        retail = drawn_parameters(spec, streams.generator("parameters", "retail"), shared)
        web = drawn_parameters(spec, streams.generator("parameters", "web"), shared)
        pairs.append((retail.rate_per_day, web.rate_per_day))
    logs = np.log(np.array(pairs) / spec.rate_per_day)
    assert np.corrcoef(logs.T)[0, 1] == pytest.approx(0.94, abs=0.03)
    assert logs.std(axis=0) == pytest.approx([0.206, 0.206], rel=0.12)
    # the model's path: each segment asks for the shared draw, and gets the same one
    streams = Streams(3, 0)
    assert shared_draw(streams) == shared_draw(streams)
    # without a shared sd the shared draw changes nothing
    plain = arrivals(uncertainty={"log_rate_sd": 0.05})
    rng = Streams(3, 0).generator("parameters", "retail")
    again = Streams(3, 0).generator("parameters", "retail")
    assert drawn_parameters(plain, rng, 1.7) == drawn_parameters(plain, again)


def test_slope_changes_after_the_history_are_drawn_as_stated():
    """2000 replications over a year after 2026-03-01 (306 days of the 365 from START): the
    number of changes is Poisson with mean 2 x 306 / 365 = 1.68 (its mean's standard error
    0.03, its variance's about 0.07; tolerances 0.1 and 0.25), the steps Laplace with mean
    absolute size 0.4 (standard error 0.4 / sqrt(3350) = 0.007; tolerance 0.03), every day in
    the span, and each slope the one before plus its step."""
    spec = arrivals(
        trend_per_year=0.1,
        trend_changes=[],
        uncertainty={
            "log_rate_sd": 0.0,
            "trend_change_rate": 2.0,
            "trend_change_scale": 0.4,
            "changes_from": dt.date(2026, 3, 1),
        },
    )
    counts, steps = [], []
    for r in range(2000):
        drawn = future_trend_changes(
            spec, Streams(5, r).generator("trend_changes", "retail"), START, 365
        )
        changes = drawn.trend_changes
        counts.append(len(changes))
        slopes = [0.1, *(change.trend_per_year for change in changes)]
        steps.extend(np.diff(slopes))
        assert all(dt.date(2026, 3, 1) <= c.date < dt.date(2027, 1, 1) for c in changes)
        PoissonArrivals.model_validate(drawn.model_dump())  # dates in order, one per day
    assert np.mean(counts) == pytest.approx(2.0 * 306 / 365, abs=0.1)
    assert np.var(counts) == pytest.approx(2.0 * 306 / 365, abs=0.25)
    assert np.mean(np.abs(steps)) == pytest.approx(0.4, abs=0.03)
    assert abs(np.mean(steps)) < 0.03


def test_slope_changes_come_after_the_stated_ones_and_not_without_a_rate():
    later = dt.date(2026, 6, 1)
    spec = arrivals(
        trend_changes=[{"date": later, "trend_per_year": -0.2}],
        uncertainty={"log_rate_sd": 0.0, "trend_change_rate": 20.0, "trend_change_scale": 0.5},
    )
    drawn = future_trend_changes(spec, Streams(1, 0).generator("trend_changes", "r"), START, 365)
    assert drawn.trend_changes[0].date == later and len(drawn.trend_changes) > 1
    assert all(c.date > later for c in drawn.trend_changes[1:])
    plain = arrivals(uncertainty={"log_rate_sd": 0.1, "trend_change_scale": 0.5})
    assert future_trend_changes(plain, np.random.default_rng(0), START, 365) is plain


def test_segments_drawn_through_one_replications_streams_share_the_term():
    """Two segments with only a shared sd (0.3) and no sampling sd: within each replication
    their arrival counts move together (a correlation near 1 over 200 replications; the Poisson
    noise of about 2,000 orders a segment is 2 % against the shared term's 30 %), where
    independent draws would correlate about 0 (tolerance: above 0.9)."""
    run = RunControl(start_date=START, horizon_days=50, parameter_uncertainty=True)
    spec = arrivals(uncertainty={"log_rate_sd": 0.0, "shared_sd": 0.3})
    counts = []
    for r in range(200):
        streams = Streams(9, r)
        counts.append(
            [segment_arrival_times(spec, streams, name, run).size for name in ("retail", "web")]
        )
    assert np.corrcoef(np.log(np.array(counts, dtype=float)).T)[0, 1] > 0.9
