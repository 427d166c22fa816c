"""`twin optimise` against known answers (slow: each runs a hundred or more simulations).

- the newsvendor base-stock level: the critical fractile of Poisson lead-time demand, derived
  here from scipy.stats.poisson, found within one unit;
- a grid of nine (s, S) policies: the optimiser's choice is the best of the full grid run on the
  same seeds;
- the baseline, warehouse headcount x northwind reorder point: the least headcount meeting the
  lead-time p95 bound equals the full grid's, with at most 30 % of the grid's simulations.

The counts are printed (``pytest -s``) for the record.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy import stats

from twin.experiments.executors import ProcessExecutor
from twin.experiments.optimise import optimise
from twin.experiments.runner import JobRunner
from twin.experiments.store import ResultStore
from twin.kpis import kpi_units
from twin.scenario.optimise_file import load_optimisation

EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios" / "optimise"

pytestmark = pytest.mark.slow


def _run(path: Path, store: Path, overrides: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    spec = load_optimisation(path, overrides, kpi_units=kpi_units)
    with ResultStore(store) as results, ProcessExecutor(2) as executor:
        return optimise(spec, JobRunner(executor, results))


def test_newsvendor_level_within_one_unit_of_the_critical_fractile(tmp_path: Path) -> None:
    result = _run(EXAMPLES / "newsvendor.yaml", tmp_path / "store")
    scenario = result.spec.base_scenario
    rate = scenario.segments["customers"].arrivals.rate_per_day
    lead = scenario.suppliers["maker"].lead_time_days.mean  # a constant 4 days
    h, b = scenario.costs.holding.per_unit_day, scenario.costs.backorder.per_unit_day
    # cost per day h E[(S - D)+] + b E[(D - S)+] with D ~ Poisson(rate x lead) is least at the
    # smallest S with P(D <= S) >= b / (b + h)
    optimum = int(stats.poisson.ppf(b / (b + h), rate * lead))
    assert optimum == 26
    assert result.winner is not None
    print(
        f"newsvendor: chose {result.winner.values[0]}, closed form {optimum}, "
        f"{result.simulations} simulations, {len(result.candidates)} candidates"
    )
    assert abs(result.winner.values[0] - optimum) <= 1


def test_min_max_nine_finds_the_best_of_the_full_grid(tmp_path: Path) -> None:
    path = EXAMPLES / "min-max-nine.yaml"
    store = tmp_path / "store"
    grid = _run(path, store, ("sampler=grid", "replications.initial=10", "budget.simulations=200"))
    best_of_grid = min(grid.views, key=lambda i: grid.views[i].objective)
    found = _run(path, tmp_path / "store-search")
    assert found.winner is not None
    print(
        f"(s, S): chose {found.winner.values}, grid best "
        f"{grid.candidates[best_of_grid].values}; {found.simulations} simulations against "
        f"the grid's {grid.simulations}"
    )
    assert found.winner.values == grid.candidates[best_of_grid].values


def test_least_headcount_equals_the_full_grid_with_at_most_30_percent(tmp_path: Path) -> None:
    path = EXAMPLES / "least-warehouse-staff.yaml"
    spec = load_optimisation(path, kpi_units=kpi_units)
    full = (
        "sampler=grid",
        f"replications.initial={spec.replications.max}",
        "budget.simulations=1000",
    )
    grid = _run(path, tmp_path / "store", full)
    feasible = [i for i, v in grid.views.items() if v.feasible_confident]
    least_of_grid = min(grid.candidates[i].values[0] for i in feasible)
    found = _run(path, tmp_path / "store-search")
    assert found.winner is not None
    print(
        f"headcount: chose {found.winner.values}, grid's least feasible headcount "
        f"{least_of_grid}; {found.simulations} simulations against the grid's "
        f"{grid.simulations} ({found.simulations / grid.simulations:.0%})"
    )
    assert found.winner.values[0] == least_of_grid
    assert found.simulations <= 0.3 * grid.simulations
