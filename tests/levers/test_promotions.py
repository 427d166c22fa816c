"""The promotions lever: exact traces on ``tiny``, direction tests with common random numbers,
KPIs on hand-made tables, and bad input through the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.cli import cli
from twin.kpis import compute_kpis
from twin.kpis import promotions as promotion_kpis
from twin.model.network import run_replication
from twin.records import COLUMNS, RunResult

SMALL = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "small.yaml"

#: 20 % off A on day 0 (Monday 2026-01-05) only, demand x 1.5
JAN = {
    "name": "jan",
    "skus": ["A"],
    "start": "2026-01-05",
    "end": "2026-01-05",
    "discount": 0.2,
    "lift": 1.5,
}


def replay(*times: str) -> dict:
    return {"segments": {"shop": {"arrivals": {"kind": "replay", "times": list(times)}}}}


# --------------------------------------------------------------------------- exact traces


def test_a_replayed_order_in_a_promotion_buys_more_at_the_discounted_price(tiny) -> None:
    # 2 units x lift 1.5 = 3 exactly (stochastic rounding of a whole number is that number);
    # price 15 x (1 - 0.2) = 12, so the order is worth 36 and is invoiced 36 on delivery
    scenario = tiny(replay("2026-01-05T12:00"), {"promotions": [JAN]})
    result = run_replication(scenario, 0)

    order = result.tables["orders"].iloc[0]
    assert (order["units"], order["value"], order["units_filled"]) == (3, 36.0, 3)
    shipment = result.tables["shipments"].iloc[0]
    assert (shipment["units"], shipment["revenue"], shipment["cogs"]) == (3, 36.0, 30.0)
    assert result.tables["invoices"]["amount"].tolist() == [36.0]
    line = result.tables["promotion_lines"].iloc[0]
    assert (line["order_id"], line["sku"], line["t"], line["promotion"]) == (0, 0, 0.5, 0)
    assert bool(line["promoted"])
    assert (line["base_units"], line["units"], line["units_short"]) == (2, 3, 0)
    assert (line["list_price"], line["price"]) == (15.0, 12.0)

    kpis = compute_kpis(result, scenario.costs)
    assert kpis["promo_incremental_units"] == 1.0
    assert kpis["promo_incremental_revenue"] == 36.0 - 30.0
    # with promotion 3 x (12 - 10) = 6; without 2 x (15 - 10) = 10
    assert kpis["promo_incremental_gross_profit"] == -4.0
    assert kpis["promo_discount_cost"] == 3 * 3.0
    assert kpis["promo_roi"] == pytest.approx(-4.0 / 9.0)
    assert kpis["promo_incremental_units_jan"] == 1.0


def test_an_order_outside_the_promotion_is_unchanged(tiny) -> None:
    scenario = tiny(replay("2026-01-06T12:00"), {"promotions": [JAN]})
    result = run_replication(scenario, 0)

    assert result.tables["orders"]["value"].tolist() == [30.0]
    assert len(result.tables["promotion_lines"]) == 0


def test_a_backfilled_promoted_line_is_invoiced_at_the_promoted_price(tiny) -> None:
    # 5 on hand, lift 3: 6 units wanted, 5 filled at once, 1 backordered and filled on the
    # receipt at day 3.5 (lead time 3), each at 12
    jan = {**JAN, "lift": 3.0}
    scenario = tiny(replay("2026-01-05T12:00"), {"promotions": [jan]})
    result = run_replication(scenario, 0)

    assert result.tables["shipments"]["revenue"].tolist() == [60.0, 12.0]
    assert result.tables["promotion_lines"]["units_short"].tolist() == [1]
    kpis = compute_kpis(result, scenario.costs)
    assert kpis["promo_units_short"] == 1.0


def test_the_dip_after_the_end_takes_the_pulled_forward_units(tiny) -> None:
    # one day at lift 1.5 and pull_forward 1: the 0.5 day of extra demand is missed over the
    # one dip day, so demand on day 1 is x (1 - 0.5): 2 -> 1; day 2 is back to 2
    jan = {**JAN, "pull_forward": 1.0, "dip_days": 1}
    scenario = tiny(
        replay("2026-01-05T12:00", "2026-01-06T12:00", "2026-01-07T12:00"),
        {"promotions": [jan]},
    )
    result = run_replication(scenario, 0)

    assert result.tables["orders"]["units"].tolist() == [3, 1, 2]
    assert result.tables["orders"]["value"].tolist() == [36.0, 15.0, 30.0]
    lines = result.tables["promotion_lines"]
    assert lines["promoted"].tolist() == [True, False]
    assert lines["base_units"].tolist() == [2, 2]
    assert lines["units"].tolist() == [3, 1]
    assert compute_kpis(result, scenario.costs)["promo_incremental_units"] == 0.0


def test_an_order_that_loses_every_line_is_not_placed(tiny) -> None:
    # pull-forward dip of 100 %: the day-1 order is not placed; its line is recorded with
    # order_id -1 (carried by the next placed order)
    jan = {**JAN, "lift": 2.0, "pull_forward": 1.0, "dip_days": 1}
    scenario = tiny(
        replay("2026-01-05T12:00", "2026-01-06T12:00", "2026-01-07T12:00"),
        {"promotions": [jan]},
    )
    result = run_replication(scenario, 0)

    orders = result.tables["orders"]
    assert orders["t_arrival"].tolist() == [0.5, 2.5]
    assert orders["units"].tolist() == [4, 2]
    lines = result.tables["promotion_lines"]
    assert lines["order_id"].tolist() == [0, -1]
    assert lines["units"].tolist() == [4, 0]
    assert compute_kpis(result, scenario.costs)["promo_incremental_units"] == 0.0


CATEGORY = {
    "products": [
        {"sku": "A", "unit_cost": 10.0, "price": 15.0, "supplier": "acme", "category": "tools"},
        {"sku": "B", "unit_cost": 4.0, "price": 7.0, "supplier": "acme", "category": "tools"},
    ],
    "segments": {
        "shop": {"quantity": 4, "sku_mix": {"kind": "weights", "weights": {"A": 1.0, "B": 1.0}}}
    },
    "inventory": {"default": {"policy": {"kind": "base_stock", "level": 500}}},
}


def test_cannibalisation_takes_units_from_the_other_sku_of_the_category(tiny) -> None:
    # A and B equally likely; A at lift 1.5 gains 0.5 x its demand, B loses 0.5 of that, in
    # proportion to B's demand (all of it): B x (1 - 0.5 x 0.5 x 1/1) = 0.75, 4 units -> 3
    jan = {**JAN, "end": "2026-01-06", "cannibalisation": 0.5}
    times = [f"2026-01-0{d}T{h:02d}:00" for d in (5, 6, 7) for h in range(8, 18)]
    scenario = tiny(CATEGORY, replay(*times), {"promotions": [jan]})
    result = run_replication(scenario, 0)

    lines = result.tables["promotion_lines"]
    a, b = lines[lines["sku"] == 0], lines[lines["sku"] == 1]
    assert len(a) and len(b)
    assert a["units"].eq(6).all() and a["promoted"].all()
    assert b["units"].eq(3).all() and not b["promoted"].any()
    assert (b["price"] == 7.0).all()
    assert lines["t"].lt(2.0).all()  # day 2 (the 7th) is after the promotion: unchanged
    orders = result.tables["orders"]
    assert orders.loc[orders["t_arrival"] >= 2.0, "units"].eq(4).all()


# --------------------------------------------------------------------------- direction, CRN


def poisson(days: float = 120.0) -> dict:
    return {
        "run": {"horizon_days": days},
        "products": CATEGORY["products"],
        "segments": {
            "shop": {
                "customers": 50,
                "arrivals": {"kind": "poisson", "rate_per_day": 30.0},
                "lines_per_order": {
                    "dist": "discrete",
                    "values": [1, 2],
                    "probabilities": [0.6, 0.4],
                },
                "quantity": {"dist": "lognormal", "mean": 3.0, "sd": 2.0},
                "sku_mix": {"kind": "weights", "weights": {"A": 1.0, "B": 1.0}},
            }
        },
        "inventory": {"default": {"policy": {"kind": "base_stock", "level": 400}}},
    }


def spring(discount: float, **extra) -> dict:
    return {
        "promotions": [
            {
                "name": "spring",
                "skus": ["A"],
                "start": "2026-02-02",
                "end": "2026-03-01",
                "discount": discount,
                "elasticity": -2.5,
                **extra,
            }
        ]
    }


def test_without_an_effect_a_promotion_changes_no_order(tiny) -> None:
    # lift 1 and no discount: the same orders as without the section (the rounding stream is
    # drawn but changes nothing), so the lever's absence and a null lever agree
    plain = run_replication(tiny(poisson(40.0)), 0)
    null = {
        "name": "null",
        "start": "2026-01-10",
        "end": "2026-01-20",
        "discount": 0.0,
        "lift": 1.0,
    }
    nulled = run_replication(tiny(poisson(40.0), {"promotions": [null]}), 0)

    pd.testing.assert_frame_equal(plain.tables["orders"], nulled.tables["orders"])
    pd.testing.assert_frame_equal(plain.tables["invoices"], nulled.tables["invoices"])


def test_a_deeper_discount_sells_more_units_at_a_lower_unit_margin(tiny) -> None:
    results = {d: run_replication(tiny(poisson(), spring(d)), 0) for d in (0.1, 0.3)}
    costs = tiny(poisson()).costs
    kpi = {d: compute_kpis(r, costs) for d, r in results.items()}

    assert kpi[0.3]["promo_incremental_units"] > kpi[0.1]["promo_incremental_units"] > 0
    for d, result in results.items():
        lines = result.tables["promotion_lines"]
        promoted = lines[lines["promoted"]]
        assert (promoted["price"] == 15.0 * (1 - d)).all()
    margin = {
        d: (r.tables["promotion_lines"].query("promoted")["price"] - 10.0).mean()
        for d, r in results.items()
    }
    assert margin[0.3] < margin[0.1]
    # common random numbers: the same base demand in both variants
    base = {
        d: r.tables["promotion_lines"].query("promoted")["base_units"].sum()
        for d, r in results.items()
    }
    assert base[0.1] == base[0.3]


def test_the_elasticity_lift_holds_over_many_lines(tiny) -> None:
    # E[units] = base x (1 - d) ** e exactly (stochastic rounding is unbiased); over the ~550
    # promoted lines (about 3.4 base units each) the rounding error of units / base has a
    # standard deviation below 0.5 / sqrt(550) / 3.4 ~ 0.0063, so 2 % of the lift 1.75 (0.035)
    # is over 5 standard deviations
    result = run_replication(tiny(poisson(), spring(0.2)), 0)
    promoted = result.tables["promotion_lines"].query("promoted")
    assert len(promoted) > 400
    ratio = promoted["units"].sum() / promoted["base_units"].sum()
    assert ratio == pytest.approx(0.8**-2.5, rel=0.02)


def test_units_are_conserved_with_promotions_on(tiny) -> None:
    extra = {"cannibalisation": 0.3, "pull_forward": 0.5, "dip_days": 7, "display": 1.2}
    patch = {"inventory": {"default": {"policy": {"kind": "base_stock", "level": 60}}}}
    result = run_replication(tiny(poisson(), patch, spring(0.25, **extra)), 0)
    orders = result.tables["orders"]

    assert (
        orders["units"]
        == orders["units_filled"] + orders["units_backordered"] + orders["units_lost"]
    ).all()
    assert (orders["units"] > 0).all()
    lines = result.tables["promotion_lines"]
    assert lines["units_short"].sum() > 0  # the stock binds during the promotion
    placed = lines[lines["order_id"] >= 0]
    assert (placed["units_short"] <= placed["units"]).all()
    shipped = result.tables["shipments"]["units"].sum()
    assert shipped <= orders["units"].sum()
    assert set(lines["promoted"]) == {True, False}  # promoted, dip and cannibalised lines


# --------------------------------------------------------------------------- KPIs by hand


def hand_result(lines: list[tuple], calendar: list[tuple], changes: list[tuple]) -> RunResult:
    names = [c for c, _ in COLUMNS["promotion_lines"]]
    return RunResult(
        scenario="hand",
        replication=0,
        seed=0,
        horizon_days=20.0,
        warmup_days=0.0,
        start_date="2026-01-05",
        skus=("A", "B"),
        unit_cost=np.array([10.0, 4.0]),
        initial_on_hand=np.array([3, 5]),
        segments=("shop",),
        roles={},
        tables={
            "promotion_lines": pd.DataFrame(lines, columns=names),
            "promotions": pd.DataFrame(calendar, columns=[c for c, _ in COLUMNS["promotions"]]),
            "stock_changes": pd.DataFrame(
                changes, columns=["t", "sku", "on_hand_delta", "backlog_delta"]
            ),
        },
        final_state={},
    )


def test_kpis_on_hand_made_tables(tiny) -> None:
    lines = [
        # order, segment, sku, t, promotion, promoted, base, units, short, list, price
        (0, 0, 0, 1.0, 0, True, 2, 4, 1, 15.0, 12.0),
        (1, 0, 1, 2.0, 0, False, 4, 3, 0, 7.0, 7.0),  # cannibalised B
        (-1, 0, 0, 6.0, 0, False, 1, 0, 0, 15.0, 15.0),  # dip, order not placed
    ]
    calendar = [(0, "jan", 0.0, 5.0, 7.0, 0.2, 10.0, (0,))]
    # A: 3 on hand, out of stock from day 1 to day 3.5 (2.5 sku-days in the promotion)
    changes = [(1.0, 0, -3, 1), (3.5, 0, 4, -1)]
    result = hand_result(lines, calendar, changes)

    kpis = promotion_kpis.kpis(result, tiny().costs)

    assert kpis["promo_incremental_units"] == (4 - 2) + (3 - 4) + (0 - 1)
    assert kpis["promo_incremental_revenue"] == (48 - 30) + (21 - 28) + (0 - 15)
    profit = (4 * 2 - 2 * 5) + (3 * 3 - 4 * 3) + (0 - 1 * 5)
    assert kpis["promo_incremental_gross_profit"] == profit
    assert kpis["promo_discount_cost"] == 4 * 3.0
    assert kpis["promo_fixed_cost"] == 10.0
    assert kpis["promo_cost"] == 22.0
    assert kpis["promo_roi"] == pytest.approx((profit - 10.0) / 22.0)
    assert kpis["promo_units_short"] == 1.0
    assert kpis["promo_stockout_sku_days"] == pytest.approx(2.5)
    assert kpis["promo_roi_jan"] == kpis["promo_roi"]


def test_no_promotions_no_kpis(tiny) -> None:
    result = run_replication(tiny(), 0)
    assert promotion_kpis.kpis(result, tiny().costs) == {}
    assert len(result.tables["promotion_lines"]) == 0


# --------------------------------------------------------------------------- bad input


def run_bad(tmp_path: Path, body: str):
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {SMALL}\n" + body, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--no-report"]
    )
    return result


PROMO = (
    "  - {{name: {name}, skus: [{sku}], start: {start}, end: {end}, discount: {d}, lift: 1.5}}\n"
)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (
            "promotions:\n"
            + PROMO.format(name="a", sku="A", start="2026-01-10", end="2026-01-20", d=0.1)
            + PROMO.format(name="b", sku="A", start="2026-01-15", end="2026-01-25", d=0.2),
            r"s\.yaml, line 4: promotions\.1\.discount: promotion 'b' \(discount 0\.2\) and "
            r"promotions\.0 \('a', discount 0\.1\) both cover SKU 'A' for segment 'shop' from "
            r"2026-01-15 to 2026-01-20",
        ),
        (
            "promotions:\n"
            + PROMO.format(name="a", sku="Z", start="2026-01-10", end="2026-01-20", d=0.1),
            r"promotions\.0\.skus\.0: unknown SKU 'Z' \(known: A, B\)",
        ),
        (
            "promotions:\n  - {name: a, categories: [toys], start: 2026-01-10, end: 2026-01-20,"
            " discount: 0.1, lift: 1.2}\n",
            r"promotions\.0\.categories\.0: unknown category 'toys'",
        ),
        (
            "promotions:\n  - {name: a, segments: [web], start: 2026-01-10, end: 2026-01-20,"
            " discount: 0.1, lift: 1.2}\n",
            r"promotions\.0\.segments\.0: unknown segment 'web'",
        ),
        (
            "promotions:\n"
            + PROMO.format(name="a", sku="A", start="2026-01-20", end="2026-01-10", d=0.1),
            r"promotions\.0\.end: 2026-01-10 is before start \(2026-01-20\)",
        ),
        (
            "promotions:\n"
            + PROMO.format(name="a", sku="A", start="2026-01-10", end="2026-01-20", d=1.0),
            r"promotions\.0\.discount: Input should be less than 1",
        ),
        (
            "promotions:\n  - {name: a, start: 2026-01-10, end: 2026-01-20, discount: 0.1}\n",
            r"promotions\.0: give exactly one of 'lift'",
        ),
    ],
    ids=["conflict", "sku", "category", "segment", "end", "discount", "no lift"],
)
def test_bad_promotions_exit_2_naming_the_key_path(tmp_path: Path, body: str, pattern: str):
    result = run_bad(tmp_path, body)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(pattern, result.output), result.output


def test_overlapping_promotions_with_one_discount_are_fine(tmp_path: Path) -> None:
    body = (
        "run: {replications: 1}\npromotions:\n"
        + PROMO.format(name="a", sku="A", start="2026-01-10", end="2026-01-20", d=0.1)
        + PROMO.format(name="b", sku="A", start="2026-01-15", end="2026-01-25", d=0.1)
    )
    result = run_bad(tmp_path, body)
    assert result.exit_code == 0, result.output


def test_promotions_work_with_the_customer_loop(tiny) -> None:
    # the loop draws its own candidate book; the promoted lines still sell at 12 with lift 1.5
    loop = {
        "customers": {"churn": {"base_per_year": 0.0}, "repeat": {"sensitivity_per_point": 0.0}}
    }
    scenario = tiny(replay("2026-01-05T12:00"), loop, {"promotions": [JAN]})
    result = run_replication(scenario, 0)

    assert result.tables["orders"]["value"].tolist() == [36.0]
    assert result.tables["promotion_lines"]["units"].tolist() == [3]
