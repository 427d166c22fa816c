"""Across-replication statistics: means with Student-t confidence intervals."""

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
