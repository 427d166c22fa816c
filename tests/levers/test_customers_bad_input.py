"""Bad input in the ``customers`` section: a ``ValueError`` that starts with the key path, and
through the CLI an error naming the file and key, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TINY, deep_merge

from twin.cli import cli
from twin.scenario.schema import Scenario

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"

PIPELINE = {"leads_per_day": {"shop": 1.0}}

CASES = {
    "unknown segment in initial scores": (
        {"satisfaction": {"initial_score_by_segment": {"shoop": 4.0}}},
        r"customers\.satisfaction\.initial_score_by_segment\.shoop: unknown segment 'shoop'; "
        r"expected one of shop",
    ),
    "unknown segment in leads": (
        {"pipeline": {"leads_per_day": {"retail": 1.0}}},
        r"customers\.pipeline\.leads_per_day\.retail: unknown segment 'retail'",
    ),
    "win probability above 1": (
        {"pipeline": {**PIPELINE, "win_probability": 1.5}},
        r"customers\.pipeline\.win_probability\n.*less than or equal to 1",
    ),
    "reference score outside 1..5": (
        {"reference_score": 6.0},
        r"customers\.reference_score\n.*less than or equal to 5",
    ),
    "initial score below 1": (
        {"satisfaction": {"initial_score": 0.5}},
        r"customers\.satisfaction\.initial_score\n.*greater than or equal to 1",
    ),
    "weight 0": (
        {"satisfaction": {"weight": 0.0}},
        r"customers\.satisfaction\.weight\n.*greater than 0",
    ),
    "negative churn": (
        {"churn": {"base_per_year": -0.1}},
        r"customers\.churn\.base_per_year\n.*greater than or equal to 0",
    ),
    "negative sales cycle": (
        {"pipeline": {**PIPELINE, "cycle_days": {"dist": "uniform", "low": -1, "high": 2}}},
        r"customers\.pipeline\.cycle_days\n.*a sales-cycle time cannot be negative",
    ),
    "required sales rep not staffed": (
        {"pipeline": {**PIPELINE, "require_sales_rep": True}},
        r"customers\.pipeline\.require_sales_rep: the pipeline needs sales reps, but "
        r"staffing\.sales_rep is not given",
    ),
    "repeat sensitivity too steep": (
        {"reference_score": 1.0, "repeat": {"sensitivity_per_point": 1.0}},
        r"customers\.repeat\.sensitivity_per_point: exp\(sensitivity x \(5 - reference_score\)\) "
        r"is 54\.6, .* expected at most 20",
    ),
    "unknown key": ({"churn": {"per_year": 0.1}}, r"customers\.churn\.per_year\n.*[Ee]xtra"),
}


@pytest.mark.parametrize("section, pattern", CASES.values(), ids=CASES.keys())
def test_bad_customers_section_is_rejected_with_its_key_path(section, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        Scenario.model_validate(deep_merge(TINY, {"customers": section}))


def test_a_required_sales_rep_that_is_staffed_is_accepted() -> None:
    staffing = {
        "calendars": {"office": {}},
        "sales_rep": {"headcount": 2, "calendar": "office"},
    }
    patch = {
        "staffing": staffing,
        "customers": {"pipeline": {**PIPELINE, "require_sales_rep": True}},
    }
    assert Scenario.model_validate(deep_merge(TINY, patch)).customers.pipeline.require_sales_rep


def test_the_cli_names_the_file_and_key_and_exits_2(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"extends: {SMALL}\ncustomers:\n  pipeline:\n    leads_per_day: {{shop: 1.0}}\n"
        "    win_probability: 1.5\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(
        cli, ["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet", "--no-report"]
    )

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(scenario) in result.output
    assert "line 5: customers.pipeline.win_probability" in result.output
