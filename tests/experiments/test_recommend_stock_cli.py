"""``twin recommend-stock``: bad input, the files it writes, and the Odoo rules' meaning.

The end-to-end runs use a three-SKU scenario over 120 days with two replications (about a
second each), so they check plumbing, not precision; the sample model's fill rate on target is
the slow test in ``test_recommend_stock_sample.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from twin.cli import cli
from twin.experiments.recommend_stock import parse_target
from twin.experiments.recommend_stock_levels import today_rules
from twin.experiments.recommend_stock_output import orderpoints
from twin.model.catalogue import Catalogue
from twin.model.policies import BaseStock, MinMax, ReorderPointQuantity
from twin.scenario.loader import load
from twin.scenario.schema import Scenario

SMALL = {
    "name": "small",
    "run": {
        "start_date": "2026-01-05",
        "horizon_days": 120,
        "warmup_days": 20,
        "replications": 2,
        "seed": 7,
    },
    "products": [
        {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme"},
        {"sku": "B", "unit_cost": 4.0, "price": 6.0, "supplier": "acme"},
        {"sku": "C", "unit_cost": 25.0, "price": 40.0, "supplier": "overseas"},
    ],
    "suppliers": {
        "acme": {"lead_time_days": {"dist": "gamma", "shape": 8.0, "scale": 0.5}},
        "overseas": {"lead_time_days": {"dist": "lognormal", "mean": 20.0, "sd": 4.0}},
    },
    "segments": {
        "shop": {
            "customers": 50,
            "arrivals": {"kind": "poisson", "rate_per_day": 20.0},
            "lines_per_order": {"dist": "poisson", "mean": 1.5},
            "sku_mix": {"kind": "weights", "weights": {"A": 5, "B": 3, "C": 2}},
            "quantity": {"dist": "negative_binomial", "mean": 3.0, "dispersion": 2.0},
            "payment": {"terms_days": 30.0, "delay_days": 10.0, "default_probability": 0.0},
            "promised_lead_time_days": 5.0,
            "transit_days": 2.0,
        }
    },
    "inventory": {
        "default": {
            "policy": {"kind": "min_max", "reorder_point_days": 5, "order_up_to_days": 15},
            "review": {"kind": "continuous"},
            "shortage": "backorder",
        },
        "suppliers": {
            "overseas": {
                "policy": {"kind": "base_stock", "level_days": 30},
                "review": {"kind": "periodic", "period_days": 7},
            }
        },
    },
    "costs": {
        "holding": {"annual_rate": 0.25},
        "ordering": {"per_order": 50.0},
        "backorder": {"per_unit": 1.0, "per_unit_day": 0.1},
    },
}


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, ["recommend-stock", *args], catch_exceptions=False)


@pytest.mark.parametrize(
    ("target", "named"),
    [
        ("otif_rate=0.9", "unknown target KPI 'otif_rate'"),
        ("fill_rate=1.2", "strictly between 0 and 1"),
        ("fill_rate=0", "strictly between 0 and 1"),
        ("fill_rate=lots", "strictly between 0 and 1"),
        ("fill_rate", "strictly between 0 and 1"),
        ("cost=3", "cost takes no value"),
    ],
)
def test_a_bad_target_exits_2_naming_it(tmp_path: Path, target: str, named: str) -> None:
    scenario = write(tmp_path / "small.yaml", SMALL)
    result = invoke(str(scenario), "--target", target, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "--target" in result.output and named in result.output
    assert not (tmp_path / "out").exists()


def test_a_missing_input_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = invoke(str(missing), "--target", "fill_rate=0.97")
    assert result.exit_code == 2
    assert str(missing) in result.output and "not found" in result.output
    empty = tmp_path / "folder"
    empty.mkdir()
    result = invoke(str(empty), "--target", "fill_rate=0.97")
    assert result.exit_code == 2
    assert "holds no model.yaml" in result.output


def test_parse_target() -> None:
    assert parse_target("fill_rate=0.97").value == pytest.approx(0.97)
    assert parse_target(" cost").kpi == "cost"


def odoo_quantity(position: int, low: int, high: int, multiple: int) -> int:
    """Odoo's reordering rule: below the minimum, order up to the maximum, rounded up to a
    multiple."""
    if position >= low:
        return 0
    wanted = high - position
    return math.ceil(wanted / multiple) * multiple


@pytest.mark.parametrize(
    ("row", "policy"),
    [
        ({"policy": "min_max", "reorder_point": 12, "order_up_to": 40}, MinMax(12, 40)),
        ({"policy": "base_stock", "level": 25}, BaseStock(25)),
        (
            {"policy": "reorder_point_quantity", "reorder_point": 9, "quantity": 12},
            ReorderPointQuantity(9, 12),
        ),
    ],
)
def test_orderpoints_order_what_the_twin_orders(row: dict, policy) -> None:
    rows = pd.DataFrame([{"sku": "X", "review": "continuous", **row}])
    rule = orderpoints(rows, "WH", "WH/Stock").iloc[0]
    assert (rule["warehouse_id"], rule["location_id"], rule["trigger"]) == (
        "WH",
        "WH/Stock",
        "auto",
    )
    for position in range(-30, 80):
        odoo = odoo_quantity(
            position,
            int(rule["product_min_qty"]),
            int(rule["product_max_qty"]),
            int(rule["qty_multiple"]),
        )
        assert odoo == policy.order_quantity(position), position


def resolved(scenario: Scenario) -> list[tuple]:
    rules = today_rules(scenario, Catalogue.from_scenario(scenario))
    return [(r.policy, r.review_period_days, r.backorder) for r in rules]


def test_recommend_stock_writes_an_overlay_that_stocks_at_the_levels(tmp_path: Path) -> None:
    scenario_file = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "rec"
    result = invoke(
        str(scenario_file), "--target", "fill_rate=0.9", "--out", str(out), "--tolerance", "0.2"
    )
    assert result.exit_code == 0, result.output
    assert "Recommended levels (fill_rate=0.9, on target)" in result.output
    for name in (
        "recommended.yaml",
        "recommended_rules.csv",
        "orderpoints.csv",
        "levels.csv",
        "summary.csv",
        "iterations.csv",
        "recommendation.json",
    ):
        assert (out / name).is_file(), name
    levels = pd.read_csv(out / "levels.csv")
    rules = pd.read_csv(out / "recommended_rules.csv")
    overlay = load(Scenario, out / "recommended.yaml")
    assert overlay.inventory.skus_file is not None
    expected = []
    for row in levels.itertuples():
        if row.policy == "base_stock":
            expected.append(BaseStock(int(row.order_up_to)))
        else:
            expected.append(MinMax(int(row.reorder_point), int(row.order_up_to)))
    got = resolved(overlay)
    assert [g[0] for g in got] == expected
    # review and shortage as before: C is reviewed weekly
    base = load(Scenario, scenario_file)
    assert [g[1:] for g in got] == [b[1:] for b in resolved(base)]
    assert rules["sku"].tolist() == ["A", "B", "C"]
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["rules"]) == {"today", "recommended"}
    assert (summary["sku"] == "TOTAL").sum() == 2
    iterations = pd.read_csv(out / "iterations.csv")
    assert iterations["rules"].iloc[0] == "today" and iterations["chosen"].sum() == 1
    chosen = iterations[iterations["chosen"]].iloc[0]
    assert abs(chosen["fill_rate"] - 0.9) <= 0.2
    total = summary[(summary["sku"] == "TOTAL") & (summary["rules"] == "recommended")].iloc[0]
    assert total["fill_rate"] == pytest.approx(chosen["fill_rate"])


@pytest.mark.slow
def test_recommend_stock_is_reproducible(tmp_path: Path) -> None:
    """The same input gives the same levels, from the folder's result store or afresh."""
    scenario_file = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "rec"
    args = (str(scenario_file), "--target", "fill_rate=0.9", "--tolerance", "0.2", "--quiet")
    first = invoke(*args, "--out", str(out))
    rules = (out / "recommended_rules.csv").read_text()
    assert (out / ".store").is_dir()
    second = invoke(*args, "--out", str(out))
    assert first.exit_code == second.exit_code == 0
    assert (out / "recommended_rules.csv").read_text() == rules
    again = invoke(*args, "--out", str(tmp_path / "fresh"))
    assert (tmp_path / "fresh" / "recommended_rules.csv").read_text() == rules
    assert again.output.splitlines()[0] == first.output.splitlines()[0]


