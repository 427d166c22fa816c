"""A synthetic ERP/CRM history of a company whose parameters are known: the twin run as the company.

:func:`write_sample` runs one replication of a scenario (by default
``calibration/company/company.yaml``) over a warm-up and a history window, and exports what
the company's ERP would hold at the end of the window, in an ERP export's own layout and
column names (``calibration/mappings/sample.yaml`` maps them onto the canonical tables of
:mod:`twin.calibration.history`):

- ``products.csv`` (``;``-separated, decimal comma): one row per SKU;
- ``customers.csv`` (GB18030, some Chinese company names): one row per customer;
- ``sales_orders.parquet``: one row per sales order;
- ``order_lines.parquet``: one row per order line;
- ``invoices.parquet``: one row per invoice (one per shipment, as the twin invoices);
- ``payments.parquet``: one row per payment received (value date as text);
- ``purchase_orders.csv``: one row per purchase-order line;
- ``crm_accounts.csv`` (UTF-8, the CRM's own export): one row per business account (key-account
  and trade customers), see *CRM accounts* below.

Invoices and payments are Parquet too: with one invoice per shipment they are about as many as
the orders, and as CSV they alone would take about 8 MB.

Window. The run starts :data:`WARMUP_DAYS` before :data:`HISTORY_START` (2024-11-01, so stock and
receivables have settled) and ends at the end of the history (2026-12-31 for two years). Orders
placed in the warm-up are dropped together with their lines, invoices and payments; purchase
orders placed in the warm-up are dropped. Whatever happens after the end (a shipment, a payment,
a receipt) is not known to the export: its date is empty and the status says what was known.

Dirt. Realistic faults, each drawn from its own seeded generator (independent of the twin's
streams, so the clean history does not depend on them) and counted in the README written beside
the files: exact duplicate line rows, returns (an extra line of negative quantity, status
returned), cancelled orders (no shipment, no invoice), customers deleted from the master that
orders still refer to (orphan customer ids), deliveries dated before their shipment.

CRM accounts. The CRM knows the business customers by their short names, while the ERP's
customers.csv holds the full legal names; only some accounts carry the ERP customer number.
Drawn from a generator of its own (so the ERP files do not depend on it), with the outcome an
ERP-CRM match (:mod:`twin.calibration.matching`) must reach planted and counted in the README
(:data:`MATCH_PLANTS`): accounts with the right ERP number (by key); accounts without a number,
or with a stale one the ERP does not know, whose short name (legal form dropped, case varied;
for some Chinese names only place and brand) fits one ERP customer, or whose full legal name is
written because the short name fits several (by name); a few short names that fit several
customers (ambiguous); prospects the ERP does not know and the accounts of customers deleted
from the ERP master (unmatched); and a few business customers with no CRM account at all.
Customers whose full legal name another ERP customer shares always carry their number. Planted
outcomes are derived from how the names were built (same stem and trade, same full name), not
by running the matcher.

Everything is deterministic: the same scenario, seed and window give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import simpy

from twin.model.network import Network, build, collect
from twin.records import Recorder, RunResult
from twin.scenario.loader import load
from twin.scenario.schema import Scenario
from twin.scenario.yaml_source import load_yaml
from twin.streams import Streams

HISTORY_START = dt.date(2025, 1, 1)
"""First day of the exported history."""

WARMUP_DAYS = 61
"""Days simulated before the history starts (2024-11-01 to 2024-12-31), then dropped."""

DEFAULT_SEED = 20250101
"""Seed of the run and of the dirt, unless given."""

# Public holidays of the history window; the company file lists only those of one year.
HOLIDAYS = (
    "2025-01-01", "2025-04-18", "2025-04-21", "2025-05-01", "2025-12-25", "2025-12-26",
    "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-12-25", "2026-12-28",
)  # fmt: skip

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
CHINESE_NAME_RATE = 0.06

# Stream numbers of the generator's own randomness (appended only, as in twin.streams).
_NAMES_STREAM, _DIRT_STREAM, _CRM_STREAM = 0, 1, 2

# CRM accounts of the business segments (see the module docstring).
CRM_SEGMENTS = ("KA", "TR")
CRM_KEY_RATE = 0.5  # share of accounts that carry the right ERP customer number
CRM_NO_ACCOUNT = 6  # business customers the CRM does not know
CRM_STALE_KEYS = 4  # accounts with an ERP number the ERP does not know (then matched by name)
CRM_AMBIGUOUS = 3  # accounts whose short name fits several ERP customers
CRM_BRAND_ONLY = 2  # Chinese accounts named by place and brand only (found by containment)
CRM_PROSPECTS = 4  # CRM accounts of prospects that are no ERP customers

FILES = (
    "products.csv",
    "customers.csv",
    "sales_orders.parquet",
    "order_lines.parquet",
    "invoices.parquet",
    "payments.parquet",
    "purchase_orders.csv",
    "crm_accounts.csv",
)
"""The files :func:`write_sample` writes, besides ``README.md``."""

MATCH_PLANTS = {
    "by_key": "accounts carrying the right ERP customer number",
    "by_name": "accounts whose name fits exactly one ERP customer (no number, or a stale one)",
    "ambiguous": "accounts whose short name fits several ERP customers",
    "unmatched": "accounts of prospects (no ERP customer) or of customers deleted from "
    "customers.csv",
    "no_account": "business customers in customers.csv without a CRM account",
}
"""The planted ERP-CRM match outcomes, by the key used in the README's match table."""

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


