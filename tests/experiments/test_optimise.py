"""`twin optimise` on an analytic problem with a known answer: found, reproducible, resumable,
the same on every executor; and the command's files and exit codes on the small fixture."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from optimise_fns import staff_and_lead_time

from twin.cli import cli
from twin.experiments.executors import DaskExecutor, ProcessExecutor
from twin.experiments.optimise import optimise
from twin.experiments.optimise_output import overlay_of, trials_table
from twin.experiments.runner import JobRunner
from twin.experiments.store import ResultStore
from twin.scenario.loader import load
from twin.scenario.optimise_file import load_optimisation
from twin.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"
HAS_DASK = importlib.util.find_spec("distributed") is not None

ANALYTIC = """\
name: least-staff
base: {base}
decisions:
  - {{path: staffing.warehouse.headcount, low: 1, high: 12}}
  - {{path: inventory.default.policy.reorder_point_days, low: 2, high: 10, step: 1}}
objective: {{minimise: staff_cost}}
constraints: ["lead_time_p95_days <= 3.2"]
budget: {{simulations: 120}}
replications: {{initial: 2, max: 10}}
delta: 50
seed: 3
"""


class CountingRunner(JobRunner):
    """A runner that adds up the jobs it really ran (not read from the store)."""

    ran = 0

    def run(self, jobs):  # type: ignore[no-untyped-def]
        outcomes = super().run(jobs)
        self.ran += self.stats.ran
        return outcomes


def spec_file(folder: Path, text: str = ANALYTIC) -> Path:
    path = folder / "opt.yaml"
    path.write_text(text.format(base=SMALL), encoding="utf-8")
    return path


def test_finds_the_least_headcount_meeting_the_bound(tmp_path: Path) -> None:
    spec = load_optimisation(spec_file(tmp_path))
    result = optimise(spec, JobRunner(), staff_and_lead_time)
    assert result.winner is not None
    headcount, reorder = result.winner.values
    assert headcount == 4 and 5 <= reorder <= 7
    assert result.views[result.winner.number].feasible_confident
    # the whole grid is 12 x 9 = 108 points; the search saw far fewer
    grid = 12 * 9 * spec.replications.initial
    assert result.simulations <= spec.budget.simulations < grid
    # every candidate is in trials.csv with its estimates; exactly one is selected
    trials = trials_table(result)
    assert len(trials) == len(result.candidates) and trials["selected"].sum() == 1
    truth = {h: 12.0 / h for h in range(1, 13)}
    feasible = trials[trials["feasible_confident"]]
    assert all(truth[h] <= 3.2 + 0.3 for h in feasible["staffing.warehouse.headcount"])


def test_same_file_same_answer_and_a_rerun_reuses_the_store(tmp_path: Path) -> None:
    spec = load_optimisation(spec_file(tmp_path))
    with ResultStore(tmp_path / ".store") as store:
        first = CountingRunner(store=store)
        a = optimise(spec, first, staff_and_lead_time)
        second = CountingRunner(store=store)
        b = optimise(spec, second, staff_and_lead_time)
    assert first.ran == a.simulations > 0
    assert second.ran == 0  # every replication came from the store
    pd.testing.assert_frame_equal(trials_table(a), trials_table(b))


def test_bit_identical_on_local_processes(tmp_path: Path) -> None:
    spec = load_optimisation(spec_file(tmp_path, ANALYTIC.replace("120", "40")))
    serial = optimise(spec, JobRunner(), staff_and_lead_time)
    with ProcessExecutor(2) as executor:
        parallel = optimise(spec, JobRunner(executor), staff_and_lead_time)
    pd.testing.assert_frame_equal(trials_table(serial), trials_table(parallel))


def test_a_chance_constraint_gets_the_replications_its_confidence_needs(tmp_path: Path) -> None:
    # P(p95 <= 3.5) is 1 - 1e-6 at headcount 4 with a reorder point of 6 (5 sd inside) and 0 at
    # headcount 3. To show >= 0.8 with 95 % confidence, Wilson's one-sided bound needs at least
    # 11 replications that all meet it, so the optimiser must add replications beyond the
    # first 2 to candidates near the edge.
    text = ANALYTIC.replace('"lead_time_p95_days <= 3.2"', '"P(lead_time_p95_days <= 3.5) >= 0.8"')
    text = text.replace("max: 10", "max: 16").replace("high: 12", "high: 6")
    spec = load_optimisation(spec_file(tmp_path, text))
    result = optimise(spec, JobRunner(), staff_and_lead_time)
    assert result.winner is not None and result.winner.values[0] == 4
    assert result.winner.replications >= 11
    assert result.views[result.winner.number].constraints[0].met_confident


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DASK, reason="Dask is an optional extra: pip install 'twin[dask]'")
def test_bit_identical_on_dask(tmp_path: Path) -> None:
    spec = load_optimisation(spec_file(tmp_path, ANALYTIC.replace("120", "40")))
    serial = optimise(spec, JobRunner(), staff_and_lead_time)
    with DaskExecutor(None, workers=2) as executor:
        cluster = optimise(spec, JobRunner(executor), staff_and_lead_time)
    pd.testing.assert_frame_equal(trials_table(serial), trials_table(cluster))


def test_grid_sampler_runs_every_point_once(tmp_path: Path) -> None:
    text = ANALYTIC.replace("high: 12", "high: 4").replace("high: 10, step: 1", "high: 8, step: 2")
    spec = load_optimisation(spec_file(tmp_path, text + "sampler: grid\n"))
    result = optimise(spec, JobRunner(), staff_and_lead_time)
    seen = sorted(c.values for c in result.candidates)
    assert seen == sorted(itertools.product(range(1, 5), range(2, 9, 2)))
    assert result.stopped_by == "exhausted"
    assert result.winner is not None and result.winner.values[0] == 4


SMALL_RUN = """\
name: small-staff
description: The warehouse headcount of the small fixture, least staff cost for a fill rate.
base: {base}
set: {{run.horizon_days: 20}}
decisions:
  - {{path: staffing.warehouse.headcount, low: 1, high: 3, label: warehouse headcount}}
