"""The open state rebuilt from a synthetic history is the TRUE open state, for every kind of
company ``twin synth`` writes, not only the sample's.

Each configuration is the sample company scaled down (a tenth of its orders, a month of
history) with the features that change how goods, money and CRM items move: handling delays
(allocated units wait, physical, until shipped), a credit desk (held orders are backlog, rejected
ones cancelled), ship-complete, after-sales (spare parts leave the stock for repairs; open
tickets), lost sales, the customers' pipeline (open opportunities) and a cash book (open
supplier bills); and, in the slow suite, all of them at once with a promotion. The history is
mapped with ``calibration/mappings/sample.yaml`` plus the levers' tables
(:data:`twin.calibration.synth_levers.LEVER_MAPPING`), and every state table must equal
the truth exactly, as in ``test_open_state_truth.py`` (whose comparison this reuses).
"""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_open_state_truth import COMPANY, MAPPING, by_key, read_folder

from twin.calibration.open_state import build_open_state
from twin.calibration.synth import TRUE_STATE, write_sample
from twin.calibration.synth_levers import LEVER_MAPPING
from twin.commands.calibrate import mapped_and_checked
from twin.scenario.initial_state import STATE_TABLES

SMALL = {
    "segments": {
        "key_accounts": {"arrivals": {"rate_per_day": 2.0}},
        "trade": {"arrivals": {"rate_per_day": 5.5}},
        "web": {"arrivals": {"rate_per_day": 10.0}},
    },
}
"""A tenth of the sample company's orders, so a month of history writes in a second or two."""

CREDIT = {
    "risk_classes": {
        "A": {"share": 0.6, "default_multiplier": 0.5, "delay_shift_days": -3, "score": 750},
        "B": {"share": 0.3, "default_multiplier": 1.0, "score": 650},
        "C": {"share": 0.1, "default_multiplier": 4.0, "delay_shift_days": 15, "score": 500},
    },
    "limits": {"segments": {"key_accounts": 15000, "trade": 2000, "web": 300}},
    "rules": [
        {"when": {"days_overdue_over": 10}, "action": "hold"},
        {"when": {"utilisation_over": 1.0}, "action": "review"},
        {"when": {"amount_at_most": 1000, "score_at_least": 600}, "action": "approve"},
        {"when": {"risk_class": ["C"], "amount_over": 500}, "action": "reject"},
    ],
    "default_action": "review",
    "review_minutes": {"dist": "lognormal", "mean": 20.0, "sd": 10.0},
    "review_approval_probability": 0.85,
    "hold_max_days": 20,
}
AFTER_SALES = {
    "failures": {
        "default": {"annual_failure_probability": 0.0},
        "categories": {
            "tools": {"annual_failure_probability": 0.1, "shape": 1.5},
            "electrical": {"annual_failure_probability": 0.05},
        },
    },
    "travel_hours": {"dist": "gamma", "shape": 2.0, "scale": 0.75},
    "repair_hours": {"dist": "lognormal", "mean": 1.5, "sd": 0.75},
    "spare_parts": {
        "SKU-067": [
            {"part": "SKU-121", "quantity": 2, "probability": 0.8},
            {"part": "SKU-111", "quantity": 1, "probability": 0.6},
        ],
        "SKU-079": [{"part": "SKU-118", "quantity": 1, "probability": 0.5}],
    },
}
CUSTOMERS = {
    "reference_score": 4.3,
    "satisfaction": {
        "initial_score": 4.3,
        "weight": 0.3,
        "delivery": {
            "score_on_time": 4.5,
            "score_drop": 2.5,
            "midpoint_days": 3.0,
            "width_days": 1.0,
        },
    },
    "repeat": {"sensitivity_per_point": 0.4},
    "churn": {"base_per_year": 0.05, "sensitivity_per_point": 1.0, "review_days": 7},
    "pipeline": {
        "leads_per_day": {"key_accounts": 0.2, "trade": 0.5, "web": 1.0},
        "rep_hours": {"dist": "gamma", "shape": 2.0, "scale": 1.5},
        "cycle_days": {"dist": "lognormal", "mean": 20.0, "sd": 10.0},
        "win_probability": 0.3,
    },
}
CASH = {
    "opening_balance": 250000,
    "supplier_terms": {"default_days": 10, "suppliers": {"far-east": 60}},
    "payroll_period_days": 30,
}
ROLE = {"headcount": 1, "calendar": "office", "cost_per_hour": 40.0}

