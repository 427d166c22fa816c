"""The fit report: one row per fitted quantity, and the values each fit was made from.

Every fitting step of calibration (the scenario base in :mod:`twin.calibration.calibrate`, the
behaviour fits in :mod:`twin.calibration.behaviour`) adds its rows to one :class:`FitReport`, which
becomes ``fit_report.csv`` (columns :data:`REPORT_COLUMNS`) and keeps the fitted values for the
calibration report's charts (:class:`FittedValues`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.calibration.fitting.result import FitResult

REPORT_COLUMNS = (
    "quantity",
    "group",
    "distribution",
    "parameters",
    "n",
    "aic",
    "gof_p",
    "source",
    "defaulted",
    "note",
)
"""Columns of ``fit_report.csv``: what was fitted (``quantity``, per ``group``), the chosen model
(``distribution``, ``parameters``), from how many values (``n``), its AIC and goodness-of-fit
p-value (KS, or chi-square for whole-day durations), the data used (``source``), whether a stated
default stood in for missing data (``defaulted``) and a note."""

MIN_FIT_VALUES = 30
"""Fewest values a distribution is fitted to; with fewer, a stated default is used."""
DAY = pd.Timedelta(days=1)


def days(delta: pd.Series) -> np.ndarray:
    """Durations in days, the missing ones left out."""
    values = (delta / DAY).to_numpy(dtype=float)
    return values[np.isfinite(values)]


_PARAMETER_TEXT = 300  # characters of ``parameters`` kept (an empirical fit lists its values)

#: Significant digits of every fitted number written (``model.yaml``, ``fit_report.csv``). Far
#: finer than any fit's standard error, and coarse enough that a last-bit difference between numpy
#: or pandas releases (a sum taken in another order) does not change the files, so calibrating
#: again gives the same model folder, byte for byte.
DIGITS = 10


def rounded(value: object) -> object:
    """``value`` with every float in it (also inside dicts, lists and tuples) rounded to
    :data:`DIGITS` significant digits, so its text does not change with the last bits."""
    if isinstance(value, float | np.floating):
        return float(f"{float(value):.{DIGITS}g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, tuple):
        return tuple(rounded(v) for v in value)
    return value


@dataclass
class FittedValues:
    """The values each fit was made from, for the calibration report's charts.

    Attributes
    ----------
    durations : list of (str, str, numpy.ndarray, object)
        ``(quantity, group, values in days, fitted distribution or default)`` for every duration
        fitted (transit, payment delay, supplier lead time, ...); negative values dropped.
    counts : dict of str to list of (str, numpy.ndarray, object)
        Segment -> ``[(quantity, values, fitted distribution)]`` for lines per order and units
        per line (units >= 1).
    arrivals : dict of str to pandas.Series
        Segment -> order timestamps inside the active period (what the arrival fit used).
    period : (datetime.date, datetime.date) or None
        First and last day of the active period.
    """

    durations: list[tuple[str, str, np.ndarray, object]] = field(default_factory=list)
    counts: dict[str, list[tuple[str, np.ndarray, object]]] = field(default_factory=dict)
    arrivals: dict[str, pd.Series] = field(default_factory=dict)
    period: tuple[dt.date, dt.date] | None = None


def chosen_statistics(result: FitResult) -> tuple[float, float]:
    """AIC and goodness-of-fit p-value of the chosen candidate (NaN where there are none)."""
    table = result.table
    if "chosen" not in table:
        return np.nan, np.nan
    chosen = table[table["chosen"].astype(bool)]
    if not len(chosen):
        return np.nan, np.nan
    aic = float(chosen["aic"].iloc[0]) if "aic" in chosen else np.nan
    gof_p = float(chosen["gof_p"].iloc[0]) if "gof_p" in chosen else np.nan
    return aic, gof_p


class FitReport:
    """Collects the rows of ``fit_report.csv`` and the fitted values, in the order fitted."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.values = FittedValues()

    def fit(self, quantity: str, group: str, result: FitResult, source: str) -> dict:
        """Add the row of a fit and return its chosen distribution."""
        aic, gof_p = chosen_statistics(result)
        self.add(quantity, group, result.dist, result.n, source, False, result.reason, aic, gof_p)
        return result.dist

    def add(
        self,
        quantity: str,
        group: str,
        value: object,
        n: int,
        source: str,
        defaulted: bool,
        note: str = "",
        aic: float = np.nan,
        gof_p: float = np.nan,
        distribution: str | None = None,
    ) -> None:
        """Add one row; `value` is a distribution dict, a number or a short text."""
        if distribution is None:
            distribution = value.get("dist", "") if isinstance(value, dict) else "value"
        parameters = (
            {k: v for k, v in value.items() if k != "dist"} if isinstance(value, dict) else value
        )
        # rounded before it is cut, so the cut falls at the same place on every run
        text = str(rounded(parameters))
        if len(text) > _PARAMETER_TEXT:
            text = text[: _PARAMETER_TEXT - 3] + "..."
        self.rows.append(
            {
                "quantity": quantity,
                "group": group,
                "distribution": distribution,
                "parameters": text,
                "n": int(n),
                "aic": float(aic),
                "gof_p": float(gof_p),
                "source": source,
                "defaulted": bool(defaulted),
                "note": note,
            }
        )

    def frame(self) -> pd.DataFrame:
        """The report as a DataFrame with :data:`REPORT_COLUMNS`."""
        return pd.DataFrame(self.rows, columns=list(REPORT_COLUMNS))
