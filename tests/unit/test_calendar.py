"""Tests of twin.calendar: exact traces, lazy extension, properties and input errors."""

import datetime
import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin import calendar as calendar_module
from twin.calendar import WorkCalendar

MONDAY = datetime.date(2026, 1, 5)
HOUR = 1.0 / 24.0
WEEKDAYS = range(5)


def at(day: int, hour: float) -> float:
    """Clock time (days) of ``hour`` o'clock on clock day ``day``, rounded as the calendar does."""
    return day + hour / 24.0


@pytest.fixture
def office() -> WorkCalendar:
    return WorkCalendar(MONDAY, [(8, 17)], WEEKDAYS)


def test_work_straddling_the_weekend(office):
    # Friday 16:30 + 1 h: half an hour on Friday, the rest on Monday from 08:00.
    assert office.advance(at(4, 16.5), HOUR) == pytest.approx(at(7, 8.5), abs=1e-12)


def test_work_started_on_saturday_waits_for_monday(office):
    assert office.next_open(at(5, 10)) == pytest.approx(at(7, 8), abs=1e-12)
    assert office.advance(at(5, 10), 2 * HOUR) == pytest.approx(at(7, 10), abs=1e-12)


def test_work_started_before_opening_and_overnight(office):
    assert office.advance(at(0, 6), HOUR) == pytest.approx(at(0, 9), abs=1e-12)
    assert office.advance(at(0, 16), 3 * HOUR) == pytest.approx(at(1, 10), abs=1e-12)


def test_work_ending_at_closing_time_is_done_then(office):
    done = office.advance(at(0, 16), HOUR)
    assert done == pytest.approx(at(0, 17), abs=1e-12)
    assert office.advance(at(0, 8), 9 * HOUR) == pytest.approx(at(0, 17), abs=1e-12)


def test_zero_work_is_done_at_once_even_when_closed(office):
    assert office.advance(at(5, 10), 0.0) == at(5, 10)
    assert office.advance(at(0, 9), 0.0) == at(0, 9)


def test_open_and_next_open_at_the_edges(office):
    assert office.is_open(at(0, 8))
    assert not office.is_open(at(0, 17))  # half-open intervals
    assert not office.is_open(at(0, 7.99))
    assert not office.is_open(at(5, 12))
    assert office.next_open(at(0, 9)) == at(0, 9)
    assert office.next_open(at(0, 17)) == pytest.approx(at(1, 8), abs=1e-12)
    assert office.next_open(0.0) == pytest.approx(at(0, 8), abs=1e-12)


def test_holiday_is_skipped():
    tuesday = MONDAY + datetime.timedelta(days=1)
    desk = WorkCalendar(MONDAY, [(8, 17)], WEEKDAYS, holidays=[tuesday])
    assert not desk.is_open(at(1, 10))
    assert desk.advance(at(0, 16), 2 * HOUR) == pytest.approx(at(2, 9), abs=1e-12)
    assert desk.working_time(0.0, 7.0) == pytest.approx(4 * 9 * HOUR, abs=1e-12)


def test_two_shifts_a_day():
    desk = WorkCalendar(MONDAY, [(13, 17), (8, 12)], WEEKDAYS)  # order does not matter
    assert not desk.is_open(at(0, 12.5))
    assert desk.advance(at(0, 11), 2 * HOUR) == pytest.approx(at(0, 14), abs=1e-12)
    assert desk.advance(at(0, 12.5), HOUR) == pytest.approx(at(0, 14), abs=1e-12)
    assert desk.advance(at(0, 16), 5 * HOUR) == pytest.approx(at(1, 12), abs=1e-12)
    assert desk.working_time(at(0, 0), at(1, 0)) == pytest.approx(8 * HOUR, abs=1e-12)


def test_touching_shifts_are_one_interval():
    desk = WorkCalendar(MONDAY, [(8, 12), (12, 17)], WEEKDAYS)
    assert desk.is_open(at(0, 12))
    assert desk.advance(at(0, 11), 2 * HOUR) == pytest.approx(at(0, 13), abs=1e-12)


def test_night_shift_runs_past_midnight():
    # 22:00-06:00 every night, written as two shifts that join across midnight.
    night = WorkCalendar(MONDAY, [(0, 6), (22, 24)], range(7))
    assert night.is_open(at(1, 0))
    assert night.advance(at(0, 23), 4 * HOUR) == pytest.approx(at(1, 3), abs=1e-12)
    assert night.advance(at(0, 5), 2 * HOUR) == pytest.approx(at(0, 23), abs=1e-12)


def test_advance_across_the_lazy_extension_boundary():
    boundary = calendar_module.CHUNK_DAYS
    assert (MONDAY + datetime.timedelta(days=boundary)).weekday() == 2  # a Wednesday
    fresh = WorkCalendar(MONDAY, [(8, 17)], WEEKDAYS)
    done = fresh.advance(at(boundary - 1, 16), 2 * HOUR)
    assert done == pytest.approx(at(boundary, 9), abs=1e-9)
    extended = WorkCalendar(MONDAY, [(8, 17)], WEEKDAYS)
    extended.is_open(3.5 * boundary)  # forces three more chunks first
    assert extended.advance(at(boundary - 1, 16), 2 * HOUR) == done


