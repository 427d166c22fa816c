"""Fit a segment's ``arrivals: {kind: poisson, ...}`` from historical order timestamps.

The twin's arrival model (:class:`twin.scenario.schema.PoissonArrivals`) says the number of orders
on day d is Poisson with mean::

    mu_d = rate_per_day * w[weekday(d)] * m[month(d)] * (1 + trend_per_year * d / 365) * h**H_d

with ``H_d`` = 1 on a listed holiday. :func:`fit_poisson_arrivals` counts the orders on every day
of the observed period (days without orders count as 0) and fits exactly this model by maximum
likelihood: a Poisson regression whose link is log for the weekday, month and holiday factors but
whose trend is the twin's linear factor, not the usual log-linear one. Fitting the linear trend
directly avoids converting an exponential growth rate into a linear one (a conversion that is
only right at one point of the period). The likelihood is maximised by Fisher scoring (iteratively
reweighted least squares, in numpy), with step halving to keep ``1 + trend * d / 365 > 0`` on
every observed day and the log-likelihood increasing.

Identifiability: the weekday and month factors are fitted relative to a reference level and then
normalised to mean 1 (weekdays over the 7 days, months over the 12, months without data set to 1
first); the overall level moves into ``rate_per_day``. ``rate_per_day`` and ``trend_per_year`` are
expressed at ``reference_date``, the scenario's day 0: with a linear trend the rate at day d is
``r0 (1 + b d / 365)``, which is ``r1 (1 + b1 (d - d1) / 365)`` with ``r1 = r0 (1 + b d1 / 365)``
and ``b1 = b / (1 + b d1 / 365)``, exactly.

A weekday, month or the holidays with no orders at all get multiplier 0 (their days are left out
of the fit, since their maximum-likelihood factor is 0, at the edge of the parameter space).
Standard errors come from the inverse Fisher information and the delta method; they assume
Poisson variation, so check ``dispersion`` (Pearson chi-square over residual degrees of freedom):
well above 1, daily counts vary more than the twin's Poisson process will make them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.scenario.schema import WEEKDAYS, PoissonArrivals

__all__ = ["ArrivalsFit", "fit_poisson_arrivals"]

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

#: Dispersion above which the fit says the counts are overdispersed.
OVERDISPERSION_WARNING = 1.5

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
        ``weekday.<mon..sun>``, each ``month.<jan..dec>``, ``trend_per_year`` and, when holidays
        were given, ``holiday_multiplier``. ``se`` is the delta-method standard error (NaN for
        fixed values).
    daily : pandas.DataFrame
        Columns ``date, orders, fitted``: the observed daily counts and the fitted means.
    loglik : float
        Maximised Poisson log-likelihood.
    dispersion : float
        Pearson chi-square / (days - parameters); about 1 when the counts are Poisson.
    iterations : int
        Fisher-scoring iterations used.
    notes : tuple of str
        Things a planner should know (months without data, zero levels, overdispersion).
    """

    spec: dict
    table: pd.DataFrame
    daily: pd.DataFrame
    loglik: float
    dispersion: float
    iterations: int
    notes: tuple[str, ...]


def _daily_counts(
    timestamps: pd.Series, start: dt.date | None, end: dt.date | None
) -> pd.DataFrame:
    times = pd.to_datetime(pd.Series(timestamps), errors="raise")
    if times.isna().any():
        raise ValueError(
            f"fit_poisson_arrivals: {int(times.isna().sum())} timestamps are missing (NaT)"
        )
    if times.empty:
        raise ValueError("fit_poisson_arrivals: no timestamps")
    days = times.dt.tz_localize(None) if times.dt.tz is not None else times
    days = days.dt.normalize()
    first = pd.Timestamp(start) if start is not None else days.min()
    last = pd.Timestamp(end) if end is not None else days.max()
    if last < first:
        raise ValueError(f"fit_poisson_arrivals: end {last.date()} is before start {first.date()}")
    outside = (days < first) | (days > last)
    if outside.any():
        raise ValueError(
            f"fit_poisson_arrivals: {int(outside.sum())} timestamps fall outside "
            f"{first.date()}..{last.date()}"
        )
    index = pd.date_range(first, last, freq="D")
    counts = days.value_counts().reindex(index, fill_value=0)
    return pd.DataFrame({"date": index, "orders": counts.to_numpy(dtype=np.float64)})


