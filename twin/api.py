"""The Python API for notebooks: ``twin.run``, ``twin.compare``, ``twin.sweep``, ``twin.calibrate``,
``twin.backtest`` and ``twin.template``, each returning the tables of its folder as DataFrames.

Each function runs the command of the same name (``twin.commands``) with the arguments it is
given, so a notebook gets exactly what ``twin run ...`` writes, with no second implementation to
drift: the command writes its folder (``out=``, or a temporary folder removed afterwards), and
the folder's tables are read back into a :class:`Results`::

    import twin
    r = twin.run("scenarios/baseline.yaml", replications=5, overrides={"run.horizon_days": 120})
    r.summary            # one row per KPI: mean, std, ci_low, ci_high, unit
    r.kpis, r.daily      # per replication; per replication and day

Bad input raises :class:`twin.errors.InputError` with the message the command would print (the
command line's exit code 2); what the command prints is kept in ``Results.log``. ``overrides``
is a mapping of key paths to values (``{"promotions[spring-tools].discount": 0.2}``), each passed
as ``--set key=value`` with the value written as YAML.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

PathLike = str | Path


@dataclass(frozen=True)
class Results:
    """The tables a command wrote, as DataFrames by file name: ``r.kpis`` is ``kpis.csv``.

    Attributes
    ----------
    command : str
        The command that ran (``run``, ``compare``, ...).
    tables : dict of str to pandas.DataFrame
        Every CSV file at the top of the folder, by name without ``.csv``; a ``date`` column is
        read as dates. Also reachable as attributes: ``r.summary``, ``r.comparison``.
    manifest : dict
        ``manifest.json`` of the folder (empty when the command writes none).
    folder : pathlib.Path or None
        The folder the command wrote (``out=``); None when a temporary folder was used.
    exit_code : int
        0, or 1 when the command judged a check or tolerance missed (``backtest``).
    log : str
        What the command printed (its summary table, notes and warnings).
    """

    command: str
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None
    exit_code: int = 0
    log: str = ""

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(
            f"{self.command} wrote no table {name!r}; its tables: {', '.join(sorted(tables))}"
        )

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.tables})

    def __repr__(self) -> str:
        where = self.folder if self.folder is not None else "a temporary folder"
        return f"Results({self.command}: {', '.join(sorted(self.tables))}; from {where})"


def run(
    scenario: PathLike,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    set_files: Sequence[PathLike] = (),
    out: PathLike | None = None,
    report: bool = False,
    orders: bool = False,
    workers: int | None = None,
) -> Results:
    """``twin run``: simulate a scenario's replications.

    Parameters
    ----------
    scenario : path
        The scenario file.
    replications, seed : int, optional
        Override ``run.replications`` and ``run.seed``.
    overrides : mapping, optional
        Key path -> value, as ``--set`` (e.g. ``{"run.horizon_days": 90}``).
    set_files : sequence of path
        Lever workbooks (``--set-file``, written by :func:`template`), set before `overrides`.
    out : path, optional
        The run folder to write and keep; default: a temporary folder, removed.
    report : bool
        Also draw the charts and ``report.pdf`` (slow; only useful with `out`).
    orders : bool
        Also write the per-order log (``orders.parquet``; not read into `tables`).
    workers : int, optional
        Local processes (default: all cores, at most one per replication).

    Returns
    -------
    Results
        ``kpis`` (one row per replication), ``summary`` (one row per KPI, with its 95 %
        interval and unit), ``daily`` (levels per replication and day), ``lead_times``,
        ``warmup``; columns in docs/results.md.
    """
    args: list[Any] = [scenario, "--quiet"]
    args += _option("--replications", replications) + _option("--seed", seed)
    args += _sets(overrides)
    for file in set_files:
        args += ["--set-file", file]
    args += [] if report else ["--no-report"]
    args += ["--orders"] if orders else []
    args += _option("--workers", workers)
    return _in_folder("run", args, out)


def compare(
    base: PathLike,
    variants: Sequence[str] = (),
    *,
    replications: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    best: str = "profit",
    confidence: float = 0.95,
    out: PathLike | None = None,
    report: bool = False,
    workers: int | None = None,
) -> Results:
    """``twin compare``: a base scenario and its variants on common random numbers.

    `variants` are names in the base's ``variants:`` section or other scenario files (none:
    every variant of the base). Returns ``comparison`` (paired differences to the base),
    ``ranking`` (by `best`), ``kpis``, ``daily`` and the folder's other tables (docs/compare.md).
    """
    args: list[Any] = [base, *variants]
    args += _option("--replications", replications) + _sets(overrides)
    args += ["--best", best, "--confidence", confidence, "--quiet"]
    args += ([] if report else ["--no-report"]) + _option("--workers", workers)
    return _in_folder("compare", args, out)


def sweep(
    sweep_file: PathLike,
    *,
    overrides: Mapping[str, Any] | None = None,
    out: PathLike | None = None,
    report: bool = False,
    workers: int | None = None,
) -> Results:
    """``twin sweep``: a sensitivity sweep over a scenario's parameters.

    `overrides` set keys of the sweep file; a key starting ``set.`` sets the base scenario
    (``{"set.run.horizon_days": 60}``). Returns ``design``, ``results`` and ``sensitivity``
    (docs/sweeps.md).
    """
    args: list[Any] = [sweep_file, *_sets(overrides), "--quiet"]
    args += ([] if report else ["--no-report"]) + _option("--workers", workers)
    return _in_folder("sweep", args, out)


def calibrate(
    source: str | Path,
    mapping: PathLike,
    out: PathLike,
    *,
    name: str | None = None,
    as_of: dt.date | str | None = None,
    until: dt.date | str | None = None,
    strict: bool = False,
) -> Results:
    """``twin calibrate``: fit a scenario base from the ERP/CRM history in `source` (a folder or
    a database URL) into the model folder `out` (kept: it is the product). Returns
    ``fit_report`` and ``quality`` (docs/calibration.md); ``folder / "model.yaml"`` is the base a
    scenario ``extends:``."""
    args: list[Any] = [source, "--mapping", mapping]
    args += _option("--name", name) + _option("--as-of", _day(as_of))
    args += _option("--until", _day(until)) + (["--strict"] if strict else [])
    return _in_folder("calibrate", args, out)


def backtest(
    source: str | Path,
    mapping: PathLike,
    *,
    out: PathLike | None = None,
    origins: Sequence[dt.date | str] = (),
    n_origins: int | None = None,
    horizon_weeks: int = 13,
    replications: int = 20,
    seed: int | None = None,
    workers: int | None = None,
    as_of: dt.date | str | None = None,
) -> Results:
    """``twin backtest``: calibrate before each origin and score the weeks after.

    Returns ``backtest`` (per origin and week) and ``summary`` (scores over origins);
    ``exit_code`` is 1 when a default tolerance is missed (docs/backtest.md).
    """
    args: list[Any] = [source, "--mapping", mapping]
    if origins:
        args += ["--origins", ",".join(_day(o) or "" for o in origins)]
    args += _option("--n-origins", n_origins)
    args += ["--horizon-weeks", horizon_weeks, "--replications", replications]
    args += _option("--seed", seed) + _option("--workers", workers)
    args += _option("--as-of", _day(as_of))
    return _in_folder("backtest", args, out)


def template(
    scenario: PathLike, out: PathLike, *, overrides: Mapping[str, Any] | None = None
) -> Path:
    """``twin template``: write the scenario's lever keys as an Excel workbook at `out`, to edit
    and pass to :func:`run` as ``set_files``; returns its path."""
    _invoke("template", [scenario, "--out", out, *_sets(overrides)])
    return Path(out)


# ---- running a command and reading its folder ----------------------------------------------


def _in_folder(command: str, args: list[Any], out: PathLike | None) -> Results:
    """Run `command` writing into `out` (or a temporary folder) and read the folder's tables."""
    if out is not None:
        code, log = _invoke(command, [*args, "--out", out])
        return _read(command, Path(out), Path(out), code, log)
    with tempfile.TemporaryDirectory(prefix=f"twin-{command}-") as scratch:
        folder = Path(scratch) / command
        code, log = _invoke(command, [*args, "--out", folder])
        return _read(command, folder, None, code, log)


