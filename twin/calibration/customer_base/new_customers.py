"""The arrival of new customers: the segment's calendar at the rate the first-order split gives.

:mod:`.first_purchases` splits the extract's first orders into new customers (``nu`` per clock
day) and old customers seen for the first time. New customers then arrive as a Poisson process
on the segment's own calendar (its weekday, month and event multipliers, the clock the split was
fitted on) at rate ``nu``, without a trend (the split has none to fit), and with the standard
error of ``log nu`` as the rate's ``uncertainty``. A closed panel (the split's choice by AIC)
gets none, and a note says so.
"""

from __future__ import annotations

from twin.calibration.customer_base.first_purchases import FirstPurchaseFit

MIN_NEW_CUSTOMERS = 30
"""Fewest first orders in the extract for a split; with fewer, no new customers are written."""
CALENDAR_KEYS = (
    "weekday_multipliers",
    "monthly_multipliers",
    "events",
    "holidays",
    "holiday_multiplier",
)
"""The keys of the segment's arrivals that new-customer arrivals share."""


def new_customers_spec(
    split: FirstPurchaseFit, arrivals: dict | None, notes: list[str], segment: str
) -> dict | None:
    """The ``new_customers`` arrivals spec of a segment, or None (with a note) when the split
    found none or had too few first orders to go on.

    ``arrivals`` is the segment's fitted Poisson arrivals mapping (None on a flat calendar).
    """
    if split.first_orders < MIN_NEW_CUSTOMERS:
        notes.append(
            f"segment {segment}: {split.first_orders} first orders are too few "
            f"(< {MIN_NEW_CUSTOMERS}) to fit new-customer arrivals; none are written"
        )
        return None
    if split.closed:
        notes.append(
            f"segment {segment}: a closed panel: the first orders are explained by customers "
            "present from the start, seen for the first time (AIC "
            f"{split.aic_closed:.1f} against {split.aic_open:.1f} with new customers); no "
            "new-customer arrivals are written"
        )
        return None
    spec: dict = {"kind": "poisson", "rate_per_day": split.new_per_day}
    if arrivals is not None:
        spec.update({key: arrivals[key] for key in CALENDAR_KEYS if key in arrivals})
    spec["trend_per_year"] = 0.0
    spec["uncertainty"] = {"log_rate_sd": split.log_rate_sd, "trend_sd": 0.0, "correlation": 0.0}
    return spec
