"""Design points: counts, levels, rounding, seeds, and the points a sweep runs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.errors import InputError
from twin.experiments.designs import design_points, salib_problem
from twin.experiments.runner import JobRunner
from twin.experiments.sweep import point_scenario, run_sweep
from twin.scenario.sweep import SweepSpec, load_sweep

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"


def analytic(parameters: list[dict], design: dict, kpis: tuple[str, ...] = ("y",)) -> SweepSpec:
    """A sweep without a base scenario, for designs that need none."""
    return SweepSpec.model_validate(
        {
            "name": "t",
            "base": "unused.yaml",
            "kpis": list(kpis),
            "parameters": parameters,
            "design": design,
        }
    )


def small_sweep(tmp_path: Path, body: str) -> SweepSpec:
    path = tmp_path / "sweep.yaml"
    path.write_text(f"name: s\nbase: {SMALL}\nset: {{run.horizon_days: 12}}\n{body}", "utf-8")
    return load_sweep(path)


def test_grid_is_every_combination_in_row_major_order() -> None:
    spec = analytic(
        [{"path": "a", "levels": [1, 2]}, {"path": "b", "low": 0, "high": 1, "steps": 3}],
        {"kind": "grid"},
    )
    points = design_points(spec)
    assert list(points.columns) == ["point", "a", "b"]
    assert points["point"].tolist() == list(range(6))
    assert points[["a", "b"]].to_numpy().tolist() == [
        [1, 0],
        [1, 0.5],
        [1, 1],
        [2, 0],
        [2, 0.5],
        [2, 1],
    ]


def test_oat_is_the_base_then_each_level_with_the_rest_at_base(tmp_path: Path) -> None:
    spec = small_sweep(
        tmp_path,
        "parameters:\n"
        "  - {path: inventory.default.policy.reorder_point_days, levels: [4, 8]}\n"
        "  - {path: staffing.warehouse.headcount, low: 1, high: 3, steps: 3}\n"
        "design: {kind: oat}\n",
    )
    points = design_points(spec)
    rows = points.drop(columns="point").to_numpy().tolist()
    assert rows == [[6, 1], [4, 1], [8, 1], [6, 1], [6, 2], [6, 3]]
    assert points["staffing.warehouse.headcount"].dtype.kind == "i"  # a headcount stays whole


def test_whole_number_parameters_are_rounded(tmp_path: Path) -> None:
    spec = small_sweep(
        tmp_path,
        "parameters:\n"
        "  - {path: inventory.default.policy.reorder_point_days, low: 3, high: 9}\n"
        "  - {path: staffing.warehouse.headcount, low: 1, high: 4}\n"
        "design: {kind: lhs, samples: 20, seed: 5}\n",
    )
    points = design_points(spec)
    headcount = points["staffing.warehouse.headcount"]
    assert headcount.dtype.kind == "i" and headcount.between(1, 4).all()
    reorder = points["inventory.default.policy.reorder_point_days"]
    assert reorder.dtype.kind == "f" and (reorder != reorder.round()).any()


@pytest.mark.parametrize(
    ("design", "count"),
    [
        ({"kind": "lhs", "samples": 30, "seed": 1}, 30),
        ({"kind": "morris", "trajectories": 6, "levels": 4, "seed": 1}, 6 * 4),
        ({"kind": "sobol", "samples": 16, "seed": 1}, 16 * 5),
        ({"kind": "sobol", "samples": 16, "seed": 1, "second_order": True}, 16 * 8),
    ],
)
def test_sampled_designs_have_their_point_counts_and_stay_in_range(design, count) -> None:
    spec = analytic([{"path": p, "low": -1.0, "high": 2.0} for p in ("a", "b", "c")], design)
    points = design_points(spec)
    assert len(points) == count
    values = points[["a", "b", "c"]].to_numpy()
    assert (values >= -1.0).all() and (values <= 2.0).all()


@pytest.mark.parametrize("kind", ["lhs", "morris", "sobol"])
def test_the_design_seed_fixes_the_points(kind: str) -> None:
    extra = {"lhs": {"samples": 8}, "morris": {"trajectories": 4}, "sobol": {"samples": 8}}[kind]
    params = [{"path": p, "low": 0.0, "high": 1.0} for p in ("a", "b")]
    first = design_points(analytic(params, {"kind": kind, "seed": 3, **extra}))
    again = design_points(analytic(params, {"kind": kind, "seed": 3, **extra}))
    other = design_points(analytic(params, {"kind": kind, "seed": 4, **extra}))
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_distributions_reach_salib_and_shape_the_sample() -> None:
    params = [
        {"path": "n", "dist": {"kind": "normal", "mean": 40.0, "sd": 4.0}},
        {"path": "ln", "dist": {"kind": "lognormal", "mean": 10.0, "sd": 3.0}},
        {"path": "t", "dist": {"kind": "triangular", "low": 0.0, "mode": 1.0, "high": 4.0}},
    ]
    spec = analytic(params, {"kind": "lhs", "samples": 4000, "seed": 11})
    assert salib_problem(spec)["dists"] == ["norm", "lognorm", "triang"]
    points = design_points(spec)
    # Latin hypercube strata make the sample moments very close to the analytic ones; 2 % of
    # the mean is far wider than their error at n = 4000 and far narrower than a wrong scale
    assert points["n"].mean() == pytest.approx(40.0, rel=0.02)
    assert points["n"].std() == pytest.approx(4.0, rel=0.02)
    assert points["ln"].mean() == pytest.approx(10.0, rel=0.02)
    assert points["ln"].std() == pytest.approx(3.0, rel=0.05)
    assert points["t"].mean() == pytest.approx(5.0 / 3.0, rel=0.02)
    assert points["t"].between(0.0, 4.0).all()


def test_a_point_is_the_base_with_its_values_applied(tmp_path: Path) -> None:
    spec = small_sweep(
        tmp_path,
        "parameters:\n  - {path: staffing.warehouse.headcount, levels: [2, 3]}\n"
        "design: {kind: grid}\n",
    )
    scenario = point_scenario(spec, {"staffing.warehouse.headcount": np.int64(3)})
    assert scenario.staffing.warehouse.headcount == 3
    assert scenario.run.horizon_days == 12
    assert spec.base_scenario.staffing.warehouse.headcount == 1  # the base is unchanged


def test_an_invalid_point_fails_alone_and_names_its_values(tmp_path: Path) -> None:
    # a reorder point above the order-up-to level (14 days) is not a valid min-max policy
    spec = small_sweep(
        tmp_path,
        "parameters:\n  - {path: inventory.default.policy.reorder_point_days, levels: [4, 20]}\n"
        "design: {kind: grid}\n",
    )
    with pytest.raises(InputError, match=r"reorder_point_days=20"):
        point_scenario(spec, {"inventory.default.policy.reorder_point_days": 20})
    runs = run_sweep(spec, JobRunner())
    errors = runs.results.set_index("point")["error"]
    assert errors[0] == ""
    assert "the point inventory.default.policy.reorder_point_days=20" in errors[1]
    assert math.isnan(runs.results.set_index("point").loc[1, "profit"])
    assert runs.notes and "1 of 2 points failed" in runs.notes[0]


def test_results_have_a_row_per_point_and_replication_on_common_seeds(tmp_path: Path) -> None:
    spec = small_sweep(
        tmp_path,
        "replications: 2\nparameters:\n  - {path: staffing.warehouse.headcount, levels: [1, 2]}\n"
        "design: {kind: grid}\n",
    )
    runs = run_sweep(spec, JobRunner())
    results = runs.results
    assert list(results.columns[:4]) == [
        "point",
        "replication",
        "seed",
        "staffing.warehouse.headcount",
    ]
    assert results.columns[-1] == "error"
    assert results[["point", "replication"]].to_numpy().tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert (results["seed"] == spec.base_scenario.run.seed).all()
    # common random numbers: the same demand at every point of the same replication
    orders = results.pivot(index="replication", columns="point", values="orders")
    assert (orders[0] == orders[1]).all()
    again = run_sweep(spec, JobRunner()).results
    pd.testing.assert_frame_equal(results, again)
