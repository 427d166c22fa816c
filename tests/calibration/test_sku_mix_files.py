"""A calibrated model writes a large catalogue's SKU mix beside it as a CSV file."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from twin.calibration.calibrate import Calibration
from twin.calibration.fit_report import FitReport
from twin.calibration.output import write_model
from twin.model.network import run_replication
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

MODEL = {
    "name": "m",
    "run": {"start_date": "2026-01-05", "horizon_days": 30.0, "seed": 2},
    "products": [
        {"sku": sku, "unit_cost": 1.0, "price": 2.0, "supplier": "s"} for sku in ("x", "y", "z")
    ],
    "suppliers": {"s": {"lead_time_days": 2.0}},
    "segments": {
        "big": {
            "arrivals": {"kind": "poisson", "rate_per_day": 5.0},
            "sku_mix": {"kind": "weights", "weights": {"x": 7, "y": 0, "z": 3}},
        },
        "small": {
            "arrivals": {"kind": "poisson", "rate_per_day": 2.0},
            "sku_mix": {"kind": "weights", "weights": {"x": 1}},
        },
    },
    "inventory": {"default": {"policy": {"kind": "base_stock", "level": 9}}},
}


def test_a_large_mix_goes_to_a_file_and_runs_as_the_map_did(tmp_path, monkeypatch):
    monkeypatch.setattr("twin.calibration.output.SKU_MIX_FILE_ENTRIES", 2)
    calibration = Calibration(model=MODEL, report=FitReport().frame())
    mapped = SimpleNamespace(rows_read={}, rows_written={}, provenance={})
    paths = write_model(tmp_path, calibration, mapped, str(tmp_path), "mapping.yaml")
    written = pd.read_csv(paths["sku_mix_big.csv"])
    assert written.to_dict("list") == {"sku": ["x", "y", "z"], "weight": [7, 0, 3]}
    assert "sku_mix_small.csv" not in paths  # one entry: stays a map
    model = load(Scenario, paths["model"])
    assert model.segments["big"].sku_mix.weights_file == str(tmp_path / "sku_mix_big.csv")
    assert model.segments["small"].sku_mix.weights == {"x": 1.0}
    inline = run_replication(Scenario.model_validate(MODEL), 0)
    from_file = run_replication(model, 0)
    for name, table in inline.tables.items():
        pd.testing.assert_frame_equal(table, from_file.tables[name], obj=name)