objective: {{minimise: staff_cost}}
constraints: ["{constraint}"]
budget: {{simulations: 8}}
replications: {{initial: 2, max: 2}}
delta: 10
"""


def test_the_command_writes_its_folder_and_best_yaml_extends_the_base(tmp_path: Path) -> None:
    text = SMALL_RUN.replace("{constraint}", "lead_time_p95_days <= 30")
    path = spec_file(tmp_path, text)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["optimise", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    trials = pd.read_csv(out / "trials.csv")
    chosen = int(trials.loc[trials["selected"], "warehouse headcount"].iloc[0])
    assert f"Set warehouse headcount to {chosen}." in result.output
    for name in ("trials.csv", "pareto.csv", "best.yaml", "manifest.json", "pareto.png"):
        assert (out / name).is_file(), name
    assert (out / "optimise.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "optimise.html").read_text(encoding="utf-8").count("<svg ") == 1
    best = yaml.safe_load((out / "best.yaml").read_text())
    assert best["staffing"]["warehouse"]["headcount"] == chosen
    scenario = load(Scenario, out / "best.yaml")  # extends the base, relative to the folder
    assert scenario.staffing.warehouse.headcount == chosen and scenario.run.horizon_days == 20
    # the least staff cost among the candidates feasible with confidence
    feasible = trials[trials["feasible_confident"]]
    assert chosen == feasible["warehouse headcount"].min()
    assert np.all(trials["replications"] >= 2)


def test_nothing_feasible_exits_1_without_best_yaml(tmp_path: Path) -> None:
    text = SMALL_RUN.replace("{constraint}", "lead_time_p95_days <= 0.001")
    path = spec_file(tmp_path, text.replace("simulations: 8", "simulations: 4"))
    out = tmp_path / "out"
    args = ["optimise", str(path), "--out", str(out), "--quiet", "--no-report"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "Nothing feasible with 95% confidence" in result.output
    assert (out / "trials.csv").is_file() and not (out / "best.yaml").exists()
    assert not (out / "optimise.html").exists()  # --no-report skips the page with the PDF


def test_the_overlay_writes_a_list_whole_since_extends_replaces_lists() -> None:
    data = {
        "products": [{"sku": "A", "price": 1.0}, {"sku": "B", "price": 2.0}],
        "run": {"seed": 1},
    }
    values = {"products.1.price": np.float64(5.0), "run.horizon_days": 30}
    assert overlay_of(data, values) == {
        "products": [{"sku": "A", "price": 1.0}, {"sku": "B", "price": 5.0}],
        "run": {"horizon_days": 30},
    }
    assert data["products"][1]["price"] == 2.0  # the base is not changed
