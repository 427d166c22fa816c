"""One value of the scenario base: a fitted duration or count with its report row, or a default.

Also what every fit step of the base shares: the ordered lines it fits from, and the scenario key
a history name becomes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.calibration.fit_report import MIN_FIT_VALUES, FitReport, chosen_statistics
from twin.calibration.fitting.continuous import fit_continuous
from twin.calibration.fitting.counts import fit_count
from twin.calibration.fitting.result import FitResult
from twin.calibration.quality_rules import isin
from twin.errors import InputError

EMPIRICAL_VALUES = 200  # quantiles kept when a duration falls back to its empirical distribution


def fitted_duration(
    report: FitReport,
    quantity: str,
    group: str,
    values: np.ndarray,
    source: str,
    default: float,
    note: str = "",
) -> object:
    """A fitted non-negative duration (days), or the stated default when data are too few.

    `note` says what the values are, in the report row after the fit's own reason.
    """
    values = values[values >= 0]
    if values.size >= MIN_FIT_VALUES:
        result = fit_continuous(values, max_empirical_values=EMPIRICAL_VALUES)
        aic, gof_p = chosen_statistics(result)
        reason = f"{result.reason}; {note}" if note else result.reason
        report.add(quantity, group, result.dist, result.n, source, False, reason, aic, gof_p)
        report.values.durations.append((quantity, group, values, result.dist))
        return result.dist
    report.values.durations.append((quantity, group, values, default))
    reason = f"fewer than {MIN_FIT_VALUES} values; default {default:g} days"
    report.add(
        quantity,
        group,
        default,
        int(values.size),
        source,
        True,
        f"{reason}; {note}" if note else reason,
    )
    return default


def fitted_count(values: np.ndarray) -> FitResult:
    """A count fit, or with too few values their empirical distribution (said in the reason)."""
    if values.size >= MIN_FIT_VALUES:
        return fit_count(values)
    kept = values if values.size else np.array([1.0])
    return FitResult(
        dist={"dist": "empirical", "values": [float(v) for v in kept]},
        table=pd.DataFrame({"chosen": [True], "aic": [np.nan], "gof_p": [np.nan]}),
        n=int(values.size),
        reason=f"fewer than {MIN_FIT_VALUES} values: their empirical distribution",
    )


def ordered_lines(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    lines = tables["order_lines"]
    return lines[(lines["status"] == "ordered") & (lines["quantity"] > 0)]


def scenario_key(text: str) -> str:
    """A key the scenario schema accepts: letters, digits and ``_.-``, starting with one."""
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "_" for c in text.strip())
    if not cleaned or not cleaned[0].isalnum():
        cleaned = "x" + cleaned
    return cleaned[:80]


def orders_with_lines(
    tables: dict[str, pd.DataFrame], step: str, none_left: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders and ordered lines as the fits use them: not cancelled, with ordered lines.

    `step` names the step in the messages (``Calibration``, ``Validation``); `none_left` ends the
    message when no order is left.
    """
    for required in ("orders", "order_lines"):
        if required not in tables or tables[required].empty:
            raise InputError(f"{step} needs the '{required}' table with rows; none was given")
    orders = tables["orders"]
    orders = orders[orders["status"] != "cancelled"]
    lines = ordered_lines(tables)
    lines = lines[isin(lines["order_id"], orders["order_id"])]
    orders = orders[isin(orders["order_id"], lines["order_id"])]
    if orders.empty:
        raise InputError(f"{step} found no orders with ordered lines {none_left}")
    return orders, lines
