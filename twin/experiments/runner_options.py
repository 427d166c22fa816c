"""The command-line options of every experiment command, and the runner they describe.

``@executor_options`` adds ``--workers``, ``--scheduler``, ``--fresh`` and ``--quiet`` to a click
command (as the keyword arguments ``workers``, ``scheduler``, ``fresh`` and ``quiet``), and
:func:`make_runner` turns them into a :class:`~twin.experiments.jobs.JobRunner` with its
executor, its result store in ``OUT_DIR/.store`` and a progress bar::

    @click.command()
    @executor_options
    def sweep(..., workers, scheduler, fresh, quiet):
        with make_runner(out_dir, workers, scheduler, fresh, quiet, label="sweep") as runner:
            outcomes = runner.run(jobs)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from twin.experiments.executors import make_executor
from twin.experiments.jobs import JobRunner
from twin.experiments.progress import ProgressBar
from twin.experiments.store import ResultStore

STORE_FOLDER = ".store"

F = TypeVar("F", bound=Callable[..., Any])


def executor_options(command: F) -> F:
    """Add ``--workers``, ``--scheduler``, ``--fresh`` and ``--quiet`` to a click command."""
    options = [
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            help="Local processes (default: all cores; 1 runs in this process).",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run on the Dask scheduler at tcp://HOST:PORT, or `local` for a Dask cluster "
            "on this machine (needs pip install 'twin[dask]').",
        ),
        click.option(
            "--fresh",
            is_flag=True,
            help="Ignore the results stored in OUT/.store and overwrite them.",
        ),
        click.option("--quiet", is_flag=True, help="No progress bar."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@contextmanager
def make_runner(
    out_dir: Path,
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    quiet: bool = False,
    label: str = "jobs",
) -> Iterator[JobRunner]:
    """A runner on the executor the options ask for, storing in ``out_dir / ".store"``.

    The executor (its processes or cluster), the store and the progress bar are closed when the
    ``with`` block ends, also on an error or Ctrl-C; whatever finished by then stays stored.
    """
    with ExitStack() as stack:
        # the store first: a stale one is refused before any process or cluster starts
        store = stack.enter_context(ResultStore(Path(out_dir) / STORE_FOLDER, fresh=fresh))
        executor = stack.enter_context(make_executor(workers, scheduler))
        progress = stack.enter_context(ProgressBar(label, quiet=quiet))
        yield JobRunner(executor, store, progress)
