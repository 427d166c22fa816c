"""Comparison, precision, ranking and the ``twin compare`` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.errors import InputError
from twin.experiments import replicate
from twin.experiments.compare import (
    VariantRuns,
    compare_table,
    paired,
    possible_kpis,
    run_variants,
)
from twin.experiments.jobs import Failure
from twin.experiments.precision import (
    PrecisionTarget,
    half_widths,
    parse_precision,
    run_to_precision,
)
from twin.experiments.ranking import (
    RANKING_COLUMNS,
    Objective,
    direction,
    parse_objective,
    rank_variants,
    selection_sentence,
)
from twin.experiments.replicate import ReplicationOutput, replication_job
from twin.experiments.runner import JobRunner
from twin.scenario.variants import Variants, load_variants
from twin.stats import t_interval
from twin.tables import COMPARISON_COLUMNS

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"
SHORT = ("run.horizon_days=30",)


def fake_runs(values: dict[str, dict[str, list[float]]]) -> VariantRuns:
    """Hand-made replications: variant -> KPI -> one value per replication."""
    scenario = load_variants(SMALL).scenarios["small"]
    names = list(values)
    outputs = {}
    for name, kpis in values.items():
        n = len(next(iter(kpis.values())))
        outputs[name] = [
            ReplicationOutput(
                r, 1, {k: v[r] for k, v in kpis.items()}, pd.DataFrame(), pd.DataFrame(), None
            )
            for r in range(n)
        ]
    variants = Variants(names[0], {name: scenario for name in names})
    return VariantRuns(variants, max(len(o) for o in outputs.values()), outputs)


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(
        f"extends: {SMALL}\nname: small\nrun: {{replications: 3}}\n\nvariants:\n"
        "  more-stock:\n    inventory.default.policy.reorder_point_days: 9\n"
        "  same:\n    description: the base again\n",
        encoding="utf-8",
    )
    return path


class CountingRunner(JobRunner):
    """A serial runner that counts the jobs it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs = 0

    def run(self, jobs):
        self.jobs += len(jobs)
        return super().run(jobs)


# --- compare_table ---------------------------------------------------------------------------


def test_compare_table_pairs_by_replication_and_drops_nan_pairs() -> None:
    runs = fake_runs(
        {
            "base": {"profit": [10.0, 12.0, 11.0, 13.0], "fill_rate": [0.9, 0.8, 0.85, 0.95]},
            "alt": {"profit": [12.0, 15.0, math.nan, 14.0], "fill_rate": [0.9, 0.8, 0.85, 0.95]},
        }
    )
    table = compare_table(runs)
    assert tuple(table.columns) == COMPARISON_COLUMNS
    base = table[table["variant"] == "base"].set_index("kpi")
    assert (base["diff"] == 0).all() and base["diff_ci_low"].isna().all()
    assert not base["significant"].any()
    alt = table[table["variant"] == "alt"].set_index("kpi")
    diff, _, low, high = t_interval(np.array([2.0, 3.0, 1.0]))  # replication 2 drops out
    assert alt.loc["profit", "diff"] == pytest.approx(diff)
    assert (alt.loc["profit", "diff_ci_low"], alt.loc["profit", "diff_ci_high"]) == pytest.approx(
        (low, high)
    )
    assert alt.loc["profit", "mean"] == pytest.approx(np.mean([12.0, 15.0, 14.0]))
    assert alt.loc["profit", "unit"] == "currency"
    assert bool(alt.loc["profit", "significant"]) is (low > 0)
    # identical values: a zero-width interval at 0 is not a significant difference
    assert alt.loc["fill_rate", "diff"] == 0 and not alt.loc["fill_rate", "significant"]


