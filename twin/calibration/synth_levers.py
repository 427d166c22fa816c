"""The levers' records in the synthetic history, and their TRUE open items at its end.

A company with after-sales, a CRM pipeline or a cash book keeps more than orders and stock:
its service desk's tickets, its CRM's opportunities, its supplier bills. :func:`lever_files`
exports them, each only when the company has the lever (so a company without keeps exactly
the files it had), in the export's own layout:

- ``tickets.parquet`` (after-sales): one row per ticket opened in the history, ``TicketNo``,
  ``Customer``, ``SalesOrder`` (the order that delivered the failed unit; it may be a warm-up
  order the history does not hold), ``Material``, ``OpenedAt`` (the failure), ``ClosedAt`` (the
  repair, empty when not done by the end);
- ``opportunities.parquet`` (the customers' pipeline): one row per lead of the history,
  ``OpportunityId``, ``Segment``, ``Stage`` (``Won``, ``Lost``; an open one ``Prospecting``
  before a sales rep works it, ``Engaging`` while one does, ``Proposal`` after), ``CreatedAt``,
  ``ClosedAt``, ``Amount`` (0: the twin's pipeline has no deal values);
- ``supplier_invoices.parquet`` (the cash book): one row per supplier bill of the history (one
  per goods receipt), ``BillNo``, ``Vendor``, ``PONumber`` (empty when the PO was placed in the
  warm-up), ``BillDate`` (the receipt), ``DueDate``, ``Amount``, ``PaidDate``.

Stamps are to the second (dates for due dates), as the rest of the export; the history starts
at the end of the warm-up, so items of the warm-up are not in it. :data:`LEVER_MAPPING` holds
each file's table for a mapping (``calibration/mappings/sample.yaml`` plus these tables maps
the whole history).

:func:`lever_truth` gives the matching tables of the true open state from the run's own
records: tickets opened and not closed, opportunities created and not decided, bills issued and
not paid by the as-of instant (an item counts as happened when its stamp lies before it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from twin.calibration.open_state.frames import floats, ids, stamps, table
from twin.calibration.synth_truth import SECOND, po_numbers, seconds

LEVER_MAPPING = {
    "tickets.parquet": """\
  tickets:
    source: {files: tickets.parquet}
    fields:
      ticket_id: TicketNo
      customer_id: Customer
      order_id: SalesOrder
      sku: Material
      opened_at: OpenedAt
      closed_at: ClosedAt
""",
    "opportunities.parquet": """\
  opportunities:
    source: {files: opportunities.parquet}
    fields:
      opportunity_id: OpportunityId
      stage: Stage
      created_at: CreatedAt
      closed_at: ClosedAt
      amount: Amount
""",
    "supplier_invoices.parquet": """\
  supplier_invoices:
    source: {files: supplier_invoices.parquet}
    fields:
      bill_id: BillNo
      supplier_id: Vendor
      po_id: PONumber
      issued_at: BillDate
      due_date: DueDate
      amount: Amount
      paid_at: PaidDate
""",
}
"""Per lever file, its table of a mapping (YAML, indented under ``tables:``)."""


class Window:
    """The history window of a run: stamps of its times and whether they lie before the end."""

    def __init__(self, start: pd.Timestamp, warmup: float, horizon: float) -> None:
        self.start, self.warmup, self.horizon = start, warmup, horizon
        self.end_second = round(horizon * SECOND)

    def happened(self, days: np.ndarray) -> np.ndarray:
        """Whether each time (days; NaN: never) is stamped before the end of the history."""
        days = np.asarray(days, dtype=float)
        known = np.isfinite(days) & (days <= self.horizon)
        return known & (seconds(np.where(known, days, 0.0)) < self.end_second)

    def stamp(self, days: np.ndarray) -> pd.Series:
        """Times as stamps to the second; NaT where not known by the end of the history."""
        days = np.asarray(days, dtype=float)
        known = np.isfinite(days) & (days <= self.horizon)
        secs = np.where(known, seconds(np.where(known, days, 0.0)), 0).astype(np.int64)
        out = pd.Series(self.start + pd.to_timedelta(secs, unit="s"))
        return out.where(known, pd.NaT).astype("datetime64[s]")


def _tickets(tables: dict, window: Window) -> pd.DataFrame:
    """The history's tickets, numbered in order of opening."""
    rows = tables["tickets"]
    rows = rows[rows["t_failed"] >= window.warmup]
    rows = rows.sort_values(["t_failed", "ticket_id"], kind="stable").reset_index(drop=True)
    return rows.assign(number=np.char.add("T", (np.arange(len(rows)) + 600_001).astype(str)))


