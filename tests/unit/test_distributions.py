"""Tests of twin.distributions: sampled moments against analytic ones (and, for the sweep
parameter distributions, scipy.stats), validation, parsing."""

import math

import numpy as np
import pytest
import scipy.stats
from pydantic import BaseModel, TypeAdapter, ValidationError

from twin.distributions import (
    Constant,
    DistributionSpec,
    Empirical,
    Normal,
    ParameterDistribution,
    Uniform,
    parse_distribution,
)

N_DRAWS = 200_000

# One spec per kind (two for the truncated normal: heavily truncated and barely truncated).
# Shapes are moderate so the sample variance's standard error, estimated below, stays small.
SPECS = {
    "constant": {"dist": "constant", "value": 2.5},
    "uniform": {"dist": "uniform", "low": 2.0, "high": 5.0},
    "triangular": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0},
    "exponential": {"dist": "exponential", "mean": 3.0},
    "normal_truncated": {"dist": "normal", "mean": 1.0, "sd": 2.0},
    "normal_far_from_zero": {"dist": "normal", "mean": 10.0, "sd": 2.0},
    "lognormal": {"dist": "lognormal", "mean": 2.0, "sd": 1.0},
    "gamma": {"dist": "gamma", "shape": 2.0, "scale": 1.5},
    "weibull": {"dist": "weibull", "shape": 1.5, "scale": 2.0},
    "poisson": {"dist": "poisson", "mean": 3.5},
    "negative_binomial": {"dist": "negative_binomial", "mean": 5.0, "dispersion": 2.0},
    "discrete": {"dist": "discrete", "values": [1, 2, 5, 9], "probabilities": [0.2, 0.5, 0.3, 0.0]},
    "empirical": {"dist": "empirical", "values": [1.0, 2.0, 2.0, 7.0, 3.5]},
}


@pytest.mark.parametrize("kind", SPECS)
def test_sampled_moments_match_analytic(kind):
    dist = parse_distribution(SPECS[kind])
    rng = np.random.default_rng(20260105)
    x = dist.sample(rng, N_DRAWS)
    assert x.dtype == np.float64
    assert x.shape == (N_DRAWS,)

    mean_hat = x.mean()
    var_hat = x.var()
    # Mean: 5 standard errors, sqrt(var / n); a false alarm has probability below 1e-6.
    assert abs(mean_hat - dist.mean) <= 5 * math.sqrt(dist.variance / N_DRAWS)
    # Variance: the standard error of the sample variance is sqrt((m4 - var**2) / n), m4 the
    # fourth central moment, estimated from the draws so heavy-tailed kinds get a wider band
    # (0.3 % for the normal, 0.6 % for the exponential here). Five of them, as for the mean.
    m4_hat = np.mean((x - mean_hat) ** 4)
    assert abs(var_hat - dist.variance) <= 5 * math.sqrt(max(m4_hat - var_hat**2, 0.0) / N_DRAWS)
    assert x.min() >= dist.support_min


def test_moments_catch_numpy_loc_scale_mixup():
    # Uniform(low=2, high=5) sampled as numpy uniform(loc=2, scale=3) would have mean 2.5.
    dist = Uniform(low=2.0, high=5.0)
    x = dist.sample(np.random.default_rng(1), N_DRAWS)
    assert x.min() >= 2.0
    assert x.max() < 5.0
    assert dist.mean == 3.5


@pytest.mark.parametrize(("mu", "sd"), [(1.0, 2.0), (-3.0, 1.0), (10.0, 0.5), (0.0, 1.0)])
def test_truncated_normal_moments_agree_with_scipy(mu, sd):
    dist = Normal(mean=mu, sd=sd)
    reference = scipy.stats.truncnorm(a=-mu / sd, b=np.inf, loc=mu, scale=sd)
    assert dist.mean == pytest.approx(reference.mean(), rel=1e-9)
    assert dist.variance == pytest.approx(reference.var(), rel=1e-7)
    assert dist.mu == mu


def test_truncated_normal_draws_are_never_negative_even_far_in_the_tail():
    dist = Normal(mean=-4.0, sd=1.0)  # P(X > 0) = 3e-5, accepted
    x = dist.sample(np.random.default_rng(3), 10_000)
    assert np.all(x >= 0.0)
    assert np.all(np.isfinite(x))


def test_constant_does_not_touch_the_generator():
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    assert Constant(value=4.0).sample(rng, 5).tolist() == [4.0] * 5
    assert rng.bit_generator.state == before


