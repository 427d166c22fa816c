"""The open state at a past as-of date is the state of the history as it read on that date.

A history read later holds what happened after the as-of date too: orders shipped, purchase
orders received, invoices paid after it, and the quantities an ERP keeps up to date (a PO
line's ``received_quantity``) as they are on the day it was read. The state at a past date must
not see any of it. The oracle: the same history cut at the date (every event on or after it
removed, every closing stamp on or after it blanked), whose state at that date is an extract-
date state (checked against the twin's true state in ``test_open_state_truth.py``).
The two-week sample takes some 5 to 15 s to write: one date in the default suite, the others
in the slow one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_open_state_truth import COMPANY, MAPPING, by_key

from twin.calibration.mapping import apply_mapping
from twin.calibration.open_state import build_open_state
from twin.calibration.quality import check_history
from twin.calibration.synth import write_sample
from twin.scenario.initial_state import STATE_TABLES

#: event stamps: a row whose stamp lies on or after the cut had not happened when it was read
OPENED = {
    "orders": "ordered_at",
    "invoices": "issued_at",
    "payments": "paid_at",
    "purchase_orders": "ordered_at",
    "stock_moves": "moved_at",
    "supplier_invoices": "issued_at",
}
#: closing stamps: blank when on or after the cut (not yet closed when read)
CLOSED = {
    "orders": ("approved_at", "shipped_at", "delivered_at"),
    "purchase_orders": ("received_at",),
    "supplier_invoices": ("paid_at",),
}


def read_on(tables: dict[str, pd.DataFrame], day: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The history as it read at the start of `day`: the events before it only."""
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        if name in OPENED:
            stamp = pd.to_datetime(frame[OPENED[name]])
            frame = frame[(stamp < day).to_numpy(dtype=bool)]
        for column in CLOSED.get(name, ()):
            if column in frame.columns:
                late = pd.to_datetime(frame[column]) >= day
                frame[column] = frame[column].mask(late)
        out[name] = frame.reset_index(drop=True)
    orders = out["orders"]["order_id"]
    out["order_lines"] = out["order_lines"][out["order_lines"]["order_id"].isin(orders)]
    return out


def state_at(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    quality = check_history(tables, as_of=as_of)
    return build_open_state(tables, quality.quarantine, as_of).tables


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory):
    """A two-week sample's canonical history and its last day."""
    folder = tmp_path_factory.mktemp("two_weeks")
    sample = write_sample(folder, COMPANY, seed=11, days=14)
    return apply_mapping(MAPPING, folder).tables, pd.Timestamp(sample.history_end)


@pytest.mark.parametrize("days_before_the_end", [3, pytest.param(8, marks=pytest.mark.slow)])
def test_the_state_at_a_past_date_is_the_state_of_the_history_read_then(
    two_weeks, days_before_the_end
):
    tables, last_day = two_weeks
    as_of = last_day - pd.Timedelta(days=days_before_the_end)
    later = state_at(tables, as_of)
    then = state_at(read_on(tables, as_of), as_of)
    for name in STATE_TABLES:
        pd.testing.assert_frame_equal(
            by_key(later[name], name), by_key(then[name], name), check_exact=True, obj=name
        )
    # not vacuous: the history goes on after the date, and items open then closed after it
    shipped_after = pd.to_datetime(tables["orders"]["shipped_at"]) >= as_of
    assert (shipped_after & (tables["orders"]["ordered_at"] < as_of)).any()
    for name in ("stock", "purchase_orders", "backlog", "receivables", "customers"):
        assert len(later[name]) > 0, name


NO_ORDERS = pd.DataFrame(
    {"order_id": [], "customer_id": [], "ordered_at": pd.to_datetime([]), "status": []}
)
NO_LINES = pd.DataFrame(
    {"order_id": [], "line_no": [], "sku": [], "quantity": [], "unit_price": [], "status": []}
)


