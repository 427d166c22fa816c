"""All the open state's tables from one history, at one as-of instant."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from twin.calibration.open_state.crm import open_opportunities, open_tickets
from twin.calibration.open_state.customers import customer_summaries
from twin.calibration.open_state.issues import Issues
from twin.calibration.open_state.money import receivables
from twin.calibration.open_state.purchasing import open_payables, open_purchase_orders
from twin.calibration.open_state.sales import backlog, shipments_recorded
from twin.calibration.open_state.stock import on_hand
from twin.calibration.open_state.view import state_view
from twin.errors import InputError


@dataclass
class OpenState:
    """The open state at `as_of` (the start of that day): the tables of
    :data:`twin.scenario.initial_state.STATE_TABLES` by name, the rows left out with their reason
    per history table (:mod:`~twin.calibration.open_state.issues`) and notes."""

    as_of: pd.Timestamp
    currency: str | None
    source: str
    tables: dict[str, pd.DataFrame]
    issues: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_open_state(
    mapped: dict[str, pd.DataFrame],
    quarantine: dict[str, pd.DataFrame],
    as_of: pd.Timestamp | str,
    *,
    origins: dict[str, pd.DataFrame] | None = None,
    source: str = "",
) -> OpenState:
    """The open state of a mapped history at the start of the day `as_of`.

    Parameters
    ----------
    mapped : dict of str to pandas.DataFrame
        The canonical tables as mapped (:func:`twin.calibration.mapping.apply_mapping`).
    quarantine : dict of str to pandas.DataFrame
        The quality step's quarantined rows (:class:`twin.calibration.quality.QualityResult`).
    as_of : timestamp or str
        The as-of date; its time of day must be midnight (the state is at the start of the day).
    origins : dict of str to pandas.DataFrame, optional
        Per table the ``file`` and ``row`` each mapped row came from, for the reported rows.
    source : str
        The history's name, written into ``state.yaml``.
    """
    stamp = pd.Timestamp(as_of)
    if pd.isna(stamp) or stamp != stamp.normalize():
        raise InputError(f'the open state\'s "as_of" must be a date (YYYY-MM-DD), got {as_of!r}')
    if "orders" not in mapped or "order_lines" not in mapped:
        raise InputError("the open state needs the orders and order_lines tables of the history")
    view = state_view(mapped, quarantine, stamp)
    issues = Issues(origins)
    orders, lines = view["orders"], view["order_lines"]
    customers = view.get("customers")
    crm_notes: list[str] = []
    owed = receivables(view.get("invoices"), view.get("payments"), orders, customers, stamp, issues)
    tables = {
        "stock": on_hand(view.get("inventory_snapshots"), view.get("stock_moves"), stamp, issues),
        "purchase_orders": open_purchase_orders(
            view.get("purchase_orders"), stamp, issues, view.get("stock_moves")
        ),
        "backlog": backlog(orders, lines, view.get("stock_moves"), customers, stamp, issues)
        if shipments_recorded(orders, view.get("stock_moves"))
        else backlog(orders.iloc[:0], lines.iloc[:0], None, customers, stamp, issues),
        "receivables": owed,
        "payables": open_payables(view.get("supplier_invoices"), stamp, issues),
        "opportunities": open_opportunities(
            view.get("opportunities"),
            stamp,
            mapped.get("accounts"),  # the match's links hold even for a quarantined account
            view.get("products"),
            issues,
            crm_notes,
        ),
        "tickets": open_tickets(view.get("tickets"), stamp),
        "customers": customer_summaries(
            orders, lines, view.get("invoices"), owed, customers, stamp
        ),
    }
    restored = sum(
        len(view[name]) - (len(mapped[name]) - len(quarantine.get(name, ()))) for name in view
    )
    notes = [
        f"open state at {stamp.date()}: {restored} rows quarantined only for a missing master "
        "row (unknown customer, orphan order or invoice) are counted in it",
    ]
    notes.extend(crm_notes)
    if not shipments_recorded(orders, view.get("stock_moves")):
        notes.append(
            "open state: the history records no shipment (no stock ledger, no shipped date, no "
            "shipped or delivered status), so its backlog cannot be told and is left empty"
        )
    billed = tables["payables"]["po_id"].isin(tables["purchase_orders"]["po_id"]).sum()
    if billed:
        notes.append(
            f"open state: {int(billed)} unpaid supplier bill(s) name a purchase order with open "
            "lines; a run with a cash section takes them as billed before those lines arrived "
            "and books no second bill on receipt (docs/levers/cash.md)"
        )
    if not len(tables["stock"]) and not issues.parts.get("stock"):
        notes.append(
            "open state: no inventory snapshots and no stock movements, so no stock on hand"
        )
    return OpenState(stamp, _currency(view.get("invoices")), source, tables, issues.frames(), notes)


def _currency(invoices: pd.DataFrame | None) -> str | None:
    if invoices is None or "currency" not in invoices.columns:
        return None
    codes = invoices["currency"].dropna().unique()
    return str(codes[0]) if len(codes) == 1 else None
