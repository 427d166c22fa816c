"""Where jobs run: in this process, on local processes, or on a Dask cluster.

Every executor is a context manager with one method, ``run(items)``, that takes ``(index, job)``
pairs and yields ``(index, outcome)`` pairs as jobs complete, in completion order; the
:class:`~twin.experiments.runner.JobRunner` puts them back in job order. A job runs through
:func:`run_job` wherever it runs, so an exception inside it becomes a
:class:`~twin.experiments.jobs.Failure` (its message and traceback) in the worker and the other
jobs go on. A crashed worker process is a bug, not a bad point, and is raised.

Each executor adds up ``job_seconds``, the time spent inside the job functions (measured in the
workers), so the cost of the machinery around them can be measured.

No worker outlives its command. A :class:`ProcessExecutor` worker starts with
:func:`die_with_parent`: on Linux it asks the kernel (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to
kill it the moment the process that started it ends, however that ends, even by ``SIGKILL``,
which runs no clean-up in the parent; elsewhere a daemon thread checks every
:data:`PARENT_CHECK_S` seconds whether the worker has been handed to another parent, and ends it
if so. Either way a killed ``twin sweep`` leaves no worker running on (its finished jobs are in
the result store, so the next run resumes).

Dask is an optional extra (``pip install 'twin[dask]'``) and is imported only when asked for.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from twin.errors import InputError
from twin.experiments.jobs import Failure, Job

#: Seconds to wait for a Dask scheduler to answer before calling it unreachable.
CONNECT_TIMEOUT_S = 10.0

#: Jobs in flight per worker: enough to keep every worker busy while results travel back, few
#: enough that a long list of jobs is not all pickled and queued up front.
IN_FLIGHT_PER_WORKER = 2


#: Seconds between a worker's checks that its parent is alive, where the kernel cannot tell it.
PARENT_CHECK_S = 0.5

#: ``PR_SET_PDEATHSIG`` of ``<linux/prctl.h>``.
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """End this worker process when the process that started it ends (a pool initializer)."""
    parent = os.getppid()
    if sys.platform.startswith("linux") and _kernel_kills_orphan():
        if os.getppid() != parent:  # the parent died before the kernel was asked
            os._exit(1)
        return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _kernel_kills_orphan() -> bool:
    """Ask Linux to send this process SIGKILL when its parent ends; False if it cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)  # orphaned: the command is gone, nobody will read this worker's results


class Executor(Protocol):
    """What the runner needs of an executor (all three below are context managers too)."""

    workers: int
    job_seconds: float

    def run(self, items: Iterable[tuple[int, Job]]) -> Iterator[tuple[int, Any]]: ...


def run_job(job: Job) -> tuple[Any, float]:
    """``job.fn(job.arg)`` and its wall time in seconds; an exception becomes a Failure."""
    start = time.perf_counter()
    try:
        outcome = job.fn(job.arg)
    except Exception as exc:  # a failing point is recorded; the rest go on
        outcome = Failure(
            job.key,
            f"{type(exc).__name__}: {exc}",
            traceback.format_exc(),
            bad_input=isinstance(exc, InputError),
        )
    return outcome, time.perf_counter() - start


def cores() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)


class SerialExecutor:
    """Runs each job in the calling process, one after the other, in job order."""

    workers = 1

    def __init__(self) -> None:
        self.job_seconds = 0.0

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, items: Iterable[tuple[int, Job]]) -> Iterator[tuple[int, Any]]:
        for index, job in items:
            outcome, seconds = run_job(job)
            self.job_seconds += seconds
            yield index, outcome


