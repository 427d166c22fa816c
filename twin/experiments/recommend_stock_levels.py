"""Per-SKU stocking levels: today's rules in units, the analytic levels at a design fill rate,
and a scenario that stocks at given levels.

Each SKU keeps its policy's kind, its review (continuous, or periodic every R days) and its
shortage rule; only the levels change. The order quantity Q of an (s, S) or (R, Q) policy is
today's (S - s, or Q, in units), or the economic order quantity (``eoq``,
:math:`\\sqrt{2 K D / h}` with K the cost per purchase order, D the yearly demand and h the
yearly holding cost of a unit). The reorder point (or the base-stock level) is the smallest
whole number of units whose analytic type-2 fill rate
(:mod:`twin.experiments.recommend_stock_analytic`) reaches the design fill rate.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from twin.errors import InputError
from twin.experiments.recommend_stock_analytic import (
    Family,
    continuous_fill_rate,
    periodic_fill_rate,
    smallest_level,
)
from twin.experiments.recommend_stock_demand import SkuDemand, sku_demand
from twin.model.catalogue import Catalogue
from twin.model.inventory import SkuRule, resolve_rules
from twin.model.order_book import expected_daily_units
from twin.model.policies import BaseStock, MinMax, ReorderPointQuantity
from twin.scenario.inventory import Inventory, InventoryRule
from twin.scenario.schema import Scenario

QuantityRule = Literal["current", "eoq"]
Allocation = Literal["value", "equal"]
ALLOCATIONS: tuple[str, ...] = ("value", "equal")
QUANTITY_RULES: tuple[str, ...] = ("current", "eoq")

#: The policy kinds as scenario files name them.
KINDS = {BaseStock: "base_stock", MinMax: "min_max", ReorderPointQuantity: "reorder_point_quantity"}


def today_rules(scenario: Scenario, catalogue: Catalogue) -> list[SkuRule]:
    """Every SKU's rule as the model resolves it, levels in units."""
    return resolve_rules(scenario, catalogue, expected_daily_units(scenario, catalogue))


def today_levels(rules: list[SkuRule]) -> tuple[np.ndarray, np.ndarray]:
    """Per SKU today's reorder point and order-up-to level (units); a base-stock level S counts
    as reorder point S - 1 and order-up-to S, an (R, Q) policy as R and R + Q."""
    s = np.array([r.policy.trigger_position for r in rules], dtype=np.int64)
    big_s = np.array([r.policy.order_up_to for r in rules], dtype=np.int64)
    return s, big_s


def order_quantities(
    scenario: Scenario,
    catalogue: Catalogue,
    rules: list[SkuRule],
    demand: SkuDemand,
    rule: QuantityRule,
) -> np.ndarray:
    """Per SKU the order quantity Q (units, at least 1): today's, or the EOQ."""
    s, big_s = today_levels(rules)
    current = np.maximum(big_s - s, 1)
    if rule == "current":
        return current
    costs = scenario.costs
    unit_cost = np.asarray(catalogue.unit_cost, dtype=float)
    if costs.holding.per_unit_day is not None:
        holding_year = np.full(len(catalogue), costs.holding.per_unit_day * 365.0)
    else:
        holding_year = costs.holding.annual_rate * unit_cost
    per_order = costs.ordering.per_order
    if per_order <= 0 or not (holding_year > 0).all():
        raise InputError(
            "--quantity eoq needs a cost per purchase order (costs.ordering.per_order) and a "
            "holding cost (costs.holding.annual_rate or per_unit_day) above 0 in the scenario; "
            f"it has per_order {per_order:g} and holding {costs.holding.model_dump()}. Set them, "
            "or keep today's order quantities (--quantity current)"
        )
    eoq = np.sqrt(2.0 * per_order * demand.mean_per_day * 365.0 / holding_year)
    return np.maximum(np.rint(eoq), 1).astype(np.int64)


