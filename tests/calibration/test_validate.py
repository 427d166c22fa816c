"""`twin validate`: the calibrated model against the history it came from."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twin.calibration.validate import (
    DEFAULT_TOLERANCES,
    Validation,
    parse_tolerances,
    rereference_arrivals,
)
from twin.calibration.validation_history import (
    Period,
    actual_dso_days,
    actual_weekly,
    compared_period,
)
from twin.calibration.validation_scores import COLUMNS
from twin.cli import cli
from twin.errors import InputError
from twin.scenario.arrival_rates import daily_rates
from twin.scenario.arrivals import PoissonArrivals

ROOT = Path(__file__).resolve().parents[2]
OLIST = ROOT.parent / "shared" / "data" / "olist"
MAPPING = ROOT / "calibration/mappings/olist.yaml"


# --- units ---------------------------------------------------------------------------------


def _poisson(rate: float, trend: float) -> dict:
    return {
        "kind": "poisson",
        "rate_per_day": rate,
        "weekday_multipliers": [1.0] * 7,
        "monthly_multipliers": [1.0] * 12,
        "trend_per_year": trend,
    }


@pytest.mark.parametrize("trend", [0.4, 0.0, -0.3])
def test_rereferenced_arrivals_give_the_same_daily_rates(trend):
    old = _poisson(40.0, trend)
    shift = -200
    new = rereference_arrivals(old, shift)
    start = dt.date(2020, 1, 1)
    before = daily_rates(PoissonArrivals.model_validate(old), start, 10)
    after = daily_rates(PoissonArrivals.model_validate(new), start + dt.timedelta(days=shift), 210)[
        -10:
    ]
    np.testing.assert_allclose(after, before)


@pytest.mark.parametrize(("trend", "rho"), [(0.4, 0.3), (-0.3, -0.5), (0.0, 0.0)])
def test_rereferenced_uncertainty_draws_the_old_models_rates(trend, rho):
    # Draws of the old model's (a, b), read at the new start (200 days earlier), against
    # draws of the re-expressed uncertainty: the log level at the new day 0 and at 150 days
    # later have the same sd (to first order in b; the sds are a few percent, so the second
    # order is below 1 % of them) and correlation. 200,000 draws: the sampling error of an sd is
    # about 0.2 % of it, so 2 % is ten of them.
    old = {
        **_poisson(40.0, trend),
        "uncertainty": {"log_rate_sd": 0.05, "trend_sd": 0.08, "correlation": rho},
    }
    shift = -200.0
    new = rereference_arrivals(old, shift)
    rng = np.random.default_rng(11)

    def log_levels(spec: dict, days: np.ndarray, origin: float) -> np.ndarray:
        u = spec["uncertainty"]
        z = rng.standard_normal((2, 200_000))
        a = u["log_rate_sd"] * z[0]
        r = u["correlation"]
        b = u["trend_sd"] * (r * z[0] + np.sqrt(1 - r * r) * z[1])
        t = (days[:, None] - origin) / 365.0
        return np.log(spec["rate_per_day"]) + a + np.log(1 + (spec["trend_per_year"] + b) * t)

    days = np.array([shift, shift + 150.0])
    exact = log_levels(old, days, 0.0)
    approx = log_levels(new, days, shift)
    np.testing.assert_allclose(approx.std(axis=1), exact.std(axis=1), rtol=0.02)
    np.testing.assert_allclose(
        np.corrcoef(approx)[0, 1], np.corrcoef(exact)[0, 1], rtol=0.02, atol=0.01
    )
    np.testing.assert_allclose(approx.mean(axis=1), exact.mean(axis=1), atol=2e-3)


def test_rereferenced_slope_changes_keep_their_size_on_the_calendar():
    # A step of the slope adds step x years to the old trend factor; at the new day 0 the level
    # is f times the old one, so the same step in new units is step / f, and the date and rate
    # of the changes are calendar facts that stay.
    stated = {"log_rate_sd": 0.0, "trend_change_rate": 1.5, "trend_change_scale": 0.6}
    old = {**_poisson(40.0, 0.5), "uncertainty": {**stated, "changes_from": dt.date(2021, 1, 1)}}
    new = rereference_arrivals(old, -200.0)
    factor = 1.0 + 0.5 * -200.0 / 365.0
    assert new["rate_per_day"] == pytest.approx(40.0 * factor)
    assert new["uncertainty"]["trend_change_scale"] == pytest.approx(0.6 / factor)
    assert new["uncertainty"]["trend_change_rate"] == 1.5
    assert new["uncertainty"]["changes_from"] == dt.date(2021, 1, 1)


def test_rereferencing_past_the_trend_zero_is_an_input_error():
    with pytest.raises(InputError, match=r"gives no orders 400 days before its start date"):
        rereference_arrivals(_poisson(10.0, 1.0), -400)


def test_tolerances_default_and_override():
    assert parse_tolerances(()) == DEFAULT_TOLERANCES
    tolerances = parse_tolerances(("weekly_orders=0.1", "lead_time_p50_days=0.3"))
    assert tolerances == {"weekly_orders": 0.1, "weekly_revenue": 0.25, "lead_time_p50_days": 0.3}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("weekly_order=0.1", r"--tolerance weekly_order=0.1: expected kpi=value with kpi one of"),
        ("weekly_orders", r"expected kpi=value"),
        ("weekly_orders=-1", r"the value must be a number >= 0"),
        ("weekly_orders=abc", r"the value must be a number >= 0"),
    ],
)
def test_bad_tolerances_are_input_errors(item, message):
    with pytest.raises(InputError, match=message):
        parse_tolerances((item,))


def test_the_period_is_whole_weeks_of_the_active_period():
    # 40 orders a day through January and February 2024
    ordered_at = pd.Series(pd.date_range("2024-01-01", "2024-02-29 23:00", freq="36min"))
    assert compared_period(ordered_at) == Period(dt.date(2024, 1, 1), 8)  # 60 days -> 8 weeks
    assert compared_period(ordered_at, dt.date(2024, 2, 1)) == Period(dt.date(2024, 2, 1), 4)
    with pytest.raises(InputError, match=r"--holdout-from 2025-01-01: must lie in the history's"):
        compared_period(ordered_at, dt.date(2025, 1, 1))
    with pytest.raises(InputError, match=r"2024-01-01..2024-02-29 and leave at least one whole"):
        compared_period(ordered_at, dt.date(2024, 2, 25))


def test_actual_weeks_count_orders_and_ordered_value():
    orders = pd.DataFrame(
        {
            "order_id": ["a", "b", "c", "d"],
            "ordered_at": pd.to_datetime(
                ["2024-01-01 00:00", "2024-01-07 23:00", "2024-01-08 00:00", "2024-01-15 00:00"]
            ),
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": ["a", "a", "b", "c", "d"],
            "quantity": [2.0, 1, 1, 3, 1],
            "unit_price": [5.0, 1, 2, 1, 9],
        }
    )
    weekly = actual_weekly(orders, lines, Period(dt.date(2024, 1, 1), 2))
    assert weekly["orders"].tolist() == [2.0, 1.0]  # d is after the period
    assert weekly["revenue"].tolist() == [13.0, 3.0]


def test_actual_dso_is_open_receivables_over_revenue_per_day():
    # one invoice of 70 a day, each paid 10 days later: 10 days of sales are always open
    issued = pd.date_range("2023-10-01 09:00", "2024-03-31 09:00", freq="D")
    ids = [f"I{i}" for i in range(len(issued))]
    invoices = pd.DataFrame({"invoice_id": ids, "issued_at": issued, "amount": 70.0})
    payments = pd.DataFrame({"invoice_id": ids, "paid_at": issued + pd.Timedelta(days=10)})
    dso = actual_dso_days(
        {"invoices": invoices, "payments": payments}, Period(dt.date(2024, 1, 1), 8)
    )
    assert dso == pytest.approx(10.0)
    assert np.isnan(actual_dso_days({"invoices": invoices}, Period(dt.date(2024, 1, 1), 8)))


def test_failures_are_the_rows_above_their_tolerance():
    table = pd.DataFrame(
        {c: [np.nan] * 3 for c in COLUMNS} | {"kpi": ["a", "b", "c"]},
        columns=list(COLUMNS),
    )
    table["passed"] = pd.array([True, False, pd.NA], dtype="boolean")
    validation = Validation(table, pd.DataFrame(), Period(dt.date(2024, 1, 1), 1), 1)
    assert validation.failures()["kpi"].tolist() == ["b"]


# --- olist end to end ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def olist_model(tmp_path_factory) -> Path:
    if not OLIST.is_dir():
        pytest.skip("the shared olist data set is not here")
    out = tmp_path_factory.mktemp("calibrated") / "olist"
    result = CliRunner().invoke(
        cli,
        [
            "calibrate",
            str(OLIST),
            "--mapping",
            str(MAPPING),
            "--out",
            str(out),
            "--as-of",
            "2019-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def _validate(model: Path, *args: str):
    return CliRunner().invoke(
        cli,
        [
            "validate",
            str(model),
            "--source",
            str(OLIST),
            "--mapping",
            str(MAPPING),
            "--as-of",
            "2019-01-01",
            *args,
        ],
    )


@pytest.mark.slow
def test_validate_writes_the_table_and_charts_and_exits_by_the_tolerances(olist_model):
    result = _validate(olist_model, "--replications", "3", "--holdout-from", "2018-05-01")
    out = olist_model / "validation"
    table = pd.read_csv(out / "validation.csv")
    assert tuple(table.columns) == COLUMNS
    assert set(table["kpi"]) >= {"weekly_orders", "weekly_revenue", "lead_time_p50_days"}
    for name in ("weekly_orders.png", "weekly_revenue.png"):
        assert (out / name).stat().st_size > 10_000, name
    assert (out / "validation.html").read_text(encoding="utf-8").count("<svg ") == 2
    weekly = table.set_index("kpi").loc[["weekly_orders", "weekly_revenue"]]
    assert (weekly["tolerance"] == [0.20, 0.25]).all()
    assert weekly["passed"].notna().all()
    assert weekly["coverage_90"].between(0, 1).all()
    # the model reproduces olist's volume to within a tenth (its weekly noise is larger)
    assert weekly["bias"].abs().max() < 0.1
    failed = table["passed"].eq(False).any()  # NaN rows (no tolerance) are neither
    assert result.exit_code == (1 if failed else 0), result.output
    assert "Traceback" not in result.output
    skipped = table.set_index("kpi").loc[["fill_rate", "dso_days"], "note"]
    assert skipped.str.startswith("skipped:").all()
    # satisfaction: olist's review scores against the fitted curve on the simulated lateness;
    # the twin delivers late about as often as olist, so the mean score agrees within 0.25
    # (olist's mean score is 4.1; the on-time and late means are 4.28 and 2.27)
    satisfaction = table.set_index("kpi").loc["satisfaction"]
    assert 3.5 < satisfaction["actual"] < 4.5
    assert abs(satisfaction["simulated_mean"] - satisfaction["actual"]) < 0.25


@pytest.mark.slow
def test_a_missed_tolerance_exits_1_and_names_the_kpi(olist_model, tmp_path):
    result = _validate(
        olist_model,
        "--replications",
        "1",
        "--holdout-from",
        "2018-08-01",
        "--tolerance",
        "weekly_orders=0.0001",
        "--out",
        str(tmp_path / "tight"),
    )
    assert result.exit_code == 1, result.output
    assert "FAILED weekly_orders: MAPE" in result.output
    table = pd.read_csv(tmp_path / "tight" / "validation.csv").set_index("kpi")
    assert table.loc["weekly_orders", "tolerance"] == 0.0001
    assert not table.loc["weekly_orders", "passed"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("holdout", "message"),
    [
        ("2030-01-01", r"--holdout-from 2030-01-01: must lie in the history's active period"),
        ("May 2018", r"Invalid value for '--holdout-from'"),
    ],
)
def test_a_bad_holdout_date_exits_2_without_traceback(olist_model, tmp_path, holdout, message):
    result = _validate(olist_model, "--holdout-from", holdout, "--out", str(tmp_path / "v"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(message, result.output)


def test_a_broken_score_curve_in_behaviour_yaml_is_an_input_error(tmp_path):
    from twin.calibration.validate import _satisfaction_row

    (tmp_path / "behaviour.yaml").write_text(
        "satisfaction:\n  score_curve: {chosen: spline, params: {a: 1}}\n", encoding="utf-8"
    )
    window = pd.DataFrame({"order_id": ["o1"], "delivered_at": [pd.Timestamp("2024-01-05")]})
    tables = {"tickets": pd.DataFrame({"order_id": ["o1"], "score": [4.0]})}
    with pytest.raises(InputError, match=r"behaviour\.yaml: satisfaction\.score_curve"):
        _satisfaction_row(tmp_path, tables, window, [], None)
