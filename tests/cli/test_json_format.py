"""``--format json`` of ``twin run``, ``twin compare`` and ``twin check``: one JSON document, alone
on standard output, with the numbers of the files the command wrote.

Every command runs the small fixture (2 replications of 30 days, well under a second each) with
``--no-report`` where it has one, in this process.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from twin.cli import cli

SMALL = Path(__file__).resolve().parent / "fixtures" / "small.yaml"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--format", "json"])


def parsed(result: Result) -> dict:
    """The document on stdout; fails when stdout holds anything else."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return json.loads(result.stdout)


def with_variant(tmp_path: Path, checks: str = "") -> Path:
    path = tmp_path / "gate.yaml"
    path.write_text(
        f"extends: {SMALL}\nname: gate\nvariants:\n  lean:\n"
        f"    inventory.default.policy.order_up_to_days: 8\n{checks}",
        encoding="utf-8",
    )
    return path


def close(a: float | None, b: float) -> bool:
    if a is None:
        return math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_run_prints_the_summary_as_json_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke("run", str(SMALL), "--out", str(out), "--no-report", "--workers", "1")
    assert result.exit_code == 0, result.output
    document = parsed(result)
    assert document["command"] == "run"
    assert document["scenario"] == "small"
    assert (document["seed"], document["replications"]) == (1, 2)
    assert document["horizon_days"] == 30
    assert document["confidence"] == 0.95
    assert "Results in" in result.stderr  # the closing line moved to stderr
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False, na_values=[""])
    rows = {row["kpi"]: row for row in document["kpis"]}
    assert list(rows) == list(summary["kpi"])
    for line in summary.itertuples():
        row = rows[line.kpi]
        assert set(row) == {"kpi", "mean", "std", "ci_low", "ci_high", "unit"}
        assert row["unit"] == (line.unit if isinstance(line.unit, str) else "")
        for column in ("mean", "ci_low", "ci_high"):
            assert close(row[column], getattr(line, column)), (line.kpi, column)


def test_run_json_is_printed_also_with_quiet(tmp_path: Path) -> None:
    result = invoke(
        "run", str(SMALL), "--out", str(tmp_path / "r"), "--no-report", "--workers", "1", "--quiet"
    )
    assert result.exit_code == 0, result.output
    assert parsed(result)["kpis"]


def test_the_default_format_is_the_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["run", str(SMALL), "--out", str(tmp_path / "r"), "--no-report", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "95 % CI" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_compare_prints_variants_differences_and_significance(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    args = ["compare", str(with_variant(tmp_path)), "--out", str(out), "--no-report"]
    result = invoke(*args, "--replications", "2", "--workers", "1", "--quiet")
    assert result.exit_code == 0, result.output
    document = parsed(result)
    assert document["command"] == "compare"
    assert document["base"] == "gate"
    assert document["variants"] == ["gate", "lean"]
    assert (document["seed"], document["replications"]) == (1, 2)
    assert document["best"] == {"kpi": "profit", "higher_is_better": True}
    assert document["selection"] in result.stderr
    comparison = pd.read_csv(out / "comparison.csv")
    assert len(document["comparison"]) == len(comparison)
    lean = [r for r in document["comparison"] if r["variant"] == "lean"]
    row = next(r for r in lean if r["kpi"] == "profit")
    expected = comparison[(comparison["variant"] == "lean") & (comparison["kpi"] == "profit")]
    assert close(row["diff"], float(expected["diff"].iloc[0]))
    assert close(row["diff_ci_low"], float(expected["diff_ci_low"].iloc[0]))
    assert isinstance(row["significant"], bool)
    ranking = pd.read_csv(out / "ranking.csv")
    assert [r["variant"] for r in document["ranking"]] == list(ranking["variant"])
    assert [r["rank"] for r in document["ranking"]] == list(ranking["rank"])


@pytest.mark.parametrize(
    ("target", "exit_code", "verdict"),
    [("0.5", 0, "pass"), ("0.9999", 1, "fail")],
)
def test_check_prints_each_verdict_and_the_overall_one(
    tmp_path: Path, target: str, exit_code: int, verdict: str
) -> None:
    path = with_variant(tmp_path, f"checks:\n  - 'fill_rate >= {target}'\n")
    args = ["check", str(path), "--out", str(tmp_path / "chk"), "--replications", "2"]
    result = invoke(*args, "--workers", "1", "--quiet")
    assert result.exit_code == exit_code, result.output
    document = parsed(result)
    assert document["command"] == "check"
    assert document["verdict"] == verdict
    assert document["passed"] is (verdict == "pass")
    assert [c["group"] for c in document["checks"]] == ["gate", "lean"]
    assert {c["status"] for c in document["checks"]} == {verdict}
    assert document["counts"]["checks"] == 2
    assert document["groups"]["gate"] == {"replications": 2, "seeds": [1]}
    assert ("All checks hold" if verdict == "pass" else "Checks failed") in result.stderr
