"""KPIs of the credit lever: approval lead time, held, reviewed and rejected orders, the revenue
rejected, and the receivables ageing buckets.

Pure functions of the ``orders``, ``credit_decisions`` and ``invoices`` tables over the window
[warm-up, horizon), like the core KPIs; empty when the scenario has no credit section. Ageing is
by days since the invoice date: an invoice's amount counts in bucket 0-30 for its first 30 days
open, in 31-60 for the next 30, and so on, and each bucket is time-averaged over the window, so
the four buckets add up to the core ``receivables_mean``.
"""

from __future__ import annotations

import numpy as np

from twin.records import RunResult
from twin.scenario.costs import Costs

#: action and outcome codes of the ``credit_decisions`` table (see twin.model.credit)
REVIEW, HOLD = 1, 2
REJECTED = 1

#: bucket -> (first day, end day) of an invoice's age, in days since the invoice date
AGEING_BUCKETS: dict[str, tuple[float, float]] = {
    "receivables_0_30": (0.0, 30.0),
    "receivables_31_60": (30.0, 60.0),
    "receivables_61_90": (60.0, 90.0),
    "receivables_90_plus": (90.0, np.inf),
}

UNITS: dict[str, str] = {
    "approval_lead_time_mean_days": "days",
    "approval_lead_time_p95_days": "days",
    "orders_held": "orders",
    "orders_reviewed": "orders",
    "orders_rejected": "orders",
    "units_rejected": "units",
    "revenue_rejected": "currency",
    **{name: "currency" for name in AGEING_BUCKETS},
}


def kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """This lever's KPIs of one replication; empty when its section is absent."""
    if "credit" not in result.levers:
        return {}
    start, end = result.warmup_days, result.horizon_days
    t = result.tables
    orders = t["orders"]
    window = orders[orders["t_arrival"] >= start]
    released = window["t_credit_released"]
    approved = released.notna() & (released < end)
    waits = (released - window["t_arrival"])[approved].to_numpy()
    decisions = t["credit_decisions"]
    taken = decisions[(decisions["t"] >= start) & (decisions["t"] < end)]
    done = decisions["t_released"]
    rejected = decisions[(decisions["outcome"] == REJECTED) & (done >= start) & (done < end)]
    rejected_orders = orders.set_index("order_id").loc[rejected["order_id"]]
    nan = float("nan")
    out = {
        "approval_lead_time_mean_days": float(waits.mean()) if waits.size else nan,
        "approval_lead_time_p95_days": float(np.quantile(waits, 0.95)) if waits.size else nan,
        "orders_held": float(taken.loc[taken["action"] == HOLD, "order_id"].nunique()),
        "orders_reviewed": float(taken.loc[taken["action"] == REVIEW, "order_id"].nunique()),
        "orders_rejected": float(len(rejected)),
        "units_rejected": float(rejected_orders["units_rejected"].sum()),
        "revenue_rejected": float(rejected["amount"].sum()),
    }
    out.update(receivables_ageing(result))
    return out


def receivables_ageing(result: RunResult) -> dict[str, float]:
    """Open receivables time-averaged over the window, by age since invoice (currency).

    An invoice is open from its invoice time until it settles (paid or written off), or to the
    horizon; the part of that span where its age lies in a bucket's range, inside the window,
    counts its amount for that long.
    """
    start, end = result.warmup_days, result.horizon_days
    invoices = result.tables["invoices"]
    issued = invoices["t_invoice"].to_numpy()
    settled = np.minimum(invoices["t_settled"].to_numpy(), end)
    amount = invoices["amount"].to_numpy()
    span = end - start
    out = {}
    for name, (first, last) in AGEING_BUCKETS.items():
        begin = np.maximum(issued + first, start)
        finish = np.minimum(np.minimum(issued + last, settled), end)
        out[name] = float((amount * np.clip(finish - begin, 0.0, None)).sum() / span)
    return out
