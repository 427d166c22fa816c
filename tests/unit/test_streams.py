"""Tests of twin.streams: determinism, independence, stable keys, block-size independence."""

import numpy as np
import pytest

from twin.distributions import Constant, parse_distribution
from twin.streams import (
    FIRST_BLOCK,
    STREAM_IDS,
    ChoiceSampler,
    Sampler,
    Streams,
    UniformSampler,
    name_key,
)

# One spec per kind; test files are not a package here, so not shared with test_distributions.
SPECS = {
    "constant": 2.5,
    "uniform": {"dist": "uniform", "low": 2.0, "high": 5.0},
    "triangular": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 6.0},
    "exponential": {"dist": "exponential", "mean": 3.0},
    "normal": {"dist": "normal", "mean": 1.0, "sd": 2.0},
    "lognormal": {"dist": "lognormal", "mean": 2.0, "sd": 1.0},
    "gamma_small_shape": {"dist": "gamma", "shape": 0.4, "scale": 1.5},
    "gamma": {"dist": "gamma", "shape": 2.0, "scale": 1.5},
    "weibull": {"dist": "weibull", "shape": 1.5, "scale": 2.0},
    "poisson_small": {"dist": "poisson", "mean": 3.5},
    "poisson": {"dist": "poisson", "mean": 40.0},
    "negative_binomial": {"dist": "negative_binomial", "mean": 5.0, "dispersion": 2.0},
    "discrete": {"dist": "discrete", "values": [1, 2, 5], "probabilities": [0.2, 0.5, 0.3]},
    "empirical": {"dist": "empirical", "values": [1.0, 2.0, 2.0, 7.0, 3.5]},
}


def draws(streams: Streams, purpose: str, name: str = "", n: int = 20) -> list[float]:
    return streams.generator(purpose, name).random(n).tolist()


def test_stream_ids_are_the_registered_append_only_list():
    first_ids = {
        "arrivals": 1,
        "lines_per_order": 2,
        "sku_choice": 3,
        "quantity": 4,
        "customer_choice": 5,
        "transit": 6,
        "payment_delay": 7,
        "payment_default": 8,
        "lead_time": 9,
        "desk_service": 10,
        "pick_service": 11,
        "pick_service_line": 12,
        "replay": 13,
    }
    # Later purposes may be appended, but these ids never change.
    assert {k: v for k, v in STREAM_IDS.items() if v <= 13} == first_ids
    assert list(STREAM_IDS)[:13] == list(first_ids)
    assert len(set(STREAM_IDS.values())) == len(STREAM_IDS)


def test_name_key_is_stable():
    # Literals computed once; a change of hashing would silently change every named stream.
    assert name_key("") == 3836125271
    assert name_key("customers.retail") == 287763395
    assert name_key("é") == 3407527819


def test_generator_follows_its_definition():
    sequence = np.random.SeedSequence(2026, spawn_key=(3, 1, name_key("retail")))
    expected = np.random.Generator(np.random.PCG64(sequence)).random(10).tolist()
    assert draws(Streams(2026, 3), "arrivals", "retail", 10) == expected


def test_same_inputs_give_the_same_sequence_in_separate_objects():
    a, b = Streams(7, 2), Streams(7, 2)
    # Asking in a different order, with other streams in between, changes nothing.
    b.generator("lead_time", "sku1").random(5)
    assert draws(a, "arrivals", "retail") == draws(b, "arrivals", "retail")
    assert draws(a, "lead_time") == draws(b, "lead_time")


@pytest.mark.parametrize(
    "other",
    [
        (8, 2, "arrivals", "retail"),  # seed
        (7, 3, "arrivals", "retail"),  # replication
        (7, 2, "transit", "retail"),  # purpose
        (7, 2, "arrivals", "wholesale"),  # name
        (7, 2, "arrivals", ""),  # default name
    ],
)
def test_any_difference_gives_a_different_sequence(other):
    seed, replication, purpose, name = other
    reference = draws(Streams(7, 2), "arrivals", "retail")
    assert draws(Streams(seed, replication), purpose, name) != reference


def test_generator_is_cached():
    streams = Streams(1, 0)
    assert streams.generator("arrivals", "a") is streams.generator("arrivals", "a")
    assert streams.generator("arrivals", "a") is not streams.generator("arrivals", "b")


def test_unknown_purpose():
    with pytest.raises(KeyError, match=r"unknown stream purpose 'arrival'; register it"):
        Streams(1, 0).generator("arrival")


