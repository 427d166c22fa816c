"""Key performance indicators: pure functions of one replication's tables.

Every KPI is measured over the window [warm-up, horizon) (SimPy runs events before the horizon,
not at it): flows (orders, revenue, costs) count
events inside it, levels (stock, backlog, receivables) are time-averaged over it. Definitions are
in ``docs/kpis.md``; ``KPI_UNITS`` gives each one's unit. KPIs can be recomputed from saved
tables without re-simulating.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.kpis.staff import role_cost
from twin.levels import count_at_zero, daily_means, step_integral, window_mean
from twin.records import RunResult
from twin.scenario.costs import Costs

HOURS_PER_DAY = 24.0

KPI_UNITS: dict[str, str] = {
    "orders": "orders",
    "order_lines": "lines",
    "units_ordered": "units",
    "units_lost": "units",
    "revenue": "currency",
    "cogs": "currency",
    "gross_profit": "currency",
    "holding_cost": "currency",
    "ordering_cost": "currency",
    "staff_cost": "currency",
    "freight_cost": "currency",
    "backorder_cost": "currency",
    "bad_debt": "currency",
    "profit": "currency",
    "fill_rate": "ratio",
    "otif_rate": "ratio",
    "lead_time_mean_days": "days",
    "lead_time_p50_days": "days",
    "lead_time_p95_days": "days",
    "backorder_units_mean": "units",
    "inventory_units_mean": "units",
    "inventory_value_mean": "currency",
    "stockout_sku_days": "sku-days",
    "receivables_mean": "currency",
    "dso_days": "days",
    "purchase_orders": "orders",
}


def kpi_units(roles: list[str]) -> dict[str, str]:
    """Units of every KPI, including the per-role ones."""
    return {**KPI_UNITS, **{f"utilisation_{r}": "ratio" for r in roles}}


def rejected_orders(orders: pd.DataFrame) -> pd.Series:
    """Orders the credit desk rejected (none without a credit policy or in hand-made tables)."""
    if "units_rejected" not in orders:
        return pd.Series(False, index=orders.index)
    return orders["units_rejected"] > 0


def allocated_orders(orders: pd.DataFrame) -> pd.Series:
    """Orders whose lines were allocated from stock: not rejected, nor held at the horizon."""
    return (
        orders["units_filled"] + orders["units_backordered"] + orders["units_lost"]
        == orders["units"]
    )


def _between(values: pd.Series, start: float, end: float) -> pd.Series:
    """In the window [start, end): SimPy runs events before the horizon, not at it."""
    return (values >= start) & (values < end)


def completed_lead_times(result: RunResult) -> np.ndarray:
    """Lead times (days, arrival to last delivery) of window orders delivered in full by the
    horizon; units lost under lost sales do not hold an order open."""
    orders = result.tables["orders"]
    window = orders[orders["t_arrival"] >= result.warmup_days]
    done = (
        (window["units_delivered"] > 0)
        & (window["units_delivered"] + window["units_lost"] == window["units"])
        & (window["t_last_delivery"] < result.horizon_days)
    )
    return (window["t_last_delivery"] - window["t_arrival"])[done].to_numpy()


def receivables_steps(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """Open receivables as a change log: +amount at invoice, -amount at payment or write-off."""
    invoices = result.tables["invoices"]
    settled = invoices[invoices["t_settled"] < result.horizon_days]
    times = np.concatenate((invoices["t_invoice"].to_numpy(), settled["t_settled"].to_numpy()))
    deltas = np.concatenate((invoices["amount"].to_numpy(), -settled["amount"].to_numpy()))
    order = np.argsort(times, kind="stable")
    return times[order], deltas[order]


def physical_stock_steps(result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stock in the warehouse as a change log: (times, unit deltas, value deltas at cost).

    Physical stock = free stock + stock reserved for orders but not yet picked. Allocation only
    moves units from free to reserved, so the physical level changes at receipts (+) and when a
    shipment leaves the warehouse (-) only.
    """
    purchases = result.tables["purchases"]
    received = purchases[purchases["t_receipt"] < result.horizon_days]
    shipments = result.tables["shipments"]
    cost = result.unit_cost[received["sku"].to_numpy()]
    times = np.concatenate((received["t_receipt"].to_numpy(), shipments["t_shipped"].to_numpy()))
    units = np.concatenate(
        (received["quantity"].to_numpy(dtype=float), -shipments["units"].to_numpy(dtype=float))
    )
    values = np.concatenate((received["quantity"].to_numpy() * cost, -shipments["cogs"].to_numpy()))
    spares = result.tables.get("spare_issues")  # after-sales: spare parts issued leave too
    if spares is not None and len(spares):
        issued = spares["units"].to_numpy(dtype=float)
        times = np.concatenate((times, spares["t"].to_numpy()))
        units = np.concatenate((units, -issued))
        values = np.concatenate((values, -issued * result.unit_cost[spares["sku"].to_numpy()]))
    order = np.argsort(times, kind="stable")
    return times[order], units[order], values[order]


