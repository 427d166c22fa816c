"""Replications added to a comparison until chosen KPIs are known precisely enough.

``twin compare --precision KPI=TARGET`` names a half-width to reach: absolute in the KPI's unit,
or a share of the base mean. :func:`run_to_precision` starts with a batch of replications and
doubles it until every target's half-width is met or a cap is reached. The half-width is that of
the base's mean and of every other variant's paired difference with the base, since those are
what the comparison reports (Law, *Simulation Modeling and Analysis*, 5th ed., §9.4.1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.errors import InputError
from twin.experiments.compare import VariantRuns, paired, require_reported, run_variants
from twin.experiments.runner import JobRunner
from twin.scenario.variants import Variants
from twin.stats import t_interval

_TARGET = re.compile(r"\s*([A-Za-z0-9_]+)\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%?)\s*")


@dataclass(frozen=True)
class PrecisionTarget:
    """A CI half-width to reach for one KPI: absolute in its unit, or a share of the base mean."""

    kpi: str
    value: float
    relative: bool = False

    def absolute(self, base_mean: float) -> float:
        """The target half-width in the KPI's unit."""
        return self.value / 100.0 * abs(base_mean) if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.kpi}={self.value:g}{'%' if self.relative else ''}"


def parse_precision(text: str, known: Callable[[str], bool] | None = None) -> PrecisionTarget:
    """Read ``KPI=TARGET`` (``profit=5000``, ``fill_rate=0.005``, ``profit=2%``).

    Raises
    ------
    InputError
        The text is not ``KPI=TARGET`` with a positive number, or `known` rejects the KPI.
    """
    match = _TARGET.fullmatch(text)
    if match is None or float(match.group(2)) <= 0:
        raise InputError(
            f"--precision {text}: expected KPI=TARGET with a positive target, absolute in the "
            "KPI's unit or relative to the base mean with %, e.g. --precision profit=2% or "
            "--precision fill_rate=0.005"
        )
    target = PrecisionTarget(match.group(1), float(match.group(2)), match.group(3) == "%")
    if known is not None and not known(target.kpi):
        raise InputError(
            f"--precision {text}: unknown KPI '{target.kpi}'; the KPI names are listed in "
            "docs/kpis.md and are the columns of kpis.csv"
        )
    return target


def half_widths(
    runs: VariantRuns, targets: Sequence[PrecisionTarget], confidence: float = 0.95
) -> pd.DataFrame:
    """``variant, kpi, replications, half_width, target, met`` for every variant and target.

    The base's half-width is that of its mean's interval; another variant's that of its paired
    difference with the base, since that is what the comparison reports. A relative target is a
    share of the base mean. An undefined half-width (fewer than two pairs) is not met.
    """
    kpis = runs.kpis()
    base = kpis[kpis["variant"] == runs.base]
    rows = []
    for target in targets:
        values = base[target.kpi] if target.kpi in base else pd.Series(dtype=float)
        base_mean, _, _, _ = t_interval(values.to_numpy(dtype=float))
        goal = target.absolute(base_mean)
        for name in runs.names:
            if name == runs.base:
                x = values.to_numpy(dtype=float)
            else:
                x = paired(kpis, runs.base, name, target.kpi)
            _, _, low, high = t_interval(x, confidence)
            half = (high - low) / 2.0
            n = int(np.count_nonzero(~np.isnan(x)))
            met = bool(half <= goal)  # False for NaN
            rows.append((name, target.kpi, n, half, goal, met))
    columns = ["variant", "kpi", "replications", "half_width", "target", "met"]
    return pd.DataFrame(rows, columns=columns)


@dataclass
class PrecisionResult:
    """How a sequential run ended: replications used, whether every target was met."""

    replications: int
    reached: bool
    table: pd.DataFrame


def run_to_precision(
    variants: Variants,
    targets: Sequence[PrecisionTarget],
    start: int,
    max_replications: int,
    runner: JobRunner | None = None,
    confidence: float = 0.95,
    on_batch: Callable[[VariantRuns, pd.DataFrame], None] | None = None,
) -> tuple[VariantRuns, PrecisionResult]:
    """Add replications until every target's half-width is met, or `max_replications`.

    Starts with `start` replications (at least 2, so there is an interval) and doubles, capped
    at `max_replications`. Replication r's streams depend only on (seed, r), so the added
    replications extend the same common-random-number set, and a result store keeps the
    earlier ones.

    Parameters
    ----------
    on_batch : callable, optional
        Called after each batch with the runs so far and the half-width table; it may raise to
        stop early.

    Raises
    ------
    InputError
        After the first batch, when no variant reports a target's KPI.
    """
    n = min(max(start, 2), max_replications)
    runs = run_variants(variants, n, runner)
    require_reported(runs, [t.kpi for t in targets], "--precision")
    while True:
        table = half_widths(runs, targets, confidence)
        if on_batch is not None:
            on_batch(runs, table)
        if table["met"].all() or n >= max_replications:
            return runs, PrecisionResult(n, bool(table["met"].all()), table)
        n = min(2 * n, max_replications)
        runs = run_variants(variants, n, runner, previous=runs)
