"""KPIs of the credit lever (none until the lever lands)."""

from __future__ import annotations

from twin.records import RunResult
from twin.scenario.schema import Costs

UNITS: dict[str, str] = {}


def kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """This lever's KPIs of one replication; empty when its section is absent."""
    return {}
