"""How a KPI value is written for people: one place, so a number reads the same everywhere.

`format_value` and `format_interval` are used by the terminal tables, the PDF reports and charts,
the CI gate's JUnit and Markdown summaries and the commands' one-line messages. Decimals are chosen
by the KPI's unit.
"""

from __future__ import annotations

import math
from numbers import Real

#: Decimals shown per KPI unit. Money is shown in whole units because planners compare totals;
#: means of counts keep one decimal because an average over replications is rarely whole.
DECIMALS_BY_UNIT: dict[str, int] = {
    "currency": 0,
    "ratio": 3,
    "days": 2,
    "orders": 1,
    "units": 1,
    "lines": 1,
    "sku-days": 1,
}

#: Decimals for a unit not listed in `DECIMALS_BY_UNIT`.
DEFAULT_DECIMALS = 2

#: Text shown for a value that is missing or not a number (e.g. a CI from one replication).
MISSING = "n/a"


def _unit_key(unit: object) -> str:
    """Normalise a unit cell: pandas reads an empty cell as NaN."""
    if not isinstance(unit, str):
        return ""
    return unit.strip().lower()


def format_value(value: object, unit: object) -> str:
    """Write one KPI value for people: thousands separators, decimals chosen by unit.

    Parameters
    ----------
    value : float
        The value in the KPI's own unit. ``None`` and NaN are shown as ``"n/a"``.
    unit : str
        The KPI unit as written in ``summary.csv`` (``"currency"``, ``"ratio"``, ``"days"``,
        ``"orders"``, ``"units"``, ``"sku-days"``, or anything else). Case and surrounding
        blanks are ignored.

    Returns
    -------
    str
        For example ``"1,234,568"`` (currency), ``"0.953"`` (ratio), ``"4.25"`` (days).

    Examples
    --------
    >>> format_value(1234567.8, "currency")
    '1,234,568'
    >>> format_value(0.95312, "ratio")
    '0.953'
    >>> format_value(float("nan"), "days")
    'n/a'
    """
    if value is None or isinstance(value, bool) or not isinstance(value, Real):
        return MISSING
    number = float(value)
    if math.isnan(number):
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    decimals = DECIMALS_BY_UNIT.get(_unit_key(unit), DEFAULT_DECIMALS)
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a tiny negative never prints as "-0".
    rounded = round(number, decimals) + 0.0
    return f"{rounded:,.{decimals}f}"


def format_interval(low: object, high: object, unit: object) -> str:
    """Write a confidence interval as ``"low – high"`` with `format_value`.

    Parameters
    ----------
    low, high : float
        Interval bounds in the KPI's unit. If either is missing (one replication gives no
        interval) the result is ``"n/a"``.
    unit : str
        The KPI unit, as for `format_value`.

    Returns
    -------
    str
        For example ``"1,200,000 – 1,260,000"``.
    """
    low_text, high_text = format_value(low, unit), format_value(high, unit)
    if MISSING in (low_text, high_text):
        return MISSING
    return f"{low_text} – {high_text}"
