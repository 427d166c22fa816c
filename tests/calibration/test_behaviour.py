"""Customer-behaviour fits: known parameters recovered from synthetic canonical frames, and facts
of the real data sets (skipped when the shared data folder is absent).

Every synthetic test draws from a generator with a fixed seed; each tolerance says why it is wide
enough for sampling error and narrow enough to catch a wrong estimator.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from twin.calibration.behaviour import fit_behaviour
from twin.calibration.behaviour.pipeline import agent_rate, fit_win_rate
from twin.calibration.behaviour.price import (
    DEFAULT_ELASTICITY,
    _group_sums,
    fit_elasticity,
    weekly_sales,
)
from twin.calibration.conform import conform
from twin.calibration.fit_report import REPORT_COLUMNS, FitReport
from twin.errors import InputError
from twin.stats import wilson_interval

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
OLIST = DATA / "olist"
PIPELINE = DATA / "synthetic_fallbacks" / "maven_crm_pipeline" / "sales_pipeline.csv"
JOURNEY = DATA / "complete_journey"
MONDAY = pd.Timestamp("2023-01-02")


def _sales_history(weekly: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Canonical orders and lines with one order per SKU-week (ordered on the Wednesday)."""
    weekly = weekly[weekly["units"] > 0].reset_index(drop=True)
    order_id = [f"o{i}" for i in range(len(weekly))]
    orders = conform(
        "orders",
        pd.DataFrame(
            {
                "order_id": order_id,
                "customer_id": [f"c{i}" for i in range(len(weekly))],  # one-off buyers
                "ordered_at": weekly["week"] + pd.Timedelta(days=2),
                "promised_at": pd.NaT,
                "shipped_at": pd.NaT,
                "status": "invoiced",
            }
        ),
    )
    lines = conform(
        "order_lines",
        pd.DataFrame(
            {
                "order_id": order_id,
                "line_no": 1,
                "sku": weekly["sku"],
                "quantity": weekly["units"].astype(float),
                "unit_price": weekly["shelf"],
                "discount": (weekly["shelf"] - weekly["price"]) * weekly["units"],
                "status": "ordered",
            }
        ),
    )
    return {"orders": orders, "order_lines": lines}


def test_elasticity_recovered_with_sku_and_week_effects():
    rng = np.random.default_rng(11)
    skus, weeks, beta = 40, 52, -2.0
    sku = np.repeat([f"s{i}" for i in range(skus)], weeks)
    week = np.tile(MONDAY + pd.to_timedelta(7 * np.arange(weeks), unit="D"), skus)
    base_price = np.repeat(rng.uniform(1, 10, skus), weeks)
    level = np.repeat(rng.normal(4.0, 0.3, skus), weeks)
    season = np.tile(0.3 * np.sin(np.arange(weeks) / 52 * 2 * np.pi), skus)
    shelf = 1.6 * base_price  # the list price; the effective price is below it
    price = np.minimum(base_price * np.exp(rng.normal(0, 0.15, skus * weeks)), shelf)
    mean = np.exp(level + season + beta * np.log(price / base_price))
    units = rng.poisson(mean)
    weekly = pd.DataFrame({"sku": sku, "week": week, "units": units, "shelf": shelf,
                           "price": price})  # fmt: skip
    report = FitReport()
    fitted = fit_behaviour(_sales_history(weekly), report=report)
    rows = report.rows
    elasticity = fitted["price_response"]["elasticity"]
    # about 2,000 SKU-weeks with a log-price sd of 0.15 and Poisson noise of sd ~0.14 on log
    # units (mean ~55): the SE of beta is ~0.02, so 0.1 is 5 SE; the week effects absorb the
    # seasonality, which would otherwise not bias beta (it is independent of price) but widen it
    assert elasticity["value"] == pytest.approx(beta, abs=0.1)
    assert elasticity["ci95"][0] < beta < elasticity["ci95"][1]
    assert 0.005 < elasticity["se"] < 0.06
    assert elasticity["defaulted"] is False
    assert elasticity["n_skus"] == skus
    assert {tuple(sorted(row)) for row in rows} == {tuple(sorted(REPORT_COLUMNS))}


