"""Conservation checks shared by the tests: stock, money and orders neither appear nor vanish.

Each check sets two independent records of the same quantity against each other: the purchase
orders against the stock log, the stock log against the model's end state, the order log against
the shipments and invoices.

Events at exactly the horizon are not simulated (SimPy stops before them), so "by the horizon"
means strictly before it: ``t < horizon``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.kpis import compute_kpis, physical_stock_steps
from twin.records import RunResult
from twin.scenario.schema import Scenario

# float sums of many invoice amounts in another order: allow rounding, not a lost invoice
MONEY = {"rel": 1e-9, "abs": 1e-6}


def per_sku(keys: pd.Series, values: pd.Series | np.ndarray, n: int) -> np.ndarray:
    """Sum of ``values`` by SKU number, as an integer array of length ``n``."""
    return (
        np.bincount(
            np.asarray(keys, dtype=np.int64), weights=np.asarray(values, dtype=float), minlength=n
        )
        .round()
        .astype(np.int64)
    )


def check_stock(result: RunResult) -> None:
    """Per SKU: initial on hand + units received = units allocated to orders + final on hand,
    on hand and backlog never negative; every total agrees with the model's end state."""
    horizon = result.horizon_days
    n = len(result.skus)
    initial = result.initial_on_hand.astype(np.int64)
    t = result.tables

    purchases = t["purchases"]
    assert (purchases["quantity"] > 0).all()
    assert (purchases["t_receipt"] >= purchases["t_order"]).all()
    arrived = purchases[purchases["t_receipt"] < horizon]
    received = per_sku(arrived["sku"], arrived["quantity"], n)
    on_order = per_sku(purchases["sku"], purchases["quantity"], n) - received

    changes = t["stock_changes"]
    assert changes["t"].is_monotonic_increasing
    assert (changes["t"] < horizon).all()
    sku = changes["sku"]
    on_hand_after = initial[sku.to_numpy()] + changes.groupby("sku")["on_hand_delta"].cumsum()
    backlog_after = changes.groupby("sku")["backlog_delta"].cumsum()
    assert (on_hand_after >= 0).all(), "on hand went negative"
    assert (backlog_after >= 0).all(), "backlog went negative"
    final_on_hand = initial + per_sku(sku, changes["on_hand_delta"], n)
    final_backlog = per_sku(sku, changes["backlog_delta"], n)

    # A receipt adds stock or serves backlog; an allocation takes stock or adds backlog.
    receipt = (changes["on_hand_delta"] > 0) | (changes["backlog_delta"] < 0)
    r, a = changes[receipt], changes[~receipt]
    assert (a["on_hand_delta"] <= 0).all() and (a["backlog_delta"] >= 0).all()
    assert (r["on_hand_delta"] >= 0).all() and (r["backlog_delta"] <= 0).all()
    # the stock log's receipts are exactly the purchase orders due before the horizon
    np.testing.assert_array_equal(
        np.bincount(r["sku"], minlength=n), np.bincount(arrived["sku"], minlength=n)
    )
    np.testing.assert_array_equal(
        per_sku(r["sku"], r["on_hand_delta"] - r["backlog_delta"], n), received
    )
    # units reserved for orders: taken on arrival, or served from the backlog at a receipt
    allocated = per_sku(a["sku"], -a["on_hand_delta"], n) + per_sku(
        r["sku"], -r["backlog_delta"], n
    )
    np.testing.assert_array_equal(initial + received, allocated + final_on_hand)

    state = result.final_state
    assert state["free_units"] == final_on_hand.sum()
    assert state["backlog_units"] == final_backlog.sum()
    assert state["units_received"] == received.sum()
    assert state["on_order_units"] == on_order.sum()


