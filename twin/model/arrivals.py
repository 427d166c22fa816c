"""When a segment's orders arrive: Poisson times drawn per day, or replayed history.

Both are drawn (or read) up front for the whole horizon; they depend on nothing the model does,
so every variant of a scenario sees the same arrival times (common random numbers).

A Poisson segment may carry two refinements, each drawn from its own stream so that adding one
changes no other draw: ``overdispersion`` multiplies each day's rate by a mean-one lognormal
AR(1) multiplier (:func:`rate_multipliers`, stream ``("rate_noise", segment)``), and with
``run.parameter_uncertainty`` on, ``uncertainty`` perturbs the fitted rate and trend once per
replication (:func:`drawn_parameters`, stream ``("parameters", segment)``, and the term every
segment shares from stream ``shared_parameters``, :func:`shared_draw`), draws the slope changes
the trend may take after the history (:func:`future_trend_changes`, stream ``("trend_changes",
segment)``) and a factor for each month the history did not show (:func:`season_factors`,
stream ``("season", segment)``).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import scipy.signal

from twin.errors import InputError
from twin.input_files import check_input_file
from twin.scenario.arrival_rates import daily_rates
from twin.scenario.arrivals import PoissonArrivals, ReplayArrivals, TrendChange
from twin.scenario.run_control import RunControl
from twin.scenario.schema import Scenario
from twin.scenario.segments import Segment
from twin.streams import Streams


def rate_multipliers(
    arrivals: PoissonArrivals, rng: np.random.Generator, n_days: int
) -> np.ndarray | None:
    """Each day's mean-one rate multiplier M_0..M_{n_days-1}, or None without overdispersion.

    ``M_d = exp(X_d - s**2 / 2)`` with ``X`` a stationary Gaussian AR(1) series: ``X_0 = s Z_0``,
    ``X_d = a X_{d-1} + s sqrt(1 - a**2) Z_d`` (s = ``sd_log``, a = ``autocorrelation``, Z
    standard normal from ``rng``), so every ``X_d`` is N(0, s**2) and ``E[M_d] = 1``.
    """
    noise = arrivals.overdispersion
    if noise is None:
        return None
    s, a = noise.sd_log, noise.autocorrelation
    shocks = rng.standard_normal(n_days) * (s * math.sqrt(1.0 - a * a))
    if n_days:
        shocks[0] /= math.sqrt(1.0 - a * a)  # the first day from the stationary distribution
    log_m = scipy.signal.lfilter([1.0], [1.0, -a], shocks)
    return np.exp(log_m - 0.5 * s * s)


def shared_draw(streams: Streams) -> float:
    """The replication's standard normal that every segment's ``uncertainty.shared_sd`` scales
    (stream ``shared_parameters``): the stream's first value, the same on every call, so the
    segments' shared terms move together."""
    return float(streams.fresh("shared_parameters").standard_normal())


def drawn_parameters(
    arrivals: PoissonArrivals, rng: np.random.Generator, shared: float = 0.0
) -> PoissonArrivals:
    """``arrivals`` with its rate and trend drawn from their sampling distribution.

    ``(a, b)`` bivariate normal as stated by ``arrivals.uncertainty``: the rate is multiplied by
    ``exp(a + shared_sd * shared)`` (its median stays the fitted rate; ``shared`` is the
    replication's :func:`shared_draw`) and ``b`` is added to every slope, so the trend factor
    gains ``b * d / 365`` on day d. Unchanged when no uncertainty is stated.
    """
    stated = arrivals.uncertainty
    if stated is None:
        return arrivals
    z = rng.standard_normal(2)
    r = stated.correlation
    a = stated.log_rate_sd * z[0] + stated.shared_sd * shared
    b = stated.trend_sd * (r * z[0] + math.sqrt(max(1.0 - r * r, 0.0)) * z[1])
    changes = [
        change.model_copy(update={"trend_per_year": change.trend_per_year + b})
        for change in arrivals.trend_changes
    ]
    return arrivals.model_copy(
        update={
            "rate_per_day": arrivals.rate_per_day * math.exp(a),
            "trend_per_year": arrivals.trend_per_year + b,
            "trend_changes": changes,
        }
    )


