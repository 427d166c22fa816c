"""Per-SKU measures of a replication: they add up to the run's own KPIs."""

from __future__ import annotations

import numpy as np
import pytest

from twin.experiments.recommend_stock_measure import sku_measures, window_means_by_key
from twin.kpis import compute_kpis
from twin.levels import window_mean
from twin.model.network import run_replication


def test_window_means_by_key_match_one_series_at_a_time() -> None:
    rng = np.random.default_rng(5)
    times = np.sort(rng.uniform(0.0, 50.0, 400))
    keys = rng.integers(0, 4, 400)
    keys[keys == 3] = 2  # key 3 never changes: its initial level throughout
    deltas = rng.integers(-3, 4, 400).astype(float)
    initial = np.array([5.0, 0.0, 12.0, 7.0])
    got = window_means_by_key(times, keys, deltas, initial, 10.0, 45.0)
    for key in range(4):
        mine = keys == key
        expected = window_mean(times[mine], deltas[mine], initial[key], 10.0, 45.0)
        assert got[key] == pytest.approx(expected)


def test_sku_measures_add_up_to_the_run_kpis(tiny) -> None:
    scenario = tiny(
        {
            "run": {"horizon_days": 120.0, "warmup_days": 20.0},
            "products": [
                {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
                {"sku": "B", "unit_cost": 5.0, "price": 8.0, "supplier": "acme"},
            ],
            "suppliers": {"acme": {"lead_time_days": {"dist": "gamma", "shape": 4, "scale": 1}}},
            "segments": {
                "shop": {
                    "arrivals": {"kind": "poisson", "rate_per_day": 8.0},
                    "lines_per_order": 2,
                    "sku_mix": {"kind": "weights", "weights": {"A": 3, "B": 1}},
                    "quantity": {"dist": "poisson", "mean": 2.0},
                }
            },
            "inventory": {"default": {"policy": {"kind": "base_stock", "level": 110}}},
            "costs": {
                "holding": {"annual_rate": 0.3},
                "ordering": {"per_order": 20.0, "per_unit": 0.1},
                "backorder": {"per_unit": 2.0, "per_unit_day": 0.5},
            },
        }
    )
    result = run_replication(scenario, 0)
    kpis = compute_kpis(result, scenario.costs)
    skus = sku_measures(result, scenario.costs)
    # tiny has no order handling and no staff: an order is allocated when it arrives and its
    # stock leaves at once, so the per-SKU sums equal the run's KPIs exactly
    assert 0.5 < kpis["fill_rate"] < 1.0  # the test sees shortages
    total = skus.sum()
    assert total["filled_units"] / total["demand_units"] == pytest.approx(kpis["fill_rate"])
    assert total["ordering_cost"] == pytest.approx(kpis["ordering_cost"])
    assert total["backorder_cost"] == pytest.approx(kpis["backorder_cost"])
    assert total["inventory_value"] == pytest.approx(kpis["inventory_value_mean"])
    assert total["holding_cost"] == pytest.approx(kpis["holding_cost"])
    assert skus["fill_rate"].between(0.0, 1.0).all()
