"""Errors about a value, and quarantined rows, name the source file (sheet, query), the column
and the row as the user sees it: the N-th data row of that file, 1-based, header excluded."""

import re
import shutil
import sqlite3
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.calibration.mapping import apply_mapping
from twin.calibration.quality import check_history
from twin.calibration.sources import Provenance, RawTable
from twin.errors import InputError

SHOP = Path(__file__).resolve().parent / "fixtures" / "shop"
CONVENTION = "rows count from 1 in each file, header excluded"

LINES = """\
name: lines
tables:
  orders:
    source: {files: orders.csv}
    fields: {order_id: OrderNo, ordered_at: Placed, customer_id: Cust, promised_at: Promised,
             shipped_at: Shipped}
    derive: {status: {constant: placed}}
  order_lines:
    source: {files: "lines.part*.csv"}
    fields: {order_id: OrderNo, sku: Item, quantity: Qty, unit_price: Price}
    derive:
      line_no: {row_number_by: [order_id]}
      status: {constant: ordered}
"""


def orders_csv(*placed: str) -> str:
    """orders.csv with orders SO-1.. placed at `placed`."""
    rows = [f"SO-{i},C{i},{p},," for i, p in enumerate(placed, start=1)]
    return "OrderNo,Cust,Placed,Promised,Shipped\n" + "\n".join(rows) + "\n"


GOOD = ("2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06")


def shop(tmp_path: Path, part2: str, mapping: str = LINES, orders: str | None = None) -> Path:
    """Orders SO-1..SO-4 and order lines in two files; `part2` is the second file's body."""
    (tmp_path / "orders.csv").write_text(orders or orders_csv(*GOOD))
    (tmp_path / "lines.part1of2.csv").write_text(
        "OrderNo,Item,Qty,Price\nSO-1,A,2,12.5\nSO-1,B,1,9.99\nSO-2,A,5,12.5\n"
    )
    (tmp_path / "lines.part2of2.csv").write_text("OrderNo,Item,Qty,Price\n" + part2)
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(mapping))
    return path


def test_a_row_of_the_second_file_is_named_with_its_own_row_number(tmp_path):
    mapping = shop(tmp_path, "SO-3,C,1,4\nSO-4,A,12 pcs,12.5\n")
    with pytest.raises(InputError) as raised:
        apply_mapping(mapping, tmp_path)
    message = str(raised.value)
    # the 5th row read overall, but the 2nd data row of lines.part2of2.csv
    assert re.search(
        r"table order_lines, column quantity \(source column Qty\): \S*lines\.part2of2\.csv, "
        r"row 2 holds '12 pcs', which is not a number",
        message,
    ), message
    assert CONVENTION in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("NaN", "not a number"), ("inf x", "not a number"), ("1,5", "not a number")],
)
def test_text_in_a_number_column_names_file_column_and_row(tmp_path, value, expected):
    mapping = shop(tmp_path, f'SO-3,C,1,"{value}"\n')
    with pytest.raises(InputError, match=rf"column unit_price \(source column Price\): .*"
                       rf"lines\.part2of2\.csv, row 1 holds '{re.escape(value)}', which is "
                       rf"{expected}"):  # fmt: skip
        apply_mapping(mapping, tmp_path)


def test_an_unparseable_date_names_file_and_row(tmp_path):
    orders = orders_csv("2024-01-03", "yesterday", "2024-01-05", "2024-01-06")
    mapping = shop(tmp_path, "SO-3,C,1,4\n", orders=orders)
    with pytest.raises(InputError, match=r"table orders, column ordered_at \(source column "
                       r"Placed\): \S*orders\.csv, row 2 holds 'yesterday', which is not a "
                       r"date/time \(1 bad value in all; rows count from 1"):  # fmt: skip
        apply_mapping(mapping, tmp_path)


def test_a_date_against_the_mapping_format_names_the_mapping_line_file_and_row(tmp_path):
    text = LINES.replace(
        "    derive: {status: {constant: placed}}",
        "    derive: {status: {constant: placed}}\n    formats: {ordered_at: '%Y-%m-%d'}",
    )
    orders = orders_csv("2024-01-03", "2024-01-04", "05.01.2024", "2024-01-06")
    mapping = shop(tmp_path, "SO-3,C,1,4\n", mapping=text, orders=orders)
    with pytest.raises(
        InputError,
        match=r"m\.yaml, line 8: table orders, column ordered_at "
        r"\(source column Placed\): \S*orders\.csv, row 3 holds '05\.01\.2024'",
    ):
        apply_mapping(mapping, tmp_path)


def test_rows_left_out_by_only_do_not_shift_the_row_named(tmp_path):
    text = LINES.replace(
        'source: {files: "lines.part*.csv"}',
        'source: {files: "lines.part*.csv"}\n    only: {column: Item, one_of: [A, C]}',
    )
    # part 2: row 1 (B) is left out by 'only'; row 2 is bad
    mapping = shop(tmp_path, "SO-3,B,1,4\nSO-4,C,1,oops\n", mapping=text)
    with pytest.raises(InputError, match=r"lines\.part2of2\.csv, row 2 holds 'oops'"):
        apply_mapping(mapping, tmp_path)


def test_a_counted_row_points_at_the_first_row_of_its_group(tmp_path):
    counted = "{count_rows_by: [order_id, sku], first: [unit_price, line_no]}"
    text = LINES.replace("quantity: Qty, unit_price: Price", "unit_price: Price, line_no: Qty")
    text = text.replace("line_no: {row_number_by: [order_id]}", f"quantity: {counted}")
    assert counted in text and "row_number_by" not in text
    # SO-4/A appears on rows 2 and 3 of part 2; the unit price is not a number in both
    mapping = shop(tmp_path, "SO-3,C,1,4\nSO-4,A,1,n/a\nSO-4,A,2,n/a\n", mapping=text)
    with pytest.raises(InputError, match=r"column unit_price \(source column Price\): "
                       r"\S*lines\.part2of2\.csv, row 2 holds 'n/a'"):  # fmt: skip
        apply_mapping(mapping, tmp_path)


def test_a_missing_key_names_file_and_row(tmp_path):
    mapping = shop(tmp_path, "SO-3,C,1,4\n,A,1,4\n")
    with pytest.raises(InputError, match=r"column order_id \(source column OrderNo\): "
                       r"\S*lines\.part2of2\.csv, row 2 is missing a value"):  # fmt: skip
        apply_mapping(mapping, tmp_path)


def test_excel_rows_name_the_sheet(tmp_path):
    pytest.importorskip("openpyxl")
    frame = pd.DataFrame(
        {"OrderNo": ["SO-1", "SO-2"], "Cust": "C", "Placed": ["2024-01-03", "x"], "Promised": ""}
    ).assign(Shipped="")
    with pd.ExcelWriter(tmp_path / "orders.xlsx") as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="Notes", index=False)
        frame.to_excel(writer, sheet_name="Orders", index=False)
    text = LINES.split("  order_lines:")[0].replace("files: orders.csv", "files: orders.xlsx, "
                                                     "sheet: Orders")  # fmt: skip
    (tmp_path / "m.yaml").write_text(text)
    with pytest.raises(InputError, match=r"orders\.xlsx, sheet Orders, row 2 holds 'x'"):
        apply_mapping(tmp_path / "m.yaml", tmp_path)


def test_database_rows_name_the_query(tmp_path):
    with sqlite3.connect(tmp_path / "erp.db") as db:
        db.execute("create table so (num text, cust text, placed text, prom text, ship text)")
        rows = [("1", "C", "2024-01-02", None, None), ("2", "C", "soon", None, None)]
        db.executemany("insert into so values (?, ?, ?, ?, ?)", rows)
    (tmp_path / "m.yaml").write_text(
        "name: x\ntables:\n  orders:\n    source: {query: select * from so order by num}\n"
        "    fields: {order_id: num, customer_id: cust, ordered_at: placed, promised_at: prom,\n"
        "             shipped_at: ship}\n    derive: {status: {constant: placed}}\n"
    )
    with pytest.raises(InputError, match=r"sqlite:///\S*erp\.db query, row 2 holds 'soon'"):
        apply_mapping(tmp_path / "m.yaml", tmp_path / "erp.db")


def test_quarantined_rows_name_their_file_and_row(tmp_path):
    # part 2 row 2 repeats part 1 row 1 exactly; part 2 row 1 refers to an unknown order
    mapping = shop(tmp_path, "SO-9,C,1,4\nSO-1,A,2,12.5\n")
    mapped = apply_mapping(mapping, tmp_path)
    quality = check_history(
        mapped.tables, as_of="2030-01-01", origins=mapped.origins, non_product_skus=()
    )
    q = quality.quarantine["order_lines"].sort_values("row")
    assert [Path(f).name for f in q["file"]] == ["lines.part2of2.csv", "lines.part2of2.csv"]
    assert q["row"].tolist() == [1, 2]
    assert q["reason"].tolist() == ["orphan_order", "duplicate_row"]
    assert re.fullmatch(r"same as \S*lines\.part1of2\.csv, row 1", q["detail"].iloc[1])


def test_origins_map_positions_across_files_including_an_empty_one():
    frame = pd.DataFrame({"a": range(5)})
    raw = RawTable(
        "t",
        frame,
        (Provenance("a.csv", 2), Provenance("empty.csv", 0), Provenance("b.xlsx", 3, sheet="S")),
    )
    origins = raw.origins(np.arange(5))
    assert origins["file"].tolist() == ["a.csv"] * 2 + ["b.xlsx, sheet S"] * 3
    assert origins["row"].tolist() == [1, 2, 1, 2, 3]


def test_the_shop_fixture_keeps_working(tmp_path):
    for path in SHOP.iterdir():
        shutil.copy(path, tmp_path / path.name)
    mapped = apply_mapping(tmp_path / "shop.yaml", tmp_path)
    origins = mapped.origins["order_lines"]
    assert [Path(f).name for f in origins["file"]] == ["lines.part1of2.csv"] * 2 + [
        "lines.part2of2.csv"
    ] * 2
    assert origins["row"].tolist() == [1, 2, 1, 2]


def test_a_missing_excel_sheet_lists_the_sheets(tmp_path):
    pytest.importorskip("openpyxl")
    with pd.ExcelWriter(tmp_path / "o.xlsx") as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="Notes", index=False)
    from twin.calibration.sources import read_file

    with pytest.raises(InputError, match=r"o\.xlsx: there is no sheet 'Orders'; its sheets are: "):
        read_file(tmp_path / "o.xlsx", sheet="Orders")
    with pytest.raises(InputError, match=r"o\.xlsx: there is no sheet 3 \(0-based\)"):
        read_file(tmp_path / "o.xlsx", sheet=3)
    _, prov = read_file(tmp_path / "o.xlsx")
    assert prov.sheet == "Notes" and prov.label.endswith("o.xlsx, sheet Notes")
