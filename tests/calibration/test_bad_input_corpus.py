"""A corpus of broken history and mapping files, each run through ``twin calibrate``.

Every case starts from a trimmed copy of the sample company (``calibration/sample``: every 400th
sales order with its lines, invoices and payments, every 40th purchase order, all products,
customers and CRM accounts) and its mapping ``calibration/mappings/sample.yaml``, breaks one
thing, and runs ``twin calibrate`` through click's CliRunner. Each must end in one of two ways:

- exit 0, and for every table the rows in (mapped) equal the rows used plus quarantined
  (``quality.csv`` against ``provenance.json``), with no row merged or lost on the way;
- exit 2, with a message naming the file and, for a value, the column and row;

never exit 1 nor a traceback. The cases marked ``fast`` run in the default suite (the calibration
PDF is not drawn there: it takes most of a run's time and reads only the fitted result); the whole
corpus, PDF included, is marked slow.
"""

from __future__ import annotations

import json
import re
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.calibration import encodings
from twin.cli import cli

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "calibration" / "sample"
MAPPING = REPO / "calibration" / "mappings" / "sample.yaml"
AS_OF = "2027-06-01"  # after the sample's history (2025-2026)


# --- the trimmed sample --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small copy of the sample company with its mapping, built once per module."""
    folder = tmp_path_factory.mktemp("base")
    orders = pd.read_parquet(SAMPLE / "sales_orders.parquet").iloc[::400]
    lines = pd.read_parquet(SAMPLE / "order_lines.parquet")
    lines = lines[lines["SalesOrder"].isin(orders["SalesOrder"])]
    invoices = pd.read_parquet(SAMPLE / "invoices.parquet")
    invoices = invoices[invoices["SalesOrder"].isin(orders["SalesOrder"])]
    payments = pd.read_parquet(SAMPLE / "payments.parquet")
    payments = payments[payments["InvoiceNo"].isin(invoices["InvoiceNo"])]
    moves = pd.read_parquet(SAMPLE / "stock_moves.parquet")  # receipts, the kept orders' issues
    moves = moves[moves["SalesOrder"].isna() | moves["SalesOrder"].isin(orders["SalesOrder"])]
    for name, frame in (
        ("sales_orders", orders),
        ("order_lines", lines),
        ("invoices", invoices),
        ("payments", payments),
        ("stock_moves", moves),
    ):
        frame.reset_index(drop=True).to_parquet(folder / f"{name}.parquet", index=False)
    purchases = (SAMPLE / "purchase_orders.csv").read_text(encoding="utf-8").splitlines(True)
    (folder / "purchase_orders.csv").write_text(purchases[0] + "".join(purchases[1::40]))
    for name in ("products.csv", "customers.csv", "crm_accounts.csv"):
        shutil.copy(SAMPLE / name, folder / name)
    shutil.copy(MAPPING, folder / "mapping.yaml")
    return folder


# --- editing helpers -----------------------------------------------------------------------------


def replace_in(path: Path, old: str, new: str, *, encoding: str = "utf-8") -> None:
    text = path.read_text(encoding=encoding)
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding=encoding)


def mapping(old: str, new: str) -> Callable[[Path], None]:
    """Replace `old` by `new` in the mapping file."""
    return lambda folder: replace_in(folder / "mapping.yaml", old, new)


def set_mapping(text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / "mapping.yaml").write_text(text, encoding="utf-8")


