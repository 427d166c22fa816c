"""Scenario errors in a planner's words: the file and line, the key path, and what the key takes
(its unit and description from the schema), never the validation library's wording.

Each case writes a scenario that extends the CLI's small fixture with one wrong key, loads it
and matches the one line of the report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin.errors import InputError
from twin.scenario.loader import load
from twin.scenario.planner_words import DISTRIBUTION_EXAMPLE, unit_of, what_it_takes
from twin.scenario.schema import Scenario

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"

DIST = re.escape(DISTRIBUTION_EXAMPLE)

CASES = [
    (
        "suppliers: {acme: {lead_time_days: '5 days'}}",
        rf"line 3: suppliers\.acme\.lead_time_days: expected a number of days, or a distribution "
        rf"such as {DIST} \(Days from purchase order to receipt\) \(got '5 days'\)$",
    ),
    (
        "run: {replications: abc}",
        r"line 3: run\.replications: expected a whole number, at least 1 "
        r"\(Independent replications to run\) \(got 'abc'\)$",
    ),
    ("run: {replications: 2.5}", r"line 3: run\.replications: expected a whole number, at least 1"),
    (
        "run: {horizon_days: -3}",
        r"line 3: run\.horizon_days: must be more than 0 days \(Simulated length",
    ),
    (
        "run: {start_date: '2026-13-01'}",
        r"line 3: run\.start_date: expected a date written YYYY-MM-DD, e\.g\. 2026-01-05",
    ),
    (
        "run: {parameter_uncertainty: maybe}",
        r"line 3: run\.parameter_uncertainty: expected true or false",
    ),
    (
        "inventory: {default: {shortage: sometimes}}",
        r"line 3: inventory\.default\.shortage: expected one of: 'backorder', 'lost_sale' "
        r"\(got 'sometimes'\)$",
    ),
    (
        "segments: {shop: {quantity: {dist: gamma, mean: 5}}}",
        r"line 3: segments\.shop\.quantity: a gamma distribution takes shape and scale "
        r"\(see docs/distributions\.md\), not 'mean'$",
    ),
    (
        "segments: {shop: {quantity: {dist: weibul, shape: 2}}}",
        r"line 3: segments\.shop\.quantity: unknown dist 'weibul'; expected one of: constant, "
        r"uniform, .*weibull",
    ),
    (
        "suppliers: {other: {lead_time_days: {mean: 5}}}",
        rf"line 3: suppliers\.other\.lead_time_days: expected a number of days, or a distribution "
        rf"such as {DIST}; a mapping here needs a 'dist' key",
    ),
    (
        "staffing: {order_desk: {minutes_per_order: quick}}",
        rf"staffing\.order_desk\.minutes_per_order: expected a number of minutes, or a "
        rf"distribution such as {DIST}",
    ),
    (
        "staffing: {order_desk: {headcount: 0}}",
        r"line 3: staffing\.order_desk\.headcount: must be at least 1",
    ),
    (
        "costs: {holding: {annual_rate: .nan}}",
        r"line 3: costs\.holding\.annual_rate: must be a finite number, not NaN or infinity",
    ),
    (
        "inventory: {default: {policy: {kind: fancy}}}",
        r"line 3: inventory\.default\.policy: unknown kind 'fancy'; expected one of: base_stock, "
        r"min_max, reorder_point_quantity",
    ),
    (
        "segments: {shop: 3}",
        r"line 3: segments\.shop: expected a mapping with the keys customers, arrivals, ",
    ),
    (
        "run: {colour: red}",
        r"line 3: run\.colour: unknown key 'colour'; expected one of: start_date, horizon_days",
    ),
]


def scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {SMALL}\nname: s\n{body}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "message"), CASES, ids=[body for body, _ in CASES])
def test_a_wrong_key_is_told_in_planner_words(tmp_path: Path, body: str, message: str) -> None:
    path = scenario(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load(Scenario, path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"Invalid scenario {path} (1 error):"
    assert len(lines) == 2, lines
    assert lines[1].startswith(f"  {path}, "), lines[1]
    assert re.search(message, lines[1]), lines[1]
    assert "Input should" not in lines[1]


def test_a_missing_products_file_names_the_scenario_file_and_line(tmp_path: Path) -> None:
    path = scenario(tmp_path, "products: null\nproducts_file: nowhere.csv")
    with pytest.raises(InputError) as caught:
        load(Scenario, path)
    assert str(caught.value) == (
        f"{path}, line 4: products_file {tmp_path / 'nowhere.csv'}: file not found"
    )


def test_give_x_or_y_not_both_says_how_to_clear_the_inherited_one(tmp_path: Path) -> None:
    csv = tmp_path / "products.csv"
    csv.write_text("sku,unit_cost,price,supplier\nA,1,2,acme\n", encoding="utf-8")
    path = scenario(tmp_path, "products_file: products.csv")
    with pytest.raises(InputError) as caught:
        load(Scenario, path)
    line = str(caught.value).splitlines()[1]
    assert line.startswith(f"  {path}, line 3: products_file: give products inline")
    assert f"'products' is set in {SMALL}, line 13" in line
    assert f"clear it with 'products: null' in {path} (or --set products=null)" in line
    # ... and that works
    path.write_text(path.read_text() + "products: null\n", encoding="utf-8")
    assert [p.sku for p in load(Scenario, path).products] == ["A"]


def test_both_in_one_file_asks_to_remove_one(tmp_path: Path) -> None:
    body = "products: [{sku: A, unit_cost: 1, price: 2, supplier: acme}]\nproducts_file: p.csv"
    with pytest.raises(InputError, match=r"not both; remove 'products' or 'products_file'"):
        load(Scenario, scenario(tmp_path, body))


def test_both_by_set_asks_to_drop_the_set(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'products' is set by --set products=\[.*drop it"):
        load(
            Scenario,
            scenario(tmp_path, ""),
            ["products=[{sku: A, unit_cost: 1, price: 2, supplier: acme}]", "products_file=p.csv"],
        )


def test_what_a_type_takes() -> None:
    assert what_it_takes(int) == "a whole number"
    assert what_it_takes(float, "transit_days") == "a number of days"
    assert what_it_takes(bool) == "true or false"
    assert what_it_takes(list[float]) == "a list of numbers"
    assert what_it_takes(dict[str, int]) == "a mapping of names to a whole number"
    assert unit_of("minutes_per_order") == "minutes"
    assert unit_of("cost_per_hour") is None
