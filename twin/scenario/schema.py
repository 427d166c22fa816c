"""The scenario file's schema: what a planner may write, with its defaults and cross-checks.

A scenario is a plain YAML mapping validated into these frozen pydantic models; unknown keys are
errors, so a typo never silently becomes a default. Time is in days throughout, except where a key
names another unit (``minutes_per_order``, ``cost_per_hour``, shift times as ``"HH:MM-HH:MM"``).
Money is in one currency, the scenario's own.

The models hold no behaviour beyond validation; ``twin.model`` turns a validated scenario into a
running SimPy network.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from twin.distributions import DistributionSpec
from twin.errors import InputError
from twin.scenario.checks import Check
from twin.scenario.common import (
    WEEKDAYS,
    Name,
    Probability,
    Section,
    Weekday,
)
from twin.scenario.common import require_nonnegative as _require_nonnegative
from twin.scenario.credit import CreditPolicy
from twin.scenario.credit import check_references as check_credit
from twin.scenario.customers import CustomerLoop
from twin.scenario.customers import check_references as check_customers
from twin.scenario.promotions import Promotion
from twin.scenario.promotions import check_references as check_promotions
from twin.scenario.service import AfterSales
from twin.scenario.service import check_references as check_after_sales

# --------------------------------------------------------------------------- run control


class RunControl(Section):
    """How long to simulate, how often, and from which seed."""

    start_date: dt.date = Field(dt.date(2026, 1, 1), description="Calendar date of day 0.")
    horizon_days: PositiveFloat = Field(365.0, description="Simulated length of each replication.")
    warmup_days: NonNegativeFloat = Field(0.0, description="Initial period excluded from KPIs.")
    replications: PositiveInt = Field(10, description="Independent replications to run.")
    seed: NonNegativeInt = Field(12345, description="Root of every random stream.")

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> RunControl:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days: {self.warmup_days:g} days must be shorter than horizon_days "
                f"({self.horizon_days:g}), or no time is left to measure"
            )
        return self


# --------------------------------------------------------------------------- products, suppliers


class Product(Section):
    """One stock-keeping unit."""

    sku: Name
    unit_cost: NonNegativeFloat = Field(description="Purchase cost per unit (currency).")
    price: NonNegativeFloat = Field(description="List selling price per unit (currency).")
    supplier: Name
    category: Name | None = None


class Supplier(Section):
    """Where stock comes from and how long it takes."""

    lead_time_days: DistributionSpec = Field(description="Days from purchase order to receipt.")
    min_order_quantity: NonNegativeInt = Field(0, description="Smallest purchase order, units.")

    _lead_nonneg = field_validator("lead_time_days")(
        lambda v: _require_nonnegative(v, "a lead time")
    )


# --------------------------------------------------------------------------- demand


#: Rules an arrival event may name; twin.model.demand expands each to its dates in any year.
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


class PoissonArrivals(Section):
    """Orders arrive as a Poisson process whose rate is constant within each day.

    The rate on day d is ``rate_per_day * weekday_multipliers[weekday] * monthly_multipliers[month]
    * trend(d)``, times ``holiday_multiplier`` on the listed holidays and the multiplier of the
    first listed event covering the day. The trend factor is 1 on day 0 and piecewise linear:
    its slope is ``trend_per_year`` (per year, in units of the day-0 rate) before the first of
    ``trend_changes`` and that change's slope from its date on; with no changes it is
    ``1 + trend_per_year * d / 365``. It is continuous, extends the last slope beyond the last
    change, and is floored at 0. Arrivals are spread uniformly over the day.
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


