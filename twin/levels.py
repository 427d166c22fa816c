"""Time-weighted statistics of step functions: a level that jumps by ``deltas`` at ``times``.

Levels (stock, backlog, receivables, queue lengths) are recorded as change logs; their averages
over a window or per day come from the exact integral of the step function, vectorised.
"""

from __future__ import annotations

import numpy as np


def step_integral(
    times: np.ndarray, deltas: np.ndarray, initial: float, at: np.ndarray
) -> np.ndarray:
    """Integral from 0 to each ``at`` of the level that starts at ``initial`` and jumps by
    ``deltas[i]`` at ``times[i]`` (sorted ascending; several jumps may share a time).

    Units: level units x days. A jump before 0 (an item a run from an open state starts with,
    dated in the past) counts as at 0: the level at 0 includes it.
    """
    times = np.maximum(np.asarray(times, dtype=float), 0.0)
    at = np.asarray(at, dtype=float)
    if times.size == 0:
        return initial * at
    levels = initial + np.cumsum(np.asarray(deltas, dtype=float))
    before = np.concatenate(([initial], levels[:-1]))
    gaps = np.diff(np.concatenate(([0.0], times)))
    integral_at_change = np.cumsum(before * gaps)
    j = np.searchsorted(times, at, side="right") - 1
    jj = np.clip(j, 0, None)
    after = integral_at_change[jj] + levels[jj] * (at - times[jj])
    return np.where(j < 0, initial * at, after)


def window_mean(
    times: np.ndarray, deltas: np.ndarray, initial: float, start: float, end: float
) -> float:
    """Time-average of the level over [start, end) (level units)."""
    a, b = step_integral(times, deltas, initial, np.array([start, end]))
    return float((b - a) / (end - start))


def daily_means(
    times: np.ndarray, deltas: np.ndarray, initial: float, horizon_days: float
) -> np.ndarray:
    """Time-average of the level on each day 0, 1, ... (the last one may be a part day)."""
    n_days = int(np.ceil(horizon_days))
    bounds = np.minimum(np.arange(n_days + 1, dtype=float), horizon_days)
    integral = step_integral(times, deltas, initial, bounds)
    return np.diff(integral) / np.diff(bounds)


def per_key_levels(keys: np.ndarray, deltas: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """The level of ``keys[i]``'s own series right after change i (changes in time order)."""
    keys = np.asarray(keys, dtype=np.int64)
    deltas = np.asarray(deltas, dtype=float)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    running = np.cumsum(deltas[order])
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    offset = np.repeat(running[starts] - deltas[order][starts], np.diff(np.r_[starts, keys.size]))
    levels_sorted = initial[sorted_keys] + running - offset
    levels = np.empty_like(levels_sorted)
    levels[order] = levels_sorted
    return levels


def count_at_zero(
    times: np.ndarray, keys: np.ndarray, deltas: np.ndarray, initial: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Step function of how many keys' levels are zero: (times, deltas, initial count)."""
    if len(keys) == 0:
        return np.asarray(times, dtype=float), np.zeros(0), float((initial == 0).sum())
    after = per_key_levels(keys, deltas, initial)
    before = after - np.asarray(deltas, dtype=float)
    change = (after == 0).astype(float) - (before == 0).astype(float)
    return np.asarray(times, dtype=float), change, float((initial == 0).sum())