def test_support_min():
    assert parse_distribution(SPECS["discrete"]).support_min == 1.0
    disc = {"dist": "discrete", "values": [0, 3, 4], "probabilities": [0.0, 0.5, 0.5]}
    assert parse_distribution(disc).support_min == 3.0  # a zero-probability value is never drawn
    assert parse_distribution(SPECS["uniform"]).support_min == 2.0
    assert parse_distribution(SPECS["exponential"]).support_min == 0.0
    assert parse_distribution(-1.5).support_min == -1.5


def test_discrete_never_draws_zero_probability_values():
    disc = {"dist": "discrete", "values": [0, 3, 4, 8], "probabilities": [0.0, 0.5, 0.5, 0.0]}
    x = parse_distribution(disc).sample(np.random.default_rng(2), 50_000)
    assert set(np.unique(x).tolist()) == {3.0, 4.0}


def test_bare_number_is_a_constant():
    assert parse_distribution(2.5) == Constant(value=2.5)
    assert parse_distribution(3) == Constant(value=3.0)

    class Holder(BaseModel):
        transit_days: DistributionSpec

    held = Holder.model_validate({"transit_days": 2})
    assert held.transit_days == Constant(value=2.0)
    gamma = Holder.model_validate({"transit_days": {"dist": "gamma", "shape": 2, "scale": 1}})
    assert gamma.transit_days.mean == 2.0


def test_instance_passes_through():
    dist = Uniform(low=0.0, high=1.0)
    assert parse_distribution(dist) is dist


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"dist": "uniform", "low": 3, "high": 1}, r"high must be > low \(3\), got 1"),
        ({"dist": "uniform", "low": 3, "high": 3}, r"high must be > low"),
        ({"dist": "triangular", "low": 1, "mode": 0, "high": 3}, r"mode must be >= low"),
        ({"dist": "triangular", "low": 1, "mode": 4, "high": 3}, r"high must be >= mode"),
        ({"dist": "triangular", "low": 1, "mode": 1, "high": 1}, r"high must be > low"),
        ({"dist": "exponential", "mean": 0}, r"mean must be > 0, got 0"),
        ({"dist": "normal", "mean": 1, "sd": -1}, r"sd must be > 0, got -1"),
        ({"dist": "normal", "mean": -5, "sd": 1}, r"needs P\(X > 0\) >= 1e-06"),
        ({"dist": "lognormal", "mean": 1, "sd": 0}, r"sd must be > 0"),
        ({"dist": "lognormal", "mean": -1, "sd": 1}, r"mean must be > 0"),
        ({"dist": "gamma", "shape": -2, "scale": 1}, r"shape must be > 0, got -2"),
        ({"dist": "gamma", "shape": 2, "scale": 0}, r"scale must be > 0"),
        ({"dist": "weibull", "shape": 0, "scale": 1}, r"shape must be > 0"),
        ({"dist": "poisson", "mean": -0.5}, r"mean must be > 0, got -0.5"),
        ({"dist": "negative_binomial", "mean": 2, "dispersion": 0}, r"dispersion must be > 0"),
        ({"dist": "discrete", "values": [], "probabilities": []}, r"at least 1 item"),
        ({"dist": "discrete", "values": [1, 2], "probabilities": [1.0]}, r"one entry per value"),
        ({"dist": "discrete", "values": [1, 2], "probabilities": [1.2, -0.2]}, r"must be >= 0"),
        ({"dist": "discrete", "values": [1, 2], "probabilities": [0.5, 0.4]}, r"sum to 1, got 0.9"),
        ({"dist": "empirical"}, r"exactly one of"),
        ({"dist": "empirical", "values": [1.0], "file": "x.csv"}, r"exactly one of"),
        ({"dist": "empirical", "values": []}, r"non-empty"),
        ({"dist": "empirical", "column": "x"}, r"needs both file and column"),
        ({"dist": "gamma", "shape": True, "scale": 1}, r"got the boolean True"),
        ({"dist": "gamma", "shape": 2}, r"scale\n.*Field required"),
        ({"dist": "gama", "shape": 2, "scale": 1}, r"does not match any of the expected tags"),
        ({"shape": 2, "scale": 1}, r"Unable to extract tag using discriminator 'dist'"),
    ],
)
def test_invalid_parameters_are_rejected(data, match):
    with pytest.raises(ValidationError, match=match):
        parse_distribution(data)


def test_error_is_reported_on_the_field():
    with pytest.raises(ValidationError) as info:
        parse_distribution({"dist": "normal", "mean": 1, "sd": -1})
    assert info.value.errors()[0]["loc"] == ("normal", "sd")


