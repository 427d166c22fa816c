"""The ``staffing`` section: work calendars (shifts, weekdays, holidays) and the staff roles, with
headcount plans and overtime.

Shift times are written ``"HH:MM-HH:MM"``; :func:`parse_shift` reads them as hours of the day.
The work each role does is stated where it is asked for; here only who works, when, and at what
cost.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re

from pydantic import (
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from twin.distributions import DistributionSpec
from twin.scenario.common import WEEKDAYS, Name, Section, Weekday
from twin.scenario.common import require_nonnegative as _require_nonnegative
from twin.scenario.run_control import RunControl

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
