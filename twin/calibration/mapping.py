"""Apply a mapping file to source tables: the canonical history tables, with row accounting.

Per canonical table, in the order the mapping file's keys are documented
(:mod:`twin.calibration.mapping_schema`): read the source (cached, so a lookup source read twice
is read once), keep the rows ``only`` allows, take ``fields`` (timestamps turned from UTC into
the mapping's ``timezone``, when it gives one), then ``values``, ``formats``,
``scale``, ``zero_pad``, then each ``derive`` in the order written
(:mod:`twin.calibration.derivations`), then ``one_row_per``; then cast to the schema
(:func:`twin.calibration.conform.conform`) and, when asked, match CRM accounts to ERP customers.
:func:`apply_mapping` returns the conformed tables with the rows read and written per table. Rows
are only ever merged by an explicit ``count_rows_by`` or ``one_row_per``; every other problem is
an :class:`~twin.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.calibration import derivations, history, matching, sources
from twin.calibration.conform import conform
from twin.calibration.mapping_schema import (
    Condition,
    Derive,
    HistoryMapping,
    SourceSpec,
    TableMapping,
    load_mapping,
)
from twin.calibration.matching import MatchResult
from twin.calibration.sources import Provenance, RawTable
from twin.errors import InputError


@dataclass
class MappedHistory:
    """The canonical tables made by :func:`apply_mapping`, with row accounting and provenance.

    ``rows_read[t]`` counts the raw rows read for table ``t`` (lookup sources excluded);
    ``rows_written[t]`` the rows of ``tables[t]``. They differ only by an explicit ``only``
    (the rows left out are counted in ``rows_excluded[t]``: they belong to another canonical
    table, e.g. open opportunities are no orders), ``count_rows_by`` (then the counted column
    sums to the rows kept) or ``one_row_per``. ``match`` is the ERP-CRM account match when the
    mapping asks for one; ``notes`` says what ``only`` left out and how the match went.
    """

    tables: dict[str, pd.DataFrame]
    rows_read: dict[str, int]
    rows_written: dict[str, int]
    provenance: dict[str, tuple[Provenance, ...]] = field(default_factory=dict)
    rows_excluded: dict[str, int] = field(default_factory=dict)
    match: MatchResult | None = None
    notes: list[str] = field(default_factory=list)
    origins: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per table, where each row came from: columns ``file`` (the file, with its sheet, or the
    query) and ``row`` (its data row there, 1-based, header excluded), aligned with the rows of
    ``tables[t]``. A row collapsed from several (``count_rows_by``) points at the first."""


def apply_mapping(
    mapping: HistoryMapping | Path | str, source: Path | str, tables: list[str] | None = None
) -> MappedHistory:
    """Read the raw tables of `mapping` from `source` and turn them into canonical tables.

    Parameters
    ----------
    mapping : HistoryMapping or path
        A loaded mapping, or the path of a mapping file.
    source : path or str
        The SOURCE folder holding the mapping's files, or a database URL (or SQLite file path).
    tables : list of str, optional
        Only these canonical tables; default all the mapping provides.

    Returns
    -------
    MappedHistory
        Conformed tables in schema order, with rows read and written.

    Raises
    ------
    InputError
        A source cannot be read; the mapping names a column not in its source; a value cannot be
        mapped, parsed or cast; a required canonical column is not provided.
    """
    if not isinstance(mapping, HistoryMapping):
        mapping = load_mapping(mapping)
    url = sources.database_url(source)
    cache: dict[tuple[Any, ...], RawTable] = {}
    result = MappedHistory({}, {}, {})
    wanted = list(mapping.tables) if tables is None else tables
    for name in history.TABLES:
        if name not in wanted or name not in mapping.tables:
            continue
        spec = mapping.tables[name]
        raw = _read(mapping, name, spec.source, source, url, cache, ("source",))
        frame, positions, excluded = _build(mapping, name, spec, raw, source, url, cache)
        origins = raw.origins(positions)
        result.tables[name] = conform(
            name, frame, locate=sources.locator(origins), source_columns=spec.fields
        )
        result.origins[name] = origins
        result.rows_read[name] = raw.rows
        result.rows_written[name] = len(result.tables[name])
        result.provenance[name] = raw.provenance
        if spec.only is not None:
            result.rows_excluded[name] = excluded
            result.notes.append(
                f"{name}: {excluded} of {raw.rows} source rows are not {name} by the mapping's "
                f"'only' ({_conditions_text(spec.only_conditions)} keeps {raw.rows - excluded})"
            )
    if mapping.match is not None and "accounts" in result.tables:
        if "customers" not in result.tables:
            raise InputError(
                f"{mapping.origin()}: the mapping asks to match accounts to customers (match), "
                "but maps no customers table; map customers or remove the match section"
            )
        spec = mapping.match
        accounts, result.match = matching.match_accounts(
            result.tables["accounts"],
            result.tables["customers"],
            method=spec.by,
            account_name=spec.account_name,
            customer_name=spec.customer_name,
        )
        result.tables["accounts"] = conform(
            "accounts", accounts, locate=sources.locator(result.origins["accounts"])
        )
        result.notes.append(result.match.note())
    return result


