"""What every behaviour fit reports: a proportion with its interval, a fitted duration, plain data.

A proportion carries its Wilson 95 % interval (:func:`twin.stats.wilson_interval`); a duration
or amount is a :func:`~twin.calibration.fitting.continuous.fit_continuous` fit, or the stated
default when there are fewer than :data:`~twin.calibration.fit_report.MIN_FIT_VALUES` values. Both
add their row to the fit report.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from twin.calibration.fit_report import MIN_FIT_VALUES, FitReport, chosen_statistics
from twin.calibration.fitting.continuous import fit_continuous
from twin.stats import wilson_interval

EMPIRICAL_VALUES = 200


def plain(value: Any) -> Any:
    """A YAML-safe copy: numpy scalars to Python, NaN and infinities to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def fitted_duration(
    rows: FitReport,
    quantity: str,
    group: str,
    values: np.ndarray,
    source: str,
    default: float | None,
) -> dict:
    """A fitted distribution of non-negative values (days, money), or the stated default."""
    values = values[np.isfinite(values) & (values >= 0)]
    if values.size >= MIN_FIT_VALUES:
        result = fit_continuous(values, max_empirical_values=EMPIRICAL_VALUES)
        aic, gof_p = chosen_statistics(result)
        rows.add(quantity, group, result.dist, result.n, source, False, result.reason, aic, gof_p)
        return {
            "dist": result.dist,
            "n": result.n,
            "mean": float(values.mean()),
            "median": float(np.median(values)),
            "model": result.reason,
            "aic": aic,
            "gof_p": gof_p,
            "source": source,
            "defaulted": False,
        }
    dist = {"dist": "constant", "value": default} if default is not None else None
    note = f"fewer than {MIN_FIT_VALUES} values ({values.size})" + (
        f"; default constant {default:g}" if default is not None else "; no default"
    )
    rows.add(quantity, group, dist or "none", int(values.size), source, True, note)
    return {"dist": dist, "n": int(values.size), "source": source, "defaulted": True, "note": note}


def proportion(successes: int, n: int) -> dict:
    low, high = wilson_interval(successes, n)
    return {
        "value": successes / n if n else math.nan,
        "ci95": [low, high],
        "successes": int(successes),
        "n": int(n),
    }
