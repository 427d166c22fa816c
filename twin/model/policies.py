"""Replenishment policies: each decides how much to order from an inventory position.

A policy decides; it draws no random numbers and keeps no state, so the same position always gives
the same order. Inventory position = on hand + on order - backlog (units).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BaseStock:
    """Order up to ``level`` whenever the position is below it (one-for-one under continuous
    review)."""

    level: int

    def order_quantity(self, position: int) -> int:
        return self.level - position if position < self.level else 0

    @property
    def order_up_to(self) -> int:
        return self.level

    @property
    def trigger_position(self) -> int:
        """The highest inventory position at which this policy orders."""
        return self.level - 1


@dataclass(frozen=True, slots=True)
class MinMax:
    """(s, S): at or below ``reorder_point`` s, order up to ``order_up_to_level`` S."""

    reorder_point: int
    order_up_to_level: int

    def __post_init__(self) -> None:
        if self.order_up_to_level <= self.reorder_point:
            raise ValueError(
                f"order-up-to level {self.order_up_to_level} must exceed reorder point "
                f"{self.reorder_point}"
            )

    def order_quantity(self, position: int) -> int:
        return self.order_up_to_level - position if position <= self.reorder_point else 0

    @property
    def order_up_to(self) -> int:
        return self.order_up_to_level

    @property
    def trigger_position(self) -> int:
        return self.reorder_point


@dataclass(frozen=True, slots=True)
class ReorderPointQuantity:
    """(R, Q): at or below ``reorder_point`` R, order the fewest multiples of ``quantity`` Q that
    lift the position above R."""

    reorder_point: int
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"order quantity must be > 0, got {self.quantity}")

    def order_quantity(self, position: int) -> int:
        if position > self.reorder_point:
            return 0
        return ((self.reorder_point - position) // self.quantity + 1) * self.quantity

    @property
    def order_up_to(self) -> int:
        return self.reorder_point + self.quantity

    @property
    def trigger_position(self) -> int:
        return self.reorder_point


Policy = BaseStock | MinMax | ReorderPointQuantity
