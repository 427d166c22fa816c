"""The sweep file: what loads, what is rejected, and that messages name the key to fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from twin.errors import InputError
from twin.experiments.designs import design_points
from twin.experiments.replicate import run_one
from twin.experiments.sweep import point_scenario
from twin.kpis import kpi_units
from twin.scenario.sweep import is_sweep_file, load_sweep

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"
SWEEPS = sorted((REPO / "scenarios" / "sweeps").glob("*.yaml"))

GOOD = """\
name: small-sweep
base: {base}
set: {{run.horizon_days: 20}}
replications: 2
kpis: [profit, fill_rate]
parameters:
  - path: inventory.default.policy.reorder_point_days
    levels: [4, 8]
  - path: staffing.warehouse.headcount
    low: 1
    high: 3
design: {{kind: oat}}
"""


def write(folder: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).format(base=SMALL), encoding="utf-8")
    return path


def test_a_good_sweep_loads_with_its_base_and_set_applied(tmp_path: Path) -> None:
    spec = load_sweep(write(tmp_path, GOOD))
    assert spec.name == "small-sweep"
    assert spec.base_scenario.run.horizon_days == 20
    assert spec.replications == 2
    assert spec.base_value("staffing.warehouse.headcount") == 1
    # a headcount is a whole number (its values are rounded); a reorder point in days is not,
    # even though the fixture writes it as 6
    assert spec.is_integer("staffing.warehouse.headcount")
    assert not spec.is_integer("inventory.default.policy.reorder_point_days")
    assert spec.checks == []


def test_set_overrides_of_the_command_line_reach_the_base(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    spec = load_sweep(path, ["replications=1", "set.run.horizon_days=12"])
    assert spec.replications == 1
    assert spec.base_scenario.run.horizon_days == 12
    assert spec.overrides == ("replications=1", "set.run.horizon_days=12")


def test_a_default_of_the_scenario_counts_as_an_existing_path(tmp_path: Path) -> None:
    # costs.backorder.per_unit_day is not in the fixture, but the schema gives it a default
    text = GOOD.replace("staffing.warehouse.headcount", "costs.backorder.per_unit_day")
    spec = load_sweep(write(tmp_path, text))
    assert spec.base_value("costs.backorder.per_unit_day") == 0.0


def test_checks_are_accepted_and_kept(tmp_path: Path) -> None:
    spec = load_sweep(write(tmp_path, GOOD + "checks: ['fill_rate >= 0.9']\n"))
    assert len(spec.checks) == 1


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_every_shipped_sweep_loads(path: Path) -> None:
    assert is_sweep_file(path)
    spec = load_sweep(path)
    assert spec.parameters


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_every_point_of_every_shipped_sweep_is_valid_and_one_runs(path: Path) -> None:
    spec = load_sweep(path, ["replications=1", "set.run.horizon_days=15", "set.run.warmup_days=0"])
    points = design_points(spec)
    paths = [p.path for p in spec.parameters]
    scenarios = [point_scenario(spec, row) for row in points[paths].to_dict("records")]
    assert len(scenarios) == len(points)
    output = run_one(scenarios[-1], 0)
    assert output.kpis["orders"] > 0


def test_a_scenario_file_is_not_a_sweep_file(tmp_path: Path) -> None:
    assert not is_sweep_file(SMALL)
    assert not is_sweep_file(tmp_path / "missing.yaml")
    assert is_sweep_file(write(tmp_path, GOOD))


def lhs_with_dist(dist: str) -> str:
    """GOOD as an lhs design whose first parameter samples ``dist`` (a flow mapping)."""
    return GOOD.replace("levels: [4, 8]", f"dist: {dist}").replace(
        "{{kind: oat}}", "{{kind: lhs, samples: 8, seed: 1}}"
    )


BAD = [
    pytest.param(
        GOOD.replace("inventory.default.policy.reorder_point_days", "inventory.default.polcy.x"),
        r"sweep\.yaml, line 7: parameters\.0\.path: 'inventory\.default\.polcy\.x' is not a key "
        r"path of the base scenario .*small\.yaml: inventory\.default has no key 'polcy'; did "
        r"you mean 'policy'\?",
        id="unknown-path",
    ),
    pytest.param(
        GOOD.replace("staffing.warehouse.headcount", "segments.shop.quantity"),
        r"parameters\.1\.path: 'segments\.shop\.quantity' holds a mapping .*must be a number",
        id="path-to-a-mapping",
    ),
    pytest.param(
        GOOD.replace("high: 3", "high: 1"),
        r"line 10: parameters\.1\.low: the range is empty: low \(1\) must be below high \(1\)",
        id="empty-range",
    ),
    pytest.param(
        GOOD.replace("levels: [4, 8]", "levels: []"),
        r"parameters\.0\.levels: the list is empty",
        id="empty-levels",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: sobol, samples: 100, seed: 1}").replace(
            "levels: [4, 8]", "low: 4\n    high: 8"
        ),
        r"design\.samples: a sobol design needs a power of 2 \(got 100; nearest 64 or 128\)",
        id="sobol-not-power-of-2",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: morris, trajectories: 4, levels: 3, seed: 1}").replace(
            "levels: [4, 8]", "low: 4\n    high: 8"
        ),
        r"design\.levels: a morris design needs an even number of levels",
        id="morris-odd-levels",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: morris, trajectories: 4, seed: 1}"),
        r"parameters\.0: a morris design moves each parameter over a range; give low and high",
        id="morris-without-range",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: sobol, samples: 64, seed: 1}")
        .replace("levels: [4, 8]", "low: 4\n    high: 8")
        .split("  - path: staffing")[0]
        + "design: {{kind: sobol, samples: 64, seed: 1}}\n",
        r"design: a sobol design ranks parameters .* needs at least 2 parameters \(got 1\)",
        id="sobol-one-parameter",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: grid}"),
        r"parameters\.1: a grid design needs levels, or steps between low and high",
        id="grid-range-without-steps",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: lhs, samples: 10, seed: 1}"),
        r"parameters\.0: a lhs design samples a dist, or uniformly between low and high",
        id="lhs-levels-only",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: grid}")
        .replace("levels: [4, 8]", "low: 4\n    high: 8\n    steps: 400")
        .replace("high: 3", "high: 3\n    steps: 400"),
        r"design: 160,000 points is more than the 100,000 a sweep may have",
        id="too-many-points",
    ),
    pytest.param(
        GOOD.replace("{kind: oat}", "{kind: sobol, samples: 64}"),
        r"line 12: design\.seed: missing required key",
        id="sampled-design-without-seed",
    ),
    pytest.param(
        GOOD.replace("low: 1\n    high: 3", "levels: [1, 2.5]"),
        r"line 10: parameters\.1\.levels: 'staffing\.warehouse\.headcount' is a whole number "
        r"in the base scenario, so its levels must be too \(got 2\.5\)",
        id="fractional-level-of-a-headcount",
    ),
    pytest.param(
        GOOD + "colour: blue\n",
        r"line 13: colour: unknown key 'colour'; expected one of: name, description, base, set",
        id="unknown-key",
    ),
    pytest.param(
        GOOD.replace("kpis: [profit, fill_rate]", "kpis: [profit, fillrate]"),
        r"line 5: kpis\.1: unknown KPI 'fillrate'; did you mean 'fill_rate'",
        id="unknown-kpi",
    ),
    pytest.param(
        lhs_with_dist("{{kind: uniform, low: 3, high: 1}}"),
        r"line 8: parameters\.0\.dist: low must be below high \(got low 3, high 1\)",
        id="dist-empty-range",
    ),
    pytest.param(
        lhs_with_dist("{{kind: loguniform, low: 0, high: 1}}"),
        r"line 8: parameters\.0\.dist\.low: must be more than 0",
        id="dist-loguniform-at-zero",
    ),
    pytest.param(
        GOOD.replace(
            "levels: [4, 8]", "dist: {{kind: triangular, low: 1, mode: 5, high: 3}}"
        ).replace("{{kind: oat}}", "{{kind: lhs, samples: 8, seed: 1}}"),
        r"line 8: parameters\.0\.dist: a triangular distribution needs low <= mode <= high",
        id="dist-mode-outside",
    ),
    pytest.param(
        GOOD.replace(
            "levels: [4, 8]", "dist: {{kind: truncated_normal, mean: 0, sd: 1, low: 50, high: 60}}"
        ).replace("{{kind: oat}}", "{{kind: lhs, samples: 8, seed: 1}}"),
        r"line 8: parameters\.0\.dist: a normal truncated to \[low, high\] needs P\(low < X",
        id="dist-no-mass-in-range",
    ),
    pytest.param(
        GOOD.replace("base: {base}", "base: nowhere.yaml"),
        r"line 2: base: scenario file not found: .*nowhere\.yaml",
        id="missing-base",
    ),
    pytest.param(
        GOOD.replace("run.horizon_days: 20", "run.horizon_days: -5"),
        r"line 3: run\.horizon_days: ",
        id="set-makes-the-base-invalid",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_sweep_files_raise_one_clear_input_error(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_sweep(write(tmp_path, text), kpi_units=kpi_units)
