"""Write a canonical history into an Odoo-shaped PostgreSQL database: the fixture of the Odoo tests.

:func:`export_history` takes the canonical tables (:mod:`twin.calibration.history`, e.g. the
sample company's, mapped by ``calibration/mappings/sample.yaml``) and writes them in the shape an
Odoo 18 database holds them, so ``calibration/mappings/odoo.yaml`` can be tested against a real
PostgreSQL server. Tables, column names and column types follow Odoo's models (``sale.order`` is
``sale_order``; many2one fields are integer ``..._id`` columns; ``Datetime`` fields are
``timestamp without time zone`` in naive UTC, ``Date`` fields ``date``; ``Monetary`` and
quantity fields ``numeric``; translated names ``jsonb`` such as ``{"en_US": "Trade"}``;
company-dependent fields such as ``standard_price`` ``jsonb`` keyed by company id). Only the
columns the mapping reads, and the ids that join them, are created.

How the canonical rows become Odoo records, where Odoo has its own way:

- customers and suppliers are ``res_partner`` rows keyed by ``ref`` (the customer or supplier
  number); a customer that orders or invoices name but the customers table lacks (deleted from
  the export) is an archived partner (``active`` false), since Odoo archives, never deletes, a
  partner with documents; a SKU only lines or purchase orders name is an archived product
  likewise; segments and sales channels are sales teams (``crm_team``);
- an order's ``status`` is Odoo's ``state`` (``sent`` for placed, ``sale``, ``cancel``); the
  shipment is one validated delivery (``stock_picking`` of an ``outgoing`` type) at
  ``shipped_at``; ``delivered_at`` has no place: Odoo records when goods leave, not when the
  customer receives them; a returned line is a sale-order line of negative quantity;
- an invoice is a posted ``account_move`` (``out_invoice``) with its receivable line; a payment
  is a posted journal entry whose receivable line is reconciled with the invoice's through an
  ``account_partial_reconcile`` of the amount paid; the invoice's ``amount_residual`` and
  ``payment_state`` follow; payments are in a bank journal, and a written-off invoice is
  reconciled with an entry of the miscellaneous-operations journal; a supplier bill is a
  posted ``in_invoice`` (``invoice_origin`` its purchase order) with its payable line,
  reconciled in full with a payment entry when paid;
- a purchase-order line is a ``purchase_order_line``; its receipt an ``incoming`` picking done
  at ``received_at``, holding one done ``stock_move`` of ``qty_received`` when the history has
  no stock ledger;
- the stock ledger (``stock_moves``) is done ``stock_move`` rows between the warehouse's stock
  and a vendor, a customer or the inventory-adjustment location, linked to their sale-order or
  purchase-order line (receipts to the line's picking);
- stock counts are ``stock_quant`` rows (the latest count per SKU and location), opportunities
  ``crm_lead`` rows of type ``opportunity``, tickets ``helpdesk_ticket`` rows.

Timestamps are local wall-clock times in the canonical tables and naive UTC in Odoo: each is
converted from `timezone`. A local time in the hour skipped when clocks go forward does not
exist; it is moved forward by that hour (pandas ``nonexistent="shift_forward"``), so it reads
back one hour later. A value a column of Odoo's cannot hold (a time of day on a ``Date`` field)
is cut to what it holds. Nothing is dropped: every canonical row is written, or the function
raises :class:`~twin.errors.InputError` naming the row Odoo cannot hold.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from twin.errors import InputError

COMPANY_ID = 1
"""The one company the export writes (company-dependent values are keyed by its id)."""

SCHEMA: dict[str, dict[str, str]] = {
    "crm_team": {"id": "integer", "name": "jsonb"},
    "res_partner": {
        "id": "integer",
        "name": "varchar",
        "ref": "varchar",
        "active": "boolean",
        "is_company": "boolean",
        "customer_rank": "integer",
        "supplier_rank": "integer",
        "team_id": "integer",
        "create_date": "timestamp",
    },
    "product_category": {"id": "integer", "name": "varchar", "complete_name": "varchar"},
    "product_template": {
        "id": "integer",
        "name": "jsonb",
        "categ_id": "integer",
        "list_price": "numeric",
        "active": "boolean",
    },
    "product_product": {
        "id": "integer",
        "product_tmpl_id": "integer",
        "default_code": "varchar",
        "standard_price": "jsonb",
        "active": "boolean",
    },
    "product_supplierinfo": {
        "id": "integer",
        "partner_id": "integer",
        "product_tmpl_id": "integer",
        "sequence": "integer",
    },
    "sale_order": {
        "id": "integer",
        "name": "varchar",
        "partner_id": "integer",
        "team_id": "integer",
        "date_order": "timestamp",
        "commitment_date": "timestamp",
        "state": "varchar",
    },
    "sale_order_line": {
        "id": "integer",
        "order_id": "integer",
        "sequence": "integer",
        "display_type": "varchar",
        "product_id": "integer",
        "product_uom_qty": "numeric",
        "price_unit": "numeric",
        "discount": "numeric",
    },
    "stock_location": {"id": "integer", "complete_name": "varchar", "usage": "varchar"},
    "stock_picking_type": {"id": "integer", "name": "jsonb", "code": "varchar"},
    "stock_picking": {
        "id": "integer",
        "name": "varchar",
        "picking_type_id": "integer",
        "state": "varchar",
        "date_done": "timestamp",
        "sale_id": "integer",
    },
    "stock_move": {
        "id": "integer",
        "picking_id": "integer",
        "product_id": "integer",
        "location_id": "integer",
        "location_dest_id": "integer",
        "quantity": "numeric",
        "state": "varchar",
        "date": "timestamp",
        "sale_line_id": "integer",
        "purchase_line_id": "integer",
    },
    "stock_quant": {
        "id": "integer",
        "product_id": "integer",
        "location_id": "integer",
        "quantity": "numeric",
        "in_date": "timestamp",
    },
    "purchase_order": {
        "id": "integer",
        "name": "varchar",
        "partner_id": "integer",
        "date_order": "timestamp",
        "state": "varchar",
    },
    "purchase_order_line": {
        "id": "integer",
        "order_id": "integer",
        "product_id": "integer",
        "product_qty": "numeric",
        "qty_received": "numeric",
        "price_unit": "numeric",
        "date_planned": "timestamp",
        "display_type": "varchar",
    },
    "account_journal": {"id": "integer", "name": "jsonb", "type": "varchar"},
    "account_move": {
        "id": "integer",
        "name": "varchar",
        "move_type": "varchar",
        "journal_id": "integer",
        "state": "varchar",
        "partner_id": "integer",
        "date": "date",
        "invoice_date": "date",
        "invoice_date_due": "date",
        "invoice_origin": "varchar",
        "amount_total": "numeric",
        "amount_residual": "numeric",
        "payment_state": "varchar",
    },
    "account_move_line": {
        "id": "integer",
        "move_id": "integer",
        "display_type": "varchar",
        "balance": "numeric",
    },
    "account_partial_reconcile": {
        "id": "integer",
        "debit_move_id": "integer",
        "credit_move_id": "integer",
        "amount": "numeric",
        "max_date": "date",
    },
    "crm_stage": {"id": "integer", "name": "jsonb", "is_won": "boolean"},
    "crm_lead": {
        "id": "integer",
        "name": "varchar",
        "type": "varchar",
        "partner_id": "integer",
        "stage_id": "integer",
        "create_date": "timestamp",
        "date_closed": "timestamp",
        "expected_revenue": "numeric",
        "active": "boolean",
    },
    "helpdesk_ticket": {
        "id": "integer",
        "name": "varchar",
        "partner_id": "integer",
        "sale_order_id": "integer",
        "create_date": "timestamp",
        "close_date": "timestamp",
    },
}
"""The Odoo tables written: column name -> PostgreSQL type, as Odoo's ORM creates them."""

