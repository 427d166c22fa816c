"""What a replication says about each SKU's stocking: fill rate, free stock, backlog, costs.

The run's KPIs (``twin.kpis.compute_kpis``) are totals; a stocking recommendation is judged per
SKU too. These come from the replication's ``stock_changes`` and ``purchases`` tables over the
KPI window [warm-up, horizon):

* an *allocation* row (an order line or a spare part taking stock: on-hand change < 0 or
  backlog change > 0) demands ``-on_hand_delta + backlog_delta`` units of which
  ``-on_hand_delta`` are filled from stock; the SKU's fill rate is filled / demanded (a line
  lost under ``lost_sale`` records only its filled part, so such a SKU's fill rate is NaN);
* free stock (on hand, not reserved for an order) and backlog are time-averaged per SKU; the
  inventory value is the mean free stock at unit cost (the run's ``inventory_value_mean`` KPI
  counts stock reserved but not yet picked as well, so the SKUs' sum is a little below it);
* the stock cost is holding (on that value) + ordering (the SKU's purchase orders placed in the
  window) + backorder (per unit short and per unit-day of backlog), with the scenario's costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.experiments.jobs import Job, scenario_hash
from twin.kpis import compute_kpis
from twin.model.network import run_replication
from twin.records import RunResult
from twin.scenario.costs import Costs
from twin.scenario.schema import Scenario

#: The KPIs of the run a recommendation reports, as totals.
TOTAL_KPIS = (
    "fill_rate",
    "inventory_value_mean",
    "holding_cost",
    "ordering_cost",
    "backorder_cost",
    "purchase_orders",
)

#: Per-SKU columns of :func:`sku_measures` (units: ratio, units, currency).
SKU_COLUMNS = (
    "demand_units",
    "filled_units",
    "fill_rate",
    "free_stock_units",
    "inventory_value",
    "backlog_units",
    "holding_cost",
    "ordering_cost",
    "backorder_cost",
    "stock_cost",
)


def window_means_by_key(
    times: np.ndarray,
    keys: np.ndarray,
    deltas: np.ndarray,
    initial: np.ndarray,
    start: float,
    end: float,
) -> np.ndarray:
    """Per key 0..len(initial)-1, the time-average over [start, end) of the level that starts at
    ``initial[key]`` and changes by ``deltas`` at ``times`` (changes in time order)."""
    n = len(initial)
    keys = np.asarray(keys, dtype=np.int64)
    order = np.lexsort((np.arange(keys.size), keys))  # by key, keeping time order within
    k, t, d = keys[order], np.asarray(times, float)[order], np.asarray(deltas, float)[order]
    level = np.asarray(initial, dtype=float)[k] + _cumsum_by_key(d, k)
    # the level after change j holds until the key's next change, or the end
    last = np.r_[k[1:] != k[:-1], True]
    until = np.where(last, end, np.r_[t[1:], end])
    held = np.clip(until, start, end) - np.clip(t, start, end)
    area = np.bincount(k, weights=level * held, minlength=n)
    # before its first change each key is at its initial level
    first_time = np.full(n, end)
    first = np.r_[True, k[1:] != k[:-1]]
    first_time[k[first]] = t[first]
    area += np.asarray(initial, dtype=float) * (np.clip(first_time, start, end) - start)
    return area / (end - start)


def _cumsum_by_key(deltas: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Running sum of ``deltas`` restarting at each new key (keys sorted)."""
    total = np.cumsum(deltas)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    before = np.r_[0.0, total][starts]
    return total - np.repeat(before, np.diff(np.r_[starts, keys.size]))


def sku_measures(result: RunResult, costs: Costs) -> pd.DataFrame:
    """One row per SKU number: :data:`SKU_COLUMNS` over the KPI window (see the module)."""
    start, end = result.warmup_days, result.horizon_days
    span = end - start
    n = len(result.unit_cost)
    changes = result.tables["stock_changes"]
    t = changes["t"].to_numpy()
    sku = changes["sku"].to_numpy()
    on_hand = changes["on_hand_delta"].to_numpy(dtype=float)
    backlog = changes["backlog_delta"].to_numpy(dtype=float)
    allocation = ((on_hand < 0) | (backlog > 0)) & (t >= start) & (t < end)
    filled = np.bincount(sku[allocation], weights=-on_hand[allocation], minlength=n)
    demanded = filled + np.bincount(sku[allocation], weights=backlog[allocation], minlength=n)
    free = window_means_by_key(t, sku, on_hand, result.initial_on_hand, start, end)
    waiting = window_means_by_key(t, sku, backlog, np.zeros(n), start, end)
    value = free * result.unit_cost
    holding = costs.holding
    if holding.per_unit_day is not None:
        holding_cost = holding.per_unit_day * free * span
    else:
        holding_cost = holding.annual_rate / 365.0 * value * span
    purchases = result.tables["purchases"]
    placed = purchases[(purchases["t_order"] >= start) & (purchases["t_order"] < end)]
    placed_sku = placed["sku"].to_numpy()
    ordering_cost = costs.ordering.per_order * np.bincount(
        placed_sku, minlength=n
    ) + costs.ordering.per_unit * np.bincount(
        placed_sku, weights=placed["quantity"].to_numpy(dtype=float), minlength=n
    )
    backorder_cost = (
        costs.backorder.per_unit * (demanded - filled)
        + costs.backorder.per_unit_day * waiting * span
    )
    lost_sales = result.tables["orders"]["units_lost"].sum() > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        fill_rate = np.where(demanded > 0, filled / demanded, np.nan)
    if lost_sales:  # lost units leave no per-SKU trace
        fill_rate = np.full(n, np.nan)
    return pd.DataFrame(
        {
            "demand_units": demanded,
            "filled_units": filled,
            "fill_rate": fill_rate,
            "free_stock_units": free,
            "inventory_value": value,
            "backlog_units": waiting,
            "holding_cost": holding_cost,
            "ordering_cost": ordering_cost,
            "backorder_cost": backorder_cost,
            "stock_cost": holding_cost + ordering_cost + backorder_cost,
        }
    )


@dataclass(frozen=True)
class StockOutcome:
    """One replication reduced for a stocking recommendation (small, picklable)."""

    replication: int
    kpis: dict[str, float]
    skus: pd.DataFrame  # :data:`SKU_COLUMNS`, one row per SKU number


@dataclass(frozen=True)
class StockTask:
    """The argument of :func:`measure`: a scenario and one replication number."""

    scenario: Scenario
    replication: int


def measure(task: StockTask) -> StockOutcome:
    """Run one replication and reduce it to the stocking KPIs and per-SKU measures."""
    scenario = task.scenario
    result = run_replication(scenario, task.replication)
    kpis = compute_kpis(result, scenario.costs)
    return StockOutcome(
        replication=task.replication,
        kpis={k: kpis[k] for k in TOTAL_KPIS},
        skus=sku_measures(result, scenario.costs),
    )


def stock_job(scenario: Scenario, replication: int) -> Job:
    """The job of one replication measured for stocking, keyed like a replication job."""
    key = f"{scenario_hash(scenario)}-s{scenario.run.seed}-r{replication}-stock"
    return Job(key, measure, StockTask(scenario, replication))