class SkuMix(Section):
    """Which SKUs a segment's order lines ask for.

    ``uniform``: every eligible SKU alike. ``zipf``: the r-th eligible SKU in catalogue order has
    weight ``r ** -exponent``. ``weights``: explicit weights by SKU. ``categories`` restricts the
    eligible SKUs of ``uniform`` and ``zipf``.
    """

    kind: Literal["uniform", "zipf", "weights"] = "uniform"
    exponent: PositiveFloat = 1.0
    weights: dict[str, NonNegativeFloat] | None = None
    categories: list[str] | None = None

    @model_validator(mode="after")
    def _weights_given(self) -> SkuMix:
        if (self.kind == "weights") != (self.weights is not None):
            raise ValueError("'weights' is required with kind: weights, and only allowed there")
        if self.weights is not None and not any(self.weights.values()):
            raise ValueError("at least one weight must be > 0")
        if self.weights is not None and self.categories is not None:
            raise ValueError(
                "'categories' applies to uniform and zipf mixes; with weights, "
                "give weights only for the SKUs wanted"
            )
        return self


class PaymentBehaviour(Section):
    """How a segment's customers pay their invoices."""

    terms_days: NonNegativeFloat = Field(30.0, description="Due date = invoice date + terms.")
    delay_days: DistributionSpec = Field(
        30.0,
        validate_default=True,
        description="Days from invoice to payment for invoices that are paid.",
    )
    default_probability: Probability = Field(0.0, description="Share of invoices never paid.")
    write_off_after_days: PositiveFloat = Field(
        120.0, description="Days from invoice until an unpaid (defaulted) invoice is written off."
    )

    _delay_nonneg = field_validator("delay_days")(
        lambda v: _require_nonnegative(v, "a payment delay")
    )


class Segment(Section):
    """A group of customers with one demand pattern and one payment behaviour."""

    customers: PositiveInt = Field(
        100, description="Number of customers; orders pick one uniformly."
    )
    arrivals: Arrivals
    lines_per_order: DistributionSpec = Field(
        1.0, validate_default=True, description="Lines per order; draws are rounded and at least 1."
    )
    sku_mix: SkuMix = Field(default_factory=SkuMix)
    quantity: DistributionSpec = Field(
        1.0, validate_default=True, description="Units per line; draws are rounded and at least 1."
    )
    payment: PaymentBehaviour = Field(default_factory=PaymentBehaviour)
    promised_lead_time_days: PositiveFloat = Field(5.0, description="Order to promised delivery.")
    transit_days: DistributionSpec = Field(
        1.0, validate_default=True, description="Shipment to delivery."
    )
    handling_days: DistributionSpec = Field(
        0.0,
        validate_default=True,
        description="Order processing not modelled by staff: days from the order's release "
        "(after the order desk, if staffed) until its first shipment is ready to pick; a delay "
        "drawn per order, not a queue. Waiting for stock runs alongside it. 0: none.",
    )

    _transit_nonneg = field_validator("transit_days")(
        lambda v: _require_nonnegative(v, "a transit time")
    )
    _handling_nonneg = field_validator("handling_days")(
        lambda v: _require_nonnegative(v, "a handling time")
    )


# --------------------------------------------------------------------------- inventory


class _Levels(Section):
    """Policy levels are given either in units or in days of expected demand (``..._days``)."""

    @model_validator(mode="after")
    def _each_level_once(self) -> _Levels:
        for name in self._level_names:
            units, days = getattr(self, name), getattr(self, f"{name}_days")
            if (units is None) == (days is None):
                raise ValueError(f"give exactly one of '{name}' (units) and '{name}_days' (days)")
        return self

    _level_names: tuple[str, ...] = ()


class BaseStock(_Levels):
    """Order up to ``level`` whenever the inventory position falls below it."""

    kind: Literal["base_stock"]
    level: NonNegativeInt | None = None
    level_days: NonNegativeFloat | None = None
    _level_names = ("level",)


