"""The open CRM opportunities and after-sales tickets of an open state, drawn for day 0.

An open opportunity of age a (days since ``created_at``) is a deal already in its sales cycle:
its remaining cycle is C - a with C drawn from the pipeline's ``cycle_days`` conditional on C > a
(:class:`twin.model.elapsed.Beyond`), so old deals close sooner than new leads; a sales rep works
it from day 0 (``rep_hours``) and it is won with the pipeline's ``win_probability`` (the model's
win does not depend on the cycle, so an open deal's chance is the same). Its segment is the
account's in the state's customers table, else the pipeline's segment with the most leads per
day. An open ticket waits for an engineer from day 0, its travel and repair hours drawn as for
new tickets; its segment is its customer's in the customers table (else -1).

Draws come from their own named streams (``open_sales_work``, ``open_sales_cycle``,
``open_win`` per segment; ``open_ticket_travel``, ``open_ticket_repair``), in the order of the
state's dates and ids, so the variants of a comparison share them and the model's own streams
are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.model.elapsed import Beyond
from twin.scenario.initial_state import OpenState
from twin.scenario.schema import Scenario
from twin.streams import Streams

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class OpenDeal:
    """An opportunity open at day 0: its (negative) creation time and its drawn future."""

    t_created: float
    rep_days: float
    remaining_days: float
    won: bool


def account_segments(state: OpenState) -> dict[str, str]:
    """Customer id -> segment, from the state's customers table."""
    table = state.tables["customers"]
    return dict(zip(table["customer_id"].tolist(), table["segment"].tolist(), strict=True))


def known_segments(scenario: Scenario, state: OpenState) -> list[str | None]:
    """Each opportunity's account's segment (rows in the table's order) when the customers
    table has the account in a segment of the scenario, else None."""
    known = account_segments(state)
    return [
        known.get(a) if isinstance(a, str) and known.get(a) in scenario.segments else None
        for a in state.tables["opportunities"]["account_id"].tolist()
    ]


def deal_segments(scenario: Scenario, state: OpenState) -> list[str]:
    """Each opportunity's segment: its account's (:func:`known_segments`), else the pipeline's
    segment with the most leads per day (the first of a tie)."""
    pipeline = scenario.customers.pipeline  # type: ignore[union-attr]
    busiest = max(pipeline.leads_per_day, key=lambda name: pipeline.leads_per_day[name])
    return [name or busiest for name in known_segments(scenario, state)]


def open_deals(scenario: Scenario, state: OpenState, streams: Streams) -> dict[str, list[OpenDeal]]:
    """Per segment, its open opportunities (oldest first, then by id) with their rep work,
    remaining cycle and outcome drawn; empty when the state has none."""
    table = state.tables["opportunities"]
    if table.empty:
        return {}
    pipeline = scenario.customers.pipeline  # type: ignore[union-attr]
    table = table.assign(
        segment=deal_segments(scenario, state), t_created=state.days(table["created_at"])
    ).sort_values(["created_at", "opportunity_id"], kind="stable")
    cycle = Beyond(pipeline.cycle_days)
    deals: dict[str, list[OpenDeal]] = {}
    for name in scenario.segments:
        rows = table[table["segment"] == name]
        n = len(rows)
        if not n:
            continue
        age = -rows["t_created"].to_numpy(dtype=float)
        hours = pipeline.rep_hours.sample(streams.generator("open_sales_work", name), n)
        u_cycle = streams.generator("open_sales_cycle", name).random(n)
        wins = streams.generator("open_win", name).random(n) < pipeline.win_probability
        remaining = np.maximum(cycle.draw(age, u_cycle) - age, 0.0)
        deals[name] = [
            OpenDeal(float(t), float(h) / HOURS_PER_DAY, float(r), bool(w))
            for t, h, r, w in zip(-age, hours, remaining, wins, strict=True)
        ]
    return deals


def deal_notes(scenario: Scenario, state: OpenState) -> list[str]:
    """The run's notes on open opportunities: how many were not simulated (no pipeline) or were
    given the busiest segment for want of a known account."""
    table = state.tables["opportunities"]
    if table.empty:
        return []
    loop = scenario.customers
    if loop is None or loop.pipeline is None:
        return [
            f"open state: {len(table)} open opportunities were not simulated (the scenario "
            "has no customers.pipeline section)"
        ]
    guessed = sum(name is None for name in known_segments(scenario, state))
    if not guessed:
        return []
    return [
        f"open state: {guessed} open opportunities have no account in the customers table and "
        "went to the pipeline's segment with the most leads per day"
    ]


def ticket_notes(scenario: Scenario, state: OpenState) -> list[str]:
    """The run's note when open tickets are not simulated (no after_sales section)."""
    n = len(state.tables["tickets"])
    if n and scenario.after_sales is None:
        return [
            f"open state: {n} open after-sales tickets were not simulated (the scenario has no "
            "after_sales section)"
        ]
    return []


def open_tickets(state: OpenState, numbers: dict) -> pd.DataFrame:
    """The open tickets oldest first (then by id), with ``t_opened`` (days, < 0), ``segment``
    (name, None when the customer is not in the customers table) and ``customer`` (the model's
    number under ``numbers``, -1 when the state does not map it)."""
    table = state.tables["tickets"]
    segments = account_segments(state)
    table = table.sort_values(["opened_at", "ticket_id"], kind="stable")
    names = [segments.get(c) if isinstance(c, str) else None for c in table["customer_id"]]
    customers = [
        numbers.get((s, c), -1) if s is not None else -1
        for s, c in zip(names, table["customer_id"].tolist(), strict=True)
    ]
    return pd.DataFrame(
        {
            "t_opened": np.asarray(state.days(table["opened_at"]), dtype=float),
            "segment": names,
            "customer": customers,
        }
    )
