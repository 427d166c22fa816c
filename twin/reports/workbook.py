"""Write an Excel workbook from tables: one sheet per table, formatted for people to read.

:func:`write_workbook` takes a list of :class:`Sheet` (a name, a DataFrame, the unit of each
column) and writes one ``.xlsx`` file with openpyxl: a bold header row that names each column's
unit and stays frozen while scrolling, an autofilter, number formats chosen by unit (money in
whole units with thousands separators, shares as percentages, days with two decimals, dates as
dates) and column widths fitted to the contents. A long table (``unit`` per row, as in
``summary.csv``) formats each row's values by that row's unit.

The cells keep the numbers (to 16 significant digits, more than Excel computes with): formats
change only how a number is shown, so a planner's sums in Excel are the sums of the CSV files'
numbers. A table longer than a sheet may hold
(:data:`MAX_ROWS`) continues on sheets named ``NAME (2)``, ``NAME (3)``: no row is dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

#: Data rows per sheet: Excel's limit of 1,048,576 rows less the header.
MAX_ROWS = 1_048_575

#: Excel's limit on a sheet name's length.
MAX_NAME = 31

#: Number format per unit. Money is whole units because planners compare totals; a ratio is a
#: share of something, shown as a percentage; counts averaged over replications keep a decimal.
NUMBER_FORMATS: dict[str, str] = {
    "currency": "#,##0;[Red]-#,##0",
    "ratio": "0.0%",
    "share": "0.0%",
    "days": "#,##0.00",
    "date": "yyyy-mm-dd",
    "integer": "0",
    "index": "0.000",
    "orders": "#,##0.0",
    "lines": "#,##0.0",
    "units": "#,##0.0",
    "sku-days": "#,##0.0",
    "jobs": "#,##0.00",
    "people": "#,##0.00",
}

#: Format of a number whose unit has no entry in `NUMBER_FORMATS`.
DEFAULT_NUMBER_FORMAT = "#,##0.00##"

#: What a unit is called in a column header; units absent here are named as they are.
HEADER_UNITS = {"ratio": "%", "share": "%", "integer": "", "date": "", "index": ""}

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DDE4EE")
_HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
_BAD_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Sheet:
    """One table of a workbook.

    Attributes
    ----------
    name : str
        The sheet's name (at most 31 characters; ``[]:*?/\\`` are replaced).
    table : pandas.DataFrame
        The rows, written as they are (no index).
    units : mapping of str to str
        The unit of a column, by column name: picks its number format and is named in its
        header (``profit (currency)``). Columns without one are shown as they are.
    row_unit : str, optional
        A column holding each row's unit (``summary.csv``'s ``unit``): the columns in
        `per_row` are formatted by it.
    per_row : sequence of str
        The value columns formatted by each row's `row_unit`.
    headings : mapping of str to str
        A header to show above a column's name (a KPI's label, for instance).
    currency : str, optional
        The currency code money columns name in their headers (``EUR``); ``currency`` if None.
    """

    name: str
    table: pd.DataFrame
    units: Mapping[str, str] = field(default_factory=dict)
    row_unit: str | None = None
    per_row: Sequence[str] = ()
    headings: Mapping[str, str] = field(default_factory=dict)
    currency: str | None = None


def number_format(unit: object) -> str:
    """The Excel number format of a unit (``"#,##0"`` for ``"currency"``, ...)."""
    if not isinstance(unit, str):
        return DEFAULT_NUMBER_FORMAT
    return NUMBER_FORMATS.get(unit.strip().lower(), DEFAULT_NUMBER_FORMAT)


def header_text(
    column: str, unit: str | None, heading: str | None = None, currency: str | None = None
) -> str:
    """A column's header: its heading (or name), its unit in brackets when it has one (money as
    the `currency` code when there is one), and under a heading the column's name
    (``"Revenue (EUR)\nrevenue"``)."""
    shown = HEADER_UNITS.get(unit, unit) if unit else ""
    if unit == "currency" and currency:
        shown = currency
    text = f"{heading or column} ({shown})" if shown else heading or column
    return f"{text}\n{column}" if heading else text


def sheet_names(names: Sequence[str]) -> list[str]:
    """Valid, distinct Excel sheet names for `names`, in order."""
    taken: set[str] = set()
    out = []
    for name in names:
        base = _BAD_NAME.sub("-", name).strip("'")[:MAX_NAME] or "Sheet"
        candidate, count = base, 1
        while candidate.lower() in taken:
            count += 1
            suffix = f" ({count})"
            candidate = base[: MAX_NAME - len(suffix)] + suffix
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def _plain(value: object) -> object:
    """A cell value openpyxl writes: numpy scalars as Python ones, NaN and NaT as empty."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("∞" if value > 0 else "-∞")
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _formats(sheet: Sheet) -> list[Callable[[int], str | None]]:
    """For each column, the number format of its cell in a given row (None: leave General)."""
    table = sheet.table
    row_units = (
        table[sheet.row_unit].tolist() if sheet.row_unit and sheet.row_unit in table else None
    )
    found: list[Callable[[int], str | None]] = []
    for column in table.columns:
        dtype = table[column].dtype
        if row_units is not None and column in sheet.per_row:
            found.append(lambda i, units=row_units: number_format(units[i]))
        elif column in sheet.units:
            fixed = number_format(sheet.units[column])
            found.append(lambda i, fixed=fixed: fixed)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            found.append(lambda i: NUMBER_FORMATS["date"])
        elif pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            found.append(lambda i: NUMBER_FORMATS["integer"])
        elif pd.api.types.is_float_dtype(dtype):
            found.append(lambda i: DEFAULT_NUMBER_FORMAT)
        else:
            found.append(lambda i: None)
    return found


