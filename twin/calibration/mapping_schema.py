"""The mapping file's schema: pydantic models of its keys, their checks, and :func:`load_mapping`.

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
``timezone``
    An IANA time zone (``Europe/Berlin``) for a source that stores its timestamps as naive UTC,
    as Odoo does: every canonical ``datetime`` column taken (``fields``) from a source column of
    timestamp type (a SQL ``TIMESTAMP``, a Parquet timestamp) is turned into the company's local
    wall-clock time, daylight saving included, before anything else reads it, so weekday and
    hour-of-day fits see the company's days. Dates (a SQL ``DATE``, a ``date`` column) and text
    columns stay as they are: a date has no time of day to shift.

The file is only described and checked here; :func:`twin.calibration.mapping.apply_mapping`
applies it to the source tables.
"""

from __future__ import annotations

import codecs
import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from twin.calibration import history
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

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {value!r}; use a Python codec name such as utf-8, "
                    "cp1252, latin-1, cp1250, gb18030, shift_jis or utf-16"
                ) from None
        return value

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
    timezone: str | None = None

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
                given = spec.get(part)
                if not isinstance(given, dict):
                    continue  # a wrong type: the field's own validation names it, with its line
                for column in given:
                    if column not in columns:
                        raise ValueError(
                            f"tables.{name}.{part}.{column}: '{column}' is not a column of "
                            f"{name}; its columns are: {', '.join(columns)}"
                        )
        return data

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r}; give an IANA time zone name such as "
                    "Europe/Berlin, America/New_York or UTC"
                ) from None
        return value

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
