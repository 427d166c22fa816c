"""The open state of a tiny hand-made history: each table's rule and each reported reason.

The history is small enough to work out by hand at the as-of instant 2026-01-01 00:00 (events
dated before it have happened, on or after it not yet); each test states the expected numbers.
"""

import numpy as np
import pandas as pd
import pytest

from twin.calibration.open_state import build_open_state
from twin.calibration.open_state.issues import REASONS
from twin.errors import InputError

AS_OF = pd.Timestamp("2026-01-01")
T = pd.Timestamp


def orders(**extra) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3", "O4"],
            "customer_id": ["C1", "C2", "C1", None],
            "ordered_at": [T("2025-12-01"), T("2025-12-20"), T("2025-12-30"), T("2026-01-02")],
            "status": ["delivered", "open", "cancelled", "open"],
            "channel": ["trade", "web", "trade", "web"],
            "promised_at": [T("2025-12-05"), T("2026-01-10"), pd.NaT, pd.NaT],
        }
    )
    return frame.assign(**extra)


def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O2", "O3", "O4"],
            "line_no": [1, 1, 2, 1, 1],
            "sku": ["A", "A", "B", "B", "A"],
            "quantity": [5.0, 4.0, 3.0, 2.0, 1.0],
            "unit_price": [10.0, 10.0, 20.0, 20.0, 10.0],
            "status": ["ordered"] * 5,
        }
    )


def moves() -> pd.DataFrame:
    """Opening 10 A and 2 B; 6 B received; O1 shipped in full, O2 line 1 half, after the as-of a
    receipt that must not count."""
    return pd.DataFrame(
        {
            "move_id": ["M1", "M2", "M3", "M4", "M5", "M6"],
            "sku": ["A", "B", "B", "A", "A", "A"],
            "moved_at": [
                T("2025-11-30"),
                T("2025-11-30"),
                T("2025-12-10"),
                T("2025-12-02"),
                T("2025-12-21"),
                T("2026-01-01"),
            ],
            "quantity": [10.0, 2.0, 6.0, -5.0, -2.0, 50.0],
            "kind": ["opening", "opening", "receipt", "shipment", "shipment", "receipt"],
            "order_id": [None, None, None, "O1", "O2", None],
            "line_no": [np.nan, np.nan, np.nan, 1, 1, np.nan],
        }
    )


def history(**tables) -> dict[str, pd.DataFrame]:
    base = {"orders": orders(), "order_lines": lines(), "stock_moves": moves()}
    base.update(tables)
    return {name: frame for name, frame in base.items() if frame is not None}


def state(**tables):
    return build_open_state(history(**tables), {}, AS_OF, source="test")


def reported(result, table: str) -> list[str]:
    frame = result.issues.get(table)
    return [] if frame is None else list(frame["reason"])


def test_stock_is_the_ledger_up_to_the_as_of_instant():
    stock = state().tables["stock"].set_index("sku")
    # A: 10 - 5 - 2 (the receipt at the as-of instant has not happened); B: 2 + 6
    assert stock["on_hand"].to_dict() == {"A": 3.0, "B": 8.0}
    assert set(stock["method"]) == {"reconstructed"}


def test_stock_from_the_latest_snapshot_plus_later_moves():
    snapshots = pd.DataFrame(
        {
            "snapshot_date": [T("2025-12-01"), T("2025-12-15")],
            "location": ["", ""],
            "sku": ["A", "A"],
            "on_hand": [7.0, 4.0],  # the count of 15 Dec (end of day) wins
        }
    )
    stock = state(inventory_snapshots=snapshots).tables["stock"].set_index("sku")
    # A: counted 4 at the end of 15 Dec, then the issue of 2 on 21 Dec; B never counted
    assert stock.loc["A", "on_hand"] == 2.0
    assert stock.loc["A", "method"] == "snapshot"
    assert stock.loc["B", "on_hand"] == 8.0
    assert stock.loc["B", "method"] == "reconstructed"


def test_negative_stock_is_reported_not_clipped():
    ledger = moves()
    ledger.loc[0, "quantity"] = 3.0  # A: 3 - 5 - 2 = -4
    result = state(stock_moves=ledger)
    assert list(result.tables["stock"]["sku"]) == ["B"]
    assert reported(result, "stock") == ["negative_stock"]
    assert "-4" in result.issues["stock"]["detail"].iloc[0]


