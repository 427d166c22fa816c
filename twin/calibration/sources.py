"""Read raw source tables, with provenance, from files or a SQL database.

Two kinds of source:

- a folder of files, read by :func:`read_files`: CSV (``.csv``, ``.tsv``, ``.txt``), Excel
  (``.xlsx``, through openpyxl) or Parquet. One table may span several files (monthly exports,
  ``products.part1of2.csv`` parts); they are concatenated in name order and must share a header;
- a SQL database, read by :func:`read_sql` from a SQLAlchemy URL (``sqlite:///history.db``; a
  plain path to a ``.db``/``.sqlite`` file means SQLite), one table or query per canonical table.

CSV files are read with every column as text, so identifiers keep their leading zeros and casting
is left to :func:`twin.calibration.conform.conform`. Empty fields and ``NA`` are missing.

The encoding, unless the mapping gives one, is detected by
:func:`twin.calibration.encodings.detect`: a byte-order mark decides, else strict UTF-8, else
charset-normalizer's best guess, which must be clearly better than any other reading (else an
:class:`~twin.errors.InputError` asks for ``encoding:`` in the mapping). The encoding used and
its confidence are recorded in the provenance.

The delimiter, unless given, is whichever of ``,``, ``;``, tab and ``|`` occurs most often outside
quotes in the header line. A decimal comma is not applied when reading (the columns are text);
:func:`to_number_text` converts the columns a mapping declares numeric.

Every result is a :class:`RawTable`: the frame plus one :class:`Provenance` per file or query
(file, SHA-256, rows, encoding, delimiter), for the run manifest.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twin.calibration.encodings import Detected, decode_given, detect
from twin.errors import InputError
from twin.input_files import check_input_file

DELIMITERS = (",", ";", "\t", "|")
"""Delimiters recognised when a CSV file's delimiter is not given."""

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")

_NA_VALUES = ["", "NA"]

Locate = Callable[[int], str]
"""Where row i of a table came from, as a message says it: ``orders.csv, row 12``."""

ROWS_COUNT = "rows count from 1 in each file, header excluded"
"""The row convention of every message and quarantine file, said once per message."""


def in_order_read(i: int) -> str:
    """Row i (0-based) of a table whose files are unknown: 1-based, in the order read."""
    return f"row {i + 1}"


def locator(origins: pd.DataFrame) -> Locate:
    """A :data:`Locate` from the ``file`` and ``row`` columns of :meth:`RawTable.origins`."""
    files = origins["file"].to_numpy(dtype=object)
    rows = origins["row"].to_numpy()
    return lambda i: f"{files[i]}, row {int(rows[i])}"


@dataclass(frozen=True)
class Provenance:
    """Where some rows of a raw table came from.

    Parameters
    ----------
    source : str
        The file path, or ``<url> table <name>`` / ``<url> query`` for a database.
    rows : int
        Data rows read from it (header excluded).
    sha256 : str or None
        Hex SHA-256 of the file's bytes; None for a database.
    encoding : str or None
        Text encoding used (``utf-8-sig`` when the file had a BOM); None for binary formats.
    delimiter : str or None
        CSV delimiter used; None for other formats.
    encoding_confidence : float or None
        1 when the encoding was given, marked by a BOM or is strict UTF-8; else the detector's
        confidence, 0..1 (see :mod:`twin.calibration.encodings`); None for binary formats.
    encoding_method : str or None
        How the encoding was found: ``given``, ``bom``, ``utf-8`` or ``detected``.
    sheet : str or None
        The Excel sheet read; None for other formats.
    """

    source: str
    rows: int
    sha256: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    encoding_confidence: float | None = None
    encoding_method: str | None = None
    sheet: str | None = None

    @property
    def label(self) -> str:
        """The file (with its sheet) or query, as messages and quarantine files name it."""
        return self.source if self.sheet is None else f"{self.source}, sheet {self.sheet}"


