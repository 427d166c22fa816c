"""Staff roles: a pool of identical people who work only in their calendar's working time.

A job waits FIFO for a free person, then needs ``work`` days of working time; work that does not
fit before closing pauses and resumes at the next opening. The job's clock duration comes from
the calendar in one step, so each job costs one scheduled event: its completion.

The pool is written here rather than taken from ``simpy.Resource`` because a job's whole life
(queue, calendar-aware start, completion) fits in one event instead of three (request, timeout,
release), which matters at ~130,000 jobs a year, and because headcount that changes by date
needs a pool that owns its own queue.
"""

from __future__ import annotations

import datetime as dt
from collections import deque

import simpy
from simpy.events import NORMAL

from twin.calendar import WorkCalendar
from twin.model.entities import NOT_YET
from twin.records import Recorder
from twin.scenario.schema import Calendar

MINUTES_PER_DAY = 1440.0


def work_calendar(spec: Calendar, start_date: dt.date) -> WorkCalendar:
    """The run-time calendar of a scenario calendar (24/7 gets the fast path)."""
    if spec.always_open:
        return WorkCalendar.always()
    return WorkCalendar(start_date, spec.shift_hours(), spec.weekday_numbers(), spec.holidays)


class Job(simpy.Event):
    """A job for a staff role; fires when done. ``t_start`` is when work began (NaN until then)."""

    t_start = NOT_YET  # a class default: no __init__ of its own, one call less per job


class StaffRole:
    """``headcount`` people of one role sharing a FIFO queue.

    ``serve(work_days)`` returns an event that fires when the job is done; a process simply
    ``yield``s it. Each job becomes a row of ``recorder.staff_jobs`` when work is assigned;
    :meth:`record_waiting` adds the jobs still queued when the run ends.
    """

    def __init__(
        self,
        env: simpy.Environment,
        number: int,
        name: str,
        headcount: int,
        calendar: WorkCalendar,
        recorder: Recorder,
    ) -> None:
        if headcount < 1:
            raise ValueError(f"role {name!r}: headcount must be >= 1, got {headcount}")
        self.env = env
        self.number = number
        self.name = name
        self.headcount = headcount
        self.calendar = calendar
        self.free = headcount
        self.queue: deque[tuple[Job, float, float]] = deque()
        self._jobs = recorder.staff_jobs

    @property
    def busy(self) -> int:
        """People holding a job now (including jobs paused outside working hours)."""
        return self.headcount - self.free

    def serve(self, work_days: float) -> Job:
        """Ask for ``work_days`` of work; the returned job fires when it is done."""
        env = self.env
        done = Job(env)
        if self.free:
            self.free -= 1
            self._start(done, env.now, work_days)
        else:
            self.queue.append((done, env.now, work_days))
        return done

    def record_waiting(self) -> None:
        """Add the jobs still waiting for a person to the staff-jobs table (no start, no end)."""
        for _, t_request, work in self.queue:
            self._jobs.add((self.number, t_request, NOT_YET, NOT_YET, work))

    def _start(self, done: Job, t_request: float, work: float) -> None:
        env = self.env
        now = env.now
        if work > 0.0:
            start, end = self.calendar.start_and_end(now, work)
        else:
            start = end = now
        done.t_start = start
        self._jobs.add((self.number, t_request, start, end, work))
        # schedule the completion directly (what Timeout does in its constructor), so the
        # event a process already waits on becomes the job's completion
        done._ok = True
        done._value = None
        done.callbacks.append(self._finish)
        env.schedule(done, NORMAL, end - now)

    def _finish(self, _event: simpy.Event) -> None:
        if self.queue:
            self._start(*self.queue.popleft())
        else:
            self.free += 1
