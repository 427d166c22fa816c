"""A progress bar for a list of jobs: done/total and the time remaining, on stderr; every command
that runs jobs shows this one.

:class:`ProgressBar` is the ``progress(done, total)`` callback of a
:class:`~twin.experiments.runner.JobRunner`. Jobs read back from the result store arrive in one
first call; the bar starts its clock after it, so the time remaining is estimated from the jobs
actually run. The bar is transient (gone when the jobs are), and ``quiet`` turns it off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import TaskID

#: Seconds of recent completions the remaining time is estimated from; replications take
#: seconds to minutes, so rich's default of 30 s would often see only one.
SPEED_WINDOW_S = 300.0


class ProgressBar:
    """``with ProgressBar("sweep") as bar: runner = JobRunner(progress=bar)``."""

    def __init__(self, label: str = "jobs", quiet: bool = False) -> None:
        # here, not at import: rich's progress machinery is only needed once jobs run
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.label = label
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=Console(stderr=True, quiet=quiet),
            transient=True,
            speed_estimate_period=SPEED_WINDOW_S,
            disable=quiet,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` jobs finished."""
        if self._task is None:
            # the first call carries the jobs found in the store: not part of the speed
            self._task = self._progress.add_task(self.label, total=total, completed=done)
            return
        self._progress.update(self._task, completed=done, total=total)
