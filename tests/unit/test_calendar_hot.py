"""The staff pool's one-call ``start_and_end`` against ``next_open`` and ``advance``."""

from __future__ import annotations

import datetime as dt

import numpy as np

from twin.calendar import WorkCalendar


def test_start_and_end_equals_next_open_and_advance():
    # a weekday calendar with a split day, a shift from midnight, holidays and overtime, queried at
    # open and closed times, exactly at openings and closings, with tiny to week-long work
    calendar = WorkCalendar(
        shifts=[(0.0, 2.0), (6.0, 12.0), (13.0, 17.5), (19.0, 21.0)],
        weekdays=[0, 1, 2, 3, 4],
        holidays=[dt.date(2026, 1, 7)],
        start_date=dt.date(2026, 1, 5),
        overtime={3: 2.0},
    )
    reference = WorkCalendar(
        shifts=[(0.0, 2.0), (6.0, 12.0), (13.0, 17.5), (19.0, 21.0)],
        weekdays=[0, 1, 2, 3, 4],
        holidays=[dt.date(2026, 1, 7)],
        start_date=dt.date(2026, 1, 5),
        overtime={3: 2.0},
    )
    rng = np.random.default_rng(5)
    times = np.concatenate([rng.uniform(0, 400, 3000), np.arange(0, 60, 0.25), [6 / 24, 0.5]])
    works = np.concatenate([[0.0, 1e-15, 1e-9], rng.exponential(0.05, 500), [3.0, 7.5]])
    for t in times:
        for work in rng.choice(works, 4):
            expected = (reference.next_open(t), reference.advance(t, work))
            assert calendar.start_and_end(t, work) == expected, (t, work)
