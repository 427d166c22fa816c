"""The Odoo mapping against a real PostgreSQL server, filled with the sample company's history.

The server's URL comes from ``TWIN_TEST_DATABASE_URL`` (``.ci/run`` starts one with
``.ci/postgres``; locally: ``eval "$(.ci/postgres start)"``); the tests that need it skip only
when that variable is unset. The sample's files are mapped by ``sample.yaml``, written into
Odoo's tables by :mod:`twin.calibration.odoo_export` and read back by ``odoo.yaml``; the
canonical tables must then be equal, apart from the differences :func:`expected_from_files`
states: what Odoo cannot hold, and what Odoo knows that the sample's files do not say.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from twin.calibration.mapping import apply_mapping, utc_to_local
from twin.calibration.mapping_schema import load_mapping
from twin.calibration.odoo_export import (
    SCHEMA,
    WAREHOUSE_STOCK,
    export_history,
    odoo_frames,
    to_utc,
)
from twin.calibration.sources import shown_source
from twin.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "calibration" / "sample"
SAMPLE_MAPPING = ROOT / "calibration" / "mappings" / "sample.yaml"
ODOO_MAPPING = ROOT / "calibration" / "mappings" / "odoo.yaml"
ZONE = load_mapping(ODOO_MAPPING).timezone  # the sample company's zone: Europe/Berlin
SECRET = "pw-9f3c1e77"  # a password no message may show

# the sample's local times are read as this zone's wall-clock time
TIMESTAMPS = {
    "orders": ("ordered_at", "promised_at", "shipped_at"),
    "purchase_orders": ("ordered_at", "expected_at", "received_at"),
}
# tables Odoo keeps in other tables than the sample's files: not compared, stated here
NOT_COMPARED = {
    "accounts": "Odoo's CRM and ERP share res_partner: there are no separate CRM accounts to map",
}


@pytest.fixture(scope="module")
def database_url() -> str:
    url = os.environ.get("TWIN_TEST_DATABASE_URL")
    if not url:
        pytest.skip("TWIN_TEST_DATABASE_URL is not set (see .ci/postgres)")
    return url


def expected_from_files(files: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The canonical tables the Odoo mapping should give for the files' `files`.

    Inherent differences, each handled here:

    - Odoo records when a delivery order is validated, not when the customer receives it:
      ``orders.delivered_at`` is missing, and a delivered order's status is ``shipped``;
    - Odoo stores timestamps in UTC: a local time in the hour skipped when clocks go forward
      (none exists) is stored as the first time after it and read back one hour later;
    - Odoo's line discount is a percentage, 0 when none: the files' missing discount is 0;
    - Odoo knows what the files do not say: the order and customer of a payment (through its
      reconciled invoice) and the quantity received on a purchase-order line (0 when none).
    """
    out = {name: frame.copy() for name, frame in files.items() if name not in NOT_COMPARED}
    orders = out["orders"]
    orders["delivered_at"] = pd.Series(pd.NaT, index=orders.index, dtype="datetime64[ns]")
    orders["status"] = orders["status"].replace({"delivered": "shipped"})
    for table, columns in TIMESTAMPS.items():
        for column in columns:
            stored = utc_to_local(to_utc(out[table][column], ZONE), ZONE)
            out[table][column] = stored.astype("datetime64[ns]")
    # Odoo knows whether an invoice was written off: not written off when the files do not say
    out["invoices"]["written_off"] = out["invoices"]["written_off"].astype("boolean").fillna(False)
    lines = out["order_lines"]
    lines["discount"] = lines["discount"].fillna(0.0)
    invoices = files["invoices"].set_index("invoice_id")
    payments = out["payments"]
    payments["order_id"] = payments["invoice_id"].map(invoices["order_id"])
    payments["customer_id"] = payments["invoice_id"].map(invoices["customer_id"])
    out["stock_moves"] = as_odoo_ledger(out["stock_moves"], files)
    purchases = out["purchase_orders"]
    purchases["received_quantity"] = purchases["quantity"].where(
        purchases["received_at"].notna(), 0.0
    )
    return out


