"""Small exact statistics shared by every layer: Student-t intervals of a mean, Wilson intervals
of a proportion, and the across-replication summary table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, sd, low, high) of the mean of independent replications, by the t-distribution.

    With one value there is no interval: sd, low and high are NaN. NaN values (a KPI undefined
    in some replication) are left out.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (np.nan,) * 4
    mean = float(x.mean())
    if x.size == 1:
        return mean, np.nan, np.nan, np.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * sd / np.sqrt(x.size))
    return mean, sd, mean - half, mean + half


def summarise(kpis: pd.DataFrame, units: dict[str, str], confidence: float = 0.95) -> pd.DataFrame:
    """Long table ``kpi, mean, std, ci_low, ci_high, unit`` from one row per replication."""
    rows = []
    for kpi in kpis.columns:
        if kpi in ("replication", "seed"):
            continue
        mean, sd, low, high = t_interval(kpis[kpi].to_numpy(), confidence)
        rows.append((kpi, mean, sd, low, high, units.get(kpi, "")))
    return pd.DataFrame(rows, columns=["kpi", "mean", "std", "ci_low", "ci_high", "unit"])


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``successes / n`` (Wilson 1927, JASA 22:209).

    Unlike the normal approximation it stays inside [0, 1] and is usable for a few trials, also
    when all or none succeed. ``(nan, nan)`` when ``n == 0``.
    """
    if n <= 0:
        return np.nan, np.nan
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(ci.low), float(ci.high)
