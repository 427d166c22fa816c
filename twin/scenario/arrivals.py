"""How a segment's orders arrive: a Poisson process with a calendar of multipliers, or replayed
history.

The Poisson rate per day is built from weekday and month multipliers, a piecewise-linear trend and
named events (:data:`EVENT_RULES`); ``twin.scenario.arrival_rates`` turns these sections into
daily rates.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from twin.scenario.common import Name, Section

#: Rules an arrival event may name; twin.scenario.arrival_rates expands each to its dates in any
#: year.
EVENT_RULES = (
    "black_friday",
    "cyber_monday",
    "christmas_eve",
    "christmas_day",
    "new_years_eve",
    "new_years_day",
    "public_holidays",
)


class TrendChange(Section):
    """A change of the arrival trend's slope: from ``date`` on, the trend is ``trend_per_year``.

    Slopes are in the same unit as :attr:`PoissonArrivals.trend_per_year`: the yearly change of
    the trend factor, which is 1 on ``run.start_date``.
    """

    date: dt.date
    trend_per_year: float = Field(description="Slope of the trend factor from this date on.")


class ArrivalEvent(Section):
    """A named group of days with their own arrival multiplier (Black Friday, public holidays).

    The days are either listed (``dates``) or computed for every year of the run by a ``rule``
    (see :data:`EVENT_RULES`; ``public_holidays`` needs ``country``, an ISO 3166 code such as
    ``BR``). ``offset_days`` shifts each date and ``duration_days`` makes each an event of that
    many consecutive days, so the weekend after Black Friday is ``{rule: black_friday,
    offset_days: 1, duration_days: 2}``.
    """

    name: Name
    dates: list[dt.date] = Field(default_factory=list)
    rule: str | None = None
    country: str | None = None
    offset_days: int = Field(0, ge=-366, le=366)
    duration_days: PositiveInt = Field(1, le=366)
    multiplier: NonNegativeFloat

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, rule: str | None) -> str | None:
        if rule is not None and rule not in EVENT_RULES:
            raise ValueError(f"unknown rule {rule!r}; known rules are {', '.join(EVENT_RULES)}")
        return rule

    @model_validator(mode="after")
    def _days_given(self) -> ArrivalEvent:
        if not self.dates and self.rule is None:
            raise ValueError(
                f"event {self.name!r} has no days: give 'dates' (a list) or a 'rule' "
                f"({', '.join(EVENT_RULES)})"
            )
        if self.dates and self.rule is not None:
            raise ValueError(f"event {self.name!r}: give either 'dates' or 'rule', not both")
        if (self.rule == "public_holidays") != (self.country is not None):
            raise ValueError(
                f"event {self.name!r}: 'country' goes with rule public_holidays, and that rule "
                "needs it (an ISO 3166 code such as BR)"
            )
        if self.country is not None:
            import holidays  # only needed for this rule

            if self.country not in holidays.list_supported_countries():
                raise ValueError(
                    f"event {self.name!r}: no public holidays are known for country "
                    f"{self.country!r}; give an ISO 3166 alpha-2 code such as BR, DE or US"
                )
        return self


class RateNoise(Section):
    """Day-to-day variation of the arrival rate beyond the calendar: a mean-one multiplier.

    The rate of day d is multiplied by ``M_d = exp(X_d - sd_log**2 / 2)``, where ``X`` is a
    stationary Gaussian AR(1) series with standard deviation ``sd_log`` and lag-one
    autocorrelation ``autocorrelation``, so ``E[M_d] = 1`` and the daily counts are
    Poisson-lognormal: ``Var(N_d) = mu_d + mu_d**2 * (exp(sd_log**2) - 1)``.
    """

    sd_log: PositiveFloat = Field(le=3.0, description="Stationary sd of the log multiplier.")
    autocorrelation: float = Field(
        0.0, ge=0.0, lt=1.0, description="Lag-one autocorrelation of the log multiplier."
    )


class RateUncertainty(Section):
    """The sampling uncertainty of a fitted rate and trend, drawn per replication when
    ``run.parameter_uncertainty`` is on.

    A replication multiplies ``rate_per_day`` by ``exp(a)`` and adds ``b`` to every slope of the
    trend (``trend_per_year`` and each change), so the trend factor gains ``b * d / 365`` on day
    d; ``(a, b)`` is bivariate normal with mean 0, standard deviations ``log_rate_sd`` and
    ``trend_sd`` and correlation ``correlation``. A month the history did not show
    (``unseen_months``) has a factor that is a guess: a replication multiplies its rate by
    ``exp(month_sd * z - month_sd**2 / 2)``, z standard normal, one per month and replication.

    ``shared_sd`` adds ``shared_sd * z_c`` to ``a``, where ``z_c`` is one standard normal per
    replication that every segment shares: the doubt about a reading of the history that holds
    for the whole company (growth or season, :mod:`twin.calibration.season_reading`), not for
    one segment's sample. The segment's log rate then has sd ``sqrt(log_rate_sd**2 +
    shared_sd**2)``, and the segments move together by that part, so their total spreads as
    much as the reading is in doubt.

    ``trend_change_rate`` and ``trend_change_scale`` say that the trend may bend again after
    the history, as often and as much as it did within it (the future-trend uncertainty of
    Taylor and Letham's Prophet): each replication draws a Poisson number of changes over the
    days from ``changes_from`` to the end of the run, each on a uniformly drawn day, each
    adding a Laplace-distributed step of mean absolute size ``trend_change_scale`` to the slope
    in effect (:func:`twin.model.arrivals.future_trend_changes`).
    """

    log_rate_sd: NonNegativeFloat = Field(le=3.0, description="Sd of log(rate_per_day).")
    trend_sd: NonNegativeFloat = Field(
        0.0, description="Sd of the trend slope from day 0 on, per year."
    )
    correlation: float = Field(0.0, ge=-1.0, le=1.0, description="Correlation of the two.")
    unseen_months: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=list,
        description="Months (1-12) the history gave no factor of their own: each replication "
        "multiplies each of them by its own mean-one lognormal factor.",
    )
    month_sd: NonNegativeFloat = Field(
        0.0, le=3.0, description="Sd of the log of an unseen month's factor."
    )
    shared_sd: NonNegativeFloat = Field(
        0.0,
        le=3.0,
        description="Sd of a log(rate) term drawn once per replication for every segment alike.",
    )
    trend_change_rate: NonNegativeFloat = Field(
        0.0,
        le=52.0,
        description="Changes of the trend's slope per year to expect after changes_from: each "
        "replication draws their number (Poisson), days (uniform) and sizes (Laplace).",
    )
    trend_change_scale: NonNegativeFloat = Field(
        0.0,
        description="Mean absolute size of a drawn slope change, per year (the unit of "
        "trend_per_year).",
    )
    changes_from: dt.date | None = Field(
        None,
        description="First day a drawn slope change can fall on (the day after the history); "
        "default run.start_date. Never before the day after the last of trend_changes.",
    )


class PoissonArrivals(Section):
    """Orders arrive as a Poisson process whose rate is constant within each day.

    The rate on day d is ``rate_per_day * weekday_multipliers[weekday] * monthly_multipliers[month]
    * trend(d)``, times ``holiday_multiplier`` on the listed holidays and the multiplier of the
    first listed event covering the day. The trend factor is 1 on day 0 and piecewise linear:
    its slope is ``trend_per_year`` (per year, in units of the day-0 rate) before the first of
    ``trend_changes`` and that change's slope from its date on; with no changes it is
    ``1 + trend_per_year * d / 365``. It is continuous, extends the last slope beyond the last
    change, and is floored at 0. Arrivals are spread uniformly over the day.

    ``overdispersion`` (:class:`RateNoise`) makes the rate vary from day to day around this
    calendar, as real daily counts do; ``uncertainty`` (:class:`RateUncertainty`) states how well
    the rate and trend are known, and is drawn from only when ``run.parameter_uncertainty`` is
    on. Without them the counts are Poisson with exactly these rates.
    """

    kind: Literal["poisson"]
    rate_per_day: PositiveFloat
    weekday_multipliers: list[NonNegativeFloat] = Field(
        default_factory=lambda: [1.0] * 7,
        min_length=7,
        max_length=7,
        description="Monday..Sunday.",
    )
    monthly_multipliers: list[NonNegativeFloat] = Field(
        default_factory=lambda: [1.0] * 12,
        min_length=12,
        max_length=12,
        description="January..December.",
    )
    trend_per_year: float = Field(0.0, gt=-1.0, description="Linear growth of the rate per year.")
    trend_changes: list[TrendChange] = Field(
        default_factory=list, description="Later slopes of the trend, in date order."
    )
    holidays: list[dt.date] = Field(default_factory=list)
    holiday_multiplier: NonNegativeFloat = 1.0
    events: list[ArrivalEvent] = Field(
        default_factory=list, description="Named days with their own multipliers."
    )
    overdispersion: RateNoise | None = Field(
        None, description="Mean-one day-to-day multiplier of the rate (absent: Poisson)."
    )
    uncertainty: RateUncertainty | None = Field(
        None, description="Sampling uncertainty of rate and trend, for run.parameter_uncertainty."
    )

    @model_validator(mode="after")
    def _some_demand(self) -> PoissonArrivals:
        if not any(self.weekday_multipliers) or not any(self.monthly_multipliers):
            raise ValueError("the multipliers leave no day with demand; at least one must be > 0")
        dates = [change.date for change in self.trend_changes]
        for before, after in itertools.pairwise(dates):
            if after <= before:
                raise ValueError(
                    f"trend_changes must be in increasing date order; {after} follows {before}"
                )
        names = [event.name for event in self.events]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"events: the name(s) {', '.join(repeated)} are used twice")
        return self


class ReplayArrivals(Section):
    """Orders arrive at historical times: a list of timestamps, or a CSV column of them."""

    kind: Literal["replay"]
    times: list[dt.datetime | dt.date] | None = None
    file: str | None = None
    column: str | None = None

    @field_validator("times")
    @classmethod
    def _local_times(cls, times: list[dt.datetime | dt.date] | None) -> object:
        for number, time in enumerate(times or []):
            if isinstance(time, dt.datetime) and time.tzinfo is not None:
                raise ValueError(
                    f"item {number} ({time.isoformat()}) has a UTC offset; give local times "
                    "without one"
                )
        return times

    @model_validator(mode="after")
    def _one_source(self) -> ReplayArrivals:
        if (self.times is None) == (self.file is None):
            raise ValueError("give either 'times' (a list) or 'file' with 'column', not both")
        if self.file is not None and not self.column:
            raise ValueError("'file' needs 'column', the name of the column holding order times")
        return self


Arrivals = Annotated[PoissonArrivals | ReplayArrivals, Field(discriminator="kind")]