def test_backlog_is_what_was_accepted_and_not_shipped_by_the_as_of_instant():
    backlog = state().tables["backlog"]
    # O1 shipped; O2 line 1 half shipped, line 2 not at all; O3 cancelled; O4 placed later
    assert list(zip(backlog["order_id"], backlog["line_no"], strict=True)) == [
        ("O2", 1),
        ("O2", 2),
    ]
    assert list(backlog["quantity_open"]) == [2.0, 3.0]
    assert list(backlog["segment"]) == ["web", "web"]
    assert list(backlog["promised_at"]) == [T("2026-01-10")] * 2


def test_backlog_without_a_ledger_uses_the_orders_ship_dates():
    result = state(stock_moves=None, orders=orders(shipped_at=[T("2025-12-02")] + [pd.NaT] * 3))
    assert list(result.tables["backlog"]["quantity_open"]) == [4.0, 3.0]
    assert not len(result.tables["stock"])


def test_a_history_that_records_no_shipment_has_no_backlog_to_tell():
    """A till or invoice extract: no ledger, no shipped date, no status saying shipped. Every
    line would read as open; the backlog is left empty with a note instead."""
    till = orders(status=["invoiced", "invoiced", "cancelled", "invoiced"], shipped_at=pd.NaT)
    result = state(stock_moves=None, orders=till)
    assert not len(result.tables["backlog"])
    assert any("backlog cannot be told" in note for note in result.notes)
    shipped = orders(status=["shipped", "invoiced", "cancelled", "invoiced"], shipped_at=pd.NaT)
    result = state(stock_moves=None, orders=shipped)  # a status that says shipped is a record
    assert list(result.tables["backlog"]["quantity_open"]) == [4.0, 3.0]
    assert not any("backlog cannot be told" in note for note in result.notes)


def test_the_state_takes_the_models_segments():
    """Rows take their order's model segment, else their customer's, else the largest, noted."""
    from twin.calibration.open_state import in_model_segments

    result = state(stock_moves=None, orders=orders(shipped_at=pd.NaT))
    by_order = pd.Series({"O1": "Trade_North", "O2": "all_anonymous", "O3": "Trade_North"})
    by_customer = pd.Series({"C1": "Trade_North"})
    mapped = in_model_segments(result, by_order, by_customer)
    assert list(mapped.tables["backlog"]["segment"]) == ["all_anonymous"] * 2
    customers = mapped.tables["customers"].set_index("customer_id")["segment"]
    assert customers["C1"] == "Trade_North"
    assert customers["C2"] == "Trade_North"  # unknown to calibration: the largest segment
    assert any("placed in the largest segment, Trade_North" in n for n in mapped.notes)


def test_the_state_takes_the_models_sku_and_supplier_keys():
    """A SKU code with a space and a slash, as calibration's products are keyed."""
    from twin.calibration.open_state import in_model_segments

    raw = lines().assign(sku=["A 1/x", "A 1/x", "B", "B", "A 1/x"])
    ledger = moves().assign(sku=["A 1/x", "B", "B", "A 1/x", "A 1/x", "A 1/x"])
    result = state(order_lines=raw, stock_moves=ledger)
    mapped = in_model_segments(result, pd.Series({"O2": "web"}), pd.Series(dtype=object))
    assert set(mapped.tables["stock"]["sku"]) == {"A_1_x", "B"}
    assert list(mapped.tables["backlog"]["sku"]) == ["A_1_x", "B"]


def test_a_line_shipped_beyond_its_quantity_is_reported():
    ledger = moves()
    ledger.loc[4, "quantity"] = -6.0  # O2 line 1 ordered 4
    result = state(stock_moves=ledger)
    assert reported(result, "order_lines") == ["over_shipped"]
    assert list(result.tables["backlog"]["line_no"]) == [2]


