"""The open state read through Odoo equals the open state read from the sample's files.

The sample's files are mapped by ``sample.yaml``, written into Odoo's tables on a real
PostgreSQL server (:mod:`twin.calibration.odoo_export`) and read back by ``odoo.yaml``; the
open state (``twin calibrate --as-of``, :mod:`twin.calibration.open_state`) of both must be
the same, table by table, apart from the differences :func:`as_odoo_stores_it` states. The
sample has no supplier bills: the tests add some (bills.csv, read by an extra table of the
sample's mapping), so the payables are compared too, and read the invoices' write-offs; the
stock ledger is the sample's, or one made by ``test_odoo.made_ledger`` when it has none. The
sample has no opportunities or tickets, so those state tables are empty both ways (asserted).
Skips only when ``TWIN_TEST_DATABASE_URL`` is unset.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner
from test_odoo import ODOO_MAPPING, ZONE, full_sample, sample_slice, slice_mapping

from twin.calibration.mapping import utc_to_local
from twin.calibration.odoo_export import WAREHOUSE_STOCK, export_history, to_utc
from twin.calibration.open_state import build_open_state
from twin.calibration.open_state.frames import DAY
from twin.calibration.open_state.view import state_view
from twin.cli import cli
from twin.commands.calibrate import mapped_and_checked
from twin.scenario.initial_state import STATE_SUMMARY, STATE_TABLES

AS_OF = pd.Timestamp("2027-01-01")
"""The extract date: the day after the sample's last."""

EMPTY_BOTH_WAYS = ("opportunities", "tickets")
"""State tables the sample has nothing for (no CRM pipeline, no helpdesk)."""

BILLS_TABLE = {
    "source": {"files": "bills.csv"},
    "fields": {
        "bill_id": "BillNo",
        "supplier_id": "Vendor",
        "po_id": "PONumber",
        "issued_at": "BillDate",
        "due_date": "DueDate",
        "amount": "Amount",
        "paid_at": "PaidDate",
    },
    "formats": {"issued_at": "%Y-%m-%d", "due_date": "%Y-%m-%d", "paid_at": "%Y-%m-%d"},
}


@pytest.fixture(scope="module")
def database_url() -> str:
    url = os.environ.get("TWIN_TEST_DATABASE_URL")
    if not url:
        pytest.skip("TWIN_TEST_DATABASE_URL is not set (see .ci/postgres)")
    return url


def with_bills(folder: Path, mapping: Path) -> Path:
    """Add supplier bills to the sample files in `folder` (one per received purchase order,
    billed on the receipt day, due 30 days later, every other one paid 20 days after) and
    return `mapping` with a ``supplier_invoices`` table reading them, and the invoices'
    write-offs, beside it."""
    purchases = pd.read_csv(folder / "purchase_orders.csv", dtype=str)
    purchases["value"] = pd.to_numeric(purchases["Qty"]) * 12.5  # the files hold no price
    received = purchases[purchases["GRDate"].notna()]
    heads = received.groupby("PONumber", sort=True).agg(
        Vendor=("Vendor", "first"), GRDate=("GRDate", "max"), Amount=("value", "sum")
    )
    billed = pd.to_datetime(heads["GRDate"], format="%Y%m%d")
    paid = np.arange(len(heads)) % 2 == 0
    bills = pd.DataFrame(
        {
            "BillNo": "BILL/" + heads.index.to_series(),
            "Vendor": heads["Vendor"],
            "PONumber": heads.index,
            "BillDate": billed.dt.strftime("%Y-%m-%d"),
            "DueDate": (billed + pd.Timedelta(days=30)).dt.strftime("%Y-%m-%d"),
            "Amount": heads["Amount"].round(2),
            "PaidDate": (billed + pd.Timedelta(days=20)).dt.strftime("%Y-%m-%d").where(paid),
        }
    )
    bills.to_csv(folder / "bills.csv", index=False)
    tables = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    tables["tables"]["supplier_invoices"] = BILLS_TABLE
    # the invoices' write-offs (Y / N), read when the sample's mapping does not read them
    tables["tables"]["invoices"]["fields"].setdefault("written_off", "WrittenOff")
    path = mapping.with_name("sample_with_bills.yaml")
    path.write_text(yaml.safe_dump(tables, sort_keys=False), encoding="utf-8")
    return path


def open_state(mapping: Path, source: str, as_of: pd.Timestamp):
    """The open state at `as_of`, the extract date (as ``twin calibrate --as-of`` builds it)."""
    mapped, quality = mapped_and_checked(mapping, source, as_of.to_pydatetime())
    return build_open_state(mapped.tables, quality.quarantine, as_of, origins=mapped.origins)


