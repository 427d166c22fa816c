"""When a segment's orders arrive: Poisson times drawn per day, or replayed history.

Both are drawn (or read) up front for the whole horizon; they depend on nothing the model does,
so every variant of a scenario sees the same arrival times (common random numbers).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.errors import InputError
from twin.input_files import check_input_file
from twin.scenario.arrival_rates import daily_rates
from twin.scenario.arrivals import PoissonArrivals, ReplayArrivals
from twin.scenario.schema import Scenario
from twin.scenario.segments import Segment


def poisson_arrival_times(
    arrivals: PoissonArrivals, rng: np.random.Generator, start_date: dt.date, horizon_days: float
) -> np.ndarray:
    """Arrival times (days) of a Poisson process with a rate constant within each day."""
    n_days = int(np.ceil(horizon_days))
    counts = rng.poisson(daily_rates(arrivals, start_date, n_days))
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
