"""Write the open state: the ``state/`` folder, its reported rows and its fit-report rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from twin.calibration.fit_report import FitReport
from twin.calibration.open_state.build import OpenState
from twin.calibration.privacy import pseudonym_key, pseudonymise, pseudonymise_together
from twin.scenario.initial_state import STATE_SUMMARY, STATE_TABLES

STATE_FOLDER = "state"
"""The open state's folder beside ``model.yaml``."""


def write_tables(
    folder: Path,
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
    currency: str | None,
    source: str,
) -> dict[str, Path]:
    """Write every state table (``<name>.parquet``, columns in order) and ``state.yaml`` into
    `folder`; shared by calibration and ``twin synth``'s true state."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, columns in STATE_TABLES.items():
        frame = tables[name]
        if tuple(frame.columns) != columns:
            raise ValueError(f"state table {name}: columns {list(frame.columns)} != {columns}")
        paths[name] = folder / f"{name}.parquet"
        frame.to_parquet(paths[name], index=False)
    summary = {
        "as_of": as_of.date().isoformat(),
        "currency": currency,
        "tables": {name: len(tables[name]) for name in STATE_TABLES},
        "source": source,
    }
    paths["summary"] = folder / STATE_SUMMARY
    paths["summary"].write_text(yaml.safe_dump(summary, sort_keys=False), encoding="utf-8")
    return paths


def write_state(model_dir: Path, state: OpenState) -> dict[str, Path]:
    """Write ``state/`` into the model folder and the reported rows as
    ``quarantine/state_<table>.csv``, all pseudonymised as the quality step's quarantine is:
    customer ids hashed with the folder's key (the same pseudonyms as the customers file of a
    customer base, so a state's customer is found there), person columns emptied or dropped."""
    key = pseudonym_key(model_dir)
    tables = pseudonymise_together(state.tables, key)
    paths = write_tables(
        model_dir / STATE_FOLDER, tables, state.as_of, state.currency, state.source
    )
    if state.issues:
        (model_dir / "quarantine").mkdir(parents=True, exist_ok=True)
    for table, rows in state.issues.items():
        paths[f"issues_{table}"] = model_dir / "quarantine" / f"state_{table}.csv"
        pseudonymise(rows, key).to_csv(paths[f"issues_{table}"], index=False)
    return paths


def state_report_rows(state: OpenState) -> pd.DataFrame:
    """The fit-report rows that summarise the open state (quantity ``state_*``, group ``all``)."""
    report = FitReport()
    t = state.tables
    date = state.as_of.date().isoformat()

    def add(quantity: str, value: float, n: int, source: str, note: str) -> None:
        report.add(quantity, "all", float(value), n, source, False, f"at {date}: {note}")

    add(
        "state_units_on_hand",
        t["stock"]["on_hand"].sum(),
        len(t["stock"]),
        "inventory_snapshots, stock_moves",
        "units on hand over the SKUs (n)",
    )
    add(
        "state_open_po_units",
        t["purchase_orders"]["quantity_open"].sum(),
        len(t["purchase_orders"]),
        "purchase_orders",
        "units on order over the open PO lines (n)",
    )
    add(
        "state_backlog_units",
        t["backlog"]["quantity_open"].sum(),
        len(t["backlog"]),
        "orders, order_lines, stock_moves",
        "units not yet shipped over the backlog lines (n)",
    )
    add(
        "state_receivables",
        t["receivables"]["amount_open"].sum(),
        len(t["receivables"]),
        "invoices, payments",
        "money owed by customers over the open invoices (n)",
    )
    add(
        "state_payables",
        t["payables"]["amount_open"].sum(),
        len(t["payables"]),
        "supplier_invoices",
        "money owed to suppliers over the open bills (n)",
    )
    add(
        "state_open_opportunities",
        t["opportunities"]["amount"].sum(),
        len(t["opportunities"]),
        "opportunities",
        "expected value of the open opportunities (n)",
    )
    add("state_open_tickets", len(t["tickets"]), len(t["tickets"]), "tickets", "open tickets")
    add(
        "state_customers",
        len(t["customers"]),
        len(t["customers"]),
        "orders, invoices",
        "customers with an order or an open invoice",
    )
    reported = sum(len(rows) for rows in state.issues.values())
    add(
        "state_rows_reported",
        reported,
        reported,
        "quarantine/state_*.csv",
        "rows left out of the state, with a reason",
    )
    return report.frame()
