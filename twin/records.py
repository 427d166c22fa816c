"""What a replication records, and the tidy tables built from it once the run ends.

Components append plain tuples to the recorder's lists during the run (cheap in the hot loop); the
DataFrames are built once, at the end. Every table's columns and units are listed in ``COLUMNS``
and documented in ``docs/results.md``. Times are days since the simulation start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

F, INT, B, S = "float64", "int64", "bool", "object"

COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    # one row per purchase order; t_receipt may lie beyond the horizon (not yet received)
    "purchases": (("sku", INT), ("t_order", F), ("quantity", INT), ("t_receipt", F)),
    # one row per change of on-hand stock or backlog of a SKU, in time order (units)
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
    # one row per job of a staff role: when asked for, when work began, when done; work in days.
    # A job still waiting at the horizon has no t_start or t_end (NaN).
    "staff_jobs": (("role", S), ("t_request", F), ("t_start", F), ("t_end", F), ("work_days", F)),
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
)


def _frame(rows: list, columns: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """Columns built straight from the row tuples, with fixed dtypes (much faster than letting
    pandas infer them row by row)."""
    transposed = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {
            name: np.array(values, dtype=dtype)
            for (name, dtype), values in zip(columns, transposed, strict=True)
        }
    )


@dataclass
class Recorder:
    """The lists a replication appends to while it runs."""

    purchases: list[tuple] = field(default_factory=list)
    stock_changes: list[tuple] = field(default_factory=list)
    shipments: list[tuple] = field(default_factory=list)
    invoices: list[tuple] = field(default_factory=list)
    staff_jobs: list[list] = field(default_factory=list)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: _frame(getattr(self, name), columns) for name, columns in COLUMNS.items()}


def orders_frame(orders: list) -> pd.DataFrame:
    """The per-order log, one row per order created, every lifecycle timestamp (days)."""
    return pd.DataFrame(
        {
            column: np.array([getattr(o, attribute) for o in orders], dtype=dtype)
            for column, attribute, dtype in ORDER_COLUMNS
        }
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
    roles: dict[str, dict]  # role -> {"headcount", "cost_per_hour", "working_days": [(t0, t1)]}
    tables: dict[str, pd.DataFrame]
    final_state: dict[str, float]
    notes: list[str] = field(default_factory=list)