def _width(sheet: Sheet, column: str, header: str) -> float:
    """A column width (in characters) that shows its values and most of its header."""
    values = sheet.table[column]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        finite = pd.to_numeric(values, errors="coerce").abs()
        largest = finite[np.isfinite(finite)].max() if len(finite) else 0.0
        digits = len(f"{largest:,.0f}") if pd.notna(largest) else 1
        content = digits + 5  # sign, decimals or a per cent sign
    elif pd.api.types.is_datetime64_any_dtype(values.dtype):
        content = 11
    else:
        content = int(values.astype(str).str.len().max()) if len(values) else 0
    # a long header wraps onto a second line rather than widening a column of short numbers
    longest_word = max((len(word) for word in header.split()), default=0)
    wanted = max(content, longest_word, min(len(header), 18))
    return float(min(max(wanted + 2, 8), 60))


def _add_sheet(book: Workbook, name: str, sheet: Sheet, rows: range) -> Worksheet:
    """Write the header and `rows` of `sheet` into a new worksheet called `name`."""
    table = sheet.table
    columns = [str(c) for c in table.columns]
    unit_of = {c: sheet.units.get(c) for c in columns}
    if sheet.row_unit and sheet.per_row:
        for column in sheet.per_row:
            unit_of[column] = None  # named per row, in the unit column
    headers = [header_text(c, unit_of[c], sheet.headings.get(c), sheet.currency) for c in columns]
    worksheet = book.create_sheet(name)
    worksheet.freeze_panes = "A2"
    for index, (column, header) in enumerate(zip(columns, headers, strict=True), start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = _width(sheet, column, header)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(worksheet, value=header)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGNMENT
        header_cells.append(cell)
    worksheet.append(header_cells)
    formats = _formats(sheet)
    values = table.to_numpy(dtype=object)
    for i in rows:
        cells = []
        for j, value in enumerate(values[i]):
            cell = WriteOnlyCell(worksheet, value=_plain(value))
            shown = formats[j](i)
            if shown is not None:
                cell.number_format = shown
            cells.append(cell)
        worksheet.append(cells)
    if columns:
        last = get_column_letter(len(columns))
        worksheet.auto_filter.ref = f"A1:{last}{max(len(rows), 1) + 1}"
    return worksheet


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write `sheets` to the workbook `path`, in order; return `path`.

    Parameters
    ----------
    path : pathlib.Path
        The ``.xlsx`` file to write (replaced if it exists).
    sheets : sequence of Sheet
        The tables, in the order their sheets appear. A table of more than :data:`MAX_ROWS`
        rows continues on further sheets; an empty table gives a sheet with its header only.
    """
    parts: list[tuple[str, Sheet, range]] = []
    for sheet in sheets:
        n = len(sheet.table)
        chunks = [range(start, min(start + MAX_ROWS, n)) for start in range(0, n, MAX_ROWS)]
        for number, rows in enumerate(chunks or [range(0)], start=1):
            parts.append((sheet.name if number == 1 else f"{sheet.name} ({number})", sheet, rows))
    names = sheet_names([name for name, _, _ in parts])
    book = Workbook(write_only=True)
    for name, (_, sheet, rows) in zip(names, parts, strict=True):
        _add_sheet(book, name, sheet, rows)
    if not parts:
        book.create_sheet("Empty")
    book.save(path)
    return Path(path)
