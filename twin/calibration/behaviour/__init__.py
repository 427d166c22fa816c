"""Fits of customer behaviour: price and promotion response, pipeline, tickets, satisfaction, churn.

:func:`fit_behaviour` reads canonical history tables after the quality step and returns a
plain-data dict (floats, ints, strings, lists, dicts; distributions in the
:mod:`twin.distributions` vocabulary as
:func:`~twin.calibration.fitting.continuous.fit_continuous` makes them), written as
``behaviour.yaml`` next to ``model.yaml``. Each quantity carries the data it was fitted from
(``source``), how many values (``n``), the model and its statistics, and ``defaulted`` with the
stated default when the data are missing or too few. It also hands one fit-report row per quantity
to a :class:`~twin.calibration.fit_report.FitReport`.

The blocks, named for the policy levers that use them:

- ``price_response`` (promotions lever): own-price elasticity from a log-log regression of weekly
  units on the effective price, with SKU and week fixed effects and SKU-clustered standard errors;
  promotion lift by kind and the post-promotion dip, as ratios to each SKU's baseline week, with
  SKU-bootstrap intervals.
- ``pipeline`` (credit and sales levers): win rate with a Wilson interval, sales-cycle time of won
  and lost deals, deal value, opportunities created per agent and day.
- ``after_sales``: tickets per delivered order, resolution time.
- ``satisfaction``: review score against delivery lateness (days late, by date): bin means, the
  parametric curve chosen by AIC, and the probability of a low score.
- ``customer_loop`` (per segment): repeat share, inter-purchase time, churn probability within an
  inactivity window.

One module per block, named after it, and :mod:`~twin.calibration.behaviour.estimates` for
what they share (proportions with Wilson intervals, fitted durations, plain data).

Random numbers are used only for the bootstrap, from a generator seeded by ``seed``: the same data
give the same result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from twin.calibration.behaviour.customer_loop import DEFAULT_INACTIVITY_DAYS, fit_customer_loop
from twin.calibration.behaviour.estimates import plain
from twin.calibration.behaviour.pipeline import fit_pipeline
from twin.calibration.behaviour.price import fit_price_response
from twin.calibration.behaviour.satisfaction import fit_satisfaction
from twin.calibration.behaviour.tickets import fit_after_sales
from twin.calibration.fit_report import FitReport
from twin.errors import InputError

PARTS = ("price_response", "pipeline", "after_sales", "satisfaction", "customer_loop")
"""The blocks of ``behaviour.yaml``, in order."""


def fit_behaviour(
    tables: dict[str, pd.DataFrame],
    segment_of_customer: pd.Series | None = None,
    report: FitReport | None = None,
    *,
    parts: Iterable[str] = PARTS,
    inactivity_days: float = DEFAULT_INACTIVITY_DAYS,
    post_promotion_weeks: int = 1,
    low_score_max: float = 2.0,
) -> dict:
    """Fit the customer-behaviour quantities from canonical, quality-checked history.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Canonical tables by name, as the quality step returns them; only those present are used
        (``orders``, ``order_lines``, ``promotions``, ``opportunities``, ``tickets``).
    segment_of_customer : pandas.Series, optional
        Segment name indexed by ``customer_id``, for the customer loop; customers not in it are
        ``unassigned``. None: one segment ``all``.
    report : callable, optional
        Gets one row per fitted or defaulted quantity (the calibration's report, so that
        ``fit_report.csv`` lists these fits too); None: a report of its own, discarded.
    parts : iterable of str
        The blocks to fit, from :data:`PARTS` (default all of them).
    inactivity_days : float
        The churn window (days): a customer churns after an order when no order follows within it.
    post_promotion_weeks : int
        Weeks after a promotion counted as post-promotion weeks (the dip).
    low_score_max : float
        A score at most this is a low score (2 on a 1-5 scale).

    Returns
    -------
    dict
        Plain data for ``behaviour.yaml``: ``price_response``, ``pipeline``, ``after_sales``,
        ``satisfaction``, ``customer_loop`` (see ``docs/calibration.md``). NaN is written as
        None.
    """
    parts = tuple(parts)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise InputError(
            f"fit_behaviour: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}"
        )
    rows = FitReport() if report is None else report
    fits: dict[str, Callable[[], dict]] = {
        "price_response": lambda: fit_price_response(tables, rows, post_promotion_weeks),
        "pipeline": lambda: fit_pipeline(tables, rows),
        "after_sales": lambda: fit_after_sales(tables, rows),
        "satisfaction": lambda: fit_satisfaction(tables, rows, low_score_max),
        "customer_loop": lambda: fit_customer_loop(
            tables, segment_of_customer, rows, inactivity_days
        ),
    }
    return plain({part: fits[part]() for part in PARTS if part in parts})
