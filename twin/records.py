"""What a replication records, and the tidy tables built from it once the run ends.

Components append rows to the recorder's column tables during the run (cheap in the hot loop); the
DataFrames are built once, at the end. Every table's columns and units are listed in ``COLUMNS``
and documented in ``docs/results.md``. Times are days since the simulation start.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np
import pandas as pd

F, INT, B, S = "float64", "int64", "bool", "object"

COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    # one row per purchase order; t_receipt may lie beyond the horizon (not yet received)
    "purchases": (("sku", INT), ("t_order", F), ("quantity", INT), ("t_receipt", F)),
    # one row per change of a SKU's free stock (on hand, not allocated) or backlog, in time
    # order (units)
    "stock_changes": (("t", F), ("sku", INT), ("on_hand_delta", INT), ("backlog_delta", INT)),
    # one row per shipment dispatched (t_delivered may lie beyond the horizon); revenue at the
    # order price, cogs at unit cost (currency)
    "shipments": (
        ("order_id", INT),
        ("t_ready", F),
        ("t_shipped", F),
        ("t_delivered", F),
        ("lines", INT),
        ("units", INT),
        ("revenue", F),
        ("cogs", F),
    ),
    # one row per invoice; settles by payment or write-off at t_settled (maybe after the horizon)
    "invoices": (
        ("order_id", INT),
        ("segment", INT),
        ("customer", INT),
        ("t_invoice", F),
        ("t_due", F),
        ("amount", F),
        ("t_settled", F),
        ("written_off", B),
    ),
    # one row per job of a staff role, added when work is assigned: when asked for, when work
    # began, when done; work in days. Jobs still waiting at the horizon are added when the run
    # is collected, with no t_start or t_end (NaN).
    "staff_jobs": (("role", S), ("t_request", F), ("t_start", F), ("t_end", F), ("work_days", F)),
    # the levers' tables (empty when the lever is off)
    # [promotions: tables]
    # [credit: tables]
    # [after_sales: tables]
    # [customers: tables]
    # [staffing: tables]
}

ORDER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (column, Order attribute, dtype)
    ("order_id", "id", INT),
    ("segment", "segment", INT),
    ("customer", "customer", INT),
    ("t_arrival", "t_arrival", F),
    ("t_promised", "t_promised", F),
    ("lines", "lines", INT),
    ("units", "units", INT),
    ("value", "value", F),
    ("units_filled", "units_filled", INT),
    ("units_backordered", "units_backordered", INT),
    ("units_lost", "units_lost", INT),
    ("units_delivered", "units_delivered", INT),
    ("shipments", "n_shipments", INT),
    ("t_desk_start", "t_desk_start", F),
    ("t_desk_end", "t_desk_end", F),
    ("t_first_ship", "t_first_ship", F),
    ("t_last_delivery", "t_last_delivery", F),
    # [credit: order columns]
)


_TYPECODES = {F: "d", INT: "q", B: "b", S: "q"}


class ColumnTable:
    """A table that grows row by row, stored column by column in typed arrays.

    Rows are appended as tuples to a short buffer (the cheapest thing a hot loop can do) and moved
    into one typed array per column every ``CHUNK`` rows: eight bytes a value and no boxed Python
    objects, so memory and time stay linear in volume and the DataFrame at the end is a copy of
    the buffers. A hot loop may bind ``rows.append`` once and call :meth:`flush_if_full` after.
    """

    CHUNK = 4096

    def __init__(self, columns: tuple[tuple[str, str], ...]) -> None:
        self.spec = columns
        self.columns = [array(_TYPECODES[dtype]) for _, dtype in columns]
        self.rows: list[tuple] = []

    def __len__(self) -> int:
        return len(self.columns[0]) + len(self.rows)

    def add(self, row: tuple) -> None:
        """Append one row (values in column order)."""
        rows = self.rows
        rows.append(row)
        if len(rows) >= self.CHUNK:
            self.flush()

    def flush_if_full(self) -> None:
        if len(self.rows) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        """Move the buffered rows into the column arrays."""
        if self.rows:
            for column, values in zip(self.columns, zip(*self.rows, strict=True), strict=True):
                column.extend(values)
            self.rows.clear()  # clear, not rebind: hot loops hold rows.append

    def frame(self) -> pd.DataFrame:
        self.flush()
        data = {}
        for (name, dtype), column in zip(self.spec, self.columns, strict=True):
            values = np.frombuffer(column, dtype=np.dtype(column.typecode)).copy()
            data[name] = values.astype(dtype) if dtype in (B,) else values
        return pd.DataFrame(data)


@dataclass
class Recorder:
    """The tables a replication appends to while it runs (columns as in ``COLUMNS``; the
    ``role`` of ``staff_jobs`` is recorded as the role's number and named when collected)."""

    purchases: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["purchases"]))
    stock_changes: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["stock_changes"])
    )
    shipments: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["shipments"]))
    invoices: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["invoices"]))
    staff_jobs: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["staff_jobs"]))
    # [promotions: recorder tables]
    # [credit: recorder tables]
    # [after_sales: recorder tables]
    # [customers: recorder tables]
    # [staffing: recorder tables]

    def frames(self, role_names: list[str]) -> dict[str, pd.DataFrame]:
        frames = {name: getattr(self, name).frame() for name in COLUMNS}
        jobs = frames["staff_jobs"]
        jobs["role"] = (
            np.asarray(role_names, dtype=object)[jobs["role"].to_numpy()]
            if len(jobs)
            else jobs["role"].astype(object)
        )
        return frames


def orders_frame(orders: list) -> pd.DataFrame:
    """The per-order log, one row per order created, every lifecycle timestamp (days)."""
    fetch = attrgetter(*(attribute for _, attribute, _ in ORDER_COLUMNS))
    values = np.array([fetch(o) for o in orders], dtype=float).reshape(-1, len(ORDER_COLUMNS))
    return pd.DataFrame(
        {column: values[:, k].astype(dtype) for k, (column, _, dtype) in enumerate(ORDER_COLUMNS)}
    )


@dataclass
class RunResult:
    """Everything one replication produced: its tables and the facts needed to read them."""

    scenario: str
    replication: int
    seed: int
    horizon_days: float
    warmup_days: float
    start_date: str
    skus: tuple[str, ...]
    unit_cost: np.ndarray
    initial_on_hand: np.ndarray
    segments: tuple[str, ...]
    # role -> {"headcount", "cost_per_hour", "working_days_per_head" (working time in the KPI
    # window, days), "work_days" (work done in the window), "in_service_at_end", "waiting_at_end"}
    roles: dict[str, dict]
    tables: dict[str, pd.DataFrame]
    final_state: dict[str, float]
    notes: list[str] = field(default_factory=list)
    # lever -> the facts its KPIs need beyond the tables (costs, capacities), set when collected
    levers: dict[str, dict] = field(default_factory=dict)
