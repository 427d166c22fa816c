"""A short run folder of the small CLI fixture, shared by the workbook and HTML tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from twin.cli import cli

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``twin run small.yaml`` over 20 days, 2 replications, seed 7, without the charts and PDF
    (tests that draw pages copy it first)."""
    out = tmp_path_factory.mktemp("small") / "run"
    args = ["run", str(SMALL), "--out", str(out), "--replications", "2", "--seed", "7"]
    args += ["--set", "run.horizon_days=20", "--no-report", "--quiet", "--workers", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out
