"""Bad input in a segment's ``customer_base``: messages name the scenario file and key, or the
customers file, column and row; through the CLI they exit with code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from twin.cli import cli

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"
HEADER = "customer,frequency,recency_days,age_days\n"
GOOD_ROWS = ["c1,2,10,50", "c2,0,0,20", "c3,5,40.5,41"]
PARETO = "{r: 0.5, alpha: 10.0, s: 0.6, beta: 12.0}"


def write_scenario(
    folder: Path,
    rows: list[str] | None = None,
    *,
    model: str = "pareto_nbd",
    parameters: str = PARETO,
    customers: int = 3,
    extra: str = "",
    file_name: str = "customers.csv",
) -> Path:
    """A scenario extending the small CLI fixture with a customer base for segment shop."""
    if rows is not None:
        (folder / file_name).write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    scenario = folder / "s.yaml"
    scenario.write_text(
        f"extends: {SMALL}\n"
        "segments:\n"
        "  shop:\n"
        f"    customers: {customers}\n"
        "    customer_base:\n"
        f"      model: {model}\n"
        f"      parameters: {parameters}\n"
        f"      customers_file: {file_name}\n"
        f"{extra}",
        encoding="utf-8",
    )
    return scenario


def invoke(scenario: Path, tmp_path: Path):
    """``twin run`` of ``scenario`` for one short replication."""
    out = str(tmp_path / "out")
    return CliRunner().invoke(
        cli,
        [
            *("run", str(scenario), "--out", out, "--quiet", "--no-report", "--replications", "1"),
            *("--set", "run.horizon_days=20"),
        ],
    )


def run(scenario: Path, tmp_path: Path) -> str:
    """The CLI's message for a scenario that must fail on bad input (exit 2, no traceback)."""
    result = invoke(scenario, tmp_path)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())  # the terminal wraps long messages


def test_a_good_customer_base_runs(tmp_path: Path) -> None:
    result = invoke(write_scenario(tmp_path, GOOD_ROWS), tmp_path)
    assert result.exit_code == 0, result.output


def test_a_missing_customers_file_names_the_scenario_file_and_key(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, None)
    output = run(scenario, tmp_path)
    assert str(scenario) in output
    assert "line 8: segments.shop.customer_base.customers_file" in output
    assert "customers.csv not found" in output


ROW_CASES = {
    "negative frequency": (
        ["c1,2,10,50", "c2,-1,0,20"],
        "column 'frequency', row 2: -1, expected a whole number >= 0",
    ),
    "fractional frequency": (["c1,2.5,10,50"], "column 'frequency', row 1: 2.5"),
    "recency above age": (
        ["c1,2,10,50", "c2,1,5,20", "c3,3,30,29"],
        "column 'recency_days', row 3: 30, expected at most the row's age_days",
    ),
    "age zero": (["c1,0,0,0"], "column 'age_days', row 1: 0, expected a number of days > 0"),
    "missing value": (["c1,2,,50"], "column 'recency_days', row 1: empty, expected a number"),
    "not a number": (["c1,two,1,50"], "column 'frequency', row 1: 'two', expected a number"),
    "recency without repeat purchases": (
        ["c1,0,3,50"],
        "column 'recency_days', row 1: 3, expected 0 when frequency is 0",
    ),
    "customer twice": (
        ["c1,2,10,50", "c1,0,0,20"],
        "column 'customer', row 2: 'c1', expected each customer once",
    ),
}


@pytest.mark.parametrize("rows, message", ROW_CASES.values(), ids=ROW_CASES.keys())
def test_a_bad_row_names_the_file_column_and_row(tmp_path: Path, rows, message: str) -> None:
    scenario = write_scenario(tmp_path, rows, customers=len(rows))
    output = run(scenario, tmp_path)
    assert f"{tmp_path / 'customers.csv'}" in output
    assert message in output


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer,frequency,age_days\nc1,0,5\n")
    output = run(write_scenario(tmp_path, None, customers=1), tmp_path)
    assert "lacks column(s) recency_days" in output


def test_bg_nbd_without_its_parameters_is_clear(tmp_path: Path) -> None:
    output = run(write_scenario(tmp_path, GOOD_ROWS, model="bg_nbd"), tmp_path)
    assert "segments.shop.customer_base" in output
    assert (
        "parameters: model bg_nbd needs exactly r, alpha, a, b (per day); missing: a, b; "
        "not used by bg_nbd: s, beta"
    ) in output


def test_customers_must_count_the_rows(tmp_path: Path) -> None:
    output = run(write_scenario(tmp_path, GOOD_ROWS, customers=20), tmp_path)
    assert "segments.shop.customers: 20, but customer_base.customers_file has 3 rows" in output


@pytest.mark.parametrize(
    "covariance, message",
    [
        ("[[0.1, 0], [0, 0.1]]", "expected a 4 x 4 matrix"),
        (
            "[[1, 2, 0, 0], [2, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]",
            "must be positive semi-definite",
        ),
    ],
)
def test_a_bad_covariance_is_named(tmp_path: Path, covariance: str, message: str) -> None:
    extra = f"      log_parameter_covariance: {covariance}\n"
    output = run(write_scenario(tmp_path, GOOD_ROWS, extra=extra), tmp_path)
    assert "log_parameter_covariance" in output and message in output


def test_a_parquet_customers_file_is_read_like_a_csv(tmp_path: Path) -> None:
    import pandas as pd

    from twin.scenario.loader import load
    from twin.scenario.schema import Scenario

    rows = [row.split(",") for row in GOOD_ROWS]
    frame = pd.DataFrame(rows, columns=HEADER.strip().split(","))
    frame = frame.astype({"frequency": int, "recency_days": float, "age_days": float})
    frame.to_parquet(tmp_path / "customers.parquet")
    scenario = load(Scenario, write_scenario(tmp_path, None, file_name="customers.parquet"))
    history = scenario.segments["shop"].customer_base.history
    assert history.customers == ("c1", "c2", "c3")
    assert history.frequency.tolist() == [2, 0, 5]
    assert history.age_days.tolist() == [50.0, 20.0, 41.0]