@dataclass(frozen=True)
class Sample:
    """What :func:`write_sample` wrote: the files with their sizes, the dirt counts and facts."""

    out_dir: Path
    sizes: dict[str, int]
    dirt: dict[str, int]
    rows: dict[str, int]
    history_start: dt.date
    history_end: dt.date
    seed: int
    match: dict[str, int]

    @property
    def total_bytes(self) -> int:
        """Size of all files written, README included."""
        return sum(self.sizes.values())


def write_sample(
    out_dir: Path | str,
    scenario_path: Path | str,
    years: int = 2,
    seed: int = DEFAULT_SEED,
    *,
    days: int | None = None,
) -> Sample:
    """Simulate the company of `scenario_path` and write its ERP history into `out_dir`.

    Parameters
    ----------
    out_dir : path
        Folder for the files (created when missing; files of the same names are replaced).
    scenario_path : path
        The scenario whose parameters the history is drawn from.
    years : int
        Length of the history in calendar years from :data:`HISTORY_START`.
    seed : int
        Seed of the simulation (``run.seed``) and of the dirt.
    days : int, optional
        Length of the history in days instead of `years` (short histories for tests).

    Returns
    -------
    Sample
        The files written and their sizes (bytes), the dirt counts and the window.
    """
    if years < 1 and days is None:
        raise ValueError(f'"years" must be >= 1, got {years}')
    if days is not None and days < 1:
        raise ValueError(f'"days" must be >= 1, got {days}')
    end = (
        HISTORY_START + dt.timedelta(days=days)
        if days is not None
        else HISTORY_START.replace(year=HISTORY_START.year + years)
    )
    history_days = (end - HISTORY_START).days
    start = HISTORY_START - dt.timedelta(days=WARMUP_DAYS)
    scenario = load(
        Scenario,
        scenario_path,
        [
            f"run.start_date={start.isoformat()}",
            f"run.horizon_days={WARMUP_DAYS + history_days}",
            f"run.warmup_days={WARMUP_DAYS}",
            "run.replications=1",
            f"run.seed={seed}",
            *(
                f"staffing.calendars.{name}.holidays=[{', '.join(HOLIDAYS)}]"
                for name in _calendar_names(scenario_path)
            ),
        ],
    )
    network, result = _simulate(scenario)
    tables, dirt, match = export(network, result, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, frame in tables.items():
        path = out / name
        if name.endswith(".parquet"):
            _write_parquet(frame, path)
        elif name == "customers.csv":
            frame.to_csv(path, index=False, encoding="gb18030", lineterminator="\n")
        elif name == "crm_accounts.csv":
            frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        elif name == "products.csv":
            frame.to_csv(path, index=False, sep=";", decimal=",", lineterminator="\n")
        else:
            frame.to_csv(path, index=False, lineterminator="\n")
        sizes[name] = path.stat().st_size
    rows = {name: len(frame) for name, frame in tables.items()}
    readme = out / "README.md"
    text = _readme(scenario_path, seed, start, end, rows, dirt, sizes, match)
    readme.write_text(text, encoding="utf-8")
    sizes["README.md"] = readme.stat().st_size
    return Sample(out, sizes, dirt, rows, HISTORY_START, end - dt.timedelta(days=1), seed, match)


def _calendar_names(scenario_path: Path | str) -> list[str]:
    data, _ = load_yaml(scenario_path)
    return list((data.get("staffing") or {}).get("calendars") or {})


def _simulate(scenario: Scenario) -> tuple[Network, RunResult]:
    env = simpy.Environment()
    network = build(env, scenario, Streams(scenario.run.seed, 0), Recorder())
    env.run(until=scenario.run.horizon_days)
    return network, collect(network, 0)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Order numbers and timestamps rise with the rows and hardly repeat: delta encoding stores
    # them in a third of a dictionary's space. Everything else repeats and is dictionary-coded.
    delta = [
        name
        for name, kind in zip(table.schema.names, table.schema.types, strict=True)
        if (pa.types.is_integer(kind) or pa.types.is_timestamp(kind))
        and frame[name].nunique() > 0.05 * max(len(frame), 1)
    ]
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=19,
        use_dictionary=[name for name in table.schema.names if name not in delta],
        column_encoding=dict.fromkeys(delta, "DELTA_BINARY_PACKED"),
    )


