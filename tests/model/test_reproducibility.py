"""Determinism, independence and common random numbers; and every shipped scenario file runs.

A replication is a pure function of (scenario, replication number): running it twice gives the
same tables, another replication number gives other ones, and two variants of a scenario that
change only a policy or staffing see exactly the same orders (common random numbers), because
demand is drawn from its own streams before the model runs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from twin.model.network import run_replication
from twin.records import COLUMNS
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

SHORT = ("run.horizon_days=30", "run.warmup_days=5")
DEMAND = ["t_arrival", "customer", "lines", "units"]


@pytest.fixture(scope="module")
def baseline(load_scenario) -> Scenario:
    return load_scenario("baseline.yaml", *SHORT)


@pytest.fixture(scope="module")
def replication_0(baseline):
    return run_replication(baseline, 0)


CORE_TABLES = {"purchases", "stock_changes", "shipments", "invoices", "staff_jobs", "orders"}


def test_the_same_replication_gives_identical_tables(baseline, replication_0):
    again = run_replication(baseline, 0)
    assert set(again.tables) == {*COLUMNS, "orders"}
    for name, frame in replication_0.tables.items():
        # the baseline has no levers on, so only the core tables have rows
        assert len(frame) > 0 or name not in CORE_TABLES, name
        pd.testing.assert_frame_equal(again.tables[name], frame, check_exact=True, obj=name)
    assert again.final_state == replication_0.final_state
    assert again.initial_on_hand.tolist() == replication_0.initial_on_hand.tolist()


def test_a_replication_does_not_depend_on_what_ran_before_it(baseline, replication_0):
    run_replication(baseline, 3)  # leaves no state behind (no module-level generators)
    again = run_replication(baseline, 0)
    pd.testing.assert_frame_equal(again.tables["invoices"], replication_0.tables["invoices"])


@pytest.mark.parametrize("other", ["replication", "seed"])
def test_another_replication_or_seed_gives_other_tables(
    load_scenario, baseline, replication_0, other
):
    if other == "replication":
        result = run_replication(baseline, 1)
    else:
        result = run_replication(load_scenario("baseline.yaml", *SHORT, "run.seed=7"), 0)
    for name in ("orders", "shipments", "invoices", "purchases", "staff_jobs"):
        with pytest.raises(AssertionError):
            pd.testing.assert_frame_equal(result.tables[name], replication_0.tables[name])
    orders, before = result.tables["orders"], replication_0.tables["orders"]
    # not a shifted copy either: the first arrival times differ
    assert orders["t_arrival"].iloc[0] != before["t_arrival"].iloc[0]
    # but the same demand in distribution: order counts within a few standard deviations
    assert abs(len(orders) - len(before)) < 5 * len(before) ** 0.5


@pytest.mark.parametrize(
    "change",
    [
        "inventory.suppliers.northwind.policy.order_up_to_days=40",
        "inventory.suppliers.far-east.policy.level_days=30",
        "staffing.order_desk.headcount=1",
        "staffing.warehouse.headcount=2",
        "fulfilment.mode=ship_complete",
        "inventory.default.shortage=lost_sale",
    ],
)
def test_variants_see_the_same_demand(load_scenario, replication_0, change):
    variant = load_scenario("baseline.yaml", *SHORT, change)
    result = run_replication(variant, 0)
    pd.testing.assert_frame_equal(
        result.tables["orders"][DEMAND], replication_0.tables["orders"][DEMAND]
    )
    # ... while what happens to the orders does change
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(result.tables["shipments"], replication_0.tables["shipments"])


# --------------------------------------------------------------------------- scenario files

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_FILES = sorted(
    path.relative_to(SCENARIOS).as_posix()
    for path in SCENARIOS.rglob("*.yaml")
    # sweep and optimisation definitions are not scenarios (they name a base and what to vary)
    if "sweep" not in path.name and "sweeps" not in path.parts and "optimise" not in path.parts
)


def test_there_are_scenario_files_to_check():
    assert {
        "baseline.yaml",
        "tests/tiny.yaml",
        "tests/mmc-queue.yaml",
        "tests/base-stock.yaml",
    } <= set(SCENARIO_FILES)


def missing_state(path: Path) -> Path | None:
    """The open-state folder a scenario file names when it is not there (the sample's state
    folder is written by `twin calibrate --as-of`, and lands with the calibrated sample)."""
    folder = yaml.safe_load(path.read_text(encoding="utf-8")).get("initial_state")
    if folder is None or (path.parent / folder).is_dir():
        return None
    return path.parent / folder


@pytest.mark.parametrize("relative", SCENARIO_FILES)
def test_every_scenario_file_loads_and_runs(relative):
    missing = missing_state(SCENARIOS / relative)
    if missing is not None:
        pytest.skip(f"{relative}: its open state {missing} is not written yet")
    scenario = load(
        Scenario,
        SCENARIOS / relative,
        ["run.horizon_days=20", "run.replications=1", "run.warmup_days=0"],
    )
    result = run_replication(scenario, 0)
    assert set(result.tables) == {*COLUMNS, "orders"}