def csv_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one cell of a CSV file (``row``: 1-based data row) by editing its text."""

    def edit(folder: Path) -> None:
        path = folder / name
        encoding = "gb18030" if name == "customers.csv" else "utf-8"
        lines = path.read_text(encoding=encoding).splitlines(True)
        sep = ";" if name == "products.csv" else ","
        header = lines[0].rstrip("\r\n").split(sep)
        cells = lines[row].rstrip("\r\n").split(sep)
        cells[header.index(column)] = value
        lines[row] = sep.join(cells) + "\n"
        path.write_text("".join(lines), encoding=encoding)

    return edit


def parquet_cell(name: str, row: int, column: str, value: object) -> Callable[[Path], None]:
    """Set one cell of a Parquet file (``row``: 1-based), widening the column's type if needed."""

    def edit(folder: Path) -> None:
        path = folder / f"{name}.parquet"
        frame = pd.read_parquet(path)
        if isinstance(value, float) and not pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].astype("float64")
        elif isinstance(value, str) and not pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].astype(str)
        frame.loc[row - 1, column] = value
        frame.to_parquet(path, index=False)

    return edit


def as_csv(name: str, edit_text: Callable[[str], str] = lambda t: t) -> Callable[[Path], None]:
    """Turn the Parquet table `name` into `name`.csv, edited, and point the mapping at it."""

    def edit(folder: Path) -> None:
        frame = pd.read_parquet(folder / f"{name}.parquet")
        (folder / f"{name}.parquet").unlink()
        text = edit_text(frame.to_csv(index=False))
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        replace_in(folder / "mapping.yaml", f"files: {name}.parquet", f"files: {name}.csv")

    return edit


def reencode(name: str, encoding: str, *, names: list[str] | None = None, drop_given=True):
    """Re-encode a CSV file (optionally with realistic names put into its name column) and
    remove the mapping's ``encoding:`` for it."""

    def edit(folder: Path) -> None:
        path = folder / name
        source = "gb18030" if name == "customers.csv" else "utf-8"
        text = path.read_text(encoding=source)
        if names:
            lines = text.splitlines(True)
            for i, value in enumerate(names, start=1):
                cells = lines[i].split(",")
                cells[1] = value
                lines[i] = ",".join(cells)
            text = "".join(lines)
        path.write_bytes(text.encode(encoding, errors="replace"))  # CJK names become ?
        if drop_given:
            replace_in(folder / "mapping.yaml", ", encoding: gb18030", "")

    return edit