class MinMax(_Levels):
    """(s, S): when the inventory position is at or below ``reorder_point``, order up to
    ``order_up_to``."""

    kind: Literal["min_max"]
    reorder_point: NonNegativeInt | None = None
    reorder_point_days: NonNegativeFloat | None = None
    order_up_to: NonNegativeInt | None = None
    order_up_to_days: NonNegativeFloat | None = None
    _level_names = ("reorder_point", "order_up_to")

    @model_validator(mode="after")
    def _s_below_big_s(self) -> MinMax:
        pairs = (
            ("reorder_point", "order_up_to", self.reorder_point, self.order_up_to),
            (
                "reorder_point_days",
                "order_up_to_days",
                self.reorder_point_days,
                self.order_up_to_days,
            ),
        )
        for s_name, big_name, s, big_s in pairs:
            if s is not None and big_s is not None and s >= big_s:
                raise ValueError(f"{s_name} ({s:g}) must be below {big_name} ({big_s:g})")
        return self


class ReorderPointQuantity(_Levels):
    """(R, Q): when the inventory position is at or below ``reorder_point``, order enough
    multiples of ``quantity`` to lift it above."""

    kind: Literal["reorder_point_quantity"]
    reorder_point: NonNegativeInt | None = None
    reorder_point_days: NonNegativeFloat | None = None
    quantity: PositiveInt | None = None
    quantity_days: PositiveFloat | None = None
    _level_names = ("reorder_point", "quantity")


Policy = Annotated[BaseStock | MinMax | ReorderPointQuantity, Field(discriminator="kind")]


class ContinuousReview(Section):
    kind: Literal["continuous"]


class PeriodicReview(Section):
    kind: Literal["periodic"]
    period_days: PositiveFloat
    first_review_day: NonNegativeFloat = 0.0


Review = Annotated[ContinuousReview | PeriodicReview, Field(discriminator="kind")]


class InventoryRule(Section):
    """Stocking rule for all SKUs, a category or one SKU; unset fields inherit."""

    policy: Policy | None = None
    review: Review | None = None
    shortage: Literal["backorder", "lost_sale"] | None = None
    initial_on_hand: NonNegativeInt | None = Field(
        None, description="Units on hand at day 0; default: the policy's order-up-to level."
    )
    initial_on_hand_days: NonNegativeFloat | None = None

    @model_validator(mode="after")
    def _initial_once(self) -> InventoryRule:
        if self.initial_on_hand is not None and self.initial_on_hand_days is not None:
            raise ValueError("give at most one of 'initial_on_hand' and 'initial_on_hand_days'")
        return self


class Inventory(Section):
    """Stocking rules, layered: ``default`` < ``suppliers`` < ``categories`` < ``skus``."""

    default: InventoryRule
    suppliers: dict[str, InventoryRule] = Field(default_factory=dict)
    categories: dict[str, InventoryRule] = Field(default_factory=dict)
    skus: dict[str, InventoryRule] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _default_complete(self) -> Inventory:
        if self.default.policy is None:
            raise ValueError("inventory.default needs a 'policy'")
        return self


class Fulfilment(Section):
    """How orders leave the warehouse when some lines are short."""

    mode: Literal["ship_partial", "ship_complete"] = Field(
        "ship_partial",
        description="ship_partial: ship what is on hand, the rest as it arrives; "
        "ship_complete: hold the order until every line is filled.",
    )


# --------------------------------------------------------------------------- staffing

_SHIFT = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_shift(text: str) -> tuple[float, float]:
    """``"08:00-17:00"`` -> ``(8.0, 17.0)`` in hours of the day."""
    match = _SHIFT.match(text)
    if not match:
        raise ValueError(f"a shift is written 'HH:MM-HH:MM', got {text!r}")
    h0, m0, h1, m1 = (int(g) for g in match.groups())
    start, end = h0 + m0 / 60, h1 + m1 / 60
    if m0 > 59 or m1 > 59 or not 0 <= start < end <= 24:
        raise ValueError(f"shift {text!r} must start before it ends, within 00:00-24:00")
    return start, end


