"""The optimisation file: what it accepts, and bad input that exits 2 naming file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.errors import InputError
from twin.kpis import kpi_units
from twin.scenario.optimise_file import load_optimisation, parse_constraint

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "tests" / "cli" / "fixtures" / "small.yaml"

GOOD = """\
name: staff
base: {base}
set: {{run.horizon_days: 20}}
decisions:
  - path: staffing.warehouse.headcount
    low: 2
    high: 6
  - path: staffing.*.cost_per_hour
    low: 0.5
    high: 1.5
    step: 0.25
    mode: scale
objective: {{minimise: staff_cost}}
constraints:
  - lead_time_p95_days <= 5
  - P(lead_time_p95_days <= 6) >= 0.8
budget: {{simulations: 40}}
delta: 500
"""


def write(folder: Path, text: str) -> Path:
    path = folder / "opt.yaml"
    path.write_text(text.format(base=BASE), encoding="utf-8")
    return path


def test_a_good_file_loads_and_expands_its_group(tmp_path: Path) -> None:
    spec = load_optimisation(write(tmp_path, GOOD), kpi_units=kpi_units)
    assert spec.levels(0) == [2, 3, 4, 5, 6]
    assert spec.is_integer(0) and not spec.is_integer(1)
    assert spec.levels(1) == [0.5, 0.75, 1.0, 1.25, 1.5]
    # the '*' matches the roles, which have a cost per hour (the calendars have none)
    assert [p for p, _ in spec.targets(1)] == [
        "staffing.order_desk.cost_per_hour",
        "staffing.warehouse.cost_per_hour",
    ]
    assert spec.assignments([3, 1.5]) == {
        "staffing.warehouse.headcount": 3,
        "staffing.order_desk.cost_per_hour": 45.0,
        "staffing.warehouse.cost_per_hour": 37.5,
    }
    assert [c.label for c in spec.constraints] == [
        "lead_time_p95_days <= 5",
        "P(lead_time_p95_days <= 6) >= 0.8",
    ]
    assert spec.base_scenario.run.horizon_days == 20


def test_constraints_read_from_strings() -> None:
    assert parse_constraint("fill_rate >= 0.97") == {"kpi": "fill_rate", "op": ">=", "bound": 0.97}
    assert parse_constraint("P(lead_time_p95_days <= 5) >= 0.9") == {
        "kpi": "lead_time_p95_days",
        "op": "<=",
        "bound": 5.0,
        "probability": 0.9,
    }
    with pytest.raises(ValueError, match="cannot read the constraint"):
        parse_constraint("fill_rate == 1")


BAD = [
    pytest.param(
        GOOD.replace("staffing.warehouse.headcount", "staffing.warehouse.headcont"),
        r"opt\.yaml, line 5: decisions\.0\.path: .*no key 'headcont'; did you mean 'headcount'",
        id="path-not-in-scenario",
    ),
    pytest.param(
        GOOD.replace("low: 2\n", "low: 6\n"),
        r"opt\.yaml, line 6: decisions\.0\.low: .*the range is empty: low \(6\) must be below",
        id="empty-range",
    ),
    pytest.param(
        GOOD.replace("lead_time_p95_days <= 5", "lead_time_p95_days <= -1"),
        r"opt\.yaml, line 15: constraints\.0: 'lead_time_p95_days <= -1' cannot be met by any "
        r"candidate: lead_time_p95_days is never below 0",
        id="infeasible-by-construction",
    ),
    pytest.param(
        GOOD.replace("  - P(lead_time_p95_days <= 6) >= 0.8", "  - fill_rate >= 1.2"),
        r"line 16: constraints\.1: 'fill_rate >= 1\.2' cannot be met .* never above 1",
        id="share-above-one",
    ),
    pytest.param(
        GOOD.replace("  - P(lead_time_p95_days <= 6) >= 0.8", "  - lead_time_p95_days >= 7"),
        r"line 16: constraints\.1: .*constraints\.0 \('lead_time_p95_days <= 5'\) asks for the "
        "opposite",
        id="contradicting-constraints",
    ),
    pytest.param(
        GOOD.replace("simulations: 40", "simulations: 0"),
        r"opt\.yaml, line 17: budget\.simulations: a budget of 0 runs nothing",
        id="budget-zero",
    ),
    pytest.param(
        GOOD.replace("minimise: staff_cost", "minimise: staff_costs"),
        r"opt\.yaml, line 13: objective\.minimise: unknown KPI 'staff_costs'; did you mean "
        "'staff_cost'",
        id="unknown-kpi",
    ),
    pytest.param(
        GOOD.replace("delta: 500", "delta: 500\nbogus: 1"),
        r"opt\.yaml, line 19: bogus",
        id="unknown-key",
    ),
    pytest.param(
        GOOD.replace("P(lead_time_p95_days <= 6) >= 0.8", "P(lead_time_p95_days <= 6) >= 1.5"),
        r"line 16: constraints\.1: must be at most 1",
        id="probability-above-one",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_files_raise_one_clear_input_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_optimisation(write(tmp_path, text), kpi_units=kpi_units)


@pytest.mark.parametrize(("text", "message"), BAD[:1] + BAD[2:4] + BAD[5:6])
def test_bad_input_exits_2_before_anything_runs(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, ["optimise", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert re.search(message, " ".join(result.output.split())), result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "path", sorted((REPO / "scenarios" / "optimise").glob("*.yaml")), ids=lambda p: p.name
)
def test_every_shipped_optimisation_file_loads(path: Path) -> None:
    spec = load_optimisation(path, kpi_units=kpi_units)
    assert all(len(spec.targets(i)) >= 1 for i in range(len(spec.decisions)))
