"""Was the warm-up long enough? MSER-5 on each daily level series of a run.

The KPIs leave out ``run.warmup_days``; if the levels (stock, backlog, receivables, open orders,
queues) are still drifting from their empty-and-idle start after that, the KPIs carry the
transient. MSER-5 (White 1997; White, Cobb & Spratt 2000, "A comparison of five steady-state
truncation heuristics", Proc. Winter Simulation Conference) picks the truncation point that
minimises the standard error of the mean of what remains: the series is cut into batches of 5
days with means ``Z_1..Z_k``, and for each candidate ``d`` (batches dropped)::

    MSER(d) = sum_{j > d} (Z_j - mean_{j > d} Z)**2 / (k - d)**2

``d*`` is the smallest minimiser over ``0 <= d <= k // 2``; the truncation point is ``5 d*``
days. A minimiser at the search limit (half the run) means the series never settles in the run:
the horizon is too short for it, or it trends (as demand with a trend makes it).

:func:`warmup_check` applies it to the across-replication mean of each daily level (averaging
the replications removes most of the noise that would otherwise hide a transient; Hoad, Robinson
& Davies 2010 recommend the same for MSER) and compares with the warm-up given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BATCH_DAYS", "WARMUP_COLUMNS", "mser_truncation", "warmup_check", "warmup_summary"]

#: Days per batch of MSER-5.
BATCH_DAYS = 5

WARMUP_COLUMNS = ("series", "truncation_days", "warmup_days", "verdict")
"""Columns of ``warmup.csv``: the daily level (a ``daily.csv`` column), MSER-5's truncation
point in days, the warm-up given (days), and ``enough`` (truncation within the warm-up),
``too short`` (the level settles later than the warm-up ends) or ``no steady state`` (it does not
settle within the first half of the run)."""

#: daily.csv columns that are not levels, or not ones that settle: the cash balance accumulates
#: every day's profit, so it has no steady state to reach whatever the warm-up.
_NOT_LEVELS = ("replication", "seed", "day", "date", "cash_balance")


def mser_truncation(values: np.ndarray, batch: int = BATCH_DAYS) -> tuple[int, bool]:
    """MSER-``batch`` truncation of one series: (observations to drop, at the search limit).

    The last, incomplete batch is left out. A series shorter than two batches, or constant, is
    not truncated.
    """
    values = np.asarray(values, dtype=np.float64)
    k = values.size // batch
    if k < 2:
        return 0, False
    means = values[: k * batch].reshape(k, batch).mean(axis=1)
    # Suffix sums give every candidate's sum of squared deviations in one pass.
    remaining = np.arange(k, 0, -1, dtype=np.float64)  # k - d for d = 0..k-1
    s1 = np.cumsum(means[::-1])[::-1]
    s2 = np.cumsum((means**2)[::-1])[::-1]
    deviations = np.maximum(s2 - s1**2 / remaining, 0.0)
    limit = k // 2
    statistic = deviations[: limit + 1] / remaining[: limit + 1] ** 2
    if not np.any(statistic > 0):
        return 0, False
    d = int(np.argmin(statistic))
    return d * batch, d == limit


def warmup_check(daily: pd.DataFrame, warmup_days: float, horizon_days: float) -> pd.DataFrame:
    """MSER-5 on the across-replication mean of each daily level; columns :data:`WARMUP_COLUMNS`.

    ``daily`` is a run's ``daily.csv`` table; a part day at the end (``horizon_days`` not whole)
    is left out.
    """
    levels = [c for c in daily.columns if c not in _NOT_LEVELS]
    whole = daily[daily["day"] + 1 <= horizon_days]
    mean = whole.groupby("day")[levels].mean().sort_index()
    rows = []
    for column in levels:
        truncation, at_limit = mser_truncation(mean[column].to_numpy())
        if at_limit:
            verdict = "no steady state"
        elif truncation <= warmup_days:
            verdict = "enough"
        else:
            verdict = "too short"
        rows.append((column, truncation, float(warmup_days), verdict))
    return pd.DataFrame(rows, columns=list(WARMUP_COLUMNS))


def warmup_summary(table: pd.DataFrame) -> str:
    """One line for the terminal: the verdict, with the worst series named."""
    if table.empty:
        return "warm-up check: no daily levels"
    given = table["warmup_days"].iloc[0]
    worst = table.sort_values("truncation_days").iloc[-1]
    if (table["verdict"] == "enough").all():
        return (
            f"warm-up check (MSER-5): {given:g} days is enough for every daily level "
            f"(longest truncation {worst.truncation_days} days, {worst.series})"
        )
    bad = table[table["verdict"] != "enough"]
    listed = ", ".join(
        f"{r.series} {r.truncation_days} days ({r.verdict})" for r in bad.itertuples()
    )
    return f"warm-up check (MSER-5): {given:g} days is not enough for {listed}; see warmup.csv"