STATES = {
    "placed": "sent",
    "approved": "sale",
    "invoiced": "sale",
    "processing": "sale",
    "shipped": "sale",
    "delivered": "sale",
    "returned": "sale",
    "cancelled": "cancel",
    "unavailable": "cancel",
}
"""Canonical order status -> ``sale_order.state`` (Odoo 17+: draft, sent, sale, cancel)."""

WAREHOUSE_STOCK = "WH/Stock"

JOURNALS = {"sale": 1, "purchase": 2, "bank": 3, "general": 4}
"""The journal of each kind of entry (Odoo's ``account_journal.type``): invoices, bills,
payments, and write-offs (miscellaneous operations)."""


def team_name(segment: str) -> str:
    """The sales team a canonical segment or channel becomes: ``key_accounts`` -> ``Key
    Accounts``."""
    return segment.replace("_", " ").title()


def translated(text: object) -> object:
    """A translated Odoo name (``jsonb``) holding `text` in ``en_US``; missing stays missing."""
    return None if pd.isna(text) else json.dumps({"en_US": str(text)})


def to_utc(local: pd.Series, timezone: str) -> pd.Series:
    """Naive local wall-clock times in `timezone` as naive UTC, Odoo's ``Datetime`` storage.

    A time in the spring-forward gap is moved forward by the gap; in the autumn overlap the
    first (summer-time) reading is taken.
    """
    stamps = pd.to_datetime(local)
    aware = stamps.dt.tz_localize(
        timezone, ambiguous=np.ones(len(stamps), dtype=bool), nonexistent="shift_forward"
    )
    return aware.dt.tz_convert("UTC").dt.tz_localize(None)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.date.astype(object).where(values.notna(), None)


def _ids(keys: pd.Series) -> dict[object, int]:
    """1, 2, ... for the distinct non-missing `keys`, in the order first seen."""
    return {key: i for i, key in enumerate(pd.unique(keys.dropna()), start=1)}