class Calendar(Section):
    """Working time: shifts on working weekdays, except holidays."""

    shifts: list[str] = Field(default_factory=lambda: ["08:00-17:00"], min_length=1)
    weekdays: list[Weekday] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    holidays: list[dt.date] = Field(default_factory=list)

    @field_validator("shifts")
    @classmethod
    def _shifts_valid(cls, shifts: list[str]) -> list[str]:
        spans = sorted(parse_shift(s) for s in shifts)
        for (_, end), (start, _) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"shifts overlap: {shifts}")
        return shifts

    def shift_hours(self) -> list[tuple[float, float]]:
        return sorted(parse_shift(s) for s in self.shifts)

    def weekday_numbers(self) -> list[int]:
        return sorted({WEEKDAYS.index(d) for d in self.weekdays})

    @property
    def always_open(self) -> bool:
        return (
            self.shift_hours() == [(0.0, 24.0)]
            and len(set(self.weekdays)) == 7
            and not (self.holidays)
        )

    def works_between(self, first: dt.date, last: dt.date) -> bool:
        """Whether any day from ``first`` to ``last`` (inclusive) is a working day."""
        weekdays, holidays = set(self.weekday_numbers()), set(self.holidays)
        day = first
        while day <= last:
            if day.weekday() in weekdays and day not in holidays:
                return True
            day += dt.timedelta(days=1)
        return False


class PlanStep(Section):
    """From the start of ``from`` on, the role is planned to have ``headcount`` people."""

    # 'from' is a Python keyword; written back under its YAML name in the effective scenario
    model_config = ConfigDict(**Section.model_config, serialize_by_alias=True)

    start: dt.date = Field(alias="from", description="First date of this headcount (00:00).")
    headcount: NonNegativeInt = Field(
        description="People from this date on; 0 closes the role (its jobs wait)."
    )


class Overtime(Section):
    """Extra hours after the last shift of each matching working day, paid at a premium."""

    model_config = ConfigDict(**Section.model_config, serialize_by_alias=True)

    start: dt.date = Field(alias="from", description="First date with overtime.")
    until: dt.date = Field(description="Last date with overtime (inclusive).")
    weekdays: list[Weekday] | None = Field(
        None,
        description="Weekdays with overtime, each a working weekday of the role's calendar; "
        "default: every working weekday. Holidays have none.",
    )
    extra_hours: PositiveFloat = Field(
        le=24.0, description="Hours appended after the day's last shift end, per head."
    )
    premium: NonNegativeFloat = Field(
        1.5, description="Overtime pay as a multiple of cost_per_hour."
    )

    @model_validator(mode="after")
    def _until_after_from(self) -> Overtime:
        if self.until < self.start:
            raise ValueError(f"until: {self.until} is before from ({self.start})")
        return self

    def dates(self, weekdays: set[int]) -> list[dt.date]:
        """The dates of this overtime that fall on one of ``weekdays`` (0 = Monday)."""
        wanted = {WEEKDAYS.index(d) for d in self.weekdays} if self.weekdays else weekdays
        found = []
        day = self.start
        while day <= self.until:
            if day.weekday() in wanted:
                found.append(day)
            day += dt.timedelta(days=1)
        return found


