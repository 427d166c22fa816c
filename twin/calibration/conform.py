"""Cast a mapped frame to a canonical table's spec, never dropping a row.

A value that cannot be cast is an :class:`~twin.errors.InputError` naming the table, the column
(and the source column it was mapped from), the first bad row as the user sees it (``orders.csv,
row 12``: the 12th data row of that file, header excluded) and the count of bad values; the
conventions (dtypes, missing values, keys) are those of
:mod:`twin.calibration.history`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from twin.calibration.history import TABLES, Column, Dtype
from twin.calibration.sources import ROWS_COUNT, Locate, in_order_read
from twin.errors import InputError

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def conform(
    table_name: str,
    frame: pd.DataFrame,
    *,
    locate: Locate = in_order_read,
    source_columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Cast `frame` to the spec of canonical table `table_name`.

    Parameters
    ----------
    table_name : str
        A key of :data:`TABLES`.
    frame : pandas.DataFrame
        Columns named after canonical columns, holding strings, numbers or timestamps.
    locate : callable, optional
        Where row i of `frame` came from, for messages (:func:`twin.calibration.sources.locator`);
        default ``row i+1`` in the order read.
    source_columns : mapping, optional
        The source column each canonical column was mapped from, for messages.

    Returns
    -------
    pandas.DataFrame
        A new frame with every column of the spec, in spec order, cast to its dtype, with a fresh
        ``0..n-1`` index and as many rows as `frame`; absent optional columns are all missing.

    Raises
    ------
    InputError
        `table_name` is unknown; a required column is missing; a column is not in the spec; a value
        cannot be cast, is not among a column's allowed values, or is missing from a key column.
    """
    if table_name not in TABLES:
        raise InputError(
            f"unknown canonical table '{table_name}'; expected one of: {', '.join(TABLES)}"
        )
    table = TABLES[table_name]
    unknown = [str(name) for name in frame.columns if name not in table.names]
    if unknown:
        raise InputError(
            f"table {table_name}: column(s) {', '.join(unknown)} are not in the canonical schema; "
            f"its columns are: {', '.join(table.names)}"
        )
    frame = frame.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name not in frame.columns:
            if column.required:
                raise InputError(
                    f"table {table_name}: required column '{column.name}' is missing "
                    f"({column.description})"
                )
            out[column.name] = _empty(column.dtype, len(frame))
            continue
        source = (source_columns or {}).get(column.name)
        shown = column.name if source is None else f"{column.name} (source column {source})"
        report = _Reporter(table_name, shown, locate)
        out[column.name] = _cast(column, frame[column.name], report)
        if column.name in table.key:
            report.missing_key(out[column.name])
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _empty(dtype: Dtype, n: int) -> pd.Series:
    return pd.Series([None] * n, dtype=_PANDAS_DTYPE[dtype])


_PANDAS_DTYPE = {
    "string": "string",
    "int": "Int64",
    "float": "float64",
    "datetime": "datetime64[ns]",
    "date": "datetime64[ns]",
    "bool": "boolean",
}


def missing(series: pd.Series) -> np.ndarray:
    """Missing values: NA, NaN, None, NaT and blank strings (the quality step's test too)."""
    found = series.isna().to_numpy(dtype=bool)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        blank = series.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        found = found | blank
    return found


def _cast(column: Column, series: pd.Series, _report: _Reporter) -> pd.Series:
    absent = missing(series)
    series = series.reset_index(drop=True)
    if column.dtype == "string":
        result = _to_string(series)
        result[absent] = pd.NA
        bad = ~absent
        if column.values:
            bad = bad & ~result.isin(column.values).to_numpy(dtype=bool)
            _report(series, bad, f"one of: {', '.join(column.values)}")
        return result
    if column.dtype in ("int", "float"):
        numbers = pd.to_numeric(series.where(~absent, None), errors="coerce")
        numbers = numbers.astype("float64")
        _report(series, ~absent & numbers.isna().to_numpy(), "a number")
        if column.dtype == "float":
            return numbers
        values = numbers.to_numpy()
        # An int column cannot hold +-inf or a value beyond int64: a clean error, not a crash.
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(values) & (values % 1 == 0) & (np.abs(values) < 2.0**63)
        fractional = ~absent & ~whole
        _report(series, fractional, "a whole number within +-9.2e18")
        return numbers.astype("Int64")
    if column.dtype in ("datetime", "date"):
        stamps = _to_datetime(series.where(~absent, None))
        _report(series, ~absent & stamps.isna().to_numpy(), "a date/time")
        if column.dtype == "date":
            timed = ~absent & (stamps != stamps.dt.normalize()).to_numpy(dtype=bool)
            _report(series, timed, "a date without a time of day")
        return stamps
    # bool
    text = series.astype("string").str.strip().str.lower()
    truth = pd.Series(pd.NA, index=series.index, dtype="boolean")
    truth[text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)] = True
    truth[text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)] = False
    _report(series, ~absent & truth.isna().to_numpy(), "true or false")
    return truth


def _to_string(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series.dtype):
        # Integral ids read as floats (a SQL REAL, a number column with gaps) print without '.0'.
        values = series.to_numpy()
        finite = np.isfinite(values)
        if np.all(values[finite] % 1 == 0):
            text = pd.Series(
                [str(int(v)) if ok else None for v, ok in zip(values, finite, strict=True)]
            )
            return text.astype("string")
    return series.astype("string").str.strip()


def _to_datetime(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        # Keep the wall-clock time of the source: the schema's times are local and naive.
        return series.dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.astype("datetime64[ns]")
    # ISO 8601 only: guessing day-first or month-first would be a silent error; other layouts
    # need a parse format in the mapping file.
    text = series.astype("string").str.strip()
    stamps = pd.to_datetime(text, errors="coerce", format="ISO8601")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_localize(None)
    return stamps.astype("datetime64[ns]")


class _Reporter:
    """Raise the error of one column's first bad value, naming its file and row."""

    def __init__(self, table_name: str, shown: str, locate: Locate) -> None:
        self.where = f"table {table_name}, column {shown}"
        self.locate = locate

    def __call__(self, series: pd.Series, bad: np.ndarray, expected: str) -> None:
        if not bad.any():
            return
        first = int(np.flatnonzero(bad)[0])
        count = int(bad.sum())
        raise InputError(
            f"{self.where}: {self.locate(first)} holds {series.iloc[first]!r}, which is not "
            f"{expected} ({count} bad value{'' if count == 1 else 's'} in all; {ROWS_COUNT})"
        )

    def missing_key(self, series: pd.Series) -> None:
        missing = series.isna().to_numpy()
        if missing.any():
            first = int(np.flatnonzero(missing)[0])
            raise InputError(
                f"{self.where}: {self.locate(first)} is missing a value, but the column is part "
                f"of the table's key ({int(missing.sum())} missing in all; {ROWS_COUNT})"
            )
