"""The sample's ERP-style export of a finished run, with realistic dirt.

The export's own layout and column names (:data:`FILES`), what the ERP knows at the end of the
window, and faults drawn from generators of their own (:data:`DIRT`), counted so the quality
step can be checked against them. The run itself is :mod:`twin.calibration.synth`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from twin.calibration.synth_names import crm_accounts, customers_table, has_cjk
from twin.records import RunResult
from twin.scenario.schema import Scenario

# Segment codes as the ERP writes them (customer class and sales channel).
SEGMENT_CODES = {"key_accounts": "KA", "trade": "TR", "web": "WS"}

# Order and line status codes of the export.
ORDER_STATUS = {
    "placed": "OPEN",
    "approved": "REL",
    "shipped": "SHIP",
    "delivered": "DLVD",
    "cancelled": "CANC",
    "returned": "RETN",
}
LINE_STATUS = {"ordered": "O", "cancelled": "C", "returned": "R"}

# Rates of the dirt (per row or per order, as named).
DUPLICATE_LINE_RATE = 0.005
CANCEL_RATE = 0.008
RETURN_RATE = 0.003
OUT_OF_ORDER_RATE = 0.002
ORPHAN_CUSTOMERS = 12

# Stream numbers of the generator's own randomness (appended only, as in twin.streams).
_NAMES_STREAM, _DIRT_STREAM, _CRM_STREAM = 0, 1, 2

FILES = (
    "products.csv",
    "customers.csv",
    "sales_orders.parquet",
    "order_lines.parquet",
    "invoices.parquet",
    "payments.parquet",
    "purchase_orders.csv",
    "crm_accounts.csv",
    "stock_moves.parquet",
)
"""The files :func:`write_sample` writes, besides ``README.md`` and ``true_state/``; the stock
ledger, ``stock_moves.parquet``, is written by :mod:`twin.calibration.synth_truth`. A company
with after-sales, a pipeline or a cash book has lever files too
(:data:`twin.calibration.synth_levers.LEVER_MAPPING`)."""


DIRT = {
    "duplicate_line_rows": "order-line rows that repeat the row before them exactly",
    "returned_orders": "delivered orders with one extra line of negative quantity, status R",
    "cancelled_orders": "orders cancelled after entry: status CANC, lines C, no shipment or "
    "invoice",
    "orphan_customers": "customers deleted from customers.csv that orders still refer to",
    "orphan_orders": "orders whose customer is not in customers.csv",
    "orphan_lines": "order-line rows (duplicates included) of those orders",
    "delivered_before_shipped": "orders whose last delivery is dated before their first shipment",
    "chinese_customer_names": "customers with a Chinese company name (the file is GB18030)",
}
"""Kinds of dirt in the sample, by the key used in the README's table."""


def _stamps(start: pd.Timestamp, days: np.ndarray, horizon: float) -> pd.Series:
    """Days since the run start as timestamps to the second; NaT when unknown or after `horizon`."""
    known = np.isfinite(days) & (days <= horizon)
    seconds = np.where(known, np.round(np.where(known, days, 0.0) * 86400.0), 0).astype(np.int64)
    stamps = start + pd.to_timedelta(seconds, unit="s")
    return pd.Series(stamps.where(known, pd.NaT)).astype("datetime64[s]")


