"""Staff roles: a pool of identical people who work only in their calendar's working time.

A job waits FIFO for a free person, then needs ``work`` days of working time; work that does not
fit before closing pauses and resumes at the next opening. The job's clock duration comes from
the calendar in one step, so each job costs one scheduled event: its completion.

The pool is written here rather than taken from ``simpy.Resource`` because a job's whole life
(queue, calendar-aware start, completion) fits in one event instead of three (request, timeout,
release), which matters at ~130,000 jobs a year, and because headcount that changes by date
needs a pool that owns its own queue.

Headcount may change during the run (:meth:`StaffRole.set_headcount`, driven by the role's
``plan``): an increase starts queued jobs at once; a decrease while everyone is busy takes effect
as people finish their jobs (``free`` goes below zero until then, and a finishing person leaves
instead of taking the next job). :func:`headcount_schedule` turns a role's plan and hiring lag
into the times of those changes.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Sequence
from heapq import heappush

import simpy
from simpy.events import NORMAL

from twin.calendar import WorkCalendar
from twin.model.entities import NOT_YET
from twin.records import ColumnTable, Recorder
from twin.scenario.staffing import Calendar, Role

MINUTES_PER_DAY = 1440.0
CHUNK = ColumnTable.CHUNK  # rows a table buffers (the staff jobs append to the buffer)


def work_calendar(
    spec: Calendar, start_date: dt.date, overtime: dict[int, float] | None = None
) -> WorkCalendar:
    """The run-time calendar of a scenario calendar (24/7 gets the fast path); ``overtime``:
    extra hours by day number (see :func:`overtime_by_day`)."""
    if spec.always_open and not overtime:
        return WorkCalendar.always()
    return WorkCalendar(
        start_date, spec.shift_hours(), spec.weekday_numbers(), spec.holidays, overtime
    )


def overtime_by_day(
    role: Role, spec: Calendar, start_date: dt.date
) -> tuple[dict[int, float], dict[int, float]]:
    """The role's overtime as (extra hours by day number, pay premium by day number).

    Days before ``start_date`` are dropped; days that are holidays stay in the maps, and the
    calendar gives them no overtime.
    """
    hours: dict[int, float] = {}
    premium: dict[int, float] = {}
    working = set(spec.weekday_numbers())
    for period in role.overtime:
        for date in period.dates(working):
            day = (date - start_date).days
            if day >= 0:
                hours[day] = period.extra_hours
                premium[day] = period.premium
    return hours, premium


def headcount_schedule(role: Role, start_date: dt.date) -> list[tuple[float, int]]:
    """The role's effective headcount as ``[(time, headcount), ...]``, time 0 first (days).

    The planned headcount is ``role.headcount`` until the first plan step, then each step's
    from its date's start (a step dated before the start counts from its date). With a hiring
    lag L the effective headcount at t is the least planned headcount over [t - L, t]: an
    increase counts L days after its date, a decrease at once, and people cut and planned
    again must be hired again.
    """
    steps = [(float((step.start - start_date).days), step.headcount) for step in role.plan]
    lag = role.hiring_lag_days

    def planned(t: float) -> int:
        headcount = role.headcount
        for day, count in steps:
            if day > t:
                break
            headcount = count
        return headcount

    def effective(t: float) -> int:
        least = planned(t - lag)
        for day, count in steps:
            if t - lag < day <= t:
                least = min(least, count)
        return least

    # the least over the window changes only where a step enters it or leaves it
    changes = {d for d, _ in steps} | {d + lag for d, _ in steps}
    times = sorted({0.0} | {t for t in changes if t > 0})
    schedule: list[tuple[float, int]] = []
    for t in times:
        count = effective(t)
        if not schedule or schedule[-1][1] != count:
            schedule.append((t, count))
    return schedule


class Job(simpy.Event):
    """A job for a staff role; fires when done. ``t_start`` is when work began (NaN until then)."""

    t_start = NOT_YET  # a class default: no __init__ of its own, one call less per job


class StaffRole:
    """``headcount`` people of one role sharing a FIFO queue.

    ``serve(work_days)`` returns an event that fires when the job is done; a process simply
    ``yield``s it. Each job becomes a row of ``recorder.staff_jobs`` when work is assigned;
    :meth:`record_waiting` adds the jobs still queued when the run ends. ``headcount`` may be 0
    (a closed role: jobs wait) and may change during the run (:meth:`set_headcount`,
    :meth:`follow`).
    """

    def __init__(
        self,
        env: simpy.Environment,
        number: int,
        name: str,
        headcount: int,
        calendar: WorkCalendar,
        recorder: Recorder,
        schedule: Sequence[tuple[float, int]] | None = None,
        overtime_premium: dict[int, float] | None = None,
    ) -> None:
        if headcount < 0:
            raise ValueError(f"role {name!r}: headcount must be >= 0, got {headcount}")
        if schedule is not None and (not schedule or tuple(schedule[0]) != (0.0, headcount)):
            raise ValueError(
                f"role {name!r}: the headcount schedule must start with (0.0, {headcount}), "
                f"got {list(schedule)[:1]}"
            )
        self.env = env
        self.number = number
        self.name = name
        self.headcount = headcount
        self.calendar = calendar
        self.free = headcount
        self.queue: deque[tuple[Job, float, float]] = deque()
        # the headcount plan as [(time, headcount)] (None: ``headcount`` throughout) and the
        # overtime pay premium by day number (None: no overtime); read when collected
        self.schedule: list[tuple[float, int]] = (
            [(0.0, headcount)] if schedule is None else list(schedule)
        )
        self.overtime_premium: dict[int, float] = (
            {} if overtime_premium is None else overtime_premium
        )
        self._jobs = recorder.staff_jobs
        self._job_rows = recorder.staff_jobs.rows  # appended to directly on the hot path

    @property
    def busy(self) -> int:
        """People holding a job now (including jobs paused outside working hours)."""
        return self.headcount - self.free

    def serve(self, work_days: float) -> Job:
        """Ask for ``work_days`` of work; the returned job fires when it is done."""
        env = self.env
        done = Job(env)
        now = env._now  # env.now without the property's call: once per job
        if self.free > 0:
            self.free -= 1
            self._start(done, now, work_days)
        else:
            self.queue.append((done, now, work_days))
        return done

    def set_headcount(self, headcount: int) -> None:
        """Change the number of people now.

        New people take queued jobs at once (each starts at the calendar's next opening). When
        fewer people are left than are busy, the surplus leave as they finish their jobs.
        """
        if headcount < 0:
            raise ValueError(f"role {self.name!r}: headcount must be >= 0, got {headcount}")
        self.free += headcount - self.headcount
        self.headcount = headcount
        queue = self.queue
        while self.free > 0 and queue:
            self.free -= 1
            self._start(*queue.popleft())

    def follow(self, schedule: Sequence[tuple[float, int]]) -> None:
        """Apply each later ``(time, headcount)`` of ``schedule`` at its time (one event each)."""
        env = self.env
        for t, headcount in schedule:
            if t > env.now:
                change = env.timeout(t - env.now)
                change.callbacks.append(lambda _event, n=headcount: self.set_headcount(n))

    def record_waiting(self) -> None:
        """Add the jobs still waiting for a person to the staff-jobs table (no start, no end)."""
        for _, t_request, work in self.queue:
            self._jobs.add((self.number, t_request, NOT_YET, NOT_YET, work))

    def _start(self, done: Job, t_request: float, work: float) -> None:
        env = self.env
        now = env._now  # env.now without the property's call: once per job
        if work > 0.0:
            start, end = self.calendar.start_and_end(now, work)
        else:
            start = end = now
        done.t_start = start
        rows = self._job_rows
        rows.append((self.number, t_request, start, end, work))  # ColumnTable.add, inline
        if len(rows) >= CHUNK:
            self._jobs.flush()
        # schedule the completion directly (what Timeout does in its constructor), so the
        # event a process already waits on becomes the job's completion
        done._ok = True
        done._value = None
        done.callbacks.append(self._finish)
        heappush(env._queue, (now + (end - now), NORMAL, next(env._eid), done))  # env.schedule

    def _finish(self, _event: simpy.Event) -> None:
        if self.free < 0:
            # headcount was cut while this person was busy: they leave rather than take a job
            self.free += 1
        elif self.queue:
            self._start(*self.queue.popleft())
        else:
            self.free += 1


def window_facts(
    calendar: WorkCalendar,
    schedule: Sequence[tuple[float, int]],
    premium: dict[int, float],
    start: float,
    end: float,
) -> dict[str, object]:
    """What the staff KPIs need of one role over the KPI window [start, end) (days).

    ``available_days``: the integral of headcount over working time, overtime included;
    ``scheduled_head_days`` and ``overtime_head_days``: that integral split into regular and
    overtime hours; ``overtime_paid_head_days``: the overtime part weighted by each day's pay
    premium; ``headcount_mean``: the clock-time mean headcount; ``headcount_steps``: the
    schedule as (times, headcounts).
    """
    available = scheduled = overtime = paid = head_time = 0.0
    bounds = [t for t, _ in schedule[1:]] + [float("inf")]
    for (t0, headcount), t1 in zip(schedule, bounds, strict=True):
        a, b = max(t0, start), min(t1, end)
        if b <= a:
            continue
        worked = calendar.working_time(a, b)
        extra, extra_paid = _overtime_between(calendar, premium, a, b)
        available += headcount * worked
        scheduled += headcount * (worked - extra)
        overtime += headcount * extra
        paid += headcount * extra_paid
        head_time += headcount * (b - a)
    return {
        "available_days": available,
        "scheduled_head_days": scheduled,
        "overtime_head_days": overtime,
        "overtime_paid_head_days": paid,
        "headcount_mean": head_time / (end - start),
        "headcount_steps": ([t for t, _ in schedule], [h for _, h in schedule]),
    }


def _overtime_between(
    calendar: WorkCalendar, premium: dict[int, float], a: float, b: float
) -> tuple[float, float]:
    """Overtime (days per head) in [a, b), and the same weighted by each day's premium."""
    total = weighted = 0.0
    for day in premium:
        if day + 1 <= a or day >= b:
            continue
        interval = calendar.overtime_interval(day)
        if interval is None:
            continue
        part = max(0.0, min(interval[1], b) - max(interval[0], a))
        total += part
        weighted += part * premium[day]
    return total, weighted