def test_group_sums_add_the_rows_in_order_like_add_at():
    # the elasticity's within transformation and clustered scores sum rows per SKU by bincount;
    # the sums must be those of np.add.at to the bit, so the fit is unchanged
    rng = np.random.default_rng(17)
    values = rng.lognormal(0.0, 3.0, (5_000, 7)) * rng.choice([-1.0, 1.0], (5_000, 7))
    groups = rng.integers(0, 300, 5_000)
    expected = np.zeros((groups.max() + 1, 7))
    np.add.at(expected, groups, values)
    assert _group_sums(values, groups).tobytes() == expected.tobytes()


def test_elasticity_defaults_without_price_variation():
    weekly = pd.DataFrame({"sku": "s1", "week": [MONDAY, MONDAY + pd.Timedelta(days=7)],
                           "units": [3, 4], "shelf": 2.0, "price": 2.0})  # fmt: skip
    fitted = fit_behaviour(_sales_history(weekly))
    elasticity = fitted["price_response"]["elasticity"]
    assert elasticity["defaulted"] is True
    assert elasticity["value"] == DEFAULT_ELASTICITY
    assert fitted["price_response"]["lift"]["default"]["value"] == 1.0


def test_promotion_lift_by_kind_and_post_promotion_dip():
    rng = np.random.default_rng(5)
    skus, weeks = 60, 60
    lift = {"display": 1.6, "mailer": 1.25}
    dip = 0.75
    weeks_index = MONDAY + pd.to_timedelta(7 * np.arange(weeks), unit="D")
    records, promotions = [], []
    for i in range(skus):
        base = rng.uniform(20, 60)
        factor = np.ones(weeks)
        starts = rng.choice(np.arange(2, weeks - 3, 6), size=3, replace=False)
        for j, start in enumerate(sorted(starts)):
            kind = "display" if (i + j) % 2 else "mailer"
            factor[start] = lift[kind]
            factor[start + 1] = dip
            day = weeks_index[start] + pd.Timedelta(days=int(rng.integers(0, 7)))
            promotions.append({"promotion_id": f"p{i}-{j}", "sku": f"s{i}", "kind": kind,
                               "starts_on": day, "ends_on": day})  # fmt: skip
        units = rng.poisson(base * factor)
        records += [
            {"sku": f"s{i}", "week": w, "units": u, "shelf": 5.0, "price": 5.0}
            for w, u in zip(weeks_index, units, strict=True)
        ]
    tables = _sales_history(pd.DataFrame(records))
    tables["promotions"] = conform("promotions", pd.DataFrame(promotions))
    fitted = fit_behaviour(tables)["price_response"]
    # each kind has ~90 promoted SKU-weeks of mean ~40 units: Poisson error of the ratio is
    # ~1.5 % and the baseline mean (~54 weeks per SKU) adds ~1 %; 0.06 is about 3 SE on a lift
    # of 1.6, and the bootstrap interval must cover the truth
    for kind, true in lift.items():
        result = fitted["lift"][kind]
        assert result["value"] == pytest.approx(true, abs=0.06), kind
        assert result["ci95"][0] < true < result["ci95"][1], kind
        assert result["n"] == pytest.approx(90, abs=1)
    assert fitted["dip"]["value"] == pytest.approx(dip, abs=0.04)
    assert fitted["dip"]["ci95"][0] < dip < fitted["dip"]["ci95"][1]
    assert fitted["dip"]["n"] == 180


def _opportunities(rng: np.random.Generator, n: int, p_win: float) -> pd.DataFrame:
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    closes = rng.random(n) < 0.85
    won = rng.random(n) < p_win
    cycle = np.where(won, rng.gamma(2.0, 10.0, n), rng.lognormal(np.log(20), 0.5, n))
    return conform(
        "opportunities",
        pd.DataFrame(
            {
                "opportunity_id": [f"op{i}" for i in range(n)],
                "owner": [f"agent{i % 8}" for i in range(n)],
                "stage": np.where(closes, np.where(won, "Won", "Lost"), "Engaging"),
                "created_at": created,
                "closed_at": (created + pd.to_timedelta(cycle, unit="D")).where(closes),
                "amount": np.where(won, rng.gamma(3.0, 500.0, n), np.nan),
            }
        ),
    )


