"""Working calendars: when a staff role works, and how long work takes in clock time.

The clock counts days since the simulation start: day ``d`` is the date ``start_date + d`` and
the fraction is the time of day, so ``0.375`` is 09:00 on ``start_date``. A :class:`WorkCalendar`
turns an amount of *working* time into the clock time at which it is done: work waits until the
next opening and pauses over evenings, weekends and holidays::

    desk = WorkCalendar(date(2026, 1, 5), shifts=[(8, 17)], weekdays=range(5))
    done = desk.advance(env.now, service_days)
    yield env.timeout(done - env.now)

Working intervals are half-open: a shift 08:00-17:00 is open at 08:00 and closed at 17:00.
``advance`` is on the hot path of the model, so the calendar keeps sorted lists of interval
starts and ends and the cumulative working time before each, generated for a window of days and
extended in chunks when a time beyond it is asked for; every query is then a ``bisect``.

Overtime is extra working time appended after the last shift end of given days; the calendar
treats it as working time like any other (it is told apart only for pay, by
:meth:`WorkCalendar.overtime_interval`).
"""

from __future__ import annotations

import datetime
import itertools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["WorkCalendar"]

#: Days of intervals generated at a time. Two years covers a typical horizon in one chunk.
CHUNK_DAYS = 730

#: A query beyond this many days is taken for a bug (or a calendar closed for a century) rather
#: than a reason to build ever more intervals.
MAX_DAYS = 100 * 366

HOURS_PER_DAY = 24.0


# Work that differs from an interval boundary by less than this (days, ~0.1 microsecond) is taken
# to end at the boundary; it absorbs floating-point rounding of cumulative working time.
_SNAP_DAYS = 1e-12