class Role(Section):
    """Staff of one role: how many, when they work, what they cost.

    ``headcount`` is the number of people until the first ``plan`` step; each step sets the
    planned headcount from its date on. An increase takes effect ``hiring_lag_days`` after its
    date (hiring and training), a decrease at once: the people counted on a day are the fewest
    planned at any time in the ``hiring_lag_days`` before it.
    """

    headcount: PositiveInt = Field(description="People at the start (until the first plan step).")
    calendar: str = Field(description="Name of a calendar in staffing.calendars.")
    cost_per_hour: NonNegativeFloat = Field(0.0, description="Paid per scheduled hour per head.")
    plan: list[PlanStep] = Field(
        default_factory=list, description="Headcount changes by date, dates increasing."
    )
    hiring_lag_days: NonNegativeFloat = Field(
        0.0, description="Days from a planned increase until the new people work."
    )
    overtime: list[Overtime] = Field(
        default_factory=list, description="Periods of extra hours after the last shift."
    )

    @model_validator(mode="after")
    def _plan_in_order(self) -> Role:
        for number in range(1, len(self.plan)):
            before, after = self.plan[number - 1].start, self.plan[number].start
            if after <= before:
                raise ValueError(
                    f"plan.{number}.from: {after} must come after {before} (plan.{number - 1}); "
                    "plan dates must increase"
                )
        seen: dict[dt.date, int] = {}
        for number, period in enumerate(self.overtime):
            for day in period.dates(set(range(7))):
                if day in seen:
                    raise ValueError(
                        f"overtime.{number}: overlaps overtime.{seen[day]} on {day}; give each "
                        "day at most one overtime"
                    )
                seen[day] = number
        return self


class OrderDeskRole(Role):
    """Enters and checks each order before it is released to the warehouse."""

    minutes_per_order: DistributionSpec

    _nonneg = field_validator("minutes_per_order")(
        lambda v: _require_nonnegative(v, "a processing time")
    )


class WarehouseRole(Role):
    """Picks, packs and dispatches each shipment."""

    minutes_per_shipment: DistributionSpec
    minutes_per_line: DistributionSpec = Field(0.0, validate_default=True)

    _nonneg = field_validator("minutes_per_shipment", "minutes_per_line")(
        lambda v: _require_nonnegative(v, "a picking time")
    )


class ShippingRole(Role):
    """Loads and hands each picked shipment to the carrier."""

    minutes_per_shipment: DistributionSpec

    _nonneg = field_validator("minutes_per_shipment")(
        lambda v: _require_nonnegative(v, "a shipping time")
    )


class Staffing(Section):
    """Staff roles; a role left out adds no delay (work flows straight through).

    The work of the credit analysts, service engineers and sales reps is stated where it is
    asked for (``credit``, ``after_sales``, ``customers.pipeline``); here only who and when.
    """

    calendars: dict[Name, Calendar] = Field(default_factory=dict)
    order_desk: OrderDeskRole | None = None
    warehouse: WarehouseRole | None = None
    shipping: ShippingRole | None = None
    credit_analyst: Role | None = None
    service_engineer: Role | None = None
    sales_rep: Role | None = None

    @model_validator(mode="after")
    def _calendars_known(self) -> Staffing:
        for role_name, role in self.roles().items():
            if role.calendar not in self.calendars:
                known = ", ".join(sorted(self.calendars)) or "none defined"
                raise ValueError(
                    f"{role_name}.calendar: {role.calendar!r} is not in staffing.calendars "
                    f"({known})"
                )
            for number, period in enumerate(role.overtime):
                _check_overtime(f"{role_name}.overtime.{number}", period, role, self.calendars)
        return self

    def check_run(self, run: RunControl) -> None:
        """Every staffed role's calendar has working time in the run (else its jobs never end)."""
        last = run.start_date + dt.timedelta(days=max(math.ceil(run.horizon_days) - 1, 0))
        for name in sorted({role.calendar for role in self.roles().values()}):
            if not self.calendars[name].works_between(run.start_date, last):
                raise ValueError(
                    f"staffing.calendars.{name}: no working hours from {run.start_date} to {last} "
                    "(every working weekday of the run is a holiday); a staffed role's calendar "
                    "needs working time in the run"
                )

    def roles(self) -> dict[str, Role]:
        """The roles present, by name, in process order."""
        found = {
            "order_desk": self.order_desk,
            "warehouse": self.warehouse,
            "shipping": self.shipping,
            "credit_analyst": self.credit_analyst,
            "service_engineer": self.service_engineer,
            "sales_rep": self.sales_rep,
        }
        return {name: role for name, role in found.items() if role is not None}


