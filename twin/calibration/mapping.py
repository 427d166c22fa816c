"""Map raw source tables onto the canonical history schema with a YAML mapping file.

A mapping file names, for each canonical table it provides, where the rows come from and how each
canonical column is obtained. Source files are globs relative to the SOURCE folder given at run
time (or tables and queries of the database given as a URL), so one mapping serves every copy of
an export. Example (the shipped files are in ``calibration/mappings/``)::

    name: online_retail
    tables:
      order_lines:
        source: {files: "online_retail_*.csv"}
        fields:                      # canonical column: source column
          order_id: InvoiceNo
          sku: StockCode
          quantity: Quantity
          unit_price: UnitPrice
        derive:
          line_no: {row_number_by: [order_id]}
          status:
            cases:
              - {when: {column: InvoiceNo, starts_with: C}, value: cancelled}
              - {when: {column: Quantity, below: 0}, value: returned}
            default: ordered

Per table, applied in this order:

``source``
    ``files`` (a glob or a list of globs; several files are concatenated in name order), or
    ``table`` or ``query`` of a database; CSV options ``encoding``, ``delimiter``, ``decimal``
    (``,`` for a decimal comma), ``thousands``; ``sheet`` for Excel.
``fields``
    Canonical column → source column.
``values``
    Canonical column → {source value: canonical value}, e.g. ``{canceled: cancelled}``; values not
    listed pass unchanged (and must then be valid canonical values).
``formats``
    Canonical column → ``strptime`` format of its dates, e.g. ``"%m/%d/%Y"``; without one, dates
    must be ISO 8601.
``scale``
    Canonical column → factor to multiply by (unit conversion, e.g. grams to kg: 0.001).
``zero_pad``
    Canonical column → width: restore leading zeros an export lost (zip codes, invoice numbers).
``only``
    A condition (or a list, all of which must hold) on source columns: only those rows make this
    table, e.g. the won opportunities are the orders. The rows left out are counted
    (``MappedHistory.rows_excluded`` and a note), never silently lost.
``derive``
    Canonical column → one derivation, in the order written: ``constant`` (a value, or null for a
    column the source does not have), ``cases`` (first matching ``when`` on a source column, or
    on several when ``when`` is a list of conditions that must all hold, else ``default``),
    ``concat`` (source columns joined by ``separator``), ``sum_of`` (the sum of numeric source
    columns, optionally ``divide_by`` another; a missing term or a zero divisor gives a missing
    value), ``from_week`` (the date of a week-number column: week 1 starts on ``week_one``, plus
    ``plus_days`` days, e.g. 6 for the last day of the week), ``row_number_by`` (1, 2, …
    within groups of canonical columns, in source order), ``lookup`` (the ``value`` column of the
    row of another source whose ``key`` column equals this table's canonical column ``by``, by
    default the derived column itself; a key it does not find is an error unless ``optional``),
    and
    ``count_rows_by`` (collapse repeated rows into one whose column is the row count, applied last:
    other columns must agree within a group unless listed in ``sum`` or ``first``).
``one_row_per``
    Canonical columns: keep the first row of each key, e.g. orders from invoice lines.

Besides ``tables``, a file may hold:

``match``
    Link CRM ``accounts`` to ERP ``customers`` (:mod:`twin.calibration.matching`): ``by`` is
    ``key`` (accounts.customer_id), ``names`` or ``key_then_names`` (the default), with the name
    columns ``account_name`` and ``customer_name`` (canonical columns, default ``name``). The
    accounts then hold the matched ``customer_id`` and the quality step reports the match rate.
``quality``
    Options of the quality step for this source: ``non_product_skus`` (replacing the default
    list), ``non_product_categories`` (product categories whose lines are no products, e.g.
    fuel) and ``price_outlier_factor``.

:func:`apply_mapping` returns the conformed tables (:func:`twin.calibration.history.conform`) with
the rows read and written per table. Rows are only ever merged by an explicit ``count_rows_by`` or
``one_row_per``; every other problem is an :class:`~twin.errors.InputError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from twin.calibration import history, matching, sources
from twin.calibration.matching import MatchResult
from twin.calibration.sources import Provenance, RawTable
from twin.errors import InputError
from twin.scenario.validation import validate
from twin.scenario.yaml_source import Origin, SourceMap, load_yaml

_STRICT = ConfigDict(extra="forbid")


class SourceSpec(BaseModel):
    """Where a table's raw rows come from: files, or a database table or query."""

    model_config = _STRICT

    files: str | list[str] | None = None
    table: str | None = None
    query: str | None = None
    encoding: str | None = None
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    decimal: Literal[".", ","] = "."
    thousands: Literal[".", ",", " ", "'"] | None = None
    sheet: str | int = 0

    @model_validator(mode="after")
    def _one_origin(self) -> SourceSpec:
        given = [name for name in ("files", "table", "query") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of files (globs in the SOURCE folder), table or query"
                + (f"; got {' and '.join(given)}" if given else "")
            )
        return self

    def cache_key(self) -> tuple[Any, ...]:
        files = (self.files,) if isinstance(self.files, str) else tuple(self.files or ())
        return (files, self.table, self.query, self.encoding, self.delimiter, self.sheet)


