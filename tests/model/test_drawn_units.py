"""Units per line drawn from the prices file in the model: each SKU's lines carry its own
units, they are common random numbers, days-of-demand levels use the SKU's own mean, and a
file without the units columns leaves every line's units as before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.model.catalogue import Catalogue
from twin.model.network import run_replication
from twin.model.order_book import draw_order_book, expected_daily_units
from twin.scenario.prices import (
    PRICE_COLUMNS,
    QUANTILE_COLUMNS,
    UNITS_COLUMNS,
    UNITS_QUANTILE_COLUMNS,
)
from twin.streams import Streams

COMMON = ("run.horizon_days=30", "run.warmup_days=0")


def units_file(path, scenario, units_of) -> str:
    """A prices file at list prices whose units per line are constant per SKU: ``units_of(i)``
    for the i-th product (None: no units columns at all)."""
    rows = []
    for i, product in enumerate(scenario.products):
        row = {"segment": "", "sku": product.sku, "lines": 100, "mean": product.price}
        row.update(dict.fromkeys(QUANTILE_COLUMNS, product.price))
        if units_of is not None:
            row["units_mean"] = float(units_of(i))
            row.update(dict.fromkeys(UNITS_QUANTILE_COLUMNS, float(units_of(i))))
        rows.append(row)
    columns = PRICE_COLUMNS + (UNITS_COLUMNS if units_of is not None else ())
    pd.DataFrame(rows, columns=list(columns)).to_parquet(path)
    return str(path)


@pytest.fixture(scope="module")
def baseline(load_scenario):
    return load_scenario("baseline.yaml", *COMMON)


def test_a_file_without_units_leaves_every_lines_units(load_scenario, baseline, tmp_path):
    path = units_file(tmp_path / "p.parquet", baseline, None)
    drawn = load_scenario("baseline.yaml", *COMMON, f"prices_file={path}")
    plain, with_file = run_replication(baseline, 0), run_replication(drawn, 0)
    pd.testing.assert_frame_equal(
        plain.tables["orders"], with_file.tables["orders"], check_exact=True
    )
    catalogue = Catalogue.from_scenario(drawn)
    np.testing.assert_array_equal(
        expected_daily_units(drawn, catalogue),
        expected_daily_units(baseline, Catalogue.from_scenario(baseline)),
    )


def test_each_skus_lines_carry_its_own_units(load_scenario, baseline, tmp_path):
    # SKU i sells 1 + (i mod 3) units a line, whatever the segment's quantity distribution
    path = units_file(tmp_path / "p.parquet", baseline, lambda i: 1 + i % 3)
    drawn = load_scenario("baseline.yaml", *COMMON, f"prices_file={path}")
    catalogue = Catalogue.from_scenario(drawn)
    name, segment = next(iter(drawn.segments.items()))
    book = draw_order_book(segment, np.linspace(0, 30, 2000), catalogue, Streams(1, 0), name)
    skus = np.asarray(book.skus)
    assert np.asarray(book.quantities).tolist() == (1 + skus % 3).tolist()
    # days-of-demand levels see each SKU's own mean units per line: against a file of one unit
    # a line for every SKU (expected lines per day), SKU i has 1 + (i mod 3) times the demand
    ones = units_file(tmp_path / "ones.parquet", baseline, lambda i: 1)
    lines = load_scenario("baseline.yaml", *COMMON, f"prices_file={ones}")
    per_line = expected_daily_units(lines, Catalogue.from_scenario(lines))
    np.testing.assert_allclose(
        expected_daily_units(drawn, catalogue),
        per_line * (1 + np.arange(len(catalogue)) % 3),
        rtol=1e-12,
    )


def test_drawn_units_are_common_random_numbers(load_scenario, baseline, tmp_path):
    path = units_file(tmp_path / "p.parquet", baseline, lambda i: 1 + i % 3)
    one = load_scenario("baseline.yaml", *COMMON, f"prices_file={path}")
    # another stocking policy: other fills and shipments, the same orders with the same units
    other = load_scenario(
        "baseline.yaml",
        *COMMON,
        f"prices_file={path}",
        "inventory.suppliers.northwind.policy.order_up_to_days=40",
    )
    a, b = run_replication(one, 0), run_replication(other, 0)
    assert a.tables["orders"]["units"].tolist() == b.tables["orders"]["units"].tolist()
