"""Per-SKU files beside a scenario: a segment's SKU mix and single SKUs' stocking rules.

A file gives exactly the run its inline spelling gives; a bad file is an input error naming the
file, the row and the column; the scenario hash follows the files' contents.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from twin.errors import InputError
from twin.experiments.jobs import scenario_hash
from twin.model.network import run_replication
from twin.scenario.inventory import InventoryRule
from twin.scenario.schema import Scenario
from twin.scenario.sku_files import read_sku_rules, read_sku_weights

WEIGHTS = {"A": 5.0, "B": 0.0, "C": 2.5}
RULES = {
    "A": {"policy": {"kind": "min_max", "reorder_point": 4, "order_up_to": 20}},
    "C": {
        "policy": {"kind": "reorder_point_quantity", "reorder_point_days": 3.0, "quantity": 7},
        "review": {"kind": "periodic", "period_days": 7.0},
        "shortage": "lost_sale",
    },
}
RULE_ROWS = [
    {"sku": "A", "policy": "min_max", "reorder_point": 4, "order_up_to": 20},
    {
        "sku": "C",
        "policy": "reorder_point_quantity",
        "reorder_point_days": 3.0,
        "quantity": 7,
        "review": "periodic",
        "period_days": 7.0,
        "shortage": "lost_sale",
    },
]


def scenario(**changes: Any) -> dict[str, Any]:
    """Three SKUs, one segment of Poisson orders, 60 days."""
    data: dict[str, Any] = {
        "name": "three-skus",
        "run": {"start_date": "2026-01-05", "horizon_days": 60.0, "seed": 3},
        "products": [
            {"sku": sku, "unit_cost": 10.0, "price": 15.0, "supplier": "acme"}
            for sku in ("A", "B", "C")
        ],
        "suppliers": {"acme": {"lead_time_days": {"dist": "exponential", "mean": 4.0}}},
        "segments": {
            "shop": {
                "arrivals": {"kind": "poisson", "rate_per_day": 6.0},
                "lines_per_order": {"dist": "poisson", "mean": 2.0},
                "quantity": {"dist": "poisson", "mean": 3.0},
                "sku_mix": {"kind": "weights", "weights": WEIGHTS},
            }
        },
        "inventory": {
            "default": {
                "policy": {"kind": "base_stock", "level": 12},
                "review": {"kind": "continuous"},
                "shortage": "backorder",
            },
            "skus": RULES,
        },
    }
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return data


@pytest.fixture
def files(tmp_path):
    weights = tmp_path / "mix.csv"
    pd.DataFrame({"sku": list(WEIGHTS), "weight": list(WEIGHTS.values())}).to_csv(
        weights, index=False
    )
    rules = tmp_path / "rules.parquet"
    pd.DataFrame(RULE_ROWS).to_parquet(rules)
    return weights, rules


def test_files_give_the_run_the_inline_keys_give(files):
    weights, rules = files
    inline = Scenario.model_validate(scenario())
    from_files = Scenario.model_validate(
        scenario(
            **{
                "segments.shop.sku_mix": {"kind": "weights", "weights_file": str(weights)},
                "inventory.skus": None,
                "inventory.skus_file": str(rules),
            }
        )
    )
    assert from_files.inventory.sku_rules() == inline.inventory.sku_rules()
    assert from_files.segments["shop"].sku_mix.weight_map() == WEIGHTS
    a, b = run_replication(inline, 0), run_replication(from_files, 0)
    assert len(a.tables["orders"]) > 300
    for name, table in a.tables.items():
        pd.testing.assert_frame_equal(table, b.tables[name], obj=name)


def test_the_effective_scenario_names_the_files_rather_than_copying_them(files):
    weights, rules = files
    s = Scenario.model_validate(
        scenario(
            **{
                "segments.shop.sku_mix": {"kind": "weights", "weights_file": str(weights)},
                "inventory.skus": None,
                "inventory.skus_file": str(rules),
            }
        )
    )
    dumped = s.model_dump(mode="json")
    assert dumped["segments"]["shop"]["sku_mix"]["weights"] is None
    assert dumped["inventory"]["skus"] == {}
    assert dumped["inventory"]["skus_file"] == str(rules)


def test_the_scenario_hash_follows_the_files_contents(files):
    weights, _ = files
    data = scenario(**{"segments.shop.sku_mix": {"kind": "weights", "weights_file": str(weights)}})
    before = scenario_hash(Scenario.model_validate(data))
    assert scenario_hash(Scenario.model_validate(data)) == before
    pd.DataFrame({"sku": ["A", "C"], "weight": [5.0, 2.0]}).to_csv(weights, index=False)
    assert scenario_hash(Scenario.model_validate(data)) != before


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"sku": ["A"], "share": [1.0]}, r"lacks column\(s\) weight"),
        ({"sku": ["A"], "weight": [1.0], "x": [2]}, r"unknown column\(s\) x"),
        ({"sku": ["A", ""], "weight": [1.0, 2.0]}, r"row 2, column sku: the SKU is missing"),
        ({"sku": ["A", "A"], "weight": [1.0, 2.0]}, r"row 2, column sku: SKU 'A' is listed again"),
        ({"sku": ["A", "C"], "weight": [1.0, -2.0]}, r"row 2, column weight: expected a number"),
        ({"sku": ["A", "C"], "weight": [1.0, "many"]}, r"row 2, column weight: .*'many'"),
        ({"sku": ["A", "C"], "weight": [0.0, 0.0]}, r"every weight is 0"),
        ({"sku": [], "weight": []}, r"has no rows"),
    ],
)
def test_a_bad_weights_file_names_file_row_and_column(tmp_path, frame, message):
    path = tmp_path / "mix.csv"
    pd.DataFrame(frame).to_csv(path, index=False)
    with pytest.raises(InputError, match=message) as raised:
        read_sku_weights(path)
    assert str(path) in str(raised.value)


def test_a_weights_file_naming_an_unknown_sku_is_refused(tmp_path):
    path = tmp_path / "mix.csv"
    pd.DataFrame({"sku": ["A", "Z"], "weight": [1.0, 1.0]}).to_csv(path, index=False)
    data = scenario(**{"segments.shop.sku_mix": {"kind": "weights", "weights_file": str(path)}})
    with pytest.raises(ValidationError, match=r"weights_file: .* 1 SKU\(s\) not in products.*'Z'"):
        Scenario.model_validate(data)


def test_weights_inline_and_from_a_file_are_refused(files):
    weights, _ = files
    mix = {"kind": "weights", "weights": WEIGHTS, "weights_file": str(weights)}
    with pytest.raises(ValidationError, match="not both"):
        Scenario.model_validate(scenario(**{"segments.shop.sku_mix": mix}))


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"nowhere.csv.*not found|not found.*nowhere.csv"):
        read_sku_weights(tmp_path / "nowhere.csv")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"sku": "A", "reorder_point": 4}, r"row 1 \(SKU 'A'\): reorder_point given without"),
        ({"sku": "A", "policy": "magic", "level": 3}, r"row 1 \(SKU 'A'\): policy"),
        ({"sku": "A", "policy": "base_stock", "level": 2.5}, r"whole number of units, got 2.5"),
        ({"sku": "A", "policy": "base_stock"}, r"give exactly one of 'level'"),
        ({"sku": "A", "period_days": 7}, r"period_days given without a review"),
        ({"sku": "A", "shortage": "sometimes"}, r"row 1 \(SKU 'A'\): shortage"),
        (
            {"sku": "A", "policy": "min_max", "reorder_point": 9, "order_up_to": 5},
            r"reorder_point \(9\) must be below order_up_to",
        ),
    ],
)
def test_a_bad_rules_row_names_file_row_and_field(tmp_path, row, message):
    path = tmp_path / "rules.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    with pytest.raises(InputError, match=message) as raised:
        read_sku_rules(path, InventoryRule.model_validate)
    assert str(path) in str(raised.value)


def test_a_sku_ruled_inline_and_in_the_file_is_refused(files):
    _, rules = files
    with pytest.raises(ValidationError, match=r"SKU\(s\) A, C also have a rule in inventory.skus"):
        Scenario.model_validate(scenario(**{"inventory.skus_file": str(rules)}))


def test_a_rules_file_naming_an_unknown_sku_is_refused(tmp_path):
    path = tmp_path / "rules.csv"
    pd.DataFrame([{"sku": "Q", "shortage": "lost_sale"}]).to_csv(path, index=False)
    data = scenario(**{"inventory.skus": None, "inventory.skus_file": str(path)})
    with pytest.raises(ValidationError, match=r"skus_file: .* not in products, e.g. 'Q'"):
        Scenario.model_validate(data)
