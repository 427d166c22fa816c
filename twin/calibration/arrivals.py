"""Fit a segment's ``arrivals: {kind: poisson, ...}`` from historical order timestamps.

The twin's arrival model (:class:`twin.scenario.schema.PoissonArrivals`) says the number of orders
on day d is Poisson with mean::

    mu_d = rate_per_day * w[weekday(d)] * m[month(d)] * f(d) * h**H_d * e[event(d)]

with ``H_d`` = 1 on a listed holiday, ``e`` the multiplier of the first listed event covering
the day, and ``f`` the trend factor: continuous, piecewise linear, 1 at the reference date.
:func:`fit_poisson_arrivals` counts the orders on every day of the observed period (days without
orders count as 0) and fits exactly this model by maximum likelihood: a Poisson regression whose
link is log for the weekday, month, holiday and event factors but whose trend is the twin's
linear factor ``1 + t0 u + sum_k t_k max(u - c_k, 0)`` (u in years since the period's start,
c_k the changepoints), not the usual log-linear one. Fitting the linear trend directly avoids
converting an exponential growth rate into a linear one (a conversion that is only right at one
point of the period). The likelihood is maximised by Fisher scoring (iteratively reweighted least
squares, in numpy), with step halving to keep the trend factor positive on every observed day
and the log-likelihood increasing.

Changepoints (``changepoints=True``) are chosen by greedy forward selection: the candidates are
the month starts inside the period that leave every trend segment at least
``min_segment_days`` long (89 days, three calendar months, by default); each step adds the
candidate that raises the log-likelihood most, and keeps it only when the quasi-likelihood
gain ``2 * delta_loglik / phi`` exceeds ``2 * ln(n_days)``, where ``phi`` is the Pearson
dispersion of the larger model (at least 1). That is BIC's penalty doubled, because about a
dozen or more candidates are searched at each step, and divided by the dispersion, because
daily orders usually vary more than Poisson: on overdispersed counts a plain likelihood test
would turn noise into changepoints. Beyond the history the trend keeps its last slope; if that
slope is negative and would bring the factor to 0 within ``forecast_days`` after the history
(or a later reference date), the fit adds a change there to slope 0 (a flat forecast) and says
so.
When changepoints are found the spec's trend starts on the history's first day (a change there
carries the first segment's slope, and ``trend_per_year`` is 0): before the history the factor
stays at its first-day level, so a run that starts earlier never extrapolates a steep early slope
backwards to zero. Without changepoints the spec is the one linear trend, as ever.

Changepoints are chosen with all month factors free. When some month is seen in fewer than
``min_month_years`` calendar years, the trend can mimic the month factors, so they are partially
pooled towards their common level (:mod:`twin.calibration.month_pooling`: a random-effects prior
on the log factors, its spread from the evidence, the trend refitted with the pooled months) and
the posterior covariance feeds the standard errors and ``uncertainty``. The pooling's prior reads
a season rising over one year as growth; the season reading (every month free, no trend) is
then weighed against the free joint fit by Akaike weights and held in the band
(:mod:`twin.calibration.season_reading`). Free once-seen months on
Olist's first year absorbed its growth (January 2017 at a factor 0.3); sharing the base level
throws a real season away. If free once-seen months and a trend have no joint maximum (a history
that starts from nothing), those months share the base level, the pooling's limit.

Events (``events=``, e.g. from ``retail_events``) are named groups of days, given by a rule that
``twin.scenario.arrival_rates.event_dates`` expands for any year, so the fitted model forecasts
them into the simulated years. A day counts for the first listed event covering it. An event is
fitted when the period holds at least one of its days and those days would see at least
``MIN_EVENT_ORDERS`` orders at the period's average daily rate; otherwise one occurrence says too
little, and the event is left out of the spec (multiplier 1) with a note.

Identifiability: the weekday and month factors are fitted relative to a reference level and then
normalised to mean 1 (weekdays over the 7 days, months over the 12, months without data set to 1
first); the overall level moves into ``rate_per_day``. ``rate_per_day`` and the slopes are
expressed at ``reference_date``, the scenario's day 0: the fitted factor divided by its value
there, exactly.

A weekday, month, the holidays or an event with no orders at all get multiplier 0 (their days
are left out of the fit, since their maximum-likelihood factor is 0, at the edge of the parameter
space). Standard errors come from the inverse Fisher information and the delta method.

What the calendar leaves unexplained is fitted by :mod:`twin.calibration.overdispersion`: when the
Pearson ``dispersion`` is significantly above 1, the spec gets ``overdispersion`` (a mean-one
lognormal AR(1) day multiplier, moment fit) and the standard errors become the sandwich under
that model. The spec's ``uncertainty`` is the sampling distribution of log(rate_per_day) and of
the slope in force at the reference date, which a replication draws from when
``run.parameter_uncertainty`` is on.

The count model and its likelihood are in :mod:`twin.calibration.count_model`, the changepoint
search in :mod:`twin.calibration.changepoints`. :func:`fit_poisson_arrivals` is long because it is
one fit: each step (zero levels, design, weak events, changepoints, normalisation, the trend at the
reference date, the table and the spec) reads the arrays the previous ones made.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.calibration.changepoints import select_changepoints
from twin.calibration.count_model import (
    daily_counts,
    hinges,
    normalised,
    score_design,
    scoring,
)
from twin.calibration.month_pooling import covariance_at, pool_months
from twin.calibration.overdispersion import fit_rate_noise, overdispersed_covariance
from twin.calibration.season_reading import FORECAST_DAYS, blend_readings, season_weight
from twin.scenario.arrival_rates import event_dates
from twin.scenario.arrivals import ArrivalEvent, PoissonArrivals
from twin.scenario.common import WEEKDAYS

__all__ = ["ArrivalsFit", "fit_poisson_arrivals"]

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

#: Fewest orders an event's days must see at the period's mean daily rate to be fitted.
MIN_EVENT_ORDERS = 10.0

TABLE_COLUMNS = ["term", "value", "se", "n_days", "orders", "note"]


@dataclass(frozen=True)
class ArrivalsFit:
    """A fitted Poisson arrival model.

    Attributes
    ----------
    spec : dict
        The value for a segment's ``arrivals:`` key (``kind: poisson``); it validates as
        :class:`twin.scenario.schema.PoissonArrivals`.
    table : pandas.DataFrame
        Columns ``term, value, se, n_days, orders, note``: one row for ``rate_per_day``, each
        ``weekday.<mon..sun>``, each ``month.<jan..dec>``, ``trend_per_year`` (the slope before
        the first change), one ``trend_change.<date>`` per changepoint (the slope from then on),
        ``holiday_multiplier`` when holidays were given, one ``event.<name>`` per event
        (NaN value when not fitted), ``overdispersion.sd_log`` and
        ``overdispersion.autocorrelation`` (0 when the counts are Poisson) and
        ``uncertainty.log_rate_sd``, ``.trend_sd`` and ``.correlation`` (the spec's
        ``uncertainty``), and, when the months were pooled, ``season_reading.weight`` and
        ``season_reading.log_ratio`` (:mod:`twin.calibration.season_reading`). ``se`` is the
        delta-method standard error (NaN for fixed values),
        under the day multiplier when there is one.
    daily : pandas.DataFrame
        Columns ``date, orders, fitted``: the observed daily counts and the fitted means.
    loglik : float
        Maximised Poisson log-likelihood.
    dispersion : float
        Pearson chi-square / (days - parameters); about 1 when the counts are Poisson.
    iterations : int
        Fisher-scoring iterations of the final fit.
    notes : tuple of str
        Things a planner should know (months without data, zero levels, overdispersion, events
        left out, changepoints found).
    """

    spec: dict
    table: pd.DataFrame
    daily: pd.DataFrame
    loglik: float
    dispersion: float
    iterations: int
    notes: tuple[str, ...]


#: the fewest months with a factor of their own from which their spread is estimated
MIN_MONTHS_FOR_SPREAD = 3


def unseen_month_spread(
    month_values: np.ndarray,
    no_data_months: list[int],
    base_months: list[int],
    zero_months: set[int],
) -> tuple[list[int], float]:
    """The months (0-11) with no factor of their own, and the sd of log a month's factor.

    A month the history did not reach, or saw too rarely to tell from the trend, sits at the base
    level; its true factor is unknown. The spread of the fitted months' log factors (sample sd)
    says how far a month's factor typically lies from the base: the sampling distribution a
    replication draws the unseen ones from. With fewer than ``MIN_MONTHS_FOR_SPREAD`` fitted
    months there is no estimate (0).
    """
    unseen = sorted(set(no_data_months) | set(base_months))
    own = [j for j in range(12) if j not in unseen and j not in zero_months]
    if not unseen or len(own) < MIN_MONTHS_FOR_SPREAD:
        return unseen, 0.0
    return unseen, float(np.std(np.log(month_values[own]), ddof=1))


def fit_poisson_arrivals(
    timestamps: pd.Series | Iterable[dt.datetime],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    holidays: Iterable[dt.date] = (),
    events: Iterable[Mapping] = (),
    reference_date: dt.date | None = None,
    fit_trend: bool = True,
    changepoints: bool = False,
    min_segment_days: int = 89,
    forecast_days: int = 730,
    min_month_years: int = 1,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> ArrivalsFit:
    """Fit rate, weekday and month multipliers, trend, holiday and event factors to order times.

    Parameters
    ----------
    timestamps : pandas.Series of datetimes
        One entry per order (local time; a UTC offset is dropped, keeping the local wall time).
    start, end : datetime.date, optional
        First and last day of the observed period, inclusive; default the first and last order's
        day. Give them when the extract starts or ends on a day with no orders, and leave out
        partial days (a half-captured first day biases the rate down).
    holidays : iterable of datetime.date
        Days with one shared multiplier; all are copied into the spec, including future ones.
    events : iterable of mappings
        Event groups as in the scenario's ``events`` (``name`` and ``rule`` or ``dates``,
        optionally ``country``, ``offset_days``, ``duration_days``) without ``multiplier``,
        e.g. :func:`retail_events`. Each gets its own multiplier when the data cover it.
    reference_date : datetime.date, optional
        The day that becomes the scenario's day 0 (``run.start_date``); ``rate_per_day`` and the
        slopes are expressed there. Default ``start``. A date after the period extrapolates the
        trend with its last slope.
    fit_trend : bool
        Fit the trend (else the factor is fixed at 1).
    changepoints : bool
        Let the trend's slope change at month starts chosen by the rule in the module docstring
        (else one linear trend).
    min_segment_days : int
        Shortest trend segment, days (also from the period's ends to a changepoint).
    forecast_days : int
        Days after the reference date over which the trend factor must stay positive.
    min_month_years : int
        Fewest calendar years every month must be seen in for the plain fit; with a month seen
        in fewer (and a trend), the month factors are partially pooled. Calibration uses 2.
    max_iter : int
        Most Fisher-scoring iterations.
    tol : float
        Convergence: the largest change of a coefficient in one step is below ``tol``.

    Returns
    -------
    ArrivalsFit
        The ``arrivals:`` spec, the fit table, daily counts with fitted means, and diagnostics.

    Raises
    ------
    ValueError
        If there are no timestamps, some are missing or outside ``start..end``, an event is
        invalid, or the trend makes the rate non-positive at ``reference_date``.
    RuntimeError
        If the fit does not converge.
    """
    timestamps, holidays, events = pd.Series(timestamps), list(holidays), list(events)
    daily = daily_counts(timestamps, start, end)
    if daily["orders"].sum() == 0:
        raise ValueError("fit_poisson_arrivals: no orders in the period")
    dates = daily["date"]
    first_day, last_day = dates.iloc[0].date(), dates.iloc[-1].date()
    weekday = dates.dt.day_of_week.to_numpy()
    month = dates.dt.month.to_numpy() - 1
    holiday_set = {pd.Timestamp(day) for day in holidays}
    is_holiday = dates.isin(holiday_set).to_numpy()
    y_all = daily["orders"].to_numpy()
    notes: list[str] = []

    # Each day belongs to the first listed, fitted event covering it (-1: none). An event is
    # fitted when its days would see MIN_EVENT_ORDERS orders at the mean daily rate.
    mean_daily = float(y_all.mean())
    event_specs: list[dict] = []
    event_code = np.full(y_all.size, -1)
    fitted_events: list[int] = []
    for raw in events:
        try:
            event = ArrivalEvent.model_validate({**raw, "multiplier": 1.0})
        except ValueError as exc:
            raise ValueError(f"fit_poisson_arrivals: event {raw!r} is invalid: {exc}") from None
        days = pd.DatetimeIndex(event_dates(event, first_day, last_day))
        hit = dates.isin(days).to_numpy() & (event_code < 0)
        spec_of_event = event.model_dump(exclude={"multiplier"}, exclude_defaults=True)
        if hit.any() and mean_daily * hit.sum() >= MIN_EVENT_ORDERS:
            event_code[hit] = len(event_specs)
            fitted_events.append(len(event_specs))
        else:
            notes.append(
                f"event {event.name}: too few of its days in the period to fit (needs "
                f"{MIN_EVENT_ORDERS:g} orders at the mean daily rate); left out"
            )
        event_specs.append(spec_of_event)

    # Levels with days but no orders get multiplier 0; their days leave the fit.
    def zero_levels(codes: np.ndarray, levels: int) -> set[int]:
        return {j for j in range(levels) if (codes == j).any() and y_all[codes == j].sum() == 0}

    zero_weekdays = zero_levels(weekday, 7)
    zero_months = zero_levels(month, 12)
    holiday_zero = bool(is_holiday.any() and y_all[is_holiday].sum() == 0)
    zero_events = {j for j in fitted_events if y_all[event_code == j].sum() == 0}
    keep = ~np.isin(weekday, list(zero_weekdays)) & ~np.isin(month, list(zero_months))
    keep &= ~np.isin(event_code, list(zero_events))
    if holiday_zero:
        keep &= ~is_holiday
    for j in sorted(zero_weekdays):
        notes.append(f"no orders on any {WEEKDAYS[j]}: multiplier 0")
    for j in sorted(zero_months):
        notes.append(f"no orders in {MONTHS[j]}: multiplier 0")
    if holiday_zero:
        notes.append("no orders on any holiday: holiday_multiplier 0")
    for j in sorted(zero_events):
        notes.append(f"no orders on any day of event {event_specs[j]['name']}: multiplier 0")

    y = y_all[keep]
    # Months seen in fewer than min_month_years calendar years: the trend can mimic their
    # factors, which are then partially pooled (twin.calibration.month_pooling).
    year = dates.dt.year.to_numpy()
    weak_months = [
        j
        for j in range(12)
        if (month[keep] == j).any() and np.unique(year[keep & (month == j)]).size < min_month_years
    ]
    if holiday_set and not is_holiday[keep].any() and not holiday_zero:
        notes.append("no holiday falls in the period: holiday_multiplier 1 (not fitted)")

    def design(shared: list[int]) -> tuple[np.ndarray, dict, dict, int | None, dict]:
        """Columns: intercept, weekdays, months (those in ``shared`` in the base level),
        holidays, events."""
        columns = [np.ones(y.size)]
        weekday_col: dict[int, int] = {}
        month_col: dict[int, int] = {}
        for codes, levels, column_of in ((weekday, 7, weekday_col), (month, 12, month_col)):
            present = [j for j in range(levels) if (codes[keep] == j).any()]
            # The first level with data is the reference, unless the shared months form it.
            own = [j for j in present if not (levels == 12 and j in shared)]
            for j in own[0 if len(own) < len(present) else 1 :]:
                column_of[j] = len(columns)
                columns.append((codes[keep] == j).astype(np.float64))
        holiday_column = None
        if holiday_set and is_holiday[keep].any():
            holiday_column = len(columns)
            columns.append(is_holiday[keep].astype(np.float64))
        event_col: dict[int, int] = {}
        for j in fitted_events:
            if j not in zero_events:
                event_col[j] = len(columns)
                columns.append((event_code[keep] == j).astype(np.float64))
        return np.column_stack(columns), weekday_col, month_col, holiday_column, event_col

    offset_days = (dates - dates.iloc[0]).dt.days.to_numpy(dtype=np.float64)
    u_all = offset_days / 365.0
    X, weekday_col, month_col, holiday_column, event_col = design([])
    if event_col:
        # An event stays only when its factor is told from 1: its squared Wald statistic,
        # scaled by the Pearson dispersion, must exceed log(days), BIC's price of a parameter.
        # Two or three occurrences of a holiday on a quiet segment are noise, not an effect.
        U0 = hinges(u_all[keep], []) if fit_trend else None
        columns0 = event_col
        try:
            theta0, cov0, _, _, mu0 = scoring(y, X, U0, max_iter, tol)
        except (RuntimeError, np.linalg.LinAlgError):
            if not (fit_trend and weak_months):
                raise
            # no joint maximum of free months and trend (see below): the once-seen months shared
            X0, _, _, _, columns0 = design(weak_months)
            theta0, cov0, _, _, mu0 = scoring(y, X0, U0, max_iter, tol)
        dispersion = max(1.0, float(np.sum((y - mu0) ** 2 / mu0)) / max(y.size - theta0.size, 1))
        weak = [
            j
            for j, column in columns0.items()
            if theta0[column] ** 2 < math.log(y.size) * dispersion * cov0[column, column]
        ]
        for j in weak:
            fitted_events.remove(j)
            event_code[event_code == j] = -1
            notes.append(
                f"event {event_specs[j]['name']}: factor {math.exp(theta0[columns0[j]]):.2f} "
                "not distinguishable from 1 (squared Wald statistic below log(days)); left out"
            )
        if weak:
            X, weekday_col, month_col, holiday_column, event_col = design([])
    month_starts = pd.date_range(dates.iloc[0], dates.iloc[-1], freq="MS")
    candidates = [(m - dates.iloc[0]).days / 365.0 for m in month_starts]

    def trend_fit(X: np.ndarray) -> tuple[list[float], np.ndarray | None, tuple]:
        """Changepoints (when asked), the trend's columns, and the fit on design X."""
        knots: list[float] = []
        if fit_trend and changepoints:
            knots = select_changepoints(
                y,
                X,
                u_all[keep],
                candidates,
                min_segment_days / 365.0,
                y_all.size / 365.0,
                max_iter,
                tol,
            )
        U = hinges(u_all[keep], knots) if fit_trend else None
        return knots, U, scoring(y, X, U, max_iter, tol)

    shared_months: list[int] = []  # months in the base level: pooled completely
    try:
        knots, U, (theta, cov, loglik, iterations, mu) = trend_fit(X)
    except (RuntimeError, np.linalg.LinAlgError):
        if not (fit_trend and weak_months):
            raise
        # Free once-seen months and a trend can have no joint maximum (a history that starts
        # from nothing: the trend runs off to a factor proportional to time); then those months
        # share the base level, the limit of the pooling as its spread goes to 0.
        shared_months = weak_months
        X, weekday_col, month_col, holiday_column, event_col = design(shared_months)
        knots, U, (theta, cov, loglik, iterations, mu) = trend_fit(X)
        notes.append(
            "free month factors and a trend have no joint maximum: "
            + ", ".join(MONTHS[j] for j in shared_months)
            + f" (seen in fewer than {min_month_years} years) share the base level"
        )
    p_x = X.shape[1]
    p = theta.size
    # the free joint fit's evidence for a trend, which the season reading is weighed against
    free_loglik = loglik
    free_dispersion = float(np.sum((y - mu) ** 2 / mu)) / max(y.size - p, 1)
    whole = np.zeros(y_all.size)
    whole[keep] = mu
    noise = fit_rate_noise(y_all, whole, p)
    if noise.present:
        # Standard errors under the fitted multiplier: the sandwich, not the Poisson information.
        cov = overdispersed_covariance(
            score_design(X, U, theta), mu, offset_days[keep], noise.sd_log, noise.autocorrelation
        )
    pooled = None
    if U is not None and weak_months and month_col and not shared_months:
        pooled = pool_months(theta, cov, list(month_col.values()))
        # The pooled months are then held as an offset and the rest refitted exactly: the
        # Gaussian update is linear in the trend, the trend factor is not.
        pooled_columns = np.array(list(month_col.values()))
        others = np.setdiff1d(np.arange(p), pooled_columns)
        offset = X[:, pooled_columns] @ pooled.theta[pooled_columns]
        try:
            refit, _, loglik, _, mu = scoring(
                y, X[:, others[others < p_x]], U, max_iter, tol, offset=offset
            )
        except (RuntimeError, np.linalg.LinAlgError):
            raise RuntimeError(
                "fit_poisson_arrivals: the trend with pooled month factors does not converge"
            ) from None
        theta = pooled.theta.copy()
        theta[others] = refit
        # the covariance at the refitted point: the trend's scale there, not at the first fit's
        # (the inverse information when the counts are Poisson, sd_log 0)
        unpooled_cov = overdispersed_covariance(
            score_design(X, U, theta), mu, offset_days[keep], noise.sd_log, noise.autocorrelation
        )
        cov = covariance_at(unpooled_cov, list(month_col.values()), pooled)
        notes.append(
            f"seen in fewer than {min_month_years} years, "
            + ", ".join(MONTHS[j] for j in weak_months)
            + " cannot be told well from the trend: the month factors are pooled towards "
            f"their common level (empirical Bayes, sd of log factors {pooled.tau:.3f}, "
            f"{pooled.shrinkage:.0%} pooled on average) and the trend refitted with them"
        )

    # Months with no days at all are neither fitted nor zero: multiplier 1.
    no_data_months = [j for j in range(12) if not (month == j).any()]
    if no_data_months:
        notes.append(
            "no data for " + ", ".join(MONTHS[j] for j in no_data_months) + ": multiplier 1"
        )
    absent_weekdays = [j for j in range(7) if not (weekday == j).any()]
    weekday_values, weekday_se, g_w, w_mean = normalised(
        7, weekday_col, zero_weekdays, absent_weekdays, theta, cov
    )
    month_values, month_se, g_m, m_mean = normalised(
        12, month_col, zero_months, no_data_months, theta, cov
    )

    reference = pd.Timestamp(reference_date) if reference_date is not None else dates.iloc[0]
    u_ref = (reference - dates.iloc[0]).days / 365.0
    t = theta[p_x:] if fit_trend else np.zeros(0)
    h_ref = hinges(np.array([u_ref]), knots)[0] if fit_trend else np.zeros(0)
    linear_at_ref = 1.0 + float(h_ref @ t)
    if linear_at_ref <= 0:
        raise ValueError(
            f"fit_poisson_arrivals: the fitted trend makes the rate non-positive at the "
            f"reference date {reference.date()}"
        )
    # rate = e^b0 * mean(raw weekday) * mean(raw month) * f(ref), and the gradient of its log
    # with respect to theta for the delta method.
    rate = math.exp(theta[0]) * w_mean * m_mean * linear_at_ref
    g_rate = g_w + g_m
    g_rate[0] += 1.0
    g_rate[p_x:] += h_ref / linear_at_ref
    rate_se = rate * math.sqrt(max(float(g_rate @ cov @ g_rate), 0.0))
    # Slope of segment k (before knot 1, then after each knot) at the reference's scale:
    # s_k / f(ref) with s_k = t_0 + ... + t_k.
    slopes, slope_se, slope_gradients = [], [], []
    for k in range(len(t)):
        a = np.zeros(p)
        a[p_x : p_x + k + 1] = 1.0
        s_k = float(a[p_x:] @ t)
        g = a / linear_at_ref
        g[p_x:] -= s_k * h_ref / linear_at_ref**2
        slopes.append(s_k / linear_at_ref)
        slope_se.append(math.sqrt(max(float(g @ cov @ g), 0.0)))
        slope_gradients.append(g)
    # The sampling distribution a replication draws from: log(rate) and the slope in force at
    # the reference date.
    uncertainty = {"log_rate_sd": rate_se / rate, "trend_sd": 0.0, "correlation": 0.0}
    if pooled is not None:
        # Months without data draw from the pooled spread, the pooled ones from their posterior.
        unseen = sorted((set(no_data_months) | set(weak_months)) - zero_months)
        variances = [
            pooled.tau**2 if j in no_data_months else (month_se[j] / month_values[j]) ** 2
            for j in unseen
        ]
        month_sd = min(math.sqrt(float(np.mean(variances))), 3.0) if unseen else 0.0
    elif shared_months:
        # the spread of what the trend leaves in the shared months: the sd of log(observed /
        # fitted orders) of their calendar months (each a sample of the months' factors)
        unseen = sorted(set(no_data_months) | set(shared_months))
        fitted_all = np.zeros(y_all.size)
        fitted_all[keep] = mu
        by_month = pd.DataFrame(
            {"m": dates.dt.to_period("M").to_numpy(), "y": y_all, "f": fitted_all}
        )[keep & np.isin(month, shared_months)]
        totals = by_month.groupby("m")[["y", "f"]].sum()
        ratios = np.log(totals["y"] / totals["f"]).to_numpy()
        month_sd = float(np.std(ratios, ddof=1)) if ratios.size >= MIN_MONTHS_FOR_SPREAD else 0.0
        month_sd = min(month_sd, 3.0)
    else:
        unseen, month_sd = unseen_month_spread(month_values, no_data_months, [], zero_months)
    if fit_trend:
        g_slope = slope_gradients[int(np.searchsorted(knots, u_ref, side="right"))]
        trend_sd = math.sqrt(max(float(g_slope @ cov @ g_slope), 0.0))
        uncertainty["trend_sd"] = trend_sd
        if trend_sd > 0 and rate_se > 0:
            correlation = float(g_rate @ cov @ g_slope) / (rate_se / rate * trend_sd)
            uncertainty["correlation"] = min(max(correlation, -1.0), 1.0)
    knot_dates = [(dates.iloc[0] + pd.Timedelta(days=round(c * 365))).date() for c in knots]
    # With changepoints the trend starts on the history's first day and is flat before it, so
    # a run (or a validation) that starts earlier never backcasts a steep early slope below 0.
    # Without them the spec keeps the one linear trend of the earlier model.
    anchored = fit_trend and bool(knots)
    segment_dates = [first_day, *knot_dates] if anchored else knot_dates
    segment_slopes = list(
        zip(slopes if anchored else slopes[1:], slope_se if anchored else slope_se[1:], strict=True)
    )
    if anchored:
        trend_ref, trend_se = 0.0, math.nan
    else:
        trend_ref = slopes[0] if fit_trend else 0.0
        trend_se = slope_se[0] if fit_trend else math.nan
    changes = [
        {"date": day, "trend_per_year": float(s)}
        for day, (s, _) in zip(segment_dates, segment_slopes, strict=True)
    ]
    if knots:
        notes.append(
            "the trend's slope changes on "
            + ", ".join(str(day) for day in knot_dates)
            + f" (forward selection, segments of at least {min_segment_days} days)"
        )
    last_slope = slopes[-1] if fit_trend else 0.0
    # The forecast starts after the history (or at a later reference date); with the last slope
    # negative the factor, f there in the spec's units, reaches 0 after f / -slope years.
    forecast_from = max(reference.date(), last_day + dt.timedelta(days=1))
    u_from = (pd.Timestamp(forecast_from) - dates.iloc[0]).days / 365.0
    h_from = hinges(np.array([u_from]), knots)[0] if fit_trend else np.zeros(0)
    f_from = (1.0 + float(h_from @ t)) / linear_at_ref
    if fit_trend and last_slope < 0 and 365.0 * f_from / -last_slope <= forecast_days:
        changes.append({"date": forecast_from, "trend_per_year": 0.0})
        notes.append(
            f"the last trend slope ({last_slope:.3g} per year) would end all orders within "
            f"{forecast_days} days of {forecast_from}: the forecast is flat from then on"
        )

    # The trend may bend again after the history as often and as much as it did within it
    # (Prophet's future-trend uncertainty): the changepoints per year of history and the mean
    # absolute step of the slope at them, in the spec's units.
    change_rate = change_scale = 0.0
    if fit_trend and knots:
        change_rate = len(knots) / (y_all.size / 365.0)
        change_scale = float(np.mean(np.abs(np.diff(slopes))))
        uncertainty.update(
            trend_change_rate=min(change_rate, 52.0),
            trend_change_scale=change_scale,
            changes_from=forecast_from,
        )

    fitted = np.zeros(y_all.size)
    fitted[keep] = mu
    daily = daily.assign(fitted=fitted)
    dof = max(y.size - p, 1)
    dispersion = float(np.sum((y - mu) ** 2 / mu) / dof)
    if noise.present:
        notes.append(
            f"daily counts are overdispersed (dispersion {dispersion:.2f}): the rate gets a "
            f"mean-one day-to-day multiplier, sd of its log {noise.sd_log:.3f}, autocorrelation "
            f"{noise.autocorrelation:.2f}; the se column allows for it"
        )

    rows = [("rate_per_day", rate, rate_se, y_all.size, y_all.sum(), "at the reference date")]
    for j, name in enumerate(WEEKDAYS):
        mask = weekday == j
        note = "" if mask.any() else "no days in the period"
        rows.append(
            (
                f"weekday.{name}",
                weekday_values[j],
                weekday_se[j],
                mask.sum(),
                y_all[mask].sum(),
                note,
            )
        )
    for j, name in enumerate(MONTHS):
        mask = month == j
        note = "" if mask.any() else "no days in the period: 1"
        rows.append(
            (f"month.{name}", month_values[j], month_se[j], mask.sum(), y_all[mask].sum(), note)
        )
    if not fit_trend:
        trend_note = "not fitted"
    elif anchored:
        trend_note = f"flat before the history's first day {first_day}"
    else:
        trend_note = "linear, at the reference date"
    rows.append(("trend_per_year", trend_ref, trend_se, y_all.size, y_all.sum(), trend_note))
    bounds = [*segment_dates, last_day + dt.timedelta(days=1)]
    for k, day in enumerate(segment_dates):
        mask = (dates >= pd.Timestamp(day)) & (dates < pd.Timestamp(bounds[k + 1]))
        rows.append(
            (
                f"trend_change.{day}",
                segment_slopes[k][0],
                segment_slopes[k][1],
                int(mask.sum()),
                y_all[mask.to_numpy()].sum(),
                "slope from this date on, at the reference date's scale",
            )
        )
    spec: dict = {
        "kind": "poisson",
        "rate_per_day": float(rate),
        "weekday_multipliers": [float(v) for v in weekday_values],
        "monthly_multipliers": [float(v) for v in month_values],
        "trend_per_year": float(trend_ref),
    }
    if changes:
        spec["trend_changes"] = changes
    if holiday_set:
        if holiday_column is not None:
            h = math.exp(theta[holiday_column])
            h_se = h * math.sqrt(cov[holiday_column, holiday_column])
        else:
            h, h_se = (0.0 if holiday_zero else 1.0), math.nan
        rows.append(
            ("holiday_multiplier", h, h_se, int(is_holiday.sum()), y_all[is_holiday].sum(), "")
        )
        spec["holidays"] = sorted(day.date() for day in holiday_set)
        spec["holiday_multiplier"] = float(h)
    spec_events = []
    for j, event in enumerate(event_specs):
        mask = event_code == j
        if j in event_col:
            value = math.exp(theta[event_col[j]])
            se = value * math.sqrt(cov[event_col[j], event_col[j]])
            note = ""
        elif j in zero_events:
            value, se, note = 0.0, math.nan, "no orders on its days"
        else:
            value, se, note = math.nan, math.nan, "too little data: left out"
        rows.append((f"event.{event['name']}", value, se, int(mask.sum()), y_all[mask].sum(), note))
        if not math.isnan(value):
            spec_events.append({**event, "multiplier": float(value)})
    if spec_events:
        spec["events"] = spec_events
    if noise.present:
        spec["overdispersion"] = {
            "sd_log": noise.sd_log,
            "autocorrelation": noise.autocorrelation,
        }
    spec["uncertainty"] = uncertainty
    if unseen and month_sd > 0:
        spec["uncertainty"] = {
            **uncertainty,
            "unseen_months": [j + 1 for j in unseen],
            "month_sd": month_sd,
        }
        if pooled is not None:
            source_of_sd = "their posterior after pooling"
        elif shared_months:
            source_of_sd = "what the trend leaves in the shared months"
        else:
            source_of_sd = "the spread of the fitted months"
        notes.append(
            "no factor of their own, or one seen in a single year, for "
            + ", ".join(MONTHS[j] for j in unseen)
            + f": each replication draws one, sd of its log {month_sd:.3f} ({source_of_sd})"
        )
    noise_note = f"moment fit; Pearson dispersion {dispersion:.3g} (p = {noise.p_value:.2g})"
    rows.append(("overdispersion.sd_log", noise.sd_log, math.nan, y.size, y.sum(), noise_note))
    rows.append(
        ("overdispersion.autocorrelation", noise.autocorrelation, math.nan, y.size, y.sum(), "")
    )
    source = "sandwich under the day multiplier" if noise.present else "Poisson information"
    for key in ("log_rate_sd", "trend_sd", "correlation"):
        rows.append((f"uncertainty.{key}", uncertainty[key], math.nan, y.size, y.sum(), source))
    if change_rate > 0:
        step_note = (
            f"drawn after the history, from {forecast_from}: {len(knots)} changepoint(s) in "
            f"{y_all.size} days"
        )
        rows.append(
            ("uncertainty.trend_change_rate", change_rate, math.nan, y.size, y.sum(), step_note)
        )
        rows.append(
            (
                "uncertainty.trend_change_scale",
                change_scale,
                math.nan,
                y.size,
                y.sum(),
                "mean absolute step of the slope at the changepoints (Laplace scale)",
            )
        )
    month_note = (
        "unseen months: " + ", ".join(MONTHS[j] for j in unseen)
        if unseen and month_sd > 0
        else "every month fitted"
        if not unseen
        else "fewer than 3 months fitted: not stated"
    )
    rows.append(("uncertainty.month_sd", month_sd, math.nan, y.size, y.sum(), month_note))
    if pooled is not None:
        # Growth or season (twin.calibration.season_reading): the season reading, every month
        # free and no trend, held in the band by its Akaike weight against the free joint fit.
        season = fit_poisson_arrivals(
            timestamps,
            start=first_day,
            end=last_day,
            holidays=holidays,
            events=events,
            reference_date=reference.date(),
            fit_trend=False,
            max_iter=max_iter,
            tol=tol,
        )
        weight = season_weight(free_loglik, season.loglik, t.size, free_dispersion)
        spec, reading = blend_readings(spec, season.spec, weight, reference.date(), forecast_from)
        rows.append(
            (
                "uncertainty.shared_sd",
                spec["uncertainty"].get("shared_sd", 0.0),
                math.nan,
                y.size,
                y.sum(),
                "sd of log(rate) added for the season reading, drawn once per replication for "
                "every segment alike",
            )
        )
        rows.append(
            (
                "season_reading.weight",
                reading.weight,
                math.nan,
                y.size,
                y.sum(),
                f"Akaike weight of months free without a trend (log-likelihood "
                f"{season.loglik:.1f}) against months free with it ({free_loglik:.1f}, "
                f"{t.size} trend parameters, dispersion {max(free_dispersion, 1.0):.2f})",
            )
        )
        rows.append(
            (
                "season_reading.log_ratio",
                reading.log_ratio,
                math.nan,
                y.size,
                y.sum(),
                f"log of the season over the growth reading's expected orders in the "
                f"{FORECAST_DAYS} days after the history; shared log-rate sd "
                f"{reading.added_sd:.3f}",
            )
        )
        if reading.weight > 0.01:
            notes.append(
                f"growth or season: months free without a trend explain the history about as "
                f"well as with one (Akaike weight {reading.weight:.2f}); their forecast of the "
                f"next {FORECAST_DAYS} days is {math.expm1(reading.log_ratio):+.1%} against the "
                f"growth reading's; the band holds it: a log-rate term of sd "
                f"{reading.added_sd:.3f} that every segment draws alike (uncertainty.shared_sd)"
            )
    PoissonArrivals.model_validate(spec)  # the spec must be one a scenario accepts
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS).astype(
        {"value": float, "se": float, "n_days": int, "orders": int}
    )
    return ArrivalsFit(spec, table, daily, loglik, dispersion, iterations, tuple(notes))
