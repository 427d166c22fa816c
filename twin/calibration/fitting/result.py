"""A fit's outcome: :class:`FitResult`, its table of candidates, and the choice among them.

Every fit builds one row per candidate (:func:`candidate_row`, :data:`TABLE_COLUMNS`); a
continuous fit then takes the lowest-AIC candidate that passes its goodness-of-fit screen, else
the empirical distribution of the values (:func:`choose`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pydantic

from twin.distributions import Distribution, parse_distribution

TABLE_COLUMNS = [
    "candidate",
    "params",
    "k",
    "loglik",
    "aic",
    "bic",
    "gof_test",
    "gof_stat",
    "gof_p",
    "chosen",
    "note",
]


@dataclass(frozen=True)
class FitResult:
    """The outcome of one fit.

    Attributes
    ----------
    dist : dict
        The chosen model in the twin's vocabulary, e.g. ``{"dist": "gamma", "shape": 2.1,
        "scale": 1.4}``; :func:`twin.distributions.parse_distribution` accepts it.
    table : pandas.DataFrame
        One row per candidate, columns ``candidate, params, k, loglik, aic, bic, gof_test,
        gof_stat, gof_p, chosen, note`` (``k`` is the number of fitted parameters; ``gof_test`` is
        ``ks`` or ``chi2`` (whole days); the ``gof_*`` values are NaN for counts and for skipped
        candidates).
    n : int
        Number of values fitted.
    reason : str
        Why ``dist`` was chosen, in one sentence.
    pooled : bool
        True when the values were pooled with other small groups (:func:`fit_grouped`).
    group : hashable or None
        The group this result is for, when it came from :func:`fit_grouped`.
    pooled_groups : tuple
        The groups whose values were pooled into this fit (empty unless ``pooled``).
    """

    dist: dict[str, Any]
    table: pd.DataFrame
    n: int
    reason: str
    pooled: bool = False
    group: Hashable | None = None
    pooled_groups: tuple[Hashable, ...] = field(default_factory=tuple)

    @property
    def distribution(self) -> Distribution:
        """The chosen model, validated by :func:`twin.distributions.parse_distribution`."""
        return parse_distribution(self.dist)


def as_values(values: Any, what: str, min_n: int) -> np.ndarray:
    """`values` as a flat float array: finite, >= 0, and at least ``max(min_n, 2)`` of them."""
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError(f"{what}: no values to fit")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"{what}: value at position {int(bad[0])} is {array[bad[0]]}, expected a finite number"
        )
    if (array < 0).any():
        raise ValueError(
            f"{what}: value at position {int(np.flatnonzero(array < 0)[0])} is "
            f"{array[array < 0][0]:g}; the twin's quantities are >= 0"
        )
    if array.size < max(min_n, 2):
        raise ValueError(
            f"{what}: {array.size} values, fewer than min_n = {max(min_n, 2)}; pool small groups "
            "(fit_grouped) or lower min_n"
        )
    return array


def candidate_row(
    candidate: str, params: dict[str, Any] | None, k: int, loglik: float, n: int
) -> dict:
    finite = params is not None and np.isfinite(loglik)
    return {
        "candidate": candidate,
        "params": params,
        "k": k,
        "loglik": loglik if finite else np.nan,
        "aic": 2 * k - 2 * loglik if finite else np.nan,
        "bic": k * math.log(n) - 2 * loglik if finite else np.nan,
        "gof_test": "",
        "gof_stat": np.nan,
        "gof_p": np.nan,
        "chosen": False,
        "note": "",
    }


def checked_row(candidate: str, params: dict[str, Any], k: int, loglik: float, n: int) -> dict:
    """A candidate's row; parameters the twin's vocabulary rejects void it, with the reason."""
    row = candidate_row(candidate, params, k, loglik, n)
    try:
        parse_distribution(params)
    except pydantic.ValidationError as error:
        row.update(loglik=np.nan, aic=np.nan, bic=np.nan)
        row["note"] = f"rejected by the twin: {error.errors()[0]['msg']}"
    return row


def skipped_row(candidate: str, note: str) -> dict:
    row = candidate_row(candidate, None, 0, np.nan, 1)
    row["note"] = note
    return row


def candidate_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _empirical(x: np.ndarray, max_values: int) -> tuple[dict[str, Any], str]:
    if x.size <= max_values:
        return {"dist": "empirical", "values": [float(v) for v in x]}, f"all {x.size} values"
    # Plotting positions (i + 0.5) / N keep the resampled mean close to the data's and avoid
    # repeating the two extremes.
    probabilities = (np.arange(max_values) + 0.5) / max_values
    quantiles = np.quantile(x, probabilities)
    return (
        {"dist": "empirical", "values": [float(v) for v in quantiles]},
        f"{max_values} quantiles of {x.size} values",
    )


def constant_fit(x: np.ndarray) -> FitResult:
    """The fit of values that are all equal: a constant, the only candidate."""
    n = x.size
    dist = {"dist": "constant", "value": float(x[0])}
    row = candidate_row("constant", dist, 0, np.nan, n)
    row["chosen"] = True
    row["note"] = "all values equal"
    return FitResult(dist, candidate_table([row]), n, f"all {n} values equal {x[0]:g}")


def choose(
    rows: list[dict], x: np.ndarray, gof_alpha: float, max_empirical_values: int, test: str
) -> FitResult:
    """The lowest-AIC candidate that passes the goodness-of-fit screen, else empirical."""
    n = x.size
    table = candidate_table(rows)
    eligible = table[table["gof_p"] >= gof_alpha]
    if len(eligible):
        best = eligible["aic"].idxmin()
        table.loc[best, "chosen"] = True
        name = table.loc[best, "candidate"]
        reason = (
            f"{name}: lowest AIC among {len(eligible)} candidate(s) with {test} p >= "
            f"{gof_alpha:g} (n = {n})"
        )
        return FitResult(dict(table.loc[best, "params"]), table, n, reason)

    dist, how = _empirical(x, max_empirical_values)
    row = candidate_row("empirical", dist, 0, np.nan, n)
    row["chosen"] = True
    row["note"] = how
    table = candidate_table([*rows, row])
    reason = f"empirical ({how}): no candidate has {test} p >= {gof_alpha:g} (n = {n})"
    return FitResult(dist, table, n, reason)
