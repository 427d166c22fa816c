"""Lever workbooks round trip: ``twin template`` -> edit a cell with openpyxl -> ``twin run
--set-file`` (or ``overrides:`` in a scenario file) picks it up; a bad cell exits 2 naming the
sheet, row and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from twin.cli import cli
from twin.experiments.output import resolved_scenario
from twin.scenario.loader import dump_yaml, load
from twin.scenario.schema import Scenario
from twin.scenario.workbook_overrides import COLUMNS, SHEET, lever_rows

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL = FIXTURES / "small.yaml"
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
HEADCOUNT = "staffing.order_desk.headcount"


def twin(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    out = tmp_path / "levers.xlsx"
    result = twin("template", SMALL, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def edit(book_path: Path, key: str, value: object, column: str = "value") -> int:
    """Set `column` of the row of `key` (the key itself for column 'key'); returns the row."""
    book = load_workbook(book_path)
    sheet = book[SHEET]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == key:
            row[COLUMNS.index(column)].value = value
            book.save(book_path)
            return row[0].row
    raise AssertionError(f"no row {key}")


def test_template_lists_the_levers_with_units_ranges_and_descriptions(template: Path) -> None:
    sheet = load_workbook(template)[SHEET]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert sheet.freeze_panes == "B2"
    _, value, _, allowed, description = rows[HEADCOUNT]
    assert value == 1
    assert allowed == "a whole number, at least 1"
    assert description.startswith("People at the start")
    assert rows["run.horizon_days"][1:3] == (30, "days")
    assert rows["staffing.order_desk.minutes_per_order.mean"][2] == "minutes"
    assert not any(k.startswith(("products", "segments", "suppliers")) for k in rows)


def test_unchanged_template_gives_the_same_scenario_for_every_shipped_file(tmp_path: Path) -> None:
    # every row is applied, changed or not: an untouched template must mean the file itself
    for name in ("whole-loop", "staffing-peak"):
        path = SCENARIOS / f"{name}.yaml"
        out = tmp_path / f"{name}.xlsx"
        assert twin("template", path, "--out", out).exit_code == 0
        scenario = load(Scenario, path)
        assert len(lever_rows(scenario)) > 50
        assert load(Scenario, path, set_files=[out]).model_dump() == scenario.model_dump()


def test_round_trip_edited_cell_reaches_the_run(template: Path, tmp_path: Path) -> None:
    edit(template, HEADCOUNT, 2)
    common = ["--replications", 1, "--quiet", "--no-report", "--set", "run.horizon_days=10"]
    by_file = twin("run", SMALL, "--set-file", template, "--out", tmp_path / "file", *common)
    assert by_file.exit_code == 0, by_file.output
    resolved = yaml.safe_load((tmp_path / "file" / "scenario.resolved.yaml").read_text("utf-8"))
    assert resolved["staffing"]["order_desk"]["headcount"] == 2
    assert resolved["run"]["horizon_days"] == 10  # --set still wins over the workbook
    # the same scenario as --set of the cell, so the same numbers
    by_set = load(Scenario, SMALL, [f"{HEADCOUNT}=2", "run.horizon_days=10", "run.replications=1"])
    assert resolved == yaml.safe_load(dump_yaml(resolved_scenario(by_set)))


def test_scenario_file_takes_overrides_beside_extends(template: Path, tmp_path: Path) -> None:
    edit(template, HEADCOUNT, 3)
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"extends: {SMALL}\noverrides: levers.xlsx\nname: planned\n", "utf-8")
    scenario = load(Scenario, plan)
    assert scenario.staffing.order_desk.headcount == 3
    assert scenario.name == "planned"
    # a key set both in the file and in the workbook is refused rather than silently lost
    plan.write_text(
        f"extends: {SMALL}\noverrides: levers.xlsx\nname: planned\n"
        "staffing: {order_desk: {headcount: 4}}\n",
        "utf-8",
    )
    result = twin("run", plan, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert "sets this key too (" in result.output
    assert "plan.yaml, line 4" in result.output


@pytest.mark.parametrize(
    ("key", "column", "value", "message"),
    [
        (HEADCOUNT, "value", "three", "a whole number"),
        ("run.horizon_days", "value", "[1,", "is not valid YAML"),
        (HEADCOUNT, "key", "staffing.order_desk.head_count", "unknown key"),
        (HEADCOUNT, "key", "staffing.order_desk[x].headcount", "is a mapping, not a list"),
    ],
)
def test_bad_cell_exits_2_naming_sheet_row_and_key(
    template: Path, tmp_path: Path, key: str, column: str, value: str, message: str
) -> None:
    row = edit(template, key, value, column)
    written = value if column == "key" else key
    result = twin("run", SMALL, "--set-file", template, "--out", tmp_path / "never")
    assert result.exit_code == 2, result.output
    assert f"levers.xlsx, sheet 'levers', row {row}, key {written}" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "never").exists()


def test_not_a_workbook_and_missing_sheet(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip", "utf-8")
    result = twin("run", SMALL, "--set-file", bad, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert "not an Excel workbook" in result.output
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Sheet1"
    book.save(bad)
    result = twin("run", SMALL, "--set-file", bad, "--out", tmp_path / "never")
    assert result.exit_code == 2
    assert "no sheet named 'levers' (its sheets: Sheet1)" in result.output
