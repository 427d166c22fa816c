"""Key performance indicators: pure functions of one replication's tables.

``core`` holds the order-to-cash and inventory KPIs every run has; each lever (promotions,
credit, staffing, after-sales, the customer loop) adds its own in a module of its own, with a
``UNITS`` table and a ``kpis(result, costs)`` function that returns nothing when its section is
absent; the cash lever also adds daily levels. Definitions are in ``docs/kpis.md``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from twin.kpis import cash, core, credit, customers, promotions, service, staff
from twin.kpis.core import (
    KPI_UNITS,
    completed_lead_times,
    lead_time_quantiles,
    physical_stock_steps,
    receivables_steps,
)
from twin.records import RunResult
from twin.scenario.costs import Costs

__all__ = [
    "KPI_UNITS",
    "completed_lead_times",
    "compute_kpis",
    "daily_levels",
    "kpi_units",
    "lead_time_quantiles",
    "physical_stock_steps",
    "receivables_steps",
]

LEVERS = (staff, promotions, credit, service, customers, cash)


def daily_levels(result: RunResult) -> pd.DataFrame:
    """One row per day of the replication: the core levels, then the cash lever's (when on)."""
    return cash.add_daily_levels(result, core.daily_levels(result))


def compute_kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """All KPIs of one replication: the core ones, then each lever's (see :func:`kpi_units`)."""
    kpis = core.compute_kpis(result, costs)
    for lever in LEVERS:
        kpis.update(lever.kpis(result, costs))
    return kpis


def kpi_units(roles: list[str], names: Iterable[str] = ()) -> dict[str, str]:
    """Units of every KPI a run may report, including the per-role ones; a KPI of ``names``
    that is a known KPI with a suffix (``promo_cost_spring``: one promotion's) takes its unit."""
    units = core.kpi_units(roles)
    for lever in LEVERS:
        units.update(lever.UNITS)
    units.update(staff.role_units(roles))
    longest_first = sorted(units, key=len, reverse=True)
    for name in names:
        if name not in units:
            base = next((k for k in longest_first if name.startswith(f"{k}_")), None)
            if base is not None:
                units[name] = units[base]
    return units