def future_trend_changes(
    arrivals: PoissonArrivals, rng: np.random.Generator, start_date: dt.date, n_days: int
) -> PoissonArrivals:
    """``arrivals`` with the slope changes a replication draws after the history.

    With ``uncertainty.trend_change_rate`` (changes per year) and ``.trend_change_scale`` (mean
    absolute step, per year) both positive, the changes fall on the days from ``changes_from``
    (default ``start_date``; never before the day after the last stated change) to the end of
    the run: their number is Poisson with mean rate x years of that span, each day uniform over
    it, each step Laplace with mean 0 and that scale, added to the slope in effect (steps on the
    same day add up). The draws are always the number, then the days, then the steps, so a
    replication's changes depend on nothing else. Unchanged without the two figures.
    """
    stated = arrivals.uncertainty
    if stated is None or stated.trend_change_rate <= 0 or stated.trend_change_scale <= 0:
        return arrivals
    first = stated.changes_from or start_date
    if arrivals.trend_changes:
        first = max(first, arrivals.trend_changes[-1].date + dt.timedelta(days=1))
    span = (start_date + dt.timedelta(days=n_days) - first).days
    if span <= 0:
        return arrivals
    count = int(rng.poisson(stated.trend_change_rate * span / 365.0))
    days = rng.integers(0, span, size=count)
    steps = rng.laplace(0.0, stated.trend_change_scale, size=count)
    if count == 0:
        return arrivals
    change_days, where = np.unique(days, return_inverse=True)
    step_by_day = np.bincount(where, weights=steps, minlength=change_days.size)
    slope = (
        arrivals.trend_changes[-1].trend_per_year
        if arrivals.trend_changes
        else arrivals.trend_per_year
    )
    drawn = []
    for day, step in zip(change_days.tolist(), step_by_day.tolist(), strict=True):
        slope += step
        drawn.append(TrendChange(date=first + dt.timedelta(days=day), trend_per_year=slope))
    return arrivals.model_copy(update={"trend_changes": [*arrivals.trend_changes, *drawn]})


def season_factors(
    arrivals: PoissonArrivals, rng: np.random.Generator, start_date: dt.date, n_days: int
) -> np.ndarray | None:
    """Each day's factor for the months the history did not show, or None when there are none.

    One mean-one lognormal factor ``exp(s z - s**2 / 2)`` per month of
    ``uncertainty.unseen_months`` (in that order, z standard normal from ``rng``, s =
    ``month_sd``), applied to every day of that month in the horizon: a replication's guess of
    the unseen season, the same in every year it recurs.
    """
    stated = arrivals.uncertainty
    if stated is None or not stated.unseen_months or stated.month_sd == 0:
        return None
    s = stated.month_sd
    by_month = np.ones(12)
    z = rng.standard_normal(len(stated.unseen_months))
    by_month[np.asarray(stated.unseen_months) - 1] = np.exp(s * z - 0.5 * s * s)
    months = pd.date_range(start_date, periods=n_days, freq="D").month.to_numpy()
    return by_month[months - 1]


def segment_arrival_times(
    arrivals: PoissonArrivals, streams: Streams, segment: str, run: RunControl
) -> np.ndarray:
    """A Poisson segment's arrival times for one replication, with its refinements drawn.

    With ``run.parameter_uncertainty`` the rate and trend are drawn first (stream
    ``parameters``), then the slope changes after the history (stream ``trend_changes``) and the
    unseen months' factors (stream ``season``), then the daily
    multipliers (stream ``rate_noise``), then the times (stream ``arrivals``); without any
    refinement this is :func:`poisson_arrival_times` exactly.
    """
    n_days = int(np.ceil(run.horizon_days))
    season = None
    if run.parameter_uncertainty:
        arrivals = drawn_parameters(
            arrivals, streams.generator("parameters", segment), shared_draw(streams)
        )
        arrivals = future_trend_changes(
            arrivals, streams.generator("trend_changes", segment), run.start_date, n_days
        )
        season = season_factors(
            arrivals, streams.generator("season", segment), run.start_date, n_days
        )
    multipliers = rate_multipliers(arrivals, streams.generator("rate_noise", segment), n_days)
    if season is not None:
        multipliers = season if multipliers is None else multipliers * season
    return poisson_arrival_times(
        arrivals,
        streams.generator("arrivals", segment),
        run.start_date,
        run.horizon_days,
        multipliers,
    )


