"""Tests of twin.calibration.arrivals: recovery of a known Poisson arrival model.

The synthetic history is two years (731 days) of daily Poisson counts with ~100 orders a day from
known weekday and month multipliers, a linear trend and, in one test, holidays. The Poisson MLE of
a multiplier has relative standard error about 1/sqrt(orders behind it): ~1/sqrt(11 500) = 0.9 %
for a weekday and ~1/sqrt(6 700) = 1.2 % for a month, and the trend's standard error is about
1/sqrt(N var(d/365)) = 1/sqrt(80 000 / 3) = 0.006 per year. The tolerances, 4 % per weekday, 5 %
per month and 0.03 for the trend, are four to five of those; the test also checks that the
reported standard errors are about these sizes and that every true value lies within 4.5 of them.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from twin.calibration.arrivals import fit_poisson_arrivals
from twin.calibration.retail_events import retail_events
from twin.calibration.validate import rereference_arrivals
from twin.scenario.arrival_rates import daily_rates, event_dates
from twin.scenario.arrivals import ArrivalEvent, PoissonArrivals

WEEKDAY = np.array([1.2, 1.1, 1.0, 1.05, 1.25, 0.8, 0.6])
MONTH = np.array([0.8, 0.85, 0.95, 1.0, 1.05, 1.1, 1.0, 0.9, 1.05, 1.1, 1.15, 1.05])
RATE, TREND = 100.0, 0.1


def simulate(
    start="2024-01-01",
    end="2025-12-31",
    seed=7,
    weekday=WEEKDAY,
    month=MONTH,
    trend=TREND,
    holidays=(),
    holiday_multiplier=1.0,
):
    """Order timestamps whose daily counts follow the twin's PoissonArrivals model."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, end, freq="D")
    d = np.arange(dates.size)
    mu = RATE * weekday[dates.day_of_week] * month[dates.month - 1] * (1 + trend * d / 365)
    mu = np.where(dates.isin(pd.to_datetime(list(holidays))), mu * holiday_multiplier, mu)
    counts = rng.poisson(mu)
    times = np.repeat(dates.to_numpy(), counts) + pd.to_timedelta(
        rng.random(counts.sum()), unit="D"
    )
    return pd.Series(times)


@pytest.fixture(scope="module")
def two_years():
    return fit_poisson_arrivals(simulate())


def test_multipliers_and_trend_recovered(two_years):
    spec = two_years.spec
    assert spec["kind"] == "poisson"
    assert np.mean(spec["weekday_multipliers"]) == pytest.approx(1.0)
    assert np.mean(spec["monthly_multipliers"]) == pytest.approx(1.0)
    # The true multipliers already have mean 1.
    assert spec["weekday_multipliers"] == pytest.approx(list(WEEKDAY), rel=0.04)
    assert spec["monthly_multipliers"] == pytest.approx(list(MONTH), rel=0.05)
    assert spec["trend_per_year"] == pytest.approx(TREND, abs=0.03)
    assert spec["rate_per_day"] == pytest.approx(RATE, rel=0.03)
    PoissonArrivals.model_validate(spec)