def _ref(ids: dict[object, int], keys: pd.Series, what: str, table: str) -> pd.Series:
    """The Odoo ids of `keys`; a key not in `ids` is an error naming the first such row."""
    found = keys.map(ids)
    unknown = keys.notna() & found.isna()
    if unknown.any():
        first = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            f"canonical table {table}, row {first + 1}: {what} {keys.iloc[first]!r} is not in the "
            f"history, and an Odoo database cannot hold a reference to a record it lacks "
            f"({int(unknown.sum())} such rows)"
        )
    return found.astype("Int64")


def odoo_frames(tables: dict[str, pd.DataFrame], timezone: str) -> dict[str, pd.DataFrame]:
    """The Odoo tables (:data:`SCHEMA`) holding the canonical `tables`.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Conformed canonical tables; ``orders`` and ``order_lines`` at least, the others when
        present (products, customers, invoices, payments, purchase_orders, supplier_invoices,
        inventory_snapshots, opportunities, tickets).
    timezone : str
        IANA zone of the canonical local times; Odoo's timestamps are written in naive UTC.

    Raises
    ------
    InputError
        A row refers to an order, invoice or product the history does not hold.
    """
    empty = {name: pd.DataFrame(columns=list(cols)) for name, cols in SCHEMA.items()}
    out: dict[str, pd.DataFrame] = dict(empty)
    orders = tables["orders"]
    lines = tables["order_lines"]
    customers = tables.get("customers", pd.DataFrame(columns=["customer_id", "name", "segment"]))
    products = tables.get("products", pd.DataFrame(columns=["sku"]))
    invoices = tables.get("invoices")
    payments = tables.get("payments")
    purchases = tables.get("purchase_orders")
    bills = tables.get("supplier_invoices")

    def utc(values: pd.Series) -> pd.Series:
        return to_utc(values, timezone)

    # sales teams: every segment and channel
    labels = pd.concat([customers.get("segment", pd.Series(dtype="string")), orders["channel"]])
    teams = _ids(labels)
    out["crm_team"] = pd.DataFrame(
        {"id": list(teams.values()), "name": [translated(team_name(t)) for t in teams]}
    )

    # partners: customers (those only documents name are archived), then suppliers
    referenced = pd.concat(
        [orders["customer_id"]] + ([invoices["customer_id"]] if invoices is not None else [])
    )
    orphans = pd.Series(pd.unique(referenced.dropna()), dtype="string")
    orphans = orphans[~orphans.isin(customers["customer_id"])]
    suppliers = pd.concat(
        [products.get("supplier_id", pd.Series(dtype="string"))]
        + ([purchases["supplier_id"]] if purchases is not None else [])
        + ([bills["supplier_id"]] if bills is not None else [])
    )
    suppliers = pd.Series(pd.unique(suppliers.dropna()), dtype="string")
    partner = pd.DataFrame(
        {
            "ref": pd.concat([customers["customer_id"], orphans, suppliers], ignore_index=True),
            "name": pd.concat(
                [customers.get("name", customers["customer_id"]), orphans, suppliers],
                ignore_index=True,
            ),
            "active": [True] * len(customers) + [False] * len(orphans) + [True] * len(suppliers),
            "customer_rank": [1] * (len(customers) + len(orphans)) + [0] * len(suppliers),
            "supplier_rank": [0] * (len(customers) + len(orphans)) + [1] * len(suppliers),
            "team_id": pd.concat(
                [
                    customers.get("segment", pd.Series([None] * len(customers))).map(teams),
                    pd.Series([None] * (len(orphans) + len(suppliers)), dtype=object),
                ],
                ignore_index=True,
            ).astype("Int64"),
        }
    )
    partner.insert(0, "id", np.arange(1, len(partner) + 1))
    partner["is_company"] = True
    partner["create_date"] = pd.NaT  # the history does not say when a customer was created
    out["res_partner"] = partner
    buyers = len(customers) + len(orphans)
    customer_ids = dict(zip(partner["ref"].iloc[:buyers], partner["id"].iloc[:buyers], strict=True))
    supplier_ids = {
        ref: int(i)
        for ref, i in zip(
            partner["ref"].iloc[buyers:],
            partner["id"].iloc[buyers:],
            strict=True,
        )
    }

    # products: a template and one variant per SKU, known or only named by lines and POs
    skus = pd.concat(
        [products["sku"], lines["sku"]] + ([purchases["sku"]] if purchases is not None else [])
    )
    product_ids = _ids(skus)
    catalogue = pd.DataFrame({"sku": list(product_ids), "id": list(product_ids.values())})
    catalogue = catalogue.merge(products, on="sku", how="left")
    # a SKU only lines or purchase orders name (deleted from the product list) is archived
    listed = catalogue["sku"].isin(products["sku"]).to_numpy()
    categories = _ids(catalogue.get("category", pd.Series(dtype="string")))
    out["product_category"] = pd.DataFrame(
        {
            "id": list(categories.values()),
            "name": list(categories),
            "complete_name": list(categories),
        }
    )
    out["product_template"] = pd.DataFrame(
        {
            "id": catalogue["id"],
            "name": [translated(n) for n in catalogue.get("name", catalogue["sku"])],
            "categ_id": catalogue.get("category", pd.Series(dtype=object)).map(categories),
            "list_price": catalogue.get("list_price"),
            "active": listed,
        }
    )
    cost = catalogue.get("unit_cost", pd.Series([np.nan] * len(catalogue)))
    out["product_product"] = pd.DataFrame(
        {
            "id": catalogue["id"],
            "product_tmpl_id": catalogue["id"],
            "default_code": catalogue["sku"],
            "standard_price": [
                None if pd.isna(c) else json.dumps({str(COMPANY_ID): float(c)}) for c in cost
            ],
            "active": listed,
        }
    )
    vendor = catalogue.get("supplier_id", pd.Series([None] * len(catalogue)))
    known = vendor.notna().to_numpy()
    out["product_supplierinfo"] = pd.DataFrame(
        {
            "id": np.arange(1, int(known.sum()) + 1),
            "partner_id": vendor[known].map(supplier_ids).to_numpy(),
            "product_tmpl_id": catalogue["id"][known].to_numpy(),
            "sequence": 1,
        }
    )

    # sale orders, their lines and their deliveries
    order_ids = {key: i for i, key in enumerate(orders["order_id"], start=1)}
    out["sale_order"] = pd.DataFrame(
        {
            "id": np.arange(1, len(orders) + 1),
            "name": orders["order_id"],
            "partner_id": orders["customer_id"].map(customer_ids).astype("Int64"),
            "team_id": orders["channel"].map(teams).astype("Int64"),
            "date_order": utc(orders["ordered_at"]),
            "commitment_date": utc(orders["promised_at"]),
            "state": orders["status"].map(STATES),
        }
    )
    out["sale_order_line"] = pd.DataFrame(
        {
            "id": np.arange(1, len(lines) + 1),
            "order_id": _ref(order_ids, lines["order_id"], "order", "order_lines"),
            "sequence": lines["line_no"],
            "display_type": None,
            "product_id": lines["sku"].map(product_ids).astype("Int64"),
            "product_uom_qty": lines["quantity"],
            "price_unit": lines["unit_price"],
            # Odoo's discount is a percentage of the line's price times quantity
            "discount": (
                100
                * lines["discount"]
                / (lines["unit_price"] * lines["quantity"]).replace(0, np.nan)
            ).fillna(0.0),
        }
    )
    locations = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "complete_name": [
                WAREHOUSE_STOCK,
                "Partners/Customers",
                "Partners/Vendors",
                "Virtual Locations/Inventory adjustment",
            ],
            "usage": ["internal", "customer", "supplier", "inventory"],
        }
    )
    out["stock_picking_type"] = pd.DataFrame(
        {
            "id": [1, 2],
            "name": [translated("Receipts"), translated("Delivery Orders")],
            "code": ["incoming", "outgoing"],
        }
    )
    shipped = orders["shipped_at"].notna().to_numpy()
    deliveries = pd.DataFrame(
        {
            "id": np.arange(1, int(shipped.sum()) + 1),
            "name": [f"WH/OUT/{i:06d}" for i in range(1, int(shipped.sum()) + 1)],
            "picking_type_id": 2,
            "state": "done",
            "date_done": utc(orders["shipped_at"][shipped]).to_numpy(),
            "sale_id": np.flatnonzero(shipped) + 1,
        }
    )

    # customer invoices, payments and their reconciliation
    if invoices is not None:
        n = len(invoices)
        invoice_ids = {key: i for i, key in enumerate(invoices["invoice_id"], start=1)}
        paid = pd.Series(0.0, index=invoices.index)
        if payments is not None and len(payments):
            where = _ref(invoice_ids, payments["invoice_id"], "invoice", "payments")
            if where.isna().any():
                first = int(np.flatnonzero(where.isna().to_numpy())[0])
                raise InputError(
                    f"canonical table payments, row {first + 1}: the payment names no invoice; "
                    "an Odoo payment is reconciled with an invoice's receivable line"
                )
            sums = payments["amount"].groupby(where.to_numpy() - 1).sum()
            paid.iloc[sums.index] = sums.to_numpy()
        residual = (invoices["amount"] - paid).round(2)
        written_off = (
            invoices["written_off"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            if "written_off" in invoices
            else np.zeros(n, dtype=bool)
        ) & (residual > 0).to_numpy()
        write_off = residual.where(written_off, 0.0).to_numpy()
        residual = residual.where(~written_off, 0.0)
        state = np.where(residual <= 0, "paid", np.where(paid > 0, "partial", "not_paid"))
        moves = pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "name": invoices["invoice_id"],
                "move_type": "out_invoice",
                "journal_id": JOURNALS["sale"],
                "state": "posted",
                "partner_id": invoices["customer_id"].map(customer_ids).astype("Int64"),
                "date": _dates(invoices["issued_at"]),
                "invoice_date": _dates(invoices["issued_at"]),
                "invoice_date_due": _dates(invoices["due_date"]),
                "invoice_origin": invoices["order_id"],
                "amount_total": invoices["amount"],
                "amount_residual": residual,
                "payment_state": state,
            }
        )
        move_lines = pd.DataFrame(
            {
                "id": moves["id"],
                "move_id": moves["id"],
                "display_type": "payment_term",
                "balance": invoices["amount"],
            }
        )
        if payments is not None and len(payments):
            m = len(payments)
            entry = np.arange(n + 1, n + m + 1)
            payment_moves = pd.DataFrame(
                {
                    "id": entry,
                    "name": payments["payment_id"],
                    "move_type": "entry",
                    "journal_id": JOURNALS["bank"],
                    "state": "posted",
                    "partner_id": payments["invoice_id"]
                    .map(dict(zip(invoices["invoice_id"], moves["partner_id"], strict=True)))
                    .astype("Int64"),
                    "date": _dates(payments["paid_at"]),
                }
            )
            moves = pd.concat([moves, payment_moves], ignore_index=True)
            move_lines = pd.concat(
                [
                    move_lines,
                    pd.DataFrame(
                        {
                            "id": entry,
                            "move_id": entry,
                            "display_type": "payment_term",
                            "balance": -payments["amount"],
                        }
                    ),
                ],
                ignore_index=True,
            )
            out["account_partial_reconcile"] = pd.DataFrame(
                {
                    "id": np.arange(1, m + 1),
                    "debit_move_id": where.to_numpy(),
                    "credit_move_id": entry,
                    "amount": payments["amount"],
                    "max_date": _dates(payments["paid_at"]),
                }
            )
        out["account_move"] = moves
        out["account_move_line"] = move_lines
        if written_off.any():
            _write_offs(out, invoices[written_off], write_off[written_off], customer_ids)
    if bills is not None and len(bills):
        _write_bills(out, bills, supplier_ids)

    # purchase orders, their lines and receipts
    receipts = pd.DataFrame(columns=list(SCHEMA["stock_picking"]))
    received_lines = None
    if purchases is not None and len(purchases):
        po_ids = _ids(purchases["po_id"])
        heads = purchases.drop_duplicates("po_id")
        out["purchase_order"] = pd.DataFrame(
            {
                "id": heads["po_id"].map(po_ids).to_numpy(),
                "name": heads["po_id"].to_numpy(),
                "partner_id": heads["supplier_id"].map(supplier_ids).astype("Int64").to_numpy(),
                "date_order": utc(heads["ordered_at"]).to_numpy(),
                "state": "purchase",
            }
        )
        received = purchases["received_at"].notna()
        quantity_received = purchases["received_quantity"].where(
            purchases["received_quantity"].notna(), purchases["quantity"].where(received, 0.0)
        )
        line_ids = np.arange(1, len(purchases) + 1)
        out["purchase_order_line"] = pd.DataFrame(
            {
                "id": line_ids,
                "order_id": purchases["po_id"].map(po_ids).to_numpy(),
                "product_id": purchases["sku"].map(product_ids).astype("Int64").to_numpy(),
                "product_qty": purchases["quantity"].to_numpy(),
                "qty_received": quantity_received.to_numpy(),
                "price_unit": purchases["unit_cost"].to_numpy(),
                "date_planned": utc(purchases["expected_at"]).to_numpy(),
                "display_type": None,
            }
        )
        got = received.to_numpy()
        first = len(deliveries) + 1
        picking = np.arange(first, first + int(got.sum()))
        receipts = pd.DataFrame(
            {
                "id": picking,
                "name": [f"WH/IN/{i:06d}" for i in range(1, len(picking) + 1)],
                "picking_type_id": 1,
                "state": "done",
                "date_done": utc(purchases["received_at"][got]).to_numpy(),
                "sale_id": None,
            }
        )
        # one receipt (a done move in its picking) per received line, unless the history has
        # a stock ledger: then its receipts are the moves, and a received line the ledger has
        # no receipt for keeps its picking through an empty cancelled move
        received_lines = pd.DataFrame(
            {
                "po_id": purchases["po_id"][got].to_numpy(),
                "sku": purchases["sku"][got].to_numpy(),
                "line": line_ids[got],
                "picking": picking,
                "quantity": quantity_received[got].to_numpy(),
                "date": receipts["date_done"].to_numpy(),
            }
        )
        ledger = tables.get("stock_moves")
        if ledger is None:
            out["stock_move"] = pd.DataFrame(
                {
                    "id": np.arange(1, len(picking) + 1),
                    "picking_id": picking,
                    "product_id": received_lines["sku"].map(product_ids).to_numpy(),
                    "location_id": 3,
                    "location_dest_id": 1,
                    "quantity": received_lines["quantity"].to_numpy(),
                    "state": "done",
                    "date": received_lines["date"].to_numpy(),
                    "sale_line_id": None,
                    "purchase_line_id": received_lines["line"].to_numpy(),
                }
            )
    if tables.get("stock_moves") is not None:
        out["stock_move"] = _ledger_moves(
            tables["stock_moves"],
            lines,
            product_ids,
            received_lines,
            purchases,
            timezone,
        )
    out["stock_picking"] = pd.concat(
        [df for df in (deliveries, receipts) if len(df)] or [deliveries], ignore_index=True
    )

    # stock counts: the latest one per SKU and location is what stock_quant holds
    snapshots = tables.get("inventory_snapshots")
    if snapshots is not None and len(snapshots):
        latest = snapshots[snapshots["snapshot_date"] == snapshots["snapshot_date"].max()]
        names = pd.unique(latest["location"].fillna(WAREHOUSE_STOCK))
        extra = [n for n in names if n not in set(locations["complete_name"])]
        locations = pd.concat(
            [
                locations,
                pd.DataFrame(
                    {
                        "id": np.arange(len(locations) + 1, len(locations) + len(extra) + 1),
                        "complete_name": extra,
                        "usage": "internal",
                    }
                ),
            ],
            ignore_index=True,
        )
        where = dict(zip(locations["complete_name"], locations["id"], strict=True))
        out["stock_quant"] = pd.DataFrame(
            {
                "id": np.arange(1, len(latest) + 1),
                "product_id": _ref(product_ids, latest["sku"], "SKU", "inventory_snapshots"),
                "location_id": latest["location"].fillna(WAREHOUSE_STOCK).map(where).to_numpy(),
                "quantity": latest["on_hand"].to_numpy(),
                "in_date": utc(latest["snapshot_date"]).to_numpy(),
            }
        )
    out["stock_location"] = locations
    out["account_journal"] = pd.DataFrame(
        {
            "id": list(JOURNALS.values()),
            "name": [
                translated(n)
                for n in ("Customer Invoices", "Vendor Bills", "Bank", "Miscellaneous Operations")
            ],
            "type": list(JOURNALS),
        }
    )

    # CRM: opportunities and their stages; helpdesk tickets
    leads = tables.get("opportunities")
    if leads is not None and len(leads):
        stages = _ids(leads["stage"])
        out["crm_stage"] = pd.DataFrame(
            {
                "id": list(stages.values()),
                "name": [translated(s) for s in stages],
                "is_won": [str(s).lower() == "won" for s in stages],
            }
        )
        out["crm_lead"] = pd.DataFrame(
            {
                "id": np.arange(1, len(leads) + 1),
                "name": leads["opportunity_id"],
                "type": "opportunity",
                "partner_id": leads["account_id"].map(customer_ids).astype("Int64"),
                "stage_id": leads["stage"].map(stages),
                "create_date": utc(leads["created_at"]),
                "date_closed": utc(leads["closed_at"]),
                "expected_revenue": leads["amount"],
                "active": True,
            }
        )
    tickets = tables.get("tickets")
    if tickets is not None and len(tickets):
        out["helpdesk_ticket"] = pd.DataFrame(
            {
                "id": np.arange(1, len(tickets) + 1),
                "name": tickets["ticket_id"],
                "partner_id": tickets["customer_id"].map(customer_ids).astype("Int64"),
                "sale_order_id": tickets["order_id"].map(order_ids).astype("Int64"),
                "create_date": utc(tickets["opened_at"]),
                "close_date": utc(tickets["closed_at"]),
            }
        )
    return {name: _typed(out[name], columns) for name, columns in SCHEMA.items()}


