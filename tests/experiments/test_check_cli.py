"""`twin check` end to end on the small fixture: exit codes, JUnit XML, summary, risk view.

Each case writes a gate file into ``tmp_path`` that extends ``tests/cli/fixtures/small.yaml``
(2 replications of 30 days, well under a second each) with targets the fixture is known to meet
or miss: its fill rate is about 0.98 and its 95th-percentile lead time about 3.3 days.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from twin.cli import cli
from twin.commands.check import variant_table
from twin.experiments.checks import check_references
from twin.experiments.compare import VariantFailure, VariantRuns, scenario_roles
from twin.experiments.jobs import Failure
from twin.experiments.replicate import run_one
from twin.kpis import kpi_units
from twin.scenario.variants import load_variants

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"
GATE = Path(__file__).resolve().parents[2] / "scenarios" / "gate.yaml"

VARIANT = """\
variants:
  lean:
    inventory.default.policy.order_up_to_days: 8
"""


def gate(tmp_path: Path, checks: str, variants: str = VARIANT) -> Path:
    path = tmp_path / "gate.yaml"
    path.write_text(f"extends: {SMALL}\nname: gate\n{variants}checks:\n{checks}", encoding="utf-8")
    return path


def check(path: Path, out: Path, *args: str, sweep: bool = False) -> Result:
    """``twin check`` in this process; a sweep's base is set in the file, not by ``--set``."""
    shorten = [] if sweep else ["--set", "run.horizon_days=30"]
    return CliRunner().invoke(
        cli,
        [
            "check",
            str(path),
            "--out",
            str(out),
            *shorten,
            "--replications",
            "2",
            "--workers",
            "1",
            "--quiet",
            *args,
        ],
    )


def test_checks_that_hold_exit_0_with_junit_summary_and_risk(tmp_path):
    path = gate(
        tmp_path,
        "  - fill_rate >= 0.9\n"
        "  - {kpi: lead_time_p95_days, op: '<=', target: 5, confidence: 0.95}\n"
        "  - {kpi: fill_rate, op: '>=', than: base, margin: 0.05}\n",
    )
    out = tmp_path / "out"
    junit = tmp_path / "ci" / "junit.xml"
    summary = tmp_path / "ci" / "summary.md"
    result = check(path, out, "--junit", str(junit), "--summary", str(summary))
    assert result.exit_code == 0, result.output
    assert "PASS fill_rate >= 0.9 [gate]" in result.output
    assert "SKIP fill_rate >= base - 0.05 [gate]" in result.output
    assert "All checks hold" in result.output

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("6", "0", "1")
    assert len(suite.findall("testcase")) == 6
    assert summary.read_text(encoding="utf-8").splitlines()[2] == (
        "**PASS**: all 5 checks hold (1 skipped)."
    )
    results = pd.read_csv(out / "checks.csv")
    assert results["group"].tolist() == ["gate", "lean"] * 3
    risk = pd.read_csv(out / "risk.csv")
    assert len(risk) == 5 and risk["replications"].eq(2).all()
    assert (out / "kpis.csv").is_file() and (out / "summary.md").is_file()


def test_a_missed_target_exits_1_and_is_a_junit_failure(tmp_path):
    path = gate(tmp_path, "  - fill_rate >= 0.9\n  - lead_time_p95_days < 1\n", variants="")
    junit = tmp_path / "junit.xml"
    result = check(path, tmp_path / "out", "--junit", str(junit))
    assert result.exit_code == 1, result.output
    assert "FAIL lead_time_p95_days < 1 [gate]" in result.output
    assert "Checks failed" in result.output
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failures = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failures] == ["lead_time_p95_days < 1"]
    assert "is not < 1" in failures[0].find("failure").get("message")


def test_one_replication_fails_a_confidence_check(tmp_path):
    path = gate(
        tmp_path, "  - {kpi: fill_rate, op: '>=', target: 0.5, confidence: 0.9}\n", variants=""
    )
    result = check(path, tmp_path / "out", "--replications", "1")
    assert result.exit_code == 1, result.output
    assert "one replication cannot show 90% confidence" in result.output


def test_a_file_without_checks_is_bad_input(tmp_path):
    result = check(SMALL, tmp_path / "out")
    assert result.exit_code == 2
    assert "small.yaml: nothing to check: the file has no 'checks:' section" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_kpi_is_bad_input_with_close_names(tmp_path):
    path = gate(tmp_path, "  - fill_rate >= 0.9\n  - fil_rate >= 0.9\n", variants="")
    result = check(path, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "gate.yaml: checks.1.kpi: unknown KPI 'fil_rate'; did you mean fill_rate or" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "kpis.csv").exists()  # told before simulating