def purchase_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "po_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
            "sku": ["A"] * 7,
            "supplier_id": ["S"] * 7,
            "quantity": [10.0, 10.0, 10.0, 10.0, 10.0, 8.0, 10.0],
            "ordered_at": [
                T("2025-10-01"),
                T("2025-10-01"),
                T("2025-10-01"),
                T("2025-12-25"),
                T("2025-12-28"),
                T("2025-12-01"),
                T("2025-12-01"),
            ],
            "received_at": [
                T("2025-10-05"),
                T("2025-10-11"),
                T("2025-10-21"),
                pd.NaT,
                pd.NaT,
                T("2025-11-20"),
                T("2026-01-03"),
            ],
            "expected_at": [pd.NaT] * 4 + [T("2026-01-15"), pd.NaT, pd.NaT],
        }
    )


def test_open_purchase_orders_and_their_expected_receipt():
    pos = state(purchase_orders=purchase_orders()).tables["purchase_orders"].set_index("po_id")
    # P1-P3 received (lead times 4, 10, 20 days); P6 received before it was ordered (reported);
    # P7 received after the as-of instant: still open
    assert list(pos.index) == ["P4", "P5", "P7"]
    assert list(pos["quantity_open"]) == [10.0, 10.0, 10.0]
    assert pos.loc["P5", "expected_at"] == T("2026-01-15")
    assert pos.loc["P5", "expected_source"] == "erp"
    # P4 has waited 7 days: the lead times above 7 are 10 and 20, median 15
    assert pos.loc["P4", "expected_at"] == T("2025-12-25") + pd.Timedelta(days=15)
    assert pos.loc["P4", "expected_source"] == "fitted_lead_time"
    # P7 has waited 31 days, longer than any lead time seen: overdue, expected now
    assert pos.loc["P7", "expected_at"] == AS_OF


def test_inconsistent_purchase_orders_are_reported():
    frame = purchase_orders().assign(received_quantity=[np.nan] * 4 + [12.0, np.nan, np.nan])
    result = state(purchase_orders=frame)
    reasons = result.issues["purchase_orders"].set_index("po_id")["reason"].to_dict()
    assert reasons == {"P5": "over_received", "P6": "receipt_before_order"}


def invoices() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": ["I1", "I2", "I3", "I4", "I5", "I6"],
            "order_id": ["O1", "O1", "O2", "O2", "O1", "O2"],
            "customer_id": ["C1", "C1", "C2", "C2", "C1", "C2"],
            "issued_at": [T("2025-12-02")] * 5 + [T("2026-01-05")],
            "due_date": [T("2025-12-12"), T("2026-01-30"), T("2026-01-30"), pd.NaT, pd.NaT, pd.NaT],
            "amount": [50.0, 30.0, 40.0, 25.0, 10.0, 99.0],
            "written_off": [False, False, False, True, False, False],
        }
    )


def payments(**rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "payment_id": ["Y1", "Y2", "Y3"],
            "invoice_id": ["I1", "I2", "I3"],
            "paid_at": [T("2025-12-20"), T("2025-12-20"), T("2026-01-02")],
            "amount": [50.0, 10.0, 40.0],
        }
    )
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True) if rows else frame


def test_receivables_are_issued_less_paid_by_the_as_of_instant():
    result = state(invoices=invoices(), payments=payments())
    owed = result.tables["receivables"].set_index("invoice_id")
    # I1 paid; I2 20 left; I3 paid after the as-of; I4 written off; I5 unpaid; I6 issued later
    assert owed["amount_open"].to_dict() == {"I2": 20.0, "I3": 40.0, "I5": 10.0}
    assert owed.loc["I3", "segment"] == "web"
    customers = result.tables["customers"].set_index("customer_id")
    assert customers.loc["C1", "open_amount"] == pytest.approx(30.0)
    # C1's oldest open invoice, I5, has no due date; I2 is not yet due
    assert customers.loc["C1", "orders"] == 1  # O3 was cancelled


def second_payment(invoice: str, amount: float) -> dict:
    return {
        "payment_id": ["Y4"],
        "invoice_id": [invoice],
        "paid_at": [T("2025-12-21")],
        "amount": [amount],
    }