def _opportunities(tables: dict, window: Window) -> pd.DataFrame:
    """The history's leads, numbered in order of arrival, with their stage at the end."""
    rows = tables["opportunities"]
    rows = rows[(rows["t_lead"] >= window.warmup) & (rows["t_lead"] < window.horizon)]
    rows = rows.sort_values(["t_lead", "opportunity_id"], kind="stable").reset_index(drop=True)
    closed = window.happened(rows["t_closed"].to_numpy())
    working = window.happened(rows["t_work_start"].to_numpy())
    worked = window.happened(rows["t_work_end"].to_numpy())
    stage = np.where(worked, "Proposal", np.where(working, "Engaging", "Prospecting"))
    stage = np.where(closed, np.where(rows["won"].to_numpy(dtype=bool), "Won", "Lost"), stage)
    return rows.assign(
        number=np.char.add("OPP", (np.arange(len(rows)) + 300_001).astype(str)),
        stage=stage.astype(object),
        closed=closed,
    )


def _bills(tables: dict, window: Window) -> pd.DataFrame:
    """The history's supplier bills, numbered in order of issue, with their PO's number."""
    rows = tables["supplier_bills"]
    rows = rows[rows["t_received"] >= window.warmup]
    rows = rows.sort_values(["t_received", "sku"], kind="stable").reset_index(drop=True)
    purchases = tables["purchases"]
    numbers = po_numbers(purchases, window.warmup)
    placed = purchases.loc[numbers.index].assign(po=numbers.to_numpy())
    key = placed.drop_duplicates(["sku", "t_receipt"]).set_index(["sku", "t_receipt"])["po"]
    po = key.reindex(pd.MultiIndex.from_arrays([rows["sku"], rows["t_received"]])).to_numpy()
    return rows.assign(
        number=np.char.add("B", (np.arange(len(rows)) + 800_001).astype(str)),
        po=pd.Series(po, dtype=object).where(pd.notna(po), None).to_numpy(dtype=object),
    )


def lever_files(
    tables: dict[str, pd.DataFrame],
    window: Window,
    levers: dict[str, bool],
    skus: np.ndarray,
    customer_ids: Callable[[np.ndarray, np.ndarray], np.ndarray],
    codes: list[str],
) -> dict[str, pd.DataFrame]:
    """The lever files of the export (see the module docstring), by file name.

    `levers` says which the company has (``after_sales``, ``pipeline``, ``cash``); `codes` are
    the segments' codes as the export writes them.
    """
    out = {}
    if levers.get("after_sales"):
        rows = _tickets(tables, window)
        order = rows["order_id"].to_numpy(dtype=np.int64)
        out["tickets.parquet"] = pd.DataFrame(
            {
                "TicketNo": rows["number"].to_numpy(dtype=object),
                "Customer": _customers(rows, customer_ids),
                "SalesOrder": pd.Series(order + 4_000_000).where(order >= 0).astype("Int64"),
                "Material": np.asarray(skus, dtype=object)[rows["sku"].to_numpy()],
                "OpenedAt": window.stamp(rows["t_failed"].to_numpy()),
                "ClosedAt": window.stamp(rows["t_resolved"].to_numpy()),
            }
        )
    if levers.get("pipeline"):
        rows = _opportunities(tables, window)
        out["opportunities.parquet"] = pd.DataFrame(
            {
                "OpportunityId": rows["number"].to_numpy(dtype=object),
                "Segment": np.asarray(codes, dtype=object)[rows["segment"].to_numpy()],
                "Stage": rows["stage"].to_numpy(dtype=object),
                "CreatedAt": window.stamp(rows["t_lead"].to_numpy()),
                "ClosedAt": window.stamp(rows["t_closed"].to_numpy()),
                "Amount": np.zeros(len(rows)),
            }
        )
    if levers.get("cash"):
        rows = _bills(tables, window)
        out["supplier_invoices.parquet"] = pd.DataFrame(
            {
                "BillNo": rows["number"].to_numpy(dtype=object),
                "Vendor": rows["supplier"].to_numpy(dtype=object),
                "PONumber": rows["po"].to_numpy(dtype=object),
                "BillDate": window.stamp(rows["t_received"].to_numpy()),
                "DueDate": _due(window, rows["t_due"].to_numpy()),
                "Amount": rows["amount"].round(2).to_numpy(dtype=float),
                "PaidDate": window.stamp(rows["t_paid"].to_numpy()),
            }
        )
    return out