def export(
    scenario: Scenario,
    skus: Sequence[str],
    prices: Sequence[float],
    booked_lines: pd.DataFrame,
    result: RunResult,
    seed: int,
) -> tuple[dict[str, pd.DataFrame], dict[str, int], dict[str, int]]:
    """The raw export tables of a finished run, with dirt, and the dirt counts.

    Parameters
    ----------
    scenario : Scenario
        The scenario the run was built from.
    skus, prices : sequence
        The run's catalogue: SKU names and prices (source currency per unit) by SKU number.
    booked_lines : pandas.DataFrame
        Every order's lines from the order books: ``order_id, sku`` (the SKU's number),
        ``quantity``, in order-id order.
    result : RunResult
        The run's tables.
    seed : int
        Seed of the names and the dirt.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        The raw tables by file name (see :data:`FILES`).
    dirt : dict of str to int
        Counts of each kind of dirt (see :data:`DIRT`).
    match : dict of str to int
        The planted ERP-CRM match outcomes (see :data:`MATCH_PLANTS`).
    """
    horizon = float(result.horizon_days)
    warmup = float(result.warmup_days)
    start = pd.Timestamp(result.start_date)
    names_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_NAMES_STREAM,)))
    dirt_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_DIRT_STREAM,)))
    segments = list(scenario.segments)
    codes = segment_codes(segments)

    # --- orders and their lines, from the order books ------------------------------------------
    orders = result.tables["orders"].sort_values("order_id", kind="stable")
    lines = booked_lines
    inside = (orders["t_arrival"] >= warmup) & (orders["t_arrival"] < horizon)
    orders = orders[inside.to_numpy()].reset_index(drop=True)
    lines = lines[lines["order_id"].isin(orders["order_id"])]
    lines = lines.sort_values("order_id", kind="stable").reset_index(drop=True)
    lines["line_no"] = lines.groupby("order_id").cumcount() + 1
    lines["status"] = "ordered"

    # delivery as known at the end: every unit delivered by the horizon
    shipments = result.tables["shipments"]
    arrived = shipments[shipments["t_delivered"] <= horizon]
    delivered_units = arrived.groupby("order_id")["units"].sum()
    last_delivery = arrived.groupby("order_id")["t_delivered"].max()
    order_ids = orders["order_id"]
    complete = (
        order_ids.map(delivered_units).fillna(0).to_numpy() >= orders["units"].to_numpy()
    ) & (orders["units"].to_numpy() > 0)
    t_delivered = np.where(complete, order_ids.map(last_delivery).to_numpy(dtype=float), np.nan)
    t_ship = orders["t_first_ship"].to_numpy(dtype=float)
    t_desk = orders["t_desk_end"].to_numpy(dtype=float)
    status = np.full(len(orders), "placed", dtype=object)
    status[np.isfinite(t_desk) & (t_desk <= horizon)] = "approved"
    status[np.isfinite(t_ship) & (t_ship <= horizon)] = "shipped"
    status[complete] = "delivered"

    # --- dirt on orders: cancellations, returns, deliveries before shipments -------------------
    n = len(orders)
    cancel = dirt_rng.random(n) < CANCEL_RATE
    status[cancel] = "cancelled"
    t_ship = np.where(cancel, np.nan, t_ship)
    t_delivered = np.where(cancel, np.nan, t_delivered)
    lines.loc[lines["order_id"].isin(order_ids[cancel]).to_numpy(), "status"] = "cancelled"

    # the credit desk's rejections by the end: cancelled as the staff's cancellations are
    rejected = orders["t_credit_rejected"].to_numpy(dtype=float) <= horizon
    status[rejected] = "cancelled"
    lines.loc[lines["order_id"].isin(order_ids[rejected]).to_numpy(), "status"] = "cancelled"

    returned = (dirt_rng.random(n) < RETURN_RATE) & (status == "delivered")
    status[returned] = "returned"
    returns = _return_lines(lines, order_ids[returned].to_numpy(), dirt_rng)
    lines = pd.concat([lines, returns], ignore_index=True)
    lines = lines.sort_values(["order_id", "line_no"], kind="stable").reset_index(drop=True)

    early = (dirt_rng.random(n) < OUT_OF_ORDER_RATE) & (status == "delivered")
    t_delivered = np.where(early, t_ship - dirt_rng.uniform(0.1, 2.0, n), t_delivered)

    copies = np.where(dirt_rng.random(len(lines)) < DUPLICATE_LINE_RATE, 2, 1)
    lines = lines.loc[np.repeat(lines.index.to_numpy(), copies)].reset_index(drop=True)

    sold_to = customer_ids(orders["segment"].to_numpy(), orders["customer"].to_numpy())
    price = np.asarray(prices)
    sales_orders = pd.DataFrame(
        {
            "SalesOrder": order_ids.to_numpy() + 4_000_000,
            "SoldTo": sold_to,
            "Channel": np.asarray(codes, dtype=object)[orders["segment"].to_numpy()],
            "OrderDate": _stamps(start, orders["t_arrival"].to_numpy(), horizon),
            "PromisedDate": _stamps(start, orders["t_promised"].to_numpy(), np.inf).dt.floor("D"),
            "FirstShipDate": _stamps(start, t_ship, horizon),
            "LastDeliveryDate": _stamps(start, t_delivered, horizon),
            "Status": [ORDER_STATUS[s] for s in status],
        }
    )
    order_lines = pd.DataFrame(
        {
            "SalesOrder": lines["order_id"].to_numpy() + 4_000_000,
            "Item": lines["line_no"].to_numpy(dtype=np.int64),
            "Material": np.asarray(skus, dtype=object)[lines["sku"].to_numpy()],
            "OrderQty": lines["quantity"].to_numpy(dtype=np.int64),
            "NetPrice": price[lines["sku"].to_numpy()],
            "LineStatus": [LINE_STATUS[s] for s in lines["status"]],
        }
    )

    # --- customers, with some deleted (orphans) -----------------------------------------------
    customers, name_parts = customers_table(scenario, codes, names_rng)
    everyone = customers
    active = pd.unique(sold_to)
    candidates = np.sort(active[~pd.Series(active).str.startswith("C1").to_numpy()])
    orphans = dirt_rng.choice(
        candidates, size=min(ORPHAN_CUSTOMERS, len(candidates)), replace=False
    )
    customers = customers[~customers["CustomerNo"].isin(orphans)].reset_index(drop=True)
    orphan_orders = sales_orders["SoldTo"].isin(orphans).to_numpy()

    # --- invoices and payments ----------------------------------------------------------------
    invoices = result.tables["invoices"]
    invoices = invoices[invoices["order_id"].isin(order_ids[~cancel])]
    invoices = invoices.sort_values(["t_invoice", "order_id"], kind="stable")
    invoices = invoices.reset_index(drop=True)
    settled = invoices["t_settled"].to_numpy() <= horizon
    written_off = invoices["written_off"].to_numpy(dtype=bool) & settled
    paid = settled & ~written_off
    invoice_no = np.char.add("INV", (np.arange(len(invoices)) + 2_500_001).astype(str))
    t_paid = np.where(paid, invoices["t_settled"].to_numpy(), np.nan)
    invoice_table = pd.DataFrame(
        {
            "InvoiceNo": invoice_no,
            "SalesOrder": invoices["order_id"].to_numpy() + 4_000_000,
            "Payer": customer_ids(invoices["segment"].to_numpy(), invoices["customer"].to_numpy()),
            "InvoiceDate": _stamps(start, invoices["t_invoice"].to_numpy(), horizon).dt.floor("D"),
            "DueDate": _stamps(start, invoices["t_due"].to_numpy(), np.inf).dt.floor("D"),
            "Amount": invoices["amount"].round(2).to_numpy(),
            "PaidDate": _stamps(start, t_paid, horizon).dt.floor("D"),
            "WrittenOff": np.where(written_off, "Y", "N"),
        }
    )
    payments = pd.DataFrame(
        {
            "InvoiceNo": invoice_no[paid],
            "ValueDate": invoice_table["PaidDate"][paid].dt.strftime("%Y-%m-%d").to_numpy(),
            "AmountReceived": invoice_table["Amount"][paid].to_numpy(),
        }
    )

    # --- products and purchase orders ---------------------------------------------------------
    products = pd.DataFrame(
        {
            "ItemNo": list(skus),
            "Description": [_describe(p.category, p.sku) for p in scenario.products],
            "ProductGroup": [p.category or "" for p in scenario.products],
            "Vendor": [p.supplier for p in scenario.products],
            "ListPrice": [p.price for p in scenario.products],
            "StdCost": [p.unit_cost for p in scenario.products],
        }
    )
    purchases = result.tables["purchases"]
    purchases = purchases[purchases["t_order"] >= warmup]
    purchases = purchases.sort_values(["t_order", "sku"], kind="stable").reset_index(drop=True)
    received = purchases["t_receipt"].to_numpy() <= horizon
    suppliers = np.asarray([p.supplier for p in scenario.products], dtype=object)
    purchase_orders = pd.DataFrame(
        {
            "PONumber": np.char.add("PO", (np.arange(len(purchases)) + 700_001).astype(str)),
            "Vendor": suppliers[purchases["sku"].to_numpy()],
            "ItemNo": np.asarray(skus, dtype=object)[purchases["sku"].to_numpy()],
            "Qty": purchases["quantity"].to_numpy(),
            "PODate": _stamps(start, purchases["t_order"].to_numpy(), horizon).dt.strftime(
                "%Y%m%d"
            ),
            "GRDate": _stamps(start, purchases["t_receipt"].to_numpy(), horizon)
            .dt.strftime("%Y%m%d")
            .where(received, ""),
        }
    )

    orphan_line_rows = order_lines["SalesOrder"].isin(sales_orders["SalesOrder"][orphan_orders])
    dirt = {
        "duplicate_line_rows": int((copies == 2).sum()),
        "returned_orders": int(returned.sum()),
        "cancelled_orders": int(cancel.sum()),
        "orphan_customers": len(orphans),
        "orphan_orders": int(orphan_orders.sum()),
        "orphan_lines": int(orphan_line_rows.sum()),
        "delivered_before_shipped": int(early.sum()),
        "chinese_customer_names": int(customers["Name"].map(has_cjk).sum()),
    }
    tables = {
        "products.csv": products,
        "customers.csv": customers,
        "sales_orders.parquet": sales_orders,
        "order_lines.parquet": order_lines,
        "invoices.parquet": invoice_table,
        "payments.parquet": payments,
        "purchase_orders.csv": purchase_orders,
    }
    crm_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_CRM_STREAM,)))
    tables["crm_accounts.csv"], match = crm_accounts(everyone, customers, name_parts, crm_rng)
    return tables, dirt, match


