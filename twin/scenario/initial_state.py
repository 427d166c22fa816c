"""The open-state folder: the company's open items at an as-of instant, a run's starting point.

``twin calibrate --as-of DATE`` writes it beside the model (``state/``), ``twin synth`` writes the
sample company's true one, and a scenario's ``initial_state:`` key starts a run from it. The
as-of instant is the start of DATE: everything dated before it has happened, nothing on or after.
Each table is one Parquet file, always written (empty, with its columns, when the history holds
nothing of the kind); ids are strings, timestamps naive local time, quantities units, money the
history's currency. ``state.yaml`` beside them gives ``as_of``, ``currency``, ``source`` and the
row count of each table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.input_files import check_input_file

#: The columns of each table, in order (file ``<name>.parquet``).
STATE_TABLES: dict[str, tuple[str, ...]] = {
    # physical units on hand (units reserved for the backlog included); method: snapshot or
    # reconstructed (opening count + receipts - shipments)
    "stock": ("sku", "location", "on_hand", "method"),
    # purchase-order lines not yet fully received; expected_source: erp or fitted_lead_time
    "purchase_orders": (
        "po_id",
        "sku",
        "supplier_id",
        "ordered_at",
        "quantity_ordered",
        "quantity_received",
        "quantity_open",
        "expected_at",
        "expected_source",
    ),
    # sales-order lines accepted but not yet shipped
    "backlog": (
        "order_id",
        "line_no",
        "customer_id",
        "segment",
        "sku",
        "quantity_open",
        "unit_price",
        "ordered_at",
        "promised_at",
    ),
    # customer invoices not yet paid or written off
    "receivables": (
        "invoice_id",
        "order_id",
        "customer_id",
        "segment",
        "amount_open",
        "issued_at",
        "due_date",
    ),
    # supplier invoices not yet paid
    "payables": ("bill_id", "supplier_id", "po_id", "amount_open", "issued_at", "due_date"),
    # CRM opportunities neither won nor lost
    "opportunities": ("opportunity_id", "account_id", "stage", "created_at", "amount"),
    # after-sales tickets not yet closed
    "tickets": ("ticket_id", "customer_id", "order_id", "opened_at"),
    # each known customer's history at the as-of instant
    "customers": (
        "customer_id",
        "segment",
        "first_order_at",
        "last_order_at",
        "orders",
        "frequency",
        "recency_days",
        "age_days",
        "revenue",
        "open_amount",
        "days_overdue",
    ),
}
#: The file beside the tables that names the as-of date, currency, source and row counts.
STATE_SUMMARY = "state.yaml"

#: How each column is checked (see ``_check_column``): "id" a non-empty string; "id?" a string
#: or empty; "text" a string (may be ""); "time" a timestamp; "time?" a timestamp or empty;
#: "units>=0" / "units>0" a whole number of units; "money>=0" / "money>0" / "money" an amount;
#: "days>=0" a number of days. A "past" entry lists the timestamps that must lie before as_of.
COLUMN_KINDS: dict[str, dict[str, str]] = {
    "stock": {"sku": "id", "location": "text", "on_hand": "units>=0", "method": "id"},
    "purchase_orders": {
        "po_id": "id",
        "sku": "id",
        "supplier_id": "id?",
        "ordered_at": "time",
        "quantity_ordered": "units>=0",
        "quantity_received": "units>=0",
        "quantity_open": "units>0",
        "expected_at": "time",
        "expected_source": "id",
    },
    "backlog": {
        "order_id": "id",
        "line_no": "units>=0",
        "customer_id": "id?",
        "segment": "id",
        "sku": "id",
        "quantity_open": "units>0",
        "unit_price": "money>=0",
        "ordered_at": "time",
        "promised_at": "time?",
    },
    "receivables": {
        "invoice_id": "id",
        "order_id": "id?",
        "customer_id": "id?",
        "segment": "id",
        "amount_open": "money>0",
        "issued_at": "time",
        "due_date": "time",
    },
    "payables": {
        "bill_id": "id",
        "supplier_id": "id?",
        "po_id": "id?",
        "amount_open": "money>0",
        "issued_at": "time",
        "due_date": "time",
    },
    "opportunities": {
        "opportunity_id": "id",
        "account_id": "id?",
        "stage": "text",
        "created_at": "time",
        "amount": "money>=0",
    },
    "tickets": {"ticket_id": "id", "customer_id": "id?", "order_id": "id?", "opened_at": "time"},
    "customers": {
        "customer_id": "id",
        "segment": "id",
        "first_order_at": "time?",
        "last_order_at": "time?",
        "orders": "units>=0",
        "frequency": "units>=0",
        "recency_days": "days>=0",
        "age_days": "days>=0",
        "revenue": "money",
        "open_amount": "money",
        "days_overdue": "days>=0",
    },
}
#: Timestamps that must lie before the as-of instant: they record what has happened.
PAST_COLUMNS: dict[str, tuple[str, ...]] = {
    "purchase_orders": ("ordered_at",),
    "backlog": ("ordered_at",),
    "receivables": ("issued_at",),
    "payables": ("issued_at",),
    "opportunities": ("created_at",),
    "tickets": ("opened_at",),
    "customers": ("first_order_at", "last_order_at"),
}
#: The columns that identify a row: no two rows may share them.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "stock": ("sku", "location"),
    "backlog": ("order_id", "line_no"),
    "receivables": ("invoice_id",),
    "payables": ("bill_id",),
    "opportunities": ("opportunity_id",),
    "tickets": ("ticket_id",),
    "customers": ("customer_id",),
}
#: The allowed words of the word columns.
WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("stock", "method"): ("snapshot", "reconstructed"),
    ("purchase_orders", "expected_source"): ("erp", "fitted_lead_time"),
}


@dataclass(frozen=True)
class OpenState:
    """A checked open-state folder: the summary's facts and one DataFrame per table.

    ``tables[name]`` has the columns ``STATE_TABLES[name]`` in order; :meth:`days` turns its
    timestamps into model time (days since the as-of instant, negative in the past).
    """

    folder: Path
    as_of: dt.date
    currency: str | None
    source: str
    tables: dict[str, Any]

    def days(self, times: Any) -> Any:
        """Model time of timestamps (a Series or array): (timestamp - as_of) in days, float64;
        NaN where a timestamp is missing."""
        import numpy as np
        import pandas as pd

        stamps = pd.to_datetime(pd.Series(times)).to_numpy(dtype="datetime64[ns]")
        origin = np.datetime64(self.as_of.isoformat(), "ns")
        return (stamps - origin) / np.timedelta64(1, "D")


def _state_error(folder: Path, file: str, problem: str) -> InputError:
    return InputError(f"initial_state {folder}: {file}: {problem}")


def read_summary(folder: Path) -> dict[str, Any]:
    """The checked ``state.yaml`` of ``folder``: as_of (a date), currency, source, tables (row
    counts by table). Raises :class:`InputError` naming the folder, file and key."""
    import yaml

    folder = Path(folder)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "no such folder"
        raise InputError(
            f"initial_state {folder}: {what}; expected the open-state folder that `twin "
            f"calibrate --as-of` writes (state.yaml and one Parquet file per table: "
            f"{', '.join(f'{name}.parquet' for name in STATE_TABLES)})"
        )
    path = folder / STATE_SUMMARY
    check_input_file(path, "initial_state")
    if not path.is_file():
        raise _state_error(folder, STATE_SUMMARY, "missing; every state folder has one")
    try:
        summary = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _state_error(folder, STATE_SUMMARY, f"cannot be read ({exc})") from None
    if not isinstance(summary, dict):
        raise _state_error(folder, STATE_SUMMARY, "expected a mapping with as_of, tables, ...")
    as_of = summary.get("as_of")
    if isinstance(as_of, str):
        with contextlib.suppress(ValueError):  # a bad string is reported just below
            as_of = dt.date.fromisoformat(as_of)
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise _state_error(folder, STATE_SUMMARY, f"as_of: {as_of!r}, expected a date YYYY-MM-DD")
    tables = summary.get("tables") or {}
    if not isinstance(tables, dict):
        raise _state_error(folder, STATE_SUMMARY, "tables: expected a mapping table -> rows")
    for name, rows in tables.items():
        if name not in STATE_TABLES:
            raise _state_error(
                folder,
                STATE_SUMMARY,
                f"tables.{name}: unknown table; the tables are {', '.join(STATE_TABLES)}",
            )
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise _state_error(
                folder, STATE_SUMMARY, f"tables.{name}: {rows!r}, expected a row count >= 0"
            )
    currency = summary.get("currency")
    return {
        "as_of": as_of,
        "currency": None if currency is None else str(currency),
        "source": str(summary.get("source") or ""),
        "tables": tables,
    }


def read_state(folder: Path | str) -> OpenState:
    """Read and check an open-state folder (see the module docstring and docs/open_state.md).

    Checks that the folder, ``state.yaml`` and every table exist; each table's columns; each
    column's type (ids strings, timestamps, whole units, amounts); quantities and amounts
    non-negative (open quantities and amounts > 0); past events dated before ``as_of``; row
    counts as ``state.yaml`` says; no row given twice. The first problem raises
    :class:`InputError` naming the file, column and row (rows count from 1).
    """
    import pandas as pd

    folder = Path(folder)
    summary = read_summary(folder)
    tables = {}
    for name, columns in STATE_TABLES.items():
        file = f"{name}.parquet"
        path = folder / file
        check_input_file(path, "initial_state")
        if not path.is_file():
            raise _state_error(
                folder,
                file,
                f"missing; every table is written, empty when there is nothing "
                f"of the kind (columns {', '.join(columns)})",
            )
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many kinds for an unreadable file
            raise _state_error(folder, file, f"cannot be read as Parquet ({exc})") from None
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise _state_error(
                folder, file, f"lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}"
            )
        extra = [str(c) for c in frame.columns if c not in columns]
        if extra:
            raise _state_error(folder, file, f"has unknown column(s) {', '.join(extra)}")
        frame = frame.loc[:, list(columns)].reset_index(drop=True)
        expected_rows = summary["tables"].get(name)
        if expected_rows is not None and expected_rows != len(frame):
            raise _state_error(
                folder,
                file,
                f"has {len(frame)} rows but {STATE_SUMMARY} says tables.{name}: {expected_rows}; "
                "the folder is incomplete or was edited by hand",
            )
        for column, kind in COLUMN_KINDS[name].items():
            _check_column(
                frame, column, kind, lambda problem, f=file: _state_error(folder, f, problem)
            )
        _check_rows(frame, name, summary["as_of"], folder, file)
        tables[name] = frame
    return OpenState(folder, summary["as_of"], summary["currency"], summary["source"], tables)


def _rows_message(column: str, rows: Any, values: Any, expected: str) -> str:
    """The problem of the first bad row (0-based positions ``rows``) of a column."""
    row = int(rows[0])
    value = values[row]
    shown = (
        "empty"
        if value is None or value != value
        else repr(getattr(value, "item", lambda: value)())
    )
    more = f" ({len(rows) - 1} more row(s) like it)" if len(rows) > 1 else ""
    return f"column {column!r}, row {row + 1}: {shown}, expected {expected}{more}"


def _check_column(frame: Any, column: str, kind: str, error: Any) -> None:
    """Raise ``error(problem)`` for the first value of ``column`` that is not of ``kind``."""
    import numpy as np
    import pandas as pd

    series = frame[column]
    values = series.to_numpy(dtype=object)
    if kind in ("id", "id?", "text"):
        missing = series.isna().to_numpy()
        if kind == "id":
            bad = missing | np.array([isinstance(v, str) and v == "" for v in values], dtype=bool)
        else:
            bad = np.zeros(len(values), dtype=bool)
        bad |= np.array(
            [not (isinstance(v, str) or m) for v, m in zip(values, missing, strict=True)],
            dtype=bool,
        )
        if kind == "text":
            bad |= missing
        rows = np.flatnonzero(bad)
        if rows.size:
            expected = {"id": "a non-empty string id", "id?": "a string id or empty"}.get(
                kind, 'a string ("" when there is none)'
            )
            raise error(_rows_message(column, rows, values, expected))
        return
    if kind in ("time", "time?"):
        if len(series) and not pd.api.types.is_datetime64_dtype(series.dtype):
            raise error(
                f"column {column!r} holds {series.dtype}, expected naive timestamps "
                "(datetime64, the company's local time)"
            )
        if kind == "time":
            rows = np.flatnonzero(series.isna().to_numpy())
            if rows.size:
                raise error(_rows_message(column, rows, values, "a timestamp"))
        return
    if len(series) and not (
        pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    ):
        raise error(f"column {column!r} holds {series.dtype}, expected numbers")
    numbers = series.to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    expected = "a finite number"
    if kind.startswith("units"):
        bad |= numbers != np.floor(numbers)
        expected = "a whole number of units"
    if kind.endswith(">=0"):
        bad |= numbers < 0
        expected += " >= 0"
    elif kind.endswith(">0"):
        bad |= ~(numbers > 0)
        expected += " > 0"
    rows = np.flatnonzero(bad)
    if rows.size:
        raise error(_rows_message(column, rows, values, expected))


def _check_rows(frame: Any, name: str, as_of: dt.date, folder: Path, file: str) -> None:
    """Cross-column checks of one table: words, past timestamps, duplicate keys."""
    import numpy as np
    import pandas as pd

    for (table, column), words in WORDS.items():
        if table == name:
            rows = np.flatnonzero(~frame[column].isin(words).to_numpy())
            if rows.size:
                raise _state_error(
                    folder,
                    file,
                    _rows_message(
                        column, rows, frame[column].to_numpy(dtype=object), " or ".join(words)
                    ),
                )
    origin = pd.Timestamp(as_of)
    for column in PAST_COLUMNS.get(name, ()):
        stamps = frame[column]
        rows = np.flatnonzero((stamps >= origin).to_numpy(dtype=bool))
        if rows.size:
            raise _state_error(
                folder,
                file,
                _rows_message(
                    column,
                    rows,
                    stamps.astype(str).to_numpy(dtype=object),
                    f"a time before the as-of date {as_of} (the state holds what has happened "
                    "before it)",
                ),
            )
    if name == "purchase_orders" and len(frame):
        over = frame["quantity_received"] + frame["quantity_open"] > frame["quantity_ordered"]
        rows = np.flatnonzero(over.to_numpy())
        if rows.size:
            raise _state_error(
                folder,
                file,
                _rows_message(
                    "quantity_open",
                    rows,
                    frame["quantity_open"].to_numpy(dtype=object),
                    "at most quantity_ordered - quantity_received",
                ),
            )
    key = ROW_KEYS.get(name)
    if key and len(frame):
        rows = np.flatnonzero(frame.duplicated(list(key)).to_numpy())
        if rows.size:
            values = (frame[c].iloc[int(rows[0])] for c in key)
            shown = ", ".join(
                f"{c}={getattr(v, 'item', lambda v=v: v)()!r}"
                for c, v in zip(key, values, strict=True)
            )
            more = f" ({len(rows) - 1} more row(s) like it)" if len(rows) > 1 else ""
            raise _state_error(
                folder,
                file,
                f"row {int(rows[0]) + 1}: {shown} is given twice; each row is one item{more}",
            )


def state_start_date(data: dict[str, Any]) -> dict[str, Any]:
    """The raw scenario ``data`` with ``run.start_date`` set to the state's as-of date when it
    is not given (a run from a state starts on its as-of date)."""
    run = data.get("run")
    if run is None:
        run = {}
    if not isinstance(run, dict) or "start_date" in run:
        return data  # validation judges a bad run section or checks the given date
    as_of = read_summary(Path(data["initial_state"]))["as_of"]
    return {**data, "run": {**run, "start_date": as_of}}


def check_state(scenario: Any, state: OpenState) -> None:
    """Check the state against the scenario it starts: the run starts on the as-of date without
    a warm-up, and every SKU and segment the state names is the scenario's.

    Raises :class:`InputError` naming the scenario key or the state's file, column and row.
    """
    import numpy as np

    folder = state.folder
    run = scenario.run
    if run.start_date != state.as_of:
        raise InputError(
            f"run.start_date: {run.start_date}, but initial_state {folder} is the open state at "
            f"{state.as_of} ({STATE_SUMMARY}: as_of); a run from a state starts on its as-of "
            f"date: set run.start_date: {state.as_of} (or leave it out)"
        )
    if run.warmup_days != 0:
        raise InputError(
            f"run.warmup_days: {run.warmup_days:g}, but a run from initial_state {folder} "
            "starts in the company's real state and needs no warm-up: set run.warmup_days: 0 "
            "(its KPI window starts at day 0)"
        )
    skus = {p.sku for p in scenario.products}
    segments = set(scenario.segments)
    for name, column, known, what in (
        ("stock", "sku", skus, "products"),
        ("purchase_orders", "sku", skus, "products"),
        ("backlog", "sku", skus, "products"),
        ("backlog", "segment", segments, "segments"),
        ("receivables", "segment", segments, "segments"),
        ("customers", "segment", segments, "segments"),
    ):
        values = state.tables[name][column].to_numpy(dtype=object)
        rows = np.flatnonzero([value not in known for value in values])
        if rows.size:
            raise _state_error(
                folder,
                f"{name}.parquet",
                _rows_message(column, rows, values, f"one of the scenario's {what}")
                + "; the state and the model must describe the same company (calibrate both "
                "from one history, or add the missing entries to the scenario)",
            )
