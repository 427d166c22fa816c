"""The command-line options the ``twin`` commands share, and the runner the executor options make.

Each option is written once here; a command passes its own help text where the meaning differs
(``--out`` is a run folder for ``run``, a comparison folder for ``compare``). ``@executor_options``
adds ``--workers``, ``--scheduler``, ``--fresh`` and ``--quiet`` to an experiment command (as the
keyword arguments ``workers``, ``scheduler``, ``fresh`` and ``quiet``), and :func:`make_runner`
turns them into a :class:`~twin.experiments.runner.JobRunner` with its executor, its result store
in ``OUT_DIR/.store`` and a progress bar::

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
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from twin.experiments.runner import JobRunner

STORE_FOLDER = ".store"

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


def out_option(help: str | None = None, **extra: Any) -> Decorator:
    """``--out`` (the keyword argument ``out_dir``): the folder a command writes."""
    return click.option("--out", "out_dir", type=click.Path(path_type=Path), help=help, **extra)


def set_option(help: str) -> Decorator:
    """``--set KEY.PATH=VALUE``, repeatable (the keyword argument ``overrides``)."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help=help)


def set_file_option(help: str) -> Decorator:
    """``--set-file LEVERS.xlsx``, repeatable (the keyword argument ``set_files``): a lever
    workbook whose rows are set like ``--set``, before the ``--set`` overrides."""
    return click.option(
        "--set-file",
        "set_files",
        multiple=True,
        type=click.Path(path_type=Path, dir_okay=False),
        metavar="LEVERS.xlsx",
        help=help,
    )


def replications_option(help: str | None = None, **extra: Any) -> Decorator:
    """``--replications``, a whole number of at least 1."""
    return click.option("--replications", type=click.IntRange(min=1), help=help, **extra)


def workers_option(help: str) -> Decorator:
    """``--workers``, a number of local processes of at least 1."""
    return click.option("--workers", type=click.IntRange(min=1), help=help)


def quiet_option(help: str) -> Decorator:
    """``--quiet``: no progress bar (and, where a command prints one, no summary)."""
    return click.option("--quiet", is_flag=True, help=help)


def mapping_option() -> Decorator:
    """``--mapping`` (the keyword argument ``mapping_file``), required."""
    return click.option(
        "--mapping",
        "mapping_file",
        type=click.Path(path_type=Path),
        required=True,
        help="Mapping file from the source's tables onto the canonical history.",
    )


def as_of_option(help: str) -> Decorator:
    """``--as-of YYYY-MM-DD`` (the keyword argument ``as_of``): the date of a history extract."""
    return click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help=help)


def no_report_option(help: str) -> Decorator:
    """``--no-report``: skip the charts and the PDF."""
    return click.option("--no-report", is_flag=True, help=help)


FORMATS = ("table", "json")
"""The ``--format`` choices: a table for people, or one JSON document for machines."""


def format_option() -> Decorator:
    """``--format table|json`` (the keyword argument ``output_format``): with ``json`` the
    command prints one JSON document on standard output and sends everything else to stderr."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table: the summary for people; json: one JSON document on stdout for machines "
        "(progress and notes go to stderr).",
    )


def executor_options(command: F) -> F:
    """Add ``--workers``, ``--scheduler``, ``--fresh`` and ``--quiet`` to a click command."""
    options = [
        workers_option("Local processes (default: all cores; 1 runs in this process)."),
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
        quiet_option("No progress bar."),
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
    # here, not at import: the executors and the store pull in the model and pandas, which a
    # command's --help and its bad input need not wait for
    from twin.commands.progress import ProgressBar
    from twin.experiments.executors import make_executor
    from twin.experiments.runner import JobRunner
    from twin.experiments.store import ResultStore

    with ExitStack() as stack:
        # the store first: a stale one is refused before any process or cluster starts
        store = stack.enter_context(ResultStore(Path(out_dir) / STORE_FOLDER, fresh=fresh))
        executor = stack.enter_context(make_executor(workers, scheduler))
        progress = stack.enter_context(ProgressBar(label, quiet=quiet))
        yield JobRunner(executor, store, progress)