def test_long_work_spans_several_chunks(office):
    # 600 full shifts from Monday 08:00 end on the Friday of week 120 at 17:00.
    done = office.advance(at(0, 8), 600 * 9 * HOUR)
    assert done == pytest.approx(at(7 * 119 + 4, 17), abs=1e-9)
    assert office.working_time(0.0, done) == pytest.approx(600 * 9 * HOUR, abs=1e-9)


def test_working_time(office):
    assert office.working_time(0.0, 7.0) == pytest.approx(45 * HOUR, abs=1e-12)
    assert office.working_time(at(0, 10), at(0, 10)) == 0.0
    assert office.working_time(at(4, 16), at(7, 9)) == pytest.approx(2 * HOUR, abs=1e-12)
    assert office.working_time(at(5, 1), at(6, 23)) == 0.0


def test_always_is_exact():
    always = WorkCalendar.always()
    assert always.advance(0.1, 0.2) == 0.1 + 0.2
    assert always.advance(3.7, 0.0) == 3.7
    assert always.is_open(5.99)
    assert always.next_open(5.99) == 5.99
    assert always.working_time(1.0, 2.5) == 1.5


@functools.cache  # shared across examples: results must not depend on how far it is extended
def night_and_day_calendar() -> WorkCalendar:
    holidays = [MONDAY + datetime.timedelta(days=d) for d in (3, 10, 11, 400, 729, 731)]
    return WorkCalendar(
        MONDAY, [(0, 2.5), (7.25, 12), (13, 17.5), (22, 24)], [0, 1, 2, 4, 5], holidays
    )


@settings(max_examples=300, deadline=None)
@given(
    t=st.floats(min_value=0.0, max_value=1600.0),
    work=st.floats(min_value=0.0, max_value=40.0),
    extra=st.floats(min_value=0.0, max_value=5.0),
)
def test_advance_and_working_time_agree(t, work, extra):
    cal = night_and_day_calendar()
    done = cal.advance(t, work)
    assert done >= t
    assert cal.working_time(t, done) == pytest.approx(work, abs=1e-9)
    # More work never finishes earlier, and waiting for the opening changes nothing.
    assert cal.advance(t, work + extra) >= done
    if work > 0:
        assert cal.advance(cal.next_open(t), work) == pytest.approx(done, abs=1e-9)
        # Work is done inside working time: just before `done` the calendar is open.
        if work >= 1e-6:
            assert cal.is_open(done - 1e-7)
        else:
            assert cal.next_open(t) <= done <= cal.next_open(t) + 1e-6


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shifts": [(17, 8)]}, r"0 <= start_hour < end_hour <= 24, got \(17, 8\)"),
        ({"shifts": [(8, 8)]}, r"start_hour < end_hour"),
        ({"shifts": [(-1, 8)]}, r"0 <= start_hour"),
        ({"shifts": [(8, 25)]}, r"end_hour <= 24, got \(8, 25\)"),
        ({"shifts": [(8, 12), (11, 13)]}, r"shifts overlap: \(8, 12\) and \(11, 13\)"),
        ({"shifts": [(8,)]}, r"a shift must be a \(start_hour, end_hour\) pair"),
        ({"shifts": []}, r"no working time"),
        ({"weekdays": []}, r"no working time"),
        ({"weekdays": [7]}, r"weekday must be an integer 0 \(Monday\) .. 6 \(Sunday\), got 7"),
        ({"weekdays": [1.0]}, r"weekday must be an integer"),
        ({"holidays": ["2026-01-06"]}, r"holiday must be a datetime.date"),
        ({"holidays": [datetime.datetime(2026, 1, 6)]}, r"holiday must be a datetime.date"),
        ({"start_date": datetime.datetime(2026, 1, 5)}, r"start_date must be a datetime.date"),
    ],
)
def test_bad_construction(kwargs, match):
    arguments = {"start_date": MONDAY, "shifts": [(8, 17)], "weekdays": WEEKDAYS} | kwargs
    with pytest.raises(ValueError, match=match):
        WorkCalendar(**arguments)


def test_bad_queries(office):
    with pytest.raises(ValueError, match=r"work must be a finite number of days >= 0, got -1"):
        office.advance(1.0, -1.0)
    with pytest.raises(ValueError, match=r"work must be a finite number"):
        office.advance(1.0, float("nan"))
    with pytest.raises(ValueError, match=r"time must be a finite number of days >= 0"):
        office.advance(-0.5, 1.0)
    with pytest.raises(ValueError, match=r"time must be a finite number"):
        office.is_open(float("inf"))
    with pytest.raises(ValueError, match=r"working_time needs t0 <= t1"):
        office.working_time(2.0, 1.0)
    with pytest.raises(ValueError, match=r"beyond 36600 days"):
        office.next_open(1e6)


def test_work_ending_at_a_closing_time_is_not_pushed_past_the_next_opening():
    # Found by the property test: rounding in the cumulative working time left ~2e-13 days of
    # work for the next opening (day 277.0) instead of ending at the closing before (276.0).
    cal = night_and_day_calendar()
    done = cal.advance(179.25, 40.0)
    assert done == pytest.approx(276.0, abs=1e-9)
    assert cal.is_open(done - 1e-7)