class LevelModel:
    """Every SKU's analytic fill rate as a function of its level (vectorised over SKUs).

    The *level* is the reorder point (s or R; a continuously reviewed base stock's S - 1), or
    for periodic base stock the order-up-to level S itself.
    """

    def __init__(
        self, rules: list[SkuRule], demand: SkuDemand, quantity: np.ndarray, family: Family
    ) -> None:
        n = len(rules)
        self.review = np.array(
            [np.nan if r.review_period_days is None else r.review_period_days for r in rules]
        )
        periodic = ~np.isnan(self.review)
        self.kinds = [type(r.policy) for r in rules]
        self.base = np.array([k is BaseStock for k in self.kinds])
        rq = np.array([k is ReorderPointQuantity for k in self.kinds])
        self.quantity = np.where(self.base, 1, np.maximum(quantity, 1)).astype(np.int64)
        self.lead = demand.over(np.zeros(n))
        self.protect = demand.over(np.where(periodic, self.review, 0.0))
        undershoot = np.where(rq, 0.0, demand.undershoot())
        self.review_demand = demand.mean_per_day * np.nan_to_num(self.review)
        # periodic (s, S) and (R, Q): like continuous review over L + R, undershoot plus the
        # review period's demand / 2
        self.undershoot = np.where(
            periodic & ~self.base, undershoot + self.review_demand / 2.0, undershoot
        )
        self.periodic_base = periodic & self.base
        self.family = family
        self.demand_per_day = demand.mean_per_day
        spread = np.sqrt(self.protect[1])
        self.high = np.ceil(self.protect[0] + self.undershoot + 15.0 * spread + 10.0).astype(
            np.int64
        )
        self.low = np.where(self.periodic_base, 0, -1)  # reorder point -1: order only when short

    def fill_rate(self, level: np.ndarray) -> np.ndarray:
        """Each SKU's analytic type-2 fill rate at ``level``."""
        mean, variance = self.protect
        out = continuous_fill_rate(
            level, self.quantity, self.undershoot, mean, variance, self.family
        )
        if self.periodic_base.any():
            periodic = periodic_fill_rate(
                level, self.review_demand, mean, variance, *self.lead, self.family
            )
            out = np.where(self.periodic_base, periodic, out)
        return out

    def at_fill_rate(self, theta: float | np.ndarray) -> np.ndarray:
        """Per SKU the smallest level whose analytic fill rate reaches ``theta``."""
        target = np.broadcast_to(np.asarray(theta, dtype=float), self.low.shape)
        return smallest_level(self.fill_rate, target, self.low, self.high)

    def overall_fill_rate(self, level: np.ndarray) -> float:
        """The demand-weighted mean of the SKUs' analytic fill rates."""
        weight = self.demand_per_day
        return float(weight @ self.fill_rate(level) / weight.sum()) if weight.sum() else 1.0

    def cheapest(self, theta: float, unit_cost: np.ndarray, floor: float) -> np.ndarray:
        """Levels reaching an overall analytic fill rate ``theta`` at the least stock value.

        Marginal allocation (a Lagrangian relaxation of: least sum of c_i s_i subject to the
        demand-weighted fill rate >= theta): each SKU stocks up to the last unit whose gain in
        units filled per day, lambda_i [beta_i(s + 1) - beta_i(s)], is worth at least k per
        unit of value c_i; k is found by bisection on its logarithm. No SKU goes below the
        level of analytic fill rate ``floor``.
        """
        low = self.at_fill_rate(floor)
        value = np.maximum(np.asarray(unit_cost, dtype=float), 1e-9)
        rate = self.demand_per_day

        def levels(k: float) -> np.ndarray:
            def gain_below(level: np.ndarray) -> np.ndarray:  # -(gain per value of unit s+1)
                return -rate * (self.fill_rate(level + 1) - self.fill_rate(level)) / value

            return smallest_level(gain_below, -k, low, self.high)

        if self.overall_fill_rate(low) >= theta:
            return low
        lo, hi = -30.0, 10.0  # log k: k = e^-30 stocks to the cap, e^10 nothing above the floor
        for _ in range(40):
            middle = (lo + hi) / 2.0
            if self.overall_fill_rate(levels(math.exp(middle))) >= theta:
                lo = middle
            else:
                hi = middle
        return levels(math.exp(lo))

    def frame(self, level: np.ndarray) -> pd.DataFrame:
        """The levels as a table: ``policy`` (its kind), ``review_period_days`` (NaN:
        continuous), ``reorder_point`` (s or R; a base-stock level's S - 1), ``order_up_to`` (S,
        or R + Q), ``quantity`` (Q; 1 for base stock), ``analytic_fill_rate``."""
        analytic = self.fill_rate(level)
        no_demand = self.demand_per_day <= 0
        level = np.where(no_demand, np.maximum(self.low, 0), level)
        analytic = np.where(no_demand, 1.0, analytic)
        reorder = np.where(self.periodic_base, level - 1, level)
        reorder = np.maximum(reorder, np.where(self.base, -1, 0))  # policies take levels >= 0
        up_to = np.where(self.periodic_base, level, reorder + self.quantity)
        return pd.DataFrame(
            {
                "policy": [KINDS[k] for k in self.kinds],
                "review_period_days": self.review,
                "reorder_point": reorder,
                "order_up_to": up_to,
                "quantity": self.quantity,
                "analytic_fill_rate": analytic,
            }
        )


