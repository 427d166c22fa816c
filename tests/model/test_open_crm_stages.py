"""Open deals of an open state are won with their stage's probability and carry their value.

``customers.pipeline.win_probability_by_stage`` (``twin.scenario.customers``) sets the chance of
an open deal by its CRM stage (``twin.model.open_crm``); the open pipeline's value, expected value
and the value won from it are KPIs (``twin.kpis.customers.open_pipeline_kpis``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from conftest import TINY, deep_merge
from state_folder import write_state

from twin.cli import cli
from twin.kpis import compute_kpis, kpi_units
from twin.model.network import run_replication
from twin.scenario.schema import Scenario

#: tiny with a pipeline that has practically no leads of its own (one a thousand days) and a
#: short sales cycle, so every open deal closes well inside the 60 days
PIPELINE = deep_merge(
    TINY,
    {
        "run": {"horizon_days": 60.0},
        "segments": {"shop": {"customers": 3}},
        "customers": {
            "churn": {"base_per_year": 0.0},
            "pipeline": {
                "leads_per_day": {"shop": 0.001},
                "rep_hours": 0.0,
                "cycle_days": {"dist": "exponential", "mean": 1.0},
                "win_probability": 0.5,
            },
        },
    },
)
BY_STAGE = {"Prospecting": 0.25, "Engaging": 0.6}


def deal(number: int, stage: str, amount: float, created: str = "2025-12-20") -> dict[str, Any]:
    return {
        "opportunity_id": f"D{number:05d}",
        "account_id": None,
        "stage": stage,
        "created_at": created,
        "amount": amount,
    }


def scenario_with(state: Path, by_stage: dict[str, float] | None = None) -> Scenario:
    patch: dict[str, Any] = {"initial_state": str(state)}
    if by_stage is not None:
        patch["customers"] = {"pipeline": {"win_probability_by_stage": by_stage}}
    return Scenario.model_validate(deep_merge(PIPELINE, patch))


def carried(result) -> Any:
    deals = result.tables["opportunities"]
    return deals[deals["t_lead"] < 0].sort_values("opportunity_id")


def test_stage_draws_hit_their_probabilities(tmp_path: Path) -> None:
    """2,000 open deals in each of two stages, all closed by day 60 (cycle mean 1 day). The
    share won in a stage is binomial: its standard error is sqrt(p (1 - p) / 2000), 0.0097 at
    p = 0.25 and 0.011 at 0.6; the test allows 4 standard errors (a false alarm about once in
    16,000 runs; the seed is fixed, so the outcome is too)."""
    n = 2000
    rows = [deal(k, "Prospecting", 100.0) for k in range(n)]
    rows += [deal(n + k, "Engaging", 100.0) for k in range(n)]
    result = run_replication(
        scenario_with(write_state(tmp_path / "s", opportunities=rows), BY_STAGE), 0
    )
    facts = result.levers["customers"]["open_deals"]
    deals = carried(result).merge(facts, on="opportunity_id")
    assert len(deals) == 2 * n
    assert deals["t_closed"].notna().all()
    for stage, p in BY_STAGE.items():
        won = deals.loc[deals["stage"] == stage, "won"].to_numpy()
        assert (deals.loc[deals["stage"] == stage, "win_probability"] == p).all()
        se = math.sqrt(p * (1 - p) / n)
        assert abs(won.mean() - p) < 4 * se, (stage, won.mean())


def test_without_the_key_the_numbers_are_as_before(tmp_path: Path) -> None:
    """The key listing every stage at the pipeline's own probability draws exactly what no key
    draws: the same uniforms of ``open_win``, compared with the same probability."""
    rows = [deal(k, "Prospecting" if k % 2 else "Engaging", 50.0 * k) for k in range(40)]
    state = write_state(tmp_path / "s", opportunities=rows)
    plain = run_replication(scenario_with(state), 0)
    same = run_replication(scenario_with(state, {"Prospecting": 0.5, "Engaging": 0.5}), 0)
    for name in ("opportunities", "customer_events"):
        assert plain.tables[name].equals(same.tables[name])
    assert not [n for n in plain.notes if "win_probability_by_stage" in n]


def test_unlisted_stages_fall_back_with_a_note(tmp_path: Path) -> None:
    rows = [deal(1, "Prospecting", 10.0), deal(2, "Negotiation", 10.0), deal(3, "Negotiation", 1)]
    state = write_state(tmp_path / "s", opportunities=rows)
    result = run_replication(scenario_with(state, {"Prospecting": 0.25}), 0)
    facts = result.levers["customers"]["open_deals"].sort_values("opportunity_id")
    assert facts["win_probability"].tolist() == [0.25, 0.5, 0.5]
    assert any(
        "does not list the stage(s) Negotiation (2) of 2 open opportunities" in n
        and "win_probability 0.5" in n
        for n in result.notes
    ), result.notes


def test_open_pipeline_kpis_are_exact(tmp_path: Path) -> None:
    """Value = 1000 + 3000 + 500; expected value = 1000 x 0.25 + 3000 x 0.6 + 500 x 0.5 (the
    unlisted stage takes win_probability) = 2300; won = the amounts of the deals the run won."""
    rows = [deal(1, "Prospecting", 1000.0), deal(2, "Engaging", 3000.0), deal(3, "Other", 500.0)]
    scenario = scenario_with(write_state(tmp_path / "s", opportunities=rows), BY_STAGE)
    result = run_replication(scenario, 0)
    kpis = compute_kpis(result, scenario.costs)
    assert kpis["open_pipeline_deals"] == 3.0
    assert kpis["open_pipeline_value"] == 4500.0
    assert kpis["open_pipeline_expected_value"] == pytest.approx(2300.0, abs=1e-9)
    amounts = {d["opportunity_id"]: d["amount"] for d in rows}
    facts = result.levers["customers"]["open_deals"]
    won = carried(result).merge(facts, on="opportunity_id")
    won = won[won["won"] & (won["t_closed"] < 60.0)]
    assert kpis["open_pipeline_value_won"] == float(won["amount"].sum())
    assert set(won["amount"]) <= set(amounts.values())
    units = kpi_units([])
    assert units["open_pipeline_expected_value"] == "currency"
    assert units["open_pipeline_value_won"] == "currency"


def test_no_open_deals_no_open_pipeline_kpis() -> None:
    scenario = Scenario.model_validate(PIPELINE)
    kpis = compute_kpis(run_replication(scenario, 0), scenario.costs)
    assert "opportunities" in kpis
    assert not [k for k in kpis if k.startswith("open_pipeline")]


@pytest.mark.parametrize(
    ("by_stage", "message"),
    [
        (
            {"Prospecting": 1.5},
            r"customers\.pipeline\.win_probability_by_stage\.Prospecting: must be at most 1 "
            r"\(got 1\.5\)",
        ),
        (
            {"Won": 0.9},
            r"customers\.pipeline\.win_probability_by_stage\.Won: 'Won' is a closed stage .*"
            r"expected an open stage such as Engaging, Prospecting",
        ),
        (
            {"Engagng": 0.6},
            r"customers\.pipeline\.win_probability_by_stage\.Engagng: unknown stage 'Engagng'; "
            r"the open state's opportunities are in the stages Engaging, Prospecting",
        ),
    ],
)
def test_bad_stage_keys_exit_2_naming_the_key(
    tmp_path: Path, by_stage: dict[str, float], message: str
) -> None:
    write_state(
        tmp_path / "state",
        opportunities=[deal(1, "Prospecting", 10.0), deal(2, "Engaging", 20.0)],
    )
    data = deep_merge(PIPELINE, {"customers": {"pipeline": {"win_probability_by_stage": by_stage}}})
    data["initial_state"] = "state"
    del data["run"]["start_date"]  # taken from the state
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(scenario)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    flat = re.sub(r"\s+", " ", result.output)
    assert re.search(message, flat), flat


def test_no_draw_changes_for_the_pipelines_own_leads(tmp_path: Path) -> None:
    """The stage key concerns open deals only: the pipeline's own leads draw as before."""
    busy = deep_merge(PIPELINE, {"customers": {"pipeline": {"leads_per_day": {"shop": 0.5}}}})
    state = write_state(tmp_path / "s", opportunities=[deal(1, "Prospecting", 10.0)])
    runs = []
    for by_stage in (None, {"Prospecting": 0.9}):
        patch: dict[str, Any] = {"initial_state": str(state)}
        if by_stage:
            patch["customers"] = {"pipeline": {"win_probability_by_stage": by_stage}}
        runs.append(run_replication(Scenario.model_validate(deep_merge(busy, patch)), 0))
    own = [r.tables["opportunities"] for r in runs]
    own = [t[t["t_lead"] >= 0].reset_index(drop=True) for t in own]
    assert len(own[0]) > 10
    assert np.array_equal(own[0]["won"].to_numpy(), own[1]["won"].to_numpy())
