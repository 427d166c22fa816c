"""The ``after_sales`` section: failures of shipped units, tickets, engineers and spare parts.

A delivered unit fails at most once, at an age drawn from a Weibull time to failure per product
(SKU over category over default). A failure is a ticket: its spare parts (a per-product list,
each entry needed with a probability) are taken from the same stock as customer orders, ahead of
the customer backlog; once every part is there the ticket goes to the ``service_engineer`` staff
role for travel plus repair. ``twin.model.service`` runs it; ``docs/levers/after_sales.md`` says
more.
"""

from __future__ import annotations

import math

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, field_validator

from twin.distributions import DistributionSpec
from twin.scenario.common import Name, Probability, Section
from twin.scenario.common import require_nonnegative as _require_nonnegative

DAYS_PER_YEAR = 365.0


class FailureRate(Section):
    """Time to failure of a delivered unit: Weibull with ``shape`` k and a scale set by the
    probability that a unit fails within its first year after delivery.

    P(age at failure <= t) = 1 - exp(-(t / lambda)**k), with
    lambda = 365 / (-ln(1 - annual_failure_probability))**(1/k) days. k = 1 is a constant hazard
    (random failures), k > 1 wear-out, k < 1 infant mortality.
    """

    annual_failure_probability: NonNegativeFloat = Field(
        description="Probability that a unit fails within 365 days of its delivery (0 <= p < 1)."
    )
    shape: PositiveFloat = Field(1.0, description="Weibull shape k (1: constant hazard).")

    @field_validator("annual_failure_probability")
    @classmethod
    def _below_one(cls, value: float) -> float:
        if value >= 1.0:
            raise ValueError(
                "must be below 1 (a unit that fails within the year for certain has no finite "
                f"Weibull scale), got {value:g}"
            )
        return value

    def scale_days(self) -> float:
        """Weibull scale lambda (days); infinite when the unit never fails."""
        hazard = -math.log1p(-self.annual_failure_probability)
        return math.inf if hazard == 0.0 else DAYS_PER_YEAR / hazard ** (1.0 / self.shape)

    def probability_by(self, age_days: float) -> float:
        """P(a unit fails at an age below ``age_days``)."""
        scale = self.scale_days()
        if age_days <= 0.0 or math.isinf(scale):
            return 0.0
        return -math.expm1(-((age_days / scale) ** self.shape))


class Failures(Section):
    """Failure rates by product: a SKU's own, else its category's, else the default (each
    replaces the ones below it whole)."""

    default: FailureRate = Field(
        default_factory=lambda: FailureRate(annual_failure_probability=0.0),
        description="Rate of products with no rate of their own (default: never fail).",
    )
    categories: dict[Name, FailureRate] = Field(default_factory=dict)
    skus: dict[Name, FailureRate] = Field(default_factory=dict)


class SparePart(Section):
    """A part a repair of the product may need."""

    part: Name = Field(description="SKU of the part (a product, stocked like any other).")
    quantity: PositiveInt = Field(1, description="Units of the part a repair needs.")
    probability: Probability = Field(1.0, description="Share of repairs that need this part.")


class AfterSales(Section):
    """After-sales service: failures become tickets, answered by the service engineers."""

    failures: Failures = Field(default_factory=Failures)
    travel_hours: DistributionSpec = Field(
        description="Engineer's working hours to reach the site, per ticket."
    )
    repair_hours: DistributionSpec = Field(
        description="Engineer's working hours on site to repair, per ticket."
    )
    spare_parts: dict[Name, list[SparePart]] = Field(
        default_factory=dict, description="Product SKU -> the parts its repair may need."
    )

    _nonneg = field_validator("travel_hours", "repair_hours")(
        lambda v: _require_nonnegative(v, "a working time")
    )


def check_references(scenario: object) -> None:
    """Cross-checks against the rest of the scenario; raises ``ValueError`` with the key path."""
    section: AfterSales | None = getattr(scenario, "after_sales", None)
    if section is None:
        return
    skus = {p.sku for p in scenario.products}  # type: ignore[attr-defined]
    categories = {p.category for p in scenario.products if p.category}  # type: ignore[attr-defined]
    staffing = scenario.staffing  # type: ignore[attr-defined]
    if staffing is None or staffing.service_engineer is None:
        raise ValueError(
            "after_sales: tickets need engineers: add the role staffing.service_engineer "
            "(headcount and calendar)"
        )
    for category in section.failures.categories:
        if category not in categories:
            raise ValueError(
                f"after_sales.failures.categories.{category}: unknown category {category!r}"
            )
    for sku in section.failures.skus:
        if sku not in skus:
            raise ValueError(f"after_sales.failures.skus.{sku}: {sku!r} is not a product")
    for sku, parts in section.spare_parts.items():
        if sku not in skus:
            raise ValueError(f"after_sales.spare_parts.{sku}: {sku!r} is not a product")
        for number, part in enumerate(parts):
            if part.part not in skus:
                raise ValueError(
                    f"after_sales.spare_parts.{sku}.{number}.part: spare part {part.part!r} is "
                    f"not a product; a part is stocked and must be listed in products"
                )
