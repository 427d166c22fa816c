"""The ``segments`` section: groups of customers, each with its arrivals, order contents, SKU mix,
promised lead time, transit and handling times, and payment behaviour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    field_validator,
    model_validator,
)

from twin.distributions import DistributionSpec
from twin.scenario.arrivals import Arrivals
from twin.scenario.common import Probability, Section
from twin.scenario.common import require_nonnegative as _require_nonnegative
from twin.scenario.customer_base import CustomerBase
from twin.scenario.sku_files import read_sku_weights


class SkuMix(Section):
    """Which SKUs a segment's order lines ask for.

    ``uniform``: every eligible SKU alike. ``zipf``: the r-th eligible SKU in catalogue order has
    weight ``r ** -exponent``. ``weights``: explicit weights by SKU, inline (``weights``) or in a
    CSV or Parquet file with columns ``sku, weight`` (``weights_file``, for a large catalogue;
    :mod:`twin.scenario.sku_files`). ``categories`` restricts the eligible SKUs of ``uniform`` and
    ``zipf``.
    """

    kind: Literal["uniform", "zipf", "weights"] = "uniform"
    exponent: PositiveFloat = 1.0
    weights: dict[str, NonNegativeFloat] | None = None
    weights_file: str | None = Field(
        None, description="CSV or Parquet with columns sku, weight; relative to the scenario file."
    )
    categories: list[str] | None = None
    # the weights file's rows, read once at validation (None without a weights_file)
    _file_weights: dict[str, float] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _weights_given(self) -> SkuMix:
        given = (self.weights is not None) + (self.weights_file is not None)
        if given > 1:
            raise ValueError("give the weights inline ('weights') or in 'weights_file', not both")
        if (self.kind == "weights") != bool(given):
            raise ValueError(
                "'weights' or 'weights_file' is required with kind: weights, and only allowed there"
            )
        if self.weights is not None and not any(self.weights.values()):
            raise ValueError("at least one weight must be > 0")
        if given and self.categories is not None:
            raise ValueError(
                "'categories' applies to uniform and zipf mixes; with weights, "
                "give weights only for the SKUs wanted"
            )
        if self.weights_file is not None:
            self._file_weights = read_sku_weights(Path(self.weights_file))
        return self

    def weight_map(self) -> dict[str, float]:
        """SKU -> weight of a ``weights`` mix (inline or from its file); empty otherwise."""
        if self._file_weights is not None:
            return self._file_weights
        return dict(self.weights or {})


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

    customer_base: CustomerBase | None = Field(
        None,
        description="Demand from each known customer's fitted purchase process (and new "
        "customers' arrivals) instead of the aggregate rate of 'arrivals'.",
    )

    _transit_nonneg = field_validator("transit_days")(
        lambda v: _require_nonnegative(v, "a transit time")
    )
    _handling_nonneg = field_validator("handling_days")(
        lambda v: _require_nonnegative(v, "a handling time")
    )

    @model_validator(mode="after")
    def _customers_counted(self) -> Segment:
        if self.customer_base is None:
            return self
        known = len(self.customer_base.history)
        if "customers" not in self.model_fields_set:
            return self.model_copy(update={"customers": known})
        if self.customers != known:
            raise ValueError(
                f"customers: {self.customers}, but customer_base.customers_file has {known} "
                "rows; with a customer base, customers is the number of known customers (give "
                f"{known} or leave it out)"
            )
        return self
