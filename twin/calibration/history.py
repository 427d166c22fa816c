"""The canonical history schema: the tables calibration reads, as data.

Every source (an ERP export, a CRM database) is mapped onto the same canonical tables, so that the
quality checks and the fits never see a source's own column names, codes or units. The schema is
the dict :data:`TABLES` of :class:`Table` specs; ``docs/history-schema.md`` is generated from it by
:func:`schema_markdown`.

Conventions
-----------
- Timestamps (dtype ``datetime``) are naive ``datetime64[ns]`` in the local time of the source; a
  date-only value is midnight. Dates (dtype ``date``) are ``datetime64[ns]`` at midnight.
- Money is in the source currency, quantities in units (the SKU's unit of sale), durations in days.
- ``string`` columns are pandas ``string`` dtype, ``int`` nullable ``Int64``, ``float`` ``float64``
  (NaN for missing), ``bool`` nullable ``boolean``.
- A *required* column must be present (it may hold missing values unless it is part of the key); an
  optional one is added, all missing, when absent. Key columns may not hold missing values.

Only ``orders`` and ``order_lines`` are required tables; the others refine the fits when present.
:func:`twin.calibration.conform.conform` casts a frame to a table's spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PLAUSIBLE = 1e9
"""Default bound of a numeric column: no plausible value lies beyond +-1e9 in its unit.