@pytest.mark.parametrize(
    ("extra", "reason"),
    [(second_payment("I1", 50.0), "paid_twice"), (second_payment("I5", 10.5), "overpaid_invoice")],
)
def test_overpaid_invoices_are_reported(extra, reason):
    result = state(invoices=invoices(), payments=payments(**extra))
    assert reported(result, "invoices") == [reason]
    assert set(result.tables["receivables"]["invoice_id"]) <= {"I2", "I3", "I5"}


def test_payables_and_a_bill_paid_before_it_was_issued():
    bills = pd.DataFrame(
        {
            "bill_id": ["B1", "B2", "B3", "B4"],
            "supplier_id": ["S"] * 4,
            "po_id": ["P1"] * 4,
            "issued_at": [T("2025-12-01"), T("2025-12-01"), T("2025-12-10"), T("2026-01-02")],
            "due_date": [T("2026-01-01")] * 4,
            "amount": [100.0, 200.0, 300.0, 400.0],
            "paid_at": [T("2025-12-15"), pd.NaT, T("2025-12-05"), pd.NaT],
        }
    )
    result = state(supplier_invoices=bills)
    assert list(result.tables["payables"]["bill_id"]) == ["B2"]
    assert reported(result, "supplier_invoices") == ["bill_paid_before_issued"]


def test_a_bill_naming_an_open_purchase_order_is_noted():
    # the run takes an unpaid bill of a PO with open lines as billed before the goods arrived
    bills = pd.DataFrame(
        {
            "bill_id": ["B1", "B2"],
            "supplier_id": ["S", "S"],
            "po_id": ["P4", "P1"],  # P4 is open at the as-of date, P1 received
            "issued_at": [T("2025-12-28")] * 2,
            "due_date": [T("2026-01-28")] * 2,
            "amount": [100.0, 200.0],
            "paid_at": [pd.NaT, pd.NaT],
        }
    )
    result = state(purchase_orders=purchase_orders(), supplier_invoices=bills)
    assert list(result.tables["payables"]["bill_id"]) == ["B1", "B2"]
    assert any("1 unpaid supplier bill(s) name a purchase order" in n for n in result.notes)


def test_open_opportunities_and_tickets():
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2", "D3"],
            "account_id": ["A1"] * 3,
            "stage": ["Proposal", "Closed Won", "Qualify"],
            "created_at": [T("2025-11-01"), T("2025-11-01"), T("2026-02-01")],
            "amount": [1000.0, 2000.0, 3000.0],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": ["K1", "K2"],
            "customer_id": ["C1", "C2"],
            "order_id": ["O1", "O2"],
            "opened_at": [T("2025-12-03"), T("2025-12-03")],
            "closed_at": [pd.NaT, T("2025-12-04")],
        }
    )
    result = state(opportunities=opportunities, tickets=tickets)
    assert list(result.tables["opportunities"]["opportunity_id"]) == ["D1"]
    assert list(result.tables["tickets"]["ticket_id"]) == ["K1"]


def test_every_reason_is_exercised_above():
    assert set(REASONS) == {
        "negative_stock",
        "receipt_before_order",
        "over_received",
        "paid_twice",
        "overpaid_invoice",
        "over_shipped",
        "bill_paid_before_issued",
        # exercised in tests/calibration/test_pipeline_stages.py
        "undated_opportunity",
        "unvalued_opportunity",
    }


def test_as_of_must_be_a_date():
    with pytest.raises(InputError, match="as_of"):
        build_open_state(history(), {}, "2026-01-01 12:00")


def test_reported_rows_are_written_pseudonymised(tmp_path):
    from twin.calibration.open_state import write_state

    ledger = moves()
    ledger.loc[4, "quantity"] = -6.0
    result = build_open_state(
        history(
            stock_moves=ledger, invoices=invoices(), payments=payments(**second_payment("I1", 50.0))
        ),
        {},
        AS_OF,
    )
    paths = write_state(tmp_path, result)
    written = pd.read_csv(paths["issues_invoices"])
    assert list(written["reason"]) == ["paid_twice"]
    assert written["customer_id"].iloc[0] != "C1"  # hashed
    assert list(pd.read_csv(paths["issues_order_lines"])["reason"]) == ["over_shipped"]
    assert (tmp_path / "state" / "stock.parquet").exists()