def test_a_received_count_read_later_is_not_the_count_at_a_past_date():
    """An ERP's ``received_quantity`` is the count on the day it was read: at an earlier date
    a line last received after it has the receipts the ledger dates before it."""
    as_of = pd.Timestamp("2026-03-01")
    purchases = pd.DataFrame(
        {
            "po_id": ["P1", "P2", "P3", "P4"],
            "sku": ["A", "A", "B", "B"],
            "supplier_id": "s",
            "quantity": [10.0, 8.0, 5.0, 4.0],
            "ordered_at": pd.to_datetime(["2026-02-01"] * 4),
            # P1 received in two parts, the last after the date; P2 in full before it; P3 in
            # full after it; P4 received before it, 3 of 4 (the ERP's count)
            "received_at": pd.to_datetime(["2026-03-04", "2026-02-20", "2026-03-02", "2026-02-25"]),
            "received_quantity": [10.0, 8.0, 5.0, 3.0],
        }
    )
    moves = pd.DataFrame(
        {
            "move_id": ["m1", "m2", "m3", "m4", "m5"],
            "sku": ["A", "A", "A", "B", "B"],
            "moved_at": pd.to_datetime(
                ["2026-02-15", "2026-03-04", "2026-02-20", "2026-03-02", "2026-02-25"]
            ),
            "quantity": [6.0, 4.0, 8.0, 5.0, 3.0],
            "kind": "receipt",
            "po_id": ["P1", "P1", "P2", "P3", "P4"],
            "order_id": None,
            "line_no": None,
        }
    )
    tables = {
        "orders": NO_ORDERS,
        "order_lines": NO_LINES,
        "purchase_orders": purchases,
        "stock_moves": moves,
    }
    state = build_open_state(tables, {}, as_of)
    pos = state.tables["purchase_orders"].set_index("po_id")
    assert pos["quantity_received"].to_dict() == {"P1": 6.0, "P3": 0.0, "P4": 3.0}
    assert pos["quantity_open"].to_dict() == {"P1": 4.0, "P3": 5.0, "P4": 1.0}
    # without the ledger the part received before the date cannot be dated: nothing
    del tables["stock_moves"]
    pos = build_open_state(tables, {}, as_of).tables["purchase_orders"].set_index("po_id")
    assert pos.loc["P1", "quantity_received"] == 0.0
    # at the day after the read, the ERP's count is the count
    read = pd.Timestamp("2026-03-05")
    pos = build_open_state(tables, {}, read).tables["purchase_orders"].set_index("po_id")
    assert list(pos.index) == ["P4"]
    assert np.array_equal(pos["quantity_received"], [3.0])


def test_an_item_closed_after_the_date_is_open_at_it():
    """The quality step quarantines an order shipped after the as-of date (a future date);
    the state takes it back (it was open then), unless another rule quarantines it."""
    as_of = pd.Timestamp("2026-03-01")
    orders = pd.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "customer_id": ["C1", "C1"],
            "ordered_at": pd.to_datetime(["2026-02-27 10:00", "2026-03-01 11:00"]),
            "shipped_at": pd.to_datetime(["2026-03-02 09:00", "2026-03-02 09:00"]),
            "status": "shipped",
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "line_no": [1, 1],
            "sku": ["A", "A"],
            "quantity": [2.0, 1.0],
            "unit_price": [5.0, 5.0],
            "status": "ordered",
        }
    )
    moves = pd.DataFrame(  # the goods issues, after the date
        {
            "move_id": ["m1", "m2"],
            "sku": ["A", "A"],
            "moved_at": pd.to_datetime(["2026-03-02 09:00"] * 2),
            "quantity": [-2.0, -1.0],
            "kind": "shipment",
            "order_id": ["O1", "O2"],
            "line_no": [1, 1],
        }
    )
    tables = {
        "orders": orders,
        "order_lines": lines,
        "stock_moves": moves,
        "customers": pd.DataFrame({"customer_id": ["C1"], "segment": ["trade"]}),
        "products": pd.DataFrame({"sku": ["A"], "unit_cost": [1.0]}),
        "purchase_orders": pd.DataFrame(
            {
                "po_id": ["P1", "P2"],
                "sku": ["A", "ZZZ"],
                "quantity": [3.0, 3.0],
                "ordered_at": pd.to_datetime(["2026-02-20"] * 2),
                "received_at": pd.to_datetime(["2026-03-03"] * 2),
            }
        ),
    }
    quality = check_history(tables, as_of=as_of)
    for name in ("orders", "purchase_orders"):
        assert set(quality.quarantine[name]["reason"]) == {"future_date"}, name
    state = build_open_state(tables, quality.quarantine, as_of).tables
    # O1 open at the date; O2 placed after it
    assert list(state["backlog"]["order_id"]) == ["O1"]
    assert list(state["backlog"]["quantity_open"]) == [2.0]
    # P1 open at the date; P2 names an unknown SKU, quarantined for it as at any date
    assert list(state["purchase_orders"]["po_id"]) == ["P1"]


@pytest.mark.slow
def test_the_day_after_the_history_is_unchanged(two_weeks):
    """At the extract date nothing lies after the date: the cut changes nothing."""
    tables, last_day = two_weeks
    as_of = last_day + pd.Timedelta(days=1)
    assert as_of.date() == (last_day + dt.timedelta(days=1)).date()
    later, then = state_at(tables, as_of), state_at(read_on(tables, as_of), as_of)
    for name in STATE_TABLES:
        pd.testing.assert_frame_equal(later[name], then[name], obj=name)