def test_pipeline_win_rate_cycle_time_and_agent_rate():
    rng = np.random.default_rng(3)
    opportunities = _opportunities(rng, 2400, 0.6)
    fitted = fit_behaviour({"opportunities": opportunities})["pipeline"]
    win = fitted["win_rate"]
    # ~2,040 closed deals: SE of the win rate is ~0.011; 0.035 is 3 SE
    assert win["value"] == pytest.approx(0.6, abs=0.035)
    assert win["ci95"][0] < 0.6 < win["ci95"][1]
    assert win["open"] == int((opportunities["stage"] == "Engaging").sum())
    assert win["n"] + win["open"] == 2400
    won = fitted["cycle_days"]["won"]
    # ~1,220 won cycles from gamma(2, 10): the MLE of the shape has SE ~0.08 and of the mean
    # ~0.4 days; gamma must win (KS screen + AIC) and sit within 3 SE
    assert won["dist"]["dist"] == "gamma"
    assert won["dist"]["shape"] == pytest.approx(2.0, abs=0.25)
    assert won["dist"]["shape"] * won["dist"]["scale"] == pytest.approx(20.0, abs=1.2)
    assert fitted["cycle_days"]["lost"]["dist"]["dist"] == "lognormal"
    agents = fitted["opportunities_per_agent_day"]
    # 2,400 opportunities over ~365 days and 8 agents: 0.82 per agent and day (exactly the count
    # over the observed span, which is 365 or 366 days)
    assert agents["agents"] == 8
    assert agents["value"] == pytest.approx(2400 / 8 / agents["span_days"], rel=1e-12)
    assert 364 <= agents["span_days"] <= 366


def test_wilson_interval_known_value():
    # Wilson (1927); e.g. Newcombe (1998), Stat Med 17, table I: 81/263 -> 0.2553 .. 0.3662
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def _delivered_orders(rng: np.random.Generator, n: int) -> pd.DataFrame:
    ordered = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.uniform(0, 365, n), unit="D")
    promised = (ordered + pd.Timedelta(days=10)).normalize()
    lateness = rng.integers(-8, 21, n)
    delivered = promised + pd.to_timedelta(lateness, unit="D") + pd.Timedelta(hours=14)
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": [f"c{i}" for i in range(n)],
            "ordered_at": ordered,
            "promised_at": promised,
            "shipped_at": ordered + pd.Timedelta(days=1),
            "delivered_at": delivered,
            "status": "delivered",
        }
    ), lateness


def test_satisfaction_curve_low_score_and_tickets():
    rng = np.random.default_rng(8)
    raw, lateness = _delivered_orders(rng, 6000)
    orders = conform("orders", raw)
    true_mean = 4.4 - 0.12 * np.maximum(lateness, 0)
    score = true_mean + rng.normal(0, 0.9, lateness.size)
    has_ticket = rng.random(lateness.size) < 0.7
    resolution = rng.lognormal(np.log(1.5), 0.6, lateness.size)
    opened = raw["delivered_at"] + pd.Timedelta(days=1)
    tickets = conform(
        "tickets",
        pd.DataFrame(
            {
                "ticket_id": [f"t{i}" for i in range(lateness.size)],
                "order_id": raw["order_id"],
                "opened_at": opened,
                "closed_at": opened + pd.to_timedelta(resolution, unit="D"),
                "score": score,
            }
        )[has_ticket],
    )
    fitted = fit_behaviour({"orders": orders, "tickets": tickets})
    satisfaction = fitted["satisfaction"]
    curve = satisfaction["score_curve"]
    hinge = next(c for c in curve["candidates"] if c["name"] == "piecewise_linear")
    # ~4,200 scores, ~2,900 of them late with days late spread over 1..20 (sd ~5.8): the SE of
    # the slope is ~0.9 / (5.8 sqrt(2900)) ~ 0.003; 0.015 is 5 SE. The level a has SE ~0.02
    assert hinge["params"]["b"] == pytest.approx(0.12, abs=0.015)
    assert hinge["params"]["a"] == pytest.approx(4.4, abs=0.06)
    assert curve["chosen"] in {"piecewise_linear", "step_piecewise_linear", "logistic"}
    constant = next(c for c in curve["candidates"] if c["name"] == "constant")
    assert constant["delta_aic"] > 100  # lateness matters, and AIC sees it
    # the on-time bin means must match the generating mean (4.4) within 4 SE (~0.05)
    on_time_bin = next(b for b in satisfaction["bins"] if b["days_late_at_most"] == 0)
    assert on_time_bin["mean_score"] == pytest.approx(4.4, abs=0.1)
    # P(score <= 2) rises with lateness: 2 + the sign of the slope of the logistic model
    assert satisfaction["low_score"]["params"]["b2"] > 0
    late_bin = next(b for b in satisfaction["bins"] if b["days_late_above"] == 14)
    assert late_bin["low_score_probability"] > on_time_bin["low_score_probability"]
    after = fitted["after_sales"]
    # 6,000 orders with a ticket each with probability 0.7: SE 0.006, tolerance 3 SE
    assert after["tickets_per_delivered_order"]["value"] == pytest.approx(0.7, abs=0.018)
    # ~4,200 lognormal resolution times with median 1.5 days: the median's SE is ~0.02 days
    assert after["resolution_days"]["median"] == pytest.approx(1.5, abs=0.08)


