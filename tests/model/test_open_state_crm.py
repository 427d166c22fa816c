"""Open CRM opportunities and after-sales tickets of an open state enter a run at day 0.

A hand-written state (tests/state_folder.py) on the tiny scenario with a pipeline and an
after-sales section: the open deals are worked from day 0 with their remaining cycle drawn
conditional on their age (``twin.model.open_crm``), the open tickets wait for an engineer; without
the sections the run's notes count them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import TINY, deep_merge
from state_folder import write_state

from twin.model.network import run_replication
from twin.scenario.schema import Scenario

ALWAYS = {"shifts": ["00:00-24:00"], "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}

#: tiny with a pipeline without new leads to speak of (one a thousand days) and an engineer
#: always on duty; A never fails, so every ticket is the state's
WITH_SECTIONS = deep_merge(
    TINY,
    {
        "run": {"horizon_days": 60.0},
        "segments": {"shop": {"customers": 3}},
        "customers": {
            "reference_score": 4.0,
            "satisfaction": {"initial_score": 4.0},
            "churn": {"base_per_year": 0.0},
            "pipeline": {
                "leads_per_day": {"shop": 0.001},
                "rep_hours": 0.0,
                "cycle_days": {"dist": "exponential", "mean": 20.0},
                "win_probability": 0.5,
            },
        },
        "staffing": {
            "calendars": {"always": ALWAYS},
            "service_engineer": {"headcount": 1, "calendar": "always"},
        },
        "after_sales": {"travel_hours": 6.0, "repair_hours": 18.0},
    },
)


def opportunity(opportunity_id: str, account: str | None, created: str) -> dict[str, Any]:
    return {
        "opportunity_id": opportunity_id,
        "account_id": account,
        "stage": "proposal",
        "created_at": created,
        "amount": 1000.0,
    }


def ticket(ticket_id: str, customer: str | None, opened: str) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "customer_id": customer, "order_id": None, "opened_at": opened}


def crm_state(folder: Path, opportunities: list[dict], tickets: list[dict]) -> Path:
    return write_state(folder, opportunities=opportunities, tickets=tickets)


def scenario_with(folder: Path, base: dict[str, Any] = WITH_SECTIONS, **patch: Any) -> Scenario:
    return Scenario.model_validate({**deep_merge(base, patch), "initial_state": str(folder)})


def small(tmp_path: Path) -> Path:
    return crm_state(
        tmp_path / "state",
        [opportunity("D2", None, "2026-01-01"), opportunity("D1", None, "2025-11-06")],
        [ticket("T2", None, "2026-01-04"), ticket("T1", None, "2026-01-02")],
    )


def test_open_deals_and_tickets_are_in_the_run_from_day_zero(tmp_path: Path) -> None:
    result = run_replication(scenario_with(small(tmp_path)), 0)
    deals = result.tables["opportunities"]
    carried = deals[deals["t_lead"] < 0].sort_values("t_lead")
    # created 60 and 4 days before the as-of date (2026-01-05), worked from day 0
    assert carried["t_lead"].tolist() == [-60.0, -4.0]
    assert (carried["t_closed"].dropna() >= 0).all()
    # each won deal took a pipeline slot: a customer number past the 3 initial ones
    won = carried[carried["won"]]
    assert (won["customer"] >= 3).all()

    tickets = result.tables["tickets"].sort_values("t_failed")
    # oldest first to the one engineer: 6 + 18 working hours each, one after the other
    assert tickets["t_failed"].tolist() == [-3.0, -1.0]
    assert tickets["t_dispatched"].tolist() == [0.0, 0.0]
    assert tickets["t_resolved"].tolist() == pytest.approx([1.0, 2.0])
    assert tickets["travel_days"].tolist() == pytest.approx([0.25, 0.25])
    assert (tickets[["order_id", "sku"]] == -1).all().all()
    assert not [n for n in result.notes if "not simulated" in n]


def test_same_seed_same_draws(tmp_path: Path) -> None:
    scenario = scenario_with(small(tmp_path))
    first = run_replication(scenario, 0).tables["opportunities"]
    again = run_replication(scenario, 0).tables["opportunities"]
    assert first.equals(again)


def test_old_deals_close_sooner_conditional_on_their_age(tmp_path: Path) -> None:
    """A Weibull cycle of shape 3 (scale 30 days) has an increasing hazard: a deal already 40
    days old has E[C - 40 | C > 40] ~ 4.6 days left, a day-old one ~ 25.8 (both by scipy
    quadrature). With 200 deals of each age (fixed seed) the sample means' standard errors are
    ~0.3 and ~0.6 day; the test allows 3 standard errors (a false alarm 0.3 % of the time), and
    checks old deals close at least twice as soon."""
    from scipy import integrate, stats

    weibull = stats.weibull_min(3.0, scale=30.0)

    def left(age: float) -> float:
        return integrate.quad(weibull.sf, age, np.inf)[0] / weibull.sf(age)

    cycle = {"dist": "weibull", "shape": 3.0, "scale": 30.0}
    deals = [opportunity(f"OLD{k:03d}", None, "2025-11-26") for k in range(200)]
    deals += [opportunity(f"NEW{k:03d}", None, "2026-01-04") for k in range(200)]
    scenario = scenario_with(
        crm_state(tmp_path / "state", deals, []),
        customers={"pipeline": {"cycle_days": cycle}},
        run={"horizon_days": 400.0},
    )
    table = run_replication(scenario, 0).tables["opportunities"]
    table = table[table["t_lead"] < 0]
    remaining = table["t_closed"].to_numpy()
    old = remaining[table["t_lead"].to_numpy() == -40.0]
    new = remaining[table["t_lead"].to_numpy() == -1.0]
    assert old.size == 200 and new.size == 200 and not np.isnan(remaining).any()
    assert abs(old.mean() - left(40.0)) < 3 * old.std() / np.sqrt(200)
    assert abs(new.mean() - left(1.0)) < 3 * new.std() / np.sqrt(200)
    assert old.mean() * 2 < new.mean()
    # won as the pipeline's deals: the share within 3 standard errors of 0.5
    assert abs(table["won"].mean() - 0.5) < 3 * np.sqrt(0.25 / 400)


def test_a_known_account_takes_its_segment_and_a_ticket_its_customer(tmp_path: Path) -> None:
    two = deep_merge(
        WITH_SECTIONS,
        {"segments": {"web": {**TINY["segments"]["shop"], "customers": 2, "arrivals": {}}}},
    )
    two["segments"]["web"]["arrivals"] = {"kind": "replay", "times": ["2026-01-05T12:00"]}
    customers = [
        {
            "customer_id": "W1",
            "segment": "web",
            "first_order_at": "2025-01-01",
            "last_order_at": "2025-12-01",
            "orders": 3.0,
            "frequency": 2.0,
            "recency_days": 35.0,
            "age_days": 369.0,
            "revenue": 300.0,
            "open_amount": 0.0,
            "days_overdue": 0.0,
        }
    ]
    folder = write_state(
        tmp_path / "state",
        opportunities=[opportunity("D1", "W1", "2026-01-01")],
        tickets=[ticket("T1", "W1", "2026-01-02")],
        customers=customers,
    )
    result = run_replication(scenario_with(folder, two), 0)
    deals = result.tables["opportunities"]
    assert deals.loc[deals["t_lead"] < 0, "segment"].tolist() == [1]
    tickets = result.tables["tickets"]
    # web is segment 1; W1 is not in the backlog or receivables, so no customer number
    assert tickets[["segment", "customer"]].values.tolist() == [[1, -1]]
    assert not [n for n in result.notes if "most leads" in n]


def test_without_the_sections_the_notes_count_them(tmp_path: Path) -> None:
    bare = {k: v for k, v in WITH_SECTIONS.items() if k not in ("customers", "after_sales")}
    result = run_replication(scenario_with(small(tmp_path), bare), 0)
    assert "open state: 2 open opportunities were not simulated" in " ".join(result.notes)
    assert "open state: 2 open after-sales tickets were not simulated" in " ".join(result.notes)
    assert len(result.tables["tickets"]) == 0


def test_deals_without_a_known_account_are_noted(tmp_path: Path) -> None:
    result = run_replication(scenario_with(small(tmp_path)), 0)
    assert any("2 open opportunities have no account" in n for n in result.notes)


def test_an_empty_state_draws_nothing_new(tmp_path: Path) -> None:
    """Empty tables: the run is the one without opportunities and tickets in the state."""
    leads = {"pipeline": {"leads_per_day": {"shop": 0.5}}}
    scenario = scenario_with(crm_state(tmp_path / "empty", [], []), customers=leads)
    other = scenario_with(small(tmp_path), customers=leads)
    first = run_replication(scenario, 0).tables
    assert len(first["tickets"]) == 0
    assert not (first["opportunities"]["t_lead"] < 0).any()
    # the state's deals do not change the pipeline's own leads (their own streams)
    own = run_replication(other, 0).tables["opportunities"]
    own = own[own["t_lead"] >= 0].reset_index(drop=True)
    mine = first["opportunities"]
    assert own[["opportunity_id", "t_lead", "won"]].equals(
        mine[["opportunity_id", "t_lead", "won"]]
    )