A billion units on one order line, a billion in money on one invoice, payment or price, a billion
kg or litres per unit: none occurs in the histories of the companies the twin is for (the real
data sets calibrated so far stay below 1e6), while a value of 1e9 or more is a sentinel
(99999999999), an overflow or a corrupt cell. Sums over a history of such values stay far from
overflow in the fits. Columns with a narrower natural range declare it (`discount_fraction` at
most 1)."""

Dtype = Literal["string", "int", "float", "datetime", "date", "bool"]


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        Canonical column name.
    dtype : {"string", "int", "float", "datetime", "date", "bool"}
        Canonical type (see the module docstring for the pandas dtype of each).
    unit : str
        Unit of the values, e.g. ``"source currency"``, ``"units"``, ``"local time"``; ``""`` for
        identifiers and labels.
    required : bool
        Whether a mapping must provide the column.
    description : str
        What the column holds, for the schema document.
    values : tuple of str, optional
        The allowed values of a string column; empty when any value is allowed.
    min, max : float, optional
        The plausible range of a numeric column (``int`` or ``float``), in the column's unit; the
        quality step quarantines a row whose value is negative where `min` is 0
        (``negative_value``) or otherwise outside ``[min, max]`` (``implausible_value``). Unset,
        they are :data:`PLAUSIBLE` and 0 (non-negative); None for non-numeric columns.
    """

    name: str
    dtype: Dtype
    unit: str
    required: bool
    description: str
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if self.dtype in ("int", "float"):
            if self.max is None:
                object.__setattr__(self, "max", PLAUSIBLE)
            if self.min is None:
                object.__setattr__(self, "min", 0.0)


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns, its key and whether calibration needs it."""

    name: str
    system: Literal["ERP", "CRM"]
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = False

    def column(self, name: str) -> Column:
        """The column called `name`; KeyError when there is none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in schema order."""
        return tuple(column.name for column in self.columns)


def _req(name: str, dtype: Dtype, unit: str, description: str, values=(), **bounds):
    return Column(name, dtype, unit, True, description, values, **bounds)


def _opt(name: str, dtype: Dtype, unit: str, description: str, values=(), **bounds):
    return Column(name, dtype, unit, False, description, values, **bounds)


MONEY = "source currency"
LOCAL = "local time"

ORDER_STATUSES = (
    "placed",
    "approved",
    "invoiced",
    "processing",
    "shipped",
    "delivered",
    "cancelled",
    "unavailable",
    "returned",
)
LINE_STATUSES = ("ordered", "cancelled", "returned")

_TABLES = (
    Table(
        "products",
        "ERP",
        "Sellable items.",
        ("sku",),
        (
            _req("sku", "string", "", "Stock-keeping unit, the product identifier."),
            _opt("name", "string", "", "Product name or description."),
            _opt("category", "string", "", "Product category or department."),
            _opt("supplier_id", "string", "", "Main supplier."),
            _opt("unit_cost", "float", MONEY, "Purchase or production cost per unit."),
            _opt("list_price", "float", MONEY, "List price per unit."),
            _opt("weight_kg", "float", "kg", "Shipping weight per unit."),
            _opt("volume_l", "float", "litre", "Shipping volume per unit."),
        ),
    ),
    Table(
        "customers",
        "ERP",
        "Buyers: one row per person or company that orders.",
        ("customer_id",),
        (
            _req("customer_id", "string", "", "Customer identifier, as in orders.customer_id."),
            _opt("name", "string", "", "Customer name."),
            _opt("segment", "string", "", "Segment or customer class."),
            _opt("city", "string", "", "City."),
            _opt("region", "string", "", "State, county or region."),
            _opt("postal_code", "string", "", "Postal code (a string: leading zeros matter)."),
            _opt("country", "string", "", "Country."),
            _opt("created_at", "datetime", LOCAL, "When the customer was created."),
        ),
    ),
    Table(
        "orders",
        "ERP",
        "Customer orders (sales orders, webshop orders, invoices of a cash sale).",
        ("order_id",),
        (
            _req("order_id", "string", "", "Order identifier."),
            _req("customer_id", "string", "", "Who ordered; missing for anonymous orders."),
            _req("ordered_at", "datetime", LOCAL, "When the order was placed."),
            _req(
                "promised_at",
                "datetime",
                LOCAL,
                "Promised delivery time; a date-only promise is at 00:00, so compare by date.",
            ),
            _req("shipped_at", "datetime", LOCAL, "When the order left the warehouse."),
            _opt("delivered_at", "datetime", LOCAL, "When the customer received the order."),
            _req("status", "string", "", "Last known status.", ORDER_STATUSES),
            _opt("approved_at", "datetime", LOCAL, "When the order was approved or paid."),
            _opt("channel", "string", "", "Sales channel."),
            _opt("country", "string", "", "Destination country."),
        ),
        required=True,
    ),
    Table(
        "order_lines",
        "ERP",
        "Lines of the orders: what was ordered, how many and at what price.",
        ("order_id", "line_no"),
        (
            _req("order_id", "string", "", "The order, as in orders.order_id."),
            _req("line_no", "int", "", "Line number within the order, from 1."),
            _req("sku", "string", "", "The product, as in products.sku."),
            _req(
                "quantity",
                "float",
                "units",
                "Quantity, with the source's sign (cancelled and returned lines may be negative).",
                min=-PLAUSIBLE,
            ),
            _req("unit_price", "float", f"{MONEY} per unit", "Price per unit before discount."),
            _opt("discount", "float", MONEY, "Discount on the whole line (positive)."),
            _opt("freight", "float", MONEY, "Freight charged for the line."),
            _req("status", "string", "", "Line status.", LINE_STATUSES),
        ),
        required=True,
    ),
    Table(
        "invoices",
        "ERP",
        "Accounts-receivable invoices.",
        ("invoice_id",),
        (
            _req("invoice_id", "string", "", "Invoice identifier."),
            _opt("order_id", "string", "", "The invoiced order."),
            _req("customer_id", "string", "", "Who is invoiced."),
            _req("issued_at", "datetime", LOCAL, "Invoice date."),
            _opt("due_date", "date", LOCAL, "Payment due date."),
            _req("amount", "float", MONEY, "Invoice total."),
            _opt("currency", "string", "", "ISO 4217 currency code."),
            _opt("disputed", "bool", "", "Whether the customer disputed the invoice."),
            _opt(
                "written_off",
                "bool",
                "",
                "Whether the invoice was written off as bad debt (then it is not receivable).",
            ),
        ),
    ),
    Table(
        "payments",
        "ERP",
        "Money received, one row per payment (an order or invoice may have several).",
        ("payment_id",),
        (
            _req("payment_id", "string", "", "Payment identifier."),
            _opt("order_id", "string", "", "The order paid for."),
            _opt("invoice_id", "string", "", "The invoice settled."),
            _opt("customer_id", "string", "", "Who paid."),
            _opt("paid_at", "datetime", LOCAL, "When the money was received."),
            _req("amount", "float", MONEY, "Amount paid."),
            _opt("method", "string", "", "Payment method, e.g. credit_card, transfer."),
            _opt("instalments", "int", "", "Number of instalments."),
        ),
    ),
    Table(
        "purchase_orders",
        "ERP",
        "Replenishment orders to suppliers, one row per PO line.",
        ("po_id", "sku"),
        (
            _req("po_id", "string", "", "Purchase-order identifier."),
            _req("sku", "string", "", "The product ordered."),
            _opt("supplier_id", "string", "", "The supplier."),
            _req("quantity", "float", "units", "Quantity ordered."),
            _opt("unit_cost", "float", f"{MONEY} per unit", "Agreed cost per unit."),
            _req("ordered_at", "datetime", LOCAL, "When the PO was placed."),
            _opt("expected_at", "datetime", LOCAL, "Confirmed arrival time."),
            _opt("received_at", "datetime", LOCAL, "When the goods arrived."),
            _opt("received_quantity", "float", "units", "Quantity received."),
        ),
    ),
    Table(
        "inventory_snapshots",
        "ERP",
        "Stock levels counted or reported at given dates.",
        ("snapshot_date", "location", "sku"),
        (
            _req("snapshot_date", "date", LOCAL, "Date of the count (end of day)."),
            _req("location", "string", "", "Warehouse or store."),
            _req("sku", "string", "", "The product."),
            _req(
                "on_hand",
                "float",
                "units",
                "Physical stock; may be negative (book stock below zero).",
                min=-PLAUSIBLE,
            ),
            _opt("on_order", "float", "units", "Open purchase quantity."),
            _opt("backordered", "float", "units", "Unfilled customer demand."),
        ),
    ),
    Table(
        "stock_moves",
        "ERP",
        "The stock ledger: one row per movement of physical stock (an opening balance, a goods "
        "receipt, a goods issue to a customer, a restocked return, a count adjustment).",
        ("move_id",),
        (
            _req("move_id", "string", "", "Movement identifier."),
            _req("sku", "string", "", "The product."),
            _opt("location", "string", "", "Warehouse or store."),
            _req("moved_at", "datetime", LOCAL, "When the stock moved."),
            _req(
                "quantity",
                "float",
                "units",
                "Signed change of the physical stock: + in (opening, receipt, return), - out.",
                min=-PLAUSIBLE,
            ),
            _req(
                "kind",
                "string",
                "",
                "What moved the stock.",
                ("opening", "receipt", "shipment", "return", "adjustment"),
            ),
            _opt("order_id", "string", "", "The sales order shipped or returned."),
            _opt("line_no", "int", "", "The order line shipped or returned."),
            _opt("po_id", "string", "", "The purchase order received."),
        ),
    ),
    Table(
        "supplier_invoices",
        "ERP",
        "Accounts-payable invoices (supplier bills).",
        ("bill_id",),
        (
            _req("bill_id", "string", "", "Supplier invoice identifier."),
            _opt("supplier_id", "string", "", "The supplier."),
            _opt("po_id", "string", "", "The purchase order billed."),
            _req("issued_at", "datetime", LOCAL, "Bill date."),
            _opt("due_date", "date", LOCAL, "Payment due date."),
            _req("amount", "float", MONEY, "Bill total."),
            _opt("paid_at", "datetime", LOCAL, "When the bill was paid (missing: unpaid)."),
        ),
    ),
    Table(
        "accounts",
        "CRM",
        "Business accounts (companies) in the CRM.",
        ("account_id",),
        (
            _req("account_id", "string", "", "Account identifier."),
            _opt("name", "string", "", "Account name."),
            _opt(
                "customer_id",
                "string",
                "",
                "The ERP customer, when linked; filled by ERP-CRM matching when the mapping asks "
                "(see `match` in calibration/mappings).",
            ),
            _opt("sector", "string", "", "Industry sector."),
            _opt("region", "string", "", "Region or office."),
            _opt("employees", "int", "people", "Head count."),
            _opt("annual_revenue", "float", MONEY, "Annual revenue."),
            _opt("segment", "string", "", "Segment or account class, as the CRM names it."),
            _opt("owner", "string", "", "Account owner (sales agent or account manager)."),
            _opt("credit_limit", "float", MONEY, "Credit limit granted to the account."),
        ),
    ),
    Table(
        "opportunities",
        "CRM",
        "Sales pipeline: one row per opportunity.",
        ("opportunity_id",),
        (
            _req("opportunity_id", "string", "", "Opportunity identifier."),
            _opt("account_id", "string", "", "The account."),
            _opt("product", "string", "", "Product or product line offered."),
            _opt("owner", "string", "", "Sales agent."),
            _req("stage", "string", "", "Pipeline stage, e.g. Prospecting, Engaging, Won, Lost."),
            _opt("created_at", "datetime", LOCAL, "When the opportunity was opened or engaged."),
            _opt("closed_at", "datetime", LOCAL, "When it was won or lost."),
            _opt("amount", "float", MONEY, "Expected or closed deal value."),
        ),
    ),
    Table(
        "tickets",
        "CRM",
        "Customer-service tickets, complaints and reviews.",
        ("ticket_id",),
        (
            _req("ticket_id", "string", "", "Ticket identifier."),
            _opt("customer_id", "string", "", "The customer."),
            _opt("order_id", "string", "", "The order concerned."),
            _req("opened_at", "datetime", LOCAL, "When the ticket was opened."),
            _opt("closed_at", "datetime", LOCAL, "When it was resolved."),
            _opt("category", "string", "", "Reason or category."),
            _opt(
                "score",
                "float",
                "",
                "Satisfaction score, on the source's scale.",
                min=-PLAUSIBLE,
            ),
            _opt("sku", "string", "", "The product concerned, as in products.sku."),
            _opt("batch", "string", "", "Production or delivery batch (lot) concerned."),
        ),
    ),
    Table(
        "promotions",
        "CRM",
        "Promotions, campaigns and price actions.",
        ("promotion_id",),
        (
            _req("promotion_id", "string", "", "Promotion identifier."),
            _opt("sku", "string", "", "The product promoted; missing for a whole-range action."),
            _opt("kind", "string", "", "Kind, e.g. display, mailer, coupon, voucher, price."),
            _req("starts_on", "date", LOCAL, "First day."),
            _opt("ends_on", "date", LOCAL, "Last day (inclusive)."),
            _opt(
                "discount_fraction",
                "float",
                "fraction",
                "Price reduction, 0.1 = 10 %.",
                max=1.0,
            ),
            _opt("location", "string", "", "Store or region."),
        ),
    ),
)

TABLES: dict[str, Table] = {table.name: table for table in _TABLES}
"""The canonical tables by name, ERP tables first."""


def schema_markdown() -> str:
    """The schema as a Markdown document: the text of ``docs/history-schema.md``."""
    lines = [
        "# Canonical history schema",
        "",
        "<!-- Generated by twin.calibration.history.schema_markdown(); do not edit by hand. -->",
        "",
        "Calibration maps every ERP/CRM source onto these tables (see `calibration/mappings/`).",
        "Only `orders` and `order_lines` are required; the other tables refine the fits.",
        "",
        "- Timestamps (`datetime`) are naive, in the local time of the source; a date-only value",
        "  is midnight. `date` columns hold midnight timestamps.",
        "- Money is in the source currency; quantities are in units (the SKU's unit of sale).",
        "- A *required* column must be mapped, but may hold missing values unless it is in the",
        "  key; an optional column that is not mapped is all missing. Key columns never hold",
        "  missing values. No row is ever dropped: a value that cannot be cast is an error",
        "  naming the source file (sheet, query), the column and the row. *Row N* is the N-th",
        "  data row of that file, counted from 1, header excluded, in every message and in the",
        "  `file` and `row` columns of the quarantine files.",
        "- Every numeric column has a plausible range (default 0 to 1e9 in its unit: no real",
        "  quantity, price or amount reaches a billion, while sentinels and overflows do). The",
        "  quality step quarantines a row holding ±inf (`not_finite`), a missing value in a",
        "  required numeric column (`missing_value`), a negative value where the range starts at",
        "  0 (`negative_value`) or any other value outside the range (`implausible_value`).",
        "",
    ]
    for system in ("ERP", "CRM"):
        lines += [f"## {system} tables", ""]
        for table in _TABLES:
            if table.system != system:
                continue
            needed = " (required table)" if table.required else ""
            lines += [
                f"### `{table.name}`{needed}",
                "",
                table.description,
                f"Key: {', '.join(f'`{k}`' for k in table.key)}.",
                "",
                "| column | type | unit | required | plausible range | description |",
                "|---|---|---|---|---|---|",
            ]
            for column in table.columns:
                text = column.description
                if column.values:
                    text += " Values: " + ", ".join(f"`{v}`" for v in column.values) + "."
                unit = column.unit or "–"
                required = "yes" if column.required else "no"
                bounds = _range(column)
                cells = (f"`{column.name}`", column.dtype, unit, required, bounds, text)
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines)


def _range(column: Column) -> str:
    if column.min is None or column.max is None:
        return "–"
    return f"{column.min:g} to {column.max:g}"