def test_run_variants_shares_identical_variants_and_extends_without_rerunning(
    base_file: Path,
) -> None:
    variants = load_variants(base_file, SHORT)
    runner = CountingRunner()
    runs = run_variants(variants, 2, runner)
    assert runner.jobs == 4  # "same" is the base under another name: it runs once
    kpis = runs.kpis()
    assert list(kpis.columns[:3]) == ["variant", "replication", "seed"]
    assert kpis["variant"].tolist() == ["small"] * 2 + ["more-stock"] * 2 + ["same"] * 2
    more = run_variants(variants, 3, runner, previous=runs)
    assert runner.jobs == 6  # replication 2 of the two distinct scenarios only
    assert more.kpis().iloc[[0, 1]].equals(kpis.iloc[[0, 1]])
    table = compare_table(more).set_index(["variant", "kpi"])
    assert table.loc[("same", "profit"), "diff"] == 0
    assert table.loc[("more-stock", "inventory_value_mean"), "diff"] > 0
    # common random numbers: the policy does not change the demand
    assert table.loc[("more-stock", "orders"), "diff"] == 0


def test_a_failed_replication_is_listed_and_drops_out_of_the_pairs(base_file: Path) -> None:
    variants = load_variants(base_file, SHORT, ["more-stock"])
    failing = replication_job(variants.scenarios["more-stock"], 1).key

    class FailingRunner(JobRunner):
        def run(self, jobs):
            return [
                Failure(job.key, "RuntimeError: boom") if job.key == failing else job.fn(job.arg)
                for job in jobs
            ]

    runs = run_variants(variants, 3, FailingRunner())
    assert [(f.variant, f.replication) for f in runs.failures] == [("more-stock", 1)]
    assert [o.replication for o in runs.outputs["more-stock"]] == [0, 2]
    kpis = runs.kpis()
    expected = paired(kpis, "small", "more-stock", "profit")
    assert expected.size == 2
    row = compare_table(runs).set_index(["variant", "kpi"]).loc[("more-stock", "profit")]
    assert row["diff"] == pytest.approx(expected.mean())


# --- precision -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("profit=5000", PrecisionTarget("profit", 5000.0)),
        ("fill_rate = 0.005", PrecisionTarget("fill_rate", 0.005)),
        ("profit=2%", PrecisionTarget("profit", 2.0, relative=True)),
    ],
)
def test_parse_precision(text: str, target: PrecisionTarget) -> None:
    assert parse_precision(text) == target


@pytest.mark.parametrize("text", ["profit", "profit=", "profit=-1", "=3", "profit=abc", "a=0"])
def test_parse_precision_rejects_bad_syntax(text: str) -> None:
    with pytest.raises(InputError, match=rf"^--precision {text}: expected KPI=TARGET"):
        parse_precision(text)


def test_half_widths_use_the_base_mean_ci_and_the_paired_ci() -> None:
    runs = fake_runs(
        {"base": {"profit": [100.0, 110.0, 90.0]}, "alt": {"profit": [101.0, 111.0, 92.0]}}
    )
    table = half_widths(runs, [PrecisionTarget("profit", 2.0, relative=True)]).set_index("variant")
    _, _, low, high = t_interval(np.array([100.0, 110.0, 90.0]))
    assert table.loc["base", "half_width"] == pytest.approx((high - low) / 2)
    assert table.loc["base", "target"] == pytest.approx(2.0)  # 2 % of the base mean 100
    assert not table.loc["base", "met"]
    _, _, low, high = t_interval(np.array([1.0, 1.0, 2.0]))
    assert table.loc["alt", "half_width"] == pytest.approx((high - low) / 2)


def test_run_to_precision_doubles_up_to_the_cap(base_file: Path) -> None:
    variants = load_variants(base_file, SHORT, ["more-stock"])
    runner = CountingRunner()
    runs, result = run_to_precision(variants, [PrecisionTarget("profit", 1e-6)], 2, 5, runner)
    assert (result.replications, result.reached, runs.replications) == (5, False, 5)
    assert runner.jobs == 10  # 2, then 4, then 5 replications of two variants, none twice
    assert set(result.table["replications"]) == {5}
    runs, result = run_to_precision(variants, [PrecisionTarget("profit", 1e9)], 2, 5)
    assert (result.replications, result.reached) == (2, True)
    with pytest.raises(InputError, match="--precision satisfaction_mean: no variant reports"):
        run_to_precision(variants, [PrecisionTarget("satisfaction_mean", 0.1)], 2, 50, runner)
    assert runner.jobs == 10 + 4  # stopped after the first batch


