"""Lever workbooks: a scenario's levers as an Excel sheet a planner edits, and read back.

``twin template SCENARIO --out levers.xlsx`` writes :func:`lever_rows` of a scenario with
:func:`write_template`: one row per lever key of the sections in :data:`LEVER_SECTIONS`, with
its key path, current value, unit, what it takes (type and bounds) and description, all from the
scenario's pydantic models. A named list entry is written by its name, so the rows read
``promotions[spring-tools].discount`` and ``staffing.warehouse.plan[2027-09-20].headcount``.

:func:`read_workbook` reads such a sheet back into ``(label, key path, value)`` triples, where the
label names the file, sheet, row and key; ``twin.scenario.overrides.apply_values`` (for
``--set-file``) and ``twin.scenario.yaml_source`` (for a scenario's ``overrides:`` key) set them
like ``--set``, so validation messages point at the row to fix. Every row with a key is used:
the workbook states the values of its keys, changed or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Union, get_origin

import yaml

from twin.errors import InputError
from twin.input_files import check_input_file
from twin.scenario.key_paths import Entry, KeyPath, entry_label, short_repr, split_key_path
from twin.scenario.planner_words import place, unit_of, unwrap, what_it_takes

if TYPE_CHECKING:
    from pydantic import BaseModel

#: The sections of a scenario whose keys are levers: policy, not fitted history (products,
#: suppliers and segments come from calibration and stay in the scenario file).
LEVER_SECTIONS = (
    "run",
    "inventory",
    "fulfilment",
    "staffing",
    "costs",
    "promotions",
    "credit",
    "after_sales",
    "customers",
    "cash",
    "report",
)

#: The sheet read and written, and its columns; only ``key`` and ``value`` are read.
SHEET = "levers"
COLUMNS = ("key", "value", "unit", "allowed", "description")
_WIDTHS = (48, 18, 10, 48, 80)

Value = Any
"""A cell's value as the workbook gives it back: a number, text, a bool, a date or None."""

#: The keys of a constant distribution, which a file writes as a plain number.
_CONSTANT = {"dist", "value"}


@dataclass(frozen=True)
class LeverRow:
    """One lever of a scenario: its key path as written in a workbook and what it holds."""

    key: str
    value: Value
    unit: str
    allowed: str
    description: str


def lever_rows(scenario: BaseModel, sections: tuple[str, ...] = LEVER_SECTIONS) -> list[LeverRow]:
    """Every scalar key (and list of scalars) of `scenario`'s lever `sections`, in file order.

    Keys left at None are not listed (give them a row to set them); a list of mappings is written
    entry by entry, by name when its entries have one (:func:`twin.scenario.key_paths.entry_label`),
    by index otherwise; a list of plain values is one row of YAML text (``[mon, tue]``).
    """
    model = type(scenario)
    data = scenario.model_dump(mode="python", by_alias=True, exclude_none=True)
    rows: list[LeverRow] = []
    for section in sections:
        if section in data:
            for written, loc, value in _leaves(model, data[section], section, (section,)):
                rows.append(_row(model, written, loc, value))
    return rows


def _leaves(
    model: type[BaseModel], node: Any, written: str, loc: KeyPath
) -> Iterator[tuple[str, KeyPath, Any]]:
    """(key as written, pydantic's loc, value) of every leaf below `node`; the loc names a tagged
    union's member by its tag, as pydantic does (``minutes_per_order.lognormal.mean``)."""
    if isinstance(node, Mapping) and node.get("dist") == "constant" and set(node) == _CONSTANT:
        yield written, loc, node["value"]  # a plain number in the file: one row, as written
    elif isinstance(node, Mapping):
        tag = next((node[k] for k in ("dist", "kind") if isinstance(node.get(k), str)), None)
        where = place(model, loc) if tag is not None else None
        if where is not None and get_origin(unwrap(where.annotation)) in (Union, UnionType):
            loc = (*loc, tag)
        for key, value in node.items():
            yield from _leaves(model, value, f"{written}.{key}", (*loc, key))
    elif isinstance(node, list | tuple) and node and all(isinstance(i, Mapping) for i in node):
        labels = [entry_label(item) for item in node]
        unique = None not in labels and len(set(labels)) == len(labels)
        for index, item in enumerate(node):
            step = f"{written}[{labels[index]}]" if unique else f"{written}.{index}"
            yield from _leaves(model, item, step, (*loc, index))
    else:
        yield written, loc, node


def _row(model: type[BaseModel], written: str, loc: KeyPath, value: Any) -> LeverRow:
    where = place(model, loc)
    key = str(loc[-1])
    takes = "" if where is None else what_it_takes(where.annotation, where.key, where.field) or ""
    about = "" if where is None or where.field is None else where.field.description or ""
    unit = unit_of(key) or ("currency" if "(currency" in about else "")
    parent = None if where is None else where.parent
    if not unit and parent is not None and "dist" in parent.model_fields and len(loc) >= 3:
        unit = unit_of(str(loc[-3])) or ""  # a distribution's parameter: its key's unit
    return LeverRow(written, _cell(value), unit, takes, about.strip())


