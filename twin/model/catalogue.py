"""The product catalogue as flat per-SKU lists, indexed by SKU number, for the hot loop."""

from __future__ import annotations

from dataclasses import dataclass

from twin.scenario.schema import Scenario


@dataclass(frozen=True)
class Catalogue:
    """Per-SKU attributes; SKU number ``i`` is the i-th product of the scenario."""

    skus: tuple[str, ...]
    unit_cost: tuple[float, ...]
    price: tuple[float, ...]
    supplier: tuple[str, ...]
    category: tuple[str | None, ...]

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Catalogue:
        products = scenario.products
        return cls(
            skus=tuple(p.sku for p in products),
            unit_cost=tuple(p.unit_cost for p in products),
            price=tuple(p.price for p in products),
            supplier=tuple(p.supplier for p in products),
            category=tuple(p.category for p in products),
        )

    def __len__(self) -> int:
        return len(self.skus)

    def index(self) -> dict[str, int]:
        """SKU code -> SKU number."""
        return {sku: i for i, sku in enumerate(self.skus)}
