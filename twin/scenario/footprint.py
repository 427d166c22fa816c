"""A run's memory and time, estimated from the scenario before anything is simulated.

A replication keeps every order as an object and records its events in tables, so its peak memory
grows with the order lines it draws and the days it covers, and the driver process keeps each
replication's daily levels:

    bytes ≈ parallel × (BYTES_PER_REPLICATION + BYTES_PER_LINE × lines + BYTES_PER_DAY × days)
            + replications × DRIVER_BYTES_PER_DAY × days
    seconds ≈ replications / parallel × (SECONDS_PER_LINE × lines + SECONDS_PER_DAY × days)

``lines`` are the expected order lines of one replication: each segment's expected orders (the
sum of its Poisson day rates over the horizon, or the length of a replayed list) times its mean
lines per order. ``parallel`` is the number of replications that run at once.

How the constants were measured (``benchmarks/bench_footprint.py``, 2026-12-07, 2 cores under a
load average of about 10): one replication per fresh process, its peak resident memory
(``ru_maxrss``) less the resident memory before it ran, and its wall time, for the sample
company's baseline (200, 426, 852 days: 150k to 666k lines, 106 to 385 MiB, 7.9 to 34.7 s) and
the small CLI fixture (365, 1460, 5840 days: 4k to 65k lines, 18 to 95 MiB); a least-squares
fit gave 566 bytes per line, 6,823 bytes per day and 23 MB per replication, and 51 µs per line
and 0.46 ms per day. The driver's share is the pickled size of a replication's output, about
150 bytes per day, three times over (the outputs, their concatenation, the CSV text). The
constants below are these, rounded up, so the estimate errs on the large side; times on a quiet
machine are a few times shorter.

:func:`check_fits` refuses (``InputError``, exit 2) a run that would not fit the memory available
now, or would take longer than :func:`max_run_hours`, naming the estimate and the keys to change.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from twin.errors import InputError
from twin.scenario.limits import available_memory_bytes
from twin.scenario.schema import Scenario

#: Peak memory of a replication per expected order line, per day and in all (bytes), measured.
BYTES_PER_LINE = 600.0
BYTES_PER_DAY = 8_000.0
BYTES_PER_REPLICATION = 32 * 1024**2

#: Memory the driver keeps per replication and simulated day (bytes): the daily levels.
DRIVER_BYTES_PER_DAY = 500.0

#: Wall time of a replication per expected order line and per day (seconds), measured.
SECONDS_PER_LINE = 60e-6
SECONDS_PER_DAY = 5e-4

#: Longest run accepted (hours of wall time, estimated), unless :data:`HOURS_ENV` says otherwise.
MAX_RUN_HOURS = 24.0

#: The environment variable that overrides :data:`MAX_RUN_HOURS`.
HOURS_ENV = "TWIN_MAX_RUN_HOURS"

#: Days of Poisson day rates summed exactly; a longer horizon extends their mean.
EXACT_DAYS = 3_660

#: Bytes per line of a replay file, to count its orders from its size without reading it.
BYTES_PER_REPLAY_ROW = 20

#: Share of the available memory a run may plan to use: the rest is the driver process, the
#: result tables and the margin of the estimate.
MEMORY_SHARE = 0.8


@dataclass(frozen=True)
class Footprint:
    """One replication's estimated size: expected order lines, days, peak memory (bytes) and
    wall time (seconds)."""

    lines: float
    days: float
    bytes: float
    seconds: float


def mean_of(spec: object, default: float = 1.0) -> float:
    """The mean of a distribution spec (a number, or a model with ``mean``)."""
    if isinstance(spec, int | float):
        return float(spec)
    mean = getattr(spec, "mean", None)
    try:
        value = float(mean() if callable(mean) else mean)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) and value > 0 else default


def expected_orders(arrivals: object, start: object, horizon_days: float) -> float:
    """Expected orders of one segment's arrivals over the horizon."""
    from twin.scenario.arrivals import PoissonArrivals

    if isinstance(arrivals, PoissonArrivals):
        from twin.scenario.arrival_rates import daily_rates

        days = math.ceil(horizon_days)
        exact = min(days, EXACT_DAYS)
        rates = daily_rates(arrivals, start, exact)  # type: ignore[arg-type]
        return float(rates.sum()) * days / exact
    times = getattr(arrivals, "times", None)
    if times is not None:
        return float(len(times))
    try:
        return Path(str(arrivals.file)).stat().st_size / BYTES_PER_REPLAY_ROW  # type: ignore[attr-defined]
    except OSError:
        return 0.0  # the reader reports the missing file


def estimate(scenario: Scenario) -> Footprint:
    """The estimated footprint of one replication of ``scenario``."""
    days = scenario.run.horizon_days
    lines = sum(
        expected_orders(segment.arrivals, scenario.run.start_date, days)
        * mean_of(segment.lines_per_order)
        for segment in scenario.segments.values()
    )
    return Footprint(
        lines=lines,
        days=days,
        bytes=BYTES_PER_REPLICATION + BYTES_PER_LINE * lines + BYTES_PER_DAY * days,
        seconds=SECONDS_PER_LINE * lines + SECONDS_PER_DAY * days,
    )


def max_run_hours() -> float:
    """The longest run accepted (hours): ``TWIN_MAX_RUN_HOURS`` or :data:`MAX_RUN_HOURS`."""
    text = os.environ.get(HOURS_ENV, "").strip()
    if not text:
        return MAX_RUN_HOURS
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise InputError(f"{HOURS_ENV}={text!r}: give the longest run accepted in hours, e.g. 72")
    return value


def check_fits(scenario: Scenario, parallel: int = 1, replications: int = 1) -> Footprint:
    """Raise InputError if ``replications`` of ``scenario``, ``parallel`` at a time, would not
    fit the memory available now or would take longer than :func:`max_run_hours`.

    Returns the estimate of one replication when they fit (memory unknown: time only).
    """
    footprint = estimate(scenario)
    parallel = max(1, min(parallel, replications))
    days = footprint.days
    hours = footprint.seconds * math.ceil(replications / parallel) / 3600
    what = (
        f"Scenario {scenario.name}: {replications:,} replication(s) of about "
        f"{footprint.lines:,.0f} order lines over {days:g} days"
    )
    available = available_memory_bytes()
    if available is not None:
        driver = replications * DRIVER_BYTES_PER_DAY * days
        need = parallel * footprint.bytes + driver
        budget = available * MEMORY_SHARE
        if need > budget:
            at_once = f", {parallel} at a time," if parallel > 1 else ""
            one_at_a_time = parallel > 1 and footprint.bytes + driver <= budget
            raise InputError(
                f"{what}{at_once} would need about {gib(need)} of memory, and this machine has "
                f"{gib(available)} available; shorten run.horizon_days, lower "
                "run.replications or the segments' arrivals (rate_per_day)"
                + ("; or run fewer at once with --workers" if one_at_a_time else "")
            )
    limit = max_run_hours()
    if hours > limit:
        raise InputError(
            f"{what} would take about {hours:,.0f} hours on {parallel} process(es), more than "
            f"the {limit:g} hours twin accepts; lower run.replications or shorten "
            f"run.horizon_days, or set {HOURS_ENV} to accept a longer run"
        )
    return footprint


def gib(n_bytes: float) -> str:
    """A size for people: ``1.5 GiB``, ``820 MiB``."""
    if n_bytes >= 1024**3:
        return f"{n_bytes / 1024**3:,.1f} GiB"
    return f"{n_bytes / 1024**2:,.0f} MiB"