def _check_overtime(path: str, period: Overtime, role: Role, calendars: dict) -> None:
    """Overtime extends a working day of the role's calendar, and ends by midnight."""
    calendar = calendars[role.calendar]
    for number, day in enumerate(period.weekdays or []):
        if day not in calendar.weekdays:
            raise ValueError(
                f"{path}.weekdays.{number}: {day!r} is not a working weekday of calendar "
                f"{role.calendar!r} ({', '.join(calendar.weekdays)}); overtime extends a working "
                "day after its last shift"
            )
    last_end = calendar.shift_hours()[-1][1]
    if last_end + period.extra_hours > 24.0:
        raise ValueError(
            f"{path}.extra_hours: {period.extra_hours:g} h after the last shift end "
            f"(hour {last_end:g}) runs past midnight; at most {24.0 - last_end:g} h"
        )


# --------------------------------------------------------------------------- costs


class HoldingCost(Section):
    """Cost of keeping stock: per unit per day, or an annual rate on the stock's value."""

    per_unit_day: NonNegativeFloat | None = None
    annual_rate: NonNegativeFloat | None = None

    @model_validator(mode="after")
    def _one_basis(self) -> HoldingCost:
        if (self.per_unit_day is None) == (self.annual_rate is None):
            raise ValueError("give exactly one of 'per_unit_day' and 'annual_rate'")
        return self


class OrderingCost(Section):
    per_order: NonNegativeFloat = Field(0.0, description="Fixed cost per purchase order.")
    per_unit: NonNegativeFloat = Field(0.0, description="Handling cost per unit ordered.")


class BackorderCost(Section):
    per_unit: NonNegativeFloat = Field(0.0, description="Penalty per unit short on arrival.")
    per_unit_day: NonNegativeFloat = Field(0.0, description="Penalty per unit per day backlogged.")


class FreightCost(Section):
    per_shipment: NonNegativeFloat = 0.0
    per_unit: NonNegativeFloat = 0.0


class Costs(Section):
    holding: HoldingCost = Field(default_factory=lambda: HoldingCost(annual_rate=0.0))
    ordering: OrderingCost = Field(default_factory=OrderingCost)
    backorder: BackorderCost = Field(default_factory=BackorderCost)
    freight: FreightCost = Field(default_factory=FreightCost)


# --------------------------------------------------------------------------- the scenario


