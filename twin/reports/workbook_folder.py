"""The workbook of a result folder: every table the folder holds, one sheet each.

:func:`write_folder_workbook` reads the CSV tables a ``twin`` command has written into its folder
(run, compare, sweep, check, backtest, calibration or validation) and writes them, in the order
of :data:`TABLES`, into one ``.xlsx`` beside them (:func:`twin.reports.workbook.write_workbook`),
then the manifest as an ``About`` sheet. The CSV files stay the record; the workbook is the same
numbers for people, with units in the headers, number formats and the KPIs' plain labels.

Units come from the folder itself (the ``unit`` column of ``summary.csv``, ``comparison.csv`` and
``checks.csv``, a sweep manifest's ``units``), from the caller, from the known columns of
:data:`COLUMN_UNITS`, and from a column name's ending (``_days``, ``_units``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from twin.reports.kpi_words import KpiWords
from twin.reports.workbook import Sheet, write_workbook


class Table(NamedTuple):
    """A CSV file a folder may hold: its sheet and the columns formatted by each row's unit."""

    file: str
    sheet: str
    per_row: tuple[str, ...] = ()


#: The tables a workbook shows, in sheet order; files a folder does not hold are left out.
TABLES: tuple[Table, ...] = (
    Table(
        "summary.csv",
        "Summary",
        # a run's; a backtest's summary has its series' unit on each row too
        ("mean", "std", "ci_low", "ci_high", "actual_mean", "forecast_mean", "crps", "pinball"),
    ),
    Table(
        "comparison.csv",
        "Comparison",
        ("mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"),
    ),
    Table("ranking.csv", "Ranking"),
    Table("checks.csv", "Checks", ("target", "reference", "value", "bound")),
    Table("risk.csv", "Risk"),
    Table("points.csv", "Points"),
    Table("design.csv", "Design"),
    Table("results.csv", "Results per point"),
    Table("sensitivity.csv", "Sensitivity"),
    Table("kpis.csv", "KPIs per replication"),
    Table("lookahead.csv", "Look-ahead", ("mean", "band_low", "band_high")),
    Table("lookahead_replications.csv", "Look-ahead per replication"),
    Table("daily.csv", "Daily levels"),
    Table("lead_times.csv", "Lead times"),
    Table("warmup.csv", "Warm-up"),
    Table(
        "backtest.csv",
        "Backtest weeks",
        (
            *("actual", "forecast_mean", "p05", "p25", "p50", "p75", "p95", "baseline_value"),
            *("band90_low", "band90_high", "band50_low", "band50_high"),
        ),
    ),
    Table("validation.csv", "Validation"),
    Table("weekly.csv", "Weekly"),
    Table("fit_report.csv", "Fit report"),
    Table("quality.csv", "Data quality"),
)

#: Units of columns that are no KPI, by name.
COLUMN_UNITS: dict[str, str] = {
    "replication": "integer",
    "seed": "integer",
    "point": "integer",
    "day": "integer",
    "rank": "integer",
    "inventory_value": "currency",
    "receivables": "currency",
    "cash_balance": "currency",
    "payables": "currency",
    "working_capital": "currency",
    "open_orders": "orders",
    "quantile": "share",
    "p_meet": "share",
    "p_low": "share",
    "p_high": "share",
    "coverage_50": "share",
    "coverage_90": "share",
    "bias": "share",
    "mape": "share",
}

#: Units by the start of a column name (``queue_<role>``, ``busy_<role>`` of ``daily.csv``).
PREFIX_UNITS = (("queue_", "jobs"), ("busy_", "jobs"))

#: Units by the end of a column name.
SUFFIX_UNITS = (("_days", "days"), ("_units", "units"))

#: The columns of ``ranking.csv`` in the unit of the KPI it ranks on (the manifest's ``best``).
RANKED = ("mean", "ci_low", "ci_high", "diff_to_best", "diff_ci_low", "diff_ci_high")

#: Columns read as dates when they hold ISO dates.
DATE_COLUMNS = ("date", "week_start", "week_end", "origin")


def folder_units(folder: Path, manifest: Mapping[str, Any]) -> dict[str, str]:
    """The KPIs' units a folder states: its ``kpi, unit`` tables and its manifest's ``units``."""
    units: dict[str, str] = {}
    declared = manifest.get("units")
    if isinstance(declared, dict):
        units.update({str(k): str(v) for k, v in declared.items()})
    for name in ("summary.csv", "comparison.csv", "checks.csv"):
        path = folder / name
        if not path.is_file():
            continue
        frame = pd.read_csv(path, usecols=lambda c: c in ("kpi", "unit"))
        if {"kpi", "unit"} <= set(frame.columns):
            pairs = frame.dropna().drop_duplicates("kpi")
            kpis, kpi_units = pairs["kpi"].astype(str), pairs["unit"].astype(str)
            units.update(dict(zip(kpis, kpi_units, strict=True)))
    return units


