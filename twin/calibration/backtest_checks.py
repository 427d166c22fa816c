"""The tolerances a backtest is judged on, and the judgement (``checks.csv``, the exit code).

A tolerance bounds one score of one series over all origins (the summary's ``all`` row):
``--tolerance SERIES.SCORE=BOUND`` or ``=LOW:HIGH``. A single bound means ``|bias| <= BOUND``
for ``bias``, ``>= BOUND`` for a coverage and ``<= BOUND`` for every other score; ``LOW:HIGH``
is the closed interval. Defaults are :data:`DEFAULT_TOLERANCES`.
"""

from __future__ import annotations

import math

import pandas as pd

from twin.calibration.backtest_scores import SCORE_COLUMNS
from twin.errors import InputError

Bounds = tuple[float, float]

#: (series, score) -> closed interval [low, high]: the issue's targets for weekly orders.
DEFAULT_TOLERANCES: dict[tuple[str, str], Bounds] = {
    ("orders", "coverage_90"): (0.80, 0.97),
    ("orders", "bias"): (-0.10, 0.10),
    # the MASE against the baseline: the twin's error scaled by the baseline's on the same weeks
    ("orders", "relative_mae"): (0.0, 1.0),
}

CHECK_COLUMNS = ("series", "score", "value", "low", "high", "passed")

_SCORES = tuple(c for c in SCORE_COLUMNS if c not in ("weeks", "baseline"))


def _bound(item: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(
            f"--tolerance {item}: {text!r} is not a number; give SERIES.SCORE=BOUND or "
            "SERIES.SCORE=LOW:HIGH, e.g. --tolerance orders.coverage_90=0.8:0.97"
        )
    return value


def parse_tolerances(items: tuple[str, ...] | list[str], series: tuple[str, ...]) -> dict:
    """Default tolerances updated by ``SERIES.SCORE=BOUND`` or ``SERIES.SCORE=LOW:HIGH`` items."""
    tolerances = dict(DEFAULT_TOLERANCES)
    for item in items:
        key, sep, text = item.partition("=")
        name, dot, score = key.strip().partition(".")
        if not sep or not dot or name not in series or score not in _SCORES:
            raise InputError(
                f"--tolerance {item}: expected SERIES.SCORE=BOUND with SERIES one of "
                f"{', '.join(series)} and SCORE one of {', '.join(_SCORES)}, "
                "e.g. --tolerance orders.bias=0.1"
            )
        if ":" in text:
            low_text, _, high_text = text.partition(":")
            low, high = _bound(item, low_text), _bound(item, high_text)
            if low > high:
                raise InputError(f"--tolerance {item}: LOW {low:g} is above HIGH {high:g}")
        else:
            value = _bound(item, text)
            if score == "bias":
                low, high = -abs(value), abs(value)
            elif score.startswith("coverage"):
                low, high = value, math.inf
            else:
                low, high = -math.inf, value
        tolerances[(name, score)] = (low, high)
    return tolerances


def judge(summary: pd.DataFrame, tolerances: dict) -> pd.DataFrame:
    """One row per tolerance (:data:`CHECK_COLUMNS`); ``passed`` is NA where there is no value."""
    overall = summary[summary["origin"] == "all"].set_index("series")
    rows = []
    for (name, score), (low, high) in tolerances.items():
        value = float(overall.at[name, score]) if name in overall.index else math.nan
        passed = pd.NA if not math.isfinite(value) else bool(low <= value <= high)
        rows.append(
            {
                "series": name,
                "score": score,
                "value": value,
                "low": low,
                "high": high,
                "passed": passed,
            }
        )
    table = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    table["passed"] = table["passed"].astype("boolean")
    return table
