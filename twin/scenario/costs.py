"""The ``costs`` section: holding, ordering, backorder and freight costs, in the scenario's
currency.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeFloat, model_validator

from twin.scenario.common import Section


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
