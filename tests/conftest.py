"""Shared fixtures: scenarios built from plain dicts or loaded from ``scenarios/``.

``tiny`` builds the smallest useful scenario (one SKU, one customer, replayed orders, constant
distributions, no staff) with a patch deep-merged over it, so each trace test shows only what it
changes. Merging follows the loader's ``extends`` rule (mappings merge key by key, anything else
replaces), except that a mapping of another ``kind`` or ``dist`` (a min-max policy over a base
stock one) replaces the base's mapping whole.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from twin.scenario.loader import load
from twin.scenario.schema import Scenario

# shared check modules beside the tests: their asserts explain failures like the tests' own
pytest.register_assert_rewrite("conservation")

# Property tests draw their examples from a fixed seed, so every run checks the same cases.
settings.register_profile("twin", derandomize=True, print_blob=True)
settings.load_profile("twin")

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"

#: The base of every trace test. Day 0 is Monday 2026-01-05, so day d is the d-th day after it
#: and ``d + 0.5`` is noon. Orders are for 2 units of A (price 15, so worth 30) from customer 0.
TINY: dict[str, Any] = {
    "name": "tiny",
    "run": {"start_date": "2026-01-05", "horizon_days": 30.0, "replications": 1, "seed": 1},
    "products": [{"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"}],
    "suppliers": {"acme": {"lead_time_days": 3.0}},
    "segments": {
        "shop": {
            "customers": 1,
            "arrivals": {"kind": "replay", "times": ["2026-01-05T12:00"]},
            "lines_per_order": 1,
            "quantity": 2,
            "payment": {
                "terms_days": 30.0,
                "delay_days": 10.0,
                "default_probability": 0.0,
                "write_off_after_days": 60.0,
            },
            "promised_lead_time_days": 5.0,
            "transit_days": 2.0,
        }
    },
    "inventory": {
        "default": {
            "policy": {"kind": "base_stock", "level": 5},
            "review": {"kind": "continuous"},
            "shortage": "backorder",
        }
    },
    "fulfilment": {"mode": "ship_partial"},
}


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``patch`` over a copy of ``base``: mappings of the same kind merge key by key, other
    values replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in patch.items():
        old = merged.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping) and _same_kind(old, value):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def scenario_from_dict(data: Mapping[str, Any], patch: Mapping[str, Any] | None = None) -> Scenario:
    """Validate ``data`` (with ``patch`` deep-merged over it) into a :class:`Scenario`."""
    return Scenario.model_validate(deep_merge(data, patch or {}))


def _same_kind(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return all(new.get(tag, old.get(tag)) == old.get(tag) for tag in ("kind", "dist"))


@pytest.fixture(scope="session")
def build_scenario() -> Callable[..., Scenario]:
    """``build_scenario(data, patch=None)``: a Scenario from a plain dict."""
    return scenario_from_dict


@pytest.fixture(scope="session")
def tiny() -> Callable[..., Scenario]:
    """``tiny(*patches)``: the :data:`TINY` scenario with each patch merged over it in turn."""

    def make(*patches: Mapping[str, Any]) -> Scenario:
        data: dict[str, Any] = TINY
        for patch in patches:
            data = deep_merge(data, patch)
        return Scenario.model_validate(data)

    return make


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture(scope="session")
def load_scenario() -> Callable[..., Scenario]:
    """``load_scenario("tests/tiny.yaml", "run.horizon_days=20", ...)``: a file in ``scenarios/``
    through the loader, with ``--set`` style overrides."""
    return lambda relative, *overrides: load(Scenario, SCENARIOS / relative, overrides)
