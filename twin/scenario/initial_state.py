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
