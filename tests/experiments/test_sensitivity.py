"""Sensitivity indices through the sweep machinery, checked against analytic test functions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from twin.experiments.runner import JobRunner
from twin.experiments.sensitivity import analyse, headline
from twin.experiments.sweep import run_sweep
from twin.scenario.sweep import SweepSpec
from twin.tables import SENSITIVITY_COLUMNS as COLUMNS

A, B = 7.0, 0.1
#: Ishigami's first-order and total indices for a = 7, b = 0.1 (Ishigami and Homma 1990;
#: closed forms in Saltelli et al., Global Sensitivity Analysis: The Primer, 2008, §4.8).
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
#: Sobol's g-function coefficients: the smaller a_i, the more x_i matters (Saltelli et al. 2008).
G_COEFFICIENTS = {"x1": 0.0, "x2": 1.0, "x3": 4.5, "x4": 99.0}


def ishigami(values: dict[str, float], replication: int) -> dict[str, float]:
    """f = sin x1 + a sin^2 x2 + b x3^4 sin x1, with x_i ~ U(-pi, pi)."""
    x1, x2, x3 = values["x1"], values["x2"], values["x3"]
    return {"y": math.sin(x1) + A * math.sin(x2) ** 2 + B * x3**4 * math.sin(x1)}


def g_function(values: dict[str, float], replication: int) -> dict[str, float]:
    """Sobol's g = prod (|4 x_i - 2| + a_i) / (1 + a_i), with x_i ~ U(0, 1)."""
    product = 1.0
    for name, a in G_COEFFICIENTS.items():
        product *= (abs(4.0 * values[name] - 2.0) + a) / (1.0 + a)
    return {"y": product}


def linear_noisy(values: dict[str, float], replication: int) -> dict[str, float]:
    """y = 3a - b + 0 c, plus a replication effect that common random numbers cancel."""
    return {"y": 3.0 * values["a"] - values["b"] + 0.0 * values["c"] + 0.5 * replication}


def spec(parameters: list[dict], design: dict, replications: int = 1) -> SweepSpec:
    return SweepSpec.model_validate(
        {
            "name": "analytic",
            "base": "unused.yaml",
            "kpis": ["y"],
            "replications": replications,
            "parameters": parameters,
            "design": design,
        }
    )


def indices(frame: pd.DataFrame, index: str) -> pd.DataFrame:
    return frame[frame["index"] == index].set_index("parameter")


def test_sobol_indices_of_ishigami_contain_the_known_values() -> None:
    params = [{"path": f"x{i}", "low": -math.pi, "high": math.pi} for i in (1, 2, 3)]
    sweep = spec(params, {"kind": "sobol", "samples": 1024, "seed": 7})
    runs = run_sweep(sweep, JobRunner(), evaluate=ishigami)
    assert len(runs.results) == 1024 * 5
    result = analyse(sweep, runs.results)
    assert list(result.columns) == list(COLUMNS)
    shown = result[result["index"].isin(["S1", "ST"])]  # the figures, with pytest -s
    print(shown[["parameter", "index", "value", "ci_low", "ci_high"]].round(3).to_string())
    # SALib's half-widths are 95 % bootstrap intervals, one per index. Six indices at 95 % each
    # would leave about a one-in-four chance that some interval misses at k = 1 for an arbitrary
    # seed; k = 1.5 (about 99.7 % each) keeps that near 2 % while still failing on a biased
    # estimator, since the half-widths are below 0.1 (checked too, so the test is not vacuous).
    k = 1.5
    for name, known in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        rows = indices(result, name)
        for parameter, value in known.items():
            estimate = rows.loc[parameter, "value"]
            half = rows.loc[parameter, "ci_high"] - estimate
            assert 0 < half < 0.1
            assert estimate - k * half <= value <= estimate + k * half, (name, parameter)


def test_sobol_second_order_finds_the_x1_x3_interaction() -> None:
    params = [{"path": f"x{i}", "low": -math.pi, "high": math.pi} for i in (1, 2, 3)]
    sweep = spec(params, {"kind": "sobol", "samples": 512, "seed": 3, "second_order": True})
    result = analyse(sweep, run_sweep(sweep, JobRunner(), evaluate=ishigami).results)
    s2 = indices(result, "S2")
    # the only interaction of Ishigami is x1 with x3: S13 = ST1 - S1 = 0.2437, inside SALib's
    # 95 % bootstrap interval of the estimate (as for S1 and ST above); the others hold 0
    assert s2["value"].idxmax() == "x1:x3"
    for pair, known in (("x1:x3", ISHIGAMI_ST["x1"] - ISHIGAMI_S1["x1"]), ("x1:x2", 0.0)):
        assert s2.loc[pair, "ci_low"] <= known <= s2.loc[pair, "ci_high"], pair


def test_morris_ranks_the_g_function_parameters_by_their_coefficients() -> None:
    params = [{"path": name, "low": 0.0, "high": 1.0} for name in G_COEFFICIENTS]
    sweep = spec(params, {"kind": "morris", "trajectories": 40, "levels": 4, "seed": 2})
    runs = run_sweep(sweep, JobRunner(), evaluate=g_function)
    result = analyse(sweep, runs.results)
    mu_star = indices(result, "mu_star")["value"]
    assert list(mu_star.sort_values(ascending=False).index) == ["x1", "x2", "x3", "x4"]
    assert mu_star["x4"] < 0.05 * mu_star["x1"]  # a_4 = 99: practically no effect
    ranked = headline("morris", result)
    assert ranked["parameter"].tolist() == ["x1", "x2", "x3", "x4"]