def compute_kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """All KPIs of one replication (see ``KPI_UNITS`` for units)."""
    start, end = result.warmup_days, result.horizon_days
    span = end - start
    t = result.tables
    orders = t["orders"]
    window = orders[orders["t_arrival"] >= start]
    units_ordered = float(window["units"].sum())
    shipments = t["shipments"]
    delivered = shipments[_between(shipments["t_delivered"], start, end)]
    dispatched = shipments[_between(shipments["t_shipped"], start, end)]
    invoices = t["invoices"]
    invoiced = invoices[_between(invoices["t_invoice"], start, end)]
    purchases = t["purchases"]
    placed = purchases[_between(purchases["t_order"], start, end)]
    written_off = invoices[invoices["written_off"] & _between(invoices["t_settled"], start, end)]

    changes = t["stock_changes"]
    times = changes["t"].to_numpy()
    on_hand_delta = changes["on_hand_delta"].to_numpy()
    unit_cost = result.unit_cost
    initial = result.initial_on_hand
    p_times, p_units, p_values = physical_stock_steps(result)
    inventory_units = window_mean(p_times, p_units, float(initial.sum()), start, end)
    inventory_value = window_mean(p_times, p_values, float((initial * unit_cost).sum()), start, end)
    backlog_units = window_mean(times, changes["backlog_delta"].to_numpy(), 0.0, start, end)
    zero_times, zero_deltas, zero_initial = count_at_zero(
        times, changes["sku"].to_numpy(), on_hand_delta, initial.astype(float)
    )
    stockout_sku_days = window_mean(zero_times, zero_deltas, zero_initial, start, end) * span
    r_times, r_deltas = receivables_steps(result)
    receivables = window_mean(r_times, r_deltas, 0.0, start, end)

    revenue = float(invoiced["amount"].sum())
    cogs = float(delivered["cogs"].sum())
    holding = costs.holding
    if holding.per_unit_day is not None:
        holding_cost = holding.per_unit_day * inventory_units * span
    else:
        holding_cost = holding.annual_rate / 365.0 * inventory_value * span
    ordering_cost = costs.ordering.per_order * len(placed) + costs.ordering.per_unit * float(
        placed["quantity"].sum()
    )
    units_short = float((window["units_backordered"] + window["units_lost"]).sum())
    backorder_cost = (
        costs.backorder.per_unit * units_short + costs.backorder.per_unit_day * backlog_units * span
    )
    freight_cost = costs.freight.per_shipment * len(dispatched) + costs.freight.per_unit * float(
        dispatched["units"].sum()
    )
    staff_cost = sum(role_cost(r) for r in result.roles.values())  # = sum of staff_cost_{role}
    bad_debt = float(written_off["amount"].sum())
    gross_profit = revenue - cogs
    profit = (
        gross_profit
        - holding_cost
        - ordering_cost
        - staff_cost
        - freight_cost
        - backorder_cost
        - bad_debt
    )

    lead_times = completed_lead_times(result)
    # fill rate and OTIF are about the orders the company took on: a credit rejection is not
    # a stock-out (it has KPIs of its own), and a held order counts once it is allocated
    allocated = window[allocated_orders(window)]
    units_allocated = float(allocated["units"].sum())
    promised = window[(window["t_promised"] < end) & ~rejected_orders(window)]
    on_time_in_full = (
        (promised["units_lost"] == 0)
        & (promised["units_delivered"] == promised["units"])
        & (promised["t_last_delivery"] <= promised["t_promised"])
    )
    nan = float("nan")
    kpis = {
        "orders": float(len(window)),
        "order_lines": float(window["lines"].sum()),
        "units_ordered": units_ordered,
        "units_lost": float(window["units_lost"].sum()),
        "revenue": revenue,
        "cogs": cogs,
        "gross_profit": gross_profit,
        "holding_cost": float(holding_cost),
        "ordering_cost": float(ordering_cost),
        "staff_cost": float(staff_cost),
        "freight_cost": float(freight_cost),
        "backorder_cost": float(backorder_cost),
        "bad_debt": bad_debt,
        "profit": float(profit),
        "fill_rate": (
            float(allocated["units_filled"].sum()) / units_allocated if units_allocated else nan
        ),
        "otif_rate": float(on_time_in_full.mean()) if len(promised) else nan,
        "lead_time_mean_days": float(lead_times.mean()) if lead_times.size else nan,
        "lead_time_p50_days": float(np.quantile(lead_times, 0.5)) if lead_times.size else nan,
        "lead_time_p95_days": float(np.quantile(lead_times, 0.95)) if lead_times.size else nan,
        "backorder_units_mean": backlog_units,
        "inventory_units_mean": inventory_units,
        "inventory_value_mean": inventory_value,
        "stockout_sku_days": float(stockout_sku_days),
        "receivables_mean": receivables,
        "dso_days": receivables / (revenue / span) if revenue else nan,
        "purchase_orders": float(len(placed)),
    }
    for name, role in result.roles.items():
        available = role["headcount"] * role["working_days_per_head"]
        kpis[f"utilisation_{name}"] = role["work_days"] / available if available else nan
    return kpis


