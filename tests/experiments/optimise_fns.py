"""Analytic stand-ins for the simulation in the optimiser tests, with known answers.

A module of its own so that worker processes can import them by name.
"""

from __future__ import annotations

import numpy as np

HEADCOUNT = "staffing.warehouse.headcount"
REORDER = "inventory.default.policy.reorder_point_days"


def staff_and_lead_time(values: dict[str, float], replication: int) -> dict[str, float]:
    """Staff cost 100 a head; the lead time's p95 falls as 12 / headcount, rises 0.2 a day away
    from a reorder point of 6 days, plus noise shared by every candidate's replication r (common
    random numbers). Least headcount with a p95 of at most 3.2 days: 4 (reorder point 5 to 7)."""
    h, rp = values[HEADCOUNT], values[REORDER]
    noise = np.random.default_rng(replication).normal(0.0, 0.1)
    return {
        "staff_cost": 100.0 * h,
        "lead_time_p95_days": 12.0 / h + 0.2 * abs(rp - 6.0) + noise,
    }