def _invoke(name: str, args: list[Any]) -> tuple[int, str]:
    """Run ``twin NAME ARGS`` in this process; (exit code, what it printed)."""
    import click

    from twin.cli import COMMANDS, load_command

    command = load_command(name, COMMANDS[name][0])
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            code = command.main(
                [str(arg) for arg in args], prog_name=f"twin {name}", standalone_mode=False
            )
    except click.ClickException as exc:  # an option out of range, a missing argument
        raise InputError(f"twin.{name}: {exc.format_message()}") from None
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    return int(code or 0), printed.getvalue()


def _read(command: str, folder: Path, kept: Path | None, code: int, log: str) -> Results:
    import pandas as pd

    tables = {}
    for path in sorted(folder.glob("*.csv")):
        table = pd.read_csv(path)
        if "date" in table.columns:
            table["date"] = pd.to_datetime(table["date"])
        tables[path.stem] = table
    manifest_file = folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text("utf-8")) if manifest_file.is_file() else {}
    return Results(command, tables, manifest, kept, code, log)


def _option(flag: str, value: Any) -> list[Any]:
    return [] if value is None else [flag, value]


def _sets(overrides: Mapping[str, Any] | None) -> list[str]:
    """``--set key=value`` arguments, each value written as YAML (``[1, 2]``, ``2027-04-05``)."""
    if overrides is None:
        return []
    if not isinstance(overrides, Mapping):
        raise InputError(
            "overrides: expected a mapping of key paths to values, e.g. "
            "{'run.horizon_days': 90, 'promotions[spring-tools].discount': 0.2}"
        )
    args = []
    for key, value in overrides.items():
        args += ["--set", f"{key}={_yaml(value)}"]
    return args


def _yaml(value: Any) -> str:
    import yaml

    try:
        text = yaml.safe_dump(_plain(value), default_flow_style=True, width=10**9)
    except yaml.YAMLError as exc:
        raise InputError(
            f"overrides: {value!r} cannot be written as a scenario value ({exc})"
        ) from None
    return text.strip().removesuffix("...").strip()


def _plain(value: Any) -> Any:
    """numpy scalars and tuples as plain Python, so YAML can write them."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _day(value: dt.date | str | None) -> str | None:
    return value.isoformat()[:10] if isinstance(value, dt.date) else value