def test_standard_errors_match_their_size(two_years):
    table = two_years.table.set_index("term")
    weekday_se = table.loc[[f"weekday.{d}" for d in ("mon", "tue", "wed")], "se"]
    month_se = table.loc[["month.jan", "month.jun"], "se"]
    assert ((weekday_se > 0.005) & (weekday_se < 0.015)).all()
    assert ((month_se > 0.007) & (month_se < 0.02)).all()
    assert 0.004 < table.loc["trend_per_year", "se"] < 0.012
    names = [f"weekday.{d}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    truth = dict(zip(names, WEEKDAY, strict=True))
    truth["trend_per_year"] = TREND
    for term, value in truth.items():
        assert abs(table.loc[term, "value"] - value) < 4.5 * table.loc[term, "se"], term


def test_fit_diagnostics(two_years):
    assert two_years.notes == ()
    assert 0.85 < two_years.dispersion < 1.15  # Poisson data
    daily = two_years.daily
    assert len(daily) == 731
    assert daily["orders"].sum() == pytest.approx(daily["fitted"].sum(), rel=1e-6)
    assert list(two_years.table.columns) == ["term", "value", "se", "n_days", "orders", "note"]


def test_reference_date_moves_rate_and_trend_exactly(two_years):
    later = fit_poisson_arrivals(simulate(), reference_date=dt.date(2026, 1, 1))
    r0, b0 = two_years.spec["rate_per_day"], two_years.spec["trend_per_year"]
    r1, b1 = later.spec["rate_per_day"], later.spec["trend_per_year"]
    shift = 731  # days from 2024-01-01 to 2026-01-01
    for d in (0.0, 100.0, 900.0):
        assert r1 * (1 + b1 * (d - shift) / 365) == pytest.approx(r0 * (1 + b0 * d / 365))


def test_deterministic():
    first = fit_poisson_arrivals(simulate(seed=3))
    second = fit_poisson_arrivals(simulate(seed=3))
    pd.testing.assert_frame_equal(first.table, second.table)


def test_no_trend():
    fit = fit_poisson_arrivals(simulate(trend=0.0, seed=8), fit_trend=False)
    assert fit.spec["trend_per_year"] == 0.0
    assert fit.spec["rate_per_day"] == pytest.approx(RATE, rel=0.03)


def test_holidays_recovered():
    holidays = pd.date_range("2024-03-01", periods=20, freq="17D").date
    times = simulate(holidays=holidays, holiday_multiplier=0.3, seed=9)
    fit = fit_poisson_arrivals(times, holidays=holidays)
    # ~20 days x 100 x 0.3 = 600 holiday orders: se(h) ~ 0.3 / sqrt(600) = 0.012; 4 se = 0.05.
    assert fit.spec["holiday_multiplier"] == pytest.approx(0.3, abs=0.05)
    assert fit.spec["holidays"] == sorted(holidays)
    PoissonArrivals.model_validate(fit.spec)


def test_closed_weekday_and_missing_months():
    weekday = WEEKDAY.copy()
    weekday[6] = 0.0  # closed on Sundays
    times = simulate(start="2024-03-04", end="2024-05-31", weekday=weekday, trend=0.0, seed=10)
    fit = fit_poisson_arrivals(times, start=dt.date(2024, 3, 4), end=dt.date(2024, 5, 31))
    spec = fit.spec
    assert spec["weekday_multipliers"][6] == 0.0
    assert np.mean(spec["weekday_multipliers"]) == pytest.approx(1.0)
    assert spec["monthly_multipliers"][:2] == [1.0, 1.0]
    assert spec["monthly_multipliers"][5:] == [1.0] * 7
    assert np.mean(spec["monthly_multipliers"][2:5]) == pytest.approx(1.0)
    assert "no orders on any sun: multiplier 0" in fit.notes
    assert "no data for jan, feb, jun, jul, aug, sep, oct, nov, dec: multiplier 1" in fit.notes
    # Zero days are counted: every day of the period is a row.
    assert len(fit.daily) == (dt.date(2024, 5, 31) - dt.date(2024, 3, 4)).days + 1
    assert (fit.daily.loc[fit.daily["date"].dt.day_of_week == 6, "orders"] == 0).all()
    PoissonArrivals.model_validate(spec)


def test_overdispersion_noted():
    rng = np.random.default_rng(12)
    dates = pd.date_range("2024-01-01", periods=200, freq="D")
    counts = rng.negative_binomial(5, 5 / 105, dates.size)  # mean 100, variance 2100
    times = pd.Series(np.repeat(dates.to_numpy(), counts))
    fit = fit_poisson_arrivals(times, fit_trend=False)
    assert fit.dispersion > 10
    assert any("overdispersed" in note for note in fit.notes)


@pytest.mark.parametrize(
    ("times", "kwargs", "message"),
    [
        (pd.Series([], dtype="datetime64[ns]"), {}, "no timestamps"),
        (
            pd.Series(pd.to_datetime(["2024-01-01", None])),
            {},
            "1 timestamps are missing",
        ),
        (
            pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"])),
            {"start": dt.date(2024, 1, 10)},
            r"1 timestamps fall outside 2024-01-10..2024-02-01",
        ),
        (
            pd.Series(pd.to_datetime(["2024-01-01"])),
            {"start": dt.date(2024, 1, 10), "end": dt.date(2024, 1, 5)},
            "end 2024-01-05 is before start 2024-01-10",
        ),
    ],
)
def test_errors(times, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_poisson_arrivals(times, **kwargs)


# --- trend changepoints and events ------------------------------------------------------------
#
# Two years (2023-2024) at ~100 orders a day whose trend rises by 0.8 of the first day's level per
# year until 2024-01-01 and is flat after it, with Black Friday x3 and Christmas Day x0.4. The
# slopes' standard errors are about 0.03 (reported by the fit, checked below), so the tolerance of
# 0.12 on each slope is four of them; Black Friday has ~1 000 orders on its two days, se about
# 3 / sqrt(1000) = 0.1, tolerance 0.4; Christmas ~130 orders, se 0.035, tolerance 0.15.

CHANGE = dt.date(2024, 1, 1)
SLOPES = (0.8, 0.0)


def piecewise_counts(seed, slopes=SLOPES, change=CHANGE, events=None, dispersion_shape=None):
    """Order timestamps from the twin's model with one trend change and optional events."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    d = np.arange(dates.size, dtype=float)
    c = float((pd.Timestamp(change) - dates[0]).days)
    trend = 1 + (slopes[0] * d + (slopes[1] - slopes[0]) * np.maximum(d - c, 0)) / 365
    mu = RATE * WEEKDAY[dates.day_of_week] * MONTH[dates.month - 1] * trend
    for day, multiplier in (events or {}).items():
        mu = np.where(dates == pd.Timestamp(day), mu * multiplier, mu)
    if dispersion_shape is not None:  # gamma-Poisson: variance mu + mu^2 / shape
        mu = mu * rng.gamma(dispersion_shape, 1 / dispersion_shape, mu.size)
    counts = rng.poisson(mu)
    return pd.Series(np.repeat(dates.to_numpy(), counts))


EVENT_TRUTH = {
    "2023-11-24": 3.0,
    "2024-11-29": 3.0,  # Black Friday
    "2023-12-25": 0.4,
    "2024-12-25": 0.4,  # Christmas Day
}


@pytest.fixture(scope="module")
def piecewise():
    return fit_poisson_arrivals(
        piecewise_counts(21, events=EVENT_TRUTH), events=retail_events(), changepoints=True
    )


def test_piecewise_trend_recovered(piecewise):
    spec = piecewise.spec
    # The trend starts on the history's first day (flat before it), then changes once.
    first, change = spec["trend_changes"]
    assert spec["trend_per_year"] == 0.0
    assert first["date"] == dt.date(2023, 1, 1)
    assert change["date"] == CHANGE
    # Reference date = start: the slopes are in units of the first day's level.
    assert first["trend_per_year"] == pytest.approx(SLOPES[0], abs=0.12)
    assert change["trend_per_year"] == pytest.approx(SLOPES[1], abs=0.12)
    assert spec["rate_per_day"] == pytest.approx(RATE, rel=0.05)
    table = piecewise.table.set_index("term")
    assert 0.01 < table.loc["trend_change.2023-01-01", "se"] < 0.05
    assert 0.01 < table.loc[f"trend_change.{CHANGE}", "se"] < 0.05
    PoissonArrivals.model_validate(spec)


def test_event_multipliers_recovered(piecewise):
    events = {event["name"]: event for event in piecewise.spec["events"]}
    assert events["black_friday"]["multiplier"] == pytest.approx(3.0, abs=0.4)
    assert events["christmas_day"]["multiplier"] == pytest.approx(0.4, abs=0.15)
    # Events without an effect are left out, or come out near 1 (two days of ~150 orders: se
    # ~0.06); one with an effect is never left out
    for name in ("cyber_monday", "christmas_eve", "new_years_eve", "new_years_day"):
        if name in events:
            assert events[name]["multiplier"] == pytest.approx(1.0, abs=0.3), name
    assert {"cyber_monday", "christmas_eve", "new_years_eve", "new_years_day"} - set(events)
    assert any("not distinguishable from 1" in note for note in piecewise.notes)
    # Rules, not dates, go into the spec, so the model forecasts them for any year.
    assert events["black_friday"]["rule"] == "black_friday"
    assert "dates" not in events["black_friday"]


def test_reference_after_history_uses_the_last_slope(piecewise):
    times = piecewise_counts(21, events=EVENT_TRUTH)
    later = fit_poisson_arrivals(
        times, events=retail_events(), changepoints=True, reference_date=dt.date(2025, 1, 1)
    )
    arrivals = PoissonArrivals.model_validate(later.spec)
    base = PoissonArrivals.model_validate(piecewise.spec)
    # The same fitted curve, expressed at another day 0: equal rates on the same calendar days.
    history = daily_rates(base, dt.date(2023, 1, 1), 731 + 365)
    forecast = daily_rates(arrivals, dt.date(2025, 1, 1), 365)
    assert forecast == pytest.approx(history[731:], rel=1e-9)


@pytest.mark.parametrize(("seed", "shape"), [(31, None), (32, None), (33, 20.0)])
def test_no_changepoint_on_a_linear_trend(seed, shape):
    # A linear trend of 0.3 per year, Poisson or overdispersed (dispersion ~6): the penalty and
    # the dispersion scaling must keep noise from creating a changepoint.
    times = piecewise_counts(seed, slopes=(0.3, 0.3), dispersion_shape=shape)
    fit = fit_poisson_arrivals(times, changepoints=True)
    assert "trend_changes" not in fit.spec
    assert fit.spec["trend_per_year"] == pytest.approx(0.3, abs=0.1)


def test_negative_last_slope_is_flattened_in_the_forecast():
    times = piecewise_counts(41, slopes=(0.6, -0.9))
    fit = fit_poisson_arrivals(
        times, changepoints=True, reference_date=dt.date(2025, 1, 1), forecast_days=730
    )
    changes = fit.spec["trend_changes"]
    assert changes[-1] == {"date": dt.date(2025, 1, 1), "trend_per_year": 0.0}
    assert any("forecast is flat" in note for note in fit.notes)
    arrivals = PoissonArrivals.model_validate(fit.spec)
    assert (daily_rates(arrivals, dt.date(2025, 1, 1), 730) > 0).all()
    # Before the history the factor stays at its first-day level: a start long before it is
    # still valid (the validation re-referencing needs this).
    moved = rereference_arrivals(fit.spec, -1000.0, dt.date(2025, 1, 1))
    assert moved["rate_per_day"] > 0


def test_event_with_too_little_data_is_left_out():
    # Three weeks in March: no Black Friday or Christmas in the period.
    times = piecewise_counts(5)
    times = times[(times >= "2023-03-01") & (times < "2023-03-22")]
    fit = fit_poisson_arrivals(times, events=retail_events(), fit_trend=False)
    assert "events" not in fit.spec
    assert any("black_friday: too few" in note for note in fit.notes)
    assert np.isnan(fit.table.set_index("term").loc["event.black_friday", "value"])


def test_months_seen_in_one_year_are_pooled_and_the_bend_still_found():
    # 15 months, Jan-Mar seen twice, the trend bending on 2023-07-01: the months seen once are
    # pooled towards their common level (the true factors are the mild MONTH), the bend found.
    bent = piecewise_counts(6, slopes=(2.0, -0.3), change=dt.date(2023, 7, 1))
    fit = fit_poisson_arrivals(bent[bent < "2024-04-01"], changepoints=True, min_month_years=2)
    assert [c["date"] for c in fit.spec["trend_changes"]][-1] == dt.date(2023, 7, 1)
    assert any("pooled towards their common level" in note for note in fit.notes)
    months = np.array(fit.spec["monthly_multipliers"])
    # within 0.1 of the truth (MONTH normalised), the se of a once-seen month's log factor
    # under a bent trend being about 0.03 here
    assert months == pytest.approx(MONTH / MONTH.mean(), abs=0.1)
    assert fit.spec["uncertainty"]["unseen_months"] == list(range(4, 13))


# --- the model's side: expansion of rules and the daily rate ------------------------------------


def event(**fields):
    return ArrivalEvent.model_validate({"name": "e", "multiplier": 2.0, **fields})


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("black_friday", ["2023-11-24", "2024-11-29", "2025-11-28", "2026-11-27"]),
        ("cyber_monday", ["2023-11-27", "2024-12-02", "2025-12-01", "2026-11-30"]),
        ("christmas_eve", ["2023-12-24", "2024-12-24", "2025-12-24", "2026-12-24"]),
        ("new_years_day", ["2023-01-01", "2024-01-01", "2025-01-01", "2026-01-01"]),
    ],
)
def test_rules_expand_to_the_right_dates(rule, expected):
    days = event_dates(event(rule=rule), dt.date(2023, 1, 1), dt.date(2026, 12, 31))
    assert days == [dt.date.fromisoformat(day) for day in expected]


def test_offsets_durations_and_public_holidays():
    weekend = event(rule="black_friday", offset_days=1, duration_days=2)
    days = event_dates(weekend, dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert days == [
        dt.date(2024, 11, 30),
        dt.date(2024, 12, 1),
        dt.date(2025, 11, 29),
        dt.date(2025, 11, 30),
    ]
    brazil = event_dates(
        event(rule="public_holidays", country="BR"), dt.date(2027, 1, 1), dt.date(2027, 12, 31)
    )
    assert {dt.date(2027, 4, 21), dt.date(2027, 9, 7), dt.date(2027, 12, 25)} <= set(brazil)
    listed = event(dates=["2024-05-05", "2030-05-05"])
    assert event_dates(listed, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) == [dt.date(2024, 5, 5)]


def test_daily_rate_applies_changepoints_and_events():
    arrivals = PoissonArrivals.model_validate(
        {
            "kind": "poisson",
            "rate_per_day": 10.0,
            "trend_per_year": 0.365,  # +0.001 a day
            "trend_changes": [
                {"date": "2026-01-11", "trend_per_year": 0.0},
                {"date": "2026-01-21", "trend_per_year": -0.365},
            ],
            "holidays": ["2026-11-27"],
            "holiday_multiplier": 0.5,
            "events": [
                {"name": "bf", "rule": "black_friday", "multiplier": 3.0},
                {"name": "listed", "dates": ["2026-11-27", "2026-02-01"], "multiplier": 7.0},
            ],
        }
    )
    rates = daily_rates(arrivals, dt.date(2026, 1, 1), 365)
    expected_trend = {0: 1.0, 5: 1.005, 10: 1.01, 15: 1.01, 20: 1.01, 30: 1.0}
    for day, factor in expected_trend.items():
        assert rates[day] == pytest.approx(10.0 * factor, rel=1e-12), day
    # 2026-02-01 is day 31 (only the listed event); 2026-11-27, day 330, is Black Friday: the
    # first listed event wins, and the holiday multiplies on top.
    assert rates[31] == pytest.approx(10.0 * 0.999 * 7.0, rel=1e-12)
    assert rates[330] == pytest.approx(10.0 * (1.01 - 0.001 * 310) * 3.0 * 0.5, rel=1e-12)
    # The factor is floored at 0 once the falling trend reaches it.
    late = daily_rates(arrivals, dt.date(2026, 1, 1), 2000)
    assert late[1500:].max() == 0.0


def test_changes_before_the_start_date_set_the_slope_of_the_run():
    arrivals = PoissonArrivals.model_validate(
        {
            "kind": "poisson",
            "rate_per_day": 5.0,
            "trend_per_year": 2.0,
            "trend_changes": [{"date": "2025-06-01", "trend_per_year": 0.0}],
        }
    )
    assert daily_rates(arrivals, dt.date(2026, 1, 1), 30) == pytest.approx([5.0] * 30)


def test_no_new_fields_keeps_the_linear_rate_exactly():
    arrivals = PoissonArrivals(kind="poisson", rate_per_day=3.0, trend_per_year=0.2)
    d = np.arange(400)
    expected = 3.0 * np.clip(1.0 + 0.2 * d / 365.0, 0.0, None)
    assert np.array_equal(daily_rates(arrivals, dt.date(2026, 1, 1), 400), expected)


def slope_integral_factor(trend, changes, start, first, n_days):
    """Trend factor on days first..first+n_days-1, summed day by day (independent of the model).

    The slope changes on whole days, so summing each day's slope / 365 is exact.
    """

    def slope(day):
        value = trend
        for date, new in changes:
            if day >= date:
                value = new
        return value

    factors = []
    for k in range(n_days):
        day = first + dt.timedelta(days=k)
        if day >= start:
            steps = [start + dt.timedelta(days=j) for j in range((day - start).days)]
            factors.append(1 + sum(slope(x) for x in steps) / 365)
        else:
            steps = [day + dt.timedelta(days=j) for j in range((start - day).days)]
            factors.append(1 - sum(slope(x) for x in steps) / 365)
    return np.array(factors)


def test_rereferencing_keeps_the_calendar_rates():
    changes = [(dt.date(2025, 3, 1), 0.4), (dt.date(2025, 9, 1), -0.1)]
    spec = {
        "kind": "poisson",
        "rate_per_day": 40.0,
        "trend_per_year": 1.2,
        "trend_changes": [{"date": d, "trend_per_year": s} for d, s in changes],
        "events": [{"name": "bf", "rule": "black_friday", "multiplier": 4.0}],
    }
    start = dt.date(2026, 1, 1)
    for new_start in (dt.date(2024, 10, 1), dt.date(2025, 5, 15), dt.date(2026, 3, 1)):
        shift = float((new_start - start).days)
        moved = PoissonArrivals.model_validate(rereference_arrivals(spec, shift, start))
        rates = daily_rates(moved, new_start, 500)
        truth = 40.0 * slope_integral_factor(1.2, changes, start, new_start, 500)
        days = pd.date_range(new_start, periods=500)
        black_friday = (days.month == 11) & (days.day_of_week == 4) & (days.day >= 23)
        truth = np.where(black_friday & (days.day <= 29), truth * 4.0, truth)
        assert rates == pytest.approx(truth, rel=1e-9), new_start


def test_months_the_history_did_not_show_get_the_fitted_months_spread():
    """Seven months (Jan-Jul) of a strongly seasonal history and no trend: the five unseen months
    are stated with sd of log their factor = the sample sd of the seven fitted months' logs (the
    true months' sd is 0.13; each fitted log has se ~1/sqrt(3000) = 0.02, so the estimate is
    within 0.03 of the true months' sample sd)."""
    month = np.array([0.7, 0.8, 1.0, 1.1, 1.2, 1.3, 0.9, 1, 1, 1, 1, 1])
    times = simulate(start="2024-01-01", end="2024-07-31", month=month, trend=0.0, seed=12)
    fit = fit_poisson_arrivals(
        times, start=dt.date(2024, 1, 1), end=dt.date(2024, 7, 31), fit_trend=False
    )
    stated = fit.spec["uncertainty"]
    assert stated["unseen_months"] == [8, 9, 10, 11, 12]
    assert stated["month_sd"] == pytest.approx(np.std(np.log(month[:7]), ddof=1), abs=0.03)
    row = fit.table.set_index("term").loc["uncertainty.month_sd"]
    assert row["value"] == stated["month_sd"]
    assert "unseen months: aug, sep, oct, nov, dec" in row["note"]
    PoissonArrivals.model_validate(fit.spec)


def test_a_whole_year_or_too_few_months_state_no_unseen_months():
    full = fit_poisson_arrivals(simulate(seed=13))
    assert "unseen_months" not in full.spec["uncertainty"]
    assert full.table.set_index("term").loc["uncertainty.month_sd", "value"] == 0.0
    short = simulate(start="2024-03-04", end="2024-04-30", trend=0.0, seed=14)
    fit = fit_poisson_arrivals(short, start=dt.date(2024, 3, 4), end=dt.date(2024, 4, 30))
    assert "unseen_months" not in fit.spec["uncertainty"]  # two fitted months: no spread


def test_the_trend_may_bend_after_the_history_as_it_did_within_it(piecewise):
    # One changepoint in the 731 days of history: a rate of 365 / 731 a year, and its step
    # (the change of slope at CHANGE) as the mean absolute step, from the day after the history.
    stated = piecewise.spec["uncertainty"]
    slopes = [change["trend_per_year"] for change in piecewise.spec["trend_changes"]]
    assert stated["trend_change_rate"] == pytest.approx(365.0 / 731.0)
    assert stated["trend_change_scale"] == pytest.approx(abs(slopes[1] - slopes[0]))
    assert stated["trend_change_scale"] == pytest.approx(abs(SLOPES[1] - SLOPES[0]), abs=0.2)
    assert stated["changes_from"] == dt.date(2025, 1, 1)
    table = piecewise.table.set_index("term")
    assert table.loc["uncertainty.trend_change_rate", "value"] == stated["trend_change_rate"]
    PoissonArrivals.model_validate(piecewise.spec)


@pytest.mark.parametrize("seed", [31, 32])
def test_a_trend_without_changepoints_states_no_bends_to_come(seed):
    fit = fit_poisson_arrivals(piecewise_counts(seed, slopes=(0.3, 0.3)), changepoints=True)
    assert "trend_change_rate" not in fit.spec["uncertainty"]
    assert "uncertainty.trend_change_rate" not in set(fit.table["term"])
