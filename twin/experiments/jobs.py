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
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from twin.errors import InputError
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
    """A job that raised: its key, the exception's one-line message and the traceback.

    ``bad_input`` marks an :class:`~twin.errors.InputError` (say, a replay file read when the
    replication builds): the planner's to fix, not a bug.
    """

    key: str
    error: str
    traceback: str = ""
    bad_input: bool = False


def raise_bad_input(outcomes: Sequence[Any]) -> None:
    """Raise the first outcome that failed on bad input as :class:`InputError`.

    A data file the scenario names (a replay file, say) is read when a replication builds, so its
    problems surface inside a job; they are the planner's to fix in every job alike, so the
    experiment stops with their message (exit 2) rather than recording every point as failed.
    """
    for outcome in outcomes:
        if isinstance(outcome, Failure) and outcome.bad_input:
            raise InputError(outcome.error.removeprefix("InputError: "))


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
    if keep_orders:  # an outcome with the orders table is another outcome
        key += "-orders"
    return Job(key, simulate, SimulationTask(scenario, replication, keep_orders))


@dataclass
class RunStats:
    """What the last :meth:`JobRunner.run` did: jobs, how many came from the store, how many ran
    and failed, its wall time and the time spent inside the job functions (seconds)."""

    jobs: int = 0
    stored: int = 0
    ran: int = 0
    failed: int = 0
    wall_seconds: float = 0.0
    job_seconds: float = 0.0


class JobRunner:
    """Runs jobs on an executor, through an optional result store, with optional progress.

    ``run(jobs)`` returns one outcome per job, in job order: the function's return value, or a
    :class:`Failure` when it raised (the other jobs go on).

    Parameters
    ----------
    executor
        A :mod:`twin.experiments.executors` executor (default: a ``SerialExecutor``). The caller
        owns it (enters and closes it); ``twin.experiments.runner_options.make_runner`` does.
    store
        A :class:`twin.experiments.store.ResultStore`, or None. A job whose key has a stored
        outcome is not run again; every outcome, or failure, is stored as soon as it arrives.
        Failed jobs are run again.
    progress
        ``progress(done, total)``, called once before anything runs (``done`` = the jobs found in
        the store) and after each finished job.

    Jobs that share a key (two variants that differ only in name) run once and share the
    outcome.
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
        self.stats = RunStats()

    def run(self, jobs: Sequence[Job]) -> list[Any]:
        from twin.experiments.executors import SerialExecutor  # it imports this module

        start = time.perf_counter()
        total = len(jobs)
        outcomes: list[Any] = [None] * total
        indices: dict[str, list[int]] = {}  # key -> the jobs with it, in job order
        for index, job in enumerate(jobs):
            indices.setdefault(job.key, []).append(index)
        todo: list[tuple[int, Job]] = []
        done = 0
        for key, same in indices.items():
            if self.store is not None and key in self.store:
                outcome = self.store.get(key)
                for index in same:
                    outcomes[index] = outcome
                done += len(same)
            else:
                todo.append((same[0], jobs[same[0]]))
        stats = RunStats(jobs=total, stored=done)
        if self.progress is not None:
            self.progress(done, total)
        executor = self.executor if self.executor is not None else SerialExecutor()
        seconds_before = executor.job_seconds
        for first, outcome in executor.run(todo) if todo else ():  # nothing to start for none
            key = jobs[first].key
            if self.store is not None:
                outcome = _stored(self.store, key, outcome)
            stats.ran += 1
            stats.failed += isinstance(outcome, Failure)
            for index in indices[key]:
                outcomes[index] = outcome
            done += len(indices[key])
            if self.progress is not None:
                self.progress(done, total)
        stats.job_seconds = executor.job_seconds - seconds_before
        stats.wall_seconds = time.perf_counter() - start
        self.stats = stats
        return outcomes


def _stored(store: Any, key: str, outcome: Any) -> Any:
    """Put ``outcome`` in ``store``; an outcome that cannot be pickled is stored as a Failure."""
    try:
        store.put(key, outcome)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        outcome = Failure(key, f"the outcome cannot be stored: {type(exc).__name__}: {exc}")
        store.put_failure(outcome)
    return outcome
