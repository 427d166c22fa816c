"""The benchmarks' scaled baseline loads: generated catalogue files, scaled rates and staff."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.scenario.loader import load
from twin.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]


def _make_scenario():
    path = ROOT / "benchmarks" / "distributor" / "make_scenario.py"
    spec = importlib.util.spec_from_file_location("make_scenario", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_scaled_catalogue_scenario_loads_with_every_sku_ruled(tmp_path):
    make = _make_scenario()
    base = load(Scenario, ROOT / "scenarios" / "baseline.yaml")
    path = make.write_scenario(tmp_path, make.Scale(volume=2.0, skus=300, customers=600), "s")
    scenario = load(Scenario, path)
    assert len(scenario.products) == 300
    assert set(scenario.inventory.sku_rules()) == {p.sku for p in scenario.products}
    for name, segment in scenario.segments.items():
        rate = base.segments[name].arrivals.rate_per_day
        assert segment.arrivals.rate_per_day == pytest.approx(2.0 * rate)
    assert sum(s.customers for s in scenario.segments.values()) == pytest.approx(600, abs=2)
    roles = scenario.staffing.roles()
    assert [r.headcount for r in roles.values()] == [
        2 * r.headcount for r in base.staffing.roles().values()
    ]
    rules = pd.read_csv(tmp_path / "skus.csv")
    assert (rules["order_up_to"] > rules["reorder_point"]).all()
    # the same files on every call (fixed seed)
    again = tmp_path / "again"
    make.write_scenario(again, make.Scale(volume=2.0, skus=300, customers=600), "s")
    for name in ("products.csv", "mix.csv", "skus.csv"):
        assert (again / name).read_bytes() == (tmp_path / name).read_bytes()


def test_the_distributor_is_two_million_lines_a_year():
    make = _make_scenario()
    scale = make.distributor()
    base = load(Scenario, ROOT / "scenarios" / "baseline.yaml")
    lines_per_day = sum(
        s.arrivals.rate_per_day * s.lines_per_order.mean for s in base.segments.values()
    )
    assert 365 * lines_per_day * scale.volume == pytest.approx(2e6)
    assert (scale.skus, scale.customers) == (20_000, 3_000)
    assert np.isfinite(scale.volume)
