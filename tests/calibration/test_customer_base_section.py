"""Customer summaries, the customer_base section and its wiring into calibration and output."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd

import twin.calibration.calibrate as calibrate_module
from twin.calibration.calibrate import calibrate_history, history_until
from twin.calibration.conform import conform
from twin.calibration.customer_base.first_purchases import UNSEEN_PREFIX
from twin.calibration.customer_base.section import (
    FILE_COLUMNS,
    customer_base_enabled,
    fit_segment_customer_base,
    split_anonymous,
)
from twin.calibration.customer_base.summaries import customer_summaries
from twin.calibration.fit_report import FitReport
from twin.calibration.privacy import pseudonym, pseudonym_key
from twin.scenario.segments import Segment


def _orders(rows):
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at"]).assign(
        ordered_at=lambda f: pd.to_datetime(f["ordered_at"])
    )


def test_summaries_count_orders_after_the_first_up_to_the_as_of_date():
    orders = _orders(
        [
            ("o1", "A", "2024-01-01 12:00"),
            ("o2", "A", "2024-01-01 18:00"),  # same day: counts separately
            ("o3", "A", "2024-01-11 12:00"),
            ("o3", "A", "2024-01-11 12:00"),  # the same order twice: one transaction
            ("o4", "B", "2024-01-21 00:00"),
            ("o5", None, "2024-01-05 00:00"),  # no customer id: not summarised
            ("o6", "B", "2024-02-01 00:00"),  # at the as-of date: not yet known
        ]
    )
    summary = customer_summaries(orders, pd.Timestamp("2024-02-01"))
    assert list(summary["customer"]) == ["A", "B"]
    assert list(summary["frequency"]) == [2, 0]
    assert list(summary["recency_days"]) == [10.0, 0.0]
    assert list(summary["age_days"]) == [30.5, 11.0]
    assert (summary["recency_days"] <= summary["age_days"]).all()


START = dt.date(2023, 1, 1)
DAYS = 730


def _history(seed: int = 5, customers: int = 600, anonymous_per_day: float = 0.0):
    """Two years of one segment's orders: customers join at a steady rate (a third are there
    at the start), buy at gamma-distributed rates and leave after exponential lifetimes; plus
    anonymous orders."""
    rng = np.random.default_rng(seed)
    joined = np.where(rng.random(customers) < 1 / 3, 0.0, rng.uniform(0, DAYS, customers))
    rates = rng.gamma(2.0, 0.04 / 2.0, customers)
    ends = np.minimum(joined + rng.exponential(400.0, customers), DAYS)
    times, ids = [joined], [np.arange(customers)]
    for c in range(customers):
        n = rng.poisson(rates[c] * (ends[c] - joined[c]))
        times.append(rng.uniform(joined[c], ends[c], n))
        ids.append(np.full(n, c))
    at = np.concatenate(times)
    who = np.concatenate(ids).astype(object)
    who = np.array([f"C{c:04d}" for c in who], dtype=object)
    n_anonymous = rng.poisson(anonymous_per_day * DAYS)
    at = np.concatenate([at, rng.uniform(0, DAYS, n_anonymous)])
    who = np.concatenate([who, np.full(n_anonymous, None, dtype=object)])
    order_ids = [f"O{k}" for k in range(at.size)]
    ordered = pd.Timestamp(START) + pd.to_timedelta(at, unit="D")
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": who,
            "ordered_at": ordered,
            "promised_at": ordered + pd.Timedelta(days=3),
            "shipped_at": ordered + pd.Timedelta(hours=6),
            "delivered_at": ordered + pd.Timedelta(days=2),
            "status": "delivered",
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": order_ids,
            "line_no": 1,
            "sku": rng.choice(["S1", "S2", "S3"], at.size),
            "quantity": 1.0 + rng.poisson(1.0, at.size),
            "unit_price": 10.0,
            "status": "ordered",
        }
    )
    return {"orders": conform("orders", orders), "order_lines": conform("order_lines", lines)}


def test_the_section_follows_the_interface():
    tables = _history()
    orders = tables["orders"]
    report = FitReport()
    period = (START, START + dt.timedelta(days=DAYS - 1))
    section, customers = fit_segment_customer_base(orders, period, report, [], "trade", tables)
    assert section is not None
    assert section["model"] in ("pareto_nbd", "bg_nbd")
    names = (
        ("r", "alpha", "s", "beta")
        if section["model"] == "pareto_nbd"
        else ("r", "alpha", "a", "b")
    )
    assert tuple(section["parameters"]) == names
    assert all(isinstance(v, float) and v > 0 for v in section["parameters"].values())
    covariance = np.array(section["log_parameter_covariance"])
    assert covariance.shape == (4, 4)
    assert section["customers_file"] == "customers-trade.parquet"
    assert section["new_customers"]["kind"] == "poisson"
    assert section["new_customers"]["rate_per_day"] > 0
    assert tuple(customers.columns) == FILE_COLUMNS
    assert customers["frequency"].dtype == np.int64
    assert (customers["frequency"] >= 0).all()
    assert (customers["age_days"] > 0).all()
    assert (customers["recency_days"] >= 0).all()
    assert (customers["recency_days"] <= customers["age_days"]).all()
    assert (customers.loc[customers["frequency"] == 0, "recency_days"] == 0).all()
    assert customers["customer"].is_unique
    rows = report.frame()
    assert set(rows["quantity"]) >= {
        "customer_base",
        "customer_base.pareto_nbd",
        "customer_base.bg_nbd",
        "customer_base.new_customers",
    }
    chosen = rows[rows["quantity"] == "customer_base"].iloc[0]
    seen = ~customers["customer"].str.startswith("unseen-")
    assert chosen["distribution"] == section["model"] and chosen["n"] == seen.sum()


def test_segments_without_ids_or_repeat_buyers_keep_aggregate_arrivals():
    tables = _history()
    period = (START, START + dt.timedelta(days=DAYS - 1))
    report = FitReport()
    no_ids = tables["orders"].assign(customer_id=None)
    assert fit_segment_customer_base(no_ids, period, report, [], "counter") == (None, None)
    one_off = tables["orders"].drop_duplicates("customer_id")
    assert fit_segment_customer_base(one_off, period, report, [], "web") == (None, None)
    rows = report.frame()
    assert list(rows["quantity"]) == ["customer_base", "customer_base"]
    assert rows["note"].str.contains("aggregate arrivals kept").all()


def test_anonymous_orders_form_a_segment_of_their_own():
    tables = _history(anonymous_per_day=1.0)
    orders = tables["orders"]
    segment = pd.Series("trade", index=orders.index)
    split = split_anonymous(segment, orders, FitReport())
    assert (split[orders["customer_id"].isna()] == "trade_anonymous").all()
    assert (split[orders["customer_id"].notna()] == "trade").all()


def test_without_the_schema_field_calibration_writes_no_customer_base(monkeypatch):
    assert customer_base_enabled() == ("customer_base" in Segment.model_fields)
    monkeypatch.setattr(calibrate_module, "customer_base_enabled", lambda: False)
    tables = history_until(_history(anonymous_per_day=1.0), pd.Timestamp("2024-12-01"))
    plain = calibrate_history(tables, name="plain")
    assert set(plain.model["segments"]) == {"all"}
    assert "customer_base" not in plain.model["segments"]["all"]
    assert plain.customers == {}


def test_with_the_schema_field_calibration_writes_the_customer_base(monkeypatch):
    tables = history_until(_history(anonymous_per_day=1.0), pd.Timestamp("2024-12-01"))
    monkeypatch.setattr(calibrate_module, "customer_base_enabled", lambda: True)
    calibration = calibrate_history(tables, name="with_customers")
    segments = calibration.model["segments"]
    assert set(segments) == {"all", "all_anonymous"}
    base = segments["all"]["customer_base"]
    assert "customer_base" not in segments["all_anonymous"]
    customers = calibration.customers[base["customers_file"]]
    assert segments["all"]["customers"] == len(customers)
    # ages run to the model's start date, the day after the fitted history, on the segment's
    # calendar clock (calendar-weighted days: increasing in plain days, a year's worth ~ 365)
    start = pd.Timestamp(calibration.model["run"]["start_date"])
    assert start == pd.Timestamp("2024-12-01")
    first = tables["orders"].groupby("customer_id")["ordered_at"].min()
    unseen = customers["customer"].str.startswith(UNSEEN_PREFIX)
    # customers not yet seen by the as-of date: the fitted first-purchase split's estimate,
    # each with no purchase and the whole history's age
    assert (customers.loc[unseen, "frequency"] == 0).all()
    seen_ages = customers.loc[~unseen, "age_days"]
    assert np.allclose(customers.loc[unseen, "age_days"], seen_ages.max(), rtol=0.05)
    ages = customers[~unseen].set_index("customer")["age_days"]
    plain = ((start - first) / pd.Timedelta(days=1))[ages.index]
    order = np.argsort(plain.to_numpy(), kind="stable")
    assert np.all(np.diff(ages.to_numpy()[order]) >= -1e-9)
    np.testing.assert_allclose(ages, plain, rtol=0.1)


def test_the_customers_file_holds_pseudonymised_ids(tmp_path, monkeypatch):
    from twin.calibration.calibrate import Calibration
    from twin.calibration.output import write_model

    customers = pd.DataFrame(
        {
            "customer": ["12345", "J.Smith"],
            "frequency": [1, 0],
            "recency_days": [3.0, 0.0],
            "age_days": [9.0, 4.0],
        }
    )
    calibration = Calibration(
        model={"name": "m", "segments": {}},
        report=FitReport().frame(),
        customers={"customers-trade.parquet": customers},
    )
    monkeypatch.setattr("twin.calibration.output.Scenario.model_validate", lambda model: model)

    mapped = SimpleNamespace(rows_read={}, rows_written={}, provenance={})
    paths = write_model(tmp_path, calibration, mapped, str(tmp_path), "mapping.yaml")
    written = pd.read_parquet(paths["customers-trade.parquet"])
    key = pseudonym_key(tmp_path)
    assert list(written["customer"]) == [pseudonym("12345", key), pseudonym("J.Smith", key)]
    assert not set(written["customer"]) & {"12345", "J.Smith"}
    pd.testing.assert_frame_equal(
        written.drop(columns="customer"), customers.drop(columns="customer")
    )
