"""Every lever at once (``scenarios/whole-loop.yaml``): units and money are conserved, every
lever leaves its trace, and a replication is reproducible table for table.

The run covers the spring promotion and its dip (April 2027) after a month of warm-up; the
peak-staffing plan starts later and is covered by the staffing tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conservation import check_money, check_stock

from twin.kpis import compute_kpis, physical_stock_steps
from twin.model.network import run_replication
from twin.records import COLUMNS

OVERRIDES = ("run.horizon_days=130", "run.warmup_days=30")


@pytest.fixture(scope="module")
def whole_loop(load_scenario):
    scenario = load_scenario("whole-loop.yaml", *OVERRIDES)
    return scenario, run_replication(scenario, 0)


def test_every_lever_leaves_its_trace(whole_loop):
    _, result = whole_loop
    empty = [name for name, frame in result.tables.items() if frame.empty]
    assert not empty, f"tables with no rows: {empty}"
    orders = result.tables["orders"]
    assert orders["units_rejected"].gt(0).any(), "the credit policy rejects some orders"
    assert result.tables["promotion_lines"]["promoted"].any()
    events = result.tables["customer_events"]
    assert len(events) > 0


def test_units_are_conserved_with_every_lever_on(whole_loop):
    """Per order: allocated units = filled + backordered + lost, rejected orders all rejected,
    held orders untouched; in total: initial + received = shipped + reserved + free + spare parts
    issued, and the physical stock the KPIs integrate ends at free + reserved."""
    _, result = whole_loop
    t = result.tables
    orders = t["orders"].set_index("order_id")
    state = result.final_state
    allocated_units = orders["units_filled"] + orders["units_backordered"] + orders["units_lost"]
    rejected = orders["units_rejected"] > 0
    allocated = allocated_units == orders["units"]
    held = ~allocated & ~rejected
    assert (allocated_units[~allocated] == 0).all(), "an order is either allocated or not at all"
    assert (orders.loc[rejected, "units_rejected"] == orders.loc[rejected, "units"]).all()
    assert (orders.loc[rejected | held, "shipments"] == 0).all()
    pending = t["credit_decisions"]
    pending = set(pending.loc[pending["outcome"] == 3, "order_id"])  # 3: still pending
    assert set(orders.index[held]) == pending, "an unallocated, unrejected order is still held"

    shipments = t["shipments"]
    shipped = shipments.groupby("order_id")["units"].sum().reindex(orders.index, fill_value=0)
    spare_backlog = result.levers["after_sales"]["spare_backlog_units"]
    customer_backlog = state["backlog_units"] - spare_backlog
    reserved = int(
        (orders["units"] - orders["units_lost"] - shipped)[allocated].sum() - customer_backlog
    )
    assert reserved >= 0
    spare_issued = int(t["spare_issues"]["units"].sum())
    assert spare_issued > 0
    initial = int(result.initial_on_hand.sum())
    assert initial + state["units_received"] == (
        int(shipments["units"].sum()) + reserved + state["free_units"] + spare_issued
    )
    _, p_units, _ = physical_stock_steps(result)
    physical = initial + np.cumsum(p_units)
    assert (physical >= 0).all()
    assert physical[-1] == state["free_units"] + reserved
    check_stock(result)


def test_money_is_conserved_with_every_lever_on(whole_loop):
    scenario, result = whole_loop
    check_money(result, scenario, backorder=True)
    kpis = compute_kpis(result, scenario.costs)
    # the ageing buckets split the core receivables
    buckets = sum(kpis[f"receivables_{b}"] for b in ("0_30", "31_60", "61_90", "90_plus"))
    assert buckets == pytest.approx(kpis["receivables_mean"], rel=1e-9)
    # promoted lines are invoiced at their promoted price: revenue is below list value
    lines = result.tables["promotion_lines"]
    promoted = lines[lines["promoted"]]
    assert (promoted["price"] < promoted["list_price"]).all()


def test_the_whole_loop_is_reproducible(whole_loop, load_scenario):
    _, result = whole_loop
    again = run_replication(load_scenario("whole-loop.yaml", *OVERRIDES), 0)
    assert set(again.tables) == {*COLUMNS, "orders"}
    for name, frame in result.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, check_exact=True, obj=name)
    assert again.final_state == result.final_state