def as_odoo_ledger(moves: pd.DataFrame, files: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The files' stock ledger as it reads back from Odoo's ``stock_move``: at the warehouse's
    stock location when the files name none, an opening balance as an inventory adjustment
    (Odoo has no other kind), the clock change as for every timestamp, and a move's order line
    or purchase order only when the history holds that line (Odoo links a move to a record)."""
    moves = moves.copy()
    moves["location"] = moves["location"].fillna(WAREHOUSE_STOCK)
    moves["kind"] = moves["kind"].replace({"opening": "adjustment"})
    stored = utc_to_local(to_utc(moves["moved_at"], ZONE), ZONE)
    moves["moved_at"] = stored.astype("datetime64[ns]")
    lines = pd.MultiIndex.from_frame(files["order_lines"][["order_id", "line_no"]])
    sold = pd.MultiIndex.from_frame(moves[["order_id", "line_no"]]).isin(lines)
    moves.loc[~sold, ["order_id", "line_no"]] = pd.NA
    bought = pd.MultiIndex.from_frame(files["purchase_orders"][["po_id", "sku"]])
    received = pd.MultiIndex.from_frame(moves[["po_id", "sku"]]).isin(bought)
    moves.loc[~received | moves["kind"].ne("receipt").to_numpy(), "po_id"] = pd.NA
    return moves


def in_spring_gap(stamps: pd.Series) -> np.ndarray:
    """Local times in Berlin's skipped hour (02:00-02:59 on the last Sunday of March)."""
    march_sunday = (stamps.dt.month == 3) & (stamps.dt.day_of_week == 6) & (stamps.dt.day > 24)
    return (march_sunday & (stamps.dt.hour == 2)).to_numpy(dtype=bool)


def assert_same_history(files: dict[str, pd.DataFrame], odoo: dict[str, pd.DataFrame]) -> None:
    expected = expected_from_files(files)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(odoo[name], frame, obj=f"table {name}")
    # the Odoo tables the sample has nothing for are read, empty
    for name in set(odoo) - set(expected):
        assert name not in files and odoo[name].empty, name


LEDGER = "stock_moves.parquet"
LEDGER_TABLE = {
    "source": {"files": LEDGER},
    "fields": {
        "move_id": "MoveNo",
        "sku": "Material",
        "moved_at": "MoveDate",
        "quantity": "Qty",
        "kind": "MoveType",
        "order_id": "SalesOrder",
        "line_no": "Item",
        "po_id": "PONumber",
    },
    "values": {"kind": {"OPEN": "opening", "GR": "receipt", "GI": "shipment"}},
}
"""The sample's stock ledger as the sample's mapping reads it (added when the mapping lacks it)."""


def sample_mapping(folder: Path) -> Path:
    """The sample's mapping, with the stock ledger's table when it has none, in `folder`."""
    mapping = yaml.safe_load(SAMPLE_MAPPING.read_text(encoding="utf-8"))
    mapping["tables"].setdefault("stock_moves", LEDGER_TABLE)
    path = folder / "sample_mapping.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    return path


def made_ledger(
    orders: pd.DataFrame, lines: pd.DataFrame, purchases: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """A stock ledger for sample files that have none: an opening count of every product on
    the first day, each received purchase-order line received on its receipt day, and each
    open ordered line of a shipped order issued in full on its first shipment."""
    opening = pd.DataFrame(
        {
            "MoveDate": pd.Timestamp("2025-01-01"),
            "MoveType": "OPEN",
            "Material": products["ItemNo"].to_numpy(),
            "Qty": 5000,
        }
    )
    got = purchases[purchases["GRDate"].notna()]
    receipts = pd.DataFrame(
        {
            "MoveDate": pd.to_datetime(got["GRDate"], format="%Y%m%d").to_numpy(),
            "MoveType": "GR",
            "Material": got["ItemNo"].to_numpy(),
            "Qty": got["Qty"].astype(int).to_numpy(),
            "PONumber": got["PONumber"].to_numpy(),
        }
    )
    shipped = orders.loc[orders["FirstShipDate"].notna(), ["SalesOrder", "FirstShipDate"]]
    issued = lines[(lines["LineStatus"] == "O") & (lines["OrderQty"] > 0)]
    issued = issued.drop_duplicates(["SalesOrder", "Item"]).merge(shipped, on="SalesOrder")
    shipments = pd.DataFrame(
        {
            "MoveDate": issued["FirstShipDate"].to_numpy(),
            "MoveType": "GI",
            "Material": issued["Material"].to_numpy(),
            "Qty": -issued["OrderQty"].to_numpy(),
            "SalesOrder": issued["SalesOrder"].to_numpy(),
            "Item": issued["Item"].to_numpy(),
        }
    )
    ledger = pd.concat([opening, receipts, shipments], ignore_index=True)
    ledger = ledger.sort_values("MoveDate", kind="stable").reset_index(drop=True)
    ledger.insert(0, "MoveNo", np.arange(9_000_001, 9_000_001 + len(ledger)))
    return ledger.astype({"SalesOrder": "Int64", "Item": "Int64", "PONumber": "string"})


def _products() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "products.csv", sep=";", dtype=str)


def full_sample(folder: Path) -> tuple[Path, Path]:
    """The whole sample and its mapping, with a made ledger when it has none."""
    if (SAMPLE / LEDGER).exists():
        return SAMPLE, sample_mapping(folder)
    for path in SAMPLE.iterdir():
        (folder / path.name).symlink_to(path)
    made_ledger(
        pd.read_parquet(SAMPLE / "sales_orders.parquet"),
        pd.read_parquet(SAMPLE / "order_lines.parquet"),
        pd.read_csv(SAMPLE / "purchase_orders.csv", dtype=str),
        _products(),
    ).to_parquet(folder / LEDGER, index=False)
    return folder, sample_mapping(folder)


def sample_slice(folder: Path) -> Path:
    """The sample's files for orders placed around the spring clock change of 2025 and in the
    last days of the history (where the open orders are), with their lines, invoices, payments,
    the purchase orders of those days and their stock movements (the ledger's, or one made by
    :func:`made_ledger`); customers and products whole. The mapping is
    :func:`sample_mapping`'s, written into `folder`."""
    for name in ("customers.csv", "products.csv", "crm_accounts.csv"):
        shutil.copy(SAMPLE / name, folder / name)
    orders = pd.read_parquet(SAMPLE / "sales_orders.parquet")
    day = orders["OrderDate"].dt.normalize()
    keep = day.between("2025-03-28", "2025-04-01") | (day >= "2026-12-30")
    orders = orders[keep]
    orders.to_parquet(folder / "sales_orders.parquet", index=False)
    lines = pd.read_parquet(SAMPLE / "order_lines.parquet")
    lines = lines[lines["SalesOrder"].isin(orders["SalesOrder"])]
    lines.to_parquet(folder / "order_lines.parquet", index=False)
    invoices = pd.read_parquet(SAMPLE / "invoices.parquet")
    invoices = invoices[invoices["SalesOrder"].isin(orders["SalesOrder"])]
    invoices.to_parquet(folder / "invoices.parquet", index=False)
    payments = pd.read_parquet(SAMPLE / "payments.parquet")
    payments[payments["InvoiceNo"].isin(invoices["InvoiceNo"])].to_parquet(
        folder / "payments.parquet", index=False
    )
    moves = pd.read_parquet(SAMPLE / "stock_moves.parquet")  # the sliced orders' goods issues
    moves[moves["SalesOrder"].isna() | moves["SalesOrder"].isin(orders["SalesOrder"])].to_parquet(
        folder / "stock_moves.parquet", index=False
    )
    purchases = pd.read_csv(SAMPLE / "purchase_orders.csv", dtype=str)
    placed = purchases["PODate"]
    purchases = purchases[placed.between("20250328", "20250401") | (placed >= "20261230")]
    purchases.to_csv(folder / "purchase_orders.csv", index=False)
    if (SAMPLE / LEDGER).exists():
        ledger = pd.read_parquet(SAMPLE / LEDGER)
        ledger = ledger[
            (ledger["MoveType"] == "OPEN")
            | ledger["SalesOrder"].isin(orders["SalesOrder"]).fillna(False)
            | ledger["PONumber"].isin(purchases["PONumber"]).fillna(False)
        ]
    else:
        ledger = made_ledger(orders, lines, purchases, _products())
    ledger.to_parquet(folder / LEDGER, index=False)
    sample_mapping(folder)
    return folder


def slice_mapping(folder: Path) -> Path:
    """The mapping :func:`sample_slice` wrote into `folder`."""
    return folder / "sample_mapping.yaml"


def test_the_slice_holds_the_dirt_and_the_clock_change(tmp_path):
    tables = apply_mapping(slice_mapping(sample_slice(tmp_path)), tmp_path).tables
    orders = tables["orders"]
    statuses = set(orders["status"])
    assert {"placed", "approved", "cancelled", "returned", "delivered"} <= statuses
    assert in_spring_gap(orders["ordered_at"]).sum() > 0
    assert (~orders["customer_id"].isin(tables["customers"]["customer_id"])).any()  # orphans
    assert tables["order_lines"].duplicated(["order_id", "line_no"]).any()  # repeated rows


def test_the_odoo_mapping_reads_back_the_slice(tmp_path, database_url):
    files = apply_mapping(slice_mapping(sample_slice(tmp_path)), tmp_path).tables
    written = export_history(files, database_url, ZONE)
    assert written["sale_order"] == len(files["orders"])
    odoo = apply_mapping(ODOO_MAPPING, database_url)
    assert_same_history(files, odoo.tables)
    # the clock change is the only time difference: the orders placed in its skipped hour
    shifted = odoo.tables["orders"]["ordered_at"] != files["orders"]["ordered_at"]
    assert shifted.any()
    assert np.array_equal(shifted.to_numpy(), in_spring_gap(files["orders"]["ordered_at"]))
    # provenance names the database without its password
    sources = [p.source for entries in odoo.provenance.values() for p in entries]
    assert sources and not any(sa.engine.make_url(database_url).password in s for s in sources)


@pytest.mark.slow
def test_the_odoo_mapping_reads_back_the_whole_sample(tmp_path, database_url):
    """1.2 million rows and a ledger of half a million moves written and read back (2 to 3
    minutes on two busy cores)."""
    source, mapping = full_sample(tmp_path)
    files = apply_mapping(mapping, source).tables
    export_history(files, database_url, ZONE)
    odoo = apply_mapping(ODOO_MAPPING, database_url)
    assert_same_history(files, odoo.tables)
    for name, frame in files.items():
        if name not in NOT_COMPARED:
            assert len(odoo.tables[name]) == len(frame), name


def test_the_export_writes_every_odoo_table_with_its_columns(tmp_path):
    files = apply_mapping(slice_mapping(sample_slice(tmp_path)), tmp_path).tables
    frames = odoo_frames(files, ZONE)
    assert set(frames) == set(SCHEMA)
    for name, columns in SCHEMA.items():
        assert list(frames[name].columns) == list(columns), name
    # Odoo's conventions: a translated name is jsonb, the discount a percentage, states Odoo's
    assert frames["crm_team"]["name"].str.startswith('{"en_US": ').all()
    assert set(frames["sale_order"]["state"]) <= {"draft", "sent", "sale", "cancel"}
    assert frames["sale_order_line"]["discount"].eq(0).all()


# ---------------------------------------------------------------------------------------------
# A database that cannot be reached: exit 2, one paragraph, the URL without its password
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _calibrate(url: str, tmp_path: Path):
    return CliRunner().invoke(
        cli,
        ["calibrate", url, "--mapping", str(ODOO_MAPPING), "--out", str(tmp_path / "model")],
    )


def _assert_unreachable(result, url: str) -> None:
    assert result.exit_code == 2, result.output
    shown = shown_source(url).replace("postgresql://", "postgresql+psycopg://")
    assert f"cannot connect to the database {shown}" in result.output
    assert SECRET not in result.output
    assert "Traceback" not in result.output
    assert not (Path(result.output).parent / "model").exists()


def test_a_refused_connection_exits_2_naming_the_url_without_its_password(tmp_path):
    url = f"postgresql://erp:{SECRET}@127.0.0.1:{_free_port()}/odoo"
    result = _calibrate(url, tmp_path)
    _assert_unreachable(result, url)
    assert "erp:***@127.0.0.1" in result.output


def test_an_unknown_host_exits_2(tmp_path):
    url = f"postgresql://erp:{SECRET}@no-such-host.invalid:5432/odoo"
    _assert_unreachable(_calibrate(url, tmp_path), url)


def test_a_wrong_password_exits_2(tmp_path, database_url):
    url = sa.engine.make_url(database_url).set(password=SECRET)
    text = url.render_as_string(hide_password=False)
    result = _calibrate(text, tmp_path)
    _assert_unreachable(result, text)
    assert "password authentication failed" in result.output


def test_a_missing_database_exits_2(tmp_path, database_url):
    url = sa.engine.make_url(database_url).set(database="no_such_erp")
    text = url.render_as_string(hide_password=False)
    result = _calibrate(text, tmp_path)
    _assert_unreachable(result, text)
    assert 'database "no_such_erp" does not exist' in result.output
    assert url.password not in result.output
