"""The runner of every experiment: jobs through an executor and the result store, outcomes in
job order.

:class:`JobRunner` decides where jobs run (an :mod:`twin.experiments.executors` executor), skips
those already in the result store, and returns outcomes in job order, so results never depend on
the executor or on completion order.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from twin.experiments.executors import SerialExecutor
from twin.experiments.jobs import Failure, Job


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
        owns it (enters and closes it); ``twin.commands.options.make_runner`` does.
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
