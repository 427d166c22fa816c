"""KPIs of the after-sales lever: tickets, response and resolution times, spare parts.

Pure functions of the ``tickets`` and ``spare_issues`` tables over the window [warm-up,
horizon), like the core KPIs; empty when the scenario has no after-sales section. A ticket
counts in the window by its failure time; its response (failure to the engineer setting off) and
resolution (failure to repair done) count once they happen before the horizon.
"""

from __future__ import annotations

import numpy as np

from twin.levels import window_mean
from twin.records import RunResult
from twin.scenario.costs import Costs

UNITS: dict[str, str] = {
    "tickets": "tickets",
    "response_mean_days": "days",
    "response_p95_days": "days",
    "resolution_mean_days": "days",
    "resolution_p95_days": "days",
    "parts_wait_mean_days": "days",
    "spare_units_issued": "units",
    "tickets_waiting_parts_mean": "tickets",
    "tickets_open_mean": "tickets",
    "tickets_open_at_end": "tickets",
}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _p95(values: np.ndarray) -> float:
    return float(np.quantile(values, 0.95)) if values.size else float("nan")


def _open_count(begin: np.ndarray, finish: np.ndarray, start: float, end: float) -> float:
    """Time-average over [start, end) of the number of intervals [begin, finish) open; a NaN
    finish (or one at or after the horizon) never closes."""
    closed = finish[~np.isnan(finish) & (finish < end)]
    times = np.concatenate((begin, closed))
    deltas = np.concatenate((np.ones(begin.size), -np.ones(closed.size)))
    order = np.argsort(times, kind="stable")
    return window_mean(times[order], deltas[order], 0.0, start, end)


def kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """This lever's KPIs of one replication; empty when its section is absent."""
    if "after_sales" not in result.levers:
        return {}
    start, end = result.warmup_days, result.horizon_days
    tickets = result.tables["tickets"]
    failed = tickets["t_failed"].to_numpy()
    window = tickets[(failed >= start) & (failed < end)]
    t_failed = window["t_failed"].to_numpy()
    t_start = window["t_start"].to_numpy()
    t_resolved = window["t_resolved"].to_numpy()
    t_dispatched = window["t_dispatched"].to_numpy()
    started = ~np.isnan(t_start) & (t_start < end)
    resolved = ~np.isnan(t_resolved)
    dispatched = ~np.isnan(t_dispatched)
    spares = result.tables["spare_issues"]
    issued = spares[(spares["t"] >= start) & (spares["t"] < end)]
    all_failed = tickets["t_failed"].to_numpy()
    return {
        "tickets": float(len(window)),
        "response_mean_days": _mean((t_start - t_failed)[started]),
        "response_p95_days": _p95((t_start - t_failed)[started]),
        "resolution_mean_days": _mean((t_resolved - t_failed)[resolved]),
        "resolution_p95_days": _p95((t_resolved - t_failed)[resolved]),
        "parts_wait_mean_days": _mean((t_dispatched - t_failed)[dispatched]),
        "spare_units_issued": float(issued["units"].sum()),
        "tickets_waiting_parts_mean": _open_count(
            all_failed, tickets["t_dispatched"].to_numpy(), start, end
        ),
        "tickets_open_mean": _open_count(all_failed, tickets["t_resolved"].to_numpy(), start, end),
        "tickets_open_at_end": float(tickets["t_resolved"].isna().sum()),
    }
