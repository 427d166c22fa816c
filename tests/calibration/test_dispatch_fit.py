"""Fitting dispatch times and stocking rules from history: known parameters in, fitted values out.

The frames are canonical history tables drawn with fixed seeds from stated parameters, so every
tolerance below is a statement about the estimator at that sample size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.calibration.calibrate import calibrate_history
from twin.calibration.conform import conform
from twin.calibration.dispatch import fit_handling, stock_waits
from twin.calibration.fit_report import FitReport
from twin.calibration.mapping import apply_mapping
from twin.calibration.quality import check_history
from twin.calibration.stocking import DEFAULT_POLICY, stocking_policies
from twin.distributions import parse_distribution

START = pd.Timestamp("2025-01-06")
HANDLING = (2.0, 0.5)  # gamma shape, scale: mean 1 d, sd 0.71 d
WAIT_DAYS = 5.0  # how long the waiting orders wait for their purchase order


def dispatch_history(seed: int = 11) -> tuple[dict[str, pd.DataFrame], set[str]]:
    """1,500 one-line orders of SKU A that ship after a gamma handling time; 100 of SKU B that
    each wait for a purchase order received 5 d after them, then ship after their handling; 50
    of A and B, of which only B may have a receipt in between."""
    rng = np.random.default_rng(seed)
    n_a, n_b, n_ab = 1500, 100, 50
    n = n_a + n_b + n_ab
    at = START + pd.to_timedelta(np.sort(rng.uniform(0, 300, n)), unit="D")
    kinds = np.array(["A"] * n_a + ["B"] * n_b + ["AB"] * n_ab)
    rng.shuffle(kinds)
    handling = pd.to_timedelta(rng.gamma(*HANDLING, n), unit="D")
    ids = np.array([f"O{k}" for k in range(n)])
    waits = kinds == "B"
    receipts = at[waits] + pd.Timedelta(days=WAIT_DAYS)
    shipped = pd.Series(at + handling)
    shipped[waits] = receipts + handling[waits]
    orders = pd.DataFrame(
        {
            "order_id": ids,
            "customer_id": "c",
            "ordered_at": at,
            "promised_at": at + pd.Timedelta(days=10),
            "shipped_at": shipped.to_numpy(),
            "status": "shipped",
        }
    )
    skus = [list(k) for k in kinds]
    lines = pd.DataFrame(
        {
            "order_id": np.repeat(ids, [len(s) for s in skus]),
            "line_no": np.concatenate([np.arange(1, len(s) + 1) for s in skus]),
            "sku": np.concatenate(skus),
            "quantity": 1.0,
            "unit_price": 10.0,
            "status": "ordered",
        }
    )
    po = pd.DataFrame(
        {
            "po_id": [f"P{k}" for k in range(n_b)],
            "sku": "B",
            "quantity": 10.0,
            "ordered_at": receipts - pd.Timedelta(days=20),
            "received_at": receipts,
        }
    )
    tables = {
        "orders": conform("orders", orders),
        "order_lines": conform("order_lines", lines),
        "purchase_orders": conform("purchase_orders", po),
    }
    return tables, set(ids[waits])


def test_orders_that_waited_for_every_sku_are_found():
    tables, waiting = dispatch_history()
    found = stock_waits(tables, tables["orders"])
    # exactly the B orders: an A+B order had A on hand even when B was received meanwhile
    assert set(found) == waiting


def test_the_handling_time_is_recovered_without_the_stock_waits():
    tables, _ = dispatch_history()
    orders = tables["orders"]
    report = FitReport()
    dist = fit_handling(report, "all", orders, stock_waits(tables, orders))
    # 1,550 values: the standard error of the mean is 0.71 / sqrt(1550) = 0.018 d, of the
    # gamma shape about 0.07; the tolerances (0.06 d, 0.3) are over 3 standard errors
    fitted = parse_distribution(dist)
    assert fitted.mean == pytest.approx(1.0, abs=0.06)
    assert dist["dist"] == "gamma"
    assert dist["shape"] == pytest.approx(HANDLING[0], abs=0.3)
    row = report.frame().iloc[-1]
    assert row["quantity"] == "handling_days"
    assert row["n"] == 1550
    assert "100 orders" in row["note"] and not row["defaulted"]


def test_without_purchase_orders_the_stock_waits_inflate_the_fit_and_the_report_says_so():
    tables, _ = dispatch_history()
    del tables["purchase_orders"]
    assert stock_waits(tables, tables["orders"]) is None
    report = FitReport()
    dist = fit_handling(report, "all", tables["orders"], None)
    # 100 of 1,650 orders wait 5 d more: the mean rises by about 0.3 d
    assert parse_distribution(dist).mean > 1.2
    assert "included" in report.frame().iloc[-1]["note"]


def test_date_only_ship_dates_count_whole_days_and_few_orders_mean_no_delay():
    at = START + pd.to_timedelta(np.arange(40) + 0.4, unit="D")  # 09:36 each day
    orders = pd.DataFrame(
        {"order_id": [f"O{k}" for k in range(40)], "ordered_at": at, "shipped_at": at.normalize()}
    )
    orders.loc[::2, "shipped_at"] += pd.Timedelta(days=1)  # half next day, half the same day
    report = FitReport()
    dist = fit_handling(report, "all", orders, None)
    assert parse_distribution(dist).mean == pytest.approx(0.5, abs=1e-9)
    assert fit_handling(report, "few", orders.head(10), None) == 0.0
    assert bool(report.frame().iloc[-1]["defaulted"])


# ----------------------------------------------------------------------------- stocking rules

DEMAND = {"A": 4.0, "B": 2.0, "C": 1.0}  # units per day of SKUs of suppliers s1, s2, s3
SUPPLIER_OF = {"A": "s1", "B": "s2", "C": "s3"}


def stocking_history(seed: int = 5) -> tuple:
    """200 days of demand at the rates above; s1 re-orders A whenever (continuous), 15 d of
    demand each time, lead 6 d +- 2; s2 orders B every 14 d exactly, lead 20 d +- 4; s3 has
    no purchase orders."""
    rng = np.random.default_rng(seed)
    days = 200
    at = START + pd.to_timedelta(np.arange(days) + 0.5, unit="D")
    orders = pd.DataFrame({"order_id": [f"O{k}" for k in range(days)], "ordered_at": at})
    lines = pd.DataFrame(
        {
            "order_id": np.repeat(orders["order_id"].to_numpy(), 3),
            "sku": np.tile(list(DEMAND), days),
            "quantity": np.tile(list(DEMAND.values()), days),
        }
    )
    a_times = START + pd.to_timedelta(np.cumsum(rng.uniform(10, 20, 40)), unit="D")
    b_times = START + pd.to_timedelta(14.0 * np.arange(40), unit="D")
    po = pd.DataFrame(
        {
            "sku": ["A"] * 40 + ["B"] * 40,
            "quantity": [60.0] * 40 + [28.0] * 40,
            "ordered_at": np.concatenate([a_times, b_times]),
        }
    )
    lead = np.concatenate([np.rint(rng.normal(6, 2, 40)), np.rint(rng.normal(20, 4, 40))])
    po["received_at"] = po["ordered_at"] + pd.to_timedelta(np.maximum(lead, 0), unit="D")
    period = (START.date(), (START + pd.Timedelta(days=days - 1)).date())
    return {"purchase_orders": po}, lines, orders, period, lead


def test_the_stocking_rule_follows_purchase_orders_and_defaults_without_them():
    tables, lines, orders, period, lead = stocking_history()
    report = FitReport()
    inventory = stocking_policies(report, tables, lines, orders, SUPPLIER_OF, period)
    l50, l90 = np.median(lead[:40]), np.quantile(lead[:40], 0.9)
    # s1: continuous min_max, reorder point L50 + (L90 - L50) = L90, order-up-to + 15 d (60/4)
    assert inventory["suppliers"]["s1"] == {
        "policy": {
            "kind": "min_max",
            "reorder_point_days": round(l90, 2),
            "order_up_to_days": round(l90 + 15.0, 2),
        },
        "review": {"kind": "continuous"},
    }
    assert l50 != l90  # the rule's two terms are both exercised
    # s2: every gap is 14 d, so periodic base stock at L90 + 14
    b90 = np.quantile(lead[40:], 0.9)
    assert inventory["suppliers"]["s2"] == {
        "policy": {"kind": "base_stock", "level_days": round(b90 + 14.0, 2)},
        "review": {"kind": "periodic", "period_days": 14.0},
    }
    # s3 has no history of its own: the stated default, flagged
    assert "s3" not in inventory["suppliers"]
    assert inventory["default"]["policy"] == DEFAULT_POLICY
    frame = report.frame().set_index(["quantity", "group"])
    assert bool(frame.loc[("inventory.default", "all"), "defaulted"])
    assert "s3" in frame.loc[("inventory.default", "all"), "note"]
    assert frame.loc[("inventory.suppliers", "s1"), "source"] == "purchase_orders"
    assert not bool(frame.loc[("inventory.suppliers", "s2"), "defaulted"])


def test_stock_snapshots_give_the_safety_stock_and_the_order_quantity():
    tables, lines, orders, period, _ = stocking_history()
    # C (1 unit a day) counted daily in a saw-tooth from 3 to 23 units: cover 3..23 days
    counts = 3 + np.arange(120) % 21
    tables["inventory_snapshots"] = pd.DataFrame(
        {
            "snapshot_date": START + pd.to_timedelta(np.arange(120), unit="D"),
            "location": "main",
            "sku": "C",
            "on_hand": counts.astype(float),
        }
    )
    report = FitReport()
    inventory = stocking_policies(report, tables, lines, orders, SUPPLIER_OF, period)
    low, high = np.quantile(counts, 0.1), np.quantile(counts, 0.9)
    # no purchase orders for C: the default lead time of 7 d + safety (10th percentile of
    # cover), order-up-to + the cover's 10-90 % spread
    assert inventory["suppliers"]["s3"]["policy"] == {
        "kind": "min_max",
        "reorder_point_days": round(7.0 + low, 2),
        "order_up_to_days": round(7.0 + low + high - low, 2),
    }
    frame = report.frame().set_index(["quantity", "group"])
    assert frame.loc[("inventory.suppliers", "s3"), "source"] == "inventory_snapshots"
    assert not bool(frame.loc[("inventory.default", "all"), "defaulted"])


@pytest.mark.slow
def test_the_sample_company_stocking_rules_are_recovered():
    # calibration/sample is the sample company's run (twin/calibration/data/company/company.yaml):
    # northwind min_max 9/24 days, continuous; far-east base stock 52 days, reviewed every 14.
    # The rule reads L90 for the reorder point (9 d), the PO quantity for S - s (~15 d) and the
    # 14-day re-order gaps of far-east; its level (L90 + 14 = 49) is below the company's 52,
    # which also covers demand noise over the lead time: 10 % is the stated margin.
    root = Path(__file__).resolve().parents[2]
    mapped = apply_mapping(root / "calibration/mappings/sample.yaml", root / "calibration/sample")
    checked = check_history(
        mapped.tables, as_of=pd.Timestamp("2027-01-01"), source_line_numbers=True
    )
    model = calibrate_history(checked.tables, name="sample").model
    rules = model["inventory"]["suppliers"]
    northwind = rules["northwind"]
    assert northwind["review"] == {"kind": "continuous"}
    assert northwind["policy"]["kind"] == "min_max"
    assert northwind["policy"]["reorder_point_days"] == pytest.approx(9.0, abs=1.0)
    assert northwind["policy"]["order_up_to_days"] == pytest.approx(24.0, abs=1.5)
    assert rules["far-east"]["review"] == {"kind": "periodic", "period_days": 14.0}
    assert rules["far-east"]["policy"]["level_days"] == pytest.approx(52.0, rel=0.1)
    for segment in ("key_accounts", "trade", "web"):
        # the company ships within hours on working days (mean 0.85 d with weekends)
        handling = parse_distribution(model["segments"][segment]["handling_days"])
        assert 0.1 < handling.mean < 1.5, segment