def analytic_levels(
    rules: list[SkuRule],
    demand: SkuDemand,
    quantity: np.ndarray,
    design_fill_rate: float,
    family: Family,
    allocation: Allocation = "equal",
    unit_cost: np.ndarray | None = None,
    floor: float = 0.5,
) -> pd.DataFrame:
    """Per SKU number, the levels for the design fill rate theta (see :meth:`LevelModel.frame`
    for the columns): ``equal``, every SKU's analytic fill rate reaches theta; ``value``, the
    demand-weighted one does, at the least stock value (:meth:`LevelModel.cheapest`; needs
    ``unit_cost``), no SKU below ``floor``."""
    model = LevelModel(rules, demand, quantity, family)
    if allocation == "equal":
        return model.frame(model.at_fill_rate(design_fill_rate))
    if unit_cost is None:
        raise ValueError("the value allocation needs the unit costs")
    return model.frame(model.cheapest(design_fill_rate, unit_cost, floor))


def rule_rows(catalogue: Catalogue, rules: list[SkuRule], levels: pd.DataFrame) -> pd.DataFrame:
    """The rows of an ``inventory.skus_file`` stocking every SKU at ``levels``: its policy and
    levels in units, and today's review and shortage rule written out (so the file can stand in
    for any earlier per-SKU rules)."""
    rows = []
    for i, sku in enumerate(catalogue.skus):
        level = levels.iloc[i]
        rule = rules[i]
        row: dict[str, object] = {"sku": sku, "policy": level["policy"]}
        if level["policy"] == "base_stock":
            row["level"] = int(level["order_up_to"])
        elif level["policy"] == "min_max":
            row["reorder_point"] = int(level["reorder_point"])
            row["order_up_to"] = int(level["order_up_to"])
        else:
            row["reorder_point"] = int(level["reorder_point"])
            row["quantity"] = int(level["quantity"])
        if rule.review_period_days is None:
            row["review"] = "continuous"
        else:
            row["review"] = "periodic"
            row["period_days"] = rule.review_period_days
            row["first_review_day"] = rule.first_review_day
        row["shortage"] = "backorder" if rule.backorder else "lost_sale"
        rows.append(row)
    columns = [
        "sku",
        "policy",
        "reorder_point",
        "order_up_to",
        "level",
        "quantity",
        "review",
        "period_days",
        "first_review_day",
        "shortage",
    ]
    table = pd.DataFrame(rows).reindex(columns=columns)
    for column in ("reorder_point", "order_up_to", "level", "quantity"):
        table[column] = table[column].astype("Int64")  # whole units, blank where not used
    return table


def with_rules(scenario: Scenario, rows: pd.DataFrame) -> Scenario:
    """``scenario`` with every SKU stocked by its row of ``rows`` (a :func:`rule_rows` table),
    given inline; the other layers of its inventory section are kept."""
    from twin.scenario.sku_files import rule_data

    plain = rows.astype(object).where(rows.notna(), None)  # blank cells as None, not pd.NA
    skus = {
        record["sku"]: InventoryRule.model_validate(rule_data(record))
        for record in plain.to_dict("records")
    }
    old = scenario.inventory
    inventory = Inventory(
        default=old.default, suppliers=old.suppliers, categories=old.categories, skus=skus
    )
    return scenario.model_copy(update={"inventory": inventory})


def demand_table(catalogue: Catalogue, demand: SkuDemand) -> pd.DataFrame:
    """Per SKU the demand and lead-time moments the analytic levels used."""
    return pd.DataFrame(
        {
            "sku": catalogue.skus,
            "supplier": catalogue.supplier,
            "demand_per_day": demand.mean_per_day,
            "demand_sd_per_day": np.sqrt(demand.variance_per_day),
            "lead_time_mean_days": demand.lead_time_mean_days,
            "lead_time_sd_days": np.sqrt(demand.lead_time_variance_days2),
        }
    )


__all__ = [
    "QUANTITY_RULES",
    "analytic_levels",
    "demand_table",
    "order_quantities",
    "rule_rows",
    "sku_demand",
    "today_levels",
    "today_rules",
    "with_rules",
]
