"""Jobs, the unit of work of every experiment, and the runner that executes them.

A *job* is one replication of one scenario (or, in tests, one evaluation of any picklable
function): a stable ``key``, a module-level function and its argument. Experiments (``compare``,
``sweep``, ``check``) only build jobs and read outcomes; the :class:`JobRunner` decides where jobs
run (an :mod:`twin.experiments.executors` executor), skips those already in the result store, and
returns outcomes in job order, so results never depend on the executor or on completion order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from twin.experiments.replicate import ReplicationOutput, run_one
from twin.scenario.schema import Scenario

#: Scenario keys that do not change what a replication computes, left out of its hash.
UNHASHED_KEYS = ("name", "description", "variants", "checks", "products_file")


@dataclass(frozen=True)
class Job:
    """One unit of work: ``fn(arg)``, stored under ``key``.

    ``fn`` must be a module-level function (picklable by reference) and ``arg`` picklable, so the
    job can run in another process or on a Dask worker.
    """

    key: str
    fn: Callable[[Any], Any]
    arg: Any


@dataclass(frozen=True)
class Failure:
    """A job that raised: its key, the exception's one-line message and the traceback."""

    key: str
    error: str
    traceback: str = ""


def scenario_hash(scenario: Scenario) -> str:
    """A stable hex digest of everything in ``scenario`` that changes a replication's results.

    Leaves out the name, description, variants, checks and ``run.replications``: two variants that
    differ only in name share their stored results, and adding replications reuses the first ones.
    """
    data = scenario.model_dump(mode="json", exclude=set(UNHASHED_KEYS))
    data["run"].pop("replications", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


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
    return Job(key, simulate, SimulationTask(scenario, replication, keep_orders))


class JobRunner:
    """Runs jobs on an executor, through an optional result store, with optional progress.

    ``run(jobs)`` returns one outcome per job, in job order: the function's return value, or a
    :class:`Failure` when it raised (the other jobs go on).

    This first version runs serially without a store; executors, the store and the progress bar
    plug in here without changing the signature.
    """

    def __init__(
        self,
        executor: Any = None,
        store: Any = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.executor = executor
        self.store = store
        self.progress = progress

    def run(self, jobs: Sequence[Job]) -> list[Any]:
        import traceback

        outcomes: list[Any] = []
        for done, job in enumerate(jobs, start=1):
            try:
                outcomes.append(job.fn(job.arg))
            except Exception as exc:  # a failing point is recorded; the rest go on
                outcomes.append(
                    Failure(job.key, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                )
            if self.progress is not None:
                self.progress(done, len(jobs))
        return outcomes
