"""What a replication records, and the tidy tables built from it once the run ends.

Components append rows to the recorder's column tables during the run (cheap in the hot loop); the
DataFrames are built once, at the end. Every table's columns and units are listed in ``COLUMNS``
and documented in ``docs/results.md``. Times are days since the simulation start.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
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
    # promotions
    # one row per order line whose units a promotion changed (sold under it, in its dip, or
    # cannibalised by it), recorded when the order is allocated; order_id -1: a line of an order
    # that lost every line and was not placed. promotion: its number in the scenario's list;
    # promoted: sold under it at its price. base_units: the units drawn without promotions (the
    # "no promotion" counterfactual, same random numbers); units: after the response (0: the
    # line was dropped); units_short: not filled at arrival (backordered or lost). Prices per
    # unit (currency).
    "promotion_lines": (
        ("order_id", INT),
        ("segment", INT),
        ("sku", INT),
        ("t", F),
        ("promotion", INT),
        ("promoted", B),
        ("base_units", INT),
        ("units", INT),
        ("units_short", INT),
        ("list_price", F),
        ("price", F),
    ),
    # one row per promotion of the scenario: its days [t_start, t_end) and dip [t_end,
    # t_dip_end) (days); discount (fraction); fixed_cost (currency); skus: tuple of SKU numbers
    "promotions": (
        ("promotion", INT),
        ("name", S),
        ("t_start", F),
        ("t_end", F),
        ("t_dip_end", F),
        ("discount", F),
        ("fixed_cost", F),
        ("skus", S),
    ),
    # credit
    # one row per credit decision on an order: t when it was taken (arrival, or when a hold was
    # lifted); rule: number of the matching rule in credit.rules (-1: default_action); action 0
    # approve, 1 review, 2 hold, 3 reject; outcome 0 approved, 1 rejected, 2 released (a hold
    # lifted: the next row decides), 3 pending (still held or in review at the horizon);
    # t_released: when the outcome took effect (NaN if pending); amount: the order's list value
    # (currency)
    "credit_decisions": (
        ("order_id", INT),
        ("t", F),
        ("rule", INT),
        ("action", INT),
        ("outcome", INT),
        ("t_released", F),
        ("amount", F),
    ),
    # after-sales
    # one row per after-sales ticket (a delivered unit that failed before the horizon), added
    # when resolved, or when the run is collected if still open (missing times NaN). batch: the
    # row number in `shipments` of the shipment that delivered the unit. t_dispatched: every
    # spare part issued, the ticket handed to the engineers; t_start: an engineer sets off;
    # t_on_site: start + travel in working time; t_resolved: repair done. parts: spare units
    # needed; travel_days, repair_days: working time (days)
    "tickets": (
        ("ticket_id", INT),
        ("order_id", INT),
        ("segment", INT),
        ("customer", INT),
        ("sku", INT),
        ("batch", INT),
        ("t_failed", F),
        ("t_dispatched", F),
        ("t_start", F),
        ("t_on_site", F),
        ("t_resolved", F),
        ("parts", INT),
        ("travel_days", F),
        ("repair_days", F),
    ),
    # one row per issue of spare parts from free stock to a ticket (units leave the warehouse)
    "spare_issues": (("t", F), ("sku", INT), ("units", INT), ("ticket_id", INT)),
    # customer loop
    # one row per experience that moved a customer's satisfaction (1-5): kind 0 delivery
    # (days = last delivery minus promise, days late), 1 credit release (days held), 2 credit
    # rejection (days held), 3 after-sales ticket (days to resolve; order_id -1); score is the
    # experience's, satisfaction the customer's after it
    "customer_experiences": (
        ("t", F),
        ("segment", INT),
        ("customer", INT),
        ("order_id", INT),
        ("kind", INT),
        ("days", F),
        ("score", F),
        ("satisfaction", F),
    ),
    # one row per change of a customer's status: event 0 initial (at t 0), 1 acquired (won
    # through the pipeline, or a customer base's new customer at its first order), 2 churned;
    # satisfaction (1-5) at that moment
    "customer_events": (
        ("t", F),
        ("segment", INT),
        ("customer", INT),
        ("event", INT),
        ("satisfaction", F),
    ),
    # one row per opportunity (lead): rep work from t_work_start to t_work_end (NaN without
    # sales reps or while waiting), closed at t_closed (NaN: still open at the horizon); a won
    # one's new customer number (-1 when not won)
    "opportunities": (
        ("opportunity_id", INT),
        ("segment", INT),
        ("t_lead", F),
        ("t_work_start", F),
        ("t_work_end", F),
        ("t_closed", F),
        ("won", B),
        ("customer", INT),
    ),
    # cash (see twin.model.cash)
    # one row per movement of money through the bank: kind customer (a customer's payment, +),
    # supplier (a supplier bill paid, -), staff (payroll, -), freight, ordering, promotion (-);
    # counterparty: the segment, supplier, staff role, promotion, or "freight"/"ordering"
    # (strings once collected); amount: + in, - out (currency); rows in time order
    "cash_movements": (("t", F), ("kind", S), ("counterparty", S), ("amount", F)),
    # one row per supplier bill, issued when a purchase order is received: quantity x unit cost
    # (currency), due t_due = t_received + the supplier's terms, paid then (t_paid NaN: not
    # paid by the horizon, still a payable); an open state's unpaid bill has sku -1, its bill
    # date as t_received (< 0) and is paid at max(t_due, 0)
    "supplier_bills": (
        ("supplier", S),
        ("sku", INT),
        ("t_received", F),
        ("t_due", F),
        ("amount", F),
        ("t_paid", F),
    ),
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
    # credit: units rejected and when the desk released or rejected the order
    # units of an order the credit desk rejected (0 or all); when the credit desk released or
    # rejected it (NaN: no credit policy, not decided yet, or the other outcome)
    ("units_rejected", "units_rejected", INT),
    ("t_credit_released", "t_credit_released", F),
    ("t_credit_rejected", "t_credit_rejected", F),
)


_TYPECODES = {F: "d", INT: "q", B: "b", S: "q"}

#: Columns stored narrower than their dtype while the run records them (widened when framed):
#: numbers bounded by the scenario's size (a SKU's, a role's, a segment's), so they always fit.
NARROW = {
    ("stock_changes", "sku"): "i",
    ("staff_jobs", "role"): "h",
    ("invoices", "segment"): "h",
}

#: Where an integer column starts when no narrower typecode is given: four bytes, widened to
#: eight the first time a value does not fit (counts and ids almost always fit in four).
GROWING = "i"


class ColumnTable:
    """A table that grows row by row, stored column by column in typed arrays.

    Rows are appended as tuples to a short buffer (the cheapest thing a hot loop can do) and moved
    into one typed array per column every ``CHUNK`` rows: eight bytes a float, four an integer
    (eight once a value needs them) and no boxed Python objects, so memory and time stay linear
    in volume. A hot loop may bind ``rows.append`` once and call :meth:`flush_if_full` after.

    :meth:`frame` hands the rows over to a DataFrame: each column is copied out and its array
    freed at once, so a table never exists twice in memory, only one column does. The table keeps
    a (copy-on-write) reference to that frame, so rows added later and another ``frame()`` give
    every row, as before.
    """

    #: rows buffered per table: small enough that a buffer's tuples are still in the CPU's cache
    #: when they are moved (4,096 made moving them half again as slow per row)
    CHUNK = 256

    def __init__(
        self, columns: tuple[tuple[str, str], ...], narrow: dict[str, str] | None = None
    ) -> None:
        """``narrow``: column -> an ``array`` typecode smaller than the dtype's, for a column
        whose values always fit it (see :data:`NARROW`): a value that does not fit is an error
        there. Other integer columns start at :data:`GROWING` and widen when they must."""
        self.spec = columns
        narrow = narrow or {}
        self.columns = [
            array(narrow.get(name, GROWING if dtype in (INT, S) else _TYPECODES[dtype]))
            for name, dtype in columns
        ]
        # the columns that widen to eight bytes rather than refuse a value
        self._growing = [name not in narrow and dtype in (INT, S) for name, dtype in columns]
        self.rows: list[tuple] = []
        self._framed: pd.DataFrame | None = None  # the rows handed over by earlier frames

    def __len__(self) -> int:
        framed = 0 if self._framed is None else len(self._framed)
        return framed + len(self.columns[0]) + len(self.rows)

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
            columns = self.columns
            for k, values in enumerate(zip(*self.rows, strict=True)):
                column = columns[k]
                # array(code, tuple) converts at a preallocated size, then extend copies memory:
                # half the time of extend(tuple), which grows the array one value at a time; a
                # value that does not fit fails the conversion before anything is appended
                try:
                    column.extend(array(column.typecode, values))
                except OverflowError:
                    if not self._growing[k] or column.typecode == "q":
                        raise
                    columns[k] = column = array("q", column)
                    column.extend(array("q", values))
            self.rows.clear()  # clear, not rebind: hot loops hold rows.append

    def take_columns(self) -> Iterator[tuple[str, np.ndarray]]:
        """Hand every row added so far over, column by column: (name, values with the spec's
        dtype); each column's array is freed as soon as its values are copied out, so the table
        never exists twice in memory. The table is left empty."""
        self.flush()
        for k, (name, dtype) in enumerate(self.spec):
            column = self.columns[k]
            self.columns[k] = array(column.typecode)  # freed with the copy below
            values = np.frombuffer(column, dtype=np.dtype(column.typecode))
            wide = np.dtype(np.int64 if dtype == S else dtype)
            values = values.copy() if values.dtype == wide else values.astype(wide)
            del column
            yield name, values

    def frame(self) -> pd.DataFrame:
        """Every row added so far, as a DataFrame with the dtypes of the spec."""
        new = pd.DataFrame(dict(self.take_columns()), copy=False)  # the copies are its own
        earlier = self._framed
        if earlier is not None and len(earlier):
            new = pd.concat([earlier, new], ignore_index=True) if len(new) else earlier.copy()
        self._framed = new.copy(deep=False)  # copy-on-write: changing either copies the data
        return new


def _narrowed(table: str) -> ColumnTable:
    """A recorder table with its :data:`NARROW` columns."""
    narrow = {column: code for (name, column), code in NARROW.items() if name == table}
    return ColumnTable(COLUMNS[table], narrow)


@dataclass
class Recorder:
    """The tables a replication appends to while it runs (columns as in ``COLUMNS``; the
    ``role`` of ``staff_jobs`` is recorded as the role's number and named when collected)."""

    purchases: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["purchases"]))
    stock_changes: ColumnTable = field(default_factory=lambda: _narrowed("stock_changes"))
    shipments: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["shipments"]))
    invoices: ColumnTable = field(default_factory=lambda: _narrowed("invoices"))
    staff_jobs: ColumnTable = field(default_factory=lambda: _narrowed("staff_jobs"))
    promotion_lines: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["promotion_lines"])
    )
    # replaced by twin.model.promotions.CalendarTable (it holds names) when there are promotions
    promotions: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["promotions"]))
    credit_decisions: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["credit_decisions"])
    )
    tickets: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["tickets"]))
    spare_issues: ColumnTable = field(default_factory=lambda: ColumnTable(COLUMNS["spare_issues"]))
    customer_experiences: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["customer_experiences"])
    )
    customer_events: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["customer_events"])
    )
    opportunities: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["opportunities"])
    )
    cash_movements: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["cash_movements"])
    )
    supplier_bills: ColumnTable = field(
        default_factory=lambda: ColumnTable(COLUMNS["supplier_bills"])
    )

    def frames(self, role_names: list[str]) -> dict[str, pd.DataFrame]:
        frames = {name: getattr(self, name).frame() for name in COLUMNS}
        jobs = frames["staff_jobs"]
        jobs["role"] = (
            np.asarray(role_names, dtype=object)[jobs["role"].to_numpy()]
            if len(jobs)
            else jobs["role"].astype(object)
        )
        return frames


