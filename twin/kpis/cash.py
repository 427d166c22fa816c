"""KPIs and daily levels of the cash book: cash in and out, the balance, payables and the cash
conversion cycle, as a treasurer reads them.

Pure functions of the ``cash_movements``, ``supplier_bills``, ``invoices``, ``shipments`` and
``purchases`` tables over the window [warm-up, horizon), like the core KPIs; empty when the
scenario has no ``cash`` section. The day-count ratios follow the textbook definitions (e.g.
Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 28), with the window's length in
place of the year:

- DSO = receivables_mean / (revenue / window days) (the core ``dso_days``),
- DIO = inventory_value_mean / (cogs / window days),
- DPO = payables_mean / (cogs / window days),
- cash conversion cycle = DSO + DIO - DPO (days),
- working capital = inventory value + receivables - payables (currency, time-averaged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.kpis.core import physical_stock_steps, receivables_steps
from twin.levels import daily_means, window_mean
from twin.records import RunResult
from twin.scenario.costs import Costs

UNITS: dict[str, str] = {
    "cash_opening": "currency",
    "cash_in": "currency",
    "cash_out": "currency",
    "cash_closing": "currency",
    "cash_min": "currency",
    "payables_mean": "currency",
    "working_capital_mean": "currency",
    "dio_days": "days",
    "dpo_days": "days",
    "cash_conversion_cycle_days": "days",
}


def cash_steps(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """The bank balance as a change log: (times, amounts), + in and - out, in time order."""
    movements = result.tables["cash_movements"]
    return movements["t"].to_numpy(dtype=float), movements["amount"].to_numpy(dtype=float)


def payables_steps(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """Open supplier bills as a change log: +amount at receipt, -amount when paid."""
    bills = result.tables["supplier_bills"]
    paid = bills[bills["t_paid"] < result.horizon_days]
    times = np.concatenate((bills["t_received"].to_numpy(), paid["t_paid"].to_numpy()))
    deltas = np.concatenate((bills["amount"].to_numpy(), -paid["amount"].to_numpy()))
    order = np.argsort(times, kind="stable")
    return times[order], deltas[order]


def balance_at(times: np.ndarray, amounts: np.ndarray, opening: float, t: float) -> float:
    """The balance just before time ``t``: the opening one plus every movement before ``t``."""
    return opening + float(amounts[times < t].sum())


def minimum_balance(
    times: np.ndarray, amounts: np.ndarray, opening: float, start: float, end: float
) -> float:
    """The lowest balance over [start, end): at ``start``, and after each instant's movements
    (several movements at one instant count together)."""
    before = balance_at(times, amounts, opening, start)
    inside = (times >= start) & (times < end)
    if not inside.any():
        return before
    t, a = times[inside], amounts[inside]
    running = before + np.cumsum(a)
    last_of_instant = np.r_[t[1:] != t[:-1], True]
    return float(min(before, running[last_of_instant].min()))


def kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """This lever's KPIs of one replication; empty when its section is absent."""
    facts = result.levers.get("cash")
    if facts is None:
        return {}
    start, end = result.warmup_days, result.horizon_days
    span = end - start
    t = result.tables
    times, amounts = cash_steps(result)
    opening = facts["opening_balance"]
    inside = (times >= start) & (times < end)
    flows = amounts[inside]
    cash_opening = balance_at(times, amounts, opening, start)

    b_times, b_deltas = payables_steps(result)
    payables = window_mean(b_times, b_deltas, 0.0, start, end)
    r_times, r_deltas = receivables_steps(result)
    receivables = window_mean(r_times, r_deltas, 0.0, start, end)
    p_times, _, p_values = physical_stock_steps(result)
    initial_value = float((result.initial_on_hand * result.unit_cost).sum())
    inventory_value = window_mean(p_times, p_values, initial_value, start, end)

    invoices, shipments = t["invoices"], t["shipments"]
    revenue = float(invoices.loc[_between(invoices["t_invoice"], start, end), "amount"].sum())
    cogs = float(shipments.loc[_between(shipments["t_delivered"], start, end), "cogs"].sum())
    nan = float("nan")
    dso = receivables / (revenue / span) if revenue else nan
    dio = inventory_value / (cogs / span) if cogs else nan
    dpo = payables / (cogs / span) if cogs else nan
    return {
        "cash_opening": cash_opening,
        "cash_in": float(flows[flows > 0].sum()),
        "cash_out": float(-flows[flows < 0].sum()),
        "cash_closing": balance_at(times, amounts, opening, end),
        "cash_min": minimum_balance(times, amounts, opening, start, end),
        "payables_mean": payables,
        "working_capital_mean": inventory_value + receivables - payables,
        "dio_days": dio,
        "dpo_days": dpo,
        "cash_conversion_cycle_days": dso + dio - dpo,
    }


def add_daily_levels(result: RunResult, daily: pd.DataFrame) -> pd.DataFrame:
    """``daily`` (the core daily levels) with the cash columns added when the lever is on:
    ``cash_balance``, ``payables`` and ``working_capital`` (= ``inventory_value`` +
    ``receivables`` - ``payables``), each a time-weighted mean over the day (currency)."""
    facts = result.levers.get("cash")
    if facts is None:
        return daily
    horizon = result.horizon_days
    times, amounts = cash_steps(result)
    b_times, b_deltas = payables_steps(result)
    payables = daily_means(b_times, b_deltas, 0.0, horizon)
    return daily.assign(
        cash_balance=daily_means(times, amounts, facts["opening_balance"], horizon),
        payables=payables,
        working_capital=daily["inventory_value"] + daily["receivables"] - payables,
    )


def _between(values: pd.Series, start: float, end: float) -> pd.Series:
    return (values >= start) & (values < end)