def _stamps(start: pd.Timestamp, days: np.ndarray, horizon: float) -> pd.Series:
    """Days since the run start as timestamps to the second; NaT when unknown or after `horizon`."""
    known = np.isfinite(days) & (days <= horizon)
    seconds = np.where(known, np.round(np.where(known, days, 0.0) * 86400.0), 0).astype(np.int64)
    stamps = start + pd.to_timedelta(seconds, unit="s")
    return pd.Series(stamps.where(known, pd.NaT)).astype("datetime64[s]")


def export(
    network: Network, result: RunResult, seed: int
) -> tuple[dict[str, pd.DataFrame], dict[str, int], dict[str, int]]:
    """The raw export tables of a finished run, with dirt, and the dirt counts.

    Parameters
    ----------
    network : Network
        The run's network (its order books hold the lines).
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
    scenario = network.scenario
    catalogue = network.catalogue
    horizon = float(result.horizon_days)
    warmup = float(result.warmup_days)
    start = pd.Timestamp(result.start_date)
    names_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_NAMES_STREAM,)))
    dirt_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_DIRT_STREAM,)))
    segments = list(scenario.segments)
    codes = [SEGMENT_CODES.get(name, name[:2].upper()) for name in segments]

    # --- orders and their lines, from the order books ------------------------------------------
    orders = result.tables["orders"].sort_values("order_id", kind="stable")
    line_parts = []
    for number, source in enumerate(network.sources):
        mine = orders[orders["segment"] == number]
        book = source.book
        if len(mine) != len(book.times) or not np.allclose(mine["t_arrival"], book.times):
            raise RuntimeError(f"segment {source.name}: orders and order book do not align")
        counts = np.diff(np.asarray(book.line_start))
        line_parts.append(
            pd.DataFrame(
                {
                    "order_id": np.repeat(mine["order_id"].to_numpy(), counts),
                    "sku": np.asarray(book.skus, dtype=np.int64),
                    "quantity": np.asarray(book.quantities, dtype=np.int64),
                }
            )
        )
    lines = pd.concat(line_parts, ignore_index=True)
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

    returned = (dirt_rng.random(n) < RETURN_RATE) & (status == "delivered")
    status[returned] = "returned"
    returns = _return_lines(lines, order_ids[returned].to_numpy(), dirt_rng)
    lines = pd.concat([lines, returns], ignore_index=True)
    lines = lines.sort_values(["order_id", "line_no"], kind="stable").reset_index(drop=True)

    early = (dirt_rng.random(n) < OUT_OF_ORDER_RATE) & (status == "delivered")
    t_delivered = np.where(early, t_ship - dirt_rng.uniform(0.1, 2.0, n), t_delivered)

    copies = np.where(dirt_rng.random(len(lines)) < DUPLICATE_LINE_RATE, 2, 1)
    lines = lines.loc[np.repeat(lines.index.to_numpy(), copies)].reset_index(drop=True)

    customer_ids = _customer_ids(orders["segment"].to_numpy(), orders["customer"].to_numpy())
    price = np.asarray(catalogue.price)
    sales_orders = pd.DataFrame(
        {
            "SalesOrder": order_ids.to_numpy() + 4_000_000,
            "SoldTo": customer_ids,
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
            "Material": np.asarray(catalogue.skus, dtype=object)[lines["sku"].to_numpy()],
            "OrderQty": lines["quantity"].to_numpy(dtype=np.int64),
            "NetPrice": price[lines["sku"].to_numpy()],
            "LineStatus": [LINE_STATUS[s] for s in lines["status"]],
        }
    )

    # --- customers, with some deleted (orphans) -----------------------------------------------
    customers, name_parts = _customers(scenario, codes, names_rng)
    everyone = customers
    active = pd.unique(customer_ids)
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
            "Payer": _customer_ids(invoices["segment"].to_numpy(), invoices["customer"].to_numpy()),
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
            "ItemNo": list(catalogue.skus),
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
            "ItemNo": np.asarray(catalogue.skus, dtype=object)[purchases["sku"].to_numpy()],
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
    tables["crm_accounts.csv"], match = _crm_accounts(everyone, customers, name_parts, crm_rng)
    return tables, dirt, match


def _customer_ids(segment: np.ndarray, customer: np.ndarray) -> np.ndarray:
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


# --- synthetic names --------------------------------------------------------------------------

_STEMS = (
    "Alder", "Birch", "Carver", "Delta", "Elm", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Linden", "Meridian", "Northgate", "Oak", "Pioneer", "Quarry", "Ridge", "Summit",
    "Tamarack", "Union", "Vale", "Westbrook", "Yarrow", "Zenith", "Copper", "Anchor", "Beacon",
)  # fmt: skip
_TRADES = (
    "Engineering", "Construction", "Electrical", "Plumbing", "Mechanical", "Fabrication",
    "Installations", "Building Services", "Machining", "Maintenance", "Contractors", "Works",
)  # fmt: skip
_FORMS = ("Ltd", "GmbH", "AG", "Inc", "& Co", "BV", "SA", "Oy", "AB")
_PROSPECT_TRADES = ("Welding", "Logistics", "Surveying", "Scaffolding")  # not among _TRADES
_FIRST = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Henrik", "Ines", "Jonas", "Karin",
    "Leo", "Maria", "Nils", "Olga", "Paul", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Wei", "Yuki",
)  # fmt: skip
_LAST = (
    "Andersen", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ivanova",
    "Jensen", "Keller", "Larsen", "Meyer", "Novak", "Olsen", "Petrov", "Rossi", "Schmidt",
    "Tanaka", "Weber", "Zhang", "Nowak", "Moreau", "Silva",
)  # fmt: skip
_CN_PLACES = ("上海", "深圳", "苏州", "宁波", "广州", "天津", "杭州", "青岛", "无锡", "佛山")
_CN_WORDS = ("华东", "恒通", "金盛", "宏达", "永信", "博远", "鑫泰", "安达", "精工", "联创")
_CN_TRADES = ("五金", "机电", "电气", "建筑工程", "管道设备", "工业", "紧固件", "安全设备")


def has_cjk(text: object) -> bool:
    """Whether `text` holds a CJK unified ideograph."""
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _customers(
    scenario: Scenario, codes: list[str], rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """The customer master, and each business customer's short name parts: (stem, trade) for
    'Beacon Engineering GmbH', (place + brand, trade) for '苏州联创机电有限公司'."""
    rows = []
    parts: dict[str, tuple[str, str]] = {}
    limits = {"KA": (50_000, 250_000), "TR": (5_000, 25_000)}
    for number, segment in enumerate(scenario.segments.values()):
        code = codes[number]
        for customer in range(segment.customers):
            customer_id = f"C{(number + 1) * 10_000 + customer + 1}"
            if code == "WS":
                label = f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"
                limit = 0
            else:
                if rng.random() < CHINESE_NAME_RATE:
                    brand = f"{_pick(rng, _CN_PLACES)}{_pick(rng, _CN_WORDS)}"
                    trade = _pick(rng, _CN_TRADES)
                    label = f"{brand}{trade}有限公司"
                    parts[customer_id] = (brand, trade)
                else:
                    stem, trade = _pick(rng, _STEMS), _pick(rng, _TRADES)
                    label = f"{stem} {trade} {_pick(rng, _FORMS)}"
                    parts[customer_id] = (stem, trade)
                low, high = limits.get(code, (5_000, 25_000))
                limit = int(rng.integers(low // 1000, high // 1000 + 1)) * 1000
            rows.append((customer_id, label, code, limit))
    frame = pd.DataFrame(rows, columns=["CustomerNo", "Name", "CustomerClass", "CreditLimit"])
    return frame, parts


def _crm_accounts(
    everyone: pd.DataFrame,
    master: pd.DataFrame,
    parts: dict[str, tuple[str, str]],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The CRM's account export of the business customers, and the planted match outcomes.

    `everyone` is the customer list before the orphans were deleted, `master` the customers.csv
    written. See the module docstring for what is planted.
    """
    business = everyone[everyone["CustomerClass"].isin(CRM_SEGMENTS)].reset_index(drop=True)
    in_master = business["CustomerNo"].isin(master["CustomerNo"]).to_numpy()
    ids = business["CustomerNo"].to_numpy(dtype=object)
    # how many customers of the ERP master share a short name or a full name
    known = [c for c in master["CustomerNo"] if c in parts]
    short_count = pd.Series([parts[c] for c in known], dtype=object).value_counts()
    brand_count = pd.Series([parts[c][0] for c in known], dtype=object).value_counts()
    full_count = master["Name"].value_counts()

    def shares(customer_id: str) -> int:
        return int(short_count.get(parts[customer_id], 0))

    def by_count(n: int) -> str:
        return "unmatched" if n == 0 else "by_name" if n == 1 else "ambiguous"

    without = set(rng.choice(ids[in_master], size=CRM_NO_ACCOUNT, replace=False))
    # a customer whose full legal name another ERP customer has too can only be told apart by
    # its number: the CRM carries it (else every such account would be ambiguous)
    twin_name = business["Name"].map(full_count).fillna(0).to_numpy() > 1
    keyed = (rng.random(len(business)) < CRM_KEY_RATE) | (twin_name & in_master)
    # ambiguous short names among the unkeyed customers whose short name is shared
    shared = [
        i for i, c in enumerate(ids) if in_master[i] and not keyed[i] and c not in without
        and shares(c) > 1
    ]  # fmt: skip
    ambiguous = set(rng.choice(shared, size=min(CRM_AMBIGUOUS, len(shared)), replace=False))
    unique_cjk = [
        i for i, c in enumerate(ids) if in_master[i] and not keyed[i] and i not in ambiguous
        and c not in without and has_cjk(parts[c][0]) and brand_count[parts[c][0]] == 1
    ]  # fmt: skip
    brand_only = set(
        rng.choice(unique_cjk, size=min(CRM_BRAND_ONLY, len(unique_cjk)), replace=False)
    )
    unkeyed = [i for i, c in enumerate(ids) if not keyed[i] and in_master[i] and c not in without]
    stale = set(rng.choice(unkeyed, size=min(CRM_STALE_KEYS, len(unkeyed)), replace=False))

    rows = []
    outcome = {key: 0 for key in MATCH_PLANTS}
    outcome["no_account"] = len(without)
    for i, customer_id in enumerate(ids):
        if customer_id in without:
            continue
        full = str(business["Name"][i])
        stem, trade = parts[customer_id]
        short = f"{stem}{trade}" if has_cjk(stem) else f"{stem} {trade}"
        key = customer_id if keyed[i] else None
        if not in_master[i]:
            # deleted from the ERP: its old number leads nowhere, its full name only to a namesake
            name, key = full, customer_id
            same_full = int(full_count.get(full, 0))
            planted = by_count(same_full) if same_full else by_count(shares(customer_id))
        elif keyed[i]:
            name, planted = _case_variant(rng, short), "by_key"
        elif i in ambiguous:
            name, planted = _case_variant(rng, short), "ambiguous"
        elif i in brand_only:
            name, planted = stem, "by_name"
        elif shares(customer_id) > 1:  # the short name would be ambiguous: the full name is kept
            name, planted = _case_variant(rng, full), by_count(int(full_count[full]))
        else:
            name, planted = _case_variant(rng, short), "by_name"
        if i in stale:
            key = f"C{90_001 + len(rows)}"  # a number the ERP never had
        outcome[planted] += 1
        segment = "Key account" if business["CustomerClass"][i] == "KA" else "Trade"
        owner = f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"
        rows.append((name, key, segment, owner, int(business["CreditLimit"][i])))
    for number in range(CRM_PROSPECTS):  # prospects the ERP has never invoiced
        trade = _PROSPECT_TRADES[number % len(_PROSPECT_TRADES)]
        name = f"{_pick(rng, _STEMS)} {trade} {_pick(rng, _FORMS)}"
        owner = f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"
        rows.append((name, None, "Prospect", owner, 0))
        outcome["unmatched"] += 1  # no ERP name holds these trades (see _PROSPECT_TRADES)
    order = rng.permutation(len(rows))
    accounts = pd.DataFrame(
        [rows[k] for k in order],
        columns=["AccountName", "ErpCustomerNo", "Segment", "Owner", "CreditLimit"],
    )
    accounts.insert(0, "AccountId", [f"A{100_001 + k}" for k in range(len(accounts))])
    return accounts, outcome