def _conditions_text(conditions: list[Condition]) -> str:
    parts = []
    for c in conditions:
        tests = {k: v for k, v in c.model_dump(exclude_none=True).items() if k != "column"}
        parts.append(f"{c.column} " + ", ".join(f"{k} {v}" for k, v in tests.items()))
    return " and ".join(parts)


def _read(
    mapping: HistoryMapping,
    name: str,
    spec: SourceSpec,
    source: Path | str,
    url: str | None,
    cache: dict[tuple[Any, ...], RawTable],
    where: tuple[str | int, ...],
) -> RawTable:
    key = spec.cache_key()
    if key in cache:
        return cache[key]
    origin = mapping.origin(name, *where)
    try:
        if spec.files is not None:
            if url is not None:
                raise InputError(
                    f"the source is the database {sources.shown_source(url)}, but this table is "
                    "read from files"
                )
            paths = sources.find_files(source, spec.files, name=name)
            raw = sources.read_files(
                paths, name=name, encoding=spec.encoding, delimiter=spec.delimiter, sheet=spec.sheet
            )
        else:
            if url is None:
                raise InputError(
                    f"the source {source} is a folder, but this table is read from a database; "
                    "give a database URL as the source"
                )
            raw = sources.read_sql(url, name=name, table=spec.table, query=spec.query)
    except InputError as exc:
        message = str(exc).removeprefix(f"table {name}: ")
        raise InputError(f"{origin}: table {name}: {message}") from exc
    cache[key] = raw
    return raw


