"""The segment's calendar as a clock: history time measured in calendar-weighted days.

The twin simulates a customer's purchases as a Poisson process of intensity ``lambda * c(d)``,
``c`` the segment's weekday, month, holiday and event shape with mean 1 over a year
(``twin.model.customer_base``). Fitting ``lambda`` on plain days would read a customer first seen
in a December peak as a fast buyer, and the forecast would carry the peak into quieter months.
So the fit measures each customer's recency and age on the same clock the model runs on:
``C(t)``, the integral of ``c`` from the start of the history, in days. A customer who bought
``x`` times over ``C`` calendar-weighted days then has the model's own likelihood, and its
posterior at the as-of date is the one the model draws from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from twin.scenario.arrival_rates import calendar_shape
from twin.scenario.arrivals import PoissonArrivals

DAY = pd.Timedelta(days=1)

Clock = Callable[[pd.Series], np.ndarray]


def calendar_clock(arrivals: dict, first_day: dt.date, end: pd.Timestamp) -> Clock:
    """``C(t)`` from ``first_day`` for timestamps up to ``end``, from a fitted arrivals spec.

    ``arrivals`` is the segment's ``arrivals`` mapping as calibrate writes it (kind poisson);
    its level and trend are left out, as in the model. Times before ``first_day`` count from it
    (C = 0 there); times after ``end`` continue at the last day's shape.
    """
    start = pd.Timestamp(first_day)
    n_days = max(int(np.ceil((pd.Timestamp(end) - start) / DAY)) + 1, 1)
    shape = calendar_shape(PoissonArrivals.model_validate(arrivals), first_day, n_days)
    cumulative = np.concatenate(([0.0], np.cumsum(shape)))

    def clock(stamps: pd.Series) -> np.ndarray:
        t = np.clip(((pd.Series(stamps) - start) / DAY).to_numpy(dtype=float), 0.0, None)
        day = np.minimum(t.astype(np.int64), n_days - 1)
        return cumulative[day] + shape[day] * (t - day)

    return clock