def poisson_arrival_times(
    arrivals: PoissonArrivals,
    rng: np.random.Generator,
    start_date: dt.date,
    horizon_days: float,
    multipliers: np.ndarray | None = None,
) -> np.ndarray:
    """Arrival times (days) of a Poisson process with a rate constant within each day.

    ``multipliers`` (one per day, see :func:`rate_multipliers`) scale the daily rates.
    """
    n_days = int(np.ceil(horizon_days))
    rates = daily_rates(arrivals, start_date, n_days)
    if multipliers is not None:
        rates = rates * multipliers
    counts = rng.poisson(rates)
    days = np.repeat(np.arange(n_days, dtype=float), counts)
    times = np.sort(days + rng.random(days.size))
    return times[times < horizon_days]


def replay_arrival_times(
    arrivals: ReplayArrivals, start_date: dt.date, horizon_days: float
) -> tuple[np.ndarray, int]:
    """Historical order times as days since ``start_date``, and how many fall outside the run."""
    if arrivals.file is not None:
        where = f"Replay file {arrivals.file}, column {arrivals.column!r}"
        check_input_file(arrivals.file, "Replay file")
        try:
            # As text, so an error can quote the cell exactly as it is written in the file.
            frame = pd.read_csv(
                arrivals.file, usecols=[arrivals.column], dtype=str, keep_default_na=False
            )
        except (OSError, ValueError) as exc:
            raise InputError(
                f"Cannot read the replay file {arrivals.file} (column {arrivals.column!r}): {exc}"
            ) from None
        raw = frame[arrivals.column]
        try:
            # Each cell parsed on its own: a history may mix dates and timestamps.
            stamps = pd.to_datetime(raw, errors="coerce", format="mixed")
        except ValueError:  # cells with different UTC offsets
            stamps = None
        if stamps is None or isinstance(stamps.dtype, pd.DatetimeTZDtype):
            raise InputError(
                f"{where}: timestamps carry a UTC offset; give local times without one"
            )
        bad = stamps.isna()
        if bad.any():
            # Data rows count from 1, the header excluded, as for empirical data files.
            row = int(np.flatnonzero(bad.to_numpy())[0])
            cell = raw.iloc[row]
            shown = repr(cell) if cell.strip() else "empty"
            raise InputError(
                f"{where}: row {row + 1} (file line {row + 2}) is {shown}, expected a date "
                "or timestamp such as 2026-01-05 or 2026-01-05 09:30"
            )
    else:
        stamps = pd.to_datetime(pd.Series(arrivals.times))
    days = (stamps - pd.Timestamp(start_date)) / pd.Timedelta(days=1)
    times = np.sort(days.to_numpy(dtype=float))
    inside = (times >= 0.0) & (times < horizon_days)
    return times[inside], int((~inside).sum())


def expected_orders_per_day(segment: Segment, scenario: Scenario) -> float:
    """Mean orders per day of a segment over the horizon."""
    run = scenario.run
    arrivals = segment.arrivals
    if isinstance(arrivals, PoissonArrivals):
        n_days = int(np.ceil(run.horizon_days))
        return float(daily_rates(arrivals, run.start_date, n_days).mean())
    times, _ = replay_arrival_times(arrivals, run.start_date, run.horizon_days)
    return times.size / run.horizon_days
