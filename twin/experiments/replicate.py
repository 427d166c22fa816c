"""Run the replications of a scenario, serially or on local processes, with identical results.

Each replication is a pure function of (scenario, replication number): its random streams come
from ``SeedSequence(seed, spawn_key=(replication, ...))``, so it can run alone on any worker and
the results do not depend on the executor or the number of workers. Results are always returned
in replication order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from twin.kpis import compute_kpis, daily_levels, kpi_units, lead_time_quantiles
from twin.model.network import run_replication
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


def run_one(scenario: Scenario, replication: int, keep_orders: bool = False) -> ReplicationOutput:
    """Simulate one replication and reduce it to KPIs, daily levels and lead-time quantiles."""
    result = run_replication(scenario, replication)
    orders = None
    if keep_orders:
        orders = result.tables["orders"].copy()
        orders.insert(0, "replication", replication)
        orders["segment"] = orders["segment"].map(dict(enumerate(result.segments)))
    return ReplicationOutput(
        replication=replication,
        seed=result.seed,
        kpis=compute_kpis(result, scenario.costs),
        daily=daily_levels(result),
        lead_times=lead_time_quantiles(result),
        orders=orders,
        notes=result.notes,
    )


def _run_one_packed(args: tuple[Scenario, int, bool]) -> ReplicationOutput:
    return run_one(*args)


def default_workers(replications: int) -> int:
    """All cores, but no more processes than replications."""
    return max(1, min(os.cpu_count() or 1, replications))


def iter_replications(
    scenario: Scenario, replications: int, workers: int = 1, keep_orders: bool = False
) -> Iterator[ReplicationOutput]:
    """Yield the outputs of replications 0..replications-1, in order."""
    jobs = [(scenario, r, keep_orders) for r in range(replications)]
    if workers <= 1 or replications <= 1:
        for job in jobs:
            yield _run_one_packed(job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_run_one_packed, jobs)


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
    progress: Callable[[ReplicationOutput], None] | None = None,
) -> RunOutputs:
    """Run every replication of ``scenario`` and gather the outputs."""
    n = replications or scenario.run.replications
    outputs = []
    for output in iter_replications(scenario, n, workers or default_workers(n), keep_orders):
        outputs.append(output)
        if progress is not None:
            progress(output)
    return RunOutputs(scenario, outputs)