@dataclass(frozen=True)
class RawTable:
    """A raw table as read, before mapping: the frame and where its rows came from."""

    name: str
    frame: pd.DataFrame
    provenance: tuple[Provenance, ...]

    @property
    def rows(self) -> int:
        """Number of rows read."""
        return len(self.frame)

    def origins(self, positions: np.ndarray | Sequence[int]) -> pd.DataFrame:
        """Where the rows at `positions` (0-based over all files, in the order read) came from.

        Returns
        -------
        pandas.DataFrame
            Columns ``file`` (:attr:`Provenance.label`: the file, its sheet, or the query) and
            ``row``, the row's place in that file: the N-th data row, 1-based, header excluded.
        """
        positions = np.asarray(positions, dtype=np.int64)
        if not self.provenance:
            return pd.DataFrame({"file": [""] * len(positions), "row": positions + 1})
        counts = np.array([p.rows for p in self.provenance], dtype=np.int64)
        ends = np.cumsum(counts)
        part = np.minimum(np.searchsorted(ends, positions, side="right"), len(counts) - 1)
        rows = positions - (ends[part] - counts[part]) + 1
        labels = np.array([p.label for p in self.provenance], dtype=object)
        return pd.DataFrame({"file": labels[part], "row": rows})


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def find_files(folder: Path | str, patterns: str | Sequence[str], *, name: str) -> list[Path]:
    """Files in `folder` matching any of the glob `patterns`, in name order, without repeats.

    Raises
    ------
    InputError
        `folder` is not a folder, or no file matches.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"table {name}: source folder not found: {root}")
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    found = sorted(
        {path for pattern in patterns for path in root.glob(pattern) if path.is_file()},
        key=lambda path: path.relative_to(root).as_posix(),
    )
    if not found:
        raise InputError(
            f"table {name}: no file in {root} matches {' or '.join(repr(p) for p in patterns)}"
        )
    return found


def read_files(
    paths: Sequence[Path | str],
    *,
    name: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
) -> RawTable:
    """Read one raw table from one or more files, concatenated in the given order.

    Parameters
    ----------
    paths : sequence of path
        The files; the format follows each suffix. See :func:`find_files`.
    name : str
        The table's name, for messages.
    encoding, delimiter : str, optional
        Fix the CSV encoding or delimiter instead of detecting them.
    sheet : str or int
        Excel sheet name or 0-based index.

    Returns
    -------
    RawTable
        All rows of all files; the index runs 0..n-1 over the files in order.

    Raises
    ------
    InputError
        A file is missing, empty, undecodable in the given encoding or unreadable, or its header
        differs from the first file's.
    """
    if not paths:
        raise InputError(f"table {name}: no files given")
    frames: list[pd.DataFrame] = []
    provenance: list[Provenance] = []
    for path in map(Path, paths):
        frame, prov = read_file(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
        if frames and list(frame.columns) != list(frames[0].columns):
            raise InputError(
                f"table {name}: {path} has the columns {', '.join(map(str, frame.columns))}, "
                f"but {provenance[0].source} has {', '.join(map(str, frames[0].columns))}; "
                "the files of one table must share a header"
            )
        frames.append(frame)
        provenance.append(prov)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return RawTable(name, frame.reset_index(drop=True), tuple(provenance))


def read_file(
    path: Path | str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
) -> tuple[pd.DataFrame, Provenance]:
    """Read one file; see :func:`read_files`."""
    path = Path(path)
    check_input_file(path, "")  # a regular file of a size twin can hold, before reading it
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        found = decode(data, path, encoding)
        sep = delimiter or sniff_delimiter(found.text)
        frame = _parse_csv(found.text, sep, path)
        prov = Provenance(
            str(path), len(frame), digest, found.encoding, sep, found.confidence, found.method
        )
        return frame, prov
    if suffix in EXCEL_SUFFIXES:
        frame, name = _read_excel(data, path, sheet)
        return frame, Provenance(str(path), len(frame), digest, sheet=name)
    elif suffix in PARQUET_SUFFIXES:
        frame = _read_parquet(data, path)
    else:
        known = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES
        raise InputError(
            f"{path}: unknown file type '{suffix}'; expected one of {', '.join(known)}"
        )
    return frame, Provenance(str(path), len(frame), digest)


def decode(data: bytes, path: Path | str, encoding: str | None = None) -> Detected:
    """Decode a file's bytes with the given `encoding`, or detect it
    (:func:`twin.calibration.encodings.detect`)."""
    if encoding is not None:
        return decode_given(data, path, encoding)
    return detect(data, path)


def sniff_delimiter(text: str) -> str:
    """The most frequent of :data:`DELIMITERS` outside quotes in the first line; ``,`` if none."""
    header = text.split("\n", 1)[0]
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_csv(text: str, sep: str, path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=_NA_VALUES,
        )
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path}: the file has no header line") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({_first_line(exc)})") from exc
    _check_header(frame, path)
    return frame


def _read_excel(data: bytes, path: Path, sheet: str | int) -> tuple[pd.DataFrame, str]:
    """The sheet's rows and the sheet's name (an index is resolved to the name, for messages)."""
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
    except ImportError as exc:
        raise InputError(f"{path}: reading Excel files needs the openpyxl package") from exc
    except Exception as exc:  # openpyxl raises many types for a damaged or non-Excel file
        raise InputError(f"{path}: not a readable Excel file ({_first_line(exc)})") from exc
    with book:
        names = [str(n) for n in book.sheet_names]
        if isinstance(sheet, int) and not 0 <= sheet < len(names):
            raise InputError(
                f"{path}: there is no sheet {sheet} (0-based); its sheets are: {', '.join(names)}"
            )
        name = names[sheet] if isinstance(sheet, int) else sheet
        if name not in names:
            raise InputError(
                f"{path}: there is no sheet '{name}'; its sheets are: {', '.join(names)}"
            )
        try:
            frame = pd.read_excel(
                book, sheet_name=name, dtype=str, keep_default_na=False, na_values=_NA_VALUES
            )
        except Exception as exc:  # a damaged sheet
            raise InputError(f"{path}, sheet {name}: not readable ({_first_line(exc)})") from exc
    _check_header(frame, Path(f"{path}, sheet {name}"))
    return frame, name


def _read_parquet(data: bytes, path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise InputError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from exc
    return frame.reset_index(drop=True)


def _check_header(frame: pd.DataFrame, path: Path) -> None:
    names = [str(c) for c in frame.columns]
    unnamed = [n for n in names if n.startswith("Unnamed: ")]
    if unnamed:
        position = names.index(unnamed[0]) + 1
        raise InputError(
            f"{path}: column {position} of the header line has no name; the first line (row) "
            "must be the header, one name per column, with no title or blank line above it"
        )
    frame.columns = [n.strip() for n in names]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def to_number_text(series: pd.Series, *, decimal: str = ".", thousands: str | None = None):
    """Rewrite number text with a decimal comma (``1.234,5``) in the dot form pandas parses.

    Parameters
    ----------
    series : pandas.Series
        Text; non-text series are returned unchanged.
    decimal : str
        The decimal mark used in `series`, ``.`` or ``,``.
    thousands : str, optional
        A thousands separator to remove (``.``, ``,``, a space or ``'``).
    """
    if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        return series
    text = series.astype("string").str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    return text


# ---------------------------------------------------------------------------------------------
# SQL databases
# ---------------------------------------------------------------------------------------------


CONNECT_TIMEOUT_S = 10
"""Seconds to wait for a database server to answer before the source counts as unreachable."""


def _is_postgres(url) -> bool:
    return url.get_backend_name() == "postgresql"


def database_url(source: Path | str) -> str | None:
    """The SQLAlchemy URL `source` stands for, or None when it is a folder of files.

    A string with ``://`` is a URL; a path to a ``.db``, ``.sqlite`` or ``.sqlite3`` file is a
    SQLite database.
    """
    text = str(source)
    if "://" in text:
        return text
    if Path(text).suffix.lower() in SQLITE_SUFFIXES:
        return f"sqlite:///{Path(text).absolute()}"
    return None


def shown_source(source: Path | str) -> str:
    """`source` as messages and output files may show it: a database URL without its password.

    Anything that does not parse as a URL (a folder, a file) is returned as given.
    """
    text = str(source)
    if "://" not in text:
        return text
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError

    try:
        return sa.engine.make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        return "<a database URL that does not parse>"


def read_sql(
    url: str, *, name: str, table: str | None = None, query: str | None = None
) -> RawTable:
    """Read one raw table from a database: a whole `table`, or the rows of a `query`.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///history.db`` or ``postgresql://user@host/erp``
        (PostgreSQL is read through psycopg 3 unless the URL names another driver).
    name : str
        The canonical table it is read for, for messages.
    table, query : str
        Exactly one: a table (or view) name, or a SELECT statement.

    Raises
    ------
    InputError
        The URL is invalid, its driver is not installed, the database cannot be reached (refused,
        unknown host, wrong password, no such database: the message names the URL without its
        password; a SQLite file must exist), the table does not exist, or the query fails.
    """
    try:
        import sqlalchemy as sa
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError("reading a database needs the sqlalchemy package") from exc
    if (table is None) == (query is None):
        raise InputError(f"table {name}: give exactly one of a database table or a query")
    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError as exc:
        raise InputError(f"table {name}: not a database URL: {url!r}") from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, the declared driver
    shown = parsed.render_as_string(hide_password=True)
    database = parsed.database
    # SQLite would silently create a missing file; a missing history file is an error.
    in_file = parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if in_file and not Path(database).is_file():
        raise InputError(f"table {name}: database file not found: {database}")
    # a server that never answers (a firewalled host) fails after a bounded wait, not never
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if _is_postgres(parsed) else {}
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args)
    except (NoSuchModuleError, ImportError) as exc:
        raise InputError(
            f"table {name}: no driver for {shown} ({_first_line(exc)}); install the database's "
            "Python driver"
        ) from exc
    origin = f"{shown} table {table}" if table is not None else f"{shown} query"
    try:
        connection = engine.connect()
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        reason = _first_line(getattr(exc, "orig", None) or exc)
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
        raise InputError(
            f"table {name}: cannot connect to the database {shown} ({reason}); check that the "
            "server is running and reachable at that host and port, and that the user, password "
            "and database name are right"
        ) from None  # the chained error could print the URL with its password
    try:
        with connection:
            if table is not None:
                inspector = sa.inspect(connection)
                names = inspector.get_table_names() + inspector.get_view_names()
                if table not in names:
                    listed = ", ".join(sorted(names)) or "none"
                    raise InputError(
                        f"table {name}: the database {shown} has no table '{table}' "
                        f"(tables: {listed})"
                    )
                selectable = sa.select(sa.Table(table, sa.MetaData(), autoload_with=connection))
            else:
                selectable = sa.text(query)
            frame = pd.read_sql_query(selectable, connection)
    except (SQLAlchemyError, pd.errors.DatabaseError) as exc:
        raise InputError(f"table {name}: cannot read {origin} ({_first_line(exc)})") from exc
    finally:
        engine.dispose()
    return RawTable(name, frame, (Provenance(origin, len(frame)),))