def test_churn_probability_with_censoring():
    rng = np.random.default_rng(21)
    q, mean_gap, window, years = 0.6, 60.0, 180.0, 3
    start, end_days = pd.Timestamp("2021-01-01"), 365 * years
    records = []
    for c in range(3000):
        t = rng.uniform(0, end_days)
        while t < end_days:
            records.append((f"c{c}", t))
            if rng.random() > q:
                break
            t += rng.exponential(mean_gap)
    frame = pd.DataFrame(records, columns=["customer_id", "day"])
    orders = conform(
        "orders",
        pd.DataFrame(
            {
                "order_id": [f"o{i}" for i in range(len(frame))],
                "customer_id": frame["customer_id"],
                "ordered_at": start + pd.to_timedelta(frame["day"], unit="D"),
                "promised_at": pd.NaT,
                "shipped_at": pd.NaT,
                "status": "invoiced",
            }
        ),
    )
    segments = pd.Series({f"c{c}": "a" if c % 2 else "b" for c in range(3000)})
    report = FitReport()
    loop = fit_behaviour({"orders": orders}, segments, report,
                         inactivity_days=window)["customer_loop"]  # fmt: skip
    rows = report.rows
    true_churn = 1 - q * (1 - math.exp(-window / mean_gap))  # 0.4299
    assert set(loop) == {"a", "b"}
    for segment in ("a", "b"):
        churn = loop[segment]["churn"]
        # ~3,000 observed orders per segment: SE ~0.009; 0.03 is 3.3 SE. Counting the censored
        # last months as churn would push it up by several points.
        assert churn["value"] == pytest.approx(true_churn, abs=0.03), segment
        assert churn["ci95"][0] < true_churn < churn["ci95"][1]
        gaps = loop[segment]["inter_purchase_days"]
        # gaps seen are those inside the history, so slightly short of 60 days; 10 % allows that
        assert gaps["mean"] == pytest.approx(mean_gap, rel=0.1)
    naive = fit_behaviour({"orders": orders}, inactivity_days=window)["customer_loop"]["all"]
    assert naive["churn"]["n"] < naive["orders"]  # the censored orders are left out
    assert {r["quantity"] for r in rows} >= {"customer_loop.churn_probability"}


def test_unknown_part_is_an_input_error():
    with pytest.raises(InputError, match=r"unknown part.*pricing.*choose from price_response"):
        fit_behaviour({}, parts=("pricing",))


def test_result_is_yaml_safe():
    fitted = fit_behaviour({})
    text = yaml.safe_dump(fitted)
    assert yaml.safe_load(text) == fitted
    assert fitted["pipeline"]["defaulted"] is True


