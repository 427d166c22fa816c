"""The example scenarios in ``scenarios/``: each opens with the question it answers, extends
another scenario of the folder, loads, runs a short horizon and reports the KPIs of the lever it
switches on."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from twin.kpis import compute_kpis
from twin.model.network import run_replication

SCENARIOS = {
    "promotion.yaml": ["promo_incremental_units", "promo_roi", "promo_units_short"],
    "credit-tight.yaml": ["orders_rejected", "approval_lead_time_p95_days", "receivables_90_plus"],
    "credit-loose.yaml": ["orders_held", "approval_lead_time_mean_days", "receivables_90_plus"],
    "staffing-peak.yaml": ["wait_p95_days_warehouse", "staff_cost_warehouse"],
    "service-level.yaml": ["satisfaction_mean", "churn_rate_per_year", "pipeline_conversion"],
    "whole-loop.yaml": ["promo_roi", "orders_rejected", "tickets", "satisfaction_mean"],
}
FOLDER = Path(__file__).resolve().parents[2] / "scenarios"
# long enough to cover the April promotion and some payments falling overdue, short enough to
# keep each run to a few seconds
SHORT = ("run.horizon_days=110", "run.warmup_days=20")


@pytest.mark.parametrize("file", list(SCENARIOS))
def test_an_example_states_its_question_and_extends_a_scenario_of_the_folder(file):
    text = (FOLDER / file).read_text(encoding="utf-8")
    assert text.startswith("# Question:")
    extends = yaml.safe_load(text)["extends"]
    assert (FOLDER / extends).is_file() and extends != file


@pytest.mark.parametrize("file", list(SCENARIOS))
def test_an_example_runs_and_reports_its_lever(file, load_scenario):
    scenario = load_scenario(file, *SHORT)
    kpis = compute_kpis(run_replication(scenario, 0), scenario.costs)
    for name in SCENARIOS[file]:
        assert name in kpis, name
        assert not math.isnan(kpis[name]), name
    assert kpis["orders"] > 0
