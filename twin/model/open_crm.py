"""The open CRM opportunities and after-sales tickets of an open state, drawn for day 0.

An open opportunity of age a (days since ``created_at``) is a deal already in its sales cycle:
its remaining cycle is C - a with C drawn from the pipeline's ``cycle_days`` conditional on C > a
(:class:`twin.model.elapsed.Beyond`), so old deals close sooner than new leads; a sales rep works
it from day 0 (``rep_hours``) and it is won with its stage's probability,
``win_probability_by_stage`` (else the pipeline's ``win_probability``; the model's win does not
depend on the cycle). Its segment is the account's in the state's customers table, else the
pipeline's segment with the most leads per day. Its ``amount`` is its value: the open pipeline's
value, its expected value (amount x the stage's win probability) and the value won from it are
KPIs (``twin.kpis.customers``), read from :func:`deal_facts`.

An open ticket waits for an engineer from day 0, its travel and repair hours drawn as for new
tickets; its segment is its customer's in the customers table (else -1).

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
    """An opportunity open at day 0: its (negative) creation time, its drawn future, and what
    the state says of it (stage, amount in the state's currency, its stage's win probability)."""

    t_created: float
    rep_days: float
    remaining_days: float
    won: bool
    stage: str = ""
    amount: float = 0.0
    win_probability: float = 0.0


def stage_probabilities(scenario: Scenario, stages: pd.Series) -> np.ndarray:
    """Each deal's win probability: its stage's (stripped of blanks) in
    ``win_probability_by_stage``, else the pipeline's ``win_probability``."""
    pipeline = scenario.customers.pipeline  # type: ignore[union-attr]
    by_stage = pipeline.win_probability_by_stage
    fallback = pipeline.win_probability
    return np.array([by_stage.get(str(s).strip(), fallback) for s in stages.tolist()], float)


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
        chance = stage_probabilities(scenario, rows["stage"])
        wins = streams.generator("open_win", name).random(n) < chance
        remaining = np.maximum(cycle.draw(age, u_cycle) - age, 0.0)
        deals[name] = [
            OpenDeal(float(t), float(h) / HOURS_PER_DAY, float(r), bool(w), str(s), float(a), p)
            for t, h, r, w, s, a, p in zip(
                -age,
                hours,
                remaining,
                wins,
                rows["stage"].tolist(),
                rows["amount"].to_numpy(dtype=float),
                chance.tolist(),
                strict=True,
            )
        ]
    return deals


DEAL_FACT_COLUMNS = ("opportunity_id", "segment", "stage", "amount", "win_probability")
"""Columns of :func:`deal_facts`: the model's opportunity number, segment number, the state's
stage, amount (the state's currency) and the stage's win probability."""


def deal_facts(rows: list[tuple]) -> pd.DataFrame:
    """The open deals of a run as the KPIs read them (columns :data:`DEAL_FACT_COLUMNS`), from
    ``(opportunity_id, segment, stage, amount, win_probability)`` tuples."""
    frame = pd.DataFrame(rows, columns=list(DEAL_FACT_COLUMNS))
    return frame.astype(
        {"opportunity_id": "int64", "segment": "int64", "amount": float, "win_probability": float}
    )


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
    notes = stage_notes(loop.pipeline, table)
    guessed = sum(name is None for name in known_segments(scenario, state))
    if guessed:
        notes.append(
            f"open state: {guessed} open opportunities have no account in the customers table "
            "and went to the pipeline's segment with the most leads per day"
        )
    return notes


def stage_notes(pipeline: object, table: pd.DataFrame) -> list[str]:
    """With ``win_probability_by_stage``: the note naming the stages of open deals it does not
    list (they take ``win_probability``)."""
    by_stage = pipeline.win_probability_by_stage  # type: ignore[attr-defined]
    if not by_stage:
        return []
    stages = table["stage"].astype(str).str.strip()
    missing = stages[~stages.isin(list(by_stage))]
    if not len(missing):
        return []
    counts = missing.value_counts().sort_index()
    shown = ", ".join(f"{stage} ({n})" for stage, n in counts.items())
    return [
        f"open state: win_probability_by_stage does not list the stage(s) {shown} of "
        f"{len(missing)} open opportunities; they are won with win_probability "
        f"{pipeline.win_probability:g}"  # type: ignore[attr-defined]
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