class Condition(BaseModel):
    """A test on one source column; all tests given must hold."""

    model_config = _STRICT

    column: str
    starts_with: str | None = None
    equals: str | None = None
    one_of: list[str] | None = None
    below: float | None = None
    above: float | None = None
    missing: bool | None = None


class Case(BaseModel):
    """``value`` where ``when`` holds; a list of conditions must all hold (on any columns)."""

    model_config = _STRICT

    when: Condition | list[Condition]
    value: Any

    @property
    def conditions(self) -> list[Condition]:
        return self.when if isinstance(self.when, list) else [self.when]


class Lookup(BaseModel):
    model_config = _STRICT

    source: SourceSpec
    key: str
    value: str
    by: str | None = None  # not 'on': YAML 1.1 reads an unquoted on as true
    optional: bool = False  # keys the lookup does not find give a missing value, not an error


class Derive(BaseModel):
    """One derivation of a canonical column; exactly one kind is given."""

    model_config = _STRICT

    constant: Any = None
    cases: list[Case] | None = None
    default: Any = None
    concat: list[str] | None = None
    separator: str = "-"
    row_number_by: list[str] | None = None
    lookup: Lookup | None = None
    count_rows_by: list[str] | None = None
    sum: list[str] = Field(default_factory=list)
    first: list[str] = Field(default_factory=list)
    sum_of: list[str] | None = None
    divide_by: str | None = None
    from_week: str | None = None
    week_one: dt.date | None = None
    plus_days: int = 0

    @model_validator(mode="after")
    def _one_kind(self) -> Derive:
        kinds = [k for k in _DERIVE_KINDS if k in self.model_fields_set]
        if len(kinds) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(_DERIVE_KINDS)}"
                + (f"; got {' and '.join(kinds)}" if kinds else "")
            )
        if self.divide_by is not None and kinds != ["sum_of"]:
            raise ValueError("divide_by goes with sum_of")
        if (kinds == ["from_week"]) != (self.week_one is not None):
            raise ValueError("from_week and week_one (the first day of week 1) go together")
        if "plus_days" in self.model_fields_set and kinds != ["from_week"]:
            raise ValueError("plus_days goes with from_week")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _DERIVE_KINDS if k in self.model_fields_set)


_DERIVE_KINDS = (
    "constant",
    "cases",
    "concat",
    "sum_of",
    "from_week",
    "row_number_by",
    "lookup",
    "count_rows_by",
)


class TableMapping(BaseModel):
    """How one canonical table is made from a source."""

    model_config = _STRICT

    source: SourceSpec
    fields: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[Any, Any]] = Field(default_factory=dict)
    formats: dict[str, str] = Field(default_factory=dict)
    scale: dict[str, float] = Field(default_factory=dict)
    zero_pad: dict[str, int] = Field(default_factory=dict)
    derive: dict[str, Derive] = Field(default_factory=dict)
    one_row_per: list[str] | None = None
    only: Condition | list[Condition] | None = None

    @property
    def only_conditions(self) -> list[Condition]:
        if self.only is None:
            return []
        return self.only if isinstance(self.only, list) else [self.only]


class MatchSpec(BaseModel):
    """How CRM accounts are linked to ERP customers (:mod:`twin.calibration.matching`)."""

    model_config = _STRICT

    by: Literal["key", "names", "key_then_names"] = "key_then_names"
    account_name: str = "name"
    customer_name: str = "name"

    @model_validator(mode="after")
    def _canonical_columns(self) -> MatchSpec:
        for table, column in (("accounts", self.account_name), ("customers", self.customer_name)):
            if column not in history.TABLES[table].names:
                raise ValueError(
                    f"'{column}' is not a column of {table}; its columns are: "
                    f"{', '.join(history.TABLES[table].names)}"
                )
        return self


class QualitySpec(BaseModel):
    """Source-specific options of the quality step
    (:func:`~twin.calibration.quality.check_history`): which SKUs or product categories are no
    products (fuel, gift cards, fees)."""

    model_config = _STRICT

    non_product_skus: list[str] | None = None
    non_product_categories: list[str] = Field(default_factory=list)
    price_outlier_factor: float | None = Field(default=None, gt=1)