def chain(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        for one in edits:
            one(folder)

    return edit


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def append_lines(name: str, count: int, *, start: int = 1) -> Callable[[Path], None]:
    """Repeat `count` data lines of a UTF-8 CSV file at its end (exact duplicates)."""

    def edit(folder: Path) -> None:
        path = folder / name
        lines = path.read_text(encoding="utf-8").splitlines(True)
        path.write_text("".join(lines) + "".join(lines[start : start + count]), encoding="utf-8")

    return edit


def excel_with_title_row(folder: Path) -> None:
    frame = pd.read_csv(folder / "products.csv", sep=";", dtype=str)
    with pd.ExcelWriter(folder / "products.xlsx") as writer:
        pd.DataFrame([["Item master, exported 2026-12-31"]]).to_excel(
            writer, index=False, header=False
        )
        frame.to_excel(writer, index=False, startrow=1)
    (folder / "products.csv").unlink()
    replace_in(
        folder / "mapping.yaml",
        'source: {files: products.csv, delimiter: ";", decimal: ","}',
        "source: {files: products.xlsx}",
    )


def orphan_lines(folder: Path) -> None:
    path = folder / "order_lines.parquet"
    lines = pd.read_parquet(path)
    extra = lines.head(5).assign(SalesOrder=99_999_999)
    pd.concat([lines, extra], ignore_index=True).to_parquet(path, index=False)


def truncate_last_line(folder: Path) -> None:
    path = folder / "purchase_orders.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 12])  # cut inside the last row


GERMAN = ["Müller Gruppe", "Köln Stahl AG", "Größe & Söhne", "Zürich Maschinen", "Bäckerei Jäger"]
FRENCH = ["Hélène Crème SA", "Façades Orléans", "Château Bâtiment", "Mère & Frère", "Île Forêt"]
JAPANESE = ["山田商事", "東京機械", "大阪産業", "名古屋電機", "横浜工業"]
CYRILLIC_CP1252 = ["Ostrava “Steel”", "Brno – Works", "Plzeň"]  # ň is not in cp1252

SAMPLE_YAML = MAPPING.read_text(encoding="utf-8")


@dataclass
class Case:
    """A broken input: how to break the trimmed sample, the exits allowed, and regexes an exit-2
    message must match (the file, and the column or row where there is one)."""

    edit: Callable[[Path], None]
    exits: tuple[int, ...] = (0, 2)
    names: tuple[str, ...] = ()
    fast: bool = False


def case(edit, exits=(0, 2), names=(), fast=False) -> Case:
    return Case(edit, tuple(exits), tuple(names), fast)


CASES: dict[str, Case] = {
    "clean trimmed sample": case(
        lambda folder: None,
        [0],
    ),
    # --- columns ---
    "missing column in a parquet file": case(
        lambda f: (
            pd.read_parquet(f / "sales_orders.parquet")
            .drop(columns="SoldTo")
            .to_parquet(f / "sales_orders.parquet")
        ),
        [2],
        [r"sales_orders\.parquet", r"column 'SoldTo' is not in the source"],
        fast=True,
    ),
    "renamed column in a csv header": case(
        lambda f: replace_in(f / "products.csv", "ItemNo;", "Item_No;"),
        [2],
        [r"products\.csv", r"'ItemNo'"],
        fast=True,
    ),
    "unnamed header column": case(
        lambda f: replace_in(f / "purchase_orders.csv", "PONumber,Vendor", ",Vendor"),
        [2],
        [r"purchase_orders\.csv: column 1 of the header line has no name"],
        fast=True,
    ),
    "duplicate header column": case(
        lambda f: replace_in(f / "purchase_orders.csv", "Qty,PODate", "Qty,Qty"),
        [2],
        [r"purchase_orders\.csv", r"PODate"],
    ),
    "wrong delimiter": case(
        lambda f: (f / "products.csv").write_text(
            (f / "products.csv").read_text(encoding="utf-8").replace(";", "\t"), encoding="utf-8"
        ),
        [2],
        [r"products\.csv", r"ItemNo"],
    ),
    # --- dates ---
    "unparseable date in a csv with a format": case(
        csv_cell("purchase_orders.csv", 7, "PODate", "2025-13-45"),
        [2],
        [r"purchase_orders\.csv, row 7 holds '2025-13-45'", r"column ordered_at"],
        fast=True,
    ),
    "text date in a parquet text column": case(
        parquet_cell("payments", 4, "ValueDate", "yesterday"),
        [2],
        [r"payments\.parquet, row 4 holds 'yesterday'", r"column paid_at"],
        fast=True,
    ),
    "order date in the future": case(
        parquet_cell("sales_orders", 3, "OrderDate", pd.Timestamp("2031-01-01")), [0]
    ),
    # --- numbers ---
    "text in a number column (12 pcs)": case(
        csv_cell("purchase_orders.csv", 5, "Qty", "12 pcs"),
        [2],
        [r"purchase_orders\.csv, row 5 holds '12 pcs'", r"column quantity"],
        fast=True,
    ),
    "NaN text in a number column": case(
        csv_cell("purchase_orders.csv", 2, "Qty", "NaN"),
        [2],
        [r"purchase_orders\.csv, row 2 holds 'NaN'", r"column quantity"],
        fast=True,
    ),
    "n/a in a decimal-comma price": case(
        csv_cell("products.csv", 3, "ListPrice", "n/a"),
        [2],
        [r"products\.csv, row 3 holds 'n/a'", r"column list_price"],
    ),
    "inf quantity on an order line": case(
        parquet_cell("order_lines", 2, "OrderQty", float("inf")),
        names=[r"order_lines\.parquet, row 2", r"quantity"],
    ),
    "1e308 unit price": case(parquet_cell("order_lines", 3, "NetPrice", 1e308), [0], fast=True),
    "NaN unit price": case(parquet_cell("order_lines", 4, "NetPrice", float("nan")), [0]),
    "-inf invoice amount": case(parquet_cell("invoices", 2, "Amount", float("-inf")), [0]),
    "negative payment": case(parquet_cell("payments", 5, "AmountReceived", -250.0), [0]),
    "negative purchase quantity": case(csv_cell("purchase_orders.csv", 3, "Qty", "-40"), [0]),
    "1e308 purchase quantity": case(
        csv_cell("purchase_orders.csv", 4, "Qty", "1e308"),
        names=[r"purchase_orders\.csv, row 4", r"quantity"],
    ),
    "huge credit limit": case(csv_cell("crm_accounts.csv", 2, "CreditLimit", "1e300"), [0]),
    # --- encodings ---
    "customers in UTF-8, encoding left out": case(reencode("customers.csv", "utf-8"), [0]),
    "customers in UTF-8 with BOM": case(
        reencode("customers.csv", "utf-8-sig"),
        [0],
    ),
    "customers in UTF-16 LE without BOM": case(reencode("customers.csv", "utf-16-le"), [0]),
    "customers in UTF-16 with BOM": case(reencode("customers.csv", "utf-16"), [0]),
    "customers in GB18030, encoding left out": case(
        reencode("customers.csv", "gb18030"),
        [0],
    ),
    "CRM accounts in cp1252 (German names)": case(
        reencode("crm_accounts.csv", "cp1252", names=GERMAN, drop_given=False),
        names=[r"crm_accounts\.csv", r"encoding: cp1252"],
    ),
    "CRM accounts in Latin-1 (French names)": case(
        reencode("crm_accounts.csv", "latin-1", names=FRENCH, drop_given=False),
        names=[r"crm_accounts\.csv", r"encoding: "],
        fast=True,
    ),
    "CRM accounts in Shift-JIS": case(
        reencode("crm_accounts.csv", "shift_jis", names=JAPANESE, drop_given=False),
        names=[r"crm_accounts\.csv", r"encoding: "],
    ),
    "customers declared UTF-8 but GB18030": case(
        mapping("encoding: gb18030", "encoding: utf-8"),
        [2],
        [r"customers\.csv: cannot be decoded as utf-8"],
        fast=True,
    ),
    "unknown encoding in the mapping": case(
        mapping("encoding: gb18030", "encoding: klingon"),
        [2],
        [
            r"mapping\.yaml, line \d+: tables\.customers\.source\.encoding: "
            r"unknown encoding .klingon."
        ],
    ),
    "UTF-8 BOM on a file that is not UTF-8": case(
        lambda f: (f / "customers.csv").write_bytes(
            b"\xef\xbb\xbf" + (f / "customers.csv").read_bytes()
        ),
        [2],
        [r"customers\.csv", r"BOM"],
    ),
    # --- line structure ---
    "CRLF line endings": case(
        lambda f: (f / "purchase_orders.csv").write_bytes(
            (f / "purchase_orders.csv").read_bytes().replace(b"\n", b"\r\n")
        ),
        [0],
    ),
    "truncated last line": case(
        truncate_last_line,
        names=[r"purchase_orders\.csv, row \d+", r"column"],
    ),
    "unclosed quote": case(
        lambda f: replace_in(f / "purchase_orders.csv", "PO700001,", '"PO700001,'),
        names=[r"purchase_orders\.csv"],
    ),
    "NUL bytes in a csv row": case(
        lambda f: replace_in(f / "crm_accounts.csv", "BIRCH WORKS", "BIRCH\x00\x00WORKS"),
        names=[r"crm_accounts\.csv"],
    ),
    "empty file": case(
        write_bytes("products.csv", b""), [2], [r"products\.csv: the file is empty"], fast=True
    ),
    "header-only products": case(
        lambda f: (f / "products.csv").write_text(
            "ItemNo;Description;ProductGroup;Vendor;ListPrice;StdCost\n"
        ),
        names=[r"products"],
    ),
    "header-only order lines": case(
        as_csv("order_lines", lambda t: t.splitlines(True)[0]),
        [2],
        [r"order"],
        fast=True,
    ),
    # --- rows ---
    "duplicate rows": case(
        append_lines("purchase_orders.csv", 10),
        [0],
    ),
    "orphan order lines": case(orphan_lines, [0]),
    "order lines as CSV with a blank SKU": case(
        as_csv("order_lines", lambda t: t.replace(",SKU-121,", ",,", 1)), [0]
    ),
    # --- files ---
    "missing table file": case(
        lambda f: (f / "invoices.parquet").unlink(),
        [2],
        [r"table invoices: no file in \S+ matches 'invoices\.parquet'"],
        fast=True,
    ),
    "garbage bytes for a csv": case(
        write_bytes("purchase_orders.csv", bytes(np.random.default_rng(7).integers(0, 256, 4000))),
        [2],
        [r"purchase_orders\.csv"],
        fast=True,
    ),
    "a parquet file that is really CSV": case(
        lambda f: write_bytes("payments.parquet", b"InvoiceNo,ValueDate\nINV1,2025-01-01\n")(f),
        [2],
        [r"payments\.parquet: not a readable Parquet file"],
        fast=True,
    ),
    "excel with an extra title row": case(
        excel_with_title_row,
        [2],
        [r"products\.xlsx, sheet \w+: column 2 of the header line has no name"],
        fast=True,
    ),
    # --- mapping files ---
    "mapping: unknown top-level key": case(
        mapping("tables:", "tabels:"), [2], [r"mapping\.yaml", r"tabels"], fast=True
    ),
    "mapping: unknown key in a table": case(
        mapping(
            "    fields:\n      order_id: SalesOrder\n      customer_id",
            "    feilds:\n      order_id: SalesOrder\n      customer_id",
        ),
        [2],
        [r"mapping\.yaml, line \d+", r"feilds"],
    ),
    "mapping: fields is a number": case(
        mapping(
            "    fields:\n      po_id: PONumber\n      sku: ItemNo\n      supplier_id: Vendor\n"
            "      quantity: Qty\n      ordered_at: PODate\n      received_at: GRDate",
            "    fields: 42",
        ),
        [2],
        [r"mapping\.yaml, line \d+: tables\.purchase_orders\.fields"],
    ),
    "mapping: fields is a list": case(
        mapping(
            "    fields:\n      po_id: PONumber\n      sku: ItemNo\n      supplier_id: Vendor\n"
            "      quantity: Qty\n      ordered_at: PODate\n      received_at: GRDate",
            "    fields: [PONumber, ItemNo]",
        ),
        [2],
        [r"mapping\.yaml, line \d+: tables\.purchase_orders\.fields"],
    ),
    "mapping: values is text": case(
        mapping(
            "    values:\n      status: {O: ordered, C: cancelled, R: returned}", "    values: x"
        ),
        [2],
        [r"mapping\.yaml, line \d+: tables\.order_lines\.values"],
    ),
    "mapping: derive is a list": case(
        mapping(
            "    derive:\n      payment_id:", "    derive: [payment_id]\n    x_derive:\n      a:"
        ),
        [2],
        [r"mapping\.yaml, line \d+: tables\.payments\.derive"],
    ),
    "mapping: tables is a number": case(
        set_mapping("name: x\ntables: 5\n"), [2], [r"mapping\.yaml, line 2: tables"]
    ),
    "mapping: a table is a list": case(
        set_mapping("name: x\ntables:\n  orders: [a, b]\n"),
        [2],
        [r"mapping\.yaml, line 3: tables\.orders"],
    ),
    "mapping: scale is text": case(
        mapping(
            "    formats:\n      paid_at:",
            "    scale: {amount: lots}\n    formats:\n      paid_at:",
        ),
        [2],
        [r"mapping\.yaml, line \d+: tables\.payments\.scale\.amount"],
    ),
    "mapping: a required column not mapped": case(
        mapping(
            "      order_id: SalesOrder\n      customer_id: SoldTo", "      customer_id: SoldTo"
        ),
        [2],
        [r"order_id"],
        fast=True,
    ),
    "mapping: maps a source column that does not exist": case(
        mapping("sku: Material", "sku: MaterialNo"),
        [2],
        [r"mapping\.yaml, line \d+", r"order_lines\.parquet", r"'MaterialNo'"],
    ),
    "mapping: python object tag": case(
        set_mapping('name: x\ntables: !!python/object/apply:os.system ["echo pwned"]\n'),
        [2],
        [r"mapping\.yaml"],
        fast=True,
    ),
    "mapping: a list, not a mapping": case(
        set_mapping("- orders\n- order_lines\n"), [2], [r"mapping\.yaml"], fast=True
    ),
    "mapping: empty file": case(set_mapping(""), [2], [r"mapping\.yaml"]),
    "mapping: YAML syntax error": case(
        set_mapping("name: x\ntables:\n  orders: {source: [\n"), [2], [r"mapping\.yaml"]
    ),
    "mapping: unknown canonical table": case(
        mapping("  order_lines:\n", "  order_linez:\n"), [2], [r"mapping\.yaml", r"order_linez"]
    ),
    "mapping: duplicate key": case(
        mapping("      sku: Material\n", "      sku: Material\n      sku: Item\n"),
        [2],
        [r"mapping\.yaml, line \d+", r"sku"],
    ),
    "mapping: a status code not mapped": case(
        mapping("DLVD: delivered, ", ""),
        [2],
        [r"sales_orders\.parquet, row \d+ holds 'DLVD'", r"column status"],
        fast=True,
    ),
    "mapping: a date format of the wrong type": case(
        mapping('paid_at: "%Y-%m-%d"', "paid_at: [1, 2]"), [2], [r"mapping\.yaml", r"paid_at"]
    ),
}


def run_case(case: Case, base: Path, tmp_path: Path) -> None:
    folder = tmp_path / "source"
    shutil.copytree(base, folder)
    case.edit(folder)
    out = tmp_path / "model"
    args = ["calibrate", str(folder), "--mapping", str(folder / "mapping.yaml")]
    result = CliRunner().invoke(cli, [*args, "--out", str(out), "--as-of", AS_OF])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        shown = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"exit {result.exit_code} with a traceback:\n{shown}")
    assert "Traceback" not in result.output
    assert result.exit_code in case.exits, result.output
    if result.exit_code == 2:
        for pattern in case.names:
            assert re.search(pattern, result.output), (pattern, result.output)
        return
    counts = pd.read_csv(out / "quality.csv")
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    for entries in provenance["files"].values():
        for entry in entries:  # every text file says how its encoding was found, and how surely
            if entry["encoding"] is not None:
                assert entry["encoding_method"] in ("given", "bom", "utf-8", "detected")
                assert encodings.MIN_CONFIDENCE <= entry["encoding_confidence"] <= 1
    for table, written in provenance["rows_written"].items():
        assert provenance["rows_read"][table] == written, table  # the sample mapping merges none
        assert counts.loc[counts["table"] == table, "rows"].sum() == written, table
        quarantine = pd.read_csv(out / "quarantine" / f"{table}.csv")
        assert (quarantine["row"] >= 1).all(), table
        reasons = counts[(counts["table"] == table) & (counts["outcome"] == "quarantined")]
        assert len(quarantine) == reasons["rows"].sum(), table


FAST = [name for name, c in CASES.items() if c.fast]


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert len(FAST) >= 15


@pytest.mark.parametrize("name", FAST)
def test_fast_corpus(name: str, base: Path, tmp_path: Path, monkeypatch) -> None:
    # the PDF is drawn from the fitted result alone; the slow corpus draws it
    monkeypatch.setattr(
        "twin.calibration.report.write_calibration_report", lambda *args, **kwargs: None
    )
    run_case(CASES[name], base, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_full_corpus(name: str, base: Path, tmp_path: Path) -> None:
    run_case(CASES[name], base, tmp_path)