def check_orders(result: RunResult, backorder: bool, ship_complete: bool) -> None:
    """Units and orders: filled + backordered + lost = ordered; shipped <= ordered - lost per
    order; initial + received = shipped + reserved-but-unshipped + on hand, in total; every order
    is completed, open or lost entirely, and exactly one of them."""
    horizon = result.horizon_days
    t = result.tables
    orders = t["orders"].set_index("order_id")
    shipments = t["shipments"]
    state = result.final_state

    assert orders.index.tolist() == list(range(len(orders)))
    assert (orders["t_arrival"] < horizon).all()
    assert (orders["units"] >= orders["lines"]).all() and (orders["lines"] >= 1).all()
    assert (
        orders["units"]
        == orders["units_filled"] + orders["units_backordered"] + orders["units_lost"]
    ).all()
    if backorder:
        assert (orders["units_lost"] == 0).all()
    else:
        assert (orders["units_backordered"] == 0).all()

    assert (shipments["units"] > 0).all()
    # a shipment picks some of the order's lines, each at most once
    order_lines = orders.loc[shipments["order_id"], "lines"].to_numpy()
    assert ((shipments["lines"] >= 1) & (shipments["lines"] <= order_lines)).all()
    if backorder and ship_complete:
        assert (shipments["lines"] == order_lines).all()
        assert (shipments["units"] == orders.loc[shipments["order_id"], "units"].to_numpy()).all()
    assert (shipments["t_ready"] <= shipments["t_shipped"]).all()
    assert (shipments["t_shipped"] <= shipments["t_delivered"]).all()
    assert (shipments["t_shipped"] < horizon).all()
    assert (shipments["t_ready"] >= orders.loc[shipments["order_id"], "t_arrival"].to_numpy()).all()
    shipped = shipments.groupby("order_id")["units"].sum().reindex(orders.index, fill_value=0)
    delivered = (
        shipments[shipments["t_delivered"] < horizon]
        .groupby("order_id")["units"]
        .sum()
        .reindex(orders.index, fill_value=0)
    )
    dispatched = shipments.groupby("order_id").size().reindex(orders.index, fill_value=0)
    assert (delivered == orders["units_delivered"]).all()
    assert (delivered <= shipped).all()
    # an order counts a shipment when picking starts; it is in the table once it has left
    assert (dispatched <= orders["shipments"]).all()
    assert (shipped <= orders["units"] - orders["units_lost"]).all(), "shipped more than ordered"

    # Units: what came in is on hand, shipped, or reserved for an order but not shipped yet.
    # Reserved-but-unshipped is what orders were promised (ordered - lost - still backordered)
    # and have not received, from the order log and the model's own backlog.
    initial = int(result.initial_on_hand.sum())
    shipped_total = int(shipments["units"].sum())
    reserved = int(
        (orders["units"] - orders["units_lost"] - shipped).sum() - state["backlog_units"]
    )
    assert reserved >= 0
    assert initial + state["units_received"] == shipped_total + reserved + state["free_units"]
    # the physical stock the inventory KPIs average (receipts in, shipments out) ends at
    # free + reserved, and never drops below zero
    _, p_units, _ = physical_stock_steps(result)
    physical = initial + np.cumsum(p_units)
    assert (physical >= 0).all()
    assert (physical[-1] if physical.size else initial) == state["free_units"] + reserved

    # Orders: created = completed + open + lost entirely, the three defined independently.
    done = orders["units_delivered"] + orders["units_lost"]
    assert (done <= orders["units"]).all()
    completed = (orders["units_delivered"] > 0) & (done == orders["units"])
    lost_whole = orders["units_lost"] == orders["units"]
    still_open = done < orders["units"]
    assert (completed.astype(int) + lost_whole + still_open == 1).all()
    assert len(orders) == completed.sum() + still_open.sum() + lost_whole.sum()
    assert (orders.loc[completed, "t_last_delivery"] < horizon).all()
    assert (orders.loc[lost_whole, "shipments"] == 0).all()


def check_money(result: RunResult, scenario: Scenario, backorder: bool) -> None:
    """Invoiced = paid + open + written off at the horizon, open matching the model's receivables;
    every delivered shipment is invoiced for its revenue; a complete order is invoiced in full."""
    horizon = result.horizon_days
    t = result.tables
    invoices = t["invoices"]
    shipments = t["shipments"]
    orders = t["orders"].set_index("order_id")

    settled = invoices["t_settled"] < horizon
    written_off = invoices["written_off"]
    paid = invoices.loc[settled & ~written_off, "amount"].sum()
    lost = invoices.loc[settled & written_off, "amount"].sum()
    still_open = invoices.loc[~settled, "amount"].sum()
    assert invoices["amount"].sum() == pytest.approx(paid + still_open + lost, **MONEY)
    assert result.final_state["open_receivables"] == pytest.approx(still_open, **MONEY)
    assert (invoices["t_invoice"] < horizon).all()
    assert (invoices["t_due"] >= invoices["t_invoice"]).all()
    write_off_after = np.array(
        [s.payment.write_off_after_days for s in scenario.segments.values()]
    )[invoices["segment"]]
    assert np.allclose(
        invoices.loc[written_off, "t_settled"],
        (invoices["t_invoice"] + write_off_after)[written_off],
    )
    assert (invoices["t_settled"] >= invoices["t_invoice"]).all()
    assert (invoices["customer"] == orders.loc[invoices["order_id"], "customer"].to_numpy()).all()

    # one invoice per delivered shipment, on the day of delivery, for the shipment's revenue
    delivered = shipments[shipments["t_delivered"] < horizon]
    assert len(delivered) == len(invoices)
    key = ["order_id", "t"]
    by_shipment = (
        delivered.rename(columns={"t_delivered": "t"})[[*key, "revenue"]]
        .sort_values(key)
        .reset_index(drop=True)
    )
    by_invoice = (
        invoices.rename(columns={"t_invoice": "t"})[[*key, "amount"]]
        .sort_values(key)
        .reset_index(drop=True)
    )
    pd.testing.assert_series_equal(by_shipment["order_id"], by_invoice["order_id"])
    np.testing.assert_allclose(by_shipment["t"], by_invoice["t"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(by_shipment["revenue"], by_invoice["amount"], rtol=1e-12)
    assert delivered["revenue"].sum() == pytest.approx(invoices["amount"].sum(), **MONEY)

    billed = invoices.groupby("order_id")["amount"].sum().reindex(orders.index, fill_value=0.0)
    assert (billed <= orders["value"] * (1 + 1e-12) + 1e-9).all()
    if backorder:
        complete = orders["units_delivered"] == orders["units"]
        np.testing.assert_allclose(billed[complete], orders.loc[complete, "value"], rtol=1e-12)

    kpis = compute_kpis(result, scenario.costs)
    in_window = invoices["t_invoice"] >= result.warmup_days
    assert kpis["revenue"] == pytest.approx(invoices.loc[in_window, "amount"].sum(), **MONEY)
    assert 0.0 <= kpis["fill_rate"] <= 1.0 or np.isnan(kpis["fill_rate"])


def check_all(result: RunResult, scenario: Scenario) -> None:
    backorder = scenario.inventory.default.shortage != "lost_sale"
    check_stock(result)
    check_orders(result, backorder, scenario.fulfilment.mode == "ship_complete")
    check_money(result, scenario, backorder)