def as_odoo_stores_it(state: dict[str, pd.DataFrame], as_of: pd.Timestamp):
    """The files' state with every timestamp as it reads back from Odoo's naive UTC: a local
    time in the hour skipped when the clocks go forward (none such exists) is stored as the
    first instant after it and reads back one hour later; the customers' recency and age
    follow their first and last order. And the stock is at the warehouse's stock location,
    where the files name none: Odoo's stock always lies at a location. The only inherent
    differences of the two states."""
    out = {}
    for name, frame in state.items():
        frame = frame.copy()
        for column in frame.columns:
            if frame[column].dtype.kind == "M":
                stored = utc_to_local(to_utc(frame[column], ZONE), ZONE)
                frame[column] = stored.astype("datetime64[ns]")
        out[name] = frame
    out["stock"]["location"] = out["stock"]["location"].replace({"": WAREHOUSE_STOCK})
    customers = out["customers"]
    first, last = customers["first_order_at"], customers["last_order_at"]
    customers["recency_days"] = ((last - first) / DAY).to_numpy(dtype=float)
    customers["age_days"] = ((as_of - first) / DAY).to_numpy(dtype=float)
    return out


def assert_same_state(
    files: dict[str, pd.DataFrame], odoo: dict[str, pd.DataFrame], as_of: pd.Timestamp
) -> int:
    """Assert the states equal (see :func:`as_odoo_stores_it`); return the customers whose
    first or last order lies in the skipped hour."""
    assert set(files) == set(odoo) == set(STATE_TABLES)
    expected = as_odoo_stores_it(files, as_of)
    for name in STATE_TABLES:
        pd.testing.assert_frame_equal(odoo[name], expected[name], obj=f"state table {name}")
    for name in EMPTY_BOTH_WAYS:
        assert files[name].empty, name
    shifted = expected["customers"]["first_order_at"] != files["customers"]["first_order_at"]
    shifted |= expected["customers"]["last_order_at"] != files["customers"]["last_order_at"]
    return int(shifted.fillna(False).sum())


@pytest.fixture(scope="module")
def slice_in_odoo(tmp_path_factory, database_url):
    """The sample's slice (test_odoo.sample_slice) with bills, as files and in PostgreSQL."""
    folder = sample_slice(tmp_path_factory.mktemp("slice"))
    mapping = with_bills(folder, slice_mapping(folder))
    mapped, _ = mapped_and_checked(mapping, str(folder), None)
    assert len(mapped.tables["supplier_invoices"]) > 0
    assert mapped.tables["invoices"]["written_off"].astype("boolean").sum() > 0
    export_history(mapped.tables, database_url, ZONE)
    return mapping, folder, database_url


PAST = {
    pd.Timestamp("2025-04-01"): (
        ("stock", "purchase_orders", "backlog", "receivables"),
        {"orders": "shipped_at", "purchase_orders": "received_at"},
    ),
    pd.Timestamp("2026-12-31"): (
        ("stock", "purchase_orders", "backlog", "payables"),
        {"orders": "shipped_at"},
    ),
}
"""Earlier as-of dates inside the slice's two windows (the spring clock change, the last days):
the state tables the slice fills at each, and the items open at the date that the history
(Odoo) shows closed after it (orders shipped, purchase orders received); Odoo's
``qty_received`` is today's."""
FILLED = ("stock", "purchase_orders", "backlog", "receivables", "payables", "customers")
"""The state tables the slice fills at the extract date."""


@pytest.mark.parametrize(
    ("as_of", "filled", "closed_after"),
    [(AS_OF, FILLED, {}), *((day, *facts) for day, facts in PAST.items())],
    ids=["extract", "spring", "december"],
)
def test_the_state_through_odoo_equals_the_state_from_the_files(
    slice_in_odoo, as_of, filled, closed_after
):
    mapping, folder, url = slice_in_odoo
    files = open_state(mapping, str(folder), as_of)
    odoo = open_state(ODOO_MAPPING, url, as_of)
    shifted = assert_same_state(files.tables, odoo.tables, as_of)
    assert shifted > 0  # the slice holds orders of the skipped hour: the difference is real
    assert {k: len(v) for k, v in odoo.issues.items()} == {
        k: len(v) for k, v in files.issues.items()
    }
    # the comparison is not vacuous: each table the slice can fill holds rows ...
    for name in (*filled, "customers"):
        assert len(files.tables[name]) > 0, name
    # ... and at a past date the history goes on after it, through items then open
    mapped, _ = mapped_and_checked(mapping, str(folder), None)
    for name, closed in closed_after.items():
        frame = mapped.tables[name]
        assert ((frame["ordered_at"] < as_of) & (frame[closed] >= as_of)).any(), name