class HistoryMapping(BaseModel):
    """A whole mapping file: canonical table name → :class:`TableMapping`."""

    model_config = _STRICT

    name: str
    description: str = ""
    tables: dict[str, TableMapping]
    match: MatchSpec | None = None
    quality: QualitySpec | None = None

    _path: str = PrivateAttr(default="<mapping>")
    _sources: SourceMap = PrivateAttr(default_factory=SourceMap)

    @model_validator(mode="before")
    @classmethod
    def _canonical_names(cls, data: Any) -> Any:
        tables = data.get("tables") if isinstance(data, dict) else None
        if not isinstance(tables, dict):
            return data
        for name, spec in tables.items():
            if name not in history.TABLES:
                raise ValueError(
                    f"tables.{name}: '{name}' is not a canonical table; expected one of: "
                    f"{', '.join(history.TABLES)}"
                )
            if not isinstance(spec, dict):
                continue
            columns = history.TABLES[name].names
            for part in ("fields", "values", "formats", "scale", "zero_pad", "derive"):
                for column in spec.get(part) or {}:
                    if column not in columns:
                        raise ValueError(
                            f"tables.{name}.{part}.{column}: '{column}' is not a column of "
                            f"{name}; its columns are: {', '.join(columns)}"
                        )
        return data

    @property
    def line_numbers_from_source(self) -> bool:
        """Whether ``order_lines.line_no`` is a source column (not numbered by the mapping)."""
        lines = self.tables.get("order_lines")
        return lines is not None and "line_no" in lines.fields

    def quality_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~twin.calibration.quality.check_history` the file sets."""
        if self.quality is None:
            return {}
        options: dict[str, Any] = {}
        if self.quality.non_product_skus is not None:
            options["non_product_skus"] = tuple(self.quality.non_product_skus)
        if self.quality.non_product_categories:
            options["non_product_categories"] = tuple(self.quality.non_product_categories)
        if self.quality.price_outlier_factor is not None:
            options["price_outlier_factor"] = self.quality.price_outlier_factor
        return options

    @property
    def path(self) -> str:
        """The mapping file as given to :func:`load_mapping`."""
        return self._path

    def origin(self, *path: str | int) -> Origin:
        """File and line of a key of the mapping, for messages."""
        return self._sources.lookup(("tables", *path)) or Origin(self._path)


def load_mapping(path: Path | str) -> HistoryMapping:
    """Read and validate a mapping file.

    Raises
    ------
    InputError
        The file is missing or not valid YAML, or does not match the mapping schema; messages
        give the file, line and key.
    """
    data, where = load_yaml(path)
    try:
        mapping = validate(HistoryMapping, data, where)
    except InputError as exc:
        raise InputError(str(exc).replace("Invalid scenario", "Invalid mapping file", 1)) from exc
    mapping._path = str(path)
    mapping._sources = where
    return mapping


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
        frame, excluded = _build(mapping, name, spec, raw, source, url, cache)
        result.tables[name] = history.conform(name, frame)
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
        result.tables["accounts"] = history.conform("accounts", accounts)
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
                    f"the source is the database {url}, but this table is read from files"
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
) -> tuple[pd.DataFrame, int]:
    table = history.TABLES[name]
    frame = raw.frame
    for position, condition in enumerate(spec.only_conditions):
        if condition.column not in frame.columns:
            at = ("only", position) if isinstance(spec.only, list) else ("only",)
            raise InputError(
                f"{mapping.origin(name, *at)}: table {name}: column '{condition.column}' is "
                f"not in the source; its columns are: {', '.join(map(str, frame.columns))}"
            )
    excluded = 0
    if spec.only is not None:
        keep = _all_hold(spec.only_conditions, frame)
        excluded = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)

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
            out[canonical] = _map_values(out[canonical], codes)
    for canonical, fmt in spec.formats.items():
        if canonical in out:
            out[canonical] = _parse_dates(mapping, name, canonical, out[canonical], fmt)
    for canonical, factor in spec.scale.items():
        if canonical in out:
            where = mapping.origin(name, "scale", canonical)
            out[canonical] = _numbers(where, name, canonical, out[canonical]) * factor

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
            out[canonical] = _cases(derive, frame)
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
            out[canonical] = _sum_of(mapping, name, canonical, derive, spec.source, frame)
        elif kind == "from_week":
            out[canonical] = _from_week(where, name, canonical, derive, frame)
        elif kind == "row_number_by":
            keys = [_canonical(out, where, name, c) for c in derive.row_number_by or []]
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
            on = _canonical(out, where, name, derive.lookup.by or canonical)
            out[canonical] = _lookup(
                where, name, canonical, on, keys, values, optional=derive.lookup.optional
            )
        else:
            collapse = (canonical, derive)

    result = pd.DataFrame(out, index=pd.RangeIndex(n))
    if collapse is not None:
        result = _count_rows(mapping, name, *collapse, result)
    if spec.one_row_per:
        where = mapping.origin(name, "one_row_per")
        for column in spec.one_row_per:
            _canonical(out, where, name, column)
        result = result.drop_duplicates(subset=spec.one_row_per, keep="first")
    return result.reset_index(drop=True), excluded


def _sum_of(
    mapping: HistoryMapping,
    name: str,
    column: str,
    derive: Derive,
    source: SourceSpec,
    frame: pd.DataFrame,
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
        return _numbers(where, name, f"{column} ({source_column})", text)

    total = pd.Series(0.0, index=pd.RangeIndex(len(frame)))
    for term in derive.sum_of or []:
        total = total + number(term)
    if derive.divide_by is not None:
        divisor = number(derive.divide_by)
        total = (total / divisor.where(divisor != 0)).astype("float64")
    return total


def _from_week(
    where: Origin, name: str, column: str, derive: Derive, frame: pd.DataFrame
) -> pd.Series:
    """The date of a week number: week 1 starts on ``week_one``, plus ``plus_days`` days."""
    assert derive.from_week is not None and derive.week_one is not None
    weeks = _numbers(where, name, column, frame[derive.from_week].reset_index(drop=True))
    fractional = (weeks.notna() & (weeks % 1 != 0)).to_numpy(dtype=bool)
    if fractional.any():
        first = int(np.flatnonzero(fractional)[0])
        raise InputError(
            f"{where}: table {name}, column {column}: row {first} holds week "
            f"{weeks.iloc[first]!r}, which is not a whole week number"
        )
    days = (weeks - 1) * 7 + derive.plus_days
    return pd.Timestamp(derive.week_one) + pd.to_timedelta(days, unit="D")


def _all_hold(conditions: list[Condition], frame: pd.DataFrame) -> np.ndarray:
    ok = np.ones(len(frame), dtype=bool)
    for condition in conditions:
        ok &= _test(condition, frame[condition.column].reset_index(drop=True))
    return ok


def _canonical(out: dict[str, pd.Series], where: Origin, name: str, column: str) -> pd.Series:
    if column not in out:
        raise InputError(
            f"{where}: table {name}: '{column}' is not (yet) a column of the mapped table; map it "
            f"under fields or derive it above (mapped so far: {', '.join(out) or 'none'})"
        )
    return out[column]


def _map_values(series: pd.Series, codes: dict[Any, Any]) -> pd.Series:
    lookup = {str(k): v for k, v in codes.items()}
    text = series.astype("string")
    hit = text.isin(list(lookup)).fillna(False).to_numpy(dtype=bool)
    mapped = series.astype(object).copy()
    mapped[hit] = [lookup[v] for v in text[hit]]
    return mapped


def _parse_dates(
    mapping: HistoryMapping, name: str, column: str, series: pd.Series, fmt: str
) -> pd.Series:
    text = series.astype("string").str.strip()
    present = text.notna() & text.ne("")
    stamps = pd.to_datetime(text.where(present), format=fmt, errors="coerce")
    bad = (present & stamps.isna()).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = mapping.origin(name, "formats", column)
        raise InputError(
            f"{where}: table {name}, column {column}: row {first} "
            f"holds {series.iloc[first]!r}, which does not match the format {fmt!r} "
            f"({int(bad.sum())} such values)"
        )
    return stamps


def _numbers(where: Origin, name: str, column: str, series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    bad = (numbers.isna() & series.notna()).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{where}: table {name}, column {column}: row {first} holds {series.iloc[first]!r}, "
            "which is not a number"
        )
    return numbers


def _cases(derive: Derive, frame: pd.DataFrame) -> pd.Series:
    result = pd.Series([derive.default] * len(frame), dtype=object)
    decided = np.zeros(len(frame), dtype=bool)
    for case in derive.cases or []:
        match = _all_hold(case.conditions, frame) & ~decided
        result[match] = case.value
        decided |= match
    return result


def _test(condition: Condition, series: pd.Series) -> np.ndarray:
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


def _lookup(
    where: Origin,
    name: str,
    column: str,
    on: pd.Series,
    keys: pd.Series,
    values: pd.Series,
    *,
    optional: bool = False,
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
            f"{where}: table {name}, column {column}: row {first} holds {on.iloc[first]!r}, which "
            f"the lookup does not find ({int(unmatched.sum())} such rows)"
        )
    return found.reset_index(drop=True)


def _count_rows(
    mapping: HistoryMapping, name: str, column: str, derive: Derive, frame: pd.DataFrame
) -> pd.DataFrame:
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
        frame[key] = _numbers(where, name, key, frame[key])
    grouped = frame.groupby(by, sort=False, dropna=False)
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
    return collapsed.reset_index()


def _group_text(by: list[str], group: Any) -> str:
    values = group if isinstance(group, tuple) else (group,)
    return ", ".join(f"{k}={str(v)!r}" for k, v in zip(by, values, strict=True))
