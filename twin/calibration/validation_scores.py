"""One row of ``validation.csv``: an actual value against the replications' simulated ones.

For a weekly series the row scores every week (MAPE, bias, coverage of the 90 % prediction band
of the replications, :func:`twin.stats.prediction_band`); for a single KPI, the relative error
of the simulated mean. The columns are :data:`COLUMNS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.stats import prediction_band

COLUMNS = (
    "kpi",
    "actual",
    "simulated_mean",
    "simulated_p05",
    "simulated_p95",
    "mape",
    "bias",
    "coverage_90",
    "tolerance",
    "passed",
    "note",
)


def kpi_row(kpi: str, **values: object) -> dict:
    row = dict.fromkeys(COLUMNS, np.nan)
    row["note"] = ""
    row.update(kpi=kpi, **values)
    return row


def weekly_row(kpi: str, actual: np.ndarray, simulated: pd.DataFrame) -> dict:
    """``simulated``: replications x weeks."""
    mean = simulated.mean(axis=0).to_numpy()
    low, high = prediction_band(simulated.to_numpy(), 0.9)
    positive = actual > 0
    per_replication = simulated.mean(axis=1)
    return kpi_row(
        kpi,
        actual=float(actual.mean()),
        simulated_mean=float(mean.mean()),
        simulated_p05=float(per_replication.quantile(0.05)),
        simulated_p95=float(per_replication.quantile(0.95)),
        mape=float(np.mean(np.abs(mean[positive] - actual[positive]) / actual[positive]))
        if positive.any()
        else np.nan,
        bias=float((mean - actual).sum() / actual.sum()) if actual.sum() else np.nan,
        coverage_90=float(np.mean((actual >= low) & (actual <= high))),
    )


def scalar_row(kpi: str, actual: float, simulated: np.ndarray, note: str = "") -> dict:
    simulated = simulated[np.isfinite(simulated)]
    if not np.isfinite(actual) or not simulated.size:
        return kpi_row(kpi, actual=actual, note=note or "no simulated value")
    mean = float(simulated.mean())
    relative = (mean - actual) / abs(actual) if actual else np.nan
    return kpi_row(
        kpi,
        actual=float(actual),
        simulated_mean=mean,
        simulated_p05=float(np.quantile(simulated, 0.05)),
        simulated_p95=float(np.quantile(simulated, 0.95)),
        mape=abs(relative),
        bias=relative,
        note=note,
    )