def test_stock_quant_read_today_is_no_count_at_a_past_date(slice_in_odoo):
    """``stock_quant`` is the stock on the day the database is read: a count at the end of that
    day. At an earlier as-of date it is a future date, and the stock is the ledger's (Odoo's
    stock moves) up to the date, as from the files; at a later one it is the count."""
    mapping, folder, url = slice_in_odoo
    engine = sa.create_engine(url)
    with engine.begin() as db:
        today = db.execute(sa.text("SELECT CURRENT_DATE")).scalar_one()
        product = db.execute(sa.text("SELECT min(product_id) FROM stock_move")).scalar_one()
        stock = db.execute(
            sa.text("SELECT id FROM stock_location WHERE complete_name = :name"),
            {"name": WAREHOUSE_STOCK},
        ).scalar_one()
        sku = db.execute(
            sa.text(
                "SELECT COALESCE(NULLIF(default_code, ''), id::text) FROM product_product "
                "WHERE id = :id"
            ),
            {"id": product},
        ).scalar_one()
        db.execute(
            sa.text(
                "INSERT INTO stock_quant (id, product_id, location_id, quantity, in_date) "
                "VALUES (1, :product, :location, 98765, now())"
            ),
            {"product": product, "location": stock},
        )
    try:
        past = min(PAST)
        assert past.date() < today
        files = open_state(mapping, str(folder), past)
        odoo = open_state(ODOO_MAPPING, url, past)
        assert_same_state(files.tables, odoo.tables, past)
        assert 98765.0 not in set(odoo.tables["stock"]["on_hand"])
        after = pd.Timestamp(today) + DAY  # the start of tomorrow: the end of today
        counted = open_state(ODOO_MAPPING, url, after).tables["stock"].set_index("sku")
        assert counted.loc[sku, "method"] == "snapshot"
        assert counted.loc[sku, "on_hand"] == 98765.0
    finally:
        with engine.begin() as db:
            db.execute(sa.text("DELETE FROM stock_quant"))
        engine.dispose()


def _state_folder(model: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(model / "state" / f"{name}.parquet") for name in STATE_TABLES}


@pytest.mark.slow
def test_calibrate_as_of_through_odoo_writes_the_state_of_the_files(
    tmp_path, database_url, monkeypatch
):
    """The whole sample written into PostgreSQL, and ``twin calibrate --as-of 2027-01-01`` run
    through sample.yaml and through odoo.yaml (12 to 14 minutes on two busy cores). One
    pseudonym key for both model folders, so their states' customer ids compare."""
    monkeypatch.setenv("TWIN_PSEUDONYM_KEY", "one key for both model folders")
    sample, mapping = full_sample(tmp_path)
    mapped, _ = mapped_and_checked(mapping, str(sample), None)
    export_history(mapped.tables, database_url, ZONE)
    # the database named in the query, so the URL's last part holds the password
    url = sa.engine.make_url(database_url)
    odoo_url = f"{url.drivername}://{url.username}:{url.password}@{url.host}:{url.port}"
    odoo_url += f"?dbname={url.database}"
    models = {}
    for label, source, read_by in (
        ("files", str(sample), mapping),
        ("odoo", odoo_url, ODOO_MAPPING),
    ):
        models[label] = tmp_path / label
        result = CliRunner().invoke(
            cli,
            [
                "calibrate",
                source,
                "--mapping",
                str(read_by),
                "--as-of",
                str(AS_OF.date()),
                "--out",
                str(models[label]),
            ],
        )
        assert result.exit_code == 0, result.output
    files, odoo = _state_folder(models["files"]), _state_folder(models["odoo"])
    assert_same_state(files, odoo, AS_OF)  # no customer's first or last order in the gap
    summaries = {
        label: yaml.safe_load((model / "state" / STATE_SUMMARY).read_text(encoding="utf-8"))
        for label, model in models.items()
    }
    # the same state, apart from the source's name (the database's, without its password)
    assert url.password not in summaries["odoo"].pop("source")
    for path in models["odoo"].rglob("*"):
        if path.is_file():
            assert url.password.encode() not in path.read_bytes(), path
    summaries["files"].pop("source")
    assert summaries["files"] == summaries["odoo"]
    assert summaries["files"]["as_of"] == dt.date(2027, 1, 1).isoformat()
    # the comparison is not vacuous
    for name in ("stock", "backlog", "receivables", "purchase_orders", "customers"):
        assert len(files[name]) > 0, name


def test_a_payment_naming_an_orphan_order_counts_once_its_invoice_does():
    """Odoo's payments name their order and customer, so the quality step quarantines the
    payment of an unknown customer's order as ``orphan_order`` (not ``unknown_invoice``); the
    state takes it back with its invoice, or the invoice would look unpaid."""
    mapped = {
        "orders": pd.DataFrame({"order_id": ["SO1"], "customer_id": ["gone"]}),
        "invoices": pd.DataFrame({"invoice_id": ["INV1"], "order_id": ["SO1"]}),
        "payments": pd.DataFrame(
            {"invoice_id": ["INV1", "INV9"], "order_id": ["SO1", "SO9"], "amount": [5.0, 7.0]}
        ),
    }
    quarantine = {
        "orders": mapped["orders"].assign(reason="unknown_customer"),
        "invoices": mapped["invoices"].assign(reason="orphan_order"),
        "payments": mapped["payments"].assign(reason="orphan_order"),
    }
    view = state_view(mapped, quarantine)
    assert list(view["orders"]["order_id"]) == ["SO1"]
    assert list(view["invoices"]["invoice_id"]) == ["INV1"]
    assert list(view["payments"]["invoice_id"]) == ["INV1"]  # INV9 is no invoice of the state
