"""The open-state folder and the ``initial_state`` key: a bad folder, table, column or row, or a
state that does not fit the scenario, is an input error naming the file, column and row, and
``twin run`` exits 2 with it, never a traceback."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import TINY, deep_merge
from state_folder import write_state

from twin.cli import cli
from twin.errors import InputError
from twin.scenario.initial_state import STATE_TABLES, read_state
from twin.scenario.schema import Scenario

STOCK = [{"sku": "A", "location": "", "on_hand": 3, "method": "snapshot"}]
PO = {
    "po_id": "P1",
    "sku": "A",
    "supplier_id": "acme",
    "ordered_at": "2026-01-01",
    "quantity_ordered": 10,
    "quantity_received": 0,
    "quantity_open": 10,
    "expected_at": "2026-01-07",
    "expected_source": "erp",
}
LINE = {
    "order_id": "O1",
    "line_no": 1,
    "customer_id": "C1",
    "segment": "shop",
    "sku": "A",
    "quantity_open": 2,
    "unit_price": 20.0,
    "ordered_at": "2026-01-02",
    "promised_at": None,
}


def test_a_good_folder_reads_back(tmp_path: Path) -> None:
    state = read_state(write_state(tmp_path / "s", stock=STOCK, purchase_orders=[PO]))
    assert state.as_of == dt.date(2026, 1, 5)
    assert state.currency == "EUR"
    assert list(state.tables) == list(STATE_TABLES)
    assert state.days(state.tables["purchase_orders"]["ordered_at"]).tolist() == [-4.0]


def bad(folder: Path, **changes: Any) -> Path:
    tables = {"stock": STOCK, "purchase_orders": [PO], "backlog": [LINE], **changes}
    return write_state(folder, **tables)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (
            {"backlog": [{**LINE, "quantity_open": -2}]},
            r"backlog\.parquet: column 'quantity_open', row 1: -2\.0, expected a whole number "
            r"of units > 0",
        ),
        (
            {"backlog": [LINE, {**LINE, "line_no": 2, "quantity_open": 1.5}]},
            r"backlog\.parquet: column 'quantity_open', row 2: 1\.5, expected a whole number",
        ),
        (
            {"backlog": [LINE, LINE]},
            r"backlog\.parquet: row 2: order_id='O1', line_no=1\.0 is given twice",
        ),
        (
            {"backlog": [{**LINE, "ordered_at": "2026-01-05"}]},
            r"backlog\.parquet: column 'ordered_at', row 1: '2026-01-05', expected a time "
            r"before the as-of date 2026-01-05",
        ),
        (
            {"backlog": [{**LINE, "sku": ""}]},
            r"backlog\.parquet: column 'sku', row 1: '', expected a non-empty string id",
        ),
        (
            {"purchase_orders": [{**PO, "expected_source": "guess"}]},
            r"purchase_orders\.parquet: column 'expected_source', row 1: 'guess', expected erp "
            r"or fitted_lead_time",
        ),
        (
            {"purchase_orders": [{**PO, "quantity_received": 5}]},
            r"purchase_orders\.parquet: column 'quantity_open', row 1: 10\.0, expected at most "
            r"quantity_ordered - quantity_received",
        ),
    ],
)
def test_a_bad_row_is_named(tmp_path: Path, change: dict, pattern: str) -> None:
    folder = bad(tmp_path / "s", **change)
    with pytest.raises(InputError, match=pattern):
        read_state(folder)


def test_missing_folder_table_column_and_count(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"initial_state .*nowhere: no such folder"):
        read_state(tmp_path / "nowhere")
    folder = bad(tmp_path / "s")
    (folder / "tickets.parquet").unlink()
    with pytest.raises(InputError, match=r"tickets\.parquet: missing; every table is written"):
        read_state(folder)
    folder = bad(tmp_path / "t")
    frame = pd.read_parquet(folder / "stock.parquet").drop(columns="method")
    frame.to_parquet(folder / "stock.parquet")
    with pytest.raises(InputError, match=r"stock\.parquet: lacks column\(s\) method"):
        read_state(folder)
    folder = bad(tmp_path / "u")
    frame = pd.read_parquet(folder / "stock.parquet")
    pd.concat([frame, frame.assign(sku="B")]).to_parquet(folder / "stock.parquet")
    with pytest.raises(InputError, match=r"stock\.parquet: has 2 rows but state\.yaml says"):
        read_state(folder)
    folder = bad(tmp_path / "v")
    frame = pd.read_parquet(folder / "stock.parquet").assign(sku=[7])
    frame.to_parquet(folder / "stock.parquet")
    with pytest.raises(InputError, match=r"column 'sku', row 1: 7, expected a non-empty string"):
        read_state(folder)
    folder = bad(tmp_path / "w")
    (folder / "state.yaml").write_text("as_of: soon\n")
    with pytest.raises(InputError, match=r"state\.yaml: as_of: 'soon', expected a date"):
        read_state(folder)


def scenario_with(folder: Path, **patch: Any) -> Scenario:
    return Scenario.model_validate(deep_merge(TINY, {"initial_state": str(folder), **patch}))


def test_the_state_must_fit_the_scenario(tmp_path: Path) -> None:
    folder = bad(tmp_path / "s")
    assert scenario_with(folder).open_state.as_of == dt.date(2026, 1, 5)
    data = deep_merge(TINY, {"initial_state": str(folder)})
    del data["run"]["start_date"]  # taken from the state
    assert Scenario.model_validate(data).run.start_date == dt.date(2026, 1, 5)
    with pytest.raises(InputError, match=r"run\.start_date: 2026-01-06, but initial_state"):
        scenario_with(folder, run={"start_date": "2026-01-06"})
    with pytest.raises(InputError, match=r"run\.warmup_days: 5, but a run from initial_state"):
        scenario_with(folder, run={"warmup_days": 5})
    unknown = bad(tmp_path / "t", backlog=[{**LINE, "segment": "web"}])
    with pytest.raises(
        InputError,
        match=r"backlog\.parquet: column 'segment', row 1: 'web', expected one of the "
        r"scenario's segments",
    ):
        scenario_with(unknown)


def test_twin_run_exits_2_naming_file_column_and_row(tmp_path: Path) -> None:
    bad(tmp_path / "state", stock=[{**STOCK[0], "on_hand": -1}])
    scenario = tmp_path / "s.yaml"
    small = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"
    scenario.write_text(
        f"extends: {small}\ninitial_state: state\nrun: {{warmup_days: 0}}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(
        r"initial_state .*state: stock\.parquet: column 'on_hand', row 1: -1\.0, expected a "
        r"whole number of units >= 0",
        result.output,
    ), result.output
