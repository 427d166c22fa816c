"""A short run folder of the small CLI fixture, shared by the workbook and HTML tests.

A plain module rather than a ``conftest.py``: the tests import the root ``conftest`` by name,
which a second one here would shadow. Each test module imports the fixture; the folder is made
once per session (:data:`_MADE`) however many modules use it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from twin.cli import cli

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "cli" / "fixtures" / "small.yaml"


_MADE: dict[str, Path] = {}


@pytest.fixture(scope="session", name="small_run")
def small_run_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``twin run small.yaml`` over 20 days, 2 replications, seed 7, without the charts and PDF
    (tests that draw pages copy it first)."""
    if "run" in _MADE:
        return _MADE["run"]
    out = tmp_path_factory.mktemp("small") / "run"
    args = ["run", str(SMALL), "--out", str(out), "--replications", "2", "--seed", "7"]
    args += ["--set", "run.horizon_days=20", "--no-report", "--quiet", "--workers", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    _MADE["run"] = out
    return out