def test_a_kpi_of_a_lever_the_scenario_lacks_is_bad_input_after_the_run(tmp_path):
    path = gate(tmp_path, "  - fill_rate >= 0.9\n  - orders_held <= 3\n", variants="")
    result = check(path, tmp_path / "out")
    assert result.exit_code == 2, result.output
    # a credit KPI, but the scenario has no credit section: known only once the run is done
    assert "checks.1.kpi: unknown KPI 'orders_held';" in result.output
    assert "the run reports these KPIs: orders, " in result.output


OWN_CHECKS = VARIANT + "    checks: ['fill_rate >= 0.5']\n"


@pytest.mark.parametrize(
    "checks, variants, message",
    [
        ("  - fill_rate >>= 0.9\n", VARIANT, "cannot read the check 'fill_rate >>= 0.9'"),
        ("  - {kpi: profit, op: '>=', than: rich}\n", VARIANT, "checks.0.than: unknown variant"),
        ("  - fill_rate >= 0.9\n", OWN_CHECKS, "variants.lean.checks: checks belong to the base"),
    ],
)
def test_a_bad_check_is_bad_input_before_any_run(tmp_path, checks, variants, message):
    result = check(gate(tmp_path, checks, variants), tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "out" / "kpis.csv").exists()


def test_a_sweep_is_checked_at_every_point_and_on_the_mean(tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"name: desk\nbase: {SMALL}\nreplications: 2\n"
        "parameters:\n  - {path: staffing.order_desk.headcount, levels: [1, 2]}\n"
        "design: {kind: grid}\n"
        "checks:\n  - fill_rate >= 0.9\n  - {kpi: fill_rate, op: '>=', target: 0.999, at: mean}\n",
        encoding="utf-8",
    )
    result = check(sweep, tmp_path / "out", sweep=True)
    assert result.exit_code == 1, result.output
    results = pd.read_csv(tmp_path / "out" / "checks.csv")
    assert results["group"].tolist() == ["point 0", "point 1", "mean"]
    assert results["status"].tolist() == ["pass", "pass", "fail"]
    # each point's values beside its verdict, in points.csv and on its terminal line
    points = pd.read_csv(tmp_path / "out" / "points.csv")
    assert points[["point", "staffing.order_desk.headcount", "status"]].values.tolist() == [
        [0, 1, "pass"],
        [1, 2, "pass"],
    ]
    assert "PASS fill_rate >= 0.9 [point 1: staffing.order_desk.headcount=2]: mean" in (
        result.output
    )


def test_results_do_not_depend_on_the_executor(tmp_path):
    path = gate(tmp_path, "  - fill_rate >= 0.9\n  - profit >= base\n")
    serial = check(path, tmp_path / "serial")
    parallel = check(path, tmp_path / "parallel", "--workers", "2")
    assert serial.exit_code == parallel.exit_code == 1  # lean loses profit
    assert (tmp_path / "serial" / "checks.csv").read_bytes() == (
        tmp_path / "parallel" / "checks.csv"
    ).read_bytes()


def test_a_failed_replication_is_kept_with_its_error(tmp_path):
    path = gate(tmp_path, "  - fill_rate >= 0.9\n")
    variants = load_variants(path, ["run.horizon_days=30"])
    ok = run_one(variants.scenarios["gate"], 0)
    failure = VariantFailure("lean", 0, Failure("key", "RuntimeError: boom"))
    runs = VariantRuns(variants, 1, {"gate": [ok], "lean": []}, [failure])
    table = variant_table(runs)
    assert table[["variant", "replication", "error"]].values.tolist() == [
        ["gate", 0, ""],
        ["lean", 0, "RuntimeError: boom"],
    ]


def test_an_unwritable_junit_file_is_bad_input(tmp_path):
    path = gate(tmp_path, "  - fill_rate >= 0.9\n", variants="")
    result = check(path, tmp_path / "out", "--junit", str(tmp_path))  # a folder
    assert result.exit_code == 2, result.output
    assert f"--junit {tmp_path}: cannot write it" in result.output


def test_the_example_gate_is_valid_before_running():
    variants = load_variants(GATE)
    base = variants.scenarios[variants.base]
    assert list(variants.scenarios) == ["gate", "more-cover"]
    roles = scenario_roles(list(variants.scenarios.values()))
    check_references(
        base.checks, list(variants.scenarios), "variant", "gate", known_kpis=kpi_units(roles)
    )
    assert {c.than for c in base.checks} == {None, "base"}
    assert any(c.confidence for c in base.checks)


@pytest.mark.slow
def test_the_example_gate_passes(tmp_path):
    result = CliRunner().invoke(
        cli, ["check", str(GATE), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet"]
    )
    assert result.exit_code == 0, result.output
