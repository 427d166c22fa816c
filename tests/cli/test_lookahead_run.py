"""``twin run`` of a scenario with ``report.lookahead_weeks`` writes the weekly tables, the chart
and the forecast page in ``report.pdf``; week 1 opens on the state to the unit and the cent.

One run of a small hand-written state (always), and one of ``scenarios/lookahead.yaml`` from the
sample's state folder (slow; skipped until ``calibration/models/sample/state`` is written).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from lookahead_state import ON_HAND, RECEIVABLES, lookahead_scenario, write_small_state

from twin.cli import cli
from twin.reports.document import write_report
from twin.tables import LOOKAHEAD_COLUMNS, LOOKAHEAD_MEASURES, LOOKAHEAD_WEEK_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
LOOKAHEAD = ROOT / "scenarios" / "lookahead.yaml"
PAGE = re.compile(rb"/Type\s*/Page(?!s)")


def run(scenario: Path, out: Path, replications: int, *extra: str) -> None:
    args = ["run", str(scenario), "--out", str(out), "--replications", str(replications)]
    result = CliRunner().invoke(cli, [*args, "--quiet", *extra])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"


def check_tables(out: Path, weeks: int, on_hand: float, receivables: float) -> pd.DataFrame:
    """The look-ahead tables are there with their columns, and week 1 opens on the state."""
    table = pd.read_csv(out / "lookahead.csv")
    assert list(table.columns) == list(LOOKAHEAD_COLUMNS)
    assert sorted(table["week"].unique()) == list(range(1, weeks + 1))
    per_run = pd.read_csv(out / "lookahead_replications.csv")
    measures = [name for name, *_ in LOOKAHEAD_MEASURES]
    assert list(per_run.columns) == [*LOOKAHEAD_WEEK_COLUMNS, *measures]
    first = per_run[per_run["week"] == 1]
    assert (first["on_hand_opening_units"] == on_hand).all()
    assert (first["receivables_opening"] - receivables).abs().max() < 0.005
    opening = table[(table["week"] == 1) & (table["measure"] == "on_hand_opening_units")]
    assert opening[["mean", "band_low", "band_high"]].to_numpy().tolist() == [[on_hand] * 3]
    return table


def check_report(out: Path) -> None:
    """The chart and the PDF are there, the PDF with the forecast page and chart."""
    assert (out / "lookahead.png").is_file() and (out / "report.pdf").is_file()
    # the forecast page and the look-ahead chart's page: two pages more than without them
    pages = len(PAGE.findall((out / "report.pdf").read_bytes()))
    (out / "lookahead.csv").unlink()
    write_report(out)
    assert len(PAGE.findall((out / "report.pdf").read_bytes())) == pages - 2


def small_scenario(tmp_path: Path) -> Path:
    write_small_state(tmp_path / "state")
    scenario = tmp_path / "small-lookahead.yaml"
    data = lookahead_scenario(Path("state"), weeks=2, horizon=14.0)  # relative to the file
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    return scenario


def test_run_writes_the_lookahead_tables_of_a_small_state(tmp_path: Path) -> None:
    run(small_scenario(tmp_path), tmp_path / "run", 2, "--no-report")
    check_tables(tmp_path / "run", 2, sum(ON_HAND.values()), sum(RECEIVABLES))
    assert not (tmp_path / "run" / "lookahead.png").exists()


@pytest.mark.slow
def test_run_draws_the_forecast_page_and_chart(tmp_path: Path) -> None:
    run(small_scenario(tmp_path), tmp_path / "run", 2)
    check_report(tmp_path / "run")


@pytest.mark.slow
def test_run_writes_the_13_week_lookahead_of_the_sample(tmp_path: Path) -> None:
    state = LOOKAHEAD.parent / yaml.safe_load(LOOKAHEAD.read_text())["initial_state"]
    if not state.is_dir():
        pytest.skip(f"the sample's open state {state} is not written yet")
    run(LOOKAHEAD, tmp_path / "run", replications=2)
    on_hand = float(pd.read_parquet(state / "stock.parquet")["on_hand"].sum())
    receivables = float(pd.read_parquet(state / "receivables.parquet")["amount_open"].sum())
    assert {"stock", "service", "cash"} == set(
        pd.read_csv(tmp_path / "run" / "lookahead.csv")["block"]
    )
    check_tables(tmp_path / "run", 13, on_hand, receivables)
    check_report(tmp_path / "run")