def _cell(value: Any) -> Value:
    """A value as a cell holds it: numbers, bools, dates and plain text as themselves, anything
    else (lists, text YAML would read as something else) as YAML text."""
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    if isinstance(value, str) and _reads_as_itself(value):
        return value
    text = yaml.safe_dump(_plain(value), default_flow_style=True, allow_unicode=True, width=10**6)
    return text.strip().removesuffix("...").strip()


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def write_template(rows: list[LeverRow], path: Path, title: str) -> None:
    """Write `rows` as the ``levers`` sheet of a new workbook at `path`, with a header row frozen,
    column widths and a second sheet saying how to use it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.key, row.value, row.unit, row.allowed, row.description])
        if isinstance(row.value, dt.date):
            sheet.cell(sheet.max_row, 2).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "B2"
    for letter, width in zip("ABCDE", _WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    about = book.create_sheet("how to use")
    for line in (
        f"Levers of {title}.",
        "Edit the value column of the 'levers' sheet; every row is applied, changed or not.",
        "Use it with: twin run SCENARIO --set-file THIS.xlsx, or 'overrides: THIS.xlsx' in a "
        "scenario file.",
        "Keys are --set key paths: promotions[spring-tools].discount names a list entry by its "
        "name, plan[2027-09-20] a plan step by its date; add a row to set a key not listed.",
        "A value cell may hold YAML text: a list [mon, tue], a distribution {dist: lognormal, "
        "mean: 4, sd: 2}; an empty value clears the key (null).",
    ):
        about.append([line])
    about.column_dimensions["A"].width = 120
    try:
        book.save(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the workbook ({exc.strerror or exc})") from exc


def read_workbook(path: Path, shown: str | None = None) -> list[tuple[str, list[str | Entry], Any]]:
    """The ``(label, key path parts, value)`` of every row of a lever workbook's ``levers`` sheet.

    Parameters
    ----------
    path : pathlib.Path
        The ``.xlsx`` file.
    shown : str, optional
        The file's name as messages give it (default: `path`).

    Raises
    ------
    InputError
        The file is missing or not a workbook, has no ``levers`` sheet or no ``key`` and ``value``
        columns, or a row has a value but no key, a key that is not a key path, or text that is
        not valid YAML; each message names the file, sheet, row and key.
    """
    shown = shown or str(path)
    check_input_file(Path(path), "lever workbook")  # a folder, a device, over the size limit
    if not Path(path).is_file():
        raise InputError(f"{shown}: lever workbook not found")
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors alike
        raise InputError(
            f"{shown}: not an Excel workbook (.xlsx) that can be read ({exc}); write one with "
            "twin template SCENARIO --out levers.xlsx"
        ) from None
    try:
        if SHEET not in book.sheetnames:
            raise InputError(
                f"{shown}: no sheet named '{SHEET}' (its sheets: {', '.join(book.sheetnames)}); "
                "the levers are read from a sheet 'levers' with the columns key and value, as "
                "twin template writes it"
            )
        rows = list(book[SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    where = f"{shown}, sheet '{SHEET}'"
    header = (
        [str(cell).strip().lower() if cell is not None else "" for cell in rows[0]] if rows else []
    )
    if "key" not in header or "value" not in header:
        raise InputError(
            f"{where}, row 1: the header row must name the columns 'key' and 'value' "
            f"(found: {', '.join(h for h in header if h) or 'nothing'})"
        )
    key_at, value_at = header.index("key"), header.index("value")
    values = []
    for number, row in enumerate(rows[1:], start=2):
        key = row[key_at] if key_at < len(row) else None
        value = row[value_at] if value_at < len(row) else None
        if key is None or not str(key).strip():
            if value is not None and str(value).strip():
                raise InputError(
                    f"{where}, row {number}: the value {short_repr(value)} has no key; give the "
                    "key path in the key column, or clear the row"
                )
            continue
        key = str(key).strip()
        label = f"{where}, row {number}, key {key}"
        try:
            parts = split_key_path(key)
        except ValueError as exc:
            raise InputError(
                f"{label}: the key {exc}; write a key path such as "
                "run.horizon_days or promotions[spring-tools].discount"
            ) from None
        values.append((label, parts, _value(value, label)))
    return values


def _value(cell: Value, label: str) -> Any:
    """A cell's value as a scenario value: text is read as YAML (a list, a mapping, a number
    typed as text), an Excel date at midnight is a date, an empty cell is null."""
    if isinstance(cell, dt.datetime):
        return cell.date() if cell.time() == dt.time(0) else cell
    if not isinstance(cell, str):
        return cell
    if not cell.strip():
        return None
    try:
        return _parse_text(cell)
    except (yaml.YAMLError, ValueError) as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"{label}: the value {short_repr(cell)} is not valid YAML ({problem})"
        ) from None


def _parse_text(text: str) -> Any:
    return yaml.safe_load(text)


def _reads_as_itself(text: str) -> bool:
    """True when a text cell would be read back as this same text (not a number, a date, a
    list or invalid YAML), so it can be written plain rather than quoted."""
    try:
        return _parse_text(text) == text
    except (yaml.YAMLError, ValueError):
        return False
