"""Win probability by CRM stage from the history, and open deals linked to ERP customers.

``twin.calibration.pipeline_stages`` estimates, for the one stage whose open deals carry a
creation date (Maven's engage date), the share won among the closed deals with one; the open
state (``twin.calibration.open_state.crm``) maps each open deal's CRM account to its matched ERP
customer. Hand-made tables with answers worked out by hand; the Maven CRM data when present.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from twin.calibration.calibrate import calibrate_history
from twin.calibration.conform import conform
from twin.calibration.fit_report import FitReport
from twin.calibration.mapping import MappedHistory
from twin.calibration.open_state import build_open_state
from twin.calibration.output import write_model
from twin.calibration.pipeline_stages import QUANTITY, fit_stage_win_probabilities
from twin.stats import wilson_interval

T = pd.Timestamp
MAVEN = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "synthetic_fallbacks"
MAVEN = MAVEN / "maven_crm_pipeline"
MAPPINGS = Path(__file__).resolve().parents[2] / "calibration" / "mappings"


def deals(rows: list[tuple[str, bool]]) -> pd.DataFrame:
    """Opportunities from (stage, has a creation date) pairs."""
    return pd.DataFrame(
        {
            "opportunity_id": [f"D{k}" for k in range(len(rows))],
            "stage": [stage for stage, _ in rows],
            "created_at": [T("2025-06-01") if dated else pd.NaT for _, dated in rows],
        }
    )


#: 6 won and 4 lost with an engage date, 3 won without one (not known to have been engaged),
#: 5 open Engaging (dated) and 3 open Prospecting (undated)
MAVEN_LIKE = deals(
    [("Won", True)] * 6
    + [("Lost", True)] * 4
    + [("Won", False)] * 3
    + [("Engaging", True)] * 5
    + [(" Prospecting", False)] * 3
)


def test_the_dated_stage_is_estimated_from_the_dated_closed_deals() -> None:
    """p = 6 / 10 with se sqrt(0.6 x 0.4 / 10) = 0.1549; the 3 undated wins do not count."""
    report = FitReport()
    fit = fit_stage_win_probabilities(MAVEN_LIKE, report)
    assert fit["win_probability_by_stage"] == {"Engaging": 0.6}
    engaging = fit["stage_win_rates"]["Engaging"]
    assert (engaging["successes"], engaging["n"]) == (6, 10)
    assert engaging["se"] == pytest.approx(math.sqrt(0.6 * 0.4 / 10))
    assert engaging["ci95"] == pytest.approx(list(wilson_interval(6, 10)))
    assert fit["stage_win_rates"]["Prospecting"]["defaulted"]
    rows = report.frame().set_index("group")
    assert list(rows["quantity"].unique()) == [QUANTITY]
    assert not rows.loc["Engaging", "defaulted"] and rows.loc["Engaging", "n"] == 10
    assert "se sqrt(p (1 - p) / n) = 0.1549" in rows.loc["Engaging", "note"]
    assert rows.loc["Prospecting", "defaulted"]
    assert "win_probability" in rows.loc["Prospecting", "note"]


def test_a_wilson_interval_covers_the_truth_on_a_large_draw() -> None:
    """2,000 closed deals won with probability 0.35 (fixed seed): the estimate's 95 % Wilson
    interval holds 0.35 and its standard error is sqrt(0.35 x 0.65 / 2000) = 0.0107 to 5 %."""
    rng = np.random.default_rng(7)
    won = rng.random(2000) < 0.35
    rows = [("Won" if w else "Lost", True) for w in won] + [("Open", True)]
    fit = fit_stage_win_probabilities(deals(rows), FitReport())["stage_win_rates"]["Open"]
    assert fit["ci95"][0] < 0.35 < fit["ci95"][1]
    assert fit["se"] == pytest.approx(math.sqrt(0.35 * 0.65 / 2000), rel=0.05)


@pytest.mark.parametrize(
    "rows",
    [
        [("Won", True), ("Lost", True), ("New", True), ("Qualified", True)],  # Odoo-like
        [("Won", True), ("Lost", True), ("New", False)],  # no open stage is dated
        [("Won", True), ("Lost", True), ("New", True), ("New", False)],  # partly dated
        [("Won", False), ("Lost", False), ("New", True)],  # no closed deal is dated
    ],
)
def test_no_key_when_the_history_cannot_tell(rows: list[tuple[str, bool]]) -> None:
    report = FitReport()
    assert fit_stage_win_probabilities(deals(rows), report) == {}
    assert report.frame()["defaulted"].all()


def test_no_opportunities_no_rows() -> None:
    report = FitReport()
    assert fit_stage_win_probabilities(None, report) == {}
    assert fit_stage_win_probabilities(deals([("Won", True), ("Lost", True)]), report) == {}
    assert report.frame().empty


def test_maven_engaging_is_won_lost_among_engaged_deals() -> None:
    """On Maven's pipeline every closed deal has an engage date: the Engaging estimate is the
    won share of all closed deals, counted from the CSV file directly."""
    if not MAVEN.is_dir():
        pytest.skip("the shared Maven CRM data are absent")
    from twin.calibration.mapping import apply_mapping
    from twin.calibration.mapping_schema import load_mapping

    mapped = apply_mapping(load_mapping(MAPPINGS / "crm_pipeline.yaml"), str(MAVEN))
    fit = fit_stage_win_probabilities(mapped.tables["opportunities"], FitReport())
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv")
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"]) & raw["engage_date"].notna()]
    expected = (closed["deal_stage"] == "Won").mean()
    assert fit["win_probability_by_stage"] == {"Engaging": pytest.approx(expected)}
    assert fit["stage_win_rates"]["Engaging"]["n"] == len(closed)


# ----------------------------------------------------------------- the open state's deals


def history(opportunities: pd.DataFrame, accounts: pd.DataFrame | None = None, **more) -> dict:
    tables = {
        "orders": pd.DataFrame(
            {
                "order_id": ["O1", "O2"],
                "customer_id": ["C1", "C2"],
                "ordered_at": [T("2025-11-01"), T("2025-11-02")],
                "status": ["invoiced", "invoiced"],
                "channel": ["trade", "web"],
            }
        ),
        "order_lines": pd.DataFrame(
            {
                "order_id": ["O1", "O2"],
                "line_no": [1, 1],
                "sku": ["A", "A"],
                "quantity": [1.0, 1.0],
                "unit_price": [10.0, 10.0],
                "status": ["ordered", "ordered"],
            }
        ),
        "opportunities": opportunities,
        **more,
    }
    if accounts is not None:
        tables["accounts"] = accounts
    return tables


def test_open_deals_take_their_matched_customers_id() -> None:
    """CRM accounts ACC-1 and ACC-2 are linked by the match to ERP customers C1 and C2; ACC-9
    is not: its deal keeps its CRM id, which no customer of the state has, and the note counts
    the two linked deals."""
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2", "D3"],
            "account_id": ["ACC-1", "ACC-2", "ACC-9"],
            "stage": ["Engaging"] * 3,
            "created_at": [T("2025-12-01")] * 3,
            "amount": [100.0, 200.0, 300.0],
        }
    )
    accounts = pd.DataFrame(
        {"account_id": ["ACC-1", "ACC-2", "ACC-9"], "customer_id": ["C1", "C2", None]}
    )
    state = build_open_state(history(opportunities, accounts), {}, T("2026-01-01"))
    table = state.tables["opportunities"]
    assert table["account_id"].tolist() == ["C1", "C2", "ACC-9"]
    customers = state.tables["customers"]
    assert set(table["account_id"][:2]) <= set(customers["customer_id"])
    assert "ACC-9" not in set(customers["customer_id"])
    assert any("2 open opportunities name a CRM account the ERP-CRM" in n for n in state.notes)


def test_deals_without_date_or_amount_are_priced_or_reported() -> None:
    """D1 has an amount; D2 none but its product a list price (70); D3 no creation date
    (reported undated_opportunity); D4 neither amount nor a priced product (unvalued)."""
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2", "D3", "D4"],
            "account_id": ["C1"] * 4,
            "product": ["A", "A", "A", "Z"],
            "stage": ["Engaging", "Engaging", "Prospecting", "Engaging"],
            "created_at": [T("2025-12-01"), T("2025-12-02"), pd.NaT, T("2025-12-03")],
            "amount": [100.0, np.nan, np.nan, np.nan],
        }
    )
    products = pd.DataFrame({"sku": ["A"], "list_price": [70.0]})
    state = build_open_state(history(opportunities, products=products), {}, T("2026-01-01"))
    table = state.tables["opportunities"]
    assert table["opportunity_id"].tolist() == ["D1", "D2"]
    assert table["amount"].tolist() == [100.0, 70.0]
    issues = state.issues["opportunities"]
    assert dict(zip(issues["opportunity_id"], issues["reason"], strict=True)) == {
        "D3": "undated_opportunity",
        "D4": "unvalued_opportunity",
    }
    assert any("1 open opportunities without an amount are valued" in n for n in state.notes)
    assert any(
        "2 open opportunities without a creation date or an amount" in n for n in state.notes
    )


# ----------------------------------------------------------------- through twin calibrate


@functools.cache
def orders_history() -> dict[str, pd.DataFrame]:
    """60 days of 10 orders a day of one SKU: enough for every fit calibration makes."""
    rng = np.random.default_rng(5)
    days = np.repeat(np.arange(60), 10)
    ids = [f"O{k}" for k in range(days.size)]
    at = T("2025-01-01") + pd.to_timedelta(days + rng.random(days.size), unit="D")
    orders = pd.DataFrame(
        {
            "order_id": ids,
            "customer_id": [f"C{c}" for c in rng.integers(0, 30, days.size)],
            "ordered_at": at,
            "promised_at": at + pd.Timedelta(days=3),
            "shipped_at": at + pd.Timedelta(hours=6),
            "delivered_at": at + pd.Timedelta(days=2),
            "status": "delivered",
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": ids,
            "line_no": 1,
            "sku": "A",
            "quantity": 1.0 + rng.poisson(2.0, days.size),
            "unit_price": 10.0,
            "status": "ordered",
        }
    )
    return {"orders": conform("orders", orders), "order_lines": conform("order_lines", lines)}


def test_calibrate_writes_the_key_beside_the_model(tmp_path: Path) -> None:
    opportunities = conform("opportunities", MAVEN_LIKE)
    calibration = calibrate_history({**orders_history(), "opportunities": opportunities})
    assert calibration.behaviour["pipeline"]["win_probability_by_stage"] == {"Engaging": 0.6}
    mapped = MappedHistory(tables={}, rows_read={}, rows_written={}, provenance={})
    paths = write_model(tmp_path / "model", calibration, mapped, str(tmp_path), "test")
    written = yaml.safe_load(paths["behaviour"].read_text(encoding="utf-8"))
    assert written["pipeline"]["win_probability_by_stage"] == {"Engaging": 0.6}
    report = pd.read_csv(paths["fit_report"])
    assert sorted(report.loc[report["quantity"] == QUANTITY, "group"]) == [
        "Engaging",
        "Prospecting",
    ]


def test_calibrate_without_opportunities_writes_no_key() -> None:
    calibration = calibrate_history(orders_history())
    assert "win_probability_by_stage" not in calibration.behaviour["pipeline"]
    assert not (calibration.report["quantity"] == QUANTITY).any()


def test_an_open_deal_of_an_unknown_account_stays_open() -> None:
    """The quality step quarantines D2 (its account is not among the used accounts): the fits
    leave it out, the open state still has the open deal."""
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2"],
            "account_id": ["C1", "GONE"],
            "stage": ["Engaging"] * 2,
            "created_at": [T("2025-12-01")] * 2,
            "amount": [100.0, 200.0],
        }
    )
    quarantine = {"opportunities": opportunities.iloc[[1]].assign(reason="unknown_account")}
    state = build_open_state(history(opportunities), quarantine, T("2026-01-01"))
    assert state.tables["opportunities"]["opportunity_id"].tolist() == ["D1", "D2"]
