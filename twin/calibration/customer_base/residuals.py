"""What the customer model leaves unexplained: its in-sample expectation, level and rate noise.

A segment with a customer base simulates each customer's purchases, and the segment's day
multiplier (a mean-one lognormal AR(1), :class:`twin.scenario.arrivals.RateNoise`) moves them all
together: weather, holidays and promotions reach every customer at once. Calibration fits that
multiplier on the residuals of the aggregate arrival fit, whose trend and calendar can follow the
history more (or less) closely than the customers' own processes do; this module checks it
against what the *customer model* leaves unexplained.

The customer model's expectation of a history day is taken one week ahead, as a forecast is
made: at the start of each week (weeks from the extract's first day) every customer seen so far
has the summaries ``(x, t_x, T)`` known then, and its expected purchases over the week are the
fitted model's conditional expectation (``expected_purchases`` of :mod:`.bg_nbd` or
:mod:`.pareto_nbd`, on the segment's clock); the week's total is spread over its days by the
calendar shape. The first orders of customers not yet seen (new ones and old ones seen for the
first time) are added as the first-order split expects them (:mod:`.first_purchases`). The
first ``BURN_IN_SHARE`` of the history (at least ``MIN_BURN_IN_DAYS``) is left out: there the
summaries are too short for the posteriors to mean much, and the residuals are the model's
start-up, not common shocks.

The multiplier is then fitted to the daily counts around that expectation by the moment fit of
:func:`twin.calibration.overdispersion.fit_rate_noise` (the Poisson test at 1 %, the AR(1)
matched to the weekly total). It is reported (``customer_base.overdispersion`` in the fit
report), not yet written into the model, which keeps the segment's arrivals' multiplier: on the
shared data the two agree where the customer model holds its level (complete_journey: sd of the
log 0.058 against 0.060), and the customer model's is smaller where it does not
(online_retail: 0.26-0.29 against 0.35-0.41), because a one-week-ahead residual misses the slow
drift of the customer model's level that a 13-week forecast must carry. A scenario can state it
(``customer_base.overdispersion``).

The level is the ratio of the orders to that expectation over the last ``LEVEL_WEEKS`` weeks
before the as-of date, with its standard error under the fitted multiplier; a level more than
``LEVEL_Z`` standard errors from 1 is reported as a bias of the customer model in sample (the
forecast starts from the same model).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.calibration.customer_base.clock import Clock
from twin.calibration.customer_base.first_purchases import (
    FirstPurchaseFit,
    first_purchase_probability,
    old_customer_parameters,
)
from twin.calibration.customer_base.select import MODELS
from twin.calibration.customer_base.summaries import summaries_at
from twin.calibration.overdispersion import RateNoiseFit, fit_rate_noise

WEEK_DAYS = 7
BURN_IN_SHARE = 0.25
"""Share of the history left out of the residual fit at its start."""
MIN_BURN_IN_DAYS = 28
LEVEL_WEEKS = 13
"""Weeks before the as-of date whose orders the in-sample level compares."""
LEVEL_Z = 2.0
"""Standard errors from 1 at which the in-sample level is reported as a bias."""


@dataclass(frozen=True)
class CustomerResiduals:
    """The customer model's in-sample expectation and what it leaves unexplained.

    Attributes
    ----------
    expected : numpy.ndarray
        Expected orders of each day of the history (one week ahead; 0 in the burn-in).
    observed : numpy.ndarray
        Orders of each day.
    noise : RateNoiseFit
        The day multiplier fitted around ``expected``.
    level : float
        Orders over expected orders in the last ``LEVEL_WEEKS`` weeks (dimensionless).
    level_se : float
        Standard error of ``level`` under the fitted multiplier.
    burn_in_days : int
        Days left out at the start.
    """

    expected: np.ndarray
    observed: np.ndarray
    noise: RateNoiseFit
    level: float
    level_se: float
    burn_in_days: int

    @property
    def biased(self) -> bool:
        """Whether the in-sample level is more than ``LEVEL_Z`` standard errors from 1."""
        return abs(self.level - 1.0) > LEVEL_Z * self.level_se


def _day_of(stamps: pd.Series, start: pd.Timestamp) -> np.ndarray:
    return ((stamps - start) // pd.Timedelta(days=1)).to_numpy(dtype="int64")


def expected_daily_orders(
    orders: pd.DataFrame,
    first_day: dt.date,
    as_of: pd.Timestamp,
    clock: Clock,
    model: str,
    params: dict[str, float],
    split: FirstPurchaseFit,
    burn_in_days: int,
) -> np.ndarray:
    """The customer model's one-week-ahead expectation of each day's orders (module docstring);
    days before ``burn_in_days`` (rounded up to a week) are 0. ``orders`` hold one row per order
    (as :func:`fit_customer_residuals` passes them)."""
    start = pd.Timestamp(first_day)
    n_days = int((pd.Timestamp(as_of) - start) / pd.Timedelta(days=1))
    bounds = pd.Series(pd.date_range(start, periods=n_days + 1, freq="D"))
    u = clock(bounds)
    shape = np.diff(u)
    old = old_customer_parameters(model, params, split.old_shape)
    first = split.new_per_day * shape + split.old_at_start * np.diff(
        first_purchase_probability(model, old, u)
    )
    vector = np.array([params[name] for name in MODELS[model].PARAMETERS])
    expected = np.zeros(n_days)
    week_start = math.ceil(burn_in_days / WEEK_DAYS) * WEEK_DAYS
    begins = range(week_start, n_days, WEEK_DAYS)
    known = summaries_at(orders, [start + pd.Timedelta(days=begin) for begin in begins], clock)
    for begin, (x, t_x, T) in zip(begins, known, strict=True):
        end = min(begin + WEEK_DAYS, n_days)
        if len(x):
            total = (
                MODELS[model].expected_purchases(vector, x, t_x, T, float(u[end] - u[begin])).sum()
            )
            span = shape[begin:end].sum()
            if span > 0:
                expected[begin:end] = total * shape[begin:end] / span
        expected[begin:end] += first[begin:end]
    return expected


def fit_customer_residuals(
    orders: pd.DataFrame,
    first_day: dt.date,
    as_of: pd.Timestamp,
    clock: Clock,
    model: str,
    params: dict[str, float],
    split: FirstPurchaseFit,
) -> CustomerResiduals:
    """The customer model's residual fit over the history (module docstring).

    ``orders`` are the segment's identified orders (``order_id``, ``customer_id``,
    ``ordered_at``) before ``as_of``; ``clock`` the segment's calendar clock.
    """
    start = pd.Timestamp(first_day)
    n_days = int((pd.Timestamp(as_of) - start) / pd.Timedelta(days=1))
    orders = orders[orders["customer_id"].notna()].drop_duplicates("order_id")
    day = _day_of(orders["ordered_at"], start)
    day = day[(day >= 0) & (day < n_days)]
    observed = np.bincount(day, minlength=n_days).astype(float)
    burn_in = max(MIN_BURN_IN_DAYS, int(BURN_IN_SHARE * n_days))
    expected = expected_daily_orders(orders, first_day, as_of, clock, model, params, split, burn_in)
    n_parameters = len(params) + 3  # the model's, and nu, N0, r0 of the split
    noise = fit_rate_noise(observed, expected, n_parameters)
    last = slice(max(n_days - LEVEL_WEEKS * WEEK_DAYS, 0), n_days)
    mu = expected[last]
    level = float(observed[last].sum() / mu.sum()) if mu.sum() > 0 else math.nan
    variance = float(mu.sum())
    if noise.present:
        lags = np.abs(np.subtract.outer(np.arange(mu.size), np.arange(mu.size)))
        covariance = np.expm1(noise.sd_log**2 * noise.autocorrelation ** lags.astype(float))
        variance += float(mu @ covariance @ mu)
    level_se = math.sqrt(variance) / mu.sum() if mu.sum() > 0 else math.nan
    return CustomerResiduals(expected, observed, noise, level, level_se, burn_in)
