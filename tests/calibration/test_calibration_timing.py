"""Phase timing of a calibration: :class:`PhaseTimer` and ``twin calibrate --verbose``."""

from __future__ import annotations

import re
import time
from pathlib import Path

from click.testing import CliRunner

from twin.calibration.timing import TIMING_COLUMNS, PhaseTimer
from twin.cli import cli

SHOP = Path(__file__).parent / "fixtures" / "shop"


def test_a_phase_entered_twice_adds_up_in_order_of_first_entry():
    timer = PhaseTimer()
    with timer.phase("read"):
        time.sleep(0.01)
    for _ in range(2):
        with timer.phase("fit: payment"):
            time.sleep(0.01)
    frame = timer.frame()
    assert list(frame.columns) == TIMING_COLUMNS
    assert list(frame["phase"]) == ["read", "fit: payment"]
    assert list(frame["calls"]) == [1, 2]
    assert frame.loc[1, "wall_s"] >= 0.02  # both entries counted
    # sleeping costs wall time, hardly any CPU time
    assert (frame["cpu_s"] < frame["wall_s"]).all()


def test_the_table_indents_nested_phases_and_ends_with_the_total():
    timer = PhaseTimer()
    with timer.phase("fit"), timer.phase("fit: arrivals"):
        pass
    lines = timer.table(total_wall_s=2.0, total_cpu_s=1.0).splitlines()
    assert lines[0].split() == ["phase", "calls", "wall", "s", "cpu", "s", "share"]
    assert lines[1].startswith("fit ")
    assert lines[2].startswith("  arrivals")
    assert lines[-1].split()[:3] == ["total", "2.00", "1.00"]


def test_a_phase_that_raises_is_still_timed():
    timer = PhaseTimer()
    try:
        with timer.phase("quality"):
            raise ValueError("bad row")
    except ValueError:
        pass
    assert timer.frame()["calls"].tolist() == [1]


def test_verbose_calibration_prints_every_phase(tmp_path):
    out = tmp_path / "model"
    args = ["calibrate", str(SHOP), "--mapping", str(SHOP / "shop.yaml"), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--as-of", "2025-01-01", "--verbose"])
    assert result.exit_code == 0, result.output
    shown = [re.split(r"\s{2,}", line.strip())[0] for line in result.stderr.splitlines()]
    for phase in (
        "import", "read", "quality", "fit", "arrivals", "payment", "open state",
        "write model, state, quality", "report", "total",
    ):  # fmt: skip
        assert phase in shown, result.stderr
    quiet = CliRunner().invoke(cli, [*args[:-1], str(tmp_path / "quiet"), "--as-of", "2025-01-01"])
    assert quiet.exit_code == 0 and "cpu s" not in quiet.output