def column_unit(column: str, units: Mapping[str, str]) -> str | None:
    """The unit of a column: stated, known, or told by its name; None when none applies."""
    if column in units:
        return units[column]
    if column in COLUMN_UNITS:
        return COLUMN_UNITS[column]
    for prefix, unit in PREFIX_UNITS:
        if column.startswith(prefix):
            return unit
    for suffix, unit in SUFFIX_UNITS:
        if column.endswith(suffix):
            return unit
    return None


def _read(path: Path) -> pd.DataFrame:
    """A result CSV with text kept as text and ISO date columns as dates."""
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read as CSV ({error})") from error
    for column in DATE_COLUMNS:
        if column in frame.columns and pd.api.types.is_string_dtype(frame[column].dtype):
            parsed = pd.to_datetime(frame[column], format="ISO8601", errors="coerce")
            if parsed.notna().sum() == frame[column].notna().sum():  # all dates, else text
                frame[column] = parsed
    return frame


def table_sheet(
    table: Table,
    frame: pd.DataFrame,
    units: Mapping[str, str],
    words: KpiWords | None,
    currency: str | None = None,
) -> Sheet:
    """The sheet of one table: each column's unit, and a KPI's label above its identifier."""
    column_units = {}
    headings = {}
    for column in map(str, frame.columns):
        unit = column_unit(column, units)
        if unit is not None and column not in table.per_row:
            column_units[column] = unit
        described = words.describe(column) if words else None
        if described is not None:
            headings[column] = described[0]
    if "kpi" in frame.columns and words is not None:  # a long table: label and definition
        texts = [words.describe(str(kpi)) or ("", "") for kpi in frame["kpi"]]
        at = list(frame.columns).index("kpi") + 1
        frame = frame.copy()
        frame.insert(at, "label", [label for label, _ in texts])
        frame["definition"] = [definition for _, definition in texts]
    row_unit = "unit" if "unit" in frame.columns and table.per_row else None
    return Sheet(
        table.sheet,
        frame,
        column_units,
        row_unit=row_unit,
        per_row=table.per_row if row_unit else (),
        headings=headings,
        currency=currency,
    )


def about_sheet(manifest: Mapping[str, Any]) -> Sheet:
    """The manifest as ``key, value`` rows; nested values written as JSON."""
    rows = [
        (key, value if isinstance(value, str | int | float) else json.dumps(value))
        for key, value in manifest.items()
    ]
    return Sheet("About", pd.DataFrame(rows, columns=["key", "value"], dtype=object))


def folder_sheets(
    folder: Path, units: Mapping[str, str] | None = None, words: KpiWords | None = None
) -> list[Sheet]:
    """The sheets of the tables `folder` holds, in :data:`TABLES` order, then ``About``."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    known = {**folder_units(folder, manifest), **(units or {})}
    currency = manifest.get("currency")  # the scenario's code (EUR), when it gives one
    ranking = dict(known)
    best = manifest.get("best")
    if isinstance(best, dict) and best.get("kpi") in known:  # ranking.csv is in that KPI's unit
        ranking.update(dict.fromkeys(RANKED, known[best["kpi"]]))
    sheets = [
        table_sheet(
            table,
            _read(folder / table.file),
            ranking if table.file == "ranking.csv" else known,
            words,
            currency if isinstance(currency, str) else None,
        )
        for table in TABLES
        if (folder / table.file).is_file()
    ]
    if manifest:
        sheets.append(about_sheet(manifest))
    return sheets


def write_folder_workbook(
    folder: Path,
    name: str,
    units: Mapping[str, str] | None = None,
    words: KpiWords | None = None,
) -> Path:
    """Write the workbook ``folder/name`` of the tables `folder` holds; return its path.

    Parameters
    ----------
    folder : pathlib.Path
        A result folder as written by a ``twin`` command (the staging folder while it writes).
    name : str
        The workbook's file name, e.g. ``"run.xlsx"``.
    units : mapping, optional
        KPI units the folder does not state (a check folder's KPIs outside its checks).
    words : KpiWords, optional
        The KPIs' plain labels and definitions.
    """
    return write_workbook(Path(folder) / name, folder_sheets(folder, units, words))
