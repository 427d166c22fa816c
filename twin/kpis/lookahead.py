"""The weekly look-ahead: stock, service and cash week by week from the run's start.

A planner's 13-week stock and cash forecast, as pure functions of one replication's tables
(like every KPI) and then across replications. Week k (1-based) covers days [7(k-1), 7k) from
day 0, the run's start (with ``initial_state``: the as-of date). Levels are read at the week's
edges: an *opening* level counts every change dated before the week's first instant and a
*closing* one every change before its end, so week 1's opening on-hand, receivables and cash are
the run's starting values before any event (with an open state: the state's), and a week's
closing level is the next week's opening one. Flows count the events inside the week.

The measures and units are ``twin.tables.LOOKAHEAD_MEASURES``; ``docs/lookahead.md`` defines
each one. Stock is conserved week by week: opening + receipts - shipped = closing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.kpis.cash import cash_steps, payables_steps
from twin.kpis.core import (
    allocated_orders,
    physical_stock_steps,
    receivables_steps,
    rejected_orders,
)
from twin.records import RunResult
from twin.scenario.report import DAYS_PER_WEEK
from twin.stats import prediction_band
from twin.tables import LOOKAHEAD_COLUMNS, LOOKAHEAD_MEASURES, LOOKAHEAD_WEEK_COLUMNS

#: The band over replications: the prediction band a new replication falls in this often.
BAND_LEVEL = 0.9


def week_edges(weeks: int) -> np.ndarray:
    """Start of each week and end of the last (days): 0, 7, ..., 7 x weeks."""
    return np.arange(weeks + 1, dtype=float) * DAYS_PER_WEEK


def levels_before(
    times: np.ndarray, deltas: np.ndarray, initial: float, at: np.ndarray
) -> np.ndarray:
    """The level just before each instant of ``at``: ``initial`` plus every change dated
    strictly earlier (changes sorted by time)."""
    running = np.concatenate(([0.0], np.cumsum(np.asarray(deltas, dtype=float))))
    return initial + running[np.searchsorted(times, at, side="left")]


def sums_within(times: np.ndarray, values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The sum of ``values`` whose time lies in each [edges[k], edges[k+1])."""
    times = np.asarray(times, dtype=float)
    week = np.searchsorted(edges, times, side="right") - 1
    inside = (week >= 0) & (week < edges.size - 1)
    return np.bincount(
        week[inside], weights=np.asarray(values, float)[inside], minlength=edges.size - 1
    )


