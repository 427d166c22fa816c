"""The product catalogue as flat per-SKU lists, indexed by SKU number, for the hot loop; and a
segment's SKU mix over it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.scenario.prices import PriceRows
from twin.scenario.schema import Scenario
from twin.scenario.segments import SkuMix


@dataclass(frozen=True)
class Catalogue:
    """Per-SKU attributes; SKU number ``i`` is the i-th product of the scenario."""

    skus: tuple[str, ...]
    unit_cost: tuple[float, ...]
    price: tuple[float, ...]
    supplier: tuple[str, ...]
    category: tuple[str | None, ...]
    # the prices file's rows: each line's price is drawn from them (None: list prices)
    line_prices: PriceRows | None = None

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Catalogue:
        products = scenario.products
        return cls(
            skus=tuple(p.sku for p in products),
            unit_cost=tuple(p.unit_cost for p in products),
            price=tuple(p.price for p in products),
            supplier=tuple(p.supplier for p in products),
            category=tuple(p.category for p in products),
            line_prices=scenario.line_prices,
        )

    def __len__(self) -> int:
        return len(self.skus)

    def index(self) -> dict[str, int]:
        """SKU code -> SKU number."""
        return {sku: i for i, sku in enumerate(self.skus)}


def mix_probabilities(mix: SkuMix, catalogue: Catalogue) -> tuple[list[int], np.ndarray]:
    """The SKU numbers a segment can order and their probabilities (summing to 1)."""
    if mix.kind == "weights":
        index = catalogue.index()
        pairs = [(index[sku], w) for sku, w in mix.weight_map().items() if w > 0]
        skus = [s for s, _ in pairs]
        weights = np.array([w for _, w in pairs], dtype=float)
    else:
        allowed = set(mix.categories) if mix.categories else None
        skus = [i for i, c in enumerate(catalogue.category) if allowed is None or c in allowed]
        ranks = np.arange(1, len(skus) + 1, dtype=float)
        weights = ranks**-mix.exponent if mix.kind == "zipf" else np.ones(len(skus))
    return skus, weights / weights.sum()