@pytest.mark.parametrize(("seed", "replication"), [(-1, 0), (1, -1), (1.5, 0), (True, 0)])
def test_bad_seed_or_replication(seed, replication):
    with pytest.raises(ValueError, match="must be an integer >= 0"):
        Streams(seed, replication)


@pytest.mark.parametrize("kind", SPECS)
def test_block_size_does_not_change_the_sequence(kind):
    dist = parse_distribution(SPECS[kind])
    reference = Sampler(dist, np.random.default_rng(11), block=1024).take(2100)
    for block in (1, 7, 50):
        sampler = Sampler(dist, np.random.default_rng(11), block=block)
        assert [sampler.next() for _ in range(2100)] == reference


@pytest.mark.parametrize("kind", ["gamma", "empirical", "poisson"])
def test_take_equals_repeated_next(kind):
    dist = parse_distribution(SPECS[kind])
    by_next = Sampler(dist, np.random.default_rng(4), block=7)
    by_take = Sampler(dist, np.random.default_rng(4), block=7)
    expected = [by_next.next() for _ in range(60)]
    got = by_take.take(3) + by_take.take(0) + by_take.take(4) + by_take.take(53)
    assert got == expected
    assert by_take.next() == by_next.next()


def test_sampler_values_are_the_distribution_draws():
    dist = parse_distribution(SPECS["lognormal"])
    expected = dist.sample(np.random.default_rng(5), 30).tolist()
    assert Sampler(dist, np.random.default_rng(5), block=30).take(30) == expected
    assert all(type(v) is float for v in expected)


def test_constant_sampler_does_not_touch_the_generator():
    rng = np.random.default_rng(9)
    before = rng.bit_generator.state
    sampler = Sampler(Constant(value=2.0), rng, block=3)
    assert sampler.take(10) == [2.0] * 10
    assert sampler.next() == 2.0
    assert rng.bit_generator.state == before


def test_choice_sampler_frequencies_and_block_independence():
    p = [0.1, 0.0, 0.6, 0.3]
    sampler = ChoiceSampler(p, np.random.default_rng(8))
    drawn = np.array([sampler.next() for _ in range(100_000)])
    counts = np.bincount(drawn, minlength=4) / drawn.size
    assert counts[1] == 0.0
    # 5 binomial standard errors, sqrt(p (1 - p) / n) <= 0.0016.
    assert np.allclose(counts, p, atol=5 * 0.0016)
    small = ChoiceSampler(p, np.random.default_rng(8), block=5)
    assert [small.next() for _ in range(100)] == drawn[:100].tolist()
    assert all(type(i) is int for i in drawn[:5].tolist())


@pytest.mark.parametrize(
    ("p", "match"),
    [
        ([], "non-empty"),
        ([0.5, -0.1, 0.6], "finite and >= 0"),
        ([0.5, float("nan")], "finite and >= 0"),
        ([0.5, 0.4], "sum to 1, got 0.9"),
    ],
)
def test_choice_sampler_rejects_bad_probabilities(p, match):
    with pytest.raises(ValueError, match=match):
        ChoiceSampler(p, np.random.default_rng(0))


def test_uniform_sampler():
    sampler = UniformSampler(np.random.default_rng(3), block=7)
    values = [sampler.next() for _ in range(50)]
    assert values == np.random.default_rng(3).random(50).tolist()
    assert all(0.0 <= v < 1.0 for v in values)


@pytest.mark.parametrize("block", [0, -3, 2.5])
def test_bad_block(block):
    with pytest.raises(ValueError, match="block must be an integer >= 1"):
        Sampler(Constant(value=1.0), np.random.default_rng(0), block=block)
    with pytest.raises(ValueError, match="block must be an integer >= 1"):
        UniformSampler(np.random.default_rng(0), block=block)


def test_refills_start_small_and_grow_to_the_block():
    # a stream drawn a few times holds FIRST_BLOCK values, not a block; the refills then double
    # up to the block, and the sequence is the one a single big draw gives
    dist = parse_distribution({"dist": "exponential", "mean": 2.0})
    sampler = Sampler(dist, np.random.default_rng(21), block=64)
    sampler.next()
    assert len(sampler._buffer) == FIRST_BLOCK - 1
    values = [sampler.next() for _ in range(500)]
    expected = dist.sample(np.random.default_rng(21), 501).tolist()[1:]
    assert values == expected
    assert len(sampler._buffer) < 64
    uniforms = UniformSampler(np.random.default_rng(5), block=64)
    uniforms.next()
    assert len(uniforms._buffer) == FIRST_BLOCK - 1
