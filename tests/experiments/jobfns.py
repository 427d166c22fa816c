"""Job functions of the executor, store and resume tests.

They live in a module of their own so that worker processes (forked, spawned or Dask) can import
them by name; pytest puts this folder on ``sys.path`` when it collects the tests beside it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from twin.experiments.executors import make_executor
from twin.experiments.jobs import Job
from twin.experiments.replicate import ReplicationOutput, SimulationTask, replication_job, simulate
from twin.experiments.runner import JobRunner
from twin.experiments.store import ResultStore
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"


def small(*overrides: str) -> Scenario:
    """The CLI tests' small scenario, 20 days by default."""
    return load(Scenario, SMALL, ["run.horizon_days=20", *overrides])


def square(x: int) -> int:
    return x * x


def explode(x: int) -> int:
    raise ValueError(f"point {x} is bad")


def unpicklable(x: int) -> object:
    return lambda: x  # a result that cannot travel back from a worker process


def crash(x: int) -> int:
    os._exit(3)  # a worker process dying under the pool


def counted(arg: tuple[str, int]) -> int:
    """``x * x``, appending ``x`` to the file ``path`` (calls are counted across processes)."""
    path, x = arg
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{x}\n")
    return x * x


def calls(path: Path) -> list[int]:
    """The arguments :func:`counted` was called with, in call order."""
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def slow_simulate(arg: tuple[SimulationTask, float]) -> ReplicationOutput:
    """:func:`simulate`, then a pause, so a test can kill a run between two jobs."""
    task, pause_s = arg
    output = simulate(task)
    time.sleep(pause_s)
    return output


def sweep_jobs(pause_s: float = 0.0, points: int = 4, replications: int = 3) -> list[Job]:
    """A sweep-like list: ``points`` order-desk headcounts × ``replications`` replications."""
    jobs = []
    for headcount in range(1, points + 1):
        scenario = small(f"staffing.order_desk.headcount={headcount}")
        for r in range(replications):
            job = replication_job(scenario, r)
            jobs.append(Job(job.key, slow_simulate, (job.arg, pause_s)) if pause_s else job)
    return jobs


def run_sweep(store_folder: str, pause_s: float) -> None:
    """Run :func:`sweep_jobs` on one worker into the store (the process a test kills)."""
    with ResultStore(Path(store_folder)) as store, make_executor(1, None) as executor:
        JobRunner(executor, store).run(sweep_jobs(pause_s))


if __name__ == "__main__":
    run_sweep(sys.argv[1], float(sys.argv[2]))