class ProcessExecutor:
    """Runs jobs on ``workers`` local processes (``concurrent.futures.ProcessPoolExecutor``).

    At most :data:`IN_FLIGHT_PER_WORKER` × ``workers`` jobs are submitted at a time; outcomes are
    yielded as they complete. The pool starts at the first job, so a runner whose jobs are all in
    the store starts no process.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise InputError(f"--workers {workers}: give a number of processes of at least 1")
        self.workers = workers
        self.job_seconds = 0.0
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes; queued jobs are cancelled."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, items: Iterable[tuple[int, Job]]) -> Iterator[tuple[int, Any]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=die_with_parent)
        pool = self._pool
        todo = iter(items)
        running: dict[Future, tuple[int, Job]] = {}
        limit = IN_FLIGHT_PER_WORKER * self.workers
        while True:
            for index, job in todo:
                running[pool.submit(run_job, job)] = (index, job)
                if len(running) >= limit:
                    break
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index, job = running.pop(future)
                yield index, self._outcome(future, job)

    def _outcome(self, future: Future, job: Job) -> Any:
        exc = future.exception()
        if exc is None:
            outcome, seconds = future.result()
            self.job_seconds += seconds
            return outcome
        if isinstance(exc, Exception) and not isinstance(exc, BrokenProcessPool):
            # the job or its outcome could not cross the process boundary (pickling)
            text = "".join(traceback.format_exception(exc))
            return Failure(job.key, f"{type(exc).__name__}: {exc}", text)
        raise exc  # a worker died (BrokenProcessPool), or Ctrl-C: the run stops, not the point


class DaskExecutor:
    """Runs jobs on a Dask distributed cluster: the scheduler at ``address``, or a local cluster.

    ``address=None`` starts a ``distributed.LocalCluster`` of ``workers`` processes with one
    thread each (a replication pauses the garbage collector of its process, so two must not share
    one), started at the first job. A scheduler is connected to on entering; an unreachable one
    is bad input.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        connect_timeout: float | None = None,
    ) -> None:
        self.address = address
        self.workers = workers or cores()
        self.connect_timeout = CONNECT_TIMEOUT_S if connect_timeout is None else connect_timeout
        self.job_seconds = 0.0
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        if self.address is None:
            _import_distributed()  # the local cluster starts at the first job
        else:
            self.connect()  # an unreachable scheduler is reported before anything runs
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Start the local cluster or connect to the scheduler (once)."""
        if self._client is not None:
            return
        distributed = _import_distributed()
        if self.address is None:
            self._cluster = distributed.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: nothing to clash with
                scheduler_kwargs={"dashboard": False},
                silence_logs=40,  # logging.ERROR: no worker chatter on the planner's terminal
            )
            self._client = distributed.Client(self._cluster)
            return
        try:
            self._client = distributed.Client(self.address, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"--scheduler {self.address}: no Dask scheduler answered within "
                f"{self.connect_timeout:g} s ({exc}); start one (`dask scheduler`, then "
                "`dask worker ADDRESS --nthreads 1`) and give its address as tcp://HOST:PORT, "
                "or use --scheduler local for a cluster on this machine"
            ) from None
        self.workers = max(1, sum(self._client.nthreads().values()))

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started it."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def run(self, items: Iterable[tuple[int, Job]]) -> Iterator[tuple[int, Any]]:
        self.connect()
        distributed = _import_distributed()
        client = self._client
        todo = iter(items)
        index_of: dict[str, int] = {}
        pending = distributed.as_completed()

        def submit_next() -> None:
            item = next(todo, None)
            if item is not None:
                future = client.submit(run_job, item[1], pure=False)
                index_of[future.key] = item[0]
                pending.add(future)

        for _ in range(IN_FLIGHT_PER_WORKER * self.workers):
            submit_next()
        for future in pending:
            outcome, seconds = future.result()  # a lost worker raises here: not a bad point
            index = index_of.pop(future.key)
            future.release()
            self.job_seconds += seconds
            submit_next()
            yield index, outcome


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(
            "--scheduler: Dask is not installed; install the extra with "
            "`pip install 'twin[dask]'`, or leave out --scheduler to run on local processes"
        ) from None
    return distributed


def make_executor(
    workers: int | None = None, scheduler: str | None = None
) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """The executor that ``--workers`` and ``--scheduler`` ask for.

    No scheduler: one process gives a :class:`SerialExecutor`, more a :class:`ProcessExecutor`
    (default: all cores). ``scheduler="local"``: a local Dask cluster of ``workers`` processes.
    ``scheduler="tcp://HOST:PORT"``: that scheduler's workers (``workers`` must then be left out).
    """
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: give a number of processes of at least 1")
    if scheduler is None:
        n = cores() if workers is None else workers
        return SerialExecutor() if n == 1 else ProcessExecutor(n)
    if scheduler == "local":
        return DaskExecutor(None, workers)
    if "://" not in scheduler:
        raise InputError(
            f"--scheduler {scheduler}: expected the address of a Dask scheduler as "
            "tcp://HOST:PORT, or `local` for a Dask cluster on this machine"
        )
    if workers is not None:
        raise InputError(
            f"--workers {workers} with --scheduler {scheduler}: the scheduler's workers run the "
            "jobs; leave out --workers (start more Dask workers instead), or use --scheduler local"
        )
    return DaskExecutor(scheduler)
