"""KPIs of the staff roles: utilisation, waiting, queue length, cost and headcount per role.

Pure functions of a replication's ``staff_jobs`` table and the per-role facts collected in
``RunResult.roles`` (headcount plan, working and overtime time in the KPI window, see
:func:`twin.model.staff.window_facts`). Every KPI is over the window [warm-up, horizon):

- ``utilisation_{role}``: work done in the window / available working time, where available
  time is the integral of headcount over working time (overtime included);
- ``wait_mean_days_{role}``, ``wait_p95_days_{role}``: ``t_start - t_request`` of the jobs asked
  for in the window that started before the horizon (days, clock time, closed hours included);
- ``queue_mean_{role}``: time-average number of jobs waiting (from ``t_request`` until
  ``t_start``, or the horizon if they have not started);
- ``staff_cost_{role}``: scheduled hours x headcount x ``cost_per_hour`` plus overtime hours x
  headcount x ``cost_per_hour`` x premium (currency); the core ``staff_cost`` is their sum;
- ``headcount_mean_{role}``: clock-time mean of the effective headcount.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.levels import window_mean
from twin.records import RunResult
from twin.scenario.costs import Costs

HOURS_PER_DAY = 24.0

UNITS: dict[str, str] = {}

#: Per-role KPIs (the role's name is appended) and their units.
ROLE_UNITS: dict[str, str] = {
    "wait_mean_days": "days",
    "wait_p95_days": "days",
    "queue_mean": "jobs",
    "staff_cost": "currency",
    "headcount_mean": "people",
}


def kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """Per-role staff KPIs of one replication; empty when no role is staffed."""
    out: dict[str, float] = {}
    if not result.roles:
        return out
    jobs = result.tables["staff_jobs"]
    start, end = result.warmup_days, result.horizon_days
    nan = float("nan")
    for name, role in result.roles.items():
        mine = jobs[jobs["role"] == name]
        waits = job_waits(mine, start, end)
        available = available_days(role)
        out[f"utilisation_{name}"] = role["work_days"] / available if available else nan
        out[f"wait_mean_days_{name}"] = float(waits.mean()) if waits.size else nan
        out[f"wait_p95_days_{name}"] = float(np.quantile(waits, 0.95)) if waits.size else nan
        out[f"queue_mean_{name}"] = queue_mean(mine, start, end)
        out[f"staff_cost_{name}"] = role_cost(role)
        out[f"headcount_mean_{name}"] = float(role.get("headcount_mean", role["headcount"]))
    return out


def role_units(roles: list[str]) -> dict[str, str]:
    """Units of the per-role KPIs."""
    return {f"{kpi}_{role}": unit for role in roles for kpi, unit in ROLE_UNITS.items()}


def available_days(role: dict) -> float:
    """Working time the role's people had in the window: headcount x working time (days)."""
    if "available_days" in role:
        return float(role["available_days"])
    return role["headcount"] * role["working_days_per_head"]


def role_cost(role: dict) -> float:
    """Staff cost of one role in the window (currency): scheduled hours x headcount x rate, plus
    overtime hours x headcount x rate x premium. Roles collected without the plan facts (a
    hand-made ``RunResult``) are paid headcount x working time x rate."""
    if "scheduled_head_days" not in role:
        return (
            role["headcount"]
            * role["working_days_per_head"]
            * HOURS_PER_DAY
            * role["cost_per_hour"]
        )
    paid = role["scheduled_head_days"] + role["overtime_paid_head_days"]
    return paid * HOURS_PER_DAY * role["cost_per_hour"]


def job_waits(jobs: pd.DataFrame, start: float, end: float) -> np.ndarray:
    """Waits (days) of the jobs asked for in [start, end) that started before ``end``."""
    request, begin = jobs["t_request"].to_numpy(), jobs["t_start"].to_numpy()
    chosen = (request >= start) & (request < end) & (begin < end)  # NaN start: not chosen
    return begin[chosen] - request[chosen]


def queue_mean(jobs: pd.DataFrame, start: float, end: float) -> float:
    """Time-average number of jobs waiting in [start, end): each waits from its request until
    it starts (or until the horizon if it has not started)."""
    request, begin = jobs["t_request"].to_numpy(), jobs["t_start"].to_numpy()
    begin = np.where(np.isnan(begin), np.inf, begin)
    waiting = begin > request
    request, begin = request[waiting], begin[waiting]
    left = begin < end
    times = np.concatenate((request, begin[left]))
    deltas = np.concatenate((np.ones(request.size), -np.ones(int(left.sum()))))
    order = np.argsort(times, kind="stable")
    return window_mean(times[order], deltas[order], 0.0, start, end)