def _case_variant(rng: np.random.Generator, name: str) -> str:
    """`name` as typed into a CRM: mostly as is, sometimes upper or lower case."""
    draw = rng.random()
    return name.upper() if draw < 0.15 else name.lower() if draw < 0.3 else name


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def _describe(category: str | None, sku: str) -> str:
    kind = {
        "fasteners": "Hex bolt set",
        "tools": "Hand tool",
        "electrical": "Cable and fitting",
        "plumbing": "Pipe fitting",
        "safety": "Safety gear",
    }.get(category or "", "Item")
    return f"{kind} {sku.split('-')[-1]}"


def _readme(
    scenario_path: Path | str,
    seed: int,
    start: dt.date,
    end: dt.date,
    rows: dict[str, int],
    dirt: dict[str, int],
    sizes: dict[str, int],
    match: dict[str, int],
) -> str:
    last = end - dt.timedelta(days=1)
    lines = [
        "# Synthetic ERP history of the sample company",
        "",
        "Generated by `twin.calibration.synth.write_sample` (do not edit by hand; regenerate).",
        f"The twin ran scenario `{Path(scenario_path).name}` once (replication 0, seed {seed})",
        f"from {start.isoformat()}; the {WARMUP_DAYS} warm-up days are dropped, so the history",
        f"covers {HISTORY_START.isoformat()} to {last.isoformat()}. Map it with",
        "`calibration/mappings/sample.yaml`. The true parameters are those of the scenario.",
        "",
        "| file | rows | bytes |",
        "| --- | ---: | ---: |",
        *(f"| `{name}` | {rows[name]} | {sizes[name]} |" for name in FILES),
        "",
        "## Dirt",
        "",
        "| kind | count | what |",
        "| --- | ---: | --- |",
        *(f"| `{key}` | {dirt[key]} | {what} |" for key, what in DIRT.items()),
        "",
        "Invoices carry no credit notes for returns; cancelled orders have no invoice, although",
        "the twin shipped them (their stock movements and purchase orders remain).",
        "",
        "## CRM accounts",
        "",
        "`crm_accounts.csv` is the CRM's export of the key-account and trade customers: short",
        "names where customers.csv has the full legal name, the ERP customer number on some",
        "accounts only. An ERP-CRM match by key, then by name, should reach these outcomes:",
        "",
        "| outcome | accounts | what |",
        "| --- | ---: | --- |",
        *(f"| match: {key} | {match[key]} | {what} |" for key, what in MATCH_PLANTS.items()),
        "",
    ]
    return "\n".join(lines)
