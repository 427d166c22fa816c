"""Read a result folder's files for the charts and reports, and check them: a run folder's CSV
files and manifest, and a sweep folder's manifest, results and indices.

The readers check that a file exists, parses and has the columns a chart needs, and raise
`ValueError` naming the file otherwise, so a damaged folder gives one clear message instead of
a traceback from deep inside matplotlib.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from twin.tables import LEAD_TIME_COLUMNS

#: Numeric columns of each file; text columns (``kpi``, ``unit``, ``date``) are checked apart.
_NUMERIC = {
    "summary.csv": ("mean", "std", "ci_low", "ci_high"),
    "daily.csv": (
        "replication",
        "day",
        "on_hand_units",
        "backlog_units",
        "receivables",
        "cash_balance",
        "payables",
        "working_capital",
    ),
    "lead_times.csv": LEAD_TIME_COLUMNS,
}


def read_run_csv(run_dir: Path, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Read one CSV result file and check it has `columns`.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder.
    name : str
        File name inside `run_dir`, e.g. ``"daily.csv"``.
    columns : sequence of str
        Columns the caller needs. Columns listed for `name` in the module's numeric table must
        parse as numbers; ``date`` must parse as ISO dates.

    Returns
    -------
    pandas.DataFrame
        The table; ``date`` (if present) converted to datetimes, ``unit`` (if present) with
        empty cells as ``""``.

    Raises
    ------
    ValueError
        If the file is missing, unreadable, empty, lacks a column or holds a non-number where a
        number belongs. The message starts with the file path.
    """
    path = Path(run_dir) / name
    if not path.is_file():
        raise ValueError(f"{path}: result file is missing")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read as CSV ({error})") from error
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise ValueError(f"{path}: has no rows")
    for column in _NUMERIC.get(name, ()):
        if column in frame.columns:
            try:
                frame[column] = pd.to_numeric(frame[column])
            except (TypeError, ValueError) as error:
                raise ValueError(f"{path}: column {column} is not numeric ({error})") from error
    if "date" in frame.columns:
        try:
            frame["date"] = pd.to_datetime(frame["date"], format="ISO8601")
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: column date is not ISO dates ({error})") from error
    if "unit" in frame.columns:
        frame["unit"] = frame["unit"].fillna("").astype(str)
    return frame


def read_manifest(run_dir: Path, keys: Sequence[str] = ("warmup_days",)) -> dict[str, Any]:
    """Read ``manifest.json`` and check it has `keys`.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder.
    keys : sequence of str
        Keys the caller needs.

    Returns
    -------
    dict
        The manifest as written by the run.

    Raises
    ------
    ValueError
        If the file is missing, not a JSON object, or lacks one of `keys`.
    """
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        raise ValueError(f"{path}: result file is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: is not valid JSON ({error})") from error
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: must hold a JSON object")
    missing = [key for key in keys if key not in manifest]
    if missing:
        raise ValueError(f"{path}: missing key(s) {', '.join(missing)}")
    return manifest


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


def read_sweep(folder: Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The manifest, results and sensitivity tables of a sweep folder.

    Raises
    ------
    ValueError
        A file is missing or unreadable; the message names it.
    """
    folder = Path(folder)
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: manifest is missing") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error
    tables = []
    for name in ("results.csv", "sensitivity.csv"):
        try:
            tables.append(pd.read_csv(folder / name, dtype={"error": "string"}))
        except FileNotFoundError:
            raise ValueError(f"{folder / name}: result file is missing") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise ValueError(f"{folder / name}: cannot be read as CSV ({error})") from error
    results, sensitivity = tables
    if "error" not in results.columns:
        raise ValueError(f"{folder / 'results.csv'}: missing column error")
    results["error"] = results["error"].fillna("").astype(str)
    return manifest, results, sensitivity