def _order_measures(result: RunResult, edges: np.ndarray) -> dict[str, np.ndarray]:
    """Orders received, units ordered and fill rate by arrival week; mean lead time of the
    orders completed in each week (last delivery; a state's backlog orders included, their age
    counted from their order date)."""
    orders = result.tables["orders"]
    arrival = orders["t_arrival"].to_numpy()
    units = orders["units"].to_numpy(dtype=float)
    count = sums_within(arrival, np.ones(arrival.size), edges)
    ordered = sums_within(arrival, units, edges)
    # as the core fill rate: orders allocated from stock (not rejected, not held at the end)
    # the core fill rate's orders: allocated from stock, not rejected by credit
    allocated = (allocated_orders(orders) & ~rejected_orders(orders)).to_numpy()
    filled = sums_within(
        arrival[allocated], orders["units_filled"].to_numpy(float)[allocated], edges
    )
    allocated_units = sums_within(arrival[allocated], units[allocated], edges)
    delivered = orders["units_delivered"].to_numpy(dtype=float)
    lost = orders["units_lost"].to_numpy(dtype=float)
    done = (delivered > 0) & (delivered + lost == units)
    finish = orders["t_last_delivery"].to_numpy()[done]
    lead = finish - arrival[done]
    completed = sums_within(finish, np.ones(finish.size), edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        fill_rate = np.where(allocated_units > 0, filled / allocated_units, np.nan)
        lead_mean = np.where(completed > 0, sums_within(finish, lead, edges) / completed, np.nan)
    return {
        "orders": count,
        "units_ordered": ordered,
        "fill_rate": fill_rate,
        "lead_time_mean_days": lead_mean,
    }


def _stock_measures(result: RunResult, edges: np.ndarray) -> dict[str, np.ndarray]:
    """On hand at the week's edges, receipts and units out (shipments and spare parts) within
    it, inventory value at cost and the backlog waiting for stock at its end."""
    times, units, values = physical_stock_steps(result)
    initial = float(result.initial_on_hand.sum())
    initial_value = float((result.initial_on_hand * result.unit_cost).sum())
    on_hand = levels_before(times, units, initial, edges)
    # the physical stock moves up at receipts only, and down at shipments and spare issues
    receipts = sums_within(times, np.where(units > 0, units, 0.0), edges)
    out = sums_within(times, np.where(units < 0, -units, 0.0), edges)
    changes = result.tables["stock_changes"]
    backlog = levels_before(
        changes["t"].to_numpy(), changes["backlog_delta"].to_numpy(float), 0.0, edges
    )
    return {
        "on_hand_opening_units": on_hand[:-1],
        "receipts_units": receipts,
        "shipped_units": out,
        "on_hand_closing_units": on_hand[1:],
        "inventory_value_closing": levels_before(times, values, initial_value, edges)[1:],
        "backlog_closing_units": backlog[1:],
    }


def _money_measures(result: RunResult, edges: np.ndarray) -> dict[str, np.ndarray]:
    """Receivables at the week's edges; with a cash book, the bank balance at its edges, money
    in and out within it and the payables at its end."""
    r_times, r_deltas = receivables_steps(result)
    receivables = levels_before(r_times, r_deltas, 0.0, edges)
    measures = {"receivables_opening": receivables[:-1], "receivables_closing": receivables[1:]}
    facts = result.levers.get("cash")
    if facts is None:
        return measures
    times, amounts = cash_steps(result)
    order = np.argsort(times, kind="stable")
    times, amounts = times[order], amounts[order]
    balance = levels_before(times, amounts, float(facts["opening_balance"]), edges)
    b_times, b_deltas = payables_steps(result)
    measures.update(
        cash_opening=balance[:-1],
        cash_receipts=sums_within(times, np.where(amounts > 0, amounts, 0.0), edges),
        cash_payments=sums_within(times, np.where(amounts < 0, -amounts, 0.0), edges),
        cash_closing=balance[1:],
        payables_closing=levels_before(b_times, b_deltas, 0.0, edges)[1:],
    )
    return measures


def weekly_lookahead(result: RunResult, weeks: int) -> pd.DataFrame:
    """One replication's look-ahead: one row per week, columns ``LOOKAHEAD_WEEK_COLUMNS`` then
    each measure of ``LOOKAHEAD_MEASURES`` the run has (see the module docstring)."""
    edges = week_edges(weeks)
    start = pd.Timestamp(result.start_date)
    measures = {
        **_stock_measures(result, edges),
        **_order_measures(result, edges),
        **_money_measures(result, edges),
    }
    frame = pd.DataFrame(
        {
            "replication": result.replication,
            "seed": result.seed,
            "week": np.arange(1, weeks + 1),
            "week_start": (start + pd.to_timedelta(edges[:-1], unit="D")).strftime("%Y-%m-%d"),
            "week_end": (start + pd.to_timedelta(edges[1:] - 1, unit="D")).strftime("%Y-%m-%d"),
        }
    )
    for name, *_ in LOOKAHEAD_MEASURES:
        if name in measures:
            frame[name] = measures[name]
    return frame


def lookahead_summary(weekly: pd.DataFrame) -> pd.DataFrame:
    """Across replications: one row per week and measure (``LOOKAHEAD_COLUMNS``), the mean and
    the 90 % prediction band of the replications' values (:func:`twin.stats.prediction_band`:
    the order statistics a further replication falls between with probability >= 0.9);
    replications without a value (NaN) are left out and ``replications`` counts the others."""
    keys = list(LOOKAHEAD_WEEK_COLUMNS[2:])
    rows = []
    for name, block, unit, _label in LOOKAHEAD_MEASURES:
        if name not in weekly:
            continue
        grouped = weekly.groupby(keys, sort=True)[name]
        stats = grouped.agg(["mean", "count"])
        bands = grouped.agg(lambda values: prediction_band(values.to_numpy(), BAND_LEVEL))
        stats["band_low"] = [low for low, _ in bands]
        stats["band_high"] = [high for _, high in bands]
        stats = stats.reset_index().rename(columns={"count": "replications"})
        stats["block"], stats["measure"], stats["unit"] = block, name, unit
        rows.append(stats)
    summary = pd.concat(rows, ignore_index=True)
    return summary[list(LOOKAHEAD_COLUMNS)]
