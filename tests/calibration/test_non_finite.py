"""Non-finite and implausible numbers: every numeric column of every table is checked against
the schema's plausible range, the row is quarantined with a reason and the fits never see it."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.calibration.calibrate import calibrate_history
from twin.calibration.conform import conform
from twin.calibration.history import TABLES
from twin.calibration.quality import check_history
from twin.cli import cli
from twin.errors import InputError

SHOP = Path(__file__).parent / "fixtures" / "shop"
INF = math.inf
AS_OF = pd.Timestamp("2025-01-01")


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    return conform(name, pd.DataFrame(rows))


def order(order_id: str, ordered: str) -> dict:
    return {"order_id": order_id, "customer_id": "c1", "ordered_at": ordered,
            "promised_at": "2024-02-01", "shipped_at": None, "status": "delivered"}  # fmt: skip


def line(order_id, line_no, sku, quantity, price, status="ordered") -> dict:
    return {"order_id": order_id, "line_no": line_no, "sku": sku, "quantity": quantity,
            "unit_price": price, "status": status}  # fmt: skip


def test_calibrate_quarantines_inf_and_huge_order_lines_and_exits_0(tmp_path):
    source = tmp_path / "shop"
    shutil.copytree(SHOP, source)
    lines = source / "lines.part2of2.csv"
    bad = ["SO-2,A,inf,100", "SO-2,B,1e308,100", "SO-2,C,2,-inf", "SO-3,D,1,1e308", "SO-3,E,,100"]
    lines.write_text(lines.read_text() + "\n".join(bad) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    result = CliRunner().invoke(
        cli,
        ["calibrate", str(source), "--mapping", str(source / "shop.yaml"), "--out", str(out),
         "--as-of", "2025-01-01"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    quarantine = pd.read_csv(out / "quarantine" / "order_lines.csv")
    reasons = dict(zip(quarantine["sku"], quarantine["reason"], strict=True))
    assert reasons == {
        "A": "not_finite",
        "B": "implausible_value",
        "C": "not_finite",
        "D": "implausible_value",
        "E": "bad_quantity",
    }
    details = dict(zip(quarantine["sku"], quarantine["detail"], strict=True))
    assert details["A"] == "quantity not finite"
    assert details["C"] == "unit_price not finite"
    assert details["D"].startswith("unit_price 1e+306 beyond plausible range")
    counts = pd.read_csv(out / "quality.csv")
    read = sum(len(pd.read_csv(f)) for f in source.glob("lines.*.csv"))
    assert counts.loc[counts["table"] == "order_lines", "rows"].sum() == read


def history() -> dict[str, pd.DataFrame]:
    """Clean rows plus one bad value per numeric column; the comment gives the reason."""
    orders = table(
        "orders", [order(f"o{i}", ordered=f"2024-01-{i:02d} 10:00") for i in range(1, 9)]
    )
    lines = table(
        "order_lines",
        [line(f"o{i}", 1, "P1", 2, 10.0) for i in range(1, 7)]
        + [
            line("o7", 1, "P1", -INF, 10.0, status="returned"),  # not_finite
            line("o7", 2, "P1", 1, np.nan),  # bad_price (as before)
            line("o8", 1, "P1", 1, -3.0),  # bad_price (as before)
            line("o8", 2, "P1", 2, 10.0),  # ok
        ],
    )
    lines.loc[len(lines) - 1, "discount"] = -1.0  # negative_value
    invoices = table(
        "invoices",
        [
            {"invoice_id": "i1", "order_id": "o1", "customer_id": "c1",
             "issued_at": "2024-01-02", "amount": 20.0},
            {"invoice_id": "i2", "order_id": "o2", "customer_id": "c1",
             "issued_at": "2024-01-03", "amount": INF},  # not_finite
            {"invoice_id": "i3", "order_id": "o3", "customer_id": "c1",
             "issued_at": "2024-01-04", "amount": 1e308},  # implausible_value
            {"invoice_id": "i4", "order_id": "o4", "customer_id": "c1",
             "issued_at": "2024-01-05", "amount": np.nan},  # missing_value
            {"invoice_id": "i5", "order_id": "o5", "customer_id": "c1",
             "issued_at": "2024-01-06", "amount": -20.0},  # negative_value
        ],
    )  # fmt: skip
    payments = table(
        "payments",
        [
            {"payment_id": "p1", "invoice_id": "i1", "paid_at": "2024-01-20", "amount": 20.0},
            {"payment_id": "p2", "paid_at": "2024-01-21", "amount": -INF},  # not_finite
            {"payment_id": "p3", "paid_at": "2024-01-22", "amount": 5.0,
             "instalments": -2},  # negative_value
            {"payment_id": "p4", "paid_at": "2024-01-23", "amount": 5.0,
             "instalments": 5_000_000_000},  # implausible_value
        ],
    )  # fmt: skip
    pos = table(
        "purchase_orders",
        [
            {"po_id": "po1", "sku": "P1", "quantity": 10.0, "ordered_at": "2024-01-01",
             "received_at": "2024-01-05"},
            {"po_id": "po2", "sku": "P1", "quantity": INF, "ordered_at": "2024-01-02",
             "received_at": "2024-01-06"},  # not_finite
            {"po_id": "po3", "sku": "P1", "quantity": -5.0, "ordered_at": "2024-01-03",
             "received_at": "2024-01-07"},  # negative_value
            {"po_id": "po4", "sku": "P1", "quantity": 10.0, "ordered_at": "2024-01-04",
             "received_at": "2024-01-08", "unit_cost": 1e12},  # implausible_value
        ],
    )  # fmt: skip
    products = table("products", [{"sku": "P1", "unit_cost": 4.0}, {"sku": "P2", "weight_kg": INF}])
    promotions = table(
        "promotions",
        [
            {"promotion_id": "m1", "starts_on": "2024-01-01", "discount_fraction": 0.2},
            {"promotion_id": "m2", "starts_on": "2024-01-01", "discount_fraction": 1.5},
        ],
    )
    return {"products": products, "orders": orders, "order_lines": lines,
            "invoices": invoices, "payments": payments, "purchase_orders": pos,
            "promotions": promotions}  # fmt: skip


EXPECTED = {
    "products": {"P2": ("not_finite", "weight_kg not finite")},
    "invoices": {
        "i2": ("not_finite", "amount not finite"),
        "i3": ("implausible_value", "amount 1e+308 beyond plausible range (0 to 1e+09)"),
        "i4": ("missing_value", "amount missing"),
        "i5": ("negative_value", "amount negative (-20)"),
    },
    "payments": {
        "p2": ("not_finite", "amount not finite"),
        "p3": ("negative_value", "instalments negative (-2)"),
        "p4": ("implausible_value", "instalments 5e+09 beyond plausible range (0 to 1e+09)"),
    },
    "purchase_orders": {
        "po2": ("not_finite", "quantity not finite"),
        "po3": ("negative_value", "quantity negative (-5)"),
        "po4": ("implausible_value", "unit_cost 1e+12 beyond plausible range (0 to 1e+09)"),
    },
    "promotions": {
        "m2": ("implausible_value", "discount_fraction 1.5 beyond plausible range (0 to 1)")
    },
}


def test_bad_numbers_in_every_table_are_quarantined_with_reasons_and_fits_never_see_them():
    tables = history()
    result = check_history(tables, as_of=AS_OF)
    for name, frame in tables.items():
        assert len(result.tables[name]) + len(result.quarantine[name]) == len(frame), name
    for name, expected in EXPECTED.items():
        q = result.quarantine[name]
        key = TABLES[name].key[0]
        got = {k: (r, d) for k, r, d in zip(q[key], q["reason"], q["detail"], strict=True)}
        assert got == expected, name
    lines = result.quarantine["order_lines"]
    assert list(lines["reason"]) == ["not_finite", "bad_price", "bad_price", "negative_value"]
    assert list(lines["detail"])[-1] == "discount negative (-1)"
    # what reaches the fits: every numeric value finite (or missing where optional), in range
    for name, frame in result.tables.items():
        for column in TABLES[name].columns:
            if column.dtype not in ("int", "float"):
                continue
            values = pd.to_numeric(frame[column.name]).to_numpy(dtype=float, na_value=np.nan)
            present = values[~np.isnan(values)]
            assert np.isfinite(present).all(), (name, column.name)
            assert ((present >= column.min) & (present <= column.max)).all(), (name, column.name)
            if column.required:
                assert not np.isnan(values).any(), (name, column.name)
    calibrate_history(result.tables, name="bad-numbers")


@pytest.mark.parametrize("value", ["inf", "-inf", "1e308"])
def test_an_int_column_that_cannot_hold_the_value_is_an_input_error_not_a_crash(value):
    frame = pd.DataFrame({"payment_id": ["p1"], "amount": [1.0], "instalments": [value]})
    with pytest.raises(InputError, match=r"column instalments: row 1 holds .*whole number"):
        conform("payments", frame)