CONFIGURATIONS = {
    # orders wait on the credit desk and on handling delays before they ship
    "credit_and_handling": {
        "segments": {
            "key_accounts": {"handling_days": {"dist": "gamma", "shape": 2.0, "scale": 0.5}},
            "trade": {"handling_days": 0.5},
        },
        "credit": CREDIT,
        "staffing": {"credit_analyst": ROLE},
    },
    # one parcel per order; spare parts for repairs from the same stock; lost sales on imports
    "ship_complete_after_sales": {
        "fulfilment": {"mode": "ship_complete"},
        "after_sales": AFTER_SALES,
        "inventory": {"suppliers": {"far-east": {"shortage": "lost_sale"}}},
        "staffing": {"service_engineer": {**ROLE, "headcount": 2}},
    },
    # the customer loop thins the order book; leads in the CRM; supplier bills in the books
    "pipeline_and_cash": {
        "customers": CUSTOMERS,
        "cash": CASH,
        "staffing": {"sales_rep": ROLE},
    },
}
PROMOTION = {
    "name": "january-tools",
    "categories": ["tools"],
    "segments": ["trade", "web"],
    "start": "2025-01-06",
    "end": "2025-01-19",
    "discount": 0.15,
    "elasticity": -2.62,
    "pull_forward": 0.3,
    "dip_days": 21,
    "cannibalisation": 0.2,
    "fixed_cost": 6000.0,
}
# every lever at once, with a promotion in the history and a review-heavy credit desk
CONFIGURATIONS["whole_loop"] = {
    **CONFIGURATIONS["credit_and_handling"],
    "fulfilment": {"mode": "ship_complete"},
    "after_sales": AFTER_SALES,
    "customers": CUSTOMERS,
    "cash": CASH,
    "promotions": [PROMOTION],
    "staffing": {
        "credit_analyst": ROLE,
        "service_engineer": ROLE,
        "sales_rep": ROLE,
    },
}


def company(folder: Path, config: dict) -> Path:
    """The small sample company with `config` on top, as a scenario file in `folder`."""
    segments = {
        name: {**rates, **config.get("segments", {}).get(name, {})}
        for name, rates in SMALL["segments"].items()
    }
    rest = {key: value for key, value in config.items() if key != "segments"}
    data = {"extends": str(COMPANY), "name": "synthetic", "segments": segments, **rest}
    path = folder / "company.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def mapping_for(history: Path) -> Path:
    """The sample's mapping plus the tables of the lever files the history holds."""
    extra = "".join(text for name, text in LEVER_MAPPING.items() if (history / name).exists())
    base = MAPPING.read_text(encoding="utf-8")
    assert "\nmatch:" in base
    path = history.parent / "mapping.yaml"
    path.write_text(base.replace("\nmatch:", extra + "\nmatch:"), encoding="utf-8")
    return path


def rebuilt_and_true(tmp_path: Path, config: dict, seed: int, days: int = 30):
    history = tmp_path / "history"
    sample = write_sample(history, company(tmp_path, config), seed=seed, days=days)
    as_of = pd.Timestamp(sample.history_end) + pd.Timedelta(days=1)
    mapped, quality = mapped_and_checked(mapping_for(history), str(history), as_of.to_pydatetime())
    state = build_open_state(mapped.tables, quality.quarantine, as_of, origins=mapped.origins)
    assert not state.issues  # the company's own records contradict none of the state's rules
    return state.tables, read_folder(history / TRUE_STATE), as_of, history