def _build(
    mapping: HistoryMapping,
    name: str,
    spec: TableMapping,
    raw: RawTable,
    source: Path | str,
    url: str | None,
    cache: dict[tuple[Any, ...], RawTable],
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The mapped frame, the raw position (0-based, in the order read) each of its rows came
    from, and the rows ``only`` left out."""
    table = history.TABLES[name]
    frame = raw.frame
    positions = np.arange(len(frame))
    for position, condition in enumerate(spec.only_conditions):
        if condition.column not in frame.columns:
            at = ("only", position) if isinstance(spec.only, list) else ("only",)
            raise InputError(
                f"{mapping.origin(name, *at)}: table {name}: column '{condition.column}' is "
                f"not in the source; its columns are: {', '.join(map(str, frame.columns))}"
            )
    excluded = 0
    if spec.only is not None:
        keep = derivations.all_hold(spec.only_conditions, frame)
        excluded = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
        positions = positions[keep]
    locate = sources.locator(raw.origins(positions))

    def need(column: str, *where: str | int, raw_table: RawTable | None = None) -> pd.Series:
        # the table's own source, after 'only', unless another source (a lookup's) is given
        own = raw_table is None
        raw_table = raw if raw_table is None else raw_table
        columns = frame.columns if own else raw_table.frame.columns
        if column not in columns:
            found = raw_table.provenance[0].source if raw_table.provenance else "the source"
            more = (
                f" and {len(raw_table.provenance) - 1} more"
                if len(raw_table.provenance) > 1
                else ""
            )
            raise InputError(
                f"{mapping.origin(name, *where)}: table {name}: column '{column}' is not in the "
                f"source ({found}{more}); its columns are: "
                f"{', '.join(map(str, raw_table.frame.columns))}"
            )
        return frame[column] if own else raw_table.frame[column]

    out: dict[str, pd.Series] = {}
    for canonical, column in spec.fields.items():
        out[canonical] = need(column, "fields", canonical).reset_index(drop=True)
        if mapping.timezone is not None and table.column(canonical).dtype == "datetime":
            out[canonical] = utc_to_local(out[canonical], mapping.timezone)
    for canonical, derive in spec.derive.items():
        for position, case in enumerate(derive.cases or []):
            for condition in case.conditions:
                need(condition.column, "derive", canonical, "cases", position, "when")
        for column in derive.concat or []:
            need(column, "derive", canonical, "concat")
        for column in derive.sum_of or []:
            need(column, "derive", canonical, "sum_of")
        if derive.divide_by is not None:
            need(derive.divide_by, "derive", canonical, "divide_by")
        if derive.from_week is not None:
            need(derive.from_week, "derive", canonical, "from_week")

    for canonical in out:
        dtype = table.column(canonical).dtype
        if dtype in ("int", "float"):
            out[canonical] = sources.to_number_text(
                out[canonical], decimal=spec.source.decimal, thousands=spec.source.thousands
            )
    for canonical, codes in spec.values.items():
        if canonical in out:
            out[canonical] = derivations.map_values(out[canonical], codes)
    for canonical, fmt in spec.formats.items():
        if canonical in out:
            out[canonical] = derivations.parse_dates(
                mapping, name, canonical, out[canonical], fmt, locate, spec.fields.get(canonical)
            )
    for canonical, factor in spec.scale.items():
        if canonical in out:
            where = mapping.origin(name, "scale", canonical)
            label = _shown(canonical, spec.fields.get(canonical))
            numbers = derivations.numbers(where, name, label, out[canonical], locate)
            out[canonical] = numbers * factor

    for canonical, width in spec.zero_pad.items():
        if canonical in out:
            out[canonical] = out[canonical].astype("string").str.strip().str.zfill(width)
    collapse: tuple[str, Derive] | None = None
    n = len(frame)
    for canonical, derive in spec.derive.items():
        where = mapping.origin(name, "derive", canonical)
        kind = derive.kind
        if kind == "constant":
            out[canonical] = pd.Series([derive.constant] * n, dtype=object)
        elif kind == "cases":
            out[canonical] = derivations.cases(derive, frame)
        elif kind == "concat":
            parts = [
                need(c, "derive", canonical, "concat").reset_index(drop=True).astype("string")
                for c in derive.concat or []
            ]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined + derive.separator + part
            out[canonical] = joined
        elif kind == "sum_of":
            out[canonical] = derivations.sum_of(
                mapping, name, canonical, derive, spec.source, frame, locate
            )
        elif kind == "from_week":
            out[canonical] = derivations.from_week(where, name, canonical, derive, frame, locate)
        elif kind == "row_number_by":
            keys = [
                derivations.mapped_column(out, where, name, c) for c in derive.row_number_by or []
            ]
            grouped = pd.DataFrame(dict(enumerate(keys))).groupby(
                list(range(len(keys))), dropna=False
            )
            out[canonical] = grouped.cumcount() + 1
        elif kind == "lookup":
            assert derive.lookup is not None
            lookup_raw = _read(
                mapping, name, derive.lookup.source, source, url, cache,
                ("derive", canonical, "lookup", "source"),
            )  # fmt: skip
            keys = need(derive.lookup.key, "derive", canonical, "lookup", raw_table=lookup_raw)
            values = need(derive.lookup.value, "derive", canonical, "lookup", raw_table=lookup_raw)
            on = derivations.mapped_column(out, where, name, derive.lookup.by or canonical)
            out[canonical] = derivations.lookup(
                where, name, canonical, on, keys, values, optional=derive.lookup.optional,
                locate=locate,
            )  # fmt: skip
        else:
            collapse = (canonical, derive)

    result = pd.DataFrame(out, index=pd.RangeIndex(n))
    if collapse is not None:
        result, firsts = derivations.count_rows(mapping, name, *collapse, result, locate)
        positions = positions[firsts]
    if spec.one_row_per:
        where = mapping.origin(name, "one_row_per")
        for column in spec.one_row_per:
            derivations.mapped_column(out, where, name, column)
        first = ~result.duplicated(subset=spec.one_row_per, keep="first").to_numpy(dtype=bool)
        result = result[first]
        positions = positions[first]
    return result.reset_index(drop=True), positions, excluded


def utc_to_local(series: pd.Series, zone: str) -> pd.Series:
    """Naive UTC timestamps as naive wall-clock times in `zone` (an IANA name).

    Only a timestamp column changes: a naive one is read as UTC, an aware one is converted from
    its own zone. Anything else (SQL dates, read as ``datetime.date`` objects; text) is returned
    as it is, since a date has no time of day to shift. UTC to local time is one-to-one, so no
    daylight-saving gap or overlap can make it ambiguous.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert(zone).dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        return series.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
    return series


def _shown(canonical: str, source_column: str | None) -> str:
    return canonical if source_column is None else f"{canonical} (source column {source_column})"