class WorkCalendar:
    """Working time of a staff role: which clock intervals (days since the start) are working time.

    Parameters
    ----------
    start_date
        The date of clock day 0.
    shifts
        Working hours of a working day as ``(start_hour, end_hour)`` pairs, hours in [0, 24]
        (floats allowed, 8.5 = 08:30), ``start_hour < end_hour``, not overlapping. Touching
        shifts, and a shift ending at 24 followed by one starting at 0 the next working day, are
        joined into one interval.
    weekdays
        Working days of the week, 0 = Monday .. 6 = Sunday.
    holidays
        Dates on which the role does not work at all.
    overtime
        Extra working hours by day number (days since ``start_date``), appended after the last
        shift end of that day when it is a working day (a holiday or closed weekday has none).

    Raises
    ------
    ValueError
        If ``start_date`` or a holiday is not a date, a shift or weekday is out of range, shifts
        overlap, there is no working time at all (no shifts or no weekdays), or overtime is not
        > 0 hours or runs past midnight.
    """

    def __init__(
        self,
        start_date: datetime.date,
        shifts: Sequence[tuple[float, float]],
        weekdays: Iterable[int],
        holidays: Iterable[datetime.date] = (),
        overtime: Mapping[int, float] | None = None,
    ) -> None:
        if isinstance(start_date, datetime.datetime) or not isinstance(start_date, datetime.date):
            raise ValueError(f"start_date must be a datetime.date, got {start_date!r}")
        self.start_date = start_date
        self.shifts = _check_shifts(shifts)
        self.weekdays = _check_weekdays(weekdays)
        self.holidays = _check_holidays(holidays)
        if not self.shifts or not self.weekdays:
            raise ValueError(
                "calendar has no working time: it needs at least one shift and one weekday"
            )
        self._always = False
        self._overtime = _check_overtime(overtime or {}, self.shifts[-1][1])
        # The shifts of one working day as fractions of a day, touching shifts joined.
        self._day_parts = _join_touching(
            [(s / HOURS_PER_DAY, e / HOURS_PER_DAY) for s, e in self.shifts]
        )
        self._holiday_days = {(h - start_date).days for h in self.holidays}
        self._first_weekday = start_date.weekday()
        self._starts: list[float] = []
        self._ends: list[float] = []
        # _cumulative[i] = working days before interval i starts; one entry more than intervals.
        self._cumulative: list[float] = [0.0]
        self._end_day = 0  # intervals of days [0, _end_day) have been generated
        self._extend()

    @classmethod
    def always(cls, start_date: datetime.date = datetime.date(2000, 1, 1)) -> WorkCalendar:
        """Return a 24/7 calendar: ``advance(t, w) == t + w`` exactly.

        Parameters
        ----------
        start_date
            The date of clock day 0; it has no effect on the times computed.
        """
        calendar = cls(start_date, [(0.0, 24.0)], range(7))
        calendar._always = True
        return calendar

    def __repr__(self) -> str:
        if self._always:
            return "WorkCalendar.always()"
        return (
            f"WorkCalendar(start_date={self.start_date!r}, shifts={self.shifts}, "
            f"weekdays={self.weekdays}, holidays={len(self.holidays)} dates)"
        )

    def _extend(self) -> None:
        """Generate the next CHUNK_DAYS days of working intervals."""
        first = self._end_day
        if first >= MAX_DAYS:
            raise ValueError(
                f"calendar asked for a time beyond {MAX_DAYS} days after {self.start_date}"
            )
        starts, ends, cumulative = self._starts, self._ends, self._cumulative
        weekdays, holidays, parts = self.weekdays, self._holiday_days, self._day_parts
        overtime, last_end = self._overtime, self.shifts[-1][1]
        for day in range(first, first + CHUNK_DAYS):
            if (self._first_weekday + day) % 7 not in weekdays or day in holidays:
                continue
            day_parts = parts
            if overtime and day in overtime:
                # the last part ends at the last shift end: overtime extends it (in hours, so
                # that 22:00 + 2 h is exactly midnight and joins a shift starting at 00:00)
                extended = (last_end + overtime[day]) / HOURS_PER_DAY
                day_parts = [*parts[:-1], (parts[-1][0], extended)]
            for s, e in day_parts:
                start, end = day + s, day + e
                if ends and ends[-1] == start:
                    # A night shift running past midnight into the next working day.
                    ends[-1] = end
                    cumulative[-1] = cumulative[-2] + (end - starts[-1])
                else:
                    starts.append(start)
                    ends.append(end)
                    cumulative.append(cumulative[-1] + (end - start))
        self._end_day = first + CHUNK_DAYS

    def _cover(self, t: float) -> None:
        """Make sure every interval starting at or before ``t`` has been generated."""
        if not t >= 0.0 or math.isinf(t):
            raise ValueError(f"time must be a finite number of days >= 0, got {t!r}")
        if t >= MAX_DAYS:
            raise ValueError(
                f"calendar asked for a time beyond {MAX_DAYS} days after {self.start_date}: {t!r}"
            )
        while t >= self._end_day:
            self._extend()

    def _worked_before(self, t: float) -> float:
        """Working days in [0, t]; t must be covered."""
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return 0.0
        if t < self._ends[i]:
            return self._cumulative[i] + (t - self._starts[i])
        return self._cumulative[i + 1]

    def overtime_interval(self, day: int) -> tuple[float, float] | None:
        """The clock interval (days) of day ``day``'s overtime, or None if it has none."""
        extra = self._overtime.get(day)
        if extra is None or day < 0:
            return None
        if (self._first_weekday + day) % 7 not in self.weekdays or day in self._holiday_days:
            return None
        last_end = self.shifts[-1][1]
        return day + last_end / HOURS_PER_DAY, day + (last_end + extra) / HOURS_PER_DAY

    @property
    def overtime_days(self) -> list[int]:
        """Day numbers given overtime, in order (some may be holidays or closed days)."""
        return sorted(self._overtime)

    def is_open(self, t: float) -> bool:
        """Return whether clock time ``t`` (days) is working time."""
        if self._always:
            return True
        self._cover(t)
        i = bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def next_open(self, t: float) -> float:
        """Return ``t`` if the calendar is open at ``t``, else the next opening time (days)."""
        if self._always:
            return t
        self._cover(t)
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            return t
        while i + 1 >= len(self._starts):
            self._extend()
        return self._starts[i + 1]

    def advance(self, t: float, work: float) -> float:
        """Return the clock time at which ``work`` days of working time started at ``t`` are done.

        Work starts at ``t`` or, if the calendar is closed then, at the next opening; it pauses at
        each closing time and resumes at the next opening. Work ending exactly at a closing time
        is done at that closing time.

        Parameters
        ----------
        t
            Clock time the work is ready to start (days, >= 0).
        work
            Working time needed (days, >= 0). Zero work is done at ``t``, open or not.

        Returns
        -------
        float
            Completion time (days), ``>= t``.
        """
        if not work >= 0.0 or math.isinf(work):
            raise ValueError(f"work must be a finite number of days >= 0, got {work!r}")
        if work == 0.0:
            return t
        if self._always:
            return t + work
        self._cover(t)
        starts, cumulative = self._starts, self._cumulative
        i = bisect_right(starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            first = i
            target = cumulative[i] + (t - starts[i]) + work
        else:
            first = i + 1
            target = cumulative[i + 1] + work
        return self._done(t, first, target)

    def _done(self, t: float, first: int, target: float) -> float:
        """When work started at ``t`` reaches ``target`` cumulative working time, the work
        starting in interval ``first`` (the one holding ``t``, else the next)."""
        starts, cumulative = self._starts, self._cumulative  # both extended in place below
        while cumulative[-1] < target or first >= len(starts):
            self._extend()
        # Searching from `first` on, so that work too small to change `target` in floating
        # point still waits for the opening when the calendar is closed at t.
        j = bisect_left(cumulative, target, first + 1) - 1
        if j > first and target - cumulative[j] <= _SNAP_DAYS:
            # Rounding in `target` left a sliver of work for the next opening: the work really
            # ends at the previous closing time.
            return max(self._ends[j - 1], t)
        done = starts[j] + (target - cumulative[j])
        return done if done > t else t  # rounding when t is open and the work is that tiny

    def start_and_end(self, t: float, work: float) -> tuple[float, float]:
        """``(next_open(t), advance(t, work))`` in one call, for the staff pool's hot path: the
        interval holding ``t`` is found once for both."""
        if self._always:
            return t, t + work
        if not 0.0 <= work < math.inf:  # as advance checks it, without a call
            raise ValueError(f"work must be a finite number of days >= 0, got {work!r}")
        if not 0.0 <= t < self._end_day or t >= MAX_DAYS:  # else covered already
            self._cover(t)
        starts, cumulative = self._starts, self._cumulative  # starts extended in place below
        i = bisect_right(starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            start = t
            first = i
            target = cumulative[i] + (t - starts[i]) + work
        else:
            while i + 1 >= len(starts):
                self._extend()
            start = starts[i + 1]
            first = i + 1
            target = cumulative[i + 1] + work
        if work == 0.0:
            return start, t
        return start, self._done(t, first, target)

    def working_time(self, t0: float, t1: float) -> float:
        """Return the working time (days) in the clock interval [t0, t1], ``t0 <= t1``."""
        if t1 < t0:
            raise ValueError(f"working_time needs t0 <= t1, got t0={t0!r}, t1={t1!r}")
        if self._always:
            return t1 - t0
        self._cover(t1)
        self._cover(t0)
        return self._worked_before(t1) - self._worked_before(t0)


def _check_shifts(shifts: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    checked = []
    for shift in shifts:
        try:
            start, end = (float(x) for x in shift)
        except (TypeError, ValueError):
            raise ValueError(
                f"a shift must be a (start_hour, end_hour) pair of numbers, got {shift!r}"
            ) from None
        if not (0.0 <= start < end <= HOURS_PER_DAY):
            raise ValueError(
                f"a shift needs 0 <= start_hour < end_hour <= 24, got ({start:g}, {end:g})"
            )
        checked.append((start, end))
    checked.sort()
    for (s0, e0), (s1, e1) in itertools.pairwise(checked):
        if s1 < e0:
            raise ValueError(f"shifts overlap: ({s0:g}, {e0:g}) and ({s1:g}, {e1:g})")
    return tuple(checked)


def _check_weekdays(weekdays: Iterable[int]) -> frozenset[int]:
    days = set()
    for day in weekdays:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"a weekday must be an integer 0 (Monday) .. 6 (Sunday), got {day!r}")
        days.add(day)
    return frozenset(days)


def _check_holidays(holidays: Iterable[datetime.date]) -> frozenset[datetime.date]:
    dates = set()
    for holiday in holidays:
        # A datetime never equals a date, so it would silently not close anything.
        if isinstance(holiday, datetime.datetime) or not isinstance(holiday, datetime.date):
            raise ValueError(f"a holiday must be a datetime.date, got {holiday!r}")
        dates.add(holiday)
    return frozenset(dates)


def _check_overtime(overtime: Mapping[int, float], last_end: float) -> dict[int, float]:
    checked = {}
    for day, hours in overtime.items():
        hours = float(hours)
        if not hours > 0.0 or last_end + hours > HOURS_PER_DAY:
            raise ValueError(
                f"overtime on day {day} must be > 0 hours and end by midnight after the last "
                f"shift end ({last_end:g} h), got {hours!r} h"
            )
        checked[int(day)] = hours
    return checked


def _join_touching(parts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    joined: list[tuple[float, float]] = []
    for start, end in parts:
        if joined and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined
