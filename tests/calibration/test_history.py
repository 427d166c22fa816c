"""The canonical history schema: casting with `conform`, its errors, and the generated document."""

from pathlib import Path

import pandas as pd
import pytest

from twin.calibration import history
from twin.calibration.conform import conform
from twin.calibration.history import TABLES, schema_markdown
from twin.errors import InputError

REPO = Path(__file__).resolve().parents[2]


def lines(**changes):
    data = {
        "order_id": ["1", "1", "2"],
        "line_no": ["1", "2", "1"],
        "sku": ["A", " B ", "A"],
        "quantity": ["2", "1", "-3"],
        "unit_price": [1.5, "2.25", "3"],
        "status": ["ordered", "ordered", "returned"],
    }
    data.update(changes)
    return pd.DataFrame(data)


def orders(**changes):
    data = {
        "order_id": ["1", "2"],
        "customer_id": [17850.0, None],
        "ordered_at": ["2011-01-02 10:00:00", "2011-01-03"],
        "promised_at": [None, ""],
        "shipped_at": ["2011-01-04T08:00:00", None],
        "status": ["shipped", "placed"],
    }
    data.update(changes)
    return pd.DataFrame(data)


def test_only_orders_and_lines_are_required_tables():
    assert [name for name, table in TABLES.items() if table.required] == ["orders", "order_lines"]
    assert set(TABLES) == {
        "products", "customers", "orders", "order_lines", "invoices", "payments",
        "purchase_orders", "inventory_snapshots", "stock_moves", "supplier_invoices", "accounts",
        "opportunities", "tickets",
        "promotions",
    }  # fmt: skip


@pytest.mark.parametrize("table", list(TABLES.values()), ids=list(TABLES))
def test_every_key_column_is_a_required_column(table):
    for name in table.key:
        assert table.column(name).required
    assert len(set(table.names)) == len(table.names)


def test_conform_casts_every_column_and_keeps_every_row():
    out = conform("order_lines", lines())
    assert list(out.columns) == list(TABLES["order_lines"].names)
    assert out["sku"].tolist() == ["A", "B", "A"]
    assert out["quantity"].tolist() == [2.0, 1.0, -3.0]
    assert out["unit_price"].tolist() == [1.5, 2.25, 3.0]
    assert str(out["line_no"].dtype) == "Int64"
    assert out["discount"].isna().all() and out["freight"].dtype == "float64"
    assert out["status"].dtype == "string"


def test_conform_orders_timestamps_ids_and_missing_values():
    out = conform("orders", orders())
    assert out["customer_id"].tolist()[0] == "17850"  # an id read as a float loses its '.0'
    assert out["customer_id"].isna().tolist() == [False, True]
    assert out["ordered_at"].tolist() == [
        pd.Timestamp("2011-01-02 10:00"),
        pd.Timestamp("2011-01-03"),
    ]
    assert out["ordered_at"].dtype == "datetime64[ns]"
    assert out["promised_at"].isna().all()
    assert out["delivered_at"].isna().all() and out["delivered_at"].dtype == "datetime64[ns]"


def test_aware_timestamps_keep_their_wall_clock_time():
    stamps = pd.to_datetime(["2024-03-01 09:00"]).tz_localize("Europe/Amsterdam")
    out = conform("orders", orders(ordered_at=[stamps[0]] * 2))
    assert out["ordered_at"].iloc[0] == pd.Timestamp("2024-03-01 09:00")


def test_dates_and_booleans():
    frame = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2", "I3"],
            "customer_id": ["C", "C", "C"],
            "issued_at": ["2012-01-03", "2012-01-04", "2012-01-05"],
            "due_date": ["2012-02-02", None, "2012-02-04"],
            "amount": ["10", "20", "30"],
            "disputed": ["Yes", "no", ""],
        }
    )
    out = conform("invoices", frame)
    assert out["disputed"].tolist() == [True, False, pd.NA]
    assert out["due_date"].iloc[0] == pd.Timestamp("2012-02-02")
    with pytest.raises(
        InputError, match=r"invoices, column disputed: row 2 holds 'maybe'.*true or"
    ):
        conform("invoices", frame.assign(disputed=["yes", "maybe", "no"]))
    with pytest.raises(InputError, match=r"column due_date: row 1 .*without a time of day"):
        conform("invoices", frame.assign(due_date=["2012-02-02 10:00", None, None]))


def test_unknown_table():
    with pytest.raises(InputError, match=r"unknown canonical table 'sales'; expected one of"):
        conform("sales", lines())


def test_missing_required_column():
    with pytest.raises(InputError, match=r"table order_lines: required column 'unit_price' is"):
        conform("order_lines", lines().drop(columns="unit_price"))


def test_column_not_in_schema():
    with pytest.raises(InputError, match=r"table order_lines: column\(s\) colour are not in"):
        conform("order_lines", lines(colour=["r", "g", "b"]))


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("quantity", ["2", "x", "y"], r"column quantity: row 2 holds 'x', which is not a number"),
        ("line_no", ["1", "2", "2.5"], r"column line_no: row 3 holds '2.5', which is not a whole"),
        ("status", ["ordered", "canceled", "ordered"],
         r"column status: row 2 holds 'canceled'.*one of: ordered, cancelled"),
    ],
)  # fmt: skip
def test_bad_values_name_table_column_and_first_row(column, values, message):
    with pytest.raises(InputError, match=message):
        conform("order_lines", lines(**{column: values}))


def test_bad_timestamp():
    with pytest.raises(
        InputError, match=r"table orders, column ordered_at: row 2 holds '03/01/2011'"
    ):
        conform("orders", orders(ordered_at=["2011-01-02", "03/01/2011"]))


def test_missing_key_value():
    with pytest.raises(InputError, match=r"order_lines, column order_id: row 3 is missing a value"):
        conform("order_lines", lines(order_id=["1", "1", " "]))


def test_the_schema_document_is_generated_from_the_spec():
    # Regenerate with: python -c "from twin.calibration.history import schema_markdown as s;
    # open('docs/history-schema.md', 'w').write(s())"
    text = (REPO / "docs" / "history-schema.md").read_text(encoding="utf-8")
    assert text == schema_markdown()
    for table in history.TABLES.values():
        assert f"### `{table.name}`" in text
