"""Drawn line prices in the model: nothing changes when they are the list prices, they move
revenue consistently, they are common random numbers, and promotions discount them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.kpis import compute_kpis
from twin.model.network import run_replication
from twin.scenario.prices import PRICE_COLUMNS, QUANTILE_COLUMNS

#: A right-skewed price around each SKU's list price: q_k = price x RELATIVE[k], mean 1.1 x price
RELATIVE = np.array([0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1, 1.2, 1.4, 3.0])


def prices_file(path, scenario, relative=None, mean_factor=1.0):
    """Write a prices file with one row per SKU for every segment; ``relative`` None: every
    quantile and the mean are the list price."""
    rows = []
    for product in scenario.products:
        quantiles = product.price * (np.ones(11) if relative is None else relative)
        rows.append(
            {
                "segment": "",
                "sku": product.sku,
                "lines": 100,
                "mean": product.price * mean_factor,
                **dict(zip(QUANTILE_COLUMNS, quantiles, strict=True)),
            }
        )
    pd.DataFrame(rows, columns=list(PRICE_COLUMNS)).to_parquet(path)
    return str(path)


@pytest.fixture(scope="module")
def baseline(load_scenario):
    return load_scenario("baseline.yaml", "run.horizon_days=40", "run.warmup_days=0")


def test_a_file_of_list_prices_changes_nothing(load_scenario, baseline, tmp_path):
    path = prices_file(tmp_path / "p.parquet", baseline)
    with_file = load_scenario(
        "baseline.yaml", "run.horizon_days=40", "run.warmup_days=0", f"prices_file={path}"
    )
    plain, drawn = run_replication(baseline, 0), run_replication(with_file, 0)
    for table in ("orders", "shipments", "invoices"):
        pd.testing.assert_frame_equal(plain.tables[table], drawn.tables[table], check_exact=True)
    assert compute_kpis(plain, baseline.costs) == compute_kpis(drawn, with_file.costs)


def test_drawn_prices_carry_into_order_value_shipments_and_invoices(load_scenario, tmp_path):
    scenario = load_scenario("baseline.yaml", "run.horizon_days=40", "run.warmup_days=0")
    path = prices_file(tmp_path / "p.parquet", scenario, RELATIVE, 1.1)
    drawn = load_scenario(
        "baseline.yaml", "run.horizon_days=40", "run.warmup_days=0", f"prices_file={path}"
    )
    plain_orders = run_replication(scenario, 0).tables["orders"]
    result = run_replication(drawn, 0)
    orders = result.tables["orders"]
    # the same orders (prices have their own stream), worth 1.1 x as much on average: over
    # about 15,000 lines the standard error of the ratio is under 0.5 %, so 2 % is 4 of them
    assert orders["units"].tolist() == plain_orders["units"].tolist()
    ratio = orders["value"].sum() / plain_orders["value"].sum()
    assert ratio == pytest.approx(1.1, rel=0.02)
    assert not np.allclose(orders["value"], plain_orders["value"] * ratio)
    # what is shipped is invoiced at the drawn prices: a fully delivered order's invoices add
    # up to its value
    invoiced = result.tables["invoices"].groupby("order_id")["amount"].sum()
    done = orders[(orders["units_delivered"] == orders["units"]) & (orders["units"] > 0)]
    np.testing.assert_allclose(invoiced[done["order_id"]].to_numpy(), done["value"].to_numpy())


def test_drawn_prices_are_common_random_numbers(load_scenario, tmp_path):
    scenario = load_scenario("baseline.yaml", "run.horizon_days=30", "run.warmup_days=0")
    path = prices_file(tmp_path / "p.parquet", scenario, RELATIVE, 1.1)
    common = ("run.horizon_days=30", "run.warmup_days=0", f"prices_file={path}")
    one = load_scenario("baseline.yaml", *common)
    # another stocking policy: other fills and shipments, the same orders at the same prices
    other = load_scenario(
        "baseline.yaml", *common, "inventory.suppliers.northwind.policy.order_up_to_days=40"
    )
    a, b = run_replication(one, 0), run_replication(other, 0)
    assert a.tables["shipments"]["t_ready"].tolist() != b.tables["shipments"]["t_ready"].tolist()
    assert a.tables["orders"]["value"].tolist() == b.tables["orders"]["value"].tolist()
    again = run_replication(one, 0)
    assert a.tables["orders"]["value"].tolist() == again.tables["orders"]["value"].tolist()
    later = run_replication(one, 1).tables["orders"]["value"]
    assert not np.array_equal(a.tables["orders"]["value"].to_numpy()[:50], later.to_numpy()[:50])


def test_a_promotion_discounts_the_drawn_price(load_scenario, tmp_path):
    scenario = load_scenario("promotion.yaml", "run.horizon_days=100", "run.warmup_days=0")
    path = prices_file(tmp_path / "p.parquet", scenario, RELATIVE, 1.1)
    drawn = load_scenario(
        "promotion.yaml", "run.horizon_days=100", "run.warmup_days=0", f"prices_file={path}"
    )
    lines = run_replication(drawn, 0).tables["promotion_lines"]
    promoted = lines[lines["promoted"]]
    assert len(promoted) > 50
    np.testing.assert_allclose(promoted["price"], promoted["list_price"] * 0.85)
    list_price = np.array([p.price for p in drawn.products])[promoted["sku"].to_numpy()]
    # the line's own (drawn) price is what the discount applies to, not the product's price
    assert (np.abs(promoted["list_price"].to_numpy() / list_price - 1.0) > 0.01).mean() > 0.5