# --- ranking ---------------------------------------------------------------------------------


def test_direction_table() -> None:
    assert direction("profit") is True
    assert direction("lead_time_p95_days") is False
    assert direction("wait_p95_days_warehouse") is False
    assert direction("promo_roi_spring") is True
    assert direction("utilisation_warehouse") is None


def test_parse_objective_signs_and_errors() -> None:
    known = possible_kpis([load_variants(SMALL).scenarios["small"]])
    assert parse_objective("profit", known) == Objective("profit", True)
    assert parse_objective("-profit", known) == Objective("profit", False)
    assert parse_objective("+utilisation_warehouse", known).higher_is_better
    with pytest.raises(InputError, match=r"unknown KPI 'proft'; did you mean profit"):
        parse_objective("proft", known)
    with pytest.raises(InputError, match=r"cannot tell whether more or less utilisation_warehouse"):
        parse_objective("utilisation_warehouse", known)


def test_rank_variants_bonferroni_and_separability() -> None:
    runs = fake_runs(
        {
            "base": {"cost": [10.0, 11.0, 12.0, 13.0]},
            "close": {"cost": [10.5, 10.5, 12.5, 13.0]},
            "far": {"cost": [20.0, 21.0, 22.0, 24.0]},
        }
    )
    ranking = rank_variants(runs, Objective("cost", higher_is_better=False))
    assert tuple(ranking.columns) == RANKING_COLUMNS
    assert ranking["variant"].tolist() == ["base", "close", "far"]
    assert ranking["rank"].tolist() == [1, 2, 3]
    far = ranking.set_index("variant").loc["far"]
    _, _, low, high = t_interval(np.array([10.0, 10.0, 10.0, 11.0]), 1 - 0.05 / 2)
    assert (far["diff_ci_low"], far["diff_ci_high"]) == pytest.approx((low, high))
    assert ranking["separable"].tolist() == [False, False, True]
    sentence = selection_sentence(ranking, Objective("cost", False), 0.95)
    assert sentence.startswith("Best for cost (lower is better): base, mean 11.5")
    assert "cannot be told from close at 95% confidence (Bonferroni over 2 comparisons)" in sentence
    ranking = rank_variants(runs, Objective("cost", higher_is_better=True))
    assert ranking["variant"].tolist() == ["far", "close", "base"]
    assert ranking["separable"].tolist() == [True, True, True]
    assert "separated from every other variant" in selection_sentence(
        ranking, Objective("cost", True), 0.95
    )