def test_weekly_sales_effective_price():
    lines = pd.DataFrame(
        {
            "sku": ["a", "a", "a"],
            "quantity": [2.0, 1.0, 4.0],
            "unit_price": [3.0, 3.0, 2.0],
            "discount": [1.0, np.nan, 0.0],
            "ordered_at": pd.to_datetime(
                ["2023-01-02 10:00", "2023-01-08 23:00", "2023-01-09 00:00"]
            ),
        }
    )
    weekly = weekly_sales(lines)
    assert weekly["week"].tolist() == [pd.Timestamp("2023-01-02"), pd.Timestamp("2023-01-09")]
    assert weekly["units"].tolist() == [3.0, 4.0]
    assert weekly["price"].tolist() == pytest.approx([(6 + 3 - 1) / 3, 2.0])


# --- real data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def olist_tables() -> dict[str, pd.DataFrame]:
    if not OLIST.is_dir():
        pytest.skip("the shared olist data set is not here")
    from twin.calibration.mapping import apply_mapping
    from twin.calibration.quality import check_history

    mapped = apply_mapping(ROOT / "calibration" / "mappings" / "olist.yaml", OLIST)
    quality = check_history(mapped.tables, as_of="2019-01-01", source_line_numbers=True)
    assert len(mapped.tables["tickets"]) == 14_944  # one ticket per review row
    assert len(quality.tables["tickets"]) + len(quality.quarantine["tickets"]) == 14_944
    return quality.tables


def test_olist_satisfaction_on_time_and_late(olist_tables):
    fitted = fit_behaviour(olist_tables, parts=("satisfaction",))["satisfaction"]
    # README: mean score 4.28 on time, 2.27 late (reviews of delivered orders, by date)
    assert fitted["mean_score_on_time"] == pytest.approx(4.28, abs=0.05)
    assert fitted["mean_score_late"] == pytest.approx(2.27, abs=0.05)
    assert fitted["score_curve"]["chosen"] != "constant"


def test_maven_pipeline_win_rate():
    if not PIPELINE.is_file():
        pytest.skip("the shared CRM pipeline data set is not here")
    raw = pd.read_csv(PIPELINE)
    opportunities = conform(
        "opportunities",
        pd.DataFrame(
            {
                "opportunity_id": raw["opportunity_id"],
                "account_id": raw["account"],
                "product": raw["product"],
                "owner": raw["sales_agent"],
                "stage": raw["deal_stage"],
                "created_at": pd.to_datetime(raw["engage_date"], format="mixed"),
                "closed_at": pd.to_datetime(raw["close_date"], format="mixed"),
                "amount": raw["close_value"],
            }
        ),
    )
    # win rate and agent rate only: the cycle-time fits are tested on synthetic deals above
    win, _, _ = fit_win_rate(opportunities)
    assert win["value"] == pytest.approx(4238 / (4238 + 2473), rel=1e-12)
    assert win["open"] == 1589 + 500
    assert win["ci95"][0] < win["value"] < win["ci95"][1]
    agents = agent_rate(opportunities)
    assert agents["n"] == 8800 - 500  # Prospecting deals have no engage date
    assert agents["agents"] == raw["sales_agent"].nunique()


@pytest.mark.slow
def test_complete_journey_elasticity():
    parts = sorted(JOURNEY.glob("transactions_sample.part*.csv"))
    if not parts:
        pytest.skip("the shared complete_journey data set is not here")
    raw = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    raw = raw[raw["quantity"] > 0]
    shelf = (raw["sales_value"] + raw["retail_disc"] + raw["coupon_match_disc"]) / raw["quantity"]
    lines = pd.DataFrame(
        {
            "sku": raw["product_id"].astype(str),
            "quantity": raw["quantity"].astype(float),
            "unit_price": shelf,
            "discount": raw["retail_disc"] + raw["coupon_disc"] + raw["coupon_match_disc"],
            "ordered_at": pd.to_datetime(raw["transaction_timestamp"]),
        }
    )
    elasticity = fit_elasticity(weekly_sales(lines))
    print("complete_journey elasticity", elasticity)
    # only what is robust on a 100,000-line sample: a finite, negative elasticity whose
    # interval excludes 0 (loyalty discounts move weekly units of a SKU in the expected way)
    assert math.isfinite(elasticity["value"]) and elasticity["value"] < 0
    assert elasticity["ci95"][1] < 0