def segment_codes(segments: list[str]) -> list[str]:
    """Each segment's code as the ERP writes it (:data:`SEGMENT_CODES`, else its first two
    letters in capitals)."""
    return [SEGMENT_CODES.get(name, name[:2].upper()) for name in segments]


def customer_ids(segment: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """ERP customer numbers: ``C`` and the segment's block of 10,000 (C10001 is the first key
    account, C20001 the first trade customer)."""
    return np.char.add("C", ((segment + 1) * 10_000 + customer + 1).astype(str)).astype(object)


def _return_lines(lines: pd.DataFrame, order_ids: np.ndarray, rng: np.random.Generator):
    """One negative line per returned order: part of a random line of the order sent back."""
    own = lines[lines["order_id"].isin(order_ids)]
    rows = []
    for order_id, group in own.groupby("order_id", sort=True):
        pick = group.iloc[int(rng.integers(len(group)))]
        back = int(rng.integers(1, int(pick["quantity"]) + 1))
        rows.append((order_id, int(pick["sku"]), -back, int(group["line_no"].max()) + 1))
    return pd.DataFrame(
        {
            "order_id": np.asarray([r[0] for r in rows], dtype=np.int64),
            "sku": np.asarray([r[1] for r in rows], dtype=np.int64),
            "quantity": np.asarray([r[2] for r in rows], dtype=np.int64),
            "line_no": np.asarray([r[3] for r in rows], dtype=np.int64),
            "status": ["returned"] * len(rows),
        }
    )


def _describe(category: str | None, sku: str) -> str:
    kind = {
        "fasteners": "Hex bolt set",
        "tools": "Hand tool",
        "electrical": "Cable and fitting",
        "plumbing": "Pipe fitting",
        "safety": "Safety gear",
    }.get(category or "", "Item")
    return f"{kind} {sku.split('-')[-1]}"