def test_unknown_key_is_rejected():
    with pytest.raises(ValidationError, match=r"sigma\n.*Extra inputs are not permitted"):
        parse_distribution({"dist": "normal", "mean": 1, "sd": 1, "sigma": 1})
    # The normal's parameter is stored as `mu`, but only the scenario key `mean` is accepted.
    with pytest.raises(ValidationError, match=r"Extra inputs are not permitted"):
        parse_distribution({"dist": "normal", "mu": 1, "sd": 1})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_rejected(bad):
    with pytest.raises(ValidationError, match="finite number"):
        parse_distribution({"dist": "exponential", "mean": bad})
    with pytest.raises(ValidationError, match="finite number"):
        parse_distribution(bad)
    with pytest.raises(ValidationError, match="finite number"):
        parse_distribution({"dist": "empirical", "values": [1.0, bad]})


def test_distributions_are_frozen():
    dist = Uniform(low=0.0, high=1.0)
    with pytest.raises(ValidationError, match="frozen"):
        dist.low = 0.5


@pytest.mark.parametrize("kind", SPECS)
def test_dump_round_trips(kind):
    dist = parse_distribution(SPECS[kind])
    dumped = dist.model_dump()
    assert dumped.keys() == SPECS[kind].keys()
    assert parse_distribution(dumped) == dist
    assert parse_distribution(dist.model_dump(mode="json")) == dist


def test_empirical_from_csv(tmp_path):
    path = tmp_path / "lead_times.csv"
    path.write_text("order,lead_time_days\nA,1.5\nB,2\nC,4.5\n")
    dist = parse_distribution({"dist": "empirical", "file": str(path), "column": "lead_time_days"})
    assert dist.data.tolist() == [1.5, 2.0, 4.5]
    assert dist.mean == pytest.approx(8.0 / 3.0)
    assert dist.variance == pytest.approx(np.var([1.5, 2.0, 4.5]))
    assert dist.support_min == 1.5
    x = dist.sample(np.random.default_rng(0), 1000)
    assert set(x.tolist()) == {1.5, 2.0, 4.5}
    # The dump gives back the file form, not the data.
    assert dist.model_dump() == {"dist": "empirical", "file": path, "column": "lead_time_days"}
    assert parse_distribution(dist.model_dump(mode="json")) == dist
    with pytest.raises(ValueError, match="read-only"):
        dist.data[0] = 9.0


def test_empirical_relative_file_resolved_against_base_dir(tmp_path):
    (tmp_path / "d.csv").write_text("x\n3\n4\n")
    spec = {"dist": "empirical", "file": "d.csv", "column": "x"}
    dist = parse_distribution(spec, base_dir=tmp_path)
    assert dist.data.tolist() == [3.0, 4.0]
    assert dist.model_dump()["file"].as_posix() == "d.csv"


@pytest.mark.parametrize(
    ("content", "column", "match"),
    [
        ("x,y\n1,2\n3,4\n", "z", r"bad\.csv' has no column 'z'; columns are \['x', 'y'\]"),
        ("x\n1\n2\nabc\n4\n", "x", r"bad\.csv', column 'x': row 3 \(file line 4\) is 'abc'"),
        ("x,y\n1,2\n,4\n", "x", r"column 'x': row 2 \(file line 3\) is empty"),
        ("x\n1\ninf\n", "x", r"row 2 \(file line 3\) is 'inf', expected a finite number"),
        ("x\n", "x", r"column 'x' has no rows"),
        ("x\n1\nnan\n", "x", r"row 2 \(file line 3\) is 'nan'"),
    ],
)
def test_empirical_bad_csv(tmp_path, content, column, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValidationError, match=match):
        parse_distribution({"dist": "empirical", "file": str(path), "column": column})