# --- the command -----------------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_compare_writes_the_folder_and_resumes(base_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    args = ("compare", str(base_file), "more-stock", "--out", str(out), "--set", SHORT[0])
    result = invoke(*args, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "Best for profit (higher is better)" in result.output
    for name in (
        "comparison.csv",
        "ranking.csv",
        "kpis.csv",
        "daily.csv",
        "lead_times.csv",
        "manifest.json",
        "compare.pdf",
        "kpi_bars.png",
        "differences.png",
        "inventory.png",
        "lead_times.png",
    ):
        assert (out / name).is_file(), name
    comparison = pd.read_csv(out / "comparison.csv")
    assert tuple(comparison.columns) == COMPARISON_COLUMNS
    assert set(comparison["variant"]) == {"small", "more-stock"}
    assert tuple(pd.read_csv(out / "ranking.csv").columns) == RANKING_COLUMNS
    kpis = pd.read_csv(out / "kpis.csv")
    assert kpis.groupby("variant").size().to_dict() == {"small": 3, "more-stock": 3}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["base"] == "small" and manifest["seed"] == 1
    assert list(manifest["variants"]) == ["small", "more-stock"]
    assert manifest["replications"] == 3 and manifest["failures"] == []
    assert "packages" in manifest and manifest["best"]["kpi"] == "profit"
    # a second run reads every replication back from the store: same numbers
    again = invoke(*args, "--no-report", "--quiet")
    assert again.exit_code == 0, again.output
    assert pd.read_csv(out / "comparison.csv").equals(comparison)
    assert any((out / ".store").iterdir())


def test_compare_resumes_from_the_store(base_file: Path, tmp_path: Path, monkeypatch) -> None:
    calls: list[tuple[str, int]] = []
    real = replicate.simulate

    def counting(task):
        calls.append((task.scenario.name, task.replication))
        return real(task)

    monkeypatch.setattr(replicate, "simulate", counting)
    args = ["compare", str(base_file), "more-stock", "--out", str(tmp_path / "out")]
    args += ["--set", SHORT[0]]
    args += ["--no-report", "--quiet", "--workers", "1", "--replications"]
    assert invoke(*args, "2").exit_code == 0
    assert len(calls) == 4
    calls.clear()
    # two more replications: only they run, the first two are read back
    assert invoke(*args, "4").exit_code == 0
    assert sorted(calls) == [("more-stock", 2), ("more-stock", 3), ("small", 2), ("small", 3)]
    calls.clear()
    assert invoke(*args, "4", "--fresh").exit_code == 0
    assert len(calls) == 8


def test_compare_precision_reports_the_replications(base_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "precise"
    result = invoke(
        "compare",
        str(base_file),
        "more-stock",
        "--out",
        str(out),
        "--set",
        SHORT[0],
        "--replications",
        "2",
        "--precision",
        "profit=1e-9",
        "--max-replications",
        "3",
        "--no-report",
        "--quiet",
        "--best=-inventory_value_mean",
        "--workers",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert "precision targets not met at --max-replications 3: profit of small" in result.output
    assert "Best for inventory_value_mean (lower is better): small" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 3
    assert manifest["precision"]["reached"] is False


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["fast"], "fast: not a variant of"),
        (["--precision", "profit~2"], "--precision profit~2: expected KPI=TARGET"),
        (["--precision", "proft=2%"], "--precision proft=2%: unknown KPI 'proft'"),
        (["--best", "proft"], "--best proft: unknown KPI 'proft'"),
        (["--best", "satisfaction_mean"], "--best satisfaction_mean: no variant reports"),
    ],
)
def test_compare_bad_input_exits_2(base_file: Path, tmp_path: Path, extra, match) -> None:
    args = ["compare", str(base_file), "--out", str(tmp_path / "x"), "--set", "run.horizon_days=8"]
    args += ["--replications", "1", "--no-report", "--quiet", "--workers", "1", *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert match in result.output
    assert "Traceback" not in result.output


def test_compare_bad_variant_file_and_key_exit_2(base_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "seeded.yaml"
    other.write_text(f"extends: {SMALL}\nname: seeded\nrun: {{seed: 3}}\n")
    result = CliRunner().invoke(cli, ["compare", str(base_file), str(other)])
    assert result.exit_code == 2
    assert f"{other}: run.seed is 3 but the base {base_file} has 1" in result.output
    typo = tmp_path / "typo.yaml"
    typo.write_text(f"extends: {SMALL}\nname: small\nvariants:\n  t:\n    costs.holdin: 1\n")
    result = CliRunner().invoke(cli, ["compare", str(typo)])
    assert result.exit_code == 2
    assert f"{typo}, line 5: variants.t.costs.holdin: unknown key 'holdin'" in result.output


@pytest.mark.slow
def test_compare_two_credit_files(tmp_path: Path) -> None:
    scenarios = REPO / "scenarios"
    result = invoke(
        "compare",
        str(scenarios / "credit-loose.yaml"),
        str(scenarios / "credit-tight.yaml"),
        "--out",
        str(tmp_path),
        "--set",
        "run.horizon_days=40",
        "--set",
        "run.warmup_days=10",
        "--replications",
        "2",
        "--best",
        "bad_debt",
        "--no-report",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    assert "Best for bad_debt (lower is better)" in result.output
    kpis = pd.read_csv(tmp_path / "kpis.csv")
    assert set(kpis["variant"]) == {"credit-loose", "credit-tight"}