@pytest.mark.slow
def test_inline_sku_rules_of_the_base_are_replaced_inline(tmp_path: Path) -> None:
    """A base with inline inventory.skus gets inline rules, their days keys nulled."""
    data = {**SMALL, "inventory": {**SMALL["inventory"]}}
    data["inventory"]["skus"] = {
        "A": {"policy": {"kind": "min_max", "reorder_point_days": 4, "order_up_to_days": 20}}
    }
    scenario_file = write(tmp_path / "inline.yaml", data)
    out = tmp_path / "rec"
    result = invoke(
        str(scenario_file), "--target", "fill_rate=0.85", "--out", str(out), "--tolerance", "0.3"
    )
    assert result.exit_code == 0, result.output
    overlay_data = yaml.safe_load((out / "recommended.yaml").read_text())
    assert set(overlay_data["inventory"]["skus"]) == {"A", "B", "C"}
    overlay = load(Scenario, out / "recommended.yaml")
    levels = pd.read_csv(out / "levels.csv")
    a = resolved(overlay)[0][0]
    assert a == MinMax(int(levels["reorder_point"][0]), int(levels["order_up_to"][0]))


def test_eoq_needs_costs(tmp_path: Path) -> None:
    data = {key: value for key, value in SMALL.items() if key != "costs"}
    scenario_file = write(tmp_path / "nocost.yaml", data)
    result = invoke(
        str(scenario_file),
        "--target",
        "fill_rate=0.9",
        "--quantity",
        "eoq",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 2
    assert "--quantity eoq" in result.output and "costs.ordering.per_order" in result.output


def test_levels_rise_with_the_target(tmp_path: Path) -> None:
    from twin.experiments.recommend_stock_demand import sku_demand
    from twin.experiments.recommend_stock_levels import analytic_levels, order_quantities

    scenario = load(Scenario, write(tmp_path / "small.yaml", SMALL))
    catalogue = Catalogue.from_scenario(scenario)
    rules = today_rules(scenario, catalogue)
    demand = sku_demand(scenario, catalogue)
    q = order_quantities(scenario, catalogue, rules, demand, "current")
    low = analytic_levels(rules, demand, q, 0.9, "gamma")
    high = analytic_levels(rules, demand, q, 0.99, "gamma")
    assert (high["order_up_to"] >= low["order_up_to"]).all()
    assert (high["order_up_to"] > low["order_up_to"]).any()
    assert np.all(high["analytic_fill_rate"] >= 0.99)


@pytest.mark.slow
def test_a_cost_target_picks_the_cheapest_candidate(tmp_path: Path) -> None:
    scenario_file = write(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "rec"
    result = invoke(
        str(scenario_file), "--target", "cost", "--out", str(out), "--max-evaluations", "3"
    )
    assert result.exit_code == 0, result.output
    assert "the least simulated stock cost of 3 candidates" in result.output
    iterations = pd.read_csv(out / "iterations.csv")
    candidates = iterations[iterations["rules"] != "today"]
    assert len(candidates) == 3
    assert (
        candidates.loc[candidates["chosen"], "stock_cost"].iloc[0] == candidates["stock_cost"].min()
    )


def test_a_cost_target_needs_costs(tmp_path: Path) -> None:
    data = {key: value for key, value in SMALL.items() if key != "costs"}
    scenario_file = write(tmp_path / "nocost.yaml", data)
    result = invoke(str(scenario_file), "--target", "cost", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "--target cost" in result.output and "costs.holding.annual_rate" in result.output