def _scoring(
    y: np.ndarray,
    X: np.ndarray,
    u: np.ndarray | None,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Maximise sum(y log mu - mu) with log mu = X beta + log(1 + t u) by Fisher scoring.

    Returns (theta = [beta, t], covariance = inverse Fisher information, loglik, iterations);
    without ``u`` there is no t.
    """
    p = X.shape[1]
    theta = np.zeros(p + (u is not None))
    theta[0] = math.log(y.mean())

    def evaluate(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        eta = X @ theta[:p]
        if u is not None:
            linear = 1.0 + theta[p] * u
            if (linear <= 0).any():
                return None
            eta = eta + np.log(linear)
            G = np.column_stack([X, u / linear])
        else:
            G = X
        mu = np.exp(eta)
        return float(np.dot(y, eta) - mu.sum()), mu, G

    loglik, mu, G = evaluate(theta)  # type: ignore[misc]
    iterations = 0
    while True:
        iterations += 1
        if iterations > max_iter:
            raise RuntimeError(f"fit_poisson_arrivals: no convergence in {max_iter} iterations")
        information = G.T @ (G * mu[:, None])
        step = np.linalg.solve(information, G.T @ (y - mu))
        scale = 1.0
        for _ in range(60):
            trial = evaluate(theta + scale * step)
            if trial is not None and trial[0] >= loglik - 1e-12 * abs(loglik):
                break
            scale *= 0.5
        else:
            raise RuntimeError("fit_poisson_arrivals: step halving failed to improve the fit")
        theta = theta + scale * step
        loglik, mu, G = trial
        if np.max(np.abs(scale * step)) < tol:
            break
    information = G.T @ (G * mu[:, None])
    return theta, np.linalg.inv(information), loglik, iterations


def _normalised(
    levels: int,
    column_of: dict[int, int],
    zero: set[int],
    absent: list[int],
    theta: np.ndarray,
    cov: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Multipliers e^b normalised to mean 1, their standard errors, d log(mean) / d theta, mean.

    ``column_of`` maps a level to its coefficient in theta; a level with days but no column is
    the reference (b = 0); a level in ``zero`` has multiplier 0. The mean is over the levels with
    days; a level in ``absent`` (no days in the period) is set to exactly 1 outside it.
    """
    raw = np.array(
        [
            0.0 if j in zero else (math.exp(theta[column_of[j]]) if j in column_of else 1.0)
            for j in range(levels)
        ]
    )
    counted = [j for j in range(levels) if j not in absent]
    mean = float(raw[counted].mean())
    total = float(raw[counted].sum())
    g_mean = np.zeros(theta.size)
    for j, column in column_of.items():
        g_mean[column] = raw[j] / total
    values = raw / mean
    values[absent] = 1.0
    se = np.full(levels, np.nan)
    for j in counted:
        if j in zero:
            continue
        g = -g_mean.copy()
        if j in column_of:
            g[column_of[j]] += 1.0
        se[j] = values[j] * math.sqrt(max(float(g @ cov @ g), 0.0))
    return values, se, g_mean, mean


def fit_poisson_arrivals(
    timestamps: pd.Series | Iterable[dt.datetime],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    holidays: Iterable[dt.date] = (),
    reference_date: dt.date | None = None,
    fit_trend: bool = True,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> ArrivalsFit:
    """Fit rate, weekday and month multipliers, linear trend and holiday factor to order times.

    Parameters
    ----------
    timestamps : pandas.Series of datetimes
        One entry per order (local time; a UTC offset is dropped, keeping the local wall time).
    start, end : datetime.date, optional
        First and last day of the observed period, inclusive; default the first and last order's
        day. Give them when the extract starts or ends on a day with no orders, and leave out
        partial days (a half-captured first day biases the rate down).
    holidays : iterable of datetime.date
        Days with their own multiplier; all are copied into the spec, including future ones.
    reference_date : datetime.date, optional
        The day that becomes the scenario's day 0 (``run.start_date``); ``rate_per_day`` and
        ``trend_per_year`` are expressed there. Default ``start``. A date after the period
        extrapolates the trend.
    fit_trend : bool
        Fit ``trend_per_year`` (else fixed at 0).
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
        If there are no timestamps, some are missing or outside ``start..end``, or the trend
        makes the rate non-positive at ``reference_date``.
    RuntimeError
        If the fit does not converge.
    """
    daily = _daily_counts(pd.Series(timestamps), start, end)
    if daily["orders"].sum() == 0:
        raise ValueError("fit_poisson_arrivals: no orders in the period")
    dates = daily["date"]
    weekday = dates.dt.day_of_week.to_numpy()
    month = dates.dt.month.to_numpy() - 1
    holiday_set = {pd.Timestamp(day) for day in holidays}
    is_holiday = dates.isin(holiday_set).to_numpy()
    y_all = daily["orders"].to_numpy()
    notes: list[str] = []

    # Levels with days but no orders get multiplier 0; their days leave the fit.
    def zero_levels(codes: np.ndarray, levels: int) -> set[int]:
        return {j for j in range(levels) if (codes == j).any() and y_all[codes == j].sum() == 0}

    zero_weekdays = zero_levels(weekday, 7)
    zero_months = zero_levels(month, 12)
    holiday_zero = bool(is_holiday.any() and y_all[is_holiday].sum() == 0)
    keep = ~np.isin(weekday, list(zero_weekdays)) & ~np.isin(month, list(zero_months))
    if holiday_zero:
        keep &= ~is_holiday
    for j in sorted(zero_weekdays):
        notes.append(f"no orders on any {WEEKDAYS[j]}: multiplier 0")
    for j in sorted(zero_months):
        notes.append(f"no orders in {MONTHS[j]}: multiplier 0")
    if holiday_zero:
        notes.append("no orders on any holiday: holiday_multiplier 0")

    y = y_all[keep]
    columns = [np.ones(y.size)]
    weekday_col: dict[int, int] = {}
    month_col: dict[int, int] = {}
    for codes, levels, column_of in ((weekday, 7, weekday_col), (month, 12, month_col)):
        present = [j for j in range(levels) if (codes[keep] == j).any()]
        for j in present[1:]:  # the first level with data is the reference
            column_of[j] = len(columns)
            columns.append((codes[keep] == j).astype(np.float64))
    holiday_column = None
    if holiday_set and is_holiday[keep].any():
        holiday_column = len(columns)
        columns.append(is_holiday[keep].astype(np.float64))
    elif holiday_set and not holiday_zero:
        notes.append("no holiday falls in the period: holiday_multiplier 1 (not fitted)")
    X = np.column_stack(columns)

    offset_days = (dates - dates.iloc[0]).dt.days.to_numpy(dtype=np.float64)
    u = offset_days[keep] / 365.0 if fit_trend else None
    theta, cov, loglik, iterations = _scoring(y, X, u, max_iter, tol)
    p = theta.size

    # Months with no days at all are neither fitted nor zero: multiplier 1.
    no_data_months = [j for j in range(12) if not (month == j).any()]
    if no_data_months:
        notes.append(
            "no data for " + ", ".join(MONTHS[j] for j in no_data_months) + ": multiplier 1"
        )
    absent_weekdays = [j for j in range(7) if not (weekday == j).any()]
    weekday_values, weekday_se, g_w, w_mean = _normalised(
        7, weekday_col, zero_weekdays, absent_weekdays, theta, cov
    )
    month_values, month_se, g_m, m_mean = _normalised(
        12, month_col, zero_months, no_data_months, theta, cov
    )

    reference = pd.Timestamp(reference_date) if reference_date is not None else dates.iloc[0]
    d_ref = (reference - dates.iloc[0]).days / 365.0
    trend = float(theta[-1]) if fit_trend else 0.0
    linear_at_ref = 1.0 + trend * d_ref
    if linear_at_ref <= 0:
        raise ValueError(
            f"fit_poisson_arrivals: the fitted trend ({trend:.3g} per year) makes the rate "
            f"non-positive at the reference date {reference.date()}"
        )
    # rate = e^b0 * mean(raw weekday) * mean(raw month) * (1 + t d_ref), and the gradient of its
    # log with respect to theta for the delta method.
    rate = math.exp(theta[0]) * w_mean * m_mean * linear_at_ref
    g_rate = g_w + g_m
    g_rate[0] += 1.0
    if fit_trend:
        g_rate[-1] += d_ref / linear_at_ref
    rate_se = rate * math.sqrt(max(float(g_rate @ cov @ g_rate), 0.0))
    trend_ref = trend / linear_at_ref
    trend_se = math.sqrt(cov[-1, -1]) / linear_at_ref**2 if fit_trend else math.nan

    fitted = np.zeros(y_all.size)
    eta = X @ theta[: X.shape[1]]
    if fit_trend:
        eta = eta + np.log(1.0 + trend * u)
    fitted[keep] = np.exp(eta)
    daily = daily.assign(fitted=fitted)
    dof = max(y.size - p, 1)
    dispersion = float(np.sum((y - fitted[keep]) ** 2 / fitted[keep]) / dof)
    if dispersion > OVERDISPERSION_WARNING:
        notes.append(
            f"daily counts are overdispersed (dispersion {dispersion:.2f}): the twin's Poisson "
            "arrivals will vary less from day to day than the history, and the se column is "
            f"too small by about a factor {math.sqrt(dispersion):.2f}"
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
    rows.append(
        (
            "trend_per_year",
            trend_ref,
            trend_se,
            y_all.size,
            y_all.sum(),
            "linear, at the reference date" if fit_trend else "not fitted",
        )
    )
    spec: dict = {
        "kind": "poisson",
        "rate_per_day": float(rate),
        "weekday_multipliers": [float(v) for v in weekday_values],
        "monthly_multipliers": [float(v) for v in month_values],
        "trend_per_year": float(trend_ref),
    }
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
    PoissonArrivals.model_validate(spec)  # the spec must be one a scenario accepts
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS).astype(
        {"value": float, "se": float, "n_days": int, "orders": int}
    )
    return ArrivalsFit(spec, table, daily, loglik, dispersion, iterations, tuple(notes))
