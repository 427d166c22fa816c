"""KPIs of the customer loop: active customers, churn, satisfaction and the CRM pipeline.

All are pure functions of the ``customer_events``, ``customer_experiences`` and
``opportunities`` tables over the KPI window [warm-up, horizon). The lever is on exactly when
``customer_events`` has rows (every segment has at least one initial customer). A run from an
open state with open deals adds the open pipeline's value at day 0, its expected value and the
value won from it (:func:`open_pipeline_kpis`), from the deals the model lists in
``result.levers["customers"]["open_deals"]`` (``twin.model.open_crm.deal_facts``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from twin.levels import window_mean
from twin.records import RunResult
from twin.scenario.costs import Costs

DAYS_PER_YEAR = 365.0
INITIAL, ACQUIRED, CHURNED = 0, 1, 2  # customer_events.event

UNITS: dict[str, str] = {
    "active_customers_mean": "customers",
    "active_customers_end": "customers",
    "customers_acquired": "customers",
    "customers_churned": "customers",
    "churn_rate_per_year": "1/year",
    "satisfaction_mean": "score (1-5)",
    "opportunities": "opportunities",
    "opportunities_won": "opportunities",
    "pipeline_conversion": "ratio",
    "open_pipeline_deals": "opportunities",
    "open_pipeline_value": "currency",
    "open_pipeline_expected_value": "currency",
    "open_pipeline_value_won": "currency",
}


def kpis(result: RunResult, costs: Costs) -> dict[str, float]:
    """This lever's KPIs of one replication; empty when its section is absent."""
    events = result.tables.get("customer_events")
    if events is None or not len(events):
        return {}
    start, end = result.warmup_days, result.horizon_days
    t = events["t"].to_numpy()
    kind = events["event"].to_numpy()
    inside = (t >= start) & (t < end)
    delta = np.where(kind == CHURNED, -1.0, 1.0)
    order = np.argsort(t, kind="stable")
    active_mean = window_mean(t[order], delta[order], 0.0, start, end) if end > start else math.nan
    churned = int(((kind == CHURNED) & inside).sum())
    customer_years = active_mean * (end - start) / DAYS_PER_YEAR
    return {
        "active_customers_mean": active_mean,
        "active_customers_end": float(delta[t < end].sum()),
        "customers_acquired": float(((kind == ACQUIRED) & inside).sum()),
        "customers_churned": float(churned),
        "churn_rate_per_year": churned / customer_years if customer_years > 0 else math.nan,
        "satisfaction_mean": satisfaction_at_end(events, result.tables["customer_experiences"]),
        **pipeline_kpis(result.tables["opportunities"], start, end),
        **open_pipeline_kpis(
            result.levers.get("customers", {}).get("open_deals"),
            result.tables["opportunities"],
            start,
            end,
        ),
    }


def satisfaction_at_end(events: pd.DataFrame, experiences: pd.DataFrame) -> float:
    """Mean satisfaction of the customers active at the horizon: each one's latest score (from
    its last experience, else its score when it became a customer)."""
    key = ["segment", "customer"]
    status = events.sort_values("t", kind="stable").groupby(key)["event"].last()
    active = status[status != CHURNED]
    if not len(active):
        return math.nan
    joined = events[events["event"] != CHURNED][[*key, "t", "satisfaction"]]
    latest = pd.concat([joined, experiences[[*key, "t", "satisfaction"]]], ignore_index=True)
    latest = latest.sort_values("t", kind="stable").groupby(key)["satisfaction"].last()
    return float(latest.reindex(active.index).mean())


def pipeline_kpis(opportunities: pd.DataFrame, start: float, end: float) -> dict[str, float]:
    """Leads that arrived, and opportunities won and closed, in the window."""
    t_lead = opportunities["t_lead"].to_numpy()
    t_closed = opportunities["t_closed"].to_numpy()
    closed = (t_closed >= start) & (t_closed < end)
    won = int((closed & opportunities["won"].to_numpy()).sum())
    n_closed = int(closed.sum())
    return {
        "opportunities": float(((t_lead >= start) & (t_lead < end)).sum()),
        "opportunities_won": float(won),
        "pipeline_conversion": won / n_closed if n_closed else math.nan,
    }


def open_pipeline_kpis(
    deals: pd.DataFrame | None, opportunities: pd.DataFrame, start: float, end: float
) -> dict[str, float]:
    """The open state's deals: how many, their value at day 0 (sum of amounts), its expected
    value (sum of amount x the stage's win probability) and the value won from them (sum of the
    amounts of those won and closed in the window), in the state's currency; a deal without an
    amount counts 0. Empty without open deals."""
    if deals is None or not len(deals):
        return {}
    amount = np.nan_to_num(deals["amount"].to_numpy(dtype=float))
    closed = opportunities.set_index("opportunity_id")
    row = closed.reindex(deals["opportunity_id"].to_numpy())
    t_closed = row["t_closed"].to_numpy(dtype=float)
    won = row["won"].fillna(False).to_numpy(dtype=bool) & (t_closed >= start) & (t_closed < end)
    return {
        "open_pipeline_deals": float(len(deals)),
        "open_pipeline_value": float(amount.sum()),
        "open_pipeline_expected_value": float(
            (amount * deals["win_probability"].to_numpy(dtype=float)).sum()
        ),
        "open_pipeline_value_won": float(amount[won].sum()),
    }
