"""Run the replications of a scenario, serially or on local processes, with identical results.

Each replication is a pure function of (scenario, replication number): its random streams come
from ``SeedSequence(seed, spawn_key=(replication, ...))``, so it can run alone on any worker and
the results do not depend on the executor or the number of workers. :func:`replication_job` makes
one replication a job (:mod:`twin.experiments.jobs`), the unit every experiment runs; here the
replications run as jobs on the experiments' executors, without a result store, and results are
always returned in replication order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from twin.experiments.executors import make_executor
from twin.experiments.jobs import Failure, Job, raise_bad_input, scenario_hash
from twin.experiments.runner import JobRunner
from twin.kpis import compute_kpis, daily_levels, kpi_units, lead_time_quantiles
from twin.kpis.lookahead import lookahead_summary, weekly_lookahead
from twin.model.network import run_replication
from twin.scenario.footprint import check_fits
from twin.scenario.report import lookahead_weeks
from twin.scenario.schema import Scenario


@dataclass
class ReplicationOutput:
    """What one replication contributes to a run folder (small, picklable)."""

    replication: int
    seed: int
    kpis: dict[str, float]
    daily: pd.DataFrame
    lead_times: pd.DataFrame
    orders: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)
    # the weekly look-ahead (``report.lookahead_weeks``), one row per week; None: not asked for
    weekly: pd.DataFrame | None = None


def run_one(scenario: Scenario, replication: int, keep_orders: bool = False) -> ReplicationOutput:
    """Simulate one replication and reduce it to KPIs, daily levels and lead-time quantiles."""
    result = run_replication(scenario, replication)
    orders = None
    if keep_orders:
        orders = result.tables["orders"].copy()
        orders.insert(0, "replication", replication)
        orders["segment"] = orders["segment"].map(dict(enumerate(result.segments)))
    weeks, note = lookahead_weeks(scenario)
    weekly = weekly_lookahead(result, weeks) if weeks else None
    return ReplicationOutput(
        replication=replication,
        seed=result.seed,
        kpis=compute_kpis(result, scenario.costs),
        daily=daily_levels(result),
        lead_times=lead_time_quantiles(result),
        orders=orders,
        notes=[*result.notes, note] if note else result.notes,
        weekly=weekly,
    )


@dataclass(frozen=True)
class SimulationTask:
    """The argument of :func:`simulate`: a scenario and one replication number."""

    scenario: Scenario
    replication: int
    keep_orders: bool = False


def simulate(task: SimulationTask) -> ReplicationOutput:
    """Run one replication: the job function of every simulation experiment."""
    return run_one(task.scenario, task.replication, task.keep_orders)


def replication_job(scenario: Scenario, replication: int, keep_orders: bool = False) -> Job:
    """The job of one replication, keyed by the scenario hash, the seed and the replication."""
    key = f"{scenario_hash(scenario)}-s{scenario.run.seed}-r{replication}"
    if keep_orders:  # an outcome with the orders table is another outcome
        key += "-orders"
    return Job(key, simulate, SimulationTask(scenario, replication, keep_orders))


def default_workers(replications: int) -> int:
    """All cores, but no more processes than replications."""
    return max(1, min(os.cpu_count() or 1, replications))


def run_replications(
    scenario: Scenario,
    replications: int,
    workers: int = 1,
    keep_orders: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[ReplicationOutput]:
    """The outputs of replications 0..replications-1, in order.

    ``progress(done, total)`` is called as replications finish. Bad input found while a
    replication builds (a replay file, say) raises :class:`InputError` with its message; any
    other exception is a bug in twin and is raised again with the worker's traceback.
    """
    check_fits(scenario, min(workers, replications), replications)  # before anything runs
    jobs = [replication_job(scenario, r, keep_orders) for r in range(replications)]
    with make_executor(min(workers, replications), None) as executor:
        outcomes = JobRunner(executor, progress=progress).run(jobs)
    raise_bad_input(outcomes)
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            raise RuntimeError(f"replication failed: {outcome.error}\n{outcome.traceback}")
    return outcomes


@dataclass
class RunOutputs:
    """All replications of one scenario, combined into tidy tables."""

    scenario: Scenario
    replications: list[ReplicationOutput]

    @property
    def roles(self) -> list[str]:
        return list(self.scenario.staffing.roles()) if self.scenario.staffing else []

    def kpis(self) -> pd.DataFrame:
        """``replication, seed``, then one column per KPI; one row per replication."""
        rows = [{"replication": r.replication, "seed": r.seed, **r.kpis} for r in self.replications]
        return pd.DataFrame(rows)

    def daily(self) -> pd.DataFrame:
        return pd.concat([r.daily for r in self.replications], ignore_index=True)

    def lead_times(self) -> pd.DataFrame:
        return pd.concat([r.lead_times for r in self.replications], ignore_index=True)

    def orders(self) -> pd.DataFrame | None:
        frames = [r.orders for r in self.replications if r.orders is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def weekly(self) -> pd.DataFrame | None:
        """The look-ahead of every replication (``lookahead_replications.csv``); None when the
        scenario does not ask for one."""
        frames = [r.weekly for r in self.replications if r.weekly is not None]
        return pd.concat(frames, ignore_index=True) if frames else None

    def lookahead(self) -> pd.DataFrame | None:
        """The look-ahead's mean and band over replications (``lookahead.csv``), or None."""
        weekly = self.weekly()
        return None if weekly is None else lookahead_summary(weekly)

    def units(self) -> dict[str, str]:
        names = [name for r in self.replications for name in r.kpis]
        return kpi_units(self.roles, names)

    def notes(self) -> list[str]:
        return sorted({note for r in self.replications for note in r.notes})


def run_scenario(
    scenario: Scenario,
    replications: int | None = None,
    workers: int | None = None,
    keep_orders: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunOutputs:
    """Run every replication of ``scenario`` and gather the outputs."""
    n = replications or scenario.run.replications
    outputs = run_replications(scenario, n, workers or default_workers(n), keep_orders, progress)
    return RunOutputs(scenario, outputs)
