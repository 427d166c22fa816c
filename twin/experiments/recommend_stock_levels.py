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


def analytic_levels(
    rules: list[SkuRule],
    demand: SkuDemand,
    quantity: np.ndarray,
    design_fill_rate: float | np.ndarray,
    family: Family,
) -> pd.DataFrame:
    """Per SKU number, the levels whose analytic fill rate reaches ``design_fill_rate``.

    Columns ``policy`` (its kind), ``review_period_days`` (NaN: continuous), ``reorder_point``
    (s or R; a base-stock level's S - 1), ``order_up_to`` (S, or R + Q), ``quantity`` (Q; 1 for
    base stock) and ``analytic_fill_rate`` (at those levels).
    """
    n = len(rules)
    review = np.array(
        [np.nan if r.review_period_days is None else r.review_period_days for r in rules]
    )
    periodic = ~np.isnan(review)
    kinds = [type(r.policy) for r in rules]
    base = np.array([k is BaseStock for k in kinds])
    rq = np.array([k is ReorderPointQuantity for k in kinds])
    quantity = np.where(base, 1, np.maximum(quantity, 1)).astype(np.int64)
    lead_mean, lead_var = demand.over(np.zeros(n))
    protect_mean, protect_var = demand.over(np.where(periodic, review, 0.0))
    undershoot = np.where(rq, 0.0, demand.undershoot())
    review_demand = demand.mean_per_day * np.nan_to_num(review)
    # periodic (s, S) and (R, Q): like continuous review over L + R, undershoot plus R's demand/2
    undershoot = np.where(periodic & ~base, undershoot + review_demand / 2.0, undershoot)
    target = np.broadcast_to(np.asarray(design_fill_rate, dtype=float), (n,))
    periodic_base = periodic & base

    def fill_rate(level: np.ndarray) -> np.ndarray:
        """Fill rate with reorder point ``level`` (periodic base stock: order-up-to level)."""
        out = continuous_fill_rate(level, quantity, undershoot, protect_mean, protect_var, family)
        if periodic_base.any():
            out = np.where(
                periodic_base,
                periodic_fill_rate(
                    level, review_demand, protect_mean, protect_var, lead_mean, lead_var, family
                ),
                out,
            )
        return out

    spread = np.sqrt(protect_var)
    high = np.ceil(protect_mean + undershoot + 15.0 * spread + 10.0).astype(np.int64)
    low = np.where(periodic_base, 0, -1)  # a reorder point of -1: order only when short
    level = smallest_level(fill_rate, target, low, high)
    analytic = fill_rate(level)
    no_demand = demand.mean_per_day <= 0
    level = np.where(no_demand, np.maximum(low, 0), level)
    analytic = np.where(no_demand, 1.0, analytic)
    reorder = np.where(periodic_base, level - 1, level)
    reorder = np.maximum(reorder, np.where(base, -1, 0))  # policies take levels >= 0
    up_to = np.where(periodic_base, level, reorder + quantity)
    return pd.DataFrame(
        {
            "policy": [KINDS[k] for k in kinds],
            "review_period_days": review,
            "reorder_point": reorder,
            "order_up_to": up_to,
            "quantity": quantity,
            "analytic_fill_rate": analytic,
        }
    )


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