def test_empirical_missing_file(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(ValidationError, match=r"cannot read empirical data file .*nowhere\.csv"):
        parse_distribution({"dist": "empirical", "file": str(missing), "column": "x"})


def test_empirical_instances_compare_by_data():
    assert Empirical(values=[1.0, 2.0]) == Empirical(values=[1.0, 2.0])
    assert Empirical(values=[1.0, 2.0]) != Empirical(values=[1.0, 3.0])


def test_empirical_list_kept_apart_from_the_caller_and_read_only():
    """The values of a list are made an array on first use (so validation needs no numpy);
    the array is the list as given then, not as the caller changed it since."""
    values = [4.0, -0.5, 2.0]
    dist = Empirical(values=values)
    assert dist.support_min == -0.5  # the list form, before any array
    values[1] = 100.0
    assert dist.data.tolist() == [4.0, -0.5, 2.0]
    assert dist.support_min == -0.5  # the array form
    with pytest.raises(ValueError, match="read-only"):
        dist.data[0] = 9.0


def test_sample_size_zero_and_bad_size():
    dist = parse_distribution(SPECS["gamma"])
    assert dist.sample(np.random.default_rng(0), 0).shape == (0,)
    with pytest.raises(ValueError, match="size must be an integer >= 0"):
        dist.sample(np.random.default_rng(0), -1)


# --- sweep parameter distributions ---------------------------------------------------------------

PARAMETERS = TypeAdapter(ParameterDistribution)

# One spec per kind of a sweep parameter's ``dist``, with the scipy.stats distribution it equals.
PARAMETER_SPECS = {
    "uniform": (
        {"kind": "uniform", "low": 2.0, "high": 5.0},
        scipy.stats.uniform(loc=2.0, scale=3.0),
    ),
    "loguniform": (
        {"kind": "loguniform", "low": 0.5, "high": 20.0},
        scipy.stats.loguniform(0.5, 20.0),
    ),
    "triangular": (
        {"kind": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0},
        scipy.stats.triang(c=0.2, loc=1.0, scale=5.0),
    ),
    "normal": (
        {"kind": "normal", "mean": -3.0, "sd": 2.0},
        scipy.stats.norm(loc=-3.0, scale=2.0),
    ),
    "truncated_normal": (
        {"kind": "truncated_normal", "mean": 1.0, "sd": 2.0, "low": 0.0, "high": 7.0},
        scipy.stats.truncnorm(-0.5, 3.0, loc=1.0, scale=2.0),
    ),
    "truncated_normal_one_tail": (
        {"kind": "truncated_normal", "mean": 10.0, "sd": 3.0, "low": 11.0, "high": 1e6},
        scipy.stats.truncnorm(1.0 / 3.0, (1e6 - 10.0) / 3.0, loc=10.0, scale=3.0),
    ),
    "lognormal": (
        {"kind": "lognormal", "mean": 10.0, "sd": 3.0},
        scipy.stats.lognorm(
            math.sqrt(math.log1p(0.09)), scale=math.exp(math.log(10.0) - math.log1p(0.09) / 2)
        ),
    ),
}


@pytest.mark.parametrize("kind", PARAMETER_SPECS)
def test_parameter_distribution_moments_and_quantiles_match_scipy(kind):
    spec, reference = PARAMETER_SPECS[kind]
    dist = PARAMETERS.validate_python(spec)
    # Closed forms against scipy's (numerical where scipy integrates): 1e-9 relative.
    assert dist.mean == pytest.approx(reference.mean(), rel=1e-9)
    assert dist.variance == pytest.approx(reference.var(), rel=1e-9)
    assert dist.support_min == pytest.approx(reference.support()[0])
    u = np.linspace(0.0, 1.0, 101)[1:-1]
    np.testing.assert_allclose(dist.ppf(u), reference.ppf(u), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", PARAMETER_SPECS)
def test_parameter_distribution_sampled_moments_match_analytic(kind):
    dist = PARAMETERS.validate_python(PARAMETER_SPECS[kind][0])
    x = dist.sample(np.random.default_rng(20260105), N_DRAWS)
    mean_hat, var_hat = x.mean(), x.var()
    # As for the scenario's distributions: 5 standard errors of the mean and of the variance.
    assert abs(mean_hat - dist.mean) <= 5 * math.sqrt(dist.variance / N_DRAWS)
    m4_hat = np.mean((x - mean_hat) ** 4)
    assert abs(var_hat - dist.variance) <= 5 * math.sqrt(max(m4_hat - var_hat**2, 0.0) / N_DRAWS)
    assert x.min() >= dist.support_min


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "uniform", "low": 3, "high": 1}, r"low must be below high \(got low 3, high 1\)"),
        ({"kind": "loguniform", "low": 0, "high": 1}, "greater than 0"),
        ({"kind": "triangular", "low": 1, "mode": 5, "high": 3}, "needs low <= mode <= high"),
        ({"kind": "triangular", "low": 2, "mode": 2, "high": 2}, "low must be below high"),
        ({"kind": "normal", "mean": 1, "sd": 0}, "greater than 0"),
        ({"kind": "lognormal", "mean": -1, "sd": 1}, "greater than 0"),
        (
            {"kind": "truncated_normal", "mean": 0, "sd": 1, "low": 50, "high": 60},
            r"P\(low < X < high\) >= 1e-06",
        ),
    ],
)
def test_parameter_distributions_check_their_parameters(spec, message):
    with pytest.raises(ValidationError, match=message):
        PARAMETERS.validate_python(spec)


def test_truncated_normal_keeps_its_parameter_apart_from_its_mean():
    # SALib's truncnorm takes the parameter mu; the property mean is the truncated mean.
    dist = PARAMETERS.validate_python(
        {"kind": "truncated_normal", "mean": 1.0, "sd": 2.0, "low": 0.0, "high": 7.0}
    )
    assert dist.mu == 1.0
    assert dist.mean > 1.0
    assert dist.model_dump() == {
        "kind": "truncated_normal",
        "mean": 1.0,
        "sd": 2.0,
        "low": 0.0,
        "high": 7.0,
    }
