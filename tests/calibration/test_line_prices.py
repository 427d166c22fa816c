"""The prices file calibration writes: net unit prices weighted by units, quantiles per SKU and
segment, the pooling rule for rare SKUs; and a calibrated run's value per order against history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twin.calibration.fit_report import FitReport
from twin.calibration.line_prices import (
    MIN_PRICE_LINES,
    fit_line_prices,
    net_unit_prices,
    weighted_quantiles,
)
from twin.scenario.prices import QUANTILE_COLUMNS, QUANTILE_LEVELS


def lines_of(sku, quantity, unit_price, discount=None) -> pd.DataFrame:
    frame = pd.DataFrame({"sku": sku, "quantity": quantity, "unit_price": unit_price})
    if discount is not None:
        frame["discount"] = discount
    return frame


def test_weighted_quantiles_with_equal_weights_are_numpys_inverted_cdf():
    rng = np.random.default_rng(3)
    # sizes with no n x level a whole number: numpy rounds n x level in floating point there
    # (30 x 0.3 = 9.000000000000002 takes the 10th value), where the 9th is the exact answer
    groups = np.repeat(np.arange(4), [7, 31, 1, 101])
    price = rng.lognormal(2.0, 0.7, groups.size)
    got = weighted_quantiles(groups, price, np.ones(groups.size), 4)
    for g in range(4):
        mine = price[groups == g]
        want = np.quantile(mine, QUANTILE_LEVELS, method="inverted_cdf")
        np.testing.assert_array_equal(got[g], want)


def test_weights_count_like_repeated_lines():
    rng = np.random.default_rng(4)
    price = rng.lognormal(1.0, 0.5, 50)
    units = rng.integers(1, 6, 50).astype(float)
    got = weighted_quantiles(np.zeros(50, dtype=np.int64), price, units, 1)[0]
    repeated = np.repeat(price, units.astype(int))
    want = np.quantile(repeated, QUANTILE_LEVELS, method="inverted_cdf")
    np.testing.assert_array_equal(got, want)


def test_the_net_price_takes_the_discount_off():
    lines = lines_of(["A", "A"], [2.0, 4.0], [10.0, 5.0], [4.0, np.nan])
    assert net_unit_prices(lines).tolist() == [8.0, 5.0]


def test_one_price_per_sku_writes_no_file():
    lines = lines_of(["A"] * 30 + ["B"] * 5, 1.0, [3.0] * 30 + [7.0] * 5)
    report = FitReport()
    assert fit_line_prices(lines, pd.Series("all", index=lines.index), report) is None
    assert "one net unit price" in report.frame()["note"].iloc[-1]


def test_rows_hold_unit_weighted_means_own_quantiles_and_pooled_ones_for_rare_skus():
    rng = np.random.default_rng(9)
    n = 400
    price = rng.lognormal(np.log(10.0), 0.5, n)
    units = rng.integers(1, 10, n).astype(float)
    sku = np.array(["A"] * n + ["B"] * 5)
    lines = lines_of(sku, np.concatenate([units, [1.0] * 5]), np.concatenate([price, [2.0] * 5]))
    segment = pd.Series(["x"] * 300 + ["y"] * 105, index=lines.index)
    rows = fit_line_prices(lines, segment, FitReport()).set_index(["segment", "sku"])
    a = rows.loc[("", "A")]
    assert a["mean"] == pytest.approx((units * price).sum() / units.sum(), rel=1e-12)
    assert a["lines"] == n
    # B has 5 lines (< MIN_PRICE_LINES): its own mean times A's relative quantiles
    b = rows.loc[("", "B")]
    assert b["mean"] == pytest.approx(2.0)
    relative = np.array([a[c] for c in QUANTILE_COLUMNS]) / a["mean"]
    np.testing.assert_allclose([b[c] for c in QUANTILE_COLUMNS], 2.0 * relative, rtol=1e-12)
    # segment rows only where the segment has enough lines of the SKU
    assert ("x", "A") in rows.index and ("y", "A") in rows.index
    assert ("y", "B") not in rows.index and MIN_PRICE_LINES > 5


def test_negative_net_prices_are_left_out_and_counted():
    lines = lines_of(["A"] * 25, 1.0, [5.0] * 24 + [6.0], [0.0] * 24 + [10.0])
    report = FitReport()
    rows = fit_line_prices(lines, pd.Series("all", index=lines.index), report)
    assert rows is None  # the one other price was negative: A sold at one price
    lines = lines_of(["A"] * 25, 1.0, [5.0] * 23 + [6.0, 7.0], [0.0] * 23 + [10.0, 0.0])
    report = FitReport()
    rows = fit_line_prices(lines, pd.Series("all", index=lines.index), report)
    assert rows["lines"].tolist() == [24]
    assert "1 lines with a negative net price left out" in report.frame()["note"].iloc[-1]


def skewed_history(seed: int = 11) -> dict[str, pd.DataFrame]:
    """A year of two segments' orders whose prices are right-skewed per SKU (log-normal around
    a log-normal base price), cheaper per unit for bigger lines (volume tiers), with a 10 %
    discount on a third of the lines. Quantity does not depend on the SKU (units per line
    that do: :mod:`tests.calibration.test_line_units`)."""
    from twin.calibration.conform import conform

    rng = np.random.default_rng(seed)
    skus = np.array([f"S{i:02d}" for i in range(30)])
    base = rng.lognormal(3.0, 1.0, skus.size)
    popularity = np.arange(1, 31, dtype=float) ** -0.8
    popularity /= popularity.sum()
    orders, lines, customers = [], [], []
    first = 0
    for segment, rate, lines_mean in (("trade", 14.0, 3.0), ("web", 8.0, 0.6)):
        customers.append(
            pd.DataFrame({"customer_id": [f"{segment}-{c}" for c in range(40)], "segment": segment})
        )
        days = np.repeat(np.arange(365), rng.poisson(rate, 365))
        n = days.size
        ids = np.array([f"O{k}" for k in range(first, first + n)])
        first += n
        at = pd.Timestamp("2025-01-01") + pd.to_timedelta(days + rng.random(n), unit="D")
        orders.append(
            pd.DataFrame(
                {
                    "order_id": ids,
                    "customer_id": [f"{segment}-{c}" for c in rng.integers(0, 40, n)],
                    "ordered_at": at,
                    "promised_at": pd.NaT,
                    "shipped_at": pd.NaT,
                    "status": "invoiced",
                }
            )
        )
        per_order = 1 + rng.poisson(lines_mean, n)
        of_line = np.repeat(ids, per_order)
        m = of_line.size
        sku = rng.choice(skus.size, size=m, p=popularity)
        quantity = 1 + rng.poisson(3.0, m)
        tier = 1.0 - 0.04 * np.minimum(quantity - 1, 10)
        price = base[sku] * rng.lognormal(0.0, 0.6, m) * tier
        discount = np.where(rng.random(m) < 1 / 3, 0.1 * quantity * price, 0.0)
        lines.append(
            pd.DataFrame(
                {
                    "order_id": of_line,
                    "line_no": np.concatenate([np.arange(1, k + 1) for k in per_order]),
                    "sku": skus[sku],
                    "quantity": quantity.astype(float),
                    "unit_price": price,
                    "discount": discount,
                    "status": "ordered",
                }
            )
        )
    return {
        "orders": conform("orders", pd.concat(orders, ignore_index=True)),
        "order_lines": conform("order_lines", pd.concat(lines, ignore_index=True)),
        "customers": conform("customers", pd.concat(customers, ignore_index=True)),
    }


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """The skewed history, its calibrated model with the prices file and without it."""
    from twin.calibration.calibrate import calibrate_history
    from twin.calibration.output import with_prices_file
    from twin.scenario.schema import Scenario

    history = skewed_history()
    calibration = calibrate_history(history, name="skewed")
    path = tmp_path_factory.mktemp("skewed") / "prices.parquet"
    calibration.prices.to_parquet(path)
    drawn = Scenario.model_validate(with_prices_file(calibration.model, str(path)))
    return history, drawn, Scenario.model_validate(calibration.model)


@pytest.mark.parametrize("segment", ["trade", "web"])
def test_a_calibrated_segments_orders_have_historys_value_per_order(segment, calibrated):
    from twin.model.catalogue import Catalogue
    from twin.model.order_book import draw_order_book
    from twin.scenario.schema import Scenario
    from twin.streams import Streams

    history, drawn, listed = calibrated
    orders, lines = history["orders"], history["order_lines"]
    mine = orders.loc[orders["customer_id"].str.startswith(segment), "order_id"]
    lines = lines[lines["order_id"].isin(mine)]
    actual = (lines["quantity"] * lines["unit_price"] - lines["discount"]).sum() / len(mine)

    def value_per_order(scenario: Scenario) -> float:
        # the order book a run places (arrival times do not change what is in the orders)
        n = 60_000
        book = draw_order_book(
            scenario.segments[segment],
            np.linspace(0.0, 365.0, n, endpoint=False),
            Catalogue.from_scenario(scenario),
            Streams(scenario.run.seed, 0),
            segment,
        )
        if book.prices is None:
            prices = np.asarray([p.price for p in scenario.products])[book.skus]
        else:
            prices = np.asarray(book.prices)
        return float((np.asarray(book.quantities) * prices).sum() / n)

    # the fitted lines, quantities, SKU mix and mean prices reproduce the history's own means,
    # so only the twin's sampling error is left: a coefficient of variation of an order's value
    # of at most 1 over 60,000 orders is 0.4 %; 2 % is 5 of them
    assert value_per_order(drawn) == pytest.approx(actual, rel=0.02)
    # at each SKU's median price, as without the prices file, orders are worth 5 %+ less
    assert value_per_order(listed) < 0.95 * actual
