"""The ``run`` section: how long to simulate, how many replications, and from which seed.

Time is in days; ``start_date`` is the calendar date of day 0, which the arrival calendar and the
staff calendars read.
"""

from __future__ import annotations

import datetime as dt

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from twin.scenario.common import Section
from twin.scenario.limits import MAX_HORIZON_DAYS, MAX_REPLICATIONS


class RunControl(Section):
    """How long to simulate, how often, and from which seed."""

    start_date: dt.date = Field(dt.date(2026, 1, 1), description="Calendar date of day 0.")
    horizon_days: PositiveFloat = Field(365.0, description="Simulated length of each replication.")
    warmup_days: NonNegativeFloat = Field(0.0, description="Initial period excluded from KPIs.")
    replications: PositiveInt = Field(10, description="Independent replications to run.")
    seed: NonNegativeInt = Field(12345, description="Root of every random stream.")
    parameter_uncertainty: bool = Field(
        False,
        description="Each replication draws the fitted parameters (arrival rates, customer "
        "purchase and drop-out rates, overdispersion) from their estimated sampling "
        "distribution, through the stream 'parameters'. On in calibrated models; turn it off "
        "for a pure policy comparison.",
    )

    @field_validator("horizon_days")
    @classmethod
    def _horizon_within_limit(cls, days: float) -> float:
        if days > MAX_HORIZON_DAYS:
            raise ValueError(
                f"{days:g} days is longer than twin simulates (at most {MAX_HORIZON_DAYS:g} "
                "days, a century); give a shorter horizon_days"
            )
        return days

    @field_validator("replications")
    @classmethod
    def _replications_within_limit(cls, n: int) -> int:
        if n > MAX_REPLICATIONS:
            raise ValueError(
                f"{n:,} replications are more than twin runs (at most {MAX_REPLICATIONS:,}); a "
                "few dozen usually give a KPI to within a few percent, and `twin compare "
                "--precision` adds replications until a target is met"
            )
        return n

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> RunControl:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days: {self.warmup_days:g} days must be shorter than horizon_days "
                f"({self.horizon_days:g}), or no time is left to measure"
            )
        return self