def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """`frame`'s columns of :data:`SCHEMA` in order, integer ids as nullable integers (a
    missing many2one is NULL, never a float)."""
    frame = frame[list(columns)].reset_index(drop=True)
    for column, kind in columns.items():
        if kind == "integer":
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame


def _ledger_moves(
    ledger: pd.DataFrame,
    lines: pd.DataFrame,
    product_ids: dict[object, int],
    received_lines: pd.DataFrame | None,
    purchases: pd.DataFrame | None,
    timezone: str,
) -> pd.DataFrame:
    """The canonical stock ledger as done ``stock_move`` rows between the warehouse's stock and
    a vendor (receipt), a customer (shipment, return) or the inventory-adjustment location
    (opening balance, adjustment): Odoo has no opening kind, an opening is an adjustment. A
    move's record id is its ``move_id`` when every id is a whole number, else its position.
    A shipment or return is linked to its sale-order line (the first of repeated lines), a
    receipt to its purchase-order line and that line's receipt picking."""
    n = len(ledger)
    digits = ledger["move_id"].astype("string").str.fullmatch(r"[0-9]+").fillna(False).all()
    ids = ledger["move_id"].astype("int64").to_numpy() if digits else np.arange(1, n + 1)
    if len(pd.unique(ids)) < n:
        ids = np.arange(1, n + 1)
    kind = ledger["kind"].astype("string").to_numpy()
    quantity = ledger["quantity"].astype(float).to_numpy()
    inward = quantity >= 0
    other = np.select([kind == "receipt", np.isin(kind, ["shipment", "return"])], [3, 2], default=4)
    first_lines = (
        lines[["order_id", "line_no"]]
        .assign(line=np.arange(1, len(lines) + 1))
        .drop_duplicates(["order_id", "line_no"])
        .astype({"order_id": "string", "line_no": "Int64"})
    )
    wanted = pd.DataFrame(
        {
            "order_id": ledger.get("order_id", pd.Series([None] * n)).to_numpy(),
            "line_no": ledger.get("line_no", pd.Series([None] * n)).to_numpy(),
        }
    ).astype({"order_id": "string", "line_no": "Int64"})
    sold = wanted.merge(first_lines, on=["order_id", "line_no"], how="left")["line"]
    moves = pd.DataFrame(
        {
            "id": ids,
            "picking_id": None,
            "product_id": _ref(product_ids, ledger["sku"], "SKU", "stock_moves").to_numpy(),
            "location_id": np.where(inward, other, 1),
            "location_dest_id": np.where(inward, 1, other),
            "quantity": np.abs(quantity),
            "state": "done",
            "date": to_utc(ledger["moved_at"], timezone).to_numpy(),
            "sale_line_id": sold.astype("Int64").to_numpy(),
            "purchase_line_id": None,
        }
    )
    if received_lines is None or purchases is None:
        return moves
    # every PO line (its receipt picking when received), the first of repeated ones
    po_lines = (
        pd.DataFrame(
            {
                "po_id": purchases["po_id"].to_numpy(),
                "sku": purchases["sku"].to_numpy(),
                "line": np.arange(1, len(purchases) + 1),
            }
        )
        .merge(received_lines[["line", "picking"]], on="line", how="left")
        .drop_duplicates(["po_id", "sku"])
        .astype({"po_id": "string", "sku": "string"})
    )
    wanted = pd.DataFrame(
        {
            "po_id": ledger.get("po_id", pd.Series([None] * n)).to_numpy(),
            "sku": ledger["sku"].to_numpy(),
        }
    ).astype({"po_id": "string", "sku": "string"})
    found = wanted.merge(po_lines, on=["po_id", "sku"], how="left")
    is_receipt = kind == "receipt"
    moves["purchase_line_id"] = np.where(is_receipt, found["line"].to_numpy(dtype=float), np.nan)
    moves["picking_id"] = np.where(is_receipt, found["picking"].to_numpy(dtype=float), np.nan)
    moves["purchase_line_id"] = moves["purchase_line_id"].astype("Int64")
    moves["picking_id"] = moves["picking_id"].astype("Int64")
    # a received line without a receipt in the ledger keeps its picking: an empty cancelled move
    linked = set(moves["purchase_line_id"].dropna())
    bare = received_lines[~received_lines["line"].isin(linked)]
    start = int(moves["id"].max()) + 1 if n else 1
    placeholders = pd.DataFrame(
        {
            "id": np.arange(start, start + len(bare)),
            "picking_id": bare["picking"].to_numpy(),
            "product_id": bare["sku"].map(product_ids).to_numpy(),
            "location_id": 3,
            "location_dest_id": 1,
            "quantity": 0.0,
            "state": "cancel",
            "date": bare["date"].to_numpy(),
            "sale_line_id": None,
            "purchase_line_id": bare["line"].to_numpy(),
        }
    )
    return pd.concat([df for df in (moves, placeholders) if len(df)], ignore_index=True)