class Scenario(Section):
    """A whole scenario: one company, its policies, and how to run it."""

    name: Name
    description: str = ""
    run: RunControl = Field(default_factory=RunControl)
    products: list[Product] = Field(default_factory=list)
    products_file: str | None = Field(
        None, description="CSV with columns sku, unit_cost, price, supplier[, category]."
    )
    suppliers: dict[Name, Supplier] = Field(min_length=1)
    segments: dict[Name, Segment] = Field(min_length=1)
    inventory: Inventory
    fulfilment: Fulfilment = Field(default_factory=Fulfilment)
    staffing: Staffing | None = None
    costs: Costs = Field(default_factory=Costs)
    promotions: list[Promotion] = Field(
        default_factory=list, description="Price promotions: when, what, how deep."
    )
    credit: CreditPolicy | None = Field(None, description="Credit rules at order entry.")
    after_sales: AfterSales | None = Field(None, description="Tickets, engineers, spare parts.")
    customers: CustomerLoop | None = Field(
        None, description="Satisfaction, repeat purchase and churn, and the CRM pipeline."
    )
    variants: dict[Name, dict[str, Any]] = Field(
        default_factory=dict,
        description="Named policy variants: overrides of this scenario, for `twin compare`.",
    )
    checks: list[Check] = Field(
        default_factory=list, description="KPI targets that `twin check` turns into a gate."
    )

    @model_validator(mode="before")
    @classmethod
    def _read_products_file(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("products_file") is None:
            return data
        if data.get("products"):
            raise ValueError(
                "products_file: give products inline ('products') or in 'products_file', not both"
            )
        return {**data, "products": read_products_csv(Path(str(data["products_file"])))}

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        if not self.products:
            raise ValueError("the scenario has no products: give 'products' or 'products_file'")
        skus = [p.sku for p in self.products]
        seen: set[str] = set()
        for sku in skus:
            if sku in seen:
                raise ValueError(f"SKU {sku!r} is listed twice in products")
            seen.add(sku)
        categories = {p.category for p in self.products if p.category}
        for number, product in enumerate(self.products):
            if product.supplier not in self.suppliers:
                raise ValueError(
                    f"products.{number}.supplier: product {product.sku!r} names supplier "
                    f"{product.supplier!r}, which is not in suppliers "
                    f"({', '.join(sorted(self.suppliers))})"
                )
        for name, segment in self.segments.items():
            mix = segment.sku_mix
            for sku in mix.weights or {}:
                if sku not in seen:
                    raise ValueError(f"segments.{name}.sku_mix.weights.{sku}: unknown SKU {sku!r}")
            for number, category in enumerate(mix.categories or []):
                if category not in categories:
                    raise ValueError(
                        f"segments.{name}.sku_mix.categories.{number}: unknown category "
                        f"{category!r}"
                    )
        for supplier in self.inventory.suppliers:
            if supplier not in self.suppliers:
                raise ValueError(f"inventory.suppliers.{supplier}: unknown supplier {supplier!r}")
        for category in self.inventory.categories:
            if category not in categories:
                raise ValueError(f"inventory.categories.{category}: unknown category {category!r}")
        for sku in self.inventory.skus:
            if sku not in seen:
                raise ValueError(f"inventory.skus.{sku}: unknown SKU {sku!r}")
        return self

    @model_validator(mode="after")
    def _lever_references(self) -> Scenario:
        # each lever section checks what it names elsewhere (SKUs, segments, staff roles)
        check_promotions(self)
        check_credit(self)
        check_after_sales(self)
        check_customers(self)
        if self.staffing is not None:
            self.staffing.check_run(self.run)
        return self

    @property
    def horizon_days(self) -> float:
        return self.run.horizon_days

    @property
    def warmup_days(self) -> float:
        return self.run.warmup_days


PRODUCT_COLUMNS = ("sku", "unit_cost", "price", "supplier")


def read_products_csv(path: Path) -> list[dict]:
    """Rows of a products CSV as dicts; every row is checked by ``Product`` afterwards.

    A missing file or column raises :class:`InputError` naming the file, so the planner sees the
    CSV rather than the scenario key.
    """
    try:
        frame = pd.read_csv(path, dtype={"sku": str, "supplier": str, "category": str})
    except FileNotFoundError:
        raise InputError(f"products_file {path}: file not found") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read products_file {path}: {exc}") from None
    missing = [c for c in PRODUCT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"products_file {path} lacks column(s) {', '.join(missing)}; expected the columns "
            f"sku, unit_cost, price, supplier and optionally category"
        )
    extra = [c for c in frame.columns if c not in (*PRODUCT_COLUMNS, "category")]
    if extra:
        raise InputError(f"products_file {path} has unknown column(s) {', '.join(extra)}")
    rows = []
    # Data rows count from 1, the header excluded, as for empirical data files.
    for number, record in enumerate(frame.to_dict("records"), start=1):
        row = {k: v for k, v in record.items() if not (isinstance(v, float) and pd.isna(v))}
        try:
            rows.append(Product.model_validate(row).model_dump(exclude_none=True))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                + ("" if error["type"] == "missing" else f" (got {error['input']!r})")
                for error in exc.errors(include_url=False)
            )
            raise InputError(
                f"products_file {path}, row {number} (file line {number + 1}): {problems}"
            ) from None
    return rows