def assert_same(rebuilt: dict, truth: dict, as_of: pd.Timestamp) -> None:
    """Every table equal row by row, the open POs' estimated receipt aside (the history carries
    no expected date; see test_open_state_truth.py)."""
    for name in STATE_TABLES:
        got, want = by_key(rebuilt[name], name), by_key(truth[name], name)
        if name == "purchase_orders":
            assert (got["expected_at"] >= as_of).all()
            got = got.drop(columns=["expected_at", "expected_source"])
            want = want.drop(columns=["expected_at", "expected_source"])
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=name)


def test_credit_desk_and_handling_delays(tmp_path):
    rebuilt, truth, as_of, history = rebuilt_and_true(
        tmp_path, CONFIGURATIONS["credit_and_handling"], seed=5
    )
    assert_same(rebuilt, truth, as_of)
    orders = pd.read_parquet(history / "sales_orders.parquet")
    lines = pd.read_parquet(history / "order_lines.parquet")
    backlog = truth["backlog"]
    # not vacuous: orders held on the desk at the end are backlog, rejected ones are not
    held = orders[orders["Status"] == "OPEN"]["SalesOrder"].astype(str)
    assert backlog["order_id"].isin(held).any()
    rejected = set(orders[orders["Status"] == "CANC"]["SalesOrder"].astype(str))
    assert len(rejected) > 0 and not rejected & set(backlog["order_id"])
    assert (lines["LineStatus"] == "C").sum() >= len(rejected)
    assert len(truth["receivables"]) > 0 and len(truth["purchase_orders"]) > 0


def test_ship_complete_after_sales_and_lost_sales(tmp_path):
    rebuilt, truth, as_of, history = rebuilt_and_true(
        tmp_path, CONFIGURATIONS["ship_complete_after_sales"], seed=7
    )
    assert_same(rebuilt, truth, as_of)
    assert len(truth["tickets"]) > 0 and len(truth["backlog"]) > 0
    moves = pd.read_parquet(history / "stock_moves.parquet")
    spare = (moves["MoveType"] == "GI") & moves["SalesOrder"].isna()
    assert spare.any()  # spare parts left the stock for repairs, in the ledger
    tickets = pd.read_parquet(history / "tickets.parquet")
    assert tickets["ClosedAt"].notna().any() and tickets["ClosedAt"].isna().any()
    # a ticket on a unit of an order placed before the history is open all the same
    orders = pd.read_parquet(history / "sales_orders.parquet")["SalesOrder"].astype(str)
    assert (~truth["tickets"]["order_id"].isin(orders)).any()


def test_pipeline_and_supplier_bills(tmp_path):
    rebuilt, truth, as_of, history = rebuilt_and_true(
        tmp_path, CONFIGURATIONS["pipeline_and_cash"], seed=9
    )
    assert_same(rebuilt, truth, as_of)
    assert len(truth["opportunities"]) > 0 and len(truth["payables"]) > 0
    bills = pd.read_parquet(history / "supplier_invoices.parquet")
    assert bills["PaidDate"].notna().any()  # some bills were paid within the month, not open
    opportunities = pd.read_parquet(history / "opportunities.parquet")
    assert opportunities["Stage"].isin(["Won", "Lost"]).any()


@pytest.mark.slow  # redundant with the three above; ~3 s alone, more with the others' load
def test_every_lever_at_once_with_a_promotion(tmp_path):
    rebuilt, truth, as_of, _ = rebuilt_and_true(tmp_path, CONFIGURATIONS["whole_loop"], seed=13)
    assert_same(rebuilt, truth, as_of)
    for name in ("backlog", "receivables", "payables", "opportunities", "tickets"):
        assert len(truth[name]) > 0, name


def test_a_company_without_levers_writes_no_lever_files(tmp_path):
    """The sample company writes exactly the files it always did (the sample stays as it is)."""
    write_sample(tmp_path, company(tmp_path, {}), seed=3, days=7)
    assert not any((tmp_path / name).exists() for name in LEVER_MAPPING)
    state = yaml.safe_load((tmp_path / TRUE_STATE / "state.yaml").read_text(encoding="utf-8"))
    assert state["tables"]["tickets"] == state["tables"]["payables"] == 0
