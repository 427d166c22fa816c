"""Calibrating on the committed sample history recovers the sample company's known parameters.

The sample (`calibration/sample/`) is the sample company's twin run for two years from
2024-11-01 (seed 20250101), dirt added. The true values are those of
`twin/calibration/data/company/company.yaml`.
The fit expresses rates at its reference date, the day after the history (2027-01-01), and
normalises weekday multipliers to mean 1; the expectations below convert the company's values
the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from twin.calibration.calibrate import calibrate_history
from twin.calibration.output import BEHAVIOUR_FILE, BEHAVIOUR_HEADER, HEADER, plain_data
from twin.commands.calibrate import mapped_and_checked
from twin.distributions import parse_distribution
from twin.scenario.loader import dump_yaml, load
from twin.scenario.schema import Scenario

# one calibration of the whole two-year sample (about 40 s) serves every test here: slow suite
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SIM_START = dt.date(2024, 11, 1)  # day 0 of the twin run that wrote the sample


@pytest.fixture(scope="module")
def company() -> Scenario:
    return load(Scenario, ROOT / "twin" / "calibration" / "data" / "company" / "company.yaml")


@pytest.fixture(scope="module")
def quality():
    # the same step as `twin calibrate calibration/sample --as-of 2027-01-01`
    _, quality = mapped_and_checked(
        ROOT / "calibration/mappings/sample.yaml",
        str(ROOT / "calibration/sample"),
        dt.datetime(2027, 1, 1),
    )
    return quality


@pytest.fixture(scope="module")
def calibration(quality):
    return calibrate_history(quality.tables, name="sample")


@pytest.fixture(scope="module")
def fitted(calibration):
    return calibration.model


def test_the_committed_model_is_what_calibrating_the_sample_gives(calibration):
    # calibration/models/sample/ is what the README's quick start writes; a change to the fits
    # must come with the model it gives (rerun the quick start's calibrate step)
    folder = ROOT / "calibration" / "models" / "sample"
    model = (folder / "model.yaml").read_text(encoding="utf-8")
    assert model == HEADER + dump_yaml(plain_data(calibration.model))
    behaviour = (folder / BEHAVIOUR_FILE).read_text(encoding="utf-8")
    assert behaviour == BEHAVIOUR_HEADER + dump_yaml(plain_data(calibration.behaviour))


def test_the_quality_step_finds_exactly_the_planted_dirt(quality):
    counts = quality.counts.set_index(["table", "reason"])["rows"]
    # the numbers of calibration/sample/README.md
    assert counts["order_lines", "duplicate_row"] == 2647
    assert counts["orders", "unknown_customer"] == 484
    # every cancelled order is classified as one, except those of unknown customers (quarantined)
    orphans = quality.quarantine["orders"]
    cancelled_orphans = int((orphans["status"] == "cancelled").sum())
    assert counts["orders", "cancellation"] == 1038 - cancelled_orphans
    assert counts["orders", "timestamp_order"] >= 277  # delivered before shipped, repaired


def test_the_sample_calibrates_into_the_company_segments(fitted, company):
    assert set(fitted["segments"]) == set(company.segments)


@pytest.mark.parametrize("segment", ["key_accounts", "trade", "web"])
def test_arrival_rates_weekdays_and_trend_are_recovered(fitted, company, segment):
    true = company.segments[segment].arrivals
    got = fitted["segments"][segment]["arrivals"]
    weekday_mean = float(np.mean(true.weekday_multipliers))
    reference = dt.date(2026, 12, 1)
    d1 = (reference - SIM_START).days
    rate = true.rate_per_day * weekday_mean * (1 + true.trend_per_year * d1 / 365)
    # ~ 22 months of data at 17-100 orders/day: the rate's standard error is about 1 %; the
    # trend's extrapolation to the reference date adds as much again, so 5 % is ~3 se.
    assert got["rate_per_day"] == pytest.approx(rate, rel=0.05)
    expected_weekday = np.asarray(true.weekday_multipliers) / weekday_mean
    # a weekday multiplier rests on ~95 days: standard error 2-6 % of the larger ones; quiet
    # weekend days (0.05 of a Monday) have few orders, hence an absolute tolerance
    assert np.asarray(got["weekday_multipliers"]) == pytest.approx(expected_weekday, abs=0.06)
    trend = true.trend_per_year / (1 + true.trend_per_year * d1 / 365)
    # the trend's standard error over two years is ~0.01-0.02 per year for these volumes
    assert got["trend_per_year"] == pytest.approx(trend, abs=0.04)


@pytest.mark.parametrize("segment", ["key_accounts", "trade", "web"])
def test_order_contents_are_recovered(fitted, company, segment):
    true = company.segments[segment]
    got = fitted["segments"][segment]
    lines = parse_distribution(got["lines_per_order"]).mean
    # the twin rounds lines to whole numbers of at least 1, so compare with the mean of those
    # counts: drawn once here from the true distribution (2e5 draws; se < 0.02 lines)
    rng = np.random.default_rng(1)
    counts = np.maximum(np.floor(true.lines_per_order.sample(rng, 200_000) + 0.5), 1)
    # thousands of orders per segment: the fitted mean's standard error is below 1 %
    assert lines == pytest.approx(counts.mean(), rel=0.03)
    assert got["promised_lead_time_days"] == pytest.approx(true.promised_lead_time_days, abs=0.01)


@pytest.mark.parametrize("segment", ["key_accounts", "trade"])
def test_payment_behaviour_is_recovered(fitted, company, segment):
    true = company.segments[segment].payment
    got = fitted["segments"][segment]["payment"]
    assert got["terms_days"] == pytest.approx(true.terms_days, abs=0.5)
    # payment dates are whole days in the export: the mean delay may shift by up to ~0.5 day
    delay = parse_distribution(got["delay_days"]).mean
    assert delay == pytest.approx(true.delay_days.mean, abs=1.5)
    # ~ 1e4 to 3e4 old invoices: the default share's standard error is 0.0003-0.0006
    assert got["default_probability"] == pytest.approx(true.default_probability, abs=0.003)


def test_supplier_lead_times_are_recovered(fitted, company):
    for name, supplier in company.suppliers.items():
        got = parse_distribution(fitted["suppliers"][name]["lead_time_days"])
        # thousands of purchase orders; receipt dates are whole days (shift up to ~0.5 day)
        assert got.mean == pytest.approx(supplier.lead_time_days.mean, abs=1.0), name
