"""The ``inventory`` and ``fulfilment`` sections: stocking policies and their review, layered from
a default down to single SKUs, and how orders ship when some lines are short.

Policy levels are given in units or in days of expected demand; ``twin.model.inventory`` converts
days to units per SKU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    model_validator,
)

from twin.scenario.common import Section
from twin.scenario.sku_files import read_sku_rules


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
    """Stocking rules, layered: ``default`` < ``suppliers`` < ``categories`` < ``skus``.

    Rules of single SKUs are given inline (``skus``) or, for a large catalogue, in a CSV or
    Parquet file (``skus_file``: one row per SKU, :mod:`twin.scenario.sku_files`); a SKU may not
    be in both.
    """

    default: InventoryRule
    suppliers: dict[str, InventoryRule] = Field(default_factory=dict)
    categories: dict[str, InventoryRule] = Field(default_factory=dict)
    skus: dict[str, InventoryRule] = Field(default_factory=dict)
    skus_file: str | None = Field(
        None,
        description="CSV or Parquet of per-SKU rules: column sku and any of policy, its levels, "
        "review, period_days, first_review_day, shortage, initial_on_hand(_days); relative to "
        "the scenario file.",
    )
    # the skus file's rules, read once at validation (empty without a skus_file)
    _file_skus: dict[str, InventoryRule] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _default_complete(self) -> Inventory:
        if self.default.policy is None:
            raise ValueError("inventory.default needs a 'policy'")
        if self.skus_file is not None:
            self._file_skus = read_sku_rules(Path(self.skus_file), InventoryRule.model_validate)
            both = sorted(set(self._file_skus) & set(self.skus))
            if both:
                raise ValueError(
                    f"skus_file: SKU(s) {', '.join(both[:5])} also have a rule in inventory.skus;"
                    " give each SKU's rule in one place"
                )
        return self

    def sku_rule(self, sku: str) -> InventoryRule | None:
        """The rule given for this one SKU (inline or from ``skus_file``), or None."""
        rule = self.skus.get(sku)
        return rule if rule is not None else self._file_skus.get(sku)

    def sku_rules(self) -> dict[str, InventoryRule]:
        """Every single-SKU rule, inline and from ``skus_file``."""
        return {**self._file_skus, **self.skus}


class Fulfilment(Section):
    """How orders leave the warehouse when some lines are short."""

    mode: Literal["ship_partial", "ship_complete"] = Field(
        "ship_partial",
        description="ship_partial: ship what is on hand, the rest as it arrives; "
        "ship_complete: hold the order until every line is filled.",
    )