QUANTILES = np.round(np.linspace(0.0, 1.0, 101), 2)


def lead_time_quantiles(result: RunResult) -> pd.DataFrame:
    """``replication, quantile, lead_time_days`` at quantiles 0.00, 0.01, ..., 1.00."""
    lead_times = completed_lead_times(result)
    values = np.quantile(lead_times, QUANTILES) if lead_times.size else np.full(101, np.nan)
    return pd.DataFrame(
        {"replication": result.replication, "quantile": QUANTILES, "lead_time_days": values}
    )


def daily_levels(result: RunResult) -> pd.DataFrame:
    """One row per day: time-weighted mean levels over that day (see ``docs/results.md``)."""
    horizon = result.horizon_days
    t = result.tables
    changes = t["stock_changes"]
    times = changes["t"].to_numpy()
    on_hand_delta = changes["on_hand_delta"].to_numpy()
    initial = result.initial_on_hand
    unit_cost = result.unit_cost
    n_days = int(np.ceil(horizon))
    dates = pd.date_range(result.start_date, periods=n_days, freq="D").strftime("%Y-%m-%d")
    p_times, p_units, p_values = physical_stock_steps(result)
    columns = {
        "replication": result.replication,
        "seed": result.seed,
        "day": np.arange(n_days),
        "date": dates,
        "on_hand_units": daily_means(p_times, p_units, float(initial.sum()), horizon),
        "available_units": daily_means(times, on_hand_delta, float(initial.sum()), horizon),
        "inventory_value": daily_means(
            p_times, p_values, float((initial * unit_cost).sum()), horizon
        ),
        "backlog_units": daily_means(times, changes["backlog_delta"].to_numpy(), 0.0, horizon),
    }
    r_times, r_deltas = receivables_steps(result)
    columns["receivables"] = daily_means(r_times, r_deltas, 0.0, horizon)
    orders = t["orders"]
    rejected = rejected_orders(orders)
    complete = (orders["units_delivered"] + orders["units_lost"] == orders["units"]) | rejected
    closed_at = np.where(
        orders["units_delivered"] > 0, orders["t_last_delivery"], orders["t_arrival"]
    )
    if rejected.any():  # a rejected order closes when the credit desk rejects it
        closed_at = np.where(rejected, orders["t_credit_rejected"], closed_at)
    closed = complete & (closed_at < horizon)
    o_times = np.concatenate((orders["t_arrival"].to_numpy(), closed_at[closed.to_numpy()]))
    o_deltas = np.concatenate((np.ones(len(orders)), -np.ones(int(closed.sum()))))
    order = np.argsort(o_times, kind="stable")
    columns["open_orders"] = daily_means(o_times[order], o_deltas[order], 0.0, horizon)
    jobs = t["staff_jobs"]
    for role in result.roles:
        mine = jobs[jobs["role"] == role]
        for column, begin, finish in (
            ("queue", "t_request", "t_start"),
            ("busy", "t_start", "t_end"),
        ):
            s_times, s_deltas = _interval_steps(mine[begin].to_numpy(), mine[finish].to_numpy())
            columns[f"{column}_{role}"] = daily_means(s_times, s_deltas, 0.0, horizon)
    return pd.DataFrame(columns)


def _interval_steps(begin: np.ndarray, finish: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count of open intervals as a change log; a missing (NaN) end never closes."""
    begin = begin[~np.isnan(begin)]
    finish = finish[~np.isnan(finish)]
    times = np.concatenate((begin, finish))
    deltas = np.concatenate((np.ones(begin.size), -np.ones(finish.size)))
    order = np.argsort(times, kind="stable")
    return times[order], deltas[order]


__all__ = [
    "KPI_UNITS",
    "compute_kpis",
    "daily_levels",
    "kpi_units",
    "lead_time_quantiles",
    "step_integral",
]