def _write_offs(
    out: dict[str, pd.DataFrame],
    invoices: pd.DataFrame,
    amounts: np.ndarray,
    customer_ids: dict[object, int],
) -> None:
    """Write off what is left of `invoices` as bad debt: a posted entry in the miscellaneous
    operations journal, dated the invoice's due date (the history does not say when), whose
    line is reconciled with the invoice's receivable line for the amount left."""
    moves, lines = out["account_move"], out["account_move_line"]
    reconciles = out["account_partial_reconcile"]
    invoice_line = invoices["invoice_id"].map(dict(zip(moves["name"], moves["id"], strict=False)))
    first = int(max(moves["id"].max(), lines["id"].max())) + 1
    entries = np.arange(first, first + len(invoices))
    when = _dates(invoices["due_date"].fillna(invoices["issued_at"])).to_numpy()
    start = int(reconciles["id"].max()) + 1 if len(reconciles) else 1
    out["account_move"] = pd.concat(
        [
            moves,
            pd.DataFrame(
                {
                    "id": entries,
                    "name": [f"MISC/{i:06d}" for i in range(1, len(entries) + 1)],
                    "move_type": "entry",
                    "journal_id": JOURNALS["general"],
                    "state": "posted",
                    "partner_id": invoices["customer_id"].map(customer_ids).to_numpy(),
                    "date": when,
                }
            ),
        ],
        ignore_index=True,
    )
    out["account_move_line"] = pd.concat(
        [
            lines,
            pd.DataFrame(
                {
                    "id": entries,
                    "move_id": entries,
                    "display_type": "payment_term",
                    "balance": -amounts,
                }
            ),
        ],
        ignore_index=True,
    )
    out["account_partial_reconcile"] = pd.concat(
        [
            df
            for df in (
                reconciles,
                pd.DataFrame(
                    {
                        "id": np.arange(start, start + len(entries)),
                        "debit_move_id": invoice_line.to_numpy(),
                        "credit_move_id": entries,
                        "amount": amounts,
                        "max_date": when,
                    }
                ),
            )
            if len(df)
        ],
        ignore_index=True,
    )