def orders_frame(orders: list, release: bool = False, chunk: int = 65536) -> pd.DataFrame:
    """The per-order log, one row per order created, every lifecycle timestamp (days).

    The orders are read ``chunk`` at a time into one array per dtype, which the frame's columns
    view: the only temporary is one chunk's rows, not a tuple per order of the whole run. With
    ``release`` the list is emptied as it is read, so orders nothing else holds are freed while
    the frame grows (what a replication's collection wants: its memory peaks there).
    """
    fetch = attrgetter(*(attribute for _, attribute, _ in ORDER_COLUMNS))
    n, width = len(orders), len(ORDER_COLUMNS)
    floats = [k for k, (_, _, dtype) in enumerate(ORDER_COLUMNS) if dtype == F]
    ints = [k for k, (_, _, dtype) in enumerate(ORDER_COLUMNS) if dtype == INT]
    float_block = np.empty((len(floats), n), dtype=np.float64)
    int_block = np.empty((len(ints), n), dtype=np.int64)
    for start in range(0, n, chunk):
        part = orders[:chunk] if release else orders[start : start + chunk]
        if release:
            del orders[:chunk]
        values = np.array([fetch(o) for o in part], dtype=float).reshape(-1, width).T
        del part
        float_block[:, start : start + values.shape[1]] = values[floats]
        int_block[:, start : start + values.shape[1]] = values[ints]
    row = {k: float_block[i] for i, k in enumerate(floats)}
    row.update({k: int_block[i] for i, k in enumerate(ints)})
    return pd.DataFrame(
        {column: row[k] for k, (column, _, _) in enumerate(ORDER_COLUMNS)}, copy=False
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