def lever_truth(
    tables: dict[str, pd.DataFrame],
    window: Window,
    levers: dict[str, bool],
    customer_ids: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> dict[str, pd.DataFrame]:
    """The true ``tickets``, ``opportunities`` and ``payables`` state tables of the levers the
    company has (see the module docstring); the others are not given."""
    out = {}
    start = window.start
    if levers.get("after_sales"):
        rows = _tickets(tables, window)
        rows = rows[
            window.happened(rows["t_failed"].to_numpy())
            & ~window.happened(rows["t_resolved"].to_numpy())
        ]
        order = rows["order_id"].to_numpy(dtype=np.int64)
        out["tickets"] = table(
            "tickets",
            {
                "ticket_id": ids(rows["number"]),
                "customer_id": ids(_customers(rows, customer_ids)),
                "order_id": ids(
                    pd.Series((order + 4_000_000).astype(str), dtype="string").where(order >= 0)
                ),
                "opened_at": stamps(start + pd.to_timedelta(seconds(rows["t_failed"]), unit="s")),
            },
        )
    if levers.get("pipeline"):
        rows = _opportunities(tables, window)
        rows = rows[~rows["closed"].to_numpy(dtype=bool)]
        out["opportunities"] = table(
            "opportunities",
            {
                "opportunity_id": ids(rows["number"]),
                "account_id": ids([pd.NA] * len(rows)),
                "stage": ids(rows["stage"]),
                "created_at": stamps(start + pd.to_timedelta(seconds(rows["t_lead"]), unit="s")),
                "amount": floats(np.zeros(len(rows))),
            },
        )
    if levers.get("cash"):
        rows = _bills(tables, window)
        rows = rows[
            window.happened(rows["t_received"].to_numpy())
            & ~window.happened(rows["t_paid"].to_numpy())
        ]
        out["payables"] = table(
            "payables",
            {
                "bill_id": ids(rows["number"]),
                "supplier_id": ids(rows["supplier"]),
                "po_id": ids(rows["po"]),
                "amount_open": floats(rows["amount"].round(2)),
                "issued_at": stamps(start + pd.to_timedelta(seconds(rows["t_received"]), unit="s")),
                "due_date": stamps(_due(window, rows["t_due"].to_numpy())),
            },
        )
    return out


def _customers(
    rows: pd.DataFrame, customer_ids: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """The ERP customer of each ticket (None: the twin knows none)."""
    segment = rows["segment"].to_numpy(dtype=np.int64)
    customer = rows["customer"].to_numpy(dtype=np.int64)
    known = (segment >= 0) & (customer >= 0)
    named = customer_ids(np.where(known, segment, 0), np.where(known, customer, 0))
    return np.where(known, named, None).astype(object)


def _due(window: Window, days: np.ndarray) -> pd.Series:
    """Due dates (the day, whenever it falls)."""
    days = np.asarray(days, dtype=float)
    secs = seconds(days).astype(np.int64)
    return pd.Series(window.start + pd.to_timedelta(secs, unit="s")).dt.floor("D")
