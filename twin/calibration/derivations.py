"""The column derivations and value conversions of a mapping file, one function each.

Each takes the source rows (or the columns mapped so far) and returns one canonical column, or
raises an :class:`~twin.errors.InputError` that names the mapping file's line, the table, the
column and the first offending row. :mod:`twin.calibration.mapping` calls them in the order the
file's keys are applied.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from twin.calibration import sources
from twin.calibration.mapping_schema import Condition, Derive, HistoryMapping, SourceSpec
from twin.calibration.sources import ROWS_COUNT, Locate, in_order_read
from twin.errors import InputError
from twin.scenario.yaml_source import Origin


def sum_of(
    mapping: HistoryMapping,
    name: str,
    column: str,
    derive: Derive,
    source: SourceSpec,
    frame: pd.DataFrame,
    locate: Locate = in_order_read,
) -> pd.Series:
    """The sum of source columns, divided by another when asked; a missing term or a zero
    divisor gives a missing value (the quality step then reports the row)."""
    where = mapping.origin(name, "derive", column)

    def number(source_column: str) -> pd.Series:
        text = sources.to_number_text(
            frame[source_column].reset_index(drop=True),
            decimal=source.decimal,
            thousands=source.thousands,
        )
        return numbers(where, name, f"{column} (source column {source_column})", text, locate)

    total = pd.Series(0.0, index=pd.RangeIndex(len(frame)))
    for term in derive.sum_of or []:
        total = total + number(term)
    if derive.divide_by is not None:
        divisor = number(derive.divide_by)
        total = (total / divisor.where(divisor != 0)).astype("float64")
    return total


_MAX_WEEKS = 5200


def from_week(
    where: Origin,
    name: str,
    column: str,
    derive: Derive,
    frame: pd.DataFrame,
    locate: Locate = in_order_read,
) -> pd.Series:
    """The date of a week number: week 1 starts on ``week_one``, plus ``plus_days`` days."""
    assert derive.from_week is not None and derive.week_one is not None
    label = f"{column} (source column {derive.from_week})"
    weeks = numbers(where, name, label, frame[derive.from_week].reset_index(drop=True), locate)
    values = weeks.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        # beyond a century of weeks the date would overflow pandas' timestamps
        fractional = ~np.isnan(values) & (
            ~np.isfinite(values) | (values % 1 != 0) | (np.abs(values) > _MAX_WEEKS)
        )
    if fractional.any():
        first = int(np.flatnonzero(fractional)[0])
        raise InputError(
            f"{where}: table {name}, column {label}: {locate(first)} holds week "
            f"{weeks.iloc[first]!r}, which is not a whole week number within +-{_MAX_WEEKS} "
            f"({ROWS_COUNT})"
        )
    days = (weeks - 1) * 7 + derive.plus_days
    return pd.Timestamp(derive.week_one) + pd.to_timedelta(days, unit="D")


def all_hold(conditions: list[Condition], frame: pd.DataFrame) -> np.ndarray:
    ok = np.ones(len(frame), dtype=bool)
    for condition in conditions:
        ok &= condition_holds(condition, frame[condition.column].reset_index(drop=True))
    return ok


def mapped_column(out: dict[str, pd.Series], where: Origin, name: str, column: str) -> pd.Series:
    if column not in out:
        raise InputError(
            f"{where}: table {name}: '{column}' is not (yet) a column of the mapped table; map it "
            f"under fields or derive it above (mapped so far: {', '.join(out) or 'none'})"
        )
    return out[column]


def map_values(series: pd.Series, codes: dict[Any, Any]) -> pd.Series:
    lookup = {str(k): v for k, v in codes.items()}
    text = series.astype("string")
    hit = text.isin(list(lookup)).fillna(False).to_numpy(dtype=bool)
    mapped = series.astype(object).copy()
    mapped[hit] = [lookup[v] for v in text[hit]]
    return mapped


def parse_dates(
    mapping: HistoryMapping,
    name: str,
    column: str,
    series: pd.Series,
    fmt: str,
    locate: Locate = in_order_read,
    source_column: str | None = None,
) -> pd.Series:
    text = series.astype("string").str.strip()
    present = text.notna() & text.ne("")
    stamps = pd.to_datetime(text.where(present), format=fmt, errors="coerce")
    bad = (present & stamps.isna()).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = mapping.origin(name, "formats", column)
        shown = column if source_column is None else f"{column} (source column {source_column})"
        raise InputError(
            f"{where}: table {name}, column {shown}: {locate(first)} "
            f"holds {series.iloc[first]!r}, which does not match the format {fmt!r} "
            f"({int(bad.sum())} such values; {ROWS_COUNT})"
        )
    return stamps


def numbers(
    where: Origin, name: str, column: str, series: pd.Series, locate: Locate = in_order_read
) -> pd.Series:
    """`series` as float64; text that is not a number (``12 pcs``, ``NaN``) is an error."""
    numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    bad = (numbers.isna() & series.notna()).to_numpy(dtype=bool, copy=True)
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        bad &= ~series.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{where}: table {name}, column {column}: {locate(first)} holds "
            f"{series.iloc[first]!r}, which is not a number ({int(bad.sum())} such values; "
            f"{ROWS_COUNT})"
        )
    return numbers


def cases(derive: Derive, frame: pd.DataFrame) -> pd.Series:
    result = pd.Series([derive.default] * len(frame), dtype=object)
    decided = np.zeros(len(frame), dtype=bool)
    for case in derive.cases or []:
        match = all_hold(case.conditions, frame) & ~decided
        result[match] = case.value
        decided |= match
    return result


def condition_holds(condition: Condition, series: pd.Series) -> np.ndarray:
    text = series.astype("string").str.strip()
    ok = np.ones(len(series), dtype=bool)

    def hold(mask: pd.Series) -> np.ndarray:
        return mask.fillna(False).to_numpy(dtype=bool)

    if condition.starts_with is not None:
        ok &= hold(text.str.startswith(condition.starts_with))
    if condition.equals is not None:
        ok &= hold(text.eq(condition.equals))
    if condition.one_of is not None:
        ok &= hold(text.isin(condition.one_of))
    if condition.below is not None or condition.above is not None:
        numbers = pd.to_numeric(text, errors="coerce")
        if condition.below is not None:
            ok &= hold(numbers < condition.below)
        if condition.above is not None:
            ok &= hold(numbers > condition.above)
    if condition.missing is not None:
        blank = hold(text.isna() | text.eq(""))
        ok &= blank if condition.missing else ~blank
    return ok


def lookup(
    where: Origin,
    name: str,
    column: str,
    on: pd.Series,
    keys: pd.Series,
    values: pd.Series,
    *,
    optional: bool = False,
    locate: Locate = in_order_read,
) -> pd.Series:
    table = pd.DataFrame({"key": keys.astype("string"), "value": values.astype("string")})
    table = table.dropna(subset=["key"]).drop_duplicates()
    clash = table["key"].duplicated()
    if clash.any():
        raise InputError(
            f"{where}: table {name}, column {column}: the lookup key "
            f"{table['key'][clash].iloc[0]!r} has more than one value"
        )
    found = on.astype("string").map(table.set_index("key")["value"])
    unmatched = (on.notna() & found.isna()).to_numpy(dtype=bool)
    if unmatched.any() and not optional:
        first = int(np.flatnonzero(unmatched)[0])
        raise InputError(
            f"{where}: table {name}, column {column}: {locate(first)} holds {on.iloc[first]!r}, "
            f"which the lookup does not find ({int(unmatched.sum())} such rows; {ROWS_COUNT})"
        )
    return found.reset_index(drop=True)


def count_rows(
    mapping: HistoryMapping,
    name: str,
    column: str,
    derive: Derive,
    frame: pd.DataFrame,
    locate: Locate = in_order_read,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Collapse the rows equal on ``count_rows_by`` into one, counting them in `column`.

    Returns the collapsed frame and, per collapsed row, the position in `frame` of the first row
    of its group (where the row came from)."""
    where = mapping.origin(name, "derive", column)
    by = derive.count_rows_by or []
    for key in (*by, *derive.sum, *derive.first):
        if key not in frame.columns:
            raise InputError(
                f"{where}: table {name}: '{key}' is not a column of the mapped table (columns: "
                f"{', '.join(map(str, frame.columns))})"
            )
    frame = frame.copy()
    for key in derive.sum:
        frame[key] = numbers(where, name, key, frame[key], locate)
    grouped = frame.groupby(by, sort=False, dropna=False)
    # groups are numbered in order of first appearance (sort=False), as the collapsed rows are
    codes = grouped.ngroup().to_numpy()
    first_rows = pd.Series(np.arange(len(frame))).groupby(codes).min().to_numpy()
    rest = [c for c in frame.columns if c not in (*by, *derive.sum, *derive.first, column)]
    if rest:
        varying = grouped[rest].nunique(dropna=False).gt(1)
        if varying.to_numpy().any():
            bad = varying.any(axis=0)
            first_col = str(bad.index[bad.to_numpy()][0])
            group = varying.index[varying[first_col].to_numpy()][0]
            raise InputError(
                f"{where}: table {name}: column {first_col} differs between the rows counted "
                f"together for {_group_text(by, group)}; list it under "
                "sum or first, or do not count rows"
            )
    firsts = [c for c in frame.columns if c not in (*by, *derive.sum, column)]
    collapsed = grouped.size().to_frame(column)
    if firsts:
        collapsed = grouped[firsts].first().join(collapsed)
    if derive.sum:
        collapsed = collapsed.join(grouped[derive.sum].sum(min_count=1))
    return collapsed.reset_index(), first_rows


def _group_text(by: list[str], group: Any) -> str:
    values = group if isinstance(group, tuple) else (group,)
    return ", ".join(f"{k}={str(v)!r}" for k, v in zip(by, values, strict=True))