def _write_bills(
    out: dict[str, pd.DataFrame], bills: pd.DataFrame, supplier_ids: dict[object, int]
) -> None:
    """Add the supplier bills to the journal in `out`: a posted ``in_invoice`` with its payable
    line (a credit); a paid bill's payment is a posted entry whose debit line is reconciled with
    it in full on the payment date (the canonical table knows no partial payment of a bill)."""
    moves, lines = out["account_move"], out["account_move_line"]
    reconciles = out["account_partial_reconcile"]
    first = int(max(moves["id"].max(), lines["id"].max(), 0) if len(moves) else 0) + 1
    n = len(bills)
    bill_ids = np.arange(first, first + n)
    paid = bills["paid_at"].notna().to_numpy() if "paid_at" in bills else np.zeros(n, dtype=bool)
    amount = bills["amount"].astype(float).to_numpy()
    partner = bills["supplier_id"].map(supplier_ids).astype("Int64").to_numpy()
    new_moves = pd.DataFrame(
        {
            "id": bill_ids,
            "name": bills["bill_id"].to_numpy(),
            "move_type": "in_invoice",
            "journal_id": JOURNALS["purchase"],
            "state": "posted",
            "partner_id": partner,
            "date": _dates(bills["issued_at"]).to_numpy(),
            "invoice_date": _dates(bills["issued_at"]).to_numpy(),
            "invoice_date_due": _dates(
                bills.get("due_date", pd.Series(pd.NaT, bills.index))
            ).to_numpy(),
            "invoice_origin": bills.get("po_id", pd.Series(None, bills.index)).to_numpy(),
            "amount_total": amount,
            "amount_residual": np.where(paid, 0.0, amount),
            "payment_state": np.where(paid, "paid", "not_paid"),
        }
    )
    m = int(paid.sum())
    entries = np.arange(first + n, first + n + m)
    paid_on = _dates(bills["paid_at"][paid]).to_numpy() if m else []
    payment_moves = pd.DataFrame(
        {
            "id": entries,
            "name": [f"PBNK/{i:06d}" for i in range(1, m + 1)],
            "move_type": "entry",
            "journal_id": JOURNALS["bank"],
            "state": "posted",
            "partner_id": partner[paid],
            "date": paid_on,
        }
    )
    new_lines = pd.DataFrame(
        {
            "id": np.concatenate([bill_ids, entries]),
            "move_id": np.concatenate([bill_ids, entries]),
            "display_type": "payment_term",
            "balance": np.concatenate([-amount, amount[paid]]),
        }
    )
    start = int(reconciles["id"].max()) + 1 if len(reconciles) else 1
    new_reconciles = pd.DataFrame(
        {
            "id": np.arange(start, start + m),
            "debit_move_id": entries,
            "credit_move_id": bill_ids[paid],
            "amount": amount[paid],
            "max_date": paid_on,
        }
    )
    out["account_move"] = pd.concat(
        [df for df in (moves, new_moves, payment_moves) if len(df)], ignore_index=True
    )
    out["account_move_line"] = pd.concat(
        [df for df in (lines, new_lines) if len(df)], ignore_index=True
    )
    out["account_partial_reconcile"] = pd.concat(
        [df for df in (reconciles, new_reconciles) if len(df)], ignore_index=True
    )


def export_history(tables: dict[str, pd.DataFrame], url: str, timezone: str) -> dict[str, int]:
    """Create the Odoo tables of :data:`SCHEMA` in the PostgreSQL database at `url` (replacing
    any of the same name) and fill them with the canonical `tables` (see :func:`odoo_frames`).

    Returns
    -------
    dict of str to int
        Rows written per Odoo table.
    """
    import psycopg
    import sqlalchemy as sa

    frames = odoo_frames(tables, timezone)
    conninfo = sa.engine.make_url(url).set(drivername="postgresql")
    text = conninfo.render_as_string(hide_password=False)
    with psycopg.connect(text) as connection, connection.cursor() as cursor:
        for name, columns in SCHEMA.items():
            cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            body = ", ".join(
                f'"{c}" {t} PRIMARY KEY' if c == "id" else f'"{c}" {t}' for c, t in columns.items()
            )
            cursor.execute(f'CREATE TABLE "{name}" ({body})')
            frame = frames[name]
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S")
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{name}" ({names}) FROM STDIN (FORMAT csv)') as copy:
                copy.write(buffer.getvalue())
    return {name: len(frame) for name, frame in frames.items()}
