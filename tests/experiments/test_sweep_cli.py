"""`twin sweep` end to end on the small CLI fixture: files written, bad input exits 2."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.tables import SENSITIVITY_COLUMNS as COLUMNS

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"

OAT = """\
name: tiny-oat
description: Two levers of the small fixture, one at a time.
base: {base}
set: {{run.horizon_days: 30}}
replications: 1
kpis: [profit, fill_rate, lead_time_p95_days]
parameters:
  - path: inventory.default.policy.reorder_point_days
    label: reorder point (days)
    levels: [3, 9]
  - path: staffing.warehouse.headcount
    levels: [2, 3]
design: {{kind: oat}}
"""


def write(folder: Path, text: str) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(textwrap.dedent(text).format(base=SMALL), encoding="utf-8")
    return path


def sweep(*args: str) -> object:
    return CliRunner().invoke(cli, ["sweep", *args, "--workers", "1", "--quiet"])


def test_an_oat_sweep_writes_results_indices_charts_and_the_pdf(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = sweep(str(write(tmp_path, OAT)), "--out", str(out))
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "results.csv", keep_default_na=False)
    # 1 base point + 2 parameters x 2 levels, 1 replication each
    assert len(results) == 5 * 1
    assert list(results.columns[:5]) == [
        "point",
        "replication",
        "seed",
        "inventory.default.policy.reorder_point_days",
        "staffing.warehouse.headcount",
    ]
    assert {"profit", "fill_rate", "orders", "utilisation_warehouse"} <= set(results.columns)
    assert (results["error"] == "").all()
    sensitivity = pd.read_csv(out / "sensitivity.csv")
    assert list(sensitivity.columns) == list(COLUMNS)
    assert set(sensitivity["index"]) == {"low", "high", "swing"}
    assert len(sensitivity) == 3 * 2 * 3  # KPIs x parameters x indices
    assert len(pd.read_csv(out / "design.csv")) == 5
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["points"] == 5 and manifest["design"] == {"kind": "oat"}
    for name in ("tornado_profit.png", "scatter_fill_rate.png", "sweep.pdf"):
        assert (out / name).stat().st_size > 1000, name
    assert (out / "sweep.pdf").read_bytes().startswith(b"%PDF")


def test_running_again_gives_identical_results(tmp_path: Path) -> None:
    path = write(tmp_path, OAT)
    first, second = tmp_path / "a", tmp_path / "b"
    assert sweep(str(path), "--out", str(first), "--no-report").exit_code == 0
    assert sweep(str(path), "--out", str(second), "--no-report").exit_code == 0
    for name in ("results.csv", "sensitivity.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


@pytest.mark.slow
def test_a_grid_over_two_parameters_draws_a_heat_map(tmp_path: Path) -> None:
    text = OAT.replace("{{kind: oat}}", "{{kind: grid}}").replace(
        "replications: 1", "replications: 2"
    )
    out = tmp_path / "out"
    result = sweep(str(write(tmp_path, text)), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "results.csv")) == 2 * 2 * 2
    assert (out / "heatmap_profit.png").is_file() and (out / "ranking_profit.png").is_file()


def test_a_morris_sweep_through_the_cli(tmp_path: Path) -> None:
    text = (
        OAT.replace("levels: [3, 9]", "low: 3\n    high: 9")
        .replace("levels: [2, 3]", "low: 1\n    high: 3")
        .replace("{{kind: oat}}", "{{kind: morris, trajectories: 3, levels: 4, seed: 1}}")
    )
    out = tmp_path / "out"
    result = sweep(str(write(tmp_path, text)), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "results.csv")) == 3 * 3
    sensitivity = pd.read_csv(out / "sensitivity.csv")
    assert set(sensitivity["index"]) == {"mu_star", "mu", "sigma"}
    assert (out / "ranking_fill_rate.png").is_file()


BAD = [
    pytest.param(
        OAT.replace("staffing.warehouse.headcount", "staffing.warehous.headcount"),
        "parameters.1.path: 'staffing.warehous.headcount' is not a key path",
        id="unknown-path",
    ),
    pytest.param(
        OAT.replace("levels: [3, 9]", "low: 9\n    high: 3"),
        "parameters.0.low: the range is empty",
        id="empty-range",
    ),
    pytest.param(
        OAT.replace("{{kind: oat}}", "{{kind: sobol, samples: 64, seed: 1}}"),
        "parameters.0: a sobol design samples a dist, or uniformly between low and high",
        id="parameter-does-not-fit-the-design",
    ),
    pytest.param(
        OAT.replace("levels: [3, 9]", "low: 3\n    high: 9")
        .replace("levels: [2, 3]", "low: 1\n    high: 3")
        .replace("{{kind: oat}}", "{{kind: sobol, samples: 48, seed: 1}}"),
        "design.samples: a sobol design needs a power of 2",
        id="samples-do-not-fit-sobol",
    ),
    pytest.param(
        OAT.split("  - path: staffing")[0] + "design: {{kind: morris, trajectories: 4, seed: 1}}\n",
        "needs at least 2 parameters (got 1)",
        id="too-few-parameters",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_sweep_input_exits_2_with_a_message(tmp_path: Path, text: str, message: str) -> None:
    out = tmp_path / "out"
    result = sweep(str(write(tmp_path, text)), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()  # nothing ran


def test_a_missing_sweep_file_exits_2(tmp_path: Path) -> None:
    result = sweep(str(tmp_path / "nothing.yaml"))
    assert result.exit_code == 2
    assert "file not found" in result.output