def test_oat_swings_are_paired_differences_that_cancel_the_replication_effect() -> None:
    params = [
        {"path": "a", "levels": [0.0, 2.0]},
        {"path": "b", "levels": [0.0, 2.0]},
        {"path": "c", "levels": [0.0, 2.0]},
    ]
    sweep = spec(params, {"kind": "oat"}, replications=3)
    sweep._base_values = {"a": 1.0, "b": 1.0, "c": 1.0}  # what load_sweep reads from the base
    result = analyse(sweep, run_sweep(sweep, JobRunner(), evaluate=linear_noisy).results)
    swing = indices(result, "swing")
    assert swing["value"].to_dict() == pytest.approx({"a": 6.0, "b": -2.0, "c": 0.0})
    # every replication gives the same difference, so the paired interval has zero width
    assert (swing["ci_high"] - swing["ci_low"]).abs().max() < 1e-12
    assert indices(result, "low").loc["a", "value"] == pytest.approx(-3.0)


def test_lhs_rank_correlation_and_regression_coefficients() -> None:
    params = [{"path": p, "low": 0.0, "high": 1.0} for p in ("a", "b", "c")]
    sweep = spec(params, {"kind": "lhs", "samples": 200, "seed": 4})
    result = analyse(sweep, run_sweep(sweep, JobRunner(), evaluate=linear_noisy).results)
    rho = indices(result, "rho")
    src = indices(result, "src")
    assert rho.loc["a", "value"] > 0.9 and rho.loc["b", "value"] < -0.2
    assert rho.loc["c", "ci_low"] < 0 < rho.loc["c", "ci_high"]
    # y = 3a - b exactly: the SRCs are 3/sqrt(10) and -1/sqrt(10) for equal-variance inputs
    assert src.loc["a", "value"] == pytest.approx(3 / math.sqrt(10), abs=0.02)
    assert src.loc["b", "value"] == pytest.approx(-1 / math.sqrt(10), abs=0.02)
    assert src.loc["c", "value"] == pytest.approx(0.0, abs=1e-6)


def test_grid_main_effects() -> None:
    params = [
        {"path": "a", "levels": [0.0, 1.0, 2.0]},
        {"path": "b", "levels": [0.0, 1.0]},
        {"path": "c", "levels": [5.0]},
    ]
    sweep = spec(params, {"kind": "grid"})
    result = analyse(sweep, run_sweep(sweep, JobRunner(), evaluate=linear_noisy).results)
    ranges = indices(result, "range")["value"]
    assert ranges["a"] == pytest.approx(6.0) and ranges["b"] == pytest.approx(1.0)
    assert math.isnan(ranges["c"])  # one level: no effect can be measured
    eta = indices(result, "eta_squared")["value"]
    # balanced and additive: between-level sums of squares 2 (9 + 0 + 9) = 36 for a and
    # 3 (0.25 + 0.25) = 1.5 for b add up to the total 37.5
    assert eta["a"] == pytest.approx(36 / 37.5) and eta["b"] == pytest.approx(1.5 / 37.5)


def failing_half(values: dict[str, float], replication: int) -> dict[str, float]:
    if values["a"] > 0.5:
        raise RuntimeError("no convergence")
    return {"y": values["a"] + values["b"]}


def test_failed_points_are_recorded_and_make_variance_indices_nan() -> None:
    params = [{"path": p, "low": 0.0, "high": 1.0} for p in ("a", "b")]
    sweep = spec(params, {"kind": "sobol", "samples": 8, "seed": 1})
    runs = run_sweep(sweep, JobRunner(), evaluate=failing_half)
    failed = runs.results[runs.results["error"] != ""]
    assert len(failed) and failed["error"].str.contains("RuntimeError: no convergence").all()
    assert failed["y"].isna().all()
    result = analyse(sweep, runs.results)
    assert result["value"].isna().all()
    assert "points failed" in runs.notes[0]


def test_a_constant_kpi_gives_nan_indices_not_an_error() -> None:
    params = [{"path": p, "low": 0.0, "high": 1.0} for p in ("a", "b")]
    sweep = spec(params, {"kind": "sobol", "samples": 8, "seed": 1})
    runs = run_sweep(sweep, JobRunner(), evaluate=constant)
    assert np.isnan(analyse(sweep, runs.results)["value"]).all()


def constant(values: dict[str, float], replication: int) -> dict[str, float]:
    return {"y": 1.0}


def test_local_processes_give_the_same_results_as_one_process() -> None:
    from twin.experiments.executors import make_executor

    params = [{"path": f"x{i}", "low": -math.pi, "high": math.pi} for i in (1, 2, 3)]
    sweep = spec(params, {"kind": "sobol", "samples": 64, "seed": 5})
    serial = run_sweep(sweep, JobRunner(), evaluate=ishigami).results
    with make_executor(2) as executor:
        parallel = run_sweep(sweep, JobRunner(executor), evaluate=ishigami).results
    pd.testing.assert_frame_equal(serial, parallel)
