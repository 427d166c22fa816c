"""Bad input that surfaces only when a replication builds (a replay file the scenario names) stops
every command with its message and exit 2, on any executor, instead of failing each job."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from twin.cli import cli

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"
MESSAGE = "column 't': row 3 (file line 4) is 'yesterday', expected a date or timestamp"


@pytest.fixture
def bad_replay(tmp_path: Path) -> Path:
    (tmp_path / "orders.csv").write_text("t\n2026-01-05 09:00\n2026-01-07\nyesterday\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"extends: {SMALL}\n"
        "run: {horizon_days: 30, warmup_days: 0, replications: 2}\n"
        "segments:\n  web:\n    arrivals: {kind: replay, file: orders.csv, column: t}\n"
        "variants:\n  more-desk: {staffing.order_desk.headcount: 2}\n"
    )
    return scenario


def invoke(*args: str):
    result = CliRunner().invoke(cli, [*args, "--quiet"])
    assert result.exit_code == 2, f"{result.output}\n{result.exception!r}"
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert MESSAGE in result.output
    return result


@pytest.mark.parametrize("workers", ["1", "2"])
def test_run_stops_with_the_replay_files_message(bad_replay, tmp_path, workers):
    invoke("run", str(bad_replay), "--out", str(tmp_path / "run"), "--workers", workers)


def test_compare_stops_with_the_replay_files_message(bad_replay, tmp_path):
    invoke("compare", str(bad_replay), "--out", str(tmp_path / "cmp"), "--workers", "2")


def test_sweep_stops_with_the_replay_files_message(bad_replay, tmp_path):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        "name: replay-sweep\nbase: s.yaml\n"
        "parameters:\n  - {path: staffing.order_desk.headcount, levels: [1, 2]}\n"
        "design: {kind: grid}\n"
    )
    invoke("sweep", str(sweep), "--out", str(tmp_path / "sweep"), "--workers", "1")
